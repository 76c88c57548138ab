# guievict/xsession/: the window session of an X client.  xproto.c (wire
# codec for guimux), session.c (the session and its file format) and
# fontmatch.c are pure; capture.c and regen.c talk to X servers through
# libxcb.  One archive holds both: a program that uses only the pure part
# pulls in no X library.
GVXS_PKGS     := xcb xcb-res xcb-shape xcb-xfixes xcb-render
GVXS_X_CFLAGS := $(shell pkg-config --cflags $(GVXS_PKGS) 2>/dev/null)
GVXS_X_LIBS   := $(shell pkg-config --libs $(GVXS_PKGS) 2>/dev/null)

GVXS_PURE_SRCS := guievict/xsession/xproto.c guievict/xsession/session.c \
                  guievict/xsession/fontmatch.c guievict/xsession/evgui.c \
                  guievict/xsession/render.c
GVXS_X_SRCS    := guievict/xsession/capture.c guievict/xsession/regen.c \
                  guievict/xsession/evgui-xcb.c guievict/xsession/capture-render.c \
                  guievict/xsession/regen-render.c
GVXS_SRCS      := $(GVXS_PURE_SRCS) $(GVXS_X_SRCS)
GVXS_OBJS      := $(GVXS_SRCS:%.c=$(O)/%.o)
GVXS_LIB       := $(O)/libgvxsession.a
LIBS_A         += $(GVXS_LIB)

$(GVXS_OBJS): ALL_CFLAGS += $(GVXS_X_CFLAGS)

$(GVXS_LIB): $(GVXS_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Check suites tests/unit/check_gv_xs*.c link this room and common (the
# generic rule in tests/module.mk links only edp and common).
GVXS_UNIT := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,\
               $(wildcard tests/unit/check_gv_xs*.c))
UNIT_TESTS += $(filter-out $(UNIT_TESTS),$(GVXS_UNIT))

$(O)/tests/unit/check_gv_xs%: $(O)/tests/unit/check_gv_xs%.o $(GVXS_LIB) \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(GVXS_X_LIBS) $(LIBS)

# Test vehicles: tests/helpers/gvx-*.c (gvx-clone).
GVXS_HELPERS := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,\
                  $(wildcard tests/helpers/gvx-*.c))
HELPERS += $(filter-out $(HELPERS),$(GVXS_HELPERS))

$(O)/tests/helpers/gvx-%: $(O)/tests/helpers/gvx-%.o $(GVXS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GVXS_X_LIBS) $(LIBS)

$(O)/tests/helpers/gvx-%.o: ALL_CFLAGS += $(GVXS_X_CFLAGS)

# libFuzzer targets tests/fuzz/fuzz_gv_*.c: the pure sources only.
$(FUZZ_O)/fuzz_gv_%: tests/fuzz/fuzz_gv_%.c $(GVXS_PURE_SRCS) $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

.PHONY: gvxs
gvxs: $(GVXS_LIB) $(GVXS_UNIT) $(GVXS_HELPERS)

# guievict/: guimux (the translator, pure), libguievict.so (the library
# guievictor injects: hooks, control socket, detach and attach), and the
# guievictor command.  guievict/inject/ and guievict/xsession/ have module
# files of their own.
GVMUX_SRCS := guievict/guimux/u32map.c guievict/guimux/xlate.c
GVMUX_OBJS := $(GVMUX_SRCS:%.c=$(O)/%.o)
GVMUX_LIB  := $(O)/libguimux.a
LIBS_A     += $(GVMUX_LIB)

$(GVMUX_LIB): $(GVMUX_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Check suites tests/unit/check_gv_mux*.c: guimux, xproto and common.
GVMUX_UNIT := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,\
                $(wildcard tests/unit/check_gv_mux*.c))
UNIT_TESTS += $(filter-out $(UNIT_TESTS),$(GVMUX_UNIT))

$(O)/tests/unit/check_gv_mux%: $(O)/tests/unit/check_gv_mux%.o $(GVMUX_LIB) \
    $(GVXS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# Check suites tests/unit/check_gv_ctl*.c: guievictor's pure parts (the
# control protocol, the X connection finder's parsers, display names).
GVCTL_UNIT := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,\
                $(wildcard tests/unit/check_gv_ctl*.c))
UNIT_TESTS += $(filter-out $(UNIT_TESTS),$(GVCTL_UNIT))

$(O)/tests/unit/check_gv_ctl%: $(O)/tests/unit/check_gv_ctl%.o \
    $(O)/guievict/ctlproto.o $(O)/guievict/xfind.o $(O)/guievict/xauth.o \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(GVXAU_LIBS) $(LIBS)

# libguievict.so: the library guievictor injects.  Everything it needs is
# linked in (common's log, wbuf and ipc, xsession, guimux), compiled again
# here without $(SAN): it runs inside programs that are not sanitized (an
# ASan library cannot be dlopen'ed into them).  Only guievict_hijack is
# exported.  -z nodelete: once libxcb's GOT points into it, it must never
# be unloaded.
GVLIB_SRCS := guievict/lib/hijack.c guievict/lib/got.c guievict/lib/hook.c \
              guievict/lib/ops.c guievict/lib/ctl.c guievict/ctlproto.c
GVSO_SRCS  := $(GVLIB_SRCS) $(GVMUX_SRCS) $(GVXS_SRCS) common/log.c \
              common/wbuf.c common/ipc.c
GVSO_OBJS  := $(GVSO_SRCS:%.c=$(O)/gvso/%.o)
GVSO_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC \
              -fvisibility=hidden -I. $(GVXS_X_CFLAGS)
GVLIB_SO   := $(O)/lib/libguievict.so
LIBS_SO    += $(GVLIB_SO)

$(O)/gvso/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GVSO_CFLAGS) -MMD -MP -c $< -o $@

$(GVLIB_SO): $(GVSO_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,nodelete -Wl,-z,defs -o $@ \
	    $(GVSO_OBJS) $(GVXS_X_LIBS) -lpthread

# guievictor: finds the X connection, injects the library, talks to it.
GVCMD_SRCS := guievict/cmd-guievictor.c guievict/xfind.c guievict/xauth.c
GVCMD_OBJS := $(GVCMD_SRCS:%.c=$(O)/%.o)
GVXAU_CFLAGS := $(shell pkg-config --cflags xau 2>/dev/null)
GVXAU_LIBS   := $(shell pkg-config --libs xau 2>/dev/null)
BINS       += $(O)/bin/guievictor
MAN_PAGES  += docs/man/guievictor.1

$(GVCMD_OBJS): ALL_CFLAGS += $(GVXAU_CFLAGS)

$(O)/bin/guievictor: $(GVCMD_OBJS) $(O)/guievict/ctlproto.o $(INJECT_LIB) \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GVXAU_LIBS) -lpthread

# Test programs tests/helpers/gvm-*.c (X clients, benchmarks, file
# comparisons): programs under test, so plain flags like gv-target.
GVM_HELPERS := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,\
                 $(wildcard tests/helpers/gvm-*.c))
HELPERS += $(filter-out $(HELPERS),$(GVM_HELPERS))

$(O)/tests/helpers/gvm-%: tests/helpers/gvm-%.c
	@mkdir -p $(dir $@)
	$(CC) $(GV_HELPER_CFLAGS) $(GVXS_X_CFLAGS) -MMD -MP -MF $@.d -o $@ $< \
	    $(GVXS_X_LIBS)

.PHONY: gv
gv: $(GVMUX_LIB) $(GVMUX_UNIT) $(GVCTL_UNIT) $(GVLIB_SO) $(O)/bin/guievictor \
    $(GVM_HELPERS)

# libFuzzer targets of this room: the translator's stream state machine
# (fuzz_gv_mux*) and the control protocol's decoders (fuzz_gv_ctl*).
$(FUZZ_O)/fuzz_gv_mux%: tests/fuzz/fuzz_gv_mux%.c $(GVMUX_SRCS) \
    $(GVXS_PURE_SRCS) $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(FUZZ_O)/fuzz_gv_ctl%: tests/fuzz/fuzz_gv_ctl%.c guievict/ctlproto.c \
    $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# guievict/inject/: load a library into a running process (ptrace: stop,
# check, call, resume); libguievict-inject.a and the guievict-inject command.
# Test pieces: a target program (tests/helpers/gv-target.c, built without
# $(SAN): it is the program under test, not ours; and statically, to check
# the refusal of a program without libc.so.6), and a probe library
# (tests/helpers/gv-probe-lib.c -> $(O)/lib/libgv-probe.so).
INJECT_SRCS := guievict/inject/cause.c guievict/inject/elfsym.c \
               guievict/inject/inject.c guievict/inject/maps.c \
               guievict/inject/preflight.c guievict/inject/remote.c \
               guievict/inject/safepoint.c guievict/inject/seize.c
INJECT_OBJS := $(INJECT_SRCS:%.c=$(O)/%.o)
INJECT_LIB  := $(O)/libguievict-inject.a
LIBS_A      += $(INJECT_LIB)
BINS        += $(O)/bin/guievict-inject

$(INJECT_LIB): $(INJECT_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/bin/guievict-inject: $(O)/guievict/inject/cmd-inject.o $(INJECT_LIB) \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Check suites of this room link this room's library (the shorter stem
# wins over tests/module.mk's generic rule).
GV_INJECT_UNIT := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,\
                  $(wildcard tests/unit/check_gv_inject*.c))
UNIT_TESTS += $(filter-out $(UNIT_TESTS),$(GV_INJECT_UNIT))

$(O)/tests/unit/check_gv_inject%: $(O)/tests/unit/check_gv_inject%.o \
    $(INJECT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# Helpers: plain flags, no sanitizer (a target is any program).
GV_HELPER_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I.
GV_PROBE_LIB := $(O)/lib/libgv-probe.so
HELPERS += $(O)/tests/helpers/gv-target-static $(GV_PROBE_LIB)

$(O)/tests/helpers/gv-target: tests/helpers/gv-target.c
	@mkdir -p $(dir $@)
	$(CC) $(GV_HELPER_CFLAGS) -MMD -MP -MF $@.d -o $@ $< -lpthread

$(O)/tests/helpers/gv-target-static: tests/helpers/gv-target.c
	@mkdir -p $(dir $@)
	$(CC) $(GV_HELPER_CFLAGS) -MMD -MP -MF $@.d -static -o $@ $< \
	    -lpthread

$(GV_PROBE_LIB): tests/helpers/gv-probe-lib.c
	@mkdir -p $(dir $@)
	$(CC) $(GV_HELPER_CFLAGS) -fPIC -shared -MMD -MP -MF $@.d -o $@ $<

# tests/module.mk lists every tests/helpers/*.c as a program; this one is
# the probe library, so its "program" is a link to it.
$(O)/tests/helpers/gv-probe-lib: $(GV_PROBE_LIB)
	@mkdir -p $(dir $@)
	ln -sf ../../lib/libgv-probe.so $@

.PHONY: gv-inject
gv-inject: $(INJECT_LIB) $(O)/bin/guievict-inject $(GV_INJECT_UNIT) \
    $(O)/tests/helpers/gv-target $(O)/tests/helpers/gv-target-static \
    $(GV_PROBE_LIB)

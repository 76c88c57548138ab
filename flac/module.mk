# flac/: the flac language (flac/lang: lexer, parser, checker, evaluator;
# pure, no I/O), the run-time (flac/rt: libflacrt.so, the LD_PRELOAD
# library that puts a program in a name space), the `flac` command and
# flacd (flac/daemon: service instances and transfers; remote service
# plugins come later, docs/design/flac.md).
FLAC_LANG_SRCS := flac/lang/lex.c flac/lang/parse.c flac/lang/ast.c \
                  flac/lang/check.c flac/lang/eval.c
FLAC_LANG_OBJS := $(FLAC_LANG_SRCS:%.c=$(O)/%.o)
FLAC_LANG_LIB  := $(O)/libflac-lang.a
LIBS_A    += $(FLAC_LANG_LIB)
BINS      += $(O)/bin/flac $(O)/bin/flacd $(O)/bin/flac-rpcd
MAN_PAGES += docs/man/flac.1 docs/man/flacd.1 docs/man/flac-rpcd.8

$(FLAC_LANG_LIB): $(FLAC_LANG_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The run-time's logic, without a hook: linked into the library, the
# launcher (which resolves the program to run in the name space) and the
# Check suite.
FLAC_RT_CORE_SRCS := flac/rt/path.c flac/rt/fdtab.c flac/rt/session.c \
                     flac/rt/state.c flac/rt/ws.c flac/rt/lcache.c \
                     flac/rt/view.c flac/rt/layer.c flac/rt/vfs.c \
                     flac/rt/dir.c flac/rt/cwd.c flac/rt/real.c \
                     flac/rt/exec.c flac/rt/fdmirror.c flac/rt/iosess.c \
                     flac/daemon/proto.c flac/rt/dclient.c \
                     flac/daemon/journalfmt.c flac/rt/reloc.c
FLAC_RT_CORE_OBJS := $(FLAC_RT_CORE_SRCS:%.c=$(O)/%.o)
FLAC_RT_CORE      := $(O)/libflacrt-core.a
FLAC_RT_HOOK_SRCS := flac/rt/init.c flac/rt/hook-open.c flac/rt/hook-stat.c \
                     flac/rt/hook-path.c flac/rt/hook-dir.c \
                     flac/rt/hook-cwd.c flac/rt/hook-exec.c \
                     flac/rt/hook-io.c
FLAC_RT_HOOK_OBJS := $(FLAC_RT_HOOK_SRCS:%.c=$(O)/%.o)
FLAC_RT_SO        := $(O)/lib/libflacrt.so
LIBS_A  += $(FLAC_RT_CORE)
LIBS_SO += $(FLAC_RT_SO)

$(FLAC_RT_CORE): $(FLAC_RT_CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FLAC_RT_SO): $(FLAC_RT_HOOK_OBJS) $(FLAC_RT_CORE) $(FLAC_LANG_LIB) \
    $(COMMON_LIB) flac/rt/libflacrt.map
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-z,defs \
	    -Wl,--version-script=flac/rt/libflacrt.map -o $@ \
	    $(FLAC_RT_HOOK_OBJS) $(FLAC_RT_CORE) $(FLAC_LANG_LIB) \
	    $(COMMON_LIB) $(LIBS) -ldl

$(O)/bin/flac: $(O)/flac/cmd-flac.o $(O)/flac/cmd-session.o \
    $(O)/flac/locmon.o $(FLAC_RT_CORE) \
    $(FLAC_LANG_LIB) \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -ldl

# flacd: services (svc*.c), the transfer between them (xfer.c), the
# daemon (flacd.c); the protocol's codec (proto.c) is in the core.
FLACD_SRCS := flac/daemon/svc.c flac/daemon/svc-local.c flac/daemon/xfer.c \
              flac/daemon/svc-rpc.c flac/rpc/rpcproto.c \
              flac/daemon/svc-sftp.c flac/daemon/journal.c \
              flac/daemon/svc-smb.c
FLACD_SSH_CFLAGS := $(shell pkg-config --cflags libssh 2>/dev/null)
FLACD_SSH_LIBS   := $(shell pkg-config --libs libssh 2>/dev/null)
$(O)/flac/daemon/svc-sftp.o: ALL_CFLAGS += $(FLACD_SSH_CFLAGS)
FLACD_SMB_CFLAGS := $(shell pkg-config --cflags smbclient 2>/dev/null)
FLACD_SMB_LIBS   := $(shell pkg-config --libs smbclient 2>/dev/null)
$(O)/flac/daemon/svc-smb.o: ALL_CFLAGS += $(FLACD_SMB_CFLAGS)
FLACD_OBJS := $(FLACD_SRCS:%.c=$(O)/%.o)
FLACD_LIB  := $(O)/libflacd.a
LIBS_A     += $(FLACD_LIB)

$(FLACD_LIB): $(FLACD_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/bin/flacd: $(O)/flac/daemon/flacd.o $(FLACD_LIB) $(FLAC_RT_CORE) \
    $(FLAC_LANG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(FLACD_SSH_LIBS) \
	    $(FLACD_SMB_LIBS)

# flac-rpcd: the rpc service's file server (flac/rpc/).
$(O)/bin/flac-rpcd: $(O)/flac/rpc/flac-rpcd.o $(O)/flac/rpc/rpcproto.o \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/helpers/flac-rpc-probe: $(O)/tests/helpers/flac-rpc-probe.o \
    $(O)/flac/rpc/rpcproto.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Runs one service's operations against a real server (t-flac-smb).
$(O)/tests/helpers/flac-svc-probe: $(O)/tests/helpers/flac-svc-probe.o \
    $(FLACD_LIB) $(FLAC_RT_CORE) $(FLAC_LANG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(FLACD_SSH_LIBS) \
	    $(FLACD_SMB_LIBS) -ldl

# Unit tests of flac link the language library, not libedp.  The shorter
# stem makes GNU make prefer this rule over tests/module.mk's check_%.
FLAC_UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,\
                   $(wildcard tests/unit/check_flac_*.c))
UNIT_TESTS := $(filter-out $(FLAC_UNIT_TESTS),$(UNIT_TESTS)) \
              $(FLAC_UNIT_TESTS)

$(O)/tests/unit/check_flac_%: $(O)/tests/unit/check_flac_%.o \
    $(FLAC_LANG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# flacd's suite: the codecs, the services and the transfer.
$(O)/tests/unit/check_flac_daemon: $(O)/tests/unit/check_flac_daemon.o \
    $(FLACD_LIB) $(FLAC_RT_CORE) $(FLAC_LANG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS) $(FLACD_SSH_LIBS) \
	    $(FLACD_SMB_LIBS) -ldl

# The run-time's Check suite also links its logic (an explicit rule, so
# it wins over the pattern above).
$(O)/tests/unit/check_flac_rt: $(O)/tests/unit/check_flac_rt.o \
    $(FLAC_RT_CORE) $(FLAC_LANG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS) -ldl

# libFuzzer targets over the language, built from source by clang.  The
# top Makefile sets FUZZ_O after including module files; a rule's target is
# expanded when read, so give it its value here too.
FUZZ_O ?= build-fuzz
$(FUZZ_O)/fuzz_flac_iosess: tests/fuzz/fuzz_flac_iosess.c flac/rt/iosess.c \
    $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread
$(FUZZ_O)/fuzz_flac_flacd: tests/fuzz/fuzz_flac_flacd.c flac/daemon/proto.c \
    $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread
$(FUZZ_O)/fuzz_flac_journal: tests/fuzz/fuzz_flac_journal.c \
    flac/daemon/journalfmt.c $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread
$(FUZZ_O)/fuzz_flac_rpc: tests/fuzz/fuzz_flac_rpc.c flac/rpc/rpcproto.c \
    $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread
$(FUZZ_O)/fuzz_flac_%: tests/fuzz/fuzz_flac_%.c $(FLAC_LANG_SRCS) \
    $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

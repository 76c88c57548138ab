# flac/: the flac language (flac/lang: lexer, parser, checker, evaluator;
# pure, no I/O) and the `flac` command.  The run-time library, flacd and the
# service plugins come later.
FLAC_LANG_SRCS := flac/lang/lex.c flac/lang/parse.c flac/lang/ast.c \
                  flac/lang/check.c flac/lang/eval.c
FLAC_LANG_OBJS := $(FLAC_LANG_SRCS:%.c=$(O)/%.o)
FLAC_LANG_LIB  := $(O)/libflac-lang.a
LIBS_A    += $(FLAC_LANG_LIB)
BINS      += $(O)/bin/flac
MAN_PAGES += docs/man/flac.1

$(FLAC_LANG_LIB): $(FLAC_LANG_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/bin/flac: $(O)/flac/cmd-flac.o $(FLAC_LANG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

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

# libFuzzer targets over the language, built from source by clang.  The
# top Makefile sets FUZZ_O after including module files; a rule's target is
# expanded when read, so give it its value here too.
FUZZ_O ?= build-fuzz
$(FUZZ_O)/fuzz_flac_%: tests/fuzz/fuzz_flac_%.c $(FLAC_LANG_SRCS) \
    $(COMMON_SRCS)
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# evict: one GNU Makefile for the whole tree.  Each room adds its sources
# through <room>/module.mk; objects go under $(O) (build/ by default, so
# that a sanitized build can sit beside the plain one).

O        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
SAN      ?=

PKGS      := openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -fPIC \
             -fvisibility=hidden -I. $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN)
LIBS     := $(PKG_LIBS) -lpthread

# Filled by the module files.
BINS       :=
LIBS_A     :=
LIBS_SO    :=
UNIT_TESTS :=
HELPERS    :=
FUZZERS    :=
MAN_PAGES  :=

.PHONY: all check check-unit check-integ bench demo install uninstall clean \
        asan fuzz lint deps
all:

# Keep intermediate objects of pattern chains (unit tests, helpers).
.SECONDARY:

include common/module.mk
include edp/module.mk
include librocks/module.mk
include rockd/module.mk
include flac/module.mk
include guievict/inject/module.mk
include guievict/xsession/module.mk
include guievict/module.mk
include guievict/xorg/module.mk
include tests/module.mk

all: $(LIBS_A) $(LIBS_SO) $(BINS) $(HELPERS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# ---- set-up ---------------------------------------------------------------
# Both README commands install what is missing first (quick when present).
deps:
	@tools/deps.sh

# ---- tests ----------------------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-unit check-integ

check-unit: $(UNIT_TESTS)
	@tools/run-unit.sh $(UNIT_TESTS)

check-integ: all
	@O=$(O) tools/run-integ.sh

# The whole suite again under AddressSanitizer and UBSan, in build-asan/.
# Integration tests run third-party programs (redis, python) under the
# sanitized librocks.so: leaks are checked in the unit tests, not there.
asan: deps
	@$(MAKE) --no-print-directory O=build-asan \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    all check-unit
	@EVICT_SANITIZED=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 $(MAKE) --no-print-directory O=build-asan \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    check-integ

bench: deps
	@$(MAKE) --no-print-directory all
	@O=$(O) tools/bench.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@O=$(O) tools/demo.sh

# ---- fuzzing (libFuzzer through clang) ------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_O := build-fuzz
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(FUZZ_O)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(COMMON_SRCS) $(EDP_SRCS) librocks/proto.c \
    librocks/execfmt.c librocks/ctlproto.c librocks/dgramfmt.c \
    rockd/rdproto.c
	@mkdir -p $(FUZZ_O)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

fuzz: $(FUZZ_BINS)
	@tools/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- lint -----------------------------------------------------------------
lint:
	@tools/lint.sh

# ---- install --------------------------------------------------------------
# Man pages go to the section their name ends with (flac-rpcd.8: man8).
install: all install-rocks install-rockd
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/evict \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(LIBS_SO) $(DESTDIR)$(PREFIX)/lib/evict/
	@for p in $(MAN_PAGES); do \
		d=$(DESTDIR)$(PREFIX)/share/man/man$${p##*.}; \
		install -d $$d && install -m 0644 $$p $$d/ || exit 1; \
	done
	sed 's|/usr/local|$(PREFIX)|g' flac/rpc/flac-rpcd.service \
	    >$(DESTDIR)$(PREFIX)/lib/systemd/system/flac-rpcd.service

uninstall: uninstall-rocks uninstall-rockd
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/lib/evict/,$(notdir $(LIBS_SO)))
	@for p in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(PREFIX)/share/man/man$${p##*.}/$${p##*/}; \
	done
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/flac-rpcd.service

clean:
	rm -rf build build-asan build-fuzz

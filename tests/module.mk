# tests/: Check suites (one per module), small C peers, fuzz targets.
UNIT_SRCS  := $(wildcard tests/unit/check_*.c)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)

$(O)/tests/unit/check_%: $(O)/tests/unit/check_%.o $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(O)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS     += $(HELPER_SRCS:tests/helpers/%.c=$(O)/tests/helpers/%)

$(O)/tests/helpers/%: $(O)/tests/helpers/%.o $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

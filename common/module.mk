# common/: hook-free core linked into every component (-fPIC, hidden).
COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(O)/%.o)
COMMON_LIB  := $(O)/libevict-common.a
LIBS_A      += $(COMMON_LIB)

$(COMMON_LIB): $(COMMON_OBJS)
	@rm -f $@
	ar rcs $@ $^

# edp/: the enhancement detection protocol, pure over an fd; and the `edp`
# command that probes a server or serves as an enhanced one.
EDP_SRCS := edp/edp.c edp/edp-server.c
EDP_OBJS := $(EDP_SRCS:%.c=$(O)/%.o)
EDP_LIB  := $(O)/libedp.a
LIBS_A   += $(EDP_LIB)
BINS     += $(O)/bin/edp
MAN_PAGES += docs/man/edp.1

$(EDP_LIB): $(EDP_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/bin/edp: $(O)/edp/cmd-edp.o $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# librocks/: reliable sockets.  librocks.so (LD_PRELOAD), the `rock` launcher.
ROCKS_SRCS := librocks/real.c librocks/config.c librocks/registry.c \
              librocks/rock.c librocks/io.c librocks/init.c librocks/ctl.c \
              librocks/reconnect.c librocks/proto.c librocks/hook-io.c \
              librocks/hook-socket.c librocks/hook-poll.c
ROCKS_OBJS := $(ROCKS_SRCS:%.c=$(O)/%.o)
ROCKS_SO   := $(O)/lib/librocks.so
BINS       += $(O)/bin/rock
LIBS_SO    += $(ROCKS_SO)
MAN_PAGES  += docs/man/rock.1

$(ROCKS_SO): $(ROCKS_OBJS) $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-z,defs -Wl,--version-script=librocks/librocks.map \
	    -o $@ $(ROCKS_OBJS) $(EDP_LIB) $(COMMON_LIB) $(LIBS) -ldl

$(O)/bin/rock: $(O)/librocks/cmd-rock.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# the hostile peer of the security tests speaks the rocks messages
$(O)/tests/helpers/rocks-attack: $(O)/tests/helpers/rocks-attack.o \
    $(O)/librocks/proto.o $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# librocks/: reliable sockets.  librocks.so (LD_PRELOAD), the `rock` launcher.
ROCKS_SRCS := librocks/real.c librocks/config.c librocks/registry.c \
              librocks/rock.c librocks/io.c librocks/init.c librocks/ctl.c \
              librocks/reconnect.c librocks/proto.c librocks/hook-io.c \
              librocks/hook-socket.c librocks/hook-poll.c \
              librocks/exec.c librocks/execfmt.c librocks/hook-exec.c \
              librocks/ctlproto.c librocks/ctlsock.c librocks/reapi.c \
              librocks/keep.c librocks/nbconnect.c librocks/dgram.c \
              librocks/dgramfmt.c librocks/hook-dns.c librocks/rendezvous.c
ROCKS_OBJS := $(ROCKS_SRCS:%.c=$(O)/%.o) $(O)/rockd/rdproto.o
ROCKS_SO   := $(O)/lib/librocks.so
BINS       += $(O)/bin/rock $(O)/bin/rockctl
LIBS_SO    += $(ROCKS_SO)
MAN_PAGES  += docs/man/rock.1 docs/man/rockctl.1

$(ROCKS_SO): $(ROCKS_OBJS) $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-z,defs -Wl,--version-script=librocks/librocks.map \
	    -o $@ $(ROCKS_OBJS) $(EDP_LIB) $(COMMON_LIB) $(LIBS) -ldl

# The keeper of rocks shared across fork (keep.c) is librocks's objects and
# a relay; installed beside librocks.so, where the library looks for it.
ROCKS_KEEPER := $(O)/lib/rocks-keeper
LIBS_SO      += $(ROCKS_KEEPER)

$(ROCKS_KEEPER): $(O)/librocks/rocks-keeper.o $(ROCKS_OBJS) $(EDP_LIB) \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -ldl -lpthread

$(O)/bin/rock: $(O)/librocks/cmd-rock.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# the hostile peer of the security tests speaks the rocks messages
$(O)/tests/helpers/rocks-attack: $(O)/tests/helpers/rocks-attack.o \
    $(O)/librocks/proto.o $(EDP_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# rockctl, and the Check suite of its messages: the codec alone
$(O)/bin/rockctl: $(O)/librocks/cmd-rockctl.o $(O)/librocks/ctlproto.o \
    $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/unit/check_rocks_ctl: $(O)/tests/unit/check_rocks_ctl.o \
    $(O)/librocks/ctlproto.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# The RE-API for programs: rocks.h, rocks.pc (pkg-config) and rocks(3).
.PHONY: install-rocks uninstall-rocks
install-rocks:
	install -d $(DESTDIR)$(PREFIX)/include/evict \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 0644 librocks/rocks.h $(DESTDIR)$(PREFIX)/include/evict/
	sed -e 's|@PREFIX@|$(PREFIX)|g' librocks/rocks.pc.in \
	    >$(DESTDIR)$(PREFIX)/lib/pkgconfig/rocks.pc
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/rocks.pc
	install -m 0644 docs/man/rocks.3 $(DESTDIR)$(PREFIX)/share/man/man3/

uninstall-rocks:
	rm -f $(DESTDIR)$(PREFIX)/include/evict/rocks.h \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/rocks.pc \
	    $(DESTDIR)$(PREFIX)/share/man/man3/rocks.3

# the datagram tunnel's framing, alone
$(O)/tests/unit/check_rocks_dgram: $(O)/tests/unit/check_rocks_dgram.o \
    $(O)/librocks/dgramfmt.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

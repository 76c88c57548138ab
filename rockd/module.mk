# rockd/: the rocks proxy.  rockd runs under `rock` (it re-executes itself
# so), so it links only its own modules and common; rdproto.o also goes
# into librocks.so (the client side of the general mode).
ROCKD_SRCS := rockd/rockd.c rockd/hs.c rockd/relay.c rockd/rdproto.c rockd/allow.c \
              rockd/rendezvous.c
ROCKD_OBJS := $(ROCKD_SRCS:%.c=$(O)/%.o)
BINS       += $(O)/bin/rockd

$(O)/bin/rockd: $(ROCKD_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/unit/check_rockd_proto: $(O)/tests/unit/check_rockd_proto.o \
    $(O)/rockd/rdproto.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(O)/tests/unit/check_rockd_allow: $(O)/tests/unit/check_rockd_allow.o \
    $(O)/rockd/allow.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# rockd(8), the systemd unit with the installed paths, an example configuration
.PHONY: install-rockd uninstall-rockd
install-rockd:
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/man/rockd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed -e 's|@PREFIX@|$(PREFIX)|g' rockd/rockd.service.in \
	    >$(DESTDIR)$(PREFIX)/lib/systemd/system/rockd.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/rockd.service
	install -d $(DESTDIR)$(PREFIX)/share/doc/evict
	install -m 0644 rockd/rockd.conf.example $(DESTDIR)$(PREFIX)/share/doc/evict/

uninstall-rockd:
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/rockd.service \
	    $(DESTDIR)$(PREFIX)/share/man/man8/rockd.8 \
	    $(DESTDIR)$(PREFIX)/share/doc/evict/rockd.conf.example

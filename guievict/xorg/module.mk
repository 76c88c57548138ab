# guievict/xorg/: the EVICT-GUI extension, an Xorg server module
# (libevictgui.so, loaded by `Load "evictgui"` in xorg.conf).  Built
# against xserver-xorg-dev; its headers are not warning-clean, so they are
# system headers here and the module keeps the project's warnings.
XORGMOD_PC     := $(shell pkg-config --cflags xorg-server 2>/dev/null)
XORGMOD_CFLAGS := $(patsubst -I%,-isystem %,$(XORGMOD_PC))
XORGMOD_DIR    := $(O)/xorg-modules
XORGMOD        := $(XORGMOD_DIR)/libevictgui.so
XORGMOD_SRCS   := guievict/xorg/evictgui.c

ifneq ($(XORGMOD_PC),)
LIBS_SO += $(XORGMOD)
endif

# The server's own symbols resolve at load time: no -z defs here.
$(XORGMOD): $(XORGMOD_SRCS) guievict/xorg/evictgui-proto.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -Wno-missing-prototypes $(CFLAGS) -fPIC \
	    -fvisibility=hidden -Iguievict/xorg $(XORGMOD_CFLAGS) -shared \
	    -o $@ $(XORGMOD_SRCS)

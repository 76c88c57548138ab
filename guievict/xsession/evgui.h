/*
 * evgui: the client side of the EVICT-GUI extension (guievict/xorg/, the
 * Xorg module).  The encoder and decoders are pure (bytes in, structures
 * out, every count checked against the reply's length: the decoders face
 * a server's bytes and have a fuzz target); evgui_call() in evgui-xcb.c
 * sends one request through libxcb.
 *
 * Replies are decoded in the host's byte order, as libxcb delivers them.
 */
#ifndef GV_EVGUI_H
#define GV_EVGUI_H

#include <stddef.h>
#include <stdint.h>

#include "guievict/xorg/evictgui-proto.h"

struct evgui_rect {
	int32_t x, y;
	uint32_t width, height;
};

struct evgui_gc {
	uint32_t v[EVGUI_GC_NVALUES];
	uint8_t dashes[256];
	unsigned ndashes;
	struct evgui_rect *rects;
	unsigned nrects;
};

struct evgui_window {
	uint32_t v[EVGUI_WIN_NVALUES];
};

struct evgui_cursor {
	uint32_t width, height, xhot, yhot;
	int argb;
	uint16_t fore[3], back[3];   /* red, green, blue */
	uint32_t *pixels;            /* argb: width x height */
	uint32_t *source, *mask;     /* bitmaps: height x words_per_row */
	unsigned words_per_row;
};

struct evgui_stop {
	int32_t offset;              /* 16.16 */
	uint16_t red, green, blue, alpha;
};

struct evgui_picture {
	uint32_t v[EVGUI_PIC_NVALUES];
	char filter[EVGUI_FILTER_NAME_MAX + 1];
	int32_t *params;
	unsigned nparams;
	struct evgui_rect *rects;
	unsigned nrects;
	struct evgui_stop *stops;
	unsigned nstops;
};

struct evgui_glyph {
	uint32_t id, width, height;
	int32_t x, y, xoff, yoff;
	uint8_t *image;
	uint32_t image_len;
};

struct evgui_glyphs {
	uint32_t format, depth, total, next;
	struct evgui_glyph *glyphs;
	unsigned n;                  /* decoded */
	unsigned nalloc;             /* entries of glyphs (for _free) */
};

struct evgui_selection {
	uint32_t window, mask;
};

struct evgui_dbe {
	uint32_t window, swap_action;
	uint32_t *ids;
	unsigned nids;
};

/* Pixels of a picture's drawable; data points into the reply. */
struct evgui_image {
	uint32_t width, height, depth, len;
	const uint8_t *data;
};

/* Encodes request `minor` with its fields into out (at least 16 bytes);
 * returns its length in bytes, or 0 for an unknown minor or a wrong
 * number of fields. */
size_t evgui_encode(uint8_t major, unsigned minor, const uint32_t *fields,
    unsigned nfields, uint8_t *out);

/* The expected image length of a glyph of that size and depth (the
 * wire's layout), or 0 for an unknown depth. */
uint32_t evgui_glyph_image_len(uint32_t width, uint32_t height,
    uint32_t depth);

/* Decoders: reply is the whole reply (32-byte header and body), len its
 * length.  0 on success; -1 with a reason in err.  What they allocate is
 * released by the matching _free, also after a failure. */
int evgui_decode_version(const uint8_t *reply, size_t len, uint32_t *major,
    uint32_t *minor, char *err, size_t errlen);
int evgui_decode_gc(const uint8_t *reply, size_t len, struct evgui_gc *gc,
    char *err, size_t errlen);
int evgui_decode_window(const uint8_t *reply, size_t len,
    struct evgui_window *w, char *err, size_t errlen);
int evgui_decode_cursor(const uint8_t *reply, size_t len,
    struct evgui_cursor *c, char *err, size_t errlen);
int evgui_decode_picture(const uint8_t *reply, size_t len,
    struct evgui_picture *p, char *err, size_t errlen);
int evgui_decode_glyphs(const uint8_t *reply, size_t len,
    struct evgui_glyphs *g, char *err, size_t errlen);

/* *sel is malloc'ed (NULL when there is none). */
int evgui_decode_selections(const uint8_t *reply, size_t len,
    struct evgui_selection **sel, unsigned *n, char *err, size_t errlen);
int evgui_decode_dbe(const uint8_t *reply, size_t len, struct evgui_dbe *d,
    char *err, size_t errlen);

int evgui_decode_image(const uint8_t *reply, size_t len,
    struct evgui_image *im, char *err, size_t errlen);

void evgui_gc_free(struct evgui_gc *gc);
void evgui_dbe_free(struct evgui_dbe *d);
void evgui_cursor_free(struct evgui_cursor *c);
void evgui_picture_free(struct evgui_picture *p);
void evgui_glyphs_free(struct evgui_glyphs *g);

#endif

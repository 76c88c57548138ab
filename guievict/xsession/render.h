/*
 * render: the part of a window session that only the EVICT-GUI Xorg module
 * can read back (capture-render.c): RENDER picture formats, pictures and
 * glyph sets, event selections on other clients' windows, DBE back
 * buffers; recreated with standard requests (regen-render.c).  Pure: the
 * structures and their frames in the session file (session.h's format;
 * docs/design/guievict-xorg.md describes the fields).
 */
#ifndef EVICT_GV_RENDER_H
#define EVICT_GV_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/wbuf.h"

/* Frame types (enum xs_frame's numbering). */
#define XS_FR_PICTFORMAT 280
#define XS_FR_GLYPHSET   290
#define XS_FR_PICTURE    300
#define XS_FR_SELECTION  310
#define XS_FR_DBE        320

#define XS_GLYPHS_MAX    (1u << 20)
#define XS_STOPS_MAX     4096
#define XS_PARAMS_MAX    4096

/* A direct picture format of the source server, by what it means. */
struct xs_pictformat {
	uint32_t id;
	uint8_t  type;                  /* 0 indexed, 1 direct */
	uint8_t  depth;
	uint16_t red_shift, red_mask, green_shift, green_mask;
	uint16_t blue_shift, blue_mask, alpha_shift, alpha_mask;
};

struct xs_glyph {
	uint32_t id;
	uint16_t width, height;
	int16_t  x, y, xoff, yoff;
	uint32_t image_len;
	uint8_t *image;                 /* the module's layout (evictgui-proto.h) */
};

struct xs_glyphset {
	uint32_t         id, format;
	uint8_t          depth;         /* 1, 8 or 32 */
	uint32_t         nglyphs;
	struct xs_glyph *glyphs;
};

enum xs_pic_source {
	XS_PIC_DRAWABLE = 0, XS_PIC_SOLID, XS_PIC_LINEAR, XS_PIC_RADIAL,
	XS_PIC_CONICAL,
};

struct xs_stop {
	int32_t  offset;                /* 16.16 */
	uint16_t red, green, blue, alpha;
};

struct xs_pic_rect {
	int32_t  x, y;
	uint32_t width, height;
};

struct xs_image;

struct xs_picture {
	uint32_t id;
	uint8_t  source;                /* enum xs_pic_source */
	uint32_t drawable, format;      /* XS_PIC_DRAWABLE; drawable 0: on a
	                                   pixmap whose id the client freed,
	                                   whose pixels are in contents */
	struct xs_image *contents;      /* NULL unless drawable is 0 */
	uint8_t  repeat, component_alpha, subwindow_mode, exposures;
	uint8_t  poly_edge, poly_mode;
	uint32_t alpha_map;
	int32_t  alpha_x, alpha_y;
	uint8_t  has_clip;
	int32_t  clip_x, clip_y;
	uint32_t nrects;
	struct xs_pic_rect *rects;
	uint8_t  has_transform;
	int32_t  transform[9];
	int32_t  args[6];               /* source arguments (evictgui-proto.h) */
	char     filter[65];            /* "" for the default */
	uint32_t nparams;
	int32_t *params;
	uint32_t nstops;
	struct xs_stop *stops;
};

/* The client's event selection on a window it did not create (the root:
 * property changes, say). */
struct xs_selection {
	uint32_t window, mask;
};

/* A DBE back buffer of one of the client's windows. */
struct xs_dbe {
	uint32_t buffer, window;
	uint8_t  swap_action;           /* 0 undefined .. 3 copied */
	struct xs_image *contents;      /* NULL: not read */
};

struct xs_render {
	size_t                nformats;
	struct xs_pictformat *formats;
	size_t                nglyphsets;
	struct xs_glyphset   *glyphsets;
	size_t                npictures;
	struct xs_picture    *pictures;
	size_t                nselections;
	struct xs_selection  *selections;
	size_t                ndbes;
	struct xs_dbe        *dbes;
};

void xs_render_free(struct xs_render *r);
/* Zeroed new slots at the end; NULL when out of memory. */
struct xs_pictformat *xs_render_add_format(struct xs_render *r);
struct xs_glyphset *xs_render_add_glyphset(struct xs_render *r);
struct xs_picture *xs_render_add_picture(struct xs_render *r);
struct xs_selection *xs_render_add_selection(struct xs_render *r);
struct xs_dbe *xs_render_add_dbe(struct xs_render *r);

const struct xs_pictformat *xs_render_format(const struct xs_render *r,
    uint32_t id);

/* Frame payload writers (for session.c's frame helper). */
int xs_render_put_format(struct wbuf *b, const void *format);
int xs_render_put_glyphset(struct wbuf *b, const void *glyphset);
int xs_render_put_picture(struct wbuf *b, const void *picture);
int xs_render_put_selection(struct wbuf *b, const void *selection);
int xs_render_put_dbe(struct wbuf *b, const void *dbe);
/*
 * Decodes one frame of the types above into r, checking every count
 * against the payload and every reference (formats come first, and a
 * picture's alpha map is an earlier picture).  0 or -errno.
 */
int xs_render_decode_frame(struct xs_render *r, uint16_t type,
    struct wbuf *pl);

#endif

/*
 * render: the RENDER part of a window session (picture formats, pictures,
 * glyph sets), read through the EVICT-GUI Xorg module (capture-render.c)
 * and recreated with standard RENDER requests (regen-render.c).  Pure: the
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

struct xs_picture {
	uint32_t id;
	uint8_t  source;                /* enum xs_pic_source */
	uint32_t drawable, format;      /* XS_PIC_DRAWABLE */
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

struct xs_render {
	size_t                nformats;
	struct xs_pictformat *formats;
	size_t                nglyphsets;
	struct xs_glyphset   *glyphsets;
	size_t                npictures;
	struct xs_picture    *pictures;
};

void xs_render_free(struct xs_render *r);
/* Zeroed new slots at the end; NULL when out of memory. */
struct xs_pictformat *xs_render_add_format(struct xs_render *r);
struct xs_glyphset *xs_render_add_glyphset(struct xs_render *r);
struct xs_picture *xs_render_add_picture(struct xs_render *r);

const struct xs_pictformat *xs_render_format(const struct xs_render *r,
    uint32_t id);

/* Frame payload writers (for session.c's frame helper). */
int xs_render_put_format(struct wbuf *b, const void *format);
int xs_render_put_glyphset(struct wbuf *b, const void *glyphset);
int xs_render_put_picture(struct wbuf *b, const void *picture);
/*
 * Decodes one frame of the types above into r, checking every count
 * against the payload and every reference (formats come first, and a
 * picture's alpha map is an earlier picture).  0 or -errno.
 */
int xs_render_decode_frame(struct xs_render *r, uint16_t type,
    struct wbuf *pl);

#endif

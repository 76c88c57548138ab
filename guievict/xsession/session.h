/*
 * session: the window session of one X client, as capture.c reads it from
 * a server and regen.c recreates it on another, and its file format.
 *
 * Pure: no X library.  Ids in a session are the ids of the source server;
 * atoms are source atoms, named in the atom table.  Objects are stored in
 * dependency order: a window's parent comes before it, and siblings come
 * bottom to top.  Pixels stay in the format the source server gave them,
 * described by struct xs_image, and are converted only when the target's
 * format differs.
 *
 * File format (all integers big-endian, through common/wbuf):
 *   hello  u32 XS_MAGIC | u16 XS_VERSION | u16 flags (0)
 *   frames u32 length | u16 type | payload, types in enum xs_frame,
 *          the header first, XS_FR_END last; a reader skips frame types it
 *          does not know (same major version).
 * Bump XS_VERSION when any payload below changes.
 * docs/design/guievict-xsession.md describes every field.
 */
#ifndef EVICT_GV_SESSION_H
#define EVICT_GV_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/wbuf.h"
#include "guievict/xsession/render.h"

#define XS_MAGIC     0x47565853u          /* "GVXS" */
#define XS_VERSION   1
#define XS_FILE_MAX  (512u << 20)
#define XS_FRAME_MAX (256u << 20)
#define XS_NAME_MAX  1024                 /* atom names, font names */

enum xs_frame {
	XS_FR_HEADER   = 100,
	XS_FR_ATOM     = 110,
	XS_FR_WINDOW   = 200,
	XS_FR_PIXMAP   = 210,
	XS_FR_GC       = 220,
	XS_FR_FONT     = 230,
	XS_FR_CURSOR   = 240,
	XS_FR_COLORMAP = 250,
	XS_FR_GRAB     = 260,
	XS_FR_LOSS     = 270,
	XS_FR_END      = 900,
};

/* Pixels as GetImage (ZPixmap) returned them. */
struct xs_image {
	uint16_t width, height;
	uint8_t  depth;
	uint8_t  bpp;          /* bits per pixel: 1, 4, 8, 16, 24 or 32 */
	uint8_t  pad;          /* scanline pad in bits: 8, 16 or 32 */
	uint8_t  msb_bytes;    /* image byte order is MSBFirst */
	uint8_t  msb_bits;     /* bitmap bit order is MSBFirst (bpp 1) */
	uint32_t stride;       /* bytes per scanline */
	uint8_t *data;         /* stride * height bytes; NULL: no image */
};

/* Computes the stride and allocates zeroed pixels. */
int xs_image_alloc(struct xs_image *im, uint16_t width, uint16_t height,
    uint8_t depth, uint8_t bpp, uint8_t pad, int msb_bytes, int msb_bits);
void xs_image_free(struct xs_image *im);
size_t xs_image_size(const struct xs_image *im);
uint32_t xs_image_get(const struct xs_image *im, unsigned x, unsigned y);
void xs_image_put(struct xs_image *im, unsigned x, unsigned y, uint32_t v);
/* 1 and *pixel when every pixel is the same, else 0. */
int xs_image_uniform(const struct xs_image *im, uint32_t *pixel);
/*
 * Converts src into the format described by dst's bpp, pad, msb_bytes and
 * msb_bits (dst->data is allocated here).  Pixel values are kept.
 */
int xs_image_convert(const struct xs_image *src, struct xs_image *dst);
int xs_image_equal(const struct xs_image *a, const struct xs_image *b);
/* An image in the session file's encoding (a presence byte first). */
int xs_image_encode(struct wbuf *b, const struct xs_image *im);
int xs_image_decode(struct wbuf *b, struct xs_image *im);

struct xs_rect {
	int16_t  x, y;
	uint16_t w, h;
};

struct xs_atom {
	uint32_t id;
	char    *name;
};

struct xs_prop {
	uint32_t  name, type;   /* source atoms */
	uint8_t   format;       /* 8, 16 or 32 */
	uint32_t  nitems;
	uint8_t  *data;         /* nitems * format / 8 bytes, host order */
};

enum xs_bg_kind {
	XS_BG_NONE = 0,         /* background None */
	XS_BG_PIXEL,
	XS_BG_IMAGE,            /* a pixmap, or a pattern: bg_image tiles it */
	XS_BG_UNKNOWN,          /* not viewable at capture: cannot probe */
};

enum xs_cmap_kind {
	XS_CMAP_NONE = 0,       /* InputOnly */
	XS_CMAP_DEFAULT,        /* the screen's default colormap */
	XS_CMAP_OWN,            /* one of the client's colormaps */
	XS_CMAP_FOREIGN,        /* another client's: regenerated as default */
};

enum xs_shape_kind { XS_SHAPE_BOUNDING = 0, XS_SHAPE_CLIP, XS_SHAPE_INPUT };

struct xs_window {
	uint32_t        id;
	uint32_t        parent;          /* 0: top level (child of the root, or
	                                    of another client's window) */
	int16_t         x, y;            /* top level: relative to the root */
	uint16_t        width, height, border_width;
	uint8_t         cls;             /* 1 InputOutput, 2 InputOnly */
	uint8_t         depth;
	uint32_t        visual;          /* source visual id */
	uint8_t         visual_class;
	uint8_t         bit_gravity, win_gravity, backing_store;
	uint32_t        backing_planes, backing_pixel;
	uint8_t         save_under, override_redirect;
	uint8_t         map_state;       /* 0 unmapped, 1 unviewable, 2 viewable */
	uint32_t        event_mask;      /* all clients' masks but the capturer's */
	uint32_t        dont_propagate;
	uint8_t         cmap_kind;       /* enum xs_cmap_kind */
	uint32_t        colormap;
	uint8_t         cursor_known;
	uint32_t        cursor;          /* 0: None (the parent's shows) */
	uint8_t         bg_kind;         /* enum xs_bg_kind */
	uint32_t        bg_pixel;
	struct xs_image bg_image;
	uint8_t         border_known;
	uint32_t        border_pixel;
	struct xs_image contents;        /* what the window showed */
	uint8_t         shaped;          /* bit k: shape kind k is set */
	uint32_t        nrects[3];
	struct xs_rect *rects[3];
	uint32_t        nprops;
	struct xs_prop *props;
};

struct xs_pixmap {
	uint32_t        id;
	uint16_t        width, height;
	uint8_t         depth;
	struct xs_image image;
};

/* GC components, by bit of the X value mask. */
enum xs_gc_bit {
	XS_GC_FUNCTION = 0, XS_GC_PLANE_MASK, XS_GC_FOREGROUND,
	XS_GC_BACKGROUND, XS_GC_LINE_WIDTH, XS_GC_LINE_STYLE, XS_GC_CAP_STYLE,
	XS_GC_JOIN_STYLE, XS_GC_FILL_STYLE, XS_GC_FILL_RULE, XS_GC_TILE,
	XS_GC_STIPPLE, XS_GC_TS_X, XS_GC_TS_Y, XS_GC_FONT, XS_GC_SUBWINDOW_MODE,
	XS_GC_EXPOSURES, XS_GC_CLIP_X, XS_GC_CLIP_Y, XS_GC_CLIP_MASK,
	XS_GC_DASH_OFFSET, XS_GC_DASHES, XS_GC_ARC_MODE,
	XS_GC_NVALUES
};

struct xs_gc {
	uint32_t        id;
	uint8_t         depth;
	uint32_t        known;           /* bits of recovered values */
	uint32_t        values[XS_GC_NVALUES];
	char           *font_name;       /* XLFD of the GC's font; NULL: none */
	uint8_t         ndashes;
	uint8_t        *dashes;
	struct xs_image clip;            /* depth 1, 1 = drawn; NULL data: none */
	struct xs_image tile;            /* fill pattern of Tiled fills */
	struct xs_image stipple;         /* depth 1, of (Opaque)Stippled fills */
};

struct xs_fontgeom {
	int16_t ascent, descent;         /* font_ascent, font_descent */
	int16_t min_width, max_width;    /* bounds' character widths */
	int32_t avg_width;               /* tenths of pixels */
};

struct xs_font {
	uint32_t           id;
	char              *name;         /* XLFD from the FONT property */
	struct xs_fontgeom geom;
};

struct xs_cursor {
	uint32_t  id;
	uint16_t  width, height, xhot, yhot;
	uint32_t *argb;                  /* width * height; NULL: unknown */
};

struct xs_colormap {
	uint32_t  id;
	uint32_t  visual;
	uint8_t   visual_class;
	uint32_t  ncells;
	uint16_t *rgb;                   /* 3 * ncells (dynamic visuals) */
};

struct xs_grab {
	uint32_t window;
	uint8_t  key;                    /* 0: GrabButton, 1: GrabKey */
	uint8_t  detail;                 /* button or keycode, 0: any */
	uint16_t modifiers;              /* 0x8000: AnyModifier */
};

/* State that was not captured: tolerated, or refused under XS_CAP_PARTIAL. */
struct xs_loss {
	char    *type;                   /* X-Resource type name */
	uint32_t count;
	char    *what;
};

struct xs_session {
	uint32_t client_base, client_mask;
	uint32_t root, root_visual, default_colormap;
	uint16_t screen_width, screen_height;
	uint8_t  root_depth;
	uint8_t  root_visual_class;      /* pixel values mean what these say */
	uint32_t red_mask, green_mask, blue_mask;
	uint32_t flags;                  /* XS_SF_* */

	size_t              natoms;
	struct xs_atom     *atoms;
	size_t              nwindows;
	struct xs_window   *windows;
	size_t              npixmaps;
	struct xs_pixmap   *pixmaps;
	size_t              ngcs;
	struct xs_gc       *gcs;
	size_t              nfonts;
	struct xs_font     *fonts;
	size_t              ncursors;
	struct xs_cursor   *cursors;
	size_t              ncolormaps;
	struct xs_colormap *colormaps;
	size_t              ngrabs;
	struct xs_grab     *grabs;
	size_t              nlosses;
	struct xs_loss     *losses;
	struct xs_render    render;      /* RENDER state (module capture) */
};

#define XS_SF_PARTIAL  0x1   /* refused types were skipped (losses) */

struct xs_session *xs_session_new(void);
void xs_session_free(struct xs_session *s);

/* Zeroed new slots at the end of an array; NULL when out of memory. */
struct xs_window *xs_session_add_window(struct xs_session *s);
struct xs_pixmap *xs_session_add_pixmap(struct xs_session *s);
struct xs_gc *xs_session_add_gc(struct xs_session *s);
struct xs_font *xs_session_add_font(struct xs_session *s);
struct xs_cursor *xs_session_add_cursor(struct xs_session *s);
struct xs_colormap *xs_session_add_colormap(struct xs_session *s);
struct xs_grab *xs_session_add_grab(struct xs_session *s);
int xs_session_add_loss(struct xs_session *s, const char *type,
    uint32_t count, const char *what);
/* Records an atom's name once (a copy of name); 0 or -errno. */
int xs_session_add_atom(struct xs_session *s, uint32_t id, const char *name);
const char *xs_session_atom_name(const struct xs_session *s, uint32_t id);
struct xs_prop *xs_window_add_prop(struct xs_window *w);

const struct xs_window *xs_session_window(const struct xs_session *s,
    uint32_t id);

int xs_session_encode(const struct xs_session *s, struct wbuf *out);
/*
 * Decodes a whole session file.  Checks every length, count and reference
 * (a window's parent is an earlier window; atoms used are in the table).
 */
int xs_session_decode(const uint8_t *p, size_t n, struct xs_session **out);

/* ---- old id -> new id ---------------------------------------------------- */

enum xs_id_kind {
	XS_ID_WINDOW = 1, XS_ID_PIXMAP, XS_ID_GC, XS_ID_FONT, XS_ID_CURSOR,
	XS_ID_COLORMAP, XS_ID_ATOM, XS_ID_VISUAL, XS_ID_PICTURE,
	XS_ID_GLYPHSET, XS_ID_PICTFORMAT, XS_ID_BACKBUFFER,
};

struct xs_idpair {
	uint32_t old_id, new_id;
	uint8_t  kind;
};

struct xs_idmap {
	struct xs_idpair *v;             /* sorted by (kind, old_id) */
	size_t            n, cap;
};

void xs_idmap_init(struct xs_idmap *m);
void xs_idmap_free(struct xs_idmap *m);
/* Adds or replaces; 0 or -ENOMEM. */
int xs_idmap_add(struct xs_idmap *m, int kind, uint32_t old_id,
    uint32_t new_id);
/* The new id, or 0 when old_id is not in the map. */
uint32_t xs_idmap_get(const struct xs_idmap *m, int kind, uint32_t old_id);
const char *xs_id_kind_name(int kind);

#endif

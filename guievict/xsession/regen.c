/* regen: see regen.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xcb/render.h>
#include <xcb/shape.h>

#include "common/log.h"
#include "guievict/xsession/fontmatch.h"
#include "guievict/xsession/regen.h"
#include "guievict/xsession/regen-render.h"

#define RG_MAXDEPTHS 8
#define RG_FONT_LIST_MAX 2000

struct rg_depth {           /* a scratch drawable and GC per depth */
	uint8_t  depth;
	uint32_t pix, gc;
};

struct rg_pending {         /* a checked request not waited for yet */
	unsigned int sequence;
	char         what[96];
};

struct rg {
	xcb_connection_t        *c;
	const xcb_setup_t       *setup;
	xcb_screen_t            *screen;
	const struct xs_session *s;
	struct xs_idmap         *map;
	struct rg_depth          depths[RG_MAXDEPTHS];
	int                      ndepths;
	char                   **cause;
	struct rg_pending       *pend;     /* checked in order by rg_settle */
	size_t                   npend, pendcap;
	struct rg_tmpfont {                /* GC fonts not in the session */
		const char *name;
		uint32_t    id;
	}                       *tmpfonts;
	size_t                   ntmpfonts;
};

static void
rg_cause(struct rg *g, const char *fmt, ...)
{
	va_list ap;

	if (g->cause == NULL)
		return;
	free(*g->cause);
	*g->cause = NULL;
	va_start(ap, fmt);
	if (vasprintf(g->cause, fmt, ap) < 0)
		*g->cause = NULL;
	va_end(ap);
}

static uint64_t
rg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * A checked request whose answer is waited for later, by rg_settle, with
 * the others: the requests go out back to back instead of one round trip
 * each.  what says what failed, if it does.  0 or -ENOMEM.
 */
__attribute__((format(printf, 3, 4)))
static int
rg_defer(struct rg *g, xcb_void_cookie_t ck, const char *fmt, ...)
{
	struct rg_pending *p;
	va_list ap;

	if (g->npend == g->pendcap) {
		size_t cap = g->pendcap ? g->pendcap * 2 : 64;

		if ((p = realloc(g->pend, cap * sizeof *p)) == NULL) {
			free(xcb_request_check(g->c, ck));
			rg_cause(g, "out of memory");
			return -ENOMEM;
		}
		g->pend = p;
		g->pendcap = cap;
	}
	p = &g->pend[g->npend++];
	p->sequence = ck.sequence;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof p->what, fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * Waits for every deferred request (one round trip for all); the first
 * that failed is the cause.  0 or -EIO.
 */
static int
rg_settle(struct rg *g)
{
	xcb_generic_error_t *e;
	xcb_void_cookie_t ck;
	size_t i;
	int r = 0;

	for (i = 0; i < g->npend; i++) {
		ck.sequence = g->pend[i].sequence;
		if ((e = xcb_request_check(g->c, ck)) == NULL)
			continue;
		if (r == 0) {
			rg_cause(g, "%s failed (X error %d)", g->pend[i].what,
			    e->error_code);
			r = -EIO;
		}
		free(e);
	}
	g->npend = 0;
	return r;
}

/* Waits for a checked request; 0 or the X error code. */
static int
rg_check(struct rg *g, xcb_void_cookie_t ck)
{
	xcb_generic_error_t *e = xcb_request_check(g->c, ck);
	int code;

	if (e == NULL)
		return 0;
	code = e->error_code;
	free(e);
	return code;
}

static const xcb_format_t *
rg_format(struct rg *g, uint8_t depth)
{
	xcb_format_iterator_t it = xcb_setup_pixmap_formats_iterator(g->setup);

	for (; it.rem; xcb_format_next(&it))
		if (it.data->depth == depth)
			return it.data;
	return NULL;
}

static const xcb_visualtype_t *
rg_visual(struct rg *g, uint32_t id, uint8_t *depth)
{
	xcb_depth_iterator_t d = xcb_screen_allowed_depths_iterator(g->screen);
	xcb_visualtype_iterator_t v;

	for (; d.rem; xcb_depth_next(&d)) {
		v = xcb_depth_visuals_iterator(d.data);
		for (; v.rem; xcb_visualtype_next(&v)) {
			if (v.data->visual_id == id) {
				if (depth != NULL)
					*depth = d.data->depth;
				return v.data;
			}
		}
	}
	return NULL;
}

/* A target visual of the class and depth; the root visual first. */
static uint32_t
rg_visual_like(struct rg *g, uint8_t cls, uint8_t depth)
{
	xcb_depth_iterator_t d = xcb_screen_allowed_depths_iterator(g->screen);
	xcb_visualtype_iterator_t v;
	const xcb_visualtype_t *rv;
	uint8_t rd;

	rv = rg_visual(g, g->screen->root_visual, &rd);
	if (rv != NULL && rv->_class == cls && rd == depth)
		return rv->visual_id;
	for (; d.rem; xcb_depth_next(&d)) {
		if (d.data->depth != depth)
			continue;
		v = xcb_depth_visuals_iterator(d.data);
		for (; v.rem; xcb_visualtype_next(&v))
			if (v.data->_class == cls)
				return v.data->visual_id;
	}
	return 0;
}

static struct rg_depth *
rg_depth(struct rg *g, uint8_t depth)
{
	struct rg_depth *d;
	uint32_t v = 0;
	int i;

	for (i = 0; i < g->ndepths; i++)
		if (g->depths[i].depth == depth)
			return &g->depths[i];
	if (g->ndepths == RG_MAXDEPTHS || rg_format(g, depth) == NULL)
		return NULL;
	d = &g->depths[g->ndepths];
	d->depth = depth;
	d->pix = xcb_generate_id(g->c);
	d->gc = xcb_generate_id(g->c);
	if (rg_defer(g, xcb_create_pixmap_checked(g->c, depth, d->pix,
	    g->screen->root, 1, 1), "a scratch pixmap of depth %u", depth) != 0)
		return NULL;
	xcb_create_gc(g->c, d->gc, d->pix, XCB_GC_GRAPHICS_EXPOSURES, &v);
	g->ndepths++;
	return d;
}

static void
rg_depths_free(struct rg *g)
{
	int i;

	for (i = 0; i < g->ndepths; i++) {
		xcb_free_gc(g->c, g->depths[i].gc);
		xcb_free_pixmap(g->c, g->depths[i].pix);
	}
	g->ndepths = 0;
}

/* The image in the target's format for its depth (a copy when needed). */
static int
rg_image_for_target(struct rg *g, const struct xs_image *im,
    struct xs_image *tmp, const struct xs_image **out)
{
	const xcb_format_t *f = rg_format(g, im->depth);
	int msb_bytes = g->setup->image_byte_order == XCB_IMAGE_ORDER_MSB_FIRST;
	int msb_bits = g->setup->bitmap_format_bit_order ==
	    XCB_IMAGE_ORDER_MSB_FIRST;

	memset(tmp, 0, sizeof *tmp);
	if (f == NULL)
		return -ENOTSUP;
	if (f->bits_per_pixel == im->bpp && f->scanline_pad == im->pad &&
	    (im->bpp <= 1 ? 1 : msb_bytes == im->msb_bytes) &&
	    (im->bpp != 1 || (msb_bits == im->msb_bits &&
	    msb_bytes == im->msb_bytes))) {
		*out = im;
		return 0;
	}
	tmp->bpp = f->bits_per_pixel;
	tmp->pad = f->scanline_pad;
	tmp->msb_bytes = (uint8_t)msb_bytes;
	tmp->msb_bits = (uint8_t)msb_bits;
	*out = tmp;
	return xs_image_convert(im, tmp);
}

/* PutImage of a whole image at (x, y), in strips under the request limit. */
static int
rg_put_image(struct rg *g, uint32_t drawable, uint32_t gc,
    const struct xs_image *src, int16_t x, int16_t y)
{
	const struct xs_image *im;
	struct xs_image tmp;
	uint32_t maxbytes;
	unsigned rows, y0, n;
	int r;

	if ((r = rg_image_for_target(g, src, &tmp, &im)) < 0)
		return r;
	maxbytes = xcb_get_maximum_request_length(g->c) * 4u;
	if (maxbytes > (16u << 20))
		maxbytes = 16u << 20;
	rows = im->stride ? (maxbytes - 64) / im->stride : im->height;
	if (rows == 0) {
		xs_image_free(&tmp);
		return -EMSGSIZE;
	}
	for (y0 = 0; y0 < im->height; y0 += n) {
		n = im->height - y0 < rows ? im->height - y0 : rows;
		xcb_put_image(g->c, XCB_IMAGE_FORMAT_Z_PIXMAP, drawable, gc,
		    im->width, (uint16_t)n, x, (int16_t)(y + (int)y0), 0,
		    im->depth, (uint32_t)im->stride * n,
		    im->data + (size_t)y0 * im->stride);
	}
	xs_image_free(&tmp);
	return 0;
}

/* A new pixmap holding an image; 0 on failure. */
static uint32_t
rg_pixmap_of(struct rg *g, const struct xs_image *im)
{
	struct rg_depth *d = rg_depth(g, im->depth);
	uint32_t pm;

	if (d == NULL || im->width == 0 || im->height == 0)
		return 0;
	pm = xcb_generate_id(g->c);
	if (rg_defer(g, xcb_create_pixmap_checked(g->c, im->depth, pm,
	    g->screen->root, im->width, im->height), "CreatePixmap %ux%u",
	    im->width, im->height) != 0)
		return 0;
	if (rg_put_image(g, pm, d->gc, im, 0, 0) < 0) {
		xcb_free_pixmap(g->c, pm);
		return 0;
	}
	return pm;
}

/* ---- atoms, visuals, colormaps ----------------------------------------------------- */

static uint32_t
rg_atom(struct rg *g, uint32_t old)
{
	if (old <= 68)
		return old;
	return xs_idmap_get(g->map, XS_ID_ATOM, old);
}

static int
rg_atoms(struct rg *g)
{
	xcb_intern_atom_cookie_t *ck;
	xcb_intern_atom_reply_t *r;
	size_t i;
	int rv = 0;

	if (g->s->natoms == 0)
		return 0;
	ck = calloc(g->s->natoms, sizeof *ck);
	if (ck == NULL)
		return -ENOMEM;
	for (i = 0; i < g->s->natoms; i++)
		ck[i] = xcb_intern_atom(g->c, 0,
		    (uint16_t)strlen(g->s->atoms[i].name), g->s->atoms[i].name);
	for (i = 0; i < g->s->natoms; i++) {
		r = xcb_intern_atom_reply(g->c, ck[i], NULL);
		if (r == NULL) {
			if (rv == 0) {
				rg_cause(g, "InternAtom %s failed",
				    g->s->atoms[i].name);
				rv = -EIO;
			}
			continue;
		}
		if (rv == 0)
			rv = xs_idmap_add(g->map, XS_ID_ATOM, g->s->atoms[i].id,
			    r->atom);
		free(r);
	}
	free(ck);
	return rv;
}

static int
rg_check_pixels(struct rg *g)
{
	const xcb_visualtype_t *rv = rg_visual(g, g->screen->root_visual, NULL);
	const struct xs_session *s = g->s;

	if (rv == NULL)
		return -EIO;
	if (s->root_depth != g->screen->root_depth ||
	    s->root_visual_class != rv->_class ||
	    ((rv->_class == XCB_VISUAL_CLASS_TRUE_COLOR ||
	    rv->_class == XCB_VISUAL_CLASS_DIRECT_COLOR) &&
	    (s->red_mask != rv->red_mask || s->green_mask != rv->green_mask ||
	    s->blue_mask != rv->blue_mask))) {
		rg_cause(g, "pixel formats differ: the session's root is depth %u "
		    "class %u masks %06x/%06x/%06x, the display's depth %u class %u "
		    "masks %06x/%06x/%06x (pixel translation is not done)",
		    s->root_depth, s->root_visual_class, s->red_mask,
		    s->green_mask, s->blue_mask, g->screen->root_depth, rv->_class,
		    rv->red_mask, rv->green_mask, rv->blue_mask);
		return -ENOTSUP;
	}
	return xs_idmap_add(g->map, XS_ID_VISUAL, s->root_visual,
	    g->screen->root_visual);
}

static int
rg_map_visual(struct rg *g, uint32_t old, uint8_t cls, uint8_t depth)
{
	uint32_t nv;

	if (xs_idmap_get(g->map, XS_ID_VISUAL, old) != 0)
		return 0;
	nv = rg_visual_like(g, cls, depth);
	if (nv == 0) {
		rg_cause(g, "the display has no visual of class %u and depth %u",
		    cls, depth);
		return -ENOTSUP;
	}
	return xs_idmap_add(g->map, XS_ID_VISUAL, old, nv);
}

static int
rg_colormaps(struct rg *g)
{
	const struct xs_colormap *m;
	const xcb_visualtype_t *vt;
	xcb_alloc_color_cells_reply_t *ac;
	xcb_coloritem_t *items;
	uint32_t id, *pix, i;
	uint8_t depth = 0;
	size_t k;
	int r;

	for (k = 0; k < g->s->ncolormaps; k++) {
		m = &g->s->colormaps[k];
		if (xs_idmap_get(g->map, XS_ID_VISUAL, m->visual) == 0) {
			/* the depth of the source visual is that of a window */
			const struct xs_window *w = NULL;
			size_t j;

			for (j = 0; j < g->s->nwindows; j++)
				if (g->s->windows[j].visual == m->visual)
					w = &g->s->windows[j];
			depth = w != NULL ? w->depth : g->screen->root_depth;
			if ((r = rg_map_visual(g, m->visual, m->visual_class,
			    depth)) < 0)
				return r;
		}
		id = xcb_generate_id(g->c);
		if (rg_check(g, xcb_create_colormap_checked(g->c,
		    XCB_COLORMAP_ALLOC_NONE, id, g->screen->root,
		    xs_idmap_get(g->map, XS_ID_VISUAL, m->visual))) != 0) {
			rg_cause(g, "creating colormap for 0x%x failed", m->id);
			return -EIO;
		}
		if ((r = xs_idmap_add(g->map, XS_ID_COLORMAP, m->id, id)) < 0)
			return r;
		vt = rg_visual(g, xs_idmap_get(g->map, XS_ID_VISUAL, m->visual),
		    NULL);
		if (m->ncells == 0 || vt == NULL || !(vt->_class & 1))
			continue;
		ac = xcb_alloc_color_cells_reply(g->c, xcb_alloc_color_cells(g->c,
		    0, id, (uint16_t)m->ncells, 0), NULL);
		if (ac == NULL ||
		    (uint32_t)xcb_alloc_color_cells_pixels_length(ac) != m->ncells) {
			free(ac);
			rg_cause(g, "colormap 0x%x: cannot allocate %u cells", m->id,
			    m->ncells);
			return -ENOSPC;
		}
		pix = xcb_alloc_color_cells_pixels(ac);
		items = calloc(m->ncells, sizeof *items);
		if (items == NULL) {
			free(ac);
			return -ENOMEM;
		}
		for (i = 0; i < m->ncells; i++) {
			if (pix[i] != i) {
				free(ac);
				free(items);
				rg_cause(g, "colormap 0x%x: cell %u came back as pixel "
				    "%u", m->id, i, pix[i]);
				return -ENOTSUP;
			}
			items[i].pixel = i;
			items[i].red = m->rgb[3 * i];
			items[i].green = m->rgb[3 * i + 1];
			items[i].blue = m->rgb[3 * i + 2];
			items[i].flags = XCB_COLOR_FLAG_RED | XCB_COLOR_FLAG_GREEN |
			    XCB_COLOR_FLAG_BLUE;
		}
		xcb_store_colors(g->c, id, m->ncells, items);
		free(items);
		free(ac);
	}
	return 0;
}

/* ---- pixmaps, fonts, cursors ------------------------------------------------------- */

static int
rg_pixmaps(struct rg *g)
{
	const struct xs_pixmap *p;
	struct rg_depth *d;
	uint32_t id;
	size_t k;
	int r;

	for (k = 0; k < g->s->npixmaps; k++) {
		p = &g->s->pixmaps[k];
		d = rg_depth(g, p->depth);
		id = xcb_generate_id(g->c);
		if (d == NULL) {
			rg_cause(g, "cannot create pixmap 0x%x (%ux%u, depth %u)",
			    p->id, p->width, p->height, p->depth);
			return -ENOTSUP;
		}
		if ((r = rg_defer(g, xcb_create_pixmap_checked(g->c, p->depth,
		    id, g->screen->root, p->width, p->height),
		    "CreatePixmap for 0x%x (%ux%u, depth %u)", p->id, p->width,
		    p->height, p->depth)) < 0)
			return r;
		if ((r = xs_idmap_add(g->map, XS_ID_PIXMAP, p->id, id)) < 0)
			return r;
		if (p->image.data != NULL &&
		    (r = rg_put_image(g, id, d->gc, &p->image, 0, 0)) < 0) {
			rg_cause(g, "pixmap 0x%x: contents: %s", p->id, strerror(-r));
			return r;
		}
	}
	return 0;
}

static void
rg_geom_of(const xcb_list_fonts_with_info_reply_t *r, uint32_t avg_atom,
    struct xs_fontgeom *geom)
{
	xcb_fontprop_t *pr = xcb_list_fonts_with_info_properties(r);
	int i, n = xcb_list_fonts_with_info_properties_length(r);

	memset(geom, 0, sizeof *geom);
	geom->ascent = r->font_ascent;
	geom->descent = r->font_descent;
	geom->min_width = r->min_bounds.character_width;
	geom->max_width = r->max_bounds.character_width;
	geom->avg_width = (geom->min_width + geom->max_width) * 5;
	for (i = 0; i < n; i++)
		if (avg_atom != 0 && pr[i].name == avg_atom)
			geom->avg_width = (int32_t)pr[i].value;
}

/* "-*-...-*-REGISTRY-ENCODING" for an XLFD name, else "*". */
static void
rg_font_pattern(const char *name, char *pat, size_t patsz)
{
	const char *p = name;
	int dashes = 0;

	snprintf(pat, patsz, "*");
	if (name == NULL || name[0] != '-')
		return;
	for (; *p != '\0'; p++) {
		if (*p == '-' && ++dashes == 13) {
			snprintf(pat, patsz, "-*-*-*-*-*-*-*-*-*-*-*-*%s", p);
			return;
		}
	}
}

/* Appends the geometry and name of every font matching pat. */
static int
rg_font_list(xcb_connection_t *c, const char *pat, uint32_t avg_atom,
    struct xs_fontgeom **cands, char ***names, size_t *n)
{
	xcb_list_fonts_with_info_cookie_t ck;
	xcb_list_fonts_with_info_reply_t *r;
	struct xs_fontgeom *ng;
	char **nn;
	int rv = 0;

	ck = xcb_list_fonts_with_info(c, RG_FONT_LIST_MAX, (uint16_t)strlen(pat),
	    pat);
	while ((r = xcb_list_fonts_with_info_reply(c, ck, NULL)) != NULL) {
		if (r->name_len == 0) {
			free(r);
			break;
		}
		ng = realloc(*cands, (*n + 1) * sizeof **cands);
		if (ng != NULL)
			*cands = ng;
		nn = realloc(*names, (*n + 1) * sizeof **names);
		if (nn != NULL)
			*names = nn;
		if (ng == NULL || nn == NULL || rv < 0) {
			free(r);
			rv = -ENOMEM;
			continue;     /* drain the replies */
		}
		rg_geom_of(r, avg_atom, &(*cands)[*n]);
		(*names)[*n] = strndup(xcb_list_fonts_with_info_name(r),
		    (size_t)xcb_list_fonts_with_info_name_length(r));
		free(r);
		if ((*names)[*n] == NULL) {
			rv = -ENOMEM;
			continue;
		}
		(*n)++;
	}
	return rv;
}

int
xs_regen_font_name(xcb_connection_t *c, const char *name,
    const struct xs_fontgeom *geom, char **out)
{
	xcb_intern_atom_reply_t *aw;
	struct xs_fontgeom *cands = NULL;
	char **names = NULL, pat[XS_NAME_MAX + 64];
	uint32_t fid, avg;
	size_t n = 0, i;
	int best, rv;

	*out = NULL;
	if (name != NULL) {
		fid = xcb_generate_id(c);
		xcb_void_cookie_t oc = xcb_open_font_checked(c, fid,
		    (uint16_t)strlen(name), name);
		xcb_generic_error_t *e = xcb_request_check(c, oc);

		if (e == NULL) {
			xcb_close_font(c, fid);
			*out = strdup(name);
			return *out == NULL ? -ENOMEM : 0;
		}
		free(e);
	}
	aw = xcb_intern_atom_reply(c, xcb_intern_atom(c, 1, 13, "AVERAGE_WIDTH"),
	    NULL);
	avg = aw != NULL ? aw->atom : 0;
	free(aw);
	/* the same charset first; any font when none has it */
	rg_font_pattern(name, pat, sizeof pat);
	rv = rg_font_list(c, pat, avg, &cands, &names, &n);
	if (rv == 0 && n == 0 && strcmp(pat, "*") != 0)
		rv = rg_font_list(c, "*", avg, &cands, &names, &n);
	if (rv == 0) {
		best = xs_font_match(geom, name, cands,
		    (const char *const *)names, n);
		if (best < 0)
			rv = -ENOENT;
		else if ((*out = strdup(names[best])) == NULL)
			rv = -ENOMEM;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(cands);
	return rv;
}

/* Opens the font named (or its closest match) as id; 0 or -errno. */
static int
rg_open_font(struct rg *g, uint32_t id, const char *name,
    const struct xs_fontgeom *geom)
{
	char *use = NULL;
	int r;

	if ((r = xs_regen_font_name(g->c, name, geom, &use)) < 0) {
		rg_cause(g, "no font on the display like %s",
		    name != NULL ? name : "(unnamed font)");
		return r;
	}
	if (name == NULL || strcmp(use, name) != 0)
		log_info("font %s is missing; using %s",
		    name != NULL ? name : "(unnamed)", use);
	r = rg_check(g, xcb_open_font_checked(g->c, id, (uint16_t)strlen(use),
	    use));
	if (r != 0)
		rg_cause(g, "OpenFont %s failed (X error %d)", use, r);
	free(use);
	return r != 0 ? -EIO : 0;
}

/* See xs_regen_set_font_defer() in regen.h. */
static xs_font_defer_fn rg_font_defer;
static void *rg_font_defer_arg;

void
xs_regen_set_font_defer(xs_font_defer_fn fn, void *arg)
{
	rg_font_defer = fn;
	rg_font_defer_arg = arg;
}

/* A font of the session that no GC of it uses. */
static int
rg_font_unused(const struct rg *g, const struct xs_font *f)
{
	size_t k;

	if (f->name == NULL)
		return 0;
	for (k = 0; k < g->s->ngcs; k++)
		if (g->s->gcs[k].font_name != NULL &&
		    strcmp(g->s->gcs[k].font_name, f->name) == 0)
			return 0;
	return 1;
}

/*
 * Every font opened by its name at once, answers waited for together (the
 * server loads each one once: a probe by name first would load, free and
 * load it again); a font the display lacks then gets its closest match.
 */
static int
rg_fonts(struct rg *g)
{
	const struct xs_font *f;
	xcb_void_cookie_t *ck;
	xcb_generic_error_t *e;
	uint32_t *ids;
	size_t k, n = g->s->nfonts;
	int r = 0;

	if (n == 0)
		return 0;
	ck = calloc(n, sizeof *ck);
	ids = calloc(n, sizeof *ids);
	if (ck == NULL || ids == NULL) {
		free(ck);
		free(ids);
		rg_cause(g, "out of memory");
		return -ENOMEM;
	}
	for (k = 0; k < n; k++) {
		f = &g->s->fonts[k];
		if (rg_font_defer != NULL && rg_font_unused(g, f) &&
		    (ids[k] = rg_font_defer(rg_font_defer_arg, f)) != 0) {
			ck[k].sequence = 0;	/* the caller's, later */
			continue;
		}
		ids[k] = xcb_generate_id(g->c);
		if (f->name != NULL)
			ck[k] = xcb_open_font_checked(g->c, ids[k],
			    (uint16_t)strlen(f->name), f->name);
	}
	for (k = 0; k < n; k++) {
		f = &g->s->fonts[k];
		if (f->name != NULL && ck[k].sequence == 0) {
			if (r == 0)
				r = xs_idmap_add(g->map, XS_ID_FONT, f->id, ids[k]);
			continue;
		}
		e = f->name != NULL ? xcb_request_check(g->c, ck[k]) : NULL;
		if (r == 0 && (f->name == NULL || e != NULL))
			r = rg_open_font(g, ids[k], f->name, &f->geom);
		free(e);
		if (r == 0)
			r = xs_idmap_add(g->map, XS_ID_FONT, f->id, ids[k]);
	}
	free(ck);
	free(ids);
	return r;
}

static uint32_t
rg_argb_format(struct rg *g)
{
	xcb_render_query_pict_formats_reply_t *r;
	xcb_render_pictforminfo_iterator_t it;
	const xcb_query_extension_reply_t *qe;
	uint32_t id = 0;

	qe = xcb_get_extension_data(g->c, &xcb_render_id);
	if (qe == NULL || !qe->present)
		return 0;
	r = xcb_render_query_pict_formats_reply(g->c,
	    xcb_render_query_pict_formats(g->c), NULL);
	if (r == NULL)
		return 0;
	it = xcb_render_query_pict_formats_formats_iterator(r);
	for (; it.rem; xcb_render_pictforminfo_next(&it)) {
		const xcb_render_pictforminfo_t *f = it.data;

		if (f->type == XCB_RENDER_PICT_TYPE_DIRECT && f->depth == 32 &&
		    f->direct.alpha_shift == 24 && f->direct.alpha_mask == 0xff &&
		    f->direct.red_shift == 16 && f->direct.green_shift == 8 &&
		    f->direct.blue_shift == 0) {
			id = f->id;
			break;
		}
	}
	free(r);
	return id;
}

/* A cursor from an ARGB image: a core cursor when it has two colours. */
static int
rg_cursor(struct rg *g, const struct xs_cursor *cu, uint32_t id)
{
	struct xs_image src, mask, argb;
	uint32_t col[2] = { 0, 0 }, px, a, sp, mp, pid, fmt;
	size_t i, n = (size_t)cu->width * cu->height;
	int ncol = 0, core = 1, r, j;

	for (i = 0; i < n; i++) {
		px = cu->argb[i];
		a = px >> 24;
		if (a == 0)
			continue;
		if (a != 0xff) {
			core = 0;
			break;
		}
		for (j = 0; j < ncol; j++)
			if (col[j] == (px & 0xffffff))
				break;
		if (j == ncol) {
			if (ncol == 2) {
				core = 0;
				break;
			}
			col[ncol++] = px & 0xffffff;
		}
	}
	if (core) {
		if ((r = xs_image_alloc(&src, cu->width, cu->height, 1, 1, 32, 0,
		    0)) < 0)
			return r;
		if ((r = xs_image_alloc(&mask, cu->width, cu->height, 1, 1, 32, 0,
		    0)) < 0) {
			xs_image_free(&src);
			return r;
		}
		for (i = 0; i < n; i++) {
			px = cu->argb[i];
			xs_image_put(&mask, (unsigned)(i % cu->width),
			    (unsigned)(i / cu->width), (px >> 24) != 0);
			xs_image_put(&src, (unsigned)(i % cu->width),
			    (unsigned)(i / cu->width),
			    (px >> 24) != 0 && (px & 0xffffff) == col[0]);
		}
		sp = rg_pixmap_of(g, &src);
		mp = rg_pixmap_of(g, &mask);
		xs_image_free(&src);
		xs_image_free(&mask);
		if (sp == 0 || mp == 0)
			return -EIO;
		r = rg_defer(g, xcb_create_cursor_checked(g->c, id, sp, mp,
		    (uint16_t)((col[0] >> 16 & 0xff) * 257),
		    (uint16_t)((col[0] >> 8 & 0xff) * 257),
		    (uint16_t)((col[0] & 0xff) * 257),
		    (uint16_t)((col[1] >> 16 & 0xff) * 257),
		    (uint16_t)((col[1] >> 8 & 0xff) * 257),
		    (uint16_t)((col[1] & 0xff) * 257), cu->xhot, cu->yhot),
		    "CreateCursor for 0x%x", cu->id);
		xcb_free_pixmap(g->c, sp);
		xcb_free_pixmap(g->c, mp);
		return r;
	}
	fmt = rg_argb_format(g);
	if (fmt == 0)
		return -ENOTSUP;
	if ((r = xs_image_alloc(&argb, cu->width, cu->height, 32, 32, 32, 0,
	    0)) < 0)
		return r;
	for (i = 0; i < n; i++)
		xs_image_put(&argb, (unsigned)(i % cu->width),
		    (unsigned)(i / cu->width), cu->argb[i]);
	sp = rg_pixmap_of(g, &argb);
	xs_image_free(&argb);
	if (sp == 0)
		return -EIO;
	pid = xcb_generate_id(g->c);
	xcb_render_create_picture(g->c, pid, sp, fmt, 0, NULL);
	r = rg_defer(g, xcb_render_create_cursor_checked(g->c, id, pid,
	    cu->xhot, cu->yhot), "RENDER CreateCursor for 0x%x", cu->id);
	xcb_render_free_picture(g->c, pid);
	xcb_free_pixmap(g->c, sp);
	return r;
}

static int
rg_cursors(struct rg *g)
{
	const struct xs_cursor *cu;
	uint32_t id;
	size_t k;
	int r;

	for (k = 0; k < g->s->ncursors; k++) {
		cu = &g->s->cursors[k];
		if (cu->argb == NULL || cu->width == 0 || cu->height == 0)
			continue;    /* unknown: windows get None */
		id = xcb_generate_id(g->c);
		if ((r = rg_cursor(g, cu, id)) < 0) {
			rg_cause(g, "cannot recreate cursor 0x%x (%ux%u): %s", cu->id,
			    cu->width, cu->height, strerror(-r));
			return r;
		}
		if ((r = xs_idmap_add(g->map, XS_ID_CURSOR, cu->id, id)) < 0)
			return r;
	}
	return 0;
}

/* ---- GCs -------------------------------------------------------------------------------- */

/*
 * A font only GCs name (the server's default font, say): opened once per
 * regeneration, directly (matched only if missing), closed at its end.
 */
static int
rg_tmp_font(struct rg *g, const char *name, uint32_t *fid)
{
	struct xs_fontgeom geom = { 0, 0, 0, 0, 0 };
	struct rg_tmpfont *t;
	xcb_generic_error_t *e;
	size_t i;
	int r;

	for (i = 0; i < g->ntmpfonts; i++)
		if (strcmp(g->tmpfonts[i].name, name) == 0) {
			*fid = g->tmpfonts[i].id;
			return 0;
		}
	t = realloc(g->tmpfonts, (g->ntmpfonts + 1) * sizeof *t);
	if (t == NULL) {
		rg_cause(g, "out of memory");
		return -ENOMEM;
	}
	g->tmpfonts = t;
	*fid = xcb_generate_id(g->c);
	e = xcb_request_check(g->c, xcb_open_font_checked(g->c, *fid,
	    (uint16_t)strlen(name), name));
	if (e != NULL) {
		free(e);
		if ((r = rg_open_font(g, *fid, name, &geom)) < 0)
			return r;
	}
	t[g->ntmpfonts].name = name;
	t[g->ntmpfonts++].id = *fid;
	return 0;
}

static void
rg_tmp_fonts_close(struct rg *g)
{
	size_t i;

	for (i = 0; i < g->ntmpfonts; i++)
		xcb_close_font(g->c, g->tmpfonts[i].id);
	free(g->tmpfonts);
	g->tmpfonts = NULL;
	g->ntmpfonts = 0;
}

static int
rg_gc(struct rg *g, const struct xs_gc *gc, uint32_t id)
{
	struct rg_depth *d = rg_depth(g, gc->depth);
	uint32_t v[XS_GC_NVALUES], mask = 0, tile = 0, stip = 0, clip = 0, fid = 0;
	uint32_t want, bit;
	int n = 0, i, r;
	size_t k;

	if (d == NULL) {
		rg_cause(g, "GC 0x%x: the display has no depth %u", gc->id,
		    gc->depth);
		return -ENOTSUP;
	}
	want = gc->known & ~(1u << XS_GC_FONT | 1u << XS_GC_DASHES |
	    1u << XS_GC_CLIP_MASK | 1u << XS_GC_TILE | 1u << XS_GC_STIPPLE);
	if (gc->tile.data != NULL && (tile = rg_pixmap_of(g, &gc->tile)) != 0)
		want |= 1u << XS_GC_TILE;
	if (gc->stipple.data != NULL &&
	    (stip = rg_pixmap_of(g, &gc->stipple)) != 0)
		want |= 1u << XS_GC_STIPPLE;
	if (gc->clip.data != NULL && (clip = rg_pixmap_of(g, &gc->clip)) != 0)
		want |= 1u << XS_GC_CLIP_MASK;
	if (gc->font_name != NULL) {
		for (k = 0; k < g->s->nfonts && fid == 0; k++)
			if (g->s->fonts[k].name != NULL &&
			    strcmp(g->s->fonts[k].name, gc->font_name) == 0)
				fid = xs_idmap_get(g->map, XS_ID_FONT,
				    g->s->fonts[k].id);
		if (fid == 0 && (r = rg_tmp_font(g, gc->font_name, &fid)) < 0)
			return r;
		want |= 1u << XS_GC_FONT;
	}
	for (i = 0; i < XS_GC_NVALUES; i++) {
		bit = 1u << i;
		if (!(want & bit) || i == XS_GC_DASHES)
			continue;
		mask |= bit;
		switch (i) {
		case XS_GC_TILE:      v[n++] = tile; break;
		case XS_GC_STIPPLE:   v[n++] = stip; break;
		case XS_GC_CLIP_MASK: v[n++] = clip; break;
		case XS_GC_FONT:      v[n++] = fid; break;
		case XS_GC_CLIP_X:
		case XS_GC_CLIP_Y:
		case XS_GC_TS_X:
		case XS_GC_TS_Y:      v[n++] = 0; break;
		default:              v[n++] = gc->values[i]; break;
		}
	}
	r = rg_defer(g, xcb_create_gc_checked(g->c, id, d->pix, mask, v),
	    "CreateGC for 0x%x", gc->id);
	if (tile != 0)
		xcb_free_pixmap(g->c, tile);
	if (stip != 0)
		xcb_free_pixmap(g->c, stip);
	if (clip != 0)
		xcb_free_pixmap(g->c, clip);
	if (r != 0)
		return r;
	if (gc->ndashes > 0)
		xcb_set_dashes(g->c, id, (uint16_t)gc->values[XS_GC_DASH_OFFSET],
		    gc->ndashes, gc->dashes);
	return 0;
}

static int
rg_gcs(struct rg *g)
{
	uint32_t id;
	size_t k;
	int r;

	for (k = 0; k < g->s->ngcs; k++) {
		id = xcb_generate_id(g->c);
		if ((r = rg_gc(g, &g->s->gcs[k], id)) < 0)
			return r;
		if ((r = xs_idmap_add(g->map, XS_ID_GC, g->s->gcs[k].id, id)) < 0)
			return r;
	}
	return 0;
}

/* ---- windows ----------------------------------------------------------------------------- */

/* A background pixel for windows whose background could not be probed. */
static uint32_t
rg_guess_bg(struct rg *g, const struct xs_window *w)
{
	uint32_t best = 0, cnt, bestcnt = 0;
	size_t i, j;

	for (i = 0; i < g->s->nwindows; i++) {
		const struct xs_window *a = &g->s->windows[i];

		if (a->bg_kind != XS_BG_PIXEL || a->depth != w->depth)
			continue;
		cnt = 0;
		for (j = 0; j < g->s->nwindows; j++)
			if (g->s->windows[j].bg_kind == XS_BG_PIXEL &&
			    g->s->windows[j].bg_pixel == a->bg_pixel)
				cnt++;
		if (cnt > bestcnt) {
			bestcnt = cnt;
			best = a->bg_pixel;
		}
	}
	if (bestcnt == 0 && w->depth == g->screen->root_depth)
		best = g->screen->white_pixel;
	return best;
}

static uint32_t
rg_window_colormap(struct rg *g, const struct xs_window *w, uint32_t visual)
{
	uint32_t id;

	if (w->cmap_kind == XS_CMAP_OWN &&
	    (id = xs_idmap_get(g->map, XS_ID_COLORMAP, w->colormap)) != 0)
		return id;
	if (visual == g->screen->root_visual)
		return g->screen->default_colormap;
	/* another visual: a colormap of its own (not the client's) */
	id = xcb_generate_id(g->c);
	xcb_create_colormap(g->c, XCB_COLORMAP_ALLOC_NONE, id, g->screen->root,
	    visual);
	return id;
}

static int
rg_window(struct rg *g, const struct xs_window *w)
{
	uint32_t v[15], mask = 0, id, parent, visual = 0, bgpix = 0;
	uint8_t depth = 0;
	int n = 0, r, io = w->cls == XCB_WINDOW_CLASS_INPUT_OUTPUT;

	parent = w->parent != 0 ?
	    xs_idmap_get(g->map, XS_ID_WINDOW, w->parent) : g->screen->root;
	if (parent == 0)
		return -EINVAL;
	if (io) {
		if ((r = rg_map_visual(g, w->visual, w->visual_class, w->depth)) < 0)
			return r;
		visual = xs_idmap_get(g->map, XS_ID_VISUAL, w->visual);
		depth = w->depth;
		switch (w->bg_kind) {
		case XS_BG_NONE:
			mask |= XCB_CW_BACK_PIXMAP;
			v[n++] = XCB_NONE;
			break;
		case XS_BG_IMAGE:
			bgpix = rg_pixmap_of(g, &w->bg_image);
			if (bgpix != 0) {
				mask |= XCB_CW_BACK_PIXMAP;
				v[n++] = bgpix;
				break;
			}
			mask |= XCB_CW_BACK_PIXEL;
			v[n++] = rg_guess_bg(g, w);
			break;
		case XS_BG_PIXEL:
			mask |= XCB_CW_BACK_PIXEL;
			v[n++] = w->bg_pixel;
			break;
		default:
			mask |= XCB_CW_BACK_PIXEL;
			v[n++] = rg_guess_bg(g, w);
			break;
		}
		mask |= XCB_CW_BORDER_PIXEL;
		v[n++] = w->border_known ? w->border_pixel :
		    (w->depth == g->screen->root_depth ? g->screen->black_pixel : 0);
		mask |= XCB_CW_BIT_GRAVITY;
		v[n++] = w->bit_gravity;
	}
	mask |= XCB_CW_WIN_GRAVITY;
	v[n++] = w->win_gravity;
	if (io) {
		mask |= XCB_CW_BACKING_STORE | XCB_CW_BACKING_PLANES |
		    XCB_CW_BACKING_PIXEL;
		v[n++] = w->backing_store;
		v[n++] = w->backing_planes;
		v[n++] = w->backing_pixel;
	}
	mask |= XCB_CW_OVERRIDE_REDIRECT;
	v[n++] = w->override_redirect;
	if (io) {
		mask |= XCB_CW_SAVE_UNDER;
		v[n++] = w->save_under;
	}
	mask |= XCB_CW_EVENT_MASK | XCB_CW_DONT_PROPAGATE;
	v[n++] = w->event_mask;
	v[n++] = w->dont_propagate;
	if (io) {
		mask |= XCB_CW_COLORMAP;
		v[n++] = rg_window_colormap(g, w, visual);
	}
	if (w->cursor_known && w->cursor != 0 &&
	    xs_idmap_get(g->map, XS_ID_CURSOR, w->cursor) != 0) {
		mask |= XCB_CW_CURSOR;
		v[n++] = xs_idmap_get(g->map, XS_ID_CURSOR, w->cursor);
	}
	id = xcb_generate_id(g->c);
	r = rg_defer(g, xcb_create_window_checked(g->c, depth, id, parent, w->x,
	    w->y, w->width, w->height, io ? w->border_width : 0, w->cls, visual,
	    mask, v), "CreateWindow for 0x%x", w->id);
	if (bgpix != 0)
		xcb_free_pixmap(g->c, bgpix);
	if (r != 0)
		return r;
	return xs_idmap_add(g->map, XS_ID_WINDOW, w->id, id);
}

/* Maps one 32-bit value of a property of the given (source) type. */
static uint32_t
rg_prop_value(struct rg *g, const char *tname, uint32_t type, uint32_t v)
{
	static const struct {
		const char *name;
		uint32_t    predef;
		int         kind;
	} kinds[] = {
		{ "ATOM", 4, XS_ID_ATOM }, { "WINDOW", 33, XS_ID_WINDOW },
		{ "DRAWABLE", 17, XS_ID_WINDOW }, { "PIXMAP", 20, XS_ID_PIXMAP },
		{ "BITMAP", 5, XS_ID_PIXMAP }, { "CURSOR", 8, XS_ID_CURSOR },
		{ "COLORMAP", 7, XS_ID_COLORMAP }, { "FONT", 18, XS_ID_FONT },
		{ "VISUALID", 32, XS_ID_VISUAL },
	};
	size_t i;
	uint32_t nv;

	if (v == 0)
		return 0;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (type != kinds[i].predef &&
		    (tname == NULL || strcmp(tname, kinds[i].name) != 0))
			continue;
		if (kinds[i].kind == XS_ID_ATOM)
			return rg_atom(g, v);
		if (kinds[i].kind == XS_ID_PIXMAP) {
			nv = xs_idmap_get(g->map, XS_ID_PIXMAP, v);
			return nv != 0 ? nv : v;
		}
		nv = xs_idmap_get(g->map, kinds[i].kind, v);
		if (nv != 0)
			return nv;
		if (v == g->s->root)
			return g->screen->root;
		if (v == g->s->default_colormap)
			return g->screen->default_colormap;
		return v;
	}
	return v;
}

static int
rg_props(struct rg *g, const struct xs_window *w, uint32_t id)
{
	const struct xs_prop *p;
	const char *tname;
	uint32_t *vals, v, i, name, type;
	size_t k;
	int r;

	for (k = 0; k < w->nprops; k++) {
		p = &w->props[k];
		name = rg_atom(g, p->name);
		type = rg_atom(g, p->type);
		if (name == 0 || (p->type != 0 && type == 0)) {
			rg_cause(g, "window 0x%x: property atom without a name",
			    w->id);
			return -EINVAL;
		}
		tname = xs_session_atom_name(g->s, p->type);
		if (p->format != 32) {
			xcb_change_property(g->c, XCB_PROP_MODE_REPLACE, id, name,
			    type, p->format, p->nitems, p->data);
			continue;
		}
		vals = malloc((size_t)p->nitems * 4 + 4);
		if (vals == NULL)
			return -ENOMEM;
		memcpy(vals, p->data, (size_t)p->nitems * 4);
		for (i = 0; i < p->nitems; i++)
			vals[i] = rg_prop_value(g, tname, p->type, vals[i]);
		if (p->type == 35 && p->nitems >= 9) {      /* WM_HINTS */
			static const struct { int idx, kind; uint32_t flag; } h[] = {
				{ 3, XS_ID_PIXMAP, 4 }, { 4, XS_ID_WINDOW, 8 },
				{ 7, XS_ID_PIXMAP, 32 }, { 8, XS_ID_WINDOW, 64 } };
			for (i = 0; i < 4; i++) {
				if (!(vals[0] & h[i].flag))
					continue;
				v = xs_idmap_get(g->map, h[i].kind, vals[h[i].idx]);
				if (v != 0)
					vals[h[i].idx] = v;
			}
		}
		r = rg_defer(g, xcb_change_property_checked(g->c,
		    XCB_PROP_MODE_REPLACE, id, name, type, 32, p->nitems, vals),
		    "window 0x%x: ChangeProperty", w->id);
		free(vals);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
rg_shapes(struct rg *g, const struct xs_window *w, uint32_t id)
{
	const xcb_query_extension_reply_t *qe;
	xcb_rectangle_t *rects;
	uint32_t i;
	int kind;

	if (w->shaped == 0)
		return 0;
	qe = xcb_get_extension_data(g->c, &xcb_shape_id);
	if (qe == NULL || !qe->present) {
		rg_cause(g, "window 0x%x is shaped; the display lacks SHAPE", w->id);
		return -ENOTSUP;
	}
	for (kind = 0; kind < 3; kind++) {
		if (!(w->shaped & (1u << kind)))
			continue;
		rects = calloc(w->nrects[kind] + 1, sizeof *rects);
		if (rects == NULL)
			return -ENOMEM;
		for (i = 0; i < w->nrects[kind]; i++) {
			rects[i].x = w->rects[kind][i].x;
			rects[i].y = w->rects[kind][i].y;
			rects[i].width = w->rects[kind][i].w;
			rects[i].height = w->rects[kind][i].h;
		}
		xcb_shape_rectangles(g->c, XCB_SHAPE_SO_SET, (uint8_t)kind,
		    XCB_CLIP_ORDERING_UNSORTED, id, 0, 0, w->nrects[kind], rects);
		free(rects);
	}
	return 0;
}

static int
rg_windows(struct rg *g)
{
	const struct xs_window *w;
	const struct xs_grab *gr;
	uint32_t id;
	size_t k;
	int r;

	for (k = 0; k < g->s->nwindows; k++)
		if ((r = rg_window(g, &g->s->windows[k])) < 0)
			return r;
	for (k = 0; k < g->s->nwindows; k++) {
		w = &g->s->windows[k];
		id = xs_idmap_get(g->map, XS_ID_WINDOW, w->id);
		if ((r = rg_props(g, w, id)) < 0 || (r = rg_shapes(g, w, id)) < 0)
			return r;
	}
	for (k = 0; k < g->s->ngrabs; k++) {
		gr = &g->s->grabs[k];
		id = xs_idmap_get(g->map, XS_ID_WINDOW, gr->window);
		if (id == 0)
			continue;
		if (gr->key)
			xcb_grab_key(g->c, 1, id, gr->modifiers, gr->detail,
			    XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC);
		else
			xcb_grab_button(g->c, 1, id, XCB_EVENT_MASK_BUTTON_PRESS |
			    XCB_EVENT_MASK_BUTTON_RELEASE |
			    XCB_EVENT_MASK_POINTER_MOTION, XCB_GRAB_MODE_ASYNC,
			    XCB_GRAB_MODE_ASYNC, XCB_NONE, XCB_NONE, gr->detail,
			    gr->modifiers);
	}
	/* map state last, children before their parents */
	for (k = g->s->nwindows; k-- > 0;) {
		w = &g->s->windows[k];
		if (w->map_state != XCB_MAP_STATE_UNMAPPED)
			xcb_map_window(g->c, xs_idmap_get(g->map, XS_ID_WINDOW,
			    w->id));
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------------------------ */

/* Pixels into a drawable of the new display, through a GC of our own. */
static int
rg_put_image_cb(void *arg, uint32_t drawable, const struct xs_image *im)
{
	struct rg *g = arg;
	uint32_t gc = xcb_generate_id(g->c), v = 0;
	int r;

	xcb_create_gc(g->c, gc, drawable, XCB_GC_GRAPHICS_EXPOSURES, &v);
	r = rg_put_image(g, drawable, gc, im, 0, 0);
	xcb_free_gc(g->c, gc);
	return r;
}

void
xs_regen_undo(xcb_connection_t *c, const struct xs_idmap *map)
{
	size_t i;

	for (i = 0; i < map->n; i++) {
		uint32_t id = map->v[i].new_id;

		switch (map->v[i].kind) {
		case XS_ID_WINDOW:   xcb_destroy_window(c, id); break;
		case XS_ID_PIXMAP:   xcb_free_pixmap(c, id); break;
		case XS_ID_GC:       xcb_free_gc(c, id); break;
		case XS_ID_FONT:     xcb_close_font(c, id); break;
		case XS_ID_CURSOR:   xcb_free_cursor(c, id); break;
		case XS_ID_COLORMAP: xcb_free_colormap(c, id); break;
		case XS_ID_PICTURE:  xcb_render_free_picture(c, id); break;
		case XS_ID_GLYPHSET: xcb_render_free_glyph_set(c, id); break;
		default: break;
		}
	}
	xcb_flush(c);
}

int
xs_regenerate(xcb_connection_t *c, const struct xs_session *s,
    struct xs_idmap *map, char **cause)
{
	static const struct {
		int       (*fn)(struct rg *);
		const char *what;
	} phases[] = {
		{ rg_check_pixels, "pixel formats" }, { rg_atoms, "atoms" },
		{ rg_colormaps, "colormaps" }, { rg_pixmaps, "pixmaps" },
		{ rg_fonts, "fonts" }, { rg_cursors, "cursors" },
		{ rg_gcs, "GCs" }, { rg_windows, "windows" },
	};
	struct rg g;
	struct xs_regen_cb rcb = { rg_put_image_cb, &g };
	xcb_get_input_focus_reply_t *sync;
	uint64_t t, t0 = rg_now_us();
	size_t k;
	int r;

	memset(&g, 0, sizeof g);
	g.c = c;
	g.s = s;
	g.map = map;
	g.cause = cause;
	g.setup = xcb_get_setup(c);
	if (xcb_connection_has_error(c)) {
		rg_cause(&g, "the X connection is broken");
		return -EIO;
	}
	g.screen = xcb_setup_roots_iterator(g.setup).data;
	if (g.screen == NULL) {
		rg_cause(&g, "the display has no screen");
		return -EIO;
	}
	/* requests go out phase after phase; only fonts wait (a missing one
	 * is matched), the rest is checked once, at the end */
	for (k = 0; k < sizeof phases / sizeof phases[0]; k++) {
		t = rg_now_us();
		if ((r = phases[k].fn(&g)) < 0)
			goto fail;
		log_debug("regenerate: %s sent in %llu us", phases[k].what,
		    (unsigned long long)(rg_now_us() - t));
	}
	t = rg_now_us();
	/* RENDER state (module captures only) once windows and pixmaps are
	 * there: it checks its own requests */
	if ((r = rg_settle(&g)) < 0 ||
	    (r = xs_regen_render(c, s, map, g.screen->root, &rcb, cause)) < 0)
		goto fail;
	rg_tmp_fonts_close(&g);
	rg_depths_free(&g);
	sync = xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL);
	free(sync);
	if (xcb_connection_has_error(c)) {
		rg_cause(&g, "the X connection broke during regeneration");
		free(g.pend);
		return -EIO;
	}
	log_debug("regenerate: done by the server %llu us later; %llu us in all",
	    (unsigned long long)(rg_now_us() - t),
	    (unsigned long long)(rg_now_us() - t0));
	free(g.pend);
	return 0;
fail:
	rg_settle(&g);
	rg_tmp_fonts_close(&g);
	if (cause != NULL && *cause == NULL)
		rg_cause(&g, "regeneration failed: %s", strerror(-r));
	free(g.pend);
	rg_depths_free(&g);
	xs_regen_undo(c, map);
	return r;
}

int
xs_regen_paint(xcb_connection_t *c, const struct xs_session *s,
    const struct xs_idmap *map, uint32_t old_id)
{
	const struct xs_window *w = xs_session_window(s, old_id);
	struct rg g;
	uint32_t id, gc, v = 0;
	int r;

	if (w == NULL || w->contents.data == NULL)
		return -ENOENT;
	id = xs_idmap_get(map, XS_ID_WINDOW, old_id);
	if (id == 0)
		return -ENOENT;
	memset(&g, 0, sizeof g);
	g.c = c;
	g.s = s;
	g.setup = xcb_get_setup(c);
	g.screen = xcb_setup_roots_iterator(g.setup).data;
	gc = xcb_generate_id(c);
	xcb_create_gc(c, gc, id, XCB_GC_GRAPHICS_EXPOSURES, &v);
	r = rg_put_image(&g, id, gc, &w->contents, 0, 0);
	xcb_free_gc(c, gc);
	return r;
}

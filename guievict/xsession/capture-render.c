/*
 * capture-render.c: the RENDER state of a client, read through the
 * EVICT-GUI Xorg module (guievict/xorg/): the server's picture formats,
 * the client's glyph sets (every glyph with its image) and pictures (every
 * attribute; solid and gradient sources).  Called by capture.c inside its
 * server grab when the server has the module.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/render.h>

#include "guievict/xsession/capture-render.h"
#include "guievict/xsession/evgui-xcb.h"

static int __attribute__((format(printf, 2, 3)))
cr_fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause != NULL) {
		free(*cause);
		*cause = NULL;
		va_start(ap, fmt);
		if (vasprintf(cause, fmt, ap) < 0)
			*cause = NULL;
		va_end(ap);
	}
	return -EPERM;
}

static int
cr_formats(xcb_connection_t *c, struct xs_render *r, char **cause)
{
	xcb_render_query_pict_formats_reply_t *pf;
	xcb_render_pictforminfo_iterator_t it;

	pf = xcb_render_query_pict_formats_reply(c,
	    xcb_render_query_pict_formats(c), NULL);
	if (pf == NULL)
		return cr_fail(cause, "RENDER QueryPictFormats failed");
	it = xcb_render_query_pict_formats_formats_iterator(pf);
	for (; it.rem; xcb_render_pictforminfo_next(&it)) {
		struct xs_pictformat *f = xs_render_add_format(r);

		if (f == NULL) {
			free(pf);
			return -ENOMEM;
		}
		f->id = it.data->id;
		f->type = it.data->type == XCB_RENDER_PICT_TYPE_DIRECT;
		f->depth = it.data->depth;
		f->red_shift = it.data->direct.red_shift;
		f->red_mask = it.data->direct.red_mask;
		f->green_shift = it.data->direct.green_shift;
		f->green_mask = it.data->direct.green_mask;
		f->blue_shift = it.data->direct.blue_shift;
		f->blue_mask = it.data->direct.blue_mask;
		f->alpha_shift = it.data->direct.alpha_shift;
		f->alpha_mask = it.data->direct.alpha_mask;
	}
	free(pf);
	return 0;
}

static int
cr_glyphset(xcb_connection_t *c, uint8_t major, struct xs_render *r,
    uint32_t id, char **cause)
{
	struct xs_glyphset *gs;
	uint32_t f[3] = { id, 0, 4096 }, pages = 0;
	char err[256];

	if ((gs = xs_render_add_glyphset(r)) == NULL)
		return -ENOMEM;
	gs->id = id;
	do {
		struct evgui_glyphs g;
		struct xs_glyph *more;
		uint8_t *rep;
		size_t len;
		unsigned i;
		int xe;

		rep = evgui_call(c, major, EVGUI_LIST_GLYPHS, f, 3, &len, &xe);
		if (rep == NULL)
			return cr_fail(cause, "EVICT-GUI ListGlyphs 0x%x: X error "
			    "%d", id, xe);
		if (evgui_decode_glyphs(rep, len, &g, err, sizeof err) < 0) {
			free(rep);
			evgui_glyphs_free(&g);
			return cr_fail(cause, "EVICT-GUI ListGlyphs 0x%x: %s", id,
			    err);
		}
		free(rep);
		gs->format = g.format;
		gs->depth = (uint8_t)g.depth;
		if (g.n > 0) {
			more = realloc(gs->glyphs, (gs->nglyphs + g.n) *
			    sizeof *gs->glyphs);
			if (more == NULL) {
				evgui_glyphs_free(&g);
				return -ENOMEM;
			}
			gs->glyphs = more;
		}
		for (i = 0; i < g.n; i++) {
			struct xs_glyph *e = &gs->glyphs[gs->nglyphs++];
			const struct evgui_glyph *s = &g.glyphs[i];

			e->id = s->id;
			e->width = (uint16_t)s->width;
			e->height = (uint16_t)s->height;
			e->x = (int16_t)s->x;
			e->y = (int16_t)s->y;
			e->xoff = (int16_t)s->xoff;
			e->yoff = (int16_t)s->yoff;
			e->image_len = s->image_len;
			e->image = s->image;
			g.glyphs[i].image = NULL;    /* taken */
		}
		f[1] = g.next;
		evgui_glyphs_free(&g);
	} while (f[1] != 0 && ++pages < 1024);
	if (xs_render_format(r, gs->format) == NULL)
		return cr_fail(cause, "glyph set 0x%x has format 0x%x, which "
		    "QueryPictFormats did not list", id, gs->format);
	return 0;
}

/* The pixels of a picture's pixmap whose id the client already freed. */
static int
cr_orphan(xcb_connection_t *c, uint8_t major, struct xs_picture *p,
    const struct xs_capture_cb *cb, char **cause)
{
	struct evgui_image e;
	uint32_t f[1] = { p->id };
	uint8_t *rep, bpp, pad;
	char err[256];
	size_t len;
	int xe, r;

	rep = evgui_call(c, major, EVGUI_GET_PICTURE_IMAGE, f, 1, &len, &xe);
	if (rep == NULL)
		return cr_fail(cause, "EVICT-GUI GetPictureImage 0x%x: X error %d",
		    p->id, xe);
	if (evgui_decode_image(rep, len, &e, err, sizeof err) < 0) {
		free(rep);
		return cr_fail(cause, "EVICT-GUI GetPictureImage 0x%x: %s",
		    p->id, err);
	}
	p->contents = calloc(1, sizeof *p->contents);
	if (p->contents == NULL || e.width == 0 || e.height == 0 ||
	    cb->image_format(cb->arg, (uint8_t)e.depth, &bpp, &pad) < 0) {
		free(rep);
		return p->contents == NULL ? -ENOMEM : cr_fail(cause,
		    "picture 0x%x: a freed pixmap of %ux%u at depth %u cannot "
		    "be read", p->id, e.width, e.height, e.depth);
	}
	r = xs_image_alloc(p->contents, (uint16_t)e.width, (uint16_t)e.height,
	    (uint8_t)e.depth, bpp, pad, 0, 0);
	if (r == 0 && xs_image_size(p->contents) != e.len)
		r = cr_fail(cause, "picture 0x%x: %u bytes of pixels for %ux%u "
		    "at depth %u", p->id, e.len, e.width, e.height, e.depth);
	if (r == 0)
		memcpy(p->contents->data, e.data, e.len);
	free(rep);
	return r;
}

/* The image's byte and bit order are the server's: fixed by the caller. */
static void
cr_orders(xcb_connection_t *c, struct xs_image *im)
{
	const xcb_setup_t *st = xcb_get_setup(c);

	im->msb_bytes = st->image_byte_order == XCB_IMAGE_ORDER_MSB_FIRST;
	im->msb_bits = st->bitmap_format_bit_order == XCB_IMAGE_ORDER_MSB_FIRST;
}

/* Whether id is one of the client's drawables that capture recreates. */
static int
cr_listed_drawable(const struct xs_resource *res, size_t nres, uint32_t id)
{
	size_t i;

	for (i = 0; i < nres; i++)
		if (res[i].id == id && (strcmp(res[i].type, "WINDOW") == 0 ||
		    strcmp(res[i].type, "PIXMAP") == 0 ||
		    strcmp(res[i].type, "dbeWindow") == 0))
			return 1;
	return 0;
}

static int
cr_picture(xcb_connection_t *c, uint8_t major, struct xs_render *r,
    uint32_t id, const struct xs_capture_cb *cb, uint32_t root,
    const struct xs_resource *res, size_t nres, char **cause)
{
	struct evgui_picture e;
	struct xs_picture *p;
	uint32_t f[1] = { id }, i;
	char err[256];
	uint8_t *rep;
	size_t len;
	int xe;

	rep = evgui_call(c, major, EVGUI_GET_PICTURE, f, 1, &len, &xe);
	if (rep == NULL)
		return cr_fail(cause, "EVICT-GUI GetPicture 0x%x: X error %d", id,
		    xe);
	if (evgui_decode_picture(rep, len, &e, err, sizeof err) < 0) {
		free(rep);
		evgui_picture_free(&e);
		return cr_fail(cause, "EVICT-GUI GetPicture 0x%x: %s", id, err);
	}
	free(rep);
	if ((p = xs_render_add_picture(r)) == NULL) {
		evgui_picture_free(&e);
		return -ENOMEM;
	}
	p->id = id;
	p->source = (uint8_t)e.v[EVGUI_PIC_SOURCE];
	p->drawable = e.v[EVGUI_PIC_DRAWABLE];
	p->format = e.v[EVGUI_PIC_FORMAT];
	p->repeat = (uint8_t)e.v[EVGUI_PIC_REPEAT];
	p->component_alpha = (uint8_t)e.v[EVGUI_PIC_COMPONENT_ALPHA];
	p->subwindow_mode = (uint8_t)e.v[EVGUI_PIC_SUBWINDOW_MODE];
	p->exposures = (uint8_t)e.v[EVGUI_PIC_EXPOSURES];
	p->poly_edge = (uint8_t)e.v[EVGUI_PIC_POLY_EDGE];
	p->poly_mode = (uint8_t)e.v[EVGUI_PIC_POLY_MODE];
	p->alpha_map = e.v[EVGUI_PIC_ALPHA_MAP];
	p->alpha_x = (int32_t)e.v[EVGUI_PIC_ALPHA_X];
	p->alpha_y = (int32_t)e.v[EVGUI_PIC_ALPHA_Y];
	p->has_clip = e.v[EVGUI_PIC_CLIP_KIND] == EVGUI_CLIP_RECTS;
	p->clip_x = (int32_t)e.v[EVGUI_PIC_CLIP_X];
	p->clip_y = (int32_t)e.v[EVGUI_PIC_CLIP_Y];
	p->has_transform = e.v[EVGUI_PIC_HAS_TRANSFORM] != 0;
	for (i = 0; i < 9; i++)
		p->transform[i] = (int32_t)e.v[EVGUI_PIC_TRANSFORM + i];
	for (i = 0; i < 6; i++)
		p->args[i] = (int32_t)e.v[EVGUI_PIC_SOURCE_ARGS + i];
	memcpy(p->filter, e.filter, sizeof p->filter);
	p->filter[sizeof p->filter - 1] = '\0';
	/* the decoder's arrays move into the session */
	p->nparams = e.nparams;
	p->params = e.params;
	p->nstops = e.nstops;
	p->stops = (struct xs_stop *)calloc(e.nstops ? e.nstops : 1,
	    sizeof *p->stops);
	if (p->stops == NULL) {
		evgui_picture_free(&e);
		p->params = NULL;
		p->nparams = 0;
		return -ENOMEM;
	}
	for (i = 0; i < e.nstops; i++) {
		p->stops[i].offset = e.stops[i].offset;
		p->stops[i].red = e.stops[i].red;
		p->stops[i].green = e.stops[i].green;
		p->stops[i].blue = e.stops[i].blue;
		p->stops[i].alpha = e.stops[i].alpha;
	}
	p->nrects = e.nrects;
	p->rects = (struct xs_pic_rect *)calloc(e.nrects ? e.nrects : 1,
	    sizeof *p->rects);
	if (p->rects == NULL) {
		e.params = NULL;
		evgui_picture_free(&e);
		return -ENOMEM;
	}
	for (i = 0; i < e.nrects; i++) {
		p->rects[i].x = e.rects[i].x;
		p->rects[i].y = e.rects[i].y;
		p->rects[i].width = e.rects[i].width;
		p->rects[i].height = e.rects[i].height;
	}
	e.params = NULL;
	e.nparams = 0;
	evgui_picture_free(&e);

	if (p->source != XS_PIC_DRAWABLE)
		return 0;
	/* a pixmap the client freed: the picture keeps it alive, nameless
	 * (its old id may still show) */
	if (p->drawable != 0 && p->drawable != root &&
	    cb->owned(cb->arg, p->drawable) &&
	    !cr_listed_drawable(res, nres, p->drawable))
		p->drawable = 0;
	if (p->drawable == 0) {
		int rc = cr_orphan(c, major, p, cb, cause);

		if (rc == 0)
			cr_orders(c, p->contents);
		if (rc < 0 || xs_render_format(r, p->format) != NULL)
			return rc;
	}
	if (p->drawable != 0 && p->drawable != root &&
	    !cb->owned(cb->arg, p->drawable))
		return cr_fail(cause, "cannot move: picture 0x%x draws on "
		    "0x%x, another client's drawable", id, p->drawable);
	if (xs_render_format(r, p->format) == NULL)
		return cr_fail(cause, "picture 0x%x has format 0x%x, which "
		    "QueryPictFormats did not list", id, p->format);
	return 0;
}

/* The client's selections on windows it did not create. */
static int
cr_selections(xcb_connection_t *c, uint8_t major, struct xs_session *s,
    char **cause)
{
	struct evgui_selection *sel;
	uint32_t f[1] = { s->client_base };
	unsigned n, i;
	char err[256];
	uint8_t *rep;
	size_t len;
	int xe;

	rep = evgui_call(c, major, EVGUI_LIST_SELECTIONS, f, 1, &len, &xe);
	if (rep == NULL)
		return cr_fail(cause, "EVICT-GUI ListSelections: X error %d", xe);
	if (evgui_decode_selections(rep, len, &sel, &n, err, sizeof err) < 0) {
		free(rep);
		free(sel);
		return cr_fail(cause, "EVICT-GUI ListSelections: %s", err);
	}
	free(rep);
	for (i = 0; i < n; i++) {
		struct xs_selection *e = xs_render_add_selection(&s->render);

		if (e == NULL) {
			free(sel);
			return -ENOMEM;
		}
		e->window = sel[i].window;
		e->mask = sel[i].mask;
	}
	free(sel);
	return 0;
}

/* A DBE back buffer (the dbeWindow resource is named by the buffer id),
 * with its pixels. */
static int
cr_dbe(xcb_connection_t *c, uint8_t major, struct xs_session *s, uint32_t id,
    const struct xs_capture_cb *cb, char **cause)
{
	const struct xs_window *w;
	struct evgui_dbe d;
	struct xs_dbe *e;
	uint32_t f[1] = { id };
	char err[256];
	uint8_t *rep;
	size_t len;
	int xe, r;

	rep = evgui_call(c, major, EVGUI_GET_DBE, f, 1, &len, &xe);
	if (rep == NULL)
		return cr_fail(cause, "EVICT-GUI GetDbe 0x%x: X error %d", id, xe);
	r = evgui_decode_dbe(rep, len, &d, err, sizeof err);
	free(rep);
	if (r < 0) {
		evgui_dbe_free(&d);
		return cr_fail(cause, "EVICT-GUI GetDbe 0x%x: %s", id, err);
	}
	evgui_dbe_free(&d);
	w = xs_session_window(s, d.window);
	if (w == NULL)
		return cr_fail(cause, "cannot move: back buffer 0x%x belongs to "
		    "window 0x%x, not one of the client's", id, d.window);
	if ((e = xs_render_add_dbe(&s->render)) == NULL)
		return -ENOMEM;
	e->buffer = id;
	e->window = d.window;
	e->swap_action = (uint8_t)d.swap_action;
	e->contents = calloc(1, sizeof *e->contents);
	if (e->contents == NULL)
		return -ENOMEM;
	r = cb->get_image(cb->arg, id, w->width, w->height, w->depth,
	    e->contents);
	if (r < 0)
		return cr_fail(cause, "reading back buffer 0x%x failed (%s)", id,
		    strerror(-r));
	return 0;
}

int
xs_capture_render(xcb_connection_t *c, uint8_t major, struct xs_session *s,
    const struct xs_resource *res, size_t nres,
    const struct xs_capture_cb *cb, char **cause)
{
	size_t i, k;
	int r, others = 0;

	if ((r = cr_formats(c, &s->render, cause)) < 0)
		return r;
	for (i = 0; i < nres; i++) {
		if (strcmp(res[i].type, "GLYPHSET") == 0)
			r = cr_glyphset(c, major, &s->render, res[i].id, cause);
		else if (strcmp(res[i].type, "PICTURE") == 0)
			r = cr_picture(c, major, &s->render, res[i].id, cb,
			    s->root, res, nres, cause);
		else if (strcmp(res[i].type, "dbeWindow") == 0)
			r = cr_dbe(c, major, s, res[i].id, cb, cause);
		else if (strcmp(res[i].type, "OTHER CLIENT") == 0)
			others = 1;
		else
			r = 0;
		if (r < 0)
			return r;
	}
	if (others && (r = cr_selections(c, major, s, cause)) < 0)
		return r;
	/* an alpha map must be one of the client's pictures */
	for (i = 0; i < s->render.npictures; i++) {
		uint32_t am = s->render.pictures[i].alpha_map;

		if (am == 0)
			continue;
		for (k = 0; k < s->render.npictures; k++)
			if (s->render.pictures[k].id == am)
				break;
		if (k == s->render.npictures)
			return cr_fail(cause, "cannot move: picture 0x%x uses "
			    "alpha map 0x%x of another client",
			    s->render.pictures[i].id, am);
	}
	return 0;
}

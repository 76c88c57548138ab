/*
 * regen-render.c: recreates the RENDER part of a session (render.h) with
 * standard RENDER requests: source picture formats mapped to the target's
 * by meaning, glyph sets with every glyph, pictures with every attribute,
 * then the alpha maps (pictures may name each other).  Called by regen.c
 * once windows and pixmaps exist.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/uio.h>
#include <xcb/render.h>
#include <xcb/xcbext.h>

#include "common/log.h"
#include "guievict/xsession/regen-render.h"

#define RR_GLYPH_BATCH (60u * 1024)   /* image bytes per AddGlyphs */

struct rr {
	xcb_connection_t *c;
	const struct xs_session *s;
	struct xs_idmap *map;
	const struct xs_regen_cb *cb;
	uint32_t root;
	char **cause;
	int msb_bits, msb_bytes;
	xcb_void_cookie_t *ck;            /* checked requests, in order */
	const char **what;
	size_t nck, capck;
};

static int __attribute__((format(printf, 2, 3)))
rr_fail(struct rr *g, const char *fmt, ...)
{
	va_list ap;

	if (g->cause != NULL) {
		free(*g->cause);
		*g->cause = NULL;
		va_start(ap, fmt);
		if (vasprintf(g->cause, fmt, ap) < 0)
			*g->cause = NULL;
		va_end(ap);
	}
	return -EINVAL;
}

static int
rr_track(struct rr *g, xcb_void_cookie_t ck, const char *what)
{
	if (g->nck == g->capck) {
		size_t cap = g->capck ? 2 * g->capck : 64;
		xcb_void_cookie_t *n = realloc(g->ck, cap * sizeof *n);
		const char **w;

		if (n == NULL)
			return -ENOMEM;
		g->ck = n;
		w = realloc(g->what, cap * sizeof *w);
		if (w == NULL)
			return -ENOMEM;
		g->what = w;
		g->capck = cap;
	}
	g->ck[g->nck] = ck;
	g->what[g->nck++] = what;
	return 0;
}

/* Waits for every tracked request; the first error fails (and is the
 * cause when report is set). */
static int
rr_check_all(struct rr *g, int report)
{
	size_t i;
	int r = 0;

	for (i = 0; i < g->nck; i++) {
		xcb_generic_error_t *e = xcb_request_check(g->c, g->ck[i]);

		if (e != NULL && r == 0 && !report)
			r = -EINVAL;
		else if (e != NULL && r == 0)
			r = rr_fail(g, "%s failed on the new display (X error %u)",
			    g->what[i], e->error_code);
		free(e);
	}
	g->nck = 0;
	return r;
}

static int
rr_same(const struct xs_pictformat *a, const xcb_render_pictforminfo_t *b)
{
	return a->type == (b->type == XCB_RENDER_PICT_TYPE_DIRECT) &&
	    a->depth == b->depth && a->type == 1 &&
	    a->red_shift == b->direct.red_shift &&
	    a->red_mask == b->direct.red_mask &&
	    a->green_shift == b->direct.green_shift &&
	    a->green_mask == b->direct.green_mask &&
	    a->blue_shift == b->direct.blue_shift &&
	    a->blue_mask == b->direct.blue_mask &&
	    a->alpha_shift == b->direct.alpha_shift &&
	    a->alpha_mask == b->direct.alpha_mask;
}

static int
rr_formats(struct rr *g)
{
	xcb_render_query_pict_formats_reply_t *pf;
	xcb_render_pictforminfo_iterator_t it;
	size_t i;
	int r = 0;

	pf = xcb_render_query_pict_formats_reply(g->c,
	    xcb_render_query_pict_formats(g->c), NULL);
	if (pf == NULL)
		return rr_fail(g, "the new display has no RENDER extension");
	for (i = 0; i < g->s->render.nformats && r == 0; i++) {
		const struct xs_pictformat *f = &g->s->render.formats[i];

		it = xcb_render_query_pict_formats_formats_iterator(pf);
		for (; it.rem; xcb_render_pictforminfo_next(&it))
			if (rr_same(f, it.data)) {
				r = xs_idmap_add(g->map, XS_ID_PICTFORMAT, f->id,
				    it.data->id);
				break;
			}
	}
	free(pf);
	return r;
}

static uint32_t
rr_format(struct rr *g, uint32_t old, const char *whose, uint32_t id,
    int *r)
{
	uint32_t n = xs_idmap_get(g->map, XS_ID_PICTFORMAT, old);

	if (n == 0)
		*r = rr_fail(g, "%s 0x%x: the new display has no picture format "
		    "like 0x%x", whose, id, old);
	return n;
}

/* One glyph's image in the layout AddGlyphs wants on this server. */
static void
rr_glyph_image(const struct rr *g, uint8_t depth, const struct xs_glyph *e,
    uint8_t *out)
{
	uint32_t i;

	memcpy(out, e->image, e->image_len);
	if (depth == 1 && g->msb_bits) {
		for (i = 0; i < e->image_len; i++) {
			uint8_t b = out[i], v = 0;
			int k;

			for (k = 0; k < 8; k++)
				if (b & (1u << k))
					v |= (uint8_t)(0x80u >> k);
			out[i] = v;
		}
	} else if (depth == 32) {
		for (i = 0; i + 4 <= e->image_len; i += 4) {
			uint32_t px = (uint32_t)out[i] << 24 |
			    (uint32_t)out[i + 1] << 16 |
			    (uint32_t)out[i + 2] << 8 | out[i + 3];

			if (g->msb_bytes) {
				out[i] = (uint8_t)(px >> 24);
				out[i + 1] = (uint8_t)(px >> 16);
				out[i + 2] = (uint8_t)(px >> 8);
				out[i + 3] = (uint8_t)px;
			} else {
				out[i] = (uint8_t)px;
				out[i + 1] = (uint8_t)(px >> 8);
				out[i + 2] = (uint8_t)(px >> 16);
				out[i + 3] = (uint8_t)(px >> 24);
			}
		}
	}
}

static int
rr_add_glyphs(struct rr *g, uint32_t gsid, const struct xs_glyphset *gs,
    uint32_t from, uint32_t to, size_t bytes)
{
	xcb_render_glyphinfo_t *info;
	uint32_t *ids, i, n = to - from;
	uint8_t *data;
	size_t at = 0;
	int r;

	ids = calloc(n ? n : 1, sizeof *ids);
	info = calloc(n ? n : 1, sizeof *info);
	data = malloc(bytes ? bytes : 1);
	if (ids == NULL || info == NULL || data == NULL) {
		free(ids);
		free(info);
		free(data);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct xs_glyph *e = &gs->glyphs[from + i];

		ids[i] = e->id;
		info[i].width = e->width;
		info[i].height = e->height;
		info[i].x = e->x;
		info[i].y = e->y;
		info[i].x_off = e->xoff;
		info[i].y_off = e->yoff;
		if (e->image_len) {
			rr_glyph_image(g, gs->depth, e, data + at);
			at += e->image_len;
		}
	}
	r = rr_track(g, xcb_render_add_glyphs_checked(g->c, gsid, n, ids, info,
	    (uint32_t)at, data), "AddGlyphs");
	free(ids);
	free(info);
	free(data);
	return r;
}

static int
rr_glyphsets(struct rr *g)
{
	size_t i;
	int r = 0;

	for (i = 0; i < g->s->render.nglyphsets && r == 0; i++) {
		const struct xs_glyphset *gs = &g->s->render.glyphsets[i];
		uint32_t fmt, id, from = 0, k;
		size_t bytes = 0;

		fmt = rr_format(g, gs->format, "glyph set", gs->id, &r);
		if (fmt == 0)
			return r;
		id = xcb_generate_id(g->c);
		if ((r = rr_track(g, xcb_render_create_glyph_set_checked(g->c,
		    id, fmt), "CreateGlyphSet")) < 0 ||
		    (r = xs_idmap_add(g->map, XS_ID_GLYPHSET, gs->id, id)) < 0)
			return r;
		for (k = 0; k < gs->nglyphs && r == 0; k++) {
			if (k > from && bytes + gs->glyphs[k].image_len >
			    RR_GLYPH_BATCH) {
				r = rr_add_glyphs(g, id, gs, from, k, bytes);
				from = k;
				bytes = 0;
			}
			bytes += gs->glyphs[k].image_len;
		}
		if (r == 0 && from < gs->nglyphs)
			r = rr_add_glyphs(g, id, gs, from, gs->nglyphs, bytes);
	}
	return r;
}

static uint32_t
rr_drawable(struct rr *g, uint32_t old)
{
	uint32_t n;

	if (old == g->s->root)
		return g->root;
	if ((n = xs_idmap_get(g->map, XS_ID_WINDOW, old)) != 0 ||
	    (n = xs_idmap_get(g->map, XS_ID_PIXMAP, old)) != 0)
		return n;
	return xs_idmap_get(g->map, XS_ID_BACKBUFFER, old);
}

static int
rr_source(struct rr *g, const struct xs_picture *p, uint32_t id)
{
	xcb_render_fixed_t *offs;
	xcb_render_color_t *cols;
	xcb_render_pointfix_t a, b;
	xcb_void_cookie_t ck;
	uint32_t i, n = p->nstops;
	int r;

	if (p->source == XS_PIC_SOLID) {
		xcb_render_color_t c = { (uint16_t)p->args[1],
			(uint16_t)p->args[2], (uint16_t)p->args[3],
			(uint16_t)p->args[0] };

		return rr_track(g, xcb_render_create_solid_fill_checked(g->c, id,
		    c), "CreateSolidFill");
	}
	offs = calloc(n ? n : 1, sizeof *offs);
	cols = calloc(n ? n : 1, sizeof *cols);
	if (offs == NULL || cols == NULL) {
		free(offs);
		free(cols);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		offs[i] = p->stops[i].offset;
		cols[i].red = p->stops[i].red;
		cols[i].green = p->stops[i].green;
		cols[i].blue = p->stops[i].blue;
		cols[i].alpha = p->stops[i].alpha;
	}
	a.x = p->args[0];
	a.y = p->args[1];
	switch (p->source) {
	case XS_PIC_LINEAR:
		b.x = p->args[2];
		b.y = p->args[3];
		ck = xcb_render_create_linear_gradient_checked(g->c, id, a, b, n,
		    offs, cols);
		break;
	case XS_PIC_RADIAL:
		b.x = p->args[3];
		b.y = p->args[4];
		ck = xcb_render_create_radial_gradient_checked(g->c, id, a, b,
		    p->args[2], p->args[5], n, offs, cols);
		break;
	default:
		ck = xcb_render_create_conical_gradient_checked(g->c, id, a,
		    p->args[2], n, offs, cols);
		break;
	}
	free(offs);
	free(cols);
	r = rr_track(g, ck, "CreateGradient");
	return r;
}

/* A pixmap holding the pixels of a picture whose pixmap the client had
 * freed; freed again once the picture holds it. */
static uint32_t
rr_orphan_pixmap(struct rr *g, const struct xs_picture *p, int *r)
{
	const struct xs_image *im = p->contents;
	uint32_t pm = xcb_generate_id(g->c);

	*r = rr_track(g, xcb_create_pixmap_checked(g->c, im->depth, pm,
	    g->root, im->width, im->height), "CreatePixmap");
	if (*r == 0)
		*r = g->cb->put_image(g->cb->arg, pm, im);
	return *r == 0 ? pm : 0;
}

static int
rr_picture(struct rr *g, const struct xs_picture *p)
{
	uint32_t id = xcb_generate_id(g->c), v[6], mask = 0, n = 0, orphan = 0;
	int r = 0;

	if (p->source == XS_PIC_DRAWABLE) {
		uint32_t d;

		if (p->contents != NULL) {
			d = orphan = rr_orphan_pixmap(g, p, &r);
			if (r < 0)
				return r;
		} else {
			d = rr_drawable(g, p->drawable);
		}
		uint32_t fmt = rr_format(g, p->format, "picture", p->id, &r);

		if (fmt == 0)
			return r;
		if (d == 0)
			return rr_fail(g, "picture 0x%x: its drawable 0x%x was not "
			    "recreated", p->id, p->drawable);
		mask = XCB_RENDER_CP_REPEAT | XCB_RENDER_CP_GRAPHICS_EXPOSURE |
		    XCB_RENDER_CP_SUBWINDOW_MODE | XCB_RENDER_CP_POLY_EDGE |
		    XCB_RENDER_CP_POLY_MODE | XCB_RENDER_CP_COMPONENT_ALPHA;
		v[n++] = p->repeat;
		v[n++] = p->exposures;
		v[n++] = p->subwindow_mode;
		v[n++] = p->poly_edge;
		v[n++] = p->poly_mode;
		v[n++] = p->component_alpha;
		r = rr_track(g, xcb_render_create_picture_checked(g->c, id, d,
		    fmt, mask, v), "CreatePicture");
		if (orphan != 0)
			xcb_free_pixmap(g->c, orphan);
	} else {
		r = rr_source(g, p, id);
		if (r == 0 && p->repeat) {
			v[0] = p->repeat;
			r = rr_track(g, xcb_render_change_picture_checked(g->c,
			    id, XCB_RENDER_CP_REPEAT, v), "ChangePicture");
		}
	}
	if (r == 0)
		r = xs_idmap_add(g->map, XS_ID_PICTURE, p->id, id);
	if (r == 0 && p->has_clip) {
		xcb_rectangle_t *rects = calloc(p->nrects ? p->nrects : 1,
		    sizeof *rects);
		uint32_t i;

		if (rects == NULL)
			return -ENOMEM;
		for (i = 0; i < p->nrects; i++) {
			rects[i].x = (int16_t)p->rects[i].x;
			rects[i].y = (int16_t)p->rects[i].y;
			rects[i].width = (uint16_t)p->rects[i].width;
			rects[i].height = (uint16_t)p->rects[i].height;
		}
		r = rr_track(g, xcb_render_set_picture_clip_rectangles_checked(
		    g->c, id, (int16_t)p->clip_x, (int16_t)p->clip_y, p->nrects,
		    rects), "SetPictureClipRectangles");
		free(rects);
	}
	if (r == 0 && p->has_transform) {
		xcb_render_transform_t t = {
			p->transform[0], p->transform[1], p->transform[2],
			p->transform[3], p->transform[4], p->transform[5],
			p->transform[6], p->transform[7], p->transform[8] };

		r = rr_track(g, xcb_render_set_picture_transform_checked(g->c,
		    id, t), "SetPictureTransform");
	}
	if (r == 0 && p->filter[0] != '\0' &&
	    (strcmp(p->filter, "nearest") != 0 || p->nparams > 0))
		r = rr_track(g, xcb_render_set_picture_filter_checked(g->c, id,
		    (uint16_t)strlen(p->filter), p->filter, p->nparams,
		    (const xcb_render_fixed_t *)p->params), "SetPictureFilter");
	return r;
}

static int
rr_alpha_maps(struct rr *g)
{
	size_t i;
	int r = 0;

	for (i = 0; i < g->s->render.npictures && r == 0; i++) {
		const struct xs_picture *p = &g->s->render.pictures[i];
		uint32_t v[3];

		if (p->alpha_map == 0)
			continue;
		v[0] = xs_idmap_get(g->map, XS_ID_PICTURE, p->alpha_map);
		if (v[0] == 0)
			return rr_fail(g, "picture 0x%x: alpha map 0x%x missing",
			    p->id, p->alpha_map);
		v[1] = (uint32_t)p->alpha_x;
		v[2] = (uint32_t)p->alpha_y;
		r = rr_track(g, xcb_render_change_picture_checked(g->c,
		    xs_idmap_get(g->map, XS_ID_PICTURE, p->id),
		    XCB_RENDER_CP_ALPHA_MAP | XCB_RENDER_CP_ALPHA_X_ORIGIN |
		    XCB_RENDER_CP_ALPHA_Y_ORIGIN, v), "ChangePicture");
	}
	return r;
}

/* The client's selections on windows it did not create: the root's are
 * made again; another client's window has no counterpart here. */
static int
rr_selections(struct rr *g)
{
	size_t i;
	int r = 0;

	for (i = 0; i < g->s->render.nselections && r == 0; i++) {
		const struct xs_selection *e = &g->s->render.selections[i];

		if (e->window != g->s->root) {
			log_info("regen: the selection (mask 0x%x) on another "
			    "client's window 0x%x stays behind", e->mask,
			    e->window);
			continue;
		}
		r = rr_track(g, xcb_change_window_attributes_checked(g->c,
		    g->root, XCB_CW_EVENT_MASK, &e->mask),
		    "ChangeWindowAttributes (root event mask)");
	}
	return r;
}

/* DBE back buffers, by raw requests (libxcb has no DBE binding). */
static int
rr_dbes(struct rr *g)
{
	static const char name[] = "DOUBLE-BUFFER";
	xcb_query_extension_reply_t *q;
	uint8_t major;
	size_t i;
	int r = 0;

	if (g->s->render.ndbes == 0)
		return 0;
	q = xcb_query_extension_reply(g->c, xcb_query_extension(g->c,
	    sizeof name - 1, name), NULL);
	if (q == NULL || !q->present) {
		free(q);
		return rr_fail(g, "the new display has no DOUBLE-BUFFER "
		    "extension for the program's back buffers");
	}
	major = q->major_opcode;
	free(q);
	for (i = 0; i < g->s->render.ndbes && r == 0; i++) {
		const struct xs_dbe *d = &g->s->render.dbes[i];
		xcb_protocol_request_t pr = { 1, NULL, major, 1 };
		uint32_t req[4], w = xs_idmap_get(g->map, XS_ID_WINDOW, d->window);
		uint32_t id = xcb_generate_id(g->c);
		struct iovec iov[3];
		uint16_t len = 4;
		unsigned seq;

		if (w == 0)
			return rr_fail(g, "back buffer 0x%x: its window 0x%x was "
			    "not recreated", d->buffer, d->window);
		memset(req, 0, sizeof req);
		((uint8_t *)req)[0] = major;
		((uint8_t *)req)[1] = 1;    /* AllocateBackBufferName */
		memcpy((uint8_t *)req + 2, &len, 2);
		req[1] = w;
		req[2] = id;
		((uint8_t *)req)[12] = d->swap_action;
		iov[2].iov_base = req;
		iov[2].iov_len = sizeof req;
		seq = xcb_send_request(g->c, XCB_REQUEST_CHECKED |
		    XCB_REQUEST_RAW, &iov[2], &pr);
		r = rr_track(g, (xcb_void_cookie_t){ seq },
		    "DBE AllocateBackBufferName");
		if (r == 0)
			r = xs_idmap_add(g->map, XS_ID_BACKBUFFER, d->buffer, id);
		if (r == 0 && d->contents != NULL)
			r = g->cb->put_image(g->cb->arg, id, d->contents);
	}
	return r;
}

int
xs_regen_render(xcb_connection_t *c, const struct xs_session *s,
    struct xs_idmap *map, uint32_t root, const struct xs_regen_cb *cb,
    char **cause)
{
	const xcb_setup_t *setup = xcb_get_setup(c);
	struct rr g;
	size_t i;
	int r;

	if (s->render.nformats == 0 && s->render.npictures == 0 &&
	    s->render.nglyphsets == 0 && s->render.nselections == 0 &&
	    s->render.ndbes == 0)
		return 0;
	memset(&g, 0, sizeof g);
	g.c = c;
	g.s = s;
	g.map = map;
	g.root = root;
	g.cb = cb;
	g.cause = cause;
	g.msb_bits = setup->bitmap_format_bit_order == XCB_IMAGE_ORDER_MSB_FIRST;
	g.msb_bytes = setup->image_byte_order == XCB_IMAGE_ORDER_MSB_FIRST;
	r = s->render.nformats ? rr_formats(&g) : 0;
	if (r == 0)
		r = rr_selections(&g);
	if (r == 0)
		r = rr_dbes(&g);
	if (r == 0)
		r = rr_glyphsets(&g);
	for (i = 0; r == 0 && i < s->render.npictures; i++)
		r = rr_picture(&g, &s->render.pictures[i]);
	if (r == 0)
		r = rr_alpha_maps(&g);
	if (r == 0)
		r = rr_check_all(&g, 1);
	else
		(void)rr_check_all(&g, 0);
	free(g.ck);
	free(g.what);
	return r;
}

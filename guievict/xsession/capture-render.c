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

static int
cr_picture(xcb_connection_t *c, uint8_t major, struct xs_render *r,
    uint32_t id, int (*owned)(void *, uint32_t), void *arg, uint32_t root,
    char **cause)
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
	if (p->drawable != root && !owned(arg, p->drawable))
		return cr_fail(cause, "cannot move: picture 0x%x draws on "
		    "0x%x, another client's drawable", id, p->drawable);
	if (xs_render_format(r, p->format) == NULL)
		return cr_fail(cause, "picture 0x%x has format 0x%x, which "
		    "QueryPictFormats did not list", id, p->format);
	return 0;
}

int
xs_capture_render(xcb_connection_t *c, uint8_t major, struct xs_session *s,
    const struct xs_resource *res, size_t nres,
    int (*owned)(void *, uint32_t), void *arg, char **cause)
{
	size_t i, k;
	int r;

	if ((r = cr_formats(c, &s->render, cause)) < 0)
		return r;
	for (i = 0; i < nres; i++) {
		if (strcmp(res[i].type, "GLYPHSET") == 0)
			r = cr_glyphset(c, major, &s->render, res[i].id, cause);
		else if (strcmp(res[i].type, "PICTURE") == 0)
			r = cr_picture(c, major, &s->render, res[i].id, owned,
			    arg, s->root, cause);
		else
			r = 0;
		if (r < 0)
			return r;
	}
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

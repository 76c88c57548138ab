/*
 * render.c: the RENDER part of a window session, its structures and its
 * frames (see render.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/evgui.h"
#include "guievict/xsession/render.h"
#include "guievict/xsession/session.h"

#define TRY(x) do { if ((rc = (x)) < 0) return rc; } while (0)

static void
xs_contents_free(struct xs_image *im)
{
	if (im != NULL)
		xs_image_free(im);
	free(im);
}

static void
xs_picture_clear(struct xs_picture *p)
{
	xs_contents_free(p->contents);
	free(p->rects);
	free(p->params);
	free(p->stops);
}

void
xs_render_free(struct xs_render *r)
{
	size_t i;
	uint32_t k;

	for (i = 0; i < r->nglyphsets; i++) {
		for (k = 0; k < r->glyphsets[i].nglyphs; k++)
			free(r->glyphsets[i].glyphs[k].image);
		free(r->glyphsets[i].glyphs);
	}
	for (i = 0; i < r->npictures; i++)
		xs_picture_clear(&r->pictures[i]);
	for (i = 0; i < r->ndbes; i++)
		xs_contents_free(r->dbes[i].contents);
	free(r->formats);
	free(r->glyphsets);
	free(r->pictures);
	free(r->selections);
	free(r->dbes);
	memset(r, 0, sizeof *r);
}

static void *
xs_render_grow(void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	char *p;

	if (*n >= (1u << 24))
		return NULL;
	p = realloc(*arr, (*n + 1) * sz);
	if (p == NULL)
		return NULL;
	*arr = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

struct xs_pictformat *
xs_render_add_format(struct xs_render *r)
{
	return xs_render_grow(&r->formats, &r->nformats, sizeof *r->formats);
}

struct xs_glyphset *
xs_render_add_glyphset(struct xs_render *r)
{
	return xs_render_grow(&r->glyphsets, &r->nglyphsets,
	    sizeof *r->glyphsets);
}

struct xs_picture *
xs_render_add_picture(struct xs_render *r)
{
	return xs_render_grow(&r->pictures, &r->npictures, sizeof *r->pictures);
}

struct xs_selection *
xs_render_add_selection(struct xs_render *r)
{
	return xs_render_grow(&r->selections, &r->nselections,
	    sizeof *r->selections);
}

struct xs_dbe *
xs_render_add_dbe(struct xs_render *r)
{
	return xs_render_grow(&r->dbes, &r->ndbes, sizeof *r->dbes);
}

const struct xs_pictformat *
xs_render_format(const struct xs_render *r, uint32_t id)
{
	size_t i;

	for (i = 0; i < r->nformats; i++)
		if (r->formats[i].id == id)
			return &r->formats[i];
	return NULL;
}

/* ---- encoding ---------------------------------------------------------- */

static int
put_contents(struct wbuf *b, const struct xs_image *im)
{
	struct xs_image none;

	if (im == NULL) {
		memset(&none, 0, sizeof none);
		im = &none;
	}
	return xs_image_encode(b, im);
}

/* An image, or NULL when the file says none. */
static int
get_contents(struct wbuf *b, struct xs_image **out)
{
	struct xs_image *im;
	int rc;

	*out = NULL;
	im = calloc(1, sizeof *im);
	if (im == NULL)
		return -ENOMEM;
	if ((rc = xs_image_decode(b, im)) < 0) {
		xs_contents_free(im);
		return rc;
	}
	if (im->data == NULL) {
		free(im);
		return 0;
	}
	*out = im;
	return 0;
}

int
xs_render_put_format(struct wbuf *b, const void *obj)
{
	const struct xs_pictformat *f = obj;
	int rc;

	TRY(wbuf_put_u32(b, f->id));
	TRY(wbuf_put_u8(b, f->type));
	TRY(wbuf_put_u8(b, f->depth));
	TRY(wbuf_put_u16(b, f->red_shift));
	TRY(wbuf_put_u16(b, f->red_mask));
	TRY(wbuf_put_u16(b, f->green_shift));
	TRY(wbuf_put_u16(b, f->green_mask));
	TRY(wbuf_put_u16(b, f->blue_shift));
	TRY(wbuf_put_u16(b, f->blue_mask));
	TRY(wbuf_put_u16(b, f->alpha_shift));
	return wbuf_put_u16(b, f->alpha_mask);
}

int
xs_render_put_glyphset(struct wbuf *b, const void *obj)
{
	const struct xs_glyphset *g = obj;
	uint32_t i;
	int rc;

	TRY(wbuf_put_u32(b, g->id));
	TRY(wbuf_put_u32(b, g->format));
	TRY(wbuf_put_u8(b, g->depth));
	TRY(wbuf_put_u32(b, g->nglyphs));
	for (i = 0; i < g->nglyphs; i++) {
		const struct xs_glyph *e = &g->glyphs[i];

		TRY(wbuf_put_u32(b, e->id));
		TRY(wbuf_put_u16(b, e->width));
		TRY(wbuf_put_u16(b, e->height));
		TRY(wbuf_put_u16(b, (uint16_t)e->x));
		TRY(wbuf_put_u16(b, (uint16_t)e->y));
		TRY(wbuf_put_u16(b, (uint16_t)e->xoff));
		TRY(wbuf_put_u16(b, (uint16_t)e->yoff));
		TRY(wbuf_put_blob(b, e->image, e->image_len));
	}
	return 0;
}

int
xs_render_put_picture(struct wbuf *b, const void *obj)
{
	const struct xs_picture *p = obj;
	uint32_t i;
	int rc;

	TRY(wbuf_put_u32(b, p->id));
	TRY(wbuf_put_u8(b, p->source));
	TRY(wbuf_put_u32(b, p->drawable));
	TRY(wbuf_put_u32(b, p->format));
	TRY(wbuf_put_u8(b, p->repeat));
	TRY(wbuf_put_u8(b, p->component_alpha));
	TRY(wbuf_put_u8(b, p->subwindow_mode));
	TRY(wbuf_put_u8(b, p->exposures));
	TRY(wbuf_put_u8(b, p->poly_edge));
	TRY(wbuf_put_u8(b, p->poly_mode));
	TRY(wbuf_put_u32(b, p->alpha_map));
	TRY(wbuf_put_u32(b, (uint32_t)p->alpha_x));
	TRY(wbuf_put_u32(b, (uint32_t)p->alpha_y));
	TRY(wbuf_put_u8(b, p->has_clip));
	TRY(wbuf_put_u32(b, (uint32_t)p->clip_x));
	TRY(wbuf_put_u32(b, (uint32_t)p->clip_y));
	TRY(wbuf_put_u32(b, p->nrects));
	for (i = 0; i < p->nrects; i++) {
		TRY(wbuf_put_u32(b, (uint32_t)p->rects[i].x));
		TRY(wbuf_put_u32(b, (uint32_t)p->rects[i].y));
		TRY(wbuf_put_u32(b, p->rects[i].width));
		TRY(wbuf_put_u32(b, p->rects[i].height));
	}
	TRY(wbuf_put_u8(b, p->has_transform));
	for (i = 0; i < 9; i++)
		TRY(wbuf_put_u32(b, (uint32_t)p->transform[i]));
	for (i = 0; i < 6; i++)
		TRY(wbuf_put_u32(b, (uint32_t)p->args[i]));
	TRY(wbuf_put_str(b, p->filter));
	TRY(wbuf_put_u32(b, p->nparams));
	for (i = 0; i < p->nparams; i++)
		TRY(wbuf_put_u32(b, (uint32_t)p->params[i]));
	TRY(wbuf_put_u32(b, p->nstops));
	for (i = 0; i < p->nstops; i++) {
		TRY(wbuf_put_u32(b, (uint32_t)p->stops[i].offset));
		TRY(wbuf_put_u16(b, p->stops[i].red));
		TRY(wbuf_put_u16(b, p->stops[i].green));
		TRY(wbuf_put_u16(b, p->stops[i].blue));
		TRY(wbuf_put_u16(b, p->stops[i].alpha));
	}
	return put_contents(b, p->contents);
}

int
xs_render_put_selection(struct wbuf *b, const void *obj)
{
	const struct xs_selection *e = obj;
	int rc;

	TRY(wbuf_put_u32(b, e->window));
	return wbuf_put_u32(b, e->mask);
}

int
xs_render_put_dbe(struct wbuf *b, const void *obj)
{
	const struct xs_dbe *d = obj;
	int rc;

	TRY(wbuf_put_u32(b, d->buffer));
	TRY(wbuf_put_u32(b, d->window));
	TRY(wbuf_put_u8(b, d->swap_action));
	return put_contents(b, d->contents);
}

/* ---- decoding ---------------------------------------------------------- */

static int
get_i32(struct wbuf *b, int32_t *v)
{
	uint32_t u;
	int rc;

	TRY(wbuf_get_u32(b, &u));
	*v = (int32_t)u;
	return 0;
}

static int
get_i16(struct wbuf *b, int16_t *v)
{
	uint16_t u;
	int rc;

	TRY(wbuf_get_u16(b, &u));
	*v = (int16_t)u;
	return 0;
}

static int
decode_format(struct xs_render *r, struct wbuf *pl)
{
	struct xs_pictformat f;
	struct xs_pictformat *slot;
	int rc;

	memset(&f, 0, sizeof f);
	TRY(wbuf_get_u32(pl, &f.id));
	TRY(wbuf_get_u8(pl, &f.type));
	TRY(wbuf_get_u8(pl, &f.depth));
	TRY(wbuf_get_u16(pl, &f.red_shift));
	TRY(wbuf_get_u16(pl, &f.red_mask));
	TRY(wbuf_get_u16(pl, &f.green_shift));
	TRY(wbuf_get_u16(pl, &f.green_mask));
	TRY(wbuf_get_u16(pl, &f.blue_shift));
	TRY(wbuf_get_u16(pl, &f.blue_mask));
	TRY(wbuf_get_u16(pl, &f.alpha_shift));
	TRY(wbuf_get_u16(pl, &f.alpha_mask));
	if (f.id == 0 || f.type > 1 || f.depth == 0 || f.depth > 32 ||
	    xs_render_format(r, f.id) != NULL)
		return -EBADMSG;
	if ((slot = xs_render_add_format(r)) == NULL)
		return -ENOMEM;
	*slot = f;
	return 0;
}

static int
decode_glyphset(struct xs_render *r, struct wbuf *pl)
{
	struct xs_glyphset *g;
	const struct xs_pictformat *f;
	uint32_t i, n;
	int rc;

	if ((g = xs_render_add_glyphset(r)) == NULL)
		return -ENOMEM;
	TRY(wbuf_get_u32(pl, &g->id));
	TRY(wbuf_get_u32(pl, &g->format));
	TRY(wbuf_get_u8(pl, &g->depth));
	TRY(wbuf_get_u32(pl, &n));
	f = xs_render_format(r, g->format);
	if (g->id == 0 || f == NULL || f->depth != g->depth ||
	    evgui_glyph_image_len(1, 1, g->depth) == 0 || n > XS_GLYPHS_MAX ||
	    n > wbuf_avail(pl) / 16)
		return -EBADMSG;
	if (n == 0)
		return 0;
	g->glyphs = calloc(n, sizeof *g->glyphs);
	if (g->glyphs == NULL)
		return -ENOMEM;
	g->nglyphs = n;
	for (i = 0; i < n; i++) {
		struct xs_glyph *e = &g->glyphs[i];
		const uint8_t *img;
		size_t len;

		TRY(wbuf_get_u32(pl, &e->id));
		TRY(wbuf_get_u16(pl, &e->width));
		TRY(wbuf_get_u16(pl, &e->height));
		TRY(get_i16(pl, &e->x));
		TRY(get_i16(pl, &e->y));
		TRY(get_i16(pl, &e->xoff));
		TRY(get_i16(pl, &e->yoff));
		TRY(wbuf_get_blob(pl, &img, &len, wbuf_avail(pl)));
		if (len != (e->width && e->height ? evgui_glyph_image_len(
		    e->width, e->height, g->depth) : 0) ||
		    (len == 0 && e->width && e->height))
			return -EBADMSG;
		if (len == 0)
			continue;
		e->image = malloc(len);
		if (e->image == NULL)
			return -ENOMEM;
		memcpy(e->image, img, len);
		e->image_len = (uint32_t)len;
	}
	return 0;
}

static int
decode_picture(struct xs_render *r, struct wbuf *pl)
{
	struct xs_picture *p;
	uint32_t i;
	char filter[sizeof p->filter + 1];
	int rc;

	if ((p = xs_render_add_picture(r)) == NULL)
		return -ENOMEM;
	TRY(wbuf_get_u32(pl, &p->id));
	TRY(wbuf_get_u8(pl, &p->source));
	TRY(wbuf_get_u32(pl, &p->drawable));
	TRY(wbuf_get_u32(pl, &p->format));
	TRY(wbuf_get_u8(pl, &p->repeat));
	TRY(wbuf_get_u8(pl, &p->component_alpha));
	TRY(wbuf_get_u8(pl, &p->subwindow_mode));
	TRY(wbuf_get_u8(pl, &p->exposures));
	TRY(wbuf_get_u8(pl, &p->poly_edge));
	TRY(wbuf_get_u8(pl, &p->poly_mode));
	TRY(wbuf_get_u32(pl, &p->alpha_map));
	TRY(get_i32(pl, &p->alpha_x));
	TRY(get_i32(pl, &p->alpha_y));
	TRY(wbuf_get_u8(pl, &p->has_clip));
	TRY(get_i32(pl, &p->clip_x));
	TRY(get_i32(pl, &p->clip_y));
	TRY(wbuf_get_u32(pl, &p->nrects));
	if (p->id == 0 || p->source > XS_PIC_CONICAL || p->repeat > 3 ||
	    p->has_clip > 1 || p->nrects > wbuf_avail(pl) / 16 ||
	    (p->source == XS_PIC_DRAWABLE &&
	    xs_render_format(r, p->format) == NULL))
		return -EBADMSG;
	if (p->nrects > 0) {
		p->rects = calloc(p->nrects, sizeof *p->rects);
		if (p->rects == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < p->nrects; i++) {
		TRY(get_i32(pl, &p->rects[i].x));
		TRY(get_i32(pl, &p->rects[i].y));
		TRY(wbuf_get_u32(pl, &p->rects[i].width));
		TRY(wbuf_get_u32(pl, &p->rects[i].height));
	}
	TRY(wbuf_get_u8(pl, &p->has_transform));
	for (i = 0; i < 9; i++)
		TRY(get_i32(pl, &p->transform[i]));
	for (i = 0; i < 6; i++)
		TRY(get_i32(pl, &p->args[i]));
	TRY(wbuf_get_str(pl, filter, sizeof filter));
	if (strlen(filter) >= sizeof p->filter || p->has_transform > 1)
		return -EBADMSG;
	memcpy(p->filter, filter, strlen(filter) + 1);
	TRY(wbuf_get_u32(pl, &p->nparams));
	if (p->nparams > XS_PARAMS_MAX || p->nparams > wbuf_avail(pl) / 4)
		return -EBADMSG;
	if (p->nparams > 0) {
		p->params = calloc(p->nparams, sizeof *p->params);
		if (p->params == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < p->nparams; i++)
		TRY(get_i32(pl, &p->params[i]));
	TRY(wbuf_get_u32(pl, &p->nstops));
	if (p->nstops > XS_STOPS_MAX || p->nstops > wbuf_avail(pl) / 12)
		return -EBADMSG;
	if (p->nstops > 0) {
		p->stops = calloc(p->nstops, sizeof *p->stops);
		if (p->stops == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < p->nstops; i++) {
		TRY(get_i32(pl, &p->stops[i].offset));
		TRY(wbuf_get_u16(pl, &p->stops[i].red));
		TRY(wbuf_get_u16(pl, &p->stops[i].green));
		TRY(wbuf_get_u16(pl, &p->stops[i].blue));
		TRY(wbuf_get_u16(pl, &p->stops[i].alpha));
	}
	TRY(get_contents(pl, &p->contents));
	/* a drawn picture names its drawable, or carries its pixels */
	if (p->source == XS_PIC_DRAWABLE && (p->drawable == 0) ==
	    (p->contents == NULL))
		return -EBADMSG;
	return 0;
}

static int
decode_selection(struct xs_render *r, struct wbuf *pl)
{
	struct xs_selection *e;
	int rc;

	if ((e = xs_render_add_selection(r)) == NULL)
		return -ENOMEM;
	TRY(wbuf_get_u32(pl, &e->window));
	TRY(wbuf_get_u32(pl, &e->mask));
	return e->window == 0 ? -EBADMSG : 0;
}

static int
decode_dbe(struct xs_render *r, struct wbuf *pl)
{
	struct xs_dbe *d;
	int rc;

	if ((d = xs_render_add_dbe(r)) == NULL)
		return -ENOMEM;
	TRY(wbuf_get_u32(pl, &d->buffer));
	TRY(wbuf_get_u32(pl, &d->window));
	TRY(wbuf_get_u8(pl, &d->swap_action));
	TRY(get_contents(pl, &d->contents));
	return d->buffer == 0 || d->window == 0 || d->swap_action > 3 ?
	    -EBADMSG : 0;
}

int
xs_render_decode_frame(struct xs_render *r, uint16_t type, struct wbuf *pl)
{
	switch (type) {
	case XS_FR_PICTFORMAT:
		return decode_format(r, pl);
	case XS_FR_GLYPHSET:
		return decode_glyphset(r, pl);
	case XS_FR_PICTURE:
		return decode_picture(r, pl);
	case XS_FR_SELECTION:
		return decode_selection(r, pl);
	case XS_FR_DBE:
		return decode_dbe(r, pl);
	default:
		return -EINVAL;
	}
}

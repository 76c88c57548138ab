/* session: see session.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/session.h"

/* ---- images ------------------------------------------------------------- */

static int
xs_image_format_ok(uint8_t bpp, uint8_t pad)
{
	if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 &&
	    bpp != 32)
		return 0;
	return pad == 8 || pad == 16 || pad == 32;
}

static uint32_t
xs_image_stride(uint16_t width, uint8_t bpp, uint8_t pad)
{
	uint64_t bits = (uint64_t)width * bpp;

	bits = (bits + pad - 1) / pad * pad;
	return (uint32_t)(bits / 8);
}

int
xs_image_alloc(struct xs_image *im, uint16_t width, uint16_t height,
    uint8_t depth, uint8_t bpp, uint8_t pad, int msb_bytes, int msb_bits)
{
	size_t sz;

	memset(im, 0, sizeof *im);
	if (!xs_image_format_ok(bpp, pad) || depth == 0 || depth > 32 ||
	    depth > bpp)
		return -EINVAL;
	im->width = width;
	im->height = height;
	im->depth = depth;
	im->bpp = bpp;
	im->pad = pad;
	im->msb_bytes = msb_bytes ? 1 : 0;
	im->msb_bits = msb_bits ? 1 : 0;
	im->stride = xs_image_stride(width, bpp, pad);
	sz = (size_t)im->stride * height;
	im->data = calloc(1, sz ? sz : 1);
	if (im->data == NULL)
		return -ENOMEM;
	return 0;
}

void
xs_image_free(struct xs_image *im)
{
	free(im->data);
	memset(im, 0, sizeof *im);
}

size_t
xs_image_size(const struct xs_image *im)
{
	return (size_t)im->stride * im->height;
}

static uint32_t
xs_depth_mask(uint8_t depth)
{
	return depth >= 32 ? 0xffffffffu : ((1u << depth) - 1);
}

uint32_t
xs_image_get(const struct xs_image *im, unsigned x, unsigned y)
{
	const uint8_t *p;
	uint32_t v = 0;
	unsigned i, nb;
	uint8_t byte;

	if (im->data == NULL || x >= im->width || y >= im->height)
		return 0;
	p = im->data + (size_t)y * im->stride;
	switch (im->bpp) {
	case 1:
		byte = p[x / 8];
		return (byte >> (im->msb_bits ? 7 - x % 8 : x % 8)) & 1;
	case 4:
		byte = p[x / 2];
		if ((x % 2 == 0) == (im->msb_bytes != 0))
			v = byte >> 4;
		else
			v = byte & 0xf;
		return v & xs_depth_mask(im->depth);
	default:
		nb = im->bpp / 8;
		p += (size_t)x * nb;
		for (i = 0; i < nb; i++) {
			if (im->msb_bytes)
				v = v << 8 | p[i];
			else
				v |= (uint32_t)p[i] << (8 * i);
		}
		return v & xs_depth_mask(im->depth);
	}
}

void
xs_image_put(struct xs_image *im, unsigned x, unsigned y, uint32_t v)
{
	uint8_t *p;
	unsigned i, nb, sh;

	if (im->data == NULL || x >= im->width || y >= im->height)
		return;
	p = im->data + (size_t)y * im->stride;
	v &= xs_depth_mask(im->depth);
	switch (im->bpp) {
	case 1:
		sh = im->msb_bits ? 7 - x % 8 : x % 8;
		p[x / 8] = (uint8_t)((p[x / 8] & ~(1u << sh)) | (v & 1) << sh);
		return;
	case 4:
		sh = ((x % 2 == 0) == (im->msb_bytes != 0)) ? 4 : 0;
		p[x / 2] = (uint8_t)((p[x / 2] & ~(0xfu << sh)) | (v & 0xf) << sh);
		return;
	default:
		nb = im->bpp / 8;
		p += (size_t)x * nb;
		for (i = 0; i < nb; i++) {
			if (im->msb_bytes)
				p[i] = (uint8_t)(v >> (8 * (nb - 1 - i)));
			else
				p[i] = (uint8_t)(v >> (8 * i));
		}
		return;
	}
}

int
xs_image_uniform(const struct xs_image *im, uint32_t *pixel)
{
	uint32_t first;
	unsigned x, y;

	if (im->data == NULL || im->width == 0 || im->height == 0)
		return 0;
	first = xs_image_get(im, 0, 0);
	for (y = 0; y < im->height; y++)
		for (x = 0; x < im->width; x++)
			if (xs_image_get(im, x, y) != first)
				return 0;
	*pixel = first;
	return 1;
}

int
xs_image_convert(const struct xs_image *src, struct xs_image *dst)
{
	struct xs_image out;
	unsigned x, y;
	int r;

	r = xs_image_alloc(&out, src->width, src->height, src->depth, dst->bpp,
	    dst->pad, dst->msb_bytes, dst->msb_bits);
	if (r < 0)
		return r;
	for (y = 0; y < src->height; y++)
		for (x = 0; x < src->width; x++)
			xs_image_put(&out, x, y, xs_image_get(src, x, y));
	*dst = out;
	return 0;
}

int
xs_image_equal(const struct xs_image *a, const struct xs_image *b)
{
	unsigned x, y;

	if (a->width != b->width || a->height != b->height ||
	    a->depth != b->depth || (a->data == NULL) != (b->data == NULL))
		return 0;
	if (a->data == NULL)
		return 1;
	for (y = 0; y < a->height; y++)
		for (x = 0; x < a->width; x++)
			if (xs_image_get(a, x, y) != xs_image_get(b, x, y))
				return 0;
	return 1;
}

/* ---- the session in memory ------------------------------------------------ */

struct xs_session *
xs_session_new(void)
{
	return calloc(1, sizeof(struct xs_session));
}

static void
xs_window_clear(struct xs_window *w)
{
	uint32_t i;
	int k;

	xs_image_free(&w->bg_image);
	xs_image_free(&w->contents);
	for (k = 0; k < 3; k++)
		free(w->rects[k]);
	for (i = 0; i < w->nprops; i++)
		free(w->props[i].data);
	free(w->props);
}

void
xs_session_free(struct xs_session *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->natoms; i++)
		free(s->atoms[i].name);
	free(s->atoms);
	for (i = 0; i < s->nwindows; i++)
		xs_window_clear(&s->windows[i]);
	free(s->windows);
	for (i = 0; i < s->npixmaps; i++)
		xs_image_free(&s->pixmaps[i].image);
	free(s->pixmaps);
	for (i = 0; i < s->ngcs; i++) {
		free(s->gcs[i].font_name);
		free(s->gcs[i].dashes);
		xs_image_free(&s->gcs[i].clip);
		xs_image_free(&s->gcs[i].tile);
		xs_image_free(&s->gcs[i].stipple);
	}
	free(s->gcs);
	for (i = 0; i < s->nfonts; i++)
		free(s->fonts[i].name);
	free(s->fonts);
	for (i = 0; i < s->ncursors; i++)
		free(s->cursors[i].argb);
	free(s->cursors);
	for (i = 0; i < s->ncolormaps; i++)
		free(s->colormaps[i].rgb);
	free(s->colormaps);
	free(s->grabs);
	for (i = 0; i < s->nlosses; i++) {
		free(s->losses[i].type);
		free(s->losses[i].what);
	}
	free(s->losses);
	xs_render_free(&s->render);
	free(s);
}

/* Grows *arr (of *n elements of size sz) by one zeroed element. */
static void *
xs_grow(void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	uint8_t *nv;

	if (*n >= (SIZE_MAX / sz) - 1)
		return NULL;
	nv = realloc(*arr, (*n + 1) * sz);
	if (nv == NULL)
		return NULL;
	*arr = nv;
	memset(nv + *n * sz, 0, sz);
	return nv + (*n)++ * sz;
}

struct xs_window *
xs_session_add_window(struct xs_session *s)
{
	return xs_grow(&s->windows, &s->nwindows, sizeof *s->windows);
}

struct xs_pixmap *
xs_session_add_pixmap(struct xs_session *s)
{
	return xs_grow(&s->pixmaps, &s->npixmaps, sizeof *s->pixmaps);
}

struct xs_gc *
xs_session_add_gc(struct xs_session *s)
{
	return xs_grow(&s->gcs, &s->ngcs, sizeof *s->gcs);
}

struct xs_font *
xs_session_add_font(struct xs_session *s)
{
	return xs_grow(&s->fonts, &s->nfonts, sizeof *s->fonts);
}

struct xs_cursor *
xs_session_add_cursor(struct xs_session *s)
{
	return xs_grow(&s->cursors, &s->ncursors, sizeof *s->cursors);
}

struct xs_colormap *
xs_session_add_colormap(struct xs_session *s)
{
	return xs_grow(&s->colormaps, &s->ncolormaps, sizeof *s->colormaps);
}

struct xs_grab *
xs_session_add_grab(struct xs_session *s)
{
	return xs_grow(&s->grabs, &s->ngrabs, sizeof *s->grabs);
}

struct xs_prop *
xs_window_add_prop(struct xs_window *w)
{
	size_t n = w->nprops;
	struct xs_prop *p;

	p = xs_grow(&w->props, &n, sizeof *w->props);
	if (p != NULL)
		w->nprops = (uint32_t)n;
	return p;
}

int
xs_session_add_loss(struct xs_session *s, const char *type, uint32_t count,
    const char *what)
{
	struct xs_loss *l;
	char *t, *w;

	t = strdup(type);
	w = strdup(what);
	if (t == NULL || w == NULL)
		goto nomem;
	l = xs_grow(&s->losses, &s->nlosses, sizeof *s->losses);
	if (l == NULL)
		goto nomem;
	l->type = t;
	l->count = count;
	l->what = w;
	return 0;
nomem:
	free(t);
	free(w);
	return -ENOMEM;
}

const char *
xs_session_atom_name(const struct xs_session *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->natoms; i++)
		if (s->atoms[i].id == id)
			return s->atoms[i].name;
	return NULL;
}

int
xs_session_add_atom(struct xs_session *s, uint32_t id, const char *name)
{
	struct xs_atom *a;
	char *copy;

	if (id == 0)
		return -EINVAL;
	if (xs_session_atom_name(s, id) != NULL)
		return 0;
	if (strlen(name) > XS_NAME_MAX)
		return -EMSGSIZE;
	copy = strdup(name);
	if (copy == NULL)
		return -ENOMEM;
	a = xs_grow(&s->atoms, &s->natoms, sizeof *s->atoms);
	if (a == NULL) {
		free(copy);
		return -ENOMEM;
	}
	a->id = id;
	a->name = copy;
	return 0;
}

const struct xs_window *
xs_session_window(const struct xs_session *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->nwindows; i++)
		if (s->windows[i].id == id)
			return &s->windows[i];
	return NULL;
}

/* ---- encoding ---------------------------------------------------------------- */

#define TRY(x) do { if ((r = (x)) < 0) return r; } while (0)

static int
xs_put_image(struct wbuf *b, const struct xs_image *im)
{
	int r;

	TRY(wbuf_put_u8(b, im->data != NULL));
	if (im->data == NULL)
		return 0;
	TRY(wbuf_put_u16(b, im->width));
	TRY(wbuf_put_u16(b, im->height));
	TRY(wbuf_put_u8(b, im->depth));
	TRY(wbuf_put_u8(b, im->bpp));
	TRY(wbuf_put_u8(b, im->pad));
	TRY(wbuf_put_u8(b, (uint8_t)(im->msb_bytes | im->msb_bits << 1)));
	TRY(wbuf_put_u32(b, im->stride));
	return wbuf_put_blob(b, im->data, xs_image_size(im));
}

int
xs_image_encode(struct wbuf *b, const struct xs_image *im)
{
	return xs_put_image(b, im);
}

static int
xs_put_name(struct wbuf *b, const char *s)
{
	return wbuf_put_str(b, s != NULL ? s : "");
}

static int
xs_put_prop(struct wbuf *b, const struct xs_prop *p)
{
	uint32_t i;
	int r;

	TRY(wbuf_put_u32(b, p->name));
	TRY(wbuf_put_u32(b, p->type));
	TRY(wbuf_put_u8(b, p->format));
	TRY(wbuf_put_u32(b, p->nitems));
	for (i = 0; i < p->nitems; i++) {
		if (p->format == 8) {
			TRY(wbuf_put_u8(b, p->data[i]));
		} else if (p->format == 16) {
			uint16_t v;
			memcpy(&v, p->data + 2 * (size_t)i, 2);
			TRY(wbuf_put_u16(b, v));
		} else {
			uint32_t v;
			memcpy(&v, p->data + 4 * (size_t)i, 4);
			TRY(wbuf_put_u32(b, v));
		}
	}
	return 0;
}

static int
xs_put_window(struct wbuf *b, const struct xs_window *w)
{
	uint32_t i;
	int r, k;

	TRY(wbuf_put_u32(b, w->id));
	TRY(wbuf_put_u32(b, w->parent));
	TRY(wbuf_put_u16(b, (uint16_t)w->x));
	TRY(wbuf_put_u16(b, (uint16_t)w->y));
	TRY(wbuf_put_u16(b, w->width));
	TRY(wbuf_put_u16(b, w->height));
	TRY(wbuf_put_u16(b, w->border_width));
	TRY(wbuf_put_u8(b, w->cls));
	TRY(wbuf_put_u8(b, w->depth));
	TRY(wbuf_put_u32(b, w->visual));
	TRY(wbuf_put_u8(b, w->visual_class));
	TRY(wbuf_put_u8(b, w->bit_gravity));
	TRY(wbuf_put_u8(b, w->win_gravity));
	TRY(wbuf_put_u8(b, w->backing_store));
	TRY(wbuf_put_u32(b, w->backing_planes));
	TRY(wbuf_put_u32(b, w->backing_pixel));
	TRY(wbuf_put_u8(b, w->save_under));
	TRY(wbuf_put_u8(b, w->override_redirect));
	TRY(wbuf_put_u8(b, w->map_state));
	TRY(wbuf_put_u32(b, w->event_mask));
	TRY(wbuf_put_u32(b, w->dont_propagate));
	TRY(wbuf_put_u8(b, w->cmap_kind));
	TRY(wbuf_put_u32(b, w->colormap));
	TRY(wbuf_put_u8(b, w->cursor_known));
	TRY(wbuf_put_u32(b, w->cursor));
	TRY(wbuf_put_u8(b, w->bg_kind));
	TRY(wbuf_put_u32(b, w->bg_pixel));
	TRY(xs_put_image(b, &w->bg_image));
	TRY(wbuf_put_u8(b, w->border_known));
	TRY(wbuf_put_u32(b, w->border_pixel));
	TRY(xs_put_image(b, &w->contents));
	TRY(wbuf_put_u8(b, w->shaped));
	for (k = 0; k < 3; k++) {
		TRY(wbuf_put_u32(b, w->nrects[k]));
		for (i = 0; i < w->nrects[k]; i++) {
			TRY(wbuf_put_u16(b, (uint16_t)w->rects[k][i].x));
			TRY(wbuf_put_u16(b, (uint16_t)w->rects[k][i].y));
			TRY(wbuf_put_u16(b, w->rects[k][i].w));
			TRY(wbuf_put_u16(b, w->rects[k][i].h));
		}
	}
	TRY(wbuf_put_u32(b, w->nprops));
	for (i = 0; i < w->nprops; i++)
		TRY(xs_put_prop(b, &w->props[i]));
	return 0;
}

static int
xs_put_gc(struct wbuf *b, const struct xs_gc *g)
{
	int r, i;

	TRY(wbuf_put_u32(b, g->id));
	TRY(wbuf_put_u8(b, g->depth));
	TRY(wbuf_put_u32(b, g->known));
	for (i = 0; i < XS_GC_NVALUES; i++)
		TRY(wbuf_put_u32(b, g->values[i]));
	TRY(xs_put_name(b, g->font_name));
	TRY(wbuf_put_blob(b, g->dashes, g->ndashes));
	TRY(xs_put_image(b, &g->clip));
	TRY(xs_put_image(b, &g->tile));
	return xs_put_image(b, &g->stipple);
}

static int
xs_put_geom(struct wbuf *b, const struct xs_fontgeom *g)
{
	int r;

	TRY(wbuf_put_u16(b, (uint16_t)g->ascent));
	TRY(wbuf_put_u16(b, (uint16_t)g->descent));
	TRY(wbuf_put_u16(b, (uint16_t)g->min_width));
	TRY(wbuf_put_u16(b, (uint16_t)g->max_width));
	return wbuf_put_u32(b, (uint32_t)g->avg_width);
}

static int
xs_put_cursor(struct wbuf *b, const struct xs_cursor *c)
{
	size_t i, n;
	int r;

	TRY(wbuf_put_u32(b, c->id));
	TRY(wbuf_put_u16(b, c->width));
	TRY(wbuf_put_u16(b, c->height));
	TRY(wbuf_put_u16(b, c->xhot));
	TRY(wbuf_put_u16(b, c->yhot));
	TRY(wbuf_put_u8(b, c->argb != NULL));
	if (c->argb == NULL)
		return 0;
	n = (size_t)c->width * c->height;
	for (i = 0; i < n; i++)
		TRY(wbuf_put_u32(b, c->argb[i]));
	return 0;
}

static int
xs_put_colormap(struct wbuf *b, const struct xs_colormap *m)
{
	uint32_t i;
	int r;

	TRY(wbuf_put_u32(b, m->id));
	TRY(wbuf_put_u32(b, m->visual));
	TRY(wbuf_put_u8(b, m->visual_class));
	TRY(wbuf_put_u32(b, m->rgb != NULL ? m->ncells : 0));
	if (m->rgb == NULL)
		return 0;
	for (i = 0; i < 3 * m->ncells; i++)
		TRY(wbuf_put_u16(b, m->rgb[i]));
	return 0;
}

/* One frame: type, then the payload written by fn(b, obj). */
static int
xs_frame(struct wbuf *b, uint16_t type, int (*fn)(struct wbuf *, const void *),
    const void *obj)
{
	size_t mark;
	int r;

	TRY(frame_begin(b, type, &mark));
	if (fn != NULL)
		TRY(fn(b, obj));
	return frame_end(b, mark);
}

static int
xs_fr_header(struct wbuf *b, const void *obj)
{
	const struct xs_session *s = obj;
	int r;

	TRY(wbuf_put_u32(b, s->client_base));
	TRY(wbuf_put_u32(b, s->client_mask));
	TRY(wbuf_put_u32(b, s->root));
	TRY(wbuf_put_u32(b, s->root_visual));
	TRY(wbuf_put_u32(b, s->default_colormap));
	TRY(wbuf_put_u16(b, s->screen_width));
	TRY(wbuf_put_u16(b, s->screen_height));
	TRY(wbuf_put_u8(b, s->root_depth));
	TRY(wbuf_put_u8(b, s->root_visual_class));
	TRY(wbuf_put_u32(b, s->red_mask));
	TRY(wbuf_put_u32(b, s->green_mask));
	TRY(wbuf_put_u32(b, s->blue_mask));
	return wbuf_put_u32(b, s->flags);
}

static int
xs_fr_atom(struct wbuf *b, const void *obj)
{
	const struct xs_atom *a = obj;
	int r;

	TRY(wbuf_put_u32(b, a->id));
	return wbuf_put_str(b, a->name);
}

static int
xs_fr_window(struct wbuf *b, const void *obj)
{
	return xs_put_window(b, obj);
}

static int
xs_fr_pixmap(struct wbuf *b, const void *obj)
{
	const struct xs_pixmap *p = obj;
	int r;

	TRY(wbuf_put_u32(b, p->id));
	TRY(wbuf_put_u16(b, p->width));
	TRY(wbuf_put_u16(b, p->height));
	TRY(wbuf_put_u8(b, p->depth));
	return xs_put_image(b, &p->image);
}

static int
xs_fr_gc(struct wbuf *b, const void *obj)
{
	return xs_put_gc(b, obj);
}

static int
xs_fr_font(struct wbuf *b, const void *obj)
{
	const struct xs_font *f = obj;
	int r;

	TRY(wbuf_put_u32(b, f->id));
	TRY(xs_put_name(b, f->name));
	return xs_put_geom(b, &f->geom);
}

static int
xs_fr_cursor(struct wbuf *b, const void *obj)
{
	return xs_put_cursor(b, obj);
}

static int
xs_fr_colormap(struct wbuf *b, const void *obj)
{
	return xs_put_colormap(b, obj);
}

static int
xs_fr_grab(struct wbuf *b, const void *obj)
{
	const struct xs_grab *g = obj;
	int r;

	TRY(wbuf_put_u32(b, g->window));
	TRY(wbuf_put_u8(b, g->key));
	TRY(wbuf_put_u8(b, g->detail));
	return wbuf_put_u16(b, g->modifiers);
}

static int
xs_fr_loss(struct wbuf *b, const void *obj)
{
	const struct xs_loss *l = obj;
	int r;

	TRY(wbuf_put_str(b, l->type));
	TRY(wbuf_put_u32(b, l->count));
	return wbuf_put_str(b, l->what);
}

int
xs_session_encode(const struct xs_session *s, struct wbuf *out)
{
	size_t i;
	int r;

	TRY(wbuf_put_hello(out, XS_MAGIC, XS_VERSION, 0));
	TRY(xs_frame(out, XS_FR_HEADER, xs_fr_header, s));
	for (i = 0; i < s->natoms; i++)
		TRY(xs_frame(out, XS_FR_ATOM, xs_fr_atom, &s->atoms[i]));
	for (i = 0; i < s->ncolormaps; i++)
		TRY(xs_frame(out, XS_FR_COLORMAP, xs_fr_colormap,
		    &s->colormaps[i]));
	for (i = 0; i < s->npixmaps; i++)
		TRY(xs_frame(out, XS_FR_PIXMAP, xs_fr_pixmap, &s->pixmaps[i]));
	for (i = 0; i < s->nfonts; i++)
		TRY(xs_frame(out, XS_FR_FONT, xs_fr_font, &s->fonts[i]));
	for (i = 0; i < s->ncursors; i++)
		TRY(xs_frame(out, XS_FR_CURSOR, xs_fr_cursor, &s->cursors[i]));
	for (i = 0; i < s->ngcs; i++)
		TRY(xs_frame(out, XS_FR_GC, xs_fr_gc, &s->gcs[i]));
	for (i = 0; i < s->nwindows; i++)
		TRY(xs_frame(out, XS_FR_WINDOW, xs_fr_window, &s->windows[i]));
	for (i = 0; i < s->render.nformats; i++)
		TRY(xs_frame(out, XS_FR_PICTFORMAT, xs_render_put_format,
		    &s->render.formats[i]));
	for (i = 0; i < s->render.nglyphsets; i++)
		TRY(xs_frame(out, XS_FR_GLYPHSET, xs_render_put_glyphset,
		    &s->render.glyphsets[i]));
	for (i = 0; i < s->render.npictures; i++)
		TRY(xs_frame(out, XS_FR_PICTURE, xs_render_put_picture,
		    &s->render.pictures[i]));
	for (i = 0; i < s->render.nselections; i++)
		TRY(xs_frame(out, XS_FR_SELECTION, xs_render_put_selection,
		    &s->render.selections[i]));
	for (i = 0; i < s->render.ndbes; i++)
		TRY(xs_frame(out, XS_FR_DBE, xs_render_put_dbe,
		    &s->render.dbes[i]));
	for (i = 0; i < s->ngrabs; i++)
		TRY(xs_frame(out, XS_FR_GRAB, xs_fr_grab, &s->grabs[i]));
	for (i = 0; i < s->nlosses; i++)
		TRY(xs_frame(out, XS_FR_LOSS, xs_fr_loss, &s->losses[i]));
	return xs_frame(out, XS_FR_END, NULL, NULL);
}

/* ---- decoding ------------------------------------------------------------------ */

static int
xs_get_i16(struct wbuf *b, int16_t *v)
{
	uint16_t u;
	int r;

	TRY(wbuf_get_u16(b, &u));
	*v = (int16_t)u;
	return 0;
}

static int
xs_get_image(struct wbuf *b, struct xs_image *im)
{
	const uint8_t *p;
	uint8_t present, orders;
	size_t n;
	int r;

	memset(im, 0, sizeof *im);
	TRY(wbuf_get_u8(b, &present));
	if (present > 1)
		return -EBADMSG;
	if (!present)
		return 0;
	TRY(wbuf_get_u16(b, &im->width));
	TRY(wbuf_get_u16(b, &im->height));
	TRY(wbuf_get_u8(b, &im->depth));
	TRY(wbuf_get_u8(b, &im->bpp));
	TRY(wbuf_get_u8(b, &im->pad));
	TRY(wbuf_get_u8(b, &orders));
	TRY(wbuf_get_u32(b, &im->stride));
	if (!xs_image_format_ok(im->bpp, im->pad) || im->depth == 0 ||
	    im->depth > im->bpp || orders > 3 ||
	    im->stride < xs_image_stride(im->width, im->bpp, im->pad))
		return -EBADMSG;
	im->msb_bytes = orders & 1;
	im->msb_bits = (orders >> 1) & 1;
	TRY(wbuf_get_blob(b, &p, &n, wbuf_avail(b)));
	if (n != (size_t)im->stride * im->height)
		return -EBADMSG;
	im->data = malloc(n ? n : 1);
	if (im->data == NULL)
		return -ENOMEM;
	memcpy(im->data, p, n);
	return 0;
}

int
xs_image_decode(struct wbuf *b, struct xs_image *im)
{
	return xs_get_image(b, im);
}

/* A string of at most XS_NAME_MAX bytes, malloc'ed; "" gives NULL. */
static int
xs_get_name(struct wbuf *b, char **out)
{
	char buf[XS_NAME_MAX + 1];
	int r;

	*out = NULL;
	TRY(wbuf_get_str(b, buf, sizeof buf));
	if (buf[0] == '\0')
		return 0;
	*out = strdup(buf);
	return *out == NULL ? -ENOMEM : 0;
}

static int
xs_atom_known(const struct xs_session *s, uint32_t id)
{
	/* predefined atoms 1..68 need no table entry */
	return id == 0 || id <= 68 || xs_session_atom_name(s, id) != NULL;
}

static int
xs_get_prop(struct wbuf *b, const struct xs_session *s, struct xs_prop *p)
{
	uint32_t i;
	size_t sz;
	int r;

	TRY(wbuf_get_u32(b, &p->name));
	TRY(wbuf_get_u32(b, &p->type));
	TRY(wbuf_get_u8(b, &p->format));
	TRY(wbuf_get_u32(b, &p->nitems));
	if (p->format != 8 && p->format != 16 && p->format != 32)
		return -EBADMSG;
	if (p->name == 0 || !xs_atom_known(s, p->name) ||
	    !xs_atom_known(s, p->type))
		return -EBADMSG;
	sz = (size_t)p->nitems * (p->format / 8);
	if (wbuf_avail(b) < sz)
		return -EBADMSG;
	p->data = malloc(sz ? sz : 1);
	if (p->data == NULL)
		return -ENOMEM;
	for (i = 0; i < p->nitems; i++) {
		if (p->format == 8) {
			TRY(wbuf_get_u8(b, &p->data[i]));
		} else if (p->format == 16) {
			uint16_t v;
			TRY(wbuf_get_u16(b, &v));
			memcpy(p->data + 2 * (size_t)i, &v, 2);
		} else {
			uint32_t v;
			TRY(wbuf_get_u32(b, &v));
			memcpy(p->data + 4 * (size_t)i, &v, 4);
		}
	}
	return 0;
}

static int
xs_get_window(struct wbuf *b, struct xs_session *s, struct xs_window *w)
{
	uint32_t i, n;
	int r, k;

	TRY(wbuf_get_u32(b, &w->id));
	TRY(wbuf_get_u32(b, &w->parent));
	TRY(xs_get_i16(b, &w->x));
	TRY(xs_get_i16(b, &w->y));
	TRY(wbuf_get_u16(b, &w->width));
	TRY(wbuf_get_u16(b, &w->height));
	TRY(wbuf_get_u16(b, &w->border_width));
	TRY(wbuf_get_u8(b, &w->cls));
	TRY(wbuf_get_u8(b, &w->depth));
	TRY(wbuf_get_u32(b, &w->visual));
	TRY(wbuf_get_u8(b, &w->visual_class));
	TRY(wbuf_get_u8(b, &w->bit_gravity));
	TRY(wbuf_get_u8(b, &w->win_gravity));
	TRY(wbuf_get_u8(b, &w->backing_store));
	TRY(wbuf_get_u32(b, &w->backing_planes));
	TRY(wbuf_get_u32(b, &w->backing_pixel));
	TRY(wbuf_get_u8(b, &w->save_under));
	TRY(wbuf_get_u8(b, &w->override_redirect));
	TRY(wbuf_get_u8(b, &w->map_state));
	TRY(wbuf_get_u32(b, &w->event_mask));
	TRY(wbuf_get_u32(b, &w->dont_propagate));
	TRY(wbuf_get_u8(b, &w->cmap_kind));
	TRY(wbuf_get_u32(b, &w->colormap));
	TRY(wbuf_get_u8(b, &w->cursor_known));
	TRY(wbuf_get_u32(b, &w->cursor));
	TRY(wbuf_get_u8(b, &w->bg_kind));
	TRY(wbuf_get_u32(b, &w->bg_pixel));
	TRY(xs_get_image(b, &w->bg_image));
	TRY(wbuf_get_u8(b, &w->border_known));
	TRY(wbuf_get_u32(b, &w->border_pixel));
	TRY(xs_get_image(b, &w->contents));
	TRY(wbuf_get_u8(b, &w->shaped));
	if (w->id == 0 || (w->cls != 1 && w->cls != 2) || w->map_state > 2 ||
	    w->cmap_kind > XS_CMAP_FOREIGN || w->bg_kind > XS_BG_UNKNOWN ||
	    w->shaped > 7 || w->width == 0 || w->height == 0)
		return -EBADMSG;
	if (w->bg_kind == XS_BG_IMAGE && w->bg_image.data == NULL)
		return -EBADMSG;
	for (k = 0; k < 3; k++) {
		TRY(wbuf_get_u32(b, &n));
		if (n > wbuf_avail(b) / 8)
			return -EBADMSG;
		if (n == 0)
			continue;
		w->rects[k] = calloc(n, sizeof *w->rects[k]);
		if (w->rects[k] == NULL)
			return -ENOMEM;
		w->nrects[k] = n;
		for (i = 0; i < n; i++) {
			TRY(xs_get_i16(b, &w->rects[k][i].x));
			TRY(xs_get_i16(b, &w->rects[k][i].y));
			TRY(wbuf_get_u16(b, &w->rects[k][i].w));
			TRY(wbuf_get_u16(b, &w->rects[k][i].h));
		}
	}
	TRY(wbuf_get_u32(b, &n));
	if (n > wbuf_avail(b) / 13)
		return -EBADMSG;
	if (n > 0) {
		w->props = calloc(n, sizeof *w->props);
		if (w->props == NULL)
			return -ENOMEM;
		w->nprops = n;
		for (i = 0; i < n; i++)
			TRY(xs_get_prop(b, s, &w->props[i]));
	}
	return 0;
}

static int
xs_get_gc(struct wbuf *b, struct xs_gc *g)
{
	const uint8_t *p;
	size_t n;
	int r, i;

	TRY(wbuf_get_u32(b, &g->id));
	TRY(wbuf_get_u8(b, &g->depth));
	TRY(wbuf_get_u32(b, &g->known));
	for (i = 0; i < XS_GC_NVALUES; i++)
		TRY(wbuf_get_u32(b, &g->values[i]));
	TRY(xs_get_name(b, &g->font_name));
	TRY(wbuf_get_blob(b, &p, &n, 255));
	if (n > 0) {
		g->dashes = malloc(n);
		if (g->dashes == NULL)
			return -ENOMEM;
		memcpy(g->dashes, p, n);
		g->ndashes = (uint8_t)n;
	}
	TRY(xs_get_image(b, &g->clip));
	TRY(xs_get_image(b, &g->tile));
	TRY(xs_get_image(b, &g->stipple));
	if (g->id == 0 || g->depth == 0 || g->depth > 32 ||
	    (g->known >> XS_GC_NVALUES) != 0 ||
	    (g->clip.data != NULL && g->clip.depth != 1) ||
	    (g->stipple.data != NULL && g->stipple.depth != 1))
		return -EBADMSG;
	return 0;
}

static int
xs_get_cursor(struct wbuf *b, struct xs_cursor *c)
{
	uint8_t present;
	size_t i, n;
	int r;

	TRY(wbuf_get_u32(b, &c->id));
	TRY(wbuf_get_u16(b, &c->width));
	TRY(wbuf_get_u16(b, &c->height));
	TRY(wbuf_get_u16(b, &c->xhot));
	TRY(wbuf_get_u16(b, &c->yhot));
	TRY(wbuf_get_u8(b, &present));
	if (c->id == 0 || present > 1)
		return -EBADMSG;
	if (!present)
		return 0;
	n = (size_t)c->width * c->height;
	if (n == 0 || n > wbuf_avail(b) / 4)
		return -EBADMSG;
	c->argb = malloc(n * 4);
	if (c->argb == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		TRY(wbuf_get_u32(b, &c->argb[i]));
	return 0;
}

static int
xs_get_colormap(struct wbuf *b, struct xs_colormap *m)
{
	uint32_t i, n;
	int r;

	TRY(wbuf_get_u32(b, &m->id));
	TRY(wbuf_get_u32(b, &m->visual));
	TRY(wbuf_get_u8(b, &m->visual_class));
	TRY(wbuf_get_u32(b, &n));
	if (m->id == 0 || m->visual_class > 5 || n > wbuf_avail(b) / 6)
		return -EBADMSG;
	if (n == 0)
		return 0;
	m->rgb = malloc((size_t)n * 6);
	if (m->rgb == NULL)
		return -ENOMEM;
	m->ncells = n;
	for (i = 0; i < 3 * n; i++)
		TRY(wbuf_get_u16(b, &m->rgb[i]));
	return 0;
}

static int
xs_decode_frame(struct xs_session *s, uint16_t type, struct wbuf *pl)
{
	char name[XS_NAME_MAX + 1];
	struct xs_window *w;
	struct xs_pixmap *pm;
	struct xs_font *f;
	struct xs_grab *g;
	char *lt = NULL, *lw = NULL;
	uint32_t id, cnt;
	int r;

	switch (type) {
	case XS_FR_ATOM:
		TRY(wbuf_get_u32(pl, &id));
		TRY(wbuf_get_str(pl, name, sizeof name));
		if (id == 0 || xs_session_atom_name(s, id) != NULL)
			return -EBADMSG;
		return xs_session_add_atom(s, id, name);
	case XS_FR_WINDOW:
		if ((w = xs_session_add_window(s)) == NULL)
			return -ENOMEM;
		TRY(xs_get_window(pl, s, w));
		if (xs_session_window(s, w->id) != w)
			return -EBADMSG;     /* the id is there twice */
		if (w->parent != 0 && (xs_session_window(s, w->parent) == NULL ||
		    xs_session_window(s, w->parent) == w))
			return -EBADMSG;     /* parents come first */
		return 0;
	case XS_FR_PIXMAP:
		if ((pm = xs_session_add_pixmap(s)) == NULL)
			return -ENOMEM;
		TRY(wbuf_get_u32(pl, &pm->id));
		TRY(wbuf_get_u16(pl, &pm->width));
		TRY(wbuf_get_u16(pl, &pm->height));
		TRY(wbuf_get_u8(pl, &pm->depth));
		TRY(xs_get_image(pl, &pm->image));
		if (pm->id == 0 || pm->depth == 0 || pm->depth > 32 ||
		    pm->width == 0 || pm->height == 0 ||
		    (pm->image.data != NULL &&
		    (pm->image.width != pm->width ||
		    pm->image.height != pm->height ||
		    pm->image.depth != pm->depth)))
			return -EBADMSG;
		return 0;
	case XS_FR_GC:
		if (xs_session_add_gc(s) == NULL)
			return -ENOMEM;
		return xs_get_gc(pl, &s->gcs[s->ngcs - 1]);
	case XS_FR_FONT:
		if ((f = xs_session_add_font(s)) == NULL)
			return -ENOMEM;
		TRY(wbuf_get_u32(pl, &f->id));
		TRY(xs_get_name(pl, &f->name));
		TRY(xs_get_i16(pl, &f->geom.ascent));
		TRY(xs_get_i16(pl, &f->geom.descent));
		TRY(xs_get_i16(pl, &f->geom.min_width));
		TRY(xs_get_i16(pl, &f->geom.max_width));
		TRY(wbuf_get_u32(pl, &id));
		f->geom.avg_width = (int32_t)id;
		return f->id == 0 ? -EBADMSG : 0;
	case XS_FR_CURSOR:
		if (xs_session_add_cursor(s) == NULL)
			return -ENOMEM;
		return xs_get_cursor(pl, &s->cursors[s->ncursors - 1]);
	case XS_FR_COLORMAP:
		if (xs_session_add_colormap(s) == NULL)
			return -ENOMEM;
		return xs_get_colormap(pl, &s->colormaps[s->ncolormaps - 1]);
	case XS_FR_GRAB:
		if ((g = xs_session_add_grab(s)) == NULL)
			return -ENOMEM;
		TRY(wbuf_get_u32(pl, &g->window));
		TRY(wbuf_get_u8(pl, &g->key));
		TRY(wbuf_get_u8(pl, &g->detail));
		TRY(wbuf_get_u16(pl, &g->modifiers));
		return g->key > 1 ? -EBADMSG : 0;
	case XS_FR_LOSS:
		TRY(xs_get_name(pl, &lt));
		if ((r = wbuf_get_u32(pl, &cnt)) < 0 ||
		    (r = xs_get_name(pl, &lw)) < 0 ||
		    (r = (lt == NULL || lw == NULL) ? -EBADMSG : 0) < 0 ||
		    (r = xs_session_add_loss(s, lt, cnt, lw)) < 0) {
			free(lt);
			free(lw);
			return r;
		}
		free(lt);
		free(lw);
		return 0;
	case XS_FR_PICTFORMAT:
	case XS_FR_GLYPHSET:
	case XS_FR_PICTURE:
	case XS_FR_SELECTION:
	case XS_FR_DBE:
		return xs_render_decode_frame(&s->render, type, pl);
	default:
		return 0;    /* a later minor addition: skipped */
	}
}

static int
xs_decode_header(struct xs_session *s, struct wbuf *pl)
{
	int r;

	TRY(wbuf_get_u32(pl, &s->client_base));
	TRY(wbuf_get_u32(pl, &s->client_mask));
	TRY(wbuf_get_u32(pl, &s->root));
	TRY(wbuf_get_u32(pl, &s->root_visual));
	TRY(wbuf_get_u32(pl, &s->default_colormap));
	TRY(wbuf_get_u16(pl, &s->screen_width));
	TRY(wbuf_get_u16(pl, &s->screen_height));
	TRY(wbuf_get_u8(pl, &s->root_depth));
	TRY(wbuf_get_u8(pl, &s->root_visual_class));
	TRY(wbuf_get_u32(pl, &s->red_mask));
	TRY(wbuf_get_u32(pl, &s->green_mask));
	TRY(wbuf_get_u32(pl, &s->blue_mask));
	TRY(wbuf_get_u32(pl, &s->flags));
	return s->root_visual_class > 5 ? -EBADMSG : 0;
}

int
xs_session_decode(const uint8_t *p, size_t n, struct xs_session **out)
{
	struct xs_session *s;
	struct wbuf b, pl;
	uint16_t version, flags, type;
	size_t off;
	int r, seen_header = 0, got;

	*out = NULL;
	wbuf_view(&b, p, n);
	if ((r = wbuf_get_hello(&b, XS_MAGIC, &version, &flags)) < 0)
		return r;
	if (version != XS_VERSION)
		return -EPROTONOSUPPORT;
	s = xs_session_new();
	if (s == NULL)
		return -ENOMEM;
	off = b.off;
	for (;;) {
		got = frame_parse(p + off, n - off, XS_FRAME_MAX, &type, &pl);
		if (got == 0) {
			r = -EBADMSG;      /* truncated: no end frame */
			goto fail;
		}
		if (got < 0) {
			r = got;
			goto fail;
		}
		off += (size_t)got;
		if (!seen_header) {
			if (type != XS_FR_HEADER) {
				r = -EBADMSG;
				goto fail;
			}
			if ((r = xs_decode_header(s, &pl)) < 0)
				goto fail;
			seen_header = 1;
			continue;
		}
		if (type == XS_FR_END)
			break;
		if (type == XS_FR_HEADER) {
			r = -EBADMSG;
			goto fail;
		}
		if ((r = xs_decode_frame(s, type, &pl)) < 0)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	xs_session_free(s);
	return r;
}

/* ---- id map --------------------------------------------------------------------- */

void
xs_idmap_init(struct xs_idmap *m)
{
	memset(m, 0, sizeof *m);
}

void
xs_idmap_free(struct xs_idmap *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}

static int
xs_idpair_cmp(int kind, uint32_t old_id, const struct xs_idpair *p)
{
	if (kind != p->kind)
		return kind < p->kind ? -1 : 1;
	if (old_id != p->old_id)
		return old_id < p->old_id ? -1 : 1;
	return 0;
}

/* Index of the first element not below (kind, old_id). */
static size_t
xs_idmap_lower(const struct xs_idmap *m, int kind, uint32_t old_id)
{
	size_t lo = 0, hi = m->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (xs_idpair_cmp(kind, old_id, &m->v[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
xs_idmap_add(struct xs_idmap *m, int kind, uint32_t old_id, uint32_t new_id)
{
	struct xs_idpair *nv;
	size_t i, ncap;

	i = xs_idmap_lower(m, kind, old_id);
	if (i < m->n && xs_idpair_cmp(kind, old_id, &m->v[i]) == 0) {
		m->v[i].new_id = new_id;
		return 0;
	}
	if (m->n == m->cap) {
		ncap = m->cap ? m->cap * 2 : 64;
		nv = realloc(m->v, ncap * sizeof *nv);
		if (nv == NULL)
			return -ENOMEM;
		m->v = nv;
		m->cap = ncap;
	}
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof *m->v);
	m->v[i].old_id = old_id;
	m->v[i].new_id = new_id;
	m->v[i].kind = (uint8_t)kind;
	m->n++;
	return 0;
}

uint32_t
xs_idmap_get(const struct xs_idmap *m, int kind, uint32_t old_id)
{
	size_t i = xs_idmap_lower(m, kind, old_id);

	if (i < m->n && xs_idpair_cmp(kind, old_id, &m->v[i]) == 0)
		return m->v[i].new_id;
	return 0;
}

const char *
xs_id_kind_name(int kind)
{
	static const char *const names[] = { "?", "window", "pixmap", "gc",
	    "font", "cursor", "colormap", "atom", "visual", "picture",
	    "glyphset", "pictformat", "backbuffer" };

	if (kind < 1 || kind > XS_ID_BACKBUFFER)
		return "?";
	return names[kind];
}

/*
 * evgui.c: encoder and decoders of the EVICT-GUI extension's messages
 * (see evgui.h and docs/protocol/evictgui-ext.md).  Pure: no X library.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/evgui.h"

static const unsigned evgui_req_len[EVGUI_NREQUESTS] = {
	[EVGUI_QUERY_VERSION] = EVGUI_LEN_QUERY_VERSION,
	[EVGUI_GET_GC] = EVGUI_LEN_GET_GC,
	[EVGUI_GET_WINDOW] = EVGUI_LEN_GET_WINDOW,
	[EVGUI_GET_CURSOR] = EVGUI_LEN_GET_CURSOR,
	[EVGUI_GET_PICTURE] = EVGUI_LEN_GET_PICTURE,
	[EVGUI_LIST_GLYPHS] = EVGUI_LEN_LIST_GLYPHS,
	[EVGUI_LIST_SELECTIONS] = EVGUI_LEN_LIST_SELECTIONS,
	[EVGUI_GET_DBE] = EVGUI_LEN_GET_DBE,
	[EVGUI_GET_PICTURE_IMAGE] = EVGUI_LEN_GET_PICTURE_IMAGE,
};

size_t
evgui_encode(uint8_t major, unsigned minor, const uint32_t *fields,
    unsigned nfields, uint8_t *out)
{
	uint16_t len;

	if (minor >= EVGUI_NREQUESTS || nfields + 1 != evgui_req_len[minor])
		return 0;
	len = (uint16_t)evgui_req_len[minor];
	out[0] = major;
	out[1] = (uint8_t)minor;
	memcpy(out + 2, &len, 2);
	memcpy(out + 4, fields, 4 * (size_t)nfields);
	return 4 * (size_t)len;
}

uint32_t
evgui_glyph_image_len(uint32_t width, uint32_t height, uint32_t depth)
{
	uint32_t row;

	if (width > EVGUI_GLYPH_MAX_SIDE || height > EVGUI_GLYPH_MAX_SIDE)
		return 0;
	switch (depth) {
	case 1:
		row = (width + 7) / 8;
		break;
	case 8:
		row = width;
		break;
	case 32:
		row = 4 * width;
		break;
	default:
		return 0;
	}
	return ((row + 3) & ~3u) * height;
}

/* ---- reading a reply --------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, at;
	char *err;
	size_t errlen;
	int bad;
};

static void __attribute__((format(printf, 2, 3)))
rd_fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad)
		return;
	r->bad = 1;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

static uint32_t
rd_u32(struct rd *r, const char *what)
{
	uint32_t v;

	if (r->bad)
		return 0;
	if (r->len - r->at < 4) {
		rd_fail(r, "reply ends in %s (offset %zu of %zu)", what, r->at,
		    r->len);
		return 0;
	}
	memcpy(&v, r->p + r->at, 4);
	r->at += 4;
	return v;
}

static const uint8_t *
rd_bytes(struct rd *r, size_t n, const char *what)
{
	size_t padded = (n + 3) & ~(size_t)3;
	const uint8_t *p;

	if (r->bad)
		return NULL;
	if (padded < n || r->len - r->at < padded) {
		rd_fail(r, "reply ends in %s (%zu bytes wanted at offset %zu of "
		    "%zu)", what, n, r->at, r->len);
		return NULL;
	}
	p = r->p + r->at;
	r->at += padded;
	return p;
}

/* Checks the header; the six data words go to hdr. */
static int
rd_start(struct rd *r, const uint8_t *reply, size_t len, uint32_t hdr[6],
    char *err, size_t errlen)
{
	uint32_t words;

	memset(r, 0, sizeof *r);
	r->p = reply;
	r->len = len;
	r->err = err;
	r->errlen = errlen;
	if (len < 32) {
		rd_fail(r, "reply of %zu bytes, shorter than its 32-byte header",
		    len);
		return -1;
	}
	if (reply[0] != 1) {
		rd_fail(r, "not a reply (first byte %u)", reply[0]);
		return -1;
	}
	memcpy(&words, reply + 4, 4);
	if ((size_t)words > (len - 32) / 4 || 32 + 4 * (size_t)words != len) {
		rd_fail(r, "reply length field says %u words, %zu bytes came",
		    words, len - 32);
		return -1;
	}
	memcpy(hdr, reply + 8, 24);
	r->at = 32;
	return 0;
}

static int
rd_end(struct rd *r)
{
	if (!r->bad && r->at != r->len)
		rd_fail(r, "%zu bytes left over at the end of the reply",
		    r->len - r->at);
	return r->bad ? -1 : 0;
}

static void *
rd_array(struct rd *r, uint32_t n, uint32_t max, size_t size,
    size_t wire_each, const char *what)
{
	void *a;

	if (r->bad || n == 0)
		return NULL;
	if (n > max) {
		rd_fail(r, "%u %s, more than the %u allowed", n, what, max);
		return NULL;
	}
	if ((r->len - r->at) / wire_each < n) {
		rd_fail(r, "%u %s announced, the reply holds fewer", n, what);
		return NULL;
	}
	a = calloc(n, size);
	if (a == NULL)
		rd_fail(r, "out of memory for %u %s", n, what);
	return a;
}

static struct evgui_rect *
rd_rects(struct rd *r, uint32_t n)
{
	struct evgui_rect *a = rd_array(r, n, EVGUI_RECTS_MAX, sizeof *a, 16,
	    "clip rectangles");
	uint32_t i;

	for (i = 0; a != NULL && i < n; i++) {
		a[i].x = (int32_t)rd_u32(r, "a clip rectangle");
		a[i].y = (int32_t)rd_u32(r, "a clip rectangle");
		a[i].width = rd_u32(r, "a clip rectangle");
		a[i].height = rd_u32(r, "a clip rectangle");
	}
	return a;
}

/* ---- decoders ---------------------------------------------------------- */

int
evgui_decode_version(const uint8_t *reply, size_t len, uint32_t *major,
    uint32_t *minor, char *err, size_t errlen)
{
	uint32_t hdr[6];
	struct rd r;

	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	*major = hdr[0];
	*minor = hdr[1];
	return rd_end(&r);
}

int
evgui_decode_gc(const uint8_t *reply, size_t len, struct evgui_gc *gc,
    char *err, size_t errlen)
{
	uint32_t hdr[6];
	const uint8_t *d;
	struct rd r;
	int i;

	memset(gc, 0, sizeof *gc);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	if (hdr[0] != EVGUI_GC_NVALUES)
		rd_fail(&r, "GetGC reply with %u values, %u expected", hdr[0],
		    EVGUI_GC_NVALUES);
	if (hdr[1] > sizeof gc->dashes)
		rd_fail(&r, "GetGC reply with %u dashes, at most %zu", hdr[1],
		    sizeof gc->dashes);
	for (i = 0; i < EVGUI_GC_NVALUES; i++)
		gc->v[i] = rd_u32(&r, "the GC values");
	d = rd_bytes(&r, hdr[1], "the dash list");
	if (d != NULL) {
		memcpy(gc->dashes, d, hdr[1]);
		gc->ndashes = hdr[1];
	}
	gc->rects = rd_rects(&r, hdr[2]);
	if (gc->rects != NULL)
		gc->nrects = hdr[2];
	return rd_end(&r);
}

int
evgui_decode_window(const uint8_t *reply, size_t len,
    struct evgui_window *w, char *err, size_t errlen)
{
	uint32_t hdr[6];
	struct rd r;
	int i;

	memset(w, 0, sizeof *w);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	if (hdr[0] != EVGUI_WIN_NVALUES)
		rd_fail(&r, "GetWindow reply with %u values, %u expected", hdr[0],
		    EVGUI_WIN_NVALUES);
	for (i = 0; i < EVGUI_WIN_NVALUES; i++)
		w->v[i] = rd_u32(&r, "the window values");
	return rd_end(&r);
}

static uint32_t *
rd_words(struct rd *r, size_t n, const char *what)
{
	uint32_t *a;
	size_t i;

	if (r->bad || n == 0)
		return NULL;
	if ((r->len - r->at) / 4 < n) {
		rd_fail(r, "reply too short for %s (%zu words)", what, n);
		return NULL;
	}
	a = calloc(n, sizeof *a);
	if (a == NULL) {
		rd_fail(r, "out of memory for %s", what);
		return NULL;
	}
	for (i = 0; i < n; i++)
		a[i] = rd_u32(r, what);
	return a;
}

int
evgui_decode_cursor(const uint8_t *reply, size_t len,
    struct evgui_cursor *c, char *err, size_t errlen)
{
	uint32_t hdr[6];
	struct rd r;
	size_t n;
	int i;

	memset(c, 0, sizeof *c);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	c->width = hdr[0];
	c->height = hdr[1];
	c->xhot = hdr[2];
	c->yhot = hdr[3];
	c->argb = hdr[4] != 0;
	if (c->width == 0 || c->height == 0 ||
	    c->width > EVGUI_CURSOR_MAX_SIDE ||
	    c->height > EVGUI_CURSOR_MAX_SIDE)
		rd_fail(&r, "cursor of %ux%u (1 to %u on each side)", c->width,
		    c->height, EVGUI_CURSOR_MAX_SIDE);
	if (hdr[4] > 1)
		rd_fail(&r, "cursor kind %u (0 bitmap, 1 ARGB)", hdr[4]);
	for (i = 0; i < 3; i++)
		c->fore[i] = (uint16_t)rd_u32(&r, "the cursor colours");
	for (i = 0; i < 3; i++)
		c->back[i] = (uint16_t)rd_u32(&r, "the cursor colours");
	if (r.bad)
		return -1;
	if (c->argb) {
		c->pixels = rd_words(&r, (size_t)c->width * c->height,
		    "the cursor's pixels");
	} else {
		c->words_per_row = (c->width + 31) / 32;
		n = (size_t)c->words_per_row * c->height;
		c->source = rd_words(&r, n, "the cursor's source bitmap");
		c->mask = rd_words(&r, n, "the cursor's mask bitmap");
	}
	return rd_end(&r);
}

int
evgui_decode_picture(const uint8_t *reply, size_t len,
    struct evgui_picture *p, char *err, size_t errlen)
{
	uint32_t hdr[6], i;
	const uint8_t *name;
	struct rd r;

	memset(p, 0, sizeof *p);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	if (hdr[0] != EVGUI_PIC_NVALUES)
		rd_fail(&r, "GetPicture reply with %u values, %u expected",
		    hdr[0], EVGUI_PIC_NVALUES);
	if (hdr[1] > EVGUI_FILTER_NAME_MAX)
		rd_fail(&r, "filter name of %u bytes, at most %u", hdr[1],
		    EVGUI_FILTER_NAME_MAX);
	for (i = 0; i < EVGUI_PIC_NVALUES; i++)
		p->v[i] = rd_u32(&r, "the picture values");
	if (!r.bad && p->v[EVGUI_PIC_SOURCE] > EVGUI_SRC_CONICAL)
		rd_fail(&r, "unknown source picture kind %u",
		    p->v[EVGUI_PIC_SOURCE]);
	name = rd_bytes(&r, hdr[1], "the filter name");
	if (name != NULL) {
		memcpy(p->filter, name, hdr[1]);
		p->filter[hdr[1]] = '\0';
		if (strlen(p->filter) != hdr[1])
			rd_fail(&r, "filter name holds a NUL byte");
	}
	p->params = rd_array(&r, hdr[2], EVGUI_FILTER_PARAMS_MAX,
	    sizeof *p->params, 4, "filter parameters");
	for (i = 0; p->params != NULL && i < hdr[2]; i++)
		p->params[i] = (int32_t)rd_u32(&r, "filter parameters");
	if (p->params != NULL)
		p->nparams = hdr[2];
	p->rects = rd_rects(&r, hdr[3]);
	if (p->rects != NULL)
		p->nrects = hdr[3];
	p->stops = rd_array(&r, hdr[4], EVGUI_STOPS_MAX, sizeof *p->stops, 20,
	    "gradient stops");
	for (i = 0; p->stops != NULL && i < hdr[4]; i++) {
		p->stops[i].offset = (int32_t)rd_u32(&r, "gradient stops");
		p->stops[i].red = (uint16_t)rd_u32(&r, "gradient stops");
		p->stops[i].green = (uint16_t)rd_u32(&r, "gradient stops");
		p->stops[i].blue = (uint16_t)rd_u32(&r, "gradient stops");
		p->stops[i].alpha = (uint16_t)rd_u32(&r, "gradient stops");
	}
	if (p->stops != NULL)
		p->nstops = hdr[4];
	return rd_end(&r);
}

int
evgui_decode_glyphs(const uint8_t *reply, size_t len,
    struct evgui_glyphs *g, char *err, size_t errlen)
{
	uint32_t hdr[6], i;
	struct rd r;

	memset(g, 0, sizeof *g);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	g->format = hdr[0];
	g->depth = hdr[1];
	g->total = hdr[2];
	g->next = hdr[4];
	if (evgui_glyph_image_len(1, 1, g->depth) == 0)
		rd_fail(&r, "glyph depth %u (1, 8 or 32)", g->depth);
	g->glyphs = rd_array(&r, hdr[3], (uint32_t)(len / (4 *
	    EVGUI_GLYPH_WORDS)) + 1, sizeof *g->glyphs, 4 * EVGUI_GLYPH_WORDS,
	    "glyphs");
	if (g->glyphs != NULL)
		g->nalloc = hdr[3];
	for (i = 0; g->glyphs != NULL && !r.bad && i < hdr[3]; i++) {
		struct evgui_glyph *e = &g->glyphs[i];
		const uint8_t *img;
		uint32_t want;

		e->id = rd_u32(&r, "a glyph");
		e->width = rd_u32(&r, "a glyph");
		e->height = rd_u32(&r, "a glyph");
		e->x = (int32_t)rd_u32(&r, "a glyph");
		e->y = (int32_t)rd_u32(&r, "a glyph");
		e->xoff = (int32_t)rd_u32(&r, "a glyph");
		e->yoff = (int32_t)rd_u32(&r, "a glyph");
		e->image_len = rd_u32(&r, "a glyph");
		if (r.bad)
			break;
		want = e->width && e->height ?
		    evgui_glyph_image_len(e->width, e->height, g->depth) : 0;
		if (e->image_len != want || (want == 0 && (e->width > 0 &&
		    e->height > 0))) {
			rd_fail(&r, "glyph %u: %ux%u at depth %u has an image of "
			    "%u bytes, %u expected", e->id, e->width, e->height,
			    g->depth, e->image_len, want);
			break;
		}
		img = rd_bytes(&r, e->image_len, "a glyph image");
		if (img == NULL || e->image_len == 0)
			continue;
		e->image = malloc(e->image_len);
		if (e->image == NULL) {
			rd_fail(&r, "out of memory for a glyph image");
			break;
		}
		memcpy(e->image, img, e->image_len);
	}
	if (g->glyphs != NULL && !r.bad)
		g->n = hdr[3];
	return rd_end(&r);
}

int
evgui_decode_selections(const uint8_t *reply, size_t len,
    struct evgui_selection **sel, unsigned *n, char *err, size_t errlen)
{
	uint32_t hdr[6], i;
	struct rd r;

	*sel = NULL;
	*n = 0;
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	*sel = rd_array(&r, hdr[0], EVGUI_SELECTIONS_MAX, sizeof **sel, 8,
	    "selections");
	for (i = 0; *sel != NULL && i < hdr[0]; i++) {
		(*sel)[i].window = rd_u32(&r, "a selection");
		(*sel)[i].mask = rd_u32(&r, "a selection");
	}
	if (*sel != NULL)
		*n = hdr[0];
	return rd_end(&r);
}

int
evgui_decode_dbe(const uint8_t *reply, size_t len, struct evgui_dbe *d,
    char *err, size_t errlen)
{
	uint32_t hdr[6], i;
	struct rd r;

	memset(d, 0, sizeof *d);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	d->window = hdr[0];
	d->swap_action = hdr[1];
	if (hdr[1] > 3)
		rd_fail(&r, "DBE swap action %u (0 to 3)", hdr[1]);
	d->ids = rd_array(&r, hdr[2], EVGUI_DBE_IDS_MAX, sizeof *d->ids, 4,
	    "back-buffer ids");
	for (i = 0; d->ids != NULL && i < hdr[2]; i++)
		d->ids[i] = rd_u32(&r, "back-buffer ids");
	if (d->ids != NULL)
		d->nids = hdr[2];
	return rd_end(&r);
}

int
evgui_decode_image(const uint8_t *reply, size_t len, struct evgui_image *im,
    char *err, size_t errlen)
{
	uint32_t hdr[6];
	struct rd r;

	memset(im, 0, sizeof *im);
	if (rd_start(&r, reply, len, hdr, err, errlen) < 0)
		return -1;
	im->width = hdr[0];
	im->height = hdr[1];
	im->depth = hdr[2];
	im->len = hdr[3];
	if (im->width > 32767 || im->height > 32767 || im->depth == 0 ||
	    im->depth > 32 || im->len > EVGUI_IMAGE_MAX)
		rd_fail(&r, "image of %ux%u at depth %u in %u bytes", im->width,
		    im->height, im->depth, im->len);
	im->data = rd_bytes(&r, im->len, "the image");
	return rd_end(&r);
}

/* ---- release ----------------------------------------------------------- */

void
evgui_gc_free(struct evgui_gc *gc)
{
	free(gc->rects);
	gc->rects = NULL;
	gc->nrects = 0;
}

void
evgui_cursor_free(struct evgui_cursor *c)
{
	free(c->pixels);
	free(c->source);
	free(c->mask);
	c->pixels = c->source = c->mask = NULL;
}

void
evgui_picture_free(struct evgui_picture *p)
{
	free(p->params);
	free(p->rects);
	free(p->stops);
	p->params = NULL;
	p->rects = NULL;
	p->stops = NULL;
	p->nparams = p->nrects = p->nstops = 0;
}

void
evgui_dbe_free(struct evgui_dbe *d)
{
	free(d->ids);
	d->ids = NULL;
	d->nids = 0;
}

void
evgui_glyphs_free(struct evgui_glyphs *g)
{
	unsigned i;

	for (i = 0; g->glyphs != NULL && i < g->nalloc; i++)
		free(g->glyphs[i].image);
	free(g->glyphs);
	g->glyphs = NULL;
	g->n = g->nalloc = 0;
}

/*
 * evictgui.c: the EVICT-GUI extension, an Xorg server module.  It reads
 * back what the core protocol and RENDER keep write-only: a GC's every
 * value, a window's background, border, cursor and the event mask of a
 * given client, a cursor's image, a RENDER picture's attributes and a
 * glyph set's glyphs.  guievictor uses it to capture a program's window
 * session exactly (docs/design/guievict-xorg.md); the wire is in
 * evictgui-proto.h and docs/protocol/evictgui-ext.md.
 *
 * Loaded with `Load "evictgui"` in xorg.conf's Module section.  Requests
 * only read; every lookup goes through dixLookupResourceByType with
 * DixGetAttrAccess, so the server's security hooks apply.  A request of
 * the wrong length, an unknown minor opcode or an id of the wrong type
 * gets an X error, never a crash.
 */
#include <xorg-server.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <X11/X.h>
#include <X11/Xproto.h>

#include "misc.h"
#include "os.h"
#include "dixstruct.h"
#include "extnsionst.h"
#include "extension.h"
#include "resource.h"
#include "registry.h"
#include "scrnintstr.h"
#include "pixmapstr.h"
#include "windowstr.h"
#include "inputstr.h"
#include "gcstruct.h"
#include "cursorstr.h"
#include "servermd.h"
#include "picturestr.h"
#include "glyphstr.h"
#include "dbestruct.h"
#include "xf86Module.h"

#include "evictgui-proto.h"

/* A reply body: 32-bit words, already in the client's byte order, and
 * raw bytes (glyph images). */
struct evb {
	unsigned char *p;
	size_t len, cap;
	int swap;
	int oom;
};

static void
evb_grow(struct evb *b, size_t more)
{
	size_t cap;
	unsigned char *n;

	if (b->oom || b->len + more <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	n = realloc(b->p, cap);
	if (n == NULL) {
		b->oom = 1;
		return;
	}
	b->p = n;
	b->cap = cap;
}

static CARD32
ev_swap32(CARD32 v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static void
evb_word(struct evb *b, CARD32 v)
{
	evb_grow(b, 4);
	if (b->oom)
		return;
	if (b->swap)
		v = ev_swap32(v);
	memcpy(b->p + b->len, &v, 4);
	b->len += 4;
}

static void
evb_bytes(struct evb *b, const void *src, size_t n)
{
	size_t pad = (4 - n % 4) % 4;

	evb_grow(b, n + pad);
	if (b->oom)
		return;
	memcpy(b->p + b->len, src, n);
	memset(b->p + b->len + n, 0, pad);
	b->len += n + pad;
}

/* Sends the reply: header data words hdr[0..5], then the body. */
static int
ev_reply(ClientPtr client, const CARD32 hdr[6], struct evb *b)
{
	xGenericReply rep;
	CARD32 d[6];
	int i;

	if (b->oom) {
		free(b->p);
		return BadAlloc;
	}
	memset(&rep, 0, sizeof rep);
	rep.type = X_Reply;
	rep.sequenceNumber = client->sequence;
	rep.length = (CARD32)(b->len / 4);
	for (i = 0; i < 6; i++)
		d[i] = client->swapped ? ev_swap32(hdr[i]) : hdr[i];
	rep.data00 = d[0];
	rep.data01 = d[1];
	rep.data02 = d[2];
	rep.data03 = d[3];
	rep.data04 = d[4];
	rep.data05 = d[5];
	if (client->swapped) {
		swaps(&rep.sequenceNumber);
		swapl(&rep.length);
	}
	WriteToClient(client, sizeof rep, &rep);
	if (b->len)
		WriteToClient(client, (int)b->len, b->p);
	free(b->p);
	return Success;
}

/* The request's 32-bit fields after the header, in host order. */
static CARD32
ev_field(ClientPtr client, int i)
{
	CARD32 v;

	memcpy(&v, (char *)client->requestBuffer + 4 * i, 4);
	return v;
}

/* RENDER's resource types are not exported to modules: found by name. */
static RESTYPE
ev_type_named(const char *name)
{
	RESTYPE t;

	for (t = 1; t <= lastResourceType; t++) {
		const char *n = LookupResourceName(t);

		if (n != NULL && strcmp(n, name) == 0)
			return t;
	}
	return 0;
}

static void
ev_region(struct evb *b, RegionPtr reg, CARD32 *nrects)
{
	BoxPtr box;
	int i, n;

	*nrects = 0;
	if (reg == NULL)
		return;
	n = RegionNumRects(reg);
	if (n > EVGUI_RECTS_MAX)
		n = EVGUI_RECTS_MAX;
	box = RegionRects(reg);
	for (i = 0; i < n; i++) {
		evb_word(b, (CARD32)(INT32)box[i].x1);
		evb_word(b, (CARD32)(INT32)box[i].y1);
		evb_word(b, (CARD32)(box[i].x2 - box[i].x1));
		evb_word(b, (CARD32)(box[i].y2 - box[i].y1));
	}
	*nrects = (CARD32)n;
}

/* ---- QueryVersion ------------------------------------------------------ */

static int
ev_query_version(ClientPtr client)
{
	CARD32 hdr[6] = { EVGUI_MAJOR, EVGUI_MINOR, 0, 0, 0, 0 };
	struct evb b = { .swap = client->swapped };

	return ev_reply(client, hdr, &b);
}

/* ---- GetGC ------------------------------------------------------------- */

struct ev_find {
	void *want;
	XID id;
};

static void
ev_find_cb(void *value, XID id, void *cdata)
{
	struct ev_find *f = cdata;

	if (value == f->want && f->id == 0)
		f->id = id;
}

/* The XID under which some client opened font f: the GC's own client
 * first.  0 for a font only the server holds (its default font). */
static XID
ev_font_id(FontPtr f, int first_client)
{
	struct ev_find fd = { f, 0 };
	int i;

	if (f == NULL)
		return 0;
	if (first_client > 0 && first_client < currentMaxClients &&
	    clients[first_client] != NULL)
		FindClientResourcesByType(clients[first_client], RT_FONT,
		    ev_find_cb, &fd);
	for (i = 1; fd.id == 0 && i < currentMaxClients; i++)
		if (clients[i] != NULL && i != first_client)
			FindClientResourcesByType(clients[i], RT_FONT,
			    ev_find_cb, &fd);
	return fd.id;
}

static int
ev_get_gc(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), hdr[6] = { 0 }, v[EVGUI_GC_NVALUES];
	struct evb b = { .swap = client->swapped };
	GCPtr gc;
	int rc, i;

	rc = dixLookupResourceByType((void **)&gc, id, RT_GC, client,
	    DixGetAttrAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc;
	}
	memset(v, 0, sizeof v);
	v[EVGUI_GC_FUNCTION] = gc->alu;
	v[EVGUI_GC_PLANE_MASK] = gc->planemask;
	v[EVGUI_GC_FOREGROUND] = gc->fgPixel;
	v[EVGUI_GC_BACKGROUND] = gc->bgPixel;
	v[EVGUI_GC_LINE_WIDTH] = gc->lineWidth;
	v[EVGUI_GC_LINE_STYLE] = gc->lineStyle;
	v[EVGUI_GC_CAP_STYLE] = gc->capStyle;
	v[EVGUI_GC_JOIN_STYLE] = gc->joinStyle;
	v[EVGUI_GC_FILL_STYLE] = gc->fillStyle;
	v[EVGUI_GC_FILL_RULE] = gc->fillRule;
	v[EVGUI_GC_TILE_IS_PIXEL] = gc->tileIsPixel;
	if (!gc->tileIsPixel && gc->tile.pixmap != NULL)
		v[EVGUI_GC_TILE] = gc->tile.pixmap->drawable.id;
	if (gc->stipple != NULL && gc->stipple != gc->pScreen->defaultStipple)
		v[EVGUI_GC_STIPPLE] = gc->stipple->drawable.id;
	v[EVGUI_GC_TS_X] = (CARD32)(INT32)gc->patOrg.x;
	v[EVGUI_GC_TS_Y] = (CARD32)(INT32)gc->patOrg.y;
	v[EVGUI_GC_FONT] = ev_font_id(gc->font, CLIENT_ID(id));
	v[EVGUI_GC_SUBWINDOW_MODE] = gc->subWindowMode;
	v[EVGUI_GC_EXPOSURES] = gc->graphicsExposures;
	v[EVGUI_GC_CLIP_X] = (CARD32)(INT32)gc->clipOrg.x;
	v[EVGUI_GC_CLIP_Y] = (CARD32)(INT32)gc->clipOrg.y;
	v[EVGUI_GC_CLIP_KIND] = gc->clientClip ? EVGUI_CLIP_RECTS :
	    EVGUI_CLIP_NONE;
	v[EVGUI_GC_DASH_OFFSET] = gc->dashOffset;
	v[EVGUI_GC_ARC_MODE] = gc->arcMode;
	v[EVGUI_GC_DEPTH] = gc->depth;
	for (i = 0; i < EVGUI_GC_NVALUES; i++)
		evb_word(&b, v[i]);
	hdr[0] = EVGUI_GC_NVALUES;
	hdr[1] = gc->numInDashList;
	if (gc->numInDashList)
		evb_bytes(&b, gc->dash, gc->numInDashList);
	ev_region(&b, gc->clientClip, &hdr[2]);
	return ev_reply(client, hdr, &b);
}

/* ---- GetWindow --------------------------------------------------------- */

/* The window's own cursor attribute: a cursor copied from the parent is
 * the attribute None. */
static XID
ev_window_cursor(WindowPtr w)
{
	CursorPtr c;

	if (w->cursorIsNone || w->optional == NULL ||
	    w->optional->cursor == NULL)
		return 0;
	c = w->optional->cursor;
	if (w->parent != NULL && wCursor(w->parent) == c)
		return 0;
	return c->id;
}

static int
ev_get_window(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), who = ev_field(client, 2);
	CARD32 hdr[6] = { EVGUI_WIN_NVALUES, 0, 0, 0, 0, 0 };
	CARD32 v[EVGUI_WIN_NVALUES];
	struct evb b = { .swap = client->swapped };
	OtherClientsPtr oc;
	WindowPtr w;
	int rc, i, target = CLIENT_ID(who);

	rc = dixLookupWindow(&w, id, client, DixGetAttrAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc;
	}
	memset(v, 0, sizeof v);
	if (CLIENT_ID(w->drawable.id) == target) {
		v[EVGUI_WIN_EVENT_MASK] = w->eventMask;
		v[EVGUI_WIN_CLIENT_SELECTS] = 1;
	}
	for (oc = wOtherClients(w); oc != NULL; oc = oc->next)
		if (CLIENT_ID(oc->resource) == target) {
			v[EVGUI_WIN_EVENT_MASK] = oc->mask;
			v[EVGUI_WIN_CLIENT_SELECTS] = 1;
		}
	v[EVGUI_WIN_DONT_PROPAGATE] = wDontPropagateMask(w);
	v[EVGUI_WIN_BG_STATE] = w->backgroundState;
	if (w->backgroundState == BackgroundPixel)
		v[EVGUI_WIN_BG_VALUE] = w->background.pixel;
	else if (w->backgroundState == BackgroundPixmap &&
	    w->background.pixmap != NULL)
		v[EVGUI_WIN_BG_VALUE] = w->background.pixmap->drawable.id;
	v[EVGUI_WIN_BORDER_IS_PIXEL] = w->borderIsPixel;
	if (w->borderIsPixel)
		v[EVGUI_WIN_BORDER_VALUE] = w->border.pixel;
	else if (w->border.pixmap != NULL)
		v[EVGUI_WIN_BORDER_VALUE] = w->border.pixmap->drawable.id;
	v[EVGUI_WIN_CURSOR] = ev_window_cursor(w);
	v[EVGUI_WIN_BIT_GRAVITY] = w->bitGravity;
	v[EVGUI_WIN_WIN_GRAVITY] = w->winGravity;
	v[EVGUI_WIN_BACKING_STORE] = w->backingStore;
	v[EVGUI_WIN_SAVE_UNDER] = w->saveUnder;
	v[EVGUI_WIN_OVERRIDE_REDIRECT] = w->overrideRedirect;
	v[EVGUI_WIN_BACKING_PLANES] = wBackingBitPlanes(w);
	v[EVGUI_WIN_BACKING_PIXEL] = wBackingPixel(w);
	for (i = 0; i < EVGUI_WIN_NVALUES; i++)
		evb_word(&b, v[i]);
	return ev_reply(client, hdr, &b);
}

/* ---- GetCursor --------------------------------------------------------- */

static int
ev_bit(const unsigned char *row, int x)
{
#if BITMAP_BIT_ORDER == LSBFirst
	return (row[x >> 3] >> (x & 7)) & 1;
#else
	return (row[x >> 3] >> (7 - (x & 7))) & 1;
#endif
}

static void
ev_bitmap_words(struct evb *b, const unsigned char *bits, int w, int h)
{
	int stride = BitmapBytePad(w), x, y;

	for (y = 0; y < h; y++) {
		const unsigned char *row = bits + (size_t)y * stride;
		CARD32 word = 0;

		for (x = 0; x < w; x++) {
			if (ev_bit(row, x))
				word |= (CARD32)1 << (x & 31);
			if ((x & 31) == 31 || x == w - 1) {
				evb_word(b, word);
				word = 0;
			}
		}
	}
}

static int
ev_get_cursor(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), hdr[6] = { 0 };
	struct evb b = { .swap = client->swapped };
	CursorBitsPtr bits;
	CursorPtr c;
	int rc;
	size_t i, n;

	rc = dixLookupResourceByType((void **)&c, id, RT_CURSOR, client,
	    DixGetAttrAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc;
	}
	bits = c->bits;
	if (bits == NULL || bits->width > EVGUI_CURSOR_MAX_SIDE ||
	    bits->height > EVGUI_CURSOR_MAX_SIDE) {
		client->errorValue = id;
		return BadMatch;
	}
	hdr[0] = bits->width;
	hdr[1] = bits->height;
	hdr[2] = bits->xhot;
	hdr[3] = bits->yhot;
	hdr[4] = bits->argb != NULL;
	evb_word(&b, c->foreRed);
	evb_word(&b, c->foreGreen);
	evb_word(&b, c->foreBlue);
	evb_word(&b, c->backRed);
	evb_word(&b, c->backGreen);
	evb_word(&b, c->backBlue);
	if (bits->argb != NULL) {
		n = (size_t)bits->width * bits->height;
		for (i = 0; i < n; i++)
			evb_word(&b, bits->argb[i]);
	} else if (bits->source != NULL && bits->mask != NULL) {
		ev_bitmap_words(&b, bits->source, bits->width, bits->height);
		ev_bitmap_words(&b, bits->mask, bits->width, bits->height);
	} else {
		free(b.p);
		client->errorValue = id;
		return BadMatch;
	}
	return ev_reply(client, hdr, &b);
}

/* ---- GetPicture -------------------------------------------------------- */

static RESTYPE ev_picture_type, ev_glyphset_type;

static int
ev_render_types(void)
{
	if (ev_picture_type == 0)
		ev_picture_type = ev_type_named("PICTURE");
	if (ev_glyphset_type == 0)
		ev_glyphset_type = ev_type_named("GLYPHSET");
	return ev_picture_type != 0 && ev_glyphset_type != 0;
}

static void
ev_source(CARD32 *v, CARD32 *nstops, PictGradientStopPtr *stops,
    SourcePictPtr s)
{
	CARD32 *a = v + EVGUI_PIC_SOURCE_ARGS;

	*nstops = 0;
	*stops = NULL;
	if (s == NULL)
		return;
	switch (s->type) {
	case SourcePictTypeSolidFill:
		v[EVGUI_PIC_SOURCE] = EVGUI_SRC_SOLID;
		a[0] = s->solidFill.fullcolor.alpha;
		a[1] = s->solidFill.fullcolor.red;
		a[2] = s->solidFill.fullcolor.green;
		a[3] = s->solidFill.fullcolor.blue;
		return;
	case SourcePictTypeLinear:
		v[EVGUI_PIC_SOURCE] = EVGUI_SRC_LINEAR;
		a[0] = (CARD32)s->linear.p1.x;
		a[1] = (CARD32)s->linear.p1.y;
		a[2] = (CARD32)s->linear.p2.x;
		a[3] = (CARD32)s->linear.p2.y;
		break;
	case SourcePictTypeRadial:
		v[EVGUI_PIC_SOURCE] = EVGUI_SRC_RADIAL;
		a[0] = (CARD32)s->radial.c1.x;
		a[1] = (CARD32)s->radial.c1.y;
		a[2] = (CARD32)s->radial.c1.radius;
		a[3] = (CARD32)s->radial.c2.x;
		a[4] = (CARD32)s->radial.c2.y;
		a[5] = (CARD32)s->radial.c2.radius;
		break;
	case SourcePictTypeConical:
		v[EVGUI_PIC_SOURCE] = EVGUI_SRC_CONICAL;
		a[0] = (CARD32)s->conical.center.x;
		a[1] = (CARD32)s->conical.center.y;
		a[2] = (CARD32)s->conical.angle;
		break;
	default:
		return;
	}
	if (s->gradient.nstops > 0) {
		*nstops = (CARD32)s->gradient.nstops;
		if (*nstops > EVGUI_STOPS_MAX)
			*nstops = EVGUI_STOPS_MAX;
		*stops = s->gradient.stops;
	}
}

static int
ev_get_picture(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), hdr[6] = { EVGUI_PIC_NVALUES, 0, 0, 0,
	    0, 0 }, v[EVGUI_PIC_NVALUES], nstops;
	struct evb b = { .swap = client->swapped };
	PictGradientStopPtr stops;
	const char *fname;
	PicturePtr p;
	int rc, i, j, np;

	if (!ev_render_types())
		return BadImplementation;
	rc = dixLookupResourceByType((void **)&p, id, ev_picture_type, client,
	    DixGetAttrAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc;
	}
	memset(v, 0, sizeof v);
	if (p->pDrawable != NULL) {
		v[EVGUI_PIC_DRAWABLE] = p->pDrawable->id;
		v[EVGUI_PIC_DEPTH] = p->pDrawable->depth;
		v[EVGUI_PIC_WIDTH] = p->pDrawable->width;
		v[EVGUI_PIC_HEIGHT] = p->pDrawable->height;
	}
	if (p->pFormat != NULL)
		v[EVGUI_PIC_FORMAT] = p->pFormat->id;
	v[EVGUI_PIC_REPEAT] = p->repeat ? p->repeatType : 0;
	v[EVGUI_PIC_COMPONENT_ALPHA] = p->componentAlpha;
	v[EVGUI_PIC_SUBWINDOW_MODE] = p->subWindowMode;
	v[EVGUI_PIC_EXPOSURES] = p->graphicsExposures;
	v[EVGUI_PIC_POLY_EDGE] = p->polyEdge;
	v[EVGUI_PIC_POLY_MODE] = p->polyMode;
	if (p->alphaMap != NULL)
		v[EVGUI_PIC_ALPHA_MAP] = p->alphaMap->id;
	v[EVGUI_PIC_ALPHA_X] = (CARD32)(INT32)p->alphaOrigin.x;
	v[EVGUI_PIC_ALPHA_Y] = (CARD32)(INT32)p->alphaOrigin.y;
	v[EVGUI_PIC_CLIP_X] = (CARD32)(INT32)p->clipOrigin.x;
	v[EVGUI_PIC_CLIP_Y] = (CARD32)(INT32)p->clipOrigin.y;
	v[EVGUI_PIC_CLIP_KIND] = p->clientClip ? EVGUI_CLIP_RECTS :
	    EVGUI_CLIP_NONE;
	if (p->transform != NULL) {
		v[EVGUI_PIC_HAS_TRANSFORM] = 1;
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++)
				v[EVGUI_PIC_TRANSFORM + 3 * i + j] =
				    (CARD32)p->transform->matrix[i][j];
	}
	ev_source(v, &nstops, &stops, p->pSourcePict);
	for (i = 0; i < EVGUI_PIC_NVALUES; i++)
		evb_word(&b, v[i]);
	fname = PictureGetFilterName(p->filter);
	if (fname != NULL && strlen(fname) <= EVGUI_FILTER_NAME_MAX) {
		hdr[1] = (CARD32)strlen(fname);
		evb_bytes(&b, fname, hdr[1]);
	}
	np = p->filter_nparams;
	if (np < 0 || p->filter_params == NULL)
		np = 0;
	if (np > EVGUI_FILTER_PARAMS_MAX)
		np = EVGUI_FILTER_PARAMS_MAX;
	for (i = 0; i < np; i++)
		evb_word(&b, (CARD32)p->filter_params[i]);
	hdr[2] = (CARD32)np;
	ev_region(&b, p->clientClip, &hdr[3]);
	for (i = 0; i < (int)nstops; i++) {
		evb_word(&b, (CARD32)stops[i].x);
		evb_word(&b, stops[i].color.red);
		evb_word(&b, stops[i].color.green);
		evb_word(&b, stops[i].color.blue);
		evb_word(&b, stops[i].color.alpha);
	}
	hdr[4] = nstops;
	return ev_reply(client, hdr, &b);
}

/* ---- ListGlyphs -------------------------------------------------------- */

/* Converts one glyph's image, read from its picture's pixmap, to the
 * wire's byte layout.  Returns its length, or -1. */
static long
ev_glyph_image(struct evb *b, GlyphPtr g, int depth)
{
	int w = g->info.width, h = g->info.height, x, y, stride, orow;
	ScreenPtr scr = screenInfo.screens[0];
	unsigned char *src, *row;
	PicturePtr pic;
	size_t len;

	if (w == 0 || h == 0)
		return 0;
	pic = GetGlyphPicture(g, scr);
	if (pic == NULL || pic->pDrawable == NULL ||
	    pic->pDrawable->depth != depth)
		return -1;
	stride = PixmapBytePad(w, depth);
	src = calloc((size_t)h, (size_t)stride);
	if (src == NULL)
		return -1;
	scr->GetImage(pic->pDrawable, 0, 0, w, h, ZPixmap, ~0UL, (char *)src);
	orow = depth == 1 ? (w + 7) / 8 : depth == 8 ? w : 4 * w;
	orow = (orow + 3) & ~3;
	len = (size_t)orow * h;
	evb_grow(b, len);
	if (b->oom) {
		free(src);
		return -1;
	}
	memset(b->p + b->len, 0, len);
	for (y = 0; y < h; y++) {
		unsigned char *out = b->p + b->len + (size_t)y * orow;

		row = src + (size_t)y * stride;
		for (x = 0; x < w; x++) {
			if (depth == 1) {
				if (ev_bit(row, x))
					out[x >> 3] |= (unsigned char)(1u << (x & 7));
			} else if (depth == 8) {
				out[x] = row[x];
			} else {
				CARD32 px;

				memcpy(&px, row + 4 * x, 4);
				out[4 * x] = (unsigned char)(px >> 24);
				out[4 * x + 1] = (unsigned char)(px >> 16);
				out[4 * x + 2] = (unsigned char)(px >> 8);
				out[4 * x + 3] = (unsigned char)px;
			}
		}
	}
	b->len += len;
	free(src);
	return (long)len;
}

static int
ev_list_glyphs(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), first = ev_field(client, 2);
	CARD32 max = ev_field(client, 3), hdr[6] = { 0 }, size, i, n = 0;
	struct evb b = { .swap = client->swapped };
	GlyphSetPtr gs;
	int rc, depth;

	if (!ev_render_types())
		return BadImplementation;
	if (max == 0) {
		client->errorValue = 0;
		return BadValue;
	}
	rc = dixLookupResourceByType((void **)&gs, id, ev_glyphset_type, client,
	    DixGetAttrAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc;
	}
	depth = gs->format ? gs->format->depth : 0;
	if (depth != 1 && depth != 8 && depth != 32) {
		client->errorValue = id;
		return BadMatch;
	}
	size = gs->hash.hashSet ? gs->hash.hashSet->size : 0;
	hdr[0] = gs->format->id;
	hdr[1] = (CARD32)depth;
	hdr[2] = gs->hash.tableEntries;
	for (i = first; i < size && n < max; i++) {
		GlyphPtr g = gs->hash.table[i].glyph;
		size_t at;
		long len;

		if (g == NULL || g == DeletedGlyph)
			continue;
		if (g->info.width > EVGUI_GLYPH_MAX_SIDE ||
		    g->info.height > EVGUI_GLYPH_MAX_SIDE) {
			free(b.p);
			client->errorValue = gs->hash.table[i].signature;
			return BadMatch;
		}
		if (n > 0 && b.len + (size_t)EVGUI_GLYPH_WORDS * 4 +
		    (size_t)g->info.width * g->info.height * 4 >
		    EVGUI_GLYPH_REPLY_MAX)
			break;
		evb_word(&b, gs->hash.table[i].signature);
		evb_word(&b, g->info.width);
		evb_word(&b, g->info.height);
		evb_word(&b, (CARD32)(INT32)g->info.x);
		evb_word(&b, (CARD32)(INT32)g->info.y);
		evb_word(&b, (CARD32)(INT32)g->info.xOff);
		evb_word(&b, (CARD32)(INT32)g->info.yOff);
		at = b.len;
		evb_word(&b, 0);
		len = ev_glyph_image(&b, g, depth);
		if (len < 0 || b.oom) {
			free(b.p);
			return b.oom ? BadAlloc : BadMatch;
		}
		{
			CARD32 l = (CARD32)len;

			if (b.swap)
				l = ev_swap32(l);
			memcpy(b.p + at, &l, 4);
		}
		n++;
	}
	hdr[3] = n;
	hdr[4] = i < size ? i : 0;
	return ev_reply(client, hdr, &b);
}

/* ---- ListSelections ---------------------------------------------------- */

struct ev_sel {
	struct evb *b;
	int target;
	CARD32 n;
};

static int
ev_sel_visit(WindowPtr w, void *data)
{
	struct ev_sel *s = data;
	OtherClientsPtr oc;

	for (oc = wOtherClients(w); oc != NULL; oc = oc->next) {
		if (CLIENT_ID(oc->resource) != s->target ||
		    CLIENT_ID(w->drawable.id) == s->target)
			continue;
		if (s->n >= EVGUI_SELECTIONS_MAX)
			return WT_STOPWALKING;
		evb_word(s->b, w->drawable.id);
		evb_word(s->b, oc->mask);
		s->n++;
	}
	return WT_WALKCHILDREN;
}

static int
ev_list_selections(ClientPtr client)
{
	CARD32 who = ev_field(client, 1), hdr[6] = { 0 };
	struct evb b = { .swap = client->swapped };
	struct ev_sel s = { &b, CLIENT_ID(who), 0 };
	int i;

	if (s.target <= 0 || s.target >= currentMaxClients ||
	    clients[s.target] == NULL) {
		client->errorValue = who;
		return BadValue;
	}
	for (i = 0; i < screenInfo.numScreens; i++)
		TraverseTree(screenInfo.screens[i]->root, ev_sel_visit, &s);
	hdr[0] = s.n;
	return ev_reply(client, hdr, &b);
}

/* ---- GetDbe -------------------------------------------------------------- */

static RESTYPE ev_dbe_window_type;

static int
ev_get_dbe(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), hdr[6] = { 0 };
	struct evb b = { .swap = client->swapped };
	DbeWindowPrivPtr p;
	int rc, i, n;

	if (ev_dbe_window_type == 0)
		ev_dbe_window_type = ev_type_named("dbeWindow");
	if (ev_dbe_window_type == 0)
		return BadImplementation;
	rc = dixLookupResourceByType((void **)&p, id, ev_dbe_window_type,
	    client, DixGetAttrAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc == BadValue ? BadDrawable : rc;
	}
	if (p == NULL || p->pWindow == NULL)
		return BadMatch;
	n = p->nBufferIDs;
	if (n < 0 || p->IDs == NULL)
		n = 0;
	if (n > EVGUI_DBE_IDS_MAX)
		n = EVGUI_DBE_IDS_MAX;
	hdr[0] = p->pWindow->drawable.id;
	hdr[1] = p->swapAction;
	hdr[2] = (CARD32)n;
	for (i = 0; i < n; i++)
		evb_word(&b, p->IDs[i]);
	return ev_reply(client, hdr, &b);
}

/* ---- GetPictureImage ---------------------------------------------------- */

static int
ev_get_picture_image(ClientPtr client)
{
	CARD32 id = ev_field(client, 1), hdr[6] = { 0 };
	struct evb b = { .swap = 0 };
	DrawablePtr d;
	PicturePtr p;
	size_t len;
	int rc;

	if (!ev_render_types())
		return BadImplementation;
	rc = dixLookupResourceByType((void **)&p, id, ev_picture_type, client,
	    DixReadAccess);
	if (rc != Success) {
		client->errorValue = id;
		return rc;
	}
	d = p->pDrawable;
	if (d == NULL || d->type == DRAWABLE_WINDOW) {
		client->errorValue = id;
		return BadMatch;          /* a source picture, or a window */
	}
	len = (size_t)PixmapBytePad(d->width, d->depth) * d->height;
	if (len > EVGUI_IMAGE_MAX) {
		client->errorValue = id;
		return BadAlloc;
	}
	evb_grow(&b, len + 4);
	if (b.oom)
		return BadAlloc;
	memset(b.p, 0, len + 4);
	if (len > 0)
		d->pScreen->GetImage(d, 0, 0, d->width, d->height, ZPixmap, ~0UL,
		    (char *)b.p);
	b.len = (len + 3) & ~(size_t)3;
	hdr[0] = d->width;
	hdr[1] = d->height;
	hdr[2] = d->depth;
	hdr[3] = (CARD32)len;
	return ev_reply(client, hdr, &b);
}

/* ---- dispatch ---------------------------------------------------------- */

static const struct {
	int (*fn)(ClientPtr);
	int len;
} ev_requests[EVGUI_NREQUESTS] = {
	[EVGUI_QUERY_VERSION] = { ev_query_version, EVGUI_LEN_QUERY_VERSION },
	[EVGUI_GET_GC] = { ev_get_gc, EVGUI_LEN_GET_GC },
	[EVGUI_GET_WINDOW] = { ev_get_window, EVGUI_LEN_GET_WINDOW },
	[EVGUI_GET_CURSOR] = { ev_get_cursor, EVGUI_LEN_GET_CURSOR },
	[EVGUI_GET_PICTURE] = { ev_get_picture, EVGUI_LEN_GET_PICTURE },
	[EVGUI_LIST_GLYPHS] = { ev_list_glyphs, EVGUI_LEN_LIST_GLYPHS },
	[EVGUI_LIST_SELECTIONS] = { ev_list_selections,
	    EVGUI_LEN_LIST_SELECTIONS },
	[EVGUI_GET_DBE] = { ev_get_dbe, EVGUI_LEN_GET_DBE },
	[EVGUI_GET_PICTURE_IMAGE] = { ev_get_picture_image,
	    EVGUI_LEN_GET_PICTURE_IMAGE },
};

static int
ev_check(ClientPtr client)
{
	REQUEST(xReq);

	if (stuff->data >= EVGUI_NREQUESTS)
		return BadRequest;
	if (client->req_len != (unsigned)ev_requests[stuff->data].len)
		return BadLength;
	return Success;
}

static int
ev_dispatch(ClientPtr client)
{
	REQUEST(xReq);
	int rc = ev_check(client);

	if (rc != Success)
		return rc;
	return ev_requests[stuff->data].fn(client);
}

/* A client of the other byte order: its fields are swapped in place. */
static int
ev_sdispatch(ClientPtr client)
{
	REQUEST(xReq);
	int rc = ev_check(client), i;

	if (rc != Success)
		return rc;
	swaps(&stuff->length);
	for (i = 1; i < ev_requests[stuff->data].len; i++) {
		CARD32 v;

		memcpy(&v, (char *)client->requestBuffer + 4 * i, 4);
		v = ev_swap32(v);
		memcpy((char *)client->requestBuffer + 4 * i, &v, 4);
	}
	return ev_requests[stuff->data].fn(client);
}

static void
ev_close(ExtensionEntry *e)
{
	(void)e;
}

static void
ev_init(void)
{
	if (AddExtension(EVGUI_NAME, 0, 0, ev_dispatch, ev_sdispatch, ev_close,
	    StandardMinorOpcode) == NULL)
		ErrorF("evictgui: AddExtension failed\n");
}

static const ExtensionModule ev_module_ext[] = {
	{ ev_init, EVGUI_NAME, NULL },
};

static void *
ev_setup(void *module, void *opts, int *errmaj, int *errmin)
{
	(void)opts;
	(void)errmaj;
	(void)errmin;
	LoadExtensionList(ev_module_ext, 1, FALSE);
	return module;
}

static XF86ModuleVersionInfo ev_version = {
	"evictgui", "evict", MODINFOSTRING1, MODINFOSTRING2,
	XORG_VERSION_CURRENT, EVGUI_MAJOR, EVGUI_MINOR, 0,
	ABI_CLASS_EXTENSION, ABI_EXTENSION_VERSION, MOD_CLASS_EXTENSION,
	{ 0, 0, 0, 0 }
};

_X_EXPORT XF86ModuleData evictguiModuleData = {
	&ev_version, ev_setup, NULL
};

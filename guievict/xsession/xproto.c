/* xproto: see xproto.h.  Offsets are those of the X11 protocol encoding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/xproto.h"

static const char *const xp_ext_names[XP_EXT_COUNT] = {
	[XP_EXT_BIGREQ] = "BIG-REQUESTS",
	[XP_EXT_SHAPE]  = "SHAPE",
	[XP_EXT_XFIXES] = "XFIXES",
	[XP_EXT_RENDER] = "RENDER",
	[XP_EXT_DBE]    = "DOUBLE-BUFFER",
};

static const char *const xp_kind_names[XP_K_MAX] = {
	[XP_K_WINDOW] = "WINDOW", [XP_K_PIXMAP] = "PIXMAP",
	[XP_K_DRAWABLE] = "DRAWABLE", [XP_K_GC] = "GC", [XP_K_FONT] = "FONT",
	[XP_K_FONTABLE] = "FONTABLE", [XP_K_CURSOR] = "CURSOR",
	[XP_K_COLORMAP] = "COLORMAP", [XP_K_ATOM] = "ATOM",
	[XP_K_VISUAL] = "VISUAL", [XP_K_ANY] = "ANY", [XP_K_REGION] = "REGION",
	[XP_K_BARRIER] = "BARRIER", [XP_K_PICTURE] = "PICTURE",
	[XP_K_PICTFORMAT] = "PICTFORMAT", [XP_K_GLYPHSET] = "GLYPHSET",
};

void
xp_conn_init(struct xp_conn *cx, int msb)
{
	memset(cx, 0, sizeof *cx);
	cx->msb = msb ? 1 : 0;
	cx->max_msg = XP_MAX_MSG_DEFAULT;
}

int
xp_conn_set_ext(struct xp_conn *cx, int ext, uint8_t major,
    uint8_t first_event, uint8_t first_error)
{
	if (ext < 0 || ext >= XP_EXT_COUNT || major < 128)
		return -EINVAL;
	cx->ext_major[ext] = major;
	cx->ext_event[ext] = first_event;
	cx->ext_error[ext] = first_error;
	return 0;
}

int
xp_ext_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < XP_EXT_COUNT; i++) {
		if (strlen(xp_ext_names[i]) == len &&
		    memcmp(xp_ext_names[i], name, len) == 0)
			return i;
	}
	return -ENOENT;
}

const char *
xp_ext_name(int ext)
{
	if (ext < 0 || ext >= XP_EXT_COUNT)
		return "?";
	return xp_ext_names[ext];
}

const char *
xp_kind_name(int kind)
{
	if (kind <= 0 || kind >= XP_K_MAX)
		return "?";
	return xp_kind_names[kind];
}

uint16_t
xp_get16(const struct xp_conn *cx, const uint8_t *p)
{
	if (cx->msb)
		return (uint16_t)(p[0] << 8 | p[1]);
	return (uint16_t)(p[1] << 8 | p[0]);
}

uint32_t
xp_get32(const struct xp_conn *cx, const uint8_t *p)
{
	if (cx->msb)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

void
xp_put16(const struct xp_conn *cx, uint8_t *p, uint16_t v)
{
	if (cx->msb) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	} else {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
	}
}

void
xp_put32(const struct xp_conn *cx, uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (cx->msb)
			p[i] = (uint8_t)(v >> (24 - 8 * i));
		else
			p[i] = (uint8_t)(v >> (8 * i));
	}
}

uint32_t
xp_ref_get(const struct xp_conn *cx, const uint8_t *msg, const struct xp_ref *r)
{
	struct xp_conn be;

	if (r->flags & XP_REF_MSB) {
		be = *cx;
		be.msb = 1;
		return xp_get32(&be, msg + r->off);
	}
	return xp_get32(cx, msg + r->off);
}

void
xp_ref_put(const struct xp_conn *cx, uint8_t *msg, const struct xp_ref *r,
    uint32_t v)
{
	struct xp_conn be;

	if (r->flags & XP_REF_MSB) {
		be = *cx;
		be.msb = 1;
		xp_put32(&be, msg + r->off, v);
		return;
	}
	xp_put32(cx, msg + r->off, v);
}

static size_t
xp_pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* ---- connection setup ------------------------------------------------- */

int
xp_client_setup_parse(const uint8_t *p, size_t n, struct xp_client_setup *out)
{
	struct xp_conn cx;
	size_t an, ad, total;

	if (n < 1)
		return 0;
	if (p[0] != 'B' && p[0] != 'l')
		return -EBADMSG;
	if (n < 12)
		return 0;
	xp_conn_init(&cx, p[0] == 'B');
	an = xp_get16(&cx, p + 6);
	ad = xp_get16(&cx, p + 8);
	total = 12 + xp_pad4(an) + xp_pad4(ad);
	if (n < total)
		return 0;
	memset(out, 0, sizeof *out);
	out->msb = cx.msb;
	out->major = xp_get16(&cx, p + 2);
	out->minor = xp_get16(&cx, p + 4);
	out->auth_name = p + 12;
	out->auth_name_len = (uint16_t)an;
	out->auth_data = p + 12 + xp_pad4(an);
	out->auth_data_len = (uint16_t)ad;
	return (int)total;
}

void
xp_setup_free(struct xp_setup *s)
{
	int i, j;

	if (s->screens != NULL) {
		for (i = 0; i < s->nscreens; i++) {
			for (j = 0; j < s->screens[i].ndepths; j++)
				free(s->screens[i].depths[j].visuals);
			free(s->screens[i].depths);
		}
	}
	free(s->screens);
	s->screens = NULL;
	s->nscreens = 0;
}

static void
xp_copy_str(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
	size_t i;

	if (n > dstsz - 1)
		n = dstsz - 1;
	for (i = 0; i < n && src[i] != 0; i++)
		dst[i] = (char)src[i];
	dst[i] = '\0';
}

static int
xp_setup_screens(const struct xp_conn *cx, const uint8_t *p, size_t end,
    size_t off, struct xp_setup *s)
{
	struct xp_screen *sc;
	struct xp_depth *d;
	struct xp_visual *v;
	const uint8_t *q;
	int i, j, k;

	if (s->nscreens == 0)
		return 0;
	s->screens = calloc(s->nscreens, sizeof *s->screens);
	if (s->screens == NULL)
		return -ENOMEM;
	for (i = 0; i < s->nscreens; i++) {
		if (end - off < 40)
			return -EBADMSG;
		q = p + off;
		sc = &s->screens[i];
		sc->root = xp_get32(cx, q);
		sc->default_colormap = xp_get32(cx, q + 4);
		sc->white_pixel = xp_get32(cx, q + 8);
		sc->black_pixel = xp_get32(cx, q + 12);
		sc->input_masks = xp_get32(cx, q + 16);
		sc->width = xp_get16(cx, q + 20);
		sc->height = xp_get16(cx, q + 22);
		sc->width_mm = xp_get16(cx, q + 24);
		sc->height_mm = xp_get16(cx, q + 26);
		sc->min_maps = xp_get16(cx, q + 28);
		sc->max_maps = xp_get16(cx, q + 30);
		sc->root_visual = xp_get32(cx, q + 32);
		sc->backing_stores = q[36];
		sc->save_unders = q[37];
		sc->root_depth = q[38];
		sc->ndepths = q[39];
		off += 40;
		if (sc->ndepths == 0)
			continue;
		sc->depths = calloc(sc->ndepths, sizeof *sc->depths);
		if (sc->depths == NULL) {
			sc->ndepths = 0;
			return -ENOMEM;
		}
		for (j = 0; j < sc->ndepths; j++) {
			if (end - off < 8)
				return -EBADMSG;
			d = &sc->depths[j];
			d->depth = p[off];
			d->nvisuals = xp_get16(cx, p + off + 2);
			off += 8;
			if ((end - off) / 24 < d->nvisuals)
				return -EBADMSG;
			if (d->nvisuals == 0)
				continue;
			d->visuals = calloc(d->nvisuals, sizeof *d->visuals);
			if (d->visuals == NULL)
				return -ENOMEM;
			for (k = 0; k < d->nvisuals; k++, off += 24) {
				v = &d->visuals[k];
				q = p + off;
				v->id = xp_get32(cx, q);
				v->cls = q[4];
				v->bits_per_rgb = q[5];
				v->colormap_entries = xp_get16(cx, q + 6);
				v->red_mask = xp_get32(cx, q + 8);
				v->green_mask = xp_get32(cx, q + 12);
				v->blue_mask = xp_get32(cx, q + 16);
			}
		}
	}
	return 0;
}

int
xp_setup_parse(int msb, const uint8_t *p, size_t n, struct xp_setup *out)
{
	struct xp_conn cx;
	size_t total, off, vlen;
	int i, r;

	xp_conn_init(&cx, msb);
	memset(out, 0, sizeof *out);
	if (n < 8)
		return 0;
	if (p[0] > 2)
		return -EBADMSG;
	total = 8 + 4 * (size_t)xp_get16(&cx, p + 6);
	if (n < total)
		return 0;
	out->status = p[0];
	out->major = xp_get16(&cx, p + 2);
	out->minor = xp_get16(&cx, p + 4);
	if (p[0] == 0) {
		if ((size_t)p[1] > total - 8)
			return -EBADMSG;
		xp_copy_str(out->reason, sizeof out->reason, p + 8, p[1]);
		return (int)total;
	}
	if (p[0] == 2) {
		out->major = out->minor = 0;
		xp_copy_str(out->reason, sizeof out->reason, p + 8, total - 8);
		return (int)total;
	}
	if (total < 40)
		return -EBADMSG;
	out->release = xp_get32(&cx, p + 8);
	out->resource_base = xp_get32(&cx, p + 12);
	out->resource_mask = xp_get32(&cx, p + 16);
	out->motion_buffer = xp_get32(&cx, p + 20);
	vlen = xp_get16(&cx, p + 24);
	out->max_request_len = xp_get16(&cx, p + 26);
	out->nscreens = p[28];
	out->nformats = p[29];
	out->image_byte_order = p[30];
	out->bitmap_bit_order = p[31];
	out->scanline_unit = p[32];
	out->scanline_pad = p[33];
	out->min_keycode = p[34];
	out->max_keycode = p[35];
	off = 40;
	if (total - off < xp_pad4(vlen))
		return -EBADMSG;
	xp_copy_str(out->vendor, sizeof out->vendor, p + off, vlen);
	off += xp_pad4(vlen);
	if ((total - off) / 8 < out->nformats)
		return -EBADMSG;
	for (i = 0; i < out->nformats; i++, off += 8) {
		out->formats[i].depth = p[off];
		out->formats[i].bpp = p[off + 1];
		out->formats[i].scanline_pad = p[off + 2];
	}
	r = xp_setup_screens(&cx, p, total, off, out);
	if (r < 0) {
		xp_setup_free(out);
		return r;
	}
	return (int)total;
}

/* ---- request splitting ---------------------------------------------------- */

int
xp_req_next(struct xp_conn *cx, const uint8_t *p, size_t n, struct xp_req *out)
{
	size_t len, hdr;
	uint32_t units;
	int i;

	if (n < 4)
		return 0;
	units = xp_get16(cx, p + 2);
	hdr = 4;
	if (units == 0) {
		if (!cx->bigreq)
			return -EBADMSG;
		if (n < 8)
			return 0;
		units = xp_get32(cx, p + 4);
		if (units < 2)
			return -EBADMSG;
		hdr = 8;
	}
	if (units > cx->max_msg / 4 || units > (uint32_t)INT32_MAX / 4)
		return -EMSGSIZE;
	len = (size_t)units * 4;
	if (n < len)
		return 0;
	memset(out, 0, sizeof *out);
	out->p = p;
	out->len = len;
	out->hdr = hdr;
	out->major = p[0];
	out->data = p[1];
	out->ext = -1;
	if (p[0] >= 128) {
		for (i = 0; i < XP_EXT_COUNT; i++) {
			if (cx->ext_major[i] == p[0]) {
				out->ext = i;
				break;
			}
		}
	}
	cx->seq++;
	out->seq = cx->seq;
	return (int)len;
}

size_t
xp_req_off(const struct xp_req *r, size_t off)
{
	return (r->hdr == 8 && off >= 4) ? off + 4 : off;
}

/* ---- request descriptions --------------------------------------------------- */

enum xp_special {
	XP_SP_NONE = 0,
	XP_SP_WINVALS,      /* window value list: mask, then values */
	XP_SP_GCVALS,
	XP_SP_CONFIG,       /* ConfigureWindow: 16-bit mask at 8, values at 12 */
	XP_SP_SENDEVENT,    /* event at 12 */
	XP_SP_TEXT8,        /* PolyText8 items from 16 */
	XP_SP_TEXT16,
	XP_SP_ROTATE,       /* RotateProperties: count at 8, atoms from 12 */
	XP_SP_CPVALS,       /* RENDER picture values */
	XP_SP_GLYPHS8,      /* RENDER CompositeGlyphs items from 28 */
	XP_SP_GLYPHS16,
	XP_SP_GLYPHS32,
	XP_SP_ANIMCURSOR,   /* RENDER CreateAnimCursor elements from 8 */
	XP_SP_DBESWAP,      /* DBE SwapBuffers: count at 4, (window, action)
	                       pairs of 8 bytes from 8 */
	XP_SP_DBEVISINFO,   /* DBE GetVisualInfo: count at 4, drawables from 8 */
};

struct xp_fld {
	uint8_t off, kind, flags;
};

struct xp_rdesc {
	struct xp_fld f[5];     /* ends at kind 0 */
	uint8_t       special;
	uint8_t       mask_off; /* value list: mask offset, values follow */
};

#define W   XP_K_WINDOW
#define PX  XP_K_PIXMAP
#define D   XP_K_DRAWABLE
#define G   XP_K_GC
#define FN  XP_K_FONT
#define FA  XP_K_FONTABLE
#define CU  XP_K_CURSOR
#define CM  XP_K_COLORMAP
#define AT  XP_K_ATOM
#define VI  XP_K_VISUAL
#define RG  XP_K_REGION
#define PI  XP_K_PICTURE
#define PF  XP_K_PICTFORMAT
#define GS  XP_K_GLYPHSET
#define NEW XP_REF_NEW

static const struct xp_rdesc xp_core[128] = {
	[1]  = { { { 4, W, NEW }, { 8, W, 0 }, { 24, VI, 0 } }, XP_SP_WINVALS, 28 },
	[2]  = { { { 4, W, 0 } }, XP_SP_WINVALS, 8 },
	[3]  = { { { 4, W, 0 } }, 0, 0 },
	[4]  = { { { 4, W, 0 } }, 0, 0 },
	[5]  = { { { 4, W, 0 } }, 0, 0 },
	[6]  = { { { 4, W, 0 } }, 0, 0 },
	[7]  = { { { 4, W, 0 }, { 8, W, 0 } }, 0, 0 },
	[8]  = { { { 4, W, 0 } }, 0, 0 },
	[9]  = { { { 4, W, 0 } }, 0, 0 },
	[10] = { { { 4, W, 0 } }, 0, 0 },
	[11] = { { { 4, W, 0 } }, 0, 0 },
	[12] = { { { 4, W, 0 } }, XP_SP_CONFIG, 8 },
	[13] = { { { 4, W, 0 } }, 0, 0 },
	[14] = { { { 4, D, 0 } }, 0, 0 },
	[15] = { { { 4, W, 0 } }, 0, 0 },
	[17] = { { { 4, AT, 0 } }, 0, 0 },
	[18] = { { { 4, W, 0 }, { 8, AT, 0 }, { 12, AT, 0 } }, 0, 0 },
	[19] = { { { 4, W, 0 }, { 8, AT, 0 } }, 0, 0 },
	[20] = { { { 4, W, 0 }, { 8, AT, 0 }, { 12, AT, 0 } }, 0, 0 },
	[21] = { { { 4, W, 0 } }, 0, 0 },
	[22] = { { { 4, W, 0 }, { 8, AT, 0 } }, 0, 0 },
	[23] = { { { 4, AT, 0 } }, 0, 0 },
	[24] = { { { 4, W, 0 }, { 8, AT, 0 }, { 12, AT, 0 }, { 16, AT, 0 } }, 0, 0 },
	[25] = { { { 4, W, 0 } }, XP_SP_SENDEVENT, 0 },
	[26] = { { { 4, W, 0 }, { 12, W, 0 }, { 16, CU, 0 } }, 0, 0 },
	[28] = { { { 4, W, 0 }, { 12, W, 0 }, { 16, CU, 0 } }, 0, 0 },
	[29] = { { { 4, W, 0 } }, 0, 0 },
	[30] = { { { 4, CU, 0 } }, 0, 0 },
	[31] = { { { 4, W, 0 } }, 0, 0 },
	[33] = { { { 4, W, 0 } }, 0, 0 },
	[34] = { { { 4, W, 0 } }, 0, 0 },
	[38] = { { { 4, W, 0 } }, 0, 0 },
	[39] = { { { 4, W, 0 } }, 0, 0 },
	[40] = { { { 4, W, 0 }, { 8, W, 0 } }, 0, 0 },
	[41] = { { { 4, W, 0 }, { 8, W, 0 } }, 0, 0 },
	[42] = { { { 4, W, 0 } }, 0, 0 },
	[45] = { { { 4, FN, NEW } }, 0, 0 },
	[46] = { { { 4, FN, 0 } }, 0, 0 },
	[47] = { { { 4, FA, 0 } }, 0, 0 },
	[48] = { { { 4, FA, 0 } }, 0, 0 },
	[53] = { { { 4, PX, NEW }, { 8, D, 0 } }, 0, 0 },
	[54] = { { { 4, PX, 0 } }, 0, 0 },
	[55] = { { { 4, G, NEW }, { 8, D, 0 } }, XP_SP_GCVALS, 12 },
	[56] = { { { 4, G, 0 } }, XP_SP_GCVALS, 8 },
	[57] = { { { 4, G, 0 }, { 8, G, 0 } }, 0, 0 },
	[58] = { { { 4, G, 0 } }, 0, 0 },
	[59] = { { { 4, G, 0 } }, 0, 0 },
	[60] = { { { 4, G, 0 } }, 0, 0 },
	[61] = { { { 4, W, 0 } }, 0, 0 },
	[62] = { { { 4, D, 0 }, { 8, D, 0 }, { 12, G, 0 } }, 0, 0 },
	[63] = { { { 4, D, 0 }, { 8, D, 0 }, { 12, G, 0 } }, 0, 0 },
	[64] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[65] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[66] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[67] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[68] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[69] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[70] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[71] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[72] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[73] = { { { 4, D, 0 } }, 0, 0 },
	[74] = { { { 4, D, 0 }, { 8, G, 0 } }, XP_SP_TEXT8, 0 },
	[75] = { { { 4, D, 0 }, { 8, G, 0 } }, XP_SP_TEXT16, 0 },
	[76] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[77] = { { { 4, D, 0 }, { 8, G, 0 } }, 0, 0 },
	[78] = { { { 4, CM, NEW }, { 8, W, 0 }, { 12, VI, 0 } }, 0, 0 },
	[79] = { { { 4, CM, 0 } }, 0, 0 },
	[80] = { { { 4, CM, NEW }, { 8, CM, 0 } }, 0, 0 },
	[81] = { { { 4, CM, 0 } }, 0, 0 },
	[82] = { { { 4, CM, 0 } }, 0, 0 },
	[83] = { { { 4, W, 0 } }, 0, 0 },
	[84] = { { { 4, CM, 0 } }, 0, 0 },
	[85] = { { { 4, CM, 0 } }, 0, 0 },
	[86] = { { { 4, CM, 0 } }, 0, 0 },
	[87] = { { { 4, CM, 0 } }, 0, 0 },
	[88] = { { { 4, CM, 0 } }, 0, 0 },
	[89] = { { { 4, CM, 0 } }, 0, 0 },
	[90] = { { { 4, CM, 0 } }, 0, 0 },
	[91] = { { { 4, CM, 0 } }, 0, 0 },
	[92] = { { { 4, CM, 0 } }, 0, 0 },
	[93] = { { { 4, CU, NEW }, { 8, PX, 0 }, { 12, PX, 0 } }, 0, 0 },
	[94] = { { { 4, CU, NEW }, { 8, FN, 0 }, { 12, FN, 0 } }, 0, 0 },
	[95] = { { { 4, CU, 0 } }, 0, 0 },
	[96] = { { { 4, CU, 0 } }, 0, 0 },
	[97] = { { { 4, D, 0 } }, 0, 0 },
	[113] = { { { 4, XP_K_ANY, 0 } }, 0, 0 },
	[114] = { { { 4, W, 0 } }, XP_SP_ROTATE, 0 },
};

static const struct xp_rdesc xp_shape[9] = {
	[1] = { { { 8, W, 0 } }, 0, 0 },
	[2] = { { { 8, W, 0 }, { 16, PX, 0 } }, 0, 0 },
	[3] = { { { 8, W, 0 }, { 16, W, 0 } }, 0, 0 },
	[4] = { { { 8, W, 0 } }, 0, 0 },
	[5] = { { { 4, W, 0 } }, 0, 0 },
	[6] = { { { 4, W, 0 } }, 0, 0 },
	[7] = { { { 4, W, 0 } }, 0, 0 },
	[8] = { { { 4, W, 0 } }, 0, 0 },
};

static const struct xp_rdesc xp_xfixes[35] = {
	[1]  = { { { 8, W, 0 } }, 0, 0 },
	[2]  = { { { 4, W, 0 }, { 8, AT, 0 } }, 0, 0 },
	[3]  = { { { 4, W, 0 } }, 0, 0 },
	[5]  = { { { 4, RG, NEW } }, 0, 0 },
	[6]  = { { { 4, RG, NEW }, { 8, PX, 0 } }, 0, 0 },
	[7]  = { { { 4, RG, NEW }, { 8, W, 0 } }, 0, 0 },
	[8]  = { { { 4, RG, NEW }, { 8, G, 0 } }, 0, 0 },
	[9]  = { { { 4, RG, NEW }, { 8, PI, 0 } }, 0, 0 },
	[10] = { { { 4, RG, 0 } }, 0, 0 },
	[11] = { { { 4, RG, 0 } }, 0, 0 },
	[12] = { { { 4, RG, 0 }, { 8, RG, 0 } }, 0, 0 },
	[13] = { { { 4, RG, 0 }, { 8, RG, 0 }, { 12, RG, 0 } }, 0, 0 },
	[14] = { { { 4, RG, 0 }, { 8, RG, 0 }, { 12, RG, 0 } }, 0, 0 },
	[15] = { { { 4, RG, 0 }, { 8, RG, 0 }, { 12, RG, 0 } }, 0, 0 },
	[16] = { { { 4, RG, 0 }, { 16, RG, 0 } }, 0, 0 },
	[17] = { { { 4, RG, 0 } }, 0, 0 },
	[18] = { { { 4, RG, 0 }, { 8, RG, 0 } }, 0, 0 },
	[19] = { { { 4, RG, 0 } }, 0, 0 },
	[20] = { { { 4, G, 0 }, { 8, RG, 0 } }, 0, 0 },
	[21] = { { { 4, W, 0 }, { 16, RG, 0 } }, 0, 0 },
	[22] = { { { 4, PI, 0 }, { 8, RG, 0 } }, 0, 0 },
	[23] = { { { 4, CU, 0 } }, 0, 0 },
	[24] = { { { 4, CU, 0 } }, 0, 0 },
	[26] = { { { 4, CU, 0 }, { 8, CU, 0 } }, 0, 0 },
	[27] = { { { 4, CU, 0 } }, 0, 0 },
	[28] = { { { 4, RG, 0 }, { 8, RG, 0 } }, 0, 0 },
	[29] = { { { 4, W, 0 } }, 0, 0 },
	[30] = { { { 4, W, 0 } }, 0, 0 },
	[31] = { { { 4, XP_K_BARRIER, NEW }, { 8, W, 0 } }, 0, 0 },
	[32] = { { { 4, XP_K_BARRIER, 0 } }, 0, 0 },
};

static const struct xp_rdesc xp_render[37] = {
	[2]  = { { { 4, PF, 0 } }, 0, 0 },
	[4]  = { { { 4, PI, NEW }, { 8, D, 0 }, { 12, PF, 0 } }, XP_SP_CPVALS, 16 },
	[5]  = { { { 4, PI, 0 } }, XP_SP_CPVALS, 8 },
	[6]  = { { { 4, PI, 0 } }, 0, 0 },
	[7]  = { { { 4, PI, 0 } }, 0, 0 },
	[8]  = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PI, 0 } }, 0, 0 },
	[10] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 } }, 0, 0 },
	[11] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 } }, 0, 0 },
	[12] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 } }, 0, 0 },
	[13] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 } }, 0, 0 },
	[17] = { { { 4, GS, NEW }, { 8, PF, 0 } }, 0, 0 },
	[18] = { { { 4, GS, NEW }, { 8, GS, 0 } }, 0, 0 },
	[19] = { { { 4, GS, 0 } }, 0, 0 },
	[20] = { { { 4, GS, 0 } }, 0, 0 },
	[22] = { { { 4, GS, 0 } }, 0, 0 },
	[23] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 }, { 20, GS, 0 } },
	    XP_SP_GLYPHS8, 0 },
	[24] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 }, { 20, GS, 0 } },
	    XP_SP_GLYPHS16, 0 },
	[25] = { { { 8, PI, 0 }, { 12, PI, 0 }, { 16, PF, 0 }, { 20, GS, 0 } },
	    XP_SP_GLYPHS32, 0 },
	[26] = { { { 8, PI, 0 } }, 0, 0 },
	[27] = { { { 4, CU, NEW }, { 8, PI, 0 } }, 0, 0 },
	[28] = { { { 4, PI, 0 } }, 0, 0 },
	[29] = { { { 4, D, 0 } }, 0, 0 },
	[30] = { { { 4, PI, 0 } }, 0, 0 },
	[31] = { { { 4, CU, NEW } }, XP_SP_ANIMCURSOR, 0 },
	[32] = { { { 4, PI, 0 } }, 0, 0 },
	[33] = { { { 4, PI, NEW } }, 0, 0 },
	[34] = { { { 4, PI, NEW } }, 0, 0 },
	[35] = { { { 4, PI, NEW } }, 0, 0 },
	[36] = { { { 4, PI, NEW } }, 0, 0 },
};

/* DOUBLE-BUFFER: back buffers are drawables named by the client. */
static const struct xp_rdesc xp_dbe[8] = {
	[1] = { { { 4, W, 0 }, { 8, D, NEW } }, 0, 0 },
	[2] = { { { 4, D, 0 } }, 0, 0 },
	[3] = { { { 0, 0, 0 } }, XP_SP_DBESWAP, 0 },
	[6] = { { { 0, 0, 0 } }, XP_SP_DBEVISINFO, 0 },
	[7] = { { { 4, D, 0 } }, 0, 0 },
};

/* Kinds of the values of a value list, by bit; 0 for plain numbers. */
static const uint8_t xp_win_bits[15] = {
	[0] = PX, [2] = PX, [13] = CM, [14] = CU,
};
static const uint8_t xp_gc_bits[23] = {
	[10] = PX, [11] = PX, [14] = FN, [19] = PX,
};
static const uint8_t xp_config_bits[7] = {
	[5] = W,
};
static const uint8_t xp_cp_bits[13] = {
	[1] = PI, [6] = PX, [11] = AT,
};

#undef W
#undef PX
#undef D
#undef G
#undef FN
#undef FA
#undef CU
#undef CM
#undef AT
#undef VI
#undef RG
#undef PI
#undef PF
#undef GS
#undef NEW

/* Collects references; counts past max so the caller learns the need. */
struct xp_acc {
	struct xp_ref *refs;
	size_t         max;
	size_t         n;
};

static void
xp_acc_add(struct xp_acc *a, size_t off, uint8_t kind, uint8_t flags)
{
	if (a->n < a->max) {
		a->refs[a->n].off = (uint32_t)off;
		a->refs[a->n].kind = kind;
		a->refs[a->n].flags = flags;
	}
	a->n++;
}

static int
xp_values(const struct xp_conn *cx, const struct xp_req *r, size_t mask_off,
    int mask16, const uint8_t *bits, size_t nbits, struct xp_acc *a)
{
	size_t moff, voff;
	uint32_t mask;
	size_t i;

	moff = xp_req_off(r, mask_off);
	if (r->len < moff + (mask16 ? 2 : 4))
		return -EBADMSG;
	mask = mask16 ? xp_get16(cx, r->p + moff) : xp_get32(cx, r->p + moff);
	voff = xp_req_off(r, mask_off + 4);
	for (i = 0; i < nbits; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (r->len < voff + 4)
			return -EBADMSG;
		if (bits[i] != 0)
			xp_acc_add(a, voff, bits[i], 0);
		voff += 4;
	}
	return 0;
}

static int
xp_text_items(const struct xp_req *r, size_t start, size_t charsz,
    struct xp_acc *a)
{
	size_t pos = xp_req_off(r, start), end = r->len;
	uint8_t n;

	/* As the server reads them: an item needs more than 2 bytes left. */
	while (pos < end && end - pos > 2) {
		n = r->p[pos];
		if (n == 255) {
			if (end - pos < 5)
				return -EBADMSG;
			xp_acc_add(a, pos + 1, XP_K_FONT, XP_REF_MSB);
			pos += 5;
		} else {
			pos += 2 + (size_t)n * charsz;
		}
	}
	return 0;
}

static int
xp_glyph_items(const struct xp_req *r, size_t start, size_t glyphsz,
    struct xp_acc *a)
{
	size_t pos = xp_req_off(r, start), end = r->len, space;
	uint8_t n;

	while (pos < end && end - pos > 8) {
		n = r->p[pos];
		pos += 8;
		if (n == 255) {
			if (end - pos < 4)
				return -EBADMSG;
			xp_acc_add(a, pos, XP_K_GLYPHSET, 0);
			pos += 4;
		} else {
			space = xp_pad4((size_t)n * glyphsz);
			if (end - pos < space)
				return -EBADMSG;
			pos += space;
		}
	}
	return 0;
}

static int
xp_special(const struct xp_conn *cx, const struct xp_req *r,
    const struct xp_rdesc *d, struct xp_acc *a)
{
	struct xp_ref evrefs[8];
	size_t off, i, cnt;
	int k, n;

	switch (d->special) {
	case XP_SP_WINVALS:
		return xp_values(cx, r, d->mask_off, 0, xp_win_bits, 15, a);
	case XP_SP_GCVALS:
		return xp_values(cx, r, d->mask_off, 0, xp_gc_bits, 23, a);
	case XP_SP_CONFIG:
		return xp_values(cx, r, d->mask_off, 1, xp_config_bits, 7, a);
	case XP_SP_CPVALS:
		return xp_values(cx, r, d->mask_off, 0, xp_cp_bits, 13, a);
	case XP_SP_SENDEVENT:
		off = xp_req_off(r, 12);
		if (r->len < off + 32)
			return -EBADMSG;
		n = xp_event_refs(cx, r->p + off, 32, evrefs, 8);
		for (k = 0; k < n && k < 8; k++)
			xp_acc_add(a, off + evrefs[k].off, evrefs[k].kind,
			    evrefs[k].flags);
		return 0;
	case XP_SP_TEXT8:
		return xp_text_items(r, 16, 1, a);
	case XP_SP_TEXT16:
		return xp_text_items(r, 16, 2, a);
	case XP_SP_ROTATE:
		off = xp_req_off(r, 8);
		if (r->len < off + 4)
			return -EBADMSG;
		cnt = xp_get16(cx, r->p + off);
		off = xp_req_off(r, 12);
		if ((r->len - off) / 4 < cnt)
			return -EBADMSG;
		for (i = 0; i < cnt; i++)
			xp_acc_add(a, off + 4 * i, XP_K_ATOM, 0);
		return 0;
	case XP_SP_GLYPHS8:
		return xp_glyph_items(r, 28, 1, a);
	case XP_SP_GLYPHS16:
		return xp_glyph_items(r, 28, 2, a);
	case XP_SP_GLYPHS32:
		return xp_glyph_items(r, 28, 4, a);
	case XP_SP_ANIMCURSOR:
		for (off = xp_req_off(r, 8); off + 8 <= r->len; off += 8)
			xp_acc_add(a, off, XP_K_CURSOR, 0);
		return 0;
	case XP_SP_DBESWAP:
	case XP_SP_DBEVISINFO:
		off = xp_req_off(r, 4);
		if (r->len < off + 4)
			return -EBADMSG;
		cnt = xp_get32(cx, r->p + off);
		off = xp_req_off(r, 8);
		{
			size_t each = d->special == XP_SP_DBESWAP ? 8 : 4;

			if ((r->len - off) / each < cnt)
				return -EBADMSG;
			for (i = 0; i < cnt; i++)
				xp_acc_add(a, off + each * i, d->special == XP_SP_DBESWAP ?
				    XP_K_WINDOW : XP_K_DRAWABLE, 0);
		}
		return 0;
	default:
		return 0;
	}
}

int
xp_req_refs(const struct xp_conn *cx, const struct xp_req *r,
    struct xp_ref *refs, size_t max)
{
	const struct xp_rdesc *d = NULL;
	struct xp_acc a = { refs, max, 0 };
	size_t off;
	int i, rv;

	if (r->len < r->hdr || r->len < 4)
		return -EBADMSG;
	if (r->major < 128) {
		d = &xp_core[r->major];
	} else {
		switch (r->ext) {
		case XP_EXT_BIGREQ:
			return 0;
		case XP_EXT_SHAPE:
			if (r->data < 9)
				d = &xp_shape[r->data];
			break;
		case XP_EXT_XFIXES:
			if (r->data < 35)
				d = &xp_xfixes[r->data];
			break;
		case XP_EXT_RENDER:
			if (r->data < 37)
				d = &xp_render[r->data];
			break;
		case XP_EXT_DBE:
			if (r->data < 8)
				d = &xp_dbe[r->data];
			break;
		default:
			return -ENOENT;
		}
		if (d == NULL)
			return 0;    /* an unknown minor: BadRequest anyway */
	}
	for (i = 0; i < 5 && d->f[i].kind != 0; i++) {
		off = xp_req_off(r, d->f[i].off);
		if (r->len < off + 4)
			return -EBADMSG;
		xp_acc_add(&a, off, d->f[i].kind, d->f[i].flags);
	}
	if (d->special != XP_SP_NONE) {
		rv = xp_special(cx, r, d, &a);
		if (rv < 0)
			return rv;
	}
	if (a.n > (size_t)INT32_MAX)
		return -EMSGSIZE;
	return (int)a.n;
}

/* ---- server -> client --------------------------------------------------------- */

uint64_t
xp_seq_widen(uint64_t last_sent, uint16_t wire)
{
	uint64_t s = (last_sent & ~(uint64_t)0xffff) | wire;

	if (s > last_sent) {
		if (s < 0x10000)
			return s;    /* before anything was sent: take it as is */
		s -= 0x10000;
	}
	return s;
}

int
xp_msg_next(const struct xp_conn *cx, const uint8_t *p, size_t n,
    struct xp_msg *out)
{
	size_t len = 32;
	uint32_t units;
	uint8_t type;

	if (n < 32)
		return 0;
	type = p[0];
	if (type == 1 || (type & 0x7f) == 35) {
		units = xp_get32(cx, p + 4);
		if (units > (cx->max_msg - 32) / 4 ||
		    units > ((uint32_t)INT32_MAX - 32) / 4)
			return -EMSGSIZE;
		len = 32 + (size_t)units * 4;
		if (n < len)
			return 0;
	}
	memset(out, 0, sizeof *out);
	out->p = p;
	out->len = len;
	if (type == 0) {
		out->kind = XP_MSG_ERROR;
		out->code = p[1];
	} else if (type == 1) {
		out->kind = XP_MSG_REPLY;
		out->code = 1;
	} else {
		out->kind = XP_MSG_EVENT;
		out->code = type & 0x7f;
		out->sent = (type & 0x80) != 0;
	}
	out->has_seq = !(out->kind == XP_MSG_EVENT && out->code == 11);
	if (out->has_seq) {
		out->seq16 = xp_get16(cx, p + 2);
		out->seq = xp_seq_widen(cx->seq, out->seq16);
	}
	return (int)len;
}

struct xp_edesc {
	struct xp_fld f[5];
};

#define W   XP_K_WINDOW
#define AT  XP_K_ATOM
static const struct xp_edesc xp_events[35] = {
	[2]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[3]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[4]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[5]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[6]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[7]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[8]  = { { { 8, W, 0 }, { 12, W, 0 }, { 16, W, 0 } } },
	[9]  = { { { 4, W, 0 } } },
	[10] = { { { 4, W, 0 } } },
	[12] = { { { 4, W, 0 } } },
	[13] = { { { 4, XP_K_DRAWABLE, 0 } } },
	[14] = { { { 4, XP_K_DRAWABLE, 0 } } },
	[15] = { { { 4, W, 0 } } },
	[16] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[17] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[18] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[19] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[20] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[21] = { { { 4, W, 0 }, { 8, W, 0 }, { 12, W, 0 } } },
	[22] = { { { 4, W, 0 }, { 8, W, 0 }, { 12, W, 0 } } },
	[23] = { { { 4, W, 0 }, { 8, W, 0 }, { 12, W, 0 } } },
	[24] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[25] = { { { 4, W, 0 } } },
	[26] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[27] = { { { 4, W, 0 }, { 8, W, 0 } } },
	[28] = { { { 4, W, 0 }, { 8, AT, 0 } } },
	[29] = { { { 8, W, 0 }, { 12, AT, 0 } } },
	[30] = { { { 8, W, 0 }, { 12, W, 0 }, { 16, AT, 0 }, { 20, AT, 0 },
	    { 24, AT, 0 } } },
	[31] = { { { 8, W, 0 }, { 12, AT, 0 }, { 16, AT, 0 }, { 20, AT, 0 } } },
	[32] = { { { 4, W, 0 }, { 8, XP_K_COLORMAP, 0 } } },
	[33] = { { { 4, W, 0 }, { 8, AT, 0 } } },
};
static const struct xp_edesc xp_shape_notify = { { { 4, W, 0 } } };
static const struct xp_edesc xp_xfixes_events[2] = {
	{ { { 4, W, 0 }, { 8, W, 0 }, { 12, AT, 0 } } },
	{ { { 4, W, 0 }, { 16, AT, 0 } } },
};
#undef W
#undef AT

static int
xp_fields(const struct xp_fld *f, size_t nf, size_t len, struct xp_acc *a)
{
	size_t i;

	for (i = 0; i < nf && f[i].kind != 0; i++) {
		if (len < (size_t)f[i].off + 4)
			return -EBADMSG;
		xp_acc_add(a, f[i].off, f[i].kind, f[i].flags);
	}
	return 0;
}

int
xp_event_refs(const struct xp_conn *cx, const uint8_t *ev, size_t len,
    struct xp_ref *refs, size_t max)
{
	struct xp_acc a = { refs, max, 0 };
	const struct xp_edesc *d = NULL;
	uint8_t type;
	int rv;

	if (len < 32)
		return -EBADMSG;
	type = ev[0] & 0x7f;
	if (type >= 2 && type < 35)
		d = &xp_events[type];
	else if (cx->ext_major[XP_EXT_SHAPE] != 0 &&
	    type == cx->ext_event[XP_EXT_SHAPE])
		d = &xp_shape_notify;
	else if (cx->ext_major[XP_EXT_XFIXES] != 0 &&
	    type >= cx->ext_event[XP_EXT_XFIXES] &&
	    type < cx->ext_event[XP_EXT_XFIXES] + 2)
		d = &xp_xfixes_events[type - cx->ext_event[XP_EXT_XFIXES]];
	if (d == NULL)
		return 0;
	rv = xp_fields(d->f, 5, len, &a);
	if (rv < 0)
		return rv;
	return (int)a.n;
}

/* A list of n ids, count a 16-bit field at cnt_off, ids from list_off. */
static int
xp_reply_list(const struct xp_conn *cx, const uint8_t *rep, size_t len,
    size_t cnt_off, size_t list_off, uint8_t kind, size_t stride,
    struct xp_acc *a)
{
	size_t cnt, i;

	if (len < cnt_off + 2 || len < list_off)
		return -EBADMSG;
	cnt = xp_get16(cx, rep + cnt_off);
	if ((len - list_off) / stride < cnt)
		return -EBADMSG;
	for (i = 0; i < cnt; i++)
		xp_acc_add(a, list_off + i * stride, kind, 0);
	return 0;
}

int
xp_reply_refs(const struct xp_conn *cx, uint8_t major, uint8_t data,
    const uint8_t *rep, size_t len, struct xp_ref *refs, size_t max)
{
	static const struct xp_fld gwa[] = {
		{ 8, XP_K_VISUAL, 0 }, { 28, XP_K_COLORMAP, 0 } };
	static const struct xp_fld one_w[] = { { 8, XP_K_WINDOW, 0 } };
	static const struct xp_fld two_w[] = {
		{ 8, XP_K_WINDOW, 0 }, { 12, XP_K_WINDOW, 0 } };
	static const struct xp_fld one_a[] = { { 8, XP_K_ATOM, 0 } };
	static const struct xp_fld one_v[] = { { 8, XP_K_VISUAL, 0 } };
	static const struct xp_fld xf_name[] = { { 24, XP_K_ATOM, 0 } };
	struct xp_acc a = { refs, max, 0 };
	int rv = 0;

	if (len < 32 || rep[0] != 1)
		return -EBADMSG;
	switch (major) {
	case 3:  rv = xp_fields(gwa, 2, len, &a); break;
	case 14: rv = xp_fields(one_w, 1, len, &a); break;
	case 15:
		rv = xp_fields(two_w, 2, len, &a);
		if (rv == 0)
			rv = xp_reply_list(cx, rep, len, 16, 32, XP_K_WINDOW, 4, &a);
		break;
	case 16: rv = xp_fields(one_a, 1, len, &a); break;
	case 20: rv = xp_fields(one_a, 1, len, &a); break;
	case 21: rv = xp_reply_list(cx, rep, len, 8, 32, XP_K_ATOM, 4, &a); break;
	case 23: rv = xp_fields(one_w, 1, len, &a); break;
	case 38: rv = xp_fields(two_w, 2, len, &a); break;
	case 40: rv = xp_fields(one_w, 1, len, &a); break;
	case 43: rv = xp_fields(one_w, 1, len, &a); break;
	case 47:
	case 50:
		/* font property names (the values' meaning depends on the name) */
		rv = xp_reply_list(cx, rep, len, 46, 60, XP_K_ATOM, 8, &a);
		break;
	case 73: rv = xp_fields(one_v, 1, len, &a); break;
	case 83:
		rv = xp_reply_list(cx, rep, len, 8, 32, XP_K_COLORMAP, 4, &a);
		break;
	default:
		if (major >= 128 && cx->ext_major[XP_EXT_DBE] == major &&
		    data == 7)
			rv = xp_fields(one_w, 1, len, &a);  /* buffer's window */
		if (major >= 128 && cx->ext_major[XP_EXT_XFIXES] == major) {
			if (data == 24)
				rv = xp_fields(one_a, 1, len, &a);
			else if (data == 25)
				rv = xp_fields(xf_name, 1, len, &a);
		}
		break;
	}
	if (rv < 0)
		return rv;
	return (int)a.n;
}

int
xp_error_ref(const struct xp_conn *cx, const uint8_t *err, size_t len,
    struct xp_ref *ref)
{
	static const uint8_t core[15] = {
		[3] = XP_K_WINDOW, [4] = XP_K_PIXMAP, [5] = XP_K_ATOM,
		[6] = XP_K_CURSOR, [7] = XP_K_FONT, [9] = XP_K_DRAWABLE,
		[12] = XP_K_COLORMAP, [13] = XP_K_GC, [14] = XP_K_ANY,
	};
	uint8_t code, kind = 0, base;

	if (len < 32 || err[0] != 0)
		return -EBADMSG;
	code = err[1];
	if (code < 15) {
		kind = core[code];
	} else {
		base = cx->ext_error[XP_EXT_XFIXES];
		if (cx->ext_major[XP_EXT_XFIXES] != 0 && code == base)
			kind = XP_K_REGION;
		else if (cx->ext_major[XP_EXT_XFIXES] != 0 && code == base + 1)
			kind = XP_K_BARRIER;
		base = cx->ext_error[XP_EXT_DBE];
		if (cx->ext_major[XP_EXT_DBE] != 0 && code == base)
			kind = XP_K_DRAWABLE;          /* BadBuffer */
		base = cx->ext_error[XP_EXT_RENDER];
		if (cx->ext_major[XP_EXT_RENDER] != 0 && code >= base &&
		    code < base + 4) {
			static const uint8_t rk[4] = { XP_K_PICTFORMAT,
			    XP_K_PICTURE, 0, XP_K_GLYPHSET };
			kind = rk[code - base];
		}
	}
	if (kind == 0)
		return 0;
	ref->off = 4;
	ref->kind = kind;
	ref->flags = 0;
	return 1;
}

int
xp_query_extension_reply(const uint8_t *rep, size_t len, uint8_t *present,
    uint8_t *major, uint8_t *first_event, uint8_t *first_error)
{
	if (len < 32 || rep[0] != 1)
		return -EBADMSG;
	*present = rep[8];
	*major = rep[9];
	*first_event = rep[10];
	*first_error = rep[11];
	return 0;
}

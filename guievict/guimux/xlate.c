/* xlate: see xlate.h and docs/design/guievict.md ("guimux"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/guimux/xlate.h"

#define XL_REC_MAX	(1u << 20)	/* answerable requests remembered */
#define XL_INJ_MAX	(1u << 16)

/* The predefined atoms (X11 protocol, appendix B), for font properties. */
static const char *const xl_predef[XL_PREDEF_ATOMS + 1] = {
	NULL, "PRIMARY", "SECONDARY", "ARC", "ATOM", "BITMAP", "CARDINAL",
	"COLORMAP", "CURSOR", "CUT_BUFFER0", "CUT_BUFFER1", "CUT_BUFFER2",
	"CUT_BUFFER3", "CUT_BUFFER4", "CUT_BUFFER5", "CUT_BUFFER6",
	"CUT_BUFFER7", "DRAWABLE", "FONT", "INTEGER", "PIXMAP", "POINT",
	"RECTANGLE", "RESOURCE_MANAGER", "RGB_COLOR_MAP", "RGB_BEST_MAP",
	"RGB_BLUE_MAP", "RGB_DEFAULT_MAP", "RGB_GRAY_MAP", "RGB_GREEN_MAP",
	"RGB_RED_MAP", "STRING", "VISUALID", "WINDOW", "WM_COMMAND",
	"WM_HINTS", "WM_CLIENT_MACHINE", "WM_ICON_NAME", "WM_ICON_SIZE",
	"WM_NAME", "WM_NORMAL_HINTS", "WM_SIZE_HINTS", "WM_ZOOM_HINTS",
	"MIN_SPACE", "NORM_SPACE", "MAX_SPACE", "END_SPACE", "SUPERSCRIPT_X",
	"SUPERSCRIPT_Y", "SUBSCRIPT_X", "SUBSCRIPT_Y", "UNDERLINE_POSITION",
	"UNDERLINE_THICKNESS", "STRIKEOUT_ASCENT", "STRIKEOUT_DESCENT",
	"ITALIC_ANGLE", "X_HEIGHT", "QUAD_WIDTH", "WEIGHT", "POINT_SIZE",
	"RESOLUTION", "COPYRIGHT", "NOTICE", "FONT_NAME", "FAMILY_NAME",
	"FULL_NAME", "CAP_HEIGHT", "WM_CLASS", "WM_TRANSIENT_FOR",
};

/* Font properties whose value is an atom naming a string (XLFD). */
static const char *const xl_font_str_props[] = {
	"FOUNDRY", "FAMILY_NAME", "WEIGHT_NAME", "SLANT", "SETWIDTH_NAME",
	"ADD_STYLE_NAME", "SPACING", "CHARSET_REGISTRY", "CHARSET_ENCODING",
	"FONT", "COPYRIGHT", "NOTICE", "FONT_NAME", "FACE_NAME", "FULL_NAME",
	"DEVICE_FONT_NAME", "FONT_TYPE", "FONT_VERSION", "FONTNAME_REGISTRY",
	"RASTERIZER_NAME", "RASTERIZER_VERSION", "CHARSET_COLLECTIONS",
	"CLASSIFICATION", "_ADOBE_POSTSCRIPT_FONTNAME",
};

/* Core requests that are answered with a reply. */
static const uint8_t xl_core_reply[128] = {
	[3] = 1, [14] = 1, [15] = 1, [16] = 1, [17] = 1, [20] = 1, [21] = 1,
	[23] = 1, [26] = 1, [31] = 1, [38] = 1, [39] = 1, [40] = 1, [43] = 1,
	[44] = 1, [47] = 1, [48] = 1, [49] = 1, [50] = 1, [52] = 1, [73] = 1,
	[83] = 1, [84] = 1, [85] = 1, [86] = 1, [87] = 1, [91] = 1, [92] = 1,
	[97] = 1, [98] = 1, [99] = 1, [101] = 1, [103] = 1, [106] = 1,
	[108] = 1, [110] = 1, [116] = 1, [117] = 1, [118] = 1, [119] = 1,
};

enum { XL_DATA_NONE = 0, XL_DATA_ATOM, XL_DATA_ID, XL_DATA_WMHINTS };

void
xl_init(struct xl *x)
{
	memset(x, 0, sizeof *x);
	xp_conn_init(&x->pcx, 0);
	xp_conn_init(&x->scx, 0);
	x->pcx.bigreq = x->scx.bigreq = 1;
	u32map_init(&x->id_p2s);
	u32map_init(&x->id_s2p);
	u32map_init(&x->atom_p2s);
	u32map_init(&x->atom_s2p);
	u32map_init(&x->hint_dirty);
	u32map_init(&x->gc_idx);
	u32map_init(&x->gc_dirty);
	u32map_init(&x->fonts_deferred);
	u32map_init(&x->win_bg);
	u32map_init(&x->win_bg_pixel);
	u32map_init(&x->win_bd);
	u32map_init(&x->win_bd_pixel);
	x->p_atom_next = XL_PREDEF_ATOMS + 1;
}

static void
xl_rec_clear(struct xl *x)
{
	while (x->nrec > 0) {
		free(x->rec[x->rec_head].name);
		x->rec[x->rec_head].name = NULL;
		x->rec_head = (x->rec_head + 1) % x->caprec;
		x->nrec--;
	}
	x->rec_head = 0;
}

void
xl_free(struct xl *x)
{
	size_t i;

	xl_rec_clear(x);
	free(x->rec);
	free(x->inj);
	for (i = 0; i < x->nnames; i++)
		free(x->names[i]);
	free(x->names);
	u32map_free(&x->id_p2s);
	u32map_free(&x->id_s2p);
	u32map_free(&x->atom_p2s);
	u32map_free(&x->atom_s2p);
	u32map_free(&x->hint_dirty);
	u32map_free(&x->gc_idx);
	u32map_free(&x->gc_dirty);
	u32map_free(&x->fonts_deferred);
	free(x->gc_set);
	u32map_free(&x->win_bg);
	u32map_free(&x->win_bg_pixel);
	u32map_free(&x->win_bd);
	u32map_free(&x->win_bd_pixel);
	memset(x, 0, sizeof *x);
}

/* ---- passthrough scanning -------------------------------------------------- */

int
xl_c2s_passthrough(const struct xl *x)
{
	return !x->translate;
}

int
xl_s2c_passthrough(const struct xl *x)
{
	return !x->translate && x->ninj == 0 && (!x->calibrated || x->delta == 0);
}

int
xl_c2s_at_boundary(const struct xl *x)
{
	return x->c_hdrlen == 0 && x->c_left == 0;
}

int
xl_s2c_at_boundary(const struct xl *x)
{
	return x->s_hdrlen == 0 && x->s_left == 0;
}

/* The size of the request whose header bytes are hdr[0..n), or 0. */
static size_t
xl_req_size(const struct xl *x, const uint8_t *hdr, size_t n, int *bad)
{
	uint32_t units;

	*bad = 0;
	if (n < 4)
		return 0;
	units = xp_get16(&x->pcx, hdr + 2);
	if (units != 0)
		return (size_t)units * 4;
	if (n < 8)
		return 0;
	units = xp_get32(&x->pcx, hdr + 4);
	if (units < 2) {
		*bad = 1;
		return 0;
	}
	return (size_t)units * 4;
}

/* The size of the message whose header bytes are hdr[0..n), or 0. */
static size_t
xl_msg_size(const struct xl *x, const uint8_t *hdr, size_t n)
{
	if (n < 1)
		return 0;
	if (hdr[0] != 1 && (hdr[0] & 0x7f) != 35)
		return 32;
	if (n < 8)
		return 0;
	return 32 + (size_t)xp_get32(&x->scx, hdr + 4) * 4;
}

/* One step of the request scanner over p[0..n); bytes used. */
static size_t
xl_c2s_step(struct xl *x, const uint8_t *p, size_t n)
{
	size_t take, sz;
	int bad;

	if (x->c_broken)
		return n;
	if (x->c_left > 0) {
		take = n < x->c_left ? n : x->c_left;
		x->c_left -= take;
		return take;
	}
	take = (x->c_hdrlen < 4 ? 4 : 8) - x->c_hdrlen;
	if (take > n)
		take = n;
	memcpy(x->c_hdr + x->c_hdrlen, p, take);
	x->c_hdrlen += take;
	sz = xl_req_size(x, x->c_hdr, x->c_hdrlen, &bad);
	if (bad) {
		x->c_broken = 1;
		return take;
	}
	if (sz == 0)
		return take;		/* need the 32-bit length */
	if (sz < x->c_hdrlen) {
		x->c_broken = 1;
		return take;
	}
	x->c_left = sz - x->c_hdrlen;
	x->c_hdrlen = 0;
	x->pseq++;
	x->sseq++;
	x->st.requests++;
	return take;
}

void
xl_c2s_scan(struct xl *x, const uint8_t *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = xl_c2s_step(x, p, n);
		p += k;
		n -= k;
	}
}

void
xl_c2s_scan_iov(struct xl *x, const struct iovec *iov, int iovcnt, size_t n)
{
	int i;
	size_t k;

	for (i = 0; i < iovcnt && n > 0; i++) {
		k = iov[i].iov_len < n ? iov[i].iov_len : n;
		xl_c2s_scan(x, iov[i].iov_base, k);
		n -= k;
	}
}

static size_t
xl_s2c_step(struct xl *x, const uint8_t *p, size_t n)
{
	size_t take, sz;

	if (x->s_broken)
		return n;
	if (x->s_left > 0) {
		take = n < x->s_left ? n : x->s_left;
		x->s_left -= take;
		return take;
	}
	take = (x->s_hdrlen < 1 ? 1 : 8) - x->s_hdrlen;
	if (take > n)
		take = n;
	memcpy(x->s_hdr + x->s_hdrlen, p, take);
	x->s_hdrlen += take;
	sz = xl_msg_size(x, x->s_hdr, x->s_hdrlen);
	if (sz == 0)
		return take;
	if (sz > x->scx.max_msg) {
		x->s_broken = 1;
		return take;
	}
	x->s_left = sz - x->s_hdrlen;
	x->s_hdrlen = 0;
	x->st.messages++;
	return take;
}

void
xl_s2c_scan(struct xl *x, const uint8_t *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = xl_s2c_step(x, p, n);
		p += k;
		n -= k;
	}
}

/* ---- ids and atoms ----------------------------------------------------------- */

static int
xl_is_program_id(const struct xl *x, uint32_t v)
{
	return x->p_mask != 0 && (v & ~x->p_mask) == x->p_base;
}

/* A fresh id in our range on the server, not in use by a mapping. */
static uint32_t
xl_alloc_id(struct xl *x)
{
	uint32_t inc, s;
	int tries;

	if (x->s_mask == 0)
		return 0;
	inc = x->s_mask & (~x->s_mask + 1);
	for (tries = 0; tries < 65536; tries++) {
		if (x->s_next == 0)
			x->s_next = inc;
		if (x->s_next > x->s_mask)
			return 0;		/* exhausted */
		s = x->s_base | x->s_next;
		x->s_next += inc;
		if (!u32map_get(&x->id_s2p, s, NULL)) {
			x->st.ids_allocated++;
			return s;
		}
	}
	return 0;
}

static void
xl_link_id(struct xl *x, uint32_t p, uint32_t s)
{
	uint32_t old;

	if (u32map_get(&x->id_p2s, p, &old) && old != s)
		u32map_del(&x->id_s2p, old);
	if (u32map_get(&x->id_s2p, s, &old) && old != p)
		u32map_del(&x->id_p2s, old);
	if (u32map_put(&x->id_p2s, p, s) != 0 ||
	    u32map_put(&x->id_s2p, s, p) != 0) {
		u32map_del(&x->id_p2s, p);
		u32map_del(&x->id_s2p, s);
	}
}

/* Program id -> server id; alloc: the request creates it, or any own id. */
static uint32_t
xl_id_out(struct xl *x, uint32_t v, int is_new, int may_alloc)
{
	uint32_t s;

	if (v <= 1 || (v & 0xe0000000u) != 0)
		return v;
	if (!is_new && u32map_get(&x->id_p2s, v, &s))
		return s;
	if (may_alloc && (is_new || xl_is_program_id(x, v))) {
		s = xl_alloc_id(x);
		if (s != 0) {
			xl_link_id(x, v, s);
			return s;
		}
	}
	return v;
}

/* Server id -> program id. */
static uint32_t
xl_id_in(struct xl *x, uint32_t v, int may_alias)
{
	uint32_t p, inc;

	if (v <= 1 || (v & 0xe0000000u) != 0)
		return v;
	if (u32map_get(&x->id_s2p, v, &p))
		return p;
	if (may_alias && xl_is_program_id(x, v)) {
		/* another client's id that looks like one of the program's */
		inc = x->p_mask & (~x->p_mask + 1);
		while (x->p_alias < x->p_mask) {
			p = x->p_base | (x->p_mask - x->p_alias);
			x->p_alias += inc;
			if (!u32map_get(&x->id_p2s, p, NULL)) {
				xl_link_id(x, p, v);
				return p;
			}
		}
	}
	return v;
}

static int
xl_names_grow(struct xl *x, uint32_t p)
{
	size_t n = x->nnames ? x->nnames : 256;
	char **nn;

	if (p < x->nnames)
		return 0;
	if (p > (1u << 24))
		return -ENOMEM;
	while (n <= p)
		n *= 2;
	nn = realloc(x->names, n * sizeof *nn);
	if (nn == NULL)
		return -ENOMEM;
	memset(nn + x->nnames, 0, (n - x->nnames) * sizeof *nn);
	x->names = nn;
	x->nnames = n;
	return 0;
}

int
xl_name_atom(struct xl *x, uint32_t p, const char *name)
{
	char *c;
	int r;

	if (p == 0 || p <= XL_PREDEF_ATOMS)
		return 0;
	if ((r = xl_names_grow(x, p)) != 0)
		return r;
	if ((c = strdup(name)) == NULL)
		return -ENOMEM;
	free(x->names[p]);
	x->names[p] = c;
	if (p >= x->p_atom_next)
		x->p_atom_next = p + 1;
	if (strcmp(name, "WM_PROTOCOLS") == 0)
		x->a_wm_protocols = p;
	else if (strcmp(name, "_NET_WM_STATE") == 0)
		x->a_net_wm_state = p;
	return 0;
}

const char *
xl_atom_name(const struct xl *x, uint32_t p)
{
	if (p > 0 && p <= XL_PREDEF_ATOMS)
		return xl_predef[p];
	if (p < x->nnames)
		return x->names[p];
	return NULL;
}

uint32_t
xl_atom_by_name(const struct xl *x, const char *name)
{
	size_t i;

	for (i = 1; i <= XL_PREDEF_ATOMS; i++)
		if (strcmp(xl_predef[i], name) == 0)
			return (uint32_t)i;
	for (i = XL_PREDEF_ATOMS + 1; i < x->nnames; i++)
		if (x->names[i] != NULL && strcmp(x->names[i], name) == 0)
			return (uint32_t)i;
	return 0;
}

int
xl_map_atom(struct xl *x, uint32_t p, uint32_t s)
{
	uint32_t old;

	if (p <= XL_PREDEF_ATOMS || s == 0)
		return 0;
	if (u32map_get(&x->atom_p2s, p, &old) && old != s)
		u32map_del(&x->atom_s2p, old);
	if (u32map_get(&x->atom_s2p, s, &old) && old != p)
		u32map_del(&x->atom_p2s, old);
	if (u32map_put(&x->atom_p2s, p, s) != 0 ||
	    u32map_put(&x->atom_s2p, s, p) != 0)
		return -ENOMEM;
	if (p >= x->p_atom_next)
		x->p_atom_next = p + 1;
	return 0;
}

uint32_t
xl_atom_p2s(const struct xl *x, uint32_t p)
{
	uint32_t s;

	if (p <= XL_PREDEF_ATOMS)
		return p;
	if (u32map_get(&x->atom_p2s, p, &s))
		return s;
	return p;
}

static uint32_t
xl_atom_out(struct xl *x, uint32_t p)
{
	return xl_atom_p2s(x, p);
}

/* Server atom -> program atom, inventing one (named when name != NULL). */
static uint32_t
xl_atom_in(struct xl *x, uint32_t s, const char *name)
{
	uint32_t p;

	if (s <= XL_PREDEF_ATOMS || (s & 0xe0000000u) != 0)
		return s;
	if (u32map_get(&x->atom_s2p, s, &p))
		return p;
	p = name != NULL ? xl_atom_by_name(x, name) : 0;
	if (p == 0) {
		p = x->p_atom_next;
		if (p >= 0x1fffffffu)
			return s;
		if (name != NULL && xl_name_atom(x, p, name) != 0)
			return s;
		x->st.atoms_invented++;
	}
	if (xl_map_atom(x, p, s) != 0)
		return s;
	return p;
}

uint32_t
xl_id_p2s(const struct xl *x, uint32_t p)
{
	uint32_t s;

	return u32map_get(&x->id_p2s, p, &s) ? s : 0;
}

int
xl_map_id(struct xl *x, uint32_t p, uint32_t s)
{
	if (p == 0 || s == 0)
		return -EINVAL;
	xl_link_id(x, p, s);
	return u32map_get(&x->id_p2s, p, NULL) ? 0 : -ENOMEM;
}

/* Translates one reference of kind k, out (program -> server) or in. */
static uint32_t
xl_ref_value(struct xl *x, uint8_t kind, uint8_t flags, uint32_t v, int out,
    int may_alloc)
{
	if (kind == XP_K_ATOM)
		return out ? xl_atom_out(x, v) : xl_atom_in(x, v, NULL);
	if (out)
		return xl_id_out(x, v, (flags & XP_REF_NEW) != 0,
		    may_alloc && kind != XP_K_VISUAL);
	return xl_id_in(x, v, kind != XP_K_VISUAL);
}

static void
xl_refs(struct xl *x, uint8_t *msg, const struct xp_ref *refs, int n,
    int out, const struct xp_conn *cx)
{
	int i;
	uint32_t v, w;

	for (i = 0; i < n; i++) {
		v = xp_ref_get(cx, msg, &refs[i]);
		w = xl_ref_value(x, refs[i].kind, refs[i].flags, v, out, 1);
		if (w != v)
			xp_ref_put(cx, msg, &refs[i], w);
		if (out && x->fonts_deferred.n > 0 &&
		    (refs[i].kind == XP_K_FONT || refs[i].kind == XP_K_FONTABLE) &&
		    u32map_del(&x->fonts_deferred, w) == 1 &&
		    x->on_font_needed != NULL)
			x->on_font_needed(x->cb_arg, w);
	}
}

/* The data kind of a property of (program-space) type t, format 32. */
static int
xl_data_kind(uint32_t t)
{
	switch (t) {
	case 4:			/* ATOM */
		return XL_DATA_ATOM;
	case 5: case 7: case 8: case 17: case 18: case 20: case 32: case 33:
		return XL_DATA_ID;	/* BITMAP COLORMAP CURSOR DRAWABLE FONT
					   PIXMAP VISUALID WINDOW */
	case 35:
		return XL_DATA_WMHINTS;
	default:
		return XL_DATA_NONE;
	}
}

/* Property data: nitems 32-bit values at d (lookups only, never allocates). */
static void
xl_prop_data(struct xl *x, const struct xp_conn *cx, uint8_t *d,
    size_t nitems, int kind, int out)
{
	size_t i;
	uint32_t v, w;

	for (i = 0; i < nitems; i++) {
		if (kind == XL_DATA_WMHINTS && i != 3 && i != 4 && i != 7 &&
		    i != 8)
			continue;
		v = xp_get32(cx, d + 4 * i);
		if (kind == XL_DATA_ATOM)
			w = out ? xl_atom_out(x, v) : xl_atom_in(x, v, NULL);
		else
			w = out ? xl_id_out(x, v, 0, 0) : xl_id_in(x, v, 0);
		if (w != v)
			xp_put32(cx, d + 4 * i, w);
	}
}

/*
 * ClientMessage data that names atoms by convention (ICCCM WM_PROTOCOLS,
 * EWMH _NET_WM_STATE); ev points at the 32-byte event, type in program
 * space.
 */
static void
xl_client_message(struct xl *x, const struct xp_conn *cx, uint8_t *ev,
    uint32_t ptype, int out)
{
	int first, last, i;
	uint32_t v, w;

	if (ev[1] != 32 || ptype == 0)
		return;
	if (ptype == x->a_wm_protocols) {
		first = 0;
		last = 0;
	} else if (ptype == x->a_net_wm_state) {
		first = 1;
		last = 2;
	} else {
		return;
	}
	for (i = first; i <= last; i++) {
		v = xp_get32(cx, ev + 12 + 4 * i);
		w = out ? xl_atom_out(x, v) : xl_atom_in(x, v, NULL);
		if (w != v)
			xp_put32(cx, ev + 12 + 4 * i, w);
	}
}

/* ---- requests -------------------------------------------------------------- */

static int
xl_rec_push(struct xl *x, uint64_t sseq, uint8_t major, uint8_t minor,
    int zeroed, const uint8_t *name, size_t namelen)
{
	struct xl_rec *nr, *r;
	size_t i, cap;

	if (x->nrec == x->caprec) {
		if (x->caprec >= XL_REC_MAX) {
			/* forget the oldest: its answer will not be read */
			free(x->rec[x->rec_head].name);
			x->rec[x->rec_head].name = NULL;
			x->rec_head = (x->rec_head + 1) % x->caprec;
			x->nrec--;
		} else {
			cap = x->caprec ? x->caprec * 2 : 64;
			nr = calloc(cap, sizeof *nr);
			if (nr == NULL)
				return -ENOMEM;
			for (i = 0; i < x->nrec; i++)
				nr[i] = x->rec[(x->rec_head + i) % x->caprec];
			free(x->rec);
			x->rec = nr;
			x->caprec = cap;
			x->rec_head = 0;
		}
	}
	r = &x->rec[(x->rec_head + x->nrec) % x->caprec];
	memset(r, 0, sizeof *r);
	r->sseq = sseq;
	r->major = major;
	r->minor = minor;
	r->zeroed = (uint8_t)zeroed;
	if (name != NULL && (r->name = malloc(namelen + 1)) != NULL) {
		memcpy(r->name, name, namelen);
		r->name[namelen] = '\0';
	}
	x->nrec++;
	return 0;
}

/* The record of request sseq, forgetting older ones; NULL when none. */
static struct xl_rec *
xl_rec_find(struct xl *x, uint64_t sseq)
{
	struct xl_rec *r;

	while (x->nrec > 0) {
		r = &x->rec[x->rec_head];
		if (r->sseq >= sseq)
			return r->sseq == sseq ? r : NULL;
		free(r->name);
		r->name = NULL;
		x->rec_head = (x->rec_head + 1) % x->caprec;
		x->nrec--;
	}
	return NULL;
}

/*
 * ChangeWindowAttributes (already in server space): what it says of the
 * window's background and border, for later captures (xlate.h).
 */
static void
xl_window_values(struct xl *x, const uint8_t *p, size_t len,
    const struct xp_req *rq)
{
	uint32_t win = xp_get32(&x->pcx, p + xp_req_off(rq, 4));
	uint32_t mask = xp_get32(&x->pcx, p + xp_req_off(rq, 8)), v[4];
	size_t off = xp_req_off(rq, 12);
	int b;

	if (!(mask & 0xf))
		return;
	for (b = 0; b < 4; b++) {
		v[b] = 0;
		if (!(mask & (1u << b)))
			continue;
		if (len < off + 4)
			return;		/* malformed: the server will say so */
		v[b] = xp_get32(&x->pcx, p + off);
		off += 4;
	}
	if (mask & 0x2) {		/* BackPixel wins over BackPixmap */
		u32map_put(&x->win_bg, win, XL_BG_PIXEL);
		u32map_put(&x->win_bg_pixel, win, v[1]);
	} else if (mask & 0x1) {
		u32map_put(&x->win_bg, win, v[0] == 0 ? XL_BG_NONE :
		    XL_BG_UNKNOWN);
	}
	if (mask & 0x8) {
		u32map_put(&x->win_bd, win, 1);
		u32map_put(&x->win_bd_pixel, win, v[3]);
	} else if (mask & 0x4) {
		u32map_put(&x->win_bd, win, XL_BG_UNKNOWN);
	}
}

/*
 * ChangeGC (ids already translated): the values it sets, for later
 * captures; a tile, stipple, clip mask or dashes make the GC one to probe.
 */
static void
xl_gc_values(struct xl *x, const uint8_t *p, size_t len,
    const struct xp_req *rq)
{
	const uint32_t unfollowed = 1u << 10 | 1u << 11 | 1u << 19 | 1u << 21;
	uint32_t gc = xp_get32(&x->pcx, p + xp_req_off(rq, 4));
	uint32_t mask = xp_get32(&x->pcx, p + xp_req_off(rq, 8)), idx;
	size_t off = xp_req_off(rq, 12);
	struct xl_gcset *g;
	int b;

	if (mask & unfollowed) {
		u32map_put(&x->gc_dirty, gc, 1);
		return;
	}
	if (!u32map_get(&x->gc_idx, gc, &idx)) {
		if (x->ngc_set == x->capgc_set) {
			size_t cap = x->capgc_set ? x->capgc_set * 2 : 16;

			if ((g = realloc(x->gc_set, cap * sizeof *g)) == NULL) {
				u32map_put(&x->gc_dirty, gc, 1);
				return;
			}
			x->gc_set = g;
			x->capgc_set = cap;
		}
		g = &x->gc_set[x->ngc_set];
		memset(g, 0, sizeof *g);
		g->gc = gc;
		if (u32map_put(&x->gc_idx, gc, (uint32_t)(++x->ngc_set)) != 0) {
			x->ngc_set--;
			u32map_put(&x->gc_dirty, gc, 1);
			return;
		}
	} else {
		g = &x->gc_set[idx - 1];
	}
	for (b = 0; b < XL_GC_NVALUES; b++) {
		if (!(mask & (1u << b)))
			continue;
		if (len < off + 4) {	/* malformed: the server will say so */
			u32map_put(&x->gc_dirty, gc, 1);
			return;
		}
		g->v[b] = xp_get32(&x->pcx, p + off);
		g->mask |= 1u << b;
		off += 4;
	}
}

const struct xl_gcset *
xl_gc_changes(const struct xl *x, uint32_t gc)
{
	uint32_t idx;

	if (!u32map_get(&x->gc_idx, gc, &idx) || idx == 0 || idx > x->ngc_set)
		return NULL;
	return &x->gc_set[idx - 1];
}

/* Translates one complete request (len bytes at p) in place. */
static void
xl_request(struct xl *x, uint8_t *p, size_t len, const struct xp_req *rq)
{
	struct xp_ref stack[XL_MAX_REFS], *refs = stack;
	const uint8_t *name = NULL;
	size_t namelen = 0, off, nitems = 0, data_off = 0, ev_off = 0;
	uint8_t major = p[0], minor = p[1];
	int n, zeroed = 0, kind = XL_DATA_NONE;
	uint32_t ptype = 0;

	/* what depends on program-space values, read before they change */
	switch (major) {
	case 16:	/* InternAtom: name length at 4, name at 8 */
	case 98:	/* QueryExtension */
		off = xp_req_off(rq, 4);
		if (len >= off + 2) {
			namelen = xp_get16(&x->pcx, p + off);
			off = xp_req_off(rq, 8);
			if (namelen <= len - off)
				name = p + off;
			else
				namelen = 0;
		}
		break;
	case 18:	/* ChangeProperty: type at 12, format 16, n 20, data 24 */
		data_off = xp_req_off(rq, 24);
		if (len < data_off)
			break;
		ptype = xp_get32(&x->pcx, p + xp_req_off(rq, 12));
		if (p[xp_req_off(rq, 16)] == 32)
			kind = xl_data_kind(ptype);
		nitems = xp_get32(&x->pcx, p + xp_req_off(rq, 20));
		if (nitems > (len - data_off) / 4)
			kind = XL_DATA_NONE;
		break;
	case 25:	/* SendEvent: event at 12 */
		ev_off = xp_req_off(rq, 12);
		if (len >= ev_off + 32 && (p[ev_off] & 0x7f) == 33)
			ptype = xp_get32(&x->pcx, p + ev_off + 8);
		break;
	default:
		break;
	}

	n = xp_req_refs(&x->pcx, rq, refs, XL_MAX_REFS);
	if (n > XL_MAX_REFS) {
		refs = malloc((size_t)n * sizeof *refs);
		if (refs != NULL)
			n = xp_req_refs(&x->pcx, rq, refs, (size_t)n);
		else
			n = 0;
	}
	if (n == -ENOENT)
		x->st.unknown_ext++;
	if (n > 0)
		xl_refs(x, p, refs, n, 1, &x->pcx);
	if (refs != stack)
		free(refs);

	/* fonts, GC fonts, backgrounds, borders that change after the attach */
	if ((major == 45 || major == 55 || major == 1) &&  /* OpenFont, */
	    len >= xp_req_off(rq, 8))	/* CreateGC, CreateWindow */
		u32map_put(&x->hint_dirty,
		    xp_get32(&x->pcx, p + xp_req_off(rq, 4)), 1);
	else if (major == 2 && len >= xp_req_off(rq, 12))
		xl_window_values(x, p, len, rq);
	else if (major == 56 && len >= xp_req_off(rq, 12) &&	/* ChangeGC */
	    (xp_get32(&x->pcx, p + xp_req_off(rq, 8)) & 0x4000))
		u32map_put(&x->hint_dirty,
		    xp_get32(&x->pcx, p + xp_req_off(rq, 4)), 1);
	else if (major == 57 && len >= xp_req_off(rq, 16) &&	/* CopyGC */
	    (xp_get32(&x->pcx, p + xp_req_off(rq, 12)) & 0x4000))
		u32map_put(&x->hint_dirty,
		    xp_get32(&x->pcx, p + xp_req_off(rq, 8)), 1);

	if (major == 28 || major == 29 || major == 33 || major == 34)
		x->grabs_dirty = 1;		/* (Un)GrabButton, (Un)GrabKey */
	if (major == 56 && len >= xp_req_off(rq, 12))		/* ChangeGC */
		xl_gc_values(x, p, len, rq);
	else if (major == 57 && len >= xp_req_off(rq, 16))	/* CopyGC */
		u32map_put(&x->gc_dirty,
		    xp_get32(&x->pcx, p + xp_req_off(rq, 8)), 1);
	else if ((major == 58 || major == 59) &&	/* SetDashes, */
	    len >= xp_req_off(rq, 8))			/* SetClipRectangles */
		u32map_put(&x->gc_dirty,
		    xp_get32(&x->pcx, p + xp_req_off(rq, 4)), 1);

	if (major == 18 && kind != XL_DATA_NONE)
		xl_prop_data(x, &x->pcx, p + data_off, nitems, kind, 1);
	if (major == 25 && ptype != 0)
		xl_client_message(x, &x->pcx, p + ev_off, ptype, 1);

	if (major >= 128) {
		if (x->maj_p2s[major] == 0) {
			p[0] = 0;	/* BadRequest from the server */
			zeroed = 1;
		} else {
			p[0] = x->maj_p2s[major];
		}
	}
	if (zeroed || major >= 128 || xl_core_reply[major & 0x7f])
		xl_rec_push(x, x->sseq, major, minor, zeroed, name, namelen);
}

size_t
xl_c2s(struct xl *x, uint8_t *p, size_t n)
{
	struct xp_req rq;
	size_t off = 0, k;
	int len;

	/* the rest of a request the scanner was in the middle of */
	while (off < n && !xl_c2s_at_boundary(x) && !x->c_broken) {
		k = xl_c2s_step(x, p + off, n - off);
		off += k;
	}
	while (off < n) {
		if (x->c_broken)
			return n;
		len = xp_req_next(&x->pcx, p + off, n - off, &rq);
		if (len == 0)
			break;
		if (len < 0) {
			x->c_broken = 1;
			return n;
		}
		x->pseq++;
		x->sseq++;
		x->st.requests++;
		if (x->translate)
			xl_request(x, p + off, (size_t)len, &rq);
		off += (size_t)len;
	}
	return off;
}

/* ---- server messages ----------------------------------------------------------- */

static void
xl_reply(struct xl *x, uint8_t *m, size_t len, struct xl_rec *rec)
{
	struct xp_ref stack[XL_MAX_REFS], *refs = stack;
	uint8_t major = rec != NULL ? rec->major : 0;
	uint8_t minor = rec != NULL ? rec->minor : 0;
	uint32_t v, w, nitems, ptype;
	const char *nm;
	size_t i, cnt, j;
	int n, kind;

	switch (major) {
	case 16:	/* InternAtom */
		v = xp_get32(&x->scx, m + 8);
		w = xl_atom_in(x, v, rec != NULL ? rec->name : NULL);
		xp_put32(&x->scx, m + 8, w);
		return;
	case 20:	/* GetProperty */
		v = xp_get32(&x->scx, m + 8);
		ptype = xl_atom_in(x, v, NULL);
		xp_put32(&x->scx, m + 8, ptype);
		nitems = xp_get32(&x->scx, m + 16);
		kind = m[1] == 32 ? xl_data_kind(ptype) : XL_DATA_NONE;
		if (kind != XL_DATA_NONE && nitems <= (len - 32) / 4)
			xl_prop_data(x, &x->scx, m + 32, nitems, kind, 0);
		return;
	case 98:	/* QueryExtension */
		if (rec == NULL || rec->name == NULL)
			return;
		for (i = 0; i < (size_t)x->next; i++)
			if (strcmp(x->ext[i].name, rec->name) == 0)
				break;
		if (i == (size_t)x->next && m[8] && m[9] >= 128 &&
		    x->next < XL_MAX_EXT) {
			/* new to the program: its codes, if free in its space */
			int clash = 0;

			for (j = 0; j < (size_t)x->next; j++)
				if (x->ext[j].p_major == m[9] ||
				    (m[10] && x->ext[j].p_event == m[10]) ||
				    (m[11] && x->ext[j].p_error == m[11]))
					clash = 1;
			if (!clash) {
				xl_ext_program(x, rec->name, m[9], m[10], m[11]);
				xl_ext_server(x, rec->name, m[9], m[10], m[11]);
				xl_ext_done(x);
			}
		}
		for (i = 0; i < (size_t)x->next; i++)
			if (strcmp(x->ext[i].name, rec->name) == 0)
				break;
		if (i < (size_t)x->next && x->ext[i].p_major != 0 &&
		    x->ext[i].s_major != 0) {
			m[8] = 1;
			m[9] = x->ext[i].p_major;
			m[10] = x->ext[i].p_event;
			m[11] = x->ext[i].p_error;
		} else {
			m[8] = m[9] = m[10] = m[11] = 0;
		}
		return;
	default:
		break;
	}
	n = xp_reply_refs(&x->pcx, major, minor, m, len, refs, XL_MAX_REFS);
	if (n > XL_MAX_REFS) {
		refs = malloc((size_t)n * sizeof *refs);
		n = refs != NULL ? xp_reply_refs(&x->pcx, major, minor, m, len,
		    refs, (size_t)n) : 0;
	}
	if (n > 0)
		xl_refs(x, m, refs, n, 0, &x->scx);
	if (refs != stack)
		free(refs);
	if ((major == 47 || major == 50) && len >= 60) {
		/* atom-valued font properties */
		cnt = xp_get16(&x->scx, m + 46);
		if (cnt > (len - 60) / 8)
			return;
		for (i = 0; i < cnt; i++) {
			nm = xl_atom_name(x, xp_get32(&x->scx, m + 60 + 8 * i));
			if (nm == NULL)
				continue;
			for (j = 0; j < sizeof xl_font_str_props /
			    sizeof xl_font_str_props[0]; j++) {
				if (strcmp(nm, xl_font_str_props[j]) != 0)
					continue;
				v = xp_get32(&x->scx, m + 64 + 8 * i);
				xp_put32(&x->scx, m + 64 + 8 * i,
				    xl_atom_in(x, v, NULL));
				break;
			}
		}
	}
}

/* 0: drop the event (an extension the program does not know). */
static int
xl_event(struct xl *x, uint8_t *m, size_t len)
{
	struct xp_ref refs[8];
	uint8_t code = m[0] & 0x7f, pc = code;
	int n;

	if (code >= 64) {
		pc = x->ev_s2p[code];
		if (pc == 0)
			return 0;
	} else if (code == 35) {
		if (x->maj_s2p[m[1]] == 0)
			return 0;
	}
	n = xp_event_refs(&x->scx, m, len, refs, 8);
	if (n > 8)
		n = 8;
	if (n > 0)
		xl_refs(x, m, refs, n, 0, &x->scx);
	if (code == 33)
		xl_client_message(x, &x->scx, m, xp_get32(&x->scx, m + 8), 0);
	if (code == 35)
		m[1] = x->maj_s2p[m[1]];
	m[0] = (uint8_t)((m[0] & 0x80) | pc);
	return 1;
}

static void
xl_error(struct xl *x, uint8_t *m, size_t len, struct xl_rec *rec)
{
	struct xp_ref ref;
	uint32_t v;

	if (xp_error_ref(&x->scx, m, len, &ref) == 1) {
		v = xp_ref_get(&x->scx, m, &ref);
		xp_ref_put(&x->scx, m, &ref,
		    xl_ref_value(x, ref.kind, 0, v, 0, 0));
	}
	if (m[1] >= 128 && x->err_s2p[m[1]] != 0)
		m[1] = x->err_s2p[m[1]];
	if (rec != NULL && rec->zeroed)
		m[10] = rec->major;
	else if (m[10] >= 128 && x->maj_s2p[m[10]] != 0)
		m[10] = x->maj_s2p[m[10]];
}

static void
xl_inj_pop(struct xl *x)
{
	if (x->ninj == 0)
		return;
	memmove(x->inj, x->inj + 1, (x->ninj - 1) * sizeof *x->inj);
	x->ninj--;
}

/* One complete message; 1 keep (translated in place), 0 drop. */
static int
xl_message(struct xl *x, uint8_t *m, size_t len, const struct xp_msg *ms)
{
	struct xl_rec *rec = NULL;
	uint64_t s, prog;
	int extra;

	if (!x->calibrated) {
		/* identity; the sentinel's error is recognised by content */
		if (ms->kind == XP_MSG_ERROR && m[1] == 9 && m[10] == 14 &&
		    xp_get32(&x->scx, m + 4) == XL_SENTINEL_ID &&
		    x->ninj > 0 && x->inj[0].tag == XL_TAG_SENTINEL) {
			x->sseq = ((uint64_t)1 << 32) | ms->seq16;
			x->pseq = x->sseq - 1;
			x->delta = 1;
			x->calibrated = 1;
			xl_inj_pop(x);
			x->ninj = 0;
			x->st.swallowed++;
			if (x->on_injected != NULL)
				x->on_injected(x->cb_arg, XL_TAG_SENTINEL, m, len);
			return 0;
		}
		return 1;
	}
	s = 0;
	if (ms->has_seq) {
		s = xp_seq_widen(x->sseq, ms->seq16);
		while (x->ninj > 0 && x->inj[0].sseq < s) {
			x->delta++;
			xl_inj_pop(x);
		}
		if (x->ninj > 0 && x->inj[0].sseq == s &&
		    ms->kind != XP_MSG_EVENT) {
			uint32_t tag = x->inj[0].tag;

			x->delta++;
			xl_inj_pop(x);
			x->st.swallowed++;
			if (x->on_injected != NULL)
				x->on_injected(x->cb_arg, tag, m, len);
			return 0;
		}
		extra = x->ninj > 0 && x->inj[0].sseq == s;
		prog = s - x->delta - (uint64_t)extra;
		xp_put16(&x->scx, m + 2, (uint16_t)prog);
		if (ms->kind != XP_MSG_EVENT)
			rec = xl_rec_find(x, s);
	}
	if (!x->translate)
		return 1;
	switch (ms->kind) {
	case XP_MSG_REPLY:
		xl_reply(x, m, len, rec);
		return 1;
	case XP_MSG_ERROR:
		xl_error(x, m, len, rec);
		return 1;
	default:
		return xl_event(x, m, len);
	}
}

size_t
xl_s2c(struct xl *x, uint8_t *p, size_t n, size_t *consumed)
{
	struct xp_msg ms;
	size_t r = 0, w, k;
	int len;

	while (r < n && !xl_s2c_at_boundary(x) && !x->s_broken) {
		k = xl_s2c_step(x, p + r, n - r);
		r += k;
	}
	w = r;
	while (r < n) {
		if (x->s_broken) {
			memmove(p + w, p + r, n - r);
			w += n - r;
			r = n;
			break;
		}
		len = xp_msg_next(&x->scx, p + r, n - r, &ms);
		if (len == 0)
			break;
		if (len < 0) {
			x->s_broken = 1;
			continue;
		}
		x->st.messages++;
		if (xl_message(x, p + r, (size_t)len, &ms)) {
			if (w != r)
				memmove(p + w, p + r, (size_t)len);
			w += (size_t)len;
		}
		r += (size_t)len;
	}
	*consumed = r;
	return w;
}

/* ---- injection --------------------------------------------------------------- */

int
xl_inject(struct xl *x, const uint8_t *req, size_t len, uint32_t tag)
{
	struct xl_inj *ni;
	size_t cap;

	(void)req;
	(void)len;
	if (x->ninj == x->capinj) {
		if (x->capinj >= XL_INJ_MAX)
			return -ENOMEM;
		cap = x->capinj ? x->capinj * 2 : 16;
		ni = realloc(x->inj, cap * sizeof *ni);
		if (ni == NULL)
			return -ENOMEM;
		x->inj = ni;
		x->capinj = cap;
	}
	x->sseq++;
	x->inj[x->ninj].sseq = x->sseq;
	x->inj[x->ninj].tag = tag;
	x->ninj++;
	return 0;
}

void
xl_sentinel_req(const struct xl *x, uint8_t out[8])
{
	out[0] = 14;		/* GetGeometry */
	out[1] = 0;
	xp_put16(&x->pcx, out + 2, 2);
	xp_put32(&x->pcx, out + 4, XL_SENTINEL_ID);
}

void
xl_kick_req(const struct xl *x, uint8_t out[4])
{
	out[0] = 43;		/* GetInputFocus */
	out[1] = 0;
	xp_put16(&x->pcx, out + 2, 1);
}

size_t
xl_injected_pending(const struct xl *x)
{
	return x->ninj;
}

/* ---- set-up ------------------------------------------------------------------- */

int
xl_set_program_range(struct xl *x, uint32_t base, uint32_t mask)
{
	if (mask == 0 || (base & mask) != 0)
		return -EINVAL;
	x->p_base = base;
	x->p_mask = mask;
	return 0;
}

void
xl_reset_server(struct xl *x)
{
	size_t i;

	u32map_clear(&x->id_p2s);
	u32map_clear(&x->id_s2p);
	u32map_clear(&x->atom_p2s);
	u32map_clear(&x->atom_s2p);
	u32map_clear(&x->hint_dirty);
	x->grabs_dirty = 0;
	u32map_clear(&x->gc_idx);
	u32map_clear(&x->gc_dirty);
	u32map_clear(&x->fonts_deferred);
	x->ngc_set = 0;
	u32map_clear(&x->win_bg);
	u32map_clear(&x->win_bg_pixel);
	u32map_clear(&x->win_bd);
	u32map_clear(&x->win_bd_pixel);
	for (i = 0; i < (size_t)x->next; i++) {
		x->ext[i].s_major = x->ext[i].s_event = x->ext[i].s_error = 0;
	}
	memset(x->maj_p2s, 0, sizeof x->maj_p2s);
	memset(x->maj_s2p, 0, sizeof x->maj_s2p);
	memset(x->ev_s2p, 0, sizeof x->ev_s2p);
	memset(x->ev_p2s, 0, sizeof x->ev_p2s);
	memset(x->err_s2p, 0, sizeof x->err_s2p);
	xp_conn_init(&x->scx, x->pcx.msb);
	x->scx.bigreq = 1;
	xl_rec_clear(x);
	x->ninj = 0;
	x->s_hdrlen = x->s_left = 0;
	x->s_broken = 0;
	x->p_alias = 0;
}

int
xl_attach_begin(struct xl *x, uint32_t s_base, uint32_t s_mask,
    uint32_t s_next, uint64_t pseq, uint64_t sseq)
{
	if (s_mask == 0 || (s_base & s_mask) != 0)
		return -EINVAL;
	xl_reset_server(x);
	x->s_base = s_base;
	x->s_mask = s_mask;
	x->s_next = s_next & s_mask;
	x->pseq = pseq;
	x->sseq = sseq;
	x->delta = sseq - pseq;
	x->calibrated = 1;
	x->translate = 1;
	return 0;
}

static struct xl_ext *
xl_ext_get(struct xl *x, const char *name)
{
	int i;

	for (i = 0; i < x->next; i++)
		if (strcmp(x->ext[i].name, name) == 0)
			return &x->ext[i];
	if (x->next == XL_MAX_EXT || strlen(name) >= XL_EXT_NAME)
		return NULL;
	memset(&x->ext[x->next], 0, sizeof x->ext[x->next]);
	strcpy(x->ext[x->next].name, name);
	return &x->ext[x->next++];
}

int
xl_ext_program(struct xl *x, const char *name, uint8_t major, uint8_t event,
    uint8_t error)
{
	struct xl_ext *e = xl_ext_get(x, name);

	if (e == NULL)
		return -ENOMEM;
	e->p_major = major;
	e->p_event = event;
	e->p_error = error;
	return 0;
}

int
xl_ext_server(struct xl *x, const char *name, uint8_t major, uint8_t event,
    uint8_t error)
{
	struct xl_ext *e = xl_ext_get(x, name);

	if (e == NULL)
		return -ENOMEM;
	e->s_major = major;
	e->s_event = event;
	e->s_error = error;
	return 0;
}

/* Events and errors of well-known extensions (protocol specifications). */
static const struct {
	const char *name;
	uint8_t     events, errors;
} xl_ext_counts[] = {
	{ "BIG-REQUESTS", 0, 0 }, { "Composite", 0, 0 }, { "DAMAGE", 1, 1 },
	{ "DOUBLE-BUFFER", 0, 1 }, { "DPMS", 0, 0 }, { "DRI2", 2, 0 },
	{ "DRI3", 0, 0 }, { "GLX", 2, 14 }, { "Generic Event Extension", 0, 0 },
	{ "MIT-SCREEN-SAVER", 1, 0 }, { "MIT-SHM", 1, 1 }, { "Present", 0, 0 },
	{ "RANDR", 2, 4 }, { "RECORD", 0, 1 }, { "RENDER", 0, 5 },
	{ "SECURITY", 1, 2 }, { "SHAPE", 1, 0 }, { "SYNC", 2, 3 },
	{ "X-Resource", 0, 0 }, { "XC-MISC", 0, 0 }, { "XFIXES", 2, 2 },
	{ "XFree86-VidModeExtension", 0, 7 }, { "XKEYBOARD", 1, 1 },
	{ "XTEST", 0, 0 }, { "XVideo", 2, 3 },
};

/* The known number of events (error = 0) or errors of an extension, or -1. */
static int
xl_ext_known(const char *name, int error)
{
	size_t i;

	for (i = 0; i < sizeof xl_ext_counts / sizeof xl_ext_counts[0]; i++)
		if (strcmp(xl_ext_counts[i].name, name) == 0)
			return error ? xl_ext_counts[i].errors :
			    xl_ext_counts[i].events;
	return -1;
}

/* How many codes from first belong to it: up to the next first code. */
static unsigned
xl_span(const struct xl *x, int server, int error, unsigned first,
    unsigned limit)
{
	unsigned next = limit, c;
	int i;

	for (i = 0; i < x->next; i++) {
		c = server ? (error ? x->ext[i].s_error : x->ext[i].s_event) :
		    (error ? x->ext[i].p_error : x->ext[i].p_event);
		if (c > first && c < next)
			next = c;
	}
	return next - first;
}

void
xl_ext_done(struct xl *x)
{
	const struct xl_ext *e;
	unsigned n, k;
	int i, idx;

	memset(x->maj_p2s, 0, sizeof x->maj_p2s);
	memset(x->maj_s2p, 0, sizeof x->maj_s2p);
	memset(x->ev_s2p, 0, sizeof x->ev_s2p);
	memset(x->ev_p2s, 0, sizeof x->ev_p2s);
	memset(x->err_s2p, 0, sizeof x->err_s2p);
	memset(x->pcx.ext_major, 0, sizeof x->pcx.ext_major);
	memset(x->scx.ext_major, 0, sizeof x->scx.ext_major);
	for (i = 0; i < x->next; i++) {
		e = &x->ext[i];
		idx = xp_ext_by_name(e->name, strlen(e->name));
		if (e->p_major >= 128 && idx >= 0)
			xp_conn_set_ext(&x->pcx, idx, e->p_major, e->p_event,
			    e->p_error);
		if (e->s_major >= 128 && idx >= 0)
			xp_conn_set_ext(&x->scx, idx, e->s_major, e->s_event,
			    e->s_error);
		if (e->p_major < 128 || e->s_major < 128)
			continue;
		x->maj_p2s[e->p_major] = e->s_major;
		x->maj_s2p[e->s_major] = e->p_major;
		if (e->p_event >= 64 && e->p_event < 128 && e->s_event >= 64 &&
		    e->s_event < 128) {
			n = xl_span(x, 0, 0, e->p_event, 128);
			k = xl_span(x, 1, 0, e->s_event, 128);
			if (k < n)
				n = k;
			if (xl_ext_known(e->name, 0) >= 0 &&
			    (unsigned)xl_ext_known(e->name, 0) < n)
				n = (unsigned)xl_ext_known(e->name, 0);
			for (k = 0; k < n; k++) {
				x->ev_s2p[e->s_event + k] = (uint8_t)(e->p_event + k);
				x->ev_p2s[e->p_event + k] = (uint8_t)(e->s_event + k);
			}
		}
		if (e->p_error >= 128 && e->s_error >= 128) {
			n = xl_span(x, 0, 1, e->p_error, 256);
			k = xl_span(x, 1, 1, e->s_error, 256);
			if (k < n)
				n = k;
			if (xl_ext_known(e->name, 1) >= 0 &&
			    (unsigned)xl_ext_known(e->name, 1) < n)
				n = (unsigned)xl_ext_known(e->name, 1);
			for (k = 0; k < n; k++)
				x->err_s2p[e->s_error + k] = (uint8_t)(e->p_error + k);
		}
	}
}

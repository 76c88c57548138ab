/*
 * capture: see capture.h.  The order of work: find the client and its
 * resources; decide per type; then colormaps, pixmaps, fonts, GCs,
 * windows (tree, attributes, properties, shapes, background and border
 * probes, contents), cursors and window cursors (one pointer grab), and
 * passive grabs (conflict probes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xcb/res.h>
#include <xcb/shape.h>
#include <xcb/xfixes.h>

#include "common/log.h"
#include "guievict/xsession/capture.h"
#include "guievict/xsession/capture-render.h"
#include "guievict/xsession/evgui-xcb.h"

enum cap_policy {
	CAP_TAKE = 0,     /* captured */
	CAP_DERIVED,      /* no state of its own to move */
	CAP_TOLERATED,    /* lost, noted, not refused */
	CAP_REFUSE,       /* cannot be captured from a stock server */
};

static const struct {
	const char *type;
	int         policy;
	const char *why;
} cap_types[] = {
	{ "WINDOW", CAP_TAKE, NULL },
	{ "PIXMAP", CAP_TAKE, NULL },
	{ "GC", CAP_TAKE, NULL },
	{ "FONT", CAP_TAKE, NULL },
	{ "CURSOR", CAP_TAKE, NULL },
	{ "COLORMAP", CAP_TAKE, NULL },
	{ "PASSIVE GRAB", CAP_TAKE, NULL },
	{ "COLORMAP ENTRY", CAP_DERIVED,
	  "color cells of a static or TrueColor colormap: the pixel is computed" },
	{ "XkbClient", CAP_TOLERATED,
	  "XKB event selection and per-client flags; the server tells no one else" },
	{ "OTHERCLIENT", CAP_REFUSE,
	  "event selection on another client's window: window and mask unknown" },
	{ "INPUTCLIENT", CAP_REFUSE, "XInput event selection" },
	{ "PICTURE", CAP_REFUSE, "RENDER picture: drawable and attributes unknown" },
	{ "PICTFORMAT", CAP_REFUSE, "RENDER picture format" },
	{ "GLYPHSET", CAP_REFUSE, "RENDER glyph set: glyphs cannot be read back" },
	{ "XFixesRegion", CAP_REFUSE, "XFIXES region" },
	{ "DamageExt", CAP_REFUSE, "DAMAGE object" },
};

struct cap_probe {
	uint8_t  depth;
	uint32_t pix;        /* CAP_PW x CAP_PH of this depth */
	uint32_t gc;         /* the probe GC the client's GC is copied into */
	uint32_t cgc;        /* our clean GC for preparing pix */
	uint32_t tile0, tile1;
};

#define CAP_PW 256
#define CAP_PH 128
#define CAP_MAXPROBES 8

struct cap_win {               /* scratch per window resource */
	uint32_t id, parent;
	xcb_get_window_attributes_reply_t *attr;
	xcb_get_geometry_reply_t *geom;
	xcb_query_tree_reply_t *tree;
	int added;
};

struct cap {
	xcb_connection_t   *c;
	const xcb_setup_t  *setup;
	xcb_screen_t       *screen;
	struct xs_session  *s;
	int                 flags;
	size_t              gcs_hinted;  /* GCs the caller knew */
	uint32_t            base, mask;
	struct xs_resource *res;
	size_t              nres;
	struct cap_win     *wins;
	size_t              nwins;
	uint32_t           *cursor_serial;   /* per s->cursors[i] */
	int                 have_shape, have_xfixes;
	struct cap_probe    probes[CAP_MAXPROBES];
	int                 nprobes;
	uint32_t            zero1;            /* 1x1 depth-1 pixmap holding 0 */
	uint32_t            stip0;            /* 4x4 depth-1 pixmap of zeros */
	uint32_t            gc1;              /* depth-1 GC for our bitmaps */
	char                refused[512];
	size_t              nrefused;
	int                 evgui;            /* the server has EVICT-GUI */
	uint8_t             evgui_major;
};

static void
cap_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	free(*cause);
	*cause = NULL;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

static int
cap_owned(const struct cap *k, uint32_t id)
{
	return id != 0 && (id & ~k->mask) == k->base;
}

static int
cap_owned_cb(void *arg, uint32_t id)
{
	return cap_owned(arg, id);
}

/* Waits for a checked request; 0, or -EINVAL with the X error code in *code. */
static int
cap_check(xcb_connection_t *c, xcb_void_cookie_t ck, int *code)
{
	xcb_generic_error_t *e = xcb_request_check(c, ck);

	if (e == NULL)
		return 0;
	if (code != NULL)
		*code = e->error_code;
	free(e);
	return -EINVAL;
}

static int
cap_atom_name(struct cap *k, uint32_t atom, char *buf, size_t bufsz)
{
	xcb_get_atom_name_reply_t *r;
	int len;

	r = xcb_get_atom_name_reply(k->c, xcb_get_atom_name(k->c, atom), NULL);
	if (r == NULL)
		return -ENOENT;
	len = xcb_get_atom_name_name_length(r);
	if ((size_t)len >= bufsz)
		len = (int)bufsz - 1;
	memcpy(buf, xcb_get_atom_name_name(r), (size_t)len);
	buf[len] = '\0';
	free(r);
	return 0;
}

/* Records a non-predefined atom in the session's table. */
static int
cap_atom(struct cap *k, uint32_t atom)
{
	char name[XS_NAME_MAX + 1];
	int r;

	if (atom <= 68 || xs_session_atom_name(k->s, atom) != NULL)
		return 0;
	if ((r = cap_atom_name(k, atom, name, sizeof name)) < 0)
		return r;
	return xs_session_add_atom(k->s, atom, name);
}

static const xcb_format_t *
cap_format(struct cap *k, uint8_t depth)
{
	xcb_format_iterator_t it = xcb_setup_pixmap_formats_iterator(k->setup);

	for (; it.rem; xcb_format_next(&it))
		if (it.data->depth == depth)
			return it.data;
	return NULL;
}

static const xcb_visualtype_t *
cap_visual(struct cap *k, uint32_t id, uint8_t *depth)
{
	xcb_depth_iterator_t d = xcb_screen_allowed_depths_iterator(k->screen);
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

/* GetImage (ZPixmap) of a rectangle of a drawable of the given depth. */
static int
cap_get_image(struct cap *k, uint32_t drawable, int16_t x, int16_t y,
    uint16_t w, uint16_t h, uint8_t depth, struct xs_image *out)
{
	const xcb_format_t *f = cap_format(k, depth);
	xcb_get_image_reply_t *r;
	size_t n;
	int rv;

	memset(out, 0, sizeof *out);
	if (f == NULL)
		return -EINVAL;
	r = xcb_get_image_reply(k->c, xcb_get_image(k->c,
	    XCB_IMAGE_FORMAT_Z_PIXMAP, drawable, x, y, w, h, ~0u), NULL);
	if (r == NULL)
		return -EIO;
	rv = xs_image_alloc(out, w, h, depth, f->bits_per_pixel,
	    f->scanline_pad,
	    k->setup->image_byte_order == XCB_IMAGE_ORDER_MSB_FIRST,
	    k->setup->bitmap_format_bit_order == XCB_IMAGE_ORDER_MSB_FIRST);
	if (rv == 0) {
		n = (size_t)xcb_get_image_data_length(r);
		if (n != xs_image_size(out)) {
			xs_image_free(out);
			rv = -EBADMSG;
		} else {
			memcpy(out->data, xcb_get_image_data(r), n);
		}
	}
	free(r);
	return rv;
}

static int
cap_image_cb(void *arg, uint32_t drawable, uint16_t w, uint16_t h,
    uint8_t depth, struct xs_image *out)
{
	return cap_get_image(arg, drawable, 0, 0, w, h, depth, out);
}

static int
cap_format_cb(void *arg, uint8_t depth, uint8_t *bpp, uint8_t *pad)
{
	const xcb_format_t *f = cap_format(arg, depth);

	if (f == NULL)
		return -EINVAL;
	*bpp = f->bits_per_pixel;
	*pad = f->scanline_pad;
	return 0;
}

/* ---- finding the client --------------------------------------------------------- */

int
xs_capture_list(xcb_connection_t *c, uint32_t id, uint32_t *base,
    uint32_t *mask, struct xs_resource **res, size_t *nres, char **cause)
{
	xcb_res_query_version_reply_t *ver;
	xcb_res_query_clients_reply_t *cl;
	xcb_res_query_resource_bytes_reply_t *rb;
	xcb_res_resource_size_value_iterator_t it;
	xcb_res_resource_id_spec_t spec = { 0, 0 };
	xcb_res_client_t *cv;
	struct xs_resource *out = NULL;
	struct cap k;
	size_t n = 0, i, j;
	int ncl, found = 0;

	*res = NULL;
	*nres = 0;
	ver = xcb_res_query_version_reply(c, xcb_res_query_version(c, 1, 2),
	    NULL);
	if (ver == NULL || ver->server_major < 1 ||
	    (ver->server_major == 1 && ver->server_minor < 2)) {
		free(ver);
		cap_cause(cause, "the X server lacks X-Resource 1.2");
		return -ENOTSUP;
	}
	free(ver);
	cl = xcb_res_query_clients_reply(c, xcb_res_query_clients(c), NULL);
	if (cl == NULL) {
		cap_cause(cause, "X-Resource QueryClients failed");
		return -EIO;
	}
	cv = xcb_res_query_clients_clients(cl);
	ncl = xcb_res_query_clients_clients_length(cl);
	for (i = 0; i < (size_t)ncl; i++) {
		if ((id & ~cv[i].resource_mask) == cv[i].resource_base) {
			*base = cv[i].resource_base;
			*mask = cv[i].resource_mask;
			found = 1;
			break;
		}
	}
	free(cl);
	if (!found) {
		cap_cause(cause, "no client owns resource 0x%x", id);
		return -ESRCH;
	}
	rb = xcb_res_query_resource_bytes_reply(c,
	    xcb_res_query_resource_bytes(c, *base, 1, &spec), NULL);
	if (rb == NULL) {
		cap_cause(cause, "X-Resource QueryResourceBytes failed");
		return -EIO;
	}
	it = xcb_res_query_resource_bytes_sizes_iterator(rb);
	if (it.rem > 0) {
		out = calloc((size_t)it.rem, sizeof *out);
		if (out == NULL) {
			free(rb);
			return -ENOMEM;
		}
	}
	memset(&k, 0, sizeof k);
	k.c = c;
	for (; it.rem; xcb_res_resource_size_value_next(&it)) {
		out[n].id = it.data->size.spec.resource;
		out[n].type_atom = it.data->size.spec.type;
		for (j = 0; j < n; j++) {
			if (out[j].type_atom == out[n].type_atom) {
				memcpy(out[n].type, out[j].type, sizeof out[n].type);
				break;
			}
		}
		if (j == n && cap_atom_name(&k, out[n].type_atom, out[n].type,
		    sizeof out[n].type) < 0)
			snprintf(out[n].type, sizeof out[n].type, "atom %u",
			    out[n].type_atom);
		n++;
	}
	free(rb);
	*res = out;
	*nres = n;
	return 0;
}

static int
cap_policy_of(const char *type, const char **why)
{
	size_t i;

	for (i = 0; i < sizeof cap_types / sizeof cap_types[0]; i++) {
		if (strcmp(cap_types[i].type, type) == 0) {
			*why = cap_types[i].why;
			return cap_types[i].policy;
		}
	}
	*why = "no way to read it back is known";
	return CAP_REFUSE;
}

static size_t
cap_count_type(const struct cap *k, const char *type)
{
	size_t i, n = 0;

	for (i = 0; i < k->nres; i++)
		if (strcmp(k->res[i].type, type) == 0)
			n++;
	return n;
}

/* Sorts the types into refusals (cause) and losses; 0 or -EPERM. */
static int
cap_classify(struct cap *k, char **cause)
{
	const char *why;
	size_t i, j, n;
	int pol, r, first = 1, dynamic = 0;
	char *p = k->refused;
	size_t left = sizeof k->refused;
	int len;

	for (i = 0; i < k->nres; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(k->res[j].type, k->res[i].type) == 0)
				break;
		if (j < i)
			continue;
		n = cap_count_type(k, k->res[i].type);
		pol = cap_policy_of(k->res[i].type, &why);
		if (k->evgui && (strcmp(k->res[i].type, "PICTURE") == 0 ||
		    strcmp(k->res[i].type, "GLYPHSET") == 0 ||
		    strcmp(k->res[i].type, "PICTFORMAT") == 0 ||
		    strcmp(k->res[i].type, "OTHER CLIENT") == 0 ||
		    strcmp(k->res[i].type, "dbeWindow") == 0 ||
		    strcmp(k->res[i].type, "dbeDrawable") == 0))
			pol = CAP_TAKE;     /* read through the module */
		if (pol == CAP_DERIVED &&
		    strcmp(k->res[i].type, "COLORMAP ENTRY") == 0) {
			/* only static colormaps compute their pixels */
			const xcb_visualtype_t *v = cap_visual(k,
			    k->screen->root_visual, NULL);
			dynamic = v != NULL && (v->_class & 1);
			if (dynamic) {
				pol = CAP_REFUSE;
				why = "color cells allocated in a dynamic colormap";
			}
		}
		if (pol == CAP_TAKE || pol == CAP_DERIVED)
			continue;
		if (pol == CAP_TOLERATED || (k->flags & XS_CAP_PARTIAL)) {
			r = xs_session_add_loss(k->s, k->res[i].type, (uint32_t)n,
			    why);
			if (r < 0)
				return r;
			if (pol == CAP_REFUSE)
				k->s->flags |= XS_SF_PARTIAL;
			continue;
		}
		len = snprintf(p, left, "%s%zu %s", first ? "" : ", ", n,
		    k->res[i].type);
		if (len > 0 && (size_t)len < left) {
			p += len;
			left -= (size_t)len;
		}
		first = 0;
		k->nrefused += n;
	}
	if (k->nrefused > 0) {
		cap_cause(cause, "cannot move: %s", k->refused);
		return -EPERM;
	}
	return 0;
}

/* ---- colormaps, pixmaps, fonts ---------------------------------------------------- */

static int
cap_colormap(struct cap *k, uint32_t id)
{
	struct xs_colormap *m;
	const xcb_visualtype_t *v;
	xcb_query_colors_reply_t *qr;
	xcb_rgb_t *rgb;
	uint32_t *pix, i, n;
	size_t w;

	if ((m = xs_session_add_colormap(k->s)) == NULL)
		return -ENOMEM;
	m->id = id;
	/* The visual: that of a window of the client using it, else the root's */
	m->visual = k->screen->root_visual;
	for (w = 0; w < k->nwins; w++) {
		if (k->wins[w].attr != NULL && k->wins[w].attr->colormap == id) {
			m->visual = k->wins[w].attr->visual;
			break;
		}
	}
	v = cap_visual(k, m->visual, NULL);
	if (v == NULL)
		return -ENOENT;
	m->visual_class = v->_class;
	if (!(v->_class & 1) || v->_class == XCB_VISUAL_CLASS_DIRECT_COLOR)
		return 0;    /* static: nothing to read; DirectColor: see doc */
	n = v->colormap_entries;
	pix = malloc((size_t)n * sizeof *pix);
	m->rgb = malloc((size_t)n * 6);
	if (pix == NULL || m->rgb == NULL) {
		free(pix);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		pix[i] = i;
	qr = xcb_query_colors_reply(k->c, xcb_query_colors(k->c, id, n, pix),
	    NULL);
	free(pix);
	if (qr == NULL || (uint32_t)xcb_query_colors_colors_length(qr) != n) {
		free(qr);
		return -EIO;
	}
	rgb = xcb_query_colors_colors(qr);
	for (i = 0; i < n; i++) {
		m->rgb[3 * i] = rgb[i].red;
		m->rgb[3 * i + 1] = rgb[i].green;
		m->rgb[3 * i + 2] = rgb[i].blue;
	}
	m->ncells = n;
	free(qr);
	return 0;
}

static int
cap_pixmap(struct cap *k, uint32_t id)
{
	xcb_get_geometry_reply_t *g;
	struct xs_pixmap *p;
	int r;

	g = xcb_get_geometry_reply(k->c, xcb_get_geometry(k->c, id), NULL);
	if (g == NULL)
		return -EIO;
	if ((p = xs_session_add_pixmap(k->s)) == NULL) {
		free(g);
		return -ENOMEM;
	}
	p->id = id;
	p->width = g->width;
	p->height = g->height;
	p->depth = g->depth;
	free(g);
	r = cap_get_image(k, id, 0, 0, p->width, p->height, p->depth, &p->image);
	return r;
}

/* See xs_capture_set_font_hint() in capture.h. */
static xs_font_hint_fn cap_font_hint;
static void *cap_font_hint_arg;

void
xs_capture_set_font_hint(xs_font_hint_fn fn, void *arg)
{
	cap_font_hint = fn;
	cap_font_hint_arg = arg;
}

/* See xs_capture_set_window_hint() in capture.h. */
static xs_window_hint_fn cap_window_hint;
static void *cap_window_hint_arg;

void
xs_capture_set_window_hint(xs_window_hint_fn fn, void *arg)
{
	cap_window_hint = fn;
	cap_window_hint_arg = arg;
}

/* See xs_capture_set_gc_hint() in capture.h. */
static xs_gc_hint_fn cap_gc_hint;
static void *cap_gc_hint_arg;

void
xs_capture_set_gc_hint(xs_gc_hint_fn fn, void *arg)
{
	cap_gc_hint = fn;
	cap_gc_hint_arg = arg;
}

/* See xs_capture_set_grab_hint() in capture.h. */
static xs_grab_hint_fn cap_grab_hint;
static void *cap_grab_hint_arg;

void
xs_capture_set_grab_hint(xs_grab_hint_fn fn, void *arg)
{
	cap_grab_hint = fn;
	cap_grab_hint_arg = arg;
}

static int
cap_hinted(struct xs_window *w, int what)
{
	return cap_window_hint != NULL &&
	    cap_window_hint(cap_window_hint_arg, w, what) == 1;
}

/* Geometry and XLFD name of a font (or of a GC's font); name may be NULL. */
static int
cap_font_info(struct cap *k, uint32_t fontable, struct xs_fontgeom *geom,
    char **name)
{
	xcb_query_font_reply_t *q;
	xcb_fontprop_t *props;
	xcb_charinfo_t *ci;
	xcb_intern_atom_reply_t *fa, *aw;
	char buf[XS_NAME_MAX + 1];
	int i, n, nci;
	int64_t sum = 0, cnt = 0;

	if (name != NULL)
		*name = NULL;
	if (cap_font_hint != NULL && name != NULL &&
	    cap_font_hint(cap_font_hint_arg, fontable, geom, name) == 1)
		return 0;
	fa = xcb_intern_atom_reply(k->c, xcb_intern_atom(k->c, 1, 4, "FONT"),
	    NULL);
	aw = xcb_intern_atom_reply(k->c, xcb_intern_atom(k->c, 1, 13,
	    "AVERAGE_WIDTH"), NULL);
	q = xcb_query_font_reply(k->c, xcb_query_font(k->c, fontable), NULL);
	if (q == NULL) {
		free(fa);
		free(aw);
		return -EIO;
	}
	memset(geom, 0, sizeof *geom);
	geom->ascent = q->font_ascent;
	geom->descent = q->font_descent;
	geom->min_width = q->min_bounds.character_width;
	geom->max_width = q->max_bounds.character_width;
	geom->avg_width = INT32_MIN;
	props = xcb_query_font_properties(q);
	n = xcb_query_font_properties_length(q);
	for (i = 0; i < n; i++) {
		if (aw != NULL && aw->atom != 0 && props[i].name == aw->atom)
			geom->avg_width = (int32_t)props[i].value;
		if (name != NULL && fa != NULL && fa->atom != 0 &&
		    props[i].name == fa->atom && *name == NULL &&
		    cap_atom_name(k, props[i].value, buf, sizeof buf) == 0)
			*name = strdup(buf);
	}
	if (geom->avg_width == INT32_MIN) {
		ci = xcb_query_font_char_infos(q);
		nci = xcb_query_font_char_infos_length(q);
		for (i = 0; i < nci; i++) {
			if (ci[i].character_width == 0 && ci[i].ascent == 0 &&
			    ci[i].descent == 0)
				continue;    /* a missing glyph */
			sum += ci[i].character_width;
			cnt++;
		}
		geom->avg_width = cnt > 0 ? (int32_t)(sum * 10 / cnt) :
		    (geom->min_width + geom->max_width) * 5;
	}
	free(q);
	free(fa);
	free(aw);
	return 0;
}

static int
cap_font(struct cap *k, uint32_t id)
{
	struct xs_font *f;

	if ((f = xs_session_add_font(k->s)) == NULL)
		return -ENOMEM;
	f->id = id;
	return cap_font_info(k, id, &f->geom, &f->name);
}

/* ---- GC probes --------------------------------------------------------------------- */

static uint32_t
cap_dmask(uint8_t depth)
{
	return depth >= 32 ? 0xffffffffu : (1u << depth) - 1;
}

static int
cap_probe_setup_common(struct cap *k)
{
	uint32_t v[2];

	if (k->zero1 != 0)
		return 0;
	k->zero1 = xcb_generate_id(k->c);
	k->stip0 = xcb_generate_id(k->c);
	k->gc1 = xcb_generate_id(k->c);
	xcb_create_pixmap(k->c, 1, k->zero1, k->screen->root, 1, 1);
	xcb_create_pixmap(k->c, 1, k->stip0, k->screen->root, 4, 4);
	v[0] = 0;
	v[1] = 0;
	xcb_create_gc(k->c, k->gc1, k->zero1,
	    XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES, v);
	xcb_rectangle_t r1 = { 0, 0, 1, 1 }, r4 = { 0, 0, 4, 4 };
	xcb_poly_fill_rectangle(k->c, k->zero1, k->gc1, 1, &r1);
	xcb_poly_fill_rectangle(k->c, k->stip0, k->gc1, 1, &r4);
	return 0;
}

/* The probe set for a depth; created on first use. */
static struct cap_probe *
cap_probe_get(struct cap *k, uint8_t depth)
{
	struct cap_probe *p;
	xcb_rectangle_t r4 = { 0, 0, 4, 4 };
	uint32_t v[2];
	int i;

	for (i = 0; i < k->nprobes; i++)
		if (k->probes[i].depth == depth)
			return &k->probes[i];
	if (k->nprobes == CAP_MAXPROBES)
		return NULL;
	cap_probe_setup_common(k);
	p = &k->probes[k->nprobes++];
	p->depth = depth;
	p->pix = xcb_generate_id(k->c);
	p->gc = xcb_generate_id(k->c);
	p->cgc = xcb_generate_id(k->c);
	p->tile0 = xcb_generate_id(k->c);
	p->tile1 = xcb_generate_id(k->c);
	xcb_create_pixmap(k->c, depth, p->pix, k->screen->root, CAP_PW, CAP_PH);
	xcb_create_pixmap(k->c, depth, p->tile0, k->screen->root, 4, 4);
	xcb_create_pixmap(k->c, depth, p->tile1, k->screen->root, 4, 4);
	v[0] = 0;
	v[1] = 0;
	xcb_create_gc(k->c, p->gc, p->pix, XCB_GC_GRAPHICS_EXPOSURES, v);
	xcb_create_gc(k->c, p->cgc, p->pix,
	    XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES, v);
	xcb_poly_fill_rectangle(k->c, p->tile0, p->cgc, 1, &r4);
	v[0] = cap_dmask(depth);
	xcb_change_gc(k->c, p->cgc, XCB_GC_FOREGROUND, v);
	xcb_poly_fill_rectangle(k->c, p->tile1, p->cgc, 1, &r4);
	return p;
}

static void
cap_probes_free(struct cap *k)
{
	int i;

	for (i = 0; i < k->nprobes; i++) {
		xcb_free_pixmap(k->c, k->probes[i].pix);
		xcb_free_pixmap(k->c, k->probes[i].tile0);
		xcb_free_pixmap(k->c, k->probes[i].tile1);
		xcb_free_gc(k->c, k->probes[i].gc);
		xcb_free_gc(k->c, k->probes[i].cgc);
	}
	k->nprobes = 0;
	if (k->zero1 != 0) {
		xcb_free_pixmap(k->c, k->zero1);
		xcb_free_pixmap(k->c, k->stip0);
		xcb_free_gc(k->c, k->gc1);
		k->zero1 = 0;
	}
}

/* Puts the probe GC back to known values: fg, bg as given. */
static void
cap_probe_reset(struct cap *k, struct cap_probe *p, uint32_t fg, uint32_t bg)
{
	static const uint8_t dash4[2] = { 4, 4 };
	uint32_t v[20];
	int n = 0;

	v[n++] = XCB_GX_COPY;                       /* function */
	v[n++] = 0xffffffffu;                       /* plane mask */
	v[n++] = fg;
	v[n++] = bg;
	v[n++] = 0;                                 /* line width */
	v[n++] = XCB_LINE_STYLE_SOLID;
	v[n++] = XCB_CAP_STYLE_BUTT;
	v[n++] = XCB_JOIN_STYLE_MITER;
	v[n++] = XCB_FILL_STYLE_SOLID;
	v[n++] = XCB_FILL_RULE_EVEN_ODD;
	v[n++] = p->tile0;                          /* tile */
	v[n++] = k->stip0;                          /* stipple */
	v[n++] = 0;                                 /* ts x */
	v[n++] = 0;                                 /* ts y */
	v[n++] = 0;                                 /* exposures off */
	v[n++] = 0;                                 /* clip x */
	v[n++] = 0;                                 /* clip y */
	v[n++] = XCB_NONE;                          /* clip mask */
	v[n++] = 0;                                 /* dash offset */
	v[n++] = XCB_ARC_MODE_PIE_SLICE;
	xcb_change_gc(k->c, p->gc, XCB_GC_FUNCTION | XCB_GC_PLANE_MASK |
	    XCB_GC_FOREGROUND | XCB_GC_BACKGROUND | XCB_GC_LINE_WIDTH |
	    XCB_GC_LINE_STYLE | XCB_GC_CAP_STYLE | XCB_GC_JOIN_STYLE |
	    XCB_GC_FILL_STYLE | XCB_GC_FILL_RULE | XCB_GC_TILE | XCB_GC_STIPPLE |
	    XCB_GC_TILE_STIPPLE_ORIGIN_X | XCB_GC_TILE_STIPPLE_ORIGIN_Y |
	    XCB_GC_GRAPHICS_EXPOSURES | XCB_GC_CLIP_ORIGIN_X |
	    XCB_GC_CLIP_ORIGIN_Y | XCB_GC_CLIP_MASK | XCB_GC_DASH_OFFSET |
	    XCB_GC_ARC_MODE, v);
	xcb_set_dashes(k->c, p->gc, 0, 2, dash4);
}

static void
cap_fill(struct cap *k, uint32_t d, uint32_t gc, int16_t x, int16_t y,
    uint16_t w, uint16_t h)
{
	xcb_rectangle_t r = { x, y, w, h };

	xcb_poly_fill_rectangle(k->c, d, gc, 1, &r);
}

static void
cap_clean(struct cap *k, struct cap_probe *p, uint32_t v, int16_t x, int16_t y,
    uint16_t w, uint16_t h)
{
	xcb_change_gc(k->c, p->cgc, XCB_GC_FOREGROUND, &v);
	cap_fill(k, p->pix, p->cgc, x, y, w, h);
}

static void
cap_line(struct cap *k, struct cap_probe *p, int16_t x1, int16_t y1,
    int16_t x2, int16_t y2)
{
	xcb_point_t pt[2] = { { x1, y1 }, { x2, y2 } };

	xcb_poly_line(k->c, XCB_COORD_MODE_ORIGIN, p->pix, p->gc, 2, pt);
}

/* Smallest period of the on/off sequence, 0 if none below n / 2. */
static int
cap_period(const uint8_t *on, int n)
{
	int p, i;

	for (p = 2; p <= n / 2; p++) {
		for (i = 0; i + p < n; i++)
			if (on[i] != on[i + p])
				break;
		if (i + p == n)
			return p;
	}
	return 0;
}

/* Dash list and offset from the on/off pattern of a 256-pixel line. */
static int
cap_dashes(struct xs_gc *g, const uint8_t *on, int n)
{
	uint8_t runs[255];
	int p, s, i, nr = 0, len;

	p = cap_period(on, n);
	if (p == 0)
		return -ENOENT;
	for (s = 0; s < p; s++)
		if (on[s] && !on[(s + p - 1) % p])
			break;
	if (s == p)
		return -ENOENT;
	len = 1;
	for (i = 1; i <= p; i++) {
		if (i < p && on[(s + i) % p] == on[(s + i - 1) % p]) {
			len++;
			continue;
		}
		if (nr == 255 || len > 255)
			return -ENOENT;
		runs[nr++] = (uint8_t)len;
		len = 1;
	}
	if (nr % 2 != 0)
		return -ENOENT;
	g->dashes = malloc((size_t)nr);
	if (g->dashes == NULL)
		return -ENOMEM;
	memcpy(g->dashes, runs, (size_t)nr);
	g->ndashes = (uint8_t)nr;
	g->values[XS_GC_DASH_OFFSET] = (uint32_t)((p - s) % p);
	g->known |= 1u << XS_GC_DASHES | 1u << XS_GC_DASH_OFFSET;
	return 0;
}

/* Smallest 2-D period (<= 64) of the top-left 128x128 of an image. */
static void
cap_period2(const struct xs_image *im, int x0, int y0, int *px, int *py)
{
	int p, x, y, ok;

	*px = *py = 64;
	for (p = 1; p <= 64; p++) {
		ok = 1;
		for (y = 0; y < 128 && ok; y++)
			for (x = 0; x + p < 128 && ok; x++)
				ok = xs_image_get(im, x0 + x, y0 + y) ==
				    xs_image_get(im, x0 + x + p, y0 + y);
		if (ok) {
			*px = p;
			break;
		}
	}
	for (p = 1; p <= 64; p++) {
		ok = 1;
		for (y = 0; y + p < 128 && ok; y++)
			for (x = 0; x < 128 && ok; x++)
				ok = xs_image_get(im, x0 + x, y0 + y) ==
				    xs_image_get(im, x0 + x, y0 + y + p);
		if (ok) {
			*py = p;
			break;
		}
	}
}

static int
cap_sub_image(const struct xs_image *im, int x0, int y0, int w, int h,
    int bitmap, struct xs_image *out)
{
	int x, y, r;
	uint32_t v;

	if (bitmap)
		r = xs_image_alloc(out, (uint16_t)w, (uint16_t)h, 1, 1, 32,
		    im->msb_bytes, im->msb_bits);
	else
		r = xs_image_alloc(out, (uint16_t)w, (uint16_t)h, im->depth,
		    im->bpp, im->pad, im->msb_bytes, im->msb_bits);
	if (r < 0)
		return r;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			v = xs_image_get(im, (unsigned)(x0 + x), (unsigned)(y0 + y));
			xs_image_put(out, (unsigned)x, (unsigned)y,
			    bitmap ? (v != 0) : v);
		}
	}
	return 0;
}

/*
 * Every component of GC gid (of depth d) that rendering shows: the GC is
 * copied, component by component, into our probe GC, which draws into our
 * probe pixmap; one GetImage reads all the results back.
 *
 * Layout of the probe pixmap (x, y):
 *   (0,0) fg  (1,0) bg  (2..5,0) function  (6,0) plane mask
 *   (8,0),(9,0) fill style (two passes)   (10..13,0) fill rule, arc mode
 *   rows 2,3: dashes (on/off and double)   rows 5..63, x 0..99: line width
 *   x 100..199, rows 5..40: cap style      x 100..199, rows 44..63: join
 *   x 128..255, rows 0..127 (after a read): tile / stipple / clip passes
 */
static int
cap_gc_probe(struct cap *k, struct xs_gc *g)
{
	struct cap_probe *p = cap_probe_get(k, g->depth);
	uint32_t ones = cap_dmask(g->depth), v[2], f, x, y;
	struct xs_image im;
	xcb_generic_event_t *ev;
	xcb_point_t star[5];
	xcb_arc_t arc;
	uint8_t on[256], dbl = 0;
	int i, rows, lenrow, r, solid_a, solid_b;
	/* a pentagram around (220, 50) */
	static const int sx[5] = { 20, 31, 3, 37, 9 };
	static const int sy[5] = { 32, 65, 44, 44, 65 };

	if (p == NULL)
		return -ENOSPC;
	cap_clean(k, p, 0, 0, 0, CAP_PW, CAP_PH);
	/* foreground */
	cap_probe_reset(k, p, 0, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_FOREGROUND);
	cap_fill(k, p->pix, p->gc, 0, 0, 1, 1);
	/* background, through CopyPlane of a 0 bit */
	cap_probe_reset(k, p, 0, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_BACKGROUND);
	xcb_copy_plane(k->c, k->zero1, p->pix, p->gc, 0, 0, 1, 0, 1, 1, 1);
	/* function: dest 0,1,0,1 under source 0,0,1,1 */
	cap_clean(k, p, ones, 3, 0, 1, 1);
	cap_clean(k, p, ones, 5, 0, 1, 1);
	cap_probe_reset(k, p, 0, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_FUNCTION);
	cap_fill(k, p->pix, p->gc, 2, 0, 2, 1);
	v[0] = ones;
	xcb_change_gc(k->c, p->gc, XCB_GC_FOREGROUND, v);
	cap_fill(k, p->pix, p->gc, 4, 0, 2, 1);
	/* plane mask */
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_PLANE_MASK);
	cap_fill(k, p->pix, p->gc, 6, 0, 1, 1);
	/* fill style: tile 0 / stipple of zeros; then tile 1 */
	cap_probe_reset(k, p, ones, ones);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_FILL_STYLE);
	cap_fill(k, p->pix, p->gc, 8, 0, 1, 1);
	cap_probe_reset(k, p, ones, 0);
	v[0] = p->tile1;
	xcb_change_gc(k->c, p->gc, XCB_GC_TILE, v);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_FILL_STYLE);
	cap_fill(k, p->pix, p->gc, 9, 0, 1, 1);
	/* fill rule: the centre of a pentagram is filled under Winding only */
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_FILL_RULE);
	for (i = 0; i < 5; i++) {
		star[i].x = (int16_t)(sx[i] + 200);
		star[i].y = (int16_t)sy[i];
	}
	xcb_fill_poly(k->c, p->pix, p->gc, XCB_POLY_SHAPE_COMPLEX,
	    XCB_COORD_MODE_ORIGIN, 5, star);
	/* arc mode: a point in the quarter's wedge but under its chord */
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_ARC_MODE);
	arc.x = 200;
	arc.y = 70;
	arc.width = 40;
	arc.height = 40;
	arc.angle1 = 0;
	arc.angle2 = 90 * 64;
	xcb_poly_fill_arc(k->c, p->pix, p->gc, 1, &arc);
	/* dashes: row 2 on/off with fg, row 3 the odd dashes in bg */
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_LINE_STYLE |
	    XCB_GC_DASH_OFFSET | XCB_GC_DASH_LIST);
	cap_line(k, p, 0, 2, 255, 2);
	cap_probe_reset(k, p, 0, ones);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_LINE_STYLE |
	    XCB_GC_DASH_OFFSET | XCB_GC_DASH_LIST);
	cap_line(k, p, 0, 3, 255, 3);
	/* line width: a horizontal line from x 20 to 40 at y 34 */
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_LINE_WIDTH);
	cap_line(k, p, 20, 34, 40, 34);
	/* cap style: thin line 110..120 at y 8; wide (8) 140..160 at y 20 */
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_CAP_STYLE);
	cap_line(k, p, 110, 8, 120, 8);
	v[0] = 8;
	xcb_change_gc(k->c, p->gc, XCB_GC_LINE_WIDTH, v);
	cap_line(k, p, 140, 20, 160, 20);
	/* join style: a right angle (100,50)-(120,50)-(120,70) + 40 in x */
	cap_probe_reset(k, p, ones, 0);
	v[0] = 8;
	xcb_change_gc(k->c, p->gc, XCB_GC_LINE_WIDTH, v);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_JOIN_STYLE);
	{
		xcb_point_t pl[3] = { { 140, 50 }, { 160, 50 }, { 160, 70 } };
		xcb_poly_line(k->c, XCB_COORD_MODE_ORIGIN, p->pix, p->gc, 3, pl);
	}
	/* graphics exposures: a CopyArea inside our pixmap */
	cap_probe_reset(k, p, 0, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_GRAPHICS_EXPOSURES);
	xcb_copy_area(k->c, p->pix, p->pix, p->gc, 250, 120, 251, 121, 1, 1);

	r = cap_get_image(k, p->pix, 0, 0, CAP_PW, CAP_PH, g->depth, &im);
	if (r < 0)
		return r;
	g->values[XS_GC_FOREGROUND] = xs_image_get(&im, 0, 0);
	g->values[XS_GC_BACKGROUND] = xs_image_get(&im, 1, 0);
	f = 0;
	f |= (xs_image_get(&im, 2, 0) & 1) << 3;
	f |= (xs_image_get(&im, 3, 0) & 1) << 2;
	f |= (xs_image_get(&im, 4, 0) & 1) << 1;
	f |= (xs_image_get(&im, 5, 0) & 1);
	g->values[XS_GC_FUNCTION] = f;
	g->values[XS_GC_PLANE_MASK] = xs_image_get(&im, 6, 0) |
	    ~cap_dmask(g->depth);
	solid_a = xs_image_get(&im, 8, 0) == ones;
	solid_b = xs_image_get(&im, 9, 0) == ones;
	g->values[XS_GC_FILL_STYLE] = solid_a ? (solid_b ? XCB_FILL_STYLE_SOLID :
	    XCB_FILL_STYLE_OPAQUE_STIPPLED) : (solid_b ? XCB_FILL_STYLE_TILED :
	    XCB_FILL_STYLE_STIPPLED);
	g->values[XS_GC_FILL_RULE] = xs_image_get(&im, 220, 50) != 0 ?
	    XCB_FILL_RULE_WINDING : XCB_FILL_RULE_EVEN_ODD;
	g->values[XS_GC_ARC_MODE] = xs_image_get(&im, 223, 86) != 0 ?
	    XCB_ARC_MODE_PIE_SLICE : XCB_ARC_MODE_CHORD;
	for (i = 0; i < 256; i++) {
		on[i] = xs_image_get(&im, (unsigned)i, 2) != 0;
		dbl |= xs_image_get(&im, (unsigned)i, 3) != 0;
	}
	if (memchr(on, 0, sizeof on) == NULL) {
		g->values[XS_GC_LINE_STYLE] = XCB_LINE_STYLE_SOLID;
	} else {
		g->values[XS_GC_LINE_STYLE] = dbl ? XCB_LINE_STYLE_DOUBLE_DASH :
		    XCB_LINE_STYLE_ON_OFF_DASH;
		if ((r = cap_dashes(g, on, 256)) == -ENOMEM)
			goto out;
	}
	rows = 0;
	for (y = 5; y < 64; y++)
		if (xs_image_get(&im, 30, y) != 0)
			rows++;
	lenrow = 0;
	for (x = 0; x < 100; x++)
		if (xs_image_get(&im, x, 34) != 0)
			lenrow++;
	g->values[XS_GC_LINE_WIDTH] = (rows <= 1 && lenrow == 21) ? 0 :
	    (uint32_t)rows;
	if (xs_image_get(&im, 120, 8) == 0)
		g->values[XS_GC_CAP_STYLE] = XCB_CAP_STYLE_NOT_LAST;
	else if (xs_image_get(&im, 138, 20) == 0)
		g->values[XS_GC_CAP_STYLE] = XCB_CAP_STYLE_BUTT;
	else if (xs_image_get(&im, 137, 17) != 0)
		g->values[XS_GC_CAP_STYLE] = XCB_CAP_STYLE_PROJECTING;
	else
		g->values[XS_GC_CAP_STYLE] = XCB_CAP_STYLE_ROUND;
	if (xs_image_get(&im, 163, 47) != 0)
		g->values[XS_GC_JOIN_STYLE] = XCB_JOIN_STYLE_MITER;
	else if (xs_image_get(&im, 163, 48) != 0)
		g->values[XS_GC_JOIN_STYLE] = XCB_JOIN_STYLE_ROUND;
	else
		g->values[XS_GC_JOIN_STYLE] = XCB_JOIN_STYLE_BEVEL;
	xs_image_free(&im);
	/* exposures: NoExposure (or GraphicsExpose) came iff they are on */
	g->values[XS_GC_EXPOSURES] = 0;
	while ((ev = xcb_poll_for_event(k->c)) != NULL) {
		uint8_t t = ev->response_type & 0x7f;

		if ((t == XCB_NO_EXPOSURE &&
		    ((xcb_no_exposure_event_t *)ev)->drawable == p->pix) ||
		    (t == XCB_GRAPHICS_EXPOSURE &&
		    ((xcb_graphics_exposure_event_t *)ev)->drawable == p->pix))
			g->values[XS_GC_EXPOSURES] = 1;
		free(ev);
	}
	g->known |= 1u << XS_GC_FOREGROUND | 1u << XS_GC_BACKGROUND |
	    1u << XS_GC_FUNCTION | 1u << XS_GC_PLANE_MASK |
	    1u << XS_GC_FILL_STYLE | 1u << XS_GC_FILL_RULE |
	    1u << XS_GC_ARC_MODE | 1u << XS_GC_LINE_STYLE |
	    1u << XS_GC_LINE_WIDTH | 1u << XS_GC_CAP_STYLE |
	    1u << XS_GC_JOIN_STYLE | 1u << XS_GC_EXPOSURES;

	/* Second pass: clip, tile and stipple as images of 128x128. */
	cap_clean(k, p, 0, 0, 0, CAP_PW, CAP_PH);
	cap_probe_reset(k, p, ones, 0);
	xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_CLIP_MASK |
	    XCB_GC_CLIP_ORIGIN_X | XCB_GC_CLIP_ORIGIN_Y);
	cap_fill(k, p->pix, p->gc, 0, 0, 128, 128);
	if (g->values[XS_GC_FILL_STYLE] == XCB_FILL_STYLE_TILED) {
		cap_probe_reset(k, p, ones, 0);
		xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_TILE |
		    XCB_GC_TILE_STIPPLE_ORIGIN_X | XCB_GC_TILE_STIPPLE_ORIGIN_Y |
		    XCB_GC_FILL_STYLE);
		cap_fill(k, p->pix, p->gc, 128, 0, 128, 128);
	} else if (g->values[XS_GC_FILL_STYLE] != XCB_FILL_STYLE_SOLID) {
		cap_probe_reset(k, p, ones, 0);
		xcb_copy_gc(k->c, g->id, p->gc, XCB_GC_STIPPLE |
		    XCB_GC_TILE_STIPPLE_ORIGIN_X | XCB_GC_TILE_STIPPLE_ORIGIN_Y);
		v[0] = XCB_FILL_STYLE_OPAQUE_STIPPLED;
		xcb_change_gc(k->c, p->gc, XCB_GC_FILL_STYLE, v);
		cap_fill(k, p->pix, p->gc, 128, 0, 128, 128);
	}
	r = cap_get_image(k, p->pix, 0, 0, CAP_PW, CAP_PH, g->depth, &im);
	if (r < 0)
		return r;
	{
		int allset = 1;

		for (y = 0; y < 128 && allset; y++)
			for (x = 0; x < 128 && allset; x++)
				allset = xs_image_get(&im, x, y) == ones;
		if (!allset && (r = cap_sub_image(&im, 0, 0, 128, 128, 1,
		    &g->clip)) < 0)
			goto out;
		g->known |= 1u << XS_GC_CLIP_MASK;
	}
	if (g->values[XS_GC_FILL_STYLE] != XCB_FILL_STYLE_SOLID) {
		int px, py, tiled = g->values[XS_GC_FILL_STYLE] ==
		    XCB_FILL_STYLE_TILED;

		cap_period2(&im, 128, 0, &px, &py);
		r = cap_sub_image(&im, 128, 0, px, py, !tiled,
		    tiled ? &g->tile : &g->stipple);
		if (r < 0)
			goto out;
		g->known |= 1u << (tiled ? XS_GC_TILE : XS_GC_STIPPLE);
	}
	r = 0;
out:
	xs_image_free(&im);
	return r;
}

/* The GC's depth: CopyGC succeeds only between GCs of one depth. */
static int
cap_gc_depth(struct cap *k, uint32_t gid, uint8_t *depth)
{
	xcb_depth_iterator_t d = xcb_screen_allowed_depths_iterator(k->screen);
	uint8_t depths[32];
	int n = 0, i;

	depths[n++] = k->screen->root_depth;
	depths[n++] = 1;
	for (; d.rem && n < 32; xcb_depth_next(&d))
		if (d.data->depth != k->screen->root_depth && d.data->depth != 1)
			depths[n++] = d.data->depth;
	for (i = 0; i < n; i++) {
		struct cap_probe *p = cap_probe_get(k, depths[i]);

		if (p == NULL)
			return -ENOSPC;
		if (cap_check(k->c, xcb_copy_gc_checked(k->c, gid, p->gc, 0),
		    NULL) == 0) {
			*depth = depths[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int
cap_gc(struct cap *k, uint32_t id)
{
	struct xs_fontgeom geom;
	struct xs_gc *g;
	int r;

	if ((g = xs_session_add_gc(k->s)) == NULL)
		return -ENOMEM;
	g->id = id;
	if (cap_gc_hint != NULL && cap_gc_hint(cap_gc_hint_arg, g) == 1) {
		k->gcs_hinted++;
		if (cap_font_info(k, id, &geom, &g->font_name) == 0 &&
		    g->font_name != NULL)
			g->known |= 1u << XS_GC_FONT;
		return 0;
	}
	if ((r = cap_gc_depth(k, id, &g->depth)) < 0)
		return r;
	if (cap_font_info(k, id, &geom, &g->font_name) == 0 &&
	    g->font_name != NULL)
		g->known |= 1u << XS_GC_FONT;
	return cap_gc_probe(k, g);
}

/* ---- windows --------------------------------------------------------------------------- */

static struct cap_win *
cap_win_find(struct cap *k, uint32_t id)
{
	size_t i;

	for (i = 0; i < k->nwins; i++)
		if (k->wins[i].id == id)
			return &k->wins[i];
	return NULL;
}

static int
cap_win_fetch(struct cap *k)
{
	xcb_get_window_attributes_cookie_t *ca;
	xcb_get_geometry_cookie_t *cg;
	xcb_query_tree_cookie_t *ct;
	size_t i;

	ca = calloc(k->nwins + 1, sizeof *ca);
	cg = calloc(k->nwins + 1, sizeof *cg);
	ct = calloc(k->nwins + 1, sizeof *ct);
	if (ca == NULL || cg == NULL || ct == NULL) {
		free(ca);
		free(cg);
		free(ct);
		return -ENOMEM;
	}
	for (i = 0; i < k->nwins; i++) {
		ca[i] = xcb_get_window_attributes(k->c, k->wins[i].id);
		cg[i] = xcb_get_geometry(k->c, k->wins[i].id);
		ct[i] = xcb_query_tree(k->c, k->wins[i].id);
	}
	for (i = 0; i < k->nwins; i++) {
		k->wins[i].attr = xcb_get_window_attributes_reply(k->c, ca[i],
		    NULL);
		k->wins[i].geom = xcb_get_geometry_reply(k->c, cg[i], NULL);
		k->wins[i].tree = xcb_query_tree_reply(k->c, ct[i], NULL);
		if (k->wins[i].tree != NULL)
			k->wins[i].parent = k->wins[i].tree->parent;
	}
	free(ca);
	free(cg);
	free(ct);
	for (i = 0; i < k->nwins; i++)
		if (k->wins[i].attr == NULL || k->wins[i].geom == NULL ||
		    k->wins[i].tree == NULL)
			return -EIO;
	return 0;
}

static int
cap_props(struct cap *k, struct xs_window *w)
{
	xcb_list_properties_reply_t *lp;
	xcb_get_property_reply_t *gp;
	xcb_atom_t *atoms;
	struct xs_prop *p;
	uint32_t *a32;
	int i, n, len, r = 0;
	uint32_t j;

	lp = xcb_list_properties_reply(k->c, xcb_list_properties(k->c, w->id),
	    NULL);
	if (lp == NULL)
		return -EIO;
	atoms = xcb_list_properties_atoms(lp);
	n = xcb_list_properties_atoms_length(lp);
	for (i = 0; i < n && r == 0; i++) {
		gp = xcb_get_property_reply(k->c, xcb_get_property(k->c, 0, w->id,
		    atoms[i], XCB_GET_PROPERTY_TYPE_ANY, 0, 1u << 22), NULL);
		if (gp == NULL || gp->type == XCB_NONE) {
			free(gp);
			continue;    /* deleted meanwhile */
		}
		if ((p = xs_window_add_prop(w)) == NULL) {
			free(gp);
			r = -ENOMEM;
			break;
		}
		p->name = atoms[i];
		p->type = gp->type;
		p->format = gp->format;
		len = xcb_get_property_value_length(gp);
		p->nitems = gp->format ? (uint32_t)len / (gp->format / 8) : 0;
		p->data = malloc(len > 0 ? (size_t)len : 1);
		if (p->data == NULL) {
			free(gp);
			r = -ENOMEM;
			break;
		}
		memcpy(p->data, xcb_get_property_value(gp), (size_t)len);
		free(gp);
		if ((r = cap_atom(k, p->name)) < 0 || (r = cap_atom(k, p->type)) < 0)
			break;
		if (p->type == XCB_ATOM_ATOM && p->format == 32) {
			a32 = (uint32_t *)(void *)p->data;
			for (j = 0; j < p->nitems && r == 0; j++) {
				uint32_t av;

				memcpy(&av, &a32[j], 4);
				if (av != 0)
					r = cap_atom(k, av);
			}
		}
	}
	free(lp);
	return r;
}

static int
cap_rects_equal_default(const xcb_rectangle_t *r, int n, int x, int y, int w,
    int h)
{
	return n == 1 && r[0].x == x && r[0].y == y && r[0].width == w &&
	    r[0].height == h;
}

static int
cap_shape(struct cap *k, struct xs_window *w)
{
	xcb_shape_query_extents_reply_t *qe;
	xcb_shape_get_rectangles_reply_t *gr[3];
	xcb_rectangle_t *rv;
	int kind, n, bw = w->border_width, set;

	if (!k->have_shape)
		return 0;
	qe = xcb_shape_query_extents_reply(k->c,
	    xcb_shape_query_extents(k->c, w->id), NULL);
	if (qe == NULL)
		return -EIO;
	for (kind = 0; kind < 3; kind++)
		gr[kind] = xcb_shape_get_rectangles_reply(k->c,
		    xcb_shape_get_rectangles(k->c, w->id, (uint8_t)kind), NULL);
	for (kind = 0; kind < 3; kind++) {
		if (gr[kind] == NULL)
			continue;
		rv = xcb_shape_get_rectangles_rectangles(gr[kind]);
		n = xcb_shape_get_rectangles_rectangles_length(gr[kind]);
		if (kind == 0)
			set = qe->bounding_shaped;
		else if (kind == 1)
			set = qe->clip_shaped;
		else if (w->shaped & 1)
			set = !(gr[0] != NULL &&
			    n == xcb_shape_get_rectangles_rectangles_length(gr[0]) &&
			    memcmp(rv, xcb_shape_get_rectangles_rectangles(gr[0]),
			    (size_t)n * sizeof *rv) == 0);
		else
			set = !cap_rects_equal_default(rv, n, -bw, -bw,
			    w->width + 2 * bw, w->height + 2 * bw);
		if (!set)
			continue;
		w->shaped |= (uint8_t)(1u << kind);
		if (n > 0) {
			w->rects[kind] = calloc((size_t)n, sizeof *w->rects[kind]);
			if (w->rects[kind] == NULL)
				break;
			for (int i = 0; i < n; i++) {
				w->rects[kind][i].x = rv[i].x;
				w->rects[kind][i].y = rv[i].y;
				w->rects[kind][i].w = rv[i].width;
				w->rects[kind][i].h = rv[i].height;
			}
			w->nrects[kind] = (uint32_t)n;
		}
	}
	for (kind = 0; kind < 3; kind++)
		free(gr[kind]);
	free(qe);
	return 0;
}

/*
 * Background: a child of the window, over all of it, first painted with a
 * pixel of ours, then switched to ParentRelative and cleared: it shows the
 * window's background, or keeps our pixel when that is None (ClearArea
 * does nothing then).  A second pixel tells None from a background that
 * happens to be our first pixel.
 */
static int
cap_bg_try(struct cap *k, struct xs_window *w, uint32_t mine,
    struct xs_image *bg)
{
	uint32_t probe, v[3];
	int r;

	probe = xcb_generate_id(k->c);
	v[0] = mine;
	v[1] = 1;                                   /* override redirect */
	v[2] = 0;                                   /* no events */
	xcb_create_window(k->c, XCB_COPY_FROM_PARENT, probe, w->id, 0, 0,
	    w->width, w->height, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
	    XCB_COPY_FROM_PARENT, XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT |
	    XCB_CW_EVENT_MASK, v);
	xcb_map_window(k->c, probe);
	v[0] = XCB_BACK_PIXMAP_PARENT_RELATIVE;
	xcb_change_window_attributes(k->c, probe, XCB_CW_BACK_PIXMAP, v);
	xcb_clear_area(k->c, 0, probe, 0, 0, 0, 0);
	r = cap_get_image(k, probe, 0, 0, w->width, w->height, w->depth, bg);
	xcb_destroy_window(k->c, probe);
	return r;
}

static int
cap_background(struct cap *k, struct xs_window *w)
{
	struct xs_image bg, bg2;
	uint32_t m = cap_dmask(w->depth), pix, pix2;
	uint32_t k1 = 0x5a5a5a & m, k2 = 0xa5a5a5 & m;

	if (w->depth == 1) {
		k1 = 0;
		k2 = 1;
	}
	if (cap_bg_try(k, w, k1, &bg) < 0) {
		w->bg_kind = XS_BG_UNKNOWN;
		return 0;
	}
	if (xs_image_uniform(&bg, &pix)) {
		xs_image_free(&bg);
		if (pix == k1 && cap_bg_try(k, w, k2, &bg2) == 0) {
			if (xs_image_uniform(&bg2, &pix2) && pix2 == k2) {
				w->bg_kind = XS_BG_NONE;
				xs_image_free(&bg2);
				return 0;
			}
			xs_image_free(&bg2);
		}
		w->bg_kind = XS_BG_PIXEL;
		w->bg_pixel = pix;
		return 0;
	}
	w->bg_kind = XS_BG_IMAGE;
	w->bg_image = bg;
	return 0;
}

/* Border: the ring around the window, read from its parent. */
static void
cap_border(struct cap *k, struct xs_window *w, struct cap_win *cw)
{
	xcb_get_geometry_reply_t *pg;
	struct xs_image im;
	int bw = w->border_width, x0, y0, x1, y1, x, y, gx, gy, first = 1;
	uint32_t v, pix = 0;
	uint8_t pdepth;

	if (bw == 0)
		return;
	pg = xcb_get_geometry_reply(k->c, xcb_get_geometry(k->c, cw->parent),
	    NULL);
	if (pg == NULL)
		return;
	gx = cw->geom->x;
	gy = cw->geom->y;
	x0 = gx < 0 ? 0 : gx;
	y0 = gy < 0 ? 0 : gy;
	x1 = gx + w->width + 2 * bw;
	y1 = gy + w->height + 2 * bw;
	if (x1 > pg->width)
		x1 = pg->width;
	if (y1 > pg->height)
		y1 = pg->height;
	pdepth = pg->depth;
	free(pg);
	if (x1 <= x0 || y1 <= y0)
		return;
	if (cap_get_image(k, cw->parent, (int16_t)x0, (int16_t)y0,
	    (uint16_t)(x1 - x0), (uint16_t)(y1 - y0), pdepth, &im) < 0)
		return;
	for (y = y0; y < y1; y++) {
		for (x = x0; x < x1; x++) {
			int ix = x - gx, iy = y - gy;

			if (ix >= bw && ix < bw + w->width && iy >= bw &&
			    iy < bw + w->height)
				continue;
			v = xs_image_get(&im, (unsigned)(x - x0), (unsigned)(y - y0));
			if (first) {
				pix = v;
				first = 0;
			} else if (v != pix) {
				w->border_pixel = pix;
				xs_image_free(&im);
				return;    /* a pattern: not known */
			}
		}
	}
	xs_image_free(&im);
	if (!first) {
		w->border_pixel = pix;
		w->border_known = 1;
	}
}

static int
cap_window(struct cap *k, struct cap_win *cw, uint32_t parent)
{
	const xcb_get_window_attributes_reply_t *a = cw->attr;
	const xcb_visualtype_t *vt;
	xcb_translate_coordinates_reply_t *tc;
	struct xs_window *w;
	size_t i;
	int r;

	if ((w = xs_session_add_window(k->s)) == NULL)
		return -ENOMEM;
	w->id = cw->id;
	w->parent = parent;
	w->x = cw->geom->x;
	w->y = cw->geom->y;
	if (parent == 0 && cw->parent != k->screen->root) {
		tc = xcb_translate_coordinates_reply(k->c,
		    xcb_translate_coordinates(k->c, cw->parent, k->screen->root,
		    cw->geom->x, cw->geom->y), NULL);
		if (tc != NULL) {
			w->x = tc->dst_x;
			w->y = tc->dst_y;
			free(tc);
		}
	}
	w->width = cw->geom->width;
	w->height = cw->geom->height;
	w->border_width = cw->geom->border_width;
	w->cls = (uint8_t)a->_class;
	w->depth = cw->geom->depth;
	w->visual = a->visual;
	vt = cap_visual(k, a->visual, NULL);
	w->visual_class = vt != NULL ? vt->_class : 0;
	w->bit_gravity = a->bit_gravity;
	w->win_gravity = a->win_gravity;
	w->backing_store = a->backing_store;
	w->backing_planes = a->backing_planes;
	w->backing_pixel = a->backing_pixel;
	w->save_under = a->save_under;
	w->override_redirect = a->override_redirect;
	w->map_state = a->map_state;
	w->event_mask = a->all_event_masks & ~a->your_event_mask;
	w->dont_propagate = a->do_not_propagate_mask;
	if (a->colormap == XCB_NONE)
		w->cmap_kind = XS_CMAP_NONE;
	else if (a->colormap == k->screen->default_colormap)
		w->cmap_kind = XS_CMAP_DEFAULT;
	else if (cap_owned(k, a->colormap))
		w->cmap_kind = XS_CMAP_OWN;
	else
		w->cmap_kind = XS_CMAP_FOREIGN;
	w->colormap = a->colormap;
	w->bg_kind = XS_BG_UNKNOWN;
	if ((r = cap_props(k, w)) < 0 || (r = cap_shape(k, w)) < 0)
		return r;
	if (w->cls == XCB_WINDOW_CLASS_INPUT_OUTPUT &&
	    w->map_state == XCB_MAP_STATE_VIEWABLE) {
		if (!(k->flags & XS_CAP_NO_CONTENTS) &&
		    cap_get_image(k, w->id, 0, 0, w->width, w->height, w->depth,
		    &w->contents) < 0)
			memset(&w->contents, 0, sizeof w->contents);
		if (!cap_hinted(w, XS_HINT_BORDER))
			cap_border(k, w, cw);
	}
	cw->added = 1;
	/* children, bottom to top */
	for (i = 0; i < (size_t)xcb_query_tree_children_length(cw->tree); i++) {
		struct cap_win *ch = cap_win_find(k,
		    xcb_query_tree_children(cw->tree)[i]);

		if (ch != NULL && !ch->added && (r = cap_window(k, ch, cw->id)) < 0)
			return r;
	}
	return 0;
}

static int
cap_windows(struct cap *k)
{
	xcb_query_tree_reply_t *pt;
	size_t i, j;
	int r;

	if ((r = cap_win_fetch(k)) < 0)
		return r;
	/* top levels: parent not ours; in their parent's stacking order */
	for (i = 0; i < k->nwins; i++) {
		struct cap_win *cw = &k->wins[i];

		if (cw->added || cap_win_find(k, cw->parent) != NULL)
			continue;
		pt = xcb_query_tree_reply(k->c, xcb_query_tree(k->c, cw->parent),
		    NULL);
		if (pt == NULL)
			return -EIO;
		for (j = 0; j < (size_t)xcb_query_tree_children_length(pt); j++) {
			struct cap_win *t = cap_win_find(k,
			    xcb_query_tree_children(pt)[j]);

			if (t != NULL && !t->added &&
			    cap_win_find(k, t->parent) == NULL &&
			    t->parent == cw->parent &&
			    (r = cap_window(k, t, 0)) < 0) {
				free(pt);
				return r;
			}
		}
		free(pt);
	}
	/* probes damage what they cover: after every snapshot was taken */
	for (i = 0; i < k->s->nwindows && !(k->flags & XS_CAP_NO_PROBES); i++) {
		struct xs_window *w = &k->s->windows[i];

		if (w->cls == XCB_WINDOW_CLASS_INPUT_OUTPUT &&
		    w->map_state == XCB_MAP_STATE_VIEWABLE &&
		    !cap_hinted(w, XS_HINT_BACKGROUND))
			cap_background(k, w);
	}
	return 0;
}

/* ---- cursors (one pointer grab) ----------------------------------------------------- */

static int
cap_grab(struct cap *k, uint32_t window, uint32_t cursor)
{
	xcb_grab_pointer_reply_t *g;
	int ok;

	g = xcb_grab_pointer_reply(k->c, xcb_grab_pointer(k->c, 0, window, 0,
	    XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC, XCB_NONE, cursor,
	    XCB_CURRENT_TIME), NULL);
	ok = g != NULL && g->status == XCB_GRAB_STATUS_SUCCESS;
	free(g);
	return ok ? 0 : -EBUSY;
}

/* The windows from the root down to the deepest one under the pointer. */
static size_t
cap_pointer_chain(struct cap *k, uint32_t *chain, size_t max)
{
	xcb_query_pointer_reply_t *q;
	uint32_t w = k->screen->root;
	size_t n = 0;

	while (w != XCB_NONE && n < max) {
		chain[n++] = w;
		q = xcb_query_pointer_reply(k->c, xcb_query_pointer(k->c, w), NULL);
		if (q == NULL || !q->same_screen) {
			free(q);
			break;
		}
		w = q->child;
		free(q);
	}
	return n;
}

static int
cap_cursors(struct cap *k)
{
	xcb_xfixes_get_cursor_image_reply_t *ci;
	xcb_xfixes_get_cursor_image_cookie_t *ick = NULL;
	xcb_xfixes_query_version_reply_t *xv;
	xcb_grab_pointer_cookie_t *gck = NULL;
	struct xs_cursor *cu;
	uint32_t chain[64], serial, pserial, *wserial;
	size_t i, j, nchain, ncur, nck;
	int r = 0, grabbed = 0, inchain;

	ncur = cap_count_type(k, "CURSOR");
	xv = xcb_xfixes_query_version_reply(k->c, xcb_xfixes_query_version(k->c,
	    4, 0), NULL);
	k->have_xfixes = xv != NULL && xv->major_version >= 1;
	free(xv);
	k->cursor_serial = calloc(ncur + 1, sizeof *k->cursor_serial);
	wserial = calloc(k->s->nwindows + 1, sizeof *wserial);
	if (k->cursor_serial == NULL || wserial == NULL) {
		free(wserial);
		return -ENOMEM;
	}
	for (i = 0; i < k->nres; i++) {
		if (strcmp(k->res[i].type, "CURSOR") != 0)
			continue;
		if ((cu = xs_session_add_cursor(k->s)) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		cu->id = k->res[i].id;
	}
	if (!k->have_xfixes || (k->flags & XS_CAP_NO_PROBES))
		goto unknown;
	/*
	 * cursor images: the grab's cursor is the one displayed; one grab,
	 * then its cursor changed and the image asked for, for all cursors
	 * in one round trip
	 */
	nck = k->s->ncursors > k->s->nwindows ? k->s->ncursors : k->s->nwindows;
	if ((ick = calloc(nck + 1, sizeof *ick)) == NULL ||
	    (gck = calloc(nck + 1, sizeof *gck)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (k->s->ncursors > 0) {
		if (cap_grab(k, k->screen->root, k->s->cursors[0].id) < 0)
			goto unknown;
		grabbed = 1;
	}
	for (i = 0; i < k->s->ncursors; i++) {
		if (i > 0)
			xcb_change_active_pointer_grab(k->c,
			    k->s->cursors[i].id, XCB_CURRENT_TIME, 0);
		ick[i] = xcb_xfixes_get_cursor_image(k->c);
	}
	for (i = 0; i < k->s->ncursors; i++) {
		cu = &k->s->cursors[i];
		ci = xcb_xfixes_get_cursor_image_reply(k->c, ick[i], NULL);
		if (ci == NULL)
			continue;
		k->cursor_serial[i] = ci->cursor_serial;
		cu->width = ci->width;
		cu->height = ci->height;
		cu->xhot = ci->xhot;
		cu->yhot = ci->yhot;
		cu->argb = malloc((size_t)ci->width * ci->height * 4 + 4);
		if (cu->argb != NULL)
			memcpy(cu->argb, xcb_xfixes_get_cursor_image_cursor_image(ci),
			    (size_t)ci->width * ci->height * 4);
		free(ci);
		if (cu->argb == NULL) {
			r = -ENOMEM;
			goto drain;
		}
	}
	if (grabbed)
		xcb_ungrab_pointer(k->c, XCB_CURRENT_TIME);
	grabbed = 0;
	/*
	 * Window cursors: a grab with cursor None shows the grab window's own
	 * cursor while the pointer is outside it, so ancestors of the window
	 * under the pointer cannot be read.
	 */
	nchain = cap_pointer_chain(k, chain, 64);
	for (i = 0; i < k->s->nwindows; i++) {
		struct xs_window *w = &k->s->windows[i];

		if (w->map_state != XCB_MAP_STATE_VIEWABLE)
			continue;
		inchain = 0;
		for (j = 0; j + 1 < nchain; j++)
			if (chain[j] == w->id)
				inchain = 1;
		if (inchain)
			continue;
		/* grab, image, ungrab: every window's in one round trip */
		gck[i] = xcb_grab_pointer(k->c, 0, w->id, 0, XCB_GRAB_MODE_ASYNC,
		    XCB_GRAB_MODE_ASYNC, XCB_NONE, XCB_NONE, XCB_CURRENT_TIME);
		ick[i] = xcb_xfixes_get_cursor_image(k->c);
		xcb_ungrab_pointer(k->c, XCB_CURRENT_TIME);
	}
	for (i = 0; i < k->s->nwindows; i++) {
		struct xs_window *w = &k->s->windows[i];
		xcb_grab_pointer_reply_t *gr;

		if (gck[i].sequence == 0)
			continue;
		gr = xcb_grab_pointer_reply(k->c, gck[i], NULL);
		ci = xcb_xfixes_get_cursor_image_reply(k->c, ick[i], NULL);
		if (gr == NULL || gr->status != XCB_GRAB_STATUS_SUCCESS ||
		    ci == NULL) {
			free(gr);
			free(ci);
			continue;
		}
		free(gr);
		serial = ci->cursor_serial;
		free(ci);
		wserial[i] = serial;
		pserial = 0;
		for (j = 0; j < i; j++)
			if (k->s->windows[j].id == w->parent)
				pserial = wserial[j];
		w->cursor_known = 1;
		w->cursor = XCB_NONE;
		if (serial == pserial)
			continue;     /* shows its parent's: None */
		for (j = 0; j < k->s->ncursors; j++)
			if (k->cursor_serial[j] == serial && serial != 0)
				w->cursor = k->s->cursors[j].id;
	}
	goto out;
drain:
	for (i++; i < k->s->ncursors; i++)
		free(xcb_xfixes_get_cursor_image_reply(k->c, ick[i], NULL));
	if (grabbed)
		xcb_ungrab_pointer(k->c, XCB_CURRENT_TIME);
	goto out;
unknown:
	if (grabbed)
		xcb_ungrab_pointer(k->c, XCB_CURRENT_TIME);
	for (i = 0; i < k->s->ncursors; i++)
		if (k->s->cursors[i].argb == NULL)
			break;
	if (i < k->s->ncursors) {
		if (!(k->flags & XS_CAP_PARTIAL)) {
			r = -EPERM;
			goto out;
		}
		r = xs_session_add_loss(k->s, "CURSOR", (uint32_t)(k->s->ncursors - i),
		    "cursor images (no XFIXES, pointer grabbed, or no probes)");
		k->s->flags |= XS_SF_PARTIAL;
	}
out:
	free(ick);
	free(gck);
	free(wserial);
	return r;
}

/* ---- passive grabs --------------------------------------------------------------------- */

/* A GrabKey or GrabButton of ours, checked. */
static xcb_void_cookie_t
cap_grab_probe(struct cap *k, uint32_t win, int key, uint8_t detail,
    uint16_t mods)
{
	if (key)
		return xcb_grab_key_checked(k->c, 0, win, mods, detail,
		    XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC);
	return xcb_grab_button_checked(k->c, 0, win,
	    XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_BUTTON_RELEASE,
	    XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC, XCB_NONE, XCB_NONE,
	    detail, mods);
}

/* Releases grabs of ours (never another client's). */
static void
cap_ungrab(struct cap *k, uint32_t win, int key, uint8_t detail,
    uint16_t mods)
{
	if (key)
		xcb_ungrab_key(k->c, detail, win, mods);
	else
		xcb_ungrab_button(k->c, detail, win, mods);
}

/* 1 when the probe failed with BadAccess: another client's grab is there. */
static int
cap_grab_hit(struct cap *k, xcb_void_cookie_t ck)
{
	int code = 0;

	return cap_check(k->c, ck, &code) != 0 && code == XCB_ACCESS;
}

struct cap_gprobe {         /* a (window, key or button, detail) probed */
	uint32_t win;
	uint8_t  key, detail;
};

/*
 * Which (detail, modifiers) other clients grabbed on the client's windows:
 * a GrabButton or GrabKey of ours fails with BadAccess exactly there.  A
 * client's own grabs never conflict with each other, so the probes are
 * pipelined, for all windows at once: AnyKey and AnyButton with
 * AnyModifier on every window (one round trip), every detail where those
 * conflicted (one more), the 256 modifier combinations of every
 * conflicting detail (one more); ours are released with Ungrabs of
 * AnyModifier (which touch only our own grabs).  (Was one round trip per
 * probe: 1500 for xterm, then 2 to 4 per window: 3-4 ms of xterm's detach.)
 */
static int
cap_grabs_probe(struct cap *k, size_t *found)
{
	struct cap_gprobe *h1 = NULL, *h2 = NULL;
	xcb_void_cookie_t *ck = NULL;
	size_t nw = k->s->nwindows, n1 = 0, n2 = 0, i, n;
	unsigned d, lo, hi, m, nm;
	uint8_t *mods = NULL;
	struct xs_grab *g;
	int r = -ENOMEM;

	if ((h1 = calloc(2 * nw + 1, sizeof *h1)) == NULL ||
	    (ck = calloc(2 * nw + 1, sizeof *ck)) == NULL)
		goto out;
	for (i = 0; i < 2 * nw; i++)
		ck[i] = cap_grab_probe(k, k->s->windows[i / 2].id, (int)(i % 2),
		    0, XCB_MOD_MASK_ANY);
	for (i = 0; i < 2 * nw; i++) {
		if (!cap_grab_hit(k, ck[i])) {
			cap_ungrab(k, k->s->windows[i / 2].id, (int)(i % 2), 0,
			    XCB_MOD_MASK_ANY);
			continue;
		}
		h1[n1].win = k->s->windows[i / 2].id;
		h1[n1++].key = (uint8_t)(i % 2);
	}
	free(ck);
	ck = NULL;
	if (n1 == 0) {
		r = 0;
		goto out;
	}
	/* which details conflict at all */
	if ((ck = calloc(n1 * 256, sizeof *ck)) == NULL ||
	    (h2 = calloc(n1 * 256, sizeof *h2)) == NULL)
		goto out;
	for (i = 0, n = 0; i < n1; i++) {
		lo = h1[i].key ? k->setup->min_keycode : 1;
		hi = h1[i].key ? k->setup->max_keycode : 5;
		for (d = lo; d <= hi; d++)
			ck[n++] = cap_grab_probe(k, h1[i].win, h1[i].key,
			    (uint8_t)d, XCB_MOD_MASK_ANY);
	}
	for (i = 0, n = 0; i < n1; i++) {
		lo = h1[i].key ? k->setup->min_keycode : 1;
		hi = h1[i].key ? k->setup->max_keycode : 5;
		for (d = lo; d <= hi; d++) {
			if (!cap_grab_hit(k, ck[n++]))
				continue;
			h2[n2].win = h1[i].win;
			h2[n2].key = h1[i].key;
			h2[n2++].detail = (uint8_t)d;
		}
		cap_ungrab(k, h1[i].win, h1[i].key, XCB_GRAB_ANY,
		    XCB_MOD_MASK_ANY);
	}
	free(ck);
	ck = NULL;
	/* the modifier combinations of each conflicting detail */
	if ((ck = calloc(n2 * 256 + 1, sizeof *ck)) == NULL ||
	    (mods = calloc(n2 * 256 + 1, 1)) == NULL)
		goto out;
	for (i = 0; i < n2; i++) {
		for (m = 0; m < 256; m++)
			ck[i * 256 + m] = cap_grab_probe(k, h2[i].win, h2[i].key,
			    h2[i].detail, (uint16_t)m);
		/* at once: the server checks each new grab against the
		 * window's list, ours included */
		cap_ungrab(k, h2[i].win, h2[i].key, h2[i].detail,
		    XCB_MOD_MASK_ANY);
	}
	for (i = 0; i < n2 * 256; i++)
		mods[i] = (uint8_t)cap_grab_hit(k, ck[i]);
	for (i = 0; i < n2; i++) {
		for (m = 0, nm = 0; m < 256; m++)
			nm += mods[i * 256 + m];
		for (m = 0; m < 256; m++) {
			if (nm == 256 ? m > 0 : !mods[i * 256 + m])
				continue;
			if ((g = xs_session_add_grab(k->s)) == NULL)
				goto out;
			g->window = h2[i].win;
			g->key = h2[i].key;
			g->detail = h2[i].detail;
			g->modifiers = nm == 256 ? XCB_MOD_MASK_ANY : (uint16_t)m;
			(*found)++;
		}
	}
	r = 0;
out:
	free(h1);
	free(h2);
	free(ck);
	free(mods);
	return r;
}

static int
cap_grabs(struct cap *k)
{
	size_t want = cap_count_type(k, "PASSIVE GRAB"), found = 0;
	char what[160];
	int r;

	if (want == 0)
		return 0;
	if (cap_grab_hint != NULL && !(k->flags & XS_CAP_NO_PROBES) &&
	    cap_grab_hint(cap_grab_hint_arg, k->s) == 1) {
		if (k->s->ngrabs == want)
			return 0;
		log_debug("passive grabs: %zu hinted, %zu counted: probing",
		    k->s->ngrabs, want);
	}
	k->s->ngrabs = 0;
	if ((r = cap_grabs_probe(k, &found)) < 0)
		return r;
	if (found == want)
		return 0;
	snprintf(what, sizeof what, "passive grabs: %zu reported, %zu found on "
	    "the client's windows", want, found);
	if (!(k->flags & XS_CAP_PARTIAL))
		return -EPERM;
	k->s->flags |= XS_SF_PARTIAL;
	return xs_session_add_loss(k->s, "PASSIVE GRAB",
	    (uint32_t)(want > found ? want - found : 0), what);
}

/* ---- the whole ---------------------------------------------------------------------------- */

static xcb_screen_t *
cap_screen_of(struct cap *k, uint32_t id)
{
	xcb_screen_iterator_t it = xcb_setup_roots_iterator(k->setup);
	xcb_get_geometry_reply_t *g;
	xcb_screen_t *first = it.data;

	g = xcb_get_geometry_reply(k->c, xcb_get_geometry(k->c, id), NULL);
	if (g == NULL)
		return first;
	for (; it.rem; xcb_screen_next(&it)) {
		if (it.data->root == g->root) {
			free(g);
			return it.data;
		}
	}
	free(g);
	return first;
}

static uint64_t
cap_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
cap_run(struct cap *k, uint32_t id, char **cause)
{
	const xcb_visualtype_t *rv;
	const xcb_query_extension_reply_t *qe;
	uint64_t t = cap_now_us(), tw, tr[5] = { 0, 0, 0, 0, 0 }, t1;
	size_t i, w = 0;
	int r, kind;

	if ((r = xs_capture_list(k->c, id, &k->base, &k->mask, &k->res, &k->nres,
	    cause)) < 0)
		return r;
	k->screen = cap_screen_of(k, id);
	if (k->screen == NULL) {
		cap_cause(cause, "the display has no screen");
		return -EIO;
	}
	k->s->client_base = k->base;
	k->s->client_mask = k->mask;
	k->s->root = k->screen->root;
	k->s->root_visual = k->screen->root_visual;
	k->s->default_colormap = k->screen->default_colormap;
	k->s->screen_width = k->screen->width_in_pixels;
	k->s->screen_height = k->screen->height_in_pixels;
	k->s->root_depth = k->screen->root_depth;
	rv = cap_visual(k, k->screen->root_visual, NULL);
	if (rv != NULL) {
		k->s->root_visual_class = rv->_class;
		k->s->red_mask = rv->red_mask;
		k->s->green_mask = rv->green_mask;
		k->s->blue_mask = rv->blue_mask;
	}
	{
		char err[256];

		k->evgui = evgui_present(k->c, &k->evgui_major, err,
		    sizeof err) == 1;
	}
	if ((r = cap_classify(k, cause)) < 0)
		return r;
	qe = xcb_get_extension_data(k->c, &xcb_shape_id);
	k->have_shape = qe != NULL && qe->present;

	k->wins = calloc(cap_count_type(k, "WINDOW") + 1, sizeof *k->wins);
	if (k->wins == NULL)
		return -ENOMEM;
	for (i = 0; i < k->nres; i++)
		if (strcmp(k->res[i].type, "WINDOW") == 0)
			k->wins[w++].id = k->res[i].id;
	k->nwins = w;
	tw = cap_now_us();
	if ((r = cap_windows(k)) < 0) {
		cap_cause(cause, "reading the window tree failed (%s)",
		    strerror(-r));
		return r;
	}
	tr[4] = cap_now_us() - tw;
	for (i = 0; i < k->nres; i++) {
		const char *ty = k->res[i].type;

		t1 = cap_now_us();
		kind = 0;
		if (strcmp(ty, "COLORMAP") == 0)
			r = cap_colormap(k, k->res[i].id);
		else if (kind = 1, strcmp(ty, "PIXMAP") == 0)
			r = cap_pixmap(k, k->res[i].id);
		else if (kind = 2, strcmp(ty, "FONT") == 0)
			r = cap_font(k, k->res[i].id);
		else if (kind = 3, strcmp(ty, "GC") == 0)
			r = cap_gc(k, k->res[i].id);
		else
			r = 0;
		tr[kind] += cap_now_us() - t1;
		if (r < 0) {
			cap_cause(cause, "capturing %s 0x%x failed (%s)", ty,
			    k->res[i].id, strerror(-r));
			return r;
		}
	}
	log_debug("capture: list and classify %llu us, windows %llu, colormaps "
	    "%llu, pixmaps %llu, fonts %llu, %zu GCs (%zu hinted) %llu us",
	    (unsigned long long)(tw - t), (unsigned long long)tr[4],
	    (unsigned long long)tr[0], (unsigned long long)tr[1],
	    (unsigned long long)tr[2], k->s->ngcs, k->gcs_hinted,
	    (unsigned long long)tr[3]);
	t1 = cap_now_us();
	if (k->evgui) {
		struct xs_capture_cb cb = { cap_owned_cb, cap_image_cb,
		    cap_format_cb, k };

		if ((r = xs_capture_render(k->c, k->evgui_major, k->s, k->res,
		    k->nres, &cb, cause)) < 0)
			return r;
	}
	if ((r = cap_cursors(k)) < 0) {
		cap_cause(cause, r == -EPERM ? "cannot move: cursor images "
		    "unreadable (no XFIXES, or the pointer is grabbed)" :
		    "capturing cursors failed (%s)", strerror(-r));
		return r;
	}
	tw = cap_now_us();
	if ((r = cap_grabs(k)) < 0) {
		cap_cause(cause, r == -EPERM ? "cannot move: some PASSIVE GRAB "
		    "not found on the client's windows" :
		    "probing passive grabs failed (%s)", strerror(-r));
		return r;
	}
	log_debug("capture: %zu cursors %llu us, passive grabs %llu us",
	    k->s->ncursors, (unsigned long long)(tw - t1),
	    (unsigned long long)(cap_now_us() - tw));
	return 0;
}

int
xs_capture_flags(xcb_connection_t *c, uint32_t id, int flags,
    struct xs_session **out, char **cause)
{
	struct cap k;
	size_t i;
	int r;

	*out = NULL;
	memset(&k, 0, sizeof k);
	k.c = c;
	k.flags = flags;
	k.setup = xcb_get_setup(c);
	if (xcb_connection_has_error(c)) {
		cap_cause(cause, "the X connection is broken");
		return -EIO;
	}
	if ((k.s = xs_session_new()) == NULL)
		return -ENOMEM;
	/* Nothing may change while we read: the server serves only us. */
	xcb_grab_server(c);
	r = cap_run(&k, id, cause);
	cap_probes_free(&k);
	xcb_ungrab_server(c);
	xcb_flush(c);
	if (r == 0 && xcb_connection_has_error(c)) {
		cap_cause(cause, "the X connection broke during capture");
		r = -EIO;
	}
	for (i = 0; i < k.nwins; i++) {
		free(k.wins[i].attr);
		free(k.wins[i].geom);
		free(k.wins[i].tree);
	}
	free(k.wins);
	free(k.res);
	free(k.cursor_serial);
	if (r < 0) {
		xs_session_free(k.s);
		return r;
	}
	*out = k.s;
	return 0;
}

int
xs_capture(xcb_connection_t *c, uint32_t id, struct xs_session **out,
    char **cause)
{
	return xs_capture_flags(c, id, 0, out, cause);
}

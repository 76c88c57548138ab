/*
 * Check suite for guievict/xsession/session (the session file format,
 * images, the id map) and fontmatch (least squares over a fixed table).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "guievict/xsession/fontmatch.h"
#include "guievict/xsession/session.h"

static void
fill_image(struct xs_image *im, uint16_t w, uint16_t h, uint8_t depth,
    uint8_t bpp, uint32_t seed)
{
	unsigned x, y;

	ck_assert_int_eq(xs_image_alloc(im, w, h, depth, bpp, 32, 0, 0), 0);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			xs_image_put(im, x, y, seed * 31 + x * 7 + y * 13);
}

/* A session with every kind of object. */
/* RENDER state: an a8 format, a glyph set, a drawn and a gradient picture. */
static void
sample_render(struct xs_render *r)
{
	struct xs_pictformat *f = xs_render_add_format(r);
	struct xs_glyphset *g;
	struct xs_picture *p;

	f->id = 0x2a;
	f->type = 1;
	f->depth = 8;
	f->alpha_mask = 0xff;
	g = xs_render_add_glyphset(r);
	g->id = 0x40000c;
	g->format = 0x2a;
	g->depth = 8;
	g->nglyphs = 2;
	g->glyphs = calloc(2, sizeof *g->glyphs);
	g->glyphs[0].id = 65;
	g->glyphs[0].width = 3;
	g->glyphs[0].height = 2;
	g->glyphs[0].y = -1;
	g->glyphs[0].xoff = 4;
	g->glyphs[0].image_len = 8;
	g->glyphs[0].image = calloc(1, 8);
	g->glyphs[0].image[5] = 0x7f;
	g->glyphs[1].id = 70000;      /* empty: a space */
	g->glyphs[1].xoff = 4;
	p = xs_render_add_picture(r);
	p->id = 0x40000d;
	p->drawable = 0x400003;
	p->format = 0x2a;
	p->repeat = 3;
	p->has_clip = 1;
	p->clip_x = -2;
	p->nrects = 1;
	p->rects = calloc(1, sizeof *p->rects);
	p->rects[0].width = 9;
	p->has_transform = 1;
	p->transform[0] = 0x10000;
	strcpy(p->filter, "convolution");
	p->nparams = 2;
	p->params = calloc(2, sizeof *p->params);
	p->params[1] = -7;
	p->alpha_map = 0x40000e;
	p = xs_render_add_picture(r);
	p->id = 0x40000e;
	p->source = XS_PIC_LINEAR;
	p->args[3] = 40 << 16;
	p->nstops = 2;
	p->stops = calloc(2, sizeof *p->stops);
	p->stops[1].offset = 0x10000;
	p->stops[1].alpha = 0xffff;
	xs_render_add_selection(r)->window = 0x2a0;
	r->selections[0].mask = 0x400000;
	{
		struct xs_dbe *d = xs_render_add_dbe(r);

		d->buffer = 0x40000f;
		d->window = 0x400003;
		d->swap_action = 3;
	}
}

static struct xs_session *
sample(void)
{
	struct xs_session *s = xs_session_new();
	struct xs_window *w;
	struct xs_prop *p;
	struct xs_pixmap *pm;
	struct xs_gc *g;
	struct xs_font *f;
	struct xs_cursor *c;
	struct xs_colormap *m;
	struct xs_grab *gr;
	uint32_t v;
	int i;

	ck_assert_ptr_nonnull(s);
	s->client_base = 0x400000;
	s->client_mask = 0x1fffff;
	s->root = 0x50d;
	s->root_visual = 0x21;
	s->default_colormap = 0x20;
	s->screen_width = 1024;
	s->screen_height = 768;
	s->root_depth = 24;
	s->root_visual_class = 4;
	s->red_mask = 0xff0000;
	s->green_mask = 0xff00;
	s->blue_mask = 0xff;
	ck_assert_int_eq(xs_session_add_atom(s, 300, "WM_PROTOCOLS"), 0);
	ck_assert_int_eq(xs_session_add_atom(s, 301, "UTF8_STRING"), 0);
	ck_assert_int_eq(xs_session_add_atom(s, 300, "again"), 0);
	ck_assert_uint_eq(s->natoms, 2);

	w = xs_session_add_window(s);
	w->id = 0x400003;
	w->x = -5;
	w->y = 7;
	w->width = 100;
	w->height = 50;
	w->border_width = 1;
	w->cls = 1;
	w->depth = 24;
	w->visual = 0x21;
	w->visual_class = 4;
	w->map_state = 2;
	w->event_mask = 0x28001;
	w->cmap_kind = XS_CMAP_DEFAULT;
	w->colormap = 0x20;
	w->cursor_known = 1;
	w->cursor = 0x400009;
	w->bg_kind = XS_BG_IMAGE;
	fill_image(&w->bg_image, 100, 50, 24, 32, 1);
	fill_image(&w->contents, 100, 50, 24, 32, 2);
	w->shaped = 1;
	w->nrects[0] = 2;
	w->rects[0] = calloc(2, sizeof *w->rects[0]);
	w->rects[0][0] = (struct xs_rect){ -1, -1, 10, 10 };
	w->rects[0][1] = (struct xs_rect){ 20, 5, 3, 4 };
	p = xs_window_add_prop(w);
	p->name = 39;               /* WM_NAME */
	p->type = 31;               /* STRING */
	p->format = 8;
	p->nitems = 5;
	p->data = (uint8_t *)strdup("xlogo");
	p = xs_window_add_prop(w);
	p->name = 300;
	p->type = 4;                /* ATOM */
	p->format = 32;
	p->nitems = 2;
	p->data = malloc(8);
	v = 301;
	memcpy(p->data, &v, 4);
	v = 68;
	memcpy(p->data + 4, &v, 4);
	p = xs_window_add_prop(w);
	p->name = 301;
	p->type = 301;
	p->format = 16;
	p->nitems = 1;
	p->data = malloc(2);
	p->data[0] = 0x12;
	p->data[1] = 0x34;

	w = xs_session_add_window(s);
	w->id = 0x400006;
	w->parent = 0x400003;
	w->width = 1;
	w->height = 1;
	w->cls = 2;
	w->bg_kind = XS_BG_UNKNOWN;

	pm = xs_session_add_pixmap(s);
	pm->id = 0x400001;
	pm->width = 9;
	pm->height = 3;
	pm->depth = 1;
	fill_image(&pm->image, 9, 3, 1, 1, 3);

	g = xs_session_add_gc(s);
	g->id = 0x400000;
	g->depth = 24;
	g->known = (1u << XS_GC_FOREGROUND) | (1u << XS_GC_LINE_WIDTH) |
	    (1u << XS_GC_FONT) | (1u << XS_GC_DASHES);
	for (i = 0; i < XS_GC_NVALUES; i++)
		g->values[i] = (uint32_t)i * 3;
	g->font_name = strdup("-misc-fixed-medium-r-semicondensed--13-120-75-75-"
	    "c-60-iso8859-1");
	g->ndashes = 2;
	g->dashes = malloc(2);
	g->dashes[0] = 4;
	g->dashes[1] = 2;
	fill_image(&g->clip, 16, 16, 1, 1, 4);
	fill_image(&g->tile, 4, 4, 24, 32, 5);

	f = xs_session_add_font(s);
	f->id = 0x400005;
	f->name = strdup("cursor");
	f->geom = (struct xs_fontgeom){ 12, 3, 0, 16, 85 };

	c = xs_session_add_cursor(s);
	c->id = 0x400009;
	c->width = 2;
	c->height = 2;
	c->xhot = 1;
	c->argb = calloc(4, 4);
	c->argb[3] = 0xff00ff00;
	c = xs_session_add_cursor(s);
	c->id = 0x40000a;           /* unknown image */

	m = xs_session_add_colormap(s);
	m->id = 0x40000b;
	m->visual = 0x22;
	m->visual_class = 3;
	m->ncells = 2;
	m->rgb = calloc(6, 2);
	m->rgb[5] = 0xffff;

	gr = xs_session_add_grab(s);
	gr->window = 0x400003;
	gr->detail = 3;
	gr->modifiers = 0x8000;
	ck_assert_int_eq(xs_session_add_loss(s, "XkbClient", 1, "selection"), 0);
	sample_render(&s->render);
	return s;
}

static void
encode(const struct xs_session *s, struct wbuf *b)
{
	wbuf_init(b, XS_FILE_MAX);
	ck_assert_int_eq(xs_session_encode(s, b), 0);
}

START_TEST(test_round_trip)
{
	struct xs_session *s = sample(), *t = NULL;
	struct wbuf a, b;
	const struct xs_window *w;

	encode(s, &a);
	ck_assert_int_eq(xs_session_decode(a.data, a.len, &t), 0);
	/* re-encoding gives the same bytes */
	encode(t, &b);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
	/* and the fields came back */
	ck_assert_uint_eq(t->client_base, 0x400000);
	ck_assert_uint_eq(t->blue_mask, 0xff);
	ck_assert_str_eq(xs_session_atom_name(t, 301), "UTF8_STRING");
	ck_assert_uint_eq(t->nwindows, 2);
	w = xs_session_window(t, 0x400003);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(w->x, -5);
	ck_assert_uint_eq(w->event_mask, 0x28001);
	ck_assert(xs_image_equal(&w->bg_image, &s->windows[0].bg_image));
	ck_assert(xs_image_equal(&w->contents, &s->windows[0].contents));
	ck_assert_int_eq(w->rects[0][0].x, -1);
	ck_assert_uint_eq(w->nprops, 3);
	ck_assert_int_eq(memcmp(w->props[0].data, "xlogo", 5), 0);
	ck_assert_int_eq(memcmp(w->props[1].data, s->windows[0].props[1].data,
	    8), 0);
	ck_assert_int_eq(memcmp(w->props[2].data, "\x12\x34", 2), 0);
	ck_assert_uint_eq(t->windows[1].parent, 0x400003);
	ck_assert(xs_image_equal(&t->pixmaps[0].image, &s->pixmaps[0].image));
	ck_assert_str_eq(t->gcs[0].font_name, s->gcs[0].font_name);
	ck_assert_uint_eq(t->gcs[0].values[22], 66);
	ck_assert_uint_eq(t->gcs[0].dashes[1], 2);
	ck_assert(xs_image_equal(&t->gcs[0].clip, &s->gcs[0].clip));
	ck_assert(xs_image_equal(&t->gcs[0].tile, &s->gcs[0].tile));
	ck_assert_int_eq(t->fonts[0].geom.avg_width, 85);
	ck_assert_uint_eq(t->cursors[0].argb[3], 0xff00ff00);
	ck_assert_ptr_null(t->cursors[1].argb);
	ck_assert_uint_eq(t->colormaps[0].rgb[5], 0xffff);
	ck_assert_uint_eq(t->grabs[0].modifiers, 0x8000);
	ck_assert_str_eq(t->losses[0].type, "XkbClient");
	ck_assert_uint_eq(t->render.nformats, 1);
	ck_assert_uint_eq(t->render.formats[0].alpha_mask, 0xff);
	ck_assert_uint_eq(t->render.glyphsets[0].nglyphs, 2);
	ck_assert_int_eq(t->render.glyphsets[0].glyphs[0].y, -1);
	ck_assert_uint_eq(t->render.glyphsets[0].glyphs[0].image[5], 0x7f);
	ck_assert_ptr_null(t->render.glyphsets[0].glyphs[1].image);
	ck_assert_uint_eq(t->render.npictures, 2);
	ck_assert_int_eq(t->render.pictures[0].clip_x, -2);
	ck_assert_str_eq(t->render.pictures[0].filter, "convolution");
	ck_assert_int_eq(t->render.pictures[0].params[1], -7);
	ck_assert_uint_eq(t->render.pictures[0].alpha_map, 0x40000e);
	ck_assert_uint_eq(t->render.pictures[1].source, XS_PIC_LINEAR);
	ck_assert_uint_eq(t->render.pictures[1].stops[1].alpha, 0xffff);
	ck_assert_uint_eq(t->render.nselections, 1);
	ck_assert_uint_eq(t->render.selections[0].mask, 0x400000);
	ck_assert_uint_eq(t->render.ndbes, 1);
	ck_assert_uint_eq(t->render.dbes[0].swap_action, 3);
	ck_assert_ptr_null(t->render.dbes[0].contents);
	wbuf_free(&a);
	wbuf_free(&b);
	xs_session_free(s);
	xs_session_free(t);
}
END_TEST

START_TEST(test_every_truncation_fails)
{
	struct xs_session *s = sample(), *t;
	struct wbuf a;
	size_t cut;

	encode(s, &a);
	for (cut = 0; cut < a.len; cut++) {
		t = (struct xs_session *)1;
		ck_assert_int_lt(xs_session_decode(a.data, cut, &t), 0);
		ck_assert_ptr_null(t);
	}
	wbuf_free(&a);
	xs_session_free(s);
}
END_TEST

/* A glyph set whose format is not in the file, or a glyph whose image
 * does not match its size, is refused. */
START_TEST(test_bad_render)
{
	struct xs_session *s = sample(), *t = NULL;
	struct wbuf a;

	s->render.glyphsets[0].format = 0x2b;
	encode(s, &a);
	ck_assert_int_eq(xs_session_decode(a.data, a.len, &t), -EBADMSG);
	wbuf_free(&a);
	s->render.glyphsets[0].format = 0x2a;
	s->render.glyphsets[0].glyphs[0].image_len = 6;
	encode(s, &a);
	ck_assert_int_eq(xs_session_decode(a.data, a.len, &t), -EBADMSG);
	wbuf_free(&a);
	s->render.glyphsets[0].glyphs[0].image_len = 8;
	s->render.pictures[0].format = 0;
	encode(s, &a);
	ck_assert_int_eq(xs_session_decode(a.data, a.len, &t), -EBADMSG);
	wbuf_free(&a);
	xs_session_free(s);
}
END_TEST

START_TEST(test_bad_files)
{
	struct xs_session *s = sample(), *t;
	struct wbuf a;
	uint8_t *copy;
	size_t i;

	encode(s, &a);
	copy = malloc(a.len);
	/* bad magic, unknown version */
	memcpy(copy, a.data, a.len);
	copy[0] ^= 1;
	ck_assert_int_eq(xs_session_decode(copy, a.len, &t), -EBADMSG);
	memcpy(copy, a.data, a.len);
	copy[5] = 99;
	ck_assert_int_eq(xs_session_decode(copy, a.len, &t), -EPROTONOSUPPORT);
	/* every single flipped byte: an error or a session, never a crash */
	for (i = 8; i < a.len; i += 7) {
		memcpy(copy, a.data, a.len);
		copy[i] ^= 0x5a;
		if (xs_session_decode(copy, a.len, &t) == 0)
			xs_session_free(t);
	}
	free(copy);
	wbuf_free(&a);
	/* a child before its parent is refused */
	s->windows[1].parent = 0x400077;
	encode(s, &a);
	ck_assert_int_eq(xs_session_decode(a.data, a.len, &t), -EBADMSG);
	wbuf_free(&a);
	/* a property named by an atom missing from the table */
	s->windows[1].parent = 0x400003;
	s->windows[0].props[0].name = 999;
	encode(s, &a);
	ck_assert_int_eq(xs_session_decode(a.data, a.len, &t), -EBADMSG);
	wbuf_free(&a);
	xs_session_free(s);
}
END_TEST

START_TEST(test_images)
{
	struct xs_image a, b;
	uint32_t px;
	unsigned x, y;

	/* 24-in-32, LSB first, to 24-in-24 MSB first and back */
	fill_image(&a, 7, 5, 24, 32, 9);
	memset(&b, 0, sizeof b);
	b.bpp = 24;
	b.pad = 8;
	b.msb_bytes = 1;
	ck_assert_int_eq(xs_image_convert(&a, &b), 0);
	ck_assert_uint_eq(b.stride, 21);
	ck_assert(xs_image_equal(&a, &b));
	ck_assert_uint_eq(b.data[0], (xs_image_get(&a, 0, 0) >> 16) & 0xff);
	xs_image_free(&b);
	/* bitmaps in both bit orders */
	xs_image_free(&a);
	fill_image(&a, 19, 3, 1, 1, 1);
	b.bpp = 1;
	b.pad = 8;
	b.msb_bytes = 1;
	b.msb_bits = 1;
	ck_assert_int_eq(xs_image_convert(&a, &b), 0);
	for (y = 0; y < 3; y++)
		for (x = 0; x < 19; x++)
			ck_assert_uint_eq(xs_image_get(&a, x, y),
			    xs_image_get(&b, x, y));
	ck_assert_int_eq(xs_image_uniform(&a, &px), 0);
	xs_image_free(&b);
	xs_image_free(&a);
	ck_assert_int_eq(xs_image_alloc(&a, 4, 4, 8, 8, 32, 0, 0), 0);
	ck_assert_int_eq(xs_image_uniform(&a, &px), 1);
	ck_assert_uint_eq(px, 0);
	xs_image_free(&a);
	ck_assert_int_eq(xs_image_alloc(&a, 4, 4, 8, 7, 32, 0, 0), -EINVAL);
}
END_TEST

START_TEST(test_idmap)
{
	struct xs_idmap m;
	uint32_t i;

	xs_idmap_init(&m);
	for (i = 200; i > 0; i--)
		ck_assert_int_eq(xs_idmap_add(&m, XS_ID_WINDOW, i * 3, i + 1000), 0);
	ck_assert_int_eq(xs_idmap_add(&m, XS_ID_PIXMAP, 3, 7), 0);
	ck_assert_int_eq(xs_idmap_add(&m, XS_ID_WINDOW, 3, 5), 0);  /* replace */
	ck_assert_uint_eq(m.n, 201);
	ck_assert_uint_eq(xs_idmap_get(&m, XS_ID_WINDOW, 3), 5);
	ck_assert_uint_eq(xs_idmap_get(&m, XS_ID_PIXMAP, 3), 7);
	ck_assert_uint_eq(xs_idmap_get(&m, XS_ID_WINDOW, 600), 1200);
	ck_assert_uint_eq(xs_idmap_get(&m, XS_ID_WINDOW, 4), 0);
	ck_assert_uint_eq(xs_idmap_get(&m, XS_ID_GC, 3), 0);
	ck_assert_str_eq(xs_id_kind_name(XS_ID_CURSOR), "cursor");
	xs_idmap_free(&m);
}
END_TEST

/* A fixed table, as a server's ListFontsWithInfo might give it. */
static const char *const font_names[] = {
	"-misc-fixed-medium-r-normal--10-100-75-75-c-60-iso8859-1",
	"-misc-fixed-medium-r-semicondensed--13-120-75-75-c-60-iso8859-1",
	"-misc-fixed-medium-r-normal--13-120-75-75-c-70-iso8859-1",
	"-misc-fixed-bold-r-normal--13-120-75-75-c-70-iso8859-1",
	"-adobe-helvetica-medium-r-normal--12-120-75-75-p-67-iso8859-1",
	"-misc-fixed-medium-r-normal--20-200-75-75-c-100-iso8859-1",
};
static const struct xs_fontgeom font_geoms[] = {
	{ 8, 2, 6, 6, 60 },
	{ 11, 2, 6, 6, 60 },
	{ 11, 2, 7, 7, 70 },
	{ 11, 2, 7, 7, 70 },
	{ 11, 3, 3, 12, 67 },
	{ 16, 4, 10, 10, 100 },
};

START_TEST(test_font_match)
{
	struct xs_fontgeom want;
	int i;

	/* an exact geometry wins */
	for (i = 0; i < 6; i++) {
		if (i == 3)
			continue;   /* same geometry as 2: the name decides */
		ck_assert_int_eq(xs_font_match(&font_geoms[i], NULL, font_geoms,
		    font_names, 6), i);
	}
	/* equal geometry: the XLFD fields break the tie */
	ck_assert_int_eq(xs_font_match(&font_geoms[3], font_names[3],
	    font_geoms, font_names, 6), 3);
	ck_assert_int_eq(xs_font_match(&font_geoms[3],
	    "-foo-fixed-medium-r-normal--13-120-75-75-c-70-iso8859-1",
	    font_geoms, font_names, 6), 2);
	/* a 12-pixel fixed font, absent: the 13-pixel semicondensed */
	want = (struct xs_fontgeom){ 10, 2, 6, 6, 60 };
	ck_assert_int_eq(xs_font_match(&want,
	    "-misc-fixed-medium-r-normal--12-110-75-75-c-60-iso8859-1",
	    font_geoms, font_names, 6), 1);
	/* a large proportional font: the 20-pixel one */
	want = (struct xs_fontgeom){ 15, 4, 4, 14, 90 };
	ck_assert_int_eq(xs_font_match(&want, NULL, font_geoms, NULL, 6), 5);
	ck_assert(xs_font_distance(&font_geoms[0], &font_geoms[1]) == 9.0);
	ck_assert_int_eq(xs_font_name_affinity(font_names[2], font_names[3]), 6);
	ck_assert_int_eq(xs_font_name_affinity("fixed", font_names[3]), 0);
	ck_assert_int_eq(xs_font_match(&want, NULL, font_geoms, NULL, 0),
	    -ENOENT);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("gv_session");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_every_truncation_fails);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_bad_render);
	tcase_add_test(tc, test_images);
	tcase_add_test(tc, test_idmap);
	tcase_add_test(tc, test_font_match);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

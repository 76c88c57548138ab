/* Check suite for guievict/xsession/evgui: the EVICT-GUI codec. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/evgui.h"

/* A reply under construction, in host order (as libxcb hands them). */
struct rb {
	uint8_t b[4096];
	size_t len;
};

static void
rb_start(struct rb *r, const uint32_t hdr[6])
{
	memset(r, 0, sizeof *r);
	r->b[0] = 1;
	memcpy(r->b + 8, hdr, 24);
	r->len = 32;
}

static void
rb_word(struct rb *r, uint32_t v)
{
	memcpy(r->b + r->len, &v, 4);
	r->len += 4;
}

static void
rb_bytes(struct rb *r, const void *p, size_t n)
{
	memcpy(r->b + r->len, p, n);
	r->len += (n + 3) & ~(size_t)3;
}

static void
rb_end(struct rb *r)
{
	uint32_t words = (uint32_t)((r->len - 32) / 4);

	memcpy(r->b + 4, &words, 4);
}

static void
gc_reply(struct rb *r)
{
	uint32_t hdr[6] = { EVGUI_GC_NVALUES, 3, 2, 0, 0, 0 };
	static const uint8_t dash[3] = { 4, 2, 1 };
	int i;

	rb_start(r, hdr);
	for (i = 0; i < EVGUI_GC_NVALUES; i++)
		rb_word(r, (uint32_t)(100 + i));
	rb_bytes(r, dash, 3);
	for (i = 0; i < 8; i++)
		rb_word(r, i == 0 ? (uint32_t)-5 : (uint32_t)i);
	rb_end(r);
}

START_TEST(test_encode)
{
	uint32_t f[3] = { 0x200001, 7, 9 };
	uint8_t out[16];
	uint16_t len;

	ck_assert_uint_eq(evgui_encode(140, EVGUI_LIST_GLYPHS, f, 3, out), 16);
	ck_assert_uint_eq(out[0], 140);
	ck_assert_uint_eq(out[1], EVGUI_LIST_GLYPHS);
	memcpy(&len, out + 2, 2);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(out + 4, f, 12), 0);
	ck_assert_uint_eq(evgui_encode(140, EVGUI_GET_GC, f, 1, out), 8);
	/* wrong field counts and unknown minors encode nothing */
	ck_assert_uint_eq(evgui_encode(140, EVGUI_GET_GC, f, 2, out), 0);
	ck_assert_uint_eq(evgui_encode(140, EVGUI_NREQUESTS, f, 1, out), 0);
}
END_TEST

START_TEST(test_gc)
{
	struct evgui_gc g;
	struct rb r;
	char err[200];

	gc_reply(&r);
	ck_assert_int_eq(evgui_decode_gc(r.b, r.len, &g, err, sizeof err), 0);
	ck_assert_uint_eq(g.v[EVGUI_GC_FUNCTION], 100);
	ck_assert_uint_eq(g.v[EVGUI_GC_DEPTH], 100 + EVGUI_GC_DEPTH);
	ck_assert_uint_eq(g.ndashes, 3);
	ck_assert_uint_eq(g.dashes[0], 4);
	ck_assert_uint_eq(g.nrects, 2);
	ck_assert_int_eq(g.rects[0].x, -5);
	ck_assert_uint_eq(g.rects[1].height, 7);
	evgui_gc_free(&g);
}
END_TEST

/* Every prefix of a good reply is refused with a reason, and so is the
 * reply with a trailing word the length field does not count. */
START_TEST(test_truncated_everywhere)
{
	struct evgui_gc g;
	struct rb r;
	char err[200];
	size_t n;

	gc_reply(&r);
	for (n = 0; n < r.len; n++) {
		err[0] = '\0';
		ck_assert_int_eq(evgui_decode_gc(r.b, n, &g, err, sizeof err), -1);
		ck_assert_msg(err[0] != '\0', "no reason at length %zu", n);
		evgui_gc_free(&g);
	}
	ck_assert_int_eq(evgui_decode_gc(r.b, r.len + 4, &g, err, sizeof err),
	    -1);
	evgui_gc_free(&g);
}
END_TEST

/* Counts in the header that the body cannot hold are refused before
 * anything is allocated for them. */
START_TEST(test_lying_counts)
{
	uint32_t hdr[6] = { EVGUI_GC_NVALUES, 0, 0x10000000, 0, 0, 0 };
	struct evgui_picture p;
	struct evgui_gc g;
	struct rb r;
	char err[200];
	int i;

	rb_start(&r, hdr);
	for (i = 0; i < EVGUI_GC_NVALUES; i++)
		rb_word(&r, 0);
	rb_end(&r);
	ck_assert_int_eq(evgui_decode_gc(r.b, r.len, &g, err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "memory"));
	evgui_gc_free(&g);

	hdr[0] = EVGUI_PIC_NVALUES;
	hdr[1] = 500;                   /* filter name too long */
	hdr[2] = 0;
	rb_start(&r, hdr);
	for (i = 0; i < EVGUI_PIC_NVALUES; i++)
		rb_word(&r, 0);
	rb_end(&r);
	ck_assert_int_eq(evgui_decode_picture(r.b, r.len, &p, err, sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "filter name"));
	evgui_picture_free(&p);
}
END_TEST

START_TEST(test_cursor)
{
	uint32_t hdr[6] = { 33, 2, 1, 1, 0, 0 };
	struct evgui_cursor c;
	struct rb r;
	char err[200];
	int i;

	rb_start(&r, hdr);
	for (i = 0; i < 6; i++)
		rb_word(&r, (uint32_t)(0x1000 * (i + 1)));
	for (i = 0; i < 2 * 2 * 2; i++)     /* 2 words a row, 2 rows, twice */
		rb_word(&r, (uint32_t)i);
	rb_end(&r);
	ck_assert_int_eq(evgui_decode_cursor(r.b, r.len, &c, err, sizeof err),
	    0);
	ck_assert_uint_eq(c.words_per_row, 2);
	ck_assert_uint_eq(c.fore[2], 0x3000);
	ck_assert_uint_eq(c.back[0], 0x4000);
	ck_assert_uint_eq(c.source[3], 3);
	ck_assert_uint_eq(c.mask[0], 4);
	evgui_cursor_free(&c);
	/* one word missing */
	r.len -= 4;
	rb_end(&r);
	ck_assert_int_eq(evgui_decode_cursor(r.b, r.len, &c, err, sizeof err),
	    -1);
	evgui_cursor_free(&c);
}
END_TEST

START_TEST(test_glyphs)
{
	uint32_t hdr[6] = { 77, 8, 2, 2, 0, 0 };
	static const uint8_t img[8] = { 1, 2, 3, 0, 4, 5, 6, 0 };
	struct evgui_glyphs g;
	struct rb r;
	char err[200];

	rb_start(&r, hdr);
	/* glyph 65: 3x2 at depth 8: rows of 4 bytes */
	rb_word(&r, 65);
	rb_word(&r, 3);
	rb_word(&r, 2);
	rb_word(&r, 0);
	rb_word(&r, (uint32_t)-1);
	rb_word(&r, 4);
	rb_word(&r, 0);
	rb_word(&r, 8);
	rb_bytes(&r, img, 8);
	/* glyph 66: empty */
	rb_word(&r, 66);
	rb_word(&r, 0);
	rb_word(&r, 0);
	rb_word(&r, 0);
	rb_word(&r, 0);
	rb_word(&r, 2);
	rb_word(&r, 0);
	rb_word(&r, 0);
	rb_end(&r);
	ck_assert_int_eq(evgui_decode_glyphs(r.b, r.len, &g, err, sizeof err),
	    0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_int_eq(g.glyphs[0].y, -1);
	ck_assert_int_eq(memcmp(g.glyphs[0].image, img, 8), 0);
	ck_assert_ptr_null(g.glyphs[1].image);
	evgui_glyphs_free(&g);

	/* an image length that does not match the size is refused */
	memset(r.b + 32 + 7 * 4, 12, 1);
	ck_assert_int_eq(evgui_decode_glyphs(r.b, r.len, &g, err, sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "glyph 65"));
	evgui_glyphs_free(&g);
	ck_assert_uint_eq(evgui_glyph_image_len(9, 2, 1), 8);
	ck_assert_uint_eq(evgui_glyph_image_len(3, 2, 32), 24);
	ck_assert_uint_eq(evgui_glyph_image_len(3, 2, 24), 0);
}
END_TEST

static Suite *
evgui_suite(void)
{
	Suite *s = suite_create("gv_evgui");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_gc);
	tcase_add_test(tc, test_truncated_everywhere);
	tcase_add_test(tc, test_lying_counts);
	tcase_add_test(tc, test_cursor);
	tcase_add_test(tc, test_glyphs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(evgui_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

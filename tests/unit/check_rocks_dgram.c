/*
 * Check suite for librocks/dgramfmt: the datagram tunnel's frames.  Header
 * round trips at the edges, the refusal of a length over DGRAM_MAX, and
 * splitting a stream of frames cut at every byte.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "librocks/dgram.h"

START_TEST(hdr_round_trip)
{
	static const uint32_t lens[] = { 0, 1, 255, 256, 65280, DGRAM_MAX };
	uint8_t h[DGRAM_HDR];
	uint32_t got;

	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		dgram_hdr_put(h, lens[i]);
		ck_assert_int_eq(dgram_hdr_get(h, &got), 0);
		ck_assert_uint_eq(got, lens[i]);
	}
	dgram_hdr_put(h, 300);
	ck_assert(h[0] == 0 && h[1] == 0 && h[2] == 1 && h[3] == 44);
}
END_TEST

START_TEST(hdr_too_long)
{
	uint8_t h[DGRAM_HDR];
	uint32_t got = 7;

	dgram_hdr_put(h, DGRAM_MAX + 1);
	ck_assert_int_eq(dgram_hdr_get(h, &got), -EBADMSG);
	ck_assert_uint_eq(got, 7);
	memset(h, 0xff, sizeof h);
	ck_assert_int_eq(dgram_hdr_get(h, &got), -EBADMSG);
	ck_assert_int_eq(dgram_split(h, sizeof h, NULL, &got), -EBADMSG);
}
END_TEST

/* Three frames (5, 0 and 1000 bytes) back to back. */
static size_t
stream(uint8_t *p)
{
	size_t n = 0, lens[] = { 5, 0, 1000 };

	for (size_t i = 0; i < 3; i++) {
		dgram_hdr_put(p + n, (uint32_t)lens[i]);
		n += DGRAM_HDR;
		for (size_t k = 0; k < lens[i]; k++)
			p[n++] = (uint8_t)(i * 7 + k);
	}
	return n;
}

START_TEST(split_frames)
{
	uint8_t p[2048];
	size_t n = stream(p), off = 0, count = 0;
	const uint8_t *dg;
	uint32_t len;
	long r;

	while ((r = dgram_split(p + off, n - off, &dg, &len)) > 0) {
		ck_assert_ptr_eq(dg, p + off + DGRAM_HDR);
		ck_assert_int_eq(r, (long)(DGRAM_HDR + len));
		if (len > 0)
			ck_assert_uint_eq(dg[len - 1],
			    (uint8_t)(count * 7 + len - 1));
		off += (size_t)r;
		count++;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(off, n);
}
END_TEST

START_TEST(split_every_cut)
{
	uint8_t p[2048];
	size_t n = stream(p), cut;
	const uint8_t *dg;
	uint32_t len;
	long r;

	/* every prefix shorter than the first frame asks for more */
	for (cut = 0; cut < DGRAM_HDR + 5; cut++)
		ck_assert_int_eq(dgram_split(p, cut, &dg, &len), 0);
	r = dgram_split(p, n, &dg, &len);
	ck_assert_int_eq(r, DGRAM_HDR + 5);
	/* the third frame: whole only with its last byte */
	ck_assert_int_eq(dgram_split(p + 2 * DGRAM_HDR + 5, n - 2 * DGRAM_HDR
	    - 5 - 1, &dg, &len), 0);
	ck_assert_int_eq(dgram_split(p + 2 * DGRAM_HDR + 5, n - 2 * DGRAM_HDR
	    - 5, &dg, &len), DGRAM_HDR + 1000);
}
END_TEST

static Suite *
dgram_suite(void)
{
	Suite *s = suite_create("rocks_dgram");
	TCase *tc = tcase_create("frames");

	tcase_add_test(tc, hdr_round_trip);
	tcase_add_test(tc, hdr_too_long);
	tcase_add_test(tc, split_frames);
	tcase_add_test(tc, split_every_cut);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dgram_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

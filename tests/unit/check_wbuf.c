/* Check suite for common/wbuf: round trips, bounds, frames, hellos. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"

START_TEST(test_ints_round_trip)
{
	struct wbuf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	wbuf_init(&b, 0);
	ck_assert_int_eq(wbuf_put_u8(&b, 0xab), 0);
	ck_assert_int_eq(wbuf_put_u16(&b, 0x1234), 0);
	ck_assert_int_eq(wbuf_put_u32(&b, 0xdeadbeef), 0);
	ck_assert_int_eq(wbuf_put_u64(&b, 0x0102030405060708ull), 0);
	ck_assert_uint_eq(b.len, 15);
	/* big-endian on the wire */
	ck_assert_uint_eq(b.data[1], 0x12);
	ck_assert_uint_eq(b.data[3], 0xde);
	ck_assert_uint_eq(b.data[7], 0x01);
	ck_assert_int_eq(wbuf_get_u8(&b, &u8), 0);
	ck_assert_int_eq(wbuf_get_u16(&b, &u16), 0);
	ck_assert_int_eq(wbuf_get_u32(&b, &u32), 0);
	ck_assert_int_eq(wbuf_get_u64(&b, &u64), 0);
	ck_assert_uint_eq(u8, 0xab);
	ck_assert_uint_eq(u16, 0x1234);
	ck_assert_uint_eq(u32, 0xdeadbeef);
	ck_assert(u64 == 0x0102030405060708ull);
	ck_assert_uint_eq(wbuf_avail(&b), 0);
	ck_assert_int_eq(wbuf_get_u8(&b, &u8), -EBADMSG);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_short_reads_do_not_move)
{
	static const uint8_t three[3] = { 1, 2, 3 };
	struct wbuf b;
	uint32_t u32;
	uint64_t u64;

	wbuf_view(&b, three, sizeof three);
	ck_assert_int_eq(wbuf_get_u32(&b, &u32), -EBADMSG);
	ck_assert_int_eq(wbuf_get_u64(&b, &u64), -EBADMSG);
	ck_assert_uint_eq(wbuf_avail(&b), 3);
	ck_assert_int_eq(wbuf_put_u8(&b, 1), -EINVAL);
}
END_TEST

START_TEST(test_strings_and_blobs)
{
	struct wbuf b;
	char s[8];
	const uint8_t *p;
	size_t n;

	wbuf_init(&b, 0);
	ck_assert_int_eq(wbuf_put_str(&b, "rocks"), 0);
	ck_assert_int_eq(wbuf_put_str(&b, "toolongname"), 0);
	ck_assert_int_eq(wbuf_put_blob(&b, "a\0b", 3), 0);
	ck_assert_int_eq(wbuf_get_str(&b, s, sizeof s), 0);
	ck_assert_str_eq(s, "rocks");
	/* too long for the caller's buffer: refused, position kept */
	ck_assert_int_eq(wbuf_get_str(&b, s, sizeof s), -EMSGSIZE);
	ck_assert_int_eq(wbuf_get_blob(&b, &p, &n, 64), 0);
	ck_assert_uint_eq(n, 11);
	/* embedded NUL: not a string */
	ck_assert_int_eq(wbuf_get_str(&b, s, sizeof s), -EBADMSG);
	ck_assert_int_eq(wbuf_get_blob(&b, &p, &n, 64), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(p, "a\0b", 3), 0);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_blob_length_lies)
{
	/* announces 1000 bytes, carries 2 */
	static const uint8_t lie[] = { 0, 0, 3, 0xe8, 'h', 'i' };
	struct wbuf b;
	const uint8_t *p;
	size_t n;

	wbuf_view(&b, lie, sizeof lie);
	ck_assert_int_eq(wbuf_get_blob(&b, &p, &n, 4096), -EBADMSG);
	ck_assert_int_eq(wbuf_get_blob(&b, &p, &n, 10), -EMSGSIZE);
	ck_assert_uint_eq(wbuf_avail(&b), sizeof lie);
}
END_TEST

START_TEST(test_growth_limit)
{
	struct wbuf b;
	uint8_t big[100];

	memset(big, 7, sizeof big);
	wbuf_init(&b, 128);
	ck_assert_int_eq(wbuf_put_bytes(&b, big, 100), 0);
	ck_assert_int_eq(wbuf_put_bytes(&b, big, 28), 0);
	ck_assert_int_eq(wbuf_put_u8(&b, 1), -EMSGSIZE);
	ck_assert_uint_eq(b.len, 128);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_frames)
{
	struct wbuf b, pl;
	size_t mark;
	uint16_t type;
	uint32_t v;
	int n;

	wbuf_init(&b, 0);
	ck_assert_int_eq(frame_begin(&b, 201, &mark), 0);
	ck_assert_int_eq(wbuf_put_u32(&b, 42), 0);
	ck_assert_int_eq(frame_end(&b, mark), 0);
	ck_assert_uint_eq(b.len, FRAME_HDR_LEN + 4);
	/* every strict prefix asks for more */
	for (size_t i = 0; i < b.len; i++)
		ck_assert_int_eq(frame_parse(b.data, i, 64, &type, &pl), 0);
	n = frame_parse(b.data, b.len, 64, &type, &pl);
	ck_assert_int_eq(n, (int)b.len);
	ck_assert_uint_eq(type, 201);
	ck_assert_int_eq(wbuf_get_u32(&pl, &v), 0);
	ck_assert_uint_eq(v, 42);
	/* over the caller's limit */
	ck_assert_int_eq(frame_parse(b.data, b.len, 3, &type, &pl), -EMSGSIZE);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_hello)
{
	struct wbuf b;
	uint16_t ver, flags;

	wbuf_init(&b, 0);
	ck_assert_int_eq(wbuf_put_hello(&b, 0x45564354, 3, 9), 0);
	ck_assert_uint_eq(b.len, WBUF_HELLO_LEN);
	ck_assert_int_eq(wbuf_get_hello(&b, 0x11111111, &ver, &flags), -EBADMSG);
	ck_assert_uint_eq(wbuf_avail(&b), WBUF_HELLO_LEN);
	ck_assert_int_eq(wbuf_get_hello(&b, 0x45564354, &ver, &flags), 0);
	ck_assert_uint_eq(ver, 3);
	ck_assert_uint_eq(flags, 9);
	wbuf_free(&b);
}
END_TEST

static Suite *
wbuf_suite(void)
{
	Suite *s = suite_create("wbuf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ints_round_trip);
	tcase_add_test(tc, test_short_reads_do_not_move);
	tcase_add_test(tc, test_strings_and_blobs);
	tcase_add_test(tc, test_blob_length_lies);
	tcase_add_test(tc, test_growth_limit);
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_hello);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wbuf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Check suite for rockd/rdproto: the destination request and its answer. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rockd/rdproto.h"

START_TEST(test_connect_v4_round_trip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(6379) };
	struct sockaddr_storage got;
	socklen_t gl = 0;
	struct wbuf b;

	inet_pton(AF_INET, "198.51.100.7", &a.sin_addr);
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_connect(&b, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_uint_le(b.len, RDP_REQ_MAX);
	/* every prefix asks for more */
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(rdp_get_connect(b.data, n, &got, &gl), 0);
	ck_assert_int_eq(rdp_get_connect(b.data, b.len, &got, &gl), (int)b.len);
	ck_assert_uint_eq(gl, sizeof a);
	ck_assert_int_eq(memcmp(&got, &a, sizeof a), 0);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_connect_v6_round_trip)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	struct sockaddr_in6 *g;
	struct sockaddr_storage got;
	socklen_t gl = 0;
	struct wbuf b;

	inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr);
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_connect(&b, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_uint_eq(b.len, RDP_REQ_MAX);
	ck_assert_int_eq(rdp_get_connect(b.data, b.len, &got, &gl), (int)b.len);
	g = (struct sockaddr_in6 *)&got;
	ck_assert_uint_eq(gl, sizeof a);
	ck_assert_uint_eq(ntohs(g->sin6_port), 80);
	ck_assert_int_eq(memcmp(&g->sin6_addr, &a.sin6_addr, 16), 0);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_connect_refuses_bad)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct sockaddr_storage got;
	socklen_t gl;
	struct wbuf b;
	uint8_t bad[64];

	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_connect(&b, (struct sockaddr *)&a, sizeof a), 0);
	memcpy(bad, b.data, b.len);
	bad[0] ^= 0xff;                         /* magic */
	ck_assert_int_eq(rdp_get_connect(bad, b.len, &got, &gl), -EBADMSG);
	memcpy(bad, b.data, b.len);
	bad[5] = 2;                             /* version */
	ck_assert_int_eq(rdp_get_connect(bad, b.len, &got, &gl), -EBADMSG);
	memcpy(bad, b.data, b.len);
	bad[WBUF_HELLO_LEN + FRAME_HDR_LEN] = 5;        /* family */
	ck_assert_int_eq(rdp_get_connect(bad, b.len, &got, &gl), -EBADMSG);
	memcpy(bad, b.data, b.len);
	bad[b.len - 1] = 0;                     /* port 0 */
	bad[b.len - 2] = 0;
	ck_assert_int_eq(rdp_get_connect(bad, b.len, &got, &gl), -EBADMSG);
	memcpy(bad, b.data, b.len);
	bad[WBUF_HELLO_LEN] = 0x7f;             /* length */
	ck_assert_int_eq(rdp_get_connect(bad, b.len, &got, &gl), -EMSGSIZE);
	memcpy(bad, b.data, b.len);
	bad[WBUF_HELLO_LEN + 4] = 0;            /* type */
	bad[WBUF_HELLO_LEN + 5] = 101;
	ck_assert_int_eq(rdp_get_connect(bad, b.len, &got, &gl), -EBADMSG);
	wbuf_free(&b);
	/* an address family rockd does not relay */
	struct sockaddr un = { .sa_family = AF_UNIX };
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_connect(&b, &un, sizeof un), -EAFNOSUPPORT);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_result_round_trip)
{
	char why[RDP_REASON_MAX], longer[400];
	uint32_t err = 1;
	struct wbuf b;

	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_result(&b, 0, "connected"), 0);
	ck_assert_int_eq(rdp_get_result(b.data, b.len - 1, &err, why, sizeof why), 0);
	ck_assert_int_eq(rdp_get_result(b.data, b.len, &err, why, sizeof why),
	    (int)b.len);
	ck_assert_uint_eq(err, 0);
	ck_assert_str_eq(why, "connected");
	wbuf_free(&b);
	/* a long reason is cut to fit */
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_result(&b, ECONNREFUSED, longer), 0);
	ck_assert_uint_le(b.len, RDP_RES_MAX);
	ck_assert_int_eq(rdp_get_result(b.data, b.len, &err, why, sizeof why),
	    (int)b.len);
	ck_assert_uint_eq(err, ECONNREFUSED);
	ck_assert_uint_eq(strlen(why), RDP_REASON_MAX - 1);
	/* a frame longer than any answer */
	b.data[3]++;
	ck_assert_int_eq(wbuf_put_u8(&b, 0), 0);
	ck_assert_int_eq(rdp_get_result(b.data, b.len, &err, why, sizeof why),
	    -EMSGSIZE);
	wbuf_free(&b);
	/* trailing bytes inside the frame */
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_result(&b, 0, "ok"), 0);
	b.data[3]++;
	ck_assert_int_eq(wbuf_put_u8(&b, 0), 0);
	ck_assert_int_eq(rdp_get_result(b.data, b.len, &err, why, sizeof why),
	    -EBADMSG);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_rendezvous_round_trip)
{
	uint8_t tag[RDP_TAG_LEN], got[RDP_TAG_LEN];
	uint16_t type, port;
	struct wbuf b;

	memset(tag, 0xa5, sizeof tag);
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_register(&b, tag, 40123), 0);
	ck_assert_uint_eq(b.len, RDP_RV_MAX);
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(rdp_get_rendezvous(b.data, n, &type, got, &port), 0);
	ck_assert_int_eq(rdp_get_rendezvous(b.data, b.len, &type, got, &port),
	    (int)b.len);
	ck_assert_uint_eq(type, RDP_MSG_REGISTER);
	ck_assert_uint_eq(port, 40123);
	ck_assert_int_eq(memcmp(got, tag, sizeof tag), 0);
	/* a REGISTER without a port */
	b.data[b.len - 1] = 0;
	b.data[b.len - 2] = 0;
	ck_assert_int_eq(rdp_get_rendezvous(b.data, b.len, &type, got, &port),
	    -EBADMSG);
	wbuf_reset(&b);
	ck_assert_int_eq(rdp_put_lookup(&b, tag), 0);
	ck_assert_int_eq(rdp_get_rendezvous(b.data, b.len, &type, got, &port),
	    (int)b.len);
	ck_assert_uint_eq(type, RDP_MSG_LOOKUP);
	/* a LOOKUP with trailing bytes */
	b.data[WBUF_HELLO_LEN + 3]++;
	ck_assert_int_eq(wbuf_put_u8(&b, 0), 0);
	ck_assert_int_eq(rdp_get_rendezvous(b.data, b.len, &type, got, &port),
	    -EBADMSG);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_found_round_trip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5555) };
	struct sockaddr_storage got;
	socklen_t gl = 1;
	struct wbuf b;

	inet_pton(AF_INET, "203.0.113.40", &a.sin_addr);
	wbuf_init(&b, 0);
	ck_assert_int_eq(rdp_put_found(&b, (struct sockaddr *)&a), 0);
	ck_assert_int_eq(rdp_get_found(b.data, b.len - 1, &got, &gl), 0);
	ck_assert_int_eq(rdp_get_found(b.data, b.len, &got, &gl), (int)b.len);
	ck_assert_uint_eq(gl, sizeof a);
	ck_assert_int_eq(memcmp(&got, &a, sizeof a), 0);
	wbuf_reset(&b);
	ck_assert_int_eq(rdp_put_found(&b, NULL), 0);
	ck_assert_int_eq(rdp_get_found(b.data, b.len, &got, &gl), (int)b.len);
	ck_assert_uint_eq(gl, 0);
	/* an unknown family */
	b.data[FRAME_HDR_LEN] = 5;
	ck_assert_int_eq(rdp_get_found(b.data, b.len, &got, &gl), -EBADMSG);
	wbuf_free(&b);
}
END_TEST

static Suite *
rdproto_suite(void)
{
	Suite *s = suite_create("rockd_proto");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_connect_v4_round_trip);
	tcase_add_test(tc, test_connect_v6_round_trip);
	tcase_add_test(tc, test_connect_refuses_bad);
	tcase_add_test(tc, test_result_round_trip);
	tcase_add_test(tc, test_rendezvous_round_trip);
	tcase_add_test(tc, test_found_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rdproto_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

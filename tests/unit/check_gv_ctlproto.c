/*
 * Check suite for guievictor's pure parts: the control protocol codec
 * (guievict/ctlproto.c: round trips, every truncation, bad values), the
 * X connection finder's parsers (guievict/xfind.c: X socket names,
 * /proc/net/tcp lines, X handshake answers, poll sets), and display names
 * (guievict/xauth.c).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "guievict/ctlproto.h"
#include "guievict/xauth.h"
#include "guievict/xfind.h"

START_TEST(test_hello_round_trip)
{
	struct gvc_hello h = { GVC_MAGIC, GVC_VERSION, 0, 1234, GVC_ST_DETACHED };
	struct gvc_hello g;
	struct wbuf b, v;

	wbuf_init(&b, GVC_FRAME_MAX);
	ck_assert_int_eq(gvc_put_hello(&b, &h, 1), 0);
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(gvc_get_hello(&v, &g, 1), 0);
	ck_assert_uint_eq(g.pid, 1234);
	ck_assert_uint_eq(g.state, GVC_ST_DETACHED);
	/* a wrong magic is refused */
	b.data[0] ^= 0xff;
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(gvc_get_hello(&v, &g, 1), -EBADMSG);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_cmd_status_result_round_trip)
{
	struct gvc_cmd c, c2;
	struct gvc_status s, s2;
	struct gvc_result r, r2;
	struct wbuf b, v;
	size_t cut, full;

	memset(&c, 0, sizeof c);
	c.flags = GVC_F_PARTIAL;
	strcpy(c.display, ":12");
	memcpy(c.auth_name, "MIT-MAGIC-COOKIE-1", 18);
	c.auth_name_len = 18;
	memset(c.auth_data, 0xab, 16);
	c.auth_data_len = 16;
	wbuf_init(&b, GVC_FRAME_MAX);
	ck_assert_int_eq(gvc_put_cmd(&b, &c), 0);
	full = b.len;
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(gvc_get_cmd(&v, &c2), 0);
	ck_assert(memcmp(&c, &c2, sizeof c) == 0);
	for (cut = 0; cut < full; cut++) {
		wbuf_view(&v, b.data, cut);
		ck_assert_int_lt(gvc_get_cmd(&v, &c2), 0);
	}
	/* an auth field over the limit */
	c.auth_data_len = GVC_AUTH_MAX + 1;
	wbuf_reset(&b);
	ck_assert_int_eq(gvc_put_cmd(&b, &c), -EMSGSIZE);

	memset(&s, 0, sizeof s);
	s.state = GVC_ST_ATTACHED;
	s.xfd = 3;
	s.moves = 20;
	strcpy(s.display, ":1");
	strcpy(s.origin, ":0");
	s.detach_us = 1234;
	s.attach_us = 5678;
	s.requests = 1ull << 40;
	strcpy(s.note, "fine");
	wbuf_reset(&b);
	ck_assert_int_eq(gvc_put_status(&b, &s), 0);
	full = b.len;
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(gvc_get_status(&v, &s2), 0);
	ck_assert(memcmp(&s, &s2, sizeof s) == 0);
	for (cut = 0; cut < full; cut++) {
		wbuf_view(&v, b.data, cut);
		ck_assert_int_lt(gvc_get_status(&v, &s2), 0);
	}

	memset(&r, 0, sizeof r);
	r.err = -EPERM;
	r.state = GVC_ST_ATTACHED;
	strcpy(r.cause, "cannot move: 2 PICTURE");
	r.nlosses = 2;
	strcpy(r.losses[0], "1 XkbClient: XKB");
	strcpy(r.losses[1], "2 PICTURE: RENDER");
	wbuf_reset(&b);
	ck_assert_int_eq(gvc_put_result(&b, &r), 0);
	full = b.len;
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(gvc_get_result(&v, &r2), 0);
	ck_assert(memcmp(&r, &r2, sizeof r) == 0);
	for (cut = 0; cut < full; cut++) {
		wbuf_view(&v, b.data, cut);
		ck_assert_int_lt(gvc_get_result(&v, &r2), 0);
	}
	/* a positive error and too many losses are refused */
	b.data[3] = 5;
	b.data[0] = b.data[1] = b.data[2] = 0;
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(gvc_get_result(&v, &r2), -EBADMSG);
	wbuf_free(&b);
	ck_assert_str_eq(gvc_state_name(GVC_ST_MOVING), "moving");
	ck_assert_str_eq(gvc_state_name(99), "unknown");
}
END_TEST

START_TEST(test_xfind_parsers)
{
	char rem[64];
	uint64_t ino;
	int port;
	uint8_t ans[8];
	struct pollfd p[3];

	ck_assert_int_eq(xfind_unix_display("/tmp/.X11-unix/X0"), 0);
	ck_assert_int_eq(xfind_unix_display("@/tmp/.X11-unix/X12"), 12);
	ck_assert_int_eq(xfind_unix_display("/tmp/.X11-unix/X1x"), -1);
	ck_assert_int_eq(xfind_unix_display("/run/user/1000/bus"), -1);
	ck_assert_int_eq(xfind_unix_display("@/tmp/.ICE-unix/4242"), -1);

	ck_assert_int_eq(xfind_tcp_line("   3: 0100007F:9C40 0100007F:1770 01 "
	    "00000000:00000000 00:00000000 00000000     0        0 4242 1 "
	    "0000000000000000 20 4 30 10 -1", 0, &ino, rem, sizeof rem,
	    &port), 1);
	ck_assert_uint_eq(ino, 4242);
	ck_assert_int_eq(port, 6000);
	ck_assert_str_eq(rem, "127.0.0.1");
	/* listening sockets (state 0A) are no connections */
	ck_assert_int_eq(xfind_tcp_line("   0: 00000000:1770 00000000:0000 0A "
	    "00000000:00000000 00:00000000 00000000     0        0 77 1",
	    0, &ino, rem, sizeof rem, &port), 0);
	ck_assert_int_eq(xfind_tcp_line("   1: 00000000000000000000000001000000:"
	    "A000 00000000000000000000000001000000:1771 01 00000000:00000000 "
	    "00:00000000 00000000  1000        0 99 1", 1, &ino, rem,
	    sizeof rem, &port), 1);
	ck_assert_str_eq(rem, "::1");
	ck_assert_int_eq(port, 6001);
	ck_assert_int_eq(xfind_tcp_line("garbage", 0, &ino, rem, sizeof rem,
	    &port), 0);
	ck_assert_int_eq(xfind_tcp_line("  sl  local_address rem_address   st",
	    0, &ino, rem, sizeof rem, &port), 0);

	memset(ans, 0, sizeof ans);
	ans[0] = 1;
	ans[2] = 11;
	ck_assert_int_eq(xfind_is_x_answer(ans, 8), 1);
	ck_assert_int_eq(xfind_is_x_answer(ans, 7), 0);
	ans[0] = 0;
	ans[1] = 30;
	ck_assert_int_eq(xfind_is_x_answer(ans, 8), 1);
	memcpy(ans, "SSH-2.0-", 8);
	ck_assert_int_eq(xfind_is_x_answer(ans, 8), 0);
	memcpy(ans, "HTTP/1.1", 8);
	ck_assert_int_eq(xfind_is_x_answer(ans, 8), 0);

	memset(p, 0, sizeof p);
	p[0].fd = 4;
	p[0].events = POLLOUT;
	p[1].fd = 3;
	p[1].events = POLLIN;
	ck_assert_int_eq(xfind_pollfds_write_pending((uint8_t *)p, 2, 3), 0);
	p[2].fd = 3;
	p[2].events = POLLIN | POLLOUT;
	ck_assert_int_eq(xfind_pollfds_write_pending((uint8_t *)p, 3, 3), 1);
}
END_TEST

START_TEST(test_display_names)
{
	char host[64];
	int local, n;

	ck_assert_int_eq(xauth_parse_display(":0", &local, host, sizeof host,
	    &n), 0);
	ck_assert(local);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(xauth_parse_display("unix:7.0", &local, host,
	    sizeof host, &n), 0);
	ck_assert(local);
	ck_assert_int_eq(n, 7);
	ck_assert_int_eq(xauth_parse_display("10.1.2.3:12", &local, host,
	    sizeof host, &n), 0);
	ck_assert(!local);
	ck_assert_str_eq(host, "10.1.2.3");
	ck_assert_int_eq(n, 12);
	ck_assert_int_eq(xauth_parse_display("nohost", &local, host,
	    sizeof host, &n), -EINVAL);
	ck_assert_int_eq(xauth_parse_display(":x", &local, host, sizeof host,
	    &n), -EINVAL);
	ck_assert_int_eq(xauth_parse_display(":", &local, host, sizeof host,
	    &n), -EINVAL);
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("gv_ctlproto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hello_round_trip);
	tcase_add_test(tc, test_cmd_status_result_round_trip);
	tcase_add_test(tc, test_xfind_parsers);
	tcase_add_test(tc, test_display_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

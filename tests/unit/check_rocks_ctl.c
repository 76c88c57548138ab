/*
 * Check suite for librocks/ctlproto: every rockctl message round trip, the
 * decoders' refusals (every truncation, trailing bytes, values out of
 * range, embedded NULs), and the words rockctl prints (durations, sizes,
 * addresses, the plain-language reason).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "librocks/ctlproto.h"

/* The payload of the one frame in b, as a view. */
static void
payload_of(const struct wbuf *b, uint16_t want, struct wbuf *pl)
{
	uint16_t type;
	int r;

	r = frame_parse(b->data, b->len, CTL_REPLY_MAX, &type, pl);
	ck_assert_int_eq(r, (int)b->len);
	ck_assert_uint_eq(type, want);
}

static void
sample_rock(struct ctl_rock *r)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < CTL_ID_LEN; i++)
		r->id[i] = (uint8_t)(0xa0 + i);
	r->fd = 7;
	r->role = CTL_CLIENT;
	r->state = CTL_SUSPENDED;
	r->local.family = 4;
	inet_pton(AF_INET, "192.0.2.2", r->local.addr);
	r->local.port = 40000;
	r->peer.family = 4;
	inet_pton(AF_INET, "198.51.100.7", r->peer.addr);
	r->peer.port = 22;
	r->reconnect.family = 6;
	inet_pton(AF_INET6, "2001:db8::7", r->reconnect.addr);
	r->reconnect.port = 41234;
	r->sent = 1ull << 40;
	r->rcvd = 12345;
	r->inflight = 65536;
	r->age_ms = 3600000;
	r->suspended_ms = 41000;
	r->giveup_ms = 3ull * 86400 * 1000 - 41000;
	r->retry_ms = 1000;
	r->hb_ms = 500;
	r->hb_misses = 5;
	r->last_hb_ms = 43500;
	r->reconnects = 2;
	r->err = 0;
	snprintf(r->reason, sizeof r->reason, "no heartbeat from the peer for "
	    "2501 ms");
}

START_TEST(test_hello_round_trip)
{
	struct ctl_hello h = { .version = CTL_PROTO_VERSION, .flags = 3,
	    .pid = 4242, .uid = 1000 }, g;
	struct wbuf b, pl;

	snprintf(h.program, sizeof h.program, "tcpio");
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_hello(&b, &h), 0);
	payload_of(&b, CTL_MSG_HELLO, &pl);
	ck_assert_int_eq(ctl_get_hello(&pl, &g), 0);
	ck_assert_uint_eq(g.version, CTL_PROTO_VERSION);
	ck_assert_uint_eq(g.flags, 3);
	ck_assert_uint_eq(g.pid, 4242);
	ck_assert_uint_eq(g.uid, 1000);
	ck_assert_str_eq(g.program, "tcpio");
	wbuf_free(&b);
}
END_TEST

START_TEST(test_hello_refusals)
{
	struct ctl_hello h = { .version = CTL_PROTO_VERSION }, g;
	struct wbuf b, pl;

	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_hello(&b, &h), 0);
	b.data[FRAME_HDR_LEN] ^= 0xff;          /* the magic */
	payload_of(&b, CTL_MSG_HELLO, &pl);
	ck_assert_int_eq(ctl_get_hello(&pl, &g), -EBADMSG);
	wbuf_free(&b);

	h.version = 0;
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_hello(&b, &h), 0);
	payload_of(&b, CTL_MSG_HELLO, &pl);
	ck_assert_int_eq(ctl_get_hello(&pl, &g), -EBADMSG);
	wbuf_free(&b);

	/* a program name longer than the field */
	h.version = 1;
	wbuf_init(&b, 0);
	ck_assert_int_eq(frame_begin(&b, CTL_MSG_HELLO, &(size_t){ 0 }), 0);
	ck_assert_int_eq(wbuf_put_hello(&b, CTL_MAGIC, 1, 0), 0);
	ck_assert_int_eq(wbuf_put_u32(&b, 1), 0);
	ck_assert_int_eq(wbuf_put_u32(&b, 1), 0);
	ck_assert_int_eq(wbuf_put_str(&b, "a-program-name-of-more-than-32-bytes"),
	    0);
	ck_assert_int_eq(frame_end(&b, 0), 0);
	payload_of(&b, CTL_MSG_HELLO, &pl);
	ck_assert_int_eq(ctl_get_hello(&pl, &g), -EMSGSIZE);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_rock_round_trip)
{
	struct ctl_rock r, g;
	struct wbuf b, pl;

	sample_rock(&r);
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_rock(&b, &r), 0);
	payload_of(&b, CTL_MSG_ROCK, &pl);
	ck_assert_int_eq(ctl_get_rock(&pl, &g), 0);
	ck_assert_int_eq(memcmp(&r, &g, sizeof r), 0);
	wbuf_free(&b);

	/* fd -1, no addresses, a server, CLOSED, unknown counts */
	r.fd = -1;
	r.role = CTL_SERVER;
	r.state = CTL_CLOSED;
	memset(&r.local, 0, sizeof r.local);
	memset(&r.reconnect, 0, sizeof r.reconnect);
	r.inflight = CTL_UNKNOWN;
	r.last_hb_ms = CTL_UNKNOWN;
	r.giveup_ms = CTL_NEVER;
	r.err = ECONNRESET;
	memset(r.reason, 0, sizeof r.reason);
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_rock(&b, &r), 0);
	payload_of(&b, CTL_MSG_ROCK, &pl);
	ck_assert_int_eq(ctl_get_rock(&pl, &g), 0);
	ck_assert_int_eq(memcmp(&r, &g, sizeof r), 0);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_rock_every_truncation_refused)
{
	struct ctl_rock r, g;
	struct wbuf b, pl;

	sample_rock(&r);
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_rock(&b, &r), 0);
	for (size_t n = 0; n < b.len - FRAME_HDR_LEN; n++) {
		wbuf_view(&pl, b.data + FRAME_HDR_LEN, n);
		ck_assert_int_lt(ctl_get_rock(&pl, &g), 0);
	}
	/* and one byte too many */
	ck_assert_int_eq(wbuf_put_u8(&b, 0), 0);
	wbuf_view(&pl, b.data + FRAME_HDR_LEN, b.len - FRAME_HDR_LEN);
	ck_assert_int_eq(ctl_get_rock(&pl, &g), -EBADMSG);
	wbuf_free(&b);
}
END_TEST

/* Encodes r, lets fix() spoil one byte at offset off, expects a refusal. */
static void
rock_spoiled(size_t off, uint8_t val)
{
	struct ctl_rock r, g;
	struct wbuf b, pl;

	sample_rock(&r);
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_rock(&b, &r), 0);
	b.data[FRAME_HDR_LEN + off] = val;
	wbuf_view(&pl, b.data + FRAME_HDR_LEN, b.len - FRAME_HDR_LEN);
	ck_assert_int_lt(ctl_get_rock(&pl, &g), 0);
	wbuf_free(&b);
}

START_TEST(test_rock_values_out_of_range)
{
	/* id 16 | fd 4 | role 1 | state 1 | local family ... */
	rock_spoiled(16, 0x80);                 /* fd 0x80xxxxxx: negative */
	rock_spoiled(20, 2);                    /* role */
	rock_spoiled(21, 4);                    /* state */
	rock_spoiled(22, 5);                    /* local's family */
}
END_TEST

START_TEST(test_rock_reason_with_nul_refused)
{
	struct ctl_rock r, g;
	struct wbuf b, pl;

	sample_rock(&r);
	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_rock(&b, &r), 0);
	b.data[b.len - 3] = '\0';               /* inside the reason */
	wbuf_view(&pl, b.data + FRAME_HDR_LEN, b.len - FRAME_HDR_LEN);
	ck_assert_int_eq(ctl_get_rock(&pl, &g), -EBADMSG);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_small_messages)
{
	uint8_t id[CTL_ID_LEN], got[CTL_ID_LEN];
	char text[CTL_TEXT_MAX];
	struct wbuf b, pl;
	uint32_t count, code;
	uint8_t trunc;

	wbuf_init(&b, 0);
	ck_assert_int_eq(ctl_put_list(&b), 0);
	payload_of(&b, CTL_MSG_LIST, &pl);
	ck_assert_int_eq(ctl_get_list(&pl), 0);
	wbuf_reset(&b);

	ck_assert_int_eq(ctl_put_list_end(&b, 3, 1), 0);
	payload_of(&b, CTL_MSG_LIST_END, &pl);
	ck_assert_int_eq(ctl_get_list_end(&pl, &count, &trunc), 0);
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(trunc, 1);
	wbuf_reset(&b);
	ck_assert_int_eq(ctl_put_list_end(&b, 3, 2), 0);
	payload_of(&b, CTL_MSG_LIST_END, &pl);
	ck_assert_int_eq(ctl_get_list_end(&pl, &count, &trunc), -EBADMSG);
	wbuf_reset(&b);

	for (int i = 0; i < CTL_ID_LEN; i++)
		id[i] = (uint8_t)i;
	ck_assert_int_eq(ctl_put_kill(&b, id), 0);
	payload_of(&b, CTL_MSG_KILL, &pl);
	ck_assert_int_eq(ctl_get_kill(&pl, got), 0);
	ck_assert_int_eq(memcmp(id, got, sizeof id), 0);
	wbuf_view(&pl, b.data + FRAME_HDR_LEN, CTL_ID_LEN - 1);
	ck_assert_int_eq(ctl_get_kill(&pl, got), -EBADMSG);
	wbuf_reset(&b);

	ck_assert_int_eq(ctl_put_result(&b, CTL_MSG_RESULT, ENOENT, "no such "
	    "rock"), 0);
	payload_of(&b, CTL_MSG_RESULT, &pl);
	ck_assert_int_eq(ctl_get_result(&pl, &code, text, sizeof text), 0);
	ck_assert_uint_eq(code, ENOENT);
	ck_assert_str_eq(text, "no such rock");
	wbuf_reset(&b);
	ck_assert_int_eq(ctl_put_result(&b, CTL_MSG_ERROR, EPROTO, "x"), 0);
	payload_of(&b, CTL_MSG_ERROR, &pl);
	ck_assert_int_eq(ctl_get_result(&pl, &code, text, sizeof text), 0);
	ck_assert_int_eq(ctl_put_result(&b, CTL_MSG_LIST, 0, "x"), -EINVAL);

	/* a list request with a payload is malformed */
	wbuf_reset(&b);
	ck_assert_int_eq(ctl_put_list_end(&b, 0, 0), 0);
	wbuf_view(&pl, b.data + FRAME_HDR_LEN, b.len - FRAME_HDR_LEN);
	ck_assert_int_eq(ctl_get_list(&pl), -EBADMSG);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_durations)
{
	static const struct { uint64_t ms; const char *s; } t[] = {
		{ 0, "0 ms" }, { 350, "350 ms" }, { 999, "999 ms" },
		{ 1000, "1 s" }, { 1050, "1 s" }, { 4200, "4.2 s" },
		{ 9999, "9.9 s" }, { 10000, "10 s" }, { 41000, "41 s" },
		{ 59999, "59 s" }, { 60000, "1 min" }, { 185000, "3 min 5 s" },
		{ 3600000, "1 h" }, { 18120000, "5 h 2 min" },
		{ 86400000, "1 d" },
		{ 3ull * 86400000 - 41000, "2 d 23 h" },
		{ CTL_UNKNOWN, "?" },
	};
	char s[32];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		ctl_duration_str(t[i].ms, s, sizeof s);
		ck_assert_str_eq(s, t[i].s);
	}
	ctl_duration_str(3ull * 86400000, s, 4);        /* cut, terminated */
	ck_assert_str_eq(s, "3 d");
	ctl_duration_str(185000, s, 5);
	ck_assert_uint_eq(strlen(s), 4);
}
END_TEST

START_TEST(test_sizes_addresses_ids)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct ctl_addr a;
	uint8_t id[CTL_ID_LEN];
	char s[80];

	ctl_bytes_str(0, s, sizeof s);
	ck_assert_str_eq(s, "0 B");
	ctl_bytes_str(1023, s, sizeof s);
	ck_assert_str_eq(s, "1023 B");
	ctl_bytes_str(1536, s, sizeof s);
	ck_assert_str_eq(s, "1.5 KiB");
	ctl_bytes_str(12u << 20, s, sizeof s);
	ck_assert_str_eq(s, "12.0 MiB");
	ctl_bytes_str(CTL_UNKNOWN, s, sizeof s);
	ck_assert_str_eq(s, "?");

	memset(&ss, 0, sizeof ss);
	s4->sin_family = AF_INET;
	s4->sin_port = htons(22);
	inet_pton(AF_INET, "198.51.100.7", &s4->sin_addr);
	ctl_addr_set(&a, &ss, sizeof *s4);
	ctl_addr_str(&a, s, sizeof s);
	ck_assert_str_eq(s, "198.51.100.7:22");
	ctl_addr_set(&a, &ss, sizeof *s4 - 1);          /* too short: none */
	ctl_addr_str(&a, s, sizeof s);
	ck_assert_str_eq(s, "-");

	memset(&ss, 0, sizeof ss);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
	ctl_addr_set(&a, &ss, sizeof *s6);
	ctl_addr_str(&a, s, sizeof s);
	ck_assert_str_eq(s, "[2001:db8::1]:443");
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &s6->sin6_addr);
	ctl_addr_set(&a, &ss, sizeof *s6);      /* mapped: shown as IPv4 */
	ctl_addr_str(&a, s, sizeof s);
	ck_assert_str_eq(s, "192.0.2.9:443");

	for (int i = 0; i < CTL_ID_LEN; i++)
		id[i] = (uint8_t)(i * 17);
	ctl_id_str(id, s);
	ck_assert_str_eq(s, "00112233445566778899aabbccddeeff");
	ck_assert_str_eq(ctl_state_str(CTL_SUSPENDED), "SUSPENDED");
	ck_assert_str_eq(ctl_state_str(9), "?");
	ck_assert_str_eq(ctl_role_str(CTL_SERVER), "server");
}
END_TEST

START_TEST(test_describe)
{
	struct ctl_rock r;
	char s[512];

	/* the example, word for word */
	sample_rock(&r);
	r.reason[0] = '\0';
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "peer 198.51.100.7:22 unreachable for 41 s; "
	    "retrying every 1 s; gives up in 2 d 23 h");

	sample_rock(&r);
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "peer 198.51.100.7:22 unreachable for 41 s; "
	    "retrying every 1 s; gives up in 2 d 23 h (cause: no heartbeat "
	    "from the peer for 2501 ms)");

	r.role = CTL_SERVER;
	r.giveup_ms = CTL_NEVER;
	r.fd = -1;
	r.reason[0] = '\0';
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "peer 198.51.100.7:22 unreachable for 41 s; "
	    "waiting for it to reconnect; never gives up; the program closed "
	    "it: it closes once reconnected");

	sample_rock(&r);
	r.state = CTL_CONNECTED;
	r.last_hb_ms = 200;
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "connected to 198.51.100.7:22 for 1 h; 2 "
	    "reconnections (last outage: no heartbeat from the peer for "
	    "2501 ms)");
	r.reconnects = 0;
	r.last_hb_ms = 1700;
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "connected to 198.51.100.7:22 for 1 h; no "
	    "heartbeat for 1.7 s (suspends after 2.5 s)");

	r.state = CTL_CLOSED;
	r.err = ECONNRESET;
	snprintf(r.reason, sizeof r.reason, "killed by rockctl (pid 9, uid 0)");
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "closed: killed by rockctl (pid 9, uid 0); the "
	    "program gets ECONNRESET");
	r.err = 0;
	r.reason[0] = '\0';
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "closed: by the program");

	r.state = CTL_UNDECIDED;
	ctl_describe(&r, s, sizeof s);
	ck_assert_str_eq(s, "accepted from 198.51.100.7:22; waiting for its "
	    "first bytes");

	/* a small buffer: cut, terminated, never overrun */
	sample_rock(&r);
	memset(s, 'x', sizeof s);
	ctl_describe(&r, s, 20);
	ck_assert_uint_eq(strlen(s), 19);
	ck_assert_int_eq(s[20], 'x');
}
END_TEST

static Suite *
rocks_ctl_suite(void)
{
	Suite *s = suite_create("rocks_ctl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hello_round_trip);
	tcase_add_test(tc, test_hello_refusals);
	tcase_add_test(tc, test_rock_round_trip);
	tcase_add_test(tc, test_rock_every_truncation_refused);
	tcase_add_test(tc, test_rock_values_out_of_range);
	tcase_add_test(tc, test_rock_reason_with_nul_refused);
	tcase_add_test(tc, test_small_messages);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_sizes_addresses_ids);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rocks_ctl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

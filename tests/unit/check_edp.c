/*
 * Check suite for edp/: the announcement, the negotiation codec, the reply
 * parser, server-side classification, and the whole client state machine
 * against small in-process servers on loopback.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "edp/edp.h"

/* ---- announcement and codec --------------------------------------------- */

START_TEST(test_announcement_fixed)
{
	static const char label[] = "evict EDP announcement v1";
	uint8_t in[sizeof label - 1 + 4] = { 0 }, d[32];
	unsigned int len = 32;
	const uint8_t *a = edp_announcement();

	memcpy(in, label, sizeof label - 1);
	in[sizeof label + 2] = 31;
	ck_assert_int_eq(EVP_Digest(in, sizeof in, d, &len, EVP_sha256(), NULL), 1);
	/* the last block is SHA-256(label | 00 00 00 1f) */
	ck_assert_int_eq(memcmp(a + EDP_ANNOUNCE_LEN - 32, d, 32), 0);
	ck_assert_ptr_eq(a, edp_announcement());
}
END_TEST

static const struct edp_enh two[] = {
	{ .name = "rocks", .vmin = 1, .vmax = 3 },
	{ .name = "kx", .vmin = 2, .vmax = 2 },
};

START_TEST(test_negotiate_round_trip)
{
	struct edp_offer offers[EDP_MAX_ENH];
	struct wbuf b, pl;
	size_t n;
	uint16_t type;

	wbuf_init(&b, 0);
	ck_assert_int_eq(edp_put_negotiate(&b, two, 2), 0);
	ck_assert_int_gt(frame_parse(b.data, b.len, EDP_MSG_MAX, &type, &pl), 0);
	ck_assert_uint_eq(type, EDP_MSG_NEGOTIATE);
	ck_assert_int_eq(edp_get_negotiate(&pl, offers, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(offers[0].name, "rocks");
	ck_assert_uint_eq(offers[0].vmax, 3);
	ck_assert_str_eq(offers[1].name, "kx");
	wbuf_free(&b);
}
END_TEST

START_TEST(test_negotiate_rejects)
{
	static const struct edp_enh bad_name[] = { { .name = "Rocks", .vmin = 1, .vmax = 1 } };
	static const struct edp_enh bad_range[] = { { .name = "x", .vmin = 2, .vmax = 1 } };
	struct edp_offer offers[EDP_MAX_ENH];
	struct wbuf b, pl;
	size_t n, i;
	uint16_t type;
	int fl;

	wbuf_init(&b, 0);
	ck_assert_int_eq(edp_put_negotiate(&b, bad_name, 1), -EINVAL);
	wbuf_reset(&b);
	ck_assert_int_eq(edp_put_negotiate(&b, bad_range, 1), -EINVAL);
	/* every truncation of a good payload fails cleanly */
	wbuf_reset(&b);
	ck_assert_int_eq(edp_put_negotiate(&b, two, 2), 0);
	fl = frame_parse(b.data, b.len, EDP_MSG_MAX, &type, &pl);
	ck_assert_int_gt(fl, 0);
	for (i = 0; i < pl.len; i++) {
		struct wbuf cut;

		wbuf_view(&cut, pl.data, i);
		ck_assert_int_lt(edp_get_negotiate(&cut, offers, &n), 0);
		ck_assert_uint_eq(n, 0);
	}
	/* trailing garbage */
	{
		uint8_t more[256];
		struct wbuf t;

		memcpy(more, pl.data, pl.len);
		more[pl.len] = 0;
		wbuf_view(&t, more, pl.len + 1);
		ck_assert_int_eq(edp_get_negotiate(&t, offers, &n), -EBADMSG);
	}
	/* a count over the limit */
	{
		uint8_t many[1] = { EDP_MAX_ENH + 1 };
		struct wbuf t;

		wbuf_view(&t, many, 1);
		ck_assert_int_eq(edp_get_negotiate(&t, offers, &n), -EMSGSIZE);
	}
	wbuf_free(&b);
}
END_TEST

START_TEST(test_choose)
{
	struct edp_offer offers[4] = {
		{ "kx", 1, 1 },        /* no overlap with our 2..2 */
		{ "rocks", 2, 9 },     /* overlap 2..3: picks 3 */
		{ "zip", 1, 1 },       /* unknown here */
		{ "rocks", 1, 1 },     /* a second offer of one name is ignored */
	};
	struct edp_chosen out[EDP_MAX_ENH];

	ck_assert_uint_eq(edp_choose(offers, 4, two, 2, out), 1);
	ck_assert_str_eq(out[0].name, "rocks");
	ck_assert_uint_eq(out[0].version, 3);
	ck_assert_uint_eq(edp_choose(offers, 4, NULL, 0, out), 0);
}
END_TEST

/* A server's reply: pre bytes, announcement, hello, ACCEPT. */
static void
make_reply(struct wbuf *b, const char *pre, uint32_t claim, uint32_t magic,
    const struct edp_chosen *ch, size_t nch)
{
	wbuf_init(b, 0);
	wbuf_put_bytes(b, pre, strlen(pre));
	wbuf_put_bytes(b, edp_announcement(), EDP_ANNOUNCE_LEN);
	wbuf_put_hello(b, magic, EDP_VERSION, 0);
	edp_put_accept(b, claim, ch, nch);
}

START_TEST(test_parse_reply)
{
	struct edp_chosen ch[1] = { { "rocks", 2 } };
	struct edp_result res;
	struct wbuf b;
	size_t i;

	memset(&res, 0, sizeof res);
	make_reply(&b, "SSH-2.0-x\r\n", 11, EDP_MAGIC, ch, 1);
	for (i = 0; i < b.len; i++)
		ck_assert_int_eq(edp_parse_reply(b.data, i, 65536, two, 2, &res), 0);
	ck_assert_int_eq(edp_parse_reply(b.data, b.len, 65536, two, 2, &res),
	    (int)b.len);
	ck_assert_uint_eq(res.npre, 11);
	ck_assert_int_eq(memcmp(res.pre, "SSH-2.0-x\r\n", 11), 0);
	ck_assert_uint_eq(res.nchosen, 1);
	ck_assert_uint_eq(res.chosen[0].version, 2);
	edp_result_free(&res);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_parse_reply_bad)
{
	struct edp_chosen ok[1] = { { "rocks", 2 } }, never[1] = { { "zip", 1 } };
	struct edp_chosen toonew[1] = { { "rocks", 4 } };
	struct edp_result res;
	struct wbuf b;
	uint8_t junk[2048];

	memset(&res, 0, sizeof res);
	make_reply(&b, "", 0, 0x11223344, ok, 1);
	ck_assert_int_eq(edp_parse_reply(b.data, b.len, 65536, two, 2, &res), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(res.reason, "magic"));
	wbuf_free(&b);
	make_reply(&b, "abc", 2, EDP_MAGIC, ok, 1);
	ck_assert_int_eq(edp_parse_reply(b.data, b.len, 65536, two, 2, &res), -EBADMSG);
	wbuf_free(&b);
	make_reply(&b, "", 0, EDP_MAGIC, never, 1);
	ck_assert_int_eq(edp_parse_reply(b.data, b.len, 65536, two, 2, &res), -EBADMSG);
	wbuf_free(&b);
	make_reply(&b, "", 0, EDP_MAGIC, toonew, 1);
	ck_assert_int_eq(edp_parse_reply(b.data, b.len, 65536, two, 2, &res), -EBADMSG);
	wbuf_free(&b);
	/* no announcement within the scan limit */
	memset(junk, 'x', sizeof junk);
	ck_assert_int_eq(edp_parse_reply(junk, sizeof junk, 512, two, 2, &res), -EBADMSG);
	ck_assert_int_eq(edp_parse_reply(junk, 100, 512, two, 2, &res), 0);
	/* an oversized frame */
	wbuf_init(&b, 0);
	wbuf_put_bytes(&b, edp_announcement(), EDP_ANNOUNCE_LEN);
	wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
	wbuf_put_u32(&b, EDP_MSG_MAX + 1);
	wbuf_put_u16(&b, EDP_MSG_ACCEPT);
	ck_assert_int_eq(edp_parse_reply(b.data, b.len, 65536, two, 2, &res), -EBADMSG);
	wbuf_free(&b);
	ck_assert_ptr_null(res.pre);
}
END_TEST

/* ---- server classification ------------------------------------------------ */

START_TEST(test_classify)
{
	int sv[2];
	uint8_t ann[EDP_ANNOUNCE_LEN];

	memcpy(ann, edp_announcement(), sizeof ann);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_UNDECIDED);
	ck_assert_int_eq(write(sv[0], ann, 100), 100);
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_UNDECIDED);
	ck_assert_int_eq(write(sv[0], ann + 100, sizeof ann - 100),
	    (ssize_t)sizeof ann - 100);
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_ENHANCED);
	/* classification only peeks */
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_ENHANCED);
	close(sv[0]);
	close(sv[1]);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(shutdown(sv[0], SHUT_WR), 0);
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_PROBE);
	close(sv[0]);
	close(sv[1]);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[0], "GET / HTTP/1.0\r\n", 16), 16);
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_ORDINARY);
	close(sv[0]);
	close(sv[1]);

	/* one byte off, deep inside */
	ann[700] ^= 1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[0], ann, sizeof ann), (ssize_t)sizeof ann);
	ck_assert_int_eq(edp_server_classify(NULL, sv[1]), EDP_S_ORDINARY);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* ---- whole protocol over loopback ----------------------------------------- */

enum srv_mode { SRV_ENHANCED, SRV_BANNER_ENH, SRV_CLOSE, SRV_RESET, SRV_BANNER,
	SRV_SILENT, SRV_INIT_FAILS };

struct srv {
	int lfd;
	int port;
	enum srv_mode mode;
	int conns;           /* connections to take, then stop */
	pthread_t tid;
	struct edp_config cfg;
	char got[64];        /* what the application received after EDP */
};

static int
init_ok(int fd, int is_client, uint16_t v, int ms, void *arg, char *cause,
    size_t causelen)
{
	uint8_t b;

	(void)v; (void)arg; (void)cause; (void)causelen;
	/* one byte each way: the init stage owns the stream until it returns */
	b = is_client ? 'c' : 's';
	if (edp_send_all(&edp_io_libc, fd, &b, 1, edp_now_ns() + ms * 1000000ull) < 0 ||
	    edp_recv_exact(&edp_io_libc, fd, &b, 1, edp_now_ns() + ms * 1000000ull) < 0)
		return -EPIPE;
	return b == (is_client ? 's' : 'c') ? 0 : -EPROTO;
}

static int
init_fails(int fd, int is_client, uint16_t v, int ms, void *arg, char *cause,
    size_t causelen)
{
	(void)fd; (void)is_client; (void)v; (void)ms; (void)arg;
	snprintf(cause, causelen, "refused for the test");
	return -EACCES;
}

static const struct edp_enh test_enh[] = {
	{ .name = "test", .vmin = 1, .vmax = 1, .init = init_ok },
};
static const struct edp_enh fail_enh[] = {
	{ .name = "test", .vmin = 1, .vmax = 1, .init = init_fails },
};

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct edp_result res;
	struct linger lg = { 1, 0 };
	ssize_t n;
	int i, fd, k, tries;
	uint32_t pre;

	for (i = 0; i < s->conns; i++) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		switch (s->mode) {
		case SRV_CLOSE:
			close(fd);
			continue;
		case SRV_RESET:
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			close(fd);
			continue;
		case SRV_SILENT:
			usleep(300000);
			close(fd);
			continue;
		case SRV_BANNER:
			(void)!send(fd, "HELLO\r\n", 7, MSG_NOSIGNAL);
			usleep(20000);
			close(fd);
			continue;
		default:
			break;
		}
		pre = 0;
		if (s->mode == SRV_BANNER_ENH) {
			(void)!send(fd, "HELLO\r\n", 7, MSG_NOSIGNAL);
			pre = 7;
		}
		for (tries = 0; tries < 200; tries++) {
			k = edp_server_classify(NULL, fd);
			if (k != EDP_S_UNDECIDED)
				break;
			usleep(5000);
		}
		if (k == EDP_S_PROBE) {
			edp_server_answer_probe(NULL, fd);
			close(fd);
			continue;
		}
		if (k == EDP_S_ENHANCED &&
		    edp_server_negotiate(fd, &s->cfg, pre, &res) < 0) {
			close(fd);
			continue;
		}
		/* the application: read one line, echo it */
		n = read(fd, s->got, sizeof s->got - 1);
		if (n > 0) {
			s->got[n] = '\0';
			(void)!send(fd, s->got, (size_t)n, MSG_NOSIGNAL);
		}
		close(fd);
	}
	return NULL;
}

static void
srv_start(struct srv *s, enum srv_mode mode, int conns)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;

	memset(s, 0, sizeof *s);
	s->mode = mode;
	s->conns = conns;
	edp_config_default(&s->cfg);
	s->cfg.enh = mode == SRV_INIT_FAILS ? fail_enh : test_enh;
	s->cfg.nenh = 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s->lfd, 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(s->lfd, 16), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	ck_assert_int_eq(pthread_create(&s->tid, NULL, srv_main, s), 0);
}

static void
srv_stop(struct srv *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->tid, NULL);
	close(s->lfd);
}

/* Connects with EDP, sends "ping\n", returns what came back (or ""). */
static int
client_run(struct srv *s, struct edp_result *res, char *echo, size_t echolen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct edp_config cfg;
	ssize_t n;
	int fd, r;

	edp_config_default(&cfg);
	cfg.enh = test_enh;
	cfg.nenh = 1;
	cfg.timeout_min_ms = 100;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)s->port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	r = edp_connect(fd, (struct sockaddr *)&sa, sizeof sa, &cfg, res);
	echo[0] = '\0';
	if (r == 0 && send(fd, "ping\n", 5, MSG_NOSIGNAL) == 5) {
		n = read(fd, echo, echolen - 1);
		echo[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return r;
}

START_TEST(test_enhanced)
{
	struct edp_result res;
	struct srv s;
	char echo[64];

	srv_start(&s, SRV_ENHANCED, 2);
	ck_assert_int_eq(client_run(&s, &res, echo, sizeof echo), 0);
	srv_stop(&s);
	ck_assert_int_eq(res.verdict, EDP_ENHANCED);
	ck_assert_uint_eq(res.nchosen, 1);
	ck_assert_str_eq(res.chosen[0].name, "test");
	ck_assert_uint_eq(res.npre, 0);
	ck_assert_str_eq(echo, "ping\n");
	ck_assert_str_eq(s.got, "ping\n");
	edp_result_free(&res);
}
END_TEST

START_TEST(test_enhanced_speaks_first)
{
	struct edp_result res;
	struct srv s;
	char echo[64];

	srv_start(&s, SRV_BANNER_ENH, 2);
	ck_assert_int_eq(client_run(&s, &res, echo, sizeof echo), 0);
	srv_stop(&s);
	ck_assert_int_eq(res.verdict, EDP_ENHANCED);
	/* the banner reaches the application first, exactly once */
	ck_assert_uint_eq(res.npre, 7);
	ck_assert_int_eq(memcmp(res.pre, "HELLO\r\n", 7), 0);
	ck_assert_str_eq(echo, "ping\n");
	edp_result_free(&res);
}
END_TEST

START_TEST(test_init_failure_falls_back)
{
	struct edp_result res;
	struct srv s;
	char echo[64];

	/* probe, failed negotiation, then the ordinary reconnection */
	srv_start(&s, SRV_INIT_FAILS, 3);
	ck_assert_int_eq(client_run(&s, &res, echo, sizeof echo), 0);
	srv_stop(&s);
	ck_assert_int_eq(res.verdict, EDP_ORD_GARBLED);
	ck_assert_str_eq(echo, "ping\n");
	edp_result_free(&res);
}
END_TEST

START_TEST(test_ordinary_behaviours)
{
	static const struct { enum srv_mode mode; enum edp_verdict want; } t[] = {
		{ SRV_CLOSE, EDP_ORD_CLOSED },
		{ SRV_RESET, EDP_ORD_RESET },
		{ SRV_BANNER, EDP_ORD_DATA },
		{ SRV_SILENT, EDP_ORD_SILENT },
	};
	struct edp_result res;
	struct srv s;
	char echo[64];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		srv_start(&s, t[i].mode, 2);
		ck_assert_int_eq(client_run(&s, &res, echo, sizeof echo), 0);
		srv_stop(&s);
		ck_assert_msg(res.verdict == t[i].want, "mode %d: got %s (%s)",
		    t[i].mode, edp_verdict_name(res.verdict), res.reason);
		edp_result_free(&res);
	}
}
END_TEST

START_TEST(test_refused)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct edp_config cfg;
	struct edp_result res;
	socklen_t len = sizeof sa;
	int fd, lfd;

	/* a port nobody listens on: bind one, then close it */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	close(lfd);
	edp_config_default(&cfg);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(edp_connect(fd, (struct sockaddr *)&sa, sizeof sa, &cfg,
	    &res), -ECONNREFUSED);
	close(fd);
}
END_TEST

/* A fake io that counts, in front of the real calls. */
static int n_socket, n_connect;

static int
count_socket(int d, int t, int p)
{
	n_socket++;
	return socket(d, t, p);
}

static int
count_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	n_connect++;
	return connect(fd, sa, len);
}

START_TEST(test_io_ops_used)
{
	struct edp_io io = edp_io_libc;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct edp_config cfg;
	struct edp_result res;
	struct srv s;
	int fd;

	io.socket = count_socket;
	io.connect = count_connect;
	srv_start(&s, SRV_CLOSE, 2);
	edp_config_default(&cfg);
	cfg.io = &io;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)s.port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(edp_connect(fd, (struct sockaddr *)&sa, sizeof sa, &cfg,
	    &res), 0);
	close(fd);
	srv_stop(&s);
	/* the probe socket, and a connect for each connection */
	ck_assert_int_eq(n_socket, 1);
	ck_assert_int_eq(n_connect, 2);
	ck_assert_int_eq(res.verdict, EDP_ORD_CLOSED);
}
END_TEST

static Suite *
edp_suite(void)
{
	Suite *s = suite_create("edp");
	TCase *codec = tcase_create("codec"), *proto = tcase_create("protocol");

	tcase_add_test(codec, test_announcement_fixed);
	tcase_add_test(codec, test_negotiate_round_trip);
	tcase_add_test(codec, test_negotiate_rejects);
	tcase_add_test(codec, test_choose);
	tcase_add_test(codec, test_parse_reply);
	tcase_add_test(codec, test_parse_reply_bad);
	tcase_add_test(codec, test_classify);
	tcase_add_test(proto, test_enhanced);
	tcase_add_test(proto, test_enhanced_speaks_first);
	tcase_add_test(proto, test_init_failure_falls_back);
	tcase_add_test(proto, test_ordinary_behaviours);
	tcase_add_test(proto, test_refused);
	tcase_add_test(proto, test_io_ops_used);
	tcase_set_timeout(proto, 30);
	suite_add_tcase(s, codec);
	suite_add_tcase(s, proto);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(edp_suite());
	int failed;

	log_init("check_edp", EVLOG_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

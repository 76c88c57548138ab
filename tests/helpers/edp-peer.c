/*
 * edp-peer: small TCP peers that behave in every way the enhancement
 * detection protocol must cope with, for the integration tests.
 *
 *   edp-peer server MODE PORT    ordinary servers:
 *       close      close each connection at once
 *       reset      reset each connection (SO_LINGER 0)
 *       banner     send a banner at accept, read to end-of-file, close
 *       reply      read to end-of-file, then send an error line, close
 *       silent     accept and never read, write or close
 *     enhanced servers gone wrong (probe answered as asked, then):
 *       trunc-ann      only the first 700 bytes of the announcement
 *       garble-ann     the announcement with one byte changed
 *       accept-huge    ACCEPT announces a 4 GiB payload
 *       accept-garbage ACCEPT carries a payload that does not decode
 *       accept-trunc   half the hello, then close
 *       accept-silent  never answer the negotiation
 *       accept-magic   a wrong magic number after the announcement
 *       accept-lie     ACCEPT claims bytes before it that were not sent
 *     an ordinary client (no announcement) is echoed in every mode but
 *     close, reset and silent, so a fallen-back client can be checked.
 *
 *   edp-peer client MODE HOST PORT   bad enhanced clients: send the
 *     announcement, then MODE (trunc, huge, garbage, magic, silent-ms),
 *     and report whether the server closed the connection (exit 0) or
 *     kept it open past 5 s (exit 1).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/wbuf.h"
#include "edp/edp.h"

static const char *mode;

static int
is(const char *m)
{
	return strcmp(mode, m) == 0;
}

static void
send_all(int fd, const void *p, size_t n)
{
	(void)edp_send_all(&edp_io_libc, fd, p, n, edp_now_ns() + 2000000000ull);
}

static void
echo(int fd)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		send_all(fd, buf, (size_t)n);
}

static void
bad_reply(int fd)
{
	struct wbuf b;
	uint8_t sink[EDP_ANNOUNCE_LEN + EDP_MSG_MAX];
	size_t mark;

	/* take the client's announcement and negotiation, whatever it is */
	usleep(20000);
	(void)recv(fd, sink, sizeof sink, MSG_DONTWAIT);
	if (is("accept-silent")) {
		sleep(30);
		return;
	}
	wbuf_init(&b, 0);
	wbuf_put_bytes(&b, edp_announcement(), EDP_ANNOUNCE_LEN);
	if (is("accept-trunc")) {
		wbuf_put_u32(&b, EDP_MAGIC);
	} else if (is("accept-magic")) {
		wbuf_put_hello(&b, 0x12345678, EDP_VERSION, 0);
		frame_begin(&b, EDP_MSG_ACCEPT, &mark);
		wbuf_put_u32(&b, 0);
		wbuf_put_u8(&b, 0);
		frame_end(&b, mark);
	} else if (is("accept-huge")) {
		wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
		wbuf_put_u32(&b, 0xffffffffu);
		wbuf_put_u16(&b, EDP_MSG_ACCEPT);
		wbuf_put_bytes(&b, "xxxxxxxx", 8);
	} else if (is("accept-garbage")) {
		wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
		frame_begin(&b, EDP_MSG_ACCEPT, &mark);
		wbuf_put_u32(&b, 0);
		wbuf_put_u8(&b, 3);     /* three names follow; they do not */
		wbuf_put_u32(&b, 999);
		frame_end(&b, mark);
	} else if (is("accept-lie")) {
		wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
		frame_begin(&b, EDP_MSG_ACCEPT, &mark);
		wbuf_put_u32(&b, 77);
		wbuf_put_u8(&b, 0);
		frame_end(&b, mark);
	}
	send_all(fd, b.data, b.len);
	wbuf_free(&b);
	if (is("accept-trunc"))
		return;
	sleep(5);
}

static void
serve_one(int fd)
{
	static const char banner[] = "220 edp-peer ready\r\n";
	static const char err[] = "ERR empty request\n";
	uint8_t ann[EDP_ANNOUNCE_LEN];
	struct linger lg = { 1, 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t buf[4096];
	int k, i;

	if (is("close"))
		return;
	if (is("reset")) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		return;
	}
	if (is("silent")) {
		pause();
		return;
	}
	if (is("banner")) {
		send_all(fd, banner, sizeof banner - 1);
		while (read(fd, buf, sizeof buf) > 0)
			;
		return;
	}
	if (is("reply")) {
		while (read(fd, buf, sizeof buf) > 0)
			;
		send_all(fd, err, sizeof err - 1);
		return;
	}
	/* the enhanced-gone-wrong modes: classify, then misbehave */
	for (i = 0; i < 100; i++) {
		k = edp_server_classify(NULL, fd);
		if (k != EDP_S_UNDECIDED)
			break;
		poll(&p, 1, 20);
	}
	if (k == EDP_S_PROBE) {
		memcpy(ann, edp_announcement(), sizeof ann);
		if (is("trunc-ann")) {
			send_all(fd, ann, 700);
			return;
		}
		if (is("garble-ann"))
			ann[512] ^= 0x40;
		send_all(fd, ann, sizeof ann);
		return;
	}
	if (k == EDP_S_ENHANCED) {
		bad_reply(fd);
		return;
	}
	echo(fd);
}

/*
 * banner, without a process per connection: one poll loop sends the banner
 * at accept and closes each connection at its end-of-file, so benchmarks
 * time the protocol, not fork().
 */
static int run_banner(int lfd) __attribute__((noreturn));

static int
run_banner(int lfd)
{
	static const char banner[] = "220 edp-peer ready\r\n";
	struct pollfd p[256];
	char buf[4096];
	nfds_t n = 1, i;
	ssize_t r;
	int fd;

	p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (;;) {
		if (poll(p, n, -1) < 0)
			continue;
		for (i = n; i-- > 1;) {
			if (!p[i].revents)
				continue;
			r = read(p[i].fd, buf, sizeof buf);
			if (r > 0)
				continue;
			close(p[i].fd);
			p[i] = p[--n];
		}
		if ((p[0].revents & POLLIN) && (fd = accept(lfd, NULL, NULL)) >= 0) {
			send_all(fd, banner, sizeof banner - 1);
			if (n == sizeof p / sizeof p[0])
				close(fd);
			else
				p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
	}
}

static int
run_server(const char *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int lfd, fd, one = 1;

	sa.sin6_port = htons((uint16_t)atoi(port));
	sa.sin6_addr = in6addr_any;
	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(lfd, 64) < 0) {
		fprintf(stderr, "edp-peer: port %s: %s\n", port, strerror(errno));
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (is("banner"))
		return run_banner(lfd);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (is("close") || is("reset")) {
			/* no fork: these answer at once, and benchmarks time them */
			serve_one(fd);
			close(fd);
			continue;
		}
		if (fork() == 0) {
			close(lfd);
			serve_one(fd);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

static int
run_client(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct wbuf b;
	struct pollfd p;
	uint8_t buf[4096];
	size_t mark;
	ssize_t n;
	int fd, r;

	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fprintf(stderr, "edp-peer: %s: %s\n", host, gai_strerror(r));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "edp-peer: connect: %s\n", strerror(errno));
		return 2;
	}
	wbuf_init(&b, 0);
	wbuf_put_bytes(&b, edp_announcement(), EDP_ANNOUNCE_LEN);
	if (is("trunc")) {
		wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
		wbuf_put_u32(&b, 40);
	} else if (is("huge")) {
		wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
		wbuf_put_u32(&b, 0x7fffffff);
		wbuf_put_u16(&b, EDP_MSG_NEGOTIATE);
	} else if (is("garbage")) {
		wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0);
		frame_begin(&b, EDP_MSG_NEGOTIATE, &mark);
		wbuf_put_u8(&b, 200);
		wbuf_put_bytes(&b, "\xff\xfe\xfd", 3);
		frame_end(&b, mark);
	} else if (is("magic")) {
		wbuf_put_hello(&b, 0xdeadbeef, 1, 0);
	} else if (!is("silent")) {
		fprintf(stderr, "edp-peer: unknown client mode '%s'\n", mode);
		return 2;
	}
	send_all(fd, b.data, b.len);
	wbuf_free(&b);
	/* The server must close on us within its negotiation budget (3 s). */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (int i = 0; i < 50; i++) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n <= 0) {
			printf("server closed the connection\n");
			return 0;
		}
	}
	printf("server kept the connection open\n");
	return 1;
}

int
main(int argc, char **argv)
{
	log_init("edp-peer", EVLOG_WARN);
	if (argc == 4 && strcmp(argv[1], "server") == 0) {
		mode = argv[2];
		return run_server(argv[3]);
	}
	if (argc == 5 && strcmp(argv[1], "client") == 0) {
		mode = argv[2];
		return run_client(argv[3], argv[4]);
	}
	fprintf(stderr, "usage: edp-peer server MODE PORT | "
	    "edp-peer client MODE HOST PORT\n");
	return 2;
}

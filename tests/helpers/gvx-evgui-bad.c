/*
 * gvx-evgui-bad: throws bad requests at the EVICT-GUI extension over raw
 * connections to an X server, one in each byte order, and checks that
 * every one gets the right X error and that the server keeps answering.
 *
 *   gvx-evgui-bad DISPLAY [SEED]   exit 0 when all held, 1 otherwise
 *
 * The display must be local (:N, a Unix socket) and accept connections
 * without authorization (the tests start their own server with no -auth).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "guievict/xorg/evictgui-proto.h"

#define X_BAD_REQUEST  1
#define X_BAD_WINDOW   3
#define X_BAD_CURSOR   6
#define X_BAD_GC       13
#define X_BAD_LENGTH   16
#define X_BAD_VALUE    2

struct xc {
	int fd;
	int big;             /* byte order of this connection */
	uint16_t seq;        /* of the last request sent */
	uint8_t major;
	uint8_t render_error;
	uint32_t xid_base;
};

static int failures, checks;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gvx-evgui-bad: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
put16(const struct xc *x, uint8_t *p, uint16_t v)
{
	p[x->big ? 0 : 1] = (uint8_t)(v >> 8);
	p[x->big ? 1 : 0] = (uint8_t)v;
}

static void
put32(const struct xc *x, uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[x->big ? i : 3 - i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint16_t
get16(const struct xc *x, const uint8_t *p)
{
	return x->big ? (uint16_t)(p[0] << 8 | p[1]) :
	    (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t
get32(const struct xc *x, const uint8_t *p)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v |= (uint32_t)p[x->big ? i : 3 - i] << (24 - 8 * i);
	return v;
}

static void
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 10000) <= 0)
			die("the server did not answer within 10 s");
		r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			die("the server closed the connection (%s)",
			    r < 0 ? strerror(errno) : "end of file");
		got += (size_t)r;
	}
}

static void
write_full(int fd, const void *buf, size_t n)
{
	if (write(fd, buf, n) != (ssize_t)n)
		die("write to the server: %s", strerror(errno));
}

static void
xc_open(struct xc *x, int display, int big)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t setup[12] = { 0 }, head[8], *rest;
	size_t extra;

	memset(x, 0, sizeof *x);
	x->big = big;
	snprintf(sa.sun_path, sizeof sa.sun_path, "/tmp/.X11-unix/X%d", display);
	x->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (x->fd < 0 || connect(x->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect %s: %s", sa.sun_path, strerror(errno));
	setup[0] = big ? 'B' : 'l';
	put16(x, setup + 2, 11);
	write_full(x->fd, setup, sizeof setup);
	read_full(x->fd, head, sizeof head);
	if (head[0] != 1)
		die("the server refused the connection (status %u)", head[0]);
	extra = 4 * (size_t)get16(x, head + 6);
	rest = malloc(extra);
	if (rest == NULL)
		die("out of memory");
	read_full(x->fd, rest, extra);
	x->xid_base = get32(x, rest + 4);
	free(rest);
}

/* Sends a request of `words` 4-byte units (header included). */
static void
xc_send(struct xc *x, uint8_t major, uint8_t minor, uint16_t words,
    const uint32_t *fields, unsigned nfields)
{
	uint8_t buf[4 + 4 * 64];
	unsigned i;

	memset(buf, 0, sizeof buf);
	buf[0] = major;
	buf[1] = minor;
	put16(x, buf + 2, words);
	for (i = 0; i < nfields && i < 64; i++)
		put32(x, buf + 4 + 4 * i, fields[i]);
	write_full(x->fd, buf, 4 * (size_t)(words ? words : 1));
	x->seq++;
}

/* Reads one reply or error (events skipped); returns its first byte and
 * leaves the error code or the whole reply in out. */
static int
xc_recv(struct xc *x, uint8_t out[32], uint16_t *seq, uint8_t **body,
    size_t *bodylen)
{
	for (;;) {
		read_full(x->fd, out, 32);
		*seq = get16(x, out + 2);
		if (out[0] == 1) {
			size_t n = 4 * (size_t)get32(x, out + 4);

			*body = NULL;
			*bodylen = n;
			if (n > 64u << 20)
				die("reply of %zu bytes", n);
			if (n) {
				*body = malloc(n);
				if (*body == NULL)
					die("out of memory");
				read_full(x->fd, *body, n);
			}
			return 1;
		}
		if (out[0] == 0)
			return 0;
	}
}

static void
expect_error(struct xc *x, const char *what, uint8_t code)
{
	uint8_t r[32], *body;
	uint16_t seq;
	size_t blen;
	int kind = xc_recv(x, r, &seq, &body, &blen);

	checks++;
	if (kind == 1)
		free(body);
	if (kind != 0 || r[1] != code || seq != x->seq) {
		failures++;
		printf("FAIL (%s order) %s: %s %u for sequence %u, want error "
		    "%u for %u\n", x->big ? "MSB" : "LSB", what,
		    kind ? "reply" : "error", kind ? 0u : (unsigned)r[1], seq,
		    code, x->seq);
	}
}

/* An error, whichever (extension error codes vary). */
static void
expect_some_error(struct xc *x, const char *what)
{
	uint8_t r[32], *body;
	uint16_t seq;
	size_t blen;
	int kind = xc_recv(x, r, &seq, &body, &blen);

	checks++;
	if (kind == 1)
		free(body);
	if (kind != 0 || seq != x->seq) {
		failures++;
		printf("FAIL (%s order) %s: %s for sequence %u, want an error "
		    "for %u\n", x->big ? "MSB" : "LSB", what,
		    kind ? "reply" : "error", seq, x->seq);
	}
}

/* Either answer is fine (random requests may name real resources). */
static void
expect_any(struct xc *x, const char *what)
{
	uint8_t r[32], *body;
	uint16_t seq;
	size_t blen;
	int kind = xc_recv(x, r, &seq, &body, &blen);

	checks++;
	if (kind == 1)
		free(body);
	if (seq != x->seq) {
		failures++;
		printf("FAIL (%s order) %s: answer for sequence %u, want %u\n",
		    x->big ? "MSB" : "LSB", what, seq, x->seq);
	}
}

/* GetInputFocus: the server still answers. */
static void
alive(struct xc *x, const char *after)
{
	uint8_t r[32], *body;
	uint16_t seq;
	size_t blen;

	xc_send(x, 43, 0, 1, NULL, 0);
	checks++;
	if (xc_recv(x, r, &seq, &body, &blen) != 1 || seq != x->seq) {
		failures++;
		printf("FAIL (%s order) server not answering after %s\n",
		    x->big ? "MSB" : "LSB", after);
	}
}

static void
query_extension(struct xc *x, const char *name, uint8_t *major,
    uint8_t *first_error)
{
	uint8_t buf[4 + 4 + 32], r[32], *body;
	size_t n = strlen(name), blen;
	uint16_t seq;

	memset(buf, 0, sizeof buf);
	buf[0] = 98;
	put16(x, buf + 2, (uint16_t)(2 + (n + 3) / 4));
	put16(x, buf + 4, (uint16_t)n);
	memcpy(buf + 8, name, n);
	write_full(x->fd, buf, 8 + 4 * ((n + 3) / 4));
	x->seq++;
	if (xc_recv(x, r, &seq, &body, &blen) != 1 || !r[8])
		die("%s: extension %s missing", x->big ? "MSB" : "LSB", name);
	free(body);
	*major = r[9];
	*first_error = r[11];
}

static void
version(struct xc *x)
{
	uint32_t f[2] = { EVGUI_MAJOR, EVGUI_MINOR };
	uint8_t r[32], *body;
	uint16_t seq;
	size_t blen;

	xc_send(x, x->major, EVGUI_QUERY_VERSION, EVGUI_LEN_QUERY_VERSION, f, 2);
	checks++;
	if (xc_recv(x, r, &seq, &body, &blen) != 1 ||
	    get32(x, r + 8) != EVGUI_MAJOR || get32(x, r + 12) != EVGUI_MINOR) {
		failures++;
		printf("FAIL (%s order) QueryVersion\n", x->big ? "MSB" : "LSB");
	}
	if (blen)
		free(body);
}

static void
run(int display, int big, unsigned seed)
{
	static const uint8_t lens[EVGUI_NREQUESTS] = {
		EVGUI_LEN_QUERY_VERSION, EVGUI_LEN_GET_GC, EVGUI_LEN_GET_WINDOW,
		EVGUI_LEN_GET_CURSOR, EVGUI_LEN_GET_PICTURE,
		EVGUI_LEN_LIST_GLYPHS, EVGUI_LEN_LIST_SELECTIONS,
		EVGUI_LEN_GET_DBE, EVGUI_LEN_GET_PICTURE_IMAGE,
	};
	uint32_t f[64], bogus;
	uint8_t dummy;
	struct xc x;
	char what[80];
	int m, i;

	xc_open(&x, display, big);
	query_extension(&x, EVGUI_NAME, &x.major, &dummy);
	query_extension(&x, "RENDER", &dummy, &x.render_error);
	bogus = x.xid_base | 0x1234;      /* in our range, never made */
	for (i = 0; i < 64; i++)
		f[i] = bogus;
	version(&x);

	/* Unknown minor opcodes. */
	xc_send(&x, x.major, EVGUI_NREQUESTS, 2, f, 1);
	expect_error(&x, "unknown minor", X_BAD_REQUEST);
	xc_send(&x, x.major, 255, 1, NULL, 0);
	expect_error(&x, "minor 255", X_BAD_REQUEST);

	/* Every request one word short, one long, header only, and long. */
	for (m = 0; m < EVGUI_NREQUESTS; m++) {
		snprintf(what, sizeof what, "minor %d one word short", m);
		xc_send(&x, x.major, (uint8_t)m, (uint16_t)(lens[m] - 1), f,
		    lens[m] - 2u);
		expect_error(&x, what, X_BAD_LENGTH);
		snprintf(what, sizeof what, "minor %d one word long", m);
		xc_send(&x, x.major, (uint8_t)m, (uint16_t)(lens[m] + 1), f,
		    lens[m]);
		expect_error(&x, what, X_BAD_LENGTH);
		snprintf(what, sizeof what, "minor %d header only", m);
		xc_send(&x, x.major, (uint8_t)m, 1, NULL, 0);
		if (lens[m] != 1)
			expect_error(&x, what, X_BAD_LENGTH);
		snprintf(what, sizeof what, "minor %d 60 words", m);
		xc_send(&x, x.major, (uint8_t)m, 60, f, 59);
		expect_error(&x, what, X_BAD_LENGTH);
	}
	alive(&x, "bad lengths");

	/* Ids that name nothing, or something of another type. */
	xc_send(&x, x.major, EVGUI_GET_GC, EVGUI_LEN_GET_GC, f, 1);
	expect_error(&x, "GetGC of nothing", X_BAD_GC);
	xc_send(&x, x.major, EVGUI_GET_WINDOW, EVGUI_LEN_GET_WINDOW, f, 2);
	expect_error(&x, "GetWindow of nothing", X_BAD_WINDOW);
	xc_send(&x, x.major, EVGUI_GET_CURSOR, EVGUI_LEN_GET_CURSOR, f, 1);
	expect_error(&x, "GetCursor of nothing", X_BAD_CURSOR);
	xc_send(&x, x.major, EVGUI_GET_PICTURE, EVGUI_LEN_GET_PICTURE, f, 1);
	expect_error(&x, "GetPicture of nothing", x.render_error + 1);
	xc_send(&x, x.major, EVGUI_LIST_GLYPHS, EVGUI_LEN_LIST_GLYPHS, f, 3);
	expect_error(&x, "ListGlyphs of nothing", x.render_error + 3);
	{
		uint32_t root_as[3] = { 0, 0, 0 };

		/* 0 and the root window's id as a GC. */
		xc_send(&x, x.major, EVGUI_GET_GC, EVGUI_LEN_GET_GC, root_as, 1);
		expect_error(&x, "GetGC of 0", X_BAD_GC);
		xc_send(&x, x.major, EVGUI_GET_WINDOW, EVGUI_LEN_GET_WINDOW,
		    root_as, 2);
		expect_error(&x, "GetWindow of 0", X_BAD_WINDOW);
	}
	{
		uint32_t zero[1] = { 0 };

		xc_send(&x, x.major, EVGUI_LIST_SELECTIONS,
		    EVGUI_LEN_LIST_SELECTIONS, zero, 1);
		expect_error(&x, "ListSelections of the server", X_BAD_VALUE);
		xc_send(&x, x.major, EVGUI_GET_DBE, EVGUI_LEN_GET_DBE, f, 1);
		expect_some_error(&x, "GetDbe of nothing");
	}
	alive(&x, "bad ids");

	/* Random requests: any answer, in order, and a living server. */
	srand(seed);
	for (i = 0; i < 3000; i++) {
		uint16_t words = (uint16_t)(1 + rand() % 8);
		uint8_t minor = (uint8_t)(rand() % 4 ? rand() % EVGUI_NREQUESTS :
		    rand() % 256);
		unsigned k;

		for (k = 0; k < words - 1u; k++)
			f[k] = rand() % 3 ? (uint32_t)rand() ^
			    ((uint32_t)rand() << 16) : x.xid_base + (uint32_t)
			    (rand() % 64);
		xc_send(&x, x.major, minor, words, f, words - 1u);
		expect_any(&x, "random request");
		if (i % 500 == 499)
			alive(&x, "random requests");
	}
	alive(&x, "random requests");
	close(x.fd);
}

int
main(int argc, char **argv)
{
	const char *d = argc > 1 ? argv[1] : getenv("DISPLAY");
	unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1;
	int display;

	if (d == NULL || d[0] != ':' || sscanf(d + 1, "%d", &display) != 1)
		die("usage: gvx-evgui-bad :N [SEED] (a local display)");
	run(display, 0, seed);
	run(display, 1, seed + 1);
	printf("gvx-evgui-bad: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

/*
 * rocks-dgram: a UDP-style program that sends its datagrams through a rock
 * (the RE-API's datagram tunnel, rocks.h), for the integration tests.
 *
 *   rocks-dgram server PORT
 *   rocks-dgram client HOST PORT COUNT [QUEUE_BYTES]
 *
 * The server accepts one connection, opens the tunnel and echoes every
 * datagram until the client closes; it prints "served N".  The client
 * connects, sets the suspend and resume callbacks (its failure and
 * recovery notices), opens the tunnel and sends COUNT datagrams, one every
 * 5 ms, of sizes from 0 to 60000 bytes, each numbered and filled from a
 * generator seeded by its number; it checks every echo by order, length
 * and content hash, then prints "ok N datagrams, K sent while suspended,
 * S suspends, R resumes, F refused by a full queue" (a refused datagram is
 * sent again 2 ms later).  Before, it checks the API's refusals (ENOTCONN,
 * EINVAL, EEXIST, EMSGSIZE).  Exit: 0 ok, 1 a datagram wrong, missing or
 * an error, 2 usage or no librocks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "librocks/rocks.h"

#define DG_BUF (ROCKS_DGRAM_MAX + 16)

static int dg_suspended, dg_nsusp, dg_nres;

static void
dg_on_suspend(int fd, void *arg)
{
	(void)fd;
	(void)arg;
	__atomic_store_n(&dg_suspended, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&dg_nsusp, 1, __ATOMIC_RELAXED);
}

static void
dg_on_resume(int fd, void *arg)
{
	(void)fd;
	(void)arg;
	__atomic_store_n(&dg_suspended, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&dg_nres, 1, __ATOMIC_RELAXED);
}

static uint64_t
dg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
dg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Datagram i: its size, and its bytes (the number, then generated). */
static size_t
dg_make(uint32_t i, uint8_t *out)
{
	size_t n = i % 97 == 50 ? 60000 : i % 31 == 7 ? 0 :
	    4 + (size_t)(i * 7919u) % 1400;
	uint64_t x = 0x9e3779b97f4a7c15ull ^ i;

	for (size_t k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[k] = (uint8_t)x;
	}
	if (n >= 4) {
		out[0] = (uint8_t)(i >> 24);
		out[1] = (uint8_t)(i >> 16);
		out[2] = (uint8_t)(i >> 8);
		out[3] = (uint8_t)i;
	}
	return n;
}

/* FNV-1a, 64 bits: the content hash a datagram is checked by. */
static uint64_t
dg_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t k = 0; k < n; k++)
		h = (h ^ p[k]) * 0x100000001b3ull;
	return h;
}

static int
dg_usage(void)
{
	fprintf(stderr, "usage: rocks-dgram server PORT | "
	    "rocks-dgram client HOST PORT COUNT\n");
	return 2;
}

static int
dg_server(const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	static uint8_t buf[DG_BUF];
	struct pollfd p;
	int l, fd, one = 1, i, rc;
	unsigned long served = 0;
	uint64_t t0;
	ssize_t n;

	a.sin6_port = htons((uint16_t)atoi(port));
	if ((l = socket(AF_INET6, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) {
		perror("rocks-dgram: listen");
		return 1;
	}
	if ((fd = accept(l, NULL, NULL)) < 0) {
		perror("rocks-dgram: accept");
		return 1;
	}
	close(l);
	/* an accepted rock is known once the client's first bytes are in */
	for (i = 0; i < 200 && (rc = rocks_is_rock(fd)) != 1; i++) {
		if (rc == 0) {
			fprintf(stderr, "rocks-dgram: the client is not a rock\n");
			return 1;
		}
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		(void)poll(&p, 1, 50);
	}
	if (rocks_dgram_open(fd, 0) < 0) {
		perror("rocks-dgram: rocks_dgram_open");
		return 1;
	}
	for (;;) {
		if ((n = rocks_dgram_recv(fd, buf, sizeof buf, 0)) < 0) {
			if (errno == ESHUTDOWN)
				break;
			perror("rocks-dgram: rocks_dgram_recv");
			return 1;
		}
		t0 = dg_now_ms();
		while (rocks_dgram_send(fd, buf, (size_t)n) < 0) {
			if (errno != EAGAIN || dg_now_ms() - t0 > 60000) {
				perror("rocks-dgram: rocks_dgram_send");
				return 1;
			}
			dg_sleep_ms(2);
		}
		served++;
	}
	printf("served %lu\n", served);
	return 0;
}

/* Checks the echoes that are there (all of them by deadline when wait). */
static int
dg_drain(int fd, uint32_t *next, uint32_t upto, uint64_t deadline, int wait)
{
	static uint8_t got[DG_BUF], want[DG_BUF];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t wn;
	ssize_t n;

	while (*next < upto) {
		n = rocks_dgram_recv(fd, got, sizeof got, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			if (!wait)
				return 0;
			if (dg_now_ms() > deadline) {
				fprintf(stderr, "rocks-dgram: echo %u never came\n",
				    *next);
				return -1;
			}
			(void)poll(&p, 1, 200);
			continue;
		}
		if (n < 0) {
			perror("rocks-dgram: rocks_dgram_recv");
			return -1;
		}
		wn = dg_make(*next, want);
		if ((size_t)n != wn || dg_hash(got, wn) != dg_hash(want, wn)) {
			fprintf(stderr, "rocks-dgram: echo %u: %zd bytes, hash "
			    "%016llx; expected %zu bytes, hash %016llx\n", *next,
			    n, (unsigned long long)dg_hash(got, (size_t)n),
			    wn, (unsigned long long)dg_hash(want, wn));
			return -1;
		}
		(*next)++;
	}
	return 0;
}

/* The refusals rocks(3) promises; 0 when each is as said. */
static int
dg_refusals(int fd, size_t queue)
{
	static uint8_t big[ROCKS_DGRAM_MAX + 1];
	struct { const char *what; int rc, want; } c[4];
	int i, bad = 0;

	errno = 0;
	c[0].what = "send before open";
	c[0].rc = rocks_dgram_send(fd, "x", 1) < 0 ? errno : 0;
	c[0].want = ENOTCONN;
	errno = 0;
	c[1].what = "open with a 100-byte queue";
	c[1].rc = rocks_dgram_open(fd, 100) < 0 ? errno : 0;
	c[1].want = EINVAL;
	if (rocks_dgram_open(fd, queue) < 0) {
		perror("rocks-dgram: rocks_dgram_open");
		return -1;
	}
	errno = 0;
	c[2].what = "a second open";
	c[2].rc = rocks_dgram_open(fd, queue) < 0 ? errno : 0;
	c[2].want = EEXIST;
	errno = 0;
	c[3].what = "a datagram over ROCKS_DGRAM_MAX";
	c[3].rc = rocks_dgram_send(fd, big, sizeof big) < 0 ? errno : 0;
	c[3].want = EMSGSIZE;
	for (i = 0; i < 4; i++)
		if (c[i].rc != c[i].want) {
			fprintf(stderr, "rocks-dgram: %s: %s, not %s\n", c[i].what,
			    strerror(c[i].rc), strerror(c[i].want));
			bad = 1;
		}
	return bad ? -1 : 0;
}

static int
dg_client(const char *host, const char *port, const char *count,
    size_t queue)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	static uint8_t buf[DG_BUF];
	uint32_t n = (uint32_t)strtoul(count, NULL, 10), i, next = 0;
	unsigned long while_susp = 0, refused = 0;
	uint64_t t0;
	size_t len;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return dg_usage();
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("rocks-dgram: connect");
		return 1;
	}
	freeaddrinfo(ai);
	if (rocks_is_rock(fd) != 1) {
		fprintf(stderr, "rocks-dgram: the connection is not a rock\n");
		return 1;
	}
	if (rocks_set_callbacks(fd, dg_on_suspend, dg_on_resume, NULL,
	    NULL) < 0) {
		perror("rocks-dgram: rocks_set_callbacks");
		return 1;
	}
	if (dg_refusals(fd, queue) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		len = dg_make(i, buf);
		t0 = dg_now_ms();
		while (rocks_dgram_send(fd, buf, len) < 0) {
			if (errno != EAGAIN || dg_now_ms() - t0 > 60000) {
				perror("rocks-dgram: rocks_dgram_send");
				return 1;
			}
			refused++;
			dg_sleep_ms(2);
		}
		if (__atomic_load_n(&dg_suspended, __ATOMIC_RELAXED))
			while_susp++;
		if (dg_drain(fd, &next, i + 1, 0, 0) < 0)
			return 1;
		dg_sleep_ms(5);
	}
	if (dg_drain(fd, &next, n, dg_now_ms() + 60000, 1) < 0)
		return 1;
	close(fd);
	printf("ok %u datagrams, %lu sent while suspended, %d suspends, "
	    "%d resumes, %lu refused by a full queue\n", n, while_susp,
	    dg_nsusp, dg_nres, refused);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ROCKS_AVAILABLE() || rocks_dgram_open == 0) {
		fprintf(stderr, "rocks-dgram: run it under rock\n");
		return 2;
	}
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return dg_server(argv[2]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "client") == 0)
		return dg_client(argv[2], argv[3], argv[4],
		    argc == 6 ? strtoul(argv[5], NULL, 10) : 0);
	return dg_usage();
}

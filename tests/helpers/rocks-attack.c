/*
 * rocks-attack: a hostile party at a rock's control port, for the security
 * tests.  Exit 0 when the rock did what it must (refused), 1 when it did not,
 * 2 on a usage or network error.
 *
 *   rocks-attack garbage HOST PORT         random bytes over TCP and UDP,
 *                                          truncated and oversized frames
 *   rocks-attack nokey HOST PORT IDHEX     reconnection for that rock with a
 *                                          made-up key: must be refused
 *   rocks-attack replay HOST PORT RECONNECT_HEX RESPONSE_HEX
 *                                          a captured reconnection, replayed:
 *                                          must be refused
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/wbuf.h"
#include "edp/edp.h"
#include "librocks/proto.h"

static struct addrinfo *
resolve(const char *host, const char *port, int type)
{
	struct addrinfo hints = { .ai_socktype = type }, *ai;

	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "rocks-attack: cannot resolve %s\n", host);
		exit(2);
	}
	return ai;
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo *ai = resolve(host, port, SOCK_STREAM);
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "rocks-attack: connect: %s\n", strerror(errno));
		exit(2);
	}
	freeaddrinfo(ai);
	return fd;
}

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Reads a hello and one frame; returns its type, or -1. */
static int
read_frame(int fd, uint8_t *buf, size_t max, size_t *len)
{
	uint8_t h[WBUF_HELLO_LEN + FRAME_HDR_LEN];
	uint64_t dl = edp_now_ns() + 5000000000ull;
	uint32_t n;

	if (edp_recv_exact(&edp_io_libc, fd, h, sizeof h, dl) < 0)
		return -1;
	n = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
	if (n > max || edp_recv_exact(&edp_io_libc, fd, buf, n, dl) < 0)
		return -1;
	*len = n;
	return h[12] << 8 | h[13];
}

static int
attack_garbage(const char *host, const char *port)
{
	struct addrinfo *ai;
	uint8_t junk[65536];
	struct wbuf b;
	int fd, i;

	crypto_random(junk, sizeof junk);
	for (i = 0; i < 5; i++) {            /* pure noise */
		fd = dial(host, port);
		(void)!write(fd, junk, sizeof junk);
		close(fd);
	}
	wbuf_init(&b, 0);                     /* a good hello, a lying length */
	wbuf_put_hello(&b, ROCKS_MAGIC, ROCKS_PROTO_VERSION, 0);
	wbuf_put_u32(&b, 0x7fffffff);
	wbuf_put_u16(&b, ROCKS_MSG_RECONNECT);
	fd = dial(host, port);
	(void)!write(fd, b.data, b.len);
	close(fd);
	wbuf_reset(&b);                       /* a cut-short RECONNECT */
	wbuf_put_hello(&b, ROCKS_MAGIC, ROCKS_PROTO_VERSION, 0);
	wbuf_put_u32(&b, 48);
	wbuf_put_u16(&b, ROCKS_MSG_RECONNECT);
	wbuf_put_bytes(&b, junk, 10);
	fd = dial(host, port);
	(void)!write(fd, b.data, b.len);
	close(fd);
	wbuf_free(&b);
	fd = dial(host, port);               /* connect and say nothing */
	close(fd);
	ai = resolve(host, port, SOCK_DGRAM);  /* heartbeat noise */
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	for (i = 0; i < 200; i++)
		(void)!sendto(fd, junk + i, (size_t)(i * 7) % 300, 0, ai->ai_addr,
		    ai->ai_addrlen);
	/* a well-formed heartbeat under a wrong key */
	{
		struct rocks_hb hb = { .type = 1, .seq = 1 };
		uint8_t pkt[ROCKS_HB_LEN], key[ROCKS_KEY_LEN] = { 0 };

		rocks_hb_encode(&hb, key, pkt);
		(void)!sendto(fd, pkt, sizeof pkt, 0, ai->ai_addr, ai->ai_addrlen);
	}
	close(fd);
	freeaddrinfo(ai);
	printf("sent garbage\n");
	return 0;
}

static int
attack_nokey(const char *host, const char *port, const char *idhex)
{
	struct rocks_reconnect rq;
	struct rocks_response rs = { .rcvd = 0 };
	uint8_t buf[ROCKS_MSG_MAX];
	struct wbuf b;
	size_t len;
	int fd, t;

	if (unhex(idhex, rq.id, sizeof rq.id) != sizeof rq.id) {
		fprintf(stderr, "rocks-attack: id must be 32 hex digits\n");
		return 2;
	}
	crypto_random(rq.nonce, sizeof rq.nonce);
	crypto_random(rs.mac, sizeof rs.mac);
	fd = dial(host, port);
	wbuf_init(&b, 0);
	wbuf_put_hello(&b, ROCKS_MAGIC, ROCKS_PROTO_VERSION, 0);
	rocks_put_reconnect(&b, &rq);
	(void)!write(fd, b.data, b.len);
	t = read_frame(fd, buf, sizeof buf, &len);
	if (t != ROCKS_MSG_CHALLENGE) {
		printf("no challenge (type %d)\n", t);
		return t == ROCKS_MSG_REFUSED ? 0 : 1;
	}
	wbuf_reset(&b);
	rocks_put_response(&b, &rs);
	(void)!write(fd, b.data, b.len);
	t = read_frame(fd, buf, sizeof buf, &len);
	wbuf_free(&b);
	printf("answer to a made-up key: %s\n", t == ROCKS_MSG_REFUSED ?
	    "refused" : t == ROCKS_MSG_RESUMED ? "RESUMED" : "closed");
	return t == ROCKS_MSG_RESUMED ? 1 : 0;
}

static int
attack_replay(const char *host, const char *port, const char *rqhex,
    const char *rshex)
{
	uint8_t rqb[512], rsb[512], buf[ROCKS_MSG_MAX];
	size_t nrq = unhex(rqhex, rqb, sizeof rqb), nrs = unhex(rshex, rsb, sizeof rsb);
	size_t len;
	int fd, t;

	if (nrq == 0 || nrs == 0) {
		fprintf(stderr, "rocks-attack: bad capture\n");
		return 2;
	}
	fd = dial(host, port);
	(void)!write(fd, rqb, nrq);
	t = read_frame(fd, buf, sizeof buf, &len);
	if (t != ROCKS_MSG_CHALLENGE) {
		printf("no challenge (type %d)\n", t);
		return 0;
	}
	(void)!write(fd, rsb, nrs);
	t = read_frame(fd, buf, sizeof buf, &len);
	printf("answer to the replay: %s\n", t == ROCKS_MSG_REFUSED ?
	    "refused" : t == ROCKS_MSG_RESUMED ? "RESUMED" : "closed");
	return t == ROCKS_MSG_RESUMED ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "garbage") == 0)
		return attack_garbage(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "nokey") == 0)
		return attack_nokey(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "replay") == 0)
		return attack_replay(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: rocks-attack garbage|nokey|replay HOST PORT ...\n");
	return 2;
}

/*
 * flac-rpc-probe: speaks flac's rpc protocol to flac-rpcd for tests,
 * including what a well-behaved client never sends.
 *
 *   flac-rpc-probe HOST PORT KEYFILE stat PATH     status and size
 *   flac-rpc-probe HOST PORT KEYFILE read PATH     the file to stdout
 *   flac-rpc-probe HOST PORT KEYFILE garbage       noise after the login;
 *                                                  prints how it ended
 *   flac-rpc-probe HOST PORT KEYFILE login         only the login
 *
 * Prints "status N" (0 or -errno) for each request on stderr; exit 0 when the
 * conversation went as the protocol says (whatever the status), 3 when
 * the server refused the login, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flac/rpc/rpcproto.h"

static int fd = -1;
static struct wbuf in, out;
static size_t used;

static int
flush_out(void)
{
	ssize_t w = send(fd, out.data, out.len, MSG_NOSIGNAL);
	int ok = w == (ssize_t)out.len;

	wbuf_reset(&out);
	return ok ? 0 : -1;
}

/* 1 and a frame, 0 at end of file, -1 on timeout or a bad frame */
static int
frame(uint16_t *type, struct wbuf *pl)
{
	if (used) {
		memmove(in.data, in.data + used, in.len - used);
		in.len -= used;
		used = 0;
	}
	for (;;) {
		int n = frame_parse(in.data, in.len, RPC_FRAME_MAX, type, pl);
		struct pollfd p = { fd, POLLIN, 0 };
		uint8_t *dst;
		ssize_t r;

		if (n < 0)
			return -1;
		if (n > 0) {
			used = (size_t)n;
			return 1;
		}
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		if (wbuf_reserve(&in, 65536, &dst) < 0)
			return -1;
		r = recv(fd, dst, 65536, 0);
		in.len -= 65536 - (r > 0 ? (size_t)r : 0);
		if (r <= 0)
			return 0;
	}
}

static int
login(const char *keyfile)
{
	uint8_t key[1024], cn[RPC_NONCE_LEN], sn[RPC_NONCE_LEN];
	uint8_t mac[CRYPTO_HMAC_LEN], hello[WBUF_HELLO_LEN];
	struct wbuf pl;
	uint16_t type, v, f;
	ssize_t n;
	size_t got = 0;
	int k = open(keyfile, O_RDONLY);

	if (k < 0)
		return -1;
	n = read(k, key, sizeof key);
	close(k);
	while (n > 0 && key[n - 1] == '\n')
		n--;
	while (got < sizeof hello) {
		ssize_t r = recv(fd, hello + got, sizeof hello - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	wbuf_view(&pl, hello, sizeof hello);
	if (wbuf_get_hello(&pl, RPC_MAGIC, &v, &f) < 0 || frame(&type, &pl) != 1 ||
	    type != RPC_CHALLENGE || wbuf_get_bytes(&pl, sn, sizeof sn) < 0)
		return -1;
	memset(cn, 7, sizeof cn);
	if (rpc_auth_mac(key, (size_t)(n > 0 ? n : 0), "client", cn, sn, mac) < 0 ||
	    wbuf_put_hello(&out, RPC_MAGIC, RPC_VERSION, 0) < 0 ||
	    rpc_put_auth(&out, cn, mac) < 0 || flush_out() < 0)
		return -1;
	if (frame(&type, &pl) != 1)
		return -1;
	if (type == RPC_REFUSED)
		return 3;
	return type == RPC_AUTH_OK ? 0 : -1;
}

static int
call(struct rpc_req *q, struct rpc_result *res, struct wbuf *pl)
{
	uint16_t type;
	uint32_t id;
	int32_t st;

	q->id = 42;
	if (rpc_put_req(&out, q) < 0 || flush_out() < 0 ||
	    frame(&type, pl) != 1 || type != RPC_REPLY ||
	    rpc_get_reply(pl, &id, &st, res) < 0 || id != 42)
		return -100000;
	fprintf(stderr, "status %d\n", st);
	return st;
}

int
main(int argc, char **argv)
{
	struct addrinfo hints, *ai;
	struct rpc_req q;
	struct rpc_result res;
	struct wbuf pl;
	int r;

	if (argc < 5) {
		fprintf(stderr, "usage: flac-rpc-probe HOST PORT KEYFILE "
		    "stat|read PATH | garbage | login\n");
		return 2;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		return 1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("flac-rpc-probe: connect");
		return 1;
	}
	freeaddrinfo(ai);
	wbuf_init(&in, RPC_FRAME_MAX + 70000);
	wbuf_init(&out, RPC_FRAME_MAX + 64);
	r = login(argv[3]);
	if (r == 3) {
		printf("refused\n");
		return 3;
	}
	if (r < 0) {
		printf("login failed\n");
		return 1;
	}
	memset(&q, 0, sizeof q);
	if (strcmp(argv[4], "login") == 0)
		return 0;
	if (strcmp(argv[4], "garbage") == 0) {
		static const uint8_t noise[] = { 0, 0, 0, 3, 0, 99, 1, 2, 3,
		    0, 0, 0, 1, 0, 20, 0xff };
		uint16_t type;

		if (send(fd, noise, sizeof noise, MSG_NOSIGNAL) < 0)
			return 1;
		r = frame(&type, &pl);
		printf(r == 0 ? "closed\n" : "answered\n");
		return r == 0 ? 0 : 1;
	}
	if (argc < 6)
		return 2;
	snprintf(q.path, sizeof q.path, "%s", argv[5]);
	if (strcmp(argv[4], "stat") == 0) {
		q.op = RPC_STAT;
		r = call(&q, &res, &pl);
		if (r == 0)
			fprintf(stderr, "size %llu\n",
			    (unsigned long long)res.st.size);
		return r == -100000 ? 1 : 0;
	}
	if (strcmp(argv[4], "read") == 0) {
		uint64_t off = 0;
		uint32_t h;

		q.op = RPC_OPEN;
		q.flags = RPC_O_RDONLY;
		if ((r = call(&q, &res, &pl)) != 0)
			return r == -100000 ? 1 : 0;
		h = res.value;
		for (;;) {
			memset(&q, 0, sizeof q);
			q.op = RPC_PREAD;
			q.handle = h;
			q.off = off;
			q.count = 65536;
			if ((r = call(&q, &res, &pl)) != 0)
				return 1;
			if (res.len == 0)
				break;
			fwrite(res.data, 1, res.len, stdout);
			off += res.len;
		}
		return 0;
	}
	return 2;
}

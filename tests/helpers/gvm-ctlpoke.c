/*
 * gvm-ctlpoke: sends libguievict.so's control socket what it must survive
 * (docs/protocol/guievict-ctl.md), one connection per case:
 *
 *   gvm-ctlpoke PID UID
 *
 *   badmagic   a hello with the wrong magic
 *   huge       a frame announcing 2 GB
 *   cut        half a frame, then the connection closes
 *   unknown    a good hello, then a request of an unknown type
 *   shortcmd   a good hello, then a DETACH whose payload is cut short
 *   garbage    4 KB of noise
 *
 * For each prints "CASE: answer TYPE" (the frame type that came back),
 * "CASE: closed" or "CASE: timeout".  Exit 0 unless it cannot connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
poke_connect(int pid, unsigned uid)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int fd, n;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1,
	    "evict-guievict-%u-%d", uid, pid);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sl) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A frame: u32 length | u16 type | payload. */
static size_t
poke_frame(uint8_t *out, uint16_t type, const void *p, uint32_t len)
{
	uint32_t l = htonl(len);
	uint16_t t = htons(type);

	memcpy(out, &l, 4);
	memcpy(out + 4, &t, 2);
	memcpy(out + 6, p, len);
	return 6 + (size_t)len;
}

static size_t
poke_hello(uint8_t *out, uint32_t magic)
{
	uint8_t h[8];
	uint32_t m = htonl(magic);
	uint16_t v = htons(1), f = 0;

	memcpy(h, &m, 4);
	memcpy(h + 4, &v, 2);
	memcpy(h + 6, &f, 2);
	return poke_frame(out, 100, h, 8);
}

/* The type of the next frame that comes back, 0 closed, -1 timeout. */
static int
poke_answer(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint8_t hdr[6], skip[256];
	size_t got = 0, len;
	ssize_t n;

	while (got < sizeof hdr) {
		if (poll(&p, 1, 5000) != 1)
			return -1;
		n = recv(fd, hdr + got, sizeof hdr - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
	    hdr[3];
	while (len > 0) {		/* the payload */
		if (poll(&p, 1, 5000) != 1)
			return -1;
		n = recv(fd, skip, len < sizeof skip ? len : sizeof skip, 0);
		if (n <= 0)
			return 0;
		len -= (size_t)n;
	}
	return hdr[4] << 8 | hdr[5];
}

static void
poke_case(const char *name, int pid, unsigned uid, const uint8_t *p, size_t n,
    int skip_answers, int close_after)
{
	int fd = poke_connect(pid, uid), a;

	if (fd < 0) {
		printf("%s: cannot connect\n", name);
		exit(1);
	}
	if (send(fd, p, n, MSG_NOSIGNAL) < 0) {
		printf("%s: closed\n", name);
		close(fd);
		return;
	}
	if (close_after) {
		close(fd);
		printf("%s: sent and closed\n", name);
		return;
	}
	while (skip_answers-- > 0)
		poke_answer(fd);
	a = poke_answer(fd);
	if (a > 0)
		printf("%s: answer %d\n", name, a);
	else
		printf("%s: %s\n", name, a == 0 ? "closed" : "timeout");
	close(fd);
}

int
main(int argc, char **argv)
{
	uint8_t buf[8192], noise[4096];
	unsigned uid;
	size_t n, i;
	int pid;

	if (argc != 3) {
		fprintf(stderr, "usage: gvm-ctlpoke PID UID\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = atoi(argv[1]);
	uid = (unsigned)strtoul(argv[2], NULL, 10);

	n = poke_hello(buf, 0x12345678);
	poke_case("badmagic", pid, uid, buf, n, 0, 0);

	memcpy(buf, "\x7f\xff\xff\xff\x00\x64", 6);
	poke_case("huge", pid, uid, buf, 6, 0, 0);

	n = poke_hello(buf, 0x47564354);
	poke_case("cut", pid, uid, buf, n / 2, 0, 1);

	n = poke_hello(buf, 0x47564354);
	n += poke_frame(buf + n, 777, "x", 1);
	poke_case("unknown", pid, uid, buf, n, 1, 0);

	n = poke_hello(buf, 0x47564354);
	n += poke_frame(buf + n, 300, "\0\0", 2);
	poke_case("shortcmd", pid, uid, buf, n, 1, 0);

	for (i = 0; i < sizeof noise; i++)
		noise[i] = (uint8_t)(i * 131 + 7);
	poke_case("garbage", pid, uid, noise, sizeof noise, 0, 0);
	return 0;
}

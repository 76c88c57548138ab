/*
 * gvm-xproxy: a misbehaving X server for guievict's tests.  It listens as
 * display :N (the abstract socket @/tmp/.X11-unix/XN, where libxcb looks
 * first) and relays each connection to the real display :M, until it
 * misbehaves as told:
 *
 *   gvm-xproxy N M MODE [BYTES]
 *
 *   garbage    answers the connection setup with 64 bytes that are no
 *              X answer, then closes
 *   vanish     relays; once the client has sent BYTES bytes, closes both
 *              sides (a server that goes away in the middle of an attach)
 *   truncate   relays; once the server has sent BYTES bytes, sends the
 *              first 20 bytes of the next 32 and closes
 *   malformed  relays; once the server has sent BYTES bytes, sends a
 *              reply announcing 2^31 bytes of data, then closes
 *
 * One connection at a time; prints "listening" when ready and one line
 * per connection ("closed after C client bytes, S server bytes").
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
xp_sock(int n, int listen_it)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int fd, k;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	k = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1,
	    "/tmp/.X11-unix/X%d", n);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)k);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (listen_it ? (bind(fd, (struct sockaddr *)&sa, sl) != 0 ||
	    listen(fd, 8) != 0) : connect(fd, (struct sockaddr *)&sa, sl) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
xp_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		k = send(fd, c, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
xp_serve(int cfd, int target, const char *mode, long limit)
{
	struct pollfd p[2];
	char buf[65536];
	long cbytes = 0, sbytes = 0;
	ssize_t n;
	size_t k;
	int sfd;

	if (strcmp(mode, "garbage") == 0) {
		memset(buf, 0x5a, 64);
		recv(cfd, buf + 64, sizeof buf - 64, 0);
		xp_write_all(cfd, buf, 64);
		printf("closed: garbage sent\n");
		return;
	}
	if ((sfd = xp_sock(target, 0)) < 0) {
		printf("closed: no display :%d\n", target);
		return;
	}
	p[0].fd = cfd;
	p[1].fd = sfd;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & (POLLIN | POLLHUP)) {
			n = recv(cfd, buf, sizeof buf, 0);
			if (n <= 0)
				break;
			if (strcmp(mode, "vanish") == 0 && cbytes + n >= limit) {
				cbytes += n;
				break;
			}
			cbytes += n;
			if (xp_write_all(sfd, buf, (size_t)n) != 0)
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = recv(sfd, buf, sizeof buf, 0);
			if (n <= 0)
				break;
			k = (size_t)n;
			if ((strcmp(mode, "truncate") == 0 ||
			    strcmp(mode, "malformed") == 0) &&
			    sbytes + n >= limit) {
				size_t keep = limit > sbytes ?
				    (size_t)(limit - sbytes) : 0;

				/* up to the limit, rounded down to whole 32s */
				keep -= keep % 32;
				if (keep > k)
					keep = k;
				xp_write_all(cfd, buf, keep);
				memset(buf, 0, 32);
				if (mode[0] == 't') {
					buf[0] = 2;	/* an event, cut short */
					xp_write_all(cfd, buf, 20);
				} else {
					buf[0] = 1;	/* a reply of 2^31 bytes */
					buf[7] = 0x20;
					xp_write_all(cfd, buf, 32);
				}
				sbytes += (long)keep;
				break;
			}
			sbytes += n;
			if (xp_write_all(cfd, buf, k) != 0)
				break;
		}
	}
	close(sfd);
	printf("closed after %ld client bytes, %ld server bytes\n", cbytes,
	    sbytes);
}

int
main(int argc, char **argv)
{
	int lfd, cfd, n, target;
	long limit = argc > 4 ? atol(argv[4]) : 0;

	if (argc < 4 || (n = atoi(argv[1])) < 0 || (target = atoi(argv[2])) < 0) {
		fprintf(stderr, "usage: gvm-xproxy N M garbage|vanish|truncate|"
		    "malformed [BYTES]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((lfd = xp_sock(n, 1)) < 0) {
		fprintf(stderr, "gvm-xproxy: cannot listen as :%d: %s\n", n,
		    strerror(errno));
		return 1;
	}
	printf("listening\n");
	for (;;) {
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		xp_serve(cfd, target, argv[3], limit);
		close(cfd);
	}
}

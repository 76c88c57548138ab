/*
 * rockd-load: many concurrent streams from one process, for the rockd load
 * test.
 *
 *   rockd-load echo PORT
 *       echoes every client (one epoll loop, any number of clients)
 *   rockd-load client HOST PORT CONNS BYTES SECONDS
 *       opens CONNS connections, one after another, then sends BYTES on
 *       each, paced evenly over SECONDS, and checks that the echo is the
 *       same bytes (each connection's stream is its own pseudo-random
 *       sequence).  Prints "ok N bad M" and exits 0 when every connection
 *       got its bytes back intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The byte at position i of stream k. */
static uint8_t
stream_byte(uint32_t k, uint64_t i)
{
	uint64_t x = (i / 8) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)k << 32 | 0x5bd1e995u);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 33;
	return (uint8_t)(x >> (8 * (i % 8)));
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
echo_main(const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	struct epoll_event ev, evs[256];
	char buf[65536];
	int l, ep, one = 1, zero = 0, n, i, fd;
	ssize_t k, w, off;

	raise_nofile();
	a.sin6_port = htons((uint16_t)atoi(port));
	l = socket(AF_INET6, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1024) < 0) {
		perror("rockd-load: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = l };
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == l) {
				int c = accept(l, NULL, NULL);

				if (c < 0)
					continue;
				ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				continue;
			}
			k = read(fd, buf, sizeof buf);
			if (k <= 0) {
				close(fd);
				continue;
			}
			/* blocking writes: the echo is small and paced */
			for (off = 0; off < k; off += w)
				if ((w = write(fd, buf + off, (size_t)(k - off))) <= 0)
					break;
		}
	}
}

struct conn {
	int      fd;
	uint64_t sent, rcvd;
	int      bad, done;
};

static int
client_main(const char *host, const char *port, int nconn, uint64_t bytes,
    double secs)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct conn *c = calloc((size_t)nconn, sizeof *c);
	struct pollfd *p = calloc((size_t)nconn, sizeof *p);
	uint8_t buf[16384];
	double t0, deadline, due;
	int i, ok = 0, bad = 0, left, one = 1;
	ssize_t k;

	raise_nofile();
	if (c == NULL || p == NULL || getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "rockd-load: cannot resolve %s\n", host);
		return 1;
	}
	for (i = 0; i < nconn; i++) {
		c[i].fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (c[i].fd < 0 || connect(c[i].fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			fprintf(stderr, "rockd-load: connection %d: %s\n", i,
			    strerror(errno));
			return 1;
		}
		setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
	fprintf(stderr, "rockd-load: %d connections open\n", nconn);
	t0 = now_s();
	deadline = t0 + secs + 600;
	left = nconn;
	while (left > 0 && now_s() < deadline) {
		due = now_s() - t0;
		for (i = 0; i < nconn; i++) {
			uint64_t want = secs > 0 ? (uint64_t)((double)bytes * due / secs) : bytes;

			if (want > bytes)
				want = bytes;
			p[i].fd = c[i].done ? -1 : c[i].fd;
			p[i].events = POLLIN | (c[i].sent < want ? POLLOUT : 0);
			p[i].revents = 0;
		}
		if (poll(p, (nfds_t)nconn, 20) < 0 && errno != EINTR)
			break;
		due = now_s() - t0;
		for (i = 0; i < nconn; i++) {
			struct conn *x = &c[i];
			uint64_t want = secs > 0 ? (uint64_t)((double)bytes * due / secs) : bytes;

			if (x->done)
				continue;
			if (want > bytes)
				want = bytes;
			if ((p[i].revents & POLLOUT) && x->sent < want) {
				size_t n = want - x->sent, j;

				if (n > sizeof buf)
					n = sizeof buf;
				for (j = 0; j < n; j++)
					buf[j] = stream_byte((uint32_t)i, x->sent + j);
				k = write(x->fd, buf, n);
				if (k > 0)
					x->sent += (uint64_t)k;
				if (x->sent == bytes)
					shutdown(x->fd, SHUT_WR);
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				k = read(x->fd, buf, sizeof buf);
				if (k > 0) {
					for (ssize_t j = 0; j < k; j++)
						if (buf[j] != stream_byte((uint32_t)i, x->rcvd + (uint64_t)j))
							x->bad = 1;
					x->rcvd += (uint64_t)k;
				} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
					if (k < 0)
						fprintf(stderr, "rockd-load: connection %d: %s\n",
						    i, strerror(errno));
					x->done = 1;
					left--;
				}
			}
		}
	}
	for (i = 0; i < nconn; i++) {
		if (!c[i].bad && c[i].rcvd == bytes && c[i].sent == bytes)
			ok++;
		else {
			bad++;
			if (bad <= 5)
				fprintf(stderr, "rockd-load: connection %d: sent %llu, "
				    "echoed %llu%s\n", i, (unsigned long long)c[i].sent,
				    (unsigned long long)c[i].rcvd,
				    c[i].bad ? ", bytes differ" : "");
		}
		close(c[i].fd);
	}
	printf("ok %d bad %d in %.1f s\n", ok, bad, now_s() - t0);
	return bad == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return echo_main(argv[2]);
	if (argc == 7 && strcmp(argv[1], "client") == 0)
		return client_main(argv[2], argv[3], atoi(argv[4]),
		    strtoull(argv[5], NULL, 10), atof(argv[6]));
	fprintf(stderr, "usage: rockd-load echo PORT\n"
	    "       rockd-load client HOST PORT CONNS BYTES SECONDS\n");
	return 2;
}

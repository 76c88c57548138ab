/*
 * rocks-reapi-demo: a mobile-aware program using the RE-API (rocks.h).
 *
 *   rocks-reapi-demo HOST PORT [--hb MS] [--misses N] [--before]
 *                    [--reconnect S] [--alt ADDR] [--seconds S]
 *                    [--exit-after-resume]
 *
 * Connects to HOST PORT, asks for a heartbeat of MS (default 200) x N
 * (default 3) -- before connect() with --before, else after -- and sets
 * callbacks that print when the connection is suspended, resumed or given
 * up.  --alt gives an alternate address for the peer from the suspend
 * callback.  It sends a line every 200 ms and ends after S seconds (default
 * 30), or after the first resume with --exit-after-resume, printing the
 * final status.
 *
 * Built without librocks (the RE-API's symbols are weak): run plainly, it
 * says "rocks: not available" and still talks to the peer.
 *
 * The callbacks run in librocks' control thread and must not block: they
 * only write one byte to a non-blocking pipe; the main loop prints.
 *
 * Output lines (stdout): "connected fd N", "rocks: available|not
 * available", "is_rock N", "heartbeat MS x N in effect", "event suspend",
 * "event resume", "event timeout", each event followed by "status ...".
 * Exit: 0 done, 1 error, 2 usage, 3 timeout callback seen.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "librocks/rocks.h"

static int demo_pipe[2] = { -1, -1 };
static struct sockaddr_storage demo_alt;
static socklen_t demo_altlen;

static void
demo_event(char what)
{
	/* the control thread must not block: a full pipe loses the byte */
	(void)!write(demo_pipe[1], &what, 1);
}

static void
on_suspend(int fd, void *arg)
{
	(void)arg;
	if (demo_altlen > 0)
		(void)rocks_set_alternate_address(fd,
		    (struct sockaddr *)&demo_alt, demo_altlen);
	demo_event('s');
}

static void
on_resume(int fd, void *arg)
{
	(void)fd;
	(void)arg;
	demo_event('r');
}

static void
on_timeout(int fd, void *arg)
{
	(void)fd;
	(void)arg;
	demo_event('t');
}

static const char *
demo_state(int st)
{
	switch (st) {
	case ROCKS_UNDECIDED: return "UNDECIDED";
	case ROCKS_CONNECTED: return "CONNECTED";
	case ROCKS_SUSPENDED: return "SUSPENDED";
	case ROCKS_CLOSED:    return "CLOSED";
	}
	return "?";
}

static void
demo_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "-";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
		port = ntohs(s6->sin6_port);
	}
	snprintf(out, n, "%s:%u", h, port);
}

static void
demo_status(int fd)
{
	struct rocks_status st;
	char peer[80], rc[80];

	if (!ROCKS_AVAILABLE())
		return;
	if (rocks_status(fd, &st) < 0) {
		printf("status error: %s\n", strerror(errno));
		return;
	}
	demo_addr(&st.peer, peer, sizeof peer);
	demo_addr(&st.reconnect, rc, sizeof rc);
	printf("status %s peer %s reconnect %s sent %llu rcvd %llu "
	    "heartbeat %u x %u reconnects %llu reason \"%s\"\n",
	    demo_state(st.state), peer, rc, (unsigned long long)st.sent,
	    (unsigned long long)st.rcvd, st.heartbeat_ms, st.heartbeat_misses,
	    (unsigned long long)st.reconnects, st.reason);
}

static double
demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
demo_set(int fd, unsigned hb, unsigned misses, long reconnect)
{
	if (rocks_set_heartbeat(fd, hb, misses) < 0) {
		printf("set_heartbeat: %s\n", strerror(errno));
		return -1;
	}
	if (rocks_set_callbacks(fd, on_suspend, on_resume, on_timeout,
	    NULL) < 0) {
		printf("set_callbacks: %s\n", strerror(errno));
		return -1;
	}
	if (reconnect >= 0 &&
	    rocks_set_reconnect_timeout(fd, (unsigned)reconnect) < 0) {
		printf("set_reconnect_timeout: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	unsigned hb = 200, misses = 3;
	long reconnect = -1;
	double seconds = 30, end, next_tx = 0;
	int before = 0, exit_resume = 0, fd, i, rc, timed_out = 0;
	struct rocks_status st;
	char buf[4096];
	unsigned long ticks = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		goto usage;
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--hb") == 0 && i + 1 < argc)
			hb = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--misses") == 0 && i + 1 < argc)
			misses = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--reconnect") == 0 && i + 1 < argc)
			reconnect = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--before") == 0)
			before = 1;
		else if (strcmp(argv[i], "--exit-after-resume") == 0)
			exit_resume = 1;
		else if (strcmp(argv[i], "--alt") == 0 && i + 1 < argc) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&demo_alt;

			if (inet_pton(AF_INET, argv[++i], &s4->sin_addr) != 1)
				goto usage;
			s4->sin_family = AF_INET;
			demo_altlen = sizeof *s4;
		} else
			goto usage;
	}
	if (pipe2(demo_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return 1;
	if ((rc = getaddrinfo(argv[1], argv[2], &hints, &ai)) != 0) {
		fprintf(stderr, "rocks-reapi-demo: %s: %s\n", argv[1],
		    gai_strerror(rc));
		return 1;
	}
	printf("rocks: %s\n", ROCKS_AVAILABLE() ? "available" : "not available");
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	if (before && ROCKS_AVAILABLE() && demo_set(fd, hb, misses, reconnect) < 0)
		return 1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "rocks-reapi-demo: connect: %s\n", strerror(errno));
		return 1;
	}
	freeaddrinfo(ai);
	printf("connected fd %d\n", fd);
	if (ROCKS_AVAILABLE()) {
		printf("is_rock %d\n", rocks_is_rock(fd));
		if (!before && demo_set(fd, hb, misses, reconnect) < 0)
			return 1;
		if (rocks_status(fd, &st) == 0)
			printf("heartbeat %u x %u in effect\n", st.heartbeat_ms,
			    st.heartbeat_misses);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	end = demo_now() + seconds;
	while (demo_now() < end) {
		struct pollfd p[2] = {
			{ .fd = demo_pipe[0], .events = POLLIN },
			{ .fd = fd, .events = POLLIN },
		};
		char ev;

		if (demo_now() >= next_tx) {
			int n = snprintf(buf, sizeof buf, "tick %lu\n", ++ticks);

			(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
			next_tx = demo_now() + 0.2;
		}
		if (poll(p, 2, 100) < 0 && errno != EINTR)
			return 1;
		while (read(demo_pipe[0], &ev, 1) == 1) {
			printf("event %s\n", ev == 's' ? "suspend" : ev == 'r' ?
			    "resume" : "timeout");
			demo_status(fd);
			if (ev == 't')
				timed_out = 1;
			if (ev == 'r' && exit_resume)
				end = 0;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

			if (n == 0) {
				printf("peer closed\n");
				break;
			}
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				printf("error %s\n", strerror(errno));
				break;
			}
		}
	}
	/* a callback may trail the error the program saw */
	for (i = 0; i < 5; i++) {
		struct pollfd p = { .fd = demo_pipe[0], .events = POLLIN };
		char ev;

		if (poll(&p, 1, 100) <= 0)
			continue;
		while (read(demo_pipe[0], &ev, 1) == 1) {
			printf("event %s\n", ev == 's' ? "suspend" : ev == 'r' ?
			    "resume" : "timeout");
			if (ev == 't')
				timed_out = 1;
		}
	}
	printf("final\n");
	demo_status(fd);
	close(fd);
	return timed_out ? 3 : 0;
usage:
	fprintf(stderr, "usage: rocks-reapi-demo HOST PORT [--hb MS] [--misses "
	    "N] [--before] [--reconnect S] [--alt ADDR] [--seconds S] "
	    "[--exit-after-resume]\n");
	return 2;
}

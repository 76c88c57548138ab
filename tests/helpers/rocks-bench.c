/*
 * rocks-bench: the measuring end of the rocks benchmarks; the same binary
 * runs plain and under `rock`, so the two are compared in one run.
 *
 *   rocks-bench sink PORT                   read and discard, once per client
 *   rocks-bench source HOST PORT SIZE CHUNK write SIZE bytes CHUNK at a time;
 *                                           prints "seconds cpu_seconds"
 *   rocks-bench echo PORT                   echo every client
 *   rocks-bench rtt HOST PORT N             N round trips of 64 bytes;
 *                                           prints "median_us p99_us"
 *   rocks-bench connect HOST PORT N         N connects (and closes);
 *                                           prints "median_us p99_us"
 *   rocks-bench ping HOST PORT SECONDS      a round trip every 10 ms; prints
 *                                           the CLOCK_REALTIME of each (us)
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd, one = 1;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	freeaddrinfo(ai);
	return fd;
}

static int
listener(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_port = htons((uint16_t)atoi(port));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
		perror("rocks-bench: listen");
		exit(1);
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(double *v, long n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	printf("%.1f %.1f\n", v[n / 2] * 1e6, v[(long)(n * 0.99)] * 1e6);
}

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct rusage ru;
	double t0, *v;
	long n, i, size, chunk;
	int fd, lfd, c;
	ssize_t r;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "sink") == 0) {
		lfd = listener(argv[2]);
		for (;;) {
			if ((c = accept(lfd, NULL, NULL)) < 0)
				continue;
			while ((r = read(c, buf, sizeof buf)) > 0)
				;
			close(c);
		}
	}
	if (argc == 3 && strcmp(argv[1], "echo") == 0) {
		lfd = listener(argv[2]);
		for (;;) {
			if ((c = accept(lfd, NULL, NULL)) < 0)
				continue;
			if (fork() == 0) {
				int one = 1;

				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				while ((r = read(c, buf, sizeof buf)) > 0)
					if (write_all(c, buf, (size_t)r) < 0)
						break;
				_exit(0);
			}
			close(c);
		}
	}
	if (argc == 6 && strcmp(argv[1], "source") == 0) {
		size = atol(argv[4]);
		chunk = atol(argv[5]);
		if (chunk <= 0 || chunk > (long)sizeof buf || (fd = dial(argv[2], argv[3])) < 0)
			return 1;
		memset(buf, 'x', sizeof buf);
		t0 = now_s();
		for (i = 0; i < size; i += chunk)
			if (write_all(fd, buf, (size_t)(size - i < chunk ? size - i : chunk)) < 0)
				return 1;
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof buf) > 0)
			;
		getrusage(RUSAGE_SELF, &ru);
		printf("%.4f %.4f\n", now_s() - t0,
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "rtt") == 0) {
		n = atol(argv[4]);
		if (n <= 0 || (fd = dial(argv[2], argv[3])) < 0 ||
		    (v = calloc((size_t)n, sizeof *v)) == NULL)
			return 1;
		for (i = 0; i < n; i++) {
			t0 = now_s();
			if (write_all(fd, buf, 64) < 0 || read_all(fd, buf, 64) < 0)
				return 1;
			v[i] = now_s() - t0;
		}
		report(v, n);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "connect") == 0) {
		n = atol(argv[4]);
		if (n <= 0 || (v = calloc((size_t)n, sizeof *v)) == NULL)
			return 1;
		for (i = 0; i < n; i++) {
			t0 = now_s();
			if ((fd = dial(argv[2], argv[3])) < 0)
				return 1;
			v[i] = now_s() - t0;
			close(fd);
		}
		report(v, n);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "ping") == 0) {
		double end = now_s() + atof(argv[4]);
		struct timespec ts, nap = { 0, 10000000 };

		if ((fd = dial(argv[2], argv[3])) < 0)
			return 1;
		setvbuf(stdout, NULL, _IOLBF, 0);
		while (now_s() < end) {
			if (write_all(fd, buf, 64) < 0 || read_all(fd, buf, 64) < 0)
				return 1;
			clock_gettime(CLOCK_REALTIME, &ts);
			printf("%lld\n", (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
			nanosleep(&nap, NULL);
		}
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of rocks-bench.c\n");
	return 2;
}

/*
 * flac-bench: a micro-benchmark of file calls, run natively and inside a
 * flac name space by tools/bench-flac.sh.
 *
 *   flac-bench stat N PATH...    N rounds of stat() over the PATHs
 *   flac-bench open N PATH...    N rounds of open()+close()
 *   flac-bench read PATH         reads PATH once, 1 MiB at a time
 *
 * Prints one line: "<op> <calls> <ns per call>" (read: "read <bytes>
 * <MB/s>").  A call that fails stops the run with exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct stat st;
	double t0, t1;
	long n, i, calls = 0;
	ssize_t r;
	size_t total = 0;
	int j, fd;

	if (argc >= 3 && strcmp(argv[1], "read") == 0) {
		if ((fd = open(argv[2], O_RDONLY)) < 0) {
			perror(argv[2]);
			return 1;
		}
		t0 = now_ns();
		while ((r = read(fd, buf, sizeof buf)) > 0)
			total += (size_t)r;
		t1 = now_ns();
		close(fd);
		printf("read %zu %.1f\n", total, (double)total / 1e6 /
		    ((t1 - t0) / 1e9));
		return 0;
	}
	if (argc < 4 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: flac-bench stat|open N PATH... | "
		    "read PATH\n");
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		for (j = 3; j < argc; j++, calls++) {
			if (strcmp(argv[1], "stat") == 0) {
				if (stat(argv[j], &st) != 0) {
					perror(argv[j]);
					return 1;
				}
			} else {
				if ((fd = open(argv[j], O_RDONLY)) < 0) {
					perror(argv[j]);
					return 1;
				}
				close(fd);
			}
		}
	}
	t1 = now_ns();
	printf("%s %ld %.1f\n", argv[1], calls, (t1 - t0) / (double)calls);
	return 0;
}

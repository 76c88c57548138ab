/*
 * rock: runs a program with reliable sockets (librocks.so preloaded).
 *
 *   rock [options] CMD [ARGS]
 */
#include <errno.h>
#include <getopt.h>
#include <link.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rock [options] CMD [ARGS]\n"
"Runs CMD with reliable sockets: its TCP connections to peers that run\n"
"rocks too survive disconnection and changes of address.\n"
"  -v, --log-level LEVEL   error, warn, info or debug (EVICT_LOG_LEVEL)\n"
"  -l, --log-file FILE     append log lines to FILE (EVICT_LOG_FILE)\n"
"  -b, --heartbeat MS      heartbeat period (EVICT_ROCKS_HB_MS, 500)\n"
"  -m, --misses N          periods without a heartbeat before suspension\n"
"                          (EVICT_ROCKS_HB_MISSES, 5)\n"
"  -r, --reconnect SECONDS how long to try to reconnect\n"
"                          (EVICT_ROCKS_RECONNECT_S, 259200 = 3 days)\n"
"  -R, --retry MS          try at least this often (EVICT_ROCKS_RETRY_MS, 1000)\n"
"  -V, --via ADDR:PORT     reach peers without rocks through this rockd\n"
"                          (EVICT_ROCKS_VIA; [ADDR6]:PORT for IPv6)\n"
"  -L, --library PATH      the librocks.so to preload (EVICT_ROCKS_LIB)\n");
}

static int
set_num(const char *env, const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || *v == '\0' || n < lo || n > hi) {
		fprintf(stderr, "rock: %s must be a number from %ld to %ld, "
		    "not '%s'\n", opt, lo, hi, v);
		return -1;
	}
	return setenv(env, v, 1);
}

/* librocks.so beside this program: ../lib/evict/ (installed), ../lib/ (build). */
static int
find_library(char *out, size_t outlen)
{
	static const char *const rel[] = { "../lib/evict/librocks.so",
	    "../lib/librocks.so" };
	char self[PATH_MAX], dir[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(dir, sizeof dir, "%s", dirname(self));
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		if (snprintf(out, outlen, "%s/%s", dir, rel[i]) >= (int)outlen)
			continue;
		if (access(out, R_OK) == 0) {
			char *abs = realpath(out, NULL);

			if (abs != NULL) {
				snprintf(out, outlen, "%s", abs);
				free(abs);
			}
			return 0;
		}
	}
	return -1;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * A sanitized librocks.so needs the sanitizer's runtime first in the
 * program's library list: put the libasan this launcher runs with first.
 */
static int
find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *out = arg;

	(void)size;
	if (info->dlpi_name != NULL && strstr(info->dlpi_name, "libasan.so") != NULL) {
		snprintf(out, PATH_MAX, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}
#endif

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "log-level", required_argument, NULL, 'v' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "heartbeat", required_argument, NULL, 'b' },
		{ "misses", required_argument, NULL, 'm' },
		{ "reconnect", required_argument, NULL, 'r' },
		{ "retry", required_argument, NULL, 'R' },
		{ "library", required_argument, NULL, 'L' },
		{ "via", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char lib[PATH_MAX], *pre, *old;
	const char *libarg = getenv("EVICT_ROCKS_LIB");
	int opt;

	while ((opt = getopt_long(argc, argv, "+v:l:b:m:r:R:L:V:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'v':
			if (strcmp(optarg, "error") && strcmp(optarg, "warn") &&
			    strcmp(optarg, "info") && strcmp(optarg, "debug")) {
				fprintf(stderr, "rock: --log-level is error, warn, "
				    "info or debug, not '%s'\n", optarg);
				return 2;
			}
			setenv("EVICT_LOG_LEVEL", optarg, 1);
			break;
		case 'l':
			setenv("EVICT_LOG_FILE", optarg, 1);
			break;
		case 'b':
			if (set_num("EVICT_ROCKS_HB_MS", "--heartbeat", optarg, 10,
			    600000) < 0)
				return 2;
			break;
		case 'm':
			if (set_num("EVICT_ROCKS_HB_MISSES", "--misses", optarg, 1,
			    1000) < 0)
				return 2;
			break;
		case 'r':
			if (set_num("EVICT_ROCKS_RECONNECT_S", "--reconnect", optarg,
			    1, 365L * 24 * 3600) < 0)
				return 2;
			break;
		case 'R':
			if (set_num("EVICT_ROCKS_RETRY_MS", "--retry", optarg, 10,
			    600000) < 0)
				return 2;
			break;
		case 'L':
			libarg = optarg;
			break;
		case 'V':
			if (strchr(optarg, ':') == NULL) {
				fprintf(stderr, "rock: --via is ADDR:PORT or "
				    "[ADDR6]:PORT, not '%s'\n", optarg);
				return 2;
			}
			setenv("EVICT_ROCKS_VIA", optarg, 1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rock: no program to run\n");
		usage(stderr);
		return 2;
	}
	if (libarg != NULL && *libarg != '\0')
		snprintf(lib, sizeof lib, "%s", libarg);
	else if (find_library(lib, sizeof lib) < 0) {
		fprintf(stderr, "rock: cannot find librocks.so beside %s "
		    "(set EVICT_ROCKS_LIB or --library)\n", argv[0]);
		return 1;
	}
	if (access(lib, R_OK) < 0) {
		fprintf(stderr, "rock: %s: %s\n", lib, strerror(errno));
		return 1;
	}
	old = getenv("LD_PRELOAD");
	if (old != NULL && *old != '\0') {
		if (asprintf(&pre, "%s:%s", lib, old) < 0)
			return 1;
	} else
		pre = lib;
#if defined(__SANITIZE_ADDRESS__)
	{
		static char asan[PATH_MAX];
		char *both;

		if (dl_iterate_phdr(find_asan, asan) && asprintf(&both, "%s:%s",
		    asan, pre) >= 0)
			pre = both;
	}
#endif
	setenv("LD_PRELOAD", pre, 1);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "rock: %s: %s\n", argv[optind], strerror(errno));
	return 127;
}

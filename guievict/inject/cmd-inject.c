/*
 * guievict-inject: load a shared library into a running process.
 *
 *   guievict-inject [-pv] [-t MS] [-c MS] [-n TRIES] PID LIBPATH
 *
 * The first step of guievictor, alone: for tests, and for trying a library
 * on a live program.  Prints how long the program was stopped.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "guievict/inject/inject.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: guievict-inject [-pv] [-t MS] [-c MS] [-n TRIES] PID LIBPATH\n"
"\n"
"Stops every thread of process PID (PTRACE_SEIZE + PTRACE_INTERRUPT) when\n"
"all of them wait in an event loop, calls dlopen(LIBPATH, RTLD_NOW) inside\n"
"it, and lets it go on as if nothing happened.\n"
"  -t MS     give up finding a safe point after MS ms (default %d)\n"
"  -n TRIES  ... or after TRIES stops (default %d)\n"
"  -c MS     give dlopen MS ms to return (default %d)\n"
"  -p        print one key=value line (for scripts)\n"
"  -v        log what happens (EVICT_LOG_LEVEL=debug does the same)\n"
"A LIBPATH without a slash is searched by the target's loader; a relative\n"
"one is made absolute here.  Exit status: 0 loaded, 1 refused or failed,\n"
"2 usage.\n", INJECT_TIMEOUT_MS, INJECT_MAX_TRIES, INJECT_CALL_TIMEOUT_MS);
}

static int
cmd_number(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 && *v >= lo &&
	    *v <= hi ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "tries", required_argument, NULL, 'n' },
		{ "call-timeout", required_argument, NULL, 'c' },
		{ "porcelain", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct inject_opts o;
	char cause[INJECT_CAUSE_LEN], path[PATH_MAX], cwd[PATH_MAX];
	const char *lib;
	sigset_t block, old;
	long v, pid;
	int c, porcelain = 0, r;

	log_init("guievict-inject", EVLOG_WARN);
	memset(&o, 0, sizeof o);
	while ((c = getopt_long(argc, argv, "t:n:c:pvh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 't':
		case 'n':
		case 'c':
			if (cmd_number(optarg, 1, INT_MAX / 2, &v) != 0) {
				fprintf(stderr, "guievict-inject: -%c: not a "
				    "positive number: %s\n", c, optarg);
				return 2;
			}
			if (c == 't')
				o.timeout_ms = (int)v;
			else if (c == 'n')
				o.max_tries = (int)v;
			else
				o.call_timeout_ms = (int)v;
			break;
		case 'p':
			porcelain = 1;
			break;
		case 'v':
			log_set_level(EVLOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (cmd_number(argv[optind], 1, INT_MAX, &pid) != 0) {
		fprintf(stderr, "guievict-inject: not a process id: %s\n",
		    argv[optind]);
		return 2;
	}
	lib = argv[optind + 1];
	if (strchr(lib, '/') != NULL && lib[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL ||
		    (size_t)snprintf(path, sizeof path, "%s/%s", cwd, lib) >=
		    sizeof path) {
			fprintf(stderr, "guievict-inject: %s: cannot make the "
			    "path absolute\n", lib);
			return 1;
		}
		lib = path;
	}

	/* A ^C in the middle would leave the target with our registers. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	r = inject_library((pid_t)pid, lib, &o, cause, sizeof cause);
	sigprocmask(SIG_SETMASK, &old, NULL);

	if (porcelain)
		printf("ok=%d err=%d pause_us=%llu total_pause_us=%llu "
		    "tries=%d threads=%d passed=%d requeued=%d tid=%d "
		    "handle=0x%llx\n", r == 0, -r,
		    (unsigned long long)(o.pause_ns / 1000u),
		    (unsigned long long)(o.total_pause_ns / 1000u), o.tries,
		    o.nthreads, o.passed_signals, o.requeued_signals,
		    (int)o.call_tid, (unsigned long long)o.handle);
	if (r != 0) {
		fprintf(stderr, "guievict-inject: %s\n", cause[0] != '\0' ?
		    cause : strerror(-r));
		return 1;
	}
	if (!porcelain)
		printf("loaded %s into process %ld: paused %llu.%03llu ms "
		    "(%d threads, %d tries, %llu.%03llu ms stopped in all)\n",
		    lib, pid, (unsigned long long)(o.pause_ns / 1000000u),
		    (unsigned long long)(o.pause_ns / 1000u % 1000u),
		    o.nthreads, o.tries,
		    (unsigned long long)(o.total_pause_ns / 1000000u),
		    (unsigned long long)(o.total_pause_ns / 1000u % 1000u));
	return 0;
}

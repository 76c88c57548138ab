/*
 * rockd: the rocks proxy.  Rock clients reach ordinary servers through it:
 *
 *   rockd [options] --listen [ADDR:]PORT --to HOST:PORT   static forwarding
 *   rockd [options] --listen [ADDR:]PORT                  general mode: each
 *        client names its destination (EVICT_ROCKS_VIA, rock --via)
 *   rockd -f FILE                                         several listeners
 *
 * See rockd(8) and docs/design/rockd.md.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "librocks/rocks.h"
#include "rockd/rockd.h"

struct rd_conf rd_conf = {
	.lim = {
		.max_sessions = 4096,
		.max_suspended = 1024,
		.max_suspended_mem = 256ull << 20,
		.max_age_s = 24 * 3600,
		.max_handshakes = 256,
		.max_hs_per_source = 32,
		.hs_timeout_ms = 10000,
		.connect_timeout_ms = 10000,
		.stats_s = 0,
		.plain = 0,
	},
};

/* ---- logging ---------------------------------------------------------------- */

void
rd_log(int level, const char *func, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	if (rd_conf.use_syslog)
		vsyslog(prio[level < 0 ? 0 : level > 3 ? 3 : level], fmt, ap);
	else
		log_vmsg(level, func, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
rd_addr_str(const struct sockaddr *sa, char *out, size_t outsz)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
		snprintf(out, outsz, "%s:%u", h, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
		snprintf(out, outsz, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else
		snprintf(out, outsz, "(family %d)", sa->sa_family);
}

uint64_t
rd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- configuration ------------------------------------------------------------- */

static int
rd_add_allow(const char *s, char *cause, size_t causelen)
{
	if (rd_conf.nallow >= RD_MAX_ALLOW) {
		snprintf(cause, causelen, "at most %d allow lines", RD_MAX_ALLOW);
		return -1;
	}
	if (rd_allow_parse(s, &rd_conf.allow[rd_conf.nallow]) < 0) {
		snprintf(cause, causelen, "'%s' is not ADDR or ADDR/PREFIX", s);
		return -1;
	}
	rd_conf.nallow++;
	return 0;
}

/* "HOST:PORT", "[V6]:PORT"; with need_host 0 also "PORT".  0 or -1. */
static int
rd_split(const char *s, char *host, size_t hostsz, char *port, size_t portsz,
    int need_host)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		hl = (size_t)(colon - s);
	} else {
		if (need_host)
			return -1;
		hl = 0;
		colon = s - 1;
	}
	if (hl >= hostsz || (need_host && hl == 0))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p == 0 || p > 65535)
		return -1;
	snprintf(port, portsz, "%lu", p);
	return 0;
}

/* Adds a listener "[ADDR:]PORT" (to: "HOST:PORT" or NULL).  0, or -1 with cause. */
static int
rd_add_listener(const char *at, const char *to, char *cause, size_t causelen);

static int
rd_add_rendezvous(const char *at, char *cause, size_t causelen)
{
	struct rd_listener *l = &rd_conf.l[rd_conf.nl];

	if (rd_add_listener(at, NULL, cause, causelen) < 0)
		return -1;
	l->rendezvous = 1;
	snprintf(l->name, sizeof l->name, "%s (relay)", at);
	return 0;
}

static int
rd_add_listener(const char *at, const char *to, char *cause, size_t causelen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	struct rd_listener *l;
	char host[256], port[16];
	int gai;

	if (rd_conf.nl >= RD_MAX_LISTENERS) {
		snprintf(cause, causelen, "at most %d listeners", RD_MAX_LISTENERS);
		return -1;
	}
	l = &rd_conf.l[rd_conf.nl];
	memset(l, 0, sizeof *l);
	l->fd = -1;
	if (rd_split(at, host, sizeof host, port, sizeof port, 0) < 0) {
		snprintf(cause, causelen, "listen address '%s' is not "
		    "[ADDR:]PORT", at);
		return -1;
	}
	hints.ai_family = host[0] ? AF_UNSPEC : AF_INET6;
	gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (gai != 0) {
		snprintf(cause, causelen, "listen address '%s': %s", at,
		    gai_strerror(gai));
		return -1;
	}
	memcpy(&l->addr, ai->ai_addr, ai->ai_addrlen);
	l->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (to != NULL && rd_split(to, l->to_host, sizeof l->to_host, l->to_port,
	    sizeof l->to_port, 1) < 0) {
		snprintf(cause, causelen, "destination '%s' is not HOST:PORT", to);
		return -1;
	}
	snprintf(l->name, sizeof l->name, "%s -> %s", at, to ? to : "(general)");
	rd_conf.nl++;
	return 0;
}

static int
rd_num(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

struct rd_setting {
	const char *name;
	unsigned long long lo, hi, scale;
	size_t off;                 /* in struct rd_limits */
	int wide;                   /* a uint64_t, else unsigned */
};

#define RD_LIM(f) offsetof(struct rd_limits, f)
static const struct rd_setting rd_settings[] = {
	{ "max-sessions", 1, 1000000, 1, RD_LIM(max_sessions), 0 },
	{ "max-suspended", 0, 1000000, 1, RD_LIM(max_suspended), 0 },
	{ "max-suspended-memory", 1, 1u << 20, 1u << 20,
	    RD_LIM(max_suspended_mem), 1 },
	{ "max-age", 0, 365ull * 24 * 3600, 1, RD_LIM(max_age_s), 0 },
	{ "max-handshakes", 1, 100000, 1, RD_LIM(max_handshakes), 0 },
	{ "max-handshakes-per-source", 1, 100000, 1, RD_LIM(max_hs_per_source), 0 },
	{ "handshake-timeout", 100, 600000, 1, RD_LIM(hs_timeout_ms), 0 },
	{ "connect-timeout", 100, 600000, 1, RD_LIM(connect_timeout_ms), 0 },
	{ "stats", 0, 86400, 1, RD_LIM(stats_s), 0 },
};

/* Sets a limit by name; 1 done, 0 unknown name, -1 bad value (cause set). */
static int
rd_set(const char *name, const char *val, char *cause, size_t causelen)
{
	const struct rd_setting *s;
	unsigned long long v;
	size_t i;

	for (i = 0; i < sizeof rd_settings / sizeof rd_settings[0]; i++) {
		s = &rd_settings[i];
		if (strcmp(s->name, name) != 0)
			continue;
		if (rd_num(val, s->lo, s->hi, &v) < 0) {
			snprintf(cause, causelen, "%s must be a number from %llu "
			    "to %llu, not '%s'", name, s->lo, s->hi, val);
			return -1;
		}
		v *= s->scale;
		if (s->wide)
			*(uint64_t *)((char *)&rd_conf.lim + s->off) = v;
		else
			*(unsigned *)((char *)&rd_conf.lim + s->off) = (unsigned)v;
		return 1;
	}
	return 0;
}

/*
 * The configuration file: one directive a line, '#' to the end of a line
 * is a comment.
 *   listen [ADDR:]PORT [to HOST:PORT]
 *   allow ADDR[/PREFIX]   (general mode: only these destinations)
 *   relay [ADDR:]PORT     (a rendezvous for rocks that both moved)
 *   plain yes|no
 *   syslog yes|no
 *   <limit> N        (the names of the long options: max-suspended ...)
 */
static int
rd_read_file(const char *path)
{
	char line[1024], cause[300], *w[4], *p, *save;
	FILE *f;
	int ln = 0, nw, rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "rockd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		ln++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		nw = 0;
		for (p = strtok_r(line, " \t\r\n", &save); p != NULL;
		    p = strtok_r(NULL, " \t\r\n", &save)) {
			if (nw == 4) {
				nw = 5;
				break;
			}
			w[nw++] = p;
		}
		if (nw == 0)
			continue;
		cause[0] = '\0';
		if (strcmp(w[0], "listen") == 0 && (nw == 2 ||
		    (nw == 4 && strcmp(w[2], "to") == 0))) {
			if (rd_add_listener(w[1], nw == 4 ? w[3] : NULL, cause,
			    sizeof cause) == 0)
				continue;
		} else if (strcmp(w[0], "relay") == 0 && nw == 2) {
			if (rd_add_rendezvous(w[1], cause, sizeof cause) == 0)
				continue;
		} else if (strcmp(w[0], "allow") == 0 && nw == 2) {
			if (rd_add_allow(w[1], cause, sizeof cause) == 0)
				continue;
		} else if (strcmp(w[0], "listen") == 0) {
			snprintf(cause, sizeof cause, "expected 'listen [ADDR:]PORT "
			    "[to HOST:PORT]'");
		} else if ((strcmp(w[0], "plain") == 0 ||
		    strcmp(w[0], "syslog") == 0) && nw == 2 &&
		    (strcmp(w[1], "yes") == 0 || strcmp(w[1], "no") == 0)) {
			if (w[0][0] == 'p')
				rd_conf.lim.plain = w[1][0] == 'y';
			else
				rd_conf.use_syslog = w[1][0] == 'y';
			continue;
		} else if (nw == 2) {
			int r = rd_set(w[0], w[1], cause, sizeof cause);

			if (r == 1)
				continue;
			if (r == 0)
				snprintf(cause, sizeof cause, "unknown setting '%s'",
				    w[0]);
		} else
			snprintf(cause, sizeof cause, "expected 'NAME VALUE'");
		fprintf(stderr, "rockd: %s:%d: %s\n", path, ln, cause);
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* ---- start-up ------------------------------------------------------------------- */

/*
 * rockd's accepted connections must be rocks: when librocks is not loaded
 * yet, run again under `rock` (beside this program), which preloads it.
 */
static void
rd_reexec(int argc, char **argv)
{
	char self[PATH_MAX], rock[PATH_MAX + 8], dir[PATH_MAX];
	char **nargv;
	ssize_t n;
	int i;

	if (ROCKS_AVAILABLE())
		return;
	if (getenv("EVICT_ROCKD_REEXEC") != NULL) {
		fprintf(stderr, "rockd: librocks.so did not load under rock; "
		    "check EVICT_ROCKS_LIB or reinstall\n");
		exit(1);
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "rockd: /proc/self/exe: %s\n", strerror(errno));
		exit(1);
	}
	self[n] = '\0';
	snprintf(dir, sizeof dir, "%s", self);
	snprintf(rock, sizeof rock, "%s/rock", dirname(dir));
	if ((nargv = calloc((size_t)argc + 2, sizeof *nargv)) == NULL)
		exit(1);
	nargv[0] = rock;
	nargv[1] = self;
	for (i = 1; i < argc; i++)
		nargv[i + 1] = argv[i];
	setenv("EVICT_ROCKD_REEXEC", "1", 1);
	/* accept() must not wait for probes: the handshake threads do */
	setenv("EVICT_ROCKS_ACCEPT_WAIT_MS", "0", 1);
	/* rockd's own connections never go through another rockd */
	unsetenv("EVICT_ROCKS_VIA");
	execv(rock, nargv);
	fprintf(stderr, "rockd: %s: %s (rockd needs rock and librocks.so "
	    "installed beside it)\n", rock, strerror(errno));
	exit(1);
}

static int
rd_bind(void)
{
	struct rd_listener *l;
	int i, one = 1, zero = 0;

	for (i = 0; i < rd_conf.nl; i++) {
		l = &rd_conf.l[i];
		l->fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (l->fd < 0 ||
		    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
		    (l->addr.ss_family == AF_INET6 && setsockopt(l->fd,
		    IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0) ||
		    bind(l->fd, (struct sockaddr *)&l->addr, l->addrlen) < 0 ||
		    listen(l->fd, 1024) < 0) {
			fprintf(stderr, "rockd: listening on %s: %s\n", l->name,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rockd [options] --listen [ADDR:]PORT [--to HOST:PORT] ...\n"
"       rockd [options] -f FILE\n"
"The rocks proxy: rock clients reach ordinary servers through it, and move.\n"
"  -l, --listen [ADDR:]PORT   accept rock clients here (repeatable)\n"
"  -t, --to HOST:PORT         forward the last --listen there; without it,\n"
"                             each client names its destination (general mode)\n"
"  -r, --relay [ADDR:]PORT    a rendezvous for rocks given EVICT_ROCKS_RELAY\n"
"  -f, --config FILE          read listeners and limits from FILE\n"
"  -d, --daemon               detach; log to syslog\n"
"  -s, --syslog               log to syslog instead of stderr\n"
"  -p, --pidfile FILE         write the process id there\n"
"  -v, --log-level LEVEL      error, warn, info or debug (EVICT_LOG_LEVEL)\n"
"  -a, --allow ADDR[/PREFIX]  general mode: only these destinations (repeatable;\n"
"                             default any)\n"
"      --plain                also relay clients that do not run rocks\n"
"      --max-sessions N       relayed connections at once (4096)\n"
"      --max-suspended N      suspended connections kept (1024)\n"
"      --max-suspended-memory MIB  bytes they may hold (256)\n"
"      --max-age SECONDS      how long one is kept suspended (86400; 0 never\n"
"                             gives up)\n"
"      --max-handshakes N     handshakes at once (256)\n"
"      --max-handshakes-per-source N  of those from one address (32)\n"
"      --handshake-timeout MS a handshake must finish in (10000)\n"
"      --connect-timeout MS   connecting to the server (10000)\n"
"      --stats SECONDS        log a statistics line this often (0: on SIGUSR1)\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'f' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "plain", no_argument, NULL, 'P' },
		{ "allow", required_argument, NULL, 'a' },
		{ "relay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-sessions", required_argument, NULL, 1000 },
		{ "max-suspended", required_argument, NULL, 1001 },
		{ "max-suspended-memory", required_argument, NULL, 1002 },
		{ "max-age", required_argument, NULL, 1003 },
		{ "max-handshakes", required_argument, NULL, 1004 },
		{ "max-handshakes-per-source", required_argument, NULL, 1005 },
		{ "handshake-timeout", required_argument, NULL, 1006 },
		{ "connect-timeout", required_argument, NULL, 1007 },
		{ "stats", required_argument, NULL, 1008 },
		{ NULL, 0, NULL, 0 },
	};
	const char *pending = NULL;
	char cause[300];
	struct rlimit nof;
	sigset_t ss;
	FILE *pf;
	int opt, lvl, idx;

	rd_reexec(argc, argv);
	log_init("rockd", EVLOG_INFO);
	while ((opt = getopt_long(argc, argv, "l:t:f:dsp:v:a:r:h", lo, &idx)) != -1) {
		switch (opt) {
		case 'l':
			if (pending != NULL && rd_add_listener(pending, NULL,
			    cause, sizeof cause) < 0)
				goto bad;
			pending = optarg;
			break;
		case 't':
			if (pending == NULL) {
				fprintf(stderr, "rockd: --to %s needs a --listen "
				    "before it\n", optarg);
				return 2;
			}
			if (rd_add_listener(pending, optarg, cause, sizeof cause) < 0)
				goto bad;
			pending = NULL;
			break;
		case 'f':
			if (rd_read_file(optarg) < 0)
				return 2;
			break;
		case 'd':
			rd_conf.daemon = 1;
			break;
		case 's':
			rd_conf.use_syslog = 1;
			break;
		case 'p':
			snprintf(rd_conf.pidfile, sizeof rd_conf.pidfile, "%s",
			    optarg);
			break;
		case 'v':
			if ((lvl = log_parse_level(optarg)) < 0) {
				fprintf(stderr, "rockd: --log-level is error, warn, "
				    "info or debug, not '%s'\n", optarg);
				return 2;
			}
			log_set_level(lvl);
			break;
		case 'P':
			rd_conf.lim.plain = 1;
			break;
		case 'a':
			if (rd_add_allow(optarg, cause, sizeof cause) < 0)
				goto bad;
			break;
		case 'r':
			if (rd_add_rendezvous(optarg, cause, sizeof cause) < 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (opt >= 1000 && opt <= 1008) {
				if (rd_set(lo[idx].name, optarg, cause,
				    sizeof cause) == 1)
					break;
				goto bad;
			}
			usage(stderr);
			return 2;
		}
	}
	if (pending != NULL && rd_add_listener(pending, NULL, cause,
	    sizeof cause) < 0)
		goto bad;
	if (optind < argc) {
		fprintf(stderr, "rockd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (rd_conf.nl == 0) {
		fprintf(stderr, "rockd: nothing to do: give --listen or -f\n");
		usage(stderr);
		return 2;
	}
	/* a relayed rock costs about five descriptors (rock, its event fds, server) */
	if (getrlimit(RLIMIT_NOFILE, &nof) == 0 && nof.rlim_cur < nof.rlim_max) {
		nof.rlim_cur = nof.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nof);
	}
	if (rd_bind() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGHUP);
	/* blocked in every thread: the relay reads them from a signalfd */
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	if (rd_conf.daemon) {
		if (getenv("EVICT_LOG_FILE") == NULL)
			rd_conf.use_syslog = 1;
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "rockd: daemon: %s\n", strerror(errno));
			return 1;
		}
	}
	if (rd_conf.use_syslog)
		openlog("rockd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (rd_conf.pidfile[0] != '\0') {
		if ((pf = fopen(rd_conf.pidfile, "we")) == NULL) {
			rd_error("pidfile %s: %s", rd_conf.pidfile, strerror(errno));
			return 1;
		}
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
	}
	for (idx = 0; idx < rd_conf.nl; idx++)
		rd_info("listening: %s", rd_conf.l[idx].name);
	if (relay_run() < 0)
		return 1;
	if (rd_conf.pidfile[0] != '\0')
		unlink(rd_conf.pidfile);
	return 0;
bad:
	fprintf(stderr, "rockd: %s\n", cause);
	return 2;
}

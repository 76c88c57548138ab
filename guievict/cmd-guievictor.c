/*
 * guievictor: move the window session of a running X program.
 *
 *   guievictor detach [--fd N] [--partial] PID
 *   guievictor attach [--xauth FILE] PID DISPLAY
 *   guievictor move   [--fd N] [--partial] [--xauth FILE] PID DISPLAY
 *   guievictor list
 *
 * The first command on a process hijacks it: guievict-inject's
 * inject_library() loads libguievict.so at a safe point (every thread in an
 * event-loop wait, none half-way through writing to the X server) and
 * calls guievict_hijack(fd) there, which leaves the control socket
 * @evict-guievict-<uid>-<pid>.  Every command then goes over that socket
 * (docs/protocol/guievict-ctl.md).  docs/man/guievictor.1.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/wbuf.h"
#include "guievict/ctlproto.h"
#include "guievict/inject/inject.h"
#include "guievict/xauth.h"
#include "guievict/xfind.h"

#define CMD_TIMEOUT_MS	120000	/* one command, all told */

struct cmd_opts {
	int		 fd;		/* --fd, -1: find it */
	int		 partial;
	int		 porcelain;
	int		 verbose;
	const char	*xauth;
};

static int cmd_porcelain;
static uint64_t cmd_pause_us;  /* the program stopped for the hijack */

static void
cmd_usage(FILE *f, const char *which)
{
	if (which == NULL || strcmp(which, "detach") == 0)
		fprintf(f,
"usage: guievictor detach [--fd N] [--partial] [-p] [-v] PID\n"
"  Takes the GUI of process PID off its X server: the program waits,\n"
"  for any length of time, until it is attached again.  The first command\n"
"  on a process loads libguievict.so into it.\n"
"  --fd N     the program's X connection is descriptor N (default: found\n"
"             by its peer address, then by an X handshake)\n"
"  --partial  move what can be moved; name what is left behind\n");
	if (which == NULL || strcmp(which, "attach") == 0)
		fprintf(f,
"usage: guievictor attach [--xauth FILE] [-p] [-v] PID DISPLAY\n"
"  Recreates the detached GUI of process PID on DISPLAY (e.g. :1).\n"
"  --xauth FILE  the X authority file for DISPLAY (default: XAUTHORITY,\n"
"                else ~/.Xauthority)\n");
	if (which == NULL || strcmp(which, "move") == 0)
		fprintf(f,
"usage: guievictor move [--fd N] [--partial] [--xauth FILE] [-p] [-v] PID "
"DISPLAY\n"
"  Detach and attach in one: the program stays on its display if DISPLAY\n"
"  cannot take it.\n");
	if (which == NULL || strcmp(which, "list") == 0)
		fprintf(f,
"usage: guievictor list [-p]\n"
"  The processes guievict manages (yours; every user's for root), with\n"
"  their state and display.\n");
	if (which == NULL)
		fprintf(f,
"common options: -p  one key=value line (for scripts)\n"
"                -v  log what happens (also inside the program)\n"
"                --help\n"
"Exit status: 0 done, 1 refused or failed, 2 usage.\n");
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

/* The effective uid of process pid, or -1. */
static long
cmd_proc_uid(pid_t pid)
{
	char fn[64], line[256];
	unsigned long r, e;
	long uid = -1;
	FILE *f;

	snprintf(fn, sizeof fn, "/proc/%d/status", (int)pid);
	if ((f = fopen(fn, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			uid = (long)e;
	fclose(f);
	return uid;
}

static void
cmd_comm(pid_t pid, char *out, size_t outsz)
{
	char fn[64];
	FILE *f;

	snprintf(out, outsz, "?");
	snprintf(fn, sizeof fn, "/proc/%d/comm", (int)pid);
	if ((f = fopen(fn, "re")) == NULL)
		return;
	if (fgets(out, (int)outsz, f) != NULL)
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/*
 * The library's control socket of pid, checked: the listener must be that
 * very process (SO_PEERCRED pid) and run as its owner.  -ECONNREFUSED or
 * -ENOENT: no library there yet.
 */
static int
cmd_connect(pid_t pid, long uid)
{
	struct sockaddr_un sa;
	struct ucred uc;
	char name[108];
	socklen_t sl;
	int fd, n;

	n = snprintf(name, sizeof name, GVC_SOCK_FMT, (unsigned)uid, (int)pid);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, name, (size_t)n);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sl) != 0) {
		n = -errno;
		close(fd);
		return n;
	}
	if (ipc_peer_cred(fd, &uc) != 0 || uc.pid != pid ||
	    (long)uc.uid != uid) {
		fprintf(stderr, "guievictor: the socket @%s is not process %d's "
		    "(it belongs to process %d, uid %u): not talking to it\n",
		    name, (int)pid, (int)uc.pid, (unsigned)uc.uid);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Sends one frame and reads the answer; its type in *type. */
static int
cmd_call(int fd, uint16_t type, const struct wbuf *req, struct wbuf *ans,
    uint16_t *atype)
{
	int r;

	if ((r = ipc_send_frame(fd, type, req->data, req->len)) != 0)
		return r;
	wbuf_reset(ans);
	r = ipc_recv_frame(fd, ans, atype, GVC_FRAME_MAX, CMD_TIMEOUT_MS);
	if (r == 0)
		return -ECONNRESET;
	return r < 0 ? r : 0;
}

static int
cmd_hello(int fd, struct gvc_hello *h)
{
	struct wbuf req, ans;
	uint16_t t;
	int r;

	wbuf_init(&req, GVC_FRAME_MAX);
	wbuf_init(&ans, GVC_FRAME_MAX);
	memset(h, 0, sizeof *h);
	h->magic = GVC_MAGIC;
	h->version = GVC_VERSION;
	gvc_put_hello(&req, h, 0);
	r = cmd_call(fd, GVC_HELLO, &req, &ans, &t);
	if (r == 0 && (t != GVC_HELLO_OK || gvc_get_hello(&ans, h, 1) != 0))
		r = -EPROTO;
	wbuf_free(&req);
	wbuf_free(&ans);
	return r;
}

static int
cmd_status(int fd, struct gvc_status *st)
{
	struct wbuf req, ans;
	uint16_t t;
	int r;

	wbuf_init(&req, GVC_FRAME_MAX);
	wbuf_init(&ans, GVC_FRAME_MAX);
	r = cmd_call(fd, GVC_STATUS, &req, &ans, &t);
	if (r == 0 && (t != GVC_STATUS_REPLY || gvc_get_status(&ans, st) != 0))
		r = -EPROTO;
	wbuf_free(&req);
	wbuf_free(&ans);
	return r;
}

/* Where libguievict.so is: $GUIEVICT_LIB, else next to our binary. */
static int
cmd_libpath(char *out, size_t outsz)
{
	static const char *const rel[] = { "../lib/evict/libguievict.so",
	    "../lib/libguievict.so" };
	char exe[PATH_MAX], *slash;
	const char *env = getenv("GUIEVICT_LIB");
	ssize_t n;
	size_t i;

	if (env != NULL && env[0] != '\0') {
		if (realpath(env, out) == NULL)
			return -errno;
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		slash[1] = '\0';
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX + 64];

		snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		if (realpath(cand, out) != NULL && access(out, R_OK) == 0)
			return 0;
	}
	(void)outsz;
	return -ENOENT;
}

static const char *
cmd_hijack_why(int64_t r)
{
	switch (r) {
	case -ENOTSOCK:	return "the descriptor is not a socket";
	case -EPROTOTYPE: return "the descriptor is not a stream socket";
	case -EBUSY:	return "the library already manages another descriptor";
	case -EADDRINUSE: return "the control socket's name is taken by "
			    "another process";
	case -ENOENT:	return "the program does not use libxcb.so.1";
	case -EPROTO:	return "the program's libxcb calls none of the hooked "
			    "functions";
	default:	return strerror((int)-r);
	}
}

/* Loads the library into pid and hijacks its X connection. */
static int
cmd_inject(pid_t pid, const struct cmd_opts *o, uint64_t *us)
{
	struct inject_opts io;
	struct xfind_sock xs;
	char lib[PATH_MAX], cause[INJECT_CAUSE_LEN];
	sigset_t block, old;
	uint64_t t0;
	struct timespec ts;
	int xfd, r;

	if ((r = cmd_libpath(lib, sizeof lib)) != 0) {
		fprintf(stderr, "guievictor: cannot find libguievict.so (set "
		    "GUIEVICT_LIB): %s\n", strerror(-r));
		return r;
	}
	xfd = xfind_x_fd(pid, o->fd, &xs, cause, sizeof cause);
	if (xfd == -EACCES || xfd == -EPERM) {
		fprintf(stderr, "guievictor: process %d is not yours (it runs as "
		    "uid %ld, you are uid %u): only its owner or root may move "
		    "it\n", (int)pid, cmd_proc_uid(pid), (unsigned)geteuid());
		return xfd;
	}
	if (xfd < 0) {
		fprintf(stderr, "guievictor: %s\n", cause);
		return xfd;
	}
	log_info("process %d: X connection on descriptor %d (%s%s)", (int)pid,
	    xfd, xs.peer, xs.how == XFIND_PROBE ? ", by handshake" : "");
	memset(&io, 0, sizeof io);
	io.thread_check = xfind_thread_check;
	io.thread_check_arg = &xfd;
	io.init_sym = "guievict_hijack";
	io.init_args[0] = (uint64_t)xfd;
	io.init_args[1] = o->verbose ? (uint64_t)(EVLOG_DEBUG + 1) : 0;
	io.init_nargs = 2;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	r = inject_library(pid, lib, &io, cause, sizeof cause);
	sigprocmask(SIG_SETMASK, &old, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u -
	    t0;
	if (r != 0) {
		fprintf(stderr, "guievictor: %s\n", cause[0] ? cause :
		    strerror(-r));
		return r;
	}
	if (io.init_ret != 0) {
		fprintf(stderr, "guievictor: process %d: cannot take over its X "
		    "connection (descriptor %d): %s\n", (int)pid, xfd,
		    cmd_hijack_why(io.init_ret));
		return (int)io.init_ret;
	}
	cmd_pause_us = io.pause_ns / 1000u;
	log_info("hijacked process %d in %d tries, paused %llu us", (int)pid,
	    io.tries, (unsigned long long)(io.pause_ns / 1000u));
	return 0;
}

/* The control connection, injecting first when needed. */
static int
cmd_open(pid_t pid, const struct cmd_opts *o, int may_inject, uint64_t *inj_us)
{
	struct gvc_hello h;
	long uid = cmd_proc_uid(pid);
	int fd, r;

	*inj_us = 0;
	if (uid < 0) {
		fprintf(stderr, "guievictor: no process %d\n", (int)pid);
		return -ESRCH;
	}
	fd = cmd_connect(pid, uid);
	if ((fd == -ECONNREFUSED || fd == -ENOENT) && may_inject) {
		if ((r = cmd_inject(pid, o, inj_us)) != 0)
			return r;
		fd = cmd_connect(pid, uid);
	} else if (fd == -ECONNREFUSED || fd == -ENOENT) {
		fprintf(stderr, "guievictor: process %d is not managed by "
		    "guievict (detach or move it first)\n", (int)pid);
		return -ENOENT;
	}
	if (fd < 0) {
		if (fd != -EPERM)
			fprintf(stderr, "guievictor: cannot reach process %d's "
			    "control socket: %s\n", (int)pid, strerror(-fd));
		return fd;
	}
	if ((r = cmd_hello(fd, &h)) != 0) {
		fprintf(stderr, "guievictor: process %d refused us (%s): only "
		    "its owner or root may control it\n", (int)pid,
		    strerror(-r));
		close(fd);
		return r == -ECONNRESET || r == -EPIPE ? -EPERM : r;
	}
	if (h.state == GVC_ST_GONE) {
		struct gvc_status st;

		if (cmd_status(fd, &st) == 0 && st.note[0] != '\0')
			fprintf(stderr, "guievictor: process %d: %s\n",
			    (int)pid, st.note);
		else
			fprintf(stderr, "guievictor: process %d has no X "
			    "connection any more\n", (int)pid);
		close(fd);
		return -ENOTCONN;
	}
	return fd;
}

static void
cmd_fill_auth(struct gvc_cmd *c, const char *display, const char *file)
{
	struct xauth_cookie ck;
	int r = xauth_lookup(display, file, &ck);

	if (r < 0) {
		fprintf(stderr, "guievictor: %s: cannot read the X authority "
		    "for %s: %s\n", file ? file : "XAUTHORITY", display,
		    strerror(-r));
		return;
	}
	if (r == 0) {
		log_info("no X authority entry for %s: connecting without one",
		    display);
		return;
	}
	memcpy(c->auth_name, ck.name, ck.name_len);
	c->auth_name_len = (uint16_t)ck.name_len;
	memcpy(c->auth_data, ck.data, ck.data_len);
	c->auth_data_len = (uint16_t)ck.data_len;
}

static int
cmd_run(const char *verb, pid_t pid, const char *display,
    const struct cmd_opts *o)
{
	struct gvc_cmd c;
	struct gvc_result res;
	struct wbuf req, ans;
	uint64_t inj_us;
	uint16_t type, t;
	char comm[64], msg[GVC_STR_MAX];
	int32_t err;
	int fd, r;
	uint32_t i;

	memset(&c, 0, sizeof c);
	c.flags = o->partial ? GVC_F_PARTIAL : 0;
	if (display != NULL) {
		snprintf(c.display, sizeof c.display, "%s", display);
		cmd_fill_auth(&c, display, o->xauth);
	}
	type = strcmp(verb, "detach") == 0 ? GVC_DETACH :
	    strcmp(verb, "attach") == 0 ? GVC_ATTACH : GVC_MOVE;
	fd = cmd_open(pid, o, type != GVC_ATTACH, &inj_us);
	if (fd < 0)
		return 1;
	wbuf_init(&req, GVC_FRAME_MAX);
	wbuf_init(&ans, GVC_FRAME_MAX);
	gvc_put_cmd(&req, &c);
	r = cmd_call(fd, type, &req, &ans, &t);
	close(fd);
	cmd_comm(pid, comm, sizeof comm);
	if (r != 0) {
		fprintf(stderr, "guievictor: process %d (%s): no answer to %s: "
		    "%s\n", (int)pid, comm, verb, strerror(-r));
		r = 1;
		goto out;
	}
	if (t == GVC_ERROR) {
		if (gvc_get_error(&ans, &err, msg, sizeof msg) != 0)
			snprintf(msg, sizeof msg, "malformed error");
		fprintf(stderr, "guievictor: process %d (%s): %s\n", (int)pid,
		    comm, msg);
		r = 1;
		goto out;
	}
	if (t != GVC_RESULT || gvc_get_result(&ans, &res) != 0) {
		fprintf(stderr, "guievictor: process %d: malformed answer\n",
		    (int)pid);
		r = 1;
		goto out;
	}
	if (cmd_porcelain)
		printf("ok=%d err=%d state=%s inject_us=%llu detach_us=%llu "
		    "attach_us=%llu losses=%u pause_us=%llu\n", res.err == 0,
		    -res.err, gvc_state_name(res.state),
		    (unsigned long long)inj_us,
		    (unsigned long long)res.detach_us,
		    (unsigned long long)res.attach_us, res.nlosses,
		    (unsigned long long)cmd_pause_us);
	for (i = 0; i < res.nlosses; i++)
		fprintf(cmd_porcelain ? stderr : stdout, "left behind: %s\n",
		    res.losses[i]);
	if (res.err != 0) {
		fprintf(stderr, "guievictor: cannot %s process %d (%s): %s; it "
		    "is still %s\n", verb, (int)pid, comm, res.cause,
		    gvc_state_name(res.state));
		r = 1;
		goto out;
	}
	if (!cmd_porcelain) {
		if (type == GVC_DETACH)
			printf("detached process %d (%s) in %.1f ms\n", (int)pid,
			    comm, (double)res.detach_us / 1000.0);
		else if (type == GVC_ATTACH)
			printf("attached process %d (%s) to %s in %.1f ms\n",
			    (int)pid, comm, display,
			    (double)res.attach_us / 1000.0);
		else
			printf("moved process %d (%s) to %s: detach %.1f ms, "
			    "attach %.1f ms\n", (int)pid, comm, display,
			    (double)res.detach_us / 1000.0,
			    (double)res.attach_us / 1000.0);
		if (inj_us != 0)
			printf("(guievict loaded into it first: %.1f ms)\n",
			    (double)inj_us / 1000.0);
	}
	r = 0;
out:
	wbuf_free(&req);
	wbuf_free(&ans);
	return r;
}

/* Every @evict-guievict-UID-PID in /proc/net/unix we may talk to. */
static int
cmd_list(void)
{
	char line[512], path[256], comm[64];
	struct gvc_status st;
	unsigned uid;
	int pid, fd, n = 0;
	FILE *f;
	uid_t me = geteuid();

	if ((f = fopen("/proc/net/unix", "re")) == NULL) {
		fprintf(stderr, "guievictor: /proc/net/unix: %s\n",
		    strerror(errno));
		return 1;
	}
	if (!cmd_porcelain)
		printf("%-8s %-16s %-9s %-14s %-14s %5s\n", "PID", "COMMAND",
		    "STATE", "DISPLAY", "STARTED ON", "MOVES");
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %255s", path) != 1)
			continue;
		if (sscanf(path, "@evict-guievict-%u-%d", &uid, &pid) != 2)
			continue;
		if (me != 0 && uid != me)
			continue;
		if ((fd = cmd_connect(pid, (long)uid)) < 0)
			continue;
		memset(&st, 0, sizeof st);
		{
			struct gvc_hello h;

			if (cmd_hello(fd, &h) != 0 || cmd_status(fd, &st) != 0) {
				close(fd);
				continue;
			}
		}
		close(fd);
		cmd_comm(pid, comm, sizeof comm);
		if (cmd_porcelain)
			printf("pid=%d comm=%s state=%s display=%s origin=%s "
			    "moves=%u detach_us=%llu attach_us=%llu held=%llu\n",
			    pid, comm, gvc_state_name(st.state),
			    st.display[0] ? st.display : "-",
			    st.origin[0] ? st.origin : "-", st.moves,
			    (unsigned long long)st.detach_us,
			    (unsigned long long)st.attach_us,
			    (unsigned long long)st.held);
		else
			printf("%-8d %-16s %-9s %-14s %-14s %5u%s%s\n", pid, comm,
			    gvc_state_name(st.state),
			    st.display[0] ? st.display : "-",
			    st.origin[0] ? st.origin : "-", st.moves,
			    st.note[0] ? "  " : "", st.note);
		n++;
	}
	fclose(f);
	if (n == 0 && !cmd_porcelain)
		printf("(no process is managed by guievict)\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "partial", no_argument, NULL, 'P' },
		{ "xauth", required_argument, NULL, 'x' },
		{ "porcelain", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_opts o;
	const char *verb;
	long v, pid;
	int c, want;

	log_init("guievictor", EVLOG_WARN);
	memset(&o, 0, sizeof o);
	o.fd = -1;
	if (argc < 2) {
		cmd_usage(stderr, NULL);
		return 2;
	}
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 ||
	    strcmp(verb, "help") == 0) {
		cmd_usage(stdout, NULL);
		return 0;
	}
	if (strcmp(verb, "detach") != 0 && strcmp(verb, "attach") != 0 &&
	    strcmp(verb, "move") != 0 && strcmp(verb, "list") != 0) {
		fprintf(stderr, "guievictor: unknown command '%s'\n", verb);
		cmd_usage(stderr, NULL);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "pvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cmd_number(optarg, 0, INT_MAX, &v) != 0) {
				fprintf(stderr, "guievictor: --fd: not a "
				    "descriptor: %s\n", optarg);
				return 2;
			}
			o.fd = (int)v;
			break;
		case 'P':
			o.partial = 1;
			break;
		case 'x':
			o.xauth = optarg;
			break;
		case 'p':
			o.porcelain = cmd_porcelain = 1;
			break;
		case 'v':
			o.verbose = 1;
			log_set_level(EVLOG_DEBUG);
			break;
		case 'h':
			cmd_usage(stdout, verb);
			return 0;
		default:
			cmd_usage(stderr, verb);
			return 2;
		}
	}
	if (strcmp(verb, "list") == 0) {
		if (optind != argc) {
			cmd_usage(stderr, verb);
			return 2;
		}
		return cmd_list();
	}
	want = strcmp(verb, "detach") == 0 ? 1 : 2;
	if (argc - optind != want) {
		cmd_usage(stderr, verb);
		return 2;
	}
	if ((o.fd >= 0 || o.partial) && strcmp(verb, "attach") == 0) {
		cmd_usage(stderr, verb);
		return 2;
	}
	if (cmd_number(argv[optind], 1, INT_MAX, &pid) != 0) {
		fprintf(stderr, "guievictor: not a process id: %s\n",
		    argv[optind]);
		return 2;
	}
	return cmd_run(verb, (pid_t)pid, want == 2 ? argv[optind + 1] : NULL,
	    &o);
}

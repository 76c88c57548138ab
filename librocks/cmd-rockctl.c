/*
 * rockctl: the reliable sockets of the user's processes.
 *
 *   rockctl [--json] list           every rock of the user's processes
 *   rockctl [--json] show PID       the rocks of one process, in detail
 *   rockctl [--json] kill [--pid PID] ID
 *                                   aborts a rock (its program gets
 *                                   ECONNRESET); ID is a unique prefix
 *
 * Processes with rocks listen on "@evict-rocks/UID/PID" (ctlsock.c): they
 * are found in /proc/net/unix (of this network namespace), asked over
 * that socket (docs/protocol/rockctl.md), and answer only their own user
 * and root.  A user's rockctl looks at the user's processes; root's at
 * everyone's.  A server whose credentials do not match its name is not
 * believed.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/wbuf.h"
#include "librocks/ctlproto.h"

#define RCTL_MAX_PROCS  4096
#define RCTL_MAX_ROCKS  (1u << 20)

struct rctl_proc {
	long            pid;            /* from the name, then the credentials */
	unsigned long   uid;
	char            program[CTL_PROGRAM_MAX];
	struct ctl_rock *rocks;
	size_t          n;
	int             truncated;
	int             fd;             /* the open connection, or -1 */
	char            err[320];       /* non-empty: it could not be asked */
	int             gone;           /* it ended before it could be asked */
};

static int rctl_json;
static int rctl_timeout_ms = 2000;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rockctl [options] list\n"
"       rockctl [options] show PID\n"
"       rockctl [options] kill [--pid PID] ID\n"
"Shows the reliable sockets (rocks) of your processes: state, peer, bytes\n"
"in flight, time suspended and why; or aborts one (its program then gets\n"
"ECONNRESET).  ID is the rock's identifier or a unique prefix of it.\n"
"Root sees every user's processes.\n"
"  -j, --json          machine-readable output\n"
"  -t, --timeout MS    wait at most MS for each process (default 2000)\n"
"  -p, --pid PID       (kill) only look in process PID\n"
"  -h, --help          this text\n");
}

/* ---- finding and asking processes ---------------------------------------------- */

/* The listening sockets named evict-rocks/UID/PID (want_pid < 0: any). */
static size_t
rctl_find(struct rctl_proc **out, long want_pid, int any_uid)
{
	struct rctl_proc *v = NULL, *nv;
	size_t n = 0, cap = 0, i;
	char line[512], path[256], tail[2];
	unsigned long uid, flags, type, st, inode;
	long pid;
	FILE *f;

	*out = NULL;
	if ((f = fopen("/proc/net/unix", "re")) == NULL) {
		fprintf(stderr, "rockctl: /proc/net/unix: %s\n", strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%*s %*x %*x %lx %lx %lx %lu %255s", &flags, &type,
		    &st, &inode, path) != 5 || !(flags & 0x10000) ||
		    type != SOCK_STREAM || path[0] != '@' ||
		    strncmp(path + 1, CTL_NAME_PREFIX, strlen(CTL_NAME_PREFIX)) != 0)
			continue;
		if (sscanf(path + 1 + strlen(CTL_NAME_PREFIX), "%lu/%ld%1s", &uid,
		    &pid, tail) != 2 || pid <= 0)
			continue;
		if ((want_pid >= 0 && pid != want_pid) ||
		    (!any_uid && uid != (unsigned long)geteuid()))
			continue;
		for (i = 0; i < n; i++)
			if (v[i].pid == pid)
				break;
		if (i < n || n == RCTL_MAX_PROCS)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL)
				break;
			v = nv;
		}
		memset(&v[n], 0, sizeof v[n]);
		v[n].pid = pid;
		v[n].uid = uid;
		v[n].fd = -1;
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

static int
rctl_send(int fd, const struct wbuf *b)
{
	size_t off = 0;
	ssize_t k;

	while (off < b->len) {
		k = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		off += (size_t)k;
	}
	return 0;
}

/* One reply frame; a closed connection right away means "not allowed". */
static int
rctl_recv(struct rctl_proc *p, struct wbuf *pl, uint16_t *type)
{
	char text[CTL_TEXT_MAX];
	uint32_t code;
	int r;

	r = ipc_recv_frame(p->fd, pl, type, CTL_REPLY_MAX, rctl_timeout_ms);
	if (r == 0 || r == -ECONNRESET || r == -EPIPE)
		return -ECONNRESET;
	if (r < 0)
		return r;
	if (*type == CTL_MSG_ERROR) {
		if (ctl_get_result(pl, &code, text, sizeof text) == 0)
			snprintf(p->err, sizeof p->err, "it refused: %s", text);
		return -EPROTO;
	}
	return 0;
}

static void
rctl_close(struct rctl_proc *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static int
rctl_connect_abstract(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(name));
	int fd, tries;

	memcpy(sa.sun_path + 1, name, strlen(name));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return -errno;
	/* a full backlog answers EAGAIN: try again for a while */
	for (tries = 0; connect(fd, (struct sockaddr *)&sa, len) < 0; tries++) {
		if ((errno != EAGAIN && errno != EINTR) ||
		    tries * 10 > rctl_timeout_ms) {
			int e = errno;

			close(fd);
			return -e;
		}
		usleep(10000);
	}
	return fd;
}

/* Connects and says hello; fills p->err on failure. */
static int
rctl_open(struct rctl_proc *p)
{
	struct ctl_hello h = { .version = CTL_PROTO_VERSION };
	struct wbuf b, pl;
	struct ucred uc;
	char name[64];
	uint16_t type;
	int fd, r;

	snprintf(name, sizeof name, CTL_NAME_FMT, p->uid, p->pid);
	if ((fd = rctl_connect_abstract(name)) < 0) {
		if (fd == -ECONNREFUSED || fd == -ENOENT)
			p->gone = 1;
		snprintf(p->err, sizeof p->err, "cannot connect to @%s: %s", name,
		    strerror(-fd));
		return -1;
	}
	p->fd = fd;
	if ((r = ipc_peer_cred(fd, &uc)) < 0 || uc.uid != p->uid) {
		snprintf(p->err, sizeof p->err, "@%s is served by uid %lu, not "
		    "%lu: not believed", name, r < 0 ? 0ul : (unsigned long)uc.uid,
		    p->uid);
		rctl_close(p);
		return -1;
	}
	if (geteuid() != 0 && uc.uid != geteuid() && uc.uid != 0) {
		snprintf(p->err, sizeof p->err, "process %ld runs as uid %lu: "
		    "only that user or root may look at its rocks", p->pid,
		    (unsigned long)uc.uid);
		rctl_close(p);
		return -1;
	}
	p->pid = (long)uc.pid;
	wbuf_init(&b, 0);
	wbuf_init(&pl, CTL_REPLY_MAX + 16);
	h.pid = (uint32_t)getpid();
	h.uid = (uint32_t)geteuid();
	snprintf(h.program, sizeof h.program, "rockctl");
	if ((r = ctl_put_hello(&b, &h)) < 0 || (r = rctl_send(fd, &b)) < 0 ||
	    (r = rctl_recv(p, &pl, &type)) < 0 || type != CTL_MSG_HELLO ||
	    (r = ctl_get_hello(&pl, &h)) < 0) {
		if (r == -ECONNRESET || r == -EPIPE)
			snprintf(p->err, sizeof p->err, "process %ld (uid %lu) "
			    "refused: only its user or root may look at its "
			    "rocks", p->pid, p->uid);
		else if (p->err[0] == '\0')
			snprintf(p->err, sizeof p->err, "no proper answer from "
			    "process %ld: %s", p->pid, strerror(r < 0 ? -r :
			    EBADMSG));
		wbuf_free(&b);
		wbuf_free(&pl);
		rctl_close(p);
		return -1;
	}
	wbuf_free(&b);
	wbuf_free(&pl);
	if (h.version != CTL_PROTO_VERSION) {
		snprintf(p->err, sizeof p->err, "process %ld speaks version %u "
		    "of the rockctl protocol, this rockctl %u", p->pid,
		    (unsigned)h.version, (unsigned)CTL_PROTO_VERSION);
		rctl_close(p);
		return -1;
	}
	snprintf(p->program, sizeof p->program, "%s", h.program);
	return 0;
}

/* Asks an open process for its rocks. */
static int
rctl_list(struct rctl_proc *p)
{
	struct ctl_rock *nv;
	struct wbuf b, pl;
	uint32_t count;
	uint8_t trunc;
	size_t cap = 0;
	uint16_t type;
	int r;

	free(p->rocks);
	p->rocks = NULL;
	p->n = 0;
	wbuf_init(&b, 0);
	wbuf_init(&pl, CTL_REPLY_MAX + 16);
	if ((r = ctl_put_list(&b)) < 0 || (r = rctl_send(p->fd, &b)) < 0)
		goto fail;
	for (;;) {
		if ((r = rctl_recv(p, &pl, &type)) < 0)
			goto fail;
		if (type == CTL_MSG_LIST_END) {
			if ((r = ctl_get_list_end(&pl, &count, &trunc)) < 0)
				goto fail;
			if (count != p->n) {
				r = -EBADMSG;
				goto fail;
			}
			p->truncated = trunc;
			break;
		}
		if (type != CTL_MSG_ROCK || p->n == RCTL_MAX_ROCKS) {
			r = -EBADMSG;
			goto fail;
		}
		if (p->n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nv = realloc(p->rocks, cap * sizeof *nv)) == NULL) {
				r = -ENOMEM;
				goto fail;
			}
			p->rocks = nv;
		}
		if ((r = ctl_get_rock(&pl, &p->rocks[p->n])) < 0)
			goto fail;
		p->n++;
	}
	wbuf_free(&b);
	wbuf_free(&pl);
	return 0;
fail:
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof p->err, "listing the rocks of process "
		    "%ld: %s", p->pid, strerror(-r));
	wbuf_free(&b);
	wbuf_free(&pl);
	rctl_close(p);
	return -1;
}

/* Finds and asks processes; returns how many could not be asked. */
static int
rctl_gather(struct rctl_proc **procs, size_t *n, long want_pid, int any_uid)
{
	int bad = 0;

	*n = rctl_find(procs, want_pid, any_uid);
	for (size_t i = 0; i < *n; i++) {
		struct rctl_proc *p = &(*procs)[i];

		if (rctl_open(p) < 0 || rctl_list(p) < 0) {
			if (!p->gone)
				bad++;
		}
	}
	return bad;
}

static void
rctl_free(struct rctl_proc *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rctl_close(&v[i]);
		free(v[i].rocks);
	}
	free(v);
}

/* ---- output --------------------------------------------------------------------- */

static void
rctl_json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
rctl_json_u64(const char *key, uint64_t v, uint64_t null_value)
{
	printf(",\"%s\":", key);
	if (v == null_value)
		printf("null");
	else
		printf("%llu", (unsigned long long)v);
}

static void
rctl_json_addr(const char *key, const struct ctl_addr *a)
{
	char s[80];

	printf(",\"%s\":", key);
	if (a->family == 0) {
		printf("null");
		return;
	}
	ctl_addr_str(a, s, sizeof s);
	rctl_json_str(s);
}

static void
rctl_json_rock(const struct rctl_proc *p, const struct ctl_rock *r)
{
	char id[2 * CTL_ID_LEN + 1], why[512];
	const char *en;

	ctl_id_str(r->id, id);
	printf("{\"pid\":%ld,\"uid\":%lu,\"program\":", p->pid, p->uid);
	rctl_json_str(p->program);
	printf(",\"id\":\"%s\",\"fd\":", id);
	if (r->fd < 0)
		printf("null");
	else
		printf("%d", r->fd);
	printf(",\"role\":\"%s\",\"state\":\"%s\"", ctl_role_str(r->role),
	    ctl_state_str(r->state));
	rctl_json_addr("local", &r->local);
	rctl_json_addr("peer", &r->peer);
	rctl_json_addr("reconnect", &r->reconnect);
	rctl_json_u64("sent", r->sent, CTL_UNKNOWN);
	rctl_json_u64("rcvd", r->rcvd, CTL_UNKNOWN);
	rctl_json_u64("in_flight", r->inflight, CTL_UNKNOWN);
	rctl_json_u64("connected_ms", r->age_ms, CTL_UNKNOWN);
	rctl_json_u64("suspended_ms", r->suspended_ms, CTL_UNKNOWN);
	rctl_json_u64("gives_up_ms", r->state == CTL_SUSPENDED ? r->giveup_ms :
	    CTL_NEVER, CTL_NEVER);
	rctl_json_u64("retry_ms", r->retry_ms, CTL_UNKNOWN);
	rctl_json_u64("heartbeat_ms", r->hb_ms, CTL_UNKNOWN);
	rctl_json_u64("heartbeat_misses", r->hb_misses, CTL_UNKNOWN);
	rctl_json_u64("last_heartbeat_ms", r->last_hb_ms, CTL_UNKNOWN);
	rctl_json_u64("reconnects", r->reconnects, CTL_UNKNOWN);
	printf(",\"error\":");
	en = r->err != 0 ? strerrorname_np((int)r->err) : NULL;
	if (en != NULL)
		rctl_json_str(en);
	else
		printf("null");
	printf(",\"cause\":");
	rctl_json_str(r->reason);
	ctl_describe(r, why, sizeof why);
	printf(",\"reason\":");
	rctl_json_str(why);
	putchar('}');
}

static void
rctl_json_all(const struct rctl_proc *v, size_t n)
{
	int first = 1;

	printf("{\"version\":%d,\"rocks\":[", CTL_PROTO_VERSION);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].n; j++) {
			if (!first)
				putchar(',');
			first = 0;
			rctl_json_rock(&v[i], &v[i].rocks[j]);
		}
	printf("],\"errors\":[");
	first = 1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].err[0] == '\0' || v[i].gone)
			continue;
		if (!first)
			putchar(',');
		first = 0;
		printf("{\"pid\":%ld,\"error\":", v[i].pid);
		rctl_json_str(v[i].err);
		putchar('}');
	}
	printf("]}\n");
}

static void
rctl_table(const struct rctl_proc *v, size_t n)
{
	char id[2 * CTL_ID_LEN + 1], peer[64], fl[32], sus[32], why[512];
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i].n;
	if (total == 0) {
		printf("no rocks\n");
		return;
	}
	printf("%-7s %-15s %-8s %4s %-9s %-22s %9s %9s  %s\n", "PID",
	    "PROGRAM", "ID", "FD", "STATE", "PEER", "IN FLIGHT", "SUSPENDED",
	    "REASON");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].n; j++) {
			const struct ctl_rock *r = &v[i].rocks[j];
			char fd[16];

			ctl_id_str(r->id, id);
			id[8] = '\0';
			ctl_addr_str(&r->peer, peer, sizeof peer);
			ctl_bytes_str(r->inflight, fl, sizeof fl);
			if (r->state == CTL_SUSPENDED)
				ctl_duration_str(r->suspended_ms, sus, sizeof sus);
			else
				snprintf(sus, sizeof sus, "-");
			if (r->fd < 0)
				snprintf(fd, sizeof fd, "-");
			else
				snprintf(fd, sizeof fd, "%d", r->fd);
			ctl_describe(r, why, sizeof why);
			printf("%-7ld %-15s %-8s %4s %-9s %-22s %9s %9s  %s\n",
			    v[i].pid, v[i].program, id, fd, ctl_state_str(r->state),
			    peer, fl, sus, why);
		}
}

/*
 * A keeper's command line is "rocks-keeper PID FD" (librocks/keep.c): the
 * process that forked and the rock's fd there.  0, or -1 if kpid is none.
 */
static int
rctl_keeper_of(long kpid, long *pid, long *fd)
{
	char path[64], buf[128], *a1, *a2, *end;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", kpid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n == 0 || strcmp(buf, "rocks-keeper") != 0)
		return -1;
	a1 = buf + strlen(buf) + 1;
	if (a1 >= buf + n)
		return -1;
	a2 = a1 + strlen(a1) + 1;
	if (a2 >= buf + n)
		return -1;
	*pid = strtol(a1, &end, 10);
	if (*end != '\0' || *pid <= 0)
		return -1;
	*fd = strtol(a2, &end, 10);
	return *end != '\0' || *fd < 0 ? -1 : 0;
}

/* The keepers holding rocks of pid, told on stdout; how many. */
static int
rctl_show_keepers(long pid)
{
	struct dirent *de;
	long k, pp, pf;
	char *end;
	int found = 0;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		k = strtol(de->d_name, &end, 10);
		if (*end != '\0' || k <= 0 || rctl_keeper_of(k, &pp, &pf) < 0 ||
		    pp != pid)
			continue;
		printf("process %ld forked: its fd %ld is a rock held by "
		    "rocks-keeper %ld (rockctl show %ld)\n", pid, pf, k, k);
		found++;
	}
	closedir(d);
	return found;
}

static void
rctl_show_rock(const struct ctl_rock *r)
{
	char id[2 * CTL_ID_LEN + 1], a[64], b[64], c[64], d[32], e[32], f[32];

	ctl_id_str(r->id, id);
	if (r->fd >= 0)
		printf("rock %s  fd %d, %s, %s\n", id, r->fd,
		    ctl_role_str(r->role), ctl_state_str(r->state));
	else
		printf("rock %s  closed by the program, %s, %s\n", id,
		    ctl_role_str(r->role), ctl_state_str(r->state));
	ctl_addr_str(&r->local, a, sizeof a);
	ctl_addr_str(&r->peer, b, sizeof b);
	ctl_addr_str(&r->reconnect, c, sizeof c);
	printf("  local       %s\n  peer        %s\n", a, b);
	printf("  control     %s (the peer's control port: heartbeats%s)\n", c,
	    r->role == CTL_CLIENT ? " and reconnections" : "");
	ctl_bytes_str(r->sent, d, sizeof d);
	ctl_bytes_str(r->rcvd, e, sizeof e);
	ctl_bytes_str(r->inflight, f, sizeof f);
	printf("  bytes       sent %s, received %s, in flight %s\n", d, e, f);
	ctl_duration_str(r->hb_ms, d, sizeof d);
	ctl_duration_str(r->last_hb_ms, e, sizeof e);
	printf("  heartbeat   every %s; suspends after %u missed; last heard "
	    "%s ago\n", d, r->hb_misses, e);
	ctl_duration_str(r->age_ms, d, sizeof d);
	printf("  age         %s; %llu reconnection%s\n", d,
	    (unsigned long long)r->reconnects, r->reconnects == 1 ? "" : "s");
	if (r->state == CTL_SUSPENDED) {
		ctl_duration_str(r->suspended_ms, d, sizeof d);
		if (r->giveup_ms == CTL_NEVER)
			snprintf(e, sizeof e, "never");
		else
			ctl_duration_str(r->giveup_ms, e, sizeof e);
		printf("  suspended   for %s; gives up in %s\n", d, e);
	}
	if (r->reason[0])
		printf("  cause       %s\n", r->reason);
	{
		char why[512];

		ctl_describe(r, why, sizeof why);
		printf("  reason      %s\n", why);
	}
}

/* ---- commands --------------------------------------------------------------------- */

static int
rctl_report_errors(const struct rctl_proc *v, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].err[0] != '\0' && !v[i].gone) {
			if (!rctl_json)
				fprintf(stderr, "rockctl: %s\n", v[i].err);
			bad = 1;
		}
	return bad;
}

static int
cmd_list(void)
{
	struct rctl_proc *v;
	size_t n;
	int bad;

	(void)rctl_gather(&v, &n, -1, geteuid() == 0);
	if (rctl_json)
		rctl_json_all(v, n);
	else
		rctl_table(v, n);
	bad = rctl_report_errors(v, n);
	rctl_free(v, n);
	return bad ? 1 : 0;
}

static long
rctl_pid_arg(const char *s)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || pid <= 0)
		return -1;
	return pid;
}

static int
cmd_show(const char *arg)
{
	struct rctl_proc *v;
	long pid = rctl_pid_arg(arg);
	size_t n;
	int bad;

	if (pid < 0) {
		fprintf(stderr, "rockctl: show: '%s' is not a process id\n", arg);
		return 2;
	}
	/* any user's: its refusal says more than silence */
	(void)rctl_gather(&v, &n, pid, 1);
	if (n == 0 || (n == 1 && v[0].gone)) {
		rctl_free(v, n);
		if (!rctl_json && rctl_show_keepers(pid) > 0)
			return 0;
		fprintf(stderr, "rockctl: process %ld has no rocks (no control "
		    "socket in this network namespace)\n", pid);
		return 1;
	}
	if (rctl_json)
		rctl_json_all(v, n);
	else if (v[0].err[0] == '\0') {
		long pp, pf;

		printf("pid %ld (%s), uid %lu: %zu rock%s%s\n", v[0].pid,
		    v[0].program, v[0].uid, v[0].n, v[0].n == 1 ? "" : "s",
		    v[0].truncated ? " (list cut short)" : "");
		if (rctl_keeper_of(v[0].pid, &pp, &pf) == 0)
			printf("  a keeper: holds the rock of fd %ld of process %ld "
			    "(and its children), which forked\n", pf, pp);
		for (size_t j = 0; j < v[0].n; j++)
			rctl_show_rock(&v[0].rocks[j]);
	}
	bad = rctl_report_errors(v, n);
	rctl_free(v, n);
	return bad ? 1 : 0;
}

static int
rctl_hex_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 2 * CTL_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/*
 * Waits (bounded) until the killed rock is CLOSED, gone from the list, or
 * its process gone (programs often exit on the error); 1 if so.
 */
static int
rctl_wait_closed(struct rctl_proc *p, const uint8_t id[CTL_ID_LEN])
{
	size_t j;

	for (int i = 0; i < 40; i++) {
		if (rctl_list(p) < 0)
			return 1;
		for (j = 0; j < p->n; j++)
			if (memcmp(p->rocks[j].id, id, CTL_ID_LEN) == 0)
				break;
		if (j == p->n || p->rocks[j].state == CTL_CLOSED)
			return 1;
		usleep(50000);
	}
	return 0;
}

static int
cmd_kill(const char *idarg, long only_pid)
{
	char want[2 * CTL_ID_LEN + 1], id[2 * CTL_ID_LEN + 1], text[CTL_TEXT_MAX];
	struct rctl_proc *v, *hit = NULL;
	struct ctl_rock *rk = NULL;
	uint8_t rid[CTL_ID_LEN];
	struct wbuf b, pl;
	uint32_t code;
	uint16_t type;
	size_t n, matches = 0;
	int rc = 1, r;

	if (!rctl_hex_prefix(idarg)) {
		fprintf(stderr, "rockctl: kill: '%s' is not a rock id (4 to 32 "
		    "hex digits, as rockctl list shows)\n", idarg);
		return 2;
	}
	for (size_t i = 0; i <= strlen(idarg); i++)     /* lowercase */
		want[i] = idarg[i] >= 'A' && idarg[i] <= 'F' ?
		    (char)(idarg[i] - 'A' + 'a') : idarg[i];
	(void)rctl_gather(&v, &n, only_pid, only_pid > 0 || geteuid() == 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].n; j++) {
			ctl_id_str(v[i].rocks[j].id, id);
			if (strncmp(id, want, strlen(want)) != 0)
				continue;
			if (matches++ == 0) {
				hit = &v[i];
				rk = &v[i].rocks[j];
			}
		}
	if (matches == 0) {
		(void)rctl_report_errors(v, n);
		fprintf(stderr, "rockctl: no rock %s in %s\n", idarg,
		    only_pid > 0 ? "that process" : geteuid() == 0 ?
		    "any process" : "your processes");
		goto out;
	}
	if (matches > 1) {
		fprintf(stderr, "rockctl: %zu rocks match %s:", matches, idarg);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < v[i].n; j++) {
				ctl_id_str(v[i].rocks[j].id, id);
				if (strncmp(id, want, strlen(want)) == 0)
					fprintf(stderr, " %s in process %ld;", id,
					    v[i].pid);
			}
		fprintf(stderr, " give more of the id, or --pid (both ends "
		    "of a connection have the same id)\n");
		goto out;
	}
	ctl_id_str(rk->id, id);
	wbuf_init(&b, 0);
	wbuf_init(&pl, CTL_REPLY_MAX + 16);
	memcpy(rid, rk->id, CTL_ID_LEN);
	if ((r = ctl_put_kill(&b, rid)) < 0 || (r = rctl_send(hit->fd, &b)) < 0 ||
	    (r = rctl_recv(hit, &pl, &type)) < 0 || type != CTL_MSG_RESULT ||
	    (r = ctl_get_result(&pl, &code, text, sizeof text)) < 0) {
		fprintf(stderr, "rockctl: kill %s in process %ld: %s\n", id,
		    hit->pid, hit->err[0] ? hit->err : strerror(r < 0 ? -r :
		    EBADMSG));
		wbuf_free(&b);
		wbuf_free(&pl);
		goto out;
	}
	wbuf_free(&b);
	wbuf_free(&pl);
	if (code != 0) {
		fprintf(stderr, "rockctl: process %ld did not abort rock %s: %s\n",
		    hit->pid, id, text);
		goto out;
	}
	r = rctl_wait_closed(hit, rid);
	if (rctl_json) {
		printf("{\"pid\":%ld,\"id\":\"%s\",\"aborted\":%s}\n", hit->pid, id,
		    r ? "true" : "false");
	} else if (r)
		printf("rockctl: aborted rock %.8s of process %ld (%s); the "
		    "program gets ECONNRESET\n", id, hit->pid, hit->program);
	else
		printf("rockctl: asked process %ld (%s) to abort rock %.8s\n",
		    hit->pid, hit->program, id);
	rc = 0;
out:
	rctl_free(v, n);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long only_pid = -1;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "jt:p:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'j':
			rctl_json = 1;
			break;
		case 't':
			errno = 0;
			rctl_timeout_ms = (int)strtol(optarg, &end, 10);
			if (errno || *end || rctl_timeout_ms < 1 ||
			    rctl_timeout_ms > 600000) {
				fprintf(stderr, "rockctl: --timeout is 1 to 600000 "
				    "ms, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if ((only_pid = rctl_pid_arg(optarg)) < 0) {
				fprintf(stderr, "rockctl: --pid: '%s' is not a "
				    "process id\n", optarg);
				return 2;
			}
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
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "list") == 0 && argc - optind == 1)
		return cmd_list();
	if (strcmp(argv[optind], "show") == 0 && argc - optind == 2)
		return cmd_show(argv[optind + 1]);
	if (strcmp(argv[optind], "kill") == 0 && argc - optind == 2)
		return cmd_kill(argv[optind + 1], only_pid);
	usage(stderr);
	return 2;
}

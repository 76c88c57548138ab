/*
 * relay: the single-threaded epoll loop.  It accepts on every listener and
 * hands each new connection to a handshake thread (hs.c); the pairs those
 * finish come back through an eventfd and are relayed here, each with a
 * fixed 64 KiB buffer per direction, so that a connection costs no thread
 * and its memory in rockd is bounded.  A suspended rock is out of the
 * epoll set (librocks takes it out and puts it back); its server side is
 * read until the buffer toward the rock is full, and then TCP pushes back
 * on the server.
 *
 * Limits (rd_limits), checked every second: a suspended rock is given up
 * after max_age_s (librocks' own reconnection period, set per rock); when
 * more than max_suspended rocks are suspended, or they hold more than
 * max_suspended_mem bytes (rockd's buffers and the bytes librocks keeps
 * for replay), the longest suspended ones are dropped.  Each is logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "librocks/rocks.h"
#include "rockd/rockd.h"

#define RELAY_BUF (64 * 1024)

enum { TAG_LISTENER, TAG_CLIENT, TAG_SERVER, TAG_NOTIFY, TAG_SIGNAL };

struct rbuf {
	uint8_t *p;
	size_t   off, len;
};

struct session;

struct tag {
	int      kind;
	struct session *s;
	struct rd_listener *l;
};

struct session {
	int      cfd, sfd;
	int      is_rock;
	struct rd_listener *l;
	struct rbuf c2s, s2c;
	int      c_eof, s_eof;      /* the side's reading ended */
	int      c_shut, s_shut;    /* we shut down writing to the side */
	uint32_t cev, sev;          /* interest now */
	int      dead;
	uint64_t start_ms, bytes_c2s, bytes_s2c;
	char     client[64], server[64];
	struct tag tc, ts;
	struct session *prev, *next;
};

static struct {
	int      ep;
	struct session *all;
	struct session *grave;      /* closed, freed after the batch */
	struct tag ltag[RD_MAX_LISTENERS];
	unsigned n, nrock;
	uint64_t total, dropped;
	int      stop;
	int      accepting;         /* listeners in the epoll set */
} rl;

static void
relay_ctl(int op, int fd, uint32_t ev, struct tag *t)
{
	struct epoll_event e = { .events = ev, .data.ptr = t };

	if (epoll_ctl(rl.ep, op, fd, &e) < 0 && op != EPOLL_CTL_DEL)
		rd_error("epoll_ctl fd %d: %s", fd, strerror(errno));
}

static void
relay_interest(struct session *s)
{
	uint32_t c = 0, v = 0;

	if (!s->c_eof && s->c2s.len < RELAY_BUF)
		c |= EPOLLIN;
	if (s->s2c.len > s->s2c.off)
		c |= EPOLLOUT;
	if (!s->s_eof && s->s2c.len < RELAY_BUF)
		v |= EPOLLIN;
	if (s->c2s.len > s->c2s.off)
		v |= EPOLLOUT;
	if (c != s->cev) {
		relay_ctl(EPOLL_CTL_MOD, s->cfd, c, &s->tc);
		s->cev = c;
	}
	if (v != s->sev) {
		relay_ctl(EPOLL_CTL_MOD, s->sfd, v, &s->ts);
		s->sev = v;
	}
}

static void
relay_close(struct session *s, const char *why)
{
	rd_info("%s: %s -> %s closed (%s; %llu bytes up, %llu down, %llu s)",
	    s->l->name, s->client, s->server, why,
	    (unsigned long long)s->bytes_c2s, (unsigned long long)s->bytes_s2c,
	    (unsigned long long)((rd_now_ms() - s->start_ms) / 1000));
	relay_ctl(EPOLL_CTL_DEL, s->cfd, 0, NULL);
	relay_ctl(EPOLL_CTL_DEL, s->sfd, 0, NULL);
	close(s->cfd);
	close(s->sfd);
	s->dead = 1;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		rl.all = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	rl.n--;
	if (s->is_rock)
		rl.nrock--;
	/* freed after the epoll batch, which may still name it */
	s->next = rl.grave;
	rl.grave = s;
}

static void
relay_bury(void)
{
	struct session *s;

	while ((s = rl.grave) != NULL) {
		rl.grave = s->next;
		free(s->c2s.p);
		free(s->s2c.p);
		free(s);
	}
}

/*
 * Moves bytes one way: writes what buf holds to dst, reads src into it.
 * Returns 0, or -1 with *why set when the session must end.
 */
static int
relay_dir(int src, int dst, struct rbuf *b, int *src_eof, int *dst_shut,
    uint64_t *count, const char **why, const char *srcname)
{
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		while (b->len > b->off) {
			n = send(dst, b->p + b->off, b->len - b->off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				b->off += (size_t)n;
				*count += (uint64_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			*why = srcname[0] == 'c' ? "server write failed" :
			    "client write failed";
			return -1;
		}
		if (b->off == b->len)
			b->off = b->len = 0;
		if (*src_eof || b->len == RELAY_BUF)
			break;
		n = recv(src, b->p + b->len, RELAY_BUF - b->len, MSG_DONTWAIT);
		if (n > 0) {
			b->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			*src_eof = 1;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		*why = srcname[0] == 'c' ? "client gone" : "server gone";
		return -1;
	}
	if (*src_eof && b->off == b->len && !*dst_shut) {
		(void)shutdown(dst, SHUT_WR);
		*dst_shut = 1;
	}
	return 0;
}

static void
relay_pump(struct session *s)
{
	const char *why = NULL;

	if (relay_dir(s->cfd, s->sfd, &s->c2s, &s->c_eof, &s->s_shut,
	    &s->bytes_c2s, &why, "client") < 0 ||
	    relay_dir(s->sfd, s->cfd, &s->s2c, &s->s_eof, &s->c_shut,
	    &s->bytes_s2c, &why, "server") < 0) {
		relay_close(s, why);
		return;
	}
	if (s->c_shut && s->s_shut) {
		relay_close(s, "both sides done");
		return;
	}
	relay_interest(s);
}

static void
relay_add(struct rd_ready *r)
{
	struct session *s;
	const struct rd_limits *lim = &rd_conf.lim;

	if (rl.n >= lim->max_sessions) {
		rd_warn("%s: %s refused: %u connections relayed already "
		    "(max-sessions)", r->l->name, r->client, rl.n);
		close(r->cfd);
		close(r->sfd);
		return;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL || (s->c2s.p = malloc(RELAY_BUF)) == NULL ||
	    (s->s2c.p = malloc(RELAY_BUF)) == NULL) {
		rd_error("%s: out of memory; closing %s", r->l->name, r->client);
		if (s != NULL) {
			free(s->c2s.p);
			free(s);
		}
		close(r->cfd);
		close(r->sfd);
		return;
	}
	s->cfd = r->cfd;
	s->sfd = r->sfd;
	s->is_rock = r->is_rock;
	s->l = r->l;
	s->start_ms = rd_now_ms();
	snprintf(s->client, sizeof s->client, "%s", r->client);
	snprintf(s->server, sizeof s->server, "%s", r->server);
	s->tc = (struct tag){ .kind = TAG_CLIENT, .s = s };
	s->ts = (struct tag){ .kind = TAG_SERVER, .s = s };
	(void)fcntl(s->cfd, F_SETFL, fcntl(s->cfd, F_GETFL) | O_NONBLOCK);
	/* rockd drops it at max-age; librocks' own period is the backstop */
	if (s->is_rock && lim->max_age_s > 0 &&
	    rocks_set_reconnect_timeout(s->cfd, lim->max_age_s + 5) < 0)
		rd_warn("%s: cannot set the reconnection period: %s", s->client,
		    strerror(errno));
	s->cev = EPOLLIN;
	s->sev = EPOLLIN;
	relay_ctl(EPOLL_CTL_ADD, s->cfd, s->cev, &s->tc);
	relay_ctl(EPOLL_CTL_ADD, s->sfd, s->sev, &s->ts);
	s->next = rl.all;
	if (rl.all != NULL)
		rl.all->prev = s;
	rl.all = s;
	rl.n++;
	rl.total++;
	if (s->is_rock)
		rl.nrock++;
	relay_pump(s);
}

static void
relay_take_ready(int nfd)
{
	struct rd_ready *r, *next;
	uint64_t v;

	if (read(nfd, &v, sizeof v) < 0 && errno != EAGAIN)
		rd_error("eventfd: %s", strerror(errno));
	for (r = hs_take_ready(); r != NULL; r = next) {
		next = r->next;
		relay_add(r);
		free(r);
	}
}

static void
relay_accept(struct rd_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, i;

	for (i = 0; i < 64; i++) {
		sl = sizeof ss;
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				rd_warn("%s: accept: %s", l->name, strerror(errno));
			if (errno == EMFILE || errno == ENFILE)
				rd_error("out of descriptors: raise the limit "
				    "(ulimit -n) or lower max-sessions");
			return;
		}
		(void)hs_start(fd, l, (struct sockaddr *)&ss);
	}
}

/* The suspended rocks, longest suspended first, and what each holds. */
struct susp { struct session *s; uint64_t ms, mem; };

static int
relay_susp_cmp(const void *a, const void *b)
{
	const struct susp *x = a, *y = b;

	return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

static void
relay_drop(struct session *s, const char *what)
{
	rd_warn("%s: limit: dropped the suspended connection of %s (%s)",
	    s->l->name, s->client, what);
	rl.dropped++;
	/* a closed suspended rock waits to replay; give it up at once */
	(void)rocks_set_reconnect_timeout(s->cfd, 1);
	relay_close(s, "dropped by a limit");
}

static void
relay_limits(void)
{
	const struct rd_limits *lim = &rd_conf.lim;
	struct rocks_status st;
	struct session *s, *next;
	struct susp *v;
	size_t nv = 0, i;
	uint64_t mem = 0;
	char what[160];

	if (rl.nrock == 0)
		return;
	if ((v = calloc(rl.nrock, sizeof *v)) == NULL)
		return;
	for (s = rl.all; s != NULL; s = next) {
		next = s->next;
		if (!s->is_rock || rocks_status(s->cfd, &st) < 0)
			continue;
		if (st.state == ROCKS_CLOSED) {
			rd_warn("%s: the rock of %s gave up: %s", s->l->name,
			    s->client, st.reason);
			relay_close(s, "rock closed");
			continue;
		}
		if (st.state != ROCKS_SUSPENDED || nv >= rl.nrock)
			continue;
		if (lim->max_age_s > 0 && st.suspended_ms / 1000 >= lim->max_age_s) {
			snprintf(what, sizeof what, "suspended %llu s, max-age %u",
			    (unsigned long long)(st.suspended_ms / 1000),
			    lim->max_age_s);
			relay_drop(s, what);
			continue;
		}
		v[nv].s = s;
		v[nv].ms = st.suspended_ms;
		v[nv].mem = (s->c2s.len - s->c2s.off) + (s->s2c.len - s->s2c.off) +
		    (st.in_flight != ROCKS_UNKNOWN ? st.in_flight : 0);
		mem += v[nv].mem;
		nv++;
	}
	qsort(v, nv, sizeof *v, relay_susp_cmp);
	for (i = 0; i < nv && (nv - i > lim->max_suspended ||
	    mem > lim->max_suspended_mem); i++) {
		if (nv - i > lim->max_suspended)
			snprintf(what, sizeof what, "%zu suspended, "
			    "max-suspended %u", nv - i, lim->max_suspended);
		else
			snprintf(what, sizeof what, "suspended connections hold "
			    "%llu bytes, max-suspended-memory %llu",
			    (unsigned long long)mem,
			    (unsigned long long)lim->max_suspended_mem);
		mem -= v[i].mem;
		relay_drop(v[i].s, what);
	}
	free(v);
}

/* Resident memory of rockd, from /proc/self/statm. */
static unsigned long long
relay_rss(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (unsigned long long)sysconf(_SC_PAGESIZE);
}

static void
relay_stats(void)
{
	struct rocks_status st;
	struct session *s;
	unsigned susp = 0;
	uint64_t buffered = 0;

	for (s = rl.all; s != NULL; s = s->next) {
		buffered += (s->c2s.len - s->c2s.off) + (s->s2c.len - s->s2c.off);
		if (s->is_rock && rocks_status(s->cfd, &st) == 0 &&
		    st.state == ROCKS_SUSPENDED)
			susp++;
	}
	rd_info("stats: %u connections (%u rocks, %u suspended), %u handshakes, "
	    "%llu accepted, %llu refused, %llu dropped; %llu bytes buffered; "
	    "rss %llu KiB", rl.n, rl.nrock, susp, hs_count(),
	    (unsigned long long)rl.total, (unsigned long long)hs_refused(),
	    (unsigned long long)rl.dropped, (unsigned long long)buffered,
	    relay_rss() / 1024);
}

static int
relay_signals(struct tag *t)
{
	sigset_t ss;
	int fd;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGHUP);
	if ((fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -1;
	relay_ctl(EPOLL_CTL_ADD, fd, EPOLLIN, t);
	return fd;
}

static void
relay_signal(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGUSR1)
			relay_stats();
		else if (si.ssi_signo == SIGHUP)
			rd_info("SIGHUP: the configuration is read at start only; "
			    "restart rockd to change it");
		else {
			rd_info("signal %u: stopping", si.ssi_signo);
			rl.stop = 1;
		}
	}
}

/* Listeners out of the set while the handshake limit is reached. */
static void
relay_listeners(int on)
{
	int i;

	if (on == rl.accepting)
		return;
	for (i = 0; i < rd_conf.nl; i++)
		relay_ctl(on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, rd_conf.l[i].fd,
		    EPOLLIN, &rl.ltag[i]);
	rl.accepting = on;
}

int
relay_run(void)
{
	static struct tag tnotify = { .kind = TAG_NOTIFY },
	    tsig = { .kind = TAG_SIGNAL };
	struct epoll_event ev[128];
	struct tag *t;
	uint64_t next_check, next_stats, now;
	int nfd, sigfd, n, i;

	if ((rl.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (nfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rd_error("epoll: %s", strerror(errno));
		return -1;
	}
	hs_init(nfd);
	relay_ctl(EPOLL_CTL_ADD, nfd, EPOLLIN, &tnotify);
	if ((sigfd = relay_signals(&tsig)) < 0) {
		rd_error("signalfd: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < rd_conf.nl; i++)
		rl.ltag[i] = (struct tag){ .kind = TAG_LISTENER,
		    .l = &rd_conf.l[i] };
	relay_listeners(1);
	next_check = rd_now_ms() + 1000;
	next_stats = rd_conf.lim.stats_s ?
	    rd_now_ms() + rd_conf.lim.stats_s * 1000ull : UINT64_MAX;
	while (!rl.stop) {
		n = epoll_wait(rl.ep, ev, 128, 200);
		if (n < 0 && errno != EINTR) {
			rd_error("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			t = ev[i].data.ptr;
			switch (t->kind) {
			case TAG_LISTENER:
				relay_accept(t->l);
				break;
			case TAG_NOTIFY:
				relay_take_ready(nfd);
				break;
			case TAG_SIGNAL:
				relay_signal(sigfd);
				break;
			default:
				if (!t->s->dead)
					relay_pump(t->s);
				break;
			}
		}
		relay_listeners(hs_count() < rd_conf.lim.max_handshakes);
		now = rd_now_ms();
		if (now >= next_check) {
			relay_limits();
			next_check = now + 1000;
		}
		if (now >= next_stats) {
			relay_stats();
			next_stats = now + rd_conf.lim.stats_s * 1000ull;
		}
		relay_bury();
	}
	relay_stats();
	return 0;
}

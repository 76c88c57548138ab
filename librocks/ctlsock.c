/*
 * ctlsock: the control socket of a process with rocks, served by the
 * control thread's loop.  rockctl connects to "@evict-rocks/EUID/PID"
 * (only our uid or root get past ipc_accept), says HELLO, then asks for
 * the list of rocks or for one to be aborted (docs/protocol/rockctl.md).
 *
 * The loop must never wait: clients are non-blocking, requests are parsed
 * from what has arrived, replies are queued and written as the socket
 * takes them, a client that sends nothing for CS_IDLE_MS is closed, and
 * input is not read while a reply is still queued.  The list is copied
 * under the list lock (plain loads and one ioctl), then encoded.  An abort
 * takes the rock's I/O locks, which a replay may hold for seconds, so it
 * runs in a thread of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/wbuf.h"
#include "librocks/ctlsock.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define CS_CLIENTS      8
#define CS_IDLE_MS      10000
#define CS_TICK_MS      1000
#define CS_OUT_MAX      (16u << 20)
#define CS_MAX_ROCKS    65536
#define CS_IN_MAX       (CTL_REQ_MAX + FRAME_HDR_LEN + 1024)

struct cs_client {
	int          fd;        /* -1: a free slot */
	struct wbuf  in, out;
	uint64_t     last_ns;
	int          hello;     /* it said hello */
	int          closing;   /* close once out is written */
	struct ucred cred;
};

static struct {
	pid_t            pid;   /* whose these are (a forked child drops them) */
	struct evloop   *loop;
	int              lfd;
	int              paused;    /* accept failed (no fds): retry at the tick */
	struct cs_client cl[CS_CLIENTS];
} cs = { .lfd = -1 };

static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

/* ---- what rockctl sees of a rock ------------------------------------------ */

static uint64_t
cs_ms_since(uint64_t now, uint64_t then)
{
	return then == 0 || then > now ? 0 : (now - then) / 1000000ull;
}

/*
 * Bytes sent that the peer has not acknowledged: the kernel's count for a
 * live data socket (what the peer's kernel has not acknowledged); for a
 * suspended rock, sent minus what the peer's last heartbeat said it took,
 * when known, else what the dead socket still holds.
 */
static uint64_t
cs_inflight(struct rock *r, enum rock_state st)
{
	uint64_t sent = r->sent, peer;
	int q = 0, fd = r->fd;

	if (st == ROCK_CLOSED)
		return 0;
	if (st == ROCK_SUSPENDED &&
	    __atomic_load_n(&r->reapi.peer_rcvd_ok, __ATOMIC_RELAXED)) {
		peer = __atomic_load_n(&r->reapi.peer_rcvd, __ATOMIC_RELAXED);
		return sent > peer ? sent - peer : 0;
	}
	if (fd >= 0 && real.ioctl(fd, SIOCOUTQ, &q) == 0 && q >= 0)
		return (uint64_t)q;
	return CTL_UNKNOWN;
}

void
ctlsock_snap(struct rock *r, uint64_t now, struct ctl_rock *o)
{
	enum rock_state st = __atomic_load_n(&r->state, __ATOMIC_RELAXED);
	uint64_t deadline;
	size_t n;

	memset(o, 0, sizeof *o);
	memcpy(o->id, r->id, CTL_ID_LEN);
	o->fd = r->fd < 0 ? -1 : r->fd;
	o->role = r->role == ROCK_SERVER ? CTL_SERVER : CTL_CLIENT;
	switch (st) {
	case ROCK_UNDECIDED: o->state = CTL_UNDECIDED; break;
	case ROCK_CONNECTED: o->state = CTL_CONNECTED; break;
	case ROCK_SUSPENDED: o->state = CTL_SUSPENDED; break;
	default:             o->state = CTL_CLOSED; break;
	}
	ctl_addr_set(&o->local, &r->local, r->locallen);
	ctl_addr_set(&o->peer, &r->peer, r->peerlen);
	ctl_addr_set(&o->reconnect, &r->peer_ctl, r->peer_ctllen);
	o->sent = r->sent;
	o->rcvd = r->rcvd;
	o->inflight = cs_inflight(r, st);
	o->age_ms = cs_ms_since(now, r->established_ns);
	if (st == ROCK_SUSPENDED) {
		o->suspended_ms = cs_ms_since(now, r->suspended_ns);
		deadline = __atomic_load_n(&r->deadline_ns, __ATOMIC_RELAXED);
		o->giveup_ms = deadline == UINT64_MAX ? CTL_NEVER :
		    deadline > now ? (deadline - now) / 1000000ull : 0;
	}
	o->retry_ms = rocks_cfg.retry_ms;
	o->hb_ms = r->hb_ms;
	o->hb_misses = r->hb_misses;
	o->last_hb_ms = r->last_rx_ns == 0 ? CTL_UNKNOWN :
	    cs_ms_since(now, r->last_rx_ns);
	o->reconnects = r->reconnects;
	o->err = r->err > 0 ? (uint32_t)r->err : 0;
	/* written by other threads meanwhile at worst: bounded, terminated */
	n = strnlen(r->reason, sizeof r->reason - 1);
	memcpy(o->reason, r->reason, n < sizeof o->reason ? n :
	    sizeof o->reason - 1);
}

/* ---- clients ------------------------------------------------------------------- */

static void
cs_close(struct cs_client *c)
{
	if (c->fd < 0)
		return;
	if (cs.loop != NULL)
		(void)evloop_del_fd(cs.loop, c->fd);
	real.close(c->fd);
	wbuf_free(&c->in);
	wbuf_free(&c->out);
	c->fd = -1;
}

/* Writes what the socket takes; then watches for room or for requests. */
static void
cs_flush(struct cs_client *c)
{
	ssize_t n;

	while (wbuf_avail(&c->out) > 0) {
		n = real.send(c->fd, wbuf_ptr(&c->out), wbuf_avail(&c->out),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			c->out.off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			if (errno == EINTR)
				continue;
			(void)evloop_mod_fd(cs.loop, c->fd, EPOLLOUT);
			return;
		}
		cs_close(c);
		return;
	}
	wbuf_reset(&c->out);
	if (c->closing) {
		cs_close(c);
		return;
	}
	(void)evloop_mod_fd(cs.loop, c->fd, EPOLLIN);
}

static void
cs_reply_error(struct cs_client *c, uint32_t code, const char *text)
{
	(void)ctl_put_result(&c->out, CTL_MSG_ERROR, code, text);
	c->closing = 1;
}

static void
cs_program(char *out, size_t outsz)
{
	ssize_t n;
	int fd;

	snprintf(out, outsz, "?");
	if ((fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = real.read(fd, out, outsz - 1);
	real.close(fd);
	if (n <= 0)
		return;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

struct cs_list {
	uint64_t        now;
	struct ctl_rock *v;
	size_t          n, cap;
	int             truncated;
};

static void
cs_list_one(struct rock *r, void *arg)
{
	struct cs_list *l = arg;
	struct ctl_rock *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 16;
		if (ncap > CS_MAX_ROCKS ||
		    (nv = realloc(l->v, ncap * sizeof *nv)) == NULL) {
			l->truncated = 1;
			return;
		}
		l->v = nv;
		l->cap = ncap;
	}
	ctlsock_snap(r, l->now, &l->v[l->n++]);
}

static void
cs_list(struct cs_client *c)
{
	struct cs_list l = { .now = rock_now_ns() };
	size_t i;

	rock_foreach(cs_list_one, &l);
	for (i = 0; i < l.n; i++)
		if (ctl_put_rock(&c->out, &l.v[i]) < 0)
			break;
	if (i < l.n || ctl_put_list_end(&c->out, (uint32_t)l.n,
	    (uint8_t)l.truncated) < 0) {
		log_warn("rockctl: a list of %zu rocks does not fit in a "
		    "reply; closing", l.n);
		c->closing = 1;
	}
	free(l.v);
}

struct cs_kill_job {
	struct rock *r;         /* held */
	char         why[96];
};

/* Resets the data connection in place: the peer sees an abort, not a close. */
static void
cs_reset(int fd)
{
	struct linger lg = { 1, 0 };
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	real.setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	(void)real.connect(fd, &sa, sizeof sa);
}

static void *
cs_kill_thread(void *arg)
{
	struct cs_kill_job *job = arg;
	struct rock *r = job->r;
	int orphan = 0;

	/* as a reconnection does: no I/O, no replay, no install meanwhile */
	pthread_mutex_lock(&r->tx_lock);
	pthread_mutex_lock(&r->rx_lock);
	if (r->state == ROCK_CONNECTED || r->state == ROCK_SUSPENDED) {
		if (r->state == ROCK_CONNECTED && r->fd >= 0)
			cs_reset(r->fd);
		/* closed by the program while suspended: nobody else will
		 * take it off the list now that it will not resume */
		orphan = r->app_closed;
		rock_abort(r, ECONNRESET, job->why);
	}
	pthread_mutex_unlock(&r->rx_lock);
	pthread_mutex_unlock(&r->tx_lock);
	if (orphan)
		rock_release(r);
	rock_put(r);
	free(job);
	return NULL;
}

static void
cs_kill(struct cs_client *c, const uint8_t id[CTL_ID_LEN])
{
	struct cs_kill_job *job;
	pthread_attr_t at;
	pthread_t tid;
	struct rock *r;
	int rc;

	if ((r = rock_find_id(id)) == NULL) {
		(void)ctl_put_result(&c->out, CTL_MSG_RESULT, ENOENT,
		    "no such rock in this process");
		return;
	}
	if (r->state == ROCK_CLOSED) {
		rock_put(r);
		(void)ctl_put_result(&c->out, CTL_MSG_RESULT, EALREADY,
		    "the rock is closed already");
		return;
	}
	if ((job = calloc(1, sizeof *job)) == NULL) {
		rock_put(r);
		(void)ctl_put_result(&c->out, CTL_MSG_RESULT, ENOMEM,
		    "out of memory");
		return;
	}
	job->r = r;
	snprintf(job->why, sizeof job->why, "killed by rockctl (pid %ld, "
	    "uid %lu)", (long)c->cred.pid, (unsigned long)c->cred.uid);
	log_info("rock %d: %s", r->fd, job->why);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &at, cs_kill_thread, job);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		rock_put(r);
		free(job);
		(void)ctl_put_result(&c->out, CTL_MSG_RESULT, (uint32_t)rc,
		    "cannot start the abort");
		return;
	}
	(void)ctl_put_result(&c->out, CTL_MSG_RESULT, 0, "aborting");
}

static void
cs_request(struct cs_client *c, uint16_t type, struct wbuf *pl)
{
	struct ctl_hello h;
	uint8_t id[CTL_ID_LEN];

	if (!c->hello) {
		if (type != CTL_MSG_HELLO || ctl_get_hello(pl, &h) < 0) {
			cs_reply_error(c, EPROTO, "expected a rockctl HELLO");
			return;
		}
		memset(&h, 0, sizeof h);
		h.version = CTL_PROTO_VERSION;
		h.pid = (uint32_t)getpid();
		h.uid = (uint32_t)geteuid();
		cs_program(h.program, sizeof h.program);
		(void)ctl_put_hello(&c->out, &h);
		c->hello = 1;
		return;
	}
	switch (type) {
	case CTL_MSG_LIST:
		if (ctl_get_list(pl) < 0)
			cs_reply_error(c, EBADMSG, "malformed LIST");
		else
			cs_list(c);
		break;
	case CTL_MSG_KILL:
		if (ctl_get_kill(pl, id) < 0)
			cs_reply_error(c, EBADMSG, "malformed KILL");
		else
			cs_kill(c, id);
		break;
	default:
		cs_reply_error(c, EOPNOTSUPP, "unknown request");
	}
}

/* Reads what has arrived and answers every whole request in it. */
static void
cs_read(struct cs_client *c)
{
	uint8_t buf[1024];
	struct wbuf pl;
	uint16_t type;
	ssize_t n;
	int k;

	while (!c->closing && wbuf_avail(&c->out) == 0) {
		n = real.recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0) {
			cs_close(c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cs_close(c);
			return;
		}
		if (wbuf_put_bytes(&c->in, buf, (size_t)n) < 0) {
			cs_reply_error(c, EMSGSIZE, "request too long");
			return;
		}
		while (!c->closing && (k = frame_parse(wbuf_ptr(&c->in),
		    wbuf_avail(&c->in), CTL_REQ_MAX, &type, &pl)) != 0) {
			if (k < 0) {
				cs_reply_error(c, EMSGSIZE, "request too long");
				return;
			}
			cs_request(c, type, &pl);
			c->in.off += (size_t)k;
		}
		/* keep only the start of the next request */
		memmove(c->in.data, wbuf_ptr(&c->in), wbuf_avail(&c->in));
		c->in.len = wbuf_avail(&c->in);
		c->in.off = 0;
	}
}

static void
cs_client_io(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct cs_client *c = arg;

	(void)loop;
	(void)fd;
	c->last_ns = rock_now_ns();
	if (wbuf_avail(&c->out) == 0 &&
	    (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		cs_read(c);
	if (c->fd >= 0)
		cs_flush(c);
}

static void
cs_accept(struct evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct cs_client *c;
	int fd, i, k;

	(void)events;
	(void)arg;
	for (k = 0; k < 16; k++) {
		fd = ipc_accept(lfd);
		if (fd == -EPERM)
			continue;       /* another user: refused and logged */
		if (fd == -EAGAIN || fd == -EWOULDBLOCK)
			return;
		if (fd < 0) {
			/* e.g. EMFILE: the listener stays readable; rest a tick */
			log_once(EVLOG_WARN, "rockctl: cannot accept (%s)",
			    strerror(-fd));
			(void)evloop_mod_fd(loop, lfd, 0);
			cs.paused = 1;
			return;
		}
		for (i = 0; i < CS_CLIENTS && cs.cl[i].fd >= 0; i++)
			;
		if (i == CS_CLIENTS) {
			log_debug("rockctl: %d clients already; one refused",
			    CS_CLIENTS);
			real.close(fd);
			continue;
		}
		c = &cs.cl[i];
		memset(c, 0, sizeof *c);
		c->fd = fd;
		c->last_ns = rock_now_ns();
		wbuf_init(&c->in, CS_IN_MAX);
		wbuf_init(&c->out, CS_OUT_MAX);
		if (ipc_peer_cred(fd, &c->cred) < 0 ||
		    fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
		    evloop_add_fd(loop, fd, EPOLLIN, cs_client_io, c) < 0) {
			real.close(fd);
			wbuf_free(&c->in);
			wbuf_free(&c->out);
			c->fd = -1;
		}
	}
}

static void
cs_tick(struct evloop *loop, int64_t id, void *arg)
{
	uint64_t now = rock_now_ns();

	(void)id;
	(void)arg;
	if (cs.paused && cs.lfd >= 0) {
		(void)evloop_mod_fd(loop, cs.lfd, EPOLLIN);
		cs.paused = 0;
	}
	for (int i = 0; i < CS_CLIENTS; i++)
		if (cs.cl[i].fd >= 0 &&
		    now - cs.cl[i].last_ns > CS_IDLE_MS * 1000000ull)
			cs_close(&cs.cl[i]);
}

/* Forgets descriptors of an earlier loop, or the parent's after fork. */
static void
cs_drop(void)
{
	cs.loop = NULL;         /* gone: nothing to unregister from */
	cs.paused = 0;
	for (int i = 0; i < CS_CLIENTS; i++)
		cs_close(&cs.cl[i]);
	if (cs.lfd >= 0)
		real.close(cs.lfd);
	cs.lfd = -1;
}

/* The child does not answer for its parent: the name is the parent's. */
static void
cs_atfork_child(void)
{
	cs_drop();
	cs.pid = 0;
}

static void
cs_once_init(void)
{
	for (int i = 0; i < CS_CLIENTS; i++)
		cs.cl[i].fd = -1;
	pthread_atfork(NULL, NULL, cs_atfork_child);
}

void
ctlsock_start(struct evloop *loop)
{
	char name[64];
	int fd, rc;

	pthread_once(&cs_once, cs_once_init);
	cs_drop();
	cs.pid = getpid();
	cs.loop = loop;
	if ((rc = reapi_start(loop)) < 0)
		log_once(EVLOG_WARN, "no RE-API callbacks in this process (%s)",
		    strerror(-rc));
	snprintf(name, sizeof name, CTL_NAME_FMT, (unsigned long)geteuid(),
	    (long)getpid());
	if ((fd = ipc_listen(name, 1, 16)) < 0) {
		log_once(EVLOG_WARN, "no control socket @%s (%s); rockctl will "
		    "not see this process", name, strerror(-fd));
		return;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    evloop_add_fd(loop, fd, EPOLLIN, cs_accept, NULL) < 0 ||
	    evloop_timer_add(loop, CS_TICK_MS, 1, cs_tick, NULL) < 0) {
		log_once(EVLOG_WARN, "cannot serve the control socket @%s; "
		    "rockctl will not see this process", name);
		(void)evloop_del_fd(loop, fd);
		real.close(fd);
		return;
	}
	cs.lfd = fd;
	log_debug("control socket @%s", name);
}

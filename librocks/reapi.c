/*
 * reapi: the rocks expanded API (rocks.h): per-rock heartbeat and
 * reconnection policy, callbacks, an alternate address and the status.
 *
 * The machinery tells us of state changes with reapi_notify() from
 * whatever thread made them, often with rock locks held; the events wait
 * in a small queue and the control thread, woken by an eventfd, applies an
 * alternate address and calls the program's callback.  Settings made on a
 * TCP socket before connect() wait in a small table keyed by the socket
 * (fd, device, inode) until reapi_adopt() moves them into the new rock.
 *
 * Lock: ra.lock is a leaf (see ctlsock.h).  Fork: the child keeps neither
 * the parent's queued events (they are the parent's to deliver) nor its
 * eventfd; ctlsock_start() in the child makes a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROCKS_BUILDING_LIBRARY
#include "librocks/rocks.h"

#include "common/evloop.h"
#include "common/log.h"
#include "librocks/ctlsock.h"
#include "librocks/hook.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define RA_QMAX        256
#define RA_PENDING     64
#define RA_APPLY_ALT   100      /* internal: an alternate address, now */
#define RA_NEVER       UINT64_MAX

struct ra_ev {
	struct rock   *r;       /* held */
	int            event, fd;
	rocks_callback cb;
	void          *arg;
};

/* Settings of a TCP socket that is not connected yet. */
struct ra_pending {
	int            used, fd;
	dev_t          dev;
	ino_t          ino;
	int            has_hb, has_period, has_cb;
	unsigned       hb_ms, hb_misses;
	uint64_t       reconnect_ms;
	rocks_callback on_suspend, on_resume, on_timeout;
	void          *arg;
	struct sockaddr_storage alt;
	socklen_t      altlen;
	int            has_via;         /* rocks_set_via: via (vialen 0: none) */
	struct sockaddr_storage via;
	socklen_t      vialen;
};

static struct {
	pthread_mutex_t   lock;
	struct ra_ev      q[RA_QMAX];
	unsigned          head, n;
	int               evfd;
	struct ra_pending pend[RA_PENDING];
} ra = { .lock = PTHREAD_MUTEX_INITIALIZER, .evfd = -1 };

static void
ra_prefork(void)
{
	pthread_mutex_lock(&ra.lock);
}

static void
ra_parent(void)
{
	pthread_mutex_unlock(&ra.lock);
}

static void
ra_child(void)
{
	pthread_mutex_init(&ra.lock, NULL);
	ra.head = ra.n = 0;     /* the parent's to deliver (their holds leak) */
	if (ra.evfd >= 0)
		real.close(ra.evfd);
	ra.evfd = -1;
}

__attribute__((constructor)) static void
ra_init(void)
{
	pthread_atfork(ra_prefork, ra_parent, ra_child);
}

/* ---- events ------------------------------------------------------------------ */

static void
ra_wake(void)
{
	uint64_t one = 1;
	int fd = __atomic_load_n(&ra.evfd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		(void)!real.write(fd, &one, sizeof one);
}

/* Queues an event for the control thread; ra.lock held.  0 or -ENOSPC. */
static int
ra_push(struct rock *r, int event, int fd, rocks_callback cb, void *arg)
{
	struct ra_ev *e;

	if (ra.n == RA_QMAX) {
		log_once(EVLOG_WARN, "RE-API: %d notifications waiting for the "
		    "control thread; later ones are dropped", RA_QMAX);
		return -ENOSPC;
	}
	e = &ra.q[(ra.head + ra.n) % RA_QMAX];
	rock_get(r);
	*e = (struct ra_ev){ .r = r, .event = event, .fd = fd, .cb = cb,
	    .arg = arg };
	ra.n++;
	return 0;
}

void
reapi_notify(struct rock *r, int event)
{
	uint64_t ms;
	rocks_callback cb = NULL;
	void *arg;
	int fd = r->fd, queued = 0, alt;

	if (event == REAPI_SUSPEND) {
		/* this rock's own period instead of the process's */
		ms = __atomic_load_n(&r->reapi.reconnect_ms, __ATOMIC_RELAXED);
		if (ms == RA_NEVER)
			__atomic_store_n(&r->deadline_ns, UINT64_MAX,
			    __ATOMIC_RELAXED);
		else if (ms != 0)
			__atomic_store_n(&r->deadline_ns, r->suspended_ns +
			    ms * 1000000ull, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&ra.lock);
	switch (event) {
	case REAPI_SUSPEND: cb = r->reapi.on_suspend; break;
	case REAPI_RESUME:  cb = r->reapi.on_resume; break;
	case REAPI_TIMEOUT: cb = r->reapi.on_timeout; break;
	default:
		pthread_mutex_unlock(&ra.lock);
		return;
	}
	arg = r->reapi.arg;
	if (fd < 0 || r->app_closed)
		cb = NULL;      /* nobody to tell */
	alt = event == REAPI_SUSPEND && r->reapi.altlen > 0;
	if (cb != NULL || alt)
		queued = ra_push(r, event, fd, cb, arg) == 0;
	pthread_mutex_unlock(&ra.lock);
	if (queued)
		ra_wake();
}

/* In the control thread: the next reconnection attempts go to alt. */
static void
ra_apply_alt(struct rock *r, struct sockaddr_storage *alt, socklen_t len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)alt;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)alt;

	if (alt->ss_family == AF_INET && s4->sin_port == 0)
		s4->sin_port = htons(r->peer_ctl_port);
	else if (alt->ss_family == AF_INET6 && s6->sin6_port == 0)
		s6->sin6_port = htons(r->peer_ctl_port);
	pthread_mutex_lock(&r->st_lock);
	memcpy(&r->peer_ctl, alt, len);
	r->peer_ctllen = len;
	r->kick = 1;
	pthread_cond_broadcast(&r->st_cond);
	pthread_mutex_unlock(&r->st_lock);
	log_info("rock %d: reconnecting to the alternate address the program "
	    "gave", r->fd);
}

static void
ra_dispatch(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct sockaddr_storage alt;
	socklen_t altlen;
	struct ra_ev e;
	uint64_t v;
	int i;

	(void)loop;
	(void)events;
	(void)arg;
	(void)!real.read(fd, &v, sizeof v);
	for (i = 0; i < RA_QMAX; i++) {
		pthread_mutex_lock(&ra.lock);
		if (ra.n == 0) {
			pthread_mutex_unlock(&ra.lock);
			return;
		}
		e = ra.q[ra.head];
		ra.head = (ra.head + 1) % RA_QMAX;
		ra.n--;
		altlen = 0;
		if ((e.event == REAPI_SUSPEND || e.event == RA_APPLY_ALT) &&
		    e.r->reapi.altlen > 0 && e.r->state == ROCK_SUSPENDED &&
		    e.r->role == ROCK_CLIENT) {
			altlen = e.r->reapi.altlen;
			memcpy(&alt, &e.r->reapi.alt, altlen);
			e.r->reapi.altlen = 0;
		}
		pthread_mutex_unlock(&ra.lock);
		if (altlen > 0)
			ra_apply_alt(e.r, &alt, altlen);
		if (e.cb != NULL)
			e.cb(e.fd, e.arg);
		rock_put(e.r);
	}
	ra_wake();              /* more than a batch: come back */
}

int
reapi_start(struct evloop *loop)
{
	int fd, rc;

	pthread_mutex_lock(&ra.lock);
	if (ra.evfd < 0)
		ra.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd = ra.evfd;
	pthread_mutex_unlock(&ra.lock);
	if (fd < 0)
		return -errno;
	if ((rc = evloop_add_fd(loop, fd, EPOLLIN, ra_dispatch, NULL)) < 0)
		return rc;
	ra_wake();              /* anything queued before */
	return 0;
}

/* ---- which rock ---------------------------------------------------------------- */

/* A TCP socket that is not connected: its settings wait for connect(). */
static int
ra_unconnected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int);
	int type = 0, proto = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return 0;
	len = sizeof proto;
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 ||
	    proto != IPPROTO_TCP)
		return 0;
	len = sizeof ss;
	return real.getpeername(fd, (struct sockaddr *)&ss, &len) < 0 &&
	    errno == ENOTCONN;
}

/*
 * The rock behind fd: 0 with *rp set; 1 for a TCP socket not connected
 * yet; -EBADF, -ENOTSUP (a plain socket, or not a socket), or -EAGAIN (an
 * accepted connection whose first bytes have not come yet).
 */
static int
ra_rock(int fd, struct rock **rp)
{
	struct rock *r;
	int eagain;

	real_init();
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (nbc_wait_fd(fd) >= 0)
		return -EAGAIN;         /* a non-blocking connect under way */
	if ((r = rock_lookup(fd)) == NULL)
		return ra_unconnected(fd) ? 1 : -ENOTSUP;
	if (__builtin_expect(ctl_need_restart, 0))
		(void)ctl_start();      /* a forked child: callbacks need it */
	if (r->state == ROCK_UNDECIDED) {
		/* classify it now if its first bytes are there */
		r = hook_rock(fd, 0, MSG_DONTWAIT, &eagain);
		if (r == NULL)
			return eagain ? -EAGAIN : -ENOTSUP;
	}
	*rp = r;
	return 0;
}

static int
ra_fail(int rc)
{
	errno = -rc;
	return -1;
}

/* The waiting settings of fd (created if asked); ra.lock held. */
static struct ra_pending *
ra_pending(int fd, int create)
{
	struct ra_pending *p, *fr = NULL;
	struct stat st, other;
	int i;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (i = 0; i < RA_PENDING; i++) {
		p = &ra.pend[i];
		if (!p->used) {
			if (fr == NULL)
				fr = p;
			continue;
		}
		if (p->fd == fd && p->dev == st.st_dev && p->ino == st.st_ino)
			return p;
		/* a socket closed (or made plain) since: forget it */
		if (p->fd == fd || fstat(p->fd, &other) < 0 ||
		    other.st_dev != p->dev || other.st_ino != p->ino) {
			p->used = 0;
			if (fr == NULL)
				fr = p;
		}
	}
	if (!create || fr == NULL)
		return NULL;
	memset(fr, 0, sizeof *fr);
	fr->used = 1;
	fr->fd = fd;
	fr->dev = st.st_dev;
	fr->ino = st.st_ino;
	return fr;
}

void
reapi_adopt(struct rock *r)
{
	struct ra_pending *p;

	if (r->fd < 0)
		return;
	pthread_mutex_lock(&ra.lock);
	if ((p = ra_pending(r->fd, 0)) != NULL) {
		if (p->has_hb) {
			/* INIT carries them: the peer sends this often too */
			r->hb_ms = p->hb_ms;
			r->hb_misses = p->hb_misses;
			r->reapi.hb_agreed = p->hb_ms;
		}
		if (p->has_period)
			r->reapi.reconnect_ms = p->reconnect_ms;
		if (p->has_cb) {
			r->reapi.on_suspend = p->on_suspend;
			r->reapi.on_resume = p->on_resume;
			r->reapi.on_timeout = p->on_timeout;
			r->reapi.arg = p->arg;
		}
		if (p->altlen > 0) {
			memcpy(&r->reapi.alt, &p->alt, p->altlen);
			r->reapi.altlen = p->altlen;
		}
		if (p->has_via) {
			r->reapi.has_via = 1;
			memcpy(&r->reapi.via, &p->via, p->vialen);
			r->reapi.vialen = p->vialen;
		}
		p->used = 0;
	}
	pthread_mutex_unlock(&ra.lock);
}

/* Runs set(p, a) on fd's waiting settings; 0 or -errno. */
static int
ra_set_pending(int fd, void (*set)(struct ra_pending *, const void *),
    const void *a)
{
	struct ra_pending *p;
	int rc = 0;

	pthread_mutex_lock(&ra.lock);
	if ((p = ra_pending(fd, 1)) == NULL)
		rc = -ENOSPC;
	else
		set(p, a);
	pthread_mutex_unlock(&ra.lock);
	if (rc < 0)
		log_once(EVLOG_WARN, "RE-API: settings of more than %d "
		    "unconnected sockets; not kept", RA_PENDING);
	return rc;
}

/* ---- the API -------------------------------------------------------------------- */

ROCKS_FN int
rocks_is_rock(int fd)
{
	struct rock *r;
	int rc = ra_rock(fd, &r);

	if (rc == 0)
		return 1;
	if (rc == 1 || rc == -ENOTSUP)
		return 0;
	return ra_fail(rc);
}

struct ra_hb { unsigned ms, misses; };

static void
ra_set_hb(struct ra_pending *p, const void *a)
{
	const struct ra_hb *h = a;

	p->has_hb = 1;
	p->hb_ms = h->ms;
	p->hb_misses = h->misses;
}

ROCKS_FN int
rocks_set_heartbeat(int fd, unsigned period_ms, unsigned misses)
{
	struct ra_hb h = { period_ms, misses };
	uint32_t agreed = 0, send;
	uint64_t window;
	struct rock *r;
	int rc;

	if (period_ms < 10 || period_ms > 600000 || misses < 1 || misses > 1000)
		return ra_fail(-EINVAL);
	if ((rc = ra_rock(fd, &r)) == 1)
		return (rc = ra_set_pending(fd, ra_set_hb, &h)) < 0 ?
		    ra_fail(rc) : 0;
	if (rc < 0)
		return ra_fail(rc);
	/*
	 * The peer sends at the period agreed at INIT and waits for ours as
	 * long as it agreed: never send less often than that, and never
	 * expect the peer's heartbeats more often.
	 */
	(void)__atomic_compare_exchange_n(&r->reapi.hb_agreed, &agreed,
	    r->hb_ms, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	agreed = __atomic_load_n(&r->reapi.hb_agreed, __ATOMIC_RELAXED);
	send = period_ms < agreed ? period_ms : agreed;
	window = (uint64_t)period_ms * misses;
	if (window < 2ull * agreed)
		window = 2ull * agreed;
	window = (window + send - 1) / send;
	if (window > 100000)
		window = 100000;
	__atomic_store_n(&r->hb_ms, send, __ATOMIC_RELAXED);
	__atomic_store_n(&r->hb_misses, (uint32_t)window, __ATOMIC_RELAXED);
	if (send != period_ms || window * send > (uint64_t)period_ms * misses)
		log_debug("rock %d: heartbeat %u ms x %u asked; %u ms x %u in "
		    "effect (the peer sends every %u ms)", fd, period_ms,
		    misses, send, (unsigned)window, agreed);
	return 0;
}

static void
ra_set_period(struct ra_pending *p, const void *a)
{
	p->has_period = 1;
	p->reconnect_ms = *(const uint64_t *)a;
}

ROCKS_FN int
rocks_set_reconnect_timeout(int fd, unsigned seconds)
{
	uint64_t ms = seconds == 0 ? RA_NEVER : (uint64_t)seconds * 1000;
	struct rock *r;
	int rc;

	if (seconds > 365u * 24 * 3600)
		return ra_fail(-EINVAL);
	if ((rc = ra_rock(fd, &r)) == 1)
		return (rc = ra_set_pending(fd, ra_set_period, &ms)) < 0 ?
		    ra_fail(rc) : 0;
	if (rc < 0)
		return ra_fail(rc);
	__atomic_store_n(&r->reapi.reconnect_ms, ms, __ATOMIC_RELAXED);
	if (r->state == ROCK_SUSPENDED)
		__atomic_store_n(&r->deadline_ns, ms == RA_NEVER ? UINT64_MAX :
		    r->suspended_ns + ms * 1000000ull, __ATOMIC_RELAXED);
	return 0;
}

struct ra_cbs {
	rocks_callback s, r, t;
	void *arg;
};

static void
ra_set_cbs(struct ra_pending *p, const void *a)
{
	const struct ra_cbs *c = a;

	p->has_cb = 1;
	p->on_suspend = c->s;
	p->on_resume = c->r;
	p->on_timeout = c->t;
	p->arg = c->arg;
}

ROCKS_FN int
rocks_set_callbacks(int fd, rocks_callback on_suspend,
    rocks_callback on_resume, rocks_callback on_timeout, void *arg)
{
	struct ra_cbs c = { on_suspend, on_resume, on_timeout, arg };
	struct rock *r;
	int rc;

	if ((rc = ra_rock(fd, &r)) == 1)
		return (rc = ra_set_pending(fd, ra_set_cbs, &c)) < 0 ?
		    ra_fail(rc) : 0;
	if (rc < 0)
		return ra_fail(rc);
	pthread_mutex_lock(&ra.lock);
	r->reapi.on_suspend = on_suspend;
	r->reapi.on_resume = on_resume;
	r->reapi.on_timeout = on_timeout;
	r->reapi.arg = arg;
	pthread_mutex_unlock(&ra.lock);
	return 0;
}

struct ra_alt {
	const struct sockaddr *sa;
	socklen_t len;
};

static void
ra_set_alt(struct ra_pending *p, const void *a)
{
	const struct ra_alt *x = a;

	memset(&p->alt, 0, sizeof p->alt);
	memcpy(&p->alt, x->sa, x->len);
	p->altlen = x->len;
}

ROCKS_FN int
rocks_set_alternate_address(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct ra_alt x;
	struct rock *r;
	int rc, queued = 0;

	if (sa == NULL)
		return ra_fail(-EINVAL);
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		len = sizeof(struct sockaddr_in);
	else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		len = sizeof(struct sockaddr_in6);
	else
		return ra_fail(sa->sa_family == AF_INET ||
		    sa->sa_family == AF_INET6 ? -EINVAL : -EAFNOSUPPORT);
	x = (struct ra_alt){ sa, len };
	if ((rc = ra_rock(fd, &r)) == 1)
		return (rc = ra_set_pending(fd, ra_set_alt, &x)) < 0 ?
		    ra_fail(rc) : 0;
	if (rc < 0)
		return ra_fail(rc);
	if (r->role != ROCK_CLIENT)
		return ra_fail(-ENOTSUP);
	pthread_mutex_lock(&ra.lock);
	memset(&r->reapi.alt, 0, sizeof r->reapi.alt);
	memcpy(&r->reapi.alt, sa, len);
	r->reapi.altlen = len;
	if (r->state == ROCK_SUSPENDED)
		queued = ra_push(r, RA_APPLY_ALT, fd, NULL, NULL) == 0;
	pthread_mutex_unlock(&ra.lock);
	if (queued)
		ra_wake();
	return 0;
}

static void
ra_set_via(struct ra_pending *p, const void *a)
{
	const struct ra_alt *x = a;

	p->has_via = 1;
	memset(&p->via, 0, sizeof p->via);
	if (x->sa != NULL)
		memcpy(&p->via, x->sa, x->len);
	p->vialen = x->sa != NULL ? x->len : 0;
}

ROCKS_FN int
rocks_set_via(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct ra_alt x = { sa, 0 };
	struct rock *r;
	int rc;

	if (sa != NULL) {
		if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
			x.len = sizeof(struct sockaddr_in);
		else if (sa->sa_family == AF_INET6 &&
		    len >= sizeof(struct sockaddr_in6))
			x.len = sizeof(struct sockaddr_in6);
		else
			return ra_fail(sa->sa_family == AF_INET ||
			    sa->sa_family == AF_INET6 ? -EINVAL : -EAFNOSUPPORT);
	}
	if ((rc = ra_rock(fd, &r)) == 1)
		return (rc = ra_set_pending(fd, ra_set_via, &x)) < 0 ?
		    ra_fail(rc) : 0;
	return ra_fail(rc < 0 && rc != -ENOTSUP ? rc : -EISCONN);
}

ROCKS_FN int
rocks_status(int fd, struct rocks_status *st)
{
	struct ctl_rock c;
	struct rock *r;
	int rc;

	if (st == NULL)
		return ra_fail(-EINVAL);
	if ((rc = ra_rock(fd, &r)) != 0)
		return ra_fail(rc == 1 ? -ENOTSUP : rc);
	ctlsock_snap(r, rock_now_ns(), &c);
	memset(st, 0, sizeof *st);
	st->state = c.state;
	st->role = c.role;
	memcpy(st->id, c.id, sizeof st->id);
	memcpy(&st->local, &r->local, r->locallen <= sizeof st->local ?
	    r->locallen : sizeof st->local);
	memcpy(&st->peer, &r->peer, r->peerlen <= sizeof st->peer ?
	    r->peerlen : sizeof st->peer);
	memcpy(&st->reconnect, &r->peer_ctl, r->peer_ctllen <=
	    sizeof st->reconnect ? r->peer_ctllen : sizeof st->reconnect);
	st->sent = c.sent;
	st->rcvd = c.rcvd;
	st->in_flight = c.inflight;
	st->connected_ms = c.age_ms;
	st->suspended_ms = c.suspended_ms;
	st->gives_up_ms = c.state == CTL_SUSPENDED ? c.giveup_ms : 0;
	st->last_heartbeat_ms = c.last_hb_ms;
	st->reconnects = c.reconnects;
	st->heartbeat_ms = c.hb_ms;
	st->heartbeat_misses = c.hb_misses;
	st->retry_ms = c.retry_ms;
	st->error = (int)c.err;
	memcpy(st->reason, c.reason, sizeof st->reason - 1);
	st->reason[sizeof st->reason - 1] = '\0';
	return 0;
}

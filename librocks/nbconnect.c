/*
 * nbconnect: connect() of a non-blocking socket completes in the background,
 * as a plain one does.  The call fails with EINPROGRESS at once; a thread of
 * its own runs the EDP (probe, announcement, negotiation, key agreement) on
 * a private duplicate of the socket, then puts the final socket (the same
 * one, or the fresh one of a fallback) under the program's fd number and
 * makes it a rock or leaves it plain.
 *
 * Until then the fd is "pending", and the hooks keep the program from its
 * socket, whose bytes are the negotiation's: reads and writes fail with
 * EAGAIN (a blocking one waits), the poll family waits on the slot's event
 * fd in its place, epoll_ctl is recorded and applied when done, SO_ERROR
 * says 0, a second connect() EALREADY.  A failure is kept until the program
 * learns it (SO_ERROR, connect() or close()), since the EDP consumed the
 * socket's own error.  So the program sees what a plain non-blocking
 * connect shows: writable once the rock (or the plain connection) is ready.
 *
 * Lock: nbc.lock, taken by the hooks with no rock lock held, and never held
 * while the thread blocks or calls into the rock machinery.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/ctlsock.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define NBC_SLOTS 32
#define NBC_EPS   4
#define NBC_EPFDS 16

enum nbc_state {
	NBC_FREE,
	NBC_RUNNING,            /* the EDP runs; the fd may be closed */
	NBC_FINISHING,          /* the thread installs the result on the fd */
	NBC_FAILED,             /* done, failed: err not yet told */
	NBC_CANCELLED,          /* the program closed the fd while RUNNING */
};

struct nbc_ep {
	int                epfd;
	struct epoll_event ev;
};

struct nbc_slot {
	enum nbc_state state;
	int            fd;      /* the program's fd; -1 once cancelled */
	int            priv;    /* the thread's duplicate of the socket */
	int            err;     /* FAILED: the errno of the connection */
	int            evfd;    /* made once, never closed: readable when done */
	int            has_evfd;
	struct rock   *r;
	struct sockaddr_storage sa;
	socklen_t      salen;
	struct nbc_ep  eps[NBC_EPS];   /* the program's epoll registrations */
	int            neps;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t  done;   /* a slot left FINISHING or RUNNING */
	struct nbc_slot s[NBC_SLOTS];
} nbc = { .lock = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER };

int nbc_active;

/* The epoll fds the program has added to (plus 1; 0: an empty place). */
static int nbc_epfds[NBC_EPFDS];

static void
nbc_prefork(void)
{
	pthread_mutex_lock(&nbc.lock);
}

static void
nbc_parent(void)
{
	pthread_mutex_unlock(&nbc.lock);
}

/* The child has no connecting threads: its pending fds stay as they are. */
static void
nbc_child(void)
{
	int i;

	pthread_mutex_init(&nbc.lock, NULL);
	pthread_cond_init(&nbc.done, NULL);
	for (i = 0; i < NBC_SLOTS; i++)
		if (nbc.s[i].state != NBC_FREE) {
			nbc.s[i].state = NBC_FREE;
			__atomic_sub_fetch(&nbc_active, 1, __ATOMIC_RELEASE);
		}
}

__attribute__((constructor)) static void
nbc_init(void)
{
	pthread_atfork(nbc_prefork, nbc_parent, nbc_child);
}

static int
nbc_on(void)
{
	return __atomic_load_n(&nbc_active, __ATOMIC_ACQUIRE) > 0;
}

/* fd's slot (not FREE, not CANCELLED); nbc.lock held. */
static struct nbc_slot *
nbc_find(int fd)
{
	int i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < NBC_SLOTS; i++)
		if (nbc.s[i].fd == fd && nbc.s[i].state != NBC_FREE &&
		    nbc.s[i].state != NBC_CANCELLED)
			return &nbc.s[i];
	return NULL;
}

/* nbc.lock held. */
static void
nbc_free(struct nbc_slot *s)
{
	s->state = NBC_FREE;
	s->fd = -1;
	s->r = NULL;
	s->neps = 0;
	__atomic_sub_fetch(&nbc_active, 1, __ATOMIC_RELEASE);
}

static void
nbc_wake(struct nbc_slot *s)
{
	uint64_t one = 1;

	(void)!real.write(s->evfd, &one, sizeof one);
	pthread_cond_broadcast(&nbc.done);
}

/* The program's epoll registrations, now on the final socket. */
static void
nbc_apply_epoll(struct nbc_slot *s, struct rock *kept)
{
	int i, rc;

	for (i = 0; i < s->neps; i++) {
		if (kept != NULL)
			rc = rock_epoll_ctl(kept, s->eps[i].epfd, EPOLL_CTL_ADD,
			    &s->eps[i].ev);
		else
			rc = real.epoll_ctl(s->eps[i].epfd, EPOLL_CTL_ADD, s->fd,
			    &s->eps[i].ev) < 0 ? -errno : 0;
		if (rc < 0 && rc != -EBADF)
			log_warn("fd %d: epoll registration after connect: %s",
			    s->fd, strerror(-rc));
	}
	s->neps = 0;
}

static void *
nbc_thread(void *arg)
{
	struct nbc_slot *s = arg;
	struct rock *r = s->r, *kept = NULL;
	int rc, fl, fd;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	rc = rock_connect_edp(r, s->priv, (struct sockaddr *)&s->sa, s->salen);

	pthread_mutex_lock(&nbc.lock);
	if (s->state == NBC_CANCELLED) {
		pthread_mutex_unlock(&nbc.lock);
		real.close(s->priv);
		rock_release(r);
		pthread_mutex_lock(&nbc.lock);
		nbc_free(s);
		pthread_mutex_unlock(&nbc.lock);
		return NULL;
	}
	s->state = NBC_FINISHING;       /* close() now waits for us */
	fd = s->fd;
	pthread_mutex_unlock(&nbc.lock);

	/* a fallback put a fresh socket under priv: the fd gets it too */
	fl = fcntl(fd, F_GETFD);
	if (real.dup3(s->priv, fd, fl >= 0 && (fl & FD_CLOEXEC) ?
	    O_CLOEXEC : 0) < 0)
		log_warn("fd %d: cannot install the connected socket: %s", fd,
		    strerror(errno));
	real.close(s->priv);
	fl = fcntl(fd, F_GETFL);
	r->nonblock = fl >= 0 && (fl & O_NONBLOCK);
	if (rc == 1 && rock_connect_keep(r) == 0) {
		kept = r;
	} else if (rc == 2) {
		/* an ordinary server, and a rockd to reach it by: the rock
		 * goes to rockd, still in this thread (it takes r) */
		rc = rock_connect_via(r, (struct sockaddr *)&s->sa, s->salen);
		if (rc == 0)
			kept = rock_lookup(fd);     /* NULL: connected directly */
		else if (rc == -EINPROGRESS)
			rc = 0;     /* directly, non-blocking: under way */
	} else {
		rock_release(r);
	}

	pthread_mutex_lock(&nbc.lock);
	nbc_apply_epoll(s, kept);
	if (rc < 0) {
		s->state = NBC_FAILED;
		s->err = -rc;
		log_debug("fd %d: non-blocking connect failed: %s", fd,
		    strerror(-rc));
	} else
		nbc_free(s);
	nbc_wake(s);
	pthread_mutex_unlock(&nbc.lock);
	return NULL;
}

void
nbc_note_epfd(int epfd)
{
	int i, none = 0;

	for (i = 0; i < NBC_EPFDS; i++)
		if (__atomic_load_n(&nbc_epfds[i], __ATOMIC_RELAXED) == epfd + 1)
			return;
	for (i = 0; i < NBC_EPFDS; i++) {
		none = 0;
		if (__atomic_compare_exchange_n(&nbc_epfds[i], &none, epfd + 1,
		    0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return;
	}
	log_once(EVLOG_WARN, "more than %d epoll sets; a socket in the others "
	    "may be reported during a non-blocking connect", NBC_EPFDS);
}

/*
 * Takes fd out of the program's epoll sets, where it was put before
 * connect() (the kernel would report the socket while the EDP speaks on
 * it), into eps: they are put back when the connect is done, which also
 * gives an edge-triggered set its event then.  /proc/self/fdinfo of each
 * epoll fd lists what it watches.  Returns how many.
 */
static int
nbc_take_epoll(int fd, struct nbc_ep *eps)
{
	char path[64], line[256];
	unsigned int events;
	uint64_t data;
	int i, n = 0, epfd, tfd, cur;
	FILE *f;

	for (i = 0; i < NBC_EPFDS; i++) {
		if ((cur = __atomic_load_n(&nbc_epfds[i], __ATOMIC_RELAXED)) == 0)
			continue;
		epfd = cur - 1;
		snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
		if ((f = fopen(path, "re")) == NULL) {
			/* closed since: forget it */
			(void)__atomic_compare_exchange_n(&nbc_epfds[i], &cur, 0,
			    0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
			continue;
		}
		while (n < NBC_EPS && fgets(line, sizeof line, f) != NULL) {
			if (sscanf(line, "tfd: %d events: %x data: %" SCNx64,
			    &tfd, &events, &data) != 3 || tfd != fd)
				continue;
			eps[n].epfd = epfd;
			eps[n].ev.events = events;
			eps[n].ev.data.u64 = data;
			if (real.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) == 0)
				n++;
		}
		fclose(f);
	}
	return n;
}

/* Puts back what nbc_take_epoll took, when the connect is not deferred. */
static void
nbc_restore_epoll(int fd, struct nbc_ep *eps, int n)
{
	for (int i = 0; i < n; i++)
		(void)real.epoll_ctl(eps[i].epfd, EPOLL_CTL_ADD, fd, &eps[i].ev);
}

/*
 * Whether a plain connect to sa would fail at once (no route, no address):
 * asked of a UDP socket, whose connect sends nothing.
 */
static int
nbc_fails_at_once(const struct sockaddr *sa, socklen_t len)
{
	int u, rc;

	if ((u = real.socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	rc = real.connect(u, sa, len) < 0 && (errno == ENETUNREACH ||
	    errno == EHOSTUNREACH || errno == ENETDOWN ||
	    errno == EADDRNOTAVAIL);
	real.close(u);
	return rc;
}

int
rock_connect_async(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct nbc_ep eps[NBC_EPS];
	struct nbc_slot *s = NULL;
	pthread_attr_t at;
	pthread_t tid;
	struct rock *r;
	uint64_t v;
	int i, priv, neps;

	if (len > sizeof s->sa)
		return rock_connect(fd, sa, len);
	if (nbc_fails_at_once(sa, len))
		return real.connect(fd, sa, len);       /* its own error */
	if (ctl_start() < 0 || (r = rock_new(fd, ROCK_CLIENT)) == NULL)
		return real.connect(fd, sa, len);
	reapi_adopt(r);         /* settings made on the fd before connect() */
	if ((priv = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		rock_release(r);
		return rock_connect(fd, sa, len);
	}
	neps = nbc_take_epoll(fd, eps);
	pthread_mutex_lock(&nbc.lock);
	for (i = 0; i < NBC_SLOTS && s == NULL; i++)
		if (nbc.s[i].state == NBC_FREE)
			s = &nbc.s[i];
	if (s != NULL && !s->has_evfd) {
		if ((s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			s = NULL;
		else
			s->has_evfd = 1;
	}
	if (s == NULL) {
		pthread_mutex_unlock(&nbc.lock);
		log_once(EVLOG_WARN, "more than %d non-blocking connects at "
		    "once; the others complete before connect() returns",
		    NBC_SLOTS);
		real.close(priv);
		rock_release(r);
		nbc_restore_epoll(fd, eps, neps);
		return rock_connect(fd, sa, len);
	}
	(void)!real.read(s->evfd, &v, sizeof v);   /* a previous use's */
	s->state = NBC_RUNNING;
	s->fd = fd;
	s->priv = priv;
	s->err = 0;
	s->r = r;
	memcpy(s->eps, eps, (size_t)neps * sizeof eps[0]);
	s->neps = neps;
	memcpy(&s->sa, sa, len);
	s->salen = len;
	__atomic_add_fetch(&nbc_active, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&nbc.lock);

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	i = pthread_create(&tid, &at, nbc_thread, s);
	pthread_attr_destroy(&at);
	if (i != 0) {
		pthread_mutex_lock(&nbc.lock);
		nbc_free(s);
		pthread_mutex_unlock(&nbc.lock);
		real.close(priv);
		rock_release(r);
		nbc_restore_epoll(fd, eps, neps);
		return rock_connect(fd, sa, len);
	}
	errno = EINPROGRESS;
	return -1;
}

int
nbc_connect_again(int fd)
{
	struct nbc_slot *s;
	int rc = 0;

	if (!nbc_on())
		return 0;
	pthread_mutex_lock(&nbc.lock);
	if ((s = nbc_find(fd)) != NULL) {
		rc = 1;
		if (s->state == NBC_FAILED) {
			errno = s->err;
			nbc_free(s);
		} else
			errno = EALREADY;
	}
	pthread_mutex_unlock(&nbc.lock);
	return rc;
}

int
nbc_so_error(int fd, int *err)
{
	struct nbc_slot *s;
	int rc = 0;

	if (!nbc_on())
		return 0;
	pthread_mutex_lock(&nbc.lock);
	if ((s = nbc_find(fd)) != NULL) {
		rc = 1;
		*err = 0;
		if (s->state == NBC_FAILED) {
			*err = s->err;
			nbc_free(s);
		}
	}
	pthread_mutex_unlock(&nbc.lock);
	return rc;
}

int
nbc_busy(int fd, int flags)
{
	struct nbc_slot *s;
	int rc = 0, fl;

	if (!nbc_on())
		return 0;
	pthread_mutex_lock(&nbc.lock);
	while ((s = nbc_find(fd)) != NULL && (s->state == NBC_RUNNING ||
	    s->state == NBC_FINISHING)) {
		fl = fcntl(fd, F_GETFL);
		if ((flags & MSG_DONTWAIT) || (fl >= 0 && (fl & O_NONBLOCK))) {
			rc = 1;
			break;
		}
		pthread_cond_wait(&nbc.done, &nbc.lock);
	}
	pthread_mutex_unlock(&nbc.lock);
	return rc;
}

int
nbc_wait_fd(int fd)
{
	struct nbc_slot *s;
	int w = -1;

	if (!nbc_on())
		return -1;
	pthread_mutex_lock(&nbc.lock);
	if ((s = nbc_find(fd)) != NULL && (s->state == NBC_RUNNING ||
	    s->state == NBC_FINISHING))
		w = s->evfd;
	pthread_mutex_unlock(&nbc.lock);
	return w;
}

int
nbc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev, int *rc)
{
	struct nbc_slot *s;
	int i, found = -1;

	if (!nbc_on())
		return 0;
	pthread_mutex_lock(&nbc.lock);
	if ((s = nbc_find(fd)) == NULL || (s->state != NBC_RUNNING &&
	    s->state != NBC_FINISHING)) {
		pthread_mutex_unlock(&nbc.lock);
		return 0;
	}
	for (i = 0; i < s->neps; i++)
		if (s->eps[i].epfd == epfd)
			found = i;
	*rc = 0;
	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && ev == NULL)
		*rc = -EFAULT;
	else if (op == EPOLL_CTL_ADD && found >= 0)
		*rc = -EEXIST;
	else if (op != EPOLL_CTL_ADD && found < 0)
		*rc = -ENOENT;
	else if (op == EPOLL_CTL_ADD && s->neps == NBC_EPS)
		*rc = -ENOSPC;
	else if (op == EPOLL_CTL_ADD) {
		s->eps[s->neps].epfd = epfd;
		s->eps[s->neps++].ev = *ev;
	}
	else if (op == EPOLL_CTL_MOD)
		s->eps[found].ev = *ev;
	else if (op == EPOLL_CTL_DEL)
		s->eps[found] = s->eps[--s->neps];
	else
		*rc = -EINVAL;
	pthread_mutex_unlock(&nbc.lock);
	return 1;
}

void
nbc_sockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct nbc_slot *s;

	if (!nbc_on())
		return;
	pthread_mutex_lock(&nbc.lock);
	if ((s = nbc_find(fd)) != NULL && (s->state == NBC_RUNNING ||
	    s->state == NBC_FINISHING))
		rock_record_sockopt(s->r, level, name, val, len);
	pthread_mutex_unlock(&nbc.lock);
}

void
nbc_close(int fd)
{
	struct nbc_slot *s;

	if (!nbc_on())
		return;
	pthread_mutex_lock(&nbc.lock);
	while ((s = nbc_find(fd)) != NULL && s->state == NBC_FINISHING)
		pthread_cond_wait(&nbc.done, &nbc.lock);
	if (s != NULL && s->state == NBC_RUNNING) {
		/* the thread leaves the fd alone; its socket stops connecting */
		s->state = NBC_CANCELLED;
		s->fd = -1;
		real.shutdown(s->priv, SHUT_RDWR);
	} else if (s != NULL && s->state == NBC_FAILED)
		nbc_free(s);
	pthread_mutex_unlock(&nbc.lock);
}

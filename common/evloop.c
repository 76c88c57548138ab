/*
 * evloop: see evloop.h.
 *
 * Each watched fd has a heap-allocated record whose address travels in
 * epoll_event.data.ptr.  Removing an fd while a batch is being dispatched
 * marks its record dead and parks it on a list freed after the batch, so an
 * event already fetched for it finds the mark instead of freed memory (or a
 * newer record for a reused fd number).
 *
 * Timers live in a binary min-heap ordered by (deadline, arming sequence);
 * the sequence keeps timers due at the same instant in the order they were
 * armed and stops a timer armed by a callback from firing in the same pass.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"

#define EVLOOP_MAX_EVENTS 64
#define EVLOOP_NS_PER_MS  1000000ull

struct evloop_fd {
	int			 fd;
	uint32_t		 events;
	evloop_fd_cb		 cb;
	void			*arg;
	int			 dead;
	struct evloop_fd	*next_dead;
};

struct evloop_timer {
	int64_t			 id;
	uint64_t		 deadline;	/* ns on CLOCK_MONOTONIC */
	uint64_t		 seq;		/* arming order */
	uint64_t		 period;	/* ns; 0 for a one-shot */
	evloop_timer_cb		 cb;
	void			*arg;
	size_t			 idx;		/* position in the heap */
	int			 cancelled;
};

struct evloop {
	int			  epfd;
	int			  wakefd;	/* eventfd for evloop_stop() */
	struct evloop_fd	**fds;		/* indexed by fd number */
	size_t			  nfds;
	struct evloop_fd	 *dead;		/* removed during a batch */
	int			  dispatching;
	int			  running;
	struct evloop_timer	**heap;
	size_t			  nheap;
	size_t			  capheap;
	struct evloop_timer	 *firing;
	int64_t			  next_id;
	uint64_t		  next_seq;
	int			  stop;		/* atomic */
};

static uint64_t
evloop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct evloop *
evloop_new(void)
{
	struct evloop *loop;
	struct epoll_event ev;
	int saved;

	if ((loop = calloc(1, sizeof *loop)) == NULL)
		return NULL;
	loop->epfd = loop->wakefd = -1;
	loop->next_id = 1;
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		goto fail;
	if ((loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto fail;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;	/* NULL marks the wake-up fd */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0)
		goto fail;
	return loop;
fail:
	saved = errno;
	evloop_free(loop);
	errno = saved;
	return NULL;
}

void
evloop_free(struct evloop *loop)
{
	struct evloop_fd *e;
	size_t i;

	if (loop == NULL)
		return;
	for (i = 0; i < loop->nfds; i++)
		free(loop->fds[i]);
	free(loop->fds);
	while ((e = loop->dead) != NULL) {
		loop->dead = e->next_dead;
		free(e);
	}
	for (i = 0; i < loop->nheap; i++)
		free(loop->heap[i]);
	free(loop->heap);
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	free(loop);
}

/* ---- file descriptors ---------------------------------------------------- */

static struct evloop_fd *
evloop_lookup(struct evloop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds)
		return NULL;
	return loop->fds[fd];
}

static int
evloop_fds_grow(struct evloop *loop, int fd)
{
	struct evloop_fd **nf;
	size_t n;

	if ((size_t)fd < loop->nfds)
		return 0;
	n = loop->nfds ? loop->nfds : 64;
	while (n <= (size_t)fd)
		n *= 2;
	if ((nf = reallocarray(loop->fds, n, sizeof *nf)) == NULL)
		return -ENOMEM;
	memset(nf + loop->nfds, 0, (n - loop->nfds) * sizeof *nf);
	loop->fds = nf;
	loop->nfds = n;
	return 0;
}

int
evloop_add_fd(struct evloop *loop, int fd, uint32_t events, evloop_fd_cb cb,
    void *arg)
{
	struct epoll_event ev;
	struct evloop_fd *e;
	int r;

	if (fd < 0)
		return -EBADF;
	if (cb == NULL)
		return -EINVAL;
	if (evloop_lookup(loop, fd) != NULL)
		return -EEXIST;
	if ((r = evloop_fds_grow(loop, fd)) < 0)
		return r;
	if ((e = calloc(1, sizeof *e)) == NULL)
		return -ENOMEM;
	e->fd = fd;
	e->events = events;
	e->cb = cb;
	e->arg = arg;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = e;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		free(e);
		return r;
	}
	loop->fds[fd] = e;
	return 0;
}

int
evloop_mod_fd(struct evloop *loop, int fd, uint32_t events)
{
	struct epoll_event ev;
	struct evloop_fd *e;

	if ((e = evloop_lookup(loop, fd)) == NULL)
		return -ENOENT;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = e;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	e->events = events;
	return 0;
}

int
evloop_del_fd(struct evloop *loop, int fd)
{
	struct evloop_fd *e;

	if ((e = evloop_lookup(loop, fd)) == NULL)
		return -ENOENT;
	/*
	 * EBADF or ENOENT here mean the fd was closed first, which removed
	 * it from the epoll set already: nothing left to undo.
	 */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 &&
	    errno != EBADF && errno != ENOENT)
		log_debug("epoll_ctl DEL fd %d: errno %d", fd, errno);
	loop->fds[fd] = NULL;
	if (loop->dispatching) {
		e->dead = 1;
		e->next_dead = loop->dead;
		loop->dead = e;
	} else
		free(e);
	return 0;
}

/* ---- timers -------------------------------------------------------------- */

static int
evloop_timer_before(const struct evloop_timer *a, const struct evloop_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
evloop_heap_set(struct evloop *loop, size_t i, struct evloop_timer *t)
{
	loop->heap[i] = t;
	t->idx = i;
}

static void
evloop_heap_up(struct evloop *loop, size_t i)
{
	struct evloop_timer *t = loop->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!evloop_timer_before(t, loop->heap[parent]))
			break;
		evloop_heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	evloop_heap_set(loop, i, t);
}

static void
evloop_heap_down(struct evloop *loop, size_t i)
{
	struct evloop_timer *t = loop->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= loop->nheap)
			break;
		if (child + 1 < loop->nheap &&
		    evloop_timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!evloop_timer_before(loop->heap[child], t))
			break;
		evloop_heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	evloop_heap_set(loop, i, t);
}

/* Capacity was reserved by evloop_timer_add(): this cannot fail. */
static void
evloop_heap_push(struct evloop *loop, struct evloop_timer *t)
{
	t->seq = loop->next_seq++;
	evloop_heap_set(loop, loop->nheap++, t);
	evloop_heap_up(loop, t->idx);
}

static void
evloop_heap_remove(struct evloop *loop, size_t i)
{
	struct evloop_timer *last = loop->heap[--loop->nheap];

	if (i == loop->nheap)
		return;
	evloop_heap_set(loop, i, last);
	evloop_heap_down(loop, i);
	evloop_heap_up(loop, last->idx);
}

int64_t
evloop_timer_add(struct evloop *loop, unsigned int ms, int periodic,
    evloop_timer_cb cb, void *arg)
{
	struct evloop_timer *t, **nh;
	size_t need, n;

	if (cb == NULL || (periodic && ms == 0))
		return -EINVAL;
	/* Room for every live timer, the one being fired included. */
	need = loop->nheap + 1 + (loop->firing != NULL);
	if (need > loop->capheap) {
		n = loop->capheap ? loop->capheap * 2 : 16;
		if ((nh = reallocarray(loop->heap, n, sizeof *nh)) == NULL)
			return -ENOMEM;
		loop->heap = nh;
		loop->capheap = n;
	}
	if ((t = calloc(1, sizeof *t)) == NULL)
		return -ENOMEM;
	t->id = loop->next_id++;
	t->deadline = evloop_now() + ms * EVLOOP_NS_PER_MS;
	t->period = periodic ? ms * EVLOOP_NS_PER_MS : 0;
	t->cb = cb;
	t->arg = arg;
	evloop_heap_push(loop, t);
	return t->id;
}

int
evloop_timer_cancel(struct evloop *loop, int64_t id)
{
	struct evloop_timer *t;
	size_t i;

	if (loop->firing != NULL && loop->firing->id == id) {
		loop->firing->cancelled = 1;
		return 0;
	}
	/* Loops hold a handful of timers: a scan beats an id index. */
	for (i = 0; i < loop->nheap; i++) {
		t = loop->heap[i];
		if (t->id == id) {
			evloop_heap_remove(loop, i);
			free(t);
			return 0;
		}
	}
	return -ENOENT;
}

/* Milliseconds epoll may sleep: the caller's limit or the next deadline. */
static int
evloop_timeout(struct evloop *loop, int timeout_ms)
{
	uint64_t now, deadline, ms;

	if (loop->nheap == 0)
		return timeout_ms;
	now = evloop_now();
	deadline = loop->heap[0]->deadline;
	if (deadline <= now)
		return 0;
	/* Round up: waking early would only spin. */
	ms = (deadline - now + EVLOOP_NS_PER_MS - 1) / EVLOOP_NS_PER_MS;
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (timeout_ms < 0 || ms < (uint64_t)timeout_ms)
		return (int)ms;
	return timeout_ms;
}

static int
evloop_fire_timers(struct evloop *loop)
{
	struct evloop_timer *t;
	uint64_t now, limit, missed;
	int n = 0;

	now = evloop_now();
	limit = loop->next_seq;
	while (loop->nheap > 0) {
		t = loop->heap[0];
		if (t->deadline > now || t->seq >= limit)
			break;
		evloop_heap_remove(loop, 0);
		loop->firing = t;
		t->cb(loop, t->id, t->arg);
		loop->firing = NULL;
		n++;
		if (t->period == 0 || t->cancelled) {
			free(t);
			continue;
		}
		/* Keep the phase; skip ticks missed while we were late. */
		missed = (now - t->deadline) / t->period;
		t->deadline += (missed + 1) * t->period;
		evloop_heap_push(loop, t);
	}
	return n;
}

/* ---- running ------------------------------------------------------------- */

static void
evloop_drain_wake(struct evloop *loop)
{
	uint64_t v;

	while (read(loop->wakefd, &v, sizeof v) == (ssize_t)sizeof v)
		;
}

int
evloop_run_once(struct evloop *loop, int timeout_ms)
{
	struct epoll_event evs[EVLOOP_MAX_EVENTS];
	struct evloop_fd *e;
	int i, n, r, called = 0;

	if (loop->running)
		return -EBUSY;
	loop->running = 1;
	n = epoll_wait(loop->epfd, evs, EVLOOP_MAX_EVENTS,
	    evloop_timeout(loop, timeout_ms));
	if (n < 0) {
		if (errno != EINTR) {
			r = -errno;
			loop->running = 0;
			return r;
		}
		n = 0;
	}
	loop->dispatching = 1;
	for (i = 0; i < n; i++) {
		if ((e = evs[i].data.ptr) == NULL) {
			evloop_drain_wake(loop);
			continue;
		}
		if (e->dead)
			continue;
		e->cb(loop, e->fd, evs[i].events, e->arg);
		called++;
	}
	loop->dispatching = 0;
	while ((e = loop->dead) != NULL) {
		loop->dead = e->next_dead;
		free(e);
	}
	called += evloop_fire_timers(loop);
	loop->running = 0;
	return called;
}

int
evloop_run(struct evloop *loop)
{
	int r;

	if (loop->running)
		return -EBUSY;
	while (!__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE)) {
		if ((r = evloop_run_once(loop, -1)) < 0)
			return r;
	}
	__atomic_store_n(&loop->stop, 0, __ATOMIC_RELEASE);
	evloop_drain_wake(loop);
	return 0;
}

void
evloop_stop(struct evloop *loop)
{
	uint64_t one = 1;
	ssize_t w;
	int saved = errno;

	__atomic_store_n(&loop->stop, 1, __ATOMIC_RELEASE);
	/* Wakes an epoll_wait() in another thread; EAGAIN means it is awake. */
	w = write(loop->wakefd, &one, sizeof one);
	(void)w;
	errno = saved;
}

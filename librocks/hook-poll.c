/*
 * hook-poll: poll, ppoll, select, pselect and epoll_ctl for programs that
 * wait on rocks.  A suspended rock's fd still names its dead socket, so
 * these calls must not show it to the kernel: a suspended rock is left out
 * (its "resumed" event fd waits in its place), a connected one is watched
 * together with its "suspended" event fd, and bytes the library holds for
 * the program count as readable.  When only those event fds fire, the call
 * is made again with the new states, so the program sees nothing but real
 * readiness.  epoll sets are kept right by rock_epoll_ctl and the suspend
 * and resume paths.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include "common/log.h"
#include "librocks/hook.h"

#define HOOK_POLL_STACK 64

static int
hook_poll_has_rock(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++) {
		struct rock *r = rock_lookup(fds[i].fd);

		if (r != NULL && r->state != ROCK_UNDECIDED)
			return 1;
		if (nbc_active && nbc_wait_fd(fds[i].fd) >= 0)
			return 1;
	}
	return 0;
}

static int64_t
hook_ms_left(uint64_t deadline)
{
	uint64_t now = rock_now_ns();

	if (deadline == UINT64_MAX)
		return -1;
	if (now >= deadline)
		return 0;
	return (int64_t)((deadline - now + 999999) / 1000000);
}

/*
 * The poll family's common body.  deadline: CLOCK_MONOTONIC ns, or
 * UINT64_MAX for none.  mask: for ppoll.
 */
static int
hook_poll_rocks(struct pollfd *fds, nfds_t n, uint64_t deadline,
    const sigset_t *mask, int use_ppoll)
{
	struct pollfd stack[2 * HOOK_POLL_STACK], *tmp = stack;
	struct timespec ts;
	nfds_t i, m;
	int64_t ms;
	int rc, ready;

	if (n > HOOK_POLL_STACK && (tmp = calloc(2 * n, sizeof *tmp)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ready = 0;
		m = n;
		for (i = 0; i < n; i++) {
			struct rock *r = rock_lookup(fds[i].fd);
			int w = nbc_wait_fd(fds[i].fd);

			tmp[i] = fds[i];
			fds[i].revents = 0;
			if (w >= 0) {
				/* a connect under way: ready when it is done */
				tmp[i].fd = -1;
				tmp[m++] = (struct pollfd){ .fd = w,
				    .events = POLLIN };
				continue;
			}
			if (r == NULL || r->state == ROCK_UNDECIDED)
				continue;
			if ((fds[i].events & POLLIN) && r->salv_off < r->salv_len)
				fds[i].revents |= POLLIN;
			switch (r->state) {
			case ROCK_CONNECTED:
				tmp[m++] = (struct pollfd){ .fd = r->evfd,
				    .events = POLLIN };
				break;
			case ROCK_SUSPENDED:
				tmp[i].fd = -1;
				if ((fds[i].events & POLLIN) && r->peer_eof)
					fds[i].revents |= POLLIN;
				tmp[m++] = (struct pollfd){ .fd = r->resfd,
				    .events = POLLIN };
				break;
			default:
				tmp[i].fd = -1;
				fds[i].revents |= POLLERR | POLLHUP |
				    (fds[i].events & POLLIN);
				break;
			}
			if (fds[i].revents)
				ready = 1;
		}
		ms = ready ? 0 : hook_ms_left(deadline);
		if (use_ppoll) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000;
			rc = real.ppoll(tmp, m, ms < 0 ? NULL : &ts, mask);
		} else
			rc = real.poll(tmp, m, ms > INT32_MAX ? INT32_MAX : (int)ms);
		if (rc < 0)
			break;
		rc = 0;
		for (i = 0; i < n; i++) {
			struct rock *r = rock_lookup(fds[i].fd);

			/*
			 * A rock suspended while we waited: its old socket's
			 * events (end of input, hang-up, error) are the dead
			 * connection's, not the program's business.
			 */
			if (r != NULL && r->state == ROCK_CONNECTED &&
			    (tmp[i].revents & POLLERR)) {
				/*
				 * The data connection failed: that is the rock's to
				 * handle, not the program's (it would ask SO_ERROR
				 * and give up).  Suspend, and wait again.
				 */
				rock_suspend(r, "the connection reported an error");
				tmp[i].revents = 0;
			}
			if (r == NULL || r->state == ROCK_UNDECIDED ||
			    r->state == ROCK_CONNECTED)
				fds[i].revents |= tmp[i].revents;
			if (fds[i].revents)
				rc++;
		}
		if (rc > 0 || ms == 0)
			break;
		/* only a rock changed state: look again */
	}
	if (tmp != stack) {
		int e = errno;

		free(tmp);
		errno = e;
	}
	return rc;
}

static uint64_t
hook_deadline_ms(int timeout)
{
	return timeout < 0 ? UINT64_MAX :
	    rock_now_ns() + (uint64_t)timeout * 1000000ull;
}

static uint64_t
hook_deadline_ts(const struct timespec *t)
{
	if (t == NULL)
		return UINT64_MAX;
	return rock_now_ns() + (uint64_t)t->tv_sec * 1000000000ull +
	    (uint64_t)t->tv_nsec;
}

ROCKS_EXPORT int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	real_init();
	if (!real_ok || !hook_poll_has_rock(fds, n))
		return real.poll(fds, n, timeout);
	return hook_poll_rocks(fds, n, hook_deadline_ms(timeout), NULL, 0);
}

ROCKS_EXPORT int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof *fds < n)
		abort();
	return poll(fds, n, timeout);
}

ROCKS_EXPORT int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *mask)
{
	real_init();
	if (!real_ok || !hook_poll_has_rock(fds, n))
		return real.ppoll(fds, n, t, mask);
	return hook_poll_rocks(fds, n, hook_deadline_ts(t), mask, 1);
}

ROCKS_EXPORT int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof *fds < n)
		abort();
	return ppoll(fds, n, t, mask);
}

/* select and pselect: through the poll body when a rock is in the sets. */
static int
hook_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, uint64_t deadline,
    const sigset_t *mask, int use_ppoll, int *handled)
{
	struct pollfd stack[HOOK_POLL_STACK], *p = stack;
	int fd, np = 0, rc, any = 0;

	*handled = 0;
	if (nfds <= 0 || nfds > FD_SETSIZE)
		return 0;
	for (fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (rd != NULL && FD_ISSET(fd, rd))
			ev |= POLLIN;
		if (wr != NULL && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (ex != NULL && FD_ISSET(fd, ex))
			ev |= POLLPRI;
		if (ev == 0)
			continue;
		if (rock_lookup(fd) != NULL || nbc_wait_fd(fd) >= 0)
			any = 1;
		if (np == HOOK_POLL_STACK) {
			if (p == stack) {
				p = malloc((size_t)nfds * sizeof *p);
				if (p == NULL)
					return 0;
				memcpy(p, stack, sizeof stack);
			}
		}
		p[np++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	if (!any) {
		if (p != stack)
			free(p);
		return 0;
	}
	*handled = 1;
	rc = hook_poll_rocks(p, (nfds_t)np, deadline, mask, use_ppoll);
	if (rc >= 0) {
		if (rd != NULL)
			FD_ZERO(rd);
		if (wr != NULL)
			FD_ZERO(wr);
		if (ex != NULL)
			FD_ZERO(ex);
		rc = 0;
		for (int i = 0; i < np; i++) {
			short re = p[i].revents;

			if (re & POLLNVAL) {
				errno = EBADF;
				rc = -1;
				break;
			}
			if ((p[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(p[i].fd, rd);
				rc++;
			}
			if ((p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) {
				FD_SET(p[i].fd, wr);
				rc++;
			}
			if ((p[i].events & POLLPRI) && (re & POLLPRI)) {
				FD_SET(p[i].fd, ex);
				rc++;
			}
		}
	}
	if (p != stack) {
		int e = errno;

		free(p);
		errno = e;
	}
	return rc;
}

ROCKS_EXPORT int
select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	static int (*next)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	uint64_t deadline;
	int handled, rc;

	real_init();
	if (next == NULL)
		next = (int (*)(int, fd_set *, fd_set *, fd_set *,
		    struct timeval *))dlsym(RTLD_NEXT, "select");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!real_ok)
		return next(nfds, rd, wr, ex, tv);
	deadline = tv == NULL ? UINT64_MAX : rock_now_ns() +
	    (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000ull;
	rc = hook_select(nfds, rd, wr, ex, deadline, NULL, 0, &handled);
	if (!handled)
		return next(nfds, rd, wr, ex, tv);
	if (tv != NULL) {
		int64_t left = hook_ms_left(deadline);

		tv->tv_sec = left / 1000;
		tv->tv_usec = (left % 1000) * 1000;
	}
	return rc;
}

ROCKS_EXPORT int
pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *t, const sigset_t *mask)
{
	static int (*next)(int, fd_set *, fd_set *, fd_set *,
	    const struct timespec *, const sigset_t *);
	int handled, rc;

	real_init();
	if (next == NULL)
		next = (int (*)(int, fd_set *, fd_set *, fd_set *,
		    const struct timespec *, const sigset_t *))
		    dlsym(RTLD_NEXT, "pselect");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!real_ok)
		return next(nfds, rd, wr, ex, t, mask);
	rc = hook_select(nfds, rd, wr, ex, hook_deadline_ts(t), mask, 1,
	    &handled);
	if (!handled)
		return next(nfds, rd, wr, ex, t, mask);
	return rc;
}

ROCKS_EXPORT int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct rock *r;
	int rc;

	real_init();
	if (real_ok && op == EPOLL_CTL_ADD)
		nbc_note_epfd(epfd);    /* a non-blocking connect looks there */
	if (real_ok && nbc_epoll_ctl(epfd, op, fd, ev, &rc)) {
		if (rc < 0) {
			errno = -rc;
			return -1;
		}
		return 0;       /* applied once the connect is done */
	}
	if (!real_ok || (r = rock_lookup(fd)) == NULL)
		return real.epoll_ctl(epfd, op, fd, ev);
	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && ev == NULL) {
		errno = EFAULT;
		return -1;
	}
	if ((rc = rock_epoll_ctl(r, epfd, op, ev)) < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

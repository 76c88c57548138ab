/*
 * evloop: a small epoll event loop for daemons and control threads.
 *
 * File descriptors are watched with level-triggered epoll; timers are kept
 * in a min-heap on CLOCK_MONOTONIC and turned into the epoll_wait() timeout,
 * so a loop costs one epoll fd and one eventfd (for evloop_stop() from
 * another thread) and never uses a signal.
 *
 * Callbacks may call any evloop function on their own loop except
 * evloop_free() and a nested evloop_run()/evloop_run_once() (-EBUSY).  In
 * particular evloop_del_fd() may remove the fd being dispatched or any other
 * fd of the same epoll batch: an event already fetched for a removed fd is
 * dropped, even if the fd number has been closed and registered again.
 * evloop_timer_cancel() may cancel any timer, the firing one included.
 *
 * Apart from evloop_stop(), a loop belongs to one thread at a time.
 * Functions return 0 (or a count, or an id) on success and -errno on error.
 */
#ifndef EVICT_EVLOOP_H
#define EVICT_EVLOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct evloop;

/* events is the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP... mask epoll reported. */
typedef void (*evloop_fd_cb)(struct evloop *loop, int fd, uint32_t events,
    void *arg);
typedef void (*evloop_timer_cb)(struct evloop *loop, int64_t id, void *arg);

/* Returns NULL with errno set on failure. */
struct evloop *evloop_new(void);
/* Frees the loop and its timers; closes none of the registered fds. */
void evloop_free(struct evloop *loop);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP;
 * EPOLLERR and EPOLLHUP are always reported).  -EEXIST if fd is already
 * watched by this loop, -EBADF/-EPERM from epoll for unusable fds.
 * Remove an fd with evloop_del_fd() before closing it.
 */
int evloop_add_fd(struct evloop *loop, int fd, uint32_t events,
    evloop_fd_cb cb, void *arg);
/* Changes the events watched on fd; -ENOENT if fd is not watched. */
int evloop_mod_fd(struct evloop *loop, int fd, uint32_t events);
/* Stops watching fd; -ENOENT if fd is not watched.  Closed fds are fine. */
int evloop_del_fd(struct evloop *loop, int fd);

/*
 * Arms a timer firing ms milliseconds from now, then every ms milliseconds
 * if periodic (ms must then be at least 1).  A periodic timer that falls
 * behind skips the ticks it missed rather than firing in a burst.  Returns
 * the timer's id (> 0, never reused by this loop) or -errno.
 */
int64_t evloop_timer_add(struct evloop *loop, unsigned int ms, int periodic,
    evloop_timer_cb cb, void *arg);
/* Disarms a timer; -ENOENT if it does not exist (any more). */
int evloop_timer_cancel(struct evloop *loop, int64_t id);

/*
 * Waits at most timeout_ms (-1: no limit other than the next timer) for
 * events, then dispatches the fd events fetched and the timers due.
 * Returns the number of callbacks called (0 on timeout or EINTR) or -errno.
 */
int evloop_run_once(struct evloop *loop, int timeout_ms);
/*
 * Runs until evloop_stop(); returns 0 then (and clears the stop request),
 * or -errno if waiting failed.
 */
int evloop_run(struct evloop *loop);
/*
 * Asks evloop_run() to return after the current dispatch.  Safe from a
 * callback, from another thread and from a signal handler.
 */
void evloop_stop(struct evloop *loop);

#endif

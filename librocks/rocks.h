/*
 * rocks.h: the rocks expanded API (RE-API) of evict's reliable sockets.
 *
 * A program that runs under `rock` (librocks.so preloaded) has reliable
 * sockets without knowing it.  A mobile-aware program can also, per
 * connection: tune the heartbeat that detects failures, change or disable
 * the reconnection period, be called back when a connection is suspended,
 * resumed or given up, give an alternate address where the peer may be
 * found, and read the connection's status.  See rocks(3).
 *
 * The same binary must run without librocks too.  These functions live in
 * librocks.so, which is preloaded, never linked: by default this header
 * declares them weak, so that a program links without the library and
 * finds them null when it runs without it:
 *
 *     if (ROCKS_AVAILABLE() && rocks_is_rock(fd) == 1)
 *             rocks_set_callbacks(fd, on_suspend, on_resume, NULL, ctx);
 *
 * (A program can also look them up with dlsym(RTLD_DEFAULT, "rocks_is_rock").)
 * Define ROCKS_STRONG before including this header to declare them as
 * ordinary functions instead (for a program always run under librocks, or
 * linked with it).  pkg-config --cflags rocks gives the include path.
 *
 * Every function returns 0 (or a count) on success, and -1 with errno set
 * on failure:
 *   EBADF    fd is not an open descriptor
 *   ENOTSUP  fd is not a reliable socket (a plain socket: the peer does not
 *            run rocks, or it is not TCP)
 *   EAGAIN   fd was just accepted and its first bytes, which tell whether
 *            the client runs rocks, have not arrived yet: call again once
 *            it is readable
 *   EINVAL   an argument is out of range
 * The setters also accept a TCP socket that is not connected yet: the
 * settings are kept and apply if connect() makes it a reliable socket.
 *
 * Callbacks run in librocks' control thread, one at a time, with every
 * signal blocked.  While one runs, no heartbeat is sent or received and
 * no reconnection is accepted: return quickly and never block in it (in
 * particular, do not read or write a suspended rock there).  Hand the news
 * to the program's own threads or event loop (a pipe, an eventfd).  A
 * callback may call any function of this header.
 *
 * UDP (section 3.7 of the dissertation): a UDP program that keeps one
 * reliable socket to its peer can use that rock's suspend and resume
 * callbacks as failure and recovery notices.  Tunnelling datagrams over a
 * rock is not provided yet.
 */
#ifndef EVICT_ROCKS_API_H
#define EVICT_ROCKS_API_H

#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ROCKS_API_VERSION 1

enum rocks_state {
	ROCKS_UNDECIDED = 0,    /* accepted; not classified yet */
	ROCKS_CONNECTED = 1,    /* bytes flow */
	ROCKS_SUSPENDED = 2,    /* the connection failed; reconnecting */
	ROCKS_CLOSED = 3,       /* given up or aborted: I/O fails with .error */
};

enum rocks_role {
	ROCKS_CLIENT = 0,       /* it connected: it makes the reconnections */
	ROCKS_SERVER = 1,       /* it accepted: it waits for them */
};

#define ROCKS_UNKNOWN UINT64_MAX        /* a count or time not known */
#define ROCKS_NEVER   UINT64_MAX        /* gives_up_ms: it never gives up */

struct rocks_status {
	int      state;                 /* enum rocks_state */
	int      role;                  /* enum rocks_role */
	unsigned char id[16];           /* the connection's identifier */
	struct sockaddr_storage local;  /* the addresses the program first saw */
	struct sockaddr_storage peer;
	struct sockaddr_storage reconnect;  /* where a reconnection goes now */
	uint64_t sent, rcvd;            /* bytes since the connection was made */
	uint64_t in_flight;             /* sent, not acknowledged by the peer */
	uint64_t connected_ms;          /* since the connection was made */
	uint64_t suspended_ms;          /* SUSPENDED: for how long; else 0 */
	uint64_t gives_up_ms;           /* SUSPENDED: until it gives up */
	uint64_t last_heartbeat_ms;     /* since the peer's last heartbeat */
	uint64_t reconnects;            /* reconnections so far */
	unsigned heartbeat_ms;          /* the heartbeat in effect */
	unsigned heartbeat_misses;
	unsigned retry_ms;              /* reconnection attempts at least this often */
	int      error;                 /* CLOSED: the errno the program gets */
	char     reason[160];           /* the last suspension's or the close's cause */
	uint64_t reserved[8];
};

typedef void (*rocks_callback)(int fd, void *arg);

#if defined(ROCKS_BUILDING_LIBRARY)
# define ROCKS_FN __attribute__((visibility("default")))
#elif defined(ROCKS_STRONG)
# define ROCKS_FN
#else
# define ROCKS_FN __attribute__((weak))
#endif

/* 1 if fd is a reliable socket, 0 if not (-1: EBADF, EAGAIN). */
ROCKS_FN int rocks_is_rock(int fd);

/*
 * Heartbeat policy: the rock is suspended after misses periods of
 * period_ms (10 to 600000 ms; misses 1 to 1000) without a heartbeat from
 * the peer.  Set before connect(), it is agreed with the peer, which then
 * sends as often.  Set on a connected rock, the peer keeps the period
 * agreed when it connected, so this rock keeps sending at least that
 * often and waits at least two of the peer's periods: rocks_status()
 * tells the heartbeat in effect.
 */
ROCKS_FN int rocks_set_heartbeat(int fd, unsigned period_ms, unsigned misses);

/*
 * How long a suspended rock tries to reconnect before it gives up (then
 * the program's calls fail with ETIMEDOUT): 1 to 31536000 seconds, or 0
 * never to give up.  Default 3 days (`rock --reconnect`).  A rock that is
 * suspended now gets the new deadline counted from its suspension.
 */
ROCKS_FN int rocks_set_reconnect_timeout(int fd, unsigned seconds);

/*
 * Callbacks (any may be NULL) when the rock is suspended, when it resumes,
 * and when its reconnection period ends (the rock is then CLOSED).  They
 * replace earlier ones; arg is passed to each.  See above: they run in
 * librocks' control thread and must not block.
 */
ROCKS_FN int rocks_set_callbacks(int fd, rocks_callback on_suspend,
    rocks_callback on_resume, rocks_callback on_timeout, void *arg);

/*
 * An alternate last known address of the peer, for a client rock: where
 * the next reconnection attempts go (an IPv4 or IPv6 address; port 0
 * means the peer's control port, which is what a peer that moved listens
 * on).  Applied at once if the rock is suspended, else at its next
 * suspension; authenticated heartbeats from the peer replace it later.
 * ENOTSUP on a server rock: only the side that connected reconnects.
 */
ROCKS_FN int rocks_set_alternate_address(int fd, const struct sockaddr *sa,
    socklen_t len);

/*
 * Before connect(): when the peer turns out not to run rocks, reach it
 * through the rockd at sa (rockd's general mode, rockd(8)) instead of
 * making a plain connection; getpeername() still answers the peer.  sa
 * NULL: never through rockd for this socket.  Overrides EVICT_ROCKS_VIA
 * (`rock --via`).  EISCONN once the socket is connected.
 */
ROCKS_FN int rocks_set_via(int fd, const struct sockaddr *sa, socklen_t len);

/* Fills *st with the rock's state, addresses, counters and cause. */
ROCKS_FN int rocks_status(int fd, struct rocks_status *st);

#if !defined(ROCKS_BUILDING_LIBRARY) && !defined(ROCKS_STRONG)
/* True when the program runs under librocks (the weak symbols resolved). */
# define ROCKS_AVAILABLE() (rocks_is_rock != 0)
#else
# define ROCKS_AVAILABLE() 1
#endif

#ifdef __cplusplus
}
#endif

#endif

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
 * The rocks_dgram_* functions came with ROCKS_API_VERSION 2: a program that
 * may meet an older librocks tests them too (rocks_dgram_open != 0).
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
 *            it is readable; or fd's non-blocking connect() is still under
 *            way: call again once it is writable
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
 * UDP (section 3.7 of the dissertation): a UDP program keeps one reliable
 * socket to its peer.  Its suspend and resume callbacks are the failure and
 * recovery notices the program's own timers lack; and, when every datagram
 * must arrive, rocks_dgram_open() makes that rock a datagram tunnel: each
 * datagram sent with rocks_dgram_send() arrives whole, in order and exactly
 * once, through outages, as one rocks_dgram_recv() at the peer.
 */
#ifndef EVICT_ROCKS_API_H
#define EVICT_ROCKS_API_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ROCKS_API_VERSION 2

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

/* ---- datagram tunnel ---------------------------------------------------------- */

#define ROCKS_DGRAM_MAX   65507         /* the largest datagram, bytes */
#define ROCKS_DGRAM_QUEUE (4u << 20)    /* the default bound on queued bytes */

/*
 * Makes the rock fd a datagram tunnel.  Both ends call it, before either
 * sends: from then on the stream carries frames (a 4-byte length, then the
 * datagram), and the program must not read or write fd itself, only
 * through rocks_dgram_send and rocks_dgram_recv (it may poll fd: readable
 * means a datagram may be ready; rocks_dgram_recv with MSG_DONTWAIT then
 * says EAGAIN while only part of it arrived).
 *
 * queue_bytes bounds the bytes (each datagram counting 4 more) accepted by
 * rocks_dgram_send and not yet taken by the kernel: while the rock is
 * suspended, that is what can be sent before the sends fail with EAGAIN.
 * 0 means ROCKS_DGRAM_QUEUE; else 65536 to 1 GiB (EINVAL).  The memory is
 * the library's, allocated here and freed when the program closes fd
 * (datagrams still queued then are dropped, as a UDP socket's are).
 * EEXIST if fd is a tunnel already; ENOMEM.
 */
ROCKS_FN int rocks_dgram_open(int fd, size_t queue_bytes);

/*
 * Queues one datagram of len bytes (0 to ROCKS_DGRAM_MAX; EMSGSIZE past
 * that) and returns len; buf is copied, the caller keeps it.  Never
 * blocks: a thread of the library's writes the queue to the rock in
 * order, waiting while the rock is suspended, and the rock replays after
 * a reconnection what the peer had not received.  Fails, queueing
 * nothing, with EAGAIN when the datagram does not fit the queue's bound;
 * with ENOTCONN on a fd that is not a tunnel; with the rock's error
 * (ETIMEDOUT, ECONNRESET) once it is CLOSED.  Any thread may call it, the
 * callbacks too; datagrams sent from several threads are ordered as the
 * calls were.
 */
ROCKS_FN ssize_t rocks_dgram_send(int fd, const void *buf, size_t len);

/*
 * Receives the next datagram into buf and returns its length; if len is
 * smaller, the rest of the datagram is dropped and, with MSG_TRUNC in
 * flags, its full length is returned (as recv(2) on a UDP socket).
 * Blocks until a whole datagram is there (through a suspension), unless
 * flags has MSG_DONTWAIT or fd is non-blocking: then EAGAIN.  -1 with
 * ESHUTDOWN when the peer closed the tunnel, EBADMSG when the stream is
 * not frames (the peer does not use the tunnel), the rock's error once it
 * is CLOSED, ENOTCONN on a fd that is not a tunnel.  One thread receives
 * at a time; another waits for it.
 */
ROCKS_FN ssize_t rocks_dgram_recv(int fd, void *buf, size_t len, int flags);

/* Bytes queued by rocks_dgram_send that the kernel has not taken yet. */
ROCKS_FN ssize_t rocks_dgram_queued(int fd);

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

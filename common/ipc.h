/*
 * ipc: Unix stream sockets for control channels (rockctl to rockd, guimux
 * to the injected library, flac to flacd, ...).  Every function returns a
 * count or fd (>= 0) or a negative errno, never exits, and sets close-on-
 * exec on every descriptor it makes.  SIGPIPE is never raised.
 *
 * Who may talk: a peer whose SO_PEERCRED uid (its effective uid when it
 * connected) is ours or root's.  ipc_accept() enforces that on every
 * connection it hands out; ipc_connect() enforces it on the server of an
 * abstract name, since anyone can bind one (a filesystem socket is guarded
 * by its mode, 0600, and its directory).
 *
 * Messages are common/wbuf frames:  u32 length | u16 type | payload[length]
 * (big-endian).  After any error from the frame functions the stream is at
 * an unknown position and must be closed, except -ETIMEDOUT from
 * ipc_recv_frame() when nothing of the frame had arrived yet.
 */
#ifndef EVICT_IPC_H
#define EVICT_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>		/* struct ucred (with _GNU_SOURCE) */

struct wbuf;

/*
 * A listening socket (SOCK_STREAM, close-on-exec).  abstract = 0: path is a
 * file name whose directory must exist; the socket file is created with
 * mode 0600; an existing non-socket (file, directory, symlink) is never
 * replaced (-EEXIST), a socket somebody listens on is left alone
 * (-EADDRINUSE), and a stale socket nobody listens on is removed first.
 * (The liveness probe is a connection that the live server sees close at
 * once.)  abstract = 1: path is a name in the abstract namespace (no
 * leading NUL).
 * backlog <= 0 means SOMAXCONN.  Returns the fd, -ENAMETOOLONG, -EINVAL, or
 * what socket/bind/listen said.  Removing the file at exit is the caller's.
 */
int	ipc_listen(const char *path, int abstract, int backlog);

/*
 * A connected socket (blocking, close-on-exec).  For an abstract name the
 * server must pass ipc_peer_allowed() or the result is -EPERM.
 * -ECONNREFUSED when nobody listens, -ENOENT when there is no such file.
 */
int	ipc_connect(const char *path, int abstract);

/* The peer's pid, uid and gid as the kernel recorded them (SO_PEERCRED). */
int	ipc_peer_cred(int fd, struct ucred *uc);

/* 0 when the peer's uid is our effective uid or 0 (root); else -EPERM. */
int	ipc_peer_allowed(int fd);

/*
 * Accepts one connection (close-on-exec, blocking).  A peer that is not
 * allowed is closed at once, logged (warning: its pid and uid) and answered
 * with -EPERM; the caller just goes on accepting.  -EAGAIN from a
 * non-blocking listener with nothing pending.  EINTR and ECONNABORTED are
 * retried.
 */
int	ipc_accept(int lfd);

/*
 * Sends one frame, whole: short writes and EINTR are continued, and on a
 * non-blocking socket it waits for room.  -EMSGSIZE when len does not fit
 * in u32; -EPIPE or -ECONNRESET when the peer is gone.
 */
int	ipc_send_frame(int fd, uint16_t type, const void *payload, size_t len);

/*
 * Receives one frame: its payload replaces the contents of payload (a wbuf
 * from wbuf_init(), not a view; read it from payload->off = 0) and its type
 * goes to *type.  timeout_ms bounds the whole frame (< 0: no limit; 0: only
 * what is already there).  Returns the frame's size on the wire (> 0);
 * 0 when the peer closed cleanly between frames;
 *   -EMSGSIZE    announced length over maxlen (or over payload's limit)
 *   -EPIPE       the peer closed in the middle of a frame
 *   -ECONNRESET  the peer reset the connection
 *   -ETIMEDOUT   the frame did not arrive in time
 * maxlen is at most INT32_MAX - FRAME_HDR_LEN.  A descriptor the peer sent
 * along is closed.
 */
int	ipc_recv_frame(int fd, struct wbuf *payload, uint16_t *type,
	    size_t maxlen, int timeout_ms);

/*
 * The same with one descriptor riding on the frame (SCM_RIGHTS).  The
 * sender keeps its copy of fd.  On receipt, *fdp is the new descriptor
 * (close-on-exec) or -1 when the frame carried none; a frame with more than
 * one is refused with -EBADMSG (all of them closed).  On error *fdp is -1
 * and nothing leaks.
 */
int	ipc_send_fd(int sock, int fd, uint16_t type, const void *payload,
	    size_t len);
int	ipc_recv_fd(int sock, int *fdp, struct wbuf *payload, uint16_t *type,
	    size_t maxlen, int timeout_ms);

#endif

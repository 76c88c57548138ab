/*
 * xfind: which of a process's descriptors is its X connection (the guievict
 * paper, 3.2).  Without touching the process: its descriptors from
 * /proc/PID/fd, the peer of each socket from /proc/PID/net/tcp{,6} (the
 * remote address) or from the kernel's sock_diag for Unix sockets (the
 * peer socket's bound name).  An X server is recognised by its address
 * (TCP port 6000+n; /tmp/.X11-unix/Xn, as a path or in the abstract
 * namespace); failing that, by a connection of our own to the same peer
 * that starts an X handshake and gets an X answer.
 *
 * Also the safe-point rule guievictor adds to guievict-inject's: no thread
 * may be waiting to finish writing to the X connection (POLLOUT in its
 * poll set, the descriptor in its select write set, EPOLLOUT in its epoll
 * set), since then a request is half-written.
 */
#ifndef EVICT_GV_XFIND_H
#define EVICT_GV_XFIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#define XFIND_MAX	64

enum xfind_how {
	XFIND_TCP = 1,		/* remote port 6000 + n */
	XFIND_UNIX,		/* /tmp/.X11-unix/Xn */
	XFIND_PROBE,		/* answered an X handshake */
};

struct xfind_sock {
	int	 fd;
	uint64_t inode;
	int	 family;		/* AF_UNIX, AF_INET, AF_INET6, 0: unknown */
	char	 peer[128];		/* "@/tmp/.X11-unix/X0", "[::1]:6000", ... */
	int	 how;			/* enum xfind_how, 0: not X (yet) */
	int	 display;		/* n, or -1 */
};

/*
 * The sockets of pid with what is known of their peers; how many (<= max),
 * or -errno (-ESRCH, -EACCES).
 */
int	xfind_sockets(pid_t pid, struct xfind_sock *v, size_t max);
/* Tries the X handshake on the peer of each socket not yet recognised. */
void	xfind_probe(struct xfind_sock *v, size_t n, int timeout_ms);
/*
 * The X connection of pid (want_fd >= 0: that one, checked to be a
 * socket): its descriptor, or -errno with a sentence in cause.
 */
int	xfind_x_fd(pid_t pid, int want_fd, struct xfind_sock *out, char *cause,
	    size_t causelen);

/* Pure helpers (unit tested). */
/* The display number of an X socket path, abstract ("@...") or not, or -1. */
int	xfind_unix_display(const char *name);
/*
 * One line of /proc/net/tcp{,6}: 1 and the inode, remote address text and
 * port when it parses and is ESTABLISHED, else 0.
 */
int	xfind_tcp_line(const char *line, int v6, uint64_t *inode, char *rem,
	    size_t remsz, int *port);
/* An X server's first answer (at least 8 bytes): 1 when it is one. */
int	xfind_is_x_answer(const uint8_t *p, size_t n);

/*
 * inject_thread_check_fn for guievict-inject: arg points at the X
 * descriptor number (int).
 */
int	xfind_thread_check(void *arg, pid_t pid, pid_t tid, long call_nr,
	    const struct user_regs_struct *regs, int is_main, char *why,
	    size_t whylen);
/* The same decision on data already read (unit tested). */
int	xfind_pollfds_write_pending(const uint8_t *pfds, size_t n, int xfd);

#endif

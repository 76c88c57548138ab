/*
 * real: the only door to the next definitions of the functions librocks
 * wraps.  real_init() fills the table once (pthread_once); every hook calls
 * it first, since another library's constructor may call us before ours.
 * Inside the library everything calls real.*, so our own I/O never recurses.
 */
#ifndef EVICT_ROCKS_REAL_H
#define EVICT_ROCKS_REAL_H

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

struct real_fns {
	int     (*socket)(int, int, int);
	int     (*connect)(int, const struct sockaddr *, socklen_t);
	int     (*listen)(int, int);
	int     (*accept)(int, struct sockaddr *, socklen_t *);
	int     (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int     (*close)(int);
	int     (*shutdown)(int, int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *,
	    socklen_t);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int     (*getpeername)(int, struct sockaddr *, socklen_t *);
	int     (*getsockname)(int, struct sockaddr *, socklen_t *);
	int     (*ioctl)(int, unsigned long, ...);
	int     (*dup)(int);
	int     (*dup2)(int, int);
	int     (*dup3)(int, int, int);
	int     (*poll)(struct pollfd *, nfds_t, int);
	int     (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);
	int     (*setsockopt)(int, int, int, const void *, socklen_t);
	int     (*epoll_ctl)(int, int, int, struct epoll_event *);
	pid_t   (*fork)(void);
	int     (*getsockopt)(int, int, int, void *, socklen_t *);
	int     (*posix_spawn)(pid_t *, const char *,
	    const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
	    char *const[], char *const[]);
	int     (*getaddrinfo)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
};

extern struct real_fns real;
extern int real_ok;          /* 0: a symbol is missing; every hook passes through */

void real_init(void);

/* The EDP's system calls, through the real functions (never our hooks). */
struct edp_io;
const struct edp_io *real_edp_io(void);

#endif

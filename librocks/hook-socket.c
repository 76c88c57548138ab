/*
 * hook-socket: connection set-up and tear-down, addresses, options and
 * descriptor duplication for rocks; and the library's constructor.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/exec.h"
#include "librocks/hook.h"
#include "librocks/keep.h"

static int hook_off;          /* the library failed to start: pass through */

static void hook_atfork_child(void);
static int hook_dup_done(int oldfd, int newfd);

__attribute__((constructor)) static void
hook_init(void)
{
	log_init("librocks", EVLOG_WARN);
	/*
	 * The control thread may be signing a heartbeat while the program
	 * exits: OpenSSL must not free its locks under it from atexit.
	 */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	real_init();
	rocks_config_load();
	hook_off = !real_ok || rocks_cfg.disabled;
	pthread_atfork(NULL, NULL, hook_atfork_child);
	if (!hook_off)
		rock_exec_adopt();
}

static void
hook_atfork_child(void)
{
	ctl_forked_child();
}

static int
hook_passthrough(void)
{
	real_init();
	return hook_off || !real_ok;
}

static int
hook_nonblocking(int fd, int flags)
{
	int fl;

	if (flags & MSG_DONTWAIT)
		return 1;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

struct rock *
hook_rock(int fd, int for_write, int flags, int *eagain)
{
	struct rock *r;
	int d;

	*eagain = 0;
	real_init();
	if (__builtin_expect(nbc_active, 0) && nbc_busy(fd, flags)) {
		*eagain = 1;    /* a connect under way: not the program's yet */
		return NULL;
	}
	if ((r = rock_lookup(fd)) == NULL)
		return NULL;
	if (__builtin_expect(ctl_need_restart, 0))
		(void)ctl_start();
	if (r->state != ROCK_UNDECIDED)
		return r;
	if (for_write)
		return NULL;    /* the program speaks first: let it */
	rock_get(r);
	d = rock_classify(r, !hook_nonblocking(fd, flags));
	if (d == 0) {
		rock_put(r);
		*eagain = 1;
		return NULL;
	}
	if (r->state != ROCK_CONNECTED) {
		rock_put(r);    /* now a plain socket */
		return NULL;
	}
	rock_put(r);            /* the fd table still holds it */
	return r;
}

static int
hook_is_tcp(int fd)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof type;

	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return 0;
	len = sizeof proto;
	if (real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 ||
	    proto != IPPROTO_TCP)
		return 0;
	return 1;
}

/* Connected already (a plain connect done earlier): the kernel answers. */
static int
hook_is_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	return real.getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

ROCKS_EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (hook_passthrough())
		return real.connect(fd, sa, len);
	if (nbc_connect_again(fd))
		return -1;      /* EALREADY, or how the first one failed */
	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6) || rock_lookup(fd) != NULL ||
	    !hook_is_tcp(fd) || hook_is_connected(fd))
		return real.connect(fd, sa, len);
	if (hook_nonblocking(fd, 0))
		return rock_connect_async(fd, sa, len);
	return rock_connect(fd, sa, len);
}

static int
hook_accepted(int lfd, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int again;

	(void)lfd;
	if (real.getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return 0;
	rock_accepted(fd, &again);
	return again;
}

ROCKS_EXPORT int
accept4(int lfd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	socklen_t keep = alen != NULL ? *alen : 0;
	int fd;

	if (hook_passthrough())
		return real.accept4(lfd, addr, alen, flags);
	for (;;) {
		fd = real.accept4(lfd, addr, alen, flags);
		if (fd < 0 || !hook_accepted(lfd, fd))
			return fd;
		/* that was a probe, answered: the program wants the next one */
		if (alen != NULL)
			*alen = keep;
	}
}

ROCKS_EXPORT int
accept(int lfd, struct sockaddr *addr, socklen_t *alen)
{
	socklen_t keep = alen != NULL ? *alen : 0;
	int fd;

	if (hook_passthrough())
		return real.accept(lfd, addr, alen);
	for (;;) {
		fd = real.accept(lfd, addr, alen);
		if (fd < 0 || !hook_accepted(lfd, fd))
			return fd;
		if (alen != NULL)
			*alen = keep;
	}
}

/* Forgets fd as a name of r; 1 if r has no name left. */
static int
hook_unname(struct rock *r, int fd)
{
	int i;

	rock_unbind_fd(fd);
	r->refs--;
	if (fd != r->fd) {
		for (i = 0; i < r->ndups; i++)
			if (r->dups[i] == fd) {
				r->dups[i] = r->dups[--r->ndups];
				break;
			}
		return 0;
	}
	if (r->ndups > 0) {
		r->fd = r->dups[--r->ndups];
		return 0;
	}
	return 1;
}

ROCKS_EXPORT int
close(int fd)
{
	struct rock *r;

	keep_close(fd);
	if (hook_passthrough())
		return real.close(fd);
	nbc_close(fd);
	if ((r = rock_lookup(fd)) == NULL)
		return real.close(fd);
	if (!hook_unname(r, fd))
		return real.close(fd);
	if (r->state == ROCK_SUSPENDED) {
		/* the rock lives on until it reconnects, then closes */
		log_info("rock %d closed by the program while suspended; "
		    "closing once reconnected", fd);
		pthread_mutex_lock(&r->tx_lock);
		pthread_mutex_lock(&r->rx_lock);
		r->app_closed = 1;
		r->fd = -1;
		pthread_mutex_unlock(&r->rx_lock);
		pthread_mutex_unlock(&r->tx_lock);
		return real.close(fd);
	}
	if (r->state == ROCK_CONNECTED)
		log_info("rock %d closed by the program (sent %llu, received "
		    "%llu, %llu reconnections)", fd, (unsigned long long)r->sent,
		    (unsigned long long)r->rcvd,
		    (unsigned long long)r->reconnects);
	rock_set_state(r, ROCK_CLOSED);
	rock_release(r);
	return real.close(fd);
}

ROCKS_EXPORT int
shutdown(int fd, int how)
{
	struct rock *r;

	if (hook_passthrough() || (r = rock_lookup(fd)) == NULL ||
	    r->state == ROCK_UNDECIDED)
		return real.shutdown(fd, how);
	if (how == SHUT_WR || how == SHUT_RDWR) {
		pthread_mutex_lock(&r->tx_lock);
		r->shut_wr = 1;
		pthread_mutex_unlock(&r->tx_lock);
	}
	switch (r->state) {
	case ROCK_CONNECTED:
		return real.shutdown(r->fd, how);
	case ROCK_SUSPENDED:
		return 0;       /* done on the new connection */
	default:
		errno = ENOTCONN;
		return -1;
	}
}

static int
hook_addr(const struct sockaddr_storage *ss, socklen_t sslen,
    struct sockaddr *out, socklen_t *outlen)
{
	if (out == NULL || outlen == NULL) {
		errno = EFAULT;
		return -1;
	}
	memcpy(out, ss, *outlen < sslen ? *outlen : sslen);
	*outlen = sslen;
	return 0;
}

ROCKS_EXPORT int
getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct rock *r;
	int rc;

	if (keep_name(fd, 1, sa, len, &rc))
		return rc;
	if (!hook_passthrough() && nbc_wait_fd(fd) >= 0) {
		errno = ENOTCONN;       /* not connected for the program yet */
		return -1;
	}
	if (hook_passthrough() || (r = rock_lookup(fd)) == NULL ||
	    r->state == ROCK_UNDECIDED)
		return real.getpeername(fd, sa, len);
	return hook_addr(&r->peer, r->peerlen, sa, len);
}

ROCKS_EXPORT int
getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct rock *r;
	int rc;

	if (keep_name(fd, 0, sa, len, &rc))
		return rc;
	if (hook_passthrough() || (r = rock_lookup(fd)) == NULL ||
	    r->state == ROCK_UNDECIDED)
		return real.getsockname(fd, sa, len);
	return hook_addr(&r->local, r->locallen, sa, len);
}

ROCKS_EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct rock *r;
	int rc;

	if (keep_setsockopt(fd, level, name, val, len, &rc))
		return rc;
	if (!hook_passthrough() && nbc_active && val != NULL &&
	    (level == SOL_SOCKET || level == IPPROTO_TCP ||
	    level == IPPROTO_IP || level == IPPROTO_IPV6))
		nbc_sockopt(fd, level, name, val, len);
	if (hook_passthrough() || (r = rock_lookup(fd)) == NULL)
		return real.setsockopt(fd, level, name, val, len);
	if (level == SOL_SOCKET || level == IPPROTO_TCP || level == IPPROTO_IP ||
	    level == IPPROTO_IPV6)
		rock_record_sockopt(r, level, name, val, len);
	if (r->state == ROCK_SUSPENDED)
		return 0;       /* applied to the new connection */
	return real.setsockopt(r->fd, level, name, val, len);
}

/* The fds a keeper took (keep.c) answer as their TCP socket would; the
 * SO_ERROR of a connect that completes in the background (nbconnect.c)
 * is the library's; everything else is the kernel's. */
ROCKS_EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int rc, err;

	real_init();
	if (keep_getsockopt(fd, level, name, val, len, &rc))
		return rc;
	if (real.getsockopt == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (level == SOL_SOCKET && name == SO_ERROR && val != NULL &&
	    len != NULL && *len >= (socklen_t)sizeof(int) &&
	    !hook_passthrough() && nbc_so_error(fd, &err)) {
		memcpy(val, &err, sizeof err);
		*len = sizeof err;
		return 0;
	}
	return real.getsockopt(fd, level, name, val, len);
}

ROCKS_EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	struct rock *r;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (hook_passthrough() || (r = rock_lookup(fd)) == NULL)
		return real.ioctl(fd, req, arg);
	if (req == FIONBIO) {
		int rc = real.ioctl(fd, req, arg);

		if (rc == 0 && arg != NULL)
			r->nonblock = *(int *)arg != 0;
		return rc;
	}
	if (r->state == ROCK_UNDECIDED || req != FIONREAD)
		return real.ioctl(fd, req, arg);
	return rock_fionread(r, arg);
}

/* The program's O_NONBLOCK, so that I/O need not ask the kernel each time. */
static int
hook_fcntl(int fd, int cmd, long arg, int (*next)(int, int, ...))
{
	struct rock *r;
	int rc;

	rc = next(fd, cmd, arg);
	if (rc >= 0 && cmd == F_SETFL && (r = rock_lookup(fd)) != NULL)
		r->nonblock = (arg & O_NONBLOCK) != 0;
	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) &&
	    !hook_passthrough())
		return hook_dup_done(fd, rc);
	return rc;
}

ROCKS_EXPORT int
fcntl(int fd, int cmd, ...)
{
	static int (*next)(int, int, ...);
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (next == NULL)
		next = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return hook_fcntl(fd, cmd, arg, next);
}

ROCKS_EXPORT int
fcntl64(int fd, int cmd, ...)
{
	static int (*next)(int, int, ...);
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (next == NULL)
		next = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl64");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return hook_fcntl(fd, cmd, arg, next);
}

/* A new name for a rock: every name reaches the same rock. */
static int
hook_dup_done(int oldfd, int newfd)
{
	struct rock *r, *prev;

	if (newfd < 0)
		return newfd;
	keep_dup(oldfd, newfd);
	r = rock_lookup(oldfd);
	/* newfd named another rock (or this one) before: not any more */
	if ((prev = rock_lookup(newfd)) != NULL && prev != r &&
	    hook_unname(prev, newfd)) {
		rock_set_state(prev, ROCK_CLOSED);
		rock_release(prev);
	}
	if (r == NULL || prev == r)
		return newfd;
	if (r->ndups == (int)(sizeof r->dups / sizeof r->dups[0])) {
		log_once(EVLOG_WARN, "more than 8 names for one rock; the "
		    "extra ones act as plain sockets");
		return newfd;
	}
	r->dups[r->ndups++] = newfd;
	r->refs++;
	rock_bind_fd(newfd, r);
	return newfd;
}

ROCKS_EXPORT int
dup(int fd)
{
	if (hook_passthrough())
		return real.dup(fd);
	return hook_dup_done(fd, real.dup(fd));
}

ROCKS_EXPORT int
dup2(int fd, int newfd)
{
	if (hook_passthrough() || fd == newfd)
		return real.dup2(fd, newfd);
	nbc_close(newfd);       /* newfd's old socket goes, as at close() */
	return hook_dup_done(fd, real.dup2(fd, newfd));
}

ROCKS_EXPORT int
dup3(int fd, int newfd, int flags)
{
	if (hook_passthrough())
		return real.dup3(fd, newfd, flags);
	if (fd != newfd)
		nbc_close(newfd);
	return hook_dup_done(fd, real.dup3(fd, newfd, flags));
}

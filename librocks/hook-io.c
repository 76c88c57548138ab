/*
 * hook-io: the reads and writes of a program.  Each shim finds the rock
 * behind the fd; anything else goes straight to libc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/hook.h"

static ssize_t
hook_send(struct rock *r, const void *buf, size_t n, int flags)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	return rock_send(r, &msg, flags);
}

static ssize_t
hook_recv(struct rock *r, void *buf, size_t n, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	return rock_recv(r, &msg, flags);
}

/* A connect under way: not the program's socket yet. */
static ssize_t
hook_again(void)
{
	errno = EAGAIN;
	return -1;
}

/* A write before the server classified the connection: the program's own. */
static ssize_t
hook_pre_write(int fd, ssize_t n)
{
	struct rock *r = rock_lookup(fd);

	if (n > 0 && r != NULL && r->state == ROCK_UNDECIDED)
		r->pre_bytes += (uint32_t)n;
	return n;
}

ROCKS_EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 0, 0, &eagain)) == NULL) {
		if (eagain) {
			errno = EAGAIN;
			return -1;
		}
		return real.read(fd, buf, n);
	}
	return hook_recv(r, buf, n, 0);
}

ROCKS_EXPORT ssize_t
__read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		abort();        /* what glibc's __read_chk does (__chk_fail) */
	return read(fd, buf, n);
}

ROCKS_EXPORT ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 0, flags, &eagain)) == NULL) {
		if (eagain) {
			errno = EAGAIN;
			return -1;
		}
		return real.recv(fd, buf, n, flags);
	}
	return hook_recv(r, buf, n, flags);
}

ROCKS_EXPORT ssize_t
__recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen)
		abort();
	return recv(fd, buf, n, flags);
}

ROCKS_EXPORT ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
    socklen_t *fromlen)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 0, flags, &eagain)) == NULL) {
		if (eagain) {
			errno = EAGAIN;
			return -1;
		}
		return real.recvfrom(fd, buf, n, flags, from, fromlen);
	}
	if (fromlen != NULL)
		*fromlen = 0;   /* a connected stream has no datagram source */
	return hook_recv(r, buf, n, flags);
}

ROCKS_EXPORT ssize_t
__recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
    struct sockaddr *from, socklen_t *fromlen)
{
	if (n > buflen)
		abort();
	return recvfrom(fd, buf, n, flags, from, fromlen);
}

ROCKS_EXPORT ssize_t
readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov,
	    .msg_iovlen = iovcnt > 0 ? (size_t)iovcnt : 0 };
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 0, 0, &eagain)) == NULL) {
		if (eagain) {
			errno = EAGAIN;
			return -1;
		}
		return real.readv(fd, iov, iovcnt);
	}
	return rock_recv(r, &msg, 0);
}

ROCKS_EXPORT ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 0, flags, &eagain)) == NULL) {
		if (eagain) {
			errno = EAGAIN;
			return -1;
		}
		return real.recvmsg(fd, msg, flags);
	}
	msg->msg_controllen = 0;
	msg->msg_flags = 0;
	return rock_recv(r, msg, flags);
}

ROCKS_EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 1, 0, &eagain)) == NULL)
		return eagain ? hook_again() : hook_pre_write(fd, real.write(fd, buf, n));
	return hook_send(r, buf, n, 0);
}

ROCKS_EXPORT ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 1, flags, &eagain)) == NULL)
		return eagain ? hook_again() : hook_pre_write(fd, real.send(fd, buf, n, flags));
	return hook_send(r, buf, n, flags);
}

ROCKS_EXPORT ssize_t
sendto(int fd, const void *buf, size_t n, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 1, flags, &eagain)) == NULL)
		return eagain ? hook_again() : hook_pre_write(fd, real.sendto(fd, buf, n, flags, to,
		    tolen));
	return hook_send(r, buf, n, flags);
}

ROCKS_EXPORT ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov,
	    .msg_iovlen = iovcnt > 0 ? (size_t)iovcnt : 0 };
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 1, 0, &eagain)) == NULL)
		return eagain ? hook_again() : hook_pre_write(fd, real.writev(fd, iov, iovcnt));
	return rock_send(r, &msg, 0);
}

ROCKS_EXPORT ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;
	struct rock *r;
	int eagain;

	if ((r = hook_rock(fd, 1, flags, &eagain)) == NULL)
		return eagain ? hook_again() : hook_pre_write(fd, real.sendmsg(fd, msg, flags));
	/* a connected stream: no destination, and no descriptors to pass */
	m = *msg;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	return rock_send(r, &m, flags);
}

/* sendfile() to a rock goes through the ring like any write. */
static ssize_t
hook_sendfile(struct rock *r, int in, off_t *off, size_t count)
{
	char buf[65536];
	size_t want;
	ssize_t n, w;

	want = count < sizeof buf ? count : sizeof buf;
	n = off != NULL ? pread(in, buf, want, *off) : real.read(in, buf, want);
	if (n <= 0)
		return n;
	w = hook_send(r, buf, (size_t)n, 0);
	if (w <= 0)
		return w;
	if (off != NULL)
		*off += w;
	else if (w < n)
		lseek(in, w - n, SEEK_CUR);
	return w;
}

ROCKS_EXPORT ssize_t
sendfile(int out, int in, off_t *off, size_t count)
{
	static ssize_t (*next)(int, int, off_t *, size_t);
	struct rock *r;
	int eagain;

	if ((r = hook_rock(out, 1, 0, &eagain)) == NULL) {
		if (eagain)
			return hook_again();
		if (next == NULL)
			next = (ssize_t (*)(int, int, off_t *, size_t))
			    dlsym(RTLD_NEXT, "sendfile");
		if (next == NULL) {
			errno = ENOSYS;
			return -1;
		}
		return next(out, in, off, count);
	}
	return hook_sendfile(r, in, off, count);
}

ROCKS_EXPORT ssize_t
sendfile64(int out, int in, off_t *off, size_t count)
{
	return sendfile(out, in, off, count);
}

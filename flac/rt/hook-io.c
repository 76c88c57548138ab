/*
 * hook-io: read and write.  A local service's fd is a real fd, so these
 * pass straight to the C library; they are wrapped for two things only
 * (reloc.h): to take on a location change in a program that only reads
 * or writes, and to fail with ESTALE on an fd whose file could not be
 * opened again after one.  With neither, a call costs two loads.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "flac/rt/fdtab.h"
#include "flac/rt/hook.h"

/* 1 when fd is stale (errno set); takes on a location change first. */
static inline int
hook_io_stale(int fd)
{
	if (!__atomic_load_n(&hook_booted, __ATOMIC_ACQUIRE)) {
		hook_real();
		return 0;
	}
	if (hook_busy || !rt.active)
		return 0;
	hook_relocate();
	if (__atomic_load_n(&fdtab_nstale, __ATOMIC_RELAXED) == 0 ||
	    !fdtab_stale(fd, NULL, NULL))
		return 0;
	errno = ESTALE;
	return 1;
}

RT_EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	return hook_io_stale(fd) ? -1 : real.read(fd, buf, n);
}

RT_EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	return hook_io_stale(fd) ? -1 : real.write(fd, buf, n);
}

RT_EXPORT ssize_t
pread64(int fd, void *buf, size_t n, off_t off)
{
	return hook_io_stale(fd) ? -1 : real.pread64(fd, buf, n, off);
}

RT_EXPORT ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	return hook_io_stale(fd) ? -1 : real.pread64(fd, buf, n, off);
}

RT_EXPORT ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return hook_io_stale(fd) ? -1 : real.pwrite64(fd, buf, n, off);
}

RT_EXPORT ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return hook_io_stale(fd) ? -1 : real.pwrite64(fd, buf, n, off);
}

RT_EXPORT ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	return hook_io_stale(fd) ? -1 : real.readv(fd, iov, n);
}

RT_EXPORT ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	return hook_io_stale(fd) ? -1 : real.writev(fd, iov, n);
}

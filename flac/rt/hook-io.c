/*
 * hook-io: read and write.  A local service's fd is a real fd, so these
 * pass straight to the C library; they are wrapped only to fail with
 * ESTALE on an fd whose file could not be opened again after a location
 * change (reloc.h).  They do not take a change on themselves: signal
 * handlers call read and write, and the switch takes locks and memory.
 * When no fd is stale a call costs one load.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "flac/rt/fdtab.h"
#include "flac/rt/hook.h"

/* 1 when fd is stale (errno set). */
static inline int
hook_io_stale(int fd)
{
	if (!__atomic_load_n(&hook_booted, __ATOMIC_ACQUIRE)) {
		hook_real();
		return 0;
	}
	if (hook_busy || !fdtab_stale_hint(fd))
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

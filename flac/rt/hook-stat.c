/*
 * hook-stat: looking at names without changing them: both stat ABIs (the
 * stat/fstatat functions of glibc 2.33 and later, and the __xstat family
 * that older binaries call), statx, access and its variants, readlink,
 * realpath, statfs/statvfs, the reading xattr calls and inotify watches.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "flac/rt/fdtab.h"
#include "flac/rt/hook.h"
#include "flac/rt/vfs.h"

/* The old ABI: on x86-64 both versions (0 and 1) are struct stat. */
#define HOOK_STAT_VER_OK(v)	((v) == 0 || (v) == 1)

/* A copy reports the device and inode of the file it came from. */
static int
hook_fd_origin(int fd, int r, struct stat *st)
{
	unsigned long long dev, ino;

	if (r == 0 && fdtab_has(fd) && fdtab_origin(fd, &dev, &ino)) {
		st->st_dev = (dev_t)dev;
		st->st_ino = (ino_t)ino;
	}
	return r;
}

static int
hook_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	if (hook_empty_path(path, flags)) {
		hook_real();
		return hook_fd_origin(dirfd, real.fstatat(dirfd, path, st,
		    flags), st);
	}
	if (!hook_enter()) {
		hook_real();
		return real.fstatat(dirfd, path, st, flags);
	}
	return (int)hook_leave(vfs_stat(dirfd, path, st, flags));
}

RT_EXPORT int
fstat(int fd, struct stat *st)
{
	hook_real();
	return hook_fd_origin(fd, real.fstat(fd, st), st);
}

RT_EXPORT int
fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

RT_EXPORT int
__fxstat(int ver, int fd, struct stat *st)
{
	if (!HOOK_STAT_VER_OK(ver)) {
		errno = EINVAL;
		return -1;
	}
	return fstat(fd, st);
}

RT_EXPORT int
__fxstat64(int ver, int fd, struct stat64 *st)
{
	return __fxstat(ver, fd, (struct stat *)st);
}

RT_EXPORT int
stat(const char *path, struct stat *st)
{
	return hook_fstatat(AT_FDCWD, path, st, 0);
}

RT_EXPORT int
stat64(const char *path, struct stat64 *st)
{
	return hook_fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

RT_EXPORT int
lstat(const char *path, struct stat *st)
{
	return hook_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
lstat64(const char *path, struct stat64 *st)
{
	return hook_fstatat(AT_FDCWD, path, (struct stat *)st,
	    AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return hook_fstatat(dirfd, path, st, flags);
}

RT_EXPORT int
fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return hook_fstatat(dirfd, path, (struct stat *)st, flags);
}


static int
hook_xstat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	if (!HOOK_STAT_VER_OK(ver)) {
		errno = EINVAL;
		return -1;
	}
	return hook_fstatat(dirfd, path, st, flags);
}

RT_EXPORT int
__xstat(int ver, const char *path, struct stat *st)
{
	return hook_xstat(ver, AT_FDCWD, path, st, 0);
}

RT_EXPORT int
__xstat64(int ver, const char *path, struct stat64 *st)
{
	return hook_xstat(ver, AT_FDCWD, path, (struct stat *)st, 0);
}

RT_EXPORT int
__lxstat(int ver, const char *path, struct stat *st)
{
	return hook_xstat(ver, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
__lxstat64(int ver, const char *path, struct stat64 *st)
{
	return hook_xstat(ver, AT_FDCWD, path, (struct stat *)st,
	    AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
__fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	return hook_xstat(ver, dirfd, path, st, flags);
}

RT_EXPORT int
__fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
    int flags)
{
	return hook_xstat(ver, dirfd, path, (struct stat *)st, flags);
}

RT_EXPORT int
statx(int dirfd, const char *path, int flags, unsigned mask,
    struct statx *stx)
{
	unsigned long long dev, ino;
	int r;

	if (hook_empty_path(path, flags)) {
		hook_real();
		r = real.statx(dirfd, path, flags, mask, stx);
		if (r == 0 && fdtab_has(dirfd) &&
		    fdtab_origin(dirfd, &dev, &ino)) {
			stx->stx_dev_major = major((dev_t)dev);
			stx->stx_dev_minor = minor((dev_t)dev);
			stx->stx_ino = ino;
		}
		return r;
	}
	if (!hook_enter()) {
		hook_real();
		return real.statx(dirfd, path, flags, mask, stx);
	}
	return (int)hook_leave(vfs_statx(dirfd, path, flags, mask, stx));
}

/* ---- access ---------------------------------------------------------- */

static int
hook_faccessat(int dirfd, const char *path, int mode, int flags)
{
	if (!hook_enter()) {
		hook_real();
		return real.faccessat(dirfd, path, mode, flags);
	}
	return (int)hook_leave(vfs_access(dirfd, path, mode, flags));
}

RT_EXPORT int
access(const char *path, int mode)
{
	return hook_faccessat(AT_FDCWD, path, mode, 0);
}

RT_EXPORT int
faccessat(int dirfd, const char *path, int mode, int flags)
{
	return hook_faccessat(dirfd, path, mode, flags);
}

RT_EXPORT int
euidaccess(const char *path, int mode)
{
	return hook_faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

RT_EXPORT int
eaccess(const char *path, int mode)
{
	return hook_faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

/* ---- links and canonical names ----------------------------------------- */

static ssize_t
hook_readlinkat(int dirfd, const char *path, char *buf, size_t sz)
{
	if (!hook_enter()) {
		hook_real();
		return real.readlinkat(dirfd, path, buf, sz);
	}
	return hook_leave(vfs_readlink(dirfd, path, buf, sz));
}

RT_EXPORT ssize_t
readlink(const char *path, char *buf, size_t sz)
{
	return hook_readlinkat(AT_FDCWD, path, buf, sz);
}

RT_EXPORT ssize_t
readlinkat(int dirfd, const char *path, char *buf, size_t sz)
{
	return hook_readlinkat(dirfd, path, buf, sz);
}

RT_EXPORT ssize_t
__readlink_chk(const char *path, char *buf, size_t sz, size_t buflen)
{
	if (sz > buflen)
		abort();	/* what glibc's __chk_fail does */
	return hook_readlinkat(AT_FDCWD, path, buf, sz);
}

RT_EXPORT ssize_t
__readlinkat_chk(int dirfd, const char *path, char *buf, size_t sz,
    size_t buflen)
{
	if (sz > buflen)
		abort();
	return hook_readlinkat(dirfd, path, buf, sz);
}

static char *
hook_realpath(const char *path, char *resolved)
{
	char *out;
	int r;

	if (!hook_enter()) {
		hook_real();
		return real.realpath(path, resolved);
	}
	if (path == NULL)
		return hook_leave_ptr(NULL, EINVAL);
	if ((out = ws_path()) == NULL)
		return hook_leave_ptr(NULL, ENOMEM);
	if ((r = vfs_realpath(path, out)) < 0)
		return hook_leave_ptr(NULL, -r);
	if (resolved == NULL) {
		if ((resolved = strdup(out)) == NULL)
			return hook_leave_ptr(NULL, ENOMEM);
	} else if ((size_t)r >= PATH_MAX)
		return hook_leave_ptr(NULL, ENAMETOOLONG);
	else
		memcpy(resolved, out, (size_t)r + 1);
	return hook_leave_ptr(resolved, 0);
}

RT_EXPORT char *
realpath(const char *path, char *resolved)
{
	return hook_realpath(path, resolved);
}

RT_EXPORT char *
__realpath_chk(const char *path, char *resolved, size_t buflen)
{
	if (resolved != NULL && buflen < PATH_MAX)
		abort();
	return hook_realpath(path, resolved);
}

RT_EXPORT char *
canonicalize_file_name(const char *path)
{
	return hook_realpath(path, NULL);
}

/* ---- file systems, xattrs, watches ------------------------------------- */

RT_EXPORT int
statfs(const char *path, struct statfs *sf)
{
	if (!hook_enter()) {
		hook_real();
		return real.statfs(path, sf);
	}
	return (int)hook_leave(vfs_statfs(path, sf));
}

RT_EXPORT int
statfs64(const char *path, struct statfs64 *sf)
{
	return statfs(path, (struct statfs *)sf);
}

RT_EXPORT int
statvfs(const char *path, struct statvfs *sf)
{
	if (!hook_enter()) {
		hook_real();
		return real.statvfs(path, sf);
	}
	return (int)hook_leave(vfs_statvfs(path, sf));
}

RT_EXPORT int
statvfs64(const char *path, struct statvfs64 *sf)
{
	return statvfs(path, (struct statvfs *)sf);
}

RT_EXPORT ssize_t
getxattr(const char *path, const char *name, void *value, size_t size)
{
	if (!hook_enter()) {
		hook_real();
		return real.getxattr(path, name, value, size);
	}
	return hook_leave(vfs_xattr(VFS_XA_GET, path, 1, name, value, size,
	    0));
}

RT_EXPORT ssize_t
lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	if (!hook_enter()) {
		hook_real();
		return real.lgetxattr(path, name, value, size);
	}
	return hook_leave(vfs_xattr(VFS_XA_GET, path, 0, name, value, size,
	    0));
}

RT_EXPORT ssize_t
listxattr(const char *path, char *list, size_t size)
{
	if (!hook_enter()) {
		hook_real();
		return real.listxattr(path, list, size);
	}
	return hook_leave(vfs_xattr(VFS_XA_LIST, path, 1, NULL, list, size,
	    0));
}

RT_EXPORT ssize_t
llistxattr(const char *path, char *list, size_t size)
{
	if (!hook_enter()) {
		hook_real();
		return real.llistxattr(path, list, size);
	}
	return hook_leave(vfs_xattr(VFS_XA_LIST, path, 0, NULL, list, size,
	    0));
}

RT_EXPORT int
inotify_add_watch(int ifd, const char *path, uint32_t mask)
{
	if (!hook_enter()) {
		hook_real();
		return real.inotify_add_watch(ifd, path, mask);
	}
	return (int)hook_leave(vfs_inotify_add_watch(ifd, path, mask));
}

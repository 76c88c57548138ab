/*
 * hook-path: calls that change names and attributes: mkdir, mknod and
 * mkfifo, unlink, rmdir and remove, rename (with renameat2's flags),
 * link, symlink, chmod, chown, the utime family, truncate and the
 * changing xattr calls.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include "flac/rt/hook.h"
#include "flac/rt/vfs.h"

/* ---- making names -------------------------------------------------------- */

static int
hook_mkdirat(int dirfd, const char *path, mode_t mode)
{
	if (!hook_enter()) {
		hook_real();
		return real.mkdirat(dirfd, path, mode);
	}
	return (int)hook_leave(vfs_mkdir(dirfd, path, mode));
}

RT_EXPORT int
mkdir(const char *path, mode_t mode)
{
	return hook_mkdirat(AT_FDCWD, path, mode);
}

RT_EXPORT int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	return hook_mkdirat(dirfd, path, mode);
}

static int
hook_mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	if (!hook_enter()) {
		hook_real();
		return real.mknodat(dirfd, path, mode, dev);
	}
	return (int)hook_leave(vfs_mknod(dirfd, path, mode, dev));
}

RT_EXPORT int
mknod(const char *path, mode_t mode, dev_t dev)
{
	return hook_mknodat(AT_FDCWD, path, mode, dev);
}

RT_EXPORT int
mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	return hook_mknodat(dirfd, path, mode, dev);
}

RT_EXPORT int
__xmknod(int ver, const char *path, mode_t mode, dev_t *dev)
{
	if (ver != 0 || dev == NULL) {
		errno = EINVAL;
		return -1;
	}
	return hook_mknodat(AT_FDCWD, path, mode, *dev);
}

RT_EXPORT int
__xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev)
{
	if (ver != 0 || dev == NULL) {
		errno = EINVAL;
		return -1;
	}
	return hook_mknodat(dirfd, path, mode, *dev);
}

RT_EXPORT int
mkfifo(const char *path, mode_t mode)
{
	return hook_mknodat(AT_FDCWD, path, S_IFIFO | (mode & 07777), 0);
}

RT_EXPORT int
mkfifoat(int dirfd, const char *path, mode_t mode)
{
	return hook_mknodat(dirfd, path, S_IFIFO | (mode & 07777), 0);
}

static int
hook_symlinkat(const char *target, int dirfd, const char *path)
{
	if (!hook_enter()) {
		hook_real();
		return real.symlinkat(target, dirfd, path);
	}
	return (int)hook_leave(vfs_symlink(target, dirfd, path));
}

RT_EXPORT int
symlink(const char *target, const char *path)
{
	return hook_symlinkat(target, AT_FDCWD, path);
}

RT_EXPORT int
symlinkat(const char *target, int dirfd, const char *path)
{
	return hook_symlinkat(target, dirfd, path);
}

static int
hook_linkat(int odirfd, const char *opath, int ndirfd, const char *npath,
    int flags)
{
	if (hook_empty_path(opath, flags) ||
	    !hook_enter()) {
		hook_real();
		return real.linkat(odirfd, opath, ndirfd, npath, flags);
	}
	return (int)hook_leave(vfs_link(odirfd, opath, ndirfd, npath, flags));
}

RT_EXPORT int
link(const char *opath, const char *npath)
{
	return hook_linkat(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

RT_EXPORT int
linkat(int odirfd, const char *opath, int ndirfd, const char *npath,
    int flags)
{
	return hook_linkat(odirfd, opath, ndirfd, npath, flags);
}

/* ---- removing and renaming ---------------------------------------------- */

static int
hook_unlinkat(int dirfd, const char *path, int flags)
{
	if (!hook_enter()) {
		hook_real();
		return real.unlinkat(dirfd, path, flags);
	}
	return (int)hook_leave(vfs_unlink(dirfd, path, flags));
}

RT_EXPORT int
unlink(const char *path)
{
	return hook_unlinkat(AT_FDCWD, path, 0);
}

RT_EXPORT int
unlinkat(int dirfd, const char *path, int flags)
{
	return hook_unlinkat(dirfd, path, flags);
}

RT_EXPORT int
rmdir(const char *path)
{
	return hook_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

RT_EXPORT int
remove(const char *path)
{
	int r;

	if (!hook_enter()) {
		hook_real();
		r = real.unlinkat(AT_FDCWD, path, 0);
		if (r != 0 && errno == EISDIR)
			r = real.unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
		return r;
	}
	return (int)hook_leave(vfs_remove(path));
}

static int
hook_renameat2(int odirfd, const char *opath, int ndirfd, const char *npath,
    unsigned flags)
{
	if (!hook_enter()) {
		hook_real();
		return real.renameat2(odirfd, opath, ndirfd, npath, flags);
	}
	return (int)hook_leave(vfs_rename(odirfd, opath, ndirfd, npath,
	    flags));
}

RT_EXPORT int
rename(const char *opath, const char *npath)
{
	return hook_renameat2(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

RT_EXPORT int
renameat(int odirfd, const char *opath, int ndirfd, const char *npath)
{
	return hook_renameat2(odirfd, opath, ndirfd, npath, 0);
}

RT_EXPORT int
renameat2(int odirfd, const char *opath, int ndirfd, const char *npath,
    unsigned flags)
{
	return hook_renameat2(odirfd, opath, ndirfd, npath, flags);
}

/* ---- attributes -------------------------------------------------------- */

static int
hook_fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	if (!hook_enter()) {
		hook_real();
		return real.fchmodat(dirfd, path, mode, flags);
	}
	return (int)hook_leave(vfs_chmod(dirfd, path, mode, flags));
}

RT_EXPORT int
chmod(const char *path, mode_t mode)
{
	return hook_fchmodat(AT_FDCWD, path, mode, 0);
}

RT_EXPORT int
lchmod(const char *path, mode_t mode)
{
	return hook_fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	return hook_fchmodat(dirfd, path, mode, flags);
}

static int
hook_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	if (hook_empty_path(path, flags) ||
	    !hook_enter()) {
		hook_real();
		return real.fchownat(dirfd, path, uid, gid, flags);
	}
	return (int)hook_leave(vfs_chown(dirfd, path, uid, gid, flags));
}

RT_EXPORT int
chown(const char *path, uid_t uid, gid_t gid)
{
	return hook_fchownat(AT_FDCWD, path, uid, gid, 0);
}

RT_EXPORT int
lchown(const char *path, uid_t uid, gid_t gid)
{
	return hook_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	return hook_fchownat(dirfd, path, uid, gid, flags);
}

static int
hook_utimensat(int dirfd, const char *path, const struct timespec ts[2],
    int flags)
{
	/* a NULL path is futimens(dirfd) */
	if (path == NULL || !hook_enter()) {
		hook_real();
		return real.utimensat(dirfd, path, ts, flags);
	}
	return (int)hook_leave(vfs_utimens(dirfd, path, ts, flags));
}

RT_EXPORT int
utimensat(int dirfd, const char *path, const struct timespec ts[2],
    int flags)
{
	return hook_utimensat(dirfd, path, ts, flags);
}

/* timeval pairs to timespec pairs; NULL stays NULL (now). */
static const struct timespec *
hook_tv(const struct timeval tv[2], struct timespec ts[2])
{
	if (tv == NULL)
		return NULL;
	ts[0].tv_sec = tv[0].tv_sec;
	ts[0].tv_nsec = tv[0].tv_usec * 1000;
	ts[1].tv_sec = tv[1].tv_sec;
	ts[1].tv_nsec = tv[1].tv_usec * 1000;
	return ts;
}

RT_EXPORT int
utimes(const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	return hook_utimensat(AT_FDCWD, path, hook_tv(tv, ts), 0);
}

RT_EXPORT int
lutimes(const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	return hook_utimensat(AT_FDCWD, path, hook_tv(tv, ts),
	    AT_SYMLINK_NOFOLLOW);
}

RT_EXPORT int
futimesat(int dirfd, const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	return hook_utimensat(dirfd, path, hook_tv(tv, ts), 0);
}

RT_EXPORT int
utime(const char *path, const struct utimbuf *ub)
{
	struct timespec ts[2];

	if (ub == NULL)
		return hook_utimensat(AT_FDCWD, path, NULL, 0);
	ts[0].tv_sec = ub->actime;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = ub->modtime;
	ts[1].tv_nsec = 0;
	return hook_utimensat(AT_FDCWD, path, ts, 0);
}

RT_EXPORT int
truncate(const char *path, off_t len)
{
	if (!hook_enter()) {
		hook_real();
		return real.truncate(path, len);
	}
	return (int)hook_leave(vfs_truncate(path, len));
}

RT_EXPORT int
truncate64(const char *path, off64_t len)
{
	return truncate(path, (off_t)len);
}

RT_EXPORT int
setxattr(const char *path, const char *name, const void *value,
    size_t size, int flags)
{
	if (!hook_enter()) {
		hook_real();
		return real.setxattr(path, name, value, size, flags);
	}
	return (int)hook_leave(vfs_xattr(VFS_XA_SET, path, 1, name,
	    (void *)(uintptr_t)value, size, flags));
}

RT_EXPORT int
lsetxattr(const char *path, const char *name, const void *value,
    size_t size, int flags)
{
	if (!hook_enter()) {
		hook_real();
		return real.lsetxattr(path, name, value, size, flags);
	}
	return (int)hook_leave(vfs_xattr(VFS_XA_SET, path, 0, name,
	    (void *)(uintptr_t)value, size, flags));
}

RT_EXPORT int
removexattr(const char *path, const char *name)
{
	if (!hook_enter()) {
		hook_real();
		return real.removexattr(path, name);
	}
	return (int)hook_leave(vfs_xattr(VFS_XA_REMOVE, path, 1, name, NULL,
	    0, 0));
}

RT_EXPORT int
lremovexattr(const char *path, const char *name)
{
	if (!hook_enter()) {
		hook_real();
		return real.lremovexattr(path, name);
	}
	return (int)hook_leave(vfs_xattr(VFS_XA_REMOVE, path, 0, name, NULL,
	    0, 0));
}

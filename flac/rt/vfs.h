/*
 * vfs: the file operations of a program, on paths of the name space.
 * Each takes what the libc call takes (a directory fd and a path for the
 * *at forms) and returns a count, an fd or 0, or -errno.  The hooks call
 * these only when a name space is in force and it is not plain local().
 *
 * Symbolic links: a link at the end of a path is followed in the name
 * space (its target is a path of the name space), and so is every link
 * before a ".." component; links in the middle of a path are left to the
 * kernel, inside the service that holds the path (docs/design/flac.md).
 */
#ifndef FLAC_RT_VFS_H
#define FLAC_RT_VFS_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "flac/rt/rt.h"

/* The path of the name space for (dirfd, path), into out[RT_PATH_MAX]. */
int	vfs_abs(int dirfd, const char *path, char *out);
/* Replaces vp by the target of the link found at real path lnk. */
int	vfs_follow_link(char *vp, const char *lnk);
/* realpath(3) in the name space; out[RT_PATH_MAX]. */
int	vfs_realpath(const char *path, char *out);

int	vfs_open(int dirfd, const char *path, int flags, mode_t mode);
int	vfs_stat(int dirfd, const char *path, struct stat *st, int flags);
int	vfs_statx(int dirfd, const char *path, int flags, unsigned mask,
	    struct statx *stx);
int	vfs_access(int dirfd, const char *path, int mode, int flags);
ssize_t	vfs_readlink(int dirfd, const char *path, char *buf, size_t sz);
int	vfs_mkdir(int dirfd, const char *path, mode_t mode);
int	vfs_mknod(int dirfd, const char *path, mode_t mode, dev_t dev);
int	vfs_unlink(int dirfd, const char *path, int flags);
int	vfs_remove(const char *path);
int	vfs_rename(int odirfd, const char *opath, int ndirfd,
	    const char *npath, unsigned flags);
int	vfs_link(int odirfd, const char *opath, int ndirfd, const char *npath,
	    int flags);
int	vfs_symlink(const char *target, int dirfd, const char *path);
int	vfs_chmod(int dirfd, const char *path, mode_t mode, int flags);
int	vfs_chown(int dirfd, const char *path, uid_t uid, gid_t gid,
	    int flags);
int	vfs_utimens(int dirfd, const char *path, const struct timespec ts[2],
	    int flags);
int	vfs_truncate(const char *path, off_t len);
int	vfs_statfs(const char *path, struct statfs *sf);
int	vfs_statvfs(const char *path, struct statvfs *sf);

enum vfs_xattr_op {
	VFS_XA_GET = 0,
	VFS_XA_LIST,
	VFS_XA_SET,
	VFS_XA_REMOVE,
};
/* The xattr calls; follow: not the l* forms. */
ssize_t	vfs_xattr(enum vfs_xattr_op op, const char *path, int follow,
	    const char *name, void *value, size_t size, int flags);
int	vfs_inotify_add_watch(int ifd, const char *path, uint32_t mask);

int	vfs_chdir(const char *path);
int	vfs_fchdir(int fd);
/* The real path a path of the name space is found at (following the
 * last link when follow), for a call that can only be made on a real
 * one; a synthetic directory gives the empty directory. */
int	vfs_real_of(const char *path, int follow, char *real);

#endif

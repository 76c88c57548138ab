/*
 * svc-local: local(), the file system of this machine.  Paths are real
 * absolute paths; a handle is a real descriptor.  Available when the
 * tree's root is a directory that can be searched: a tree that was
 * removed, replaced by a file or made unsearchable (for someone who is
 * not root) is "not now".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flac/daemon/svc.h"

static int
local_start(struct svc *s)
{
	(void)s;
	return 0;
}

static void
local_stop(struct svc *s)
{
	(void)s;
}

static int
local_isavailable(struct svc *s, const char *root)
{
	struct stat st;

	(void)s;
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	return access(root, X_OK) == 0 ? 1 : 0;
}

static int
local_stat(struct svc *s, const char *path, struct stat *st)
{
	(void)s;
	return lstat(path, st) == 0 ? 0 : -errno;
}

static int
local_open(struct svc *s, const char *path, int flags, mode_t mode)
{
	int fd;

	(void)s;
	fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode);
	return fd >= 0 ? fd : -errno;
}

static ssize_t
local_pread(struct svc *s, int h, void *buf, size_t n, uint64_t off)
{
	ssize_t k;

	(void)s;
	do
		k = pread(h, buf, n, (off_t)off);
	while (k < 0 && errno == EINTR);
	return k >= 0 ? k : -errno;
}

static ssize_t
local_pwrite(struct svc *s, int h, const void *buf, size_t n, uint64_t off)
{
	ssize_t k;

	(void)s;
	do
		k = pwrite(h, buf, n, (off_t)off);
	while (k < 0 && errno == EINTR);
	return k >= 0 ? k : -errno;
}

static int
local_fsync(struct svc *s, int h)
{
	(void)s;
	return fsync(h) == 0 ? 0 : -errno;
}

static int
local_close(struct svc *s, int h)
{
	(void)s;
	return close(h) == 0 ? 0 : -errno;
}

static int
local_readdir(struct svc *s, const char *path, svc_dirent_fn fn, void *arg)
{
	struct dirent *de;
	DIR *d;
	int r = 0;

	(void)s;
	if ((d = opendir(path)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    (r = fn(arg, de->d_name)) != 0)
			break;
	closedir(d);
	return r;
}

static int
local_mkdir(struct svc *s, const char *path, mode_t mode)
{
	(void)s;
	return mkdir(path, mode) == 0 ? 0 : -errno;
}

static int
local_unlink(struct svc *s, const char *path)
{
	(void)s;
	return unlink(path) == 0 ? 0 : -errno;
}

static int
local_rmdir(struct svc *s, const char *path)
{
	(void)s;
	return rmdir(path) == 0 ? 0 : -errno;
}

static int
local_rename(struct svc *s, const char *from, const char *to)
{
	(void)s;
	return rename(from, to) == 0 ? 0 : -errno;
}

static int
local_setattr(struct svc *s, const char *path, mode_t mode,
    const struct timespec times[2])
{
	(void)s;
	if (mode != (mode_t)-1 && chmod(path, mode & 07777) != 0)
		return -errno;
	if (times != NULL && utimensat(AT_FDCWD, path, times,
	    AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	return 0;
}

const struct svc_ops svc_local_ops = {
	.name = "local",
	.start = local_start,
	.stop = local_stop,
	.isavailable = local_isavailable,
	.stat = local_stat,
	.open = local_open,
	.pread = local_pread,
	.pwrite = local_pwrite,
	.fsync = local_fsync,
	.close = local_close,
	.readdir = local_readdir,
	.mkdir = local_mkdir,
	.unlink = local_unlink,
	.rmdir = local_rmdir,
	.rename = local_rename,
	.setattr = local_setattr,
};

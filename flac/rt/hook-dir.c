/*
 * hook-dir: directory streams.  opendir and fdopendir give a libc DIR
 * for a directory one real directory serves, and a merged stream
 * (dir.c) for any other; every other call tells them apart.  scandir and
 * glob are glibc functions that open directories inside: scandir is done
 * again here over the hooks, and glob is given them as GLOB_ALTDIRFUNC.
 */
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flac/rt/dir.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/hook.h"

RT_EXPORT DIR *
opendir(const char *path)
{
	DIR *d;
	int err = 0;

	if (!hook_enter()) {
		hook_real();
		return real.opendir(path);
	}
	d = dir_open(path, &err);
	return hook_leave_ptr(d, err);
}

RT_EXPORT DIR *
fdopendir(int fd)
{
	DIR *d;
	int err = 0;

	if (!hook_enter()) {
		hook_real();
		return real.fdopendir(fd);
	}
	d = dir_fdopen(fd, &err);
	return hook_leave_ptr(d, err);
}

RT_EXPORT int
closedir(DIR *d)
{
	int fd, r;

	if (dir_is_ours(d)) {
		r = dir_close((struct dir_stream *)(void *)d);
		if (r < 0) {
			errno = -r;
			return -1;
		}
		return 0;
	}
	hook_real();
	if ((fd = real.dirfd(d)) >= 0 && fdtab_has(fd))
		fdtab_push_free(fdtab_take(fd));
	return real.closedir(d);
}

RT_EXPORT struct dirent *
readdir(DIR *d)
{
	if (dir_is_ours(d))
		return (struct dirent *)(void *)dir_read((struct dir_stream *)
		    (void *)d);
	hook_real();
	return real.readdir(d);
}

RT_EXPORT struct dirent64 *
readdir64(DIR *d)
{
	if (dir_is_ours(d))
		return dir_read((struct dir_stream *)(void *)d);
	hook_real();
	return real.readdir64(d);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
RT_EXPORT int
readdir_r(DIR *d, struct dirent *entry, struct dirent **result)
{
	struct dirent64 *e;

	if (!dir_is_ours(d)) {
		hook_real();
		return real.readdir_r(d, entry, result);
	}
	if ((e = dir_read((struct dir_stream *)(void *)d)) == NULL) {
		*result = NULL;
		return 0;
	}
	memcpy(entry, e, offsetof(struct dirent64, d_name) +
	    strlen(e->d_name) + 1);
	*result = entry;
	return 0;
}

RT_EXPORT int
readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result)
{
	return readdir_r(d, (struct dirent *)(void *)entry,
	    (struct dirent **)(void *)result);
}
#pragma GCC diagnostic pop

RT_EXPORT void
rewinddir(DIR *d)
{
	if (dir_is_ours(d)) {
		dir_rewind((struct dir_stream *)(void *)d);
		return;
	}
	hook_real();
	real.rewinddir(d);
}

RT_EXPORT long
telldir(DIR *d)
{
	if (dir_is_ours(d))
		return dir_tell((struct dir_stream *)(void *)d);
	hook_real();
	return real.telldir(d);
}

RT_EXPORT void
seekdir(DIR *d, long pos)
{
	if (dir_is_ours(d)) {
		dir_seek((struct dir_stream *)(void *)d, pos);
		return;
	}
	hook_real();
	real.seekdir(d, pos);
}

RT_EXPORT int
dirfd(DIR *d)
{
	if (dir_is_ours(d))
		return ((struct dir_stream *)(void *)d)->fd;
	hook_real();
	return real.dirfd(d);
}

/* ---- scandir ---------------------------------------------------------- */

typedef int (*hook_dfilter)(const struct dirent *);
typedef int (*hook_dcmp)(const struct dirent **, const struct dirent **);

static __thread hook_dcmp hook_cmp;

static int
hook_qcmp(const void *a, const void *b)
{
	return hook_cmp((const struct dirent **)a, (const struct dirent **)b);
}

/* scandir over d (closed here); the hooks do the name space's part. */
static int
hook_scan(DIR *d, struct dirent ***list, hook_dfilter filter, hook_dcmp cmp)
{
	struct dirent *e, *c, **v = NULL, **nv;
	size_t n = 0, cap = 0, sz;
	int err;

	if (d == NULL)
		return -1;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (filter != NULL && !filter(e)) {
			errno = 0;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof *v)) == NULL)
				goto fail;
			v = nv;
		}
		sz = offsetof(struct dirent, d_name) + strlen(e->d_name) + 1;
		if ((c = malloc(sz < sizeof *c ? sz : sizeof *c)) == NULL)
			goto fail;
		memcpy(c, e, sz < sizeof *c ? sz : sizeof *c);
		c->d_reclen = (unsigned short)sz;
		v[n++] = c;
		errno = 0;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (cmp != NULL && n > 1) {
		hook_cmp = cmp;
		qsort(v, n, sizeof *v, hook_qcmp);
	}
	*list = v;
	return (int)n;
fail:
	err = errno;
	while (n > 0)
		free(v[--n]);
	free(v);
	closedir(d);
	errno = err;
	return -1;
}

RT_EXPORT int
scandir(const char *path, struct dirent ***list, hook_dfilter filter,
    hook_dcmp cmp)
{
	return hook_scan(opendir(path), list, filter, cmp);
}

RT_EXPORT int
scandir64(const char *path, struct dirent64 ***list,
    int (*filter)(const struct dirent64 *),
    int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	union {
		int (*f64)(const struct dirent64 *);
		hook_dfilter f;
	} uf = { .f64 = filter };
	union {
		int (*c64)(const struct dirent64 **, const struct dirent64 **);
		hook_dcmp c;
	} uc = { .c64 = cmp };

	return hook_scan(opendir(path), (struct dirent ***)(void *)list,
	    uf.f, uc.c);
}

RT_EXPORT int
scandirat(int dirfd, const char *path, struct dirent ***list,
    hook_dfilter filter, hook_dcmp cmp)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	return hook_scan(d, list, filter, cmp);
}

RT_EXPORT int
scandirat64(int dirfd, const char *path, struct dirent64 ***list,
    int (*filter)(const struct dirent64 *),
    int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	union {
		int (*f64)(const struct dirent64 *);
		hook_dfilter f;
	} uf = { .f64 = filter };
	union {
		int (*c64)(const struct dirent64 **, const struct dirent64 **);
		hook_dcmp c;
	} uc = { .c64 = cmp };

	return scandirat(dirfd, path, (struct dirent ***)(void *)list, uf.f,
	    uc.c);
}

/* ---- glob ----------------------------------------------------------- */

static void *
hook_glob_opendir(const char *path)
{
	return opendir(path);
}

static struct dirent *
hook_glob_readdir(void *d)
{
	return readdir(d);
}

static void
hook_glob_closedir(void *d)
{
	closedir(d);
}

static int
hook_glob_stat(const char *path, struct stat *st)
{
	return stat(path, st);
}

static int
hook_glob_lstat(const char *path, struct stat *st)
{
	return lstat(path, st);
}

static int
hook_glob(const char *pat, int flags, int (*errfunc)(const char *, int),
    glob_t *g)
{
	hook_real();
	if (rt.active && !rt.identity && !hook_busy &&
	    !(flags & GLOB_ALTDIRFUNC)) {
		g->gl_opendir = hook_glob_opendir;
		g->gl_readdir = hook_glob_readdir;
		g->gl_closedir = hook_glob_closedir;
		g->gl_stat = hook_glob_stat;
		g->gl_lstat = hook_glob_lstat;
		flags |= GLOB_ALTDIRFUNC;
	}
	return real.glob(pat, flags, errfunc, g);
}

RT_EXPORT int
glob(const char *pat, int flags, int (*errfunc)(const char *, int),
    glob_t *g)
{
	return hook_glob(pat, flags, errfunc, g);
}

RT_EXPORT int
glob64(const char *pat, int flags, int (*errfunc)(const char *, int),
    glob64_t *g)
{
	return hook_glob(pat, flags, errfunc, (glob_t *)(void *)g);
}

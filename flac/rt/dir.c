/* dir: see dir.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flac/rt/dir.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/vfs.h"

#define DIR_MAXLINKS	40

/*
 * 1 when the directory (v, f) is all in one real directory: found in the
 * last layer (the ones above have nothing there, so no whiteout either),
 * with no synthetic layer above and no cut name to leave out.
 */
static int
dir_single(const struct rt_view *v, const struct rt_found *f)
{
	const struct rt_layer *L;

	if (f->synth || f->layer != v->n - 1 || f->first != f->layer)
		return 0;
	L = &v->l[f->layer];
	return L->kind == RL_LOCAL && L->nhide == 0;
}

/* A stream over the merged listing of (v, f); takes fd (or -1). */
static DIR *
dir_merged(const struct rt_view *v, const struct rt_found *f, const char *vp,
    int fd, int *err)
{
	struct dir_stream *d;
	int r;

	if ((d = calloc(1, sizeof *d)) == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	if ((r = layer_list(v, f, vp, &d->l)) < 0) {
		free(d);
		*err = -r;
		return NULL;
	}
	if (fd < 0) {
		/* dirfd(): the first real directory, or the empty one */
		fd = d->l.realfd;
		d->l.realfd = -1;
		if (fd < 0)
			fd = rt_ops.openat(AT_FDCWD, rt.emptydir, O_RDONLY |
			    O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			*err = errno;
			layer_list_free(&d->l);
			free(d);
			return NULL;
		}
	}
	d->fd = fd;
	d->magic = DIR_MAGIC;
	fdtab_set(fd, vp);
	return (DIR *)(void *)d;
}

DIR *
dir_open(const char *path, int *err)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	DIR *d = NULL;
	int r, fd, hops;

	if (vp == NULL || v == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	if ((r = vfs_abs(AT_FDCWD, path, vp)) < 0)
		goto fail;
	for (hops = 0; hops <= DIR_MAXLINKS; hops++) {
		if ((r = view_resolve(vp, FLAC_OP_OTHER, v)) < 0)
			goto fail;
		if (view_simple(v) && v->l[0].nhide == 0) {
			fd = rt_ops.openat(AT_FDCWD, v->l[0].path, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && errno == ELOOP && layer_find(v, &f) == 0 &&
			    S_ISLNK(f.st.st_mode)) {
				if ((r = vfs_follow_link(vp, f.real)) < 0)
					goto fail;
				continue;
			}
			if (fd < 0) {
				r = -errno;
				goto fail;
			}
			if ((d = rt_ops.fdopendir(fd)) == NULL) {
				r = -errno;
				rt_ops.close(fd);
				goto fail;
			}
			fdtab_set(fd, vp);
			ws_release(mark);
			return d;
		}
		if ((r = layer_find(v, &f)) < 0)
			goto fail;
		if (!f.synth && S_ISLNK(f.st.st_mode)) {
			if ((r = vfs_follow_link(vp, f.real)) < 0)
				goto fail;
			continue;
		}
		if (!f.synth && !S_ISDIR(f.st.st_mode)) {
			r = -ENOTDIR;
			goto fail;
		}
		if (dir_single(v, &f)) {
			/* only the last layer has it: its own listing */
			if ((fd = rt_ops.openat(AT_FDCWD, f.real, O_RDONLY |
			    O_DIRECTORY | O_CLOEXEC)) < 0) {
				r = -errno;
				goto fail;
			}
			if ((d = rt_ops.fdopendir(fd)) == NULL) {
				r = -errno;
				rt_ops.close(fd);
				goto fail;
			}
			fdtab_set(fd, vp);
			ws_release(mark);
			return d;
		}
		d = dir_merged(v, &f, vp, -1, err);
		ws_release(mark);
		return d;
	}
	r = -ELOOP;
fail:
	ws_release(mark);
	*err = -r;
	return NULL;
}

DIR *
dir_fdopen(int fd, int *err)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	DIR *d;
	int r;

	if (vp == NULL || v == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	if (fdtab_get(fd, vp, RT_PATH_MAX) < 0 ||
	    view_resolve(vp, FLAC_OP_OTHER, v) < 0 ||
	    (view_simple(v) && v->l[0].nhide == 0) ||
	    (layer_memo_peek(v) == v->n - 1 && v->l[v->n - 1].nhide == 0)) {
		/* one real directory serves it (the last layer, as the memo
		   of its lookup says): the fd is on it already */
		ws_release(mark);
		if ((d = rt_ops.fdopendir(fd)) == NULL)
			*err = errno;
		return d;
	}
	if ((r = layer_find(v, &f)) < 0) {
		ws_release(mark);
		*err = -r;
		return NULL;
	}
	if (!f.synth && !S_ISDIR(f.st.st_mode)) {
		/* fdopendir(3) on what is not a directory */
		ws_release(mark);
		*err = ENOTDIR;
		return NULL;
	}
	if (dir_single(v, &f)) {
		ws_release(mark);
		if ((d = rt_ops.fdopendir(fd)) == NULL)
			*err = errno;
		return d;
	}
	d = dir_merged(v, &f, vp, fd, err);
	ws_release(mark);
	return d;
}

struct dirent64 *
dir_read(struct dir_stream *d)
{
	const struct rt_dent *e;
	size_t n;

	if (d->pos >= d->l.n)
		return NULL;
	e = &d->l.ents[d->pos++];
	n = strlen(e->name);
	if (n >= sizeof d->ent.d_name)
		n = sizeof d->ent.d_name - 1;
	d->ent.d_ino = e->ino;
	d->ent.d_off = (off64_t)d->pos;
	d->ent.d_type = e->type;
	memcpy(d->ent.d_name, e->name, n);
	d->ent.d_name[n] = '\0';
	d->ent.d_reclen = (unsigned short)((offsetof(struct dirent64,
	    d_name) + n + 1 + 7) & ~(size_t)7);
	return &d->ent;
}

int
dir_close(struct dir_stream *d)
{
	int r = 0;

	fdtab_take(d->fd);
	if (rt_ops.close(d->fd) != 0)
		r = -errno;
	layer_list_free(&d->l);
	d->magic = 0;
	free(d);
	return r;
}

void
dir_rewind(struct dir_stream *d)
{
	d->pos = 0;
}

long
dir_tell(struct dir_stream *d)
{
	return (long)d->pos;
}

void
dir_seek(struct dir_stream *d, long pos)
{
	if (pos >= 0 && (size_t)pos <= d->l.n)
		d->pos = (size_t)pos;
}

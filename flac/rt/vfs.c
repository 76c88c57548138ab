/* vfs: see vfs.h; the semantics of the layers are in layer.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/lcache.h"
#include "flac/rt/vfs.h"

#define VFS_MAXLINKS	40
#define VFS_FOLLOW	(-100000)	/* open1: follow the link in vp */

/* ---- paths --------------------------------------------------------------- */

static int vfs_realpath_in(const char *in, char *out, int missing_last);

/*
 * base joined with rel.  Lexical unless rel has "..": then every link up
 * to the last ".." is followed first, as the kernel would.
 */
static int
vfs_join(const char *base, const char *rel, char *out)
{
	char *full, *head;
	const char *s, *last = NULL;
	size_t mark;
	int r;

	if (!rtpath_has_dotdot(rel))
		return base == NULL ? rtpath_norm(rel, out, RT_PATH_MAX) :
		    rtpath_join(base, rel, out, RT_PATH_MAX);
	mark = ws_mark();
	full = ws_path();
	head = ws_path();
	if (full == NULL || head == NULL)
		return -ENOMEM;
	if (rel[0] == '/' || base == NULL)
		r = snprintf(full, RT_PATH_MAX, "%s", rel);
	else
		r = snprintf(full, RT_PATH_MAX, "%s/%s", base, rel);
	if (r < 0 || r >= RT_PATH_MAX) {
		ws_release(mark);
		return -ENAMETOOLONG;
	}
	/* the end of the last ".." component */
	for (s = full; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == full || s[-1] == '/') && (s[2] == '\0' ||
		    s[2] == '/'))
			last = s + 2;
	memcpy(head, full, (size_t)(last - full));
	head[last - full] = '\0';
	while (*last == '/')
		last++;
	if ((r = vfs_realpath_in(head, out, 0)) >= 0)
		r = rtpath_join(out, last, out, RT_PATH_MAX);
	ws_release(mark);
	return r;
}

int
vfs_abs(int dirfd, const char *path, char *out)
{
	char *base, proc[64];
	size_t mark;
	ssize_t n;
	int r;

	if (path == NULL)
		return -EFAULT;
	if (path[0] == '\0')
		return -ENOENT;
	if (path[0] == '/')
		return vfs_join(NULL, path, out);
	mark = ws_mark();
	if ((base = ws_path()) == NULL)
		return -ENOMEM;
	if (dirfd == AT_FDCWD)
		r = cwd_get(base, RT_PATH_MAX);
	else if ((r = fdtab_get(dirfd, base, RT_PATH_MAX)) == -ENOENT) {
		/* not opened through us: the kernel's name for it */
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
		n = rt_ops.readlinkat(AT_FDCWD, proc, base, RT_PATH_MAX - 1);
		if (n < 0)
			r = errno == ENOENT ? -EBADF : -errno;
		else {
			base[n] = '\0';
			r = base[0] == '/' ? 0 : -ENOTDIR;
		}
	}
	if (r >= 0)
		r = vfs_join(base, path, out);
	ws_release(mark);
	return r;
}

/* Replaces vp by the target of the link at real path real (vp's). */
int
vfs_follow_link(char *vp, const char *lnk)
{
	size_t mark = ws_mark();
	char *t = ws_path(), *dir = ws_path();
	ssize_t n;
	int r;

	if (t == NULL || dir == NULL)
		return -ENOMEM;
	if ((n = rt_ops.readlinkat(AT_FDCWD, lnk, t, RT_PATH_MAX - 1)) < 0) {
		r = -errno;
		goto out;
	}
	t[n] = '\0';
	if (n == 0) {
		r = -ENOENT;
		goto out;
	}
	memcpy(dir, vp, rtpath_dirlen(vp));
	dir[rtpath_dirlen(vp)] = '\0';
	r = vfs_join(dir, t, vp);
out:
	ws_release(mark);
	return r < 0 ? r : 0;
}

/*
 * Looks vp up for op; follows links at the end when follow (vp becomes
 * the target).  0 with v and f filled; -ENOENT with v filled (for a
 * creation); -errno.
 */
static int
vfs_lookup(char *vp, enum flac_op op, int follow, struct rt_view *v,
    struct rt_found *f)
{
	int hops, r;

	for (hops = 0;; hops++) {
		if ((r = view_resolve(vp, op, v)) < 0)
			return r;
		if ((r = layer_find(v, f)) != 0)
			return r;
		if (!follow || f->synth || !S_ISLNK(f->st.st_mode))
			return 0;
		if (hops >= VFS_MAXLINKS)
			return -ELOOP;
		if ((r = vfs_follow_link(vp, f->real)) < 0)
			return r;
	}
}

static int
vfs_realpath_in(const char *in, char *out, int missing_last)
{
	size_t mark = ws_mark(), m2, n, rest;
	char *todo = ws_path(), *cand = ws_path(), *lnk = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	const char *p, *c;
	ssize_t ln;
	int links = 0, r = 0;

	if (todo == NULL || cand == NULL || lnk == NULL || v == NULL)
		return -ENOMEM;
	if (strlen(in) >= RT_PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(todo, in);
	strcpy(out, "/");
	p = todo;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 0)
			break;
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			out[rtpath_dirlen(out)] = '\0';
			continue;
		}
		if (strlen(out) + 1 + n + 1 > RT_PATH_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		snprintf(cand, RT_PATH_MAX, "%s%s%.*s", out,
		    strcmp(out, "/") == 0 ? "" : "/", (int)n, c);
		m2 = ws_mark();
		r = view_resolve(cand, FLAC_OP_OTHER, v);
		if (r == 0)
			r = layer_find(v, &f);
		if (r == -ENOENT && missing_last) {
			const char *q = p;

			while (*q == '/')
				q++;
			if (*q == '\0') {
				strcpy(out, cand);
				r = 0;
				ws_release(m2);
				break;
			}
		}
		if (r < 0) {
			ws_release(m2);
			break;
		}
		if (!f.synth && S_ISLNK(f.st.st_mode)) {
			if (++links > VFS_MAXLINKS) {
				r = -ELOOP;
				ws_release(m2);
				break;
			}
			ln = rt_ops.readlinkat(AT_FDCWD, f.real, lnk,
			    RT_PATH_MAX - 1);
			ws_release(m2);
			if (ln < 0) {
				r = -errno;
				break;
			}
			lnk[ln] = '\0';
			rest = strlen(p);
			if ((size_t)ln + 1 + rest + 1 > RT_PATH_MAX) {
				r = -ENAMETOOLONG;
				break;
			}
			/* the link's text, then what was left */
			memmove(todo + ln + 1, p, rest + 1);
			memcpy(todo, lnk, (size_t)ln);
			todo[ln] = '/';
			if (lnk[0] == '/')
				strcpy(out, "/");
			p = todo;
			continue;
		}
		ws_release(m2);
		if (!f.synth && !S_ISDIR(f.st.st_mode)) {
			const char *q = p;

			while (*q == '/')
				q++;
			if (*q != '\0') {
				r = -ENOTDIR;
				break;
			}
		}
		strcpy(out, cand);
	}
	ws_release(mark);
	return r < 0 ? r : (int)strlen(out);
}

int
vfs_realpath(const char *path, char *out)
{
	size_t mark = ws_mark();
	char *vp = ws_path(), *base;
	int r;

	if (vp == NULL)
		return -ENOMEM;
	if (path == NULL)
		r = -EINVAL;
	else if (path[0] == '\0')
		r = -ENOENT;
	else if (path[0] == '/')
		r = vfs_realpath_in(path, out, 0);
	else if ((base = ws_path()) == NULL)
		r = -ENOMEM;
	else if ((r = cwd_get(base, RT_PATH_MAX)) >= 0) {
		if (snprintf(vp, RT_PATH_MAX, "%s/%s", base, path) >=
		    RT_PATH_MAX)
			r = -ENAMETOOLONG;
		else
			r = vfs_realpath_in(vp, out, 0);
	}
	ws_release(mark);
	return r;
}

/* ---- open ---------------------------------------------------------------- */

static enum flac_op
vfs_open_op(const char *vp, int flags)
{
	size_t mark;
	struct rt_view *v;
	struct rt_found f;
	enum flac_op op;
	int r;

	if (flags & O_PATH)
		return FLAC_OP_OTHER;
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		op = FLAC_OP_WRITE;
		break;
	case O_RDWR:
		op = FLAC_OP_READWRITE;
		break;
	default:
		op = FLAC_OP_READ;
		break;
	}
	if (!(flags & O_CREAT) || !rt.opselect)
		return op;
	/* a creation when the name is not there yet */
	mark = ws_mark();
	if ((v = ws_alloc(sizeof *v)) == NULL)
		return op;
	r = view_resolve(vp, FLAC_OP_OTHER, v);
	if (r == 0 && layer_find(v, &f) == -ENOENT)
		op = FLAC_OP_CREATE;
	ws_release(mark);
	return op;
}

/* What an open learnt for the fd table besides the path. */
struct vfs_push {
	const char	*primary;	/* transfer push on close */
	const char	*secondary;
	int		 mod;
	int		 viad;		/* through flacd, between: */
	uint32_t	 psvc, ssvc;
	int		 origin;	/* a copy: report odev, oino */
	unsigned long long odev;
	unsigned long long oino;
};

/* The fd opened at layer i of v: a copy reports where it came from. */
static void
vfs_note_origin(const struct rt_view *v, int i, int fd, struct vfs_push *push)
{
	if (v->n > 1 && i < v->n - 1)
		push->origin = layer_origin(NULL, fd, &push->odev, &push->oino);
}

static void
vfs_note_push(const struct rt_layer *L, int flags, struct vfs_push *push)
{
	if (L->kind != RL_XFER || !(L->mode & FLAC_XFER_PUSH) ||
	    (flags & O_ACCMODE) == O_RDONLY)
		return;
	if (rt.daemon[0] != '\0' && L->path != NULL && L->secpath != NULL) {
		/* flacd pushes, to any service */
		push->primary = L->path;
		push->secondary = L->secpath;
		push->mod = L->pushmod;
		push->viad = 1;
		push->psvc = L->psvc;
		push->ssvc = L->ssvc;
		return;
	}
	if (L->secremote) {
		if (L->pushmod != FLAC_MOD_IGNORE)
			log_once(EVLOG_WARN, "transfer: pushing to a remote "
			    "service needs flacd (not there yet); the update "
			    "stays in the primary");
		return;
	}
	if (L->sec == NULL || L->path == NULL)
		return;
	push->primary = L->path;
	push->secondary = L->sec;
	push->mod = L->pushmod;
}

/* A directory fd for a synthetic directory (the empty directory). */
static int
vfs_open_synth(int flags)
{
	int fd;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
		return (flags & O_CREAT) && (flags & O_EXCL) ? -EEXIST :
		    -EISDIR;
	fd = rt_ops.openat(AT_FDCWD, rt.emptydir, (flags & ~O_NOFOLLOW) |
	    O_DIRECTORY, 0);
	return fd < 0 ? -errno : fd;
}

/* O_TMPFILE: an unnamed file in the directory vp, in its target layer. */
static int
vfs_open_tmpfile(char *vp, int flags, mode_t mode)
{
	size_t mark = ws_mark();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	const char *tp;
	int r, t;

	if (v == NULL)
		return -ENOMEM;
	if ((r = vfs_lookup(vp, FLAC_OP_CREATE, 1, v, &f)) < 0)
		goto out;
	if (f.synth || (!f.synth && !S_ISDIR(f.st.st_mode))) {
		r = f.synth ? -EACCES : -ENOTDIR;
		goto out;
	}
	if ((t = view_target(v)) < 0) {
		r = -EROFS;
		goto out;
	}
	tp = view_real(v, t);
	if (f.layer != t || f.insec) {
		if ((r = layer_mkparents(tp, vp)) < 0 ||
		    (r = layer_copy(f.real, &f.st, tp, 0)) < 0)
			goto out;
	}
	r = rt_ops.openat(AT_FDCWD, tp, flags, mode);
	if (r < 0)
		r = -errno;
out:
	ws_release(mark);
	return r;
}

static int
vfs_all_local(const struct rt_view *v)
{
	int i;

	if (v->kind != RV_LAYERS)
		return 0;
	for (i = 0; i < v->n; i++)
		if (v->l[i].kind != RL_LOCAL)
			return 0;
	return 1;
}

/*
 * A read-only open over local layers: the first layer that opens it
 * answers (no lstat first), unless a layer above hides it.
 */
static int
vfs_open_layers(char *vp, const struct rt_view *v, int flags, mode_t mode,
    struct vfs_push *push)
{
	struct stat st;
	const char *p;
	uint64_t gen, key;
	int i, fd, fl = flags, e, h;

	if (!(flags & O_NOFOLLOW) && !(flags & O_PATH))
		fl |= O_NOFOLLOW;
	/* what answered last time, if nothing changed since */
	for (i = 1; i < v->n && v->n <= 4; i++) {
		if ((key = layer_memo_key(v, i)) == 0 ||
		    !lcache_memo_has(key))
			continue;
		if ((fd = rt_ops.openat(AT_FDCWD, v->l[i].path, fl, mode)) >= 0) {
			vfs_note_origin(v, i, fd, push);
			return fd;
		}
		break;
	}
	gen = rt_generation();
	for (i = 0; i < v->n; i++) {
		p = v->l[i].path;
		if (i < v->n - 1 && lcache_absent(p))
			continue;
		if ((fd = rt_ops.openat(AT_FDCWD, p, fl, mode)) < 0) {
			e = errno;
			if (e == ENOENT || e == ENOTDIR) {
				if (e == ENOENT && i < v->n - 1)
					lcache_note_absent(p, gen);
				continue;
			}
			if (e != ELOOP || fl == flags ||
			    rt_ops.fstatat(AT_FDCWD, p, &st,
			    AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
				return -e;
			/* a link: follow it in the name space */
			if (i > 0 && (h = layer_hidden_above(v, i, p)) != 0)
				return h < 0 ? h : -ENOENT;
			return (e = vfs_follow_link(vp, p)) < 0 ? e : VFS_FOLLOW;
		}
		if (i > 0 && (h = layer_hidden_above(v, i, p)) != 0) {
			rt_ops.close(fd);
			return h < 0 ? h : -ENOENT;
		}
		if (i > 0 && v->n <= 4 && (key = layer_memo_key(v, i)) != 0)
			lcache_memo_put(key, gen);
		vfs_note_origin(v, i, fd, push);
		return fd;
	}
	return -ENOENT;
}

static int
vfs_open1(char *vp, int flags, mode_t mode, struct vfs_push *push)
{
	size_t mark = ws_mark();
	struct rt_view *v = ws_alloc(sizeof *v);
	const struct rt_layer *L;
	struct rt_found f;
	const char *rp;
	int r, fd, t, fl, follow = !(flags & O_NOFOLLOW), writing, li;

	if (v == NULL)
		return -ENOMEM;
	if ((r = view_resolve(vp, vfs_open_op(vp, flags), v)) < 0)
		goto out;
	if (v->kind == RV_NONE || v->kind == RV_FAIL) {
		r = v->kind == RV_NONE ? -ENOENT : -EACCES;
		goto out;
	}
	if (view_simple(v)) {
		/* one real path: open it, and follow a link at its end here */
		fl = flags;
		if (follow && !(flags & O_PATH))
			fl |= O_NOFOLLOW;
		if ((fd = rt_ops.openat(AT_FDCWD, v->l[0].path, fl, mode)) >=
		    0) {
			if (flags & O_CREAT)
				rt_changed();
			r = fd;
			goto out;
		}
		r = -errno;
		if (r == -ELOOP && fl != flags && layer_find(v, &f) == 0 &&
		    S_ISLNK(f.st.st_mode))
			r = (r = vfs_follow_link(vp, f.real)) < 0 ? r : VFS_FOLLOW;
		goto out;
	}
	writing = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	if (!writing && !(flags & O_CREAT) && vfs_all_local(v)) {
		r = vfs_open_layers(vp, v, flags, mode, push);
		goto out;
	}
	r = layer_find(v, &f);
	t = view_target(v);
	if (r == 0) {
		if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
			r = -EEXIST;
			goto out;
		}
		if (f.synth) {
			r = vfs_open_synth(flags);
			goto out;
		}
		if (S_ISLNK(f.st.st_mode) && follow) {
			r = (r = vfs_follow_link(vp, f.real)) < 0 ? r : VFS_FOLLOW;
			goto out;
		}
		L = &v->l[f.layer];
		li = f.layer;
		rp = f.real;
		if (writing && !S_ISDIR(f.st.st_mode) && (f.layer != t ||
		    f.insec) && !(L->kind == RL_XFER && f.insec)) {
			/* copy up into the writable layer */
			if (t < 0) {
				r = -EROFS;
				goto out;
			}
			rp = view_real(v, t);
			if ((r = layer_mkparents(rp, vp)) < 0 ||
			    (r = layer_copy(f.real, &f.st, rp,
			    (flags & O_TRUNC) != 0)) < 0)
				goto out;
			L = &v->l[t];
			li = t;
		} else if (L->kind == RL_XFER) {
			/* pull: a newer copy on the secondary comes first */
			if ((r = layer_pull(L, vp)) < 0)
				goto out;
			if (L->path != NULL && (r > 0 || f.insec))
				rp = L->path;
		}
		if ((fd = rt_ops.openat(AT_FDCWD, rp, flags, mode)) < 0) {
			r = -errno;
			goto out;
		}
		vfs_note_push(L, flags, push);
		if (S_ISREG(f.st.st_mode))
			vfs_note_origin(v, li, fd, push);
		r = fd;
		goto out;
	}
	if (r != -ENOENT || !(flags & O_CREAT))
		goto out;
	/* a new file, in the writable layer */
	if (t < 0) {
		r = v->n > 0 && v->l[0].kind == RL_SYNTH ? -EACCES : -EROFS;
		goto out;
	}
	rp = view_real(v, t);
	if ((r = layer_mkparents(rp, vp)) < 0)
		goto out;
	if ((fd = rt_ops.openat(AT_FDCWD, rp, flags, mode)) < 0) {
		r = -errno;
		goto out;
	}
	layer_unwhiteout(rp);
	rt_changed();
	vfs_note_push(&v->l[t], flags, push);
	r = fd;
out:
	/* the push paths live in ws: vfs_open copies them, then releases */
	if (!(r >= 0 && push->primary != NULL))
		ws_release(mark);
	return r;
}

int
vfs_open(int dirfd, const char *path, int flags, mode_t mode)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct vfs_push push;
	int r, hops;

	if (vp == NULL)
		return -ENOMEM;
	memset(&push, 0, sizeof push);
	if ((r = vfs_abs(dirfd, path, vp)) < 0)
		goto out;
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		r = vfs_open_tmpfile(vp, flags, mode);
		goto done;
	}
	for (hops = 0; hops <= VFS_MAXLINKS; hops++) {
		memset(&push, 0, sizeof push);
		if ((r = vfs_open1(vp, flags, mode, &push)) != VFS_FOLLOW)
			break;
		if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
			r = -EEXIST;
			break;
		}
	}
	if (r == VFS_FOLLOW)
		r = -ELOOP;
done:
	if (r >= 0 && fdtab_set(r, vp) == 0 &&
	    (flags & O_TMPFILE) != O_TMPFILE) {
		if (push.primary != NULL &&
		    fdtab_set_push(r, push.primary, push.secondary,
		    push.mod) == 0 && push.viad)
			fdtab_set_push_svc(r, push.psvc, push.ssvc);
		if (push.origin)
			fdtab_set_origin(r, push.odev, push.oino);
	}
out:
	ws_release(mark);
	return r;
}

/* ---- names and attributes ------------------------------------------------ */

int
vfs_stat(int dirfd, const char *path, struct stat *st, int flags)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = vfs_lookup(vp, FLAC_OP_OTHER, !(flags &
	    AT_SYMLINK_NOFOLLOW), v, &f)) < 0)
		goto out;
	if (f.synth)
		layer_synth_stat(vp, st);
	else {
		*st = f.st;
		if (!view_simple(v) && (r = layer_dir_nlink(v, &f, vp)) > 0)
			st->st_nlink = (nlink_t)r;
		r = 0;
	}
out:
	ws_release(mark);
	return r;
}

static void
vfs_stat_to_statx(const struct stat *st, struct statx *x)
{
	memset(x, 0, sizeof *x);
	x->stx_mask = STATX_BASIC_STATS;
	x->stx_blksize = (uint32_t)st->st_blksize;
	x->stx_nlink = (uint32_t)st->st_nlink;
	x->stx_uid = st->st_uid;
	x->stx_gid = st->st_gid;
	x->stx_mode = (uint16_t)st->st_mode;
	x->stx_ino = st->st_ino;
	x->stx_size = (uint64_t)st->st_size;
	x->stx_blocks = (uint64_t)st->st_blocks;
	x->stx_atime.tv_sec = st->st_atim.tv_sec;
	x->stx_atime.tv_nsec = (uint32_t)st->st_atim.tv_nsec;
	x->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	x->stx_mtime.tv_nsec = (uint32_t)st->st_mtim.tv_nsec;
	x->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	x->stx_ctime.tv_nsec = (uint32_t)st->st_ctim.tv_nsec;
	x->stx_rdev_major = major(st->st_rdev);
	x->stx_rdev_minor = minor(st->st_rdev);
	x->stx_dev_major = major(st->st_dev);
	x->stx_dev_minor = minor(st->st_dev);
}

int
vfs_statx(int dirfd, const char *path, int flags, unsigned mask,
    struct statx *stx)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r, hops;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0)
		goto out;
	for (hops = 0; hops <= VFS_MAXLINKS; hops++) {
		if ((r = view_resolve(vp, FLAC_OP_OTHER, v)) < 0)
			goto out;
		if (view_simple(v)) {
			/* exact: the real statx, following links here */
			if (rt_ops.statx(AT_FDCWD, v->l[0].path, flags |
			    AT_SYMLINK_NOFOLLOW, mask, stx) != 0) {
				r = -errno;
				goto out;
			}
			if (!S_ISLNK(stx->stx_mode) || (flags &
			    AT_SYMLINK_NOFOLLOW)) {
				r = 0;
				goto out;
			}
			if ((r = vfs_follow_link(vp, v->l[0].path)) < 0)
				goto out;
			continue;
		}
		if ((r = layer_find(v, &f)) < 0)
			goto out;
		if (!f.synth && S_ISLNK(f.st.st_mode) &&
		    !(flags & AT_SYMLINK_NOFOLLOW)) {
			if ((r = vfs_follow_link(vp, f.real)) < 0)
				goto out;
			continue;
		}
		if (f.synth)
			layer_synth_stat(vp, &f.st);
		else if ((r = layer_dir_nlink(v, &f, vp)) > 0)
			f.st.st_nlink = (nlink_t)r;
		vfs_stat_to_statx(&f.st, stx);
		r = 0;
		goto out;
	}
	r = -ELOOP;
out:
	ws_release(mark);
	return r;
}

int
vfs_access(int dirfd, const char *path, int mode, int flags)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = vfs_lookup(vp, FLAC_OP_OTHER, !(flags &
	    AT_SYMLINK_NOFOLLOW), v, &f)) < 0)
		goto out;
	if (mode == F_OK)
		r = 0;
	else if (f.synth)
		r = (mode & W_OK) ? -EACCES : 0;
	else
		r = rt_ops.faccessat(AT_FDCWD, f.real, mode, flags) == 0 ? 0 :
		    -errno;
out:
	ws_release(mark);
	return r;
}

ssize_t
vfs_readlink(int dirfd, const char *path, char *buf, size_t sz)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	ssize_t r;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = view_resolve(vp, FLAC_OP_OTHER, v)) < 0)
		goto out;
	if (view_simple(v))
		r = rt_ops.readlinkat(AT_FDCWD, v->l[0].path, buf, sz);
	else if ((r = layer_find(v, &f)) < 0)
		goto out;
	else if (f.synth)
		r = -EINVAL;
	else
		r = rt_ops.readlinkat(AT_FDCWD, f.real, buf, sz);
	if (r == -1)
		r = -errno;
out:
	ws_release(mark);
	return r;
}

/*
 * Where a new name vp goes: its view for CREATE, checked not to exist;
 * the real path in the writable layer (directories above made), and
 * whether that had a whiteout (removed by the caller after success).
 */
static int
vfs_new_name(char *vp, struct rt_view *v, const char **realp, int *simple)
{
	struct rt_found f;
	const char *t;
	int r, i;

	*simple = 0;
	if ((r = view_resolve(vp, FLAC_OP_CREATE, v)) < 0)
		return r;
	if (v->kind == RV_NONE)
		return -ENOENT;
	if (v->kind == RV_FAIL)
		return -EACCES;
	if (view_simple(v)) {
		*simple = 1;
		*realp = v->l[0].path;
		return 0;
	}
	if ((r = layer_find(v, &f)) == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	if ((i = view_target(v)) < 0)
		return v->l[0].kind == RL_SYNTH ? -EACCES : -EROFS;
	t = view_real(v, i);
	if ((r = layer_mkparents(t, vp)) < 0)
		return r;
	*realp = t;
	return 0;
}

int
vfs_mkdir(int dirfd, const char *path, mode_t mode)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	const char *rp;
	int r, simple;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = vfs_new_name(vp, v, &rp, &simple)) < 0)
		goto out;
	if (rt_ops.mkdirat(AT_FDCWD, rp, mode) != 0) {
		r = -errno;
		goto out;
	}
	/* a directory made where a lower one was removed hides its rest */
	if (!simple && layer_unwhiteout(rp) > 0)
		layer_make_opaque(rp);
	rt_changed();
out:
	ws_release(mark);
	return r;
}

int
vfs_mknod(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	const char *rp;
	int r, simple;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = vfs_new_name(vp, v, &rp, &simple)) < 0)
		goto out;
	if (rt_ops.mknodat(AT_FDCWD, rp, mode, dev) != 0) {
		r = -errno;
		goto out;
	}
	if (!simple)
		layer_unwhiteout(rp);
	rt_changed();
out:
	ws_release(mark);
	return r;
}

int
vfs_symlink(const char *target, int dirfd, const char *path)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	const char *rp;
	int r, simple;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = vfs_new_name(vp, v, &rp, &simple)) < 0)
		goto out;
	if (rt_ops.symlinkat(target, AT_FDCWD, rp) != 0) {
		r = -errno;
		goto out;
	}
	if (!simple)
		layer_unwhiteout(rp);
	rt_changed();
out:
	ws_release(mark);
	return r;
}

/* 1 when a layer after t of v still shows the name (not hidden). */
static int
vfs_lower_has(const struct rt_view *v, int t)
{
	struct stat st;
	const char *p;
	int j;

	for (j = t + 1; j < v->n; j++) {
		if (v->l[j].kind == RL_SYNTH)
			return 1;
		if ((p = view_real(v, j)) == NULL)
			continue;
		if (rt_ops.fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return layer_hidden(view_real(v, t), p) == 0;
		if (v->l[j].kind == RL_XFER && v->l[j].sec != NULL &&
		    rt_ops.fstatat(AT_FDCWD, v->l[j].sec, &st,
		    AT_SYMLINK_NOFOLLOW) == 0)
			return 1;
	}
	return 0;
}

/* 1 when the merged directory (v, f) at vp has entries. */
static int
vfs_dir_nonempty(const struct rt_view *v, const struct rt_found *f,
    const char *vp)
{
	struct rt_listing l;
	int r;

	if ((r = layer_list(v, f, vp, &l)) < 0)
		return r;
	r = l.n > 2;
	layer_list_free(&l);
	return r;
}

/* Removes the name vp (rmdir when dir). */
static int
vfs_remove_vp(char *vp, int dir)
{
	size_t mark = ws_mark();
	struct rt_view *v = ws_alloc(sizeof *v);
	const struct rt_layer *L;
	struct rt_found f;
	struct stat st;
	const char *tp;
	int r, t, xsec;

	if (v == NULL)
		return -ENOMEM;
	if ((r = view_resolve(vp, FLAC_OP_REMOVE, v)) < 0)
		goto out;
	if (view_simple(v)) {
		r = rt_ops.unlinkat(AT_FDCWD, v->l[0].path, dir ?
		    AT_REMOVEDIR : 0) == 0 ? 0 : -errno;
		if (r == 0)
			rt_changed();
		goto out;
	}
	if ((r = layer_find(v, &f)) < 0)
		goto out;
	if (f.synth) {
		r = dir ? -EBUSY : -EISDIR;
		goto out;
	}
	if (dir && !S_ISDIR(f.st.st_mode)) {
		r = -ENOTDIR;
		goto out;
	}
	if (!dir && S_ISDIR(f.st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (dir && (r = vfs_dir_nonempty(v, &f, vp)) != 0) {
		r = r > 0 ? -ENOTEMPTY : r;
		goto out;
	}
	if ((t = view_target(v)) < 0) {
		r = -EROFS;
		goto out;
	}
	tp = view_real(v, t);
	if (f.layer < t) {
		r = -EROFS;
		goto out;
	}
	if (f.layer == t && !f.insec) {
		if (dir)
			layer_clean_dir(tp);
		if (rt_ops.unlinkat(AT_FDCWD, tp, dir ? AT_REMOVEDIR : 0) !=
		    0) {
			r = -errno;
			goto out;
		}
	}
	L = &v->l[t];
	xsec = 0;
	if (L->kind == RL_XFER && L->sec != NULL &&
	    rt_ops.fstatat(AT_FDCWD, L->sec, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* a transfer that pushes carries the removal over; one that
		   only pulls must not bring the file back */
		if ((L->mode & FLAC_XFER_PUSH) && rt_ops.unlinkat(AT_FDCWD,
		    L->sec, dir ? AT_REMOVEDIR : 0) == 0)
			;
		else
			xsec = 1;
	}
	if (f.layer > t || xsec || vfs_lower_has(v, t)) {
		if ((r = layer_mkparents(tp, vp)) < 0 ||
		    (r = layer_whiteout(tp)) < 0)
			goto out;
	}
	rt_changed();
	r = 0;
out:
	ws_release(mark);
	return r;
}

int
vfs_unlink(int dirfd, const char *path, int flags)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	int r;

	if (vp == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) >= 0)
		r = vfs_remove_vp(vp, (flags & AT_REMOVEDIR) != 0);
	ws_release(mark);
	return r;
}

int
vfs_remove(const char *path)
{
	int r = vfs_unlink(AT_FDCWD, path, 0);

	if (r == -EISDIR)
		r = vfs_unlink(AT_FDCWD, path, AT_REMOVEDIR);
	return r;
}

/*
 * Brings the name vp (found as f in v) into the writable layer of v if it
 * is not there, and gives the real path to change: for calls that change
 * a file in place (chmod, truncate, ...).
 */
static int
vfs_copy_up(const char *vp, struct rt_view *v, struct rt_found *f,
    const char **realp)
{
	const char *tp;
	int t, r;

	if (f->synth)
		return -EPERM;
	t = view_target(v);
	if (f->layer == t && !f->insec) {
		*realp = f->real;
		return 0;
	}
	if (t < 0)
		return -EROFS;
	if (v->l[f->layer].kind == RL_XFER && f->layer == t) {
		/* a file only the secondary has: pull it */
		if ((r = layer_pull(&v->l[t], vp)) < 0)
			return r;
		*realp = v->l[t].path;
		return 0;
	}
	tp = view_real(v, t);
	if ((r = layer_mkparents(tp, vp)) < 0 ||
	    (r = layer_copy(f->real, &f->st, tp, 0)) < 0)
		return r;
	*realp = tp;
	return 0;
}

/* Looks (dirfd, path) up for op and copies it up; *realp to change. */
static int
vfs_modify(int dirfd, const char *path, enum flac_op op, int follow,
    const char **realp)
{
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(dirfd, path, vp)) < 0 ||
	    (r = vfs_lookup(vp, op, follow, v, &f)) < 0)
		return r;
	return vfs_copy_up(vp, v, &f, realp);
}

int
vfs_chmod(int dirfd, const char *path, mode_t mode, int flags)
{
	size_t mark = ws_mark();
	const char *rp;
	int r;

	if ((r = vfs_modify(dirfd, path, FLAC_OP_OTHER,
	    !(flags & AT_SYMLINK_NOFOLLOW), &rp)) == 0 &&
	    rt_ops.fchmodat(AT_FDCWD, rp, mode, flags) != 0)
		r = -errno;
	ws_release(mark);
	return r;
}

int
vfs_chown(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	size_t mark = ws_mark();
	const char *rp;
	int r;

	if ((r = vfs_modify(dirfd, path, FLAC_OP_OTHER,
	    !(flags & AT_SYMLINK_NOFOLLOW), &rp)) == 0 &&
	    rt_ops.fchownat(AT_FDCWD, rp, uid, gid, flags &
	    AT_SYMLINK_NOFOLLOW) != 0)
		r = -errno;
	ws_release(mark);
	return r;
}

int
vfs_utimens(int dirfd, const char *path, const struct timespec ts[2],
    int flags)
{
	size_t mark = ws_mark();
	const char *rp;
	int r;

	if ((r = vfs_modify(dirfd, path, FLAC_OP_OTHER,
	    !(flags & AT_SYMLINK_NOFOLLOW), &rp)) == 0 &&
	    rt_ops.utimensat(AT_FDCWD, rp, ts, flags &
	    AT_SYMLINK_NOFOLLOW) != 0)
		r = -errno;
	ws_release(mark);
	return r;
}

int
vfs_truncate(const char *path, off_t len)
{
	size_t mark = ws_mark();
	const char *rp;
	int r;

	if ((r = vfs_modify(AT_FDCWD, path, len == 0 ? FLAC_OP_WRITE :
	    FLAC_OP_READWRITE, 1, &rp)) == 0 &&
	    rt_ops.truncate(rp, len) != 0)
		r = -errno;
	ws_release(mark);
	return r;
}

int
vfs_real_of(const char *path, int follow, char *out)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r;

	if (vp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(AT_FDCWD, path, vp)) < 0 ||
	    (r = vfs_lookup(vp, FLAC_OP_OTHER, follow, v, &f)) < 0)
		goto out;
	snprintf(out, RT_PATH_MAX, "%s", f.synth ? rt.emptydir : f.real);
out:
	ws_release(mark);
	return r;
}

int
vfs_statfs(const char *path, struct statfs *sf)
{
	size_t mark = ws_mark();
	char *rp = ws_path();
	int r;

	if (rp == NULL)
		return -ENOMEM;
	if ((r = vfs_real_of(path, 1, rp)) == 0 &&
	    rt_ops.statfs(rp, sf) != 0)
		r = -errno;
	ws_release(mark);
	return r;
}

int
vfs_statvfs(const char *path, struct statvfs *sf)
{
	size_t mark = ws_mark();
	char *rp = ws_path();
	int r;

	if (rp == NULL)
		return -ENOMEM;
	if ((r = vfs_real_of(path, 1, rp)) == 0 &&
	    rt_ops.statvfs(rp, sf) != 0)
		r = -errno;
	ws_release(mark);
	return r;
}

ssize_t
vfs_xattr(enum vfs_xattr_op op, const char *path, int follow,
    const char *name, void *value, size_t size, int flags)
{
	size_t mark = ws_mark();
	char *rp = ws_path();
	const char *mp;
	ssize_t r;

	if (rp == NULL)
		return -ENOMEM;
	switch (op) {
	case VFS_XA_GET:
	case VFS_XA_LIST:
		if ((r = vfs_real_of(path, follow, rp)) < 0)
			break;
		if (op == VFS_XA_GET)
			r = follow ? rt_ops.getxattr(rp, name, value, size) :
			    rt_ops.lgetxattr(rp, name, value, size);
		else
			r = follow ? rt_ops.listxattr(rp, value, size) :
			    rt_ops.llistxattr(rp, value, size);
		if (r < 0)
			r = -errno;
		break;
	default:
		if ((r = vfs_modify(AT_FDCWD, path, FLAC_OP_OTHER, follow,
		    &mp)) < 0)
			break;
		if (op == VFS_XA_SET)
			r = follow ? rt_ops.setxattr(mp, name, value, size,
			    flags) : rt_ops.lsetxattr(mp, name, value, size,
			    flags);
		else
			r = follow ? rt_ops.removexattr(mp, name) :
			    rt_ops.lremovexattr(mp, name);
		if (r < 0)
			r = -errno;
		break;
	}
	ws_release(mark);
	return r;
}

int
vfs_inotify_add_watch(int ifd, const char *path, uint32_t mask)
{
	size_t mark = ws_mark();
	char *rp = ws_path();
	int r;

	if (rp == NULL)
		return -ENOMEM;
	if ((r = vfs_real_of(path, !(mask & IN_DONT_FOLLOW), rp)) == 0 &&
	    (r = rt_ops.inotify_add_watch(ifd, rp, mask)) < 0)
		r = -errno;
	ws_release(mark);
	return r;
}

/* ---- rename and link ----------------------------------------------------- */

int
vfs_rename(int odirfd, const char *opath, int ndirfd, const char *npath,
    unsigned flags)
{
	size_t mark = ws_mark();
	char *ovp = ws_path(), *nvp = ws_path();
	struct rt_view *ov = ws_alloc(sizeof *ov), *nv = ws_alloc(sizeof *nv);
	struct rt_found of, nf;
	const char *src, *dst;
	int r, ot, nt, nexists, lower_old, lower_new, nwh = 0;

	if (ovp == NULL || nvp == NULL || ov == NULL || nv == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(odirfd, opath, ovp)) < 0 ||
	    (r = vfs_abs(ndirfd, npath, nvp)) < 0 ||
	    (r = view_resolve(ovp, FLAC_OP_REMOVE, ov)) < 0 ||
	    (r = view_resolve(nvp, FLAC_OP_CREATE, nv)) < 0)
		goto out;
	if (view_simple(ov) && view_simple(nv)) {
		r = rt_ops.renameat2(AT_FDCWD, ov->l[0].path, AT_FDCWD,
		    nv->l[0].path, flags) == 0 ? 0 : -errno;
		if (r == 0)
			rt_changed();
		goto out;
	}
	if ((r = layer_find(ov, &of)) < 0)
		goto out;
	if (of.synth) {
		r = -EBUSY;
		goto out;
	}
	r = layer_find(nv, &nf);
	if (r < 0 && r != -ENOENT)
		goto out;
	nexists = r == 0;
	if (nexists && nf.synth) {
		r = -EBUSY;
		goto out;
	}
	if (flags & RENAME_WHITEOUT) {
		r = -EINVAL;
		goto out;
	}
	if (nexists && (flags & RENAME_NOREPLACE)) {
		r = -EEXIST;
		goto out;
	}
	if (strcmp(ovp, nvp) == 0) {
		r = 0;
		goto out;
	}
	ot = view_target(ov);
	nt = view_target(nv);
	if (nt < 0 || ot < 0) {
		r = -EROFS;
		goto out;
	}
	if (nexists) {
		/* what rename(2) checks between the two */
		if (S_ISDIR(of.st.st_mode) && !S_ISDIR(nf.st.st_mode)) {
			r = -ENOTDIR;
			goto out;
		}
		if (!S_ISDIR(of.st.st_mode) && S_ISDIR(nf.st.st_mode)) {
			r = -EISDIR;
			goto out;
		}
		if (S_ISDIR(nf.st.st_mode) &&
		    (r = vfs_dir_nonempty(nv, &nf, nvp)) != 0) {
			r = r > 0 ? -ENOTEMPTY : r;
			goto out;
		}
	}
	lower_old = of.layer != ot || of.insec;
	if (flags & RENAME_EXCHANGE) {
		if (!nexists) {
			r = -ENOENT;
			goto out;
		}
		if (lower_old || nf.layer != nt || nf.insec ||
		    vfs_lower_has(ov, ot) || vfs_lower_has(nv, nt)) {
			r = -EXDEV;
			goto out;
		}
		r = rt_ops.renameat2(AT_FDCWD, of.real, AT_FDCWD, nf.real,
		    flags) == 0 ? 0 : -errno;
		if (r == 0)
			rt_changed();
		goto out;
	}
	/* a directory the writable layer does not hold whole: EXDEV, as
	   overlayfs does; mv(1) copies it then */
	if (S_ISDIR(of.st.st_mode) && (lower_old || vfs_lower_has(ov, ot))) {
		r = -EXDEV;
		goto out;
	}
	dst = view_real(nv, nt);
	if ((r = layer_mkparents(dst, nvp)) < 0)
		goto out;
	lower_new = nexists && (nf.layer != nt || nf.insec);
	if (nexists && S_ISDIR(nf.st.st_mode) && nf.layer == nt &&
	    !nf.insec) {
		/* an empty merged directory: only our whiteouts left in it */
		layer_clean_dir(dst);
	}
	if (lower_old) {
		/* copy it up straight to its new name */
		if ((r = layer_copy(of.real, &of.st, dst, 0)) < 0)
			goto out;
	} else {
		src = view_real(ov, ot);
		if (rt_ops.renameat2(AT_FDCWD, src, AT_FDCWD, dst, 0) != 0) {
			r = -errno;
			goto out;
		}
	}
	/* the new name: no whiteout; a directory over a lower one is
	   opaque */
	nwh = layer_unwhiteout(dst) > 0;
	if (S_ISDIR(of.st.st_mode) && (nwh || lower_new ||
	    vfs_lower_has(nv, nt)))
		layer_make_opaque(dst);
	/* the old name: hidden where a lower layer still has it */
	if (lower_old || vfs_lower_has(ov, ot)) {
		src = view_real(ov, ot);
		if ((r = layer_mkparents(src, ovp)) < 0 ||
		    (r = layer_whiteout(src)) < 0)
			goto out;
	}
	rt_changed();
	r = 0;
out:
	ws_release(mark);
	return r;
}

int
vfs_link(int odirfd, const char *opath, int ndirfd, const char *npath,
    int flags)
{
	size_t mark = ws_mark();
	char *ovp = ws_path();
	char *nvp = ws_path();
	struct rt_view *ov = ws_alloc(sizeof *ov), *nv = ws_alloc(sizeof *nv);
	struct rt_found of;
	const char *src, *dst;
	int r, simple;

	if (ovp == NULL || nvp == NULL || ov == NULL || nv == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(odirfd, opath, ovp)) < 0 ||
	    (r = vfs_abs(ndirfd, npath, nvp)) < 0 ||
	    (r = vfs_lookup(ovp, FLAC_OP_OTHER, (flags & AT_SYMLINK_FOLLOW) !=
	    0, ov, &of)) < 0)
		goto out;
	if (of.synth || S_ISDIR(of.st.st_mode)) {
		r = -EPERM;
		goto out;
	}
	if ((r = vfs_copy_up(ovp, ov, &of, &src)) < 0 ||
	    (r = vfs_new_name(nvp, nv, &dst, &simple)) < 0)
		goto out;
	if (rt_ops.linkat(AT_FDCWD, src, AT_FDCWD, dst, 0) != 0) {
		r = -errno;
		goto out;
	}
	if (!simple)
		layer_unwhiteout(dst);
	rt_changed();
out:
	ws_release(mark);
	return r;
}

/* ---- the working directory ----------------------------------------------- */

int
vfs_chdir(const char *path)
{
	size_t mark = ws_mark();
	char *vp = ws_path(), *rp = ws_path();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r;

	if (vp == NULL || rp == NULL || v == NULL)
		return -ENOMEM;
	if ((r = vfs_abs(AT_FDCWD, path, vp)) < 0 ||
	    (r = vfs_realpath_in(vp, rp, 0)) < 0 ||
	    (r = vfs_lookup(rp, FLAC_OP_OTHER, 1, v, &f)) < 0)
		goto out;
	if (!f.synth && !S_ISDIR(f.st.st_mode)) {
		r = -ENOTDIR;
		goto out;
	}
	if (rt_ops.chdir(f.synth ? rt.emptydir : f.real) != 0) {
		r = -errno;
		goto out;
	}
	cwd_set(rp);
	r = 0;
out:
	ws_release(mark);
	return r;
}

int
vfs_fchdir(int fd)
{
	size_t mark = ws_mark();
	char *vp = ws_path();
	int r;

	if (vp == NULL)
		return -ENOMEM;
	if (rt_ops.fchdir(fd) != 0) {
		r = -errno;
		goto out;
	}
	if (fdtab_get(fd, vp, RT_PATH_MAX) >= 0 ||
	    rt_ops.getcwd(vp, RT_PATH_MAX) != NULL)
		cwd_set(vp);
	r = 0;
out:
	ws_release(mark);
	return r;
}

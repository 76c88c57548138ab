/*
 * layer: the semantics of overlay and transfer on local services.
 *
 * A view (view.c) lists the layers of a path, the first occluding the
 * rest.  A name is looked up layer by layer; the first layer that has it
 * answers, unless a writable layer above it hides it.  Writes go to the
 * first writable layer (the "target"): a file that only a lower layer has
 * is copied up first, with the directories above it; a name removed from
 * a lower layer gets a whiteout in the target.  Lower layers are never
 * written.
 *
 * Whiteouts are the ones of OCI image layers (and aufs): in a writable
 * layer, an empty file ".wh.NAME" hides NAME of the layers below, and an
 * empty file ".wh..wh..opq" in a directory hides everything the layers
 * below have in that directory.  Names starting with ".wh." never show in
 * a merged listing, and the runtime keeps its temporary files of a copy
 * under such names too, so that a half-made copy is never seen.
 *
 * To know whether a lower path l is hidden by a writable layer whose path
 * for the same name is u, the two are compared from the end: the trailing
 * components they share are the part below the overlay, and each of them
 * is checked in u's tree from the top (rtpath_common_tail).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/daemon/proto.h"
#include "flac/rt/lcache.h"
#include "flac/rt/rt.h"

/* ---- lookups ------------------------------------------------------------ */

static int
layer_lstat(const char *p, struct stat *st)
{
	return rt_ops.fstatat(AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 :
	    -errno;
}

/* lstat of a path in a writable layer, through the absence cache. */
int
layer_lstat_upper(const char *p, struct stat *st)
{
	uint64_t gen;
	int r;

	if (lcache_absent(p))
		return -ENOENT;
	gen = rt_generation();
	r = layer_lstat(p, st);
	if (r == -ENOENT)
		lcache_note_absent(p, gen);
	return r;
}

int
layer_hidden(const char *u, const char *l)
{
	char *d = ws_path(), *w = ws_path();
	struct stat st;
	size_t uroot, lroot, dl, cl;
	const char *c, *e;
	int k, i, r;

	if (d == NULL || w == NULL)
		return -ENOMEM;
	if ((k = rtpath_common_tail(u, l, &uroot, &lroot)) == 0)
		return 0;
	memcpy(d, u, uroot);
	d[uroot] = '\0';
	if (uroot == 0)
		strcpy(d, "/");
	c = u + uroot + 1;		/* first shared component */
	for (i = 1; i <= k; i++) {
		e = strchr(c, '/');
		cl = e != NULL ? (size_t)(e - c) : strlen(c);
		dl = strlen(d);
		if (dl + 1 + RT_WH_PREFIX_LEN + cl + 1 > RT_PATH_MAX)
			return -ENAMETOOLONG;
		/* d/NAME: if the writable layer has it, no whiteout can */
		memcpy(w, d, dl);
		if (dl == 1)
			dl = 0;
		w[dl] = '/';
		memcpy(w + dl + 1, c, cl);
		w[dl + 1 + cl] = '\0';
		r = layer_lstat_upper(w, &st);
		if (r == -ENOENT || r == -ENOTDIR) {
			/* d/.wh.NAME */
			memcpy(w + dl + 1, RT_WH_PREFIX, RT_WH_PREFIX_LEN);
			memcpy(w + dl + 1 + RT_WH_PREFIX_LEN, c, cl);
			w[dl + 1 + RT_WH_PREFIX_LEN + cl] = '\0';
			r = layer_lstat_upper(w, &st);
			if (r == 0)
				return 1;
			return r == -ENOENT || r == -ENOTDIR ? 0 : r;
		}
		if (r < 0)
			return r;
		if (i == k)
			return 0;
		if (!S_ISDIR(st.st_mode))
			return 1;	/* a file above hides the tree below */
		strcpy(d, w);
		if (rtpath_child(w, RT_WH_OPAQUE, w, RT_PATH_MAX) < 0)
			return -ENAMETOOLONG;
		if (layer_lstat_upper(w, &st) == 0)
			return 1;
		c = e + 1;
	}
	return 0;
}

/* 1 when the path p of layer i is hidden by a writable layer above it. */
int
layer_hidden_above(const struct rt_view *v, int i, const char *p)
{
	const char *u;
	int j, r;

	for (j = 0; j < i; j++) {
		if ((u = view_real(v, j)) == NULL)
			continue;
		if ((r = layer_hidden(u, p)) != 0)
			return r;
	}
	return 0;
}

void
layer_synth_stat(const char *vpath, struct stat *st)
{
	uint64_t h = 1469598103934665603ull;
	const char *s;

	*st = rt.emptyst;
	for (s = vpath; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	st->st_ino = (ino_t)(h | (1ull << 62));
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
}

int
layer_origin(const char *p, int fd, unsigned long long *dev,
    unsigned long long *ino)
{
	char buf[64], *end;
	ssize_t n;

	n = fd >= 0 ? fgetxattr(fd, LAYER_ORIGIN_XATTR, buf, sizeof buf - 1) :
	    rt_ops.lgetxattr(p, LAYER_ORIGIN_XATTR, buf, sizeof buf - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	*dev = strtoull(buf, &end, 10);
	if (*end != ':')
		return 0;
	*ino = strtoull(end + 1, &end, 10);
	return *end == '\0';
}

/* Reports the origin of a copy found at layer i of v (not the last). */
static void
layer_apply_origin(const struct rt_view *v, int i, struct rt_found *f)
{
	unsigned long long dev, ino;

	if (i < v->n - 1 && S_ISREG(f->st.st_mode) && f->real != NULL &&
	    layer_origin(f->real, -1, &dev, &ino)) {
		f->st.st_dev = (dev_t)dev;
		f->st.st_ino = (ino_t)ino;
	}
}

/*
 * The key of the memo "layers 0..i-1 of v neither have nor hide what
 * layer i has", for views of local layers only; 0 when there is none.
 */
uint64_t
layer_memo_key(const struct rt_view *v, int i)
{
	uint64_t h = LCACHE_SEED;
	int j;

	for (j = 0; j <= i; j++) {
		if (v->l[j].kind != RL_LOCAL)
			return 0;
		h = (h ^ (v->l[j].phash != 0 ? v->l[j].phash :
		    lcache_hash(LCACHE_SEED, v->l[j].path))) *
		    1099511628211ull;
	}
	return h ^ (uint64_t)i;
}

/* The memo says layer i answers: lstat it alone. */
static int
layer_find_memo(const struct rt_view *v, struct rt_found *f)
{
	uint64_t key;
	int i;

	if (v->kind != RV_LAYERS || v->n < 2 || v->n > 4)
		return -1;
	for (i = 1; i < v->n; i++) {
		if ((key = layer_memo_key(v, i)) == 0)
			return -1;
		if (!lcache_memo_has(key))
			continue;
		if (layer_lstat(v->l[i].path, &f->st) != 0)
			return -1;	/* gone: look again, layer by layer */
		f->real = v->l[i].path;
		f->layer = i;
		f->first = i;
		layer_apply_origin(v, i, f);
		return 0;
	}
	return -1;
}

/* What an unreachable secondary means for a direction's modifier. */
static int
layer_unreachable(int mod)
{
	switch (mod) {
	case FLAC_MOD_IGNORE:
		return 0;
	case FLAC_MOD_BLOCK:
		/* waiting needs flacd to tell when it is back: not yet */
		log_once(EVLOG_WARN, "transfer with BLOCK to a remote service: "
		    "remote services need flacd, which is not there yet; "
		    "failing the operation");
		return -ENOTCONN;
	default:
		return -ENOTCONN;
	}
}

int
layer_memo_peek(const struct rt_view *v)
{
	uint64_t key;
	int i;

	if (v->kind != RV_LAYERS || v->n < 2 || v->n > 4)
		return -1;
	for (i = 1; i < v->n; i++) {
		if ((key = layer_memo_key(v, i)) == 0)
			return -1;
		if (lcache_memo_has(key))
			return i;
	}
	return -1;
}

int
layer_find(const struct rt_view *v, struct rt_found *f)
{
	const struct rt_layer *L;
	uint64_t gen, key;
	int i, r, remote = 0, synth = -1;

	memset(f, 0, sizeof *f);
	f->layer = -1;
	f->first = -1;
	if (v->kind == RV_NONE)
		return -ENOENT;
	if (v->kind == RV_FAIL)
		return -EACCES;
	if (layer_find_memo(v, f) == 0)
		return 0;
	gen = rt_generation();
	for (i = 0; i < v->n; i++) {
		L = &v->l[i];
		switch (L->kind) {
		case RL_FAIL:
			if (synth >= 0)
				goto synthetic;
			return -EACCES;
		case RL_REMOTE:
			remote = 1;
			continue;
		case RL_SYNTH:
			/* a directory made by extendtree: a real directory
			   below it gives its attributes; anything else below
			   is hidden by it */
			if (synth < 0)
				synth = i;
			continue;
		case RL_LOCAL:
			r = i < v->n - 1 ? layer_lstat_upper(L->path, &f->st) :
			    layer_lstat(L->path, &f->st);
			break;
		case RL_XFER:
			r = -ENOENT;
			if (L->path != NULL)
				r = layer_lstat(L->path, &f->st);
			if (r == 0)
				break;
			if ((r == -ENOENT || r == -ENOTDIR) && L->sec != NULL &&
			    (L->mode & FLAC_XFER_PULL)) {
				if ((r = layer_lstat(L->sec, &f->st)) == 0) {
					/* removed here, kept there */
					if (L->path != NULL && layer_hidden(
					    L->path, L->sec) > 0) {
						r = -ENOENT;
						break;
					}
					f->insec = 1;
					break;
				}
			}
			if ((r == -ENOENT || r == -ENOTDIR) && L->secremote &&
			    (L->mode & FLAC_XFER_PULL) && rt.daemon[0] != '\0' &&
			    L->path != NULL) {
				/* flacd asks the remote secondary, and brings
				 * the file here when it has one */
				int pr = layer_pull(L, L->secpath);

				if (pr < 0)
					return pr;
				r = layer_lstat(L->path, &f->st);
				break;
			}
			if ((r == -ENOENT || r == -ENOTDIR) && L->secremote &&
			    (L->mode & FLAC_XFER_PULL) &&
			    L->pullmod != FLAC_MOD_IGNORE)
				/* only the unreachable secondary could say */
				return layer_unreachable(L->pullmod);
			break;
		default:
			continue;
		}
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0)
			return r;
		f->real = f->insec ? L->sec : L->path;
		if (i > 0 && (r = layer_hidden_above(v, i, f->real)) != 0) {
			f->real = NULL;
			f->insec = 0;
			if (synth >= 0 && r > 0)
				goto synthetic;
			return r < 0 ? r : -ENOENT;
		}
		if (synth >= 0 && !S_ISDIR(f->st.st_mode)) {
			f->real = NULL;
			f->insec = 0;
			goto synthetic;
		}
		f->layer = i;
		f->first = synth >= 0 ? synth : i;
		layer_apply_origin(v, i, f);
		if (i > 0 && synth < 0 && !remote && f->insec == 0 &&
		    (key = layer_memo_key(v, i)) != 0)
			lcache_memo_put(key, gen);
		return 0;
	}
	if (synth >= 0)
		goto synthetic;
	return remote ? -EREMOTE : -ENOENT;
synthetic:
	f->layer = synth;
	f->first = synth;
	f->synth = 1;
	return 0;
}

/* ---- making things in a writable layer --------------------------------- */

/* The attributes of the directory above a vpath, for a new one in t. */
static int
layer_vstat_dir(const char *vpath, struct stat *st)
{
	size_t mark = ws_mark();
	struct rt_view *v = ws_alloc(sizeof *v);
	struct rt_found f;
	int r;

	if (v == NULL)
		return -ENOMEM;
	if ((r = view_resolve(vpath, FLAC_OP_OTHER, v)) == 0 &&
	    (r = layer_find(v, &f)) == 0) {
		if (f.synth)
			layer_synth_stat(vpath, st);
		else if (S_ISLNK(f.st.st_mode)) {
			/* a link to a directory: use what it points at */
			r = rt_ops.fstatat(AT_FDCWD, f.real, st, 0) == 0 ? 0 :
			    -errno;
		} else
			*st = f.st;
		if (r == 0 && !S_ISDIR(st->st_mode))
			r = -ENOTDIR;
	}
	ws_release(mark);
	return r;
}

/* Sets owner, mode and times of new directory t like st. */
static void
layer_dir_attrs(const char *t, const struct stat *st)
{
	struct timespec ts[2];

	if (rt_ops.fchownat(AT_FDCWD, t, st->st_uid, st->st_gid,
	    AT_SYMLINK_NOFOLLOW) != 0 && errno != EPERM)
		log_debug("chown %s: %s", t, strerror(errno));
	rt_ops.fchmodat(AT_FDCWD, t, st->st_mode & 07777, 0);
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	rt_ops.utimensat(AT_FDCWD, t, ts, AT_SYMLINK_NOFOLLOW);
}

/*
 * Makes the missing directories above t.  model is a path whose
 * ancestors say what each should look like: a path of the name space
 * (virt) or a real one.
 */
static int
layer_mkparents_model(const char *t, const char *model, int virt)
{
	char *tp = ws_path(), *mp = ws_path();
	size_t troot, mroot, tl, ml;
	struct stat st;
	int k, i, depth, r;

	if (tp == NULL || mp == NULL)
		return -ENOMEM;
	k = rtpath_common_tail(t, model, &troot, &mroot);
	if (strcmp(t, model) == 0) {
		/* a layer that is the name space's own tree (local() itself):
		   every ancestor is its own model */
		const char *c;

		for (k = 0, c = t; *c != '\0'; c++)
			k += *c == '/';
	}
	/* the deepest existing ancestor, then down from there */
	strcpy(tp, t);
	strcpy(mp, model);
	for (depth = 1; depth < k; depth++) {
		tl = rtpath_dirlen(tp);
		ml = rtpath_dirlen(mp);
		tp[tl] = '\0';
		mp[ml] = '\0';
		r = layer_lstat(tp, &st);
		if (r == 0) {
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
			break;
		}
		if (r != -ENOENT)
			return r;
	}
	if (depth == 1 && k <= 1)
		return 0;
	/* tp is the deepest that exists (or the last tried); go down */
	for (i = depth - 1; i >= 1; i--) {
		int j;

		strcpy(tp, t);
		strcpy(mp, model);
		for (j = 0; j < i; j++) {
			tp[rtpath_dirlen(tp)] = '\0';
			mp[rtpath_dirlen(mp)] = '\0';
		}
		if (virt)
			r = layer_vstat_dir(mp, &st);
		else
			r = rt_ops.fstatat(AT_FDCWD, mp, &st, 0) == 0 ? 0 :
			    -errno;
		if (r < 0)
			return r;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (rt_ops.mkdirat(AT_FDCWD, tp, (st.st_mode & 07777) |
		    0700) != 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		layer_dir_attrs(tp, &st);
		rt_changed();
	}
	return 0;
}

int
layer_mkparents(const char *t, const char *vpath)
{
	size_t mark = ws_mark();
	int r = layer_mkparents_model(t, vpath, 1);

	ws_release(mark);
	return r;
}

/* A temporary name beside dst, hidden from listings (".wh." prefix). */
static int
layer_tmpname(const char *dst, char *out)
{
	static unsigned counter;
	char name[64];
	size_t dl = rtpath_dirlen(dst);

	snprintf(name, sizeof name, RT_WH_PREFIX "flac-copy.%d.%u",
	    (int)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	if (dl + 1 + strlen(name) + 1 > RT_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, dst, dl);
	out[dl] = '\0';
	return rtpath_child(dl == 1 ? "/" : out, name, out, RT_PATH_MAX) < 0 ?
	    -ENAMETOOLONG : 0;
}

static int
layer_copy_data(int in, int out)
{
	char buf[65536];
	ssize_t n, w, off;
	int cfr = 1;

	for (;;) {
		if (cfr) {
			n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL ||
			    errno == ENOSYS || errno == EOPNOTSUPP)) {
				cfr = 0;
				continue;
			}
		} else
			n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (cfr)
			continue;
		for (off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0)
				return -errno;
		}
	}
}

static int
layer_copy_file(const char *src, const struct stat *st, const char *dst,
    int empty)
{
	char *tmp = ws_path();
	struct timespec ts[2];
	int in = -1, out = -1, r;

	if (tmp == NULL)
		return -ENOMEM;
	if ((r = layer_tmpname(dst, tmp)) < 0)
		return r;
	if (!empty && (in = rt_ops.openat(AT_FDCWD, src, O_RDONLY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	if ((out = rt_ops.openat(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) < 0) {
		r = -errno;
		goto out;
	}
	if (!empty && (r = layer_copy_data(in, out)) < 0)
		goto out;
	/* where the copy comes from (the source's own origin if it has one) */
	{
		unsigned long long odev, oino;
		char ob[64];

		if (!layer_origin(src, -1, &odev, &oino)) {
			odev = (unsigned long long)st->st_dev;
			oino = (unsigned long long)st->st_ino;
		}
		snprintf(ob, sizeof ob, "%llu:%llu", odev, oino);
		if (fsetxattr(out, LAYER_ORIGIN_XATTR, ob, strlen(ob), 0) != 0)
			log_once(EVLOG_INFO, "cannot keep the origin of copies "
			    "in %s (%s): their inode numbers change",
			    LAYER_ORIGIN_XATTR, strerror(errno));
	}
	if (fchown(out, st->st_uid, st->st_gid) != 0 && errno != EPERM)
		log_debug("chown %s: %s", tmp, strerror(errno));
	if (fchmod(out, st->st_mode & 07777) != 0) {
		r = -errno;
		goto out;
	}
	if (!empty) {
		ts[0] = st->st_atim;
		ts[1] = st->st_mtim;
		futimens(out, ts);
	}
	if (rt_ops.close(out) != 0) {
		out = -1;
		r = -errno;
		goto out;
	}
	out = -1;
	if (rt_ops.renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, 0) != 0) {
		r = -errno;
		goto out;
	}
	r = 0;
	if (rt.shared != NULL)
		__atomic_add_fetch(&rt.shared->copies, 1, __ATOMIC_RELAXED);
out:
	if (in >= 0)
		rt_ops.close(in);
	if (out >= 0)
		rt_ops.close(out);
	if (r < 0)
		rt_ops.unlinkat(AT_FDCWD, tmp, 0);
	return r;
}

int
layer_copy(const char *src, const struct stat *st, const char *dst,
    int empty)
{
	size_t mark = ws_mark();
	char *tmp, *lnk;
	ssize_t n;
	int r;

	if (S_ISREG(st->st_mode))
		r = layer_copy_file(src, st, dst, empty);
	else if (S_ISDIR(st->st_mode)) {
		if (rt_ops.mkdirat(AT_FDCWD, dst, (st->st_mode & 07777) |
		    0700) != 0 && errno != EEXIST)
			r = -errno;
		else {
			layer_dir_attrs(dst, st);
			r = 0;
		}
	} else if (S_ISLNK(st->st_mode)) {
		tmp = ws_path();
		lnk = ws_path();
		if (tmp == NULL || lnk == NULL)
			r = -ENOMEM;
		else if ((n = rt_ops.readlinkat(AT_FDCWD, src, lnk,
		    RT_PATH_MAX - 1)) < 0)
			r = -errno;
		else {
			lnk[n] = '\0';
			if ((r = layer_tmpname(dst, tmp)) == 0 &&
			    (r = rt_ops.symlinkat(lnk, AT_FDCWD, tmp) == 0 ? 0 :
			    -errno) == 0) {
				rt_ops.fchownat(AT_FDCWD, tmp, st->st_uid,
				    st->st_gid, AT_SYMLINK_NOFOLLOW);
				if (rt_ops.renameat2(AT_FDCWD, tmp, AT_FDCWD, dst,
				    0) != 0) {
					r = -errno;
					rt_ops.unlinkat(AT_FDCWD, tmp, 0);
				}
			}
		}
	} else {
		/* fifos, sockets, devices: a new node of the same kind */
		r = 0;
		if (rt_ops.mknodat(AT_FDCWD, dst, st->st_mode, st->st_rdev) != 0)
			r = -errno;
	}
	if (r == 0)
		rt_changed();
	ws_release(mark);
	return r;
}

int
layer_whiteout(const char *t)
{
	char *w = ws_path();
	int fd;

	if (w == NULL)
		return -ENOMEM;
	if (rtpath_wh(t, w, RT_PATH_MAX) < 0)
		return -ENAMETOOLONG;
	fd = rt_ops.openat(AT_FDCWD, w, O_WRONLY | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	rt_ops.close(fd);
	if (rt.shared != NULL)
		__atomic_add_fetch(&rt.shared->whiteouts, 1, __ATOMIC_RELAXED);
	rt_changed();
	return 0;
}

int
layer_unwhiteout(const char *t)
{
	char *w = ws_path();

	if (w == NULL)
		return -ENOMEM;
	if (rtpath_wh(t, w, RT_PATH_MAX) < 0)
		return -ENAMETOOLONG;
	if (rt_ops.unlinkat(AT_FDCWD, w, 0) == 0) {
		rt_changed();
		return 1;
	}
	return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

int
layer_make_opaque(const char *t)
{
	char *w = ws_path();
	int fd;

	if (w == NULL)
		return -ENOMEM;
	if (rtpath_child(t, RT_WH_OPAQUE, w, RT_PATH_MAX) < 0)
		return -ENAMETOOLONG;
	if ((fd = rt_ops.openat(AT_FDCWD, w, O_WRONLY | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return -errno;
	rt_ops.close(fd);
	rt_changed();
	return 0;
}

int
layer_clean_dir(const char *t)
{
	struct dirent64 *de;
	DIR *d;
	int fd, r = 0;

	if ((fd = rt_ops.openat(AT_FDCWD, t, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	if ((d = rt_ops.fdopendir(fd)) == NULL) {
		r = -errno;
		rt_ops.close(fd);
		return r;
	}
	while ((de = rt_ops.readdir64(d)) != NULL)
		if (rtpath_is_wh(de->d_name) &&
		    rt_ops.unlinkat(fd, de->d_name, 0) != 0 && r == 0)
			r = -errno;
	rt_ops.closedir(d);
	return r;
}

/* ---- transfers between local services ---------------------------------- */

static int
layer_newer(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec > b->st_mtim.tv_sec ||
	    (a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

int
layer_pull(const struct rt_layer *L, const char *vpath)
{
	size_t mark = ws_mark();
	struct stat ss, ps;
	int r;

	if (!(L->mode & FLAC_XFER_PULL) || L->path == NULL)
		return 0;
	if (rt.daemon[0] != '\0' && L->secpath != NULL) {
		/* flacd pulls, from any service, and can wait (BLOCK) */
		r = dclient_xfer(FLACD_PULL, L->pullmod, L->psvc, L->path,
		    L->ssvc, L->secpath, vpath);
		if (r < 0 && r != -EINTR && L->pullmod == FLAC_MOD_IGNORE)
			return 0;
		if (r > 0)
			rt_changed();
		return r;
	}
	if (L->secremote)
		return layer_unreachable(L->pullmod);
	if (L->sec == NULL)
		return 0;
	if ((r = layer_lstat(L->sec, &ss)) < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	r = layer_lstat(L->path, &ps);
	if (r == 0 && (!layer_newer(&ss, &ps) || S_ISDIR(ss.st_mode)))
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	if ((r = layer_mkparents_model(L->path, L->sec, 0)) == 0)
		r = layer_copy(L->sec, &ss, L->path, 0);
	ws_release(mark);
	if (r < 0) {
		log_warn("transfer: pulling %s for %s failed: %s", L->sec,
		    vpath, strerror(-r));
		return L->pullmod == FLAC_MOD_IGNORE ? 0 : r;
	}
	return 1;
}

int
layer_push(const char *primary, const char *secondary, int mod)
{
	size_t mark = ws_mark();
	struct stat ps, ss;
	int r;

	if ((r = layer_lstat(primary, &ps)) < 0)
		return r == -ENOENT ? 0 : r;
	if (!S_ISREG(ps.st_mode))
		return 0;
	r = layer_lstat(secondary, &ss);
	if (r == 0 && !layer_newer(&ps, &ss))
		return 0;
	if ((r = layer_mkparents_model(secondary, primary, 0)) == 0)
		r = layer_copy(primary, &ps, secondary, 0);
	ws_release(mark);
	if (r < 0) {
		log_warn("transfer: pushing %s to %s failed: %s", primary,
		    secondary, strerror(-r));
		return mod == FLAC_MOD_IGNORE ? 0 : r;
	}
	return 1;
}

/* ---- merged listings --------------------------------------------------- */

/* A set of names kept as offsets into one string block. */
struct sset {
	uint32_t	*slot;		/* offset + 1; 0 is empty */
	size_t		 cap;		/* power of two */
	size_t		 n;
	char		*strs;
	size_t		 len;
	size_t		 scap;
};

static uint64_t
sset_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* 1 if s is in the set. */
static int
sset_has(const struct sset *ss, const char *s)
{
	size_t i;

	if (ss->cap == 0)
		return 0;
	for (i = sset_hash(s) & (ss->cap - 1); ss->slot[i] != 0;
	    i = (i + 1) & (ss->cap - 1))
		if (strcmp(ss->strs + ss->slot[i] - 1, s) == 0)
			return 1;
	return 0;
}

static int
sset_grow(struct sset *ss)
{
	uint32_t *old = ss->slot, *ns;
	size_t oldcap = ss->cap, ncap = oldcap ? oldcap * 2 : 64, i, j;

	if ((ns = calloc(ncap, sizeof *ns)) == NULL)
		return -ENOMEM;
	for (i = 0; i < oldcap; i++) {
		if (old[i] == 0)
			continue;
		for (j = sset_hash(ss->strs + old[i] - 1) & (ncap - 1);
		    ns[j] != 0; j = (j + 1) & (ncap - 1))
			;
		ns[j] = old[i];
	}
	free(old);
	ss->slot = ns;
	ss->cap = ncap;
	return 0;
}

/* Adds s; returns its offset in strs, or -errno. */
static long
sset_add(struct sset *ss, const char *s)
{
	size_t n = strlen(s) + 1, i, ncap;
	char *nstr;
	long off;

	if ((ss->n + 1) * 2 > ss->cap && sset_grow(ss) != 0)
		return -ENOMEM;
	if (ss->len + n > ss->scap) {
		ncap = ss->scap ? ss->scap * 2 : 4096;
		while (ncap < ss->len + n)
			ncap *= 2;
		if (ncap > UINT32_MAX - 1 ||
		    (nstr = realloc(ss->strs, ncap)) == NULL)
			return -ENOMEM;
		ss->strs = nstr;
		ss->scap = ncap;
	}
	off = (long)ss->len;
	memcpy(ss->strs + ss->len, s, n);
	ss->len += n;
	for (i = sset_hash(s) & (ss->cap - 1); ss->slot[i] != 0;
	    i = (i + 1) & (ss->cap - 1))
		;
	ss->slot[i] = (uint32_t)off + 1;
	ss->n++;
	return off;
}

static void
sset_free(struct sset *ss)
{
	free(ss->slot);
	free(ss->strs);
	memset(ss, 0, sizeof *ss);
}

struct lister {
	struct sset	 seen;		/* names listed (strs: the names) */
	struct sset	 whited;	/* names whited out so far */
	struct rt_dent	*ents;		/* name: offset in seen.strs */
	size_t		 n;
	size_t		 cap;
	int		 realfd;
};

static int
lister_add(struct lister *ls, const char *name, uint64_t ino, uint8_t type)
{
	struct rt_dent *ne;
	long off;

	if (sset_has(&ls->seen, name) || sset_has(&ls->whited, name))
		return 0;
	if (ls->n == ls->cap) {
		size_t ncap = ls->cap ? ls->cap * 2 : 64;

		if ((ne = reallocarray(ls->ents, ncap, sizeof *ne)) == NULL)
			return -ENOMEM;
		ls->ents = ne;
		ls->cap = ncap;
	}
	if ((off = sset_add(&ls->seen, name)) < 0)
		return (int)off;
	ls->ents[ls->n].ino = ino;
	ls->ents[ls->n].type = type;
	ls->ents[ls->n].name = (const char *)(uintptr_t)off;
	ls->n++;
	return 0;
}

static int
lister_hidden(const struct rt_view *v, const struct rt_layer *L,
    const char *name)
{
	uint16_t k;

	for (k = 0; k < L->nhide; k++)
		if (strcmp(v->hides[L->hide + k], name) == 0)
			return 1;
	return 0;
}

/*
 * Lists real directory p of layer L.  New whiteouts are collected in
 * wh (they hide names of the layers below, not of this one); *opaque is
 * set when the directory is opaque.
 */
static int
lister_real(struct lister *ls, const struct rt_view *v,
    const struct rt_layer *L, const char *p, struct sset *wh, int *opaque)
{
	struct dirent64 *de;
	DIR *d;
	int fd, r = 0;

	if ((fd = rt_ops.openat(AT_FDCWD, p, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (ls->realfd < 0)
		ls->realfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if ((d = rt_ops.fdopendir(fd)) == NULL) {
		r = -errno;
		rt_ops.close(fd);
		return r;
	}
	while (r == 0 && (errno = 0, de = rt_ops.readdir64(d)) != NULL) {
		const char *nm = de->d_name;

		if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' &&
		    nm[2] == '\0')))
			continue;
		if (rtpath_is_wh(nm)) {
			if (strcmp(nm, RT_WH_OPAQUE) == 0)
				*opaque = 1;
			else if (nm[RT_WH_PREFIX_LEN] != '\0' &&
			    !sset_has(wh, nm + RT_WH_PREFIX_LEN) &&
			    sset_add(wh, nm + RT_WH_PREFIX_LEN) < 0)
				r = -ENOMEM;
			continue;
		}
		if (lister_hidden(v, L, nm))
			continue;
		r = lister_add(ls, nm, de->d_ino, de->d_type);
	}
	if (r == 0 && errno != 0)
		r = -errno;
	rt_ops.closedir(d);
	return r;
}

static int
lister_merge_wh(struct lister *ls, const struct sset *wh)
{
	size_t i;

	for (i = 0; i < wh->cap; i++)
		if (wh->slot[i] != 0 && !sset_has(&ls->whited,
		    wh->strs + wh->slot[i] - 1) &&
		    sset_add(&ls->whited, wh->strs + wh->slot[i] - 1) < 0)
			return -ENOMEM;
	return 0;
}

int
layer_list(const struct rt_view *v, const struct rt_found *f,
    const char *vpath, struct rt_listing *out)
{
	struct lister ls;
	struct sset wh;
	const struct rt_layer *L;
	struct stat st;
	char *dd;
	size_t mark = ws_mark(), i;
	int li, r = 0, opaque = 0;

	memset(out, 0, sizeof *out);
	out->realfd = -1;
	memset(&ls, 0, sizeof ls);
	ls.realfd = -1;
	if (f->synth)
		layer_synth_stat(vpath, &st);
	else
		st = f->st;
	if ((r = lister_add(&ls, ".", st.st_ino, DT_DIR)) < 0 ||
	    (r = lister_add(&ls, "..", 2, DT_DIR)) < 0)
		goto fail;
	for (li = f->first; li < v->n && !opaque && r == 0; li++) {
		L = &v->l[li];
		memset(&wh, 0, sizeof wh);
		switch (L->kind) {
		case RL_FAIL:
			r = -EACCES;
			break;
		case RL_REMOTE:
			break;
		case RL_SYNTH:
			if (!lister_hidden(v, L, L->path)) {
				if ((dd = ws_path()) == NULL ||
				    rtpath_child(vpath, L->path, dd,
				    RT_PATH_MAX) < 0) {
					r = -ENOMEM;
					break;
				}
				layer_synth_stat(dd, &st);
				r = lister_add(&ls, L->path, st.st_ino, DT_DIR);
			}
			break;
		case RL_LOCAL:
		case RL_XFER:
			if (li > f->first && L->path != NULL &&
			    (r = layer_hidden_above(v, li, L->path)) != 0) {
				if (r > 0)
					opaque = 1;	/* and all below */
				else
					break;
				r = 0;
				break;
			}
			if (L->path != NULL)
				r = lister_real(&ls, v, L, L->path, &wh,
				    &opaque);
			if (r == 0 && L->kind == RL_XFER && L->sec != NULL &&
			    !opaque)
				r = lister_real(&ls, v, L, L->sec, &wh,
				    &opaque);
			break;
		}
		if (r == 0)
			r = lister_merge_wh(&ls, &wh);
		sset_free(&wh);
	}
	if (r < 0)
		goto fail;
	for (i = 0; i < ls.n; i++)
		ls.ents[i].name = ls.seen.strs + (uintptr_t)ls.ents[i].name;
	out->ents = ls.ents;
	out->n = ls.n;
	out->cap = ls.cap;
	out->strs = ls.seen.strs;
	out->realfd = ls.realfd;
	free(ls.seen.slot);
	sset_free(&ls.whited);
	ws_release(mark);
	return 0;
fail:
	free(ls.ents);
	sset_free(&ls.seen);
	sset_free(&ls.whited);
	if (ls.realfd >= 0)
		rt_ops.close(ls.realfd);
	ws_release(mark);
	return r;
}

int
layer_dir_nlink(const struct rt_view *v, const struct rt_found *f,
    const char *vpath)
{
	struct rt_listing l;
	struct stat st;
	const char *p;
	size_t i;
	int j, merged = f->first < f->layer, n;

	if (f->synth || !S_ISDIR(f->st.st_mode))
		return 0;
	for (j = f->layer + 1; j < v->n && !merged; j++) {
		if (v->l[j].kind == RL_SYNTH) {
			merged = 1;
			break;
		}
		if ((p = view_real(v, j)) == NULL)
			continue;
		if (layer_lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
		    layer_hidden_above(v, j, p) == 0)
			merged = 1;
	}
	if (!merged || layer_list(v, f, vpath, &l) < 0)
		return 0;
	for (i = 0, n = 0; i < l.n; i++)
		if (l.ents[i].type == DT_DIR)
			n++;
	layer_list_free(&l);
	return n;	/* "." and ".." are in the listing: 2 + subdirectories */
}

void
layer_list_free(struct rt_listing *l)
{
	free(l->ents);
	free(l->strs);
	if (l->realfd >= 0)
		rt_ops.close(l->realfd);
	memset(l, 0, sizeof *l);
	l->realfd = -1;
}

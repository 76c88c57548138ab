/* xfer: see xfer.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/daemon/svc.h"
#include "flac/daemon/xfer.h"
#include "flac/lang/ast.h"

#define XFER_PATHMAX	4096
#define XFER_BUFSZ	65536

int
xfer_root(const char *spath, const char *vpath, char *out, size_t sz)
{
	size_t sl = strlen(spath), vl = strlen(vpath);

	/* drop whole components both end with */
	for (;;) {
		const char *sc, *vc;
		size_t sn, vn;

		if (sl <= 1 || vl <= 1)
			break;
		sc = memrchr(spath, '/', sl);
		vc = memrchr(vpath, '/', vl);
		if (sc == NULL || vc == NULL)
			break;
		sn = sl - (size_t)(sc - spath);
		vn = vl - (size_t)(vc - vpath);
		if (sn != vn || memcmp(sc, vc, sn) != 0)
			break;
		sl = (size_t)(sc - spath);
		vl = (size_t)(vc - vpath);
	}
	if (sl == 0) {
		if (sz < 2)
			return -ENAMETOOLONG;
		memcpy(out, "/", 2);
		return 0;
	}
	if (sl + 1 > sz)
		return -ENAMETOOLONG;
	memcpy(out, spath, sl);
	out[sl] = '\0';
	return 0;
}

static int
xfer_newer(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec > b->st_mtim.tv_sec ||
	    (a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/* The secondary is there (1), or what mod makes of its absence. */
static int
xfer_reach(struct svc *sec, const char *spath, const char *vpath, int mod,
    const struct xfer_wait *w, const char *dir)
{
	char root[XFER_PATHMAX];
	int r, said = 0;

	if ((r = xfer_root(spath, vpath, root, sizeof root)) < 0)
		return r;
	for (;;) {
		if ((r = sec->ops->isavailable(sec, root)) > 0)
			return 1;
		if (r < 0 || mod != FLAC_MOD_BLOCK)
			break;
		if (!said) {
			log_info("%s %s: %s (%s) is not available; waiting "
			    "(BLOCK)", dir, vpath, sec->text, root);
			said = 1;
		}
		if (w == NULL || w->cancelled(w->arg, w->interval_ms > 0 ?
		    w->interval_ms : 200)) {
			log_info("%s %s: the wait for %s was interrupted",
			    dir, vpath, sec->text);
			return -EINTR;
		}
	}
	if (mod == FLAC_MOD_IGNORE) {
		log_info("%s %s: %s (%s) is not available: %s; going on with "
		    "the primary (IGNORE)", dir, vpath, sec->text, root,
		    r < 0 ? strerror(-r) : "not now");
		return 0;
	}
	log_warn("%s %s: %s (%s) is not available: %s; failing the "
	    "operation (%s)", dir, vpath, sec->text, root, r < 0 ?
	    strerror(-r) : "not now", flac_mod_names[mod]);
	return r < 0 ? r : -ENOTCONN;
}

/* Makes the directories above path on s. */
static int
xfer_mkparents(struct svc *s, const char *path)
{
	char buf[XFER_PATHMAX];
	struct stat st;
	size_t n = strlen(path), i;
	int r;

	if (n >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if ((r = s->ops->stat(s, buf, &st)) == -ENOENT)
			r = s->ops->mkdir(s, buf, 0755);
		else if (r == 0 && !S_ISDIR(st.st_mode))
			r = -ENOTDIR;
		buf[i] = '/';
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

/* Copies from's file (attributes st) to dst's path, atomically. */
static int
xfer_copy(struct svc *from, const char *fpath, const struct stat *st,
    struct svc *to, const char *tpath)
{
	static unsigned counter;
	char tmp[XFER_PATHMAX], buf[XFER_BUFSZ];
	struct timespec times[2];
	const char *slash = strrchr(tpath, '/');
	uint64_t off = 0;
	ssize_t n, w, k;
	int in, out, r;

	if (slash == NULL || snprintf(tmp, sizeof tmp, "%.*s/.wh.flac-xfer."
	    "%d.%u", (int)(slash - tpath), tpath, (int)getpid(),
	    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)) >=
	    (int)sizeof tmp)
		return -ENAMETOOLONG;
	if ((r = xfer_mkparents(to, tpath)) < 0)
		return r;
	if ((in = from->ops->open(from, fpath, O_RDONLY, 0)) < 0)
		return in;
	if ((out = to->ops->open(to, tmp, O_WRONLY | O_CREAT | O_EXCL,
	    0600)) < 0) {
		from->ops->close(from, in);
		return out;
	}
	r = 0;
	for (;;) {
		if ((n = from->ops->pread(from, in, buf, sizeof buf, off)) <= 0) {
			r = (int)n;
			break;
		}
		for (w = 0; w < n; w += k)
			if ((k = to->ops->pwrite(to, out, buf + w,
			    (size_t)(n - w), off + (uint64_t)w)) <= 0) {
				r = k < 0 ? (int)k : -EIO;
				break;
			}
		if (r < 0)
			break;
		off += (uint64_t)n;
	}
	from->ops->close(from, in);
	if (to->ops->close(to, out) < 0 && r == 0)
		r = -EIO;
	times[0] = st->st_atim;
	times[1] = st->st_mtim;
	if (r == 0)
		r = to->ops->setattr(to, tmp, st->st_mode, times);
	if (r == 0)
		r = to->ops->rename(to, tmp, tpath);
	if (r < 0)
		to->ops->unlink(to, tmp);
	return r;
}

int
xfer_pull(struct svc *pri, const char *ppath, struct svc *sec,
    const char *spath, const char *vpath, int mod, const struct xfer_wait *w)
{
	struct stat ss, ps;
	int r;

	if ((r = xfer_reach(sec, spath, vpath, mod, w, "pull")) <= 0)
		return r;
	/*
	 * A service answers "available" from a connection it holds; if the
	 * link died under it, the stat says ENOTCONN and the connection is
	 * gone: ask again, so that mod decides (IGNORE goes on, BLOCK waits).
	 */
	if ((r = sec->ops->stat(sec, spath, &ss)) == -ENOTCONN) {
		if ((r = xfer_reach(sec, spath, vpath, mod, w, "pull")) <= 0)
			return r;
		r = sec->ops->stat(sec, spath, &ss);
	}
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	if (!S_ISREG(ss.st_mode))
		return 0;
	r = pri->ops->stat(pri, ppath, &ps);
	if (r == 0 && !xfer_newer(&ss, &ps))
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	if ((r = xfer_copy(sec, spath, &ss, pri, ppath)) < 0) {
		log_warn("pull %s: copying %s %s to %s failed: %s", vpath,
		    sec->text, spath, ppath, strerror(-r));
		return mod == FLAC_MOD_IGNORE ? 0 : r;
	}
	log_debug("pull %s: %s -> %s", vpath, spath, ppath);
	return 1;
}

int (*xfer_defer_fn)(const struct svc *, const char *, const struct svc *,
    const char *, const char *);

/* IGNORE let a push go: keep it for later when flacd has a journal. */
static void
xfer_defer(struct svc *pri, const char *ppath, struct svc *sec,
    const char *spath, const char *vpath, int mod)
{
	if (mod == FLAC_MOD_IGNORE && xfer_defer_fn != NULL)
		(void)xfer_defer_fn(pri, ppath, sec, spath, vpath);
}

int
xfer_push(struct svc *pri, const char *ppath, struct svc *sec,
    const char *spath, const char *vpath, int mod, const struct xfer_wait *w)
{
	struct stat ps, ss;
	int r;

	if ((r = pri->ops->stat(pri, ppath, &ps)) < 0)
		return r == -ENOENT ? 0 : r;
	if (!S_ISREG(ps.st_mode))
		return 0;
	if ((r = xfer_reach(sec, spath, vpath, mod, w, "push")) <= 0) {
		if (r == 0)
			xfer_defer(pri, ppath, sec, spath, vpath, mod);
		return r;
	}
	r = sec->ops->stat(sec, spath, &ss);
	if (r == 0 && !xfer_newer(&ps, &ss))
		return 0;
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		xfer_defer(pri, ppath, sec, spath, vpath, mod);
		return mod == FLAC_MOD_IGNORE ? 0 : r;
	}
	if ((r = xfer_copy(pri, ppath, &ps, sec, spath)) < 0) {
		log_warn("push %s: copying %s to %s %s failed: %s", vpath,
		    ppath, sec->text, spath, strerror(-r));
		xfer_defer(pri, ppath, sec, spath, vpath, mod);
		return mod == FLAC_MOD_IGNORE ? 0 : r;
	}
	log_debug("push %s: %s -> %s", vpath, ppath, spath);
	return 1;
}

/* reloc: see reloc.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/real.h"
#include "flac/rt/reloc.h"
#include "flac/rt/session.h"
#include "flac/rt/vfs.h"

extern char **environ;

#define RELOC_MAXFD	1024	/* the descriptors looked at (as fdmirror) */
#define RELOC_TRIES	4	/* a publication racing ours: read again */

uint64_t reloc_seen;
static pthread_mutex_t reloc_mu = PTHREAD_MUTEX_INITIALIZER;

/* A held file: its path and the binding of that path before the switch. */
struct reloc_fd {
	int		 fd;
	uint64_t	 sig;
	char		*vpath;
};

/* Opens the image published for the current generation; its fd (and the
 * generation in *gen, the inode in *ino) or -errno. */
static int
reloc_open_image(uint64_t *gen, unsigned long *ino)
{
	struct session_state *s = rt.shared;
	char p[64];
	struct stat st;
	uint64_t g, want;
	int i, pid, fd, nfd;

	for (i = 0; i < RELOC_TRIES; i++) {
		g = __atomic_load_n(&s->loc_gen, __ATOMIC_ACQUIRE);
		pid = __atomic_load_n(&s->loc_pid, __ATOMIC_RELAXED);
		fd = __atomic_load_n(&s->loc_fd, __ATOMIC_RELAXED);
		want = __atomic_load_n(&s->loc_ino, __ATOMIC_RELAXED);
		snprintf(p, sizeof p, "/proc/%d/fd/%d", pid, fd);
		nfd = real.openat(AT_FDCWD, p, O_RDONLY | O_CLOEXEC);
		if (nfd < 0)
			continue;
		if (real.fstat(nfd, &st) == 0 && st.st_ino == want &&
		    st.st_size > 0 && __atomic_load_n(&s->loc_gen,
		    __ATOMIC_ACQUIRE) == g) {
			*gen = g;
			*ino = (unsigned long)st.st_ino;
			return nfd;
		}
		real.close(nfd);
	}
	return -ESTALE;
}

static enum flac_op
reloc_op(int flags)
{
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		return FLAC_OP_WRITE;
	case O_RDWR:
		return FLAC_OP_READWRITE;
	default:
		return FLAC_OP_READ;
	}
}

/* A hash of the layers that serve vpath for op in the block in force. */
static uint64_t
reloc_sig(const char *vpath, int flags)
{
	struct rt_view *v;
	uint64_t h = 1469598103934665603ull;
	const char *s;
	size_t mark = ws_mark();
	int i;

	if ((v = ws_alloc(sizeof *v)) == NULL)
		return 0;
	if (view_resolve(vpath, reloc_op(flags), v) != 0)
		v->kind = RV_NONE;
	h = (h ^ (uint64_t)v->kind) * 1099511628211ull;
	for (i = 0; v->kind == RV_LAYERS && i < v->n; i++) {
		h = (h ^ v->l[i].kind) * 1099511628211ull;
		for (s = v->l[i].path; s != NULL && *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 1099511628211ull;
		h = (h ^ '|') * 1099511628211ull;
		for (s = v->l[i].sec; s != NULL && *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 1099511628211ull;
	}
	ws_release(mark);
	return h;
}

/* The regular files the program holds (and the stale ones), with the
 * binding of their paths now; *n of them in a malloc'd array. */
static struct reloc_fd *
reloc_held(size_t *n)
{
	struct reloc_fd *v;
	struct stat st;
	char *vp = ws_path();
	int fd, fl;

	*n = 0;
	if (vp == NULL || (v = calloc(RELOC_MAXFD, sizeof *v)) == NULL)
		return NULL;
	for (fd = 0; fd < RELOC_MAXFD; fd++) {
		if (!fdtab_has(fd) || fdtab_get(fd, vp, RT_PATH_MAX) < 0 ||
		    (fl = real.fcntl(fd, F_GETFL)) < 0)
			continue;
		if (!fdtab_stale(fd, NULL, NULL) && (real.fstat(fd, &st) !=
		    0 || !S_ISREG(st.st_mode)))
			continue;
		if ((v[*n].vpath = strdup(vp)) == NULL)
			break;
		v[*n].fd = fd;
		v[*n].sig = reloc_sig(vp, fl);
		(*n)++;
	}
	return v;
}

/* Opens h's file again in the block now in force, onto its fd. */
static void
reloc_reopen(const struct reloc_fd *h)
{
	long long off;
	int fl, sfl, cloexec, nfd, stale, r;

	stale = fdtab_stale(h->fd, &sfl, &off);
	if (!stale) {
		if ((fl = real.fcntl(h->fd, F_GETFL)) < 0)
			return;
		if (reloc_sig(h->vpath, fl) == h->sig)
			return;		/* the same service still */
		off = lseek(h->fd, 0, SEEK_CUR);
		if (off < 0)
			off = 0;
	} else
		fl = sfl;
	cloexec = real.fcntl(h->fd, F_GETFD);
	nfd = vfs_open(AT_FDCWD, h->vpath, (fl & ~(O_CREAT | O_EXCL |
	    O_TRUNC | O_ACCMODE)) | (fl & O_ACCMODE) | O_CLOEXEC, 0);
	r = nfd;
	if (nfd >= 0 && lseek(nfd, (off_t)off, SEEK_SET) < 0)
		r = -errno;
	if (r >= 0 && real.dup3(nfd, h->fd, cloexec > 0 &&
	    (cloexec & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		r = -errno;
	if (nfd >= 0) {
		if (r >= 0)
			fdtab_dup(nfd, h->fd);
		fdtab_push_free(fdtab_take(nfd));
		real.close(nfd);
	}
	if (r >= 0) {
		fdtab_set_stale(h->fd, 0, 0, 0);
		log_info("fd %d (%s) reopened on its new service at offset "
		    "%lld", h->fd, h->vpath, off);
		return;
	}
	if (!stale)
		log_info("fd %d (%s) cannot be reopened after the move (%s); "
		    "reads and writes on it fail with ESTALE until it can",
		    h->fd, h->vpath, strerror(-r));
	fdtab_set_stale(h->fd, 1, fl, off);
}

/* Puts the image at fd (inode ino) in force; 0 or -errno. */
static int
reloc_take(int fd, unsigned long ino)
{
	static struct session_image img;	/* the last one taken */
	struct session_image nimg;
	struct flac_ns *own = NULL;
	struct stat st;
	char why[300];
	void *p;
	int r;

	if (real.fstat(fd, &st) != 0)
		return -errno;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	if ((r = session_image_parse(p, (size_t)st.st_size, &nimg)) < 0) {
		munmap(p, (size_t)st.st_size);
		return r;
	}
	if (session_env_dependent(nimg.ns) && session_recompile(&nimg,
	    environ, &own, why, sizeof why) < 0)
		log_warn("%s; keeping the monitor's name space", why);
	/* the old block and image stay mapped: another thread may be in a
	   call that started under them */
	rt_use(own != NULL ? own : nimg.ns, rt.shared);
	session_image_free(&img);
	img = nimg;
	rt.image = p;
	rt.imagelen = (size_t)st.st_size;
	if (rt.imgfd >= 0 && real.dup3(fd, rt.imgfd, 0) >= 0)
		rt.imgino = ino;
	rt_changed();
	dclient_relocated();
	return 0;
}

int
reloc_switch(void)
{
	struct reloc_fd *held;
	unsigned long ino;
	uint64_t gen;
	size_t i, n;
	int fd, r;

	if (rt.shared == NULL || real.openat == NULL)
		return 0;
	pthread_mutex_lock(&reloc_mu);
	if (!reloc_pending()) {
		pthread_mutex_unlock(&reloc_mu);
		return 0;
	}
	if ((fd = reloc_open_image(&gen, &ino)) < 0) {
		log_once(EVLOG_WARN, "cannot open the name space the location "
		    "monitor published (%s); keeping this one",
		    strerror(-fd));
		__atomic_store_n(&reloc_seen, __atomic_load_n(
		    &rt.shared->loc_gen, __ATOMIC_ACQUIRE), __ATOMIC_RELAXED);
		pthread_mutex_unlock(&reloc_mu);
		return fd;
	}
	held = reloc_held(&n);
	if ((r = reloc_take(fd, ino)) < 0)
		log_once(EVLOG_WARN, "the name space the location monitor "
		    "published is damaged (%s); keeping this one",
		    strerror(-r));
	else
		for (i = 0; i < n; i++)
			reloc_reopen(&held[i]);
	for (i = 0; held != NULL && i < n; i++)
		free(held[i].vpath);
	free(held);
	real.close(fd);
	__atomic_store_n(&reloc_seen, gen, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&reloc_mu);
	log_debug("location generation %llu in force",
	    (unsigned long long)gen);
	return r < 0 ? r : 1;
}

/* fdtab: see fdtab.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flac/rt/fdmirror.h"
#include "flac/rt/fdtab.h"

struct fdtab_ent {
	char			*vpath;
	struct fdtab_push	*push;
	unsigned long long	 odev;
	unsigned long long	 oino;
	int			 origin;
	int			 stale;		/* no reopen after a move */
	int			 sflags;	/*   its open flags */
	long long		 soff;		/*   its offset then */
};

int fdtab_nstale;	/* how many entries are stale (a hint) */

static struct fdtab_ent *fdtab_chunks[FDTAB_NCHUNKS];
static pthread_mutex_t fdtab_mu = PTHREAD_MUTEX_INITIALIZER;

/* The entry of fd, allocating its chunk when make; NULL if none. */
static struct fdtab_ent *
fdtab_ent(int fd, int make)
{
	struct fdtab_ent *c;
	unsigned i;

	if (fd < 0 || fd >= FDTAB_MAXFD)
		return NULL;
	i = (unsigned)fd / FDTAB_CHUNK;
	c = __atomic_load_n(&fdtab_chunks[i], __ATOMIC_ACQUIRE);
	if (c == NULL && make) {
		if ((c = calloc(FDTAB_CHUNK, sizeof *c)) == NULL)
			return NULL;
		__atomic_store_n(&fdtab_chunks[i], c, __ATOMIC_RELEASE);
	}
	return c == NULL ? NULL : &c[(unsigned)fd % FDTAB_CHUNK];
}

void
fdtab_push_free(struct fdtab_push *p)
{
	if (p == NULL)
		return;
	free(p->primary);
	free(p->secondary);
	free(p->vpath);
	free(p);
}

static struct fdtab_push *
fdtab_push_copy(const struct fdtab_push *p)
{
	struct fdtab_push *c;

	if (p == NULL || (c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->primary = strdup(p->primary);
	c->secondary = strdup(p->secondary);
	c->mod = p->mod;
	c->viad = p->viad;
	c->psvc = p->psvc;
	c->ssvc = p->ssvc;
	c->vpath = p->vpath != NULL ? strdup(p->vpath) : NULL;
	if (c->primary == NULL || c->secondary == NULL ||
	    (p->vpath != NULL && c->vpath == NULL)) {
		fdtab_push_free(c);
		return NULL;
	}
	return c;
}

/* Empties e (lock held); returns the push it had. */
static struct fdtab_push *
fdtab_clear(struct fdtab_ent *e)
{
	struct fdtab_push *p = e->push;

	free(e->vpath);
	e->vpath = NULL;
	e->push = NULL;
	e->origin = 0;
	if (e->stale) {
		e->stale = 0;
		__atomic_sub_fetch(&fdtab_nstale, 1, __ATOMIC_RELAXED);
	}
	return p;
}

int
fdtab_set(int fd, const char *vpath)
{
	struct fdtab_ent *e;
	char *copy;

	if (fd < 0 || fd >= FDTAB_MAXFD)
		return -EBADF;
	if ((copy = strdup(vpath)) == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 1)) == NULL) {
		pthread_mutex_unlock(&fdtab_mu);
		free(copy);
		return -ENOMEM;
	}
	fdtab_push_free(fdtab_clear(e));
	e->vpath = copy;
	fdmirror_set(fd, copy);
	pthread_mutex_unlock(&fdtab_mu);
	return 0;
}

int
fdtab_set_push(int fd, const char *primary, const char *secondary, int mod)
{
	struct fdtab_push *p;
	struct fdtab_ent *e;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return -ENOMEM;
	p->primary = strdup(primary);
	p->secondary = strdup(secondary);
	p->mod = mod;
	if (p->primary == NULL || p->secondary == NULL) {
		fdtab_push_free(p);
		return -ENOMEM;
	}
	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) == NULL || e->vpath == NULL) {
		pthread_mutex_unlock(&fdtab_mu);
		fdtab_push_free(p);
		return -EBADF;
	}
	fdtab_push_free(e->push);
	e->push = p;
	pthread_mutex_unlock(&fdtab_mu);
	return 0;
}

int
fdtab_set_push_svc(int fd, unsigned psvc, unsigned ssvc)
{
	struct fdtab_ent *e;
	int r = -EBADF;

	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) != NULL && e->push != NULL) {
		free(e->push->vpath);
		if ((e->push->vpath = strdup(e->vpath)) == NULL)
			r = -ENOMEM;
		else {
			e->push->viad = 1;
			e->push->psvc = psvc;
			e->push->ssvc = ssvc;
			r = 0;
		}
	}
	pthread_mutex_unlock(&fdtab_mu);
	return r;
}

int
fdtab_set_origin(int fd, unsigned long long dev, unsigned long long ino)
{
	struct fdtab_ent *e;
	int r = -EBADF;

	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) != NULL && e->vpath != NULL) {
		e->odev = dev;
		e->oino = ino;
		e->origin = 1;
		r = 0;
	}
	pthread_mutex_unlock(&fdtab_mu);
	return r;
}

int
fdtab_origin(int fd, unsigned long long *dev, unsigned long long *ino)
{
	struct fdtab_ent *e;
	int r = 0;

	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) != NULL && e->vpath != NULL &&
	    e->origin) {
		*dev = e->odev;
		*ino = e->oino;
		r = 1;
	}
	pthread_mutex_unlock(&fdtab_mu);
	return r;
}

int
fdtab_get(int fd, char *out, size_t sz)
{
	struct fdtab_ent *e;
	size_t n;
	int r;

	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) == NULL || e->vpath == NULL)
		r = -ENOENT;
	else if ((n = strlen(e->vpath)) + 1 > sz)
		r = -ENAMETOOLONG;
	else {
		memcpy(out, e->vpath, n + 1);
		r = (int)n;
	}
	pthread_mutex_unlock(&fdtab_mu);
	return r;
}

int
fdtab_set_stale(int fd, int stale, int flags, long long off)
{
	struct fdtab_ent *e;
	int r = -EBADF;

	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) != NULL && e->vpath != NULL) {
		if (stale && !e->stale)
			__atomic_add_fetch(&fdtab_nstale, 1, __ATOMIC_RELAXED);
		else if (!stale && e->stale)
			__atomic_sub_fetch(&fdtab_nstale, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&e->stale, stale, __ATOMIC_RELAXED);
		e->sflags = flags;
		e->soff = off;
		r = 0;
	}
	pthread_mutex_unlock(&fdtab_mu);
	return r;
}

int
fdtab_stale(int fd, int *flags, long long *off)
{
	struct fdtab_ent *e;
	int r = 0;

	if (__atomic_load_n(&fdtab_nstale, __ATOMIC_RELAXED) == 0)
		return 0;
	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) != NULL && e->vpath != NULL && e->stale) {
		if (flags != NULL)
			*flags = e->sflags;
		if (off != NULL)
			*off = e->soff;
		r = 1;
	}
	pthread_mutex_unlock(&fdtab_mu);
	return r;
}

int
fdtab_stale_hint(int fd)
{
	struct fdtab_ent *e;

	if (__atomic_load_n(&fdtab_nstale, __ATOMIC_RELAXED) == 0 ||
	    (e = fdtab_ent(fd, 0)) == NULL)
		return 0;
	return __atomic_load_n(&e->stale, __ATOMIC_RELAXED);
}

int
fdtab_has(int fd)
{
	struct fdtab_ent *e = fdtab_ent(fd, 0);

	return e != NULL && __atomic_load_n(&e->vpath, __ATOMIC_RELAXED) !=
	    NULL;
}

void
fdtab_dup(int oldfd, int newfd)
{
	struct fdtab_ent *o, *n;
	struct fdtab_push *drop = NULL;
	char *copy = NULL;

	if (oldfd == newfd)
		return;
	pthread_mutex_lock(&fdtab_mu);
	o = fdtab_ent(oldfd, 0);
	if (o != NULL && o->vpath != NULL) {
		if ((n = fdtab_ent(newfd, 1)) != NULL &&
		    (copy = strdup(o->vpath)) != NULL) {
			drop = fdtab_clear(n);
			n->vpath = copy;
			n->push = fdtab_push_copy(o->push);
			n->origin = o->origin;
			n->odev = o->odev;
			n->oino = o->oino;
			if (o->stale) {	/* the same stale file */
				n->stale = 1;
				n->sflags = o->sflags;
				n->soff = o->soff;
				__atomic_add_fetch(&fdtab_nstale, 1,
				    __ATOMIC_RELAXED);
			}
			fdmirror_set(newfd, copy);
		}
	} else if ((n = fdtab_ent(newfd, 0)) != NULL) {
		drop = fdtab_clear(n);
		fdmirror_set(newfd, NULL);
	}
	pthread_mutex_unlock(&fdtab_mu);
	fdtab_push_free(drop);
}

struct fdtab_push *
fdtab_take(int fd)
{
	struct fdtab_ent *e;
	struct fdtab_push *p = NULL;

	pthread_mutex_lock(&fdtab_mu);
	if ((e = fdtab_ent(fd, 0)) != NULL) {
		p = fdtab_clear(e);
		fdmirror_set(fd, NULL);
	}
	pthread_mutex_unlock(&fdtab_mu);
	return p;
}

struct fdtab_push *
fdtab_next_push(int *fd)
{
	struct fdtab_push *p = NULL;
	struct fdtab_ent *c;
	unsigned i, j;

	pthread_mutex_lock(&fdtab_mu);
	for (i = (unsigned)*fd / FDTAB_CHUNK; p == NULL && i < FDTAB_NCHUNKS;
	    i++) {
		if ((c = fdtab_chunks[i]) == NULL)
			continue;
		for (j = i == (unsigned)*fd / FDTAB_CHUNK ?
		    (unsigned)*fd % FDTAB_CHUNK : 0; j < FDTAB_CHUNK; j++)
			if (c[j].push != NULL) {
				p = fdtab_push_copy(c[j].push);
				*fd = (int)(i * FDTAB_CHUNK + j);
				break;
			}
	}
	pthread_mutex_unlock(&fdtab_mu);
	return p;
}

void
fdtab_forget_range(unsigned lo, unsigned hi)
{
	struct fdtab_ent *e;
	unsigned fd;

	if (hi >= FDTAB_MAXFD)
		hi = FDTAB_MAXFD - 1;
	pthread_mutex_lock(&fdtab_mu);
	for (fd = lo; fd <= hi; fd++) {
		if (fd % FDTAB_CHUNK == 0 &&
		    fdtab_chunks[fd / FDTAB_CHUNK] == NULL) {
			if (hi - fd < FDTAB_CHUNK)
				break;
			fd += FDTAB_CHUNK - 1;
			continue;
		}
		if ((e = fdtab_ent((int)fd, 0)) != NULL && e->vpath != NULL) {
			fdtab_push_free(fdtab_clear(e));
			fdmirror_set((int)fd, NULL);
		}
	}
	pthread_mutex_unlock(&fdtab_mu);
}

void
fdtab_lock_all(void)
{
	pthread_mutex_lock(&fdtab_mu);
}

void
fdtab_unlock_all(void)
{
	pthread_mutex_unlock(&fdtab_mu);
}

void
fdtab_child_reset(void)
{
	pthread_mutex_init(&fdtab_mu, NULL);
	fdmirror_child();
}

/*
 * dgram: tunnelling datagrams over a rock (RE-API rocks_dgram_*, section
 * 3.7 of the dissertation).  The rock's stream carries frames (dgram.h);
 * the rock already makes the stream survive outages, so each datagram
 * arrives whole, in order, exactly once.
 *
 * Sending never blocks the program: a datagram is copied whole into the
 * tunnel's queue (a ring of frame bytes, bounded by the program's
 * queue_bytes) or refused with EAGAIN.  The queue is written to the rock
 * with MSG_DONTWAIT, at once when it can be, and else by the tunnel's own
 * thread, which waits for the socket to drain or for the rock to resume.
 * Receiving reads a header, then exactly its datagram, never a byte more,
 * so that the kernel's readiness of the fd stays the program's guide.
 *
 * Lock: dg.lock, for every tunnel; rock_send is only called under it with
 * MSG_DONTWAIT (it never blocks), and no rock lock is held while taking it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROCKS_BUILDING_LIBRARY
#include "librocks/rocks.h"

#include "common/log.h"
#include "librocks/dgram.h"
#include "librocks/hook.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define DG_SLOTS 64

struct dg_tun {
	int          used;
	struct rock *r;         /* held */
	int          flusher;   /* its thread runs */
	int          users;     /* API calls inside it without the lock */
	int          err;       /* sticky: why sends fail now */

	uint8_t     *q;         /* frames not yet taken by the kernel */
	size_t       qcap, qhead, qlen;

	int          rx_busy;   /* a thread receives */
	uint8_t      hdr[DGRAM_HDR];
	size_t       hlen;
	int          in_body;
	uint32_t     dlen, dhave;
	uint8_t     *rbuf;      /* DGRAM_MAX */
	int          rx_err;    /* sticky: EBADMSG */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t  cond;   /* queue or receiver changed */
	struct dg_tun   t[DG_SLOTS];
} dg = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* A child has no tunnel threads: its rocks go on as plain rocks. */
static void
dg_child(void)
{
	pthread_mutex_init(&dg.lock, NULL);
	pthread_cond_init(&dg.cond, NULL);
	memset(dg.t, 0, sizeof dg.t);
}

static void
dg_prefork(void)
{
	pthread_mutex_lock(&dg.lock);
}

static void
dg_parent(void)
{
	pthread_mutex_unlock(&dg.lock);
}

__attribute__((constructor)) static void
dg_init(void)
{
	pthread_atfork(dg_prefork, dg_parent, dg_child);
}

static ssize_t
dg_fail(int e)
{
	errno = e;
	return -1;
}

/* The tunnel of the rock behind fd; dg.lock held.  NULL, with *e why. */
static struct dg_tun *
dg_find(int fd, int *e)
{
	struct rock *r = rock_lookup(fd);
	int i;

	*e = ENOTCONN;
	if (r == NULL) {
		if (fcntl(fd, F_GETFD) < 0)
			*e = EBADF;
		return NULL;
	}
	for (i = 0; i < DG_SLOTS; i++)
		if (dg.t[i].used && dg.t[i].r == r)
			return &dg.t[i];
	if (r->state == ROCK_CLOSED)
		*e = r->err ? r->err : ECONNRESET;
	return NULL;
}

/* dg.lock held. */
static void
dg_free_if_idle(struct dg_tun *t)
{
	if (t->users > 0 || t->flusher)
		return;
	free(t->q);
	free(t->rbuf);
	rock_put(t->r);
	memset(t, 0, sizeof *t);
}

static int
dg_dead(const struct rock *r)
{
	return r->state == ROCK_CLOSED || r->app_closed;
}

/* Gives the kernel what it takes of the queue; dg.lock held.  0 when the
 * queue is empty, -EAGAIN when the rest must wait, else -errno. */
static int
dg_flush(struct dg_tun *t)
{
	struct iovec iov[2];
	struct msghdr msg = { .msg_iov = iov };
	size_t first;
	ssize_t n;

	while (t->qlen > 0) {
		first = t->qcap - t->qhead;
		if (first > t->qlen)
			first = t->qlen;
		iov[0] = (struct iovec){ t->q + t->qhead, first };
		iov[1] = (struct iovec){ t->q, t->qlen - first };
		msg.msg_iovlen = t->qlen > first ? 2 : 1;
		n = rock_send(t->r, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ?
			    -EAGAIN : -errno;
		t->qhead = (t->qhead + (size_t)n) % t->qcap;
		t->qlen -= (size_t)n;
	}
	return 0;
}

/* dg.lock held: flush, and remember a failure for the program. */
static int
dg_push(struct dg_tun *t)
{
	int rc = dg_flush(t);

	if (rc < 0 && rc != -EAGAIN) {
		log_info("rock %d: datagram tunnel: %zu bytes dropped (%s)",
		    t->r->fd, t->qlen, strerror(-rc));
		t->err = -rc;
		t->qlen = 0;
	}
	pthread_cond_broadcast(&dg.cond);
	return rc;
}

static void *
dg_flusher(void *arg)
{
	struct dg_tun *t = arg;
	struct rock *r = t->r;
	struct timespec ts;
	struct pollfd p[2];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&dg.lock);
	while (!dg_dead(r)) {
		if (t->qlen == 0 || t->err) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&dg.cond, &dg.lock, &ts);
			continue;
		}
		if (dg_push(t) != -EAGAIN)
			continue;
		pthread_mutex_unlock(&dg.lock);
		if (r->state == ROCK_SUSPENDED)
			rock_wait_resumed(r);
		else {
			p[0] = (struct pollfd){ .fd = r->fd, .events = POLLOUT };
			p[1] = (struct pollfd){ .fd = r->evfd, .events = POLLIN };
			(void)real.poll(p, 2, 1000);
		}
		pthread_mutex_lock(&dg.lock);
	}
	t->flusher = 0;
	dg_free_if_idle(t);
	pthread_mutex_unlock(&dg.lock);
	return NULL;
}

ROCKS_FN int
rocks_dgram_open(int fd, size_t queue_bytes)
{
	struct dg_tun *t = NULL;
	pthread_attr_t at;
	pthread_t tid;
	struct rock *r;
	int i, e, eagain;

	if (queue_bytes == 0)
		queue_bytes = ROCKS_DGRAM_QUEUE;
	if (queue_bytes < 65536 || queue_bytes > (1u << 30))
		return (int)dg_fail(EINVAL);
	real_init();
	if ((r = rock_lookup(fd)) == NULL)
		return (int)dg_fail(fcntl(fd, F_GETFD) < 0 ? EBADF : ENOTSUP);
	if (r->state == ROCK_UNDECIDED &&
	    (r = hook_rock(fd, 0, MSG_DONTWAIT, &eagain)) == NULL)
		return (int)dg_fail(eagain ? EAGAIN : ENOTSUP);
	if (r->state == ROCK_CLOSED)
		return (int)dg_fail(r->err ? r->err : ECONNRESET);
	pthread_mutex_lock(&dg.lock);
	if (dg_find(fd, &e) != NULL) {
		pthread_mutex_unlock(&dg.lock);
		return (int)dg_fail(EEXIST);
	}
	for (i = 0; i < DG_SLOTS && t == NULL; i++)
		if (!dg.t[i].used)
			t = &dg.t[i];
	if (t == NULL || (t->q = malloc(queue_bytes)) == NULL ||
	    (t->rbuf = malloc(DGRAM_MAX)) == NULL) {
		if (t != NULL)
			free(t->q);
		if (t != NULL)
			t->q = NULL;
		pthread_mutex_unlock(&dg.lock);
		return (int)dg_fail(ENOMEM);
	}
	t->used = 1;
	t->r = r;
	rock_get(r);
	t->qcap = queue_bytes;
	t->flusher = 1;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if ((e = pthread_create(&tid, &at, dg_flusher, t)) != 0) {
		t->flusher = 0;
		dg_free_if_idle(t);
	}
	pthread_attr_destroy(&at);
	pthread_mutex_unlock(&dg.lock);
	if (e != 0)
		return (int)dg_fail(e == EAGAIN ? ENOMEM : e);
	log_info("rock %d: datagram tunnel open (%zu bytes of queue)", fd,
	    queue_bytes);
	return 0;
}

/* Copies n bytes into the queue's ring at its tail; dg.lock held. */
static void
dg_enqueue(struct dg_tun *t, const uint8_t *p, size_t n)
{
	size_t tail = (t->qhead + t->qlen) % t->qcap, first;

	first = t->qcap - tail < n ? t->qcap - tail : n;
	memcpy(t->q + tail, p, first);
	memcpy(t->q, p + first, n - first);
	t->qlen += n;
}

ROCKS_FN ssize_t
rocks_dgram_send(int fd, const void *buf, size_t len)
{
	uint8_t h[DGRAM_HDR];
	struct dg_tun *t;
	int e, rc;

	if (len > DGRAM_MAX)
		return dg_fail(EMSGSIZE);
	if (buf == NULL && len > 0)
		return dg_fail(EFAULT);
	pthread_mutex_lock(&dg.lock);
	if ((t = dg_find(fd, &e)) == NULL || (e = t->err) != 0) {
		pthread_mutex_unlock(&dg.lock);
		return dg_fail(e);
	}
	if (t->qcap - t->qlen < DGRAM_HDR + len) {
		pthread_mutex_unlock(&dg.lock);
		return dg_fail(EAGAIN);
	}
	dgram_hdr_put(h, (uint32_t)len);
	dg_enqueue(t, h, sizeof h);
	dg_enqueue(t, buf, len);
	rc = dg_push(t);
	pthread_mutex_unlock(&dg.lock);
	if (rc < 0 && rc != -EAGAIN)
		return dg_fail(-rc);
	return (ssize_t)len;
}

ROCKS_FN ssize_t
rocks_dgram_queued(int fd)
{
	struct dg_tun *t;
	ssize_t n;
	int e;

	pthread_mutex_lock(&dg.lock);
	t = dg_find(fd, &e);
	n = t != NULL ? (ssize_t)t->qlen : -1;
	pthread_mutex_unlock(&dg.lock);
	return n < 0 ? dg_fail(e) : n;
}

/* Reads into p[0..n) from the rock; > 0 bytes, 0 end, -errno. */
static ssize_t
dg_read(struct rock *r, void *p, size_t n, int flags)
{
	struct iovec iov = { p, n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t got = rock_recv(r, &msg, flags & MSG_DONTWAIT);

	return got < 0 ? -errno : got;
}

/* The receiving body; the caller owns t's receive side.  -errno. */
static ssize_t
dg_recv(struct dg_tun *t, void *buf, size_t len, int flags)
{
	ssize_t n;
	size_t give;

	if (t->rx_err)
		return -t->rx_err;
	for (;;) {
		if (!t->in_body) {
			n = dg_read(t->r, t->hdr + t->hlen, DGRAM_HDR - t->hlen,
			    flags);
			if (n == 0)
				return t->hlen == 0 ? -ESHUTDOWN : -EBADMSG;
			if (n < 0)
				return n;
			if ((t->hlen += (size_t)n) < DGRAM_HDR)
				continue;
			if (dgram_hdr_get(t->hdr, &t->dlen) < 0) {
				log_warn("rock %d: datagram tunnel: a frame of "
				    "more than %d bytes; the peer does not speak "
				    "it", t->r->fd, DGRAM_MAX);
				t->rx_err = EBADMSG;
				return -EBADMSG;
			}
			t->in_body = 1;
			t->dhave = 0;
		}
		if (t->dhave < t->dlen) {
			n = dg_read(t->r, t->rbuf + t->dhave, t->dlen - t->dhave,
			    flags);
			if (n == 0) {
				t->rx_err = EBADMSG;    /* cut in the middle */
				return -EBADMSG;
			}
			if (n < 0)
				return n;
			t->dhave += (uint32_t)n;
			continue;
		}
		give = len < t->dlen ? len : t->dlen;
		if (give > 0)
			memcpy(buf, t->rbuf, give);
		t->in_body = 0;
		t->hlen = 0;
		return (flags & MSG_TRUNC) ? (ssize_t)t->dlen : (ssize_t)give;
	}
}

ROCKS_FN ssize_t
rocks_dgram_recv(int fd, void *buf, size_t len, int flags)
{
	struct dg_tun *t;
	ssize_t n;
	int e;

	if (buf == NULL && len > 0)
		return dg_fail(EFAULT);
	pthread_mutex_lock(&dg.lock);
	while ((t = dg_find(fd, &e)) != NULL && t->rx_busy)
		pthread_cond_wait(&dg.cond, &dg.lock);
	if (t == NULL) {
		pthread_mutex_unlock(&dg.lock);
		return dg_fail(e);
	}
	t->rx_busy = 1;
	t->users++;
	pthread_mutex_unlock(&dg.lock);

	n = dg_recv(t, buf, len, flags);

	pthread_mutex_lock(&dg.lock);
	t->rx_busy = 0;
	t->users--;
	pthread_cond_broadcast(&dg.cond);
	dg_free_if_idle(t);
	pthread_mutex_unlock(&dg.lock);
	return n < 0 ? dg_fail((int)-n) : n;
}

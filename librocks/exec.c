/*
 * exec: rocks survive exec().  Before the program's exec, the state of
 * every rock whose descriptors stay open across it goes into a memfd that
 * stays open too, named by EVICT_ROCKS_STATE in the new image's
 * environment; the new image's librocks reads it back at start-up.  A new
 * control thread (and port) follows; the peer learns the new port from our
 * authenticated heartbeats.
 *
 * File: u32 "RKEX" | u16 version | u16 flags | u32 count, then per rock a
 * frame (type 1) whose payload rock_exec_decode() reads field by field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/exec.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define EXEC_MAGIC   0x524b4558u   /* "RKEX" */
#define EXEC_VERSION 1
#define EXEC_MAX     (64u << 20)
/*
 * A keeper's first heartbeat number is this far above the last one the
 * process that hands it the rock read: its control thread may send a few
 * more before it lets go, and the peer takes a number only once.
 */
#define EXEC_KEEPER_SEQ_GAP 1024

struct exec_ctx {
	struct wbuf *b;
	int n;
	int err;
	struct rock *only;      /* a keeper's rock (rock_exec_prepare_one) */
	int as_fd;              /* the fd number it has in the keeper */
};

static int
exec_keeps(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && !(fl & FD_CLOEXEC);
}

static int
exec_put_addr(struct wbuf *b, const struct sockaddr_storage *ss, socklen_t len)
{
	return wbuf_put_blob(b, ss, len);
}

static void
exec_put_rock(struct rock *r, void *arg)
{
	struct exec_ctx *x = arg;
	struct wbuf *b = x->b;
	const uint8_t *a, *bb;
	size_t alen, blen, mark;
	int i, rc = 0, fd0;

	/*
	 * An accepted connection still undecided goes too: the new program
	 * classifies it on its first read (sshd re-executes itself for each
	 * connection before reading a byte of it).
	 */
	if (x->only != NULL && r != x->only)
		return;
	if (x->err || r->fd < 0 || r->app_closed || r->state == ROCK_CLOSED)
		return;
	/* the first name that survives (a server dup2()s it onto 0 and 1) */
	fd0 = x->only != NULL ? x->as_fd : exec_keeps(r->fd) ? r->fd : -1;
	for (i = 0; i < r->ndups && fd0 < 0; i++)
		if (exec_keeps(r->dups[i]))
			fd0 = r->dups[i];
	if (fd0 < 0)
		return;
	pthread_mutex_lock(&r->tx_lock);
	pthread_mutex_lock(&r->rx_lock);
	if (frame_begin(b, 1, &mark) < 0 ||
	    wbuf_put_u32(b, (uint32_t)fd0) < 0 ||
	    wbuf_put_u8(b, (uint8_t)r->state) < 0 ||
	    wbuf_put_u8(b, (uint8_t)r->role) < 0 ||
	    wbuf_put_u32(b, r->pre_bytes) < 0)
		rc = -1;
	/* the fd's other names that survive too */
	{
		uint8_t nd = 0;

		for (i = 0; i < r->ndups && x->only == NULL; i++)
			nd += r->dups[i] != fd0 && exec_keeps(r->dups[i]);
		if (!rc && wbuf_put_u8(b, nd) < 0)
			rc = -1;
		for (i = 0; i < r->ndups && !rc && x->only == NULL; i++)
			if (r->dups[i] != fd0 && exec_keeps(r->dups[i]) &&
			    wbuf_put_u32(b, (uint32_t)r->dups[i]) < 0)
				rc = -1;
	}
	if (!rc && r->state != ROCK_UNDECIDED) {
		if (wbuf_put_bytes(b, r->id, ROCKS_ID_LEN) < 0 ||
		    wbuf_put_bytes(b, r->k_chal, ROCKS_KEY_LEN) < 0 ||
		    wbuf_put_bytes(b, r->k_hb, ROCKS_KEY_LEN) < 0 ||
		    exec_put_addr(b, &r->peer, r->peerlen) < 0 ||
		    exec_put_addr(b, &r->local, r->locallen) < 0 ||
		    exec_put_addr(b, &r->peer_ctl, r->peer_ctllen) < 0 ||
		    wbuf_put_u16(b, r->peer_ctl_port) < 0 ||
		    wbuf_put_u32(b, r->hb_ms) < 0 ||
		    wbuf_put_u32(b, r->hb_misses) < 0 ||
		    wbuf_put_u64(b, r->hb_seq_tx + (x->only != NULL ?
		    EXEC_KEEPER_SEQ_GAP : 0)) < 0 ||
		    wbuf_put_u64(b, r->hb_seq_rx) < 0 ||
		    wbuf_put_u64(b, r->sent) < 0 ||
		    wbuf_put_u64(b, r->rcvd) < 0 ||
		    wbuf_put_u8(b, (uint8_t)r->shut_wr) < 0 ||
		    wbuf_put_u8(b, (uint8_t)r->peer_eof) < 0 ||
		    wbuf_put_u64(b, (uint64_t)r->ring_cap) < 0)
			rc = -1;
		/* the ring's bytes the peer may still need: all it holds */
		if (!rc) {
			uint64_t from = r->sent > r->ring_cap ? r->sent - r->ring_cap : 0;

			if (rock_ring_span(r, from, &a, &alen, &bb, &blen) < 0 ||
			    wbuf_put_u64(b, from) < 0 ||
			    wbuf_put_blob(b, a, alen) < 0 ||
			    wbuf_put_blob(b, bb, blen) < 0 ||
			    wbuf_put_blob(b, r->salv + r->salv_off,
			    r->salv_len - r->salv_off) < 0)
				rc = -1;
		}
		if (!rc && wbuf_put_u8(b, (uint8_t)r->nopts) < 0)
			rc = -1;
		for (i = 0; i < r->nopts && !rc; i++)
			if (wbuf_put_u32(b, (uint32_t)r->opts[i].level) < 0 ||
			    wbuf_put_u32(b, (uint32_t)r->opts[i].name) < 0 ||
			    wbuf_put_blob(b, r->opts[i].val, r->opts[i].len) < 0)
				rc = -1;
	}
	if (!rc && frame_end(b, mark) < 0)
		rc = -1;
	pthread_mutex_unlock(&r->rx_lock);
	pthread_mutex_unlock(&r->tx_lock);
	if (rc)
		x->err = 1;
	else
		x->n++;
}

static int
exec_prepare(struct rock *only, int as_fd)
{
	struct exec_ctx x = { .only = only, .as_fd = as_fd };
	struct wbuf b;
	uint8_t *hdr;
	size_t off;
	ssize_t w;
	int fd;

	wbuf_init(&b, EXEC_MAX);
	x.b = &b;
	if (wbuf_put_hello(&b, EXEC_MAGIC, EXEC_VERSION, 0) < 0 ||
	    wbuf_put_u32(&b, 0) < 0) {
		wbuf_free(&b);
		return -ENOMEM;
	}
	rock_foreach(exec_put_rock, &x);
	if (x.err || x.n == 0) {
		if (x.err)
			log_warn("exec: rocks too large to carry; they become "
			    "plain sockets in the new program");
		wbuf_free(&b);
		return x.err ? -EMSGSIZE : -ENOENT;
	}
	hdr = b.data + WBUF_HELLO_LEN;
	hdr[0] = (uint8_t)(x.n >> 24);
	hdr[1] = (uint8_t)(x.n >> 16);
	hdr[2] = (uint8_t)(x.n >> 8);
	hdr[3] = (uint8_t)x.n;
	fd = memfd_create("evict-rocks", 0);
	if (fd >= 0 && fd < 3) {
		/* keep clear of the standard descriptors the new program expects */
		int hi = fcntl(fd, F_DUPFD, 3);

		real.close(fd);
		fd = hi;
	}
	if (fd < 0) {
		wbuf_free(&b);
		return -errno;
	}
	for (off = 0; off < b.len; off += (size_t)w) {
		w = real.write(fd, b.data + off, b.len - off);
		if (w <= 0) {
			real.close(fd);
			wbuf_free(&b);
			return -EIO;
		}
	}
	wbuf_free(&b);
	if (only == NULL)
		log_info("exec: %d rock(s) carried to the new program", x.n);
	return fd;
}

int
rock_exec_prepare(void)
{
	return exec_prepare(NULL, -1);
}

int
rock_exec_prepare_one(struct rock *r, int as_fd)
{
	return exec_prepare(r, as_fd);
}

/* Rebuilds one rock in the new program. */
static int
exec_adopt(const struct rock_exec_rock *e, void *arg)
{
	struct rock *r;
	int i;

	(void)arg;
	if (fcntl(e->fd, F_GETFD) < 0)
		return 0;               /* closed meanwhile: nothing to adopt */
	if ((r = rock_new(e->fd, e->role)) == NULL)
		return 0;
	r->pre_bytes = e->pre_bytes;
	for (i = 0; i < e->ndups; i++)
		if (fcntl(e->dups[i], F_GETFD) >= 0) {
			r->dups[r->ndups++] = e->dups[i];
			r->refs++;
		}
	if (e->state != ROCK_UNDECIDED) {
		memcpy(r->id, e->id, ROCKS_ID_LEN);
		memcpy(r->k_chal, e->k_chal, ROCKS_KEY_LEN);
		memcpy(r->k_hb, e->k_hb, ROCKS_KEY_LEN);
		r->peer = e->peer;
		r->peerlen = e->peerlen;
		r->local = e->local;
		r->locallen = e->locallen;
		r->peer_ctl = e->peer_ctl;
		r->peer_ctllen = e->peer_ctllen;
		r->peer_ctl_port = e->peer_ctl_port;
		r->hb_ms = e->hb_ms;
		r->hb_misses = e->hb_misses;
		r->hb_seq_tx = e->hb_seq_tx;
		r->hb_seq_rx = e->hb_seq_rx;
		r->shut_wr = e->shut_wr;
		r->peer_eof = e->peer_eof;
		r->rcvd = e->rcvd;
		memcpy(r->opts, e->opts, sizeof r->opts);
		r->nopts = e->nopts;
		if (rock_ring_alloc(r, e->ring_cap) < 0) {
			rock_release(r);
			return 0;
		}
		/* refill the ring as it was: position from, then the bytes */
		r->sent = e->ring_from;
		{
			struct iovec iov[2] = {
				{ (void *)(uintptr_t)e->ring_a, e->ring_alen },
				{ (void *)(uintptr_t)e->ring_b, e->ring_blen },
			};

			rock_ring_put(r, iov, 2, e->ring_alen + e->ring_blen);
		}
		r->sent = e->sent;
		if (e->salv_len > 0)
			(void)rock_salv_put(r, e->salv, e->salv_len);
		r->established_ns = r->last_rx_ns = rock_now_ns();
		r->suspended_ns = r->last_rx_ns;
		r->deadline_ns = r->suspended_ns + rocks_cfg.reconnect_ms * 1000000ull;
		rock_set_state(r, e->state == ROCK_SUSPENDED ? ROCK_SUSPENDED :
		    ROCK_CONNECTED);
		rock_salv_changed(r);
	}
	rock_list_add(r);
	rock_bind_fd(r->fd, r);
	for (i = 0; i < r->ndups; i++)
		rock_bind_fd(r->dups[i], r);
	if (r->state == ROCK_SUSPENDED && r->role == ROCK_CLIENT)
		reconnect_start(r);
	return 0;
}

void
rock_exec_adopt(void)
{
	const char *s = secure_getenv("EVICT_ROCKS_STATE");
	struct stat st;
	uint8_t *p;
	char *end;
	long fd;
	int n;

	if (s == NULL || *s == '\0')
		return;
	fd = strtol(s, &end, 10);
	unsetenv("EVICT_ROCKS_STATE");
	if (*end != '\0' || fd < 0 || fd > 1048575 || fstat((int)fd, &st) < 0 ||
	    st.st_size <= 0 || st.st_size > EXEC_MAX) {
		log_warn("exec: EVICT_ROCKS_STATE=%s names no state; ignored", s);
		return;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, (int)fd, 0);
	if (p == MAP_FAILED) {
		real.close((int)fd);
		return;
	}
	if (ctl_start() == 0) {
		n = rock_exec_decode(p, (size_t)st.st_size, exec_adopt, NULL);
		if (n < 0)
			log_warn("exec: the rocks' state is damaged; they are "
			    "plain sockets now");
		else
			log_info("exec: %d rock(s) taken over", n);
	}
	munmap(p, (size_t)st.st_size);
	real.close((int)fd);
}

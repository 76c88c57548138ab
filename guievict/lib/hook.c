/*
 * hook: what the program's libxcb now calls instead of writev, write,
 * sendmsg, recvmsg, recv, shutdown and close.  Other descriptors go
 * straight to the real functions; the managed X descriptor goes through
 * guimux's translator (guievict/guimux/xlate.h), in one of three ways:
 *
 *   passthrough  (the first server, nothing injected): the real call on
 *                the program's own buffers, then a scan of the bytes that
 *                went by, to know where requests and messages begin;
 *   translating  (after an attach, or with injected requests in flight):
 *                requests are gathered, translated in place and written;
 *                messages are read into our buffer (never more than the
 *                program asked for), translated, and copied out;
 *   held         (detached, or moving): requests are kept, the program is
 *                told they went; reads return what the sentinel left for
 *                it, then EAGAIN, and its descriptor is a placeholder that
 *                is readable only when we have something for it.
 *
 * The program never waits on something that will not come: whenever bytes
 * for it sit in our buffer while its socket is quiet, a GetInputFocus of
 * ours ("kick") makes the socket readable (its reply is swallowed).
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "guievict/lib/gv.h"

struct gv_real gv_real;

#define HOOK_READ_MIN	4096
#define HOOK_POLL_MS	100

/* ---- gbuf ------------------------------------------------------------------ */

size_t
gbuf_used(const struct gbuf *b)
{
	return b->len - b->off;
}

uint8_t *
gbuf_room(struct gbuf *b, size_t n)
{
	uint8_t *d;
	size_t cap;

	if (b->off > 0 && (b->off == b->len || b->cap - b->len < n)) {
		memmove(b->d, b->d + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return NULL;
			cap *= 2;
		}
		if ((d = realloc(b->d, cap)) == NULL)
			return NULL;
		b->d = d;
		b->cap = cap;
	}
	return b->d + b->len;
}

int
gbuf_append(struct gbuf *b, const void *p, size_t n)
{
	uint8_t *w;

	if (n == 0)
		return 0;
	if ((w = gbuf_room(b, n)) == NULL)
		return -ENOMEM;
	memcpy(w, p, n);
	b->len += n;
	return 0;
}

int
gbuf_append_iov(struct gbuf *b, const struct iovec *iov, int n)
{
	int i, r;

	for (i = 0; i < n; i++)
		if ((r = gbuf_append(b, iov[i].iov_base, iov[i].iov_len)) != 0)
			return r;
	return 0;
}

void
gbuf_consume(struct gbuf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void
gbuf_free(struct gbuf *b)
{
	free(b->d);
	memset(b, 0, sizeof *b);
}

/* ---- helpers ------------------------------------------------------------------ */

static int
hook_ours(int fd)
{
	return fd >= 0 && fd == __atomic_load_n(&gv.fd, __ATOMIC_ACQUIRE);
}

static size_t
hook_iov_len(const struct iovec *iov, int n)
{
	size_t t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Copies pend into the program's buffers; bytes copied. */
static size_t
hook_copy_out(struct msghdr *m)
{
	size_t done = 0, k;
	size_t i;

	for (i = 0; i < m->msg_iovlen && gbuf_used(&gv.pend) > 0; i++) {
		k = m->msg_iov[i].iov_len;
		if (k > gbuf_used(&gv.pend))
			k = gbuf_used(&gv.pend);
		memcpy(m->msg_iov[i].iov_base, gv.pend.d + gv.pend.off, k);
		gbuf_consume(&gv.pend, k);
		done += k;
	}
	return done;
}

static int
hook_c2s_boundary(void)
{
	return xl_c2s_at_boundary(&gv.xl) && gbuf_used(&gv.cin) == 0;
}

int
hook_inject(const uint8_t *req, size_t len, uint32_t tag)
{
	int r;

	if ((r = gbuf_append(&gv.out, req, len)) != 0)
		return r;
	if ((r = xl_inject(&gv.xl, req, len, tag)) != 0) {
		gv.out.len -= len;
		return r;
	}
	return 0;
}

/* Translates what the server sent (in sin) into pend. */
static void
hook_pull(void)
{
	size_t used, out, n = gbuf_used(&gv.sin);

	if (n == 0)
		return;
	out = xl_s2c(&gv.xl, gv.sin.d + gv.sin.off, n, &used);
	if (out > 0 && gbuf_append(&gv.pend, gv.sin.d + gv.sin.off, out) != 0)
		log_once(EVLOG_ERROR, "out of memory: X messages lost");
	gbuf_consume(&gv.sin, used);
}

/* Reads what is there (nonblocking) into sin; bytes, 0 at EOF, -errno. */
static ssize_t
hook_read_some(size_t want)
{
	uint8_t *w;
	ssize_t n;

	if (want < HOOK_READ_MIN)
		want = HOOK_READ_MIN;
	if ((w = gbuf_room(&gv.sin, want)) == NULL)
		return -ENOMEM;
	do
		n = gv_real.recv(gv.fd, w, want, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	gv.sin.len += (size_t)n;
	return n;
}

int
hook_flush_out(int timeout_ms)
{
	struct pollfd pfd;
	uint64_t deadline = timeout_ms < 0 ? 0 :
	    gv_now_us() + (uint64_t)timeout_ms * 1000u;
	ssize_t n;
	int wait;

	while (gbuf_used(&gv.out) > 0) {
		n = gv_real.write(gv.fd, gv.out.d + gv.out.off,
		    gbuf_used(&gv.out));
		if (n > 0) {
			gbuf_consume(&gv.out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* full: wait for room, and read meanwhile, as xcb would */
		wait = HOOK_POLL_MS;
		if (timeout_ms >= 0) {
			uint64_t now = gv_now_us();

			if (now >= deadline)
				return -ETIMEDOUT;
			if ((deadline - now) / 1000u < (uint64_t)wait)
				wait = (int)((deadline - now) / 1000u) + 1;
		}
		pfd.fd = gv.fd;
		pfd.events = POLLIN | POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return -errno;
		if (pfd.revents & POLLIN) {
			n = hook_read_some(1u << 16);
			if (n == 0)
				return -EPIPE;
			hook_pull();
			if (gbuf_used(&gv.pend) > 0)
				gv.need_kick = 1;
		}
		if ((pfd.revents & (POLLERR | POLLHUP)) && !(pfd.revents & POLLOUT))
			return -EPIPE;
	}
	return 0;
}

/* Called with the lock held after the request stream reached a boundary. */
static void
hook_maybe_kick(void)
{
	uint8_t req[4];

	if (!gv.need_kick || gv.kick_out || !gv.xl.calibrated ||
	    gv.state == GVC_ST_DETACHED || !hook_c2s_boundary())
		return;
	xl_kick_req(&gv.xl, req);
	if (hook_inject(req, sizeof req, XL_TAG_KICK) != 0)
		return;
	gv.need_kick = 0;
	gv.kick_out = 1;
	if (hook_flush_out(GV_SYNC_MS) != 0)
		log_once(EVLOG_WARN, "could not write a kick to the X server");
}

void
hook_wake_program(void)
{
	if (gbuf_used(&gv.pend) == 0)
		return;
	if (gv.state == GVC_ST_DETACHED) {
		if (gv.ph_wr >= 0 && !gv.ph_signaled) {
			if (gv_real.write(gv.ph_wr, "k", 1) == 1)
				gv.ph_signaled = 1;
		}
		return;
	}
	gv.need_kick = 1;
	hook_maybe_kick();
}

/* The placeholder's wake byte, once pend is empty. */
static void
hook_drain_placeholder(void)
{
	char c;

	if (gv.ph_signaled && gbuf_used(&gv.pend) == 0) {
		if (gv_real.recv(gv.fd, &c, 1, MSG_DONTWAIT) == 1)
			gv.ph_signaled = 0;
	}
}

/*
 * The first read after the hijack: libxcb may hold the start of a message
 * already.  _xcb_in_read() reads into c->in.queue + queue_len with room
 * for sizeof(queue) - queue_len (4096 in libxcb 1.x), and keeps only a
 * header shorter than 32 bytes there; read_block() recv()s exactly the
 * rest of a longer message.  Either tells where the next message starts.
 */
static void
hook_seed(const struct msghdr *m, int is_recv)
{
	size_t room, q;

	if (!xl_s2c_at_boundary(&gv.xl) || m->msg_iovlen != 1)
		return;
	room = m->msg_iov[0].iov_len;
	if (is_recv) {
		gv.xl.s_left = room;
		log_debug("hijacked in the middle of a message: %zu bytes left",
		    room);
	} else if (room < GV_XCB_QUEUE && room > GV_XCB_QUEUE - 32) {
		q = GV_XCB_QUEUE - room;
		xl_s2c_scan(&gv.xl, (const uint8_t *)m->msg_iov[0].iov_base - q,
		    q);
		log_debug("libxcb held %zu bytes of a message", q);
	}
}

/* ---- the write side ------------------------------------------------------------- */

static ssize_t
hook_send(int fd, const struct iovec *iov, int iovcnt, const struct msghdr *m,
    int flags)
{
	size_t total = hook_iov_len(iov, iovcnt), k;
	ssize_t n;
	int e, r;

	pthread_mutex_lock(&gv.lock);
again:
	if (fd != gv.fd)
		goto real;
	switch (gv.state) {
	case GVC_ST_ATTACHED:
		if (xl_c2s_passthrough(&gv.xl) && gbuf_used(&gv.out) == 0 &&
		    gbuf_used(&gv.cin) == 0) {
			n = m != NULL ? gv_real.sendmsg(fd, m, flags) :
			    gv_real.writev(fd, iov, iovcnt);
			e = errno;
			if (n > 0) {
				xl_c2s_scan_iov(&gv.xl, iov, iovcnt, (size_t)n);
				if (xl_c2s_at_boundary(&gv.xl)) {
					pthread_cond_broadcast(&gv.cond);
					hook_maybe_kick();
				}
			}
			pthread_mutex_unlock(&gv.lock);
			errno = e;
			return n;
		}
		if (gbuf_append_iov(&gv.cin, iov, iovcnt) != 0) {
			pthread_mutex_unlock(&gv.lock);
			errno = ENOMEM;
			return -1;
		}
		if (m != NULL && m->msg_controllen > 0)
			log_once(EVLOG_WARN, "descriptors sent to the X server "
			    "after a move are dropped");
		k = xl_c2s(&gv.xl, gv.cin.d + gv.cin.off, gbuf_used(&gv.cin));
		if (k > 0 && gbuf_append(&gv.out, gv.cin.d + gv.cin.off, k) != 0) {
			pthread_mutex_unlock(&gv.lock);
			errno = ENOMEM;
			return -1;
		}
		gbuf_consume(&gv.cin, k);
		r = hook_flush_out(-1);
		if (r != 0) {
			pthread_mutex_unlock(&gv.lock);
			errno = -r;
			return -1;
		}
		if (hook_c2s_boundary())
			pthread_cond_broadcast(&gv.cond);
		hook_maybe_kick();
		pthread_mutex_unlock(&gv.lock);
		return (ssize_t)total;
	case GVC_ST_DETACHED:
	case GVC_ST_MOVING:
		while (gbuf_used(&gv.hold) + total > GV_HOLD_MAX &&
		    (gv.state == GVC_ST_DETACHED || gv.state == GVC_ST_MOVING))
			pthread_cond_wait(&gv.cond, &gv.lock);
		if (gv.state != GVC_ST_DETACHED && gv.state != GVC_ST_MOVING)
			goto again;
		if (m != NULL && m->msg_controllen > 0)
			log_once(EVLOG_WARN, "descriptors sent to the X server "
			    "while detached are dropped");
		if (gbuf_append_iov(&gv.hold, iov, iovcnt) != 0) {
			pthread_mutex_unlock(&gv.lock);
			errno = ENOMEM;
			return -1;
		}
		pthread_mutex_unlock(&gv.lock);
		return (ssize_t)total;
	default:
		break;
	}
real:
	pthread_mutex_unlock(&gv.lock);
	return m != NULL ? gv_real.sendmsg(fd, m, flags) :
	    gv_real.writev(fd, iov, iovcnt);
}

/* ---- the read side -------------------------------------------------------------- */

static ssize_t
hook_receive(int fd, struct msghdr *m, int is_recv, int flags)
{
	struct msghdr mm;
	struct iovec v;
	size_t cap = hook_iov_len(m->msg_iov, (int)m->msg_iovlen), got;
	ssize_t n;
	uint8_t *w;
	int e, eof = 0;

	pthread_mutex_lock(&gv.lock);
	if (fd != gv.fd)
		goto real;
	if (!gv.seeded) {
		gv.seeded = 1;
		hook_seed(m, is_recv);
	}
	switch (gv.state) {
	case GVC_ST_ATTACHED:
	case GVC_ST_MOVING:
		if (gbuf_used(&gv.pend) > 0) {
			got = hook_copy_out(m);
			m->msg_controllen = 0;
			m->msg_flags = 0;
			if (gbuf_used(&gv.pend) > 0)
				hook_wake_program();
			pthread_mutex_unlock(&gv.lock);
			return (ssize_t)got;
		}
		if (xl_s2c_passthrough(&gv.xl) && gbuf_used(&gv.sin) == 0) {
			n = gv_real.recvmsg(fd, m, flags);
			e = errno;
			if (n > 0) {
				size_t left = (size_t)n, i, k;

				for (i = 0; i < m->msg_iovlen && left > 0; i++) {
					k = m->msg_iov[i].iov_len < left ?
					    m->msg_iov[i].iov_len : left;
					xl_s2c_scan(&gv.xl,
					    m->msg_iov[i].iov_base, k);
					left -= k;
				}
			}
			pthread_mutex_unlock(&gv.lock);
			errno = e;
			return n;
		}
		/* buffered: never read more than the program can take */
		if ((w = gbuf_room(&gv.sin, cap > 0 ? cap : 1)) == NULL) {
			pthread_mutex_unlock(&gv.lock);
			errno = ENOMEM;
			return -1;
		}
		v.iov_base = w;
		v.iov_len = cap;
		memset(&mm, 0, sizeof mm);
		mm.msg_iov = &v;
		mm.msg_iovlen = 1;
		mm.msg_control = m->msg_control;
		mm.msg_controllen = m->msg_controllen;
		n = gv_real.recvmsg(fd, &mm, flags);
		e = errno;
		m->msg_controllen = n >= 0 ? mm.msg_controllen : 0;
		m->msg_flags = n >= 0 ? mm.msg_flags : 0;
		if (n > 0)
			gv.sin.len += (size_t)n;
		else if (n == 0)
			eof = 1;
		hook_pull();
		got = hook_copy_out(m);
		if (gbuf_used(&gv.pend) > 0)
			hook_wake_program();
		pthread_mutex_unlock(&gv.lock);
		if (got > 0)
			return (ssize_t)got;
		if (eof) {
			log_warn("the X server closed the connection");
			return 0;
		}
		errno = n < 0 ? e : EAGAIN;
		return -1;
	case GVC_ST_DETACHED:
		got = hook_copy_out(m);
		m->msg_controllen = 0;
		m->msg_flags = 0;
		hook_drain_placeholder();
		pthread_mutex_unlock(&gv.lock);
		if (got > 0)
			return (ssize_t)got;
		errno = EAGAIN;
		return -1;
	default:
		break;
	}
real:
	pthread_mutex_unlock(&gv.lock);
	return gv_real.recvmsg(fd, m, flags);
}

/* ---- the hooks ---------------------------------------------------------------------- */

static ssize_t
hook_writev(int fd, const struct iovec *iov, int n)
{
	if (!hook_ours(fd))
		return gv_real.writev(fd, iov, n);
	return hook_send(fd, iov, n, NULL, 0);
}

static ssize_t
hook_write(int fd, const void *p, size_t n)
{
	struct iovec v;

	if (!hook_ours(fd))
		return gv_real.write(fd, p, n);
	v.iov_base = (void *)(uintptr_t)p;
	v.iov_len = n;
	return hook_send(fd, &v, 1, NULL, 0);
}

static ssize_t
hook_sendmsg(int fd, const struct msghdr *m, int flags)
{
	if (!hook_ours(fd))
		return gv_real.sendmsg(fd, m, flags);
	return hook_send(fd, m->msg_iov, (int)m->msg_iovlen, m, flags);
}

static ssize_t
hook_recvmsg(int fd, struct msghdr *m, int flags)
{
	if (!hook_ours(fd))
		return gv_real.recvmsg(fd, m, flags);
	return hook_receive(fd, m, 0, flags);
}

static ssize_t
hook_recv(int fd, void *buf, size_t len, int flags)
{
	struct msghdr m;
	struct iovec v;

	if (!hook_ours(fd))
		return gv_real.recv(fd, buf, len, flags);
	v.iov_base = buf;
	v.iov_len = len;
	memset(&m, 0, sizeof m);
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	return hook_receive(fd, &m, 1, flags);
}

/* The program lets its connection go: we stop managing the descriptor. */
static void
hook_forget(int fd)
{
	pthread_mutex_lock(&gv.lock);
	if (gv.fd == fd) {
		__atomic_store_n(&gv.fd, -1, __ATOMIC_RELEASE);
		gv.state = GVC_ST_GONE;
		pthread_cond_broadcast(&gv.cond);
		log_info("the program closed its X connection");
	}
	pthread_mutex_unlock(&gv.lock);
}

static int
hook_shutdown(int fd, int how)
{
	if (hook_ours(fd))
		hook_forget(fd);
	return gv_real.shutdown(fd, how);
}

static int
hook_close(int fd)
{
	if (hook_ours(fd))
		hook_forget(fd);
	return gv_real.close(fd);
}

#define HOOK_REAL(name) do { \
	gv_real.name = (__typeof__(gv_real.name))dlsym(RTLD_DEFAULT, #name); \
	if (gv_real.name == NULL || \
	    (void *)gv_real.name == (void *)hook_##name) \
		return -ENOSYS; \
} while (0)

int
hook_install(void)
{
	static const struct got_hook hooks[] = {
		{ "writev", (void *)hook_writev },
		{ "write", (void *)hook_write },
		{ "sendmsg", (void *)hook_sendmsg },
		{ "recvmsg", (void *)hook_recvmsg },
		{ "recv", (void *)hook_recv },
		{ "shutdown", (void *)hook_shutdown },
		{ "close", (void *)hook_close },
	};

	HOOK_REAL(writev);
	HOOK_REAL(write);
	HOOK_REAL(sendmsg);
	HOOK_REAL(recvmsg);
	HOOK_REAL(recv);
	HOOK_REAL(shutdown);
	HOOK_REAL(close);
	return got_patch("libxcb.so.1", hooks, sizeof hooks / sizeof hooks[0]);
}

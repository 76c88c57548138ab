/*
 * rock: life of a reliable socket: creation, the in-flight ring, salvage,
 * suspension with a placeholder in the program's fd, installation of a new
 * data socket, and the end.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "librocks/ctlsock.h"
#include "librocks/real.h"
#include "librocks/rock.h"

uint64_t
rock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
rock_state_name(enum rock_state st)
{
	switch (st) {
	case ROCK_UNDECIDED: return "undecided";
	case ROCK_CONNECTED: return "connected";
	case ROCK_SUSPENDED: return "suspended";
	case ROCK_CLOSED:    return "closed";
	}
	return "?";
}

struct rock *
rock_new(int fd, enum rock_role role)
{
	pthread_mutexattr_t ma;
	struct rock *r;
	int fl;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->fd = fd;
	r->refs = 1;
	r->holds = 1;
	r->role = role;
	r->state = ROCK_UNDECIDED;
	r->resfd = r->salfd = -1;
	r->hb_ms = rocks_cfg.hb_ms;
	r->hb_misses = rocks_cfg.hb_misses;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_NORMAL);
	pthread_mutex_init(&r->tx_lock, &ma);
	pthread_mutex_init(&r->rx_lock, &ma);
	pthread_mutex_init(&r->st_lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_cond_init(&r->st_cond, NULL);
	pthread_cond_init(&r->rx_cond, NULL);
	fl = fcntl(fd, F_GETFL);
	r->nonblock = fl >= 0 && (fl & O_NONBLOCK);
	r->evfd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	r->resfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->salfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->evfd < 0 || r->resfd < 0 || r->salfd < 0) {
		if (r->evfd >= 0)
			real.close(r->evfd);
		if (r->resfd >= 0)
			real.close(r->resfd);
		if (r->salfd >= 0)
			real.close(r->salfd);
		free(r);
		return NULL;
	}
	return r;
}

void
rock_get(struct rock *r)
{
	__atomic_add_fetch(&r->holds, 1, __ATOMIC_ACQ_REL);
}

static void
rock_free(struct rock *r)
{
	if (r->ring != NULL)
		munmap(r->ring, r->ring_cap);
	free(r->salv);
	real.close(r->evfd);
	real.close(r->resfd);
	real.close(r->salfd);
	crypto_wipe(r->k_chal, sizeof r->k_chal);
	crypto_wipe(r->k_hb, sizeof r->k_hb);
	pthread_mutex_destroy(&r->tx_lock);
	pthread_mutex_destroy(&r->rx_lock);
	pthread_mutex_destroy(&r->st_lock);
	pthread_cond_destroy(&r->st_cond);
	pthread_cond_destroy(&r->rx_cond);
	free(r);
}

void
rock_put(struct rock *r)
{
	if (__atomic_sub_fetch(&r->holds, 1, __ATOMIC_ACQ_REL) == 0)
		rock_free(r);
}

void
rock_release(struct rock *r)
{
	if (r->listed)
		rock_list_del(r);
	rock_put(r);
}

/* ---- the in-flight ring --------------------------------------------------- */

int
rock_ring_alloc(struct rock *r, size_t cap)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p;

	cap = (cap + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	/* Reserved, not committed: pages are touched only as bytes flow. */
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->ring = p;
	r->ring_cap = cap;
	return 0;
}

void
rock_ring_put(struct rock *r, const struct iovec *iov, int iovcnt, size_t n)
{
	uint64_t pos = r->sent;
	size_t off, chunk, left;
	const uint8_t *p;
	int i;

	for (i = 0; i < iovcnt && n > 0; i++) {
		p = iov[i].iov_base;
		left = iov[i].iov_len < n ? iov[i].iov_len : n;
		n -= left;
		/* only the last ring_cap bytes matter */
		if (left > r->ring_cap) {
			p += left - r->ring_cap;
			pos += left - r->ring_cap;
			left = r->ring_cap;
		}
		while (left > 0) {
			off = (size_t)(pos % r->ring_cap);
			chunk = r->ring_cap - off < left ? r->ring_cap - off : left;
			memcpy(r->ring + off, p, chunk);
			p += chunk;
			pos += chunk;
			left -= chunk;
		}
	}
}

int
rock_ring_span(struct rock *r, uint64_t from, const uint8_t **a, size_t *alen,
    const uint8_t **b, size_t *blen)
{
	uint64_t n;
	size_t off;

	if (from > r->sent || r->sent - from > r->ring_cap)
		return -ERANGE;
	n = r->sent - from;
	off = (size_t)(from % r->ring_cap);
	*a = r->ring + off;
	*alen = r->ring_cap - off < n ? r->ring_cap - off : (size_t)n;
	*b = r->ring;
	*blen = (size_t)n - *alen;
	return 0;
}

int
rock_salv_put(struct rock *r, const void *p, size_t n)
{
	size_t ncap;
	uint8_t *nb;

	if (r->salv_off > 0 && r->salv_off == r->salv_len)
		r->salv_off = r->salv_len = 0;
	if (r->salv_len + n > r->salv_cap) {
		ncap = r->salv_cap ? r->salv_cap : 4096;
		while (ncap < r->salv_len + n)
			ncap *= 2;
		if ((nb = realloc(r->salv, ncap)) == NULL)
			return -ENOMEM;
		r->salv = nb;
		r->salv_cap = ncap;
	}
	memcpy(r->salv + r->salv_len, p, n);
	r->salv_len += n;
	return 0;
}

/* ---- states ------------------------------------------------------------------ */

/* eventfds as level signals: set (readable) or clear */
static void
rock_flag(int fd, int on)
{
	uint64_t v = 1;

	if (on)
		(void)!real.write(fd, &v, sizeof v);
	else
		while (real.read(fd, &v, sizeof v) > 0)
			;
}

void
rock_set_state(struct rock *r, enum rock_state st)
{
	pthread_mutex_lock(&r->st_lock);
	r->state = st;
	rock_flag(r->evfd, st != ROCK_CONNECTED);
	rock_flag(r->resfd, st == ROCK_CONNECTED);
	pthread_cond_broadcast(&r->st_cond);
	pthread_mutex_unlock(&r->st_lock);
}

void
rock_wait_resumed(struct rock *r)
{
	struct timespec ts;

	pthread_mutex_lock(&r->st_lock);
	while (r->state == ROCK_SUSPENDED) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&r->st_cond, &r->st_lock, &ts);
	}
	pthread_mutex_unlock(&r->st_lock);
}

static int
rock_swap_one(int fd, int newfile)
{
	int fdfl = fcntl(fd, F_GETFD);

	if (real.dup3(newfile, fd, fdfl >= 0 && (fdfl & FD_CLOEXEC) ?
	    O_CLOEXEC : 0) < 0)
		return -errno;
	return 0;
}

/* Gives the program's fds a new file, keeping their descriptor flags. */
static int
rock_swap_fd(struct rock *r, int newfile)
{
	int flfl, rc;

	flfl = fcntl(r->fd, F_GETFL);
	if (flfl >= 0)
		fcntl(newfile, F_SETFL, flfl & (O_NONBLOCK | O_ASYNC));
	if ((rc = rock_swap_one(r->fd, newfile)) < 0)
		return rc;
	for (int i = 0; i < r->ndups; i++)
		(void)rock_swap_one(r->dups[i], newfile);
	return 0;
}

/*
 * Ends the dead data connection now, with a reset (a FIN is the peer
 * program's close): an unconnected socket takes its place under the
 * program's fd numbers, so the old one goes.  Else its kernel would go on
 * acknowledging bytes nobody reads, and the peer would keep sending them.
 */
static void
rock_bury(struct rock *r, const struct linger *lg)
{
	int old, dummy;

	old = real.dup(r->fd);
	dummy = real.socket(r->peer.ss_family ? r->peer.ss_family : AF_INET,
	    SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (old < 0 || dummy < 0 || rock_swap_fd(r, dummy) < 0) {
		/* keep the old socket; at least it aborts when it goes */
		real.setsockopt(r->fd, SOL_SOCKET, SO_LINGER, lg, sizeof *lg);
		if (old >= 0)
			real.close(old);
		if (dummy >= 0)
			real.close(dummy);
		return;
	}
	real.close(dummy);
	real.setsockopt(old, SOL_SOCKET, SO_LINGER, lg, sizeof *lg);
	real.close(old);
}

void
rock_suspend(struct rock *r, const char *fmt, ...)
{
	struct linger lg = { 1, 0 };
	uint8_t buf[65536];
	va_list ap;
	ssize_t n;
	int i;

	pthread_mutex_lock(&r->tx_lock);
	pthread_mutex_lock(&r->rx_lock);
	if (r->state != ROCK_CONNECTED) {
		pthread_mutex_unlock(&r->rx_lock);
		pthread_mutex_unlock(&r->tx_lock);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
	r->suspended_ns = rock_now_ns();
	r->deadline_ns = r->suspended_ns + rocks_cfg.reconnect_ms * 1000000ull;
	/* off the program's epoll sets: a dead socket must not wake them */
	for (i = 0; i < r->neps && r->fd >= 0; i++)
		(void)real.epoll_ctl(r->eps[i].epfd, EPOLL_CTL_DEL, r->fd, NULL);
	rock_set_state(r, ROCK_SUSPENDED);
	reapi_notify(r, REAPI_SUSPEND);
	if (r->fd >= 0) {
		struct pollfd p = { .fd = r->fd, .events = POLLRDHUP };
		int fin;

		/*
		 * A FIN already in, without a reset (which also reads as the
		 * end, with POLLHUP or POLLERR): the peer program's close came
		 * before the failure.
		 */
		fin = real.poll(&p, 1, 0) > 0 && (p.revents & POLLRDHUP) &&
		    !(p.revents & (POLLHUP | POLLERR));
		/*
		 * Wake readers blocked in the kernel (nothing goes to the peer)
		 * and let them finish first: their bytes come before any we
		 * salvage.  After SHUT_RD, queued bytes still read, then 0.
		 */
		real.shutdown(r->fd, SHUT_RD);
		while (r->kreaders > 0)
			pthread_cond_wait(&r->rx_cond, &r->rx_lock);
		/* salvage what the old socket's kernel holds for us */
		for (;;) {
			n = real.recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
			if (n <= 0 || rock_salv_put(r, buf, (size_t)n) < 0)
				break;
			r->rcvd += (uint64_t)n;
		}
		if (fin)
			r->peer_eof = 1;
		rock_salv_changed(r);
		rock_bury(r, &lg);
	}
	log_info("rock %d suspended: %s (sent %llu, received %llu)", r->fd,
	    r->reason, (unsigned long long)r->sent,
	    (unsigned long long)r->rcvd);
	pthread_mutex_unlock(&r->rx_lock);
	pthread_mutex_unlock(&r->tx_lock);
	if (r->role == ROCK_CLIENT)
		reconnect_start(r);
	else if (rocks_cfg.relaylen > 0)
		rdv_register_start(r);
}

void
rock_abort(struct rock *r, int err, const char *why)
{
	pthread_mutex_lock(&r->st_lock);
	r->err = err;
	snprintf(r->reason, sizeof r->reason, "%s", why);
	pthread_mutex_unlock(&r->st_lock);
	rock_set_state(r, ROCK_CLOSED);
	log_warn("rock %d closed: %s", r->fd, why);
}

int
rock_install(struct rock *r, int sock)
{
	int i, rc;

	for (i = 0; i < r->nopts; i++)
		real.setsockopt(sock, r->opts[i].level, r->opts[i].name,
		    r->opts[i].val, r->opts[i].len);
	if (r->fd < 0) {
		r->fd = sock;          /* the program closed it: ours now */
		return 0;
	}
	if ((rc = rock_swap_fd(r, sock)) < 0)
		return rc;
	real.close(sock);
	for (i = 0; i < r->neps; i++)
		(void)real.epoll_ctl(r->eps[i].epfd, EPOLL_CTL_ADD, r->fd,
		    &r->eps[i].ev);
	rock_salv_changed(r);
	return 0;
}

void
rock_salv_changed(struct rock *r)
{
	int have = r->salv_off < r->salv_len, i;
	struct epoll_event ev;

	rock_flag(r->salfd, have);
	for (i = 0; i < r->neps; i++) {
		if (have && !r->eps[i].salv && (r->eps[i].ev.events & EPOLLIN)) {
			ev = r->eps[i].ev;
			ev.events = EPOLLIN;
			if (real.epoll_ctl(r->eps[i].epfd, EPOLL_CTL_ADD, r->salfd,
			    &ev) == 0)
				r->eps[i].salv = 1;
		} else if (!have && r->eps[i].salv) {
			(void)real.epoll_ctl(r->eps[i].epfd, EPOLL_CTL_DEL, r->salfd,
			    NULL);
			r->eps[i].salv = 0;
		}
	}
}

int
rock_epoll_ctl(struct rock *r, int epfd, int op, struct epoll_event *ev)
{
	int i, rc = 0, connected;

	pthread_mutex_lock(&r->rx_lock);
	/* an accepted socket not yet classified may become a rock: record it */
	connected = (r->state == ROCK_CONNECTED || r->state == ROCK_UNDECIDED) &&
	    r->fd >= 0;
	for (i = 0; i < r->neps; i++)
		if (r->eps[i].epfd == epfd)
			break;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i < r->neps) {
			rc = -EEXIST;
			break;
		}
		if (connected && real.epoll_ctl(epfd, op, r->fd, ev) < 0) {
			rc = -errno;
			break;
		}
		if (r->neps < (int)(sizeof r->eps / sizeof r->eps[0])) {
			r->eps[r->neps].epfd = epfd;
			r->eps[r->neps].ev = *ev;
			r->eps[r->neps].salv = 0;
			r->neps++;
		} else
			log_once(EVLOG_WARN, "a rock in more than 4 epoll sets: "
			    "the others miss it after a reconnection");
		break;
	case EPOLL_CTL_MOD:
		if (i == r->neps) {
			rc = -ENOENT;
			break;
		}
		if (connected && real.epoll_ctl(epfd, op, r->fd, ev) < 0) {
			rc = -errno;
			break;
		}
		r->eps[i].ev = *ev;
		break;
	case EPOLL_CTL_DEL:
		if (i == r->neps) {
			rc = -ENOENT;
			break;
		}
		if (connected)
			(void)real.epoll_ctl(epfd, op, r->fd, NULL);
		if (r->eps[i].salv)
			(void)real.epoll_ctl(epfd, op, r->salfd, NULL);
		r->eps[i] = r->eps[--r->neps];
		break;
	default:
		rc = -EINVAL;
	}
	if (rc == 0)
		rock_salv_changed(r);
	pthread_mutex_unlock(&r->rx_lock);
	return rc;
}

void
rock_record_sockopt(struct rock *r, int level, int name, const void *val,
    socklen_t len)
{
	int i;

	if (len > sizeof r->opts[0].val)
		return;
	for (i = 0; i < r->nopts; i++)
		if (r->opts[i].level == level && r->opts[i].name == name)
			break;
	if (i == ROCK_MAX_SOCKOPTS)
		return;
	if (i == r->nopts)
		r->nopts++;
	r->opts[i].level = level;
	r->opts[i].name = name;
	r->opts[i].len = len;
	memcpy(r->opts[i].val, val, len);
}

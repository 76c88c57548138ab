/*
 * hs: handshakes.  librocks sets up a rock on the first read of an
 * accepted connection, and that read blocks while the client finishes the
 * EDP and the rocks initialization (up to its 3 s budget).  So the relay's
 * loop never does it: each accepted connection gets a short thread (small
 * stack, every signal blocked) that waits, under one deadline, for the
 * rock, then for the destination request (general mode), connects to the
 * server, answers, and hands the pair to the relay through a queue and an
 * eventfd.  How many run at once, overall and per client address, is
 * limited; what a limit refuses is logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "librocks/rocks.h"
#include "rockd/rdproto.h"
#include "rockd/rockd.h"

struct hs {
	int      fd;
	struct rd_listener *l;
	struct sockaddr_storage peer;
	char     client[64];
	uint64_t deadline;
	struct hs *prev, *next;
};

static struct {
	pthread_mutex_t lock;
	struct hs *active;          /* handshakes running */
	unsigned n;
	struct rd_ready *ready;     /* finished, for the relay; LIFO */
	int notify;                 /* eventfd: the relay's wake-up */
	uint64_t refused;
	uint64_t last_refusal_log;
	uint64_t unlogged;
	unsigned logged;            /* lines in this second */
} hs = { .lock = PTHREAD_MUTEX_INITIALIZER, .notify = -1 };

int
hs_init(int notify_fd)
{
	hs.notify = notify_fd;
	return 0;
}

unsigned
hs_count(void)
{
	unsigned n;

	pthread_mutex_lock(&hs.lock);
	n = hs.n;
	pthread_mutex_unlock(&hs.lock);
	return n;
}

uint64_t
hs_refused(void)
{
	uint64_t n;

	pthread_mutex_lock(&hs.lock);
	n = hs.refused;
	pthread_mutex_unlock(&hs.lock);
	return n;
}

struct rd_ready *
hs_take_ready(void)
{
	struct rd_ready *r;

	pthread_mutex_lock(&hs.lock);
	r = hs.ready;
	hs.ready = NULL;
	pthread_mutex_unlock(&hs.lock);
	return r;
}

static int
hs_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

/*
 * Logs a refusal, at most 20 lines a second: a flood must not flood the
 * log.  The next line says how many were left out.
 */
static void
hs_log_refusal(const char *client, const char *why)
{
	uint64_t now = rd_now_ms(), skipped = 0;
	int say = 0;

	pthread_mutex_lock(&hs.lock);
	hs.refused++;
	if (now - hs.last_refusal_log >= 1000) {
		hs.last_refusal_log = now;
		hs.logged = 0;
	}
	if (hs.logged < 20) {
		say = 1;
		hs.logged++;
		skipped = hs.unlogged;
		hs.unlogged = 0;
	} else
		hs.unlogged++;
	pthread_mutex_unlock(&hs.lock);
	if (say)
		rd_warn("refused %s: %s (%llu refusals not logged before)",
		    client, why, (unsigned long long)skipped);
}

static void
hs_done(struct hs *h)
{
	pthread_mutex_lock(&hs.lock);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		hs.active = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	hs.n--;
	pthread_mutex_unlock(&hs.lock);
	free(h);
}

static int
hs_remaining(const struct hs *h)
{
	uint64_t now = rd_now_ms();

	return now >= h->deadline ? 0 : (int)(h->deadline - now);
}

/* Waits for fd to be readable (or writable) until the deadline: 1, 0, -1. */
static int
hs_wait(const struct hs *h, int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int ms, n;

	for (;;) {
		if ((ms = hs_remaining(h)) == 0)
			return 0;
		n = poll(&p, 1, ms);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* 1 rock, 0 plain, -1 closed or gone (cause set). */
static int
hs_classify(struct hs *h, const char **cause)
{
	char c;
	ssize_t n;
	int rc;

	for (;;) {
		rc = rocks_is_rock(h->fd);
		if (rc == 1)
			return 1;
		if (rc == 0) {
			n = recv(h->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
			if (n == 0) {
				/* an EDP probe (answered by librocks), or a
				 * client that left at once */
				*cause = NULL;
				return -1;
			}
			return 0;
		}
		if (errno != EAGAIN) {
			*cause = "not a TCP connection";
			return -1;
		}
		rc = hs_wait(h, h->fd, POLLIN);
		if (rc <= 0) {
			*cause = rc == 0 ? "handshake not finished in time" :
			    "poll failed";
			return -1;
		}
	}
}

/* Reads exactly n bytes before the deadline: 0, or -1. */
static int
hs_read(struct hs *h, uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = read(h->fd, p, n);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k == 0)
			return -1;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (hs_wait(h, h->fd, POLLIN) <= 0)
			return -1;
	}
	return 0;
}

/* The general mode's request: where the client wants to go. */
static int
hs_request(struct hs *h, struct sockaddr_storage *dst, socklen_t *dstlen,
    const char **cause)
{
	uint8_t buf[RDP_REQ_MAX];
	size_t head = WBUF_HELLO_LEN + FRAME_HDR_LEN, plen;
	int rc;

	if (hs_read(h, buf, head) < 0) {
		*cause = "no destination request in time";
		return -1;
	}
	plen = (size_t)buf[WBUF_HELLO_LEN] << 24 |
	    (size_t)buf[WBUF_HELLO_LEN + 1] << 16 |
	    (size_t)buf[WBUF_HELLO_LEN + 2] << 8 | buf[WBUF_HELLO_LEN + 3];
	if (plen > sizeof buf - head) {
		*cause = "destination request too long";
		return -1;
	}
	if (hs_read(h, buf + head, plen) < 0) {
		*cause = "destination request cut short";
		return -1;
	}
	rc = rdp_get_connect(buf, head + plen, dst, dstlen);
	if (rc <= 0) {
		*cause = "malformed destination request";
		return -1;
	}
	return 0;
}

/*
 * A plain, non-blocking connection to sa, through the system call itself
 * so that librocks does not make it a rock: 0 with *sfd, or -errno.
 */
static int
hs_connect_one(struct hs *h, const struct sockaddr *sa, socklen_t len, int *sfd)
{
	uint64_t whole = h->deadline, cto;
	int s, err = 0, one = 1, ready;
	socklen_t el = sizeof err;

	s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (syscall(SYS_connect, s, sa, len) < 0 && errno != EINPROGRESS) {
		err = errno;
		close(s);
		return -err;
	}
	/* connect-timeout, within what is left of the handshake's time */
	cto = rd_now_ms() + rd_conf.lim.connect_timeout_ms;
	if (cto < h->deadline)
		h->deadline = cto;
	ready = hs_wait(h, s, POLLOUT);
	h->deadline = whole;
	if (ready <= 0) {
		close(s);
		return -ETIMEDOUT;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
		close(s);
		return -(err ? err : EIO);
	}
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*sfd = s;
	return 0;
}

/* The server of a static listener: resolved at every connection. */
static int
hs_connect_static(struct hs *h, int *sfd, char *server, size_t serversz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	int rc, gai;

	gai = getaddrinfo(h->l->to_host, h->l->to_port, &hints, &ai);
	if (gai != 0) {
		rd_warn("%s: cannot resolve %s: %s", h->l->name, h->l->to_host,
		    gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	rc = -EHOSTUNREACH;
	for (p = ai; p != NULL; p = p->ai_next) {
		rc = hs_connect_one(h, p->ai_addr, p->ai_addrlen, sfd);
		if (rc == 0) {
			rd_addr_str(p->ai_addr, server, serversz);
			break;
		}
	}
	freeaddrinfo(ai);
	return rc;
}

static int
hs_answer(struct hs *h, int err, const char *reason)
{
	struct wbuf b;
	size_t off = 0;
	ssize_t k;
	int rc = 0;

	wbuf_init(&b, RDP_RES_MAX);
	if (rdp_put_result(&b, (uint32_t)err, reason) < 0) {
		wbuf_free(&b);
		return -1;
	}
	while (off < b.len) {
		k = write(h->fd, b.data + off, b.len - off);
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if ((k < 0 && errno != EAGAIN && errno != EINTR) ||
		    hs_wait(h, h->fd, POLLOUT) <= 0) {
			rc = -1;
			break;
		}
	}
	wbuf_free(&b);
	return rc;
}

static void
hs_hand_over(struct hs *h, int sfd, int is_rock, const char *server)
{
	struct rd_ready *r = calloc(1, sizeof *r);
	uint64_t one = 1;

	if (r == NULL) {
		rd_error("%s: out of memory; closing %s", h->l->name, h->client);
		close(sfd);
		close(h->fd);
		return;
	}
	r->cfd = h->fd;
	r->sfd = sfd;
	r->is_rock = is_rock;
	r->l = h->l;
	snprintf(r->client, sizeof r->client, "%s", h->client);
	snprintf(r->server, sizeof r->server, "%s", server);
	pthread_mutex_lock(&hs.lock);
	r->next = hs.ready;
	hs.ready = r;
	pthread_mutex_unlock(&hs.lock);
	if (write(hs.notify, &one, sizeof one) < 0 && errno != EAGAIN)
		rd_error("waking the relay: %s", strerror(errno));
}

static void *
hs_run(void *arg)
{
	struct hs *h = arg;
	struct sockaddr_storage dst;
	socklen_t dstlen = 0;
	const char *cause = NULL;
	char server[64] = "";
	int is_rock, sfd = -1, rc;

	is_rock = hs_classify(h, &cause);
	if (is_rock < 0)
		goto drop;
	if (h->l->rendezvous) {
		if (!is_rock)
			rv_serve(h->fd, (struct sockaddr *)&h->peer, h->client,
			    h->deadline);
		close(h->fd);
		hs_done(h);
		return NULL;
	}
	if (!is_rock && !rd_conf.lim.plain) {
		cause = "does not run rocks (rockd relays rocks only; see --plain)";
		goto drop;
	}
	if (h->l->to_host[0] != '\0')
		rc = hs_connect_static(h, &sfd, server, sizeof server);
	else {
		if (!is_rock) {
			cause = "a general-mode listener serves rocks only";
			goto drop;
		}
		if (hs_request(h, &dst, &dstlen, &cause) < 0)
			goto drop;
		rd_addr_str((struct sockaddr *)&dst, server, sizeof server);
		if (!rd_allowed_in(rd_conf.allow, rd_conf.nallow,
		    (struct sockaddr *)&dst)) {
			(void)hs_answer(h, EACCES, "destination not allowed");
			hs_log_refusal(h->client, "destination not allowed (allow)");
			close(h->fd);
			hs_done(h);
			return NULL;
		}
		rc = hs_connect_one(h, (struct sockaddr *)&dst, dstlen, &sfd);
		if (hs_answer(h, rc < 0 ? -rc : 0, rc < 0 ? strerror(-rc) :
		    "connected") < 0 && rc == 0) {
			close(sfd);
			cause = "client gone before the answer";
			goto drop;
		}
	}
	if (rc < 0) {
		rd_warn("%s: %s: cannot connect to %s: %s", h->l->name, h->client,
		    server[0] ? server : h->l->to_host, strerror(-rc));
		close(h->fd);
		hs_done(h);
		return NULL;
	}
	rd_info("%s: %s %s -> %s", h->l->name, is_rock ? "rock" : "plain",
	    h->client, server);
	hs_hand_over(h, sfd, is_rock, server);
	hs_done(h);
	return NULL;
drop:
	if (cause != NULL)
		hs_log_refusal(h->client, cause);
	close(h->fd);
	hs_done(h);
	return NULL;
}

int
hs_start(int fd, struct rd_listener *l, const struct sockaddr *peer)
{
	struct hs *h, *o;
	pthread_attr_t at;
	pthread_t t;
	unsigned same = 0;
	char client[64];
	int rc;

	rd_addr_str(peer, client, sizeof client);
	if ((h = calloc(1, sizeof *h)) == NULL) {
		hs_log_refusal(client, "out of memory");
		close(fd);
		return -1;
	}
	h->fd = fd;
	h->l = l;
	memcpy(&h->peer, peer, peer->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	snprintf(h->client, sizeof h->client, "%s", client);
	h->deadline = rd_now_ms() + rd_conf.lim.hs_timeout_ms;
	pthread_mutex_lock(&hs.lock);
	if (hs.n >= rd_conf.lim.max_handshakes) {
		pthread_mutex_unlock(&hs.lock);
		hs_log_refusal(client, "too many handshakes at once "
		    "(max-handshakes)");
		goto refuse;
	}
	for (o = hs.active; o != NULL; o = o->next)
		if (hs_same_host(&o->peer, &h->peer))
			same++;
	if (same >= rd_conf.lim.max_hs_per_source) {
		pthread_mutex_unlock(&hs.lock);
		hs_log_refusal(client, "too many handshakes from this address "
		    "(max-handshakes-per-source)");
		goto refuse;
	}
	h->next = hs.active;
	if (hs.active != NULL)
		hs.active->prev = h;
	hs.active = h;
	hs.n++;
	pthread_mutex_unlock(&hs.lock);

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	rc = pthread_create(&t, &at, hs_run, h);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		hs_log_refusal(client, "cannot start a handshake thread");
		close(fd);
		hs_done(h);
		return -1;
	}
	return 0;
refuse:
	close(fd);
	free(h);
	return -1;
}

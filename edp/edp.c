/*
 * edp: the client side of the enhancement detection protocol, its codec and
 * the small blocking helpers both sides share.  See edp.h and
 * docs/protocol/edp.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "edp/edp.h"

static int
edp_libc_dup3(int oldfd, int newfd, int flags)
{
	return dup3(oldfd, newfd, flags);
}

const struct edp_io edp_io_libc = {
	.socket = socket,
	.connect = connect,
	.recv = recv,
	.send = send,
	.shutdown = shutdown,
	.poll = poll,
	.close = close,
	.dup3 = edp_libc_dup3,
};

static uint8_t edp_ann[EDP_ANNOUNCE_LEN];
static pthread_once_t edp_ann_once = PTHREAD_ONCE_INIT;

/*
 * The announcement is fixed for all time (changing it is a new protocol):
 * SHA-256 over "evict EDP announcement v1" and a 32-bit big-endian counter,
 * for counters 0..31, concatenated.  Nobody's data looks like that.
 */
static void
edp_ann_make(void)
{
	static const char label[] = "evict EDP announcement v1";
	uint8_t in[sizeof label - 1 + 4];
	unsigned int len;
	uint32_t i;

	memcpy(in, label, sizeof label - 1);
	for (i = 0; i < EDP_ANNOUNCE_LEN / 32; i++) {
		in[sizeof label - 1] = (uint8_t)(i >> 24);
		in[sizeof label] = (uint8_t)(i >> 16);
		in[sizeof label + 1] = (uint8_t)(i >> 8);
		in[sizeof label + 2] = (uint8_t)i;
		len = 32;
		if (EVP_Digest(in, sizeof in, edp_ann + 32 * i, &len,
		    EVP_sha256(), NULL) != 1 || len != 32) {
			/* No digest, no protocol: an announcement nobody can match. */
			memset(edp_ann, 0, sizeof edp_ann);
			log_once(EVLOG_ERROR, "SHA-256 unavailable; EDP disabled");
			return;
		}
	}
}

const uint8_t *
edp_announcement(void)
{
	pthread_once(&edp_ann_once, edp_ann_make);
	return edp_ann;
}

void
edp_config_default(struct edp_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->io = &edp_io_libc;
	cfg->timeout_mult = 20;
	cfg->timeout_min_ms = 50;
	cfg->timeout_max_ms = 5000;
	cfg->negotiate_ms = 3000;
	cfg->max_scan = 64 * 1024;
}

void
edp_result_free(struct edp_result *res)
{
	free(res->pre);
	res->pre = NULL;
	res->npre = 0;
}

const char *
edp_verdict_name(enum edp_verdict v)
{
	switch (v) {
	case EDP_ENHANCED:    return "enhanced";
	case EDP_ORD_CLOSED:  return "ordinary-closes";
	case EDP_ORD_RESET:   return "ordinary-resets";
	case EDP_ORD_DATA:    return "ordinary-sends-data";
	case EDP_ORD_SILENT:  return "ordinary-silent";
	case EDP_ORD_GARBLED: return "fallback-garbled";
	case EDP_NONE:        break;
	}
	return "none";
}

uint64_t
edp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
edp_ms_left(uint64_t deadline_ns)
{
	uint64_t now = edp_now_ns();

	if (now >= deadline_ns)
		return 0;
	/* round up, so that a wait never ends just short of the deadline */
	return (int)((deadline_ns - now + 999999) / 1000000);
}

static int
edp_wait(const struct edp_io *io, int fd, short events, uint64_t deadline_ns)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ms, r;

	for (;;) {
		if ((ms = edp_ms_left(deadline_ns)) == 0)
			return -ETIMEDOUT;
		r = io->poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int
edp_recv_exact(const struct edp_io *io, int fd, void *buf, size_t n,
    uint64_t deadline_ns)
{
	uint8_t *p = buf;
	ssize_t r;
	int e;

	while (n > 0) {
		r = io->recv(fd, p, n, MSG_DONTWAIT);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((e = edp_wait(io, fd, POLLIN, deadline_ns)) < 0)
			return e;
	}
	return 0;
}

int
edp_send_all(const struct edp_io *io, int fd, const void *buf, size_t n,
    uint64_t deadline_ns)
{
	const uint8_t *p = buf;
	ssize_t r;
	int e;

	while (n > 0) {
		r = io->send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((e = edp_wait(io, fd, POLLOUT, deadline_ns)) < 0)
			return e;
	}
	return 0;
}

/* ---- codec ------------------------------------------------------------------ */

static int
edp_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > EDP_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

int
edp_put_negotiate(struct wbuf *b, const struct edp_enh *enh, size_t nenh)
{
	size_t i, mark;
	int r;

	if (nenh > EDP_MAX_ENH)
		return -EINVAL;
	if ((r = frame_begin(b, EDP_MSG_NEGOTIATE, &mark)) < 0 ||
	    (r = wbuf_put_u8(b, (uint8_t)nenh)) < 0)
		return r;
	for (i = 0; i < nenh; i++) {
		if (!edp_name_ok(enh[i].name) || enh[i].vmin > enh[i].vmax)
			return -EINVAL;
		if ((r = wbuf_put_str(b, enh[i].name)) < 0 ||
		    (r = wbuf_put_u16(b, enh[i].vmin)) < 0 ||
		    (r = wbuf_put_u16(b, enh[i].vmax)) < 0)
			return r;
	}
	return frame_end(b, mark);
}

int
edp_get_negotiate(struct wbuf *pl, struct edp_offer *offers, size_t *noffers)
{
	uint8_t count;
	size_t i;
	int r;

	*noffers = 0;
	if ((r = wbuf_get_u8(pl, &count)) < 0)
		return r;
	if (count > EDP_MAX_ENH)
		return -EMSGSIZE;
	for (i = 0; i < count; i++) {
		if ((r = wbuf_get_str(pl, offers[i].name,
		    sizeof offers[i].name)) < 0 ||
		    (r = wbuf_get_u16(pl, &offers[i].vmin)) < 0 ||
		    (r = wbuf_get_u16(pl, &offers[i].vmax)) < 0)
			return r;
		if (!edp_name_ok(offers[i].name) ||
		    offers[i].vmin > offers[i].vmax)
			return -EBADMSG;
	}
	if (wbuf_avail(pl) != 0)
		return -EBADMSG;
	*noffers = count;
	return 0;
}

size_t
edp_choose(const struct edp_offer *offers, size_t noffers,
    const struct edp_enh *enh, size_t nenh, struct edp_chosen *out)
{
	size_t i, j, k, n = 0;
	uint16_t lo, hi;

	for (i = 0; i < noffers && n < EDP_MAX_ENH; i++) {
		for (k = 0; k < i; k++)   /* an offer named twice counts once */
			if (strcmp(offers[k].name, offers[i].name) == 0)
				break;
		if (k < i)
			continue;
		for (j = 0; j < nenh; j++) {
			if (strcmp(offers[i].name, enh[j].name) != 0)
				continue;
			lo = offers[i].vmin > enh[j].vmin ? offers[i].vmin : enh[j].vmin;
			hi = offers[i].vmax < enh[j].vmax ? offers[i].vmax : enh[j].vmax;
			if (lo > hi)
				continue;
			snprintf(out[n].name, sizeof out[n].name, "%s", enh[j].name);
			out[n].version = hi;
			n++;
			break;
		}
	}
	return n;
}

int
edp_put_accept(struct wbuf *b, uint32_t pre_bytes,
    const struct edp_chosen *chosen, size_t nchosen)
{
	size_t i, mark;
	int r;

	if (nchosen > EDP_MAX_ENH)
		return -EINVAL;
	if ((r = frame_begin(b, EDP_MSG_ACCEPT, &mark)) < 0 ||
	    (r = wbuf_put_u32(b, pre_bytes)) < 0 ||
	    (r = wbuf_put_u8(b, (uint8_t)nchosen)) < 0)
		return r;
	for (i = 0; i < nchosen; i++)
		if ((r = wbuf_put_str(b, chosen[i].name)) < 0 ||
		    (r = wbuf_put_u16(b, chosen[i].version)) < 0)
			return r;
	return frame_end(b, mark);
}

int
edp_get_accept(struct wbuf *pl, uint32_t *pre_bytes,
    struct edp_chosen *chosen, size_t *nchosen)
{
	uint8_t count;
	size_t i;
	int r;

	*nchosen = 0;
	if ((r = wbuf_get_u32(pl, pre_bytes)) < 0 ||
	    (r = wbuf_get_u8(pl, &count)) < 0)
		return r;
	if (count > EDP_MAX_ENH)
		return -EMSGSIZE;
	for (i = 0; i < count; i++) {
		if ((r = wbuf_get_str(pl, chosen[i].name,
		    sizeof chosen[i].name)) < 0 ||
		    (r = wbuf_get_u16(pl, &chosen[i].version)) < 0)
			return r;
		if (!edp_name_ok(chosen[i].name))
			return -EBADMSG;
	}
	if (wbuf_avail(pl) != 0)
		return -EBADMSG;
	*nchosen = count;
	return 0;
}

static int
edp_bad(struct edp_result *res, const char *why)
{
	snprintf(res->reason, sizeof res->reason, "%s", why);
	return -EBADMSG;
}

int
edp_parse_reply(const uint8_t *p, size_t n, size_t max_scan,
    const struct edp_enh *enh, size_t nenh, struct edp_result *res)
{
	const uint8_t *ann = edp_announcement(), *at;
	struct edp_chosen chosen[EDP_MAX_ENH];
	struct wbuf hb, pl;
	size_t pos, off, nchosen, i, j;
	uint16_t ver, flags, type;
	uint32_t pre;
	int fl, r;

	at = memmem(p, n < max_scan + EDP_ANNOUNCE_LEN ? n :
	    max_scan + EDP_ANNOUNCE_LEN, ann, EDP_ANNOUNCE_LEN);
	if (at == NULL) {
		if (n >= max_scan + EDP_ANNOUNCE_LEN)
			return edp_bad(res, "no announcement in the server's reply");
		return 0;
	}
	pos = (size_t)(at - p);
	off = pos + EDP_ANNOUNCE_LEN;
	if (n - off < WBUF_HELLO_LEN)
		return 0;
	wbuf_view(&hb, p + off, WBUF_HELLO_LEN);
	if (wbuf_get_hello(&hb, EDP_MAGIC, &ver, &flags) < 0)
		return edp_bad(res, "bad magic after the server's announcement");
	if (ver != EDP_VERSION)
		return edp_bad(res, "server answered with an unknown EDP version");
	off += WBUF_HELLO_LEN;
	fl = frame_parse(p + off, n - off, EDP_MSG_MAX, &type, &pl);
	if (fl == 0)
		return 0;
	if (fl < 0)
		return edp_bad(res, "oversized negotiation reply");
	if (type == EDP_MSG_REFUSE) {
		char why[128];

		if (wbuf_get_str(&pl, why, sizeof why) < 0)
			snprintf(why, sizeof why, "(no reason given)");
		snprintf(res->reason, sizeof res->reason,
		    "server refused the negotiation: %s", why);
		return -EBADMSG;
	}
	if (type != EDP_MSG_ACCEPT)
		return edp_bad(res, "unexpected message instead of ACCEPT");
	if ((r = edp_get_accept(&pl, &pre, chosen, &nchosen)) < 0)
		return edp_bad(res, "malformed ACCEPT message");
	if (pre != pos)
		return edp_bad(res, "ACCEPT disagrees with the bytes before it");
	for (i = 0; i < nchosen; i++) {
		for (j = 0; j < nenh; j++)
			if (strcmp(chosen[i].name, enh[j].name) == 0 &&
			    chosen[i].version >= enh[j].vmin &&
			    chosen[i].version <= enh[j].vmax)
				break;
		if (j == nenh)
			return edp_bad(res, "server chose an enhancement never offered");
	}
	free(res->pre);
	res->pre = NULL;
	res->npre = 0;
	if (pos > 0) {
		if ((res->pre = malloc(pos)) == NULL)
			return -ENOMEM;
		memcpy(res->pre, p, pos);
		res->npre = pos;
	}
	memcpy(res->chosen, chosen, nchosen * sizeof chosen[0]);
	res->nchosen = nchosen;
	res->version = ver;
	return (int)(off + (size_t)fl);
}

/* ---- client state machine -------------------------------------------------- */

static void
edp_client_verdict(struct edp_client *c, enum edp_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
edp_client_verdict(struct edp_client *c, enum edp_verdict v, const char *fmt, ...)
{
	va_list ap;

	c->res->verdict = v;
	c->res->detect_ns = edp_now_ns() - c->t0;
	va_start(ap, fmt);
	vsnprintf(c->res->reason, sizeof c->res->reason, fmt, ap);
	va_end(ap);
}

/* Starts the application's connection; -errno if it failed at once. */
static int
edp_client_connect_data(struct edp_client *c)
{
	c->dstarted = 1;
	if (c->io->connect(c->dfd, (struct sockaddr *)&c->sa, c->salen) == 0)
		c->ddone = 1;
	else if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	return 0;
}

int
edp_client_start(struct edp_client *c, int dfd, const struct sockaddr *sa,
    socklen_t salen, const struct edp_config *cfg, struct edp_result *res)
{
	int r;

	memset(c, 0, sizeof *c);
	memset(res, 0, sizeof *res);
	if (salen > sizeof c->sa)
		return -EINVAL;
	c->cfg = cfg;
	c->io = cfg->io ? cfg->io : &edp_io_libc;
	c->res = res;
	c->dfd = dfd;
	c->pfd = -1;
	c->family = sa->sa_family;
	memcpy(&c->sa, sa, salen);
	c->salen = salen;
	wbuf_init(&c->pin, cfg->max_scan + EDP_ANNOUNCE_LEN);
	wbuf_init(&c->dout, 0);
	wbuf_init(&c->rin, cfg->max_scan + EDP_ANNOUNCE_LEN + WBUF_HELLO_LEN +
	    FRAME_HDR_LEN + EDP_MSG_MAX);
	(void)edp_announcement();
	c->t0 = edp_now_ns();

	/*
	 * The probe first.  The application's connection follows as soon as
	 * the probe is established, while its answer is on the way: the server
	 * then accepts the probe first, which an iterative server needs, and
	 * an ordinary server still costs only the probe's round trip.
	 */
	c->state = EDP_C_CONNECTING;
	c->pfd = c->io->socket(c->family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->pfd < 0) {
		c->pdone = 1;
		c->perr = errno;
	} else if (c->io->connect(c->pfd, sa, salen) == 0) {
		c->pdone = 1;
	} else if (errno != EINPROGRESS && errno != EINTR) {
		c->pdone = 1;
		c->perr = errno;
	}
	if (c->pdone && (r = edp_client_connect_data(c)) < 0) {
		edp_client_abort(c);
		return r;
	}
	return 0;
}

void
edp_client_abort(struct edp_client *c)
{
	if (c->pfd >= 0)
		c->io->close(c->pfd);
	c->pfd = -1;
	wbuf_free(&c->pin);
	wbuf_free(&c->dout);
	wbuf_free(&c->rin);
	c->state = EDP_C_DONE;
}

static int
edp_sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* The probe is connected: half-close it and start the silence clock. */
static void
edp_client_probe_connected(struct edp_client *c)
{
	const struct edp_config *cfg = c->cfg;
	uint64_t ct, wait;

	ct = edp_now_ns() - c->t0;
	c->res->connect_ns = ct;
	wait = ct * (uint64_t)(cfg->timeout_mult > 0 ? cfg->timeout_mult : 1);
	if (wait < (uint64_t)cfg->timeout_min_ms * 1000000ull)
		wait = (uint64_t)cfg->timeout_min_ms * 1000000ull;
	if (cfg->timeout_max_ms > 0 &&
	    wait > (uint64_t)cfg->timeout_max_ms * 1000000ull)
		wait = (uint64_t)cfg->timeout_max_ms * 1000000ull;
	c->deadline = edp_now_ns() + wait;
	if (c->io->shutdown(c->pfd, SHUT_WR) < 0)
		c->perr = errno;
	c->state = EDP_C_PROBING;
}

/* Reads what the probe has; returns 1 when a verdict was reached. */
static int
edp_client_read_probe(struct edp_client *c)
{
	const uint8_t *ann = edp_announcement();
	uint8_t buf[4096];
	size_t len, k;
	ssize_t n;

	for (;;) {
		n = c->io->recv(c->pfd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			if (wbuf_put_bytes(&c->pin, buf, (size_t)n) < 0) {
				edp_client_verdict(c, EDP_ORD_DATA,
				    "sent over %zu bytes without an announcement",
				    c->cfg->max_scan);
				return 1;
			}
			if (c->pin.len >= EDP_ANNOUNCE_LEN &&
			    memmem(c->pin.data, c->pin.len, ann,
			    EDP_ANNOUNCE_LEN) != NULL) {
				edp_client_verdict(c, EDP_ENHANCED,
				    "announced an enhanced server");
				return 1;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		break;
	}
	len = c->pin.len;
	if (n < 0) {
		if (len == 0)
			edp_client_verdict(c, EDP_ORD_RESET,
			    "reset the probe (%s)", strerror(errno));
		else
			edp_client_verdict(c, EDP_ORD_DATA,
			    "sent %zu bytes, then reset", len);
		return 1;
	}
	if (len == 0) {
		edp_client_verdict(c, EDP_ORD_CLOSED,
		    "closed the probe without sending a byte");
		return 1;
	}
	/* A tail that is a long prefix of the announcement: one cut short. */
	for (k = len < EDP_ANNOUNCE_LEN ? len : EDP_ANNOUNCE_LEN - 1; k >= 16; k--)
		if (memcmp(c->pin.data + len - k, ann, k) == 0) {
			edp_client_verdict(c, EDP_ORD_GARBLED,
			    "truncated announcement (%zu of %d bytes)", k,
			    EDP_ANNOUNCE_LEN);
			log_warn("probe: %s; treating the server as ordinary",
			    c->res->reason);
			return 1;
		}
	edp_client_verdict(c, EDP_ORD_DATA,
	    "sent %zu bytes without an announcement, then closed", len);
	return 1;
}

static void
edp_client_begin_negotiation(struct edp_client *c)
{
	const struct edp_config *cfg = c->cfg;

	c->io->close(c->pfd);
	c->pfd = -1;
	wbuf_reset(&c->dout);
	if (wbuf_put_bytes(&c->dout, edp_announcement(), EDP_ANNOUNCE_LEN) < 0 ||
	    wbuf_put_hello(&c->dout, EDP_MAGIC, EDP_VERSION, 0) < 0 ||
	    edp_put_negotiate(&c->dout, cfg->enh, cfg->nenh) < 0) {
		/* only a bad local configuration gets here */
		edp_client_verdict(c, EDP_ORD_GARBLED,
		    "cannot encode this side's enhancement list");
		c->state = EDP_C_DONE;
		return;
	}
	c->deadline = edp_now_ns() + (uint64_t)cfg->negotiate_ms * 1000000ull;
	c->state = EDP_C_NEGOTIATING;
}

/*
 * The enhanced server failed us after the application's connection carried
 * our announcement: that connection is spoiled.  Put a fresh, ordinary one
 * in its place under the same descriptor number.
 */
static int
edp_client_fallback(struct edp_client *c)
{
	int nfd, fdflags, e;

	log_warn("negotiation failed (%s); reconnecting as an ordinary client",
	    c->res->reason);
	c->res->verdict = EDP_ORD_GARBLED;
	c->res->nchosen = 0;
	edp_result_free(c->res);
	fdflags = fcntl(c->dfd, F_GETFD);
	nfd = c->io->socket(c->family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nfd < 0)
		return -errno;
	if (c->io->dup3(nfd, c->dfd,
	    fdflags >= 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		e = -errno;
		c->io->close(nfd);
		return e;
	}
	c->io->close(nfd);
	c->ddone = 0;
	c->derr = 0;
	if (c->io->connect(c->dfd, (struct sockaddr *)&c->sa, c->salen) == 0)
		c->ddone = 1;
	else if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	c->deadline = edp_now_ns() +
	    (uint64_t)c->cfg->negotiate_ms * 1000000ull;
	c->state = EDP_C_DONE;
	return 0;
}

static int
edp_client_run_init(struct edp_client *c, int is_client)
{
	const struct edp_config *cfg = c->cfg;
	char cause[128];
	size_t i, j;
	int r;

	for (i = 0; i < c->res->nchosen; i++)
		for (j = 0; j < cfg->nenh; j++) {
			if (strcmp(cfg->enh[j].name, c->res->chosen[i].name) != 0 ||
			    cfg->enh[j].init == NULL)
				continue;
			cause[0] = '\0';
			r = cfg->enh[j].init(c->dfd, is_client,
			    c->res->chosen[i].version, edp_ms_left(c->deadline),
			    cfg->enh[j].arg, cause, sizeof cause);
			if (r < 0) {
				snprintf(c->res->reason, sizeof c->res->reason,
				    "%s initialization failed: %s",
				    cfg->enh[j].name, cause[0] ? cause : strerror(-r));
				return r;
			}
		}
	return 0;
}

/*
 * Knuth-Morris-Pratt failure table of the announcement, so the reply can be
 * scanned a byte at a time without ever reading past its end: bytes after
 * the reply belong to an enhancement's initialization or to the program.
 */
static uint16_t edp_kmp[EDP_ANNOUNCE_LEN];
static pthread_once_t edp_kmp_once = PTHREAD_ONCE_INIT;

static void
edp_kmp_make(void)
{
	const uint8_t *a = edp_announcement();
	size_t i, k = 0;

	edp_kmp[0] = 0;
	for (i = 1; i < EDP_ANNOUNCE_LEN; i++) {
		while (k > 0 && a[i] != a[k])
			k = edp_kmp[k - 1];
		if (a[i] == a[k])
			k++;
		edp_kmp[i] = (uint16_t)k;
	}
}

static size_t
edp_kmp_feed(size_t m, const uint8_t *p, size_t n)
{
	const uint8_t *a = edp_announcement();

	for (size_t i = 0; i < n && m < EDP_ANNOUNCE_LEN; i++) {
		while (m > 0 && p[i] != a[m])
			m = edp_kmp[m - 1];
		if (p[i] == a[m])
			m++;
	}
	return m;
}

/*
 * Reads the server's reply, never a byte beyond it: while looking for the
 * announcement, at most as many bytes as could complete it; then the hello
 * and the frame header; then the frame's payload.  Returns 1 done, 0 wait
 * for input, < 0 fall back (reason set).
 */
static int
edp_client_read_reply(struct edp_client *c)
{
	size_t want, hdr = WBUF_HELLO_LEN + FRAME_HDR_LEN;
	const uint8_t *h;
	uint8_t *dst;
	uint32_t plen;
	ssize_t n;
	int r;

	pthread_once(&edp_kmp_once, edp_kmp_make);
	for (;;) {
		if (c->rmatch < EDP_ANNOUNCE_LEN)
			want = EDP_ANNOUNCE_LEN - c->rmatch;
		else
			want = c->rneed;
		if (want == 0)
			break;
		if (wbuf_reserve(&c->rin, want, &dst) < 0) {
			snprintf(c->res->reason, sizeof c->res->reason,
			    "no announcement in the first %zu bytes of the "
			    "server's reply", c->cfg->max_scan);
			return -EBADMSG;
		}
		c->rin.len -= want;   /* reserved space; count what arrives */
		n = c->io->recv(c->dfd, dst, want, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			snprintf(c->res->reason, sizeof c->res->reason,
			    "server %s during negotiation", n == 0 ?
			    "closed the connection" : "reset the connection");
			return -EPIPE;
		}
		c->rin.len += (size_t)n;
		if (c->rmatch < EDP_ANNOUNCE_LEN) {
			c->rmatch = edp_kmp_feed(c->rmatch, dst, (size_t)n);
			if (c->rmatch == EDP_ANNOUNCE_LEN)
				c->rneed = hdr;
			continue;
		}
		c->rneed -= (size_t)n;
		if (c->rneed > 0)
			continue;
		if (c->rphase == 0) {
			/* hello and frame header in: the payload length is known */
			h = c->rin.data + c->rin.len - hdr;
			plen = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
			    (uint32_t)h[10] << 8 | h[11];
			if (plen > EDP_MSG_MAX)
				break;   /* edp_parse_reply says why */
			c->rphase = 1;
			c->rneed = plen;
			continue;
		}
		break;
	}
	r = edp_parse_reply(c->rin.data, c->rin.len, c->cfg->max_scan,
	    c->cfg->enh, c->cfg->nenh, c->res);
	if (r == 0) {
		snprintf(c->res->reason, sizeof c->res->reason,
		    "incomplete negotiation reply");
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	if ((r = edp_client_run_init(c, 1)) < 0)
		return r;
	return 1;
}

int
edp_client_step(struct edp_client *c, struct pollfd *pfds, nfds_t *npfds,
    int *timeout_ms)
{
	struct pollfd p[2];
	nfds_t np;
	ssize_t n;
	int r;

	for (;;) {
		/* What is ready now?  A zero-time poll answers for both fds. */
		np = 0;
		if (c->state == EDP_C_CONNECTING || c->state == EDP_C_PROBING) {
			if (c->pfd >= 0 && !c->perr)
				p[np++] = (struct pollfd){ .fd = c->pfd,
				    .events = c->pdone ? POLLIN : POLLOUT };
		}
		if ((c->dstarted && !c->ddone) || c->state == EDP_C_NEGOTIATING)
			p[np++] = (struct pollfd){ .fd = c->dfd, .events =
			    !c->ddone || wbuf_avail(&c->dout) ? POLLOUT : POLLIN };
		if (np > 0 && c->io->poll(p, np, 0) < 0 && errno != EINTR)
			return -errno;

		for (nfds_t i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == c->dfd && !c->ddone) {
				c->ddone = 1;
				c->derr = edp_sock_error(c->dfd);
				/*
				 * Established, then reset at once: a plain connect()
				 * would have succeeded, and the program meets the
				 * reset at its first read or write, as here.
				 */
				if (c->derr == ECONNRESET || c->derr == EPIPE)
					c->derr = 0;
			} else if (p[i].fd == c->pfd && !c->pdone) {
				c->pdone = 1;
				c->perr = edp_sock_error(c->pfd);
			}
		}

		switch (c->state) {
		case EDP_C_CONNECTING:
			if (c->pdone && !c->dstarted &&
			    (r = edp_client_connect_data(c)) < 0) {
				c->derr = -r;
				goto dfail;
			}
			if (c->pdone && !c->perr) {
				edp_client_probe_connected(c);
				continue;
			}
			if (c->pdone && c->perr) {
				/* No probe: the application's connection decides. */
				if (c->res->connect_ns == 0)
					c->res->connect_ns = edp_now_ns() - c->t0;
				if (!c->ddone)
					break;
				if (c->derr)
					goto dfail;
				edp_client_verdict(c, EDP_ORD_RESET,
				    "probe connection failed (%s)", strerror(c->perr));
				goto done;
			}
			if (c->ddone && !c->derr && edp_now_ns() - c->t0 >=
			    (uint64_t)c->cfg->timeout_max_ms * 1000000ull) {
				edp_client_verdict(c, EDP_ORD_SILENT,
				    "probe did not connect within %d ms",
				    c->cfg->timeout_max_ms);
				goto done;
			}
			break;
		case EDP_C_PROBING:
			if (c->res->verdict == EDP_NONE &&
			    edp_client_read_probe(c) == 0 &&
			    edp_now_ns() >= c->deadline) {
				if (c->pin.len > 0)
					edp_client_verdict(c, EDP_ORD_DATA,
					    "sent %zu bytes without an announcement"
					    " and kept the connection open",
					    c->pin.len);
				else
					edp_client_verdict(c, EDP_ORD_SILENT,
					    "said nothing for %d ms after the probe",
					    (int)((edp_now_ns() - c->t0 -
					    c->res->connect_ns) / 1000000));
			}
			if (c->res->verdict == EDP_NONE)
				break;
			if (!c->ddone)
				break;         /* wait for the app's connection */
			if (c->derr)
				goto dfail;
			if (c->res->verdict != EDP_ENHANCED)
				goto done;
			edp_client_begin_negotiation(c);
			if (c->state == EDP_C_DONE)
				goto done;
			continue;
		case EDP_C_NEGOTIATING:
			if (!c->ddone)
				break;
			if (c->derr)
				goto dfail;
			while (wbuf_avail(&c->dout) > 0) {
				n = c->io->send(c->dfd, wbuf_ptr(&c->dout),
				    wbuf_avail(&c->dout), MSG_DONTWAIT | MSG_NOSIGNAL);
				if (n > 0) {
					c->dout.off += (size_t)n;
					continue;
				}
				if (n < 0 && (errno == EINTR))
					continue;
				if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				snprintf(c->res->reason, sizeof c->res->reason,
				    "sending the negotiation failed (%s)",
				    strerror(errno));
				goto fallback;
			}
			if (wbuf_avail(&c->dout) == 0) {
				r = edp_client_read_reply(c);
				if (r == 1)
					goto done;
				if (r < 0)
					goto fallback;
			}
			if (edp_now_ns() >= c->deadline) {
				snprintf(c->res->reason, sizeof c->res->reason,
				    "no answer to the negotiation within %d ms",
				    c->cfg->negotiate_ms);
				goto fallback;
			}
			break;
		case EDP_C_DONE:
			/* only a fallback reconnection waits here */
			if (!c->ddone) {
				if (edp_now_ns() >= c->deadline) {
					c->derr = ETIMEDOUT;
					goto dfail;
				}
				break;
			}
			if (c->derr)
				goto dfail;
			goto done;
		}

		/* Nothing more to do now: say what to wait for. */
		*npfds = 0;
		if ((c->state == EDP_C_CONNECTING || c->state == EDP_C_PROBING) &&
		    c->pfd >= 0 && !c->perr && c->res->verdict == EDP_NONE)
			pfds[(*npfds)++] = (struct pollfd){ .fd = c->pfd,
			    .events = c->pdone ? POLLIN : POLLOUT };
		if ((c->dstarted && !c->ddone) || c->state == EDP_C_NEGOTIATING)
			pfds[(*npfds)++] = (struct pollfd){ .fd = c->dfd, .events =
			    !c->ddone || wbuf_avail(&c->dout) ? POLLOUT : POLLIN };
		if (c->state == EDP_C_PROBING && c->res->verdict == EDP_NONE)
			*timeout_ms = edp_ms_left(c->deadline);
		else if (c->state == EDP_C_CONNECTING ||
		    c->state == EDP_C_PROBING)
			*timeout_ms = edp_ms_left(c->t0 +
			    (uint64_t)c->cfg->timeout_max_ms * 1000000ull);
		else
			*timeout_ms = edp_ms_left(c->deadline);
		if (*timeout_ms == 0)
			*timeout_ms = 1;
		return 1;

fallback:
		if ((r = edp_client_fallback(c)) < 0) {
			edp_client_abort(c);
			return r;
		}
		continue;
	}

done:
	c->res->total_ns = edp_now_ns() - c->t0;
	if (c->res->verdict == EDP_ENHANCED)
		log_info("enhanced peer: %zu enhancement(s) agreed, %zu bytes "
		    "before the reply", c->res->nchosen, c->res->npre);
	else
		log_debug("ordinary peer: %s", c->res->reason);
	edp_client_abort(c);
	return 0;
dfail:
	r = c->derr;
	c->res->err = r;
	edp_client_abort(c);
	return -r;
}

int
edp_connect(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct edp_config *cfg, struct edp_result *res)
{
	const struct edp_io *io = cfg->io ? cfg->io : &edp_io_libc;
	struct edp_client c;
	struct pollfd p[2];
	nfds_t np;
	int fl, r, ms;

	if ((fl = fcntl(fd, F_GETFL)) < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	r = edp_client_start(&c, fd, sa, salen, cfg, res);
	if (r == 0)
		while ((r = edp_client_step(&c, p, &np, &ms)) == 1)
			if (io->poll(p, np, ms) < 0 && errno != EINTR) {
				r = -errno;
				edp_client_abort(&c);
				break;
			}
	fcntl(fd, F_SETFL, fl);
	return r;
}

/*
 * init: making a rock.  A client runs the EDP on connect(); when the server
 * runs rocks too, the "rocks" enhancement's initialization exchanges X25519
 * keys, the socket buffer sizes, the heartbeat settings and each side's
 * control port (INIT, INIT_OK).  A server classifies each accepted
 * connection by its first bytes (probe, enhanced client, ordinary client).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "edp/edp.h"
#include "librocks/ctlsock.h"
#include "librocks/real.h"
#include "librocks/rock.h"
#include "rockd/rdproto.h"


/* The third number of a tcp_wmem/tcp_rmem sysctl (the autotuning limit). */
static size_t
init_sysctl_max(const char *path, size_t dflt)
{
	unsigned long a, b, c;
	size_t v = dflt;
	FILE *f;

	if ((f = fopen(path, "re")) != NULL) {
		if (fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3 && c > 0)
			v = c;
		fclose(f);
	}
	return v;
}

/*
 * The ring must hold every byte the peer may not have after a failure:
 * what our kernel has not had acknowledged (at most the send buffer,
 * which autotuning grows to tcp_wmem[2]) and what the peer's kernel
 * acknowledged but its program never took, which the peer loses if data
 * arrives between its last salvage and the end of its socket (at most its
 * receive buffer: tcp_rmem[2], or what it told us if more).  The paper's
 * rule; the memory is reserved, and pages are used only as bytes flow.
 */
static size_t
init_ring_cap(int fd, uint32_t peer_rcvbuf)
{
	static size_t wmem_max, rmem_max;
	int sndbuf = 0;
	socklen_t len = sizeof sndbuf;
	size_t snd, rcv;

	if (wmem_max == 0) {
		wmem_max = init_sysctl_max("/proc/sys/net/ipv4/tcp_wmem", 4u << 20);
		rmem_max = init_sysctl_max("/proc/sys/net/ipv4/tcp_rmem", 6u << 20);
	}
	snd = wmem_max;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0 &&
	    (size_t)sndbuf * 2 > snd)
		snd = (size_t)sndbuf * 2;
	rcv = rmem_max > peer_rcvbuf ? rmem_max : peer_rcvbuf;
	return snd + rcv;
}

static uint32_t
init_bufsize(int fd, int opt)
{
	int v = 0;
	socklen_t len = sizeof v;

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 || v < 0)
		return 0;
	return (uint32_t)v;
}

static int
init_recv_frame(int fd, uint16_t want, uint8_t *buf, struct wbuf *pl,
    uint64_t deadline)
{
	uint8_t hdr[FRAME_HDR_LEN];
	uint32_t len;
	uint16_t type;
	int r;

	if ((r = edp_recv_exact(real_edp_io(), fd, hdr, sizeof hdr, deadline)) < 0)
		return r;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	type = (uint16_t)(hdr[4] << 8 | hdr[5]);
	if (type != want || len > ROCKS_MSG_MAX)
		return -EBADMSG;
	if ((r = edp_recv_exact(real_edp_io(), fd, buf, len, deadline)) < 0)
		return r;
	wbuf_view(pl, buf, len);
	return 0;
}

static uint64_t
init_deadline(int ms)
{
	return rock_now_ns() + (uint64_t)(ms > 0 ? ms : 1) * 1000000ull;
}

/* The "rocks" enhancement's initialization, both sides. */
static int
init_rocks(int fd, int is_client, uint16_t version, int deadline_ms, void *arg,
    char *cause, size_t causelen)
{
	struct rock *r = arg;
	struct rocks_init in;
	struct rocks_init_ok ok;
	struct crypto_kx kx;
	uint8_t buf[ROCKS_MSG_MAX], shared[32];
	uint64_t deadline = init_deadline(deadline_ms);
	struct wbuf b, pl;
	int rc;

	(void)version;
	if ((rc = crypto_kx_new(&kx)) < 0) {
		snprintf(cause, causelen, "no X25519 key pair");
		return rc;
	}
	wbuf_init(&b, 0);
	if (is_client) {
		memcpy(in.pub, kx.pub, 32);
		in.sndbuf = init_bufsize(fd, SO_SNDBUF);
		in.rcvbuf = init_bufsize(fd, SO_RCVBUF);
		in.ctl_port = ctl_port();
		in.hb_ms = r->hb_ms;
		in.hb_misses = (uint8_t)(r->hb_misses > 255 ? 255 : r->hb_misses);
		if ((rc = rocks_put_init(&b, &in)) < 0 ||
		    (rc = edp_send_all(real_edp_io(), fd, b.data, b.len,
		    deadline)) < 0 ||
		    (rc = init_recv_frame(fd, ROCKS_MSG_INIT_OK, buf, &pl,
		    deadline)) < 0 || (rc = rocks_get_init_ok(&pl, &ok)) < 0) {
			snprintf(cause, causelen, "rocks initialization: %s",
			    strerror(-rc));
			goto out;
		}
		memcpy(r->id, ok.id, ROCKS_ID_LEN);
		r->peer_ctl_port = ok.ctl_port;
		r->peer_rcvbuf = ok.rcvbuf;
		if ((rc = crypto_kx_shared(&kx, ok.pub, shared)) < 0 ||
		    (rc = rocks_derive_keys(shared, r->id, kx.pub, ok.pub,
		    r->k_chal, r->k_hb)) < 0) {
			snprintf(cause, causelen, "key agreement failed");
			goto out;
		}
	} else {
		if ((rc = init_recv_frame(fd, ROCKS_MSG_INIT, buf, &pl,
		    deadline)) < 0 || (rc = rocks_get_init(&pl, &in)) < 0) {
			snprintf(cause, causelen, "bad INIT: %s", strerror(-rc));
			goto out;
		}
		if ((rc = crypto_random(ok.id, sizeof ok.id)) < 0)
			goto out;
		memcpy(ok.pub, kx.pub, 32);
		ok.sndbuf = init_bufsize(fd, SO_SNDBUF);
		ok.rcvbuf = init_bufsize(fd, SO_RCVBUF);
		ok.ctl_port = ctl_port();
		if ((rc = rocks_put_init_ok(&b, &ok)) < 0 ||
		    (rc = edp_send_all(real_edp_io(), fd, b.data, b.len,
		    deadline)) < 0) {
			snprintf(cause, causelen, "sending INIT_OK: %s",
			    strerror(-rc));
			goto out;
		}
		memcpy(r->id, ok.id, ROCKS_ID_LEN);
		r->peer_ctl_port = in.ctl_port;
		r->peer_rcvbuf = in.rcvbuf;
		r->hb_ms = in.hb_ms;          /* the client's policy rules */
		r->hb_misses = in.hb_misses;
		if ((rc = crypto_kx_shared(&kx, in.pub, shared)) < 0 ||
		    (rc = rocks_derive_keys(shared, r->id, in.pub, kx.pub,
		    r->k_chal, r->k_hb)) < 0) {
			snprintf(cause, causelen, "key agreement failed");
			goto out;
		}
	}
	rc = 0;
out:
	crypto_wipe(shared, sizeof shared);
	crypto_kx_free(&kx);
	wbuf_free(&b);
	return rc;
}

static void
init_config(struct edp_config *cfg, struct edp_enh *enh, struct rock *r)
{
	edp_config_default(cfg);
	cfg->io = real_edp_io();
	*enh = (struct edp_enh){ .name = "rocks", .vmin = 1, .vmax = 1,
	    .init = init_rocks, .arg = r };
	cfg->enh = enh;
	cfg->nenh = 1;
}

static int
init_chosen(const struct edp_result *res)
{
	for (size_t i = 0; i < res->nchosen; i++)
		if (strcmp(res->chosen[i].name, "rocks") == 0)
			return 1;
	return 0;
}

/* A rock whose initialization succeeded: addresses, ring, heartbeats. */
static int
init_finish(struct rock *r)
{
	struct sockaddr_in6 *s6;
	struct sockaddr_in *s4;
	int rc;

	r->peerlen = sizeof r->peer;
	r->locallen = sizeof r->local;
	if (real.getpeername(r->fd, (struct sockaddr *)&r->peer, &r->peerlen) < 0 ||
	    real.getsockname(r->fd, (struct sockaddr *)&r->local, &r->locallen) < 0)
		return -errno;
	memcpy(&r->peer_ctl, &r->peer, r->peerlen);
	r->peer_ctllen = r->peerlen;
	if (r->peer.ss_family == AF_INET) {
		s4 = (struct sockaddr_in *)&r->peer_ctl;
		s4->sin_port = htons(r->peer_ctl_port);
	} else {
		s6 = (struct sockaddr_in6 *)&r->peer_ctl;
		s6->sin6_port = htons(r->peer_ctl_port);
	}
	if ((rc = rock_ring_alloc(r, init_ring_cap(r->fd, r->peer_rcvbuf))) < 0)
		return rc;
	r->established_ns = r->last_rx_ns = rock_now_ns();
	rock_set_state(r, ROCK_CONNECTED);
	if (!r->listed)
		rock_list_add(r);
	return 0;
}

static void
init_hex(const uint8_t *id, char *out)
{
	for (int i = 0; i < ROCKS_ID_LEN; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
}

/* ---- through rockd (EVICT_ROCKS_VIA, docs/design/rockd.md) ---------------- */

static int
init_same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* The rockd for r: rocks_set_via's, else EVICT_ROCKS_VIA's; NULL: none. */
static const struct sockaddr_storage *
init_via_addr(const struct rock *r, socklen_t *len)
{
	if (r->reapi.has_via) {
		*len = r->reapi.vialen;
		return r->reapi.vialen > 0 ? &r->reapi.via : NULL;
	}
	*len = rocks_cfg.vialen;
	return rocks_cfg.vialen > 0 ? &rocks_cfg.via : NULL;
}

/* A peer that answered as an ordinary server, and a rockd to reach it by. */
static int
init_via_wanted(const struct rock *r, const struct edp_result *res,
    const struct sockaddr *sa)
{
	const struct sockaddr_storage *via;
	socklen_t vl;

	if ((via = init_via_addr(r, &vl)) == NULL || init_same_addr(sa, via))
		return 0;
	return res->verdict == EDP_ORD_CLOSED || res->verdict == EDP_ORD_RESET ||
	    res->verdict == EDP_ORD_DATA || res->verdict == EDP_ORD_SILENT;
}

/* A fresh unconnected socket of family in the place of fd; 0 or -errno. */
static int
init_fresh(int fd, int family)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD), s, rc = 0;

	s = real.socket(family, SOCK_STREAM | ((fl >= 0 && (fl & O_NONBLOCK)) ?
	    SOCK_NONBLOCK : 0), 0);
	if (s < 0)
		return -errno;
	if (real.dup3(s, fd, (fdfl >= 0 && (fdfl & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0)
		rc = -errno;
	real.close(s);
	return rc;
}

/* Reads exactly n bytes of the rock's stream, blocking. */
static int
init_rock_read(struct rock *r, uint8_t *p, size_t n)
{
	struct iovec iov;
	struct msghdr msg;
	ssize_t k;

	while (n > 0) {
		iov = (struct iovec){ .iov_base = p, .iov_len = n };
		msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
		k = rock_recv(r, &msg, 0);
		if (k == 0)
			return -ECONNRESET;
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The destination request and rockd's answer, inside the reliable stream. */
static int
init_via_request(struct rock *r, const struct sockaddr *sa, socklen_t len,
    char *why, size_t whylen)
{
	uint8_t res[RDP_RES_MAX];
	struct iovec iov;
	struct msghdr msg;
	struct wbuf b;
	uint32_t err = 0;
	size_t off = 0, plen;
	ssize_t k;
	int rc, nb = r->nonblock;

	wbuf_init(&b, RDP_REQ_MAX);
	if ((rc = rdp_put_connect(&b, sa, len)) < 0) {
		wbuf_free(&b);
		return rc;
	}
	r->nonblock = 0;        /* the request is part of connect(): it blocks */
	while (off < b.len) {
		iov = (struct iovec){ .iov_base = b.data + off, .iov_len = b.len - off };
		msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
		if ((k = rock_send(r, &msg, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		off += (size_t)k;
	}
	if ((rc = init_rock_read(r, res, FRAME_HDR_LEN)) < 0)
		goto out;
	plen = (size_t)res[0] << 24 | (size_t)res[1] << 16 |
	    (size_t)res[2] << 8 | res[3];
	if (plen > sizeof res - FRAME_HDR_LEN) {
		rc = -EBADMSG;
		goto out;
	}
	if ((rc = init_rock_read(r, res + FRAME_HDR_LEN, plen)) < 0)
		goto out;
	rc = rdp_get_result(res, FRAME_HDR_LEN + plen, &err, why, whylen);
	if (rc >= 0)
		rc = err == 0 ? 0 : -(int)(err < 4096 ? err : ECONNREFUSED);
out:
	r->nonblock = nb;
	wbuf_free(&b);
	return rc;
}

/*
 * The destination sa answered as an ordinary server: put in fd's place a
 * rock to the configured rockd, which opens the connection to sa for us.
 * getpeername() still answers sa.  When rockd cannot be reached or does
 * not run rocks, fd is connected to sa directly, as without it.  Takes r.
 */
int
rock_connect_via(struct rock *r, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_storage *vs;
	const struct sockaddr *via;
	struct edp_config cfg;
	struct edp_enh enh;
	struct edp_result res;
	char why[RDP_REASON_MAX] = "", idh[2 * ROCKS_ID_LEN + 1];
	socklen_t vialen;
	int fd = r->fd, rc;

	if ((vs = init_via_addr(r, &vialen)) == NULL)
		goto direct;
	via = (const struct sockaddr *)vs;
	if ((rc = init_fresh(fd, via->sa_family)) < 0)
		goto direct;
	init_config(&cfg, &enh, r);
	rc = edp_connect(fd, via, vialen, &cfg, &res);
	if (rc < 0) {
		log_once(EVLOG_WARN, "the rockd to reach peers without rocks is "
		    "unreachable (%s): connecting directly", strerror(-rc));
		goto direct;
	}
	if (res.verdict != EDP_ENHANCED || !init_chosen(&res)) {
		log_once(EVLOG_WARN, "the rockd to reach peers without rocks does "
		    "not run rocks (%s): connecting directly", res.reason);
		edp_result_free(&res);
		goto direct;
	}
	edp_result_free(&res);
	if ((rc = init_finish(r)) < 0 || (rc = rock_bind_fd(fd, r)) < 0) {
		if (r->listed)
			rock_list_del(r);
		goto direct;
	}
	if ((rc = init_via_request(r, sa, len, why, sizeof why)) < 0) {
		rock_unbind_fd(fd);
		rock_release(r);
		(void)init_fresh(fd, sa->sa_family);
		log_info("fd %d: rockd could not connect: %s (%s)", fd,
		    strerror(-rc), why);
		return rc;
	}
	/* the program sees the destination, not rockd */
	memcpy(&r->peer, sa, len);
	r->peerlen = len;
	init_hex(r->id, idh);
	log_info("rock %d connected through rockd (id %s, client)", fd, idh);
	return 0;
direct:
	rock_release(r);
	if ((rc = init_fresh(fd, sa->sa_family)) < 0)
		return rc;
	if (real.connect(fd, sa, len) < 0)
		return -errno;
	return 0;
}

/*
 * The EDP on sock for r: sock is r's fd, or a private duplicate of it while
 * a non-blocking connect completes in the background (nbconnect.c).  1 when
 * the peer runs rocks (then rock_connect_keep), 0 for a plain connection,
 * -errno when the connection failed as a plain one would have.
 */
int
rock_connect_edp(struct rock *r, int sock, const struct sockaddr *sa,
    socklen_t len)
{
	struct edp_config cfg;
	struct edp_enh enh;
	struct edp_result res;
	int rc;

	init_config(&cfg, &enh, r);
	if ((rc = edp_connect(sock, sa, len, &cfg, &res)) < 0)
		return rc;
	if (res.verdict != EDP_ENHANCED || !init_chosen(&res)) {
		log_debug("fd %d: plain connection (%s)", r->fd, res.reason);
		if (init_via_wanted(r, &res, sa)) {
			/* through rockd instead (rock_connect_via) */
			edp_result_free(&res);
			return 2;
		}
		edp_result_free(&res);
		return 0;
	}
	if (res.npre > 0 && rock_salv_put(r, res.pre, res.npre) == 0)
		rock_salv_changed(r);
	edp_result_free(&res);
	(void)dns_name_of(sa, r->rname, sizeof r->rname);
	return 1;
}

/* Makes a negotiated rock the rock of r->fd; 0, or -errno (stays plain). */
int
rock_connect_keep(struct rock *r)
{
	char idh[2 * ROCKS_ID_LEN + 1];
	int rc;

	if ((rc = init_finish(r)) < 0 || (rc = rock_bind_fd(r->fd, r)) < 0) {
		log_warn("fd %d: cannot keep a rock (%s); plain connection",
		    r->fd, strerror(-rc));
		if (r->listed)
			rock_list_del(r);
		return rc;
	}
	init_hex(r->id, idh);
	log_info("rock %d connected (id %s, client; heartbeat %u ms x %u)%s%s",
	    r->fd, idh, r->hb_ms, r->hb_misses,
	    r->rname[0] ? "; peer named " : "", r->rname);
	return 0;
}

int
rock_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct rock *r;
	int rc;

	if (ctl_start() < 0 || (r = rock_new(fd, ROCK_CLIENT)) == NULL)
		return real.connect(fd, sa, len);
	reapi_adopt(r);         /* settings made on the fd before connect() */
	rc = rock_connect_edp(r, fd, sa, len);
	if (rc == 1 && rock_connect_keep(r) == 0)
		return 0;
	if (rc == 2) {
		/* an ordinary server, and a rockd to reach it by (takes r) */
		if ((rc = rock_connect_via(r, sa, len)) < 0) {
			errno = -rc;
			return -1;
		}
		return 0;
	}
	rock_release(r);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int
rock_accepted(int fd, int *again)
{
	struct rock *r;
	int k;

	*again = 0;
	k = edp_server_classify(real_edp_io(), fd);
	if (k == EDP_S_UNDECIDED && rocks_cfg.accept_wait_ms > 0) {
		/*
		 * A probe's end-of-file follows its handshake by the client's
		 * own reaction time.  Wait that long, so that the program is
		 * not handed a connection that is already over.
		 */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (real.poll(&p, 1, (int)rocks_cfg.accept_wait_ms) > 0)
			k = edp_server_classify(real_edp_io(), fd);
	}
	if (k == EDP_S_PROBE) {
		(void)edp_server_answer_probe(real_edp_io(), fd);
		real.close(fd);
		*again = 1;
		return 0;
	}
	if (k == EDP_S_ORDINARY || k < 0)
		return 0;
	if (ctl_start() < 0 || (r = rock_new(fd, ROCK_SERVER)) == NULL)
		return 0;
	if (rock_bind_fd(fd, r) < 0) {
		rock_release(r);
		return 0;
	}
	rock_list_add(r);       /* so that exec carries it, undecided */
	return 0;
}

int
rock_server_negotiate(struct rock *r)
{
	struct edp_config cfg;
	struct edp_enh enh;
	struct edp_result res;
	char idh[2 * ROCKS_ID_LEN + 1];
	int rc;

	init_config(&cfg, &enh, r);
	rc = edp_server_negotiate(r->fd, &cfg, r->pre_bytes, &res);
	if (rc < 0)
		return rc;
	if (!init_chosen(&res))
		return 1;       /* both enhanced, no rocks: a plain connection */
	if ((rc = init_finish(r)) < 0)
		return rc;
	init_hex(r->id, idh);
	log_info("rock %d connected (id %s, server)", r->fd, idh);
	return 0;
}

/*
 * Decides what an accepted connection is from its first bytes.  Returns 1
 * when decided (the rock is CONNECTED, or unbound and released: the fd is
 * plain), 0 when it cannot tell yet and wait is 0.
 */
int
rock_classify(struct rock *r, int wait)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	int k, fd = r->fd, rc;

	for (;;) {
		k = edp_server_classify(real_edp_io(), fd);
		switch (k) {
		case EDP_S_PROBE:
			(void)edp_server_answer_probe(real_edp_io(), fd);
			real.shutdown(fd, SHUT_WR);
			goto plain;
		case EDP_S_ENHANCED:
			rc = rock_server_negotiate(r);
			if (rc == 0)
				return 1;
			if (rc < 0)     /* spoiled: the client falls back */
				real.shutdown(fd, SHUT_RDWR);
			goto plain;
		case EDP_S_UNDECIDED: {
			int avail = 0;

			if (real.ioctl(fd, FIONREAD, &avail) == 0 && avail > 0) {
				/* a prefix of the announcement, then a pause */
				/* (established_ns: when the prefix was first seen) */
				if (r->established_ns == 0)
					r->established_ns = rock_now_ns();
				else if (rock_now_ns() - r->established_ns >
				    200000000ull)
					goto plain;
			}
			if (!wait)
				return 0;
			(void)real.poll(&p, 1, avail > 0 ? 20 : -1);
			continue;
		}
		default:
			goto plain;
		}
	}
plain:
	rock_unbind_fd(fd);
	rock_release(r);
	return 1;
}

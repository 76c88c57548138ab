/*
 * reconnect: bringing a suspended rock back.  The client side (initiator)
 * connects to the peer's control port, at the address its last
 * authenticated heartbeat came from, and both sides prove they hold the
 * connection's key (fresh nonces both ways, so a replayed capture fails),
 * tell each other how many bytes they took from the stream, and replay
 * what the other is missing from their rings.  While replaying, each side
 * also reads, into the rock's buffer, so that two large replays cannot
 * block each other.  Then the new socket takes the program's fd number.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "edp/edp.h"
#include "librocks/ctlsock.h"
#include "librocks/keep.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define RC_STEP_MS 3000


/*
 * A failed attempt ends in a reset, never a FIN: the other side may have
 * installed this connection already, and a FIN is the program's close.
 */
static void
rc_abort_close(int s)
{
	struct linger lg = { 1, 0 };

	real.setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	real.close(s);
}

/* At debug level, the bytes an initiator sends (public: they cross the wire). */
static void
rc_log_bytes(struct rock *r, const char *what, const struct wbuf *b)
{
	char hex[2 * 256 + 1];
	size_t i;

	if (evlog_level < EVLOG_DEBUG)
		return;
	for (i = 0; i < b->len && i < 256; i++)
		sprintf(hex + 2 * i, "%02x", b->data[i]);
	hex[2 * i] = '\0';
	log_debug("rock %d: %s bytes %s", r->fd, what, hex);
}

static uint64_t
rc_deadline(void)
{
	return rock_now_ns() + (uint64_t)RC_STEP_MS * 1000000ull;
}

static int
rc_send(int s, struct wbuf *b)
{
	return edp_send_all(real_edp_io(), s, b->data, b->len, rc_deadline());
}

/* Reads one frame of the expected type (or REFUSED, with its reason). */
static int
rc_recv(int s, uint16_t want, uint8_t *buf, struct wbuf *pl, char *why,
    size_t whylen)
{
	uint8_t hdr[FRAME_HDR_LEN];
	uint32_t len;
	uint16_t type;
	int r;

	if ((r = edp_recv_exact(real_edp_io(), s, hdr, sizeof hdr,
	    rc_deadline())) < 0)
		return r;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	type = (uint16_t)(hdr[4] << 8 | hdr[5]);
	if (len > ROCKS_MSG_MAX)
		return -EMSGSIZE;
	if ((r = edp_recv_exact(real_edp_io(), s, buf, len, rc_deadline())) < 0)
		return r;
	wbuf_view(pl, buf, len);
	if (type == ROCKS_MSG_REFUSED) {
		if (wbuf_get_str(pl, why, whylen) < 0)
			snprintf(why, whylen, "(no reason)");
		return -ECONNREFUSED;
	}
	return type == want ? 0 : -EBADMSG;
}

/*
 * Sends ring[peer_rcvd, sent) on s while reading whatever the peer sends
 * into the salvage buffer, then puts s in place.  tx and rx locks held.
 */
static int
rc_replay_install(struct rock *r, int s, uint64_t peer_rcvd)
{
	const uint8_t *a, *b;
	size_t alen, blen, off = 0, total;
	uint64_t deadline = rock_now_ns() + 30000000000ull;
	struct pollfd p = { .fd = s };
	uint8_t in[65536];
	ssize_t n;
	int rc;

	if ((rc = rock_ring_span(r, peer_rcvd, &a, &alen, &b, &blen)) < 0) {
		log_error("rock %d: the peer has %llu bytes, we sent %llu and "
		    "keep %zu: cannot replay", r->fd,
		    (unsigned long long)peer_rcvd, (unsigned long long)r->sent,
		    r->ring_cap);
		return -EPROTO;
	}
	total = alen + blen;
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (off < total) {
		p.events = POLLOUT | POLLIN;
		if (real.poll(&p, 1, 1000) < 0 && errno != EINTR)
			return -errno;
		if (rock_now_ns() > deadline)
			return -ETIMEDOUT;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return -EPIPE;
		if (p.revents & POLLIN) {
			n = real.recv(s, in, sizeof in, MSG_DONTWAIT);
			if (n > 0) {
				if (rock_salv_put(r, in, (size_t)n) < 0)
					return -ENOMEM;
				r->rcvd += (uint64_t)n;
			} else if (n == 0) {
				r->peer_eof = 1;
			} else if (errno != EAGAIN)
				return -errno;
		}
		if (p.revents & POLLOUT) {
			const uint8_t *src = off < alen ? a + off : b + (off - alen);
			size_t chunk = off < alen ? alen - off : total - off;

			n = real.send(s, src, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				return -errno;
		}
	}
	if (r->shut_wr)
		real.shutdown(s, SHUT_WR);
	if ((rc = rock_install(r, s)) < 0)
		return rc;
	r->last_rx_ns = rock_now_ns();
	r->reconnects++;
	log_info("rock %d resumed after %.3f s: replayed %zu bytes",
	    r->fd, (rock_now_ns() - r->suspended_ns) / 1e9, total);
	rock_set_state(r, ROCK_CONNECTED);
	reapi_notify(r, REAPI_RESUME);
	return 0;
}

/* After a resume: a rock the program closed while suspended now closes. */
static void
rc_finish_close(struct rock *r)
{
	if (!r->app_closed || r->state != ROCK_CONNECTED)
		return;
	log_info("rock %d: completing the program's close", r->fd);
	real.shutdown(r->fd, SHUT_WR);
	real.close(r->fd);
	r->fd = -1;
	rock_set_state(r, ROCK_CLOSED);
	rock_release(r);
}

static int
rc_connect(struct rock *r)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int s, err = 0, one = 1;

	s = real.socket(r->peer_ctl.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	real.setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (real.connect(s, (struct sockaddr *)&r->peer_ctl, r->peer_ctllen) < 0 &&
	    errno != EINPROGRESS) {
		err = errno;
		rc_abort_close(s);
		return -err;
	}
	p = (struct pollfd){ .fd = s, .events = POLLOUT };
	if (real.poll(&p, 1, RC_STEP_MS) <= 0) {
		rc_abort_close(s);
		return -ETIMEDOUT;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		rc_abort_close(s);
		return -(err ? err : EIO);
	}
	return s;
}

/* One attempt by the initiator.  0 resumed; < 0 failed (try again). */
static int
rc_try(struct rock *r)
{
	struct rocks_reconnect rq;
	struct rocks_challenge ch;
	struct rocks_response rs;
	struct rocks_resumed rm;
	uint8_t buf[ROCKS_MSG_MAX], mac[ROCKS_MAC_LEN], hello[WBUF_HELLO_LEN];
	uint16_t ver, flags;
	struct wbuf b, pl, hb;
	char why[128] = "";
	int s, rc;

	if ((s = rc_connect(r)) < 0)
		return s;
	wbuf_init(&b, 0);
	memcpy(rq.id, r->id, ROCKS_ID_LEN);
	if ((rc = crypto_chal_new(rq.nonce)) < 0 ||
	    (rc = wbuf_put_hello(&b, ROCKS_MAGIC, ROCKS_PROTO_VERSION, 0)) < 0 ||
	    (rc = rocks_put_reconnect(&b, &rq)) < 0)
		goto out;
	rc_log_bytes(r, "reconnect", &b);
	if ((rc = rc_send(s, &b)) < 0)
		goto out;
	if ((rc = edp_recv_exact(real_edp_io(), s, hello, sizeof hello,
	    rc_deadline())) < 0)
		goto out;
	wbuf_view(&hb, hello, sizeof hello);
	if (wbuf_get_hello(&hb, ROCKS_MAGIC, &ver, &flags) < 0) {
		rc = -EBADMSG;
		goto out;
	}
	rc = rc_recv(s, ROCKS_MSG_CHALLENGE, buf, &pl, why, sizeof why);
	if (rc == -ECONNREFUSED) {
		log_warn("rock %d: the peer refused the reconnection: %s",
		    r->fd, why);
		if (strstr(why, "unknown") != NULL)
			rock_abort(r, ECONNRESET, "the peer no longer knows "
			    "this connection");
		goto out;
	}
	if (rc < 0 || (rc = rocks_get_challenge(&pl, &ch)) < 0)
		goto out;
	if ((rc = rocks_mac_acceptor(r->k_chal, r->id, rq.nonce, ch.nonce, 0,
	    mac)) < 0)
		goto out;
	if (!crypto_equal(mac, ch.mac, sizeof mac)) {
		log_warn("rock %d: a reconnection peer without the key; "
		    "refused", r->fd);
		rc = -EACCES;
		goto out;
	}
	/* rcvd does not move while suspended: no lock needed to read it */
	rs.rcvd = r->rcvd;
	wbuf_reset(&b);
	if ((rc = rocks_mac_initiator(r->k_chal, r->id, rq.nonce, ch.nonce,
	    rs.rcvd, rs.mac)) < 0 || (rc = rocks_put_response(&b, &rs)) < 0)
		goto out;
	rc_log_bytes(r, "response", &b);
	if ((rc = rc_send(s, &b)) < 0 ||
	    (rc = rc_recv(s, ROCKS_MSG_RESUMED, buf, &pl, why, sizeof why)) < 0 ||
	    (rc = rocks_get_resumed(&pl, &rm)) < 0 ||
	    (rc = rocks_mac_resumed(r->k_chal, r->id, rq.nonce, ch.nonce,
	    rm.rcvd, mac)) < 0)
		goto out;
	if (!crypto_equal(mac, rm.mac, sizeof mac)) {
		rc = -EACCES;
		goto out;
	}
	pthread_mutex_lock(&r->tx_lock);
	pthread_mutex_lock(&r->rx_lock);
	if (r->state != ROCK_SUSPENDED || rs.rcvd != r->rcvd) {
		rc = -ESTALE;
		goto unlock;
	}
	if ((rc = rc_replay_install(r, s, rm.rcvd)) == 0)
		s = -1;
	else if (rc == -EPROTO)
		rock_abort(r, ECONNRESET, "bytes lost: cannot replay");
unlock:
	pthread_mutex_unlock(&r->rx_lock);
	pthread_mutex_unlock(&r->tx_lock);
out:
	wbuf_free(&b);
	if (s >= 0)
		rc_abort_close(s);
	return rc;
}

static void *
rc_loop(void *arg)
{
	struct rock *r = arg;
	struct timespec ts;
	int rc, tries = 0;

	while (r->state == ROCK_SUSPENDED) {
		rc = rc_try(r);
		tries++;
		if (rc == 0) {
			rc_finish_close(r);
			break;
		}
		log_debug("rock %d: reconnection attempt %d: %s", r->fd, tries,
		    strerror(-rc));
		/* the peer's last known address fails: is the name elsewhere? */
		if (r->rname[0] != '\0' && (rc == -ETIMEDOUT ||
		    rc == -ECONNREFUSED || rc == -EHOSTUNREACH ||
		    rc == -ENETUNREACH || rc == -ECONNRESET) && tries % 2 == 0 &&
		    dns_reresolve(r) == 1)
			continue;
		/* or does the relay know where the peer went? */
		if (rocks_cfg.relaylen > 0 && (rc == -ETIMEDOUT ||
		    rc == -ECONNREFUSED || rc == -EHOSTUNREACH ||
		    rc == -ENETUNREACH || rc == -ECONNRESET) && rdv_lookup(r) == 1)
			continue;
		pthread_mutex_lock(&r->st_lock);
		if (!r->kick && r->state == ROCK_SUSPENDED) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(rocks_cfg.retry_ms % 1000) * 1000000L;
			ts.tv_sec += rocks_cfg.retry_ms / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->st_cond, &r->st_lock, &ts);
		}
		r->kick = 0;
		pthread_mutex_unlock(&r->st_lock);
	}
	pthread_mutex_lock(&r->st_lock);
	r->reconnector = 0;
	pthread_mutex_unlock(&r->st_lock);
	rock_put(r);
	return NULL;
}

int
reconnect_start(struct rock *r)
{
	pthread_attr_t at;
	pthread_t tid;
	int rc;

	pthread_mutex_lock(&r->st_lock);
	if (r->reconnector) {
		r->kick = 1;
		pthread_cond_broadcast(&r->st_cond);
		pthread_mutex_unlock(&r->st_lock);
		return 0;
	}
	r->reconnector = 1;
	pthread_mutex_unlock(&r->st_lock);
	rock_get(r);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &at, rc_loop, r);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		r->reconnector = 0;
		rock_put(r);
		return -rc;
	}
	return 0;
}

static void
rc_refuse(int s, const char *why)
{
	struct wbuf b;

	wbuf_init(&b, 0);
	if (wbuf_put_hello(&b, ROCKS_MAGIC, ROCKS_PROTO_VERSION, 0) == 0 &&
	    rocks_put_refused(&b, why) == 0)
		(void)rc_send(s, &b);
	wbuf_free(&b);
}

/* The acceptor's side, on a connection to our control port. */
void
reconnect_accept(int s)
{
	struct rocks_reconnect rq;
	struct rocks_challenge ch;
	struct rocks_response rs;
	struct rocks_resumed rm;
	uint8_t buf[ROCKS_MSG_MAX], mac[ROCKS_MAC_LEN], hello[WBUF_HELLO_LEN];
	uint16_t ver, flags;
	struct wbuf b, pl, hb;
	struct rock *r = NULL;
	char why[128];
	int rc;

	wbuf_init(&b, 0);
	if (edp_recv_exact(real_edp_io(), s, hello, sizeof hello,
	    rc_deadline()) < 0)
		goto out;
	wbuf_view(&hb, hello, sizeof hello);
	if (wbuf_get_hello(&hb, ROCKS_MAGIC, &ver, &flags) < 0) {
		log_debug("control port: a connection that is not a "
		    "reconnection; closed");
		goto out;
	}
	if (rc_recv(s, ROCKS_MSG_RECONNECT, buf, &pl, why, sizeof why) < 0 ||
	    rocks_get_reconnect(&pl, &rq) < 0) {
		log_info("control port: malformed reconnection; closed");
		goto out;
	}
	r = rock_find_id(rq.id);
	if (r == NULL && keep_handed(rq.id)) {
		log_info("control port: a reconnection for a rock now held by "
		    "a keeper; the peer will try the keeper");
		goto out;
	}
	if (r == NULL ||
	    (r->state != ROCK_CONNECTED && r->state != ROCK_SUSPENDED)) {
		rc_refuse(s, "unknown connection");
		goto out;
	}
	if (crypto_chal_new(ch.nonce) < 0 ||
	    rocks_mac_acceptor(r->k_chal, r->id, rq.nonce, ch.nonce, 0,
	    ch.mac) < 0 ||
	    wbuf_put_hello(&b, ROCKS_MAGIC, ROCKS_PROTO_VERSION, 0) < 0 ||
	    rocks_put_challenge(&b, &ch) < 0 || rc_send(s, &b) < 0)
		goto out;
	if (rc_recv(s, ROCKS_MSG_RESPONSE, buf, &pl, why, sizeof why) < 0 ||
	    rocks_get_response(&pl, &rs) < 0)
		goto out;
	if (rocks_mac_initiator(r->k_chal, r->id, rq.nonce, ch.nonce, rs.rcvd,
	    mac) < 0 || !crypto_equal(mac, rs.mac, sizeof mac)) {
		log_warn("rock %d: reconnection by a party without the key "
		    "refused; still waiting for the real peer", r->fd);
		rc_refuse(s, "authentication failed");
		goto out;
	}
	/* The peer saw the failure first: it is real, since it knows the key. */
	if (r->state == ROCK_CONNECTED)
		rock_suspend(r, "the peer is reconnecting");
	if (r->state != ROCK_SUSPENDED) {
		rc_refuse(s, "not suspended");
		goto out;
	}
	rm.rcvd = r->rcvd;
	wbuf_reset(&b);
	if (rocks_mac_resumed(r->k_chal, r->id, rq.nonce, ch.nonce, rm.rcvd,
	    rm.mac) < 0 || rocks_put_resumed(&b, &rm) < 0 || rc_send(s, &b) < 0)
		goto out;
	pthread_mutex_lock(&r->tx_lock);
	pthread_mutex_lock(&r->rx_lock);
	if (r->state != ROCK_SUSPENDED || rm.rcvd != r->rcvd)
		rc = -ESTALE;
	else
		rc = rc_replay_install(r, s, rs.rcvd);
	if (rc == 0)
		s = -1;
	else if (rc == -EPROTO)
		rock_abort(r, ECONNRESET, "bytes lost: cannot replay");
	pthread_mutex_unlock(&r->rx_lock);
	pthread_mutex_unlock(&r->tx_lock);
	if (rc == 0)
		rc_finish_close(r);
out:
	wbuf_free(&b);
	if (r != NULL)
		rock_put(r);
	if (s >= 0)
		rc_abort_close(s);
}

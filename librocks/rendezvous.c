/*
 * rendezvous: two rocks that both moved during one outage find each other
 * through a `rockd --relay` that both can reach.  The server side, while
 * suspended, tells the relay every retry period where it is now (the relay
 * records the address the message came from, and the control port it
 * names); the client side, when its peer's last known address fails, asks
 * the relay and reconnects there.  Both name the connection by a tag,
 * HMAC(challenge key, "rocks-rendezvous" | id): the relay learns no key,
 * and a wrong answer from it costs a failed attempt, never the connection
 * (the reconnection is still the keyed challenge-response).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "librocks/real.h"
#include "librocks/rock.h"
#include "rockd/rdproto.h"

#define RDV_STEP_MS 1000

static int
rdv_tag(const struct rock *r, uint8_t tag[RDP_TAG_LEN])
{
	static const char label[] = "rocks-rendezvous";
	uint8_t msg[sizeof label - 1 + ROCKS_ID_LEN], mac[CRYPTO_HMAC_LEN];
	int rc;

	memcpy(msg, label, sizeof label - 1);
	memcpy(msg + sizeof label - 1, r->id, ROCKS_ID_LEN);
	rc = crypto_hmac_sha256(r->k_chal, ROCKS_KEY_LEN, msg, sizeof msg, mac);
	memcpy(tag, mac, RDP_TAG_LEN);
	crypto_wipe(mac, sizeof mac);
	return rc;
}

static int
rdv_wait(int s, short ev)
{
	struct pollfd p = { .fd = s, .events = ev };

	return real.poll(&p, 1, RDV_STEP_MS) == 1 ? 0 : -ETIMEDOUT;
}

/* Connects to the relay and sends b: the socket, or -errno. */
static int
rdv_send(const struct wbuf *b)
{
	socklen_t el = sizeof(int);
	size_t off = 0;
	ssize_t k;
	int s, err = 0;

	s = real.socket(rocks_cfg.relay.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if ((real.connect(s, (const struct sockaddr *)&rocks_cfg.relay,
	    rocks_cfg.relaylen) < 0 && errno != EINPROGRESS) ||
	    rdv_wait(s, POLLOUT) < 0 ||
	    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
		err = err ? err : (errno ? errno : ETIMEDOUT);
		real.close(s);
		return -err;
	}
	while (off < b->len) {
		k = real.send(s, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if ((k < 0 && errno != EAGAIN && errno != EINTR) ||
		    rdv_wait(s, POLLOUT) < 0) {
			real.close(s);
			return -EIO;
		}
	}
	return s;
}

static void *
rdv_register_loop(void *arg)
{
	struct rock *r = arg;
	uint8_t tag[RDP_TAG_LEN];
	struct timespec ts;
	struct wbuf b;
	int s, said = 0;

	if (rdv_tag(r, tag) < 0)
		goto out;
	wbuf_init(&b, RDP_RV_MAX);
	if (rdp_put_register(&b, tag, ctl_port()) < 0) {
		wbuf_free(&b);
		goto out;
	}
	while (r->state == ROCK_SUSPENDED) {
		if ((s = rdv_send(&b)) >= 0) {
			real.close(s);
			if (!said++)
				log_info("rock %d: told the relay where to find it",
				    r->fd);
		}
		pthread_mutex_lock(&r->st_lock);
		if (r->state == ROCK_SUSPENDED) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(rocks_cfg.retry_ms % 1000) * 1000000L;
			ts.tv_sec += rocks_cfg.retry_ms / 1000 +
			    ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->st_cond, &r->st_lock, &ts);
		}
		pthread_mutex_unlock(&r->st_lock);
	}
	wbuf_free(&b);
out:
	pthread_mutex_lock(&r->st_lock);
	r->reconnector = 0;
	pthread_mutex_unlock(&r->st_lock);
	rock_put(r);
	return NULL;
}

void
rdv_register_start(struct rock *r)
{
	pthread_attr_t at;
	pthread_t tid;

	pthread_mutex_lock(&r->st_lock);
	if (r->reconnector) {           /* a server rock: the registering thread */
		pthread_mutex_unlock(&r->st_lock);
		return;
	}
	r->reconnector = 1;
	pthread_mutex_unlock(&r->st_lock);
	rock_get(r);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &at, rdv_register_loop, r) != 0) {
		r->reconnector = 0;
		rock_put(r);
	}
	pthread_attr_destroy(&at);
}

int
rdv_lookup(struct rock *r)
{
	uint8_t tag[RDP_TAG_LEN], ans[RDP_FOUND_MAX];
	struct sockaddr_storage at;
	socklen_t alen = 0;
	size_t have = 0;
	ssize_t k;
	struct wbuf b;
	int s, n = 0, changed = 0;

	if (rdv_tag(r, tag) < 0)
		return 0;
	wbuf_init(&b, RDP_RV_MAX);
	if (rdp_put_lookup(&b, tag) < 0 || (s = rdv_send(&b)) < 0) {
		wbuf_free(&b);
		return 0;
	}
	wbuf_free(&b);
	while (have < sizeof ans) {
		k = real.recv(s, ans + have, sizeof ans - have, MSG_DONTWAIT);
		if (k > 0) {
			have += (size_t)k;
			if ((n = rdp_get_found(ans, have, &at, &alen)) != 0)
				break;
			continue;
		}
		if (k == 0 || (errno != EAGAIN && errno != EINTR) ||
		    rdv_wait(s, POLLIN) < 0)
			break;
	}
	real.close(s);
	if (n <= 0 || alen == 0)
		return 0;
	pthread_mutex_lock(&r->st_lock);
	if (r->peer_ctllen != alen || memcmp(&r->peer_ctl, &at, alen) != 0) {
		memcpy(&r->peer_ctl, &at, alen);
		r->peer_ctllen = alen;
		changed = 1;
	}
	pthread_mutex_unlock(&r->st_lock);
	if (changed)
		log_info("rock %d: the relay knows where the peer went; "
		    "reconnecting there", r->fd);
	return changed;
}

/*
 * rendezvous: rockd's relay mode (--relay).  A suspended server rock
 * REGISTERs its tag and control port; rockd records them with the address
 * the message came from (so a server behind NAT is recorded at its
 * mapping).  A client rock whose peer's last address fails LOOKs the tag
 * up and is told that address.  Tags reveal no key; a record is kept at
 * most RV_AGE_MS, and the table holds RV_SLOTS (the oldest goes first).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "rockd/rdproto.h"
#include "rockd/rockd.h"

#define RV_SLOTS  4096
#define RV_AGE_MS (3600 * 1000ull)

struct rv_slot {
	uint8_t  tag[RDP_TAG_LEN];
	struct sockaddr_storage at;
	socklen_t atlen;
	uint64_t when;
};

static struct {
	pthread_mutex_t lock;
	struct rv_slot s[RV_SLOTS];
} rv = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* An IPv4 client seen on a dual-stack socket, as plain IPv4. */
static socklen_t
rv_plain(const struct sockaddr *peer, uint16_t port, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *s6 = (const void *)peer;
	struct sockaddr_in *o4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *o6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof *out);
	if (peer->sa_family == AF_INET) {
		memcpy(o4, peer, sizeof *o4);
		o4->sin_port = htons(port);
		return sizeof *o4;
	}
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		o4->sin_family = AF_INET;
		memcpy(&o4->sin_addr, s6->sin6_addr.s6_addr + 12, 4);
		o4->sin_port = htons(port);
		return sizeof *o4;
	}
	memcpy(o6, s6, sizeof *o6);
	o6->sin6_port = htons(port);
	return sizeof *o6;
}

static void
rv_put(const uint8_t tag[RDP_TAG_LEN], const struct sockaddr_storage *at,
    socklen_t len)
{
	struct rv_slot *old = &rv.s[0], *s;
	int i;

	pthread_mutex_lock(&rv.lock);
	for (i = 0; i < RV_SLOTS; i++) {
		s = &rv.s[i];
		if (memcmp(s->tag, tag, RDP_TAG_LEN) == 0 && s->when != 0) {
			old = s;
			break;
		}
		if (s->when < old->when)
			old = s;
	}
	memcpy(old->tag, tag, RDP_TAG_LEN);
	memcpy(&old->at, at, len);
	old->atlen = len;
	old->when = rd_now_ms();
	pthread_mutex_unlock(&rv.lock);
}

static socklen_t
rv_get(const uint8_t tag[RDP_TAG_LEN], struct sockaddr_storage *at)
{
	uint64_t now = rd_now_ms();
	socklen_t len = 0;
	int i;

	pthread_mutex_lock(&rv.lock);
	for (i = 0; i < RV_SLOTS; i++)
		if (rv.s[i].when != 0 && now - rv.s[i].when < RV_AGE_MS &&
		    memcmp(rv.s[i].tag, tag, RDP_TAG_LEN) == 0) {
			memcpy(at, &rv.s[i].at, rv.s[i].atlen);
			len = rv.s[i].atlen;
			break;
		}
	pthread_mutex_unlock(&rv.lock);
	return len;
}

static int
rv_wait(int fd, short ev, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	uint64_t now = rd_now_ms();

	if (now >= deadline)
		return -1;
	return poll(&p, 1, (int)(deadline - now)) == 1 ? 0 : -1;
}

void
rv_serve(int fd, const struct sockaddr *peer, const char *client,
    uint64_t deadline)
{
	uint8_t buf[RDP_RV_MAX], tag[RDP_TAG_LEN];
	struct sockaddr_storage at;
	socklen_t alen;
	struct wbuf b;
	size_t have = 0;
	uint16_t type = 0, port = 0;
	ssize_t k;
	int n = 0;

	while (have < sizeof buf) {
		k = read(fd, buf + have, sizeof buf - have);
		if (k > 0) {
			have += (size_t)k;
			if ((n = rdp_get_rendezvous(buf, have, &type, tag, &port)) != 0)
				break;
			continue;
		}
		if (k == 0 || (errno != EAGAIN && errno != EINTR) ||
		    rv_wait(fd, POLLIN, deadline) < 0)
			break;
	}
	if (n <= 0) {
		rd_warn("relay: %s: %s; closed", client, n < 0 ?
		    "malformed rendezvous message" : "no rendezvous message in time");
		return;
	}
	if (type == RDP_MSG_REGISTER) {
		alen = rv_plain(peer, port, &at);
		rv_put(tag, &at, alen);
		rd_debug("relay: %s registered (control port %u)", client, port);
		return;
	}
	alen = rv_get(tag, &at);
	wbuf_init(&b, RDP_FOUND_MAX);
	if (rdp_put_found(&b, alen ? (struct sockaddr *)&at : NULL) == 0) {
		size_t off = 0;

		while (off < b.len) {
			k = write(fd, b.data + off, b.len - off);
			if (k > 0)
				off += (size_t)k;
			else if ((k < 0 && errno != EAGAIN && errno != EINTR) ||
			    rv_wait(fd, POLLOUT, deadline) < 0)
				break;
		}
	}
	wbuf_free(&b);
	rd_info("relay: %s looked up a peer: %s", client, alen ? "found" :
	    "unknown");
}

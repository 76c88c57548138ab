/* ctlproto: the rockctl messages and words; see ctlproto.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "librocks/ctlproto.h"

static int
ctl_end(struct wbuf *pl)
{
	return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
}

/* ---- hello --------------------------------------------------------------- */

int
ctl_put_hello(struct wbuf *b, const struct ctl_hello *h)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, CTL_MSG_HELLO, &mark)) < 0 ||
	    (r = wbuf_put_hello(b, CTL_MAGIC, h->version, h->flags)) < 0 ||
	    (r = wbuf_put_u32(b, h->pid)) < 0 ||
	    (r = wbuf_put_u32(b, h->uid)) < 0 ||
	    (r = wbuf_put_blob(b, h->program, strnlen(h->program,
	    sizeof h->program - 1))) < 0)
		return r;
	return frame_end(b, mark);
}

int
ctl_get_hello(struct wbuf *pl, struct ctl_hello *h)
{
	int r;

	if ((r = wbuf_get_hello(pl, CTL_MAGIC, &h->version, &h->flags)) < 0 ||
	    (r = wbuf_get_u32(pl, &h->pid)) < 0 ||
	    (r = wbuf_get_u32(pl, &h->uid)) < 0 ||
	    (r = wbuf_get_str(pl, h->program, sizeof h->program)) < 0)
		return r;
	if (h->version == 0)
		return -EBADMSG;
	return ctl_end(pl);
}

/* ---- list ------------------------------------------------------------------ */

int
ctl_put_list(struct wbuf *b)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, CTL_MSG_LIST, &mark)) < 0)
		return r;
	return frame_end(b, mark);
}

int
ctl_get_list(struct wbuf *pl)
{
	return ctl_end(pl);
}

static int
ctl_put_addr(struct wbuf *b, const struct ctl_addr *a)
{
	size_t n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0;
	int r;

	if ((r = wbuf_put_u8(b, n == 0 ? 0 : a->family)) < 0 ||
	    (r = wbuf_put_bytes(b, a->addr, n)) < 0)
		return r;
	return wbuf_put_u16(b, n == 0 ? 0 : a->port);
}

static int
ctl_get_addr(struct wbuf *pl, struct ctl_addr *a)
{
	size_t n;
	int r;

	memset(a, 0, sizeof *a);
	if ((r = wbuf_get_u8(pl, &a->family)) < 0)
		return r;
	switch (a->family) {
	case 0:  n = 0; break;
	case 4:  n = 4; break;
	case 6:  n = 16; break;
	default: return -EBADMSG;
	}
	if ((r = wbuf_get_bytes(pl, a->addr, n)) < 0 ||
	    (r = wbuf_get_u16(pl, &a->port)) < 0)
		return r;
	return n == 0 && a->port != 0 ? -EBADMSG : 0;   /* one encoding only */
}

int
ctl_put_rock(struct wbuf *b, const struct ctl_rock *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, CTL_MSG_ROCK, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, m->id, sizeof m->id)) < 0 ||
	    (r = wbuf_put_u32(b, (uint32_t)m->fd)) < 0 ||
	    (r = wbuf_put_u8(b, m->role)) < 0 ||
	    (r = wbuf_put_u8(b, m->state)) < 0 ||
	    (r = ctl_put_addr(b, &m->local)) < 0 ||
	    (r = ctl_put_addr(b, &m->peer)) < 0 ||
	    (r = ctl_put_addr(b, &m->reconnect)) < 0 ||
	    (r = wbuf_put_u64(b, m->sent)) < 0 ||
	    (r = wbuf_put_u64(b, m->rcvd)) < 0 ||
	    (r = wbuf_put_u64(b, m->inflight)) < 0 ||
	    (r = wbuf_put_u64(b, m->age_ms)) < 0 ||
	    (r = wbuf_put_u64(b, m->suspended_ms)) < 0 ||
	    (r = wbuf_put_u64(b, m->giveup_ms)) < 0 ||
	    (r = wbuf_put_u32(b, m->retry_ms)) < 0 ||
	    (r = wbuf_put_u32(b, m->hb_ms)) < 0 ||
	    (r = wbuf_put_u32(b, m->hb_misses)) < 0 ||
	    (r = wbuf_put_u64(b, m->last_hb_ms)) < 0 ||
	    (r = wbuf_put_u64(b, m->reconnects)) < 0 ||
	    (r = wbuf_put_u32(b, m->err)) < 0 ||
	    (r = wbuf_put_blob(b, m->reason, strnlen(m->reason,
	    sizeof m->reason - 1))) < 0)
		return r;
	return frame_end(b, mark);
}

int
ctl_get_rock(struct wbuf *pl, struct ctl_rock *m)
{
	uint32_t fd;
	int r;

	memset(m, 0, sizeof *m);
	if ((r = wbuf_get_bytes(pl, m->id, sizeof m->id)) < 0 ||
	    (r = wbuf_get_u32(pl, &fd)) < 0 ||
	    (r = wbuf_get_u8(pl, &m->role)) < 0 ||
	    (r = wbuf_get_u8(pl, &m->state)) < 0 ||
	    (r = ctl_get_addr(pl, &m->local)) < 0 ||
	    (r = ctl_get_addr(pl, &m->peer)) < 0 ||
	    (r = ctl_get_addr(pl, &m->reconnect)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->sent)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->rcvd)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->inflight)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->age_ms)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->suspended_ms)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->giveup_ms)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->retry_ms)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->hb_ms)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->hb_misses)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->last_hb_ms)) < 0 ||
	    (r = wbuf_get_u64(pl, &m->reconnects)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->err)) < 0 ||
	    (r = wbuf_get_str(pl, m->reason, sizeof m->reason)) < 0)
		return r;
	/* an fd is a non-negative int, or -1 */
	if ((fd > INT32_MAX && fd != UINT32_MAX) || m->role > CTL_SERVER ||
	    m->state > CTL_CLOSED)
		return -EBADMSG;
	m->fd = fd == UINT32_MAX ? -1 : (int32_t)fd;
	return ctl_end(pl);
}

int
ctl_put_list_end(struct wbuf *b, uint32_t count, uint8_t truncated)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, CTL_MSG_LIST_END, &mark)) < 0 ||
	    (r = wbuf_put_u32(b, count)) < 0 ||
	    (r = wbuf_put_u8(b, truncated)) < 0)
		return r;
	return frame_end(b, mark);
}

int
ctl_get_list_end(struct wbuf *pl, uint32_t *count, uint8_t *truncated)
{
	int r;

	if ((r = wbuf_get_u32(pl, count)) < 0 ||
	    (r = wbuf_get_u8(pl, truncated)) < 0)
		return r;
	if (*truncated > 1)
		return -EBADMSG;
	return ctl_end(pl);
}

/* ---- kill ------------------------------------------------------------------ */

int
ctl_put_kill(struct wbuf *b, const uint8_t id[CTL_ID_LEN])
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, CTL_MSG_KILL, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, id, CTL_ID_LEN)) < 0)
		return r;
	return frame_end(b, mark);
}

int
ctl_get_kill(struct wbuf *pl, uint8_t id[CTL_ID_LEN])
{
	int r;

	if ((r = wbuf_get_bytes(pl, id, CTL_ID_LEN)) < 0)
		return r;
	return ctl_end(pl);
}

int
ctl_put_result(struct wbuf *b, uint16_t type, uint32_t code, const char *text)
{
	size_t mark;
	int r;

	if (type != CTL_MSG_RESULT && type != CTL_MSG_ERROR)
		return -EINVAL;
	if ((r = frame_begin(b, type, &mark)) < 0 ||
	    (r = wbuf_put_u32(b, code)) < 0 ||
	    (r = wbuf_put_blob(b, text, strnlen(text, CTL_TEXT_MAX - 1))) < 0)
		return r;
	return frame_end(b, mark);
}

int
ctl_get_result(struct wbuf *pl, uint32_t *code, char *text, size_t textsz)
{
	int r;

	if ((r = wbuf_get_u32(pl, code)) < 0 ||
	    (r = wbuf_get_str(pl, text, textsz)) < 0)
		return r;
	return ctl_end(pl);
}

/* ---- words ------------------------------------------------------------------ */

void
ctl_addr_set(struct ctl_addr *a, const struct sockaddr_storage *ss,
    socklen_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	memset(a, 0, sizeof *a);
	if (ss->ss_family == AF_INET && len >= sizeof *s4) {
		a->family = 4;
		memcpy(a->addr, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6 && len >= sizeof *s6) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = 4;
			memcpy(a->addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = 6;
			memcpy(a->addr, &s6->sin6_addr, 16);
		}
		a->port = ntohs(s6->sin6_port);
	}
}

void
ctl_addr_str(const struct ctl_addr *a, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN];

	if (outsz == 0)
		return;
	if (a->family == 4 &&
	    inet_ntop(AF_INET, a->addr, host, sizeof host) != NULL)
		snprintf(out, outsz, "%s:%u", host, a->port);
	else if (a->family == 6 &&
	    inet_ntop(AF_INET6, a->addr, host, sizeof host) != NULL)
		snprintf(out, outsz, "[%s]:%u", host, a->port);
	else
		snprintf(out, outsz, "-");
}

void
ctl_duration_str(uint64_t ms, char *out, size_t outsz)
{
	uint64_t s = ms / 1000;

	if (outsz == 0)
		return;
	if (ms == CTL_UNKNOWN)
		snprintf(out, outsz, "?");
	else if (ms < 1000)
		snprintf(out, outsz, "%llu ms", (unsigned long long)ms);
	else if (ms < 10000 && ms % 1000 >= 100)
		snprintf(out, outsz, "%llu.%llu s", (unsigned long long)s,
		    (unsigned long long)(ms % 1000 / 100));
	else if (s < 60)
		snprintf(out, outsz, "%llu s", (unsigned long long)s);
	else if (s < 3600 && s % 60 == 0)
		snprintf(out, outsz, "%llu min", (unsigned long long)(s / 60));
	else if (s < 3600)
		snprintf(out, outsz, "%llu min %llu s", (unsigned long long)(s / 60),
		    (unsigned long long)(s % 60));
	else if (s < 86400 && s / 60 % 60 == 0)
		snprintf(out, outsz, "%llu h", (unsigned long long)(s / 3600));
	else if (s < 86400)
		snprintf(out, outsz, "%llu h %llu min",
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s / 60 % 60));
	else if (s / 3600 % 24 == 0)
		snprintf(out, outsz, "%llu d", (unsigned long long)(s / 86400));
	else
		snprintf(out, outsz, "%llu d %llu h",
		    (unsigned long long)(s / 86400),
		    (unsigned long long)(s / 3600 % 24));
}

void
ctl_bytes_str(uint64_t n, char *out, size_t outsz)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
	    "EiB" };
	double v = (double)n;
	int u = -1;

	if (outsz == 0)
		return;
	if (n == CTL_UNKNOWN) {
		snprintf(out, outsz, "?");
		return;
	}
	if (n < 1024) {
		snprintf(out, outsz, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, outsz, "%.1f %s", v, unit[u]);
}

void
ctl_id_str(const uint8_t id[CTL_ID_LEN], char out[2 * CTL_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < CTL_ID_LEN; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * CTL_ID_LEN] = '\0';
}

const char *
ctl_state_str(uint8_t state)
{
	switch (state) {
	case CTL_UNDECIDED: return "UNDECIDED";
	case CTL_CONNECTED: return "CONNECTED";
	case CTL_SUSPENDED: return "SUSPENDED";
	case CTL_CLOSED:    return "CLOSED";
	}
	return "?";
}

const char *
ctl_role_str(uint8_t role)
{
	return role == CTL_SERVER ? "server" : "client";
}

/* Appends printf-style text to out, which holds *len bytes already. */
static void __attribute__((format(printf, 4, 5)))
ctl_cat(char *out, size_t outsz, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= outsz)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *len, outsz - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < outsz - *len ? (size_t)n : outsz - *len - 1;
}

static const char *
ctl_errno_str(uint32_t e)
{
	const char *s = e != 0 && e < 4096 ? strerrorname_np((int)e) : NULL;

	return s != NULL ? s : "an error";
}

void
ctl_describe(const struct ctl_rock *r, char *out, size_t outsz)
{
	char peer[64], d1[32], d2[32], d3[32];
	size_t len = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	ctl_addr_str(&r->peer, peer, sizeof peer);
	switch (r->state) {
	case CTL_UNDECIDED:
		ctl_cat(out, outsz, &len, "accepted from %s; waiting for its "
		    "first bytes", peer);
		break;
	case CTL_CONNECTED:
		ctl_duration_str(r->age_ms, d1, sizeof d1);
		ctl_cat(out, outsz, &len, "connected to %s for %s", peer, d1);
		if (r->last_hb_ms != CTL_UNKNOWN && r->hb_ms > 0 &&
		    r->last_hb_ms > 2 * (uint64_t)r->hb_ms) {
			ctl_duration_str(r->last_hb_ms, d2, sizeof d2);
			ctl_duration_str((uint64_t)r->hb_ms * r->hb_misses, d3,
			    sizeof d3);
			ctl_cat(out, outsz, &len, "; no heartbeat for %s "
			    "(suspends after %s)", d2, d3);
		}
		if (r->reconnects > 0)
			ctl_cat(out, outsz, &len, "; %llu reconnection%s%s%s%s",
			    (unsigned long long)r->reconnects,
			    r->reconnects == 1 ? "" : "s",
			    r->reason[0] ? " (last outage: " : "", r->reason,
			    r->reason[0] ? ")" : "");
		break;
	case CTL_SUSPENDED:
		ctl_duration_str(r->suspended_ms, d1, sizeof d1);
		ctl_cat(out, outsz, &len, "peer %s unreachable for %s", peer, d1);
		if (r->role == CTL_CLIENT) {
			ctl_duration_str(r->retry_ms, d2, sizeof d2);
			ctl_cat(out, outsz, &len, "; retrying every %s", d2);
		} else
			ctl_cat(out, outsz, &len, "; waiting for it to reconnect");
		if (r->giveup_ms == CTL_NEVER)
			ctl_cat(out, outsz, &len, "; never gives up");
		else {
			ctl_duration_str(r->giveup_ms, d3, sizeof d3);
			ctl_cat(out, outsz, &len, "; gives up in %s", d3);
		}
		if (r->fd < 0)
			ctl_cat(out, outsz, &len, "; the program closed it: it "
			    "closes once reconnected");
		if (r->reason[0])
			ctl_cat(out, outsz, &len, " (cause: %s)", r->reason);
		break;
	case CTL_CLOSED:
		ctl_cat(out, outsz, &len, "closed: %s",
		    r->reason[0] ? r->reason : "by the program");
		if (r->err != 0 && r->fd >= 0)
			ctl_cat(out, outsz, &len, "; the program gets %s",
			    ctl_errno_str(r->err));
		break;
	default:
		ctl_cat(out, outsz, &len, "in an unknown state");
	}
}

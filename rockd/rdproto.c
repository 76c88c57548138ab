/*
 * rdproto: encoders and decoders of rockd's destination request.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "rockd/rdproto.h"

int
rdp_put_connect(struct wbuf *b, const struct sockaddr *dst, socklen_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)dst;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)dst;
	size_t mark;
	int r;

	if ((r = wbuf_put_hello(b, RDP_MAGIC, RDP_VERSION, 0)) < 0 ||
	    (r = frame_begin(b, RDP_MSG_CONNECT, &mark)) < 0)
		return r;
	if (dst->sa_family == AF_INET && len >= sizeof *s4) {
		if ((r = wbuf_put_u8(b, 4)) < 0 ||
		    (r = wbuf_put_bytes(b, &s4->sin_addr, 4)) < 0 ||
		    (r = wbuf_put_u16(b, ntohs(s4->sin_port))) < 0)
			return r;
	} else if (dst->sa_family == AF_INET6 && len >= sizeof *s6) {
		if ((r = wbuf_put_u8(b, 6)) < 0 ||
		    (r = wbuf_put_bytes(b, &s6->sin6_addr, 16)) < 0 ||
		    (r = wbuf_put_u16(b, ntohs(s6->sin6_port))) < 0)
			return r;
	} else
		return -EAFNOSUPPORT;
	return frame_end(b, mark);
}

int
rdp_get_connect(const uint8_t *p, size_t n, struct sockaddr_storage *dst,
    socklen_t *dstlen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)dst;
	struct wbuf h, pl;
	uint16_t ver, flags, type, port;
	uint8_t fam;
	int fl, r;

	if (n < WBUF_HELLO_LEN)
		return 0;
	wbuf_view(&h, p, WBUF_HELLO_LEN);
	if (wbuf_get_hello(&h, RDP_MAGIC, &ver, &flags) < 0 || ver != RDP_VERSION ||
	    flags != 0)
		return -EBADMSG;
	fl = frame_parse(p + WBUF_HELLO_LEN, n - WBUF_HELLO_LEN, 1 + 16 + 2,
	    &type, &pl);
	if (fl <= 0)
		return fl;
	if (type != RDP_MSG_CONNECT || wbuf_get_u8(&pl, &fam) < 0)
		return -EBADMSG;
	memset(dst, 0, sizeof *dst);
	if (fam == 4) {
		s4->sin_family = AF_INET;
		if ((r = wbuf_get_bytes(&pl, &s4->sin_addr, 4)) < 0)
			return r;
		*dstlen = sizeof *s4;
	} else if (fam == 6) {
		s6->sin6_family = AF_INET6;
		if ((r = wbuf_get_bytes(&pl, &s6->sin6_addr, 16)) < 0)
			return r;
		*dstlen = sizeof *s6;
	} else
		return -EBADMSG;
	if ((r = wbuf_get_u16(&pl, &port)) < 0)
		return r;
	if (port == 0 || wbuf_avail(&pl) != 0)
		return -EBADMSG;
	if (fam == 4)
		s4->sin_port = htons(port);
	else
		s6->sin6_port = htons(port);
	return WBUF_HELLO_LEN + fl;
}

int
rdp_put_result(struct wbuf *b, uint32_t err, const char *reason)
{
	char cut[RDP_REASON_MAX];
	size_t mark;
	int r;

	/* a reason is at most RDP_REASON_MAX - 1 bytes on the wire */
	snprintf(cut, sizeof cut, "%s", reason != NULL ? reason : "");
	if ((r = frame_begin(b, RDP_MSG_RESULT, &mark)) < 0 ||
	    (r = wbuf_put_u32(b, err)) < 0 || (r = wbuf_put_str(b, cut)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rdp_get_result(const uint8_t *p, size_t n, uint32_t *err, char *reason,
    size_t reasonsz)
{
	struct wbuf pl;
	uint16_t type;
	int fl, r;

	fl = frame_parse(p, n, 4 + 4 + RDP_REASON_MAX - 1, &type, &pl);
	if (fl <= 0)
		return fl;
	if (type != RDP_MSG_RESULT)
		return -EBADMSG;
	if ((r = wbuf_get_u32(&pl, err)) < 0 ||
	    (r = wbuf_get_str(&pl, reason, reasonsz)) < 0)
		return r;
	if (wbuf_avail(&pl) != 0)
		return -EBADMSG;
	return fl;
}

/* ---- relay (rendezvous) mode -------------------------------------------------- */

static int
rdp_put_rv(struct wbuf *b, uint16_t type, const uint8_t tag[RDP_TAG_LEN],
    int with_port, uint16_t port)
{
	size_t mark;
	int r;

	if ((r = wbuf_put_hello(b, RDP_MAGIC, RDP_VERSION, 0)) < 0 ||
	    (r = frame_begin(b, type, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, tag, RDP_TAG_LEN)) < 0 ||
	    (with_port && (r = wbuf_put_u16(b, port)) < 0))
		return r;
	return frame_end(b, mark);
}

int
rdp_put_register(struct wbuf *b, const uint8_t tag[RDP_TAG_LEN], uint16_t port)
{
	return rdp_put_rv(b, RDP_MSG_REGISTER, tag, 1, port);
}

int
rdp_put_lookup(struct wbuf *b, const uint8_t tag[RDP_TAG_LEN])
{
	return rdp_put_rv(b, RDP_MSG_LOOKUP, tag, 0, 0);
}

int
rdp_get_rendezvous(const uint8_t *p, size_t n, uint16_t *type,
    uint8_t tag[RDP_TAG_LEN], uint16_t *port)
{
	struct wbuf h, pl;
	uint16_t ver, flags;
	int fl, r;

	if (n < WBUF_HELLO_LEN)
		return 0;
	wbuf_view(&h, p, WBUF_HELLO_LEN);
	if (wbuf_get_hello(&h, RDP_MAGIC, &ver, &flags) < 0 || ver != RDP_VERSION ||
	    flags != 0)
		return -EBADMSG;
	fl = frame_parse(p + WBUF_HELLO_LEN, n - WBUF_HELLO_LEN, RDP_TAG_LEN + 2,
	    type, &pl);
	if (fl <= 0)
		return fl;
	if ((*type != RDP_MSG_REGISTER && *type != RDP_MSG_LOOKUP) ||
	    (r = wbuf_get_bytes(&pl, tag, RDP_TAG_LEN)) < 0)
		return -EBADMSG;
	*port = 0;
	if (*type == RDP_MSG_REGISTER &&
	    ((r = wbuf_get_u16(&pl, port)) < 0 || *port == 0))
		return -EBADMSG;
	if (wbuf_avail(&pl) != 0)
		return -EBADMSG;
	return WBUF_HELLO_LEN + fl;
}

int
rdp_put_found(struct wbuf *b, const struct sockaddr *sa)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	size_t mark;
	int r;

	if ((r = frame_begin(b, RDP_MSG_FOUND, &mark)) < 0)
		return r;
	if (sa == NULL)
		r = wbuf_put_u8(b, 0);
	else if (sa->sa_family == AF_INET) {
		if ((r = wbuf_put_u8(b, 4)) == 0 &&
		    (r = wbuf_put_bytes(b, &s4->sin_addr, 4)) == 0)
			r = wbuf_put_u16(b, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		if ((r = wbuf_put_u8(b, 6)) == 0 &&
		    (r = wbuf_put_bytes(b, &s6->sin6_addr, 16)) == 0)
			r = wbuf_put_u16(b, ntohs(s6->sin6_port));
	} else
		r = -EAFNOSUPPORT;
	if (r < 0)
		return r;
	return frame_end(b, mark);
}

int
rdp_get_found(const uint8_t *p, size_t n, struct sockaddr_storage *sa,
    socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	struct wbuf pl;
	uint16_t type, port = 0;
	uint8_t fam;
	int fl, r;

	fl = frame_parse(p, n, 1 + 16 + 2, &type, &pl);
	if (fl <= 0)
		return fl;
	if (type != RDP_MSG_FOUND || wbuf_get_u8(&pl, &fam) < 0)
		return -EBADMSG;
	memset(sa, 0, sizeof *sa);
	*len = 0;
	if (fam == 4) {
		s4->sin_family = AF_INET;
		if ((r = wbuf_get_bytes(&pl, &s4->sin_addr, 4)) < 0 ||
		    (r = wbuf_get_u16(&pl, &port)) < 0)
			return r;
		s4->sin_port = htons(port);
		*len = sizeof *s4;
	} else if (fam == 6) {
		s6->sin6_family = AF_INET6;
		if ((r = wbuf_get_bytes(&pl, &s6->sin6_addr, 16)) < 0 ||
		    (r = wbuf_get_u16(&pl, &port)) < 0)
			return r;
		s6->sin6_port = htons(port);
		*len = sizeof *s6;
	} else if (fam != 0)
		return -EBADMSG;
	if (wbuf_avail(&pl) != 0 || (fam != 0 && port == 0))
		return -EBADMSG;
	return fl;
}

/*
 * Fuzz target: guievict/xsession/xproto, the parser guimux runs on both
 * directions of an X connection.  The first byte sets the byte order,
 * BIG-REQUESTS and which extensions are known; the rest is parsed as a
 * client's setup and requests, as a server's setup, and as a server's
 * replies, events and errors.  Every reference must lie inside its message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/xproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_refs(const struct xp_ref *refs, int n, size_t max, size_t len)
{
	int i;

	if (n < 0)
		return;
	for (i = 0; i < n && (size_t)i < max; i++) {
		if ((size_t)refs[i].off + 4 > len)
			abort();
		if (refs[i].kind == 0 || refs[i].kind >= XP_K_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xp_client_setup cs;
	struct xp_setup st;
	struct xp_conn cx;
	struct xp_req rq;
	struct xp_msg m;
	struct xp_ref refs[32], ref;
	const uint8_t *p;
	size_t n, off;
	uint8_t cfg;
	int r, k, i;

	if (size < 1)
		return 0;
	cfg = data[0];
	p = data + 1;
	n = size - 1;
	xp_conn_init(&cx, cfg & 1);
	cx.bigreq = (cfg >> 1) & 1;
	cx.max_msg = 1u << 20;
	if (cfg & 4)
		xp_conn_set_ext(&cx, XP_EXT_SHAPE, 129, 64, 128);
	if (cfg & 8)
		xp_conn_set_ext(&cx, XP_EXT_XFIXES, 138, 87, 140);
	if (cfg & 16)
		xp_conn_set_ext(&cx, XP_EXT_RENDER, 139, 0, 142);
	if (cfg & 32)
		xp_conn_set_ext(&cx, XP_EXT_BIGREQ, 133, 0, 0);

	r = xp_client_setup_parse(p, n, &cs);
	if (r > 0 && ((size_t)r > n || cs.auth_name + cs.auth_name_len > p + n ||
	    cs.auth_data + cs.auth_data_len > p + n))
		abort();
	r = xp_setup_parse(cfg & 1, p, n, &st);
	if (r > 0) {
		if ((size_t)r > n)
			abort();
		xp_setup_free(&st);
	}

	/* client -> server */
	for (off = 0, i = 0; off < n && i < 4096; i++) {
		r = xp_req_next(&cx, p + off, n - off, &rq);
		if (r <= 0)
			break;
		if ((size_t)r > n - off || rq.len != (size_t)r || rq.len < 4)
			abort();
		k = xp_req_refs(&cx, &rq, refs, 32);
		check_refs(refs, k, 32, rq.len);
		off += (size_t)r;
	}
	/* server -> client */
	for (off = 0, i = 0; off < n && i < 4096; i++) {
		r = xp_msg_next(&cx, p + off, n - off, &m);
		if (r <= 0)
			break;
		if ((size_t)r > n - off || m.len != (size_t)r || m.len < 32)
			abort();
		if (m.kind == XP_MSG_EVENT) {
			k = xp_event_refs(&cx, m.p, m.len, refs, 32);
			check_refs(refs, k, 32, m.len);
		} else if (m.kind == XP_MSG_REPLY) {
			/* as the answer to several requests */
			uint8_t major = (uint8_t)(m.p[1] | (i & 1 ? 0x80 : 0));

			k = xp_reply_refs(&cx, major, m.p[2], m.p, m.len, refs, 32);
			check_refs(refs, k, 32, m.len);
			k = xp_reply_refs(&cx, 15, 0, m.p, m.len, refs, 32);
			check_refs(refs, k, 32, m.len);
		} else if (xp_error_ref(&cx, m.p, m.len, &ref) == 1 &&
		    ref.off + 4 > m.len) {
			abort();
		}
		off += (size_t)r;
	}
	return 0;
}

/*
 * execfmt: the decoder of the rocks' state carried across exec (the
 * format is written by exec.c); pure, fuzzed by tests/fuzz/fuzz_rocks_exec.c.
 */
#include <errno.h>
#include <string.h>

#include "librocks/exec.h"

#define EXEC_MAGIC   0x524b4558u   /* "RKEX" */
#define EXEC_VERSION 1
#define EXEC_MAX     (64u << 20)

/* Reads a blob into dst of exactly len bytes at most max. */
static int
exec_get_addr(struct wbuf *b, struct sockaddr_storage *ss, socklen_t *len)
{
	const uint8_t *p;
	size_t n;

	if (wbuf_get_blob(b, &p, &n, sizeof *ss) < 0 || n < sizeof(sa_family_t))
		return -EBADMSG;
	memset(ss, 0, sizeof *ss);
	memcpy(ss, p, n);
	*len = (socklen_t)n;
	return 0;
}

int
rock_exec_decode_one(struct wbuf *pl, struct rock_exec_rock *e)
{
	uint32_t fd, v32;
	uint8_t st, role, nd, u8, nopts;
	uint64_t cap;
	size_t n;
	int i;

	memset(e, 0, sizeof *e);
	if (wbuf_get_u32(pl, &fd) < 0 || fd > (1u << 20) ||
	    wbuf_get_u8(pl, &st) < 0 || st > ROCK_CLOSED ||
	    wbuf_get_u8(pl, &role) < 0 || role > ROCK_SERVER ||
	    wbuf_get_u32(pl, &e->pre_bytes) < 0 ||
	    wbuf_get_u8(pl, &nd) < 0 || nd > 8)
		return -EBADMSG;
	e->fd = (int)fd;
	e->state = st;
	e->role = role;
	e->ndups = nd;
	for (i = 0; i < nd; i++) {
		if (wbuf_get_u32(pl, &v32) < 0 || v32 > (1u << 20))
			return -EBADMSG;
		e->dups[i] = (int)v32;
	}
	if (st == ROCK_UNDECIDED)
		return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
	if (wbuf_get_bytes(pl, e->id, ROCKS_ID_LEN) < 0 ||
	    wbuf_get_bytes(pl, e->k_chal, ROCKS_KEY_LEN) < 0 ||
	    wbuf_get_bytes(pl, e->k_hb, ROCKS_KEY_LEN) < 0 ||
	    exec_get_addr(pl, &e->peer, &e->peerlen) < 0 ||
	    exec_get_addr(pl, &e->local, &e->locallen) < 0 ||
	    exec_get_addr(pl, &e->peer_ctl, &e->peer_ctllen) < 0 ||
	    wbuf_get_u16(pl, &e->peer_ctl_port) < 0 ||
	    wbuf_get_u32(pl, &e->hb_ms) < 0 || e->hb_ms == 0 ||
	    wbuf_get_u32(pl, &e->hb_misses) < 0 || e->hb_misses == 0 ||
	    wbuf_get_u64(pl, &e->hb_seq_tx) < 0 ||
	    wbuf_get_u64(pl, &e->hb_seq_rx) < 0 ||
	    wbuf_get_u64(pl, &e->sent) < 0 ||
	    wbuf_get_u64(pl, &e->rcvd) < 0 ||
	    wbuf_get_u8(pl, &u8) < 0)
		return -EBADMSG;
	e->shut_wr = u8 != 0;
	if (wbuf_get_u8(pl, &u8) < 0 || wbuf_get_u64(pl, &cap) < 0 ||
	    cap == 0 || cap > (1ull << 32) || wbuf_get_u64(pl, &e->ring_from) < 0 ||
	    e->ring_from > e->sent || e->sent - e->ring_from > cap)
		return -EBADMSG;
	e->peer_eof = u8 != 0;
	e->ring_cap = (size_t)cap;
	if (wbuf_get_blob(pl, &e->ring_a, &e->ring_alen, (size_t)cap) < 0 ||
	    wbuf_get_blob(pl, &e->ring_b, &e->ring_blen, (size_t)cap) < 0 ||
	    e->ring_alen + e->ring_blen != e->sent - e->ring_from ||
	    wbuf_get_blob(pl, &e->salv, &e->salv_len, EXEC_MAX) < 0 ||
	    wbuf_get_u8(pl, &nopts) < 0 || nopts > ROCK_MAX_SOCKOPTS)
		return -EBADMSG;
	e->nopts = nopts;
	for (i = 0; i < nopts; i++) {
		const uint8_t *p;

		if (wbuf_get_u32(pl, &v32) < 0)
			return -EBADMSG;
		e->opts[i].level = (int)v32;
		if (wbuf_get_u32(pl, &v32) < 0 ||
		    wbuf_get_blob(pl, &p, &n, sizeof e->opts[i].val) < 0)
			return -EBADMSG;
		e->opts[i].name = (int)v32;
		e->opts[i].len = (socklen_t)n;
		memcpy(e->opts[i].val, p, n);
	}
	return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
}

int
rock_exec_decode(const uint8_t *p, size_t n,
    int (*cb)(const struct rock_exec_rock *, void *), void *arg)
{
	struct rock_exec_rock e;
	struct wbuf b, pl;
	uint16_t ver, flags, type;
	uint32_t count, i;
	int fl, rc;

	wbuf_view(&b, p, n);
	if (wbuf_get_hello(&b, EXEC_MAGIC, &ver, &flags) < 0 ||
	    ver != EXEC_VERSION || wbuf_get_u32(&b, &count) < 0 || count > 4096)
		return -EBADMSG;
	for (i = 0; i < count; i++) {
		fl = frame_parse(wbuf_ptr(&b), wbuf_avail(&b), EXEC_MAX, &type, &pl);
		if (fl <= 0 || type != 1)
			return -EBADMSG;
		(void)wbuf_skip(&b, (size_t)fl);
		if ((rc = rock_exec_decode_one(&pl, &e)) < 0)
			return rc;
		if (cb != NULL && (rc = cb(&e, arg)) < 0)
			return rc;
	}
	return wbuf_avail(&b) == 0 ? (int)count : -EBADMSG;
}


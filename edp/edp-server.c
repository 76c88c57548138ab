/*
 * edp-server: the server side of the enhancement detection protocol.  A
 * server library classifies each accepted connection by what arrives first
 * (end-of-file: a probe; the announcement: an enhanced client; anything
 * else: an ordinary client, untouched, since we only peeked).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "edp/edp.h"

int
edp_server_classify(const struct edp_io *io, int fd)
{
	const uint8_t *ann = edp_announcement();
	uint8_t buf[EDP_ANNOUNCE_LEN];
	ssize_t n;

	if (io == NULL)
		io = &edp_io_libc;
	do
		n = io->recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ?
		    EDP_S_UNDECIDED : -errno;
	if (n == 0)
		return EDP_S_PROBE;
	if (memcmp(buf, ann, (size_t)n) != 0)
		return EDP_S_ORDINARY;
	return n == EDP_ANNOUNCE_LEN ? EDP_S_ENHANCED : EDP_S_UNDECIDED;
}

int
edp_server_answer_probe(const struct edp_io *io, int fd)
{
	if (io == NULL)
		io = &edp_io_libc;
	/* A probe's whole budget is the client's silence timeout: be quick. */
	return edp_send_all(io, fd, edp_announcement(), EDP_ANNOUNCE_LEN,
	    edp_now_ns() + 1000000000ull);
}

static void
edp_server_refuse(const struct edp_io *io, int fd, const char *why,
    uint64_t deadline)
{
	struct wbuf b;
	size_t mark;

	wbuf_init(&b, 0);
	if (wbuf_put_bytes(&b, edp_announcement(), EDP_ANNOUNCE_LEN) == 0 &&
	    wbuf_put_hello(&b, EDP_MAGIC, EDP_VERSION, 0) == 0 &&
	    frame_begin(&b, EDP_MSG_REFUSE, &mark) == 0 &&
	    wbuf_put_str(&b, why) == 0 && frame_end(&b, mark) == 0)
		(void)edp_send_all(io, fd, b.data, b.len, deadline);
	wbuf_free(&b);
}

static int
edp_server_fail(const struct edp_io *io, int fd, struct edp_result *res,
    int err, const char *why, uint64_t deadline, int tell)
{
	snprintf(res->reason, sizeof res->reason, "%s", why);
	log_warn("enhanced client on fd %d: %s; closing it (it falls back)",
	    fd, why);
	if (tell)
		edp_server_refuse(io, fd, why, deadline);
	return err;
}

int
edp_server_negotiate(int fd, const struct edp_config *cfg, uint32_t pre_bytes,
    struct edp_result *res)
{
	const struct edp_io *io = cfg->io ? cfg->io : &edp_io_libc;
	uint8_t ann[EDP_ANNOUNCE_LEN], hdr[WBUF_HELLO_LEN + FRAME_HDR_LEN];
	uint8_t *payload = NULL;
	struct edp_offer offers[EDP_MAX_ENH];
	struct wbuf hb, pl, out;
	uint64_t t0 = edp_now_ns(), deadline;
	uint16_t ver, flags, type;
	uint32_t len;
	size_t noffers, i, j;
	char cause[128];
	int r;

	memset(res, 0, sizeof *res);
	deadline = t0 + (uint64_t)cfg->negotiate_ms * 1000000ull;
	if ((r = edp_recv_exact(io, fd, ann, sizeof ann, deadline)) < 0)
		return edp_server_fail(io, fd, res, r,
		    "announcement cut short", deadline, 0);
	if (memcmp(ann, edp_announcement(), sizeof ann) != 0)
		return edp_server_fail(io, fd, res, -EBADMSG,
		    "not an announcement", deadline, 0);
	/* the hello alone first, so that a wrong one is refused at once */
	if ((r = edp_recv_exact(io, fd, hdr, WBUF_HELLO_LEN, deadline)) < 0)
		return edp_server_fail(io, fd, res, r,
		    "negotiation cut short", deadline, 0);
	wbuf_view(&hb, hdr, WBUF_HELLO_LEN);
	if (wbuf_get_hello(&hb, EDP_MAGIC, &ver, &flags) < 0)
		return edp_server_fail(io, fd, res, -EBADMSG,
		    "bad magic after the announcement", deadline, 1);
	if ((r = edp_recv_exact(io, fd, hdr + WBUF_HELLO_LEN, FRAME_HDR_LEN,
	    deadline)) < 0)
		return edp_server_fail(io, fd, res, r,
		    "negotiation cut short", deadline, 0);
	wbuf_view(&hb, hdr + WBUF_HELLO_LEN, FRAME_HDR_LEN);
	if (ver < 1)
		return edp_server_fail(io, fd, res, -EBADMSG,
		    "EDP version 0 does not exist", deadline, 1);
	if (wbuf_get_u32(&hb, &len) < 0 || wbuf_get_u16(&hb, &type) < 0 ||
	    type != EDP_MSG_NEGOTIATE)
		return edp_server_fail(io, fd, res, -EBADMSG,
		    "expected a NEGOTIATE message", deadline, 1);
	if (len > EDP_MSG_MAX)
		return edp_server_fail(io, fd, res, -EMSGSIZE,
		    "oversized NEGOTIATE message", deadline, 1);
	if ((payload = malloc(len ? len : 1)) == NULL)
		return -ENOMEM;
	if ((r = edp_recv_exact(io, fd, payload, len, deadline)) < 0) {
		free(payload);
		return edp_server_fail(io, fd, res, r,
		    "NEGOTIATE message cut short", deadline, 0);
	}
	wbuf_view(&pl, payload, len);
	r = edp_get_negotiate(&pl, offers, &noffers);
	free(payload);
	if (r < 0)
		return edp_server_fail(io, fd, res, -EBADMSG,
		    "malformed NEGOTIATE message", deadline, 1);

	res->verdict = EDP_ENHANCED;
	res->version = EDP_VERSION;   /* the only one; a later one picks min */
	res->nchosen = edp_choose(offers, noffers, cfg->enh, cfg->nenh,
	    res->chosen);
	wbuf_init(&out, 0);
	if ((r = wbuf_put_bytes(&out, edp_announcement(), EDP_ANNOUNCE_LEN)) < 0 ||
	    (r = wbuf_put_hello(&out, EDP_MAGIC, EDP_VERSION, 0)) < 0 ||
	    (r = edp_put_accept(&out, pre_bytes, res->chosen, res->nchosen)) < 0 ||
	    (r = edp_send_all(io, fd, out.data, out.len, deadline)) < 0) {
		wbuf_free(&out);
		return edp_server_fail(io, fd, res, r,
		    "could not send ACCEPT", deadline, 0);
	}
	wbuf_free(&out);
	res->detect_ns = edp_now_ns() - t0;

	for (i = 0; i < res->nchosen; i++)
		for (j = 0; j < cfg->nenh; j++) {
			if (strcmp(cfg->enh[j].name, res->chosen[i].name) != 0 ||
			    cfg->enh[j].init == NULL)
				continue;
			cause[0] = '\0';
			r = cfg->enh[j].init(fd, 0, res->chosen[i].version,
			    (int)((deadline > edp_now_ns() ?
			    deadline - edp_now_ns() : 0) / 1000000),
			    cfg->enh[j].arg, cause, sizeof cause);
			if (r < 0) {
				snprintf(res->reason, sizeof res->reason,
				    "%s initialization failed: %s",
				    cfg->enh[j].name, cause[0] ? cause : strerror(-r));
				log_warn("fd %d: %s", fd, res->reason);
				return r;
			}
		}
	res->total_ns = edp_now_ns() - t0;
	snprintf(res->reason, sizeof res->reason,
	    "enhanced client: %zu enhancement(s) agreed", res->nchosen);
	log_info("fd %d: %s", fd, res->reason);
	return 0;
}

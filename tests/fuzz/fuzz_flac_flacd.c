/*
 * Fuzz target: flacd's request decoder (flac/daemon/proto.c), which reads
 * what any process of the user sends to the daemon.  The bytes are a
 * stream of frames as flacd reads them; each payload goes to the decoder
 * under its own type and under every request type.  A request it accepts
 * must encode back to the same payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "flac/daemon/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flacd_req req;

static void
fuzz_payload(uint16_t type, const uint8_t *p, size_t n)
{
	char *names[16], *addrs[16];
	struct wbuf in, out;
	uint32_t i;

	wbuf_view(&in, p, n);
	if (flacd_req_decode(type, &in, &req) < 0)
		return;
	wbuf_init(&out, 0);
	switch (type) {
	case FLACD_PULL:
	case FLACD_PUSH:
		if (flacd_enc_xfer(&out, req.session, req.mod, req.psvc,
		    req.ppath, req.ssvc, req.spath, req.vpath) < 0)
			abort();
		break;
	case FLACD_LOAD:
		for (i = 0; i < req.nnames; i++)
			names[i] = req.names[i];
		for (i = 0; i < req.naddrs; i++)
			addrs[i] = req.addrs[i];
		if (flacd_enc_load(&out, req.specname, req.src, req.srclen,
		    names, req.nnames, addrs, req.naddrs) < 0)
			abort();
		break;
	default:
		break;
	}
	if (type != FLACD_LIST && (out.len != n || memcmp(out.data, p, n) != 0))
		abort();
	wbuf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = { FLACD_PULL, FLACD_PUSH, FLACD_LOAD,
	    FLACD_LIST };
	struct wbuf hello, pl;
	uint16_t type;
	size_t i;
	int r;

	wbuf_view(&hello, data, size);
	(void)flacd_dec_hello(&hello);
	while (size > 0) {
		r = frame_parse(data, size, FLACD_MAXFRAME, &type, &pl);
		if (r <= 0)
			break;
		fuzz_payload(type, wbuf_ptr(&pl), wbuf_avail(&pl));
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			fuzz_payload(types[i], wbuf_ptr(&pl), wbuf_avail(&pl));
		data += r;
		size -= (size_t)r;
	}
	return 0;
}

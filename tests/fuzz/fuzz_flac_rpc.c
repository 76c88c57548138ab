/*
 * Fuzz target: flac's rpc protocol decoders (flac/rpc/rpcproto.c), both
 * directions: the input is a stream of frames as a server or a client
 * would read them.  Every request the decoder accepts encodes again to a
 * frame that decodes to the same request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "flac/rpc/rpcproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rpc_req q1, q2;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int n, rounds = 0;

	while (off < size && rounds++ < 64) {
		struct rpc_result res;
		struct wbuf pl, out, pl2;
		uint16_t type, type2;
		uint8_t nonce[RPC_NONCE_LEN], mac[CRYPTO_HMAC_LEN];
		char name[256];
		uint32_t id, i;
		int32_t st;
		int flags;

		n = frame_parse(data + off, size - off, RPC_FRAME_MAX, &type, &pl);
		if (n <= 0)
			break;
		off += (size_t)n;
		switch (type) {
		case RPC_CHALLENGE: case RPC_AUTH: case RPC_AUTH_OK:
			(void)rpc_get_nonce_mac(&pl, nonce, mac,
			    type == RPC_AUTH);
			break;
		case RPC_REPLY:
			if (rpc_get_reply(&pl, &id, &st, &res) == 0 &&
			    res.kind == RPC_R_NAMES)
				for (i = 0; i < res.count; i++)
					if (rpc_get_name(&pl, name,
					    sizeof name) < 0)
						break;
			break;
		default:
			if (rpc_get_req(type, &pl, &q1) < 0)
				break;
			(void)rpc_flags_from_wire(q1.flags, &flags);
			wbuf_init(&out, RPC_FRAME_MAX + 64);
			if (rpc_put_req(&out, &q1) < 0)
				abort();
			if (frame_parse(out.data, out.len, RPC_FRAME_MAX, &type2,
			    &pl2) <= 0 || type2 != type ||
			    rpc_get_req(type2, &pl2, &q2) < 0)
				abort();
			if (q1.id != q2.id || strcmp(q1.path, q2.path) != 0 ||
			    strcmp(q1.path2, q2.path2) != 0 ||
			    q1.count != q2.count || q1.off != q2.off)
				abort();
			wbuf_free(&out);
			break;
		}
	}
	return 0;
}

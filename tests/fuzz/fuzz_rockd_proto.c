/*
 * Fuzz target: rockd's destination request and its answer (rockd/rdproto),
 * the bytes a rock client sends rockd in the general mode and rockd's
 * reply, and the relay's REGISTER, LOOKUP and FOUND.  A decoder may refuse; it may not read out of bounds, and what it
 * accepts must encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "rockd/rdproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage dst;
	socklen_t dl = 0;
	char why[RDP_REASON_MAX];
	uint8_t tag[RDP_TAG_LEN];
	uint16_t type, port;
	uint32_t err;
	struct wbuf b;
	int n;

	log_set_level(-1);
	n = rdp_get_connect(data, size, &dst, &dl);
	if (n > 0) {
		wbuf_init(&b, 0);
		if (rdp_put_connect(&b, (struct sockaddr *)&dst, dl) != 0 ||
		    b.len != (size_t)n || memcmp(b.data, data, b.len) != 0)
			abort();
		wbuf_free(&b);
	}
	n = rdp_get_result(data, size, &err, why, sizeof why);
	if (n > 0 && strlen(why) >= sizeof why)
		abort();
	n = rdp_get_rendezvous(data, size, &type, tag, &port);
	if (n > 0) {
		wbuf_init(&b, 0);
		if ((type == RDP_MSG_REGISTER ? rdp_put_register(&b, tag, port) :
		    rdp_put_lookup(&b, tag)) != 0 || b.len != (size_t)n ||
		    memcmp(b.data, data, b.len) != 0)
			abort();
		wbuf_free(&b);
	}
	n = rdp_get_found(data, size, &dst, &dl);
	if (n > 0) {
		wbuf_init(&b, 0);
		if (rdp_put_found(&b, dl ? (struct sockaddr *)&dst : NULL) != 0 ||
		    b.len != (size_t)n || memcmp(b.data, data, b.len) != 0)
			abort();
		wbuf_free(&b);
	}
	return 0;
}

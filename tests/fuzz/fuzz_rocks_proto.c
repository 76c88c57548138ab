/*
 * Fuzz target: every decoder of rocks messages (INIT, INIT_OK, RECONNECT,
 * CHALLENGE, RESPONSE, RESUMED, and heartbeats with their MAC), fed the
 * same bytes.  A decoder may refuse; it may not read out of bounds, and a
 * heartbeat must never pass under a key it was not made with.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "librocks/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[ROCKS_KEY_LEN] = { 1, 2, 3 };
	struct rocks_init in;
	struct rocks_init_ok ok;
	struct rocks_reconnect rq;
	struct rocks_challenge ch;
	struct rocks_response rs;
	struct rocks_resumed rm;
	struct rocks_hb hb;
	uint8_t id[ROCKS_ID_LEN], pkt[ROCKS_HB_LEN];
	struct wbuf b;

	log_set_level(-1);
	wbuf_view(&b, data, size);
	(void)rocks_get_init(&b, &in);
	wbuf_view(&b, data, size);
	(void)rocks_get_init_ok(&b, &ok);
	wbuf_view(&b, data, size);
	(void)rocks_get_reconnect(&b, &rq);
	wbuf_view(&b, data, size);
	(void)rocks_get_challenge(&b, &ch);
	wbuf_view(&b, data, size);
	(void)rocks_get_response(&b, &rs);
	wbuf_view(&b, data, size);
	(void)rocks_get_resumed(&b, &rm);
	(void)rocks_hb_peek_id(data, size, id);
	if (rocks_hb_decode(data, size, key, &hb) == 0) {
		/* only possible for a heartbeat really made under key */
		if (rocks_hb_encode(&hb, key, pkt) < 0 ||
		    memcmp(pkt, data, ROCKS_HB_LEN) != 0)
			abort();
	}
	return 0;
}

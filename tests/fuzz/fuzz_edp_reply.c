/*
 * Fuzz target: the client's decoding of an enhanced server's reply (bytes
 * before the announcement, hello, ACCEPT or REFUSE) and of NEGOTIATE and
 * ACCEPT payloads on their own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "edp/edp.h"

static const struct edp_enh enh[] = {
	{ .name = "rocks", .vmin = 1, .vmax = 4 },
	{ .name = "kx", .vmin = 1, .vmax = 1 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edp_offer offers[EDP_MAX_ENH];
	struct edp_chosen chosen[EDP_MAX_ENH];
	struct edp_result res;
	struct wbuf b, pl;
	uint8_t *buf;
	uint32_t pre;
	size_t n;
	int r;

	log_set_level(-1);
	memset(&res, 0, sizeof res);
	/* as is, and behind a real announcement so the parser gets past it */
	r = edp_parse_reply(data, size, 4096, enh, 2, &res);
	if (r > 0 && (size_t)r > size)
		abort();
	edp_result_free(&res);
	if ((buf = malloc(size + EDP_ANNOUNCE_LEN)) == NULL)
		return 0;
	n = size > 0 ? data[0] % 8 : 0;      /* a few bytes before it */
	if (n > size)
		n = size;
	memcpy(buf, data, n);
	memcpy(buf + n, edp_announcement(), EDP_ANNOUNCE_LEN);
	memcpy(buf + n + EDP_ANNOUNCE_LEN, data + n, size - n);
	r = edp_parse_reply(buf, size + EDP_ANNOUNCE_LEN, 4096, enh, 2, &res);
	if (r > 0 && ((size_t)r > size + EDP_ANNOUNCE_LEN || res.npre != n))
		abort();
	edp_result_free(&res);
	free(buf);

	wbuf_view(&pl, data, size);
	(void)edp_get_negotiate(&pl, offers, &n);
	if (n > EDP_MAX_ENH)
		abort();
	(void)edp_choose(offers, n, enh, 2, chosen);
	wbuf_view(&b, data, size);
	(void)edp_get_accept(&b, &pre, chosen, &n);
	return 0;
}

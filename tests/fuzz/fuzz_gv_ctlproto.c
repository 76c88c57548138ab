/*
 * Fuzz target: guievict/ctlproto, the control protocol's payload decoders
 * (libguievict.so decodes what any process of the program's owner sends;
 * guievictor decodes what the library answers).  The first byte picks the
 * message; every decoded message is encoded again and decoded to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gvc_status st, st2;
	static struct gvc_cmd c, c2;
	static struct gvc_result r, r2;
	struct gvc_hello h;
	struct wbuf in, out;
	char msg[256];
	int32_t err;

	if (size < 1)
		return 0;
	wbuf_view(&in, data + 1, size - 1);
	wbuf_init(&out, GVC_FRAME_MAX);
	switch (data[0] % 6) {
	case 0:
		gvc_get_hello(&in, &h, data[0] & 0x80);
		break;
	case 1:
		if (gvc_get_status(&in, &st) == 0) {
			if (gvc_put_status(&out, &st) != 0)
				abort();
			wbuf_view(&in, out.data, out.len);
			if (gvc_get_status(&in, &st2) != 0 ||
			    memcmp(&st, &st2, sizeof st) != 0)
				abort();
		}
		break;
	case 2:
		memset(&c, 0, sizeof c);
		if (gvc_get_cmd(&in, &c) == 0) {
			if (gvc_put_cmd(&out, &c) != 0)
				abort();
			wbuf_view(&in, out.data, out.len);
			memset(&c2, 0, sizeof c2);
			if (gvc_get_cmd(&in, &c2) != 0 ||
			    memcmp(&c, &c2, sizeof c) != 0)
				abort();
		}
		break;
	case 3:
		memset(&r, 0, sizeof r);
		if (gvc_get_result(&in, &r) == 0) {
			if (gvc_put_result(&out, &r) != 0)
				abort();
			wbuf_view(&in, out.data, out.len);
			memset(&r2, 0, sizeof r2);
			if (gvc_get_result(&in, &r2) != 0 ||
			    memcmp(&r, &r2, sizeof r) != 0)
				abort();
		}
		break;
	default:
		gvc_get_error(&in, &err, msg, sizeof msg);
		break;
	}
	wbuf_free(&out);
	return 0;
}

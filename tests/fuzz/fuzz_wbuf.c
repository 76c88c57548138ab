/*
 * Fuzz target: the wire codec.  The first byte picks a sequence of gets;
 * frames are parsed from the rest.  Nothing may read out of bounds, and a
 * failed get must leave the position where it was.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/wbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbuf b, pl;
	const uint8_t *p;
	char s[64];
	uint64_t u64;
	uint32_t u32;
	uint16_t u16, ver, fl;
	uint8_t u8, ops;
	size_t n, off;
	int r, i;

	if (size == 0)
		return 0;
	ops = data[0];
	wbuf_view(&b, data + 1, size - 1);
	for (i = 0; i < 16 && wbuf_avail(&b) > 0; i++) {
		off = b.off;
		switch ((ops + i) % 8) {
		case 0: r = wbuf_get_u8(&b, &u8); break;
		case 1: r = wbuf_get_u16(&b, &u16); break;
		case 2: r = wbuf_get_u32(&b, &u32); break;
		case 3: r = wbuf_get_u64(&b, &u64); break;
		case 4: r = wbuf_get_blob(&b, &p, &n, 1024); break;
		case 5: r = wbuf_get_str(&b, s, sizeof s); break;
		case 6: r = wbuf_get_hello(&b, 0x45445031u, &ver, &fl); break;
		default: r = wbuf_skip(&b, ops % 5); break;
		}
		if (r < 0 && b.off != off)
			abort();
		if (b.off > b.len)
			abort();
	}
	for (off = 1; off < size;) {
		r = frame_parse(data + off, size - off, 4096, &u16, &pl);
		if (r <= 0)
			break;
		if ((size_t)r > size - off || pl.len + FRAME_HDR_LEN != (size_t)r)
			abort();
		off += (size_t)r;
	}
	return 0;
}

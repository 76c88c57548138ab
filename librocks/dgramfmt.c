/* dgramfmt: the datagram tunnel's frames (dgram.h). */
#include <errno.h>

#include "librocks/dgram.h"

void
dgram_hdr_put(uint8_t h[DGRAM_HDR], uint32_t len)
{
	h[0] = (uint8_t)(len >> 24);
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
}

int
dgram_hdr_get(const uint8_t h[DGRAM_HDR], uint32_t *len)
{
	uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];

	if (v > DGRAM_MAX)
		return -EBADMSG;
	*len = v;
	return 0;
}

long
dgram_split(const uint8_t *p, size_t n, const uint8_t **dg, uint32_t *len)
{
	uint32_t v;

	if (n < DGRAM_HDR)
		return 0;
	if (dgram_hdr_get(p, &v) < 0)
		return -EBADMSG;
	if (n - DGRAM_HDR < v)
		return 0;
	*dg = p + DGRAM_HDR;
	*len = v;
	return (long)(DGRAM_HDR + v);
}

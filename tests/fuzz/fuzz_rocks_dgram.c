/*
 * Fuzz target: the datagram tunnel's framing, whose bytes come from the
 * peer.  Splits the input into frames as the library reads them: every
 * datagram must lie inside the input, no length may pass DGRAM_MAX, and a
 * refusal must be final.
 */
#include <stdint.h>
#include <stdlib.h>

#include "librocks/dgram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *dg;
	uint32_t len, hl;
	size_t off = 0;
	long n;

	while ((n = dgram_split(data + off, size - off, &dg, &len)) > 0) {
		if (len > DGRAM_MAX || dg != data + off + DGRAM_HDR ||
		    (size_t)n != DGRAM_HDR + len || off + (size_t)n > size)
			abort();
		off += (size_t)n;
	}
	if (n < 0 && (size - off < DGRAM_HDR ||
	    dgram_hdr_get(data + off, &hl) == 0))
		abort();
	return 0;
}

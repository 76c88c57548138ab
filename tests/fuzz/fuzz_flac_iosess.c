/*
 * Fuzz target: the I/O session image decoder (flac/rt/iosess.c), which
 * `flac session import` runs on a file it is given.  The decoder may
 * refuse (with a sentence); it may not read out of bounds or leak, and an
 * image it accepts must encode to the same bytes and decode the same.
 * The checksum would hide the body from the fuzzer, so each input is also
 * tried with its header's checksum made right.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "flac/rt/iosess.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_one(const uint8_t *p, size_t n)
{
	struct iosess s, again;
	char why[512];
	void *img;
	size_t len;

	if (iosess_decode(p, n, &s, why, sizeof why) < 0) {
		if (why[0] == '\0')
			abort();	/* a refusal always says why */
		return;
	}
	if (iosess_encode(&s, &img, &len) < 0)
		abort();
	if (len != n || memcmp(img, p, n) != 0)
		abort();
	if (iosess_decode(img, len, &again, why, sizeof why) < 0 ||
	    again.nfiles != s.nfiles)
		abort();
	iosess_free(&again);
	iosess_free(&s);
	free(img);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	fuzz_one(data, size);
	if (size < IOSESS_HDRLEN)
		return 0;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	crypto_sha256(copy + IOSESS_HDRLEN, size - IOSESS_HDRLEN, copy + 12);
	fuzz_one(copy, size);
	free(copy);
	return 0;
}

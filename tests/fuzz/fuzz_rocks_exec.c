/*
 * Fuzz target: the decoder of the rocks' state carried across exec.  The
 * memfd it reads is named by an environment variable, so its bytes are
 * treated as untrusted: refuse, never read out of bounds, and never accept
 * a ring that does not fit its own capacity.
 */
#include <stdint.h>
#include <stdlib.h>

#include "librocks/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(const struct rock_exec_rock *e, void *arg)
{
	(void)arg;
	if (e->state != ROCK_UNDECIDED &&
	    (e->ring_alen + e->ring_blen > e->ring_cap ||
	    e->sent - e->ring_from != e->ring_alen + e->ring_blen))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)rock_exec_decode(data, size, check, NULL);
	return 0;
}

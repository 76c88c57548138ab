/*
 * Fuzz target: the decoder of flacd's journal entries (files on disk that
 * a crash may have cut or a user may have touched).  What it accepts
 * encodes again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "flac/daemon/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct journal_entry e;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbuf b;

	if (journal_decode(data, size, &e) < 0)
		return 0;
	wbuf_init(&b, 1u << 20);
	if (journal_encode(&e, &b) < 0 || b.len != size ||
	    memcmp(b.data, data, size) != 0)
		abort();
	wbuf_free(&b);
	return 0;
}

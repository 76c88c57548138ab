/*
 * Fuzz target: the guievict window-session file decoder.  Whatever it
 * accepts must encode again, and decoding that must give the same bytes
 * once more (the format has one encoding per session).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "guievict/xsession/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_session *s = NULL, *t = NULL;
	struct wbuf a, b;
	size_t i;

	if (xs_session_decode(data, size, &s) < 0)
		return 0;
	/* touch everything the decoder promised */
	for (i = 0; i < s->nwindows; i++) {
		uint32_t px;

		if (s->windows[i].contents.data != NULL)
			(void)xs_image_uniform(&s->windows[i].contents, &px);
	}
	wbuf_init(&a, XS_FILE_MAX);
	wbuf_init(&b, XS_FILE_MAX);
	if (xs_session_encode(s, &a) < 0)
		abort();
	if (xs_session_decode(a.data, a.len, &t) < 0)
		abort();
	if (xs_session_encode(t, &b) < 0)
		abort();
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	wbuf_free(&a);
	wbuf_free(&b);
	xs_session_free(s);
	xs_session_free(t);
	return 0;
}

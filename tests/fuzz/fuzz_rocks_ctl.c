/*
 * Fuzz target: the rockctl messages (librocks/ctlproto.c).  The bytes are
 * a stream of frames, as rockctl or a process's control socket reads
 * them; each payload goes to every decoder.  A decoder may refuse; it may
 * not read out of bounds, and what it accepts must encode back to the
 * same bytes and read the same again.  Accepted rocks are also put into
 * words, in a roomy and in a tiny buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "librocks/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_rock(struct wbuf *pl)
{
	struct ctl_rock r, again;
	struct wbuf b, pl2;
	uint16_t type;
	char s[512];

	if (ctl_get_rock(pl, &r) < 0)
		return;
	wbuf_init(&b, 0);
	if (ctl_put_rock(&b, &r) < 0)
		abort();
	if (b.len - FRAME_HDR_LEN != pl->len ||
	    memcmp(b.data + FRAME_HDR_LEN, pl->data, pl->len) != 0)
		abort();
	if (frame_parse(b.data, b.len, CTL_REPLY_MAX, &type, &pl2) <= 0 ||
	    type != CTL_MSG_ROCK || ctl_get_rock(&pl2, &again) < 0 ||
	    memcmp(&r, &again, sizeof r) != 0)
		abort();
	wbuf_free(&b);
	ctl_describe(&r, s, sizeof s);
	if (strlen(s) >= sizeof s)
		abort();
	ctl_describe(&r, s, 7);
	if (strlen(s) >= 7)
		abort();
	ctl_addr_str(&r.peer, s, sizeof s);
	ctl_duration_str(r.giveup_ms, s, sizeof s);
	ctl_bytes_str(r.inflight, s, sizeof s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_hello h;
	struct wbuf pl, v;
	uint8_t id[CTL_ID_LEN], trunc;
	char text[CTL_TEXT_MAX];
	uint32_t count, code;
	uint16_t type;
	size_t off = 0;
	int r;

	while (off < size) {
		r = frame_parse(data + off, size - off, CTL_REPLY_MAX, &type, &pl);
		if (r <= 0)
			break;
		off += (size_t)r;
		v = pl;
		(void)ctl_get_hello(&v, &h);
		v = pl;
		(void)ctl_get_list(&v);
		v = pl;
		fuzz_rock(&v);
		v = pl;
		(void)ctl_get_list_end(&v, &count, &trunc);
		v = pl;
		(void)ctl_get_kill(&v, id);
		v = pl;
		(void)ctl_get_result(&v, &code, text, sizeof text);
	}
	return 0;
}

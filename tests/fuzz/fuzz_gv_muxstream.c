/*
 * Fuzz target: guimux's translator (guievict/guimux/xlate.c), the state
 * machine between a program and its X server, fed as libguievict.so feeds
 * it: the program's bytes and the server's bytes in chunks of any size,
 * through the passthrough scanners and the translating paths, with
 * requests of guimux's own injected between them, and (mode bit 4) two
 * of the ids as fonts not opened yet, whose first naming calls back.
 *
 * Input: 4 bytes of set-up (mode, chunk sizes, where to inject), then the
 * program's stream and the server's stream (split by the fifth byte).
 * Checked: nothing reads or writes out of bounds (ASan); request
 * translation keeps lengths; what comes out for the program is whole
 * messages; counts only grow; the carried-over part is always a proper
 * suffix of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/guimux/xlate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t ninj;

static void
fz_injected(void *arg, uint32_t tag, const uint8_t *m, size_t len)
{
	(void)arg;
	(void)tag;
	if (len < 32 || m == NULL)
		abort();
	ninj++;
}

static void
fz_font_needed(void *arg, uint32_t font)
{
	(void)arg;
	if (font != 0x600001 && font != 0x600002)
		abort();		/* only the deferred ones, once each */
}

static void
fz_setup(struct xl *x, uint8_t mode)
{
	xl_init(x);
	x->on_injected = fz_injected;
	if ((mode & 3) == 0)
		return;				/* identity, uncalibrated */
	xl_set_program_range(x, 0x400000, 0x1fffff);
	xl_attach_begin(x, 0x600000, 0x1fffff, 0x40, 0xfff0, 0x7ff0);
	if ((mode & 3) == 1) {
		x->translate = 0;		/* identity, calibrated */
		return;
	}
	xl_map_id(x, 0x400001, 0x600001);
	xl_map_id(x, 0x400002, 0x600002);
	xl_map_id(x, 0x3be, 0x4c1);
	if (mode & 16) {	/* as deferred fonts (guievict's attach) */
		u32map_put(&x->fonts_deferred, 0x600001, 1);
		u32map_put(&x->fonts_deferred, 0x600002, 1);
		x->on_font_needed = fz_font_needed;
	}
	xl_name_atom(x, 300, "WM_PROTOCOLS");
	xl_name_atom(x, 301, "WM_DELETE_WINDOW");
	xl_name_atom(x, 302, "_NET_WM_STATE");
	xl_map_atom(x, 300, 400);
	xl_map_atom(x, 301, 401);
	xl_ext_program(x, "SHAPE", 129, 64, 0);
	xl_ext_server(x, "SHAPE", 130, 70, 0);
	xl_ext_program(x, "XFIXES", 138, 87, 140);
	xl_ext_server(x, "XFIXES", 139, 90, 141);
	xl_ext_program(x, "RENDER", 139, 0, 142);
	xl_ext_server(x, "RENDER", 140, 0, 145);
	xl_ext_program(x, "XKEYBOARD", 135, 85, 137);
	xl_ext_done(x);
}

/* Checks that out[0..n) is whole messages. */
static void
fz_whole(const struct xl *x, const uint8_t *p, size_t n)
{
	struct xp_msg m;
	size_t off = 0;
	int len;

	while (off < n) {
		len = xp_msg_next(&x->scx, p + off, n - off, &m);
		if (len <= 0)
			abort();
		off += (size_t)len;
	}
	if (off != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xl x;
	uint8_t mode, cchunk, schunk, injat, req[8];
	size_t split, clen, slen, off, k, used, out, carry = 0, n;
	uint8_t *cbuf, *sbuf, *hold;
	uint64_t before;
	int whole;

	if (size < 5)
		return 0;
	mode = data[0];
	cchunk = (uint8_t)(data[1] | 1);
	schunk = (uint8_t)(data[2] | 1);
	injat = data[3];
	split = size > 5 ? (size_t)data[4] * (size - 5) / 255 : 0;
	data += 5;
	size -= 5;
	clen = split;
	slen = size - split;
	cbuf = malloc(clen + 1);
	sbuf = malloc(slen + 1);
	hold = malloc(slen + 1);
	if (cbuf == NULL || sbuf == NULL || hold == NULL) {
		free(cbuf);
		free(sbuf);
		free(hold);
		return 0;
	}
	memcpy(cbuf, data, clen);
	memcpy(sbuf, data + clen, slen);
	fz_setup(&x, mode);
	ninj = 0;

	/* program -> server */
	off = 0;
	while (off < clen) {
		k = clen - off < cchunk ? clen - off : cchunk;
		before = x.st.requests;
		if (xl_c2s_passthrough(&x) && !(mode & 4)) {
			xl_c2s_scan(&x, cbuf + off, k);
			off += k;
		} else {
			/* like the library: translate what is whole, keep the rest */
			n = xl_c2s(&x, cbuf + off, clen - off);
			if (n > clen - off)
				abort();
			off += n == 0 ? (clen - off) : n;
		}
		if (x.st.requests < before)
			abort();
		if (injat != 0 && off >= injat && xl_c2s_at_boundary(&x) &&
		    xl_injected_pending(&x) < 4) {
			if (!x.calibrated)
				xl_sentinel_req(&x, req);
			else
				xl_kick_req(&x, req);
			xl_inject(&x, req, 8, x.calibrated ? XL_TAG_KICK :
			    XL_TAG_SENTINEL);
		}
	}

	/* server -> program, through a buffer as the library keeps one */
	off = 0;
	whole = 1;
	carry = 0;		/* bytes held in hold[] */
	while (off < slen) {
		k = slen - off < schunk ? slen - off : schunk;
		if (carry == 0 && xl_s2c_passthrough(&x) && (mode & 8)) {
			xl_s2c_scan(&x, sbuf + off, k);
			off += k;
			whole = xl_s2c_at_boundary(&x);
			continue;
		}
		memcpy(hold + carry, sbuf + off, k);
		n = carry + k;
		off += k;
		out = xl_s2c(&x, hold, n, &used);
		if (used > n || out > used)
			abort();
		if (whole && !x.s_broken)
			fz_whole(&x, hold, out);
		whole = 1;
		memmove(hold, hold + used, n - used);
		carry = n - used;
	}
	xl_free(&x);
	free(cbuf);
	free(sbuf);
	free(hold);
	return 0;
}

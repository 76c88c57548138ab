/*
 * gvx-evgui: checks the EVICT-GUI extension (the Xorg module) against
 * state this program sets itself.  It makes windows, GCs, cursors, RENDER
 * pictures and glyph sets with values other than the defaults, reads them
 * back through the extension (guievict/xsession/evgui.c decodes), and
 * compares every value.  A second connection selects input on a window so
 * that the per-client event mask is checked for a client other than the
 * window's creator.
 *
 *   gvx-evgui [DISPLAY]      exit 0 when every check passed, 1 otherwise,
 *                            2 when the extension is missing
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/render.h>
#include <xcb/xcb.h>

#include "guievict/xsession/evgui-xcb.h"

static int failures, checks;
static xcb_connection_t *c;
static uint8_t major;

static void
expect(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want)
		return;
	failures++;
	printf("MISMATCH %s: got %llu (0x%llx), want %llu (0x%llx)\n", what,
	    (unsigned long long)got, (unsigned long long)got,
	    (unsigned long long)want, (unsigned long long)want);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gvx-evgui: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* With GVX_EVGUI_DUMP=DIR, every reply is also written to DIR as a fuzz
 * seed: its minor opcode, then the reply. */
static void
dump(unsigned minor, const uint8_t *rep, size_t len)
{
	const char *dir = getenv("GVX_EVGUI_DUMP");
	static unsigned n;
	char path[512];
	uint8_t m = (uint8_t)minor;
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/reply-%u-%03u", dir, minor, n++);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(&m, 1, 1, f);
	fwrite(rep, 1, len, f);
	fclose(f);
}

static uint8_t *
call(unsigned minor, const uint32_t *f, unsigned n, size_t *len)
{
	uint8_t *rep;
	int xe;

	rep = evgui_call(c, major, minor, f, n, len, &xe);
	if (rep == NULL)
		die("request %u on 0x%x: X error %d", minor, f[0], xe);
	dump(minor, rep, *len);
	return rep;
}

static void
sync_or_die(xcb_connection_t *conn)
{
	free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
	if (xcb_connection_has_error(conn))
		die("connection broken");
}

/* ---- windows ----------------------------------------------------------- */

static void
check_window(const char *name, xcb_window_t w, uint32_t who,
    const uint32_t want[EVGUI_WIN_NVALUES], const int *which, int nwhich)
{
	struct evgui_window gw;
	uint32_t f[2] = { w, who };
	char err[200], what[80];
	uint8_t *rep;
	size_t len;
	int i;

	rep = call(EVGUI_GET_WINDOW, f, 2, &len);
	if (evgui_decode_window(rep, len, &gw, err, sizeof err) < 0)
		die("GetWindow %s: %s", name, err);
	free(rep);
	for (i = 0; i < nwhich; i++) {
		snprintf(what, sizeof what, "window %s value %d", name, which[i]);
		expect(what, gw.v[which[i]], want[which[i]]);
	}
}

static void
windows(xcb_screen_t *scr, xcb_connection_t *c2)
{
	xcb_window_t w = xcb_generate_id(c), w2 = xcb_generate_id(c);
	xcb_window_t w3 = xcb_generate_id(c);
	xcb_pixmap_t border = xcb_generate_id(c), bg = xcb_generate_id(c);
	xcb_font_t cf = xcb_generate_id(c);
	xcb_cursor_t cur = xcb_generate_id(c);
	uint32_t want[EVGUI_WIN_NVALUES] = { 0 }, vals[16], mask2;
	static const int all[] = {
		EVGUI_WIN_EVENT_MASK, EVGUI_WIN_DONT_PROPAGATE,
		EVGUI_WIN_BG_STATE, EVGUI_WIN_BG_VALUE,
		EVGUI_WIN_BORDER_IS_PIXEL, EVGUI_WIN_BORDER_VALUE,
		EVGUI_WIN_CURSOR, EVGUI_WIN_BIT_GRAVITY, EVGUI_WIN_WIN_GRAVITY,
		EVGUI_WIN_BACKING_STORE, EVGUI_WIN_SAVE_UNDER,
		EVGUI_WIN_OVERRIDE_REDIRECT, EVGUI_WIN_BACKING_PLANES,
		EVGUI_WIN_BACKING_PIXEL, EVGUI_WIN_CLIENT_SELECTS,
	};
	static const int bgonly[] = { EVGUI_WIN_BG_STATE, EVGUI_WIN_BG_VALUE,
		EVGUI_WIN_CURSOR, EVGUI_WIN_EVENT_MASK,
		EVGUI_WIN_CLIENT_SELECTS };
	int n = 0;

	xcb_create_pixmap(c, scr->root_depth, border, scr->root, 8, 8);
	xcb_create_pixmap(c, scr->root_depth, bg, scr->root, 8, 8);
	xcb_open_font(c, cf, 6, "cursor");
	xcb_create_glyph_cursor(c, cur, cf, cf, 150, 151, 0xffff, 0, 0, 0, 0,
	    0xffff);
	vals[n++] = 0x123456;                       /* back pixel */
	vals[n++] = border;                         /* border pixmap */
	vals[n++] = XCB_GRAVITY_STATIC;             /* bit gravity */
	vals[n++] = XCB_GRAVITY_SOUTH_EAST;         /* win gravity */
	vals[n++] = XCB_BACKING_STORE_WHEN_MAPPED;
	vals[n++] = 0x00ff00ff;                     /* backing planes */
	vals[n++] = 0x42;                           /* backing pixel */
	vals[n++] = 1;                              /* override redirect */
	vals[n++] = 1;                              /* save under */
	vals[n++] = XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_KEY_PRESS |
	    XCB_EVENT_MASK_STRUCTURE_NOTIFY;
	vals[n++] = XCB_EVENT_MASK_BUTTON_PRESS;    /* do not propagate */
	vals[n++] = cur;
	xcb_create_window(c, XCB_COPY_FROM_PARENT, w, scr->root, 10, 20, 100,
	    50, 3, XCB_WINDOW_CLASS_INPUT_OUTPUT, XCB_COPY_FROM_PARENT,
	    XCB_CW_BACK_PIXEL | XCB_CW_BORDER_PIXMAP | XCB_CW_BIT_GRAVITY |
	    XCB_CW_WIN_GRAVITY | XCB_CW_BACKING_STORE |
	    XCB_CW_BACKING_PLANES | XCB_CW_BACKING_PIXEL |
	    XCB_CW_OVERRIDE_REDIRECT | XCB_CW_SAVE_UNDER | XCB_CW_EVENT_MASK |
	    XCB_CW_DONT_PROPAGATE | XCB_CW_CURSOR, vals);
	sync_or_die(c);
	mask2 = XCB_EVENT_MASK_POINTER_MOTION | XCB_EVENT_MASK_BUTTON_RELEASE;
	xcb_change_window_attributes(c2, w, XCB_CW_EVENT_MASK, &mask2);
	sync_or_die(c2);

	want[EVGUI_WIN_EVENT_MASK] = vals[9];
	want[EVGUI_WIN_CLIENT_SELECTS] = 1;
	want[EVGUI_WIN_DONT_PROPAGATE] = vals[10];
	want[EVGUI_WIN_BG_STATE] = EVGUI_BG_PIXEL;
	want[EVGUI_WIN_BG_VALUE] = 0x123456;
	want[EVGUI_WIN_BORDER_IS_PIXEL] = 0;
	want[EVGUI_WIN_BORDER_VALUE] = border;
	want[EVGUI_WIN_CURSOR] = cur;
	want[EVGUI_WIN_BIT_GRAVITY] = XCB_GRAVITY_STATIC;
	want[EVGUI_WIN_WIN_GRAVITY] = XCB_GRAVITY_SOUTH_EAST;
	want[EVGUI_WIN_BACKING_STORE] = XCB_BACKING_STORE_WHEN_MAPPED;
	want[EVGUI_WIN_SAVE_UNDER] = 1;
	want[EVGUI_WIN_OVERRIDE_REDIRECT] = 1;
	want[EVGUI_WIN_BACKING_PLANES] = 0x00ff00ff;
	want[EVGUI_WIN_BACKING_PIXEL] = 0x42;
	check_window("creator", w, w, want, all,
	    (int)(sizeof all / sizeof all[0]));

	/* The second client's mask, asked with an id of its own range. */
	want[EVGUI_WIN_EVENT_MASK] = mask2;
	check_window("other client", w, xcb_generate_id(c2), want, all,
	    (int)(sizeof all / sizeof all[0]));

	/* ListSelections for the second client: its selection on w. */
	{
		uint32_t f[1] = { xcb_generate_id(c2) };
		struct evgui_selection *sel;
		unsigned nsel, k, found = 0;
		char err[200];
		uint8_t *rep;
		size_t len;

		rep = call(EVGUI_LIST_SELECTIONS, f, 1, &len);
		if (evgui_decode_selections(rep, len, &sel, &nsel, err,
		    sizeof err) < 0)
			die("ListSelections: %s", err);
		free(rep);
		for (k = 0; k < nsel; k++)
			if (sel[k].window == w && sel[k].mask == mask2)
				found++;
		free(sel);
		expect("selection of the other client on w", found, 1);
		/* the creator's own mask is no "other client" selection */
		f[0] = w;
		rep = call(EVGUI_LIST_SELECTIONS, f, 1, &len);
		if (evgui_decode_selections(rep, len, &sel, &nsel, err,
		    sizeof err) < 0)
			die("ListSelections: %s", err);
		free(rep);
		for (k = found = 0; k < nsel; k++)
			found += sel[k].window == w;
		free(sel);
		expect("no other-client selection of the creator on w", found, 0);
	}

	/* A background pixmap, a cursor inherited (attribute None), no
	 * selection by this client. */
	xcb_create_window(c, XCB_COPY_FROM_PARENT, w2, w, 0, 0, 10, 10, 0,
	    XCB_WINDOW_CLASS_INPUT_OUTPUT, XCB_COPY_FROM_PARENT,
	    XCB_CW_BACK_PIXMAP, &bg);
	memset(want, 0, sizeof want);
	want[EVGUI_WIN_BG_STATE] = EVGUI_BG_PIXMAP;
	want[EVGUI_WIN_BG_VALUE] = bg;
	want[EVGUI_WIN_CLIENT_SELECTS] = 1;     /* the creator's mask, 0 */
	check_window("pixmap background", w2, w2, want, bgonly,
	    (int)(sizeof bgonly / sizeof bgonly[0]));

	vals[0] = XCB_BACK_PIXMAP_PARENT_RELATIVE;
	xcb_create_window(c, XCB_COPY_FROM_PARENT, w3, w, 0, 0, 10, 10, 0,
	    XCB_WINDOW_CLASS_INPUT_OUTPUT, XCB_COPY_FROM_PARENT,
	    XCB_CW_BACK_PIXMAP, vals);
	want[EVGUI_WIN_BG_STATE] = EVGUI_BG_PARENT_RELATIVE;
	want[EVGUI_WIN_BG_VALUE] = 0;
	check_window("parent-relative", w3, w3, want, bgonly,
	    (int)(sizeof bgonly / sizeof bgonly[0]));
}

/* ---- GCs --------------------------------------------------------------- */

static void
gcs(xcb_screen_t *scr)
{
	xcb_pixmap_t d = xcb_generate_id(c), tile = xcb_generate_id(c);
	xcb_pixmap_t stip = xcb_generate_id(c);
	xcb_gcontext_t g = xcb_generate_id(c), g0 = xcb_generate_id(c);
	xcb_font_t font = xcb_generate_id(c);
	static const uint8_t dashes[] = { 3, 1, 4 };
	/* An odd list is kept doubled (the same pattern). */
	static const uint8_t dashes2[] = { 3, 1, 4, 3, 1, 4 };
	static const xcb_rectangle_t clip[] = { { 0, 0, 10, 10 },
		{ 20, 0, 5, 10 } };
	uint32_t v[32], f[1];
	struct evgui_gc gg;
	char err[200];
	uint8_t *rep;
	size_t len;
	int n = 0;

	xcb_create_pixmap(c, scr->root_depth, d, scr->root, 32, 32);
	xcb_create_pixmap(c, scr->root_depth, tile, scr->root, 4, 4);
	xcb_create_pixmap(c, 1, stip, scr->root, 4, 4);
	/* The default GC first: its font is the server's default font, which
	 * no client holds yet (once one opens "fixed", the same font has
	 * that client's XID). */
	xcb_create_gc(c, g0, d, 0, NULL);
	sync_or_die(c);
	f[0] = g0;
	rep = call(EVGUI_GET_GC, f, 1, &len);
	if (evgui_decode_gc(rep, len, &gg, err, sizeof err) < 0)
		die("GetGC default: %s", err);
	free(rep);
	expect("default gc function", gg.v[EVGUI_GC_FUNCTION], XCB_GX_COPY);
	expect("default gc plane mask", gg.v[EVGUI_GC_PLANE_MASK], 0xffffffff);
	expect("default gc foreground", gg.v[EVGUI_GC_FOREGROUND], 0);
	expect("default gc background", gg.v[EVGUI_GC_BACKGROUND], 1);
	expect("default gc tile is pixel", gg.v[EVGUI_GC_TILE_IS_PIXEL], 1);
	expect("default gc stipple", gg.v[EVGUI_GC_STIPPLE], 0);
	expect("default gc font", gg.v[EVGUI_GC_FONT], 0);
	expect("default gc clip", gg.v[EVGUI_GC_CLIP_KIND], EVGUI_CLIP_NONE);
	expect("default gc exposures", gg.v[EVGUI_GC_EXPOSURES], 1);
	expect("default gc dashes", gg.ndashes, 2);
	evgui_gc_free(&gg);

	xcb_open_font(c, font, 5, "fixed");
	v[n++] = XCB_GX_XOR;
	v[n++] = 0x00ffff00;                 /* plane mask */
	v[n++] = 0x112233;                   /* foreground */
	v[n++] = 0x445566;                   /* background */
	v[n++] = 3;                          /* line width */
	v[n++] = XCB_LINE_STYLE_ON_OFF_DASH;
	v[n++] = XCB_CAP_STYLE_ROUND;
	v[n++] = XCB_JOIN_STYLE_BEVEL;
	v[n++] = XCB_FILL_STYLE_OPAQUE_STIPPLED;
	v[n++] = XCB_FILL_RULE_WINDING;
	v[n++] = tile;
	v[n++] = stip;
	v[n++] = 7;                          /* tile/stipple x origin */
	v[n++] = 9;                          /* y origin */
	v[n++] = font;
	v[n++] = XCB_SUBWINDOW_MODE_INCLUDE_INFERIORS;
	v[n++] = 0;                          /* graphics exposures */
	v[n++] = XCB_ARC_MODE_CHORD;
	xcb_create_gc(c, g, d, XCB_GC_FUNCTION | XCB_GC_PLANE_MASK |
	    XCB_GC_FOREGROUND | XCB_GC_BACKGROUND | XCB_GC_LINE_WIDTH |
	    XCB_GC_LINE_STYLE | XCB_GC_CAP_STYLE | XCB_GC_JOIN_STYLE |
	    XCB_GC_FILL_STYLE | XCB_GC_FILL_RULE | XCB_GC_TILE |
	    XCB_GC_STIPPLE | XCB_GC_TILE_STIPPLE_ORIGIN_X |
	    XCB_GC_TILE_STIPPLE_ORIGIN_Y | XCB_GC_FONT |
	    XCB_GC_SUBWINDOW_MODE | XCB_GC_GRAPHICS_EXPOSURES |
	    XCB_GC_ARC_MODE, v);
	xcb_set_dashes(c, g, 2, sizeof dashes, dashes);
	xcb_set_clip_rectangles(c, XCB_CLIP_ORDERING_YX_BANDED, g, 5, 6, 2,
	    clip);
	sync_or_die(c);

	f[0] = g;
	rep = call(EVGUI_GET_GC, f, 1, &len);
	if (evgui_decode_gc(rep, len, &gg, err, sizeof err) < 0)
		die("GetGC: %s", err);
	free(rep);
	expect("gc function", gg.v[EVGUI_GC_FUNCTION], XCB_GX_XOR);
	expect("gc plane mask", gg.v[EVGUI_GC_PLANE_MASK], 0x00ffff00);
	expect("gc foreground", gg.v[EVGUI_GC_FOREGROUND], 0x112233);
	expect("gc background", gg.v[EVGUI_GC_BACKGROUND], 0x445566);
	expect("gc line width", gg.v[EVGUI_GC_LINE_WIDTH], 3);
	expect("gc line style", gg.v[EVGUI_GC_LINE_STYLE],
	    XCB_LINE_STYLE_ON_OFF_DASH);
	expect("gc cap style", gg.v[EVGUI_GC_CAP_STYLE], XCB_CAP_STYLE_ROUND);
	expect("gc join style", gg.v[EVGUI_GC_JOIN_STYLE],
	    XCB_JOIN_STYLE_BEVEL);
	expect("gc fill style", gg.v[EVGUI_GC_FILL_STYLE],
	    XCB_FILL_STYLE_OPAQUE_STIPPLED);
	expect("gc fill rule", gg.v[EVGUI_GC_FILL_RULE], XCB_FILL_RULE_WINDING);
	expect("gc tile is pixel", gg.v[EVGUI_GC_TILE_IS_PIXEL], 0);
	expect("gc tile", gg.v[EVGUI_GC_TILE], tile);
	expect("gc stipple", gg.v[EVGUI_GC_STIPPLE], stip);
	expect("gc ts x", gg.v[EVGUI_GC_TS_X], 7);
	expect("gc ts y", gg.v[EVGUI_GC_TS_Y], 9);
	expect("gc font", gg.v[EVGUI_GC_FONT], font);
	expect("gc subwindow", gg.v[EVGUI_GC_SUBWINDOW_MODE],
	    XCB_SUBWINDOW_MODE_INCLUDE_INFERIORS);
	expect("gc exposures", gg.v[EVGUI_GC_EXPOSURES], 0);
	expect("gc clip x", gg.v[EVGUI_GC_CLIP_X], 5);
	expect("gc clip y", gg.v[EVGUI_GC_CLIP_Y], 6);
	expect("gc clip kind", gg.v[EVGUI_GC_CLIP_KIND], EVGUI_CLIP_RECTS);
	expect("gc dash offset", gg.v[EVGUI_GC_DASH_OFFSET], 2);
	expect("gc arc mode", gg.v[EVGUI_GC_ARC_MODE], XCB_ARC_MODE_CHORD);
	expect("gc depth", gg.v[EVGUI_GC_DEPTH], scr->root_depth);
	expect("gc dashes", gg.ndashes, 6);
	expect("gc dash list", gg.ndashes == 6 &&
	    memcmp(gg.dashes, dashes2, 6) == 0, 1);
	expect("gc clip rects", gg.nrects, 2);
	for (n = 0; n < 2 && (unsigned)n < gg.nrects; n++) {
		expect("gc clip rect x", (uint32_t)gg.rects[n].x,
		    (uint32_t)clip[n].x);
		expect("gc clip rect y", (uint32_t)gg.rects[n].y,
		    (uint32_t)clip[n].y);
		expect("gc clip rect w", gg.rects[n].width, clip[n].width);
		expect("gc clip rect h", gg.rects[n].height, clip[n].height);
	}
	evgui_gc_free(&gg);

}

/* ---- cursors ----------------------------------------------------------- */

/* The 16x16 source and mask of the bitmap cursor, a row per uint16. */
static uint16_t
src_row(int y)
{
	return (uint16_t)(0x8001u | (1u << (y % 16)) | (0x3c0u >> (y & 3)));
}

static uint16_t
mask_row(int y)
{
	return (uint16_t)(src_row(y) | 0x0ff0u | (y & 1 ? 0x1000 : 0));
}

static void
put_bitmap(xcb_pixmap_t p, xcb_gcontext_t g, uint16_t (*row)(int),
    const xcb_setup_t *setup)
{
	uint8_t data[16 * 4];
	int y, x;

	memset(data, 0, sizeof data);
	for (y = 0; y < 16; y++)
		for (x = 0; x < 16; x++) {
			int byte = y * 4 + x / 8, bit;

			if (!(row(y) >> x & 1))
				continue;
			bit = setup->bitmap_format_bit_order ==
			    XCB_IMAGE_ORDER_LSB_FIRST ? x % 8 : 7 - x % 8;
			data[byte] |= (uint8_t)(1u << bit);
		}
	xcb_put_image(c, XCB_IMAGE_FORMAT_XY_BITMAP, p, g, 16, 16, 0, 0, 0, 1,
	    sizeof data, data);
}

static void
check_cursor_reply(const char *name, xcb_cursor_t cur, struct evgui_cursor *gc)
{
	uint32_t f[1] = { cur };
	char err[200], what[80];
	uint8_t *rep;
	size_t len;

	rep = call(EVGUI_GET_CURSOR, f, 1, &len);
	if (evgui_decode_cursor(rep, len, gc, err, sizeof err) < 0)
		die("GetCursor %s: %s", name, err);
	free(rep);
	snprintf(what, sizeof what, "cursor %s decoded", name);
	expect(what, 1, 1);
}

static void
cursors(xcb_screen_t *scr, const xcb_setup_t *setup)
{
	xcb_pixmap_t src = xcb_generate_id(c), msk = xcb_generate_id(c);
	xcb_gcontext_t g = xcb_generate_id(c);
	xcb_cursor_t cur = xcb_generate_id(c);
	struct evgui_cursor gc;
	int y;

	xcb_create_pixmap(c, 1, src, scr->root, 16, 16);
	xcb_create_pixmap(c, 1, msk, scr->root, 16, 16);
	{
		uint32_t fgbg[2] = { 1, 0 };

		xcb_create_gc(c, g, src, XCB_GC_FOREGROUND | XCB_GC_BACKGROUND,
		    fgbg);
	}
	put_bitmap(src, g, src_row, setup);
	put_bitmap(msk, g, mask_row, setup);
	xcb_create_cursor(c, cur, src, msk, 0x1111, 0x2222, 0x3333, 0x4444,
	    0x5555, 0x6666, 3, 4);
	sync_or_die(c);
	check_cursor_reply("bitmap", cur, &gc);
	expect("cursor width", gc.width, 16);
	expect("cursor height", gc.height, 16);
	expect("cursor x hot", gc.xhot, 3);
	expect("cursor y hot", gc.yhot, 4);
	expect("cursor argb", (uint64_t)gc.argb, 0);
	expect("cursor fore red", gc.fore[0], 0x1111);
	expect("cursor fore blue", gc.fore[2], 0x3333);
	expect("cursor back green", gc.back[1], 0x5555);
	for (y = 0; y < 16 && gc.source && gc.mask; y++) {
		/* The server keeps source & mask. */
		expect("cursor source row", gc.source[y],
		    (uint32_t)(src_row(y) & mask_row(y)));
		expect("cursor mask row", gc.mask[y], mask_row(y));
	}
	evgui_cursor_free(&gc);
}

static xcb_render_pictformat_t
find_format(const xcb_render_query_pict_formats_reply_t *pf, uint8_t depth,
    uint16_t alpha_mask, uint16_t red_mask)
{
	xcb_render_pictforminfo_iterator_t it;

	it = xcb_render_query_pict_formats_formats_iterator(pf);
	for (; it.rem; xcb_render_pictforminfo_next(&it))
		if (it.data->type == XCB_RENDER_PICT_TYPE_DIRECT &&
		    it.data->depth == depth &&
		    it.data->direct.alpha_mask == alpha_mask &&
		    it.data->direct.red_mask == red_mask)
			return it.data->id;
	die("no picture format of depth %u", depth);
}

static void
argb_cursor(xcb_screen_t *scr, xcb_render_pictformat_t argb32)
{
	xcb_pixmap_t p = xcb_generate_id(c);
	xcb_gcontext_t g = xcb_generate_id(c);
	xcb_render_picture_t pic = xcb_generate_id(c);
	xcb_cursor_t cur = xcb_generate_id(c);
	struct evgui_cursor gc;
	uint32_t px[8 * 8];
	int i;

	for (i = 0; i < 64; i++)
		px[i] = 0xff000000u | (uint32_t)(i * 0x030507);
	xcb_create_pixmap(c, 32, p, scr->root, 8, 8);
	xcb_create_gc(c, g, p, 0, NULL);
	xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, p, g, 8, 8, 0, 0, 0, 32,
	    sizeof px, (const uint8_t *)px);
	xcb_render_create_picture(c, pic, p, argb32, 0, NULL);
	xcb_render_create_cursor(c, cur, pic, 2, 5);
	sync_or_die(c);
	check_cursor_reply("argb", cur, &gc);
	expect("argb cursor kind", (uint64_t)gc.argb, 1);
	expect("argb cursor hot x", gc.xhot, 2);
	expect("argb cursor hot y", gc.yhot, 5);
	for (i = 0; i < 64 && gc.pixels; i++)
		expect("argb cursor pixel", gc.pixels[i], px[i]);
	evgui_cursor_free(&gc);
}

/* ---- pictures ---------------------------------------------------------- */

static void
get_picture(const char *name, xcb_render_picture_t pic, struct evgui_picture *p)
{
	uint32_t f[1] = { pic };
	char err[200];
	uint8_t *rep;
	size_t len;

	rep = call(EVGUI_GET_PICTURE, f, 1, &len);
	if (evgui_decode_picture(rep, len, p, err, sizeof err) < 0)
		die("GetPicture %s: %s", name, err);
	free(rep);
}

static void
pictures(xcb_screen_t *scr, xcb_render_pictformat_t argb32,
    xcb_render_pictformat_t a8)
{
	xcb_pixmap_t p = xcb_generate_id(c), ap = xcb_generate_id(c);
	xcb_render_picture_t pic = xcb_generate_id(c), alpha = xcb_generate_id(c);
	xcb_render_picture_t solid = xcb_generate_id(c);
	xcb_render_picture_t lin = xcb_generate_id(c), rad = xcb_generate_id(c);
	xcb_render_picture_t con = xcb_generate_id(c);
	static const xcb_rectangle_t clip[] = { { 1, 2, 30, 3 } };
	xcb_render_transform_t t = { 0x10000, 0x2000, 5 << 16, -0x1000,
		0x20000, 0, 0, 0, 0x10000 };
	xcb_render_fixed_t params[] = { 3 << 16, 1 << 16, 0x4000, 0x8000,
		0x4000 };
	xcb_render_fixed_t stops[] = { 0, 0x8000, 0x10000 };
	xcb_render_color_t colors[] = { { 0xffff, 0, 0, 0xffff },
		{ 0, 0xffff, 0, 0x8000 }, { 0, 0, 0xffff, 0xffff } };
	xcb_render_color_t sc = { 0x1234, 0x5678, 0x9abc, 0xdef0 };
	xcb_render_pointfix_t p1 = { 1 << 16, 2 << 16 }, p2 = { 30 << 16,
		40 << 16 };
	struct evgui_picture gp;
	uint32_t v[12];
	static uint32_t pattern[32 * 32];
	int n = 0, i, j;

	xcb_create_pixmap(c, 32, p, scr->root, 32, 32);
	xcb_create_pixmap(c, 8, ap, scr->root, 32, 32);
	{
		xcb_gcontext_t pg = xcb_generate_id(c);

		for (i = 0; i < 32 * 32; i++)
			pattern[i] = 0x01020304u * (uint32_t)(i % 61) ^ 0x80u;
		xcb_create_gc(c, pg, p, 0, NULL);
		xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, p, pg, 32, 32, 0, 0, 0,
		    32, sizeof pattern, (const uint8_t *)pattern);
		xcb_free_gc(c, pg);
	}
	xcb_render_create_picture(c, alpha, ap, a8, 0, NULL);
	v[n++] = XCB_RENDER_REPEAT_REFLECT;
	v[n++] = alpha;                         /* alpha map */
	v[n++] = 2;                             /* alpha x origin */
	v[n++] = 3;                             /* alpha y origin */
	v[n++] = 0;                             /* graphics exposures */
	v[n++] = XCB_SUBWINDOW_MODE_INCLUDE_INFERIORS;
	v[n++] = XCB_RENDER_POLY_EDGE_SMOOTH;
	v[n++] = XCB_RENDER_POLY_MODE_IMPRECISE;
	v[n++] = 1;                             /* component alpha */
	xcb_render_create_picture(c, pic, p, argb32, XCB_RENDER_CP_REPEAT |
	    XCB_RENDER_CP_ALPHA_MAP | XCB_RENDER_CP_ALPHA_X_ORIGIN |
	    XCB_RENDER_CP_ALPHA_Y_ORIGIN | XCB_RENDER_CP_GRAPHICS_EXPOSURE |
	    XCB_RENDER_CP_SUBWINDOW_MODE | XCB_RENDER_CP_POLY_EDGE |
	    XCB_RENDER_CP_POLY_MODE | XCB_RENDER_CP_COMPONENT_ALPHA, v);
	xcb_render_set_picture_clip_rectangles(c, pic, 7, 8, 1, clip);
	xcb_render_set_picture_transform(c, pic, t);
	xcb_render_set_picture_filter(c, pic, 11, "convolution", 5, params);
	xcb_render_create_solid_fill(c, solid, sc);
	xcb_render_create_linear_gradient(c, lin, p1, p2, 3, stops, colors);
	xcb_render_create_radial_gradient(c, rad, p1, p2, 3 << 16, 9 << 16, 3,
	    stops, colors);
	xcb_render_create_conical_gradient(c, con, p2, 45 << 16, 3, stops,
	    colors);
	sync_or_die(c);

	get_picture("drawn", pic, &gp);
	expect("pic drawable", gp.v[EVGUI_PIC_DRAWABLE], p);
	expect("pic format", gp.v[EVGUI_PIC_FORMAT], argb32);
	expect("pic depth", gp.v[EVGUI_PIC_DEPTH], 32);
	expect("pic repeat", gp.v[EVGUI_PIC_REPEAT], XCB_RENDER_REPEAT_REFLECT);
	expect("pic component alpha", gp.v[EVGUI_PIC_COMPONENT_ALPHA], 1);
	expect("pic subwindow", gp.v[EVGUI_PIC_SUBWINDOW_MODE], 1);
	expect("pic exposures", gp.v[EVGUI_PIC_EXPOSURES], 0);
	expect("pic poly edge", gp.v[EVGUI_PIC_POLY_EDGE],
	    XCB_RENDER_POLY_EDGE_SMOOTH);
	expect("pic poly mode", gp.v[EVGUI_PIC_POLY_MODE],
	    XCB_RENDER_POLY_MODE_IMPRECISE);
	expect("pic alpha map", gp.v[EVGUI_PIC_ALPHA_MAP], alpha);
	expect("pic alpha x", gp.v[EVGUI_PIC_ALPHA_X], 2);
	expect("pic alpha y", gp.v[EVGUI_PIC_ALPHA_Y], 3);
	expect("pic clip x", gp.v[EVGUI_PIC_CLIP_X], 7);
	expect("pic clip y", gp.v[EVGUI_PIC_CLIP_Y], 8);
	expect("pic clip kind", gp.v[EVGUI_PIC_CLIP_KIND], EVGUI_CLIP_RECTS);
	expect("pic clip rects", gp.nrects, 1);
	if (gp.nrects == 1) {
		expect("pic clip rect x", (uint32_t)gp.rects[0].x, 1);
		expect("pic clip rect y", (uint32_t)gp.rects[0].y, 2);
		expect("pic clip rect w", gp.rects[0].width, 30);
		expect("pic clip rect h", gp.rects[0].height, 3);
	}
	expect("pic has transform", gp.v[EVGUI_PIC_HAS_TRANSFORM], 1);
	{
		const int32_t *tw = (const int32_t *)&t;

		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++)
				expect("pic transform",
				    gp.v[EVGUI_PIC_TRANSFORM + 3 * i + j],
				    (uint32_t)tw[3 * i + j]);
	}
	expect("pic filter name", strcmp(gp.filter, "convolution") == 0, 1);
	expect("pic filter params", gp.nparams, 5);
	for (i = 0; i < 5 && (unsigned)i < gp.nparams; i++)
		expect("pic filter param", (uint32_t)gp.params[i],
		    (uint32_t)params[i]);
	expect("pic source", gp.v[EVGUI_PIC_SOURCE], EVGUI_SRC_NONE);
	expect("pic width", gp.v[EVGUI_PIC_WIDTH], 32);
	expect("pic height", gp.v[EVGUI_PIC_HEIGHT], 32);
	evgui_picture_free(&gp);

	/* The pixels, also once the pixmap's id is freed (the picture keeps
	 * the pixmap). */
	for (j = 0; j < 2; j++) {
		uint32_t f[1] = { pic };
		struct evgui_image im;
		char err[200];
		uint8_t *rep;
		size_t len;

		if (j == 1) {
			xcb_free_pixmap(c, p);
			sync_or_die(c);
		}
		rep = call(EVGUI_GET_PICTURE_IMAGE, f, 1, &len);
		if (evgui_decode_image(rep, len, &im, err, sizeof err) < 0)
			die("GetPictureImage: %s", err);
		expect("picture image size", im.width * 10000 + im.height,
		    32 * 10000 + 32);
		expect("picture image depth", im.depth, 32);
		expect(j ? "picture image bytes, pixmap freed" :
		    "picture image bytes", im.len == sizeof pattern &&
		    memcmp(im.data, pattern, sizeof pattern) == 0, 1);
		free(rep);
	}
	get_picture("drawn, pixmap freed", pic, &gp);
	expect("pic drawable kept", gp.v[EVGUI_PIC_WIDTH], 32);
	evgui_picture_free(&gp);

	get_picture("solid", solid, &gp);
	expect("solid source", gp.v[EVGUI_PIC_SOURCE], EVGUI_SRC_SOLID);
	expect("solid drawable", gp.v[EVGUI_PIC_DRAWABLE], 0);
	expect("solid alpha", gp.v[EVGUI_PIC_SOURCE_ARGS], sc.alpha);
	expect("solid red", gp.v[EVGUI_PIC_SOURCE_ARGS + 1], sc.red);
	expect("solid green", gp.v[EVGUI_PIC_SOURCE_ARGS + 2], sc.green);
	expect("solid blue", gp.v[EVGUI_PIC_SOURCE_ARGS + 3], sc.blue);
	evgui_picture_free(&gp);

	get_picture("linear", lin, &gp);
	expect("linear source", gp.v[EVGUI_PIC_SOURCE], EVGUI_SRC_LINEAR);
	expect("linear p1.x", gp.v[EVGUI_PIC_SOURCE_ARGS], (uint32_t)p1.x);
	expect("linear p2.y", gp.v[EVGUI_PIC_SOURCE_ARGS + 3], (uint32_t)p2.y);
	expect("linear stops", gp.nstops, 3);
	for (i = 0; i < 3 && (unsigned)i < gp.nstops; i++) {
		expect("linear stop offset", (uint32_t)gp.stops[i].offset,
		    (uint32_t)stops[i]);
		expect("linear stop red", gp.stops[i].red, colors[i].red);
		expect("linear stop alpha", gp.stops[i].alpha, colors[i].alpha);
	}
	evgui_picture_free(&gp);

	get_picture("radial", rad, &gp);
	expect("radial source", gp.v[EVGUI_PIC_SOURCE], EVGUI_SRC_RADIAL);
	expect("radial inner r", gp.v[EVGUI_PIC_SOURCE_ARGS + 2], 3 << 16);
	expect("radial outer x", gp.v[EVGUI_PIC_SOURCE_ARGS + 3],
	    (uint32_t)p2.x);
	expect("radial outer r", gp.v[EVGUI_PIC_SOURCE_ARGS + 5], 9 << 16);
	expect("radial stops", gp.nstops, 3);
	evgui_picture_free(&gp);

	get_picture("conical", con, &gp);
	expect("conical source", gp.v[EVGUI_PIC_SOURCE], EVGUI_SRC_CONICAL);
	expect("conical center x", gp.v[EVGUI_PIC_SOURCE_ARGS], (uint32_t)p2.x);
	expect("conical angle", gp.v[EVGUI_PIC_SOURCE_ARGS + 2], 45 << 16);
	evgui_picture_free(&gp);
}

/* ---- glyph sets -------------------------------------------------------- */

struct want_glyph {
	uint32_t id;
	xcb_render_glyphinfo_t info;
	uint8_t image[64];
	uint32_t len;
};

/* Makes a glyph set of depth 8 or 1, reads it back in pages of two. */
static void
glyphset(xcb_render_pictformat_t fmt, uint32_t depth)
{
	xcb_render_glyphset_t gs = xcb_generate_id(c);
	struct want_glyph w[5];
	uint8_t data[5 * 64];
	uint32_t ids[5], dlen = 0, f[3], seen = 0;
	xcb_render_glyphinfo_t infos[5];
	int i, k, pages = 0;
	char what[80];

	memset(w, 0, sizeof w);
	for (i = 0; i < 5; i++) {
		uint32_t wd = (uint32_t)(3 + i), ht = (uint32_t)(2 + i % 3), y, x;
		uint32_t row = depth == 1 ? 4 : (wd + 3) & ~3u;

		w[i].id = i == 4 ? 70000 : (uint32_t)(65 + i);
		w[i].info.width = (uint16_t)wd;
		w[i].info.height = (uint16_t)ht;
		w[i].info.x = (int16_t)(-i);
		w[i].info.y = (int16_t)(ht - 1);
		w[i].info.x_off = (int16_t)(wd + 1);
		w[i].info.y_off = 0;
		/* AddGlyphs data: rows padded to 32 bits; depth 1 in the
		 * server's bitmap bit order (LSB first here, checked below). */
		for (y = 0; y < ht; y++)
			for (x = 0; x < wd; x++) {
				unsigned on = (x * 7 + y * 3 + (unsigned)i) % 5 < 2;

				if (depth == 1) {
					if (on)
						w[i].image[y * 4 + x / 8] |=
						    (uint8_t)(1u << (x % 8));
				} else {
					w[i].image[y * row + x] = (uint8_t)(on ?
					    0xff : (x * 40 + y * 13 + (unsigned)i));
				}
			}
		w[i].len = row * ht;
		memcpy(data + dlen, w[i].image, w[i].len);
		dlen += w[i].len;
		ids[i] = w[i].id;
		infos[i] = w[i].info;
	}
	xcb_render_create_glyph_set(c, gs, fmt);
	xcb_render_add_glyphs(c, gs, 5, ids, infos, dlen, data);
	sync_or_die(c);

	f[0] = gs;
	f[1] = 0;
	f[2] = 2;
	do {
		struct evgui_glyphs gg;
		char err[200];
		uint8_t *rep;
		size_t len;

		rep = call(EVGUI_LIST_GLYPHS, f, 3, &len);
		if (evgui_decode_glyphs(rep, len, &gg, err, sizeof err) < 0)
			die("ListGlyphs: %s", err);
		free(rep);
		expect("glyphset format", gg.format, fmt);
		expect("glyphset depth", gg.depth, depth);
		expect("glyphset total", gg.total, 5);
		for (k = 0; k < (int)gg.n; k++) {
			const struct evgui_glyph *e = &gg.glyphs[k];

			for (i = 0; i < 5 && w[i].id != e->id; i++)
				;
			snprintf(what, sizeof what, "glyph %u known", e->id);
			expect(what, i < 5, 1);
			if (i == 5)
				continue;
			seen |= 1u << i;
			snprintf(what, sizeof what, "glyph %u", e->id);
			expect(what, e->width, w[i].info.width);
			expect(what, e->height, w[i].info.height);
			expect(what, (uint32_t)e->x, (uint32_t)w[i].info.x);
			expect(what, (uint32_t)e->y, (uint32_t)w[i].info.y);
			expect(what, (uint32_t)e->xoff, (uint32_t)w[i].info.x_off);
			snprintf(what, sizeof what, "glyph %u image", e->id);
			expect(what, e->image_len == w[i].len && e->image &&
			    memcmp(e->image, w[i].image, w[i].len) == 0, 1);
		}
		f[1] = gg.next;
		evgui_glyphs_free(&gg);
		pages++;
	} while (f[1] != 0 && pages < 10);
	{
		uint32_t huge[3] = { gs, 0xffffffffu, 0xffffffffu };
		uint32_t none[3] = { gs, 0, 0 };
		struct evgui_glyphs gg;
		char err[200];
		uint8_t *rep;
		size_t len;
		int xe;

		rep = call(EVGUI_LIST_GLYPHS, huge, 3, &len);
		if (evgui_decode_glyphs(rep, len, &gg, err, sizeof err) < 0)
			die("ListGlyphs past the end: %s", err);
		free(rep);
		expect("glyphs past the end", gg.n, 0);
		expect("next past the end", gg.next, 0);
		evgui_glyphs_free(&gg);
		rep = evgui_call(c, major, EVGUI_LIST_GLYPHS, none, 3, &len, &xe);
		free(rep);
		expect("ListGlyphs of at most 0 is BadValue", rep == NULL &&
		    xe == XCB_VALUE, 1);
	}
	snprintf(what, sizeof what, "glyphs of depth %u all seen", depth);
	expect(what, seen, 0x1f);
	expect("glyph pages", pages >= 3, 1);
}

int
main(int argc, char **argv)
{
	xcb_render_query_pict_formats_reply_t *pf;
	xcb_connection_t *c2;
	const xcb_setup_t *setup;
	xcb_screen_t *scr;
	char err[200];
	int rc;

	c = xcb_connect(argc > 1 ? argv[1] : NULL, NULL);
	c2 = xcb_connect(argc > 1 ? argv[1] : NULL, NULL);
	if (xcb_connection_has_error(c) || xcb_connection_has_error(c2))
		die("cannot connect to the display");
	rc = evgui_present(c, &major, err, sizeof err);
	if (rc < 0)
		die("%s", err);
	if (rc == 0) {
		fprintf(stderr, "gvx-evgui: no %s extension\n", EVGUI_NAME);
		return 2;
	}
	setup = xcb_get_setup(c);
	scr = xcb_setup_roots_iterator(setup).data;
	pf = xcb_render_query_pict_formats_reply(c,
	    xcb_render_query_pict_formats(c), NULL);
	if (pf == NULL)
		die("RENDER QueryPictFormats failed");

	windows(scr, c2);
	gcs(scr);
	cursors(scr, setup);
	argb_cursor(scr, find_format(pf, 32, 0xff, 0xff));
	pictures(scr, find_format(pf, 32, 0xff, 0xff),
	    find_format(pf, 8, 0xff, 0));
	glyphset(find_format(pf, 8, 0xff, 0), 8);
	if (setup->bitmap_format_bit_order == XCB_IMAGE_ORDER_LSB_FIRST)
		glyphset(find_format(pf, 1, 1, 0), 1);
	free(pf);
	xcb_disconnect(c2);
	xcb_disconnect(c);
	printf("gvx-evgui: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

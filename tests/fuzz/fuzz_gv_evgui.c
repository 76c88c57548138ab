/*
 * Fuzz target: the decoders of the EVICT-GUI extension's replies (bytes
 * from an X server).  The first input byte picks the decoder (the minor
 * opcode); the rest is the reply.  Whatever a decoder accepts is read
 * through completely, so that a count that overstates what was allocated
 * shows up under the sanitizer.
 */
#include <stdint.h>
#include <stdlib.h>

#include "guievict/xsession/evgui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

static void
touch_rects(const struct evgui_rect *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sink += (uint32_t)r[i].x + r[i].width;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[200];
	unsigned i, j;

	if (size < 1)
		return 0;
	switch (data[0] % EVGUI_NREQUESTS) {
	case EVGUI_QUERY_VERSION: {
		uint32_t a, b;

		if (evgui_decode_version(data + 1, size - 1, &a, &b, err,
		    sizeof err) == 0)
			sink += a + b;
		break;
	}
	case EVGUI_GET_GC: {
		struct evgui_gc g;

		if (evgui_decode_gc(data + 1, size - 1, &g, err, sizeof err) == 0) {
			touch_rects(g.rects, g.nrects);
			for (i = 0; i < g.ndashes; i++)
				sink += g.dashes[i];
		}
		evgui_gc_free(&g);
		break;
	}
	case EVGUI_GET_WINDOW: {
		struct evgui_window w;

		if (evgui_decode_window(data + 1, size - 1, &w, err,
		    sizeof err) == 0)
			sink += w.v[0];
		break;
	}
	case EVGUI_GET_CURSOR: {
		struct evgui_cursor c;

		if (evgui_decode_cursor(data + 1, size - 1, &c, err,
		    sizeof err) == 0) {
			size_t n = c.argb ? (size_t)c.width * c.height :
			    (size_t)c.words_per_row * c.height;

			for (i = 0; i < n; i++)
				sink += c.argb ? c.pixels[i] :
				    c.source[i] + c.mask[i];
		}
		evgui_cursor_free(&c);
		break;
	}
	case EVGUI_GET_PICTURE: {
		struct evgui_picture p;

		if (evgui_decode_picture(data + 1, size - 1, &p, err,
		    sizeof err) == 0) {
			touch_rects(p.rects, p.nrects);
			for (i = 0; i < p.nparams; i++)
				sink += (uint32_t)p.params[i];
			for (i = 0; i < p.nstops; i++)
				sink += p.stops[i].alpha;
			for (i = 0; p.filter[i]; i++)
				sink += (uint8_t)p.filter[i];
		}
		evgui_picture_free(&p);
		break;
	}
	case EVGUI_LIST_SELECTIONS: {
		struct evgui_selection *sel;
		unsigned n;

		if (evgui_decode_selections(data + 1, size - 1, &sel, &n, err,
		    sizeof err) == 0)
			for (i = 0; i < n; i++)
				sink += sel[i].window + sel[i].mask;
		free(sel);
		break;
	}
	case EVGUI_GET_DBE: {
		struct evgui_dbe d;

		if (evgui_decode_dbe(data + 1, size - 1, &d, err,
		    sizeof err) == 0)
			for (i = 0; i < d.nids; i++)
				sink += d.ids[i];
		evgui_dbe_free(&d);
		break;
	}
	case EVGUI_GET_PICTURE_IMAGE: {
		struct evgui_image im;

		if (evgui_decode_image(data + 1, size - 1, &im, err,
		    sizeof err) == 0)
			for (i = 0; i < im.len; i++)
				sink += im.data[i];
		break;
	}
	case EVGUI_LIST_GLYPHS: {
		struct evgui_glyphs g;

		if (evgui_decode_glyphs(data + 1, size - 1, &g, err,
		    sizeof err) == 0)
			for (i = 0; i < g.n; i++)
				for (j = 0; j < g.glyphs[i].image_len; j++)
					sink += g.glyphs[i].image[j];
		evgui_glyphs_free(&g);
		break;
	}
	}
	return 0;
}

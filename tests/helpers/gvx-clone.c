/*
 * gvx-clone: a test vehicle for guievict/xsession.  Captures the client
 * that owns WINDOW_ID on one display, sends the session through its file
 * format (encode, decode), regenerates it on another display with a
 * connection of its own, paints what each window showed, and stays alive
 * holding the copies (repainting on Expose) until killed.
 *
 * usage: gvx-clone --from DISPLAY --to DISPLAY [--partial] [--no-probes]
 *                  [--save FILE] [--verify] [--once] WINDOW_ID
 *        gvx-clone --list --from DISPLAY WINDOW_ID
 *
 * Prints "captured: ...", "loss: ...", "map KIND OLD NEW", with --verify
 * "verify: ..." lines (the copy captured back from the target and compared
 * with the session through the id map), then "ready".
 * Exit status: 0, 1 usage or I/O, 2 capture refused or failed, 3 regen
 * failed, 4 verify found differences (with --once).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include "common/log.h"
#include "common/wbuf.h"
#include "guievict/xsession/capture.h"
#include "guievict/xsession/regen.h"
#include "guievict/xsession/session.h"

static int verify_diffs;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gvx-clone --from DISPLAY --to DISPLAY [--partial] "
	    "[--no-probes] [--no-contents] [--save FILE] [--verify] [--once] "
	    "WINDOW_ID\n"
	    "       gvx-clone --list --from DISPLAY WINDOW_ID\n");
	exit(1);
}

static xcb_connection_t *
clone_connect(const char *name)
{
	xcb_connection_t *c = xcb_connect(name, NULL);

	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "gvx-clone: cannot connect to %s\n", name);
		exit(1);
	}
	return c;
}

static int
clone_list(xcb_connection_t *c, uint32_t id)
{
	struct xs_resource *res;
	char *cause = NULL;
	uint32_t base, mask;
	size_t n, i;

	if (xs_capture_list(c, id, &base, &mask, &res, &n, &cause) < 0) {
		fprintf(stderr, "gvx-clone: %s\n", cause ? cause : "list failed");
		free(cause);
		return 2;
	}
	printf("client 0x%x mask 0x%x: %zu resources\n", base, mask, n);
	for (i = 0; i < n; i++)
		printf("0x%08x %s\n", res[i].id, res[i].type);
	free(res);
	return 0;
}

static void
clone_summary(const struct xs_session *s)
{
	size_t i;

	printf("captured: client 0x%x: %zu windows, %zu pixmaps, %zu gcs, "
	    "%zu fonts, %zu cursors, %zu colormaps, %zu passive grabs, "
	    "%zu atoms%s\n", s->client_base, s->nwindows, s->npixmaps, s->ngcs,
	    s->nfonts, s->ncursors, s->ncolormaps, s->ngrabs, s->natoms,
	    (s->flags & XS_SF_PARTIAL) ? " (partial)" : "");
	for (i = 0; i < s->nlosses; i++)
		printf("loss: %u %s: %s\n", s->losses[i].count, s->losses[i].type,
		    s->losses[i].what);
	for (i = 0; i < s->nfonts; i++)
		printf("font 0x%x %s\n", s->fonts[i].id,
		    s->fonts[i].name ? s->fonts[i].name : "(unnamed)");
	for (i = 0; i < s->ngrabs; i++)
		printf("grab %s 0x%x detail %u modifiers 0x%x\n",
		    s->grabs[i].key ? "key" : "button", s->grabs[i].window,
		    s->grabs[i].detail, s->grabs[i].modifiers);
}

static int
clone_write(const char *path, const struct wbuf *b)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < b->len) {
		n = write(fd, b->data + off, b->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -errno;
		}
		off += (size_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* The session through the file format and back. */
static struct xs_session *
clone_round_trip(const struct xs_session *s, const char *save)
{
	struct xs_session *back = NULL;
	struct wbuf b;
	int r;

	wbuf_init(&b, XS_FILE_MAX);
	if ((r = xs_session_encode(s, &b)) < 0) {
		fprintf(stderr, "gvx-clone: encode: %s\n", strerror(-r));
		exit(1);
	}
	if (save != NULL && (r = clone_write(save, &b)) < 0) {
		fprintf(stderr, "gvx-clone: %s: %s\n", save, strerror(-r));
		exit(1);
	}
	if ((r = xs_session_decode(b.data, b.len, &back)) < 0) {
		fprintf(stderr, "gvx-clone: decode: %s\n", strerror(-r));
		exit(1);
	}
	printf("session: %zu bytes\n", b.len);
	wbuf_free(&b);
	return back;
}

static void
vdiff(const char *what, uint32_t id, const char *detail)
{
	printf("verify: differs: %s 0x%x: %s\n", what, id, detail);
	verify_diffs++;
}

static void
verify_windows(const struct xs_session *a, const struct xs_session *b,
    const struct xs_idmap *m)
{
	const struct xs_window *wa, *wb;
	size_t i, j, k;
	char d[160];

	for (i = 0; i < a->nwindows; i++) {
		wa = &a->windows[i];
		wb = xs_session_window(b, xs_idmap_get(m, XS_ID_WINDOW, wa->id));
		if (wb == NULL) {
			vdiff("window", wa->id, "missing");
			continue;
		}
		if (wa->x != wb->x || wa->y != wb->y || wa->width != wb->width ||
		    wa->height != wb->height || wa->border_width != wb->border_width) {
			snprintf(d, sizeof d, "geometry %dx%d+%d+%d/%d vs %dx%d+%d+%d/%d",
			    wa->width, wa->height, wa->x, wa->y, wa->border_width,
			    wb->width, wb->height, wb->x, wb->y, wb->border_width);
			vdiff("window", wa->id, d);
		}
		if ((wa->parent == 0) != (wb->parent == 0) ||
		    (wa->parent != 0 && xs_idmap_get(m, XS_ID_WINDOW, wa->parent) !=
		    wb->parent))
			vdiff("window", wa->id, "parent");
		if (wa->cls != wb->cls || wa->depth != wb->depth ||
		    wa->bit_gravity != wb->bit_gravity ||
		    wa->win_gravity != wb->win_gravity ||
		    wa->backing_store != wb->backing_store ||
		    wa->override_redirect != wb->override_redirect ||
		    wa->save_under != wb->save_under ||
		    wa->map_state != wb->map_state ||
		    wa->dont_propagate != wb->dont_propagate)
			vdiff("window", wa->id, "attributes");
		if (wa->event_mask != wb->event_mask) {
			snprintf(d, sizeof d, "event mask 0x%x vs 0x%x", wa->event_mask,
			    wb->event_mask);
			vdiff("window", wa->id, d);
		}
		if (wa->bg_kind == XS_BG_PIXEL && (wb->bg_kind != XS_BG_PIXEL ||
		    wa->bg_pixel != wb->bg_pixel))
			vdiff("window", wa->id, "background");
		if (wa->bg_kind == XS_BG_IMAGE && (wb->bg_kind != XS_BG_IMAGE ||
		    !xs_image_equal(&wa->bg_image, &wb->bg_image)))
			vdiff("window", wa->id, "background image");
		if (wa->border_known && (!wb->border_known ||
		    wa->border_pixel != wb->border_pixel))
			vdiff("window", wa->id, "border");
		if (wa->cursor_known && wb->cursor_known &&
		    (wa->cursor == 0 ? wb->cursor != 0 :
		    xs_idmap_get(m, XS_ID_CURSOR, wa->cursor) != wb->cursor))
			vdiff("window", wa->id, "cursor");
		if (wa->shaped != wb->shaped)
			vdiff("window", wa->id, "shape kinds");
		for (k = 0; k < 3; k++)
			if (wa->nrects[k] != wb->nrects[k] || (wa->nrects[k] > 0 &&
			    memcmp(wa->rects[k], wb->rects[k],
			    wa->nrects[k] * sizeof *wa->rects[k]) != 0))
				vdiff("window", wa->id, "shape rectangles");
		if (wa->contents.data != NULL &&
		    !xs_image_equal(&wa->contents, &wb->contents))
			vdiff("window", wa->id, "contents");
		if (wa->nprops != wb->nprops) {
			snprintf(d, sizeof d, "%u properties vs %u", wa->nprops,
			    wb->nprops);
			vdiff("window", wa->id, d);
			continue;
		}
		for (j = 0; j < wa->nprops; j++) {
			const struct xs_prop *pa = &wa->props[j], *pb = NULL;
			const char *na = xs_session_atom_name(a, pa->name);

			for (k = 0; k < wb->nprops; k++) {
				const char *nb = xs_session_atom_name(b,
				    wb->props[k].name);

				if ((na == NULL) ? wb->props[k].name == pa->name :
				    (nb != NULL && strcmp(na, nb) == 0))
					pb = &wb->props[k];
			}
			if (pb == NULL || pa->format != pb->format ||
			    pa->nitems != pb->nitems ||
			    (pa->format == 8 && memcmp(pa->data, pb->data,
			    pa->nitems) != 0)) {
				snprintf(d, sizeof d, "property %s",
				    na ? na : "(predefined)");
				vdiff("window", wa->id, d);
			}
		}
	}
}

static void
verify(const struct xs_session *a, const char *to, const struct xs_idmap *m)
{
	struct xs_session *b = NULL;
	xcb_connection_t *c = clone_connect(to);
	char *cause = NULL, d[160];
	size_t i, j;
	uint32_t anyw = 0;

	for (i = 0; i < m->n && anyw == 0; i++)
		if (m->v[i].kind == XS_ID_WINDOW)
			anyw = m->v[i].new_id;
	if (xs_capture_flags(c, anyw, XS_CAP_PARTIAL, &b, &cause) < 0) {
		printf("verify: capture of the copy failed: %s\n",
		    cause ? cause : "?");
		verify_diffs++;
		free(cause);
		xcb_disconnect(c);
		return;
	}
	if (a->nwindows != b->nwindows || a->npixmaps != b->npixmaps ||
	    a->ngcs != b->ngcs || a->nfonts != b->nfonts ||
	    a->ncursors != b->ncursors || a->ncolormaps != b->ncolormaps ||
	    a->ngrabs != b->ngrabs) {
		snprintf(d, sizeof d, "counts w/p/g/f/c/m/grab %zu/%zu/%zu/%zu/%zu/"
		    "%zu/%zu vs %zu/%zu/%zu/%zu/%zu/%zu/%zu", a->nwindows,
		    a->npixmaps, a->ngcs, a->nfonts, a->ncursors, a->ncolormaps,
		    a->ngrabs, b->nwindows, b->npixmaps, b->ngcs, b->nfonts,
		    b->ncursors, b->ncolormaps, b->ngrabs);
		vdiff("client", a->client_base, d);
	}
	verify_windows(a, b, m);
	for (i = 0; i < a->npixmaps; i++) {
		uint32_t nid = xs_idmap_get(m, XS_ID_PIXMAP, a->pixmaps[i].id);

		for (j = 0; j < b->npixmaps; j++)
			if (b->pixmaps[j].id == nid)
				break;
		if (j == b->npixmaps || !xs_image_equal(&a->pixmaps[i].image,
		    &b->pixmaps[j].image))
			vdiff("pixmap", a->pixmaps[i].id, "contents");
	}
	for (i = 0; i < a->ngcs; i++) {
		const struct xs_gc *ga = &a->gcs[i], *gb = NULL;
		uint32_t nid = xs_idmap_get(m, XS_ID_GC, ga->id), both;
		int v;

		for (j = 0; j < b->ngcs; j++)
			if (b->gcs[j].id == nid)
				gb = &b->gcs[j];
		if (gb == NULL) {
			vdiff("gc", ga->id, "missing");
			continue;
		}
		both = ga->known & gb->known;
		for (v = 0; v < XS_GC_NVALUES; v++) {
			if ((both & (1u << v)) && v != XS_GC_FONT &&
			    ga->values[v] != gb->values[v]) {
				snprintf(d, sizeof d, "value %d: %u vs %u", v,
				    ga->values[v], gb->values[v]);
				vdiff("gc", ga->id, d);
			}
		}
		if ((ga->font_name == NULL) != (gb->font_name == NULL) ||
		    (ga->font_name != NULL && strcmp(ga->font_name,
		    gb->font_name) != 0))
			vdiff("gc", ga->id, "font");
		if (ga->ndashes != gb->ndashes || (ga->ndashes > 0 &&
		    memcmp(ga->dashes, gb->dashes, ga->ndashes) != 0))
			vdiff("gc", ga->id, "dashes");
		if (!xs_image_equal(&ga->clip, &gb->clip))
			vdiff("gc", ga->id, "clip");
	}
	for (i = 0; i < a->nfonts; i++) {
		uint32_t nid = xs_idmap_get(m, XS_ID_FONT, a->fonts[i].id);

		for (j = 0; j < b->nfonts; j++)
			if (b->fonts[j].id == nid)
				break;
		if (j == b->nfonts || (a->fonts[i].name != NULL &&
		    (b->fonts[j].name == NULL ||
		    strcmp(a->fonts[i].name, b->fonts[j].name) != 0)))
			vdiff("font", a->fonts[i].id, "name");
	}
	for (i = 0; i < a->ncursors; i++) {
		const struct xs_cursor *ca = &a->cursors[i];
		uint32_t nid = xs_idmap_get(m, XS_ID_CURSOR, ca->id);

		if (ca->argb == NULL)
			continue;
		for (j = 0; j < b->ncursors; j++)
			if (b->cursors[j].id == nid)
				break;
		if (j == b->ncursors || b->cursors[j].argb == NULL ||
		    ca->width != b->cursors[j].width ||
		    ca->height != b->cursors[j].height ||
		    ca->xhot != b->cursors[j].xhot ||
		    memcmp(ca->argb, b->cursors[j].argb,
		    (size_t)ca->width * ca->height * 4) != 0)
			vdiff("cursor", ca->id, "image");
	}
	if (verify_diffs == 0)
		printf("verify: ok: %zu windows, %zu pixmaps, %zu gcs, %zu fonts, "
		    "%zu cursors, %zu colormaps, %zu grabs equal\n", a->nwindows,
		    a->npixmaps, a->ngcs, a->nfonts, a->ncursors, a->ncolormaps,
		    a->ngrabs);
	else
		printf("verify: %d differences\n", verify_diffs);
	xs_session_free(b);
	xcb_disconnect(c);
}

static void
paint_all(xcb_connection_t *c, const struct xs_session *s,
    const struct xs_idmap *m)
{
	size_t i;

	for (i = 0; i < s->nwindows; i++)
		if (s->windows[i].contents.data != NULL)
			xs_regen_paint(c, s, m, s->windows[i].id);
	free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
}

static void
hold(xcb_connection_t *c, const struct xs_session *s, const struct xs_idmap *m)
{
	xcb_generic_event_t *ev;
	size_t i;

	while ((ev = xcb_wait_for_event(c)) != NULL) {
		if ((ev->response_type & 0x7f) == XCB_EXPOSE) {
			xcb_expose_event_t *e = (xcb_expose_event_t *)ev;

			for (i = 0; i < m->n; i++)
				if (m->v[i].kind == XS_ID_WINDOW &&
				    m->v[i].new_id == e->window && e->count == 0)
					xs_regen_paint(c, s, m, m->v[i].old_id);
			xcb_flush(c);
		}
		free(ev);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "partial", no_argument, NULL, 'p' },
		{ "no-probes", no_argument, NULL, 'n' },
		{ "no-contents", no_argument, NULL, 'c' },
		{ "save", required_argument, NULL, 's' },
		{ "verify", no_argument, NULL, 'v' },
		{ "once", no_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL, *save = NULL;
	struct xs_session *s, *copy;
	struct xs_idmap map;
	xcb_connection_t *src, *dst;
	char *cause = NULL, *end;
	int ch, flags = 0, doverify = 0, once = 0, list = 0, r;
	unsigned long id;
	double t0, t1;
	size_t i;

	log_init("gvx-clone", EVLOG_INFO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'p': flags |= XS_CAP_PARTIAL; break;
		case 'n': flags |= XS_CAP_NO_PROBES; break;
		case 'c': flags |= XS_CAP_NO_CONTENTS; break;
		case 's': save = optarg; break;
		case 'v': doverify = 1; break;
		case 'o': once = 1; break;
		case 'l': list = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || from == NULL || (!list && to == NULL))
		usage();
	errno = 0;
	id = strtoul(argv[optind], &end, 0);
	if (errno != 0 || *end != '\0' || id == 0 || id > UINT32_MAX)
		usage();
	src = clone_connect(from);
	if (list) {
		r = clone_list(src, (uint32_t)id);
		xcb_disconnect(src);
		return r;
	}
	t0 = now_ms();
	if ((r = xs_capture_flags(src, (uint32_t)id, flags, &s, &cause)) < 0) {
		fprintf(stderr, "gvx-clone: capture of 0x%lx on %s: %s\n", id, from,
		    cause != NULL ? cause : strerror(-r));
		printf("refused: %s\n", cause != NULL ? cause : strerror(-r));
		free(cause);
		xcb_disconnect(src);
		return 2;
	}
	t1 = now_ms();
	xcb_disconnect(src);
	clone_summary(s);
	printf("capture: %.1f ms\n", t1 - t0);
	copy = clone_round_trip(s, save);
	xs_session_free(s);

	dst = clone_connect(to);
	xs_idmap_init(&map);
	t0 = now_ms();
	if ((r = xs_regenerate(dst, copy, &map, &cause)) < 0) {
		fprintf(stderr, "gvx-clone: regenerate on %s: %s\n", to,
		    cause != NULL ? cause : strerror(-r));
		free(cause);
		xs_idmap_free(&map);
		xs_session_free(copy);
		xcb_disconnect(dst);
		return 3;
	}
	printf("regenerate: %.1f ms\n", now_ms() - t0);
	for (i = 0; i < map.n; i++)
		printf("map %s 0x%x 0x%x\n", xs_id_kind_name(map.v[i].kind),
		    map.v[i].old_id, map.v[i].new_id);
	paint_all(dst, copy, &map);
	if (doverify)
		verify(copy, to, &map);
	printf("ready\n");
	if (!once)
		hold(dst, copy, &map);
	xs_idmap_free(&map);
	xs_session_free(copy);
	xcb_disconnect(dst);
	return (once && verify_diffs > 0) ? 4 : 0;
}

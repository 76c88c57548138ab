/*
 * capture: reads the window session of one X client from a stock X server,
 * over a connection of our own (any client may query any resource by id).
 *
 * The client is found with X-Resource (QueryClients, then
 * QueryResourceBytes with the spec {0, 0}: every resource with its type;
 * filtering by type in the request does not work in the server, so all are
 * asked for and sorted here).  Each type has a policy (capture.c's table):
 * captured, derived from other state, tolerated (noted in the losses), or
 * refused.  A refused type makes xs_capture fail with a cause naming the
 * types ("cannot move: 3 PICTURE, 1 GLYPHSET"), unless XS_CAP_PARTIAL is
 * given, in which case it is recorded as a loss and XS_SF_PARTIAL is set.
 *
 * Probes touch the source display briefly (docs/design/guievict-xsession.md
 * says how): a pointer grab to read cursor images and window cursors, a
 * ParentRelative child window to read a window's background, GC copies
 * rendered into our own pixmaps.  XS_CAP_NO_PROBES leaves the display alone
 * and records what would have been probed as unknown.
 */
#ifndef EVICT_GV_CAPTURE_H
#define EVICT_GV_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <xcb/xcb.h>

#include "guievict/xsession/session.h"

#define XS_CAP_PARTIAL      0x1   /* record refused types as losses */
#define XS_CAP_NO_PROBES    0x2   /* no grab, no probe window */
#define XS_CAP_NO_CONTENTS  0x4   /* no window snapshots */

/* One resource as X-Resource reports it. */
struct xs_resource {
	uint32_t id;
	uint32_t type_atom;
	char     type[64];       /* the type atom's name */
};

/*
 * Finds the client owning the resource id (or whose resource base it is) and
 * lists its resources.  *res is malloc'ed.
 */
int xs_capture_list(xcb_connection_t *c, uint32_t client_base_or_window,
    uint32_t *base, uint32_t *mask, struct xs_resource **res, size_t *nres,
    char **cause);

/*
 * Optional: a caller that already knows the XLFD name and geometry of some
 * fonts (or of the font of some GCs) by id, because it made them, saves the
 * QueryFont (whose reply carries every glyph's metrics: 800 KB for an
 * ISO 10646 font) with a hint: fn returns 1 and fills *geom and *name (a
 * malloc'ed copy) when it knows fontable, else 0.  NULL: no hints.  Added
 * for guievict's detach time; process-wide, not thread-safe.
 */
typedef int (*xs_font_hint_fn)(void *arg, uint32_t fontable,
    struct xs_fontgeom *geom, char **name);
void xs_capture_set_font_hint(xs_font_hint_fn fn, void *arg);

/*
 * Optional, likewise: a window's background (what = XS_HINT_BACKGROUND:
 * fill bg_kind, bg_pixel) or border (XS_HINT_BORDER: border_known,
 * border_pixel) known to the caller, who made the window, saves the probes
 * (each reads the whole window with GetImage).  fn gets the window with
 * its id, geometry and attributes filled and returns 1 when it filled the
 * fields, else 0.
 */
#define XS_HINT_BACKGROUND 1
#define XS_HINT_BORDER     2
typedef int (*xs_window_hint_fn)(void *arg, struct xs_window *w, int what);
void xs_capture_set_window_hint(xs_window_hint_fn fn, void *arg);

/*
 * Optional, likewise: the passive grabs of the client, known to a caller
 * that made them and saw every grab request since, save the probes (768
 * GrabButton for xterm's three buttons).  fn adds them to s (with
 * xs_session_add_grab, on windows of s) and returns 1, or returns 0.  They
 * are taken only if as many as the server counts for the client; else
 * they are dropped and probed.
 */
typedef int (*xs_grab_hint_fn)(void *arg, struct xs_session *s);
void xs_capture_set_grab_hint(xs_grab_hint_fn fn, void *arg);

/*
 * Optional, likewise: a GC's depth, values and dashes (not its font, asked
 * of the font hint, nor tile, stipple or clip mask) known to the caller,
 * who made it and followed what the program changed since, save its probes
 * (a CopyGC per depth tried and two 128 KB GetImages).  fn gets g with its
 * id, fills depth, known, values, ndashes and dashes (malloc'ed) and
 * returns 1, or returns 0.
 */
typedef int (*xs_gc_hint_fn)(void *arg, struct xs_gc *g);
void xs_capture_set_gc_hint(xs_gc_hint_fn fn, void *arg);

int xs_capture(xcb_connection_t *c, uint32_t client_base_or_window,
    struct xs_session **out, char **cause);
int xs_capture_flags(xcb_connection_t *c, uint32_t client_base_or_window,
    int flags, struct xs_session **out, char **cause);

#endif

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

int xs_capture(xcb_connection_t *c, uint32_t client_base_or_window,
    struct xs_session **out, char **cause);
int xs_capture_flags(xcb_connection_t *c, uint32_t client_base_or_window,
    int flags, struct xs_session **out, char **cause);

#endif

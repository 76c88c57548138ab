/*
 * regen-render: the RENDER part of a session on a new display (see
 * regen-render.c).
 */
#ifndef EVICT_GV_REGEN_RENDER_H
#define EVICT_GV_REGEN_RENDER_H

#include <stdint.h>
#include <xcb/xcb.h>

#include "guievict/xsession/session.h"

/*
 * Maps the session's picture formats to c's, creates its glyph sets and
 * pictures (drawables through map; the session's root is root), adding
 * every new id to map.  0, or -errno with *cause saying what failed.
 */
int xs_regen_render(xcb_connection_t *c, const struct xs_session *s,
    struct xs_idmap *map, uint32_t root, char **cause);

#endif

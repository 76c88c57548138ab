/*
 * regen-render: the RENDER part of a session on a new display (see
 * regen-render.c).
 */
#ifndef EVICT_GV_REGEN_RENDER_H
#define EVICT_GV_REGEN_RENDER_H

#include <stdint.h>
#include <xcb/xcb.h>

#include "guievict/xsession/session.h"

/* What regen.c lends: putting pixels (in the source's format) into a
 * drawable of the new display. */
struct xs_regen_cb {
	int (*put_image)(void *arg, uint32_t drawable,
	    const struct xs_image *im);
	void *arg;
};

/*
 * Maps the session's picture formats to c's, creates its glyph sets,
 * pictures (drawables through map; the session's root is root) and DBE
 * back buffers, and makes its event selections on the root, adding every
 * new id to map.  0, or -errno with *cause saying what failed.
 */
int xs_regen_render(xcb_connection_t *c, const struct xs_session *s,
    struct xs_idmap *map, uint32_t root, const struct xs_regen_cb *cb,
    char **cause);

#endif

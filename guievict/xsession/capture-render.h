/*
 * capture-render: the RENDER state of a client through the EVICT-GUI Xorg
 * module (see capture-render.c).
 */
#ifndef EVICT_GV_CAPTURE_RENDER_H
#define EVICT_GV_CAPTURE_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <xcb/xcb.h>

#include "guievict/xsession/capture.h"
#include "guievict/xsession/session.h"

/*
 * Fills s->render: the server's picture formats, then every GLYPHSET and
 * PICTURE among res.  owned(arg, id) tells whether a drawable is the
 * client's; a picture on another client's drawable (other than the root)
 * or with another client's alpha map is refused (-EPERM, *cause says
 * which).  0 or -errno.
 */
int xs_capture_render(xcb_connection_t *c, uint8_t major, struct xs_session *s,
    const struct xs_resource *res, size_t nres,
    int (*owned)(void *, uint32_t), void *arg, char **cause);

#endif

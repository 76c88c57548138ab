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

/* What capture.c lends: whether an id is the client's, reading pixels,
 * and the server's image format for a depth. */
struct xs_capture_cb {
	int (*owned)(void *arg, uint32_t id);
	int (*get_image)(void *arg, uint32_t drawable, uint16_t w, uint16_t h,
	    uint8_t depth, struct xs_image *out);
	int (*image_format)(void *arg, uint8_t depth, uint8_t *bpp,
	    uint8_t *pad);
	void *arg;
};

/*
 * Fills s->render: the server's picture formats, then every GLYPHSET,
 * PICTURE and dbeWindow among res, and the client's event selections on
 * other clients' windows (when res has OTHER CLIENT).  A picture on
 * another client's drawable (other than the root) or with another
 * client's alpha map is refused (-EPERM, *cause says which); a picture on
 * a pixmap whose id the client freed carries that pixmap's pixels.  The
 * session's windows must be captured already.  0 or -errno.
 */
int xs_capture_render(xcb_connection_t *c, uint8_t major, struct xs_session *s,
    const struct xs_resource *res, size_t nres,
    const struct xs_capture_cb *cb, char **cause);

#endif

/*
 * evgui-xcb: EVICT-GUI requests through libxcb (the codec is evgui.h).
 */
#ifndef GV_EVGUI_XCB_H
#define GV_EVGUI_XCB_H

#include <stddef.h>
#include <stdint.h>
#include <xcb/xcb.h>

#include "guievict/xsession/evgui.h"

/* The extension's major opcode on c, after checking its version: 1 if the
 * server has it, 0 if not, -1 on a failure (reason in err). */
int evgui_present(xcb_connection_t *c, uint8_t *major, char *err,
    size_t errlen);

/* Sends one request and waits for its reply.  Returns the whole reply
 * (free() it) with its length in *len; NULL on an X error (its code in
 * *xerror) or a broken connection (*xerror 0). */
uint8_t *evgui_call(xcb_connection_t *c, uint8_t major, unsigned minor,
    const uint32_t *fields, unsigned nfields, size_t *len, int *xerror);

#endif

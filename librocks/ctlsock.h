/*
 * ctlsock: what the control thread serves to parties outside the rock
 * machinery: the process's control socket, where rockctl lists and kills
 * rocks (ctlsock.c, docs/protocol/rockctl.md), and the RE-API's
 * notifications, whose callbacks it calls (reapi.c, rocks.h).
 *
 * Locks: reapi's lock is a leaf: it is taken under any rock lock and
 * under the list lock, and nothing is taken under it.
 */
#ifndef EVICT_ROCKS_CTLSOCK_H
#define EVICT_ROCKS_CTLSOCK_H

#include <stdint.h>

#include "librocks/ctlproto.h"

struct evloop;
struct rock;

/*
 * In ctl_start(), before the control thread runs its loop: listens on
 * "@evict-rocks/EUID/PID" and watches the RE-API's notifications.  In a
 * forked child, first drops what it inherited.  A failure is logged once;
 * the process then has rocks without rockctl and callbacks.
 */
void ctlsock_start(struct evloop *loop);

/*
 * Copies what rockctl and rocks_status() show of r.  Never blocks: callable
 * under the list lock (rock_foreach) and from any thread.
 */
void ctlsock_snap(struct rock *r, uint64_t now_ns, struct ctl_rock *out);

/* ---- RE-API (reapi.c) ---------------------------------------------------- */

enum reapi_event {
	REAPI_SUSPEND = 1,      /* rock_suspend(): it just became SUSPENDED */
	REAPI_RESUME = 2,       /* it just became CONNECTED again */
	REAPI_TIMEOUT = 3,      /* its reconnection period ended: CLOSED */
};

/*
 * Tells the RE-API that r changed state.  Any thread, any rock locks held;
 * never blocks.  REAPI_SUSPEND also applies the rock's own reconnection
 * period to r->deadline_ns (so it must come after rock_suspend sets it).
 * The program's callback runs later, in the control thread.
 */
void reapi_notify(struct rock *r, int event);

/*
 * In rock_connect(), right after rock_new(): settings the program made on
 * the socket before connect() (heartbeat, period, callbacks, alternate
 * address) move into r.  init_rocks() must then send r->hb_ms and
 * r->hb_misses in INIT, so that the peer adopts that heartbeat.
 */
void reapi_adopt(struct rock *r);

/* Called by ctlsock_start(): watches the notification queue in loop. */
int  reapi_start(struct evloop *loop);

#endif

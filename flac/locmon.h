/*
 * locmon: the location monitor of a `flac -f` session (docs/design/
 * flac.md, "Location changes").  A process the launcher leaves behind,
 * in the program's network and UTS namespaces: it watches netlink address
 * and link events (common/nlwatch) and the host name, and when the set
 * of addresses or the name changes it compiles the specification again
 * for the new location and publishes the image in the session's shared
 * page (session.h); the runtime of every process of the session takes it
 * on at its next call (flac/rt/reloc.h).  It logs every change at info
 * level, and exits when no process of the session is left (the write end
 * of its pipe, which they all inherit, is closed).
 */
#ifndef FLAC_LOCMON_H
#define FLAC_LOCMON_H

#include <stddef.h>

#include "flac/rt/session.h"

/*
 * Starts the monitor for the session whose image is img[0..len) (the
 * launcher's; its compiled block is generation 0) and whose shared page
 * is shared; env is the environment the launcher compiled for.  The
 * write end of the pipe is left open (not close-on-exec) at
 * shared->loc_hold.  0, or -errno (the session then keeps its first
 * location).
 */
int	locmon_start(const void *img, size_t len, struct session_state *shared,
	    char *const *env);

#endif

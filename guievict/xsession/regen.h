/*
 * regen: recreates a captured window session on another X server with
 * standard requests, new ids from the connection (xcb_generate_id), in
 * dependency order: atoms, visuals, colormaps, pixmaps (with contents),
 * fonts (a missing font is replaced by the server's closest by least
 * squares, fontmatch.h), cursors, GCs, windows parent first with their
 * attributes, then properties, shapes, passive grabs, and last the map
 * state (children before parents; siblings keep their stacking order as
 * they are created bottom to top).
 *
 * Pixel values move unchanged: regeneration refuses a target whose root
 * visual reads pixels differently (class or masks).  Regenerates on the
 * connection's first screen.
 */
#ifndef EVICT_GV_REGEN_H
#define EVICT_GV_REGEN_H

#include <stdint.h>
#include <xcb/xcb.h>

#include "guievict/xsession/session.h"

/*
 * Fills map (initialized by the caller) with every old id -> new id,
 * atoms and visuals included.  On failure, what was created is freed
 * again and *cause says what failed.
 */
int xs_regenerate(xcb_connection_t *c, const struct xs_session *s,
    struct xs_idmap *map, char **cause);
/*
 * Optional: fonts no GC of the session uses may be left for later.  fn
 * gets each such font and returns the id the caller will open it under
 * when the program first names it (the id goes into the map; nothing is
 * sent), or 0 to have it opened now.  Loading a font is the server's
 * slowest step of a regeneration (9 ms for xterm's 360 KB double-width
 * font, which it draws with only for CJK text).  Process-wide, like
 * capture's hints.
 */
typedef uint32_t (*xs_font_defer_fn)(void *arg, const struct xs_font *f);
void xs_regen_set_font_defer(xs_font_defer_fn fn, void *arg);

/* Frees on c every resource map names (windows, pixmaps, GCs, ...). */
void xs_regen_undo(xcb_connection_t *c, const struct xs_idmap *map);
/*
 * Paints what window old_id showed at capture time into its new window
 * (a test vehicle's stand-in for the program redrawing after Expose).
 */
int xs_regen_paint(xcb_connection_t *c, const struct xs_session *s,
    const struct xs_idmap *map, uint32_t old_id);
/*
 * The name of the font of c closest to name/geom (name itself when the
 * server has it); *out is malloc'ed.
 */
int xs_regen_font_name(xcb_connection_t *c, const char *name,
    const struct xs_fontgeom *geom, char **out);

#endif

/*
 * fontmatch: picks the font of a server closest to a font that the server
 * lacks, by least squares over the geometry (ascent, descent, average and
 * largest width), as guievict and HP SharedX did.  Ties go to the candidate
 * whose XLFD name shares more of the wanted name's fields (family, weight,
 * slant, set width, spacing, charset), then to the first.  Pure.
 */
#ifndef EVICT_GV_FONTMATCH_H
#define EVICT_GV_FONTMATCH_H

#include <stddef.h>

#include "guievict/xsession/session.h"

/* Squared distance between two geometries (widths in pixels). */
double xs_font_distance(const struct xs_fontgeom *a,
    const struct xs_fontgeom *b);
/* How many of the compared XLFD fields of a and b are equal (0 if either
 * is not an XLFD name). */
int xs_font_name_affinity(const char *a, const char *b);
/*
 * Index of the best of the n candidates (names may be NULL, or hold NULL
 * entries), or -ENOENT when n is 0.
 */
int xs_font_match(const struct xs_fontgeom *want, const char *want_name,
    const struct xs_fontgeom *cands, const char *const *names, size_t n);

#endif

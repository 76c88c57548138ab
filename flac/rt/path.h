/*
 * path: pure helpers on the paths of a name space and of the real file
 * systems under it.  No I/O; every function works in caller buffers and
 * returns a length or -errno.
 *
 * Paths of the name space ("virtual" paths) are absolute and normalized:
 * no "//", no "." or ".." components, no trailing "/" (except "/" itself).
 * rtpath_norm() is lexical: it takes ".." as "the directory above", which
 * is what the kernel does unless the component before it is a symbolic
 * link; the runtime resolves such prefixes first (vfs.c) when it matters.
 */
#ifndef FLAC_RT_PATH_H
#define FLAC_RT_PATH_H

#include <stddef.h>

#define RT_PATH_MAX	4096

/* Whiteouts in a writable layer: ".wh.NAME" hides NAME of the layers
 * below; ".wh..wh..opq" in a directory hides all the lower layers have
 * under it (an "opaque" directory).  The names of OCI image layers. */
#define RT_WH_PREFIX	".wh."
#define RT_WH_PREFIX_LEN 4
#define RT_WH_OPAQUE	".wh..wh..opq"

/* Normalizes absolute path in into out[sz]; returns the length. */
int	rtpath_norm(const char *in, char *out, size_t sz);
/* base (absolute) joined with rel (relative or absolute), normalized. */
int	rtpath_join(const char *base, const char *rel, char *out, size_t sz);
/* 1 when p has a ".." component. */
int	rtpath_has_dotdot(const char *p);
/* Length of the parent of normalized p: "/a/b" -> 2, "/a" -> 1, "/" -> 1. */
size_t	rtpath_dirlen(const char *p);
/* The last component of normalized p ("" for "/"). */
const char *rtpath_base(const char *p);
/*
 * The trailing components that a and b share, when both are normalized
 * absolute paths: returns how many, and sets *aroot and *broot to the
 * lengths of what comes before them (the roots of the two layers).
 * Identical paths share nothing (they are one tree, not two).
 */
int	rtpath_common_tail(const char *a, const char *b, size_t *aroot,
	    size_t *broot);
/* 1 for names a writable layer keeps for itself (".wh.*"). */
int	rtpath_is_wh(const char *name);
/* dir + "/" + name into out (dir normalized); returns length. */
int	rtpath_child(const char *dir, const char *name, char *out, size_t sz);
/* The path of the whiteout of normalized p (dir/.wh.base). */
int	rtpath_wh(const char *p, char *out, size_t sz);

#endif

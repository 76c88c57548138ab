/*
 * xauth: the X authority guievictor hands to the library for a display it
 * attaches to.  It comes from the user's environment (XAUTHORITY, else
 * ~/.Xauthority), or from a file given with --xauth; nothing else is
 * tried, and access control is never weakened: no entry means the library
 * connects without a cookie, which only a server that wants none accepts.
 * Only MIT-MAGIC-COOKIE-1 is handed over.
 */
#ifndef EVICT_GV_XAUTH_H
#define EVICT_GV_XAUTH_H

#include <stddef.h>
#include <stdint.h>

struct xauth_cookie {
	char	 name[64];
	size_t	 name_len;
	uint8_t	 data[256];
	size_t	 data_len;
};

/*
 * Parses a display name ("host:n.s", ":n", "unix:n"): *local is 1 for a
 * local display, host gets the host part, *number the display number.
 * 0, or -EINVAL.
 */
int	xauth_parse_display(const char *display, int *local, char *host,
	    size_t hostsz, int *number);
/*
 * The cookie for display from file (NULL: XAUTHORITY or ~/.Xauthority).
 * 1 found, 0 no entry, -errno.
 */
int	xauth_lookup(const char *display, const char *file,
	    struct xauth_cookie *out);

#endif

/*
 * cause: the sentence for a person that travels back with an error, as
 * tmux's cause does.  Every inject function writes one before it returns a
 * negative errno.
 */
#ifndef EVICT_GV_CAUSE_H
#define EVICT_GV_CAUSE_H

#include <stddef.h>

/* Writes into cause (when cause is not NULL and len > 0); returns err. */
int	cause_set(char *cause, size_t len, int err, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif

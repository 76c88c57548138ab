/* hook: what the shims in hook-*.c share. */
#ifndef EVICT_ROCKS_HOOK_H
#define EVICT_ROCKS_HOOK_H

#include <poll.h>
#include <signal.h>
#include <time.h>

#include "librocks/real.h"
#include "librocks/rock.h"

#define ROCKS_EXPORT __attribute__((visibility("default")))

/*
 * The rock behind fd, ready for I/O (classified, control thread running
 * in this process), or NULL when fd is to be passed to libc as it is.
 */
struct rock *hook_rock(int fd, int for_write, int flags, int *eagain);

/* glibc's fortified entry points, defined here too (declared only under
 * _FORTIFY_SOURCE in the headers). */
ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *,
    socklen_t *);
int __poll_chk(struct pollfd *, nfds_t, int, size_t);
int __ppoll_chk(struct pollfd *, nfds_t, const struct timespec *,
    const sigset_t *, size_t);

#endif

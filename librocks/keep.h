/* keep: rocks shared across fork, held by a keeper process (see keep.c). */
#ifndef EVICT_ROCKS_KEEP_H
#define EVICT_ROCKS_KEEP_H

#include <stdint.h>
#include <sys/socket.h>

#include "librocks/proto.h"

/* In fork(), before the real one: hands inherited rocks to keepers. */
void keep_before_fork(void);

/*
 * The fds a keeper took answer as the TCP socket: each returns 1 when fd
 * is one (the call's result in *rc, errno set), 0 when it is not.
 */
int  keep_name(int fd, int peer, struct sockaddr *sa, socklen_t *len, int *rc);
int  keep_setsockopt(int fd, int level, int name, const void *val,
    socklen_t len, int *rc);
int  keep_getsockopt(int fd, int level, int name, void *val, socklen_t *len,
    int *rc);
void keep_close(int fd);

/*
 * 1 if this process handed the rock id to a keeper: a reconnection for it
 * that still arrives here fails (and is tried again) rather than being
 * refused, until the peer's next heartbeat from the keeper tells it the
 * keeper's port.
 */
int  keep_handed(const uint8_t id[ROCKS_ID_LEN]);
void keep_dup(int oldfd, int newfd);

#endif

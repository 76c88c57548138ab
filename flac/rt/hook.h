/*
 * hook: what the shims in hook-*.c share.  A shim is a few lines:
 *
 *	if (!hook_enter())
 *		return <the real call>;
 *	return hook_leave(vfs_<call>(...));
 *
 * hook_enter() says whether this call is the runtime's to handle: not
 * when the thread is already inside the runtime (the busy guard), not
 * before a name space is loaded, and not when the name space is plain
 * local() (every call passes straight through then).  hook_leave() ends
 * the call: it frees the thread's work area, and turns a -errno into -1
 * with errno set, keeping the caller's errno on success.
 */
#ifndef FLAC_RT_HOOK_H
#define FLAC_RT_HOOK_H

#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "flac/rt/real.h"
#include "flac/rt/reloc.h"
#include "flac/rt/rt.h"

extern __thread int hook_busy __attribute__((tls_model("initial-exec")));
extern __thread int hook_errno __attribute__((tls_model("initial-exec")));
extern int hook_booted;

/* Loads the name space once (init.c). */
void	hook_boot(void);

/* Takes on a name space the location monitor published (reloc.h): one
 * load when there is none.  The caller is not busy. */
static inline void
hook_relocate(void)
{
	int e;

	if (!reloc_pending())
		return;
	e = errno;
	hook_busy = 1;
	reloc_switch();
	ws_reset();
	hook_busy = 0;
	errno = e;
}

/* 1 when the runtime handles this call (see above). */
static inline int
hook_enter(void)
{
	if (hook_busy)
		return 0;
	if (!__atomic_load_n(&hook_booted, __ATOMIC_ACQUIRE))
		hook_boot();
	if (!rt.active)
		return 0;
	hook_relocate();
	if (rt.identity)
		return 0;
	hook_busy = 1;
	hook_errno = errno;
	return 1;
}

/* Like hook_enter, also for plain local(): exec keeps children inside.
 * (No location check: exec may run in the child of vfork, where the
 * switch's malloc is not safe; the child takes the change on itself.) */
static inline int
hook_enter_always(void)
{
	if (hook_busy)
		return 0;
	if (!__atomic_load_n(&hook_booted, __ATOMIC_ACQUIRE))
		hook_boot();
	if (!rt.active)
		return 0;
	hook_busy = 1;
	hook_errno = errno;
	return 1;
}

/* Makes sure real.* is filled (for shims that pass through). */
static inline void
hook_real(void)
{
	if (!__atomic_load_n(&hook_booted, __ATOMIC_ACQUIRE) && !hook_busy)
		hook_boot();
	else
		real_init();
}

/* 1 for the "" path of an AT_EMPTY_PATH call (a call on the fd itself);
 * not inline, so that a caller's nonnull path is not "compared to NULL". */
int	hook_empty_path(const char *path, int flags);

static inline long
hook_leave(long r)
{
	ws_reset();
	hook_busy = 0;
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	errno = hook_errno;
	return r;
}

/* For calls returning a pointer: NULL with errno from err (> 0). */
static inline void *
hook_leave_ptr(void *p, int err)
{
	ws_reset();
	hook_busy = 0;
	if (p == NULL) {
		errno = err;
		return NULL;
	}
	errno = hook_errno;
	return p;
}

/* glibc's fortified and old-ABI entry points; its headers declare them
 * only under _FORTIFY_SOURCE, or no longer (the __xstat family is kept
 * for binaries built before glibc 2.33, like Debian 12's make). */
int	__open_2(const char *, int);
int	__open64_2(const char *, int);
int	__openat_2(int, const char *, int);
int	__openat64_2(int, const char *, int);
int	__xstat(int, const char *, struct stat *);
int	__xstat64(int, const char *, struct stat64 *);
int	__lxstat(int, const char *, struct stat *);
int	__lxstat64(int, const char *, struct stat64 *);
int	__fxstatat(int, int, const char *, struct stat *, int);
int	__fxstat(int, int, struct stat *);
int	__fxstat64(int, int, struct stat64 *);
int	__fxstatat64(int, int, const char *, struct stat64 *, int);
int	__xmknod(int, const char *, mode_t, dev_t *);
int	__xmknodat(int, int, const char *, mode_t, dev_t *);
char	*__realpath_chk(const char *, char *, size_t);
ssize_t	__readlink_chk(const char *, char *, size_t, size_t);
ssize_t	__readlinkat_chk(int, const char *, char *, size_t, size_t);
char	*__getcwd_chk(char *, size_t, size_t);

#endif

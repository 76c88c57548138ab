/*
 * hook-open: the open family (with glibc's fortified and 64 names),
 * fopen and freopen (glibc opens inside them without a hook, so the
 * public functions are the ones wrapped), the mkstemp family (the same),
 * and what follows a descriptor: close, dup, fcntl's F_DUPFD, close_range.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/daemon/proto.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/hook.h"
#include "flac/rt/vfs.h"

static int
hook_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	if (!hook_enter()) {
		hook_real();
		return real.openat(dirfd, path, flags, mode);
	}
	return (int)hook_leave(vfs_open(dirfd, path, flags, mode));
}

#define HOOK_MODE(flags, mode) do { \
	if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = (mode_t)va_arg(ap, int); \
		va_end(ap); \
	} \
} while (0)

RT_EXPORT int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	HOOK_MODE(flags, mode);
	return hook_openat(AT_FDCWD, path, flags, mode);
}

RT_EXPORT int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	HOOK_MODE(flags, mode);
	return hook_openat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

RT_EXPORT int
__open_2(const char *path, int flags)
{
	return hook_openat(AT_FDCWD, path, flags, 0);
}

RT_EXPORT int
__open64_2(const char *path, int flags)
{
	return hook_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

RT_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	HOOK_MODE(flags, mode);
	return hook_openat(dirfd, path, flags, mode);
}

RT_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	HOOK_MODE(flags, mode);
	return hook_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

RT_EXPORT int
__openat_2(int dirfd, const char *path, int flags)
{
	return hook_openat(dirfd, path, flags, 0);
}

RT_EXPORT int
__openat64_2(int dirfd, const char *path, int flags)
{
	return hook_openat(dirfd, path, flags | O_LARGEFILE, 0);
}

RT_EXPORT int
creat(const char *path, mode_t mode)
{
	return hook_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

RT_EXPORT int
creat64(const char *path, mode_t mode)
{
	return hook_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_LARGEFILE, mode);
}

/* ---- stdio -------------------------------------------------------------- */

/* open(2) flags for an fopen mode; -1 when the mode is bad. */
static int
hook_fmode(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (mode++; *mode != '\0' && *mode != ','; mode++) {
		if (*mode == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*mode == 'x')
			flags |= O_EXCL;
		else if (*mode == 'e')
			flags |= O_CLOEXEC;
	}
	return flags;
}

static FILE *
hook_fopen(const char *path, const char *mode, int large)
{
	FILE *fp;
	int flags, fd, e;

	if (!hook_enter()) {
		hook_real();
		return large ? real.fopen64(path, mode) : real.fopen(path, mode);
	}
	if (path == NULL || mode == NULL || (flags = hook_fmode(mode)) < 0)
		return hook_leave_ptr(NULL, EINVAL);
	if ((fd = vfs_open(AT_FDCWD, path, flags | (large ? O_LARGEFILE : 0),
	    0666)) < 0)
		return hook_leave_ptr(NULL, -fd);
	if ((fp = fdopen(fd, mode)) == NULL) {
		e = errno;
		fdtab_push_free(fdtab_take(fd));
		real.close(fd);
		return hook_leave_ptr(NULL, e);
	}
	return hook_leave_ptr(fp, 0);
}

RT_EXPORT FILE *
fopen(const char *path, const char *mode)
{
	return hook_fopen(path, mode, 0);
}

RT_EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	return hook_fopen(path, mode, 1);
}

static FILE *
hook_freopen(const char *path, const char *mode, FILE *fp, int large)
{
	char proc[64], m[16];
	size_t i, k;
	FILE *r;
	int flags, fd, e;

	if (path == NULL || !hook_enter()) {
		hook_real();
		return large ? real.freopen64(path, mode, fp) :
		    real.freopen(path, mode, fp);
	}
	if (mode == NULL || (flags = hook_fmode(mode)) < 0)
		return hook_leave_ptr(NULL, EINVAL);
	if ((fd = vfs_open(AT_FDCWD, path, flags | (large ? O_LARGEFILE : 0),
	    0666)) < 0) {
		/* freopen(3) closes the stream even when the open fails */
		real.fclose(fp);
		return hook_leave_ptr(NULL, -fd);
	}
	/* the stream takes over the file through /proc (same file, the
	   stream keeps its fd number); the mode minus what open did */
	for (i = 0, k = 0; mode[i] != '\0' && k < sizeof m - 1; i++)
		if (mode[i] != 'x')
			m[k++] = mode[i];
	m[k] = '\0';
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	r = large ? real.freopen64(proc, m, fp) : real.freopen(proc, m, fp);
	e = errno;
	if (r != NULL && fileno(r) != fd)
		fdtab_dup(fd, fileno(r));
	fdtab_push_free(fdtab_take(fd));
	real.close(fd);
	return hook_leave_ptr(r, e);
}

RT_EXPORT FILE *
freopen(const char *path, const char *mode, FILE *fp)
{
	return hook_freopen(path, mode, fp, 0);
}

RT_EXPORT FILE *
freopen64(const char *path, const char *mode, FILE *fp)
{
	return hook_freopen(path, mode, fp, 1);
}

/* ---- temporary files ----------------------------------------------------- */

static const char hook_letters[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/* Fills the XXXXXX of tmpl (before suffixlen bytes); -EINVAL if none. */
static int
hook_tmpname(char *tmpl, int suffixlen)
{
	unsigned char rnd[6];
	size_t len = strlen(tmpl), i;
	char *x;

	if (suffixlen < 0 || len < 6 + (size_t)suffixlen)
		return -EINVAL;
	x = tmpl + len - suffixlen - 6;
	if (memcmp(x, "XXXXXX", 6) != 0)
		return -EINVAL;
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		for (i = 0; i < sizeof rnd; i++)
			rnd[i] = (unsigned char)random();
	for (i = 0; i < 6; i++)
		x[i] = hook_letters[rnd[i] % (sizeof hook_letters - 1)];
	return 0;
}

static int
hook_mkstemp(char *tmpl, int suffixlen, int flags)
{
	char *x, save[6];
	int tries, r;

	if (!hook_enter()) {
		hook_real();
		return real.mkostemps64(tmpl, suffixlen, flags);
	}
	if (strlen(tmpl) < 6 + (size_t)(suffixlen < 0 ? 0 : suffixlen))
		return (int)hook_leave(-EINVAL);
	x = tmpl + strlen(tmpl) - suffixlen - 6;
	memcpy(save, x, 6);
	for (tries = 0; tries < 1000; tries++) {
		if ((r = hook_tmpname(tmpl, suffixlen)) < 0)
			break;
		r = vfs_open(AT_FDCWD, tmpl, O_RDWR | O_CREAT | O_EXCL |
		    (flags & ~O_ACCMODE), 0600);
		if (r != -EEXIST)
			break;
		ws_reset();
	}
	if (r < 0 && r != -EINVAL)
		memcpy(x, save, 6);
	return (int)hook_leave(r);
}

RT_EXPORT int
mkstemp(char *tmpl)
{
	return hook_mkstemp(tmpl, 0, 0);
}

RT_EXPORT int
mkstemp64(char *tmpl)
{
	return hook_mkstemp(tmpl, 0, O_LARGEFILE);
}

RT_EXPORT int
mkostemp(char *tmpl, int flags)
{
	return hook_mkstemp(tmpl, 0, flags);
}

RT_EXPORT int
mkostemp64(char *tmpl, int flags)
{
	return hook_mkstemp(tmpl, 0, flags | O_LARGEFILE);
}

RT_EXPORT int
mkstemps(char *tmpl, int suffixlen)
{
	return hook_mkstemp(tmpl, suffixlen, 0);
}

RT_EXPORT int
mkstemps64(char *tmpl, int suffixlen)
{
	return hook_mkstemp(tmpl, suffixlen, O_LARGEFILE);
}

RT_EXPORT int
mkostemps(char *tmpl, int suffixlen, int flags)
{
	return hook_mkstemp(tmpl, suffixlen, flags);
}

RT_EXPORT int
mkostemps64(char *tmpl, int suffixlen, int flags)
{
	return hook_mkstemp(tmpl, suffixlen, flags | O_LARGEFILE);
}

RT_EXPORT char *
mkdtemp(char *tmpl)
{
	char *x, save[6];
	int tries, r;

	if (!hook_enter()) {
		hook_real();
		return real.mkdtemp(tmpl);
	}
	if (strlen(tmpl) < 6)
		return hook_leave_ptr(NULL, EINVAL);
	x = tmpl + strlen(tmpl) - 6;
	memcpy(save, x, 6);
	for (tries = 0; tries < 1000; tries++) {
		if ((r = hook_tmpname(tmpl, 0)) < 0)
			break;
		if ((r = vfs_mkdir(AT_FDCWD, tmpl, 0700)) != -EEXIST)
			break;
		ws_reset();
	}
	if (r < 0) {
		if (r != -EINVAL)
			memcpy(x, save, 6);
		return hook_leave_ptr(NULL, -r);
	}
	return hook_leave_ptr(tmpl, 0);
}

/* ---- descriptors ------------------------------------------------------- */

/* After fd was closed: the copy a transfer with push owes. */
static int
hook_push(struct fdtab_push *p, int r)
{
	int pr, e = errno;

	if (p == NULL)
		return r;
	if (hook_enter()) {
		if (p->viad && rt.daemon[0] != '\0') {
			pr = dclient_xfer(FLACD_PUSH, p->mod, p->psvc,
			    p->primary, p->ssvc, p->secondary, p->vpath);
			if (pr > 0)
				rt_changed();
		} else
			pr = layer_push(p->primary, p->secondary, p->mod);
		hook_leave(0);
		if (pr < 0 && r == 0 && (p->mod == FLAC_MOD_FAIL ||
		    (p->viad && p->mod == FLAC_MOD_BLOCK))) {
			e = -pr;
			r = -1;
		}
	}
	fdtab_push_free(p);
	errno = e;
	return r;
}

/*
 * At exit, the pushes of files still open: a shell's `echo x > file`
 * writes through a dup of the fd it closed (which pushed the file empty)
 * and exits without closing it.  A push that has nothing new copies
 * nothing.
 */
__attribute__((destructor)) static void
hook_exit_pushes(void)
{
	struct fdtab_push *p;
	int fd = 0;

	if (!rt.active)
		return;
	while (fd < FDTAB_MAXFD && (p = fdtab_next_push(&fd)) != NULL) {
		hook_push(p, 0);
		fd++;
	}
}

RT_EXPORT int
close(int fd)
{
	struct fdtab_push *p;
	int r;

	hook_real();
	if (!fdtab_has(fd))
		return real.close(fd);
	p = fdtab_take(fd);
	r = real.close(fd);
	return hook_push(p, r);
}

RT_EXPORT int
fclose(FILE *fp)
{
	struct fdtab_push *p = NULL;
	int fd, r;

	hook_real();
	if (fp != NULL && (fd = fileno(fp)) >= 0 && fdtab_has(fd))
		p = fdtab_take(fd);
	r = real.fclose(fp);
	return hook_push(p, r);
}

/* close_range without the session's own fds (children need them). */
static int
hook_close_range(unsigned lo, unsigned hi, int flags)
{
	int keep[3], i, k, t, r = 0, done = 0;
	unsigned a = lo, j;

	if (real.close_range == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!rt.active || (flags & CLOSE_RANGE_CLOEXEC) || lo > hi)
		return real.close_range(lo, hi, flags);
	keep[0] = rt.imgfd;
	keep[1] = rt.statefd;
	/* the location monitor's pipe: it runs while the session holds it */
	keep[2] = rt.shared != NULL && rt.shared->loc_hold > 0 ?
	    rt.shared->loc_hold : -1;
	for (i = 0; i < 3; i++)
		for (k = i + 1; k < 3; k++)
			if (keep[k] < keep[i]) {
				t = keep[i];
				keep[i] = keep[k];
				keep[k] = t;
			}
	for (i = 0; i < 3 && !done; i++) {
		if (keep[i] < 0)
			continue;
		j = (unsigned)keep[i];
		if (j < a || j > hi)
			continue;
		if (j > a && real.close_range(a, j - 1, flags) != 0)
			r = -1;
		if (j == hi)
			done = 1;	/* nothing after it */
		else
			a = j + 1;
	}
	if (!done && real.close_range(a, hi, flags) != 0)
		r = -1;
	return r;
}

RT_EXPORT int
close_range(unsigned lo, unsigned hi, int flags)
{
	int r;

	hook_real();
	r = hook_close_range(lo, hi, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		fdtab_forget_range(lo, hi);
	return r;
}

RT_EXPORT void
closefrom(int lo)
{
	int e = errno;

	hook_real();
	if (lo < 0)
		lo = 0;
	if (hook_close_range((unsigned)lo, ~0u, 0) != 0 &&
	    real.closefrom != NULL && !rt.active)
		real.closefrom(lo);
	fdtab_forget_range((unsigned)lo, ~0u);
	errno = e;
}

RT_EXPORT int
dup(int fd)
{
	int r;

	hook_real();
	r = real.dup(fd);
	if (r >= 0 && fdtab_has(fd))
		fdtab_dup(fd, r);
	return r;
}

/* fd was duplicated over nfd: what nfd had open was closed (its push). */
static void
hook_dup_over(int fd, int nfd)
{
	struct fdtab_push *p = fdtab_has(nfd) ? fdtab_take(nfd) : NULL;
	int e = errno;

	fdtab_dup(fd, nfd);
	if (p != NULL)
		hook_push(p, 0);
	errno = e;
}

RT_EXPORT int
dup2(int fd, int nfd)
{
	int r;

	hook_real();
	r = real.dup2(fd, nfd);
	if (r >= 0 && fd != nfd && (fdtab_has(fd) || fdtab_has(nfd)))
		hook_dup_over(fd, nfd);
	return r;
}

RT_EXPORT int
dup3(int fd, int nfd, int flags)
{
	int r;

	hook_real();
	r = real.dup3(fd, nfd, flags);
	if (r >= 0 && (fdtab_has(fd) || fdtab_has(nfd)))
		hook_dup_over(fd, nfd);
	return r;
}

static int
hook_fcntl(int (*fn)(int, int, ...), int fd, int cmd, uintptr_t arg)
{
	int r = fn(fd, cmd, arg);

	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) &&
	    fdtab_has(fd))
		fdtab_dup(fd, r);
	return r;
}

RT_EXPORT int
fcntl(int fd, int cmd, ...)
{
	uintptr_t arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, uintptr_t);
	va_end(ap);
	hook_real();
	return hook_fcntl(real.fcntl, fd, cmd, arg);
}

RT_EXPORT int
fcntl64(int fd, int cmd, ...)
{
	uintptr_t arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, uintptr_t);
	va_end(ap);
	hook_real();
	return hook_fcntl(real.fcntl64, fd, cmd, arg);
}

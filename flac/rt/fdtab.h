/*
 * fdtab: what the runtime knows about the program's file descriptors: the
 * path of the name space each was opened by (for the *at calls, fchdir and
 * fdopendir, whose names are relative to a descriptor), and, for a file
 * opened through a transfer with push, where to copy it when it is closed.
 *
 * A two-level table indexed by fd (up to FDTAB_MAXFD), one mutex, reset
 * in the child of a fork.  Strings are copied in.  Descriptors the table
 * does not know (inherited across exec, opened before the runtime loaded)
 * are answered with -ENOENT; vfs.c falls back to the kernel's name of the
 * real file then.
 */
#ifndef FLAC_RT_FDTAB_H
#define FLAC_RT_FDTAB_H

#include <stddef.h>

#define FDTAB_CHUNK	1024
#define FDTAB_NCHUNKS	1024
#define FDTAB_MAXFD	(FDTAB_CHUNK * FDTAB_NCHUNKS)

/* A copy to make when a descriptor is closed (transfer push). */
struct fdtab_push {
	char	*primary;	/* real path of the file written */
	char	*secondary;	/* real path to copy it to */
	int	 mod;		/* enum flac_xfer_mod */
	int	 viad;		/* through flacd: */
	unsigned psvc, ssvc;	/*   spec instance numbers */
	char	*vpath;		/*   the name space path */
};

/* Records fd -> path; replaces what was there.  0 or -ENOMEM, -EBADF. */
int	fdtab_set(int fd, const char *vpath);
/* Adds a push to fd's entry (which must exist). */
int	fdtab_set_push(int fd, const char *primary, const char *secondary,
	    int mod);
/* Makes fd's push go through flacd, between these instances. */
int	fdtab_set_push_svc(int fd, unsigned psvc, unsigned ssvc);
/* The device and inode fstat(2) reports for fd: those of the file a
 * copy-up came from (layer.c), so that they do not change under the
 * program.  fdtab_origin: 1 when fd has them. */
int	fdtab_set_origin(int fd, unsigned long long dev,
	    unsigned long long ino);
int	fdtab_origin(int fd, unsigned long long *dev, unsigned long long *ino);
/* Copies fd's path into out[sz]; its length, or -ENOENT, -ENAMETOOLONG. */
int	fdtab_get(int fd, char *out, size_t sz);
/*
 * A descriptor whose file could not be opened again after a location
 * change (reloc.c): the runtime keeps the real fd as it is, and reads and
 * writes on it fail with ESTALE until a later change brings the file back
 * (reopened then with these flags, at this offset).  fdtab_set_stale with
 * stale 0 ends it.  fdtab_stale: 1 when fd is stale (one load when no
 * descriptor is).
 */
extern int fdtab_nstale;
int	fdtab_set_stale(int fd, int stale, int flags, long long off);
int	fdtab_stale(int fd, int *flags, long long *off);
/* The same without a lock or a system call (async-signal-safe: for read
 * and write, which signal handlers call). */
int	fdtab_stale_hint(int fd);
/* 1 when fd has an entry (no lock; a hint for the close path). */
int	fdtab_has(int fd);
/* newfd gets a copy of oldfd's entry (or loses its own when oldfd has
 * none). */
void	fdtab_dup(int oldfd, int newfd);
/* Forgets fd; returns its push (free with fdtab_push_free) or NULL. */
struct fdtab_push *fdtab_take(int fd);
void	fdtab_push_free(struct fdtab_push *p);
/*
 * The pushes still owed at exit: a copy of the first push of an fd >=
 * *fd (free it with fdtab_push_free), *fd set to that fd; NULL when none.
 */
struct fdtab_push *fdtab_next_push(int *fd);
/* Forgets every fd in [lo, hi]. */
void	fdtab_forget_range(unsigned lo, unsigned hi);
/* pthread_atfork handlers (init.c registers them). */
void	fdtab_lock_all(void);
void	fdtab_unlock_all(void);
void	fdtab_child_reset(void);

#endif

/*
 * fdmirror: the fd table's names, published for `flac session export`.
 *
 * The fd table (fdtab.c) lives in the program's heap, where nobody else
 * can read it.  When a session is in force, every name it records for a
 * descriptor below FDMIRROR_MAXFD is also written to a memfd named
 * "flac-fds" (close-on-exec, at 900 or above), one page per descriptor,
 * and the virtual working directory to its first page.  Another process of
 * the same user reads it through /proc/PID/fd (no ptrace needed), which is
 * how an I/O session is exported from a running program.  The file is
 * sparse: a page costs memory only once its descriptor was used.
 *
 * A child of fork gets a copy of its own at once (the atfork handler), so
 * that the parent's and the child's tables never mix.  Writers hold the
 * fd table's (or the cwd's) lock; the reader stops the program first.
 */
#ifndef FLAC_RT_FDMIRROR_H
#define FLAC_RT_FDMIRROR_H

#include <stdint.h>

#define FDMIRROR_NAME	"flac-fds"
#define FDMIRROR_MAGIC	0x464c4644u	/* "FLFD" */
#define FDMIRROR_VERSION 1
#define FDMIRROR_PAGE	4096
#define FDMIRROR_MAXFD	1024		/* descriptors [0, 1024) */
#define FDMIRROR_SIZE	((FDMIRROR_MAXFD + 1) * FDMIRROR_PAGE)

/* Page 0. */
struct fdmirror_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	pid;		/* the process that writes it */
	uint32_t	cwdlen;
	char		cwd[FDMIRROR_PAGE - 16];
};

/* Page fd + 1: len 0 when the runtime knows no name for fd. */
struct fdmirror_slot {
	uint32_t	len;
	uint32_t	flags;		/* reserved, 0 */
	char		path[FDMIRROR_PAGE - 8];
};

/*
 * The hand-over from `flac session import` to the program it runs: a memfd
 * in the same format (pages fd + 1), inherited, named by FDMIRROR_ENV_NAMES
 * (its descriptor number).  fdmirror_adopt() (the runtime, at start) gives
 * each descriptor that is open the name its page holds (fdtab_set), then
 * closes the memfd and removes the variable, so that the program's own
 * children do not take the names again.
 */
#define FDMIRROR_ENV_NAMES	"FLAC_FDNAMES"
void	fdmirror_adopt(void);

/* Makes the memfd and maps it (once); 0 or -errno. */
int	fdmirror_enable(void);
/* Records fd's name (vpath NULL: forgets it).  Quiet when not enabled. */
void	fdmirror_set(int fd, const char *vpath);
void	fdmirror_cwd(const char *vpath);
/* In the child of fork: a fresh memfd holding a copy of the parent's. */
void	fdmirror_child(void);

#endif

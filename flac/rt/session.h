/*
 * session: how `flac -f` hands a compiled name space to the programs it
 * runs, and how each of them, and their children, find it.
 *
 * The launcher writes an image into a memfd, seals it (no write, grow or
 * shrink) and leaves it open across exec; each process maps it read-only
 * and resolves paths in the compiled block in place.  A second, small
 * memfd is shared read-write by every process of the session: it holds
 * the generation of the writable layers (bumped after every change the
 * runtime makes to one), which lets processes cache what they learnt about
 * those layers.  The environment names both:
 *
 *   FLAC_SESSION=IMAGEFD:STATEFD:INODE   (INODE: the image's, to tell it
 *                                         from whatever reuses the number)
 *
 * Image layout: a header through common/wbuf (big-endian), then the
 * compiled block at an 8-byte aligned offset, in host order as eval.h
 * defines it (an image never leaves the machine that made it):
 *
 *   u32 magic "FLSI" | u16 version | u16 flags
 *   u32 block offset | u32 block length
 *   str spec name | blob spec source
 *   u32 n | n x str location names | u32 n | n x str addresses
 *
 * The source and the location are there so that a process whose
 * environment differs can compile the specification again for itself:
 * selects over env are decided per process, from the environment it
 * started with (section 5.3.1 of the dissertation).
 */
#ifndef FLAC_RT_SESSION_H
#define FLAC_RT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "flac/lang/eval.h"

#define SESSION_MAGIC	0x464c5349u	/* "FLSI" */
#define SESSION_VERSION	1
#define SESSION_ENV	"FLAC_SESSION"
#define SESSION_ENV_CWD	"FLAC_CWD"
#define SESSION_ENV_RT	"FLAC_RT"
#define SESSION_FD_MIN	900	/* where the launcher puts the two fds */

/* The shared state page. */
struct session_state {
	uint32_t	magic;
	uint32_t	version;
	uint64_t	upper_gen;	/* changes to writable layers */
	uint64_t	copies;		/* files copied (up or by transfer) */
	uint64_t	whiteouts;	/* whiteouts recorded */
	/*
	 * The location monitor (flac/locmon.c) publishes the name space it
	 * compiled for a new location here: the sealed image is fd loc_fd of
	 * process loc_pid (opened through /proc), with inode loc_ino; then
	 * loc_gen is bumped (release).  Generation 0 is the launcher's image.
	 */
	uint64_t	loc_gen;
	uint64_t	loc_ino;
	int32_t		loc_pid;
	int32_t		loc_fd;
	int32_t		loc_hold;	/* the write end of the monitor's pipe,
					   in every process (0: no monitor) */
	int32_t		loc_pad;
};

struct session_image {
	const struct flac_ns *ns;	/* in the image */
	size_t		 nslen;
	char		*specname;
	const char	*src;		/* in the image, not NUL-terminated */
	size_t		 srclen;
	char		**names;
	size_t		 nnames;
	char		**addrs;
	size_t		 naddrs;
};

/* Builds an image (malloc'd) for ns, the spec text and the location. */
int	session_image_build(const struct flac_ns *ns, const char *specname,
	    const char *src, size_t srclen, char *const *names, size_t nnames,
	    char *const *addrs, size_t naddrs, void **out, size_t *outlen);
/* Parses an image in place (p must be 8-byte aligned); 0 or -EBADMSG,
 * -ENOMEM.  session_image_free() frees what it allocated. */
int	session_image_parse(const void *p, size_t len,
	    struct session_image *img);
void	session_image_free(struct session_image *img);
/* 1 when ns took a decision from the environment. */
int	session_env_dependent(const struct flac_ns *ns);
/*
 * Compiles the image's specification again for env (a NULL-terminated
 * "VAR=VALUE" list); *out is malloc'd.  A message for a person goes to
 * why[whysz] on failure.
 */
int	session_recompile(const struct session_image *img, char *const *env,
	    struct flac_ns **out, char *why, size_t whysz);
/* Formats and parses the FLAC_SESSION value. */
int	session_env_format(char *buf, size_t sz, int imgfd, int statefd,
	    unsigned long ino);
int	session_env_parse(const char *s, int *imgfd, int *statefd,
	    unsigned long *ino);

#endif

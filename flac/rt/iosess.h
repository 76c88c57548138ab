/*
 * iosess: the I/O session of a process, as an image that can be written
 * to a file and read back elsewhere (section 5.3.4 of the dissertation):
 * the name space (the specification's source and the location it was
 * compiled for), the working directory in it, and the files the process
 * has open, each with its descriptor number, open flags, offset and path
 * in the name space.  `flac session export` writes one from a running
 * program; `flac session import` rebuilds it around a new program.
 *
 * Layout (common/wbuf, big-endian):
 *
 *   u32 magic "FLIO" | u16 version | u16 flags (0)
 *   u32 body length | 32 bytes SHA-256 of the body
 *   body:
 *     str spec name | blob spec source
 *     u32 n | n x str location names | u32 n | n x str addresses
 *     str working directory (name space path)
 *     u32 n | n x { u32 fd | u32 flags | u64 offset | str path }
 *
 * Bump IOSESS_VERSION when any of this changes.  Every path must be
 * absolute and normal (no "", "." or ".." component, no "//"): an image
 * cannot name a file outside the name space it describes.
 */
#ifndef FLAC_RT_IOSESS_H
#define FLAC_RT_IOSESS_H

#include <stddef.h>
#include <stdint.h>

#define IOSESS_MAGIC	0x464c494fu	/* "FLIO" */
#define IOSESS_VERSION	1
#define IOSESS_MAXFILES	4096
#define IOSESS_MAXFD	(1 << 20)
#define IOSESS_MAXSRC	(1u << 20)
#define IOSESS_MAXNAMES	256
#define IOSESS_HDRLEN	(4 + 2 + 2 + 4 + 32)

struct iosess_file {
	int		 fd;
	int		 flags;		/* O_* as open(2) took them */
	uint64_t	 offset;
	char		*path;		/* in the name space */
};

struct iosess {
	char		 *specname;
	char		 *src;
	size_t		  srclen;
	char		**names;
	size_t		  nnames;
	char		**addrs;
	size_t		  naddrs;
	char		 *cwd;
	struct iosess_file *files;
	size_t		  nfiles;
};

/* Encodes s into a malloc'd *out; 0 or -ENOMEM, -EMSGSIZE, -EINVAL. */
int	iosess_encode(const struct iosess *s, void **out, size_t *outlen);
/*
 * Decodes an image; 0, or -EBADMSG (truncated, wrong magic or checksum,
 * malformed), -EPROTO (another version), -EINVAL (a path that is not
 * absolute and normal, a descriptor out of range), -ENOMEM, with a
 * sentence for a person in why[whysz].  On error s holds nothing.
 */
int	iosess_decode(const void *p, size_t len, struct iosess *s, char *why,
	    size_t whysz);
void	iosess_free(struct iosess *s);
/* 1 when p is absolute and normal. */
int	iosess_path_ok(const char *p);

#endif

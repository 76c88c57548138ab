/*
 * dir: directory streams of the name space.  A directory served by one
 * real directory (and no cut names) is a plain DIR from the C library; any
 * other (an overlay's merged directory, a synthetic one, one with names a
 * cuttree removed) is a struct dir_stream holding the merged listing,
 * which the hooks tell from a libc DIR by its first eight bytes (glibc's
 * DIR starts with an fd and a lock word, which never look like the magic).
 */
#ifndef FLAC_RT_DIR_H
#define FLAC_RT_DIR_H

#include <dirent.h>
#include <stdint.h>

#include "flac/rt/rt.h"

#define DIR_MAGIC	0xf1acd1e5f1acd1e5ull

struct dir_stream {
	uint64_t	 magic;
	struct rt_listing l;
	size_t		 pos;
	int		 fd;		/* what dirfd() gives */
	struct dirent64	 ent;
};

static inline int
dir_is_ours(const void *d)
{
	return d != NULL && *(const uint64_t *)d == DIR_MAGIC;
}

/* opendir/fdopendir in the name space: a DIR (ours or libc's), or NULL
 * with *err. */
DIR	*dir_open(const char *path, int *err);
DIR	*dir_fdopen(int fd, int *err);

struct dirent64 *dir_read(struct dir_stream *d);
int	dir_close(struct dir_stream *d);
void	dir_rewind(struct dir_stream *d);
long	dir_tell(struct dir_stream *d);
void	dir_seek(struct dir_stream *d, long pos);

#endif

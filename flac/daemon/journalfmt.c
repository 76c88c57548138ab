/*
 * journalfmt.c: the encoding of flacd's journal entries (journal.h); pure,
 * with a fuzz target.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "flac/daemon/journal.h"
#include "flac/lang/ast.h"

#define TRY(x) do { if ((rc = (x)) < 0) return rc; } while (0)

/* ---- the entry's encoding ---------------------------------------------- */

int
journal_encode(const struct journal_entry *e, struct wbuf *b)
{
	int rc;

	TRY(wbuf_put_hello(b, JOURNAL_MAGIC, JOURNAL_VERSION, 0));
	TRY(wbuf_put_u32(b, (uint32_t)e->pri_type));
	TRY(wbuf_put_str(b, e->pri_text));
	TRY(wbuf_put_str(b, e->ppath));
	TRY(wbuf_put_u32(b, (uint32_t)e->sec_type));
	TRY(wbuf_put_str(b, e->sec_text));
	TRY(wbuf_put_str(b, e->spath));
	return wbuf_put_str(b, e->vpath);
}

int
journal_decode(const uint8_t *p, size_t n, struct journal_entry *e)
{
	uint16_t version, flags;
	uint32_t t;
	struct wbuf b;

	memset(e, 0, sizeof *e);
	wbuf_view(&b, p, n);
	if (wbuf_get_hello(&b, JOURNAL_MAGIC, &version, &flags) < 0 ||
	    version != JOURNAL_VERSION || flags != 0)
		return -EBADMSG;
	if (wbuf_get_u32(&b, &t) < 0 || t >= FLAC_SVC__COUNT)
		return -EBADMSG;
	e->pri_type = (int32_t)t;
	if (wbuf_get_str(&b, e->pri_text, sizeof e->pri_text) < 0 ||
	    wbuf_get_str(&b, e->ppath, sizeof e->ppath) < 0 ||
	    wbuf_get_u32(&b, &t) < 0 || t >= FLAC_SVC__COUNT)
		return -EBADMSG;
	e->sec_type = (int32_t)t;
	if (wbuf_get_str(&b, e->sec_text, sizeof e->sec_text) < 0 ||
	    wbuf_get_str(&b, e->spath, sizeof e->spath) < 0 ||
	    wbuf_get_str(&b, e->vpath, sizeof e->vpath) < 0 ||
	    wbuf_avail(&b) != 0)
		return -EBADMSG;
	if (e->pri_text[0] == '\0' || e->sec_text[0] == '\0' ||
	    e->ppath[0] != '/' || e->spath[0] == '\0')
		return -EBADMSG;
	return 0;
}


long
journal_count_fd(int dirfd)
{
	struct dirent *d;
	long n = 0;
	DIR *dir;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	while ((d = readdir(dir)) != NULL)
		if (strlen(d->d_name) == 37 &&
		    strcmp(d->d_name + 32, ".push") == 0)
			n++;
	closedir(dir);
	return n;
}

long
journal_count_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return -errno;
	n = journal_count_fd(fd);
	close(fd);
	return n;
}

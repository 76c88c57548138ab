/*
 * journal: flacd's deferred pushes (section 5.1.5's IGNORE on push).
 *
 * A push that IGNORE lets go because the secondary is away is written to
 * the journal instead of being lost: one file per (secondary, path) in a
 * directory beside flacd's socket ("SOCKET.journal/"), written to a
 * temporary name, fsynced and renamed into place (and the directory
 * fsynced), so that a crash or a SIGKILL of flacd loses none.  A later
 * push of the same file replaces its entry (the push takes the primary's
 * latest copy anyway).  A thread flushes the journal every 200 ms: each
 * entry whose secondary is available is pushed (with FAIL: a failed copy
 * stays in the journal) and removed.  flacd started again finds what is
 * left and goes on.  Entries name their services by type and canonical
 * text, so no session has to be loaded to flush them.
 *
 * The entry decoder faces files on disk (fuzz target fuzz_flac_journal).
 */
#ifndef FLAC_DAEMON_JOURNAL_H
#define FLAC_DAEMON_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/wbuf.h"

#define JOURNAL_MAGIC   0x464c4a4eu      /* "FLJN" */
#define JOURNAL_VERSION 1
#define JOURNAL_STR_MAX 4096

struct svc;

struct journal_entry {
	int32_t pri_type, sec_type;
	char pri_text[JOURNAL_STR_MAX + 1], sec_text[JOURNAL_STR_MAX + 1];
	char ppath[JOURNAL_STR_MAX + 1], spath[JOURNAL_STR_MAX + 1];
	char vpath[JOURNAL_STR_MAX + 1];
};

int journal_encode(const struct journal_entry *e, struct wbuf *b);
/* 0 or -EBADMSG (with the file's bytes as they are). */
int journal_decode(const uint8_t *p, size_t n, struct journal_entry *e);

/* Opens (makes) the journal directory and starts its flusher thread. */
int journal_start(const char *dir);
/* Records a push for later; 0 or -errno.  Safe from any thread. */
int journal_defer(const struct svc *pri, const char *ppath,
    const struct svc *sec, const char *spath, const char *vpath);
/* The number of entries waiting (for flacd -l and idle exit). */
size_t journal_pending(void);
/* Flushes now, again and again for up to ms, until nothing waits; the
 * number of entries left. */
size_t journal_flush_wait(int ms);
/* The entries waiting in the journal directory dir, flacd running or not;
 * -errno when it cannot be read (-ENOENT: none was ever made). */
long journal_count_dir(const char *dir);
long journal_count_fd(int dirfd);

#endif

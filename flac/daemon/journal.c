/*
 * journal.c: flacd's deferred pushes (see journal.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "flac/daemon/journal.h"
#include "flac/daemon/svc.h"
#include "flac/daemon/xfer.h"
#include "flac/lang/ast.h"

#define JOURNAL_FLUSH_MS 200
#define JOURNAL_MAX_SVCS 64

static char jdir[4096];
static int jdirfd = -1;
static pthread_mutex_t jmu = PTHREAD_MUTEX_INITIALIZER;
static size_t jpending;

/* ---- writing ------------------------------------------------------------- */

/* The entry's file name: a hash of the secondary and its path. */
static void
journal_name(const char *sec_text, const char *spath, char *out, size_t sz)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char buf[2 * JOURNAL_STR_MAX + 2];
	int i, n;

	n = snprintf(buf, sizeof buf, "%s\n%s", sec_text, spath);
	if (n < 0)
		n = 0;
	if (crypto_sha256(buf, (size_t)n < sizeof buf ? (size_t)n :
	    sizeof buf - 1, h) < 0)
		memset(h, 0, sizeof h);
	for (i = 0; i < 16 && (size_t)(2 * i + 2) < sz; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	snprintf(out + 32, sz - 32, ".push");
}

static size_t
journal_count(void)
{
	long n = journal_count_fd(jdirfd);

	return n > 0 ? (size_t)n : 0;
}

int
journal_defer(const struct svc *pri, const char *ppath, const struct svc *sec,
    const char *spath, const char *vpath)
{
	struct journal_entry *e;
	char name[64], tmp[80];
	struct wbuf b;
	int fd, r = 0;

	if (jdirfd < 0)
		return -ENOENT;
	if ((e = calloc(1, sizeof *e)) == NULL)
		return -ENOMEM;
	e->pri_type = pri->type;
	e->sec_type = sec->type;
	snprintf(e->pri_text, sizeof e->pri_text, "%s", pri->text);
	snprintf(e->sec_text, sizeof e->sec_text, "%s", sec->text);
	snprintf(e->ppath, sizeof e->ppath, "%s", ppath);
	snprintf(e->spath, sizeof e->spath, "%s", spath);
	snprintf(e->vpath, sizeof e->vpath, "%s", vpath);
	journal_name(e->sec_text, e->spath, name, sizeof name);
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	wbuf_init(&b, 6 * (JOURNAL_STR_MAX + 8));
	pthread_mutex_lock(&jmu);
	if ((r = journal_encode(e, &b)) < 0)
		goto out;
	fd = openat(jdirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	if (r == 0 && renameat(jdirfd, tmp, jdirfd, name) < 0)
		r = -errno;
	if (r == 0)
		(void)fsync(jdirfd);
	else
		(void)unlinkat(jdirfd, tmp, 0);
	jpending = journal_count();
out:
	pthread_mutex_unlock(&jmu);
	wbuf_free(&b);
	if (r == 0)
		log_info("push %s: %s is away; the push waits in the journal "
		    "(%s)", vpath, sec->text, name);
	else
		log_warn("push %s: cannot write the journal: %s; the update "
		    "stays in the primary only", vpath, strerror(-r));
	free(e);
	return r;
}

size_t
journal_pending(void)
{
	size_t n;

	pthread_mutex_lock(&jmu);
	n = jpending;
	pthread_mutex_unlock(&jmu);
	return n;
}

/* ---- flushing ------------------------------------------------------------ */

/* The flusher's own service instances, by type and text. */
static struct svc jsvcs[JOURNAL_MAX_SVCS];
static size_t njsvcs;

static struct svc *
journal_svc(int type, const char *text)
{
	size_t i;

	for (i = 0; i < njsvcs; i++)
		if (jsvcs[i].type == type && strcmp(jsvcs[i].text, text) == 0)
			return &jsvcs[i];
	if (njsvcs == JOURNAL_MAX_SVCS)
		return NULL;
	if (svc_start(&jsvcs[njsvcs], (uint32_t)njsvcs, type, text,
	    "journal") < 0) {
		svc_stop(&jsvcs[njsvcs]);
		return NULL;
	}
	return &jsvcs[njsvcs++];
}

static void
journal_flush_one(const char *name)
{
	struct journal_entry *e = calloc(1, sizeof *e);
	uint8_t *buf = malloc(8 * (JOURNAL_STR_MAX + 8));
	struct svc *pri, *sec;
	ssize_t n;
	int fd, r;

	if (e == NULL || buf == NULL)
		goto out;
	if ((fd = openat(jdirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	n = read(fd, buf, 8 * (JOURNAL_STR_MAX + 8));
	close(fd);
	if (n < 0 || journal_decode(buf, (size_t)n, e) < 0) {
		log_warn("journal %s/%s: damaged entry; moved aside", jdir,
		    name);
		{
			char bad[128];

			snprintf(bad, sizeof bad, "%.64s.damaged", name);
			(void)renameat(jdirfd, name, jdirfd, bad);
		}
		goto out;
	}
	if ((pri = journal_svc(e->pri_type, e->pri_text)) == NULL ||
	    (sec = journal_svc(e->sec_type, e->sec_text)) == NULL)
		goto out;
	if (sec->ops->isavailable(sec, "/") <= 0)
		goto out;
	r = xfer_push(pri, e->ppath, sec, e->spath, e->vpath, FLAC_MOD_FAIL,
	    NULL);
	if (r < 0) {
		log_info("journal: push %s to %s failed (%s); kept", e->vpath,
		    e->sec_text, strerror(-r));
		goto out;
	}
	pthread_mutex_lock(&jmu);
	(void)unlinkat(jdirfd, name, 0);
	(void)fsync(jdirfd);
	jpending = journal_count();
	pthread_mutex_unlock(&jmu);
	log_info("journal: push %s reached %s", e->vpath, e->sec_text);
out:
	free(e);
	free(buf);
}

/* One pass over the journal (the thread's and a FLUSH request's: one at
 * a time, they share the service instances). */
static pthread_mutex_t jflush_mu = PTHREAD_MUTEX_INITIALIZER;

static void
journal_flush_pass(void)
{
	char names[64][40];
	struct dirent *d;
	size_t n = 0, i;
	DIR *dir;
	int fd;

	pthread_mutex_lock(&jflush_mu);
	fd = openat(jdirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&jflush_mu);
		return;
	}
	while ((d = readdir(dir)) != NULL && n < 64)
		if (strlen(d->d_name) == 37 &&
		    strcmp(d->d_name + 32, ".push") == 0)
			snprintf(names[n++], sizeof names[0], "%s", d->d_name);
	closedir(dir);
	for (i = 0; i < n; i++)
		journal_flush_one(names[i]);
	pthread_mutex_unlock(&jflush_mu);
}

size_t
journal_flush_wait(int ms)
{
	struct timespec ts = { 0, JOURNAL_FLUSH_MS * 1000000L };
	int waited = 0;

	if (jdirfd < 0)
		return 0;
	for (;;) {
		journal_flush_pass();
		if (journal_pending() == 0 || waited >= ms)
			return journal_pending();
		nanosleep(&ts, NULL);
		waited += JOURNAL_FLUSH_MS;
	}
}

static void *
journal_main(void *arg)
{
	struct timespec ts = { 0, JOURNAL_FLUSH_MS * 1000000L };

	(void)arg;
	for (;;) {
		nanosleep(&ts, NULL);
		journal_flush_pass();
	}
	return NULL;
}

int
journal_start(const char *dir)
{
	pthread_attr_t a;
	pthread_t t;
	int r;

	snprintf(jdir, sizeof jdir, "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if ((jdirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	jpending = journal_count();
	if (jpending > 0)
		log_info("journal %s: %zu push(es) waiting from before", dir,
		    jpending);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &a, journal_main, NULL);
	pthread_attr_destroy(&a);
	return r == 0 ? 0 : -r;
}

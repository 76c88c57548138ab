/*
 * cwd: the working directory of the process in the name space.  The real
 * working directory follows it where it can (the first layer that has the
 * directory, or the empty directory behind a synthetic one), but relative
 * paths are always taken from this one, since the name space's directory
 * may merge several real ones.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "flac/rt/fdmirror.h"
#include "flac/rt/rt.h"

/*
 * Readers do not lock (a relative path is looked up on every call): a
 * sequence count, odd while a writer (under the mutex) changes the path;
 * a reader that saw it change reads again.
 */
static char cwd_path[RT_PATH_MAX] = "/";
static size_t cwd_len = 1;
static unsigned cwd_seq;
static pthread_mutex_t cwd_mu = PTHREAD_MUTEX_INITIALIZER;

int
cwd_get(char *buf, size_t sz)
{
	unsigned s1, s2;
	size_t n;

	for (;;) {
		s1 = __atomic_load_n(&cwd_seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		n = __atomic_load_n(&cwd_len, __ATOMIC_RELAXED);
		if (n + 1 > sz)
			return -ERANGE;
		memcpy(buf, cwd_path, n);
		buf[n] = '\0';
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&cwd_seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return (int)n;
	}
}

void
cwd_set(const char *vpath)
{
	size_t n = strlen(vpath);

	if (n + 1 > sizeof cwd_path || vpath[0] != '/')
		return;
	pthread_mutex_lock(&cwd_mu);
	__atomic_add_fetch(&cwd_seq, 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(cwd_path, vpath, n + 1);
	__atomic_store_n(&cwd_len, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cwd_seq, 1, __ATOMIC_RELEASE);
	fdmirror_cwd(vpath);
	pthread_mutex_unlock(&cwd_mu);
}

void
cwd_lock_all(void)
{
	pthread_mutex_lock(&cwd_mu);
}

void
cwd_unlock_all(void)
{
	pthread_mutex_unlock(&cwd_mu);
}

void
cwd_child_reset(void)
{
	pthread_mutex_init(&cwd_mu, NULL);
	cwd_seq &= ~1u;
}

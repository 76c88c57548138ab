/* fdmirror: see fdmirror.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/rt/fdmirror.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/session.h"

static char *fdm_map;		/* FDMIRROR_SIZE bytes, or NULL */
static int fdm_fd = -1;
static int fdm_hi = -1;		/* highest descriptor ever written */

/* A new memfd of FDMIRROR_SIZE at SESSION_FD_MIN or above, mapped. */
static int
fdm_make(int *fdp, char **mapp)
{
	char *m;
	int fd, hi;

	if ((fd = memfd_create(FDMIRROR_NAME, MFD_CLOEXEC)) < 0)
		return -errno;
	if ((hi = fcntl(fd, F_DUPFD_CLOEXEC, SESSION_FD_MIN)) >= 0) {
		close(fd);
		fd = hi;
	}
	if (ftruncate(fd, FDMIRROR_SIZE) != 0) {
		close(fd);
		return -errno;
	}
	m = mmap(NULL, FDMIRROR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	if (m == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	*fdp = fd;
	*mapp = m;
	return 0;
}

static void
fdm_header(char *m)
{
	struct fdmirror_hdr *h = (struct fdmirror_hdr *)(void *)m;

	h->version = FDMIRROR_VERSION;
	h->pid = (uint32_t)getpid();
	__atomic_store_n(&h->magic, FDMIRROR_MAGIC, __ATOMIC_RELEASE);
}

int
fdmirror_enable(void)
{
	int r;

	if (fdm_map != NULL)
		return 0;
	if ((r = fdm_make(&fdm_fd, &fdm_map)) < 0) {
		log_warn("the open files of this process cannot be exported: "
		    "memfd: %s", strerror(-r));
		return r;
	}
	fdm_header(fdm_map);
	return 0;
}

static void
fdm_put(char *m, int fd, const char *vpath)
{
	struct fdmirror_slot *s;
	size_t n;

	s = (struct fdmirror_slot *)(void *)(m + (size_t)(fd + 1) *
	    FDMIRROR_PAGE);
	if (vpath == NULL || (n = strlen(vpath)) >= sizeof s->path) {
		if (s->len != 0)
			__atomic_store_n(&s->len, 0, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&s->len, 0, __ATOMIC_RELEASE);
	memcpy(s->path, vpath, n + 1);
	__atomic_store_n(&s->len, (uint32_t)n, __ATOMIC_RELEASE);
}

void
fdmirror_set(int fd, const char *vpath)
{
	if (fdm_map == NULL || fd < 0 || fd >= FDMIRROR_MAXFD)
		return;
	if (vpath != NULL && fd > fdm_hi)
		fdm_hi = fd;
	fdm_put(fdm_map, fd, vpath);
}

void
fdmirror_cwd(const char *vpath)
{
	struct fdmirror_hdr *h;
	size_t n = strlen(vpath);

	if (fdm_map == NULL || n >= sizeof h->cwd)
		return;
	h = (struct fdmirror_hdr *)(void *)fdm_map;
	__atomic_store_n(&h->cwdlen, 0, __ATOMIC_RELEASE);
	memcpy(h->cwd, vpath, n + 1);
	__atomic_store_n(&h->cwdlen, (uint32_t)n, __ATOMIC_RELEASE);
}

void
fdmirror_child(void)
{
	const struct fdmirror_slot *s;
	char *m;
	int fd, i;

	if (fdm_map == NULL)
		return;
	if (fdm_make(&fd, &m) < 0) {
		/* the parent's is no description of this process */
		munmap(fdm_map, FDMIRROR_SIZE);
		close(fdm_fd);
		fdm_map = NULL;
		fdm_fd = -1;
		return;
	}
	memcpy(m, fdm_map, FDMIRROR_PAGE);
	for (i = 0; i <= fdm_hi; i++) {
		s = (const struct fdmirror_slot *)(const void *)(fdm_map +
		    (size_t)(i + 1) * FDMIRROR_PAGE);
		if (s->len != 0)
			fdm_put(m, i, s->path);
	}
	munmap(fdm_map, FDMIRROR_SIZE);
	close(fdm_fd);
	fdm_map = m;
	fdm_fd = fd;
	fdm_header(m);
}

void
fdmirror_adopt(void)
{
	const struct fdmirror_slot *sl;
	const char *env = getenv(FDMIRROR_ENV_NAMES);
	struct stat st;
	char *end, *m;
	long mfd;
	int fd, n = 0;

	if (env == NULL)
		return;
	mfd = strtol(env, &end, 10);
	unsetenv(FDMIRROR_ENV_NAMES);
	if (*end != '\0' || mfd < 0 || mfd > 1 << 20 ||
	    fstat((int)mfd, &st) != 0 || st.st_size != FDMIRROR_SIZE) {
		log_warn("%s='%s' names no file of names; the inherited "
		    "descriptors keep the kernel's names", FDMIRROR_ENV_NAMES,
		    env);
		return;
	}
	m = mmap(NULL, FDMIRROR_SIZE, PROT_READ, MAP_PRIVATE, (int)mfd, 0);
	close((int)mfd);
	if (m == MAP_FAILED)
		return;
	for (fd = 0; fd < FDMIRROR_MAXFD; fd++) {
		sl = (const struct fdmirror_slot *)(const void *)(m +
		    (size_t)(fd + 1) * FDMIRROR_PAGE);
		if (sl->len == 0 || sl->len >= sizeof sl->path ||
		    sl->path[sl->len] != '\0' || sl->path[0] != '/' ||
		    memchr(sl->path, '\0', sl->len) != NULL ||
		    fcntl(fd, F_GETFD) < 0)
			continue;
		if (fdtab_set(fd, sl->path) == 0)
			n++;
	}
	munmap(m, FDMIRROR_SIZE);
	log_debug("%d descriptors named from a rebuilt session", n);
}

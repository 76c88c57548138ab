/* locmon: see locmon.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/nlwatch.h"
#include "flac/lang/ast.h"
#include "flac/lang/eval.h"
#include "flac/locmon.h"

#define LM_MAXADDRS	256	/* as the image's location lists */
#define LM_KEEP		4	/* images kept open after a newer one */
#define LM_SLOW_MS	1000	/* the host name, when it cannot be polled */

/* A location: the host name and the interface addresses, sorted. */
struct lm_loc {
	char	 name[256];
	char	*addrs[LM_MAXADDRS];
	size_t	 naddrs;
};

struct lm {
	struct session_image	 img;	/* the spec's source, its name */
	struct session_state	*shared;
	char *const		*env;
	struct lm_loc		 cur;
	int			 dirty;	/* netlink said something changed */
	int			 keep[LM_KEEP];	/* images published */
	uint64_t		 gen;
};

static int
lm_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
lm_loc_free(struct lm_loc *l)
{
	size_t i;

	for (i = 0; i < l->naddrs; i++)
		free(l->addrs[i]);
	memset(l, 0, sizeof *l);
}

/* This host now: the name and the addresses of the interfaces that are
 * up (what the launcher compiles for). */
static int
lm_here(struct lm_loc *l)
{
	struct ifaddrs *ifa, *i;
	char text[INET6_ADDRSTRLEN];
	const void *a;

	memset(l, 0, sizeof *l);
	if (gethostname(l->name, sizeof l->name) != 0)
		l->name[0] = '\0';
	l->name[sizeof l->name - 1] = '\0';
	if (getifaddrs(&ifa) != 0)
		return -errno;
	for (i = ifa; i != NULL && l->naddrs < LM_MAXADDRS; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			a = &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, a, text,
		    sizeof text) == NULL)
			continue;
		if ((l->addrs[l->naddrs] = strdup(text)) == NULL) {
			freeifaddrs(ifa);
			lm_loc_free(l);
			return -ENOMEM;
		}
		l->naddrs++;
	}
	freeifaddrs(ifa);
	qsort(l->addrs, l->naddrs, sizeof l->addrs[0], lm_cmp);
	return 0;
}

static int
lm_same(const struct lm_loc *a, const struct lm_loc *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->naddrs != b->naddrs)
		return 0;
	for (i = 0; i < a->naddrs; i++)
		if (strcmp(a->addrs[i], b->addrs[i]) != 0)
			return 0;
	return 1;
}

/* "name addr addr..." for the log. */
static void
lm_loc_text(const struct lm_loc *l, char *buf, size_t sz)
{
	size_t i, n;

	n = (size_t)snprintf(buf, sz, "%s", l->name[0] ? l->name : "?");
	for (i = 0; i < l->naddrs && n < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, " %s", l->addrs[i]);
}

/* Compiles the spec for l and publishes the image; 0 or -errno. */
static int
lm_publish(struct lm *m, const struct lm_loc *l)
{
	struct session_image ctx = m->img;
	struct flac_ns *ns = NULL;
	char why[300], shortname[256], *names[2];
	const char *dot;
	void *img = NULL;
	size_t len, off = 0;
	struct stat st;
	ssize_t w;
	int r, fd = -1, nfd;

	/* the name, and its first label too, as the launcher gives them */
	names[0] = (char *)(uintptr_t)l->name;
	ctx.names = names;
	ctx.nnames = l->name[0] != '\0';
	if ((dot = strchr(l->name, '.')) != NULL && dot != l->name) {
		snprintf(shortname, sizeof shortname, "%.*s",
		    (int)(dot - l->name), l->name);
		names[ctx.nnames++] = shortname;
	}
	ctx.addrs = (char **)(uintptr_t)l->addrs;
	ctx.naddrs = l->naddrs;
	if ((r = session_recompile(&ctx, m->env, &ns, why, sizeof why)) < 0) {
		log_error("%s; the session keeps its name space", why);
		return r;
	}
	if ((r = session_image_build(ns, m->img.specname, m->img.src,
	    m->img.srclen, ctx.names, ctx.nnames, ctx.addrs, ctx.naddrs, &img,
	    &len)) < 0)
		goto out;
	if ((fd = memfd_create("flac-image", MFD_ALLOW_SEALING |
	    MFD_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	while (off < len) {
		if ((w = write(fd, (char *)img + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
	    F_SEAL_SHRINK | F_SEAL_SEAL) != 0 || fstat(fd, &st) != 0) {
		r = -errno;
		goto out;
	}
	/* the oldest kept image goes; a process still opening it retries */
	if (m->keep[0] >= 0)
		close(m->keep[0]);
	memmove(m->keep, m->keep + 1, sizeof m->keep - sizeof m->keep[0]);
	m->keep[LM_KEEP - 1] = fd;
	nfd = fd;
	fd = -1;
	m->gen++;
	__atomic_store_n(&m->shared->loc_pid, (int32_t)getpid(),
	    __ATOMIC_RELAXED);
	__atomic_store_n(&m->shared->loc_fd, (int32_t)nfd, __ATOMIC_RELAXED);
	__atomic_store_n(&m->shared->loc_ino, (uint64_t)st.st_ino,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&m->shared->loc_gen, m->gen, __ATOMIC_RELEASE);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(img);
	free(ns);
	if (r < 0)
		log_error("cannot publish the name space for the new "
		    "location: %s", strerror(-r));
	return r;
}

/* Looks at the location again; publishes when it changed. */
static void
lm_check(struct lm *m)
{
	struct lm_loc now;
	char was[1024], is[1024];

	m->dirty = 0;
	if (lm_here(&now) < 0 || lm_same(&now, &m->cur)) {
		lm_loc_free(&now);
		return;
	}
	lm_loc_text(&m->cur, was, sizeof was);
	lm_loc_text(&now, is, sizeof is);
	if (lm_publish(m, &now) == 0)
		log_info("location changed: now %s (was %s); name space "
		    "compiled again, generation %llu", is, was,
		    (unsigned long long)m->gen);
	lm_loc_free(&m->cur);
	m->cur = now;
}

static void
lm_event(const struct nlwatch_event *ev, void *arg)
{
	struct lm *m = arg;

	if (ev->type != NLW_ROUTE_ADD && ev->type != NLW_ROUTE_DEL)
		m->dirty = 1;
}

/* Rearms the host name's poll (a read from the start). */
static void
lm_host_rearm(int hfd)
{
	char b[256];

	if (hfd >= 0 && lseek(hfd, 0, SEEK_SET) == 0)
		(void)read(hfd, b, sizeof b);
}

/* The monitor's loop; returns when the session is gone. */
static void
lm_run(struct lm *m, int hold)
{
	struct nlwatch *w;
	struct pollfd pf[3];
	int hfd, r;

	if ((w = nlwatch_open()) == NULL) {
		log_errno("netlink");
		return;
	}
	/* the kernel flags a change of the host name on this file */
	hfd = open("/proc/sys/kernel/hostname", O_RDONLY | O_CLOEXEC);
	lm_host_rearm(hfd);
	for (;;) {
		pf[0].fd = hold;
		pf[0].events = POLLIN;
		pf[1].fd = nlwatch_fd(w);
		pf[1].events = POLLIN;
		pf[2].fd = hfd;
		pf[2].events = POLLPRI;
		r = poll(pf, 3, LM_SLOW_MS);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			break;		/* every process of the session left */
		if (r > 0 && (pf[1].revents & POLLIN) &&
		    nlwatch_read(w, lm_event, m) < 0)
			m->dirty = 1;
		if (r > 0 && (pf[2].revents & (POLLPRI | POLLERR))) {
			lm_host_rearm(hfd);
			m->dirty = 1;
		}
		if (r == 0)
			m->dirty = 1;	/* a name change poll may have missed */
		if (m->dirty)
			lm_check(m);
	}
	if (hfd >= 0)
		close(hfd);
	nlwatch_close(w);
}

int
locmon_start(const void *img, size_t len, struct session_state *shared,
    char *const *env)
{
	struct lm m;
	int p[2], hold, i, st;
	pid_t pid, mon;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	if ((hold = fcntl(p[1], F_DUPFD, SESSION_FD_MIN)) < 0) {
		i = -errno;
		close(p[0]);
		close(p[1]);
		return i;
	}
	close(p[1]);
	if ((pid = fork()) < 0) {
		i = -errno;
		close(p[0]);
		close(hold);
		return i;
	}
	if (pid == 0) {
		/* a grandchild: the program is not its parent, and waits for
		   nothing of ours */
		if ((mon = fork()) != 0)
			_exit(mon < 0 ? 1 : 0);
		close(hold);
		if (dup2(p[0], 3) != 3)
			_exit(1);
		close_range(4, ~0u, 0);
		i = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (i >= 0) {
			dup2(i, 0);
			dup2(i, 1);
		}
		signal(SIGPIPE, SIG_IGN);
		log_init("flac-locmon", EVLOG_INFO);
		memset(&m, 0, sizeof m);
		for (i = 0; i < LM_KEEP; i++)
			m.keep[i] = -1;
		m.shared = shared;
		m.env = env;
		if (session_image_parse(img, len, &m.img) < 0 ||
		    lm_here(&m.cur) < 0)
			_exit(1);
		log_info("watching the location for %s", m.img.specname);
		lm_run(&m, 3);
		_exit(0);
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		close(hold);
		return -ECHILD;
	}
	shared->loc_hold = hold;
	return 0;
}

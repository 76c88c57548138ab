/*
 * keep: rocks shared across fork.  Before fork() copies a connected rock
 * into a child, the rock moves to a keeper: a small process (rocks-keeper,
 * beside librocks.so) that takes its state over through the exec format
 * (exec.c), holds the TCP connection with its own control thread and port,
 * and relays the stream to one end of a Unix socket pair.  The other end is
 * dup3()ed onto every fd number of the rock, so that the parent and the
 * child then share a plain local socket: whoever reads or writes, the
 * stream stays one, and a sandboxed child (sshd's preauth child: read,
 * write and poll only) never needs a thread or a network call of ours.
 *
 * The fds the keeper took keep answering as the TCP socket did: the
 * addresses, SO_DOMAIN/SO_PROTOCOL, and the options the program sets
 * (recorded; the keeper's connection keeps those it had).  That table
 * lives here, apart from the registry, so that every other hook sees a
 * plain socket.
 *
 * Converted, at the first fork() of the process holding it: every
 * CONNECTED or SUSPENDED rock, FD_CLOEXEC or not (sshd marks its socket
 * so and serves it from forked children that never exec).  Once is
 * enough: a kept fd is a local socket that later forks share for free.
 * Not converted: on posix_spawn, system() and popen() (glibc runs no fork
 * hook there; exec.c carries the rocks the new program keeps), vfork, and
 * undecided accepted connections (exec carries them; the first read in
 * whichever process decides).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/exec.h"
#include "librocks/keep.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define KEEP_MAX        64      /* fd names answered as TCP sockets */
#define KEEP_OPTS       8
#define KEEP_START_MS   3000    /* the keeper says it holds the rock */
/* the keeper's fds: the TCP socket, the state, its end of the pair */
#define KEEP_FD_TCP     3
#define KEEP_FD_STATE   4
#define KEEP_FD_PAIR    5

struct keep_ent {
	int       used;
	int       fd;
	dev_t     dev;                  /* the pair's end the fd named */
	ino_t     ino;
	int       family;
	struct sockaddr_storage peer, local;
	socklen_t peerlen, locallen;
	struct rock_sockopt opts[KEEP_OPTS];
	int       nopts;
};

static struct keep_ent keep_tab[KEEP_MAX];
/* ids of rocks handed to keepers, the latest KEEP_IDS (keep_handed) */
#define KEEP_IDS        32
static uint8_t keep_ids[KEEP_IDS][ROCKS_ID_LEN];
static unsigned keep_nids;
static int keep_n;                      /* entries in use (atomic) */
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;

extern char **environ;

/* ---- the table ------------------------------------------------------------ */

/* The entry of fd; fd -1: a free one. */
static struct keep_ent *
keep_find(int fd)
{
	for (int i = 0; i < KEEP_MAX; i++)
		if (fd < 0 ? !keep_tab[i].used :
		    keep_tab[i].used && keep_tab[i].fd == fd)
			return &keep_tab[i];
	return NULL;
}

/*
 * e's fd still names the pair's end: not closed behind our back (closefrom,
 * close_range) and reused.  Otherwise the entry goes (keep_lock held).
 */
static struct keep_ent *
keep_valid(struct keep_ent *e)
{
	struct stat st;

	if (e == NULL)
		return NULL;
	if (syscall(SYS_fstat, e->fd, &st) == 0 && st.st_dev == e->dev &&
	    st.st_ino == e->ino)
		return e;
	e->used = 0;
	__atomic_sub_fetch(&keep_n, 1, __ATOMIC_ACQ_REL);
	return NULL;
}

static int
keep_any(void)
{
	return __atomic_load_n(&keep_n, __ATOMIC_ACQUIRE) > 0;
}

/* Forgets fd (closed, or replaced by dup2). */
void
keep_close(int fd)
{
	struct keep_ent *e;

	if (!keep_any() || fd < 0)
		return;
	pthread_mutex_lock(&keep_lock);
	if ((e = keep_find(fd)) != NULL) {
		e->used = 0;
		__atomic_sub_fetch(&keep_n, 1, __ATOMIC_ACQ_REL);
	}
	pthread_mutex_unlock(&keep_lock);
}

/* newfd now names what oldfd names. */
void
keep_dup(int oldfd, int newfd)
{
	struct keep_ent *e, *f;

	if (!keep_any() || newfd < 0 || oldfd == newfd)
		return;
	keep_close(newfd);
	pthread_mutex_lock(&keep_lock);
	if ((e = keep_find(oldfd)) != NULL && (f = keep_find(-1)) != NULL) {
		*f = *e;
		f->fd = newfd;
		__atomic_add_fetch(&keep_n, 1, __ATOMIC_ACQ_REL);
	}
	pthread_mutex_unlock(&keep_lock);
}

static int
keep_copy_addr(const struct sockaddr_storage *ss, socklen_t sslen,
    struct sockaddr *out, socklen_t *outlen)
{
	if (out == NULL || outlen == NULL)
		return -EFAULT;
	memcpy(out, ss, *outlen < sslen ? *outlen : sslen);
	*outlen = sslen;
	return 0;
}

int
keep_name(int fd, int peer, struct sockaddr *sa, socklen_t *len, int *rc)
{
	struct keep_ent *e;
	int r;

	if (!keep_any())
		return 0;
	pthread_mutex_lock(&keep_lock);
	if ((e = keep_valid(keep_find(fd))) == NULL) {
		pthread_mutex_unlock(&keep_lock);
		return 0;
	}
	r = peer ? keep_copy_addr(&e->peer, e->peerlen, sa, len) :
	    keep_copy_addr(&e->local, e->locallen, sa, len);
	pthread_mutex_unlock(&keep_lock);
	*rc = r < 0 ? (errno = -r, -1) : 0;
	return 1;
}

int
keep_setsockopt(int fd, int level, int name, const void *val, socklen_t len,
    int *rc)
{
	struct keep_ent *e;
	int i;

	if (!keep_any())
		return 0;
	pthread_mutex_lock(&keep_lock);
	if ((e = keep_valid(keep_find(fd))) == NULL) {
		pthread_mutex_unlock(&keep_lock);
		return 0;
	}
	*rc = 0;
	if (val == NULL || len > sizeof e->opts[0].val) {
		errno = val == NULL ? EFAULT : EINVAL;
		*rc = -1;
		pthread_mutex_unlock(&keep_lock);
		return 1;
	}
	for (i = 0; i < e->nopts; i++)
		if (e->opts[i].level == level && e->opts[i].name == name)
			break;
	if (i == e->nopts && e->nopts < KEEP_OPTS)
		e->nopts++;
	if (i < e->nopts) {
		e->opts[i].level = level;
		e->opts[i].name = name;
		e->opts[i].len = len;
		memcpy(e->opts[i].val, val, len);
	}
	pthread_mutex_unlock(&keep_lock);
	return 1;
}

int
keep_getsockopt(int fd, int level, int name, void *val, socklen_t *len,
    int *rc)
{
	struct keep_ent *e;
	const void *src = NULL;
	socklen_t n = sizeof(int);
	int v = 0, i;

	if (!keep_any())
		return 0;
	pthread_mutex_lock(&keep_lock);
	if ((e = keep_valid(keep_find(fd))) == NULL) {
		pthread_mutex_unlock(&keep_lock);
		return 0;
	}
	for (i = 0; i < e->nopts; i++)
		if (e->opts[i].level == level && e->opts[i].name == name) {
			src = e->opts[i].val;
			n = e->opts[i].len;
		}
	if (src == NULL && level == SOL_SOCKET && name == SO_DOMAIN)
		v = e->family;
	else if (src == NULL && level == SOL_SOCKET && name == SO_PROTOCOL)
		v = IPPROTO_TCP;
	else if (src == NULL && (level == IPPROTO_TCP || level == IPPROTO_IP ||
	    level == IPPROTO_IPV6)) {
		v = 0;          /* never set by the program: the default */
	} else if (src == NULL) {
		pthread_mutex_unlock(&keep_lock);
		return 0;       /* SOL_SOCKET ones the pair answers (SO_TYPE...) */
	}
	if (src == NULL)
		src = &v;
	if (val == NULL || len == NULL) {
		errno = EFAULT;
		*rc = -1;
	} else {
		memcpy(val, src, *len < n ? *len : n);
		*len = *len < n ? *len : n;
		*rc = 0;
	}
	pthread_mutex_unlock(&keep_lock);
	return 1;
}

/* ---- handing a rock to a keeper -------------------------------------------- */

int
keep_handed(const uint8_t id[ROCKS_ID_LEN])
{
	unsigned i, n;
	int found = 0;

	pthread_mutex_lock(&keep_lock);
	n = keep_nids < KEEP_IDS ? keep_nids : KEEP_IDS;
	for (i = 0; i < n && !found; i++)
		found = memcmp(keep_ids[i], id, ROCKS_ID_LEN) == 0;
	pthread_mutex_unlock(&keep_lock);
	return found;
}

static void
keep_note_id(const uint8_t id[ROCKS_ID_LEN])
{
	pthread_mutex_lock(&keep_lock);
	memcpy(keep_ids[keep_nids++ % KEEP_IDS], id, ROCKS_ID_LEN);
	pthread_mutex_unlock(&keep_lock);
}

/* rocks-keeper beside librocks.so ($EVICT_ROCKS_KEEPER overrides). */
static const char *
keep_path(void)
{
	static char path[4096];
	static int done;
	const char *env = secure_getenv("EVICT_ROCKS_KEEPER");
	Dl_info di;
	char *slash;

	if (env != NULL && *env != '\0')
		return env;
	if (done)
		return path[0] != '\0' ? path : NULL;
	done = 1;
	if (dladdr((void *)keep_path, &di) == 0 || di.dli_fname == NULL ||
	    strlen(di.dli_fname) >= sizeof path - 16)
		return NULL;
	snprintf(path, sizeof path, "%s", di.dli_fname);
	if ((slash = strrchr(path, '/')) == NULL) {
		path[0] = '\0';
		return NULL;
	}
	snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
	    "rocks-keeper");
	if (access(path, X_OK) < 0) {
		path[0] = '\0';
		return NULL;
	}
	return path;
}

/* fd's copy at 10 or above, close-on-exec, past every hook. */
static int
keep_high(int fd)
{
	long n = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 10);

	return n < 0 ? -1 : (int)n;
}

static int
keep_inheritable(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFD);

	return fl >= 0 && !(fl & FD_CLOEXEC);
}

/* The environment without our preload and with the state's fd. */
static char **
keep_env(char *var, size_t varlen)
{
	size_t n, i, j = 0;
	char **env;

	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		;
	if ((env = calloc(n + 2, sizeof *env)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "EVICT_ROCKS_STATE=", 18) != 0 &&
		    strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[j++] = environ[i];
	snprintf(var, varlen, "EVICT_ROCKS_STATE=%d", KEEP_FD_STATE);
	env[j++] = var;
	env[j] = NULL;
	return env;
}

/*
 * Starts the keeper; its pid, or -1.  fds: TCP, state, pair end (all at 10
 * or above); name: the rock's fd in this process (for ps and the log).
 */
static pid_t
keep_spawn(const char *path, int tcp, int state, int pair, int stderr_ok,
    int name)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	char var[48], spid[24], sfd[24], **env;
	char *argv[] = { "rocks-keeper", spid, sfd, NULL };
	pid_t pid = -1;
	int rc;

	if ((env = keep_env(var, sizeof var)) == NULL)
		return -1;
	snprintf(spid, sizeof spid, "%ld", (long)getpid());
	snprintf(sfd, sizeof sfd, "%d", name);
	sigemptyset(&none);
	/* the program may ignore these (sshd: SIGHUP); its keeper must not */
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGQUIT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGUSR1);
	sigaddset(&dflt, SIGUSR2);
	sigaddset(&dflt, SIGALRM);
	sigaddset(&dflt, SIGCHLD);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	if (!stderr_ok)
		posix_spawn_file_actions_adddup2(&fa, 0, 2);
	posix_spawn_file_actions_adddup2(&fa, tcp, KEEP_FD_TCP);
	posix_spawn_file_actions_adddup2(&fa, state, KEEP_FD_STATE);
	posix_spawn_file_actions_adddup2(&fa, pair, KEEP_FD_PAIR);
	posix_spawn_file_actions_addclosefrom_np(&fa, KEEP_FD_PAIR + 1);
	rc = real.posix_spawn(&pid, path, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	if (rc != 0) {
		log_once(EVLOG_WARN, "cannot start %s (%s); rocks stay shared "
		    "across fork", path, strerror(rc));
		return -1;
	}
	return pid;
}

/* Waits for the keeper's word on our end of the pair: 1 it holds the rock. */
static int
keep_wait_word(int fd, pid_t pid)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t end = rock_now_ns() + KEEP_START_MS * 1000000ull, now;
	char c = 0;
	int st, n;

	/* a signal (SIGCHLD...) may cut the wait short: go on until the end */
	while ((now = rock_now_ns()) < end) {
		n = real.poll(&p, 1, (int)((end - now) / 1000000u) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1 && real.read(fd, &c, 1) == 1 && c == 'K')
			return 1;
		break;
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	return 0;
}

static void
keep_add_names(struct rock *r, const int *names, int nnames, int pair)
{
	struct stat st;

	if (syscall(SYS_fstat, pair, &st) != 0)
		return;
	pthread_mutex_lock(&keep_lock);
	for (int i = 0; i < nnames; i++) {
		struct keep_ent *e = keep_find(names[i]);

		if (e == NULL && (e = keep_find(-1)) == NULL)
			break;
		if (!e->used)
			__atomic_add_fetch(&keep_n, 1, __ATOMIC_ACQ_REL);
		memset(e, 0, sizeof *e);
		e->used = 1;
		e->fd = names[i];
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->family = r->peer.ss_family;
		e->peer = r->peer;
		e->peerlen = r->peerlen;
		e->local = r->local;
		e->locallen = r->locallen;
		for (int k = 0; k < r->nopts && e->nopts < KEEP_OPTS; k++)
			e->opts[e->nopts++] = r->opts[k];
	}
	pthread_mutex_unlock(&keep_lock);
}

/*
 * Moves r to a keeper; 0 done, < 0 not (the rock stays as it was).  The
 * caller holds a reference; r is on the list.
 */
static int
keep_convert(struct rock *r, const char *path)
{
	int names[9], nnames = 0, sp[2] = { -1, -1 };
	int state = -1, tcp = -1, state_hi = -1, pair_hi = -1, i, rc = -1;
	pid_t pid;

	names[nnames++] = r->fd;
	for (i = 0; i < r->ndups; i++)
		names[nnames++] = r->dups[i];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	if ((state = rock_exec_prepare_one(r, KEEP_FD_TCP)) < 0 ||
	    (tcp = keep_high(r->fd)) < 0 || (state_hi = keep_high(state)) < 0 ||
	    (pair_hi = keep_high(sp[1])) < 0)
		goto out;
	{
		int err_is_rock = 0;

		for (i = 0; i < nnames; i++)
			err_is_rock |= names[i] == 2;
		pid = keep_spawn(path, tcp, state_hi, pair_hi, !err_is_rock,
		    names[0]);
	}
	if (pid < 0)
		goto out;
	real.close(pair_hi);
	pair_hi = -1;
	real.close(sp[1]);
	sp[1] = -1;
	if (!keep_wait_word(sp[0], pid))
		goto out;
	/* the keeper holds it: off the list first, so no heartbeat of ours */
	keep_note_id(r->id);
	rock_list_del(r);
	pthread_mutex_lock(&r->tx_lock);
	pthread_mutex_lock(&r->rx_lock);
	for (i = 0; i < r->neps; i++)
		(void)real.epoll_ctl(r->eps[i].epfd, EPOLL_CTL_DEL, r->fd, NULL);
	if (r->nonblock)
		(void)syscall(SYS_fcntl, sp[0], F_SETFL, O_NONBLOCK);
	keep_add_names(r, names, nnames, sp[0]);
	for (i = 0; i < nnames; i++) {
		int cloexec = !keep_inheritable(names[i]);

		rock_unbind_fd(names[i]);
		(void)real.dup3(sp[0], names[i], cloexec ? O_CLOEXEC : 0);
	}
	for (i = 0; i < r->neps; i++) {
		struct epoll_event ev = r->eps[i].ev;

		(void)real.epoll_ctl(r->eps[i].epfd, EPOLL_CTL_ADD, names[0], &ev);
	}
	r->neps = 0;
	r->fd = -1;
	r->ndups = 0;
	r->refs = 0;
	pthread_mutex_unlock(&r->rx_lock);
	pthread_mutex_unlock(&r->tx_lock);
	log_info("fork: rock %d handed to keeper %ld (fds shared through a "
	    "local socket)", names[0], (long)pid);
	rock_put(r);            /* the registry's hold */
	rc = 0;
out:
	if (state >= 0)
		real.close(state);
	if (state_hi >= 0)
		real.close(state_hi);
	if (tcp >= 0)
		real.close(tcp);
	if (pair_hi >= 0)
		real.close(pair_hi);
	if (sp[0] >= 0)
		real.close(sp[0]);
	if (sp[1] >= 0)
		real.close(sp[1]);
	return rc;
}

struct keep_pick {
	struct rock *v[16];
	int n;
};

static void
keep_pick(struct rock *r, void *arg)
{
	struct keep_pick *p = arg;

	if (p->n == (int)(sizeof p->v / sizeof p->v[0]) || r->fd < 0 ||
	    r->app_closed || r->reconnector ||
	    (r->state != ROCK_CONNECTED && r->state != ROCK_SUSPENDED))
		return;
	rock_get(r);
	p->v[p->n++] = r;
}

void
keep_before_fork(void)
{
	struct keep_pick p = { .n = 0 };
	const char *path;
	int i;

	rock_foreach(keep_pick, &p);
	if (p.n == 0)
		return;
	path = keep_path();
	for (i = 0; i < p.n; i++) {
		if (path == NULL)
			log_once(EVLOG_WARN, "no rocks-keeper beside librocks.so; "
			    "rocks stay shared across fork");
		else
			(void)keep_convert(p.v[i], path);
		rock_put(p.v[i]);
	}
}

/*
 * gv-target: a program for the injection tests to hijack.
 *
 *   gv-target -d DIR [-m poll|ppoll|epoll|select] [-p N] [-c N]
 *             [--ignore-trap] [--block-trap] [-T SECONDS]
 *   gv-target --sigq PID COUNT [INTERVAL_US]
 *
 * The main thread waits in an event loop (poll by default, 1 s timeout) on
 * a periodic timerfd (10 ms) and on the command FIFO DIR/cmd, which it
 * makes.  -p N starts N threads blocked in poll(-1) on an eventfd, -c N
 * starts N threads blocked in pthread_cond_wait.  When it is ready it
 * writes DIR/ready (its pid).  Commands, one a line:
 *
 *   status N   wakes every extra thread, waits (up to 2 s) until each has
 *              answered, and writes DIR/status.N (atomically) as one line:
 *                pid= iter= ticks= eintr= eintr_sig= rt= rt_sum= rt_bad=
 *                usr1= maskbad= threads_ok= threads= trap= trapblk=
 *   quit       exits 0
 *
 * eintr counts the waits that failed with EINTR while no signal handler
 * had run (what an injection must never cause); eintr_sig those a handler
 * explains.  rt, rt_sum, rt_bad: SIGRTMIN+1 signals received, the sum of
 * their sigqueue values, and how many lacked si_code SI_QUEUE (a signal
 * re-queued without its siginfo).  maskbad counts loop turns that found the
 * signal mask changed (ppoll mode waits with SIGUSR2 unblocked, runs with
 * it blocked).  trap: SIGTRAP's action (dfl, ign, hdl); trapblk: whether
 * the main thread blocks it.  The program ends by itself after -T seconds
 * (default 900).
 *
 * --sigq sends COUNT SIGRTMIN+1 signals to PID with sigqueue, values 1 to
 * COUNT, INTERVAL_US apart (default 200), and prints "sent COUNT".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define GVT_MAX_THREADS	64
#define GVT_TICK_NS	10000000L	/* timerfd period */

enum gvt_mode { GVT_POLL, GVT_PPOLL, GVT_EPOLL, GVT_SELECT };

struct gvt_thread {
	pthread_t	th;
	int		efd;		/* poll threads: their eventfd */
	int		cond;		/* waits in the condition variable */
	atomic_ulong	seen;		/* last generation answered */
	atomic_ulong	eintr;
};

static const char *gvt_dir;
static int gvt_mode = GVT_POLL;
static struct gvt_thread gvt_threads[GVT_MAX_THREADS];
static int gvt_nthreads;
static atomic_ulong gvt_gen;
static pthread_mutex_t gvt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gvt_cv = PTHREAD_COND_INITIALIZER;

static volatile sig_atomic_t gvt_handled;
static volatile sig_atomic_t gvt_rt, gvt_rt_bad, gvt_usr1;
static volatile long gvt_rt_sum;
static sigset_t gvt_runmask;		/* the main thread's normal mask */

static unsigned long gvt_iter, gvt_ticks, gvt_eintr, gvt_eintr_sig;
static unsigned long gvt_maskbad;

static void
gvt_die(const char *what)
{
	fprintf(stderr, "gv-target: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
gvt_on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	gvt_rt++;
	gvt_rt_sum += si->si_value.sival_int;
	if (si->si_code != SI_QUEUE)
		gvt_rt_bad++;
	gvt_handled++;
}

static void
gvt_on_usr(int sig)
{
	if (sig == SIGUSR1)
		gvt_usr1++;
	gvt_handled++;
}

static int
gvt_sigequal(const sigset_t *a, const sigset_t *b)
{
	int i;

	for (i = 1; i <= SIGRTMAX; i++)
		if (sigismember(a, i) != sigismember(b, i))
			return 0;
	return 1;
}

static void *
gvt_worker(void *arg)
{
	struct gvt_thread *t = arg;
	struct pollfd pfd;
	uint64_t v;
	unsigned long g;

	for (;;) {
		if (t->cond) {
			pthread_mutex_lock(&gvt_lock);
			while ((g = atomic_load(&gvt_gen)) ==
			    atomic_load(&t->seen))
				pthread_cond_wait(&gvt_cv, &gvt_lock);
			pthread_mutex_unlock(&gvt_lock);
			atomic_store(&t->seen, g);
			continue;
		}
		pfd.fd = t->efd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				atomic_fetch_add(&t->eintr, 1);
			continue;
		}
		if (read(t->efd, &v, sizeof v) == (ssize_t)sizeof v)
			atomic_store(&t->seen, atomic_load(&gvt_gen));
	}
	return NULL;
}

static void
gvt_start_threads(int npoll, int ncond)
{
	sigset_t all, old;
	int i;

	if (npoll + ncond > GVT_MAX_THREADS) {
		fprintf(stderr, "gv-target: at most %d threads\n",
		    GVT_MAX_THREADS);
		exit(2);
	}
	/* Signals are the main thread's: workers block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < npoll + ncond; i++) {
		struct gvt_thread *t = &gvt_threads[i];

		t->cond = i >= npoll;
		t->efd = -1;
		if (!t->cond && (t->efd = eventfd(0, EFD_CLOEXEC)) < 0)
			gvt_die("eventfd");
		if (pthread_create(&t->th, NULL, gvt_worker, t) != 0)
			gvt_die("pthread_create");
		gvt_nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Wakes every worker with a new generation; waits for their answers. */
static int
gvt_kick_threads(void)
{
	struct timespec ts = { 0, 1000000 };
	unsigned long g;
	uint64_t one = 1;
	int i, ok = 0, round;

	pthread_mutex_lock(&gvt_lock);
	g = atomic_fetch_add(&gvt_gen, 1) + 1;
	pthread_cond_broadcast(&gvt_cv);
	pthread_mutex_unlock(&gvt_lock);
	for (i = 0; i < gvt_nthreads; i++)
		if (!gvt_threads[i].cond &&
		    write(gvt_threads[i].efd, &one, sizeof one) < 0)
			gvt_die("eventfd write");
	for (round = 0; round < 2000; round++) {
		ok = 0;
		for (i = 0; i < gvt_nthreads; i++)
			ok += atomic_load(&gvt_threads[i].seen) >= g;
		if (ok == gvt_nthreads)
			break;
		nanosleep(&ts, NULL);
	}
	return ok;
}

static void
gvt_status(const char *arg)
{
	char tmp[PATH_MAX], fin[PATH_MAX], line[1024];
	struct sigaction sa;
	sigset_t cur;
	unsigned long weintr = 0;
	const char *trap;
	int ok, i, fd, n;

	if (strspn(arg, "0123456789") != strlen(arg) || arg[0] == '\0')
		return;
	ok = gvt_kick_threads();
	for (i = 0; i < gvt_nthreads; i++)
		weintr += atomic_load(&gvt_threads[i].eintr);
	sigaction(SIGTRAP, NULL, &sa);
	trap = sa.sa_handler == SIG_IGN ? "ign" :
	    sa.sa_handler == SIG_DFL ? "dfl" : "hdl";
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	n = snprintf(line, sizeof line,
	    "pid=%d iter=%lu ticks=%lu eintr=%lu eintr_sig=%lu rt=%d "
	    "rt_sum=%ld rt_bad=%d usr1=%d maskbad=%lu threads_ok=%d "
	    "threads=%d trap=%s trapblk=%d\n", (int)getpid(), gvt_iter,
	    gvt_ticks, gvt_eintr + weintr, gvt_eintr_sig, (int)gvt_rt,
	    (long)gvt_rt_sum, (int)gvt_rt_bad, (int)gvt_usr1, gvt_maskbad,
	    ok, gvt_nthreads, trap, sigismember(&cur, SIGTRAP));
	snprintf(tmp, sizeof tmp, "%s/.status.%s", gvt_dir, arg);
	snprintf(fin, sizeof fin, "%s/status.%s", gvt_dir, arg);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		gvt_die(tmp);
	if (write(fd, line, (size_t)n) != n)
		gvt_die("write status");
	close(fd);
	if (rename(tmp, fin) != 0)
		gvt_die("rename");
}

/* Reads the FIFO; runs each complete line. */
static void
gvt_commands(int fd)
{
	static char buf[1024];
	static size_t len;
	char *nl, *line;
	ssize_t n;

	n = read(fd, buf + len, sizeof buf - 1 - len);
	if (n <= 0)
		return;
	len += (size_t)n;
	buf[len] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		line = buf;
		if (strcmp(line, "quit") == 0)
			exit(0);
		if (strncmp(line, "status ", 7) == 0)
			gvt_status(line + 7);
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len + 1);
	}
	if (len == sizeof buf - 1)
		len = 0;	/* a line too long: drop it */
}

/* One wait in the chosen system call; returns its result (errno kept). */
static int
gvt_wait(int cmdfd, int tfd, int ep, int *rcmd, int *rtimer)
{
	struct pollfd pfd[2] = { { cmdfd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
	struct timespec ts = { 1, 0 };
	struct timeval tv = { 1, 0 };
	struct epoll_event ev[4];
	sigset_t waitmask;
	fd_set rfds;
	int r, i;

	*rcmd = *rtimer = 0;
	switch (gvt_mode) {
	case GVT_PPOLL:
		waitmask = gvt_runmask;
		sigdelset(&waitmask, SIGUSR2);
		r = ppoll(pfd, 2, &ts, &waitmask);
		break;
	case GVT_EPOLL:
		r = epoll_wait(ep, ev, 4, 1000);
		for (i = 0; i < r; i++) {
			*rcmd |= ev[i].data.fd == cmdfd;
			*rtimer |= ev[i].data.fd == tfd;
		}
		return r;
	case GVT_SELECT:
		FD_ZERO(&rfds);
		FD_SET(cmdfd, &rfds);
		FD_SET(tfd, &rfds);
		r = select((cmdfd > tfd ? cmdfd : tfd) + 1, &rfds, NULL, NULL,
		    &tv);
		if (r > 0) {
			*rcmd = FD_ISSET(cmdfd, &rfds);
			*rtimer = FD_ISSET(tfd, &rfds);
		}
		return r;
	default:
		r = poll(pfd, 2, 1000);
		break;
	}
	if (r > 0) {
		*rcmd = (pfd[0].revents & POLLIN) != 0;
		*rtimer = (pfd[1].revents & POLLIN) != 0;
	}
	return r;
}

static void
gvt_loop(int lifetime_s)
{
	struct itimerspec its = { { 0, GVT_TICK_NS }, { 0, GVT_TICK_NS } };
	struct epoll_event ev;
	struct timespec start, now;
	char fn[PATH_MAX];
	sigset_t cur;
	uint64_t exp;
	int cmdfd, tfd, ep = -1, r, rc, rt, fd, saved;
	sig_atomic_t h0;

	snprintf(fn, sizeof fn, "%s/cmd", gvt_dir);
	if (mkfifo(fn, 0600) != 0 && errno != EEXIST)
		gvt_die(fn);
	/* O_RDWR: the FIFO never reports end-of-file between writers. */
	if ((cmdfd = open(fn, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		gvt_die(fn);
	if ((tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		gvt_die("timerfd_create");
	if (timerfd_settime(tfd, 0, &its, NULL) != 0)
		gvt_die("timerfd_settime");
	if (gvt_mode == GVT_EPOLL) {
		if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			gvt_die("epoll_create1");
		ev.events = EPOLLIN;
		ev.data.fd = cmdfd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cmdfd, &ev) != 0)
			gvt_die("epoll_ctl");
		ev.data.fd = tfd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0)
			gvt_die("epoll_ctl");
	}
	snprintf(fn, sizeof fn, "%s/ready", gvt_dir);
	if ((fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		gvt_die(fn);
	dprintf(fd, "%d\n", (int)getpid());
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		gvt_iter++;
		h0 = gvt_handled;
		r = gvt_wait(cmdfd, tfd, ep, &rc, &rt);
		saved = errno;
		pthread_sigmask(SIG_BLOCK, NULL, &cur);
		if (!gvt_sigequal(&cur, &gvt_runmask))
			gvt_maskbad++;
		if (r < 0) {
			if (saved != EINTR)
				gvt_die("wait");
			if (gvt_handled != h0)
				gvt_eintr_sig++;
			else
				gvt_eintr++;
			continue;
		}
		if (rt && read(tfd, &exp, sizeof exp) == (ssize_t)sizeof exp)
			gvt_ticks += exp;
		if (rc)
			gvt_commands(cmdfd);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > lifetime_s)
			exit(3);
	}
}

static int
gvt_sigq(int argc, char **argv)
{
	struct timespec ts = { 0, 0 }, eagain = { 0, 100000 };
	union sigval v;
	long pid, count, us = 200, i, tries;

	if (argc < 2 || argc > 3)
		return 2;
	pid = strtol(argv[0], NULL, 10);
	count = strtol(argv[1], NULL, 10);
	if (argc == 3)
		us = strtol(argv[2], NULL, 10);
	if (pid <= 0 || count <= 0 || count > 1000000 || us < 0)
		return 2;
	ts.tv_nsec = us * 1000 % 1000000000;
	ts.tv_sec = us / 1000000;
	for (i = 1; i <= count; i++) {
		v.sival_int = (int)i;
		for (tries = 0; sigqueue((pid_t)pid, SIGRTMIN + 1, v) != 0;
		    tries++) {
			if (errno != EAGAIN || tries > 10000)
				gvt_die("sigqueue");
			nanosleep(&eagain, NULL);
		}
		if (us > 0)
			nanosleep(&ts, NULL);
	}
	printf("sent %ld\n", count);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ignore-trap", no_argument, NULL, 'I' },
		{ "block-trap", no_argument, NULL, 'B' },
		{ "sigq", no_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	int c, npoll = 0, ncond = 0, ignore_trap = 0, block_trap = 0;
	int lifetime = 900;

	while ((c = getopt_long(argc, argv, "d:m:p:c:T:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			gvt_dir = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "poll") == 0)
				gvt_mode = GVT_POLL;
			else if (strcmp(optarg, "ppoll") == 0)
				gvt_mode = GVT_PPOLL;
			else if (strcmp(optarg, "epoll") == 0)
				gvt_mode = GVT_EPOLL;
			else if (strcmp(optarg, "select") == 0)
				gvt_mode = GVT_SELECT;
			else
				return 2;
			break;
		case 'p':
			npoll = atoi(optarg);
			break;
		case 'c':
			ncond = atoi(optarg);
			break;
		case 'T':
			lifetime = atoi(optarg);
			break;
		case 'I':
			ignore_trap = 1;
			break;
		case 'B':
			block_trap = 1;
			break;
		case 'Q':
			return gvt_sigq(argc - optind, argv + optind);
		default:
			return 2;
		}
	}
	if (gvt_dir == NULL || npoll < 0 || ncond < 0 || lifetime <= 0) {
		fprintf(stderr, "usage: gv-target -d DIR [-m poll|ppoll|epoll|"
		    "select] [-p N] [-c N] [--ignore-trap] [--block-trap] "
		    "[-T S]\n       gv-target --sigq PID COUNT "
		    "[INTERVAL_US]\n");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = gvt_on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = gvt_on_usr;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	if (ignore_trap)
		signal(SIGTRAP, SIG_IGN);
	sigemptyset(&gvt_runmask);
	if (gvt_mode == GVT_PPOLL)
		sigaddset(&gvt_runmask, SIGUSR2);
	if (block_trap)
		sigaddset(&gvt_runmask, SIGTRAP);
	gvt_start_threads(npoll, ncond);
	pthread_sigmask(SIG_SETMASK, &gvt_runmask, NULL);
	gvt_loop(lifetime);
	return 0;
}

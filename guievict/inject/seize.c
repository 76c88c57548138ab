/* seize: see seize.h. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "guievict/inject/cause.h"
#include "guievict/inject/preflight.h"
#include "guievict/inject/seize.h"

#define SEIZE_MAX_PASSES	32	/* task listings until stable */
#define SEIZE_MAX_PASSBACK	1000	/* signals handed back to one thread */
#define SEIZE_SPIN_NS		200000	/* sched_yield before sleeping */
#define SEIZE_SLEEP_MIN_NS	20000
#define SEIZE_SLEEP_MAX_NS	2000000

uint64_t
seize_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
seize_wait(pid_t tid, int *status, uint64_t deadline_ns)
{
	uint64_t start = seize_now_ns(), now, step = SEIZE_SLEEP_MIN_NS;
	struct timespec ts;
	pid_t r;

	for (;;) {
		r = waitpid(tid, status, __WALL | WNOHANG);
		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		now = seize_now_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		if (now - start < SEIZE_SPIN_NS) {
			sched_yield();
			continue;
		}
		if (step > deadline_ns - now)
			step = deadline_ns - now;
		ts.tv_sec = (time_t)(step / 1000000000u);
		ts.tv_nsec = (long)(step % 1000000000u);
		nanosleep(&ts, NULL);
		if (step < SEIZE_SLEEP_MAX_NS)
			step *= 2;
	}
}

struct seize_thread *
seize_find(struct seize_set *s, pid_t tid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->t[i].tid == tid)
			return &s->t[i];
	return NULL;
}

void
seize_free(struct seize_set *s)
{
	free(s->t);
	s->t = NULL;
	s->n = s->cap = 0;
}

static int
seize_add(struct seize_set *s, pid_t tid)
{
	struct seize_thread *nt;
	size_t ncap;

	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 16;
		if ((nt = reallocarray(s->t, ncap, sizeof *nt)) == NULL)
			return -ENOMEM;
		s->t = nt;
		s->cap = ncap;
	}
	memset(&s->t[s->n], 0, sizeof s->t[s->n]);
	s->t[s->n].tid = tid;
	s->t[s->n].state = SEIZE_NEW;
	s->n++;
	return 0;
}

char
seize_thread_state(pid_t pid, pid_t tid)
{
	char fn[64], buf[512], *p;
	FILE *f;
	char st = 0;

	snprintf(fn, sizeof fn, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if ((f = fopen(fn, "re")) == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		st = p[2];
	fclose(f);
	return st;
}

/* True when /proc/PID/task/TID is gone, a zombie or dead. */
static int
seize_thread_dead(pid_t pid, pid_t tid)
{
	char st = seize_thread_state(pid, tid);

	return st == 0 || st == 'Z' || st == 'X' || st == 'x';
}

pid_t
seize_find_uninterruptible(pid_t pid)
{
	char fn[64], *end;
	struct dirent *de;
	DIR *d;
	long v;
	pid_t found = 0;

	snprintf(fn, sizeof fn, "/proc/%d/task", (int)pid);
	if ((d = opendir(fn)) == NULL)
		return 0;
	while (found == 0 && (de = readdir(d)) != NULL) {
		errno = 0;
		v = strtol(de->d_name, &end, 10);
		if (*end != '\0' || v <= 0 || errno != 0)
			continue;
		if (seize_thread_state(pid, (pid_t)v) == 'D')
			found = (pid_t)v;
	}
	closedir(d);
	return found;
}

/* Lists the threads not yet in the set; returns how many were added. */
static int
seize_list(struct seize_set *s, char *cause, size_t causelen)
{
	char fn[64], *end;
	struct dirent *de;
	DIR *d;
	long v;
	int added = 0, r;

	snprintf(fn, sizeof fn, "/proc/%d/task", (int)s->pid);
	if ((d = opendir(fn)) == NULL) {
		r = errno == ENOENT ? -ESRCH : -errno;
		return cause_set(cause, causelen, r, "process %d: %s: %s",
		    (int)s->pid, fn, strerror(-r));
	}
	while ((de = readdir(d)) != NULL) {
		errno = 0;
		v = strtol(de->d_name, &end, 10);
		if (*end != '\0' || v <= 0 || errno != 0)
			continue;
		if (seize_find(s, (pid_t)v) != NULL)
			continue;
		if (seize_thread_dead(s->pid, (pid_t)v))
			continue;
		if ((r = seize_add(s, (pid_t)v)) != 0) {
			closedir(d);
			return cause_set(cause, causelen, r, "out of memory");
		}
		added++;
	}
	closedir(d);
	return added;
}

/* TracerPid of one thread, 0 when none or unknown. */
static pid_t
seize_tracer(pid_t pid, pid_t tid)
{
	struct preflight_status st;
	char fn[64];

	snprintf(fn, sizeof fn, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (preflight_read_status(fn, &st) != 0)
		return 0;
	return st.tracer;
}

/*
 * Waits for t's first stop after the interrupt.  Signals it dequeues on
 * the way are handed back at once (their handler runs; the interrupt,
 * still pending, stops the thread right after).
 */
static int
seize_wait_stop(struct seize_set *s, struct seize_thread *t,
    uint64_t deadline_ns, char *cause, size_t causelen)
{
	int st, r, sig, ev, n;

	for (n = 0; n < SEIZE_MAX_PASSBACK; n++) {
		r = seize_wait(t->tid, &st, deadline_ns);
		if (r == -ETIMEDOUT)
			return cause_set(cause, causelen, r,
			    "thread %d of process %d did not stop in time "
			    "(an uninterruptible sleep, state D?)",
			    (int)t->tid, (int)s->pid);
		if (r == -ECHILD) {
			t->state = SEIZE_GONE;
			return 0;
		}
		if (r != 0)
			return cause_set(cause, causelen, r, "waitpid %d: %s",
			    (int)t->tid, strerror(-r));
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			t->state = SEIZE_GONE;
			return 0;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		ev = st >> 16;
		if (ev == PTRACE_EVENT_STOP) {
			t->state = SEIZE_STOPPED;
			t->group_stop = sig != SIGTRAP;
			return 0;
		}
		if (ev != 0 || sig == (SIGTRAP | 0x80))
			sig = 0;	/* no event or syscall stop asked for */
		else
			s->passed++;
		if (ptrace(PTRACE_CONT, t->tid, NULL,
		    (void *)(long)sig) != 0 && errno != ESRCH)
			return cause_set(cause, causelen, -errno,
			    "PTRACE_CONT %d: %s", (int)t->tid,
			    strerror(errno));
	}
	return cause_set(cause, causelen, -EAGAIN,
	    "thread %d of process %d kept receiving signals; it never stopped",
	    (int)t->tid, (int)s->pid);
}

int
seize_stop_all(struct seize_set *s, pid_t pid, uint64_t deadline_ns,
    char *cause, size_t causelen)
{
	struct seize_thread *t;
	size_t i;
	int pass, added, r, alive;
	pid_t tracer;

	memset(s, 0, sizeof *s);
	s->pid = pid;
	for (pass = 0; pass < SEIZE_MAX_PASSES; pass++) {
		if ((added = seize_list(s, cause, causelen)) < 0)
			return added;
		if (added == 0 && pass > 0)
			break;
		for (i = 0; i < s->n; i++) {
			t = &s->t[i];
			if (t->state != SEIZE_NEW)
				continue;
			if (ptrace(PTRACE_SEIZE, t->tid, NULL,
			    (void *)(long)PTRACE_O_TRACESYSGOOD) != 0) {
				if (errno == ESRCH) {
					t->state = SEIZE_GONE;
					continue;
				}
				r = -errno;
				t->state = SEIZE_GONE;
				if (r == -EPERM &&
				    (tracer = seize_tracer(pid, t->tid)) > 0)
					return cause_set(cause, causelen,
					    -EBUSY, "thread %d of process %d "
					    "is already traced by process %d; "
					    "detach that debugger first",
					    (int)t->tid, (int)pid,
					    (int)tracer);
				return cause_set(cause, causelen, r,
				    "ptrace(PTRACE_SEIZE) of thread %d of "
				    "process %d: %s", (int)t->tid, (int)pid,
				    strerror(-r));
			}
			t->state = SEIZE_RUNNING;
			if (s->t_first_ns == 0)
				s->t_first_ns = seize_now_ns();
			if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) != 0 &&
			    errno != ESRCH)
				return cause_set(cause, causelen, -errno,
				    "ptrace(PTRACE_INTERRUPT) %d: %s",
				    (int)t->tid, strerror(errno));
		}
		for (i = 0; i < s->n; i++) {
			t = &s->t[i];
			if (t->state != SEIZE_RUNNING)
				continue;
			r = seize_wait_stop(s, t, deadline_ns, cause, causelen);
			if (r != 0)
				return r;
		}
	}
	if (pass == SEIZE_MAX_PASSES)
		return cause_set(cause, causelen, -EAGAIN,
		    "process %d keeps making threads", (int)pid);
	alive = 0;
	for (i = 0; i < s->n; i++)
		alive += s->t[i].state == SEIZE_STOPPED;
	if (alive == 0)
		return cause_set(cause, causelen, -ESRCH,
		    "process %d exited", (int)pid);
	return 0;
}

int
seize_release(struct seize_set *s, uint64_t deadline_ns)
{
	struct seize_thread *t;
	size_t i;
	int r = 0;

	for (i = 0; i < s->n; i++) {
		t = &s->t[i];
		if (t->state == SEIZE_RUNNING &&
		    seize_wait_stop(s, t, deadline_ns, NULL, 0) != 0) {
			log_warn("thread %d: cannot detach before it stops",
			    (int)t->tid);
			r = -ETIMEDOUT;
			continue;
		}
		if (t->state != SEIZE_STOPPED)
			continue;
		if (t->regs_dirty &&
		    ptrace(PTRACE_SETREGS, t->tid, NULL, &t->regs) != 0)
			log_warn("thread %d: PTRACE_SETREGS: %s", (int)t->tid,
			    strerror(errno));
		t->regs_dirty = 0;
		if (ptrace(PTRACE_DETACH, t->tid, NULL, NULL) != 0 &&
		    errno != ESRCH)
			log_warn("thread %d: PTRACE_DETACH: %s", (int)t->tid,
			    strerror(errno));
		t->state = SEIZE_GONE;
	}
	s->t_end_ns = seize_now_ns();
	return r;
}

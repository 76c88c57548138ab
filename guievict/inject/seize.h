/*
 * seize: the "stop" and "resume" steps.  Every thread of a process is
 * attached with PTRACE_SEIZE and stopped with PTRACE_INTERRUPT, so the
 * program never sees a SIGSTOP; threads that appear meanwhile are found by
 * listing /proc/PID/task again until a listing brings nothing new (a
 * thread can only be made by a running one).  A signal a thread dequeues
 * before it stops (a signal-delivery-stop) is handed back to it at once,
 * with its own siginfo, and the wait goes on: nothing is lost or delayed
 * past the stop.  A thread that stops in a group-stop (the process was, or
 * became, stopped by SIGSTOP/SIGTSTP/...) counts as stopped; detaching
 * leaves it stopped, as the kernel keeps a group-stop across a detach.
 */
#ifndef EVICT_GV_SEIZE_H
#define EVICT_GV_SEIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

enum seize_state {
	SEIZE_NEW = 0,		/* listed, not attached */
	SEIZE_RUNNING,		/* attached, interrupt sent, not yet stopped */
	SEIZE_STOPPED,		/* in a ptrace stop we may work in */
	SEIZE_GONE,		/* exited, or vanished before attach */
};

struct seize_thread {
	pid_t			tid;
	int			state;
	int			group_stop;	/* stopped in a group-stop */
	int			regs_dirty;	/* SETREGS before detach */
	struct user_regs_struct	regs;		/* filled by the caller */
	long			call_nr;	/* caller's: its call number */
	int			rewound;	/* caller's: EINTR rewound */
};

struct seize_set {
	pid_t			 pid;
	struct seize_thread	*t;
	size_t			 n;
	size_t			 cap;
	int			 passed;	/* signals handed back */
	uint64_t		 t_first_ns;	/* first PTRACE_INTERRUPT */
	uint64_t		 t_end_ns;	/* last PTRACE_DETACH */
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t seize_now_ns(void);

/*
 * waitpid(tid, __WALL) until deadline_ns: 0 and *status, -ETIMEDOUT, or
 * -errno.  Spins (sched_yield) for a short while, then sleeps in growing
 * steps: the tracer never blocks past its deadline.
 */
int	seize_wait(pid_t tid, int *status, uint64_t deadline_ns);

/*
 * Attaches to and stops every thread of pid.  0 when all stopped (those
 * that exited are SEIZE_GONE); -ESRCH when the process is gone; -EPERM
 * when ptrace refused; -EBUSY when a thread is traced by somebody else;
 * -ETIMEDOUT when a thread did not stop by
 * deadline_ns (an uninterruptible sleep); cause says which.  Call
 * seize_release() in every case.
 */
int	seize_stop_all(struct seize_set *s, pid_t pid, uint64_t deadline_ns,
	    char *cause, size_t causelen);

/*
 * Writes back dirty registers and detaches every thread (a running one
 * after it stops, until deadline_ns).  0, or -ETIMEDOUT when a thread
 * could not be detached (the kernel detaches it when this process exits).
 * Records t_end_ns.
 */
int	seize_release(struct seize_set *s, uint64_t deadline_ns);

/* A thread's state letter from /proc (R, S, D, T, t, Z, ...); 0 if gone. */
char	seize_thread_state(pid_t pid, pid_t tid);

/*
 * A thread of pid in an uninterruptible sleep (state D: disk, vfork), or
 * 0.  Such a thread would stop only when the sleep ends, and a seized
 * thread cannot be detached before it stops: the rounds wait for it.
 */
pid_t	seize_find_uninterruptible(pid_t pid);

struct seize_thread *seize_find(struct seize_set *s, pid_t tid);
void	seize_free(struct seize_set *s);

#endif

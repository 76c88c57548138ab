/*
 * inject: make a running, unmodified x86_64 process load a shared library,
 * the first step of guievictor (dissertation 4.2.1, "hijacking").
 *
 * In named steps, as CRIU's compel does (docs/design/guievict-inject.md):
 *
 *   prepare  refusals first (no such process, not ours, already traced,
 *            not x86_64, ptrace_scope, no libc); dlopen and dlerror found
 *            in the target's libc.so.6 from /proc/PID/maps and the file's
 *            dynamic symbol table; nothing is stopped yet;
 *   stop     every thread (/proc/PID/task, again until no new one shows)
 *            is PTRACE_SEIZEd and PTRACE_INTERRUPTed: the program never
 *            sees a SIGSTOP; a signal met on the way is delivered at once;
 *   check    every thread must sit in an event-loop system call (the safe
 *            point; safepoint.h has the rule); otherwise all are detached,
 *            and the stop is tried again later, within opts' bounds;
 *   call     in one thread (the main thread): a scratch page is mapped by
 *            a system call run in the target, an int3 written in it, the
 *            path put on the stack below the red zone, and
 *            dlopen(path, RTLD_NOW) called with that int3 as its return
 *            address and orig_rax = -1; on NULL, dlerror() too;
 *   resume   the page is unmapped, every register restored, signals that
 *            arrived meanwhile queued again, every thread detached: each
 *            interrupted system call restarts as if nothing happened.
 *
 * Library code: returns 0 or a negative errno, never exits, and writes a
 * sentence for a person into cause (when cause is not NULL).
 */
#ifndef EVICT_GV_INJECT_H
#define EVICT_GV_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#define INJECT_TIMEOUT_MS	5000	/* default: finding a safe point */
#define INJECT_MAX_TRIES	200	/* default: stop attempts */
#define INJECT_CALL_TIMEOUT_MS	10000	/* default: dlopen in the target */
#define INJECT_CAUSE_LEN	512	/* a comfortable size for cause */

/*
 * A further safe-point rule of the caller, asked (when set) for every
 * stopped thread that passed the generic one: 0 safe, 1 not now (with a
 * reason in why; the round is retried like any other unsafe one).  call_nr
 * is the system call the thread waits in (restart_syscall decoded), regs
 * its registers; the target's memory can be read through /proc/PID/mem.
 */
typedef int (*inject_thread_check_fn)(void *arg, pid_t pid, pid_t tid,
    long call_nr, const struct user_regs_struct *regs, int is_main,
    char *why, size_t whylen);

#define INJECT_INIT_MAXARGS	4

struct inject_opts {
	/* In; 0 means the default above. */
	int		timeout_ms;	/* stop/check rounds, all together */
	int		max_tries;	/* stop/check rounds at most */
	int		call_timeout_ms; /* the remote dlopen */

	/* In, optional (NULL: none): see inject_thread_check_fn. */
	inject_thread_check_fn thread_check;
	void		*thread_check_arg;
	/*
	 * In, optional (NULL: none): after a successful dlopen, in the same
	 * stop, init_sym is looked up in the new handle (dlsym) and called
	 * with init_args[0..init_nargs-1] (integers); its return value goes
	 * to init_ret.  A missing symbol fails the injection with -ENOENT
	 * (the library stays loaded).
	 */
	const char	*init_sym;
	uint64_t	init_args[INJECT_INIT_MAXARGS];
	int		init_nargs;

	/* Out (also on failure, as far as the attempt went). */
	uint64_t	pause_ns;	/* stopped time of the calling round */
	uint64_t	total_pause_ns;	/* stopped time, all rounds */
	int		tries;		/* rounds made */
	int		nthreads;	/* threads stopped in the last round */
	int		passed_signals;	/* delivered at once while stopping */
	int		requeued_signals; /* held during the call, re-queued */
	pid_t		call_tid;	/* the thread that ran dlopen */
	uint64_t	handle;		/* dlopen's result in the target */
	int		init_called;	/* init_sym ran */
	int64_t		init_ret;	/* its return value (rax) */
};

/*
 * Loads libpath into process pid with dlopen(libpath, RTLD_NOW), running
 * its constructors there.  libpath is passed as it is: a name without a
 * slash is searched by the target's loader; a relative path is relative to
 * the target's working directory (the command makes it absolute).
 * opts may be NULL.  Returns 0, or:
 *   -ESRCH      no such process, or it died during the injection
 *   -EPERM      not ours, ptrace_scope forbids it, or ptrace refused
 *   -EBUSY      already traced (a debugger, strace)
 *   -ENOEXEC    not an x86_64 program
 *   -ENOENT     no libc.so.6 mapped (static program), or no dlopen in it
 *   -EAGAIN     no safe point within opts' bounds (the program is busy)
 *   -ELIBACC    dlopen returned NULL; cause has dlerror()'s text
 *   -EFAULT     the call crashed in the target (registers restored)
 *   -ETIMEDOUT  dlopen did not return in time (registers restored), or a
 *               thread did not stop
 *   other       a system call of ours failed
 */
int	inject_library(pid_t pid, const char *libpath, struct inject_opts *opts,
	    char *cause, size_t causelen);

#endif

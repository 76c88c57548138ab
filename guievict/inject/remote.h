/*
 * remote: the "call" step, in one stopped thread of a seized process:
 * memory through /proc/PID/mem, a system call run by the target (the
 * thread's registers pointed at a `syscall` instruction, driven with
 * PTRACE_SYSCALL from its entry to its exit stop), and a function call
 * that returns into an int3 (a SIGTRAP the tracer catches and cancels).
 *
 * Signals the thread dequeues meanwhile are held back (their siginfo
 * kept) and queued to it again by remote_requeue() just before it is let
 * go, so that none is lost and no handler of the program runs inside our
 * call.  A fault in the call (SIGSEGV, SIGBUS, SIGILL, SIGFPE or a
 * breakpoint from the kernel) ends the call with -EFAULT instead.
 */
#ifndef EVICT_GV_REMOTE_H
#define EVICT_GV_REMOTE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/*
 * Held signals kept with their siginfo (the array grows; a stop of 10 ms
 * under a storm of one signal every 100 µs holds 100 of them).
 */
#define REMOTE_MAX_HELD	32768
#define REMOTE_STACK_RED_ZONE	128

struct remote {
	pid_t		pid;
	pid_t		tid;
	int		memfd;		/* /proc/PID/mem, read-write */
	uint64_t	syscall_ip;	/* a `syscall` instruction */
	siginfo_t      *held;
	int		nheld, capheld;
	uint64_t	held_more;	/* beyond held[]: a bit per signal */
	int		dead;		/* the process died under us */
};

int	remote_open(struct remote *r, pid_t pid, pid_t tid,
	    uint64_t syscall_ip);
void	remote_close(struct remote *r);

int	remote_read(struct remote *r, uint64_t addr, void *buf, size_t len);
int	remote_write(struct remote *r, uint64_t addr, const void *buf,
	    size_t len);
/* A NUL-terminated string at addr, cut to fit buf; 0 or -errno. */
int	remote_read_str(struct remote *r, uint64_t addr, char *buf,
	    size_t len);

/*
 * Runs system call nr with up to six arguments in the thread, starting
 * from the registers base (which stay untouched in the caller); *ret gets
 * rax (a negative errno on failure).  0, -ESRCH (the process died),
 * -ETIMEDOUT, or -errno of a ptrace request.
 */
int	remote_syscall(struct remote *r, const struct user_regs_struct *base,
	    long nr, const uint64_t args[6], int64_t *ret,
	    uint64_t deadline_ns, char *cause, size_t causelen);

/*
 * Calls fn(args[0..nargs-1]) (nargs <= 6, integer arguments) on the
 * thread's stack at sp (16-byte aligned, below anything to keep), with
 * ret_ip (an int3 in the target) as its return address and orig_rax = -1
 * so that no system call restart happens in the middle.  *ret gets rax.
 * 0, -EFAULT (the call faulted: cause says where), -ETIMEDOUT (it did not
 * return by deadline_ns: the thread is stopped again, mid-call), -ESRCH.
 */
int	remote_call(struct remote *r, const struct user_regs_struct *base,
	    uint64_t fn, const uint64_t *args, int nargs, uint64_t sp,
	    uint64_t ret_ip, uint64_t *ret, uint64_t deadline_ns,
	    char *cause, size_t causelen);

/*
 * Ends the call step in an interrupt stop: the thread, given its own
 * registers back, is interrupted and let go, and stops again before it
 * runs one instruction of its own.  A thread detached from that stop
 * passes through the kernel's signal and syscall-restart code, so its
 * interrupted call restarts exactly as it would have (detaching from the
 * exit stop of our last system call would skip that code if no wake-up
 * came with the detach).  0, -ESRCH, -ETIMEDOUT.
 */
int	remote_settle(struct remote *r);

/*
 * Queues the held signals to the thread again, in order: with their own
 * siginfo when the kernel lets a tracer do so (rt_tgsigqueueinfo, for
 * si_code < 0: sigqueue, timers, async I/O), else with tgkill.  Returns
 * how many were queued.
 */
int	remote_requeue(struct remote *r);

#endif

/*
 * safepoint: the rule for when a stopped thread may be hijacked.  Pure:
 * the caller reads the registers and the two bytes before rip.
 *
 * A thread is at a safe point when it stopped on the boundary of a system
 * call (rip just after a `syscall` instruction, orig_rax >= 0), and that
 * call is one an event loop waits in:
 *   every thread    poll, ppoll, select, pselect6, epoll_wait, epoll_pwait,
 *                   epoll_pwait2, recvmsg, recvfrom, and read or readv on a
 *                   socket (the caller checks the descriptor in rdi);
 *   other threads   also a futex wait (FUTEX_WAIT, FUTEX_WAIT_BITSET:
 *                   condition variables, joins, semaphores, and mutexes),
 *                   nanosleep and clock_nanosleep.
 * A thread there holds none of libc's internal locks (malloc arenas, the
 * loader's lock, stdio locks of its own), so dlopen can take them.  The
 * main thread, which runs dlopen, must not be in a futex wait: that is
 * also where a thread waiting for one of those locks sits.
 */
#ifndef EVICT_GV_SAFEPOINT_H
#define EVICT_GV_SAFEPOINT_H

enum safepoint_verdict {
	SAFEPOINT_OK = 0,
	SAFEPOINT_OK_IF_SOCKET,	/* read/readv: safe if rdi is a socket */
	SAFEPOINT_USER,		/* running its own code, not in a call */
	SAFEPOINT_SYSCALL,	/* in a system call that is not a wait */
};

/*
 * nr: the call (safepoint_call_nr()); arg1: rsi (the futex operation);
 * is_main: the thread that would run dlopen; after_syscall: the two bytes
 * before rip are 0f 05.  restart_syscall (a sleep the kernel resumes after
 * an interrupt: poll, nanosleep, a futex wait with a timeout) whose
 * original call is unknown is safe for other threads, not for the main
 * one.
 */
enum safepoint_verdict
	safepoint_classify(long nr, unsigned long arg1, int is_main,
	    int after_syscall);

/*
 * The call a thread stopped in: orig_rax, except that for restart_syscall
 * (the kernel rewrote the call to resume it) the original number is read
 * from the `mov $nr, %eax` that glibc's wrappers put just before their
 * `syscall`: code holds the 7 bytes before rip (NULL when unreadable).
 */
long	safepoint_call_nr(long orig_rax, const unsigned char *code);

/*
 * True for the calls that return EINTR (instead of restarting) when a
 * ptrace interrupt, not a signal handler, cuts them short: epoll_wait,
 * epoll_pwait, epoll_pwait2, rt_sigtimedwait, and socket reads with a
 * receive timeout.  The caller rewinds such a call (rax = nr, rip -= 2) so
 * that the program never sees that EINTR.
 */
int	safepoint_eintr_restartable(long nr);

/* "poll", "futex", ...; "syscall" for one this file does not know. */
const char *safepoint_syscall_name(long nr);

#endif

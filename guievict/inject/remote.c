/* remote: see remote.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guievict/inject/cause.h"
#include "guievict/inject/remote.h"
#include "guievict/inject/seize.h"

#define REMOTE_MAX_STOPS	100000	/* stops handled in one operation */
#define REMOTE_STOP_WAIT_NS	2000000000u	/* re-stop after a timeout */
#define REMOTE_EFLAGS_TF	0x100
#define REMOTE_EFLAGS_DF	0x400

int
remote_open(struct remote *r, pid_t pid, pid_t tid, uint64_t syscall_ip)
{
	char fn[64];

	memset(r, 0, sizeof *r);
	r->pid = pid;
	r->tid = tid;
	r->syscall_ip = syscall_ip;
	snprintf(fn, sizeof fn, "/proc/%d/mem", (int)pid);
	if ((r->memfd = open(fn, O_RDWR | O_CLOEXEC)) < 0)
		return -errno;
	return 0;
}

void
remote_close(struct remote *r)
{
	if (r->memfd >= 0)
		close(r->memfd);
	r->memfd = -1;
	free(r->held);
	r->held = NULL;
	r->nheld = r->capheld = 0;
}

int
remote_read(struct remote *r, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(r->memfd, (char *)buf + done, len - done,
		    (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int
remote_write(struct remote *r, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pwrite(r->memfd, (const char *)buf + done, len - done,
		    (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int
remote_read_str(struct remote *r, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0, chunk;
	int e;

	if (len == 0)
		return -EINVAL;
	while (got < len - 1) {
		chunk = 4096 - (size_t)((addr + got) % 4096);
		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if ((e = remote_read(r, addr + got, buf + got, chunk)) != 0) {
			buf[got] = '\0';
			return got > 0 ? 0 : e;
		}
		if (memchr(buf + got, '\0', chunk) != NULL)
			return 0;
		got += chunk;
	}
	buf[len - 1] = '\0';
	return 0;
}

/* Keeps a signal the thread dequeued, to queue it again at the end. */
static void
remote_hold(struct remote *r, int sig)
{
	siginfo_t si, *v;
	int cap;

	memset(&si, 0, sizeof si);
	if (ptrace(PTRACE_GETSIGINFO, r->tid, NULL, &si) != 0) {
		si.si_signo = sig;
		si.si_code = SI_USER;
	}
	if (r->nheld == r->capheld && r->capheld < REMOTE_MAX_HELD) {
		cap = r->capheld ? r->capheld * 2 : 64;
		if ((v = realloc(r->held, (size_t)cap * sizeof *v)) != NULL) {
			r->held = v;
			r->capheld = cap;
		}
	}
	if (r->nheld < r->capheld)
		r->held[r->nheld++] = si;
	else if (sig > 0 && sig <= 64)
		r->held_more |= 1ull << (sig - 1);
}

static int
remote_exited(struct remote *r, int st, char *cause, size_t causelen)
{
	r->dead = 1;
	if (WIFSIGNALED(st))
		return cause_set(cause, causelen, -ESRCH,
		    "process %d was killed by signal %d (%s) during the "
		    "injection", (int)r->pid, WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	return cause_set(cause, causelen, -ESRCH,
	    "process %d exited during the injection", (int)r->pid);
}

/*
 * Interrupts the thread and waits for the interrupt stop, holding the
 * signals it dequeues on the way; resume: let it go after the interrupt
 * (it is in a stop now).
 */
static int
remote_interrupt(struct remote *r, int resume)
{
	uint64_t deadline = seize_now_ns() + REMOTE_STOP_WAIT_NS;
	int st, n, sig;

	if (ptrace(PTRACE_INTERRUPT, r->tid, NULL, NULL) != 0)
		return -errno;
	if (resume && ptrace(PTRACE_CONT, r->tid, NULL, NULL) != 0)
		return -errno;
	for (n = 0; n < REMOTE_MAX_STOPS; n++) {
		if (seize_wait(r->tid, &st, deadline) != 0)
			return -ETIMEDOUT;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			r->dead = 1;
			return -ESRCH;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		if (st >> 16 == PTRACE_EVENT_STOP)
			return 0;
		if (st >> 16 == 0 && sig != (SIGTRAP | 0x80))
			remote_hold(r, sig);
		if (ptrace(PTRACE_CONT, r->tid, NULL, NULL) != 0)
			return -errno;
	}
	return -ETIMEDOUT;
}

/* After a timeout: stops the thread again (mid-call) so that it can be
 * given its registers back. */
static int
remote_restop(struct remote *r)
{
	return remote_interrupt(r, 0);
}

int
remote_settle(struct remote *r)
{
	return remote_interrupt(r, 1);
}

static int
remote_ptrace_err(struct remote *r, const char *what, char *cause,
    size_t causelen)
{
	int e = errno;

	if (e == ESRCH) {
		r->dead = 1;
		return cause_set(cause, causelen, -ESRCH,
		    "thread %d of process %d vanished during the injection",
		    (int)r->tid, (int)r->pid);
	}
	return cause_set(cause, causelen, -e, "ptrace(%s) of thread %d: %s",
	    what, (int)r->tid, strerror(e));
}

int
remote_syscall(struct remote *r, const struct user_regs_struct *base, long nr,
    const uint64_t args[6], int64_t *ret, uint64_t deadline_ns, char *cause,
    size_t causelen)
{
	struct user_regs_struct regs = *base;
	struct __ptrace_syscall_info info;
	int st, n, sig, entered = 0, e;

	regs.rax = (uint64_t)nr;
	regs.orig_rax = (uint64_t)-1;
	regs.rip = r->syscall_ip;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	if (ptrace(PTRACE_SETREGS, r->tid, NULL, &regs) != 0)
		return remote_ptrace_err(r, "PTRACE_SETREGS", cause, causelen);
	for (n = 0; n < REMOTE_MAX_STOPS; n++) {
		if (ptrace(PTRACE_SYSCALL, r->tid, NULL, NULL) != 0)
			return remote_ptrace_err(r, "PTRACE_SYSCALL", cause,
			    causelen);
		if ((e = seize_wait(r->tid, &st, deadline_ns)) != 0) {
			if (e == -ETIMEDOUT)
				remote_restop(r);
			return cause_set(cause, causelen, e,
			    "system call %ld in process %d: %s", nr,
			    (int)r->pid, strerror(-e));
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return remote_exited(r, st, cause, causelen);
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		if (sig == (SIGTRAP | 0x80)) {
			memset(&info, 0, sizeof info);
			if (ptrace(PTRACE_GET_SYSCALL_INFO, r->tid,
			    (void *)sizeof info, &info) <= 0)
				return remote_ptrace_err(r,
				    "PTRACE_GET_SYSCALL_INFO", cause, causelen);
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
				entered = 1;
			else if (info.op == PTRACE_SYSCALL_INFO_EXIT &&
			    entered) {
				if (ptrace(PTRACE_GETREGS, r->tid, NULL,
				    &regs) != 0)
					return remote_ptrace_err(r,
					    "PTRACE_GETREGS", cause, causelen);
				*ret = (int64_t)regs.rax;
				return 0;
			}
			continue;
		}
		if (st >> 16 != 0)
			continue;	/* group-stop or interrupt: go on */
		remote_hold(r, sig);
	}
	return cause_set(cause, causelen, -EAGAIN,
	    "system call %ld in process %d: too many stops", nr, (int)r->pid);
}

static int
remote_is_fault(const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		return si->si_code > 0;		/* sent by the kernel */
	default:
		return 0;
	}
}

int
remote_call(struct remote *r, const struct user_regs_struct *base,
    uint64_t fn, const uint64_t *args, int nargs, uint64_t sp,
    uint64_t ret_ip, uint64_t *ret, uint64_t deadline_ns, char *cause,
    size_t causelen)
{
	struct user_regs_struct regs = *base;
	unsigned long long *argregs[6] = { &regs.rdi, &regs.rsi, &regs.rdx,
	    &regs.rcx, &regs.r8, &regs.r9 };
	siginfo_t si;
	int st, n, sig, e, i;

	if (nargs < 0 || nargs > 6 || (sp & 15) != 0)
		return cause_set(cause, causelen, -EINVAL,
		    "remote_call: bad arguments");
	/* At the first instruction, rsp + 8 is 16-byte aligned (SysV). */
	sp -= 8;
	if ((e = remote_write(r, sp, &ret_ip, sizeof ret_ip)) != 0)
		return cause_set(cause, causelen, e,
		    "cannot write the return address on the stack of "
		    "thread %d at 0x%llx: %s", (int)r->tid,
		    (unsigned long long)sp, strerror(-e));
	for (i = 0; i < nargs; i++)
		*argregs[i] = args[i];
	regs.rip = fn;
	regs.rsp = sp;
	regs.rax = 0;
	regs.orig_rax = (uint64_t)-1;	/* no syscall restart on the way */
	regs.eflags &= ~(unsigned long long)(REMOTE_EFLAGS_TF |
	    REMOTE_EFLAGS_DF);
	if (ptrace(PTRACE_SETREGS, r->tid, NULL, &regs) != 0)
		return remote_ptrace_err(r, "PTRACE_SETREGS", cause, causelen);
	for (n = 0; n < REMOTE_MAX_STOPS; n++) {
		if (ptrace(PTRACE_CONT, r->tid, NULL, NULL) != 0)
			return remote_ptrace_err(r, "PTRACE_CONT", cause,
			    causelen);
		if ((e = seize_wait(r->tid, &st, deadline_ns)) != 0) {
			if (e != -ETIMEDOUT)
				return cause_set(cause, causelen, e,
				    "waitpid %d: %s", (int)r->tid,
				    strerror(-e));
			if ((e = remote_restop(r)) != 0)
				return cause_set(cause, causelen, e,
				    "the call at 0x%llx in process %d did not "
				    "return in time, and thread %d does not "
				    "stop", (unsigned long long)fn,
				    (int)r->pid, (int)r->tid);
			return cause_set(cause, causelen, -ETIMEDOUT,
			    "the call at 0x%llx in process %d did not return "
			    "in time (a constructor that blocks?)",
			    (unsigned long long)fn, (int)r->pid);
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return remote_exited(r, st, cause, causelen);
		if (!WIFSTOPPED(st) || st >> 16 != 0)
			continue;	/* group-stop, interrupt: go on */
		sig = WSTOPSIG(st);
		if (sig == (SIGTRAP | 0x80))
			continue;
		if (sig == SIGTRAP) {
			if (ptrace(PTRACE_GETREGS, r->tid, NULL, &regs) != 0)
				return remote_ptrace_err(r, "PTRACE_GETREGS",
				    cause, causelen);
			if (regs.rip == ret_ip + 1) {
				*ret = regs.rax;
				return 0;
			}
		}
		memset(&si, 0, sizeof si);
		if (ptrace(PTRACE_GETSIGINFO, r->tid, NULL, &si) == 0 &&
		    remote_is_fault(&si)) {
			ptrace(PTRACE_GETREGS, r->tid, NULL, &regs);
			return cause_set(cause, causelen, -EFAULT,
			    "the call at 0x%llx in process %d faulted: %s at "
			    "address %p (rip 0x%llx); registers restored",
			    (unsigned long long)fn, (int)r->pid,
			    strsignal(si.si_signo), si.si_addr,
			    (unsigned long long)regs.rip);
		}
		remote_hold(r, sig);
	}
	return cause_set(cause, causelen, -EAGAIN,
	    "the call in process %d: too many stops", (int)r->pid);
}

int
remote_requeue(struct remote *r)
{
	siginfo_t *si;
	int i, n = 0;

	for (i = 0; i < r->nheld; i++) {
		si = &r->held[i];
		if (si->si_code < 0 && si->si_code != SI_TKILL &&
		    syscall(SYS_rt_tgsigqueueinfo, r->pid, r->tid,
		    si->si_signo, si) == 0) {
			n++;
			continue;
		}
		if (syscall(SYS_tgkill, r->pid, r->tid, si->si_signo) == 0)
			n++;
	}
	for (i = 1; i <= 64; i++)
		if ((r->held_more & (1ull << (i - 1))) != 0 &&
		    syscall(SYS_tgkill, r->pid, r->tid, i) == 0)
			n++;
	r->nheld = 0;
	r->held_more = 0;
	return n;
}

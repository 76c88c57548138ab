/*
 * inject: see inject.h and docs/design/guievict-inject.md.  This file is
 * the sequence: prepare, then rounds of stop / check / (call) / resume.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "guievict/inject/cause.h"
#include "guievict/inject/elfsym.h"
#include "guievict/inject/inject.h"
#include "guievict/inject/maps.h"
#include "guievict/inject/preflight.h"
#include "guievict/inject/remote.h"
#include "guievict/inject/safepoint.h"
#include "guievict/inject/seize.h"

#if !defined(__x86_64__) || defined(__ILP32__)
#error "guievict/inject drives x86_64 registers; build it for x86_64"
#endif

#define INJECT_SCRATCH_LEN	4096
#define INJECT_KSIGSET_LEN	8	/* the kernel's sigset_t, x86_64 */
#define INJECT_XSTATE_MAX	(64 * 1024)
#define INJECT_SYSCALL_NS	2000000000u	/* one remote system call */
#define INJECT_DLERROR_NS	2000000000u
#define INJECT_BACKOFF_MAX_MS	50
#define INJECT_ERESTART_RESTARTBLOCK	516	/* kernel-internal errno */
#define INJECT_STOP_MIN_NS	1000000000u	/* a round's stop, at least */
#define INJECT_SIGBIT(s)	(1ull << ((s) - 1))

/* The kernel's struct sigaction on x86_64 (rt_sigaction). */
struct inject_ksigaction {
	uint64_t	handler;
	uint64_t	flags;
	uint64_t	restorer;
	uint64_t	mask;
};

struct inject_target {
	pid_t			 pid;
	const char		*libpath;
	struct preflight_info	 info;
	uint64_t		 dlopen_addr;
	uint64_t		 dlerror_addr;
	uint64_t		 dlsym_addr;	/* 0: not looked for / not found */
	char			 libc[PATH_MAX];
};

/* A thread's floating-point, SSE and AVX state. */
struct inject_fpu {
	void	*buf;
	size_t	 len;
	int	 xstate;	/* NT_X86_XSTATE, else user_fpregs_struct */
};

/* ---- prepare ------------------------------------------------------------- */

/* Opens the libc file the process mapped (also when replaced on disk). */
static int
inject_open_libc(pid_t pid, const struct maps_lib *lib)
{
	char fn[PATH_MAX + 64];
	struct stat st;
	int fd;

	snprintf(fn, sizeof fn, "/proc/%d/map_files/%llx-%llx", (int)pid,
	    (unsigned long long)lib->first_start,
	    (unsigned long long)lib->first_end);
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) >= 0)
		return fd;
	snprintf(fn, sizeof fn, "/proc/%d/root%s", (int)pid, lib->path);
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || st.st_ino != lib->inode) {
		close(fd);
		return -ESTALE;		/* replaced since it was mapped */
	}
	return fd;
}

static int
inject_find_symbols(struct inject_target *tg, char *cause, size_t causelen)
{
	struct elfsym_query q[3] = { { .name = "dlopen" },
	    { .name = "dlerror" }, { .name = "dlsym" } };
	struct maps_lib lib;
	uint64_t load_vaddr;
	int fd, r;

	r = maps_find_lib(tg->pid, "libc.so.6", &lib);
	if (r == -ENOENT)
		return cause_set(cause, causelen, -ENOENT,
		    "no libc.so.6 in process %d (%s): a statically linked "
		    "program cannot load a library", (int)tg->pid,
		    tg->info.name);
	if (r != 0)
		return cause_set(cause, causelen, r,
		    "process %d: cannot read its maps: %s", (int)tg->pid,
		    strerror(-r));
	memcpy(tg->libc, lib.path, sizeof tg->libc);
	if ((fd = inject_open_libc(tg->pid, &lib)) < 0)
		return cause_set(cause, causelen, -ENOENT,
		    "process %d: cannot open its libc %s: %s", (int)tg->pid,
		    lib.path, strerror(-fd));
	r = elfsym_lookup(fd, q, 3, &load_vaddr);
	close(fd);
	if (r != 0)
		return cause_set(cause, causelen, -ENOENT,
		    "process %d: cannot read the symbols of %s: %s",
		    (int)tg->pid, lib.path, r == -ENOEXEC ?
		    "not an x86_64 ELF shared object" : strerror(-r));
	if (!q[0].found || !q[1].found)
		return cause_set(cause, causelen, -ENOENT,
		    "%s of process %d exports no %s: glibc older than 2.34 "
		    "(dlopen lived in libdl.so.2)?", lib.path, (int)tg->pid,
		    q[0].found ? "dlerror" : "dlopen");
	tg->dlopen_addr = lib.base - load_vaddr + q[0].value;
	tg->dlerror_addr = lib.base - load_vaddr + q[1].value;
	if (q[2].found)
		tg->dlsym_addr = lib.base - load_vaddr + q[2].value;
	log_debug("pid %d: %s at 0x%llx: dlopen 0x%llx dlerror 0x%llx",
	    (int)tg->pid, lib.path, (unsigned long long)lib.base,
	    (unsigned long long)tg->dlopen_addr,
	    (unsigned long long)tg->dlerror_addr);
	return 0;
}

/* ---- check --------------------------------------------------------------- */

static int
inject_fd_is_socket(pid_t pid, unsigned long long fd)
{
	char fn[64], link[64];
	ssize_t n;

	if (fd > INT_MAX)
		return 0;
	snprintf(fn, sizeof fn, "/proc/%d/fd/%llu", (int)pid, fd);
	if ((n = readlink(fn, link, sizeof link - 1)) <= 0)
		return 0;
	link[n] = '\0';
	return strncmp(link, "socket:", 7) == 0;
}

/*
 * True when the thread has a signal pending that its handler will take:
 * then an EINTR it got is the program's own and stays.
 */
static int
inject_handler_pending(pid_t pid, pid_t tid)
{
	struct preflight_status st;
	char fn[64];

	snprintf(fn, sizeof fn, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (preflight_read_status(fn, &st) != 0)
		return 1;	/* unknown: leave the EINTR alone */
	return ((st.sigpnd | st.shdpnd) & ~st.sigblk & st.sigcgt) != 0;
}

/*
 * Reads t's registers, rewinds an EINTR that our interrupt caused, and
 * says whether t is at a safe point (0) or not (1, with why).
 */
static int
inject_check_thread(struct remote *mem, pid_t pid, struct seize_thread *t,
    int is_main, char *why, size_t whylen)
{
	unsigned char code[7];
	const unsigned char *insn = code + 5;
	int after, full, v;
	long nr;

	if (ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs) != 0)
		return cause_set(why, whylen, 1, "thread %d: PTRACE_GETREGS: "
		    "%s", (int)t->tid, strerror(errno)) != 0;
	full = t->regs.rip >= 7 &&
	    remote_read(mem, t->regs.rip - 7, code, 7) == 0;
	after = (full || (t->regs.rip >= 2 &&
	    remote_read(mem, t->regs.rip - 2, code + 5, 2) == 0)) &&
	    insn[0] == 0x0f && insn[1] == 0x05;
	nr = (long)t->regs.orig_rax;
	if (after && nr >= 0 && (long long)t->regs.rax == -EINTR &&
	    safepoint_eintr_restartable(nr) &&
	    !inject_handler_pending(pid, t->tid)) {
		/* Run the call again instead of returning EINTR. */
		t->regs.rax = (unsigned long long)nr;
		t->regs.rip -= 2;
		t->regs_dirty = 1;
		t->rewound = 1;
		log_debug("thread %d: %s returned EINTR for our interrupt; "
		    "rewound", (int)t->tid, safepoint_syscall_name(nr));
	}
	nr = safepoint_call_nr(nr, full ? code : NULL);
	t->call_nr = after ? nr : -1;
	v = safepoint_classify(nr, t->regs.rsi, is_main, after);
	if (v == SAFEPOINT_OK_IF_SOCKET)
		v = inject_fd_is_socket(pid, t->regs.rdi) ? SAFEPOINT_OK :
		    SAFEPOINT_SYSCALL;
	switch (v) {
	case SAFEPOINT_OK:
		return 0;
	case SAFEPOINT_USER:
		cause_set(why, whylen, 1, "%s %d was running its own code "
		    "(rip 0x%llx)", is_main ? "the main thread" : "thread",
		    (int)t->tid, (unsigned long long)t->regs.rip);
		return 1;
	default:
		cause_set(why, whylen, 1, "%s %d was in %s%s, not in an "
		    "event-loop wait", is_main ? "the main thread" : "thread",
		    (int)t->tid, safepoint_syscall_name(nr),
		    nr == SYS_read || nr == SYS_readv ? " of a non-socket" :
		    "");
		return 1;
	}
}

/* ---- call ---------------------------------------------------------------- */

static int
inject_fpu_save(pid_t tid, struct inject_fpu *f)
{
	struct iovec iov;

	memset(f, 0, sizeof *f);
	if ((f->buf = malloc(INJECT_XSTATE_MAX)) == NULL)
		return -ENOMEM;
	iov.iov_base = f->buf;
	iov.iov_len = INJECT_XSTATE_MAX;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0) {
		f->len = iov.iov_len;
		f->xstate = 1;
		return 0;
	}
	if (ptrace(PTRACE_GETFPREGS, tid, NULL, f->buf) == 0) {
		f->len = sizeof(struct user_fpregs_struct);
		return 0;
	}
	free(f->buf);
	f->buf = NULL;
	return -errno;
}

static int
inject_fpu_restore(pid_t tid, struct inject_fpu *f)
{
	struct iovec iov;
	int r = 0;

	if (f->buf == NULL)
		return 0;
	iov.iov_base = f->buf;
	iov.iov_len = f->len;
	if (f->xstate)
		r = ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov);
	else
		r = ptrace(PTRACE_SETFPREGS, tid, NULL, f->buf);
	r = r != 0 ? -errno : 0;
	free(f->buf);
	f->buf = NULL;
	return r;
}

/*
 * The registers the calling thread gets back are those it stopped with,
 * so that its call restarts (or returns) exactly as it would have, with
 * two exceptions:
 *  - signals arrived during our call (held, queued again): an EINTR we
 *    rewound is put back, since a handler now runs as the wait ends, and
 *    the program must see the EINTR that signal causes;
 *  - our call ended abnormally (timeout, fault) while the thread's call
 *    was to resume through restart_syscall: the call we abandoned may
 *    have been interrupted in a sleep of its own, which rewrites the
 *    thread's restart block, so the thread's call is run again from its
 *    start instead (a wait with a timeout starts its timeout over).
 */
static void
inject_fix_restart(struct seize_thread *t, int held, int abnormal)
{
	if (held && t->rewound) {
		t->regs.rax = (unsigned long long)-EINTR;
		t->regs.rip += 2;
		t->rewound = 0;
	}
	if (abnormal &&
	    (long long)t->regs.rax == -INJECT_ERESTART_RESTARTBLOCK &&
	    t->call_nr >= 0 && t->call_nr != SYS_restart_syscall) {
		t->regs.rax = (unsigned long long)t->call_nr;
		t->regs.rip -= 2;
		log_debug("thread %d: %s runs again from its start",
		    (int)t->tid, safepoint_syscall_name(t->call_nr));
	}
}

/* dlerror() in the target, its text copied into cause. */
static void
inject_dlerror(struct inject_target *tg, struct remote *rm,
    const struct user_regs_struct *base, uint64_t sp, uint64_t ret_ip,
    char *cause, size_t causelen)
{
	char msg[INJECT_CAUSE_LEN], why[INJECT_CAUSE_LEN / 2];
	uint64_t p = 0;

	if (remote_call(rm, base, tg->dlerror_addr, NULL, 0, sp, ret_ip, &p,
	    seize_now_ns() + INJECT_DLERROR_NS, why, sizeof why) != 0)
		snprintf(msg, sizeof msg, "(dlerror failed: %s)", why);
	else if (p == 0)
		snprintf(msg, sizeof msg, "(dlerror gave no message)");
	else if (remote_read_str(rm, p, msg, sizeof msg) != 0)
		snprintf(msg, sizeof msg, "(dlerror's message unreadable)");
	cause_set(cause, causelen, 0, "dlopen failed in process %d (%s): %s",
	    (int)tg->pid, tg->info.name, msg);
}

/*
 * After a successful dlopen: dlsym(handle, init_sym) and init_sym(args)
 * in the same thread, on the stack below sp (free again once dlopen
 * returned).
 */
static int
inject_init_call(struct inject_target *tg, struct remote *rm,
    const struct user_regs_struct *base, uint64_t sp, uint64_t ret_ip,
    uint64_t handle, struct inject_opts *o, char *cause, size_t causelen)
{
	size_t nlen = strlen(o->init_sym) + 1;
	uint64_t name_at, a[2], fn = 0, ret = 0;
	int r;

	if (tg->dlsym_addr == 0)
		return cause_set(cause, causelen, -ENOENT, "%s of process %d "
		    "exports no dlsym", tg->libc, (int)tg->pid);
	if (nlen > 256 || o->init_nargs < 0 ||
	    o->init_nargs > INJECT_INIT_MAXARGS)
		return cause_set(cause, causelen, -EINVAL, "bad init call");
	name_at = (sp - 64 - nlen) & ~15ull;
	if ((r = remote_write(rm, name_at, o->init_sym, nlen)) != 0)
		return cause_set(cause, causelen, r, "cannot write on the "
		    "stack of thread %d: %s", (int)rm->tid, strerror(-r));
	a[0] = handle;
	a[1] = name_at;
	r = remote_call(rm, base, tg->dlsym_addr, a, 2, name_at, ret_ip, &fn,
	    seize_now_ns() + INJECT_DLERROR_NS, cause, causelen);
	if (r != 0)
		return r;
	if (fn == 0)
		return cause_set(cause, causelen, -ENOENT, "%s has no symbol "
		    "%s", tg->libpath, o->init_sym);
	r = remote_call(rm, base, fn, o->init_args, o->init_nargs, name_at,
	    ret_ip, &ret, seize_now_ns() +
	    (uint64_t)o->call_timeout_ms * 1000000u, cause, causelen);
	if (r != 0)
		return r;
	o->init_called = 1;
	o->init_ret = (int64_t)ret;
	return 0;
}

/*
 * The call step, in thread t (stopped at a safe point, registers in
 * t->regs): scratch page, dlopen, dlerror, and the cure (unmap, registers
 * back, held signals queued again).
 */
static int
inject_call(struct inject_target *tg, struct seize_thread *t,
    uint64_t syscall_ip, int trap_ignored, struct inject_opts *o,
    char *cause, size_t causelen)
{
	const struct user_regs_struct *base = &t->regs;
	struct inject_ksigaction act;
	struct inject_fpu fpu;
	struct remote rm;
	uint64_t a[6], scratch = 0, sp, path_at, handle = 0, mask = 0, m;
	uint64_t act_at = 0;
	size_t plen = strlen(tg->libpath) + 1;
	int64_t ret;
	int r, e, trap_blocked = 0, act_saved = 0;
	char why[INJECT_CAUSE_LEN];
	static const unsigned char int3 = 0xcc;

	if ((r = remote_open(&rm, tg->pid, t->tid, syscall_ip)) != 0)
		return cause_set(cause, causelen, r, "process %d: cannot open "
		    "its memory: %s", (int)tg->pid, strerror(-r));
	if ((r = inject_fpu_save(t->tid, &fpu)) != 0) {
		remote_close(&rm);
		return cause_set(cause, causelen, r, "thread %d: cannot save "
		    "its floating-point registers: %s", (int)t->tid,
		    strerror(-r));
	}

	/* A page for the int3 the call returns into. */
	a[0] = 0;
	a[1] = INJECT_SCRATCH_LEN;
	a[2] = PROT_READ | PROT_EXEC;
	a[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	a[4] = (uint64_t)-1;
	a[5] = 0;
	r = remote_syscall(&rm, base, SYS_mmap, a, &ret,
	    seize_now_ns() + INJECT_SYSCALL_NS, cause, causelen);
	if (r == 0 && ret < 0 && ret > -4096)
		r = cause_set(cause, causelen, (int)ret, "mmap in process %d "
		    "failed: %s", (int)tg->pid, strerror((int)-ret));
	if (r != 0)
		goto cure;
	scratch = (uint64_t)ret;
	/* /proc/PID/mem writes through the page's missing write permission */
	if ((r = remote_write(&rm, scratch, &int3, 1)) != 0) {
		cause_set(cause, causelen, r, "process %d: cannot write its "
		    "scratch page: %s", (int)tg->pid, strerror(-r));
		goto cure;
	}

	/*
	 * The int3 raises a SIGTRAP the kernel forces: were SIGTRAP blocked,
	 * the kernel would unblock it and reset its action to the default;
	 * were it ignored, reset the action.  Unblock it for the call (the
	 * mask is read here, after the first resume gave back a mask that
	 * ppoll/pselect6/epoll_pwait had swapped in), and keep an ignored
	 * action to put back.
	 */
	if (ptrace(PTRACE_GETSIGMASK, t->tid, (void *)INJECT_KSIGSET_LEN,
	    &mask) == 0 && (mask & INJECT_SIGBIT(SIGTRAP)) != 0) {
		m = mask & ~INJECT_SIGBIT(SIGTRAP);
		if (ptrace(PTRACE_SETSIGMASK, t->tid,
		    (void *)INJECT_KSIGSET_LEN, &m) == 0)
			trap_blocked = 1;
	}
	/*
	 * The stack, below the red zone: the path, then the saved SIGTRAP
	 * action (the kernel writes it: the scratch page is read-only),
	 * then the call's frame.
	 */
	if (plen > PATH_MAX) {
		r = cause_set(cause, causelen, -ENAMETOOLONG,
		    "library path too long");
		goto cure;
	}
	path_at = (base->rsp - REMOTE_STACK_RED_ZONE - plen) & ~15ull;
	act_at = (path_at - sizeof act) & ~15ull;
	sp = act_at;
	if (trap_ignored) {
		a[0] = SIGTRAP;
		a[1] = 0;
		a[2] = act_at;
		a[3] = INJECT_KSIGSET_LEN;
		r = remote_syscall(&rm, base, SYS_rt_sigaction, a, &ret,
		    seize_now_ns() + INJECT_SYSCALL_NS, cause, causelen);
		if (r != 0)
			goto cure;
		act_saved = ret == 0;
	}

	if ((r = remote_write(&rm, path_at, tg->libpath, plen)) != 0) {
		cause_set(cause, causelen, r, "cannot write on the stack of "
		    "thread %d: %s", (int)t->tid, strerror(-r));
		goto cure;
	}
	a[0] = path_at;
	a[1] = RTLD_NOW;
	r = remote_call(&rm, base, tg->dlopen_addr, a, 2, sp, scratch, &handle,
	    seize_now_ns() + (uint64_t)o->call_timeout_ms * 1000000u, cause,
	    causelen);
	if (r != 0)
		goto cure;
	o->handle = handle;
	if (handle == 0) {
		inject_dlerror(tg, &rm, base, sp, scratch, cause, causelen);
		r = -ELIBACC;
	} else if (o->init_sym != NULL) {
		r = inject_init_call(tg, &rm, base, sp, scratch, handle, o,
		    cause, causelen);
	}

cure:
	/* Everything back as it was, as far as the process still lives. */
	if (!rm.dead && act_saved) {
		if (remote_read(&rm, act_at, &act, sizeof act) == 0 &&
		    act.handler == (uint64_t)(uintptr_t)SIG_IGN) {
			a[0] = SIGTRAP;
			a[1] = act_at;
			a[2] = 0;
			a[3] = INJECT_KSIGSET_LEN;
			if (remote_syscall(&rm, base, SYS_rt_sigaction, a,
			    &ret, seize_now_ns() + INJECT_SYSCALL_NS, why,
			    sizeof why) != 0 || ret != 0)
				log_warn("process %d: SIGTRAP stays at its "
				    "default action", (int)tg->pid);
		}
	}
	if (!rm.dead && trap_blocked &&
	    ptrace(PTRACE_SETSIGMASK, t->tid, (void *)INJECT_KSIGSET_LEN,
	    &mask) != 0)
		log_warn("thread %d: signal mask not restored: %s",
		    (int)t->tid, strerror(errno));
	if (!rm.dead && scratch != 0) {
		a[0] = scratch;
		a[1] = INJECT_SCRATCH_LEN;
		a[2] = a[3] = a[4] = a[5] = 0;
		if (remote_syscall(&rm, base, SYS_munmap, a, &ret,
		    seize_now_ns() + INJECT_SYSCALL_NS, why, sizeof why) != 0 ||
		    ret != 0)
			log_warn("process %d: scratch page at 0x%llx left "
			    "mapped", (int)tg->pid,
			    (unsigned long long)scratch);
	}
	if (!rm.dead)
		inject_fix_restart(t, rm.nheld > 0 || rm.held_more != 0,
		    r == -ETIMEDOUT || r == -EFAULT);
	if (!rm.dead) {
		if ((e = inject_fpu_restore(t->tid, &fpu)) != 0)
			log_warn("thread %d: floating-point registers not "
			    "restored: %s", (int)t->tid, strerror(-e));
		if (ptrace(PTRACE_SETREGS, t->tid, NULL, &t->regs) != 0)
			log_warn("thread %d: registers not restored: %s",
			    (int)t->tid, strerror(errno));
		t->regs_dirty = 0;
		if ((e = remote_settle(&rm)) != 0 && !rm.dead)
			log_warn("thread %d: no interrupt stop to leave "
			    "from: %s", (int)t->tid, strerror(-e));
	}
	if (!rm.dead) {
		o->requeued_signals += remote_requeue(&rm);
	} else {
		free(fpu.buf);
		t->state = SEIZE_GONE;
	}
	remote_close(&rm);
	return r;
}

/* ---- rounds -------------------------------------------------------------- */

/*
 * One stop: 0 injected (or the call failed: r in *callr), -EAGAIN not at
 * a safe point (why says which thread), else an error.
 */
static int
inject_round(struct inject_target *tg, struct inject_opts *o,
    uint64_t deadline_ns, char *why, size_t whylen, char *cause,
    size_t causelen)
{
	struct preflight_status st;
	struct seize_set s;
	struct seize_thread *t, *main_t = NULL;
	struct remote mem;
	char fn[64];
	size_t i;
	int r, unsafe = 0, trap_ignored = 0, all_group = 1;
	uint64_t syscall_ip = 0;
	pid_t d_tid;

	memset(&s, 0, sizeof s);
	why[0] = '\0';
	snprintf(fn, sizeof fn, "/proc/%d/status", (int)tg->pid);
	if (preflight_read_status(fn, &st) == 0)
		trap_ignored = (st.sigign & INJECT_SIGBIT(SIGTRAP)) != 0;
	if ((d_tid = seize_find_uninterruptible(tg->pid)) != 0) {
		cause_set(why, whylen, 0, "thread %d was in an "
		    "uninterruptible sleep (state D)", (int)d_tid);
		return -EAGAIN;
	}

	if (deadline_ns < seize_now_ns() + INJECT_STOP_MIN_NS)
		deadline_ns = seize_now_ns() + INJECT_STOP_MIN_NS;
	r = seize_stop_all(&s, tg->pid, deadline_ns, cause, causelen);
	if (r == -EPERM && tg->info.yama == 1)
		cause_set(cause, causelen, r, "ptrace refused: %s is 1, so "
		    "only an ancestor of process %d may attach to it; run as "
		    "root, or set it to 0", PREFLIGHT_YAMA_PATH, (int)tg->pid);
	else if (r == -EPERM)
		cause_set(cause, causelen, r, "ptrace refused for process %d "
		    "(%s): it is not dumpable (setuid, or PR_SET_DUMPABLE 0), "
		    "or a security module forbids it", (int)tg->pid,
		    tg->info.name);
	if (r != 0)
		goto out;
	if ((r = remote_open(&mem, tg->pid, tg->pid, 0)) != 0) {
		cause_set(cause, causelen, r, "process %d: cannot open its "
		    "memory: %s", (int)tg->pid, strerror(-r));
		goto out;
	}
	main_t = seize_find(&s, tg->pid);
	if (main_t == NULL || main_t->state != SEIZE_STOPPED)
		for (i = 0, main_t = NULL; i < s.n && main_t == NULL; i++)
			if (s.t[i].state == SEIZE_STOPPED)
				main_t = &s.t[i];
	o->nthreads = 0;
	for (i = 0; i < s.n; i++) {
		t = &s.t[i];
		if (t->state != SEIZE_STOPPED)
			continue;
		o->nthreads++;
		all_group &= t->group_stop;
		/* every thread is checked: each may need its EINTR rewound */
		if (inject_check_thread(&mem, tg->pid, t, t == main_t,
		    unsafe ? NULL : why, unsafe ? 0 : whylen) != 0)
			unsafe = 1;
		else if (o->thread_check != NULL &&
		    o->thread_check(o->thread_check_arg, tg->pid, t->tid,
		    t->call_nr, &t->regs, t == main_t, unsafe ? NULL : why,
		    unsafe ? 0 : whylen) != 0)
			unsafe = 1;
		if (t == main_t)
			syscall_ip = t->regs.rip - (t->regs_dirty ? 0 : 2);
	}
	remote_close(&mem);
	if (unsafe) {
		r = all_group ? cause_set(cause, causelen, -EAGAIN,
		    "process %d (%s) is stopped (job control) away from a "
		    "safe point: %s; continue it (kill -CONT) first",
		    (int)tg->pid, tg->info.name, why) : -EAGAIN;
		if (all_group)
			why[0] = '\0';
		goto out;
	}
	o->call_tid = main_t->tid;
	r = inject_call(tg, main_t, syscall_ip, trap_ignored, o, cause,
	    causelen);
out:
	seize_release(&s, seize_now_ns() + INJECT_SYSCALL_NS);
	if (s.t_first_ns != 0) {
		o->pause_ns = s.t_end_ns - s.t_first_ns;
		o->total_pause_ns += o->pause_ns;
	}
	o->passed_signals += s.passed;
	seize_free(&s);
	return r;
}

static void
inject_backoff(int tries, uint64_t deadline_ns)
{
	uint64_t ms = 1, now = seize_now_ns(), ns;
	struct timespec ts;

	while (tries-- > 1 && ms < INJECT_BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > INJECT_BACKOFF_MAX_MS)
		ms = INJECT_BACKOFF_MAX_MS;
	ns = ms * 1000000u;
	if (now >= deadline_ns)
		return;
	if (ns > deadline_ns - now)
		ns = deadline_ns - now;
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	nanosleep(&ts, NULL);
}

int
inject_library(pid_t pid, const char *libpath, struct inject_opts *opts,
    char *cause, size_t causelen)
{
	struct inject_opts dflt;
	struct inject_target tg;
	char why[INJECT_CAUSE_LEN] = "";
	uint64_t start, deadline;
	int r;

	if (opts == NULL) {
		memset(&dflt, 0, sizeof dflt);
		opts = &dflt;
	}
	if (opts->timeout_ms <= 0)
		opts->timeout_ms = INJECT_TIMEOUT_MS;
	if (opts->max_tries <= 0)
		opts->max_tries = INJECT_MAX_TRIES;
	if (opts->call_timeout_ms <= 0)
		opts->call_timeout_ms = INJECT_CALL_TIMEOUT_MS;
	opts->pause_ns = opts->total_pause_ns = 0;
	opts->tries = opts->nthreads = 0;
	opts->passed_signals = opts->requeued_signals = 0;
	opts->call_tid = 0;
	opts->handle = 0;
	opts->init_called = 0;
	opts->init_ret = 0;
	if (cause != NULL && causelen > 0)
		cause[0] = '\0';
	if (libpath == NULL || libpath[0] == '\0')
		return cause_set(cause, causelen, -EINVAL, "no library path");

	memset(&tg, 0, sizeof tg);
	tg.pid = pid;
	tg.libpath = libpath;
	if ((r = preflight_check(pid, &tg.info, cause, causelen)) != 0)
		return r;
	if ((r = inject_find_symbols(&tg, cause, causelen)) != 0)
		return r;

	start = seize_now_ns();
	deadline = start + (uint64_t)opts->timeout_ms * 1000000u;
	for (;;) {
		opts->tries++;
		r = inject_round(&tg, opts, deadline, why, sizeof why, cause,
		    causelen);
		if (r != -EAGAIN || why[0] == '\0')
			break;
		if (opts->tries >= opts->max_tries ||
		    seize_now_ns() >= deadline) {
			r = cause_set(cause, causelen, -EAGAIN,
			    "process %d (%s) never reached a safe point in %d "
			    "tries over %llu ms: last, %s", (int)pid,
			    tg.info.name, opts->tries,
			    (unsigned long long)((seize_now_ns() - start) /
			    1000000u), why);
			break;
		}
		log_debug("try %d: %s", opts->tries, why);
		inject_backoff(opts->tries, deadline);
	}
	if (r == 0)
		log_info("process %d (%s): loaded %s in %d tries; paused "
		    "%llu us", (int)pid, tg.info.name, libpath, opts->tries,
		    (unsigned long long)(opts->pause_ns / 1000u));
	return r;
}

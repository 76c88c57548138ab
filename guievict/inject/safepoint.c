/* safepoint: see safepoint.h.  x86_64 system call numbers. */
#include <linux/futex.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "guievict/inject/safepoint.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2	441
#endif

static const struct {
	long		 nr;
	const char	*name;
} safepoint_names[] = {
	{ SYS_read, "read" },
	{ SYS_write, "write" },
	{ SYS_poll, "poll" },
	{ SYS_readv, "readv" },
	{ SYS_select, "select" },
	{ SYS_sched_yield, "sched_yield" },
	{ SYS_nanosleep, "nanosleep" },
	{ SYS_accept, "accept" },
	{ SYS_recvfrom, "recvfrom" },
	{ SYS_recvmsg, "recvmsg" },
	{ SYS_wait4, "wait4" },
	{ SYS_rt_sigtimedwait, "rt_sigtimedwait" },
	{ SYS_rt_sigsuspend, "rt_sigsuspend" },
	{ SYS_pause, "pause" },
	{ SYS_futex, "futex" },
	{ SYS_restart_syscall, "restart_syscall" },
	{ SYS_clock_nanosleep, "clock_nanosleep" },
	{ SYS_epoll_wait, "epoll_wait" },
	{ SYS_waitid, "waitid" },
	{ SYS_pselect6, "pselect6" },
	{ SYS_ppoll, "ppoll" },
	{ SYS_epoll_pwait, "epoll_pwait" },
	{ SYS_accept4, "accept4" },
	{ SYS_recvmmsg, "recvmmsg" },
	{ SYS_epoll_pwait2, "epoll_pwait2" },
};

const char *
safepoint_syscall_name(long nr)
{
	size_t i;

	for (i = 0; i < sizeof safepoint_names / sizeof safepoint_names[0];
	    i++)
		if (safepoint_names[i].nr == nr)
			return safepoint_names[i].name;
	return "syscall";
}

static int
safepoint_futex_wait(unsigned long op)
{
	unsigned long cmd = op & FUTEX_CMD_MASK;

	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
}

long
safepoint_call_nr(long orig_rax, const unsigned char *code)
{
	int32_t imm;

	if (orig_rax != SYS_restart_syscall || code == NULL)
		return orig_rax;
	/* b8 imm32: mov $imm32, %eax; then 0f 05: syscall */
	if (code[0] != 0xb8 || code[5] != 0x0f || code[6] != 0x05)
		return orig_rax;
	memcpy(&imm, code + 1, sizeof imm);
	return imm >= 0 && imm != SYS_restart_syscall ? imm : orig_rax;
}

enum safepoint_verdict
safepoint_classify(long nr, unsigned long arg1, int is_main, int after_syscall)
{
	if (nr < 0 || !after_syscall)
		return SAFEPOINT_USER;
	switch (nr) {
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_recvmsg:
	case SYS_recvfrom:
		return SAFEPOINT_OK;
	case SYS_read:
	case SYS_readv:
		return SAFEPOINT_OK_IF_SOCKET;
	case SYS_futex:
		if (!is_main && safepoint_futex_wait(arg1))
			return SAFEPOINT_OK;
		return SAFEPOINT_SYSCALL;
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_restart_syscall:
		return is_main ? SAFEPOINT_SYSCALL : SAFEPOINT_OK;
	default:
		return SAFEPOINT_SYSCALL;
	}
}

int
safepoint_eintr_restartable(long nr)
{
	switch (nr) {
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_rt_sigtimedwait:
	case SYS_read:
	case SYS_readv:
	case SYS_recvfrom:
	case SYS_recvmsg:
		return 1;
	default:
		return 0;
	}
}

/*
 * Check suite for guievict/inject's pure rules: the safe point
 * (safepoint.c) and the refusals (preflight.c: /proc status parsing and
 * Yama's ptrace_scope).
 */
#include <check.h>
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guievict/inject/preflight.h"
#include "guievict/inject/safepoint.h"

/* ---- safepoint ---------------------------------------------------------- */

START_TEST(test_safepoint_event_loop_calls)
{
	static const long ok[] = { SYS_poll, SYS_ppoll, SYS_select,
	    SYS_pselect6, SYS_epoll_wait, SYS_epoll_pwait, 441 /* pwait2 */,
	    SYS_recvmsg, SYS_recvfrom };
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		ck_assert_int_eq(safepoint_classify(ok[i], 0, 1, 1),
		    SAFEPOINT_OK);
		ck_assert_int_eq(safepoint_classify(ok[i], 0, 0, 1),
		    SAFEPOINT_OK);
		/* not right after a syscall instruction: its own code */
		ck_assert_int_eq(safepoint_classify(ok[i], 0, 1, 0),
		    SAFEPOINT_USER);
	}
	ck_assert_int_eq(safepoint_classify(SYS_read, 0, 1, 1),
	    SAFEPOINT_OK_IF_SOCKET);
	ck_assert_int_eq(safepoint_classify(SYS_readv, 0, 0, 1),
	    SAFEPOINT_OK_IF_SOCKET);
}
END_TEST

START_TEST(test_safepoint_not_waits)
{
	static const long bad[] = { SYS_write, SYS_openat, SYS_mmap,
	    SYS_wait4, SYS_accept, SYS_sched_yield, SYS_getpid };
	size_t i;

	ck_assert_int_eq(safepoint_classify(-1, 0, 1, 1), SAFEPOINT_USER);
	ck_assert_int_eq(safepoint_classify(-1, 0, 0, 0), SAFEPOINT_USER);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(safepoint_classify(bad[i], 0, 1, 1),
		    SAFEPOINT_SYSCALL);
		ck_assert_int_eq(safepoint_classify(bad[i], 0, 0, 1),
		    SAFEPOINT_SYSCALL);
	}
}
END_TEST

START_TEST(test_safepoint_futex_and_sleeps)
{
	unsigned long wait = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
	unsigned long bitset = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG |
	    FUTEX_CLOCK_REALTIME;

	/* other threads: condition variables, joins, sleeps */
	ck_assert_int_eq(safepoint_classify(SYS_futex, wait, 0, 1),
	    SAFEPOINT_OK);
	ck_assert_int_eq(safepoint_classify(SYS_futex, bitset, 0, 1),
	    SAFEPOINT_OK);
	ck_assert_int_eq(safepoint_classify(SYS_futex, FUTEX_WAIT, 0, 1),
	    SAFEPOINT_OK);
	ck_assert_int_eq(safepoint_classify(SYS_nanosleep, 0, 0, 1),
	    SAFEPOINT_OK);
	ck_assert_int_eq(safepoint_classify(SYS_clock_nanosleep, 0, 0, 1),
	    SAFEPOINT_OK);
	ck_assert_int_eq(safepoint_classify(SYS_restart_syscall, 0, 0, 1),
	    SAFEPOINT_OK);
	/* not a wait */
	ck_assert_int_eq(safepoint_classify(SYS_futex,
	    FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 0, 1), SAFEPOINT_SYSCALL);
	ck_assert_int_eq(safepoint_classify(SYS_futex, FUTEX_LOCK_PI, 0, 1),
	    SAFEPOINT_SYSCALL);
	/* the main thread runs dlopen: never from these */
	ck_assert_int_eq(safepoint_classify(SYS_futex, wait, 1, 1),
	    SAFEPOINT_SYSCALL);
	ck_assert_int_eq(safepoint_classify(SYS_nanosleep, 0, 1, 1),
	    SAFEPOINT_SYSCALL);
	ck_assert_int_eq(safepoint_classify(SYS_restart_syscall, 0, 1, 1),
	    SAFEPOINT_SYSCALL);
}
END_TEST

START_TEST(test_safepoint_restart_decode)
{
	/* glibc's poll wrapper: mov $0x7,%eax; syscall */
	static const unsigned char poll_code[7] =
	    { 0xb8, 0x07, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	static const unsigned char futex_code[7] =
	    { 0xb8, 0xca, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	static const unsigned char other[7] =
	    { 0x48, 0x89, 0xf8, 0x90, 0x90, 0x0f, 0x05 };
	static const unsigned char neg[7] =
	    { 0xb8, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x05 };

	ck_assert_int_eq(safepoint_call_nr(SYS_restart_syscall, poll_code),
	    SYS_poll);
	ck_assert_int_eq(safepoint_call_nr(SYS_restart_syscall, futex_code),
	    SYS_futex);
	ck_assert_int_eq(safepoint_call_nr(SYS_restart_syscall, other),
	    SYS_restart_syscall);
	ck_assert_int_eq(safepoint_call_nr(SYS_restart_syscall, neg),
	    SYS_restart_syscall);
	ck_assert_int_eq(safepoint_call_nr(SYS_restart_syscall, NULL),
	    SYS_restart_syscall);
	/* only restart_syscall is decoded */
	ck_assert_int_eq(safepoint_call_nr(SYS_epoll_wait, poll_code),
	    SYS_epoll_wait);
	ck_assert_int_eq(safepoint_call_nr(-1, poll_code), -1);
	/* so the main thread in a resumed poll is at a safe point */
	ck_assert_int_eq(safepoint_classify(safepoint_call_nr(
	    SYS_restart_syscall, poll_code), 0, 1, 1), SAFEPOINT_OK);
}
END_TEST

START_TEST(test_safepoint_eintr_list)
{
	ck_assert(safepoint_eintr_restartable(SYS_epoll_wait));
	ck_assert(safepoint_eintr_restartable(SYS_epoll_pwait));
	ck_assert(safepoint_eintr_restartable(441));
	ck_assert(safepoint_eintr_restartable(SYS_recvmsg));
	ck_assert(safepoint_eintr_restartable(SYS_read));
	ck_assert(safepoint_eintr_restartable(SYS_rt_sigtimedwait));
	/* these restart by themselves (ERESTART*): never rewound */
	ck_assert(!safepoint_eintr_restartable(SYS_poll));
	ck_assert(!safepoint_eintr_restartable(SYS_ppoll));
	ck_assert(!safepoint_eintr_restartable(SYS_select));
	ck_assert(!safepoint_eintr_restartable(SYS_futex));
	ck_assert(!safepoint_eintr_restartable(SYS_write));
	ck_assert(!safepoint_eintr_restartable(-1));
}
END_TEST

START_TEST(test_safepoint_names)
{
	ck_assert_str_eq(safepoint_syscall_name(SYS_poll), "poll");
	ck_assert_str_eq(safepoint_syscall_name(SYS_clock_nanosleep),
	    "clock_nanosleep");
	ck_assert_str_eq(safepoint_syscall_name(SYS_restart_syscall),
	    "restart_syscall");
	ck_assert_str_eq(safepoint_syscall_name(9999), "syscall");
}
END_TEST

/* ---- preflight ---------------------------------------------------------- */

static const char status_text[] =
    "Name:\tgv-target\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Ngid:\t0\n"
    "Pid:\t4242\n"
    "PPid:\t17\n"
    "TracerPid:\t0\n"
    "Uid:\t1000\t1001\t1002\t1003\n"
    "Gid:\t100\t101\t102\t103\n"
    "Groups:\t100 27\n"
    "SigQ:\t0/95873\n"
    "SigPnd:\t0000000000000000\n"
    "ShdPnd:\t0000000000000100\n"
    "SigBlk:\t0000000000010000\n"
    "SigIgn:\t0000000000000010\n"
    "SigCgt:\t0000000100000200\n"
    "CapEff:\t000001ffffffffff\n"
    "Cpus_allowed_list:\t0-1\n";

START_TEST(test_preflight_parse_status)
{
	struct preflight_status st;

	ck_assert_int_eq(preflight_parse_status(status_text, &st), 0);
	ck_assert_str_eq(st.name, "gv-target");
	ck_assert_int_eq(st.state, 'S');
	ck_assert_int_eq(st.tgid, 4242);
	ck_assert_int_eq(st.ppid, 17);
	ck_assert_int_eq(st.tracer, 0);
	ck_assert_uint_eq(st.uid[0], 1000);
	ck_assert_uint_eq(st.uid[3], 1003);
	ck_assert_uint_eq(st.gid[1], 101);
	ck_assert(st.shdpnd == 0x100);
	ck_assert(st.sigblk == 0x10000);
	ck_assert(st.sigign == 0x10);		/* SIGTRAP, bit 4 */
	ck_assert(st.sigcgt == 0x100000200ull);
	ck_assert((st.capeff >> PREFLIGHT_CAP_SYS_PTRACE) & 1);
	ck_assert_int_eq(st.have & (PREFLIGHT_HAVE_NAME | PREFLIGHT_HAVE_UID |
	    PREFLIGHT_HAVE_GID | PREFLIGHT_HAVE_TRACER | PREFLIGHT_HAVE_SIG |
	    PREFLIGHT_HAVE_CAP), PREFLIGHT_HAVE_NAME | PREFLIGHT_HAVE_UID |
	    PREFLIGHT_HAVE_GID | PREFLIGHT_HAVE_TRACER | PREFLIGHT_HAVE_SIG |
	    PREFLIGHT_HAVE_CAP);
}
END_TEST

START_TEST(test_preflight_parse_bad)
{
	struct preflight_status st;

	ck_assert_int_eq(preflight_parse_status("Uid:\t1 2 3\n", &st),
	    -EINVAL);
	ck_assert_int_eq(preflight_parse_status("Uid:\t1 2 3 x\n", &st),
	    -EINVAL);
	ck_assert_int_eq(preflight_parse_status("TracerPid:\t-4\n", &st),
	    -EINVAL);
	ck_assert_int_eq(preflight_parse_status("SigIgn:\tzz\n", &st),
	    -EINVAL);
	ck_assert_int_eq(preflight_parse_status("no colon here\n", &st),
	    -EINVAL);
	ck_assert_int_eq(preflight_parse_status("", &st), 0);
	ck_assert_int_eq(st.have, 0);
	/* unknown keys and very long values are skipped */
	ck_assert_int_eq(preflight_parse_status("Foo:\tbar\nTgid:\t9", &st),
	    0);
	ck_assert_int_eq(st.tgid, 9);
}
END_TEST

START_TEST(test_preflight_own_status)
{
	struct preflight_status st;

	ck_assert_int_eq(preflight_read_status("/proc/self/status", &st), 0);
	ck_assert_int_eq(st.tgid, getpid());
	ck_assert_uint_eq(st.uid[0], getuid());
	ck_assert_uint_eq(st.gid[0], getgid());
	ck_assert_int_eq(preflight_read_status("/proc/0/status", &st),
	    -ESRCH);
}
END_TEST

START_TEST(test_preflight_yama)
{
	ck_assert_int_eq(preflight_yama(-1, 0), 0);	/* no Yama */
	ck_assert_int_eq(preflight_yama(0, 0), 0);
	ck_assert_int_eq(preflight_yama(1, 0), 1);	/* try; EPERM is Yama */
	ck_assert_int_eq(preflight_yama(1, 1), 0);
	ck_assert_int_eq(preflight_yama(2, 0), -EPERM);
	ck_assert_int_eq(preflight_yama(2, 1), 0);
	ck_assert_int_eq(preflight_yama(3, 0), -EPERM);
	ck_assert_int_eq(preflight_yama(3, 1), -EPERM);
}
END_TEST

START_TEST(test_preflight_refusals)
{
	struct preflight_info info;
	char cause[256];

	ck_assert_int_eq(preflight_check(0x3fffffff, &info, cause,
	    sizeof cause), -ESRCH);
	ck_assert_ptr_nonnull(strstr(cause, "no process"));
	ck_assert_int_eq(preflight_check(-5, &info, cause, sizeof cause),
	    -ESRCH);
	/* ourselves: ours, x86_64, not traced (unless under a debugger) */
	ck_assert_int_eq(preflight_check(getpid(), &info, NULL, 0), 0);
	ck_assert_str_ne(info.name, "");
}
END_TEST

static Suite *
gv_inject_rules_suite(void)
{
	Suite *s = suite_create("gv_inject_rules");
	TCase *tc = tcase_create("safepoint");

	tcase_add_test(tc, test_safepoint_event_loop_calls);
	tcase_add_test(tc, test_safepoint_not_waits);
	tcase_add_test(tc, test_safepoint_futex_and_sleeps);
	tcase_add_test(tc, test_safepoint_restart_decode);
	tcase_add_test(tc, test_safepoint_eintr_list);
	tcase_add_test(tc, test_safepoint_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("preflight");
	tcase_add_test(tc, test_preflight_parse_status);
	tcase_add_test(tc, test_preflight_parse_bad);
	tcase_add_test(tc, test_preflight_own_status);
	tcase_add_test(tc, test_preflight_yama);
	tcase_add_test(tc, test_preflight_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gv_inject_rules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * Check suite for common/ipc: listening on paths and abstract names, the
 * peer check, frames (whole, short, oversized, truncated, timed out) and
 * descriptor passing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/wbuf.h"

#define NOBODY	65534

static char tmpdir[64];

static void
tmpdir_make(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/check_ipc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Removes what a test left in its directory, then the directory. */
static void
tmpdir_remove(void)
{
	static const char *const names[] = { "ctl.sock", "file", "dir", "link" };
	char p[128];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
		if (unlink(p) < 0 && errno == EISDIR)
			rmdir(p);
		rmdir(p);
	}
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static const char *
tmppath(const char *name)
{
	static char p[128];

	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static const char *
abstract_name(const char *tag)
{
	static char name[96];

	snprintf(name, sizeof name, "evict-check-ipc.%ld.%s", (long)getpid(),
	    tag);
	return name;
}

static int
cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	ck_assert_int_ge(fl, 0);
	return (fl & FD_CLOEXEC) != 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(k, 0);
		b += k;
		n -= (size_t)k;
	}
}

/* Sends a frame each way over a connected pair and checks both. */
static void
exchange(int a, int b)
{
	struct wbuf pl;
	uint16_t type;
	char s[32];

	wbuf_init(&pl, 0);
	ck_assert_int_eq(ipc_send_frame(a, 301, "\0\0\0\5hello", 9), 0);
	ck_assert_int_eq(ipc_recv_frame(b, &pl, &type, 64, 1000),
	    FRAME_HDR_LEN + 9);
	ck_assert_uint_eq(type, 301);
	ck_assert_int_eq(wbuf_get_str(&pl, s, sizeof s), 0);
	ck_assert_str_eq(s, "hello");
	ck_assert_int_eq(ipc_send_frame(b, 302, NULL, 0), 0);
	ck_assert_int_eq(ipc_recv_frame(a, &pl, &type, 64, 1000),
	    FRAME_HDR_LEN);
	ck_assert_uint_eq(type, 302);
	ck_assert_uint_eq(wbuf_avail(&pl), 0);
	wbuf_free(&pl);
}

/* ---- listen, connect, accept ------------------------------------------- */

START_TEST(test_path_listen_connect_accept)
{
	struct ucred uc;
	struct stat st;
	int lfd, c, s;

	tmpdir_make();
	/* with no umask at all, the file still comes out 0600 */
	umask(0);
	lfd = ipc_listen(tmppath("ctl.sock"), 0, 4);
	ck_assert_int_ge(lfd, 0);
	ck_assert(cloexec(lfd));
	ck_assert_int_eq(lstat(tmppath("ctl.sock"), &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	c = ipc_connect(tmppath("ctl.sock"), 0);
	ck_assert_int_ge(c, 0);
	ck_assert(cloexec(c));
	s = ipc_accept(lfd);
	ck_assert_int_ge(s, 0);
	ck_assert(cloexec(s));
	ck_assert_int_eq(ipc_peer_cred(s, &uc), 0);
	ck_assert_int_eq(uc.pid, getpid());
	ck_assert_uint_eq(uc.uid, geteuid());
	ck_assert_int_eq(ipc_peer_allowed(s), 0);
	ck_assert_int_eq(ipc_peer_allowed(c), 0);
	exchange(c, s);

	close(c);
	close(s);
	close(lfd);
	tmpdir_remove();
}
END_TEST

START_TEST(test_abstract_listen_connect_accept)
{
	const char *name = abstract_name("abs");
	int lfd, c, s;

	lfd = ipc_listen(name, 1, 0);
	ck_assert_int_ge(lfd, 0);
	/* the name is taken while lfd lives */
	ck_assert_int_eq(ipc_listen(name, 1, 0), -EADDRINUSE);
	c = ipc_connect(name, 1);
	ck_assert_int_ge(c, 0);
	s = ipc_accept(lfd);
	ck_assert_int_ge(s, 0);
	exchange(s, c);
	close(c);
	close(s);
	close(lfd);
	/* gone with its socket: nobody to connect to */
	ck_assert_int_eq(ipc_connect(name, 1), -ECONNREFUSED);
}
END_TEST

START_TEST(test_nonblocking_accept)
{
	const char *name = abstract_name("nb");
	int lfd;

	lfd = ipc_listen(name, 1, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(ipc_accept(lfd), -EAGAIN);
	close(lfd);
}
END_TEST

START_TEST(test_bad_names)
{
	char longname[200];

	tmpdir_make();
	memset(longname, 'x', sizeof longname - 1);
	longname[0] = '/';
	longname[sizeof longname - 1] = '\0';
	ck_assert_int_eq(ipc_listen(longname, 0, 0), -ENAMETOOLONG);
	ck_assert_int_eq(ipc_listen(longname + 1, 1, 0), -ENAMETOOLONG);
	ck_assert_int_eq(ipc_connect(longname, 0), -ENAMETOOLONG);
	ck_assert_int_eq(ipc_listen("", 0, 0), -EINVAL);
	ck_assert_int_eq(ipc_listen(NULL, 1, 0), -EINVAL);
	/* the parent directory must exist; it is not created */
	ck_assert_int_eq(ipc_listen(tmppath("dir/ctl.sock"), 0, 0), -ENOENT);
	ck_assert_int_eq(access(tmppath("dir"), F_OK), -1);
	ck_assert_int_eq(ipc_connect(tmppath("ctl.sock"), 0), -ENOENT);
	tmpdir_remove();
}
END_TEST

START_TEST(test_no_clobber)
{
	char buf[16];
	struct stat st;
	int fd;

	tmpdir_make();
	/* a regular file */
	fd = open(tmppath("file"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	write_all(fd, "precious", 8);
	close(fd);
	ck_assert_int_eq(ipc_listen(tmppath("file"), 0, 0), -EEXIST);
	fd = open(tmppath("file"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof buf), 8);
	ck_assert_mem_eq(buf, "precious", 8);
	close(fd);
	/* a directory */
	ck_assert_int_eq(mkdir(tmppath("dir"), 0700), 0);
	ck_assert_int_eq(ipc_listen(tmppath("dir"), 0, 0), -EEXIST);
	ck_assert_int_eq(lstat(tmppath("dir"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* a symlink, even a dangling one, is not followed nor replaced */
	ck_assert_int_eq(symlink("ctl.sock", tmppath("link")), 0);
	ck_assert_int_eq(ipc_listen(tmppath("link"), 0, 0), -EEXIST);
	ck_assert_int_eq(lstat(tmppath("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(access(tmppath("ctl.sock"), F_OK), -1);
	tmpdir_remove();
}
END_TEST

START_TEST(test_stale_replaced_live_kept)
{
	struct stat st;
	int lfd, lfd2, c, s;

	tmpdir_make();
	/* a listener that died without removing its file */
	lfd = ipc_listen(tmppath("ctl.sock"), 0, 0);
	ck_assert_int_ge(lfd, 0);
	close(lfd);
	ck_assert_int_eq(lstat(tmppath("ctl.sock"), &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(ipc_connect(tmppath("ctl.sock"), 0), -ECONNREFUSED);

	lfd = ipc_listen(tmppath("ctl.sock"), 0, 0);
	ck_assert_int_ge(lfd, 0);
	c = ipc_connect(tmppath("ctl.sock"), 0);
	ck_assert_int_ge(c, 0);
	s = ipc_accept(lfd);
	ck_assert_int_ge(s, 0);
	exchange(c, s);
	close(c);
	close(s);

	/* a live one is not taken over */
	ck_assert_int_eq(ipc_listen(tmppath("ctl.sock"), 0, 0), -EADDRINUSE);
	/* the probe was a connection; it closed at once */
	s = ipc_accept(lfd);
	ck_assert_int_ge(s, 0);
	{
		struct wbuf pl;
		uint16_t type;

		wbuf_init(&pl, 0);
		ck_assert_int_eq(ipc_recv_frame(s, &pl, &type, 64, 1000), 0);
		wbuf_free(&pl);
	}
	close(s);
	/* and the live listener still works */
	c = ipc_connect(tmppath("ctl.sock"), 0);
	ck_assert_int_ge(c, 0);
	lfd2 = ipc_accept(lfd);
	ck_assert_int_ge(lfd2, 0);
	exchange(lfd2, c);
	close(c);
	close(lfd2);
	close(lfd);
	tmpdir_remove();
}
END_TEST

/* ---- the peer check (root only) ---------------------------------------- */

static void
become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		_exit(90);
}

START_TEST(test_peer_check_refuses_other_uid)
{
	const char *name = abstract_name("peer");
	char logbuf[2048], want[64];
	int lfd, logfd, s, c, st;
	ssize_t n;
	pid_t pid;

	logfd = memfd_create("log", MFD_CLOEXEC);
	ck_assert_int_ge(logfd, 0);
	log_set_fd(logfd);
	lfd = ipc_listen(name, 1, 0);
	ck_assert_int_ge(lfd, 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char b;

		become_nobody();
		/* the server is root's: allowed from this side */
		if ((c = ipc_connect(name, 1)) < 0)
			_exit(91);
		/* and then closed from the other: EOF, not a frame */
		if (read(c, &b, 1) != 0)
			_exit(92);
		_exit(0);
	}
	ck_assert_int_eq(ipc_accept(lfd), -EPERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);

	/* the refusal was logged, naming the peer */
	n = pread(logfd, logbuf, sizeof logbuf - 1, 0);
	ck_assert_int_gt(n, 0);
	logbuf[n] = '\0';
	snprintf(want, sizeof want, "pid %ld uid %d", (long)pid, NOBODY);
	ck_assert_msg(strstr(logbuf, want) != NULL, "log lacks \"%s\": %s",
	    want, logbuf);
	ck_assert_ptr_nonnull(strstr(logbuf, " warn "));

	/* a same-uid connection is accepted */
	c = ipc_connect(name, 1);
	ck_assert_int_ge(c, 0);
	s = ipc_accept(lfd);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(ipc_peer_allowed(s), 0);
	exchange(c, s);
	close(c);
	close(s);
	close(lfd);
	log_set_fd(-1);
	close(logfd);
}
END_TEST

START_TEST(test_peer_check_client_refuses_squatter)
{
	const char *name = abstract_name("squat");
	int ready[2], done[2], st;
	pid_t pid;
	char b;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int lfd;

		close(ready[0]);
		close(done[1]);
		become_nobody();
		/* an unprivileged user squatting on our abstract name */
		if ((lfd = ipc_listen(name, 1, 0)) < 0)
			_exit(91);
		if (write(ready[1], "r", 1) != 1)
			_exit(92);
		/* wait for the test to finish with us */
		if (read(done[0], &b, 1) < 0)
			_exit(93);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	ck_assert_int_eq(read(ready[0], &b, 1), 1);
	ck_assert_int_eq(ipc_connect(name, 1), -EPERM);
	close(done[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	close(ready[0]);
}
END_TEST

/* ---- frames ------------------------------------------------------------ */

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * A child sends: a frame one byte per write, an empty frame, a 1 MiB frame
 * from a non-blocking socket (so the sender waits for room), then closes.
 * The parent reads them under a 5 ms interval timer whose signal interrupts
 * every wait (no SA_RESTART).
 */
START_TEST(test_frames_short_io_and_eintr)
{
	static const uint8_t small[] = { 0, 0, 0, 3, 0, 7, 'a', 'b', 'c' };
	const size_t big = 1u << 20;
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	struct sigaction sa;
	struct wbuf pl;
	uint16_t type;
	uint8_t *data;
	int sp[2], st;
	size_t i;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint8_t *buf;

		close(sp[0]);
		for (i = 0; i < sizeof small; i++) {
			if (write(sp[1], small + i, 1) != 1)
				_exit(91);
			usleep(20000);
		}
		if (ipc_send_frame(sp[1], 0, NULL, 0) != 0)
			_exit(92);
		if ((buf = malloc(big)) == NULL)
			_exit(93);
		for (i = 0; i < big; i++)
			buf[i] = (uint8_t)(i * 7 + i / 251);
		if (fcntl(sp[1], F_SETFL, O_NONBLOCK) < 0 ||
		    ipc_send_frame(sp[1], 65535, buf, big) != 0)
			_exit(94);
		free(buf);
		_exit(0);
	}
	close(sp[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);

	wbuf_init(&pl, 2u << 20);
	ck_assert_int_eq(ipc_recv_frame(sp[0], &pl, &type, big, 5000),
	    (int)sizeof small);
	ck_assert_uint_eq(type, 7);
	ck_assert_uint_eq(wbuf_avail(&pl), 3);
	ck_assert_mem_eq(wbuf_ptr(&pl), "abc", 3);
	ck_assert_int_eq(ipc_recv_frame(sp[0], &pl, &type, big, 5000),
	    FRAME_HDR_LEN);
	ck_assert_uint_eq(type, 0);
	ck_assert_uint_eq(wbuf_avail(&pl), 0);
	ck_assert_int_eq(ipc_recv_frame(sp[0], &pl, &type, big, 5000),
	    (int)(FRAME_HDR_LEN + big));
	ck_assert_uint_eq(type, 65535);
	ck_assert_uint_eq(wbuf_avail(&pl), big);
	data = pl.data;
	for (i = 0; i < big; i++)
		if (data[i] != (uint8_t)(i * 7 + i / 251))
			ck_abort_msg("byte %zu differs", i);
	/* the sender closed between frames: a clean end */
	ck_assert_int_eq(ipc_recv_frame(sp[0], &pl, &type, big, 5000), 0);

	it.it_value.tv_usec = 0;
	it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	wbuf_free(&pl);
	close(sp[0]);
}
END_TEST

START_TEST(test_oversized_refused)
{
	uint8_t payload[100];
	struct timespec t0;
	struct wbuf pl;
	uint16_t type;
	int sp[2];

	memset(payload, 'p', sizeof payload);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	wbuf_init(&pl, 0);
	/* over the caller's maxlen */
	ck_assert_int_eq(ipc_send_frame(sp[0], 1, payload, sizeof payload), 0);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 50, 1000),
	    -EMSGSIZE);
	ck_assert_uint_eq(wbuf_avail(&pl), 0);
	close(sp[0]);
	close(sp[1]);

	/* over the buffer's own limit */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	wbuf_free(&pl);
	wbuf_init(&pl, 10);
	ck_assert_int_eq(ipc_send_frame(sp[0], 1, payload, sizeof payload), 0);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 1000, 1000),
	    -EMSGSIZE);
	close(sp[0]);
	close(sp[1]);

	/* a 4 GiB announcement is refused at once, without waiting for it */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	write_all(sp[0], "\xff\xff\xff\xff\0\1", 6);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, SIZE_MAX, -1),
	    -EMSGSIZE);
	ck_assert_int_lt(ms_since(&t0), 1000);

	/* the sender refuses what u32 cannot say, without reading it */
	ck_assert_int_eq(ipc_send_frame(sp[0], 1, payload,
	    (size_t)UINT32_MAX + 1), -EMSGSIZE);
	/* a view cannot take a payload */
	wbuf_view(&pl, payload, sizeof payload);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 64, 0), -EINVAL);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

START_TEST(test_truncated_frame_errors)
{
	struct timespec t0;
	struct wbuf pl;
	uint16_t type;
	int sp[2], r;

	wbuf_init(&pl, 0);

	/* header says 100, 10 come, the peer closes: an error, at once */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	write_all(sp[0], "\0\0\0\x64\0\1" "0123456789", 16);
	close(sp[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ipc_recv_frame(sp[1], &pl, &type, 1000, 3000);
	ck_assert_msg(r == -EPIPE || r == -ECONNRESET, "got %d", r);
	ck_assert_int_lt(ms_since(&t0), 1000);
	ck_assert_uint_eq(wbuf_avail(&pl), 0);
	close(sp[1]);

	/* the peer closes inside the header */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	write_all(sp[0], "\0\0\0", 3);
	close(sp[0]);
	r = ipc_recv_frame(sp[1], &pl, &type, 1000, 3000);
	ck_assert_msg(r == -EPIPE || r == -ECONNRESET, "got %d", r);
	close(sp[1]);

	/* the peer stays but stops mid-frame: the timeout ends the wait */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	write_all(sp[0], "\0\0\0\x64\0\1" "0123456789", 16);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 1000, 200),
	    -ETIMEDOUT);
	ck_assert_int_ge(ms_since(&t0), 190);
	ck_assert_int_lt(ms_since(&t0), 2000);
	close(sp[0]);
	close(sp[1]);

	/* nothing at all: a timeout that leaves the stream usable */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 1000, 0),
	    -ETIMEDOUT);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 1000, 50),
	    -ETIMEDOUT);
	ck_assert_int_eq(ipc_send_frame(sp[0], 9, "ok", 2), 0);
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 1000, 0),
	    FRAME_HDR_LEN + 2);
	ck_assert_uint_eq(type, 9);
	close(sp[0]);
	close(sp[1]);

	/* a sender whose peer is gone gets an error, not SIGPIPE */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	close(sp[1]);
	r = ipc_send_frame(sp[0], 1, "x", 1);
	ck_assert_msg(r == -EPIPE || r == -ECONNRESET, "got %d", r);
	close(sp[0]);
	wbuf_free(&pl);
}
END_TEST

/* ---- descriptor passing ------------------------------------------------ */

/* 1 when the pipe whose write end is w still has a reader somewhere. */
static int
pipe_has_reader(int w)
{
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	n = write(w, "?", 1);
	if (n < 0) {
		ck_assert_int_eq(errno, EPIPE);
		return 0;
	}
	return 1;
}

START_TEST(test_fd_passing)
{
	struct wbuf pl;
	uint16_t type;
	char buf[8];
	int sp[2], p[2], fd, none;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	wbuf_init(&pl, 0);

	/* round trip: the received descriptor is the pipe's read end */
	ck_assert_int_eq(ipc_send_fd(sp[0], p[0], 210, "pipe", 4), 0);
	close(p[0]);
	ck_assert_int_eq(ipc_recv_fd(sp[1], &fd, &pl, &type, 64, 1000),
	    FRAME_HDR_LEN + 4);
	ck_assert_int_ge(fd, 0);
	ck_assert(cloexec(fd));
	ck_assert_uint_eq(type, 210);
	ck_assert_mem_eq(wbuf_ptr(&pl), "pipe", 4);
	write_all(p[1], "hello", 5);
	ck_assert_int_eq(read(fd, buf, sizeof buf), 5);
	ck_assert_mem_eq(buf, "hello", 5);

	/* a frame without one: -1 */
	ck_assert_int_eq(ipc_send_frame(sp[0], 211, NULL, 0), 0);
	ck_assert_int_eq(ipc_recv_fd(sp[1], &none, &pl, &type, 64, 1000),
	    FRAME_HDR_LEN);
	ck_assert_int_eq(none, -1);
	ck_assert_int_eq(ipc_send_fd(sp[0], -1, 1, NULL, 0), -EBADF);

	/* the only reader now is the one we received: pass it on and drop it */
	ck_assert_int_eq(ipc_send_fd(sp[0], fd, 212, NULL, 0), 0);
	close(fd);
	ck_assert(pipe_has_reader(p[1]));
	/* received by someone who takes no descriptors: it is closed */
	ck_assert_int_eq(ipc_recv_frame(sp[1], &pl, &type, 64, 1000),
	    FRAME_HDR_LEN);
	ck_assert_uint_eq(type, 212);
	ck_assert(!pipe_has_reader(p[1]));

	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	wbuf_free(&pl);
}
END_TEST

START_TEST(test_fd_passing_two_refused)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	uint8_t hdr[FRAME_HDR_LEN] = { 0, 0, 0, 0, 0, 5 };
	struct iovec iov = { hdr, sizeof hdr };
	struct msghdr mh;
	struct cmsghdr *c;
	struct wbuf pl;
	uint16_t type;
	int sp[2], p[2], q[2], fds[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(q, O_CLOEXEC), 0);
	memset(&mh, 0, sizeof mh);
	memset(&cm, 0, sizeof cm);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	fds[0] = p[0];
	fds[1] = q[0];
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	ck_assert_int_eq(sendmsg(sp[0], &mh, 0), (ssize_t)sizeof hdr);
	close(p[0]);
	close(q[0]);

	wbuf_init(&pl, 0);
	fd = 12345;
	ck_assert_int_eq(ipc_recv_fd(sp[1], &fd, &pl, &type, 64, 1000),
	    -EBADMSG);
	ck_assert_int_eq(fd, -1);
	/* neither leaked */
	ck_assert(!pipe_has_reader(p[1]));
	ck_assert(!pipe_has_reader(q[1]));
	close(p[1]);
	close(q[1]);
	close(sp[0]);
	close(sp[1]);
	wbuf_free(&pl);
}
END_TEST

static Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *sock = tcase_create("sockets");
	TCase *peer = tcase_create("peer-check");
	TCase *frames = tcase_create("frames");
	TCase *fds = tcase_create("fd-passing");

	tcase_add_test(sock, test_path_listen_connect_accept);
	tcase_add_test(sock, test_abstract_listen_connect_accept);
	tcase_add_test(sock, test_nonblocking_accept);
	tcase_add_test(sock, test_bad_names);
	tcase_add_test(sock, test_no_clobber);
	tcase_add_test(sock, test_stale_replaced_live_kept);
	suite_add_tcase(s, sock);

	if (geteuid() == 0) {
		tcase_add_test(peer, test_peer_check_refuses_other_uid);
		tcase_add_test(peer, test_peer_check_client_refuses_squatter);
		suite_add_tcase(s, peer);
	} else {
		printf("SKIP: ipc peer-check: needs root to setuid() a peer to "
		    "uid %d (run the suite as root)\n", NOBODY);
	}

	tcase_set_timeout(frames, 20);
	tcase_add_test(frames, test_frames_short_io_and_eintr);
	tcase_add_test(frames, test_oversized_refused);
	tcase_add_test(frames, test_truncated_frame_errors);
	suite_add_tcase(s, frames);

	tcase_add_test(fds, test_fd_passing);
	tcase_add_test(fds, test_fd_passing_two_refused);
	suite_add_tcase(s, fds);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ipc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * hijack: the library's only exported function.  guievictor has it called
 * (guievict-inject's init call) right after dlopen, in the program's main
 * thread, while every other thread is stopped at a safe point and no
 * thread is half-way through writing a request to the X connection (the
 * injector checked their poll and select sets).  So nothing else touches
 * the connection while the hooks go in.  It must not sleep, and never
 * exits or aborts the program: every failure is a negative errno for
 * guievictor to explain, and the program goes on as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "guievict/lib/gv.h"

struct gv gv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.fd = -1,
	.ph_wr = -1,
	.listen_fd = -1,
	.retired = { -1, -1, -1, -1, -1, -1, -1, -1 },
};

/* Flags of guievict_hijack (guievictor passes them). */
#define GV_HF_LEVEL_MASK	0x0f	/* log level + 1; 0: default */

uint64_t
gv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
gv_on_injected(void *arg, uint32_t tag, const uint8_t *m, size_t len)
{
	(void)arg;
	(void)len;
	switch (tag) {
	case XL_TAG_SENTINEL:
		gv.sync_done = 1;
		break;
	case XL_TAG_KICK:
		gv.kick_out = 0;
		break;
	default:
		if (m[0] == 0)
			log_debug("X error %u for a request of ours", m[1]);
		break;
	}
}

/* In a child after fork(): the connection is the parent's business. */
static void
gv_atfork_child(void)
{
	__atomic_store_n(&gv.fd, -1, __ATOMIC_RELEASE);
	gv.state = GVC_ST_GONE;
}

int guievict_hijack(int fd, unsigned flags)
    __attribute__((visibility("default")));

int
guievict_hijack(int fd, unsigned flags)
{
	struct stat st;
	int type = 0, r, fl;
	socklen_t sl = sizeof type;

	if (gv.fd >= 0 || gv.listen_fd >= 0)
		return fd == gv.fd ? 0 : -EBUSY;
	log_init("guievict", EVLOG_WARN);
	if ((flags & GV_HF_LEVEL_MASK) != 0)
		log_set_level((int)(flags & GV_HF_LEVEL_MASK) - 1);
	if (fstat(fd, &st) != 0)
		return -EBADF;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) != 0 ||
	    type != SOCK_STREAM)
		return -EPROTOTYPE;
	if ((fl = fcntl(fd, F_GETFD)) < 0)
		return -errno;

	xl_init(&gv.xl);
	gv.xl.on_injected = gv_on_injected;
	gv.fd_cloexec = (fl & FD_CLOEXEC) != 0;
	if (ops_display_of_fd(fd, gv.display, sizeof gv.display) != 0)
		gv.display[0] = '\0';
	memcpy(gv.origin, gv.display, sizeof gv.origin);
	gv.state = GVC_ST_ATTACHED;

	if ((r = ctl_start()) != 0) {
		xl_free(&gv.xl);
		return r;
	}
	pthread_atfork(NULL, NULL, gv_atfork_child);
	__atomic_store_n(&gv.fd, fd, __ATOMIC_RELEASE);
	if ((r = hook_install()) < 0) {
		/* the control socket stays, and says why */
		__atomic_store_n(&gv.fd, -1, __ATOMIC_RELEASE);
		gv.state = GVC_ST_GONE;
		snprintf(gv.note, sizeof gv.note, "%s", r == -ENOENT ?
		    "the program does not use libxcb.so.1" : r == -EPROTO ?
		    "libxcb.so.1 of the program calls none of the hooked "
		    "functions" : "cannot redirect libxcb's calls");
		log_error("%s", gv.note);
		return r;
	}
	log_info("managing X connection on fd %d (%s)", fd,
	    gv.display[0] ? gv.display : "unknown display");
	return 0;
}

/* real: see real.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "edp/edp.h"
#include "librocks/real.h"

struct real_fns real;
int real_ok;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *
real_sym(const char *name, void *ours, int *bad)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL || p == ours) {
		*bad = 1;
		return NULL;
	}
	return p;
}

#define REAL(name) real.name = (__typeof__(real.name))real_sym(#name, NULL, &bad)

static void
real_fill(void)
{
	int bad = 0;

	REAL(socket);
	REAL(connect);
	REAL(listen);
	REAL(accept);
	REAL(accept4);
	REAL(close);
	REAL(shutdown);
	REAL(read);
	REAL(write);
	REAL(readv);
	REAL(writev);
	REAL(recv);
	REAL(send);
	REAL(recvfrom);
	REAL(sendto);
	REAL(recvmsg);
	REAL(sendmsg);
	REAL(getpeername);
	REAL(getsockname);
	REAL(ioctl);
	REAL(dup);
	REAL(dup2);
	REAL(dup3);
	REAL(poll);
	REAL(ppoll);
	REAL(setsockopt);
	REAL(epoll_ctl);
	REAL(fork);
	REAL(getsockopt);
	REAL(posix_spawn);
	REAL(getaddrinfo);
	real_ok = !bad;
	if (bad)
		log_once(EVLOG_ERROR, "a libc function is missing; reliable "
		    "sockets are off in this process");
}

void
real_init(void)
{
	pthread_once(&real_once, real_fill);
}

static int
real_dup3(int a, int b, int f)
{
	return real.dup3(a, b, f);
}

const struct edp_io *
real_edp_io(void)
{
	static struct edp_io io;

	real_init();
	if (io.socket == NULL) {
		io.socket = real.socket;
		io.connect = real.connect;
		io.recv = real.recv;
		io.send = real.send;
		io.shutdown = real.shutdown;
		io.poll = real.poll;
		io.close = real.close;
		io.dup3 = real_dup3;
	}
	return &io;
}

/*
 * gv-probe-lib: the library tests inject (built as libgv-probe.so).  Its
 * constructor appends one line to a marker file, so that a test sees it
 * ran inside the target:
 *
 *   pid=PID tid=TID lib=PATH-OF-THIS-COPY
 *
 * The file is $GV_PROBE_MARKER from the target's environment, else
 * /tmp/gv-probe.PID.  Only open/write/close: it runs inside dlopen, with
 * the loader's lock held, in a program that knows nothing of it.
 *
 * $GV_PROBE_MODE (in the target's environment) makes it misbehave, for
 * the tests of what the injector does then: "crash" writes through a
 * NULL pointer after the marker, "hang" sleeps 30 s after it.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void gv_probe_init(void) __attribute__((constructor));

static void
gv_probe_misbehave(const char *mode)
{
	struct timespec ts = { 30, 0 };
	volatile int *volatile nowhere = NULL;

	if (mode == NULL)
		return;
	if (strcmp(mode, "crash") == 0)
		*nowhere = 1;
	else if (strcmp(mode, "hang") == 0)
		nanosleep(&ts, NULL);
}

static void
gv_probe_init(void)
{
	char path[4096], line[4200];
	const char *env = getenv("GV_PROBE_MARKER");
	Dl_info di;
	int fd, n;

	if (env != NULL && env[0] != '\0')
		snprintf(path, sizeof path, "%s", env);
	else
		snprintf(path, sizeof path, "/tmp/gv-probe.%d", (int)getpid());
	memset(&di, 0, sizeof di);
	if (dladdr((void *)gv_probe_init, &di) == 0 || di.dli_fname == NULL)
		di.dli_fname = "?";
	n = snprintf(line, sizeof line, "pid=%d tid=%ld lib=%s\n",
	    (int)getpid(), (long)syscall(SYS_gettid), di.dli_fname);
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n)
		(void)0;	/* nothing to do inside somebody's program */
	close(fd);
	gv_probe_misbehave(getenv("GV_PROBE_MODE"));
}

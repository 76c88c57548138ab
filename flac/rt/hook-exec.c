/*
 * hook-exec: programs started from inside the name space stay in it
 * (exec.c): the exec family, posix_spawn, system, popen and pclose.
 * glibc's execvp, execl*, system and popen call execve or spawn inside
 * without a hook, so each public function is wrapped.
 *
 * An exec that works does not come back, and in the child of vfork it
 * shares this thread's memory with the parent: so these hooks never set
 * the busy guard (the parent would find it set), and reset the work area
 * when the exec fails.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "flac/rt/exec.h"
#include "flac/rt/hook.h"

extern char **environ;

/* 1 when exec calls are the runtime's (a session, not nested). */
static int
hook_exec_enter(void)
{
	if (hook_busy)
		return 0;
	if (!__atomic_load_n(&hook_booted, __ATOMIC_ACQUIRE))
		hook_boot();
	return rt.active;
}

static int
hook_exec_fail(int r)
{
	ws_reset();
	errno = -r;
	return -1;
}

RT_EXPORT int
execve(const char *path, char *const argv[], char *const envp[])
{
	if (!hook_exec_enter()) {
		hook_real();
		return real.execve(path, argv, envp);
	}
	return hook_exec_fail(exec_ve(path, argv, envp));
}

RT_EXPORT int
execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

RT_EXPORT int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!hook_exec_enter()) {
		hook_real();
		return real.execvpe(file, argv, envp);
	}
	return hook_exec_fail(exec_vpe(file, argv, envp));
}

RT_EXPORT int
execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* The arguments of an execl-style call, in ws (or on failure NULL). */
static char **
hook_vargs(const char *arg0, va_list ap, char ***envp)
{
	va_list aq;
	size_t n = 1, i;
	char **v;

	va_copy(aq, ap);
	while (va_arg(aq, char *) != NULL)
		n++;
	va_end(aq);
	if ((v = ws_alloc((n + 1) * sizeof *v)) == NULL)
		return NULL;
	v[0] = (char *)(uintptr_t)arg0;
	for (i = 1; i < n; i++)
		v[i] = va_arg(ap, char *);
	v[n] = NULL;
	(void)va_arg(ap, char *);	/* the NULL */
	if (envp != NULL)
		*envp = va_arg(ap, char **);
	return v;
}

RT_EXPORT int
execl(const char *path, const char *arg0, ...)
{
	va_list ap;
	char **v;

	va_start(ap, arg0);
	v = hook_vargs(arg0, ap, NULL);
	va_end(ap);
	if (v == NULL)
		return hook_exec_fail(-E2BIG);
	return execve(path, v, environ);
}

RT_EXPORT int
execle(const char *path, const char *arg0, ...)
{
	va_list ap;
	char **v, **envp = NULL;

	va_start(ap, arg0);
	v = hook_vargs(arg0, ap, &envp);
	va_end(ap);
	if (v == NULL)
		return hook_exec_fail(-E2BIG);
	return execve(path, v, envp);
}

RT_EXPORT int
execlp(const char *file, const char *arg0, ...)
{
	va_list ap;
	char **v;

	va_start(ap, arg0);
	v = hook_vargs(arg0, ap, NULL);
	va_end(ap);
	if (v == NULL)
		return hook_exec_fail(-E2BIG);
	return execvpe(file, v, environ);
}

RT_EXPORT int
execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
    int flags)
{
	if (!hook_exec_enter()) {
		hook_real();
		return real.execveat(dirfd, path, argv, envp, flags);
	}
	return hook_exec_fail(exec_veat(dirfd, path, argv, envp, flags));
}

RT_EXPORT int
fexecve(int fd, char *const argv[], char *const envp[])
{
	return execveat(fd, "", argv, envp, AT_EMPTY_PATH);
}

RT_EXPORT int
posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int r;

	if (!hook_exec_enter()) {
		hook_real();
		return real.posix_spawn(pid, path, fa, attr, argv, envp);
	}
	r = exec_spawn(pid, path, fa, attr, argv, envp, 0);
	ws_reset();
	return r;
}

RT_EXPORT int
posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int r;

	if (!hook_exec_enter()) {
		hook_real();
		return real.posix_spawnp(pid, file, fa, attr, argv, envp);
	}
	r = exec_spawn(pid, file, fa, attr, argv, envp, 1);
	ws_reset();
	return r;
}

RT_EXPORT int
system(const char *cmd)
{
	int r, e;

	if (!hook_exec_enter()) {
		hook_real();
		return real.system(cmd);
	}
	r = exec_system(cmd);
	e = errno;
	ws_reset();
	errno = e;
	return r;
}

RT_EXPORT FILE *
popen(const char *cmd, const char *mode)
{
	FILE *fp;
	int e;

	if (!hook_exec_enter()) {
		hook_real();
		return real.popen(cmd, mode);
	}
	fp = exec_popen(cmd, mode);
	e = errno;
	ws_reset();
	errno = e;
	return fp;
}

RT_EXPORT int
pclose(FILE *fp)
{
	int status = -1, r;

	hook_real();
	if ((r = exec_pclose(fp, &status)) == -ENOENT)
		return real.pclose(fp);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return status;
}

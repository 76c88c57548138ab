/*
 * hook-exec: the exec family and posix_spawn carry the process's rocks to
 * the new program (exec.c) through a memfd named in its environment; fork
 * hands the rocks the child inherits to keepers (keep.c).
 */
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/exec.h"
#include "librocks/hook.h"
#include "librocks/keep.h"

#define HOOK_EXEC_MAXARGS 4096

extern char **environ;

static void *
hook_next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		log_once(EVLOG_ERROR, "no next %s", name);
	return p;
}

/* envp with EVICT_ROCKS_STATE=fd in place of any earlier one (malloc'ed). */
static char **
hook_exec_env(char *const envp[], int fd, char *var, size_t varlen)
{
	size_t n = 0, i, j = 0;
	char **env;

	for (n = 0; envp != NULL && envp[n] != NULL; n++)
		;
	if ((env = calloc(n + 2, sizeof *env)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(envp[i], "EVICT_ROCKS_STATE=", 18) != 0)
			env[j++] = envp[i];
	snprintf(var, varlen, "EVICT_ROCKS_STATE=%d", fd);
	env[j++] = var;
	env[j] = NULL;
	return env;
}

/* Runs fn with the rocks' state added to envp; on failure, cleans up. */
#define HOOK_EXEC(envp, call) do {					\
	char var_[48], **env_ = NULL;					\
	int fd_, e_, rc_;						\
									\
	real_init();							\
	fd_ = real_ok ? rock_exec_prepare() : -1;			\
	if (fd_ >= 0)							\
		env_ = hook_exec_env((envp), fd_, var_, sizeof var_);	\
	{								\
		char *const *use_ = env_ != NULL ? env_ : (envp);	\
		rc_ = (call);						\
	}								\
	e_ = errno;							\
	free(env_);							\
	if (fd_ >= 0)							\
		real.close(fd_);					\
	errno = e_;							\
	return rc_;							\
} while (0)

ROCKS_EXPORT int
execve(const char *path, char *const argv[], char *const envp[])
{
	static int (*next)(const char *, char *const[], char *const[]);

	if (next == NULL && (next = hook_next("execve")) == NULL)
		return errno = ENOSYS, -1;
	HOOK_EXEC(envp, next(path, argv, use_));
}

ROCKS_EXPORT int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	static int (*next)(const char *, char *const[], char *const[]);

	if (next == NULL && (next = hook_next("execvpe")) == NULL)
		return errno = ENOSYS, -1;
	HOOK_EXEC(envp, next(file, argv, use_));
}

ROCKS_EXPORT int
fexecve(int fd, char *const argv[], char *const envp[])
{
	static int (*next)(int, char *const[], char *const[]);

	if (next == NULL && (next = hook_next("fexecve")) == NULL)
		return errno = ENOSYS, -1;
	HOOK_EXEC(envp, next(fd, argv, use_));
}

ROCKS_EXPORT int
execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

ROCKS_EXPORT int
execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl and friends: the arguments, up to the NULL, as an array. */
static int
hook_collect(const char *arg0, va_list ap, char **argv)
{
	int n = 0;

	argv[n++] = (char *)(uintptr_t)arg0;
	while (arg0 != NULL && n < HOOK_EXEC_MAXARGS - 1 &&
	    (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n] = NULL;
	return n;
}

ROCKS_EXPORT int
execl(const char *path, const char *arg, ...)
{
	char *argv[HOOK_EXEC_MAXARGS];
	va_list ap;

	va_start(ap, arg);
	hook_collect(arg, ap, argv);
	va_end(ap);
	return execve(path, argv, environ);
}

ROCKS_EXPORT int
execlp(const char *file, const char *arg, ...)
{
	char *argv[HOOK_EXEC_MAXARGS];
	va_list ap;

	va_start(ap, arg);
	hook_collect(arg, ap, argv);
	va_end(ap);
	return execvpe(file, argv, environ);
}

ROCKS_EXPORT int
execle(const char *path, const char *arg, ...)
{
	char *argv[HOOK_EXEC_MAXARGS], *const *envp;
	va_list ap;

	va_start(ap, arg);
	hook_collect(arg, ap, argv);
	envp = va_arg(ap, char *const *);
	va_end(ap);
	return execve(path, argv, envp);
}

ROCKS_EXPORT int
posix_spawn(pid_t *pid, const char *path,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	static int (*next)(pid_t *, const char *,
	    const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
	    char *const[], char *const[]);

	if (next == NULL && (next = hook_next("posix_spawn")) == NULL)
		return ENOSYS;
	HOOK_EXEC(envp, next(pid, path, fa, attr, argv, use_));
}

ROCKS_EXPORT int
posix_spawnp(pid_t *pid, const char *file,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	static int (*next)(pid_t *, const char *,
	    const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
	    char *const[], char *const[]);

	if (next == NULL && (next = hook_next("posix_spawnp")) == NULL)
		return ENOSYS;
	HOOK_EXEC(envp, next(pid, file, fa, attr, argv, use_));
}

/*
 * fork: a rock the child inherits would be one stream read and written by
 * two processes; a keeper takes it first and both share a local socket.
 */
ROCKS_EXPORT pid_t
fork(void)
{
	real_init();
	if (real.fork == NULL)
		return errno = ENOSYS, -1;
	if (real_ok)
		keep_before_fork();
	return real.fork();
}

/* exec: see exec.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/daemon/proto.h"
#include "flac/rt/exec.h"
#include "flac/rt/real.h"
#include "flac/rt/vfs.h"

extern char **environ;

#define EXEC_SHEBANG_MAX	256

/* ---- the environment ----------------------------------------------------- */

/* 1 when list (":" or " " separated) holds lib. */
static int
exec_has_lib(const char *list, const char *lib)
{
	size_t n = strlen(lib);
	const char *s;

	for (s = list; (s = strstr(s, lib)) != NULL; s += n)
		if ((s == list || s[-1] == ':' || s[-1] == ' ') &&
		    (s[n] == '\0' || s[n] == ':' || s[n] == ' '))
			return 1;
	return 0;
}

/*
 * The session's fds as the child will find them: the inherited ones when
 * they are still ours (close-on-exec cleared), else a new image memfd made
 * from our mapping.  The state page cannot be made again: a child that
 * lost it gets a private one (its caches then only see its own changes).
 */
static int
exec_session_fds(int *imgfd, int *statefd, unsigned long *ino)
{
	struct stat st;
	int fd, nfd, fl;

	*imgfd = -1;
	*statefd = -1;
	*ino = 0;
	if (rt.image == NULL)
		return -ENOENT;
	if (fstat(rt.imgfd, &st) == 0 && st.st_ino == rt.imgino) {
		*imgfd = rt.imgfd;
		*ino = rt.imgino;
	} else {
		log_once(EVLOG_INFO, "the program closed the name space's fd "
		    "%d; giving its children a copy", rt.imgfd);
		fd = memfd_create("flac-image", MFD_ALLOW_SEALING);
		if (fd < 0)
			return -errno;
		if (write(fd, rt.image, rt.imagelen) != (ssize_t)rt.imagelen ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
		    F_SEAL_SHRINK | F_SEAL_SEAL) != 0 ||
		    fstat(fd, &st) != 0) {
			rt_ops.close(fd);
			return -EIO;
		}
		nfd = fcntl(fd, F_DUPFD, SESSION_FD_MIN);
		rt_ops.close(fd);
		if (nfd < 0)
			return -errno;
		*imgfd = nfd;
		*ino = st.st_ino;
	}
	if ((fl = fcntl(*imgfd, F_GETFD)) >= 0 && (fl & FD_CLOEXEC))
		fcntl(*imgfd, F_SETFD, fl & ~FD_CLOEXEC);
	if (rt.statefd >= 0 && fstat(rt.statefd, &st) == 0 &&
	    st.st_ino == rt.stateino) {
		*statefd = rt.statefd;
		if ((fl = fcntl(*statefd, F_GETFD)) >= 0 && (fl & FD_CLOEXEC))
			fcntl(*statefd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	return 0;
}

/* The image fd the last exec_env gave (one made for the child only when
 * it differs from rt.imgfd: the spawner closes it). */
static __thread int exec_img = -1;

static int
exec_is(const char *e, const char *name)
{
	size_t n = strlen(name);

	return strncmp(e, name, n) == 0 && e[n] == '=';
}

char **
exec_env(char *const envp[])
{
	char **out, *s, *pre = NULL, *cwd, *sess;
	const char *oldpre = NULL, *asan = "";
	struct stat st;
	unsigned long ino;
	size_t n = 0, i, k = 0, len;
	int img, state;

	while (envp != NULL && envp[n] != NULL)
		n++;
	if ((out = ws_alloc((n + 6) * sizeof *out)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (exec_is(envp[i], "LD_PRELOAD")) {
			oldpre = envp[i] + sizeof "LD_PRELOAD";
			continue;
		}
		if (exec_is(envp[i], SESSION_ENV) ||
		    exec_is(envp[i], SESSION_ENV_CWD) ||
		    exec_is(envp[i], SESSION_ENV_RT) ||
		    exec_is(envp[i], FLACD_ENV))
			continue;
		out[k++] = envp[i];
	}
	/* LD_PRELOAD: ours after what is there (a sanitizer's runtime must
	   stay first), unless it is there already */
	if (rt.asanlib[0] != '\0' && (oldpre == NULL ||
	    strstr(oldpre, "libasan.so") == NULL))
		asan = rt.asanlib;	/* a sanitized build: its runtime first */
	len = sizeof "LD_PRELOAD=" + strlen(asan) + 1 + strlen(rt.rtlib) + 1 +
	    (oldpre != NULL ? strlen(oldpre) : 0);
	if ((pre = ws_alloc(len)) == NULL)
		return NULL;
	if (oldpre != NULL && exec_has_lib(oldpre, rt.rtlib))
		snprintf(pre, len, "LD_PRELOAD=%s%s%s", asan,
		    *asan != '\0' ? ":" : "", oldpre);
	else
		snprintf(pre, len, "LD_PRELOAD=%s%s%s%s%s", asan,
		    *asan != '\0' ? ":" : "", oldpre != NULL ? oldpre : "",
		    oldpre != NULL && *oldpre != '\0' ? ":" : "", rt.rtlib);
	out[k++] = pre;
	if ((s = ws_alloc(sizeof SESSION_ENV_RT + 1 + strlen(rt.rtlib))) ==
	    NULL)
		return NULL;
	sprintf(s, "%s=%s", SESSION_ENV_RT, rt.rtlib);
	out[k++] = s;
	if (rt.daemon[0] != '\0' && (s = ws_alloc(sizeof FLACD_ENV + 1 +
	    strlen(rt.daemon))) != NULL) {
		sprintf(s, "%s=%s", FLACD_ENV, rt.daemon);
		out[k++] = s;
	}
	exec_img = -1;
	if (exec_session_fds(&img, &state, &ino) == 0 &&
	    (exec_img = img, sess = ws_alloc(96)) != NULL) {
		memcpy(sess, SESSION_ENV "=", sizeof SESSION_ENV);
		if (session_env_format(sess + sizeof SESSION_ENV, 96 -
		    sizeof SESSION_ENV, img, state, ino) > 0)
			out[k++] = sess;
	}
	/* the directory of the name space, with the real one it was at */
	if ((cwd = ws_alloc(RT_PATH_MAX + 96)) != NULL &&
	    rt_ops.fstatat(AT_FDCWD, ".", &st, 0) == 0) {
		len = (size_t)snprintf(cwd, 96, "%s=%lu:%lu:",
		    SESSION_ENV_CWD, (unsigned long)st.st_dev,
		    (unsigned long)st.st_ino);
		if (rt.identity ? rt_ops.getcwd(cwd + len, RT_PATH_MAX) !=
		    NULL : cwd_get(cwd + len, RT_PATH_MAX) >= 0)
			out[k++] = cwd;
	}
	out[k] = NULL;
	return out;
}

/* ---- finding the program --------------------------------------------- */

/*
 * The real file to execute for path, and the argv to give it: for a "#!"
 * script, its interpreter (found in the name space) with the script's path
 * after it.  *realp and *argvp are in ws.
 */
static int
exec_prepare(const char *path, char *const argv[], const char **realp,
    char *const **argvp)
{
	char *rp = ws_path(), *ip = ws_path(), *buf, *s, *e, *interp,
	    *arg = NULL;
	char **nargv;
	size_t argc = 0, i, k;
	ssize_t n;
	int fd, r;

	if (rp == NULL || ip == NULL || (buf = ws_alloc(EXEC_SHEBANG_MAX +
	    1)) == NULL)
		return -ENOMEM;
	if ((r = vfs_real_of(path, 1, rp)) < 0)
		return r;
	*realp = rp;
	*argvp = argv;
	if (rt_ops.faccessat(AT_FDCWD, rp, X_OK, AT_EACCESS) != 0)
		return -errno;
	if ((fd = rt_ops.openat(AT_FDCWD, rp, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;	/* execute-only: let the kernel have it */
	n = read(fd, buf, EXEC_SHEBANG_MAX);
	rt_ops.close(fd);
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = '\0';
	if ((e = strchr(buf, '\n')) == NULL)
		return 0;	/* too long for us: the kernel decides */
	*e = '\0';
	for (s = buf + 2; *s == ' ' || *s == '\t'; s++)
		;
	interp = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0') {
		*s++ = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		/* Linux: the rest of the line is one argument */
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\r'); e--)
			e[-1] = '\0';
		if (*s != '\0')
			arg = s;
	}
	if (*interp == '\0')
		return -ENOEXEC;
	if ((r = vfs_real_of(interp, 1, ip)) < 0)
		return r;
	while (argv != NULL && argv[argc] != NULL)
		argc++;
	if ((nargv = ws_alloc((argc + 4) * sizeof *nargv)) == NULL)
		return -ENOMEM;
	k = 0;
	nargv[k++] = interp;
	if (arg != NULL)
		nargv[k++] = arg;
	nargv[k++] = (char *)(uintptr_t)path;
	for (i = 1; i < argc; i++)
		nargv[k++] = argv[i];
	nargv[k] = NULL;
	*realp = ip;
	*argvp = nargv;
	return 0;
}

int
exec_ve(const char *path, char *const argv[], char *const envp[])
{
	char *const *nargv;
	const char *rp;
	char **nenv;
	int r;

	if (path == NULL)
		return -EFAULT;
	if (rt.identity) {
		/* plain local(): only the environment needs us */
		if ((nenv = exec_env(envp)) == NULL)
			return -ENOMEM;
		real.execve(path, argv, nenv);
		return -errno;
	}
	if ((r = exec_prepare(path, argv, &rp, &nargv)) < 0)
		return r;
	if ((nenv = exec_env(envp)) == NULL)
		return -ENOMEM;
	real.execve(rp, nargv, nenv);
	return -errno;
}

int
exec_vpe(const char *file, char *const argv[], char *const envp[])
{
	const char *path, *p, *e;
	char *cand = ws_path();
	char **shargv;
	size_t dl, fl, argc = 0, i;
	int r, eacces = 0;

	if (file == NULL || cand == NULL)
		return file == NULL ? -EFAULT : -ENOMEM;
	if (*file == '\0')
		return -ENOENT;
	if (strchr(file, '/') != NULL) {
		r = exec_ve(file, argv, envp);
		path = file;
		goto noexec;
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";
	fl = strlen(file);
	for (p = path;; p = e + 1) {
		e = strchr(p, ':');
		dl = e != NULL ? (size_t)(e - p) : strlen(p);
		if (dl + 1 + fl + 1 <= RT_PATH_MAX) {
			if (dl == 0)
				memcpy(cand, file, fl + 1);
			else {
				memcpy(cand, p, dl);
				cand[dl] = '/';
				memcpy(cand + dl + 1, file, fl + 1);
			}
			r = exec_ve(cand, argv, envp);
			if (r == -ENOEXEC) {
				path = cand;
				goto noexec;
			}
			if (r == -EACCES)
				eacces = 1;
			else if (r != -ENOENT && r != -ENOTDIR &&
			    r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT)
				return r;
		}
		if (e == NULL)
			break;
	}
	return eacces ? -EACCES : -ENOENT;
noexec:
	if (r != -ENOEXEC)
		return r;
	/* what execvp(3) does with a file the kernel cannot run: sh */
	while (argv != NULL && argv[argc] != NULL)
		argc++;
	if ((shargv = ws_alloc((argc + 3) * sizeof *shargv)) == NULL)
		return -ENOMEM;
	shargv[0] = (char *)"/bin/sh";
	shargv[1] = (char *)(uintptr_t)path;
	for (i = 1; i < argc; i++)
		shargv[i + 1] = argv[i];
	shargv[argc > 0 ? argc + 1 : 2] = NULL;
	return exec_ve("/bin/sh", shargv, envp);
}

int
exec_veat(int dirfd, const char *path, char *const argv[],
    char *const envp[], int flags)
{
	char *vp = ws_path();
	char **nenv;
	int r;

	if (vp == NULL)
		return -ENOMEM;
	if (path != NULL && path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
		if ((nenv = exec_env(envp)) == NULL)
			return -ENOMEM;
		syscall(SYS_execveat, dirfd, "", argv, nenv, flags);
		return -errno;
	}
	if ((r = vfs_abs(dirfd, path, vp)) < 0)
		return r;
	return exec_ve(vp, argv, envp);
}

/* The program posix_spawnp would run for file: the first in PATH that
 * is there and executable. */
static int
exec_find(const char *file, char *out)
{
	const char *path, *p, *e;
	size_t dl, fl = strlen(file);
	int eacces = 0, r;

	if (strchr(file, '/') != NULL) {
		snprintf(out, RT_PATH_MAX, "%s", file);
		return 0;
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";
	for (p = path;; p = e + 1) {
		e = strchr(p, ':');
		dl = e != NULL ? (size_t)(e - p) : strlen(p);
		if (dl + 1 + fl + 1 <= RT_PATH_MAX) {
			if (dl == 0)
				memcpy(out, file, fl + 1);
			else {
				memcpy(out, p, dl);
				out[dl] = '/';
				memcpy(out + dl + 1, file, fl + 1);
			}
			r = vfs_access(AT_FDCWD, out, X_OK, AT_EACCESS);
			if (r == 0) {
				struct stat st;

				if (vfs_stat(AT_FDCWD, out, &st, 0) == 0 &&
				    S_ISREG(st.st_mode))
					return 0;
			} else if (r == -EACCES)
				eacces = 1;
		}
		if (e == NULL)
			break;
	}
	return eacces ? -EACCES : -ENOENT;
}

int
exec_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
    int search)
{
	char *const *nargv;
	const char *rp;
	char *found = ws_path();
	char **nenv;
	int r;

	if (found == NULL)
		return ENOMEM;
	if (path == NULL)
		return EFAULT;
	if (rt.identity) {
		if ((nenv = exec_env(envp)) == NULL)
			return ENOMEM;
		r = search ? real.posix_spawnp(pid, path, fa, attr, argv, nenv) :
		    real.posix_spawn(pid, path, fa, attr, argv, nenv);
		if (exec_img >= 0 && exec_img != rt.imgfd)
			rt_ops.close(exec_img);
		return r;
	}
	if (search) {
		if ((r = exec_find(path, found)) < 0)
			return -r;
		path = found;
	}
	if ((r = exec_prepare(path, argv, &rp, &nargv)) < 0)
		return -r;
	if ((nenv = exec_env(envp)) == NULL)
		return ENOMEM;
	r = real.posix_spawn(pid, rp, fa, attr, nargv, nenv);
	/* an image fd made for this child only: the parent does not keep it */
	if (exec_img >= 0 && exec_img != rt.imgfd)
		rt_ops.close(exec_img);
	return r;
}

/* ---- system and popen --------------------------------------------------- */

int
exec_system(const char *cmd)
{
	struct sigaction sa, oint, oquit;
	posix_spawnattr_t attr;
	sigset_t chld, omask, def;
	char *argv[4];
	pid_t pid, w;
	int status = -1, r;

	if (cmd == NULL)
		return vfs_access(AT_FDCWD, "/bin/sh", X_OK, 0) == 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGQUIT, &sa, &oquit);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &omask);
	posix_spawnattr_init(&attr);
	sigemptyset(&def);
	if (oint.sa_handler != SIG_IGN)
		sigaddset(&def, SIGINT);
	if (oquit.sa_handler != SIG_IGN)
		sigaddset(&def, SIGQUIT);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &omask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)(uintptr_t)cmd;
	argv[3] = NULL;
	r = exec_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ, 0);
	posix_spawnattr_destroy(&attr);
	if (r == 0) {
		do
			w = waitpid(pid, &status, 0);
		while (w < 0 && errno == EINTR);
		if (w < 0)
			status = -1;
	} else
		status = W_EXITCODE(127, 0);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	sigprocmask(SIG_SETMASK, &omask, NULL);
	return status;
}

struct popen_ent {
	FILE	*fp;
	pid_t	 pid;
};

#define POPEN_MAX	256

static struct popen_ent popen_tab[POPEN_MAX];
static pthread_mutex_t popen_mu = PTHREAD_MUTEX_INITIALIZER;

FILE *
exec_popen(const char *cmd, const char *mode)
{
	posix_spawn_file_actions_t fa;
	char *argv[4], m[3];
	int fds[2], rd, r, i, cloexec;
	pid_t pid;
	FILE *fp;

	if (mode == NULL || (mode[0] != 'r' && mode[0] != 'w') ||
	    (mode[1] != '\0' && mode[1] != 'e') || cmd == NULL) {
		errno = EINVAL;
		return NULL;
	}
	rd = mode[0] == 'r';
	cloexec = mode[1] == 'e';
	if (pipe2(fds, O_CLOEXEC) != 0)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, rd ? fds[1] : fds[0],
	    rd ? STDOUT_FILENO : STDIN_FILENO);
	/* POSIX: streams of earlier popen()s are not the child's */
	pthread_mutex_lock(&popen_mu);
	for (i = 0; i < POPEN_MAX; i++)
		if (popen_tab[i].fp != NULL)
			posix_spawn_file_actions_addclose(&fa,
			    fileno(popen_tab[i].fp));
	pthread_mutex_unlock(&popen_mu);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)(uintptr_t)cmd;
	argv[3] = NULL;
	r = exec_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ, 0);
	posix_spawn_file_actions_destroy(&fa);
	rt_ops.close(rd ? fds[1] : fds[0]);
	if (r != 0) {
		rt_ops.close(rd ? fds[0] : fds[1]);
		errno = r;
		return NULL;
	}
	if (!cloexec)
		fcntl(rd ? fds[0] : fds[1], F_SETFD, 0);
	m[0] = mode[0];
	m[1] = '\0';
	if ((fp = fdopen(rd ? fds[0] : fds[1], m)) == NULL) {
		r = errno;
		rt_ops.close(rd ? fds[0] : fds[1]);
		waitpid(pid, NULL, 0);
		errno = r;
		return NULL;
	}
	pthread_mutex_lock(&popen_mu);
	for (i = 0; i < POPEN_MAX && popen_tab[i].fp != NULL; i++)
		;
	if (i < POPEN_MAX) {
		popen_tab[i].fp = fp;
		popen_tab[i].pid = pid;
	}
	pthread_mutex_unlock(&popen_mu);
	if (i == POPEN_MAX)
		log_once(EVLOG_WARN, "more than %d popen() streams open; "
		    "pclose() will not wait for the extra ones", POPEN_MAX);
	return fp;
}

int
exec_pclose(FILE *fp, int *status)
{
	pid_t pid = -1, w;
	int i;

	pthread_mutex_lock(&popen_mu);
	for (i = 0; i < POPEN_MAX; i++)
		if (popen_tab[i].fp == fp && fp != NULL) {
			pid = popen_tab[i].pid;
			popen_tab[i].fp = NULL;
			break;
		}
	pthread_mutex_unlock(&popen_mu);
	if (pid < 0)
		return -ENOENT;
	real.fclose(fp);
	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : 0;
}

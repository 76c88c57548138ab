/*
 * hook-cwd: the working directory, which is the name space's (cwd.c):
 * chdir, fchdir, getcwd (and its fortified and older forms).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flac/rt/hook.h"
#include "flac/rt/vfs.h"

RT_EXPORT int
chdir(const char *path)
{
	if (!hook_enter()) {
		hook_real();
		return real.chdir(path);
	}
	return (int)hook_leave(vfs_chdir(path));
}

RT_EXPORT int
fchdir(int fd)
{
	if (!hook_enter()) {
		hook_real();
		return real.fchdir(fd);
	}
	return (int)hook_leave(vfs_fchdir(fd));
}

RT_EXPORT char *
getcwd(char *buf, size_t size)
{
	char *tmp;
	int n;

	if (!hook_enter()) {
		hook_real();
		return real.getcwd(buf, size);
	}
	if ((tmp = ws_path()) == NULL)
		return hook_leave_ptr(NULL, ENOMEM);
	if ((n = cwd_get(tmp, RT_PATH_MAX)) < 0)
		return hook_leave_ptr(NULL, -n);
	if (buf == NULL) {
		if (size != 0 && size < (size_t)n + 1)
			return hook_leave_ptr(NULL, ERANGE);
		if ((buf = malloc(size != 0 ? size : (size_t)n + 1)) == NULL)
			return hook_leave_ptr(NULL, ENOMEM);
	} else if (size == 0)
		return hook_leave_ptr(NULL, EINVAL);
	else if (size < (size_t)n + 1)
		return hook_leave_ptr(NULL, ERANGE);
	memcpy(buf, tmp, (size_t)n + 1);
	return hook_leave_ptr(buf, 0);
}

RT_EXPORT char *
__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();	/* what glibc's __chk_fail does */
	return getcwd(buf, size);
}

RT_EXPORT char *
getwd(char *buf)
{
	return getcwd(buf, PATH_MAX);
}

RT_EXPORT char *
get_current_dir_name(void)
{
	const char *pwd = getenv("PWD");
	struct stat a, b;

	/* $PWD when it names this directory (it keeps symlinks) */
	if (pwd != NULL && pwd[0] == '/' && stat(pwd, &a) == 0 &&
	    stat(".", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return strdup(pwd);
	return getcwd(NULL, 0);
}

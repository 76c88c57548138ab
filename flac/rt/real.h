/*
 * real: the only door to the next definitions of the functions libflacrt
 * wraps.  real_init() fills the table once (pthread_once); every hook calls
 * it first (through rt_enter), since another library's constructor may call
 * us before ours runs.  Inside the library everything calls real.*, so our
 * own file operations never come back through a hook.
 */
#ifndef FLAC_RT_REAL_H
#define FLAC_RT_REAL_H

#include <dirent.h>
#include <glob.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <utime.h>

struct real_fns {
	/* opening and closing */
	int	(*openat)(int, const char *, int, ...);
	FILE	*(*fopen)(const char *, const char *);
	FILE	*(*fopen64)(const char *, const char *);
	FILE	*(*freopen)(const char *, const char *, FILE *);
	FILE	*(*freopen64)(const char *, const char *, FILE *);
	int	(*fclose)(FILE *);
	int	(*close)(int);
	int	(*close_range)(unsigned, unsigned, int);
	void	(*closefrom)(int);
	int	(*dup)(int);
	int	(*dup2)(int, int);
	int	(*dup3)(int, int, int);
	int	(*fcntl)(int, int, ...);
	int	(*fcntl64)(int, int, ...);
	/* names and attributes */
	int	(*fstatat)(int, const char *, struct stat *, int);
	int	(*fstat)(int, struct stat *);
	int	(*statx)(int, const char *, int, unsigned, struct statx *);
	int	(*faccessat)(int, const char *, int, int);
	int	(*mkdirat)(int, const char *, mode_t);
	int	(*mknodat)(int, const char *, mode_t, dev_t);
	int	(*unlinkat)(int, const char *, int);
	int	(*renameat2)(int, const char *, int, const char *, unsigned);
	int	(*linkat)(int, const char *, int, const char *, int);
	int	(*symlinkat)(const char *, int, const char *);
	ssize_t	(*readlinkat)(int, const char *, char *, size_t);
	int	(*fchmodat)(int, const char *, mode_t, int);
	int	(*fchownat)(int, const char *, uid_t, gid_t, int);
	int	(*utimensat)(int, const char *, const struct timespec *, int);
	int	(*truncate)(const char *, off_t);
	int	(*statfs)(const char *, struct statfs *);
	int	(*statvfs)(const char *, struct statvfs *);
	ssize_t	(*getxattr)(const char *, const char *, void *, size_t);
	ssize_t	(*lgetxattr)(const char *, const char *, void *, size_t);
	ssize_t	(*listxattr)(const char *, char *, size_t);
	ssize_t	(*llistxattr)(const char *, char *, size_t);
	int	(*setxattr)(const char *, const char *, const void *, size_t,
		    int);
	int	(*lsetxattr)(const char *, const char *, const void *, size_t,
		    int);
	int	(*removexattr)(const char *, const char *);
	int	(*lremovexattr)(const char *, const char *);
	int	(*inotify_add_watch)(int, const char *, uint32_t);
	/* directories */
	DIR	*(*opendir)(const char *);
	DIR	*(*fdopendir)(int);
	int	(*closedir)(DIR *);
	struct dirent *(*readdir)(DIR *);
	struct dirent64 *(*readdir64)(DIR *);
	int	(*readdir_r)(DIR *, struct dirent *, struct dirent **);
	int	(*readdir64_r)(DIR *, struct dirent64 *, struct dirent64 **);
	void	(*rewinddir)(DIR *);
	long	(*telldir)(DIR *);
	void	(*seekdir)(DIR *, long);
	int	(*dirfd)(DIR *);
	int	(*glob)(const char *, int, int (*)(const char *, int),
		    glob_t *);
	/* the working directory */
	int	(*chdir)(const char *);
	int	(*fchdir)(int);
	char	*(*getcwd)(char *, size_t);
	/* programs */
	int	(*execve)(const char *, char *const[], char *const[]);
	int	(*posix_spawn)(pid_t *, const char *,
		    const posix_spawn_file_actions_t *,
		    const posix_spawnattr_t *, char *const[], char *const[]);
	int	(*pclose)(FILE *);
	int	(*execvpe)(const char *, char *const[], char *const[]);
	int	(*execveat)(int, const char *, char *const[], char *const[],
		    int);
	int	(*posix_spawnp)(pid_t *, const char *,
		    const posix_spawn_file_actions_t *,
		    const posix_spawnattr_t *, char *const[], char *const[]);
	int	(*system)(const char *);
	FILE	*(*popen)(const char *, const char *);
	char	*(*realpath)(const char *, char *);
	int	(*mkostemps64)(char *, int, int);
	char	*(*mkdtemp)(char *);
	void	*(*dlopen)(const char *, int);
	/* data (only to fail on a stale fd, reloc.h) */
	ssize_t	(*read)(int, void *, size_t);
	ssize_t	(*write)(int, const void *, size_t);
	ssize_t	(*pread64)(int, void *, size_t, off_t);
	ssize_t	(*pwrite64)(int, const void *, size_t, off_t);
	ssize_t	(*readv)(int, const struct iovec *, int);
	ssize_t	(*writev)(int, const struct iovec *, int);
};

extern struct real_fns real;
extern int real_ok;	/* 0: a symbol is missing; every hook passes through */

void	real_init(void);

#endif

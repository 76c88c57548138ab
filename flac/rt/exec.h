/*
 * exec: running programs from inside the name space, so that children
 * stay in it.  The program file is found in the name space (a link at the
 * end followed there, a file only a lower layer has used where it is); a
 * "#!" script is run through its interpreter, found in the name space too,
 * with the script's path as the program gave it (so $0 is what it would
 * be); and the child's environment always carries LD_PRELOAD with this
 * library, FLAC_SESSION (the session's fds, made again from the mapping if
 * the program closed them) and FLAC_CWD (its directory in the name space).
 *
 * Nothing here calls malloc: these run in the child of vfork too.
 */
#ifndef FLAC_RT_EXEC_H
#define FLAC_RT_EXEC_H

#include <spawn.h>
#include <stdio.h>
#include <sys/types.h>

/* The environment for a child (in ws); NULL when out of space. */
char	**exec_env(char *const envp[]);
/* execve(2) in the name space; returns -errno (never on success). */
int	exec_ve(const char *path, char *const argv[], char *const envp[]);
/* execvpe(3): a name without '/' is searched in PATH. */
int	exec_vpe(const char *file, char *const argv[], char *const envp[]);
/* execveat(2) / fexecve(3). */
int	exec_veat(int dirfd, const char *path, char *const argv[],
	    char *const envp[], int flags);
/* posix_spawn(3) / posix_spawnp(3) (search); returns an error number. */
int	exec_spawn(pid_t *pid, const char *path,
	    const posix_spawn_file_actions_t *fa,
	    const posix_spawnattr_t *attr, char *const argv[],
	    char *const envp[], int search);
int	exec_system(const char *cmd);
FILE	*exec_popen(const char *cmd, const char *mode);
/* pclose(3) for our popen; -ENOENT when fp is not ours. */
int	exec_pclose(FILE *fp, int *status);

#endif

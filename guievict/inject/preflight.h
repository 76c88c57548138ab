/*
 * preflight: the refusals, made before anything is stopped, each with a
 * sentence that says what to do.  The parsers and the ptrace_scope rule
 * are pure (unit tested).
 */
#ifndef EVICT_GV_PREFLIGHT_H
#define EVICT_GV_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PREFLIGHT_CAP_SYS_PTRACE	19
#define PREFLIGHT_YAMA_PATH	"/proc/sys/kernel/yama/ptrace_scope"

/* The lines of /proc/PID/status (or /proc/PID/task/TID/status) we use. */
struct preflight_status {
	char		name[64];
	char		state;		/* 'S', 'T', 'Z', ... */
	pid_t		tgid;
	pid_t		ppid;
	pid_t		tracer;		/* TracerPid */
	unsigned int	uid[4];		/* real, effective, saved, fs */
	unsigned int	gid[4];
	uint64_t	sigpnd;		/* bit n-1 for signal n */
	uint64_t	shdpnd;
	uint64_t	sigblk;
	uint64_t	sigign;
	uint64_t	sigcgt;
	uint64_t	capeff;
	int		have;		/* PREFLIGHT_HAVE_* seen */
};

#define PREFLIGHT_HAVE_NAME	0x01
#define PREFLIGHT_HAVE_UID	0x02
#define PREFLIGHT_HAVE_GID	0x04
#define PREFLIGHT_HAVE_TRACER	0x08
#define PREFLIGHT_HAVE_SIG	0x10
#define PREFLIGHT_HAVE_CAP	0x20

/* Parses the text of a status file.  0, or -EINVAL on a malformed line. */
int	preflight_parse_status(const char *text, struct preflight_status *st);

/* Reads and parses one; -ESRCH when it does not exist. */
int	preflight_read_status(const char *path, struct preflight_status *st);

/*
 * Yama's word (scope from ptrace_scope, -1 when there is no Yama):
 *   0   ptrace is allowed as far as Yama goes;
 *   1   allowed only if the target let us (PR_SET_PTRACER) or is our
 *       descendant: try, and read an EPERM as Yama's refusal;
 *   -EPERM  refused whatever the target does (scope 2 without
 *       CAP_SYS_PTRACE, scope 3).
 */
int	preflight_yama(int scope, int privileged);

/* ptrace_scope, or -1 when there is no such file. */
int	preflight_yama_scope(void);

/* What prepare learnt about the target. */
struct preflight_info {
	char		name[64];	/* its comm, for messages */
	int		privileged;	/* we have CAP_SYS_PTRACE */
	int		yama;		/* preflight_yama()'s verdict */
	int		yama_scope;
	int		stopped;	/* in a group-stop (state T) */
};

/*
 * The refusals: no such process (-ESRCH), a thread id rather than a
 * process id (-EINVAL), not ours (-EPERM), ptrace_scope (-EPERM), already
 * traced (-EBUSY), not x86_64 (-ENOEXEC).  0 when none applies.
 */
int	preflight_check(pid_t pid, struct preflight_info *info, char *cause,
	    size_t causelen);

#endif

/*
 * reloc: a process of the session taking on the name space the location
 * monitor (flac/locmon.c) compiled for a new location.
 *
 * The monitor publishes each new image in the session's shared page
 * (session.h: loc_gen, loc_pid, loc_fd, loc_ino).  Every wrapped call
 * (hook_enter: not read and write, which signal handlers make, nor exec,
 * which may run in the child of vfork) compares loc_gen with the generation this process took on last: one
 * load, no system call.  When they differ, reloc_switch() opens the new
 * image through /proc/PID/fd/N, maps it, puts its compiled block in force
 * (compiled again for this process's environment when a select(env)
 * needs it), and gives its descriptor number to the children to come.
 *
 * Then the files the program holds open whose binding changed (the view
 * of their path differs between the old and the new block) are opened
 * again in the new name space, with the same flags (minus O_CREAT,
 * O_EXCL, O_TRUNC) at the same offset, and the new real fd is dup3()ed
 * onto the program's number.  A file that cannot be opened there keeps
 * its fd as it is, marked stale (fdtab.h): reads and writes on it fail
 * with ESTALE until a later change makes it reachable again, when it is
 * reopened at the offset it had.  Regular files only.
 */
#ifndef FLAC_RT_RELOC_H
#define FLAC_RT_RELOC_H

#include <stdint.h>

#include "flac/rt/rt.h"

extern uint64_t reloc_seen;	/* the location generation in force here */

/* Takes on the newest published name space; 1 if it did, 0 if there was
 * nothing new, -errno (logged once) if it could not. */
int	reloc_switch(void);

/* 1 when the monitor published something this process has not taken. */
static inline int
reloc_pending(void)
{
	return rt.shared != NULL && __atomic_load_n(&rt.shared->loc_gen,
	    __ATOMIC_ACQUIRE) != __atomic_load_n(&reloc_seen,
	    __ATOMIC_RELAXED);
}

#endif

/* real: see real.h. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/rt/real.h"

struct real_fns real;
int real_ok;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* The addresses of this object, to tell our hooks from the next ones
 * (dladdr per symbol would cost every process a millisecond). */
static uintptr_t real_lo, real_hi;

static int
real_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg, lo = UINTPTR_MAX, hi = 0, a;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		if (a < lo)
			lo = a;
		if (a + info->dlpi_phdr[i].p_memsz > hi)
			hi = a + info->dlpi_phdr[i].p_memsz;
	}
	if (me < lo || me >= hi)
		return 0;
	real_lo = lo;
	real_hi = hi;
	return 1;
}

/*
 * The next definition of name.  A missing required symbol, or one that is
 * our own hook (a second copy of the library), makes every hook pass
 * through; an optional one (closefrom, close_range on an old libc) is just
 * left NULL.
 */
static void *
real_sym(const char *name, int required, int *bad)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p != NULL && (uintptr_t)p >= real_lo && (uintptr_t)p < real_hi)
		p = NULL;
	if (p == NULL && required)
		*bad = 1;
	return p;
}

#define REAL(name) \
	real.name = (__typeof__(real.name))real_sym(#name, 1, &bad)
#define REAL_OPT(name) \
	real.name = (__typeof__(real.name))real_sym(#name, 0, &bad)

static void
real_fill(void)
{
	int bad = 0;

	dl_iterate_phdr(real_self, (void *)(uintptr_t)real_sym);
	REAL(openat);
	REAL(fopen);
	REAL(fopen64);
	REAL(freopen);
	REAL(freopen64);
	REAL(fclose);
	REAL(close);
	REAL_OPT(close_range);
	REAL_OPT(closefrom);
	REAL(dup);
	REAL(dup2);
	REAL(dup3);
	REAL(fcntl);
	REAL_OPT(fcntl64);
	REAL(fstatat);
	REAL(fstat);
	REAL(statx);
	REAL(faccessat);
	REAL(mkdirat);
	REAL(mknodat);
	REAL(unlinkat);
	REAL(renameat2);
	REAL(linkat);
	REAL(symlinkat);
	REAL(readlinkat);
	REAL(fchmodat);
	REAL(fchownat);
	REAL(utimensat);
	REAL(truncate);
	REAL(statfs);
	REAL(statvfs);
	REAL(getxattr);
	REAL(lgetxattr);
	REAL(listxattr);
	REAL(llistxattr);
	REAL(setxattr);
	REAL(lsetxattr);
	REAL(removexattr);
	REAL(lremovexattr);
	REAL(inotify_add_watch);
	REAL(opendir);
	REAL(fdopendir);
	REAL(closedir);
	REAL(readdir);
	REAL(readdir64);
	REAL(readdir_r);
	REAL(readdir64_r);
	REAL(rewinddir);
	REAL(telldir);
	REAL(seekdir);
	REAL(dirfd);
	REAL(glob);
	REAL(chdir);
	REAL(fchdir);
	REAL(getcwd);
	REAL(execve);
	REAL(posix_spawn);
	REAL(pclose);
	REAL(execvpe);
	REAL(execveat);
	REAL(posix_spawnp);
	REAL(system);
	REAL(popen);
	REAL(realpath);
	REAL(mkostemps64);
	REAL(mkdtemp);
	REAL(dlopen);
	REAL(read);
	REAL(write);
	REAL(pread64);
	REAL(pwrite64);
	REAL(readv);
	REAL(writev);
	if (real.fcntl64 == NULL)
		real.fcntl64 = real.fcntl;
	real_ok = !bad;
	if (bad)
		log_once(EVLOG_ERROR, "a libc function is missing; the flac "
		    "name space is off in this process");
}

void
real_init(void)
{
	pthread_once(&real_once, real_fill);
}

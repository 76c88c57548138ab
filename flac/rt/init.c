/*
 * init: the constructor of libflacrt.so.  It finds the session the
 * launcher (or the parent process) left in the environment, maps its
 * image, checks the compiled name space, compiles the specification again
 * when this process's environment decides a select(env), maps the shared
 * state page, and sets the working directory of the name space.  With no
 * session, or a bad one, every hook passes through (and says why once).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/daemon/proto.h"
#include "flac/rt/fdmirror.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/hook.h"
#include "flac/rt/session.h"
#include "flac/rt/vfs.h"

extern char **environ;

__thread int hook_busy __attribute__((tls_model("initial-exec")));
__thread int hook_errno __attribute__((tls_model("initial-exec")));
int hook_booted;

static pthread_once_t boot_once = PTHREAD_ONCE_INIT;
static struct session_image rt_img;

static void
rt_ops_from_real(void)
{
	rt_ops.openat = real.openat;
	rt_ops.close = real.close;
	rt_ops.fstatat = real.fstatat;
	rt_ops.statx = real.statx;
	rt_ops.faccessat = real.faccessat;
	rt_ops.mkdirat = real.mkdirat;
	rt_ops.mknodat = real.mknodat;
	rt_ops.unlinkat = real.unlinkat;
	rt_ops.renameat2 = real.renameat2;
	rt_ops.readlinkat = real.readlinkat;
	rt_ops.symlinkat = real.symlinkat;
	rt_ops.linkat = real.linkat;
	rt_ops.fchmodat = real.fchmodat;
	rt_ops.fchownat = real.fchownat;
	rt_ops.utimensat = real.utimensat;
	rt_ops.truncate = real.truncate;
	rt_ops.statfs = real.statfs;
	rt_ops.statvfs = real.statvfs;
	rt_ops.getxattr = real.getxattr;
	rt_ops.lgetxattr = real.lgetxattr;
	rt_ops.listxattr = real.listxattr;
	rt_ops.llistxattr = real.llistxattr;
	rt_ops.setxattr = real.setxattr;
	rt_ops.lsetxattr = real.lsetxattr;
	rt_ops.removexattr = real.removexattr;
	rt_ops.lremovexattr = real.lremovexattr;
	rt_ops.inotify_add_watch = real.inotify_add_watch;
	rt_ops.chdir = real.chdir;
	rt_ops.fchdir = real.fchdir;
	rt_ops.getcwd = real.getcwd;
	rt_ops.fdopendir = real.fdopendir;
	rt_ops.readdir64 = real.readdir64;
	rt_ops.closedir = real.closedir;
}

/* The working directory of the name space, from FLAC_CWD. */
static void
rt_cwd(void)
{
	const char *s = getenv(SESSION_ENV_CWD), *vp;
	unsigned long dev, ino;
	char *end, *buf;
	struct stat st;
	int r;

	if (s != NULL) {
		dev = strtoul(s, &end, 10);
		if (*end == ':') {
			ino = strtoul(end + 1, &end, 10);
			vp = end + 1;
			if (*end == ':' && vp[0] == '/') {
				if (dev == 0 && ino == 0) {
					/* from the launcher: go there */
					r = vfs_chdir(vp);
					ws_reset();
					if (r == 0)
						return;
					log_warn("cannot enter %s in the name "
					    "space: %s; staying in the real "
					    "directory", vp, strerror(-r));
				} else if (rt_ops.fstatat(AT_FDCWD, ".", &st,
				    0) == 0 && st.st_dev == dev &&
				    st.st_ino == ino) {
					cwd_set(vp);
					return;
				}
			}
		}
	}
	/* a directory we did not choose: take the real one's name */
	if ((buf = malloc(RT_PATH_MAX)) == NULL)
		return;
	if (rt_ops.getcwd(buf, RT_PATH_MAX) != NULL && buf[0] == '/')
		cwd_set(buf);
	free(buf);
}

static void
rt_atfork_prepare(void)
{
	cwd_lock_all();
	fdtab_lock_all();
}

static void
rt_atfork_parent(void)
{
	fdtab_unlock_all();
	cwd_unlock_all();
}

static void
rt_atfork_child(void)
{
	fdtab_child_reset();
	cwd_child_reset();
	dclient_child_reset();
}

/* Finds and maps the session; 0 or -errno (and why, logged). */
static int
rt_session(void)
{
	const char *s = getenv(SESSION_ENV), *lib;
	struct flac_ns *own = NULL;
	struct session_state *shared;
	unsigned long ino;
	struct stat st;
	char why[300];
	void *p;
	int imgfd, statefd, r;
	Dl_info info;

	if ((r = session_env_parse(s, &imgfd, &statefd, &ino)) < 0) {
		log_error("bad %s='%s'; the name space is off", SESSION_ENV,
		    s);
		return r;
	}
	if (fstat(imgfd, &st) != 0 || st.st_ino != ino || st.st_size <= 0) {
		log_error("%s names fd %d, which is not the name space's "
		    "image (closed by a parent?); the name space is off",
		    SESSION_ENV, imgfd);
		return -EBADF;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, imgfd, 0);
	if (p == MAP_FAILED) {
		log_errno("mmap of the name space image");
		return -errno;
	}
	if ((r = session_image_parse(p, (size_t)st.st_size, &rt_img)) < 0) {
		log_error("the name space image is damaged; the name space "
		    "is off");
		munmap(p, (size_t)st.st_size);
		return r;
	}
	rt.image = p;
	rt.imagelen = (size_t)st.st_size;
	rt.imgfd = imgfd;
	rt.imgino = ino;
	rt.ns = rt_img.ns;
	if (session_env_dependent(rt.ns)) {
		/* select(env): decided by this process's own environment */
		if ((r = session_recompile(&rt_img, environ, &own, why,
		    sizeof why)) < 0)
			log_error("%s; keeping the parent's name space", why);
		else
			rt.ns = own;
	}
	shared = NULL;
	if (statefd >= 0 && fstat(statefd, &st) == 0 &&
	    (size_t)st.st_size >= sizeof *shared) {
		p = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
		    MAP_SHARED, statefd, 0);
		if (p != MAP_FAILED) {
			shared = p;
			rt.statefd = statefd;
			rt.stateino = st.st_ino;
		}
	}
	rt_use(rt.ns, shared);
	if ((lib = getenv(FLACD_ENV)) != NULL && lib[0] == '/')
		snprintf(rt.daemon, sizeof rt.daemon, "%s", lib);
	if ((lib = getenv(SESSION_ENV_RT)) != NULL && lib[0] == '/')
		snprintf(rt.rtlib, sizeof rt.rtlib, "%s", lib);
	else if (dladdr((void *)rt_session, &info) != 0 &&
	    info.dli_fname != NULL)
		snprintf(rt.rtlib, sizeof rt.rtlib, "%s", info.dli_fname);
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* A sanitized build: children need its runtime first in LD_PRELOAD. */
static int
rt_find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (info->dlpi_name != NULL && strstr(info->dlpi_name, "libasan.so") !=
	    NULL) {
		snprintf(rt.asanlib, sizeof rt.asanlib, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}
#endif

static void
rt_boot(void)
{
	real_init();
	if (!real_ok)
		goto done;
	rt_ops_from_real();
	log_init("flacrt", EVLOG_WARN);
	if (getenv(SESSION_ENV) == NULL || rt_session() < 0)
		goto done;
	pthread_atfork(rt_atfork_prepare, rt_atfork_parent, rt_atfork_child);
#if defined(__SANITIZE_ADDRESS__)
	dl_iterate_phdr(rt_find_asan, NULL);
#endif
	rt.active = 1;
	if (!rt.identity && fdmirror_enable() == 0)
		fdmirror_adopt();
	rt_cwd();
	log_debug("name space from %s: %u nodes, %s", rt_img.specname,
	    rt.ns->nnodes, rt.identity ? "plain local(), passing through" :
	    "translating");
done:
	__atomic_store_n(&hook_booted, 1, __ATOMIC_RELEASE);
}

int
hook_empty_path(const char *path, int flags)
{
	return (flags & AT_EMPTY_PATH) && path != NULL && path[0] == '\0';
}

void
hook_boot(void)
{
	int b = hook_busy;

	hook_busy = 1;
	pthread_once(&boot_once, rt_boot);
	hook_busy = b;
}

__attribute__((constructor)) static void
rt_constructor(void)
{
	hook_boot();
}

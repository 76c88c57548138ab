/*
 * state: the process's name space (struct rt_state) and the I/O table of
 * the logic modules, shared by the library, the launcher and the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/log.h"
#include "flac/rt/rt.h"

struct rt_state rt = { .imgfd = -1, .statefd = -1 };
struct rt_ops rt_ops;
static struct session_state rt_private_state;

void
rt_changed(void)
{
	if (rt.shared != NULL)
		__atomic_add_fetch(&rt.shared->upper_gen, 1, __ATOMIC_RELEASE);
}

uint64_t
rt_generation(void)
{
	return rt.shared != NULL ? __atomic_load_n(&rt.shared->upper_gen,
	    __ATOMIC_ACQUIRE) : 0;
}

void
rt_ops_libc(struct rt_ops *ops)
{
	ops->openat = openat;
	ops->close = close;
	ops->fstatat = fstatat;
	ops->statx = statx;
	ops->faccessat = faccessat;
	ops->mkdirat = mkdirat;
	ops->mknodat = mknodat;
	ops->unlinkat = unlinkat;
	ops->renameat2 = renameat2;
	ops->readlinkat = readlinkat;
	ops->symlinkat = symlinkat;
	ops->linkat = linkat;
	ops->fchmodat = fchmodat;
	ops->fchownat = fchownat;
	ops->utimensat = utimensat;
	ops->truncate = truncate;
	ops->statfs = statfs;
	ops->statvfs = statvfs;
	ops->getxattr = getxattr;
	ops->lgetxattr = lgetxattr;
	ops->listxattr = listxattr;
	ops->llistxattr = llistxattr;
	ops->setxattr = setxattr;
	ops->lsetxattr = lsetxattr;
	ops->removexattr = removexattr;
	ops->lremovexattr = lremovexattr;
	ops->inotify_add_watch = inotify_add_watch;
	ops->chdir = chdir;
	ops->fchdir = fchdir;
	ops->getcwd = getcwd;
	ops->fdopendir = fdopendir;
	ops->readdir64 = readdir64;
	ops->closedir = closedir;
}

/* The real directory behind synthetic ones: empty, and ours. */
static void
rt_emptydir(void)
{
	struct stat st;

	snprintf(rt.emptydir, sizeof rt.emptydir, "/tmp/.flac-empty-%u",
	    (unsigned)getuid());
	if (rt_ops.mkdirat(AT_FDCWD, rt.emptydir, 0555) != 0 &&
	    errno != EEXIST)
		goto fallback;
	if (rt_ops.fstatat(AT_FDCWD, rt.emptydir, &st, AT_SYMLINK_NOFOLLOW) !=
	    0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
		goto fallback;
	rt.emptyst = st;
	return;
fallback:
	log_once(EVLOG_WARN, "cannot use %s for synthetic directories; "
	    "using /proc/self/fdinfo", rt.emptydir);
	snprintf(rt.emptydir, sizeof rt.emptydir, "/proc/self/fdinfo");
	rt_ops.fstatat(AT_FDCWD, rt.emptydir, &rt.emptyst, 0);
}

void
rt_use(const struct flac_ns *ns, struct session_state *shared)
{
	const struct flac_ns_node *root;

	rt.ns = ns;
	rt.shared = shared != NULL ? shared : &rt_private_state;
	rt.opselect = (ns->flags & FLAC_NS_F_OPSELECT) != 0;
	root = &flac_ns_nodes(ns)[ns->root];
	rt.identity = root->kind == FLAC_NK_SERVICE &&
	    flac_ns_svcs(ns)[root->a].type == FLAC_SVC_LOCAL;
	if (rt.emptydir[0] == '\0')
		rt_emptydir();
	view_cache_init();
}

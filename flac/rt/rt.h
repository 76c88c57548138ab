/*
 * rt: what the logic modules of the flac runtime share: the state of the
 * process's name space, the I/O they do (through struct rt_ops, so that a
 * Check suite can run them without LD_PRELOAD), a per-thread work area,
 * and the "view" of one path: the layers that serve it.
 *
 * Layering of the runtime (docs/design/flac.md):
 *   hook-*.c   the exported libc names; a few lines each
 *   vfs.c      operations on paths of the name space (-errno returns)
 *   dir.c      directory streams, merged over layers
 *   exec.c     exec, posix_spawn, system, popen: children stay inside
 *   layer.c    layers: lookup with whiteouts, copy-up, merged listings,
 *              transfers between local services
 *   view.c     a path of the name space -> its layers (flac_resolve)
 *   path.c fdtab.c session.c cwd.c ws.c   pure helpers and state
 *   init.c     the constructor: finds the session, maps the name space
 */
#ifndef FLAC_RT_RT_H
#define FLAC_RT_RT_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "flac/lang/eval.h"
#include "flac/rt/path.h"
#include "flac/rt/session.h"

/* ---- I/O of the logic modules ----------------------------------------- */

struct rt_ops {
	int	(*openat)(int, const char *, int, ...);
	int	(*close)(int);
	int	(*fstatat)(int, const char *, struct stat *, int);
	int	(*statx)(int, const char *, int, unsigned, struct statx *);
	int	(*faccessat)(int, const char *, int, int);
	int	(*mkdirat)(int, const char *, mode_t);
	int	(*mknodat)(int, const char *, mode_t, dev_t);
	int	(*unlinkat)(int, const char *, int);
	int	(*renameat2)(int, const char *, int, const char *, unsigned);
	ssize_t	(*readlinkat)(int, const char *, char *, size_t);
	int	(*symlinkat)(const char *, int, const char *);
	int	(*linkat)(int, const char *, int, const char *, int);
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
	int	(*chdir)(const char *);
	int	(*fchdir)(int);
	char	*(*getcwd)(char *, size_t);
	DIR	*(*fdopendir)(int);
	struct dirent64 *(*readdir64)(DIR *);
	int	(*closedir)(DIR *);
};

/* Fills ops with the C library's own functions (for tests, the launcher). */
void	rt_ops_libc(struct rt_ops *ops);

extern struct rt_ops rt_ops;

/* ---- the process's name space ----------------------------------------- */

struct rt_state {
	int		 active;	/* a name space is in force */
	int		 identity;	/* it is plain local(): pass through */
	int		 opselect;	/* resolution depends on the operation */
	const struct flac_ns *ns;
	struct session_state *shared;	/* the session's shared page */
	const void	*image;		/* the mapped image */
	size_t		 imagelen;
	int		 imgfd;		/* inherited; kept for children */
	int		 statefd;
	unsigned long	 imgino;
	unsigned long	 stateino;
	char		 rtlib[RT_PATH_MAX];	/* this library, for children */
	char		 asanlib[RT_PATH_MAX];	/* a sanitized build's runtime */
	char		 emptydir[RT_PATH_MAX];	/* real dir behind synthetic ones */
	char		 daemon[RT_PATH_MAX];	/* flacd's socket ($FLAC_DAEMON):
						   transfers go through it */
	struct stat	 emptyst;
};

extern struct rt_state rt;

/* Puts ns in force (shared: the session's page, or NULL for a private
 * one); decides identity and opselect, makes the empty directory. */
void	rt_use(const struct flac_ns *ns, struct session_state *shared);
/* Bumps the session's generation (after any change to a file system). */
void	rt_changed(void);
uint64_t rt_generation(void);

/* ---- per-thread work area --------------------------------------------- */

/*
 * Every hook works in a per-thread area (mmap'd on first use, so that no
 * hook needs a large stack or malloc): a bump allocator, reset when the
 * outermost call returns.  ws_alloc() returns NULL when it is full.
 */
struct flac_res *ws_res(void);
void	*ws_alloc(size_t n);
char	*ws_path(void);			/* RT_PATH_MAX bytes */
char	*ws_strdup(const char *s);
void	 ws_reset(void);		/* at the end of a hook */
size_t	 ws_mark(void);
void	 ws_release(size_t mark);

/* ---- a path of the name space, and the layers that serve it ----------- */

enum rt_layer_kind {
	RL_LOCAL = 1,	/* a real path on this machine */
	RL_SYNTH,	/* a directory made by extendtree (one entry) */
	RL_REMOTE,	/* a remote service: not reachable in this version */
	RL_FAIL,	/* a select with no matching case */
	RL_XFER,	/* a transfer: primary (local) and secondary */
};

#define RT_MAXLAYERS	16

struct rt_layer {
	uint8_t		 kind;
	uint8_t		 mode;		/* XFER: FLAC_XFER_* */
	uint8_t		 pullmod;
	uint8_t		 pushmod;
	uint16_t	 hide;		/* first of view.hides */
	uint16_t	 nhide;
	const char	*path;	/* LOCAL: real path; SYNTH: its one entry;
				   XFER: primary's real path (NULL: none);
				   REMOTE: the service, for messages */
	const char	*sec;	/* XFER: secondary's real path, or NULL */
	int		 secremote;	/* XFER: the secondary is remote */
	const char	*secpath;	/* XFER: the path on the secondary's
					   service (local or not), or NULL */
	uint32_t	 psvc, ssvc;	/* XFER: spec instance numbers (flacd) */
	uint64_t	 phash;	/* LOCAL: lcache_hash of path, or 0 */
};

enum rt_view_kind {
	RV_NONE = 0,	/* not in the name space */
	RV_FAIL,	/* no case of a select matched */
	RV_LAYERS,	/* l[0..n) */
};

struct rt_view {
	int		 kind;
	int		 n;
	struct rt_layer	 l[RT_MAXLAYERS];
	const char	*hides[FLAC_RES_MAXHIDES];
	int		 nhides;
};

/* Sets up the per-thread view caches for rt.ns (rt_use calls it). */
void	view_cache_init(void);
/* Resolves vpath (absolute, normalized) for op into v (strings in ws). */
int	view_resolve(const char *vpath, enum flac_op op, struct rt_view *v);
/* 1 when v is a single local path (the fast case). */
static inline int
view_simple(const struct rt_view *v)
{
	return v->kind == RV_LAYERS && v->n == 1 && v->l[0].kind == RL_LOCAL;
}
/* The layer writes go to (first LOCAL, or XFER with a primary); -1. */
int	view_target(const struct rt_view *v);
/* Its real path (LOCAL path or XFER primary). */
const char *view_real(const struct rt_view *v, int i);

/* ---- layers ------------------------------------------------------------ */

/* Where a name was found. */
struct rt_found {
	int		 layer;		/* index in the view */
	int		 first;		/* the first layer that has it (a
					   synthetic directory over a real
					   one: listings start there) */
	int		 insec;		/* XFER: in the secondary */
	int		 synth;		/* a synthetic directory */
	const char	*real;		/* its real path (NULL when synth) */
	struct stat	 st;		/* lstat of it */
};

/* Finds a name in the layers of v; 0, -ENOENT, -EACCES (RL_FAIL),
 * -EREMOTE (only a remote layer could have it), or another -errno. */
int	layer_find(const struct rt_view *v, struct rt_found *f);
/* 1 when the lower-layer real path l is hidden by the writable layer
 * whose path for the same name is u (whiteouts, opaque or non-directory
 * ancestors); 0; or -errno. */
int	layer_hidden(const char *u, const char *l);
/* layer_hidden for the path p of layer i against every layer above it. */
int	layer_hidden_above(const struct rt_view *v, int i, const char *p);
/* The key of the memo "layers above i neither have nor hide what layer i
 * has" (lcache.h), for views of local layers; 0 when there is none. */
uint64_t layer_memo_key(const struct rt_view *v, int i);
/* The layer the memo says answers for v (no system call), or -1. */
int	layer_memo_peek(const struct rt_view *v);
/* lstat of a path of a layer that is not the last (through lcache). */
int	layer_lstat_upper(const char *p, struct stat *st);
/* Makes the missing directories above real path t (in its layer) like
 * the directories above vpath in the name space; 0 or -errno. */
int	layer_mkparents(const char *t, const char *vpath);
/* Copies the file, directory (attributes only) or symlink at real path
 * src, with attributes st, to real path dst; replaces dst atomically
 * (regular files); with empty, creates dst empty (for O_TRUNC). */
int	layer_copy(const char *src, const struct stat *st, const char *dst,
	    int empty);
/*
 * A file copied up keeps the device and inode numbers of the one it came
 * from, as on overlayfs (editors check that the file they write is the one
 * they read): the copy carries them in the xattr LAYER_ORIGIN_XATTR, and
 * stat and fstat report them.  layer_origin: 1 when real path p (or fd,
 * when >= 0) has one, 0 when not.
 */
#define LAYER_ORIGIN_XATTR	"user.flac.origin"
int	layer_origin(const char *p, int fd, unsigned long long *dev,
	    unsigned long long *ino);
/* Records a whiteout for the name at real path t (its writable layer). */
int	layer_whiteout(const char *t);
/* Removes the whiteout of t if there is one; 1 if there was. */
int	layer_unwhiteout(const char *t);
/* Makes directory t opaque. */
int	layer_make_opaque(const char *t);
/* Removes the runtime's own entries (whiteouts) from directory t. */
int	layer_clean_dir(const char *t);
/* Pulls the secondary of XFER layer L into its primary when it is newer
 * or the primary lacks it; 0, 1 (copied) or -errno. */
int	layer_pull(const struct rt_layer *L, const char *vpath);
/* Pushes primary to secondary when newer (on close). */
int	layer_push(const char *primary, const char *secondary, int mod);

/*
 * dclient: the runtime's side of flacd (flac/daemon/proto.h).  One
 * connection per process (made again in a child of fork), placed at 900
 * or above; a request at a time.  dclient_xfer asks flacd for a pull or a
 * push (FLACD_PULL, FLACD_PUSH) and waits for the answer; a signal
 * interrupts the wait (-EINTR; flacd stops waiting when the connection
 * closes).  flacd not reachable: -ENOTCONN, after one message.
 */
int	dclient_xfer(int type, int mod, uint32_t psvc, const char *ppath,
	    uint32_t ssvc, const char *spath, const char *vpath);
/* In the child of fork (init.c's atfork handler). */
void	dclient_child_reset(void);
/* After a location change (reloc.c): the next request connects again and
 * loads the session for the new location, so that flacd starts the
 * service instances of the new binding. */
void	dclient_relocated(void);
/* A stat for a synthetic directory of the name space at vpath. */
void	layer_synth_stat(const char *vpath, struct stat *st);

/* A merged directory listing. */
struct rt_dent {
	uint64_t	 ino;
	uint8_t		 type;
	const char	*name;
};

struct rt_listing {
	struct rt_dent	*ents;
	size_t		 n;
	size_t		 cap;
	char		*strs;		/* one block: every name */
	size_t		 strlen;
	size_t		 strcap;
	int		 realfd;	/* a real directory for dirfd(), or -1 */
};

/* Lists the directory at vpath served by v (found as f): every layer's
 * names once, whiteouts and cut names left out.  Uses malloc. */
int	layer_list(const struct rt_view *v, const struct rt_found *f,
	    const char *vpath, struct rt_listing *out);
void	layer_list_free(struct rt_listing *l);
/* The link count of a directory merged from several layers (2 and its
 * subdirectories, as a real one has), or 0 when it is not merged. */
int	layer_dir_nlink(const struct rt_view *v, const struct rt_found *f,
	    const char *vpath);

/* ---- the working directory (cwd.c) ----------------------------------- */

int	cwd_get(char *buf, size_t sz);
void	cwd_set(const char *vpath);
void	cwd_lock_all(void);
void	cwd_unlock_all(void);
void	cwd_child_reset(void);

/* ---- logging ----------------------------------------------------------- */

#define RT_EXPORT __attribute__((visibility("default")))

#endif

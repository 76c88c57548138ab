/*
 * Check suite for flac/rt, the run-time's logic without its hooks: path
 * normalization, the fd table, the session image, and the semantics of
 * overlay layers (lookup, merged listings without duplicates, whiteouts,
 * opaque directories, copy-up, renames) and of transfers between local
 * services, on real directories under a temporary one.  The I/O goes
 * straight to the C library (rt_ops_libc); no LD_PRELOAD is involved.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "flac/lang/ast.h"
#include "flac/lang/eval.h"
#include "flac/rt/dir.h"
#include "flac/rt/fdtab.h"
#include "flac/rt/lcache.h"
#include "flac/rt/path.h"
#include "flac/rt/real.h"
#include "flac/rt/reloc.h"
#include "flac/rt/rt.h"
#include "flac/rt/session.h"
#include "flac/rt/vfs.h"

/* ---- path ------------------------------------------------------------- */

static void
norm_eq(const char *in, const char *want)
{
	char out[RT_PATH_MAX];
	int n = rtpath_norm(in, out, sizeof out);

	ck_assert_int_ge(n, 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq((size_t)n, strlen(want));
}

static void
join_eq(const char *base, const char *rel, const char *want)
{
	char out[RT_PATH_MAX];

	ck_assert_int_ge(rtpath_join(base, rel, out, sizeof out), 0);
	ck_assert_str_eq(out, want);
}

START_TEST(test_path_norm)
{
	char out[8];

	norm_eq("/", "/");
	norm_eq("//", "/");
	norm_eq("/a//b/", "/a/b");
	norm_eq("/a/./b/.", "/a/b");
	norm_eq("/a/b/../c", "/a/c");
	norm_eq("/..", "/");
	norm_eq("/../../a", "/a");
	norm_eq("/a/..", "/");
	norm_eq("/.hidden/..x/...", "/.hidden/..x/...");
	ck_assert_int_eq(rtpath_norm("a/b", out, sizeof out), -EINVAL);
	ck_assert_int_eq(rtpath_norm("/abcdefgh", out, sizeof out),
	    -ENAMETOOLONG);
	join_eq("/a/b", "c", "/a/b/c");
	join_eq("/a/b", "../c", "/a/c");
	join_eq("/a/b", "/x/y", "/x/y");
	join_eq("/", "x", "/x");
	join_eq("/a", ".", "/a");
	join_eq("/a", "./", "/a");
	ck_assert_int_eq(rtpath_has_dotdot("/a/../b"), 1);
	ck_assert_int_eq(rtpath_has_dotdot(".."), 1);
	ck_assert_int_eq(rtpath_has_dotdot("a/.."), 1);
	ck_assert_int_eq(rtpath_has_dotdot("/a/..b/c.."), 0);
	ck_assert_int_eq(rtpath_has_dotdot("/a/.../b"), 0);
}
END_TEST

START_TEST(test_path_parts)
{
	char out[RT_PATH_MAX];
	size_t a, b;

	ck_assert_int_eq(rtpath_dirlen("/a/b"), 2);
	ck_assert_int_eq(rtpath_dirlen("/a"), 1);
	ck_assert_int_eq(rtpath_dirlen("/"), 1);
	ck_assert_str_eq(rtpath_base("/a/b"), "b");
	ck_assert_str_eq(rtpath_base("/"), "");
	/* the part below an overlay: what two layers' paths share */
	ck_assert_int_eq(rtpath_common_tail("/scratch/a/b", "/src/a/b", &a,
	    &b), 2);
	ck_assert_int_eq(a, strlen("/scratch"));
	ck_assert_int_eq(b, strlen("/src"));
	ck_assert_int_eq(rtpath_common_tail("/w/x", "/x", &a, &b), 1);
	ck_assert_int_eq(a, 2);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(rtpath_common_tail("/same", "/same", &a, &b), 0);
	ck_assert_int_eq(rtpath_common_tail("/a/x", "/b/y", &a, &b), 0);
	ck_assert_int_eq(rtpath_common_tail("/ab", "/b", &a, &b), 0);
	ck_assert_int_ge(rtpath_wh("/d/name", out, sizeof out), 0);
	ck_assert_str_eq(out, "/d/.wh.name");
	ck_assert_int_ge(rtpath_wh("/name", out, sizeof out), 0);
	ck_assert_str_eq(out, "/.wh.name");
	strcpy(out, "/in/place");
	ck_assert_int_ge(rtpath_wh(out, out, sizeof out), 0);
	ck_assert_str_eq(out, "/in/.wh.place");
	ck_assert_int_eq(rtpath_wh("/", out, sizeof out), -EINVAL);
	ck_assert_int_ge(rtpath_child("/", "x", out, sizeof out), 0);
	ck_assert_str_eq(out, "/x");
	ck_assert_int_eq(rtpath_is_wh(".wh.x"), 1);
	ck_assert_int_eq(rtpath_is_wh(".whx"), 0);
}
END_TEST

/* ---- fdtab ------------------------------------------------------------ */

START_TEST(test_fdtab)
{
	char out[64];
	struct fdtab_push *p;

	ck_assert_int_eq(fdtab_get(5, out, sizeof out), -ENOENT);
	ck_assert_int_eq(fdtab_set(5, "/a/b"), 0);
	ck_assert_int_eq(fdtab_has(5), 1);
	ck_assert_int_eq(fdtab_get(5, out, sizeof out), 4);
	ck_assert_str_eq(out, "/a/b");
	ck_assert_int_eq(fdtab_get(5, out, 3), -ENAMETOOLONG);
	ck_assert_int_eq(fdtab_set_push(5, "/p", "/s", FLAC_MOD_FAIL), 0);
	fdtab_dup(5, 7000);	/* another chunk */
	ck_assert_int_eq(fdtab_get(7000, out, sizeof out), 4);
	p = fdtab_take(7000);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->secondary, "/s");
	fdtab_push_free(p);
	ck_assert_int_eq(fdtab_has(7000), 0);
	/* dup of an fd we do not know clears the target */
	fdtab_dup(6, 5);
	ck_assert_int_eq(fdtab_has(5), 0);
	ck_assert_int_eq(fdtab_set(10, "/x"), 0);
	ck_assert_int_eq(fdtab_set(12, "/y"), 0);
	fdtab_forget_range(11, ~0u);
	ck_assert_int_eq(fdtab_has(10), 1);
	ck_assert_int_eq(fdtab_has(12), 0);
	ck_assert_int_eq(fdtab_set(-1, "/z"), -EBADF);
	ck_assert_int_eq(fdtab_set(FDTAB_MAXFD, "/z"), -EBADF);
}
END_TEST

/* ---- session image ------------------------------------------------------ */

static struct flac_ns *
compile_text(const char *src, const char *const *env, size_t nenv)
{
	struct flac_spec *sp = flac_spec_new();
	struct flac_ctx ctx;
	struct flac_ns *ns = NULL;
	static const char *const names[] = { "here" };

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(flac_load(sp, src, strlen(src)), 0);
	memset(&ctx, 0, sizeof ctx);
	ctx.names = names;
	ctx.nnames = 1;
	ctx.env = env;
	ctx.nenv = nenv;
	ck_assert_int_eq(flac_compile(sp, &ctx, &ns), 0);
	flac_spec_free(sp);
	return ns;
}

START_TEST(test_session_image)
{
	static const char src[] = "root select(env, V=1:local(), "
	    "else:subtree(local(), /x))\n";
	char *names[] = { "here", "here.example" };
	char *addrs[] = { "192.0.2.7" };
	char *env1[] = { "V=1", NULL }, *env2[] = { "V=2", NULL };
	struct session_image img;
	struct flac_ns *ns, *again;
	char why[200], buf[64];
	unsigned long ino;
	void *p, *copy;
	size_t len, i;
	int a, b;

	ns = compile_text(src, NULL, 0);
	ck_assert_int_eq(session_image_build(ns, "t.flac", src, strlen(src),
	    names, 2, addrs, 1, &p, &len), 0);
	ck_assert_int_eq(session_image_parse(p, len, &img), 0);
	ck_assert_str_eq(img.specname, "t.flac");
	ck_assert_int_eq(img.nnames, 2);
	ck_assert_str_eq(img.names[1], "here.example");
	ck_assert_str_eq(img.addrs[0], "192.0.2.7");
	ck_assert_int_eq(img.nslen, ns->size);
	ck_assert_int_eq(memcmp(img.ns, ns, ns->size), 0);
	ck_assert_int_eq(session_env_dependent(img.ns), 1);
	/* each process decides select(env) from its own environment */
	ck_assert_int_eq(session_recompile(&img, env1, &again, why,
	    sizeof why), 0);
	ck_assert_int_eq(flac_ns_nodes(again)[again->root].kind,
	    FLAC_NK_SERVICE);
	free(again);
	ck_assert_int_eq(session_recompile(&img, env2, &again, why,
	    sizeof why), 0);
	ck_assert_int_eq(flac_ns_nodes(again)[again->root].kind,
	    FLAC_NK_SUBTREE);
	free(again);
	session_image_free(&img);
	/* every truncation is refused, never read past the end */
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		memcpy(copy, p, i);
		ck_assert_int_ne(session_image_parse(copy, i, &img), 0);
	}
	/* a flipped byte in the header or the block is caught */
	memcpy(copy, p, len);
	((unsigned char *)copy)[0] ^= 0xff;
	ck_assert_int_eq(session_image_parse(copy, len, &img), -EBADMSG);
	memcpy(copy, p, len);
	((unsigned char *)copy)[9] ^= 0x40;	/* the block offset */
	ck_assert_int_eq(session_image_parse(copy, len, &img), -EBADMSG);
	free(copy);
	free(p);
	free(ns);
	ck_assert_int_gt(session_env_format(buf, sizeof buf, 900, 901, 77), 0);
	ck_assert_int_eq(session_env_parse(buf, &a, &b, &ino), 0);
	ck_assert_int_eq(a, 900);
	ck_assert_int_eq(b, 901);
	ck_assert_int_eq(ino, 77);
	ck_assert_int_eq(session_env_parse("900:x:1", &a, &b, &ino), -EINVAL);
	ck_assert_int_eq(session_env_parse("", &a, &b, &ino), -EINVAL);
	ck_assert_int_eq(session_env_parse(NULL, &a, &b, &ino), -ENOENT);
}
END_TEST

/* ---- layers over real directories ----------------------------------- */

static char T[256];		/* the test's directory */
static struct flac_ns *Tns;

static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void
put(const char *path, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof p, "%s%s", T, path);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static int
exists(const char *path)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s%s", T, path);
	return lstat(p, &st) == 0;
}

/* Uses spec (%s: the test directory) as the name space. */
static void use_spec(const char *fmt) __attribute__((format(printf, 1, 0)));

static void
use_spec(const char *fmt)
{
	char src[2048];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	/* as many %s as a spec has; the extra arguments are not used */
	/* cppcheck-suppress wrongPrintfScanfArgNum */
	snprintf(src, sizeof src, fmt, T, T, T, T, T, T);
#pragma GCC diagnostic pop
	free(Tns);
	Tns = compile_text(src, NULL, 0);
	rt_use(Tns, NULL);
	cwd_set("/");
}

/* The copy-on-write union of 5.2.3 over T/src, writable layer T/w. */
static const char cow_spec[] =
    "S = local()\n"
    "P = %s/src\n"
    "W = subtree(local(), %s/w)\n"
    "R = subtree(S, P)\n"
    "U = select(operation, write:W, readwrite:transfer(W, R, pull, BLOCK, "
    "NONE), else:overlay(W, R))\n"
    "root overlay(extendtree(U, P), S)\n";

static void
layers_setup(void)
{
	snprintf(T, sizeof T, "/tmp/check_flac_rt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
	rt_ops_libc(&rt_ops);
	sh("mkdir -p %s/src/d/e %s/src/keep %s/w", T, T, T);
	put("/src/a", "lower a\n");
	put("/src/d/f", "lower f\n");
	put("/src/d/e/g", "lower g\n");
	put("/src/keep/k", "k\n");
	use_spec(cow_spec);
}

static void
layers_teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T);
	free(Tns);
	Tns = NULL;
	ws_reset();
}

static char *
vp_of(const char *path)
{
	static char vp[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(vp[k], sizeof vp[k], "%s%s", T, path);
	return vp[k];
}

/* The contents of path of the name space ("" when it cannot be read). */
static const char *
vread(const char *vp)
{
	static char buf[256];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = vfs_open(AT_FDCWD, vp, O_RDONLY, 0)) < 0)
		return buf;
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	fdtab_push_free(fdtab_take(fd));
	ws_reset();
	return buf;
}

static int
vwrite(const char *vp, int flags, const char *text)
{
	struct fdtab_push *push;
	int fd;

	if ((fd = vfs_open(AT_FDCWD, vp, ((flags & O_RDWR) ? 0 : O_WRONLY) |
	    flags, 0644)) < 0)
		return fd;
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	/* what the close hook does: a transfer's push */
	if ((push = fdtab_take(fd)) != NULL)
		ck_assert_int_ge(layer_push(push->primary, push->secondary,
		    push->mod), 0);
	fdtab_push_free(push);
	ws_reset();
	return 0;
}

/* The sorted names of directory path of the name space, space-separated. */
static const char *
vlist(const char *vp)
{
	static char out[1024];
	char *names[64];
	struct dirent64 *e;
	size_t n = 0, i, j;
	DIR *d;
	int err = 0;

	out[0] = '\0';
	d = dir_open(vp, &err);
	ws_reset();
	if (d == NULL) {
		snprintf(out, sizeof out, "error %d", err);
		return out;
	}
	for (;;) {
		e = dir_is_ours(d) ? dir_read((struct dir_stream *)(void *)d) :
		    readdir64(d);
		if (e == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ck_assert_int_lt(n, 64);
		names[n++] = strdup(e->d_name);
	}
	if (dir_is_ours(d))
		dir_close((struct dir_stream *)(void *)d);
	else
		closedir(d);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

static int
vcall(int r)
{
	ws_reset();
	return r;
}


START_TEST(test_overlay_lookup_and_listing)
{
	struct stat st;

	/* the lower layer shows through; the upper one occludes it */
	ck_assert_str_eq(vread(vp_of("/src/a")), "lower a\n");
	put("/w/a", "upper a\n");
	rt_changed();
	ck_assert_str_eq(vread(vp_of("/src/a")), "upper a\n");
	/* a name both layers have is listed once */
	sh("mkdir -p %s/w/d && echo u > %s/w/d/only-upper", T, T);
	rt_changed();
	ck_assert_str_eq(vlist(vp_of("/src")), "a d keep");
	ck_assert_str_eq(vlist(vp_of("/src/d")), "e f only-upper");
	/* a merged directory counts its subdirectories like a real one */
	ck_assert_int_eq(vcall(vfs_stat(AT_FDCWD, vp_of("/src/d"), &st, 0)),
	    0);
	ck_assert_int_eq(st.st_nlink, 3);
	/* the root of the union: a synthetic "src" over the real T */
	ck_assert_int_eq(vcall(vfs_stat(AT_FDCWD, T, &st, 0)), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_str_eq(vlist(vp_of("")), "src w");
	/* the runtime's own files never show */
	put("/w/.wh.flac-copy.1.1", "");
	put("/w/d/.wh.nothing", "");
	rt_changed();
	ck_assert_str_eq(vlist(vp_of("/src")), "a d keep");
	ck_assert_str_eq(vlist(vp_of("/src/d")), "e f only-upper");
}
END_TEST

START_TEST(test_overlay_copy_up)
{
	struct stat st;

	/* writing a lower file copies it up; the lower one stays */
	ck_assert_int_eq(vwrite(vp_of("/src/d/f"), O_APPEND, "more\n"), 0);
	ck_assert_str_eq(vread(vp_of("/src/d/f")), "lower f\nmore\n");
	ck_assert(exists("/w/d/f"));
	ck_assert(!exists("/w/d/.wh.f"));
	/* readwrite goes through the transfer (pull from R into W) */
	ck_assert_int_eq(vwrite(vp_of("/src/d/e/g"), O_RDWR, "G"), 0);
	ck_assert_str_eq(vread(vp_of("/src/d/e/g")), "Gower g\n");
	ck_assert(exists("/w/d/e/g"));
	/* truncating opens copy nothing */
	ck_assert_int_eq(vwrite(vp_of("/src/keep/k"), O_TRUNC, "new\n"), 0);
	ck_assert_str_eq(vread(vp_of("/src/keep/k")), "new\n");
	/* a new file in a directory only the lower layer has */
	ck_assert_int_eq(vwrite(vp_of("/src/keep/n"), O_CREAT | O_EXCL, "n\n"), 0);
	ck_assert(exists("/w/keep/n"));
	ck_assert_int_eq(vwrite(vp_of("/src/keep/n"), O_CREAT | O_EXCL, "n\n"),
	    -EEXIST);
	/* attributes change on the copy */
	ck_assert_int_eq(vcall(vfs_chmod(AT_FDCWD, vp_of("/src/a"), 0600, 0)),
	    0);
	ck_assert_int_eq(stat(vp_of("/w/a"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(vp_of("/src/a"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	/* the lower tree was never written */
	sh("test \"$(cat %s/src/d/f)\" = 'lower f'", T);
	sh("test \"$(cat %s/src/d/e/g)\" = 'lower g'", T);
	sh("test \"$(cat %s/src/keep/k)\" = 'k'", T);
	sh("test ! -e %s/src/keep/n", T);
}
END_TEST

START_TEST(test_overlay_whiteouts)
{
	struct stat st;

	/* removing a lower file records a whiteout */
	ck_assert_int_eq(vcall(vfs_unlink(AT_FDCWD, vp_of("/src/a"), 0)), 0);
	ck_assert(exists("/w/.wh.a"));
	ck_assert(exists("/src/a"));
	ck_assert_int_eq(vcall(vfs_stat(AT_FDCWD, vp_of("/src/a"), &st, 0)),
	    -ENOENT);
	ck_assert_str_eq(vlist(vp_of("/src")), "d keep");
	/* making it again removes the whiteout */
	ck_assert_int_eq(vwrite(vp_of("/src/a"), O_CREAT, "again\n"), 0);
	ck_assert(!exists("/w/.wh.a"));
	ck_assert_str_eq(vread(vp_of("/src/a")), "again\n");
	/* a file in both layers: both hidden by one removal */
	ck_assert_int_eq(vcall(vfs_unlink(AT_FDCWD, vp_of("/src/a"), 0)), 0);
	ck_assert(!exists("/w/a"));
	ck_assert(exists("/w/.wh.a"));
	ck_assert_str_eq(vread(vp_of("/src/a")), "");
	/* rmdir: not while the merged directory has names */
	ck_assert_int_eq(vcall(vfs_unlink(AT_FDCWD, vp_of("/src/keep"),
	    AT_REMOVEDIR)), -ENOTEMPTY);
	ck_assert_int_eq(vcall(vfs_unlink(AT_FDCWD, vp_of("/src/keep/k"), 0)),
	    0);
	ck_assert_int_eq(vcall(vfs_unlink(AT_FDCWD, vp_of("/src/keep"),
	    AT_REMOVEDIR)), 0);
	ck_assert(exists("/w/.wh.keep"));
	/* a whiteout of a directory hides all below it */
	ck_assert_int_eq(vcall(vfs_stat(AT_FDCWD, vp_of("/src/keep/k"), &st,
	    0)), -ENOENT);
	/* a directory made again is opaque: nothing from below */
	ck_assert_int_eq(vcall(vfs_mkdir(AT_FDCWD, vp_of("/src/keep"), 0755)),
	    0);
	ck_assert(exists("/w/keep/.wh..wh..opq"));
	ck_assert_str_eq(vlist(vp_of("/src/keep")), "");
	ck_assert_str_eq(vread(vp_of("/src/keep/k")), "");
	/* the lower tree still has everything */
	sh("test -f %s/src/a && test -f %s/src/keep/k", T, T);
}
END_TEST

START_TEST(test_overlay_rename_and_link)
{
	struct stat st;

	/* a lower file renamed: copied up under the new name, old one
	   whited out */
	ck_assert_int_eq(vcall(vfs_rename(AT_FDCWD, vp_of("/src/a"), AT_FDCWD,
	    vp_of("/src/d/a2"), 0)), 0);
	ck_assert_str_eq(vread(vp_of("/src/d/a2")), "lower a\n");
	ck_assert_int_eq(vcall(vfs_stat(AT_FDCWD, vp_of("/src/a"), &st, 0)),
	    -ENOENT);
	ck_assert(exists("/w/.wh.a") && exists("/w/d/a2"));
	/* a lower directory cannot be renamed in place: EXDEV, as on
	   overlayfs (mv copies then) */
	ck_assert_int_eq(vcall(vfs_rename(AT_FDCWD, vp_of("/src/keep"),
	    AT_FDCWD, vp_of("/src/kept"), 0)), -EXDEV);
	/* a directory made in the upper layer renames like any */
	ck_assert_int_eq(vcall(vfs_mkdir(AT_FDCWD, vp_of("/src/new"), 0755)),
	    0);
	ck_assert_int_eq(vcall(vfs_rename(AT_FDCWD, vp_of("/src/new"),
	    AT_FDCWD, vp_of("/src/new2"), 0)), 0);
	ck_assert_str_eq(vlist(vp_of("/src")), "d keep new2");
	/* RENAME_NOREPLACE sees the lower layer's names */
	ck_assert_int_eq(vcall(vfs_rename(AT_FDCWD, vp_of("/src/d/a2"),
	    AT_FDCWD, vp_of("/src/d/f"), RENAME_NOREPLACE)), -EEXIST);
	/* hard link to a lower file: copied up first */
	ck_assert_int_eq(vcall(vfs_link(AT_FDCWD, vp_of("/src/d/f"), AT_FDCWD,
	    vp_of("/src/d/f2"), 0)), 0);
	ck_assert_int_eq(stat(vp_of("/w/d/f"), &st), 0);
	ck_assert_int_eq(st.st_nlink, 2);
	/* symlinks are followed in the name space */
	ck_assert_int_eq(vcall(vfs_symlink("f", AT_FDCWD, vp_of("/src/d/l"))),
	    0);
	ck_assert_str_eq(vread(vp_of("/src/d/l")), "lower f\n");
	ck_assert_int_eq(vcall(vfs_symlink(vp_of("/src/d/f"), AT_FDCWD,
	    vp_of("/src/abs"))), 0);
	ck_assert_int_eq(vwrite(vp_of("/src/d/f"), O_TRUNC, "via upper\n"), 0);
	ck_assert_str_eq(vread(vp_of("/src/abs")), "via upper\n");
}
END_TEST

START_TEST(test_cuttree_and_synthetic)
{
	/* mount T/m at T/src/keep (figure 5.4's mount, N made local) */
	sh("mkdir -p %s/m/inner && echo m > %s/m/mf", T, T);
	use_spec("S = local()\nN = subtree(local(), %s/m)\nP = %s/src/keep\n"
	    "root overlay(extendtree(N, P), cuttree(S, P))\n");
	ck_assert_str_eq(vlist(vp_of("/src/keep")), "inner mf");
	ck_assert_str_eq(vread(vp_of("/src/keep/mf")), "m\n");
	ck_assert_str_eq(vread(vp_of("/src/keep/k")), "");
	ck_assert_str_eq(vlist(vp_of("/src")), "a d keep");
	/* only the cut: its name is gone from the listing */
	use_spec("root cuttree(local(), %s/src/keep)\n");
	ck_assert_str_eq(vlist(vp_of("/src")), "a d");
	ck_assert_str_eq(vread(vp_of("/src/keep/k")), "");
	/* only the extension: synthetic directories above it */
	use_spec("root extendtree(subtree(local(), %s/m), /mnt/data)\n");
	ck_assert_str_eq(vlist("/"), "mnt");
	ck_assert_str_eq(vlist("/mnt"), "data");
	ck_assert_str_eq(vlist("/mnt/data"), "inner mf");
	/* a name beside the extension is not in the name space */
	ck_assert_int_eq(vwrite("/mnt/x", O_CREAT, "x"), -ENOENT);
}
END_TEST

START_TEST(test_transfer_local)
{
	struct timeval tv[2] = { { 1000, 0 }, { 1000, 0 } };
	struct stat st;

	/* a pushpull transfer between two local trees, seen at /x */
	sh("mkdir -p %s/cache %s/master/sub && echo v1 > %s/master/sub/f", T,
	    T, T);
	use_spec("root overlay(extendtree(transfer(subtree(local(), %s/cache), "
	    "subtree(local(), %s/master), pushpull, IGNORE, IGNORE), /x), "
	    "local())\n");
	/* listed from both sides; pulled on open, directories made */
	ck_assert_str_eq(vlist("/x"), "sub");
	ck_assert_str_eq(vread("/x/sub/f"), "v1\n");
	ck_assert(exists("/cache/sub/f"));
	/* a newer secondary is pulled again */
	sh("echo v2 > %s/master/sub/f", T);
	ck_assert_int_eq(utimes(vp_of("/cache/sub/f"), tv), 0);
	ck_assert_str_eq(vread("/x/sub/f"), "v2\n");
	/* push on close: a write reaches the secondary when closed */
	ck_assert_int_eq(vwrite("/x/sub/f", O_TRUNC, "v3\n"), 0);
	sh("test \"$(cat %s/master/sub/f)\" = v3", T);
	/* a new file, and the directories it needs, on both sides */
	ck_assert_int_eq(vwrite("/x/new/dir/g", O_CREAT, "g\n"), -ENOENT);
	ck_assert_int_eq(vcall(vfs_mkdir(AT_FDCWD, "/x/new", 0755)), 0);
	ck_assert_int_eq(vwrite("/x/new/g", O_CREAT, "g\n"), 0);
	sh("test \"$(cat %s/master/new/g)\" = g", T);
	/* an older secondary is left alone */
	ck_assert_int_eq(utimes(vp_of("/master/new/g"), tv), 0);
	ck_assert_int_eq(layer_push(vp_of("/cache/new/g"),
	    vp_of("/master/new/g"), FLAC_MOD_IGNORE), 1);
	ck_assert_int_eq(layer_push(vp_of("/cache/new/g"),
	    vp_of("/master/new/g"), FLAC_MOD_IGNORE), 0);
	ck_assert_int_eq(stat(vp_of("/master/new/g"), &st), 0);
	ck_assert_int_gt(st.st_mtime, 1000);
}
END_TEST

START_TEST(test_lcache_generation)
{
	char p[512];
	uint64_t g;

	snprintf(p, sizeof p, "%s/w/nothing/below", T);
	lcache_enable(1);
	g = rt_generation();
	lcache_note_absent(p, g);
	ck_assert_int_eq(lcache_absent(p), 1);
	strcat(p, "/deeper");
	ck_assert_int_eq(lcache_absent(p), 1);	/* an ancestor is absent */
	/* any change in the session forgets it */
	rt_changed();
	ck_assert_int_eq(lcache_absent(p), 0);
	/* a note made from a lookup older than the change is dropped */
	lcache_note_absent(p, g);
	ck_assert_int_eq(lcache_absent(p), 0);
}
END_TEST

/* ---- a location change (reloc.c) ----------------------------------------- */

static const char loc_spec[] =
    "root overlay(extendtree(select(location, here: subtree(local(), "
    "%s/home), else: subtree(local(), %s/away)), /data), local())\n";

/* Publishes, as the location monitor does, the spec compiled for a host
 * named name; returns the image's fd. */
static int
loc_publish(struct session_state *st, const char *src, const char *name)
{
	struct flac_spec *sp = flac_spec_new();
	struct flac_ctx ctx;
	struct flac_ns *ns = NULL;
	struct stat sb;
	char *names[1] = { (char *)(uintptr_t)name };
	void *img;
	size_t len;
	int fd;

	ck_assert_int_eq(flac_load(sp, src, strlen(src)), 0);
	memset(&ctx, 0, sizeof ctx);
	ctx.names = (const char *const *)names;
	ctx.nnames = 1;
	ck_assert_int_eq(flac_compile(sp, &ctx, &ns), 0);
	ck_assert_int_eq(session_image_build(ns, "loc.flac", src, strlen(src),
	    names, 1, NULL, 0, &img, &len), 0);
	ck_assert_int_ge(fd = memfd_create("flac-image", MFD_ALLOW_SEALING), 0);
	ck_assert_int_eq(write(fd, img, len), (ssize_t)len);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	st->loc_pid = getpid();
	st->loc_fd = fd;
	st->loc_ino = sb.st_ino;
	__atomic_add_fetch(&st->loc_gen, 1, __ATOMIC_RELEASE);
	free(img);
	free(ns);
	flac_spec_free(sp);
	return fd;
}

static ino_t
ino_of(const char *path)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s%s", T, path);
	ck_assert_int_eq(stat(p, &st), 0);
	return st.st_ino;
}

START_TEST(test_reloc_reopen)
{
	static struct session_state st;
	char src[1024], buf[8];
	struct stat sb;
	int same, only, img1, img2;

	sh("mkdir -p %s/home %s/away", T, T);
	put("/home/same", "0123456789abcdef");
	put("/away/same", "0123456789abcdef");
	put("/home/only", "home only file");
	snprintf(src, sizeof src, loc_spec, T, T);
	use_spec(loc_spec);		/* compiled for "here": home */
	rt_use(Tns, &st);
	real_init();
	reloc_seen = 0;
	ck_assert_int_ge(same = vfs_open(AT_FDCWD, "/data/same", O_RDONLY,
	    0), 0);
	ck_assert_int_ge(only = vfs_open(AT_FDCWD, "/data/only", O_RDONLY,
	    0), 0);
	ws_reset();
	ck_assert_int_eq(read(same, buf, 5), 5);
	ck_assert_int_eq(read(only, buf, 4), 4);
	ck_assert_int_eq(reloc_pending(), 0);

	/* away: same reopened at its offset on away, only is stale */
	img1 = loc_publish(&st, src, "elsewhere");
	ck_assert_int_eq(reloc_pending(), 1);
	ck_assert_int_eq(reloc_switch(), 1);
	ws_reset();
	ck_assert_int_eq(reloc_pending(), 0);
	ck_assert_int_eq(fstat(same, &sb), 0);
	ck_assert_uint_eq(sb.st_ino, ino_of("/away/same"));
	ck_assert_int_eq(lseek(same, 0, SEEK_CUR), 5);
	ck_assert_int_eq(fdtab_stale(only, NULL, NULL), 1);
	ck_assert_int_eq(fdtab_stale(same, NULL, NULL), 0);
	ck_assert_int_eq(fdtab_has(same), 1);

	/* home again: only reopened where it was */
	img2 = loc_publish(&st, src, "here");
	ck_assert_int_eq(reloc_switch(), 1);
	ws_reset();
	ck_assert_int_eq(fdtab_stale(only, NULL, NULL), 0);
	ck_assert_int_eq(fstat(only, &sb), 0);
	ck_assert_uint_eq(sb.st_ino, ino_of("/home/only"));
	ck_assert_int_eq(read(only, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, " onl", 4), 0);
	ck_assert_int_eq(fstat(same, &sb), 0);
	ck_assert_uint_eq(sb.st_ino, ino_of("/home/same"));
	ck_assert_int_eq(read(same, buf, 3), 3);
	ck_assert_int_eq(memcmp(buf, "567", 3), 0);

	/* a publication that cannot be opened keeps the name space */
	st.loc_ino++;
	__atomic_add_fetch(&st.loc_gen, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(reloc_switch(), -ESTALE);
	ck_assert_int_eq(reloc_pending(), 0);
	ck_assert_int_eq(fstat(same, &sb), 0);
	ck_assert_uint_eq(sb.st_ino, ino_of("/home/same"));

	fdtab_push_free(fdtab_take(same));
	fdtab_push_free(fdtab_take(only));
	ck_assert_int_eq(fdtab_nstale, 0);
	close(same);
	close(only);
	close(img1);
	close(img2);
	rt_use(Tns, NULL);
}
END_TEST

static Suite *
flac_rt_suite(void)
{
	Suite *s = suite_create("flac_rt");
	TCase *pure = tcase_create("pure");
	TCase *layers = tcase_create("layers");

	tcase_add_test(pure, test_path_norm);
	tcase_add_test(pure, test_path_parts);
	tcase_add_test(pure, test_fdtab);
	tcase_add_test(pure, test_session_image);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(layers, layers_setup, layers_teardown);
	tcase_add_test(layers, test_overlay_lookup_and_listing);
	tcase_add_test(layers, test_overlay_copy_up);
	tcase_add_test(layers, test_overlay_whiteouts);
	tcase_add_test(layers, test_overlay_rename_and_link);
	tcase_add_test(layers, test_cuttree_and_synthetic);
	tcase_add_test(layers, test_transfer_local);
	tcase_add_test(layers, test_lcache_generation);
	tcase_add_test(layers, test_reloc_reopen);
	suite_add_tcase(s, layers);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(flac_rt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

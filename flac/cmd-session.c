/*
 * flac session: export the I/O session of a running program, and rebuild
 * one around a new program (flac/rt/iosess.h has the image).
 *
 *   flac session export PID FILE
 *   flac session show FILE
 *   flac session import [-f SPEC] [--location NAME|ADDR]... FILE [--]
 *       CMD [ARGS...]
 *
 * Export reads everything from /proc, as any process of the same user
 * may: the session's image through the descriptor FLAC_SESSION names, the
 * names the runtime gave the program's descriptors from its "flac-fds"
 * memfd (fdmirror.h), each descriptor's offset and flags from fdinfo.  The
 * program is stopped (SIGSTOP) while it is read and continued after,
 * unless it was stopped already.
 *
 * Import compiles the image's specification (or SPEC: the files may have
 * moved to another tree that SPEC maps to the same names) for the image's
 * location (or --location), opens every file again in that name space
 * with its flags (never creating or truncating), at its offset and under
 * its descriptor number, goes to the working directory, and runs CMD
 * there as `flac -f` would.  The program's runtime learns the files' names
 * in the name space (fdmirror_adopt), so that it can be exported again.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "flac/cmd.h"
#include "flac/daemon/journal.h"
#include "flac/daemon/proto.h"
#include "flac/rt/fdmirror.h"
#include "flac/rt/iosess.h"
#include "flac/rt/rt.h"
#include "flac/rt/session.h"
#include "flac/rt/vfs.h"

struct iosess *cmd_restore;
const char *cmd_spec_path, *cmd_spec_label;

/* The flags worth carrying to a new open. */
#define SESS_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
			 O_DSYNC | O_NOATIME | O_DIRECT)
#define SESS_MAXIMG	(64u << 20)

/* Reads a whole file (of /proc: no size known) into malloc'd *out (malloc
 * aligns it for session_image_parse). */
static int
sess_slurp(const char *path, size_t max, char **out, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf, *nb;
	ssize_t k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((buf = malloc(cap + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= max ||
			    (nb = malloc(cap * 2 + 1)) == NULL) {
				free(buf);
				close(fd);
				return cap >= max ? -EFBIG : -ENOMEM;
			}
			memcpy(nb, buf, n);
			free(buf);
			buf = nb;
			cap *= 2;
		}
		if ((k = read(fd, buf + n, cap - n)) < 0) {
			if (errno == EINTR)
				continue;
			k = -errno;
			free(buf);
			close(fd);
			return (int)k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The value of VAR in /proc/PID/environ, malloc'd; NULL if none. */
static char *
sess_environ(pid_t pid, const char *var)
{
	char path[64], *env, *p, *v = NULL;
	size_t len, vl = strlen(var);

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (sess_slurp(path, 1u << 24, &env, &len) != 0)
		return NULL;
	for (p = env; p < env + len; p += strlen(p) + 1)
		if (strncmp(p, var, vl) == 0 && p[vl] == '=') {
			v = strdup(p + vl + 1);
			break;
		}
	free(env);
	return v;
}

/* The state letter of /proc/PID/stat, or 0. */
static char
sess_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

/* Stops pid until sess_resume(); 1 when we stopped it, 0, or -errno. */
static int
sess_freeze(pid_t pid)
{
	struct timespec ts = { 0, 2000000 };
	int i;

	if (sess_state(pid) == 'T' || sess_state(pid) == 't')
		return 0;
	if (kill(pid, SIGSTOP) != 0)
		return -errno;
	for (i = 0; i < 500 && sess_state(pid) != 'T'; i++)
		nanosleep(&ts, NULL);
	return 1;
}

/* "pos:" and "flags:" of /proc/PID/fdinfo/FD. */
static int
sess_fdinfo(pid_t pid, int fd, unsigned long long *pos, int *flags)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(f, buf, sizeof buf - 1);
	close(f);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if ((p = strstr(buf, "pos:")) == NULL)
		return -EIO;
	*pos = strtoull(p + 4, NULL, 10);
	if ((p = strstr(buf, "flags:")) == NULL)
		return -EIO;
	*flags = (int)strtol(p + 6, NULL, 8);
	return 0;
}

struct sess_scan {
	pid_t		 pid;
	int		 imgfd, statefd, mirrorfd;
	char		*mirror;	/* FDMIRROR_SIZE bytes, or NULL */
	int		 identity;	/* no mirror: root local() */
};

/* Finds the fd-name mirror among pid's descriptors and maps a copy. */
static void
sess_find_mirror(struct sess_scan *sc)
{
	char path[320], link[256];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)sc->pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)sc->pid,
		    de->d_name);
		if ((n = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:" FDMIRROR_NAME " ",
		    strlen("/memfd:" FDMIRROR_NAME " ")) != 0)
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		sc->mirror = mmap(NULL, FDMIRROR_SIZE, PROT_READ, MAP_PRIVATE,
		    fd, 0);
		close(fd);
		if (sc->mirror == MAP_FAILED)
			sc->mirror = NULL;
		else
			sc->mirrorfd = atoi(de->d_name);
		break;
	}
	closedir(d);
	if (sc->mirror != NULL) {
		const struct fdmirror_hdr *h = (const void *)sc->mirror;

		if (h->magic != FDMIRROR_MAGIC ||
		    h->version != FDMIRROR_VERSION ||
		    h->pid != (uint32_t)sc->pid) {
			munmap(sc->mirror, FDMIRROR_SIZE);
			sc->mirror = NULL;
		}
	}
}

/* The name space path of pid's fd, malloc'd, or NULL (and why). */
static char *
sess_fd_path(const struct sess_scan *sc, int fd, const char *real)
{
	const struct fdmirror_slot *s;
	uint32_t n;

	if (sc->mirror != NULL && fd < FDMIRROR_MAXFD) {
		s = (const void *)(sc->mirror + (size_t)(fd + 1) *
		    FDMIRROR_PAGE);
		n = s->len;
		if (n > 0 && n < sizeof s->path)
			return strndup(s->path, n);
		return NULL;
	}
	if (sc->identity)
		return strdup(real);
	return NULL;
}

static int
sess_add_file(struct iosess *s, int fd, int flags, unsigned long long pos,
    char *path)
{
	struct iosess_file *nf;

	if (s->nfiles >= IOSESS_MAXFILES)
		return -E2BIG;
	nf = realloc(s->files, (s->nfiles + 1) * sizeof *nf);
	if (nf == NULL)
		return -ENOMEM;
	s->files = nf;
	nf[s->nfiles].fd = fd;
	nf[s->nfiles].flags = flags & SESS_FLAGS;
	nf[s->nfiles].offset = pos;
	nf[s->nfiles].path = path;
	s->nfiles++;
	return 0;
}

/* Every regular file pid has open under a name of the name space. */
static int
sess_scan_fds(struct sess_scan *sc, struct iosess *s)
{
	char path[64], real[4096], *vp;
	unsigned long long pos = 0;
	struct dirent *de;
	struct stat st;
	ssize_t n;
	DIR *d;
	int fd, flags = 0, r = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)sc->pid);
	if ((d = opendir(path)) == NULL)
		return -errno;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		fd = atoi(de->d_name);
		if (fd == sc->imgfd || fd == sc->statefd ||
		    fd == sc->mirrorfd)
			continue;
		snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)sc->pid,
		    fd);
		if ((n = readlink(path, real, sizeof real - 1)) <= 0)
			continue;
		real[n] = '\0';
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((vp = sess_fd_path(sc, fd, real)) == NULL) {
			if (sc->mirror != NULL && fd >= FDMIRROR_MAXFD)
				fprintf(stderr, "flac: session: fd %d (%s) is "
				    "above the %d descriptors whose names the "
				    "runtime publishes; left out\n", fd, real,
				    FDMIRROR_MAXFD);
			else
				fprintf(stderr, "flac: session: fd %d (%s) was "
				    "not opened in the name space; left out\n",
				    fd, real);
			continue;
		}
		if (!iosess_path_ok(vp) ||
		    sess_fdinfo(sc->pid, fd, &pos, &flags) != 0) {
			fprintf(stderr, "flac: session: fd %d (%s): cannot "
			    "describe it; left out\n", fd, vp);
			free(vp);
			continue;
		}
		if ((r = sess_add_file(s, fd, flags, pos, vp)) < 0)
			free(vp);
	}
	closedir(d);
	return r;
}

static int
sess_strvdup(char ***dst, size_t *dn, char *const *src, size_t n)
{
	size_t i;

	*dn = 0;
	if (n == 0)
		return 0;
	if ((*dst = calloc(n, sizeof **dst)) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (((*dst)[i] = strdup(src[i])) == NULL)
			return -ENOMEM;
		*dn = i + 1;
	}
	return 0;
}

/* Builds the session of pid (stopped). */
static int
sess_collect(pid_t pid, struct iosess *s, char *why, size_t whysz)
{
	struct sess_scan sc = { .pid = pid, .mirrorfd = -1 };
	struct session_image img;
	char path[64], *env, *buf = NULL, *cwd = NULL, *c;
	unsigned long ino;
	size_t len;
	int r;

	memset(&img, 0, sizeof img);
	if ((env = sess_environ(pid, SESSION_ENV)) == NULL) {
		snprintf(why, whysz, "process %d does not run under flac (no "
		    "%s in its environment, or it is not ours)", (int)pid,
		    SESSION_ENV);
		return -ESRCH;
	}
	r = session_env_parse(env, &sc.imgfd, &sc.statefd, &ino);
	free(env);
	if (r < 0) {
		snprintf(why, whysz, "process %d: bad %s", (int)pid,
		    SESSION_ENV);
		return r;
	}
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, sc.imgfd);
	if ((r = sess_slurp(path, SESS_MAXIMG, &buf, &len)) < 0 ||
	    (r = session_image_parse(buf, len, &img)) < 0) {
		snprintf(why, whysz, "process %d: cannot read its name space "
		    "image (fd %d): %s", (int)pid, sc.imgfd, strerror(-r));
		free(buf);
		return r;
	}
	sess_find_mirror(&sc);
	sc.identity = sc.mirror == NULL && img.nslen > 0 &&
	    img.ns->nnodes == 1;
	r = -ENOMEM;
	if ((s->specname = strdup(img.specname)) == NULL ||
	    (s->src = malloc(img.srclen + 1)) == NULL)
		goto out;
	memcpy(s->src, img.src, img.srclen);
	s->src[img.srclen] = '\0';
	s->srclen = img.srclen;
	if (sess_strvdup(&s->names, &s->nnames, img.names, img.nnames) < 0 ||
	    sess_strvdup(&s->addrs, &s->naddrs, img.addrs, img.naddrs) < 0)
		goto out;
	if (sc.mirror != NULL) {
		const struct fdmirror_hdr *h = (const void *)sc.mirror;

		if (h->cwdlen > 0 && h->cwdlen < sizeof h->cwd)
			cwd = strndup(h->cwd, h->cwdlen);
	}
	if (cwd == NULL && (env = sess_environ(pid, SESSION_ENV_CWD)) !=
	    NULL) {
		/* dev:ino:/path, as the launcher left it */
		if ((c = strchr(env, '/')) != NULL)
			cwd = strdup(c);
		free(env);
	}
	if (cwd == NULL || !iosess_path_ok(cwd)) {
		free(cwd);
		cwd = strdup("/");
	}
	s->cwd = cwd;
	if (cwd == NULL)
		goto out;
	if ((r = sess_scan_fds(&sc, s)) < 0)
		snprintf(why, whysz, "process %d: listing its files: %s",
		    (int)pid, strerror(-r));
out:
	if (r == -ENOMEM)
		snprintf(why, whysz, "out of memory");
	if (sc.mirror != NULL)
		munmap(sc.mirror, FDMIRROR_SIZE);
	session_image_free(&img);
	free(buf);
	return r;
}

static int
sess_write_file(const char *path, const void *p, size_t len)
{
	char tmp[4200];
	size_t off = 0;
	ssize_t k;
	int fd, e;

	if (snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid()) >=
	    (int)sizeof tmp)
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -errno;
	while (off < len) {
		if ((k = write(fd, (const char *)p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)k;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -e;
}

/*
 * Section 5.1.5: an I/O session leaves only when its pushes are home.
 * flacd, when it runs, pushes what its journal holds (up to 5 s); without
 * it, entries left on disk by an earlier one count.  0, or -EBUSY with why.
 */
static int
sess_pushes_home(char *why, size_t whylen)
{
	char path[FLACD_PATHMAX], jd[FLACD_PATHMAX + 16];
	struct wbuf b, rep;
	uint16_t type;
	int32_t left = -1;
	long n;
	int fd;

	if (flacd_sock_path(path, sizeof path, 0) < 0)
		return 0;
	snprintf(jd, sizeof jd, "%s.journal", path);
	if ((fd = ipc_connect(path, 0)) >= 0) {
		wbuf_init(&b, 64);
		wbuf_init(&rep, 256);
		if (flacd_enc_hello(&b) < 0 ||
		    ipc_send_frame(fd, FLACD_HELLO, b.data, b.len) < 0 ||
		    ipc_recv_frame(fd, &rep, &type, 256, 5000) <= 0 ||
		    flacd_dec_hello(&rep) < 0 ||
		    ipc_send_frame(fd, FLACD_FLUSH, NULL, 0) < 0 ||
		    ipc_recv_frame(fd, &rep, &type, 256, 15000) <= 0 ||
		    type != FLACD_RESULT || flacd_dec_result(&rep, &left) < 0)
			left = -1;
		wbuf_free(&b);
		wbuf_free(&rep);
		close(fd);
	}
	if (left < 0)
		left = (int32_t)((n = journal_count_dir(jd)) > 0 ? n : 0);
	if (left == 0)
		return 0;
	snprintf(why, whylen, "%d push%s still wait%s for %s secondary in "
	    "flacd's journal (%.200s): not exported, so that no update is "
	    "left behind; try again once the secondary is reachable", left,
	    left == 1 ? "" : "es", left == 1 ? "s" : "", left == 1 ? "its" :
	    "their", jd);
	return -EBUSY;
}

static int
sess_export(int argc, char **argv)
{
	struct iosess s;
	char why[512] = "", *end;
	void *img = NULL;
	size_t len;
	long pid;
	int r, stopped;

	if (argc != 3) {
		fprintf(stderr, "usage: flac session export PID FILE\n");
		return EXIT_USAGE;
	}
	pid = strtol(argv[1], &end, 10);
	if (*end != '\0' || pid <= 0 || pid > 0x3fffffff) {
		fprintf(stderr, "flac: session export: '%s' is not a process "
		    "id\n", argv[1]);
		return EXIT_USAGE;
	}
	memset(&s, 0, sizeof s);
	if (sess_pushes_home(why, sizeof why) < 0) {
		fprintf(stderr, "flac: session export: %s\n", why);
		return EXIT_USAGE;
	}
	if ((stopped = sess_freeze((pid_t)pid)) < 0) {
		fprintf(stderr, "flac: session export: process %ld: %s\n", pid,
		    strerror(-stopped));
		return EXIT_USAGE;
	}
	r = sess_collect((pid_t)pid, &s, why, sizeof why);
	if (stopped)
		kill((pid_t)pid, SIGCONT);
	if (r == 0 && (r = iosess_encode(&s, &img, &len)) < 0)
		snprintf(why, sizeof why, "cannot encode it: %s",
		    strerror(-r));
	if (r == 0 && (r = sess_write_file(argv[2], img, len)) < 0)
		snprintf(why, sizeof why, "cannot write %s: %s", argv[2],
		    strerror(-r));
	if (r == 0)
		fprintf(stderr, "flac: session of process %ld (%s): %zu open "
		    "file%s, written to %s\n", pid, s.specname, s.nfiles,
		    s.nfiles == 1 ? "" : "s", argv[2]);
	else
		fprintf(stderr, "flac: session export: %s\n", why);
	free(img);
	iosess_free(&s);
	return r == 0 ? 0 : EXIT_USAGE;
}

/*
 * The name space paths of the reopened files, for the program's runtime
 * (fdmirror_adopt): a memfd in the fd-mirror format, inherited, named by
 * FLAC_FDNAMES.
 */
static int
sess_hand_names(const struct iosess *s)
{
	struct fdmirror_slot sl;
	char num[16];
	size_t i, n;
	int mfd, hi;

	if ((mfd = memfd_create("flac-fdnames", 0)) < 0)
		return -errno;
	if ((hi = fcntl(mfd, F_DUPFD, SESSION_FD_MIN)) >= 0) {
		close(mfd);
		mfd = hi;
	}
	if (ftruncate(mfd, FDMIRROR_SIZE) != 0)
		goto fail;
	for (i = 0; i < s->nfiles; i++) {
		if (s->files[i].fd >= FDMIRROR_MAXFD ||
		    (n = strlen(s->files[i].path)) >= sizeof sl.path)
			continue;
		memset(&sl, 0, sizeof sl);
		sl.len = (uint32_t)n;
		memcpy(sl.path, s->files[i].path, n + 1);
		if (pwrite(mfd, &sl, sizeof sl, (off_t)(s->files[i].fd + 1) *
		    FDMIRROR_PAGE) != (ssize_t)sizeof sl)
			goto fail;
	}
	snprintf(num, sizeof num, "%d", mfd);
	setenv(FDMIRROR_ENV_NAMES, num, 1);
	return 0;
fail:
	hi = -errno;
	close(mfd);
	return hi;
}

int
cmd_session_restore(const struct iosess *s)
{
	const struct iosess_file *f;
	size_t i;
	int fd, r;

	for (i = 0; i < s->nfiles; i++) {
		f = &s->files[i];
		if (f->fd == rt.imgfd || f->fd == rt.statefd) {
			fprintf(stderr, "flac: session import: fd %d (%s) is "
			    "the number the session's image uses here\n",
			    f->fd, f->path);
			return -EBUSY;
		}
		fd = vfs_open(AT_FDCWD, f->path, (f->flags & SESS_FLAGS) |
		    O_CLOEXEC, 0);
		ws_reset();
		if (fd < 0) {
			fprintf(stderr, "flac: session import: cannot open %s "
			    "again (fd %d): %s\n", f->path, f->fd,
			    strerror(-fd));
			return fd;
		}
		if (lseek(fd, (off_t)f->offset, SEEK_SET) < 0 ||
		    (fd != f->fd && dup2(fd, f->fd) < 0)) {
			r = -errno;
			fprintf(stderr, "flac: session import: %s (fd %d) at "
			    "offset %llu: %s\n", f->path, f->fd,
			    (unsigned long long)f->offset, strerror(-r));
			close(fd);
			return r;
		}
		if (fd != f->fd)
			close(fd);
		else
			fcntl(fd, F_SETFD, 0);
	}
	if ((r = sess_hand_names(s)) < 0) {
		fprintf(stderr, "flac: session import: cannot hand the names of "
		    "the files to the program: %s\n", strerror(-r));
		return r;
	}
	if ((r = vfs_chdir(s->cwd)) < 0)
		fprintf(stderr, "flac: session import: warning: working "
		    "directory %s: %s; staying in %s\n", s->cwd, strerror(-r),
		    "the launcher's");
	else
		cwd_set(s->cwd);
	ws_reset();
	return 0;
}

/* A memfd holding the image's specification, for cmd_run to read. */
static int
sess_spec_memfd(const struct iosess *s, char *path, size_t sz)
{
	size_t off = 0;
	ssize_t k;
	int fd;

	if ((fd = memfd_create("flac-spec", MFD_CLOEXEC)) < 0)
		return -errno;
	while (off < s->srclen) {
		if ((k = write(fd, s->src + off, s->srclen - off)) < 0) {
			k = -errno;
			close(fd);
			return (int)k;
		}
		off += (size_t)k;
	}
	snprintf(path, sz, "/proc/self/fd/%d", fd);
	return fd;
}

static int
sess_import(int argc, char **argv)
{
	struct iosess s;
	const char *spec = NULL, *file;
	char why[512], specfd[64], **nargv = NULL, *buf = NULL;
	size_t len, i, k, nloc = 0;
	int a, r, status = EXIT_USAGE, mfd = -1;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "-f") == 0 && a + 1 < argc)
			spec = argv[++a];
		else if ((strcmp(argv[a], "--location") == 0 ||
		    strcmp(argv[a], "-l") == 0) && a + 1 < argc) {
			a++;
			nloc++;
		} else
			break;
	}
	if (a + 1 >= argc) {
		fprintf(stderr, "usage: flac session import [-f SPEC] "
		    "[--location NAME|ADDR]... FILE [--] CMD [ARG...]\n");
		return EXIT_USAGE;
	}
	file = argv[a++];
	if ((r = sess_slurp(file, SESS_MAXIMG, &buf, &len)) < 0) {
		fprintf(stderr, "flac: session import: cannot read %s: %s\n",
		    file, strerror(-r));
		return EXIT_USAGE;
	}
	r = iosess_decode(buf, len, &s, why, sizeof why);
	free(buf);
	if (r < 0) {
		fprintf(stderr, "flac: session import: %s: %s\n", file, why);
		return EXIT_USAGE;
	}
	if (spec == NULL) {
		if ((mfd = sess_spec_memfd(&s, specfd, sizeof specfd)) < 0) {
			fprintf(stderr, "flac: session import: memfd: %s\n",
			    strerror(-mfd));
			goto out;
		}
		spec = specfd;
		cmd_spec_path = specfd;
		cmd_spec_label = s.specname;
	}
	/* flac -f SPEC [--location X]... -- CMD ARGS */
	if ((nargv = calloc((size_t)argc + 2 * (s.nnames + s.naddrs) + 8,
	    sizeof *nargv)) == NULL)
		goto out;
	k = 0;
	nargv[k++] = argv[0];
	nargv[k++] = (char *)"-f";
	nargv[k++] = (char *)spec;
	for (i = 1; i < (size_t)a - 1; i++)
		if (strcmp(argv[i], "-f") == 0)
			i++;
		else
			nargv[k++] = argv[i];
	if (nloc == 0) {
		for (i = 0; i < s.nnames; i++) {
			nargv[k++] = (char *)"--location";
			nargv[k++] = s.names[i];
		}
		for (i = 0; i < s.naddrs; i++) {
			nargv[k++] = (char *)"--location";
			nargv[k++] = s.addrs[i];
		}
	}
	if (a < argc && strcmp(argv[a], "--") == 0)
		a++;
	nargv[k++] = (char *)"--";
	while (a < argc)
		nargv[k++] = argv[a++];
	nargv[k] = NULL;
	cmd_restore = &s;
	status = cmd_run((int)k, nargv);
	cmd_restore = NULL;
out:
	free(nargv);
	if (mfd >= 0)
		close(mfd);
	iosess_free(&s);
	return status;
}

static int
sess_show(int argc, char **argv)
{
	struct iosess s;
	char why[512], *buf;
	size_t len, i;
	int r, f;

	if (argc != 2) {
		fprintf(stderr, "usage: flac session show FILE\n");
		return EXIT_USAGE;
	}
	if ((r = sess_slurp(argv[1], SESS_MAXIMG, &buf, &len)) < 0) {
		fprintf(stderr, "flac: session show: cannot read %s: %s\n",
		    argv[1], strerror(-r));
		return EXIT_USAGE;
	}
	r = iosess_decode(buf, len, &s, why, sizeof why);
	free(buf);
	if (r < 0) {
		fprintf(stderr, "flac: session show: %s: %s\n", argv[1], why);
		return EXIT_USAGE;
	}
	printf("spec %s (%zu bytes)\n", s.specname, s.srclen);
	for (i = 0; i < s.nnames; i++)
		printf("location %s\n", s.names[i]);
	for (i = 0; i < s.naddrs; i++)
		printf("location %s\n", s.addrs[i]);
	printf("cwd %s\n", s.cwd);
	for (i = 0; i < s.nfiles; i++) {
		f = s.files[i].flags;
		printf("fd %d %s%s offset %llu %s\n", s.files[i].fd,
		    (f & O_ACCMODE) == O_RDONLY ? "read" :
		    (f & O_ACCMODE) == O_WRONLY ? "write" : "readwrite",
		    (f & O_APPEND) ? ",append" : "",
		    (unsigned long long)s.files[i].offset, s.files[i].path);
	}
	iosess_free(&s);
	return 0;
}

int
cmd_session(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return sess_export(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return sess_import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return sess_show(argc - 1, argv + 1);
	fprintf(stderr, "usage: flac session export PID FILE\n"
	    "       flac session show FILE\n"
	    "       flac session import [-f SPEC] [--location NAME|ADDR]... "
	    "FILE [--] CMD [ARG...]\n");
	return EXIT_USAGE;
}

/*
 * svc-sftp: the sftp(host=..., user=..., port=..., path=...) service in
 * flacd, over libssh against any SFTP server (OpenSSH's sftp-server).
 *
 * One SSH session per instance, made on first use and again after a
 * failure (at most one attempt every 250 ms), one request at a time (a
 * mutex: a libssh session is not shared between threads).  The user
 * authenticates with a key: $FLAC_SFTP_IDENTITY, else ~/.ssh/id_ed25519,
 * then ~/.ssh/id_rsa; the server's host key must be in
 * $FLAC_SFTP_KNOWN_HOSTS, else ~/.ssh/known_hosts (an unknown or changed
 * key is refused and logged, never accepted).  A service path is the
 * attribute path= joined with the path flacd asks for.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "common/log.h"
#include "flac/daemon/svc.h"

#define SF_HANDLES     256
#define SF_PATH_MAX    4096
#define SF_TIMEOUT_S   5

struct sf {
	char host[256], user[64], base[SF_PATH_MAX];
	unsigned port;
	ssh_session ssh;
	sftp_session sftp;
	sftp_file files[SF_HANDLES];
	uint64_t last_try_ms;
	pthread_mutex_t mu;
};

static pthread_once_t sf_once = PTHREAD_ONCE_INIT;

static void
sf_global_init(void)
{
	ssh_init();
}

static void
sf_drop(struct sf *c)
{
	int i;

	for (i = 0; i < SF_HANDLES; i++)
		if (c->files[i] != NULL) {
			sftp_close(c->files[i]);
			c->files[i] = NULL;
		}
	if (c->sftp != NULL)
		sftp_free(c->sftp);
	c->sftp = NULL;
	if (c->ssh != NULL) {
		ssh_disconnect(c->ssh);
		ssh_free(c->ssh);
	}
	c->ssh = NULL;
}

/* A file in ~, or the environment's choice. */
static void
sf_home_file(char *out, size_t sz, const char *env, const char *rel)
{
	const char *e = getenv(env), *home = getenv("HOME");

	if (e != NULL)
		snprintf(out, sz, "%s", e);
	else
		snprintf(out, sz, "%s/%s", home ? home : "/", rel);
}

static int
sf_auth(struct sf *c, struct svc *s)
{
	const char *env = getenv("FLAC_SFTP_IDENTITY");
	const char *const rel[] = { ".ssh/id_ed25519", ".ssh/id_rsa" };
	char path[1024];
	ssh_key key;
	size_t i;

	for (i = 0; i < (env != NULL ? 1 : 2); i++) {
		if (env != NULL)
			snprintf(path, sizeof path, "%s", env);
		else
			sf_home_file(path, sizeof path, "FLAC_SFTP_NONE", rel[i]);
		if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) !=
		    SSH_OK)
			continue;
		if (ssh_userauth_publickey(c->ssh, NULL, key) ==
		    SSH_AUTH_SUCCESS) {
			ssh_key_free(key);
			return 0;
		}
		ssh_key_free(key);
	}
	log_warn("%s: %s: the server did not accept our key (%s)", s->where,
	    s->text, env != NULL ? env : "~/.ssh/id_ed25519, ~/.ssh/id_rsa");
	return -EACCES;
}

static int
sf_connect(struct sf *c, struct svc *s)
{
	char kh[1024];
	long timeout = SF_TIMEOUT_S;
	unsigned utimeout;
	int r;

	c->last_try_ms = svc_now_ms();
	if ((c->ssh = ssh_new()) == NULL)
		return -ENOMEM;
	sf_home_file(kh, sizeof kh, "FLAC_SFTP_KNOWN_HOSTS", ".ssh/known_hosts");
	ssh_options_set(c->ssh, SSH_OPTIONS_HOST, c->host);
	ssh_options_set(c->ssh, SSH_OPTIONS_PORT, &c->port);
	ssh_options_set(c->ssh, SSH_OPTIONS_USER, c->user);
	ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS, kh);
	ssh_options_set(c->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	if (ssh_connect(c->ssh) != SSH_OK) {
		log_debug("%s: %s: %s", s->where, s->text,
		    ssh_get_error(c->ssh));
		sf_drop(c);
		return -EHOSTUNREACH;
	}
	/*
	 * libssh waits for an SFTP reply without a bound: on a link that
	 * died under a connected session (the laptop renumbered, the server
	 * gone) every call would hang until TCP gives up, minutes later.
	 * Unacknowledged data for SF_TIMEOUT_S ends the connection instead,
	 * and the call fails with ENOTCONN (FAIL) or goes on (IGNORE).
	 */
	utimeout = SF_TIMEOUT_S * 1000;
	if (setsockopt(ssh_get_fd(c->ssh), IPPROTO_TCP, TCP_USER_TIMEOUT,
	    &utimeout, sizeof utimeout) < 0)
		log_debug("%s: %s: TCP_USER_TIMEOUT: %s", s->where, s->text,
		    strerror(errno));
	r = ssh_session_is_known_server(c->ssh);
	if (r != SSH_KNOWN_HOSTS_OK) {
		log_warn("%s: %s: the server's host key is %s in %s: refused",
		    s->where, s->text, r == SSH_KNOWN_HOSTS_CHANGED ? "CHANGED" :
		    r == SSH_KNOWN_HOSTS_OTHER ? "of another type" : "unknown",
		    kh);
		sf_drop(c);
		return -EACCES;
	}
	if ((r = sf_auth(c, s)) < 0) {
		sf_drop(c);
		return r;
	}
	if ((c->sftp = sftp_new(c->ssh)) == NULL || sftp_init(c->sftp) !=
	    SSH_OK) {
		log_warn("%s: %s: no SFTP subsystem: %s", s->where, s->text,
		    ssh_get_error(c->ssh));
		sf_drop(c);
		return -EPROTO;
	}
	log_info("%s: %s: connected", s->where, s->text);
	return 0;
}

/* The session, connecting if needed (lock held). */
static int
sf_ready(struct svc *s)
{
	struct sf *c = s->priv;
	int r;

	if (c->sftp != NULL && ssh_is_connected(c->ssh))
		return 0;
	if (c->ssh != NULL)
		sf_drop(c);
	if (c->last_try_ms != 0 && svc_now_ms() - c->last_try_ms < 250)
		return -ENOTCONN;
	r = sf_connect(c, s);
	return r == -EACCES ? r : r < 0 ? -ENOTCONN : 0;
}

/* An SFTP status as an errno; a dead session is dropped (-ENOTCONN). */
static int
sf_err(struct svc *s)
{
	struct sf *c = s->priv;

	if (c->sftp == NULL || !ssh_is_connected(c->ssh)) {
		log_warn("%s: %s: connection lost", s->where, s->text);
		sf_drop(c);
		return -ENOTCONN;
	}
	switch (sftp_get_error(c->sftp)) {
	case SSH_FX_EOF:                return 0;
	case SSH_FX_NO_SUCH_FILE:       return -ENOENT;
	case SSH_FX_NO_SUCH_PATH:       return -ENOENT;
	case SSH_FX_PERMISSION_DENIED:  return -EACCES;
	case SSH_FX_FILE_ALREADY_EXISTS: return -EEXIST;
	case SSH_FX_WRITE_PROTECT:      return -EROFS;
	case SSH_FX_NO_MEDIA:           return -ENODEV;
	case SSH_FX_OP_UNSUPPORTED:     return -ENOTSUP;
	case SSH_FX_BAD_MESSAGE:        return -EBADMSG;
	case SSH_FX_CONNECTION_LOST:
	case SSH_FX_NO_CONNECTION:
		sf_drop(c);
		return -ENOTCONN;
	default:                        return -EIO;
	}
}

/* sf_err, or -EIO when the server said nothing more precise. */
static int
sf_fail(struct svc *s)
{
	int r = sf_err(s);

	return r != 0 ? r : -EIO;
}

static int
sf_path(struct svc *s, const char *path, char *out)
{
	struct sf *c = s->priv;
	int n = snprintf(out, SF_PATH_MAX, "%s/%s", c->base,
	    path[0] == '/' ? path + 1 : path);

	return n < 0 || n >= SF_PATH_MAX ? -ENAMETOOLONG : 0;
}

#define SF_LOCK(s) pthread_mutex_lock(&((struct sf *)(s)->priv)->mu)
#define SF_UNLOCK(s) pthread_mutex_unlock(&((struct sf *)(s)->priv)->mu)

/* ---- the ops ----------------------------------------------------------- */

static int
sf_start(struct svc *s)
{
	struct sf *c = calloc(1, sizeof *c);
	char port[16];
	const char *u = getenv("USER");

	pthread_once(&sf_once, sf_global_init);
	if (c == NULL)
		return -ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	s->priv = c;
	if (!svc_attr(s->text, "host", c->host, sizeof c->host))
		return -EINVAL;
	if (!svc_attr(s->text, "user", c->user, sizeof c->user))
		snprintf(c->user, sizeof c->user, "%s", u ? u : "root");
	c->port = 22;
	if (svc_attr(s->text, "port", port, sizeof port))
		c->port = (unsigned)strtoul(port, NULL, 10);
	if (!svc_attr(s->text, "path", c->base, sizeof c->base))
		c->base[0] = '\0';
	while (strlen(c->base) > 0 && c->base[strlen(c->base) - 1] == '/')
		c->base[strlen(c->base) - 1] = '\0';
	return 0;
}

static void
sf_stop(struct svc *s)
{
	struct sf *c = s->priv;

	if (c == NULL)
		return;
	sf_drop(c);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->priv = NULL;
}

static int
sf_isavailable(struct svc *s, const char *root)
{
	int r;

	(void)root;
	SF_LOCK(s);
	r = sf_ready(s);
	SF_UNLOCK(s);
	return r == 0 ? 1 : 0;
}

static int
sf_stat(struct svc *s, const char *path, struct stat *st)
{
	struct sf *c = s->priv;
	char p[SF_PATH_MAX];
	sftp_attributes a;
	int r;

	if ((r = sf_path(s, path, p)) < 0)
		return r;
	SF_LOCK(s);
	if ((r = sf_ready(s)) == 0) {
		if ((a = sftp_stat(c->sftp, p)) == NULL) {
			r = sf_fail(s);
		} else {
			memset(st, 0, sizeof *st);
			st->st_mode = a->permissions;
			if ((st->st_mode & S_IFMT) == 0)
				st->st_mode |= a->type == SSH_FILEXFER_TYPE_DIRECTORY ?
				    S_IFDIR : S_IFREG;
			st->st_size = (off_t)a->size;
			st->st_uid = a->uid;
			st->st_gid = a->gid;
			st->st_nlink = 1;
			st->st_atim.tv_sec = (time_t)a->atime;
			st->st_mtim.tv_sec = (time_t)a->mtime;
			st->st_ctim = st->st_mtim;
			sftp_attributes_free(a);
		}
	}
	SF_UNLOCK(s);
	return r;
}

static int
sf_open(struct svc *s, const char *path, int flags, mode_t mode)
{
	struct sf *c = s->priv;
	char p[SF_PATH_MAX];
	sftp_file f;
	int r, h;

	if ((r = sf_path(s, path, p)) < 0)
		return r;
	SF_LOCK(s);
	if ((r = sf_ready(s)) == 0) {
		for (h = 0; h < SF_HANDLES && c->files[h] != NULL; h++)
			;
		if (h == SF_HANDLES) {
			r = -EMFILE;
		} else if ((f = sftp_open(c->sftp, p, flags & (O_ACCMODE |
		    O_CREAT | O_EXCL | O_TRUNC | O_APPEND), mode)) == NULL) {
			r = sf_fail(s);
		} else {
			c->files[h] = f;
			r = h;
		}
	}
	SF_UNLOCK(s);
	return r;
}

static sftp_file
sf_file(struct svc *s, int h)
{
	struct sf *c = s->priv;

	return h >= 0 && h < SF_HANDLES ? c->files[h] : NULL;
}

/* One read or write at off (the handle's position is the server's). */
static ssize_t
sf_io(struct svc *s, int h, void *rbuf, const void *wbuf, size_t n,
    uint64_t off)
{
	size_t k = n > 65536 ? 65536 : n;
	sftp_file f;
	ssize_t r;

	SF_LOCK(s);
	if ((f = sf_file(s, h)) == NULL)
		r = -EBADF;
	else if (sftp_seek64(f, off) < 0)
		r = sf_fail(s);
	else if ((r = rbuf != NULL ? sftp_read(f, rbuf, k) :
	    sftp_write(f, wbuf, k)) < 0)
		r = sf_fail(s);
	SF_UNLOCK(s);
	return r;
}

static ssize_t
sf_pread(struct svc *s, int h, void *buf, size_t n, uint64_t off)
{
	return sf_io(s, h, buf, NULL, n, off);
}

static ssize_t
sf_pwrite(struct svc *s, int h, const void *buf, size_t n, uint64_t off)
{
	return sf_io(s, h, NULL, buf, n, off);
}

static int
sf_fsync(struct svc *s, int h)
{
	struct sf *c = s->priv;
	sftp_file f;
	int r = 0;

	SF_LOCK(s);
	if ((f = sf_file(s, h)) == NULL)
		r = -EBADF;
	else if (sftp_extension_supported(c->sftp, "fsync@openssh.com", "1") &&
	    sftp_fsync(f) < 0)
		r = sf_err(s);
	SF_UNLOCK(s);
	return r;
}

static int
sf_close(struct svc *s, int h)
{
	struct sf *c = s->priv;
	sftp_file f;
	int r = 0;

	SF_LOCK(s);
	if ((f = sf_file(s, h)) == NULL) {
		r = -EBADF;
	} else {
		c->files[h] = NULL;
		if (sftp_close(f) != SSH_NO_ERROR)
			r = c->sftp != NULL ? sf_err(s) : -EIO;
	}
	SF_UNLOCK(s);
	return r;
}

static int
sf_readdir(struct svc *s, const char *path, svc_dirent_fn fn, void *arg)
{
	struct sf *c = s->priv;
	char p[SF_PATH_MAX];
	sftp_attributes a;
	sftp_dir d;
	int r;

	if ((r = sf_path(s, path, p)) < 0)
		return r;
	SF_LOCK(s);
	if ((r = sf_ready(s)) == 0) {
		if ((d = sftp_opendir(c->sftp, p)) == NULL) {
			r = sf_fail(s);
		} else {
			while ((a = sftp_readdir(c->sftp, d)) != NULL) {
				int stop = 0;

				if (strcmp(a->name, ".") != 0 &&
				    strcmp(a->name, "..") != 0)
					stop = fn(arg, a->name);
				sftp_attributes_free(a);
				if (stop)
					break;
			}
			if (!sftp_dir_eof(d) && a == NULL)
				r = sf_err(s);
			sftp_closedir(d);
		}
	}
	SF_UNLOCK(s);
	return r;
}

/* mkdir, unlink, rmdir */
static int
sf_path_op(struct svc *s, int op, const char *path, mode_t mode)
{
	struct sf *c = s->priv;
	char p[SF_PATH_MAX];
	int r;

	if ((r = sf_path(s, path, p)) < 0)
		return r;
	SF_LOCK(s);
	if ((r = sf_ready(s)) == 0) {
		r = op == 0 ? sftp_mkdir(c->sftp, p, mode) :
		    op == 1 ? sftp_unlink(c->sftp, p) : sftp_rmdir(c->sftp, p);
		if (r < 0) {
			r = sf_fail(s);
		}
	}
	SF_UNLOCK(s);
	return r;
}

static int
sf_mkdir(struct svc *s, const char *path, mode_t mode)
{
	return sf_path_op(s, 0, path, mode);
}

static int
sf_unlink(struct svc *s, const char *path)
{
	return sf_path_op(s, 1, path, 0);
}

static int
sf_rmdir(struct svc *s, const char *path)
{
	return sf_path_op(s, 2, path, 0);
}

/*
 * SFTP version 3 (OpenSSH) refuses to rename onto an existing file; the
 * transfer renames a finished copy into place, so the old one goes first
 * (not atomic: a reader in between finds no file).
 */
static int
sf_rename(struct svc *s, const char *from, const char *to)
{
	struct sf *c = s->priv;
	char a[SF_PATH_MAX], b[SF_PATH_MAX];
	int r;

	if ((r = sf_path(s, from, a)) < 0 || (r = sf_path(s, to, b)) < 0)
		return r;
	SF_LOCK(s);
	if ((r = sf_ready(s)) == 0 && sftp_rename(c->sftp, a, b) < 0) {
		sftp_attributes t = sftp_lstat(c->sftp, b);

		if (t != NULL && t->type != SSH_FILEXFER_TYPE_DIRECTORY &&
		    sftp_unlink(c->sftp, b) == 0 &&
		    sftp_rename(c->sftp, a, b) == 0)
			r = 0;
		else
			r = sf_fail(s);
		if (t != NULL)
			sftp_attributes_free(t);
	}
	SF_UNLOCK(s);
	return r;
}

static int
sf_setattr(struct svc *s, const char *path, mode_t mode,
    const struct timespec times[2])
{
	struct sf *c = s->priv;
	char p[SF_PATH_MAX];
	int r;

	if ((r = sf_path(s, path, p)) < 0)
		return r;
	SF_LOCK(s);
	if ((r = sf_ready(s)) == 0) {
		if (mode != (mode_t)-1 && sftp_chmod(c->sftp, p, mode & 07777) < 0)
			r = sf_fail(s);
		if (r == 0 && times != NULL) {
			struct timeval tv[2] = {
				{ times[0].tv_sec, times[0].tv_nsec / 1000 },
				{ times[1].tv_sec, times[1].tv_nsec / 1000 },
			};

			if (sftp_utimes(c->sftp, p, tv) < 0)
				r = sf_fail(s);
		}
	}
	SF_UNLOCK(s);
	return r;
}

const struct svc_ops svc_sftp_ops = {
	.name = "sftp",
	.start = sf_start,
	.stop = sf_stop,
	.isavailable = sf_isavailable,
	.stat = sf_stat,
	.open = sf_open,
	.pread = sf_pread,
	.pwrite = sf_pwrite,
	.fsync = sf_fsync,
	.close = sf_close,
	.readdir = sf_readdir,
	.mkdir = sf_mkdir,
	.unlink = sf_unlink,
	.rmdir = sf_rmdir,
	.rename = sf_rename,
	.setattr = sf_setattr,
};

/*
 * svc-smb: the smb(share="\\host\share[\dir]", user=..., domain=...,
 * port=...) service in flacd, over libsmbclient (SMB2/3 against Samba or
 * Windows).
 *
 * One libsmbclient context per instance, one request at a time (a mutex:
 * a context is not shared between threads).  The context is made on first
 * use and made again after a failure of the link (at most one attempt
 * every 250 ms), so a push kept in flacd's journal reaches the server
 * soon after the link returns.  Credentials come from the file named by
 * $FLAC_SMB_CREDENTIALS, else ~/.config/evict/flac-smb.credentials:
 * lines "username = NAME", "password = SECRET", "domain = NAME" (the
 * file must not be readable by group or others); the attributes user=
 * and domain= of the specification take precedence over the file's.
 * Without a file the login is anonymous.  A service path is the share's
 * directory joined with the path flacd asks for.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libsmbclient.h>

#include "common/log.h"
#include "flac/daemon/svc.h"

#define SMB_HANDLES     256
#define SMB_URL_MAX     8192
#define SMB_TIMEOUT_MS  3000
#define SMB_RETRY_MS    250
#define SMB_IO_MAX      65536
#define SMB_DEAD_MAX    4

struct smb {
	char host[256], share[256], dir[1024];
	char user[128], domain[128], password[256];
	char credfile[1024];
	unsigned port;
	SMBCCTX *ctx;
	SMBCCTX *dead[SMB_DEAD_MAX];	/* contexts whose link died */
	int ndead;
	int up;				/* the last call reached the server */
	int refused_said;		/* the refusal is logged once */
	int have_cred;			/* credfile was read */
	SMBCFILE *files[SMB_HANDLES];
	uint64_t last_try_ms;
	pthread_mutex_t mu;
};

/*
 * libsmbclient keeps global state (its configuration, a per-process
 * talloc stack frame) that is not guarded unless the library is built
 * with its thread hooks: every call into it, whatever the instance, holds
 * this lock too (taken after the instance's).
 */
static pthread_mutex_t smb_lib_mu = PTHREAD_MUTEX_INITIALIZER;

/* \\host\share[\dir...] into its parts (the checker has seen its form). */
static int
smb_parse_share(struct smb *c, const char *v)
{
	const char *h, *e, *d;
	size_t i;

	if (v[0] != '\\' || v[1] != '\\')
		return -EINVAL;
	h = v + 2;
	if ((e = strchr(h, '\\')) == NULL || e == h ||
	    (size_t)(e - h) >= sizeof c->host)
		return -EINVAL;
	memcpy(c->host, h, (size_t)(e - h));
	c->host[e - h] = '\0';
	/* the host goes into the URL as it is: a name or an address */
	if (c->host[strspn(c->host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0')
		return -EINVAL;
	e++;
	d = strchr(e, '\\');
	i = d != NULL ? (size_t)(d - e) : strlen(e);
	if (i == 0 || i >= sizeof c->share)
		return -EINVAL;
	memcpy(c->share, e, i);
	c->share[i] = '\0';
	if (d == NULL)
		return 0;
	if (strlen(d) >= sizeof c->dir)
		return -EINVAL;
	for (i = 0; d[i] != '\0'; i++)
		c->dir[i] = d[i] == '\\' ? '/' : d[i];
	c->dir[i] = '\0';
	while (strlen(c->dir) > 0 && c->dir[strlen(c->dir) - 1] == '/')
		c->dir[strlen(c->dir) - 1] = '\0';
	return 0;
}

/* "key = value" with the spaces around both trimmed; 0 if not that. */
static int
smb_cred_line(char *line, char **key, char **val)
{
	char *eq = strchr(line, '='), *e;

	if (eq == NULL)
		return 0;
	*eq = '\0';
	for (*key = line; **key == ' ' || **key == '\t'; (*key)++)
		;
	for (e = eq; e > *key && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	for (*val = eq + 1; **val == ' ' || **val == '\t'; (*val)++)
		;
	e = *val + strlen(*val);
	while (e > *val && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
	    e[-1] == '\t'))
		*--e = '\0';
	return 1;
}

/* The credentials file; 0 (also when there is none) or -errno. */
static int
smb_load_credentials(struct smb *c, struct svc *s, int have_user,
    int have_domain)
{
	const char *env = getenv("FLAC_SMB_CREDENTIALS");
	const char *home = getenv("HOME");
	char line[512], *k, *v;
	struct stat st;
	FILE *f;
	int lineno = 0, r = 0;

	if (env != NULL)
		snprintf(c->credfile, sizeof c->credfile, "%s", env);
	else
		snprintf(c->credfile, sizeof c->credfile,
		    "%s/.config/evict/flac-smb.credentials", home ? home : "/");
	if ((f = fopen(c->credfile, "re")) == NULL) {
		if (errno == ENOENT && env == NULL)
			return 0;
		r = -errno;
		log_warn("%s: %s: credentials %s: %s", s->where, s->text,
		    c->credfile, strerror(-r));
		return r;
	}
	if (fstat(fileno(f), &st) < 0 || (st.st_mode & 077) != 0) {
		log_warn("%s: %s: credentials %s are readable by others "
		    "(chmod 600 it): not used", s->where, s->text, c->credfile);
		fclose(f);
		return -EPERM;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n' || line[0] == '\0')
			continue;
		if (!smb_cred_line(line, &k, &v)) {
			log_warn("%s: %s: %s:%d: expected 'key = value'",
			    s->where, s->text, c->credfile, lineno);
			r = -EINVAL;
		} else if (strcmp(k, "username") == 0 || strcmp(k, "user") == 0) {
			if (!have_user)
				snprintf(c->user, sizeof c->user, "%s", v);
		} else if (strcmp(k, "password") == 0) {
			snprintf(c->password, sizeof c->password, "%s", v);
		} else if (strcmp(k, "domain") == 0) {
			if (!have_domain)
				snprintf(c->domain, sizeof c->domain, "%s", v);
		} else {
			log_warn("%s: %s: %s:%d: unknown key '%.40s' (username, "
			    "password, domain)", s->where, s->text, c->credfile,
			    lineno, k);
			r = -EINVAL;
		}
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
	c->have_cred = r == 0;
	return r;
}

static void
smb_auth_fn(SMBCCTX *ctx, const char *srv, const char *shr, char *wg,
    int wglen, char *un, int unlen, char *pw, int pwlen)
{
	struct smb *c = smbc_getOptionUserData(ctx);

	(void)srv;
	(void)shr;
	if (c == NULL)
		return;
	if (c->domain[0] != '\0' && wglen > 0)
		snprintf(wg, (size_t)wglen, "%s", c->domain);
	if (unlen > 0)
		snprintf(un, (size_t)unlen, "%s", c->user);
	if (pwlen > 0)
		snprintf(pw, (size_t)pwlen, "%s", c->password);
}

/* Frees the contexts put aside when their link died (lock held). */
static void
smb_free_dead(struct smb *c)
{
	while (c->ndead > 0)
		smbc_free_context(c->dead[--c->ndead], 1);
}

/*
 * Forgets the context and its open files (lock held).  Freeing a context
 * says goodbye to the server (a tree disconnect per connection), which
 * waits out the whole timeout when the link is dead: such a context
 * (link_dead) is put aside and freed once a new one has connected, so
 * the call that found the link dead answers at once.
 */
static void
smb_drop(struct smb *c, int link_dead)
{
	int i;

	if (c->ctx == NULL)
		return;
	for (i = 0; i < SMB_HANDLES; i++)
		c->files[i] = NULL;
	if (link_dead && c->ndead < SMB_DEAD_MAX)
		c->dead[c->ndead++] = c->ctx;
	else
		smbc_free_context(c->ctx, 1);
	c->ctx = NULL;
	c->up = 0;
}

/*
 * smb://host/share/dir/path, every byte outside the unreserved set and
 * '/' percent-encoded (libsmbclient decodes them).
 */
static int
smb_url(struct svc *s, const char *path, char *out)
{
	struct smb *c = s->priv;
	static const char hex[] = "0123456789ABCDEF";
	char rel[SMB_URL_MAX];
	size_t k;
	int n;
	const unsigned char *p;

	n = snprintf(rel, sizeof rel, "%s/%s/%s", c->share, c->dir + (c->dir[0]
	    == '/'), path[0] == '/' ? path + 1 : path);
	if (n < 0 || (size_t)n >= sizeof rel)
		return -ENAMETOOLONG;
	n = snprintf(out, SMB_URL_MAX, "smb://%s/", c->host);
	if (n < 0 || n >= SMB_URL_MAX)
		return -ENAMETOOLONG;
	k = (size_t)n;
	for (p = (const unsigned char *)rel; *p != '\0'; p++) {
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			continue;
		if (k + 4 >= SMB_URL_MAX)
			return -ENAMETOOLONG;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	out[k] = '\0';
	return 0;
}

/* Whether errno e says the link or the server went away. */
static int
smb_is_link_error(int e)
{
	switch (e) {
	case ETIMEDOUT: case ECONNREFUSED: case ECONNRESET: case ECONNABORTED:
	case EHOSTUNREACH: case EHOSTDOWN: case ENETUNREACH: case ENETDOWN:
	case ENETRESET: case ENOTCONN: case EPIPE: case EIO: case EAGAIN:
	case ENOTSOCK: case EBADF:
		return 1;
	default:
		return 0;
	}
}

/*
 * The errno of a failed libsmbclient call (lock held): a lost link drops
 * the context and answers -ENOTCONN; the rest is the server's answer.
 */
static int
smb_err(struct svc *s, int e)
{
	struct smb *c = s->priv;

	if (e == 0)
		return -EIO;
	if (smb_is_link_error(e)) {
		if (c->up)
			log_warn("%s: %s: connection lost (%s)", s->where,
			    s->text, strerror(e));
		smb_drop(c, 1);
		c->last_try_ms = svc_now_ms();
		return -ENOTCONN;
	}
	return -e;
}

static void
smb_log_refusal(const struct smb *c, const struct svc *s, int e)
{
	log_warn("%s: %s: the server refused user '%s'%s%s (%s%s): %s; "
	    "check the credentials", s->where, s->text,
	    c->user[0] != '\0' ? c->user : "(anonymous)",
	    c->domain[0] != '\0' ? " in " : "", c->domain,
	    c->have_cred ? "credentials from " : "no credentials file ",
	    c->credfile, strerror(e));
}

static int
smb_connect(struct smb *c, struct svc *s)
{
	char url[SMB_URL_MAX];
	struct stat st;
	SMBCCTX *ctx;
	int r, e;

	c->last_try_ms = svc_now_ms();
	if ((ctx = smbc_new_context()) == NULL)
		return -ENOMEM;
	smbc_setDebug(ctx, 0);
	smbc_setOptionUserData(ctx, c);
	smbc_setFunctionAuthDataWithContext(ctx, smb_auth_fn);
	smbc_setTimeout(ctx, SMB_TIMEOUT_MS);
	smbc_setPort(ctx, (uint16_t)c->port);
	smbc_setOptionUseKerberos(ctx, 0);
	smbc_setOptionFallbackAfterKerberos(ctx, 1);
	smbc_setOptionNoAutoAnonymousLogin(ctx, c->user[0] != '\0');
	if (smbc_init_context(ctx) == NULL) {
		e = errno;
		smbc_free_context(ctx, 1);
		log_warn("%s: %s: libsmbclient does not start: %s", s->where,
		    s->text, strerror(e));
		return -EIO;
	}
	c->ctx = ctx;
	if ((r = smb_url(s, "/", url)) < 0)
		return r;
	if (smbc_getFunctionStat(ctx)(ctx, url, &st) < 0) {
		e = errno;
		if (e == EACCES || e == EPERM) {
			if (!c->refused_said)
				smb_log_refusal(c, s, e);
			c->refused_said = 1;
			smb_drop(c, 0);
			return -EACCES;
		}
		log_debug("%s: %s: %s", s->where, s->text, strerror(e));
		smb_drop(c, 0);
		return smb_is_link_error(e) ? -ENOTCONN : -e;
	}
	c->up = 1;
	c->refused_said = 0;
	smb_free_dead(c);
	log_info("%s: %s: connected as '%s'", s->where, s->text,
	    c->user[0] != '\0' ? c->user : "(anonymous)");
	return 0;
}

/* The context, connecting if needed (lock held). */
static int
smb_ready(struct svc *s)
{
	struct smb *c = s->priv;
	int r;

	if (c->ctx != NULL)
		return 0;
	if (c->host[0] == '\0')	/* the share did not parse */
		return -EINVAL;
	if (c->last_try_ms != 0 && svc_now_ms() - c->last_try_ms < SMB_RETRY_MS)
		return -ENOTCONN;
	r = smb_connect(c, s);
	return r == -EACCES || r == -ENOENT ? r : r < 0 ? -ENOTCONN : 0;
}

static void
smb_lock(struct svc *s)
{
	struct smb *c = s->priv;

	pthread_mutex_lock(&c->mu);
	pthread_mutex_lock(&smb_lib_mu);
}

static void
smb_unlock(struct svc *s)
{
	struct smb *c = s->priv;

	pthread_mutex_unlock(&smb_lib_mu);
	pthread_mutex_unlock(&c->mu);
}

/* ---- the ops ----------------------------------------------------------- */

static int
smb_start(struct svc *s)
{
	struct smb *c = calloc(1, sizeof *c);
	char v[1024];
	int have_user, have_domain, r;

	if (c == NULL)
		return -ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	s->priv = c;
	if (!svc_attr(s->text, "share", v, sizeof v) ||
	    smb_parse_share(c, v) < 0) {
		c->host[0] = '\0';
		log_warn("%s: %s: a share looks like \"\\\\host\\share\" "
		    "(host: a name or an IPv4 address): the service is "
		    "unavailable", s->where, s->text);
		return -EINVAL;
	}
	have_user = svc_attr(s->text, "user", c->user, sizeof c->user);
	have_domain = svc_attr(s->text, "domain", c->domain, sizeof c->domain);
	c->port = 445;
	if (svc_attr(s->text, "port", v, sizeof v))
		c->port = (unsigned)strtoul(v, NULL, 10);
	if ((r = smb_load_credentials(c, s, have_user, have_domain)) < 0)
		log_warn("%s: %s: the credentials in %s are not used; the "
		    "login is anonymous", s->where, s->text, c->credfile);
	if (r < 0) {
		explicit_bzero(c->password, sizeof c->password);
		if (!have_user)
			c->user[0] = '\0';
	}
	return 0;
}

static void
smb_stop(struct svc *s)
{
	struct smb *c = s->priv;

	if (c == NULL)
		return;
	smb_lock(s);
	smb_drop(c, 0);
	if (c->ndead > 0)
		log_debug("%s: %s: %d context(s) of a dead link left unfreed",
		    s->where, s->text, c->ndead);
	smb_unlock(s);
	explicit_bzero(c->password, sizeof c->password);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->priv = NULL;
}

static int
smb_isavailable(struct svc *s, const char *root)
{
	int r;

	(void)root;
	smb_lock(s);
	r = smb_ready(s);
	smb_unlock(s);
	return r == 0 ? 1 : r == -EINVAL ? r : 0;
}

static int
smb_stat(struct svc *s, const char *path, struct stat *st)
{
	struct smb *c = s->priv;
	char u[SMB_URL_MAX];
	int r;

	if ((r = smb_url(s, path, u)) < 0)
		return r;
	smb_lock(s);
	if ((r = smb_ready(s)) == 0 &&
	    smbc_getFunctionStat(c->ctx)(c->ctx, u, st) < 0)
		r = smb_err(s, errno);
	smb_unlock(s);
	return r;
}

static int
smb_open(struct svc *s, const char *path, int flags, mode_t mode)
{
	struct smb *c = s->priv;
	char u[SMB_URL_MAX];
	SMBCFILE *f;
	int r, h;

	if ((r = smb_url(s, path, u)) < 0)
		return r;
	smb_lock(s);
	if ((r = smb_ready(s)) == 0) {
		for (h = 0; h < SMB_HANDLES && c->files[h] != NULL; h++)
			;
		if (h == SMB_HANDLES) {
			r = -EMFILE;
		} else if ((f = smbc_getFunctionOpen(c->ctx)(c->ctx, u,
		    flags & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND),
		    mode)) == NULL) {
			r = smb_err(s, errno);
		} else {
			c->files[h] = f;
			r = h;
		}
	}
	smb_unlock(s);
	return r;
}

static SMBCFILE *
smb_file(struct svc *s, int h)
{
	struct smb *c = s->priv;

	return c->ctx != NULL && h >= 0 && h < SMB_HANDLES ? c->files[h] : NULL;
}

/* One read or write at off: lseek, then the transfer. */
static ssize_t
smb_io(struct svc *s, int h, void *rbuf, const void *wbuf, size_t n,
    uint64_t off)
{
	struct smb *c = s->priv;
	size_t k = n > SMB_IO_MAX ? SMB_IO_MAX : n;
	SMBCFILE *f;
	ssize_t r;

	smb_lock(s);
	if ((f = smb_file(s, h)) == NULL)
		r = c->ctx == NULL ? -ENOTCONN : -EBADF;
	else if (smbc_getFunctionLseek(c->ctx)(c->ctx, f, (off_t)off,
	    SEEK_SET) < 0)
		r = smb_err(s, errno);
	else if ((r = rbuf != NULL ?
	    smbc_getFunctionRead(c->ctx)(c->ctx, f, rbuf, k) :
	    smbc_getFunctionWrite(c->ctx)(c->ctx, f, wbuf, k)) < 0)
		r = smb_err(s, errno);
	smb_unlock(s);
	return r;
}

static ssize_t
smb_pread(struct svc *s, int h, void *buf, size_t n, uint64_t off)
{
	return smb_io(s, h, buf, NULL, n, off);
}

static ssize_t
smb_pwrite(struct svc *s, int h, const void *buf, size_t n, uint64_t off)
{
	return smb_io(s, h, NULL, buf, n, off);
}

/* libsmbclient has no flush call: a write is on the server once answered
 * (the close that follows makes the server keep it). */
static int
smb_fsync(struct svc *s, int h)
{
	struct smb *c = s->priv;
	int r;

	smb_lock(s);
	r = smb_file(s, h) != NULL ? 0 : c->ctx == NULL ? -ENOTCONN : -EBADF;
	smb_unlock(s);
	return r;
}

static int
smb_close(struct svc *s, int h)
{
	struct smb *c = s->priv;
	SMBCFILE *f;
	int r = 0;

	smb_lock(s);
	if ((f = smb_file(s, h)) == NULL) {
		r = c->ctx == NULL ? -ENOTCONN : -EBADF;
	} else {
		c->files[h] = NULL;
		if (smbc_getFunctionClose(c->ctx)(c->ctx, f) < 0)
			r = smb_err(s, errno);
	}
	smb_unlock(s);
	return r;
}

static int
smb_readdir(struct svc *s, const char *path, svc_dirent_fn fn, void *arg)
{
	struct smb *c = s->priv;
	char u[SMB_URL_MAX];
	struct smbc_dirent *de;
	SMBCFILE *d;
	int r, e;

	if ((r = smb_url(s, path, u)) < 0)
		return r;
	smb_lock(s);
	if ((r = smb_ready(s)) == 0) {
		if ((d = smbc_getFunctionOpendir(c->ctx)(c->ctx, u)) == NULL) {
			r = smb_err(s, errno);
		} else {
			errno = 0;
			while ((de = smbc_getFunctionReaddir(c->ctx)(c->ctx,
			    d)) != NULL) {
				if ((de->smbc_type == SMBC_DIR ||
				    de->smbc_type == SMBC_FILE ||
				    de->smbc_type == SMBC_LINK) &&
				    strcmp(de->name, ".") != 0 &&
				    strcmp(de->name, "..") != 0 &&
				    fn(arg, de->name))
					break;
				errno = 0;
			}
			e = de == NULL ? errno : 0;
			smbc_getFunctionClosedir(c->ctx)(c->ctx, d);
			if (e != 0)
				r = smb_err(s, e);
		}
	}
	smb_unlock(s);
	return r;
}

/* mkdir, unlink, rmdir */
static int
smb_path_op(struct svc *s, int op, const char *path, mode_t mode)
{
	struct smb *c = s->priv;
	char u[SMB_URL_MAX];
	int r;

	if ((r = smb_url(s, path, u)) < 0)
		return r;
	smb_lock(s);
	if ((r = smb_ready(s)) == 0) {
		r = op == 0 ? smbc_getFunctionMkdir(c->ctx)(c->ctx, u, mode) :
		    op == 1 ? smbc_getFunctionUnlink(c->ctx)(c->ctx, u) :
		    smbc_getFunctionRmdir(c->ctx)(c->ctx, u);
		if (r < 0)
			r = smb_err(s, errno);
	}
	smb_unlock(s);
	return r;
}

static int
smb_mkdir(struct svc *s, const char *path, mode_t mode)
{
	return smb_path_op(s, 0, path, mode);
}

static int
smb_unlink(struct svc *s, const char *path)
{
	return smb_path_op(s, 1, path, 0);
}

static int
smb_rmdir(struct svc *s, const char *path)
{
	return smb_path_op(s, 2, path, 0);
}

/*
 * The transfer renames a finished copy into place: a file already there
 * is replaced (a server that refuses to rename onto it loses it first, so
 * a reader in between finds no file).
 */
static int
smb_rename(struct svc *s, const char *from, const char *to)
{
	struct smb *c = s->priv;
	char a[SMB_URL_MAX], b[SMB_URL_MAX];
	struct stat st;
	int r, e;

	if ((r = smb_url(s, from, a)) < 0 || (r = smb_url(s, to, b)) < 0)
		return r;
	smb_lock(s);
	if ((r = smb_ready(s)) == 0 &&
	    smbc_getFunctionRename(c->ctx)(c->ctx, a, c->ctx, b) < 0) {
		e = errno;
		if (e == EEXIST &&
		    smbc_getFunctionStat(c->ctx)(c->ctx, b, &st) == 0 &&
		    !S_ISDIR(st.st_mode) &&
		    smbc_getFunctionUnlink(c->ctx)(c->ctx, b) == 0 &&
		    smbc_getFunctionRename(c->ctx)(c->ctx, a, c->ctx, b) == 0)
			r = 0;
		else
			r = smb_err(s, e == EEXIST ? errno : e);
	}
	smb_unlock(s);
	return r;
}

/* The mode as far as SMB keeps it (the DOS read-only bit), then times. */
static int
smb_setattr(struct svc *s, const char *path, mode_t mode,
    const struct timespec times[2])
{
	struct smb *c = s->priv;
	char u[SMB_URL_MAX];
	int r, e;

	if ((r = smb_url(s, path, u)) < 0)
		return r;
	smb_lock(s);
	if ((r = smb_ready(s)) == 0 && mode != (mode_t)-1 &&
	    smbc_getFunctionChmod(c->ctx)(c->ctx, u, mode & 07777) < 0) {
		e = errno;
		if (e != ENOTSUP && e != EINVAL && e != EPERM)
			r = smb_err(s, e);
	}
	if (r == 0 && c->ctx != NULL && times != NULL) {
		struct timeval tv[2] = {
			{ times[0].tv_sec, times[0].tv_nsec / 1000 },
			{ times[1].tv_sec, times[1].tv_nsec / 1000 },
		};

		if (smbc_getFunctionUtimes(c->ctx)(c->ctx, u, tv) < 0)
			r = smb_err(s, errno);
	}
	smb_unlock(s);
	return r;
}

const struct svc_ops svc_smb_ops = {
	.name = "smb",
	.start = smb_start,
	.stop = smb_stop,
	.isavailable = smb_isavailable,
	.stat = smb_stat,
	.open = smb_open,
	.pread = smb_pread,
	.pwrite = smb_pwrite,
	.fsync = smb_fsync,
	.close = smb_close,
	.readdir = smb_readdir,
	.mkdir = smb_mkdir,
	.unlink = smb_unlink,
	.rmdir = smb_rmdir,
	.rename = smb_rename,
	.setattr = smb_setattr,
};

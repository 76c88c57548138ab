/* svc: service instances, and the table for a type that is not built. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "flac/daemon/svc.h"
#include "flac/lang/ast.h"

const struct svc_ops *
svc_ops_for(int type)
{
	switch (type) {
	case FLAC_SVC_LOCAL:
		return &svc_local_ops;
	case FLAC_SVC_RPC:
		return &svc_rpc_ops;
	case FLAC_SVC_SFTP:
		return &svc_sftp_ops;
	case FLAC_SVC_SMB:
		return &svc_smb_ops;
	default:
		return &svc_absent_ops;
	}
}

int
svc_start(struct svc *s, uint32_t id, int type, const char *text,
    const char *where)
{
	memset(s, 0, sizeof *s);
	s->id = id;
	s->type = type;
	s->ops = svc_ops_for(type);
	s->text = strdup(text);
	s->where = strdup(where);
	if (s->text == NULL || s->where == NULL)
		return -ENOMEM;
	return s->ops->start(s);
}

int
svc_attr(const char *text, const char *name, char *out, size_t sz)
{
	size_t n = strlen(name), k = 0;
	const char *p = text;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '(' || p[-1] == ' ') && p[n] == '=')
			break;
		p += n;
	}
	if (p == NULL || sz == 0)
		return 0;
	p += n + 1;
	if (*p == '"') {
		/* quoted values hold no '"'; a backslash is a backslash
		 * (smb's "\\host\share") */
		for (p++; *p != '\0' && *p != '"' && k + 1 < sz; p++)
			out[k++] = *p;
	} else {
		while (*p != '\0' && *p != ',' && *p != ')' && k + 1 < sz)
			out[k++] = *p++;
	}
	out[k] = '\0';
	return 1;
}

uint64_t
svc_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void
svc_stop(struct svc *s)
{
	if (s->ops != NULL)
		s->ops->stop(s);
	free(s->text);
	free(s->where);
	memset(s, 0, sizeof *s);
}

/* ---- a type that is not built: every call answers EREMOTE -------------- */

static int
absent_start(struct svc *s)
{
	log_warn("%s: %s: the %s service is not built in this version of "
	    "flacd; what it serves answers EREMOTE", s->where, s->text,
	    s->type >= 0 && s->type < FLAC_SVC__COUNT ?
	    flac_svc_names[s->type] : "?");
	return 0;
}

static void
absent_stop(struct svc *s)
{
	(void)s;
}

static int
absent_isavailable(struct svc *s, const char *root)
{
	(void)s;
	(void)root;
	return -EREMOTE;
}

static int
absent_path(struct svc *s, const char *path)
{
	log_debug("%s: %s: %s: EREMOTE (not built)", s->where, s->text,
	    path);
	return -EREMOTE;
}

static int
absent_stat(struct svc *s, const char *path, struct stat *st)
{
	(void)st;
	return absent_path(s, path);
}

static int
absent_open(struct svc *s, const char *path, int flags, mode_t mode)
{
	(void)flags;
	(void)mode;
	return absent_path(s, path);
}

static ssize_t
absent_pread(struct svc *s, int h, void *buf, size_t n, uint64_t off)
{
	(void)s;
	(void)h;
	(void)buf;
	(void)n;
	(void)off;
	return -EREMOTE;
}

static ssize_t
absent_pwrite(struct svc *s, int h, const void *buf, size_t n, uint64_t off)
{
	(void)s;
	(void)h;
	(void)buf;
	(void)n;
	(void)off;
	return -EREMOTE;
}

static int
absent_handle(struct svc *s, int h)
{
	(void)s;
	(void)h;
	return -EREMOTE;
}

static int
absent_readdir(struct svc *s, const char *path, svc_dirent_fn fn, void *arg)
{
	(void)fn;
	(void)arg;
	return absent_path(s, path);
}

static int
absent_mkdir(struct svc *s, const char *path, mode_t mode)
{
	(void)mode;
	return absent_path(s, path);
}

static int
absent_rename(struct svc *s, const char *from, const char *to)
{
	(void)to;
	return absent_path(s, from);
}

static int
absent_setattr(struct svc *s, const char *path, mode_t mode,
    const struct timespec times[2])
{
	(void)mode;
	(void)times;
	return absent_path(s, path);
}

const struct svc_ops svc_absent_ops = {
	.name = "absent",
	.start = absent_start,
	.stop = absent_stop,
	.isavailable = absent_isavailable,
	.stat = absent_stat,
	.open = absent_open,
	.pread = absent_pread,
	.pwrite = absent_pwrite,
	.fsync = absent_handle,
	.close = absent_handle,
	.readdir = absent_readdir,
	.mkdir = absent_mkdir,
	.unlink = absent_path,
	.rmdir = absent_path,
	.rename = absent_rename,
	.setattr = absent_setattr,
};

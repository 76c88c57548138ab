/* The flacd protocol's codec: see proto.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/wbuf.h"
#include "flac/daemon/proto.h"

int
flacd_enc_hello(struct wbuf *b)
{
	return wbuf_put_hello(b, FLACD_MAGIC, FLACD_PROTO_VERSION, 0);
}

int
flacd_dec_hello(struct wbuf *b)
{
	uint16_t version, flags;
	int r;

	if ((r = wbuf_get_hello(b, FLACD_MAGIC, &version, &flags)) < 0)
		return r;
	if (version != FLACD_PROTO_VERSION)
		return -EPROTO;
	return wbuf_avail(b) == 0 ? 0 : -EBADMSG;
}

static int
flacd_put_strs(struct wbuf *b, char *const *v, size_t n)
{
	size_t i;
	int r;

	if ((r = wbuf_put_u32(b, (uint32_t)n)) < 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = wbuf_put_str(b, v[i])) < 0)
			return r;
	return 0;
}

int
flacd_enc_load(struct wbuf *b, const char *specname, const char *src,
    size_t srclen, char *const *names, size_t nnames, char *const *addrs,
    size_t naddrs)
{
	int r;

	if (nnames > 16 || naddrs > 16)
		return -E2BIG;
	if ((r = wbuf_put_str(b, specname)) < 0 ||
	    (r = wbuf_put_blob(b, src, srclen)) < 0 ||
	    (r = flacd_put_strs(b, names, nnames)) < 0)
		return r;
	return flacd_put_strs(b, addrs, naddrs);
}

int
flacd_enc_xfer(struct wbuf *b, uint32_t session, int mod, uint32_t psvc,
    const char *ppath, uint32_t ssvc, const char *spath, const char *vpath)
{
	int r;

	if ((r = wbuf_put_u32(b, session)) < 0 ||
	    (r = wbuf_put_u8(b, (uint8_t)mod)) < 0 ||
	    (r = wbuf_put_u32(b, psvc)) < 0 ||
	    (r = wbuf_put_str(b, ppath)) < 0 ||
	    (r = wbuf_put_u32(b, ssvc)) < 0 ||
	    (r = wbuf_put_str(b, spath)) < 0)
		return r;
	return wbuf_put_str(b, vpath);
}

int
flacd_enc_result(struct wbuf *b, int32_t v)
{
	return wbuf_put_u32(b, (uint32_t)v);
}

int
flacd_dec_result(struct wbuf *b, int32_t *v)
{
	uint32_t u;
	int r;

	if ((r = wbuf_get_u32(b, &u)) < 0)
		return r;
	*v = (int32_t)u;
	return wbuf_avail(b) == 0 ? 0 : -EBADMSG;
}

/* An absolute path. */
static int
flacd_get_path(struct wbuf *b, char *out, size_t sz)
{
	int r;

	if ((r = wbuf_get_str(b, out, sz)) < 0)
		return r == -EMSGSIZE ? -EBADMSG : r;
	return out[0] == '/' ? 0 : -EBADMSG;
}

static int
flacd_get_strs(struct wbuf *b, uint32_t *n, char *v, size_t each,
    size_t max)
{
	uint32_t i;
	int r;

	if ((r = wbuf_get_u32(b, n)) < 0)
		return r;
	if (*n > max)
		return -EBADMSG;
	for (i = 0; i < *n; i++)
		if ((r = wbuf_get_str(b, v + i * each, each)) < 0)
			return -EBADMSG;
	return 0;
}

int
flacd_req_decode(uint16_t type, struct wbuf *b, struct flacd_req *r)
{
	const uint8_t *p;
	int e;

	r->type = type;
	switch (type) {
	case FLACD_PULL:
	case FLACD_PUSH:
		if ((e = wbuf_get_u32(b, &r->session)) < 0 ||
		    (e = wbuf_get_u8(b, &r->mod)) < 0 ||
		    (e = wbuf_get_u32(b, &r->psvc)) < 0 ||
		    (e = flacd_get_path(b, r->ppath, sizeof r->ppath)) < 0 ||
		    (e = wbuf_get_u32(b, &r->ssvc)) < 0 ||
		    (e = flacd_get_path(b, r->spath, sizeof r->spath)) < 0 ||
		    (e = flacd_get_path(b, r->vpath, sizeof r->vpath)) < 0)
			return -EBADMSG;
		if (r->mod > 3)		/* NONE, FAIL, BLOCK, IGNORE */
			return -EBADMSG;
		break;
	case FLACD_LOAD:
		if ((e = wbuf_get_str(b, r->specname, sizeof r->specname)) <
		    0 || (e = wbuf_get_blob(b, &p, &r->srclen, 1u << 20)) < 0)
			return -EBADMSG;
		r->src = (const char *)p;
		if ((e = flacd_get_strs(b, &r->nnames, &r->names[0][0],
		    sizeof r->names[0], 16)) < 0 ||
		    (e = flacd_get_strs(b, &r->naddrs, &r->addrs[0][0],
		    sizeof r->addrs[0], 16)) < 0)
			return -EBADMSG;
		break;
	case FLACD_LIST:
	case FLACD_FLUSH:
		break;
	default:
		return -EPROTO;
	}
	return wbuf_avail(b) == 0 ? 0 : -EBADMSG;
}

/* dir is a directory of ours, not writable by anyone else. */
static int
flacd_dir_ok(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0)
		return -EPERM;
	return 0;
}

int
flacd_sock_path(char *out, size_t sz, int make_dir)
{
	const char *s;
	char dir[128];
	int r;

	if ((s = getenv("FLACD_SOCKET")) != NULL && s[0] == '/') {
		if (snprintf(out, sz, "%s", s) >= (int)sz)
			return -ENAMETOOLONG;
		return 0;
	}
	if ((s = getenv("XDG_RUNTIME_DIR")) != NULL && s[0] == '/' &&
	    flacd_dir_ok(s) == 0) {
		if (snprintf(out, sz, "%s/flacd.sock", s) >= (int)sz)
			return -ENAMETOOLONG;
		return 0;
	}
	snprintf(dir, sizeof dir, "/tmp/flacd-%u", (unsigned)geteuid());
	if (make_dir && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (make_dir && (r = flacd_dir_ok(dir)) < 0)
		return r;
	if (snprintf(out, sz, "%s/flacd.sock", dir) >= (int)sz)
		return -ENAMETOOLONG;
	return 0;
}

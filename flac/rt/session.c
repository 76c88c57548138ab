/* session: see session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"
#include "flac/lang/ast.h"
#include "flac/rt/session.h"

#define SESSION_MAX_NAMES	256
#define SESSION_MAX_STR		4096

int
session_image_build(const struct flac_ns *ns, const char *specname,
    const char *src, size_t srclen, char *const *names, size_t nnames,
    char *const *addrs, size_t naddrs, void **out, size_t *outlen)
{
	struct wbuf b;
	uint8_t *slot, *p;
	size_t i, mark, off;
	int r;

	*out = NULL;
	*outlen = 0;
	if (nnames > SESSION_MAX_NAMES || naddrs > SESSION_MAX_NAMES)
		return -E2BIG;
	wbuf_init(&b, (size_t)ns->size + srclen + (1u << 20));
	if ((r = wbuf_put_hello(&b, SESSION_MAGIC, SESSION_VERSION, 0)) < 0)
		goto fail;
	mark = b.len;
	if ((r = wbuf_put_u32(&b, 0)) < 0 || (r = wbuf_put_u32(&b,
	    ns->size)) < 0 || (r = wbuf_put_str(&b, specname)) < 0 ||
	    (r = wbuf_put_blob(&b, src, srclen)) < 0 ||
	    (r = wbuf_put_u32(&b, (uint32_t)nnames)) < 0)
		goto fail;
	for (i = 0; i < nnames; i++)
		if ((r = wbuf_put_str(&b, names[i])) < 0)
			goto fail;
	if ((r = wbuf_put_u32(&b, (uint32_t)naddrs)) < 0)
		goto fail;
	for (i = 0; i < naddrs; i++)
		if ((r = wbuf_put_str(&b, addrs[i])) < 0)
			goto fail;
	off = (b.len + 7) & ~(size_t)7;
	if ((r = wbuf_reserve(&b, off - b.len + ns->size, &slot)) < 0)
		goto fail;
	memset(slot, 0, off - (size_t)(slot - b.data));
	memcpy(b.data + off, ns, ns->size);
	b.len = off + ns->size;
	p = b.data + mark;		/* the block offset, big-endian */
	p[0] = (uint8_t)(off >> 24);
	p[1] = (uint8_t)(off >> 16);
	p[2] = (uint8_t)(off >> 8);
	p[3] = (uint8_t)off;
	*out = b.data;
	*outlen = b.len;
	return 0;
fail:
	wbuf_free(&b);
	return r;
}

static int
session_get_strs(struct wbuf *b, char ***out, size_t *n)
{
	const uint8_t *p;
	uint32_t cnt, i;
	size_t len;
	char **v;
	int r;

	if ((r = wbuf_get_u32(b, &cnt)) < 0)
		return r;
	if (cnt > SESSION_MAX_NAMES)
		return -EBADMSG;
	if ((v = calloc(cnt + 1, sizeof *v)) == NULL)
		return -ENOMEM;
	*out = v;
	*n = 0;
	for (i = 0; i < cnt; i++) {
		if ((r = wbuf_get_blob(b, &p, &len, SESSION_MAX_STR)) < 0)
			return r == -EMSGSIZE ? -EBADMSG : r;
		if (memchr(p, '\0', len) != NULL)
			return -EBADMSG;
		if ((v[i] = strndup((const char *)p, len)) == NULL)
			return -ENOMEM;
		*n = i + 1;
	}
	return 0;
}

int
session_image_parse(const void *p, size_t len, struct session_image *img)
{
	const uint8_t *blob;
	struct wbuf b;
	uint32_t off, nslen;
	uint16_t ver, flags;
	size_t n;
	int r;

	memset(img, 0, sizeof *img);
	wbuf_view(&b, p, len);
	if ((r = wbuf_get_hello(&b, SESSION_MAGIC, &ver, &flags)) < 0 ||
	    ver != SESSION_VERSION)
		return -EBADMSG;
	if ((r = wbuf_get_u32(&b, &off)) < 0 ||
	    (r = wbuf_get_u32(&b, &nslen)) < 0)
		return -EBADMSG;
	if ((r = wbuf_get_blob(&b, &blob, &n, SESSION_MAX_STR)) < 0 ||
	    memchr(blob, '\0', n) != NULL)
		return -EBADMSG;
	if ((img->specname = strndup((const char *)blob, n)) == NULL)
		return -ENOMEM;
	if ((r = wbuf_get_blob(&b, &blob, &n, FLAC_MAX_SOURCE)) < 0) {
		r = -EBADMSG;
		goto fail;
	}
	img->src = (const char *)blob;
	img->srclen = n;
	if ((r = session_get_strs(&b, &img->names, &img->nnames)) < 0 ||
	    (r = session_get_strs(&b, &img->addrs, &img->naddrs)) < 0)
		goto fail;
	r = -EBADMSG;
	if (off % 8 != 0 || off < b.off || off > len || nslen > len - off ||
	    flac_ns_validate((const char *)p + off, nslen) != 0)
		goto fail;
	img->ns = (const struct flac_ns *)(const void *)((const char *)p +
	    off);
	img->nslen = nslen;
	return 0;
fail:
	session_image_free(img);
	return r;
}

static void
session_strs_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
session_image_free(struct session_image *img)
{
	free(img->specname);
	session_strs_free(img->names, img->nnames);
	session_strs_free(img->addrs, img->naddrs);
	memset(img, 0, sizeof *img);
}

int
session_env_dependent(const struct flac_ns *ns)
{
	const struct flac_ns_choice *ch = flac_ns_choices(ns);
	uint32_t i;

	for (i = 0; i < ns->nchoices; i++)
		if (ch[i].ctx == FLAC_CTX_ENV)
			return 1;
	return 0;
}

int
session_recompile(const struct session_image *img, char *const *env,
    struct flac_ns **out, char *why, size_t whysz)
{
	struct flac_spec *sp;
	struct flac_ctx ctx;
	size_t nenv = 0;
	int r;

	*out = NULL;
	while (env != NULL && env[nenv] != NULL)
		nenv++;
	if ((sp = flac_spec_new()) == NULL)
		return -ENOMEM;
	if ((r = flac_load(sp, img->src, img->srclen)) != 0) {
		if (sp->ndiags > 0)
			flac_diag_format(&sp->diags[0], img->specname, why,
			    whysz);
		else
			snprintf(why, whysz, "%s: %s", img->specname,
			    strerror(-r));
		flac_spec_free(sp);
		return r;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.names = (const char *const *)img->names;
	ctx.nnames = img->nnames;
	ctx.addrs = (const char *const *)img->addrs;
	ctx.naddrs = img->naddrs;
	ctx.env = (const char *const *)env;
	ctx.nenv = nenv;
	if ((r = flac_compile(sp, &ctx, out)) != 0)
		snprintf(why, whysz, "%s: cannot compile: %s", img->specname,
		    strerror(-r));
	flac_spec_free(sp);
	return r;
}

int
session_env_format(char *buf, size_t sz, int imgfd, int statefd,
    unsigned long ino)
{
	int n = snprintf(buf, sz, "%d:%d:%lu", imgfd, statefd, ino);

	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : n;
}

int
session_env_parse(const char *s, int *imgfd, int *statefd,
    unsigned long *ino)
{
	char *end;
	long a, b;

	if (s == NULL)
		return -ENOENT;
	a = strtol(s, &end, 10);
	if (end == s || *end != ':' || a < 0 || a > 1 << 30)
		return -EINVAL;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (end == s || *end != ':' || b < -1 || b > 1 << 30)
		return -EINVAL;
	s = end + 1;
	*ino = strtoul(s, &end, 10);
	if (end == s || *end != '\0')
		return -EINVAL;
	*imgfd = (int)a;
	*statefd = (int)b;
	return 0;
}

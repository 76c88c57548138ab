/* iosess: see iosess.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/wbuf.h"
#include "flac/rt/iosess.h"

#define IOSESS_PATHMAX	4096

int
iosess_path_ok(const char *p)
{
	const char *c;
	size_t n;

	if (p == NULL || p[0] != '/')
		return 0;
	if (p[1] == '\0')
		return 1;
	for (c = p + 1;; c += n + 1) {
		n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (c[n] == '\0')
			return 1;
	}
}

static int
iosess_put_strs(struct wbuf *b, char *const *v, size_t n)
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
iosess_encode(const struct iosess *s, void **out, size_t *outlen)
{
	struct wbuf body, img;
	uint8_t sum[CRYPTO_SHA256_LEN];
	const struct iosess_file *f;
	size_t i;
	int r;

	if (s->nfiles > IOSESS_MAXFILES || s->srclen > IOSESS_MAXSRC ||
	    s->nnames > IOSESS_MAXNAMES || s->naddrs > IOSESS_MAXNAMES ||
	    !iosess_path_ok(s->cwd))
		return -EINVAL;
	wbuf_init(&body, WBUF_DEFAULT_MAX);
	wbuf_init(&img, WBUF_DEFAULT_MAX);
	if ((r = wbuf_put_str(&body, s->specname)) < 0 ||
	    (r = wbuf_put_blob(&body, s->src, s->srclen)) < 0 ||
	    (r = iosess_put_strs(&body, s->names, s->nnames)) < 0 ||
	    (r = iosess_put_strs(&body, s->addrs, s->naddrs)) < 0 ||
	    (r = wbuf_put_str(&body, s->cwd)) < 0 ||
	    (r = wbuf_put_u32(&body, (uint32_t)s->nfiles)) < 0)
		goto out;
	for (i = 0; i < s->nfiles; i++) {
		f = &s->files[i];
		if (f->fd < 0 || f->fd >= IOSESS_MAXFD ||
		    !iosess_path_ok(f->path)) {
			r = -EINVAL;
			goto out;
		}
		if ((r = wbuf_put_u32(&body, (uint32_t)f->fd)) < 0 ||
		    (r = wbuf_put_u32(&body, (uint32_t)f->flags)) < 0 ||
		    (r = wbuf_put_u64(&body, f->offset)) < 0 ||
		    (r = wbuf_put_str(&body, f->path)) < 0)
			goto out;
	}
	if ((r = crypto_sha256(body.data, body.len, sum)) < 0 ||
	    (r = wbuf_put_hello(&img, IOSESS_MAGIC, IOSESS_VERSION, 0)) < 0 ||
	    (r = wbuf_put_u32(&img, (uint32_t)body.len)) < 0 ||
	    (r = wbuf_put_bytes(&img, sum, sizeof sum)) < 0 ||
	    (r = wbuf_put_bytes(&img, body.data, body.len)) < 0)
		goto out;
	*out = img.data;
	*outlen = img.len;
	img.data = NULL;
	r = 0;
out:
	wbuf_free(&body);
	wbuf_free(&img);
	return r;
}

static void
iosess_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* A string of the body, malloc'd. */
static int
iosess_get_str(struct wbuf *b, char **out)
{
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = wbuf_get_blob(b, &p, &n, IOSESS_PATHMAX)) < 0)
		return r;
	if (memchr(p, '\0', n) != NULL)
		return -EBADMSG;
	if ((*out = malloc(n + 1)) == NULL)
		return -ENOMEM;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

static int
iosess_get_strs(struct wbuf *b, char ***v, size_t *n)
{
	uint32_t k, i;
	int r;

	if ((r = wbuf_get_u32(b, &k)) < 0)
		return r;
	if (k > IOSESS_MAXNAMES)
		return -EBADMSG;
	if (k > 0 && (*v = calloc(k, sizeof **v)) == NULL)
		return -ENOMEM;
	for (i = 0; i < k; i++) {
		if ((r = iosess_get_str(b, &(*v)[i])) < 0)
			return r;
		*n = i + 1;
	}
	return 0;
}

static int
iosess_get_body(struct wbuf *b, struct iosess *s, char *why, size_t whysz)
{
	const uint8_t *p;
	struct iosess_file *f;
	uint32_t n, i, fd, flags;
	int r;

	if ((r = iosess_get_str(b, &s->specname)) < 0 ||
	    (r = wbuf_get_blob(b, &p, &s->srclen, IOSESS_MAXSRC)) < 0)
		goto bad;
	if ((s->src = malloc(s->srclen + 1)) == NULL)
		return -ENOMEM;
	memcpy(s->src, p, s->srclen);
	s->src[s->srclen] = '\0';
	if ((r = iosess_get_strs(b, &s->names, &s->nnames)) < 0 ||
	    (r = iosess_get_strs(b, &s->addrs, &s->naddrs)) < 0 ||
	    (r = iosess_get_str(b, &s->cwd)) < 0)
		goto bad;
	if (!iosess_path_ok(s->cwd)) {
		iosess_why(why, whysz, "the working directory '%s' is not an "
		    "absolute, normal path of the name space", s->cwd);
		return -EINVAL;
	}
	if ((r = wbuf_get_u32(b, &n)) < 0)
		goto bad;
	if (n > IOSESS_MAXFILES) {
		iosess_why(why, whysz, "%u open files, more than %d", n,
		    IOSESS_MAXFILES);
		return -EBADMSG;
	}
	if (n > 0 && (s->files = calloc(n, sizeof *s->files)) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		f = &s->files[i];
		if ((r = wbuf_get_u32(b, &fd)) < 0 ||
		    (r = wbuf_get_u32(b, &flags)) < 0 ||
		    (r = wbuf_get_u64(b, &f->offset)) < 0 ||
		    (r = iosess_get_str(b, &f->path)) < 0)
			goto bad;
		s->nfiles = i + 1;
		f->fd = (int)fd;
		f->flags = (int)flags;
		if (fd >= IOSESS_MAXFD || f->offset > INT64_MAX) {
			iosess_why(why, whysz, "file %u ('%s'): descriptor %u "
			    "or offset %llu out of range", i, f->path, fd,
			    (unsigned long long)f->offset);
			return -EINVAL;
		}
		if (!iosess_path_ok(f->path)) {
			iosess_why(why, whysz, "file %u: path '%s' is not an "
			    "absolute, normal path of the name space (it "
			    "would escape it)", i, f->path);
			return -EINVAL;
		}
	}
	if (wbuf_avail(b) != 0) {
		iosess_why(why, whysz, "%zu bytes after the last file",
		    wbuf_avail(b));
		return -EBADMSG;
	}
	return 0;
bad:
	if (r != -ENOMEM)
		iosess_why(why, whysz, "malformed body (at byte %zu of it)",
		    b->off);
	return r == -ENOMEM ? r : -EBADMSG;
}

int
iosess_decode(const void *p, size_t len, struct iosess *s, char *why,
    size_t whysz)
{
	uint8_t sum[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];
	struct wbuf b, body;
	uint32_t magic, blen;
	uint16_t version, flags;
	int r;

	memset(s, 0, sizeof *s);
	iosess_why(why, whysz, "no error");
	wbuf_view(&b, p, len);
	if (wbuf_get_u32(&b, &magic) < 0 || magic != IOSESS_MAGIC) {
		iosess_why(why, whysz, "not an I/O session image (no FLIO "
		    "magic)");
		return -EBADMSG;
	}
	if (wbuf_get_u16(&b, &version) < 0 || wbuf_get_u16(&b, &flags) < 0 ||
	    wbuf_get_u32(&b, &blen) < 0 ||
	    wbuf_get_bytes(&b, want, sizeof want) < 0) {
		iosess_why(why, whysz, "truncated header (%zu bytes, the "
		    "header has %d)", len, IOSESS_HDRLEN);
		return -EBADMSG;
	}
	if (version == IOSESS_VERSION && flags != 0) {
		iosess_why(why, whysz, "unknown header flags %#x", flags);
		return -EBADMSG;
	}
	if (version != IOSESS_VERSION) {
		iosess_why(why, whysz, "image version %u; this flac reads "
		    "version %d", version, IOSESS_VERSION);
		return -EPROTO;
	}
	if (wbuf_avail(&b) != blen) {
		iosess_why(why, whysz, "%s: the header announces %u bytes of "
		    "body, the file has %zu", wbuf_avail(&b) < blen ?
		    "truncated" : "trailing bytes", blen, wbuf_avail(&b));
		return -EBADMSG;
	}
	if ((r = crypto_sha256(wbuf_ptr(&b), blen, sum)) < 0)
		return r;
	if (!crypto_equal(sum, want, sizeof sum)) {
		iosess_why(why, whysz, "checksum mismatch: the image is "
		    "damaged");
		return -EBADMSG;
	}
	wbuf_view(&body, wbuf_ptr(&b), blen);
	if ((r = iosess_get_body(&body, s, why, whysz)) < 0) {
		if (r == -ENOMEM)
			iosess_why(why, whysz, "out of memory");
		iosess_free(s);
		return r;
	}
	return 0;
}

static void
iosess_free_strs(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
iosess_free(struct iosess *s)
{
	size_t i;

	free(s->specname);
	free(s->src);
	iosess_free_strs(s->names, s->nnames);
	iosess_free_strs(s->addrs, s->naddrs);
	free(s->cwd);
	for (i = 0; i < s->nfiles; i++)
		free(s->files[i].path);
	free(s->files);
	memset(s, 0, sizeof *s);
}

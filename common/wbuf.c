/* wbuf: see wbuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/wbuf.h"

void
wbuf_init(struct wbuf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max ? max : WBUF_DEFAULT_MAX;
}

void
wbuf_view(struct wbuf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof *b);
	b->data = (uint8_t *)(uintptr_t)data;
	b->len = len;
	b->max = len;
	b->view = 1;
}

void
wbuf_free(struct wbuf *b)
{
	if (!b->view)
		free(b->data);
	memset(b, 0, sizeof *b);
}

void
wbuf_reset(struct wbuf *b)
{
	b->off = 0;
	if (!b->view)
		b->len = 0;
}

int
wbuf_reserve(struct wbuf *b, size_t n, uint8_t **out)
{
	size_t need, ncap;
	uint8_t *nd;

	if (b->view)
		return -EINVAL;
	if (n > b->max || b->len > b->max - n)
		return -EMSGSIZE;
	need = b->len + n;
	if (need > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < need)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		nd = realloc(b->data, ncap);
		if (nd == NULL)
			return -ENOMEM;
		b->data = nd;
		b->cap = ncap;
	}
	*out = b->data + b->len;
	b->len += n;
	return 0;
}

int
wbuf_put_bytes(struct wbuf *b, const void *p, size_t n)
{
	uint8_t *d;
	int r;

	if ((r = wbuf_reserve(b, n, &d)) < 0)
		return r;
	if (n > 0)
		memcpy(d, p, n);
	return 0;
}

int
wbuf_put_u8(struct wbuf *b, uint8_t v)
{
	return wbuf_put_bytes(b, &v, 1);
}

int
wbuf_put_u16(struct wbuf *b, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return wbuf_put_bytes(b, d, sizeof d);
}

int
wbuf_put_u32(struct wbuf *b, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return wbuf_put_bytes(b, d, sizeof d);
}

int
wbuf_put_u64(struct wbuf *b, uint64_t v)
{
	int r;

	if ((r = wbuf_put_u32(b, (uint32_t)(v >> 32))) < 0)
		return r;
	return wbuf_put_u32(b, (uint32_t)v);
}

int
wbuf_put_blob(struct wbuf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return -EMSGSIZE;
	if ((r = wbuf_put_u32(b, (uint32_t)n)) < 0)
		return r;
	return wbuf_put_bytes(b, p, n);
}

int
wbuf_put_str(struct wbuf *b, const char *s)
{
	return wbuf_put_blob(b, s, strlen(s));
}

int
wbuf_get_bytes(struct wbuf *b, void *p, size_t n)
{
	if (wbuf_avail(b) < n)
		return -EBADMSG;
	if (n > 0 && p != NULL)
		memcpy(p, b->data + b->off, n);
	b->off += n;
	return 0;
}

int
wbuf_skip(struct wbuf *b, size_t n)
{
	return wbuf_get_bytes(b, NULL, n);
}

int
wbuf_get_u8(struct wbuf *b, uint8_t *v)
{
	return wbuf_get_bytes(b, v, 1);
}

int
wbuf_get_u16(struct wbuf *b, uint16_t *v)
{
	uint8_t d[2];
	int r;

	if ((r = wbuf_get_bytes(b, d, sizeof d)) < 0)
		return r;
	*v = (uint16_t)(d[0] << 8 | d[1]);
	return 0;
}

int
wbuf_get_u32(struct wbuf *b, uint32_t *v)
{
	uint8_t d[4];
	int r;

	if ((r = wbuf_get_bytes(b, d, sizeof d)) < 0)
		return r;
	*v = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	    (uint32_t)d[2] << 8 | d[3];
	return 0;
}

int
wbuf_get_u64(struct wbuf *b, uint64_t *v)
{
	uint32_t hi, lo;
	int r;

	if (wbuf_avail(b) < 8)
		return -EBADMSG;
	if ((r = wbuf_get_u32(b, &hi)) < 0 || (r = wbuf_get_u32(b, &lo)) < 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
wbuf_get_blob(struct wbuf *b, const uint8_t **p, size_t *n, size_t maxn)
{
	size_t save = b->off;
	uint32_t len;
	int r;

	if ((r = wbuf_get_u32(b, &len)) < 0)
		return r;
	if (len > maxn) {
		b->off = save;
		return -EMSGSIZE;
	}
	if (wbuf_avail(b) < len) {
		b->off = save;
		return -EBADMSG;
	}
	*p = b->data + b->off;
	*n = len;
	b->off += len;
	return 0;
}

int
wbuf_get_str(struct wbuf *b, char *out, size_t outsz)
{
	size_t save = b->off, n;
	const uint8_t *p;
	int r;

	if (outsz == 0)
		return -EINVAL;
	if ((r = wbuf_get_blob(b, &p, &n, outsz - 1)) < 0)
		return r;
	if (memchr(p, '\0', n) != NULL) {
		b->off = save;
		return -EBADMSG;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
wbuf_put_hello(struct wbuf *b, uint32_t magic, uint16_t version, uint16_t flags)
{
	int r;

	if ((r = wbuf_put_u32(b, magic)) < 0 ||
	    (r = wbuf_put_u16(b, version)) < 0 ||
	    (r = wbuf_put_u16(b, flags)) < 0)
		return r;
	return 0;
}

int
wbuf_get_hello(struct wbuf *b, uint32_t magic, uint16_t *version, uint16_t *flags)
{
	size_t save = b->off;
	uint32_t m;
	int r;

	if ((r = wbuf_get_u32(b, &m)) < 0 ||
	    (r = wbuf_get_u16(b, version)) < 0 ||
	    (r = wbuf_get_u16(b, flags)) < 0) {
		b->off = save;
		return r;
	}
	if (m != magic) {
		b->off = save;
		return -EBADMSG;
	}
	return 0;
}

int
frame_begin(struct wbuf *b, uint16_t type, size_t *mark)
{
	int r;

	*mark = b->len;
	if ((r = wbuf_put_u32(b, 0)) < 0 || (r = wbuf_put_u16(b, type)) < 0)
		return r;
	return 0;
}

int
frame_end(struct wbuf *b, size_t mark)
{
	size_t plen;
	uint8_t *h;

	if (b->view || mark > b->len || b->len - mark < FRAME_HDR_LEN)
		return -EINVAL;
	plen = b->len - mark - FRAME_HDR_LEN;
	if (plen > UINT32_MAX)
		return -EMSGSIZE;
	h = b->data + mark;
	h[0] = (uint8_t)(plen >> 24);
	h[1] = (uint8_t)(plen >> 16);
	h[2] = (uint8_t)(plen >> 8);
	h[3] = (uint8_t)plen;
	return 0;
}

int
frame_parse(const uint8_t *p, size_t n, size_t maxlen, uint16_t *type,
    struct wbuf *payload)
{
	uint32_t len;

	if (n < FRAME_HDR_LEN)
		return 0;
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if (len > maxlen || len > (uint32_t)(INT32_MAX - FRAME_HDR_LEN))
		return -EMSGSIZE;
	if (n - FRAME_HDR_LEN < len)
		return 0;
	*type = (uint16_t)(p[4] << 8 | p[5]);
	wbuf_view(payload, p + FRAME_HDR_LEN, len);
	return (int)(FRAME_HDR_LEN + len);
}

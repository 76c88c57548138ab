/*
 * wbuf: the one wire codec.  An opaque-in-spirit byte buffer with a read
 * offset; big-endian put/get of fixed-width integers, raw bytes, blobs and
 * strings (u32 length + bytes).  Every get checks the remaining length and
 * returns 0 or a negative errno; peers' bytes never reach an assert().
 *
 *   -EBADMSG   fewer bytes than the item needs, or a malformed item
 *   -EMSGSIZE  the buffer would grow past its limit, or a string is too long
 *   -ENOMEM    allocation failed
 *
 * Framing (every docs/protocol page uses it):
 *   stream hello:  u32 magic | u16 version | u16 flags
 *   frame:         u32 length | u16 type | payload[length]
 */
#ifndef EVICT_WBUF_H
#define EVICT_WBUF_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t *data;
	size_t   off;     /* read position */
	size_t   len;     /* bytes written */
	size_t   cap;     /* bytes allocated (0 for a read-only view) */
	size_t   max;     /* growth limit */
	int      view;    /* 1: data belongs to someone else; no puts */
};

#define WBUF_DEFAULT_MAX (16u << 20)

void wbuf_init(struct wbuf *b, size_t max);
void wbuf_view(struct wbuf *b, const void *data, size_t len);
void wbuf_free(struct wbuf *b);
void wbuf_reset(struct wbuf *b);

static inline size_t wbuf_avail(const struct wbuf *b) { return b->len - b->off; }
static inline const uint8_t *wbuf_ptr(const struct wbuf *b) { return b->data + b->off; }

int wbuf_reserve(struct wbuf *b, size_t n, uint8_t **out);
int wbuf_put_u8(struct wbuf *b, uint8_t v);
int wbuf_put_u16(struct wbuf *b, uint16_t v);
int wbuf_put_u32(struct wbuf *b, uint32_t v);
int wbuf_put_u64(struct wbuf *b, uint64_t v);
int wbuf_put_bytes(struct wbuf *b, const void *p, size_t n);
int wbuf_put_blob(struct wbuf *b, const void *p, size_t n);
int wbuf_put_str(struct wbuf *b, const char *s);

int wbuf_get_u8(struct wbuf *b, uint8_t *v);
int wbuf_get_u16(struct wbuf *b, uint16_t *v);
int wbuf_get_u32(struct wbuf *b, uint32_t *v);
int wbuf_get_u64(struct wbuf *b, uint64_t *v);
int wbuf_get_bytes(struct wbuf *b, void *p, size_t n);
int wbuf_skip(struct wbuf *b, size_t n);
/* Points *p into the buffer; valid until the buffer changes. */
int wbuf_get_blob(struct wbuf *b, const uint8_t **p, size_t *n, size_t maxn);
/* Copies a string of at most outsz-1 bytes, refusing embedded NULs. */
int wbuf_get_str(struct wbuf *b, char *out, size_t outsz);

/* Stream hello. */
#define WBUF_HELLO_LEN 8
int wbuf_put_hello(struct wbuf *b, uint32_t magic, uint16_t version, uint16_t flags);
int wbuf_get_hello(struct wbuf *b, uint32_t magic, uint16_t *version, uint16_t *flags);

/* Frames.  frame_begin reserves the header and remembers where it is. */
#define FRAME_HDR_LEN 6
int frame_begin(struct wbuf *b, uint16_t type, size_t *mark);
int frame_end(struct wbuf *b, size_t mark);
/*
 * Looks at the bytes p[0..n) for one whole frame of at most maxlen payload
 * bytes.  Returns the frame's total size (> 0) and fills type and payload;
 * 0 when more bytes are needed; -EMSGSIZE when the announced length is over
 * maxlen.
 */
int frame_parse(const uint8_t *p, size_t n, size_t maxlen, uint16_t *type,
    struct wbuf *payload);

#endif

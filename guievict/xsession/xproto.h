/*
 * xproto: a small, bounds-checked codec for the X11 wire protocol, the
 * parser guimux runs between an unmodified program and its X server.
 *
 * It splits the byte stream a client sends into requests and the stream a
 * server sends into replies, events and errors, keeps the sequence numbers,
 * and says where in each message the resource ids and atoms are, so that a
 * translator can rewrite them in place.  Pure: no I/O, no allocation except
 * in xp_setup_parse().  Everything is read in the byte order the client
 * chose in its connection setup (the server answers in the same order).
 *
 * Return conventions: a splitter returns the size of the whole message
 * (> 0), 0 when more bytes are needed, or a negative errno:
 *   -EBADMSG   the bytes cannot be a well-formed message
 *   -EMSGSIZE  the message announces more than the limit in struct xp_conn
 *
 * Covered for id accessors: the core protocol (requests 1-127, events 2-34,
 * the replies that carry ids), BIG-REQUESTS, SHAPE, XFIXES (through
 * version 5), and RENDER requests whose ids sit at fixed places or in their
 * value list, glyph list or animated-cursor list.  A request of another
 * extension answers -ENOENT: the translator must decide (refuse or pass).
 * docs/design/guievict-xsession.md lists what is not covered.
 */
#ifndef EVICT_GV_XPROTO_H
#define EVICT_GV_XPROTO_H

#include <stddef.h>
#include <stdint.h>

enum xp_ext {
	XP_EXT_BIGREQ = 0,
	XP_EXT_SHAPE,
	XP_EXT_XFIXES,
	XP_EXT_RENDER,
	XP_EXT_DBE,
	XP_EXT_COUNT
};

/* What the value at a reference names. */
enum xp_kind {
	XP_K_WINDOW = 1,
	XP_K_PIXMAP,
	XP_K_DRAWABLE,      /* window or pixmap */
	XP_K_GC,
	XP_K_FONT,
	XP_K_FONTABLE,      /* font or GC */
	XP_K_CURSOR,
	XP_K_COLORMAP,
	XP_K_ATOM,
	XP_K_VISUAL,
	XP_K_ANY,           /* any resource (KillClient) */
	XP_K_REGION,        /* XFIXES */
	XP_K_BARRIER,       /* XFIXES 5 */
	XP_K_PICTURE,       /* RENDER */
	XP_K_PICTFORMAT,
	XP_K_GLYPHSET,
	XP_K_MAX
};

/* Flags of a reference. */
#define XP_REF_NEW   0x01    /* the request creates this id */
#define XP_REF_MSB   0x02    /* always most significant byte first */

struct xp_ref {
	uint32_t off;        /* byte offset of the 32-bit value in the message */
	uint8_t  kind;       /* enum xp_kind */
	uint8_t  flags;
};

#define XP_MAX_MSG_DEFAULT (64u << 20)

struct xp_conn {
	int      msb;                      /* 1: client chose 'B' (MSB first) */
	int      bigreq;                   /* BIG-REQUESTS enabled */
	size_t   max_msg;                  /* largest request/reply accepted */
	uint8_t  ext_major[XP_EXT_COUNT];  /* 0: not (yet) known */
	uint8_t  ext_event[XP_EXT_COUNT];
	uint8_t  ext_error[XP_EXT_COUNT];
	uint64_t seq;                      /* sequence number of the last request */
};

void xp_conn_init(struct xp_conn *cx, int msb);
int xp_conn_set_ext(struct xp_conn *cx, int ext, uint8_t major,
    uint8_t first_event, uint8_t first_error);
/* The enum xp_ext of an extension name as QueryExtension spells it, or -ENOENT. */
int xp_ext_by_name(const char *name, size_t len);
const char *xp_ext_name(int ext);
const char *xp_kind_name(int kind);

uint16_t xp_get16(const struct xp_conn *cx, const uint8_t *p);
uint32_t xp_get32(const struct xp_conn *cx, const uint8_t *p);
void xp_put16(const struct xp_conn *cx, uint8_t *p, uint16_t v);
void xp_put32(const struct xp_conn *cx, uint8_t *p, uint32_t v);
/* Reads / writes the value a reference points at, honouring XP_REF_MSB. */
uint32_t xp_ref_get(const struct xp_conn *cx, const uint8_t *msg,
    const struct xp_ref *r);
void xp_ref_put(const struct xp_conn *cx, uint8_t *msg, const struct xp_ref *r,
    uint32_t v);

/* ---- connection setup ------------------------------------------------- */

struct xp_client_setup {
	int             msb;
	uint16_t        major, minor;
	const uint8_t  *auth_name;
	uint16_t        auth_name_len;
	const uint8_t  *auth_data;
	uint16_t        auth_data_len;
};

/* The client's first message; the size of it (> 0), 0 or -EBADMSG. */
int xp_client_setup_parse(const uint8_t *p, size_t n,
    struct xp_client_setup *out);

struct xp_visual {
	uint32_t id;
	uint8_t  cls;             /* StaticGray 0 .. DirectColor 5 */
	uint8_t  bits_per_rgb;
	uint16_t colormap_entries;
	uint32_t red_mask, green_mask, blue_mask;
};

struct xp_depth {
	uint8_t           depth;
	uint16_t          nvisuals;
	struct xp_visual *visuals;
};

struct xp_screen {
	uint32_t         root, default_colormap, white_pixel, black_pixel;
	uint32_t         input_masks;
	uint16_t         width, height, width_mm, height_mm;
	uint16_t         min_maps, max_maps;
	uint32_t         root_visual;
	uint8_t          backing_stores, save_unders, root_depth;
	uint8_t          ndepths;
	struct xp_depth *depths;
};

struct xp_format {
	uint8_t depth, bpp, scanline_pad;
};

struct xp_setup {
	uint8_t           status;          /* 0 failed, 1 success, 2 authenticate */
	uint16_t          major, minor;
	char              reason[256];     /* status 0 or 2, NUL-terminated */
	uint32_t          release;
	uint32_t          resource_base, resource_mask;
	uint32_t          motion_buffer;
	uint16_t          max_request_len; /* 4-byte units */
	uint8_t           image_byte_order, bitmap_bit_order;
	uint8_t           scanline_unit, scanline_pad;
	uint8_t           min_keycode, max_keycode;
	char              vendor[256];
	uint8_t           nformats;
	struct xp_format  formats[255];
	uint8_t           nscreens;
	struct xp_screen *screens;
};

/*
 * The server's answer to the setup; msb is the client's byte order.  Fills
 * *out (free it with xp_setup_free) and returns its size, or 0 / -EBADMSG /
 * -ENOMEM.
 */
int xp_setup_parse(int msb, const uint8_t *p, size_t n, struct xp_setup *out);
void xp_setup_free(struct xp_setup *s);

/* ---- client -> server --------------------------------------------------- */

struct xp_req {
	const uint8_t *p;        /* the whole request */
	size_t         len;      /* its size in bytes */
	size_t         hdr;      /* 4, or 8 in the BIG-REQUESTS form */
	uint8_t        major;
	uint8_t        data;     /* second byte: the minor opcode of extensions */
	int            ext;      /* enum xp_ext, or -1 for core / unknown */
	uint64_t       seq;      /* the sequence number the server gives it */
};

/*
 * Splits the next request off p[0..n).  On success counts it (cx->seq) and
 * returns its size.  A length of 0 is the BIG-REQUESTS form when
 * cx->bigreq is set, else -EBADMSG.
 */
int xp_req_next(struct xp_conn *cx, const uint8_t *p, size_t n,
    struct xp_req *out);
/*
 * Offset within the request of the byte at offset off of the usual
 * (4-byte header) layout.
 */
size_t xp_req_off(const struct xp_req *r, size_t off);
/*
 * Where the resource ids and atoms of a request are: fills up to max refs
 * and returns how many there are (possibly more than max: call again with
 * more room), -EBADMSG when the request is too short for its fields, or
 * -ENOENT for a request of an extension this codec does not know.
 */
int xp_req_refs(const struct xp_conn *cx, const struct xp_req *r,
    struct xp_ref *refs, size_t max);

/* ---- server -> client --------------------------------------------------- */

enum xp_msg_kind {
	XP_MSG_ERROR = 0,
	XP_MSG_REPLY = 1,
	XP_MSG_EVENT = 2,
};

struct xp_msg {
	const uint8_t *p;
	size_t         len;      /* 32, or 32 + 4 * length for replies and
	                            generic events */
	int            kind;     /* enum xp_msg_kind */
	uint8_t        code;     /* event type without the SendEvent bit, or
	                            error code */
	int            sent;     /* event came from SendEvent */
	int            has_seq;  /* KeymapNotify carries none */
	uint16_t       seq16;
	uint64_t       seq;      /* widened with cx->seq (0 without has_seq) */
};

int xp_msg_next(const struct xp_conn *cx, const uint8_t *p, size_t n,
    struct xp_msg *out);
/* The newest sequence number <= last_sent whose low 16 bits are wire. */
uint64_t xp_seq_widen(uint64_t last_sent, uint16_t wire);

/* Ids and atoms in an event (32 bytes, core and known extensions). */
int xp_event_refs(const struct xp_conn *cx, const uint8_t *ev, size_t len,
    struct xp_ref *refs, size_t max);
/*
 * Ids and atoms in the reply to a request of major/data (as struct xp_req
 * gives them).  Replies whose data is typed by the program (GetProperty)
 * give only their fixed fields.
 */
int xp_reply_refs(const struct xp_conn *cx, uint8_t major, uint8_t data,
    const uint8_t *rep, size_t len, struct xp_ref *refs, size_t max);
/* 1 and *ref when the error's bad value is an id or atom, else 0. */
int xp_error_ref(const struct xp_conn *cx, const uint8_t *err, size_t len,
    struct xp_ref *ref);

/* QueryExtension reply: present, major opcode, first event and error. */
int xp_query_extension_reply(const uint8_t *rep, size_t len, uint8_t *present,
    uint8_t *major, uint8_t *first_event, uint8_t *first_error);

#endif

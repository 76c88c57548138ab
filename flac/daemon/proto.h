/*
 * The flacd protocol: what a process under flac (libflacrt.so) and the
 * launcher ask the per-user daemon.  docs/protocol/flacd.md says the same
 * in prose.  Bump FLACD_PROTO_VERSION when any of this changes.
 *
 * A Unix stream socket (common/ipc: the peer must have our uid or be
 * root), frames  u32 length | u16 type | payload  (common/wbuf, big-endian).
 * Each request gets exactly one reply, in order.
 *
 *   100 HELLO     u32 magic "FLCD" | u16 version | u16 flags      both ways
 *   300 LOAD      str spec name | blob spec source |
 *                 u32 n | n x str location names | u32 n | n x str addrs
 *                   -> RESULT: the session id (>= 1) or -errno
 *   200 PULL      u32 session | u8 modifier | u32 primary instance |
 *   201 PUSH      str primary path | u32 secondary instance |
 *                 str secondary path | str name space path
 *                   -> RESULT: 1 copied, 0 nothing to copy, or -errno
 *   310 LIST      (empty)  -> LISTED: str text, one line per instance
 *   400 RESULT    i32 value (as u32)
 *   401 LISTED    str text
 *
 * Instances are numbered as the specification's primitive instances
 * (flac_spec.insts, flac_ns_svc.id): the same in every process of a
 * session whatever its environment selected.
 */
#ifndef FLAC_DAEMON_PROTO_H
#define FLAC_DAEMON_PROTO_H

#include <stddef.h>
#include <stdint.h>

struct wbuf;

#define FLACD_MAGIC		0x464c4344u	/* "FLCD" */
#define FLACD_PROTO_VERSION	1
#define FLACD_ENV		"FLAC_DAEMON"	/* the socket's path */
#define FLACD_MAXFRAME		(2u << 20)	/* a spec is at most 1 MiB */
#define FLACD_MAXNAMES		256
#define FLACD_PATHMAX		4096

enum flacd_msg {
	FLACD_HELLO	= 100,
	FLACD_PULL	= 200,
	FLACD_PUSH	= 201,
	FLACD_LOAD	= 300,
	FLACD_LIST	= 310,
	FLACD_FLUSH	= 320,	/* push what the journal holds; RESULT: left */
	FLACD_RESULT	= 400,
	FLACD_LISTED	= 401,
};

/* A decoded request; strings point into the frame (valid while it is). */
struct flacd_req {
	uint16_t	 type;
	/* PULL, PUSH */
	uint32_t	 session;
	uint8_t		 mod;		/* enum flac_xfer_mod */
	uint32_t	 psvc, ssvc;
	char		 ppath[FLACD_PATHMAX];
	char		 spath[FLACD_PATHMAX];
	char		 vpath[FLACD_PATHMAX];
	/* LOAD */
	char		 specname[FLACD_PATHMAX];
	const char	*src;
	size_t		 srclen;
	uint32_t	 nnames, naddrs;
	char		 names[16][256];
	char		 addrs[16][64];
};

/*
 * Decodes the payload of a request of type into r: 0, -EBADMSG
 * (malformed, truncated, trailing bytes, a path that is not absolute), or
 * -EPROTO (an unknown type).
 */
int	flacd_req_decode(uint16_t type, struct wbuf *b, struct flacd_req *r);
/* Encoders: the payload into b (from its current end). */
int	flacd_enc_hello(struct wbuf *b);
int	flacd_enc_load(struct wbuf *b, const char *specname, const char *src,
	    size_t srclen, char *const *names, size_t nnames,
	    char *const *addrs, size_t naddrs);
int	flacd_enc_xfer(struct wbuf *b, uint32_t session, int mod,
	    uint32_t psvc, const char *ppath, uint32_t ssvc,
	    const char *spath, const char *vpath);
int	flacd_enc_result(struct wbuf *b, int32_t v);
/* Decodes a RESULT payload. */
int	flacd_dec_result(struct wbuf *b, int32_t *v);
/* Checks a HELLO payload: 0, -EBADMSG, -EPROTO (another version). */
int	flacd_dec_hello(struct wbuf *b);

/*
 * The socket of this user's daemon: $FLACD_SOCKET, else
 * $XDG_RUNTIME_DIR/flacd.sock (when that is a directory of ours), else
 * /tmp/flacd-UID/flacd.sock.  make_dir: create /tmp/flacd-UID (0700) and
 * check it is ours and private.  0 or -errno.
 */
int	flacd_sock_path(char *out, size_t sz, int make_dir);

#endif

/*
 * ctlproto: the control protocol between guievictor and libguievict.so
 * (docs/protocol/guievict-ctl.md).  Frames are common/ipc's (u32 length |
 * u16 type | payload), payloads go through common/wbuf (big-endian); the
 * library listens on the abstract Unix socket @evict-guievict-<uid>-<pid>
 * and talks only to its owner or root (SO_PEERCRED).
 *
 * One exchange per command: the client sends GVC_HELLO, then requests;
 * each request is answered with one reply frame.  Bump GVC_VERSION when
 * any payload below changes.
 */
#ifndef EVICT_GV_CTLPROTO_H
#define EVICT_GV_CTLPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/wbuf.h"

#define GVC_MAGIC	0x47564354u	/* "GVCT" */
#define GVC_VERSION	1
#define GVC_FRAME_MAX	(64u << 10)
#define GVC_STR_MAX	1024		/* display names, causes */
#define GVC_AUTH_MAX	256		/* auth name, auth data */
#define GVC_MAX_LOSSES	32
#define GVC_SOCK_FMT	"evict-guievict-%u-%d"	/* abstract: uid, pid */

enum gvc_type {
	GVC_HELLO	= 100,	/* magic, version, flags */
	GVC_HELLO_OK	= 101,	/* version, pid, state */
	GVC_STATUS	= 200,	/* (empty) */
	GVC_STATUS_REPLY = 201,	/* struct gvc_status */
	GVC_DETACH	= 300,	/* struct gvc_cmd (display empty) */
	GVC_ATTACH	= 310,	/* struct gvc_cmd */
	GVC_MOVE	= 320,	/* struct gvc_cmd */
	GVC_RESULT	= 390,	/* struct gvc_result */
	GVC_ERROR	= 900,	/* i32 err, str message */
};

enum gvc_state {
	GVC_ST_ATTACHED	= 1,	/* talking to an X server */
	GVC_ST_DETACHED	= 2,	/* waiting for an attach */
	GVC_ST_MOVING	= 3,	/* between the two */
	GVC_ST_GONE	= 4,	/* the program closed its X connection */
};

/* Command flags. */
#define GVC_F_PARTIAL	0x1	/* move what can be moved, note the rest */

struct gvc_hello {
	uint32_t magic;
	uint16_t version;
	uint16_t flags;
	uint32_t pid;		/* HELLO_OK */
	uint8_t  state;		/* HELLO_OK */
};

struct gvc_status {
	uint8_t  state;
	int32_t  xfd;
	uint32_t moves;
	char     display[GVC_STR_MAX];	/* current, or last when detached */
	char     origin[GVC_STR_MAX];	/* where the program started */
	uint64_t detach_us, attach_us;	/* last ones */
	uint64_t requests, messages;	/* through guimux */
	uint64_t held;			/* bytes of requests held (detached) */
	char     note[GVC_STR_MAX];	/* last error, or empty */
};

struct gvc_cmd {
	uint32_t flags;
	char     display[GVC_STR_MAX];
	uint16_t auth_name_len, auth_data_len;
	uint8_t  auth_name[GVC_AUTH_MAX];
	uint8_t  auth_data[GVC_AUTH_MAX];
};

struct gvc_result {
	int32_t  err;			/* 0, or a negative errno */
	uint8_t  state;			/* afterwards */
	uint64_t detach_us, attach_us;
	char     cause[GVC_STR_MAX];
	uint32_t nlosses;
	char     losses[GVC_MAX_LOSSES][128];
};

int	gvc_put_hello(struct wbuf *b, const struct gvc_hello *h, int ok);
int	gvc_get_hello(struct wbuf *b, struct gvc_hello *h, int ok);
int	gvc_put_status(struct wbuf *b, const struct gvc_status *s);
int	gvc_get_status(struct wbuf *b, struct gvc_status *s);
int	gvc_put_cmd(struct wbuf *b, const struct gvc_cmd *c);
int	gvc_get_cmd(struct wbuf *b, struct gvc_cmd *c);
int	gvc_put_result(struct wbuf *b, const struct gvc_result *r);
int	gvc_get_result(struct wbuf *b, struct gvc_result *r);
int	gvc_put_error(struct wbuf *b, int32_t err, const char *msg);
int	gvc_get_error(struct wbuf *b, int32_t *err, char *msg, size_t msgsz);

const char *gvc_state_name(int state);

#endif

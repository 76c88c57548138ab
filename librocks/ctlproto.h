/*
 * ctlproto: the messages between rockctl and the control socket of a
 * process with rocks (docs/protocol/rockctl.md), and the plain-language
 * words rockctl prints about a rock.  Pure: no I/O and no hooks, so that
 * rockctl, librocks, the Check suite and the fuzz target all link it.
 * Bump CTL_PROTO_VERSION when any of these change.
 *
 * The control socket of process PID of effective uid UID is the abstract
 * Unix stream socket "evict-rocks/UID/PID".  Frames (common/wbuf):
 *
 *   client -> server  HELLO (100)      server -> client  HELLO (100)
 *   client -> server  LIST (200)       server -> client  ROCK (201) per rock,
 *                                                        then LIST_END (202)
 *   client -> server  KILL (300)       server -> client  RESULT (301)
 *   server -> client  ERROR (399) on a malformed or unexpected frame, then
 *                     it closes
 */
#ifndef EVICT_ROCKS_CTLPROTO_H
#define EVICT_ROCKS_CTLPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/wbuf.h"

#define CTL_PROTO_VERSION 1
#define CTL_MAGIC         0x524b4354u   /* "RKCT" */
#define CTL_NAME_FMT      "evict-rocks/%lu/%ld"   /* uid, pid (abstract) */
#define CTL_NAME_PREFIX   "evict-rocks/"
#define CTL_ID_LEN        16
#define CTL_REQ_MAX       256           /* largest request payload */
#define CTL_REPLY_MAX     4096          /* largest reply payload */
#define CTL_REASON_MAX    200
#define CTL_PROGRAM_MAX   32
#define CTL_TEXT_MAX      200
#define CTL_UNKNOWN       UINT64_MAX    /* a count or time not known */
#define CTL_NEVER         UINT64_MAX    /* giveup_ms: never gives up */

enum ctl_msg {
	CTL_MSG_HELLO = 100,
	CTL_MSG_LIST = 200,
	CTL_MSG_ROCK = 201,
	CTL_MSG_LIST_END = 202,
	CTL_MSG_KILL = 300,
	CTL_MSG_RESULT = 301,
	CTL_MSG_ERROR = 399,
};

/* The numbers on the wire; librocks' own enums are mapped to these. */
enum ctl_state { CTL_UNDECIDED, CTL_CONNECTED, CTL_SUSPENDED, CTL_CLOSED };
enum ctl_role { CTL_CLIENT, CTL_SERVER };

struct ctl_hello {
	uint16_t version, flags;
	uint32_t pid, uid;
	char     program[CTL_PROGRAM_MAX];   /* the sender's comm */
};

struct ctl_addr {
	uint8_t  family;        /* 0 none, 4 IPv4, 6 IPv6 */
	uint8_t  addr[16];      /* 4 or 16 bytes used */
	uint16_t port;
};

struct ctl_rock {
	uint8_t  id[CTL_ID_LEN];
	int32_t  fd;            /* the program's fd; -1 once it closed it */
	uint8_t  role;          /* enum ctl_role */
	uint8_t  state;         /* enum ctl_state */
	struct ctl_addr local, peer;   /* as the program first saw them */
	struct ctl_addr reconnect;     /* where a reconnection goes now */
	uint64_t sent, rcvd;    /* bytes since the rock was made */
	uint64_t inflight;      /* sent, not acknowledged by the peer; CTL_UNKNOWN */
	uint64_t age_ms;        /* since the rock was made */
	uint64_t suspended_ms;  /* how long it has been suspended; 0 if not */
	uint64_t giveup_ms;     /* until it gives up (suspended); CTL_NEVER */
	uint32_t retry_ms;      /* reconnection attempts at least this often */
	uint32_t hb_ms, hb_misses;
	uint64_t last_hb_ms;    /* since the peer's last heartbeat; CTL_UNKNOWN */
	uint64_t reconnects;
	uint32_t err;           /* the errno the program gets once CLOSED */
	char     reason[CTL_REASON_MAX];   /* the library's last cause */
};

/* Encoders append one whole frame; decoders read one payload to its end. */
int ctl_put_hello(struct wbuf *b, const struct ctl_hello *h);
int ctl_get_hello(struct wbuf *pl, struct ctl_hello *h);
int ctl_put_list(struct wbuf *b);
int ctl_get_list(struct wbuf *pl);
int ctl_put_rock(struct wbuf *b, const struct ctl_rock *r);
int ctl_get_rock(struct wbuf *pl, struct ctl_rock *r);
int ctl_put_list_end(struct wbuf *b, uint32_t count, uint8_t truncated);
int ctl_get_list_end(struct wbuf *pl, uint32_t *count, uint8_t *truncated);
int ctl_put_kill(struct wbuf *b, const uint8_t id[CTL_ID_LEN]);
int ctl_get_kill(struct wbuf *pl, uint8_t id[CTL_ID_LEN]);
/* RESULT and ERROR: u32 code (0, or an errno) | str text. */
int ctl_put_result(struct wbuf *b, uint16_t type, uint32_t code,
    const char *text);
int ctl_get_result(struct wbuf *pl, uint32_t *code, char *text, size_t textsz);

/* ---- words ------------------------------------------------------------- */

void ctl_addr_set(struct ctl_addr *a, const struct sockaddr_storage *ss,
    socklen_t len);
/* "198.51.100.7:22", "[2001:db8::1]:22" or "-". */
void ctl_addr_str(const struct ctl_addr *a, char *out, size_t outsz);
/* "350 ms", "1 s", "4.2 s", "41 s", "3 min 5 s", "5 h 2 min", "2 d 23 h". */
void ctl_duration_str(uint64_t ms, char *out, size_t outsz);
/* "512 B", "1.5 KiB", "12.0 MiB". */
void ctl_bytes_str(uint64_t n, char *out, size_t outsz);
/* 32 lowercase hex digits. */
void ctl_id_str(const uint8_t id[CTL_ID_LEN], char out[2 * CTL_ID_LEN + 1]);
const char *ctl_state_str(uint8_t state);  /* "CONNECTED", ... */
const char *ctl_role_str(uint8_t role);    /* "client", "server" */
/*
 * What is going on, in a sentence: "peer 198.51.100.7:22 unreachable for
 * 41 s; retrying every 1 s; gives up in 2 d 23 h (cause: ...)".
 */
void ctl_describe(const struct ctl_rock *r, char *out, size_t outsz);

#endif

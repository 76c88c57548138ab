/*
 * rdproto: the destination request a rock client sends to rockd in its
 * general mode (docs/protocol/rockd.md).  Both messages travel inside the
 * reliable stream, as its first bytes each way, so a move during the
 * request is survived like any other.
 *
 *   client -> rockd:  hello "RKD1" v1 | frame CONNECT   (u8 family 4|6,
 *                     addr[4|16], u16 port)
 *   rockd -> client:  frame RESULT (u32 error: 0 or an errno; string reason)
 *
 * Bump RDP_VERSION and the page together when either changes.  Pure: no
 * I/O; the decoders take untrusted bytes (fuzz: tests/fuzz/fuzz_rockd_proto.c).
 */
#ifndef EVICT_ROCKD_RDPROTO_H
#define EVICT_ROCKD_RDPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/wbuf.h"

#define RDP_MAGIC        0x524b4431u    /* "RKD1" */
#define RDP_VERSION      1
#define RDP_MSG_CONNECT  100
#define RDP_MSG_RESULT   101
#define RDP_REASON_MAX   128
#define RDP_REQ_MAX      (WBUF_HELLO_LEN + FRAME_HDR_LEN + 1 + 16 + 2)
#define RDP_RES_MAX      (FRAME_HDR_LEN + 4 + 4 + RDP_REASON_MAX)

/*
 * Relay (rendezvous) mode, on a `rockd --relay` port: hello "RKD1" v1 and
 * one frame, then rockd closes (after FOUND for a LOOKUP).
 *   REGISTER  tag[16], u16 ctl_port   a suspended server rock: "find me at
 *                                     the address this comes from"
 *   LOOKUP    tag[16]                 a reconnecting client rock
 *   FOUND     u8 family (0: unknown, 4, 6), addr, u16 port
 * The tag is HMAC(challenge key, "rocks-rendezvous" | id): the relay
 * learns nothing of the key (docs/protocol/rockd.md).
 */
#define RDP_MSG_REGISTER 200
#define RDP_MSG_LOOKUP   201
#define RDP_MSG_FOUND    202
#define RDP_TAG_LEN      16
#define RDP_RV_MAX       (WBUF_HELLO_LEN + FRAME_HDR_LEN + RDP_TAG_LEN + 2)
#define RDP_FOUND_MAX    (FRAME_HDR_LEN + 1 + 16 + 2)

int rdp_put_register(struct wbuf *b, const uint8_t tag[RDP_TAG_LEN],
    uint16_t port);
int rdp_put_lookup(struct wbuf *b, const uint8_t tag[RDP_TAG_LEN]);
/* A REGISTER or a LOOKUP from p[0..n): bytes taken, 0 more needed, < 0 bad. */
int rdp_get_rendezvous(const uint8_t *p, size_t n, uint16_t *type,
    uint8_t tag[RDP_TAG_LEN], uint16_t *port);
/* sa NULL: not known. */
int rdp_put_found(struct wbuf *b, const struct sockaddr *sa);
/* *len 0 when the relay does not know. */
int rdp_get_found(const uint8_t *p, size_t n, struct sockaddr_storage *sa,
    socklen_t *len);

/* Appends the request for dst (AF_INET or AF_INET6 with a port). */
int rdp_put_connect(struct wbuf *b, const struct sockaddr *dst, socklen_t len);
/*
 * Decodes a request from p[0..n).  Returns the bytes it took (> 0) and
 * fills dst; 0 when more bytes are needed; -EBADMSG (bad magic, version,
 * type or address) or -EMSGSIZE (a length over the maximum).
 */
int rdp_get_connect(const uint8_t *p, size_t n, struct sockaddr_storage *dst,
    socklen_t *dstlen);

int rdp_put_result(struct wbuf *b, uint32_t err, const char *reason);
/* Like rdp_get_connect, for the answer; reason is NUL-terminated. */
int rdp_get_result(const uint8_t *p, size_t n, uint32_t *err, char *reason,
    size_t reasonsz);

#endif

/*
 * proto: the wire messages of reliable sockets (docs/protocol/rocks.md).
 * Bump ROCKS_PROTO_VERSION when any of these change.
 *
 *   on a new connection, after the EDP chose "rocks":
 *     client -> server  INIT      (300)
 *     server -> client  INIT_OK   (301)
 *   on a reconnection to the peer's control port (TCP), after a hello:
 *     initiator -> acceptor  RECONNECT (310)
 *     acceptor -> initiator  CHALLENGE (311)
 *     initiator -> acceptor  RESPONSE  (312)
 *     acceptor -> initiator  RESUMED   (313)   or REFUSED (314), then close
 *   heartbeats, UDP datagrams to the peer's control port: HB
 */
#ifndef EVICT_ROCKS_PROTO_H
#define EVICT_ROCKS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/wbuf.h"

#define ROCKS_PROTO_VERSION   1
#define ROCKS_MAGIC           0x524f434bu   /* "ROCK": reconnection hello */
#define ROCKS_HB_MAGIC        0x524b4842u   /* "RKHB" */
#define ROCKS_ID_LEN          16
#define ROCKS_KEY_LEN         32
#define ROCKS_NONCE_LEN       32
#define ROCKS_MAC_LEN         32
#define ROCKS_HB_MAC_LEN      16
#define ROCKS_MSG_MAX         512
#define ROCKS_HB_LEN          (4 + 1 + 1 + ROCKS_ID_LEN + 8 + 8 + 4 + ROCKS_HB_MAC_LEN)

enum rocks_msg {
	ROCKS_MSG_INIT = 300,
	ROCKS_MSG_INIT_OK = 301,
	ROCKS_MSG_RECONNECT = 310,
	ROCKS_MSG_CHALLENGE = 311,
	ROCKS_MSG_RESPONSE = 312,
	ROCKS_MSG_RESUMED = 313,
	ROCKS_MSG_REFUSED = 314,
};

struct rocks_init {
	uint8_t  pub[32];
	uint32_t sndbuf, rcvbuf;
	uint16_t ctl_port;
	uint32_t hb_ms;
	uint8_t  hb_misses;
};

struct rocks_init_ok {
	uint8_t  id[ROCKS_ID_LEN];
	uint8_t  pub[32];
	uint32_t sndbuf, rcvbuf;
	uint16_t ctl_port;
};

struct rocks_reconnect {
	uint8_t id[ROCKS_ID_LEN];
	uint8_t nonce[ROCKS_NONCE_LEN];
};

struct rocks_challenge {
	uint8_t  nonce[ROCKS_NONCE_LEN];
	uint8_t  mac[ROCKS_MAC_LEN];        /* acceptor proves the key */
};

struct rocks_resumed {
	uint64_t rcvd;                      /* acceptor's bytes taken */
	uint8_t  mac[ROCKS_MAC_LEN];
};

struct rocks_response {
	uint64_t rcvd;                      /* initiator's bytes taken */
	uint8_t  mac[ROCKS_MAC_LEN];
};

struct rocks_hb {
	uint8_t  type;                      /* 1: heartbeat */
	uint8_t  id[ROCKS_ID_LEN];
	uint64_t seq;
	uint64_t rcvd;
	uint32_t rcvbuf;
};

int rocks_put_init(struct wbuf *b, const struct rocks_init *m);
int rocks_get_init(struct wbuf *pl, struct rocks_init *m);
int rocks_put_init_ok(struct wbuf *b, const struct rocks_init_ok *m);
int rocks_get_init_ok(struct wbuf *pl, struct rocks_init_ok *m);
int rocks_put_reconnect(struct wbuf *b, const struct rocks_reconnect *m);
int rocks_get_reconnect(struct wbuf *pl, struct rocks_reconnect *m);
int rocks_put_challenge(struct wbuf *b, const struct rocks_challenge *m);
int rocks_get_challenge(struct wbuf *pl, struct rocks_challenge *m);
int rocks_put_response(struct wbuf *b, const struct rocks_response *m);
int rocks_get_response(struct wbuf *pl, struct rocks_response *m);
int rocks_put_resumed(struct wbuf *b, const struct rocks_resumed *m);
int rocks_get_resumed(struct wbuf *pl, struct rocks_resumed *m);
int rocks_put_refused(struct wbuf *b, const char *why);

/* Heartbeats carry a truncated HMAC-SHA256 under the heartbeat key. */
int rocks_hb_encode(const struct rocks_hb *hb, const uint8_t key[ROCKS_KEY_LEN],
    uint8_t out[ROCKS_HB_LEN]);
/* Parses the id without checking the MAC (to find the key). */
int rocks_hb_peek_id(const uint8_t *p, size_t n, uint8_t id[ROCKS_ID_LEN]);
int rocks_hb_decode(const uint8_t *p, size_t n, const uint8_t key[ROCKS_KEY_LEN],
    struct rocks_hb *hb);

/*
 * The MACs of the reconnection handshake (contexts in rocks.md): HMAC-SHA256
 * under the challenge key of  label | id | nonce_i | nonce_a | u64 rcvd,
 * with the labels "rocks-acceptor" (CHALLENGE, rcvd 0), "rocks-initiator"
 * (RESPONSE) and "rocks-resumed" (RESUMED).
 */
int rocks_mac_acceptor(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN]);
int rocks_mac_resumed(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN]);
int rocks_mac_initiator(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN]);

/* Derives the challenge and heartbeat keys from the X25519 secret. */
int rocks_derive_keys(const uint8_t shared[32], const uint8_t *id,
    const uint8_t pub_c[32], const uint8_t pub_s[32],
    uint8_t k_chal[ROCKS_KEY_LEN], uint8_t k_hb[ROCKS_KEY_LEN]);

#endif

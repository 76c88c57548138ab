/*
 * rpcproto: the wire of flac's rpc service (flac-rpcd, the server; the
 * rpc service in flacd, svc-rpc.c, the client).  docs/protocol/flac-rpc.md
 * is the reference.  Pure: encoders and decoders over common/wbuf, every
 * length checked (the decoders face the network and have a fuzz target).
 *
 * A connection: each side sends the hello (RPC_MAGIC, RPC_VERSION); the
 * server a CHALLENGE frame (its nonce); the client an AUTH frame (its
 * nonce and HMAC-SHA256 under the shared key of "flac-rpc client" and
 * both nonces); the server AUTH_OK (its own HMAC of "flac-rpc server" and
 * both nonces, so the client knows it too holds the key) or REFUSED.
 * Then requests, one frame each (type = operation), each answered by one
 * REPLY frame carrying the request's id and a status (0 or -errno).
 */
#ifndef FLAC_RPC_PROTO_H
#define FLAC_RPC_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "common/crypto.h"
#include "common/wbuf.h"

#define RPC_MAGIC        0x464c5250u      /* "FLRP" */
#define RPC_VERSION      1
#define RPC_PORT         7410
#define RPC_PATH_MAX     4096
#define RPC_DATA_MAX     (1u << 20)       /* bytes in one read or write */
#define RPC_FRAME_MAX    (RPC_DATA_MAX + 64)
#define RPC_NAMES_MAX    65536            /* entries in one listing */
#define RPC_NONCE_LEN    CRYPTO_CHAL_LEN

enum rpc_frame {
	RPC_CHALLENGE = 1, RPC_AUTH, RPC_AUTH_OK, RPC_REFUSED,
	RPC_REPLY = 9,
	/* operations */
	RPC_STAT = 20, RPC_OPEN, RPC_PREAD, RPC_PWRITE, RPC_FSYNC, RPC_CLOSE,
	RPC_READDIR, RPC_MKDIR, RPC_UNLINK, RPC_RMDIR, RPC_RENAME,
	RPC_SETATTR, RPC_PING,
};

/* Open flags on the wire (the O_ values differ between systems). */
#define RPC_O_RDONLY  0x0
#define RPC_O_WRONLY  0x1
#define RPC_O_RDWR    0x2
#define RPC_O_CREAT   0x10
#define RPC_O_EXCL    0x20
#define RPC_O_TRUNC   0x40
#define RPC_O_APPEND  0x80
#define RPC_O_KNOWN   0xf3

uint32_t rpc_flags_to_wire(int flags);
/* -EINVAL for bits the protocol does not know. */
int rpc_flags_from_wire(uint32_t w, int *flags);

/* A request as the server decodes it. */
struct rpc_req {
	uint16_t op;
	uint32_t id;
	char     path[RPC_PATH_MAX + 1];
	char     path2[RPC_PATH_MAX + 1];   /* RENAME's destination */
	uint32_t handle, flags, mode, count;
	uint64_t off;
	const uint8_t *data;                /* PWRITE: into the frame */
	uint8_t  has_times;
	struct timespec times[2];
};

/* The file attributes a STAT reply carries. */
struct rpc_stat {
	uint32_t mode, uid, gid, nlink;
	uint64_t size, ino;
	struct timespec atime, mtime, ctime;
};

/* The authentication MACs: role is "client" or "server". */
int rpc_auth_mac(const uint8_t *key, size_t keylen, const char *role,
    const uint8_t cnonce[RPC_NONCE_LEN], const uint8_t snonce[RPC_NONCE_LEN],
    uint8_t mac[CRYPTO_HMAC_LEN]);

/* Encoders append one whole frame to b; 0 or -errno. */
int rpc_put_challenge(struct wbuf *b, const uint8_t snonce[RPC_NONCE_LEN]);
int rpc_put_auth(struct wbuf *b, const uint8_t cnonce[RPC_NONCE_LEN],
    const uint8_t mac[CRYPTO_HMAC_LEN]);
int rpc_put_auth_ok(struct wbuf *b, const uint8_t mac[CRYPTO_HMAC_LEN]);
int rpc_put_refused(struct wbuf *b, const char *why);
/* A request: r->op and the fields that op uses. */
int rpc_put_req(struct wbuf *b, const struct rpc_req *r);
/* What a reply carries after its status (when the status is 0). */
enum rpc_result_kind {
	RPC_R_NONE = 0, RPC_R_STAT, RPC_R_VALUE, RPC_R_DATA, RPC_R_NAMES,
};

struct rpc_result {
	int kind;
	struct rpc_stat st;               /* RPC_R_STAT */
	uint32_t value;                   /* RPC_R_VALUE: handle, count */
	const void *data;                 /* RPC_R_DATA */
	size_t len;
	const char *const *names;         /* RPC_R_NAMES (encoding only) */
	uint32_t count;
};

int rpc_put_reply(struct wbuf *b, uint32_t id, int32_t status,
    const struct rpc_result *res);

/* Decoders of one frame's payload (type from frame_parse); 0 or -errno
 * (-EBADMSG for anything malformed). */
int rpc_get_nonce_mac(struct wbuf *pl, uint8_t nonce[RPC_NONCE_LEN],
    uint8_t mac[CRYPTO_HMAC_LEN], int with_nonce);
int rpc_get_req(uint16_t type, struct wbuf *pl, struct rpc_req *r);
/* A reply.  For RPC_R_NAMES, res->count names follow in pl: read them
 * with rpc_get_name. */
int rpc_get_reply(struct wbuf *pl, uint32_t *id, int32_t *status,
    struct rpc_result *res);
int rpc_get_name(struct wbuf *pl, char *out, size_t outsz);

#endif

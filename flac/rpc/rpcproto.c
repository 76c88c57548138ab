/*
 * rpcproto.c: encoders and decoders of flac's rpc protocol (rpcproto.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "flac/rpc/rpcproto.h"

#define TRY(x) do { if ((rc = (x)) < 0) return rc; } while (0)

uint32_t
rpc_flags_to_wire(int flags)
{
	uint32_t w = 0;

	switch (flags & O_ACCMODE) {
	case O_WRONLY: w = RPC_O_WRONLY; break;
	case O_RDWR:   w = RPC_O_RDWR; break;
	default:       w = RPC_O_RDONLY; break;
	}
	if (flags & O_CREAT)
		w |= RPC_O_CREAT;
	if (flags & O_EXCL)
		w |= RPC_O_EXCL;
	if (flags & O_TRUNC)
		w |= RPC_O_TRUNC;
	if (flags & O_APPEND)
		w |= RPC_O_APPEND;
	return w;
}

int
rpc_flags_from_wire(uint32_t w, int *flags)
{
	if ((w & ~(uint32_t)RPC_O_KNOWN) != 0 || (w & 3) == 3)
		return -EINVAL;
	*flags = (w & 3) == RPC_O_WRONLY ? O_WRONLY :
	    (w & 3) == RPC_O_RDWR ? O_RDWR : O_RDONLY;
	if (w & RPC_O_CREAT)
		*flags |= O_CREAT;
	if (w & RPC_O_EXCL)
		*flags |= O_EXCL;
	if (w & RPC_O_TRUNC)
		*flags |= O_TRUNC;
	if (w & RPC_O_APPEND)
		*flags |= O_APPEND;
	return 0;
}

int
rpc_auth_mac(const uint8_t *key, size_t keylen, const char *role,
    const uint8_t cnonce[RPC_NONCE_LEN], const uint8_t snonce[RPC_NONCE_LEN],
    uint8_t mac[CRYPTO_HMAC_LEN])
{
	uint8_t msg[32 + 2 * RPC_NONCE_LEN];
	size_t n = strlen("flac-rpc ") + strlen(role);

	if (n > 32)
		return -EINVAL;
	memset(msg, 0, 32);
	memcpy(msg, "flac-rpc ", 9);
	memcpy(msg + 9, role, strlen(role));
	memcpy(msg + 32, cnonce, RPC_NONCE_LEN);
	memcpy(msg + 32 + RPC_NONCE_LEN, snonce, RPC_NONCE_LEN);
	return crypto_hmac_sha256(key, keylen, msg, sizeof msg, mac);
}

/* ---- encoding ---------------------------------------------------------- */

int
rpc_put_challenge(struct wbuf *b, const uint8_t snonce[RPC_NONCE_LEN])
{
	size_t m;
	int rc;

	TRY(frame_begin(b, RPC_CHALLENGE, &m));
	TRY(wbuf_put_bytes(b, snonce, RPC_NONCE_LEN));
	return frame_end(b, m);
}

int
rpc_put_auth(struct wbuf *b, const uint8_t cnonce[RPC_NONCE_LEN],
    const uint8_t mac[CRYPTO_HMAC_LEN])
{
	size_t m;
	int rc;

	TRY(frame_begin(b, RPC_AUTH, &m));
	TRY(wbuf_put_bytes(b, cnonce, RPC_NONCE_LEN));
	TRY(wbuf_put_bytes(b, mac, CRYPTO_HMAC_LEN));
	return frame_end(b, m);
}

int
rpc_put_auth_ok(struct wbuf *b, const uint8_t mac[CRYPTO_HMAC_LEN])
{
	size_t m;
	int rc;

	TRY(frame_begin(b, RPC_AUTH_OK, &m));
	TRY(wbuf_put_bytes(b, mac, CRYPTO_HMAC_LEN));
	return frame_end(b, m);
}

int
rpc_put_refused(struct wbuf *b, const char *why)
{
	size_t m;
	int rc;

	TRY(frame_begin(b, RPC_REFUSED, &m));
	TRY(wbuf_put_str(b, why));
	return frame_end(b, m);
}

static int
put_time(struct wbuf *b, const struct timespec *t)
{
	int rc;

	TRY(wbuf_put_u64(b, (uint64_t)t->tv_sec));
	return wbuf_put_u32(b, (uint32_t)t->tv_nsec);
}

int
rpc_put_req(struct wbuf *b, const struct rpc_req *r)
{
	size_t m;
	int rc;

	TRY(frame_begin(b, r->op, &m));
	TRY(wbuf_put_u32(b, r->id));
	switch (r->op) {
	case RPC_STAT: case RPC_READDIR: case RPC_UNLINK: case RPC_RMDIR:
		TRY(wbuf_put_str(b, r->path));
		break;
	case RPC_OPEN:
		TRY(wbuf_put_str(b, r->path));
		TRY(wbuf_put_u32(b, r->flags));
		TRY(wbuf_put_u32(b, r->mode));
		break;
	case RPC_PREAD:
		TRY(wbuf_put_u32(b, r->handle));
		TRY(wbuf_put_u64(b, r->off));
		TRY(wbuf_put_u32(b, r->count));
		break;
	case RPC_PWRITE:
		TRY(wbuf_put_u32(b, r->handle));
		TRY(wbuf_put_u64(b, r->off));
		TRY(wbuf_put_blob(b, r->data, r->count));
		break;
	case RPC_FSYNC: case RPC_CLOSE:
		TRY(wbuf_put_u32(b, r->handle));
		break;
	case RPC_MKDIR:
		TRY(wbuf_put_str(b, r->path));
		TRY(wbuf_put_u32(b, r->mode));
		break;
	case RPC_RENAME:
		TRY(wbuf_put_str(b, r->path));
		TRY(wbuf_put_str(b, r->path2));
		break;
	case RPC_SETATTR:
		TRY(wbuf_put_str(b, r->path));
		TRY(wbuf_put_u32(b, r->mode));
		TRY(wbuf_put_u8(b, r->has_times));
		if (r->has_times) {
			TRY(put_time(b, &r->times[0]));
			TRY(put_time(b, &r->times[1]));
		}
		break;
	case RPC_PING:
		break;
	default:
		return -EINVAL;
	}
	return frame_end(b, m);
}

int
rpc_put_reply(struct wbuf *b, uint32_t id, int32_t status,
    const struct rpc_result *res)
{
	size_t m;
	uint32_t i;
	int rc, kind = status == 0 && res != NULL ? res->kind : RPC_R_NONE;

	TRY(frame_begin(b, RPC_REPLY, &m));
	TRY(wbuf_put_u32(b, id));
	TRY(wbuf_put_u32(b, (uint32_t)status));
	TRY(wbuf_put_u8(b, (uint8_t)kind));
	switch (kind) {
	case RPC_R_STAT:
		TRY(wbuf_put_u32(b, res->st.mode));
		TRY(wbuf_put_u32(b, res->st.uid));
		TRY(wbuf_put_u32(b, res->st.gid));
		TRY(wbuf_put_u32(b, res->st.nlink));
		TRY(wbuf_put_u64(b, res->st.size));
		TRY(wbuf_put_u64(b, res->st.ino));
		TRY(put_time(b, &res->st.atime));
		TRY(put_time(b, &res->st.mtime));
		TRY(put_time(b, &res->st.ctime));
		break;
	case RPC_R_VALUE:
		TRY(wbuf_put_u32(b, res->value));
		break;
	case RPC_R_DATA:
		TRY(wbuf_put_blob(b, res->data, res->len));
		break;
	case RPC_R_NAMES:
		TRY(wbuf_put_u32(b, res->count));
		for (i = 0; i < res->count; i++)
			TRY(wbuf_put_str(b, res->names[i]));
		break;
	default:
		break;
	}
	return frame_end(b, m);
}

/* ---- decoding ---------------------------------------------------------- */

int
rpc_get_nonce_mac(struct wbuf *pl, uint8_t nonce[RPC_NONCE_LEN],
    uint8_t mac[CRYPTO_HMAC_LEN], int with_nonce)
{
	int rc;

	if (with_nonce)
		TRY(wbuf_get_bytes(pl, nonce, RPC_NONCE_LEN));
	TRY(wbuf_get_bytes(pl, mac, CRYPTO_HMAC_LEN));
	return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
}

static int
get_time(struct wbuf *b, struct timespec *t)
{
	uint64_t s;
	uint32_t ns;
	int rc;

	TRY(wbuf_get_u64(b, &s));
	TRY(wbuf_get_u32(b, &ns));
	if (ns >= 1000000000u && ns != UTIME_NOW && ns != UTIME_OMIT)
		return -EBADMSG;
	if (s > (uint64_t)INT64_MAX)
		return -EBADMSG;
	t->tv_sec = (time_t)s;
	t->tv_nsec = (long)ns;
	return 0;
}

/* A path: not empty, no NUL (wbuf_get_str), at most RPC_PATH_MAX. */
static int
get_path(struct wbuf *b, char *out)
{
	int rc;

	TRY(wbuf_get_str(b, out, RPC_PATH_MAX + 1));
	return out[0] == '\0' ? -EBADMSG : 0;
}

int
rpc_get_req(uint16_t type, struct wbuf *pl, struct rpc_req *r)
{
	size_t n;
	int rc;

	memset(r, 0, sizeof *r);
	r->op = type;
	TRY(wbuf_get_u32(pl, &r->id));
	switch (type) {
	case RPC_STAT: case RPC_READDIR: case RPC_UNLINK: case RPC_RMDIR:
		TRY(get_path(pl, r->path));
		break;
	case RPC_OPEN:
		TRY(get_path(pl, r->path));
		TRY(wbuf_get_u32(pl, &r->flags));
		TRY(wbuf_get_u32(pl, &r->mode));
		break;
	case RPC_PREAD:
		TRY(wbuf_get_u32(pl, &r->handle));
		TRY(wbuf_get_u64(pl, &r->off));
		TRY(wbuf_get_u32(pl, &r->count));
		if (r->count > RPC_DATA_MAX)
			return -EBADMSG;
		break;
	case RPC_PWRITE:
		TRY(wbuf_get_u32(pl, &r->handle));
		TRY(wbuf_get_u64(pl, &r->off));
		TRY(wbuf_get_blob(pl, &r->data, &n, RPC_DATA_MAX));
		r->count = (uint32_t)n;
		break;
	case RPC_FSYNC: case RPC_CLOSE:
		TRY(wbuf_get_u32(pl, &r->handle));
		break;
	case RPC_MKDIR:
		TRY(get_path(pl, r->path));
		TRY(wbuf_get_u32(pl, &r->mode));
		break;
	case RPC_RENAME:
		TRY(get_path(pl, r->path));
		TRY(get_path(pl, r->path2));
		break;
	case RPC_SETATTR:
		TRY(get_path(pl, r->path));
		TRY(wbuf_get_u32(pl, &r->mode));
		TRY(wbuf_get_u8(pl, &r->has_times));
		if (r->has_times > 1)
			return -EBADMSG;
		if (r->has_times) {
			TRY(get_time(pl, &r->times[0]));
			TRY(get_time(pl, &r->times[1]));
		}
		break;
	case RPC_PING:
		break;
	default:
		return -EBADMSG;
	}
	if (r->off > (uint64_t)INT64_MAX)
		return -EBADMSG;
	return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
}

int
rpc_get_reply(struct wbuf *pl, uint32_t *id, int32_t *status,
    struct rpc_result *res)
{
	uint32_t st;
	uint8_t kind;
	int rc;

	memset(res, 0, sizeof *res);
	TRY(wbuf_get_u32(pl, id));
	TRY(wbuf_get_u32(pl, &st));
	*status = (int32_t)st;
	if (*status > 0 || *status < -4095)
		return -EBADMSG;
	TRY(wbuf_get_u8(pl, &kind));
	if (kind > RPC_R_NAMES || (kind != RPC_R_NONE && *status != 0))
		return -EBADMSG;
	res->kind = kind;
	switch (kind) {
	case RPC_R_STAT:
		TRY(wbuf_get_u32(pl, &res->st.mode));
		TRY(wbuf_get_u32(pl, &res->st.uid));
		TRY(wbuf_get_u32(pl, &res->st.gid));
		TRY(wbuf_get_u32(pl, &res->st.nlink));
		TRY(wbuf_get_u64(pl, &res->st.size));
		TRY(wbuf_get_u64(pl, &res->st.ino));
		TRY(get_time(pl, &res->st.atime));
		TRY(get_time(pl, &res->st.mtime));
		TRY(get_time(pl, &res->st.ctime));
		if (res->st.size > (uint64_t)INT64_MAX)
			return -EBADMSG;
		break;
	case RPC_R_VALUE:
		TRY(wbuf_get_u32(pl, &res->value));
		break;
	case RPC_R_DATA: {
		const uint8_t *p;

		TRY(wbuf_get_blob(pl, &p, &res->len, RPC_DATA_MAX));
		res->data = p;
		break;
	}
	case RPC_R_NAMES:
		TRY(wbuf_get_u32(pl, &res->count));
		if (res->count > RPC_NAMES_MAX ||
		    res->count > wbuf_avail(pl) / 2)
			return -EBADMSG;
		return 0;        /* the names follow: rpc_get_name */
	default:
		break;
	}
	return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
}

int
rpc_get_name(struct wbuf *pl, char *out, size_t outsz)
{
	int rc;

	TRY(wbuf_get_str(pl, out, outsz));
	/* one component: not empty, no slash, not . or .. */
	if (out[0] == '\0' || strchr(out, '/') != NULL ||
	    strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return -EBADMSG;
	return 0;
}

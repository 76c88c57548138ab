/* proto: encoders and bounds-checked decoders of rocks messages. */
#include <errno.h>
#include <string.h>

#include "common/crypto.h"
#include "librocks/proto.h"

static int
rocks_end(struct wbuf *pl)
{
	return wbuf_avail(pl) == 0 ? 0 : -EBADMSG;
}

int
rocks_put_init(struct wbuf *b, const struct rocks_init *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_INIT, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, m->pub, sizeof m->pub)) < 0 ||
	    (r = wbuf_put_u32(b, m->sndbuf)) < 0 ||
	    (r = wbuf_put_u32(b, m->rcvbuf)) < 0 ||
	    (r = wbuf_put_u16(b, m->ctl_port)) < 0 ||
	    (r = wbuf_put_u32(b, m->hb_ms)) < 0 ||
	    (r = wbuf_put_u8(b, m->hb_misses)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rocks_get_init(struct wbuf *pl, struct rocks_init *m)
{
	int r;

	if ((r = wbuf_get_bytes(pl, m->pub, sizeof m->pub)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->sndbuf)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->rcvbuf)) < 0 ||
	    (r = wbuf_get_u16(pl, &m->ctl_port)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->hb_ms)) < 0 ||
	    (r = wbuf_get_u8(pl, &m->hb_misses)) < 0)
		return r;
	if (m->ctl_port == 0 || m->hb_ms == 0 || m->hb_misses == 0)
		return -EBADMSG;
	return rocks_end(pl);
}

int
rocks_put_init_ok(struct wbuf *b, const struct rocks_init_ok *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_INIT_OK, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, m->id, sizeof m->id)) < 0 ||
	    (r = wbuf_put_bytes(b, m->pub, sizeof m->pub)) < 0 ||
	    (r = wbuf_put_u32(b, m->sndbuf)) < 0 ||
	    (r = wbuf_put_u32(b, m->rcvbuf)) < 0 ||
	    (r = wbuf_put_u16(b, m->ctl_port)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rocks_get_init_ok(struct wbuf *pl, struct rocks_init_ok *m)
{
	int r;

	if ((r = wbuf_get_bytes(pl, m->id, sizeof m->id)) < 0 ||
	    (r = wbuf_get_bytes(pl, m->pub, sizeof m->pub)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->sndbuf)) < 0 ||
	    (r = wbuf_get_u32(pl, &m->rcvbuf)) < 0 ||
	    (r = wbuf_get_u16(pl, &m->ctl_port)) < 0)
		return r;
	if (m->ctl_port == 0)
		return -EBADMSG;
	return rocks_end(pl);
}

int
rocks_put_reconnect(struct wbuf *b, const struct rocks_reconnect *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_RECONNECT, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, m->id, sizeof m->id)) < 0 ||
	    (r = wbuf_put_bytes(b, m->nonce, sizeof m->nonce)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rocks_get_reconnect(struct wbuf *pl, struct rocks_reconnect *m)
{
	int r;

	if ((r = wbuf_get_bytes(pl, m->id, sizeof m->id)) < 0 ||
	    (r = wbuf_get_bytes(pl, m->nonce, sizeof m->nonce)) < 0)
		return r;
	return rocks_end(pl);
}

int
rocks_put_challenge(struct wbuf *b, const struct rocks_challenge *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_CHALLENGE, &mark)) < 0 ||
	    (r = wbuf_put_bytes(b, m->nonce, sizeof m->nonce)) < 0 ||
	    (r = wbuf_put_bytes(b, m->mac, sizeof m->mac)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rocks_get_challenge(struct wbuf *pl, struct rocks_challenge *m)
{
	int r;

	if ((r = wbuf_get_bytes(pl, m->nonce, sizeof m->nonce)) < 0 ||
	    (r = wbuf_get_bytes(pl, m->mac, sizeof m->mac)) < 0)
		return r;
	return rocks_end(pl);
}

int
rocks_put_response(struct wbuf *b, const struct rocks_response *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_RESPONSE, &mark)) < 0 ||
	    (r = wbuf_put_u64(b, m->rcvd)) < 0 ||
	    (r = wbuf_put_bytes(b, m->mac, sizeof m->mac)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rocks_get_response(struct wbuf *pl, struct rocks_response *m)
{
	int r;

	if ((r = wbuf_get_u64(pl, &m->rcvd)) < 0 ||
	    (r = wbuf_get_bytes(pl, m->mac, sizeof m->mac)) < 0)
		return r;
	return rocks_end(pl);
}

int
rocks_put_resumed(struct wbuf *b, const struct rocks_resumed *m)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_RESUMED, &mark)) < 0 ||
	    (r = wbuf_put_u64(b, m->rcvd)) < 0 ||
	    (r = wbuf_put_bytes(b, m->mac, sizeof m->mac)) < 0)
		return r;
	return frame_end(b, mark);
}

int
rocks_get_resumed(struct wbuf *pl, struct rocks_resumed *m)
{
	int r;

	if ((r = wbuf_get_u64(pl, &m->rcvd)) < 0 ||
	    (r = wbuf_get_bytes(pl, m->mac, sizeof m->mac)) < 0)
		return r;
	return rocks_end(pl);
}

int
rocks_put_refused(struct wbuf *b, const char *why)
{
	size_t mark;
	int r;

	if ((r = frame_begin(b, ROCKS_MSG_REFUSED, &mark)) < 0 ||
	    (r = wbuf_put_str(b, why)) < 0)
		return r;
	return frame_end(b, mark);
}

/* ---- heartbeats ------------------------------------------------------------ */

static int
rocks_hb_mac(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *p, size_t n,
    uint8_t out[ROCKS_HB_MAC_LEN])
{
	uint8_t full[CRYPTO_HMAC_LEN];
	int r;

	if ((r = crypto_hmac_sha256(key, ROCKS_KEY_LEN, p, n, full)) < 0)
		return r;
	memcpy(out, full, ROCKS_HB_MAC_LEN);
	return 0;
}

int
rocks_hb_encode(const struct rocks_hb *hb, const uint8_t key[ROCKS_KEY_LEN],
    uint8_t out[ROCKS_HB_LEN])
{
	struct wbuf b;
	int r;

	wbuf_init(&b, ROCKS_HB_LEN);
	if ((r = wbuf_put_u32(&b, ROCKS_HB_MAGIC)) < 0 ||
	    (r = wbuf_put_u8(&b, ROCKS_PROTO_VERSION)) < 0 ||
	    (r = wbuf_put_u8(&b, hb->type)) < 0 ||
	    (r = wbuf_put_bytes(&b, hb->id, ROCKS_ID_LEN)) < 0 ||
	    (r = wbuf_put_u64(&b, hb->seq)) < 0 ||
	    (r = wbuf_put_u64(&b, hb->rcvd)) < 0 ||
	    (r = wbuf_put_u32(&b, hb->rcvbuf)) < 0) {
		wbuf_free(&b);
		return r;
	}
	memcpy(out, b.data, b.len);
	r = rocks_hb_mac(key, b.data, b.len, out + b.len);
	wbuf_free(&b);
	return r;
}

int
rocks_hb_peek_id(const uint8_t *p, size_t n, uint8_t id[ROCKS_ID_LEN])
{
	struct wbuf b;
	uint32_t magic;
	uint8_t ver, type;

	if (n != ROCKS_HB_LEN)
		return -EBADMSG;
	wbuf_view(&b, p, n);
	if (wbuf_get_u32(&b, &magic) < 0 || magic != ROCKS_HB_MAGIC ||
	    wbuf_get_u8(&b, &ver) < 0 || ver != ROCKS_PROTO_VERSION ||
	    wbuf_get_u8(&b, &type) < 0 ||
	    wbuf_get_bytes(&b, id, ROCKS_ID_LEN) < 0)
		return -EBADMSG;
	return 0;
}

int
rocks_hb_decode(const uint8_t *p, size_t n, const uint8_t key[ROCKS_KEY_LEN],
    struct rocks_hb *hb)
{
	uint8_t mac[ROCKS_HB_MAC_LEN];
	struct wbuf b;
	uint32_t magic;
	uint8_t ver;
	int r;

	if (n != ROCKS_HB_LEN)
		return -EBADMSG;
	if ((r = rocks_hb_mac(key, p, n - ROCKS_HB_MAC_LEN, mac)) < 0)
		return r;
	if (!crypto_equal(mac, p + n - ROCKS_HB_MAC_LEN, ROCKS_HB_MAC_LEN))
		return -EACCES;
	wbuf_view(&b, p, n - ROCKS_HB_MAC_LEN);
	if (wbuf_get_u32(&b, &magic) < 0 || magic != ROCKS_HB_MAGIC ||
	    wbuf_get_u8(&b, &ver) < 0 || ver != ROCKS_PROTO_VERSION ||
	    wbuf_get_u8(&b, &hb->type) < 0 ||
	    wbuf_get_bytes(&b, hb->id, ROCKS_ID_LEN) < 0 ||
	    wbuf_get_u64(&b, &hb->seq) < 0 ||
	    wbuf_get_u64(&b, &hb->rcvd) < 0 ||
	    wbuf_get_u32(&b, &hb->rcvbuf) < 0)
		return -EBADMSG;
	return 0;
}

/* ---- keys and handshake MACs -------------------------------------------- */

static int
rocks_mac(const uint8_t key[ROCKS_KEY_LEN], const char *role, const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN])
{
	uint8_t ctx[16 + ROCKS_ID_LEN + 2 * ROCKS_NONCE_LEN + 8];
	size_t rl = strlen(role);
	struct wbuf b;
	int r;

	/* role | id | nonce_i | nonce_a | rcvd, checked with the nonce of the asker */
	wbuf_init(&b, sizeof ctx);
	if ((r = wbuf_put_bytes(&b, role, rl)) < 0 ||
	    (r = wbuf_put_bytes(&b, id, ROCKS_ID_LEN)) < 0 ||
	    (r = wbuf_put_bytes(&b, nonce_i, ROCKS_NONCE_LEN)) < 0 ||
	    (r = wbuf_put_bytes(&b, nonce_a, ROCKS_NONCE_LEN)) < 0 ||
	    (r = wbuf_put_u64(&b, rcvd)) < 0) {
		wbuf_free(&b);
		return r;
	}
	r = crypto_hmac_sha256(key, ROCKS_KEY_LEN, b.data, b.len, mac);
	wbuf_free(&b);
	return r;
}

int
rocks_mac_acceptor(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN])
{
	return rocks_mac(key, "rocks-acceptor", id, nonce_i, nonce_a, rcvd, mac);
}

int
rocks_mac_resumed(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN])
{
	return rocks_mac(key, "rocks-resumed", id, nonce_i, nonce_a, rcvd, mac);
}

int
rocks_mac_initiator(const uint8_t key[ROCKS_KEY_LEN], const uint8_t *id,
    const uint8_t *nonce_i, const uint8_t *nonce_a, uint64_t rcvd,
    uint8_t mac[ROCKS_MAC_LEN])
{
	return rocks_mac(key, "rocks-initiator", id, nonce_i, nonce_a, rcvd, mac);
}

int
rocks_derive_keys(const uint8_t shared[32], const uint8_t *id,
    const uint8_t pub_c[32], const uint8_t pub_s[32],
    uint8_t k_chal[ROCKS_KEY_LEN], uint8_t k_hb[ROCKS_KEY_LEN])
{
	static const char info[] = "evict rocks v1 keys";
	uint8_t salt[ROCKS_ID_LEN + 64], okm[2 * ROCKS_KEY_LEN];
	int r;

	memcpy(salt, id, ROCKS_ID_LEN);
	memcpy(salt + ROCKS_ID_LEN, pub_c, 32);
	memcpy(salt + ROCKS_ID_LEN + 32, pub_s, 32);
	if ((r = crypto_hkdf_sha256(shared, 32, salt, sizeof salt, info,
	    sizeof info - 1, okm, sizeof okm)) < 0)
		return r;
	memcpy(k_chal, okm, ROCKS_KEY_LEN);
	memcpy(k_hb, okm + ROCKS_KEY_LEN, ROCKS_KEY_LEN);
	crypto_wipe(okm, sizeof okm);
	return 0;
}

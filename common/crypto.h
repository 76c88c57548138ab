/*
 * crypto: the few primitives evict needs, all over OpenSSL 3 EVP (no
 * home-made cryptography).  Every int function but crypto_equal returns 0
 * or a negative errno.  No global state: safe from any thread.  OpenSSL's
 * error queue is cleared on every failure and nothing is printed (a failure
 * is logged at debug level through common/log).
 *
 *   -EINVAL    bad argument, or a peer's key that must be refused
 *   -EMSGSIZE  a length OpenSSL cannot take (over INT_MAX)
 *   -ENOMEM    allocation failed
 *   -EIO       OpenSSL failed for another reason
 *   -EACCES    a challenge answer does not verify
 *   -EBADMSG   an AEAD record does not authenticate
 *
 * How the pieces fit (rocks, reconnect.c and auth.c):
 *   1. each end makes a crypto_kx, sends pub, and computes crypto_kx_shared;
 *   2. crypto_hkdf_sha256(shared, salt = both hellos' nonces, info = a
 *      distinct label per use) gives separate keys: one for challenges, one
 *      per direction for the AEAD;
 *   3. on reconnection the side being asked sends crypto_chal_new() nonce,
 *      the other answers with crypto_chal_answer() and the asker checks it
 *      with crypto_chal_check().
 */
#ifndef EVICT_CRYPTO_H
#define EVICT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_X25519_LEN	32	/* public, private and shared keys */
#define CRYPTO_SHA256_LEN	32
#define CRYPTO_HMAC_LEN		32
#define CRYPTO_KEY_LEN		32	/* AEAD and challenge keys */
#define CRYPTO_CHAL_LEN		32	/* challenge nonce */
#define CRYPTO_AEAD_TAG_LEN	16
#define CRYPTO_AEAD_NONCE_LEN	12
#define CRYPTO_HKDF_MAX		(255 * CRYPTO_SHA256_LEN)

/* Fills buf with n bytes from OpenSSL's CSPRNG.  0 or -EIO. */
int	crypto_random(void *buf, size_t n);

/* Overwrites n bytes in a way the compiler cannot drop (OPENSSL_cleanse). */
void	crypto_wipe(void *buf, size_t n);

/*
 * Constant-time comparison of n bytes (CRYPTO_memcmp): 1 when equal, 0 when
 * not.  The time taken depends on n only.
 */
int	crypto_equal(const void *a, const void *b, size_t n);

int	crypto_sha256(const void *data, size_t len,
	    uint8_t out[CRYPTO_SHA256_LEN]);

/* HMAC-SHA256 (EVP_MAC "HMAC").  keylen may be 0. */
int	crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
	    size_t msglen, uint8_t out[CRYPTO_HMAC_LEN]);

/*
 * HKDF-SHA256 (RFC 5869, EVP_KDF "HKDF"), extract then expand.  An empty
 * salt means HashLen zero bytes, as the RFC says; outlen is 1 to
 * CRYPTO_HKDF_MAX.
 */
int	crypto_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt,
	    size_t saltlen, const void *info, size_t infolen, void *out,
	    size_t outlen);

/*
 * X25519 key agreement (RFC 7748).  key is OpenSSL's; pub is the public key
 * to send.  A struct crypto_kx filled by _new or _from_private must be
 * released with crypto_kx_free (which also wipes it).
 */
struct evp_pkey_st;

struct crypto_kx {
	struct evp_pkey_st	*key;
	uint8_t			 pub[CRYPTO_X25519_LEN];
};

/* A fresh random key pair. */
int	crypto_kx_new(struct crypto_kx *kx);
/* A key pair from a known private key (test vectors, stored identities). */
int	crypto_kx_from_private(struct crypto_kx *kx,
	    const uint8_t priv[CRYPTO_X25519_LEN]);
/*
 * The shared secret with the peer's public key.  A low-order peer point
 * (which gives the all-zero secret, so a key anyone can compute) is refused
 * with -EINVAL.  Feed the result to HKDF; never use it as a key directly.
 */
int	crypto_kx_shared(const struct crypto_kx *kx,
	    const uint8_t peer_pub[CRYPTO_X25519_LEN],
	    uint8_t out[CRYPTO_X25519_LEN]);
void	crypto_kx_free(struct crypto_kx *kx);

/*
 * Challenge-response for reconnection.  The asker sends a fresh random
 * nonce; the answer is
 *
 *   HMAC-SHA256(key, "evict-chal-v1" | 0x00 | nonce[32] | u32 ctxlen | ctx)
 *
 * (u32 big-endian).  context must bind everything the answer is for, at the
 * least the connection id and the direction (who asks whom), so that an
 * answer cannot be reflected back to its sender nor replayed for another
 * connection; a nonce is never reused, so an old answer fails for a new one.
 * Use a key derived for challenges only (HKDF info label), not the AEAD key.
 */
int	crypto_chal_new(uint8_t nonce[CRYPTO_CHAL_LEN]);
int	crypto_chal_answer(const uint8_t key[CRYPTO_KEY_LEN],
	    const uint8_t nonce[CRYPTO_CHAL_LEN], const void *context,
	    size_t contextlen, uint8_t mac[CRYPTO_HMAC_LEN]);
/*
 * 0 when mac answers nonce under key and context; -EACCES when not (the
 * comparison is constant time).  Any other negative value means the MAC
 * could not be computed: refuse then too.
 */
int	crypto_chal_check(const uint8_t key[CRYPTO_KEY_LEN],
	    const uint8_t nonce[CRYPTO_CHAL_LEN], const void *context,
	    size_t contextlen, const uint8_t mac[CRYPTO_HMAC_LEN]);

/*
 * ChaCha20-Poly1305 (RFC 8439) records.  The 96-bit nonce is
 *
 *   00 00 00 00 | seq as u64 big-endian
 *
 * so a key must NEVER be used twice with the same seq: doing so reveals the
 * XOR of the two plaintexts and lets anyone forge records.  Use one key per
 * direction (HKDF with distinct info) and a counter that only goes up; rekey
 * before it wraps.
 *
 * seal writes ptlen + CRYPTO_AEAD_TAG_LEN bytes (ciphertext, then tag) to
 * out.  open takes that (ctlen >= CRYPTO_AEAD_TAG_LEN) and writes
 * ctlen - CRYPTO_AEAD_TAG_LEN bytes of plaintext; on -EBADMSG (wrong key,
 * seq, ad, or any changed or missing byte) the output is zeroed.  out may
 * equal the input (in place); other overlaps are not allowed.
 */
int	crypto_aead_seal(const uint8_t key[CRYPTO_KEY_LEN], uint64_t seq,
	    const void *ad, size_t adlen, const void *pt, size_t ptlen,
	    void *out);
int	crypto_aead_open(const uint8_t key[CRYPTO_KEY_LEN], uint64_t seq,
	    const void *ad, size_t adlen, const void *ct, size_t ctlen,
	    void *out);

#endif

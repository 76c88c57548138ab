/* crypto: see crypto.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/crypto.h"
#include "common/log.h"

#define CRYPTO_CHAL_LABEL	"evict-chal-v1"

/*
 * Logs (debug only) and clears what OpenSSL queued, then hands back err so
 * callers can write "return crypto_fail(...)".
 */
static int
crypto_fail(const char *func, const char *what, int err)
{
	char buf[256];
	unsigned long e;

	e = ERR_peek_last_error();
	if (evlog_level >= EVLOG_DEBUG) {
		if (e != 0)
			ERR_error_string_n(e, buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "no OpenSSL error");
		log_msg(EVLOG_DEBUG, func, "%s: %s", what, buf);
	}
	ERR_clear_error();
	return err;
}

int
crypto_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	int chunk;

	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1)
			return crypto_fail(__func__, "RAND_bytes", -EIO);
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

void
crypto_wipe(void *buf, size_t n)
{
	if (buf != NULL && n > 0)
		OPENSSL_cleanse(buf, n);
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned int outlen = 0;

	if (data == NULL && len > 0)
		return -EINVAL;
	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
	    outlen != CRYPTO_SHA256_LEN)
		return crypto_fail(__func__, "EVP_Digest", -EIO);
	return 0;
}

/* One piece of a message that is MACed without being copied together. */
struct crypto_part {
	const void	*p;
	size_t		 n;
};

static int
crypto_hmac_parts(const void *key, size_t keylen,
    const struct crypto_part *parts, size_t nparts,
    uint8_t out[CRYPTO_HMAC_LEN])
{
	static const uint8_t nokey[1];
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t i, outlen = 0;
	int r = -EIO;

	if (key == NULL && keylen > 0)
		return -EINVAL;
	/* EVP_MAC_init treats a NULL key as "keep the old one". */
	if (key == NULL)
		key = nokey;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		r = crypto_fail(__func__, "EVP_MAC_CTX_new", -ENOMEM);
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		r = crypto_fail(__func__, "EVP_MAC_init", -EIO);
		goto out;
	}
	for (i = 0; i < nparts; i++) {
		if (parts[i].n == 0)
			continue;
		if (parts[i].p == NULL) {
			r = -EINVAL;
			goto out;
		}
		if (EVP_MAC_update(ctx, parts[i].p, parts[i].n) != 1) {
			r = crypto_fail(__func__, "EVP_MAC_update", -EIO);
			goto out;
		}
	}
	if (EVP_MAC_final(ctx, out, &outlen, CRYPTO_HMAC_LEN) != 1 ||
	    outlen != CRYPTO_HMAC_LEN) {
		r = crypto_fail(__func__, "EVP_MAC_final", -EIO);
		goto out;
	}
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, uint8_t out[CRYPTO_HMAC_LEN])
{
	struct crypto_part part = { msg, msglen };

	return crypto_hmac_parts(key, keylen, &part, 1, out);
}

int
crypto_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt,
    size_t saltlen, const void *info, size_t infolen, void *out,
    size_t outlen)
{
	static const uint8_t zeros[CRYPTO_SHA256_LEN];
	OSSL_PARAM params[5], *p = params;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	int r = -EIO;

	if (outlen == 0 || outlen > CRYPTO_HKDF_MAX || out == NULL ||
	    (ikm == NULL && ikmlen > 0) || (salt == NULL && saltlen > 0) ||
	    (info == NULL && infolen > 0))
		return -EINVAL;
	/* RFC 5869 2.2: no salt is HashLen zeros; OpenSSL wants a key. */
	if (saltlen == 0) {
		salt = zeros;
		saltlen = sizeof zeros;
	}
	if (ikm == NULL)
		ikm = zeros;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)ikm, ikmlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)salt, saltlen);
	if (infolen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)(uintptr_t)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		r = crypto_fail(__func__, "EVP_KDF_CTX_new", -ENOMEM);
		goto out;
	}
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		crypto_wipe(out, outlen);
		r = crypto_fail(__func__, "EVP_KDF_derive", -EIO);
		goto out;
	}
	r = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static int
crypto_kx_fill_pub(struct crypto_kx *kx)
{
	size_t len = sizeof kx->pub;

	if (EVP_PKEY_get_raw_public_key(kx->key, kx->pub, &len) != 1 ||
	    len != sizeof kx->pub) {
		EVP_PKEY_free(kx->key);
		kx->key = NULL;
		return crypto_fail(__func__, "EVP_PKEY_get_raw_public_key",
		    -EIO);
	}
	return 0;
}

int
crypto_kx_new(struct crypto_kx *kx)
{
	memset(kx, 0, sizeof *kx);
	if ((kx->key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL)
		return crypto_fail(__func__, "EVP_PKEY_Q_keygen", -EIO);
	return crypto_kx_fill_pub(kx);
}

int
crypto_kx_from_private(struct crypto_kx *kx,
    const uint8_t priv[CRYPTO_X25519_LEN])
{
	memset(kx, 0, sizeof *kx);
	kx->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    CRYPTO_X25519_LEN);
	if (kx->key == NULL)
		return crypto_fail(__func__, "EVP_PKEY_new_raw_private_key",
		    -EIO);
	return crypto_kx_fill_pub(kx);
}

int
crypto_kx_shared(const struct crypto_kx *kx,
    const uint8_t peer_pub[CRYPTO_X25519_LEN],
    uint8_t out[CRYPTO_X25519_LEN])
{
	static const uint8_t zeros[CRYPTO_X25519_LEN];
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = CRYPTO_X25519_LEN;
	int r = -EIO;

	if (kx == NULL || kx->key == NULL) {
		crypto_wipe(out, CRYPTO_X25519_LEN);
		return -EINVAL;
	}
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub,
	    CRYPTO_X25519_LEN);
	if (peer == NULL) {
		r = crypto_fail(__func__, "EVP_PKEY_new_raw_public_key",
		    -EINVAL);
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, kx->key, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1) {
		r = crypto_fail(__func__, "EVP_PKEY_derive_init", -EIO);
		goto out;
	}
	if (EVP_PKEY_derive_set_peer(ctx, peer) != 1) {
		r = crypto_fail(__func__, "EVP_PKEY_derive_set_peer", -EINVAL);
		goto out;
	}
	/*
	 * OpenSSL itself fails the derivation when the result is all zeros
	 * (a low-order point); the only input here is the peer's, so a
	 * failure is the peer's key being refused.
	 */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != CRYPTO_X25519_LEN) {
		r = crypto_fail(__func__, "EVP_PKEY_derive", -EINVAL);
		goto out;
	}
	/* And check again ourselves, not trusting that to stay. */
	if (CRYPTO_memcmp(out, zeros, CRYPTO_X25519_LEN) == 0) {
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		crypto_wipe(out, CRYPTO_X25519_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return r;
}

void
crypto_kx_free(struct crypto_kx *kx)
{
	if (kx == NULL)
		return;
	EVP_PKEY_free(kx->key);
	crypto_wipe(kx, sizeof *kx);
	kx->key = NULL;
}

int
crypto_chal_new(uint8_t nonce[CRYPTO_CHAL_LEN])
{
	return crypto_random(nonce, CRYPTO_CHAL_LEN);
}

int
crypto_chal_answer(const uint8_t key[CRYPTO_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHAL_LEN], const void *context,
    size_t contextlen, uint8_t mac[CRYPTO_HMAC_LEN])
{
	uint8_t clen[4];
	struct crypto_part parts[4];

	if (contextlen > UINT32_MAX || (context == NULL && contextlen > 0))
		return -EINVAL;
	clen[0] = (uint8_t)(contextlen >> 24);
	clen[1] = (uint8_t)(contextlen >> 16);
	clen[2] = (uint8_t)(contextlen >> 8);
	clen[3] = (uint8_t)contextlen;
	/* The label with its NUL separates this use of the key from others. */
	parts[0] = (struct crypto_part){ CRYPTO_CHAL_LABEL,
	    sizeof CRYPTO_CHAL_LABEL };
	parts[1] = (struct crypto_part){ nonce, CRYPTO_CHAL_LEN };
	parts[2] = (struct crypto_part){ clen, sizeof clen };
	parts[3] = (struct crypto_part){ context, contextlen };
	return crypto_hmac_parts(key, CRYPTO_KEY_LEN, parts, 4, mac);
}

int
crypto_chal_check(const uint8_t key[CRYPTO_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHAL_LEN], const void *context,
    size_t contextlen, const uint8_t mac[CRYPTO_HMAC_LEN])
{
	uint8_t want[CRYPTO_HMAC_LEN];
	int r;

	if ((r = crypto_chal_answer(key, nonce, context, contextlen,
	    want)) < 0)
		return r;
	r = CRYPTO_memcmp(want, mac, CRYPTO_HMAC_LEN) == 0 ? 0 : -EACCES;
	crypto_wipe(want, sizeof want);
	return r;
}

static void
crypto_aead_nonce(uint64_t seq, uint8_t nonce[CRYPTO_AEAD_NONCE_LEN])
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

/*
 * Sets up ctx for one record and feeds the associated data.  enc is 1 to
 * seal, 0 to open.
 */
static int
crypto_aead_start(EVP_CIPHER_CTX *ctx, int enc,
    const uint8_t key[CRYPTO_KEY_LEN], uint64_t seq, const void *ad,
    size_t adlen)
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];
	int outl;

	crypto_aead_nonce(seq, nonce);
	if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL,
	    enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
	    CRYPTO_AEAD_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		return crypto_fail(__func__, "EVP_CipherInit_ex", -EIO);
	if (adlen > 0 &&
	    EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)adlen) != 1)
		return crypto_fail(__func__, "EVP_CipherUpdate(ad)", -EIO);
	return 0;
}

int
crypto_aead_seal(const uint8_t key[CRYPTO_KEY_LEN], uint64_t seq,
    const void *ad, size_t adlen, const void *pt, size_t ptlen, void *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *o = out;
	int outl = 0, finl = 0, r;

	if ((ad == NULL && adlen > 0) || (pt == NULL && ptlen > 0) ||
	    out == NULL)
		return -EINVAL;
	if (adlen > INT_MAX || ptlen > INT_MAX - CRYPTO_AEAD_TAG_LEN)
		return -EMSGSIZE;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_fail(__func__, "EVP_CIPHER_CTX_new", -ENOMEM);
	if ((r = crypto_aead_start(ctx, 1, key, seq, ad, adlen)) < 0)
		goto out;
	r = -EIO;
	if (ptlen > 0 &&
	    EVP_EncryptUpdate(ctx, o, &outl, pt, (int)ptlen) != 1) {
		r = crypto_fail(__func__, "EVP_EncryptUpdate", -EIO);
		goto out;
	}
	if (EVP_EncryptFinal_ex(ctx, o + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != ptlen) {
		r = crypto_fail(__func__, "EVP_EncryptFinal_ex", -EIO);
		goto out;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
	    CRYPTO_AEAD_TAG_LEN, o + ptlen) != 1) {
		r = crypto_fail(__func__, "EVP_CTRL_AEAD_GET_TAG", -EIO);
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		crypto_wipe(out, ptlen + CRYPTO_AEAD_TAG_LEN);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
crypto_aead_open(const uint8_t key[CRYPTO_KEY_LEN], uint64_t seq,
    const void *ad, size_t adlen, const void *ct, size_t ctlen, void *out)
{
	uint8_t tag[CRYPTO_AEAD_TAG_LEN], none[1];
	EVP_CIPHER_CTX *ctx;
	const uint8_t *c = ct;
	uint8_t *o = out != NULL ? out : none;
	size_t ptlen;
	int outl = 0, finl = 0, r;

	if (ctlen < CRYPTO_AEAD_TAG_LEN)
		return -EBADMSG;
	if ((ad == NULL && adlen > 0) || ct == NULL ||
	    (out == NULL && ctlen > CRYPTO_AEAD_TAG_LEN))
		return -EINVAL;
	if (adlen > INT_MAX || ctlen > INT_MAX)
		return -EMSGSIZE;
	ptlen = ctlen - CRYPTO_AEAD_TAG_LEN;
	/* Copied first: with out == ct the tag would be overwritten. */
	memcpy(tag, c + ptlen, sizeof tag);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_fail(__func__, "EVP_CIPHER_CTX_new", -ENOMEM);
	if ((r = crypto_aead_start(ctx, 0, key, seq, ad, adlen)) < 0)
		goto out;
	if (ptlen > 0 && EVP_DecryptUpdate(ctx, o, &outl, c, (int)ptlen) != 1) {
		r = crypto_fail(__func__, "EVP_DecryptUpdate", -EIO);
		goto out;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
	    CRYPTO_AEAD_TAG_LEN, tag) != 1) {
		r = crypto_fail(__func__, "EVP_CTRL_AEAD_SET_TAG", -EIO);
		goto out;
	}
	if (EVP_DecryptFinal_ex(ctx, o + outl, &finl) != 1) {
		r = crypto_fail(__func__, "tag mismatch", -EBADMSG);
		goto out;
	}
	r = (size_t)outl + (size_t)finl == ptlen ? 0 : -EIO;
out:
	/* Never leave unauthenticated plaintext behind. */
	if (r < 0 && ptlen > 0)
		crypto_wipe(out, ptlen);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

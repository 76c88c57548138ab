/*
 * Check suite for common/crypto: known answers from the RFCs, key agreement,
 * challenge-response refusals, AEAD tampering.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

/* Decodes hex (whitespace ignored) into out; returns the byte count. */
static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex != '\0'; hex++) {
		if (*hex == ' ' || *hex == '\n')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else
			ck_abort_msg("bad hex digit '%c'", *hex);
		if (hi < 0) {
			hi = v;
			continue;
		}
		ck_assert_uint_lt(n, max);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	ck_assert_int_eq(hi, -1);
	return n;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

/* ---- hashes, MAC, KDF ---------------------------------------------------- */

START_TEST(test_sha256_abc)
{
	uint8_t want[32], got[32];

	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    want, sizeof want);
	ck_assert_int_eq(crypto_sha256("abc", 3, got), 0);
	ck_assert_mem_eq(got, want, 32);
	/* the empty message */
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    want, sizeof want);
	ck_assert_int_eq(crypto_sha256(NULL, 0, got), 0);
	ck_assert_mem_eq(got, want, 32);
}
END_TEST

/* RFC 4231 4.3, test case 2 (and 4.2, test case 1). */
START_TEST(test_hmac_rfc4231)
{
	uint8_t key[20], want[32], got[32];

	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    want, sizeof want);
	ck_assert_int_eq(crypto_hmac_sha256("Jefe", 4,
	    "what do ya want for nothing?", 28, got), 0);
	ck_assert_mem_eq(got, want, 32);

	memset(key, 0x0b, sizeof key);
	unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    want, sizeof want);
	ck_assert_int_eq(crypto_hmac_sha256(key, sizeof key, "Hi There", 8, got),
	    0);
	ck_assert_mem_eq(got, want, 32);

	/* an empty key is a key, not "keep the last one" */
	ck_assert_int_eq(crypto_hmac_sha256(NULL, 0, "Hi There", 8, got), 0);
	ck_assert(memcmp(got, want, 32) != 0);
}
END_TEST

/* RFC 5869 A.1, test case 1, and A.3, test case 3 (no salt, no info). */
START_TEST(test_hkdf_rfc5869)
{
	uint8_t ikm[22], salt[13], info[10], want[42], got[42];
	size_t n;

	memset(ikm, 0x0b, sizeof ikm);
	unhex("000102030405060708090a0b0c", salt, sizeof salt);
	unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof info);
	n = unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865", want, sizeof want);
	ck_assert_uint_eq(n, 42);
	ck_assert_int_eq(crypto_hkdf_sha256(ikm, sizeof ikm, salt, sizeof salt,
	    info, sizeof info, got, sizeof got), 0);
	ck_assert_mem_eq(got, want, 42);

	unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8", want, sizeof want);
	ck_assert_int_eq(crypto_hkdf_sha256(ikm, sizeof ikm, NULL, 0, NULL, 0,
	    got, sizeof got), 0);
	ck_assert_mem_eq(got, want, 42);

	/* other info, other key */
	ck_assert_int_eq(crypto_hkdf_sha256(ikm, sizeof ikm, NULL, 0, "x", 1,
	    got, sizeof got), 0);
	ck_assert(memcmp(got, want, 42) != 0);

	/*
	 * Empty input key and no salt, against the RFC's definition built
	 * from HMAC: PRK = HMAC(zeros[32], ""), T(1) = HMAC(PRK, "i" | 0x01).
	 */
	{
		uint8_t zeros[32] = { 0 }, prk[32], t1[32];

		ck_assert_int_eq(crypto_hmac_sha256(zeros, 32, "", 0, prk), 0);
		ck_assert_int_eq(crypto_hmac_sha256(prk, 32, "i\1", 2, t1), 0);
		ck_assert_int_eq(crypto_hkdf_sha256(NULL, 0, NULL, 0, "i", 1,
		    got, 32), 0);
		ck_assert_mem_eq(got, t1, 32);
	}

	ck_assert_int_eq(crypto_hkdf_sha256(ikm, sizeof ikm, NULL, 0, NULL, 0,
	    got, 0), -EINVAL);
	ck_assert_int_eq(crypto_hkdf_sha256(ikm, sizeof ikm, NULL, 0, NULL, 0,
	    got, CRYPTO_HKDF_MAX + 1), -EINVAL);
}
END_TEST

START_TEST(test_equal_and_random)
{
	uint8_t a[64], b[64];

	memset(a, 0x5a, sizeof a);
	memcpy(b, a, sizeof b);
	ck_assert_int_eq(crypto_equal(a, b, sizeof a), 1);
	b[63] ^= 0x80;
	ck_assert_int_eq(crypto_equal(a, b, sizeof a), 0);
	ck_assert_int_eq(crypto_equal(a, b, 63), 1);
	ck_assert_int_eq(crypto_equal(a, b, 0), 1);

	ck_assert_int_eq(crypto_random(a, sizeof a), 0);
	ck_assert_int_eq(crypto_random(b, sizeof b), 0);
	ck_assert(memcmp(a, b, sizeof a) != 0);
	ck_assert(!all_zero(a, sizeof a));
	ck_assert_int_eq(crypto_random(a, 0), 0);

	crypto_wipe(a, sizeof a);
	ck_assert(all_zero(a, sizeof a));
}
END_TEST

/* ---- X25519 ------------------------------------------------------------ */

/* RFC 7748 6.1. */
START_TEST(test_x25519_rfc7748)
{
	uint8_t apriv[32], apub[32], bpriv[32], bpub[32], want[32], k1[32],
	    k2[32];
	struct crypto_kx a, b;

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    apriv, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	    apub, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	    bpriv, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	    bpub, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	    want, 32);

	ck_assert_int_eq(crypto_kx_from_private(&a, apriv), 0);
	ck_assert_int_eq(crypto_kx_from_private(&b, bpriv), 0);
	ck_assert_mem_eq(a.pub, apub, 32);
	ck_assert_mem_eq(b.pub, bpub, 32);
	ck_assert_int_eq(crypto_kx_shared(&a, b.pub, k1), 0);
	ck_assert_int_eq(crypto_kx_shared(&b, a.pub, k2), 0);
	ck_assert_mem_eq(k1, want, 32);
	ck_assert_mem_eq(k2, want, 32);
	crypto_kx_free(&a);
	crypto_kx_free(&b);
	ck_assert_ptr_null(a.key);
	ck_assert(all_zero(a.pub, 32));
	/* freeing twice is harmless */
	crypto_kx_free(&a);
}
END_TEST

START_TEST(test_x25519_two_parties)
{
	struct crypto_kx a, b, c;
	uint8_t ab[32], ba[32], ac[32];

	ck_assert_int_eq(crypto_kx_new(&a), 0);
	ck_assert_int_eq(crypto_kx_new(&b), 0);
	ck_assert_int_eq(crypto_kx_new(&c), 0);
	ck_assert(memcmp(a.pub, b.pub, 32) != 0);
	ck_assert_int_eq(crypto_kx_shared(&a, b.pub, ab), 0);
	ck_assert_int_eq(crypto_kx_shared(&b, a.pub, ba), 0);
	ck_assert_mem_eq(ab, ba, 32);
	ck_assert(!all_zero(ab, 32));
	ck_assert_int_eq(crypto_kx_shared(&a, c.pub, ac), 0);
	ck_assert(memcmp(ab, ac, 32) != 0);
	crypto_kx_free(&a);
	crypto_kx_free(&b);
	crypto_kx_free(&c);
}
END_TEST

START_TEST(test_x25519_low_order_refused)
{
	/* Points of small order: every one gives the all-zero secret. */
	static const char *const bad[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	struct crypto_kx a;
	uint8_t pt[32], out[32];
	size_t i;

	ck_assert_int_eq(crypto_kx_new(&a), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unhex(bad[i], pt, sizeof pt);
		memset(out, 0xee, sizeof out);
		ck_assert_msg(crypto_kx_shared(&a, pt, out) == -EINVAL,
		    "low-order point %zu accepted", i);
		ck_assert_msg(all_zero(out, sizeof out),
		    "output not wiped for point %zu", i);
	}
	crypto_kx_free(&a);
	/* no key */
	ck_assert_int_eq(crypto_kx_shared(&a, pt, out), -EINVAL);
}
END_TEST

/* ---- challenge-response ------------------------------------------------ */

struct chal_ctx {
	uint8_t	conn[8];	/* connection id */
	uint8_t	dir;		/* 'C': client answers server; 'S': reverse */
};

START_TEST(test_chal_accepts_right_key)
{
	uint8_t key[32], nonce[32], nonce2[32], mac[32];
	struct chal_ctx cx = { { 1, 2, 3, 4, 5, 6, 7, 8 }, 'C' };

	ck_assert_int_eq(crypto_random(key, sizeof key), 0);
	ck_assert_int_eq(crypto_chal_new(nonce), 0);
	ck_assert_int_eq(crypto_chal_new(nonce2), 0);
	ck_assert(memcmp(nonce, nonce2, 32) != 0);
	ck_assert_int_eq(crypto_chal_answer(key, nonce, &cx, sizeof cx, mac), 0);
	ck_assert_int_eq(crypto_chal_check(key, nonce, &cx, sizeof cx, mac), 0);
	/* an empty context is allowed (and documented as unwise) */
	ck_assert_int_eq(crypto_chal_answer(key, nonce, NULL, 0, mac), 0);
	ck_assert_int_eq(crypto_chal_check(key, nonce, NULL, 0, mac), 0);
}
END_TEST

START_TEST(test_chal_pins_construction)
{
	/* HMAC(key, "evict-chal-v1" 0x00 | nonce | u32 ctxlen | ctx) */
	uint8_t key[32], nonce[32], mac[32], want[32], msg[14 + 32 + 4 + 3];

	memset(key, 0x11, sizeof key);
	memset(nonce, 0x22, sizeof nonce);
	memcpy(msg, "evict-chal-v1", 14);
	memcpy(msg + 14, nonce, 32);
	memcpy(msg + 46, "\0\0\0\3" "abc", 7);
	ck_assert_int_eq(crypto_hmac_sha256(key, 32, msg, sizeof msg, want), 0);
	ck_assert_int_eq(crypto_chal_answer(key, nonce, "abc", 3, mac), 0);
	ck_assert_mem_eq(mac, want, 32);
}
END_TEST

START_TEST(test_chal_refusals)
{
	uint8_t key[32], key2[32], nonce[32], nonce2[32], mac[32], bad[32];
	struct chal_ctx cx = { { 1, 2, 3, 4, 5, 6, 7, 8 }, 'C' };
	struct chal_ctx other = cx;
	size_t i;

	ck_assert_int_eq(crypto_random(key, sizeof key), 0);
	memcpy(key2, key, sizeof key2);
	key2[31] ^= 1;
	ck_assert_int_eq(crypto_chal_new(nonce), 0);
	ck_assert_int_eq(crypto_chal_answer(key, nonce, &cx, sizeof cx, mac), 0);

	/* wrong key */
	ck_assert_int_eq(crypto_chal_check(key2, nonce, &cx, sizeof cx, mac),
	    -EACCES);
	/* replay: the old answer for a new nonce */
	ck_assert_int_eq(crypto_chal_new(nonce2), 0);
	ck_assert_int_eq(crypto_chal_check(key, nonce2, &cx, sizeof cx, mac),
	    -EACCES);
	/* another connection */
	other.conn[7] ^= 1;
	ck_assert_int_eq(crypto_chal_check(key, nonce, &other, sizeof other,
	    mac), -EACCES);
	/* reflected: the same nonce and connection, the other direction */
	other = cx;
	other.dir = 'S';
	ck_assert_int_eq(crypto_chal_check(key, nonce, &other, sizeof other,
	    mac), -EACCES);
	/* a shorter context (length is bound) */
	ck_assert_int_eq(crypto_chal_check(key, nonce, &cx, sizeof cx - 1, mac),
	    -EACCES);
	/* every single flipped bit of the answer */
	for (i = 0; i < 256; i++) {
		memcpy(bad, mac, sizeof bad);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		ck_assert_msg(crypto_chal_check(key, nonce, &cx, sizeof cx,
		    bad) == -EACCES, "bit %zu flipped accepted", i);
	}
	/* and the right answer still passes */
	ck_assert_int_eq(crypto_chal_check(key, nonce, &cx, sizeof cx, mac), 0);
}
END_TEST

/* ---- AEAD -------------------------------------------------------------- */

/*
 * RFC 8439 A.5: its nonce 00000000 0102030405060708 is exactly our layout
 * for seq 0x0102030405060708, so the record API itself is checked.
 */
START_TEST(test_aead_rfc8439_a5)
{
	uint8_t key[32], ad[12], pt[300], ct[300], want[300], out[300];
	size_t ptlen, n;

	unhex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
	    key, sizeof key);
	unhex("f33388860000000000004e91", ad, sizeof ad);
	ptlen = unhex(
	    "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
	    "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
	    "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
	    "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
	    "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
	    "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
	    "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
	    "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
	    "726573732e2fe2809d", pt, sizeof pt);
	ck_assert_uint_eq(ptlen, 265);
	n = unhex(
	    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
	    "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
	    "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	    "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
	    "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
	    "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	    "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
	    "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
	    "a6ad5cb4022b02709b"
	    "eead9d67890cbb22392336fea1851f38", want, sizeof want);
	ck_assert_uint_eq(n, ptlen + CRYPTO_AEAD_TAG_LEN);

	ck_assert_int_eq(crypto_aead_seal(key, 0x0102030405060708ull, ad,
	    sizeof ad, pt, ptlen, ct), 0);
	ck_assert_mem_eq(ct, want, n);
	ck_assert_int_eq(crypto_aead_open(key, 0x0102030405060708ull, ad,
	    sizeof ad, want, n, out), 0);
	ck_assert_mem_eq(out, pt, ptlen);
	/* the same bytes under the byte-swapped seq: the layout is big-endian */
	ck_assert_int_eq(crypto_aead_open(key, 0x0807060504030201ull, ad,
	    sizeof ad, want, n, out), -EBADMSG);
}
END_TEST

START_TEST(test_aead_round_trip_and_in_place)
{
	static const char msg[] = "evict: a record for the data channel";
	uint8_t key[32], buf[sizeof msg + CRYPTO_AEAD_TAG_LEN], out[sizeof msg];
	uint8_t tagonly[CRYPTO_AEAD_TAG_LEN];

	ck_assert_int_eq(crypto_random(key, sizeof key), 0);
	ck_assert_int_eq(crypto_aead_seal(key, 7, "hdr", 3, msg, sizeof msg,
	    buf), 0);
	ck_assert(memcmp(buf, msg, sizeof msg) != 0);
	ck_assert_int_eq(crypto_aead_open(key, 7, "hdr", 3, buf, sizeof buf,
	    out), 0);
	ck_assert_mem_eq(out, msg, sizeof msg);

	/* in place, both ways */
	memcpy(buf, msg, sizeof msg);
	ck_assert_int_eq(crypto_aead_seal(key, 8, NULL, 0, buf, sizeof msg,
	    buf), 0);
	ck_assert_int_eq(crypto_aead_open(key, 8, NULL, 0, buf, sizeof buf,
	    buf), 0);
	ck_assert_mem_eq(buf, msg, sizeof msg);

	/* an empty record is only a tag, and still authenticated */
	ck_assert_int_eq(crypto_aead_seal(key, 9, "x", 1, NULL, 0, tagonly), 0);
	ck_assert_int_eq(crypto_aead_open(key, 9, "x", 1, tagonly,
	    sizeof tagonly, NULL), 0);
	ck_assert_int_eq(crypto_aead_open(key, 9, "y", 1, tagonly,
	    sizeof tagonly, NULL), -EBADMSG);

	/* same key, other seq: other ciphertext */
	ck_assert_int_eq(crypto_aead_seal(key, 10, NULL, 0, msg, sizeof msg,
	    buf), 0);
	memcpy(out, buf, sizeof out);
	ck_assert_int_eq(crypto_aead_seal(key, 11, NULL, 0, msg, sizeof msg,
	    buf), 0);
	ck_assert(memcmp(out, buf, sizeof out) != 0);
}
END_TEST

START_TEST(test_aead_tampering_refused)
{
	static const char msg[] = "move the window to the other display";
	uint8_t key[32], key2[32], ct[sizeof msg + CRYPTO_AEAD_TAG_LEN],
	    bad[sizeof ct], out[sizeof msg];
	size_t i;

	ck_assert_int_eq(crypto_random(key, sizeof key), 0);
	memcpy(key2, key, sizeof key);
	key2[0] ^= 0x40;
	ck_assert_int_eq(crypto_aead_seal(key, 42, "ad", 2, msg, sizeof msg,
	    ct), 0);

	/* every single flipped bit, in the ciphertext and in the tag */
	for (i = 0; i < sizeof ct * 8; i++) {
		memcpy(bad, ct, sizeof ct);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		memset(out, 0xaa, sizeof out);
		ck_assert_msg(crypto_aead_open(key, 42, "ad", 2, bad, sizeof bad,
		    out) == -EBADMSG, "bit %zu flipped accepted", i);
		/* no unauthenticated plaintext is left behind */
		ck_assert_msg(all_zero(out, sizeof out), "output kept, bit %zu",
		    i);
	}
	/* wrong seq, wrong AD, no AD, wrong key */
	ck_assert_int_eq(crypto_aead_open(key, 43, "ad", 2, ct, sizeof ct, out),
	    -EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, 41, "ad", 2, ct, sizeof ct, out),
	    -EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, 42, "aD", 2, ct, sizeof ct, out),
	    -EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, 42, NULL, 0, ct, sizeof ct, out),
	    -EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key2, 42, "ad", 2, ct, sizeof ct,
	    out), -EBADMSG);
	/* truncated: one byte short, only a partial tag, nothing at all */
	ck_assert_int_eq(crypto_aead_open(key, 42, "ad", 2, ct, sizeof ct - 1,
	    out), -EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, 42, "ad", 2, ct,
	    CRYPTO_AEAD_TAG_LEN - 1, out), -EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, 42, "ad", 2, ct, 0, out),
	    -EBADMSG);
	/* the tag alone, as if the ciphertext had been cut off */
	ck_assert_int_eq(crypto_aead_open(key, 42, "ad", 2,
	    ct + sizeof msg, CRYPTO_AEAD_TAG_LEN, out), -EBADMSG);
	/* and the untouched record still opens */
	ck_assert_int_eq(crypto_aead_open(key, 42, "ad", 2, ct, sizeof ct, out),
	    0);
	ck_assert_mem_eq(out, msg, sizeof msg);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *kat = tcase_create("known-answers");
	TCase *kx = tcase_create("x25519");
	TCase *chal = tcase_create("challenge");
	TCase *aead = tcase_create("aead");

	tcase_add_test(kat, test_sha256_abc);
	tcase_add_test(kat, test_hmac_rfc4231);
	tcase_add_test(kat, test_hkdf_rfc5869);
	tcase_add_test(kat, test_equal_and_random);
	suite_add_tcase(s, kat);

	tcase_add_test(kx, test_x25519_rfc7748);
	tcase_add_test(kx, test_x25519_two_parties);
	tcase_add_test(kx, test_x25519_low_order_refused);
	suite_add_tcase(s, kx);

	tcase_add_test(chal, test_chal_accepts_right_key);
	tcase_add_test(chal, test_chal_pins_construction);
	tcase_add_test(chal, test_chal_refusals);
	suite_add_tcase(s, chal);

	tcase_add_test(aead, test_aead_rfc8439_a5);
	tcase_add_test(aead, test_aead_round_trip_and_in_place);
	tcase_add_test(aead, test_aead_tampering_refused);
	suite_add_tcase(s, aead);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

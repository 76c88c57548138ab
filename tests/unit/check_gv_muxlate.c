/*
 * Check suite for guievict/guimux: the id/atom hash map and the
 * translator's state machine (xlate.c): passthrough scanning, the
 * sentinel, sequence numbers through injected requests, id, atom and
 * extension translation both ways, property data, and broken streams.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/guimux/u32map.h"
#include "guievict/guimux/xlate.h"

static void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* A 32-byte event of code with a window at 4 and seq16. */
static void
mk_event(uint8_t *m, uint8_t code, uint16_t seq, uint32_t win)
{
	memset(m, 0, 32);
	m[0] = code;
	le16(m + 2, seq);
	le32(m + 4, win);
}

static void
mk_error(uint8_t *m, uint8_t code, uint16_t seq, uint32_t bad, uint8_t major)
{
	memset(m, 0, 32);
	m[0] = 0;
	m[1] = code;
	le16(m + 2, seq);
	le32(m + 4, bad);
	m[10] = major;
}

static void
mk_reply(uint8_t *m, uint16_t seq, uint32_t extra_units)
{
	memset(m, 0, 32 + 4 * extra_units);
	m[0] = 1;
	le16(m + 2, seq);
	le32(m + 4, extra_units);
}

/* ---- u32map -------------------------------------------------------------- */

START_TEST(test_map_random)
{
	struct u32map m;
	static uint32_t ref[4096];
	uint32_t v, k;
	unsigned seed = 12345;
	size_t n = 0, i, pos;
	int op;

	u32map_init(&m);
	memset(ref, 0, sizeof ref);
	ck_assert_int_eq(u32map_put(&m, 0, 1), -EINVAL);
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % 4096;
		op = (seed >> 20) % 3;
		if (k == 0)
			continue;
		if (op < 2) {
			ck_assert_int_eq(u32map_put(&m, k, k * 7 + 1), 0);
			if (ref[k] == 0)
				n++;
			ref[k] = k * 7 + 1;
		} else {
			ck_assert_int_eq(u32map_del(&m, k), ref[k] != 0);
			if (ref[k] != 0)
				n--;
			ref[k] = 0;
		}
		if (i % 997 == 0) {
			for (k = 1; k < 4096; k++) {
				int has = u32map_get(&m, k, &v);

				ck_assert_int_eq(has, ref[k] != 0);
				if (has)
					ck_assert_uint_eq(v, ref[k]);
			}
			ck_assert_uint_eq(m.n, n);
		}
	}
	pos = 0;
	i = 0;
	while (u32map_next(&m, &pos, &k, &v)) {
		ck_assert_uint_eq(ref[k], v);
		i++;
	}
	ck_assert_uint_eq(i, n);
	u32map_clear(&m);
	ck_assert(!u32map_get(&m, 5, &v));
	u32map_free(&m);
}
END_TEST

/* ---- passthrough ------------------------------------------------------------- */

START_TEST(test_scan_requests_every_split)
{
	uint8_t buf[64];
	size_t cut, total;
	struct xl x;

	memset(buf, 0, sizeof buf);
	buf[0] = 8;                  /* MapWindow, 2 units */
	le16(buf + 2, 2);
	buf[8] = 72;                 /* PutImage in BIG form: 0, then 5 units */
	le16(buf + 10, 0);
	le32(buf + 12, 5);
	buf[28] = 43;                /* GetInputFocus */
	le16(buf + 30, 1);
	total = 32;
	for (cut = 0; cut <= total; cut++) {
		xl_init(&x);
		xl_c2s_scan(&x, buf, cut);
		xl_c2s_scan(&x, buf + cut, total - cut);
		ck_assert(xl_c2s_at_boundary(&x));
		ck_assert_uint_eq(x.pseq, 3);
		ck_assert(!x.c_broken);
		xl_free(&x);
	}
	/* mid-request detection */
	xl_init(&x);
	xl_c2s_scan(&x, buf, 10);
	ck_assert(!xl_c2s_at_boundary(&x));
	xl_c2s_scan(&x, buf + 10, 18);
	ck_assert(xl_c2s_at_boundary(&x));
	ck_assert_uint_eq(x.pseq, 2);
	xl_free(&x);
	/* a BIG length below 2 is not a request: the stream is broken */
	xl_init(&x);
	memset(buf, 0, 8);
	buf[0] = 72;
	le32(buf + 4, 1);
	xl_c2s_scan(&x, buf, 8);
	ck_assert(x.c_broken);
	xl_free(&x);
}
END_TEST

START_TEST(test_scan_messages_every_split)
{
	uint8_t buf[128];
	size_t cut, total = 32 + 40 + 32;
	struct xl x;

	mk_event(buf, 12, 5, 0x400001);         /* Expose */
	mk_reply(buf + 32, 6, 2);               /* 40 bytes */
	mk_error(buf + 72, 3, 7, 0x400009, 8);
	for (cut = 0; cut <= total; cut++) {
		xl_init(&x);
		xl_s2c_scan(&x, buf, cut);
		xl_s2c_scan(&x, buf + cut, total - cut);
		ck_assert(xl_s2c_at_boundary(&x));
		ck_assert_uint_eq(x.st.messages, 3);
		xl_free(&x);
	}
}
END_TEST

/* ---- sentinel and sequence numbers ------------------------------------------------ */

static uint32_t got_tag[16];
static uint16_t got_seq[16];
static int ngot;

static void
on_inj(void *arg, uint32_t tag, const uint8_t *m, size_t len)
{
	(void)arg;
	(void)len;
	if (ngot < 16) {
		got_tag[ngot] = tag;
		got_seq[ngot] = rd16(m + 2);
	}
	ngot++;
}

START_TEST(test_sentinel_identity)
{
	uint8_t req[8], buf[256];
	size_t used, out;
	struct xl x;

	xl_init(&x);
	x.on_injected = on_inj;
	ngot = 0;
	ck_assert(xl_s2c_passthrough(&x));
	/* the program was mid-message when we switched to buffered mode */
	mk_event(buf, 12, 0x1233, 0x400001);
	xl_s2c_scan(&x, buf, 10);
	ck_assert(!xl_s2c_at_boundary(&x));
	xl_sentinel_req(&x, req);
	ck_assert_uint_eq(req[0], 14);
	ck_assert_uint_eq(rd32(req + 4), XL_SENTINEL_ID);
	ck_assert_int_eq(xl_inject(&x, req, 8, XL_TAG_SENTINEL), 0);
	ck_assert(!xl_s2c_passthrough(&x));
	/* rest of the event, an event, the sentinel's error, an event */
	memmove(buf, buf + 10, 22);
	mk_event(buf + 22, 28, 0x1233, 0x400001);
	mk_error(buf + 54, 9, 0x1234, XL_SENTINEL_ID, 14);
	mk_event(buf + 86, 12, 0x1234, 0x400001);
	out = xl_s2c(&x, buf, 118, &used);
	ck_assert_uint_eq(used, 118);
	ck_assert_uint_eq(out, 22 + 32 + 32);
	ck_assert_int_eq(ngot, 1);
	ck_assert_uint_eq(got_tag[0], XL_TAG_SENTINEL);
	ck_assert(x.calibrated);
	/* after the sentinel the program's numbers are one less */
	ck_assert_uint_eq(rd16(buf + 22 + 2), 0x1233);
	ck_assert_uint_eq(rd16(buf + 54 + 2), 0x1233);
	ck_assert_uint_eq(buf[54], 12);
	/* the program sends two requests: its numbers go on */
	req[0] = 43;
	le16(req + 2, 1);
	ck_assert_uint_eq(xl_c2s(&x, req, 4), 4);
	mk_reply(buf, 0x1235, 0);
	out = xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(out, 32);
	ck_assert_uint_eq(rd16(buf + 2), 0x1234);
	ck_assert(!xl_s2c_passthrough(&x));
	xl_free(&x);
}
END_TEST

START_TEST(test_injected_and_wrap)
{
	uint8_t req[8], buf[256];
	size_t used, out;
	struct xl x;
	int i;

	xl_init(&x);
	x.on_injected = on_inj;
	ngot = 0;
	ck_assert_int_eq(xl_set_program_range(&x, 0x400000, 0x1fffff), 0);
	/* program at 0xfff0, server at 0x7ffe: crosses 16-bit wrap on both */
	ck_assert_int_eq(xl_attach_begin(&x, 0x200000, 0x1fffff, 0x100,
	    0xfff0, 0x7ffe), 0);
	for (i = 0; i < 20; i++) {       /* 20 program requests */
		req[0] = 43;
		le16(req + 2, 1);
		ck_assert_uint_eq(xl_c2s(&x, req, 4), 4);
	}
	/* server 0x8012 is the program's 0x10004 -> 0x0004 */
	mk_reply(buf, 0x8012, 0);
	out = xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(out, 32);
	ck_assert_uint_eq(rd16(buf + 2), 0x0004);
	/* inject a kick and a quiet ClearArea, then a program request */
	xl_kick_req(&x, req);
	ck_assert_int_eq(xl_inject(&x, req, 4, XL_TAG_KICK), 0);       /* 0x8013 */
	ck_assert_int_eq(xl_inject(&x, req, 4, XL_TAG_QUIET), 0);      /* 0x8014 */
	req[0] = 43;
	ck_assert_uint_eq(xl_c2s(&x, req, 4), 4);                       /* 0x8015 */
	mk_event(buf, 12, 0x8012, 0x1);          /* before the kick */
	mk_reply(buf + 32, 0x8013, 0);           /* the kick's reply */
	mk_event(buf + 64, 12, 0x8014, 0x1);     /* Expose from ClearArea */
	mk_reply(buf + 96, 0x8015, 0);           /* the program's */
	out = xl_s2c(&x, buf, 128, &used);
	ck_assert_uint_eq(used, 128);
	ck_assert_uint_eq(out, 96);
	ck_assert_int_eq(ngot, 1);
	ck_assert_uint_eq(got_tag[0], XL_TAG_KICK);
	ck_assert_uint_eq(rd16(buf + 2), 0x0004);
	ck_assert_uint_eq(rd16(buf + 32 + 2), 0x0004);
	ck_assert_uint_eq(rd16(buf + 64 + 2), 0x0005);
	ck_assert_uint_eq(xl_injected_pending(&x), 0);
	xl_free(&x);
}
END_TEST

/* ---- ids, atoms, extensions ------------------------------------------------------ */

static void
setup_attached(struct xl *x)
{
	xl_init(x);
	x->on_injected = on_inj;
	ck_assert_int_eq(xl_set_program_range(x, 0x400000, 0x1fffff), 0);
	ck_assert_int_eq(xl_attach_begin(x, 0x600000, 0x1fffff, 0x50, 100,
	    1000), 0);
	ck_assert_int_eq(xl_map_id(x, 0x400010, 0x600001), 0);  /* window */
	ck_assert_int_eq(xl_map_id(x, 0x3be, 0x4c1), 0);        /* root */
	ck_assert_int_eq(xl_name_atom(x, 300, "WM_PROTOCOLS"), 0);
	ck_assert_int_eq(xl_name_atom(x, 301, "WM_DELETE_WINDOW"), 0);
	ck_assert_int_eq(xl_map_atom(x, 300, 400), 0);
	ck_assert_int_eq(xl_map_atom(x, 301, 401), 0);
	ck_assert_int_eq(xl_ext_program(x, "SHAPE", 129, 64, 0), 0);
	ck_assert_int_eq(xl_ext_server(x, "SHAPE", 130, 70, 0), 0);
	ck_assert_int_eq(xl_ext_program(x, "XKEYBOARD", 135, 85, 137), 0);
	ck_assert_int_eq(xl_ext_program(x, "MIT-SHM", 140, 90, 150), 0);
	ck_assert_int_eq(xl_ext_server(x, "MIT-SHM", 141, 91, 151), 0);
	xl_ext_done(x);
}

START_TEST(test_ids_both_ways)
{
	uint8_t r[64], buf[64];
	size_t used, out;
	struct xl x;
	uint32_t nid;

	setup_attached(&x);
	/* CreateWindow(wid 0x400020 new, parent 0x400010, value cursor) */
	memset(r, 0, sizeof r);
	r[0] = 1;
	r[1] = 24;
	le16(r + 2, 9);
	le32(r + 4, 0x400020);
	le32(r + 8, 0x400010);
	le32(r + 24, 0);              /* visual CopyFromParent */
	le32(r + 28, 0x4000);         /* CWCursor */
	le32(r + 32, 0x400030);       /* a cursor the program never made */
	ck_assert_uint_eq(xl_c2s(&x, r, 36), 36);
	nid = rd32(r + 4);
	ck_assert_uint_eq(nid & ~0x1fffffu, 0x600000);
	ck_assert_uint_ne(nid, 0x600001);
	ck_assert_uint_eq(rd32(r + 8), 0x600001);
	ck_assert_uint_eq(rd32(r + 24), 0);
	ck_assert_uint_eq(rd32(r + 32) & ~0x1fffffu, 0x600000);
	/* MapWindow of the new one, then a foreign window (identity) */
	memset(r, 0, 8);
	r[0] = 8;
	le16(r + 2, 2);
	le32(r + 4, 0x400020);
	ck_assert_uint_eq(xl_c2s(&x, r, 8), 8);
	ck_assert_uint_eq(rd32(r + 4), nid);
	le32(r + 4, 0x800005);
	ck_assert_uint_eq(xl_c2s(&x, r, 8), 8);
	ck_assert_uint_eq(rd32(r + 4), 0x800005);
	/* Expose of the new window comes back as the program's id */
	mk_event(buf, 12, (uint16_t)(1000 + 3), nid);
	out = xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(out, 32);
	ck_assert_uint_eq(rd32(buf + 4), 0x400020);
	ck_assert_uint_eq(rd16(buf + 2), 103);
	/* a foreign id that looks like the program's gets an alias */
	mk_event(buf, 12, 1003, 0x400099);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_ne(rd32(buf + 4), 0x400099);
	ck_assert_uint_eq(rd32(buf + 4) & ~0x1fffffu, 0x400000);
	nid = rd32(buf + 4);
	memset(r, 0, 8);
	r[0] = 8;
	le16(r + 2, 2);
	le32(r + 4, nid);
	xl_c2s(&x, r, 8);
	ck_assert_uint_eq(rd32(r + 4), 0x400099);
	/* BadWindow with the server's id comes back with the program's */
	mk_error(buf, 3, 1004, 0x600001, 8);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(rd32(buf + 4), 0x400010);
	/* QueryTree reply: root, parent and children */
	memset(r, 0, 8);
	r[0] = 15;
	le16(r + 2, 2);
	le32(r + 4, 0x400010);
	xl_c2s(&x, r, 8);
	ck_assert_uint_eq(rd32(r + 4), 0x600001);
	mk_reply(buf, 1005, 1);
	le32(buf + 8, 0x4c1);
	le32(buf + 12, 0x4c1);
	le16(buf + 16, 1);
	le32(buf + 32, 0x600001);
	out = xl_s2c(&x, buf, 36, &used);
	ck_assert_uint_eq(out, 36);
	ck_assert_uint_eq(rd32(buf + 8), 0x3be);
	ck_assert_uint_eq(rd32(buf + 32), 0x400010);
	xl_free(&x);
}
END_TEST

START_TEST(test_atoms_and_properties)
{
	uint8_t r[64], buf[64];
	size_t used, out;
	struct xl x;
	uint32_t pa;

	setup_attached(&x);
	/* ChangeProperty(WM_PROTOCOLS, ATOM, 32, [WM_DELETE_WINDOW]) */
	memset(r, 0, sizeof r);
	r[0] = 18;
	le16(r + 2, 7);
	le32(r + 4, 0x400010);
	le32(r + 8, 300);
	le32(r + 12, 4);
	r[16] = 32;
	le32(r + 20, 1);
	le32(r + 24, 301);
	xl_c2s(&x, r, 28);
	ck_assert_uint_eq(rd32(r + 4), 0x600001);
	ck_assert_uint_eq(rd32(r + 8), 400);
	ck_assert_uint_eq(rd32(r + 12), 4);
	ck_assert_uint_eq(rd32(r + 24), 401);
	/* InternAtom("FOO") -> server 555: the program gets a new atom */
	memset(r, 0, sizeof r);
	r[0] = 16;
	le16(r + 2, 3);
	le16(r + 4, 3);
	memcpy(r + 8, "FOO", 3);
	xl_c2s(&x, r, 12);
	mk_reply(buf, (uint16_t)(1000 + 2), 0);
	le32(buf + 8, 555);
	out = xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(out, 32);
	pa = rd32(buf + 8);
	ck_assert_uint_ge(pa, 302);
	ck_assert_str_eq(xl_atom_name(&x, pa), "FOO");
	ck_assert_uint_eq(xl_atom_p2s(&x, pa), 555);
	/* GetProperty reply of type ATOM with [401, 555] */
	memset(r, 0, 24);
	r[0] = 20;
	le16(r + 2, 6);
	xl_c2s(&x, r, 24);
	mk_reply(buf, 1003, 2);
	buf[1] = 32;
	le32(buf + 8, 4);
	le32(buf + 16, 2);
	le32(buf + 32, 401);
	le32(buf + 36, 555);
	xl_s2c(&x, buf, 40, &used);
	ck_assert_uint_eq(rd32(buf + 32), 301);
	ck_assert_uint_eq(rd32(buf + 36), pa);
	/* ClientMessage WM_PROTOCOLS / WM_DELETE_WINDOW from the server */
	mk_event(buf, 33, 1003, 0x600001);
	buf[1] = 32;
	le32(buf + 8, 400);
	le32(buf + 12, 401);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(rd32(buf + 4), 0x400010);
	ck_assert_uint_eq(rd32(buf + 8), 300);
	ck_assert_uint_eq(rd32(buf + 12), 301);
	/* an unknown server atom is invented on the way in, once */
	mk_event(buf, 28, 1003, 0x600001);      /* PropertyNotify atom 777 */
	le32(buf + 8, 777);
	xl_s2c(&x, buf, 32, &used);
	pa = rd32(buf + 8);
	ck_assert_uint_eq(xl_atom_p2s(&x, pa), 777);
	mk_event(buf, 28, 1003, 0x600001);
	le32(buf + 8, 777);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(rd32(buf + 8), pa);
	ck_assert_uint_eq(xl_atom_by_name(&x, "WM_NAME"), 39);
	xl_free(&x);
}
END_TEST

START_TEST(test_extensions)
{
	uint8_t r[32], buf[64];
	size_t used, out;
	struct xl x;

	setup_attached(&x);
	/* SHAPE QueryVersion (129 -> 130) */
	memset(r, 0, sizeof r);
	r[0] = 129;
	r[1] = 0;
	le16(r + 2, 1);
	xl_c2s(&x, r, 4);
	ck_assert_uint_eq(r[0], 130);
	/* XKEYBOARD is absent on the server: major 0, error back as 135 */
	r[0] = 135;
	r[1] = 3;
	xl_c2s(&x, r, 4);
	ck_assert_uint_eq(r[0], 0);
	mk_error(buf, 1, 1002, 0, 0);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(buf[10], 135);
	ck_assert_uint_eq(buf[1], 1);
	ck_assert_uint_eq(rd16(buf + 2), 102);
	/* ShapeNotify (server 70 -> program 64), sent flag kept */
	mk_event(buf, 70 | 0x80, 1002, 0x600001);
	out = xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(out, 32);
	ck_assert_uint_eq(buf[0], 64 | 0x80);
	ck_assert_uint_eq(rd32(buf + 4), 0x400010);
	/* an extension event nobody knows is dropped */
	mk_event(buf, 100, 1002, 0);
	out = xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(out, 0);
	ck_assert_uint_eq(used, 32);
	/* a MIT-SHM request (140 -> 141) and its error 151 -> 150 */
	memset(r, 0, sizeof r);
	r[0] = 140;
	le16(r + 2, 1);
	xl_c2s(&x, r, 4);
	ck_assert_uint_eq(r[0], 141);
	mk_error(buf, 151, 1003, 0, 141);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(buf[1], 150);
	ck_assert_uint_eq(buf[10], 140);
	/* QueryExtension("MIT-SHM") answered with the program's codes */
	memset(r, 0, sizeof r);
	r[0] = 98;
	le16(r + 2, 4);
	le16(r + 4, 7);
	memcpy(r + 8, "MIT-SHM", 7);
	xl_c2s(&x, r, 16);
	mk_reply(buf, 1004, 0);
	buf[8] = 1;
	buf[9] = 141;
	buf[10] = 91;
	buf[11] = 151;
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(buf[8], 1);
	ck_assert_uint_eq(buf[9], 140);
	ck_assert_uint_eq(buf[10], 90);
	ck_assert_uint_eq(buf[11], 150);
	/* QueryExtension of one the server lacks: absent */
	memset(r, 0, sizeof r);
	r[0] = 98;
	le16(r + 2, 5);
	le16(r + 4, 9);
	memcpy(r + 8, "XKEYBOARD", 9);
	xl_c2s(&x, r, 20);
	mk_reply(buf, 1005, 0);
	xl_s2c(&x, buf, 32, &used);
	ck_assert_uint_eq(buf[8], 0);
	ck_assert_uint_eq(buf[9], 0);
	xl_free(&x);
}
END_TEST

START_TEST(test_partial_and_broken)
{
	uint8_t buf[256], copy[256];
	size_t used, out, i;
	struct xl x;

	setup_attached(&x);
	/* an incomplete request stays for later */
	memset(buf, 0, 16);
	buf[0] = 8;
	le16(buf + 2, 2);
	le32(buf + 4, 0x400010);
	ck_assert_uint_eq(xl_c2s(&x, buf, 6), 0);
	ck_assert_uint_eq(xl_c2s(&x, buf, 8), 8);
	/* an incomplete reply stays for later */
	mk_reply(buf, 1001, 4);
	out = xl_s2c(&x, buf, 40, &used);
	ck_assert_uint_eq(out, 0);
	ck_assert_uint_eq(used, 0);
	/* a reply announcing 2 GB: the rest passes unchanged */
	mk_reply(buf, 1001, 0x7fffffff);
	for (i = 32; i < 200; i++)
		buf[i] = (uint8_t)i;
	memcpy(copy, buf, 200);
	out = xl_s2c(&x, buf, 200, &used);
	ck_assert(x.s_broken);
	ck_assert_uint_eq(out, 200);
	ck_assert_uint_eq(used, 200);
	ck_assert(memcmp(buf, copy, 200) == 0);
	/* a request with a bad BIG length breaks the request stream */
	memset(buf, 0, 16);
	buf[0] = 72;
	le32(buf + 4, 1);
	ck_assert_uint_eq(xl_c2s(&x, buf, 16), 16);
	ck_assert(x.c_broken);
	/* garbage everywhere does not crash */
	xl_free(&x);
	setup_attached(&x);
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	xl_c2s(&x, buf, sizeof buf);
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 53 + 5);
	xl_s2c(&x, buf, sizeof buf, &used);
	xl_free(&x);
}
END_TEST

START_TEST(test_capture_hints_tracking)
{
	uint8_t r[64];
	uint32_t v;
	struct xl x;

	setup_attached(&x);
	/* ChangeWindowAttributes(BackPixel 0x123456, BorderPixel 7) */
	memset(r, 0, sizeof r);
	r[0] = 2;
	le16(r + 2, 5);
	le32(r + 4, 0x400010);
	le32(r + 8, 0x2 | 0x8);
	le32(r + 12, 0x123456);
	le32(r + 16, 7);
	xl_c2s(&x, r, 20);
	ck_assert(u32map_get(&x.win_bg, 0x600001, &v));
	ck_assert_uint_eq(v, XL_BG_PIXEL);
	ck_assert(u32map_get(&x.win_bg_pixel, 0x600001, &v));
	ck_assert_uint_eq(v, 0x123456);
	ck_assert(u32map_get(&x.win_bd_pixel, 0x600001, &v));
	ck_assert_uint_eq(v, 7);
	/* BackPixmap None, then a pixmap: unknown */
	le16(r + 2, 4);
	le32(r + 4, 0x400010);
	le32(r + 8, 0x1);
	le32(r + 12, 0);
	xl_c2s(&x, r, 16);
	ck_assert(u32map_get(&x.win_bg, 0x600001, &v));
	ck_assert_uint_eq(v, XL_BG_NONE);
	le32(r + 4, 0x400010);
	le32(r + 12, 0x400002);
	xl_c2s(&x, r, 16);
	ck_assert(u32map_get(&x.win_bg, 0x600001, &v));
	ck_assert_uint_eq(v, XL_BG_UNKNOWN);
	/* a value list cut short changes nothing more */
	le16(r + 2, 3);
	le32(r + 4, 0x400010);
	le32(r + 8, 0x2 | 0x8);
	le32(r + 12, 1);
	xl_c2s(&x, r, 12);
	ck_assert(u32map_get(&x.win_bg, 0x600001, &v));
	ck_assert_uint_eq(v, XL_BG_UNKNOWN);
	/* fonts opened and GCs given a font are marked */
	memset(r, 0, sizeof r);
	r[0] = 45;			/* OpenFont fid 0x400040 "fixed" */
	le16(r + 2, 5);
	le32(r + 4, 0x400040);
	le16(r + 8, 5);
	memcpy(r + 12, "fixed", 5);
	xl_c2s(&x, r, 20);
	ck_assert(u32map_get(&x.hint_dirty, xl_id_p2s(&x, 0x400040), NULL));
	memset(r, 0, sizeof r);
	r[0] = 56;			/* ChangeGC(0x400010, GCFont) */
	le16(r + 2, 4);
	le32(r + 4, 0x400010);
	le32(r + 8, 0x4000);
	le32(r + 12, 0x400040);
	xl_c2s(&x, r, 16);
	ck_assert(u32map_get(&x.hint_dirty, 0x600001, NULL));
	/* a 4-byte OpenFont is read no further than it goes */
	memset(r, 0, sizeof r);
	r[0] = 45;
	le16(r + 2, 1);
	ck_assert_uint_eq(xl_c2s(&x, r, 4), 4);
	xl_free(&x);
}
END_TEST

static uint32_t font_needed[4];
static int nfont_needed;

static void
on_font_needed(void *arg, uint32_t font)
{
	(void)arg;
	if (nfont_needed < 4)
		font_needed[nfont_needed] = font;
	nfont_needed++;
}

START_TEST(test_gc_grab_font_tracking)
{
	const struct xl_gcset *g;
	uint8_t r[64];
	struct xl x;

	setup_attached(&x);
	ck_assert_int_eq(xl_map_id(&x, 0x400020, 0x600002), 0);  /* GC */
	ck_assert_int_eq(xl_map_id(&x, 0x400021, 0x600003), 0);  /* GC */
	ck_assert_int_eq(xl_map_id(&x, 0x400030, 0x700001), 0);  /* font */
	ck_assert_int_eq(xl_map_id(&x, 0x400031, 0x700002), 0);  /* font */
	u32map_put(&x.fonts_deferred, 0x700001, 1);
	u32map_put(&x.fonts_deferred, 0x700002, 1);
	x.on_font_needed = on_font_needed;
	nfont_needed = 0;
	ck_assert_ptr_null(xl_gc_changes(&x, 0x600002));
	/* ChangeGC(foreground 0x111, line width 3): followed, by server id */
	memset(r, 0, sizeof r);
	r[0] = 56;
	le16(r + 2, 5);
	le32(r + 4, 0x400020);
	le32(r + 8, 0x4 | 0x10);
	le32(r + 12, 0x111);
	le32(r + 16, 3);
	xl_c2s(&x, r, 20);
	g = xl_gc_changes(&x, 0x600002);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->mask, 0x4 | 0x10);
	ck_assert_uint_eq(g->v[2], 0x111);
	ck_assert_uint_eq(g->v[4], 3);
	ck_assert(!u32map_get(&x.gc_dirty, 0x600002, NULL));
	/* later values win; a list cut short makes the GC one to probe */
	le16(r + 2, 4);
	le32(r + 8, 0x4);
	le32(r + 12, 0x222);
	xl_c2s(&x, r, 16);
	ck_assert_uint_eq(xl_gc_changes(&x, 0x600002)->v[2], 0x222);
	le16(r + 2, 3);
	le32(r + 8, 0x4 | 0x8);
	xl_c2s(&x, r, 12);
	ck_assert(u32map_get(&x.gc_dirty, 0x600002, NULL));
	/* a tile is not followed; nor SetDashes, SetClipRectangles, CopyGC */
	memset(r, 0, sizeof r);
	r[0] = 56;
	le16(r + 2, 4);
	le32(r + 4, 0x400021);
	le32(r + 8, 0x400);
	le32(r + 12, 0x400010);
	xl_c2s(&x, r, 16);
	ck_assert(u32map_get(&x.gc_dirty, 0x600003, NULL));
	u32map_clear(&x.gc_dirty);
	memset(r, 0, sizeof r);
	r[0] = 58;			/* SetDashes(0x400021, 0, [4, 4]) */
	le16(r + 2, 4);
	le32(r + 4, 0x400021);
	le16(r + 10, 2);
	r[12] = r[13] = 4;
	xl_c2s(&x, r, 16);
	ck_assert(u32map_get(&x.gc_dirty, 0x600003, NULL));
	u32map_clear(&x.gc_dirty);
	memset(r, 0, sizeof r);
	r[0] = 57;			/* CopyGC(0x400020 -> 0x400021, fg) */
	le16(r + 2, 4);
	le32(r + 4, 0x400020);
	le32(r + 8, 0x400021);
	le32(r + 12, 0x4);
	xl_c2s(&x, r, 16);
	ck_assert(u32map_get(&x.gc_dirty, 0x600003, NULL));
	ck_assert(!u32map_get(&x.gc_dirty, 0x600002, NULL));
	/* grabs */
	ck_assert_int_eq(x.grabs_dirty, 0);
	memset(r, 0, sizeof r);
	r[0] = 34;			/* UngrabKey(any, 0x400010, any) */
	le16(r + 2, 3);
	le32(r + 4, 0x400010);
	le16(r + 8, 0x8000);
	xl_c2s(&x, r, 12);
	ck_assert_int_eq(x.grabs_dirty, 1);
	/* a deferred font: its first naming calls back, once, before ... */
	memset(r, 0, sizeof r);
	r[0] = 47;			/* QueryFont(0x400030) */
	le16(r + 2, 2);
	le32(r + 4, 0x400030);
	xl_c2s(&x, r, 8);
	ck_assert_int_eq(nfont_needed, 1);
	ck_assert_uint_eq(font_needed[0], 0x700001);
	ck_assert_uint_eq(rd32(r + 4), 0x700001);
	le32(r + 4, 0x400030);
	xl_c2s(&x, r, 8);
	ck_assert_int_eq(nfont_needed, 1);
	/* ... as a GC's font, too */
	memset(r, 0, sizeof r);
	r[0] = 56;
	le16(r + 2, 4);
	le32(r + 4, 0x400020);
	le32(r + 8, 0x4000);
	le32(r + 12, 0x400031);
	xl_c2s(&x, r, 16);
	ck_assert_int_eq(nfont_needed, 2);
	ck_assert_uint_eq(font_needed[1], 0x700002);
	ck_assert_uint_eq(x.fonts_deferred.n, 0);
	/* an attach forgets all of it */
	ck_assert_int_eq(xl_attach_begin(&x, 0x800000, 0x1fffff, 0x10, 200,
	    2000), 0);
	ck_assert_ptr_null(xl_gc_changes(&x, 0x600002));
	ck_assert_int_eq(x.grabs_dirty, 0);
	xl_free(&x);
}
END_TEST

static Suite *
muxlate_suite(void)
{
	Suite *s = suite_create("gv_muxlate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_map_random);
	tcase_add_test(tc, test_scan_requests_every_split);
	tcase_add_test(tc, test_scan_messages_every_split);
	tcase_add_test(tc, test_sentinel_identity);
	tcase_add_test(tc, test_injected_and_wrap);
	tcase_add_test(tc, test_ids_both_ways);
	tcase_add_test(tc, test_atoms_and_properties);
	tcase_add_test(tc, test_extensions);
	tcase_add_test(tc, test_partial_and_broken);
	tcase_add_test(tc, test_capture_hints_tracking);
	tcase_add_test(tc, test_gc_grab_font_tracking);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(muxlate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

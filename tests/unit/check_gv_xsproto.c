/* Check suite for guievict/xsession/xproto: the X11 wire codec. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/xsession/xproto.h"

/* Little-endian writers for building test messages. */
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

static int
has_ref(const struct xp_ref *r, int n, uint32_t off, int kind, int flags)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].off == off && r[i].kind == kind && r[i].flags == flags)
			return 1;
	return 0;
}

START_TEST(test_split_requests)
{
	struct xp_conn cx;
	struct xp_req rq;
	uint8_t buf[64];
	int n;

	xp_conn_init(&cx, 0);
	memset(buf, 0, sizeof buf);
	buf[0] = 8;                 /* MapWindow, 2 units */
	le16(buf + 2, 2);
	le32(buf + 4, 0x400003);
	buf[8] = 43;                /* GetInputFocus, 1 unit */
	le16(buf + 10, 1);
	ck_assert_int_eq(xp_req_next(&cx, buf, 3, &rq), 0);
	ck_assert_int_eq(xp_req_next(&cx, buf, 7, &rq), 0);
	ck_assert_uint_eq(cx.seq, 0);
	n = xp_req_next(&cx, buf, 12, &rq);
	ck_assert_int_eq(n, 8);
	ck_assert_uint_eq(rq.major, 8);
	ck_assert_uint_eq(rq.seq, 1);
	ck_assert_uint_eq(rq.hdr, 4);
	n = xp_req_next(&cx, buf + 8, 4, &rq);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(rq.seq, 2);
	ck_assert_uint_eq(cx.seq, 2);
}
END_TEST

START_TEST(test_big_requests)
{
	struct xp_conn cx;
	struct xp_req rq;
	struct xp_ref refs[4];
	uint8_t buf[32];
	int n;

	xp_conn_init(&cx, 0);
	memset(buf, 0, sizeof buf);
	buf[0] = 72;                /* PutImage in the long form */
	le16(buf + 2, 0);
	le32(buf + 4, 8);           /* 8 units = 32 bytes */
	le32(buf + 8, 0x200001);    /* drawable */
	le32(buf + 12, 0x200002);   /* gc */
	/* length 0 without BIG-REQUESTS: malformed */
	ck_assert_int_eq(xp_req_next(&cx, buf, sizeof buf, &rq), -EBADMSG);
	cx.bigreq = 1;
	ck_assert_int_eq(xp_req_next(&cx, buf, 6, &rq), 0);
	ck_assert_int_eq(xp_req_next(&cx, buf, 31, &rq), 0);
	n = xp_req_next(&cx, buf, sizeof buf, &rq);
	ck_assert_int_eq(n, 32);
	ck_assert_uint_eq(rq.hdr, 8);
	ck_assert_uint_eq(xp_req_off(&rq, 4), 8);
	n = xp_req_refs(&cx, &rq, refs, 4);
	ck_assert_int_eq(n, 2);
	ck_assert(has_ref(refs, n, 8, XP_K_DRAWABLE, 0));
	ck_assert(has_ref(refs, n, 12, XP_K_GC, 0));
	ck_assert_uint_eq(xp_ref_get(&cx, buf, &refs[0]), 0x200001);
	/* a long length below 2 units is malformed */
	le32(buf + 4, 1);
	ck_assert_int_eq(xp_req_next(&cx, buf, sizeof buf, &rq), -EBADMSG);
	/* over the limit */
	cx.max_msg = 16;
	le32(buf + 4, 8);
	ck_assert_int_eq(xp_req_next(&cx, buf, sizeof buf, &rq), -EMSGSIZE);
}
END_TEST

START_TEST(test_create_window_refs)
{
	struct xp_conn cx;
	struct xp_req rq;
	struct xp_ref refs[16];
	uint8_t buf[64];
	int n;

	xp_conn_init(&cx, 0);
	memset(buf, 0, sizeof buf);
	buf[0] = 1;
	buf[1] = 24;
	le16(buf + 2, 12);          /* 32 + 4 values = 48 bytes */
	le32(buf + 4, 0x400010);    /* wid */
	le32(buf + 8, 0x123);       /* parent */
	le32(buf + 24, 0x21);       /* visual */
	/* background-pixmap, border-pixel, colormap, cursor */
	le32(buf + 28, 0x1 | 0x8 | 0x2000 | 0x4000);
	le32(buf + 32, 0x400011);
	le32(buf + 36, 0xff);
	le32(buf + 40, 0x400012);
	le32(buf + 44, 0x400013);
	ck_assert_int_eq(xp_req_next(&cx, buf, 48, &rq), 48);
	n = xp_req_refs(&cx, &rq, refs, 16);
	ck_assert_int_eq(n, 6);
	ck_assert(has_ref(refs, n, 4, XP_K_WINDOW, XP_REF_NEW));
	ck_assert(has_ref(refs, n, 8, XP_K_WINDOW, 0));
	ck_assert(has_ref(refs, n, 24, XP_K_VISUAL, 0));
	ck_assert(has_ref(refs, n, 32, XP_K_PIXMAP, 0));
	ck_assert(has_ref(refs, n, 40, XP_K_COLORMAP, 0));
	ck_assert(has_ref(refs, n, 44, XP_K_CURSOR, 0));
	/* too little room: the count still tells the need */
	ck_assert_int_eq(xp_req_refs(&cx, &rq, refs, 2), 6);
	/* values announced but cut off */
	le16(buf + 2, 11);
	ck_assert_int_eq(xp_req_next(&cx, buf, 44, &rq), 44);
	ck_assert_int_eq(xp_req_refs(&cx, &rq, refs, 16), -EBADMSG);
}
END_TEST

START_TEST(test_msb_and_special_requests)
{
	struct xp_conn cx;
	struct xp_req rq;
	struct xp_ref refs[16];
	uint8_t buf[64];
	int n;

	/* ConfigureWindow, MSB first: sibling in a 16-bit mask list */
	xp_conn_init(&cx, 1);
	memset(buf, 0, sizeof buf);
	buf[0] = 12;
	buf[3] = 5;                 /* 20 bytes */
	buf[4] = 0x00; buf[5] = 0x40; buf[6] = 0; buf[7] = 3;
	buf[8] = 0; buf[9] = 0x60;  /* sibling | stack-mode */
	buf[12] = 0; buf[13] = 0x40; buf[14] = 0; buf[15] = 9;
	ck_assert_int_eq(xp_req_next(&cx, buf, 20, &rq), 20);
	n = xp_req_refs(&cx, &rq, refs, 16);
	ck_assert_int_eq(n, 2);
	ck_assert(has_ref(refs, n, 12, XP_K_WINDOW, 0));
	ck_assert_uint_eq(xp_ref_get(&cx, buf, &refs[1]), 0x400009);
	xp_ref_put(&cx, buf, &refs[1], 0x00a00001);
	ck_assert_uint_eq(buf[13], 0xa0);

	/* PolyText8 with a font shift (always MSB first) between strings */
	xp_conn_init(&cx, 0);
	memset(buf, 0, sizeof buf);
	buf[0] = 74;
	le16(buf + 2, 8);           /* 32 bytes */
	le32(buf + 4, 0x1);
	le32(buf + 8, 0x2);
	buf[16] = 2; buf[17] = 0; buf[18] = 'h'; buf[19] = 'i';
	buf[20] = 255; buf[21] = 0x00; buf[22] = 0x40; buf[23] = 0x00;
	buf[24] = 0x05;
	buf[25] = 1; buf[26] = 0; buf[27] = 'x';
	ck_assert_int_eq(xp_req_next(&cx, buf, 32, &rq), 32);
	n = xp_req_refs(&cx, &rq, refs, 16);
	ck_assert_int_eq(n, 3);
	ck_assert(has_ref(refs, n, 21, XP_K_FONT, XP_REF_MSB));
	ck_assert_uint_eq(xp_ref_get(&cx, buf, &refs[2]), 0x400005);

	/* SendEvent of a ConfigureNotify: the event's windows too */
	memset(buf, 0, sizeof buf);
	buf[0] = 25;
	le16(buf + 2, 11);
	le32(buf + 4, 0x10);
	buf[12] = 22;
	le32(buf + 16, 0x11);
	le32(buf + 20, 0x12);
	le32(buf + 24, 0x13);
	ck_assert_int_eq(xp_req_next(&cx, buf, 44, &rq), 44);
	n = xp_req_refs(&cx, &rq, refs, 16);
	ck_assert_int_eq(n, 4);
	ck_assert(has_ref(refs, n, 16, XP_K_WINDOW, 0));
	ck_assert(has_ref(refs, n, 24, XP_K_WINDOW, 0));

	/* RotateProperties: the atoms of its list */
	memset(buf, 0, sizeof buf);
	buf[0] = 114;
	le16(buf + 2, 5);
	le32(buf + 4, 0x10);
	le16(buf + 8, 2);           /* n */
	ck_assert_int_eq(xp_req_next(&cx, buf, 20, &rq), 20);
	ck_assert_int_eq(xp_req_refs(&cx, &rq, refs, 16), 3);
	le16(buf + 8, 3);
	ck_assert_int_eq(xp_req_refs(&cx, &rq, refs, 16), -EBADMSG);
}
END_TEST

START_TEST(test_extension_requests)
{
	struct xp_conn cx;
	struct xp_req rq;
	struct xp_ref refs[16];
	uint8_t buf[64];
	int n;

	xp_conn_init(&cx, 0);
	ck_assert_int_eq(xp_ext_by_name("RENDER", 6), XP_EXT_RENDER);
	ck_assert_int_eq(xp_ext_by_name("RANDR", 5), -ENOENT);
	ck_assert_int_eq(xp_conn_set_ext(&cx, XP_EXT_RENDER, 139, 0, 150), 0);
	ck_assert_int_eq(xp_conn_set_ext(&cx, XP_EXT_SHAPE, 129, 64, 0), 0);
	ck_assert_int_eq(xp_conn_set_ext(&cx, XP_EXT_SHAPE, 12, 64, 0), -EINVAL);

	/* RENDER CompositeGlyphs8: a glyphset switch inside the list */
	memset(buf, 0, sizeof buf);
	buf[0] = 139;
	buf[1] = 23;
	le16(buf + 2, 12);          /* 48 bytes */
	le32(buf + 8, 0x1);
	le32(buf + 12, 0x2);
	le32(buf + 20, 0x3);
	buf[28] = 255;              /* glyphset change */
	le32(buf + 36, 0x4);
	buf[40] = 2;                /* two glyphs */
	ck_assert_int_eq(xp_req_next(&cx, buf, 48, &rq), 48);
	ck_assert_int_eq(rq.ext, XP_EXT_RENDER);
	n = xp_req_refs(&cx, &rq, refs, 16);
	ck_assert_int_eq(n, 5);
	ck_assert(has_ref(refs, n, 20, XP_K_GLYPHSET, 0));
	ck_assert(has_ref(refs, n, 36, XP_K_GLYPHSET, 0));

	/* SHAPE Mask: destination window and source pixmap */
	memset(buf, 0, sizeof buf);
	buf[0] = 129;
	buf[1] = 2;
	le16(buf + 2, 5);
	ck_assert_int_eq(xp_req_next(&cx, buf, 20, &rq), 20);
	n = xp_req_refs(&cx, &rq, refs, 16);
	ck_assert_int_eq(n, 2);
	ck_assert(has_ref(refs, n, 8, XP_K_WINDOW, 0));
	ck_assert(has_ref(refs, n, 16, XP_K_PIXMAP, 0));

	/* an extension this codec does not know */
	buf[0] = 140;
	ck_assert_int_eq(xp_req_next(&cx, buf, 20, &rq), 20);
	ck_assert_int_eq(rq.ext, -1);
	ck_assert_int_eq(xp_req_refs(&cx, &rq, refs, 16), -ENOENT);
}
END_TEST

START_TEST(test_server_stream)
{
	struct xp_conn cx;
	struct xp_msg m;
	struct xp_ref refs[16], ref;
	uint8_t buf[128];
	int n;

	xp_conn_init(&cx, 0);
	cx.seq = 0x10005;           /* past one wrap */
	memset(buf, 0, sizeof buf);
	/* a QueryTree reply with 2 children: 32 + 8 bytes */
	buf[0] = 1;
	le16(buf + 2, 0x0004);
	le32(buf + 4, 2);
	le32(buf + 8, 0x100);
	le32(buf + 12, 0x101);
	le16(buf + 16, 2);
	le32(buf + 32, 0x400001);
	le32(buf + 36, 0x400002);
	/* then an Expose event and a KeymapNotify */
	buf[40] = 12;
	le16(buf + 42, 0x0005);
	le32(buf + 44, 0x400001);
	buf[72] = 11;
	ck_assert_int_eq(xp_msg_next(&cx, buf, 39, &m), 0);
	n = xp_msg_next(&cx, buf, 104, &m);
	ck_assert_int_eq(n, 40);
	ck_assert_int_eq(m.kind, XP_MSG_REPLY);
	ck_assert_uint_eq(m.seq, 0x10004);
	n = xp_reply_refs(&cx, 15, 0, m.p, m.len, refs, 16);
	ck_assert_int_eq(n, 4);
	ck_assert(has_ref(refs, n, 36, XP_K_WINDOW, 0));
	/* the child count lies: malformed */
	le16(buf + 16, 3);
	ck_assert_int_eq(xp_reply_refs(&cx, 15, 0, buf, 40, refs, 16), -EBADMSG);
	n = xp_msg_next(&cx, buf + 40, 64, &m);
	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(m.kind, XP_MSG_EVENT);
	ck_assert_uint_eq(m.code, 12);
	ck_assert_uint_eq(m.seq, 0x10005);
	ck_assert_int_eq(xp_event_refs(&cx, m.p, m.len, refs, 16), 1);
	n = xp_msg_next(&cx, buf + 72, 32, &m);
	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(m.has_seq, 0);
	/* an error naming a bad window */
	memset(buf, 0, 32);
	buf[1] = 3;
	ck_assert_int_eq(xp_msg_next(&cx, buf, 32, &m), 32);
	ck_assert_int_eq(m.kind, XP_MSG_ERROR);
	ck_assert_int_eq(xp_error_ref(&cx, buf, 32, &ref), 1);
	ck_assert_uint_eq(ref.kind, XP_K_WINDOW);
	buf[1] = 2;                 /* BadValue: a number, not an id */
	ck_assert_int_eq(xp_error_ref(&cx, buf, 32, &ref), 0);
	/* a reply longer than allowed */
	buf[0] = 1;
	le32(buf + 4, 0x40000000);
	ck_assert_int_eq(xp_msg_next(&cx, buf, 32, &m), -EMSGSIZE);
}
END_TEST

START_TEST(test_seq_widen)
{
	ck_assert_uint_eq(xp_seq_widen(5, 5), 5);
	ck_assert_uint_eq(xp_seq_widen(5, 3), 3);
	ck_assert_uint_eq(xp_seq_widen(0x10002, 0xfffe), 0xfffe);
	ck_assert_uint_eq(xp_seq_widen(0x10002, 0x0001), 0x10001);
	ck_assert_uint_eq(xp_seq_widen(0x3ffff, 0xffff), 0x3ffff);
}
END_TEST

START_TEST(test_setups)
{
	struct xp_client_setup cs;
	struct xp_setup s;
	uint8_t buf[256];
	size_t off;
	int n;

	/* client: 'l', 11.0, auth "MIT-MAGIC-COOKIE-1" + 16 bytes */
	memset(buf, 0, sizeof buf);
	buf[0] = 'l';
	le16(buf + 2, 11);
	le16(buf + 6, 18);
	le16(buf + 8, 16);
	memcpy(buf + 12, "MIT-MAGIC-COOKIE-1", 18);
	ck_assert_int_eq(xp_client_setup_parse(buf, 47, &cs), 0);
	n = xp_client_setup_parse(buf, 48, &cs);
	ck_assert_int_eq(n, 12 + 20 + 16);
	ck_assert_int_eq(cs.msb, 0);
	ck_assert_uint_eq(cs.auth_name_len, 18);
	buf[0] = 'x';
	ck_assert_int_eq(xp_client_setup_parse(buf, 48, &cs), -EBADMSG);

	/* server: one format, one screen with one depth of one visual */
	memset(buf, 0, sizeof buf);
	buf[0] = 1;
	le16(buf + 2, 11);
	off = 40 + 4 + 8 + 40 + 8 + 24;      /* vendor "Xvfb" */
	le16(buf + 6, (uint16_t)((off - 8) / 4));
	le32(buf + 12, 0x200000);
	le32(buf + 16, 0x1fffff);
	le16(buf + 24, 4);
	le16(buf + 26, 65535);
	buf[28] = 1;
	buf[29] = 1;
	memcpy(buf + 40, "Xvfb", 4);
	buf[44] = 24; buf[45] = 32; buf[46] = 32;
	le32(buf + 52, 0x50d);                /* root */
	le16(buf + 72, 1024);
	le16(buf + 74, 768);
	le32(buf + 84, 0x21);                 /* root visual */
	buf[90] = 24;
	buf[91] = 1;                          /* one depth */
	buf[92] = 24;
	le16(buf + 94, 1);
	le32(buf + 100, 0x21);
	buf[104] = 4;                         /* TrueColor */
	le32(buf + 108, 0xff0000);
	ck_assert_int_eq(xp_setup_parse(0, buf, off - 1, &s), 0);
	n = xp_setup_parse(0, buf, off, &s);
	ck_assert_int_eq(n, (int)off);
	ck_assert_uint_eq(s.resource_base, 0x200000);
	ck_assert_str_eq(s.vendor, "Xvfb");
	ck_assert_uint_eq(s.formats[0].bpp, 32);
	ck_assert_uint_eq(s.screens[0].root, 0x50d);
	ck_assert_uint_eq(s.screens[0].width, 1024);
	ck_assert_uint_eq(s.screens[0].depths[0].visuals[0].cls, 4);
	ck_assert_uint_eq(s.screens[0].depths[0].visuals[0].red_mask, 0xff0000);
	xp_setup_free(&s);
	/* a visual count that does not fit */
	le16(buf + 94, 2);
	ck_assert_int_eq(xp_setup_parse(0, buf, off, &s), -EBADMSG);
	/* a refusal with its reason */
	memset(buf, 0, sizeof buf);
	buf[1] = 5;
	le16(buf + 6, 2);
	memcpy(buf + 8, "nope!", 5);
	ck_assert_int_eq(xp_setup_parse(0, buf, 16, &s), 16);
	ck_assert_int_eq(s.status, 0);
	ck_assert_str_eq(s.reason, "nope!");
}
END_TEST

START_TEST(test_truncated_everywhere)
{
	struct xp_conn cx;
	struct xp_req rq;
	struct xp_msg m;
	struct xp_ref refs[8];
	uint8_t buf[48];
	size_t cut;

	/* every prefix of a request is "need more", never a crash */
	xp_conn_init(&cx, 0);
	memset(buf, 0, sizeof buf);
	buf[0] = 55;                /* CreateGC with 2 values */
	le16(buf + 2, 6);
	le32(buf + 12, 0x4000 | 0x4);
	for (cut = 0; cut < 24; cut++)
		ck_assert_int_eq(xp_req_next(&cx, buf, cut, &rq), 0);
	ck_assert_int_eq(xp_req_next(&cx, buf, 24, &rq), 24);
	ck_assert_int_eq(xp_req_refs(&cx, &rq, refs, 8), 3);
	for (cut = 0; cut < 32; cut++)
		ck_assert_int_eq(xp_msg_next(&cx, buf, cut, &m), 0);
	ck_assert_int_eq(xp_event_refs(&cx, buf, 31, refs, 8), -EBADMSG);
}
END_TEST

static Suite *
xproto_suite(void)
{
	Suite *s = suite_create("gv_xproto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_split_requests);
	tcase_add_test(tc, test_big_requests);
	tcase_add_test(tc, test_create_window_refs);
	tcase_add_test(tc, test_msb_and_special_requests);
	tcase_add_test(tc, test_extension_requests);
	tcase_add_test(tc, test_server_stream);
	tcase_add_test(tc, test_seq_widen);
	tcase_add_test(tc, test_setups);
	tcase_add_test(tc, test_truncated_everywhere);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(xproto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

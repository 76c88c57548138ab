/*
 * Check suite for flac/lang: lexer, parser, checker and evaluator.  Every
 * example specification of chapter 5 is here (typos of the typeset text
 * fixed; the typo'd forms are tested for their error positions), every
 * error class with its line and column, and resolutions in several
 * contexts.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flac/lang/ast.h"
#include "flac/lang/eval.h"
#include "flac/lang/lex.h"

/* ---- helpers ---------------------------------------------------------- */

static struct flac_spec *
load_ok(const char *src)
{
	struct flac_spec *sp = flac_spec_new();
	char line[300];
	size_t i;
	int r;

	ck_assert_ptr_nonnull(sp);
	r = flac_load(sp, src, strlen(src));
	for (i = 0; r != 0 && i < sp->ndiags; i++) {
		flac_diag_format(&sp->diags[i], "t", line, sizeof line);
		fprintf(stderr, "unexpected: %s\n", line);
	}
	ck_assert_int_eq(r, 0);
	return sp;
}

/* The first error must be at line:col and contain msg. */
static void
expect_error(const char *src, int line, int col, const char *msg)
{
	struct flac_spec *sp = flac_spec_new();
	const struct flac_diag *d = NULL;
	size_t i;
	int r;

	r = flac_load(sp, src, strlen(src));
	ck_assert_int_eq(r, -EINVAL);
	for (i = 0; i < sp->ndiags; i++)
		if (!sp->diags[i].warning) {
			d = &sp->diags[i];
			break;
		}
	ck_assert_ptr_nonnull(d);
	if (d->loc.line != line || d->loc.col != col ||
	    strstr(d->msg, msg) == NULL)
		ck_abort_msg("for %s: want %d:%d '%s', got %d:%d '%s'", src,
		    line, col, msg, d->loc.line, d->loc.col, d->msg);
	flac_spec_free(sp);
}

/* The spec loads, with a warning at line:col containing msg. */
static void
expect_warning(const char *src, int line, int col, const char *msg)
{
	struct flac_spec *sp = load_ok(src);
	size_t i;
	int found = 0;

	for (i = 0; i < sp->ndiags; i++)
		if (sp->diags[i].warning && sp->diags[i].loc.line == line &&
		    sp->diags[i].loc.col == col &&
		    strstr(sp->diags[i].msg, msg) != NULL)
			found = 1;
	if (!found)
		ck_abort_msg("no warning %d:%d '%s' for %s", line, col, msg,
		    src);
	flac_spec_free(sp);
}

struct ctxb {
	const char	*names[4];
	const char	*addrs[4];
	const char	*env[4];
};

static struct flac_ns *
compile_at(const struct flac_spec *sp, const struct ctxb *cb)
{
	struct flac_ctx ctx;
	struct flac_ns *ns = NULL;
	size_t n;

	memset(&ctx, 0, sizeof ctx);
	ctx.names = cb->names;
	ctx.addrs = cb->addrs;
	ctx.env = cb->env;
	for (n = 0; n < 4 && cb->names[n] != NULL; n++)
		;
	ctx.nnames = n;
	for (n = 0; n < 4 && cb->addrs[n] != NULL; n++)
		;
	ctx.naddrs = n;
	for (n = 0; n < 4 && cb->env[n] != NULL; n++)
		;
	ctx.nenv = n;
	ck_assert_int_eq(flac_compile(sp, &ctx, &ns), 0);
	ck_assert_ptr_nonnull(ns);
	ck_assert_int_eq(flac_ns_validate(ns, ns->size), 0);
	return ns;
}

/* A compact text of a resolution, for assertions. */
static uint32_t
render_node(const struct flac_ns *ns, const struct flac_res *res, uint32_t i,
    char *buf, size_t sz)
{
	const struct flac_rnode *r = &res->nodes[i];
	size_t len = strlen(buf);
	uint32_t j, k;

	switch (r->kind) {
	case FLAC_R_NONE:
		snprintf(buf + len, sz - len, "none");
		break;
	case FLAC_R_FAIL:
		snprintf(buf + len, sz - len, "fail");
		break;
	case FLAC_R_SERVICE:
		snprintf(buf + len, sz - len, "%s %s",
		    flac_ns_str(ns, flac_ns_svcs(ns)[r->svc].text),
		    flac_res_str(res, r->path));
		break;
	case FLAC_R_DIR:
		snprintf(buf + len, sz - len, "dir{%s}",
		    flac_res_str(res, r->path));
		break;
	case FLAC_R_OVERLAY:
	case FLAC_R_TRANSFER:
		if (r->kind == FLAC_R_OVERLAY)
			snprintf(buf + len, sz - len, "overlay[");
		else
			snprintf(buf + len, sz - len, "transfer %s %s %s[",
			    flac_xfer_mode_name(r->mode),
			    flac_mod_names[r->pullmod],
			    flac_mod_names[r->pushmod]);
		for (j = i + 1, k = 0; j < i + r->size; k++) {
			if (k > 0)
				strncat(buf, " | ", sz - strlen(buf) - 1);
			j = render_node(ns, res, j, buf, sz);
		}
		strncat(buf, "]", sz - strlen(buf) - 1);
		break;
	}
	if (r->kind == FLAC_R_SERVICE || r->kind == FLAC_R_DIR) {
		for (k = 0; k < r->nhide; k++) {
			len = strlen(buf);
			snprintf(buf + len, sz - len, "%s%s", k ? "," : " -{",
			    flac_res_str(res, res->hides[r->hide + k]));
		}
		if (r->nhide > 0)
			strncat(buf, "}", sz - strlen(buf) - 1);
	}
	return i + r->size;
}

static struct flac_res resbuf;

static const char *
resolve(const struct flac_ns *ns, enum flac_op op, const char *path)
{
	static char out[2048];
	int r;

	out[0] = '\0';
	r = flac_resolve(ns, op, path, &resbuf);
	if (r != 0) {
		snprintf(out, sizeof out, "error %d", r);
		return out;
	}
	ck_assert_uint_ge(resbuf.nnodes, 1);
	ck_assert_uint_eq(resbuf.nodes[0].size, resbuf.nnodes);
	render_node(ns, &resbuf, 0, out, sizeof out);
	return out;
}

#define RES_EQ(ns, op, path, want) \
	ck_assert_str_eq(resolve((ns), (op), (path)), (want))

/* ---- the examples of chapter 5 ---------------------------------------- */

/* 5.1.1 */
static const char ex_local[] = "root local( )\n";
static const char ex_smb[] =
    "L = smb(share=\"\\\\desktop\\root\")\n"
    "root L\n";
/* 5.1.3, with S, N and P made concrete */
static const char ex_mount[] =
    "S = local()\n"
    "N = rpc(host=fileserver)\n"
    "P = /mnt/data\n"
    "T = overlay(extendtree(N,P),cuttree(S,P))\n"
    "root T\n";
static const char ex_union_over[] =
    "S = local()\n"
    "N = rpc(host=fileserver)\n"
    "P = /mnt\n"
    "T = overlay(extendtree(N,P),S)\n"
    "root T\n";
static const char ex_union_under[] =
    "S = local()\n"
    "N = rpc(host=fileserver)\n"
    "P = /mnt\n"
    "T = overlay(S,extendtree(N,P)).\n";	/* as printed: see test */
/* Figure 5.4 */
static const char ex_identity[] =
    "S = local()\n"
    "P = /a/b\n"
    "root overlay(cuttree(S,P),extendtree(subtree(S,P),P))\n";
/* 5.1.4 (the typeset text has one ')' too many after the smb instance) */
static const char ex_select2[] =
    "L = local( )\n"
    "P = smb(share=\"\\\\desktop\\root\")\n"
    "root select(location,desktop:L,else:P)\n";
static const char ex_select3[] =
    "L = local( )\n"
    "P = smb(share=\"\\\\desktop\\root\")\n"
    "R = rpc(host=\"desktop.my.net\")\n"
    "root select(location,desktop:L,192.168.0.0/16:P,else:R)\n";
/* 5.1.5 */
static const char ex_offline[] =
    "SRC = select(location,\n"
    "192.168.0.0/16:smb(share=\"\\\\desktop\\root\"),"
    "else:rpc(host=\"desktop\"))\n"
    "CACHE = subtree(local( ),/cache)\n"
    "XFER = transfer(CACHE,SRC,pushpull,IGNORE,IGNORE)\n"
    "root select(location,desktop:local( ),else:XFER)\n";
/* 5.2.1, as printed: the cases grouped and separated by blanks */
static const char ex_replicas[] =
    "R1 = rpc(host=\"replica1\")\n"
    "R2 = rpc(host=\"replica2\")\n"
    "R3 = rpc(host=\"replica3\")\n"
    "root select(location,(L1:R1 L2:R2 L3:R3))\n";
/* 5.2.1, as printed: line breaks instead of some commas */
static const char ex_music[] =
    "HERE = subtree(local( ),/music)\n"
    "THERE = subtree(select(location,office:rpc(host=\"home\")\n"
    "\n"
    "home:rpc(host=\"office\"))\n"
    "/music)\n"
    "\n"
    "UNIFIED = transfer(HERE,THERE,pull,IGNORE,NONE)\n"
    "root overlay(extendtree(UNIFIED,/music),local( ))\n";
/* 5.2.2 */
static const char ex_binlib[] =
    "BIN = extendtree(overlay(subtree(local( ),/home/user/bin),"
    "subtree(local( ),/bin)),\n"
    "/bin)\n"
    "\n"
    "LIB = extendtree(overlay(subtree(local( ),/home/user/lib),"
    "subtree(local( ),/lib)),\n"
    "/lib)\n"
    "\n"
    "root overlay(BIN,overlay(LIB,local( )))\n";
/* Figure 5.5, both sides (each has one ')' too many as typeset) */
static const char ex_fig55_left[] =
    "RH = extendtree(subtree(rpc(host=\"A\"),\n"
    "/home),\n"
    "/home)\n"
    "root overlay(RH,local( ))\n";
static const char ex_fig55_right[] =
    "LH = extendtree(subtree(local( ),\n"
    "/home),\n"
    "/home)\n"
    "RM = rpc(host=\"B\")\n"
    "root overlay(LH,RM)\n";
/* Figure 5.6 */
static const char ex_fig56[] =
    "LH = extendtree(subtree(local( ),\n"
    "/home),\n"
    "\n"
    "/home)\n"
    "root overlay(LH, select(env,VER=B:rpc(host=B),\n"
    "VER=C:rpc(host=C),\n"
    "\n"
    "VER=D:rpc(host=D)))\n";
/* Figure 5.7 */
static const char ex_fig57[] =
    "LH = extendtree(subtree(local( ),/home),/home)\n"
    "Z = subtree(local( ),/os-menagerie)\n"
    "RM = select(env,VER=B:transfer(subtree(Z,/B),rpc(host=\"B\"),pull,"
    "IGNORE,NONE)\n"
    "\n"
    "VER=C:transfer(subtree(Z,/C),rpc(host=\"C\"),pull,IGNORE,NONE)\n"
    "VER=D:transfer(subtree(Z,/D),rpc(host=\"D\"),pull,IGNORE,NONE))\n"
    "\n"
    "root overlay(LH,RM)\n";
/* 5.2.3, with S, P and W made concrete */
static const char ex_cow[] =
    "S = local()\n"
    "P = /src\n"
    "W = subtree(local(),/scratch)\n"
    "R = subtree(S,P)\n"
    "U = select(operation,write:W,\n"
    "\n"
    "readwrite:transfer(W,R,pull,BLOCK,NONE),\n"
    "else:overlay(W,R))\n"
    "\n"
    "T = overlay(extendtree(U,P),S)\n"
    "root T\n";
/* Figure 5.10 */
static const char ex_fig510[] =
    "# access from home workstation\n"
    "HOME-FROM-HOME = local( )\n"
    "OFFICE-FROM-HOME = rpc(host=\"cumin.cs.wisc.edu\")\n"
    "\n"
    "# access from office workstation\n"
    "OCACHE = subtree(local( ),/u/z/a/zandy/cache)\n"
    "HOME-FROM-OFFICE = transfer(subtree(OCACHE,/home),\n"
    "                            rpc(host=\"my.home.net\"),\n"
    "                            pushpull, BLOCK, BLOCK)\n"
    "OFFICE-FROM-OFFICE = local( )\n"
    "\n"
    "# access from laptop\n"
    "LCACHE = subtree(local( ),/cache)\n"
    "HOME-FROM-LAPTOP = transfer(subtree(LCACHE,/home),\n"
    "                            select(location,\n"
    "                                   192.168.0.0/16:smb(share=\"\\\\home\\root\"),\n"
    "                                   else:rpc(host=\"my.home.net\")),\n"
    "                            pushpull, IGNORE, IGNORE)\n"
    "OFFICE-FROM-LAPTOP = transfer(subtree(LCACHE,/office),\n"
    "                              rpc(host=\"cumin.cs.wisc.edu\"),\n"
    "                              pushpull, IGNORE, IGNORE)\n"
    "\n"
    "# root composition:\n"
    "# the application sees the office file system\n"
    "# with the home file system mounted on /n/home\n"
    "HOME = select(location,\n"
    "              home:HOME-FROM-HOME,\n"
    "              office:HOME-FROM-OFFICE,\n"
    "              laptop:HOME-FROM-LAPTOP)\n"
    "OFFICE = select(location,\n"
    "                home:OFFICE-FROM-HOME,\n"
    "                office:OFFICE-FROM-OFFICE,\n"
    "                laptop:OFFICE-FROM-LAPTOP)\n"
    "root overlay(extendtree(HOME,/n/home), OFFICE)\n";

static const char *const all_examples[] = {
	ex_local, ex_smb, ex_mount, ex_union_over, ex_identity, ex_select2,
	ex_select3, ex_offline, ex_replicas, ex_music, ex_binlib,
	ex_fig55_left, ex_fig55_right, ex_fig56, ex_fig57, ex_cow, ex_fig510,
};
#define NEXAMPLES (sizeof all_examples / sizeof all_examples[0])

/* ---- lexer ------------------------------------------------------------ */

START_TEST(test_lex_tokens)
{
	static const char src[] =
	    "HOME-FROM-HOME = subtree(local( ),/u/z) # note\n"
	    "  \"\\\\a\\b\" 192.168.0.0/16:x, *.cs.wisc.edu\n";
	static const struct {
		enum flac_tok_type type;
		const char *text;
		int line, col;
	} want[] = {
		{ FLAC_T_IDENT, "HOME-FROM-HOME", 1, 1 },
		{ FLAC_T_EQUALS, "=", 1, 16 },
		{ FLAC_T_IDENT, "subtree", 1, 18 },
		{ FLAC_T_LPAREN, "(", 1, 25 },
		{ FLAC_T_IDENT, "local", 1, 26 },
		{ FLAC_T_LPAREN, "(", 1, 31 },
		{ FLAC_T_RPAREN, ")", 1, 33 },
		{ FLAC_T_COMMA, ",", 1, 34 },
		{ FLAC_T_PATH, "/u/z", 1, 35 },
		{ FLAC_T_RPAREN, ")", 1, 39 },
		{ FLAC_T_STRING, "\\\\a\\b", 2, 3 },
		{ FLAC_T_WORD, "192.168.0.0/16", 2, 11 },
		{ FLAC_T_COLON, ":", 2, 25 },
		{ FLAC_T_IDENT, "x", 2, 26 },
		{ FLAC_T_COMMA, ",", 2, 27 },
		{ FLAC_T_WORD, "*.cs.wisc.edu", 2, 29 },
		{ FLAC_T_EOF, "", 3, 1 },
	};
	struct flac_lexer lx;
	struct flac_tok t;
	size_t i;

	flac_lex_init(&lx, src, strlen(src));
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		ck_assert_int_eq(flac_lex_next(&lx, &t), want[i].type);
		ck_assert_uint_eq(t.len, strlen(want[i].text));
		ck_assert_int_eq(memcmp(t.p, want[i].text, t.len), 0);
		ck_assert_int_eq(t.line, want[i].line);
		ck_assert_int_eq(t.col, want[i].col);
	}
	/* a byte order mark is skipped */
	flac_lex_init(&lx, "\xef\xbb\xbfroot", 7);
	ck_assert_int_eq(flac_lex_next(&lx, &t), FLAC_T_IDENT);
	ck_assert_int_eq(t.col, 1);
	ck_assert_uint_eq(t.len, 4);
	/* the string token came after a line break */
	flac_lex_init(&lx, "a\nb", 3);
	flac_lex_next(&lx, &t);
	ck_assert_int_eq(t.nl_before, 0);
	flac_lex_next(&lx, &t);
	ck_assert_int_eq(t.nl_before, 1);
}
END_TEST

START_TEST(test_lex_columns_count_characters)
{
	/* "é" is two bytes, one column; a tab is one column */
	static const char src[] = "\"\xc3\xa9\" x\ty";
	struct flac_lexer lx;
	struct flac_tok t;

	flac_lex_init(&lx, src, strlen(src));
	ck_assert_int_eq(flac_lex_next(&lx, &t), FLAC_T_STRING);
	ck_assert_int_eq(flac_lex_next(&lx, &t), FLAC_T_IDENT);
	ck_assert_int_eq(t.col, 5);
	ck_assert_int_eq(flac_lex_next(&lx, &t), FLAC_T_IDENT);
	ck_assert_int_eq(t.col, 7);
}
END_TEST

START_TEST(test_lex_errors)
{
	static const struct {
		const char *src;
		size_t len;
		int col;
		const char *msg;
	} cases[] = {
		{ "x \"abc\ny\"", 9, 3, "unterminated string" },
		{ "x \"abc", 6, 3, "unterminated string" },
		{ "share=\xe2\x80\x9d\\\\d\\r\xe2\x80\x9d", 17, 7,
		    "typographic quote" },
		{ "a \x01", 3, 3, "control character 0x01" },
		{ "a \0b", 4, 3, "NUL byte" },
	};
	struct flac_lexer lx;
	struct flac_tok t;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		flac_lex_init(&lx, cases[i].src, cases[i].len);
		while (flac_lex_next(&lx, &t) != FLAC_T_ERROR)
			ck_assert_int_ne(t.type, FLAC_T_EOF);
		ck_assert_int_eq(t.col, cases[i].col);
		ck_assert_ptr_nonnull(strstr(t.err, cases[i].msg));
	}
}
END_TEST

START_TEST(test_suggest)
{
	static const char *const c[] = { "overlay", "subtree", "select",
	    NULL };

	ck_assert_str_eq(flac_suggest("overlya", c, 0), "overlay");
	ck_assert_str_eq(flac_suggest("OVERLAY", c, 0), "overlay");
	ck_assert_str_eq(flac_suggest("sbtree", c, 0), "subtree");
	ck_assert_ptr_null(flac_suggest("zzz", c, 0));
	ck_assert_ptr_null(flac_suggest("x", c, 0));
}
END_TEST

/* ---- parser and checker: the examples --------------------------------- */

START_TEST(test_examples_load)
{
	struct flac_spec *sp, *sp2;
	char *text, *text2;
	size_t i;

	for (i = 0; i < NEXAMPLES; i++) {
		sp = load_ok(all_examples[i]);
		ck_assert_uint_eq(sp->nerrors, 0);
		ck_assert_uint_eq(sp->nwarnings, 0);
		ck_assert_ptr_nonnull(sp->root);
		/* the canonical text reads back to itself */
		text = flac_spec_format(sp);
		ck_assert_ptr_nonnull(text);
		sp2 = load_ok(text);
		text2 = flac_spec_format(sp2);
		ck_assert_str_eq(text, text2);
		free(text);
		free(text2);
		flac_spec_free(sp2);
		flac_spec_free(sp);
	}
}
END_TEST

START_TEST(test_example_shapes)
{
	struct flac_spec *sp;
	const struct flac_expr *e;
	char *s;

	sp = load_ok(ex_local);
	ck_assert_int_eq(sp->root->kind, FLAC_E_SERVICE);
	ck_assert_int_eq(sp->root->u.svc.type, FLAC_SVC_LOCAL);
	ck_assert_uint_eq(sp->ninsts, 1);
	flac_spec_free(sp);

	/* strings are raw: the share keeps its backslashes */
	sp = load_ok(ex_smb);
	e = sp->stmts[0].expr;
	ck_assert_int_eq(e->u.svc.type, FLAC_SVC_SMB);
	ck_assert_str_eq(e->u.svc.attrs[0].value.s, "\\\\desktop\\root");
	ck_assert_str_eq(sp->insts[0].text, "smb(share=\"\\\\desktop\\root\")");
	flac_spec_free(sp);

	/* the grouped cases are cases of the select */
	sp = load_ok(ex_replicas);
	ck_assert_int_eq(sp->root->kind, FLAC_E_SELECT);
	ck_assert_uint_eq(sp->root->u.select.ncases, 3);
	ck_assert_str_eq(sp->root->u.select.cases[2].pat.s, "L3");
	s = flac_expr_format(sp->root);
	ck_assert_str_eq(s, "select(location, L1:R1, L2:R2, L3:R3)");
	free(s);
	flac_spec_free(sp);

	/* commas left out at line breaks */
	sp = load_ok(ex_music);
	s = flac_expr_format(sp->stmts[1].expr);
	ck_assert_str_eq(s, "subtree(select(location, office:rpc(host=\"home\"), "
	    "home:rpc(host=\"office\")), /music)");
	free(s);
	flac_spec_free(sp);

	/* transfer modes and modifiers */
	sp = load_ok(ex_fig510);
	e = sp->stmts[3].expr;
	ck_assert_int_eq(e->kind, FLAC_E_TRANSFER);
	ck_assert_int_eq(e->u.xfer.mode, FLAC_XFER_PUSHPULL);
	ck_assert_int_eq(e->u.xfer.pullmod, FLAC_MOD_BLOCK);
	ck_assert_int_eq(e->u.xfer.pushmod, FLAC_MOD_BLOCK);
	ck_assert_str_eq(sp->stmts[3].name, "HOME-FROM-OFFICE");
	/* local() appears five times: one instance */
	ck_assert_uint_eq(sp->ninsts, 4);
	flac_spec_free(sp);

	/* operation patterns */
	sp = load_ok(ex_cow);
	e = sp->stmts[4].expr;
	ck_assert_int_eq(e->u.select.ctx, FLAC_CTX_OPERATION);
	ck_assert_uint_eq(e->u.select.cases[0].ops, 1u << FLAC_OP_WRITE);
	ck_assert_uint_eq(e->u.select.cases[1].ops, 1u << FLAC_OP_READWRITE);
	ck_assert_uint_eq(e->u.select.cases[2].ops, FLAC_OP_ALL);
	ck_assert_int_eq(sp->stmts[1].type, FLAC_TY_PATH);
	ck_assert_int_eq(sp->stmts[2].type, FLAC_TY_SERVICE);
	flac_spec_free(sp);
}
END_TEST

/* The typeset forms with their typos fail where the typo is. */
START_TEST(test_examples_as_typeset)
{
	/* 5.1.4: smb(share=...)) */
	expect_error("L = local( )\n"
	    "P = smb(share=\"\\\\desktop\\root\"))\n"
	    "root select(location,desktop:L,else:P)\n", 2, 32,
	    "unbalanced ')'");
	/* Figure 5.5 left: extendtree(subtree(...,/home)),/home */
	expect_error("RH = extendtree(subtree(rpc(host=\"A\"),\n"
	    "/home)),\n"
	    "/home\n"
	    "root overlay(RH,local( ))\n", 1, 6,
	    "extendtree takes 2 operands (a service and a path), got 1");
	/* Figure 5.7 first line */
	expect_error("LH = extendtree(subtree(local( ),/home)),/home)\n"
	    "root LH\n", 1, 6, "extendtree takes 2 operands");
	/* 5.1.3 ends its sentence with a period */
	expect_error(ex_union_under, 4, 31, "expected a binding");
	/* the typeset quotes */
	expect_error("L = smb(share=\xe2\x80\x9d\\\\desktop\\root\xe2\x80\x9d)\n"
	    "root L\n", 1, 15, "typographic quote");
}
END_TEST

/* ---- parser and checker: errors -------------------------------------- */

START_TEST(test_syntax_errors)
{
	expect_error("L = local()\nroot overlya(L, L)\n", 2, 6,
	    "unknown combinator 'overlya' (did you mean 'overlay'?)");
	expect_error("root lokal()\n", 1, 6,
	    "unknown service type 'lokal' (did you mean 'local'?)");
	expect_error("root frobnicate(x)\n", 1, 6,
	    "unknown combinator or service type 'frobnicate'");
	expect_error("root local( \n", 2, 1,
	    "expected ')' to close 'local(' at 1:6, got end of file");
	expect_error("root\n", 2, 1, "expected a service expression");
	expect_error("root /x\n", 1, 6, "expected a service expression");
	expect_error("L local()\nroot L\n", 1, 3, "expected '=' after 'L'");
	expect_error("overlay(local(), local())\n", 1, 1,
	    "expected a binding 'NAME = ...' or 'root ...'");
	expect_error("X = ,\nroot X\n", 1, 5,
	    "expected a service expression or a path after 'X ='");
	expect_error("local = local()\nroot local\n", 1, 1,
	    "'local' is a reserved word");
	expect_error("root = local()\n", 1, 1, "'root' is a reserved word");
	expect_error("root local\n", 2, 1, "expected '(' after service type "
	    "'local'");
	expect_error("root overlay(local(), local(),)\n", 1, 31,
	    "expected an operand after ','");
	expect_error("root overlay(, local())\n", 1, 14,
	    "expected an operand of 'overlay(' at 1:6 or ')'");
	expect_error("root rpc(host=)\n", 1, 15, "expected a value after '='");
	expect_error("root select(location, (a:local() b))\n", 1, 34,
	    "expected a case PATTERN:SERVICE in a group of cases, got name "
	    "'b'");
	expect_error("root select(location, (a:local() b x))\n", 1, 34,
	    "expected a case PATTERN:SERVICE in a group of cases");
	expect_error("root select(location, a:local() b:)\n", 1, 35,
	    "expected a service expression");
	expect_error("root select(location, (a:local()\n", 2, 1,
	    "expected ')' to close the group of cases opened at 1:23");
	expect_error("root \"abc\n", 1, 6, "unterminated string");
}
END_TEST

START_TEST(test_arity_errors)
{
	expect_error("root subtree(local())\n", 1, 6,
	    "subtree takes 2 operands (a service and a path), got 1");
	expect_error("root cuttree(local(), /a, /b)\n", 1, 6,
	    "cuttree takes 2 operands (a service and a path), got 3");
	expect_error("root overlay(local())\n", 1, 6,
	    "overlay takes 2 operands (the upper and the lower service), "
	    "got 1");
	expect_error("root transfer(local(), local(), pull, IGNORE)\n", 1, 6,
	    "transfer takes 5 operands");
	expect_error("root select(location, a:local())\n", 1, 6,
	    "select takes a context and at least 2 cases PATTERN:SERVICE, "
	    "got 1 case");
	expect_error("root select(a:local(), b:local())\n", 1, 6,
	    "select's first operand names the context");
	expect_error("root select(location, a:local(), local())\n", 1, 34,
	    "expected a case PATTERN:SERVICE, got local(...)");
	expect_error("root local(/x)\n", 1, 12,
	    "local takes no operands: write local()");
	expect_error("root rpc(host)\n", 1, 10,
	    "rpc takes NAME=VALUE attributes, got name 'host'");
	expect_error("root subtree(/x, local())\n", 1, 14,
	    "the first operand of subtree is a service, got path '/x'");
	expect_error("root extendtree(local(), home.d)\n", 1, 26,
	    "the second operand of extendtree is a path starting with '/', "
	    "got word 'home.d'");
	expect_error("root transfer(local(), local(), \"pull\", IGNORE, NONE)\n",
	    1, 33, "transfer's mode is push, pull or pushpull");
	expect_error("root overlay(x=1, local())\n", 1, 14,
	    "the first operand of overlay is a service, got attribute 'x=1'");
}
END_TEST

START_TEST(test_name_errors)
{
	expect_error("root L\n", 1, 6, "undefined name 'L'");
	expect_error("LOCAL = local()\nroot LOKAL\n", 2, 6,
	    "undefined name 'LOKAL' (did you mean 'LOCAL'?)");
	expect_error("root subtree(local(), home)\n", 1, 23,
	    "undefined name 'home' (a path starts with '/')");
	expect_error("L = local()\nL = local()\nroot L\n", 2, 1,
	    "'L' is already bound at 1:1");
	expect_error("root local()\nroot local()\n", 2, 1,
	    "second 'root' statement (the first is at 1:1)");
	expect_error("L = local()\n", 2, 1, "no 'root' statement");
	expect_error("", 1, 1, "no 'root' statement");
	expect_error("# only a comment", 1, 17, "no 'root' statement");
	expect_error("A = B\nB = overlay(C, local())\nC = A\nroot A\n", 3, 5,
	    "'A' is defined in terms of itself (A -> B -> C -> A)");
	expect_error("A = A\nroot A\n", 1, 5, "'A' is defined in terms of "
	    "itself (A -> A)");
	expect_error("P = /mnt\nroot P\n", 2, 6,
	    "'P' is a path (bound at 1:1), but a service is expected here");
	expect_error("L = local()\nroot subtree(L, L)\n", 2, 17,
	    "'L' is a service (bound at 1:1), but a path is expected here");
	expect_error("P = /a\nQ = P\nroot overlay(Q, local())\n", 3, 14,
	    "'Q' is a path");
	expect_error("root subtree(local(), /a/../b)\n", 1, 23,
	    "'..' is not allowed in a path");
}
END_TEST

START_TEST(test_attribute_errors)
{
	expect_error("root rpc(hots=a)\n", 1, 6, "rpc needs a 'host' attribute");
	expect_error("root rpc(hots=a, host=b)\n", 1, 10,
	    "unknown attribute 'hots' of rpc (did you mean 'host'?)");
	expect_error("root rpc(host=a, colour=red)\n", 1, 18,
	    "unknown attribute 'colour' of rpc (it takes host, port, path)");
	expect_error("root rpc(host=a, host=b)\n", 1, 18,
	    "attribute 'host' is given twice (first at 1:10)");
	expect_error("root rpc(host=a, port=99999)\n", 1, 23, "bad port '99999'");
	expect_error("root rpc(host=a, port=0x10)\n", 1, 23, "bad port");
	expect_error("root rpc(host=a, path=rel)\n", 1, 23,
	    "bad path 'rel': a path starts with '/'");
	expect_error("root rpc(host=\"a b\")\n", 1, 15, "bad host 'a b'");
	expect_error("root rpc(host=-a)\n", 1, 15, "bad host");
	expect_error("root sftp(host=a, user=\"x y\")\n", 1, 24,
	    "bad user name 'x y'");
	expect_error("root sftp(user=me)\n", 1, 6, "sftp needs a 'host'");
	expect_error("root smb(share=\"//h/s\")\n", 1, 16, "bad share '//h/s'");
	expect_error("root smb(share=\"\\\\h\")\n", 1, 16, "bad share");
	expect_error("root smb(host=h)\n", 1, 6,
	    "smb needs a 'share' attribute, as in smb(share=\"\\\\server"
	    "\\share\")");
	expect_error("root smb(share=\"\\\\h\\s\", host=h)\n", 1, 25,
	    "unknown attribute 'host' of smb (it takes share, user, domain, "
	    "port)");
	expect_error("root local(x=1)\n", 1, 12,
	    "local takes no attributes: write local()");
	/* good ones */
	flac_spec_free(load_ok("root overlay(rpc(host=10.0.0.1, port=2049, "
	    "path=/export/./home/), overlay(sftp(host=\"2001:db8::1\", "
	    "user=me.you, port=22, path=/), smb(share=\"\\\\h\\s\\dir\", "
	    "user=u, domain=WORK, port=445)))\n"));
}
END_TEST

START_TEST(test_select_errors)
{
	expect_error("root select(locaton, a:local(), else:local())\n", 1, 13,
	    "unknown context 'locaton' (did you mean 'location'?)");
	expect_error("root select(where, a:local(), else:local())\n", 1, 13,
	    "unknown context 'where' (it is location, operation or env)");
	expect_error("root select(location, else:local(), a:local())\n", 1, 23,
	    "'else' must be the last case");
	expect_error("root select(operation, read:local(), wrte:local())\n",
	    1, 38, "unknown operation 'wrte' (did you mean 'write'?)");
	expect_error("root select(operation, other:local(), else:local())\n",
	    1, 24, "unknown operation 'other'");
	expect_error("root select(env, VER:local(), else:local())\n", 1, 18,
	    "env patterns are VAR=VALUE, got 'VER'");
	expect_error("root select(location, A=b:local(), else:local())\n",
	    1, 23, "'A=b' is not a location pattern");
	expect_error("root select(location, 10.0.0.1/33:local(), "
	    "else:local())\n", 1, 23, "bad prefix length '33'");
	expect_error("root select(location, \"2001:db8::/129\":local(), "
	    "else:local())\n", 1, 23, "IPv6 takes 0 to 128");
	expect_error("root select(location, 10.0.0/8:local(), else:local())\n",
	    1, 23, "bad address '10.0.0' in the CIDR pattern");
	expect_error("root select(location, \"a b\":local(), else:local())\n",
	    1, 23, "bad location pattern 'a b'");
	expect_error("root transfer(local(), rpc(host=a), pushpul, IGNORE, "
	    "IGNORE)\n", 1, 37,
	    "unknown transfer mode 'pushpul' (did you mean 'pushpull'?)");
	expect_error("root transfer(local(), rpc(host=a), push, ignore, "
	    "NONE)\n", 1, 43,
	    "unknown pull modifier 'ignore' (did you mean 'IGNORE'?)");
	expect_error("root transfer(local(), rpc(host=a), push, IGNORE, "
	    "IGNORE)\n", 1, 43,
	    "the pull modifier must be NONE when the mode is push");
	expect_error("root transfer(local(), rpc(host=a), pull, IGNORE, "
	    "BLOCK)\n", 1, 51,
	    "the push modifier must be NONE when the mode is pull");
	expect_error("root transfer(local(), rpc(host=a), pushpull, NONE, "
	    "FAIL)\n", 1, 47, "mode pushpull pulls, so it needs a pull "
	    "modifier");
	expect_error("root transfer(local(), rpc(host=a), pushpull, FAIL, "
	    "NONE)\n", 1, 53, "mode pushpull pushes, so it needs a push "
	    "modifier");
}
END_TEST

START_TEST(test_warnings)
{
	expect_warning("X = local()\nroot local()\n", 1, 1,
	    "'X' is bound but never used");
	expect_warning("root select(location, a:local(), a:rpc(host=x), "
	    "else:local())\n", 1, 34,
	    "this case repeats the pattern of 1:23 and is never chosen");
	expect_warning("root select(operation, read:local(), read:rpc(host=x), "
	    "else:local())\n", 1, 38, "repeats the pattern");
	expect_warning("root select(location, 10.1.2.3/8:local(), "
	    "else:local())\n", 1, 23,
	    "has bits set past its prefix; it matches 10.0.0.0/8");
}
END_TEST

START_TEST(test_many_errors_reported)
{
	struct flac_spec *sp = flac_spec_new();
	char src[4096];
	size_t len = 0;
	int i;

	/* errors in several bindings are all reported, in order */
	snprintf(src, sizeof src, "A = rpc(hots=a)\nB = select(locaton, "
	    "a:A, else:A)\nroot overlay(A, C)\n");
	ck_assert_int_eq(flac_load(sp, src, strlen(src)), -EINVAL);
	ck_assert_uint_eq(sp->nerrors, 4);
	ck_assert_int_eq(sp->diags[0].loc.line, 1);
	ck_assert_int_eq(sp->diags[1].loc.line, 1);
	ck_assert_int_eq(sp->diags[2].loc.line, 2);
	ck_assert_int_eq(sp->diags[3].loc.line, 3);
	ck_assert_ptr_nonnull(strstr(sp->diags[3].msg, "undefined name 'C'"));
	flac_spec_free(sp);

	/* past FLAC_MAX_DIAGS they are counted */
	len += (size_t)snprintf(src + len, sizeof src - len, "root overlay(");
	for (i = 0; i < 60; i++)
		len += (size_t)snprintf(src + len, sizeof src - len,
		    "overlay(U%d, ", i);
	len += (size_t)snprintf(src + len, sizeof src - len, "local()");
	for (i = 0; i < 61; i++)
		len += (size_t)snprintf(src + len, sizeof src - len, ")");
	sp = flac_spec_new();
	ck_assert_int_eq(flac_load(sp, src, len), -EINVAL);
	ck_assert_uint_eq(sp->ndiags, 1);	/* nested too deeply */
	flac_spec_free(sp);
	len = 0;
	for (i = 0; i < 60; i++)
		len += (size_t)snprintf(src + len, sizeof src - len,
		    "B%d = U%d\n", i, i);
	len += (size_t)snprintf(src + len, sizeof src - len, "root local()\n");
	sp = flac_spec_new();
	ck_assert_int_eq(flac_load(sp, src, len), -EINVAL);
	ck_assert_uint_eq(sp->nerrors, 60);
	ck_assert_uint_eq(sp->ndiags, FLAC_MAX_DIAGS);
	ck_assert_uint_eq(sp->ndropped, 10);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_limits)
{
	struct flac_spec *sp;
	char *src;
	size_t len = 0, cap = 1 << 16;
	int i;

	src = malloc(cap);
	ck_assert_ptr_nonnull(src);
	/* parentheses nested past FLAC_MAX_NEST */
	for (i = 0; i < FLAC_MAX_NEST + 1; i++)
		len += (size_t)snprintf(src + len, cap - len, "%s",
		    i == 0 ? "root subtree(" : "subtree(");
	len += (size_t)snprintf(src + len, cap - len, "local()");
	src[len] = '\0';
	expect_error(src, 1, 6 + 8 * FLAC_MAX_NEST, "nested too deeply");

	/* a chain of names deeper than FLAC_MAX_DEPTH */
	len = (size_t)snprintf(src, cap, "A0 = local()\n");
	for (i = 1; i <= FLAC_MAX_DEPTH + 10; i++)
		len += (size_t)snprintf(src + len, cap - len,
		    "A%d = subtree(A%d, /x)\n", i, i - 1);
	len += (size_t)snprintf(src + len, cap - len, "root A%d\n", i - 1);
	sp = flac_spec_new();
	ck_assert_int_eq(flac_load(sp, src, len), -EINVAL);
	ck_assert_ptr_nonnull(strstr(sp->diags[0].msg, "levels deep"));
	flac_spec_free(sp);

	/* doubling overlays: small text, huge expansion */
	len = (size_t)snprintf(src, cap, "A0 = local()\n");
	for (i = 1; i <= 14; i++)
		len += (size_t)snprintf(src + len, cap - len,
		    "A%d = overlay(A%d, A%d)\n", i, i - 1, i - 1);
	len += (size_t)snprintf(src + len, cap - len, "root A14\n");
	sp = flac_spec_new();
	ck_assert_int_eq(flac_load(sp, src, len), -EINVAL);
	ck_assert_ptr_nonnull(strstr(sp->diags[0].msg, "more than 4096 parts"));
	ck_assert_int_eq(sp->diags[0].loc.line, 16);
	flac_spec_free(sp);

	/* too big to be a spec */
	sp = flac_spec_new();
	ck_assert_int_eq(flac_parse(sp, src, FLAC_MAX_SOURCE + 1), -EFBIG);
	flac_spec_free(sp);
	free(src);
}
END_TEST

/* ---- evaluation ------------------------------------------------------- */

START_TEST(test_eval_fig510_three_hosts)
{
	struct flac_spec *sp = load_ok(ex_fig510);
	struct ctxb home = { { "home", NULL }, { "192.168.1.2", NULL },
	    { NULL } };
	struct ctxb office = { { "office", NULL }, { "128.105.7.7", NULL },
	    { NULL } };
	struct ctxb laptop_home = { { "laptop", NULL }, { "192.168.1.20",
	    NULL }, { NULL } };
	struct ctxb laptop_away = { { "laptop", NULL }, { "203.0.113.9",
	    NULL }, { NULL } };
	struct ctxb nowhere = { { "elsewhere", NULL }, { NULL }, { NULL } };
	struct flac_ns *ns;

	ns = compile_at(sp, &home);
	RES_EQ(ns, FLAC_OP_READ, "/n/home/notes.txt",
	    "overlay[local() /notes.txt | "
	    "rpc(host=\"cumin.cs.wisc.edu\") /n/home/notes.txt]");
	RES_EQ(ns, FLAC_OP_READ, "/etc/passwd",
	    "rpc(host=\"cumin.cs.wisc.edu\") /etc/passwd");
	RES_EQ(ns, FLAC_OP_OTHER, "/",
	    "overlay[dir{n} | rpc(host=\"cumin.cs.wisc.edu\") /]");
	RES_EQ(ns, FLAC_OP_OTHER, "/n",
	    "overlay[dir{home} | rpc(host=\"cumin.cs.wisc.edu\") /n]");
	/* component boundaries: /n/homework is not under /n/home */
	RES_EQ(ns, FLAC_OP_OTHER, "/n/homework",
	    "rpc(host=\"cumin.cs.wisc.edu\") /n/homework");
	ck_assert_uint_eq(ns->nsvcs, 2);
	ck_assert_uint_eq(ns->nchoices, 2);
	ck_assert_uint_eq(flac_ns_choices(ns)[0].chosen, 0);
	ck_assert_str_eq(flac_ns_str(ns, flac_ns_choices(ns)[0].pattern),
	    "home");
	free(ns);

	ns = compile_at(sp, &office);
	RES_EQ(ns, FLAC_OP_WRITE, "/n/home/notes.txt",
	    "overlay[transfer pushpull BLOCK BLOCK["
	    "local() /u/z/a/zandy/cache/home/notes.txt | "
	    "rpc(host=\"my.home.net\") /notes.txt] | "
	    "local() /n/home/notes.txt]");
	RES_EQ(ns, FLAC_OP_READ, "/etc/passwd", "local() /etc/passwd");
	free(ns);

	ns = compile_at(sp, &laptop_home);
	RES_EQ(ns, FLAC_OP_READ, "/n/home/notes.txt",
	    "overlay[transfer pushpull IGNORE IGNORE["
	    "local() /cache/home/notes.txt | "
	    "smb(share=\"\\\\home\\root\") /notes.txt] | "
	    "transfer pushpull IGNORE IGNORE["
	    "local() /cache/office/n/home/notes.txt | "
	    "rpc(host=\"cumin.cs.wisc.edu\") /n/home/notes.txt]]");
	RES_EQ(ns, FLAC_OP_READ, "/etc/passwd",
	    "transfer pushpull IGNORE IGNORE[local() /cache/office/etc/passwd | "
	    "rpc(host=\"cumin.cs.wisc.edu\") /etc/passwd]");
	free(ns);

	/* away from home the laptop reaches home by rpc */
	ns = compile_at(sp, &laptop_away);
	RES_EQ(ns, FLAC_OP_READ, "/n/home/a",
	    "overlay[transfer pushpull IGNORE IGNORE["
	    "local() /cache/home/a | rpc(host=\"my.home.net\") /a] | "
	    "transfer pushpull IGNORE IGNORE[local() /cache/office/n/home/a | "
	    "rpc(host=\"cumin.cs.wisc.edu\") /n/home/a]]");
	free(ns);

	/* no case matches: operations fail */
	ns = compile_at(sp, &nowhere);
	RES_EQ(ns, FLAC_OP_READ, "/n/home/a", "overlay[fail | fail]");
	RES_EQ(ns, FLAC_OP_READ, "/etc", "fail");
	ck_assert_uint_eq(flac_ns_choices(ns)[0].chosen, FLAC_NS_NONE);
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_eval_location_patterns)
{
	struct flac_spec *sp = load_ok(
	    "root select(location, *.CS.wisc.edu:rpc(host=a), "
	    "\"2001:db8::/32\":rpc(host=b), 198.51.100.7:rpc(host=c), "
	    "203.0.113.*:rpc(host=d), else:local())\n");
	struct ctxb c1 = { { "cumin.cs.wisc.edu", NULL }, { NULL }, { NULL } };
	struct ctxb c2 = { { "x" }, { "192.0.2.1", "2001:db8:1::5" },
	    { NULL } };
	struct ctxb c3 = { { NULL }, { "198.51.100.7" }, { NULL } };
	struct ctxb c4 = { { NULL }, { "203.0.113.77" }, { NULL } };
	struct ctxb c5 = { { "cs.wisc.edu" }, { "2001:db9::1" }, { NULL } };
	struct flac_ns *ns;

	ns = compile_at(sp, &c1);
	RES_EQ(ns, FLAC_OP_READ, "/f", "rpc(host=\"a\") /f");
	free(ns);
	ns = compile_at(sp, &c2);
	RES_EQ(ns, FLAC_OP_READ, "/f", "rpc(host=\"b\") /f");
	free(ns);
	ns = compile_at(sp, &c3);
	RES_EQ(ns, FLAC_OP_READ, "/f", "rpc(host=\"c\") /f");
	free(ns);
	ns = compile_at(sp, &c4);
	RES_EQ(ns, FLAC_OP_READ, "/f", "rpc(host=\"d\") /f");
	free(ns);
	ns = compile_at(sp, &c5);
	RES_EQ(ns, FLAC_OP_READ, "/f", "local() /f");
	free(ns);
	flac_spec_free(sp);

	/* an address that is not one */
	{
		struct flac_spec *s2 = load_ok(ex_local);
		const char *bad[] = { "300.1.1.1" };
		struct flac_ctx ctx = { NULL, 0, bad, 1, NULL, 0 };
		struct flac_ns *n2 = NULL;

		ck_assert_int_eq(flac_compile(s2, &ctx, &n2), -EINVAL);
		ck_assert_ptr_null(n2);
		flac_spec_free(s2);
	}
}
END_TEST

START_TEST(test_eval_select_examples)
{
	struct flac_spec *sp;
	struct ctxb desk = { { "desktop" }, { "192.168.0.10" }, { NULL } };
	struct ctxb lan = { { "laptop" }, { "192.168.4.4" }, { NULL } };
	struct ctxb wan = { { "laptop" }, { "198.51.100.3" }, { NULL } };
	struct ctxb r2 = { { "L2" }, { NULL }, { NULL } };
	struct flac_ns *ns;

	sp = load_ok(ex_select3);
	ns = compile_at(sp, &desk);
	RES_EQ(ns, FLAC_OP_READ, "/home/u", "local() /home/u");
	free(ns);
	ns = compile_at(sp, &lan);
	RES_EQ(ns, FLAC_OP_READ, "/home/u",
	    "smb(share=\"\\\\desktop\\root\") /home/u");
	free(ns);
	ns = compile_at(sp, &wan);
	RES_EQ(ns, FLAC_OP_READ, "/home/u",
	    "rpc(host=\"desktop.my.net\") /home/u");
	free(ns);
	flac_spec_free(sp);

	sp = load_ok(ex_offline);
	ns = compile_at(sp, &desk);
	RES_EQ(ns, FLAC_OP_WRITE, "/doc/a", "local() /doc/a");
	ck_assert_uint_eq(ns->nchoices, 1);	/* SRC is never reached */
	free(ns);
	ns = compile_at(sp, &lan);
	RES_EQ(ns, FLAC_OP_WRITE, "/doc/a",
	    "transfer pushpull IGNORE IGNORE[local() /cache/doc/a | "
	    "smb(share=\"\\\\desktop\\root\") /doc/a]");
	free(ns);
	ns = compile_at(sp, &wan);
	RES_EQ(ns, FLAC_OP_WRITE, "/",
	    "transfer pushpull IGNORE IGNORE[local() /cache | "
	    "rpc(host=\"desktop\") /]");
	free(ns);
	flac_spec_free(sp);

	sp = load_ok(ex_replicas);
	ns = compile_at(sp, &r2);
	RES_EQ(ns, FLAC_OP_READ, "/x", "rpc(host=\"replica2\") /x");
	free(ns);
	ns = compile_at(sp, &desk);
	RES_EQ(ns, FLAC_OP_READ, "/x", "fail");
	free(ns);
	flac_spec_free(sp);

	sp = load_ok(ex_music);
	ns = compile_at(sp, &(struct ctxb){ { "office" }, { NULL }, { NULL } });
	RES_EQ(ns, FLAC_OP_READ, "/music/a.ogg",
	    "overlay[transfer pull IGNORE NONE[local() /music/a.ogg | "
	    "rpc(host=\"home\") /music/a.ogg] | local() /music/a.ogg]");
	RES_EQ(ns, FLAC_OP_READ, "/etc/motd", "local() /etc/motd");
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_eval_env)
{
	struct flac_spec *sp = load_ok(ex_fig56);
	struct ctxb c = { { "dev" }, { NULL }, { "HOME=/root", "VER=C",
	    "VER=D" } };
	struct ctxb none = { { "dev" }, { NULL }, { "VERSION=C" } };
	struct flac_ns *ns;

	ns = compile_at(sp, &c);
	/* the first VER wins, as with getenv() */
	RES_EQ(ns, FLAC_OP_READ, "/home/me/src/x.c",
	    "overlay[local() /home/me/src/x.c | rpc(host=\"C\") "
	    "/home/me/src/x.c]");
	RES_EQ(ns, FLAC_OP_READ, "/usr/include/stdio.h",
	    "rpc(host=\"C\") /usr/include/stdio.h");
	free(ns);
	ns = compile_at(sp, &none);
	RES_EQ(ns, FLAC_OP_READ, "/usr/include/stdio.h", "fail");
	RES_EQ(ns, FLAC_OP_READ, "/home/me", "overlay[local() /home/me | fail]");
	free(ns);
	flac_spec_free(sp);

	sp = load_ok(ex_fig57);
	ns = compile_at(sp, &(struct ctxb){ { "dev" }, { NULL }, { "VER=D" } });
	RES_EQ(ns, FLAC_OP_READ, "/usr/lib/libc.so",
	    "transfer pull IGNORE NONE[local() /os-menagerie/D/usr/lib/libc.so"
	    " | rpc(host=\"D\") /usr/lib/libc.so]");
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_eval_operation)
{
	struct flac_spec *sp = load_ok(ex_cow);
	struct ctxb c = { { "h" }, { NULL }, { NULL } };
	struct flac_ns *ns = compile_at(sp, &c);

	ck_assert(ns->flags & FLAC_NS_F_OPSELECT);
	RES_EQ(ns, FLAC_OP_WRITE, "/src/a.c",
	    "overlay[local() /scratch/a.c | local() /src/a.c]");
	RES_EQ(ns, FLAC_OP_READWRITE, "/src/a.c",
	    "overlay[transfer pull BLOCK NONE[local() /scratch/a.c | "
	    "local() /src/a.c] | local() /src/a.c]");
	/* the same layer twice is once: the second copy is occluded */
	RES_EQ(ns, FLAC_OP_READ, "/src/a.c",
	    "overlay[local() /scratch/a.c | local() /src/a.c]");
	RES_EQ(ns, FLAC_OP_OTHER, "/src",
	    "overlay[local() /scratch | local() /src]");
	RES_EQ(ns, FLAC_OP_CREATE, "/etc/x", "local() /etc/x");
	free(ns);
	flac_spec_free(sp);

	/* no else: other operations fail */
	sp = load_ok("root select(operation, read:local(), readwrite:"
	    "rpc(host=a))\n");
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/x", "local() /x");
	RES_EQ(ns, FLAC_OP_READWRITE, "/x", "rpc(host=\"a\") /x");
	RES_EQ(ns, FLAC_OP_REMOVE, "/x", "fail");
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_eval_path_operators)
{
	struct flac_spec *sp;
	struct ctxb c = { { "h" }, { NULL }, { NULL } };
	struct flac_ns *ns;

	/* mount: the mounted service replaces /mnt/data */
	sp = load_ok(ex_mount);
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/mnt/data/x",
	    "rpc(host=\"fileserver\") /x");
	RES_EQ(ns, FLAC_OP_READ, "/mnt/data", "rpc(host=\"fileserver\") /");
	RES_EQ(ns, FLAC_OP_OTHER, "/mnt",
	    "overlay[dir{data} | local() /mnt -{data}]");
	RES_EQ(ns, FLAC_OP_OTHER, "/", "overlay[dir{mnt} | local() /]");
	RES_EQ(ns, FLAC_OP_OTHER, "/mnt/database", "local() /mnt/database");
	RES_EQ(ns, FLAC_OP_READ, "/etc/hosts", "local() /etc/hosts");
	free(ns);
	flac_spec_free(sp);

	/* union mount: over, then under */
	sp = load_ok(ex_union_over);
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/mnt/x",
	    "overlay[rpc(host=\"fileserver\") /x | local() /mnt/x]");
	free(ns);
	flac_spec_free(sp);
	sp = load_ok("S = local()\nN = rpc(host=fileserver)\nP = /mnt\n"
	    "T = overlay(S,extendtree(N,P))\nroot T\n");
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/mnt/x",
	    "overlay[local() /mnt/x | rpc(host=\"fileserver\") /x]");
	free(ns);
	flac_spec_free(sp);

	/* Figure 5.4: the identity gives the service back */
	sp = load_ok(ex_identity);
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/a/b/c", "local() /a/b/c");
	RES_EQ(ns, FLAC_OP_READ, "/a/b", "local() /a/b");
	RES_EQ(ns, FLAC_OP_READ, "/a/bc", "local() /a/bc");
	RES_EQ(ns, FLAC_OP_READ, "/z", "local() /z");
	RES_EQ(ns, FLAC_OP_OTHER, "/a", "overlay[local() /a -{b} | dir{b}]");
	free(ns);
	flac_spec_free(sp);

	/* 5.2.2: personal bin and lib over the system's */
	sp = load_ok(ex_binlib);
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/bin/ls",
	    "overlay[local() /home/user/bin/ls | local() /bin/ls]");
	RES_EQ(ns, FLAC_OP_READ, "/lib/libc.so.6",
	    "overlay[local() /home/user/lib/libc.so.6 | local() "
	    "/lib/libc.so.6]");
	/* the /bin layer of BIN does not see /binx */
	RES_EQ(ns, FLAC_OP_READ, "/binx", "local() /binx");
	RES_EQ(ns, FLAC_OP_OTHER, "/", "overlay[dir{bin} | dir{lib} | "
	    "local() /]");
	free(ns);
	flac_spec_free(sp);

	/* Figure 5.5: both ways round */
	sp = load_ok(ex_fig55_left);
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/home/dev/src",
	    "overlay[rpc(host=\"A\") /home/dev/src | local() /home/dev/src]");
	free(ns);
	flac_spec_free(sp);
	sp = load_ok(ex_fig55_right);
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/usr/bin/cc", "rpc(host=\"B\") /usr/bin/cc");
	free(ns);
	flac_spec_free(sp);

	/* cuttree of "/" leaves nothing; subtree of "/" is the service */
	sp = load_ok("root overlay(cuttree(rpc(host=a), /), subtree(local(), /))\n");
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_READ, "/x", "local() /x");
	free(ns);
	flac_spec_free(sp);

	/* a cut above a cut: both names hidden */
	sp = load_ok("root cuttree(cuttree(local(), /a/x), /a/y)\n");
	ns = compile_at(sp, &c);
	RES_EQ(ns, FLAC_OP_OTHER, "/a", "local() /a -{y,x}");
	RES_EQ(ns, FLAC_OP_OTHER, "/a/y/z", "none");
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_eval_input_paths)
{
	struct flac_spec *sp = load_ok(ex_mount);
	struct ctxb c = { { "h" }, { NULL }, { NULL } };
	struct flac_ns *ns = compile_at(sp, &c);
	char long_path[FLAC_MAX_PATH + 10];

	RES_EQ(ns, FLAC_OP_READ, "//mnt/./data//x/", "rpc(host=\"fileserver\") /x");
	RES_EQ(ns, FLAC_OP_READ, "/mnt/data/../data/x",
	    "rpc(host=\"fileserver\") /x");
	RES_EQ(ns, FLAC_OP_READ, "/../../etc", "local() /etc");
	ck_assert_int_eq(flac_resolve(ns, FLAC_OP_READ, "mnt/data", &resbuf),
	    -EINVAL);
	ck_assert_int_eq(flac_resolve(ns, FLAC_OP__COUNT, "/", &resbuf),
	    -EINVAL);
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	ck_assert_int_eq(flac_resolve(ns, FLAC_OP_READ, long_path, &resbuf),
	    -ENAMETOOLONG);
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_ns_is_flat)
{
	struct flac_spec *sp = load_ok(ex_fig510);
	struct ctxb c = { { "laptop" }, { "192.168.1.20" }, { NULL } };
	struct flac_ns *ns = compile_at(sp, &c);
	char want[2048];
	void *copy;

	/* a copy elsewhere (as in shared memory) resolves the same */
	snprintf(want, sizeof want, "%s",
	    resolve(ns, FLAC_OP_READ, "/n/home/x"));
	ck_assert_int_eq(posix_memalign(&copy, 64, ns->size), 0);
	memcpy(copy, ns, ns->size);
	memset(ns, 0xa5, ns->size);
	free(ns);
	ck_assert_int_eq(flac_ns_validate(copy, ((struct flac_ns *)copy)->size),
	    0);
	ck_assert_str_eq(resolve(copy, FLAC_OP_READ, "/n/home/x"), want);
	free(copy);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_ns_validate)
{
	struct flac_spec *sp = load_ok(ex_cow);
	struct ctxb c = { { "h" }, { NULL }, { NULL } };
	struct flac_ns *ns = compile_at(sp, &c);
	struct flac_ns_node *nd;
	struct flac_ns *bad;
	uint32_t i;

	ck_assert_int_eq(flac_ns_validate(ns, ns->size - 1), -EBADMSG);
	ck_assert_int_eq(flac_ns_validate(ns, 8), -EBADMSG);
	bad = malloc(ns->size);
	ck_assert_ptr_nonnull(bad);
#define MUTATE(stmt) do {						\
	memcpy(bad, ns, ns->size);					\
	stmt;								\
	ck_assert_int_eq(flac_ns_validate(bad, ns->size), -EBADMSG);	\
} while (0)
	MUTATE(bad->magic ^= 1);
	MUTATE(bad->version++);
	MUTATE(bad->root = bad->nnodes);
	MUTATE(bad->nodes = 2);
	MUTATE(bad->strs = bad->size);
	MUTATE(bad->nsvcs = 1000);
	MUTATE(((char *)bad + bad->strs)[bad->strsz - 1] = 'x');
	for (i = 0; i < ns->nnodes; i++) {
		nd = (struct flac_ns_node *)(void *)((char *)ns + ns->nodes) + i;
		if (nd->kind == FLAC_NK_OVERLAY) {
			/* an operand that is not before its node: a cycle */
			MUTATE(((struct flac_ns_node *)(void *)((char *)bad +
			    bad->nodes))[i].a = i);
		}
		if (nd->kind == FLAC_NK_OPSELECT)
			MUTATE(((struct flac_ns_node *)(void *)((char *)bad +
			    bad->nodes))[i].b = 1000);
	}
	MUTATE(((struct flac_ns_node *)(void *)((char *)bad +
	    bad->nodes))[0].kind = 99);
#undef MUTATE
	free(bad);
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_ns_points)
{
	struct flac_spec *sp = load_ok(ex_fig510);
	struct ctxb c = { { "office" }, { NULL }, { NULL } };
	struct flac_ns *ns = compile_at(sp, &c);
	char **pts;
	size_t n;

	ck_assert_int_eq(flac_ns_points(ns, &pts, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pts[0], "/");
	ck_assert_str_eq(pts[1], "/n/home");
	flac_ns_points_free(pts, n);
	free(ns);
	flac_spec_free(sp);

	sp = load_ok(ex_mount);
	ns = compile_at(sp, &c);
	ck_assert_int_eq(flac_ns_points(ns, &pts, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pts[1], "/mnt/data");
	flac_ns_points_free(pts, n);
	free(ns);
	flac_spec_free(sp);

	sp = load_ok("root extendtree(subtree(overlay(extendtree(local(), /a/b),"
	    " cuttree(local(), /a/c)), /a), /x)\n");
	ns = compile_at(sp, &c);
	ck_assert_int_eq(flac_ns_points(ns, &pts, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(pts[0], "/");
	ck_assert_str_eq(pts[1], "/x");
	ck_assert_str_eq(pts[2], "/x/b");
	ck_assert_str_eq(pts[3], "/x/c");
	flac_ns_points_free(pts, n);
	free(ns);
	flac_spec_free(sp);
}
END_TEST

START_TEST(test_compile_needs_check)
{
	struct flac_spec *sp = flac_spec_new();
	struct flac_ns *ns = NULL;

	ck_assert_int_eq(flac_parse(sp, "root L\n", 7), 0);
	ck_assert_int_eq(flac_compile(sp, NULL, &ns), -EINVAL);
	ck_assert_int_eq(flac_check(sp), -EINVAL);
	ck_assert_int_eq(flac_compile(sp, NULL, &ns), -EINVAL);
	ck_assert_ptr_null(ns);
	flac_spec_free(sp);

	/* a NULL context is an empty one */
	sp = load_ok(ex_select2);
	ck_assert_int_eq(flac_compile(sp, NULL, &ns), 0);
	RES_EQ(ns, FLAC_OP_READ, "/", "smb(share=\"\\\\desktop\\root\") /");
	free(ns);
	flac_spec_free(sp);
}
END_TEST

static Suite *
flac_lang_suite(void)
{
	Suite *s = suite_create("flac_lang");
	TCase *lex = tcase_create("lex");
	TCase *parse = tcase_create("parse_check");
	TCase *eval = tcase_create("eval");

	tcase_add_test(lex, test_lex_tokens);
	tcase_add_test(lex, test_lex_columns_count_characters);
	tcase_add_test(lex, test_lex_errors);
	tcase_add_test(lex, test_suggest);
	suite_add_tcase(s, lex);

	tcase_add_test(parse, test_examples_load);
	tcase_add_test(parse, test_example_shapes);
	tcase_add_test(parse, test_examples_as_typeset);
	tcase_add_test(parse, test_syntax_errors);
	tcase_add_test(parse, test_arity_errors);
	tcase_add_test(parse, test_name_errors);
	tcase_add_test(parse, test_attribute_errors);
	tcase_add_test(parse, test_select_errors);
	tcase_add_test(parse, test_warnings);
	tcase_add_test(parse, test_many_errors_reported);
	tcase_add_test(parse, test_limits);
	suite_add_tcase(s, parse);

	tcase_add_test(eval, test_eval_fig510_three_hosts);
	tcase_add_test(eval, test_eval_location_patterns);
	tcase_add_test(eval, test_eval_select_examples);
	tcase_add_test(eval, test_eval_env);
	tcase_add_test(eval, test_eval_operation);
	tcase_add_test(eval, test_eval_path_operators);
	tcase_add_test(eval, test_eval_input_paths);
	tcase_add_test(eval, test_ns_is_flat);
	tcase_add_test(eval, test_ns_validate);
	tcase_add_test(eval, test_ns_points);
	tcase_add_test(eval, test_compile_needs_check);
	suite_add_tcase(s, eval);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(flac_lang_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

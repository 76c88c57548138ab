/*
 * ast: allocation, diagnostics, name tables and the printer.  See ast.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flac/lang/ast.h"
#include "flac/lang/lex.h"

const char *const flac_combinator_names[] = {
	"subtree", "cuttree", "extendtree", "overlay", "select", "transfer",
	NULL,
};
const char *const flac_svc_names[FLAC_SVC__COUNT] = {
	"local", "rpc", "sftp", "smb",
};
const char *const flac_ctx_names[FLAC_CTX__COUNT] = {
	"location", "operation", "env",
};
const char *const flac_op_names[FLAC_OP__COUNT] = {
	"read", "write", "readwrite", "create", "remove", "other",
};
const char *const flac_mod_names[FLAC_MOD__COUNT] = {
	"NONE", "FAIL", "BLOCK", "IGNORE",
};

static const struct flac_attr_def ast_rpc_attrs[] = {
	{ "host", FLAC_AK_HOST, 1 },
	{ "port", FLAC_AK_PORT, 0 },
	{ "path", FLAC_AK_PATH, 0 },
};
static const struct flac_attr_def ast_sftp_attrs[] = {
	{ "host", FLAC_AK_HOST, 1 },
	{ "user", FLAC_AK_USER, 0 },
	{ "port", FLAC_AK_PORT, 0 },
	{ "path", FLAC_AK_PATH, 0 },
};
static const struct flac_attr_def ast_smb_attrs[] = {
	{ "share", FLAC_AK_SHARE, 1 },
	{ "user", FLAC_AK_USER, 0 },
	{ "domain", FLAC_AK_DOMAIN, 0 },
	{ "port", FLAC_AK_PORT, 0 },
};
#define NELEM(a) (sizeof (a) / sizeof (a)[0])

const struct flac_svc_def flac_svc_defs[FLAC_SVC__COUNT] = {
	{ "local", NULL, 0 },
	{ "rpc", ast_rpc_attrs, NELEM(ast_rpc_attrs) },
	{ "sftp", ast_sftp_attrs, NELEM(ast_sftp_attrs) },
	{ "smb", ast_smb_attrs, NELEM(ast_smb_attrs) },
};

const char *
flac_xfer_mode_name(int mode)
{
	switch (mode) {
	case FLAC_XFER_PUSH:		return "push";
	case FLAC_XFER_PULL:		return "pull";
	case FLAC_XFER_PUSHPULL:	return "pushpull";
	}
	return "?";
}

const char *
flac_expr_kind_name(enum flac_expr_kind kind)
{
	switch (kind) {
	case FLAC_E_REF:	return "name";
	case FLAC_E_PATH:	return "path";
	case FLAC_E_SERVICE:	return "service";
	case FLAC_E_SUBTREE:	return "subtree";
	case FLAC_E_CUTTREE:	return "cuttree";
	case FLAC_E_EXTENDTREE:	return "extendtree";
	case FLAC_E_OVERLAY:	return "overlay";
	case FLAC_E_SELECT:	return "select";
	case FLAC_E_TRANSFER:	return "transfer";
	}
	return "?";
}

int
flac_name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; (n == 0 && names[i] != NULL) || i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* Optimal string alignment distance, case ignored; capped at 99. */
static int
ast_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int d[34][34], cost, v;

	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *
flac_suggest(const char *s, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t i, len = strlen(s);
	int d, bestd = 99, limit;

	limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	for (i = 0; (n == 0 && cands[i] != NULL) || i < n; i++) {
		if (cands[i] == NULL)
			continue;
		d = ast_distance(s, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	if (best == NULL || bestd > limit || (size_t)bestd >= len)
		return NULL;
	return best;
}

/* ---- diagnostics ------------------------------------------------------ */

void
flac_diag_add(struct flac_spec *sp, int warning, struct flac_loc loc,
    const char *fmt, ...)
{
	struct flac_diag *d;
	va_list ap;

	if (warning)
		sp->nwarnings++;
	else
		sp->nerrors++;
	if (sp->ndiags >= FLAC_MAX_DIAGS) {
		sp->ndropped++;
		return;
	}
	d = &sp->diags[sp->ndiags++];
	d->loc = loc;
	d->warning = warning;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
}

void
flac_diag_sort(struct flac_spec *sp)
{
	struct flac_diag tmp;
	size_t i, j;

	/* Insertion sort: stable, and there are at most FLAC_MAX_DIAGS. */
	for (i = 1; i < sp->ndiags; i++) {
		tmp = sp->diags[i];
		for (j = i; j > 0; j--) {
			const struct flac_loc *p = &sp->diags[j - 1].loc;

			if (p->line < tmp.loc.line ||
			    (p->line == tmp.loc.line && p->col <= tmp.loc.col))
				break;
			sp->diags[j] = sp->diags[j - 1];
		}
		sp->diags[j] = tmp;
	}
}

int
flac_diag_format(const struct flac_diag *d, const char *file, char *buf,
    size_t sz)
{
	return snprintf(buf, sz, "%s:%d:%d: %s%s", file, d->loc.line,
	    d->loc.col, d->warning ? "warning: " : "", d->msg);
}

/* ---- allocation ------------------------------------------------------- */

struct flac_spec *
flac_spec_new(void)
{
	return calloc(1, sizeof (struct flac_spec));
}

static void
ast_word_free(struct flac_word *w)
{
	free(w->s);
	w->s = NULL;
}

void
flac_expr_free(struct flac_expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FLAC_E_REF:
		free(e->u.ref.name);
		break;
	case FLAC_E_PATH:
		free(e->u.path.raw);
		free(e->u.path.norm);
		break;
	case FLAC_E_SERVICE:
		for (i = 0; i < e->u.svc.nattrs; i++) {
			ast_word_free(&e->u.svc.attrs[i].name);
			ast_word_free(&e->u.svc.attrs[i].value);
		}
		free(e->u.svc.attrs);
		break;
	case FLAC_E_SUBTREE:
	case FLAC_E_CUTTREE:
	case FLAC_E_EXTENDTREE:
		flac_expr_free(e->u.pathop.sub);
		flac_expr_free(e->u.pathop.path);
		break;
	case FLAC_E_OVERLAY:
		flac_expr_free(e->u.overlay.a);
		flac_expr_free(e->u.overlay.b);
		break;
	case FLAC_E_SELECT:
		ast_word_free(&e->u.select.ctxw);
		for (i = 0; i < e->u.select.ncases; i++) {
			ast_word_free(&e->u.select.cases[i].var);
			ast_word_free(&e->u.select.cases[i].pat);
			flac_expr_free(e->u.select.cases[i].expr);
		}
		free(e->u.select.cases);
		break;
	case FLAC_E_TRANSFER:
		flac_expr_free(e->u.xfer.primary);
		flac_expr_free(e->u.xfer.secondary);
		ast_word_free(&e->u.xfer.modew);
		ast_word_free(&e->u.xfer.pullw);
		ast_word_free(&e->u.xfer.pushw);
		break;
	}
	free(e);
}

void
flac_spec_free(struct flac_spec *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->nstmts; i++) {
		free(sp->stmts[i].name);
		flac_expr_free(sp->stmts[i].expr);
	}
	free(sp->stmts);
	for (i = 0; i < sp->ninsts; i++)
		free(sp->insts[i].text);
	free(sp->insts);
	free(sp);
}

int
flac_load(struct flac_spec *sp, const char *src, size_t len)
{
	int r;

	if ((r = flac_parse(sp, src, len)) != 0)
		return r;
	return flac_check(sp);
}

/* ---- printer ---------------------------------------------------------- */

struct ast_sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

static void
ast_put(struct ast_sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ast_puts(struct ast_sbuf *b, const char *s)
{
	ast_put(b, s, strlen(s));
}

/* 1 when s lexes back as one bare word. */
static int
ast_is_bare(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (*u == '\0')
		return 0;
	for (; *u != '\0'; u++) {
		if (!flac_lex_is_word_char(*u))
			return 0;
		/* a typographic quote would not lex back as part of a word */
		if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0x98 ||
		    u[2] == 0x99 || u[2] == 0x9c || u[2] == 0x9d))
			return 0;
	}
	return 1;
}

static void
ast_put_value(struct ast_sbuf *b, const char *s, int quoted)
{
	if (!quoted && ast_is_bare(s)) {
		ast_puts(b, s);
		return;
	}
	ast_puts(b, "\"");
	ast_puts(b, s);
	ast_puts(b, "\"");
}

static void
ast_put_case(struct ast_sbuf *b, const struct flac_case *c)
{
	if (c->is_else)
		ast_puts(b, "else");
	else if (c->is_env) {
		ast_puts(b, c->var.s);
		ast_puts(b, "=");
		ast_put_value(b, c->pat.s, c->pat.quoted);
	} else
		ast_put_value(b, c->pat.s, c->pat.quoted ||
		    strcmp(c->pat.s, "else") == 0);
}

static void
ast_put_expr(struct ast_sbuf *b, const struct flac_expr *e)
{
	size_t i;

	switch (e->kind) {
	case FLAC_E_REF:
		ast_puts(b, e->u.ref.name);
		break;
	case FLAC_E_PATH:
		ast_put_value(b, e->u.path.raw, e->u.path.quoted);
		break;
	case FLAC_E_SERVICE:
		ast_puts(b, flac_svc_names[e->u.svc.type]);
		ast_puts(b, "(");
		for (i = 0; i < e->u.svc.nattrs; i++) {
			if (i > 0)
				ast_puts(b, ", ");
			ast_puts(b, e->u.svc.attrs[i].name.s);
			ast_puts(b, "=");
			ast_put_value(b, e->u.svc.attrs[i].value.s,
			    e->u.svc.attrs[i].value.quoted);
		}
		ast_puts(b, ")");
		break;
	case FLAC_E_SUBTREE:
	case FLAC_E_CUTTREE:
	case FLAC_E_EXTENDTREE:
		ast_puts(b, flac_expr_kind_name(e->kind));
		ast_puts(b, "(");
		ast_put_expr(b, e->u.pathop.sub);
		ast_puts(b, ", ");
		ast_put_expr(b, e->u.pathop.path);
		ast_puts(b, ")");
		break;
	case FLAC_E_OVERLAY:
		ast_puts(b, "overlay(");
		ast_put_expr(b, e->u.overlay.a);
		ast_puts(b, ", ");
		ast_put_expr(b, e->u.overlay.b);
		ast_puts(b, ")");
		break;
	case FLAC_E_SELECT:
		ast_puts(b, "select(");
		ast_puts(b, e->u.select.ctxw.s);
		for (i = 0; i < e->u.select.ncases; i++) {
			ast_puts(b, ", ");
			ast_put_case(b, &e->u.select.cases[i]);
			ast_puts(b, ":");
			ast_put_expr(b, e->u.select.cases[i].expr);
		}
		ast_puts(b, ")");
		break;
	case FLAC_E_TRANSFER:
		ast_puts(b, "transfer(");
		ast_put_expr(b, e->u.xfer.primary);
		ast_puts(b, ", ");
		ast_put_expr(b, e->u.xfer.secondary);
		ast_puts(b, ", ");
		ast_puts(b, e->u.xfer.modew.s);
		ast_puts(b, ", ");
		ast_puts(b, e->u.xfer.pullw.s);
		ast_puts(b, ", ");
		ast_puts(b, e->u.xfer.pushw.s);
		ast_puts(b, ")");
		break;
	}
}

char *
flac_expr_format(const struct flac_expr *e)
{
	struct ast_sbuf b = { NULL, 0, 0, 0 };

	ast_put_expr(&b, e);
	ast_put(&b, "", 0);
	if (b.err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *
flac_spec_format(const struct flac_spec *sp)
{
	struct ast_sbuf b = { NULL, 0, 0, 0 };
	size_t i;

	for (i = 0; i < sp->nstmts; i++) {
		if (sp->stmts[i].name != NULL) {
			ast_puts(&b, sp->stmts[i].name);
			ast_puts(&b, " = ");
		} else
			ast_puts(&b, "root ");
		ast_put_expr(&b, sp->stmts[i].expr);
		ast_puts(&b, "\n");
	}
	ast_put(&b, "", 0);
	if (b.err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

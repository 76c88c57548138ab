/*
 * parse: recursive descent over the tokens of lex.c into the tree of
 * ast.h.  The grammar as read here (docs/flac-language.md gives it per
 * combinator):
 *
 *   spec     = { stmt } EOF
 *   stmt     = "root" expr | NAME "=" ( expr | path )
 *   expr     = NAME | HEAD "(" [ arg { [ "," ] arg } ] ")"
 *   arg      = expr | NAME | path | value | NAME "=" value | case
 *            | "(" case { [ "," ] case } ")"
 *   case     = pattern ":" expr
 *   pattern  = value | NAME "=" value
 *   value    = NAME | WORD | PATH | STRING
 *   path     = PATH | STRING starting with '/'
 *
 * HEAD is a combinator (subtree, cuttree, extendtree, overlay, select,
 * transfer) or a service type (local, rpc, sftp, smb).
 *
 * Commas between operands are optional, so the typeset examples that break
 * a list over lines without them parse as printed.  Operands are read in
 * one generic shape and then fitted to what each combinator or service
 * takes, so a wrong count or kind of operand gets a precise message.  The
 * parser stops at the first error; flac_check reports the rest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flac/lang/ast.h"
#include "flac/lang/lex.h"

enum parse_arg_kind {
	ARG_EXPR,	/* a call: local(), overlay(...) */
	ARG_NAME,	/* a bare NAME: a binding or a keyword */
	ARG_PATH,	/* /a/b or "/a b" */
	ARG_WORD,	/* any other single word or string */
	ARG_ATTR,	/* NAME=value */
	ARG_CASE,	/* pattern:expr */
};

struct parse_arg {
	enum parse_arg_kind kind;
	struct flac_loc	 loc;
	struct flac_word w;		/* NAME, PATH, WORD; ATTR: name */
	struct flac_expr *expr;		/* EXPR */
	struct flac_case c;		/* CASE */
	struct flac_word value;		/* ATTR */
};

struct parse_args {
	struct parse_arg *v;
	size_t		 n;
	size_t		 cap;
};

struct parser {
	struct flac_spec *sp;
	struct flac_lexer lx;
	struct flac_tok	 tok;		/* current token */
	struct flac_tok	 ahead;		/* the one after it */
	int		 depth;
};

static int parse_expr(struct parser *, struct flac_expr **);
static int parse_arg_error(struct parser *, const struct parse_arg *,
    const char *);

static const char *const parse_reserved[] = {
	"root", "else", NULL,
};

static void
parse_next(struct parser *ps)
{
	ps->tok = ps->ahead;
	if (ps->tok.type != FLAC_T_EOF && ps->tok.type != FLAC_T_ERROR)
		flac_lex_next(&ps->lx, &ps->ahead);
}

static struct flac_loc
parse_loc(const struct flac_tok *t)
{
	struct flac_loc l = { t->line, t->col };

	return l;
}

static int
parse_error(struct parser *ps, struct flac_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
parse_error(struct parser *ps, struct flac_loc loc, const char *fmt, ...)
{
	char msg[sizeof ps->sp->diags[0].msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	flac_diag_add(ps->sp, 0, loc, "%s", msg);
	return -EINVAL;
}

/* An error about the current token: the lexer's own, or "expected ...". */
static int
parse_unexpected(struct parser *ps, const char *expected)
{
	char got[80];

	if (ps->tok.type == FLAC_T_ERROR)
		return parse_error(ps, parse_loc(&ps->tok), "%s", ps->tok.err);
	flac_tok_describe(&ps->tok, got, sizeof got);
	return parse_error(ps, parse_loc(&ps->tok), "expected %s, got %s",
	    expected, got);
}

static int
parse_tok_is(const struct flac_tok *t, const char *s)
{
	return t->type == FLAC_T_IDENT && strlen(s) == t->len &&
	    memcmp(t->p, s, t->len) == 0;
}

static int
parse_word(const struct flac_tok *t, struct flac_word *w)
{
	if ((w->s = strndup(t->p, t->len)) == NULL)
		return -ENOMEM;
	w->loc = parse_loc(t);
	w->quoted = t->type == FLAC_T_STRING;
	return 0;
}

static int
parse_is_value(const struct flac_tok *t)
{
	return t->type == FLAC_T_IDENT || t->type == FLAC_T_WORD ||
	    t->type == FLAC_T_PATH || t->type == FLAC_T_STRING;
}

/* Index of a combinator or service name, or -1.  *is_svc says which. */
static int
parse_head(const struct flac_tok *t, int *is_svc)
{
	int i;

	if (t->type != FLAC_T_IDENT)
		return -1;
	for (i = 0; flac_combinator_names[i] != NULL; i++)
		if (parse_tok_is(t, flac_combinator_names[i])) {
			*is_svc = 0;
			return i;
		}
	for (i = 0; i < FLAC_SVC__COUNT; i++)
		if (parse_tok_is(t, flac_svc_names[i])) {
			*is_svc = 1;
			return i;
		}
	return -1;
}

static int
parse_is_reserved(const struct flac_tok *t)
{
	int dummy, i;

	if (parse_head(t, &dummy) >= 0)
		return 1;
	for (i = 0; parse_reserved[i] != NULL; i++)
		if (parse_tok_is(t, parse_reserved[i]))
			return 1;
	return 0;
}

static struct flac_expr *
parse_new_expr(enum flac_expr_kind kind, struct flac_loc loc)
{
	struct flac_expr *e = calloc(1, sizeof *e);

	if (e != NULL) {
		e->kind = kind;
		e->loc = loc;
	}
	return e;
}

/* ---- generic operands ------------------------------------------------- */

static void
parse_arg_clear(struct parse_arg *a)
{
	free(a->w.s);
	free(a->value.s);
	flac_expr_free(a->expr);
	free(a->c.var.s);
	free(a->c.pat.s);
	flac_expr_free(a->c.expr);
	memset(a, 0, sizeof *a);
}

static void
parse_args_free(struct parse_args *as)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		parse_arg_clear(&as->v[i]);
	free(as->v);
	memset(as, 0, sizeof *as);
}

static struct parse_arg *
parse_args_push(struct parse_args *as)
{
	struct parse_arg *nv;
	size_t ncap;

	if (as->n == as->cap) {
		ncap = as->cap ? as->cap * 2 : 4;
		if ((nv = reallocarray(as->v, ncap, sizeof *nv)) == NULL)
			return NULL;
		as->v = nv;
		as->cap = ncap;
	}
	memset(&as->v[as->n], 0, sizeof as->v[0]);
	return &as->v[as->n++];
}

static void
parse_arg_describe(const struct parse_arg *a, char *buf, size_t sz)
{
	switch (a->kind) {
	case ARG_EXPR:
		snprintf(buf, sz, "%s(...)", a->expr->kind == FLAC_E_SERVICE ?
		    flac_svc_names[a->expr->u.svc.type] :
		    flac_expr_kind_name(a->expr->kind));
		break;
	case ARG_NAME:
		snprintf(buf, sz, "name '%.40s'", a->w.s);
		break;
	case ARG_PATH:
		snprintf(buf, sz, "path '%.40s'", a->w.s);
		break;
	case ARG_WORD:
		snprintf(buf, sz, a->w.quoted ? "string \"%.40s\"" :
		    "word '%.40s'", a->w.s);
		break;
	case ARG_ATTR:
		snprintf(buf, sz, "attribute '%.40s=%.40s'", a->w.s,
		    a->value.s);
		break;
	case ARG_CASE:
		snprintf(buf, sz, "case '%s%s%.40s:...'",
		    a->c.is_env ? a->c.var.s : "", a->c.is_env ? "=" : "",
		    a->c.pat.s);
		break;
	}
}

/* pattern ":" expr, with the pattern already read into c. */
static int
parse_case_tail(struct parser *ps, struct flac_case *c)
{
	if (ps->tok.type != FLAC_T_COLON)
		return parse_unexpected(ps, "':'");
	parse_next(ps);
	return parse_expr(ps, &c->expr);
}

/*
 * One operand (not a group) into a: a case, an attribute, a call, a name,
 * a path or a word.
 */
static int
parse_operand(struct parser *ps, struct parse_arg *a)
{
	int r, dummy;

	a->loc = parse_loc(&ps->tok);
	if (parse_is_value(&ps->tok) && ps->ahead.type == FLAC_T_COLON) {
		/* pattern:expr */
		a->kind = ARG_CASE;
		a->c.loc = a->loc;
		a->c.is_else = parse_tok_is(&ps->tok, "else");
		if ((r = parse_word(&ps->tok, &a->c.pat)) != 0)
			return r;
		parse_next(ps);
		return parse_case_tail(ps, &a->c);
	}
	switch (ps->tok.type) {
	case FLAC_T_IDENT:
		if (ps->ahead.type == FLAC_T_LPAREN ||
		    parse_head(&ps->tok, &dummy) >= 0) {
			a->kind = ARG_EXPR;
			return parse_expr(ps, &a->expr);
		}
		if (ps->ahead.type == FLAC_T_EQUALS) {
			a->kind = ARG_ATTR;
			if ((r = parse_word(&ps->tok, &a->w)) != 0)
				return r;
			parse_next(ps);
			parse_next(ps);
			if (!parse_is_value(&ps->tok))
				return parse_unexpected(ps,
				    "a value after '='");
			if ((r = parse_word(&ps->tok, &a->value)) != 0)
				return r;
			parse_next(ps);
			if (ps->tok.type != FLAC_T_COLON)
				return 0;
			/* VAR=VALUE:expr, an env case */
			a->kind = ARG_CASE;
			a->c.loc = a->loc;
			a->c.is_env = 1;
			a->c.var = a->w;
			a->c.pat = a->value;
			memset(&a->w, 0, sizeof a->w);
			memset(&a->value, 0, sizeof a->value);
			return parse_case_tail(ps, &a->c);
		}
		a->kind = ARG_NAME;
		break;
	case FLAC_T_PATH:
		a->kind = ARG_PATH;
		break;
	case FLAC_T_STRING:
		a->kind = ps->tok.len > 0 && ps->tok.p[0] == '/' ?
		    ARG_PATH : ARG_WORD;
		break;
	case FLAC_T_WORD:
		a->kind = ARG_WORD;
		break;
	default:
		return parse_unexpected(ps, "an operand or ')'");
	}
	if ((r = parse_word(&ps->tok, &a->w)) != 0)
		return r;
	parse_next(ps);
	return 0;
}

/* "(" case { [ "," ] case } ")": grouped cases, as in (a:X b:Y). */
static int
parse_group(struct parser *ps, struct parse_args *as)
{
	struct flac_loc open = parse_loc(&ps->tok);
	struct parse_arg *a;
	int r;

	parse_next(ps);
	for (;;) {
		if (ps->tok.type == FLAC_T_RPAREN) {
			parse_next(ps);
			return 0;
		}
		if (ps->tok.type == FLAC_T_EOF)
			return parse_error(ps, parse_loc(&ps->tok),
			    "expected ')' to close the group of cases opened "
			    "at %d:%d, got end of file", open.line, open.col);
		if (!parse_is_value(&ps->tok))
			return parse_unexpected(ps,
			    "a case PATTERN:SERVICE or ')'");
		if ((a = parse_args_push(as)) == NULL)
			return -ENOMEM;
		if ((r = parse_operand(ps, a)) != 0)
			return r;
		if (a->kind != ARG_CASE)
			return parse_arg_error(ps, a, "expected a case "
			    "PATTERN:SERVICE in a group of cases");
		if (ps->tok.type == FLAC_T_COMMA) {
			parse_next(ps);
			if (ps->tok.type == FLAC_T_RPAREN)
				return parse_unexpected(ps,
				    "a case after ','");
		}
	}
}

static int
parse_arg(struct parser *ps, struct parse_args *as)
{
	struct parse_arg *a;

	if (ps->tok.type == FLAC_T_LPAREN)
		return parse_group(ps, as);
	if ((a = parse_args_push(as)) == NULL)
		return -ENOMEM;
	return parse_operand(ps, a);
}

/* "(" [ arg { [ "," ] arg } ] ")", the '(' being current. */
static int
parse_arglist(struct parser *ps, const char *head, struct flac_loc open,
    struct parse_args *as)
{
	char got[80];
	int r;

	parse_next(ps);
	for (;;) {
		if (ps->tok.type == FLAC_T_RPAREN) {
			parse_next(ps);
			return 0;
		}
		if (ps->tok.type == FLAC_T_EOF) {
			return parse_error(ps, parse_loc(&ps->tok),
			    "expected ')' to close '%s(' at %d:%d, got end of "
			    "file", head, open.line, open.col);
		}
		if (ps->tok.type == FLAC_T_COMMA || ps->tok.type ==
		    FLAC_T_COLON || ps->tok.type == FLAC_T_EQUALS) {
			flac_tok_describe(&ps->tok, got, sizeof got);
			return parse_error(ps, parse_loc(&ps->tok),
			    "expected an operand of '%s(' at %d:%d or ')', "
			    "got %s", head, open.line, open.col, got);
		}
		if ((r = parse_arg(ps, as)) != 0)
			return r;
		if (ps->tok.type == FLAC_T_COMMA) {
			parse_next(ps);
			if (ps->tok.type == FLAC_T_RPAREN)
				return parse_unexpected(ps,
				    "an operand after ','");
		}
	}
}

/* ---- fitting operands to combinators ---------------------------------- */

static int
parse_arg_error(struct parser *ps, const struct parse_arg *a,
    const char *what)
{
	char got[120];

	parse_arg_describe(a, got, sizeof got);
	return parse_error(ps, a->loc, "%s, got %s", what, got);
}

/* Takes a service operand out of a. */
static int
parse_take_service(struct parser *ps, struct parse_arg *a, const char *what,
    struct flac_expr **out)
{
	struct flac_expr *e;

	if (a->kind == ARG_EXPR) {
		*out = a->expr;
		a->expr = NULL;
		return 0;
	}
	if (a->kind == ARG_NAME && strcmp(a->w.s, "else") != 0) {
		if ((e = parse_new_expr(FLAC_E_REF, a->loc)) == NULL)
			return -ENOMEM;
		e->u.ref.name = a->w.s;
		e->u.ref.want = FLAC_TY_SERVICE;
		a->w.s = NULL;
		*out = e;
		return 0;
	}
	return parse_arg_error(ps, a, what);
}

/* Takes a path operand (a literal or a name bound to one) out of a. */
static int
parse_take_path(struct parser *ps, struct parse_arg *a, const char *what,
    struct flac_expr **out)
{
	struct flac_expr *e;

	if (a->kind == ARG_PATH) {
		if ((e = parse_new_expr(FLAC_E_PATH, a->loc)) == NULL)
			return -ENOMEM;
		e->u.path.raw = a->w.s;
		e->u.path.quoted = a->w.quoted;
		a->w.s = NULL;
		*out = e;
		return 0;
	}
	if (a->kind == ARG_NAME) {
		if ((e = parse_new_expr(FLAC_E_REF, a->loc)) == NULL)
			return -ENOMEM;
		e->u.ref.name = a->w.s;
		e->u.ref.want = FLAC_TY_PATH;
		a->w.s = NULL;
		*out = e;
		return 0;
	}
	return parse_arg_error(ps, a, what);
}

static int
parse_take_keyword(struct parser *ps, struct parse_arg *a, const char *what,
    struct flac_word *out)
{
	if (a->kind != ARG_NAME)
		return parse_arg_error(ps, a, what);
	*out = a->w;
	memset(&a->w, 0, sizeof a->w);
	return 0;
}

static int
parse_fit_service(struct parser *ps, struct flac_expr *e,
    struct parse_args *as)
{
	const char *name = flac_svc_names[e->u.svc.type];
	char what[96];
	size_t i;

	if (as->n == 0)
		return 0;
	if ((e->u.svc.attrs = calloc(as->n, sizeof *e->u.svc.attrs)) == NULL)
		return -ENOMEM;
	for (i = 0; i < as->n; i++) {
		struct parse_arg *a = &as->v[i];

		if (a->kind != ARG_ATTR) {
			snprintf(what, sizeof what, "%s takes NAME=VALUE "
			    "attributes", name);
			if (e->u.svc.type == FLAC_SVC_LOCAL)
				snprintf(what, sizeof what, "local takes no "
				    "operands: write local()");
			return parse_arg_error(ps, a, what);
		}
		e->u.svc.attrs[i].name = a->w;
		e->u.svc.attrs[i].value = a->value;
		memset(&a->w, 0, sizeof a->w);
		memset(&a->value, 0, sizeof a->value);
		e->u.svc.nattrs++;
	}
	return 0;
}

static int
parse_fit_combinator(struct parser *ps, struct flac_expr *e,
    struct parse_args *as)
{
	const char *name = flac_expr_kind_name(e->kind);
	char what[96];
	size_t i, ncases;
	int r;

	switch (e->kind) {
	case FLAC_E_SUBTREE:
	case FLAC_E_CUTTREE:
	case FLAC_E_EXTENDTREE:
		if (as->n != 2)
			return parse_error(ps, e->loc, "%s takes 2 operands "
			    "(a service and a path), got %zu", name, as->n);
		snprintf(what, sizeof what, "the first operand of %s is a "
		    "service", name);
		if ((r = parse_take_service(ps, &as->v[0], what,
		    &e->u.pathop.sub)) != 0)
			return r;
		snprintf(what, sizeof what, "the second operand of %s is a "
		    "path starting with '/'", name);
		return parse_take_path(ps, &as->v[1], what, &e->u.pathop.path);
	case FLAC_E_OVERLAY:
		if (as->n != 2)
			return parse_error(ps, e->loc, "overlay takes 2 "
			    "operands (the upper and the lower service), got "
			    "%zu", as->n);
		if ((r = parse_take_service(ps, &as->v[0], "the first "
		    "operand of overlay is a service", &e->u.overlay.a)) != 0)
			return r;
		return parse_take_service(ps, &as->v[1], "the second operand "
		    "of overlay is a service", &e->u.overlay.b);
	case FLAC_E_SELECT:
		if (as->n == 0 || as->v[0].kind == ARG_CASE)
			return parse_error(ps, e->loc, "select's first "
			    "operand names the context: location, operation "
			    "or env");
		if ((r = parse_take_keyword(ps, &as->v[0], "select's first "
		    "operand names the context (location, operation or env)",
		    &e->u.select.ctxw)) != 0)
			return r;
		for (i = 1; i < as->n; i++)
			if (as->v[i].kind != ARG_CASE)
				return parse_arg_error(ps, &as->v[i],
				    "expected a case PATTERN:SERVICE");
		ncases = as->n - 1;
		if (ncases < 2)
			return parse_error(ps, e->loc, "select takes a context "
			    "and at least 2 cases PATTERN:SERVICE, got %zu "
			    "case%s", ncases, ncases == 1 ? "" : "s");
		e->u.select.cases = calloc(ncases, sizeof *e->u.select.cases);
		if (e->u.select.cases == NULL)
			return -ENOMEM;
		for (i = 0; i < ncases; i++) {
			e->u.select.cases[i] = as->v[i + 1].c;
			memset(&as->v[i + 1].c, 0, sizeof as->v[i + 1].c);
		}
		e->u.select.ncases = ncases;
		return 0;
	case FLAC_E_TRANSFER:
		if (as->n != 5)
			return parse_error(ps, e->loc, "transfer takes 5 "
			    "operands (primary, secondary, mode, pull "
			    "modifier, push modifier), got %zu", as->n);
		if ((r = parse_take_service(ps, &as->v[0], "transfer's "
		    "primary is a service", &e->u.xfer.primary)) != 0 ||
		    (r = parse_take_service(ps, &as->v[1], "transfer's "
		    "secondary is a service", &e->u.xfer.secondary)) != 0 ||
		    (r = parse_take_keyword(ps, &as->v[2], "transfer's mode "
		    "is push, pull or pushpull", &e->u.xfer.modew)) != 0 ||
		    (r = parse_take_keyword(ps, &as->v[3], "transfer's pull "
		    "modifier is FAIL, BLOCK, IGNORE or NONE",
		    &e->u.xfer.pullw)) != 0 ||
		    (r = parse_take_keyword(ps, &as->v[4], "transfer's push "
		    "modifier is FAIL, BLOCK, IGNORE or NONE",
		    &e->u.xfer.pushw)) != 0)
			return r;
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- expressions and statements --------------------------------------- */

static int
parse_call(struct parser *ps, struct flac_expr **out)
{
	static const enum flac_expr_kind kinds[] = {
		FLAC_E_SUBTREE, FLAC_E_CUTTREE, FLAC_E_EXTENDTREE,
		FLAC_E_OVERLAY, FLAC_E_SELECT, FLAC_E_TRANSFER,
	};
	struct parse_args as = { NULL, 0, 0 };
	struct flac_expr *e;
	struct flac_loc loc = parse_loc(&ps->tok);
	char head[48];
	int idx, is_svc = 0, r;

	idx = parse_head(&ps->tok, &is_svc);
	snprintf(head, sizeof head, "%.*s", (int)ps->tok.len, ps->tok.p);
	if (ps->depth >= FLAC_MAX_NEST)
		return parse_error(ps, loc, "expression nested too deeply "
		    "(more than %d levels): use bindings", FLAC_MAX_NEST);
	parse_next(ps);
	if (ps->tok.type != FLAC_T_LPAREN) {
		char what[80];

		snprintf(what, sizeof what, "'(' after %s '%s'",
		    is_svc ? "service type" : "combinator", head);
		return parse_unexpected(ps, what);
	}
	if ((e = parse_new_expr(is_svc ? FLAC_E_SERVICE : kinds[idx], loc)) ==
	    NULL)
		return -ENOMEM;
	if (is_svc)
		e->u.svc.type = (enum flac_svc_type)idx;
	ps->depth++;
	r = parse_arglist(ps, head, loc, &as);
	ps->depth--;
	if (r == 0)
		r = is_svc ? parse_fit_service(ps, e, &as) :
		    parse_fit_combinator(ps, e, &as);
	parse_args_free(&as);
	if (r != 0) {
		flac_expr_free(e);
		return r;
	}
	*out = e;
	return 0;
}

static int
parse_unknown_head(struct parser *ps)
{
	const char *cands[16], *hint;
	char name[48];
	size_t n = 0;
	int i;

	snprintf(name, sizeof name, "%.*s", (int)ps->tok.len, ps->tok.p);
	for (i = 0; flac_combinator_names[i] != NULL; i++)
		cands[n++] = flac_combinator_names[i];
	for (i = 0; i < FLAC_SVC__COUNT; i++)
		cands[n++] = flac_svc_names[i];
	hint = flac_suggest(name, cands, n);
	if (hint != NULL)
		return parse_error(ps, parse_loc(&ps->tok), "unknown %s '%s' "
		    "(did you mean '%s'?)", flac_name_index(flac_svc_names,
		    FLAC_SVC__COUNT, hint) >= 0 ? "service type" :
		    "combinator", name, hint);
	return parse_error(ps, parse_loc(&ps->tok), "unknown combinator or "
	    "service type '%s' (combinators: subtree, cuttree, extendtree, "
	    "overlay, select, transfer; services: local, rpc, sftp, smb)",
	    name);
}

static int
parse_expr(struct parser *ps, struct flac_expr **out)
{
	struct flac_expr *e;
	int dummy;

	*out = NULL;
	if (ps->tok.type != FLAC_T_IDENT)
		return parse_unexpected(ps, "a service expression (a name, "
		    "a service such as local() or a combinator such as "
		    "overlay(...))");
	if (parse_head(&ps->tok, &dummy) >= 0)
		return parse_call(ps, out);
	if (ps->ahead.type == FLAC_T_LPAREN)
		return parse_unknown_head(ps);
	if (parse_is_reserved(&ps->tok))
		return parse_unexpected(ps, "a service expression");
	if ((e = parse_new_expr(FLAC_E_REF, parse_loc(&ps->tok))) == NULL)
		return -ENOMEM;
	if ((e->u.ref.name = strndup(ps->tok.p, ps->tok.len)) == NULL) {
		free(e);
		return -ENOMEM;
	}
	e->u.ref.want = FLAC_TY_SERVICE;
	parse_next(ps);
	*out = e;
	return 0;
}

static int
parse_add_stmt(struct flac_spec *sp, char *name, struct flac_loc loc,
    struct flac_expr *e)
{
	struct flac_stmt *nv;
	size_t ncap;

	if (sp->nstmts == sp->capstmts) {
		ncap = sp->capstmts ? sp->capstmts * 2 : 8;
		if ((nv = reallocarray(sp->stmts, ncap, sizeof *nv)) == NULL)
			return -ENOMEM;
		sp->stmts = nv;
		sp->capstmts = ncap;
	}
	memset(&sp->stmts[sp->nstmts], 0, sizeof sp->stmts[0]);
	sp->stmts[sp->nstmts].name = name;
	sp->stmts[sp->nstmts].loc = loc;
	sp->stmts[sp->nstmts].expr = e;
	sp->nstmts++;
	return 0;
}

static int
parse_stmt(struct parser *ps)
{
	struct flac_loc loc = parse_loc(&ps->tok);
	struct flac_expr *e = NULL;
	char *name;
	int r;

	if (parse_tok_is(&ps->tok, "root") &&
	    ps->ahead.type != FLAC_T_EQUALS) {
		parse_next(ps);
		if ((r = parse_expr(ps, &e)) != 0)
			return r;
		if ((r = parse_add_stmt(ps->sp, NULL, loc, e)) != 0)
			flac_expr_free(e);
		return r;
	}
	if (ps->tok.type == FLAC_T_RPAREN)
		return parse_error(ps, loc, "unbalanced ')': no '(' is open "
		    "here");
	if (ps->tok.type != FLAC_T_IDENT)
		return parse_unexpected(ps, "a binding 'NAME = ...' or "
		    "'root ...'");
	if (parse_is_reserved(&ps->tok) && ps->ahead.type == FLAC_T_EQUALS)
		return parse_error(ps, loc, "'%.*s' is a reserved word and "
		    "cannot be bound; choose another name", (int)ps->tok.len,
		    ps->tok.p);
	if (ps->ahead.type != FLAC_T_EQUALS) {
		char what[96];

		if (ps->ahead.type == FLAC_T_LPAREN || parse_is_reserved(
		    &ps->tok)) {
			char got[80];

			flac_tok_describe(&ps->tok, got, sizeof got);
			return parse_error(ps, loc, "expected a binding "
			    "'NAME = ...' or 'root ...', got %s (a service "
			    "expression must follow 'root' or 'NAME =')", got);
		}
		snprintf(what, sizeof what, "'=' after '%.*s' to bind it",
		    (int)ps->tok.len, ps->tok.p);
		parse_next(ps);
		return parse_unexpected(ps, what);
	}
	if ((name = strndup(ps->tok.p, ps->tok.len)) == NULL)
		return -ENOMEM;
	parse_next(ps);
	parse_next(ps);
	if (ps->tok.type == FLAC_T_PATH || (ps->tok.type == FLAC_T_STRING &&
	    ps->tok.len > 0 && ps->tok.p[0] == '/')) {
		if ((e = parse_new_expr(FLAC_E_PATH, parse_loc(&ps->tok))) ==
		    NULL || (e->u.path.raw = strndup(ps->tok.p, ps->tok.len)) ==
		    NULL) {
			free(e);
			free(name);
			return -ENOMEM;
		}
		e->u.path.quoted = ps->tok.type == FLAC_T_STRING;
		parse_next(ps);
	} else if (ps->tok.type != FLAC_T_IDENT) {
		char what[80];

		snprintf(what, sizeof what, "a service expression or a path "
		    "after '%s ='", name);
		free(name);
		return parse_unexpected(ps, what);
	} else if ((r = parse_expr(ps, &e)) != 0) {
		free(name);
		return r;
	} else if (e->kind == FLAC_E_REF)
		e->u.ref.want = FLAC_TY_UNKNOWN;	/* NAME = OTHER */
	if ((r = parse_add_stmt(ps->sp, name, loc, e)) != 0) {
		free(name);
		flac_expr_free(e);
	}
	return r;
}

int
flac_parse(struct flac_spec *sp, const char *src, size_t len)
{
	struct parser ps;
	int r;

	if (len > FLAC_MAX_SOURCE) {
		flac_diag_add(sp, 0, (struct flac_loc){ 1, 1 }, "specification "
		    "is %zu bytes; the limit is %u", len, FLAC_MAX_SOURCE);
		return -EFBIG;
	}
	memset(&ps, 0, sizeof ps);
	ps.sp = sp;
	flac_lex_init(&ps.lx, src, len);
	flac_lex_next(&ps.lx, &ps.ahead);
	parse_next(&ps);
	while (ps.tok.type != FLAC_T_EOF) {
		if ((r = parse_stmt(&ps)) != 0) {
			if (r == -ENOMEM)
				flac_diag_add(sp, 0, parse_loc(&ps.tok),
				    "out of memory");
			return r;
		}
	}
	sp->eof = parse_loc(&ps.tok);
	sp->parsed = 1;
	return 0;
}

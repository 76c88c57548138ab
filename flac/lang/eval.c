/*
 * eval: compile a checked spec for a context into the flat block of
 * eval.h, check such a block, and resolve paths in it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "flac/lang/ast.h"
#include "flac/lang/eval.h"

/* ---- compiling -------------------------------------------------------- */

struct eval_addr {
	int		family;
	uint8_t		a[16];
	char		text[64];
};

struct eval_arr {
	void		*v;
	size_t		 n;
	size_t		 cap;
	size_t		 elem;
};

struct compiler {
	const struct flac_spec *sp;
	const struct flac_ctx *ctx;
	struct eval_addr *addrs;
	struct eval_arr	 nodes, cases, svcs, attrs, choices, strs;
	uint32_t	*svcmap;	/* spec instance -> ns service + 1 */
	const struct flac_expr **mkeys;	/* memo: expr -> node */
	uint32_t	*mvals;
	size_t		 mcap;
	size_t		 mn;
	uint16_t	 flags;
	int		 err;
};

static void *
eval_push(struct eval_arr *a, size_t n)
{
	void *nv;
	size_t ncap;

	if (a->n + n > a->cap) {
		ncap = a->cap ? a->cap : 16;
		while (ncap < a->n + n)
			ncap *= 2;
		if ((nv = realloc(a->v, ncap * a->elem)) == NULL)
			return NULL;
		a->v = nv;
		a->cap = ncap;
	}
	nv = (char *)a->v + a->n * a->elem;
	memset(nv, 0, n * a->elem);
	a->n += n;
	return nv;
}

static uint32_t
eval_str(struct compiler *c, const char *s)
{
	size_t len = strlen(s) + 1, off = c->strs.n;
	char *p;

	if (*s == '\0')
		return 0;
	if ((p = eval_push(&c->strs, len)) == NULL) {
		c->err = -ENOMEM;
		return 0;
	}
	memcpy(p, s, len);
	return (uint32_t)off;
}

/* Adds the string a, then b (when not NULL) after "=", as one string. */
static uint32_t
eval_str_pair(struct compiler *c, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b != NULL ? strlen(b) + 1 : 0;
	size_t off = c->strs.n;
	char *p;

	if ((p = eval_push(&c->strs, la + lb + 1)) == NULL) {
		c->err = -ENOMEM;
		return 0;
	}
	memcpy(p, a, la);
	if (b != NULL) {
		p[la] = '=';
		memcpy(p + la + 1, b, lb - 1);
	}
	p[la + lb] = '\0';
	return (uint32_t)off;
}

static int
eval_match_location(struct compiler *c, const struct flac_case *k)
{
	const struct flac_ctx *ctx = c->ctx;
	uint8_t a[16];
	size_t i;
	int j, bits, family = 0, len;

	if (k->cidr_family != 0) {
		for (i = 0; i < ctx->naddrs; i++) {
			if (c->addrs[i].family != k->cidr_family)
				continue;
			for (j = 0, bits = k->cidr_prefix; bits > 0;
			    j++, bits -= 8) {
				uint8_t m = bits >= 8 ? 0xff :
				    (uint8_t)(0xff00 >> bits);

				if ((c->addrs[i].a[j] & m) != k->cidr_addr[j])
					break;
			}
			if (bits <= 0)
				return 1;
		}
		return 0;
	}
	if (inet_pton(AF_INET, k->pat.s, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, k->pat.s, a) == 1)
		family = AF_INET6;
	if (family != 0) {
		len = family == AF_INET ? 4 : 16;
		for (i = 0; i < ctx->naddrs; i++)
			if (c->addrs[i].family == family &&
			    memcmp(c->addrs[i].a, a, (size_t)len) == 0)
				return 1;
		return 0;
	}
	for (i = 0; i < ctx->nnames; i++)
		if (fnmatch(k->pat.s, ctx->names[i], FNM_CASEFOLD) == 0)
			return 1;
	for (i = 0; i < ctx->naddrs; i++)
		if (fnmatch(k->pat.s, c->addrs[i].text, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

static int
eval_match_env(struct compiler *c, const struct flac_case *k)
{
	size_t i, n = strlen(k->var.s);
	const char *e;

	for (i = 0; i < c->ctx->nenv; i++) {
		e = c->ctx->env[i];
		if (e != NULL && strncmp(e, k->var.s, n) == 0 && e[n] == '=')
			return strcmp(e + n + 1, k->pat.s) == 0;
	}
	return 0;
}

static uint32_t
eval_node(struct compiler *c, const struct flac_expr *e, uint8_t kind,
    uint32_t a, uint32_t b)
{
	struct flac_ns_node *n;

	if ((n = eval_push(&c->nodes, 1)) == NULL) {
		c->err = -ENOMEM;
		return 0;
	}
	n->kind = kind;
	n->a = a;
	n->b = b;
	n->line = (uint32_t)e->loc.line;
	n->col = (uint32_t)e->loc.col;
	return (uint32_t)(c->nodes.n - 1);
}

static uint32_t
eval_service(struct compiler *c, const struct flac_expr *e)
{
	const struct flac_inst *in = &c->sp->insts[e->u.svc.inst];
	struct flac_ns_svc *s;
	struct flac_ns_attr *at;
	uint32_t idx;
	size_t i;

	if (c->svcmap[e->u.svc.inst] == 0) {
		if ((s = eval_push(&c->svcs, 1)) == NULL) {
			c->err = -ENOMEM;
			return 0;
		}
		idx = (uint32_t)c->svcs.n - 1;
		s->id = (uint32_t)e->u.svc.inst;
		s->type = (uint32_t)in->type;
		s->line = (uint32_t)in->loc.line;
		s->col = (uint32_t)in->loc.col;
		s->attr = (uint32_t)c->attrs.n;
		s->nattrs = (uint32_t)in->expr->u.svc.nattrs;
		s->text = eval_str(c, in->text);
		at = NULL;
		if (s->nattrs > 0 &&
		    (at = eval_push(&c->attrs, s->nattrs)) == NULL) {
			c->err = -ENOMEM;
			return 0;
		}
		for (i = 0; i < s->nattrs; i++) {
			const struct flac_attr *a = &in->expr->u.svc.attrs[i];

			at[i].name = eval_str(c, a->name.s);
			at[i].value = eval_str(c, a->value.s);
		}
		c->svcmap[e->u.svc.inst] = idx + 1;
	}
	return eval_node(c, e, FLAC_NK_SERVICE, c->svcmap[e->u.svc.inst] - 1,
	    0);
}

/* The normalized text of a path operand (a literal or a bound name). */
static const char *
eval_path_of(const struct flac_spec *sp, const struct flac_expr *e)
{
	int guard = 0;

	while (e->kind == FLAC_E_REF && guard++ < FLAC_MAX_DEPTH)
		e = sp->stmts[e->u.ref.bind].expr;
	return e->kind == FLAC_E_PATH && e->u.path.norm != NULL ?
	    e->u.path.norm : "/";
}

static size_t
eval_memo_slot(const struct compiler *c, const struct flac_expr *e)
{
	uintptr_t h = (uintptr_t)e;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 7) & (c->mcap - 1);
}

static int
eval_memo_get(const struct compiler *c, const struct flac_expr *e,
    uint32_t *out)
{
	size_t j;

	for (j = eval_memo_slot(c, e); c->mkeys[j] != NULL;
	    j = (j + 1) & (c->mcap - 1))
		if (c->mkeys[j] == e) {
			*out = c->mvals[j];
			return 1;
		}
	return 0;
}

static void
eval_memo_put(struct compiler *c, const struct flac_expr *e, uint32_t v)
{
	size_t j;

	if (c->mn * 2 >= c->mcap)
		return;		/* full enough: just do not remember */
	for (j = eval_memo_slot(c, e); c->mkeys[j] != NULL;
	    j = (j + 1) & (c->mcap - 1))
		;
	c->mkeys[j] = e;
	c->mvals[j] = v;
	c->mn++;
}

static uint32_t eval_expr(struct compiler *, const struct flac_expr *, int);

static uint32_t
eval_select(struct compiler *c, const struct flac_expr *e, int depth)
{
	struct flac_ns_choice *ch;
	struct flac_ns_case *k = NULL;
	uint32_t first, node, *kids;
	size_t i, n = e->u.select.ncases;
	int hit;

	if (e->u.select.ctx == FLAC_CTX_OPERATION) {
		if ((kids = calloc(n, sizeof *kids)) == NULL) {
			c->err = -ENOMEM;
			return 0;
		}
		for (i = 0; i < n && c->err == 0; i++)
			kids[i] = eval_expr(c, e->u.select.cases[i].expr,
			    depth + 1);
		first = (uint32_t)c->cases.n;
		if (c->err == 0 && (k = eval_push(&c->cases, n)) == NULL)
			c->err = -ENOMEM;
		for (i = 0; i < n && c->err == 0; i++) {
			k[i].ops = e->u.select.cases[i].ops;
			k[i].node = kids[i];
			k[i].line = (uint32_t)e->u.select.cases[i].loc.line;
			k[i].col = (uint32_t)e->u.select.cases[i].loc.col;
		}
		free(kids);
		c->flags |= FLAC_NS_F_OPSELECT;
		return eval_node(c, e, FLAC_NK_OPSELECT, first, (uint32_t)n);
	}
	for (i = 0; i < n; i++) {
		const struct flac_case *k2 = &e->u.select.cases[i];

		if (k2->is_else)
			hit = 1;
		else if (e->u.select.ctx == FLAC_CTX_LOCATION)
			hit = eval_match_location(c, k2);
		else
			hit = eval_match_env(c, k2);
		if (hit)
			break;
	}
	if ((ch = eval_push(&c->choices, 1)) == NULL) {
		c->err = -ENOMEM;
		return 0;
	}
	ch->ctx = (uint32_t)e->u.select.ctx;
	ch->line = (uint32_t)e->loc.line;
	ch->col = (uint32_t)e->loc.col;
	ch->chosen = i < n ? (uint32_t)i : FLAC_NS_NONE;
	if (i < n) {
		const struct flac_case *k2 = &e->u.select.cases[i];

		if (k2->is_else)
			ch->pattern = eval_str_pair(c, "else", NULL);
		else if (k2->is_env)
			ch->pattern = eval_str_pair(c, k2->var.s, k2->pat.s);
		else
			ch->pattern = eval_str_pair(c, k2->pat.s, NULL);
		return eval_expr(c, k2->expr, depth + 1);
	}
	node = eval_node(c, e, FLAC_NK_FAIL, 0, 0);
	if (c->err == 0)
		((struct flac_ns_node *)c->nodes.v)[node].mode =
		    (uint8_t)e->u.select.ctx;
	return node;
}

static uint32_t
eval_expr(struct compiler *c, const struct flac_expr *e, int depth)
{
	const struct flac_expr *key = e;
	uint32_t a, b, n = 0;
	struct flac_ns_node *nd;

	if (c->err != 0)
		return 0;
	if (depth > FLAC_MAX_DEPTH + 2) {
		c->err = -ELOOP;
		return 0;
	}
	if (eval_memo_get(c, key, &n))
		return n;
	switch (e->kind) {
	case FLAC_E_REF:
		n = eval_expr(c, c->sp->stmts[e->u.ref.bind].expr, depth + 1);
		break;
	case FLAC_E_PATH:
		c->err = -EINVAL;	/* checked specs have no path here */
		return 0;
	case FLAC_E_SERVICE:
		n = eval_service(c, e);
		break;
	case FLAC_E_SUBTREE:
	case FLAC_E_CUTTREE:
	case FLAC_E_EXTENDTREE:
		a = eval_expr(c, e->u.pathop.sub, depth + 1);
		b = eval_str(c, eval_path_of(c->sp, e->u.pathop.path));
		if (c->err != 0)
			return 0;
		n = eval_node(c, e, e->kind == FLAC_E_SUBTREE ?
		    FLAC_NK_SUBTREE : e->kind == FLAC_E_CUTTREE ?
		    FLAC_NK_CUTTREE : FLAC_NK_EXTENDTREE, a, b);
		break;
	case FLAC_E_OVERLAY:
		a = eval_expr(c, e->u.overlay.a, depth + 1);
		b = eval_expr(c, e->u.overlay.b, depth + 1);
		n = eval_node(c, e, FLAC_NK_OVERLAY, a, b);
		break;
	case FLAC_E_SELECT:
		n = eval_select(c, e, depth);
		break;
	case FLAC_E_TRANSFER:
		a = eval_expr(c, e->u.xfer.primary, depth + 1);
		b = eval_expr(c, e->u.xfer.secondary, depth + 1);
		n = eval_node(c, e, FLAC_NK_TRANSFER, a, b);
		if (c->err == 0) {
			nd = &((struct flac_ns_node *)c->nodes.v)[n];
			nd->mode = (uint8_t)e->u.xfer.mode;
			nd->pullmod = (uint8_t)e->u.xfer.pullmod;
			nd->pushmod = (uint8_t)e->u.xfer.pushmod;
		}
		break;
	}
	if (c->err == 0)
		eval_memo_put(c, key, n);
	return n;
}

static size_t
eval_align(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static void
eval_compiler_free(struct compiler *c)
{
	free(c->addrs);
	free(c->nodes.v);
	free(c->cases.v);
	free(c->svcs.v);
	free(c->attrs.v);
	free(c->choices.v);
	free(c->strs.v);
	free(c->svcmap);
	free(c->mkeys);
	free(c->mvals);
}

int
flac_compile(const struct flac_spec *sp, const struct flac_ctx *ctx,
    struct flac_ns **out)
{
	static const struct flac_ctx empty;
	struct compiler c;
	struct flac_ns *ns;
	size_t off, total, i;
	uint32_t root;
	char *p;

	*out = NULL;
	if (!sp->checked || sp->root == NULL)
		return -EINVAL;
	if (ctx == NULL)
		ctx = &empty;
	memset(&c, 0, sizeof c);
	c.sp = sp;
	c.ctx = ctx;
	c.nodes.elem = sizeof (struct flac_ns_node);
	c.cases.elem = sizeof (struct flac_ns_case);
	c.svcs.elem = sizeof (struct flac_ns_svc);
	c.attrs.elem = sizeof (struct flac_ns_attr);
	c.choices.elem = sizeof (struct flac_ns_choice);
	c.strs.elem = 1;
	c.mcap = 1024;
	if ((ctx->naddrs > 0 && (c.addrs = calloc(ctx->naddrs,
	    sizeof *c.addrs)) == NULL) ||
	    (c.svcmap = calloc(sp->ninsts + 1, sizeof *c.svcmap)) == NULL ||
	    (c.mkeys = calloc(c.mcap, sizeof *c.mkeys)) == NULL ||
	    (c.mvals = calloc(c.mcap, sizeof *c.mvals)) == NULL ||
	    eval_push(&c.strs, 1) == NULL) {
		eval_compiler_free(&c);
		return -ENOMEM;
	}
	for (i = 0; i < ctx->naddrs; i++) {
		struct eval_addr *a = &c.addrs[i];

		if (inet_pton(AF_INET, ctx->addrs[i], a->a) == 1)
			a->family = AF_INET;
		else if (inet_pton(AF_INET6, ctx->addrs[i], a->a) == 1)
			a->family = AF_INET6;
		else {
			eval_compiler_free(&c);
			return -EINVAL;
		}
		inet_ntop(a->family, a->a, a->text, sizeof a->text);
	}
	root = eval_expr(&c, sp->root, 0);
	if (c.err != 0) {
		eval_compiler_free(&c);
		return c.err;
	}

	off = eval_align(sizeof *ns);
	total = off + eval_align(c.nodes.n * c.nodes.elem) +
	    eval_align(c.cases.n * c.cases.elem) +
	    eval_align(c.svcs.n * c.svcs.elem) +
	    eval_align(c.attrs.n * c.attrs.elem) +
	    eval_align(c.choices.n * c.choices.elem) + eval_align(c.strs.n);
	if (total > UINT32_MAX) {
		eval_compiler_free(&c);
		return -E2BIG;
	}
	if ((ns = calloc(1, total)) == NULL) {
		eval_compiler_free(&c);
		return -ENOMEM;
	}
	ns->magic = FLAC_NS_MAGIC;
	ns->version = FLAC_NS_VERSION;
	ns->flags = c.flags;
	ns->size = (uint32_t)total;
	ns->root = root;
	p = (char *)ns;
#define EVAL_SECTION(arr, cnt, field) do {				\
	ns->cnt = (uint32_t)(arr).n;					\
	ns->field = (uint32_t)off;					\
	if ((arr).n > 0)						\
		memcpy(p + off, (arr).v, (arr).n * (arr).elem);		\
	off += eval_align((arr).n * (arr).elem);			\
} while (0)
	EVAL_SECTION(c.nodes, nnodes, nodes);
	EVAL_SECTION(c.cases, ncases, cases);
	EVAL_SECTION(c.svcs, nsvcs, svcs);
	EVAL_SECTION(c.attrs, nattrs, attrs);
	EVAL_SECTION(c.choices, nchoices, choices);
	EVAL_SECTION(c.strs, strsz, strs);
#undef EVAL_SECTION
	eval_compiler_free(&c);
	*out = ns;
	return 0;
}

/* ---- validation ------------------------------------------------------- */

static int
eval_section_ok(const struct flac_ns *ns, uint32_t n, uint32_t off,
    size_t elem)
{
	uint64_t end = (uint64_t)off + (uint64_t)n * elem;

	return off >= sizeof *ns && off % 4 == 0 && end <= ns->size;
}

static int
eval_str_ok(const struct flac_ns *ns, uint32_t off)
{
	return off < ns->strsz;
}

int
flac_ns_validate(const void *p, size_t len)
{
	const struct flac_ns *ns = p;
	const struct flac_ns_node *nd;
	const struct flac_ns_case *k;
	const struct flac_ns_svc *s;
	const struct flac_ns_attr *at;
	const struct flac_ns_choice *ch;
	uint32_t i, j;

	if (len < sizeof *ns || ((uintptr_t)p % 8) != 0)
		return -EBADMSG;
	if (ns->magic != FLAC_NS_MAGIC || ns->version != FLAC_NS_VERSION ||
	    ns->size > len || ns->size < sizeof *ns)
		return -EBADMSG;
	if (!eval_section_ok(ns, ns->nnodes, ns->nodes, sizeof *nd) ||
	    !eval_section_ok(ns, ns->ncases, ns->cases, sizeof *k) ||
	    !eval_section_ok(ns, ns->nsvcs, ns->svcs, sizeof *s) ||
	    !eval_section_ok(ns, ns->nattrs, ns->attrs, sizeof *at) ||
	    !eval_section_ok(ns, ns->nchoices, ns->choices, sizeof *ch) ||
	    !eval_section_ok(ns, ns->strsz, ns->strs, 1))
		return -EBADMSG;
	if (ns->strsz == 0 || flac_ns_str(ns, 0)[0] != '\0' ||
	    flac_ns_str(ns, 0)[ns->strsz - 1] != '\0')
		return -EBADMSG;
	if (ns->nnodes == 0 || ns->root >= ns->nnodes)
		return -EBADMSG;
	nd = flac_ns_nodes(ns);
	k = flac_ns_cases(ns);
	for (i = 0; i < ns->nnodes; i++, nd++) {
		switch (nd->kind) {
		case FLAC_NK_SERVICE:
			if (nd->a >= ns->nsvcs)
				return -EBADMSG;
			break;
		case FLAC_NK_SUBTREE:
		case FLAC_NK_CUTTREE:
		case FLAC_NK_EXTENDTREE:
			if (nd->a >= i || !eval_str_ok(ns, nd->b) ||
			    flac_ns_str(ns, nd->b)[0] != '/')
				return -EBADMSG;
			break;
		case FLAC_NK_OVERLAY:
			if (nd->a >= i || nd->b >= i)
				return -EBADMSG;
			break;
		case FLAC_NK_OPSELECT:
			if (nd->b == 0 || nd->a > ns->ncases ||
			    nd->b > ns->ncases - nd->a)
				return -EBADMSG;
			for (j = nd->a; j < nd->a + nd->b; j++)
				if (k[j].node >= i)
					return -EBADMSG;
			break;
		case FLAC_NK_TRANSFER:
			if (nd->a >= i || nd->b >= i || nd->mode < 1 ||
			    nd->mode > 3 || nd->pullmod >= FLAC_MOD__COUNT ||
			    nd->pushmod >= FLAC_MOD__COUNT)
				return -EBADMSG;
			break;
		case FLAC_NK_FAIL:
			break;
		default:
			return -EBADMSG;
		}
	}
	s = flac_ns_svcs(ns);
	for (i = 0; i < ns->nsvcs; i++, s++)
		if (s->type >= FLAC_SVC__COUNT || !eval_str_ok(ns, s->text) ||
		    s->attr > ns->nattrs || s->nattrs > ns->nattrs - s->attr)
			return -EBADMSG;
	at = flac_ns_attrs(ns);
	for (i = 0; i < ns->nattrs; i++, at++)
		if (!eval_str_ok(ns, at->name) || !eval_str_ok(ns, at->value))
			return -EBADMSG;
	ch = flac_ns_choices(ns);
	for (i = 0; i < ns->nchoices; i++, ch++)
		if (ch->ctx >= FLAC_CTX__COUNT || !eval_str_ok(ns, ch->pattern))
			return -EBADMSG;
	return 0;
}

/* ---- paths ------------------------------------------------------------ */

/* 1 when p is P or below it, on component boundaries. */
static int
eval_under(const char *p, const char *P)
{
	size_t n = strlen(P);

	if (n == 1)		/* "/" */
		return 1;
	return strncmp(p, P, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* 1 when p is a proper ancestor of P. */
static int
eval_ancestor(const char *p, const char *P)
{
	return strcmp(p, P) != 0 && eval_under(P, p);
}

/* The part of p below P, which p is under: "/" when p is P. */
static const char *
eval_rest(const char *p, const char *P)
{
	size_t n = strlen(P);

	if (n == 1)
		return p;
	return p[n] == '\0' ? "/" : p + n;
}

/* Length of the parent of P ("/a/b" -> 2, "/a" -> 1 for "/"). */
static size_t
eval_parent_len(const char *P)
{
	const char *s = strrchr(P, '/');

	return s == P ? 1 : (size_t)(s - P);
}

/* ---- points ----------------------------------------------------------- */

struct eval_pts {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static int
eval_pts_add(struct eval_pts *s, const char *p, size_t len)
{
	char **nv;
	size_t ncap;

	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 8;
		if ((nv = reallocarray(s->v, ncap, sizeof *nv)) == NULL)
			return -ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	if ((s->v[s->n] = strndup(p, len)) == NULL)
		return -ENOMEM;
	s->n++;
	return 0;
}

static int
eval_pts_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
eval_pts_uniq(struct eval_pts *s)
{
	size_t i, j = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof *s->v, eval_pts_cmp);
	for (i = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[j]) == 0)
			free(s->v[i]);
		else
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
}

void
flac_ns_points_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
eval_points(const struct flac_ns *ns, uint32_t n, struct eval_pts *out,
    int depth)
{
	const struct flac_ns_node *nd = &flac_ns_nodes(ns)[n];
	struct eval_pts sub = { NULL, 0, 0 };
	const char *P, *q;
	char *buf;
	size_t i, plen;
	int r = 0;

	if (depth > FLAC_MAX_DEPTH + 2)
		return -ELOOP;
	if ((r = eval_pts_add(out, "/", 1)) != 0)
		return r;
	switch (nd->kind) {
	case FLAC_NK_SUBTREE:
	case FLAC_NK_CUTTREE:
	case FLAC_NK_EXTENDTREE:
		P = flac_ns_str(ns, nd->b);
		plen = strlen(P);
		if ((r = eval_points(ns, nd->a, &sub, depth + 1)) != 0)
			break;
		if (nd->kind == FLAC_NK_EXTENDTREE)
			r = eval_pts_add(out, P, plen);
		else if (nd->kind == FLAC_NK_CUTTREE)
			r = eval_pts_add(out, P, plen);
		for (i = 0; i < sub.n && r == 0; i++) {
			q = sub.v[i];
			if (nd->kind == FLAC_NK_SUBTREE) {
				if (eval_under(q, P))
					r = eval_pts_add(out, eval_rest(q, P),
					    strlen(eval_rest(q, P)));
			} else if (nd->kind == FLAC_NK_CUTTREE) {
				if (!eval_under(q, P))
					r = eval_pts_add(out, q, strlen(q));
			} else {
				/* P then q: "/" is P, P "/" is q */
				if (asprintf(&buf, "%s%s", plen == 1 ? "" : P,
				    strcmp(q, "/") == 0 && plen > 1 ? "" : q) < 0)
					r = -ENOMEM;
				else {
					r = eval_pts_add(out, buf, strlen(buf));
					free(buf);
				}
			}
		}
		break;
	case FLAC_NK_OVERLAY:
	case FLAC_NK_TRANSFER:
		if ((r = eval_points(ns, nd->a, out, depth + 1)) == 0)
			r = eval_points(ns, nd->b, out, depth + 1);
		break;
	case FLAC_NK_OPSELECT:
		for (i = nd->a; i < (size_t)nd->a + nd->b && r == 0; i++)
			r = eval_points(ns, flac_ns_cases(ns)[i].node, out,
			    depth + 1);
		break;
	default:
		break;
	}
	flac_ns_points_free(sub.v, sub.n);
	eval_pts_uniq(out);
	return r;
}

int
flac_ns_points(const struct flac_ns *ns, char ***out, size_t *n)
{
	struct eval_pts s = { NULL, 0, 0 };
	int r;

	*out = NULL;
	*n = 0;
	if ((r = eval_points(ns, ns->root, &s, 0)) != 0) {
		flac_ns_points_free(s.v, s.n);
		return r;
	}
	*out = s.v;
	*n = s.n;
	return 0;
}

/* ---- resolution ------------------------------------------------------- */

struct walk {
	const struct flac_ns *ns;
	struct flac_res	*res;
	enum flac_op	 op;
	size_t		 top;		/* scratch in use */
	const char	*hides[FLAC_RES_MAXHIDES];
	size_t		 hidelen[FLAC_RES_MAXHIDES];
	size_t		 nhides;
	unsigned	 steps;
};

/* Copies s[0..n) into res->buf; returns its offset or -E2BIG. */
static long
walk_str(struct walk *w, const char *s, size_t n)
{
	struct flac_res *res = w->res;
	long off = res->buflen;

	if (n + 1 > FLAC_RES_BUFSZ - res->buflen)
		return -E2BIG;
	memcpy(res->buf + res->buflen, s, n);
	res->buf[res->buflen + n] = '\0';
	res->buflen += (uint32_t)n + 1;
	return off;
}

static struct flac_rnode *
walk_emit(struct walk *w, uint8_t kind, uint32_t node)
{
	struct flac_rnode *r;

	if (w->res->nnodes >= FLAC_RES_MAXNODES)
		return NULL;
	r = &w->res->nodes[w->res->nnodes++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->size = 1;
	r->node = node;
	return r;
}

/* A leaf with a string (SERVICE: the path; DIR: the entry) and hides. */
static int
walk_leaf(struct walk *w, uint8_t kind, uint32_t node, uint32_t svc,
    const char *s, size_t n)
{
	struct flac_rnode *r;
	long off;
	size_t i;

	if ((r = walk_emit(w, kind, node)) == NULL)
		return -E2BIG;
	r->svc = svc;
	if ((off = walk_str(w, s, n)) < 0)
		return (int)off;
	r->path = (uint32_t)off;
	r->hide = w->res->nhides;
	for (i = 0; i < w->nhides; i++) {
		if (w->res->nhides >= FLAC_RES_MAXHIDES)
			return -E2BIG;
		if ((off = walk_str(w, w->hides[i], w->hidelen[i])) < 0)
			return (int)off;
		w->res->hides[w->res->nhides++] = (uint32_t)off;
	}
	r->nhide = w->res->nhides - r->hide;
	return 0;
}

/* 1 when two leaves name the same thing: a later copy adds nothing. */
static int
walk_same_leaf(const struct flac_res *res, const struct flac_rnode *a,
    const struct flac_rnode *b)
{
	uint32_t i;

	if (a->kind != b->kind || (a->kind != FLAC_R_SERVICE &&
	    a->kind != FLAC_R_DIR) || a->svc != b->svc ||
	    a->nhide != b->nhide ||
	    strcmp(res->buf + a->path, res->buf + b->path) != 0)
		return 0;
	for (i = 0; i < a->nhide; i++)
		if (strcmp(res->buf + res->hides[a->hide + i],
		    res->buf + res->hides[b->hide + i]) != 0)
			return 0;
	return 1;
}

/* Appends the layer at res->nodes[i] to tmp, unless a copy is there. */
static void
walk_add_layer(struct walk *w, uint32_t i, uint32_t *n, uint32_t *kids)
{
	struct flac_res *res = w->res;
	uint32_t j;

	for (j = 0; j < *n; j += res->tmp[j].size)
		if (walk_same_leaf(res, &res->tmp[j], &res->nodes[i]))
			return;
	memcpy(&res->tmp[*n], &res->nodes[i],
	    res->nodes[i].size * sizeof res->tmp[0]);
	*n += res->nodes[i].size;
	(*kids)++;
}

/*
 * Rewrites the overlay at index at, whose children were just emitted:
 * nothing-layers go, nested overlays are flattened, a layer that repeats
 * an earlier one goes (it is occluded entirely), and an overlay left with
 * one layer (or none) is replaced by it (or by nothing).
 */
static void
walk_fix_overlay(struct walk *w, uint32_t at)
{
	struct flac_res *res = w->res;
	struct flac_rnode *ov = &res->nodes[at];
	uint32_t i, end = res->nnodes, n = 0, kids = 0, j, kend;

	for (i = at + 1; i < end; i += res->nodes[i].size) {
		if (res->nodes[i].kind == FLAC_R_NONE)
			continue;
		if (res->nodes[i].kind == FLAC_R_OVERLAY) {
			kend = i + res->nodes[i].size;
			for (j = i + 1; j < kend; j += res->nodes[j].size)
				walk_add_layer(w, j, &n, &kids);
			continue;
		}
		walk_add_layer(w, i, &n, &kids);
	}
	if (kids == 0) {
		ov->kind = FLAC_R_NONE;
		ov->size = 1;
		ov->nkids = 0;
		res->nnodes = at + 1;
		return;
	}
	if (kids == 1) {
		memcpy(ov, w->res->tmp, n * sizeof w->res->tmp[0]);
		res->nnodes = at + n;
		return;
	}
	memcpy(ov + 1, w->res->tmp, n * sizeof w->res->tmp[0]);
	ov->size = (uint16_t)(n + 1);
	ov->nkids = (uint16_t)kids;
	res->nnodes = at + 1 + n;
}

static int
walk(struct walk *w, uint32_t n, const char *p, int depth)
{
	const struct flac_ns *ns = w->ns;
	const struct flac_ns_node *nd;
	const struct flac_ns_case *k;
	struct flac_rnode *r;
	const char *P, *s, *e;
	size_t plen, len, top;
	uint32_t at, i;
	int rc;

	if (depth > FLAC_MAX_DEPTH + 2 || ++w->steps > FLAC_RES_MAXSTEPS)
		return -ELOOP;
	nd = &flac_ns_nodes(ns)[n];
	switch (nd->kind) {
	case FLAC_NK_SERVICE:
		return walk_leaf(w, FLAC_R_SERVICE, n, nd->a, p, strlen(p));
	case FLAC_NK_SUBTREE:
		P = flac_ns_str(ns, nd->b);
		if (strcmp(P, "/") == 0)
			return walk(w, nd->a, p, depth + 1);
		if (strcmp(p, "/") == 0)
			return walk(w, nd->a, P, depth + 1);
		plen = strlen(P);
		len = strlen(p);
		if (plen + len > FLAC_MAX_PATH)
			return -ENAMETOOLONG;
		if (w->top + plen + len + 1 > FLAC_RES_SCRATCH)
			return -ENAMETOOLONG;
		top = w->top;
		memcpy(w->res->scratch + top, P, plen);
		memcpy(w->res->scratch + top + plen, p, len + 1);
		w->top += plen + len + 1;
		rc = walk(w, nd->a, w->res->scratch + top, depth + 1);
		w->top = top;
		return rc;
	case FLAC_NK_EXTENDTREE:
		P = flac_ns_str(ns, nd->b);
		if (eval_under(p, P))
			return walk(w, nd->a, eval_rest(p, P), depth + 1);
		if (eval_ancestor(p, P)) {
			/* a synthetic directory holding the next component */
			s = P + (strcmp(p, "/") == 0 ? 1 : strlen(p) + 1);
			e = strchr(s, '/');
			len = e != NULL ? (size_t)(e - s) : strlen(s);
			return walk_leaf(w, FLAC_R_DIR, n, 0, s, len);
		}
		return walk_emit(w, FLAC_R_NONE, n) != NULL ? 0 : -E2BIG;
	case FLAC_NK_CUTTREE:
		P = flac_ns_str(ns, nd->b);
		if (eval_under(p, P))
			return walk_emit(w, FLAC_R_NONE, n) != NULL ? 0 :
			    -E2BIG;
		plen = eval_parent_len(P);
		if (strlen(p) == plen && strncmp(p, P, plen) == 0) {
			/* p holds P's last component: hide it in listings */
			if (w->nhides >= FLAC_RES_MAXHIDES)
				return -E2BIG;
			s = P + plen + (plen > 1);
			w->hides[w->nhides] = s;
			w->hidelen[w->nhides++] = strlen(s);
			rc = walk(w, nd->a, p, depth + 1);
			w->nhides--;
			return rc;
		}
		return walk(w, nd->a, p, depth + 1);
	case FLAC_NK_OVERLAY:
		at = w->res->nnodes;
		if ((r = walk_emit(w, FLAC_R_OVERLAY, n)) == NULL)
			return -E2BIG;
		if ((rc = walk(w, nd->a, p, depth + 1)) != 0 ||
		    (rc = walk(w, nd->b, p, depth + 1)) != 0)
			return rc;
		walk_fix_overlay(w, at);
		return 0;
	case FLAC_NK_OPSELECT:
		k = &flac_ns_cases(ns)[nd->a];
		for (i = 0; i < nd->b; i++)
			if (k[i].ops & (1u << w->op))
				return walk(w, k[i].node, p, depth + 1);
		return walk_emit(w, FLAC_R_FAIL, n) != NULL ? 0 : -E2BIG;
	case FLAC_NK_TRANSFER:
		at = w->res->nnodes;
		if ((r = walk_emit(w, FLAC_R_TRANSFER, n)) == NULL)
			return -E2BIG;
		r->mode = nd->mode;
		r->pullmod = nd->pullmod;
		r->pushmod = nd->pushmod;
		r->nkids = 2;
		if ((rc = walk(w, nd->a, p, depth + 1)) != 0)
			return rc;
		i = w->res->nnodes;
		if ((rc = walk(w, nd->b, p, depth + 1)) != 0)
			return rc;
		r = &w->res->nodes[at];
		if (w->res->nodes[at + 1].kind == FLAC_R_NONE &&
		    w->res->nodes[i].kind == FLAC_R_NONE) {
			memset(r, 0, sizeof *r);
			r->kind = FLAC_R_NONE;
			r->size = 1;
			r->node = n;
			w->res->nnodes = at + 1;
			return 0;
		}
		r->size = (uint16_t)(w->res->nnodes - at);
		return 0;
	case FLAC_NK_FAIL:
		return walk_emit(w, FLAC_R_FAIL, n) != NULL ? 0 : -E2BIG;
	}
	return -EINVAL;
}

/* Lexical normalization of an absolute path into out (size sz). */
static int
eval_norm_input(const char *path, char *out, size_t sz)
{
	const char *p = path, *c;
	size_t len = 0, n;

	if (path == NULL || *path != '/')
		return -EINVAL;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			continue;
		}
		if (len + 1 + n + 1 > sz || len + 1 + n > FLAC_MAX_PATH)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, c, n);
		len += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return (int)len;
}

int
flac_resolve(const struct flac_ns *ns, enum flac_op op, const char *path,
    struct flac_res *res)
{
	struct walk w;
	int len, rc;

	res->nnodes = 0;
	res->nhides = 0;
	res->buflen = 0;
	if ((unsigned)op >= FLAC_OP__COUNT || ns->root >= ns->nnodes)
		return -EINVAL;
	if ((len = eval_norm_input(path, res->scratch, FLAC_MAX_PATH + 1)) < 0)
		return len;
	memset(&w, 0, sizeof w);
	w.ns = ns;
	w.res = res;
	w.op = op;
	w.top = (size_t)len + 1;
	rc = walk(&w, ns->root, res->scratch, 0);
	if (rc != 0) {
		res->nnodes = 0;
		return rc;
	}
	return 0;
}

const struct flac_rnode *
flac_res_first(const struct flac_res *res)
{
	uint32_t i;

	/* in preorder, a transfer's primary comes before its secondary */
	for (i = 0; i < res->nnodes; i++)
		if (res->nodes[i].kind == FLAC_R_SERVICE)
			return &res->nodes[i];
	return NULL;
}

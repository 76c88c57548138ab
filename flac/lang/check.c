/*
 * check: the meaning of a parsed specification, checked before anything
 * runs.  It resolves names (each reference gets its binding, or an error
 * with a suggestion), infers whether a binding is a service or a path,
 * finds cycles, checks that there is exactly one root, validates service
 * attributes, select patterns and transfer modes, normalizes paths, bounds
 * the size of the expanded expression, and numbers the distinct primitive
 * service instances.  Every error found is reported, not just the first.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "flac/lang/ast.h"
#include "flac/lang/lex.h"

struct check_info {
	size_t	size;		/* nodes once names are expanded */
	int	height;		/* levels once names are expanded */
};

struct checker {
	struct flac_spec *sp;
	size_t		*byname;	/* binding stmt indices by name */
	size_t		 nbyname;
	const char	**names;	/* binding names, for suggestions */
	int		*state;		/* per stmt: 0 new, 1 busy, 2 done */
	struct check_info *info;	/* per stmt, when done */
	size_t		*stack;		/* bindings being checked */
	size_t		 nstack;
	int		 depth;
	int		 too_deep;
	size_t		*ihash;	/* instance index + 1, open addressing */
	size_t		 icap;
	size_t		 instcap;
	int		 err;		/* -ENOMEM */
};

#define CHECK_CAP_SIZE	((size_t)FLAC_MAX_EXPANDED * 4)

static struct check_info check_expr(struct checker *, struct flac_expr *);

static size_t
check_add(size_t a, size_t b)
{
	return a + b > CHECK_CAP_SIZE ? CHECK_CAP_SIZE : a + b;
}

static int
check_cmp_name(const void *a, const void *b, void *arg)
{
	const struct flac_spec *sp = arg;
	const struct flac_stmt *x = &sp->stmts[*(const size_t *)a];
	const struct flac_stmt *y = &sp->stmts[*(const size_t *)b];
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	/* equal names: in source order, so the first binding wins */
	return (*(const size_t *)a > *(const size_t *)b) -
	    (*(const size_t *)a < *(const size_t *)b);
}

/* The binding named s, or -1. */
static long
check_lookup(struct checker *ck, const char *s)
{
	size_t lo = 0, hi = ck->nbyname, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(s, ck->sp->stmts[ck->byname[mid]].name);
		if (c == 0) {
			/* the first of equal names */
			while (mid > 0 && strcmp(s,
			    ck->sp->stmts[ck->byname[mid - 1]].name) == 0)
				mid--;
			return (long)ck->byname[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* ---- values ----------------------------------------------------------- */

/*
 * Normalizes an absolute path: repeated and trailing slashes and "."
 * components go; ".." is refused.  Returns 0, -EINVAL with *why set, or
 * -ENOMEM.
 */
static int
check_path_norm(const char *raw, char **out, const char **why)
{
	const char *p = raw, *c;
	size_t n, len;
	char *o;

	*out = NULL;
	if (*raw != '/') {
		*why = "a path starts with '/'";
		return -EINVAL;
	}
	if (strlen(raw) > FLAC_MAX_PATH) {
		*why = "the path is too long";
		return -EINVAL;
	}
	if ((o = malloc(strlen(raw) + 2)) == NULL)
		return -ENOMEM;
	len = 0;
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
			free(o);
			*why = "'..' is not allowed in a path: write the path "
			    "it leads to";
			return -EINVAL;
		}
		o[len++] = '/';
		memcpy(o + len, c, n);
		len += n;
	}
	if (len == 0)
		o[len++] = '/';
	o[len] = '\0';
	*out = o;
	return 0;
}

static int
check_host(const char *s)
{
	unsigned char b[16];
	size_t i, label = 0, len = strlen(s);

	if (inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1)
		return 1;
	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return 1;
}

static int
check_simple_name(const char *s)
{
	if (*s == '\0' || *s == '-' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return 0;
	return 1;
}

/* \\host\share[\dir...] */
static int
check_share(const char *s)
{
	const char *h, *e;
	char host[256];

	if (s[0] != '\\' || s[1] != '\\')
		return 0;
	h = s + 2;
	if ((e = strchr(h, '\\')) == NULL || e == h || (size_t)(e - h) >=
	    sizeof host)
		return 0;
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	if (!check_host(host))
		return 0;
	e++;
	if (*e == '\0' || *e == '\\')
		return 0;
	for (; *e != '\0'; e++)
		if ((unsigned char)*e < ' ' || strchr("/:*?\"<>|", *e) != NULL)
			return 0;
	return 1;
}

static int
check_port(const char *s, long *port)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return 0;
	*port = v;
	return 1;
}

/* ---- instances -------------------------------------------------------- */

static uint64_t
check_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int
check_attr_cmp(const void *a, const void *b)
{
	const struct flac_attr *x = *(const struct flac_attr *const *)a;
	const struct flac_attr *y = *(const struct flac_attr *const *)b;

	return strcmp(x->name.s, y->name.s);
}

/* Canonical text of an instance: attributes by name, values quoted. */
static char *
check_inst_text(const struct flac_expr *e, char **norms)
{
	const struct flac_attr **v = NULL;
	size_t i, len, n = e->u.svc.nattrs;
	char *s = NULL;
	FILE *f;

	if ((f = open_memstream(&s, &len)) == NULL)
		return NULL;
	if (n > 0 && (v = calloc(n, sizeof *v)) == NULL) {
		fclose(f);
		free(s);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = &e->u.svc.attrs[i];
	if (n > 0)
		qsort(v, n, sizeof *v, check_attr_cmp);
	fprintf(f, "%s(", flac_svc_names[e->u.svc.type]);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s=\"%s\"", i ? ", " : "", v[i]->name.s,
		    norms[v[i] - e->u.svc.attrs] != NULL ?
		    norms[v[i] - e->u.svc.attrs] : v[i]->value.s);
	fprintf(f, ")");
	free(v);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int
check_grow_insts(struct checker *ck)
{
	struct flac_spec *sp = ck->sp;
	struct flac_inst *nv;
	size_t *nh, ncap, i, j;

	if (sp->ninsts == ck->instcap) {
		ncap = ck->instcap ? ck->instcap * 2 : 8;
		if ((nv = reallocarray(sp->insts, ncap, sizeof *nv)) == NULL)
			return -ENOMEM;
		sp->insts = nv;
		ck->instcap = ncap;
	}
	if ((sp->ninsts + 1) * 2 > ck->icap) {
		ncap = ck->icap ? ck->icap * 2 : 16;
		if ((nh = calloc(ncap, sizeof *nh)) == NULL)
			return -ENOMEM;
		for (i = 0; i < sp->ninsts; i++) {
			j = check_hash(sp->insts[i].text) & (ncap - 1);
			while (nh[j] != 0)
				j = (j + 1) & (ncap - 1);
			nh[j] = i + 1;
		}
		free(ck->ihash);
		ck->ihash = nh;
		ck->icap = ncap;
	}
	return 0;
}

/* Finds or adds the instance with this text; takes text. */
static int
check_intern(struct checker *ck, struct flac_expr *e, char *text)
{
	struct flac_spec *sp = ck->sp;
	struct flac_inst *in;
	size_t j;

	if (check_grow_insts(ck) != 0) {
		free(text);
		return -ENOMEM;
	}
	j = check_hash(text) & (ck->icap - 1);
	while (ck->ihash[j] != 0) {
		in = &sp->insts[ck->ihash[j] - 1];
		if (strcmp(in->text, text) == 0) {
			e->u.svc.inst = ck->ihash[j] - 1;
			free(text);
			return 0;
		}
		j = (j + 1) & (ck->icap - 1);
	}
	in = &sp->insts[sp->ninsts];
	in->type = e->u.svc.type;
	in->loc = e->loc;
	in->expr = e;
	in->text = text;
	e->u.svc.inst = sp->ninsts;
	ck->ihash[j] = ++sp->ninsts;
	return 0;
}

/* ---- expressions ------------------------------------------------------ */

static void
check_service(struct checker *ck, struct flac_expr *e)
{
	const struct flac_svc_def *def = &flac_svc_defs[e->u.svc.type];
	const char *cands[8], *hint, *why;
	char **norms = NULL, *text, buf[32];
	size_t i, j, k, nerr = ck->sp->nerrors;
	long port;
	int seen[8] = { 0 };

	if (e->u.svc.nattrs > 0 &&
	    (norms = calloc(e->u.svc.nattrs, sizeof *norms)) == NULL) {
		ck->err = -ENOMEM;
		return;
	}
	for (i = 0; i < def->nattrs; i++)
		cands[i] = def->attrs[i].name;
	for (i = 0; i < e->u.svc.nattrs; i++) {
		struct flac_attr *a = &e->u.svc.attrs[i];
		const char *v = a->value.s;

		for (j = 0; j < def->nattrs; j++)
			if (strcmp(a->name.s, def->attrs[j].name) == 0)
				break;
		if (j == def->nattrs) {
			if (def->nattrs == 0)
				flac_diag_add(ck->sp, 0, a->name.loc, "local "
				    "takes no attributes: write local()");
			else if ((hint = flac_suggest(a->name.s, cands,
			    def->nattrs)) != NULL)
				flac_diag_add(ck->sp, 0, a->name.loc,
				    "unknown attribute '%s' of %s (did you "
				    "mean '%s'?)", a->name.s, def->name, hint);
			else
				flac_diag_add(ck->sp, 0, a->name.loc,
				    "unknown attribute '%s' of %s (it takes "
				    "%s%s%s%s%s%s%s)", a->name.s, def->name,
				    cands[0], def->nattrs > 1 ? ", " : "",
				    def->nattrs > 1 ? cands[1] : "",
				    def->nattrs > 2 ? ", " : "",
				    def->nattrs > 2 ? cands[2] : "",
				    def->nattrs > 3 ? ", " : "",
				    def->nattrs > 3 ? cands[3] : "");
			continue;
		}
		if (seen[j]) {
			for (k = 0; k < i; k++)
				if (strcmp(e->u.svc.attrs[k].name.s,
				    a->name.s) == 0)
					break;
			flac_diag_add(ck->sp, 0, a->name.loc, "attribute "
			    "'%s' is given twice (first at %d:%d)", a->name.s,
			    e->u.svc.attrs[k].name.loc.line,
			    e->u.svc.attrs[k].name.loc.col);
			continue;
		}
		seen[j] = 1;
		switch (def->attrs[j].kind) {
		case FLAC_AK_HOST:
			if (!check_host(v))
				flac_diag_add(ck->sp, 0, a->value.loc, "bad "
				    "host '%.80s': a host name or an IP "
				    "address is expected", v);
			break;
		case FLAC_AK_PORT:
			if (!check_port(v, &port))
				flac_diag_add(ck->sp, 0, a->value.loc, "bad "
				    "port '%.40s': a number from 1 to 65535 "
				    "is expected", v);
			else {
				snprintf(buf, sizeof buf, "%ld", port);
				if ((norms[i] = strdup(buf)) == NULL)
					ck->err = -ENOMEM;
			}
			break;
		case FLAC_AK_PATH:
			if (check_path_norm(v, &norms[i], &why) == -EINVAL)
				flac_diag_add(ck->sp, 0, a->value.loc, "bad "
				    "path '%.80s': %s", v, why);
			else if (norms[i] == NULL)
				ck->err = -ENOMEM;
			break;
		case FLAC_AK_USER:
		case FLAC_AK_DOMAIN:
			if (!check_simple_name(v))
				flac_diag_add(ck->sp, 0, a->value.loc, "bad "
				    "%s name '%.80s': letters, digits, '.', "
				    "'-' and '_' are expected",
				    def->attrs[j].kind == FLAC_AK_USER ?
				    "user" : "domain", v);
			break;
		case FLAC_AK_SHARE:
			if (!check_share(v))
				flac_diag_add(ck->sp, 0, a->value.loc, "bad "
				    "share '%.80s': a share looks like "
				    "\"\\\\host\\share\"", v);
			break;
		}
	}
	for (j = 0; j < def->nattrs; j++)
		if (def->attrs[j].required && !seen[j])
			flac_diag_add(ck->sp, 0, e->loc, "%s needs a '%s' "
			    "attribute, as in %s(%s=%s)", def->name,
			    def->attrs[j].name, def->name, def->attrs[j].name,
			    def->attrs[j].kind == FLAC_AK_SHARE ?
			    "\"\\\\server\\share\"" : "\"fileserver\"");
	if (ck->sp->nerrors == nerr && ck->err == 0) {
		if ((text = check_inst_text(e, norms)) == NULL ||
		    check_intern(ck, e, text) != 0)
			ck->err = -ENOMEM;
	}
	for (i = 0; i < e->u.svc.nattrs; i++)
		free(norms[i]);
	free(norms);
}

static void
check_location_pattern(struct checker *ck, struct flac_case *c)
{
	const char *s = c->pat.s, *slash;
	char addr[64], *end;
	unsigned char *b = c->cidr_addr;
	long prefix;
	int max, i, bits, hostbits = 0;

	if ((slash = strrchr(s, '/')) != NULL) {
		if ((size_t)(slash - s) >= sizeof addr)
			goto bad;
		memcpy(addr, s, (size_t)(slash - s));
		addr[slash - s] = '\0';
		if (inet_pton(AF_INET, addr, b) == 1) {
			c->cidr_family = AF_INET;
			max = 32;
		} else if (inet_pton(AF_INET6, addr, b) == 1) {
			c->cidr_family = AF_INET6;
			max = 128;
		} else {
			flac_diag_add(ck->sp, 0, c->pat.loc, "bad address "
			    "'%s' in the CIDR pattern '%.80s'", addr, s);
			return;
		}
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end != '\0' ||
		    errno != 0 || prefix > max) {
			flac_diag_add(ck->sp, 0, c->pat.loc, "bad prefix "
			    "length '%.20s' in the CIDR pattern '%.80s': %s "
			    "takes 0 to %d", slash + 1, s, max == 32 ? "IPv4" :
			    "IPv6", max);
			c->cidr_family = 0;
			return;
		}
		c->cidr_prefix = (int)prefix;
		for (i = 0; i < max / 8; i++) {
			bits = (int)prefix - i * 8;
			if (bits >= 8)
				continue;
			if (bits < 0)
				bits = 0;
			if (b[i] & (0xff >> bits))
				hostbits = 1;
			b[i] &= (unsigned char)(0xff00 >> bits);
		}
		if (hostbits) {
			inet_ntop(c->cidr_family, b, addr, sizeof addr);
			flac_diag_add(ck->sp, 1, c->pat.loc, "the CIDR pattern "
			    "'%.80s' has bits set past its prefix; it matches "
			    "%s/%ld", s, addr, prefix);
		}
		return;
	}
	if (*s == '\0')
		goto bad;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(".-_*?[]!:%", *s) ==
		    NULL)
			goto bad;
	return;
bad:
	flac_diag_add(ck->sp, 0, c->pat.loc, "bad location pattern '%.80s': "
	    "a host name, an address, a wildcard such as *.example.org or a "
	    "CIDR block such as 192.168.0.0/16 is expected", c->pat.s);
}

static void
check_select(struct checker *ck, struct flac_expr *e)
{
	const char *hint;
	size_t i, j, n = e->u.select.ncases;
	int ctx, op, dup;

	ctx = flac_name_index(flac_ctx_names, FLAC_CTX__COUNT,
	    e->u.select.ctxw.s);
	if (ctx < 0) {
		hint = flac_suggest(e->u.select.ctxw.s, flac_ctx_names,
		    FLAC_CTX__COUNT);
		flac_diag_add(ck->sp, 0, e->u.select.ctxw.loc, "unknown "
		    "context '%s' (%s%s%s)", e->u.select.ctxw.s,
		    hint ? "did you mean '" : "it is location, operation or "
		    "env", hint ? hint : "", hint ? "'?" : "");
		return;
	}
	e->u.select.ctx = (enum flac_ctx_type)ctx;
	for (i = 0; i < n; i++) {
		struct flac_case *c = &e->u.select.cases[i];

		if (c->is_else) {
			c->ops = FLAC_OP_ALL;
			if (i != n - 1)
				flac_diag_add(ck->sp, 0, c->loc, "'else' must "
				    "be the last case: the cases after it "
				    "would never be chosen");
			continue;
		}
		switch (ctx) {
		case FLAC_CTX_LOCATION:
			if (c->is_env) {
				flac_diag_add(ck->sp, 0, c->loc, "'%s=%.60s' "
				    "is not a location pattern (VAR=VALUE "
				    "patterns belong to select(env, ...))",
				    c->var.s, c->pat.s);
				continue;
			}
			check_location_pattern(ck, c);
			break;
		case FLAC_CTX_OPERATION:
			op = c->is_env ? -1 : flac_name_index(flac_op_names,
			    FLAC_OP_OTHER, c->pat.s);
			if (op < 0) {
				hint = c->is_env ? NULL : flac_suggest(c->pat.s,
				    flac_op_names, FLAC_OP_OTHER);
				flac_diag_add(ck->sp, 0, c->loc, "unknown "
				    "operation '%.60s' (%s%s%s)",
				    c->is_env ? c->var.s : c->pat.s,
				    hint ? "did you mean '" : "it is read, "
				    "write, readwrite, create, remove or else",
				    hint ? hint : "", hint ? "'?" : "");
				continue;
			}
			c->ops = 1u << op;
			break;
		case FLAC_CTX_ENV:
			if (!c->is_env)
				flac_diag_add(ck->sp, 0, c->loc, "env patterns "
				    "are VAR=VALUE, got '%.60s'", c->pat.s);
			break;
		}
	}
	/* A repeated pattern never matches: the first one wins. */
	for (i = 1; i < n && n <= 256; i++) {
		struct flac_case *c = &e->u.select.cases[i];

		for (j = 0, dup = 0; j < i && !dup; j++) {
			struct flac_case *d = &e->u.select.cases[j];

			if (c->is_else || d->is_else || c->is_env != d->is_env)
				continue;
			if (ctx == FLAC_CTX_OPERATION)
				dup = c->ops != 0 && c->ops == d->ops;
			else if (ctx == FLAC_CTX_LOCATION)
				dup = strcasecmp(c->pat.s, d->pat.s) == 0;
			else
				dup = strcmp(c->pat.s, d->pat.s) == 0 &&
				    (!c->is_env || strcmp(c->var.s, d->var.s) ==
				    0);
			if (dup)
				flac_diag_add(ck->sp, 1, c->loc, "this case "
				    "repeats the pattern of %d:%d and is never "
				    "chosen", d->loc.line, d->loc.col);
		}
	}
}

static int
check_keyword(struct checker *ck, const struct flac_word *w,
    const char *const *names, int n, const char *what, const char *list)
{
	const char *hint;
	int i;

	if ((i = flac_name_index(names, (size_t)n, w->s)) >= 0)
		return i;
	if ((hint = flac_suggest(w->s, names, (size_t)n)) != NULL)
		flac_diag_add(ck->sp, 0, w->loc, "unknown %s '%.60s' (did you "
		    "mean '%s'?)", what, w->s, hint);
	else
		flac_diag_add(ck->sp, 0, w->loc, "unknown %s '%.60s' (it is "
		    "%s)", what, w->s, list);
	return -1;
}

static void
check_transfer(struct checker *ck, struct flac_expr *e)
{
	static const char *const modes[] = { "push", "pull", "pushpull" };
	static const char *const mods = "FAIL, BLOCK, IGNORE or NONE";
	int mode, pull, push;

	mode = check_keyword(ck, &e->u.xfer.modew, modes, 3, "transfer mode",
	    "push, pull or pushpull");
	pull = check_keyword(ck, &e->u.xfer.pullw, flac_mod_names,
	    FLAC_MOD__COUNT, "pull modifier", mods);
	push = check_keyword(ck, &e->u.xfer.pushw, flac_mod_names,
	    FLAC_MOD__COUNT, "push modifier", mods);
	if (mode < 0 || pull < 0 || push < 0)
		return;
	e->u.xfer.mode = mode + 1;	/* push 1, pull 2, pushpull 3 */
	e->u.xfer.pullmod = pull;
	e->u.xfer.pushmod = push;
	if (!(e->u.xfer.mode & FLAC_XFER_PULL) && pull != FLAC_MOD_NONE)
		flac_diag_add(ck->sp, 0, e->u.xfer.pullw.loc, "the pull "
		    "modifier must be NONE when the mode is push (got %s)",
		    e->u.xfer.pullw.s);
	if (!(e->u.xfer.mode & FLAC_XFER_PUSH) && push != FLAC_MOD_NONE)
		flac_diag_add(ck->sp, 0, e->u.xfer.pushw.loc, "the push "
		    "modifier must be NONE when the mode is pull (got %s)",
		    e->u.xfer.pushw.s);
	if ((e->u.xfer.mode & FLAC_XFER_PULL) && pull == FLAC_MOD_NONE)
		flac_diag_add(ck->sp, 0, e->u.xfer.pullw.loc, "mode %s "
		    "pulls, so it needs a pull modifier: FAIL, BLOCK or IGNORE",
		    e->u.xfer.modew.s);
	if ((e->u.xfer.mode & FLAC_XFER_PUSH) && push == FLAC_MOD_NONE)
		flac_diag_add(ck->sp, 0, e->u.xfer.pushw.loc, "mode %s "
		    "pushes, so it needs a push modifier: FAIL, BLOCK or "
		    "IGNORE",
		    e->u.xfer.modew.s);
}

/* Checks the binding at stmt index b (once) and returns its info. */
static struct check_info
check_binding(struct checker *ck, size_t b)
{
	struct flac_stmt *st = &ck->sp->stmts[b];
	struct check_info in = { 1, 1 };
	long r;

	if (ck->state[b] == 2)
		return ck->info[b];
	if (ck->state[b] == 1)
		return in;	/* a cycle: the caller reports it */
	ck->state[b] = 1;
	ck->stack[ck->nstack++] = b;
	in = check_expr(ck, st->expr);
	ck->nstack--;
	if (st->expr->kind == FLAC_E_PATH)
		st->type = FLAC_TY_PATH;
	else if (st->expr->kind != FLAC_E_REF)
		st->type = FLAC_TY_SERVICE;
	else if ((r = check_lookup(ck, st->expr->u.ref.name)) >= 0 &&
	    ck->state[r] == 2)
		st->type = ck->sp->stmts[r].type;	/* NAME = OTHER */
	ck->state[b] = 2;
	ck->info[b] = in;
	return in;
}

static void
check_cycle(struct checker *ck, struct flac_expr *e, size_t b)
{
	char chain[200];
	size_t i, at = 0, len = 0;

	for (i = 0; i < ck->nstack; i++)
		if (ck->stack[i] == b)
			at = i;
	chain[0] = '\0';
	for (i = at; i < ck->nstack && len < sizeof chain - 1; i++)
		len += (size_t)snprintf(chain + len, sizeof chain - len,
		    "%s -> ", ck->sp->stmts[ck->stack[i]].name);
	if (len < sizeof chain - 1)
		snprintf(chain + len, sizeof chain - len, "%s",
		    ck->sp->stmts[b].name);
	flac_diag_add(ck->sp, 0, e->loc, "'%s' is defined in terms of itself "
	    "(%s)", ck->sp->stmts[b].name, chain);
}

static struct check_info
check_ref(struct checker *ck, struct flac_expr *e)
{
	struct check_info in = { 1, 1 };
	const char *hint;
	enum flac_type ty;
	long b;

	if ((b = check_lookup(ck, e->u.ref.name)) < 0) {
		hint = ck->sp->ndiags < FLAC_MAX_DIAGS ? flac_suggest(
		    e->u.ref.name, ck->names, ck->nbyname) : NULL;
		flac_diag_add(ck->sp, 0, e->loc, "undefined name '%s'%s%s%s%s",
		    e->u.ref.name, hint ? " (did you mean '" : "",
		    hint ? hint : "", hint ? "'?)" : "",
		    e->u.ref.want == FLAC_TY_PATH && !hint ?
		    " (a path starts with '/')" : "");
		return in;
	}
	e->u.ref.bind = (size_t)b;
	if (ck->state[b] == 1) {
		check_cycle(ck, e, (size_t)b);
		return in;
	}
	if (ck->state[b] == 2 && ck->depth + ck->info[b].height >
	    FLAC_MAX_DEPTH && !ck->too_deep) {
		ck->too_deep = 1;
		flac_diag_add(ck->sp, 0, e->loc, "expression nests more than "
		    "%d levels deep once names are expanded", FLAC_MAX_DEPTH);
	}
	in = check_binding(ck, (size_t)b);
	ty = ck->sp->stmts[b].type;
	if (ty == FLAC_TY_PATH && e->u.ref.want == FLAC_TY_SERVICE)
		flac_diag_add(ck->sp, 0, e->loc, "'%s' is a path (bound at "
		    "%d:%d), but a service is expected here", e->u.ref.name,
		    ck->sp->stmts[b].loc.line, ck->sp->stmts[b].loc.col);
	else if (ty == FLAC_TY_SERVICE && e->u.ref.want == FLAC_TY_PATH)
		flac_diag_add(ck->sp, 0, e->loc, "'%s' is a service (bound at "
		    "%d:%d), but a path is expected here", e->u.ref.name,
		    ck->sp->stmts[b].loc.line, ck->sp->stmts[b].loc.col);
	return in;
}

static struct check_info
check_expr(struct checker *ck, struct flac_expr *e)
{
	struct check_info in = { 1, 1 }, a, b;
	const char *why;
	size_t i;
	int r;

	if (ck->depth >= FLAC_MAX_DEPTH) {
		if (!ck->too_deep) {
			ck->too_deep = 1;
			flac_diag_add(ck->sp, 0, e->loc, "expression nests "
			    "more than %d levels deep once names are expanded",
			    FLAC_MAX_DEPTH);
		}
		return in;
	}
	ck->depth++;
	switch (e->kind) {
	case FLAC_E_REF:
		a = check_ref(ck, e);
		in.size = a.size;
		in.height = 1 + a.height;
		break;
	case FLAC_E_PATH:
		r = check_path_norm(e->u.path.raw, &e->u.path.norm, &why);
		if (r == -EINVAL)
			flac_diag_add(ck->sp, 0, e->loc, "bad path '%.80s': %s",
			    e->u.path.raw, why);
		else if (r != 0)
			ck->err = r;
		break;
	case FLAC_E_SERVICE:
		check_service(ck, e);
		break;
	case FLAC_E_SUBTREE:
	case FLAC_E_CUTTREE:
	case FLAC_E_EXTENDTREE:
		a = check_expr(ck, e->u.pathop.sub);
		b = check_expr(ck, e->u.pathop.path);
		in.size = check_add(1, a.size);
		in.height = 1 + a.height;
		break;
	case FLAC_E_OVERLAY:
		a = check_expr(ck, e->u.overlay.a);
		b = check_expr(ck, e->u.overlay.b);
		in.size = check_add(1, check_add(a.size, b.size));
		in.height = 1 + (a.height > b.height ? a.height : b.height);
		break;
	case FLAC_E_SELECT:
		check_select(ck, e);
		for (i = 0; i < e->u.select.ncases; i++) {
			a = check_expr(ck, e->u.select.cases[i].expr);
			in.size = check_add(in.size, a.size);
			if (1 + a.height > in.height)
				in.height = 1 + a.height;
		}
		break;
	case FLAC_E_TRANSFER:
		check_transfer(ck, e);
		a = check_expr(ck, e->u.xfer.primary);
		b = check_expr(ck, e->u.xfer.secondary);
		in.size = check_add(1, check_add(a.size, b.size));
		in.height = 1 + (a.height > b.height ? a.height : b.height);
		break;
	}
	ck->depth--;
	if (in.height > FLAC_MAX_DEPTH + 1)
		in.height = FLAC_MAX_DEPTH + 1;
	return in;
}

/* Marks the bindings the root reaches. */
static void
check_mark(struct flac_spec *sp, const struct flac_expr *e)
{
	size_t i;

	switch (e->kind) {
	case FLAC_E_REF:
		if (!sp->stmts[e->u.ref.bind].used) {
			sp->stmts[e->u.ref.bind].used = 1;
			check_mark(sp, sp->stmts[e->u.ref.bind].expr);
		}
		break;
	case FLAC_E_PATH:
	case FLAC_E_SERVICE:
		break;
	case FLAC_E_SUBTREE:
	case FLAC_E_CUTTREE:
	case FLAC_E_EXTENDTREE:
		check_mark(sp, e->u.pathop.sub);
		check_mark(sp, e->u.pathop.path);
		break;
	case FLAC_E_OVERLAY:
		check_mark(sp, e->u.overlay.a);
		check_mark(sp, e->u.overlay.b);
		break;
	case FLAC_E_SELECT:
		for (i = 0; i < e->u.select.ncases; i++)
			check_mark(sp, e->u.select.cases[i].expr);
		break;
	case FLAC_E_TRANSFER:
		check_mark(sp, e->u.xfer.primary);
		check_mark(sp, e->u.xfer.secondary);
		break;
	}
}

static void
check_free(struct checker *ck)
{
	free(ck->byname);
	free(ck->names);
	free(ck->state);
	free(ck->info);
	free(ck->stack);
	free(ck->ihash);
}

int
flac_check(struct flac_spec *sp)
{
	struct checker ck;
	struct flac_stmt *first_root = NULL;
	struct check_info in;
	size_t i, n = sp->nstmts, root = 0;

	if (!sp->parsed)
		return -EINVAL;
	if (sp->checked)
		return 0;
	memset(&ck, 0, sizeof ck);
	ck.sp = sp;
	if ((ck.byname = calloc(n + 1, sizeof *ck.byname)) == NULL ||
	    (ck.names = calloc(n + 1, sizeof *ck.names)) == NULL ||
	    (ck.state = calloc(n + 1, sizeof *ck.state)) == NULL ||
	    (ck.info = calloc(n + 1, sizeof *ck.info)) == NULL ||
	    (ck.stack = calloc(n + 1, sizeof *ck.stack)) == NULL) {
		check_free(&ck);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (sp->stmts[i].name != NULL)
			ck.byname[ck.nbyname++] = i;
	qsort_r(ck.byname, ck.nbyname, sizeof *ck.byname, check_cmp_name, sp);
	for (i = 0; i < ck.nbyname; i++)
		ck.names[i] = sp->stmts[ck.byname[i]].name;
	for (i = 1; i < ck.nbyname; i++) {
		struct flac_stmt *p = &sp->stmts[ck.byname[i - 1]];
		struct flac_stmt *s = &sp->stmts[ck.byname[i]];

		if (strcmp(p->name, s->name) == 0)
			flac_diag_add(sp, 0, s->loc, "'%s' is already bound at "
			    "%d:%d", s->name, p->loc.line, p->loc.col);
	}

	for (i = 0; i < n && ck.err == 0; i++) {
		struct flac_stmt *st = &sp->stmts[i];

		ck.depth = 0;
		if (st->name != NULL) {
			if (check_lookup(&ck, st->name) == (long)i)
				check_binding(&ck, i);
			else	/* a duplicate: checked, never referenced */
				check_expr(&ck, st->expr);
			continue;
		}
		if (first_root != NULL) {
			flac_diag_add(sp, 0, st->loc, "second 'root' statement "
			    "(the first is at %d:%d): a specification has "
			    "exactly one", first_root->loc.line,
			    first_root->loc.col);
			check_expr(&ck, st->expr);
			continue;
		}
		first_root = st;
		root = i;
		in = check_expr(&ck, st->expr);
		if (in.size > FLAC_MAX_EXPANDED)
			flac_diag_add(sp, 0, st->loc, "the name space has more "
			    "than %d parts once names are expanded; simplify "
			    "it", FLAC_MAX_EXPANDED);
	}
	if (ck.err == 0 && first_root == NULL)
		flac_diag_add(sp, 0, sp->eof, "no 'root' statement: a "
		    "specification names its name space with one 'root "
		    "EXPRESSION', as in 'root local()'");
	if (ck.err == 0 && sp->nerrors == 0) {
		check_mark(sp, sp->stmts[root].expr);
		for (i = 0; i < n; i++)
			if (sp->stmts[i].name != NULL && !sp->stmts[i].used)
				flac_diag_add(sp, 1, sp->stmts[i].loc,
				    "'%s' is bound but never used",
				    sp->stmts[i].name);
		sp->root = sp->stmts[root].expr;
	}
	check_free(&ck);
	flac_diag_sort(sp);
	if (ck.err != 0)
		return ck.err;
	if (sp->nerrors > 0)
		return -EINVAL;
	sp->checked = 1;
	return 0;
}

/*
 * ast: the parsed form of a flac specification, and the entry points that
 * make it (flac_parse), validate it (flac_check) and print it.
 *
 * All of flac/lang is pure: no file, socket or environment access.  The
 * caller reads the specification into a buffer and hands it over.
 *
 *	struct flac_spec *sp = flac_spec_new();
 *	if (flac_parse(sp, src, len) == 0 && flac_check(sp) == 0)
 *		... flac_compile(sp, &ctx, &ns) (eval.h) ...
 *	for (i = 0; i < sp->ndiags; i++)
 *		flac_diag_format(&sp->diags[i], "spec.flac", buf, sizeof buf);
 *	flac_spec_free(sp);
 *
 * Functions return 0 or a negative errno: -EINVAL when the specification
 * is wrong (sp->diags says where and why), -ENOMEM, -EFBIG (source larger
 * than FLAC_MAX_SOURCE).  Diagnostics carry a line and a column.
 */
#ifndef FLAC_AST_H
#define FLAC_AST_H

#include <stddef.h>
#include <stdint.h>

#define FLAC_MAX_SOURCE		(1u << 20)	/* bytes of specification */
#define FLAC_MAX_NEST		64	/* parentheses within one expression */
#define FLAC_MAX_DEPTH		256	/* nesting once names are expanded */
#define FLAC_MAX_EXPANDED	4096	/* nodes once names are expanded */
#define FLAC_MAX_PATH		4095	/* bytes in a path */
#define FLAC_MAX_DIAGS		50	/* diagnostics kept */

struct flac_loc {
	int	line;
	int	col;
};

/* A word of the source (keyword, value, pattern), copied. */
struct flac_word {
	char		*s;
	struct flac_loc	 loc;
	int		 quoted;	/* written as a "string" */
};

enum flac_expr_kind {
	FLAC_E_REF = 0,		/* a bound name */
	FLAC_E_PATH,		/* a path literal */
	FLAC_E_SERVICE,		/* local(), rpc(host=...), ... */
	FLAC_E_SUBTREE,
	FLAC_E_CUTTREE,
	FLAC_E_EXTENDTREE,
	FLAC_E_OVERLAY,
	FLAC_E_SELECT,
	FLAC_E_TRANSFER,
};

enum flac_svc_type {
	FLAC_SVC_LOCAL = 0,
	FLAC_SVC_RPC,
	FLAC_SVC_SFTP,
	FLAC_SVC_SMB,
	FLAC_SVC__COUNT,
};

enum flac_ctx_type {
	FLAC_CTX_LOCATION = 0,
	FLAC_CTX_OPERATION,
	FLAC_CTX_ENV,
	FLAC_CTX__COUNT,
};

/*
 * Operations an application performs, as select(operation, ...) sees
 * them.  FLAC_OP_OTHER is every operation no pattern names (stat, readdir,
 * rename, ...): only an else case matches it.
 */
enum flac_op {
	FLAC_OP_READ = 0,
	FLAC_OP_WRITE,
	FLAC_OP_READWRITE,
	FLAC_OP_CREATE,
	FLAC_OP_REMOVE,
	FLAC_OP_OTHER,
	FLAC_OP__COUNT,
};
#define FLAC_OP_ALL	((1u << FLAC_OP__COUNT) - 1)

/* transfer's mode is a mask of these. */
#define FLAC_XFER_PUSH		1
#define FLAC_XFER_PULL		2
#define FLAC_XFER_PUSHPULL	3

enum flac_xfer_mod {
	FLAC_MOD_NONE = 0,
	FLAC_MOD_FAIL,
	FLAC_MOD_BLOCK,
	FLAC_MOD_IGNORE,
	FLAC_MOD__COUNT,
};

/* Binding types, found by flac_check. */
enum flac_type {
	FLAC_TY_UNKNOWN = 0,
	FLAC_TY_SERVICE,
	FLAC_TY_PATH,
};

struct flac_attr {
	struct flac_word name;
	struct flac_word value;
};

struct flac_expr;

struct flac_case {
	struct flac_loc	 loc;		/* the pattern */
	int		 is_else;
	int		 is_env;	/* written VAR=VALUE */
	struct flac_word var;		/* is_env: VAR */
	struct flac_word pat;		/* the pattern; is_env: VALUE */
	struct flac_expr *expr;
	/* Filled by flac_check. */
	uint32_t	 ops;	/* operation: mask of 1 << enum flac_op */
	int		 cidr_family;	/* location CIDR: AF_INET, AF_INET6 */
	int		 cidr_prefix;
	uint8_t		 cidr_addr[16];
};

struct flac_expr {
	enum flac_expr_kind kind;
	struct flac_loc	 loc;	/* the name, combinator, service or path */
	union {
		struct {
			char	*name;
			size_t	 bind;	/* flac_check: index in stmts */
			int	 want;	/* FLAC_TY_SERVICE or FLAC_TY_PATH */
		} ref;
		struct {
			char	*raw;
			char	*norm;	/* flac_check: normalized */
			int	 quoted;
		} path;
		struct {
			enum flac_svc_type type;
			struct flac_attr *attrs;
			size_t	 nattrs;
			size_t	 inst;	/* flac_check: index in insts */
		} svc;
		struct {
			struct flac_expr *sub;	/* service */
			struct flac_expr *path;	/* FLAC_E_PATH or FLAC_E_REF */
		} pathop;
		struct {
			struct flac_expr *a;	/* occludes b */
			struct flac_expr *b;
		} overlay;
		struct {
			struct flac_word  ctxw;
			enum flac_ctx_type ctx;	/* flac_check */
			struct flac_case *cases;
			size_t	 ncases;
		} select;
		struct {
			struct flac_expr *primary;
			struct flac_expr *secondary;
			struct flac_word  modew;
			struct flac_word  pullw;
			struct flac_word  pushw;
			int	 mode;		/* flac_check: FLAC_XFER_* */
			int	 pullmod;	/* enum flac_xfer_mod */
			int	 pushmod;
		} xfer;
	} u;
};

/* One statement: a binding "NAME = expr" or "root expr" (name NULL). */
struct flac_stmt {
	char		*name;
	struct flac_loc	 loc;
	struct flac_expr *expr;
	/* Filled by flac_check. */
	enum flac_type	 type;
	int		 used;
};

/* One primitive service instance; equal instances are merged. */
struct flac_inst {
	enum flac_svc_type type;
	struct flac_loc	 loc;		/* where it first appears */
	const struct flac_expr *expr;	/* that occurrence */
	char		*text;		/* canonical: rpc(host="a", port="1") */
};

struct flac_diag {
	struct flac_loc	 loc;
	int		 warning;
	char		 msg[240];
};

struct flac_spec {
	struct flac_stmt *stmts;
	size_t		 nstmts;
	size_t		 capstmts;
	struct flac_loc	 eof;
	int		 parsed;	/* flac_parse succeeded */
	int		 checked;	/* flac_check succeeded */
	/* flac_check */
	const struct flac_expr *root;
	struct flac_inst *insts;
	size_t		 ninsts;
	/* diagnostics, sorted by position once flac_check returns */
	struct flac_diag diags[FLAC_MAX_DIAGS];
	size_t		 ndiags;
	size_t		 nerrors;
	size_t		 nwarnings;
	size_t		 ndropped;	/* past FLAC_MAX_DIAGS */
};

struct flac_spec *flac_spec_new(void);
void	flac_spec_free(struct flac_spec *sp);
/* Parses src[0..len).  Stops at the first syntax error. */
int	flac_parse(struct flac_spec *sp, const char *src, size_t len);
/* Semantic checks on a parsed spec; reports every error it finds. */
int	flac_check(struct flac_spec *sp);
/* flac_parse then flac_check. */
int	flac_load(struct flac_spec *sp, const char *src, size_t len);

/* "file:line:col: [warning: ]message"; returns snprintf's count. */
int	flac_diag_format(const struct flac_diag *d, const char *file,
	    char *buf, size_t sz);
void	flac_diag_add(struct flac_spec *sp, int warning, struct flac_loc loc,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	flac_diag_sort(struct flac_spec *sp);

/* The canonical text of a spec (comments dropped); malloc'd, or NULL. */
char	*flac_spec_format(const struct flac_spec *sp);
/* The canonical text of one expression; malloc'd, or NULL. */
char	*flac_expr_format(const struct flac_expr *e);

void	flac_expr_free(struct flac_expr *e);

/* Names of things, for messages and for the parser and checker. */
extern const char *const flac_combinator_names[];	/* NULL-terminated */
extern const char *const flac_svc_names[FLAC_SVC__COUNT];
extern const char *const flac_ctx_names[FLAC_CTX__COUNT];
extern const char *const flac_op_names[FLAC_OP__COUNT];
extern const char *const flac_mod_names[FLAC_MOD__COUNT];
const char *flac_xfer_mode_name(int mode);
const char *flac_expr_kind_name(enum flac_expr_kind kind);

/* Attributes each service type accepts. */
enum flac_attr_kind {
	FLAC_AK_HOST = 0,
	FLAC_AK_PORT,
	FLAC_AK_PATH,
	FLAC_AK_USER,
	FLAC_AK_SHARE,
	FLAC_AK_DOMAIN,
};
struct flac_attr_def {
	const char	*name;
	enum flac_attr_kind kind;
	int		 required;
};
struct flac_svc_def {
	const char	*name;
	const struct flac_attr_def *attrs;
	size_t		 nattrs;
};
extern const struct flac_svc_def flac_svc_defs[FLAC_SVC__COUNT];

/* Index of s in a NULL-terminated or n-long list, or -1. */
int	flac_name_index(const char *const *names, size_t n, const char *s);
/*
 * The candidate closest to s (edit distance with transpositions, case
 * ignored), when it is close enough to be a likely typo; else NULL.
 */
const char *flac_suggest(const char *s, const char *const *cands, size_t n);

#endif

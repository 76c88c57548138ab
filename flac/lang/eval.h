/*
 * eval: compiles a checked specification, for one context, into a flat
 * name space, and resolves absolute paths in it.
 *
 * Context.  Location and environment are fixed when compiling: a select
 * over location or env keeps only the case that matches (or becomes a
 * failure when none does), and the choices made are recorded for
 * explanation.  The operation varies from call to call, so a select over
 * operation stays in the compiled form and flac_resolve() takes the
 * operation.  When the location changes, compile again.
 *
 * Layout.  A compiled name space is one contiguous block: the header
 * struct flac_ns, then arrays of fixed-size records (nodes, operation
 * cases, services, attributes, choices), then a string table.  Records
 * refer to one another by index and to strings by byte offset into the
 * string table; there is no pointer anywhere.  So a runtime can copy the
 * block into shared memory as it is (flacd writes it, applications map it
 * read-only and resolve paths in place, and a generation number in the
 * header tells them when to look again).  A node's operands always have
 * smaller indices than the node, so a block that passes flac_ns_validate()
 * has no cycle.  Integers are in host byte order: a block never leaves
 * the machine that compiled it (after a move, the spec is compiled again
 * for the new context).  Bump FLAC_NS_VERSION when any record changes.
 *
 * Resolution.  flac_resolve() maps a path of the name space to a small
 * tree (struct flac_res): a single service with the path to use on it; or
 * the layers of an overlay in order, the first occluding the others (a
 * runtime looks a name up layer by layer and merges directories); or a
 * transfer with its primary and secondary sides and its policy; or a
 * synthetic directory (a proper ancestor of an extendtree's path, which
 * holds just the next component); or nothing (the name is not in this
 * name space); or a failure (no case of a select matched).  Paths match
 * by prefix on component boundaries: "/usr" covers "/usr/bin", never
 * "/usrx".  Names a cuttree removes from a directory are listed as hidden
 * on each leaf below it, for directory listings.
 */
#ifndef FLAC_EVAL_H
#define FLAC_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "flac/lang/ast.h"

/* ---- the context ------------------------------------------------------ */

struct flac_ctx {
	/* Names of the host (matched without regard to case). */
	const char *const *names;
	size_t		 nnames;
	/* Its addresses, as text: "192.0.2.7", "2001:db8::7". */
	const char *const *addrs;
	size_t		 naddrs;
	/* The environment, "VAR=VALUE" strings; the first VAR wins. */
	const char *const *env;
	size_t		 nenv;
};

/* ---- the compiled name space (one block; see above) ------------------- */

#define FLAC_NS_MAGIC	0x534e4c46u	/* "FLNS" read as bytes on x86 */
#define FLAC_NS_VERSION	1

enum flac_ns_kind {
	FLAC_NK_SERVICE = 1,	/* a: service index */
	FLAC_NK_SUBTREE,	/* a: child node, b: path (string offset) */
	FLAC_NK_CUTTREE,	/* a: child node, b: path */
	FLAC_NK_EXTENDTREE,	/* a: child node, b: path */
	FLAC_NK_OVERLAY,	/* a: upper node, b: lower node */
	FLAC_NK_OPSELECT,	/* a: first case, b: number of cases */
	FLAC_NK_TRANSFER,	/* a: primary node, b: secondary node, mode,
				   pullmod, pushmod */
	FLAC_NK_FAIL,		/* no case matched; mode: the context type */
};

struct flac_ns_node {
	uint8_t		kind;
	uint8_t		mode;
	uint8_t		pullmod;
	uint8_t		pushmod;
	uint32_t	a;
	uint32_t	b;
	uint32_t	line;	/* where it is in the specification */
	uint32_t	col;
};

/* A case of a select over operation; the first whose ops has the bit wins. */
struct flac_ns_case {
	uint32_t	ops; /* 1 << enum flac_op; an else case has them all */
	uint32_t	node;
	uint32_t	line;
	uint32_t	col;
};

/* A primitive service instance. */
struct flac_ns_svc {
	uint32_t	id;	/* its number in the spec (flac_spec.insts) */
	uint32_t	type;	/* enum flac_svc_type */
	uint32_t	text;	/* canonical text: rpc(host="a") */
	uint32_t	attr;	/* first attribute */
	uint32_t	nattrs;
	uint32_t	line;
	uint32_t	col;
};

struct flac_ns_attr {
	uint32_t	name;	/* string offsets */
	uint32_t	value;	/* normalized (paths, port numbers) */
};

/* A select over location or env, decided when compiling. */
struct flac_ns_choice {
	uint32_t	ctx;	/* enum flac_ctx_type */
	uint32_t	chosen;	/* case number, or FLAC_NS_NONE */
	uint32_t	pattern;	/* the chosen case's text */
	uint32_t	line;	/* of the select */
	uint32_t	col;
};

#define FLAC_NS_NONE	UINT32_MAX
#define FLAC_NS_F_OPSELECT 0x0001 /* resolution depends on the operation */

struct flac_ns {
	uint32_t	magic;
	uint16_t	version;
	uint16_t	flags;
	uint32_t	size;	/* bytes in the block, this header included */
	uint32_t	root;		/* node index */
	uint64_t	generation; /* for the publisher; 0 from flac_compile */
	uint32_t	nnodes, nodes;	/* count, byte offset from the block */
	uint32_t	ncases, cases;
	uint32_t	nsvcs, svcs;
	uint32_t	nattrs, attrs;
	uint32_t	nchoices, choices;
	uint32_t	strsz, strs;	/* bytes; strs[0] is "" */
};

static inline const struct flac_ns_node *
flac_ns_nodes(const struct flac_ns *ns)
{
	return (const struct flac_ns_node *)(const void *)
	    ((const char *)ns + ns->nodes);
}
static inline const struct flac_ns_case *
flac_ns_cases(const struct flac_ns *ns)
{
	return (const struct flac_ns_case *)(const void *)
	    ((const char *)ns + ns->cases);
}
static inline const struct flac_ns_svc *
flac_ns_svcs(const struct flac_ns *ns)
{
	return (const struct flac_ns_svc *)(const void *)
	    ((const char *)ns + ns->svcs);
}
static inline const struct flac_ns_attr *
flac_ns_attrs(const struct flac_ns *ns)
{
	return (const struct flac_ns_attr *)(const void *)
	    ((const char *)ns + ns->attrs);
}
static inline const struct flac_ns_choice *
flac_ns_choices(const struct flac_ns *ns)
{
	return (const struct flac_ns_choice *)(const void *)
	    ((const char *)ns + ns->choices);
}
static inline const char *
flac_ns_str(const struct flac_ns *ns, uint32_t off)
{
	return (const char *)ns + ns->strs + off;
}

/*
 * Compiles a checked spec for ctx into a block from malloc (free() it).
 * Returns 0, -EINVAL (spec not checked, or an address in ctx that is not
 * one), -ENOMEM, -E2BIG (the block would pass 4 GiB).
 */
int	flac_compile(const struct flac_spec *sp, const struct flac_ctx *ctx,
	    struct flac_ns **out);
/* Checks a block of len bytes from elsewhere (shared memory): 0 or -EBADMSG. */
int	flac_ns_validate(const void *p, size_t len);
/*
 * The paths of the name space where resolution can change (each
 * subtree, cuttree and extendtree path, brought to the name space's own
 * coordinates, and "/"), sorted; for explaining a spec.  *out is a
 * malloc'd array of malloc'd strings; flac_ns_points_free() frees it.
 */
int	flac_ns_points(const struct flac_ns *ns, char ***out, size_t *n);
void	flac_ns_points_free(char **v, size_t n);

/* ---- resolution ------------------------------------------------------- */

enum flac_res_kind {
	FLAC_R_NONE = 0,	/* not in the name space */
	FLAC_R_SERVICE,		/* svc, path */
	FLAC_R_DIR,		/* synthetic directory; path: its one entry */
	FLAC_R_FAIL,		/* no case of a select matched: fail the call */
	FLAC_R_OVERLAY,		/* nkids layers follow, first occludes */
	FLAC_R_TRANSFER,	/* primary then secondary follow */
};

struct flac_rnode {
	uint8_t		kind;
	uint8_t		mode;		/* TRANSFER: FLAC_XFER_* */
	uint8_t		pullmod;	/* TRANSFER: enum flac_xfer_mod */
	uint8_t		pushmod;
	uint16_t	size;		/* nodes in this subtree, itself too */
	uint16_t	nkids;	/* OVERLAY: layers (>= 2); TRANSFER: 2 */
	uint32_t	svc;		/* SERVICE: index in the ns services */
	uint32_t	path;		/* SERVICE: path on the service; DIR:
					   the entry (offsets into buf) */
	uint32_t	hide;		/* SERVICE, DIR: first of hides[] */
	uint32_t	nhide;		/*   names to leave out of a listing */
	uint32_t	node;		/* ns node that produced it */
};

#define FLAC_RES_MAXNODES	64
#define FLAC_RES_MAXHIDES	64
#define FLAC_RES_BUFSZ		16384
#define FLAC_RES_SCRATCH	16384
#define FLAC_RES_MAXSTEPS	65536

/*
 * The answer for one path, in preorder: nodes[0] is the top; a node's
 * children follow it, each subtree taking node.size entries.  It is large
 * (about 36 KiB): keep one per thread rather than on a small stack.
 */
struct flac_res {
	uint32_t	nnodes;
	uint32_t	nhides;
	uint32_t	buflen;
	struct flac_rnode nodes[FLAC_RES_MAXNODES];
	uint32_t	hides[FLAC_RES_MAXHIDES];	/* offsets into buf */
	char		buf[FLAC_RES_BUFSZ];
	char		scratch[FLAC_RES_SCRATCH];	/* work space */
	struct flac_rnode tmp[FLAC_RES_MAXNODES];	/* work space */
};

/*
 * Resolves the absolute path for an operation.  The path is normalized
 * lexically first ("//", "." and ".." components); a runtime that cares
 * about symbolic links passes a path it has already resolved.  Returns 0,
 * -EINVAL (not absolute, or a bad block), -ENAMETOOLONG, -E2BIG (the
 * answer does not fit struct flac_res), -ELOOP (nesting or work limits).
 */
int	flac_resolve(const struct flac_ns *ns, enum flac_op op,
	    const char *path, struct flac_res *res);

static inline const char *
flac_res_str(const struct flac_res *res, uint32_t off)
{
	return res->buf + off;
}

/* The first SERVICE leaf in layer order (the one a lookup tries first). */
const struct flac_rnode *flac_res_first(const struct flac_res *res);

#endif

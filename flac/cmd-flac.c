/*
 * flac: check a flac specification, explain the name space it gives in a
 * context, and run a program in that name space.
 *
 *   flac check [-q] SPEC...
 *   flac explain SPEC [--location NAME|ADDR]... [--env VAR=VALUE]...
 *       [--op OP] [--dot] [PATH...]
 *   flac -f SPEC [--location NAME|ADDR]... [--env VAR=VALUE]... [-d] [--]
 *       CMD [ARGS...]
 *   flac session export PID FILE
 *   flac session import [-f SPEC] [--location NAME|ADDR]... FILE [--] CMD...
 *
 * Exit status: 0 fine, 1 the specification has errors, 2 bad usage or a
 * file that cannot be read; -f: the program's status, or 127 when it is
 * not in the name space, 126 when it cannot be run.
 */
#include <arpa/inet.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ipc.h"
#include "flac/cmd.h"
#include "flac/daemon/proto.h"
#include "flac/lang/ast.h"
#include "flac/lang/eval.h"
#include "flac/locmon.h"
#include "flac/rt/exec.h"
#include "flac/rt/real.h"
#include "flac/rt/rt.h"
#include "flac/rt/session.h"
#include "flac/rt/vfs.h"


extern char **environ;

static const char usage_text[] =
"usage: flac check [-q] SPEC...\n"
"       flac explain SPEC [--location NAME|ADDR]... [--env VAR=VALUE]...\n"
"                         [--op OP] [--dot] [PATH...]\n"
"       flac -f SPEC [--location NAME|ADDR]... [--env VAR=VALUE]... [-d] [--]\n"
"               COMMAND [ARG...]\n"
"       flac session export PID FILE\n"
"       flac session show FILE\n"
"       flac session import [-f SPEC] [--location NAME|ADDR]... FILE [--]\n"
"               COMMAND [ARG...]\n"
"\n"
"  check     validate specifications; errors give file:line:column\n"
"  explain   show which service serves each PATH (or each point where the\n"
"            name space changes) for a location, an environment and an\n"
"            operation (read, write, readwrite, create, remove, other);\n"
"            by default the location is this host and the environment is\n"
"            this one; --dot draws it for Graphviz\n"
"  -f        run COMMAND in the name space of SPEC, compiled for this host\n"
"            (or --location) and this environment (plus --env, which is\n"
"            also set for COMMAND); its children stay in the name space;\n"
"            -d sends every transfer through flacd, which can wait for a\n"
"            secondary that is away (BLOCK); flacd is started when needed\n"
"            (-d, or a service that is not local())\n"
"  session   export the I/O session of a running program (its name space,\n"
"            working directory and open files with their offsets) to FILE;\n"
"            import one: reopen its files (under SPEC if given) and run\n"
"            COMMAND with them; show prints an image\n"
"\n"
"See flac(1) and docs/flac-language.md.\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* ---- loading ---------------------------------------------------------- */

static int
cmd_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 8192, n = 0;
	ssize_t r;
	char *buf, *nb;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((buf = malloc(cap)) == NULL) {
		if (fd != STDIN_FILENO)
			close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap > FLAC_MAX_SOURCE) {
				free(buf);
				if (fd != STDIN_FILENO)
					close(fd);
				return -EFBIG;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				if (fd != STDIN_FILENO)
					close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			if (fd != STDIN_FILENO)
				close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*out = buf;
	*len = n;
	return 0;
}

static const char *
cmd_display_name(const char *path)
{
	if (cmd_spec_label != NULL && cmd_spec_path != NULL &&
	    strcmp(path, cmd_spec_path) == 0)
		return cmd_spec_label;
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static void
cmd_print_diags(const struct flac_spec *sp, const char *name)
{
	char line[512];
	size_t i;

	for (i = 0; i < sp->ndiags; i++) {
		flac_diag_format(&sp->diags[i], name, line, sizeof line);
		fprintf(stderr, "flac: %s\n", line);
	}
	if (sp->ndropped > 0)
		fprintf(stderr, "flac: %s: %zu more not shown\n", name,
		    sp->ndropped);
}

/*
 * Reads, parses and checks a spec, printing what is wrong.  Returns the
 * spec, or NULL with *status set; the source too when srcp is not NULL.
 */
static struct flac_spec *
cmd_load_src(const char *path, int *status, char **srcp, size_t *lenp)
{
	const char *name = cmd_display_name(path);
	struct flac_spec *sp;
	size_t len = 0;
	char *src = NULL;
	int r;

	if ((r = cmd_read_file(path, &src, &len)) != 0) {
		if (r == -EFBIG)
			fprintf(stderr, "flac: %s: larger than %u bytes; is it "
			    "a specification?\n", name, FLAC_MAX_SOURCE);
		else
			fprintf(stderr, "flac: cannot read %s: %s\n", name,
			    strerror(-r));
		*status = EXIT_USAGE;
		return NULL;
	}
	if ((sp = flac_spec_new()) == NULL) {
		free(src);
		fprintf(stderr, "flac: out of memory\n");
		*status = EXIT_USAGE;
		return NULL;
	}
	r = flac_load(sp, src, len);
	cmd_print_diags(sp, name);
	if (r != 0) {
		free(src);
		if (r == -ENOMEM)
			fprintf(stderr, "flac: %s: out of memory\n", name);
		flac_spec_free(sp);
		*status = EXIT_SPEC;
		return NULL;
	}
	if (srcp != NULL) {
		*srcp = src;
		*lenp = len;
	} else
		free(src);
	*status = 0;
	return sp;
}

static struct flac_spec *
cmd_load(const char *path, int *status)
{
	return cmd_load_src(path, status, NULL, NULL);
}

/* ---- check ------------------------------------------------------------ */

static int
cmd_check(int argc, char **argv)
{
	struct flac_spec *sp;
	size_t nbind, i;
	int quiet = 0, status, worst = 0, ch, a;

	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "flac: check: no specification given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (a = optind; a < argc; a++) {
		if ((sp = cmd_load(argv[a], &status)) == NULL) {
			if (status > worst)
				worst = status;
			continue;
		}
		for (i = 0, nbind = 0; i < sp->nstmts; i++)
			nbind += sp->stmts[i].name != NULL;
		if (!quiet)
			printf("%s: ok (%zu binding%s, %zu service "
			    "instance%s)\n", cmd_display_name(argv[a]), nbind,
			    nbind == 1 ? "" : "s", sp->ninsts,
			    sp->ninsts == 1 ? "" : "s");
		flac_spec_free(sp);
	}
	return worst;
}

/* ---- explain ---------------------------------------------------------- */

struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static int
strv_add(struct strv *s, const char *str)
{
	char **nv, *d;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		if ((nv = reallocarray(s->v, s->cap, sizeof *nv)) == NULL)
			return -ENOMEM;
		s->v = nv;
	}
	if ((d = strdup(str)) == NULL)
		return -ENOMEM;
	s->v[s->n++] = d;
	return 0;
}

static void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* A host name, and its first label too when it has dots. */
static int
cmd_add_name(struct strv *names, const char *name)
{
	char shortname[256];
	const char *dot;
	size_t i;

	for (i = 0; i < names->n; i++)
		if (strcasecmp(names->v[i], name) == 0)
			return 0;
	if (strv_add(names, name) != 0)
		return -ENOMEM;
	if ((dot = strchr(name, '.')) != NULL && dot != name &&
	    (size_t)(dot - name) < sizeof shortname) {
		snprintf(shortname, sizeof shortname, "%.*s",
		    (int)(dot - name), name);
		return cmd_add_name(names, shortname);
	}
	return 0;
}

/* This host: its name and the addresses of its interfaces. */
static int
cmd_here(struct strv *names, struct strv *addrs)
{
	struct ifaddrs *ifa, *i;
	char host[256], text[INET6_ADDRSTRLEN];
	const void *a;

	if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		if (cmd_add_name(names, host) != 0)
			return -ENOMEM;
	}
	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			a = &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, a, text,
		    sizeof text) != NULL && strv_add(addrs, text) != 0) {
			freeifaddrs(ifa);
			return -ENOMEM;
		}
	}
	freeifaddrs(ifa);
	return 0;
}

struct explain {
	const char	*name;		/* the spec's display name */
	const struct flac_ns *ns;
	FILE		*out;
	int		 dot;
	unsigned	 pathno;
};

static void
ex_indent(FILE *f, int depth)
{
	while (depth-- > 0)
		fputs("  ", f);
}

static const char *
ex_svc_text(const struct explain *ex, uint32_t svc)
{
	return flac_ns_str(ex->ns, flac_ns_svcs(ex->ns)[svc].text);
}

static void
ex_hides(const struct explain *ex, const struct flac_res *res,
    const struct flac_rnode *r)
{
	uint32_t i;

	if (r->nhide == 0)
		return;
	fputs(" (listing leaves out", ex->out);
	for (i = 0; i < r->nhide; i++)
		fprintf(ex->out, "%s '%s'", i ? "," : "",
		    flac_res_str(res, res->hides[r->hide + i]));
	fputs(")", ex->out);
}

static void
ex_fail_text(const struct explain *ex, const struct flac_rnode *r,
    char *buf, size_t sz)
{
	const struct flac_ns_node *nd = &flac_ns_nodes(ex->ns)[r->node];
	unsigned ctx = nd->kind == FLAC_NK_OPSELECT ? FLAC_CTX_OPERATION :
	    nd->mode;

	snprintf(buf, sz, "fails: no case of select(%s) at %u:%u matches",
	    ctx < FLAC_CTX__COUNT ? flac_ctx_names[ctx] : "?", nd->line,
	    nd->col);
}

/* Prints the subtree at i; returns the index after it. */
static uint32_t
ex_text(const struct explain *ex, const struct flac_res *res, uint32_t i,
    int depth, const char *role)
{
	const struct flac_rnode *r = &res->nodes[i];
	const struct flac_ns_node *nd = &flac_ns_nodes(ex->ns)[r->node];
	uint32_t j, k;
	char buf[160], lab[24];

	ex_indent(ex->out, depth);
	fputs(role, ex->out);
	switch (r->kind) {
	case FLAC_R_NONE:
		fputs("not in the name space\n", ex->out);
		break;
	case FLAC_R_SERVICE:
		fprintf(ex->out, "%s %s", ex_svc_text(ex, r->svc),
		    flac_res_str(res, r->path));
		ex_hides(ex, res, r);
		fputs("\n", ex->out);
		break;
	case FLAC_R_DIR:
		fprintf(ex->out, "directory made by extendtree at %u:%u, "
		    "holding only '%s'", nd->line, nd->col,
		    flac_res_str(res, r->path));
		ex_hides(ex, res, r);
		fputs("\n", ex->out);
		break;
	case FLAC_R_FAIL:
		ex_fail_text(ex, r, buf, sizeof buf);
		fprintf(ex->out, "%s\n", buf);
		break;
	case FLAC_R_OVERLAY:
		fprintf(ex->out, "overlay at %u:%u, %u layers, the first "
		    "occluding the rest:\n", nd->line, nd->col, r->nkids);
		for (j = i + 1, k = 1; j < i + r->size; k++) {
			snprintf(lab, sizeof lab, "%u. ", k);
			j = ex_text(ex, res, j, depth + 1, lab);
		}
		break;
	case FLAC_R_TRANSFER:
		fprintf(ex->out, "transfer at %u:%u, mode %s, pull %s, push "
		    "%s:\n",
		    nd->line, nd->col, flac_xfer_mode_name(r->mode),
		    flac_mod_names[r->pullmod], flac_mod_names[r->pushmod]);
		j = ex_text(ex, res, i + 1, depth + 1, "primary:   ");
		ex_text(ex, res, j, depth + 1, "secondary: ");
		break;
	}
	return i + r->size;
}

static void
ex_dot_quote(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* Draws the subtree at i from node "from"; returns the index after it. */
static uint32_t
ex_dot(struct explain *ex, const struct flac_res *res, uint32_t i,
    const char *from, const char *label)
{
	const struct flac_rnode *r = &res->nodes[i];
	const struct flac_ns_node *nd = &flac_ns_nodes(ex->ns)[r->node];
	FILE *f = ex->out;
	char id[48], lab[32], buf[160];
	uint32_t j, k;

	snprintf(id, sizeof id, "r%u_%u", ex->pathno, i);
	switch (r->kind) {
	case FLAC_R_SERVICE:
		fprintf(f, "\t%s -> s%u [label=\"%s", from, r->svc, label);
		ex_dot_quote(f, flac_res_str(res, r->path));
		fputs("\"];\n", f);
		return i + 1;
	case FLAC_R_NONE:
		fprintf(f, "\t%s [shape=plaintext, label=\"not in the name "
		    "space\"];\n", id);
		break;
	case FLAC_R_DIR:
		fprintf(f, "\t%s [shape=note, label=\"directory holding "
		    "only '", id);
		ex_dot_quote(f, flac_res_str(res, r->path));
		fputs("'\"];\n", f);
		break;
	case FLAC_R_FAIL:
		ex_fail_text(ex, r, buf, sizeof buf);
		fprintf(f, "\t%s [shape=octagon, label=\"%s\"];\n", id, buf);
		break;
	case FLAC_R_OVERLAY:
		fprintf(f, "\t%s [shape=box, style=rounded, label=\"overlay "
		    "(%u:%u)\"];\n", id, nd->line, nd->col);
		for (j = i + 1, k = 1; j < i + r->size; k++) {
			snprintf(lab, sizeof lab, "%u: ", k);
			j = ex_dot(ex, res, j, id, lab);
		}
		break;
	case FLAC_R_TRANSFER:
		fprintf(f, "\t%s [shape=diamond, label=\"transfer %s (%u:%u)"
		    "\\npull %s, push %s\"];\n", id,
		    flac_xfer_mode_name(r->mode), nd->line, nd->col,
		    flac_mod_names[r->pullmod], flac_mod_names[r->pushmod]);
		j = ex_dot(ex, res, i + 1, id, "primary\\n");
		ex_dot(ex, res, j, id, "secondary\\n");
		break;
	}
	fprintf(f, "\t%s -> %s [label=\"%s\"];\n", from, id, label);
	return i + r->size;
}

static int
cmd_explain_path(struct explain *ex, const char *path, int op, int allops,
    struct flac_res *res)
{
	char from[32];
	int o, r, first = allops ? 0 : op, last = allops ? FLAC_OP__COUNT - 1 :
	    op;

	if (!ex->dot)
		fprintf(ex->out, "%s\n", path);
	else {
		snprintf(from, sizeof from, "p%u", ex->pathno);
		fprintf(ex->out, "\t%s [shape=folder, label=\"", from);
		ex_dot_quote(ex->out, path);
		fputs("\"];\n", ex->out);
	}
	for (o = first; o <= last; o++) {
		if ((r = flac_resolve(ex->ns, (enum flac_op)o, path,
		    res)) != 0) {
			fprintf(stderr, "flac: %s: cannot resolve %s: %s\n",
			    ex->name, path, strerror(-r));
			return r;
		}
		if (ex->dot) {
			char lab[32];

			snprintf(lab, sizeof lab, "%s%s", allops ?
			    flac_op_names[o] : "", allops ? "\\n" : "");
			ex_dot(ex, res, 0, from, lab);
			ex->pathno++;
			continue;
		}
		if (allops) {
			char role[32];

			snprintf(role, sizeof role, "%-9s  ", flac_op_names[o]);
			ex_text(ex, res, 0, 1, role);
		} else
			ex_text(ex, res, 0, 1, "");
	}
	if (!ex->dot)
		ex->pathno++;
	return 0;
}

static void
cmd_explain_header(struct explain *ex, const struct strv *names,
    const struct strv *addrs, const char *opname)
{
	const struct flac_ns_choice *ch = flac_ns_choices(ex->ns);
	const struct flac_ns_svc *s = flac_ns_svcs(ex->ns);
	FILE *f = ex->out;
	uint32_t i;
	size_t k;

	if (ex->dot) {
		fputs("digraph flac {\n"
		    "\trankdir=LR;\n"
		    "\tgraph [fontname=\"Helvetica\"];\n"
		    "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
		    "\tedge [fontname=\"Helvetica\", fontsize=9];\n"
		    "\tlabel=\"", f);
		ex_dot_quote(f, ex->name);
		fputs(" at ", f);
		ex_dot_quote(f, names->n > 0 ? names->v[0] : addrs->n > 0 ?
		    addrs->v[0] : "nowhere");
		fprintf(f, ", operation %s\";\n", opname);
		for (i = 0; i < ex->ns->nsvcs; i++) {
			fprintf(f, "\ts%u [shape=cylinder, label=\"", i);
			ex_dot_quote(f, flac_ns_str(ex->ns, s[i].text));
			fputs("\"];\n", f);
		}
		return;
	}
	fputs("location:", f);
	for (k = 0; k < names->n; k++)
		fprintf(f, " %s", names->v[k]);
	for (k = 0; k < addrs->n; k++)
		fprintf(f, " %s", addrs->v[k]);
	if (names->n + addrs->n == 0)
		fputs(" (none)", f);
	fprintf(f, "\noperation: %s\n", opname);
	for (i = 0; i < ex->ns->nchoices; i++) {
		if (ch[i].chosen == FLAC_NS_NONE)
			fprintf(f, "select(%s) at %u:%u: no case matches\n",
			    flac_ctx_names[ch[i].ctx], ch[i].line, ch[i].col);
		else
			fprintf(f, "select(%s) at %u:%u: case '%s'\n",
			    flac_ctx_names[ch[i].ctx], ch[i].line, ch[i].col,
			    flac_ns_str(ex->ns, ch[i].pattern));
	}
	fputs("services (where first written):", f);
	if (ex->ns->nsvcs == 0)
		fputs(" none", f);
	fputs("\n", f);
	for (i = 0; i < ex->ns->nsvcs; i++)
		fprintf(f, "  %s (%u:%u)\n", flac_ns_str(ex->ns, s[i].text),
		    s[i].line, s[i].col);
	fputs("\n", f);
}

static int
cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "location", required_argument, NULL, 'l' },
		{ "env", required_argument, NULL, 'e' },
		{ "op", required_argument, NULL, 'o' },
		{ "dot", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strv names = { 0 }, addrs = { 0 }, env = { 0 };
	struct flac_spec *sp = NULL;
	struct flac_ns *ns = NULL;
	struct flac_res *res = NULL;
	struct flac_ctx ctx;
	struct explain ex;
	unsigned char abuf[16];
	char **points = NULL;
	const char *hint, *specpath;
	size_t npoints = 0, i;
	int ch, op = -1, dot = 0, located = 0, status = 0, r, a;
	char **e;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "l:e:o:dh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			located = 1;
			if (inet_pton(AF_INET, optarg, abuf) == 1 ||
			    inet_pton(AF_INET6, optarg, abuf) == 1)
				r = strv_add(&addrs, optarg);
			else
				r = cmd_add_name(&names, optarg);
			if (r != 0)
				goto nomem;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				fprintf(stderr, "flac: explain: --env takes "
				    "VAR=VALUE, got '%s'\n", optarg);
				status = EXIT_USAGE;
				goto out;
			}
			if (strv_add(&env, optarg) != 0)
				goto nomem;
			break;
		case 'o':
			op = flac_name_index(flac_op_names, FLAC_OP__COUNT,
			    optarg);
			if (op < 0) {
				hint = flac_suggest(optarg, flac_op_names,
				    FLAC_OP__COUNT);
				fprintf(stderr, "flac: explain: unknown "
				    "operation '%s' (%s%s%s)\n", optarg,
				    hint ? "did you mean '" : "read, write, "
				    "readwrite, create, remove or other",
				    hint ? hint : "", hint ? "'?" : "");
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'd':
			dot = 1;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "flac: explain: no specification given\n");
		usage(stderr);
		status = EXIT_USAGE;
		goto out;
	}
	specpath = argv[optind++];
	for (a = optind; a < argc; a++) {
		if (argv[a][0] != '/') {
			fprintf(stderr, "flac: explain: '%s' is not an "
			    "absolute path\n", argv[a]);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if ((sp = cmd_load(specpath, &status)) == NULL)
		goto out;
	if (!located && cmd_here(&names, &addrs) != 0)
		goto nomem;
	for (e = environ; e != NULL && *e != NULL; e++)
		if (strv_add(&env, *e) != 0)
			goto nomem;
	memset(&ctx, 0, sizeof ctx);
	ctx.names = (const char *const *)names.v;
	ctx.nnames = names.n;
	ctx.addrs = (const char *const *)addrs.v;
	ctx.naddrs = addrs.n;
	ctx.env = (const char *const *)env.v;
	ctx.nenv = env.n;
	if ((r = flac_compile(sp, &ctx, &ns)) != 0) {
		fprintf(stderr, "flac: %s: cannot compile: %s\n",
		    cmd_display_name(specpath), strerror(-r));
		status = EXIT_SPEC;
		goto out;
	}
	if ((res = malloc(sizeof *res)) == NULL)
		goto nomem;
	memset(&ex, 0, sizeof ex);
	ex.name = cmd_display_name(specpath);
	ex.ns = ns;
	ex.out = stdout;
	ex.dot = dot;
	cmd_explain_header(&ex, &names, &addrs, op >= 0 ? flac_op_names[op] :
	    (ns->flags & FLAC_NS_F_OPSELECT) ? "each" : "any");
	if (optind >= argc) {
		if ((r = flac_ns_points(ns, &points, &npoints)) != 0)
			goto nomem;
		for (i = 0; i < npoints && status == 0; i++)
			if (cmd_explain_path(&ex, points[i], op < 0 ?
			    FLAC_OP_OTHER : op, op < 0 && (ns->flags &
			    FLAC_NS_F_OPSELECT), res) != 0)
				status = EXIT_SPEC;
	}
	for (a = optind; a < argc && status == 0; a++)
		if (cmd_explain_path(&ex, argv[a], op < 0 ? FLAC_OP_OTHER : op,
		    op < 0 && (ns->flags & FLAC_NS_F_OPSELECT), res) != 0)
			status = EXIT_SPEC;
	if (dot)
		fputs("}\n", stdout);
	goto out;
nomem:
	fprintf(stderr, "flac: out of memory\n");
	status = EXIT_USAGE;
out:
	flac_ns_points_free(points, npoints);
	free(res);
	free(ns);
	flac_spec_free(sp);
	strv_free(&names);
	strv_free(&addrs);
	strv_free(&env);
	return status;
}

/* ---- run ---------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
/*
 * A sanitized libflacrt.so needs the sanitizer's runtime first in the
 * program's library list: the libasan this launcher runs with.
 */
static int
cmd_find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *out = arg;

	(void)size;
	if (info->dlpi_name != NULL && strstr(info->dlpi_name, "libasan.so") !=
	    NULL) {
		snprintf(out, PATH_MAX, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}
#endif


/* The run-time library: $FLAC_RT, or beside this program. */
static int
cmd_find_rt(char *out, size_t sz)
{
	static const char *const rel[] = {
		"/../lib/libflacrt.so",		/* the build tree */
		"/../lib/evict/libflacrt.so",	/* make install */
	};
	const char *env = getenv(SESSION_ENV_RT);
	char exe[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	if (env != NULL && env[0] == '/' && access(env, R_OK) == 0) {
		snprintf(out, sz, "%s", env);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0)
		return -ENOENT;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -ENOENT;
	*slash = '\0';
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX + 64];

		snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		if (access(cand, R_OK) == 0 && realpath(cand, out) != NULL)
			return 0;
	}
	(void)sz;
	return -ENOENT;
}

/* A sealed memfd holding len bytes at p, moved to SESSION_FD_MIN or up. */
static int
cmd_memfd(const char *name, const void *p, size_t len, int seal,
    unsigned long *ino)
{
	struct stat st;
	size_t off = 0;
	ssize_t w;
	int fd, nfd;

	if ((fd = memfd_create(name, MFD_ALLOW_SEALING)) < 0)
		return -errno;
	while (off < len) {
		if ((w = write(fd, (const char *)p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -errno;
		}
		off += (size_t)w;
	}
	if ((seal && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
	    F_SEAL_SHRINK | F_SEAL_SEAL) != 0) || fstat(fd, &st) != 0) {
		close(fd);
		return -errno;
	}
	*ino = st.st_ino;
	nfd = fcntl(fd, F_DUPFD, SESSION_FD_MIN);
	close(fd);
	return nfd < 0 ? -errno : nfd;
}

/* 1 when a select(location) took part in compiling ns. */
static int
cmd_has_location(const struct flac_ns *ns)
{
	const struct flac_ns_choice *ch = flac_ns_choices(ns);
	uint32_t i;

	for (i = 0; i < ns->nchoices; i++)
		if (ch[i].ctx == FLAC_CTX_LOCATION)
			return 1;
	return 0;
}

/* ---- flacd ------------------------------------------------------------ */

/*
 * A service that is not local(): only flacd can serve it.  (Transfers
 * between local trees are made in the process; -d sends them to flacd,
 * which can also wait for a tree that is away, BLOCK.)
 */
static int
cmd_needs_daemon(const struct flac_ns *ns)
{
	const struct flac_ns_svc *svs = flac_ns_svcs(ns);
	uint32_t k;

	for (k = 0; k < ns->nsvcs; k++)
		if (svs[k].type != FLAC_SVC_LOCAL)
			return 1;
	return 0;
}

/* flacd beside this program (or $FLACD). */
static int
cmd_find_flacd(const char *argv0, char *out, size_t sz)
{
	const char *s = getenv("FLACD");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	(void)argv0;
	if (s != NULL && s[0] == '/') {
		snprintf(out, sz, "%s", s);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return -ENOENT;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -ENOENT;
	*slash = '\0';
	if (snprintf(out, sz, "%s/flacd", self) >= (int)sz)
		return -ENAMETOOLONG;
	return access(out, X_OK) == 0 ? 0 : -errno;
}

/*
 * Makes sure this user's flacd runs (starting it when nobody answers on
 * its socket: it goes to the background once it listens, and exits after
 * $FLACD_IDLE seconds, 300 by default, without a client); its socket's
 * path goes to sock.  0, or -errno after a warning.
 */
static int
cmd_daemon(const char *argv0, char *sock, size_t sz)
{
	const char *idle = getenv("FLACD_IDLE");
	char bin[PATH_MAX];
	int fd, r, st;
	pid_t pid;

	if ((r = flacd_sock_path(sock, sz, 1)) < 0)
		goto fail;
	if ((fd = ipc_connect(sock, 0)) >= 0) {
		close(fd);
		return 0;
	}
	if ((r = cmd_find_flacd(argv0, bin, sizeof bin)) < 0)
		goto fail;
	if ((pid = fork()) < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0) {
		execl(bin, "flacd", "-s", sock, "-t", idle != NULL &&
		    *idle != '\0' ? idle : "300", (char *)NULL);
		_exit(127);
	}
	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	/* 0: it listens now; 3: another one started first */
	if (r < 0 || !WIFEXITED(st) || (WEXITSTATUS(st) != 0 &&
	    WEXITSTATUS(st) != 3)) {
		r = -ECHILD;
		goto fail;
	}
	if ((fd = ipc_connect(sock, 0)) < 0) {
		r = fd;
		goto fail;
	}
	close(fd);
	return 0;
fail:
	fprintf(stderr, "flac: warning: cannot reach or start flacd (%s); "
	    "transfers that BLOCK fail with ENOTCONN, and remote services "
	    "answer EREMOTE\n", strerror(-r));
	sock[0] = '\0';
	return r;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "location", required_argument, NULL, 'l' },
		{ "env", required_argument, NULL, 'e' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strv names = { 0 }, addrs = { 0 }, env = { 0 };
	struct flac_spec *sp = NULL;
	struct flac_ns *ns = NULL;
	struct session_state st0;
	struct session_state *shared;
	struct flac_ctx ctx;
	unsigned char abuf[16];
	unsigned long imgino, stateino;
	const char *specpath, *old;
	char *src = NULL, *pre = NULL, sess[96], cwd[PATH_MAX];
	char lib[PATH_MAX];
	void *img = NULL;
	size_t srclen = 0, imglen = 0;
	int ch, located = 0, status = EXIT_USAGE, r, imgfd, statefd, a;
	int daemon = 0;
	char **e;

	/* -f SPEC, -fSPEC, --file SPEC, --file=SPEC */
	if (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--file") == 0) {
		if (argc < 3) {
			fprintf(stderr, "flac: -f needs a specification\n");
			usage(stderr);
			return EXIT_USAGE;
		}
		specpath = argv[2];
		a = 2;
	} else if (strncmp(argv[1], "--file=", 7) == 0) {
		specpath = argv[1] + 7;
		a = 1;
	} else if (strncmp(argv[1], "-f", 2) == 0) {
		specpath = argv[1] + 2;
		a = 1;
	} else {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* options up to the command (or "--") */
	argv[a] = argv[0];
	argc -= a;
	argv += a;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+l:e:dh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			daemon = 1;
			break;
		case 'l':
			located = 1;
			if (inet_pton(AF_INET, optarg, abuf) == 1 ||
			    inet_pton(AF_INET6, optarg, abuf) == 1)
				r = strv_add(&addrs, optarg);
			else
				r = cmd_add_name(&names, optarg);
			if (r != 0)
				goto nomem;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				fprintf(stderr, "flac: -f: --env takes "
				    "VAR=VALUE, got '%s'\n", optarg);
				goto out;
			}
			if (putenv(optarg) != 0)
				goto nomem;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "flac: -f %s: no command to run\n", specpath);
		usage(stderr);
		goto out;
	}
	if ((sp = cmd_load_src(specpath, &status, &src, &srclen)) == NULL)
		goto out;
	status = EXIT_USAGE;
	if (!located && cmd_here(&names, &addrs) != 0)
		goto nomem;
	for (e = environ; e != NULL && *e != NULL; e++)
		if (strv_add(&env, *e) != 0)
			goto nomem;
	memset(&ctx, 0, sizeof ctx);
	ctx.names = (const char *const *)names.v;
	ctx.nnames = names.n;
	ctx.addrs = (const char *const *)addrs.v;
	ctx.naddrs = addrs.n;
	ctx.env = (const char *const *)env.v;
	ctx.nenv = env.n;
	if ((r = flac_compile(sp, &ctx, &ns)) != 0) {
		fprintf(stderr, "flac: %s: cannot compile: %s\n",
		    cmd_display_name(specpath), strerror(-r));
		status = EXIT_SPEC;
		goto out;
	}
	/* a select that decided nothing, or a directory of the local file
	   system that is not there: say so before the program trips */
	{
		const struct flac_ns_choice *chs = flac_ns_choices(ns);
		const struct flac_ns_node *nds = flac_ns_nodes(ns);
		const struct flac_ns_svc *svs = flac_ns_svcs(ns);
		struct stat dst;
		uint32_t k;

		for (k = 0; k < ns->nnodes; k++) {
			const char *dp = flac_ns_str(ns, nds[k].b);

			if (nds[k].kind != FLAC_NK_SUBTREE ||
			    nds[nds[k].a].kind != FLAC_NK_SERVICE ||
			    svs[nds[nds[k].a].a].type != FLAC_SVC_LOCAL ||
			    stat(dp, &dst) == 0)
				continue;
			fprintf(stderr, "flac: warning: %s:%u:%u: %s: %s; what "
			    "it serves is empty, and writes to it fail\n",
			    cmd_display_name(specpath), nds[k].line,
			    nds[k].col, dp, strerror(errno));
		}

		for (k = 0; k < ns->nchoices; k++)
			if (chs[k].chosen == FLAC_NS_NONE)
				fprintf(stderr, "flac: warning: %s:%u:%u: no case "
				    "of select(%s) matches here; what it serves "
				    "fails with EACCES\n",
				    cmd_display_name(specpath), chs[k].line,
				    chs[k].col, flac_ctx_names[chs[k].ctx]);
	}
	if ((daemon || cmd_needs_daemon(ns)) &&
	    cmd_daemon(argv[0], rt.daemon, sizeof rt.daemon) == 0)
		setenv(FLACD_ENV, rt.daemon, 1);
	if (cmd_find_rt(lib, sizeof lib) != 0) {
		fprintf(stderr, "flac: cannot find libflacrt.so beside %s or "
		    "in $%s; build it (make) or set %s\n", argv[0],
		    SESSION_ENV_RT, SESSION_ENV_RT);
		goto out;
	}
	/* the image and the shared state page, inherited by the program */
	if ((r = session_image_build(ns, cmd_display_name(specpath), src,
	    srclen, names.v, names.n, addrs.v, addrs.n, &img, &imglen)) < 0 ||
	    (imgfd = cmd_memfd("flac-image", img, imglen, 1, &imgino)) < 0) {
		fprintf(stderr, "flac: cannot make the name space image: %s\n",
		    strerror(r < 0 ? -r : ENOMEM));
		goto out;
	}
	memset(&st0, 0, sizeof st0);
	st0.magic = SESSION_MAGIC;
	st0.version = SESSION_VERSION;
	if ((statefd = cmd_memfd("flac-state", &st0, sizeof st0, 0,
	    &stateino)) < 0 || ftruncate(statefd, 4096) != 0) {
		fprintf(stderr, "flac: cannot make the session's state: %s\n",
		    strerror(errno));
		goto out;
	}
	shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
	    MAP_SHARED, statefd, 0);
	if (shared == MAP_FAILED) {
		fprintf(stderr, "flac: cannot map the session's state: %s\n",
		    strerror(errno));
		goto out;
	}
	/* this process takes the name space on, the way the library does,
	   to find the program in it and to start it there */
	real_init();
	rt_ops_libc(&rt_ops);
	rt_use((const struct flac_ns *)(const void *)((const char *)img +
	    (imglen - ns->size)), shared);
	rt.image = img;
	rt.imagelen = imglen;
	rt.imgfd = imgfd;
	rt.imgino = imgino;
	rt.statefd = statefd;
	rt.stateino = stateino;
	snprintf(rt.rtlib, sizeof rt.rtlib, "%s", lib);
	rt.active = 1;
	session_env_format(sess, sizeof sess, imgfd, statefd, imgino);
	setenv(SESSION_ENV, sess, 1);
	setenv(SESSION_ENV_RT, lib, 1);
	/* after what is there: a sanitizer's runtime must stay first */
	if ((old = getenv("LD_PRELOAD")) != NULL && *old != '\0') {
		if (asprintf(&pre, "%s:%s", old, lib) < 0)
			goto nomem;
		setenv("LD_PRELOAD", pre, 1);
	} else
		setenv("LD_PRELOAD", lib, 1);
#if defined(__SANITIZE_ADDRESS__)
	{
		static char asan[PATH_MAX];
		char *both;

		old = getenv("LD_PRELOAD");
		if (dl_iterate_phdr(cmd_find_asan, asan) && strstr(old,
		    "libasan.so") == NULL && asprintf(&both, "%s:%s", asan,
		    old) >= 0) {
			setenv("LD_PRELOAD", both, 1);
			free(both);
		}
	}
#endif
	/* a select(location) decided here: watch the location, unless
	   --location fixed it */
	if (!located && cmd_has_location(ns) && (r = locmon_start(img, imglen,
	    shared, environ)) < 0)
		fprintf(stderr, "flac: warning: cannot watch the location "
		    "(%s); the name space stays as it is here\n",
		    strerror(-r));
	/* the working directory: the same path, in the name space */
	if (getcwd(cwd, sizeof cwd) == NULL)
		snprintf(cwd, sizeof cwd, "/");
	cwd_set(cwd);
	if (!rt.identity && (r = vfs_chdir(cwd)) < 0)
		fprintf(stderr, "flac: warning: %s is not a directory of the "
		    "name space (%s); starting in the real one\n", cwd,
		    strerror(-r));
	if (cmd_restore != NULL) {
		if (cmd_session_restore(cmd_restore) != 0) {
			status = EXIT_NOEXEC;
			goto out;
		}
	}
	ws_reset();
	r = exec_vpe(argv[optind], argv + optind, environ);
	fprintf(stderr, "flac: %s: %s\n", argv[optind], r == -ENOENT ?
	    "not found in the name space" : strerror(-r));
	status = r == -ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
	goto out;
nomem:
	fprintf(stderr, "flac: out of memory\n");
	status = EXIT_USAGE;
out:
	free(pre);
	free(img);
	free(ns);
	free(src);
	flac_spec_free(sp);
	strv_free(&names);
	strv_free(&addrs);
	strv_free(&env);
	return status;
}

/* ---- main ------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "check", "explain", "session",
	    NULL };
	const char *hint;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strncmp(argv[1], "-f", 2) == 0 ||
	    strncmp(argv[1], "--file", 6) == 0)
		return cmd_run(argc, argv);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(argv[1], "session") == 0)
		return cmd_session(argc - 1, argv + 1);
	hint = flac_suggest(argv[1], cmds, 0);
	if (hint != NULL)
		fprintf(stderr, "flac: unknown command '%s' (did you mean "
		    "'%s'?)\n", argv[1], hint);
	else
		fprintf(stderr, "flac: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

/*
 * libFuzzer target over flac/lang: parse, print and parse again (the
 * canonical text must read back to itself), check, then compile for a
 * fixed context, validate the block and resolve paths for every operation.
 *
 *   make FUZZ_O=build-fuzz build-fuzz/fuzz_flac_parse
 *   build-fuzz/fuzz_flac_parse -dict=tests/data/flac/fuzz.dict \
 *       CORPUS_DIR tests/data/flac
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flac/lang/ast.h"
#include "flac/lang/eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_names[] = { "laptop", "laptop.example.org" };
static const char *const fz_addrs[] = { "192.168.1.20", "2001:db8::7" };
static const char *const fz_env[] = { "VER=B", "HOME=/home/u" };
static const char *const fz_paths[] = {
	"/", "/home/u/x", "/n/home", "/usr/bin/cc", "/a/b/c/d", "/cache",
	"//x/../y/./z",
};

static void
fz_check_res(const struct flac_res *res)
{
	uint32_t i;

	if (res->nnodes == 0 || res->nodes[0].size != res->nnodes)
		abort();
	for (i = 0; i < res->nnodes; i++) {
		const struct flac_rnode *r = &res->nodes[i];

		if (r->size == 0 || i + r->size > res->nnodes)
			abort();
		if ((r->kind == FLAC_R_SERVICE || r->kind == FLAC_R_DIR) &&
		    (r->path >= res->buflen || r->hide + r->nhide >
		    res->nhides))
			abort();
		if (r->kind == FLAC_R_SERVICE && res->buf[r->path] != '/')
			abort();
		if (r->kind == FLAC_R_OVERLAY && r->nkids < 2)
			abort();
	}
}

static void
fz_eval(const struct flac_spec *sp)
{
	static struct flac_res res;
	struct flac_ctx ctx = { fz_names, 2, fz_addrs, 2, fz_env, 2 };
	struct flac_ns *ns = NULL;
	char **pts = NULL;
	size_t i, n = 0;
	int op, r;

	if (flac_compile(sp, &ctx, &ns) != 0)
		abort();
	if (flac_ns_validate(ns, ns->size) != 0)
		abort();
	for (op = 0; op < FLAC_OP__COUNT; op++) {
		for (i = 0; i < sizeof fz_paths / sizeof fz_paths[0]; i++) {
			r = flac_resolve(ns, (enum flac_op)op, fz_paths[i],
			    &res);
			if (r == 0)
				fz_check_res(&res);
			else if (r != -E2BIG && r != -ENAMETOOLONG)
				abort();
		}
	}
	if (flac_ns_points(ns, &pts, &n) == 0) {
		for (i = 0; i < n && i < 32; i++)
			if (flac_resolve(ns, FLAC_OP_OTHER, pts[i], &res) == 0)
				fz_check_res(&res);
		flac_ns_points_free(pts, n);
	}
	free(ns);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flac_spec *sp, *sp2;
	char *text, *text2;
	size_t i;
	int r, r2;

	if ((sp = flac_spec_new()) == NULL)
		return 0;
	r = flac_parse(sp, (const char *)data, size);
	if (r != 0) {
		if (sp->nerrors == 0)
			abort();
		flac_spec_free(sp);
		return 0;
	}
	/* the canonical text parses, and prints the same */
	if ((text = flac_spec_format(sp)) == NULL)
		abort();
	if (strlen(text) > FLAC_MAX_SOURCE) {	/* commas grew it */
		free(text);
		flac_spec_free(sp);
		return 0;
	}
	if ((sp2 = flac_spec_new()) == NULL)
		abort();
	if (flac_parse(sp2, text, strlen(text)) != 0)
		abort();
	if ((text2 = flac_spec_format(sp2)) == NULL || strcmp(text, text2) != 0)
		abort();
	r = flac_check(sp);
	r2 = flac_check(sp2);
	if (r != r2 || sp->nerrors != sp2->nerrors)
		abort();
	for (i = 0; i < sp->ndiags; i++)
		if (sp->diags[i].loc.line < 1 || sp->diags[i].loc.col < 1)
			abort();
	if (r == 0)
		fz_eval(sp);
	else if (sp->nerrors == 0)
		abort();
	free(text);
	free(text2);
	flac_spec_free(sp2);
	flac_spec_free(sp);
	return 0;
}

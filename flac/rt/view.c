/*
 * view: a path of the name space, resolved by flac_resolve() in the
 * compiled block, turned into the list of layers the runtime works on.
 * The answer of flac_resolve is a small tree (eval.h); an overlay's
 * layers are already flat there, so a view is that list, each layer one
 * local path, a synthetic directory, a transfer, a remote service or a
 * failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flac/rt/lcache.h"
#include "flac/rt/rt.h"

/*
 * A per-thread cache of the views of directories, so that the names in a
 * directory are resolved without walking the compiled block again.  It
 * only holds directories below which the name space does not change (no
 * subtree, cuttree or extendtree path strictly below them, see
 * flac_ns_points): there, the view of DIR/NAME is the view of DIR with
 * "/NAME" added to each layer's path, and no cut name to hide.
 */
#define VC_SLOTS	64
#define VC_DIRMAX	480
#define VC_STRMAX	1536
#define VC_NONE		0xffff

struct vc_layer {
	uint64_t	 phash;		/* FNV state after "path/" */
	uint8_t		 kind;
	uint8_t		 mode;
	uint8_t		 pullmod;
	uint8_t		 pushmod;
	uint8_t		 secremote;
	uint16_t	 path;		/* offsets in strs, or VC_NONE */
	uint16_t	 sec;
	uint16_t	 secpath;
	uint32_t	 psvc, ssvc;
};

struct vc_ent {
	uint64_t	 key;		/* 0: empty */
	unsigned	 epoch;		/* of the name space it was made in */
	uint16_t	 dirlen;
	uint8_t		 op;
	uint8_t		 kind;
	uint8_t		 n;
	char		 dir[VC_DIRMAX];
	struct vc_layer	 l[RT_MAXLAYERS];
	char		 strs[VC_STRMAX];
};

static __thread struct vc_ent *vc_tab
    __attribute__((tls_model("initial-exec")));
static char **vc_points;	/* sorted; NULL: no cache */
static size_t vc_npoints;
static int vc_ready;
static unsigned vc_epoch;	/* bumped by each view_cache_init */

void
view_cache_init(void)
{
	char **pts = NULL;
	size_t n = 0;

	vc_ready = 0;
	__atomic_add_fetch(&vc_epoch, 1, __ATOMIC_RELEASE);
	if (rt.ns == NULL || flac_ns_points(rt.ns, &pts, &n) != 0)
		return;
	/* the points of an earlier block are not freed: after a location
	   change (reloc.c) another thread may still be reading them */
	vc_points = pts;
	vc_npoints = n;
	vc_ready = 1;
}

/* 1 when no point of the name space is strictly below dir[0..len). */
static int
vc_leafy(const char *dir, size_t len)
{
	size_t lo = 0, hi = vc_npoints, mid;
	int c;

	if (len == 1)		/* "/": every point is below it */
		return vc_npoints <= 1;
	/* the first point >= dir + "/" */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncmp(vc_points[mid], dir, len);
		if (c < 0 || (c == 0 && vc_points[mid][len] < '/'))
			lo = mid + 1;
		else
			hi = mid;
	}
	return !(lo < vc_npoints && strncmp(vc_points[lo], dir, len) == 0 &&
	    vc_points[lo][len] == '/');
}

static uint64_t
vc_hash(const char *s, size_t n, unsigned op)
{
	uint64_t h = 1469598103934665603ull ^ op;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h | 1;
}

static uint16_t
vc_str(struct vc_ent *e, size_t *used, const char *s)
{
	size_t n;

	if (s == NULL)
		return VC_NONE;
	n = strlen(s) + 1;
	if (*used + n > VC_STRMAX)
		return VC_NONE - 1;	/* does not fit */
	memcpy(e->strs + *used, s, n);
	*used += n;
	return (uint16_t)(*used - n);
}

/* Keeps the view v of dir in e; 0, or -1 when it cannot be cached. */
static int
vc_store(struct vc_ent *e, uint64_t key, const char *dir, size_t len,
    unsigned op, const struct rt_view *v)
{
	size_t used = 0;
	int i;

	e->key = 0;
	for (i = 0; i < v->n; i++) {
		const struct rt_layer *L = &v->l[i];
		struct vc_layer *c = &e->l[i];

		if (L->kind == RL_SYNTH)
			return -1;
		c->kind = L->kind;
		c->mode = L->mode;
		c->pullmod = L->pullmod;
		c->pushmod = L->pushmod;
		c->secremote = (uint8_t)L->secremote;
		c->path = vc_str(e, &used, L->path);
		c->sec = vc_str(e, &used, L->sec);
		c->secpath = vc_str(e, &used, L->secpath);
		c->psvc = L->psvc;
		c->ssvc = L->ssvc;
		if (c->path == VC_NONE - 1 || c->sec == VC_NONE - 1 ||
		    c->secpath == VC_NONE - 1)
			return -1;
		c->phash = 0;
		if (L->kind == RL_LOCAL && L->path != NULL)
			c->phash = lcache_hash(LCACHE_SEED, strcmp(L->path,
			    "/") == 0 ? "" : L->path);
		c->phash = (c->phash ^ '/') * 1099511628211ull;
	}
	memcpy(e->dir, dir, len);
	e->epoch = vc_epoch;
	e->dirlen = (uint16_t)len;
	e->op = (uint8_t)op;
	e->kind = (uint8_t)v->kind;
	e->n = (uint8_t)v->n;
	e->key = key;
	return 0;
}

/* "dir/name" in ws. */
static char *
vc_join(const char *dir, const char *name, size_t nl)
{
	size_t pl = strlen(dir);
	char *s;

	if ((s = ws_alloc(pl + 1 + nl + 1)) == NULL)
		return NULL;
	memcpy(s, dir, pl);
	if (pl == 1)
		pl = 0;
	s[pl] = '/';
	memcpy(s + pl + 1, name, nl + 1);
	return s;
}

/* v for dir/name from the cached view of dir. */
static int
vc_child(const struct vc_ent *e, const char *name, struct rt_view *v)
{
	size_t nl = strlen(name), pl;
	const char *p;
	char *s;
	int i;

	v->kind = e->kind;
	v->n = e->n;
	v->nhides = 0;
	for (i = 0; i < e->n; i++) {
		const struct vc_layer *c = &e->l[i];
		struct rt_layer *L = &v->l[i];

		memset(L, 0, sizeof *L);
		L->kind = c->kind;
		L->mode = c->mode;
		L->pullmod = c->pullmod;
		L->pushmod = c->pushmod;
		L->secremote = c->secremote;
		L->psvc = c->psvc;
		L->ssvc = c->ssvc;
		if (c->secpath != VC_NONE && (L->secpath = vc_join(e->strs +
		    c->secpath, name, nl)) == NULL)
			return -ENOMEM;
		if (c->kind == RL_REMOTE) {
			L->path = e->strs + c->path;
			continue;
		}
		if (c->path != VC_NONE) {
			p = e->strs + c->path;
			pl = strlen(p);
			if ((s = ws_alloc(pl + 1 + nl + 1)) == NULL)
				return -ENOMEM;
			memcpy(s, p, pl);
			if (pl == 1)
				pl = 0;
			s[pl] = '/';
			memcpy(s + pl + 1, name, nl + 1);
			L->path = s;
			if (c->kind == RL_LOCAL)
				L->phash = lcache_hash(c->phash, name);
		}
		if (c->sec != VC_NONE) {
			p = e->strs + c->sec;
			pl = strlen(p);
			if ((s = ws_alloc(pl + 1 + nl + 1)) == NULL)
				return -ENOMEM;
			memcpy(s, p, pl);
			if (pl == 1)
				pl = 0;
			s[pl] = '/';
			memcpy(s + pl + 1, name, nl + 1);
			L->sec = s;
		}
	}
	return 0;
}

static int view_resolve_walk(const char *vpath, enum flac_op op,
    struct rt_view *v);

/* The view of vpath from the cache (1), or 0 when it cannot help. */
static int
vc_lookup(const char *vpath, enum flac_op op, struct rt_view *v)
{
	size_t dl = rtpath_dirlen(vpath), mark;
	const char *name = vpath + dl + (dl > 1);
	unsigned cop = rt.opselect ? (unsigned)op : 0;
	struct vc_ent *e;
	uint64_t key;
	char *dir;
	void *p;
	int r;

	if (!vc_ready || dl >= VC_DIRMAX || *name == '\0' ||
	    strcmp(vpath, "/") == 0)
		return 0;
	if (vc_tab == NULL) {
		p = mmap(NULL, VC_SLOTS * sizeof *vc_tab, PROT_READ |
		    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 0;
		vc_tab = p;
	}
	key = vc_hash(vpath, dl, cop);
	e = &vc_tab[(key >> 5) % VC_SLOTS];
	if (e->key != key || e->epoch != vc_epoch || e->dirlen != dl ||
	    e->op != cop ||
	    memcmp(e->dir, vpath, dl) != 0) {
		/* a miss: resolve the directory, if it can be kept */
		if (!vc_leafy(vpath, dl))
			return 0;
		mark = ws_mark();
		if ((dir = ws_alloc(dl + 1)) == NULL)
			return 0;
		memcpy(dir, vpath, dl);
		dir[dl] = '\0';
		r = view_resolve_walk(dir, op, v);
		if (r != 0 || v->kind != RV_LAYERS ||
		    vc_store(e, key, dir, dl, cop, v) != 0) {
			ws_release(mark);
			return 0;
		}
		ws_release(mark);
	}
	return vc_child(e, name, v) == 0;
}

/* The first SERVICE leaf in the subtree at i (in layer order), or -1. */
static int
view_first_leaf(const struct flac_res *res, uint32_t i)
{
	uint32_t j, end = i + res->nodes[i].size;

	for (j = i; j < end; j++)
		if (res->nodes[j].kind == FLAC_R_SERVICE)
			return (int)j;
	return -1;
}

static int
view_is_local(uint32_t svc)
{
	const struct flac_ns_svc *s = flac_ns_svcs(rt.ns);

	return svc < rt.ns->nsvcs && s[svc].type == FLAC_SVC_LOCAL;
}

/* The spec's number of the instance (flacd's too). */
static uint32_t
view_svc_id(uint32_t svc)
{
	const struct flac_ns_svc *s = flac_ns_svcs(rt.ns);

	return svc < rt.ns->nsvcs ? s[svc].id : UINT32_MAX;
}

static const char *
view_svc_text(uint32_t svc)
{
	const struct flac_ns_svc *s = flac_ns_svcs(rt.ns);

	return svc < rt.ns->nsvcs ? flac_ns_str(rt.ns, s[svc].text) : "?";
}

static int
view_hides(struct rt_view *v, const struct flac_res *res,
    const struct flac_rnode *r, struct rt_layer *L)
{
	uint32_t k;

	L->hide = (uint16_t)v->nhides;
	L->nhide = 0;
	for (k = 0; k < r->nhide; k++) {
		if (v->nhides >= FLAC_RES_MAXHIDES)
			return -E2BIG;
		if ((v->hides[v->nhides] = ws_strdup(flac_res_str(res,
		    res->hides[r->hide + k]))) == NULL)
			return -ENOMEM;
		v->nhides++;
		L->nhide++;
	}
	return 0;
}

/* The layer for the subtree of res at i. */
static int
view_layer(struct rt_view *v, const struct flac_res *res, uint32_t i)
{
	const struct flac_rnode *r = &res->nodes[i], *p, *s;
	struct rt_layer *L;
	int pi, si;
	uint32_t sec;

	if (v->n >= RT_MAXLAYERS)
		return -E2BIG;
	L = &v->l[v->n];
	memset(L, 0, sizeof *L);
	switch (r->kind) {
	case FLAC_R_NONE:
		return 0;
	case FLAC_R_FAIL:
		L->kind = RL_FAIL;
		break;
	case FLAC_R_DIR:
		L->kind = RL_SYNTH;
		if ((L->path = ws_strdup(flac_res_str(res, r->path))) == NULL)
			return -ENOMEM;
		if (view_hides(v, res, r, L) != 0)
			return -ENOMEM;
		break;
	case FLAC_R_SERVICE:
		if (view_is_local(r->svc)) {
			L->kind = RL_LOCAL;
			L->path = ws_strdup(flac_res_str(res, r->path));
		} else {
			L->kind = RL_REMOTE;
			L->path = view_svc_text(r->svc);
		}
		if (L->path == NULL || view_hides(v, res, r, L) != 0)
			return -ENOMEM;
		break;
	case FLAC_R_TRANSFER:
		L->kind = RL_XFER;
		L->mode = r->mode;
		L->pullmod = r->pullmod;
		L->pushmod = r->pushmod;
		pi = view_first_leaf(res, i + 1);
		sec = i + 1 + res->nodes[i + 1].size;
		si = sec < i + r->size ? view_first_leaf(res, sec) : -1;
		if (pi >= 0 && pi < (int)sec) {
			p = &res->nodes[pi];
			L->psvc = view_svc_id(p->svc);
			if (!view_is_local(p->svc)) {
				/* a remote primary: the whole layer is remote */
				L->kind = RL_REMOTE;
				L->path = view_svc_text(p->svc);
				break;
			}
			if ((L->path = ws_strdup(flac_res_str(res,
			    p->path))) == NULL ||
			    view_hides(v, res, p, L) != 0)
				return -ENOMEM;
		}
		if (si >= 0) {
			s = &res->nodes[si];
			L->ssvc = view_svc_id(s->svc);
			if ((L->secpath = ws_strdup(flac_res_str(res,
			    s->path))) == NULL)
				return -ENOMEM;
			if (!view_is_local(s->svc))
				L->secremote = 1;
			else if ((L->sec = ws_strdup(flac_res_str(res,
			    s->path))) == NULL)
				return -ENOMEM;
		}
		if (L->path == NULL && L->sec == NULL && !L->secremote)
			return 0;
		break;
	default:
		return -EINVAL;
	}
	v->n++;
	return 0;
}

int
view_resolve(const char *vpath, enum flac_op op, struct rt_view *v)
{
	if (vc_lookup(vpath, op, v))
		return 0;
	return view_resolve_walk(vpath, op, v);
}

static int
view_resolve_walk(const char *vpath, enum flac_op op, struct rt_view *v)
{
	struct flac_res *res = ws_res();
	uint32_t i;
	int r;

	memset(v, 0, offsetof(struct rt_view, hides));
	v->nhides = 0;
	if (res == NULL)
		return -ENOMEM;
	if ((r = flac_resolve(rt.ns, op, vpath, res)) != 0)
		return r;
	if (res->nnodes == 0)
		return -EINVAL;
	switch (res->nodes[0].kind) {
	case FLAC_R_NONE:
		v->kind = RV_NONE;
		return 0;
	case FLAC_R_FAIL:
		v->kind = RV_FAIL;
		return 0;
	case FLAC_R_OVERLAY:
		v->kind = RV_LAYERS;
		for (i = 1; i < res->nodes[0].size; i += res->nodes[i].size)
			if ((r = view_layer(v, res, i)) != 0)
				return r;
		break;
	default:
		v->kind = RV_LAYERS;
		if ((r = view_layer(v, res, 0)) != 0)
			return r;
		break;
	}
	if (v->n == 0)
		v->kind = RV_NONE;
	return 0;
}

int
view_target(const struct rt_view *v)
{
	int i;

	if (v->kind != RV_LAYERS)
		return -1;
	for (i = 0; i < v->n; i++) {
		if (v->l[i].kind == RL_LOCAL)
			return i;
		if (v->l[i].kind == RL_XFER && v->l[i].path != NULL)
			return i;
		if (v->l[i].kind == RL_REMOTE || v->l[i].kind == RL_FAIL)
			return -1;
	}
	return -1;
}

const char *
view_real(const struct rt_view *v, int i)
{
	if (i < 0 || i >= v->n)
		return NULL;
	if (v->l[i].kind == RL_LOCAL || v->l[i].kind == RL_XFER)
		return v->l[i].path;
	return NULL;
}

/* fontmatch: see fontmatch.h. */
#include <errno.h>
#include <string.h>

#include "guievict/xsession/fontmatch.h"

double
xs_font_distance(const struct xs_fontgeom *a, const struct xs_fontgeom *b)
{
	double da = (double)a->ascent - b->ascent;
	double dd = (double)a->descent - b->descent;
	double dw = ((double)a->avg_width - b->avg_width) / 10.0;
	double dm = (double)a->max_width - b->max_width;

	return da * da + dd * dd + dw * dw + dm * dm;
}

/* Splits "-foundry-family-weight-slant-setwidth-add-pixels-points-resx-
 * resy-spacing-avgwidth-registry-encoding" into its 14 fields. */
static int
xs_xlfd_fields(const char *name, const char *f[14], size_t len[14])
{
	const char *p;
	int i;

	if (name == NULL || name[0] != '-')
		return -EINVAL;
	p = name + 1;
	for (i = 0; i < 14; i++) {
		const char *dash = strchr(p, '-');

		f[i] = p;
		if (i == 13) {
			if (dash != NULL)
				return -EINVAL;
			len[i] = strlen(p);
			break;
		}
		if (dash == NULL)
			return -EINVAL;
		len[i] = (size_t)(dash - p);
		p = dash + 1;
	}
	return 0;
}

int
xs_font_name_affinity(const char *a, const char *b)
{
	/* family, weight, slant, set width, spacing, registry, encoding */
	static const int cmp[] = { 1, 2, 3, 4, 10, 12, 13 };
	const char *fa[14], *fb[14];
	size_t la[14], lb[14], i;
	int n = 0, k;

	if (xs_xlfd_fields(a, fa, la) < 0 || xs_xlfd_fields(b, fb, lb) < 0)
		return 0;
	for (i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
		k = cmp[i];
		if (la[k] == lb[k] && strncasecmp(fa[k], fb[k], la[k]) == 0)
			n++;
	}
	return n;
}

int
xs_font_match(const struct xs_fontgeom *want, const char *want_name,
    const struct xs_fontgeom *cands, const char *const *names, size_t n)
{
	double best = 0, d;
	int besti = -ENOENT, bestaff = -1, aff;
	size_t i;

	for (i = 0; i < n && i < (size_t)INT32_MAX; i++) {
		d = xs_font_distance(want, &cands[i]);
		aff = (names != NULL) ?
		    xs_font_name_affinity(want_name, names[i]) : 0;
		if (besti < 0 || d < best || (d == best && aff > bestaff)) {
			best = d;
			besti = (int)i;
			bestaff = aff;
		}
	}
	return besti;
}

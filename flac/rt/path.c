/* path: see path.h. */
#include <errno.h>
#include <string.h>

#include "flac/rt/path.h"

/* Appends the normalized components of in to out[0..len). */
static int
rtpath_append(char *out, size_t len, size_t sz, const char *in)
{
	const char *p = in, *c;
	size_t n;

	if (len == 1 && out[0] == '/')
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
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			continue;
		}
		if (len + 1 + n + 1 > sz)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, c, n);
		len += n;
	}
	if (len == 0) {
		if (sz < 2)
			return -ENAMETOOLONG;
		out[len++] = '/';
	}
	out[len] = '\0';
	return (int)len;
}

int
rtpath_norm(const char *in, char *out, size_t sz)
{
	if (in == NULL || in[0] != '/')
		return -EINVAL;
	if (sz < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	out[1] = '\0';
	return rtpath_append(out, 1, sz, in);
}

int
rtpath_join(const char *base, const char *rel, char *out, size_t sz)
{
	int len;

	if (rel == NULL)
		return -EINVAL;
	if (rel[0] == '/')
		return rtpath_norm(rel, out, sz);
	if (out != base && (len = rtpath_norm(base, out, sz)) < 0)
		return len;
	if (out == base)
		len = (int)strlen(out);
	return rtpath_append(out, (size_t)len, sz, rel);
}

int
rtpath_has_dotdot(const char *p)
{
	const char *s;

	for (s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return 1;
	return 0;
}

size_t
rtpath_dirlen(const char *p)
{
	const char *s = strrchr(p, '/');

	if (s == NULL || s == p)
		return 1;
	return (size_t)(s - p);
}

const char *
rtpath_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s == NULL ? p : s + 1;
}

int
rtpath_common_tail(const char *a, const char *b, size_t *aroot,
    size_t *broot)
{
	size_t i = strlen(a), j = strlen(b), ai, bj;
	int n = 0;

	*aroot = i;
	*broot = j;
	if (strcmp(a, b) == 0)
		return 0;
	for (;;) {
		/* the last component of a[0..i) and of b[0..j) */
		ai = i;
		bj = j;
		while (ai > 0 && a[ai - 1] != '/')
			ai--;
		while (bj > 0 && b[bj - 1] != '/')
			bj--;
		if (ai == 0 || bj == 0 || i - ai == 0 || i - ai != j - bj ||
		    memcmp(a + ai, b + bj, i - ai) != 0)
			break;
		n++;
		i = ai - 1;
		j = bj - 1;
		*aroot = i;
		*broot = j;
	}
	return n;
}

int
rtpath_is_wh(const char *name)
{
	return strncmp(name, RT_WH_PREFIX, RT_WH_PREFIX_LEN) == 0;
}

int
rtpath_child(const char *dir, const char *name, char *out, size_t sz)
{
	size_t dl = strlen(dir), nl = strlen(name);

	if (dl == 1 && dir[0] == '/')
		dl = 0;
	if (dl + 1 + nl + 1 > sz)
		return -ENAMETOOLONG;
	if (out != dir)
		memmove(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return (int)(dl + 1 + nl);
}

int
rtpath_wh(const char *p, char *out, size_t sz)
{
	size_t dl = rtpath_dirlen(p);
	const char *base = rtpath_base(p);
	size_t bl = strlen(base);

	if (bl == 0)
		return -EINVAL;
	if (dl == 1)
		dl = 0;
	if (dl + 1 + RT_WH_PREFIX_LEN + bl + 1 > sz)
		return -ENAMETOOLONG;
	/* back to front, so that out may be p */
	memmove(out + dl + 1 + RT_WH_PREFIX_LEN, base, bl + 1);
	memcpy(out + dl + 1, RT_WH_PREFIX, RT_WH_PREFIX_LEN);
	out[dl] = '/';
	if (out != p)
		memcpy(out, p, dl);
	return (int)(dl + 1 + RT_WH_PREFIX_LEN + bl);
}

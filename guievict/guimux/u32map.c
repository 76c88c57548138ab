/* u32map: see u32map.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/guimux/u32map.h"

#define U32MAP_MIN 64

static size_t
u32map_slot(uint32_t key, size_t cap)
{
	uint32_t h = key * 0x9e3779b1u;

	h ^= h >> 15;
	return (size_t)h & (cap - 1);
}

void
u32map_init(struct u32map *m)
{
	memset(m, 0, sizeof *m);
}

void
u32map_free(struct u32map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

void
u32map_clear(struct u32map *m)
{
	if (m->cap > 0) {
		memset(m->keys, 0, m->cap * sizeof *m->keys);
		memset(m->vals, 0, m->cap * sizeof *m->vals);
	}
	m->n = 0;
}

static int
u32map_grow(struct u32map *m)
{
	struct u32map g;
	size_t i, cap = m->cap ? m->cap * 2 : U32MAP_MIN;

	if (cap > SIZE_MAX / 8)
		return -ENOMEM;
	g.keys = calloc(cap, sizeof *g.keys);
	g.vals = calloc(cap, sizeof *g.vals);
	if (g.keys == NULL || g.vals == NULL) {
		free(g.keys);
		free(g.vals);
		return -ENOMEM;
	}
	g.cap = cap;
	g.n = 0;
	for (i = 0; i < m->cap; i++) {
		size_t s;

		if (m->keys[i] == 0)
			continue;
		s = u32map_slot(m->keys[i], cap);
		while (g.keys[s] != 0)
			s = (s + 1) & (cap - 1);
		g.keys[s] = m->keys[i];
		g.vals[s] = m->vals[i];
		g.n++;
	}
	free(m->keys);
	free(m->vals);
	*m = g;
	return 0;
}

int
u32map_put(struct u32map *m, uint32_t key, uint32_t val)
{
	size_t s;
	int r;

	if (key == 0)
		return -EINVAL;
	if ((m->n + 1) * 4 > m->cap * 3 && (r = u32map_grow(m)) != 0)
		return r;
	s = u32map_slot(key, m->cap);
	while (m->keys[s] != 0 && m->keys[s] != key)
		s = (s + 1) & (m->cap - 1);
	if (m->keys[s] == 0) {
		m->keys[s] = key;
		m->n++;
	}
	m->vals[s] = val;
	return 0;
}

int
u32map_get(const struct u32map *m, uint32_t key, uint32_t *val)
{
	size_t s;

	if (key == 0 || m->cap == 0)
		return 0;
	s = u32map_slot(key, m->cap);
	while (m->keys[s] != 0) {
		if (m->keys[s] == key) {
			if (val != NULL)
				*val = m->vals[s];
			return 1;
		}
		s = (s + 1) & (m->cap - 1);
	}
	return 0;
}

int
u32map_del(struct u32map *m, uint32_t key)
{
	size_t s, j, home, mask;

	if (key == 0 || m->cap == 0)
		return 0;
	mask = m->cap - 1;
	s = u32map_slot(key, m->cap);
	while (m->keys[s] != key) {
		if (m->keys[s] == 0)
			return 0;
		s = (s + 1) & mask;
	}
	/* backward shift: move later members of the run into the hole */
	j = s;
	for (;;) {
		m->keys[s] = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (m->keys[j] == 0) {
				m->n--;
				return 1;
			}
			home = u32map_slot(m->keys[j], m->cap);
			/* may j's key move to s?  only if home is not in (s, j] */
			if (s <= j ? (home <= s || home > j) : (home <= s && home > j))
				break;
		}
		m->keys[s] = m->keys[j];
		m->vals[s] = m->vals[j];
		s = j;
	}
}

int
u32map_next(const struct u32map *m, size_t *pos, uint32_t *key, uint32_t *val)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;

		if (m->keys[i] != 0) {
			*key = m->keys[i];
			*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}

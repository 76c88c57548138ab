/*
 * u32map: an open-addressing hash map from 32-bit keys to 32-bit values,
 * the tables guimux translates resource ids and atoms with.  Key 0 is not
 * storable (0 is None in X and is never translated).  Pure; grows by
 * doubling, deletes with backward shifting (no tombstones), so lookups stay
 * short however many ids a long-running program creates and frees.
 */
#ifndef EVICT_GV_U32MAP_H
#define EVICT_GV_U32MAP_H

#include <stddef.h>
#include <stdint.h>

struct u32map {
	uint32_t *keys;		/* 0: empty slot */
	uint32_t *vals;
	size_t    cap;		/* a power of two, or 0 */
	size_t    n;
};

void	u32map_init(struct u32map *m);
void	u32map_free(struct u32map *m);
void	u32map_clear(struct u32map *m);
/* Adds or replaces; 0, -EINVAL for key 0, -ENOMEM. */
int	u32map_put(struct u32map *m, uint32_t key, uint32_t val);
/* 1 and *val when present, else 0. */
int	u32map_get(const struct u32map *m, uint32_t key, uint32_t *val);
/* 1 when it was there. */
int	u32map_del(struct u32map *m, uint32_t key);
/*
 * Iteration: *pos starts at 0; 1 and the next pair, or 0 at the end.  The
 * map must not change meanwhile.
 */
int	u32map_next(const struct u32map *m, size_t *pos, uint32_t *key,
	    uint32_t *val);

#endif

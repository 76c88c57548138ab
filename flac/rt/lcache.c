/* lcache: see lcache.h. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "flac/rt/lcache.h"
#include "flac/rt/rt.h"

struct lcache {
	uint64_t	gen;		/* generation the entries are for */
	uint64_t	born_ms;	/* when the first entry was made */
	uint64_t	n;
	uint64_t	calls;		/* the clock is read every 64 */
	uint64_t	slot[LCACHE_SLOTS];	/* hash | 1; 0 is empty */
};

static __thread struct lcache *lc_cur
    __attribute__((tls_model("initial-exec")));
static int lc_on = 1;

void
lcache_enable(int on)
{
	lc_on = on;
}

static uint64_t
lc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The thread's cache, emptied when stale; NULL when off. */
static struct lcache *
lc_get(int make)
{
	struct lcache *c = lc_cur;
	uint64_t gen;
	void *p;

	if (!lc_on || rt.shared == NULL)
		return NULL;
	if (c == NULL) {
		if (!make)
			return NULL;
		p = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		lc_cur = c = p;
		c->gen = rt_generation();
	}
	gen = rt_generation();
	if (c->gen != gen || (c->n > 0 && (c->calls++ & 63) == 0 &&
	    lc_now_ms() - c->born_ms > LCACHE_TTL_MS)) {
		memset(c->slot, 0, sizeof c->slot);
		c->n = 0;
		c->gen = gen;
	}
	return c;
}

static int
lc_has(const struct lcache *c, uint64_t h)
{
	size_t i = (size_t)(h >> 7) & (LCACHE_SLOTS - 1), k;

	for (k = 0; k < 4; k++, i = (i + 1) & (LCACHE_SLOTS - 1)) {
		if (c->slot[i] == 0)
			return 0;
		if (c->slot[i] == h)
			return 1;
	}
	return 0;
}

int
lcache_absent(const char *p)
{
	struct lcache *c = lc_get(0);
	uint64_t h = 1469598103934665603ull;
	const char *s;

	if (c == NULL || c->n == 0)
		return 0;
	/* the path and each ancestor, with one running hash */
	for (s = p; *s != '\0'; s++) {
		if (*s == '/' && s != p && lc_has(c, h | 1))
			return 1;
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	}
	return lc_has(c, h | 1);
}

static void lc_put(struct lcache *c, uint64_t h);

void
lcache_note_absent(const char *p, uint64_t gen)
{
	struct lcache *c = lc_get(1);
	uint64_t h = 1469598103934665603ull;
	const char *s;

	if (c == NULL || c->gen != gen)
		return;
	for (s = p; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	lc_put(c, h | 1);
}

uint64_t
lcache_hash(uint64_t h, const char *p)
{
	for (; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h;
}

int
lcache_memo_has(uint64_t key)
{
	struct lcache *c = lc_get(0);

	return c != NULL && c->n > 0 && lc_has(c, key | 1);
}

void
lcache_memo_put(uint64_t key, uint64_t gen)
{
	struct lcache *c = lc_get(1);

	if (c != NULL && c->gen == gen)
		lc_put(c, key | 1);
}

static void
lc_put(struct lcache *c, uint64_t h)
{
	size_t i, k;

	if (c->n == 0)
		c->born_ms = lc_now_ms();
	i = (size_t)(h >> 7) & (LCACHE_SLOTS - 1);
	for (k = 0; k < 4; k++, i = (i + 1) & (LCACHE_SLOTS - 1)) {
		if (c->slot[i] == h)
			return;
		if (c->slot[i] == 0) {
			c->slot[i] = h;
			c->n++;
			return;
		}
	}
	/* the neighbourhood is full: replace the first */
	c->slot[(size_t)(h >> 7) & (LCACHE_SLOTS - 1)] = h;
}

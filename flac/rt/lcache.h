/*
 * lcache: what a thread learnt about paths that do not exist in writable
 * layers, so that looking a name up through an overlay costs about one
 * system call, not three or four (upper layer, its whiteout, then the
 * lower layer).
 *
 * Entries are the 64-bit hashes of real paths found absent.  They hold
 * while the session's generation (session.h) is unchanged: the runtime of
 * every process in the session bumps it after each change it makes to a
 * file system (a name made, removed or renamed), so a name another
 * process of the session made is seen at once.  Changes made from outside
 * the session are seen after at most LCACHE_TTL_MS.  A path is absent
 * when it or one of its ancestors is.
 */
#ifndef FLAC_RT_LCACHE_H
#define FLAC_RT_LCACHE_H

#include <stdint.h>

#define LCACHE_SLOTS	4096
#define LCACHE_TTL_MS	1000

/* 1 when p (real, absolute) is known to be absent. */
int	lcache_absent(const char *p);
/* Notes p absent, as seen by a lookup made at generation gen. */
void	lcache_note_absent(const char *p, uint64_t gen);
/*
 * Memos: facts about a list of paths, under a key the caller makes with
 * lcache_hash (FNV-1a; start from LCACHE_SEED), held like the entries
 * above.  layer.c keeps "the layers above layer i do not have the name
 * and do not hide it" this way.
 */
#define LCACHE_SEED	1469598103934665603ull
uint64_t lcache_hash(uint64_t h, const char *p);
int	lcache_memo_has(uint64_t key);
void	lcache_memo_put(uint64_t key, uint64_t gen);
/* Off for tests and benchmarks that want every lookup to hit the disk. */
void	lcache_enable(int on);

#endif

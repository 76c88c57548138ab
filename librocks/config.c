/*
 * config: librocks' settings, from the environment that `rock` sets (read
 * with secure_getenv, so a setuid program ignores them and keeps defaults).
 *
 *   EVICT_ROCKS_HB_MS         heartbeat period, ms (default 500)
 *   EVICT_ROCKS_HB_MISSES     periods without a heartbeat before suspension (5)
 *   EVICT_ROCKS_RECONNECT_S   how long a suspended rock tries (259200: 3 days)
 *   EVICT_ROCKS_RETRY_MS      reconnection attempts at least this often (1000)
 *   EVICT_ROCKS_ACCEPT_WAIT_MS  at accept(), how long a connection with no
 *                             bytes yet may take to show a probe's end (5)
 *   EVICT_ROCKS_DISABLE       1: pass everything through
 */
#include <stdlib.h>

#include "common/log.h"
#include "librocks/rock.h"

struct rocks_config rocks_cfg = {
	.hb_ms = 500,
	.hb_misses = 5,
	.reconnect_ms = 3ull * 24 * 3600 * 1000,
	.retry_ms = 1000,
	.accept_wait_ms = 5,
};

static uint64_t
config_num(const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
	const char *s = secure_getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi) {
		log_warn("%s=%s is not a number from %llu to %llu; using %llu",
		    name, s, (unsigned long long)lo, (unsigned long long)hi,
		    (unsigned long long)def);
		return def;
	}
	return v;
}

void
rocks_config_load(void)
{
	rocks_cfg.hb_ms = (uint32_t)config_num("EVICT_ROCKS_HB_MS", 500, 10, 600000);
	rocks_cfg.hb_misses = (uint32_t)config_num("EVICT_ROCKS_HB_MISSES", 5, 1, 1000);
	rocks_cfg.reconnect_ms = 1000 * config_num("EVICT_ROCKS_RECONNECT_S",
	    3 * 24 * 3600, 1, 365ull * 24 * 3600);
	rocks_cfg.retry_ms = (uint32_t)config_num("EVICT_ROCKS_RETRY_MS", 1000, 10,
	    600000);
	rocks_cfg.accept_wait_ms = (uint32_t)config_num("EVICT_ROCKS_ACCEPT_WAIT_MS",
	    5, 0, 10000);
	rocks_cfg.disabled = (int)config_num("EVICT_ROCKS_DISABLE", 0, 0, 1);
}

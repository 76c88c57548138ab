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
 *   EVICT_ROCKS_VIA           ADDR:PORT ([ADDR6]:PORT) of a rockd: a
 *                             connection to a peer without rocks goes
 *                             through it instead of falling back
 *   EVICT_ROCKS_RELAY         ADDR:PORT of a `rockd --relay`: where a
 *                             suspended rock tells its peer its address
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* "1.2.3.4:80" or "[::1]:80": numeric, so that no resolver runs here. */
static int
config_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64], *end;
	const char *colon;
	unsigned long port;
	size_t hl;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		hl = (size_t)(colon - s - 1);
		s++;
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port == 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof *s6;
	} else
		return -1;
	return 0;
}

void
rocks_config_load(void)
{
	const char *via, *relay;

	rocks_cfg.hb_ms = (uint32_t)config_num("EVICT_ROCKS_HB_MS", 500, 10, 600000);
	rocks_cfg.hb_misses = (uint32_t)config_num("EVICT_ROCKS_HB_MISSES", 5, 1, 1000);
	rocks_cfg.reconnect_ms = 1000 * config_num("EVICT_ROCKS_RECONNECT_S",
	    3 * 24 * 3600, 1, 365ull * 24 * 3600);
	rocks_cfg.retry_ms = (uint32_t)config_num("EVICT_ROCKS_RETRY_MS", 1000, 10,
	    600000);
	rocks_cfg.accept_wait_ms = (uint32_t)config_num("EVICT_ROCKS_ACCEPT_WAIT_MS",
	    5, 0, 10000);
	rocks_cfg.disabled = (int)config_num("EVICT_ROCKS_DISABLE", 0, 0, 1);
	rocks_cfg.vialen = 0;
	via = secure_getenv("EVICT_ROCKS_VIA");
	if (via != NULL && *via != '\0' &&
	    config_addr(via, &rocks_cfg.via, &rocks_cfg.vialen) < 0) {
		rocks_cfg.vialen = 0;
		log_warn("EVICT_ROCKS_VIA=%s is not ADDR:PORT or [ADDR6]:PORT "
		    "(numeric); connecting without rockd", via);
	}
	rocks_cfg.relaylen = 0;
	relay = secure_getenv("EVICT_ROCKS_RELAY");
	if (relay != NULL && *relay != '\0' &&
	    config_addr(relay, &rocks_cfg.relay, &rocks_cfg.relaylen) < 0) {
		rocks_cfg.relaylen = 0;
		log_warn("EVICT_ROCKS_RELAY=%s is not ADDR:PORT or [ADDR6]:PORT "
		    "(numeric); no relay", relay);
	}
}

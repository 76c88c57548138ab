/*
 * allow: the destinations rockd's general mode may reach (--allow,
 * "allow ADDR[/PREFIX]").  Pure: unit tested in check_rockd_allow.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rockd/rockd.h"

int
rd_allow_parse(const char *s, struct rd_allow *a)
{
	char host[INET6_ADDRSTRLEN + 1], *slash, *end;
	unsigned long p;

	if (strlen(s) >= sizeof host + 4)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)strcspn(s, "/"), s);
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, host, a->addr) == 1) {
		a->family = AF_INET;
		a->prefix = 32;
	} else if (inet_pton(AF_INET6, host, a->addr) == 1) {
		a->family = AF_INET6;
		a->prefix = 128;
	} else
		return -1;
	if ((slash = strchr(s, '/')) != NULL) {
		p = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p > a->prefix)
			return -1;
		a->prefix = (unsigned)p;
	}
	return 0;
}

static int
rd_prefix_eq(const uint8_t *x, const uint8_t *y, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(x, y, full) != 0)
		return 0;
	return rest == 0 ||
	    ((x[full] ^ y[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
rd_allowed_in(const struct rd_allow *list, int n, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;
	uint8_t v4[4];
	const uint8_t *a;
	int fam, i;

	if (n == 0)
		return 1;
	if (sa->sa_family == AF_INET) {
		fam = AF_INET;
		a = (const uint8_t *)&s4->sin_addr;
	} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		fam = AF_INET;
		memcpy(v4, s6->sin6_addr.s6_addr + 12, 4);
		a = v4;
	} else {
		fam = AF_INET6;
		a = s6->sin6_addr.s6_addr;
	}
	for (i = 0; i < n; i++)
		if (list[i].family == fam &&
		    rd_prefix_eq(a, list[i].addr, list[i].prefix))
			return 1;
	return 0;
}

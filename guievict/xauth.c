/* xauth: see xauth.h.  Lookup as libxcb does it, through libXau. */
#include <X11/Xauth.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guievict/xauth.h"

#ifndef FamilyInternet
#define FamilyInternet 0	/* X.h: IPv4 */
#endif

int
xauth_parse_display(const char *display, int *local, char *host,
    size_t hostsz, int *number)
{
	const char *colon = strrchr(display, ':');
	char *end;
	long n;
	size_t hl;

	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	hl = (size_t)(colon - display);
	if (hl >= hostsz)
		return -EINVAL;
	memcpy(host, display, hl);
	host[hl] = '\0';
	n = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || (*end != '\0' && *end != '.') || n < 0 ||
	    n > 65535)
		return -EINVAL;
	*number = (int)n;
	*local = hl == 0 || strcmp(host, "unix") == 0;
	return 0;
}

int
xauth_lookup(const char *display, const char *file, struct xauth_cookie *out)
{
	static char cookie_name[] = "MIT-MAGIC-COOKIE-1";
	char *types[1] = { cookie_name };
	int lens[1] = { (int)sizeof cookie_name - 1 };
	char host[256], num[16], me[256];
	struct in_addr in;
	Xauth *a;
	int local, number;
	unsigned short family;
	const char *addr;
	size_t alen;

	memset(out, 0, sizeof *out);
	if (xauth_parse_display(display, &local, host, sizeof host,
	    &number) != 0)
		return -EINVAL;
	if (file != NULL && setenv("XAUTHORITY", file, 1) != 0)
		return -errno;
	if (gethostname(me, sizeof me) != 0)
		return -errno;
	me[sizeof me - 1] = '\0';
	if (!local && (strcmp(host, "localhost") == 0 ||
	    strcmp(host, me) == 0 || (inet_pton(AF_INET, host, &in) == 1 &&
	    (ntohl(in.s_addr) >> 24) == 127)))
		local = 1;
	if (local) {
		family = FamilyLocal;
		addr = me;
		alen = strlen(me);
	} else if (inet_pton(AF_INET, host, &in) == 1) {
		family = FamilyInternet;
		addr = (const char *)&in;
		alen = 4;
	} else {
		/* a host name: the first IPv4 address it has */
		struct addrinfo hints, *ai;

		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_INET;
		if (getaddrinfo(host, NULL, &hints, &ai) != 0)
			return 0;
		in = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		freeaddrinfo(ai);
		family = FamilyInternet;
		addr = (const char *)&in;
		alen = 4;
	}
	snprintf(num, sizeof num, "%d", number);
	a = XauGetBestAuthByAddr(family, (unsigned short)alen, addr,
	    (unsigned short)strlen(num), num, 1, types, lens);
	if (a == NULL)
		return 0;
	if (a->name_length >= sizeof out->name ||
	    a->data_length > sizeof out->data) {
		XauDisposeAuth(a);
		return -EMSGSIZE;
	}
	memcpy(out->name, a->name, a->name_length);
	out->name_len = a->name_length;
	memcpy(out->data, a->data, a->data_length);
	out->data_len = a->data_length;
	XauDisposeAuth(a);
	return 1;
}

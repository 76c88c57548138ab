/*
 * hook-dns: getaddrinfo(), so that a rock knows the name its program
 * connected by.  Each answer's addresses are remembered with the name (the
 * last 64 answers); a client rock looks its peer's address up when it is
 * made.  When the peer's last known address fails during a reconnection,
 * the name is resolved again and the attempts go to the new address (at
 * the peer's control port): the peer moved and its heartbeats could not
 * tell us, because we moved too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "common/log.h"
#include "librocks/hook.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define DNS_SLOTS 64

struct dns_slot {
	int      family;
	uint8_t  addr[16];
	char     name[256];
};

static struct {
	pthread_mutex_t lock;
	struct dns_slot s[DNS_SLOTS];
	unsigned next;
} dns = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const uint8_t *
dns_addr(const struct sockaddr *sa, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		*len = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	return NULL;
}

static void
dns_remember(const char *node, const struct addrinfo *res)
{
	const struct addrinfo *p;
	const uint8_t *a;
	struct dns_slot *s;
	size_t len, n = strlen(node);
	unsigned i;

	if (n == 0 || n >= sizeof s->name)
		return;
	pthread_mutex_lock(&dns.lock);
	for (p = res; p != NULL; p = p->ai_next) {
		if (p->ai_addr == NULL || (a = dns_addr(p->ai_addr, &len)) == NULL)
			continue;
		for (i = 0; i < DNS_SLOTS; i++) {
			s = &dns.s[i];
			if (s->family == p->ai_family && memcmp(s->addr, a, len) == 0)
				break;
		}
		if (i == DNS_SLOTS) {
			s = &dns.s[dns.next];
			dns.next = (dns.next + 1) % DNS_SLOTS;
		}
		s->family = p->ai_addr->sa_family;
		memcpy(s->addr, a, len);
		memcpy(s->name, node, n + 1);
	}
	pthread_mutex_unlock(&dns.lock);
}

static int
dns_numeric(const char *node)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, node, &a4) == 1 ||
	    inet_pton(AF_INET6, node, &a6) == 1;
}

ROCKS_EXPORT int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int rc;

	real_init();
	if (real.getaddrinfo == NULL)
		return EAI_SYSTEM;
	rc = real.getaddrinfo(node, service, hints, res);
	/* a numeric node names nothing */
	if (rc == 0 && node != NULL && real_ok && !dns_numeric(node))
		dns_remember(node, *res);
	return rc;
}

int
dns_name_of(const struct sockaddr *sa, char *name, size_t namesz)
{
	const uint8_t *a;
	size_t len;
	int i, rc = -ENOENT;

	name[0] = '\0';
	if ((a = dns_addr(sa, &len)) == NULL)
		return -ENOENT;
	pthread_mutex_lock(&dns.lock);
	for (i = 0; i < DNS_SLOTS; i++)
		if (dns.s[i].family == sa->sa_family &&
		    memcmp(dns.s[i].addr, a, len) == 0 &&
		    strlen(dns.s[i].name) < namesz) {
			memcpy(name, dns.s[i].name, strlen(dns.s[i].name) + 1);
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&dns.lock);
	return rc;
}

int
dns_reresolve(struct rock *r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *p;
	struct sockaddr_storage cur;
	const uint8_t *a, *c;
	size_t len, clen;
	int rc;

	hints.ai_family = r->peer.ss_family;
	rc = real.getaddrinfo(r->rname, NULL, &hints, &res);
	if (rc != 0) {
		log_debug("rock %d: resolving %s again: %s", r->fd, r->rname,
		    gai_strerror(rc));
		return 0;
	}
	pthread_mutex_lock(&r->st_lock);
	memcpy(&cur, &r->peer_ctl, sizeof cur);
	pthread_mutex_unlock(&r->st_lock);
	c = dns_addr((struct sockaddr *)&cur, &clen);
	rc = 0;
	for (p = res; p != NULL && c != NULL; p = p->ai_next) {
		if ((a = dns_addr(p->ai_addr, &len)) == NULL || len != clen ||
		    p->ai_addr->sa_family != cur.ss_family)
			continue;
		if (memcmp(a, c, len) == 0)
			break;          /* the name still gives the same address */
		pthread_mutex_lock(&r->st_lock);
		memcpy((uint8_t *)&r->peer_ctl + (c - (const uint8_t *)&cur), a, len);
		pthread_mutex_unlock(&r->st_lock);
		log_info("rock %d: %s now resolves elsewhere; reconnecting there",
		    r->fd, r->rname);
		rc = 1;
		break;
	}
	freeaddrinfo(res);
	return rc;
}

/*
 * nlwatch: see nlwatch.h.
 *
 * The decoder never casts the caller's bytes to a structure: every header
 * is copied out with memcpy() first (the buffer may be unaligned), and the
 * checks of NLMSG_OK() and RTA_OK() are spelled out against size_t lengths
 * (the macros compare with int and read through the pointer).  A length is
 * only used after it has been checked against the bytes that remain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "common/nlwatch.h"

#define NLWATCH_BUFSZ		(64 * 1024)	/* dumps fill at most 32 KiB */
#define NLWATCH_RCVBUF		(1 << 20)
#define NLWATCH_MAX_READS	64		/* datagrams per nlwatch_read() */
#define NLWATCH_TB		16		/* attribute types we look at */

#define NLWATCH_GROUPS	(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | \
			 RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | \
			 RTMGRP_IPV6_ROUTE)

struct nlwatch {
	int		 fd;
	uint32_t	 seq;
	uint8_t		*buf;
};

/* The attributes of one message, by type; types >= NLWATCH_TB are walked
 * and checked but not kept. */
struct nlwatch_tb {
	const uint8_t	*p[NLWATCH_TB];
	size_t		 n[NLWATCH_TB];
};

/* ---- decoder ------------------------------------------------------------- */

static int
nlwatch_attrs(const uint8_t *p, size_t n, struct nlwatch_tb *tb)
{
	struct rtattr rta;
	size_t step;

	memset(tb, 0, sizeof *tb);
	while (n > 0) {
		/* RTA_OK(), spelled out */
		if (n < sizeof rta)
			return -EBADMSG;
		memcpy(&rta, p, sizeof rta);
		if (rta.rta_len < sizeof rta || rta.rta_len > n)
			return -EBADMSG;
		if (rta.rta_type < NLWATCH_TB) {
			tb->p[rta.rta_type] = p + RTA_LENGTH(0);
			tb->n[rta.rta_type] = rta.rta_len - RTA_LENGTH(0);
		}
		/* RTA_NEXT(): the last attribute may lack its padding. */
		step = RTA_ALIGN(rta.rta_len);
		if (step >= n)
			break;
		p += step;
		n -= step;
	}
	return 0;
}

/* Copies a NUL-terminated interface name of at most IF_NAMESIZE - 1 chars. */
static int
nlwatch_name(char *dst, const uint8_t *p, size_t n)
{
	const uint8_t *nul;

	if (n > IF_NAMESIZE)
		n = IF_NAMESIZE;
	if ((nul = memchr(p, '\0', n)) == NULL)
		return -EBADMSG;
	memcpy(dst, p, (size_t)(nul - p) + 1);
	return 0;
}

static int
nlwatch_u32(const struct nlwatch_tb *tb, int type, uint32_t *v)
{
	if (tb->p[type] == NULL)
		return 0;
	if (tb->n[type] != sizeof *v)
		return -EBADMSG;
	memcpy(v, tb->p[type], sizeof *v);
	return 1;
}

/* Sizes of an AF_INET or AF_INET6 address and prefix; 0 for others. */
static size_t
nlwatch_alen(int family, unsigned int *maxprefix)
{
	switch (family) {
	case AF_INET:
		*maxprefix = 32;
		return sizeof(struct in_addr);
	case AF_INET6:
		*maxprefix = 128;
		return sizeof(struct in6_addr);
	}
	return 0;
}

/* Checks an address attribute, if present, has exactly alen bytes. */
static int
nlwatch_addr_ok(const struct nlwatch_tb *tb, int type, size_t alen)
{
	if (tb->p[type] != NULL && tb->n[type] != alen)
		return -EBADMSG;
	return 0;
}

static int
nlwatch_link(uint16_t type, const uint8_t *p, size_t n, nlwatch_cb cb,
    void *arg)
{
	const unsigned int up = IFF_UP | IFF_RUNNING;
	struct nlwatch_event ev;
	struct ifinfomsg ifi;
	struct nlwatch_tb tb;
	int r;

	if (n < NLMSG_ALIGN(sizeof ifi))
		return -EBADMSG;
	memcpy(&ifi, p, sizeof ifi);
	if ((r = nlwatch_attrs(p + NLMSG_ALIGN(sizeof ifi),
	    n - NLMSG_ALIGN(sizeof ifi), &tb)) < 0)
		return r;
	if (ifi.ifi_index <= 0)
		return -EBADMSG;
	memset(&ev, 0, sizeof ev);
	if (tb.p[IFLA_IFNAME] != NULL &&
	    (r = nlwatch_name(ev.ifname, tb.p[IFLA_IFNAME],
	    tb.n[IFLA_IFNAME])) < 0)
		return r;
	/* AF_BRIDGE and others describe a port or a protocol, not a link. */
	if (ifi.ifi_family != AF_UNSPEC)
		return 0;
	if (type == RTM_NEWLINK && (ifi.ifi_flags & up) == up)
		ev.type = NLW_LINK_UP;
	else
		ev.type = NLW_LINK_DOWN;
	ev.ifindex = ifi.ifi_index;
	ev.family = AF_UNSPEC;
	cb(&ev, arg);
	return 1;
}

static int
nlwatch_addr(uint16_t type, const uint8_t *p, size_t n, nlwatch_cb cb,
    void *arg)
{
	struct nlwatch_event ev;
	struct ifaddrmsg ifa;
	struct nlwatch_tb tb;
	unsigned int maxprefix;
	size_t alen;
	int r, a;

	if (n < NLMSG_ALIGN(sizeof ifa))
		return -EBADMSG;
	memcpy(&ifa, p, sizeof ifa);
	if ((r = nlwatch_attrs(p + NLMSG_ALIGN(sizeof ifa),
	    n - NLMSG_ALIGN(sizeof ifa), &tb)) < 0)
		return r;
	if ((alen = nlwatch_alen(ifa.ifa_family, &maxprefix)) == 0)
		return 0;
	if (ifa.ifa_prefixlen > maxprefix || ifa.ifa_index == 0 ||
	    ifa.ifa_index > INT32_MAX)
		return -EBADMSG;
	if (nlwatch_addr_ok(&tb, IFA_ADDRESS, alen) < 0 ||
	    nlwatch_addr_ok(&tb, IFA_LOCAL, alen) < 0)
		return -EBADMSG;
	/* IFA_ADDRESS is the peer on point-to-point links: prefer IFA_LOCAL. */
	a = tb.p[IFA_LOCAL] != NULL ? IFA_LOCAL : IFA_ADDRESS;
	if (tb.p[a] == NULL)
		return -EBADMSG;
	memset(&ev, 0, sizeof ev);
	if (ifa.ifa_family == AF_INET && tb.p[IFA_LABEL] != NULL &&
	    (r = nlwatch_name(ev.ifname, tb.p[IFA_LABEL],
	    tb.n[IFA_LABEL])) < 0)
		return r;
	ev.type = type == RTM_NEWADDR ? NLW_ADDR_ADD : NLW_ADDR_DEL;
	ev.ifindex = (int)ifa.ifa_index;
	ev.family = ifa.ifa_family;
	memcpy(&ev.addr, tb.p[a], alen);
	ev.prefixlen = ifa.ifa_prefixlen;
	cb(&ev, arg);
	return 1;
}

static int
nlwatch_route(uint16_t type, const uint8_t *p, size_t n, nlwatch_cb cb,
    void *arg)
{
	struct nlwatch_event ev;
	struct nlwatch_tb tb;
	struct rtmsg rtm;
	unsigned int maxprefix;
	uint32_t oif = 0, table;
	size_t alen;
	int r;

	if (n < NLMSG_ALIGN(sizeof rtm))
		return -EBADMSG;
	memcpy(&rtm, p, sizeof rtm);
	if ((r = nlwatch_attrs(p + NLMSG_ALIGN(sizeof rtm),
	    n - NLMSG_ALIGN(sizeof rtm), &tb)) < 0)
		return r;
	if ((alen = nlwatch_alen(rtm.rtm_family, &maxprefix)) == 0)
		return 0;
	if (rtm.rtm_dst_len > maxprefix ||
	    nlwatch_addr_ok(&tb, RTA_DST, alen) < 0)
		return -EBADMSG;
	if (nlwatch_u32(&tb, RTA_OIF, &oif) < 0 || oif > INT32_MAX)
		return -EBADMSG;
	table = rtm.rtm_table;
	if (nlwatch_u32(&tb, RTA_TABLE, &table) < 0)
		return -EBADMSG;
	/*
	 * Local, broadcast and multicast routes follow address changes,
	 * which are reported as such; cloned routes are a cache.
	 */
	if (rtm.rtm_type != RTN_UNICAST || table == RT_TABLE_LOCAL ||
	    (rtm.rtm_flags & RTM_F_CLONED))
		return 0;
	memset(&ev, 0, sizeof ev);
	ev.type = type == RTM_NEWROUTE ? NLW_ROUTE_ADD : NLW_ROUTE_DEL;
	ev.ifindex = (int)oif;
	ev.family = rtm.rtm_family;
	if (tb.p[RTA_DST] != NULL)
		memcpy(&ev.addr, tb.p[RTA_DST], alen);
	ev.prefixlen = rtm.rtm_dst_len;
	cb(&ev, arg);
	return 1;
}

/* The error of an NLMSG_ERROR or NLMSG_DONE: 0, or -errno. */
static int
nlwatch_errcode(int32_t err)
{
	if (err == 0)
		return 0;
	if (err < 0 && err >= -4095)
		return err;
	return -EBADMSG;
}

static void
nlwatch_resync_cb(nlwatch_cb cb, void *arg)
{
	struct nlwatch_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = NLW_RESYNC;
	ev.family = AF_UNSPEC;
	cb(&ev, arg);
}

static int
nlwatch_msg(const struct nlmsghdr *nh, const uint8_t *p, size_t n,
    nlwatch_cb cb, void *arg)
{
	struct nlmsgerr e;

	switch (nh->nlmsg_type) {
	case NLMSG_NOOP:
		return 0;
	case NLMSG_ERROR:
		if (n < sizeof e)
			return -EBADMSG;
		memcpy(&e, p, sizeof e);
		return nlwatch_errcode(e.error);	/* 0: an ack */
	case NLMSG_OVERRUN:
		nlwatch_resync_cb(cb, arg);
		return 1;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return nlwatch_link(nh->nlmsg_type, p, n, cb, arg);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return nlwatch_addr(nh->nlmsg_type, p, n, cb, arg);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return nlwatch_route(nh->nlmsg_type, p, n, cb, arg);
	}
	return 0;
}

int
nlwatch_decode(const void *buf, size_t len, nlwatch_cb cb, void *arg)
{
	const uint8_t *p = buf;
	struct nlmsghdr nh;
	size_t step;
	int32_t err;
	int n = 0, r;

	while (len > 0) {
		/* NLMSG_OK(), spelled out */
		if (len < sizeof nh)
			return -EBADMSG;
		memcpy(&nh, p, sizeof nh);
		if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > len)
			return -EBADMSG;
		if (nh.nlmsg_type == NLMSG_DONE) {
			/* A dump's end; it may carry the dump's error. */
			if (nh.nlmsg_len >= NLMSG_LENGTH(sizeof err)) {
				memcpy(&err, p + NLMSG_HDRLEN, sizeof err);
				if ((r = nlwatch_errcode(err)) < 0)
					return r;
			}
			/* Changes raced the dump: what it said may be stale. */
			if (nh.nlmsg_flags & NLM_F_DUMP_INTR) {
				nlwatch_resync_cb(cb, arg);
				n++;
			}
			break;
		}
		if ((r = nlwatch_msg(&nh, p + NLMSG_HDRLEN,
		    nh.nlmsg_len - NLMSG_HDRLEN, cb, arg)) < 0)
			return r;
		if (n > INT32_MAX - r)
			return -EBADMSG;
		n += r;
		/* NLMSG_NEXT(): the last message may lack its padding. */
		step = NLMSG_ALIGN(nh.nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return n;
}

/* ---- socket -------------------------------------------------------------- */

struct nlwatch *
nlwatch_open(void)
{
	struct sockaddr_nl sa;
	struct nlwatch *w;
	int saved, sz = NLWATCH_RCVBUF;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->fd = -1;
	/* malloc() alignment is enough for the headers inside. */
	if ((w->buf = malloc(NLWATCH_BUFSZ)) == NULL)
		goto fail;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE);
	if (w->fd < 0)
		goto fail;
	/* A bigger buffer makes overruns rarer; the default still works. */
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz) < 0)
		log_debug("SO_RCVBUF %d: errno %d", sz, errno);
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = NLWATCH_GROUPS;
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		goto fail;
	return w;
fail:
	saved = errno;
	nlwatch_close(w);
	errno = saved;
	return NULL;
}

void
nlwatch_close(struct nlwatch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
}

int
nlwatch_fd(const struct nlwatch *w)
{
	return w->fd;
}

/* Counts what reaches the caller, whatever the decoder returns. */
struct nlwatch_count {
	nlwatch_cb	 cb;
	void		*arg;
	int		 n;
};

static void
nlwatch_count_cb(const struct nlwatch_event *ev, void *arg)
{
	struct nlwatch_count *c = arg;

	c->n++;
	c->cb(ev, c->arg);
}

static void
nlwatch_resync(struct nlwatch_count *c)
{
	nlwatch_resync_cb(nlwatch_count_cb, c);
}

int
nlwatch_read(struct nlwatch *w, nlwatch_cb cb, void *arg)
{
	struct nlwatch_count c = { cb, arg, 0 };
	struct sockaddr_nl sa;
	struct msghdr mh;
	struct iovec iov;
	ssize_t got;
	int i, r;

	for (i = 0; i < NLWATCH_MAX_READS; i++) {
		memset(&sa, 0, sizeof sa);
		memset(&mh, 0, sizeof mh);
		iov.iov_base = w->buf;
		iov.iov_len = NLWATCH_BUFSZ;
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof sa;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((got = recvmsg(w->fd, &mh, MSG_DONTWAIT)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* The kernel dropped messages for us. */
				log_info("netlink overrun: resync");
				nlwatch_resync(&c);
				continue;
			}
			return -errno;
		}
		if (mh.msg_namelen < sizeof sa || sa.nl_family != AF_NETLINK ||
		    sa.nl_pid != 0) {
			log_debug("dropped datagram from port %u", sa.nl_pid);
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			log_warn("netlink datagram over %d bytes: resync",
			    NLWATCH_BUFSZ);
			nlwatch_resync(&c);
			continue;
		}
		r = nlwatch_decode(w->buf, (size_t)got, nlwatch_count_cb, &c);
		if (r == -EBADMSG) {
			log_warn("malformed netlink datagram (%zd bytes): resync",
			    got);
			nlwatch_resync(&c);
		} else if (r < 0)
			log_warn("netlink error reply: %s", strerror(-r));
	}
	return c.n;
}

int
nlwatch_dump_addrs(struct nlwatch *w)
{
	struct {
		struct nlmsghdr	 nh;
		struct ifaddrmsg ifa;
	} req;
	struct sockaddr_nl sa;
	ssize_t sent;

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifa);
	req.nh.nlmsg_type = RTM_GETADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = ++w->seq;
	req.ifa.ifa_family = AF_UNSPEC;
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	do {
		sent = sendto(w->fd, &req, req.nh.nlmsg_len, 0,
		    (struct sockaddr *)&sa, sizeof sa);
	} while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return -errno;
	if ((size_t)sent != req.nh.nlmsg_len)
		return -EIO;
	return 0;
}

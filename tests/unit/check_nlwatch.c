/*
 * Check suite for common/nlwatch: the decoder on hand-built netlink
 * messages (good, truncated, lying about lengths, errors), and a live run
 * in a fresh network namespace owned by a forked child, so nothing it
 * changes outlives it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "common/nlwatch.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000	/* <linux/if.h>, which clashes with <net/if.h> */
#endif

/* ---- building messages --------------------------------------------------- */

struct mb {
	uint8_t	 buf[4096] __attribute__((aligned(8)));
	size_t	 len;
	size_t	 msg;		/* where the open message starts */
	size_t	 ends[16];	/* offsets after each closed message */
	int	 nends;
};

static void
mb_put(struct mb *b, const void *p, size_t n)
{
	ck_assert_uint_le(b->len + n, sizeof b->buf);
	if (n == 0)
		return;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void
mb_pad(struct mb *b)
{
	static const uint8_t zero[4];

	mb_put(b, zero, NLMSG_ALIGN(b->len) - b->len);
}

static void
mb_begin(struct mb *b, uint16_t type, const void *fixed, size_t n)
{
	struct nlmsghdr nh;

	mb_pad(b);
	b->msg = b->len;
	memset(&nh, 0, sizeof nh);
	nh.nlmsg_type = type;
	mb_put(b, &nh, sizeof nh);
	mb_put(b, fixed, n);
	mb_pad(b);
}

static void
mb_attr(struct mb *b, uint16_t type, const void *p, size_t n)
{
	struct rtattr rta;

	mb_pad(b);
	rta.rta_type = type;
	rta.rta_len = (uint16_t)RTA_LENGTH(n);
	mb_put(b, &rta, sizeof rta);
	mb_put(b, p, n);
}

/* Closes the message; its length leaves out the last attribute's padding. */
static void
mb_end(struct mb *b)
{
	uint32_t len = (uint32_t)(b->len - b->msg);

	memcpy(b->buf + b->msg, &len, sizeof len);
	ck_assert_int_lt(b->nends, 16);
	b->ends[b->nends++] = b->len;
}

/* Overwrites the u32 nlmsg_len of the message starting at off. */
static void
mb_set_len(struct mb *b, size_t off, uint32_t len)
{
	memcpy(b->buf + off, &len, sizeof len);
}

static void
mb_link(struct mb *b, uint16_t type, int family, int index, unsigned flags,
    const char *name)
{
	struct ifinfomsg ifi;
	uint32_t mtu = 1500;

	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_family = (unsigned char)family;
	ifi.ifi_index = index;
	ifi.ifi_flags = flags;
	mb_begin(b, type, &ifi, sizeof ifi);
	mb_attr(b, IFLA_MTU, &mtu, sizeof mtu);
	if (name != NULL)
		mb_attr(b, IFLA_IFNAME, name, strlen(name) + 1);
	mb_end(b);
}

static void
mb_addr_begin(struct mb *b, uint16_t type, int family, int prefixlen,
    int index)
{
	struct ifaddrmsg ifa;

	memset(&ifa, 0, sizeof ifa);
	ifa.ifa_family = (unsigned char)family;
	ifa.ifa_prefixlen = (unsigned char)prefixlen;
	ifa.ifa_index = (unsigned)index;
	mb_begin(b, type, &ifa, sizeof ifa);
}

static void
mb_route_begin(struct mb *b, uint16_t type, int family, int dst_len,
    int table, int rtype)
{
	struct rtmsg rtm;

	memset(&rtm, 0, sizeof rtm);
	rtm.rtm_family = (unsigned char)family;
	rtm.rtm_dst_len = (unsigned char)dst_len;
	rtm.rtm_table = (unsigned char)table;
	rtm.rtm_type = (unsigned char)rtype;
	rtm.rtm_protocol = RTPROT_BOOT;
	rtm.rtm_scope = RT_SCOPE_LINK;
	mb_begin(b, type, &rtm, sizeof rtm);
}

static struct in_addr
v4(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in6_addr
v6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* ---- collecting events --------------------------------------------------- */

#define EVS_MAX 64

struct evs {
	int			 n;
	struct nlwatch_event	 ev[EVS_MAX];
};

static void
collect(const struct nlwatch_event *ev, void *arg)
{
	struct evs *e = arg;

	ck_assert_int_lt(e->n, EVS_MAX);
	e->ev[e->n++] = *ev;
}

static int
decode(const struct mb *b, struct evs *e)
{
	memset(e, 0, sizeof *e);
	return nlwatch_decode(b->buf, b->len, collect, e);
}

/* ---- links --------------------------------------------------------------- */

START_TEST(test_link_up_down)
{
	struct mb b;
	struct evs e;

	memset(&b, 0, sizeof b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 3,
	    IFF_UP | IFF_RUNNING | IFF_LOWER_UP, "eth0");
	/* administratively up, no carrier: down */
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 3, IFF_UP, "eth0");
	mb_link(&b, RTM_DELLINK, AF_UNSPEC, 4, IFF_UP | IFF_RUNNING,
	    "veth-long-name");
	/* no name at all */
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 5, IFF_UP | IFF_RUNNING, NULL);
	/* a bridge port message: not a link change of its own */
	mb_link(&b, RTM_NEWLINK, AF_BRIDGE, 3, IFF_UP | IFF_RUNNING, "eth0");
	ck_assert_int_eq(decode(&b, &e), 4);
	ck_assert_int_eq(e.n, 4);
	ck_assert_int_eq(e.ev[0].type, NLW_LINK_UP);
	ck_assert_int_eq(e.ev[0].ifindex, 3);
	ck_assert_str_eq(e.ev[0].ifname, "eth0");
	ck_assert_int_eq(e.ev[0].family, AF_UNSPEC);
	ck_assert_int_eq(e.ev[0].prefixlen, 0);
	ck_assert_int_eq(e.ev[1].type, NLW_LINK_DOWN);
	ck_assert_int_eq(e.ev[2].type, NLW_LINK_DOWN);
	ck_assert_int_eq(e.ev[2].ifindex, 4);
	ck_assert_str_eq(e.ev[2].ifname, "veth-long-name");
	ck_assert_int_eq(e.ev[3].type, NLW_LINK_UP);
	ck_assert_str_eq(e.ev[3].ifname, "");
}
END_TEST

START_TEST(test_link_bad_names)
{
	struct ifinfomsg ifi;
	struct mb b;
	struct evs e;

	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_index = 2;
	/* IF_NAMESIZE characters and a NUL: one too long */
	memset(&b, 0, sizeof b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 2, IFF_UP, "abcdefghijklmnop");
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* no NUL */
	memset(&b, 0, sizeof b);
	mb_begin(&b, RTM_NEWLINK, &ifi, sizeof ifi);
	mb_attr(&b, IFLA_IFNAME, "eth0", 4);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* empty attribute */
	memset(&b, 0, sizeof b);
	mb_begin(&b, RTM_NEWLINK, &ifi, sizeof ifi);
	mb_attr(&b, IFLA_IFNAME, "", 0);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* index 0 */
	memset(&b, 0, sizeof b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 0, IFF_UP, "eth0");
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	ck_assert_int_eq(e.n, 0);
}
END_TEST

/* ---- addresses ----------------------------------------------------------- */

START_TEST(test_addr_v4)
{
	struct in_addr a = v4("192.0.2.77"), peer = v4("198.51.100.1");
	struct mb b;
	struct evs e;

	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET, 24, 2);
	mb_attr(&b, IFA_ADDRESS, &a, sizeof a);
	mb_attr(&b, IFA_LOCAL, &a, sizeof a);
	mb_attr(&b, IFA_LABEL, "eth0:1", 7);
	mb_end(&b);
	/* point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL is ours */
	mb_addr_begin(&b, RTM_DELADDR, AF_INET, 32, 7);
	mb_attr(&b, IFA_ADDRESS, &peer, sizeof peer);
	mb_attr(&b, IFA_LOCAL, &a, sizeof a);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), 2);
	ck_assert_int_eq(e.ev[0].type, NLW_ADDR_ADD);
	ck_assert_int_eq(e.ev[0].family, AF_INET);
	ck_assert_int_eq(e.ev[0].ifindex, 2);
	ck_assert_int_eq(e.ev[0].prefixlen, 24);
	ck_assert_uint_eq(e.ev[0].addr.v4.s_addr, a.s_addr);
	ck_assert_str_eq(e.ev[0].ifname, "eth0:1");
	ck_assert_int_eq(e.ev[1].type, NLW_ADDR_DEL);
	ck_assert_int_eq(e.ev[1].ifindex, 7);
	ck_assert_int_eq(e.ev[1].prefixlen, 32);
	ck_assert_uint_eq(e.ev[1].addr.v4.s_addr, a.s_addr);
	ck_assert_str_eq(e.ev[1].ifname, "");
}
END_TEST

START_TEST(test_addr_v6)
{
	struct in6_addr a = v6("2001:db8::77");
	struct mb b;
	struct evs e;

	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET6, 64, 3);
	mb_attr(&b, IFA_ADDRESS, &a, sizeof a);
	mb_end(&b);
	mb_addr_begin(&b, RTM_DELADDR, AF_INET6, 64, 3);
	mb_attr(&b, IFA_ADDRESS, &a, sizeof a);
	mb_end(&b);
	/* another family: skipped, not an error */
	mb_addr_begin(&b, RTM_NEWADDR, AF_PACKET, 0, 3);
	mb_attr(&b, IFA_ADDRESS, "xyz", 3);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), 2);
	ck_assert_int_eq(e.ev[0].type, NLW_ADDR_ADD);
	ck_assert_int_eq(e.ev[0].family, AF_INET6);
	ck_assert_int_eq(e.ev[0].ifindex, 3);
	ck_assert_int_eq(e.ev[0].prefixlen, 64);
	ck_assert_int_eq(memcmp(&e.ev[0].addr.v6, &a, sizeof a), 0);
	ck_assert_int_eq(e.ev[1].type, NLW_ADDR_DEL);
	ck_assert_int_eq(memcmp(&e.ev[1].addr.v6, &a, sizeof a), 0);
}
END_TEST

START_TEST(test_addr_bad)
{
	struct in_addr a = v4("203.0.113.9");
	struct in6_addr a6 = v6("2001:db8::1");
	struct mb b;
	struct evs e;

	/* a v4 message carrying 16 address bytes */
	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET, 24, 2);
	mb_attr(&b, IFA_ADDRESS, &a6, sizeof a6);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* a v6 message carrying 4 */
	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET6, 64, 2);
	mb_attr(&b, IFA_ADDRESS, &a, sizeof a);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* prefix longer than the address */
	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET, 33, 2);
	mb_attr(&b, IFA_ADDRESS, &a, sizeof a);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* no address at all */
	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET, 24, 2);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* payload shorter than struct ifaddrmsg */
	memset(&b, 0, sizeof b);
	mb_begin(&b, RTM_NEWADDR, "abcd", 4);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	ck_assert_int_eq(e.n, 0);
}
END_TEST

/* ---- routes -------------------------------------------------------------- */

START_TEST(test_routes)
{
	struct in_addr dst = v4("203.0.113.0"), gw = v4("198.51.100.1");
	struct in6_addr dst6 = v6("2001:db8:1::");
	uint32_t oif = 2, table = RT_TABLE_MAIN, local = RT_TABLE_LOCAL;
	struct mb b;
	struct evs e;

	memset(&b, 0, sizeof b);
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_attr(&b, RTA_TABLE, &table, sizeof table);
	mb_attr(&b, RTA_DST, &dst, sizeof dst);
	mb_attr(&b, RTA_OIF, &oif, sizeof oif);
	mb_end(&b);
	/* default route: no RTA_DST */
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 0, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_attr(&b, RTA_GATEWAY, &gw, sizeof gw);
	mb_attr(&b, RTA_OIF, &oif, sizeof oif);
	mb_end(&b);
	/* local table and broadcast: follow addresses, skipped */
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 32, RT_TABLE_LOCAL,
	    RTN_LOCAL);
	mb_attr(&b, RTA_DST, &dst, sizeof dst);
	mb_end(&b);
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 32, RT_TABLE_MAIN,
	    RTN_BROADCAST);
	mb_attr(&b, RTA_DST, &dst, sizeof dst);
	mb_end(&b);
	/* table local named by RTA_TABLE only */
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_UNSPEC,
	    RTN_UNICAST);
	mb_attr(&b, RTA_TABLE, &local, sizeof local);
	mb_end(&b);
	mb_route_begin(&b, RTM_DELROUTE, AF_INET6, 48, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_attr(&b, RTA_DST, &dst6, sizeof dst6);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), 3);
	ck_assert_int_eq(e.ev[0].type, NLW_ROUTE_ADD);
	ck_assert_int_eq(e.ev[0].family, AF_INET);
	ck_assert_int_eq(e.ev[0].ifindex, 2);
	ck_assert_int_eq(e.ev[0].prefixlen, 24);
	ck_assert_uint_eq(e.ev[0].addr.v4.s_addr, dst.s_addr);
	ck_assert_int_eq(e.ev[1].type, NLW_ROUTE_ADD);
	ck_assert_int_eq(e.ev[1].prefixlen, 0);
	ck_assert_uint_eq(e.ev[1].addr.v4.s_addr, 0);
	ck_assert_int_eq(e.ev[2].type, NLW_ROUTE_DEL);
	ck_assert_int_eq(e.ev[2].family, AF_INET6);
	ck_assert_int_eq(e.ev[2].ifindex, 0);
	ck_assert_int_eq(e.ev[2].prefixlen, 48);
	ck_assert_int_eq(memcmp(&e.ev[2].addr.v6, &dst6, sizeof dst6), 0);
}
END_TEST

START_TEST(test_routes_bad)
{
	struct in_addr dst = v4("203.0.113.0");
	uint16_t shortoif = 2;
	struct mb b;
	struct evs e;

	memset(&b, 0, sizeof b);
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 33, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	memset(&b, 0, sizeof b);
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_attr(&b, RTA_DST, &dst, 3);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	memset(&b, 0, sizeof b);
	mb_route_begin(&b, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_attr(&b, RTA_OIF, &shortoif, sizeof shortoif);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	ck_assert_int_eq(e.n, 0);
}
END_TEST

/* ---- framing ------------------------------------------------------------- */

/* Three messages: link, v4 address, route; the last ends unpadded. */
static void
mb_three(struct mb *b)
{
	struct in_addr a = v4("192.0.2.77"), dst = v4("198.51.100.0");
	uint32_t oif = 2;

	memset(b, 0, sizeof *b);
	mb_link(b, RTM_NEWLINK, AF_UNSPEC, 2, IFF_UP | IFF_RUNNING, "eth0");
	mb_addr_begin(b, RTM_NEWADDR, AF_INET, 24, 2);
	mb_attr(b, IFA_LOCAL, &a, sizeof a);
	mb_attr(b, IFA_LABEL, "eth0", 5);
	mb_end(b);
	mb_route_begin(b, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN,
	    RTN_UNICAST);
	mb_attr(b, RTA_OIF, &oif, sizeof oif);
	mb_attr(b, RTA_DST, &dst, 4);
	mb_attr(b, IFA_LABEL, "x", 2);	/* unknown here: walked, kept out */
	mb_end(b);
}

START_TEST(test_every_prefix)
{
	struct mb b;
	struct evs e;
	size_t i;
	int k, want, r;

	mb_three(&b);
	ck_assert_int_eq(b.len % 4, 2);	/* really unpadded at the end */
	ck_assert_int_eq(decode(&b, &e), 3);
	ck_assert_int_eq(nlwatch_decode(b.buf, 0, collect, &e), 0);
	/*
	 * A prefix ending after a message (its padding or part of it
	 * included) decodes the messages before it; any other prefix cuts a
	 * header or a message: -EBADMSG.
	 */
	for (i = 1; i < b.len; i++) {
		want = -EBADMSG;
		for (k = 0; k < b.nends; k++)
			if (i >= b.ends[k] && i <= NLMSG_ALIGN(b.ends[k]))
				want = k + 1;
		memset(&e, 0, sizeof e);
		r = nlwatch_decode(b.buf, i, collect, &e);
		ck_assert_msg(r == want, "prefix %zu: got %d, want %d", i, r,
		    want);
	}
}
END_TEST

START_TEST(test_lying_lengths)
{
	struct mb b;
	struct evs e;
	struct rtattr rta;
	size_t attr;

	/* nlmsg_len past the buffer */
	mb_three(&b);
	mb_set_len(&b, 0, (uint32_t)b.len + 1);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	mb_set_len(&b, 0, UINT32_MAX);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* nlmsg_len of 0 and of less than a header: no endless loop */
	mb_set_len(&b, 0, 0);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	mb_set_len(&b, 0, NLMSG_HDRLEN - 1);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* nlmsg_len shorter than the fixed part of the message */
	mb_set_len(&b, 0, NLMSG_HDRLEN + 4);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* a truncated header after a good message: the good one counted */
	mb_three(&b);
	b.len = b.ends[0] + 8;
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	ck_assert_int_eq(e.n, 1);

	/* the first attribute of the first message */
	attr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	mb_three(&b);
	memcpy(&rta, b.buf + attr, sizeof rta);
	ck_assert_uint_eq(rta.rta_type, IFLA_MTU);
	rta.rta_len = 0;
	memcpy(b.buf + attr, &rta, sizeof rta);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	rta.rta_len = 3;
	memcpy(b.buf + attr, &rta, sizeof rta);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* past the end of its message, though not of the buffer */
	rta.rta_len = (uint16_t)(b.ends[0] - attr + 4);
	memcpy(b.buf + attr, &rta, sizeof rta);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	rta.rta_len = UINT16_MAX;
	memcpy(b.buf + attr, &rta, sizeof rta);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	ck_assert_int_eq(e.n, 0);
	/* a message ending with half an attribute header */
	mb_three(&b);
	mb_set_len(&b, 0, (uint32_t)attr + 2);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
}
END_TEST

START_TEST(test_unaligned)
{
	static uint8_t raw[4096 + 1] __attribute__((aligned(8)));
	struct mb b;
	struct evs e;

	mb_three(&b);
	memcpy(raw + 1, b.buf, b.len);
	memset(&e, 0, sizeof e);
	ck_assert_int_eq(nlwatch_decode(raw + 1, b.len, collect, &e), 3);
	ck_assert_int_eq(e.ev[1].type, NLW_ADDR_ADD);
	ck_assert_str_eq(e.ev[1].ifname, "eth0");
}
END_TEST

/* ---- control messages ---------------------------------------------------- */

static void
mb_error(struct mb *b, int err, size_t cut)
{
	struct nlmsgerr ne;

	memset(&ne, 0, sizeof ne);
	ne.error = err;
	ne.msg.nlmsg_len = NLMSG_HDRLEN;
	ne.msg.nlmsg_type = RTM_GETADDR;
	mb_begin(b, NLMSG_ERROR, &ne, sizeof ne - cut);
	mb_end(b);
}

START_TEST(test_errors_and_done)
{
	struct mb b;
	struct evs e;
	int32_t zero = 0, intr = -EINTR;
	uint16_t flags;

	/* an ack is not an error, nor an event */
	memset(&b, 0, sizeof b);
	mb_error(&b, 0, 0);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 2, IFF_UP | IFF_RUNNING, "eth0");
	ck_assert_int_eq(decode(&b, &e), 1);
	/* the kernel's error comes back as it is */
	memset(&b, 0, sizeof b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 2, IFF_UP | IFF_RUNNING, "eth0");
	mb_error(&b, -EPERM, 0);
	ck_assert_int_eq(decode(&b, &e), -EPERM);
	ck_assert_int_eq(e.n, 1);
	/* truncated error, and errors that are not errnos */
	memset(&b, 0, sizeof b);
	mb_error(&b, -EPERM, 4);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	memset(&b, 0, sizeof b);
	mb_error(&b, 5, 0);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	memset(&b, 0, sizeof b);
	mb_error(&b, -100000, 0);
	ck_assert_int_eq(decode(&b, &e), -EBADMSG);
	/* NLMSG_DONE ends the walk; NLMSG_NOOP and others are skipped */
	memset(&b, 0, sizeof b);
	mb_begin(&b, NLMSG_NOOP, NULL, 0);
	mb_end(&b);
	mb_begin(&b, RTM_NEWNEIGH, "abcdefghijkl", 12);
	mb_end(&b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 2, IFF_UP | IFF_RUNNING, "eth0");
	mb_begin(&b, NLMSG_DONE, &zero, sizeof zero);
	mb_end(&b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 3, IFF_UP | IFF_RUNNING, "eth1");
	ck_assert_int_eq(decode(&b, &e), 1);
	ck_assert_int_eq(e.ev[0].ifindex, 2);
	/* a dump that failed says so in its NLMSG_DONE */
	memset(&b, 0, sizeof b);
	mb_begin(&b, NLMSG_DONE, &intr, sizeof intr);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), -EINTR);
	/* a dump the kernel says changed while it ran: a resync */
	memset(&b, 0, sizeof b);
	mb_link(&b, RTM_NEWLINK, AF_UNSPEC, 2, IFF_UP | IFF_RUNNING, "eth0");
	mb_begin(&b, NLMSG_DONE, &zero, sizeof zero);
	mb_end(&b);
	flags = NLM_F_MULTI | NLM_F_DUMP_INTR;
	memcpy(b.buf + b.msg + offsetof(struct nlmsghdr, nlmsg_flags), &flags,
	    sizeof flags);
	ck_assert_int_eq(decode(&b, &e), 2);
	ck_assert_int_eq(e.ev[0].type, NLW_LINK_UP);
	ck_assert_int_eq(e.ev[1].type, NLW_RESYNC);
	/* NLMSG_OVERRUN: a resync */
	memset(&b, 0, sizeof b);
	mb_begin(&b, NLMSG_OVERRUN, NULL, 0);
	mb_end(&b);
	ck_assert_int_eq(decode(&b, &e), 1);
	ck_assert_int_eq(e.ev[0].type, NLW_RESYNC);
}
END_TEST

/* Byte flips on good input, from a fixed seed: answers, never crashes. */
START_TEST(test_mutations)
{
	struct mb good, b;
	struct evs e;
	uint32_t x = 0x2545f491;
	int i, j, r, flips;

	mb_three(&good);
	for (i = 0; i < 20000; i++) {
		b = good;
		flips = 1 + (int)(x % 4);
		for (j = 0; j < flips; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			b.buf[x % b.len] = (uint8_t)(x >> 8);
		}
		if (i % 7 == 0)
			b.len = x % (good.len + 1);
		r = decode(&b, &e);
		/* a shrunk nlmsg_len can split the bytes into more messages */
		ck_assert(r == -EBADMSG || (r < 0 && r >= -4095) ||
		    (r >= 0 && r == e.n && (size_t)r <= b.len / NLMSG_HDRLEN));
	}
}
END_TEST

/* ---- live, in a network namespace of our own ----------------------------- */

#define LIVE_WAIT_MS 5000

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
live_ip_path(void)
{
	static const char *const paths[] = {
		"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip",
	};
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Runs ip with the given arguments (NULL-terminated); 0 if it succeeded. */
static int
live_ip(const char *ip, ...)
{
	const char *argv[16];
	va_list ap;
	pid_t pid;
	int n = 0, st, fd;

	argv[n++] = ip;
	va_start(ap, ip);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(ip, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

struct live_want {
	enum nlwatch_type type;
	int		 ifindex;
	int		 family;
	struct in_addr	 addr;		/* AF_INET only */
	int		 prefixlen;
	int		 found;
	int		 seen;		/* events of any kind */
	int		 resyncs;
};

#define LIVE_FORGED "203.0.113.99"

static int live_forged_seen;

static void
live_cb(const struct nlwatch_event *ev, void *arg)
{
	struct live_want *w = arg;

	w->seen++;
	if (ev->family == AF_INET &&
	    ev->addr.v4.s_addr == v4(LIVE_FORGED).s_addr)
		live_forged_seen++;
	if (ev->type == NLW_RESYNC)
		w->resyncs++;
	if (ev->type != w->type || ev->ifindex != w->ifindex)
		return;
	if (w->family != AF_UNSPEC && (ev->family != w->family ||
	    ev->addr.v4.s_addr != w->addr.s_addr ||
	    ev->prefixlen != w->prefixlen))
		return;
	w->found = 1;
}

/* Polls and reads until the wanted event arrives or the wait ends. */
static int
live_wait(struct nlwatch *nw, struct live_want *w)
{
	uint64_t until = now_ms() + LIVE_WAIT_MS, now;
	struct pollfd pfd;
	int r;

	while (!w->found && (now = now_ms()) < until) {
		pfd.fd = nlwatch_fd(nw);
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, (int)(until - now))) < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (r = nlwatch_read(nw, live_cb, w)) < 0)
			return r;
	}
	return w->found ? 0 : -ETIMEDOUT;
}

/* One step: run ip, then wait for the event it must cause. */
static int
live_step(struct nlwatch *nw, const char *ip, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5,
    const char *a6, struct live_want *w, char *why, size_t whysz,
    const char *name)
{
	int r;

	if (a1 != NULL && live_ip(ip, a1, a2, a3, a4, a5, a6, NULL) < 0) {
		snprintf(why, whysz, "FAIL: %s: ip %s %s %s %s failed", name,
		    a1, a2, a3, a4);
		return -1;
	}
	if ((r = live_wait(nw, w)) < 0) {
		snprintf(why, whysz, "FAIL: %s: no event (%s; %d others seen)",
		    name, strerror(-r), w->seen);
		return -1;
	}
	return 0;
}

static void
live_want_init(struct live_want *w, enum nlwatch_type type, int ifindex,
    const char *addr, int prefixlen)
{
	memset(w, 0, sizeof *w);
	w->type = type;
	w->ifindex = ifindex;
	w->family = AF_UNSPEC;
	if (addr != NULL) {
		w->family = AF_INET;
		w->addr = v4(addr);
		w->prefixlen = prefixlen;
	}
}

/*
 * Overrun: with the smallest receive buffer, a burst of unread changes
 * makes the kernel drop messages; the watcher must say NLW_RESYNC, and a
 * dump must then bring back the state, the last address included.
 */
static int
live_overrun(struct nlwatch *nw, const char *ip, int lo, char *why,
    size_t whysz)
{
	struct live_want w;
	char a[32];
	int i, sz = 1;

	if (setsockopt(nlwatch_fd(nw), SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof sz) < 0) {
		snprintf(why, whysz, "FAIL: SO_RCVBUF: %s", strerror(errno));
		return -1;
	}
	for (i = 1; i <= 30; i++) {
		snprintf(a, sizeof a, "203.0.113.%d/32", i);
		if (live_ip(ip, "addr", "add", a, "dev", "lo", NULL) < 0) {
			snprintf(why, whysz, "FAIL: ip addr add %s", a);
			return -1;
		}
	}
	live_want_init(&w, NLW_RESYNC, 0, NULL, 0);
	if (live_step(nw, ip, NULL, NULL, NULL, NULL, NULL, NULL, &w, why,
	    whysz, "overrun") < 0)
		return -1;
	/* drain what is left, then ask for the state again */
	sz = 1 << 20;
	if (setsockopt(nlwatch_fd(nw), SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof sz) < 0 || nlwatch_read(nw, live_cb, &w) < 0) {
		snprintf(why, whysz, "FAIL: drain after overrun");
		return -1;
	}
	live_want_init(&w, NLW_ADDR_ADD, lo, "203.0.113.30", 32);
	if (nlwatch_dump_addrs(nw) < 0) {
		snprintf(why, whysz, "FAIL: nlwatch_dump_addrs after overrun");
		return -1;
	}
	return live_step(nw, ip, NULL, NULL, NULL, NULL, NULL, NULL, &w, why,
	    whysz, "dump after overrun");
}

/*
 * Another process (here another socket) may send to the watcher's port:
 * an RTM_NEWADDR that did not come from the kernel must be dropped.
 */
static int
live_forge(struct nlwatch *nw, int lo)
{
	struct sockaddr_nl to;
	socklen_t tolen = sizeof to;
	struct in_addr a = v4(LIVE_FORGED);
	struct mb b;
	ssize_t sent;
	int fd;

	memset(&to, 0, sizeof to);
	if (getsockname(nlwatch_fd(nw), (struct sockaddr *)&to, &tolen) < 0)
		return -errno;
	memset(&b, 0, sizeof b);
	mb_addr_begin(&b, RTM_NEWADDR, AF_INET, 24, lo);
	mb_attr(&b, IFA_LOCAL, &a, sizeof a);
	mb_end(&b);
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0)
		return -errno;
	sent = sendto(fd, b.buf, b.len, 0, (struct sockaddr *)&to, sizeof to);
	close(fd);
	return sent == (ssize_t)b.len ? 0 : -EIO;
}

/* In the forked child: 0 passed, 77 skipped, 1 failed; why says more. */
static int
live_child(char *why, size_t whysz)
{
	struct live_want w;
	struct nlwatch *nw;
	const char *ip;
	int lo, rc = 1, resyncs = 0;

	if ((ip = live_ip_path()) == NULL) {
		snprintf(why, whysz, "SKIP: no ip(8) binary");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, whysz, "SKIP: unshare(CLONE_NEWNET): %s",
		    strerror(errno));
		return 77;
	}
	if ((nw = nlwatch_open()) == NULL) {
		snprintf(why, whysz, "FAIL: nlwatch_open: %s", strerror(errno));
		return 1;
	}
	if ((lo = (int)if_nametoindex("lo")) == 0) {
		snprintf(why, whysz, "FAIL: no lo in the new namespace");
		goto out;
	}
	live_want_init(&w, NLW_LINK_UP, lo, NULL, 0);
	if (live_step(nw, ip, "link", "set", "lo", "up", NULL, NULL, &w, why,
	    whysz, "link up") < 0)
		goto out;
	resyncs += w.resyncs;
	/* forged first: it is queued, so read, before the real change */
	if (live_forge(nw, lo) < 0) {
		snprintf(why, whysz, "FAIL: could not send the forged message");
		goto out;
	}
	live_want_init(&w, NLW_ADDR_ADD, lo, "192.0.2.77", 24);
	if (live_step(nw, ip, "addr", "add", "192.0.2.77/24", "dev", "lo",
	    NULL, &w, why, whysz, "address add") < 0)
		goto out;
	resyncs += w.resyncs;
	if (live_forged_seen != 0) {
		snprintf(why, whysz, "FAIL: a forged message was reported");
		goto out;
	}
	live_want_init(&w, NLW_ROUTE_ADD, lo, "198.51.100.0", 24);
	if (live_step(nw, ip, "route", "add", "198.51.100.0/24", "dev", "lo",
	    NULL, &w, why, whysz, "route add") < 0)
		goto out;
	resyncs += w.resyncs;
	/* a dump reports the address again, through the same callback */
	live_want_init(&w, NLW_ADDR_ADD, lo, "192.0.2.77", 24);
	if (nlwatch_dump_addrs(nw) < 0) {
		snprintf(why, whysz, "FAIL: nlwatch_dump_addrs");
		goto out;
	}
	if (live_step(nw, ip, NULL, NULL, NULL, NULL, NULL, NULL, &w, why,
	    whysz, "address dump") < 0)
		goto out;
	resyncs += w.resyncs;
	live_want_init(&w, NLW_ROUTE_DEL, lo, "198.51.100.0", 24);
	if (live_step(nw, ip, "route", "del", "198.51.100.0/24", "dev", "lo",
	    NULL, &w, why, whysz, "route del") < 0)
		goto out;
	resyncs += w.resyncs;
	live_want_init(&w, NLW_ADDR_DEL, lo, "192.0.2.77", 24);
	if (live_step(nw, ip, "addr", "del", "192.0.2.77/24", "dev", "lo",
	    NULL, &w, why, whysz, "address del") < 0)
		goto out;
	resyncs += w.resyncs;
	live_want_init(&w, NLW_LINK_DOWN, lo, NULL, 0);
	if (live_step(nw, ip, "link", "set", "lo", "down", NULL, NULL, &w,
	    why, whysz, "link down") < 0)
		goto out;
	resyncs += w.resyncs;
	if (resyncs != 0) {
		snprintf(why, whysz, "FAIL: %d resyncs on a quiet namespace",
		    resyncs);
		goto out;
	}
	if (live_overrun(nw, ip, lo, why, whysz) < 0)
		goto out;
	snprintf(why, whysz, "ok");
	rc = 0;
out:
	nlwatch_close(nw);
	return rc;
}

START_TEST(test_live_netns)
{
	char why[256];
	struct pollfd pfd;
	ssize_t n;
	pid_t pid;
	int p[2], st, rc;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(p[0]);
		memset(why, 0, sizeof why);
		rc = live_child(why, sizeof why);
		if (write(p[1], why, strlen(why)) < 0)
			rc = 1;
		_exit(rc);
	}
	close(p[1]);
	/* every step waits at most LIVE_WAIT_MS: bound the whole */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10 * LIVE_WAIT_MS) <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		close(p[0]);
		ck_abort_msg("live child did not answer");
	}
	memset(why, 0, sizeof why);
	n = read(p[0], why, sizeof why - 1);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(n > 0);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		fprintf(stderr, "check_nlwatch: live test skipped: %s\n", why);
		return;
	}
	ck_assert_msg(WEXITSTATUS(st) == 0, "%s", why);
}
END_TEST

static Suite *
nlwatch_suite(void)
{
	Suite *s = suite_create("nlwatch");
	TCase *dec = tcase_create("decode");
	TCase *live = tcase_create("live");

	tcase_add_test(dec, test_link_up_down);
	tcase_add_test(dec, test_link_bad_names);
	tcase_add_test(dec, test_addr_v4);
	tcase_add_test(dec, test_addr_v6);
	tcase_add_test(dec, test_addr_bad);
	tcase_add_test(dec, test_routes);
	tcase_add_test(dec, test_routes_bad);
	tcase_add_test(dec, test_every_prefix);
	tcase_add_test(dec, test_lying_lengths);
	tcase_add_test(dec, test_unaligned);
	tcase_add_test(dec, test_errors_and_done);
	tcase_add_test(dec, test_mutations);
	tcase_set_timeout(dec, 30);
	tcase_add_test(live, test_live_netns);
	tcase_set_timeout(live, 60);
	suite_add_tcase(s, dec);
	suite_add_tcase(s, live);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nlwatch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * nlwatch: a netlink route watcher reporting link, address and route
 * changes, so that reliable sockets reconnect within milliseconds of a link
 * coming back and the file-access location monitor notices a move.
 *
 * The socket side (nlwatch_open/read/dump_addrs) is thin; the work is done
 * by nlwatch_decode(), a pure function over a byte buffer that walks
 * nlmsghdr and rtattr chains with every length checked against the bytes
 * actually present, so it can be unit tested and fuzzed on its own.
 *
 * Events are levels, not edges: the kernel sends RTM_NEWLINK for many
 * reasons (flags, MTU, carrier...), so NLW_LINK_UP may repeat for a link
 * that stayed up.  NLW_RESYNC means events were lost (receive buffer
 * overrun, or a datagram that could not be decoded): re-read the state you
 * care about, for instance with nlwatch_dump_addrs().
 */
#ifndef EVICT_NLWATCH_H
#define EVICT_NLWATCH_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

enum nlwatch_type {
	NLW_LINK_UP,		/* RTM_NEWLINK, IFF_UP and IFF_RUNNING set */
	NLW_LINK_DOWN,		/* RTM_NEWLINK otherwise, or RTM_DELLINK */
	NLW_ADDR_ADD,		/* RTM_NEWADDR (also each dumped address) */
	NLW_ADDR_DEL,		/* RTM_DELADDR */
	NLW_ROUTE_ADD,		/* RTM_NEWROUTE, unicast, not table local */
	NLW_ROUTE_DEL,		/* RTM_DELROUTE, same filter */
	NLW_RESYNC,		/* events were lost: re-read the state */
};

/*
 * ifindex: the link (links, addresses; RTA_OIF for routes, 0 if none).
 * ifname: IFLA_IFNAME for links, IFA_LABEL for IPv4 addresses, else "";
 *   use if_indextoname() when it is empty.
 * family: AF_UNSPEC for links and resyncs, AF_INET or AF_INET6 otherwise.
 * addr, prefixlen: the local address (IFA_LOCAL, else IFA_ADDRESS) and its
 *   prefix length; for routes the destination (RTA_DST, zero for a default
 *   route) and rtm_dst_len.  Zero for links.
 */
struct nlwatch_event {
	enum nlwatch_type type;
	int	 ifindex;
	char	 ifname[IF_NAMESIZE];
	int	 family;
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	} addr;
	int	 prefixlen;
};

typedef void (*nlwatch_cb)(const struct nlwatch_event *ev, void *arg);

struct nlwatch;

/*
 * Decodes the netlink messages in buf[0..len) (one datagram) and calls cb
 * for each link, address or route change; messages of other types and
 * families are skipped, NLMSG_NOOP and acknowledgements too, NLMSG_DONE
 * ends the walk (with NLW_RESYNC if the kernel flagged the dump
 * NLM_F_DUMP_INTR, changed while it ran) and NLMSG_OVERRUN reports
 * NLW_RESYNC.  buf needs no
 * particular alignment.  Returns the number of events reported, -EBADMSG
 * for malformed input (a short or overlong header or attribute, an address
 * of the wrong size, an unterminated name...), or the kernel's negative
 * errno from an NLMSG_ERROR (or dump NLMSG_DONE) that carries one.  Events
 * before the offending message have been reported.
 */
int nlwatch_decode(const void *buf, size_t len, nlwatch_cb cb, void *arg);

/*
 * Opens a NETLINK_ROUTE socket (close-on-exec, non-blocking) subscribed to
 * link, IPv4/IPv6 address and IPv4/IPv6 route changes.  Returns NULL with
 * errno set on failure.
 */
struct nlwatch *nlwatch_open(void);
void nlwatch_close(struct nlwatch *w);
/* The socket, to poll for POLLIN or hand to evloop_add_fd(). */
int nlwatch_fd(const struct nlwatch *w);
/*
 * Reads what is pending without blocking (at most a bounded number of
 * datagrams per call, so a flood cannot starve an event loop: the fd stays
 * readable) and calls cb for each event.  Datagrams from anyone but the
 * kernel are dropped.  Returns the number of events reported (NLW_RESYNC
 * included) or -errno if the socket failed.
 */
int nlwatch_read(struct nlwatch *w, nlwatch_cb cb, void *arg);
/*
 * Asks the kernel for every current address (RTM_GETADDR dump); the
 * answers arrive through nlwatch_read() as NLW_ADDR_ADD.  -EBUSY if an
 * earlier dump has not been read to its end.
 */
int nlwatch_dump_addrs(struct nlwatch *w);

#endif

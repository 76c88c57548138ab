/*
 * libFuzzer target for nlwatch_decode(): arbitrary bytes as one netlink
 * datagram.  The decoder must answer (a count, -EBADMSG or a kernel errno)
 * without reading outside the input; every event it reports must be sane.
 * Each input is decoded twice: as a raw datagram, and as the body of one
 * message framed here.  Both are copied to the end of a buffer of exactly
 * their size, at an odd address when the first byte is odd, so ASan sees
 * any overread and UBSan any misaligned access.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "common/nlwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_nlwatch_cb(const struct nlwatch_event *ev, void *arg)
{
	size_t *n = arg;

	(*n)++;
	if (memchr(ev->ifname, '\0', sizeof ev->ifname) == NULL)
		abort();
	switch (ev->type) {
	case NLW_LINK_UP:
	case NLW_LINK_DOWN:
		if (ev->ifindex <= 0 || ev->family != AF_UNSPEC)
			abort();
		break;
	case NLW_ADDR_ADD:
	case NLW_ADDR_DEL:
	case NLW_ROUTE_ADD:
	case NLW_ROUTE_DEL:
		if (ev->ifindex < 0 || ev->prefixlen < 0 ||
		    (ev->family == AF_INET && ev->prefixlen > 32) ||
		    (ev->family == AF_INET6 && ev->prefixlen > 128) ||
		    (ev->family != AF_INET && ev->family != AF_INET6))
			abort();
		break;
	case NLW_RESYNC:
		break;
	default:
		abort();
	}
}

/* Decodes p[0..n) from a copy that ends where the allocation ends. */
static void
fuzz_nlwatch_run(const void *p, size_t n, size_t shift)
{
	size_t events = 0;
	uint8_t *buf;
	int r;

	/* no slack after the input: one byte too far is an ASan report */
	if ((buf = malloc(n + shift > 0 ? n + shift : 1)) == NULL)
		return;
	if (n > 0)
		memcpy(buf + shift, p, n);
	r = nlwatch_decode(buf + shift, n, fuzz_nlwatch_cb, &events);
	if (r >= 0 && (size_t)r != events)
		abort();
	if (r < -4095)
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[8] = {
		RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR,
		RTM_NEWROUTE, RTM_DELROUTE, NLMSG_ERROR, NLMSG_DONE,
	};
	struct nlmsghdr nh;
	uint8_t *msg;
	size_t shift = size > 0 && (data[0] & 1);

	/* the bytes as a datagram */
	fuzz_nlwatch_run(data, size, shift);
	/*
	 * The bytes after the first as the body of one well-framed message
	 * whose type the first byte picks: the fuzzer then reaches the
	 * per-type decoders without first guessing a consistent nlmsg_len.
	 */
	if (size == 0 || size - 1 > UINT32_MAX - NLMSG_HDRLEN)
		return 0;
	if ((msg = malloc(NLMSG_HDRLEN + size - 1)) == NULL)
		return 0;
	memset(&nh, 0, sizeof nh);
	nh.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + size - 1);
	nh.nlmsg_type = types[(data[0] >> 1) & 7];
	memcpy(msg, &nh, sizeof nh);
	memcpy(msg + NLMSG_HDRLEN, data + 1, size - 1);
	fuzz_nlwatch_run(msg, NLMSG_HDRLEN + size - 1, shift);
	free(msg);
	return 0;
}

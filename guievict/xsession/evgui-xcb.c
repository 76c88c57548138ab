/*
 * evgui-xcb.c: sending EVICT-GUI requests through libxcb as raw requests
 * (the extension has no xcb binding).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <xcb/xcbext.h>

#include "guievict/xsession/evgui-xcb.h"

uint8_t *
evgui_call(xcb_connection_t *c, uint8_t major, unsigned minor,
    const uint32_t *fields, unsigned nfields, size_t *len, int *xerror)
{
	xcb_protocol_request_t pr = { .count = 1, .ext = NULL,
	    .opcode = major, .isvoid = 0 };
	xcb_generic_error_t *e = NULL;
	struct iovec iov[3];
	uint8_t req[16];
	unsigned seq;
	size_t n;
	void *rep;

	*xerror = 0;
	*len = 0;
	n = evgui_encode(major, minor, fields, nfields, req);
	if (n == 0)
		return NULL;
	/* xcb_send_request uses the two iovecs before the request. */
	iov[2].iov_base = req;
	iov[2].iov_len = n;
	seq = xcb_send_request(c, XCB_REQUEST_CHECKED | XCB_REQUEST_RAW,
	    &iov[2], &pr);
	if (seq == 0)
		return NULL;
	rep = xcb_wait_for_reply(c, seq, &e);
	if (rep == NULL) {
		if (e != NULL)
			*xerror = e->error_code;
		free(e);
		return NULL;
	}
	*len = 32 + 4 * (size_t)((xcb_generic_reply_t *)rep)->length;
	return rep;
}

int
evgui_present(xcb_connection_t *c, uint8_t *major, char *err, size_t errlen)
{
	const char *name = EVGUI_NAME;
	xcb_query_extension_reply_t *q;
	uint32_t f[2] = { EVGUI_MAJOR, EVGUI_MINOR }, vmaj, vmin;
	uint8_t *rep;
	size_t len;
	int xe, rc;

	q = xcb_query_extension_reply(c, xcb_query_extension(c,
	    (uint16_t)strlen(name), name), NULL);
	if (q == NULL) {
		snprintf(err, errlen, "QueryExtension %s failed", name);
		return -1;
	}
	if (!q->present) {
		free(q);
		return 0;
	}
	*major = q->major_opcode;
	free(q);
	rep = evgui_call(c, *major, EVGUI_QUERY_VERSION, f, 2, &len, &xe);
	if (rep == NULL) {
		snprintf(err, errlen, "%s QueryVersion failed (X error %d)",
		    name, xe);
		return -1;
	}
	rc = evgui_decode_version(rep, len, &vmaj, &vmin, err, errlen);
	free(rep);
	if (rc < 0)
		return -1;
	if (vmaj != EVGUI_MAJOR) {
		snprintf(err, errlen, "%s version %u.%u, this guievict speaks "
		    "%u.x", name, vmaj, vmin, (unsigned)EVGUI_MAJOR);
		return -1;
	}
	return 1;
}

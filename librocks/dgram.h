/*
 * dgram: the framing of datagrams tunnelled in a rock's byte stream
 * (rocks_dgram_* of the RE-API; docs/protocol/rocks.md, "Datagram
 * tunnel").  Each datagram is a 4-byte big-endian length, 0 to
 * DGRAM_MAX, then that many bytes.  Pure: no I/O, for the fuzz target and
 * the unit tests as for the library.
 */
#ifndef EVICT_ROCKS_DGRAM_H
#define EVICT_ROCKS_DGRAM_H

#include <stddef.h>
#include <stdint.h>

#define DGRAM_HDR 4
#define DGRAM_MAX 65507         /* the largest UDP payload over IPv4 */

void dgram_hdr_put(uint8_t h[DGRAM_HDR], uint32_t len);
/* The length h announces: 0, or -EBADMSG when it is over DGRAM_MAX. */
int  dgram_hdr_get(const uint8_t h[DGRAM_HDR], uint32_t *len);
/*
 * One frame from the start of p[0..n): the bytes it spans (> 0) with *dg
 * and *len naming its datagram inside p; 0 when more bytes are needed;
 * -EBADMSG when the stream cannot be frames.
 */
long dgram_split(const uint8_t *p, size_t n, const uint8_t **dg,
    uint32_t *len);

#endif

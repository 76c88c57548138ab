/* exec: rocks across exec() (see exec.c). */
#ifndef EVICT_ROCKS_EXEC_H
#define EVICT_ROCKS_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "librocks/rock.h"

/* One rock as the file holds it; pointers are into the file. */
struct rock_exec_rock {
	int       fd, dups[8], ndups;
	int       state, role;
	uint32_t  pre_bytes;
	uint8_t   id[ROCKS_ID_LEN], k_chal[ROCKS_KEY_LEN], k_hb[ROCKS_KEY_LEN];
	struct sockaddr_storage peer, local, peer_ctl;
	socklen_t peerlen, locallen, peer_ctllen;
	uint16_t  peer_ctl_port;
	uint32_t  hb_ms, hb_misses;
	uint64_t  hb_seq_tx, hb_seq_rx, sent, rcvd, ring_from;
	int       shut_wr, peer_eof;
	size_t    ring_cap;
	const uint8_t *ring_a, *ring_b, *salv;
	size_t    ring_alen, ring_blen, salv_len;
	struct rock_sockopt opts[ROCK_MAX_SOCKOPTS];
	int       nopts;
};

/* A memfd holding every rock that survives exec, or -ENOENT if none, or -errno. */
int  rock_exec_prepare(void);
/* The same for r alone, as the keeper's fd as_fd (keep.c). */
int  rock_exec_prepare_one(struct rock *r, int as_fd);
/* At start-up: take over the rocks EVICT_ROCKS_STATE names. */
void rock_exec_adopt(void);
/* The decoder (fuzzed): count of rocks, or -EBADMSG. */
int  rock_exec_decode(const uint8_t *p, size_t n,
    int (*cb)(const struct rock_exec_rock *, void *), void *arg);
int  rock_exec_decode_one(struct wbuf *pl, struct rock_exec_rock *e);

#endif

/*
 * edp: the enhancement detection protocol (dissertation, section 3.2).
 *
 * A client learns whether a server runs an enhanced socket library without
 * disturbing servers that do not:
 *
 *   1. probe: the client connects, shuts its side for writing and reads;
 *      an enhanced server answers the end-of-file with the fixed 1024-byte
 *      announcement; an ordinary one closes, resets, sends something
 *      (a banner, an error) or stays silent;
 *   2. the client announces itself on a second connection (opened as
 *      soon as the probe is established, while its answer travels, so
 *      that an ordinary server costs one extra round trip: that second
 *      connection is the application's);
 *   3. negotiation of a list of named, versioned enhancements;
 *   4. enhancement-specific initialization (callbacks);
 *   5. the application's own bytes.
 *
 * Everything here is pure over file descriptors, with its system calls taken
 * through struct edp_io, so that a preloaded library can hand in the real
 * functions behind its own hooks and unit tests can drive it alone.
 * docs/protocol/edp.md is the wire specification; bump EDP_VERSION when any
 * message below changes.
 */
#ifndef EVICT_EDP_H
#define EVICT_EDP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/wbuf.h"

#define EDP_ANNOUNCE_LEN   1024
#define EDP_MAGIC          0x45445031u   /* "EDP1" */
#define EDP_VERSION        1
#define EDP_NAME_MAX       31            /* enhancement name, bytes */
#define EDP_MAX_ENH        16
#define EDP_MSG_MAX        4096          /* largest negotiation payload */

/* Message numbers (frames of common/wbuf), block 100: negotiation. */
enum edp_msg {
	EDP_MSG_NEGOTIATE = 100,   /* client -> server */
	EDP_MSG_ACCEPT    = 101,   /* server -> client */
	EDP_MSG_REFUSE    = 102,   /* server -> client, then close */
};

enum edp_verdict {
	EDP_NONE = 0,
	EDP_ENHANCED,              /* negotiated; see chosen[] */
	EDP_ORD_CLOSED,            /* ordinary: closed without a byte */
	EDP_ORD_RESET,             /* ordinary: reset the probe */
	EDP_ORD_DATA,              /* ordinary: sent bytes (banner or reply) */
	EDP_ORD_SILENT,            /* ordinary: nothing within the timeout */
	EDP_ORD_GARBLED,           /* announced, then spoke nonsense: fell back */
};

/* The system calls the protocol makes.  edp_io_libc uses glibc's. */
struct edp_io {
	int     (*socket)(int, int, int);
	int     (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*send)(int, const void *, size_t, int);
	int     (*shutdown)(int, int);
	int     (*poll)(struct pollfd *, nfds_t, int);
	int     (*close)(int);
	int     (*dup3)(int, int, int);
};
extern const struct edp_io edp_io_libc;

struct edp_chosen {
	char     name[EDP_NAME_MAX + 1];
	uint16_t version;
};

/*
 * An enhancement this side offers.  init runs after negotiation on the
 * connected fd (blocking is fine; deadline_ms is what is left of the
 * protocol's budget); it returns 0, or -errno with a reason in *cause
 * (static or malloc'ed into cause_buf) to abandon the connection.
 */
struct edp_enh {
	const char *name;
	uint16_t    vmin, vmax;
	int       (*init)(int fd, int is_client, uint16_t version, int deadline_ms,
	              void *arg, char *cause, size_t causelen);
	void       *arg;
};

struct edp_config {
	const struct edp_enh *enh;
	size_t      nenh;
	const struct edp_io *io;     /* NULL: edp_io_libc */
	int         timeout_mult;    /* silent peer: mult x connect time ... */
	int         timeout_min_ms;  /* ... but at least this ... */
	int         timeout_max_ms;  /* ... and at most this */
	int         negotiate_ms;    /* budget for steps 2-4 */
	size_t      max_scan;        /* bytes read looking for an announcement */
};
void edp_config_default(struct edp_config *cfg);

struct edp_result {
	enum edp_verdict verdict;
	int         err;             /* connect failure (errno), else 0 */
	uint16_t    version;         /* EDP version spoken when enhanced */
	struct edp_chosen chosen[EDP_MAX_ENH];
	size_t      nchosen;
	uint8_t    *pre;             /* server bytes that precede the protocol, */
	size_t      npre;            /* the application's first input (free()) */
	uint64_t    connect_ns;      /* probe connect time */
	uint64_t    detect_ns;       /* start to verdict */
	uint64_t    total_ns;        /* start to ready for application data */
	char        reason[160];     /* plain words, for logs and tools */
};
void edp_result_free(struct edp_result *res);
const char *edp_verdict_name(enum edp_verdict v);

/* The fixed announcement, EDP_ANNOUNCE_LEN bytes. */
const uint8_t *edp_announcement(void);

/* ---- client -------------------------------------------------------------- */

enum edp_cstate {
	EDP_C_CONNECTING, EDP_C_PROBING, EDP_C_NEGOTIATING, EDP_C_DONE,
};

struct edp_client {
	const struct edp_config *cfg;
	const struct edp_io *io;
	struct edp_result *res;
	enum edp_cstate state;
	int         pfd, dfd;        /* probe, data */
	int         pdone, ddone;    /* connects finished */
	int         dstarted;        /* the application's connect was issued */
	int         perr, derr;
	int         family;
	uint64_t    t0, deadline;
	struct wbuf pin;             /* probe bytes so far */
	struct wbuf dout;            /* announcement + negotiation to send */
	struct wbuf rin;             /* the server's reply, consumed exactly */
	size_t      rmatch;          /* announcement bytes matched so far */
	size_t      rneed;           /* bytes still to read after the match */
	int         rphase;          /* 0: hello and header, 1: payload */
	struct sockaddr_storage sa;
	socklen_t   salen;
};

/*
 * Starts the protocol on dfd, a fresh non-blocking stream socket that is to
 * become the application's connection to sa.  Then call edp_client_step
 * until it returns 0 (res filled; dfd connected, to an enhanced or an
 * ordinary peer) or < 0 (-errno: the connection itself failed, as a plain
 * connect would have).  While it returns 1, poll the fds it fills in (at
 * most 2) for at most *timeout_ms, and call it again.
 */
int edp_client_start(struct edp_client *c, int dfd, const struct sockaddr *sa,
    socklen_t salen, const struct edp_config *cfg, struct edp_result *res);
int edp_client_step(struct edp_client *c, struct pollfd *pfds, nfds_t *npfds,
    int *timeout_ms);
void edp_client_abort(struct edp_client *c);

/* All of the above, blocking; fd keeps its number and its O_NONBLOCK flag. */
int edp_connect(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct edp_config *cfg, struct edp_result *res);

/* ---- server -------------------------------------------------------------- */

enum edp_skind {
	EDP_S_UNDECIDED,   /* nothing, or a prefix of the announcement, so far */
	EDP_S_PROBE,       /* end-of-file first: answer, then close */
	EDP_S_ENHANCED,    /* the announcement arrived: negotiate */
	EDP_S_ORDINARY,    /* anything else: an ordinary client */
};

/*
 * Looks (MSG_PEEK, never blocking, never consuming) at what an accepted
 * connection has sent.  Returns the kind, or -errno from the socket.
 */
int edp_server_classify(const struct edp_io *io, int fd);
/* Sends the announcement after whatever the application already wrote. */
int edp_server_answer_probe(const struct edp_io *io, int fd);
/*
 * Consumes the client's announcement and negotiation, answers, runs the
 * chosen enhancements' init.  pre_bytes: how many bytes the application
 * wrote on fd before the connection was classified.  0 with res filled, or
 * -errno (the connection must then be closed: the client falls back).
 */
int edp_server_negotiate(int fd, const struct edp_config *cfg,
    uint32_t pre_bytes, struct edp_result *res);

/* ---- codec (exposed for unit tests and fuzz targets) ---------------------- */

int edp_put_negotiate(struct wbuf *b, const struct edp_enh *enh, size_t nenh);
/* Decodes a NEGOTIATE payload into offers (name, vmin, vmax). */
struct edp_offer {
	char     name[EDP_NAME_MAX + 1];
	uint16_t vmin, vmax;
};
int edp_get_negotiate(struct wbuf *payload, struct edp_offer *offers,
    size_t *noffers);
/* Picks, for each offer this side supports, the highest common version. */
size_t edp_choose(const struct edp_offer *offers, size_t noffers,
    const struct edp_enh *enh, size_t nenh, struct edp_chosen *out);
int edp_put_accept(struct wbuf *b, uint32_t pre_bytes,
    const struct edp_chosen *chosen, size_t nchosen);
int edp_get_accept(struct wbuf *payload, uint32_t *pre_bytes,
    struct edp_chosen *chosen, size_t *nchosen);
/*
 * Parses a server's reply on the data connection from p[0..n): bytes before
 * the announcement, the announcement, the hello and one ACCEPT frame.
 * Returns the number of bytes it spans (> 0) and fills res (pre, chosen);
 * 0 if more bytes are needed; -EBADMSG (and a reason in res) if the bytes
 * cannot be an enhanced server's reply.
 */
int edp_parse_reply(const uint8_t *p, size_t n, size_t max_scan,
    const struct edp_enh *enh, size_t nenh, struct edp_result *res);

/* Blocking helpers over io with a deadline (ms of CLOCK_MONOTONIC). */
uint64_t edp_now_ns(void);
int edp_recv_exact(const struct edp_io *io, int fd, void *buf, size_t n,
    uint64_t deadline_ns);
int edp_send_all(const struct edp_io *io, int fd, const void *buf, size_t n,
    uint64_t deadline_ns);

#endif

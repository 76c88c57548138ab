/*
 * rock: the state of one reliable socket and the operations on it.
 *
 * States (docs/design/rocks.md):
 *   UNDECIDED   accepted by a server; the EDP has not classified it yet
 *   CONNECTED   the data socket is the program's fd; bytes flow
 *   SUSPENDED   the data connection failed; a reconnection is being
 *               attempted; the program's fd still names the dead socket,
 *               which the poll family and epoll are kept from seeing
 *   CLOSED      given up (reconnection period over, or refused): the
 *               program sees an aborted socket
 *
 * Counters: sent counts the bytes the kernel took from the program since
 * the rock was established; rcvd counts the bytes taken from the stream
 * (given to the program, or salvaged into the rock's buffer when the data
 * socket was abandoned).  The ring keeps the last ring_cap bytes sent:
 * everything the peer might not have, since a peer salvages what its
 * kernel acknowledged (docs/design/rocks.md explains the bound).
 *
 * Locks, always in this order: tx_lock, rx_lock, st_lock.  No lock is held
 * while a thread blocks.
 */
#ifndef EVICT_ROCKS_ROCK_H
#define EVICT_ROCKS_ROCK_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include "librocks/proto.h"

enum rock_state {
	ROCK_UNDECIDED,
	ROCK_CONNECTED,
	ROCK_SUSPENDED,
	ROCK_CLOSED,
};

enum rock_role { ROCK_CLIENT, ROCK_SERVER };

#define ROCK_MAX_SOCKOPTS 16

struct rock_sockopt {
	int       level, name;
	socklen_t len;
	uint8_t   val[64];
};

struct rock {
	int            fd;          /* the program's fd; -1 once it closed it */
	int            refs;        /* program fds naming this rock (dup) */
	int            dups[8];     /* the other fds (dup, dup2, dup3) */
	int            ndups;
	enum rock_role role;
	enum rock_state state;
	uint8_t        id[ROCKS_ID_LEN];
	uint8_t        k_chal[ROCKS_KEY_LEN], k_hb[ROCKS_KEY_LEN];

	struct sockaddr_storage peer, local;   /* as the program first saw them */
	socklen_t      peerlen, locallen;
	struct sockaddr_storage peer_ctl;      /* where heartbeats go; learned */
	socklen_t      peer_ctllen;
	uint16_t       peer_ctl_port;          /* the peer's control port (TCP) */
	uint32_t       peer_rcvbuf;            /* the peer's receive buffer (INIT) */

	uint32_t       hb_ms, hb_misses;
	uint64_t       hb_seq_tx, hb_seq_rx;
	uint64_t       last_rx_ns, last_tx_ns;
	int            stalled;     /* sent bytes unacknowledged too long */

	pthread_mutex_t tx_lock;
	uint8_t       *ring;
	size_t         ring_cap;
	uint64_t       sent;
	int            shut_wr;     /* the program shut down writing */

	pthread_mutex_t rx_lock;
	uint64_t       rcvd;
	uint8_t       *salv;        /* salvaged or early bytes, read first */
	size_t         salv_off, salv_len, salv_cap;
	int            peer_eof;    /* the peer's program shut down writing */
	int            kreaders;    /* program threads blocked in the kernel's recv */
	pthread_cond_t rx_cond;     /* kreaders reached 0 (with rx_lock) */
	int            nonblock;    /* the program's O_NONBLOCK, tracked by hooks */

	pthread_mutex_t st_lock;
	pthread_cond_t  st_cond;
	int            evfd;        /* readable while not CONNECTED */
	int            resfd;       /* readable while CONNECTED */
	int            salfd;       /* readable while the salvage buffer has bytes */
	struct { int epfd; struct epoll_event ev; int salv; } eps[4];
	int            neps;        /* the program's epoll sets holding the fd */
	int            app_closed;  /* the program closed every fd of it */
	int            kick;        /* try to reconnect now */
	int            reconnector; /* a reconnection thread runs for it */
	uint64_t       established_ns, suspended_ns, deadline_ns;
	uint64_t       reconnects;
	int            err;         /* errno the program gets when CLOSED */
	char           reason[160];

	struct rock_sockopt opts[ROCK_MAX_SOCKOPTS];
	int            nopts;

	/* the host name the program resolved to reach the peer ("": none) */
	char           rname[256];

	/* server side, before classification */
	uint32_t       pre_bytes;   /* bytes the program wrote before it */

	int            holds;       /* references; freed at 0 (rock_put) */
	int            listed;      /* on the process list */
	struct rock   *next;        /* every rock of the process */

	/* RE-API and rockctl (reapi.c, ctlsock.c): the callbacks and alt under
	 * reapi's lock, the numbers read and written atomically */
	struct {
		void     (*on_suspend)(int, void *);
		void     (*on_resume)(int, void *);
		void     (*on_timeout)(int, void *);
		void      *arg;
		uint32_t   hb_agreed;   /* the period the peer sends at; 0 unknown */
		uint64_t   reconnect_ms;    /* 0: rocks_cfg's; UINT64_MAX: never */
		struct sockaddr_storage alt;    /* alternate last known address */
		socklen_t  altlen;      /* 0: none */
		uint64_t   peer_rcvd;   /* rcvd of the peer's last heartbeat */
		int        peer_rcvd_ok;
		int        has_via;     /* rocks_set_via, over EVICT_ROCKS_VIA */
		struct sockaddr_storage via;
		socklen_t  vialen;      /* 0: never through rockd */
	} reapi;
};

/* ---- settings (config.c) ------------------------------------------------- */

struct rocks_config {
	uint32_t hb_ms;             /* heartbeat period */
	uint32_t hb_misses;         /* suspended after this many periods */
	uint64_t reconnect_ms;      /* give up after (default 3 days) */
	uint32_t retry_ms;          /* reconnection attempts at least this often */
	uint32_t accept_wait_ms;    /* wait for a probe's end-of-file at accept */
	int      disabled;
	struct sockaddr_storage via;    /* rockd for peers without rocks */
	socklen_t vialen;               /* 0: none (fall back to plain) */
	struct sockaddr_storage relay;  /* rockd --relay: a rendezvous */
	socklen_t relaylen;             /* 0: none */
};
extern struct rocks_config rocks_cfg;
void rocks_config_load(void);

/* ---- registry (registry.c) ----------------------------------------------- */

struct rock *rock_lookup(int fd);
int  rock_bind_fd(int fd, struct rock *r);
void rock_unbind_fd(int fd);
/* Returns the rock with a reference held (rock_put it), or NULL. */
struct rock *rock_find_id(const uint8_t id[ROCKS_ID_LEN]);
void rock_get(struct rock *r);
void rock_put(struct rock *r);
void rock_list_add(struct rock *r);
void rock_list_del(struct rock *r);
/* Calls fn for every rock with the list locked; fn must not block. */
void rock_foreach(void (*fn)(struct rock *, void *), void *arg);

/* ---- life (rock.c) -------------------------------------------------------- */

struct rock *rock_new(int fd, enum rock_role role);
/* The program is done with it: off the list; freed with the last hold. */
void rock_release(struct rock *r);
int  rock_ring_alloc(struct rock *r, size_t cap);
void rock_ring_put(struct rock *r, const struct iovec *iov, int iovcnt, size_t n);
/* Copies ring bytes [from, r->sent) to out; -ERANGE if no longer there. */
int  rock_ring_span(struct rock *r, uint64_t from, const uint8_t **a,
    size_t *alen, const uint8_t **b, size_t *blen);
int  rock_salv_put(struct rock *r, const void *p, size_t n);
void rock_suspend(struct rock *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rock_abort(struct rock *r, int err, const char *why);
void rock_set_state(struct rock *r, enum rock_state st);
/* Waits until the rock is not SUSPENDED (or its deadline passes). */
void rock_wait_resumed(struct rock *r);
/* Puts sock in the place of the data socket; locks held by the caller. */
int  rock_install(struct rock *r, int sock);
void rock_record_sockopt(struct rock *r, int level, int name, const void *val,
    socklen_t len);
/* Keeps salfd and the program's epoll sets right after salvage changes. */
void rock_salv_changed(struct rock *r);
/* The program's epoll registrations of the rock, kept across suspension. */
int  rock_epoll_ctl(struct rock *r, int epfd, int op, struct epoll_event *ev);
const char *rock_state_name(enum rock_state st);

/* ---- I/O (io.c) ------------------------------------------------------------- */

ssize_t rock_send(struct rock *r, const struct msghdr *msg, int flags);
ssize_t rock_recv(struct rock *r, struct msghdr *msg, int flags);
int  rock_fionread(struct rock *r, int *n);
/* Server side: classify an UNDECIDED rock; 1 decided, 0 not yet, < 0 error. */
int  rock_classify(struct rock *r, int wait);

/* ---- establishment (init.c) ------------------------------------------------- */

/* connect() of a TCP socket: the EDP, then rocks initialization. */
int  rock_connect(int fd, const struct sockaddr *sa, socklen_t len);
/* Its two halves, shared with a non-blocking connect (nbconnect.c).  The
 * first returns 1 (a rock: keep it), 0 (plain), 2 (plain, and a rockd is
 * configured to reach such a peer: rock_connect_via, also from the
 * non-blocking connect's thread) or -errno. */
int  rock_connect_edp(struct rock *r, int sock, const struct sockaddr *sa,
    socklen_t len);
int  rock_connect_keep(struct rock *r);
/* After accept(): probes are answered here; others become UNDECIDED rocks. */
int  rock_accepted(int fd, int *again);
/* connect() through rockd to a peer without rocks (init.c); 0 or -errno. */
int  rock_connect_via(struct rock *r, const struct sockaddr *sa, socklen_t len);
/* The rocks enhancement for the EDP, server side. */
int  rock_server_negotiate(struct rock *r);

/* ---- non-blocking connect (nbconnect.c) ------------------------------------ */

/*
 * connect() of a non-blocking TCP socket: fails with EINPROGRESS at once
 * and runs the EDP in a thread of its own.  Until it is done the fd is
 * "pending": the hooks below keep the program away from its socket.
 */
int  rock_connect_async(int fd, const struct sockaddr *sa, socklen_t len);
extern int nbc_active;      /* pending fds, or failed ones not yet told */
/* All the nbc_* below are cheap when nbc_active is 0. */
/* 1 (errno set: EALREADY, or the failure, told once) if fd is pending. */
int  nbc_connect_again(int fd);
/* SO_ERROR of a pending fd: 1 with *err (0 while under way), else 0. */
int  nbc_so_error(int fd, int *err);
/* For I/O with these MSG_ flags: 1 when fd is still pending and the call
 * must not block (EAGAIN); a blocking one waits here until it is done. */
int  nbc_busy(int fd, int flags);
/* For the poll family: an event fd readable once fd's connect is done,
 * or -1 if fd is not pending. */
int  nbc_wait_fd(int fd);
/* epoll_ctl on a pending fd is kept and applied once it is done: 1 with
 * *rc (0 or -errno) if fd is pending. */
int  nbc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev, int *rc);
/* An option set while pending: kept for the rock's later connections. */
void nbc_sockopt(int fd, int level, int name, const void *val,
    socklen_t len);
/* The program closes fd: a connect under way is abandoned. */
void nbc_close(int fd);
/* epfd is one of the program's epoll sets (from the epoll_ctl hook). */
void nbc_note_epfd(int epfd);

/* ---- host names (hook-dns.c) ------------------------------------------- */

/* The name getaddrinfo() last gave sa for, into name (""): 0 or -ENOENT. */
int  dns_name_of(const struct sockaddr *sa, char *name, size_t namesz);
/* Resolves r->rname again; 1 with r's control address changed, else 0. */
int  dns_reresolve(struct rock *r);

/* ---- rendezvous through a rockd relay (rendezvous.c) ------------------------ */

/* A suspended server rock tells the relay where it is, until it resumes. */
void rdv_register_start(struct rock *r);
/* Asks the relay where r's peer is; 1 with r's control address changed. */
int  rdv_lookup(struct rock *r);

/* ---- control thread (ctl.c) and reconnection (reconnect.c) ---------------- */

int  ctl_start(void);
uint16_t ctl_port(void);
void ctl_kick(void);
void ctl_forked_child(void);
extern int ctl_need_restart;
int  reconnect_start(struct rock *r);
/* Handles a reconnection that arrived on the control port (own thread). */
void reconnect_accept(int sock);

uint64_t rock_now_ns(void);

#endif

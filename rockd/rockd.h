/*
 * rockd: the rocks proxy (docs/design/rockd.md, rockd(8)).
 *
 * rockd runs with librocks preloaded (it re-executes itself under `rock`),
 * so the connections it accepts from rock clients are reliable sockets,
 * while its own connections to ordinary servers are plain: it makes them
 * with the connect system call, which no preloaded library sees.
 *
 *   rockd.c   options, the configuration file, daemon and logging
 *   hs.c      handshakes: one short thread per accepted connection, with a
 *             deadline, until the rock is set up and the server connected
 *   relay.c   the single-threaded epoll relay and the limits on what a
 *             suspended connection may hold
 *   rdproto.c the destination request of the general mode (pure)
 */
#ifndef EVICT_ROCKD_H
#define EVICT_ROCKD_H

#include <stdint.h>
#include <sys/socket.h>

#include "common/log.h"

#define RD_MAX_LISTENERS 32
#define RD_MAX_ALLOW     64

/* A destination the general mode may reach: ADDR/PREFIX. */
struct rd_allow {
	int      family;
	uint8_t  addr[16];
	unsigned prefix;
};

struct rd_limits {
	unsigned max_sessions;       /* relayed connections at once */
	unsigned max_suspended;      /* suspended rocks kept */
	uint64_t max_suspended_mem;  /* bytes suspended rocks may hold */
	unsigned max_age_s;          /* how long a suspended rock is kept */
	unsigned max_handshakes;     /* handshakes (and server connects) at once */
	unsigned max_hs_per_source;  /* of those, from one client address */
	unsigned hs_timeout_ms;      /* a handshake finishes within this */
	unsigned connect_timeout_ms; /* connecting to the server */
	unsigned stats_s;            /* a statistics line this often (0: never) */
	int      plain;              /* relay clients that do not run rocks */
};

struct rd_listener {
	int      fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char     to_host[256];       /* "" for the general mode */
	char     to_port[16];
	char     name[300];          /* "PORT -> HOST:PORT", for logs */
	int      rendezvous;         /* a --relay port (rendezvous.c) */
};

struct rd_conf {
	struct rd_listener l[RD_MAX_LISTENERS];
	int      nl;
	struct rd_limits lim;
	struct rd_allow allow[RD_MAX_ALLOW];
	int      nallow;             /* 0: any destination */
	int      daemon;
	int      use_syslog;
	char     pidfile[256];
};

extern struct rd_conf rd_conf;

/* A connection the handshake finished: handed to the relay. */
struct rd_ready {
	int      cfd, sfd;           /* client (a rock, or plain), server */
	int      is_rock;
	struct rd_listener *l;
	char     client[64], server[64];
	struct rd_ready *next;
};

/* ---- logging (rockd.c): stderr (common/log) or syslog ---------------------- */
void rd_log(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define rd_error(...) do { if (evlog_level >= EVLOG_ERROR) \
	rd_log(EVLOG_ERROR, __func__, __VA_ARGS__); } while (0)
#define rd_warn(...) do { if (evlog_level >= EVLOG_WARN) \
	rd_log(EVLOG_WARN, __func__, __VA_ARGS__); } while (0)
#define rd_info(...) do { if (evlog_level >= EVLOG_INFO) \
	rd_log(EVLOG_INFO, __func__, __VA_ARGS__); } while (0)
#define rd_debug(...) do { if (evlog_level >= EVLOG_DEBUG) \
	rd_log(EVLOG_DEBUG, __func__, __VA_ARGS__); } while (0)

/* Parses "ADDR[/PREFIX]" into a; 0 or -1. */
int  rd_allow_parse(const char *s, struct rd_allow *a);
/* 1 when sa is in list[0..n) (n 0: any destination). */
int  rd_allowed_in(const struct rd_allow *list, int n, const struct sockaddr *sa);

/* "1.2.3.4:80" or "[::1]:80" */
void rd_addr_str(const struct sockaddr *sa, char *out, size_t outsz);
uint64_t rd_now_ms(void);

/* ---- handshakes (hs.c) ------------------------------------------------------ */
int  hs_init(int notify_fd);
/* Takes fd (accepted on l): 0, or -1 when a limit refused it (fd closed). */
int  hs_start(int fd, struct rd_listener *l, const struct sockaddr *peer);
/* The connections ready for the relay (a list the caller frees). */
struct rd_ready *hs_take_ready(void);
unsigned hs_count(void);
/* Refused by limits so far. */
uint64_t hs_refused(void);

/* ---- rendezvous (rendezvous.c): where suspended server rocks are ------------ */
/* Serves one REGISTER or LOOKUP on fd (non-blocking) before deadline_ms. */
void rv_serve(int fd, const struct sockaddr *peer, const char *client,
    uint64_t deadline_ms);

/* ---- relay (relay.c) -------------------------------------------------------- */
int  relay_run(void);

#endif

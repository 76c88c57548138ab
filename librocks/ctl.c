/*
 * ctl: the control thread of a process with rocks.  It owns the control
 * port: a TCP listener where reconnections arrive and a UDP socket of the
 * same number for heartbeats; a tick that sends heartbeats and suspends
 * rocks whose peer fell silent; and a netlink watcher, so that a link or
 * an address coming back triggers reconnection at once.  It never uses a
 * signal, and blocks every signal so the program's handlers run elsewhere.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/nlwatch.h"
#include "librocks/ctlsock.h"
#include "librocks/real.h"
#include "librocks/rock.h"

#define CTL_TICK_MS 50

static struct {
	pthread_mutex_t lock;
	int             started;
	pid_t           pid;
	struct evloop  *loop;
	int             tcp, udp;
	uint16_t        port;
	struct nlwatch *nl;
} ctl = { .lock = PTHREAD_MUTEX_INITIALIZER, .tcp = -1, .udp = -1 };

int ctl_need_restart;

uint16_t
ctl_port(void)
{
	return ctl.port;
}

static void
ctl_hb_send(struct rock *r, uint64_t now)
{
	struct rocks_hb hb = { .type = 1 };
	uint8_t pkt[ROCKS_HB_LEN];

	memcpy(hb.id, r->id, ROCKS_ID_LEN);
	hb.seq = ++r->hb_seq_tx;
	hb.rcvd = r->rcvd;
	if (rocks_hb_encode(&hb, r->k_hb, pkt) < 0)
		return;
	r->last_tx_ns = now;
	(void)real.sendto(ctl.udp, pkt, sizeof pkt, MSG_DONTWAIT,
	    (struct sockaddr *)&r->peer_ctl, r->peer_ctllen);
}

struct ctl_tick_state {
	uint64_t     now;
	struct rock *todo[64];
	int          ntodo;
};

/*
 * Heartbeats can flow while the data connection is dead (the peer's
 * address changed under it, and its heartbeats come from the new one):
 * bytes unacknowledged for as long as heartbeats may be missing is a
 * failure too.
 */
static int
ctl_stalled(struct rock *r)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	if (r->fd < 0 || getsockopt(r->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	/* retransmitting, and no acknowledgement for a whole timeout */
	return ti.tcpi_unacked > 0 &&
	    (ti.tcpi_retransmits > 0 || ti.tcpi_backoff > 0) &&
	    (uint64_t)ti.tcpi_last_ack_recv > (uint64_t)r->hb_ms * r->hb_misses;
}

static void
ctl_tick_rock(struct rock *r, void *arg)
{
	struct ctl_tick_state *t = arg;
	uint64_t hb = (uint64_t)r->hb_ms * 1000000ull;
	int stalled = 0;

	if (r->state == ROCK_UNDECIDED || r->state == ROCK_CLOSED)
		return;
	if (t->now - r->last_tx_ns >= hb) {
		ctl_hb_send(r, t->now);
		if (r->state == ROCK_CONNECTED)
			stalled = r->stalled = ctl_stalled(r);
	}
	if ((r->state == ROCK_CONNECTED &&
	    (t->now - r->last_rx_ns > hb * r->hb_misses || stalled)) ||
	    (r->state == ROCK_SUSPENDED && t->now > r->deadline_ns)) {
		if (t->ntodo < (int)(sizeof t->todo / sizeof t->todo[0])) {
			rock_get(r);
			t->todo[t->ntodo++] = r;
		}
	}
}

static void
ctl_tick(struct evloop *loop, int64_t id, void *arg)
{
	struct ctl_tick_state t = { .now = rock_now_ns() };
	struct rock *r;
	char why[96];

	(void)loop;
	(void)id;
	(void)arg;
	rock_foreach(ctl_tick_rock, &t);
	for (int i = 0; i < t.ntodo; i++) {
		r = t.todo[i];
		if (r->state == ROCK_CONNECTED && r->stalled)
			rock_suspend(r, "no acknowledgement of sent bytes for over "
			    "%u ms", r->hb_ms * r->hb_misses);
		else if (r->state == ROCK_CONNECTED)
			rock_suspend(r, "no heartbeat from the peer for %llu ms",
			    (unsigned long long)((t.now - r->last_rx_ns) / 1000000));
		else if (r->state == ROCK_SUSPENDED && t.now > r->deadline_ns) {
			/* (a rock queued as connected may have been suspended
			 * by another thread meanwhile: only a deadline that
			 * passed gives up) */
			snprintf(why, sizeof why, "peer unreachable for %llu s; "
			    "gave up", (unsigned long long)
			    ((t.now - r->suspended_ns) / 1000000000ull));
			rock_abort(r, ETIMEDOUT, why);
			reapi_notify(r, REAPI_TIMEOUT);
			if (r->app_closed && r->listed)
				rock_release(r);    /* nobody else will */
		}
		rock_put(r);
	}
}

static int
ctl_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr, 4) == 0 &&
		    ((const struct sockaddr_in *)a)->sin_port ==
		    ((const struct sockaddr_in *)b)->sin_port;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0 &&
	    ((const struct sockaddr_in6 *)a)->sin6_port ==
	    ((const struct sockaddr_in6 *)b)->sin6_port;
}

static int
ctl_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* An IPv4-mapped IPv6 source, as a dual-stack socket reports it, to IPv4. */
static void
ctl_unmap(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof *ss);
	memcpy(ss, &s4, sizeof s4);
	*len = sizeof s4;
}

static void
ctl_udp_in(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	uint8_t pkt[256], id[ROCKS_ID_LEN];
	struct sockaddr_storage src;
	struct rocks_hb hb;
	struct rock *r;
	socklen_t slen;
	ssize_t n;
	int i;

	(void)loop;
	(void)events;
	(void)arg;
	for (i = 0; i < 256; i++) {
		slen = sizeof src;
		n = real.recvfrom(fd, pkt, sizeof pkt, MSG_DONTWAIT,
		    (struct sockaddr *)&src, &slen);
		if (n < 0)
			return;
		if (rocks_hb_peek_id(pkt, (size_t)n, id) < 0) {
			log_debug("control port: %zd bytes that are not a "
			    "heartbeat; ignored", n);
			continue;
		}
		if ((r = rock_find_id(id)) == NULL)
			continue;
		if (rocks_hb_decode(pkt, (size_t)n, r->k_hb, &hb) < 0 ||
		    hb.seq <= r->hb_seq_rx) {
			log_debug("rock %d: forged or replayed heartbeat ignored",
			    r->fd);
			rock_put(r);
			continue;
		}
		r->hb_seq_rx = hb.seq;
		__atomic_store_n(&r->reapi.peer_rcvd, hb.rcvd, __ATOMIC_RELAXED);
		__atomic_store_n(&r->reapi.peer_rcvd_ok, 1, __ATOMIC_RELAXED);
		r->last_rx_ns = rock_now_ns();
		ctl_unmap(&src, &slen);
		if (!ctl_same_addr(&src, &r->peer_ctl)) {
			int moved = !ctl_same_host(&src, &r->peer_ctl);

			/* authenticated: the peer moved (or its NAT did) */
			memcpy(&r->peer_ctl, &src, slen);
			r->peer_ctllen = slen;
			log_info("rock %d: the peer's control address changed%s",
			    r->fd, moved ? " to a new host address" : "");
			/* its data connection is bound to the old address */
			if (moved && r->role == ROCK_CLIENT &&
			    r->state == ROCK_CONNECTED)
				rock_suspend(r, "the peer moved to a new address");
		}
		if (r->state == ROCK_SUSPENDED && r->role == ROCK_CLIENT) {
			pthread_mutex_lock(&r->st_lock);
			r->kick = 1;
			pthread_cond_broadcast(&r->st_cond);
			pthread_mutex_unlock(&r->st_lock);
		}
		rock_put(r);
	}
}

static void *
ctl_accept_thread(void *arg)
{
	reconnect_accept((int)(intptr_t)arg);
	return NULL;
}

static void
ctl_tcp_in(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	pthread_attr_t at;
	pthread_t tid;
	int s;

	(void)loop;
	(void)events;
	(void)arg;
	s = real.accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		return;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &at, ctl_accept_thread, (void *)(intptr_t)s) != 0)
		real.close(s);
	pthread_attr_destroy(&at);
}

static void
ctl_kick_rock(struct rock *r, void *arg)
{
	(void)arg;
	if (r->state != ROCK_SUSPENDED || r->role != ROCK_CLIENT)
		return;
	pthread_mutex_lock(&r->st_lock);
	r->kick = 1;
	pthread_cond_broadcast(&r->st_cond);
	pthread_mutex_unlock(&r->st_lock);
}

void
ctl_kick(void)
{
	rock_foreach(ctl_kick_rock, NULL);
}

struct ctl_nl_state {
	int any;                        /* something came back: kick */
	struct sockaddr_storage gone[16];
	int ngone;
};

static void
ctl_nl_event(const struct nlwatch_event *ev, void *arg)
{
	struct ctl_nl_state *st = arg;
	struct sockaddr_storage *ss;

	if (ev->type == NLW_LINK_UP || ev->type == NLW_ADDR_ADD ||
	    ev->type == NLW_ROUTE_ADD || ev->type == NLW_RESYNC)
		st->any = 1;
	if (ev->type != NLW_ADDR_DEL || st->ngone == 16)
		return;
	ss = &st->gone[st->ngone++];
	memset(ss, 0, sizeof *ss);
	ss->ss_family = (sa_family_t)ev->family;
	if (ev->family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr = ev->addr.v4;
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = ev->addr.v6;
}

struct ctl_gone {
	struct ctl_nl_state *st;
	struct rock *todo[64];
	int ntodo;
};

static void
ctl_gone_rock(struct rock *r, void *arg)
{
	struct ctl_gone *g = arg;
	struct sockaddr_storage local = r->local;

	if (r->state != ROCK_CONNECTED ||
	    g->ntodo == (int)(sizeof g->todo / sizeof g->todo[0]))
		return;
	ctl_unmap(&local, &(socklen_t){ sizeof local });
	for (int i = 0; i < g->st->ngone; i++)
		if (ctl_same_host(&local, &g->st->gone[i])) {
			rock_get(r);
			g->todo[g->ntodo++] = r;
			return;
		}
}

static void
ctl_nl_in(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_nl_state st = { 0 };
	struct ctl_gone g = { .st = &st };

	(void)loop;
	(void)fd;
	(void)events;
	(void)arg;
	(void)nlwatch_read(ctl.nl, ctl_nl_event, &st);
	if (st.ngone > 0) {
		rock_foreach(ctl_gone_rock, &g);
		for (int i = 0; i < g.ntodo; i++) {
			rock_suspend(g.todo[i], "%s",
			    "this host's address for the connection went away");
			rock_put(g.todo[i]);
		}
	}
	if (st.any || g.ntodo > 0) {
		log_debug("network change; kicking suspended rocks");
		ctl_kick();
	}
}

static void *
ctl_main(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	evloop_run(ctl.loop);
	return NULL;
}

static int
ctl_sockets(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof sa;
	int zero = 0, one = 1, try;

	for (try = 0; try < 16; try++) {
		ctl.tcp = real.socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		ctl.udp = real.socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (ctl.tcp < 0 || ctl.udp < 0)
			return -errno;
		real.setsockopt(ctl.tcp, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		real.setsockopt(ctl.udp, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		real.setsockopt(ctl.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		sa.sin6_port = 0;
		sa.sin6_addr = in6addr_any;
		if (bind(ctl.tcp, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    real.listen(ctl.tcp, 64) == 0 &&
		    real.getsockname(ctl.tcp, (struct sockaddr *)&sa, &len) == 0 &&
		    bind(ctl.udp, (struct sockaddr *)&sa, sizeof sa) == 0) {
			ctl.port = ntohs(sa.sin6_port);
			return 0;
		}
		real.close(ctl.tcp);
		real.close(ctl.udp);
		ctl.tcp = ctl.udp = -1;
	}
	return -EADDRINUSE;
}

int
ctl_start(void)
{
	pthread_t tid;
	pthread_attr_t at;
	int rc = 0;

	pthread_mutex_lock(&ctl.lock);
	if (ctl.started && ctl.pid == getpid())
		goto out;
	ctl.started = 0;
	if (ctl.pid != 0) {
		/* a forked child: drop our copies of the parent's machinery */
		if (ctl.nl != NULL)
			nlwatch_close(ctl.nl);
		if (ctl.loop != NULL)
			evloop_free(ctl.loop);
		if (ctl.tcp >= 0)
			real.close(ctl.tcp);
		if (ctl.udp >= 0)
			real.close(ctl.udp);
		ctl.nl = NULL;
		ctl.loop = NULL;
		ctl.tcp = ctl.udp = -1;
	}
	if ((rc = ctl_sockets()) < 0)
		goto out;
	if ((ctl.loop = evloop_new()) == NULL) {
		rc = -errno;
		goto out;
	}
	evloop_add_fd(ctl.loop, ctl.tcp, EPOLLIN, ctl_tcp_in, NULL);
	evloop_add_fd(ctl.loop, ctl.udp, EPOLLIN, ctl_udp_in, NULL);
	if ((ctl.nl = nlwatch_open()) != NULL)
		evloop_add_fd(ctl.loop, nlwatch_fd(ctl.nl), EPOLLIN, ctl_nl_in,
		    NULL);
	else
		log_info("no netlink watcher (%s); reconnecting on timers and "
		    "heartbeats only", strerror(errno));
	evloop_timer_add(ctl.loop, CTL_TICK_MS, 1, ctl_tick, NULL);
	ctlsock_start(ctl.loop);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &at, ctl_main, NULL);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		rc = -rc;
		goto out;
	}
	ctl.pid = getpid();
	ctl.started = 1;
	ctl_need_restart = 0;
	log_debug("control port %u", ctl.port);
out:
	pthread_mutex_unlock(&ctl.lock);
	if (rc < 0)
		log_once(EVLOG_ERROR, "cannot start the control thread (%s); "
		    "new connections are plain", strerror(-rc));
	return rc;
}

/* In a child after fork: no thread came along; start again when needed. */
void
ctl_forked_child(void)
{
	pthread_mutex_init(&ctl.lock, NULL);
	ctl.started = 0;
	ctl_need_restart = 1;
}

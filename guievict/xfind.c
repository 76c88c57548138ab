/* xfind: see xfind.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "guievict/xfind.h"

#define XFIND_MAX_POLLFDS	4096

int
xfind_unix_display(const char *name)
{
	int n, len = 0;

	if (name[0] == '@')
		name++;
	if (sscanf(name, "/tmp/.X11-unix/X%d%n", &n, &len) == 1 &&
	    name[len] == '\0' && n >= 0)
		return n;
	return -1;
}

int
xfind_tcp_line(const char *line, int v6, uint64_t *inode, char *rem,
    size_t remsz, int *port)
{
	char laddr[65], raddr[65];
	unsigned lport, rport, st, w[4];
	unsigned long long ino;
	uint8_t a[16];
	int i, k;

	if (sscanf(line, " %*d: %64[0-9A-Fa-f]:%x %64[0-9A-Fa-f]:%x %x %*s %*s "
	    "%*s %*u %*u %llu", laddr, &lport, raddr, &rport, &st, &ino) != 6)
		return 0;
	if (st != 1)			/* TCP_ESTABLISHED */
		return 0;
	if (strlen(raddr) != (v6 ? 32u : 8u))
		return 0;
	for (i = 0; i < (v6 ? 4 : 1); i++) {
		if (sscanf(raddr + 8 * i, "%8x", &w[i]) != 1)
			return 0;
		for (k = 0; k < 4; k++)		/* host order words */
			a[4 * i + k] = (uint8_t)(w[i] >> (8 * k));
	}
	if (inet_ntop(v6 ? AF_INET6 : AF_INET, a, rem, (socklen_t)remsz) == NULL)
		return 0;
	*inode = ino;
	*port = (int)rport;
	return 1;
}

int
xfind_is_x_answer(const uint8_t *p, size_t n)
{
	if (n < 8)
		return 0;
	switch (p[0]) {
	case 0:		/* Failed: reason length, protocol major */
	case 1:		/* Success */
		return (p[2] | p[3] << 8) == 11 || (p[2] << 8 | p[3]) == 11;
	case 2:		/* Authenticate: 5 unused bytes, then a length */
		return p[1] == 0 && p[2] == 0 && p[3] == 0 && p[4] == 0 &&
		    p[5] == 0;
	default:
		return 0;
	}
}

/* ---- the process's sockets ----------------------------------------------------- */

static void
xfind_tcp(pid_t pid, int v6, struct xfind_sock *v, size_t n)
{
	char fn[64], line[512], rem[INET6_ADDRSTRLEN];
	uint64_t ino;
	size_t i;
	FILE *f;
	int port;

	snprintf(fn, sizeof fn, "/proc/%d/net/tcp%s", (int)pid, v6 ? "6" : "");
	if ((f = fopen(fn, "re")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (!xfind_tcp_line(line, v6, &ino, rem, sizeof rem, &port))
			continue;
		for (i = 0; i < n; i++) {
			if (v[i].inode != ino)
				continue;
			v[i].family = v6 ? AF_INET6 : AF_INET;
			snprintf(v[i].peer, sizeof v[i].peer, v6 ? "[%s]:%d" :
			    "%s:%d", rem, port);
			if (port >= 6000 && port < 6064) {
				v[i].how = XFIND_TCP;
				v[i].display = port - 6000;
			}
		}
	}
	fclose(f);
}

/* sock_diag: name (UDIAG_SHOW_NAME) and peer inode of a Unix socket. */
static int
xfind_unix_diag(int nl, uint64_t ino, char *name, size_t namesz,
    uint64_t *peer)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req rq;
	} req;
	union {
		struct nlmsghdr nh;
		char buf[8192];
	} resp;
	struct unix_diag_msg *m;
	struct rtattr *a;
	struct nlmsghdr *h;
	ssize_t len;
	int alen;
	size_t k;

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = sizeof req;
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.rq.sdiag_family = AF_UNIX;
	req.rq.udiag_states = ~0u;
	req.rq.udiag_ino = (uint32_t)ino;
	req.rq.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
	req.rq.udiag_cookie[0] = req.rq.udiag_cookie[1] = ~0u;
	if (send(nl, &req, sizeof req, 0) < 0)
		return -errno;
	len = recv(nl, &resp, sizeof resp, 0);
	if (len < 0)
		return -errno;
	name[0] = '\0';
	*peer = 0;
	for (h = &resp.nh; NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
			return -ENOENT;
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		m = NLMSG_DATA(h);
		alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
		for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen);
		    a = RTA_NEXT(a, alen)) {
			if (a->rta_type == UNIX_DIAG_PEER &&
			    RTA_PAYLOAD(a) >= 4) {
				*peer = *(uint32_t *)RTA_DATA(a);
			} else if (a->rta_type == UNIX_DIAG_NAME) {
				k = RTA_PAYLOAD(a);
				if (k == 0 || k >= namesz)
					continue;
				memcpy(name, RTA_DATA(a), k);
				name[k] = '\0';
				if (name[0] == '\0')
					name[0] = '@';	/* abstract */
			}
		}
		return 0;
	}
	return -ENOENT;
}

static void
xfind_unix(struct xfind_sock *v, size_t n)
{
	char name[108], pname[108];
	uint64_t peer, pp;
	size_t i;
	int nl;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return;
	for (i = 0; i < n; i++) {
		if (v[i].family != 0)
			continue;
		if (xfind_unix_diag(nl, v[i].inode, name, sizeof name,
		    &peer) != 0)
			continue;
		v[i].family = AF_UNIX;
		if (peer == 0)
			continue;
		/* the server's end carries the name it was accepted on */
		if (xfind_unix_diag(nl, peer, pname, sizeof pname, &pp) != 0 ||
		    pname[0] == '\0')
			continue;
		snprintf(v[i].peer, sizeof v[i].peer, "%.107s", pname);
		v[i].display = xfind_unix_display(pname);
		if (v[i].display >= 0)
			v[i].how = XFIND_UNIX;
	}
	close(nl);
}

int
xfind_sockets(pid_t pid, struct xfind_sock *v, size_t max)
{
	char dn[64], fn[400], link[128];
	unsigned long long ino;
	struct dirent *de;
	size_t n = 0;
	ssize_t len;
	DIR *d;
	char *end;
	long fd;

	snprintf(dn, sizeof dn, "/proc/%d/fd", (int)pid);
	if ((d = opendir(dn)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && n < max) {
		fd = strtol(de->d_name, &end, 10);
		if (*end != '\0' || end == de->d_name)
			continue;
		snprintf(fn, sizeof fn, "%s/%s", dn, de->d_name);
		len = readlink(fn, link, sizeof link - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		memset(&v[n], 0, sizeof v[n]);
		v[n].fd = (int)fd;
		v[n].inode = ino;
		v[n].display = -1;
		n++;
	}
	closedir(d);
	xfind_tcp(pid, 0, v, n);
	xfind_tcp(pid, 1, v, n);
	xfind_unix(v, n);
	return (int)n;
}

/* ---- handshake probe ------------------------------------------------------------- */

static int
xfind_peer_addr(const struct xfind_sock *s, struct sockaddr_storage *ss,
    socklen_t *sl)
{
	char host[sizeof ((struct xfind_sock *)0)->peer], *colon;
	int port;

	memset(ss, 0, sizeof *ss);
	if (s->family == AF_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		size_t k = strlen(s->peer);

		if (k == 0 || k >= sizeof un->sun_path)
			return -EINVAL;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s->peer, k);
		if (s->peer[0] == '@')
			un->sun_path[0] = '\0';
		*sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + k +
		    (s->peer[0] == '@' ? 0 : 1));
		return 0;
	}
	if (s->family != AF_INET && s->family != AF_INET6)
		return -EINVAL;
	snprintf(host, sizeof host, "%s", s->peer);
	if ((colon = strrchr(host, ':')) == NULL)
		return -EINVAL;
	*colon = '\0';
	port = atoi(colon + 1);
	if (s->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		*sl = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';		/* "]" */
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		*sl = sizeof *in6;
	}
	return 0;
}

/* 1 when the peer answers an X connection setup like an X server. */
static int
xfind_handshake(const struct xfind_sock *s, int timeout_ms)
{
	static const uint8_t setup[12] = { 'l', 0, 11, 0, 0, 0, 0, 0, 0, 0,
	    0, 0 };
	struct sockaddr_storage ss;
	struct pollfd p;
	uint8_t ans[8];
	socklen_t sl;
	size_t got = 0;
	ssize_t k;
	int fd, ok = 0;

	if (xfind_peer_addr(s, &ss, &sl) != 0)
		return 0;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 &&
	    errno != EINPROGRESS)
		goto out;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, timeout_ms) != 1 || !(p.revents & POLLOUT))
		goto out;
	if (send(fd, setup, sizeof setup, MSG_NOSIGNAL) != sizeof setup)
		goto out;
	while (got < sizeof ans) {
		p.events = POLLIN;
		if (poll(&p, 1, timeout_ms) != 1)
			goto out;
		k = recv(fd, ans + got, sizeof ans - got, 0);
		if (k <= 0)
			goto out;
		got += (size_t)k;
	}
	ok = xfind_is_x_answer(ans, got);
out:
	close(fd);
	return ok;
}

void
xfind_probe(struct xfind_sock *v, size_t n, int timeout_ms)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].how == 0 && v[i].peer[0] != '\0' &&
		    xfind_handshake(&v[i], timeout_ms))
			v[i].how = XFIND_PROBE;
}

int
xfind_x_fd(pid_t pid, int want_fd, struct xfind_sock *out, char *cause,
    size_t causelen)
{
	struct xfind_sock v[XFIND_MAX];
	size_t i, nx = 0, pick = 0;
	char list[512] = "";
	int n, k;

	n = xfind_sockets(pid, v, XFIND_MAX);
	if (n < 0) {
		snprintf(cause, causelen, "process %d: cannot read its "
		    "descriptors: %s", (int)pid, strerror(-n));
		return n;
	}
	if (want_fd >= 0) {
		for (i = 0; i < (size_t)n; i++) {
			if (v[i].fd == want_fd) {
				*out = v[i];
				return want_fd;
			}
		}
		snprintf(cause, causelen, "process %d: descriptor %d is not a "
		    "socket", (int)pid, want_fd);
		return -ENOTSOCK;
	}
	for (k = 0; k < 2 && nx == 0; k++) {
		if (k == 1)
			xfind_probe(v, (size_t)n, 500);
		for (i = 0; i < (size_t)n; i++) {
			if (v[i].how == 0)
				continue;
			if (nx++ == 0)
				pick = i;
			if (strlen(list) + strlen(v[i].peer) + 16 < sizeof list)
				snprintf(list + strlen(list), sizeof list -
				    strlen(list), "%s%d (%.128s)", nx > 1 ?
				    ", " : "", v[i].fd, v[i].peer);
		}
	}
	if (nx == 0) {
		snprintf(cause, causelen, "process %d has no connection to an "
		    "X server among its %d sockets (name one with --fd)",
		    (int)pid, n);
		return -ENOENT;
	}
	if (nx > 1) {
		snprintf(cause, causelen, "process %d has %zu X connections: "
		    "descriptors %s; choose one with --fd", (int)pid, nx, list);
		return -ENOTUNIQ;
	}
	*out = v[pick];
	return v[pick].fd;
}

/* ---- the write-side safe point ---------------------------------------------------- */

int
xfind_pollfds_write_pending(const uint8_t *pfds, size_t n, int xfd)
{
	struct pollfd p;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&p, pfds + i * sizeof p, sizeof p);
		if (p.fd == xfd && (p.events & POLLOUT))
			return 1;
	}
	return 0;
}

static int
xfind_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char fn[64];
	ssize_t k;
	int fd;

	snprintf(fn, sizeof fn, "/proc/%d/mem", (int)pid);
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	k = pread(fd, buf, len, (off_t)addr);
	close(fd);
	return k == (ssize_t)len ? 0 : -EIO;
}

/* EPOLLOUT on xfd in epoll set epfd of pid (its fdinfo). */
static int
xfind_epoll_out(pid_t pid, long epfd, int xfd)
{
	char fn[64], buf[8192], *p;
	unsigned events;
	int tfd, fd, out = 0;
	ssize_t k;

	snprintf(fn, sizeof fn, "/proc/%d/fdinfo/%ld", (int)pid, epfd);
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	k = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (k <= 0)
		return 0;
	buf[k] = '\0';
	for (p = buf; (p = strstr(p, "tfd:")) != NULL; p++)
		if (sscanf(p, "tfd: %d events: %x", &tfd, &events) == 2 &&
		    tfd == xfd && (events & 0x4))
			out = 1;
	return out;
}

int
xfind_thread_check(void *arg, pid_t pid, pid_t tid, long call_nr,
    const struct user_regs_struct *regs, int is_main, char *why,
    size_t whylen)
{
	int xfd = *(int *)arg, pending = 0;
	uint8_t *buf;
	uint64_t word;
	size_t n;

	(void)is_main;
	switch (call_nr) {
	case SYS_poll:
	case SYS_ppoll:
		n = (size_t)regs->rsi;
		if (n == 0 || n > XFIND_MAX_POLLFDS)
			return 0;
		if ((buf = malloc(n * sizeof(struct pollfd))) == NULL)
			return 0;
		if (xfind_mem(pid, regs->rdi, buf, n * sizeof(struct pollfd)) == 0)
			pending = xfind_pollfds_write_pending(buf, n, xfd);
		free(buf);
		break;
	case SYS_select:
	case SYS_pselect6:
		if (regs->rdx == 0 || (unsigned long long)xfd >= regs->rdi)
			return 0;
		if (xfind_mem(pid, regs->rdx + (uint64_t)(xfd / 64) * 8, &word,
		    8) == 0)
			pending = (word >> (xfd % 64)) & 1;
		break;
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		pending = xfind_epoll_out(pid, (long)regs->rdi, xfd);
		break;
	default:
		return 0;
	}
	if (pending && why != NULL)
		snprintf(why, whylen, "thread %d was waiting to finish writing "
		    "a request to the X server", (int)tid);
	return pending;
}

/* ipc: see ipc.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/wbuf.h"

/* Descriptors a frame may bring before the rest are cut off (and closed). */
#define IPC_RX_FDS	4

static int
ipc_addr(const char *path, int abstract, struct sockaddr_un *sa,
    socklen_t *salen)
{
	const size_t base = offsetof(struct sockaddr_un, sun_path);
	size_t n;

	if (path == NULL || *path == '\0')
		return -EINVAL;
	n = strlen(path);
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	/* One byte of sun_path is not the name: the NUL before or after. */
	if (n >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	if (abstract) {
		memcpy(sa->sun_path + 1, path, n);
		*salen = (socklen_t)(base + 1 + n);
	} else {
		memcpy(sa->sun_path, path, n);
		*salen = (socklen_t)(base + n + 1);
	}
	return 0;
}

/*
 * Makes room for a new socket at path: nothing there is fine; a socket that
 * refuses connections is stale and removed; anything else stays.
 */
static int
ipc_clear_stale(const char *path, const struct sockaddr_un *sa,
    socklen_t salen)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_warn("%s exists and is not a socket; not replacing it",
		    path);
		return -EEXIST;
	}
	/* Non-blocking: a full backlog answers EAGAIN instead of waiting. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, salen) == 0)
		r = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		r = 1;
	else if (errno == EAGAIN || errno == EINPROGRESS || errno == EINTR)
		r = -EADDRINUSE;
	else if (errno == ENOENT)
		r = 0;
	else
		r = -errno;
	close(fd);
	if (r == 1) {
		log_debug("removing stale socket %s", path);
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		r = 0;
	}
	return r;
}

int
ipc_listen(const char *path, int abstract, int backlog)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd, r;

	if ((r = ipc_addr(path, abstract, &sa, &salen)) < 0)
		return r;
	if (!abstract && (r = ipc_clear_stale(path, &sa, salen)) < 0)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/*
	 * Linux creates the socket file with the socket inode's mode less
	 * the umask, so setting it first leaves no window at a wider mode.
	 */
	if (!abstract && fchmod(fd, 0600) < 0) {
		r = -errno;
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		goto fail;
	}
	if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
		r = -errno;
		if (!abstract)
			unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int
ipc_connect(const char *path, int abstract)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd, r, tries = 0;

	if ((r = ipc_addr(path, abstract, &sa, &salen)) < 0)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* An interrupted AF_UNIX connect has not queued anything: retry. */
	while (connect(fd, (const struct sockaddr *)&sa, salen) < 0) {
		if (errno == EINTR) {
			tries++;
			continue;
		}
		if (errno == EISCONN && tries > 0)
			break;
		r = -errno;
		goto fail;
	}
	if (abstract && (r = ipc_peer_allowed(fd)) < 0) {
		log_warn("server of @%s is not ours or root's; not talking "
		    "to it", path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int
ipc_peer_cred(int fd, struct ucred *uc)
{
	socklen_t len = sizeof *uc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len) < 0)
		return -errno;
	if (len != sizeof *uc)
		return -EPROTO;
	return 0;
}

int
ipc_peer_allowed(int fd)
{
	struct ucred uc;
	int r;

	if ((r = ipc_peer_cred(fd, &uc)) < 0)
		return r;
	return uc.uid == geteuid() || uc.uid == 0 ? 0 : -EPERM;
}

int
ipc_accept(int lfd)
{
	struct ucred uc;
	int fd, r;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		return -errno;
	}
	if ((r = ipc_peer_cred(fd, &uc)) < 0) {
		close(fd);
		return r;
	}
	if (uc.uid != geteuid() && uc.uid != 0) {
		log_warn("refused a connection from pid %ld uid %lu: only "
		    "uid %lu or root may connect", (long)uc.pid,
		    (unsigned long)uc.uid, (unsigned long)geteuid());
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* ---- frames ------------------------------------------------------------ */

static int
ipc_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return 0;
}

static int
ipc_send_common(int sock, int passfd, uint16_t type, const void *payload,
    size_t len)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	uint8_t hdr[FRAME_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *c;
	size_t total, sent = 0, off;
	ssize_t n;
	int r;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	if (payload == NULL && len > 0)
		return -EINVAL;
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	hdr[4] = (uint8_t)(type >> 8);
	hdr[5] = (uint8_t)type;
	total = FRAME_HDR_LEN + len;

	while (sent < total) {
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = iov;
		if (sent < FRAME_HDR_LEN) {
			iov[0].iov_base = hdr + sent;
			iov[0].iov_len = FRAME_HDR_LEN - sent;
			iov[1].iov_base = (void *)(uintptr_t)payload;
			iov[1].iov_len = len;
			mh.msg_iovlen = len > 0 ? 2 : 1;
		} else {
			off = sent - FRAME_HDR_LEN;
			iov[0].iov_base = (uint8_t *)(uintptr_t)payload + off;
			iov[0].iov_len = len - off;
			mh.msg_iovlen = 1;
		}
		/* The descriptor rides on the first byte of the header. */
		if (passfd >= 0 && sent == 0) {
			memset(&cm, 0, sizeof cm);
			mh.msg_control = cm.buf;
			mh.msg_controllen = sizeof cm.buf;
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &passfd, sizeof(int));
		}
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if ((r = ipc_wait(sock, POLLOUT, -1)) < 0)
					return r;
				continue;
			}
			return -errno;
		}
		sent += (size_t)n;
	}
	return 0;
}

int
ipc_send_frame(int fd, uint16_t type, const void *payload, size_t len)
{
	return ipc_send_common(fd, -1, type, payload, len);
}

int
ipc_send_fd(int sock, int fd, uint16_t type, const void *payload, size_t len)
{
	if (fd < 0)
		return -EBADF;
	return ipc_send_common(sock, fd, type, payload, len);
}

/* The state of one frame being received. */
struct ipc_rx {
	int		sock;
	int		want_fd;	/* the caller takes a descriptor */
	int		fd;		/* the descriptor received, or -1 */
	int		bad;		/* more than one, or cut off */
	size_t		got;		/* bytes of the frame read so far */
	int		has_deadline;
	struct timespec	deadline;	/* CLOCK_MONOTONIC */
};

/* Milliseconds left before the deadline (rounded up), -1 with none. */
static int
ipc_rx_left(const struct ipc_rx *rx)
{
	struct timespec now;
	long long ms;

	if (!rx->has_deadline)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(rx->deadline.tv_sec - now.tv_sec) * 1000 +
	    (rx->deadline.tv_nsec - now.tv_nsec + 999999) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void
ipc_rx_cmsgs(struct ipc_rx *rx, struct msghdr *mh)
{
	struct cmsghdr *c;
	size_t i, nfds;
	int fd;

	if (mh->msg_flags & MSG_CTRUNC)
		rx->bad = 1;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (rx->want_fd && rx->fd < 0 && !rx->bad) {
				rx->fd = fd;
				continue;
			}
			close(fd);
			if (rx->want_fd)
				rx->bad = 1;
		}
	}
}

/*
 * Reads exactly n bytes of the frame.  0, or 1 when the peer closed before
 * the frame's first byte, or a negative errno.
 */
static int
ipc_rx_read(struct ipc_rx *rx, uint8_t *buf, size_t n)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(IPC_RX_FDS * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	ssize_t k;
	int left, r;

	while (n > 0) {
		iov.iov_base = buf;
		iov.iov_len = n;
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		k = recvmsg(rx->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (k > 0) {
			ipc_rx_cmsgs(rx, &mh);
			buf += k;
			n -= (size_t)k;
			rx->got += (size_t)k;
			continue;
		}
		if (k == 0)
			return rx->got == 0 ? 1 : -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((left = ipc_rx_left(rx)) == 0)
			return -ETIMEDOUT;
		if ((r = ipc_wait(rx->sock, POLLIN, left)) < 0)
			return r;
	}
	return 0;
}

static int
ipc_recv_common(int sock, int *fdp, struct wbuf *payload, uint16_t *type,
    size_t maxlen, int timeout_ms)
{
	struct ipc_rx rx;
	uint8_t hdr[FRAME_HDR_LEN], *p;
	uint32_t len;
	int r;

	memset(&rx, 0, sizeof rx);
	rx.sock = sock;
	rx.fd = -1;
	rx.want_fd = fdp != NULL;
	if (fdp != NULL)
		*fdp = -1;
	if (payload == NULL || type == NULL || payload->view)
		return -EINVAL;
	if (maxlen > (size_t)INT32_MAX - FRAME_HDR_LEN)
		maxlen = (size_t)INT32_MAX - FRAME_HDR_LEN;
	if (timeout_ms >= 0) {
		rx.has_deadline = 1;
		clock_gettime(CLOCK_MONOTONIC, &rx.deadline);
		rx.deadline.tv_sec += timeout_ms / 1000;
		rx.deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (rx.deadline.tv_nsec >= 1000000000) {
			rx.deadline.tv_sec++;
			rx.deadline.tv_nsec -= 1000000000;
		}
	}
	wbuf_reset(payload);

	if ((r = ipc_rx_read(&rx, hdr, sizeof hdr)) != 0) {
		if (r == 1)
			r = 0;		/* closed between frames */
		goto out;
	}
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (len > maxlen) {
		r = -EMSGSIZE;
		goto out;
	}
	if ((r = wbuf_reserve(payload, len, &p)) < 0)
		goto out;
	if ((r = ipc_rx_read(&rx, p, len)) != 0) {
		wbuf_reset(payload);
		goto out;
	}
	if (rx.bad) {
		wbuf_reset(payload);
		r = -EBADMSG;
		goto out;
	}
	*type = (uint16_t)(hdr[4] << 8 | hdr[5]);
	if (fdp != NULL) {
		*fdp = rx.fd;
		rx.fd = -1;
	}
	r = (int)(FRAME_HDR_LEN + len);
out:
	if (rx.fd >= 0)
		close(rx.fd);
	return r;
}

int
ipc_recv_frame(int fd, struct wbuf *payload, uint16_t *type, size_t maxlen,
    int timeout_ms)
{
	return ipc_recv_common(fd, NULL, payload, type, maxlen, timeout_ms);
}

int
ipc_recv_fd(int sock, int *fdp, struct wbuf *payload, uint16_t *type,
    size_t maxlen, int timeout_ms)
{
	if (fdp == NULL)
		return -EINVAL;
	return ipc_recv_common(sock, fdp, payload, type, maxlen, timeout_ms);
}

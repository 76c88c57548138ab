/*
 * io: the program's reads and writes on a rock.  The kernel is always
 * asked with MSG_DONTWAIT; a program that wants to block waits here in
 * poll() on the data socket and the rock's event fd, so that a suspension
 * (heartbeats lost, or an error) wakes it, and it then waits for the
 * reconnection instead of seeing an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "edp/edp.h"
#include "librocks/real.h"
#include "librocks/rock.h"

/* Errors that mean the connection failed, not that the peer closed. */
static int
io_is_failure(int e)
{
	return e == ECONNRESET || e == EPIPE || e == ETIMEDOUT ||
	    e == EHOSTUNREACH || e == ENETUNREACH || e == ENETDOWN ||
	    e == EHOSTDOWN || e == ECONNABORTED;
}

static int
io_nonblocking(struct rock *r, int flags)
{
	return (flags & MSG_DONTWAIT) || r->nonblock;
}

/* Waits for events on the data socket, or for the rock to change state. */
static void
io_wait(struct rock *r, short events)
{
	struct pollfd p[2] = {
		{ .fd = r->fd, .events = events },
		{ .fd = r->evfd, .events = POLLIN },
	};

	(void)real.poll(p, 2, -1);
}

static size_t
io_iov_total(const struct msghdr *msg)
{
	size_t n = 0;

	for (size_t i = 0; i < msg->msg_iovlen; i++)
		n += msg->msg_iov[i].iov_len;
	return n;
}

ssize_t
rock_send(struct rock *r, const struct msghdr *msg, int flags)
{
	ssize_t n;
	int e;

	for (;;) {
		pthread_mutex_lock(&r->tx_lock);
		switch (r->state) {
		case ROCK_CONNECTED:
			if (r->shut_wr) {
				pthread_mutex_unlock(&r->tx_lock);
				if (!(flags & MSG_NOSIGNAL))
					raise(SIGPIPE);
				errno = EPIPE;
				return -1;
			}
			n = real.sendmsg(r->fd, msg, flags | MSG_DONTWAIT |
			    MSG_NOSIGNAL);
			if (n >= 0) {
				rock_ring_put(r, msg->msg_iov, (int)msg->msg_iovlen,
				    (size_t)n);
				r->sent += (uint64_t)n;
				pthread_mutex_unlock(&r->tx_lock);
				return n;
			}
			e = errno;
			pthread_mutex_unlock(&r->tx_lock);
			if (e == EAGAIN || e == EWOULDBLOCK) {
				if (io_nonblocking(r, flags)) {
					errno = EAGAIN;
					return -1;
				}
				io_wait(r, POLLOUT);
				continue;
			}
			if (io_is_failure(e) && !r->peer_eof) {
				rock_suspend(r, "sending failed: %s", strerror(e));
				continue;
			}
			if (e == EPIPE && !(flags & MSG_NOSIGNAL))
				raise(SIGPIPE);
			errno = e;
			return -1;
		case ROCK_SUSPENDED:
			pthread_mutex_unlock(&r->tx_lock);
			if (io_nonblocking(r, flags)) {
				errno = EAGAIN;
				return -1;
			}
			rock_wait_resumed(r);
			continue;
		default:
			pthread_mutex_unlock(&r->tx_lock);
			errno = r->err ? r->err : ECONNRESET;
			return -1;
		}
	}
}

/* Copies from the salvage buffer into msg; returns the count. */
static size_t
io_from_salvage(struct rock *r, struct msghdr *msg, int peek)
{
	size_t avail = r->salv_len - r->salv_off, done = 0, chunk;

	for (size_t i = 0; i < msg->msg_iovlen && done < avail; i++) {
		chunk = msg->msg_iov[i].iov_len;
		if (chunk > avail - done)
			chunk = avail - done;
		memcpy(msg->msg_iov[i].iov_base, r->salv + r->salv_off + done,
		    chunk);
		done += chunk;
	}
	if (!peek) {
		r->salv_off += done;
		if (r->salv_off == r->salv_len)
			rock_salv_changed(r);
	}
	return done;
}

/* Appends the first n bytes of msg's buffers to the salvage buffer. */
static void
io_to_salvage(struct rock *r, const struct msghdr *msg, size_t n)
{
	size_t chunk;

	for (size_t i = 0; i < msg->msg_iovlen && n > 0; i++) {
		chunk = msg->msg_iov[i].iov_len < n ? msg->msg_iov[i].iov_len : n;
		(void)rock_salv_put(r, msg->msg_iov[i].iov_base, chunk);
		n -= chunk;
	}
}

ssize_t
rock_recv(struct rock *r, struct msghdr *msg, int flags)
{
	int peek = flags & MSG_PEEK;
	ssize_t n;
	int e;

	if (io_iov_total(msg) == 0)
		return 0;
	for (;;) {
		pthread_mutex_lock(&r->rx_lock);
		if (r->salv_off < r->salv_len) {
			n = (ssize_t)io_from_salvage(r, msg, peek);
			pthread_mutex_unlock(&r->rx_lock);
			return n;
		}
		switch (r->state) {
		case ROCK_CONNECTED:
			if (!io_nonblocking(r, flags)) {
				/*
				 * Blocking: one system call, as without rocks.  A
				 * suspension wakes us with shutdown(SHUT_RD), which
				 * reads as an end-of-file while the rock is not
				 * connected, and waits for us before it salvages.
				 */
				r->kreaders++;
				pthread_mutex_unlock(&r->rx_lock);
				n = real.recvmsg(r->fd, msg, flags & ~MSG_WAITALL);
				e = errno;
				pthread_mutex_lock(&r->rx_lock);
				r->kreaders--;
				if (r->kreaders == 0)
					pthread_cond_broadcast(&r->rx_cond);
			} else {
				n = real.recvmsg(r->fd, msg, (flags & ~MSG_WAITALL) |
				    MSG_DONTWAIT);
				e = errno;
			}
			if (n > 0 && r->state != ROCK_CONNECTED && !peek) {
				/*
				 * The rock was suspended while we were in the kernel:
				 * these bytes come before any the suspension salvages
				 * (it waits for us), so they go first in the buffer,
				 * which the program reads in order.
				 */
				io_to_salvage(r, msg, (size_t)n);
				r->rcvd += (uint64_t)n;
				pthread_mutex_unlock(&r->rx_lock);
				continue;
			}
			if (n > 0) {
				if (!peek)
					r->rcvd += (uint64_t)n;
				pthread_mutex_unlock(&r->rx_lock);
				return n;
			}
			if (n == 0 && r->state != ROCK_CONNECTED) {
				pthread_mutex_unlock(&r->rx_lock);
				continue;       /* woken by a suspension */
			}
			if (n == 0) {
				r->peer_eof = 1;
				pthread_mutex_unlock(&r->rx_lock);
				return 0;
			}
			pthread_mutex_unlock(&r->rx_lock);
			if (e == EINTR) {
				errno = EINTR;
				return -1;
			}
			if (e == EAGAIN || e == EWOULDBLOCK) {
				if (io_nonblocking(r, flags)) {
					errno = EAGAIN;
					return -1;
				}
				io_wait(r, POLLIN);
				continue;
			}
			if (r->state != ROCK_CONNECTED)
				continue;
			if (io_is_failure(e) && !r->peer_eof) {
				rock_suspend(r, "receiving failed: %s", strerror(e));
				continue;
			}
			errno = e;
			return -1;
		case ROCK_SUSPENDED:
			pthread_mutex_unlock(&r->rx_lock);
			if (r->peer_eof)
				return 0;
			if (io_nonblocking(r, flags)) {
				errno = EAGAIN;
				return -1;
			}
			rock_wait_resumed(r);
			continue;
		default:
			pthread_mutex_unlock(&r->rx_lock);
			if (r->peer_eof)
				return 0;
			errno = r->err ? r->err : ECONNRESET;
			return -1;
		}
	}
}

int
rock_fionread(struct rock *r, int *n)
{
	int k = 0;

	pthread_mutex_lock(&r->rx_lock);
	if (r->state == ROCK_CONNECTED && real.ioctl(r->fd, FIONREAD, &k) < 0)
		k = 0;
	*n = k + (int)(r->salv_len - r->salv_off);
	pthread_mutex_unlock(&r->rx_lock);
	return 0;
}

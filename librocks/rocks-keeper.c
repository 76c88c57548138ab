/*
 * rocks-keeper: holds one rock for processes that share it after fork
 * (keep.c starts it; not a command for people).  It is built from
 * librocks's objects, so its start-up takes the rock over from the state
 * on fd 4 (EVICT_ROCKS_STATE, exec.c) as fd 3, with its own control thread
 * and port; then it relays the rock's stream to and from fd 5, one end of
 * the Unix socket pair whose other end the processes have in the rock's
 * place.
 *
 *   rocks-keeper PID FD    PID and FD: whose rock (for ps and rockctl)
 *
 * The relay keeps at most KEEPER_BUF bytes each way (flow control reaches
 * both ends).  Half-closes pass through: end of input on one side becomes
 * shutdown(SHUT_WR) on the other.  Every process closing its end (a
 * hang-up on the pair) closes the rock, after what is still buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "librocks/rock.h"

#define KEEPER_BUF  65536
#define FD_ROCK     3
#define FD_PAIR     5

struct pipe_dir {
	int     from, to;
	uint8_t buf[KEEPER_BUF];
	size_t  off, len;
	int     eof;            /* no more input from `from` */
	int     shut;           /* `to` was shut down for writing */
};

static struct pipe_dir up, down;   /* up: pair to rock; down: rock to pair */

/* Reads what fits; -1 on an error that ends the relay. */
static int
dir_fill(struct pipe_dir *d)
{
	ssize_t n;

	if (d->eof || d->len == sizeof d->buf)
		return 0;
	n = read(d->from, d->buf + d->len, sizeof d->buf - d->len);
	if (n > 0)
		d->len += (size_t)n;
	else if (n == 0)
		d->eof = 1;
	else if (errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}

/* Writes what it holds; at the end of input, half-closes `to`. */
static int
dir_flush(struct pipe_dir *d)
{
	ssize_t n;

	if (d->off < d->len) {
		n = write(d->to, d->buf + d->off, d->len - d->off);
		if (n > 0)
			d->off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (d->off == d->len)
			d->off = d->len = 0;    /* room again for the next poll */
	}
	if (d->eof && d->off == d->len && !d->shut) {
		(void)shutdown(d->to, SHUT_WR);
		d->shut = 1;
	}
	return 0;
}

/* The rock's state; -1 when it is no longer a rock. */
static int
keeper_state(void)
{
	struct rock *r = rock_lookup(FD_ROCK);

	return r == NULL ? -1 : (int)r->state;
}

static void
keeper_run(void)
{
	struct pollfd p[2];
	int rc, hup = 0;

	for (;;) {
		p[0] = (struct pollfd){ .fd = FD_ROCK };
		p[1] = (struct pollfd){ .fd = FD_PAIR };
		if (!down.eof && down.len < sizeof down.buf)
			p[0].events |= POLLIN;
		if (up.off < up.len)
			p[0].events |= POLLOUT;
		if (!up.eof && up.len < sizeof up.buf)
			p[1].events |= POLLIN;
		if (down.off < down.len)
			p[1].events |= POLLOUT;
		rc = poll(p, 2, 1000);
		if (rc < 0 && errno != EINTR)
			return;
		if (p[1].revents & (POLLHUP | POLLERR))
			hup = 1;        /* every process closed its end */
		if (dir_fill(&down) < 0 || dir_fill(&up) < 0 ||
		    dir_flush(&up) < 0)
			return;
		if (!hup && dir_flush(&down) < 0)
			return;
		if (hup && up.eof && up.off == up.len)
			return;
		if (down.shut && up.shut)
			return;         /* both ways ended */
		if (keeper_state() == ROCK_CLOSED)
			return;         /* given up: the processes see the end */
	}
}

int
main(int argc, char **argv)
{
	struct rock *r;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: rocks-keeper PID FD (started by "
		    "librocks at fork)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((r = rock_lookup(FD_ROCK)) == NULL || r->state == ROCK_UNDECIDED) {
		log_error("rocks-keeper for process %s fd %s: no rock to keep",
		    argv[1], argv[2]);
		return 1;
	}
	if (write(FD_PAIR, "K", 1) != 1)
		return 1;
	log_info("rock %s of process %s kept by process %ld", argv[2], argv[1],
	    (long)getpid());
	(void)fcntl(FD_ROCK, F_SETFL, O_NONBLOCK);
	(void)fcntl(FD_PAIR, F_SETFL, O_NONBLOCK);
	up.from = down.to = FD_PAIR;
	up.to = down.from = FD_ROCK;
	keeper_run();
	close(FD_PAIR);
	/* a rock closed while suspended lives until it reconnects: so do we */
	for (i = 0; i < 3 * 24 * 3600 * 5 && keeper_state() == ROCK_SUSPENDED;
	    i++)
		(void)poll(NULL, 0, 200);
	close(FD_ROCK);
	/* the last bytes and the FIN: give them a moment to leave */
	(void)poll(NULL, 0, 200);
	return 0;
}

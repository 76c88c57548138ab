/*
 * ctl: the control thread.  It listens on the abstract socket
 * @evict-guievict-<uid>-<pid> (common/ipc: a peer that is neither the
 * program's owner nor root is closed at once), serves one client at a
 * time, and runs its commands (docs/protocol/guievict-ctl.md).  All
 * signals are blocked in it: the program's handlers never run here.
 * Between clients it closes old placeholder ends.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "guievict/lib/gv.h"

#define CTL_FRAME_MS	60000	/* a client that says nothing for so long */

static int
ctl_reply(int fd, uint16_t type, struct wbuf *b)
{
	return ipc_send_frame(fd, type, b->data, b->len);
}

static int
ctl_error(int fd, int err, const char *msg)
{
	struct wbuf b;
	int r;

	wbuf_init(&b, GVC_FRAME_MAX);
	gvc_put_error(&b, err, msg);
	r = ctl_reply(fd, GVC_ERROR, &b);
	wbuf_free(&b);
	return r;
}

static void
ctl_status(struct gvc_status *st)
{
	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&gv.lock);
	st->state = (uint8_t)gv.state;
	st->xfd = gv.fd;
	st->moves = gv.moves;
	snprintf(st->display, sizeof st->display, "%s", gv.display);
	snprintf(st->origin, sizeof st->origin, "%s", gv.origin);
	st->detach_us = gv.detach_us;
	st->attach_us = gv.attach_us;
	st->requests = gv.xl.st.requests;
	st->messages = gv.xl.st.messages;
	st->held = gbuf_used(&gv.hold);
	snprintf(st->note, sizeof st->note, "%s", gv.note);
	pthread_mutex_unlock(&gv.lock);
}

/* One client: hello, then commands until it closes. */
static void
ctl_serve(int fd)
{
	struct gvc_hello h;
	struct gvc_status st;
	struct gvc_cmd cmd;
	struct gvc_result res;
	struct wbuf in, out;
	uint16_t type;
	int r;

	wbuf_init(&in, GVC_FRAME_MAX);
	wbuf_init(&out, GVC_FRAME_MAX);
	r = ipc_recv_frame(fd, &in, &type, GVC_FRAME_MAX, CTL_FRAME_MS);
	if (r <= 0 || type != GVC_HELLO || gvc_get_hello(&in, &h, 0) != 0 ||
	    h.version != GVC_VERSION) {
		ctl_error(fd, -EPROTO, "expected a hello of protocol version "
		    "1");
		goto done;
	}
	memset(&h, 0, sizeof h);
	h.magic = GVC_MAGIC;
	h.version = GVC_VERSION;
	h.pid = (uint32_t)getpid();
	pthread_mutex_lock(&gv.lock);
	h.state = (uint8_t)gv.state;
	pthread_mutex_unlock(&gv.lock);
	gvc_put_hello(&out, &h, 1);
	if (ctl_reply(fd, GVC_HELLO_OK, &out) != 0)
		goto done;
	for (;;) {
		wbuf_reset(&in);
		wbuf_reset(&out);
		r = ipc_recv_frame(fd, &in, &type, GVC_FRAME_MAX, CTL_FRAME_MS);
		if (r <= 0)
			break;
		switch (type) {
		case GVC_STATUS:
			ctl_status(&st);
			gvc_put_status(&out, &st);
			r = ctl_reply(fd, GVC_STATUS_REPLY, &out);
			break;
		case GVC_DETACH:
		case GVC_ATTACH:
		case GVC_MOVE:
			if (gvc_get_cmd(&in, &cmd) != 0) {
				r = ctl_error(fd, -EBADMSG, "malformed command");
				break;
			}
			memset(&res, 0, sizeof res);
			gv.note[0] = '\0';
			if (type == GVC_DETACH)
				r = ops_detach(cmd.flags, &res);
			else if (type == GVC_ATTACH)
				r = ops_attach(&cmd, &res);
			else
				r = ops_move(&cmd, &res);
			if (r != 0 && res.err == 0)
				res.err = r;
			gvc_put_result(&out, &res);
			r = ctl_reply(fd, GVC_RESULT, &out);
			break;
		default:
			r = ctl_error(fd, -ENOSYS, "unknown request");
			break;
		}
		if (r != 0)
			break;
	}
done:
	wbuf_free(&in);
	wbuf_free(&out);
	close(fd);
}

static void *
ctl_main(void *arg)
{
	struct pollfd p;
	int fd;

	(void)arg;
	for (;;) {
		p.fd = gv.listen_fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 1000) > 0) {
			fd = ipc_accept(gv.listen_fd);
			if (fd >= 0)
				ctl_serve(fd);
		}
		pthread_mutex_lock(&gv.lock);
		ops_housekeeping();
		pthread_mutex_unlock(&gv.lock);
	}
	return NULL;
}

int
ctl_start(void)
{
	char name[108];
	pthread_t t;
	sigset_t all, old;
	int r;

	snprintf(name, sizeof name, GVC_SOCK_FMT, (unsigned)geteuid(),
	    (int)getpid());
	if ((gv.listen_fd = ipc_listen(name, 1, 4)) < 0)
		return gv.listen_fd;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, NULL, ctl_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		close(gv.listen_fd);
		gv.listen_fd = -1;
		return -r;
	}
	pthread_detach(t);
	return 0;
}

/* dclient: the runtime's connection to flacd; see rt.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/wbuf.h"
#include "flac/daemon/proto.h"
#include "flac/lang/ast.h"
#include "flac/rt/rt.h"
#include "flac/rt/session.h"

static pthread_mutex_t dc_mu = PTHREAD_MUTEX_INITIALIZER;
static int dc_fd = -1;
static pid_t dc_pid;
static uint32_t dc_session;
static int dc_moved;	/* a location change: load the session again */

static void
dc_drop(void)
{
	if (dc_fd >= 0)
		rt_ops.close(dc_fd);
	dc_fd = -1;
	dc_session = 0;
}

/*
 * One request, one reply (lock held).  A signal ends the wait for the
 * reply only when intr is set (a BLOCK, which can last): other requests
 * are short, and an open(2) of a file should not fail with EINTR.
 */
static int
dc_call(uint16_t type, const struct wbuf *req, struct wbuf *rep,
    uint16_t want, int intr)
{
	struct pollfd p = { .fd = dc_fd, .events = POLLIN };
	uint16_t got;
	int r;

	if ((r = ipc_send_frame(dc_fd, type, req->data, req->len)) < 0)
		return r;
	while ((r = poll(&p, 1, -1)) < 0)
		if (errno != EINTR || intr)
			return -errno;
	if ((r = ipc_recv_frame(dc_fd, rep, &got, FLACD_MAXFRAME, 30000)) <= 0)
		return r == 0 ? -ECONNRESET : r;
	return got == want ? 0 : -EPROTO;
}

/* Connects, says hello and loads the session (lock held). */
static int
dc_connect(void)
{
	struct session_image img;
	struct wbuf b, rep;
	int32_t v;
	int fd, r;

	if ((fd = ipc_connect(rt.daemon, 0)) < 0)
		return fd;
	if ((r = fcntl(fd, F_DUPFD_CLOEXEC, SESSION_FD_MIN)) >= 0) {
		rt_ops.close(fd);
		fd = r;
	}
	dc_fd = fd;
	dc_pid = getpid();
	wbuf_init(&b, FLACD_MAXFRAME);
	wbuf_init(&rep, FLACD_MAXFRAME);
	memset(&img, 0, sizeof img);
	if ((r = flacd_enc_hello(&b)) < 0 ||
	    (r = dc_call(FLACD_HELLO, &b, &rep, FLACD_HELLO, 0)) < 0 ||
	    (r = flacd_dec_hello(&rep)) < 0)
		goto out;
	if ((r = session_image_parse(rt.image, rt.imagelen, &img)) < 0)
		goto out;
	wbuf_reset(&b);
	if ((r = flacd_enc_load(&b, img.specname, img.src, img.srclen,
	    img.names, img.nnames, img.addrs, img.naddrs)) < 0 ||
	    (r = dc_call(FLACD_LOAD, &b, &rep, FLACD_RESULT, 0)) < 0 ||
	    (r = flacd_dec_result(&rep, &v)) < 0)
		goto out;
	if (v <= 0) {
		r = v < 0 ? v : -EPROTO;
		goto out;
	}
	dc_session = (uint32_t)v;
out:
	session_image_free(&img);
	wbuf_free(&b);
	wbuf_free(&rep);
	if (r < 0)
		dc_drop();
	return r;
}

int
dclient_xfer(int type, int mod, uint32_t psvc, const char *ppath,
    uint32_t ssvc, const char *spath, const char *vpath)
{
	struct wbuf b, rep;
	int32_t v = 0;
	int r;

	pthread_mutex_lock(&dc_mu);
	if (dc_fd >= 0 && dc_pid != getpid()) {
		/* the parent's connection: leave it to the parent */
		rt_ops.close(dc_fd);
		dc_fd = -1;
	}
	if (__atomic_exchange_n(&dc_moved, 0, __ATOMIC_ACQ_REL))
		dc_drop();	/* flacd's session is the old location's */
	if (dc_fd < 0 && (r = dc_connect()) < 0) {
		pthread_mutex_unlock(&dc_mu);
		log_once(EVLOG_WARN, "flacd at %s: %s; transfers that need it "
		    "fail (ENOTCONN) or, with IGNORE, go on without it",
		    rt.daemon, strerror(-r));
		return -ENOTCONN;
	}
	wbuf_init(&b, FLACD_MAXFRAME);
	wbuf_init(&rep, 64);
	if ((r = flacd_enc_xfer(&b, dc_session, mod, psvc, ppath, ssvc,
	    spath, vpath)) == 0 &&
	    (r = dc_call((uint16_t)type, &b, &rep, FLACD_RESULT,
	    mod == FLAC_MOD_BLOCK)) == 0)
		r = flacd_dec_result(&rep, &v);
	if (r < 0)
		dc_drop();	/* where the stream is is unknown */
	wbuf_free(&b);
	wbuf_free(&rep);
	pthread_mutex_unlock(&dc_mu);
	if (r == -EINTR)
		return -EINTR;
	return r < 0 ? -ENOTCONN : v;
}

void
dclient_child_reset(void)
{
	/* another thread may have held it at fork; the connection is the
	   parent's and is dropped at the next request (dc_pid) */
	pthread_mutex_init(&dc_mu, NULL);
}

void
dclient_relocated(void)
{
	__atomic_store_n(&dc_moved, 1, __ATOMIC_RELEASE);
}

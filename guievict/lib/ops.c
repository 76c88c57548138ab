/*
 * ops: detach, attach and move, run by the control thread.
 *
 *   sync      wait until the program is between requests, send the
 *             sentinel (GetGeometry of an id no server hands out) and read
 *             everything up to its BadDrawable; what came before it is kept
 *             for the program.  From here on nothing of the program's
 *             reaches the server until we let it.
 *   capture   a connection of our own to the same server: on the first
 *             detach, the program's space (its client range, every atom,
 *             every extension's codes); then its window session
 *             (guievict/xsession/capture.c).  A resource that cannot move
 *             refuses the command, and the program goes on where it was.
 *   close     the old server connection is replaced, on the same
 *             descriptor number, by a placeholder socket that is readable
 *             only when something waits for the program (detach);
 *   regen     a connection to the new server, the session made again
 *             (guievict/xsession/regen.c), the extensions and atoms of the
 *             program's space looked up there;
 *   switch    that connection's socket is taken from libxcb and put on the
 *             program's descriptor number; the translator gets the id
 *             maps; held requests go out; every window is cleared with
 *             exposures, so that the program repaints.
 *
 * Blocking xcb calls on our own connections run under a watchdog that
 * shuts the connection down when a server stops answering.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <xcb/res.h>
#include <xcb/xcb.h>

#include "common/log.h"
#include "guievict/lib/gv.h"
#include "guievict/xsession/capture.h"
#include "guievict/xsession/regen.h"

#define OPS_ATOM_BATCH	512
#define OPS_MAX_EPOLL	16

struct ops_regen {
	/* in: the program's space, copied under the lock */
	struct xl_ext	  pext[XL_MAX_EXT];
	int		  npext;
	char		**pnames;	/* pnames[i]: atom XL_PREDEF_ATOMS+1+i */
	size_t		  npnames;
	/* out */
	xcb_connection_t *c;
	struct xs_idmap	  map;
	uint32_t	  s_base, s_mask, s_next;
	uint64_t	  sseq;
	uint32_t	  root, colormap, visual;
	uint8_t		  min_keycode, max_keycode;
	struct { uint32_t p, s; } *atoms;
	size_t		  natoms;
	struct xl_ext	  ext[XL_MAX_EXT];
	int		  next;
	/* fonts left for later (gv.dfonts once switched), and their holder */
	const struct gv_auth *auth;
	struct gv_dfont	 *dfonts;
	size_t		  ndfonts;
	xcb_connection_t *dfont_c;
};

struct ops_epoll {
	int	 epfd;
	uint32_t events;
	uint64_t data;
};

static void
ops_cause(struct gvc_result *res, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ops_cause(struct gvc_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	res->err = err;
	va_start(ap, fmt);
	vsnprintf(res->cause, sizeof res->cause, fmt, ap);
	va_end(ap);
	snprintf(gv.note, sizeof gv.note, "%s", res->cause);
	log_info("%s", res->cause);
}

/* ---- watchdog ------------------------------------------------------------------ */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static int wd_fd = -1, wd_started;
static uint64_t wd_deadline_us;

static void *
ops_watchdog(void *arg)
{
	struct timespec ts;
	uint64_t now;

	(void)arg;
	pthread_mutex_lock(&wd_lock);
	for (;;) {
		if (wd_fd < 0) {
			pthread_cond_wait(&wd_cond, &wd_lock);
			continue;
		}
		now = gv_now_us();
		if (now >= wd_deadline_us) {
			log_warn("an X server did not answer in time: giving up "
			    "its connection");
			gv_real.shutdown(wd_fd, SHUT_RDWR);
			wd_fd = -1;
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)((wd_deadline_us - now) / 1000000u);
		ts.tv_nsec += (long)((wd_deadline_us - now) % 1000000u) * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
	}
	return NULL;
}

static void
ops_watch_fd(int fd, int ms)
{
	pthread_t t;
	sigset_t all, old;

	pthread_mutex_lock(&wd_lock);
	if (!wd_started) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (pthread_create(&t, NULL, ops_watchdog, NULL) == 0) {
			pthread_detach(t);
			wd_started = 1;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	wd_fd = fd;
	wd_deadline_us = gv_now_us() + (uint64_t)ms * 1000u;
	pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
}

static void
ops_watch(xcb_connection_t *c, int ms)
{
	ops_watch_fd(c != NULL ? xcb_get_file_descriptor(c) : -1, ms);
}

static void
ops_unwatch(void)
{
	pthread_mutex_lock(&wd_lock);
	wd_fd = -1;
	pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
}

/* ---- connections ---------------------------------------------------------------- */

int
ops_display_of_fd(int fd, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	const char *path;
	int n, port;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return -errno;
	if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		path = un->sun_path[0] == '\0' ? un->sun_path + 1 : un->sun_path;
		if (sscanf(path, "/tmp/.X11-unix/X%d", &n) == 1 && n >= 0) {
			snprintf(out, outsz, ":%d", n);
			return 0;
		}
		return -ENOENT;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		port = ntohs(in->sin_port);
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		if (port >= 6000 && port < 6064) {
			snprintf(out, outsz, "%s:%d", host, port - 6000);
			return 0;
		}
	}
	return -ENOENT;
}

static xcb_connection_t *
ops_connect(const char *display, const struct gv_auth *a,
    struct gvc_result *res)
{
	xcb_connection_t *c;
	xcb_auth_info_t ai;
	int screen = 0, e;

	if (a != NULL && a->set) {
		ai.namelen = a->name_len;
		ai.name = (char *)(uintptr_t)a->name;
		ai.datalen = a->data_len;
		ai.data = (char *)(uintptr_t)a->data;
		c = xcb_connect_to_display_with_auth_info(display, &ai, &screen);
	} else {
		c = xcb_connect(display, &screen);
	}
	if ((e = xcb_connection_has_error(c)) != 0) {
		ops_cause(res, -ECONNREFUSED, "cannot open display %s (%s)",
		    display, e == XCB_CONN_CLOSED_PARSE_ERR ? "bad display name" :
		    e == XCB_CONN_ERROR ? "no X server answers there, it refused "
		    "us (check XAUTHORITY or --xauth), or its answer made no "
		    "sense" : "connection failed");
		xcb_disconnect(c);
		return NULL;
	}
	if (screen != 0) {
		ops_cause(res, -ENOTSUP, "display %s: only screen 0 is "
		    "supported", display);
		xcb_disconnect(c);
		return NULL;
	}
	return c;
}

/*
 * One more connection to the server c talks to, with the same cookie
 * (NULL on failure).  Made on a socket of ours so that the watchdog bounds
 * its setup too: a server that answered c but stalls a new client must
 * not hang the command.  c is watched again afterwards.
 */
static xcb_connection_t *
ops_connect_again(xcb_connection_t *c, const struct gv_auth *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	xcb_connection_t *h;
	xcb_auth_info_t ai;
	int fd, one = 1;

	if (getpeername(xcb_get_file_descriptor(c), (struct sockaddr *)&ss,
	    &sl) != 0 ||
	    (fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	ops_watch_fd(fd, GV_XOP_MS);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		ops_watch(c, GV_XOP_MS);
		gv_real.close(fd);
		return NULL;
	}
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (a != NULL && a->set) {
		ai.namelen = a->name_len;
		ai.name = (char *)(uintptr_t)a->name;
		ai.datalen = a->data_len;
		ai.data = (char *)(uintptr_t)a->data;
	}
	h = xcb_connect_to_fd(fd, a != NULL && a->set ? &ai : NULL);
	ops_watch(c, GV_XOP_MS);
	if (xcb_connection_has_error(h)) {
		xcb_disconnect(h);
		return NULL;
	}
	return h;
}

/* ---- epoll sets that watch the descriptor --------------------------------------- */

/*
 * Replacing the file behind a descriptor number drops it from the
 * program's epoll sets (they watch the file); read them from
 * /proc/self/fdinfo before, and add the new file after.
 */
static size_t
ops_epoll_save(int fd, struct ops_epoll *v, size_t max)
{
	char path[64], link[64], buf[4096], *p, *end;
	unsigned long long data;
	unsigned int events;
	struct dirent *de;
	int tfd, e, rfd;
	size_t n = 0;
	ssize_t len;
	DIR *dir;

	/* the descriptors there are, not every number (2.5 ms for 1024) */
	if ((dir = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL && n < max) {
		e = (int)strtol(de->d_name, &end, 10);
		if (end == de->d_name || *end != '\0' || e == dirfd(dir))
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%d", e);
		len = readlink(path, link, sizeof link - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, "anon_inode:[eventpoll]") != 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/fdinfo/%d", e);
		if ((rfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(rfd, buf, sizeof buf - 1);
		close(rfd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (p = buf; (p = strstr(p, "tfd:")) != NULL; p++) {
			if (sscanf(p, "tfd: %d events: %x data: %llx", &tfd,
			    &events, &data) == 3 && tfd == fd && n < max) {
				v[n].epfd = e;
				v[n].events = events;
				v[n].data = data;
				n++;
			}
		}
	}
	closedir(dir);
	return n;
}

static void
ops_epoll_restore(int fd, const struct ops_epoll *v, size_t n)
{
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < n; i++) {
		ev.events = v[i].events;
		ev.data.u64 = v[i].data;
		if (epoll_ctl(v[i].epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
		    errno != EEXIST)
			log_warn("epoll set %d: cannot watch the new X "
			    "connection: %s", v[i].epfd, strerror(errno));
	}
}

/*
 * Puts file newfd on the program's descriptor number (lock held) and
 * returns a descriptor of ours for the file it replaced (or -errno).
 *
 * A poll() or select() of the program's in progress stays registered on
 * the old file only: when something wakes it, the kernel looks at the
 * descriptor again (now the new file) but does not register there, so if
 * the new file is not ready at that moment the call sleeps on the old one
 * for good.  A shutdown of our side does not wake it (measured: AF_UNIX
 * does not), and a hang-up would make libxcb give the connection up.  So
 * the caller first makes the new file readable, then calls ops_wake_old():
 * the woken call finds the new file ready and returns, and the program's
 * next call registers on the new file.
 */
static int
ops_replace_fd(int newfd)
{
	struct ops_epoll ep[OPS_MAX_EPOLL];
	size_t nep = ops_epoll_save(gv.fd, ep, OPS_MAX_EPOLL);
	int oldfd;

	if ((oldfd = fcntl(gv.fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	if (dup3(newfd, gv.fd, gv.fd_cloexec ? O_CLOEXEC : 0) < 0) {
		gv_real.close(oldfd);
		return -errno;
	}
	ops_epoll_restore(gv.fd, ep, nep);
	return oldfd;
}

/*
 * Wakes a poll left on an old server connection: the server's answer to a
 * GetInputFocus makes it readable.  Our descriptor of it is closed; the
 * server sees the connection end once no poll holds it any more.
 */
static void
ops_wake_old(int oldfd)
{
	uint8_t req[4];

	if (oldfd < 0)
		return;
	xl_kick_req(&gv.xl, req);
	if (gv_real.write(oldfd, req, sizeof req) != sizeof req)
		log_debug("could not wake pollers of the old connection");
	gv_real.close(oldfd);
}

/* Waits (bounded) until the program's descriptor is readable. */
static void
ops_wait_readable(int ms)
{
	struct pollfd p;

	p.fd = gv.fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, ms) <= 0)
		log_debug("the new connection had nothing to read in %d ms", ms);
}

static void
ops_retire_placeholder(void)
{
	int i;

	if (gv.ph_wr < 0)
		return;
	/* wake anyone still polling the placeholder, close it later */
	gv_real.write(gv.ph_wr, "k", 1);
	for (i = 0; i < 8; i++) {
		if (gv.retired[i] < 0) {
			gv.retired[i] = gv.ph_wr;
			gv.retired_at[i] = gv_now_us();
			gv.ph_wr = -1;
			return;
		}
	}
	gv_real.close(gv.ph_wr);
	gv.ph_wr = -1;
}

static void ops_dfonts_free(struct gv_dfont *v, size_t n,
    xcb_connection_t *c);

void
ops_housekeeping(void)
{
	uint64_t now = gv_now_us();
	int i;

	for (i = 0; i < 8; i++) {
		if (gv.retired[i] >= 0 && now - gv.retired_at[i] > 5000000u) {
			gv_real.close(gv.retired[i]);
			gv.retired[i] = -1;
		}
	}
	/* the program let its connection go: our font holder goes too */
	if (gv.state == GVC_ST_GONE && gv.dfont_c != NULL) {
		ops_dfonts_free(gv.dfonts, gv.ndfonts, gv.dfont_c);
		gv.dfonts = NULL;
		gv.ndfonts = 0;
		gv.dfont_c = NULL;
	}
}

/* ---- sync ------------------------------------------------------------------------- */

static int
ops_wait_boundary(struct gvc_result *res)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += GV_BOUNDARY_MS / 1000;
	ts.tv_nsec += (GV_BOUNDARY_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (!(xl_c2s_at_boundary(&gv.xl) && gbuf_used(&gv.cin) == 0)) {
		if (gv.xl.c_broken) {
			ops_cause(res, -EPROTO, "the program's request stream "
			    "could not be followed");
			return -EPROTO;
		}
		r = pthread_cond_timedwait(&gv.cond, &gv.lock, &ts);
		if (gv.state != GVC_ST_ATTACHED) {
			ops_cause(res, -ESTALE, "the program's X connection "
			    "went away");
			return -ESTALE;
		}
		if (r == ETIMEDOUT && !(xl_c2s_at_boundary(&gv.xl) &&
		    gbuf_used(&gv.cin) == 0)) {
			ops_cause(res, -EBUSY, "the program stayed in the "
			    "middle of a request for %d ms; try again",
			    GV_BOUNDARY_MS);
			return -EBUSY;
		}
	}
	return 0;
}

/* Sentinel, and everything up to its error into pend (lock held). */
static int
ops_sync(struct gvc_result *res)
{
	uint8_t req[8];
	struct pollfd pfd;
	uint64_t deadline;
	ssize_t n;
	int r, left;

	if ((r = ops_wait_boundary(res)) != 0)
		return r;
	if ((r = hook_flush_out(GV_SYNC_MS)) != 0) {
		ops_cause(res, r, "cannot write to the X server: %s",
		    strerror(-r));
		return r;
	}
	xl_sentinel_req(&gv.xl, req);
	if ((r = hook_inject(req, sizeof req, XL_TAG_SENTINEL)) != 0 ||
	    (r = hook_flush_out(GV_SYNC_MS)) != 0) {
		ops_cause(res, r, "cannot send the sentinel: %s", strerror(-r));
		return r;
	}
	gv.sync_done = 0;
	deadline = gv_now_us() + (uint64_t)GV_SYNC_MS * 1000u;
	while (!gv.sync_done) {
		uint64_t now = gv_now_us();

		if (now >= deadline) {
			ops_cause(res, -ETIMEDOUT, "the X server did not answer "
			    "the sentinel in %d ms", GV_SYNC_MS);
			return -ETIMEDOUT;
		}
		left = (int)((deadline - now) / 1000u) + 1;
		pfd.fd = gv.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -errno;
		if (pfd.revents == 0)
			continue;
		n = gv_real.recv(gv.fd, gbuf_room(&gv.sin, 1u << 16), 1u << 16,
		    MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			ops_cause(res, -EPIPE, "the X server closed the "
			    "connection during the sentinel");
			return -EPIPE;
		}
		gv.sin.len += (size_t)n;
		{
			size_t used, out;

			out = xl_s2c(&gv.xl, gv.sin.d + gv.sin.off,
			    gbuf_used(&gv.sin), &used);
			gbuf_append(&gv.pend, gv.sin.d + gv.sin.off, out);
			gbuf_consume(&gv.sin, used);
		}
	}
	log_debug("synchronized: %zu bytes kept for the program",
	    gbuf_used(&gv.pend));
	return 0;
}

/* ---- capture ---------------------------------------------------------------------- */

/* The program's client on its first server (X-Resource client ids). */
static int
ops_find_client(xcb_connection_t *c, uint32_t *base, struct gvc_result *res)
{
	xcb_res_client_id_spec_t spec = { 0, XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID };
	xcb_res_query_client_ids_reply_t *rep;
	xcb_res_client_id_value_iterator_t it;
	uint32_t mine = xcb_get_setup(c)->resource_id_base, found = 0;
	int n = 0;

	rep = xcb_res_query_client_ids_reply(c,
	    xcb_res_query_client_ids(c, 1, &spec), NULL);
	if (rep == NULL) {
		ops_cause(res, -ENOTSUP, "the X server cannot tell which "
		    "client is this program (no X-Resource 1.2)");
		return -ENOTSUP;
	}
	for (it = xcb_res_query_client_ids_ids_iterator(rep); it.rem;
	    xcb_res_client_id_value_next(&it)) {
		const xcb_res_client_id_value_t *v = it.data;

		if (!(v->spec.mask & XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID) ||
		    xcb_res_client_id_value_value_length(v) < 1)
			continue;
		if (xcb_res_client_id_value_value(v)[0] != (uint32_t)getpid() ||
		    v->spec.client == mine)
			continue;
		found = v->spec.client;
		n++;
	}
	free(rep);
	if (n != 1) {
		ops_cause(res, n ? -ENOTUNIQ : -ESRCH, n ? "this program has "
		    "%d connections to the display: cannot tell which" :
		    "the X server lists no client of process %d", n ? n :
		    (int)getpid());
		return n ? -ENOTUNIQ : -ESRCH;
	}
	*base = found;
	return 0;
}

/* Every atom and extension of the program's first server. */
static int
ops_snapshot(xcb_connection_t *c, uint32_t base, struct gvc_result *res)
{
	xcb_get_atom_name_cookie_t ck[OPS_ATOM_BATCH];
	xcb_get_atom_name_reply_t *ar;
	xcb_list_extensions_reply_t *le;
	xcb_str_iterator_t si;
	xcb_query_extension_cookie_t qc[XL_MAX_EXT];
	xcb_query_extension_reply_t *qr;
	char name[XL_EXT_NAME * 8], *names[XL_MAX_EXT];
	uint32_t a = XL_PREDEF_ATOMS + 1, i;
	int done = 0, n = 0, k, len;

	xl_set_program_range(&gv.xl, base, xcb_get_setup(c)->resource_id_mask);
	while (!done && a < (1u << 20)) {
		for (i = 0; i < OPS_ATOM_BATCH; i++)
			ck[i] = xcb_get_atom_name(c, a + i);
		for (i = 0; i < OPS_ATOM_BATCH; i++) {
			ar = xcb_get_atom_name_reply(c, ck[i], NULL);
			if (ar == NULL) {
				done = 1;	/* the first BadAtom: the end */
				continue;
			}
			if (!done) {
				len = xcb_get_atom_name_name_length(ar);
				if (len >= (int)sizeof name)
					len = (int)sizeof name - 1;
				memcpy(name, xcb_get_atom_name_name(ar),
				    (size_t)len);
				name[len] = '\0';
				xl_name_atom(&gv.xl, a + i, name);
			}
			free(ar);
		}
		a += OPS_ATOM_BATCH;
	}
	le = xcb_list_extensions_reply(c, xcb_list_extensions(c), NULL);
	if (le == NULL) {
		ops_cause(res, -EIO, "ListExtensions failed");
		return -EIO;
	}
	for (si = xcb_list_extensions_names_iterator(le); si.rem &&
	    n < XL_MAX_EXT; xcb_str_next(&si)) {
		len = xcb_str_name_length(si.data);
		if (len >= XL_EXT_NAME)
			continue;
		names[n] = strndup(xcb_str_name(si.data), (size_t)len);
		if (names[n] == NULL)
			continue;
		qc[n] = xcb_query_extension(c, (uint16_t)len, names[n]);
		n++;
	}
	free(le);
	for (k = 0; k < n; k++) {
		qr = xcb_query_extension_reply(c, qc[k], NULL);
		if (qr != NULL && qr->present)
			xl_ext_program(&gv.xl, names[k], qr->major_opcode,
			    qr->first_event, qr->first_error);
		free(qr);
		free(names[k]);
	}
	gv.p_root = xcb_setup_roots_iterator(xcb_get_setup(c)).data->root;
	gv.snapshot_done = 1;
	log_debug("program space: client 0x%x, %u atoms, %d extensions", base,
	    gv.xl.p_atom_next - 1, gv.xl.next);
	return 0;
}

/* Names of atoms the program got from a server we never asked (moved). */
static void
ops_name_atoms(xcb_connection_t *c)
{
	xcb_get_atom_name_reply_t *ar;
	xcb_get_atom_name_cookie_t ck;
	uint32_t p, s;
	char name[1024];
	int len;

	for (p = XL_PREDEF_ATOMS + 1; p < gv.xl.p_atom_next; p++) {
		if (xl_atom_name(&gv.xl, p) != NULL)
			continue;
		s = xl_atom_p2s(&gv.xl, p);
		if (s == p && !u32map_get(&gv.xl.atom_p2s, p, NULL))
			continue;
		ck = xcb_get_atom_name(c, s);
		ar = xcb_get_atom_name_reply(c, ck, NULL);
		if (ar == NULL)
			continue;
		len = xcb_get_atom_name_name_length(ar);
		if (len >= (int)sizeof name)
			len = (int)sizeof name - 1;
		memcpy(name, xcb_get_atom_name_name(ar), (size_t)len);
		name[len] = '\0';
		xl_name_atom(&gv.xl, p, name);
		free(ar);
	}
}

/* Capture hints: fonts we opened by name at the last attach. */
static int
ops_font_hint(void *arg, uint32_t id, struct xs_fontgeom *geom, char **name)
{
	size_t i;

	(void)arg;
	if (u32map_get(&gv.xl.hint_dirty, id, NULL))
		return 0;
	for (i = 0; i < gv.nhints; i++) {
		if (gv.hints[i].id != id)
			continue;
		if ((*name = strdup(gv.hints[i].name)) == NULL)
			return 0;
		*geom = gv.hints[i].geom;
		return 1;
	}
	return 0;
}

/*
 * Capture hints: backgrounds and borders of the windows we made, as the
 * program set them since (the translator saw its ChangeWindowAttributes),
 * else as we made them.
 */
static int
ops_window_hint(void *arg, struct xs_window *w, int what)
{
	uint32_t kind, pix;
	size_t i;

	(void)arg;
	if (u32map_get(&gv.xl.hint_dirty, w->id, NULL))
		return 0;
	if (what == XS_HINT_BACKGROUND &&
	    u32map_get(&gv.xl.win_bg, w->id, &kind)) {
		if (kind == XL_BG_UNKNOWN)
			return 0;
		w->bg_kind = kind == XL_BG_NONE ? XS_BG_NONE : XS_BG_PIXEL;
		w->bg_pixel = u32map_get(&gv.xl.win_bg_pixel, w->id, &pix) ?
		    pix : 0;
		return 1;
	}
	if (what == XS_HINT_BORDER && u32map_get(&gv.xl.win_bd, w->id, &kind)) {
		if (kind == XL_BG_UNKNOWN)
			return 0;
		w->border_known = 1;
		w->border_pixel = u32map_get(&gv.xl.win_bd_pixel, w->id, &pix) ?
		    pix : 0;
		return 1;
	}
	for (i = 0; i < gv.nwhints; i++) {
		if (gv.whints[i].id != w->id)
			continue;
		if (what == XS_HINT_BACKGROUND) {
			w->bg_kind = gv.whints[i].bg_kind;
			w->bg_pixel = gv.whints[i].bg_pixel;
			return 1;
		}
		if (what == XS_HINT_BORDER && gv.whints[i].border_known) {
			w->border_known = 1;
			w->border_pixel = gv.whints[i].border_pixel;
			return 1;
		}
		return 0;
	}
	return 0;
}

/*
 * Capture hints: the passive grabs we made at the last attach, if the
 * program grabbed or ungrabbed nothing since (capture checks the count).
 */
static int
ops_grab_hint(void *arg, struct xs_session *s)
{
	struct xs_grab *g;
	size_t i, j;

	(void)arg;
	if (gv.xl.grabs_dirty || gv.ghints == NULL)
		return 0;
	for (i = 0; i < gv.nghints; i++) {
		for (j = 0; j < s->nwindows; j++)
			if (s->windows[j].id == gv.ghints[i].window)
				break;
		if (j == s->nwindows)
			continue;      /* its window is gone, and the grab */
		if ((g = xs_session_add_grab(s)) == NULL)
			return 0;
		*g = gv.ghints[i];
	}
	return 1;
}

/*
 * Capture hints: a GC we made at the last attach, with what the program
 * set on it since (the translator followed its ChangeGCs); not one it
 * created again, gave a font, tile, stipple, clip or dashes, or copied to.
 */
static int
ops_gc_hint(void *arg, struct xs_gc *g)
{
	const struct xl_gcset *ch;
	size_t i;
	int b;

	(void)arg;
	if (u32map_get(&gv.xl.hint_dirty, g->id, NULL) ||
	    u32map_get(&gv.xl.gc_dirty, g->id, NULL))
		return 0;
	for (i = 0; i < gv.ngchints && gv.gchints[i].id != g->id; i++)
		;
	if (i == gv.ngchints)
		return 0;
	ch = xl_gc_changes(&gv.xl, g->id);
	if (ch != NULL && (ch->mask & 1u << XS_GC_FILL_STYLE) &&
	    ch->v[XS_GC_FILL_STYLE] != XCB_FILL_STYLE_SOLID)
		return 0;      /* a tile or stipple we never saw */
	if (gv.gchints[i].ndashes > 0) {
		if ((g->dashes = malloc(gv.gchints[i].ndashes)) == NULL)
			return 0;
		memcpy(g->dashes, gv.gchints[i].dashes, gv.gchints[i].ndashes);
		g->ndashes = gv.gchints[i].ndashes;
	}
	g->depth = gv.gchints[i].depth;
	g->known = gv.gchints[i].known & ~(1u << XS_GC_FONT);
	memcpy(g->values, gv.gchints[i].values, sizeof g->values);
	for (b = 0; ch != NULL && b < XS_GC_NVALUES && b < XL_GC_NVALUES; b++) {
		if (!(ch->mask & 1u << b))
			continue;
		g->values[b] = ch->v[b];
		g->known |= 1u << b;
	}
	return 1;
}

static void
ops_hints_clear(void)
{
	size_t i;

	for (i = 0; i < gv.nhints; i++)
		free(gv.hints[i].name);
	free(gv.hints);
	gv.hints = NULL;
	gv.nhints = 0;
	free(gv.whints);
	gv.whints = NULL;
	gv.nwhints = 0;
	free(gv.ghints);
	gv.ghints = NULL;
	gv.nghints = 0;
	for (i = 0; i < gv.ngchints; i++)
		free(gv.gchints[i].dashes);
	free(gv.gchints);
	gv.gchints = NULL;
	gv.ngchints = 0;
}

/* After an attach: what we know of the fonts we opened (lock held). */
static void
ops_hints_make(const struct xs_session *s, const struct xs_idmap *map)
{
	size_t i, k, n = 0;
	uint32_t id;

	ops_hints_clear();
	gv.hints = calloc(s->nfonts + s->ngcs + 1, sizeof *gv.hints);
	if (gv.hints == NULL)
		return;
	for (i = 0; i < s->nfonts; i++) {
		id = xs_idmap_get(map, XS_ID_FONT, s->fonts[i].id);
		if (id == 0 || s->fonts[i].name == NULL ||
		    (gv.hints[n].name = strdup(s->fonts[i].name)) == NULL)
			continue;
		gv.hints[n].id = id;
		gv.hints[n].geom = s->fonts[i].geom;
		n++;
	}
	for (i = 0; i < s->ngcs; i++) {
		id = xs_idmap_get(map, XS_ID_GC, s->gcs[i].id);
		if (id == 0 || s->gcs[i].font_name == NULL ||
		    (gv.hints[n].name = strdup(s->gcs[i].font_name)) == NULL)
			continue;
		gv.hints[n].id = id;
		for (k = 0; k < s->nfonts; k++)
			if (s->fonts[k].name != NULL &&
			    strcmp(s->fonts[k].name, s->gcs[i].font_name) == 0)
				gv.hints[n].geom = s->fonts[k].geom;
		n++;
	}
	gv.nhints = n;
	/* windows whose background is a pixel or None, and known borders */
	gv.whints = calloc(s->nwindows + 1, sizeof *gv.whints);
	if (gv.whints == NULL)
		return;
	for (i = 0, n = 0; i < s->nwindows; i++) {
		const struct xs_window *w = &s->windows[i];

		if (w->bg_kind != XS_BG_PIXEL && w->bg_kind != XS_BG_NONE)
			continue;
		if ((id = xs_idmap_get(map, XS_ID_WINDOW, w->id)) == 0)
			continue;
		gv.whints[n].id = id;
		gv.whints[n].bg_kind = w->bg_kind;
		gv.whints[n].bg_pixel = w->bg_pixel;
		gv.whints[n].border_known = w->border_known;
		gv.whints[n].border_pixel = w->border_pixel;
		n++;
	}
	gv.nwhints = n;
	/* passive grabs, on the windows we made */
	gv.ghints = calloc(s->ngrabs + 1, sizeof *gv.ghints);
	if (gv.ghints == NULL)
		return;
	for (i = 0, n = 0; i < s->ngrabs; i++) {
		if ((id = xs_idmap_get(map, XS_ID_WINDOW,
		    s->grabs[i].window)) == 0)
			continue;
		gv.ghints[n] = s->grabs[i];
		gv.ghints[n++].window = id;
	}
	gv.nghints = n;
	/* GCs without images (clip, tile, stipple: those are probed) */
	gv.gchints = calloc(s->ngcs + 1, sizeof *gv.gchints);
	if (gv.gchints == NULL)
		return;
	for (i = 0, n = 0; i < s->ngcs; i++) {
		const struct xs_gc *g = &s->gcs[i];
		struct xs_gc *h = &gv.gchints[n];

		if (g->clip.data != NULL || g->tile.data != NULL ||
		    g->stipple.data != NULL ||
		    (id = xs_idmap_get(map, XS_ID_GC, g->id)) == 0)
			continue;
		h->id = id;
		h->depth = g->depth;
		h->known = g->known;
		memcpy(h->values, g->values, sizeof h->values);
		if (g->ndashes > 0) {
			if ((h->dashes = malloc(g->ndashes)) == NULL)
				continue;
			memcpy(h->dashes, g->dashes, g->ndashes);
			h->ndashes = g->ndashes;
		}
		n++;
	}
	gv.ngchints = n;
	log_debug("capture hints: %zu fonts and GC fonts, %zu windows, %zu "
	    "passive grabs, %zu GCs", gv.nhints, gv.nwhints, gv.nghints,
	    gv.ngchints);
}

/* sync + capture (lock held); the program stays attached on failure. */
static int
ops_sync_capture(uint32_t flags, struct xs_session **sp, struct gvc_result *res)
{
	xcb_connection_t *c;
	uint32_t client;
	char *cause = NULL;
	int r, cf = XS_CAP_NO_CONTENTS;
	uint64_t t0 = gv_now_us(), t1, t2, t3 = 0;
	size_t i;

	if (gv.state != GVC_ST_ATTACHED) {
		ops_cause(res, -EALREADY, "the program is %s, not attached",
		    gvc_state_name(gv.state));
		return -EALREADY;
	}
	if ((r = ops_sync(res)) != 0)
		return r;
	t1 = gv_now_us();
	if ((c = ops_connect(gv.display, &gv.auth, res)) == NULL)
		return res->err;
	t2 = gv_now_us();
	ops_watch(c, GV_XOP_MS);
	if (!gv.snapshot_done) {
		if ((r = ops_find_client(c, &client, res)) != 0 ||
		    (r = ops_snapshot(c, client, res)) != 0)
			goto out;
	} else {
		client = gv.xl.translate ? gv.xl.s_base : gv.xl.p_base;
		ops_name_atoms(c);
	}
	t3 = gv_now_us();
	if (flags & GVC_F_PARTIAL)
		cf |= XS_CAP_PARTIAL;
	xs_capture_set_font_hint(gv.xl.translate ? ops_font_hint : NULL, NULL);
	xs_capture_set_window_hint(gv.xl.translate ? ops_window_hint : NULL,
	    NULL);
	xs_capture_set_grab_hint(gv.xl.translate ? ops_grab_hint : NULL, NULL);
	xs_capture_set_gc_hint(gv.xl.translate ? ops_gc_hint : NULL, NULL);
	r = xs_capture_flags(c, client, cf, sp, &cause);
	xs_capture_set_font_hint(NULL, NULL);
	xs_capture_set_window_hint(NULL, NULL);
	xs_capture_set_grab_hint(NULL, NULL);
	xs_capture_set_gc_hint(NULL, NULL);
	if (r != 0) {
		ops_cause(res, r, "%s", cause != NULL ? cause : strerror(-r));
		free(cause);
		goto out;
	}
	/* fonts left unopened (or opened by us): the program's all the same */
	for (i = 0; i < gv.ndfonts; i++) {
		struct xs_font *f = xs_session_add_font(*sp);

		if (f == NULL || (f->name = strdup(gv.dfonts[i].name)) == NULL) {
			r = -ENOMEM;
			ops_cause(res, r, "out of memory");
			goto out;
		}
		f->id = gv.dfonts[i].id;
		f->geom = gv.dfonts[i].geom;
	}
	for (i = 0; i < (*sp)->nlosses && res->nlosses < GVC_MAX_LOSSES; i++)
		snprintf(res->losses[res->nlosses++], sizeof res->losses[0],
		    "%u %s: %s", (*sp)->losses[i].count, (*sp)->losses[i].type,
		    (*sp)->losses[i].what);
out:
	ops_unwatch();
	xcb_disconnect(c);
	log_debug("sync %llu us, connect %llu, program's space %llu, capture "
	    "and close %llu us", (unsigned long long)(t1 - t0),
	    (unsigned long long)(t2 - t1), (unsigned long long)(t3 - t2),
	    (unsigned long long)(gv_now_us() - t3));
	return r;
}

/* The old connection gives way to a placeholder (lock held). */
static int
ops_to_placeholder(void)
{
	int ph[2], oldfd;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ph) != 0)
		return -errno;
	fcntl(ph[0], F_SETFL, O_NONBLOCK);
	oldfd = ops_replace_fd(ph[0]);
	gv_real.close(ph[0]);
	if (oldfd < 0) {
		gv_real.close(ph[1]);
		return oldfd;
	}
	gv.ph_wr = ph[1];
	gv.sin.off = gv.sin.len = 0;
	gv.out.off = gv.out.len = 0;
	gv.state = GVC_ST_DETACHED;
	/* the placeholder readable first (a read drains it), then the wake */
	if (gv_real.write(gv.ph_wr, "k", 1) == 1)
		gv.ph_signaled = 1;
	ops_wake_old(oldfd);
	pthread_cond_broadcast(&gv.cond);
	return 0;
}

/* ---- regeneration and switch ----------------------------------------------------- */

static void
ops_dfonts_free(struct gv_dfont *v, size_t n, xcb_connection_t *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	if (c != NULL)
		xcb_disconnect(c);
}

/*
 * Regeneration's font deferral: a font no GC uses gets an id of a
 * connection of ours, to be opened there when the program first names it.
 */
static uint32_t
ops_font_defer(void *arg, const struct xs_font *f)
{
	struct ops_regen *g = arg;
	struct gv_dfont *v;
	uint32_t id;

	if (g->dfont_c == NULL &&
	    (g->dfont_c = ops_connect_again(g->c, g->auth)) == NULL)
		return 0;
	if ((v = realloc(g->dfonts, (g->ndfonts + 1) * sizeof *v)) == NULL)
		return 0;
	g->dfonts = v;
	id = xcb_generate_id(g->dfont_c);
	if (id == (uint32_t)-1 || (v[g->ndfonts].name = strdup(f->name)) == NULL)
		return 0;
	v[g->ndfonts].id = id;
	v[g->ndfonts].geom = f->geom;
	v[g->ndfonts].opened = 0;
	g->ndfonts++;
	return id;
}

/*
 * The translator met the first request naming a deferred font (lock held,
 * before the request is sent): open it, and wait for the server to have.
 */
static void
ops_font_needed(void *arg, uint32_t font)
{
	xcb_generic_error_t *e;
	uint64_t t = gv_now_us();
	size_t i;

	(void)arg;
	for (i = 0; i < gv.ndfonts && gv.dfonts[i].id != font; i++)
		;
	if (i == gv.ndfonts || gv.dfont_c == NULL || gv.dfonts[i].opened)
		return;
	gv.dfonts[i].opened = 1;
	e = xcb_request_check(gv.dfont_c, xcb_open_font_checked(gv.dfont_c,
	    font, (uint16_t)strlen(gv.dfonts[i].name), gv.dfonts[i].name));
	if (e != NULL || xcb_connection_has_error(gv.dfont_c))
		log_warn("cannot open font %s on %s (X error %d); the program "
		    "will get an error for it", gv.dfonts[i].name, gv.display,
		    e != NULL ? e->error_code : 0);
	else
		log_debug("opened deferred font %s in %llu us", gv.dfonts[i].name,
		    (unsigned long long)(gv_now_us() - t));
	free(e);
}

static void
ops_regen_free(struct ops_regen *g)
{
	size_t i;

	ops_dfonts_free(g->dfonts, g->ndfonts, g->dfont_c);
	if (g->c != NULL)
		xcb_disconnect(g->c);
	xs_idmap_free(&g->map);
	free(g->atoms);
	for (i = 0; i < g->npnames; i++)
		free(g->pnames[i]);
	free(g->pnames);
	memset(g, 0, sizeof *g);
}

/* What regeneration needs of the program's space (lock held). */
static int
ops_regen_prepare(struct ops_regen *g)
{
	uint32_t p;
	const char *nm;

	memset(g, 0, sizeof *g);
	xs_idmap_init(&g->map);
	memcpy(g->pext, gv.xl.ext, sizeof g->pext);
	g->npext = gv.xl.next;
	if (gv.xl.p_atom_next > XL_PREDEF_ATOMS + 1) {
		g->npnames = gv.xl.p_atom_next - XL_PREDEF_ATOMS - 1;
		if ((g->pnames = calloc(g->npnames, sizeof *g->pnames)) == NULL)
			return -ENOMEM;
		for (p = XL_PREDEF_ATOMS + 1; p < gv.xl.p_atom_next; p++)
			if ((nm = xl_atom_name(&gv.xl, p)) != NULL)
				g->pnames[p - XL_PREDEF_ATOMS - 1] = strdup(nm);
	}
	return 0;
}

/* The new server, made ready (no lock: the program keeps running). */
static int
ops_regen(const char *display, const struct gv_auth *auth,
    const struct xs_session *s, struct ops_regen *g, struct gvc_result *res)
{
	xcb_intern_atom_cookie_t *ick = NULL;
	xcb_query_extension_cookie_t qc[XL_MAX_EXT];
	xcb_intern_atom_reply_t *ir;
	xcb_query_extension_reply_t *qr;
	xcb_get_input_focus_cookie_t fc;
	const xcb_setup_t *su;
	xcb_screen_t *scr;
	char *cause = NULL;
	uint32_t id;
	size_t i;
	int r, k;

	uint64_t t0 = gv_now_us(), t1, t2;

	if ((g->c = ops_connect(display, auth, res)) == NULL)
		return res->err;
	t1 = gv_now_us();
	ops_watch(g->c, GV_XOP_MS);
	su = xcb_get_setup(g->c);
	scr = xcb_setup_roots_iterator(su).data;
	if (su->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST) {
		ops_cause(res, -ENOTSUP, "display %s sends images MSB first; "
		    "not supported", display);
		r = -ENOTSUP;
		goto fail;
	}
	/* the program may send BIG-REQUESTS: enable them here too */
	xcb_get_maximum_request_length(g->c);
	/* the program's extensions and atoms asked for first, their answers
	 * read after the regeneration (the server loads fonts meanwhile) */
	for (k = 0; k < g->npext; k++)
		if (g->pext[k].p_major != 0)
			qc[k] = xcb_query_extension(g->c,
			    (uint16_t)strlen(g->pext[k].name), g->pext[k].name);
	if (g->npnames > 0) {
		ick = calloc(g->npnames, sizeof *ick);
		g->atoms = calloc(g->npnames, sizeof *g->atoms);
		if (ick == NULL || g->atoms == NULL) {
			free(ick);
			ops_cause(res, -ENOMEM, "out of memory");
			r = -ENOMEM;
			goto fail;
		}
		for (i = 0; i < g->npnames; i++)
			if (g->pnames[i] != NULL)
				ick[i] = xcb_intern_atom(g->c, 0,
				    (uint16_t)strlen(g->pnames[i]), g->pnames[i]);
	}
	g->auth = auth;
	xs_regen_set_font_defer(ops_font_defer, g);
	r = xs_regenerate(g->c, s, &g->map, &cause);
	xs_regen_set_font_defer(NULL, NULL);
	if (r != 0) {
		ops_cause(res, r, "display %s: %s", display,
		    cause != NULL ? cause : strerror(-r));
		free(cause);
		free(ick);
		goto fail;
	}
	t2 = gv_now_us();
	for (k = 0; k < g->npext; k++) {
		g->ext[k] = g->pext[k];
		g->ext[k].s_major = g->ext[k].s_event = g->ext[k].s_error = 0;
		if (g->pext[k].p_major == 0)
			continue;
		qr = xcb_query_extension_reply(g->c, qc[k], NULL);
		if (qr != NULL && qr->present) {
			g->ext[k].s_major = qr->major_opcode;
			g->ext[k].s_event = qr->first_event;
			g->ext[k].s_error = qr->first_error;
		} else {
			log_info("display %s lacks extension %s", display,
			    g->pext[k].name);
		}
		free(qr);
	}
	g->next = g->npext;
	for (i = 0; ick != NULL && i < g->npnames; i++) {
		if (g->pnames[i] == NULL)
			continue;
		ir = xcb_intern_atom_reply(g->c, ick[i], NULL);
		if (ir != NULL && ir->atom != 0) {
			g->atoms[g->natoms].p = (uint32_t)(i + XL_PREDEF_ATOMS + 1);
			g->atoms[g->natoms].s = ir->atom;
			g->natoms++;
		}
		free(ir);
	}
	free(ick);
	fc = xcb_get_input_focus(g->c);
	free(xcb_get_input_focus_reply(g->c, fc, NULL));
	if (xcb_connection_has_error(g->c)) {
		ops_cause(res, -EPIPE, "display %s broke off during the attach "
		    "(it went away, or sent what libxcb could not read)",
		    display);
		r = -EPIPE;
		goto fail;
	}
	g->sseq = fc.sequence;
	id = xcb_generate_id(g->c);
	g->s_base = su->resource_id_base;
	g->s_mask = su->resource_id_mask;
	g->s_next = id == (uint32_t)-1 ? 0 : (id & su->resource_id_mask);
	g->root = scr->root;
	g->colormap = scr->default_colormap;
	g->visual = scr->root_visual;
	g->min_keycode = su->min_keycode;
	g->max_keycode = su->max_keycode;
	ops_unwatch();
	log_debug("%s: connect %llu us, regenerate %llu us, extensions and "
	    "%zu atoms %llu us", display, (unsigned long long)(t1 - t0),
	    (unsigned long long)(t2 - t1), g->natoms,
	    (unsigned long long)(gv_now_us() - t2));
	return 0;
fail:
	ops_unwatch();
	if (g->c != NULL) {
		xcb_disconnect(g->c);
		g->c = NULL;
	}
	return r;
}

/* A program id for server id old_s of the server we leave, or 0. */
static uint32_t
ops_prog_id(uint32_t old_s, int was_translating)
{
	uint32_t p;

	if (!was_translating)
		return old_s;
	return u32map_get(&gv.xl.id_s2p, old_s, &p) ? p : 0;
}

/* Synthetic MappingNotify: the program reloads the keyboard's mapping. */
static void
ops_mapping_notify(const struct ops_regen *g)
{
	uint8_t ev[32];
	int req;

	for (req = 0; req < 2; req++) {
		memset(ev, 0, sizeof ev);
		ev[0] = 34;
		xp_put16(&gv.xl.pcx, ev + 2, (uint16_t)gv.xl.pseq);
		ev[4] = (uint8_t)req;		/* Modifier, Keyboard */
		if (req == 1) {
			ev[5] = g->min_keycode;
			ev[6] = (uint8_t)(g->max_keycode - g->min_keycode + 1);
		}
		gbuf_append(&gv.pend, ev, sizeof ev);
	}
}

/*
 * Per-connection state some extensions keep from the handshake a client
 * makes once at start-up: without XkbUseExtension every XKB request fails
 * with BadAccess; XFIXES, RENDER, SYNC, DAMAGE and RANDR answer by the
 * version the client announced.  The program did this on its first server;
 * we do it again for it on the new one (answers swallowed), with the
 * versions today's Xlib and xcb announce.
 */
static void
ops_ext_handshakes(void)
{
	static const struct {
		const char *name;
		uint8_t	    minor, units;
		uint32_t    a, b;	/* two u32, or two u16/u8 packed below */
		int	    kind;	/* 0: two u32; 1: two u16; 2: two u8 */
	} hs[] = {
		{ "XKEYBOARD", 0, 2, 1, 0, 1 },		/* UseExtension 1.0 */
		{ "XFIXES", 0, 3, 6, 0, 0 },		/* QueryVersion 6.0 */
		{ "RENDER", 0, 3, 0, 11, 0 },		/* QueryVersion 0.11 */
		{ "SYNC", 0, 2, 3, 1, 2 },		/* Initialize 3.1 */
		{ "DAMAGE", 0, 3, 1, 1, 0 },		/* QueryVersion 1.1 */
		{ "RANDR", 0, 3, 1, 6, 0 },		/* QueryVersion 1.6 */
		{ "Generic Event Extension", 0, 2, 1, 0, 1 },
	};
	uint8_t req[12];
	size_t i;
	int k;

	for (i = 0; i < sizeof hs / sizeof hs[0]; i++) {
		for (k = 0; k < gv.xl.next; k++)
			if (strcmp(gv.xl.ext[k].name, hs[i].name) == 0)
				break;
		if (k == gv.xl.next || gv.xl.ext[k].s_major == 0 ||
		    gv.xl.ext[k].p_major == 0)
			continue;
		memset(req, 0, sizeof req);
		req[0] = gv.xl.ext[k].s_major;
		req[1] = hs[i].minor;
		xp_put16(&gv.xl.scx, req + 2, hs[i].units);
		if (hs[i].kind == 0) {
			xp_put32(&gv.xl.scx, req + 4, hs[i].a);
			xp_put32(&gv.xl.scx, req + 8, hs[i].b);
		} else if (hs[i].kind == 1) {
			xp_put16(&gv.xl.scx, req + 4, (uint16_t)hs[i].a);
			xp_put16(&gv.xl.scx, req + 6, (uint16_t)hs[i].b);
		} else {
			req[4] = (uint8_t)hs[i].a;
			req[5] = (uint8_t)hs[i].b;
		}
		hook_inject(req, (size_t)hs[i].units * 4, XL_TAG_QUIET);
	}
}

/* Hands the new connection to the program (lock held). */
static int
ops_switch(struct ops_regen *g, const struct xs_session *s,
    const char *display, const struct gv_auth *auth, int from_placeholder)
{
	struct { uint32_t p, s; } *pairs;
	size_t np = 0, i, k;
	int was = gv.xl.translate, fd, gfd, dummy, r, oldfd;
	uint8_t req[16];
	uint32_t p, nid;

	pairs = calloc(g->map.n + 3, sizeof *pairs);
	if (pairs == NULL)
		return -ENOMEM;
	for (i = 0; i < g->map.n; i++) {
		if (g->map.v[i].kind == XS_ID_ATOM)
			continue;
		if ((p = ops_prog_id(g->map.v[i].old_id, was)) == 0)
			continue;
		pairs[np].p = p;
		pairs[np].s = g->map.v[i].new_id;
		np++;
	}
	if ((p = ops_prog_id(s->root, was)) != 0) {
		pairs[np].p = p;
		pairs[np++].s = g->root;
	}
	if ((p = ops_prog_id(s->default_colormap, was)) != 0) {
		pairs[np].p = p;
		pairs[np++].s = g->colormap;
	}
	if ((p = ops_prog_id(s->root_visual, was)) != 0) {
		pairs[np].p = p;
		pairs[np++].s = g->visual;
	}

	/* take the socket from libxcb: its disconnect shuts down a dummy */
	fd = xcb_get_file_descriptor(g->c);
	if ((gfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		free(pairs);
		return -errno;
	}
	if ((dummy = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    dup3(dummy, fd, O_CLOEXEC) < 0) {
		r = -errno;
		if (dummy >= 0)
			gv_real.close(dummy);
		gv_real.close(gfd);
		free(pairs);
		return r;
	}
	gv_real.close(dummy);
	xcb_disconnect(g->c);
	g->c = NULL;
	if ((oldfd = ops_replace_fd(gfd)) < 0) {
		gv_real.close(gfd);
		free(pairs);
		return oldfd;
	}
	gv_real.close(gfd);

	/* the translator, for the new server */
	xl_attach_begin(&gv.xl, g->s_base, g->s_mask, g->s_next, gv.xl.pseq,
	    g->sseq);
	for (i = 0; i < np; i++)
		xl_map_id(&gv.xl, pairs[i].p, pairs[i].s);
	free(pairs);
	for (i = 0; i < g->natoms; i++)
		xl_map_atom(&gv.xl, g->atoms[i].p, g->atoms[i].s);
	for (k = 0; k < (size_t)g->next; k++)
		xl_ext_server(&gv.xl, g->ext[k].name, g->ext[k].s_major,
		    g->ext[k].s_event, g->ext[k].s_error);
	xl_ext_done(&gv.xl);
	/* fonts left for later: the old server's holder goes */
	ops_dfonts_free(gv.dfonts, gv.ndfonts, gv.dfont_c);
	gv.dfonts = g->dfonts;
	gv.ndfonts = g->ndfonts;
	gv.dfont_c = g->dfont_c;
	g->dfonts = NULL;
	g->ndfonts = 0;
	g->dfont_c = NULL;
	for (i = 0; i < gv.ndfonts; i++)
		u32map_put(&gv.xl.fonts_deferred, gv.dfonts[i].id, 1);
	gv.xl.on_font_needed = ops_font_needed;

	gv.sin.off = gv.sin.len = 0;
	gv.out.off = gv.out.len = 0;
	gv.kick_out = 0;
	gv.need_kick = 0;
	gv.state = GVC_ST_ATTACHED;
	gv.ph_signaled = 0;
	ops_mapping_notify(g);

	/* extension handshakes, what the program said meanwhile, exposures */
	ops_ext_handshakes();
	ops_hints_make(s, &g->map);
	if (gbuf_used(&gv.hold) > 0) {
		gbuf_append(&gv.cin, gv.hold.d + gv.hold.off, gbuf_used(&gv.hold));
		gv.hold.off = gv.hold.len = 0;
		k = xl_c2s(&gv.xl, gv.cin.d + gv.cin.off, gbuf_used(&gv.cin));
		gbuf_append(&gv.out, gv.cin.d + gv.cin.off, k);
		gbuf_consume(&gv.cin, k);
	}
	for (i = 0; i < s->nwindows; i++) {
		const struct xs_window *w = &s->windows[i];

		if (w->cls != 1 || w->map_state != 2)
			continue;
		nid = xs_idmap_get(&g->map, XS_ID_WINDOW, w->id);
		if (nid == 0)
			continue;
		memset(req, 0, sizeof req);
		req[0] = 61;		/* ClearArea, exposures */
		req[1] = 1;
		xp_put16(&gv.xl.pcx, req + 2, 4);
		xp_put32(&gv.xl.pcx, req + 4, nid);
		hook_inject(req, sizeof req, XL_TAG_QUIET);
	}
	/* the new connection readable (a kick at least), then the old woken */
	xl_kick_req(&gv.xl, req);
	if (hook_inject(req, 4, XL_TAG_KICK) == 0)
		gv.kick_out = 1;
	if ((r = hook_flush_out(GV_SYNC_MS)) != 0)
		log_warn("cannot write to %s: %s", display, strerror(-r));
	ops_wait_readable(1000);
	if (from_placeholder) {
		gv_real.close(oldfd);
		ops_retire_placeholder();
	} else {
		ops_wake_old(oldfd);
	}
	snprintf(gv.display, sizeof gv.display, "%s", display);
	gv.auth = *auth;
	gv.moves++;
	pthread_cond_broadcast(&gv.cond);
	return 0;
}

/* Held requests go to the server we stay on (lock held). */
static void
ops_release_hold(void)
{
	size_t k;

	gv.state = GVC_ST_ATTACHED;
	if (gbuf_used(&gv.hold) > 0) {
		gbuf_append(&gv.cin, gv.hold.d + gv.hold.off, gbuf_used(&gv.hold));
		gv.hold.off = gv.hold.len = 0;
		k = xl_c2s(&gv.xl, gv.cin.d + gv.cin.off, gbuf_used(&gv.cin));
		gbuf_append(&gv.out, gv.cin.d + gv.cin.off, k);
		gbuf_consume(&gv.cin, k);
		hook_flush_out(GV_SYNC_MS);
	}
	hook_wake_program();
	pthread_cond_broadcast(&gv.cond);
}

/* ---- commands ----------------------------------------------------------------------- */

static void
ops_auth_of(const struct gvc_cmd *cmd, struct gv_auth *a)
{
	memset(a, 0, sizeof *a);
	a->set = 1;		/* no cookie given: none, not the program's */
	a->name_len = cmd->auth_name_len;
	a->data_len = cmd->auth_data_len;
	memcpy(a->name, cmd->auth_name, cmd->auth_name_len);
	memcpy(a->data, cmd->auth_data, cmd->auth_data_len);
}

int
ops_detach(uint32_t flags, struct gvc_result *res)
{
	struct xs_session *s = NULL;
	uint64_t t0 = gv_now_us();
	int r;

	pthread_mutex_lock(&gv.lock);
	if ((r = ops_sync_capture(flags, &s, res)) == 0 &&
	    (r = ops_to_placeholder()) != 0)
		ops_cause(res, r, "cannot close the old connection: %s",
		    strerror(-r));
	if (r == 0) {
		xs_session_free(gv.session);
		gv.session = s;
		ops_dfonts_free(gv.dfonts, gv.ndfonts, gv.dfont_c);
		gv.dfonts = NULL;
		gv.ndfonts = 0;
		gv.dfont_c = NULL;
		gv.detach_us = res->detach_us = gv_now_us() - t0;
		log_info("detached from %s in %llu us", gv.display,
		    (unsigned long long)gv.detach_us);
	} else {
		xs_session_free(s);
	}
	res->state = (uint8_t)gv.state;
	pthread_mutex_unlock(&gv.lock);
	return r;
}

int
ops_attach(const struct gvc_cmd *cmd, struct gvc_result *res)
{
	struct ops_regen g;
	struct gv_auth a;
	uint64_t t0 = gv_now_us();
	int r;

	pthread_mutex_lock(&gv.lock);
	if (gv.state != GVC_ST_DETACHED || gv.session == NULL) {
		ops_cause(res, -EALREADY, "the program is %s, not detached",
		    gvc_state_name(gv.state));
		res->state = (uint8_t)gv.state;
		pthread_mutex_unlock(&gv.lock);
		return -EALREADY;
	}
	r = ops_regen_prepare(&g);
	pthread_mutex_unlock(&gv.lock);
	ops_auth_of(cmd, &a);
	if (r == 0)
		r = ops_regen(cmd->display, &a, gv.session, &g, res);
	else
		ops_cause(res, r, "out of memory");
	pthread_mutex_lock(&gv.lock);
	if (r == 0 && gv.state == GVC_ST_DETACHED) {
		r = ops_switch(&g, gv.session, cmd->display, &a, 1);
		if (r != 0)
			ops_cause(res, r, "cannot hand the connection over: %s",
			    strerror(-r));
	} else if (r == 0) {
		ops_cause(res, -ESTALE, "the program closed its X connection");
		r = -ESTALE;
	}
	ops_regen_free(&g);
	if (r == 0) {
		xs_session_free(gv.session);
		gv.session = NULL;
		gv.attach_us = res->attach_us = gv_now_us() - t0;
		log_info("attached to %s in %llu us", gv.display,
		    (unsigned long long)gv.attach_us);
	}
	res->state = (uint8_t)gv.state;
	pthread_mutex_unlock(&gv.lock);
	return r;
}

int
ops_move(const struct gvc_cmd *cmd, struct gvc_result *res)
{
	struct xs_session *s = NULL;
	struct ops_regen g;
	struct gv_auth a;
	uint64_t t0 = gv_now_us(), t1;
	int r;

	pthread_mutex_lock(&gv.lock);
	if ((r = ops_sync_capture(cmd->flags, &s, res)) != 0) {
		res->state = (uint8_t)gv.state;
		pthread_mutex_unlock(&gv.lock);
		return r;
	}
	gv.state = GVC_ST_MOVING;
	t1 = gv_now_us();
	res->detach_us = t1 - t0;
	r = ops_regen_prepare(&g);
	pthread_mutex_unlock(&gv.lock);

	ops_auth_of(cmd, &a);
	if (r == 0)
		r = ops_regen(cmd->display, &a, s, &g, res);
	else
		ops_cause(res, r, "out of memory");

	pthread_mutex_lock(&gv.lock);
	if (gv.state != GVC_ST_MOVING) {
		ops_cause(res, -ESTALE, "the program closed its X connection");
		r = -ESTALE;
	} else if (r == 0) {
		r = ops_switch(&g, s, cmd->display, &a, 0);
		if (r != 0) {
			ops_cause(res, r, "cannot hand the connection over: %s",
			    strerror(-r));
			ops_release_hold();
		}
	} else {
		/* stay where we were */
		ops_release_hold();
	}
	ops_regen_free(&g);
	xs_session_free(s);
	if (r == 0) {
		gv.detach_us = res->detach_us;
		gv.attach_us = res->attach_us = gv_now_us() - t1;
		log_info("moved to %s: %llu + %llu us", gv.display,
		    (unsigned long long)gv.detach_us,
		    (unsigned long long)gv.attach_us);
	}
	res->state = (uint8_t)gv.state;
	pthread_mutex_unlock(&gv.lock);
	return r;
}

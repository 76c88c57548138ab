/*
 * flacd: the per-user flac daemon.  It does for the processes under flac
 * what they cannot do themselves (docs/design/flac.md, "flacd"): it holds
 * one instance per primitive service of each session's specification
 * (svc.h), and runs the transfer combinator between them (xfer.h), with
 * BLOCK waits that last until the secondary is back.
 *
 *   flacd [-F] [-s SOCKET] [-t IDLE_SECONDS] [-v]
 *   flacd -l [-s SOCKET]        (what the running one holds)
 *
 * Without -F it listens, then goes to the background (the parent exits 0
 * once the socket accepts connections: `flac -f` starts it that way when a
 * specification needs it).  -t: exit after that many seconds without a
 * client (0: never).  One thread per client; requests and replies are
 * proto.h's.  An error from one client closes that client only.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/wbuf.h"
#include "flac/daemon/proto.h"
#include "flac/daemon/svc.h"
#include "flac/daemon/journal.h"
#include "flac/daemon/xfer.h"
#include "flac/lang/ast.h"

#define FLACD_MAXSESSIONS	256

struct fsession {
	uint32_t	 id;
	uint8_t		 key[CRYPTO_SHA256_LEN];
	char		*specname;
	struct svc	*svcs;
	size_t		 nsvcs;
};

static struct fsession flacd_sess[FLACD_MAXSESSIONS];
static size_t flacd_nsess;
static pthread_mutex_t flacd_mu = PTHREAD_MUTEX_INITIALIZER;
static int flacd_clients;		/* under flacd_mu */

static const char usage_text[] =
"usage: flacd [-F] [-s SOCKET] [-t IDLE_SECONDS] [-v]\n"
"       flacd -l [-s SOCKET]\n"
"  -F  stay in the foreground (log to stderr)\n"
"  -s  the control socket (default: $FLACD_SOCKET, $XDG_RUNTIME_DIR/"
"flacd.sock\n"
"      or /tmp/flacd-UID/flacd.sock)\n"
"  -t  exit after IDLE_SECONDS without a client (default 0: never)\n"
"  -v  log debug messages\n"
"  -l  print the sessions and service instances of the running flacd\n"
"See flacd(8).\n";

/* ---- sessions --------------------------------------------------------- */

static int
flacd_key(const struct flacd_req *q, uint8_t key[CRYPTO_SHA256_LEN])
{
	struct wbuf b;
	uint32_t i;
	int r;

	wbuf_init(&b, FLACD_MAXFRAME * 2);
	r = wbuf_put_str(&b, q->specname);
	if (r == 0)
		r = wbuf_put_blob(&b, q->src, q->srclen);
	for (i = 0; r == 0 && i < q->nnames; i++)
		r = wbuf_put_str(&b, q->names[i]);
	if (r == 0)
		r = wbuf_put_u32(&b, q->naddrs);
	for (i = 0; r == 0 && i < q->naddrs; i++)
		r = wbuf_put_str(&b, q->addrs[i]);
	if (r == 0)
		r = crypto_sha256(b.data, b.len, key);
	wbuf_free(&b);
	return r;
}

/* Parses the specification and starts one instance per primitive. */
static int
flacd_session_new(struct fsession *fs, const struct flacd_req *q)
{
	struct flac_spec *sp;
	char where[FLACD_PATHMAX + 32];
	size_t i;
	int r;

	if ((sp = flac_spec_new()) == NULL)
		return -ENOMEM;
	if ((r = flac_load(sp, q->src, q->srclen)) != 0) {
		log_warn("%s: the specification does not load; refusing the "
		    "session", q->specname);
		flac_spec_free(sp);
		return r == -ENOMEM ? r : -EINVAL;
	}
	if ((fs->specname = strdup(q->specname)) == NULL ||
	    (sp->ninsts > 0 && (fs->svcs = calloc(sp->ninsts,
	    sizeof *fs->svcs)) == NULL)) {
		flac_spec_free(sp);
		free(fs->specname);
		return -ENOMEM;
	}
	for (i = 0; i < sp->ninsts; i++) {
		snprintf(where, sizeof where, "%s:%d:%d", q->specname,
		    sp->insts[i].loc.line, sp->insts[i].loc.col);
		if ((r = svc_start(&fs->svcs[i], (uint32_t)i,
		    (int)sp->insts[i].type, sp->insts[i].text, where)) < 0)
			log_warn("%s: %s: cannot start: %s", where,
			    sp->insts[i].text, strerror(-r));
		fs->nsvcs = i + 1;
	}
	flac_spec_free(sp);
	return 0;
}

static int
flacd_load(const struct flacd_req *q)
{
	uint8_t key[CRYPTO_SHA256_LEN];
	struct fsession *fs;
	size_t i;
	int r;

	if ((r = flacd_key(q, key)) < 0)
		return r;
	pthread_mutex_lock(&flacd_mu);
	for (i = 0; i < flacd_nsess; i++)
		if (memcmp(flacd_sess[i].key, key, sizeof key) == 0) {
			r = (int)flacd_sess[i].id;
			goto out;
		}
	if (flacd_nsess == FLACD_MAXSESSIONS) {
		r = -ENOSPC;
		goto out;
	}
	fs = &flacd_sess[flacd_nsess];
	memset(fs, 0, sizeof *fs);
	if ((r = flacd_session_new(fs, q)) < 0)
		goto out;
	memcpy(fs->key, key, sizeof key);
	fs->id = (uint32_t)++flacd_nsess;
	r = (int)fs->id;
	log_info("session %d: %s, %zu service instance%s", r, fs->specname,
	    fs->nsvcs, fs->nsvcs == 1 ? "" : "s");
out:
	pthread_mutex_unlock(&flacd_mu);
	return r;
}

/* The instances of a request (sessions are never removed). */
static int
flacd_instances(const struct flacd_req *q, struct svc **pri,
    struct svc **sec)
{
	struct fsession *fs;
	int r = 0;

	pthread_mutex_lock(&flacd_mu);
	if (q->session == 0 || q->session > flacd_nsess)
		r = -ESRCH;
	else {
		fs = &flacd_sess[q->session - 1];
		if (q->psvc >= fs->nsvcs || q->ssvc >= fs->nsvcs)
			r = -EINVAL;
		else {
			*pri = &fs->svcs[q->psvc];
			*sec = &fs->svcs[q->ssvc];
		}
	}
	pthread_mutex_unlock(&flacd_mu);
	return r;
}

static char *
flacd_list(void)
{
	struct fsession *fs;
	char *text = NULL;
	size_t len = 0, i, j;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return NULL;
	pthread_mutex_lock(&flacd_mu);
	fprintf(f, "flacd %d: %zu session%s, %d client%s\n", (int)getpid(),
	    flacd_nsess, flacd_nsess == 1 ? "" : "s", flacd_clients,
	    flacd_clients == 1 ? "" : "s");
	for (i = 0; i < flacd_nsess; i++) {
		fs = &flacd_sess[i];
		fprintf(f, "session %u %s\n", fs->id, fs->specname);
		for (j = 0; j < fs->nsvcs; j++)
			fprintf(f, "  instance %zu %s %s (%s)\n", j,
			    fs->svcs[j].text, fs->svcs[j].ops->name,
			    fs->svcs[j].where);
	}
	pthread_mutex_unlock(&flacd_mu);
	fclose(f);
	return text;
}

/* ---- clients ---------------------------------------------------------- */

/* The client hung up (or broke the protocol by talking) during a wait. */
static int
flacd_client_gone(void *arg, int ms)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return 1;
}

static int
flacd_reply(int fd, int32_t v)
{
	struct wbuf b;
	int r;

	wbuf_init(&b, 64);
	if ((r = flacd_enc_result(&b, v)) == 0)
		r = ipc_send_frame(fd, FLACD_RESULT, b.data, b.len);
	wbuf_free(&b);
	return r;
}

static int
flacd_serve(int fd, uint16_t type, struct wbuf *in, struct flacd_req *q)
{
	struct xfer_wait w = { flacd_client_gone, &fd, 200 };
	struct svc *pri = NULL, *sec = NULL;
	char *text;
	int r;

	if ((r = flacd_req_decode(type, in, q)) < 0) {
		log_warn("client fd %d: bad request of type %u: %s; closing "
		    "it", fd, type, strerror(-r));
		return r;
	}
	switch (type) {
	case FLACD_LOAD:
		return flacd_reply(fd, flacd_load(q));
	case FLACD_PULL:
	case FLACD_PUSH:
		if ((r = flacd_instances(q, &pri, &sec)) == 0)
			r = type == FLACD_PULL ?
			    xfer_pull(pri, q->ppath, sec, q->spath, q->vpath,
			    q->mod, &w) :
			    xfer_push(pri, q->ppath, sec, q->spath, q->vpath,
			    q->mod, &w);
		return flacd_reply(fd, r);
	case FLACD_FLUSH:
		/* before a move (5.1.5): push what waits, for up to 5 s */
		return flacd_reply(fd, (int32_t)journal_flush_wait(5000));
	case FLACD_LIST: {
		struct wbuf b;

		if ((text = flacd_list()) == NULL)
			return -ENOMEM;
		wbuf_init(&b, FLACD_MAXFRAME);
		if ((r = wbuf_put_str(&b, text)) == 0)
			r = ipc_send_frame(fd, FLACD_LISTED, b.data, b.len);
		wbuf_free(&b);
		free(text);
		return r;
	}
	default:
		return -EPROTO;
	}
}

static void *
flacd_client(void *arg)
{
	int fd = (int)(intptr_t)arg, r;
	struct flacd_req *q;
	struct wbuf in, out;
	uint16_t type;

	wbuf_init(&in, FLACD_MAXFRAME);
	wbuf_init(&out, 64);
	if ((q = malloc(sizeof *q)) == NULL)
		goto done;
	/* hello both ways */
	if ((r = ipc_recv_frame(fd, &in, &type, FLACD_MAXFRAME, 5000)) == 0) {
		log_debug("client fd %d: closed at once (a probe)", fd);
		goto done;
	}
	if (r < 0 || type != FLACD_HELLO || flacd_dec_hello(&in) < 0) {
		log_warn("client fd %d: no valid hello; closing it", fd);
		goto done;
	}
	if (flacd_enc_hello(&out) < 0 ||
	    ipc_send_frame(fd, FLACD_HELLO, out.data, out.len) < 0)
		goto done;
	for (;;) {
		r = ipc_recv_frame(fd, &in, &type, FLACD_MAXFRAME, -1);
		if (r <= 0)
			break;
		if (flacd_serve(fd, type, &in, q) < 0)
			break;
	}
done:
	free(q);
	wbuf_free(&in);
	wbuf_free(&out);
	close(fd);
	pthread_mutex_lock(&flacd_mu);
	flacd_clients--;
	pthread_mutex_unlock(&flacd_mu);
	return NULL;
}

/* ---- main ------------------------------------------------------------- */

/* flacd -l: what the running daemon holds. */
static int
flacd_print_list(const char *path)
{
	struct wbuf b, rep;
	char *text = NULL;
	uint16_t type;
	int fd, r;

	if ((fd = ipc_connect(path, 0)) < 0) {
		fprintf(stderr, "flacd: no flacd on %s: %s\n", path,
		    strerror(-fd));
		return 1;
	}
	wbuf_init(&b, 64);
	wbuf_init(&rep, FLACD_MAXFRAME);
	if ((r = flacd_enc_hello(&b)) == 0 &&
	    (r = ipc_send_frame(fd, FLACD_HELLO, b.data, b.len)) >= 0 &&
	    (r = ipc_recv_frame(fd, &rep, &type, FLACD_MAXFRAME, 5000)) > 0 &&
	    (r = flacd_dec_hello(&rep)) == 0 &&
	    (r = ipc_send_frame(fd, FLACD_LIST, NULL, 0)) >= 0 &&
	    (r = ipc_recv_frame(fd, &rep, &type, FLACD_MAXFRAME, 5000)) > 0) {
		r = -EPROTO;
		if (type == FLACD_LISTED && (text = malloc(rep.len + 1)) !=
		    NULL && (r = wbuf_get_str(&rep, text, rep.len + 1)) == 0)
			fputs(text, stdout);
	}
	free(text);
	wbuf_free(&b);
	wbuf_free(&rep);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "flacd: %s: %s\n", path, strerror(-r));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char path[FLACD_PATHMAX] = "";
	struct pollfd pf[2];
	pthread_attr_t attr;
	pthread_t th;
	sigset_t mask;
	int ch, fg = 0, verbose = 0, idle = 0, list = 0, lfd, sfd, fd, r;
	pid_t pid;

	while ((ch = getopt(argc, argv, "Fls:t:vh")) != -1) {
		switch (ch) {
		case 'l':
			list = 1;
			break;
		case 'F':
			fg = 1;
			break;
		case 's':
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 't':
			idle = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	log_init("flacd", verbose ? EVLOG_DEBUG : EVLOG_INFO);
	if (path[0] == '\0' && (r = flacd_sock_path(path, sizeof path, 1)) <
	    0) {
		fprintf(stderr, "flacd: no place for the socket: %s (set "
		    "FLACD_SOCKET or -s)\n", strerror(-r));
		return 1;
	}
	if (list)
		return flacd_print_list(path);
	if ((lfd = ipc_listen(path, 0, 0)) < 0) {
		if (lfd == -EADDRINUSE) {
			fprintf(stderr, "flacd: %s: another flacd listens "
			    "there already\n", path);
			return 3;
		}
		fprintf(stderr, "flacd: cannot listen on %s: %s\n", path,
		    strerror(-lfd));
		return 1;
	}
	if (!fg) {
		if ((pid = fork()) < 0) {
			fprintf(stderr, "flacd: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid > 0)
			_exit(0);	/* the socket listens already */
		setsid();
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (getenv("EVICT_LOG_FILE") == NULL)
				dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		log_errno("signalfd");
		unlink(path);
		return 1;
	}
	{
		char jd[FLACD_PATHMAX + 16];

		snprintf(jd, sizeof jd, "%s.journal", path);
		if ((r = journal_start(jd)) < 0)
			log_warn("journal %s: %s; pushes that IGNORE lets go "
			    "are not kept", jd, strerror(-r));
		else
			xfer_defer_fn = journal_defer;
	}
	log_info("listening on %s%s", path, idle > 0 ? "" : " (no idle exit)");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pf[0].fd = lfd;
	pf[0].events = POLLIN;
	pf[1].fd = sfd;
	pf[1].events = POLLIN;
	for (;;) {
		r = poll(pf, 2, idle > 0 ? idle * 1000 : -1);
		if (r < 0 && errno != EINTR) {
			log_errno("poll");
			break;
		}
		if (r == 0) {
			pthread_mutex_lock(&flacd_mu);
			r = flacd_clients;
			pthread_mutex_unlock(&flacd_mu);
			if (r == 0 && journal_pending() == 0) {
				log_info("no client for %d s; exiting", idle);
				break;
			}
			continue;	/* or pushes wait in the journal */
		}
		if (r > 0 && (pf[1].revents & POLLIN)) {
			log_info("signal: exiting");
			break;
		}
		if (r > 0 && (pf[0].revents & POLLIN)) {
			if ((fd = ipc_accept(lfd)) < 0)
				continue;
			pthread_mutex_lock(&flacd_mu);
			flacd_clients++;
			pthread_mutex_unlock(&flacd_mu);
			if (pthread_create(&th, &attr, flacd_client,
			    (void *)(intptr_t)fd) != 0) {
				log_errno("pthread_create");
				close(fd);
				pthread_mutex_lock(&flacd_mu);
				flacd_clients--;
				pthread_mutex_unlock(&flacd_mu);
			}
		}
	}
	unlink(path);
	close(lfd);
	return 0;
}

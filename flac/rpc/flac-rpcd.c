/*
 * flac-rpcd: flac's file server.  Serves one directory tree to clients
 * that prove they hold the shared key (rpcproto.h; docs/man/flac-rpcd.8).
 *
 *   flac-rpcd --root DIR --key FILE [--listen [ADDR:]PORT] [-F]
 *
 * One thread per connection, blocking I/O, so that it runs unchanged under
 * `rock` (librocks): then its connections survive a disconnection.  Every
 * path is resolved beneath the root with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS): "..", absolute symlinks and symlinks leading
 * out of the tree are refused (EXDEV), whatever the path says.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "flac/rpc/rpcproto.h"

#define RPCD_HANDLES     256
#define RPCD_AUTH_MS     10000
#define RPCD_KEY_MAX     1024

static int rpcd_root = -1;
static uint8_t rpcd_key[RPCD_KEY_MAX];
static size_t rpcd_keylen;

struct conn {
	int fd;
	char peer[64];
	int handles[RPCD_HANDLES];
	struct wbuf in, out;
};

static const char usage_text[] =
    "usage: flac-rpcd --root DIR --key FILE [--listen [ADDR:]PORT] [-F]\n"
    "  Serves the tree under DIR to flac's rpc service (flacd) for clients\n"
    "  that hold the key in FILE (at least 16 bytes; keep it 0600).\n"
    "  --listen  address and port (default 0.0.0.0:7410; [::]:PORT for IPv6)\n"
    "  -F        stay in the foreground (default: detach once listening)\n"
    "  Run it under `rock` so that its clients survive disconnection.\n";

/* ---- I/O --------------------------------------------------------------- */

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
flush_out(struct conn *c)
{
	int r = write_all(c->fd, c->out.data, c->out.len);

	wbuf_reset(&c->out);
	return r;
}

/* Reads until a whole frame is in c->in; its type and payload.  The
 * caller drops the frame with wbuf_skip... here: frame bytes are consumed
 * by compacting at the next call.  -EIO on end of file, timeout or a
 * frame too large. */
static int
read_frame(struct conn *c, size_t *used, uint16_t *type, struct wbuf *pl,
    int timeout_ms)
{
	if (*used > 0) {
		memmove(c->in.data, c->in.data + *used, c->in.len - *used);
		c->in.len -= *used;
		*used = 0;
	}
	for (;;) {
		int n = frame_parse(c->in.data, c->in.len, RPC_FRAME_MAX, type,
		    pl);
		uint8_t *dst;
		ssize_t r;

		if (n < 0)
			return n;
		if (n > 0) {
			*used = (size_t)n;
			return 0;
		}
		if (timeout_ms >= 0) {
			struct pollfd p = { c->fd, POLLIN, 0 };

			if (poll(&p, 1, timeout_ms) <= 0)
				return -ETIMEDOUT;
		}
		if (wbuf_reserve(&c->in, 65536, &dst) < 0)
			return -EMSGSIZE;
		r = recv(c->fd, dst, 65536, 0);
		if (r < 0 && errno == EINTR)
			r = 0;
		if (r <= 0) {
			/* give back what was reserved */
			c->in.len -= 65536;
			return -EIO;
		}
		c->in.len -= 65536 - (size_t)r;
	}
}

/* ---- paths beneath the root -------------------------------------------- */

static int
beneath(const char *path, int flags, mode_t mode)
{
	struct open_how how;
	const char *p = path;
	long fd;

	while (*p == '/')
		p++;
	if (*p == '\0')
		p = ".";
	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)flags | O_CLOEXEC;
	how.mode = (flags & O_CREAT) ? mode & 07777 : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, rpcd_root, p, &how, sizeof how);
	return fd < 0 ? -errno : (int)fd;
}

/* The parent directory (opened beneath the root) and the last component,
 * which must be a plain name. */
static int
parent_of(const char *path, char *name, size_t namesz)
{
	char dir[RPC_PATH_MAX + 1];
	const char *slash;
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= sizeof dir)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (strlen(slash ? slash + 1 : dir) >= namesz)
		return -ENAMETOOLONG;
	strcpy(name, slash ? slash + 1 : dir);
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	if (slash != NULL)
		dir[slash - dir + (slash == dir)] = '\0';
	else
		strcpy(dir, ".");
	return beneath(dir, O_PATH | O_DIRECTORY, 0);
}

/* The file at path, through its /proc/self/fd name (already resolved
 * beneath the root, so chmod and utimensat cannot be led out). */
static int
setattr_path(const struct rpc_req *q)
{
	char proc[64];
	int fd = beneath(q->path, O_PATH, 0), r = 0;

	if (fd < 0)
		return fd;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (q->mode != 0xffffffffu && chmod(proc, q->mode & 07777) < 0)
		r = -errno;
	if (r == 0 && q->has_times && utimensat(AT_FDCWD, proc, q->times, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ---- operations -------------------------------------------------------- */

struct names {
	char **v;
	uint32_t n;
};

static int
do_readdir(const char *path, struct names *nm)
{
	int fd = beneath(path, O_RDONLY | O_DIRECTORY, 0);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return fd;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d)) != NULL && nm->n < RPC_NAMES_MAX) {
		char **v;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		v = realloc(nm->v, (nm->n + 1) * sizeof *v);
		if (v == NULL || (v[nm->n] = strdup(e->d_name)) == NULL) {
			if (v != NULL)
				nm->v = v;
			closedir(d);
			return -ENOMEM;
		}
		nm->v = v;
		nm->n++;
	}
	closedir(d);
	return 0;
}

static int
do_stat(const char *path, struct rpc_stat *rs)
{
	struct stat st;
	int fd = beneath(path, O_PATH, 0), r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	rs->mode = st.st_mode;
	rs->uid = st.st_uid;
	rs->gid = st.st_gid;
	rs->nlink = (uint32_t)st.st_nlink;
	rs->size = (uint64_t)st.st_size;
	rs->ino = st.st_ino;
	rs->atime = st.st_atim;
	rs->mtime = st.st_mtim;
	rs->ctime = st.st_ctim;
	return 0;
}

static int
handle_fd(struct conn *c, uint32_t h)
{
	return h < RPCD_HANDLES && c->handles[h] >= 0 ? c->handles[h] : -1;
}

static int
serve_one(struct conn *c, const struct rpc_req *q)
{
	struct rpc_result res = { .kind = RPC_R_NONE };
	struct names nm = { NULL, 0 };
	char name[256], name2[256];
	uint8_t *buf = NULL;
	int r = 0, fd, pfd, pfd2, flags;
	uint32_t h, i;

	switch (q->op) {
	case RPC_PING:
		break;
	case RPC_STAT:
		r = do_stat(q->path, &res.st);
		res.kind = RPC_R_STAT;
		break;
	case RPC_OPEN:
		if ((r = rpc_flags_from_wire(q->flags, &flags)) < 0)
			break;
		for (h = 0; h < RPCD_HANDLES && c->handles[h] >= 0; h++)
			;
		if (h == RPCD_HANDLES) {
			r = -EMFILE;
			break;
		}
		if ((fd = beneath(q->path, flags, q->mode)) < 0) {
			r = fd;
			break;
		}
		c->handles[h] = fd;
		res.kind = RPC_R_VALUE;
		res.value = h;
		break;
	case RPC_PREAD: {
		ssize_t n;

		if ((fd = handle_fd(c, q->handle)) < 0) {
			r = -EBADF;
			break;
		}
		if ((buf = malloc(q->count ? q->count : 1)) == NULL) {
			r = -ENOMEM;
			break;
		}
		n = pread(fd, buf, q->count, (off_t)q->off);
		if (n < 0) {
			r = -errno;
			break;
		}
		res.kind = RPC_R_DATA;
		res.data = buf;
		res.len = (size_t)n;
		break;
	}
	case RPC_PWRITE: {
		ssize_t n;

		if ((fd = handle_fd(c, q->handle)) < 0) {
			r = -EBADF;
			break;
		}
		n = pwrite(fd, q->data, q->count, (off_t)q->off);
		if (n < 0) {
			r = -errno;
			break;
		}
		res.kind = RPC_R_VALUE;
		res.value = (uint32_t)n;
		break;
	}
	case RPC_FSYNC:
		if ((fd = handle_fd(c, q->handle)) < 0)
			r = -EBADF;
		else if (fsync(fd) < 0)
			r = -errno;
		break;
	case RPC_CLOSE:
		if ((fd = handle_fd(c, q->handle)) < 0) {
			r = -EBADF;
		} else {
			c->handles[q->handle] = -1;
			if (close(fd) < 0)
				r = -errno;
		}
		break;
	case RPC_READDIR:
		r = do_readdir(q->path, &nm);
		res.kind = RPC_R_NAMES;
		res.names = (const char *const *)nm.v;
		res.count = nm.n;
		break;
	case RPC_MKDIR: case RPC_UNLINK: case RPC_RMDIR:
		if ((pfd = parent_of(q->path, name, sizeof name)) < 0) {
			r = pfd;
			break;
		}
		if (q->op == RPC_MKDIR)
			r = mkdirat(pfd, name, q->mode & 07777);
		else
			r = unlinkat(pfd, name, q->op == RPC_RMDIR ?
			    AT_REMOVEDIR : 0);
		if (r < 0)
			r = -errno;
		close(pfd);
		break;
	case RPC_RENAME:
		if ((pfd = parent_of(q->path, name, sizeof name)) < 0) {
			r = pfd;
			break;
		}
		if ((pfd2 = parent_of(q->path2, name2, sizeof name2)) < 0) {
			close(pfd);
			r = pfd2;
			break;
		}
		if (renameat(pfd, name, pfd2, name2) < 0)
			r = -errno;
		close(pfd);
		close(pfd2);
		break;
	case RPC_SETATTR:
		r = setattr_path(q);
		break;
	default:
		r = -ENOSYS;
		break;
	}
	if (rpc_put_reply(&c->out, q->id, r, &res) < 0)
		r = -EMSGSIZE;
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	free(buf);
	return flush_out(c);
}

/* ---- a connection ------------------------------------------------------ */

static int
authenticate(struct conn *c, size_t *used)
{
	uint8_t sn[RPC_NONCE_LEN], cn[RPC_NONCE_LEN], mac[CRYPTO_HMAC_LEN];
	uint8_t want[CRYPTO_HMAC_LEN], hello[WBUF_HELLO_LEN];
	uint16_t version, flags, type;
	struct wbuf pl, hb;
	size_t got = 0;
	int r;

	if (crypto_random(sn, sizeof sn) < 0)
		return -EIO;
	if (wbuf_put_hello(&c->out, RPC_MAGIC, RPC_VERSION, 0) < 0 ||
	    rpc_put_challenge(&c->out, sn) < 0 || flush_out(c) < 0)
		return -EIO;
	while (got < sizeof hello) {
		struct pollfd p = { c->fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, RPCD_AUTH_MS) <= 0)
			return -ETIMEDOUT;
		n = recv(c->fd, hello + got, sizeof hello - got, 0);
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	wbuf_view(&hb, hello, sizeof hello);
	if (wbuf_get_hello(&hb, RPC_MAGIC, &version, &flags) < 0 ||
	    version != RPC_VERSION) {
		log_warn("rpcd: %s: not a flac rpc client (bad hello)", c->peer);
		(void)rpc_put_refused(&c->out, "bad hello or version");
		(void)flush_out(c);
		return -EPROTO;
	}
	if ((r = read_frame(c, used, &type, &pl, RPCD_AUTH_MS)) < 0)
		return r;
	if (type != RPC_AUTH || rpc_get_nonce_mac(&pl, cn, mac, 1) < 0 ||
	    rpc_auth_mac(rpcd_key, rpcd_keylen, "client", cn, sn, want) < 0 ||
	    !crypto_equal(mac, want, sizeof mac)) {
		log_warn("rpcd: %s: refused: authentication failed", c->peer);
		(void)rpc_put_refused(&c->out, "authentication failed");
		(void)flush_out(c);
		return -EACCES;
	}
	if (rpc_auth_mac(rpcd_key, rpcd_keylen, "server", cn, sn, mac) < 0 ||
	    rpc_put_auth_ok(&c->out, mac) < 0 || flush_out(c) < 0)
		return -EIO;
	log_info("rpcd: %s: authenticated", c->peer);
	return 0;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct rpc_req *q = malloc(sizeof *q);
	size_t used = 0;
	uint16_t type;
	struct wbuf pl;
	int r, i;

	if (q != NULL && (r = authenticate(c, &used)) == 0) {
		for (;;) {
			if ((r = read_frame(c, &used, &type, &pl, -1)) < 0)
				break;
			if ((r = rpc_get_req(type, &pl, q)) < 0) {
				log_warn("rpcd: %s: malformed request (type %u): "
				    "closing", c->peer, type);
				break;
			}
			if (serve_one(c, q) < 0)
				break;
		}
	}
	for (i = 0; i < RPCD_HANDLES; i++)
		if (c->handles[i] >= 0)
			close(c->handles[i]);
	log_info("rpcd: %s: gone", c->peer);
	close(c->fd);
	wbuf_free(&c->in);
	wbuf_free(&c->out);
	free(q);
	free(c);
	return NULL;
}

/* ---- start-up ---------------------------------------------------------- */

static int
load_key(const char *path)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "flac-rpcd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		fprintf(stderr, "flac-rpcd: warning: %s is readable by others "
		    "(mode %03o); keep it 0600\n", path, st.st_mode & 0777);
	n = read(fd, rpcd_key, sizeof rpcd_key);
	close(fd);
	while (n > 0 && (rpcd_key[n - 1] == '\n' || rpcd_key[n - 1] == '\r'))
		n--;
	if (n < 16) {
		fprintf(stderr, "flac-rpcd: %s: a key needs at least 16 bytes\n",
		    path);
		return -1;
	}
	rpcd_keylen = (size_t)n;
	return 0;
}

static int
listen_on(const char *spec)
{
	char host[256] = "0.0.0.0", port[16];
	struct addrinfo hints, *ai = NULL;
	const char *colon = strrchr(spec, ':');
	int s = -1, one = 1, r;

	if (colon == NULL) {
		snprintf(port, sizeof port, "%s", spec);
	} else {
		size_t n = (size_t)(colon - spec);

		if (n >= sizeof host)
			n = sizeof host - 1;
		memcpy(host, spec, n);
		host[n] = '\0';
		if (host[0] == '[' && n > 1 && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
		snprintf(port, sizeof port, "%s", colon + 1);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fprintf(stderr, "flac-rpcd: --listen %s: %s\n", spec,
		    gai_strerror(r));
		return -1;
	}
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) < 0 || bind(s, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(s, 64) < 0) {
		fprintf(stderr, "flac-rpcd: --listen %s: %s\n", spec,
		    strerror(errno));
		if (s >= 0)
			close(s);
		s = -1;
	}
	freeaddrinfo(ai);
	return s;
}

int
main(int argc, char **argv)
{
	const char *root = NULL, *key = NULL, *lst = "7410";
	int i, s, fg = 0;
	pthread_attr_t pa;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			lst = argv[++i];
		else if (strcmp(argv[i], "-F") == 0)
			fg = 1;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			fprintf(stderr, "flac-rpcd: unknown argument '%s'\n%s",
			    argv[i], usage_text);
			return 2;
		}
	}
	if (root == NULL || key == NULL) {
		fputs(usage_text, stderr);
		return 2;
	}
	log_init("flac-rpcd", EVLOG_INFO);
	if (load_key(key) < 0)
		return 1;
	rpcd_root = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rpcd_root < 0) {
		fprintf(stderr, "flac-rpcd: --root %s: %s\n", root,
		    strerror(errno));
		return 1;
	}
	if ((s = listen_on(lst)) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (!fg && daemon(1, 1) < 0) {
		fprintf(stderr, "flac-rpcd: daemon: %s\n", strerror(errno));
		return 1;
	}
	log_info("rpcd: serving %s on %s", root, lst);
	pthread_attr_init(&pa);
	pthread_attr_setdetachstate(&pa, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		struct conn *c;
		pthread_t t;
		char h[INET6_ADDRSTRLEN];
		int fd = accept4(s, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				log_warn("rpcd: accept: %s", strerror(errno));
			continue;
		}
		if ((c = calloc(1, sizeof *c)) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		for (i = 0; i < RPCD_HANDLES; i++)
			c->handles[i] = -1;
		wbuf_init(&c->in, RPC_FRAME_MAX + 65536 + FRAME_HDR_LEN);
		wbuf_init(&c->out, RPC_FRAME_MAX + FRAME_HDR_LEN + 64);
		if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->
			    sin6_addr, h, sizeof h);
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->
			    sin_addr, h, sizeof h);
		snprintf(c->peer, sizeof c->peer, "%s", h);
		if (pthread_create(&t, &pa, conn_main, c) != 0) {
			log_warn("rpcd: %s: no thread for it", c->peer);
			close(fd);
			wbuf_free(&c->in);
			wbuf_free(&c->out);
			free(c);
		}
	}
}

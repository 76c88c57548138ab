/*
 * svc-rpc: the rpc(host=..., port=..., path=...) service in flacd, a
 * client of flac-rpcd (flac/rpc/).  One connection per instance, made on
 * first use and again after a failure (at most one try every 250 ms);
 * one request at a time (a mutex).
 * The key is the file named by $FLAC_RPC_KEY, else
 * ~/.config/evict/flac-rpc.key.  A service path is the attribute path=
 * joined with the path flacd asks for.  Availability: a connection is up,
 * or one can be made within 2 s (at most one attempt every 250 ms).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "common/log.h"
#include "flac/daemon/svc.h"
#include "flac/rpc/rpcproto.h"

#define RPCC_CONNECT_MS 2000
#define RPCC_IO_MS      30000

struct rpcc {
	char host[256], port[16], base[RPC_PATH_MAX + 1];
	uint8_t key[1024];
	size_t keylen;
	int fd;
	uint32_t next_id;
	uint64_t last_try_ms;
	pthread_mutex_t mu;
	struct wbuf in, out;
	size_t used;
};

static int
rpcc_load_key(struct rpcc *c)
{
	const char *env = getenv("FLAC_RPC_KEY"), *home = getenv("HOME");
	char path[1024];
	ssize_t n;
	int fd;

	if (env != NULL)
		snprintf(path, sizeof path, "%s", env);
	else
		snprintf(path, sizeof path, "%s/.config/evict/flac-rpc.key",
		    home ? home : "/");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, c->key, sizeof c->key);
	close(fd);
	while (n > 0 && (c->key[n - 1] == '\n' || c->key[n - 1] == '\r'))
		n--;
	if (n < 16)
		return -EINVAL;
	c->keylen = (size_t)n;
	return 0;
}

static void
rpcc_drop(struct rpcc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	wbuf_reset(&c->in);
	wbuf_reset(&c->out);
	c->used = 0;
}

static int
rpcc_send(struct rpcc *c)
{
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t w = send(c->fd, c->out.data + off, c->out.len - off,
		    MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		off += (size_t)w;
	}
	wbuf_reset(&c->out);
	return 0;
}

static int
rpcc_frame(struct rpcc *c, uint16_t *type, struct wbuf *pl, int ms)
{
	if (c->used > 0) {
		memmove(c->in.data, c->in.data + c->used, c->in.len - c->used);
		c->in.len -= c->used;
		c->used = 0;
	}
	for (;;) {
		int n = frame_parse(c->in.data, c->in.len, RPC_FRAME_MAX, type,
		    pl);
		struct pollfd p = { c->fd, POLLIN, 0 };
		uint8_t *dst;
		ssize_t r;

		if (n < 0)
			return -EBADMSG;
		if (n > 0) {
			c->used = (size_t)n;
			return 0;
		}
		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
		if (wbuf_reserve(&c->in, 65536, &dst) < 0)
			return -EMSGSIZE;
		r = recv(c->fd, dst, 65536, 0);
		c->in.len -= 65536 - (r > 0 ? (size_t)r : 0);
		if (r <= 0)
			return -EIO;
	}
}

static int
rpcc_connect(struct rpcc *c, struct svc *s)
{
	uint8_t cn[RPC_NONCE_LEN], sn[RPC_NONCE_LEN], mac[CRYPTO_HMAC_LEN];
	uint8_t want[CRYPTO_HMAC_LEN], hello[WBUF_HELLO_LEN];
	struct addrinfo hints, *ai = NULL, *a;
	uint16_t type, version, flags;
	struct wbuf pl;
	int fd = -1, r;
	size_t got = 0;

	c->last_try_ms = svc_now_ms();
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(c->host, c->port, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	for (a = ai; a != NULL && fd < 0; a = a->ai_next) {
		struct pollfd p;
		int err = 0;
		socklen_t el = sizeof err;

		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			close(fd);
			fd = -1;
			continue;
		}
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, RPCC_CONNECT_MS) <= 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
		    err != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return -EHOSTUNREACH;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	c->fd = fd;
	if (crypto_random(cn, sizeof cn) < 0)
		goto bad;
	/* the server's hello and challenge */
	while (got < sizeof hello) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, RPCC_CONNECT_MS) <= 0 ||
		    (n = recv(fd, hello + got, sizeof hello - got, 0)) <= 0)
			goto bad;
		got += (size_t)n;
	}
	wbuf_view(&pl, hello, sizeof hello);
	if (wbuf_get_hello(&pl, RPC_MAGIC, &version, &flags) < 0 ||
	    version != RPC_VERSION)
		goto bad;
	if (rpcc_frame(c, &type, &pl, RPCC_CONNECT_MS) < 0 ||
	    type != RPC_CHALLENGE || wbuf_get_bytes(&pl, sn, sizeof sn) < 0)
		goto bad;
	if (rpc_auth_mac(c->key, c->keylen, "client", cn, sn, mac) < 0 ||
	    wbuf_put_hello(&c->out, RPC_MAGIC, RPC_VERSION, 0) < 0 ||
	    rpc_put_auth(&c->out, cn, mac) < 0 || rpcc_send(c) < 0)
		goto bad;
	if ((r = rpcc_frame(c, &type, &pl, RPCC_CONNECT_MS)) < 0)
		goto bad;
	if (type == RPC_REFUSED) {
		char why[256] = "";

		(void)wbuf_get_str(&pl, why, sizeof why);
		log_warn("%s: %s: the server refused us: %s", s->where, s->text,
		    why);
		rpcc_drop(c);
		return -EACCES;
	}
	if (type != RPC_AUTH_OK || rpc_get_nonce_mac(&pl, NULL, mac, 0) < 0 ||
	    rpc_auth_mac(c->key, c->keylen, "server", cn, sn, want) < 0 ||
	    !crypto_equal(mac, want, sizeof mac)) {
		log_warn("%s: %s: the server does not prove it holds the key",
		    s->where, s->text);
		rpcc_drop(c);
		return -EACCES;
	}
	log_info("%s: %s: connected", s->where, s->text);
	return 0;
bad:
	rpcc_drop(c);
	return -EHOSTUNREACH;
}

/* One request and its reply (lock held); res's data points into c->in
 * until the next call. */
static int
rpcc_call(struct svc *s, struct rpc_req *q, struct rpc_result *res,
    struct wbuf *rest)
{
	struct rpcc *c = s->priv;
	uint32_t id;
	int32_t status;
	uint16_t type;
	int r;

	if (c->fd < 0) {
		if (svc_now_ms() - c->last_try_ms < 250 && c->last_try_ms)
			return -ENOTCONN;
		if ((r = rpcc_connect(c, s)) < 0)
			return r == -EACCES ? r : -ENOTCONN;
	}
	q->id = ++c->next_id;
	if (rpc_put_req(&c->out, q) < 0 || rpcc_send(c) < 0 ||
	    rpcc_frame(c, &type, rest, RPCC_IO_MS) < 0 || type != RPC_REPLY ||
	    rpc_get_reply(rest, &id, &status, res) < 0 || id != q->id) {
		log_warn("%s: %s: connection lost", s->where, s->text);
		rpcc_drop(c);
		return -ENOTCONN;
	}
	return status;
}

static int
rpcc_path(struct svc *s, const char *path, char *out)
{
	struct rpcc *c = s->priv;
	int n = snprintf(out, RPC_PATH_MAX + 1, "%s/%s", c->base,
	    path[0] == '/' ? path + 1 : path);

	return n < 0 || n > RPC_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* ---- the ops ----------------------------------------------------------- */

static int
rpc_start(struct svc *s)
{
	struct rpcc *c = calloc(1, sizeof *c);
	int r;

	if (c == NULL)
		return -ENOMEM;
	c->fd = -1;
	pthread_mutex_init(&c->mu, NULL);
	wbuf_init(&c->in, RPC_FRAME_MAX + 65536 + FRAME_HDR_LEN);
	wbuf_init(&c->out, RPC_FRAME_MAX + FRAME_HDR_LEN + 64);
	s->priv = c;
	if (!svc_attr(s->text, "host", c->host, sizeof c->host))
		return -EINVAL;
	if (!svc_attr(s->text, "port", c->port, sizeof c->port))
		snprintf(c->port, sizeof c->port, "%d", RPC_PORT);
	if (!svc_attr(s->text, "path", c->base, sizeof c->base))
		strcpy(c->base, "");
	while (strlen(c->base) > 0 && c->base[strlen(c->base) - 1] == '/')
		c->base[strlen(c->base) - 1] = '\0';
	if ((r = rpcc_load_key(c)) < 0) {
		log_warn("%s: %s: no usable key (FLAC_RPC_KEY or "
		    "~/.config/evict/flac-rpc.key: %s): the service is "
		    "unavailable", s->where, s->text, strerror(-r));
		c->keylen = 0;
	}
	return 0;
}

static void
rpc_stop(struct svc *s)
{
	struct rpcc *c = s->priv;

	if (c == NULL)
		return;
	rpcc_drop(c);
	wbuf_free(&c->in);
	wbuf_free(&c->out);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->priv = NULL;
}

/*
 * One request under the lock.  want: the result kind the op gives (a
 * reply of another kind is -EIO); a DATA result is copied to buf (at most
 * max bytes).
 */
static int
rpcc_do(struct svc *s, struct rpc_req *q, int want, struct rpc_result *res,
    void *buf, size_t max)
{
	struct rpcc *c = s->priv;
	struct wbuf rest;
	int r;

	pthread_mutex_lock(&c->mu);
	r = rpcc_call(s, q, res, &rest);
	if (r == 0 && want != RPC_R_NONE && res->kind != want)
		r = -EIO;
	if (r == 0 && want == RPC_R_DATA) {
		if (res->len > max)
			r = -EIO;
		else
			memcpy(buf, res->data, res->len);
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* A request of op on path (and path2). */
static int
rpcc_req(struct svc *s, struct rpc_req *q, uint16_t op, const char *path,
    const char *path2)
{
	int r = 0;

	memset(q, 0, sizeof *q);
	q->op = op;
	if (path != NULL)
		r = rpcc_path(s, path, q->path);
	if (r == 0 && path2 != NULL)
		r = rpcc_path(s, path2, q->path2);
	return r;
}

static int
rpc_isavailable(struct svc *s, const char *root)
{
	struct rpcc *c = s->priv;
	struct rpc_result res;
	struct rpc_req q;
	int connected;

	(void)root;
	if (c->keylen == 0)
		return 0;
	/*
	 * Connected is available: the operation that follows finds out if the
	 * link went away (and the transfer asks again), so a metadata call
	 * costs one round trip, not a PING and the call.
	 */
	pthread_mutex_lock(&c->mu);
	connected = c->fd >= 0;
	pthread_mutex_unlock(&c->mu);
	if (connected)
		return 1;
	(void)rpcc_req(s, &q, RPC_PING, NULL, NULL);
	return rpcc_do(s, &q, RPC_R_NONE, &res, NULL, 0) == 0 ? 1 : 0;
}

/* A path operation with no result. */
static int
rpc_path_op(struct svc *s, uint16_t op, const char *path, const char *path2,
    uint32_t mode)
{
	struct rpc_result res;
	struct rpc_req q;
	int r;

	if ((r = rpcc_req(s, &q, op, path, path2)) < 0)
		return r;
	q.mode = mode;
	return rpcc_do(s, &q, RPC_R_NONE, &res, NULL, 0);
}

static int
rpc_stat(struct svc *s, const char *path, struct stat *st)
{
	struct rpc_result res;
	struct rpc_req q;
	int r;

	if ((r = rpcc_req(s, &q, RPC_STAT, path, NULL)) < 0 ||
	    (r = rpcc_do(s, &q, RPC_R_STAT, &res, NULL, 0)) < 0)
		return r;
	memset(st, 0, sizeof *st);
	st->st_mode = res.st.mode;
	st->st_uid = res.st.uid;
	st->st_gid = res.st.gid;
	st->st_nlink = res.st.nlink;
	st->st_size = (off_t)res.st.size;
	st->st_ino = res.st.ino;
	st->st_atim = res.st.atime;
	st->st_mtim = res.st.mtime;
	st->st_ctim = res.st.ctime;
	return 0;
}

static int
rpc_open(struct svc *s, const char *path, int flags, mode_t mode)
{
	struct rpc_result res;
	struct rpc_req q;
	int r;

	if ((r = rpcc_req(s, &q, RPC_OPEN, path, NULL)) < 0)
		return r;
	q.flags = rpc_flags_to_wire(flags);
	q.mode = mode;
	if ((r = rpcc_do(s, &q, RPC_R_VALUE, &res, NULL, 0)) < 0)
		return r;
	return res.value < 1u << 30 ? (int)res.value : -EIO;
}

static ssize_t
rpc_pread(struct svc *s, int h, void *buf, size_t n, uint64_t off)
{
	struct rpc_result res;
	struct rpc_req q;
	int r;

	(void)rpcc_req(s, &q, RPC_PREAD, NULL, NULL);
	q.handle = (uint32_t)h;
	q.off = off;
	q.count = (uint32_t)(n > RPC_DATA_MAX ? RPC_DATA_MAX : n);
	r = rpcc_do(s, &q, RPC_R_DATA, &res, buf, q.count);
	return r < 0 ? r : (ssize_t)res.len;
}

static ssize_t
rpc_pwrite(struct svc *s, int h, const void *buf, size_t n, uint64_t off)
{
	struct rpc_result res;
	struct rpc_req q;
	int r;

	(void)rpcc_req(s, &q, RPC_PWRITE, NULL, NULL);
	q.handle = (uint32_t)h;
	q.off = off;
	q.data = buf;
	q.count = (uint32_t)(n > RPC_DATA_MAX ? RPC_DATA_MAX : n);
	if ((r = rpcc_do(s, &q, RPC_R_VALUE, &res, NULL, 0)) < 0)
		return r;
	return res.value <= q.count ? (ssize_t)res.value : -EIO;
}

static int
rpc_handle_op(struct svc *s, uint16_t op, int h)
{
	struct rpc_result res;
	struct rpc_req q;

	(void)rpcc_req(s, &q, op, NULL, NULL);
	q.handle = (uint32_t)h;
	return rpcc_do(s, &q, RPC_R_NONE, &res, NULL, 0);
}

static int
rpc_fsync(struct svc *s, int h)
{
	return rpc_handle_op(s, RPC_FSYNC, h);
}

static int
rpc_close(struct svc *s, int h)
{
	return rpc_handle_op(s, RPC_CLOSE, h);
}

/* The names are read from the reply under the lock, as they come. */
static int
rpc_readdir(struct svc *s, const char *path, svc_dirent_fn fn, void *arg)
{
	struct rpcc *c = s->priv;
	struct rpc_result res;
	struct rpc_req q;
	struct wbuf rest;
	char name[256];
	uint32_t i;
	int r;

	if ((r = rpcc_req(s, &q, RPC_READDIR, path, NULL)) < 0)
		return r;
	pthread_mutex_lock(&c->mu);
	r = rpcc_call(s, &q, &res, &rest);
	if (r == 0 && res.kind != RPC_R_NAMES)
		r = -EIO;
	for (i = 0; r == 0 && i < res.count; i++) {
		if (rpc_get_name(&rest, name, sizeof name) < 0) {
			r = -EIO;
			break;
		}
		if (fn(arg, name) != 0)
			break;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

static int
rpc_mkdir(struct svc *s, const char *path, mode_t mode)
{
	return rpc_path_op(s, RPC_MKDIR, path, NULL, mode);
}

static int
rpc_unlink(struct svc *s, const char *path)
{
	return rpc_path_op(s, RPC_UNLINK, path, NULL, 0);
}

static int
rpc_rmdir(struct svc *s, const char *path)
{
	return rpc_path_op(s, RPC_RMDIR, path, NULL, 0);
}

static int
rpc_rename(struct svc *s, const char *from, const char *to)
{
	return rpc_path_op(s, RPC_RENAME, from, to, 0);
}

static int
rpc_setattr(struct svc *s, const char *path, mode_t mode,
    const struct timespec times[2])
{
	struct rpc_result res;
	struct rpc_req q;
	int r;

	if ((r = rpcc_req(s, &q, RPC_SETATTR, path, NULL)) < 0)
		return r;
	q.mode = mode == (mode_t)-1 ? 0xffffffffu : (uint32_t)mode;
	if (times != NULL) {
		q.has_times = 1;
		q.times[0] = times[0];
		q.times[1] = times[1];
	}
	return rpcc_do(s, &q, RPC_R_NONE, &res, NULL, 0);
}

const struct svc_ops svc_rpc_ops = {
	.name = "rpc",
	.start = rpc_start,
	.stop = rpc_stop,
	.isavailable = rpc_isavailable,
	.stat = rpc_stat,
	.open = rpc_open,
	.pread = rpc_pread,
	.pwrite = rpc_pwrite,
	.fsync = rpc_fsync,
	.close = rpc_close,
	.readdir = rpc_readdir,
	.mkdir = rpc_mkdir,
	.unlink = rpc_unlink,
	.rmdir = rpc_rmdir,
	.rename = rpc_rename,
	.setattr = rpc_setattr,
};

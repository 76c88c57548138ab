/*
 * tcpio: a small TCP peer for the integration tests.
 *
 *   tcpio listen [-4|-6] ADDR PORT [--once] [OPTIONS]
 *   tcpio connect ADDR PORT [OPTIONS]
 *   tcpio gen N [--seed S] [--sha256]
 *
 * listen and connect pump stdin to the socket and the socket to stdout with
 * one poll loop until both directions have ended: after EOF on the source
 * the socket is half-closed (shutdown(SHUT_WR)) and the loop goes on reading
 * until the peer closes its side.  listen serves one connection after
 * another (stdin is read only by the first) until --once, --timeout or a
 * signal ends it.  gen writes the --send-random stream to stdout, so that a
 * test can compute the digest a receiver should print.
 *
 * OPTIONS
 *   --send-random N  send N pseudo-random bytes (suffix K, M or G for KiB,
 *                    MiB, GiB) instead of stdin; the stream depends only on
 *                    N and the seed
 *   --seed S         seed of that stream (default 1)
 *   --sha256         print the SHA-256 of the bytes received, in hex, on
 *                    stdout instead of the bytes (one line per connection)
 *   --timeout S      overall deadline in seconds (fractions allowed)
 *   --ready FILE     (listen) write the bound port to FILE once listening
 *
 * stderr gets "tcpio: ..." lines: the listening address, each accepted
 * peer ("accepted from ADDR port P"), and a summary "sent N bytes, received
 * M bytes in T s" per connection.
 *
 * Exit status: 0 success, 1 error (message on stderr), 2 usage, 3 timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define TCPIO_BUF	65536
#define EX_OK		0
#define EX_ERR		1
#define EX_USAGE	2
#define EX_TIMEOUT	3

enum tcpio_mode { MODE_LISTEN, MODE_CONNECT, MODE_GEN };

struct tcpio_opts {
	enum tcpio_mode	 mode;
	int		 family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	const char	*addr;
	const char	*port;
	bool		 once;
	bool		 random;
	uint64_t	 random_len;
	uint64_t	 seed;
	bool		 sha256;
	double		 timeout_s;	/* 0: none */
	const char	*ready_file;
};

/* Deterministic byte stream: splitmix64 words, little-endian. */
struct tcpio_rng {
	uint64_t	 state;
	uint64_t	 left;
};

struct tcpio_conn {
	int		 sock;
	bool		 src_eof;	/* stdin or random stream exhausted */
	bool		 wr_shut;
	bool		 rd_eof;
	unsigned char	 out[TCPIO_BUF];
	size_t		 out_len, out_off;
	uint64_t	 sent, received;
	EVP_MD_CTX	*md;
	struct tcpio_rng rng;
};

static const struct tcpio_opts *opts;
static struct timespec deadline;
static bool stdin_eof;

static void tcpio_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
tcpio_msg(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fputs("tcpio: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errno = saved;
}

static void
tcpio_usage(void)
{
	fputs("usage: tcpio listen [-4|-6] ADDR PORT [--once] [OPTIONS]\n"
	    "       tcpio connect ADDR PORT [OPTIONS]\n"
	    "       tcpio gen N [--seed S] [--sha256]\n"
	    "options: --send-random N --seed S --sha256 --timeout S"
	    " --ready FILE\n", stderr);
	exit(EX_USAGE);
}

static void
tcpio_on_alarm(int sig)
{
	static const char m[] = "tcpio: deadline passed while blocked\n";

	(void)sig;
	if (write(STDERR_FILENO, m, sizeof m - 1) < 0) {
		/* nothing more to do */
	}
	_exit(EX_TIMEOUT);
}

static double
tcpio_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds left before the deadline, -1 when there is none. */
static int
tcpio_ms_left(void)
{
	struct timespec now;
	int64_t ms;

	if (opts->timeout_s <= 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(deadline.tv_sec - now.tv_sec) * 1000 +
	    (deadline.tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return 0;
	if (ms > INT_MAX)
		return INT_MAX;
	return (int)ms;
}

/* poll() with the overall deadline; returns 0 on timeout like poll(). */
static int
tcpio_poll(struct pollfd *pfd, nfds_t n)
{
	int r, left;

	for (;;) {
		left = tcpio_ms_left();
		if (left == 0)
			return 0;
		r = poll(pfd, n, left);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

static int
tcpio_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return -1;
	switch (*end) {
	case '\0':				break;
	case 'k': case 'K':	shift = 10;	end++; break;
	case 'm': case 'M':	shift = 20;	end++; break;
	case 'g': case 'G':	shift = 30;	end++; break;
	default:		return -1;
	}
	if (*end != '\0' || (shift > 0 && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void
tcpio_rng_init(struct tcpio_rng *r, uint64_t seed, uint64_t len)
{
	r->state = seed;
	r->left = len;
}

/* Fills up to cap bytes (cap a multiple of 8); returns the count. */
static size_t
tcpio_rng_fill(struct tcpio_rng *r, unsigned char *buf, size_t cap)
{
	size_t n = cap, i, j;
	uint64_t z;

	if (r->left < n)
		n = (size_t)r->left;
	for (i = 0; i < n; i += 8) {
		z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		z ^= z >> 31;
		for (j = 0; j < 8 && i + j < n; j++)
			buf[i + j] = (unsigned char)(z >> (8 * j));
	}
	r->left -= n;
	return n;
}

static int
tcpio_write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static EVP_MD_CTX *
tcpio_md_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		tcpio_msg("cannot set up SHA-256 (OpenSSL EVP)");
		exit(EX_ERR);
	}
	return md;
}

static int
tcpio_md_print(EVP_MD_CTX *md)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;

	if (EVP_DigestFinal_ex(md, d, &dlen) != 1) {
		tcpio_msg("SHA-256 finalisation failed");
		return -1;
	}
	for (i = 0; i < dlen; i++)
		printf("%02x", d[i]);
	printf("\n");
	if (fflush(stdout) != 0) {
		tcpio_msg("write to stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
tcpio_name(const struct sockaddr *sa, socklen_t len, char *host, size_t hlen,
    char *serv, size_t slen)
{
	if (getnameinfo(sa, len, host, (socklen_t)hlen, serv, (socklen_t)slen,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, hlen, "?");
		snprintf(serv, slen, "?");
	}
}

static int
tcpio_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Refills the send buffer from the random stream or stdin when empty. */
static int
tcpio_fill(struct tcpio_conn *c, bool stdin_ready)
{
	ssize_t n;

	if (c->out_off < c->out_len || c->src_eof)
		return 0;
	c->out_len = c->out_off = 0;
	if (opts->random) {
		c->out_len = tcpio_rng_fill(&c->rng, c->out, sizeof c->out);
		if (c->out_len == 0)
			c->src_eof = true;
		return 0;
	}
	if (!stdin_ready)
		return 0;
	n = read(STDIN_FILENO, c->out, sizeof c->out);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		tcpio_msg("read from stdin: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		c->src_eof = true;
		stdin_eof = true;
	}
	c->out_len = (size_t)n;
	return 0;
}

/* Returns EX_OK, EX_ERR or EX_TIMEOUT. */
static int
tcpio_pump(struct tcpio_conn *c)
{
	unsigned char in[TCPIO_BUF];
	struct pollfd pfd[2];
	nfds_t n;
	ssize_t r;
	int pr;

	c->src_eof = !opts->random && stdin_eof;
	if (tcpio_fill(c, false) < 0)
		return EX_ERR;
	while (!(c->wr_shut && c->rd_eof)) {
		if (c->src_eof && c->out_off == c->out_len && !c->wr_shut) {
			if (shutdown(c->sock, SHUT_WR) < 0) {
				tcpio_msg("shutdown: %s", strerror(errno));
				return EX_ERR;
			}
			c->wr_shut = true;
			continue;
		}
		pfd[0].fd = c->sock;
		pfd[0].events = 0;
		pfd[0].revents = 0;
		if (!c->rd_eof)
			pfd[0].events |= POLLIN;
		if (c->out_off < c->out_len)
			pfd[0].events |= POLLOUT;
		n = 1;
		if (!opts->random && !c->src_eof && c->out_off == c->out_len) {
			pfd[1].fd = STDIN_FILENO;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		}
		pr = tcpio_poll(pfd, n);
		if (pr == 0) {
			tcpio_msg("timed out after %g s (sent %" PRIu64
			    " bytes, received %" PRIu64 " bytes)",
			    opts->timeout_s, c->sent, c->received);
			return EX_TIMEOUT;
		}
		if (pr < 0) {
			tcpio_msg("poll: %s", strerror(errno));
			return EX_ERR;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!c->rd_eof) {
				r = read(c->sock, in, sizeof in);
				if (r < 0 && errno != EAGAIN && errno != EINTR) {
					tcpio_msg("receive: %s (after %" PRIu64
					    " bytes)", strerror(errno),
					    c->received);
					return EX_ERR;
				}
				if (r == 0)
					c->rd_eof = true;
				if (r > 0) {
					c->received += (uint64_t)r;
					if (opts->sha256)
						EVP_DigestUpdate(c->md, in, (size_t)r);
					else if (tcpio_write_all(STDOUT_FILENO,
					    in, (size_t)r) < 0) {
						tcpio_msg("write to stdout: %s",
						    strerror(errno));
						return EX_ERR;
					}
				}
			} else if (pfd[0].revents & POLLERR) {
				int err = 0;
				socklen_t el = sizeof err;

				getsockopt(c->sock, SOL_SOCKET, SO_ERROR, &err,
				    &el);
				tcpio_msg("socket error: %s (after %" PRIu64
				    " bytes sent)", strerror(err), c->sent);
				return EX_ERR;
			} else if (pfd[0].revents & POLLHUP) {
				/* Both ways shut before we finished: a reset. */
				tcpio_msg("connection closed by the peer after %"
				    PRIu64 " bytes sent", c->sent);
				return EX_ERR;
			}
		}
		if ((pfd[0].revents & POLLOUT) && c->out_off < c->out_len) {
			r = send(c->sock, c->out + c->out_off,
			    c->out_len - c->out_off, MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				tcpio_msg("send: %s (after %" PRIu64 " bytes)",
				    strerror(errno), c->sent);
				return EX_ERR;
			}
			if (r > 0) {
				c->out_off += (size_t)r;
				c->sent += (uint64_t)r;
			}
		}
		if (tcpio_fill(c, n == 2 && (pfd[1].revents &
		    (POLLIN | POLLHUP | POLLERR))) < 0)
			return EX_ERR;
	}
	return EX_OK;
}

/* Runs one connection on sock (closed here); returns an exit status. */
static int
tcpio_session(int sock)
{
	static struct tcpio_conn c;	/* 64 KiB: keep it off the stack */
	double t0 = tcpio_now();
	int rc;

	memset(&c, 0, sizeof c);
	c.sock = sock;
	if (tcpio_set_nonblock(sock) < 0) {
		tcpio_msg("fcntl: %s", strerror(errno));
		close(sock);
		return EX_ERR;
	}
	if (opts->random)
		tcpio_rng_init(&c.rng, opts->seed, opts->random_len);
	if (opts->sha256)
		c.md = tcpio_md_new();
	rc = tcpio_pump(&c);
	close(sock);
	tcpio_msg("sent %" PRIu64 " bytes, received %" PRIu64
	    " bytes in %.3f s", c.sent, c.received, tcpio_now() - t0);
	if (opts->sha256) {
		if (rc == EX_OK && tcpio_md_print(c.md) < 0)
			rc = EX_ERR;
		EVP_MD_CTX_free(c.md);
	}
	return rc;
}

static int
tcpio_resolve(const char *addr, const char *port, int family, int flags,
    struct addrinfo **res)
{
	struct addrinfo hints;
	int r;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = flags | AI_NUMERICSERV;
	r = getaddrinfo(addr, port, &hints, res);
	if (r != 0) {
		tcpio_msg("cannot resolve %s port %s: %s", addr, port,
		    gai_strerror(r));
		return -1;
	}
	return 0;
}

static int
tcpio_connect(void)
{
	struct addrinfo *res, *ai;
	struct pollfd pfd;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t el;
	int s = -1, err = 0, pr;
	bool tried = false;

	if (tcpio_resolve(opts->addr, opts->port, opts->family, 0, &res) < 0)
		return EX_ERR;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		tcpio_name(ai->ai_addr, ai->ai_addrlen, host, sizeof host,
		    serv, sizeof serv);
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			err = errno;
			continue;
		}
		tried = true;
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = s;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			pr = tcpio_poll(&pfd, 1);
			if (pr == 0) {
				tcpio_msg("connect to %s port %s: timed out "
				    "after %g s", host, serv, opts->timeout_s);
				close(s);
				freeaddrinfo(res);
				return EX_TIMEOUT;
			}
			el = sizeof err;
			if (pr < 0)
				err = errno;
			else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err,
			    &el) < 0)
				err = errno;
			if (err == 0)
				break;
		}
		tcpio_msg("connect to %s port %s: %s", host, serv,
		    strerror(err));
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s < 0) {
		if (!tried)
			tcpio_msg("socket: %s", strerror(err));
		return EX_ERR;
	}
	tcpio_msg("connected to %s port %s", host, serv);
	return tcpio_session(s);
}

static int
tcpio_write_ready(int ls)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[NI_MAXHOST], serv[NI_MAXSERV], tmp[PATH_MAX];
	FILE *f;

	if (getsockname(ls, (struct sockaddr *)&ss, &len) < 0) {
		tcpio_msg("getsockname: %s", strerror(errno));
		return -1;
	}
	tcpio_name((struct sockaddr *)&ss, len, host, sizeof host, serv,
	    sizeof serv);
	tcpio_msg("listening on %s port %s", host, serv);
	if (opts->ready_file == NULL)
		return 0;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", opts->ready_file) >=
	    (int)sizeof tmp) {
		tcpio_msg("--ready path too long");
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%s\n", serv) < 0 || fclose(f) != 0 ||
	    rename(tmp, opts->ready_file) < 0) {
		tcpio_msg("cannot write %s: %s", opts->ready_file,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
tcpio_listen(void)
{
	struct addrinfo *res, *ai;
	struct sockaddr_storage peer;
	struct pollfd pfd;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t plen;
	int ls = -1, s, one = 1, pr, rc = EX_OK, err = 0;

	if (tcpio_resolve(opts->addr, opts->port, opts->family, AI_PASSIVE,
	    &res) < 0)
		return EX_ERR;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		ls = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (ls < 0) {
			err = errno;
			continue;
		}
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(ls, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(ls, 16) == 0)
			break;
		err = errno;
		close(ls);
		ls = -1;
	}
	freeaddrinfo(res);
	if (ls < 0) {
		tcpio_msg("cannot listen on %s port %s: %s", opts->addr,
		    opts->port, strerror(err));
		return EX_ERR;
	}
	if (tcpio_write_ready(ls) < 0) {
		close(ls);
		return EX_ERR;
	}
	for (;;) {
		pfd.fd = ls;
		pfd.events = POLLIN;
		pfd.revents = 0;
		pr = tcpio_poll(&pfd, 1);
		if (pr == 0) {
			tcpio_msg("timed out after %g s waiting for a "
			    "connection", opts->timeout_s);
			rc = EX_TIMEOUT;
			break;
		}
		if (pr < 0) {
			tcpio_msg("poll: %s", strerror(errno));
			rc = EX_ERR;
			break;
		}
		plen = sizeof peer;
		s = accept4(ls, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				continue;
			tcpio_msg("accept: %s", strerror(errno));
			rc = EX_ERR;
			break;
		}
		tcpio_name((struct sockaddr *)&peer, plen, host, sizeof host,
		    serv, sizeof serv);
		tcpio_msg("accepted from %s port %s", host, serv);
		rc = tcpio_session(s);
		if (opts->once || rc == EX_TIMEOUT)
			break;
	}
	close(ls);
	return rc;
}

static int
tcpio_gen(void)
{
	static unsigned char buf[TCPIO_BUF];
	struct tcpio_rng r;
	EVP_MD_CTX *md = NULL;
	size_t n;
	int rc = EX_OK;

	tcpio_rng_init(&r, opts->seed, opts->random_len);
	if (opts->sha256)
		md = tcpio_md_new();
	while ((n = tcpio_rng_fill(&r, buf, sizeof buf)) > 0) {
		if (md != NULL) {
			EVP_DigestUpdate(md, buf, n);
		} else if (tcpio_write_all(STDOUT_FILENO, buf, n) < 0) {
			tcpio_msg("write to stdout: %s", strerror(errno));
			return EX_ERR;
		}
	}
	if (md != NULL) {
		if (tcpio_md_print(md) < 0)
			rc = EX_ERR;
		EVP_MD_CTX_free(md);
	}
	return rc;
}

static void
tcpio_parse(int argc, char **argv, struct tcpio_opts *o)
{
	const char *pos[3];
	int npos = 0, i, want;
	char *end;

	memset(o, 0, sizeof *o);
	o->family = AF_UNSPEC;
	o->seed = 1;
	if (argc < 2)
		tcpio_usage();
	if (strcmp(argv[1], "listen") == 0)
		o->mode = MODE_LISTEN;
	else if (strcmp(argv[1], "connect") == 0)
		o->mode = MODE_CONNECT;
	else if (strcmp(argv[1], "gen") == 0)
		o->mode = MODE_GEN;
	else
		tcpio_usage();
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-4") == 0 && o->mode == MODE_LISTEN) {
			o->family = AF_INET;
		} else if (strcmp(a, "-6") == 0 && o->mode == MODE_LISTEN) {
			o->family = AF_INET6;
		} else if (strcmp(a, "--once") == 0 && o->mode == MODE_LISTEN) {
			o->once = true;
		} else if (strcmp(a, "--sha256") == 0) {
			o->sha256 = true;
		} else if (strcmp(a, "--send-random") == 0 && i + 1 < argc &&
		    o->mode != MODE_GEN) {
			if (tcpio_parse_size(argv[++i], &o->random_len) < 0) {
				tcpio_msg("bad --send-random size '%s'", argv[i]);
				exit(EX_USAGE);
			}
			o->random = true;
		} else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
			errno = 0;
			o->seed = strtoull(argv[++i], &end, 0);
			if (errno != 0 || *end != '\0' || end == argv[i]) {
				tcpio_msg("bad --seed '%s'", argv[i]);
				exit(EX_USAGE);
			}
		} else if (strcmp(a, "--timeout") == 0 && i + 1 < argc &&
		    o->mode != MODE_GEN) {
			errno = 0;
			o->timeout_s = strtod(argv[++i], &end);
			if (errno != 0 || *end != '\0' || end == argv[i] ||
			    !(o->timeout_s > 0) || o->timeout_s > 1e6) {
				tcpio_msg("bad --timeout '%s' (seconds > 0)",
				    argv[i]);
				exit(EX_USAGE);
			}
		} else if (strcmp(a, "--ready") == 0 && i + 1 < argc &&
		    o->mode == MODE_LISTEN) {
			o->ready_file = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0' && npos < 3) {
			tcpio_msg("unknown option '%s'", a);
			tcpio_usage();
		} else if (npos < 3) {
			pos[npos++] = a;
		} else {
			tcpio_usage();
		}
	}
	want = o->mode == MODE_GEN ? 1 : 2;
	if (npos != want)
		tcpio_usage();
	if (o->mode == MODE_GEN) {
		if (tcpio_parse_size(pos[0], &o->random_len) < 0) {
			tcpio_msg("bad size '%s'", pos[0]);
			exit(EX_USAGE);
		}
		o->random = true;
		return;
	}
	o->addr = pos[0];
	o->port = pos[1];
}

int
main(int argc, char **argv)
{
	static struct tcpio_opts o;
	struct timespec now;
	time_t whole;

	tcpio_parse(argc, argv, &o);
	opts = &o;
	signal(SIGPIPE, SIG_IGN);
	if (o.timeout_s > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		whole = (time_t)o.timeout_s;
		deadline.tv_nsec = now.tv_nsec +
		    (long)((o.timeout_s - (double)whole) * 1e9);
		deadline.tv_sec = now.tv_sec + whole +
		    deadline.tv_nsec / 1000000000L;
		deadline.tv_nsec %= 1000000000L;
		/* Backstop for a write to stdout that blocks forever. */
		signal(SIGALRM, tcpio_on_alarm);
		alarm((unsigned int)whole + 2);
	}
	switch (o.mode) {
	case MODE_LISTEN:
		return tcpio_listen();
	case MODE_CONNECT:
		return tcpio_connect();
	case MODE_GEN:
		return tcpio_gen();
	}
	return EX_USAGE;
}

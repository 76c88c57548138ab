/*
 * edp: probe a server with the enhancement detection protocol, or serve as
 * an enhanced server (an echo server that also serves ordinary clients).
 *
 *   edp probe [options] HOST PORT
 *   edp serve [options] PORT
 *
 * Both offer the "kx" enhancement: an X25519 key agreement with a key
 * confirmation, the initialization rocks builds on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "edp/edp.h"

#define SERVE_MAX_CONNS    1024
#define SERVE_PREFIX_MS    200      /* a prefix of the announcement, then nothing */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: edp probe [options] HOST PORT\n"
"       edp serve [options] PORT\n"
"\n"
"probe: detect whether the server at HOST PORT runs an enhanced socket\n"
"library, and how an ordinary one behaves (closes, resets, sends data,\n"
"stays silent).  Options:\n"
"  -e, --enh NAME[:VMIN[-VMAX]]  offer this enhancement (repeatable; default kx:1)\n"
"  -n, --no-enh                  offer nothing (negotiate an empty list)\n"
"  -m, --mult N                  silent timeout: N x connect time (default 20)\n"
"  -t, --timeout-min MS          ... but at least MS (default 50)\n"
"  -T, --timeout-max MS          ... and at most MS (default 5000)\n"
"  -s, --send TEXT               after detection, send TEXT (\\r \\n \\t \\\\ escapes)\n"
"  -r, --read-ms MS              then read the reply for up to MS (default 1000)\n"
"  -c, --repeat N                probe N times; report medians\n"
"  -p, --porcelain               one key=value line per probe\n"
"      --plain                   a plain TCP connect, no EDP (a baseline)\n"
"      --first-byte              also time the server's first byte (up to 5 s)\n"
"serve: an enhanced echo server on PORT.  Options:\n"
"  -l, --listen ADDR             address to bind (default: any, IPv6 and IPv4)\n"
"  -b, --banner TEXT             send TEXT\\r\\n to every client at accept, as a\n"
"                                server that speaks first would\n"
"  -e, --enh NAME[:VMIN[-VMAX]]  support this enhancement (default kx:1)\n"
"environment: EVICT_LOG_LEVEL (error|warn|info|debug), EVICT_LOG_FILE\n");
}

/* ---- the "kx" enhancement: X25519, HKDF, mutual key confirmation ------ */

static int
kx_init(int fd, int is_client, uint16_t version, int deadline_ms, void *arg,
    char *cause, size_t causelen)
{
	static const char label[] = "evict edp kx confirm v1";
	const struct edp_io *io = &edp_io_libc;
	uint8_t peer[CRYPTO_X25519_LEN], shared[CRYPTO_X25519_LEN];
	uint8_t salt[2 * CRYPTO_X25519_LEN], key[CRYPTO_KEY_LEN];
	uint8_t mine[CRYPTO_HMAC_LEN], theirs[CRYPTO_HMAC_LEN];
	uint64_t deadline = edp_now_ns() + (uint64_t)deadline_ms * 1000000ull;
	struct crypto_kx kx;
	int r;

	(void)version;
	(void)arg;
	if ((r = crypto_kx_new(&kx)) < 0) {
		snprintf(cause, causelen, "no key pair");
		return r;
	}
	if ((r = edp_send_all(io, fd, kx.pub, sizeof kx.pub, deadline)) < 0 ||
	    (r = edp_recv_exact(io, fd, peer, sizeof peer, deadline)) < 0) {
		snprintf(cause, causelen, "key exchange: %s", strerror(-r));
		goto out;
	}
	if ((r = crypto_kx_shared(&kx, peer, shared)) < 0) {
		snprintf(cause, causelen, "peer sent an unusable public key");
		goto out;
	}
	/* salt: client's public key then server's */
	memcpy(salt, is_client ? kx.pub : peer, CRYPTO_X25519_LEN);
	memcpy(salt + CRYPTO_X25519_LEN, is_client ? peer : kx.pub,
	    CRYPTO_X25519_LEN);
	if ((r = crypto_hkdf_sha256(shared, sizeof shared, salt, sizeof salt,
	    label, sizeof label - 1, key, sizeof key)) < 0 ||
	    (r = crypto_hmac_sha256(key, sizeof key, is_client ? "client" :
	    "server", 6, mine)) < 0 ||
	    (r = crypto_hmac_sha256(key, sizeof key, is_client ? "server" :
	    "client", 6, theirs)) < 0) {
		snprintf(cause, causelen, "key derivation failed");
		goto out;
	}
	if ((r = edp_send_all(io, fd, mine, sizeof mine, deadline)) < 0 ||
	    (r = edp_recv_exact(io, fd, mine, sizeof mine, deadline)) < 0) {
		snprintf(cause, causelen, "key confirmation: %s", strerror(-r));
		goto out;
	}
	if (!crypto_equal(mine, theirs, sizeof mine)) {
		snprintf(cause, causelen, "key confirmation does not match");
		r = -EACCES;
	}
out:
	crypto_wipe(shared, sizeof shared);
	crypto_wipe(key, sizeof key);
	crypto_kx_free(&kx);
	return r;
}

/* ---- options ------------------------------------------------------------ */

static struct edp_enh enh_list[EDP_MAX_ENH];
static char enh_names[EDP_MAX_ENH][EDP_NAME_MAX + 1];
static size_t enh_count;
static int enh_given;

static int
parse_enh(const char *s)
{
	unsigned long lo = 1, hi;
	const char *colon = strchr(s, ':');
	size_t nlen = colon ? (size_t)(colon - s) : strlen(s);
	char *end;

	if (enh_count == EDP_MAX_ENH || nlen == 0 || nlen > EDP_NAME_MAX) {
		fprintf(stderr, "edp: bad enhancement '%s' (NAME[:VMIN[-VMAX]], "
		    "at most %d, names of 1 to %d characters)\n", s, EDP_MAX_ENH,
		    EDP_NAME_MAX);
		return -1;
	}
	if (colon != NULL) {
		errno = 0;
		lo = strtoul(colon + 1, &end, 10);
		hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (errno || *end || lo > 65535 || hi > 65535 || lo > hi) {
			fprintf(stderr, "edp: bad version range in '%s'\n", s);
			return -1;
		}
	} else
		hi = lo;
	memcpy(enh_names[enh_count], s, nlen);
	enh_names[enh_count][nlen] = '\0';
	enh_list[enh_count] = (struct edp_enh){ .name = enh_names[enh_count],
	    .vmin = (uint16_t)lo, .vmax = (uint16_t)hi,
	    .init = strcmp(enh_names[enh_count], "kx") == 0 ? kx_init : NULL };
	enh_count++;
	enh_given = 1;
	return 0;
}

static int
parse_int(const char *s, const char *what, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || *s == '\0' || *out < lo || *out > hi) {
		fprintf(stderr, "edp: %s must be a number from %ld to %ld, "
		    "not '%s'\n", what, lo, hi, s);
		return -1;
	}
	return 0;
}

static size_t
unescape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			out[n++] = *s;
			continue;
		}
		s++;
		out[n++] = *s == 'r' ? '\r' : *s == 'n' ? '\n' :
		    *s == 't' ? '\t' : *s;
	}
	out[n] = '\0';
	return n;
}

static void
print_escaped(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r')
			fputs("\\r", f);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
}

/* ---- probe -------------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
probe_exchange(int fd, const struct edp_result *res, const char *send_text,
    long read_ms, FILE *out)
{
	char msg[4096];
	uint8_t reply[4096];
	size_t n = unescape(send_text, msg), got = 0;
	uint64_t deadline = edp_now_ns() + (uint64_t)read_ms * 1000000ull;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;
	int ms;

	if (res->npre > 0) {
		got = res->npre < sizeof reply ? res->npre : sizeof reply;
		memcpy(reply, res->pre, got);
	}
	if (n > 0 && edp_send_all(&edp_io_libc, fd, msg, n, deadline) < 0) {
		fprintf(stderr, "edp: sending failed: %s\n", strerror(errno));
		return -1;
	}
	while (got < sizeof reply) {
		ms = (int)(deadline > edp_now_ns() ?
		    (deadline - edp_now_ns()) / 1000000 : 0);
		if (ms == 0 || poll(&p, 1, ms) <= 0)
			break;
		r = recv(fd, reply + got, sizeof reply - got, MSG_DONTWAIT);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	fputs("reply: ", out);
	print_escaped(out, reply, got);
	fputc('\n', out);
	return 0;
}

/* The baseline: what a program without evict pays to connect. */
static int
plain_connect(int fd, const struct sockaddr *sa, socklen_t len,
    struct edp_result *res)
{
	uint64_t t0 = edp_now_ns();

	memset(res, 0, sizeof *res);
	if (connect(fd, sa, len) < 0)
		return -errno;
	res->connect_ns = res->detect_ns = res->total_ns = edp_now_ns() - t0;
	snprintf(res->reason, sizeof res->reason, "plain connect, no EDP");
	return 0;
}

/* Time from t0 to the server's first byte (0 if none within 5 s). */
static uint64_t
first_byte(int fd, const struct edp_result *res, uint64_t t0)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (res->npre > 0)
		return res->total_ns;
	if (poll(&p, 1, 5000) <= 0)
		return 0;
	return edp_now_ns() - t0;
}

static int
cmd_probe(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "enh", required_argument, NULL, 'e' },
		{ "no-enh", no_argument, NULL, 'n' },
		{ "mult", required_argument, NULL, 'm' },
		{ "timeout-min", required_argument, NULL, 't' },
		{ "timeout-max", required_argument, NULL, 'T' },
		{ "send", required_argument, NULL, 's' },
		{ "read-ms", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'c' },
		{ "porcelain", no_argument, NULL, 'p' },
		{ "plain", no_argument, NULL, 'P' },
		{ "first-byte", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct edp_config cfg;
	struct edp_result res;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	const char *send_text = NULL;
	long v, read_ms = 1000, repeat = 1, i;
	uint64_t *tc, *td, *tt, *tf, t0;
	int porcelain = 0, no_enh = 0, plain = 0, first = 0, opt, r, fd, rc = 0;
	char host[256], port[16];

	edp_config_default(&cfg);
	while ((opt = getopt_long(argc, argv, "e:nm:t:T:s:r:c:phPF", lo, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (parse_enh(optarg) < 0)
				return 2;
			break;
		case 'n':
			no_enh = 1;
			break;
		case 'm':
			if (parse_int(optarg, "--mult", 1, 10000, &v) < 0)
				return 2;
			cfg.timeout_mult = (int)v;
			break;
		case 't':
			if (parse_int(optarg, "--timeout-min", 0, 600000, &v) < 0)
				return 2;
			cfg.timeout_min_ms = (int)v;
			break;
		case 'T':
			if (parse_int(optarg, "--timeout-max", 1, 600000, &v) < 0)
				return 2;
			cfg.timeout_max_ms = (int)v;
			break;
		case 's':
			if (strlen(optarg) >= 4096) {
				fprintf(stderr, "edp: --send text over 4095 bytes\n");
				return 2;
			}
			send_text = optarg;
			break;
		case 'r':
			if (parse_int(optarg, "--read-ms", 0, 600000, &read_ms) < 0)
				return 2;
			break;
		case 'c':
			if (parse_int(optarg, "--repeat", 1, 100000, &repeat) < 0)
				return 2;
			break;
		case 'p':
			porcelain = 1;
			break;
		case 'P':
			plain = 1;
			break;
		case 'F':
			first = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "edp probe: expected HOST PORT\n");
		usage(stderr);
		return 2;
	}
	if (!enh_given && !no_enh && parse_enh("kx:1") < 0)
		return 2;
	cfg.enh = no_enh ? NULL : enh_list;
	cfg.nenh = no_enh ? 0 : enh_count;
	if ((r = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai)) != 0) {
		fprintf(stderr, "edp probe: %s port %s: %s\n", argv[optind],
		    argv[optind + 1], gai_strerror(r));
		return 2;
	}
	getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
	tc = calloc((size_t)repeat, sizeof *tc);
	td = calloc((size_t)repeat, sizeof *td);
	tt = calloc((size_t)repeat, sizeof *tt);
	tf = calloc((size_t)repeat, sizeof *tf);
	if (tc == NULL || td == NULL || tt == NULL || tf == NULL) {
		fprintf(stderr, "edp probe: out of memory\n");
		return 1;
	}
	for (i = 0; i < repeat; i++) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "edp probe: socket: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		t0 = edp_now_ns();
		if (plain)
			r = plain_connect(fd, ai->ai_addr, ai->ai_addrlen, &res);
		else
			r = edp_connect(fd, ai->ai_addr, ai->ai_addrlen, &cfg, &res);
		if (r == 0 && first)
			tf[i] = first_byte(fd, &res, t0);
		if (r < 0) {
			fprintf(stderr, "edp probe: %s port %s: connect: %s\n",
			    host, port, strerror(-r));
			close(fd);
			rc = 1;
			break;
		}
		tc[i] = res.connect_ns;
		td[i] = res.detect_ns;
		tt[i] = res.total_ns;
		if (i == repeat - 1) {
			if (porcelain) {
				printf("addr=%s port=%s verdict=%s connect_us=%.1f "
				    "detect_us=%.1f total_us=%.1f pre=%zu chosen=",
				    host, port, plain ? "plain" :
				    edp_verdict_name(res.verdict),
				    res.connect_ns / 1e3, res.detect_ns / 1e3,
				    res.total_ns / 1e3, res.npre);
				for (size_t k = 0; k < res.nchosen; k++)
					printf("%s%s:%u", k ? "," : "",
					    res.chosen[k].name, res.chosen[k].version);
				if (first)
					printf(" first_us=%.1f", tf[i] / 1e3);
				printf(" reason=\"%s\"\n", res.reason);
			} else {
				printf("%s port %s: %s", host, port,
				    edp_verdict_name(res.verdict));
				if (res.verdict == EDP_ENHANCED) {
					printf(" (");
					for (size_t k = 0; k < res.nchosen; k++)
						printf("%s%s %u", k ? ", " : "",
						    res.chosen[k].name,
						    res.chosen[k].version);
					printf("%s)", res.nchosen ? "" :
					    "no common enhancement");
				} else
					printf(" (%s)", res.reason);
				printf("; connect %.3f ms, detected in %.3f ms, "
				    "ready in %.3f ms\n", res.connect_ns / 1e6,
				    res.detect_ns / 1e6, res.total_ns / 1e6);
			}
			if (send_text != NULL &&
			    probe_exchange(fd, &res, send_text, read_ms, stdout) < 0)
				rc = 1;
		}
		edp_result_free(&res);
		close(fd);
	}
	if (rc == 0 && repeat > 1) {
		qsort(tc, (size_t)repeat, sizeof *tc, cmp_u64);
		qsort(td, (size_t)repeat, sizeof *td, cmp_u64);
		qsort(tt, (size_t)repeat, sizeof *tt, cmp_u64);
		qsort(tf, (size_t)repeat, sizeof *tf, cmp_u64);
		printf("median of %ld: connect_us=%.1f detect_us=%.1f "
		    "total_us=%.1f", repeat, tc[repeat / 2] / 1e3,
		    td[repeat / 2] / 1e3, tt[repeat / 2] / 1e3);
		if (first)
			printf(" first_us=%.1f", tf[repeat / 2] / 1e3);
		printf("\n");
	}
	free(tf);
	free(tc);
	free(td);
	free(tt);
	freeaddrinfo(ai);
	return rc;
}

/* ---- serve -------------------------------------------------------------- */

enum conn_kind { CONN_UNDECIDED, CONN_ECHO };

struct conn {
	int       fd;
	int       kind;
	uint32_t  pre;        /* banner bytes sent before classification */
	uint64_t  since;      /* when it became undecided-with-a-prefix */
};

static struct conn conns[SERVE_MAX_CONNS];
static size_t nconns;

static void
conn_drop(size_t i)
{
	close(conns[i].fd);
	conns[i] = conns[--nconns];
}

/* Returns 1 if the connection was dropped. */
static int
conn_classify(size_t i, const struct edp_config *cfg)
{
	struct conn *c = &conns[i];
	struct edp_result res;
	int k;

	k = edp_server_classify(cfg->io, c->fd);
	switch (k) {
	case EDP_S_PROBE:
		log_info("fd %d: probe; announcing", c->fd);
		(void)edp_server_answer_probe(cfg->io, c->fd);
		conn_drop(i);
		return 1;
	case EDP_S_ENHANCED:
		if (edp_server_negotiate(c->fd, cfg, c->pre, &res) < 0) {
			conn_drop(i);
			return 1;
		}
		c->kind = CONN_ECHO;
		return 0;
	case EDP_S_ORDINARY:
		log_info("fd %d: ordinary client", c->fd);
		c->kind = CONN_ECHO;
		return 0;
	case EDP_S_UNDECIDED:
		/* data that is a prefix of the announcement, then a pause */
		if (c->since == 0)
			c->since = edp_now_ns();
		else if (edp_now_ns() - c->since >
		    (uint64_t)SERVE_PREFIX_MS * 1000000ull) {
			log_info("fd %d: ordinary client (short prefix)", c->fd);
			c->kind = CONN_ECHO;
		}
		return 0;
	default:
		conn_drop(i);
		return 1;
	}
}

static int
conn_echo(size_t i)
{
	uint8_t buf[65536];
	ssize_t n;

	n = recv(conns[i].fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0 || edp_send_all(&edp_io_libc, conns[i].fd, buf, (size_t)n,
	    edp_now_ns() + 5000000000ull) < 0) {
		conn_drop(i);
		return 1;
	}
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "banner", required_argument, NULL, 'b' },
		{ "enh", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE }, *ai;
	struct edp_config cfg;
	struct pollfd p[SERVE_MAX_CONNS + 1];
	const char *listen_addr = NULL;
	char banner[4096];
	size_t blen = 0, i;
	int opt, r, lfd, one = 1, timeout;

	edp_config_default(&cfg);
	while ((opt = getopt_long(argc, argv, "l:b:e:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_addr = optarg;
			break;
		case 'b':
			if (strlen(optarg) > sizeof banner - 3) {
				fprintf(stderr, "edp serve: banner too long\n");
				return 2;
			}
			blen = unescape(optarg, banner);
			banner[blen++] = '\r';
			banner[blen++] = '\n';
			break;
		case 'e':
			if (parse_enh(optarg) < 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "edp serve: expected PORT\n");
		usage(stderr);
		return 2;
	}
	if (!enh_given && parse_enh("kx:1") < 0)
		return 2;
	cfg.enh = enh_list;
	cfg.nenh = enh_count;
	hints.ai_family = listen_addr ? AF_UNSPEC : AF_INET6;
	if ((r = getaddrinfo(listen_addr, argv[optind], &hints, &ai)) != 0) {
		fprintf(stderr, "edp serve: %s port %s: %s\n",
		    listen_addr ? listen_addr : "*", argv[optind], gai_strerror(r));
		return 2;
	}
	lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(lfd, 128) < 0) {
		fprintf(stderr, "edp serve: port %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	freeaddrinfo(ai);
	signal(SIGPIPE, SIG_IGN);
	log_info("serving on port %s", argv[optind]);
	for (;;) {
		timeout = -1;
		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < nconns; i++) {
			p[i + 1] = (struct pollfd){ .fd = conns[i].fd,
			    .events = POLLIN };
			if (conns[i].kind == CONN_UNDECIDED && conns[i].since)
				timeout = SERVE_PREFIX_MS / 4;
		}
		if (poll(p, nconns + 1, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "edp serve: poll: %s\n", strerror(errno));
			return 1;
		}
		/* connections first, from the end: conn_drop moves the last */
		for (i = nconns; i-- > 0;) {
			if (p[i + 1].revents == 0 &&
			    !(conns[i].kind == CONN_UNDECIDED && conns[i].since))
				continue;
			if (p[i + 1].fd != conns[i].fd)
				continue;   /* moved by a drop in this pass */
			if (conns[i].kind == CONN_UNDECIDED &&
			    conn_classify(i, &cfg))
				continue;
			if (conns[i].kind == CONN_ECHO && p[i + 1].revents)
				conn_echo(i);
		}
		if (p[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd < 0)
				continue;
			if (nconns == SERVE_MAX_CONNS) {
				log_warn("too many connections; refusing one");
				close(cfd);
				continue;
			}
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			conns[nconns] = (struct conn){ .fd = cfd };
			if (blen > 0 && edp_send_all(&edp_io_libc, cfd, banner,
			    blen, edp_now_ns() + 1000000000ull) == 0)
				conns[nconns].pre = (uint32_t)blen;
			nconns++;
			/* a probe's end-of-file may be here already */
			conn_classify(nconns - 1, &cfg);
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "probe") == 0) {
		log_init("edp", EVLOG_WARN);
		return cmd_probe(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "serve") == 0) {
		log_init("edp-serve", EVLOG_INFO);
		return cmd_serve(argc - 1, argv + 1);
	}
	fprintf(stderr, "edp: unknown command '%s' (probe or serve)\n", argv[1]);
	usage(stderr);
	return 2;
}

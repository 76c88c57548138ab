/*
 * Check suite for flacd's pieces and the I/O session: the flacd protocol's
 * codec (round trips; truncated, malformed and unknown requests refused),
 * the I/O session image (round trip; every truncation, a flipped bit,
 * another version, paths escaping the name space refused), the runtime's
 * fd-name mirror read back through /proc, and the transfer combinator on
 * local() instances in a temporary directory (pull by mtime, push, FAIL,
 * IGNORE, BLOCK interrupted and BLOCK ended by the tree coming back, and
 * a service that is not built).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/wbuf.h"
#include "flac/daemon/proto.h"
#include "flac/daemon/svc.h"
#include "flac/daemon/xfer.h"
#include "flac/lang/ast.h"
#include "flac/rt/fdmirror.h"
#include "flac/rt/iosess.h"

/*
 * Under the sanitizers (make asan): libsmbclient's first context names
 * the library's log file once for the whole process (talloc, never
 * freed); that is the library's, not a leak of the smb service.  The
 * fast unwinder stops in libtalloc, hence its name: only Samba's
 * libraries allocate with talloc in this program.
 */
const char *__lsan_default_suppressions(void)
    __attribute__((visibility("default")));
const char *
__lsan_default_suppressions(void)
{
	return "leak:debug_set_logfile\nleak:libtalloc.so\n";
}

/* ---- the flacd protocol ---------------------------------------------- */

static struct flacd_req req;

START_TEST(test_proto_roundtrip)
{
	char *names[] = { "laptop", "home" }, *addrs[] = { "192.0.2.7" };
	struct wbuf b;
	int32_t v;

	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_xfer(&b, 3, FLAC_MOD_BLOCK, 1, "/p/f", 2,
	    "/s/f", "/data/f"), 0);
	ck_assert_int_eq(flacd_req_decode(FLACD_PULL, &b, &req), 0);
	ck_assert_uint_eq(req.session, 3);
	ck_assert_uint_eq(req.mod, FLAC_MOD_BLOCK);
	ck_assert_uint_eq(req.psvc, 1);
	ck_assert_uint_eq(req.ssvc, 2);
	ck_assert_str_eq(req.ppath, "/p/f");
	ck_assert_str_eq(req.spath, "/s/f");
	ck_assert_str_eq(req.vpath, "/data/f");
	wbuf_free(&b);

	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_load(&b, "spec.flac", "root local()\n",
	    13, names, 2, addrs, 1), 0);
	ck_assert_int_eq(flacd_req_decode(FLACD_LOAD, &b, &req), 0);
	ck_assert_str_eq(req.specname, "spec.flac");
	ck_assert_uint_eq(req.srclen, 13);
	ck_assert_int_eq(memcmp(req.src, "root local()\n", 13), 0);
	ck_assert_uint_eq(req.nnames, 2);
	ck_assert_str_eq(req.names[1], "home");
	ck_assert_uint_eq(req.naddrs, 1);
	ck_assert_str_eq(req.addrs[0], "192.0.2.7");
	wbuf_free(&b);

	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_result(&b, -ENOTCONN), 0);
	ck_assert_int_eq(flacd_dec_result(&b, &v), 0);
	ck_assert_int_eq(v, -ENOTCONN);
	wbuf_free(&b);

	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_hello(&b), 0);
	ck_assert_int_eq(flacd_dec_hello(&b), 0);
	wbuf_free(&b);
	wbuf_init(&b, 0);
	ck_assert_int_eq(wbuf_put_hello(&b, FLACD_MAGIC, 2, 0), 0);
	ck_assert_int_eq(flacd_dec_hello(&b), -EPROTO);
	wbuf_free(&b);
}
END_TEST

START_TEST(test_proto_bad)
{
	struct wbuf b, v;
	size_t n;

	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_xfer(&b, 1, FLAC_MOD_FAIL, 0, "/p", 0,
	    "/s", "/v"), 0);
	for (n = 0; n < b.len; n++) {
		wbuf_view(&v, b.data, n);
		ck_assert_int_eq(flacd_req_decode(FLACD_PUSH, &v, &req),
		    -EBADMSG);
	}
	/* a trailing byte */
	ck_assert_int_eq(wbuf_put_u8(&b, 0), 0);
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(flacd_req_decode(FLACD_PUSH, &v, &req), -EBADMSG);
	wbuf_free(&b);
	/* a relative path, a modifier out of range, an unknown type */
	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_xfer(&b, 1, FLAC_MOD_FAIL, 0, "p", 0,
	    "/s", "/v"), 0);
	ck_assert_int_eq(flacd_req_decode(FLACD_PULL, &b, &req), -EBADMSG);
	wbuf_free(&b);
	wbuf_init(&b, 0);
	ck_assert_int_eq(flacd_enc_xfer(&b, 1, 9, 0, "/p", 0, "/s", "/v"), 0);
	ck_assert_int_eq(flacd_req_decode(FLACD_PULL, &b, &req), -EBADMSG);
	wbuf_view(&v, b.data, b.len);
	ck_assert_int_eq(flacd_req_decode(999, &v, &req), -EPROTO);
	wbuf_free(&b);
}
END_TEST

/* ---- the I/O session image ------------------------------------------- */

static void
iosess_sample(struct iosess *s, struct iosess_file *f, char **names)
{
	memset(s, 0, sizeof *s);
	s->specname = "emacs.flac";
	s->src = "root local()\n";
	s->srclen = 13;
	names[0] = "laptop";
	s->names = names;
	s->nnames = 1;
	s->cwd = "/home/z";
	f[0] = (struct iosess_file){ 3, O_RDONLY, 123457, "/data/a" };
	f[1] = (struct iosess_file){ 4, O_RDWR, 0, "/data/b c" };
	f[2] = (struct iosess_file){ 17, O_WRONLY | O_APPEND,
	    (1ull << 33) + 5, "/" };
	s->files = f;
	s->nfiles = 3;
}

START_TEST(test_iosess_roundtrip)
{
	struct iosess s, d;
	struct iosess_file f[3];
	char *names[1], why[256];
	void *img;
	size_t len, i;

	iosess_sample(&s, f, names);
	ck_assert_int_eq(iosess_encode(&s, &img, &len), 0);
	ck_assert_int_eq(iosess_decode(img, len, &d, why, sizeof why), 0);
	ck_assert_str_eq(d.specname, "emacs.flac");
	ck_assert_uint_eq(d.srclen, 13);
	ck_assert_str_eq(d.src, "root local()\n");
	ck_assert_uint_eq(d.nnames, 1);
	ck_assert_str_eq(d.names[0], "laptop");
	ck_assert_uint_eq(d.naddrs, 0);
	ck_assert_str_eq(d.cwd, "/home/z");
	ck_assert_uint_eq(d.nfiles, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(d.files[i].fd, f[i].fd);
		ck_assert_int_eq(d.files[i].flags, f[i].flags);
		ck_assert_uint_eq(d.files[i].offset, f[i].offset);
		ck_assert_str_eq(d.files[i].path, f[i].path);
	}
	iosess_free(&d);
	free(img);
}
END_TEST

START_TEST(test_iosess_bad)
{
	uint8_t sum[CRYPTO_SHA256_LEN];
	struct iosess s, d;
	struct iosess_file f[3];
	char *names[1], why[256];
	uint8_t *img, *bad;
	size_t len, n;

	iosess_sample(&s, f, names);
	ck_assert_int_eq(iosess_encode(&s, (void **)&img, &len), 0);
	for (n = 0; n < len; n++)
		ck_assert_int_eq(iosess_decode(img, n, &d, why, sizeof why),
		    -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "truncated"));
	bad = malloc(len + 1);
	for (n = IOSESS_HDRLEN; n < len; n += 7) {
		memcpy(bad, img, len);
		bad[n] ^= 0x10;
		ck_assert_int_eq(iosess_decode(bad, len, &d, why, sizeof why),
		    -EBADMSG);
		ck_assert_str_eq(why, "checksum mismatch: the image is damaged");
	}
	memcpy(bad, img, len);
	bad[5] = 2;		/* version */
	ck_assert_int_eq(iosess_decode(bad, len, &d, why, sizeof why),
	    -EPROTO);
	ck_assert_str_eq(why, "image version 2; this flac reads version 1");
	memcpy(bad, img, len);
	bad[0] = 'X';
	ck_assert_int_eq(iosess_decode(bad, len, &d, why, sizeof why),
	    -EBADMSG);
	/* a path escaping the name space, with a right checksum */
	memcpy(bad, img, len);
	{
		uint8_t *p = memmem(bad, len, "/data/a", 7);

		ck_assert_ptr_nonnull(p);
		memcpy(p, "/../..a", 7);
		crypto_sha256(bad + IOSESS_HDRLEN, len - IOSESS_HDRLEN, sum);
		memcpy(bad + 12, sum, sizeof sum);
	}
	ck_assert_int_eq(iosess_decode(bad, len, &d, why, sizeof why),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "'/../..a' is not an absolute"));
	free(bad);
	free(img);
	/* the encoder refuses such paths too */
	f[1].path = "data/rel";
	ck_assert_int_eq(iosess_encode(&s, (void **)&img, &len), -EINVAL);
}
END_TEST

START_TEST(test_iosess_path_ok)
{
	ck_assert_int_eq(iosess_path_ok("/"), 1);
	ck_assert_int_eq(iosess_path_ok("/a/b.c/..d"), 1);
	ck_assert_int_eq(iosess_path_ok(""), 0);
	ck_assert_int_eq(iosess_path_ok("a"), 0);
	ck_assert_int_eq(iosess_path_ok("/a/"), 0);
	ck_assert_int_eq(iosess_path_ok("//a"), 0);
	ck_assert_int_eq(iosess_path_ok("/a/./b"), 0);
	ck_assert_int_eq(iosess_path_ok("/a/.."), 0);
	ck_assert_int_eq(iosess_path_ok("/.."), 0);
}
END_TEST

/* ---- the fd-name mirror ---------------------------------------------- */

/* Reads page pg of the "flac-fds" memfd of this process. */
static int
mirror_page(int pg, void *buf)
{
	char path[300], link[256];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int fd, r = -1;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:" FDMIRROR_NAME, 15) != 0)
			continue;
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		r = pread(fd, buf, FDMIRROR_PAGE, (off_t)pg * FDMIRROR_PAGE) ==
		    FDMIRROR_PAGE ? 0 : -1;
		close(fd);
		break;
	}
	closedir(d);
	return r;
}

START_TEST(test_fdmirror)
{
	struct fdmirror_hdr h;
	struct fdmirror_slot sl;

	ck_assert_int_eq(fdmirror_enable(), 0);
	fdmirror_set(7, "/data/seven");
	fdmirror_cwd("/work/dir");
	ck_assert_int_eq(mirror_page(0, &h), 0);
	ck_assert_uint_eq(h.magic, FDMIRROR_MAGIC);
	ck_assert_uint_eq(h.pid, (uint32_t)getpid());
	ck_assert_uint_eq(h.cwdlen, 9);
	ck_assert_str_eq(h.cwd, "/work/dir");
	ck_assert_int_eq(mirror_page(8, &sl), 0);
	ck_assert_uint_eq(sl.len, 11);
	ck_assert_str_eq(sl.path, "/data/seven");
	fdmirror_set(7, NULL);
	ck_assert_int_eq(mirror_page(8, &sl), 0);
	ck_assert_uint_eq(sl.len, 0);
	/* out of range: ignored */
	fdmirror_set(FDMIRROR_MAXFD, "/x");
	fdmirror_set(-1, "/x");
}
END_TEST

/* ---- the transfer combinator on local() -------------------------------- */

static char tmp[256], P[300], S[300];
static struct svc lp, ls, unreachable;

static void
xfer_setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/check-flacd.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(P, sizeof P, "%s/pri", tmp);
	snprintf(S, sizeof S, "%s/sec", tmp);
	ck_assert_int_eq(mkdir(P, 0755), 0);
	ck_assert_int_eq(mkdir(S, 0755), 0);
	ck_assert_int_eq(svc_start(&lp, 0, FLAC_SVC_LOCAL, "local()",
	    "t.flac:1:1"), 0);
	ck_assert_int_eq(svc_start(&ls, 1, FLAC_SVC_LOCAL, "local()",
	    "t.flac:1:9"), 0);
	/* port 1 of loopback: nobody serves it, the refusal is immediate */
	ck_assert_int_eq(svc_start(&unreachable, 2, FLAC_SVC_SMB,
	    "smb(port=\"1\", share=\"\\\\127.0.0.1\\s\")", "t.flac:2:5"), 0);
}

static void
xfer_teardown(void)
{
	char cmd[300];

	svc_stop(&lp);
	svc_stop(&ls);
	svc_stop(&unreachable);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static void
put(const char *dir, const char *name, const char *text, time_t mtime)
{
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	if (mtime != 0)
		ck_assert_int_eq(utimes(path, tv), 0);
}

static const char *
get(const char *dir, const char *name)
{
	static char buf[256];
	char path[400];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return "(none)";
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *
at(const char *dir, const char *name)
{
	static char buf[2][400];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static int cancel_calls;

static int
cancel_after_two(void *arg, int ms)
{
	(void)arg;
	(void)ms;
	return ++cancel_calls >= 2;
}

static int
bring_back(void *arg, int ms)
{
	(void)ms;
	if (++cancel_calls == 2) {
		ck_assert_int_eq(rename((const char *)arg, S), 0);
		put(S, "f", "back\n", 0);
	}
	return cancel_calls > 20;
}

START_TEST(test_xfer_local)
{
	struct xfer_wait w = { cancel_after_two, NULL, 1 };
	char away[400];
	struct stat a, b;

	/* pull: a new file, with its directory and time */
	ck_assert_int_eq(mkdir(at(S, "d"), 0755), 0);
	put(S, "d/f", "from sec\n", 1600000000);
	ck_assert_int_eq(xfer_pull(&lp, at(P, "d/f"), &ls, at(S, "d/f"),
	    "/d/f", FLAC_MOD_FAIL, NULL), 1);
	ck_assert_str_eq(get(P, "d/f"), "from sec\n");
	ck_assert_int_eq(stat(at(P, "d/f"), &a), 0);
	ck_assert_int_eq(a.st_mtime, 1600000000);
	/* unchanged: no copy */
	ck_assert_int_eq(xfer_pull(&lp, at(P, "d/f"), &ls, at(S, "d/f"),
	    "/d/f", FLAC_MOD_FAIL, NULL), 0);
	/* the primary's is newer: kept */
	put(P, "g", "mine\n", 1700000000);
	put(S, "g", "theirs\n", 1600000000);
	ck_assert_int_eq(xfer_pull(&lp, at(P, "g"), &ls, at(S, "g"), "/g",
	    FLAC_MOD_FAIL, NULL), 0);
	ck_assert_str_eq(get(P, "g"), "mine\n");
	/* push: newer primary replaces; an older one does not */
	ck_assert_int_eq(xfer_push(&lp, at(P, "g"), &ls, at(S, "g"), "/g",
	    FLAC_MOD_FAIL, NULL), 1);
	ck_assert_str_eq(get(S, "g"), "mine\n");
	ck_assert_int_eq(stat(at(P, "g"), &a), 0);
	ck_assert_int_eq(stat(at(S, "g"), &b), 0);
	ck_assert_int_eq(a.st_mtime, b.st_mtime);
	ck_assert_int_eq(xfer_push(&lp, at(P, "g"), &ls, at(S, "g"), "/g",
	    FLAC_MOD_FAIL, NULL), 0);
	/* push makes the directories it needs */
	ck_assert_int_eq(mkdir(at(P, "n"), 0755), 0);
	put(P, "n/h", "new\n", 0);
	ck_assert_int_eq(xfer_push(&lp, at(P, "n/h"), &ls, at(S, "n/h"),
	    "/n/h", FLAC_MOD_FAIL, NULL), 1);
	ck_assert_str_eq(get(S, "n/h"), "new\n");
	/* nothing to push for a file the primary does not have */
	ck_assert_int_eq(xfer_push(&lp, at(P, "none"), &ls, at(S, "none"),
	    "/none", FLAC_MOD_FAIL, NULL), 0);

	/* the secondary away: FAIL, IGNORE, BLOCK interrupted */
	snprintf(away, sizeof away, "%s/away", tmp);
	ck_assert_int_eq(rename(S, away), 0);
	ck_assert_int_eq(xfer_pull(&lp, at(P, "g"), &ls, at(S, "g"), "/g",
	    FLAC_MOD_FAIL, NULL), -ENOTCONN);
	ck_assert_int_eq(xfer_pull(&lp, at(P, "g"), &ls, at(S, "g"), "/g",
	    FLAC_MOD_IGNORE, NULL), 0);
	ck_assert_int_eq(xfer_push(&lp, at(P, "g"), &ls, at(S, "g"), "/g",
	    FLAC_MOD_IGNORE, NULL), 0);
	ck_assert_int_eq(access(S, F_OK), -1);
	cancel_calls = 0;
	ck_assert_int_eq(xfer_pull(&lp, at(P, "f"), &ls, at(S, "f"), "/f",
	    FLAC_MOD_BLOCK, &w), -EINTR);
	ck_assert_int_eq(cancel_calls, 2);
	/* BLOCK: the tree comes back during the wait */
	cancel_calls = 0;
	w.cancelled = bring_back;
	w.arg = away;
	ck_assert_int_eq(xfer_pull(&lp, at(P, "f"), &ls, at(S, "f"), "/f",
	    FLAC_MOD_BLOCK, &w), 1);
	ck_assert_str_eq(get(P, "f"), "back\n");

	/* a service that cannot be reached: FAIL, IGNORE, BLOCK interrupted */
	ck_assert_int_eq(xfer_push(&lp, at(P, "g"), &unreachable, "/g", "/g",
	    FLAC_MOD_FAIL, NULL), -ENOTCONN);
	ck_assert_int_eq(xfer_push(&lp, at(P, "g"), &unreachable, "/g", "/g",
	    FLAC_MOD_IGNORE, NULL), 0);
	w.cancelled = cancel_after_two;
	w.arg = NULL;
	cancel_calls = 0;
	ck_assert_int_eq(xfer_pull(&lp, at(P, "g"), &unreachable, "/g", "/g",
	    FLAC_MOD_BLOCK, &w), -EINTR);
	ck_assert_int_eq(cancel_calls, 2);
	ck_assert_str_eq(get(P, "g"), "mine\n");
	ck_assert_int_eq(unreachable.ops->stat(&unreachable, "/g", &a),
	    -ENOTCONN);
	ck_assert_int_eq(unreachable.ops->open(&unreachable, "/g", O_RDONLY,
	    0), -ENOTCONN);
	ck_assert_ptr_eq(svc_ops_for(FLAC_SVC_SMB), &svc_smb_ops);
	{
		/* a host that would not stay a host in the URL: never */
		struct svc bad;

		ck_assert_int_eq(svc_start(&bad, 3, FLAC_SVC_SMB,
		    "smb(share=\"\\\\u@h\\s\")", "t.flac:3:1"), -EINVAL);
		ck_assert_int_eq(bad.ops->isavailable(&bad, "/"), -EINVAL);
		ck_assert_int_eq(bad.ops->stat(&bad, "/g", &a), -EINVAL);
		svc_stop(&bad);
	}
	ck_assert_ptr_eq(svc_ops_for(FLAC_SVC__COUNT), &svc_absent_ops);
	ck_assert_ptr_eq(svc_ops_for(FLAC_SVC_LOCAL), &svc_local_ops);
}
END_TEST

START_TEST(test_xfer_root)
{
	char out[256];

	ck_assert_int_eq(xfer_root("/c/home/a/b", "/n/home/a/b", out,
	    sizeof out), 0);
	ck_assert_str_eq(out, "/c");
	ck_assert_int_eq(xfer_root("/sec/f", "/data/f", out, sizeof out), 0);
	ck_assert_str_eq(out, "/sec");
	ck_assert_int_eq(xfer_root("/x/y", "/x/y", out, sizeof out), 0);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(xfer_root("/s/ab", "/v/b", out, sizeof out), 0);
	ck_assert_str_eq(out, "/s/ab");
	ck_assert_int_eq(xfer_root("/s/a", "/a", out, 2), -ENAMETOOLONG);
}
END_TEST

static Suite *
flac_daemon_suite(void)
{
	Suite *s = suite_create("flac_daemon");
	TCase *codec = tcase_create("codec");
	TCase *xfer = tcase_create("xfer");

	tcase_add_test(codec, test_proto_roundtrip);
	tcase_add_test(codec, test_proto_bad);
	tcase_add_test(codec, test_iosess_roundtrip);
	tcase_add_test(codec, test_iosess_bad);
	tcase_add_test(codec, test_iosess_path_ok);
	tcase_add_test(codec, test_fdmirror);
	tcase_add_test(codec, test_xfer_root);
	suite_add_tcase(s, codec);
	tcase_add_checked_fixture(xfer, xfer_setup, xfer_teardown);
	tcase_add_test(xfer, test_xfer_local);
	suite_add_tcase(s, xfer);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(flac_daemon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

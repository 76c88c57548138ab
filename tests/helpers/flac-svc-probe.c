/*
 * flac-svc-probe: runs flacd's service operations one by one on one
 * instance, for tests of a service against a real server.
 *
 *   flac-svc-probe TEXT OP ARGS... [OP ARGS...]...
 *
 * TEXT is the canonical text of a primitive (smb(share="\\h\s")); the
 * type is the name before '('.  The operations, in order:
 *   avail                 isavailable("/")
 *   stat PATH             the result, then size, type (dir/file) and mtime
 *   put PATH FILE         open(O_CREAT|O_TRUNC|O_WRONLY), pwrite FILE in
 *                         pieces of 100000 bytes, fsync, close
 *   get PATH FILE         open(O_RDONLY), pread into FILE, close
 *   ls PATH               readdir: the names, sorted by the caller
 *   mkdir PATH | unlink PATH | rmdir PATH | rename FROM TO
 *   utime PATH MODE SECS  setattr: mode (octal, - for none), both times
 * Prints one line per operation, "OP r" with r 0 (or a count) or -errno,
 * and what it read; exit 0 when every operation ran (whatever its
 * result), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flac/daemon/svc.h"
#include "flac/lang/ast.h"

static int
probe_name(void *arg, const char *name)
{
	(void)arg;
	printf("  %s\n", name);
	return 0;
}

static int
probe_put(struct svc *s, const char *path, const char *file)
{
	char buf[100000];
	uint64_t off = 0;
	size_t n, k;
	ssize_t w;
	FILE *f = fopen(file, "r");
	int h, r = 0;

	if (f == NULL)
		return -errno;
	if ((h = s->ops->open(s, path, O_CREAT | O_TRUNC | O_WRONLY, 0644)) <
	    0) {
		fclose(f);
		return h;
	}
	while (r == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
		for (k = 0; k < n && r == 0; k += (size_t)w, off += (uint64_t)w)
			if ((w = s->ops->pwrite(s, h, buf + k, n - k, off)) <= 0)
				r = w < 0 ? (int)w : -EIO;
	fclose(f);
	if (r == 0)
		r = s->ops->fsync(s, h);
	if (s->ops->close(s, h) < 0 && r == 0)
		r = -EIO;
	return r < 0 ? r : (int)off;
}

static int
probe_get(struct svc *s, const char *path, const char *file)
{
	char buf[65536];
	uint64_t off = 0;
	ssize_t n;
	FILE *f;
	int h, r = 0;

	if ((h = s->ops->open(s, path, O_RDONLY, 0)) < 0)
		return h;
	if ((f = fopen(file, "w")) == NULL) {
		s->ops->close(s, h);
		return -errno;
	}
	while ((n = s->ops->pread(s, h, buf, sizeof buf, off)) > 0) {
		fwrite(buf, 1, (size_t)n, f);
		off += (uint64_t)n;
	}
	if (n < 0)
		r = (int)n;
	fclose(f);
	s->ops->close(s, h);
	return r < 0 ? r : (int)off;
}

static void
usage(void)
{
	fprintf(stderr, "usage: flac-svc-probe TEXT OP ARGS... (see the "
	    "source)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct svc s;
	struct stat st;
	struct timespec t[2];
	char type[16];
	size_t n;
	int i, k, r;

	if (argc < 3 || (n = strcspn(argv[1], "(")) >= sizeof type)
		usage();
	memcpy(type, argv[1], n);
	type[n] = '\0';
	for (k = 0; k < FLAC_SVC__COUNT && strcmp(flac_svc_names[k], type); k++)
		;
	if (k == FLAC_SVC__COUNT)
		usage();
	if ((r = svc_start(&s, 0, k, argv[1], "probe")) < 0) {
		printf("start %d\n", r);
		svc_stop(&s);
		return 1;
	}
	for (i = 2; i < argc; ) {
		const char *op = argv[i++];
		const char *a = i < argc ? argv[i] : NULL;
		const char *b = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(op, "avail") == 0) {
			printf("avail %d\n", s.ops->isavailable(&s, "/"));
		} else if (a == NULL) {
			usage();
		} else if (strcmp(op, "stat") == 0) {
			r = s.ops->stat(&s, a, &st);
			if (r == 0)
				printf("stat 0 size %lld %s mtime %lld\n",
				    (long long)st.st_size, S_ISDIR(st.st_mode) ?
				    "dir" : "file", (long long)st.st_mtime);
			else
				printf("stat %d\n", r);
			i++;
		} else if (strcmp(op, "ls") == 0) {
			printf("ls\n");
			printf("ls %d\n", s.ops->readdir(&s, a, probe_name, NULL));
			i++;
		} else if (strcmp(op, "mkdir") == 0) {
			printf("mkdir %d\n", s.ops->mkdir(&s, a, 0755));
			i++;
		} else if (strcmp(op, "unlink") == 0) {
			printf("unlink %d\n", s.ops->unlink(&s, a));
			i++;
		} else if (strcmp(op, "rmdir") == 0) {
			printf("rmdir %d\n", s.ops->rmdir(&s, a));
			i++;
		} else if (b == NULL) {
			usage();
		} else if (strcmp(op, "put") == 0) {
			printf("put %d\n", probe_put(&s, a, b));
			i += 2;
		} else if (strcmp(op, "get") == 0) {
			printf("get %d\n", probe_get(&s, a, b));
			i += 2;
		} else if (strcmp(op, "rename") == 0) {
			printf("rename %d\n", s.ops->rename(&s, a, b));
			i += 2;
		} else if (strcmp(op, "utime") == 0 && i + 2 < argc) {
			t[0].tv_sec = t[1].tv_sec = strtoll(argv[i + 2], NULL, 10);
			t[0].tv_nsec = t[1].tv_nsec = 0;
			printf("utime %d\n", s.ops->setattr(&s, a,
			    strcmp(b, "-") == 0 ? (mode_t)-1 :
			    (mode_t)strtoul(b, NULL, 8), t));
			i += 3;
		} else {
			usage();
		}
		fflush(stdout);
	}
	svc_stop(&s);
	return 0;
}

/*
 * Check suite for guievict/inject's pure parts that find dlopen in a
 * target: /proc/PID/maps lines (maps.c) and ELF dynamic symbol tables
 * (elfsym.c), the latter checked against this process's own libc.
 */
#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guievict/inject/elfsym.h"
#include "guievict/inject/maps.h"

/* ---- maps ------------------------------------------------------------- */

START_TEST(test_maps_lib_line)
{
	struct maps_entry e;

	ck_assert_int_eq(maps_parse_line("7fc619735000-7fc61988b000 r-xp "
	    "00026000 fe:00 332835                     "
	    "/usr/lib/x86_64-linux-gnu/libc.so.6\n", &e), 0);
	ck_assert(e.start == 0x7fc619735000ull);
	ck_assert(e.end == 0x7fc61988b000ull);
	ck_assert(e.offset == 0x26000);
	ck_assert_uint_eq(e.dev_major, 0xfe);
	ck_assert_uint_eq(e.dev_minor, 0);
	ck_assert(e.inode == 332835);
	ck_assert_str_eq(e.perms, "r-xp");
	ck_assert_int_eq(e.deleted, 0);
	ck_assert_str_eq(e.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}
END_TEST

START_TEST(test_maps_anon_and_special)
{
	struct maps_entry e;

	ck_assert_int_eq(maps_parse_line("7ffd1000-7ffd2000 rw-p 00000000 "
	    "00:00 0", &e), 0);
	ck_assert_str_eq(e.path, "");
	ck_assert(e.inode == 0);
	ck_assert_int_eq(maps_parse_line("7ffd1000-7ffd2000 rw-p 00000000 "
	    "00:00 0                          [stack]\n", &e), 0);
	ck_assert_str_eq(e.path, "[stack]");
	ck_assert_int_eq(maps_parse_line("ffffffffff600000-ffffffffff601000 "
	    "--xp 00000000 00:00 0  [vsyscall]", &e), 0);
	ck_assert(e.start == 0xffffffffff600000ull);
	ck_assert_str_eq(e.perms, "--xp");
}
END_TEST

START_TEST(test_maps_deleted_and_spaces)
{
	struct maps_entry e;

	ck_assert_int_eq(maps_parse_line("1000-2000 r--p 00000000 08:01 77 "
	    "/opt/my libs/libc.so.6 (deleted)\n", &e), 0);
	ck_assert_int_eq(e.deleted, 1);
	ck_assert_str_eq(e.path, "/opt/my libs/libc.so.6");
	/* a memfd reads as a removed file; a named anonymous map does not */
	ck_assert_int_eq(maps_parse_line("1000-2000 r--s 00000000 00:01 9 "
	    "/memfd:x (deleted)", &e), 0);
	ck_assert_int_eq(e.deleted, 1);
	ck_assert_int_eq(maps_parse_line("1000-2000 r--s 00000000 00:01 9 "
	    "[anon:x (deleted)]", &e), 0);
	ck_assert_int_eq(e.deleted, 0);
}
END_TEST

START_TEST(test_maps_bad_lines)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"1000 r-xp 00000000 fe:00 1 /x",
		"1000-2000r-xp 00000000 fe:00 1 /x",
		"2000-1000 r-xp 00000000 fe:00 1 /x",	/* end < start */
		"1000-2000 rwzp 00000000 fe:00 1 /x",		/* perms */
		"1000-2000 r-x 00000000 fe:00 1 /x",
		"1000-2000 r-xp zz fe:00 1 /x",
		"1000-2000 r-xp 00000000 fe00 1 /x",
		"1000-2000 r-xp 00000000 fe:00 x /x",
		"1000-2000 r-xp 00000000 fe:00 12x /x",
		"11112222333344445-2000 r-xp 0 fe:00 1 /x",	/* 17 digits */
		"1000-2000 r-xp 00000000 fe:00 1 /x\n1000-2000",
	};
	struct maps_entry e;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(maps_parse_line(bad[i], &e) == -EINVAL,
		    "accepted: %s", bad[i]);
}
END_TEST

START_TEST(test_maps_long_path)
{
	struct maps_entry e;
	char *line;
	size_t n = PATH_MAX + 64;

	line = malloc(n + 64);
	ck_assert_ptr_nonnull(line);
	strcpy(line, "1000-2000 r-xp 00000000 fe:00 1 /");
	memset(line + strlen(line), 'a', n);
	line[33 + n] = '\0';
	ck_assert_int_eq(maps_parse_line(line, &e), -ENAMETOOLONG);
	free(line);
}
END_TEST

START_TEST(test_maps_names)
{
	ck_assert(maps_name_matches("/usr/lib/x86_64-linux-gnu/libc.so.6",
	    "libc.so.6"));
	ck_assert(maps_name_matches("/lib/x86_64-linux-gnu/libc-2.31.so",
	    "libc.so.6"));
	ck_assert(maps_name_matches("/lib/libc-2.3.so", "libc.so.6"));
	ck_assert(!maps_name_matches("libc.so.6", "libc.so.6"));
	ck_assert(!maps_name_matches("/lib/libc.so.6.bak", "libc.so.6"));
	ck_assert(!maps_name_matches("/lib/libcrypt.so.1", "libc.so.6"));
	ck_assert(!maps_name_matches("/lib/libc-.so", "libc.so.6"));
	ck_assert(!maps_name_matches("/lib/libc-2..31.so", "libc.so.6"));
	ck_assert(!maps_name_matches("/lib/libc-2.31.so.x", "libc.so.6"));
	ck_assert(!maps_name_matches("/lib/libc-2.31.so", "libm.so.6"));
	ck_assert(!maps_name_matches("/x/not-libc.so.6", "libc.so.6"));
	ck_assert(!maps_name_matches("[stack]", "libc.so.6"));
}
END_TEST

START_TEST(test_maps_find_own_libc)
{
	struct maps_lib lib;
	struct stat st;

	ck_assert_int_eq(maps_find_lib(getpid(), "libc.so.6", &lib), 0);
	ck_assert(lib.base != 0);
	ck_assert(lib.first_start == lib.base);
	ck_assert(lib.first_end > lib.first_start);
	ck_assert_int_ge(lib.nexec, 1);
	ck_assert_int_eq(stat(lib.path, &st), 0);
	ck_assert(st.st_ino == lib.inode);
	ck_assert_int_eq(maps_find_lib(getpid(), "libnot-there.so.9", &lib),
	    -ENOENT);
	ck_assert_int_eq(maps_find_lib(0x3fffffff, "libc.so.6", &lib), -ESRCH);
}
END_TEST

/* ---- elfsym ------------------------------------------------------------ */

static int
open_own_libc(struct maps_lib *lib)
{
	int fd;

	ck_assert_int_eq(maps_find_lib(getpid(), "libc.so.6", lib), 0);
	fd = open(lib->path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* What dlsym says libc's own definition is (not an interposer's). */
static void *
libc_sym(const char *name)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *p;

	ck_assert_ptr_nonnull(h);
	p = dlsym(h, name);
	dlclose(h);
	return p;
}

START_TEST(test_elfsym_own_libc)
{
	struct elfsym_query q[] = {
		{ .name = "dlopen" }, { .name = "dlerror" },
		{ .name = "poll" }, { .name = "malloc" },
		{ .name = "environ" },
		{ .name = "no_such_symbol_here" },
	};
	struct maps_lib lib;
	uint64_t lv, addr;
	Dl_info di;
	size_t i;
	int fd;

	fd = open_own_libc(&lib);
	ck_assert_int_eq(elfsym_lookup(fd, q, sizeof q / sizeof q[0], &lv), 0);
	close(fd);
	for (i = 0; i + 1 < sizeof q / sizeof q[0]; i++) {
		ck_assert_msg(q[i].found, "%s not found", q[i].name);
		addr = lib.base - lv + q[i].value;
		ck_assert_msg(addr == (uint64_t)(uintptr_t)libc_sym(q[i].name),
		    "%s: 0x%llx, dlsym says %p", q[i].name,
		    (unsigned long long)addr, libc_sym(q[i].name));
	}
	ck_assert_int_eq(q[i].found, 0);

	addr = lib.base - lv + q[0].value;
#ifndef __SANITIZE_ADDRESS__
	/* Without an interposer, the default dlopen is libc's itself. */
	ck_assert(addr == (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "dlopen"));
#endif
	ck_assert(dladdr((void *)(uintptr_t)addr, &di) != 0);
	ck_assert_ptr_nonnull(di.dli_sname);
	ck_assert_str_eq(di.dli_sname, "dlopen");
	ck_assert_ptr_nonnull(strstr(di.dli_fname, "libc"));
}
END_TEST

/* dlopen has two versions in libc.so.6 (GLIBC_2.2.5 and GLIBC_2.34);
 * whichever we report must be a definition, and both resolve alike. */
START_TEST(test_elfsym_repeat_is_stable)
{
	struct elfsym_query a = { .name = "dlopen" }, b = { .name = "dlopen" };
	struct maps_lib lib;
	uint64_t lv1, lv2;
	int fd;

	fd = open_own_libc(&lib);
	ck_assert_int_eq(elfsym_lookup(fd, &a, 1, &lv1), 0);
	ck_assert_int_eq(elfsym_lookup(fd, &b, 1, &lv2), 0);
	close(fd);
	ck_assert(a.found && b.found);
	ck_assert(a.value == b.value && lv1 == lv2);
	ck_assert(a.value != 0);
}
END_TEST

static int
tmpfile_with(const void *buf, size_t len)
{
	char name[] = "/tmp/check_gv_inject_elf.XXXXXX";
	int fd = mkstemp(name);

	ck_assert_int_ge(fd, 0);
	unlink(name);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	return fd;
}

START_TEST(test_elfsym_not_elf)
{
	struct elfsym_query q = { .name = "dlopen" };
	uint64_t lv;
	int fd;

	fd = tmpfile_with("#!/bin/sh\necho hello\n", 21);
	ck_assert_int_eq(elfsym_lookup(fd, &q, 1, &lv), -ENOEXEC);
	close(fd);
	fd = tmpfile_with("", 0);
	ck_assert_int_eq(elfsym_lookup(fd, &q, 1, &lv), -ENOEXEC);
	close(fd);
	ck_assert_int_eq(q.found, 0);
}
END_TEST

/* Reads the first len bytes of our libc. */
static unsigned char *
libc_prefix(size_t *len)
{
	struct maps_lib lib;
	struct stat st;
	unsigned char *buf;
	int fd;

	fd = open_own_libc(&lib);
	ck_assert_int_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	buf = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, *len, 0), (ssize_t)*len);
	close(fd);
	return buf;
}

START_TEST(test_elfsym_truncated)
{
	struct elfsym_query q = { .name = "dlopen" };
	unsigned char *buf;
	size_t len;
	uint64_t lv;
	int fd;

	buf = libc_prefix(&len);
	/* the section headers sit at the end: cut them off */
	fd = tmpfile_with(buf, 4096);
	ck_assert_int_eq(elfsym_lookup(fd, &q, 1, &lv), -ENOEXEC);
	close(fd);
	fd = tmpfile_with(buf, 40);	/* shorter than an ELF header */
	ck_assert_int_eq(elfsym_lookup(fd, &q, 1, &lv), -ENOEXEC);
	close(fd);
	free(buf);
}
END_TEST

/* Garbage in the headers and tables: an answer, never a crash. */
START_TEST(test_elfsym_mangled)
{
	struct elfsym_query q[2] = { { .name = "dlopen" },
	    { .name = "dlerror" } };
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	unsigned char *buf, *copy;
	size_t len, off, i, k;
	uint64_t lv, seed = 88172645463325252ull;
	int fd, r;

	buf = libc_prefix(&len);
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	eh = (Elf64_Ehdr *)buf;
	ck_assert(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof *sh <= len);
	for (k = 0; k < 200; k++) {
		memcpy(copy, buf, len);
		/* flip 16 random bytes of the ELF header or section headers */
		for (i = 0; i < 16; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			if (seed & 1)
				off = (size_t)(seed >> 8) % sizeof *eh;
			else
				off = eh->e_shoff + (size_t)(seed >> 8) %
				    ((size_t)eh->e_shnum * sizeof *sh);
			copy[off] = (unsigned char)(seed >> 32);
		}
		fd = tmpfile_with(copy, len);
		r = elfsym_lookup(fd, q, 2, &lv);
		close(fd);
		ck_assert(r == 0 || r == -ENOEXEC || r == -ENOENT ||
		    r == -ENOMEM);
	}
	free(copy);
	free(buf);
}
END_TEST

START_TEST(test_elfsym_check_header)
{
	unsigned char h[sizeof(Elf64_Ehdr)];
	Elf64_Ehdr *e64 = (Elf64_Ehdr *)h;
	Elf32_Ehdr *e32 = (Elf32_Ehdr *)h;
	const char *what;

	memset(h, 0, sizeof h);
	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = ELFCLASS64;
	h[EI_DATA] = ELFDATA2LSB;
	e64->e_machine = EM_X86_64;
	ck_assert_int_eq(elfsym_check_x86_64(h, sizeof h, &what), 0);
	ck_assert_str_eq(what, "an x86_64 program");

	e64->e_machine = EM_AARCH64;
	ck_assert_int_eq(elfsym_check_x86_64(h, sizeof h, &what), -ENOEXEC);
	ck_assert_str_eq(what, "a 64-bit program for another machine");

	e64->e_machine = EM_X86_64;
	h[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_eq(elfsym_check_x86_64(h, sizeof h, &what), -ENOEXEC);
	ck_assert_str_eq(what, "a big-endian program");

	memset(h, 0, sizeof h);
	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = ELFCLASS32;
	h[EI_DATA] = ELFDATA2LSB;
	e32->e_machine = EM_386;
	ck_assert_int_eq(elfsym_check_x86_64(h, sizeof h, &what), -ENOEXEC);
	ck_assert_str_eq(what, "a 32-bit (i386) program");
	e32->e_machine = EM_X86_64;
	ck_assert_int_eq(elfsym_check_x86_64(h, sizeof h, &what), -ENOEXEC);
	ck_assert_str_eq(what, "an x32 program");

	ck_assert_int_eq(elfsym_check_x86_64("#!/bin/sh\n", 10, &what),
	    -ENOEXEC);
	ck_assert_str_eq(what, "not an ELF file");
	h[EI_CLASS] = ELFCLASS64;
	ck_assert_int_eq(elfsym_check_x86_64(h, 20, &what), -ENOEXEC);
	ck_assert_str_eq(what, "a truncated ELF file");
	ck_assert_int_eq(elfsym_check_x86_64(h, 0, NULL), -ENOEXEC);
}
END_TEST

START_TEST(test_elfsym_own_exe_is_x86_64)
{
	unsigned char h[64];
	const char *what;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, h, sizeof h), (ssize_t)sizeof h);
	close(fd);
	ck_assert_int_eq(elfsym_check_x86_64(h, sizeof h, &what), 0);
}
END_TEST

static Suite *
gv_inject_elf_suite(void)
{
	Suite *s = suite_create("gv_inject_elf");
	TCase *tc = tcase_create("maps");

	tcase_add_test(tc, test_maps_lib_line);
	tcase_add_test(tc, test_maps_anon_and_special);
	tcase_add_test(tc, test_maps_deleted_and_spaces);
	tcase_add_test(tc, test_maps_bad_lines);
	tcase_add_test(tc, test_maps_long_path);
	tcase_add_test(tc, test_maps_names);
	tcase_add_test(tc, test_maps_find_own_libc);
	suite_add_tcase(s, tc);
	tc = tcase_create("elfsym");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_elfsym_own_libc);
	tcase_add_test(tc, test_elfsym_repeat_is_stable);
	tcase_add_test(tc, test_elfsym_not_elf);
	tcase_add_test(tc, test_elfsym_truncated);
	tcase_add_test(tc, test_elfsym_mangled);
	tcase_add_test(tc, test_elfsym_check_header);
	tcase_add_test(tc, test_elfsym_own_exe_is_x86_64);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gv_inject_elf_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Check suite for rockd/allow: parsing ADDR[/PREFIX] and matching. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rockd/rockd.h"

static struct sockaddr_storage
sa_of(const char *s)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, s, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return ss;
}

static int
allowed(const struct rd_allow *l, int n, const char *addr)
{
	struct sockaddr_storage ss = sa_of(addr);

	return rd_allowed_in(l, n, (struct sockaddr *)&ss);
}

START_TEST(test_parse)
{
	struct rd_allow a;

	ck_assert_int_eq(rd_allow_parse("192.0.2.0/24", &a), 0);
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_uint_eq(a.prefix, 24);
	ck_assert_int_eq(rd_allow_parse("198.51.100.7", &a), 0);
	ck_assert_uint_eq(a.prefix, 32);
	ck_assert_int_eq(rd_allow_parse("2001:db8::/32", &a), 0);
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_uint_eq(a.prefix, 32);
	ck_assert_int_eq(rd_allow_parse("192.0.2.0/33", &a), -1);
	ck_assert_int_eq(rd_allow_parse("192.0.2.0/", &a), -1);
	ck_assert_int_eq(rd_allow_parse("192.0.2.0/2x", &a), -1);
	ck_assert_int_eq(rd_allow_parse("example.org", &a), -1);
	ck_assert_int_eq(rd_allow_parse("", &a), -1);
}
END_TEST

START_TEST(test_match)
{
	struct rd_allow l[3];

	ck_assert_int_eq(rd_allow_parse("192.0.2.0/25", &l[0]), 0);
	ck_assert_int_eq(rd_allow_parse("2001:db8:1::/48", &l[1]), 0);
	ck_assert_int_eq(rd_allow_parse("203.0.113.9/32", &l[2]), 0);
	/* an empty list allows everything */
	ck_assert_int_eq(allowed(l, 0, "198.51.100.1"), 1);
	ck_assert_int_eq(allowed(l, 3, "192.0.2.1"), 1);
	ck_assert_int_eq(allowed(l, 3, "192.0.2.127"), 1);
	ck_assert_int_eq(allowed(l, 3, "192.0.2.128"), 0);
	ck_assert_int_eq(allowed(l, 3, "203.0.113.9"), 1);
	ck_assert_int_eq(allowed(l, 3, "203.0.113.8"), 0);
	ck_assert_int_eq(allowed(l, 3, "2001:db8:1:ffff::1"), 1);
	ck_assert_int_eq(allowed(l, 3, "2001:db8:2::1"), 0);
	/* an IPv4 destination written as IPv4-mapped IPv6 */
	ck_assert_int_eq(allowed(l, 3, "::ffff:192.0.2.5"), 1);
	ck_assert_int_eq(allowed(l, 3, "::ffff:198.51.100.5"), 0);
}
END_TEST

START_TEST(test_prefix_zero)
{
	struct rd_allow a;

	ck_assert_int_eq(rd_allow_parse("0.0.0.0/0", &a), 0);
	ck_assert_int_eq(allowed(&a, 1, "198.51.100.200"), 1);
	ck_assert_int_eq(allowed(&a, 1, "2001:db8::1"), 0);
}
END_TEST

static Suite *
allow_suite(void)
{
	Suite *s = suite_create("rockd_allow");
	TCase *tc = tcase_create("allow");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_prefix_zero);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(allow_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

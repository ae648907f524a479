/*
 * check_perm.c - tests of lib/perm.c: parsing, formatting and access.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "xs.h"

static Suite	*perm_suite(void);

/* Each letter, and domids at the edges. */
START_TEST(test_parse_ok)
{
	static const struct {
		const char	*s;
		uint32_t	 domid;
		uint8_t		 access;
	} t[] = {
		{ "n0", 0, XS_PERM_NONE },
		{ "r5", 5, XS_PERM_READ },
		{ "w17", 17, XS_PERM_WRITE },
		{ "b0", 0, XS_PERM_BOTH },
		{ "b32751", XS_DOMID_MAX, XS_PERM_BOTH },
		{ "r32757", XS_DOMID_ANY, XS_PERM_READ },
		{ "r007", 7, XS_PERM_READ },
		{ "n000000000000000000001", 1, XS_PERM_NONE },
	};
	struct xs_perm	p;
	size_t		i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&p, 0xff, sizeof p);
		ck_assert_msg(xs_perm_parse(t[i].s, &p) == 0, "%s", t[i].s);
		ck_assert_uint_eq(p.domid, t[i].domid);
		ck_assert_uint_eq(p.access, t[i].access);
	}
}
END_TEST

/*
 * Every bad form is EINVAL. C xenstored 4.17 also refuses "", "x5", "r",
 * "R5", "r5x"; it accepts "r+5", "r 5", "r0x5" (as r5) and "r4294967296"
 * (as r0), which are refused here on purpose (see lib/perm.c).
 */
START_TEST(test_parse_bad)
{
	static const char *const bad[] = {
		"", "x5", "q0", "R5", "B0", "r", "b", "5", "r5x", "rr5",
		"r+5", "r-5", "r 5", " r5", "r5 ", "r0x5", "r0X5", "rx5",
		"r5.0", "r1e3",
		"r99999999999999999999", "r4294967296", "r4294967295",
		"r65536", "r32752", "r32753", "r32756", "r32758", "r65535",
		"r2147483648",
	};
	struct xs_perm	p;
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(xs_perm_parse(bad[i], &p) == EINVAL, "%s",
		    bad[i]);
	ck_assert_int_eq(xs_perm_parse(NULL, &p), EINVAL);
}
END_TEST

/* Lists: strict termination, count, bound. */
START_TEST(test_parse_list)
{
	struct xs_perm	p[4];
	unsigned int	n = 99;

	ck_assert_int_eq(xs_perm_parse_list("b0\0r5\0", 6, p, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(p[0].domid, 0);
	ck_assert_uint_eq(p[0].access, XS_PERM_BOTH);
	ck_assert_uint_eq(p[1].domid, 5);
	ck_assert_uint_eq(p[1].access, XS_PERM_READ);

	ck_assert_int_eq(xs_perm_parse_list("n7\0", 3, p, 1, &n), 0);
	ck_assert_uint_eq(n, 1);

	/* Duplicates are kept; the first match decides access. */
	ck_assert_int_eq(xs_perm_parse_list("b0\0r5\0w5\0", 9, p, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
}
END_TEST

/* Malformed lists. */
START_TEST(test_parse_list_bad)
{
	struct xs_perm	p[4];
	unsigned int	n = 99;

	ck_assert_int_eq(xs_perm_parse_list("", 0, p, 4, &n), EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(xs_perm_parse_list(NULL, 0, p, 4, &n), EINVAL);
	/* An empty entry. */
	ck_assert_int_eq(xs_perm_parse_list("\0", 1, p, 4, &n), EINVAL);
	ck_assert_int_eq(xs_perm_parse_list("b0\0\0", 4, p, 4, &n), EINVAL);
	/* Unterminated, or bytes after the last NUL (4.17 takes these). */
	ck_assert_int_eq(xs_perm_parse_list("b0", 2, p, 4, &n), EINVAL);
	ck_assert_int_eq(xs_perm_parse_list("r5\0xx", 5, p, 4, &n), EINVAL);
	/* A bad second entry (4.17: EINVAL as well). */
	ck_assert_int_eq(xs_perm_parse_list("r1\0q5\0", 6, p, 4, &n), EINVAL);
	/* More entries than room. */
	ck_assert_int_eq(xs_perm_parse_list("b0\0r1\0r2\0", 9, p, 2, &n),
	    EINVAL);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* The largest list a payload can hold: "p\0" and 1364 "n0\0". */
START_TEST(test_parse_list_max)
{
	char		*buf;
	struct xs_perm	*p;
	unsigned int	 i, n;
	size_t		 len;

	ck_assert_uint_eq(XS_PERMS_MAX, 1364);
	buf = malloc(XS_PERMS_MAX * 3);
	p = calloc(XS_PERMS_MAX, sizeof *p);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < XS_PERMS_MAX; i++)
		memcpy(buf + 3 * i, "n0", 3);
	len = 3 * XS_PERMS_MAX;
	ck_assert_uint_le(len + 2, XS_PAYLOAD_MAX);
	ck_assert_int_eq(xs_perm_parse_list(buf, (uint32_t)len, p,
	    XS_PERMS_MAX, &n), 0);
	ck_assert_uint_eq(n, XS_PERMS_MAX);
	ck_assert_int_eq(xs_perm_parse_list(buf, (uint32_t)len, p,
	    XS_PERMS_MAX - 1, &n), EINVAL);
	free(buf);
	free(p);
}
END_TEST

/* Formatting single entries and lists. */
START_TEST(test_format)
{
	struct xs_perm	p[3] = {
		{ 5, XS_PERM_WRITE }, { 7, XS_PERM_READ }, { 0, XS_PERM_NONE },
	};
	struct xs_perm	q = { XS_DOMID_MAX, XS_PERM_BOTH };
	char		out[64];

	ck_assert_uint_eq(xs_perm_format(&p[0], out, sizeof out), 2);
	ck_assert_str_eq(out, "w5");
	ck_assert_uint_eq(xs_perm_format(&q, out, sizeof out), 6);
	ck_assert_str_eq(out, "b32751");
	ck_assert_uint_eq(xs_perm_format_list(p, 3, out, sizeof out), 9);
	ck_assert_int_eq(memcmp(out, "w5\0r7\0n0\0", 9), 0);
}
END_TEST

/* Parse and format agree on every letter. */
START_TEST(test_roundtrip)
{
	static const char *const s[] = { "n0", "r1", "w32751", "b32757" };
	struct xs_perm	p;
	char		out[16];
	size_t		i;

	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		ck_assert_int_eq(xs_perm_parse(s[i], &p), 0);
		ck_assert_uint_eq(xs_perm_format(&p, out, sizeof out),
		    strlen(s[i]));
		ck_assert_str_eq(out, s[i]);
	}
}
END_TEST

/* Formatting into too little room gives 0; a bad access value too. */
START_TEST(test_format_limits)
{
	struct xs_perm	p = { 12345, XS_PERM_READ };
	struct xs_perm	l[2] = { { 1, XS_PERM_BOTH }, { 2, XS_PERM_READ } };
	struct xs_perm	bad = { 1, 4 };
	char		out[16];

	ck_assert_uint_eq(xs_perm_format(&p, out, 7), 6);
	ck_assert_uint_eq(xs_perm_format(&p, out, 6), 0);
	ck_assert_uint_eq(xs_perm_format(&p, out, 0), 0);
	ck_assert_uint_eq(xs_perm_format(&bad, out, sizeof out), 0);
	ck_assert_uint_eq(xs_perm_format_list(l, 2, out, 6), 6);
	ck_assert_uint_eq(xs_perm_format_list(l, 2, out, 5), 0);
	ck_assert_uint_eq(xs_perm_format_list(l, 2, out, 3), 0);
	ck_assert_uint_eq(xs_perm_format_list(l, 0, out, sizeof out), 0);
}
END_TEST

/* Owner, listed domain, default; first match wins. */
START_TEST(test_access)
{
	struct xs_perm	p[4] = {
		{ 5, XS_PERM_WRITE }, { 7, XS_PERM_READ },
		{ 8, XS_PERM_NONE }, { 7, XS_PERM_BOTH },
	};
	struct xs_perm	only = { 3, XS_PERM_NONE };

	ck_assert_uint_eq(xs_perm_access(p, 4, 5), XS_PERM_BOTH);
	ck_assert_uint_eq(xs_perm_access(p, 4, 7), XS_PERM_READ);
	ck_assert_uint_eq(xs_perm_access(p, 4, 8), XS_PERM_NONE);
	ck_assert_uint_eq(xs_perm_access(p, 4, 9), XS_PERM_WRITE);
	ck_assert_uint_eq(xs_perm_access(p, 4, 0), XS_PERM_WRITE);
	ck_assert_uint_eq(xs_perm_access(&only, 1, 3), XS_PERM_BOTH);
	ck_assert_uint_eq(xs_perm_access(&only, 1, 4), XS_PERM_NONE);
	ck_assert_uint_eq(xs_perm_access(p, 0, 5), XS_PERM_NONE);
}
END_TEST

/* DOMID_ANY entries match every domain, in list order. */
START_TEST(test_access_any)
{
	struct xs_perm	p[3] = {
		{ 5, XS_PERM_NONE }, { 7, XS_PERM_WRITE },
		{ XS_DOMID_ANY, XS_PERM_READ },
	};
	struct xs_perm	q[2] = {
		{ 5, XS_PERM_NONE }, { XS_DOMID_ANY, XS_PERM_READ },
	};
	struct xs_perm	owner_any = { XS_DOMID_ANY, XS_PERM_NONE };

	ck_assert_uint_eq(xs_perm_access(p, 3, 5), XS_PERM_BOTH);
	ck_assert_uint_eq(xs_perm_access(p, 3, 7), XS_PERM_WRITE);
	ck_assert_uint_eq(xs_perm_access(p, 3, 9), XS_PERM_READ);
	ck_assert_uint_eq(xs_perm_access(p, 2, 9), XS_PERM_NONE);
	ck_assert_uint_eq(xs_perm_access(q, 2, 5), XS_PERM_BOTH);
	ck_assert_uint_eq(xs_perm_access(q, 2, 123), XS_PERM_READ);
	ck_assert_uint_eq(xs_perm_access(&owner_any, 1, 42), XS_PERM_BOTH);
}
END_TEST

/* An entry marked ignored (its domain went away) matches no one. */
START_TEST(test_access_ignored)
{
	struct xs_perm	p[3] = {
		{ 0, XS_PERM_NONE }, { 5, XS_PERM_READ | XS_PERM_IGNORE },
		{ 5, XS_PERM_WRITE },
	};
	char		one[16];

	ck_assert_uint_eq(xs_perm_access(p, 3, 5), XS_PERM_WRITE);
	ck_assert_uint_eq(xs_perm_access(p, 2, 5), XS_PERM_NONE);
	/* It is shown as it was set. */
	ck_assert_uint_eq(xs_perm_format(&p[1], one, sizeof one), 2);
	ck_assert_str_eq(one, "r5");
}
END_TEST

/* The suite: core, limits, errors. */
static Suite *
perm_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("perm");

	tc = tcase_create("core");
	tcase_add_test(tc, test_parse_ok);
	tcase_add_test(tc, test_parse_list);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_access);
	tcase_add_test(tc, test_access_any);
	tcase_add_test(tc, test_access_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_parse_list_max);
	tcase_add_test(tc, test_format_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_parse_list_bad);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(perm_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

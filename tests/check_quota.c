/*
 * check_quota.c - GET_QUOTA, SET_QUOTA and the quotas of dom0, against
 * the real daemon over its socket (daemon-fixture.c).
 *
 * GET_QUOTA and SET_QUOTA are ENOSYS in Xen 4.17; xsdbd serves them as
 * docs/misc/xenstore.txt of later Xen describes them: "" lists the quota
 * names, "name" is the daemon's value (the default of every domain),
 * "domid\0name" a domain's; 0 is no limit; a domain Xen does not know is
 * ENOENT, an unknown name or a malformed request EINVAL. SET_QUOTA and
 * CONTROL "quota set" change the same settings.
 *
 * dom0 is held to no quota but the path length, as with Xen's daemon: a
 * daemon started with tiny quotas lets the socket create nodes, big
 * nodes, long permission lists, watches and transactions beyond them.
 * What guests meet is check_quota_guest.c.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"

static struct fixture	 fx;
static int		 fd = -1;

static void	 setup(void);
static void	 teardown(void);
static void	 start(const char *const *);
static size_t	 strings(char *, const char *, va_list);
static const char *req(uint32_t, uint32_t *, const char *, ...);
static void	 expect_str(uint32_t, const char *, const char *, ...);
static void	 expect_err(uint32_t, const char *, const char *, ...);
static void	 expect_ok(uint32_t, const char *, ...);

/* A run directory for each test; the daemon is started by the test. */
static void
setup(void)
{
	fixture_init(&fx);
	fd = -1;
}

/* Stop the daemon, remove the run directory. */
static void
teardown(void)
{
	if (fd != -1)
		close(fd);
	fd = -1;
	fixture_fini(&fx);
}

/* Start the daemon with extra arguments and connect to it. */
static void
start(const char *const *extra)
{
	fixture_up(&fx, extra);
	fd = fixture_connect(&fx);
}

/* Put first and the strings of ap up to NULL, each with its NUL, in buf. */
static size_t
strings(char *buf, const char *first, va_list ap)
{
	const char	*s;
	size_t		 len = 0, n;

	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		n = strlen(s) + 1;
		ck_assert_uint_le(len + n, XS_PAYLOAD_MAX);
		memcpy(buf + len, s, n);
		len += n;
	}
	return len;
}

/* A request of strings (first may be NULL: empty payload). */
static const char *
req(uint32_t type, uint32_t *rt, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	uint32_t	 rl;
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, first);
	if (first != NULL)
		n = strings(buf, first, ap);
	va_end(ap);
	return fixture_req(fd, type, 0, buf, (uint32_t)n, rt, &rl);
}

/* A request that answers the string want. */
static void
expect_str(uint32_t type, const char *want, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, first);
	if (first != NULL)
		n = strings(buf, first, ap);
	va_end(ap);
	r = fixture_req(fd, type, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == type && rl == strlen(want) + 1 &&
	    strcmp(r, want) == 0, "type %u %s: wanted \"%s\", got type %u "
	    "\"%s\"", type, first != NULL ? first : "", want, rt, r);
}

/* A request that answers ERROR name. */
static void
expect_err(uint32_t type, const char *name, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	uint32_t	 rt, rl;
	const char	*r;
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, first);
	if (first != NULL)
		n = strings(buf, first, ap);
	va_end(ap);
	r = fixture_req(fd, type, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == XS_ERROR && strcmp(r, name) == 0,
	    "type %u %s: wanted %s, got type %u \"%s\"", type,
	    first != NULL ? first : "", name, rt, r);
}

/* A request that answers OK. */
static void
expect_ok(uint32_t type, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	uint32_t	 rt, rl;
	const char	*r;
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, first);
	if (first != NULL)
		n = strings(buf, first, ap);
	va_end(ap);
	r = fixture_req(fd, type, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == type && rl == 3 && strcmp(r, "OK") == 0,
	    "type %u %s: wanted OK, got type %u \"%s\"", type,
	    first != NULL ? first : "", rt, r);
}

/* GET_QUOTA without arguments lists the names it knows. */
START_TEST(test_get_list)
{
	start(NULL);
	expect_str(XS_GET_QUOTA, "nodes watches outstanding memory "
	    "soft-memory transactions transaction-nodes permissions path-max "
	    "node-size", NULL);
}
END_TEST

/* The defaults are those of Xen's C xenstored 4.17. */
START_TEST(test_get_defaults)
{
	start(NULL);
	expect_str(XS_GET_QUOTA, "1000", "nodes", NULL);
	expect_str(XS_GET_QUOTA, "128", "watches", NULL);
	expect_str(XS_GET_QUOTA, "20", "outstanding", NULL);
	expect_str(XS_GET_QUOTA, "2621440", "memory", NULL);
	expect_str(XS_GET_QUOTA, "2097152", "soft-memory", NULL);
	expect_str(XS_GET_QUOTA, "10", "transactions", NULL);
	expect_str(XS_GET_QUOTA, "1024", "transaction-nodes", NULL);
	expect_str(XS_GET_QUOTA, "5", "permissions", NULL);
	expect_str(XS_GET_QUOTA, "5", "node-permissions", NULL);
	expect_str(XS_GET_QUOTA, "2048", "path-max", NULL);
	expect_str(XS_GET_QUOTA, "2048", "node-size", NULL);
}
END_TEST

/* Command-line settings show in GET_QUOTA. */
START_TEST(test_get_options)
{
	static const char *const args[] = { "-E", "7", "-S", "300", "-W",
	    "4", "-t", "3", "-A", "2", "-M", "100", "-Q", "memory=5000",
	    "-q", "memory=4000", "-Q", "outstanding=9", "-Q",
	    "transaction-nodes=11", NULL };

	start(args);
	expect_str(XS_GET_QUOTA, "7", "nodes", NULL);
	expect_str(XS_GET_QUOTA, "300", "node-size", NULL);
	expect_str(XS_GET_QUOTA, "4", "watches", NULL);
	expect_str(XS_GET_QUOTA, "3", "transactions", NULL);
	expect_str(XS_GET_QUOTA, "2", "permissions", NULL);
	expect_str(XS_GET_QUOTA, "100", "path-max", NULL);
	expect_str(XS_GET_QUOTA, "5000", "memory", NULL);
	expect_str(XS_GET_QUOTA, "4000", "soft-memory", NULL);
	expect_str(XS_GET_QUOTA, "9", "outstanding", NULL);
	expect_str(XS_GET_QUOTA, "11", "transaction-nodes", NULL);
}
END_TEST

/* SET_QUOTA without a domid changes the daemon's value, as CONTROL does. */
START_TEST(test_set_global)
{
	uint32_t	 rt;
	const char	*r;

	start(NULL);
	expect_ok(XS_SET_QUOTA, "nodes", "50", NULL);
	expect_str(XS_GET_QUOTA, "50", "nodes", NULL);
	r = req(XS_CONTROL, &rt, "quota", NULL);
	ck_assert_uint_eq(rt, XS_CONTROL);
	ck_assert_ptr_nonnull(strstr(r, "nodes            :       50 "));

	expect_ok(XS_CONTROL, "quota", "set", "watches", "9", NULL);
	expect_str(XS_GET_QUOTA, "9", "watches", NULL);
	expect_ok(XS_SET_QUOTA, "soft-memory", "12345", NULL);
	r = req(XS_CONTROL, &rt, "quota-soft", NULL);
	ck_assert_ptr_nonnull(strstr(r, "memory           :    12345 "));

	/* 0 is no limit; path-max never goes past the protocol's. */
	expect_ok(XS_SET_QUOTA, "node-size", "0", NULL);
	expect_str(XS_GET_QUOTA, "0", "node-size", NULL);
	expect_ok(XS_SET_QUOTA, "path-max", "9999", NULL);
	expect_str(XS_GET_QUOTA, "2048", "path-max", NULL);
	expect_ok(XS_SET_QUOTA, "node-permissions", "8", NULL);
	expect_str(XS_GET_QUOTA, "8", "permissions", NULL);
}
END_TEST

/* dom0's own quotas: kept apart from the daemon's, never applied. */
START_TEST(test_set_dom0)
{
	start(NULL);
	expect_str(XS_GET_QUOTA, "1000", "0", "nodes", NULL);
	expect_ok(XS_SET_QUOTA, "0", "nodes", "3", NULL);
	expect_str(XS_GET_QUOTA, "3", "0", "nodes", NULL);
	expect_str(XS_GET_QUOTA, "1000", "nodes", NULL);
	expect_ok(XS_WRITE, "/a/b/c/d", NULL);
	expect_ok(XS_WRITE, "/e/f/g/h", NULL);
}
END_TEST

/* Bad requests. */
START_TEST(test_errors)
{
	start(NULL);
	expect_err(XS_GET_QUOTA, "EINVAL", "bogus", NULL);
	expect_err(XS_GET_QUOTA, "EINVAL", "0", "nodes", "x", NULL);
	expect_err(XS_GET_QUOTA, "EINVAL", "abc", "nodes", NULL);
	expect_err(XS_GET_QUOTA, "EINVAL", "70000", "nodes", NULL);
	expect_err(XS_GET_QUOTA, "EINVAL", "0", "bogus", NULL);
	expect_err(XS_GET_QUOTA, "EINVAL", "soft-nodes", NULL);
	/* --xen=none: no domain but dom0 exists. */
	expect_err(XS_GET_QUOTA, "ENOENT", "5", "nodes", NULL);

	expect_err(XS_SET_QUOTA, "EINVAL", "nodes", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "0", "nodes", "1", "2", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "bogus", "1", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "nodes", "x", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "nodes", "-1", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "nodes", "", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "nodes", "5x", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "nodes", "4294967296", NULL);
	expect_err(XS_SET_QUOTA, "EINVAL", "x", "nodes", "1", NULL);
	expect_err(XS_SET_QUOTA, "ENOENT", "5", "nodes", "1", NULL);
	expect_str(XS_GET_QUOTA, "1000", "nodes", NULL);
}
END_TEST

/* dom0 is held to no quota: tiny ones change nothing for the socket. */
START_TEST(test_dom0_unlimited)
{
	static const char *const args[] = { "-E", "2", "-S", "100", "-A",
	    "1", "-W", "1", "-t", "1", "-Q", "memory=100", NULL };
	char		 buf[3000], path[32];
	uint32_t	 rt, rl, tx;
	const char	*r;
	unsigned int	 i;

	start(args);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof path, "/n/%u/x", i);
		expect_ok(XS_WRITE, path, NULL);
	}
	memcpy(buf, "/big", 5);
	memset(buf + 5, 'v', sizeof buf - 5);
	r = fixture_req(fd, XS_WRITE, 0, buf, sizeof buf, &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
	expect_ok(XS_SET_PERMS, "/big", "n0", "r1", "r2", "r3", "r4", "r5",
	    "r6", NULL);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "/n/%u", i);
		expect_ok(XS_WATCH, path, "tok", NULL);
	}
	for (i = 0; i < 5; i++) {
		r = req(XS_TRANSACTION_START, &rt, "", NULL);
		ck_assert_uint_eq(rt, XS_TRANSACTION_START);
		tx = (uint32_t)strtoul(r, NULL, 10);
		ck_assert_uint_ne(tx, 0);
	}
}
END_TEST

/* The path-length quota holds for dom0 too, as in Xen's daemon. */
START_TEST(test_dom0_path_max)
{
	static const char *const args[] = { "-M", "20", NULL };
	char	path[64];

	start(args);
	memset(path, 'a', sizeof path);
	path[0] = '/';
	path[20] = '\0';
	expect_ok(XS_WRITE, path, NULL);
	path[20] = 'a';
	path[21] = '\0';
	expect_err(XS_WRITE, "EINVAL", path, NULL);
	/* Below a domain's home only what follows it counts. */
	snprintf(path, sizeof path, "/local/domain/7/%s",
	    "aaaaaaaaaaaaaaaaaaaa");
	expect_ok(XS_WRITE, path, NULL);
	expect_ok(XS_SET_QUOTA, "path-max", "30", NULL);
	memset(path, 'b', 31);
	path[0] = '/';
	path[30] = '\0';
	expect_ok(XS_WRITE, path, NULL);
}
END_TEST

/* The suite. */
static Suite *
quota_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("quota");

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_get_list);
	tcase_add_test(tc, test_get_defaults);
	tcase_add_test(tc, test_get_options);
	tcase_add_test(tc, test_set_global);
	tcase_add_test(tc, test_set_dom0);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dom0_unlimited);
	tcase_add_test(tc, test_dom0_path_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; fail if any test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(quota_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

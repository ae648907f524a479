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
	fixture_done(&fx, &fd);
}

/* Start the daemon with extra arguments and connect to it. */
static void
start(const char *const *extra)
{
	fixture_up(&fx, extra);
	fd = fixture_connect(&fx);
}

/* GET_QUOTA without arguments lists the names it knows. */
START_TEST(test_get_list)
{
	start(NULL);
	fixture_answers(fd, XS_GET_QUOTA, "nodes watches outstanding memory "
	    "soft-memory transactions transaction-nodes permissions path-max "
	    "node-size", NULL);
}
END_TEST

/* The defaults are those of Xen's C xenstored 4.17. */
START_TEST(test_get_defaults)
{
	start(NULL);
	fixture_answers(fd, XS_GET_QUOTA, "1000", "nodes", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "128", "watches", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "20", "outstanding", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "2621440", "memory", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "2097152", "soft-memory", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "10", "transactions", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "1024", "transaction-nodes", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "5", "permissions", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "5", "node-permissions", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "2048", "path-max", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "2048", "node-size", NULL);
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
	fixture_answers(fd, XS_GET_QUOTA, "7", "nodes", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "300", "node-size", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "4", "watches", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "3", "transactions", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "2", "permissions", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "100", "path-max", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "5000", "memory", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "4000", "soft-memory", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "9", "outstanding", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "11", "transaction-nodes", NULL);
}
END_TEST

/* SET_QUOTA without a domid changes the daemon's value, as CONTROL does. */
START_TEST(test_set_global)
{
	uint32_t	 rt;
	const char	*r;

	start(NULL);
	fixture_answers(fd, XS_SET_QUOTA, "OK", "nodes", "50", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "50", "nodes", NULL);
	r = fixture_reqs(fd, XS_CONTROL, &rt, NULL, "quota", NULL);
	ck_assert_uint_eq(rt, XS_CONTROL);
	ck_assert_ptr_nonnull(strstr(r, "nodes            :       50 "));

	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "watches", "9",
	    NULL);
	fixture_answers(fd, XS_GET_QUOTA, "9", "watches", NULL);
	fixture_answers(fd, XS_SET_QUOTA, "OK", "soft-memory", "12345", NULL);
	r = fixture_reqs(fd, XS_CONTROL, &rt, NULL, "quota-soft", NULL);
	ck_assert_ptr_nonnull(strstr(r, "memory           :    12345 "));

	/* 0 is no limit; path-max never goes past the protocol's. */
	fixture_answers(fd, XS_SET_QUOTA, "OK", "node-size", "0", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "0", "node-size", NULL);
	fixture_answers(fd, XS_SET_QUOTA, "OK", "path-max", "9999", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "2048", "path-max", NULL);
	fixture_answers(fd, XS_SET_QUOTA, "OK", "node-permissions", "8", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "8", "permissions", NULL);
}
END_TEST

/* dom0's own quotas: kept apart from the daemon's, never applied. */
START_TEST(test_set_dom0)
{
	start(NULL);
	fixture_answers(fd, XS_GET_QUOTA, "1000", "0", "nodes", NULL);
	fixture_answers(fd, XS_SET_QUOTA, "OK", "0", "nodes", "3", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "3", "0", "nodes", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "1000", "nodes", NULL);
	fixture_answers(fd, XS_WRITE, "OK", "/a/b/c/d", NULL);
	fixture_answers(fd, XS_WRITE, "OK", "/e/f/g/h", NULL);
}
END_TEST

/* Bad requests. */
START_TEST(test_errors)
{
	start(NULL);
	fixture_errors(fd, XS_GET_QUOTA, "EINVAL", "bogus", NULL);
	fixture_errors(fd, XS_GET_QUOTA, "EINVAL", "0", "nodes", "x", NULL);
	fixture_errors(fd, XS_GET_QUOTA, "EINVAL", "abc", "nodes", NULL);
	fixture_errors(fd, XS_GET_QUOTA, "EINVAL", "70000", "nodes", NULL);
	fixture_errors(fd, XS_GET_QUOTA, "EINVAL", "0", "bogus", NULL);
	fixture_errors(fd, XS_GET_QUOTA, "EINVAL", "soft-nodes", NULL);
	/* --xen=none: no domain but dom0 exists. */
	fixture_errors(fd, XS_GET_QUOTA, "ENOENT", "5", "nodes", NULL);

	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "nodes", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "0", "nodes", "1", "2",
	    NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "bogus", "1", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "nodes", "x", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "nodes", "-1", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "nodes", "", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "nodes", "5x", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "nodes", "4294967296", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "EINVAL", "x", "nodes", "1", NULL);
	fixture_errors(fd, XS_SET_QUOTA, "ENOENT", "5", "nodes", "1", NULL);
	fixture_answers(fd, XS_GET_QUOTA, "1000", "nodes", NULL);
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
		fixture_answers(fd, XS_WRITE, "OK", path, NULL);
	}
	memcpy(buf, "/big", 5);
	memset(buf + 5, 'v', sizeof buf - 5);
	r = fixture_req(fd, XS_WRITE, 0, buf, sizeof buf, &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
	fixture_answers(fd, XS_SET_PERMS, "OK", "/big", "n0", "r1", "r2", "r3",
	    "r4", "r5", "r6", NULL);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "/n/%u", i);
		fixture_answers(fd, XS_WATCH, "OK", path, "tok", NULL);
	}
	for (i = 0; i < 5; i++) {
		r = fixture_reqs(fd, XS_TRANSACTION_START, &rt, NULL, "", NULL);
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
	fixture_answers(fd, XS_WRITE, "OK", path, NULL);
	path[20] = 'a';
	path[21] = '\0';
	fixture_errors(fd, XS_WRITE, "EINVAL", path, NULL);
	/* Below a domain's home only what follows it counts. */
	snprintf(path, sizeof path, "/local/domain/7/%s",
	    "aaaaaaaaaaaaaaaaaaaa");
	fixture_answers(fd, XS_WRITE, "OK", path, NULL);
	fixture_answers(fd, XS_SET_QUOTA, "OK", "path-max", "30", NULL);
	memset(path, 'b', 31);
	path[0] = '/';
	path[30] = '\0';
	fixture_answers(fd, XS_WRITE, "OK", path, NULL);
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
	return fixture_main(quota_suite());
}

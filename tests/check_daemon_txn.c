/*
 * check_daemon_txn.c - xenstore transactions served by xsdbd: ids,
 * isolation, conflicts (EAGAIN only on real ones), abort on close, limits
 * and the time bound, with Xen's C xenstored 4.17 answers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon-fixture.h"

static struct fixture	 fx;
static int		 fd = -1;

static void	setup(void);
static void	teardown(void);
static uint32_t	tx_start(int);
static int	tx_end(int, uint32_t, bool);
static void	tx_write(int, uint32_t, const char *, const char *);
static int	tx_read(int, uint32_t, const char *, char *, size_t);

/* A daemon and one connection for each test. */
static void
setup(void)
{
	fd = fixture_serve(&fx, NULL);
}

/* Stop the daemon. */
static void
teardown(void)
{
	fixture_done(&fx, &fd);
}

/* TRANSACTION_START: the new id. */
static uint32_t
tx_start(int s)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req(s, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
	ck_assert_msg(rt == XS_TRANSACTION_START, "start: %u %s", rt, r);
	ck_assert_uint_eq(rl, strlen(r) + 1);
	return (uint32_t)strtoul(r, NULL, 10);
}

/* TRANSACTION_END: 0 or the errno named by the error. */
static int
tx_end(int s, uint32_t tx, bool commit)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req(s, XS_TRANSACTION_END, tx, commit ? "T" : "F", 2,
	    &rt, &rl);
	if (rt == XS_ERROR)
		return xs_wire_error_from_name(r);
	ck_assert_uint_eq(rt, XS_TRANSACTION_END);
	ck_assert_str_eq(r, "OK");
	return 0;
}

/* WRITE in a transaction (or outside with tx 0), must succeed. */
static void
tx_write(int s, uint32_t tx, const char *path, const char *value)
{
	char		 buf[XS_PAYLOAD_MAX];
	size_t		 pl = strlen(path) + 1, vl = strlen(value);
	uint32_t	 rt, rl;
	const char	*r;

	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	r = fixture_req(s, XS_WRITE, tx, buf, (uint32_t)(pl + vl), &rt, &rl);
	ck_assert_msg(rt == XS_WRITE, "write %s: %s", path, r);
}

/* READ: 0 with the value, or the errno named by the error. */
static int
tx_read(int s, uint32_t tx, const char *path, char *out, size_t len)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req1(s, XS_READ, tx, path, &rt, &rl);
	if (rt == XS_ERROR)
		return xs_wire_error_from_name(r);
	ck_assert_uint_eq(rt, XS_READ);
	snprintf(out, len, "%.*s", (int)rl, r);
	return 0;
}

/* Ids count from 1 on each connection; replies carry the tx id. */
START_TEST(test_ids)
{
	int		other;
	char		v[64];

	ck_assert_uint_eq(tx_start(fd), 1);
	ck_assert_uint_eq(tx_start(fd), 2);
	ck_assert_uint_eq(tx_start(fd), 3);
	other = fixture_connect(&fx);
	ck_assert_uint_eq(tx_start(other), 1);
	/* Each connection has its own transaction 1. */
	tx_write(other, 1, "/t", "other");
	ck_assert_int_eq(tx_read(fd, 1, "/t", v, sizeof v), ENOENT);
	ck_assert_int_eq(tx_end(other, 1, true), 0);
	ck_assert_int_eq(tx_end(fd, 2, false), 0);
	ck_assert_uint_eq(tx_start(fd), 4);
	close(other);
}
END_TEST

/* A transaction sees its own writes; others see them at commit. */
START_TEST(test_isolation)
{
	uint32_t	tx;
	char		v[64];

	tx_write(fd, 0, "/i", "before");
	tx = tx_start(fd);
	tx_write(fd, tx, "/i", "inside");
	tx_write(fd, tx, "/i2/new", "n");
	ck_assert_int_eq(tx_read(fd, tx, "/i", v, sizeof v), 0);
	ck_assert_str_eq(v, "inside");
	ck_assert_int_eq(tx_read(fd, 0, "/i", v, sizeof v), 0);
	ck_assert_str_eq(v, "before");
	ck_assert_int_eq(tx_read(fd, 0, "/i2/new", v, sizeof v), ENOENT);
	ck_assert_int_eq(tx_end(fd, tx, true), 0);
	ck_assert_int_eq(tx_read(fd, 0, "/i", v, sizeof v), 0);
	ck_assert_str_eq(v, "inside");
	ck_assert_int_eq(tx_read(fd, 0, "/i2/new", v, sizeof v), 0);

	/* "F" drops everything. */
	tx = tx_start(fd);
	tx_write(fd, tx, "/i", "dropped");
	ck_assert_int_eq(tx_end(fd, tx, false), 0);
	ck_assert_int_eq(tx_read(fd, 0, "/i", v, sizeof v), 0);
	ck_assert_str_eq(v, "inside");

	/* A snapshot: later writes by others are not seen inside. */
	tx = tx_start(fd);
	tx_write(fd, 0, "/i", "later");
	ck_assert_int_eq(tx_read(fd, tx, "/i", v, sizeof v), 0);
	ck_assert_str_eq(v, "inside");
	ck_assert_int_eq(tx_end(fd, tx, false), 0);
}
END_TEST

/* EAGAIN only on real conflicts (each case as the reference answers). */
START_TEST(test_conflicts)
{
	uint32_t	tx;
	char		v[64];
	int		other = fixture_connect(&fx);

	tx_write(fd, 0, "/t", "v0");

	/* Read, changed by another, commit: EAGAIN. */
	tx = tx_start(fd);
	ck_assert_int_eq(tx_read(fd, tx, "/t", v, sizeof v), 0);
	tx_write(other, 0, "/t", "v1");
	tx_write(fd, tx, "/t2", "x");
	ck_assert_int_eq(tx_end(fd, tx, true), EAGAIN);
	ck_assert_int_eq(tx_read(fd, 0, "/t2", v, sizeof v), ENOENT);

	/* Another node changed: no conflict. */
	tx = tx_start(fd);
	ck_assert_int_eq(tx_read(fd, tx, "/other", v, sizeof v), ENOENT);
	tx_write(other, 0, "/t", "v2");
	tx_write(fd, tx, "/t3", "x");
	ck_assert_int_eq(tx_end(fd, tx, true), 0);

	/* A listed directory gains a child: EAGAIN. */
	tx = tx_start(fd);
	fixture_req1(fd, XS_DIRECTORY, tx, "/", &(uint32_t){0},
	    &(uint32_t){0});
	tx_write(other, 0, "/newchild", "v");
	tx_write(fd, tx, "/t4", "x");
	ck_assert_int_eq(tx_end(fd, tx, true), EAGAIN);

	/* A node read as missing is created: EAGAIN. */
	tx = tx_start(fd);
	ck_assert_int_eq(tx_read(fd, tx, "/nx", v, sizeof v), ENOENT);
	tx_write(other, 0, "/nx", "v");
	tx_write(fd, tx, "/t5", "x");
	ck_assert_int_eq(tx_end(fd, tx, true), EAGAIN);

	/* A written node's parent changes: EAGAIN. */
	tx = tx_start(fd);
	tx_write(fd, tx, "/t/sub", "x");
	tx_write(other, 0, "/t", "v3");
	ck_assert_int_eq(tx_end(fd, tx, true), EAGAIN);

	/* Failed requests inside do not doom the transaction. */
	tx = tx_start(fd);
	fixture_expect_error(fd, XS_RM, tx, "/", 2, "EINVAL");
	fixture_expect_error(fd, XS_WRITE, tx, "/a b\0x", 6, "EINVAL");
	tx_write(fd, tx, "/t6", "x");
	ck_assert_int_eq(tx_end(fd, tx, true), 0);
	ck_assert_int_eq(tx_read(fd, 0, "/t6", v, sizeof v), 0);
	close(other);
}
END_TEST

/*
 * Read-modify-write from several connections in lock step: in each round
 * all read, all write, all commit; one wins, the others retry. No update
 * is lost and every EAGAIN is a real conflict.
 */
START_TEST(test_rmw_counter)
{
	int		s[4], i, rc, done[4] = { 0 }, total = 0, rounds = 0;
	uint32_t	tx[4];
	char		v[64];
	long		seen[4];

	tx_write(fd, 0, "/counter", "0");
	for (i = 0; i < 4; i++)
		s[i] = fixture_connect(&fx);
	while (total < 200) {
		rounds++;
		for (i = 0; i < 4; i++) {
			if (done[i] == 50)
				continue;
			tx[i] = tx_start(s[i]);
			ck_assert_int_eq(tx_read(s[i], tx[i], "/counter", v,
			    sizeof v), 0);
			seen[i] = strtol(v, NULL, 10);
		}
		for (i = 0; i < 4; i++) {
			if (done[i] == 50)
				continue;
			snprintf(v, sizeof v, "%ld", seen[i] + 1);
			tx_write(s[i], tx[i], "/counter", v);
		}
		for (i = 0; i < 4; i++) {
			if (done[i] == 50)
				continue;
			rc = tx_end(s[i], tx[i], true);
			if (rc == 0) {
				done[i]++;
				total++;
			} else
				ck_assert_int_eq(rc, EAGAIN);
		}
	}
	ck_assert_int_eq(tx_read(fd, 0, "/counter", v, sizeof v), 0);
	ck_assert_str_eq(v, "200");
	/* Each round commits exactly one: the others truly conflicted. */
	ck_assert_int_eq(rounds, 200);
	for (i = 0; i < 4; i++)
		close(s[i]);
}
END_TEST

/* Two transactions racing on one node: one commits, one EAGAIN. */
START_TEST(test_race)
{
	int		other = fixture_connect(&fx);
	uint32_t	a, b;
	char		v[64];

	tx_write(fd, 0, "/race", "0");
	a = tx_start(fd);
	b = tx_start(other);
	ck_assert_int_eq(tx_read(fd, a, "/race", v, sizeof v), 0);
	ck_assert_int_eq(tx_read(other, b, "/race", v, sizeof v), 0);
	tx_write(fd, a, "/race", "a");
	tx_write(other, b, "/race", "b");
	ck_assert_int_eq(tx_end(fd, a, true), 0);
	ck_assert_int_eq(tx_end(other, b, true), EAGAIN);
	ck_assert_int_eq(tx_read(fd, 0, "/race", v, sizeof v), 0);
	ck_assert_str_eq(v, "a");
	close(other);
}
END_TEST

/* Removing and creating inside a transaction. */
START_TEST(test_rm_in_txn)
{
	uint32_t	tx;
	char		v[64];

	tx_write(fd, 0, "/r/a/b", "x");
	tx = tx_start(fd);
	fixture_req1(fd, XS_RM, tx, "/r/a", &(uint32_t){0}, &(uint32_t){0});
	ck_assert_int_eq(tx_read(fd, tx, "/r/a/b", v, sizeof v), ENOENT);
	ck_assert_int_eq(tx_read(fd, 0, "/r/a/b", v, sizeof v), 0);
	tx_write(fd, tx, "/r/c", "y");
	ck_assert_int_eq(tx_end(fd, tx, true), 0);
	ck_assert_int_eq(tx_read(fd, 0, "/r/a/b", v, sizeof v), ENOENT);
	ck_assert_int_eq(tx_read(fd, 0, "/r/a", v, sizeof v), ENOENT);
	ck_assert_int_eq(tx_read(fd, 0, "/r/c", v, sizeof v), 0);
}
END_TEST

/* A connection that closes aborts its transactions. */
START_TEST(test_abort_on_close)
{
	int		s, i;
	uint32_t	tx;
	char		v[64];

	for (i = 0; i < 20; i++) {
		s = fixture_connect(&fx);
		tx = tx_start(s);
		tx_write(s, tx, "/gone", "never");
		/* Send the commit but close before it is read: still fine. */
		if (i % 2 == 0)
			fixture_send(s, XS_WRITE, 1, tx, "/gone2\0x", 8);
		close(s);
	}
	/* Wait for the daemon to have seen the closes: a round trip. */
	ck_assert_int_eq(tx_read(fd, 0, "/gone", v, sizeof v), ENOENT);
	ck_assert_int_eq(tx_read(fd, 0, "/gone2", v, sizeof v), ENOENT);
	/* And the store is writable as usual. */
	tx = tx_start(fd);
	tx_write(fd, tx, "/gone", "now");
	ck_assert_int_eq(tx_end(fd, tx, true), 0);
}
END_TEST

/*
 * Many transactions open on one connection at once, each adding a child
 * to the same node: adding different children is no conflict here (Xen's
 * daemon answers EAGAIN to all but the first, since the parent's record
 * changed).
 */
START_TEST(test_many_open)
{
	uint32_t	tx[100];
	char		p[64], v[64];
	int		i;

	tx_write(fd, 0, "/many", "");
	for (i = 0; i < 100; i++)
		tx[i] = tx_start(fd);
	for (i = 0; i < 100; i++) {
		snprintf(p, sizeof p, "/many/%d", i);
		tx_write(fd, tx[i], p, "v");
	}
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(tx_end(fd, tx[i], true), 0);
	ck_assert_int_eq(tx_read(fd, 0, "/many/99", v, sizeof v), 0);
}
END_TEST

/* Errors of TRANSACTION_START and TRANSACTION_END. */
START_TEST(test_errors)
{
	uint32_t	tx = tx_start(fd);

	fixture_expect_error(fd, XS_TRANSACTION_START, tx, "", 1, "EBUSY");
	fixture_expect_error(fd, XS_TRANSACTION_END, tx, "", 0, "EINVAL");
	fixture_expect_error(fd, XS_TRANSACTION_END, tx, "X", 2, "EINVAL");
	fixture_expect_error(fd, XS_TRANSACTION_END, tx, "T", 1, "EINVAL");
	fixture_expect_error(fd, XS_TRANSACTION_END, tx, "TT", 3, "EINVAL");
	fixture_expect_error(fd, XS_TRANSACTION_END, 0, "T", 2, "ENOENT");
	fixture_expect_error(fd, XS_TRANSACTION_END, tx + 1, "T", 2,
	    "ENOENT");
	ck_assert_int_eq(tx_end(fd, tx, false), 0);
	fixture_expect_error(fd, XS_TRANSACTION_END, tx, "F", 2, "ENOENT");
	fixture_expect_error(fd, XS_READ, tx, "/", 2, "ENOENT");
}
END_TEST

/* A privileged connection may hold 1024 transactions, not more. */
START_TEST(test_limit)
{
	uint32_t	tx = 0;
	int		i;

	for (i = 0; i < 1024; i++)
		tx = tx_start(fd);
	fixture_expect_error(fd, XS_TRANSACTION_START, 0, "", 1, "ENOSPC");
	ck_assert_int_eq(tx_end(fd, tx, false), 0);
	tx = tx_start(fd);
	ck_assert_uint_gt(tx, 0);
}
END_TEST

/*
 * A transaction open longer than --txn-timeout loses its snapshot: its
 * requests and its end answer EAGAIN.
 */
START_TEST(test_timeout)
{
	static const char	*extra[] = { "--txn-timeout", "1", NULL };
	struct fixture		 f2;
	struct timespec		 t0, now;
	uint32_t		 tx, tx2;
	char			 v[64];
	int			 s, rc;

	fixture_init(&f2);
	fixture_up(&f2, extra);
	s = fixture_connect(&f2);
	tx_write(s, 0, "/to", "x");
	tx = tx_start(s);
	ck_assert_int_eq(tx_read(s, tx, "/to", v, sizeof v), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Ask until the daemon has expired it (within a few seconds). */
	do {
		ck_assert_int_eq(poll(NULL, 0, 100), 0);
		rc = tx_read(s, tx, "/to", v, sizeof v);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (rc == 0 && now.tv_sec - t0.tv_sec < 10);
	ck_assert_int_eq(rc, EAGAIN);
	ck_assert_int_eq(tx_end(s, tx, true), EAGAIN);
	ck_assert_int_eq(tx_end(s, tx, true), ENOENT);
	/* A fresh one works. */
	tx2 = tx_start(s);
	tx_write(s, tx2, "/to", "y");
	ck_assert_int_eq(tx_end(s, tx2, true), 0);
	close(s);
	fixture_fini(&f2);
}
END_TEST

static Suite *
txn_suite(void)
{
	Suite	*s = suite_create("daemon_txn");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_isolation);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_rmw_counter);
	tcase_add_test(tc, test_race);
	tcase_add_test(tc, test_rm_in_txn);
	tcase_add_test(tc, test_abort_on_close);
	tcase_add_test(tc, test_many_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(txn_suite());
}

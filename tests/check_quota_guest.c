/*
 * check_quota_guest.c - quotas as unprivileged guests meet them, against
 * the real xsdbd on a simulated Xen (--xen=sim:DIR), the guests speaking
 * over real rings (sim-guest.c).
 *
 * Each quota is reached exactly at its limit, with the error and at the
 * request where Xen's C xenstored 4.17 gives it (probed with a guest on
 * the reference, started with the same options): nodes (-E) with the
 * home counted and writes that create several nodes, in and out of
 * transactions; node size (-S) of the node, of its new ancestors and of
 * the parent that gains a child, and through SET_PERMS; watches (-W);
 * transactions (-t); permissions per node (-A); path length (-M). Then
 * the quotas xsdbd decides itself: memory (-Q memory) in the store's
 * bytes, and the per-domain values of SET_QUOTA.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-fixture.h"

#define HOME		"/local/domain/5"

static struct sim_guest	*g5;

static void	 teardown(void);
static void	 start(const char *const *);
static void	 d0_is(const char *, const char *, const char *);
static uint32_t	 gtx_reads(unsigned int);

/* Stop the daemon and remove the simulator's directory. */
static void
teardown(void)
{
	sim_guest_free(g5);
	g5 = NULL;
	gf_fini();
}

/* Start the daemon with quota options, connect, introduce guest 5. */
static void
start(const char *const *opts)
{
	gf_up(opts);
	g5 = gf_guest(5);
}

/* dom0's GET_QUOTA "a\0b\0" (b may be NULL) answers want. */
static void
d0_is(const char *a, const char *b, const char *want)
{
	fixture_answers(gf_fd, XS_GET_QUOTA, want, a, b, NULL);
}

/* -E 10: the home and 9 nodes; writes creating many nodes; dom0's. */
START_TEST(test_nodes)
{
	static const char *const opts[] = { "-E", "10", NULL };
	char		 path[64];
	unsigned int	 i;

	start(opts);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
	for (i = 0; i < 9; i++) {
		snprintf(path, sizeof path, HOME "/n%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
	}
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/n9", 1), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, HOME "/n9", NULL), ENOSPC);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 10);
	/* What exists may change. */
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/n0", 2), 0);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, HOME "/n0", NULL), 0);

	/* Three free: three new nodes fit, four do not, and none is made. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, HOME "/n%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_RM, 0, path, NULL), 0);
	}
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/a/b/c/d", 1), ENOSPC);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/a", NULL), ENOENT);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/a/b/c", 1), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 10);

	/* dom0 is never refused, but what it makes for the guest counts. */
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, HOME "/a", NULL), 0);
	for (i = 0; i < 12; i++) {
		snprintf(path, sizeof path, HOME "/d%u", i);
		ck_assert_int_eq(gf_d0(XS_WRITE, path, NULL), 0);
	}
	ck_assert_uint_eq(gf_usage(5, "nodes"), 19);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/d0", 1), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/zz", 1), ENOSPC);
}
END_TEST

/* -E 10 in a transaction: checked at its end, one node earlier. */
START_TEST(test_nodes_txn)
{
	static const char *const opts[] = { "-E", "10", NULL };
	uint32_t	tx;

	start(opts);
	/* 1 + 9 new nodes: fine outside, too many at the end of a txn. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/q0/a/b", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/q1/a/b", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/q2/a/b", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOSPC);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/q0", NULL), ENOENT);

	/* 1 + 8: committed. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/q0/a/b", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/q1/a/b", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/q2/a", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 9);

	/* A write outside takes the last node: the transaction fails. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/r0", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/s0", 1), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 10);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOSPC);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/r0", NULL), ENOENT);

	/* At the quota, a transaction may not create, but may change. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/t", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/s0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 10);
}
END_TEST

/* dom0 writes HOME/r0 .. r9 ("y"); a guest transaction reads the first k. */
static uint32_t
gtx_reads(unsigned int k)
{
	char		path[64];
	unsigned int	i;
	uint32_t	tx;

	tx = gf_gtx(g5);
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof path, HOME "/r%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_READ, tx, path, NULL), 0);
	}
	return tx;
}

/*
 * -Q transaction-nodes=6: each node a transaction reads, found or not,
 * or changes counts once; the request that would make it hold a 7th
 * fails (ENOSPC), and so does the transaction at "T" (ENOMEM). Every
 * figure as the reference answers the same requests.
 */
START_TEST(test_txn_nodes)
{
	static const char *const opts[] = { "-Q", "transaction-nodes=6",
	    NULL };
	char		path[64];
	unsigned int	i;
	uint32_t	tx, tx0, rt, rl;
	const char	*r;

	start(opts);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof path, HOME "/r%u", i);
		gf_d0_fill(path, 1);
	}

	/* New nodes: 5 and the home; nodes held may still be used. */
	tx = gf_gtx(g5);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof path, HOME "/t%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, path, "v", NULL),
		    i < 5 ? 0 : ENOSPC);
	}
	ck_assert_int_eq(gf_gr(g5, XS_READ, tx, HOME "/t0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, tx, HOME "/r0", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/t0", NULL), ENOENT);

	/* Nodes read: 6. */
	tx = gf_gtx(g5);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof path, HOME "/r%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_READ, tx, path, NULL),
		    i < 6 ? 0 : ENOSPC);
	}
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);

	/* Missing nodes: 5, and the home that decides ENOENT. "F" is OK. */
	tx = gf_gtx(g5);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof path, HOME "/m%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_READ, tx, path, NULL),
		    i < 5 ? ENOENT : ENOSPC);
	}
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "F", NULL), 0);

	/* A write creating ancestors holds each of them. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/a/b/c/d", "v", NULL),
	    0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/a/b/c/e", "v", NULL),
	    0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/a/b/c/f", "v", NULL),
	    ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/a", NULL), ENOENT);

	/* Under the quota the transaction commits. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, tx, HOME, NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, tx, HOME "/r0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_GET_PERMS, tx, HOME "/r1", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/r2", "w", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	r = fixture_req1(gf_fd, XS_READ, 0, HOME "/r2", &rt, &rl);
	ck_assert_uint_eq(rt, XS_READ);
	ck_assert_int_eq(memcmp(r, "w", 2), 0);

	/* dom0 has no quota. */
	r = fixture_req(gf_fd, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_START);
	tx0 = (uint32_t)strtoul(r, NULL, 10);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof path, HOME "/r%u", i);
		fixture_req1(gf_fd, XS_READ, tx0, path, &rt, &rl);
		ck_assert_uint_eq(rt, XS_READ);
	}
	fixture_req1(gf_fd, XS_TRANSACTION_END, tx0, "T", &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_END);

	/* 0 is no limit. */
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "transaction-nodes", "0", NULL),
	    0);
	tx = gtx_reads(10);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
}
END_TEST

/*
 * -Q transaction-nodes=6 met by each kind of request, after k reads in
 * the transaction: what the reference answers, and its RM's EIO when
 * the limit falls inside the subtree it removes.
 */
START_TEST(test_txn_nodes_requests)
{
	static const char *const opts[] = { "-Q", "transaction-nodes=6",
	    NULL };
	static const struct {
		uint32_t	 type;
		const char	*path;
		const char	*arg;
	} seventh[] = {
		{ XS_MKDIR, HOME "/n", NULL },
		{ XS_MKDIR, HOME "/r8", NULL },
		{ XS_SET_PERMS, HOME "/r8", "n5" },
		{ XS_DIRECTORY, HOME "/r8", NULL },
		{ XS_GET_PERMS, HOME "/r8", NULL },
		{ XS_DIRECTORY_PART, HOME "/r8", "0" },
	};
	char		path[64];
	unsigned int	i;
	uint32_t	tx;

	start(opts);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof path, HOME "/r%u", i);
		gf_d0_fill(path, 1);
	}
	for (i = 1; i <= 6; i++) {
		snprintf(path, sizeof path, HOME "/s/%u", i);
		gf_d0_fill(path, 1);
	}

	/* RM of a leaf: the parent and the node. */
	tx = gtx_reads(6);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, HOME "/r7", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	tx = gtx_reads(5);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, HOME "/r7", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	tx = gtx_reads(6);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, HOME "/m", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/r7", NULL), 0);
	tx = gtx_reads(4);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, HOME "/r7", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/r7", NULL), ENOENT);

	/* RM of a subtree refused within it: EIO. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, HOME "/s", NULL), EIO);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	tx = gtx_reads(3);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, HOME "/s", NULL), EIO);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/s/1", NULL), 0);

	/* Every request that reads a 7th node, each in a transaction. */
	for (i = 0; i < sizeof seventh / sizeof seventh[0]; i++) {
		tx = gtx_reads(6);
		ck_assert_int_eq(gf_gr(g5, seventh[i].type, tx, seventh[i].path,
		    seventh[i].arg, NULL), ENOSPC);
		ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL),
		    ENOMEM);
	}

	/* Writes: a new node holds its parent too; an existing one not. */
	tx = gtx_reads(5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/n", "v", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	tx = gtx_reads(4);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/a/b", "v", NULL),
	    ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), ENOMEM);
	tx = gtx_reads(5);
	ck_assert_int_eq(gf_gr(g5, XS_WRITE, tx, HOME "/r8", "w", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
}
END_TEST

/* -S 200: Xen's record size, 24 + 8 per entry + value + child names. */
START_TEST(test_node_size)
{
	static const char *const opts[] = { "-S", "200", NULL };
	char		 path[64], lng[200], deep[300];
	unsigned int	 i;

	start(opts);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/s", 166), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/s", 167), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/s", 168), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, HOME "/s", NULL), 0);
	/* A new node is sized too. */
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/t", 168), ENOSPC);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/t", NULL), ENOENT);

	/* Two entries: 8 bytes less of value. */
	ck_assert_int_eq(gf_d0(XS_WRITE, HOME "/p2", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, HOME "/p2", "n5", "r0", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/p2", 159), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/p2", 160), ENOSPC);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/p2", 158), 0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, HOME "/p2", "n5", "r0",
	    "r1", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, HOME "/p2", "n5", NULL), 0);

	/* A node dom0 made too big: the guest may read and remove it only. */
	gf_d0_fill(HOME "/big", 190);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, HOME "/big", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/big", 190), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, HOME "/big", "n5", NULL),
	    ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, HOME "/big/c", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, HOME "/big", NULL), 0);

	/*
	 * The parent's list of children counts: 41 names of 4 bytes make
	 * 32 + 164 = 196; a 42nd would make 200, a name of 1 byte 198.
	 */
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, HOME "/dir", NULL), 0);
	for (i = 0; i < 41; i++) {
		snprintf(path, sizeof path, HOME "/dir/c%02u", i);
		ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, path, NULL), 0);
	}
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, HOME "/dir/c41", NULL), ENOSPC);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/dir/c41/deep", 1), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, HOME "/dir/c", NULL), 0);
	/*
	 * A created ancestor holds its child's name: "e" with a child of
	 * 166 bytes makes 32 + 167 = 199, with one of 167 bytes 200.
	 */
	memset(lng, 'a', 167);
	lng[167] = '\0';
	snprintf(deep, sizeof deep, HOME "/e/%s/f", lng);
	ck_assert_int_eq(gf_gw(g5, 0, deep, 1), ENOSPC);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/e", NULL), ENOENT);
	lng[166] = '\0';
	snprintf(deep, sizeof deep, HOME "/e/%s/f", lng);
	ck_assert_int_eq(gf_gw(g5, 0, deep, 1), 0);
}
END_TEST

/* The default -S 2048: 425 children fit in a directory, not 426. */
START_TEST(test_node_size_children)
{
	char		path[64];
	unsigned int	i;

	start(NULL);
	for (i = 0; i < 425; i++) {
		snprintf(path, sizeof path, HOME "/q/n%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
	}
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/q/n425", 1), ENOSPC);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 427);
}
END_TEST

/* -W 3: four watches (Xen compares with '>'), then E2BIG. */
START_TEST(test_watches)
{
	static const char *const opts[] = { "-W", "3", NULL };

	start(opts);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t1", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t2", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t3", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t4", NULL), E2BIG);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t0", NULL), EEXIST);
	ck_assert_uint_eq(gf_usage(5, "watches"), 4);
	ck_assert_int_eq(gf_gr(g5, XS_UNWATCH, 0, HOME, "t0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, HOME, "t9", NULL), 0);
}
END_TEST

/* -t 2: three transactions (Xen compares with '>'), then ENOSPC. */
START_TEST(test_transactions)
{
	static const char *const opts[] = { "-t", "2", NULL };
	uint32_t	tx[3];
	unsigned int	i;

	start(opts);
	for (i = 0; i < 3; i++)
		tx[i] = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_START, 0, "", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx[0], "F", NULL), 0);
	ck_assert_uint_ne(gf_gtx(g5), 0);
}
END_TEST

/* -A 3: SET_PERMS with four entries is ENOSPC. */
START_TEST(test_permissions)
{
	static const char *const opts[] = { "-A", "3", NULL };

	start(opts);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, HOME, "n5", "r1", "r2",
	    "r3", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, HOME, "n5", "r1", "r2",
	    NULL), 0);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, HOME, "n5", "r1", "r2", "r3", "r4",
	    NULL), 0);
}
END_TEST

/* -M 50: 50 bytes past the home, not 51, in every request. */
START_TEST(test_path_max)
{
	static const char *const opts[] = { "-M", "50", NULL };
	char	rel[64], abs[96];

	start(opts);
	memset(rel, 'a', 50);
	rel[50] = '\0';
	ck_assert_int_eq(gf_gw(g5, 0, rel, 1), 0);
	rel[50] = 'a';
	rel[51] = '\0';
	ck_assert_int_eq(gf_gw(g5, 0, rel, 1), EINVAL);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, rel, NULL), EINVAL);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, rel, "t", NULL), EINVAL);
	snprintf(abs, sizeof abs, HOME "/%s", rel);
	ck_assert_int_eq(gf_gw(g5, 0, abs, 1), EINVAL);
	ck_assert_int_eq(gf_d0(XS_WRITE, abs, NULL), EINVAL);
}
END_TEST

/*
 * Memory: the store's bytes of the nodes a domain owns (value, 5 per
 * entry, name and its NUL). A write that would reach the quota is ENOMEM.
 */
START_TEST(test_memory)
{
	char			 quota[32];
	unsigned long long	 used;

	start(NULL);
	used = gf_usage(5, "memory");
	/* The home: no value, one entry, the name "5". */
	ck_assert_uint_eq(used, 7);
	/* Each new node "mN" of 50 bytes: 50 + 5 + 2 + 1 = 58. */
	snprintf(quota, sizeof quota, "%llu", used + 3 * 58 + 1);
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "5", "memory", quota, NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m0", 50), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m1", 50), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m2", 50), 0);
	ck_assert_uint_eq(gf_usage(5, "memory"), used + 3 * 58);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m3", 50), ENOMEM);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m2", 51), ENOMEM);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m2", 49), 0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, HOME "/m2", "n5", "r0",
	    NULL), ENOMEM);
	/* Reading and removing go on. */
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, HOME "/m0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, HOME "/m0", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m3", 50), 0);
	/* dom0 is not held to it. */
	ck_assert_int_eq(gf_d0(XS_WRITE, HOME "/m9", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "5", "memory", "0", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/m4", 50), 0);
}
END_TEST

/* SET_QUOTA with a domid: that domain's own values, others keep theirs. */
START_TEST(test_domain_quota)
{
	struct sim_guest	*g6;

	start(NULL);
	g6 = gf_guest(6);
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "5", "nodes", "3", NULL), 0);
	d0_is("5", "nodes", "3");
	d0_is("6", "nodes", "1000");
	d0_is("nodes", NULL, "1000");
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/a", 1), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/b", 1), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/c", 1), ENOSPC);
	ck_assert_int_eq(gf_gw(g6, 0, "/local/domain/6/a", 1), 0);
	ck_assert_int_eq(gf_gw(g6, 0, "/local/domain/6/b", 1), 0);
	ck_assert_int_eq(gf_gw(g6, 0, "/local/domain/6/c", 1), 0);

	/* 0 is no limit. */
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/a", 4000), ENOSPC);
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "5", "node-size", "0", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/a", 4000), 0);
	ck_assert_int_eq(gf_gw(g6, 0, "/local/domain/6/a", 4000), ENOSPC);

	/* The daemon's values change for domains without their own. */
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "nodes", "4", NULL), 0);
	ck_assert_int_eq(gf_gw(g6, 0, "/local/domain/6/d", 1), ENOSPC);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/c", 1), ENOSPC);
	ck_assert_int_eq(gf_d0(XS_SET_QUOTA, "watches", "1", NULL), 0);
	ck_assert_int_eq(gf_gr(g6, XS_WATCH, 0, "a", "t0", NULL), 0);
	ck_assert_int_eq(gf_gr(g6, XS_WATCH, 0, "a", "t1", NULL), 0);
	ck_assert_int_eq(gf_gr(g6, XS_WATCH, 0, "a", "t2", NULL), E2BIG);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "a", "t0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "a", "t1", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "a", "t2", NULL), 0);
	sim_guest_free(g6);
}
END_TEST

/*
 * Many guests at once, writes interleaved: each is held to its own node
 * quota (-E 5: its home and 4 more), whatever the others do.
 */
START_TEST(test_many_guests)
{
	static const char *const opts[] = { "-E", "5", NULL };
	struct sim_guest	*g[16];
	char			 path[64];
	unsigned int		 i, k;

	start(opts);
	for (k = 0; k < 16; k++)
		g[k] = gf_guest(10 + k);
	for (i = 0; i < 6; i++) {
		for (k = 0; k < 16; k++) {
			snprintf(path, sizeof path, "/local/domain/%u/n%u",
			    10 + k, i);
			ck_assert_int_eq(gf_gw(g[k], 0, path, 10),
			    i < 4 ? 0 : ENOSPC);
		}
	}
	for (k = 0; k < 16; k++) {
		ck_assert_uint_eq(gf_usage(10 + k, "nodes"), 5);
		sim_guest_free(g[k]);
	}
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
	ck_assert_int_eq(gf_gw(g5, 0, HOME "/x", 1), 0);
}
END_TEST

/* The suite. */
static Suite *
quota_guest_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("quota_guest");

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, gf_init, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_domain_quota);
	tcase_add_test(tc, test_memory);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, gf_init, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_nodes);
	tcase_add_test(tc, test_nodes_txn);
	tcase_add_test(tc, test_txn_nodes);
	tcase_add_test(tc, test_txn_nodes_requests);
	tcase_add_test(tc, test_node_size);
	tcase_add_test(tc, test_node_size_children);
	tcase_add_test(tc, test_watches);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_permissions);
	tcase_add_test(tc, test_path_max);
	tcase_add_test(tc, test_many_guests);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; fail if any test failed. */
int
main(void)
{
	return fixture_main(quota_guest_suite());
}

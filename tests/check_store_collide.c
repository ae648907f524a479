/*
 * check_store_collide.c - long keys whose hashes collide.
 *
 * Linked against db/libstore-collide.a, the store built with
 * STORE_TEST_HASH_BITS=2: every path over 511 bytes hashes to one of 4
 * values, so long paths sharing their first 500 bytes share keys but for
 * the collision sequence. Lookups must compare the full path, removals
 * leave holes in the sequence that later creations fill, and none of it
 * may confuse listings, removal or the integrity check.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "store-test.h"

#define NPATHS		40

static char		*dir;
static struct store	*s;

static void	 setup(void);
static void	 teardown(void);
static char	*long_path(const char *, int);
static unsigned int count_seq(const char *, unsigned int *);
static void	 copy_long_key(const char *, size_t, unsigned char);
static Suite	*collide_suite(void);

/* A fresh store per test. */
static void
setup(void)
{
	st_fresh(&dir, &s);
}

/* Close and remove it. */
static void
teardown(void)
{
	st_fresh_done(&dir, &s);
}

/* "/c/" + 600 'x' + "n<i>": the first 500 bytes are the same for all. */
static char *
long_path(const char *under, int i)
{
	char	*p;

	ck_assert_int_ge(asprintf(&p, "%s/%0600dn%d", under, 0, i), 0);
	return (p);
}

/*
 * Count the long keys in the nodes table (the 0xff mark at byte 500)
 * and the highest collision sequence among them.
 */
static unsigned int
count_seq(const char *d, unsigned int *maxseq)
{
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_dbi			 nodes;
	MDB_cursor		*c;
	MDB_val			 k, v;
	MDB_cursor_op		 op = MDB_FIRST;
	const unsigned char	*kb;
	unsigned int		 n = 0, seq;

	*maxseq = 0;
	st_raw_open(d, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "nodes", 0, &nodes), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, nodes, &c), 0);
	for (; mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT) {
		kb = k.mv_data;
		if (k.mv_size != 511 || kb[500] != 0xff)
			continue;
		n++;
		seq = (unsigned int)kb[509] << 8 | kb[510];
		if (seq > *maxseq)
			*maxseq = seq;
	}
	mdb_cursor_close(c);
	st_raw_close(env, txn);
	return (n);
}

/* Colliding long paths are kept apart; holes are filled again. */
START_TEST(test_collisions)
{
	struct store_txn	*t;
	struct store_node	 n;
	char			*p[NPATHS], *v, val[16];
	unsigned int		 maxseq, removed;
	int			 i;

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < NPATHS; i++) {
		p[i] = long_path("/c", i);
		snprintf(val, sizeof val, "v%d", i);
		ck_assert_int_eq(store_write(t, p[i], val, strlen(val),
		    (uint32_t)i, NULL), 0);
	}
	ck_assert_int_eq(store_txn_commit(t), 0);
	store_close(s);
	s = NULL;
	ck_assert_uint_eq(count_seq(dir, &maxseq), NPATHS);
	ck_assert_uint_ge(maxseq, NPATHS / 4 - 1);	/* 4 hash values */
	s = st_open(dir, 0);

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < NPATHS; i++) {
		snprintf(val, sizeof val, "v%d", i);
		ck_assert_str_eq(v = st_get(t, p[i]), val);
		free(v);
		ck_assert_int_eq(store_get(t, p[i], &n), 0);
		ck_assert_uint_eq(n.perms[0].domid, (uint32_t)i);
	}
	/* Holes in the sequences: every other path goes. */
	for (i = 0; i < NPATHS; i += 2) {
		ck_assert_int_eq(store_rm(t, p[i], &removed), 0);
		ck_assert_uint_eq(removed, 1);
	}
	for (i = 0; i < NPATHS; i++) {
		ck_assert(store_exists(t, p[i]) == (i % 2 == 1));
		ck_assert_int_eq(store_rm(t, p[i], NULL), i % 2 ? 0 : ENOENT);
		if (i % 2)
			ck_assert_int_eq(store_write(t, p[i], "again", 5, 0,
			    NULL), 0);
	}
	ck_assert_int_eq(store_check(t, NULL, NULL, NULL), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);

	/* The holes are taken again; children of long paths work. */
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < NPATHS; i += 2) {
		ck_assert_int_ge(asprintf(&v, "%s/kid", p[i]), 0);
		ck_assert_int_eq(store_write(t, v, "k", 1, 0, NULL), 0);
		free(v);
	}
	for (i = 0; i < NPATHS; i += 2) {
		ck_assert_str_eq(v = st_list(t, p[i]), "kid");
		free(v);
	}
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
	store_close(s);
	s = NULL;
	ck_assert_uint_eq(count_seq(dir, &maxseq), NPATHS + NPATHS / 2);
	s = st_open(dir, 0);

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_rm(t, "/c", &removed), 0);
	ck_assert_uint_eq(removed, 1 + NPATHS + NPATHS / 2);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
	for (i = 0; i < NPATHS; i++)
		free(p[i]);
}
END_TEST

/* XS transactions see and apply colliding long paths. */
START_TEST(test_collisions_xs)
{
	struct store_txn	*x, *g;
	char			*p[8], *v;
	int			 i;

	for (i = 0; i < 8; i++)
		p[i] = long_path("/x", i);
	st_put(s, p[0], "zero");
	st_put(s, p[1], "one");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_get(x, p[1]), "one");
	free(v);
	for (i = 2; i < 8; i++)
		ck_assert_int_eq(store_write(x, p[i], "x", 1, 0, NULL), 0);
	ck_assert_int_eq(store_rm(x, p[0], NULL), 0);
	ck_assert(!store_exists(x, p[0]));
	ck_assert(store_exists(x, p[7]));
	g = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_txn_apply(x, g), 0);
	ck_assert(!store_exists(g, p[0]));
	for (i = 1; i < 8; i++)
		ck_assert(store_exists(g, p[i]));
	ck_assert_int_eq(store_txn_commit(g), 0);
	store_txn_abort(x);
	ck_assert_uint_eq(st_check(s), 0);
	for (i = 0; i < 8; i++)
		free(p[i]);
}
END_TEST

/* Copy the long key of a path's record under a changed key. */
static void
copy_long_key(const char *d, size_t at, unsigned char flip)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 nodes;
	MDB_cursor	*c;
	MDB_val		 k, v;
	unsigned char	 key[511];
	int		 rc;

	st_raw_open(d, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "nodes", 0, &nodes), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, nodes, &c), 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 511)
			break;
	}
	ck_assert_int_eq(rc, 0);
	memcpy(key, k.mv_data, sizeof key);
	key[at] ^= flip;
	k.mv_data = key;
	ck_assert_int_eq(mdb_put(txn, nodes, &k, &v, 0), 0);
	mdb_cursor_close(c);
	st_raw_close(env, txn);
}

/* Long keys that do not match their path, or repeat it, are found. */
START_TEST(test_collisions_check)
{
	char	*p = long_path("/b", 1);

	st_put(s, p, "v");
	store_close(s);
	s = NULL;
	copy_long_key(dir, 508, 0x4);		/* a hash out of range */
	s = st_open(dir, 0);
	ck_assert_uint_eq(st_check(s), 1);
	store_close(s);
	s = NULL;
	copy_long_key(dir, 510, 0x7);		/* another sequence */
	s = st_open(dir, 0);
	/* The bad key again, and the copy: stored twice, same id, not
	 * among its parent's children, usage counted once too few. */
	ck_assert_uint_eq(st_check(s), 5);
	free(p);
}
END_TEST

/* The suite. */
static Suite *
collide_suite(void)
{
	Suite	*su = suite_create("store_collide");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_collisions);
	tcase_add_test(tc, test_collisions_xs);
	suite_add_tcase(su, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_collisions_check);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{
	return st_main(collide_suite());
}

/*
 * check_store_xs.c - tests of db/'s xenstore transactions (snapshot,
 * own writes, conflicts, replay) and of map growth with snapshots open.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "store-test.h"

/* A listing that fills the map from inside its callback. */
struct grow_list {
	struct store	*s;
	unsigned int	 n;
	unsigned int	 grow_at;
	char		 names[8192];
	size_t		 len;
};

static char		*dir;
static struct store	*s;

static void	 setup(void);
static void	 teardown(void);
static struct store_txn *apply_begin(struct store_txn *, int *);
static int	 apply_commit(struct store_txn *);
static void	 fill_until_full(struct store *);
static int	 grow_list_cb(void *, const char *, size_t);
static Suite	*store_xs_suite(void);

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

/*
 * Apply xs as the daemon does: in a nested transaction of a group; *rc
 * is apply's answer. Returns the group, still open.
 */
static struct store_txn *
apply_begin(struct store_txn *xs, int *rc)
{
	struct store_txn	*g = st_begin(s, NULL, STORE_TXN_WRITE), *n;

	n = st_begin(s, g, STORE_TXN_WRITE);
	*rc = store_txn_apply(xs, n);
	if (*rc == 0)
		ck_assert_int_eq(store_txn_commit(n), 0);
	else
		store_txn_abort(n);
	return (g);
}

/* Apply xs in a group of its own and commit; returns apply's answer. */
static int
apply_commit(struct store_txn *xs)
{
	struct store_txn	*g;
	int			 rc;

	g = apply_begin(xs, &rc);
	ck_assert_int_eq(store_txn_commit(g), 0);
	store_txn_abort(xs);
	return (rc);
}

/* Write 10 KB values in one transaction until the map is full. */
static void
fill_until_full(struct store *st)
{
	struct store_txn	*w = st_begin(st, NULL, STORE_TXN_WRITE);
	static char		 big[10000];
	char			 path[32];
	int			 i, rc = 0;

	for (i = 0; rc == 0; i++) {
		snprintf(path, sizeof path, "/fill/%d", i);
		rc = store_write(w, path, big, sizeof big, 0, NULL);
		ck_assert_int_lt(i, 100000);
	}
	ck_assert_int_eq(rc, ENOSPC);
	ck_assert_int_eq(store_txn_commit(w), ENOSPC);
}

/* Collect names; at one point fill the map so that it grows. */
static int
grow_list_cb(void *arg, const char *name, size_t len)
{
	struct grow_list	*g = arg;
	struct store_stats	 st;
	struct store_txn	*r;
	uint64_t		 before;

	if (g->n++ == g->grow_at) {
		r = st_begin(g->s, NULL, STORE_TXN_READ);
		ck_assert_int_eq(store_stats(r, &st), 0);
		store_txn_abort(r);
		before = st.map_size;
		fill_until_full(g->s);
		r = st_begin(g->s, NULL, STORE_TXN_READ);
		ck_assert_int_eq(store_stats(r, &st), 0);
		store_txn_abort(r);
		ck_assert_uint_eq(st.map_size, before * 2);
	}
	ck_assert_uint_lt(g->len + len + 1, sizeof g->names);
	memcpy(g->names + g->len, name, len);
	g->len += len;
	g->names[g->len++] = ',';
	g->names[g->len] = '\0';
	return (0);
}

/* An XS transaction reads its snapshot plus its own writes. */
START_TEST(test_xs_snapshot)
{
	struct store_txn	*x, *r;
	char			*v;

	st_put(s, "/a", "1");
	x = st_begin(s, NULL, STORE_TXN_XS);
	st_put(s, "/a", "2");
	st_put(s, "/new", "n");
	ck_assert_str_eq(v = st_get(x, "/a"), "1");
	free(v);
	ck_assert(!store_exists(x, "/new"));
	ck_assert_int_eq(store_write(x, "/b", "own", 3, 0, NULL), 0);
	ck_assert_str_eq(v = st_get(x, "/b"), "own");
	free(v);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert(!store_exists(r, "/b"));
	ck_assert_str_eq(v = st_get(r, "/a"), "2");
	free(v);
	store_txn_abort(r);
	ck_assert_double_ge(store_txn_age(x), 0.0);
	store_txn_abort(x);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert(!store_exists(r, "/b"));
	store_txn_abort(r);
}
END_TEST

/* Own creations, removals and re-creations, as a listing shows them. */
START_TEST(test_xs_own_writes)
{
	struct store_txn	*x, *r;
	struct store_node	 n;
	struct store_usage	 u;
	struct store_stats	 st;
	struct xs_perm		 p = { 4, XS_PERM_READ };
	unsigned int		 created, removed;
	char			*v;

	st_put(s, "/p/a", "a");
	st_put(s, "/p/b", "b");
	st_put(s, "/p/c", "c");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_rm(x, "/p/a", &removed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_str_eq(v = st_list(x, "/p"), "b,c");
	free(v);
	ck_assert_int_eq(store_write(x, "/p/a", "A", 1, 0, &created), 0);
	ck_assert_uint_eq(created, 1);
	ck_assert_int_eq(store_write(x, "/p/d/e", "E", 1, 9, &created), 0);
	ck_assert_uint_eq(created, 2);
	ck_assert_str_eq(v = st_list(x, "/p"), "b,c,a,d");
	free(v);
	ck_assert_str_eq(v = st_list(x, "/p/d"), "e");
	free(v);
	ck_assert_int_eq(store_get(x, "/p", &n), 0);
	ck_assert_uint_eq(n.nchildren, 4);
	ck_assert_uint_eq(n.childbytes, 8);
	ck_assert_int_eq(store_get(x, "/p/d/e", &n), 0);
	ck_assert_uint_eq(n.perms[0].domid, 9);
	ck_assert_int_eq(store_owner_usage(x, 9, &u), 0);
	ck_assert_uint_eq(u.nodes, 2);
	ck_assert_uint_eq(u.bytes, (0 + 5 + 1 + 1) + (1 + 5 + 1 + 1));
	ck_assert_int_eq(store_stats(x, &st), 0);
	ck_assert_uint_eq(st.nodes, 1 + 1 + 3 + 2);
	ck_assert_int_eq(store_set_perms(x, "/p/b", &p, 1), 0);
	ck_assert_int_eq(store_get(x, "/p/b", &n), 0);
	ck_assert_uint_eq(n.perms[0].domid, 4);
	ck_assert_int_eq(store_mkdir(x, "/p/b", 0, &created), 0);
	ck_assert_uint_eq(created, 0);

	/* Removing the parent takes the snapshot's and its own children. */
	ck_assert_int_eq(store_rm(x, "/p", &removed), 0);
	ck_assert_uint_eq(removed, 1 + 3 + 2);
	ck_assert(!store_exists(x, "/p/b"));
	ck_assert(!store_exists(x, "/p/d/e"));
	ck_assert_int_eq(store_write(x, "/p/z", "z", 1, 0, &created), 0);
	ck_assert_uint_eq(created, 2);
	ck_assert_str_eq(v = st_list(x, "/p"), "z");
	free(v);
	ck_assert(!store_exists(x, "/p/c"));
	ck_assert_int_eq(store_owner_usage(x, 9, &u), 0);
	ck_assert_uint_eq(u.nodes, 0);
	ck_assert_int_eq(store_txn_error(x), 0);

	ck_assert_int_eq(apply_commit(x), 0);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_list(r, "/p"), "z");
	free(v);
	ck_assert_str_eq(v = st_get(r, "/p/z"), "z");
	free(v);
	store_txn_abort(r);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Read /a, another change to /a commits: EAGAIN, w unchanged. */
START_TEST(test_xs_conflict_read)
{
	struct store_txn	*x, *g;
	struct st_events	 ev;
	uint64_t		 gen;
	char			*v;
	int			 rc;

	st_put(s, "/a", "1");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_get(x, "/a"), "1");
	free(v);
	ck_assert_int_eq(store_write(x, "/b", "2", 1, 0, NULL), 0);
	st_put(s, "/a", "changed");
	memset(&ev, 0, sizeof ev);
	g = st_begin(s, NULL, STORE_TXN_WRITE);
	store_txn_observe(g, st_observer, &ev);
	gen = store_generation(g);
	ck_assert_int_eq(store_txn_apply(x, g), EAGAIN);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(store_generation(g), gen);
	ck_assert(!store_exists(g, "/b"));
	ck_assert_int_eq(store_txn_error(g), 0);
	ck_assert_int_eq(store_txn_commit(g), 0);
	store_txn_abort(x);

	/* A blind write conflicts with a committed write of the node. */
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_write(x, "/a", "mine", 4, 0, NULL), 0);
	st_put(s, "/a", "theirs");
	g = apply_begin(x, &rc);
	ck_assert_int_eq(rc, EAGAIN);
	store_txn_abort(g);
	store_txn_abort(x);

	/* So does a get_perms-like read against set_perms. */
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert(store_get(x, "/a", &(struct store_node){ 0 }) == 0);
	ck_assert_int_eq(store_write(x, "/c", "c", 1, 0, NULL), 0);
	g = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_set_perms(g, "/a",
	    &(struct xs_perm){ 3, XS_PERM_BOTH }, 1), 0);
	ck_assert_int_eq(store_txn_apply(x, g), EAGAIN);
	store_txn_abort(g);
	store_txn_abort(x);
	st_events_free(&ev);
}
END_TEST

/* Read /a, another change to /b commits: no conflict. */
START_TEST(test_xs_no_conflict)
{
	struct store_txn	*x, *r;
	char			*v;

	st_put(s, "/a", "1");
	st_put(s, "/b", "1");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_get(x, "/a"), "1");
	free(v);
	ck_assert_int_eq(store_write(x, "/c", "x", 1, 0, NULL), 0);
	st_put(s, "/b", "2");
	st_put(s, "/d/e", "3");
	ck_assert_int_eq(apply_commit(x), 0);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_get(r, "/c"), "x");
	free(v);
	ck_assert_str_eq(v = st_list(r, "/"), "a,b,d,c");
	free(v);
	store_txn_abort(r);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* List /p, a new child of /p commits: EAGAIN. */
START_TEST(test_xs_list_conflict)
{
	struct store_txn	*x;
	char			*v;

	st_put(s, "/p/a", "1");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_list(x, "/p"), "a");
	free(v);
	ck_assert_int_eq(store_write(x, "/x", "x", 1, 0, NULL), 0);
	st_put(s, "/p/new", "n");
	ck_assert_int_eq(apply_commit(x), EAGAIN);

	/* A change of a child's value does not change the listing. */
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_list(x, "/p"), "a,new");
	free(v);
	ck_assert_int_eq(store_write(x, "/x", "x", 1, 0, NULL), 0);
	st_put(s, "/p/a", "2");
	ck_assert_int_eq(apply_commit(x), 0);

	/* Nor does a grandchild; removing a child does. */
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_list(x, "/p"), "a,new");
	free(v);
	ck_assert_int_eq(store_write(x, "/y", "y", 1, 0, NULL), 0);
	st_put(s, "/p/a/deep", "d");
	ck_assert_int_eq(apply_commit(x), 0);
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_list(x, "/p"), "a,new");
	free(v);
	ck_assert_int_eq(store_write(x, "/y", "y", 1, 0, NULL), 0);
	{
		struct store_txn *w = st_begin(s, NULL, STORE_TXN_WRITE);

		ck_assert_int_eq(store_rm(w, "/p/new", NULL), 0);
		ck_assert_int_eq(store_txn_commit(w), 0);
	}
	ck_assert_int_eq(apply_commit(x), EAGAIN);
}
END_TEST

/* Two transactions creating different children of /p both apply. */
START_TEST(test_xs_siblings)
{
	struct store_txn	*x1, *x2, *r;
	char			*v;

	st_put(s, "/p", "");
	x1 = st_begin(s, NULL, STORE_TXN_XS);
	x2 = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_write(x1, "/p/a", "1", 1, 0, NULL), 0);
	ck_assert_int_eq(store_mkdir(x2, "/p/b", 0, NULL), 0);
	ck_assert_int_eq(apply_commit(x1), 0);
	ck_assert_int_eq(apply_commit(x2), 0);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_list(r, "/p"), "a,b");
	free(v);
	store_txn_abort(r);

	/* The same child from both: the second finds it no more absent. */
	x1 = st_begin(s, NULL, STORE_TXN_XS);
	x2 = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_write(x1, "/p/c", "1", 1, 0, NULL), 0);
	ck_assert_int_eq(store_write(x2, "/p/c", "2", 1, 0, NULL), 0);
	ck_assert_int_eq(apply_commit(x1), 0);
	ck_assert_int_eq(apply_commit(x2), EAGAIN);

	/* A creation copies its parent's permissions: they must hold. */
	x1 = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_write(x1, "/p/d", "1", 1, 0, NULL), 0);
	r = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_set_perms(r, "/p",
	    &(struct xs_perm){ 0, XS_PERM_READ }, 1), 0);
	ck_assert_int_eq(store_txn_commit(r), 0);
	ck_assert_int_eq(apply_commit(x1), EAGAIN);

	/* A missing ancestor it created must still be missing. */
	x1 = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_write(x1, "/q/r/s", "1", 1, 0, NULL), 0);
	st_put(s, "/q", "");
	ck_assert_int_eq(apply_commit(x1), EAGAIN);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* A node found absent must still be absent; exists is identity. */
START_TEST(test_xs_absent_conflict)
{
	struct store_txn	*x, *w;

	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert(!store_exists(x, "/n"));
	ck_assert_int_eq(store_write(x, "/z", "z", 1, 0, NULL), 0);
	st_put(s, "/n", "");
	ck_assert_int_eq(apply_commit(x), EAGAIN);

	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert(store_exists(x, "/n"));
	ck_assert_int_eq(store_write(x, "/z", "z", 1, 0, NULL), 0);
	st_put(s, "/n", "value change");
	ck_assert_int_eq(apply_commit(x), 0);

	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert(store_exists(x, "/n"));
	ck_assert_int_eq(store_write(x, "/z", "z", 1, 0, NULL), 0);
	w = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_rm(w, "/n", NULL), 0);
	ck_assert_int_eq(store_write(w, "/n", "again", 5, 0, NULL), 0);
	ck_assert_int_eq(store_txn_commit(w), 0);
	ck_assert_int_eq(apply_commit(x), EAGAIN);
}
END_TEST

/* rm in a transaction against a concurrent change in the subtree. */
START_TEST(test_xs_rm_conflict)
{
	struct store_txn	*x, *r;

	st_put(s, "/t/a", "1");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_rm(x, "/t", NULL), 0);
	st_put(s, "/t/a/new", "n");
	ck_assert_int_eq(apply_commit(x), EAGAIN);

	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_rm(x, "/t", NULL), 0);
	st_put(s, "/other", "o");
	ck_assert_int_eq(apply_commit(x), 0);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert(!store_exists(r, "/t"));
	ck_assert(!store_exists(r, "/t/a/new"));
	store_txn_abort(r);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Read-only and empty transactions apply, whatever changed. */
START_TEST(test_xs_read_only)
{
	struct store_txn	*x, *g;
	struct st_events	 ev;
	char			*v;
	int			 rc;

	st_put(s, "/a", "1");
	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_str_eq(v = st_get(x, "/a"), "1");
	free(v);
	ck_assert_str_eq(v = st_list(x, "/"), "a");
	free(v);
	ck_assert_int_eq(store_rm(x, "/nope", NULL), ENOENT);
	st_put(s, "/a", "2");
	st_put(s, "/b", "2");
	memset(&ev, 0, sizeof ev);
	g = st_begin(s, NULL, STORE_TXN_WRITE);
	store_txn_observe(g, st_observer, &ev);
	ck_assert_int_eq(store_txn_apply(x, g), 0);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(store_txn_commit(g), 0);
	store_txn_abort(x);

	x = st_begin(s, NULL, STORE_TXN_XS);
	g = apply_begin(x, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(store_txn_commit(g), 0);
	store_txn_abort(x);
	st_events_free(&ev);
}
END_TEST

/* The replay reports every change to w's observer, in order. */
START_TEST(test_xs_replay_observer)
{
	struct store_txn	*x, *g, *n;
	struct st_events	 xev, gev;
	struct xs_perm		 p = { 2, XS_PERM_READ };
	static const char *const paths[] = { "/r/a", "/r/b", "/r/a", "/r/b",
	    "/r/a" };
	static const int kinds[] = { STORE_CHANGE_WRITE, STORE_CHANGE_WRITE,
	    STORE_CHANGE_PERMS, STORE_CHANGE_RM, STORE_CHANGE_WRITE };
	unsigned int		 i;

	memset(&xev, 0, sizeof xev);
	memset(&gev, 0, sizeof gev);
	x = st_begin(s, NULL, STORE_TXN_XS);
	store_txn_observe(x, st_observer, &xev);
	ck_assert_int_eq(store_write(x, "/r/a", "1", 1, 0, NULL), 0);
	ck_assert_int_eq(store_mkdir(x, "/r/b", 0, NULL), 0);
	ck_assert_int_eq(store_set_perms(x, "/r/a", &p, 1), 0);
	ck_assert_int_eq(store_rm(x, "/r/b", NULL), 0);
	ck_assert_int_eq(store_write(x, "/r/a", "2", 1, 0, NULL), 0);
	ck_assert_uint_eq(xev.n, 5);

	g = st_begin(s, NULL, STORE_TXN_WRITE);
	store_txn_observe(g, st_observer, &gev);
	n = st_begin(s, g, STORE_TXN_WRITE);
	ck_assert_int_eq(store_txn_apply(x, n), 0);
	ck_assert_int_eq(store_txn_commit(n), 0);
	ck_assert_uint_eq(gev.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(xev.kind[i], kinds[i]);
		ck_assert_str_eq(xev.path[i], paths[i]);
		ck_assert_int_eq(gev.kind[i], kinds[i]);
		ck_assert_str_eq(gev.path[i], paths[i]);
	}
	ck_assert_int_eq(store_txn_commit(g), 0);
	store_txn_abort(x);
	st_events_free(&xev);
	st_events_free(&gev);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Many transactions open at once; conflicts only where they are. */
START_TEST(test_xs_many)
{
	struct store_txn	*x[100], *r;
	struct store_node	 n;
	char			 path[32], *v;
	int			 i, ok = 0, again = 0;

	st_put(s, "/count", "0");
	st_put(s, "/m", "");
	for (i = 0; i < 100; i++) {
		x[i] = st_begin(s, NULL, STORE_TXN_XS);
		snprintf(path, sizeof path, "/m/%d", i);
		ck_assert(!store_exists(x[i], path));
		ck_assert_int_eq(store_write(x[i], path, "v", 1, 0, NULL), 0);
	}
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(apply_commit(x[i]), 0);

	/* Read-modify-write of one counter: one wins, the rest retry. */
	for (i = 0; i < 50; i++) {
		x[i] = st_begin(s, NULL, STORE_TXN_XS);
		ck_assert_int_eq(store_get(x[i], "/count", &n), 0);
		ck_assert_int_eq(store_write(x[i], "/count", "1", 1, 0, NULL),
		    0);
	}
	for (i = 0; i < 50; i++) {
		if (apply_commit(x[i]) == 0)
			ok++;
		else
			again++;
	}
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(again, 49);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_get(r, "/m", &n), 0);
	ck_assert_uint_eq(n.nchildren, 100);
	ck_assert_str_eq(v = st_get(r, "/count"), "1");
	free(v);
	store_txn_abort(r);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Bad uses of an XS transaction. */
START_TEST(test_xs_errors)
{
	struct store_txn	*x, *r, *w;
	const void		*val;
	size_t			 len;

	x = st_begin(s, NULL, STORE_TXN_XS);
	r = st_begin(s, NULL, STORE_TXN_READ);
	w = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_table_put(w, STORE_TABLE_DOMAINS, 3, "d", 1),
	    0);
	ck_assert_int_eq(store_table_put(x, STORE_TABLE_DOMAINS, 1, "x", 1),
	    EINVAL);
	ck_assert_int_eq(store_table_get(x, STORE_TABLE_DOMAINS, 3, &val,
	    &len), ENOENT);
	ck_assert_int_eq(store_rm(x, "/", NULL), EINVAL);
	ck_assert_int_eq(store_set_perms(x, "/none",
	    &(struct xs_perm){ 0, 0 }, 1), ENOENT);
	ck_assert_int_eq(store_txn_error(x), 0);
	ck_assert_int_eq(store_txn_apply(x, x), EINVAL);
	ck_assert_int_eq(store_txn_apply(w, w), EINVAL);
	ck_assert_int_eq(store_txn_commit(w), 0);
	ck_assert_int_eq(store_txn_commit(x), EINVAL);
	ck_assert_int_eq(store_txn_commit(r), 0);
}
END_TEST

/* A full map grows when the write ends; the next write succeeds. */
START_TEST(test_map_full)
{
	struct store_txn	*w, *r;
	struct store_stats	 st;
	static char		 big[50000];
	char			 path[32];
	int			 i, rc, fulls = 0;
	uint64_t		 size;

	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	s = st_open(dir, 256 << 10);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_stats(r, &st), 0);
	store_txn_abort(r);
	ck_assert_uint_eq(st.map_size, 256 << 10);

	/* One write per commit: each ENOSPC is followed by a success. */
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof path, "/f/%d", i);
		w = st_begin(s, NULL, STORE_TXN_WRITE);
		rc = store_write(w, path, big, sizeof big, 0, NULL);
		if (rc == ENOSPC) {
			fulls++;
			ck_assert_int_eq(store_txn_commit(w), ENOSPC);
			w = st_begin(s, NULL, STORE_TXN_WRITE);
			rc = store_write(w, path, big, sizeof big, 0, NULL);
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(store_txn_commit(w), 0);
	}
	ck_assert_int_ge(fulls, 3);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_stats(r, &st), 0);
	store_txn_abort(r);
	ck_assert_uint_eq(st.map_size, (uint64_t)(256 << 10) << fulls);
	ck_assert_uint_le(st.map_used, st.map_size);
	size = st.map_size;

	/* The grown size stays across a reopen. */
	store_close(s);
	s = st_open(dir, 256 << 10);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_stats(r, &st), 0);
	store_txn_abort(r);
	ck_assert_uint_eq(st.map_size, size);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* map_max caps the growth: past it, ENOSPC stays. */
START_TEST(test_map_max)
{
	struct store_config	 cfg;
	struct store_txn	*w;
	static char		 big[50000];
	char			 path[32], err[128];
	int			 i, rc = 0;

	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	memset(&cfg, 0, sizeof cfg);
	cfg.dir = dir;
	cfg.map_size = 256 << 10;
	cfg.map_max = 512 << 10;
	ck_assert_int_eq(store_open(&s, &cfg, err, sizeof err), 0);
	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/f/%d", i);
		w = st_begin(s, NULL, STORE_TXN_WRITE);
		rc = store_write(w, path, big, sizeof big, 0, NULL);
		if (rc != 0) {
			store_txn_abort(w);
			w = st_begin(s, NULL, STORE_TXN_WRITE);
			rc = store_write(w, path, big, sizeof big, 0, NULL);
			if (rc != 0) {
				store_txn_abort(w);
				break;
			}
		}
		ck_assert_int_eq(store_txn_commit(w), 0);
	}
	ck_assert_int_eq(rc, ENOSPC);
	ck_assert_int_gt(i, 5);
	ck_assert_int_lt(i, 40);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* A nested transaction that fills the map fails alone. */
START_TEST(test_map_full_nested)
{
	struct store_txn	*g, *n, *r;
	struct store_stats	 st;
	static char		 big[10000];
	char			 path[32], *v;
	int			 i, rc = 0;

	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	s = st_open(dir, 256 << 10);
	g = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(g, "/before", "b", 1, 0, NULL), 0);
	n = st_begin(s, g, STORE_TXN_WRITE);
	for (i = 0; rc == 0; i++) {
		snprintf(path, sizeof path, "/big/%d", i);
		rc = store_write(n, path, big, sizeof big, 0, NULL);
	}
	ck_assert_int_eq(rc, ENOSPC);
	ck_assert_int_eq(store_txn_error(n), ENOSPC);
	ck_assert_int_eq(store_txn_error(g), 0);
	ck_assert_int_eq(store_txn_commit(n), ENOSPC);
	ck_assert_int_eq(store_txn_error(g), 0);
	ck_assert_int_eq(store_write(g, "/after", "a", 1, 0, NULL), 0);
	ck_assert(!store_exists(g, "/big"));
	n = st_begin(s, g, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(n, "/small", "s", 1, 0, NULL), 0);
	ck_assert_int_eq(store_txn_commit(n), 0);
	ck_assert_int_eq(store_txn_commit(g), 0);

	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_list(r, "/"), "before,after,small");
	free(v);
	ck_assert_int_eq(store_stats(r, &st), 0);
	ck_assert_uint_eq(st.map_size, 512 << 10);
	store_txn_abort(r);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Snapshots stay usable while the map grows under them. */
START_TEST(test_map_growth_snapshots)
{
	struct store_txn	*x, *r, *g;
	struct store_stats	 st;
	struct grow_list	 gl;
	char			 path[32], *v, want[8192];
	size_t			 len = 0;
	int			 i;

	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	s = st_open(dir, 256 << 10);
	g = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof path, "/l/c%d", i);
		ck_assert_int_eq(store_write(g, path, path, strlen(path), 0,
		    NULL), 0);
		len += snprintf(want + len, sizeof want - len, "c%d,", i);
	}
	ck_assert_int_eq(store_txn_commit(g), 0);

	x = st_begin(s, NULL, STORE_TXN_XS);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_get(x, "/l/c5"), "/l/c5");
	free(v);
	ck_assert_int_eq(store_write(x, "/l/c5", "x", 1, 0, NULL), 0);
	fill_until_full(s);
	fill_until_full(s);
	ck_assert_int_eq(store_stats(r, &st), 0);
	ck_assert_uint_eq(st.map_size, 1024 << 10);

	/* Both snapshots read through the new map. */
	ck_assert_str_eq(v = st_get(r, "/l/c299"), "/l/c299");
	free(v);
	ck_assert_str_eq(v = st_get(x, "/l/c5"), "x");
	free(v);
	ck_assert_str_eq(v = st_get(x, "/l/c6"), "/l/c6");
	free(v);
	ck_assert(!store_exists(r, "/fill"));

	/* A listing whose callback makes the map grow goes on. */
	memset(&gl, 0, sizeof gl);
	gl.s = s;
	gl.grow_at = 10;
	ck_assert_int_eq(store_list(r, "/l", grow_list_cb, &gl), 0);
	ck_assert_str_eq(gl.names, want);
	memset(&gl, 0, sizeof gl);
	gl.s = s;
	gl.grow_at = 200;
	ck_assert_int_eq(store_list(x, "/l", grow_list_cb, &gl), 0);
	ck_assert_str_eq(gl.names, want);

	ck_assert_int_eq(apply_commit(x), 0);
	store_txn_abort(r);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_get(r, "/l/c5"), "x");
	free(v);
	store_txn_abort(r);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* The suite. */
static Suite *
store_xs_suite(void)
{
	Suite	*su = suite_create("store_xs");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_xs_snapshot);
	tcase_add_test(tc, test_xs_own_writes);
	tcase_add_test(tc, test_xs_conflict_read);
	tcase_add_test(tc, test_xs_no_conflict);
	tcase_add_test(tc, test_xs_list_conflict);
	tcase_add_test(tc, test_xs_siblings);
	tcase_add_test(tc, test_xs_absent_conflict);
	tcase_add_test(tc, test_xs_rm_conflict);
	tcase_add_test(tc, test_xs_read_only);
	tcase_add_test(tc, test_xs_replay_observer);
	suite_add_tcase(su, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xs_many);
	tcase_add_test(tc, test_map_full);
	tcase_add_test(tc, test_map_max);
	tcase_add_test(tc, test_map_full_nested);
	tcase_add_test(tc, test_map_growth_snapshots);
	suite_add_tcase(su, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_xs_errors);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{
	return st_main(store_xs_suite());
}

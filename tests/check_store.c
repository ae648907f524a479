/*
 * check_store.c - tests of db/: the tree, tables, meta, usage, the
 * observer, nested transactions, the integrity check, statistics and
 * opening databases that are not ours. XS transactions and map growth
 * are in check_store_xs.c, long-key collisions in check_store_collide.c.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "store-test.h"

/* Findings of store_check joined in one string. */
struct findings {
	char	*s;
	size_t	 len;
	int	 n;
};

/* Counting a listing. */
struct counter {
	unsigned int	 n;
	unsigned int	 stop_at;
	char		 first[64];
};

static char		*dir;
static struct store	*s;

static void	 setup(void);
static void	 teardown(void);
static void	 collect(void *, const char *);
static unsigned long check_into(struct store *, struct findings *);
static int	 count_cb(void *, const char *, size_t);
static int	 write_in_list_cb(void *, const char *, size_t);
static int	 record_cb(void *, uint64_t, const void *, size_t);
static int	 owner_cb(void *, uint32_t, const struct store_usage *);
static bool	 live_cb(void *, uint32_t, uint64_t);
static char	*long_name(size_t, char);
static uint64_t	 usage_bytes(struct store_txn *, uint32_t, uint64_t *);
static Suite	*store_suite(void);

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

/* Collect a finding. */
static void
collect(void *arg, const char *finding)
{
	struct findings	*f = arg;
	size_t		 n = strlen(finding);

	ck_assert_ptr_nonnull(f->s = realloc(f->s, f->len + n + 2));
	memcpy(f->s + f->len, finding, n);
	f->len += n;
	f->s[f->len++] = '\n';
	f->s[f->len] = '\0';
	f->n++;
	fprintf(stderr, "finding: %s\n", finding);
}

/* Run store_check collecting the findings. */
static unsigned long
check_into(struct store *st, struct findings *f)
{
	struct store_txn	*t = st_begin(st, NULL, STORE_TXN_READ);
	unsigned long		 problems = 0;

	memset(f, 0, sizeof *f);
	ck_assert_int_eq(store_check(t, collect, f, &problems), 0);
	store_txn_abort(t);
	ck_assert_uint_eq((unsigned long)f->n, problems);
	return (problems);
}

/* Count listed names; stop when asked. */
static int
count_cb(void *arg, const char *name, size_t len)
{
	struct counter	*c = arg;

	if (c->n == 0 && len < sizeof c->first) {
		memcpy(c->first, name, len);
		c->first[len] = '\0';
	}
	c->n++;
	if (c->stop_at != 0 && c->n == c->stop_at)
		return (42);
	return (0);
}

/* A listing callback that tries to change the store. */
static int
write_in_list_cb(void *arg, const char *name, size_t len)
{
	struct store_txn	*t = arg;
	char			*v;

	ck_assert_int_eq(store_write(t, "/inside", "x", 1, 0, NULL), EINVAL);
	ck_assert_int_eq(store_rm(t, "/l/a", NULL), EINVAL);
	ck_assert_ptr_nonnull(v = st_get(t, "/l/a"));
	free(v);
	return (0);
}

/* Append "key=value;" for each table record. */
static int
record_cb(void *arg, uint64_t key, const void *val, size_t len)
{
	char	*buf = arg, tmp[64];

	snprintf(tmp, sizeof tmp, "%llu=%.*s;", (unsigned long long)key,
	    (int)len, (const char *)val);
	strcat(buf, tmp);
	return (key == 777 ? 7 : 0);
}

/* Append "domid:nodes:bytes;" for each owner. */
static int
owner_cb(void *arg, uint32_t domid, const struct store_usage *u)
{
	char	*buf = arg, tmp[64];

	snprintf(tmp, sizeof tmp, "%u:%llu:%llu;", domid,
	    (unsigned long long)u->nodes, (unsigned long long)u->bytes);
	strcat(buf, tmp);
	return (0);
}

/* Usage of a domain: returns nodes, sets *bytes. */
static uint64_t
usage_bytes(struct store_txn *t, uint32_t domid, uint64_t *bytes)
{
	struct store_usage	u;

	ck_assert_int_eq(store_owner_usage(t, domid, &u), 0);
	*bytes = u.bytes;
	return (u.nodes);
}

/* A new store has "/" owned by dom0 with no access for others. */
START_TEST(test_open_root)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_READ);
	struct store_node	 n;
	struct store_stats	 st;

	ck_assert_str_eq(store_dir(s), dir);
	ck_assert_int_eq(store_get(t, "/", &n), 0);
	ck_assert_uint_eq(n.nperms, 1);
	ck_assert_uint_eq(n.perms[0].domid, 0);
	ck_assert_uint_eq(n.perms[0].access, XS_PERM_NONE);
	ck_assert_uint_eq(n.vlen, 0);
	ck_assert_uint_eq(n.nchildren, 0);
	ck_assert_uint_eq(n.childbytes, 0);
	ck_assert_uint_eq(n.gen, store_generation(t));
	ck_assert(store_exists(t, "/"));
	ck_assert(!store_exists(t, "/local"));
	ck_assert_int_eq(store_get(t, "/local", &n), ENOENT);
	ck_assert_int_eq(store_txn_error(t), 0);
	ck_assert_int_eq(store_stats(t, &st), 0);
	ck_assert_uint_eq(st.nodes, 1);
	ck_assert_uint_eq(st.schema, STORE_SCHEMA_VERSION);
	ck_assert_double_ge(store_txn_age(t), 0.0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* A write creates the missing ancestors with the parent's perms. */
START_TEST(test_write_ancestors)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct store_node	 n;
	unsigned int		 created = 99;
	char			*v;

	ck_assert_int_eq(store_write(t, "/a/b/c", "v", 1, 5, &created), 0);
	ck_assert_uint_eq(created, 3);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.nperms, 1);
	ck_assert_uint_eq(n.perms[0].domid, 5);
	ck_assert_uint_eq(n.perms[0].access, XS_PERM_NONE);
	ck_assert_uint_eq(n.vlen, 0);
	ck_assert_uint_eq(n.nchildren, 1);
	ck_assert_uint_eq(n.childbytes, 2);
	ck_assert_int_eq(store_get(t, "/", &n), 0);
	ck_assert_uint_eq(n.nchildren, 1);
	ck_assert_uint_eq(n.perms[0].domid, 0);
	ck_assert_int_eq(store_txn_commit(t), 0);

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_str_eq(v = st_get(t, "/a/b/c"), "v");
	free(v);
	ck_assert_str_eq(v = st_get(t, "/a/b"), "");
	free(v);
	ck_assert_int_eq(store_write(t, "/a/b/c", "w", 1, 9, &created), 0);
	ck_assert_uint_eq(created, 0);
	ck_assert_int_eq(store_get(t, "/a/b/c", &n), 0);
	ck_assert_uint_eq(n.perms[0].domid, 5);		/* kept */
	ck_assert_int_eq(store_mkdir(t, "/a/b", 0, &created), 0);
	ck_assert_uint_eq(created, 0);
	ck_assert_int_eq(store_mkdir(t, "/a/d/e", STORE_OWNER_INHERIT,
	    &created), 0);
	ck_assert_uint_eq(created, 2);
	ck_assert_int_eq(store_get(t, "/a/d/e", &n), 0);
	ck_assert_uint_eq(n.perms[0].domid, 5);
	ck_assert_uint_eq(n.vlen, 0);
	ck_assert_int_eq(store_write(t, "/a/b/c", NULL, 0, 0, NULL), 0);
	ck_assert_str_eq(v = st_get(t, "/a/b/c"), "");
	free(v);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* A created node copies the parent's list with its owner first. */
START_TEST(test_perms_inherit)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct xs_perm		 p[3] = { { 1, XS_PERM_READ },
				    { 2, XS_PERM_WRITE }, { 3, XS_PERM_BOTH } };
	struct store_node	 n;

	ck_assert_int_eq(store_mkdir(t, "/a", 0, NULL), 0);
	ck_assert_int_eq(store_set_perms(t, "/a", p, 3), 0);
	ck_assert_int_eq(store_write(t, "/a/x", "1", 1, STORE_OWNER_INHERIT,
	    NULL), 0);
	ck_assert_int_eq(store_get(t, "/a/x", &n), 0);
	ck_assert_uint_eq(n.nperms, 3);
	ck_assert_uint_eq(n.perms[0].domid, 1);
	ck_assert_uint_eq(n.perms[0].access, XS_PERM_READ);
	ck_assert_uint_eq(n.perms[1].domid, 2);
	ck_assert_uint_eq(n.perms[2].access, XS_PERM_BOTH);
	ck_assert_int_eq(store_write(t, "/a/y", "1", 1, 7, NULL), 0);
	ck_assert_int_eq(store_get(t, "/a/y", &n), 0);
	ck_assert_uint_eq(n.nperms, 3);
	ck_assert_uint_eq(n.perms[0].domid, 7);
	ck_assert_uint_eq(n.perms[0].access, XS_PERM_READ);
	ck_assert_uint_eq(n.perms[1].domid, 2);

	/* Bad lists change nothing and are not sticky. */
	ck_assert_int_eq(store_set_perms(t, "/a", p, 0), EINVAL);
	ck_assert_int_eq(store_set_perms(t, "/a", NULL, 1), EINVAL);
	p[0].access = 9;
	ck_assert_int_eq(store_set_perms(t, "/a", p, 1), EINVAL);
	p[0].access = XS_PERM_NONE;
	ck_assert_int_eq(store_set_perms(t, "/nope", p, 1), ENOENT);
	ck_assert_int_eq(store_txn_error(t), 0);
	ck_assert_int_eq(store_set_perms(t, "/a", p, 1), 0);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.nperms, 1);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* The domains live for test_perms_settle: 1, and 2 from generation *arg. */
static bool
live_cb(void *arg, uint32_t domid, uint64_t gen)
{
	return domid == 1 || (domid == 2 && gen >= *(uint64_t *)arg);
}

/*
 * With store_set_perm_live, a write keeps the node's list with its dead
 * entries ignored and a dead owner replaced by the heir, and a created
 * node copies the parent's list so settled; the marks stay.
 */
START_TEST(test_perms_settle)
{
	struct xs_perm		 p[4] = { { 3, XS_PERM_READ },
				    { 1, XS_PERM_WRITE }, { 2, XS_PERM_BOTH },
				    { 4, XS_PERM_READ } };
	struct store_txn	*t, *w;
	struct store_node	 n;
	uint64_t		 since = 0;
	int			 kind;

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_mkdir(t, "/a", 0, NULL), 0);
	ck_assert_int_eq(store_set_perms(t, "/a", p, 4), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	/* Domain 2 is live only from after the node's generation. */
	t = st_begin(s, NULL, STORE_TXN_READ);
	since = store_generation(t) + 1;
	store_txn_abort(t);
	store_set_perm_live(s, live_cb, &since, 9);

	for (kind = 0; kind < 2; kind++) {
		t = st_begin(s, NULL, kind == 0 ? STORE_TXN_WRITE :
		    STORE_TXN_XS);
		ck_assert_int_eq(store_write(t, kind == 0 ? "/a/b/c" :
		    "/a/x", "v", 1, STORE_OWNER_INHERIT, NULL), 0);
		ck_assert_int_eq(store_get(t, kind == 0 ? "/a/b/c" : "/a/x",
		    &n), 0);
		ck_assert_uint_eq(n.nperms, 4);
		ck_assert_uint_eq(n.perms[0].domid, 9);
		ck_assert_uint_eq(n.perms[0].access, XS_PERM_READ);
		ck_assert_uint_eq(n.perms[1].access, XS_PERM_WRITE);
		ck_assert_uint_eq(n.perms[2].access,
		    XS_PERM_BOTH | XS_PERM_IGNORE);
		ck_assert_uint_eq(n.perms[3].access,
		    XS_PERM_READ | XS_PERM_IGNORE);
		if (kind == 0) {
			ck_assert_int_eq(store_txn_commit(t), 0);
			continue;
		}
		w = st_begin(s, NULL, STORE_TXN_WRITE);
		ck_assert_int_eq(store_txn_apply(t, w), 0);
		store_txn_abort(t);
		ck_assert_int_eq(store_get(w, "/a/x", &n), 0);
		ck_assert_uint_eq(n.perms[0].domid, 9);
		ck_assert_uint_eq(n.perms[2].access,
		    XS_PERM_BOTH | XS_PERM_IGNORE);
		ck_assert_int_eq(store_txn_commit(w), 0);
	}
	/* The parent itself is settled by its own next write only. */
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.perms[0].domid, 3);
	ck_assert_uint_eq(n.perms[2].access, XS_PERM_BOTH);
	ck_assert_int_eq(store_write(t, "/a", "w", 1, STORE_OWNER_INHERIT,
	    NULL), 0);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.perms[0].domid, 9);
	ck_assert_uint_eq(n.perms[2].access, XS_PERM_BOTH | XS_PERM_IGNORE);
	ck_assert_int_eq(store_txn_commit(t), 0);
	/* Now domain 2 counts as live at any generation: the mark stays. */
	since = 0;
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(t, "/a", "x", 1, STORE_OWNER_INHERIT,
	    NULL), 0);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.perms[2].access, XS_PERM_BOTH | XS_PERM_IGNORE);
	/* SET_PERMS takes marks as given; the owner never has one. */
	p[0].access |= XS_PERM_IGNORE;
	ck_assert_int_eq(store_set_perms(t, "/a", p, 4), EINVAL);
	p[0].access = XS_PERM_NONE;
	p[3].access |= XS_PERM_IGNORE;
	ck_assert_int_eq(store_set_perms(t, "/a", p, 4), 0);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.perms[2].access, XS_PERM_BOTH);
	ck_assert_uint_eq(n.perms[3].access, XS_PERM_READ | XS_PERM_IGNORE);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* gen follows value and perms, cgen the list of children. */
START_TEST(test_generations)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct store_node	 n, c;
	struct xs_perm		 p = { 0, XS_PERM_READ };
	uint64_t		 g0, id, gen, cgen;

	g0 = store_generation(t);
	ck_assert_int_eq(store_mkdir(t, "/p", 0, NULL), 0);
	ck_assert_uint_eq(store_generation(t), g0 + 1);
	ck_assert_int_eq(store_get(t, "/p", &n), 0);
	ck_assert_uint_eq(n.id, g0 + 1);
	ck_assert_uint_eq(n.gen, n.id);
	ck_assert_uint_eq(n.cgen, n.id);
	id = n.id;

	ck_assert_int_eq(store_write(t, "/p", "x", 1, 0, NULL), 0);
	ck_assert_int_eq(store_get(t, "/p", &n), 0);
	ck_assert_uint_eq(n.id, id);
	ck_assert_uint_gt(n.gen, id);
	ck_assert_uint_eq(n.cgen, id);
	gen = n.gen;

	ck_assert_int_eq(store_write(t, "/p/c", "y", 1, 0, NULL), 0);
	ck_assert_int_eq(store_get(t, "/p/c", &c), 0);
	ck_assert_uint_gt(c.id, gen);
	ck_assert_int_eq(store_get(t, "/p", &n), 0);
	ck_assert_uint_eq(n.gen, gen);
	ck_assert_uint_eq(n.cgen, c.id);
	cgen = n.cgen;

	ck_assert_int_eq(store_set_perms(t, "/p", &p, 1), 0);
	ck_assert_int_eq(store_get(t, "/p", &n), 0);
	ck_assert_uint_gt(n.gen, cgen);
	ck_assert_uint_eq(n.cgen, cgen);
	gen = n.gen;

	ck_assert_int_eq(store_rm(t, "/p/c", NULL), 0);
	ck_assert_int_eq(store_get(t, "/p", &n), 0);
	ck_assert_uint_eq(n.gen, gen);
	ck_assert_uint_gt(n.cgen, gen);
	ck_assert_uint_eq(n.cgen, store_generation(t));
	ck_assert_uint_eq(store_generation(t), g0 + 5);
	ck_assert_int_eq(store_txn_commit(t), 0);

	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_uint_eq(store_generation(t), g0 + 5);
	store_txn_abort(t);
}
END_TEST

/* Children are listed in creation order, not name order. */
START_TEST(test_list_order)
{
	static const char *const names[] = { "zeta", "alpha", "m", "b9",
	    "_x", "A", "0" };
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct counter		 c;
	char			 path[64], *l;
	size_t			 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "/d/%s", names[i]);
		ck_assert_int_eq(store_write(t, path, "", 0, 0, NULL), 0);
	}
	ck_assert_str_eq(l = st_list(t, "/d"), "zeta,alpha,m,b9,_x,A,0");
	free(l);
	ck_assert_int_eq(store_rm(t, "/d/alpha", NULL), 0);
	ck_assert_int_eq(store_write(t, "/d/alpha", "", 0, 0, NULL), 0);
	ck_assert_str_eq(l = st_list(t, "/d"), "zeta,m,b9,_x,A,0,alpha");
	free(l);
	ck_assert_str_eq(l = st_list(t, "/d/m"), "");
	free(l);
	ck_assert_ptr_null(st_list(t, "/nope"));

	memset(&c, 0, sizeof c);
	c.stop_at = 3;
	ck_assert_int_eq(store_list(t, "/d", count_cb, &c), 42);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.first, "zeta");
	ck_assert_int_eq(store_txn_error(t), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);

	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(l = st_list(t, "/"), "d");
	free(l);
	ck_assert_str_eq(l = st_list(t, "/d"), "zeta,m,b9,_x,A,0,alpha");
	free(l);
	store_txn_abort(t);
}
END_TEST

/* rm takes a whole subtree and fixes its parent. */
START_TEST(test_rm_subtree)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct store_node	 n;
	unsigned int		 removed = 0;
	char			*l;

	ck_assert_int_eq(store_write(t, "/r/a/x", "1", 1, 0, NULL), 0);
	ck_assert_int_eq(store_write(t, "/r/a/y", "2", 1, 0, NULL), 0);
	ck_assert_int_eq(store_write(t, "/r/b", "3", 1, 0, NULL), 0);
	ck_assert_int_eq(store_write(t, "/keep", "4", 1, 0, NULL), 0);
	ck_assert_int_eq(store_rm(t, "/r", &removed), 0);
	ck_assert_uint_eq(removed, 5);
	ck_assert(!store_exists(t, "/r"));
	ck_assert(!store_exists(t, "/r/a/x"));
	ck_assert_str_eq(l = st_list(t, "/"), "keep");
	free(l);
	ck_assert_int_eq(store_get(t, "/", &n), 0);
	ck_assert_uint_eq(n.nchildren, 1);
	ck_assert_uint_eq(n.childbytes, 5);
	ck_assert_int_eq(store_rm(t, "/r", &removed), ENOENT);
	ck_assert_uint_eq(removed, 0);
	ck_assert_int_eq(store_rm(t, "/", NULL), EINVAL);
	ck_assert_int_eq(store_txn_error(t), 0);
	ck_assert_int_eq(store_rm(t, "/keep", &removed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Usage per owner follows creation, value and owner changes, removal. */
START_TEST(test_owner_usage)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct xs_perm		 p[2] = { { 4, XS_PERM_READ },
				    { 3, XS_PERM_READ } };
	uint64_t		 bytes;
	char			 buf[256] = "";

	ck_assert_uint_eq(usage_bytes(t, 0, &bytes), 1);
	ck_assert_uint_eq(bytes, 0 + 5 + 0 + 1);	/* "/" */
	ck_assert_uint_eq(usage_bytes(t, 3, &bytes), 0);
	ck_assert_uint_eq(bytes, 0);

	ck_assert_int_eq(store_write(t, "/a", "hello", 5, 3, NULL), 0);
	ck_assert_uint_eq(usage_bytes(t, 3, &bytes), 1);
	ck_assert_uint_eq(bytes, 5 + 5 + 1 + 1);
	ck_assert_int_eq(store_write(t, "/a", "hi", 2, 3, NULL), 0);
	ck_assert_uint_eq(usage_bytes(t, 3, &bytes), 1);
	ck_assert_uint_eq(bytes, 2 + 5 + 1 + 1);

	ck_assert_int_eq(store_set_perms(t, "/a", p, 2), 0);
	ck_assert_uint_eq(usage_bytes(t, 3, &bytes), 0);
	ck_assert_uint_eq(bytes, 0);
	ck_assert_uint_eq(usage_bytes(t, 4, &bytes), 1);
	ck_assert_uint_eq(bytes, 2 + 10 + 1 + 1);

	ck_assert_int_eq(store_write(t, "/a/bb/ccc", "xyz", 3, 5, NULL), 0);
	ck_assert_uint_eq(usage_bytes(t, 5, &bytes), 2);
	ck_assert_uint_eq(bytes, (0 + 10 + 2 + 1) + (3 + 10 + 3 + 1));
	ck_assert_int_eq(store_owner_foreach(t, owner_cb, buf), 0);
	ck_assert_str_eq(buf, "0:1:6;4:1:14;5:2:30;");

	ck_assert_int_eq(store_rm(t, "/a", NULL), 0);
	ck_assert_uint_eq(usage_bytes(t, 4, &bytes), 0);
	ck_assert_uint_eq(usage_bytes(t, 5, &bytes), 0);
	buf[0] = '\0';
	ck_assert_int_eq(store_owner_foreach(t, owner_cb, buf), 0);
	ck_assert_str_eq(buf, "0:1:6;");
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Tables keep records by number, in numeric order. */
START_TEST(test_tables)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct store_stats	 st;
	const void		*val;
	size_t			 len;
	char			 buf[256] = "", *big;

	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 5, "five", 4),
	    0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 1, "one", 3),
	    0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS,
	    (uint64_t)1 << 40, "big", 3), 0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 300, "", 0),
	    0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_WATCHES, 5, "w", 1),
	    0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 5, "FIVE", 4),
	    0);
	ck_assert_int_eq(store_table_get(t, STORE_TABLE_DOMAINS, 5, &val,
	    &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(val, "FIVE", 4), 0);
	ck_assert_int_eq(store_table_foreach(t, STORE_TABLE_DOMAINS,
	    record_cb, buf), 0);
	ck_assert_str_eq(buf, "1=one;5=FIVE;300=;1099511627776=big;");
	ck_assert_int_eq(store_stats(t, &st), 0);
	ck_assert_uint_eq(st.domains, 4);
	ck_assert_uint_eq(st.watches, 1);

	ck_assert_int_eq(store_table_del(t, STORE_TABLE_DOMAINS, 300), 0);
	ck_assert_int_eq(store_table_del(t, STORE_TABLE_DOMAINS, 300),
	    ENOENT);
	ck_assert_int_eq(store_table_get(t, STORE_TABLE_DOMAINS, 300, &val,
	    &len), ENOENT);
	ck_assert_int_eq(store_table_get(t, STORE_TABLE_CONNS, 5, &val,
	    &len), ENOENT);
	ck_assert_int_eq(store_txn_error(t), 0);

	/* A callback's non-zero value stops the walk and is returned. */
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_CONNS, 777, "s", 1),
	    0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_CONNS, 778, "t", 1),
	    0);
	buf[0] = '\0';
	ck_assert_int_eq(store_table_foreach(t, STORE_TABLE_CONNS, record_cb,
	    buf), 7);
	ck_assert_str_eq(buf, "777=s;");

	ck_assert_ptr_nonnull(big = calloc(1, 65537));
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_CONNS, 1, big, 65537),
	    E2BIG);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_CONNS, 1, big, 65536),
	    0);
	ck_assert_int_eq(store_table_get(t, STORE_TABLE_CONNS, 1, &val, &len),
	    0);
	ck_assert_uint_eq(len, 65536);
	free(big);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_COUNT, 1, "x", 1),
	    EINVAL);
	ck_assert_int_eq(store_table_put(t, (enum store_table)-1, 1, "x", 1),
	    EINVAL);
	ck_assert_int_eq(store_txn_commit(t), 0);

	t = st_begin(s, NULL, STORE_TXN_READ);
	buf[0] = '\0';
	ck_assert_int_eq(store_table_foreach(t, STORE_TABLE_DOMAINS,
	    record_cb, buf), 0);
	ck_assert_str_eq(buf, "1=one;5=FIVE;1099511627776=big;");
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 9, "x", 1),
	    EINVAL);
	store_txn_abort(t);
}
END_TEST

/* Named meta values cannot touch the store's own records. */
START_TEST(test_meta)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	const void		*val;
	size_t			 len;
	uint64_t		 gen = store_generation(t);
	char			 name[300];

	ck_assert_int_eq(store_meta_put(t, "bootid", "abc", 3), 0);
	ck_assert_int_eq(store_meta_get(t, "bootid", &val, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(val, "abc", 3), 0);
	ck_assert_int_eq(store_meta_get(t, "nothing", &val, &len), ENOENT);
	ck_assert_int_eq(store_meta_put(t, "counter", "zzzzzzzz", 8), 0);
	ck_assert_int_eq(store_meta_put(t, "magic", "nope", 4), 0);
	ck_assert_int_eq(store_meta_put(t, "schema", "1234", 4), 0);
	ck_assert_int_eq(store_meta_put(t, "", "x", 1), EINVAL);
	ck_assert_int_eq(store_meta_put(t, NULL, "x", 1), EINVAL);
	memset(name, 'n', sizeof name);
	name[255] = '\0';
	ck_assert_int_eq(store_meta_put(t, name, "x", 1), 0);
	name[255] = 'n';
	name[256] = '\0';
	ck_assert_int_eq(store_meta_put(t, name, "x", 1), EINVAL);
	ck_assert_int_eq(store_meta_put(t, "big", name, 65537), E2BIG);
	ck_assert_int_eq(store_txn_error(t), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);

	store_close(s);
	s = st_open(dir, 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_uint_eq(store_generation(t), gen);
	ck_assert_int_eq(store_meta_get(t, "counter", &val, &len), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(store_meta_get(t, "bootid", &val, &len), 0);
	ck_assert_int_eq(memcmp(val, "abc", 3), 0);
	ck_assert_int_eq(store_meta_put(t, "x", "y", 1), EINVAL);
	store_txn_abort(t);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Aborting a nested transaction leaves its parent as it was. */
START_TEST(test_nested_abort)
{
	struct store_txn	*w, *n;
	uint64_t		 gen;
	char			*v;

	st_put(s, "/n/a", "a");
	w = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(w, "/n/w", "w", 1, 0, NULL), 0);
	gen = store_generation(w);
	n = st_begin(s, w, STORE_TXN_WRITE);
	ck_assert_uint_eq(store_generation(n), gen);
	ck_assert_int_eq(store_write(w, "/n/x", "x", 1, 0, NULL), EINVAL);
	ck_assert_int_eq(store_write(n, "/n/b", "b", 1, 0, NULL), 0);
	ck_assert_int_eq(store_rm(n, "/n/a", NULL), 0);
	ck_assert_int_eq(store_table_put(n, STORE_TABLE_DOMAINS, 1, "d", 1),
	    0);
	store_txn_abort(n);
	ck_assert_int_eq(store_txn_error(w), 0);
	ck_assert_uint_eq(store_generation(w), gen);
	ck_assert_str_eq(v = st_get(w, "/n/a"), "a");
	free(v);
	ck_assert_ptr_null(st_get(w, "/n/b"));

	n = st_begin(s, w, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(n, "/n/c", "c", 1, 0, NULL), 0);
	ck_assert_int_eq(store_txn_commit(n), 0);
	ck_assert_uint_eq(store_generation(w), gen + 1);
	ck_assert_str_eq(v = st_list(w, "/n"), "a,w,c");
	free(v);
	ck_assert_int_eq(store_txn_commit(w), 0);

	w = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_list(w, "/n"), "a,w,c");
	free(v);
	ck_assert_uint_eq(store_generation(w), gen + 1);
	store_txn_abort(w);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* A group of requests where one fails: the others commit. */
START_TEST(test_group_one_fails)
{
	struct store_txn	*w, *n;
	char			 path[32], *v;
	int			 i, rc;

	w = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 5; i++) {
		n = st_begin(s, w, STORE_TXN_WRITE);
		snprintf(path, sizeof path, "/g/%d", i);
		rc = store_write(n, path, "v", 1, 0, NULL);
		if (rc == 0 && i == 2)
			rc = store_rm(n, "/g/none", NULL);
		if (rc == 0)
			ck_assert_int_eq(store_txn_commit(n), 0);
		else {
			ck_assert_int_eq(rc, ENOENT);
			store_txn_abort(n);
		}
	}
	ck_assert_int_eq(store_txn_commit(w), 0);
	w = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_list(w, "/g"), "0,1,3,4");
	free(v);
	store_txn_abort(w);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Every change is reported, descendants of an rm before the node. */
START_TEST(test_observer)
{
	struct store_txn	*w, *n;
	struct st_events	 ev;
	struct xs_perm		 p = { 0, XS_PERM_READ };
	unsigned int		 i, pos_b = 0, pos_a = 0;

	memset(&ev, 0, sizeof ev);
	w = st_begin(s, NULL, STORE_TXN_WRITE);
	store_txn_observe(w, st_observer, &ev);
	ck_assert_int_eq(store_write(w, "/o/a/b", "x", 1, 0, NULL), 0);
	ck_assert_int_eq(store_mkdir(w, "/o/a", 0, NULL), 0);
	ck_assert_int_eq(store_mkdir(w, "/o/c", 0, NULL), 0);
	ck_assert_int_eq(store_set_perms(w, "/o/c", &p, 1), 0);
	ck_assert_int_eq(store_rm(w, "/nope", NULL), ENOENT);
	ck_assert_uint_eq(ev.n, 3);
	ck_assert_int_eq(ev.kind[0], STORE_CHANGE_WRITE);
	ck_assert_str_eq(ev.path[0], "/o/a/b");
	ck_assert_int_eq(ev.kind[1], STORE_CHANGE_WRITE);
	ck_assert_str_eq(ev.path[1], "/o/c");
	ck_assert_int_eq(ev.kind[2], STORE_CHANGE_PERMS);
	ck_assert_str_eq(ev.path[2], "/o/c");
	/* What each change took away: nothing, then the list replaced. */
	ck_assert_ptr_null(ev.old[0]);
	ck_assert_str_eq(ev.old[2], "n0");

	ck_assert_int_eq(store_rm(w, "/o", NULL), 0);
	ck_assert_uint_eq(ev.n, 7);
	for (i = 3; i < 6; i++) {
		ck_assert_int_eq(ev.kind[i], STORE_CHANGE_RM_CHILD);
		if (strcmp(ev.path[i], "/o/a/b") == 0)
			pos_b = i;
		else if (strcmp(ev.path[i], "/o/a") == 0)
			pos_a = i;
		else
			ck_assert_str_eq(ev.path[i], "/o/c");
	}
	ck_assert_uint_ne(pos_a, 0);
	ck_assert_uint_lt(pos_b, pos_a);
	ck_assert_int_eq(ev.kind[6], STORE_CHANGE_RM);
	ck_assert_str_eq(ev.path[6], "/o");
	/* A removed node's list, and for a descendant its parent's. */
	for (i = 3; i < 6; i++)
		ck_assert_str_eq(ev.old[i], strcmp(ev.path[i], "/o/c") == 0 ?
		    "r0/n0" : "n0/n0");
	ck_assert_str_eq(ev.old[6], "n0");

	/* A nested transaction reports to its parent's observer. */
	n = st_begin(s, w, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(n, "/q", "x", 1, 0, NULL), 0);
	ck_assert_uint_eq(ev.n, 8);
	ck_assert_str_eq(ev.path[7], "/q");
	store_txn_observe(n, NULL, NULL);
	ck_assert_int_eq(store_write(n, "/q", "y", 1, 0, NULL), 0);
	ck_assert_uint_eq(ev.n, 8);
	ck_assert_int_eq(store_txn_commit(n), 0);
	ck_assert_int_eq(store_txn_commit(w), 0);
	st_events_free(&ev);
}
END_TEST

/* A store with all kinds of nodes passes the check. */
START_TEST(test_check_good)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct xs_perm		 p[2] = { { 7, XS_PERM_READ },
				    { 8, XS_PERM_BOTH } };
	char			*lp;
	unsigned long		 problems = 1;

	lp = st_make_path("/long/", 2000, 'q');
	ck_assert_int_eq(store_write(t, lp, "L", 1, 3, NULL), 0);
	ck_assert_int_eq(store_write(t, "/local/domain/1/x", "1", 1, 1, NULL),
	    0);
	ck_assert_int_eq(store_set_perms(t, "/local/domain/1", p, 2), 0);
	ck_assert_int_eq(store_rm(t, "/local/domain/1/x", NULL), 0);
	ck_assert_int_eq(store_mkdir(t, "/tool", 0, NULL), 0);
	ck_assert_int_eq(store_check(t, NULL, NULL, &problems), 0);
	ck_assert_uint_eq(problems, 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
	free(lp);
}
END_TEST

/* Stores broken on purpose through LMDB: each fault is found. */
START_TEST(test_check_broken)
{
	struct findings	 f;
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 nodes, children, owners, meta;
	MDB_val		 k, v;
	MDB_cursor	*c;
	uint64_t	 counter = 2;
	char		 junk[8] = "garbage";

	st_put(s, "/x/y", "1");
	st_put(s, "/z/w", "2");
	st_put(s, "/u", "3");
	st_put(s, "/c/d", "4");
	store_close(s);
	s = NULL;

	st_raw_open(dir, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "nodes", 0, &nodes), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "children", 0, &children), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "owners", 0, &owners), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	/* A parent node vanishes. */
	k.mv_data = "/x";
	k.mv_size = 2;
	ck_assert_int_eq(mdb_del(txn, nodes, &k, NULL), 0);
	/* A record that does not decode. */
	k.mv_data = "/junk";
	k.mv_size = 5;
	v.mv_data = junk;
	v.mv_size = sizeof junk;
	ck_assert_int_eq(mdb_put(txn, nodes, &k, &v, 0), 0);
	st_raw_close(env, txn);

	s = st_open(dir, 0);
	ck_assert_uint_gt(check_into(s, &f), 0);
	ck_assert_ptr_nonnull(strstr(f.s, "Node /x/y has no parent"));
	ck_assert_ptr_nonnull(strstr(f.s, "cannot be decoded"));
	ck_assert_ptr_nonnull(strstr(f.s, "has no parent node"));
	ck_assert_ptr_nonnull(strstr(f.s, "Node / counts 4 children"));
	ck_assert_ptr_nonnull(strstr(f.s, "Domain 0 is recorded as owning"));
	free(f.s);
	store_close(s);
	s = NULL;

	/* A child record goes; usage is changed; the counter goes back. */
	st_raw_open(dir, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "children", 0, &children), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "owners", 0, &owners), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, children, &c), 0);
	ck_assert_int_eq(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
	ck_assert_int_eq(mdb_cursor_del(c, 0), 0);
	mdb_cursor_close(c);
	k.mv_data = "\0\0\0\x09";
	k.mv_size = 4;
	v.mv_data = "0123456789abcdef";
	v.mv_size = 16;
	ck_assert_int_eq(mdb_put(txn, owners, &k, &v, 0), 0);
	k.mv_data = "counter";
	k.mv_size = 7;
	v.mv_data = &counter;
	v.mv_size = sizeof counter;
	ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
	st_raw_close(env, txn);

	s = st_open(dir, 0);
	ck_assert_uint_gt(check_into(s, &f), 0);
	ck_assert_ptr_nonnull(strstr(f.s, "Node /c/d is not among the "
	    "children of its parent"));
	ck_assert_ptr_nonnull(strstr(f.s, "Domain 9 has a usage record"));
	ck_assert_ptr_nonnull(strstr(f.s, "above the counter 2"));
	free(f.s);
}
END_TEST

/* A child record pointing at a missing node is found. */
START_TEST(test_check_orphan_child)
{
	struct findings	 f;
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 children;
	MDB_val		 k, v;
	unsigned char	 key[16] = { 0, 0, 0, 0, 0, 0, 0, 1,
			    0, 0, 0, 0, 0, 0, 1, 0 };

	store_close(s);
	s = NULL;
	st_raw_open(dir, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "children", 0, &children), 0);
	k.mv_data = key;
	k.mv_size = sizeof key;
	v.mv_data = "ghost";
	v.mv_size = 5;
	ck_assert_int_eq(mdb_put(txn, children, &k, &v, 0), 0);
	st_raw_close(env, txn);
	s = st_open(dir, 0);
	ck_assert_uint_eq(check_into(s, &f), 1);
	ck_assert_ptr_nonnull(strstr(f.s, "\"ghost\" (parent id 1, child id "
	    "256) has no child node"));
	free(f.s);
}
END_TEST

/* Statistics say how big the store is. */
START_TEST(test_stats)
{
	struct store_txn	*t, *r[3];
	struct store_stats	 st;
	uint64_t		 bytes, b;
	int			 i;

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(t, "/s/a", "12345", 5, 1, NULL), 0);
	ck_assert_int_eq(store_write(t, "/s/b", "1", 1, 2, NULL), 0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_WATCHES, 1, "w", 1),
	    0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	for (i = 0; i < 3; i++)
		r[i] = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_stats(r[0], &st), 0);
	ck_assert_uint_eq(st.nodes, 4);
	bytes = 0;
	usage_bytes(r[0], 0, &b);
	bytes += b;
	usage_bytes(r[0], 1, &b);
	bytes += b;
	usage_bytes(r[0], 2, &b);
	bytes += b;
	ck_assert_uint_eq(st.bytes, bytes);
	ck_assert_uint_eq(st.generation, store_generation(r[0]));
	ck_assert_uint_eq(st.domains, 0);
	ck_assert_uint_eq(st.watches, 1);
	ck_assert_uint_eq(st.map_size, 64 << 20);
	ck_assert_uint_gt(st.map_used, 0);
	ck_assert_uint_le(st.map_used, st.map_size);
	ck_assert_uint_gt(st.file_size, 0);
	ck_assert_uint_eq(st.page_size, (uint32_t)sysconf(_SC_PAGESIZE));
	ck_assert_uint_eq(st.map_used % st.page_size, 0);
	ck_assert_uint_ge(st.readers_used, 3);
	ck_assert_uint_eq(st.readers_max, 4096);
	ck_assert_uint_eq(st.schema, STORE_SCHEMA_VERSION);
	for (i = 0; i < 3; i++)
		store_txn_abort(r[i]);
}
END_TEST

/* A database reopens with everything in it. */
START_TEST(test_reopen)
{
	struct store_txn	*t;
	char			*v;
	uint64_t		 gen;

	st_put(s, "/a/b", "persist");
	t = st_begin(s, NULL, STORE_TXN_READ);
	gen = store_generation(t);
	store_txn_abort(t);
	store_close(s);
	s = st_open(dir, 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_str_eq(v = st_get(t, "/a/b"), "persist");
	free(v);
	ck_assert_uint_eq(store_generation(t), gen);
	store_txn_abort(t);
}
END_TEST

/* A read-only open beside a writer, which grows the map meanwhile. */
START_TEST(test_read_only)
{
	struct store_config	 cfg;
	struct store_txn	*t;
	struct store		*ro;
	char			 err[256], *v, *big, path[32];
	int			 up[2], down[2], status, i;
	pid_t			 pid;
	char			 c;

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = "/nonexistent/xsdb";
	cfg.read_only = true;
	ck_assert_int_eq(store_open(&ro, &cfg, err, sizeof err), ENOENT);
	ck_assert_str_ne(err, "");

	/* Reopen with a small map so that the writer must grow it. */
	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	s = st_open(dir, 1 << 20);
	st_put(s, "/ro/first", "1");

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		cfg.dir = dir;
		if (store_open(&ro, &cfg, err, sizeof err) != 0)
			_exit(10);
		if (store_txn_begin(ro, NULL, STORE_TXN_WRITE, &t) != EROFS)
			_exit(11);
		if (store_txn_begin(ro, NULL, STORE_TXN_READ, &t) != 0)
			_exit(12);
		v = st_get(t, "/ro/first");
		if (v == NULL || strcmp(v, "1") != 0)
			_exit(13);
		free(v);
		store_txn_abort(t);
		if (write(up[1], "r", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(14);
		/* The writer has grown the map past ours meanwhile. */
		if (store_txn_begin(ro, NULL, STORE_TXN_READ, &t) != 0)
			_exit(15);
		v = st_get(t, "/ro/last");
		if (v == NULL || strcmp(v, "done") != 0)
			_exit(16);
		free(v);
		v = st_get(t, "/ro/39");
		if (v == NULL || strlen(v) != 60000)
			_exit(17);
		free(v);
		store_txn_abort(t);
		store_close(ro);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	ck_assert_int_eq(read(up[0], &c, 1), 1);
	ck_assert_ptr_nonnull(big = malloc(60001));
	memset(big, 'b', 60000);
	big[60000] = '\0';
	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/ro/%d", i);
		t = st_begin(s, NULL, STORE_TXN_WRITE);
		if (store_write(t, path, big, 60000, 0, NULL) != 0) {
			ck_assert_int_eq(store_txn_error(t), ENOSPC);
			store_txn_abort(t);
			i--;
			continue;
		}
		ck_assert_int_eq(store_txn_commit(t), 0);
	}
	free(big);
	st_put(s, "/ro/last", "done");
	ck_assert_int_eq(write(down[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Calls that make no sense change nothing and are EINVAL. */
START_TEST(test_misuse)
{
	struct store_txn	*r, *w, *x, *t;
	struct store_node	 n;
	const char		*bad[] = { "", "a", "/a/", "//", "/a//b",
				    "/a b", "/a.b", "/\xff" };
	char			*lp;
	size_t			 i;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &t), EINVAL);
	ck_assert_int_eq(store_txn_begin(s, NULL, STORE_TXN_READ |
	    STORE_TXN_WRITE, &t), EINVAL);
	r = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_write(r, "/a", "x", 1, 0, NULL), EINVAL);
	ck_assert_int_eq(store_mkdir(r, "/a", 0, NULL), EINVAL);
	ck_assert_int_eq(store_rm(r, "/a", NULL), EINVAL);
	ck_assert_int_eq(store_table_del(r, STORE_TABLE_DOMAINS, 1), EINVAL);
	ck_assert_int_eq(store_txn_begin(s, r, STORE_TXN_WRITE, &t), EINVAL);
	ck_assert_int_eq(store_txn_error(r), 0);

	w = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_txn_begin(s, NULL, STORE_TXN_WRITE, &t), EBUSY);
	ck_assert_int_eq(store_txn_begin(s, w, STORE_TXN_READ, &t), EINVAL);
	ck_assert_int_eq(store_txn_begin(s, w, STORE_TXN_XS, &t), EINVAL);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(store_write(w, bad[i], "x", 1, 0, NULL),
		    EINVAL);
		ck_assert_int_eq(store_get(w, bad[i], &n), EINVAL);
		ck_assert(!store_exists(w, bad[i]));
	}
	ck_assert_int_eq(store_write(w, NULL, "x", 1, 0, NULL), EINVAL);
	lp = st_make_path("/", 3073, 'a');
	ck_assert_int_eq(store_write(w, lp, "x", 1, 0, NULL), EINVAL);
	free(lp);
	ck_assert_int_eq(store_write(w, "/l/a", "x", 1, 0, NULL), 0);
	ck_assert_int_eq(store_list(w, "/l", write_in_list_cb, w), 0);
	ck_assert(!store_exists(w, "/inside"));
	ck_assert_int_eq(store_txn_error(w), 0);

	x = st_begin(s, NULL, STORE_TXN_XS);
	ck_assert_int_eq(store_table_put(x, STORE_TABLE_DOMAINS, 1, "x", 1),
	    EINVAL);
	ck_assert_int_eq(store_meta_put(x, "x", "x", 1), EINVAL);
	ck_assert_int_eq(store_txn_apply(x, r), EINVAL);
	ck_assert_int_eq(store_txn_apply(r, w), EINVAL);
	ck_assert_int_eq(store_txn_commit(x), EINVAL);	/* and freed */
	ck_assert_int_eq(store_txn_commit(w), 0);
	ck_assert_int_eq(store_txn_commit(r), 0);
}
END_TEST

/* A path "/k/" and one name of c, len bytes in all. */
static char *
long_name(size_t len, char c)
{
	char	*p;

	ck_assert_ptr_nonnull(p = malloc(len + 1));
	memcpy(p, "/k/", 3);
	memset(p + 3, c, len - 3);
	p[len] = '\0';
	return (p);
}

/* Paths around LMDB's key limit and at the protocol's limit. */
START_TEST(test_long_paths)
{
	static const size_t	 lens[] = { 510, 511, 512, 513, 600, 3072 };
	struct store_txn	*t;
	struct store_node	 n;
	char			*p[6], *v, *child, *want;
	unsigned int		 removed;
	size_t			 i, off;

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 6; i++) {
		p[i] = long_name(lens[i], 'a' + i);
		ck_assert_int_eq(store_write(t, p[i], p[i] + lens[i] - 3, 3,
		    (uint32_t)i, NULL), 0);
	}
	ck_assert_int_eq(store_txn_commit(t), 0);
	store_close(s);
	s = st_open(dir, 0);

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(store_get(t, p[i], &n), 0);
		ck_assert_uint_eq(n.vlen, 3);
		ck_assert_int_eq(memcmp(n.value, p[i] + lens[i] - 3, 3), 0);
		ck_assert_uint_eq(n.perms[0].domid, i);
	}
	/* Long paths with children; 3072 bytes has no room for one. */
	for (i = 0; i < 5; i++) {
		ck_assert_int_ge(asprintf(&child, "%s/kid", p[i]), 0);
		ck_assert_int_eq(store_write(t, child, "k", 1, 0, NULL), 0);
		ck_assert_str_eq(v = st_list(t, p[i]), "kid");
		free(v);
		ck_assert_str_eq(v = st_get(t, child), "k");
		free(v);
		free(child);
	}
	ck_assert_int_ge(asprintf(&child, "%s/x", p[5]), 0);
	ck_assert_int_eq(store_write(t, child, "k", 1, 0, NULL), EINVAL);
	free(child);
	ck_assert_ptr_nonnull(want = malloc(6 * 3072));
	for (i = off = 0; i < 6; i++) {
		memcpy(want + off, p[i] + 3, lens[i] - 3);
		off += lens[i] - 3;
		want[off++] = i < 5 ? ',' : '\0';
	}
	ck_assert_str_eq(v = st_list(t, "/k"), want);
	free(v);
	free(want);
	ck_assert_int_eq(store_check(t, NULL, NULL, NULL), 0);
	ck_assert_int_eq(store_rm(t, p[2], &removed), 0);
	ck_assert_uint_eq(removed, 2);
	ck_assert(!store_exists(t, p[2]));
	ck_assert(store_exists(t, p[3]));
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);

	/* /k, four long names with a kid each, and the 3072-byte one. */
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_rm(t, "/k", &removed), 0);
	ck_assert_uint_eq(removed, 10);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
	for (i = 0; i < 6; i++)
		free(p[i]);
}
END_TEST

/* A 4096-byte value of NULs and an empty value come back intact. */
START_TEST(test_value_nuls)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);
	struct store_node	 n;
	static char		 zero[4096], check[4096];
	uint64_t		 bytes;

	ck_assert_int_eq(store_write(t, "/z", zero, sizeof zero, 2, NULL), 0);
	ck_assert_int_eq(store_write(t, "/e", "", 0, 2, NULL), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_get(t, "/z", &n), 0);
	ck_assert_uint_eq(n.vlen, 4096);
	ck_assert_int_eq(memcmp(n.value, check, sizeof check), 0);
	ck_assert_int_eq(store_get(t, "/e", &n), 0);
	ck_assert_uint_eq(n.vlen, 0);
	ck_assert_uint_eq(usage_bytes(t, 2, &bytes), 2);
	ck_assert_uint_eq(bytes, (4096 + 5 + 1 + 1) + (0 + 5 + 1 + 1));
	store_txn_abort(t);
}
END_TEST

/* Thousands of children keep their creation order. */
START_TEST(test_many_children)
{
	struct store_txn	*t;
	struct store_node	 n;
	struct counter		 c;
	char			 path[64], *l, *p;
	int			 i;

	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 5000; i > 0; i--) {
		snprintf(path, sizeof path, "/many/n%d", i);
		ck_assert_int_eq(store_write(t, path, "", 0, 0, NULL), 0);
	}
	ck_assert_int_eq(store_txn_commit(t), 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_get(t, "/many", &n), 0);
	ck_assert_uint_eq(n.nchildren, 5000);
	l = st_list(t, "/many");
	p = l;
	for (i = 5000; i > 0; i--) {
		snprintf(path, sizeof path, "n%d", i);
		ck_assert_int_eq(strncmp(p, path, strlen(path)), 0);
		p += strlen(path);
		ck_assert(*p == ',' || (*p == '\0' && i == 1));
		p++;
	}
	free(l);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(store_list(t, "/many", count_cb, &c), 0);
	ck_assert_uint_eq(c.n, 5000);
	store_txn_abort(t);
}
END_TEST

/*
 * Listing a node with 3 children and 100,000 grandchildren visits its 3
 * child records only: the listing is one cursor range over the parent's
 * id, so the callback runs 3 times however big the grandchildren are.
 */
START_TEST(test_list_cost)
{
	struct store_txn	*t;
	struct counter		 c;
	char			 path[64];
	int			 i, j;

	store_close(s);
	s = st_open(dir, (size_t)512 << 20);
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 33334; j++) {
			snprintf(path, sizeof path, "/big/c%d/g%d", i, j);
			ck_assert_int_eq(store_write(t, path, "", 0, 0, NULL),
			    0);
		}
	}
	ck_assert_int_eq(store_txn_commit(t), 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(store_list(t, "/big", count_cb, &c), 0);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.first, "c0");
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(store_list(t, "/big/c1", count_cb, &c), 0);
	ck_assert_uint_eq(c.n, 33334);
	ck_assert_str_eq(c.first, "g0");
	store_txn_abort(t);
}
END_TEST

/* rm of 1000 and of 1536 levels, reported deepest first. */
START_TEST(test_rm_deep)
{
	struct store_txn	*t;
	struct st_events	 ev;
	char			*p;
	unsigned int		 created, removed, i;
	size_t			 depth;

	for (depth = 1000; depth <= 1536; depth += 536) {
		ck_assert_ptr_nonnull(p = malloc(depth * 2 + 1));
		for (i = 0; i < depth; i++) {
			p[2 * i] = '/';
			p[2 * i + 1] = 'd';
		}
		p[depth * 2] = '\0';
		t = st_begin(s, NULL, STORE_TXN_WRITE);
		ck_assert_int_eq(store_write(t, p, "deep", 4, 0, &created), 0);
		ck_assert_uint_eq(created, depth);
		ck_assert_int_eq(store_txn_commit(t), 0);
		ck_assert_uint_eq(st_check(s), 0);

		memset(&ev, 0, sizeof ev);
		t = st_begin(s, NULL, STORE_TXN_WRITE);
		store_txn_observe(t, st_observer, &ev);
		ck_assert_int_eq(store_rm(t, "/d", &removed), 0);
		ck_assert_uint_eq(removed, depth);
		ck_assert_uint_eq(ev.n, depth);
		for (i = 0; i + 1 < depth; i++) {
			ck_assert_int_eq(ev.kind[i], STORE_CHANGE_RM_CHILD);
			ck_assert_uint_eq(strlen(ev.path[i]), (depth - i) * 2);
		}
		ck_assert_int_eq(ev.kind[depth - 1], STORE_CHANGE_RM);
		ck_assert_str_eq(ev.path[depth - 1], "/d");
		ck_assert_int_eq(store_txn_commit(t), 0);
		st_events_free(&ev);
		ck_assert_uint_eq(st_check(s), 0);
		free(p);
	}
}
END_TEST

/* rm of a wide subtree, and usage back where it was. */
START_TEST(test_rm_wide)
{
	struct store_txn	*t;
	struct store_usage	 before, after;
	char			 path[64];
	unsigned int		 removed;
	int			 i;

	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_int_eq(store_owner_usage(t, 0, &before), 0);
	store_txn_abort(t);
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 20000; i++) {
		snprintf(path, sizeof path, "/w/%d/leaf", i);
		ck_assert_int_eq(store_write(t, path, "x", 1, 0, NULL), 0);
	}
	ck_assert_int_eq(store_txn_commit(t), 0);
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_rm(t, "/w", &removed), 0);
	ck_assert_uint_eq(removed, 40001);
	ck_assert_int_eq(store_owner_usage(t, 0, &after), 0);
	ck_assert_uint_eq(after.nodes, before.nodes);
	ck_assert_uint_eq(after.bytes, before.bytes);
	ck_assert_int_eq(store_txn_commit(t), 0);
	ck_assert_uint_eq(st_check(s), 0);
}
END_TEST

/* Files that are not an xsdb database are refused with a sentence. */
START_TEST(test_not_ours)
{
	struct store_config	 cfg;
	struct store		*o;
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_dbi			 dbi;
	MDB_val			 k, v;
	char			 err[256], *d, *file, junk[8192];
	int			 fd;

	memset(&cfg, 0, sizeof cfg);

	/* Garbage where data.mdb should be. */
	d = st_tmpdir();
	ck_assert_int_ge(asprintf(&file, "%s/data.mdb", d), 0);
	ck_assert_int_ge(fd = open(file, O_CREAT | O_WRONLY, 0600), 0);
	memset(junk, 'j', sizeof junk);
	ck_assert_int_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	free(file);
	cfg.dir = d;
	err[0] = '\0';
	ck_assert_int_eq(store_open(&o, &cfg, err, sizeof err), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not an xsdb database"));
	st_rmdir(d);

	/* An LMDB environment holding something else. */
	d = st_tmpdir();
	st_raw_open(d, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	k.mv_data = "hello";
	k.mv_size = 5;
	v.mv_data = "world";
	v.mv_size = 5;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	st_raw_close(env, txn);
	cfg.dir = d;
	err[0] = '\0';
	ck_assert_int_eq(store_open(&o, &cfg, err, sizeof err), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not an xsdb database"));
	st_rmdir(d);

	/* A "meta" table without our magic. */
	d = st_tmpdir();
	st_raw_open(d, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
	k.mv_data = "magic";
	k.mv_size = 5;
	v.mv_data = "lmdb";
	v.mv_size = 4;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	st_raw_close(env, txn);
	cfg.dir = d;
	err[0] = '\0';
	ck_assert_int_eq(store_open(&o, &cfg, err, sizeof err), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "magic"));
	cfg.read_only = true;
	ck_assert_int_eq(store_open(&o, &cfg, err, sizeof err), EINVAL);
	st_rmdir(d);

	/* No directory given. */
	cfg.dir = NULL;
	ck_assert_int_eq(store_open(&o, &cfg, err, sizeof err), EINVAL);
	ck_assert_int_eq(store_open(&o, NULL, NULL, 0), EINVAL);
}
END_TEST

/* Another schema version is EEXIST, with a sentence. */
START_TEST(test_schema_mismatch)
{
	struct store_config	 cfg;
	struct store		*o;
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_dbi			 dbi;
	MDB_val			 k, v;
	uint32_t		 schema = STORE_SCHEMA_VERSION + 1;
	char			 err[256] = "";

	store_close(s);
	s = NULL;
	st_raw_open(dir, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	k.mv_data = "schema";
	k.mv_size = 6;
	v.mv_data = &schema;
	v.mv_size = sizeof schema;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	st_raw_close(env, txn);
	memset(&cfg, 0, sizeof cfg);
	cfg.dir = dir;
	ck_assert_int_eq(store_open(&o, &cfg, err, sizeof err), EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "schema version 2"));
}
END_TEST

/* After a failure that is not ENOENT/EINVAL, every call fails alike. */
START_TEST(test_sticky)
{
	struct store_txn	*t;
	struct store_node	 n;
	static char		 big[100000];
	char			 path[32];
	int			 i, rc = 0;

	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	s = st_open(dir, 1 << 20);
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	for (i = 0; i < 100 && rc == 0; i++) {
		snprintf(path, sizeof path, "/fill/%d", i);
		rc = store_write(t, path, big, sizeof big, 0, NULL);
	}
	ck_assert_int_eq(rc, ENOSPC);
	ck_assert_int_eq(store_txn_error(t), ENOSPC);
	ck_assert_int_eq(store_get(t, "/", &n), ENOSPC);
	ck_assert_int_eq(store_write(t, "/x", "x", 1, 0, NULL), ENOSPC);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 1, "x", 1),
	    ENOSPC);
	ck_assert(!store_exists(t, "/"));
	ck_assert_int_eq(store_txn_commit(t), ENOSPC);
	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert(!store_exists(t, "/fill"));
	store_txn_abort(t);
}
END_TEST

/*
 * A full reader table is EBUSY; slots left by a killed process are
 * cleared and used again.
 */
START_TEST(test_readers_full)
{
	struct store_config	 cfg;
	struct store_txn	*r[5];
	char			 err[256], c;
	int			 up[2], down[2], i, status;
	pid_t			 pid;

	store_close(s);
	st_rmdir(dir);
	dir = st_tmpdir();
	memset(&cfg, 0, sizeof cfg);
	cfg.dir = dir;
	cfg.max_readers = 4;
	ck_assert_int_eq(store_open(&s, &cfg, err, sizeof err), 0);
	for (i = 0; i < 4; i++)
		r[i] = st_begin(s, NULL, i % 2 ? STORE_TXN_XS : STORE_TXN_READ);
	ck_assert_int_eq(store_txn_begin(s, NULL, STORE_TXN_READ, &r[4]),
	    EBUSY);
	ck_assert_int_eq(store_txn_begin(s, NULL, STORE_TXN_XS, &r[4]),
	    EBUSY);
	for (i = 0; i < 4; i++)
		store_txn_abort(r[i]);

	/* A process takes three slots and dies holding them. */
	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct store	*o;

		close(up[0]);
		close(down[1]);
		if (store_open(&o, &cfg, err, sizeof err) != 0)
			_exit(10);
		for (i = 0; i < 3; i++) {
			if (store_txn_begin(o, NULL, STORE_TXN_READ, &r[i]) !=
			    0)
				_exit(11);
		}
		if (write(up[1], "r", 1) != 1)
			_exit(12);
		(void)read(down[0], &c, 1);
		_exit(13);
	}
	close(up[1]);
	close(down[0]);
	ck_assert_int_eq(read(up[0], &c, 1), 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	close(up[0]);
	close(down[1]);
	for (i = 0; i < 4; i++)
		r[i] = st_begin(s, NULL, STORE_TXN_READ);
	for (i = 0; i < 4; i++)
		store_txn_abort(r[i]);
}
END_TEST

/* The suite. */
static Suite *
store_suite(void)
{
	Suite	*su = suite_create("store");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_root);
	tcase_add_test(tc, test_write_ancestors);
	tcase_add_test(tc, test_perms_inherit);
	tcase_add_test(tc, test_perms_settle);
	tcase_add_test(tc, test_generations);
	tcase_add_test(tc, test_list_order);
	tcase_add_test(tc, test_rm_subtree);
	tcase_add_test(tc, test_owner_usage);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_meta);
	tcase_add_test(tc, test_nested_abort);
	tcase_add_test(tc, test_group_one_fails);
	tcase_add_test(tc, test_observer);
	tcase_add_test(tc, test_check_good);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_read_only);
	suite_add_tcase(su, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_long_paths);
	tcase_add_test(tc, test_value_nuls);
	tcase_add_test(tc, test_many_children);
	tcase_add_test(tc, test_list_cost);
	tcase_add_test(tc, test_rm_deep);
	tcase_add_test(tc, test_rm_wide);
	suite_add_tcase(su, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_misuse);
	tcase_add_test(tc, test_sticky);
	tcase_add_test(tc, test_check_broken);
	tcase_add_test(tc, test_check_orphan_child);
	tcase_add_test(tc, test_not_ours);
	tcase_add_test(tc, test_schema_mismatch);
	tcase_add_test(tc, test_readers_full);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{
	return st_main(store_suite());
}

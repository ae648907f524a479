/*
 * store-test.c - helpers shared by the Check suites of db/.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "store-test.h"

/* Names handed to a listing, joined. */
struct st_names {
	char	*s;
	size_t	 len;
};

static int	 st_rm_one(const char *, const struct stat *, int,
		     struct FTW *);
static int	 st_names_cb(void *, const char *, size_t);
static void	 st_report(void *, const char *);

/* A fresh directory for a database. */
char *
st_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*dir;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	ck_assert_int_ne(asprintf(&dir, "%s/xsdb-db-XXXXXX", base), -1);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return (dir);
}

/* Remove one file or directory of a tree. */
static int
st_rm_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	return (remove(path));
}

/* Remove a directory tree and free its name. */
void
st_rmdir(char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, st_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Open a store, failing the test with the store's sentence if it fails. */
struct store *
st_open(const char *dir, size_t map_size)
{
	struct store_config	 cfg;
	struct store		*s;
	char			 err[256] = "";
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = dir;
	cfg.map_size = map_size;
	rc = store_open(&s, &cfg, err, sizeof err);
	ck_assert_msg(rc == 0, "store_open: %s (%s)", strerror(rc), err);
	return (s);
}

/* Begin a transaction. */
struct store_txn *
st_begin(struct store *s, struct store_txn *parent, int flags)
{
	struct store_txn	*t;

	ck_assert_int_eq(store_txn_begin(s, parent, flags, &t), 0);
	ck_assert_ptr_nonnull(t);
	return (t);
}

/* Write a string in a transaction of its own. */
void
st_put(struct store *s, const char *path, const char *value)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_WRITE);

	ck_assert_int_eq(store_write(t, path, value, strlen(value), 0, NULL),
	    0);
	ck_assert_int_eq(store_txn_commit(t), 0);
}

/* A node's value as a string, NULL if absent. */
char *
st_get(struct store_txn *t, const char *path)
{
	struct store_node	 n;
	char			*v;
	int			 rc;

	rc = store_get(t, path, &n);
	if (rc == ENOENT)
		return (NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(v = malloc(n.vlen + 1));
	memcpy(v, n.value, n.vlen);
	v[n.vlen] = '\0';
	return (v);
}

/* Add one name to a joined list. */
static int
st_names_cb(void *arg, const char *name, size_t len)
{
	struct st_names	*l = arg;
	char		*p;

	ck_assert_ptr_nonnull(p = realloc(l->s, l->len + len + 2));
	l->s = p;
	if (l->len != 0)
		l->s[l->len++] = ',';
	memcpy(l->s + l->len, name, len);
	l->len += len;
	l->s[l->len] = '\0';
	return (0);
}

/* The children of a node joined by ','. */
char *
st_list(struct store_txn *t, const char *path)
{
	struct st_names	l = { NULL, 0 };
	int		rc;

	rc = store_list(t, path, st_names_cb, &l);
	if (rc == ENOENT) {
		free(l.s);
		return (NULL);
	}
	ck_assert_int_eq(rc, 0);
	if (l.s == NULL)
		ck_assert_ptr_nonnull(l.s = strdup(""));
	return (l.s);
}

/* Print a finding of store_check. */
static void
st_report(void *arg, const char *finding)
{
	fprintf(stderr, "check: %s\n", finding);
}

/* Run store_check in a read transaction. */
unsigned long
st_check(struct store *s)
{
	struct store_txn	*t = st_begin(s, NULL, STORE_TXN_READ);
	unsigned long		 problems = 99;

	ck_assert_int_eq(store_check(t, st_report, NULL, &problems), 0);
	store_txn_abort(t);
	return (problems);
}

/* Record one change. */
void
st_observer(void *arg, enum store_change kind, const char *path,
    const struct store_change_old *old)
{
	struct st_events	*ev = arg;
	unsigned int		 cap;

	if (ev->n == ev->cap) {
		cap = ev->cap == 0 ? 16 : ev->cap * 2;
		ev->kind = realloc(ev->kind, cap * sizeof *ev->kind);
		ev->path = realloc(ev->path, cap * sizeof *ev->path);
		ev->old = realloc(ev->old, cap * sizeof *ev->old);
		ck_assert(ev->kind != NULL && ev->path != NULL &&
		    ev->old != NULL);
		ev->cap = cap;
	}
	ev->kind[ev->n] = kind;
	ck_assert_ptr_nonnull(ev->path[ev->n] = strdup(path));
	ev->old[ev->n] = old != NULL ? st_old_string(old) : NULL;
	ev->n++;
}

/* Append a permission list as "n1,r2" to s (size bytes). */
static void
st_perms_cat(char *s, size_t size, const struct xs_perm *p, unsigned int n)
{
	char		one[32];
	unsigned int	i;

	for (i = 0; i < n; i++) {
		ck_assert_uint_ne(xs_perm_format(&p[i], one, sizeof one), 0);
		if (i > 0)
			strncat(s, ",", size - strlen(s) - 1);
		strncat(s, one, size - strlen(s) - 1);
	}
}

/* What a change took away, as st_events keeps it (malloc'ed). */
char *
st_old_string(const struct store_change_old *old)
{
	char	s[1024] = "";

	st_perms_cat(s, sizeof s, old->perms, old->nperms);
	if (old->pperms != NULL) {
		strncat(s, "/", sizeof s - strlen(s) - 1);
		st_perms_cat(s, sizeof s, old->pperms, old->npperms);
	}
	return strdup(s);
}

/* Free recorded changes. */
void
st_events_free(struct st_events *ev)
{
	unsigned int	i;

	for (i = 0; i < ev->n; i++) {
		free(ev->path[i]);
		free(ev->old[i]);
	}
	free(ev->path);
	free(ev->old);
	free(ev->kind);
	memset(ev, 0, sizeof *ev);
}

/* Open a database directory with LMDB itself, in a write transaction. */
void
st_raw_open(const char *dir, MDB_env **env, MDB_txn **txn)
{
	ck_assert_int_eq(mdb_env_create(env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(*env, 16), 0);
	ck_assert_int_eq(mdb_env_open(*env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(*env, NULL, 0, txn), 0);
}

/* Commit and close a raw handle. */
void
st_raw_close(MDB_env *env, MDB_txn *txn)
{
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/*
 * A valid path of exactly len bytes starting with prefix (which ends in
 * '/'), made of components of up to 200 times c.
 */
char *
st_make_path(const char *prefix, size_t len, char c)
{
	char	*p;
	size_t	 n, k;

	ck_assert_ptr_nonnull(p = malloc(len + 1));
	n = strlen(prefix);
	ck_assert_uint_le(n, len);
	memcpy(p, prefix, n);
	while (n < len) {
		if (p[n - 1] != '/') {
			p[n++] = '/';
			continue;
		}
		k = len - n < 200 ? len - n : 200;
		if (len - n - k == 1)
			k--;
		memset(p + n, c, k);
		n += k;
	}
	p[n] = '\0';
	ck_assert_uint_eq(strlen(p), len);
	return (p);
}

/* A fresh store per test. */
void
st_fresh(char **dir, struct store **s)
{
	*dir = st_tmpdir();
	*s = st_open(*dir, 0);
}

/* Close and remove it. */
void
st_fresh_done(char **dir, struct store **s)
{
	if (*s != NULL)
		store_close(*s);
	*s = NULL;
	st_rmdir(*dir);
	*dir = NULL;
}

/* Run a suite. */
int
st_main(Suite *su)
{
	SRunner	*sr = srunner_create(su);
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

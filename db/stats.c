/*
 * stats.c - usage per owning domain and figures about the database.
 *
 * Usage lives in the "owners" DBI, kept up to date by every change
 * (node.c); an XS transaction adds the changes it made itself, and so
 * does a write transaction the changes it has not written yet
 * (node-db.c).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* Usage of every owning domain, collected before calling back. */
struct store_owner_list {
	struct {
		uint32_t	 domid;
		int64_t		 nodes;
		int64_t		 bytes;
	}			*v;
	size_t			 n;
	size_t			 cap;
};

/* Counting the live readers of the environment. */
struct store_reader_count {
	uint32_t		 n;
};

static int	 store_owner_add(void *, uint32_t, int64_t, int64_t);
static int	 store_owner_cmp(const void *, const void *);
static int	 store_count_reader(const char *, void *);
static void	 store_usage_apply(struct store_usage *, int64_t, int64_t);

/* Apply a signed change to a usage, never below zero. */
static void
store_usage_apply(struct store_usage *u, int64_t dnodes, int64_t dbytes)
{
	u->nodes = (dnodes < 0 && (uint64_t)-dnodes > u->nodes) ? 0 :
	    u->nodes + (uint64_t)dnodes;
	u->bytes = (dbytes < 0 && (uint64_t)-dbytes > u->bytes) ? 0 :
	    u->bytes + (uint64_t)dbytes;
}

/* Usage of domid as t sees it. */
int
store_owner_usage(struct store_txn *t, uint32_t domid, struct store_usage *u)
{
	int64_t	dnodes, dbytes;
	int	error;

	if (u == NULL)
		return (EINVAL);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	if ((error = store_ndb_usage_get(t->s, t->mt, domid, u)) != 0)
		return (store_txn_fail(t, error));
	if (t->xs != NULL) {
		store_xs_usage_delta(t, domid, &dnodes, &dbytes);
		store_usage_apply(u, dnodes, dbytes);
	} else if (t->nud != 0) {
		store_ndb_usage_pending(t, domid, &dnodes, &dbytes);
		store_usage_apply(u, dnodes, dbytes);
	}
	return (0);
}

/* Add (or merge) one domain's usage into a list. */
static int
store_owner_add(void *arg, uint32_t domid, int64_t nodes, int64_t bytes)
{
	struct store_owner_list	*l = arg;
	size_t			 i, cap;
	void			*p;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].domid == domid) {
			l->v[i].nodes += nodes;
			l->v[i].bytes += bytes;
			return (0);
		}
	}
	if (l->n == l->cap) {
		cap = l->cap == 0 ? 16 : l->cap * 2;
		if ((p = reallocarray(l->v, cap, sizeof *l->v)) == NULL)
			return (ENOMEM);
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n].domid = domid;
	l->v[l->n].nodes = nodes;
	l->v[l->n].bytes = bytes;
	l->n++;
	return (0);
}

/* Order usages by domid. */
static int
store_owner_cmp(const void *a, const void *b)
{
	uint32_t	x, y;

	memcpy(&x, a, sizeof x);
	memcpy(&y, b, sizeof y);
	return (x < y ? -1 : x > y);
}

/*
 * Call fn for each owning domain in domid order. The usages are read
 * first, so fn may do anything with t.
 */
int
store_owner_foreach(struct store_txn *t, store_owner_fn *fn, void *arg)
{
	struct store_owner_list	 l = { NULL, 0, 0 };
	struct store_usage	 u;
	MDB_cursor		*c;
	MDB_val			 k, v;
	size_t			 i;
	int			 rc, error;

	if (fn == NULL)
		return (EINVAL);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	if ((rc = mdb_cursor_open(t->mt, t->s->dbi_owners, &c)) != 0)
		return (store_txn_fail(t, store_mdb_error(t->s, rc,
		    "open cursor")));
	error = 0;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 4 || v.mv_size != 16) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&u.nodes, v.mv_data, 8);
		memcpy(&u.bytes, (const char *)v.mv_data + 8, 8);
		error = store_owner_add(&l, store_get_be32(k.mv_data),
		    (int64_t)u.nodes, (int64_t)u.bytes);
		if (error != 0)
			break;
	}
	mdb_cursor_close(c);
	if (error == 0 && rc != MDB_NOTFOUND)
		error = store_mdb_error(t->s, rc, "read usage");
	if (error == 0 && t->xs != NULL)
		error = store_xs_foreach_usage(t, store_owner_add, &l);
	for (i = 0; error == 0 && i < t->nud; i++)
		error = store_owner_add(&l, t->ud[i].domid, t->ud[i].nodes,
		    t->ud[i].bytes);
	if (error != 0) {
		free(l.v);
		return (store_txn_fail(t, error));
	}
	qsort(l.v, l.n, sizeof *l.v, store_owner_cmp);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].nodes <= 0 && l.v[i].bytes <= 0)
			continue;
		u.nodes = l.v[i].nodes > 0 ? (uint64_t)l.v[i].nodes : 0;
		u.bytes = l.v[i].bytes > 0 ? (uint64_t)l.v[i].bytes : 0;
		if ((error = fn(arg, l.v[i].domid, &u)) != 0)
			break;
	}
	free(l.v);
	return (error);
}

/* Count a line of mdb_reader_list that names a reader (not a heading). */
static int
store_count_reader(const char *msg, void *arg)
{
	struct store_reader_count	*rc = arg;

	while (*msg == ' ')
		msg++;
	if (*msg >= '0' && *msg <= '9')
		rc->n++;
	return (0);
}

/* Figures about the database as t sees it. */
int
store_stats(struct store_txn *t, struct store_stats *st)
{
	struct store			*s;
	struct store_reader_count	 readers = { 0 };
	struct store_usage		 u;
	struct stat			 sb;
	MDB_envinfo			 info;
	MDB_stat			 ms;
	MDB_cursor			*c;
	MDB_val				 k, v;
	int64_t				 dnodes, dbytes;
	size_t				 i;
	int				 rc, error;

	if (st == NULL)
		return (EINVAL);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	s = t->s;
	memset(st, 0, sizeof *st);
	st->generation = t->counter;
	st->schema = STORE_SCHEMA_VERSION;

	if ((rc = mdb_stat(t->mt, s->dbi_nodes, &ms)) != 0)
		goto lmdb;
	st->nodes = ms.ms_entries;
	st->page_size = ms.ms_psize;
	if ((rc = mdb_stat(t->mt, s->dbi_tables[STORE_TABLE_DOMAINS],
	    &ms)) != 0)
		goto lmdb;
	st->domains = ms.ms_entries;
	if ((rc = mdb_stat(t->mt, s->dbi_tables[STORE_TABLE_WATCHES],
	    &ms)) != 0)
		goto lmdb;
	st->watches = ms.ms_entries;

	if ((rc = mdb_cursor_open(t->mt, s->dbi_owners, &c)) != 0)
		goto lmdb;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (v.mv_size != 16)
			continue;
		memcpy(&u.bytes, (const char *)v.mv_data + 8, 8);
		st->bytes += u.bytes;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	if (t->xs != NULL) {
		store_xs_totals(t, &dnodes, &dbytes);
		u.nodes = st->nodes;
		u.bytes = st->bytes;
		store_usage_apply(&u, dnodes, dbytes);
		st->nodes = u.nodes;
		st->bytes = u.bytes;
	}
	for (i = 0; i < t->nud; i++) {
		u.nodes = 0;
		u.bytes = st->bytes;
		store_usage_apply(&u, 0, t->ud[i].bytes);
		st->bytes = u.bytes;
	}

	if ((rc = mdb_env_info(s->env, &info)) != 0)
		goto lmdb;
	st->map_size = info.me_mapsize;
	st->map_used = ((uint64_t)info.me_last_pgno + 1) * st->page_size;
	st->readers_max = info.me_maxreaders;
	mdb_reader_list(s->env, store_count_reader, &readers);
	st->readers_used = readers.n;
	if (stat(s->datafile, &sb) == 0)
		st->file_size = (uint64_t)sb.st_size;
	return (0);

lmdb:
	return (store_txn_fail(t, store_mdb_error(s, rc, "read stats")));
}

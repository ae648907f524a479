/*
 * tables.c - the daemon's own tables and the named meta values.
 *
 * Tables map a 64-bit key (big-endian in LMDB, so that a cursor walks
 * them in numeric order) to opaque bytes. Meta names share the "meta"
 * DBI with the store's own records, behind a "u." prefix so that no name
 * can overwrite "magic", "schema" or "counter".
 *
 * An XS transaction reads tables and meta from its snapshot and cannot
 * change them: they are not part of xenstore transactions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

#define META_PREFIX	"u."
#define META_PREFIX_LEN	2

static int	 store_table_dbi(struct store_txn *, enum store_table,
		     MDB_dbi *);
static int	 store_copy_out(struct store_txn *, const MDB_val *,
		     const void **, size_t *);
static int	 store_meta_key(const char *, unsigned char *, MDB_val *);

/* The DBI of a table, or EINVAL for a table that does not exist. */
static int
store_table_dbi(struct store_txn *t, enum store_table tbl, MDB_dbi *dbi)
{
	if ((int)tbl < 0 || tbl >= STORE_TABLE_COUNT)
		return (EINVAL);
	*dbi = t->s->dbi_tables[tbl];
	return (0);
}

/*
 * Copy a value read from LMDB into the transaction's out buffer, which
 * lives until the next call: a snapshot must not hold pointers into the
 * map, which may move (store.c).
 */
static int
store_copy_out(struct store_txn *t, const MDB_val *v, const void **val,
    size_t *len)
{
	int	error;

	if ((error = store_buf_reserve(&t->out, v->mv_size + 1)) != 0)
		return (error);
	if (v->mv_size != 0)
		memcpy(t->out.data, v->mv_data, v->mv_size);
	t->out.data[v->mv_size] = '\0';
	*val = t->out.data;
	*len = v->mv_size;
	return (0);
}

/* Store a record. */
int
store_table_put(struct store_txn *t, enum store_table tbl, uint64_t key,
    const void *val, size_t len)
{
	unsigned char	kbuf[8];
	MDB_dbi		dbi;
	MDB_val		k, v;
	int		rc, error;

	if ((error = store_table_dbi(t, tbl, &dbi)) != 0)
		return (error);
	if (len > STORE_VALUE_MAX)
		return (E2BIG);
	if (val == NULL && len != 0)
		return (EINVAL);
	if ((error = store_txn_usable(t, true)) != 0)
		return (error);
	if (t->kind != STORE_TXN_WRITE)
		return (EINVAL);
	store_put_be64(kbuf, key);
	k.mv_data = kbuf;
	k.mv_size = sizeof kbuf;
	v.mv_data = (void *)(val != NULL ? val : "");
	v.mv_size = len;
	t->changes++;
	rc = mdb_put(t->mt, dbi, &k, &v, 0);
	return (store_txn_fail(t, store_mdb_error(t->s, rc, "write table")));
}

/* Read a record. */
int
store_table_get(struct store_txn *t, enum store_table tbl, uint64_t key,
    const void **val, size_t *len)
{
	unsigned char	kbuf[8];
	MDB_dbi		dbi;
	MDB_val		k, v;
	int		rc, error;

	if ((error = store_table_dbi(t, tbl, &dbi)) != 0)
		return (error);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	store_put_be64(kbuf, key);
	k.mv_data = kbuf;
	k.mv_size = sizeof kbuf;
	rc = mdb_get(t->mt, dbi, &k, &v);
	if (rc != 0)
		return (store_txn_fail(t, store_mdb_error(t->s, rc,
		    "read table")));
	return (store_txn_fail(t, store_copy_out(t, &v, val, len)));
}

/* Delete a record. */
int
store_table_del(struct store_txn *t, enum store_table tbl, uint64_t key)
{
	unsigned char	kbuf[8];
	MDB_dbi		dbi;
	MDB_val		k;
	int		rc, error;

	if ((error = store_table_dbi(t, tbl, &dbi)) != 0)
		return (error);
	if ((error = store_txn_usable(t, true)) != 0)
		return (error);
	if (t->kind != STORE_TXN_WRITE)
		return (EINVAL);
	store_put_be64(kbuf, key);
	k.mv_data = kbuf;
	k.mv_size = sizeof kbuf;
	t->changes++;
	rc = mdb_del(t->mt, dbi, &k, NULL);
	return (store_txn_fail(t, store_mdb_error(t->s, rc, "delete table")));
}

/*
 * Call fn for each record in key order. Each value is copied before fn
 * runs; the cursor is placed again after each call, since fn may change
 * the table through t or end a write transaction that moves the map.
 */
int
store_table_foreach(struct store_txn *t, enum store_table tbl,
    store_record_fn *fn, void *arg)
{
	unsigned char	 kbuf[8];
	MDB_cursor	*c;
	MDB_dbi		 dbi;
	MDB_val		 k, v;
	const void	*val;
	size_t		 len;
	uint64_t	 key;
	int		 rc, error;
	MDB_cursor_op	 op = MDB_FIRST;

	if ((error = store_table_dbi(t, tbl, &dbi)) != 0 || fn == NULL)
		return (EINVAL);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	for (;;) {
		if ((rc = mdb_cursor_open(t->mt, dbi, &c)) != 0)
			return (store_txn_fail(t, store_mdb_error(t->s, rc,
			    "open cursor")));
		if (op == MDB_SET_RANGE) {
			k.mv_data = kbuf;
			k.mv_size = sizeof kbuf;
		}
		error = 0;
		rc = mdb_cursor_get(c, &k, &v, op);
		if (rc == 0 && k.mv_size != sizeof kbuf) {
			fprintf(stderr, "xsdb: store: a table key is "
			    "damaged\n");
			rc = MDB_CORRUPTED;
		}
		if (rc == 0) {
			key = store_get_be64(k.mv_data);
			error = store_copy_out(t, &v, &val, &len);
		}
		mdb_cursor_close(c);
		if (rc == MDB_NOTFOUND)
			return (0);
		if (rc != 0)
			return (store_txn_fail(t, store_mdb_error(t->s, rc,
			    "read table")));
		if (error != 0)
			return (store_txn_fail(t, error));
		if ((error = fn(arg, key, val, len)) != 0)
			return (error);
		if (key == UINT64_MAX)
			return (0);
		store_put_be64(kbuf, key + 1);
		op = MDB_SET_RANGE;
	}
}

/* Build the LMDB key of a meta name. Returns 0 or EINVAL. */
static int
store_meta_key(const char *name, unsigned char *buf, MDB_val *key)
{
	size_t	len;

	if (name == NULL || (len = strlen(name)) == 0 ||
	    len > STORE_META_NAME_MAX)
		return (EINVAL);
	memcpy(buf, META_PREFIX, META_PREFIX_LEN);
	memcpy(buf + META_PREFIX_LEN, name, len);
	key->mv_data = buf;
	key->mv_size = META_PREFIX_LEN + len;
	return (0);
}

/* Store a named value. */
int
store_meta_put(struct store_txn *t, const char *name, const void *val,
    size_t len)
{
	unsigned char	kbuf[META_PREFIX_LEN + STORE_META_NAME_MAX];
	MDB_val		k, v;
	int		rc, error;

	if ((error = store_meta_key(name, kbuf, &k)) != 0)
		return (error);
	if (len > STORE_VALUE_MAX)
		return (E2BIG);
	if (val == NULL && len != 0)
		return (EINVAL);
	if ((error = store_txn_usable(t, true)) != 0)
		return (error);
	if (t->kind != STORE_TXN_WRITE)
		return (EINVAL);
	v.mv_data = (void *)(val != NULL ? val : "");
	v.mv_size = len;
	t->changes++;
	rc = mdb_put(t->mt, t->s->dbi_meta, &k, &v, 0);
	return (store_txn_fail(t, store_mdb_error(t->s, rc, "write meta")));
}

/* Read a named value. */
int
store_meta_get(struct store_txn *t, const char *name, const void **val,
    size_t *len)
{
	unsigned char	kbuf[META_PREFIX_LEN + STORE_META_NAME_MAX];
	MDB_val		k, v;
	int		rc, error;

	if ((error = store_meta_key(name, kbuf, &k)) != 0)
		return (error);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	rc = mdb_get(t->mt, t->s->dbi_meta, &k, &v);
	if (rc != 0)
		return (store_txn_fail(t, store_mdb_error(t->s, rc,
		    "read meta")));
	return (store_txn_fail(t, store_copy_out(t, &v, val, len)));
}

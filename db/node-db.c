/*
 * node-db.c - nodes, child records and owner usage in LMDB.
 *
 * These are the primitives node.c builds the tree operations from when a
 * transaction works on LMDB directly (READ and WRITE), and that an XS
 * transaction reads its snapshot with. A node found here points into
 * LMDB's memory for its value: valid until the next change in the same
 * transaction, so callers encode or copy before they write again.
 *
 * Child lists in memory. Listing a node walks one cursor over its child
 * records, some hundred instructions of LMDB per child, for nodes that
 * clients list again and again (a backend directory, /local/domain).
 * store_ndb_list keeps the names of recently listed nodes (struct
 * store_dir, STORE_DIR_CACHE slots by node id) and lists from there when
 * it can. That is sound because of how generations are given: every
 * change to a node's list of children sets its cgen to the next value of
 * the counter, and once committed that value is never given again, so a
 * committed pair (id, cgen) names one list of children for ever, in any
 * snapshot of any process. Only snapshots (READ and XS transactions),
 * which see nothing but committed nodes, keep lists and list from
 * memory: a write transaction's own values can be rolled back (a nested
 * transaction that aborts) and given again to another change.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* A listing from LMDB that keeps the names it passes on. */
struct store_ndb_fill {
	store_ndb_name_fn	*fn;
	void			*arg;
	char			*buf;
	size_t			 len;
	size_t			 cap;
};

static int	 store_ndb_long_find(struct store_txn *, MDB_txn *,
		     const char *, size_t, struct store_nrec *, bool,
		     uint16_t *);
static int	 store_ndb_fill_child(void *, uint64_t, const char *, size_t);
static int	 store_ndb_usage_write(struct store_txn *, uint32_t, int64_t,
		     int64_t);

/*
 * Find a long-key node: walk the keys that share prefix and hash, and
 * compare the full path each record carries. With want_free, find the
 * lowest unused collision sequence instead (*seq); the path must then be
 * absent. Returns 0, ENOENT, ENOSPC (no sequence left), EIO.
 */
static int
store_ndb_long_find(struct store_txn *t, MDB_txn *mt, const char *path,
    size_t plen, struct store_nrec *nr, bool want_free, uint16_t *seq)
{
	struct store	*s = t->s;
	unsigned char	 base[STORE_KEY_MAX];
	MDB_cursor	*c;
	MDB_val		 key, val;
	const unsigned char *kb;
	const char	*rpath;
	size_t		 rlen;
	uint32_t	 expect = 0, kseq;
	int		 rc, error = ENOENT;

	store_key_make(s, path, plen, 0, base);
	if ((rc = mdb_cursor_open(mt, s->dbi_nodes, &c)) != 0)
		return (store_mdb_error(s, rc, "open cursor"));
	key.mv_data = base;
	key.mv_size = STORE_KEY_MAX;
	rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size != STORE_KEY_MAX ||
		    memcmp(key.mv_data, base, STORE_KEY_MAX - 2) != 0)
			break;
		kb = key.mv_data;
		kseq = (uint32_t)kb[STORE_KEY_MAX - 2] << 8 |
		    kb[STORE_KEY_MAX - 1];
		if (want_free) {
			if (kseq != expect)
				break;
			expect++;
			continue;
		}
		error = store_rec_decode(&val, nr, &rpath, &rlen);
		if (error == EBADMSG) {
			fprintf(stderr, "xsdb: store: undecodable record "
			    "for a long path\n");
			error = EIO;
		}
		if (error != 0)
			goto out;
		error = ENOENT;
		if (rlen == plen && memcmp(rpath, path, plen) == 0) {
			nr->seq = kseq;
			error = 0;
			goto out;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		error = store_mdb_error(s, rc, "find long path");
		goto out;
	}
	if (want_free) {
		if (expect > UINT16_MAX)
			error = ENOSPC;
		else {
			*seq = expect;
			error = 0;
		}
	}
out:
	mdb_cursor_close(c);
	return (error);
}

/*
 * Find a node in mt. A path looked up again (a request reads a node, then
 * writes it; a new node is looked for, then created) takes the answer of
 * one of the last lookups (t->memo) if nothing was written through t and
 * the map did not move since: LMDB's data stays where it was until then.
 * Returns 0, ENOENT, ENOMEM, EIO.
 */
int
store_ndb_find(struct store_txn *t, MDB_txn *mt, const char *path,
    size_t plen, struct store_nrec *nr)
{
	struct store		*s = t->s;
	struct store_memo	*m = NULL;
	MDB_val			 key, val;
	const char		*rpath;
	size_t			 rlen, i;
	int			 rc, error;

	if (store_key_is_long(s, plen))
		return (store_ndb_long_find(t, mt, path, plen, nr, false,
		    NULL));
	for (i = 0; mt == t->mt && i < STORE_MEMO; i++) {
		/* Paths that differ mostly differ in their last byte. */
		if (t->memo[i].klen == plen &&
		    t->memo[i].key[plen - 1] == (unsigned char)path[plen - 1] &&
		    t->memo[i].changes == t->changes &&
		    t->memo[i].epoch == s->epoch &&
		    memcmp(t->memo[i].key, path, plen - 1) == 0) {
			m = &t->memo[i];
			break;
		}
	}
	if (m != NULL)
		val = m->val;
	else {
		key.mv_data = (void *)path;
		key.mv_size = plen;
		rc = mdb_get(mt, s->dbi_nodes, &key, &val);
		if (rc == MDB_NOTFOUND)
			val.mv_data = NULL;
		else if (rc != 0)
			return (store_mdb_error(s, rc, "read node"));
		if (mt == t->mt) {
			m = &t->memo[t->memo_next];
			t->memo_next = (t->memo_next + 1) % STORE_MEMO;
			memcpy(m->key, path, plen);
			m->klen = plen;
			m->val = val;
			m->changes = t->changes;
			m->epoch = s->epoch;
		}
	}
	if (val.mv_data == NULL)
		return (ENOENT);
	error = store_rec_decode(&val, nr, &rpath, &rlen);
	if (error == 0 && rpath != NULL)
		error = EBADMSG;
	if (error == EBADMSG) {
		fprintf(stderr, "xsdb: store: undecodable record for "
		    "%.*s\n", (int)plen, path);
		return (EIO);
	}
	nr->seq = 0;
	return (error);
}

/*
 * Write a node's record; create picks the key of a new node (a long path
 * gets the lowest free collision sequence, saved in nr->seq).
 * Returns 0, ENOSPC, ENOMEM, EIO.
 */
int
store_ndb_put(struct store_txn *t, const char *path, size_t plen,
    struct store_nrec *nr, bool create)
{
	struct store	*s = t->s;
	unsigned char	 kbuf[STORE_KEY_MAX];
	MDB_val		 key, val;
	bool		 longkey = store_key_is_long(s, plen);
	uint16_t	 seq;
	int		 rc, error;

	if (longkey && create) {
		error = store_ndb_long_find(t, t->mt, path, plen, NULL, true,
		    &seq);
		if (error != 0)
			return (error);
		nr->seq = seq;
	}
	key.mv_data = kbuf;
	key.mv_size = store_key_make(s, path, plen, nr->seq, kbuf);
	if ((error = store_rec_encode(&t->enc, nr, path, plen, longkey,
	    &val)) != 0)
		return (error);
	t->changes++;
	rc = mdb_put(t->mt, s->dbi_nodes, &key, &val, 0);
	return (store_mdb_error(s, rc, "write node"));
}

/* Delete a node's record. Returns 0, ENOENT, ENOSPC, EIO. */
int
store_ndb_del(struct store_txn *t, const char *path, size_t plen,
    uint16_t seq)
{
	unsigned char	kbuf[STORE_KEY_MAX];
	MDB_val		key;
	int		rc;

	key.mv_data = kbuf;
	key.mv_size = store_key_make(t->s, path, plen, seq, kbuf);
	t->changes++;
	rc = mdb_del(t->mt, t->s->dbi_nodes, &key, NULL);
	return (store_mdb_error(t->s, rc, "delete node"));
}

/* Add the child record (pid, cid) -> name. */
int
store_ndb_child_put(struct store_txn *t, uint64_t pid, uint64_t cid,
    const char *name, size_t len)
{
	unsigned char	kbuf[16];
	MDB_val		key, val;
	int		rc;

	store_put_be64(kbuf, pid);
	store_put_be64(kbuf + 8, cid);
	key.mv_data = kbuf;
	key.mv_size = sizeof kbuf;
	val.mv_data = (void *)name;
	val.mv_size = len;
	t->changes++;
	rc = mdb_put(t->mt, t->s->dbi_children, &key, &val, 0);
	return (store_mdb_error(t->s, rc, "write child"));
}

/* Delete the child record (pid, cid). */
int
store_ndb_child_del(struct store_txn *t, uint64_t pid, uint64_t cid)
{
	unsigned char	kbuf[16];
	MDB_val		key;
	int		rc;

	store_put_be64(kbuf, pid);
	store_put_be64(kbuf + 8, cid);
	key.mv_data = kbuf;
	key.mv_size = sizeof kbuf;
	t->changes++;
	rc = mdb_del(t->mt, t->s->dbi_children, &key, NULL);
	return (store_mdb_error(t->s, rc, "delete child"));
}

/* Usage of one domain in mt; zero if it owns nothing. */
int
store_ndb_usage_get(struct store *s, MDB_txn *mt, uint32_t domid,
    struct store_usage *u)
{
	unsigned char	kbuf[4];
	MDB_val		key, val;
	int		rc;

	store_put_be32(kbuf, domid);
	key.mv_data = kbuf;
	key.mv_size = sizeof kbuf;
	rc = mdb_get(mt, s->dbi_owners, &key, &val);
	if (rc == MDB_NOTFOUND) {
		u->nodes = u->bytes = 0;
		return (0);
	}
	if (rc != 0)
		return (store_mdb_error(s, rc, "read usage"));
	if (val.mv_size != 16) {
		fprintf(stderr, "xsdb: store: usage of domain %u is "
		    "damaged\n", domid);
		return (EIO);
	}
	memcpy(&u->nodes, val.mv_data, 8);
	memcpy(&u->bytes, (const char *)val.mv_data + 8, 8);
	return (0);
}

/*
 * Add to a domain's usage. The change is kept in t (t->ud) and written
 * with the others of the same domain by store_ndb_usage_flush, which
 * store.c calls before t commits or a nested transaction begins in it:
 * a group of requests that create nodes of one domain writes its usage
 * record once. store_owner_usage adds what is kept; the readers of the
 * whole table flush first. Returns 0 or ENOMEM.
 */
int
store_ndb_usage_add(struct store_txn *t, uint32_t domid, int64_t dnodes,
    int64_t dbytes)
{
	struct store_udelta	*d;
	size_t			 i, cap;

	if (dnodes == 0 && dbytes == 0)
		return (0);
	for (i = 0; i < t->nud; i++) {
		if (t->ud[i].domid == domid) {
			t->ud[i].nodes += dnodes;
			t->ud[i].bytes += dbytes;
			return (0);
		}
	}
	if (t->nud == t->udcap) {
		cap = t->udcap == 0 ? 8 : t->udcap * 2;
		if ((d = reallocarray(t->ud, cap, sizeof *d)) == NULL)
			return (ENOMEM);
		t->ud = d;
		t->udcap = cap;
	}
	d = &t->ud[t->nud++];
	d->domid = domid;
	d->nodes = dnodes;
	d->bytes = dbytes;
	return (0);
}

/* The usage change of domid kept in t, not written yet. */
void
store_ndb_usage_pending(const struct store_txn *t, uint32_t domid,
    int64_t *dnodes, int64_t *dbytes)
{
	size_t	i;

	*dnodes = *dbytes = 0;
	for (i = 0; i < t->nud; i++) {
		if (t->ud[i].domid == domid) {
			*dnodes = t->ud[i].nodes;
			*dbytes = t->ud[i].bytes;
			return;
		}
	}
}

/*
 * Write the usage changes kept in t to "owners"; a domain left owning
 * nothing loses its record. Usage never goes below zero. Returns 0,
 * ENOSPC, EIO.
 */
int
store_ndb_usage_flush(struct store_txn *t)
{
	size_t	i;
	int	error;

	for (i = 0; i < t->nud; i++) {
		error = store_ndb_usage_write(t, t->ud[i].domid,
		    t->ud[i].nodes, t->ud[i].bytes);
		if (error != 0)
			return (error);
	}
	t->nud = 0;
	return (0);
}

/* Add to a domain's usage record. */
static int
store_ndb_usage_write(struct store_txn *t, uint32_t domid, int64_t dnodes,
    int64_t dbytes)
{
	struct store		*s = t->s;
	struct store_usage	 u;
	unsigned char		 kbuf[4], vbuf[16];
	MDB_val			 key, val;
	int			 rc, error;

	if (dnodes == 0 && dbytes == 0)
		return (0);
	if ((error = store_ndb_usage_get(s, t->mt, domid, &u)) != 0)
		return (error);
	u.nodes = (dnodes < 0 && (uint64_t)-dnodes > u.nodes) ? 0 :
	    u.nodes + (uint64_t)dnodes;
	u.bytes = (dbytes < 0 && (uint64_t)-dbytes > u.bytes) ? 0 :
	    u.bytes + (uint64_t)dbytes;
	store_put_be32(kbuf, domid);
	key.mv_data = kbuf;
	key.mv_size = sizeof kbuf;
	t->changes++;
	if (u.nodes == 0 && u.bytes == 0) {
		rc = mdb_del(t->mt, s->dbi_owners, &key, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		return (store_mdb_error(s, rc, "write usage"));
	}
	memcpy(vbuf, &u.nodes, 8);
	memcpy(vbuf + 8, &u.bytes, 8);
	val.mv_data = vbuf;
	val.mv_size = sizeof vbuf;
	rc = mdb_put(t->mt, s->dbi_owners, &key, &val, 0);
	return (store_mdb_error(s, rc, "write usage"));
}

/*
 * Call fn with each child (id, name) of the node with id pid in creation
 * order: one cursor range, O(children). The name is copied first, and if
 * the map moved while fn ran (it may end a write transaction) the cursor
 * is placed again after the last child seen.
 * Returns 0, fn's value, ENOMEM, EIO.
 */
int
store_ndb_children(struct store_txn *t, MDB_txn *mt, uint64_t pid,
    store_ndb_child_fn *fn, void *arg)
{
	struct store	*s = t->s;
	unsigned char	 kbuf[16];
	char		 name[XS_ABS_PATH_MAX + 1];
	MDB_cursor	*c;
	MDB_val		 key, val;
	uint64_t	 cid, epoch;
	size_t		 len;
	int		 rc, ret = 0;

	if ((rc = mdb_cursor_open(mt, s->dbi_children, &c)) != 0)
		return (store_mdb_error(s, rc, "open cursor"));
	store_put_be64(kbuf, pid);
	store_put_be64(kbuf + 8, 0);
	key.mv_data = kbuf;
	key.mv_size = sizeof kbuf;
	rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	while (rc == 0) {
		if (key.mv_size != 16 || store_get_be64(key.mv_data) != pid)
			break;
		cid = store_get_be64((const unsigned char *)key.mv_data + 8);
		len = val.mv_size;
		if (len == 0 || len > XS_ABS_PATH_MAX) {
			fprintf(stderr, "xsdb: store: child record with a "
			    "bad name under node %llu\n",
			    (unsigned long long)pid);
			ret = EIO;
			break;
		}
		memcpy(name, val.mv_data, len);
		name[len] = '\0';
		epoch = s->epoch;
		if ((ret = fn(arg, cid, name, len)) != 0)
			break;
		if (s->epoch == epoch) {
			rc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
			continue;
		}
		mdb_cursor_close(c);
		if (cid == UINT64_MAX)
			return (0);
		if ((rc = mdb_cursor_open(mt, s->dbi_children, &c)) != 0)
			return (store_mdb_error(s, rc, "open cursor"));
		store_put_be64(kbuf, pid);
		store_put_be64(kbuf + 8, cid + 1);
		key.mv_data = kbuf;
		key.mv_size = sizeof kbuf;
		rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	}
	if (ret == 0 && rc != 0 && rc != MDB_NOTFOUND)
		ret = store_mdb_error(s, rc, "list children");
	mdb_cursor_close(c);
	return (ret);
}

/* A child listed from LMDB: keep its name if it fits, pass it on. */
static int
store_ndb_fill_child(void *arg, uint64_t cid, const char *name, size_t len)
{
	struct store_ndb_fill	*f = arg;

	if (f->buf != NULL && f->len + len + 1 <= f->cap) {
		memcpy(f->buf + f->len, name, len);
		f->buf[f->len + len] = '\0';
	}
	f->len += len + 1;
	return (f->fn(f->arg, name, len));
}

/*
 * Call fn with each child name of node nr in creation order. A snapshot
 * lists from memory if the list is kept there, else from LMDB, keeping
 * it if it is not too long (see the top of the file). fn may read
 * through t, and list other nodes. Names are not nul-terminated.
 * Returns 0, fn's value, ENOMEM, EIO.
 */
int
store_ndb_list(struct store_txn *t, MDB_txn *mt,
    const struct store_nrec *nr, store_ndb_name_fn *fn, void *arg)
{
	struct store		*s = t->s;
	struct store_dir	*d = &s->dirs[nr->id % STORE_DIR_CACHE];
	struct store_ndb_fill	 f;
	uint64_t		 id = nr->id, cgen = nr->cgen;
	const char		*p, *end;
	size_t			 len;
	int			 ret = 0;

	memset(&f, 0, sizeof f);
	f.fn = fn;
	f.arg = arg;

	if (t->kind == STORE_TXN_WRITE)
		return (store_ndb_children(t, mt, id, store_ndb_fill_child,
		    &f));
	if (d->names != NULL && d->id == id && d->cgen == cgen) {
		d->pins++;
		for (p = d->names, end = p + d->len; p < end; p += len + 1) {
			len = strlen(p);
			if ((ret = fn(arg, p, len)) != 0)
				break;
		}
		d->pins--;
		return (ret);
	}

	if (nr->childbytes != 0 && nr->childbytes <= STORE_DIR_CACHE_MAX) {
		f.cap = nr->childbytes;
		f.buf = malloc(f.cap);
	}
	ret = store_ndb_children(t, mt, id, store_ndb_fill_child, &f);
	/* A list cut short, or that disagrees with childbytes, is not kept. */
	if (ret == 0 && f.buf != NULL && f.len == f.cap && d->pins == 0) {
		free(d->names);
		d->id = id;
		d->cgen = cgen;
		d->names = f.buf;
		d->len = (uint32_t)f.len;
		f.buf = NULL;
	}
	free(f.buf);
	return (ret);
}

/* Free the child lists kept in memory. */
void
store_ndb_dirs_free(struct store *s)
{
	size_t	i;

	for (i = 0; i < STORE_DIR_CACHE; i++) {
		free(s->dirs[i].names);
		s->dirs[i].names = NULL;
	}
}

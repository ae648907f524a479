/*
 * node-xs.c - xenstore transactions: a read snapshot plus a write set.
 *
 * An XS transaction reads an LMDB snapshot and keeps its own changes in
 * memory, one entry per path it touched:
 *
 * - the write set: the node as the transaction sees it (or "absent"),
 *   and whether it is "fresh", created by the transaction and so not the
 *   node of the same path in the snapshot, whose children it does not
 *   have; each parent keeps its fresh children in creation order, and a
 *   listing shows the snapshot's children that are neither removed nor
 *   replaced, then the fresh ones: the order the store will have once
 *   the transaction is applied, since applied creations get new ids;
 *
 * - the read set: what the snapshot held for that path (absent, or its
 *   id, gen and cgen) and which of these the transaction depended on
 *   (STORE_WANT_*: existence, gen, cgen). A node that was there must
 *   still be the same node (its id): one removed and created again is a
 *   change even to a transaction that only asked whether it existed. A
 *   node that was absent must still be absent; if it came and went in
 *   between, nothing tells, and nothing needs to: every answer the
 *   transaction had is still the answer the store gives.
 *
 * Applying (TRANSACTION_END) compares the read set with the write
 * transaction w, which holds everything committed since:
 *
 *   T1 reads /a (gen 5) and writes /b. T2 commits a write of /a (gen 9).
 *   T1's read set says /a gen 5; w has gen 9: EAGAIN.
 *
 *   T1 reads /a and writes /b; T2 commits a write of /c. /a is still
 *   gen 5: T1's writes are replayed into w.
 *
 *   T1 lists /p (cgen 7) and writes /x. T2 commits the creation of
 *   /p/new: /p's cgen is now that of the creation: EAGAIN, T1's listing
 *   would have shown /p/new.
 *
 *   T1 creates /p/a, T2 creates /p/b. Each depends on /p's gen (the
 *   permissions the new node copies) and on the absence of its own new
 *   node, not on /p's list of children: both apply.
 *
 * Replay runs the logged operations again through node.c on w, so w's
 * observer hears of every change and ids and generations come from the
 * store's counter. A transaction that changed nothing applies without a
 * check: all it read came from one consistent snapshot.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* Write-set state of an entry. */
#define XO_SET		0x1	/* the transaction has its own view */
#define XO_ABSENT	0x2	/* ... which is "removed" */
#define XO_FRESH	0x4	/* ... of a node it created */

/* One path the transaction touched. */
struct store_xent {
	struct store_xent	*hnext;		/* hash chain */
	struct store_xent	*lnext;		/* all entries, in order */
	uint64_t		 hash;
	size_t			 plen;

	/* Read set. */
	uint8_t			 want;		/* STORE_WANT_* */
	bool			 seen;		/* snapshot state known */
	bool			 sabsent;
	uint64_t		 sid;
	uint64_t		 sgen;
	uint64_t		 scgen;

	/* Write set. */
	uint8_t			 oflags;	/* XO_* */
	uint64_t		 id;
	uint64_t		 gen;
	uint64_t		 cgen;
	uint32_t		 nchildren;
	uint32_t		 childbytes;
	uint32_t		 nperms;
	uint32_t		 vlen;
	struct xs_perm		*perms;
	unsigned char		*value;
	struct store_xent	**added;	/* fresh children */
	size_t			 nadded;
	size_t			 acap;

	char			 path[];	/* plen bytes and a NUL */
};

/* One logged change, for replay. */
struct store_xop {
	int			 op;		/* STORE_OP_* */
	char			*path;
	void			*value;
	uint32_t		 vlen;
	uint32_t		 owner;
	struct xs_perm		*perms;
	unsigned int		 nperms;
};

/* Usage change of one domain. */
struct store_xusage {
	uint32_t		 domid;
	int64_t			 nodes;
	int64_t			 bytes;
};

/* The state of an XS transaction. */
struct store_xs {
	struct store_xent	**tab;
	size_t			 tabsize;	/* a power of two */
	size_t			 count;
	struct store_xent	*head;
	struct store_xent	**tailp;

	struct store_xop	*ops;
	size_t			 nops;
	size_t			 opcap;

	struct store_xusage	*usage;
	size_t			 nusage;
	int64_t			 nodes;
	int64_t			 bytes;
};

/* A listing of snapshot children in progress. */
struct store_xlist {
	struct store_txn	*t;
	const char		*path;
	size_t			 plen;
	struct store_buf	 buf;
	store_xs_child_fn	*fn;
	void			*arg;
};

static struct store_xent *store_xs_lookup(struct store_xs *, const char *,
			     size_t);
static struct store_xent *store_xs_insert(struct store_xs *, const char *,
			     size_t);
static struct store_xent *store_xs_entry(struct store_xs *, const char *,
			     size_t);
static int		 store_xs_set(struct store_xent *,
			     const struct store_nrec *);
static void		 store_xs_clear(struct store_xent *);
static int		 store_xs_snap_child(void *, const char *, size_t);

/* The entry of a path, or NULL. */
static struct store_xent *
store_xs_lookup(struct store_xs *xs, const char *path, size_t plen)
{
	struct store_xent	*e;
	uint64_t		 h = store_fnv(path, plen);

	for (e = xs->tab[h & (xs->tabsize - 1)]; e != NULL; e = e->hnext) {
		if (e->hash == h && e->plen == plen &&
		    memcmp(e->path, path, plen) == 0)
			return (e);
	}
	return (NULL);
}

/* Add an entry for a path that has none. Returns NULL without memory. */
static struct store_xent *
store_xs_insert(struct store_xs *xs, const char *path, size_t plen)
{
	struct store_xent	*e, **tab, *next;
	size_t			 i, size;

	if (xs->count >= xs->tabsize) {
		size = xs->tabsize * 2;
		if ((tab = calloc(size, sizeof *tab)) != NULL) {
			for (i = 0; i < xs->tabsize; i++) {
				for (e = xs->tab[i]; e != NULL; e = next) {
					next = e->hnext;
					e->hnext = tab[e->hash & (size - 1)];
					tab[e->hash & (size - 1)] = e;
				}
			}
			free(xs->tab);
			xs->tab = tab;
			xs->tabsize = size;
		}
	}
	if ((e = calloc(1, sizeof *e + plen + 1)) == NULL)
		return (NULL);
	memcpy(e->path, path, plen);
	e->path[plen] = '\0';
	e->plen = plen;
	e->hash = store_fnv(path, plen);
	e->hnext = xs->tab[e->hash & (xs->tabsize - 1)];
	xs->tab[e->hash & (xs->tabsize - 1)] = e;
	*xs->tailp = e;
	xs->tailp = &e->lnext;
	xs->count++;
	return (e);
}

/* The entry of a path, made if missing. */
static struct store_xent *
store_xs_entry(struct store_xs *xs, const char *path, size_t plen)
{
	struct store_xent	*e;

	if ((e = store_xs_lookup(xs, path, plen)) != NULL)
		return (e);
	return (store_xs_insert(xs, path, plen));
}

/*
 * Make n the entry's own view of its node. n may point at the entry's
 * own permissions and value (it was found here).
 */
static int
store_xs_set(struct store_xent *e, const struct store_nrec *n)
{
	struct xs_perm	*perms = e->perms;
	unsigned char	*value = e->value;

	if (n->perms != e->perms || n->nperms != e->nperms) {
		perms = reallocarray(NULL, n->nperms, sizeof *perms);
		if (perms == NULL)
			return (ENOMEM);
		memcpy(perms, n->perms, n->nperms * sizeof *perms);
	}
	if (n->value != e->value || n->vlen != e->vlen) {
		if ((value = malloc(n->vlen + 1)) == NULL) {
			if (perms != e->perms)
				free(perms);
			return (ENOMEM);
		}
		if (n->vlen != 0)
			memcpy(value, n->value, n->vlen);
		value[n->vlen] = '\0';
	}
	if (perms != e->perms)
		free(e->perms);
	if (value != e->value)
		free(e->value);
	e->perms = perms;
	e->value = value;
	e->nperms = n->nperms;
	e->vlen = n->vlen;
	e->id = n->id;
	e->gen = n->gen;
	e->cgen = n->cgen;
	e->nchildren = n->nchildren;
	e->childbytes = n->childbytes;
	e->oflags = (e->oflags | XO_SET) & ~XO_ABSENT;
	return (0);
}

/* Drop an entry's own view of its node. */
static void
store_xs_clear(struct store_xent *e)
{
	free(e->perms);
	free(e->value);
	e->perms = NULL;
	e->value = NULL;
	e->nperms = e->vlen = 0;
	e->nadded = 0;
}

/* Set up the write set of a new XS transaction. */
int
store_xs_new(struct store_txn *t)
{
	struct store_xs	*xs;

	if (t->s->nxs_cache > 0) {
		/* Emptied by store_xs_free, its table and log kept. */
		t->xs = t->s->xs_cache[--t->s->nxs_cache];
		return (0);
	}
	if ((xs = calloc(1, sizeof *xs)) == NULL)
		return (ENOMEM);
	xs->tabsize = 64;
	if ((xs->tab = calloc(xs->tabsize, sizeof *xs->tab)) == NULL) {
		free(xs);
		return (ENOMEM);
	}
	xs->tailp = &xs->head;
	t->xs = xs;
	return (0);
}

/* Free the write set, if any. */
void
store_xs_free(struct store_txn *t)
{
	struct store_xs		*xs = t->xs;
	struct store_xent	*e, *next;
	size_t			 i;

	if (xs == NULL)
		return;
	for (e = xs->head; e != NULL; e = next) {
		next = e->lnext;
		store_xs_clear(e);
		free(e->added);
		free(e);
	}
	for (i = 0; i < xs->nops; i++) {
		free(xs->ops[i].path);
		free(xs->ops[i].value);
		free(xs->ops[i].perms);
	}
	free(xs->usage);
	t->xs = NULL;
	/* Keep a few emptied write sets of the first size for the next. */
	if (t->s->nxs_cache < STORE_TXN_CACHE && xs->tabsize == 64 &&
	    xs->opcap <= 64) {
		memset(xs->tab, 0, xs->tabsize * sizeof *xs->tab);
		xs->count = 0;
		xs->head = NULL;
		xs->tailp = &xs->head;
		xs->nops = 0;
		xs->usage = NULL;
		xs->nusage = 0;
		xs->nodes = xs->bytes = 0;
		t->s->xs_cache[t->s->nxs_cache++] = xs;
		return;
	}
	free(xs->ops);
	free(xs->tab);
	free(xs);
}

/* Free the write sets kept for reuse (store_close). */
void
store_xs_cache_free(struct store *s)
{
	struct store_xs	*xs;

	while (s->nxs_cache > 0) {
		xs = s->xs_cache[--s->nxs_cache];
		free(xs->ops);
		free(xs->tab);
		free(xs);
	}
}

/* True if the transaction changed nothing. */
bool
store_xs_empty(const struct store_txn *t)
{
	return (t->xs->nops == 0);
}

/*
 * The nodes an XS transaction holds: one per path it read (found or
 * not), listed or changed. 0 for other kinds of transaction.
 */
size_t
store_txn_nodes(const struct store_txn *t)
{
	if (t == NULL || t->xs == NULL)
		return (0);
	return (t->xs->count);
}

/*
 * Find a node as the transaction sees it; with want, record in the read
 * set what the snapshot holds and what the caller depends on.
 */
int
store_xs_find(struct store_txn *t, const char *path, size_t plen, int want,
    struct store_nrec *nr)
{
	struct store_xs		*xs = t->xs;
	struct store_xent	*e;
	bool			 have = false;
	int			 error;

	e = store_xs_lookup(xs, path, plen);
	if (want != 0) {
		if (e == NULL && (e = store_xs_insert(xs, path, plen)) == NULL)
			return (ENOMEM);
		if (!e->seen) {
			error = store_ndb_find(t, t->mt, path, plen, nr);
			if (error == 0) {
				e->sabsent = false;
				e->sid = nr->id;
				e->sgen = nr->gen;
				e->scgen = nr->cgen;
				have = true;
			} else if (error == ENOENT)
				e->sabsent = true;
			else
				return (error);
			e->seen = true;
		}
		e->want |= want;
	}
	if (e != NULL && (e->oflags & XO_SET)) {
		if (e->oflags & XO_ABSENT)
			return (ENOENT);
		nr->id = e->id;
		nr->gen = e->gen;
		nr->cgen = e->cgen;
		nr->nchildren = e->nchildren;
		nr->childbytes = e->childbytes;
		nr->nperms = e->nperms;
		nr->perms = e->perms;
		nr->vlen = e->vlen;
		nr->value = e->value;
		nr->seq = 0;
		return (0);
	}
	if (have)
		return (0);
	if (e != NULL && e->seen && e->sabsent)
		return (ENOENT);
	return (store_ndb_find(t, t->mt, path, plen, nr));
}

/*
 * Create child at path[0..plen) under parent at path[0..pplen); both
 * records are already updated by the caller.
 */
int
store_xs_create(struct store_txn *t, const char *path, size_t pplen,
    struct store_nrec *parent, size_t plen, struct store_nrec *child)
{
	struct store_xs		*xs = t->xs;
	struct store_xent	*pe, *ce, **added;
	size_t			 cap;
	int			 error;

	if ((pe = store_xs_entry(xs, path, pplen)) == NULL ||
	    (ce = store_xs_entry(xs, path, plen)) == NULL)
		return (ENOMEM);
	if (pe->nadded == pe->acap) {
		cap = pe->acap == 0 ? 4 : pe->acap * 2;
		added = reallocarray(pe->added, cap, sizeof *added);
		if (added == NULL)
			return (ENOMEM);
		pe->added = added;
		pe->acap = cap;
	}
	if ((error = store_xs_set(pe, parent)) != 0)
		return (error);
	store_xs_clear(ce);
	if ((error = store_xs_set(ce, child)) != 0)
		return (error);
	ce->oflags |= XO_FRESH;
	pe->added[pe->nadded++] = ce;
	return (0);
}

/* Change an existing node's value or permissions. */
int
store_xs_update(struct store_txn *t, const char *path, size_t plen,
    struct store_nrec *n)
{
	struct store_xent	*e;

	if ((e = store_xs_entry(t->xs, path, plen)) == NULL)
		return (ENOMEM);
	return (store_xs_set(e, n));
}

/* Remove one node of a subtree. */
int
store_xs_remove(struct store_txn *t, const char *path, size_t plen)
{
	struct store_xent	*e;

	if ((e = store_xs_entry(t->xs, path, plen)) == NULL)
		return (ENOMEM);
	store_xs_clear(e);
	e->oflags = XO_SET | XO_ABSENT;
	return (0);
}

/*
 * Update the parent (at path[0..pplen)) of the removed node at
 * path[0..plen), and forget it among the parent's fresh children.
 */
int
store_xs_unlink(struct store_txn *t, const char *path, size_t pplen,
    struct store_nrec *parent, size_t plen)
{
	struct store_xs		*xs = t->xs;
	struct store_xent	*pe, *ce;
	size_t			 i;
	int			 error;

	if ((pe = store_xs_entry(xs, path, pplen)) == NULL)
		return (ENOMEM);
	if ((error = store_xs_set(pe, parent)) != 0)
		return (error);
	if ((ce = store_xs_lookup(xs, path, plen)) == NULL)
		return (0);
	for (i = 0; i < pe->nadded; i++) {
		if (pe->added[i] == ce) {
			memmove(pe->added + i, pe->added + i + 1,
			    (pe->nadded - i - 1) * sizeof *pe->added);
			pe->nadded--;
			break;
		}
	}
	return (0);
}

/* One child of the snapshot: shown unless removed or replaced. */
static int
store_xs_snap_child(void *arg, const char *name, size_t len)
{
	struct store_xlist	*l = arg;
	struct store_xent	*ce;
	size_t			 sep = l->plen == 1 ? 0 : 1, clen;
	int			 error;

	clen = l->plen + sep + len;
	if ((error = store_buf_reserve(&l->buf, clen + 1)) != 0)
		return (error);
	memcpy(l->buf.data, l->path, l->plen);
	if (sep)
		l->buf.data[l->plen] = '/';
	memcpy(l->buf.data + l->plen + sep, name, len);
	ce = store_xs_lookup(l->t->xs, (const char *)l->buf.data, clen);
	if (ce != NULL && (ce->oflags & XO_SET) &&
	    (ce->oflags & (XO_ABSENT | XO_FRESH)))
		return (0);
	return (l->fn(l->arg, name, len));
}

/*
 * Call fn with each child name of the node at path as the transaction
 * sees it: the snapshot's, then those the transaction created.
 */
int
store_xs_children(struct store_txn *t, const char *path, size_t plen,
    store_xs_child_fn *fn, void *arg)
{
	struct store_xlist	 l;
	struct store_xent	*e, *ce;
	struct store_nrec	*sn = &t->nr[2];
	size_t			 i, off;
	int			 error;

	e = store_xs_lookup(t->xs, path, plen);
	if (e == NULL || !(e->oflags & XO_FRESH)) {
		error = store_ndb_find(t, t->mt, path, plen, sn);
		if (error != 0 && error != ENOENT)
			return (error);
		if (error == 0 && sn->nchildren != 0) {
			memset(&l, 0, sizeof l);
			l.t = t;
			l.path = path;
			l.plen = plen;
			l.fn = fn;
			l.arg = arg;
			error = store_ndb_list(t, t->mt, sn,
			    store_xs_snap_child, &l);
			store_buf_free(&l.buf);
			if (error != 0)
				return (error);
		}
	}
	if (e == NULL)
		return (0);
	for (i = 0; i < e->nadded; i++) {
		ce = e->added[i];
		off = store_name_off(ce->path, ce->plen);
		if ((error = fn(arg, ce->path + off, ce->plen - off)) != 0)
			return (error);
	}
	return (0);
}

/* Add to a domain's usage as the transaction sees it. */
int
store_xs_usage_add(struct store_txn *t, uint32_t domid, int64_t dnodes,
    int64_t dbytes)
{
	struct store_xs		*xs = t->xs;
	struct store_xusage	*u;
	size_t			 i;

	for (i = 0; i < xs->nusage; i++) {
		if (xs->usage[i].domid == domid)
			break;
	}
	if (i == xs->nusage) {
		u = reallocarray(xs->usage, i + 1, sizeof *u);
		if (u == NULL)
			return (ENOMEM);
		xs->usage = u;
		xs->nusage++;
		u[i].domid = domid;
		u[i].nodes = u[i].bytes = 0;
	}
	xs->usage[i].nodes += dnodes;
	xs->usage[i].bytes += dbytes;
	xs->nodes += dnodes;
	xs->bytes += dbytes;
	return (0);
}

/* The transaction's change to a domain's usage. */
void
store_xs_usage_delta(const struct store_txn *t, uint32_t domid,
    int64_t *dnodes, int64_t *dbytes)
{
	const struct store_xs	*xs = t->xs;
	size_t			 i;

	*dnodes = *dbytes = 0;
	for (i = 0; i < xs->nusage; i++) {
		if (xs->usage[i].domid == domid) {
			*dnodes = xs->usage[i].nodes;
			*dbytes = xs->usage[i].bytes;
			return;
		}
	}
}

/* The transaction's change to the number of nodes and their bytes. */
void
store_xs_totals(const struct store_txn *t, int64_t *dnodes, int64_t *dbytes)
{
	*dnodes = t->xs->nodes;
	*dbytes = t->xs->bytes;
}

/* Call fn with each domain whose usage the transaction changed. */
int
store_xs_foreach_usage(const struct store_txn *t,
    int (*fn)(void *, uint32_t, int64_t, int64_t), void *arg)
{
	const struct store_xs	*xs = t->xs;
	size_t			 i;
	int			 error;

	for (i = 0; i < xs->nusage; i++) {
		error = fn(arg, xs->usage[i].domid, xs->usage[i].nodes,
		    xs->usage[i].bytes);
		if (error != 0)
			return (error);
	}
	return (0);
}

/* Log a change for replay. */
int
store_xs_log(struct store_txn *t, int op, const char *path,
    const void *value, uint32_t vlen, uint32_t owner,
    const struct xs_perm *perms, unsigned int nperms)
{
	struct store_xs		*xs = t->xs;
	struct store_xop	*o;
	size_t			 cap;

	if (xs->nops == xs->opcap) {
		cap = xs->opcap == 0 ? 8 : xs->opcap * 2;
		o = reallocarray(xs->ops, cap, sizeof *o);
		if (o == NULL)
			return (ENOMEM);
		xs->ops = o;
		xs->opcap = cap;
	}
	o = &xs->ops[xs->nops];
	memset(o, 0, sizeof *o);
	o->op = op;
	o->vlen = vlen;
	o->owner = owner;
	o->nperms = nperms;
	if ((o->path = strdup(path)) == NULL)
		goto fail;
	if (op == STORE_OP_WRITE) {
		if ((o->value = malloc(vlen + 1)) == NULL)
			goto fail;
		if (vlen != 0)
			memcpy(o->value, value, vlen);
	}
	if (nperms != 0) {
		o->perms = reallocarray(NULL, nperms, sizeof *perms);
		if (o->perms == NULL)
			goto fail;
		memcpy(o->perms, perms, nperms * sizeof *perms);
	}
	xs->nops++;
	return (0);

fail:
	free(o->path);
	free(o->value);
	free(o->perms);
	return (ENOMEM);
}

/*
 * Check the read set against w and replay the logged changes into it.
 * Returns 0, EAGAIN (w unchanged), or the error of a replayed change.
 */
int
store_xs_apply(struct store_txn *xs, struct store_txn *w)
{
	struct store_xent	*e;
	struct store_xop	*o;
	struct store_nrec	*n = &w->nr[0];
	size_t			 i;
	int			 error;

	for (e = xs->xs->head; e != NULL; e = e->lnext) {
		if (e->want == 0)
			continue;
		error = store_ndb_find(w, w->mt, e->path, e->plen, n);
		if (error == ENOENT) {
			if (!e->sabsent)
				return (EAGAIN);
			continue;
		}
		if (error != 0)
			return (store_txn_fail(w, error));
		if (e->sabsent || n->id != e->sid)
			return (EAGAIN);
		if ((e->want & STORE_WANT_GEN) && n->gen != e->sgen)
			return (EAGAIN);
		if ((e->want & STORE_WANT_CGEN) && n->cgen != e->scgen)
			return (EAGAIN);
	}

	for (i = 0; i < xs->xs->nops; i++) {
		o = &xs->xs->ops[i];
		switch (o->op) {
		case STORE_OP_WRITE:
			error = store_node_write(w, o->path, o->value,
			    o->vlen, o->owner, false, NULL);
			break;
		case STORE_OP_MKDIR:
			error = store_node_write(w, o->path, "", 0, o->owner,
			    true, NULL);
			break;
		case STORE_OP_RM:
			error = store_node_rm(w, o->path, NULL);
			break;
		case STORE_OP_PERMS:
			error = store_node_set_perms(w, o->path, o->perms,
			    o->nperms);
			break;
		default:
			error = EINVAL;
			break;
		}
		if (error != 0)
			return (error);
	}
	return (0);
}

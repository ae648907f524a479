/*
 * check.c - a full integrity check of the store.
 *
 * Reads every node record, every child record and every usage record of
 * one snapshot and cross-checks them in memory:
 *
 * - each record decodes, and a long key matches the path it carries;
 * - ids, gens and cgens are not above the counter; ids are unique;
 * - every node but the root has its parent, and its parent lists it
 *   under its name (a child record (parent id, id) -> name);
 * - every child record names existing nodes, the right parent and name;
 * - each node's nchildren and childbytes agree with its child records;
 * - the usage of every owner is what its nodes add up to.
 *
 * Findings are collected as sentences and handed to the caller once the
 * cursors are closed, so the callback may do anything.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* Findings kept as sentences; beyond this many only the count grows. */
#define CHECK_KEEP	10000

/* What the check knows of one node. */
struct check_node {
	uint64_t	id;
	uint64_t	bytes;		/* usage bytes */
	size_t		poff;		/* path in the arena */
	uint32_t	plen;
	uint32_t	owner;
	uint32_t	nchildren;
	uint32_t	childbytes;
	uint32_t	seen;		/* child records found */
	uint32_t	seenbytes;
	int64_t		parent;		/* index, -1 if none */
	bool		linked;		/* its parent's record lists it */
};

/* The state of a check. */
struct check {
	struct store_txn	*t;
	uint64_t		 counter;
	struct check_node	*nodes;
	size_t			 n;
	size_t			 cap;
	struct store_buf	 arena;
	size_t			 used;		/* bytes of the arena in use */
	int64_t			*bypath;	/* hash table of indices */
	size_t			 hsize;
	size_t			*byid;		/* indices sorted by id */
	char			**findings;
	size_t			 nfind;
	size_t			 fcap;
	unsigned long		 problems;
};

/* Usage added up for one owner. */
struct check_owner {
	uint32_t	domid;
	uint64_t	nodes;
	uint64_t	bytes;
};

static void	 check_find(struct check *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
static const char *check_path(const struct check *, size_t);
static int	 check_nodes(struct check *);
static int	 check_add_node(struct check *, const char *, size_t,
		     const struct store_nrec *);
static int	 check_index(struct check *);
static int64_t	 check_lookup(const struct check *, const char *, size_t);
static int64_t	 check_by_id(const struct check *, uint64_t);
static int	 check_children(struct check *);
static int	 check_owners(struct check *);
static int	 check_cmp_id(const void *, const void *, void *);
static int	 check_cmp_owner(const void *, const void *);

/* Note a finding. */
static void
check_find(struct check *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, **p;
	size_t	 cap;

	c->problems++;
	if (c->nfind >= CHECK_KEEP)
		return;
	if (c->nfind == c->fcap) {
		cap = c->fcap == 0 ? 16 : c->fcap * 2;
		if ((p = reallocarray(c->findings, cap, sizeof *p)) == NULL)
			return;
		c->findings = p;
		c->fcap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) != -1)
		c->findings[c->nfind++] = s;
	va_end(ap);
}

/* The path of node i. */
static const char *
check_path(const struct check *c, size_t i)
{
	return ((const char *)c->arena.data + c->nodes[i].poff);
}

/* Remember one decoded node. */
static int
check_add_node(struct check *c, const char *path, size_t plen,
    const struct store_nrec *nr)
{
	struct check_node	*cn;
	size_t			 cap;
	int			 error;

	if (c->n == c->cap) {
		cap = c->cap == 0 ? 1024 : c->cap * 2;
		cn = reallocarray(c->nodes, cap, sizeof *cn);
		if (cn == NULL)
			return (ENOMEM);
		c->nodes = cn;
		c->cap = cap;
	}
	if ((error = store_buf_reserve(&c->arena, c->used + plen + 1)) != 0)
		return (error);
	cn = &c->nodes[c->n++];
	memset(cn, 0, sizeof *cn);
	cn->poff = c->used;
	cn->plen = (uint32_t)plen;
	memcpy(c->arena.data + c->used, path, plen);
	c->arena.data[c->used + plen] = '\0';
	c->used += plen + 1;
	cn->id = nr->id;
	cn->owner = nr->perms[0].domid;
	cn->bytes = store_usage_bytes(nr->vlen, nr->nperms,
	    plen - store_name_off(path, plen));
	cn->nchildren = nr->nchildren;
	cn->childbytes = nr->childbytes;
	cn->parent = -1;
	return (0);
}

/* Read every node record. */
static int
check_nodes(struct check *c)
{
	struct store_txn	*t = c->t;
	struct store		*s = t->s;
	struct store_nrec	 nr;
	unsigned char		 kbuf[STORE_KEY_MAX];
	MDB_cursor		*cur;
	MDB_val			 k, v;
	const unsigned char	*kb;
	const char		*path;
	size_t			 plen, i;
	uint16_t		 seq;
	bool			 bad;
	int			 rc, error = 0;

	memset(&nr, 0, sizeof nr);
	if ((rc = mdb_cursor_open(t->mt, s->dbi_nodes, &cur)) != 0)
		return (store_mdb_error(s, rc, "open cursor"));
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		kb = k.mv_data;
		error = store_rec_decode(&v, &nr, &path, &plen);
		if (error == ENOMEM)
			break;
		if (error != 0) {
			check_find(c, "The node record under key \"%.*s\" "
			    "cannot be decoded.", (int)(k.mv_size > 80 ? 80 :
			    k.mv_size), (const char *)kb);
			error = 0;
			continue;
		}
		if (path == NULL) {
			path = k.mv_data;
			plen = k.mv_size;
			bad = memchr(kb, STORE_LONG_MARK, plen) != NULL ||
			    store_key_is_long(s, plen) || plen == 0 ||
			    kb[0] != '/';
			if (bad) {
				check_find(c, "A node record has a key that is "
				    "not a path of its own.");
				continue;
			}
		} else {
			seq = (uint16_t)(kb[k.mv_size - 2] << 8 |
			    kb[k.mv_size - 1]);
			bad = k.mv_size != STORE_KEY_MAX ||
			    !store_key_is_long(s, plen) ||
			    plen > XS_ABS_PATH_MAX ||
			    store_key_make(s, path, plen, seq, kbuf) !=
			    STORE_KEY_MAX ||
			    memcmp(kbuf, kb, STORE_KEY_MAX) != 0;
			if (bad) {
				check_find(c, "The long path %.*s... is stored "
				    "under a key that does not match it.",
				    60, path);
				continue;
			}
		}
		if (nr.id == 0 || nr.id > c->counter || nr.gen > c->counter ||
		    nr.cgen > c->counter)
			check_find(c, "Node %.*s has id %llu, gen %llu, cgen "
			    "%llu, above the counter %llu.", (int)plen, path,
			    (unsigned long long)nr.id,
			    (unsigned long long)nr.gen,
			    (unsigned long long)nr.cgen,
			    (unsigned long long)c->counter);
		if ((error = check_add_node(c, path, plen, &nr)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	store_nrec_free(&nr);
	if (error != 0)
		return (error);
	if (rc != MDB_NOTFOUND)
		return (store_mdb_error(s, rc, "read nodes"));

	if ((error = check_index(c)) != 0)
		return (error);
	if (check_lookup(c, "/", 1) < 0)
		check_find(c, "The root node / is missing.");
	for (i = 0; i < c->n; i++) {
		plen = c->nodes[i].plen;
		if (plen == 1)
			continue;
		path = check_path(c, i);
		c->nodes[i].parent = check_lookup(c, path,
		    store_parent_len(path, plen));
		if (c->nodes[i].parent < 0)
			check_find(c, "Node %s has no parent node.", path);
	}
	return (0);
}

/* Order node indices by id. */
static int
check_cmp_id(const void *a, const void *b, void *arg)
{
	const struct check_node	*nodes = arg;
	uint64_t		 x = nodes[*(const size_t *)a].id;
	uint64_t		 y = nodes[*(const size_t *)b].id;

	return (x < y ? -1 : x > y);
}

/* Build the path table and the id order; note duplicate ids. */
static int
check_index(struct check *c)
{
	size_t		i, j, k, mask;
	uint64_t	h;

	for (c->hsize = 64; c->hsize < c->n * 2; c->hsize *= 2)
		;
	if ((c->bypath = malloc(c->hsize * sizeof *c->bypath)) == NULL)
		return (ENOMEM);
	for (i = 0; i < c->hsize; i++)
		c->bypath[i] = -1;
	mask = c->hsize - 1;
	for (i = 0; i < c->n; i++) {
		h = store_fnv(check_path(c, i), c->nodes[i].plen);
		for (j = h & mask; c->bypath[j] >= 0; j = (j + 1) & mask) {
			k = (size_t)c->bypath[j];
			if (c->nodes[k].plen == c->nodes[i].plen &&
			    memcmp(check_path(c, k), check_path(c, i),
			    c->nodes[i].plen) == 0) {
				check_find(c, "Node %s is stored twice.",
				    check_path(c, i));
				break;
			}
		}
		if (c->bypath[j] < 0)
			c->bypath[j] = (int64_t)i;
	}

	if (c->n == 0)
		return (0);
	if ((c->byid = reallocarray(NULL, c->n, sizeof *c->byid)) == NULL)
		return (ENOMEM);
	for (i = 0; i < c->n; i++)
		c->byid[i] = i;
	qsort_r(c->byid, c->n, sizeof *c->byid, check_cmp_id, c->nodes);
	for (i = 1; i < c->n; i++) {
		if (c->nodes[c->byid[i]].id == c->nodes[c->byid[i - 1]].id)
			check_find(c, "Nodes %s and %s have the same id %llu.",
			    check_path(c, c->byid[i - 1]),
			    check_path(c, c->byid[i]),
			    (unsigned long long)c->nodes[c->byid[i]].id);
	}
	return (0);
}

/* Index of the node with a path, or -1. */
static int64_t
check_lookup(const struct check *c, const char *path, size_t plen)
{
	size_t		j, mask = c->hsize - 1;
	uint64_t	h;
	int64_t		i;

	h = store_fnv(path, plen);
	for (j = h & mask; (i = c->bypath[j]) >= 0; j = (j + 1) & mask) {
		if (c->nodes[i].plen == plen &&
		    memcmp(check_path(c, (size_t)i), path, plen) == 0)
			return (i);
	}
	return (-1);
}

/* Index of the node with an id, or -1. */
static int64_t
check_by_id(const struct check *c, uint64_t id)
{
	size_t	lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->nodes[c->byid[mid]].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->nodes[c->byid[lo]].id == id)
		return ((int64_t)c->byid[lo]);
	return (-1);
}

/* Read every child record and compare with the nodes. */
static int
check_children(struct check *c)
{
	struct store_txn	*t = c->t;
	struct store		*s = t->s;
	struct check_node	*pn, *cn;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	uint64_t		 pid, cid;
	const char		*cpath;
	size_t			 off, i;
	int64_t			 pi, ci;
	int			 rc;

	if ((rc = mdb_cursor_open(t->mt, s->dbi_children, &cur)) != 0)
		return (store_mdb_error(s, rc, "open cursor"));
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 16 || v.mv_size == 0) {
			check_find(c, "A child record cannot be decoded.");
			continue;
		}
		pid = store_get_be64(k.mv_data);
		cid = store_get_be64((const char *)k.mv_data + 8);
		pi = check_by_id(c, pid);
		ci = check_by_id(c, cid);
		if (pi < 0 || ci < 0) {
			check_find(c, "The child record \"%.*s\" (parent id "
			    "%llu, child id %llu) has no %s node.",
			    (int)(v.mv_size > 80 ? 80 : v.mv_size),
			    (const char *)v.mv_data,
			    (unsigned long long)pid, (unsigned long long)cid,
			    pi < 0 ? "parent" : "child");
			continue;
		}
		pn = &c->nodes[pi];
		cn = &c->nodes[ci];
		cpath = check_path(c, (size_t)ci);
		off = store_name_off(cpath, cn->plen);
		if (cn->parent != pi || cn->plen - off != v.mv_size ||
		    memcmp(cpath + off, v.mv_data, v.mv_size) != 0) {
			check_find(c, "The child record \"%.*s\" under %s "
			    "points at %s, which is not that child.",
			    (int)(v.mv_size > 80 ? 80 : v.mv_size),
			    (const char *)v.mv_data,
			    check_path(c, (size_t)pi), cpath);
			continue;
		}
		cn->linked = true;
		pn->seen++;
		pn->seenbytes += (uint32_t)v.mv_size + 1;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return (store_mdb_error(s, rc, "read children"));

	for (i = 0; i < c->n; i++) {
		cn = &c->nodes[i];
		if (cn->parent >= 0 && !cn->linked)
			check_find(c, "Node %s is not among the children of "
			    "its parent.", check_path(c, i));
		if (cn->seen != cn->nchildren || cn->seenbytes !=
		    cn->childbytes)
			check_find(c, "Node %s counts %u children of %u bytes "
			    "but has %u of %u bytes.", check_path(c, i),
			    cn->nchildren, cn->childbytes, cn->seen,
			    cn->seenbytes);
	}
	return (0);
}

/* Order owners by domid. */
static int
check_cmp_owner(const void *a, const void *b)
{
	const struct check_owner	*x = a, *y = b;

	return (x->domid < y->domid ? -1 : x->domid > y->domid);
}

/* Add up usage per owner and compare with the usage records. */
static int
check_owners(struct check *c)
{
	struct store_txn	*t = c->t;
	struct store		*s = t->s;
	struct check_owner	*o = NULL, *p;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	struct store_usage	 u;
	uint32_t		 domid;
	size_t			 n = 0, i, j;
	int			 rc;

	if (c->n != 0 && (o = reallocarray(NULL, c->n, sizeof *o)) == NULL)
		return (ENOMEM);
	for (i = 0; i < c->n; i++) {
		o[i].domid = c->nodes[i].owner;
		o[i].nodes = 1;
		o[i].bytes = c->nodes[i].bytes;
	}
	if (c->n != 0)
		qsort(o, c->n, sizeof *o, check_cmp_owner);
	for (i = 0; i < c->n; i++) {
		if (n > 0 && o[n - 1].domid == o[i].domid) {
			o[n - 1].nodes += o[i].nodes;
			o[n - 1].bytes += o[i].bytes;
		} else
			o[n++] = o[i];
	}

	if ((rc = mdb_cursor_open(t->mt, s->dbi_owners, &cur)) != 0) {
		free(o);
		return (store_mdb_error(s, rc, "open cursor"));
	}
	j = 0;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 4 || v.mv_size != 16) {
			check_find(c, "A usage record cannot be decoded.");
			continue;
		}
		domid = store_get_be32(k.mv_data);
		memcpy(&u.nodes, v.mv_data, 8);
		memcpy(&u.bytes, (const char *)v.mv_data + 8, 8);
		for (; j < n && o[j].domid < domid; j++)
			check_find(c, "Domain %u owns %llu nodes of %llu bytes "
			    "but has no usage record.", o[j].domid,
			    (unsigned long long)o[j].nodes,
			    (unsigned long long)o[j].bytes);
		p = j < n && o[j].domid == domid ? &o[j++] : NULL;
		if (p == NULL)
			check_find(c, "Domain %u has a usage record (%llu "
			    "nodes, %llu bytes) but owns no node.", domid,
			    (unsigned long long)u.nodes,
			    (unsigned long long)u.bytes);
		else if (p->nodes != u.nodes || p->bytes != u.bytes)
			check_find(c, "Domain %u is recorded as owning %llu "
			    "nodes of %llu bytes but owns %llu of %llu.",
			    domid, (unsigned long long)u.nodes,
			    (unsigned long long)u.bytes,
			    (unsigned long long)p->nodes,
			    (unsigned long long)p->bytes);
	}
	mdb_cursor_close(cur);
	for (; j < n; j++)
		check_find(c, "Domain %u owns %llu nodes of %llu bytes but "
		    "has no usage record.", o[j].domid,
		    (unsigned long long)o[j].nodes,
		    (unsigned long long)o[j].bytes);
	free(o);
	if (rc != MDB_NOTFOUND)
		return (store_mdb_error(s, rc, "read usage"));
	return (0);
}

/* Check the integrity of the store as t sees it. */
int
store_check(struct store_txn *t, store_report_fn *report, void *arg,
    unsigned long *problems)
{
	struct check	c;
	size_t		i;
	char		more[128];
	int		error;

	if (problems != NULL)
		*problems = 0;
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	/* The usage records as they will be. */
	if (t->nud != 0 && (error = store_ndb_usage_flush(t)) != 0)
		return (store_txn_fail(t, error));
	memset(&c, 0, sizeof c);
	c.t = t;
	if ((error = store_read_counter(t->s, t->mt, &c.counter)) != 0) {
		check_find(&c, "The generation counter is missing or "
		    "damaged.");
		c.counter = UINT64_MAX;
	}
	if (t->kind == STORE_TXN_WRITE)
		c.counter = t->counter;
	if ((error = check_nodes(&c)) == 0 &&
	    (error = check_children(&c)) == 0)
		error = check_owners(&c);

	for (i = 0; i < c.nfind; i++) {
		if (error == 0 && report != NULL)
			report(arg, c.findings[i]);
		free(c.findings[i]);
	}
	if (error == 0 && report != NULL && c.problems > c.nfind) {
		snprintf(more, sizeof more, "%lu more findings are not "
		    "shown.", c.problems - (unsigned long)c.nfind);
		report(arg, more);
	}
	free(c.findings);
	free(c.nodes);
	free(c.bypath);
	free(c.byid);
	store_buf_free(&c.arena);
	if (error != 0)
		return (store_txn_fail(t, error == ENOMEM ? ENOMEM : EIO));
	if (problems != NULL)
		*problems = c.problems;
	return (0);
}

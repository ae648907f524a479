/*
 * node.c - the xenstore tree: read, write, mkdir, rm, set_perms, list.
 *
 * The same operations run on LMDB (WRITE, READ) and on an XS
 * transaction's write set (node-xs.c); the few primitives below pick the
 * one. Tree rules follow xenstore (docs/misc/xenstore.txt):
 *
 * - a write or mkdir creates the missing ancestors of its path; each
 *   created node copies its parent's permission list and, unless the
 *   owner is STORE_OWNER_INHERIT, names owner as perms[0].domid with the
 *   parent's default access kept;
 * - every change takes the next value of the global counter: a created
 *   node gets it as id, gen and cgen; a value or permission change gets
 *   it as the node's gen; a child created or removed as the parent's cgen;
 * - an rm takes the whole subtree, found breadth first with an explicit
 *   queue (depth reaches ~1500 components) and removed from the deepest
 *   end, so that each descendant goes, and is reported, before its parent.
 *
 * In an XS transaction, each lookup says what it depends on (STORE_WANT_*)
 * so that node-xs.c records it in the read set: a write depends on the
 * node's gen (or its absence), a creation on the absence of each created
 * node and on the gen of the ancestor whose permissions it copies, never
 * on the parent's list of children.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* A node of a subtree being removed. */
struct store_rm_item {
	size_t		 off;		/* path in the arena */
	size_t		 len;
	size_t		 parent;	/* index of the parent item */
	uint64_t	 id;
	uint64_t	 bytes;
	uint32_t	 owner;
	uint16_t	 seq;
	size_t		 perms;		/* its list, in the subtree's perms */
	uint32_t	 nperms;
	uint64_t	 gen;
};

/* The subtree being removed. */
struct store_rm {
	struct store_txn	*t;
	struct store_buf	 arena;
	struct xs_perm		*perms;		/* the lists of the items */
	size_t			 nperms;
	size_t			 pcap;
	struct store_rm_item	*items;
	size_t			 n;
	size_t			 cap;
	size_t			 cur;		/* item being listed */
	struct {
		uint32_t	 domid;
		int64_t		 nodes;
		int64_t		 bytes;
	}			*usage;
	size_t			 nusage;
};

static int	 store_path_ok(const char *, size_t *);
static int	 store_node_find(struct store_txn *, const char *, size_t,
		     int, struct store_nrec *);
static int	 store_node_usage(struct store_txn *, uint32_t, int64_t,
		     int64_t);
static int	 store_node_create(struct store_txn *, const char *, size_t,
		     struct store_nrec *, size_t, struct store_nrec *);
static int	 store_node_update(struct store_txn *, const char *, size_t,
		     struct store_nrec *, uint32_t, uint64_t);
static bool	 store_perm_stale(const struct store *, const struct xs_perm *,
		     unsigned int, uint64_t);
static int	 store_perms_settle(struct store_txn *, struct store_nrec *,
		     uint64_t);
static int	 store_rm_push(struct store_rm *, const char *, size_t);
static int	 store_rm_child_db(void *, uint64_t, const char *, size_t);
static int	 store_rm_child_xs(void *, const char *, size_t);
static int	 store_rm_usage(struct store_rm *, uint32_t, int64_t,
		     int64_t);
static int	 store_rm_collect(struct store_rm *);
static int	 store_rm_keep_perms(struct store_rm *, struct store_rm_item *,
		     const struct store_nrec *);
static void	 store_rm_old(const struct store_rm *, size_t,
		     struct store_change_old *);
static int	 store_rm_delete(struct store_rm *, size_t);

/*
 * Classes of path bytes for store_path_ok: 1 may be in a name
 * ([A-Za-z0-9_@-]), 2 is '/', 0 is anything else, NUL included.
 */
static const unsigned char store_path_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * Check that a path is one db/ can take: absolute, canonical, valid
 * characters, not too long. The daemon checks first; this keeps bad
 * input from doing harm. Returns 0 with *len set, or EINVAL.
 */
static int
store_path_ok(const char *path, size_t *len)
{
	const unsigned char	*p = (const unsigned char *)path;
	size_t			 i;

	if (path == NULL || path[0] != '/')
		return (EINVAL);
	for (i = 1;; i++) {
		switch (store_path_class[p[i]]) {
		case 1:
			continue;
		case 2:
			if (p[i - 1] == '/')
				return (EINVAL);
			continue;
		}
		break;
	}
	if (p[i] != '\0' || i > XS_ABS_PATH_MAX ||
	    (i > 1 && p[i - 1] == '/'))
		return (EINVAL);
	*len = i;
	return (0);
}

/* Find a node through t, recording want in an XS transaction. */
static int
store_node_find(struct store_txn *t, const char *path, size_t plen,
    int want, struct store_nrec *nr)
{
	if (t->xs != NULL)
		return (store_xs_find(t, path, plen, want, nr));
	return (store_ndb_find(t, t->mt, path, plen, nr));
}

/* Add to a domain's usage through t. */
static int
store_node_usage(struct store_txn *t, uint32_t domid, int64_t dnodes,
    int64_t dbytes)
{
	if (t->xs != NULL)
		return (store_xs_usage_add(t, domid, dnodes, dbytes));
	return (store_ndb_usage_add(t, domid, dnodes, dbytes));
}

/*
 * Does entry i of a list of generation gen name a domain gone since? The
 * heir is always there, and an entry already ignored stays so.
 */
static bool
store_perm_stale(const struct store *st, const struct xs_perm *p,
    unsigned int i, uint64_t gen)
{
	if (p->domid == st->perm_heir || (p->access & XS_PERM_IGNORE))
		return (false);
	return (!st->perm_live(st->perm_arg, p->domid, gen));
}

/*
 * Settle n's permission list, of generation gen, before it is written or
 * copied (store_set_perm_live): what Xen's daemon does to a list as it
 * reads a node, kept so that a later write of the node cannot make an
 * entry valid again. The list is copied into n->pbuf if it changes.
 */
static int
store_perms_settle(struct store_txn *t, struct store_nrec *n, uint64_t gen)
{
	const struct store	*st = t->s;
	unsigned int		 i;
	int			 error;

	if (st->perm_live == NULL)
		return (0);
	for (i = 0; i < n->nperms; i++) {
		if (store_perm_stale(st, &n->perms[i], i, gen))
			break;
	}
	if (i == n->nperms)
		return (0);
	if (n->perms != n->pbuf) {
		if ((error = store_nrec_perms_reserve(n, n->nperms)) != 0)
			return (error);
		memcpy(n->pbuf, n->perms, n->nperms * sizeof *n->pbuf);
		n->perms = n->pbuf;
	}
	for (; i < n->nperms; i++) {
		if (!store_perm_stale(st, &n->perms[i], i, gen))
			continue;
		if (i == 0)
			n->perms[0].domid = st->perm_heir;
		else
			n->perms[i].access |= XS_PERM_IGNORE;
	}
	return (0);
}

/*
 * Create the node child at path[0..plen) under parent, found at
 * path[0..pplen). The parent's record is written first: its value may
 * point into LMDB's memory, which the other writes may move.
 */
static int
store_node_create(struct store_txn *t, const char *path, size_t pplen,
    struct store_nrec *parent, size_t plen, struct store_nrec *child)
{
	size_t	noff = store_name_off(path, plen), nlen = plen - noff;
	int	error;

	parent->nchildren++;
	parent->childbytes += nlen + 1;
	parent->cgen = child->id;
	if (t->xs != NULL)
		error = store_xs_create(t, path, pplen, parent, plen, child);
	else if ((error = store_ndb_put(t, path, pplen, parent, false)) == 0 &&
	    (error = store_ndb_put(t, path, plen, child, true)) == 0)
		error = store_ndb_child_put(t, parent->id, child->id,
		    path + noff, nlen);
	if (error != 0)
		return (error);
	return (store_node_usage(t, child->perms[0].domid, 1,
	    (int64_t)store_usage_bytes(child->vlen, child->nperms, nlen)));
}

/*
 * Rewrite an existing node after a change of value or permissions and
 * move its usage (it had owner and bytes before).
 */
static int
store_node_update(struct store_txn *t, const char *path, size_t plen,
    struct store_nrec *n, uint32_t owner, uint64_t bytes)
{
	size_t		nlen = plen - store_name_off(path, plen);
	uint64_t	nbytes = store_usage_bytes(n->vlen, n->nperms, nlen);
	int		error;

	if (t->xs != NULL)
		error = store_xs_update(t, path, plen, n);
	else
		error = store_ndb_put(t, path, plen, n, false);
	if (error != 0)
		return (error);
	if (owner == n->perms[0].domid)
		return (store_node_usage(t, owner, 0,
		    (int64_t)nbytes - (int64_t)bytes));
	if ((error = store_node_usage(t, owner, -1, -(int64_t)bytes)) != 0)
		return (error);
	return (store_node_usage(t, n->perms[0].domid, 1, (int64_t)nbytes));
}

/*
 * Write a value (or, with mkdir, make sure the node exists), creating
 * missing ancestors. Used by store_write, store_mkdir and the replay of
 * an XS transaction.
 */
int
store_node_write(struct store_txn *t, const char *path, const void *value,
    uint32_t vlen, uint32_t owner, bool mkdir, unsigned int *created)
{
	struct store_nrec	*n = &t->nr[0], *p, *c, *tmp;
	size_t			 plen, cur, next;
	unsigned int		 made = 0;
	uint64_t		 bytes;
	uint32_t		 old;
	int			 error;

	if (created != NULL)
		*created = 0;
	if ((error = store_path_ok(path, &plen)) != 0)
		return (error);
	if ((error = store_txn_usable(t, true)) != 0)
		return (error);
	if (value == NULL)
		vlen = 0;

	error = store_node_find(t, path, plen,
	    mkdir ? STORE_WANT_EXIST : STORE_WANT_GEN, n);
	if (error == 0) {
		if (mkdir)
			return (0);
		old = n->perms[0].domid;
		bytes = store_usage_bytes(n->vlen, n->nperms,
		    plen - store_name_off(path, plen));
		if ((error = store_perms_settle(t, n, n->gen)) != 0)
			return (store_txn_fail(t, error));
		n->value = value;
		n->vlen = vlen;
		n->gen = ++t->counter;
		t->counter_dirty = true;
		if ((error = store_node_update(t, path, plen, n, old,
		    bytes)) != 0)
			return (store_txn_fail(t, error));
		goto done;
	}
	if (error != ENOENT)
		return (store_txn_fail(t, error));

	/* Find the nearest ancestor that exists; the root always does. */
	p = &t->nr[1];
	cur = plen;
	do {
		cur = store_parent_len(path, cur);
		if (cur == 0) {
			fprintf(stderr, "xsdb: store: the root is missing\n");
			return (store_txn_fail(t, EIO));
		}
		error = store_node_find(t, path, cur, STORE_WANT_GEN, p);
	} while (error == ENOENT);
	if (error != 0)
		return (store_txn_fail(t, error));

	/* Create each missing node from there down. */
	c = &t->nr[2];
	while (cur < plen) {
		next = cur + 1;
		while (next < plen && path[next] != '/')
			next++;
		if ((error = store_nrec_perms_reserve(c, p->nperms)) != 0)
			return (store_txn_fail(t, error));
		memcpy(c->pbuf, p->perms, p->nperms * sizeof *c->pbuf);
		c->perms = c->pbuf;
		c->nperms = p->nperms;
		if ((error = store_perms_settle(t, c, p->gen)) != 0)
			return (store_txn_fail(t, error));
		if (owner != STORE_OWNER_INHERIT)
			c->perms[0].domid = owner;
		c->id = c->gen = c->cgen = ++t->counter;
		t->counter_dirty = true;
		c->nchildren = c->childbytes = 0;
		c->seq = 0;
		if (next == plen) {
			c->value = value;
			c->vlen = vlen;
		} else {
			c->value = "";
			c->vlen = 0;
		}
		error = store_node_create(t, path, cur, p, next, c);
		if (error != 0)
			return (store_txn_fail(t, error));
		made++;
		tmp = p;
		p = c;
		c = tmp;
		cur = next;
	}

done:
	if (t->xs != NULL && (error = store_xs_log(t, mkdir ? STORE_OP_MKDIR :
	    STORE_OP_WRITE, path, value, vlen, owner, NULL, 0)) != 0)
		return (store_txn_fail(t, error));
	if (created != NULL)
		*created = made;
	store_report(t, STORE_CHANGE_WRITE, path, NULL);
	return (0);
}

/* Write a value. */
int
store_write(struct store_txn *t, const char *path, const void *value,
    uint32_t vlen, uint32_t owner, unsigned int *created)
{
	return (store_node_write(t, path, value, vlen, owner, false,
	    created));
}

/* Create a node with an empty value unless it exists. */
int
store_mkdir(struct store_txn *t, const char *path, uint32_t owner,
    unsigned int *created)
{
	return (store_node_write(t, path, "", 0, owner, true, created));
}

/* Replace a node's permission list. */
int
store_node_set_perms(struct store_txn *t, const char *path,
    const struct xs_perm *perms, unsigned int nperms)
{
	struct store_nrec	*n = &t->nr[0], *keep = &t->nr[1];
	struct store_change_old	 was;
	size_t			 plen;
	uint64_t		 bytes;
	uint32_t		 old;
	unsigned int		 i;
	int			 error;

	if ((error = store_path_ok(path, &plen)) != 0)
		return (error);
	if (perms == NULL || nperms == 0)
		return (EINVAL);
	for (i = 0; i < nperms; i++) {
		if (!store_perm_access_ok(i, perms[i].access))
			return (EINVAL);
	}
	if ((error = store_txn_usable(t, true)) != 0)
		return (error);
	if ((error = store_node_find(t, path, plen, STORE_WANT_GEN, n)) != 0)
		return (store_txn_fail(t, error));
	old = n->perms[0].domid;
	bytes = store_usage_bytes(n->vlen, n->nperms,
	    plen - store_name_off(path, plen));
	/* The list it had, for the observer (n's may go with the update). */
	if ((error = store_nrec_perms_reserve(keep, n->nperms)) != 0)
		return (store_txn_fail(t, error));
	memcpy(keep->pbuf, n->perms, n->nperms * sizeof *keep->pbuf);
	memset(&was, 0, sizeof was);
	was.perms = keep->pbuf;
	was.nperms = n->nperms;
	was.gen = n->gen;
	n->perms = (struct xs_perm *)perms;
	n->nperms = nperms;
	n->gen = ++t->counter;
	t->counter_dirty = true;
	if ((error = store_node_update(t, path, plen, n, old, bytes)) != 0)
		return (store_txn_fail(t, error));
	if (t->xs != NULL && (error = store_xs_log(t, STORE_OP_PERMS, path,
	    NULL, 0, 0, perms, nperms)) != 0)
		return (store_txn_fail(t, error));
	store_report(t, STORE_CHANGE_PERMS, path, &was);
	return (0);
}

/* Replace a node's permission list. */
int
store_set_perms(struct store_txn *t, const char *path,
    const struct xs_perm *perms, unsigned int n)
{
	return (store_node_set_perms(t, path, perms, n));
}

/* Add a node to the subtree being removed; its details come later. */
static int
store_rm_push(struct store_rm *rm, const char *name, size_t nlen)
{
	struct store_rm_item	*it, *parent, *last;
	unsigned char		*dst;
	size_t			 off, len, sep, cap;
	int			 error;

	if (rm->n == rm->cap) {
		cap = rm->cap * 2;
		it = reallocarray(rm->items, cap, sizeof *it);
		if (it == NULL)
			return (ENOMEM);
		rm->items = it;
		rm->cap = cap;
	}
	parent = &rm->items[rm->cur];
	sep = parent->len == 1 ? 0 : 1;		/* no second '/' after root */
	len = parent->len + sep + nlen;
	if (len > XS_ABS_PATH_MAX) {
		fprintf(stderr, "xsdb: store: a child name makes a path too "
		    "long\n");
		return (EIO);
	}
	last = &rm->items[rm->n - 1];
	off = last->off + last->len + 1;
	if ((error = store_buf_reserve(&rm->arena, off + len + 1)) != 0)
		return (error);
	dst = rm->arena.data + off;
	memcpy(dst, rm->arena.data + parent->off, parent->len);
	if (sep)
		dst[parent->len] = '/';
	memcpy(dst + parent->len + sep, name, nlen);
	dst[len] = '\0';
	it = &rm->items[rm->n++];
	it->off = off;
	it->len = len;
	it->parent = rm->cur;
	it->id = 0;
	return (0);
}

/* A child found in LMDB while collecting a subtree. */
static int
store_rm_child_db(void *arg, uint64_t cid, const char *name, size_t len)
{
	struct store_rm	*rm = arg;
	int		 error;

	if ((error = store_rm_push(rm, name, len)) != 0)
		return (error);
	rm->items[rm->n - 1].id = cid;
	return (0);
}

/* A child found in an XS transaction while collecting a subtree. */
static int
store_rm_child_xs(void *arg, const char *name, size_t len)
{
	return (store_rm_push(arg, name, len));
}

/* Add to the usage the removal takes away. */
static int
store_rm_usage(struct store_rm *rm, uint32_t domid, int64_t nodes,
    int64_t bytes)
{
	size_t	i;
	void	*p;

	for (i = 0; i < rm->nusage; i++) {
		if (rm->usage[i].domid == domid)
			break;
	}
	if (i == rm->nusage) {
		p = reallocarray(rm->usage, i + 1, sizeof *rm->usage);
		if (p == NULL)
			return (ENOMEM);
		rm->usage = p;
		rm->nusage++;
		rm->usage[i].domid = domid;
		rm->usage[i].nodes = rm->usage[i].bytes = 0;
	}
	rm->usage[i].nodes += nodes;
	rm->usage[i].bytes += bytes;
	return (0);
}

/* Keep the permission list of an item for the observer. */
static int
store_rm_keep_perms(struct store_rm *rm, struct store_rm_item *it,
    const struct store_nrec *n)
{
	struct xs_perm	*p;
	size_t		 cap;

	if (rm->nperms + n->nperms > rm->pcap) {
		cap = rm->pcap == 0 ? 64 : rm->pcap;
		while (cap < rm->nperms + n->nperms)
			cap *= 2;
		if ((p = reallocarray(rm->perms, cap, sizeof *p)) == NULL)
			return (ENOMEM);
		rm->perms = p;
		rm->pcap = cap;
	}
	memcpy(rm->perms + rm->nperms, n->perms, n->nperms * sizeof *p);
	it->perms = rm->nperms;
	it->nperms = n->nperms;
	it->gen = n->gen;
	rm->nperms += n->nperms;
	return (0);
}

/* What removing item i takes away: its list, and its parent's. */
static void
store_rm_old(const struct store_rm *rm, size_t i,
    struct store_change_old *old)
{
	const struct store_rm_item	*it = &rm->items[i];
	const struct store_rm_item	*up = &rm->items[it->parent];

	memset(old, 0, sizeof *old);
	old->perms = rm->perms + it->perms;
	old->nperms = it->nperms;
	old->gen = it->gen;
	if (i != 0) {
		old->pperms = rm->perms + up->perms;
		old->npperms = up->nperms;
		old->pgen = up->gen;
	}
}

/*
 * Collect the subtree breadth first: item 0 (the node named) is there
 * already; each item is looked up and its children queued.
 */
static int
store_rm_collect(struct store_rm *rm)
{
	struct store_txn	*t = rm->t;
	struct store_nrec	*n = &t->nr[0];
	struct store_rm_item	*it;
	struct store_buf	 copy = { NULL, 0 };
	const char		*path;
	int			 error = 0;

	for (rm->cur = 0; rm->cur < rm->n; rm->cur++) {
		it = &rm->items[rm->cur];
		path = (const char *)rm->arena.data + it->off;
		error = store_node_find(t, path, it->len,
		    STORE_WANT_GEN | STORE_WANT_CGEN, n);
		if (error == ENOENT && rm->cur != 0) {
			fprintf(stderr, "xsdb: store: %s is listed as a child "
			    "but does not exist\n", path);
			error = EIO;
		}
		if (error != 0)
			break;
		if (rm->cur != 0 && t->xs == NULL && n->id != it->id) {
			fprintf(stderr, "xsdb: store: %s has id %llu, its "
			    "parent lists %llu\n", path,
			    (unsigned long long)n->id,
			    (unsigned long long)it->id);
			error = EIO;
			break;
		}
		it->id = n->id;
		it->owner = n->perms[0].domid;
		it->bytes = store_usage_bytes(n->vlen, n->nperms,
		    it->len - store_name_off(path, it->len));
		it->seq = n->seq;
		if ((error = store_rm_keep_perms(rm, it, n)) != 0)
			break;
		if (n->nchildren == 0 && t->xs == NULL)
			continue;
		/* Queuing children may move the arena: list from a copy. */
		if (t->xs != NULL) {
			if ((error = store_buf_reserve(&copy, it->len)) != 0)
				break;
			memcpy(copy.data, path, it->len);
			error = store_xs_children(t, (const char *)copy.data,
			    it->len, store_rm_child_xs, rm);
		} else
			error = store_ndb_children(t, t->mt, it->id,
			    store_rm_child_db, rm);
		if (error != 0)
			break;
	}
	store_buf_free(&copy);
	return (error);
}

/* Delete item i of the subtree (not its parent's records). */
static int
store_rm_delete(struct store_rm *rm, size_t i)
{
	struct store_txn	*t = rm->t;
	struct store_rm_item	*it = &rm->items[i];
	const char		*path = (const char *)rm->arena.data + it->off;
	int			 error;

	if (t->xs != NULL)
		error = store_xs_remove(t, path, it->len);
	else {
		error = store_ndb_del(t, path, it->len, it->seq);
		if (error == 0 && i != 0)
			error = store_ndb_child_del(t,
			    rm->items[it->parent].id, it->id);
	}
	if (error != 0)
		return (error);
	return (store_rm_usage(rm, it->owner, -1, -(int64_t)it->bytes));
}

/* Remove a node and its descendants. */
int
store_node_rm(struct store_txn *t, const char *path, unsigned int *removed)
{
	struct store_rm		 rm;
	struct store_nrec	*p = &t->nr[1];
	struct store_change_old	 old;
	size_t			 plen, pplen, nlen, i;
	uint64_t		 gen;
	int			 error;

	if (removed != NULL)
		*removed = 0;
	if ((error = store_path_ok(path, &plen)) != 0)
		return (error);
	if (plen == 1)
		return (EINVAL);
	if ((error = store_txn_usable(t, true)) != 0)
		return (error);

	memset(&rm, 0, sizeof rm);
	rm.t = t;
	rm.cap = 64;
	rm.items = calloc(rm.cap, sizeof *rm.items);
	if (rm.items == NULL ||
	    store_buf_reserve(&rm.arena, plen + 1) != 0) {
		error = ENOMEM;
		goto fail;
	}
	memcpy(rm.arena.data, path, plen + 1);
	rm.items[0].off = 0;
	rm.items[0].len = plen;
	rm.n = 1;
	if ((error = store_rm_collect(&rm)) != 0)
		goto fail;

	/* Deepest first: each node goes before its parent. */
	gen = ++t->counter;
	t->counter_dirty = true;
	for (i = rm.n; i-- > 0;) {
		if ((error = store_rm_delete(&rm, i)) != 0)
			goto fail;
		if (i != 0) {
			store_rm_old(&rm, i, &old);
			store_report(t, STORE_CHANGE_RM_CHILD,
			    (const char *)rm.arena.data + rm.items[i].off,
			    &old);
		}
	}

	/* The parent loses a child. */
	pplen = store_parent_len(path, plen);
	nlen = plen - store_name_off(path, plen);
	if ((error = store_node_find(t, path, pplen, 0, p)) != 0) {
		if (error == ENOENT) {
			fprintf(stderr, "xsdb: store: the parent of %s is "
			    "missing\n", path);
			error = EIO;
		}
		goto fail;
	}
	if (p->nchildren > 0)
		p->nchildren--;
	p->childbytes = p->childbytes > nlen + 1 ?
	    p->childbytes - (nlen + 1) : 0;
	p->cgen = gen;
	if (t->xs != NULL)
		error = store_xs_unlink(t, path, pplen, p, plen);
	else if ((error = store_ndb_put(t, path, pplen, p, false)) == 0)
		error = store_ndb_child_del(t, p->id, rm.items[0].id);
	if (error != 0)
		goto fail;
	for (i = 0; i < rm.nusage; i++) {
		error = store_node_usage(t, rm.usage[i].domid,
		    rm.usage[i].nodes, rm.usage[i].bytes);
		if (error != 0)
			goto fail;
	}
	if (t->xs != NULL && (error = store_xs_log(t, STORE_OP_RM, path,
	    NULL, 0, 0, NULL, 0)) != 0)
		goto fail;
	if (removed != NULL)
		*removed = (unsigned int)rm.n;
	store_rm_old(&rm, 0, &old);
	store_report(t, STORE_CHANGE_RM, path, &old);
	error = 0;

fail:
	free(rm.items);
	free(rm.usage);
	free(rm.perms);
	store_buf_free(&rm.arena);
	if (error != 0)
		store_txn_fail(t, error);
	return (error);
}

/* Remove a node and its descendants. */
int
store_rm(struct store_txn *t, const char *path, unsigned int *removed)
{
	return (store_node_rm(t, path, removed));
}

/* Read a node. */
int
store_get(struct store_txn *t, const char *path, struct store_node *node)
{
	struct store_nrec	*n = &t->nr[0];
	size_t			 plen, psize;
	int			 error;

	if ((error = store_path_ok(path, &plen)) != 0)
		return (error);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	if ((error = store_node_find(t, path, plen, STORE_WANT_GEN, n)) != 0)
		return (store_txn_fail(t, error));
	psize = (size_t)n->nperms * sizeof *n->perms;
	if ((error = store_buf_reserve(&t->out, psize + n->vlen + 1)) != 0)
		return (store_txn_fail(t, error));
	memcpy(t->out.data, n->perms, psize);
	if (n->vlen != 0)
		memcpy(t->out.data + psize, n->value, n->vlen);
	t->out.data[psize + n->vlen] = '\0';
	node->id = n->id;
	node->gen = n->gen;
	node->cgen = n->cgen;
	node->nchildren = n->nchildren;
	node->childbytes = n->childbytes;
	node->nperms = n->nperms;
	node->perms = (const struct xs_perm *)t->out.data;
	node->vlen = n->vlen;
	node->value = t->out.data + psize;
	return (0);
}

/* True if the node exists. */
bool
store_exists(struct store_txn *t, const char *path)
{
	size_t	plen;
	int	error;

	if (store_path_ok(path, &plen) != 0 ||
	    store_txn_usable(t, false) != 0)
		return (false);
	error = store_node_find(t, path, plen, STORE_WANT_EXIST, &t->nr[0]);
	if (error != 0 && error != ENOENT)
		store_txn_fail(t, error);
	return (error == 0);
}

/* Call fn for each child name of path in creation order. */
int
store_list(struct store_txn *t, const char *path, store_child_fn *fn,
    void *arg)
{
	struct store_nrec	*n = &t->nr[0];
	size_t			 plen;
	bool			 nested;
	int			 error;

	if ((error = store_path_ok(path, &plen)) != 0 || fn == NULL)
		return (EINVAL);
	if ((error = store_txn_usable(t, false)) != 0)
		return (error);
	if ((error = store_node_find(t, path, plen, STORE_WANT_CGEN, n)) != 0)
		return (store_txn_fail(t, error));
	if (t->xs == NULL && n->nchildren == 0)
		return (0);
	nested = t->in_callback;
	t->in_callback = true;
	if (t->xs != NULL)
		error = store_xs_children(t, path, plen, fn, arg);
	else
		error = store_ndb_list(t, t->mt, n, fn, arg);
	t->in_callback = nested;
	if (error == EIO || error == ENOMEM)
		store_txn_fail(t, error);
	return (error);
}

/*
 * quota.c - per-domain quotas: their settings (command line, GET_QUOTA,
 * SET_QUOTA) and the checks of node requests.
 *
 * Quotas hold unprivileged domains only: dom0 and the priv domain have
 * none, as in Xen's daemon. A domain is held to the daemon's quotas
 * (-E, -S, -W, -t, -A, -M, -Q, -q, CONTROL "quota set", SET_QUOTA
 * without a domid) unless SET_QUOTA gave it its own. A quota of 0 is no
 * limit (docs/misc/xenstore.txt of later Xen).
 *
 * What each quota counts and answers, as probed on Xen's C xenstored
 * 4.17 with an unprivileged guest (each fact is a test in
 * tests/check_quota_guest.c):
 *
 *	nodes (-E)	the nodes a domain owns (perms[0]), its home
 *			included. A write that creates k nodes (the node
 *			and missing ancestors) fails with ENOSPC if
 *			owned + k > quota, and creates none of them: with
 *			-E 10 and only its home, a guest creates 9 nodes.
 *			Nodes dom0 creates for a domain count for it but
 *			are never refused.
 *	node-size (-S)	Xen's size of a node record: 24 bytes of header,
 *			8 per permission entry, the value, and the names of
 *			the children each with its NUL. A write fails with
 *			ENOSPC if the size of any node it writes would
 *			reach the quota: the node, each ancestor it
 *			creates, and the existing ancestor that gains a
 *			child. With -S 2048 a directory of one entry takes
 *			the children "n0" to "n424" and refuses "n425";
 *			with -S 200, a value of 167 bytes fits a node of
 *			one permission entry and 168 does not.
 *			SET_PERMS counts the new list the same way.
 *	permissions (-A) more entries than this in SET_PERMS: ENOSPC,
 *			checked before anything else of the request.
 *	path-max (-M)	in dispatch.c (request_path): EINVAL.
 *	watches (-W), transactions (-t): in watch.c and txn.c.
 *	memory (-Q)	the bytes of the nodes a domain owns, as the store
 *			counts them (store_owner_usage: values, 5 bytes
 *			per permission entry, names). A write that would
 *			bring them to the quota fails with ENOMEM; crossing
 *			the soft quota (-q memory) is logged. Xen counts
 *			its own record sizes, watches and queued replies,
 *			and answers EIO to the write that hits its quota.
 *	nodes in a transaction: a write that creates is refused only if the
 *			domain is at its quota already; TRANSACTION_END
 *			refuses (ENOSPC) a transaction that created nodes
 *			and leaves the domain at its quota or over it.
 *
 *	outstanding (-Q) requests whose replies are not yet all written to
 *			the connection: in conn.c, which stops taking a
 *			domain's requests while it has that many.
 *	transaction-nodes (-Q) the nodes a transaction holds: each node
 *			it read, found or not, listed or changed, counted
 *			once (store_txn_nodes). The request that would
 *			make it hold more fails with ENOSPC, and the
 *			transaction with it: "T" answers ENOMEM, "F" OK.
 *			Nodes it holds already may still be used. With
 *			-Q transaction-nodes=6, a guest's transaction
 *			reads 6 nodes and not a 7th; writes 5 new nodes
 *			of its home and not a 6th (the home is held too);
 *			reads 5 missing nodes (and the home, whose
 *			permissions decide between ENOENT and EACCES).
 *			An RM refused inside the subtree it removes, past
 *			the parent and the node, answers EIO, as Xen's
 *			daemon does when its walk of the subtree fails.
 *			Not as Xen: the nodes a refused request touched
 *			stay held, so later requests of the failed
 *			transaction may use them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

/* Xen's record of a node: a header, then 8 bytes per permission entry. */
#define QUOTA_NODE_HEAD		24
#define QUOTA_NODE_PERM		8

/* The store's count of a permission entry (store_owner_usage). */
#define QUOTA_USAGE_PERM	5

/* One quota as GET_QUOTA and SET_QUOTA name it. */
struct quota_name {
	const char	*name;
	size_t		 off;	/* in struct quota */
};

static int	quota_number(const char *, unsigned int *);
static bool	quota_node_too_big(const struct quota *, unsigned int,
		    uint64_t, uint64_t);
static uint64_t	quota_usage_bytes(uint32_t, unsigned int, size_t);
static int	quota_memory(struct request *, uint32_t, int64_t);
static const struct quota_name *quota_lookup(const char *);
static int	quota_domid(const char *, unsigned int *);
static int	quota_domain(struct xsdbd *, unsigned int,
		    const struct quota **);

/*
 * The quotas of GET_QUOTA and SET_QUOTA, in the order GET_QUOTA lists
 * them: the names of docs/misc/xenstore.txt ("nodes", "watches",
 * "transactions", "node-size", "permissions") and the others of Xen's
 * daemon. "node-permissions" is read as "permissions", as later Xen
 * names it.
 */
static const struct quota_name quota_names[] = {
	{ "nodes", offsetof(struct quota, entry_nb) },
	{ "watches", offsetof(struct quota, watch_nb) },
	{ "outstanding", offsetof(struct quota, outstanding) },
	{ "memory", offsetof(struct quota, memory) },
	{ "soft-memory", offsetof(struct quota, memory_soft) },
	{ "transactions", offsetof(struct quota, transactions) },
	{ "transaction-nodes", offsetof(struct quota, txn_nodes) },
	{ "permissions", offsetof(struct quota, perm_nb) },
	{ "path-max", offsetof(struct quota, path_max) },
	{ "node-size", offsetof(struct quota, entry_size) },
	{ "node-permissions", offsetof(struct quota, perm_nb) },
	{ NULL, 0 }
};
#define QUOTA_NLISTED	10	/* entries GET_QUOTA lists */

/* The defaults of Xen's C xenstored 4.17. */
void
quota_defaults(struct quota *q)
{
	memset(q, 0, sizeof *q);
	q->entry_nb = 1000;
	q->entry_size = 2048;
	q->watch_nb = 128;
	q->transactions = 10;
	q->perm_nb = 5;
	q->path_max = XS_REL_PATH_MAX;
	q->txn_nodes = 1024;
	q->memory = 2 * 1024 * 1024 + 512 * 1024;
	q->memory_soft = 2 * 1024 * 1024;
	q->outstanding = 20;
	q->watch_event_timeout = 20;
}

/* Parse a non-negative decimal number that fits an unsigned int. */
static int
quota_number(const char *s, unsigned int *out)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT_MAX)
		return EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* Parse "-Q what=nb" (soft false) or "-q what=nb" (soft true). */
int
quota_option(struct quota *q, const char *arg, bool soft)
{
	const char	*eq;
	size_t		 n;
	unsigned int	 v;

	if ((eq = strchr(arg, '=')) == NULL)
		return EINVAL;
	n = (size_t)(eq - arg);
	if (quota_number(eq + 1, &v) != 0)
		return EINVAL;
	if (soft) {
		if (n == 6 && strncmp(arg, "memory", n) == 0) {
			q->memory_soft = v;
			return 0;
		}
		return EINVAL;
	}
	if (n == 17 && strncmp(arg, "transaction-nodes", n) == 0)
		q->txn_nodes = v;
	else if (n == 6 && strncmp(arg, "memory", n) == 0)
		q->memory = v;
	else if (n == 11 && strncmp(arg, "outstanding", n) == 0)
		q->outstanding = v;
	else
		return EINVAL;
	return 0;
}

/* Parse "-w what=seconds". */
int
quota_timeout_option(struct quota *q, const char *arg)
{
	const char	*eq;
	unsigned int	 v;

	if ((eq = strchr(arg, '=')) == NULL)
		return EINVAL;
	if (quota_number(eq + 1, &v) != 0)
		return EINVAL;
	if ((size_t)(eq - arg) == 11 && strncmp(arg, "watch-event", 11) == 0) {
		q->watch_event_timeout = v;
		return 0;
	}
	return EINVAL;
}

/* The quotas the domain of a connection is held to. */
const struct quota *
quota_conn(const struct conn *c)
{
	return domain_quota(c->xd, c->domid);
}

/* True if no quota applies to the connection (dom0, the priv domain). */
bool
quota_exempt(const struct conn *c)
{
	return c->privileged;
}

/*
 * Would a node of nperms entries, vlen bytes of value and childbytes of
 * child names reach the node-size quota, as Xen sizes its record?
 */
static bool
quota_node_too_big(const struct quota *q, unsigned int nperms,
    uint64_t vlen, uint64_t childbytes)
{
	uint64_t	size;

	if (q->entry_size == 0)
		return false;
	size = QUOTA_NODE_HEAD + (uint64_t)nperms * QUOTA_NODE_PERM + vlen +
	    childbytes;
	return size >= q->entry_size;
}

/* What a node adds to its owner's usage bytes (store_owner_usage). */
static uint64_t
quota_usage_bytes(uint32_t vlen, unsigned int nperms, size_t namelen)
{
	return (uint64_t)vlen + (uint64_t)nperms * QUOTA_USAGE_PERM +
	    namelen + 1;
}

/*
 * Check the memory quota of the owner of a change of delta usage bytes,
 * by the owner's quotas: ENOMEM if it would bring the owner to its
 * quota. Crossing the soft quota is logged. Privileged owners are not
 * counted.
 */
static int
quota_memory(struct request *req, uint32_t owner, int64_t delta)
{
	struct xsdbd		*xd = req->xd;
	const struct quota	*q;
	struct store_usage	 u;
	uint64_t		 after;
	int			 rc;

	if (delta <= 0 || owner == 0 || owner == xd->opt.priv_domid)
		return 0;
	q = domain_quota(xd, owner);
	if (q->memory == 0 && q->memory_soft == 0)
		return 0;
	if ((rc = store_owner_usage(req->st, owner, &u)) != 0)
		return rc;
	after = u.bytes + (uint64_t)delta;
	if (q->memory != 0 && after >= q->memory)
		return ENOMEM;
	if (q->memory_soft != 0 && u.bytes < q->memory_soft &&
	    after >= q->memory_soft)
		log_warnx("domain %u exceeds its soft memory quota (%u "
		    "bytes)", owner, q->memory_soft);
	return 0;
}

/*
 * May the request write a value of vlen bytes at path (old is the node
 * there, or NULL if the write creates it)? Returns 0, ENOSPC (nodes,
 * node size), ENOMEM (memory), or a store error.
 */
int
quota_check_write(struct request *req, const char *path,
    const struct store_node *old, uint32_t vlen)
{
	const struct quota	*q;
	struct store_node	 anc;
	struct store_usage	 u;
	struct store_txn	*view;
	char			*parent, *up;
	const char		*s;
	size_t			 sz, len;
	unsigned int		 created = 1, nperms;
	uint64_t		 bytes = 0;
	int			 rc;

	if (quota_exempt(req->conn))
		return 0;
	q = quota_conn(req->conn);
	if (old != NULL) {
		if (quota_node_too_big(q, old->nperms, vlen, old->childbytes))
			return ENOSPC;
		return quota_memory(req, old->perms[0].domid,
		    (int64_t)vlen - (int64_t)old->vlen);
	}

	/* A new node: find the nearest ancestor that exists. */
	sz = strlen(path) + 1;
	if ((parent = request_alloc(req, sz)) == NULL ||
	    (up = request_alloc(req, sz)) == NULL)
		return ENOMEM;
	if (xs_path_parent(path, parent, sz) != 0)
		return EINVAL;
	while ((rc = store_get(req->st, parent, &anc)) == ENOENT) {
		if (xs_path_parent(parent, up, sz) != 0)
			return EIO;	/* the root always exists */
		memcpy(parent, up, strlen(up) + 1);
		created++;
	}
	if (rc != 0)
		return rc;

	/*
	 * Only anc's numbers are used below: they outlive store calls.
	 * Inside a transaction, as in Xen, only a domain at its quota
	 * already is refused here; the end of the transaction checks the
	 * rest (quota_txn_apply).
	 */
	if (q->entry_nb != 0) {
		if (req->txn == NULL)
			rc = store_owner_usage(req->st, req->conn->domid, &u);
		else if ((rc = group_read_txn(req->xd, &view)) == 0)
			rc = store_owner_usage(view, req->conn->domid, &u);
		if (rc != 0)
			return rc;
		if (req->txn == NULL && u.nodes + created > q->entry_nb)
			return ENOSPC;
		if (req->txn != NULL && u.nodes >= q->entry_nb)
			return ENOSPC;
	}

	/*
	 * The nodes created, "/n1/.../nk" after the ancestor, take its
	 * permissions; each but nk holds one child. The ancestor gains n1.
	 */
	nperms = anc.nperms;
	s = strcmp(parent, "/") == 0 ? path + 1 : path + strlen(parent) + 1;
	if (quota_node_too_big(q, anc.nperms, anc.vlen,
	    (uint64_t)anc.childbytes + strcspn(s, "/") + 1))
		return ENOSPC;
	for (;;) {
		len = strcspn(s, "/");
		if (s[len] == '\0') {
			if (quota_node_too_big(q, nperms, vlen, 0))
				return ENOSPC;
			bytes += quota_usage_bytes(vlen, nperms, len);
			break;
		}
		if (quota_node_too_big(q, nperms, 0,
		    (uint64_t)strcspn(s + len + 1, "/") + 1))
			return ENOSPC;
		bytes += quota_usage_bytes(0, nperms, len);
		s += len + 1;
	}
	return quota_memory(req, req->conn->domid, (int64_t)bytes);
}

/*
 * Run a request in its transaction (req->st) and hold the transaction to
 * the quota of nodes it may hold. Returns the handler's result, or the
 * error of a request that made it hold more; the transaction is then
 * failed. What the request did in it stays, as the transaction can only
 * be dropped now.
 */
int
quota_txn_request(struct request *req)
{
	struct conn	*c = req->conn;
	size_t		 before, after, head;
	unsigned int	 max;
	int		 rc;

	before = store_txn_nodes(req->st);
	rc = req->entry->handler(req);
	/* TRANSACTION_END has ended req->st. */
	if (req->hdr.type == XS_TRANSACTION_END || quota_exempt(c) ||
	    (max = quota_conn(c)->txn_nodes) == 0)
		return rc;
	after = store_txn_nodes(req->st);
	if (after <= before || after <= max)
		return rc;
	req->txn->failed = true;
	req->replied = false;
	/* Xen's RM holds the parent and the node before the subtree. */
	head = after - before < 2 ? after - before : 2;
	if (req->hdr.type == XS_RM && before + head <= max)
		return EIO;
	return ENOSPC;
}

/*
 * Apply the transaction xs of the request (TRANSACTION_END "T") to w, as
 * store_txn_apply does, then hold the domain to its node quota as Xen
 * does at the end of a transaction: if the transaction created nodes
 * and the domain now owns as many as its quota or more, ENOSPC (the
 * caller drops w's changes). Note the limit is reached one node earlier
 * than outside a transaction, as with Xen.
 */
int
quota_txn_apply(struct request *req, struct store_txn *xs,
    struct store_txn *w)
{
	const struct quota	*q;
	struct store_usage	 before, after;
	int			 rc;

	if (quota_exempt(req->conn) ||
	    (q = quota_conn(req->conn))->entry_nb == 0)
		return store_txn_apply(xs, w);
	if ((rc = store_owner_usage(w, req->conn->domid, &before)) != 0)
		return rc;
	if ((rc = store_txn_apply(xs, w)) != 0)
		return rc;
	if ((rc = store_owner_usage(w, req->conn->domid, &after)) != 0)
		return rc;
	if (after.nodes > before.nodes && after.nodes >= q->entry_nb)
		return ENOSPC;
	return 0;
}

/*
 * May an unprivileged connection give a node n permission entries?
 * ENOSPC over the permissions quota.
 */
int
quota_check_nperms(struct request *req, unsigned int n)
{
	const struct quota	*q;

	if (quota_exempt(req->conn))
		return 0;
	q = quota_conn(req->conn);
	if (q->perm_nb != 0 && n > q->perm_nb)
		return ENOSPC;
	return 0;
}

/*
 * May the request replace the permissions of node with n entries? The
 * node's size grows or shrinks with them (ENOSPC), and so does its
 * owner's memory (ENOMEM).
 */
int
quota_check_set_perms(struct request *req, const struct store_node *node,
    unsigned int n)
{
	const struct quota	*q;

	if (quota_exempt(req->conn))
		return 0;
	q = quota_conn(req->conn);
	if (quota_node_too_big(q, n, node->vlen, node->childbytes))
		return ENOSPC;
	return quota_memory(req, node->perms[0].domid,
	    ((int64_t)n - (int64_t)node->nperms) * QUOTA_USAGE_PERM);
}

/* The entry of a quota name, or NULL. */
static const struct quota_name *
quota_lookup(const char *name)
{
	const struct quota_name	*qn;

	for (qn = quota_names; qn->name != NULL; qn++) {
		if (strcmp(qn->name, name) == 0)
			return qn;
	}
	return NULL;
}

/*
 * A domid of GET_QUOTA or SET_QUOTA, read as later Xen reads it: decimal,
 * nothing after, at most 65535. Returns 0 or EINVAL.
 */
static int
quota_domid(const char *s, unsigned int *domid)
{
	if (quota_number(s, domid) != 0 || *domid > 65535)
		return EINVAL;
	return 0;
}

/*
 * The quotas of a domain for GET_QUOTA and SET_QUOTA. Returns 0, or
 * ENOENT for a domain that neither the daemon nor Xen knows.
 */
static int
quota_domain(struct xsdbd *xd, unsigned int domid, const struct quota **q)
{
	enum xen_domstate	st;

	if (domid != 0 && domain_find(xd, domid) == NULL &&
	    (xen_domain_state(xd, domid, &st) != 0 || st == XEN_DOM_GONE))
		return ENOENT;
	*q = domain_quota(xd, domid);
	return 0;
}

/*
 * GET_QUOTA "" lists the quota names, blank-separated; "name\0" gives
 * the daemon's value, "domid\0name\0" a domain's. Unknown names are
 * EINVAL, unknown domains ENOENT.
 */
int
op_get_quota(struct request *req)
{
	const struct quota_name	*qn;
	const struct quota	*q = &req->xd->quota;
	const char		*name;
	char			 buf[256];
	unsigned int		 n, domid, i;
	size_t			 len = 0;
	int			 rc;

	n = xs_wire_count_strings(req->data, req->len);
	if (n > 2)
		return EINVAL;
	if (n == 0) {
		for (i = 0; i < QUOTA_NLISTED; i++) {
			len += (size_t)snprintf(buf + len, sizeof buf - len,
			    "%s%s", i == 0 ? "" : " ", quota_names[i].name);
		}
		return request_reply_str(req, buf);
	}
	name = req->data;
	if (n == 2) {
		if ((rc = quota_domid(req->data, &domid)) != 0)
			return rc;
		if ((rc = quota_domain(req->xd, domid, &q)) != 0)
			return rc;
		name += strlen(name) + 1;
	}
	if ((qn = quota_lookup(name)) == NULL)
		return EINVAL;
	snprintf(buf, sizeof buf, "%u",
	    *(const unsigned int *)((const char *)q + qn->off));
	return request_reply_str(req, buf);
}

/*
 * SET_QUOTA "name\0value\0" sets the daemon's quota, the default of every
 * domain without quotas of its own; "domid\0name\0value\0" gives the
 * domain its own, starting from the daemon's. The value is decimal; 0 is
 * no limit. Domains already over a lowered quota keep what they have and
 * cannot take more.
 */
int
op_set_quota(struct request *req)
{
	const struct quota_name	*qn;
	const struct quota	*cur;
	struct quota		 nq;
	const char		*name, *value;
	unsigned int		 n, domid = 0, v;
	int			 rc;

	n = xs_wire_count_strings(req->data, req->len);
	if (n != 2 && n != 3)
		return EINVAL;
	name = req->data;
	if (n == 3) {
		if ((rc = quota_domid(req->data, &domid)) != 0)
			return rc;
		name += strlen(name) + 1;
	}
	value = name + strlen(name) + 1;
	if ((qn = quota_lookup(name)) == NULL ||
	    quota_number(value, &v) != 0)
		return EINVAL;
	if (qn->off == offsetof(struct quota, path_max) &&
	    (v == 0 || v > XS_REL_PATH_MAX))
		v = XS_REL_PATH_MAX;	/* the protocol's limit holds */

	if (n == 2) {
		*(unsigned int *)((char *)&req->xd->quota + qn->off) = v;
		log_info("quota %s set to %u", qn->name, v);
		return request_ack(req);
	}
	if ((rc = quota_domain(req->xd, domid, &cur)) != 0)
		return rc;
	nq = *cur;
	*(unsigned int *)((char *)&nq + qn->off) = v;
	if ((rc = domain_set_quota(req->xd, req->st, domid, &nq)) != 0)
		return rc;
	log_info("quota %s of domain %u set to %u", qn->name, domid, v);
	return request_ack(req);
}

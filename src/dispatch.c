/*
 * dispatch.c - from a framed request to its handler and back.
 *
 * The checks common to all requests run once, here, in the order of Xen's
 * C xenstored (process_message): a type that is not a request answers
 * ENOSYS (20, 65535 and everything over 26 included); a privileged type
 * from an unprivileged connection EACCES; a tx id that names no open
 * transaction of the connection ENOENT (WATCH and UNWATCH ignore the tx
 * id). Then the handler runs with req->st set to where it reads and
 * writes:
 *
 *	- inside a transaction: the transaction's STORE_TXN_XS;
 *	- a request that changes nodes: the group's write transaction,
 *	  where its failure (ENOSPC from a full map, a quota) is undone
 *	  alone while the rest of the group commits (group.c);
 *	- anything else: the group's view, which sees every write answered
 *	  before it.
 *
 * Each request owns its scratch memory (request_alloc), freed in one place
 * when the reply is queued.
 *
 * Permissions are decided in one place, request_access, by the rules of
 * Xen's C xenstored 4.17 (perm_for_conn), probed on the reference with
 * unprivileged guests:
 *
 *	- dom0 and the priv domain (--priv-domid) may do anything;
 *	- a domain "matches" an entry naming itself, the domain it acts for
 *	  (SET_TARGET: a stub domain and its guest), or XS_DOMID_ANY;
 *	- if it matches the first entry (the owner) it has every right,
 *	  changing the permissions included;
 *	- else the first later entry it matches gives its letter, and only
 *	  that one: for "n0 r6 w5", domain 6 acting for 5 may read but not
 *	  write, and for "n0 w5 r6" write but not read;
 *	- else the owner's letter is everyone's;
 *	- an entry holds only while the domain it names is the one it was
 *	  given to (XSA-322, XSA-417): the daemon must have known that
 *	  domain since the node's generation or before (domain.c's
 *	  domain_perm_live); an owner gone counts as the privileged domain,
 *	  an entry gone as absent (kept marked XS_PERM_IGNORE by the next
 *	  write of the node, see db/'s store_set_perm_live).
 *
 * A node the caller may not access answers EACCES. A node that does not
 * exist answers ENOENT if the nearest existing ancestor grants any of the
 * rights asked for, else EACCES, so that a guest learns nothing of what
 * lies below a node it may not see: reading /a/b/c with /a readable and
 * /a/b missing is ENOENT, with /a unreadable EACCES.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

static void	dispatch_init(struct request *, struct conn *,
		    const struct xs_header *, const char *);
static int	dispatch_run(struct request *);
static void	dispatch_finish(struct request *, int);
static void	request_free_scratch(struct request *);
static int	request_parent_access(struct request *, const char *,
		    unsigned int);
static bool	request_matches(const struct conn *, uint32_t);

/* The requests, indexed by type (Xen's wire_funcs). */
static const struct dispatch_entry dispatch_table[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { "CONTROL", op_control, DISPATCH_PRIV },
	[XS_DIRECTORY] = { "DIRECTORY", op_directory, DISPATCH_REDO },
	[XS_READ] = { "READ", op_read, DISPATCH_REDO },
	[XS_GET_PERMS] = { "GET_PERMS", op_get_perms, DISPATCH_REDO },
	[XS_WATCH] = { "WATCH", op_watch, DISPATCH_NOTID },
	[XS_UNWATCH] = { "UNWATCH", op_unwatch, DISPATCH_NOTID },
	[XS_TRANSACTION_START] = { "TRANSACTION_START",
	    op_transaction_start, 0 },
	[XS_TRANSACTION_END] = { "TRANSACTION_END", op_transaction_end,
	    DISPATCH_REDO },
	[XS_INTRODUCE] = { "INTRODUCE", op_introduce,
	    DISPATCH_PRIV | DISPATCH_WRITES | DISPATCH_GLOBAL },
	[XS_RELEASE] = { "RELEASE", op_release,
	    DISPATCH_PRIV | DISPATCH_WRITES | DISPATCH_GLOBAL },
	[XS_GET_DOMAIN_PATH] = { "GET_DOMAIN_PATH", op_get_domain_path, 0 },
	[XS_WRITE] = { "WRITE", op_write,
	    DISPATCH_WRITES | DISPATCH_REDO | DISPATCH_ATOMIC },
	[XS_MKDIR] = { "MKDIR", op_mkdir,
	    DISPATCH_WRITES | DISPATCH_REDO | DISPATCH_ATOMIC },
	[XS_RM] = { "RM", op_rm,
	    DISPATCH_WRITES | DISPATCH_REDO | DISPATCH_ATOMIC },
	[XS_SET_PERMS] = { "SET_PERMS", op_set_perms,
	    DISPATCH_WRITES | DISPATCH_REDO | DISPATCH_ATOMIC },
	[XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED",
	    op_is_domain_introduced, DISPATCH_PRIV },
	[XS_RESUME] = { "RESUME", op_resume,
	    DISPATCH_PRIV | DISPATCH_WRITES | DISPATCH_GLOBAL },
	[XS_SET_TARGET] = { "SET_TARGET", op_set_target,
	    DISPATCH_PRIV | DISPATCH_WRITES | DISPATCH_GLOBAL },
	[XS_RESET_WATCHES] = { "RESET_WATCHES", op_reset_watches, 0 },
	[XS_DIRECTORY_PART] = { "DIRECTORY_PART", op_directory_part,
	    DISPATCH_REDO },
	[XS_GET_FEATURE] = { "GET_FEATURE", op_get_feature, 0 },
	[XS_SET_FEATURE] = { "SET_FEATURE", op_set_feature,
	    DISPATCH_PRIV | DISPATCH_WRITES | DISPATCH_GLOBAL },
	[XS_GET_QUOTA] = { "GET_QUOTA", op_get_quota, DISPATCH_PRIV },
	[XS_SET_QUOTA] = { "SET_QUOTA", op_set_quota,
	    DISPATCH_PRIV | DISPATCH_WRITES | DISPATCH_GLOBAL },
};

/* The table entry of a type, or NULL if the type is not a request. */
const struct dispatch_entry *
dispatch_entry(uint32_t type)
{
	if (type >= XS_TYPE_COUNT || dispatch_table[type].handler == NULL)
		return NULL;
	return &dispatch_table[type];
}

/* Set up a request. */
static void
dispatch_init(struct request *req, struct conn *c, const struct xs_header *h,
    const char *payload)
{
	memset(req, 0, sizeof *req);
	req->xd = c->xd;
	req->conn = c;
	req->hdr = *h;
	req->data = payload;
	req->len = h->len;
	req->rbuf = c->xd->replybuf;
	req->entry = dispatch_entry(h->type);
	req->chg_begin = c->xd->group.nchg;
}

/* Handle one request of c; payload has a NUL after its h->len bytes. */
void
dispatch(struct conn *c, const struct xs_header *h, const char *payload)
{
	struct xsdbd	*xd = c->xd;
	struct request	 req;
	bool		 alone = false;
	int		 rc;

	xd->requests++;
	if (xd->trace != NULL)
		trace_in(xd, c, h, payload);

	dispatch_init(&req, c, h, payload);
	if (req.entry == NULL) {
		rc = ENOSYS;
		goto done;
	}
	if ((req.entry->flags & DISPATCH_PRIV) && !c->privileged) {
		rc = EACCES;
		goto done;
	}
	if (!(req.entry->flags & DISPATCH_NOTID) && h->tx_id != 0) {
		if ((req.txn = txn_find(c, h->tx_id)) == NULL) {
			rc = ENOENT;
			goto done;
		}
	}

	/*
	 * A write with effects outside the store cannot run again: it runs
	 * in a group of its own.
	 */
	alone = (req.entry->flags & (DISPATCH_WRITES | DISPATCH_REDO)) ==
	    DISPATCH_WRITES;
	if (alone)
		group_split(xd);
	rc = dispatch_run(&req);
	if (rc == ENOSPC && req.in_group && !alone &&
	    (req.entry->flags & DISPATCH_WRITES)) {
		/*
		 * The map may be full: commit what the turn has so far, so
		 * that the store can grow its map, and try once more.
		 */
		group_split(xd);
		req.replied = false;
		req.chg_begin = xd->group.nchg;
		rc = dispatch_run(&req);
	}
done:
	dispatch_finish(&req, rc);
	if (alone)
		group_split(xd);
}

/*
 * Run again a request whose group failed to commit for a full map (see
 * group.c). Its checks passed the first time; a TRANSACTION_END finds its
 * transaction in the message.
 */
void
dispatch_redo(struct xsdbd *xd, const struct group_msg *m,
    const char *request)
{
	struct request		req;
	struct xs_header	h;
	char			payload[XS_PAYLOAD_MAX + 1];

	xs_wire_header_decode(request, &h);
	memcpy(payload, request + XS_HEADER_SIZE, h.len);
	payload[h.len] = '\0';
	dispatch_init(&req, m->conn, &h, payload);
	req.txn = m->txn;
	dispatch_finish(&req, dispatch_run(&req));
}

/* Pick the request's store transaction and run its handler. */
static int
dispatch_run(struct request *req)
{
	struct xsdbd	*xd = req->xd;
	int		 flags = req->entry->flags, rc;
	bool		 redo_req;

	if (req->txn != NULL && !(flags & DISPATCH_GLOBAL)) {
		/*
		 * A transaction that outlived its time has no snapshot:
		 * everything but its end answers EAGAIN.
		 */
		/* One carried across a live update runs its log first. */
		if (req->txn->lu != NULL &&
		    (rc = lu_txn_resume(req->txn)) != 0)
			return rc;
		if (req->txn->st == NULL &&
		    req->hdr.type != XS_TRANSACTION_END)
			return EAGAIN;
		req->st = req->txn->st;
		req->in_group = false;
		/* What a TRANSACTION_END writes to the group can run again. */
		redo_req = xd->group.redo_req;
		xd->group.redo_req = (flags & DISPATCH_REDO) != 0;
		rc = quota_txn_request(req);
		xd->group.redo_req = redo_req;
		return rc;
	}
	if (flags & DISPATCH_ATOMIC) {
		req->in_group = true;
		if ((rc = group_atomic_begin(xd, &req->st)) != 0)
			return rc;
		rc = req->entry->handler(req);
		return group_write_end(xd, rc);
	}
	if (flags & DISPATCH_WRITES) {
		req->in_group = true;
		if ((rc = group_write_begin(xd, &req->st)) != 0)
			return rc;
		rc = req->entry->handler(req);
		return group_write_end(xd, rc);
	}
	if ((rc = group_read_txn(xd, &req->st)) != 0)
		return rc;
	/* A read that saw the turn's writes waits for their commit. */
	req->in_group = (flags & DISPATCH_REDO) && req->st == xd->group.wtxn;
	return req->entry->handler(req);
}

/* Queue the reply or the error of a request and free its memory. */
static void
dispatch_finish(struct request *req, int rc)
{
	struct xsdbd		*xd = req->xd;
	struct xs_header	 h;
	const char		*name;
	int			 qrc;

	/* A transaction's requests are logged for a live update. */
	if (req->txn != NULL)
		lu_txn_note(req, rc);
	request_free_scratch(req);
	if (req->sent)
		return;
	if (rc == 0 && !req->replied) {
		log_warnx("%s: handler gave no reply", req->entry != NULL ?
		    req->entry->name : "?");
		rc = EIO;
	}
	h.req_id = req->hdr.req_id;
	h.tx_id = req->hdr.tx_id;
	if (rc != 0) {
		name = xs_wire_error_name(rc);
		h.type = XS_ERROR;
		h.len = (uint32_t)strlen(name) + 1;
		qrc = group_add_msg(xd, req->conn, &h, name, req);
	} else {
		h.type = req->rtype;
		h.len = req->rlen;
		qrc = group_add_msg(xd, req->conn, &h, req->rbuf, req);
	}
	if (qrc != 0)
		conn_kill(req->conn, "out of memory for a reply");
}

/*
 * Set the reply of the request: type is the request's. Returns E2BIG if
 * it is over XS_PAYLOAD_MAX (the handler returns that as its error).
 */
int
request_reply(struct request *req, const void *data, size_t len)
{
	if (len > XS_PAYLOAD_MAX)
		return E2BIG;
	if (len > 0 && data != req->rbuf)
		memmove(req->rbuf, data, len);
	req->rtype = req->hdr.type;
	req->rlen = (uint32_t)len;
	req->replied = true;
	return 0;
}

/* Reply with a string and its NUL. */
int
request_reply_str(struct request *req, const char *s)
{
	return request_reply(req, s, strlen(s) + 1);
}

/* Reply "OK". */
int
request_ack(struct request *req)
{
	return request_reply(req, "OK", 3);
}

/*
 * Queue the reply now rather than when the handler returns, so that a
 * message queued afterwards (the first event of a WATCH) follows it.
 */
void
request_flush(struct request *req)
{
	struct xs_header	h;

	if (!req->replied || req->sent)
		return;
	h.type = req->rtype;
	h.req_id = req->hdr.req_id;
	h.tx_id = req->hdr.tx_id;
	h.len = req->rlen;
	if (group_add_msg(req->xd, req->conn, &h, req->rbuf, req) != 0)
		conn_kill(req->conn, "out of memory for a reply");
	req->sent = true;
}

/* Scratch memory for the request, freed with it. NULL if out of memory. */
void *
request_alloc(struct request *req, size_t len)
{
	struct scratch	*s;

	if (len > SIZE_MAX - sizeof *s)
		return NULL;
	if ((s = malloc(sizeof *s + len)) == NULL)
		return NULL;
	s->next = req->scratch;
	req->scratch = s;
	return s->data;
}

/* Free the request's scratch memory. */
static void
request_free_scratch(struct request *req)
{
	struct scratch	*s;

	while ((s = req->scratch) != NULL) {
		req->scratch = s->next;
		free(s);
	}
}

/*
 * The one string of a payload that must hold exactly one, ending at its
 * end (Xen's onearg), or NULL.
 */
const char *
request_onearg(const struct request *req)
{
	if (req->len == 0 || strlen(req->data) + 1 != req->len)
		return NULL;
	return req->data;
}

/*
 * Canonicalize a path of the request: relative paths are under the
 * connection's domain home; the length past /local/domain/<id>/ may not
 * exceed the path-length quota of the connection's domain (-M,
 * SET_QUOTA), which holds for dom0 too in Xen's daemon. *out is scratch
 * memory. Returns 0, EINVAL or ENOMEM.
 */
int
request_path(struct request *req, const char *path, int flags, char **out)
{
	char		*p;
	size_t		 len, size;
	unsigned int	 max;

	if (path == NULL)
		return EINVAL;
	/*
	 * Room for the result only, not for the longest path: a relative
	 * path grows by its home, "/local/domain/<domid>/". A path too long
	 * for the protocol fails in xs_path_canonical all the same.
	 */
	len = strnlen(path, XS_ABS_PATH_MAX + 1);
	size = len + 1;
	if (path[0] != '/' && path[0] != '@')
		size += sizeof("/local/domain/4294967295/");
	if ((p = request_alloc(req, size)) == NULL)
		return ENOMEM;
	if (xs_path_canonical(path, req->conn->domid, flags, p, size) != 0)
		return EINVAL;
	max = quota_conn(req->conn)->path_max;
	if (max == 0 || max > XS_REL_PATH_MAX)
		max = XS_REL_PATH_MAX;
	if (p[0] == '/' && xs_path_quota_len(p) > max)
		return EINVAL;
	*out = p;
	return 0;
}

/* True if a permission entry for domid applies to the connection. */
static bool
request_matches(const struct conn *c, uint32_t domid)
{
	return domid == c->domid || domid == XS_DOMID_ANY ||
	    (c->target != UINT_MAX && domid == c->target);
}

/*
 * The rights a connection has to a node with this permission list:
 * XS_PERM_READ, XS_PERM_WRITE and REQUEST_OWNER bits (Xen's
 * perm_for_conn, see the top of the file).
 */
unsigned int
request_access(const struct conn *c, const struct xs_perm *perms,
    unsigned int n, uint64_t gen)
{
	unsigned int	i;

	if (c->privileged)
		return XS_PERM_BOTH | REQUEST_OWNER;
	if (n == 0)
		return XS_PERM_NONE;
	if (request_matches(c, perms[0].domid) &&
	    domain_perm_live(c->xd, perms[0].domid, gen))
		return XS_PERM_BOTH | REQUEST_OWNER;
	for (i = 1; i < n; i++) {
		if ((perms[i].access & XS_PERM_IGNORE) == 0 &&
		    request_matches(c, perms[i].domid) &&
		    domain_perm_live(c->xd, perms[i].domid, gen))
			return perms[i].access & XS_PERM_BOTH;
	}
	return perms[0].access & XS_PERM_BOTH;
}

/*
 * The permission check of the daemon: may the request's connection have
 * every right in want (XS_PERM_READ, XS_PERM_WRITE, REQUEST_OWNER) on the
 * node?
 */
bool
request_can(const struct request *req, const struct store_node *node,
    unsigned int want)
{
	unsigned int	acc;

	acc = request_access(req->conn, node->perms, node->nperms, node->gen);
	return (acc & want) == want;
}

/*
 * For a node that does not exist: may the connection know that? Xen asks
 * the nearest existing ancestor and answers ENOENT if it grants any of
 * the rights wanted, else EACCES.
 */
static int
request_parent_access(struct request *req, const char *path,
    unsigned int want)
{
	struct store_node	 node;
	char			*p, *q, *t;
	size_t			 sz = strlen(path) + 1;
	int			 rc;

	if (req->conn->privileged)
		return ENOENT;
	if ((p = request_alloc(req, sz)) == NULL ||
	    (q = request_alloc(req, sz)) == NULL)
		return ENOMEM;
	memcpy(p, path, sz);
	while (xs_path_parent(p, q, sz) == 0) {
		t = p;
		p = q;
		q = t;
		rc = store_get(req->st, p, &node);
		if (rc == ENOENT)
			continue;
		if (rc != 0)
			return rc;
		return (request_access(req->conn, node.perms, node.nperms,
		    node.gen) &
		    want) != 0 ? ENOENT : EACCES;
	}
	return EACCES;
}

/*
 * Read the node at an absolute path for an access. Returns 0, ENOENT,
 * EACCES, or a store error.
 */
int
request_get(struct request *req, const char *path, unsigned int want,
    struct store_node *node)
{
	int	rc;

	rc = store_get(req->st, path, node);
	if (rc == ENOENT)
		return request_parent_access(req, path, want);
	if (rc != 0)
		return rc;
	if (!request_can(req, node, want))
		return EACCES;
	return 0;
}

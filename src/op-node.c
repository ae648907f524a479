/*
 * op-node.c - the requests on nodes: READ, WRITE, MKDIR, RM, DIRECTORY,
 * DIRECTORY_PART, GET_PERMS, SET_PERMS.
 *
 * Payloads, errors and replies are those of Xen's C xenstored 4.17, as
 * probed on the reference daemon (each case is a test in
 * tests/check_daemon.c):
 *
 *	- READ, MKDIR, RM, DIRECTORY, GET_PERMS take exactly one string
 *	  ending the payload ("path\0"); anything else is EINVAL.
 *	- WRITE is "path\0value": the value is every byte after the first
 *	  NUL and may be empty or hold NULs; no NUL at all is EINVAL.
 *	- A path with a character outside [A-Za-z0-9/_@-], "//", a trailing
 *	  "/", or longer than the path quota (-M, 2048 bytes past
 *	  /local/domain/<id>/) is EINVAL; special "@" paths are EINVAL
 *	  everywhere here but in SET_PERMS.
 *	- MKDIR of an existing node and RM of a missing node whose parent
 *	  exists answer OK and change nothing; RM of a node whose parent is
 *	  missing answers ENOENT; RM of "/" is EINVAL.
 *	- A reply over 4096 bytes (DIRECTORY of a big node) is E2BIG.
 *	- DIRECTORY_PART is "path\0offset\0" (exactly two strings, EINVAL
 *	  otherwise; the offset read as atoi does). It answers
 *	  "<generation>\0" then the names from that byte offset of the
 *	  child list, as many whole names as fit, and one more empty string
 *	  when the list ends there. An offset at or past the end answers
 *	  "<generation>\0\0". The generation changes whenever the node or
 *	  its list of children does.
 *	- SET_PERMS is "path\0perm\0perm\0...": at least one entry (EINVAL),
 *	  bytes after the last NUL are ignored; it may name @introduceDomain
 *	  and @releaseDomain, whose permissions decide who sees their
 *	  events. An unprivileged caller is held to the permissions quota
 *	  first (ENOSPC, before the entries or the path are looked at); an
 *	  owner that is no domain Xen knows is ENOENT (with --xen=none,
 *	  where there is no Xen to ask, every domain is taken to exist);
 *	  must own the node (EACCES; a domain acting for the owner through
 *	  SET_TARGET does) and may not give it away (EPERM). For a special
 *	  path, a name that is not one of the two and a caller that does
 *	  not own it both answer ENOENT, as the reference does.
 *	- A WRITE or MKDIR fires one event, on the named path, even if it
 *	  created missing ancestors: watches on those ancestors match it.
 *
 * Rights (dispatch.c decides them): READ, DIRECTORY, DIRECTORY_PART and
 * GET_PERMS need read; WRITE and MKDIR need write on the node, or, to
 * create it, on its nearest existing ancestor, and MKDIR of an existing
 * node needs write too (EACCES); RM needs write on the node only (not on
 * its parent, nor on the nodes below it); SET_PERMS needs to own it.
 * Nodes an unprivileged domain creates are its own: they take the
 * permissions of their parent with the domain as owner. Quotas are
 * checked by quota.c before anything changes.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

/* Meta names under which the permissions of special paths are kept. */
#define OP_SPECIAL_META		"perms:"

struct op_dir {
	char		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 stop;	/* stop listing once len reaches this */
};

static uint32_t	op_owner(const struct request *);
static int	op_dir_add(void *, const char *, size_t);
static int	op_offset(const char *, unsigned int *);
static bool	op_special_known(const char *);
static bool	op_domain_exists(struct xsdbd *, uint32_t);
static int	op_know_domains(struct request *, struct xs_perm *,
		    unsigned int);
static int	op_owner_settled(struct request *, struct store_node *);
static int	op_set_special_perms(struct request *, const char *,
		    const struct xs_perm *, unsigned int);

/* Owner of the nodes a request creates: unprivileged domains own them. */
static uint32_t
op_owner(const struct request *req)
{
	return req->conn->privileged ? STORE_OWNER_INHERIT : req->conn->domid;
}

/* READ "path\0": the value. */
int
op_read(struct request *req)
{
	struct store_node	 node;
	char			*path;
	int			 rc;

	if ((rc = request_path(req, request_onearg(req), 0, &path)) != 0)
		return rc;
	if ((rc = request_get(req, path, XS_PERM_READ, &node)) != 0)
		return rc;
	return request_reply(req, node.value, node.vlen);
}

/* WRITE "path\0value": write, creating the node and its ancestors. */
int
op_write(struct request *req)
{
	struct store_node	 node;
	const char		*arg;
	const void		*value;
	uint32_t		 vlen;
	char			*path;
	int			 rc;

	if (xs_wire_split_first(req->data, req->len, &arg, &value,
	    &vlen) != 0)
		return EINVAL;
	if ((rc = request_path(req, arg, 0, &path)) != 0)
		return rc;
	rc = request_get(req, path, XS_PERM_WRITE, &node);
	if (rc != 0 && rc != ENOENT)
		return rc;
	if ((rc = quota_check_write(req, path, rc == 0 ? &node : NULL,
	    vlen)) != 0)
		return rc;
	if ((rc = store_write(req->st, path, value, vlen, op_owner(req),
	    NULL)) != 0)
		return rc;
	group_trim_changes(req->xd, path);
	return request_ack(req);
}

/* MKDIR "path\0": create an empty node unless it exists. */
int
op_mkdir(struct request *req)
{
	struct store_node	 node;
	char			*path;
	int			 rc;

	if ((rc = request_path(req, request_onearg(req), 0, &path)) != 0)
		return rc;
	rc = request_get(req, path, XS_PERM_WRITE, &node);
	if (rc == 0)
		return request_ack(req);
	if (rc != ENOENT)
		return rc;
	if ((rc = quota_check_write(req, path, NULL, 0)) != 0)
		return rc;
	if ((rc = store_mkdir(req->st, path, op_owner(req), NULL)) != 0)
		return rc;
	group_trim_changes(req->xd, path);
	return request_ack(req);
}

/* RM "path\0": remove a node and everything below it. */
int
op_rm(struct request *req)
{
	struct store_node	 node;
	char			*path, *parent;
	int			 rc;

	if ((rc = request_path(req, request_onearg(req), 0, &path)) != 0)
		return rc;
	rc = request_get(req, path, XS_PERM_WRITE, &node);
	if (rc == ENOENT) {
		/* Already gone: fine if its parent is there. */
		if ((parent = request_alloc(req, strlen(path) + 1)) == NULL)
			return ENOMEM;
		if (xs_path_parent(path, parent, strlen(path) + 1) != 0)
			return ENOENT;
		if (!store_exists(req->st, parent))
			return ENOENT;
		return request_ack(req);
	}
	if (rc != 0)
		return rc;
	if (strcmp(path, "/") == 0)
		return EINVAL;
	if ((rc = store_rm(req->st, path, NULL)) != 0)
		return rc;
	return request_ack(req);
}

/* store_list callback: append a name and its NUL. */
static int
op_dir_add(void *arg, const char *name, size_t len)
{
	struct op_dir	*d = arg;

	if (d->len + len + 1 > d->cap)
		return E2BIG;
	memcpy(d->buf + d->len, name, len);
	d->buf[d->len + len] = '\0';
	d->len += len + 1;
	if (d->stop != 0 && d->len >= d->stop)
		return -1;	/* enough */
	return 0;
}

/* DIRECTORY "path\0": the names of the children, each with its NUL. */
int
op_directory(struct request *req)
{
	struct store_node	 node;
	struct op_dir		 d;
	char			*path;
	int			 rc;

	if ((rc = request_path(req, request_onearg(req), 0, &path)) != 0)
		return rc;
	if ((rc = request_get(req, path, XS_PERM_READ, &node)) != 0)
		return rc;
	if (node.childbytes > XS_PAYLOAD_MAX)
		return E2BIG;
	d.buf = req->rbuf;
	d.len = 0;
	d.cap = XS_PAYLOAD_MAX;
	d.stop = 0;
	if ((rc = store_list(req->st, path, op_dir_add, &d)) != 0)
		return rc;
	return request_reply(req, d.buf, d.len);
}

/*
 * The offset of DIRECTORY_PART, read as C's atoi reads it: leading
 * spaces, a sign, digits, anything after ignored; a negative offset is
 * past any list, as in Xen's daemon where it becomes a huge unsigned.
 */
static int
op_offset(const char *s, unsigned int *off)
{
	long long	v = 0;
	bool		neg = false;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = (*s++ == '-');
	while (*s >= '0' && *s <= '9' && v <= UINT_MAX)
		v = v * 10 + (*s++ - '0');
	if (neg && v != 0)
		*off = UINT_MAX;
	else
		*off = v > UINT_MAX ? UINT_MAX : (unsigned int)v;
	return 0;
}

/* DIRECTORY_PART "path\0offset\0": a slice of the child list. */
int
op_directory_part(struct request *req)
{
	struct store_node	 node;
	struct op_dir		 d;
	char			 gen[24], *path;
	const char		*child;
	unsigned int		 off;
	size_t			 genlen, len, maxlen, clen;
	int			 rc;

	if (xs_wire_count_strings(req->data, req->len) != 2)
		return EINVAL;
	if ((rc = request_path(req, req->data, 0, &path)) != 0)
		return rc;
	if ((rc = request_get(req, path, XS_PERM_READ, &node)) != 0)
		return rc;
	op_offset(req->data + strlen(req->data) + 1, &off);

	genlen = (size_t)snprintf(gen, sizeof gen, "%" PRIu64,
	    node.gen > node.cgen ? node.gen : node.cgen) + 1;
	memcpy(req->rbuf, gen, genlen);
	if (off >= node.childbytes) {
		req->rbuf[genlen] = '\0';
		return request_reply(req, req->rbuf, genlen + 1);
	}

	/* The list up to where a reply can reach, plus one whole name. */
	d.cap = (size_t)off + XS_PAYLOAD_MAX + XS_ABS_PATH_MAX + 2;
	if (d.cap > node.childbytes)
		d.cap = node.childbytes;
	if ((d.buf = request_alloc(req, d.cap)) == NULL)
		return ENOMEM;
	d.len = 0;
	d.stop = (size_t)off + XS_PAYLOAD_MAX;
	rc = store_list(req->st, path, op_dir_add, &d);
	if (rc != 0 && rc != -1 && rc != E2BIG)
		return rc;
	if (off >= d.len)
		return EIO;	/* the list disagrees with childbytes */

	/* Whole names from the offset while they fit (Xen's loop). */
	len = 0;
	maxlen = XS_PAYLOAD_MAX - genlen - 1;
	child = d.buf + off;
	for (;;) {
		clen = strnlen(child, d.len - off - len);
		if (len + clen >= maxlen || off + len + clen >= d.len)
			break;
		len += clen + 1;
		child += clen + 1;
		if (off + len == node.childbytes)
			break;
	}
	memcpy(req->rbuf + genlen, d.buf + off, len);
	if (off + len == node.childbytes)
		req->rbuf[genlen + len++] = '\0';
	return request_reply(req, req->rbuf, genlen + len);
}

/* GET_PERMS "path\0": the permission list, each entry with its NUL. */
int
op_get_perms(struct request *req)
{
	struct store_node	 node;
	char			*path;
	size_t			 len;
	int			 rc;

	if ((rc = request_path(req, request_onearg(req), 0, &path)) != 0)
		return rc;
	if ((rc = request_get(req, path, XS_PERM_READ, &node)) != 0)
		return rc;
	if ((rc = op_owner_settled(req, &node)) != 0)
		return rc;
	len = xs_perm_format_list(node.perms, node.nperms, req->rbuf,
	    XS_PAYLOAD_MAX);
	if (len == 0)
		return E2BIG;
	return request_reply(req, req->rbuf, len);
}

/*
 * A node whose owner is gone is shown as the privileged domain's, as the
 * next write of the node will make it (domain.c's domain_perm_live).
 */
static int
op_owner_settled(struct request *req, struct store_node *node)
{
	struct xs_perm	*p;
	size_t		 size = node->nperms * sizeof *p;

	if (domain_perm_live(req->xd, node->perms[0].domid, node->gen))
		return 0;
	if ((p = request_alloc(req, size)) == NULL)
		return ENOMEM;
	memcpy(p, node->perms, size);
	p[0].domid = req->xd->opt.priv_domid;
	node->perms = p;
	return 0;
}

/* True for the special paths that have permissions. */
static bool
op_special_known(const char *path)
{
	return strcmp(path, "@introduceDomain") == 0 ||
	    strcmp(path, "@releaseDomain") == 0;
}

/*
 * The permissions of a special path: what SET_PERMS gave it, else dom0's
 * alone ("n0"), as Xen's daemon creates them. Returns 0, ENOENT for a
 * special path that has none, E2BIG if max is too small.
 */
int
op_special_perms(struct xsdbd *xd, struct store_txn *t, const char *path,
    struct xs_perm *perms, unsigned int max, unsigned int *n)
{
	char		 name[64];
	const void	*val;
	size_t		 len;

	if (!op_special_known(path))
		return ENOENT;
	snprintf(name, sizeof name, "%s%s", OP_SPECIAL_META, path);
	if (store_meta_get(t, name, &val, &len) != 0 || len == 0 ||
	    len % sizeof *perms != 0) {
		if (max < 1)
			return E2BIG;
		perms[0].domid = 0;
		perms[0].access = XS_PERM_NONE;
		*n = 1;
		return 0;
	}
	if (len / sizeof *perms > max)
		return E2BIG;
	memcpy(perms, val, len);
	*n = (unsigned int)(len / sizeof *perms);
	return 0;
}

/*
 * Replace the permissions of a special path outside a request (domain.c:
 * a domain that goes away loses its entries). Returns 0, ENOENT for a
 * path that is not special, or a store error.
 */
int
op_special_perms_put(struct store_txn *t, const char *path,
    const struct xs_perm *perms, unsigned int n)
{
	char	name[64];

	if (!op_special_known(path) || n == 0)
		return ENOENT;
	snprintf(name, sizeof name, "%s%s", OP_SPECIAL_META, path);
	return store_meta_put(t, name, perms, n * sizeof *perms);
}

/*
 * SET_PERMS on a special path: keep the list in the store's meta. The
 * caller must own the path's current list; the reference answers ENOENT
 * when it does not, as for a name that is not special.
 */
static int
op_set_special_perms(struct request *req, const char *path,
    const struct xs_perm *perms, unsigned int n)
{
	struct xs_perm	cur[XS_PERMS_MAX];
	char		name[64];
	unsigned int	ncur;
	int		rc;

	if (!op_special_known(path))
		return ENOENT;
	if ((rc = op_special_perms(req->xd, req->st, path, cur, XS_PERMS_MAX,
	    &ncur)) != 0)
		return rc;
	if ((request_access(req->conn, cur, ncur, REQUEST_GEN_ANY) &
	    (XS_PERM_WRITE | REQUEST_OWNER)) != (XS_PERM_WRITE | REQUEST_OWNER))
		return ENOENT;
	snprintf(name, sizeof name, "%s%s", OP_SPECIAL_META, path);
	if ((rc = store_meta_put(req->st, name, perms,
	    n * sizeof *perms)) != 0)
		return rc;
	group_note_change(req->xd, STORE_CHANGE_PERMS, path, NULL);
	return request_ack(req);
}

/*
 * May a permission list name domid as its owner? dom0, DOMID_ANY, the
 * domains the daemon knows and those Xen reports may; without Xen
 * (--xen=none) any may.
 */
static bool
op_domain_exists(struct xsdbd *xd, uint32_t domid)
{
	enum xen_domstate	st;

	if (domid == 0 || domid == XS_DOMID_ANY ||
	    domain_find(xd, domid) != NULL ||
	    !xen_has_domains(xd))
		return true;
	return xen_domain_state(xd, domid, &st) == 0 && st != XEN_DOM_GONE;
}

/* A domain for op_know_one, and whether Xen has it. */
struct op_know {
	uint32_t	domid;
	bool		absent;
};

/* group_store callback: domain.c's domain_know, ENOENT as an answer. */
static int
op_know_one(struct xsdbd *xd, struct store_txn *t, void *arg)
{
	struct op_know	*k = arg;
	int		 rc;

	rc = domain_know(xd, t, k->domid);
	k->absent = rc == ENOENT;
	return rc == ENOENT ? 0 : rc;
}

/*
 * The domains a new permission list names become known to the daemon
 * from now (domain.c's domain_know), so that the entries hold; an entry
 * for a domain Xen does not have is kept but ignored, as Xen's daemon
 * does, and can never pass to a domain made later with its domid. The
 * daemon's records are written outside the request's XS transaction,
 * if it has one: Xen's daemon knows the domain at once, too.
 */
static int
op_know_domains(struct request *req, struct xs_perm *perms, unsigned int n)
{
	struct op_know	k;
	unsigned int	i;
	int		rc;

	for (i = 0; i < n; i++) {
		if (domain_is_known(req->xd, perms[i].domid))
			continue;
		k.domid = perms[i].domid;
		if (req->txn != NULL)
			rc = group_store(req->xd, op_know_one, &k);
		else
			rc = op_know_one(req->xd, req->st, &k);
		if (rc != 0)
			return rc;
		if (k.absent && i > 0)
			perms[i].access |= XS_PERM_IGNORE;
		else if (k.absent)
			return ENOENT;
	}
	return 0;
}

/* SET_PERMS "path\0perm\0...": replace a node's permission list. */
int
op_set_perms(struct request *req)
{
	struct store_node	 node;
	struct xs_perm		*perms;
	const char		*s;
	char			*path;
	unsigned int		 n, i;
	int			 rc;

	n = xs_wire_count_strings(req->data, req->len);
	if (n < 2)
		return EINVAL;
	n--;
	if ((rc = quota_check_nperms(req, n)) != 0)
		return rc;
	if ((perms = request_alloc(req, n * sizeof *perms)) == NULL)
		return ENOMEM;
	s = req->data + strlen(req->data) + 1;
	for (i = 0; i < n; i++) {
		if (xs_perm_parse(s, &perms[i]) != 0)
			return EINVAL;
		s += strlen(s) + 1;
	}
	if (!op_domain_exists(req->xd, perms[0].domid))
		return ENOENT;
	if ((rc = request_path(req, req->data, XS_PATH_SPECIAL, &path)) != 0)
		return rc;
	if (path[0] == '@')
		return op_set_special_perms(req, path, perms, n);

	/* Only the owner may, and not to give the node away. */
	if ((rc = request_get(req, path, XS_PERM_WRITE | REQUEST_OWNER,
	    &node)) != 0)
		return rc;
	if (!req->conn->privileged && perms[0].domid != node.perms[0].domid)
		return EPERM;
	if ((rc = quota_check_set_perms(req, &node, n)) != 0)
		return rc;
	if ((rc = op_know_domains(req, perms, n)) != 0)
		return rc;
	if ((rc = store_set_perms(req->st, path, perms, n)) != 0)
		return rc;
	return request_ack(req);
}

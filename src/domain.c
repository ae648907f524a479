/*
 * domain.c - domains: INTRODUCE, RELEASE, RESUME, SET_TARGET,
 * GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, GET_FEATURE, SET_FEATURE; the
 * domain table kept in the store; the rings of introduced domains attached
 * again after a restart; the death of domains.
 *
 * Requests. Payloads and errors are those of Xen's C xenstored 4.17 as
 * the reference daemon answers them (each case a test in
 * tests/check_domain.c); a domid is read as atoi reads it ("abc" and ""
 * are 0, "5x" is 5, "-1" is 4294967295):
 *
 *	GET_DOMAIN_PATH "5\0" answers "/local/domain/5\0", for anyone. The
 *	payload must be one string ending it (EINVAL otherwise).
 *
 *	IS_DOMAIN_INTRODUCED "5\0" answers "T\0" or "F\0" (dom0 only, as
 *	every request below but GET_FEATURE). dom0 and DOMID_SELF (32752)
 *	are always introduced; a domain is from its INTRODUCE until its
 *	RELEASE or death, even while its ring is not served.
 *
 *	INTRODUCE "5\0mfn\0port\0" needs three strings at least (EINVAL);
 *	the port is read as atoi and 0 is EINVAL. The ring is mapped (grant
 *	1, or the mfn), the guest's port bound, the ring's queues emptied
 *	(as Xen resets them) and a connection made; then @introduceDomain
 *	fires, before the reply. An INTRODUCE of a domain already
 *	introduced answers OK and fires nothing: its connection is reset
 *	(watches, transactions, queues) and its event channel bound afresh
 *	to the port given, the same or another (a guest that made its
 *	channel again). An INTRODUCE of dom0 answers OK and changes
 *	nothing: dom0 is served already. Not as 4.17: a domid above 32751
 *	is EINVAL (4.17 would cut it to 16 bits; later Xen refuses it so).
 *
 *	RELEASE "5\0" needs one string (EINVAL); domain 0 (or anything atoi
 *	reads as 0) is EINVAL, a domain not introduced ENOENT. The nodes
 *	the domain owns are removed with everything below them (with -K
 *	they are given to the privileged domain instead, firing nothing),
 *	the domain's watches and its table record go, its connection is
 *	dropped, and @releaseDomain fires. The reference sends its OK before
 *	the events of the removal; here they come first, as for any RM,
 *	then the OK, then @releaseDomain.
 *
 *	RESUME "5\0": checks as RELEASE; a later shutdown of the domain
 *	fires @releaseDomain again.
 *
 *	SET_TARGET "6\0" "5\0" needs two strings (EINVAL); both domains
 *	must be introduced (dom0 is), else ENOENT. Domain 6 then acts for 5
 *	in permission checks (dispatch.c's request_can).
 *
 *	GET_FEATURE and SET_FEATURE are ENOSYS in 4.17; they are served as
 *	docs/misc/xenstore.txt of later Xen describes them. GET_FEATURE with
 *	no argument gives the features of the caller's ring (all of them for
 *	a socket); with a domid (dom0 only, else EACCES; a second argument
 *	is EINVAL) those of that domain. SET_FEATURE "5\0features\0" (exactly
 *	two strings) sets what a domain will be offered at its INTRODUCE:
 *	EBUSY once introduced, EINVAL for a bit not supported. Both read the
 *	domid strictly (decimal, at most 65535, else EINVAL) and answer
 *	ENOENT for a domain Xen does not know.
 *
 * Events. @introduceDomain and @releaseDomain fire through watch.c with
 * both their forms: the bare path, and "<path>/<domid>" for watches with
 * a depth. A domain that shuts down fires "@releaseDomain/<domid>" once
 * (until RESUME), and the bare @releaseDomain once for all found at one
 * VIRQ_DOM_EXC; a domain that dies is released as by RELEASE.
 *
 * The table. Each domain the daemon knows (introduced, given features or
 * quotas ahead of its INTRODUCE, or named by a SET_PERMS while Xen has
 * it) has a record in STORE_TABLE_DOMAINS
 * keyed by its domid, written in the transaction of the request that
 * changed it, so that it commits with the request's group. The record
 * is db/'s struct store_domain_record (its layout in db/records.c),
 * with the quotas of struct quota in domain_quota_fields order. It
 * holds the generation from which the domain is known: permission
 * entries naming it hold on nodes of that generation or later only
 * (domain_perm_live). An entry is forgotten when its domain is released
 * or gone.
 *
 * At start, every introduced domain is attached again: its ring mapped, its
 * port bound, a connection made without touching the queues (the guest
 * goes on where it was), its persisted watches set again and fired once
 * (watch.c). A domain that died meanwhile is released. dom0's own ring is
 * served again too, with its watches: those of its kernel's backends,
 * which learn of new devices through them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

#define DOMAIN_SELF		0x7ff0U	/* DOMID_SELF */

/* Two-level index by domid: pages of DOMAIN_PAGE entries made on use. */
#define DOMAIN_PAGE		256
#define DOMAIN_NPAGES		((XS_DOMID_MAX + DOMAIN_PAGE) / DOMAIN_PAGE)

/* The fields of struct quota, in record order (enum store_quota). */
static const size_t domain_quota_fields[] = {
	offsetof(struct quota, entry_nb),
	offsetof(struct quota, entry_size),
	offsetof(struct quota, watch_nb),
	offsetof(struct quota, transactions),
	offsetof(struct quota, perm_nb),
	offsetof(struct quota, path_max),
	offsetof(struct quota, txn_nodes),
	offsetof(struct quota, memory),
	offsetof(struct quota, memory_soft),
	offsetof(struct quota, outstanding),
	offsetof(struct quota, watch_event_timeout),
};
#define DOMAIN_NQUOTA \
	(sizeof domain_quota_fields / sizeof *domain_quota_fields)

/* A field added to struct quota must be added above too. */
_Static_assert(sizeof(struct quota) == DOMAIN_NQUOTA * sizeof(unsigned int),
    "domain_quota_fields does not list every field of struct quota");
_Static_assert(DOMAIN_NQUOTA == STORE_QUOTA_COUNT,
    "the store's domain record does not hold every quota");

/* The daemon's domains (xd->domains). */
struct domain_table {
	struct domain		**page[DOMAIN_NPAGES];
	TAILQ_HEAD(, domain)	  list;	/* in creation order */
	unsigned int		  n;
	uint32_t		  dom0_next_watch; /* of dom0's own ring */
};

/* Changes made outside a request, fired once committed. */
struct domain_changes {
	struct buf	 chg;		/* kind byte, path, NUL, offset in
					   old; in order */
	struct buf	 old;		/* watch_old_keep's */
	bool		 failed;	/* out of memory: events lost */
};

/* The walk for the nodes of a domain that goes away. */
struct domain_walk {
	struct buf	 stack;		/* paths to visit, NUL-terminated */
	struct buf	 kids;		/* children of the node being visited */
	const char	*parent;	/* that node */
};

static struct domain_table *domain_table(struct xsdbd *);
static struct domain *domain_new(struct xsdbd *, unsigned int, uint64_t);
static uint64_t	 domain_since(struct store_txn *);
static bool	 domain_store_perm_live(void *, uint32_t, uint64_t);
static bool	 domain_always_live(const struct xsdbd *, uint32_t);
static void	 domain_forget(struct xsdbd *, struct domain *);
static unsigned int domain_atoi(const char *);
static int	 domain_parse(const char *, unsigned int *);
static bool	 domain_exists(struct xsdbd *, unsigned int);
static size_t	 domain_encode(const struct domain *, char *, size_t);
static int	 domain_decode(struct domain *, const void *, size_t);
static int	 domain_put(struct store_txn *, const struct domain *);
static int	 domain_load_one(void *, uint64_t, const void *, size_t);
static int	 domain_list_kid(void *, const char *, size_t);
static int	 domain_walk_push(struct domain_walk *, const char *,
		    size_t);
static int	 domain_walk(struct xsdbd *, struct store_txn *,
		    unsigned int, const char *, store_observer_fn *, void *,
		    uint64_t *);
static int	 domain_orphans(struct xsdbd *, struct store_txn *,
		    unsigned int, store_observer_fn *, void *);
static int	 domain_special_forget(struct xsdbd *, struct store_txn *,
		    unsigned int);
static int	 domain_drop_store(struct xsdbd *, struct store_txn *,
		    struct domain *, store_observer_fn *, void *);
static void	 domain_drop_conn(struct xsdbd *, struct domain *);
static void	 domain_fire(struct xsdbd *, const char *, unsigned int);
static void	 domain_note(void *, enum store_change, const char *,
		     const struct store_change_old *);
static void	 domain_fire_changes(struct xsdbd *, struct domain_changes *);
static int	 domain_attach(struct xsdbd *, struct domain *,
		    struct store_txn *);
static int	 domain_attach_dom0(struct xsdbd *);
static uint32_t	*domain_watch_counter(struct xsdbd *, unsigned int);
static int	 domain_owner_note(void *, uint32_t,
		    const struct store_usage *);
static int	 domain_reintroduce(struct request *, struct domain *,
		    uint64_t, uint32_t);
static int	 domain_find_or_make(struct request *, unsigned int,
		    struct domain **, bool *);
static int	 domain_onearg(struct request *, struct domain **);

/* The table, made on first use (NULL if out of memory). */
static struct domain_table *
domain_table(struct xsdbd *xd)
{
	struct domain_table	*dt;

	if (xd->domains == NULL) {
		if ((dt = calloc(1, sizeof *dt)) == NULL)
			return NULL;
		TAILQ_INIT(&dt->list);
		dt->dom0_next_watch = 1;
		xd->domains = dt;
	}
	return xd->domains;
}

/* The entry of a domain, or NULL if the daemon does not know it. */
struct domain *
domain_find(struct xsdbd *xd, unsigned int domid)
{
	struct domain_table	*dt = xd->domains;
	struct domain		**pg;

	if (dt == NULL || domid > XS_DOMID_MAX)
		return NULL;
	if ((pg = dt->page[domid / DOMAIN_PAGE]) == NULL)
		return NULL;
	return pg[domid % DOMAIN_PAGE];
}

/*
 * A new, empty entry for a domain the table does not hold, known from
 * generation since (NULL: ENOMEM).
 */
static struct domain *
domain_new(struct xsdbd *xd, unsigned int domid, uint64_t since)
{
	struct domain_table	*dt;
	struct domain		**pg, *d;

	if (domid > XS_DOMID_MAX || (dt = domain_table(xd)) == NULL)
		return NULL;
	if ((pg = dt->page[domid / DOMAIN_PAGE]) == NULL) {
		if ((pg = calloc(DOMAIN_PAGE, sizeof *pg)) == NULL)
			return NULL;
		dt->page[domid / DOMAIN_PAGE] = pg;
	}
	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->domid = domid;
	d->gen = since;
	d->target = UINT_MAX;
	d->features = DOMAIN_FEATURES;
	d->next_watch = 1;
	pg[domid % DOMAIN_PAGE] = d;
	TAILQ_INSERT_TAIL(&dt->list, d, entry);
	dt->n++;
	return d;
}

/*
 * The generation from which a domain the daemon comes to know in t is
 * known: the next one, so that a node written before is not its.
 */
static uint64_t
domain_since(struct store_txn *t)
{
	return store_generation(t) + 1;
}

/* Remove an entry from the table and free it. */
static void
domain_forget(struct xsdbd *xd, struct domain *d)
{
	struct domain_table	*dt = xd->domains;

	dt->page[d->domid / DOMAIN_PAGE][d->domid % DOMAIN_PAGE] = NULL;
	TAILQ_REMOVE(&dt->list, d, entry);
	dt->n--;
	free(d);
}

/*
 * Does a permission entry naming domid hold on a node of generation gen
 * (dispatch.c's request_access)? Only while the daemon has known the
 * domain since gen or before: an entry set for a domain that went away
 * does not pass to a new domain given its domid (XSA-322), even one
 * Xen made before the node was last written (XSA-417). dom0, the
 * privileged domain and DOMID_ANY always hold, and every entry does
 * without Xen, where no domid is ever reused.
 */
bool
domain_perm_live(struct xsdbd *xd, uint32_t domid, uint64_t gen)
{
	struct domain	*d;

	if (domain_always_live(xd, domid))
		return true;
	d = domain_find(xd, domid);
	return d != NULL && !d->gone && d->gen <= gen;
}

/* Entries naming domid hold whatever happens to domains. */
static bool
domain_always_live(const struct xsdbd *xd, uint32_t domid)
{
	return domid == 0 || domid == XS_DOMID_ANY || !xen_has_domains(xd) ||
	    domid == xd->opt.priv_domid || domid == xd->opt.master_domid;
}

/* store_set_perm_live callback. */
static bool
domain_store_perm_live(void *arg, uint32_t domid, uint64_t gen)
{
	return domain_perm_live(arg, domid, gen);
}

/*
 * SET_PERMS names domid in t: from now on the daemon knows the domain if
 * Xen does (recorded in t), as Xen's daemon does so that the entry holds.
 * A request run again after its group failed to commit finds the entry
 * made but not its record, and records it then.
 * Returns 0, ENOENT if Xen does not know the domain (the entry is then
 * to be ignored), ENOMEM or a store error.
 */
int
domain_know(struct xsdbd *xd, struct store_txn *t, uint32_t domid)
{
	struct domain	*d;
	const void	*val;
	size_t		 len;
	int		 rc;

	if (domain_always_live(xd, domid))
		return 0;
	if ((d = domain_find(xd, domid)) != NULL) {
		if (d->gone)
			return ENOENT;
		if (d->introduced || store_table_get(t, STORE_TABLE_DOMAINS,
		    domid, &val, &len) == 0)
			return 0;
		return domain_put(t, d);
	}
	if (!domain_exists(xd, domid))
		return ENOENT;
	if ((d = domain_new(xd, domid, domain_since(t))) == NULL)
		return ENOMEM;
	if ((rc = domain_put(t, d)) != 0)
		domain_forget(xd, d);
	return rc;
}

/*
 * True if entries naming the domain hold from now on with nothing to
 * record (domain_know would do nothing).
 */
bool
domain_is_known(struct xsdbd *xd, uint32_t domid)
{
	struct domain	*d;

	if (domain_always_live(xd, domid))
		return true;
	d = domain_find(xd, domid);
	return d != NULL && !d->gone && d->introduced;
}

/* True if the domain is introduced (dom0 always is). */
bool
domain_is_introduced(struct xsdbd *xd, unsigned int domid)
{
	struct domain	*d;

	if (domid == 0 || domid == xd->opt.master_domid)
		return true;
	return (d = domain_find(xd, domid)) != NULL && d->introduced;
}

/* The domain a domain acts for (SET_TARGET), or UINT_MAX. */
unsigned int
domain_target(struct xsdbd *xd, unsigned int domid)
{
	struct domain	*d = domain_find(xd, domid);

	return d != NULL ? d->target : UINT_MAX;
}

/* The features offered to a domain (all of them to dom0 and sockets). */
uint32_t
domain_features(struct xsdbd *xd, unsigned int domid)
{
	struct domain	*d = domain_find(xd, domid);

	return d != NULL ? d->features : DOMAIN_FEATURES;
}

/* The quotas a domain is held to: its own if set, else the daemon's. */
const struct quota *
domain_quota(struct xsdbd *xd, unsigned int domid)
{
	struct domain	*d = domain_find(xd, domid);

	return d != NULL && d->has_quota ? &d->quota : &xd->quota;
}

/*
 * Give a domain quotas of its own (q), or back the daemon's (q NULL),
 * recording it in t. A domain the table does not hold gets an entry if
 * Xen knows it. Call it last in a request: the entry changes at once.
 * Returns 0, ENOENT (no such domain), ENOMEM or a store error.
 */
int
domain_set_quota(struct xsdbd *xd, struct store_txn *t, unsigned int domid,
    const struct quota *q)
{
	struct domain	*d, saved;
	bool		 made = false;
	int		 rc;

	if ((d = domain_find(xd, domid)) == NULL) {
		if (!domain_exists(xd, domid))
			return ENOENT;
		if ((d = domain_new(xd, domid, domain_since(t))) == NULL)
			return ENOMEM;
		made = true;
	}
	saved = *d;
	d->has_quota = q != NULL;
	if (q != NULL)
		d->quota = *q;
	if ((rc = domain_put(t, d)) != 0) {
		if (made)
			domain_forget(xd, d);
		else {
			d->has_quota = saved.has_quota;
			d->quota = saved.quota;
		}
	}
	return rc;
}

/*
 * True if c is the ring connection of a domain in the table, or dom0's
 * own ring (its kernel's backends watch for new devices through it): its
 * watches are kept in the store (watch.c).
 */
bool
domain_conn_persistent(const struct conn *c)
{
	struct domain	*d;

	if (c->flags & CONN_DEAD)
		return false;
	if (c->domid == c->xd->opt.master_domid)
		return c->xd->domains != NULL && conn_ring_find(c->xd,
		    c->domid) == c;
	d = domain_find(c->xd, c->domid);
	return d != NULL && d->introduced && d->conn_id == c->id;
}

/* The counter of persisted watch numbers of domid, NULL if none. */
static uint32_t *
domain_watch_counter(struct xsdbd *xd, unsigned int domid)
{
	struct domain	*d;

	if (domid == xd->opt.master_domid)
		return xd->domains != NULL ?
		    &((struct domain_table *)xd->domains)->dom0_next_watch :
		    NULL;
	return (d = domain_find(xd, domid)) != NULL ? &d->next_watch : NULL;
}

/* The next number for a persisted watch of the domain of c (0: none). */
uint32_t
domain_watch_number(const struct conn *c)
{
	uint32_t	*next = domain_watch_counter(c->xd, c->domid);
	uint32_t	 n;

	if (next == NULL)
		return 0;
	if ((n = (*next)++) == 0)
		n = (*next)++;	/* wrapped: 0 means none */
	return n;
}

/* Note that a persisted watch number is in use (a restart reads them). */
void
domain_watch_seen(struct xsdbd *xd, unsigned int domid, uint32_t n)
{
	uint32_t	*next = domain_watch_counter(xd, domid);

	if (next != NULL && n >= *next && n != UINT32_MAX)
		*next = n + 1;
}

/* A domid as Xen 4.17 reads it: atoi, taken as unsigned. */
static unsigned int
domain_atoi(const char *s)
{
	return (unsigned int)(int)strtol(s, NULL, 10);
}

/*
 * A domid read strictly, as later Xen does for the feature requests:
 * decimal digits (strtoul's leading blanks and sign allowed), nothing
 * after, at most 65535. Returns 0 or EINVAL.
 */
static int
domain_parse(const char *s, unsigned int *domid)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535 || errno != 0)
		return EINVAL;
	*domid = (unsigned int)v;
	return 0;
}

/* True if Xen knows the domain (dom0 always). */
static bool
domain_exists(struct xsdbd *xd, unsigned int domid)
{
	enum xen_domstate	st;

	if (domid == 0)
		return true;
	if (domid > XS_DOMID_MAX)
		return false;
	return xen_domain_state(xd, domid, &st) == 0 && st != XEN_DOM_GONE;
}

/* Encode an entry as its record into buf. Returns the length. */
static size_t
domain_encode(const struct domain *d, char *buf, size_t size)
{
	struct store_domain_record	 r;
	const char			*q = (const char *)&d->quota;
	size_t				 i;

	memset(&r, 0, sizeof r);
	r.domid = d->domid;
	r.mfn = d->mfn;
	r.remote_port = d->remote_port;
	r.local_port = d->local_port;
	r.features = d->features;
	r.target = d->target == UINT_MAX ? STORE_DOMAIN_NO_TARGET : d->target;
	if (d->introduced)
		r.flags |= STORE_DOMAIN_INTRODUCED;
	if (d->shutdown)
		r.flags |= STORE_DOMAIN_SHUTDOWN;
	if (d->has_quota) {
		r.flags |= STORE_DOMAIN_QUOTA;
		r.nquota = DOMAIN_NQUOTA;
		for (i = 0; i < DOMAIN_NQUOTA; i++)
			memcpy(&r.quota[i], q + domain_quota_fields[i], 4);
	}
	r.gen = d->gen;
	return store_domain_record_encode(&r, buf, size);
}

/* Decode a record into an entry. Returns 0 or EINVAL. */
static int
domain_decode(struct domain *d, const void *val, size_t len)
{
	struct store_domain_record	 r;
	char				*q = (char *)&d->quota;
	size_t				 i;

	if (store_domain_record_decode(val, len, &r) != 0 ||
	    r.domid != d->domid)
		return EINVAL;
	d->mfn = r.mfn;
	d->remote_port = r.remote_port;
	d->local_port = r.local_port;
	d->features = r.features & DOMAIN_FEATURES;
	d->target = r.target == STORE_DOMAIN_NO_TARGET ? UINT_MAX : r.target;
	d->gen = r.gen;
	d->introduced = (r.flags & STORE_DOMAIN_INTRODUCED) != 0;
	d->shutdown = (r.flags & STORE_DOMAIN_SHUTDOWN) != 0;
	d->has_quota = (r.flags & STORE_DOMAIN_QUOTA) != 0;
	for (i = 0; i < r.nquota; i++)
		memcpy(q + domain_quota_fields[i], &r.quota[i], 4);
	return 0;
}

/* Write the record of an entry. */
static int
domain_put(struct store_txn *t, const struct domain *d)
{
	char	buf[STORE_DOMAIN_RECORD_MAX];
	size_t	len;

	len = domain_encode(d, buf, sizeof buf);
	return store_table_put(t, STORE_TABLE_DOMAINS, d->domid, buf, len);
}

/* Read one record into the table at start. */
static int
domain_load_one(void *arg, uint64_t key, const void *val, size_t len)
{
	struct xsdbd	*xd = arg;
	struct domain	*d;

	if (key > XS_DOMID_MAX || domain_find(xd, (unsigned int)key) != NULL) {
		log_warnx("domain table: record %llu ignored",
		    (unsigned long long)key);
		return 0;
	}
	if ((d = domain_new(xd, (unsigned int)key, 0)) == NULL)
		return ENOMEM;
	if (domain_decode(d, val, len) != 0) {
		log_warnx("domain table: record of domain %u is not one this "
		    "daemon reads: ignored", d->domid);
		domain_forget(xd, d);
	}
	return 0;
}

/* store_list callback: keep a child's name. */
static int
domain_list_kid(void *arg, const char *name, size_t len)
{
	struct domain_walk	*w = arg;

	if (buf_add(&w->kids, name, len) != 0 ||
	    buf_add(&w->kids, "", 1) != 0)
		return ENOMEM;
	return 0;
}

/* Push parent/name on the walk's stack. */
static int
domain_walk_push(struct domain_walk *w, const char *name, size_t len)
{
	size_t	plen = strlen(w->parent);

	if (plen + 1 + len > XS_ABS_PATH_MAX)
		return 0;	/* cannot exist */
	if (buf_add(&w->stack, w->parent, plen) != 0 ||
	    (plen > 1 && buf_add(&w->stack, "/", 1) != 0) ||
	    buf_add(&w->stack, name, len) != 0 ||
	    buf_add(&w->stack, "", 1) != 0)
		return ENOMEM;
	return 0;
}

/*
 * Walk the tree under top in pre-order, children in their order (as Xen's
 * walk_node_tree), handling each node domid owns: without -K it is
 * removed with its subtree, which is then not walked; with -K its owner
 * becomes the privileged domain, quietly (obs, arg: the transaction's
 * observer, set back after). *left counts the nodes domid still owns;
 * the walk stops at 0.
 */
static int
domain_walk(struct xsdbd *xd, struct store_txn *t, unsigned int domid,
    const char *top, store_observer_fn *obs, void *arg, uint64_t *left)
{
	struct domain_walk	 w;
	struct store_node	 node;
	struct store_usage	 u;
	struct xs_perm		*perms = NULL;
	char			 path[XS_ABS_PATH_MAX + 1];
	size_t			 end, len, i, j, n;
	int			 rc = 0;

	memset(&w, 0, sizeof w);
	if (buf_add(&w.stack, top, strlen(top) + 1) != 0)
		return ENOMEM;
	while (*left > 0 && w.stack.len > 0) {
		/* Pop the last path. */
		end = w.stack.len - 1;
		for (i = end; i > 0 && w.stack.data[i - 1] != '\0'; i--)
			;
		len = end - i;
		memcpy(path, w.stack.data + i, len + 1);
		w.stack.len = i;

		rc = store_get(t, path, &node);
		if (rc == ENOENT) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		if (node.nperms > 0 && node.perms[0].domid == domid) {
			if (!xd->opt.keep_orphans) {
				if ((rc = store_rm(t, path, NULL)) != 0)
					break;
				if ((rc = store_owner_usage(t, domid,
				    &u)) != 0)
					break;
				*left = u.nodes;
				continue;
			}
			n = node.nperms;
			free(perms);
			if ((perms = reallocarray(NULL, n,
			    sizeof *perms)) == NULL) {
				rc = ENOMEM;
				break;
			}
			memcpy(perms, node.perms, n * sizeof *perms);
			perms[0].domid = xd->opt.priv_domid;
			store_txn_observe(t, NULL, NULL);
			rc = store_set_perms(t, path, perms, (unsigned int)n);
			store_txn_observe(t, obs, arg);
			if (rc != 0)
				break;
			log_debug("node %s of domain %u given to domain %u",
			    path, domid, xd->opt.priv_domid);
			(*left)--;
		}
		/* Its children, pushed so that the first is popped first. */
		buf_reset(&w.kids);
		w.parent = path;
		if ((rc = store_list(t, path, domain_list_kid, &w)) != 0)
			break;
		end = w.kids.len;
		while (end > 0) {
			for (j = end - 1; j > 0 && w.kids.data[j - 1] != '\0';
			    j--)
				;
			if ((rc = domain_walk_push(&w, w.kids.data + j,
			    end - 1 - j)) != 0)
				break;
			end = j;
		}
		if (rc != 0)
			break;
	}
	free(perms);
	buf_free(&w.stack);
	buf_free(&w.kids);
	return rc;
}

/*
 * Handle the nodes a domain that goes away owns (Xen's
 * domain_tree_remove): its home first, where they usually are, then the
 * whole tree if some are left.
 */
static int
domain_orphans(struct xsdbd *xd, struct store_txn *t, unsigned int domid,
    store_observer_fn *obs, void *arg)
{
	struct store_usage	u;
	char			home[64];
	uint64_t		left;
	int			rc;

	if (domid == 0 || domid == xd->opt.priv_domid)
		return 0;
	if ((rc = store_owner_usage(t, domid, &u)) != 0)
		return rc;
	if ((left = u.nodes) == 0)
		return 0;
	xs_path_domain_home(domid, home, sizeof home);
	if ((rc = domain_walk(xd, t, domid, home, obs, arg, &left)) != 0)
		return rc;
	if (left > 0)
		rc = domain_walk(xd, t, domid, "/", obs, arg, &left);
	return rc;
}

/*
 * Take a domain that goes away out of the permissions of the special
 * paths (Xen's remove_domid_from_perm), so that a later domain with its
 * domid does not inherit them: its entries go, and if it owned the list
 * the privileged domain does now.
 */
static int
domain_special_forget(struct xsdbd *xd, struct store_txn *t,
    unsigned int domid)
{
	static const char	*paths[] = { "@introduceDomain",
				    "@releaseDomain" };
	struct xs_perm		 p[XS_PERMS_MAX];
	unsigned int		 n, i, j;
	size_t			 k;
	bool			 changed;
	int			 rc;

	for (k = 0; k < sizeof paths / sizeof paths[0]; k++) {
		if ((rc = op_special_perms(xd, t, paths[k], p, XS_PERMS_MAX,
		    &n)) != 0)
			return rc;
		changed = false;
		if (p[0].domid == domid) {
			p[0].domid = xd->opt.priv_domid;
			changed = true;
		}
		for (i = j = 1; i < n; i++) {
			if (p[i].domid == domid) {
				changed = true;
				continue;
			}
			p[j++] = p[i];
		}
		if (changed &&
		    (rc = op_special_perms_put(t, paths[k], p, j)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The store's part of a domain going away, in t: its nodes, its rights
 * on the special paths, its persisted watches, its ring's record
 * (lu-ring.c) and its record.
 */
static int
domain_drop_store(struct xsdbd *xd, struct store_txn *t, struct domain *d,
    store_observer_fn *obs, void *arg)
{
	int	rc;

	if ((rc = domain_orphans(xd, t, d->domid, obs, arg)) != 0)
		return rc;
	if ((rc = domain_special_forget(xd, t, d->domid)) != 0)
		return rc;
	if ((rc = watch_forget_domain(xd, t, d->domid)) != 0)
		return rc;
	if ((rc = lu_ring_forget(t, d->domid)) != 0)
		return rc;
	rc = store_table_del(t, STORE_TABLE_DOMAINS, d->domid);
	return rc == ENOENT ? 0 : rc;
}

/*
 * The daemon's part of a domain going away, once its store part is done:
 * drop its connection (freed at the end of the turn, which unbinds its
 * port and unmaps its ring) and its entry.
 */
static void
domain_drop_conn(struct xsdbd *xd, struct domain *d)
{
	struct conn	*c;

	if ((c = conn_ring_find(xd, d->domid)) != NULL) {
		/* Its watches left the store with the domain. */
		d->conn_id = 0;
		conn_kill(c, NULL);
	}
	log_info("domain %u released", d->domid);
	domain_forget(xd, d);
}

/* Fire a special event in both its forms: bare, and with the domid. */
static void
domain_fire(struct xsdbd *xd, const char *special, unsigned int domid)
{
	char	path[64];

	watch_special(xd, special);
	snprintf(path, sizeof path, "%s/%u", special, domid);
	watch_special(xd, path);
}

/* Observer of a transaction of our own: keep each change for later. */
static void
domain_note(void *arg, enum store_change kind, const char *path,
    const struct store_change_old *old)
{
	struct domain_changes	*dc = arg;
	char			 k = (char)kind;
	size_t			 off = watch_old_keep(&dc->old, old);
	size_t			 len = dc->chg.len;

	if (buf_add(&dc->chg, &k, 1) != 0 ||
	    buf_add(&dc->chg, path, strlen(path) + 1) != 0 ||
	    buf_add(&dc->chg, &off, sizeof off) != 0) {
		dc->chg.len = len;
		dc->failed = true;
	}
}

/* Fire the changes of a committed transaction of our own, in order. */
static void
domain_fire_changes(struct xsdbd *xd, struct domain_changes *dc)
{
	struct store_change_old	 old;
	const char		*path;
	size_t			 off = 0, kept;

	if (dc->failed)
		log_warnx("out of memory: events of released domains lost");
	while (off + 1 < dc->chg.len) {
		path = dc->chg.data + off + 1;
		memcpy(&kept, path + strlen(path) + 1, sizeof kept);
		watch_changed(xd, (enum store_change)dc->chg.data[off], path,
		    watch_old_load(&dc->old, kept, &old));
		off += 1 + strlen(path) + 1 + sizeof kept;
	}
	buf_free(&dc->chg);
	buf_free(&dc->old);
}

/*
 * Attach an introduced domain at start: map its ring, bind its port,
 * make its connection without touching the queues. The new local port
 * is recorded in t. Returns 0 or an errno value (the domain then stays
 * introduced, without a connection).
 */
static int
domain_attach(struct xsdbd *xd, struct domain *d, struct store_txn *t)
{
	struct conn	*c;
	void		*page;
	uint32_t	 port;
	int		 rc;

	if ((rc = xen_map_ring(xd, d->domid, d->mfn, &page)) != 0)
		return rc;
	if ((rc = xen_bind(xd, d->domid, d->remote_port, &port)) != 0) {
		xen_unmap_ring(xd, d->domid, page);
		return rc;
	}
	if ((c = conn_ring_new(xd, d->domid, page, port)) == NULL) {
		rc = errno;
		xen_unbind(xd, port);
		xen_unmap_ring(xd, d->domid, page);
		return rc;
	}
	xs_ring_store(&((struct xs_ring *)page)->server_features,
	    d->features);
	c->target = d->target;
	d->conn_id = c->id;
	d->local_port = port;
	if ((rc = domain_put(t, d)) != 0)
		log_warnx("domain %u: cannot record its port: %s", d->domid,
		    strerror(rc));
	/* It may be waiting for room, or for an answer we never sent. */
	xen_notify(xd, port);
	return 0;
}

/* Serve dom0's own ring where the backend has one (not with -D). */
static int
domain_attach_dom0(struct xsdbd *xd)
{
	struct conn	*c;
	void		*page;
	uint32_t	 remote, port;
	int		 rc;

	if (xd->opt.no_domain_init)
		return 0;
	rc = xen_dom0_ring(xd, &page, &remote);
	if (rc == ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if ((rc = xen_bind(xd, xd->opt.master_domid, remote, &port)) != 0)
		return rc;
	if ((c = conn_ring_new(xd, xd->opt.master_domid, page, port)) ==
	    NULL) {
		rc = errno;
		xen_unbind(xd, port);
		return rc;
	}
	xen_notify(xd, port);
	return 0;
}

/*
 * Set up the domain table from the store and attach every introduced
 * domain again; release those that died meanwhile, forget those that
 * only had settings and are gone. Runs once Xen's backend is open.
 */
int
domain_init(struct xsdbd *xd)
{
	struct domain_changes	 dc;
	struct domain_table	*dt;
	struct domain		*d, *next;
	struct store_txn	*t;
	enum xen_domstate	 st;
	unsigned int		 attached = 0, released = 0;
	int			 rc;

	if ((dt = domain_table(xd)) == NULL)
		return ENOMEM;
	store_set_perm_live(xd->store, domain_store_perm_live, xd,
	    xd->opt.priv_domid);
	memset(&dc, 0, sizeof dc);
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		return rc;
	store_txn_observe(t, domain_note, &dc);
	if ((rc = store_table_foreach(t, STORE_TABLE_DOMAINS,
	    domain_load_one, xd)) != 0)
		goto fail;

	TAILQ_FOREACH(d, &dt->list, entry) {
		if (xen_domain_state(xd, d->domid, &st) != 0)
			st = XEN_DOM_RUNNING;	/* unknown: keep it */
		if (st == XEN_DOM_GONE || (d->introduced &&
		    st == XEN_DOM_DYING)) {
			if ((rc = domain_drop_store(xd, t, d, domain_note,
			    &dc)) != 0)
				goto fail;
			log_info("domain %u went away while the daemon was "
			    "down", d->domid);
			d->gone = true;
			continue;
		}
		if (!d->introduced)
			continue;
		if ((rc = domain_attach(xd, d, t)) != 0) {
			log_warnx("domain %u: cannot attach its ring again: "
			    "%s", d->domid, strerror(rc));
			continue;
		}
		attached++;
	}
	if ((rc = store_txn_commit(t)) != 0) {
		t = NULL;
		goto fail;
	}

	/* The store is settled: drop the entries of the domains gone. */
	for (d = TAILQ_FIRST(&dt->list); d != NULL; d = next) {
		next = TAILQ_NEXT(d, entry);
		if (!d->gone)
			continue;
		if (d->introduced) {
			released++;
			domain_fire(xd, "@releaseDomain", d->domid);
		}
		domain_forget(xd, d);
	}
	domain_fire_changes(xd, &dc);
	if (attached > 0 || released > 0)
		log_info("%u domains attached again, %u released", attached,
		    released);
	if ((rc = domain_attach_dom0(xd)) != 0)
		log_warnx("cannot serve dom0's ring: %s", strerror(rc));
	if ((rc = watch_restore(xd)) != 0)
		log_warnx("persisted watches: %s", strerror(rc));
	return 0;

fail:
	if (t != NULL)
		store_txn_abort(t);
	buf_free(&dc.chg);
	buf_free(&dc.old);
	domain_free(xd);
	return rc;
}

/* Free the table (shutdown): the records stay for the next start. */
void
domain_free(struct xsdbd *xd)
{
	struct domain_table	*dt = xd->domains;
	struct domain		*d;
	size_t			 i;

	if (dt == NULL)
		return;
	while ((d = TAILQ_FIRST(&dt->list)) != NULL) {
		TAILQ_REMOVE(&dt->list, d, entry);
		free(d);
	}
	for (i = 0; i < DOMAIN_NPAGES; i++)
		free(dt->page[i]);
	free(dt);
	xd->domains = NULL;
}

/* GET_DOMAIN_PATH "domid\0": "/local/domain/<domid>". */
int
op_get_domain_path(struct request *req)
{
	const char	*arg;
	char		 path[64];

	if ((arg = request_onearg(req)) == NULL)
		return EINVAL;
	xs_path_domain_home(domain_atoi(arg), path, sizeof path);
	return request_reply_str(req, path);
}

/* IS_DOMAIN_INTRODUCED "domid\0": "T" or "F". */
int
op_is_domain_introduced(struct request *req)
{
	const char	*arg;
	unsigned int	 domid;

	if ((arg = request_onearg(req)) == NULL)
		return EINVAL;
	domid = domain_atoi(arg);
	if (domid == DOMAIN_SELF || domain_is_introduced(req->xd, domid))
		return request_reply_str(req, "T");
	return request_reply_str(req, "F");
}

/*
 * The entry of a domain for SET_FEATURE: the table's, or a new one
 * (*made) if Xen knows the domain; NULL for dom0, which is introduced for
 * good. Returns 0, ENOENT or ENOMEM.
 */
static int
domain_find_or_make(struct request *req, unsigned int domid,
    struct domain **out, bool *made)
{
	*made = false;
	*out = NULL;
	if (domid == 0 || domid == req->xd->opt.master_domid)
		return 0;	/* dom0: introduced for good */
	if ((*out = domain_find(req->xd, domid)) != NULL)
		return 0;
	if (!domain_exists(req->xd, domid))
		return ENOENT;
	if ((*out = domain_new(req->xd, domid, domain_since(req->st))) ==
	    NULL)
		return ENOMEM;
	*made = true;
	return 0;
}

/* GET_FEATURE "" or "domid\0": the features offered, in decimal. */
int
op_get_feature(struct request *req)
{
	const char	*arg = req->data;
	unsigned int	 n, domid;
	struct domain	*d;
	uint32_t	 features;
	char		 buf[16];
	int		 rc;

	n = xs_wire_count_strings(req->data, req->len);
	if (n == 0) {
		d = domain_find(req->xd, req->conn->domid);
		features = d != NULL && d->conn_id == req->conn->id ?
		    d->features : DOMAIN_FEATURES;
	} else {
		if (!req->conn->privileged)
			return EACCES;
		if (n > 1)
			return EINVAL;
		if ((rc = domain_parse(arg, &domid)) != 0)
			return rc;
		if ((d = domain_find(req->xd, domid)) == NULL &&
		    !domain_exists(req->xd, domid))
			return ENOENT;
		features = d != NULL ? d->features : DOMAIN_FEATURES;
	}
	snprintf(buf, sizeof buf, "%u", (unsigned int)features);
	return request_reply_str(req, buf);
}

/* SET_FEATURE "domid\0features\0": what the domain will be offered. */
int
op_set_feature(struct request *req)
{
	const char	*arg = req->data, *val;
	struct domain	*d;
	unsigned int	 domid;
	uint32_t	 features, saved;
	bool		 made;
	int		 rc;

	if (xs_wire_count_strings(req->data, req->len) != 2)
		return EINVAL;
	val = arg + strlen(arg) + 1;
	if ((rc = domain_parse(arg, &domid)) != 0)
		return rc;
	features = domain_atoi(val);
	if ((rc = domain_find_or_make(req, domid, &d, &made)) != 0)
		return rc;
	if (d == NULL || d->introduced)
		return EBUSY;
	if (features & ~DOMAIN_FEATURES) {
		rc = EINVAL;
		goto fail;
	}
	saved = d->features;
	d->features = features;
	if ((rc = domain_put(req->st, d)) != 0) {
		d->features = saved;
		goto fail;
	}
	return request_ack(req);

fail:
	if (made)
		domain_forget(req->xd, d);
	return rc;
}

/*
 * INTRODUCE of a domain already introduced. As Xen's daemon 4.17 does,
 * its event channel is bound afresh to the port given, the one it had or
 * another (Xen's use of INTRODUCE to recreate a guest's xenbus channel:
 * each such INTRODUCE of the reference binds a new local port), and its
 * connection is reset; the ring stays mapped as it was. A domain left
 * without a connection is attached anew.
 */
static int
domain_reintroduce(struct request *req, struct domain *d, uint64_t mfn,
    uint32_t remote)
{
	struct xsdbd	*xd = req->xd;
	struct domain	 saved = *d;
	struct conn	*c, *old;
	void		*page;
	uint32_t	 port;
	int		 rc;

	old = conn_ring_find(xd, d->domid);
	if (old != NULL) {
		d->remote_port = remote;
		if ((rc = domain_put(req->st, d)) != 0) {
			*d = saved;
			return rc;
		}
		if ((rc = conn_ring_rebind(old, remote, &port)) != 0) {
			/* Killed: the next INTRODUCE attaches it anew. */
			d->remote_port = saved.remote_port;
			d->conn_id = 0;
			return rc;
		}
		d->local_port = port;
		if ((rc = domain_put(req->st, d)) != 0)
			log_warnx("domain %u: cannot record its port: %s",
			    d->domid, strerror(rc));
		conn_ring_reset(old);
		return request_ack(req);
	}

	/* No connection left: a connection of its own. */
	if ((rc = xen_map_ring(xd, d->domid, mfn, &page)) != 0)
		return rc;
	if ((rc = xen_bind(xd, d->domid, remote, &port)) != 0)
		goto fail_map;
	d->mfn = mfn;
	d->remote_port = remote;
	d->local_port = port;
	if ((rc = domain_put(req->st, d)) != 0)
		goto fail_bind;
	if ((c = conn_ring_new(xd, d->domid, page, port)) == NULL) {
		rc = errno;
		goto fail_bind;
	}
	conn_ring_reset(c);
	xs_ring_store(&((struct xs_ring *)page)->server_features,
	    d->features);
	c->target = d->target;
	d->conn_id = c->id;
	return request_ack(req);

fail_bind:
	xen_unbind(xd, port);
fail_map:
	xen_unmap_ring(xd, d->domid, page);
	saved.conn_id = d->conn_id;
	*d = saved;
	return rc;
}

/* INTRODUCE "domid\0mfn\0port\0": serve a domain over its ring. */
int
op_introduce(struct request *req)
{
	struct xsdbd	*xd = req->xd;
	const char	*f[3];
	struct domain	*d, saved;
	struct conn	*c;
	void		*page;
	unsigned int	 domid, n;
	uint64_t	 mfn;
	uint32_t	 remote, port;
	bool		 made = false;
	int		 rc;

	n = xs_wire_count_strings(req->data, req->len);
	if (n < 3)
		return EINVAL;
	f[0] = req->data;
	f[1] = f[0] + strlen(f[0]) + 1;
	f[2] = f[1] + strlen(f[1]) + 1;
	domid = domain_atoi(f[0]);
	mfn = (uint64_t)strtoll(f[1], NULL, 10);
	remote = domain_atoi(f[2]);
	if (remote == 0)
		return EINVAL;
	if (domid == 0 || domid == xd->opt.master_domid)
		return request_ack(req);	/* served already */
	if (domid > XS_DOMID_MAX)
		return EINVAL;

	if ((d = domain_find(xd, domid)) != NULL && d->introduced)
		return domain_reintroduce(req, d, mfn, remote);
	if (d == NULL) {
		if ((d = domain_new(xd, domid, domain_since(req->st))) ==
		    NULL)
			return ENOMEM;
		made = true;
	}
	saved = *d;

	if ((rc = xen_map_ring(xd, domid, mfn, &page)) != 0)
		goto fail;
	if ((rc = xen_bind(xd, domid, remote, &port)) != 0)
		goto fail_map;
	d->introduced = true;
	d->shutdown = false;
	d->mfn = mfn;
	d->remote_port = remote;
	d->local_port = port;
	if ((rc = domain_put(req->st, d)) != 0)
		goto fail_bind;
	if ((c = conn_ring_new(xd, domid, page, port)) == NULL) {
		rc = errno;
		goto fail_bind;
	}
	/* Its queues start empty, as Xen's daemon leaves them. */
	conn_ring_reset(c);
	xs_ring_store(&((struct xs_ring *)page)->server_features,
	    d->features);
	c->target = d->target;
	d->conn_id = c->id;
	log_info("domain %u introduced (port %u, local port %u)", domid,
	    remote, port);
	domain_fire(xd, "@introduceDomain", domid);
	return request_ack(req);

fail_bind:
	xen_unbind(xd, port);
fail_map:
	xen_unmap_ring(xd, domid, page);
fail:
	if (made)
		domain_forget(xd, d);
	else
		*d = saved;
	return rc;
}

/* The introduced domain a RELEASE or RESUME names, or an error. */
static int
domain_onearg(struct request *req, struct domain **out)
{
	const char	*arg;
	unsigned int	 domid;

	if ((arg = request_onearg(req)) == NULL)
		return EINVAL;
	if ((domid = domain_atoi(arg)) == 0)
		return EINVAL;
	if ((*out = domain_find(req->xd, domid)) == NULL ||
	    !(*out)->introduced)
		return ENOENT;
	return 0;
}

/* RELEASE "domid\0": stop serving a domain and forget it. */
int
op_release(struct request *req)
{
	struct xsdbd	*xd = req->xd;
	struct domain	*d;
	unsigned int	 domid;
	int		 rc;

	if ((rc = domain_onearg(req, &d)) != 0)
		return rc;
	domid = d->domid;
	rc = domain_drop_store(xd, req->st, d, group_note_change, xd);
	if (rc != 0)
		return rc;
	/* The events of its removed nodes go with the reply. */
	request_ack(req);
	request_flush(req);
	domain_drop_conn(xd, d);
	domain_fire(xd, "@releaseDomain", domid);
	return 0;
}

/* RESUME "domid\0": a later shutdown is announced again. */
int
op_resume(struct request *req)
{
	struct domain	*d;
	int		 rc;

	if ((rc = domain_onearg(req, &d)) != 0)
		return rc;
	if (d->shutdown) {
		d->shutdown = false;
		if ((rc = domain_put(req->st, d)) != 0) {
			d->shutdown = true;
			return rc;
		}
	}
	return request_ack(req);
}

/* SET_TARGET "domid\0target\0": domid acts for target. */
int
op_set_target(struct request *req)
{
	struct xsdbd	*xd = req->xd;
	const char	*arg = req->data;
	struct domain	*d;
	struct conn	*c;
	unsigned int	 domid, target, saved;
	int		 rc;

	if (xs_wire_count_strings(req->data, req->len) < 2)
		return EINVAL;
	domid = domain_atoi(arg);
	target = domain_atoi(arg + strlen(arg) + 1);
	if (!domain_is_introduced(xd, domid) ||
	    !domain_is_introduced(xd, target))
		return ENOENT;
	if ((d = domain_find(xd, domid)) == NULL)
		return request_ack(req);	/* dom0 may do anything */
	saved = d->target;
	d->target = target;
	if ((rc = domain_put(req->st, d)) != 0) {
		d->target = saved;
		return rc;
	}
	if ((c = conn_ring_find(xd, domid)) != NULL)
		c->target = target;
	return request_ack(req);
}

/* store_owner_foreach callback: note owners the table does not hold. */
static int
domain_owner_note(void *arg, uint32_t domid, const struct store_usage *u)
{
	struct xsdbd	*xd = ((void **)arg)[0];
	struct buf	*owners = ((void **)arg)[1];

	if (domid == 0 || domid == xd->opt.priv_domid ||
	    domain_find(xd, domid) != NULL)
		return 0;
	return buf_add(owners, &domid, sizeof domid);
}

/*
 * VIRQ_DOM_EXC: a domain shut down or died. Every known domain is asked
 * its state (Xen's check_domains): one that shut down fires
 * "@releaseDomain/<domid>" once; one that is dying or gone is released
 * as by RELEASE; an entry that only had settings is forgotten when its
 * domain is gone. The nodes of owners the table does not hold are
 * handled as well once their domain is gone. The bare @releaseDomain
 * fires after the rest if a domain shut down.
 */
void
domain_dom_exc(struct xsdbd *xd)
{
	struct domain_changes	 dc;
	struct domain_table	*dt = xd->domains;
	struct domain		*d;
	struct store_txn	*t;
	struct buf		 gone, owners;
	enum xen_domstate	 st;
	void			*oarg[2];
	char			 path[64];
	uint32_t		 domid;
	size_t			 i;
	bool			 notify = false, own;
	int			 rc;

	if (dt == NULL)
		return;
	memset(&dc, 0, sizeof dc);
	memset(&gone, 0, sizeof gone);
	memset(&owners, 0, sizeof owners);

	/* Where to write: the turn's group if it runs, else our own. */
	own = !xd->group.collecting && xd->group.wtxn == NULL &&
	    xd->group.nested == NULL;
	if (own)
		rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t);
	else
		rc = group_write_begin(xd, &t);
	if (rc != 0) {
		log_warnx("domain exception: no transaction: %s",
		    strerror(rc));
		return;
	}
	if (own)
		store_txn_observe(t, domain_note, &dc);

	TAILQ_FOREACH(d, &dt->list, entry) {
		if (xen_domain_state(xd, d->domid, &st) != 0)
			continue;
		if (d->introduced && st == XEN_DOM_SHUTDOWN && !d->shutdown) {
			d->shutdown = true;
			if ((rc = domain_put(t, d)) != 0)
				goto fail;
			log_info("domain %u shut down", d->domid);
			/* Only its /<domid> form now: the bare one later. */
			snprintf(path, sizeof path, "@releaseDomain/%u",
			    d->domid);
			watch_special(xd, path);
			notify = true;
		}
		if (st == XEN_DOM_GONE ||
		    (d->introduced && st == XEN_DOM_DYING)) {
			rc = domain_drop_store(xd, t, d, own ? domain_note :
			    group_note_change, own ? (void *)&dc : (void *)xd);
			if (rc != 0)
				goto fail;
			if (buf_add(&gone, &d->domid, sizeof d->domid) != 0) {
				rc = ENOMEM;
				goto fail;
			}
		}
	}

	/* Owners of nodes the table does not hold, whose domain is gone. */
	oarg[0] = xd;
	oarg[1] = &owners;
	if ((rc = store_owner_foreach(t, domain_owner_note, oarg)) != 0)
		goto fail;
	for (i = 0; i + sizeof domid <= owners.len; i += sizeof domid) {
		memcpy(&domid, owners.data + i, sizeof domid);
		if (xen_domain_state(xd, domid, &st) != 0 ||
		    st != XEN_DOM_GONE)
			continue;
		log_info("nodes of domain %u, which is gone", domid);
		rc = domain_orphans(xd, t, domid, own ? domain_note :
		    group_note_change, own ? (void *)&dc : (void *)xd);
		if (rc != 0)
			goto fail;
	}

	if (own)
		rc = store_txn_commit(t);
	else
		rc = group_write_end(xd, 0);
	t = NULL;
	if (rc != 0)
		goto fail;
	if (own)
		domain_fire_changes(xd, &dc);
	for (i = 0; i + sizeof domid <= gone.len; i += sizeof domid) {
		memcpy(&domid, gone.data + i, sizeof domid);
		if ((d = domain_find(xd, domid)) == NULL)
			continue;
		if (!d->introduced) {
			domain_forget(xd, d);
			continue;
		}
		domain_drop_conn(xd, d);
		domain_fire(xd, "@releaseDomain", domid);
		notify = false;	/* the bare form went with it */
	}
	if (notify)
		watch_special(xd, "@releaseDomain");
	buf_free(&gone);
	buf_free(&owners);
	return;

fail:
	log_warnx("domain exception: %s: domains left as they were",
	    strerror(rc));
	if (t != NULL) {
		if (own)
			store_txn_abort(t);
		else
			group_write_end(xd, rc);
	}
	buf_free(&dc.chg);
	buf_free(&dc.old);
	buf_free(&gone);
	buf_free(&owners);
}

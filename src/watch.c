/*
 * watch.c - watches: the index, WATCH, UNWATCH, RESET_WATCHES, and the
 * events of committed changes.
 *
 * Requests (docs/misc/xenstore.txt; edge cases as Xen's C xenstored 4.17
 * answers them, each one a test in tests/check_watch.c):
 *
 *	WATCH "path\0token\0" sets a watch. The payload must hold exactly
 *	two nul-terminated strings (bytes after the last NUL are ignored),
 *	else EINVAL. The path is canonicalized as any path of a request,
 *	special "@..." paths allowed; a relative path is under
 *	/local/domain/<domid>. The same path and token twice on one
 *	connection is EEXIST. A domain may hold -W watches plus one (Xen
 *	compares with '>'), then E2BIG; privileged connections have no
 *	limit. The reply "OK" goes out first, then one WATCH_EVENT for the
 *	watch itself: every watch fires once when it is set.
 *
 *	WATCH "path\0token\0depth\0" (server feature 4, "watch depth",
 *	docs/misc/xenstore.txt from Xen 4.22 on) limits the watch to depth
 *	levels below path: 0 is the node alone, 1 its children too, and so
 *	on. depth is read as atoi reads it; a negative one is EINVAL. On a
 *	special path, depth 1 asks for the domid: "@introduceDomain" with
 *	depth 1 fires as "@introduceDomain/5" when domain 5 comes, and no
 *	longer as plain "@introduceDomain".
 *
 *	UNWATCH "path\0token\0" removes the watch, or answers ENOENT. As in
 *	Xen the path is only made absolute, not checked: a path no watch can
 *	have is ENOENT, not EINVAL.
 *
 *	RESET_WATCHES removes every watch of the connection and, as Xen
 *	4.17 does, aborts all its transactions.
 *
 * Events. A WATCH_EVENT is "path\0token\0" with req_id and tx_id 0. A
 * change to path P fires, in commit order:
 *
 *	- for a write, mkdir, permission change or the node named by an RM:
 *	  every watch on P or on an ancestor of P, with P as the event path
 *	  (the watch on "/" sees everything but special events);
 *	- for a descendant removed with an RM: only the watches set on that
 *	  very path (Xen's "exact" firing), so that a watcher of /a/b/c
 *	  hears of "rm /a" as "/a/b/c" while a watcher of /a hears "/a" once;
 *	- @introduceDomain, @releaseDomain: only watches on exactly that
 *	  path (without depth); "@releaseDomain/5" fires watches on exactly
 *	  "@releaseDomain/5" and watches on "@releaseDomain" with depth >= 1.
 *	  A permission change of a special path fires nothing (Xen 4.17).
 *
 * A watch set with a relative path gets event paths relative to its
 * domain's home: the watch "device" of domain 3 hears of
 * /local/domain/3/device/vif/0 as "device/vif/0".
 *
 * Within one connection, the events of one change come in the order the
 * watches were set, as from Xen's daemon.
 *
 * Permissions: an unprivileged connection hears of a change only if it
 * may read the node or its parent (Xen's watch_permitted). For a node
 * that no longer exists the nearest existing ancestor stands for it, so
 * that a reader of a removed node is told even if its parent is closed
 * to it (docs/misc/xenstore.txt promises that). Special events reach
 * those who may read the special path (SET_PERMS on it).
 *
 * The index. Watches are grouped by watched path into keys held in a
 * hash table. A change to P probes the table with P and with each of
 * its ancestors, whose hashes come out of one pass over P: O(depth of P)
 * probes, whatever the number of watches elsewhere. All the watches of
 * one path share their key, so 100 watchers of a node cost one probe.
 *
 * Events are queued with conn_queue_event, which drops an event too long
 * for one message (as Xen does); a connection that does not read is
 * dropped by the connection layer once its output passes its bound.
 *
 * Persistence: a watch is fully described by its connection's domain,
 * the path as the client gave it (relative or not), its token and its
 * depth. The watches of the ring connection of an introduced domain, and
 * of dom0's own ring (domain_conn_persistent), are kept in
 * STORE_TABLE_WATCHES, keyed by
 * domid << 32 | a per-domain number (domain_watch_number), as db/'s
 * struct store_watch_record (depth, the path as given, the token; its
 * layout in db/records.c). WATCH writes the record and UNWATCH and
 * RESET_WATCHES delete it in the request's group; a connection that
 * loses its watches while the daemon runs (a reset or reconnect of its
 * ring, a protocol violation, its end) deletes them too, while a daemon
 * that stops keeps them. At start, once domain.c has attached the rings
 * again, watch_restore reads the records back, canonicalizes the paths
 * again and fires each watch once (spurious events are allowed by the
 * protocol). Records of domains the daemon no longer knows are dropped.
 *
 * A live update (lu.c) hands the watches of socket connections to the new
 * daemon: watch_lu_foreach lists a connection's watches as they were set,
 * watch_lu_add sets one again, without a reply or an event.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

/* How a change selects the watches it fires. */
enum watch_match {
	WATCH_SUBTREE,		/* watches on the path and its ancestors */
	WATCH_EXACT,		/* watches on the path only */
	WATCH_NODEPTH,		/* on the path only, without depth */
	WATCH_DEPTH		/* on the path, or on an ancestor with depth */
};

struct watch_key;

/* One watch of a connection. */
struct watch {
	struct watch_key	*key;	/* the watched path */
	struct conn		*conn;
	uint64_t		 seq;	/* creation order, daemon-wide */
	int			 depth;	/* levels below the path, -1: all */
	unsigned int		 prefix; /* bytes cut from event paths
					   (relative watches), else 0 */
	uint32_t		 pnum;	/* number of its record in
					   STORE_TABLE_WATCHES, 0: none */
	TAILQ_ENTRY(watch)	 centry; /* the connection's watches */
	TAILQ_ENTRY(watch)	 kentry; /* the watches of the key */
	char			 token[];
};
TAILQ_HEAD(watch_list, watch);

/* A watched path and its watches, in a hash chain. */
struct watch_key {
	struct watch_key	*next;
	uint64_t		 hash;
	size_t			 len;
	struct watch_list	 watches;
	char			 path[];
};

/* The watches of one connection (conn->watches). */
struct watch_conn {
	struct watch_list	 list;
};

/* Permissions copied out of the store for one change. */
struct watch_perms {
	struct xs_perm		*p;
	unsigned int		 n;
	uint64_t		 gen;	/* the node's */
	unsigned int		 cap;
	bool			 found;
};

/* What WATCH writes to the store. */
struct watch_persist {
	struct watch		*w;
	const char		*path;	/* as the client gave it */
};

/* Records to delete (watch_forget_domain, watch_restore). */
struct watch_keys {
	struct xsdbd		*xd;
	unsigned int		 domid;
	uint64_t		*v;
	size_t			 n;
	size_t			 cap;
	unsigned int		 domid_conn; /* watch_restore: last domid */
	struct conn		*conn;	/* and its connection */
	unsigned int		 restored;
};

/* The daemon's watches (xd->watches). */
struct watch_index {
	struct watch_key	**buckets;
	size_t			 nbuckets; /* a power of two */
	size_t			 nkeys;
	size_t			 nwatches;
	uint64_t		 next_seq;

	/* Matches of the change being fired. */
	struct watch		**match;
	size_t			 nmatch;
	size_t			 matchcap;

	/* Permissions of the changed node and its parent, read once. */
	bool			 loaded;
	struct watch_perms	 node;
	struct watch_perms	 parent;
	char			 pbuf[2][XS_ABS_PATH_MAX + 1];

	/* Statistics. */
	uint64_t		 probes;
	uint64_t		 events;
};

#define WATCH_BUCKETS_MIN	64
#define WATCH_REC_MAX		(8 + 2 * XS_PAYLOAD_MAX)
#define WATCH_KEY(domid, n)	STORE_WATCH_KEY(domid, n)
#define FNV_OFFSET		0xcbf29ce484222325ULL
#define FNV_PRIME		0x100000001b3ULL

static uint64_t	 watch_hash_step(uint64_t, char);
static uint64_t	 watch_hash(const char *, size_t);
static struct watch_key *watch_key_find(struct watch_index *, const char *,
		    size_t, uint64_t);
static int	 watch_grow(struct watch_index *);
static struct watch *watch_find(struct watch_index *, const struct conn *,
		    const char *, const char *);
static int	 watch_add(struct watch_index *, struct conn *, const char *,
		    const char *, int, unsigned int, struct watch **);
static void	 watch_del(struct watch_index *, struct watch *);
static void	 watch_conn_clear(struct watch_index *, struct conn *);
static const char *watch_event_path(const struct watch *, const char *);
static int	 watch_depth_arg(const char *, int *);
static int	 watch_unwatch_path(struct request *, const char *, char **);
static void	 watch_probe(struct watch_index *, const char *, size_t,
		    uint64_t, unsigned int, enum watch_match);
static int	 watch_match_add(struct watch_index *, struct watch *);
static int	 watch_seq_cmp(const void *, const void *);
static void	 watch_fire(struct xsdbd *, const char *, enum watch_match,
		    const struct store_change_old *);
static bool	 watch_can_read(const struct conn *, const struct xs_perm *,
		     unsigned int, uint64_t);
static bool	 watch_permitted(struct xsdbd *, struct conn *, const char *,
		    const struct store_change_old *, struct store_txn **,
		    bool *);
static int	 watch_txn(struct xsdbd *, struct store_txn **, bool *);
static int	 watch_perms_copy(struct watch_perms *,
		    const struct store_node *);
static void	 watch_load_perms(struct watch_index *, struct store_txn *,
		    const char *);
static bool	 watch_special_permitted(struct xsdbd *, const struct conn *,
		    const char *, struct store_txn *);
static int	 watch_persist_one(struct xsdbd *, struct store_txn *, void *);
static int	 watch_unpersist_one(struct xsdbd *, struct store_txn *,
		    void *);
static int	 watch_unpersist_conn(struct xsdbd *, struct store_txn *,
		    void *);
static void	 watch_conn_unpersist(struct xsdbd *, struct conn *);
static int	 watch_forget_note(void *, uint64_t, const void *, size_t);
static int	 watch_restore_one(void *, uint64_t, const void *, size_t);
static int	 watch_del_keys(struct xsdbd *, struct store_txn *, void *);

/* One step of 64-bit FNV-1a. */
static uint64_t
watch_hash_step(uint64_t h, char ch)
{
	return (h ^ (unsigned char)ch) * FNV_PRIME;
}

/* The hash of the first len bytes of a path. */
static uint64_t
watch_hash(const char *path, size_t len)
{
	uint64_t	h = FNV_OFFSET;
	size_t		i;

	for (i = 0; i < len; i++)
		h = watch_hash_step(h, path[i]);
	return h;
}

/* Set up the watch index. */
int
watch_init(struct xsdbd *xd)
{
	struct watch_index	*wi;

	if ((wi = calloc(1, sizeof *wi)) == NULL)
		return ENOMEM;
	wi->nbuckets = WATCH_BUCKETS_MIN;
	if ((wi->buckets = calloc(wi->nbuckets, sizeof *wi->buckets)) ==
	    NULL) {
		free(wi);
		return ENOMEM;
	}
	wi->next_seq = 1;
	xd->watches = wi;
	return 0;
}

/* Free the watch index and every watch left in it. */
void
watch_free(struct xsdbd *xd)
{
	struct watch_index	*wi = xd->watches;
	struct watch_key	*k;
	struct watch		*w;
	size_t			 i;

	if (wi == NULL)
		return;
	for (i = 0; i < wi->nbuckets; i++) {
		while ((k = wi->buckets[i]) != NULL) {
			/* watch_del frees the key with its last watch. */
			w = TAILQ_FIRST(&k->watches);
			watch_del(wi, w);
		}
	}
	log_debug("watches: %llu probes, %llu events",
	    (unsigned long long)wi->probes, (unsigned long long)wi->events);
	free(wi->buckets);
	free(wi->match);
	free(wi->node.p);
	free(wi->parent.p);
	free(wi);
	xd->watches = NULL;
}

/* Report the index's counters. */
void
watch_stats(const struct xsdbd *xd, struct watch_stats *st)
{
	const struct watch_index	*wi = xd->watches;

	memset(st, 0, sizeof *st);
	if (wi == NULL)
		return;
	st->keys = wi->nkeys;
	st->probes = wi->probes;
	st->events = wi->events;
}

/* The key of a path, or NULL. */
static struct watch_key *
watch_key_find(struct watch_index *wi, const char *path, size_t len,
    uint64_t hash)
{
	struct watch_key	*k;

	wi->probes++;
	for (k = wi->buckets[hash & (wi->nbuckets - 1)]; k != NULL;
	    k = k->next) {
		if (k->hash == hash && k->len == len &&
		    memcmp(k->path, path, len) == 0)
			return k;
	}
	return NULL;
}

/* Double the hash table once it holds more keys than buckets. */
static int
watch_grow(struct watch_index *wi)
{
	struct watch_key	**nb, *k;
	size_t			  n, i;

	if (wi->nkeys < wi->nbuckets || wi->nbuckets > SIZE_MAX / 4)
		return 0;
	n = wi->nbuckets * 2;
	if ((nb = calloc(n, sizeof *nb)) == NULL)
		return ENOMEM;
	for (i = 0; i < wi->nbuckets; i++) {
		while ((k = wi->buckets[i]) != NULL) {
			wi->buckets[i] = k->next;
			k->next = nb[k->hash & (n - 1)];
			nb[k->hash & (n - 1)] = k;
		}
	}
	free(wi->buckets);
	wi->buckets = nb;
	wi->nbuckets = n;
	return 0;
}

/* The watch of c on path with token, or NULL. */
static struct watch *
watch_find(struct watch_index *wi, const struct conn *c, const char *path,
    const char *token)
{
	struct watch_key	*k;
	struct watch		*w;
	size_t			 len = strlen(path);

	k = watch_key_find(wi, path, len, watch_hash(path, len));
	if (k == NULL)
		return NULL;
	TAILQ_FOREACH(w, &k->watches, kentry) {
		if (w->conn == c && strcmp(w->token, token) == 0)
			return w;
	}
	return NULL;
}

/*
 * Add a watch of c on an absolute or special path. prefix is the number
 * of bytes to cut from event paths (relative watches). Returns 0 or
 * ENOMEM.
 */
static int
watch_add(struct watch_index *wi, struct conn *c, const char *path,
    const char *token, int depth, unsigned int prefix, struct watch **out)
{
	struct watch_conn	*wc = c->watches;
	struct watch_key	*k;
	struct watch		*w = NULL;
	size_t			 len = strlen(path), tlen = strlen(token);
	uint64_t		 hash = watch_hash(path, len);

	if (wc == NULL) {
		if ((wc = malloc(sizeof *wc)) == NULL)
			return ENOMEM;
		TAILQ_INIT(&wc->list);
		c->watches = wc;
	}
	if ((w = malloc(sizeof *w + tlen + 1)) == NULL)
		goto fail;
	if ((k = watch_key_find(wi, path, len, hash)) == NULL) {
		if (watch_grow(wi) != 0 ||
		    (k = malloc(sizeof *k + len + 1)) == NULL)
			goto fail;
		k->hash = hash;
		k->len = len;
		memcpy(k->path, path, len + 1);
		TAILQ_INIT(&k->watches);
		k->next = wi->buckets[hash & (wi->nbuckets - 1)];
		wi->buckets[hash & (wi->nbuckets - 1)] = k;
		wi->nkeys++;
	}
	w->key = k;
	w->conn = c;
	w->seq = wi->next_seq++;
	w->depth = depth;
	w->prefix = prefix;
	w->pnum = 0;
	memcpy(w->token, token, tlen + 1);
	TAILQ_INSERT_TAIL(&k->watches, w, kentry);
	TAILQ_INSERT_TAIL(&wc->list, w, centry);
	c->nwatches++;
	wi->nwatches++;
	*out = w;
	return 0;

fail:
	free(w);
	if (TAILQ_EMPTY(&wc->list)) {
		free(wc);
		c->watches = NULL;
	}
	return ENOMEM;
}

/* Remove a watch, and its key if it was the key's last. */
static void
watch_del(struct watch_index *wi, struct watch *w)
{
	struct watch_key	*k = w->key, **kp;
	struct watch_conn	*wc = w->conn->watches;

	TAILQ_REMOVE(&k->watches, w, kentry);
	TAILQ_REMOVE(&wc->list, w, centry);
	w->conn->nwatches--;
	wi->nwatches--;
	if (TAILQ_EMPTY(&wc->list)) {
		free(wc);
		w->conn->watches = NULL;
	}
	free(w);
	if (!TAILQ_EMPTY(&k->watches))
		return;
	for (kp = &wi->buckets[k->hash & (wi->nbuckets - 1)]; *kp != k;
	    kp = &(*kp)->next)
		;
	*kp = k->next;
	wi->nkeys--;
	free(k);
}

/* Remove every watch of a connection. */
static void
watch_conn_clear(struct watch_index *wi, struct conn *c)
{
	struct watch_conn	*wc;

	while ((wc = c->watches) != NULL)
		watch_del(wi, TAILQ_FIRST(&wc->list));
}

/*
 * Drop the watches of a connection that closes or is reset. While the
 * daemon runs, their records go from the store too; a daemon that stops
 * keeps them for its next start.
 */
void
watch_conn_free(struct conn *c)
{
	if (c->xd->running)
		watch_conn_unpersist(c->xd, c);
	if (c->xd->watches != NULL)
		watch_conn_clear(c->xd->watches, c);
	c->watches = NULL;
	c->nwatches = 0;
}

/* The path an event on abs shows to a watch: relative for a relative one. */
static const char *
watch_event_path(const struct watch *w, const char *abs)
{
	size_t	len;

	if (w->prefix == 0)
		return abs;
	len = strlen(abs);
	if (len <= w->prefix)
		return "";	/* the home itself, which no watch has */
	return abs + w->prefix;
}

/*
 * The depth of a WATCH, read as Xen reads it (atoi): leading spaces, a
 * sign, digits, anything after ignored. EINVAL if negative. No path has
 * more than XS_ABS_PATH_MAX / 2 components, so a larger depth means the
 * same as XS_ABS_PATH_MAX: keeping it that small keeps depth + 1 and
 * the persisted record far from any overflow (XSA-420's numbers at the
 * 2^31 and 2^32 edges).
 */
static int
watch_depth_arg(const char *s, int *depth)
{
	long	v = 0;
	bool	neg = false;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = (*s++ == '-');
	while (*s >= '0' && *s <= '9') {
		if (v < INT_MAX)
			v = v * 10 + (*s - '0');
		s++;
	}
	if (v > XS_ABS_PATH_MAX)
		v = XS_ABS_PATH_MAX;
	if (neg && v != 0)
		return EINVAL;
	*depth = (int)v;
	return 0;
}

/* WATCH "path\0token\0" or "path\0token\0depth\0". */
int
op_watch(struct request *req)
{
	struct watch_index	*wi = req->xd->watches;
	struct conn		*c = req->conn;
	struct watch		*w;
	struct watch_persist	 persist;
	const char		*arg, *token;
	char			*path;
	unsigned int		 n, prefix = 0;
	int			 depth = -1, rc = 0;

	n = xs_wire_count_strings(req->data, req->len);
	if (n != 2 && n != 3)
		return EINVAL;
	arg = req->data;
	token = arg + strlen(arg) + 1;
	if (n == 3 &&
	    (rc = watch_depth_arg(token + strlen(token) + 1, &depth)) != 0)
		return rc;
	if ((rc = request_path(req, arg, XS_PATH_SPECIAL, &path)) != 0)
		return rc;
	if (arg[0] != '/' && arg[0] != '@')
		prefix = (unsigned int)(strlen(path) - strlen(arg));
	if (watch_find(wi, c, path, token) != NULL)
		return EEXIST;
	if (!quota_exempt(c) && quota_conn(c)->watch_nb != 0 &&
	    c->nwatches > quota_conn(c)->watch_nb)
		return E2BIG;
	if ((rc = watch_add(wi, c, path, token, depth, prefix, &w)) != 0)
		return rc;
	if (domain_conn_persistent(c)) {
		w->pnum = domain_watch_number(c);
		persist.w = w;
		persist.path = arg;
		if (w->pnum == 0 ||
		    (rc = group_store(req->xd, watch_persist_one,
		    &persist)) != 0) {
			watch_del(wi, w);
			return rc != 0 ? rc : ENOMEM;
		}
	}
	request_ack(req);
	request_flush(req);
	/* Every watch fires once when set. */
	if (conn_queue_event(c, watch_event_path(w, path), token) == 0)
		wi->events++;
	return 0;
}

/*
 * The absolute form of an UNWATCH path, made as Xen's canonicalize does:
 * "/..." and "@..." as they are, anything else under the domain's home,
 * nothing checked. Returns 0, ENOENT (too long to be watched) or ENOMEM.
 */
static int
watch_unwatch_path(struct request *req, const char *arg, char **out)
{
	char	*p;
	size_t	 home, len = strlen(arg);

	if (arg[0] == '/' || arg[0] == '@') {
		*out = (char *)arg;
		return 0;
	}
	if (len > XS_ABS_PATH_MAX)
		return ENOENT;
	if ((p = request_alloc(req, XS_ABS_PATH_MAX + 2 + len)) == NULL)
		return ENOMEM;
	home = xs_path_domain_home(req->conn->domid, p, XS_ABS_PATH_MAX);
	p[home] = '/';
	memcpy(p + home + 1, arg, len + 1);
	*out = p;
	return 0;
}

/* UNWATCH "path\0token\0": remove a watch. */
int
op_unwatch(struct request *req)
{
	struct watch		*w;
	const char		*token;
	char			*path;
	int			 rc;

	if (xs_wire_count_strings(req->data, req->len) != 2)
		return EINVAL;
	token = req->data + strlen(req->data) + 1;
	if ((rc = watch_unwatch_path(req, req->data, &path)) != 0)
		return rc;
	if ((w = watch_find(req->xd->watches, req->conn, path, token)) ==
	    NULL)
		return ENOENT;
	if (w->pnum != 0 &&
	    (rc = group_store(req->xd, watch_unpersist_one, w)) != 0)
		return rc;
	watch_del(req->xd->watches, w);
	return request_ack(req);
}

/* RESET_WATCHES: drop every watch and transaction of the connection. */
int
op_reset_watches(struct request *req)
{
	watch_conn_unpersist(req->xd, req->conn);
	watch_conn_clear(req->xd->watches, req->conn);
	txn_conn_free(req->conn);
	return request_ack(req);
}

/*
 * Set a watch of c again as WATCH sets it, without a reply or an event
 * (lu.c): path as the client gave it, depth -1 for none. A watch of a
 * ring connection is persisted as WATCH does. Returns 0, EINVAL (a path
 * this daemon does not take), EEXIST, ENOMEM or a store error.
 */
int
watch_lu_add(struct conn *c, const char *path, const char *token, int depth)
{
	struct watch_index	*wi = c->xd->watches;
	struct watch_persist	 persist;
	struct watch		*w;
	char			 abs[XS_ABS_PATH_MAX + 1];
	unsigned int		 prefix = 0;
	int			 rc;

	if (xs_path_canonical(path, c->domid, XS_PATH_SPECIAL, abs,
	    sizeof abs) != 0)
		return EINVAL;
	if (path[0] != '/' && path[0] != '@')
		prefix = (unsigned int)(strlen(abs) - strlen(path));
	if (watch_find(wi, c, abs, token) != NULL)
		return EEXIST;
	if ((rc = watch_add(wi, c, abs, token, depth < 0 ? -1 : depth, prefix,
	    &w)) != 0)
		return rc;
	if (domain_conn_persistent(c)) {
		w->pnum = domain_watch_number(c);
		persist.w = w;
		persist.path = path;
		if (w->pnum == 0 ||
		    (rc = group_store(c->xd, watch_persist_one, &persist)) != 0) {
			watch_del(wi, w);
			return rc != 0 ? rc : ENOMEM;
		}
	}
	return 0;
}

/*
 * Call fn for each watch of c in the order they were set, with its path
 * as the client gave it (lu.c).
 */
void
watch_lu_foreach(struct conn *c, watch_lu_fn *fn, void *arg)
{
	struct watch_conn	*wc = c->watches;
	struct watch		*w;

	if (wc == NULL)
		return;
	TAILQ_FOREACH(w, &wc->list, centry)
		fn(arg, w->key->path + w->prefix, w->token, w->depth);
}

/* Remember a matching watch of the change being fired. */
static int
watch_match_add(struct watch_index *wi, struct watch *w)
{
	struct watch	**m;
	size_t		  cap;

	if (wi->nmatch == wi->matchcap) {
		cap = wi->matchcap ? wi->matchcap * 2 : 64;
		if ((m = reallocarray(wi->match, cap, sizeof *m)) == NULL)
			return ENOMEM;
		wi->match = m;
		wi->matchcap = cap;
	}
	wi->match[wi->nmatch++] = w;
	return 0;
}

/*
 * Probe the index with the first len bytes of path, which lie levels
 * below the end of the changed path (0: the path itself), and keep the
 * watches the match kind selects.
 */
static void
watch_probe(struct watch_index *wi, const char *path, size_t len,
    uint64_t hash, unsigned int levels, enum watch_match match)
{
	struct watch_key	*k;
	struct watch		*w;
	bool			 take;

	if ((k = watch_key_find(wi, path, len, hash)) == NULL)
		return;
	TAILQ_FOREACH(w, &k->watches, kentry) {
		if (w->conn->flags & CONN_DEAD)
			continue;
		switch (match) {
		case WATCH_SUBTREE:
			take = w->depth < 0 || levels <= (unsigned int)w->depth;
			break;
		case WATCH_EXACT:
			take = levels == 0;
			break;
		case WATCH_NODEPTH:
			take = levels == 0 && w->depth < 0;
			break;
		case WATCH_DEPTH:
			take = levels == 0 || (w->depth > 0 &&
			    levels <= (unsigned int)w->depth);
			break;
		default:
			take = false;
			break;
		}
		if (take && watch_match_add(wi, w) != 0) {
			log_warnx("out of memory: events for %s lost", path);
			return;
		}
	}
}

/* Order matches by creation of their watches. */
static int
watch_seq_cmp(const void *a, const void *b)
{
	const struct watch	*wa = *(struct watch * const *)a;
	const struct watch	*wb = *(struct watch * const *)b;

	if (wa->seq < wb->seq)
		return -1;
	return wa->seq > wb->seq;
}

/*
 * True if the connection may read a node with these permissions, by the
 * daemon's one rule (dispatch.c's request_access).
 */
static bool
watch_can_read(const struct conn *c, const struct xs_perm *p,
    unsigned int n, uint64_t gen)
{
	if (n == 0)
		return false;
	return (request_access(c, p, n, gen) & XS_PERM_READ) != 0;
}

/*
 * A transaction to read permissions through: the request's one while the
 * group runs (a special event fired from a handler), else a snapshot of
 * our own (*own set: the caller aborts it).
 */
static int
watch_txn(struct xsdbd *xd, struct store_txn **t, bool *own)
{
	struct group	*g = &xd->group;

	*own = false;
	if (g->nested != NULL)
		*t = g->nested;
	else if (g->wtxn != NULL)
		*t = g->wtxn;
	else if (g->rtxn != NULL)
		*t = g->rtxn;
	else {
		*own = true;
		return store_txn_begin(xd->store, NULL, STORE_TXN_READ, t);
	}
	return 0;
}

/* Copy a permission list (the store's is valid only until its next call). */
static int
watch_perms_copy(struct watch_perms *wp, const struct store_node *node)
{
	const struct xs_perm	*p = node->perms;
	unsigned int		 n = node->nperms;
	struct xs_perm	*np;

	if (n > wp->cap) {
		if ((np = reallocarray(wp->p, n, sizeof *np)) == NULL)
			return ENOMEM;
		wp->p = np;
		wp->cap = n;
	}
	if (n > 0)
		memcpy(wp->p, p, n * sizeof *p);
	wp->n = n;
	wp->gen = node->gen;
	wp->found = true;
	return 0;
}

/*
 * Read the permissions of the changed node and of its parent, or, for a
 * node that is gone, of its nearest existing ancestor.
 */
static void
watch_load_perms(struct watch_index *wi, struct store_txn *t,
    const char *path)
{
	struct store_node	 node;
	char			*cur = wi->pbuf[0], *up = wi->pbuf[1], *tmp;

	wi->loaded = true;
	wi->node.found = false;
	wi->parent.found = false;
	if (store_get(t, path, &node) == 0 &&
	    watch_perms_copy(&wi->node, &node) != 0)
		return;
	if (strlen(path) > XS_ABS_PATH_MAX)
		return;
	strcpy(cur, path);
	while (xs_path_parent(cur, up, XS_ABS_PATH_MAX + 1) == 0) {
		if (store_get(t, up, &node) == 0) {
			watch_perms_copy(&wi->parent, &node);
			return;
		}
		if (wi->node.found)
			return;	/* a node without its parent: give up */
		tmp = cur;
		cur = up;
		up = tmp;
	}
}

/* May c hear of a change of a special path such as @releaseDomain/5? */
static bool
watch_special_permitted(struct xsdbd *xd, const struct conn *c,
    const char *path, struct store_txn *t)
{
	struct xs_perm	 perms[XS_PERMS_MAX];
	char		 base[64];
	size_t		 len = strcspn(path, "/");
	unsigned int	 n;

	if (len >= sizeof base)
		return false;
	memcpy(base, path, len);
	base[len] = '\0';
	if (op_special_perms(xd, t, base, perms, XS_PERMS_MAX, &n) != 0)
		return false;
	return watch_can_read(c, perms, n, REQUEST_GEN_ANY);
}

/*
 * May c hear of the change of path (Xen's watch_permitted)? It may if it
 * could read the node before the change (old, for a permission change
 * or a removal), or can read the node or its parent now; a descendant
 * removed with an RM goes by its own list and its parent's, both gone.
 * *t is begun on first need (*own: it is ours to end).
 */
static bool
watch_permitted(struct xsdbd *xd, struct conn *c, const char *path,
    const struct store_change_old *old, struct store_txn **t, bool *own)
{
	struct watch_index	*wi = xd->watches;

	if (c->privileged)
		return true;
	if (old != NULL && watch_can_read(c, old->perms, old->nperms,
	    old->gen))
		return true;
	if (old != NULL && old->pperms != NULL)
		return watch_can_read(c, old->pperms, old->npperms,
		    old->pgen);
	if (*t == NULL && watch_txn(xd, t, own) != 0) {
		*t = NULL;
		return false;
	}
	if (path[0] == '@')
		return watch_special_permitted(xd, c, path, *t);
	if (!wi->loaded)
		watch_load_perms(wi, *t, path);
	if (wi->node.found && watch_can_read(c, wi->node.p, wi->node.n,
	    wi->node.gen))
		return true;
	return wi->parent.found &&
	    watch_can_read(c, wi->parent.p, wi->parent.n, wi->parent.gen);
}

/* Queue the events of one change of path. */
static void
watch_fire(struct xsdbd *xd, const char *path, enum watch_match match,
    const struct store_change_old *old)
{
	struct watch_index	*wi = xd->watches;
	struct store_txn	*t = NULL;
	struct watch		*w;
	struct conn		*last = NULL;
	size_t			 len = strlen(path), i;
	uint64_t		 h = FNV_OFFSET;
	unsigned int		 levels = 0, level;
	bool			 own = false, ok = false;

	if (wi == NULL || wi->nwatches == 0 || len == 0)
		return;
	wi->nmatch = 0;
	wi->loaded = false;

	if (match == WATCH_SUBTREE || match == WATCH_DEPTH) {
		/*
		 * Probe every ancestor: their hashes are the running hash
		 * of path at each '/'. The root is an ancestor of every
		 * absolute path; special paths have none.
		 */
		for (i = 1; i < len; i++)
			if (path[i] == '/')
				levels++;
		if (path[0] == '/' && len > 1)
			levels++;
		level = 0;
		for (i = 0; i < len; i++) {
			if (path[i] == '/' && i > 0) {
				watch_probe(wi, path, i, h, levels - level,
				    match);
				level++;
			} else if (path[i] == '/' && len > 1) {
				/* "/" itself: the root, level 0. */
				watch_probe(wi, path, 1,
				    watch_hash_step(h, '/'), levels, match);
				level = 1;
			}
			h = watch_hash_step(h, path[i]);
		}
		watch_probe(wi, path, len, h, 0, match);
	} else
		watch_probe(wi, path, len, watch_hash(path, len), 0, match);

	if (wi->nmatch == 0)
		return;
	for (i = 1; i < wi->nmatch; i++) {
		if (wi->match[i - 1]->seq > wi->match[i]->seq) {
			qsort(wi->match, wi->nmatch, sizeof *wi->match,
			    watch_seq_cmp);
			break;
		}
	}
	for (i = 0; i < wi->nmatch; i++) {
		w = wi->match[i];
		if (w->conn != last) {
			last = w->conn;
			ok = watch_permitted(xd, w->conn, path, old, &t,
			    &own);
		}
		if (!ok)
			continue;
		if (conn_queue_event(w->conn, watch_event_path(w, path),
		    w->token) == 0)
			wi->events++;
	}
	wi->nmatch = 0;
	if (own)
		store_txn_abort(t);
}

/* Queue events for a committed change; old as the store reported it. */
void
watch_changed(struct xsdbd *xd, enum store_change kind, const char *path,
    const struct store_change_old *old)
{
	/* Xen 4.17 fires nothing for SET_PERMS on a special path. */
	if (path[0] != '/')
		return;
	watch_fire(xd, path, kind == STORE_CHANGE_RM_CHILD ? WATCH_EXACT :
	    WATCH_SUBTREE, old);
}

/* How watch_old_keep lays out what a change took away. */
struct watch_old {
	uint64_t	gen;
	uint64_t	pgen;
	uint32_t	nperms;
	uint32_t	npperms;
	/* then nperms, then npperms struct xs_perm */
};

/*
 * Keep what a change took away at the end of b until the change fires.
 * Returns its offset in b, or WATCH_OLD_NONE for nothing kept (old NULL,
 * or no memory: the event then goes by the permissions in the store).
 */
size_t
watch_old_keep(struct buf *b, const struct store_change_old *old)
{
	static const char	zero[_Alignof(struct watch_old)];
	struct watch_old	wo;
	size_t			pad, off, len = b->len;

	if (old == NULL || old->nperms == 0)
		return WATCH_OLD_NONE;
	pad = (_Alignof(struct watch_old) - len % _Alignof(struct watch_old)) %
	    _Alignof(struct watch_old);
	off = len + pad;
	memset(&wo, 0, sizeof wo);
	wo.gen = old->gen;
	wo.pgen = old->pgen;
	wo.nperms = old->nperms;
	wo.npperms = old->pperms != NULL ? old->npperms : 0;
	if (buf_add(b, zero, pad) != 0 || buf_add(b, &wo, sizeof wo) != 0 ||
	    buf_add(b, old->perms, wo.nperms * sizeof *old->perms) != 0 ||
	    buf_add(b, old->pperms, wo.npperms * sizeof *old->perms) != 0) {
		b->len = len;
		return WATCH_OLD_NONE;
	}
	return off;
}

/* What watch_old_keep kept at off in b, into *old; NULL if nothing. */
const struct store_change_old *
watch_old_load(const struct buf *b, size_t off, struct store_change_old *old)
{
	const struct watch_old	*wo;

	if (off == WATCH_OLD_NONE || off + sizeof *wo > b->len)
		return NULL;
	wo = (const struct watch_old *)(const void *)(b->data + off);
	memset(old, 0, sizeof *old);
	old->gen = wo->gen;
	old->perms = (const struct xs_perm *)(const void *)(wo + 1);
	old->nperms = wo->nperms;
	if (wo->npperms > 0) {
		old->pgen = wo->pgen;
		old->pperms = old->perms + wo->nperms;
		old->npperms = wo->npperms;
	}
	return old;
}

/*
 * Queue events for a special path: "@introduceDomain" or
 * "@releaseDomain" for watches on exactly that path, "@releaseDomain/5"
 * (or "@introduceDomain/5") for watches on exactly that path and for
 * watches with depth on the plain one. domain.c calls it once with each
 * form when a domain comes or goes.
 */
void
watch_special(struct xsdbd *xd, const char *path)
{
	if (path[0] != '@')
		return;
	watch_fire(xd, path, strchr(path, '/') != NULL ? WATCH_DEPTH :
	    WATCH_NODEPTH, NULL);
}

/* Write the record of a new watch. */
static int
watch_persist_one(struct xsdbd *xd, struct store_txn *t, void *arg)
{
	struct watch_persist	*p = arg;
	struct watch		*w = p->w;
	struct store_watch_record r;
	char			 rec[WATCH_REC_MAX];
	const void		*val;
	size_t			 len, vlen;
	int			 rc = 0, tries;

	r.depth = w->depth < 0 ? -1 : w->depth;
	r.path = p->path;
	r.token = w->token;
	if ((len = store_watch_record_encode(&r, rec, sizeof rec)) == 0)
		return E2BIG;

	/* A number that wrapped round may still be in use. */
	for (tries = 0; tries < 64; tries++) {
		rc = store_table_get(t, STORE_TABLE_WATCHES,
		    WATCH_KEY(w->conn->domid, w->pnum), &val, &vlen);
		if (rc == ENOENT)
			break;
		if (rc != 0)
			return rc;
		if ((w->pnum = domain_watch_number(w->conn)) == 0)
			return ENOMEM;
	}
	if (rc != ENOENT)
		return ENOSPC;
	return store_table_put(t, STORE_TABLE_WATCHES,
	    WATCH_KEY(w->conn->domid, w->pnum), rec, len);
}

/* Delete the record of one watch. */
static int
watch_unpersist_one(struct xsdbd *xd, struct store_txn *t, void *arg)
{
	struct watch	*w = arg;
	int		 rc;

	rc = store_table_del(t, STORE_TABLE_WATCHES,
	    WATCH_KEY(w->conn->domid, w->pnum));
	return rc == ENOENT ? 0 : rc;
}

/* Delete the records of every watch of a connection. */
static int
watch_unpersist_conn(struct xsdbd *xd, struct store_txn *t, void *arg)
{
	struct conn		*c = arg;
	struct watch_conn	*wc = c->watches;
	struct watch		*w;
	int			 rc;

	TAILQ_FOREACH(w, &wc->list, centry) {
		if (w->pnum == 0)
			continue;
		if ((rc = watch_unpersist_one(xd, t, w)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The watches of c are going: delete their records. A failure leaves
 * records that a restart would set again: spurious watches, which the
 * protocol tolerates; it is logged.
 */
static void
watch_conn_unpersist(struct xsdbd *xd, struct conn *c)
{
	struct watch_conn	*wc = c->watches;
	struct watch		*w;
	bool			 any = false;
	int			 rc;

	if (wc == NULL)
		return;
	TAILQ_FOREACH(w, &wc->list, centry)
		any |= w->pnum != 0;
	if (!any)
		return;
	if ((rc = group_store(xd, watch_unpersist_conn, c)) != 0)
		log_warnx("domain %u: cannot delete its watches from the "
		    "store: %s", c->domid, strerror(rc));
	TAILQ_FOREACH(w, &wc->list, centry)
		w->pnum = 0;
}

/* store_table_foreach: note the records of one domain. */
static int
watch_forget_note(void *arg, uint64_t key, const void *val, size_t len)
{
	struct watch_keys	*k = arg;
	uint64_t		*v;
	size_t			 cap;

	if (k->domid != UINT_MAX && (key >> 32) != k->domid)
		return 0;
	if (k->n == k->cap) {
		cap = k->cap ? k->cap * 2 : 64;
		if ((v = reallocarray(k->v, cap, sizeof *v)) == NULL)
			return ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = key;
	return 0;
}

/* Delete the records noted in a struct watch_keys. */
static int
watch_del_keys(struct xsdbd *xd, struct store_txn *t, void *arg)
{
	struct watch_keys	*k = arg;
	size_t			 i;
	int			 rc;

	for (i = 0; i < k->n; i++) {
		rc = store_table_del(t, STORE_TABLE_WATCHES, k->v[i]);
		if (rc != 0 && rc != ENOENT)
			return rc;
	}
	return 0;
}

/*
 * A domain goes away: delete the records of its watches in t (the
 * transaction that releases it). Its connection's watches stay in memory
 * until the connection is freed, but no longer have records.
 */
int
watch_forget_domain(struct xsdbd *xd, struct store_txn *t,
    unsigned int domid)
{
	struct watch_keys	 k;
	struct watch_conn	*wc;
	struct watch		*w;
	struct conn		*c;
	int			 rc;

	memset(&k, 0, sizeof k);
	k.xd = xd;
	k.domid = domid;
	rc = store_table_foreach(t, STORE_TABLE_WATCHES, watch_forget_note,
	    &k);
	if (rc == 0)
		rc = watch_del_keys(xd, t, &k);
	free(k.v);
	if (rc != 0)
		return rc;
	if ((c = conn_ring_find(xd, domid)) != NULL &&
	    (wc = c->watches) != NULL) {
		TAILQ_FOREACH(w, &wc->list, centry)
			w->pnum = 0;
	}
	return 0;
}

/* store_table_foreach: set one persisted watch again and fire it. */
static int
watch_restore_one(void *arg, uint64_t key, const void *val, size_t len)
{
	struct watch_keys	*k = arg;
	struct xsdbd		*xd = k->xd;
	struct watch		*w;
	struct store_watch_record r;
	const char		*path, *token;
	char			 abs[XS_ABS_PATH_MAX + 1];
	unsigned int		 domid = (unsigned int)(key >> 32), prefix = 0;
	uint32_t		 n = (uint32_t)key;

	if (domid != k->domid_conn) {
		k->domid_conn = domid;
		k->conn = conn_ring_find(xd, domid);
		if (k->conn != NULL && !domain_conn_persistent(k->conn))
			k->conn = NULL;
	}
	if (domain_find(xd, domid) == NULL && domid != xd->opt.master_domid)
		return watch_forget_note(k, key, val, len);	/* stale */
	if (k->conn == NULL)
		return 0;	/* not attached now: kept for later */
	domain_watch_seen(xd, domid, n);

	if (store_watch_record_decode(val, len, &r) != 0)
		goto bad;
	path = r.path;
	token = r.token;
	if (xs_path_canonical(path, domid, XS_PATH_SPECIAL, abs,
	    sizeof abs) != 0)
		goto bad;
	if (path[0] != '/' && path[0] != '@')
		prefix = (unsigned int)(strlen(abs) - strlen(path));
	if (watch_find(xd->watches, k->conn, abs, token) != NULL)
		goto bad;
	if (watch_add(xd->watches, k->conn, abs, token, r.depth,
	    prefix, &w) != 0)
		return ENOMEM;
	w->pnum = n;
	/* Fire once: the guest may have missed a change meanwhile. */
	if (conn_queue_event(k->conn, watch_event_path(w, abs), token) == 0)
		xd->watches->events++;
	k->restored++;
	return 0;

bad:
	log_warnx("watch record %u of domain %u is not one this daemon "
	    "reads: dropped", n, domid);
	return watch_forget_note(k, key, val, len);
}

/*
 * At start, once the rings of introduced domains are attached again: set
 * their persisted watches again and fire each once; drop the records of
 * domains the daemon no longer knows. Returns 0 or an errno value.
 */
int
watch_restore(struct xsdbd *xd)
{
	struct watch_keys	 k;
	struct store_txn	*t;
	int			 rc;

	memset(&k, 0, sizeof k);
	k.xd = xd;
	k.domid = UINT_MAX;
	k.domid_conn = UINT_MAX;
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_READ, &t)) != 0)
		return rc;
	rc = store_table_foreach(t, STORE_TABLE_WATCHES, watch_restore_one,
	    &k);
	store_txn_abort(t);
	if (rc == 0 && k.n > 0)
		rc = group_store(xd, watch_del_keys, &k);
	if (k.restored > 0 || k.n > 0)
		log_info("%u persisted watches set again, %zu records dropped",
		    k.restored, k.n);
	free(k.v);
	return rc;
}

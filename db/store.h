/*
 * store.h - the interface of db/: the xenstore node store on LMDB.
 *
 * One LMDB environment in a directory holds everything a restarted daemon
 * needs: the nodes, a global generation counter, per-owner usage, and the
 * tables of introduced domains and persisted watches.
 *
 * Conventions (as lmdb.h): 0 is success; failures are positive errno
 * values with the names the wire uses (ENOENT, EEXIST, EINVAL, EAGAIN,
 * ENOSPC, EIO, ENOMEM). No MDB_* code leaves db/: MDB_NOTFOUND is ENOENT,
 * MDB_MAP_FULL is ENOSPC (and the map is enlarged when the failing
 * transaction ends, so the next one succeeds), anything unexpected is EIO
 * with a log line. MDB_PANIC ends the process: the files survive and a
 * restart recovers.
 *
 * A transaction has a sticky error (Knot's knot_lmdb_txn_t): once a call
 * fails with anything but ENOENT/EEXIST/EINVAL (which change nothing),
 * every further call returns that error, and only store_txn_abort is
 * allowed. Data returned by a call (values, permission lists, names) is
 * valid until the next call on the same transaction or its end; never
 * free or modify it.
 *
 * Paths given to db/ are absolute, canonical and valid (lib/xs.h's
 * xs_path_check); db/ refuses others with EINVAL, and checks nothing
 * about the caller's rights.
 *
 * Misuse changes nothing and is EINVAL, never sticky: a change through a
 * READ transaction, a table or meta change through an XS one, a call on a
 * write transaction while a nested one is open in it, a change from
 * inside a store_list callback.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* Version of the on-disk layout; a database of another version is refused. */
#define STORE_SCHEMA_VERSION	1

struct store;
struct store_txn;

/* How to open a database directory. Zero values choose the defaults. */
struct store_config {
	const char	*dir;		/* created if missing (unless read_only) */
	size_t		 map_size;	/* initial map size, bytes (64 MiB) */
	size_t		 map_max;	/* growth stops here (64 GiB) */
	unsigned int	 max_readers;	/* concurrent snapshots (4096) */
	bool		 sync;		/* fsync every commit (--sync) */
	bool		 read_only;	/* tools: never write; fine beside a
					   running daemon */
	bool		 writemap;	/* write transactions change the map in
					   place (MDB_WRITEMAP): commits make
					   no system call, but there are no
					   nested transactions, and the data
					   file is as large as the map (sparse);
					   see store.c */
};

/* A node as read from the store. */
struct store_node {
	uint64_t		 id;	/* unique, grows with creation order */
	uint64_t		 gen;	/* generation of value and permissions */
	uint64_t		 cgen;	/* generation of the list of children */
	uint32_t		 nchildren;
	uint32_t		 childbytes; /* sum of (name length + 1) of the
					       children: Xen's node size */
	unsigned int		 nperms;
	const struct xs_perm	*perms;	/* perms[0] is the owner */
	uint32_t		 vlen;
	const void		*value;
};

/* Kinds of change reported to a transaction's observer. */
enum store_change {
	STORE_CHANGE_WRITE,	/* value written, node created (WRITE/MKDIR) */
	STORE_CHANGE_PERMS,	/* permissions set */
	STORE_CHANGE_RM,	/* the node named in an RM, removed */
	STORE_CHANGE_RM_CHILD	/* a descendant removed with it */
};

/*
 * The permissions a change took away: the node's list before a SET_PERMS
 * or a removal, and for a descendant removed with an RM its parent's
 * list too (removed as well, so not to be read any more). Valid during
 * the observer's call only.
 */
struct store_change_old {
	const struct xs_perm	*perms;
	unsigned int		 nperms;
	uint64_t		 gen;		/* the node's, with perms */
	const struct xs_perm	*pperms;	/* STORE_CHANGE_RM_CHILD */
	unsigned int		 npperms;
	uint64_t		 pgen;
};

/*
 * Called after every change made through a transaction, including the
 * changes replayed by store_txn_apply, in the order they are made. For
 * a removal, each descendant is reported before the node named in the RM.
 * A write or mkdir reports the path it names, once (ancestors it created
 * are not reported: a watch on them sees the named path); a mkdir of an
 * existing node changes nothing and reports nothing. old is NULL for a
 * write.
 */
typedef void	 store_observer_fn(void *arg, enum store_change kind,
		     const char *path, const struct store_change_old *old);

/* Transaction kinds for store_txn_begin. */
#define STORE_TXN_READ		0x1	/* a read snapshot */
#define STORE_TXN_WRITE		0x2	/* an LMDB write transaction */
#define STORE_TXN_XS		0x4	/* a xenstore transaction: a read
					   snapshot plus an in-memory write
					   set, applied by store_txn_apply */

/* Owner of nodes created by a write: inherit the parent's owner. */
#define STORE_OWNER_INHERIT	UINT32_MAX

/* store.c */

/*
 * Open or create the database in cfg->dir. On failure, errbuf (if given)
 * holds a sentence for people.
 * Returns:
 *	EEXIST	a schema version this build does not read;
 *	EINVAL	the files are not an xsdb database;
 *	ENOENT	read_only and there is no database;
 *	EACCES, ENOSPC, ENOMEM, EIO as the system says.
 */
int		 store_open(struct store **out, const struct store_config *cfg,
		     char *errbuf, size_t errlen);

/* Close the database. No transaction may be open. */
void		 store_close(struct store *s);

/* The directory the database lives in. */
const char	*store_dir(const struct store *s);

/*
 * Let go of the pages of the map this process has touched, so that they
 * no longer count in its resident memory; they stay in the data file's
 * page cache. Returns 0 or an errno value.
 */
int		 store_trim(struct store *s);

/*
 * Whether a permission entry naming domid, on a node whose value and
 * permissions are of generation gen, still names the domain it was given
 * to: false once that domain went away, even if a new domain has its
 * domid since (XSA-322, XSA-417). The daemon decides; see
 * store_set_perm_live.
 */
typedef bool	 store_perm_live_fn(void *arg, uint32_t domid, uint64_t gen);

/*
 * Make every write settle the permissions it keeps or copies: the node
 * written keeps its list, and a node created copies its parent's, with
 * each entry of a domain no longer live (fn) marked XS_PERM_IGNORE, and
 * an owner no longer live replaced by heir, which is always live. Without
 * it (tools, tests) lists are kept as they are.
 */
void		 store_set_perm_live(struct store *s, store_perm_live_fn *fn,
		     void *arg, uint32_t heir);

/*
 * Begin a transaction of kind flags (one STORE_TXN_*). A parent makes a
 * nested write transaction inside a write transaction: its changes join
 * the parent on commit and vanish on abort, so one request of a group can
 * fail alone (not in a store opened with writemap). Any number of READ
 * and XS transactions may be open at once (up to max_readers); one
 * top-level WRITE at a time. A nested transaction starts with its
 * parent's observer.
 * Returns 0, EINVAL (bad flags or parent), EBUSY (no reader slot left
 * after clearing stale ones, or a top-level WRITE is already open),
 * EROFS (WRITE on a read-only store), ENOMEM, EIO.
 */
int		 store_txn_begin(struct store *s, struct store_txn *parent,
		     int flags, struct store_txn **out);

/*
 * End a transaction keeping its changes. A READ transaction just ends. An
 * XS transaction cannot be committed (EINVAL): apply it. Frees t in every
 * case. Returns 0, the sticky error, ENOSPC, EIO.
 */
int		 store_txn_commit(struct store_txn *t);

/* End a transaction dropping its changes. Frees t. */
void		 store_txn_abort(struct store_txn *t);

/*
 * Apply an XS transaction to a write transaction w: check that nothing
 * xs read, listed or wrote has changed in w since xs's snapshot (node
 * generations and existence), then replay its writes in order, reporting
 * them to w's observer. Does not end xs.
 * Only real conflicts count: a node xs read, wrote or removed was
 * changed, created or removed since; a node xs found present is another
 * node now (removed and created again); a node xs listed gained or lost
 * a child; a node xs found absent exists now. A node absent both at the
 * snapshot and now is no conflict, even if it existed in between: every
 * answer xs had still holds. Creating different children of one parent
 * in two transactions is no conflict. An XS transaction that changed
 * nothing applies trivially (0, w unchanged): its snapshot was
 * consistent.
 * Returns 0; EAGAIN on a conflict (w unchanged); xs's sticky error;
 * EINVAL if w is not a usable write transaction; or the error of a
 * replayed write, in which case w holds part of the writes: run apply in
 * a nested transaction and abort it.
 */
int		 store_txn_apply(struct store_txn *xs, struct store_txn *w);

/*
 * Set the observer of changes made through t (NULL to remove). Changes
 * made in an XS transaction are reported to its own observer when made,
 * and again to w's observer when store_txn_apply replays them.
 */
void		 store_txn_observe(struct store_txn *t, store_observer_fn *fn,
		     void *arg);

/* The sticky error of t: 0 while it is usable. */
int		 store_txn_error(const struct store_txn *t);

/* Age of a READ or XS snapshot, in seconds since begin. */
double		 store_txn_age(const struct store_txn *t);

/*
 * The nodes an XS transaction holds (Xen's count for its quota of
 * transaction nodes): one per path it has read, found or not, listed or
 * changed, each counted once; 0 for other kinds. node-xs.c.
 */
size_t		 store_txn_nodes(const struct store_txn *t);

/* The global generation counter as seen by t. */
uint64_t	 store_generation(struct store_txn *t);

/* node.c */

/* Read a node. Returns 0 or ENOENT. */
int		 store_get(struct store_txn *t, const char *path,
		     struct store_node *node);

/* True if the node exists. */
bool		 store_exists(struct store_txn *t, const char *path);

/*
 * Write a value, creating the node and any missing ancestors. A created
 * node takes its parent's permissions, with owner as their owner unless
 * owner is STORE_OWNER_INHERIT. An existing node keeps its permissions.
 * *created (if not NULL) is the number of nodes created.
 * Returns 0, ENOSPC, ENOMEM, EIO.
 */
int		 store_write(struct store_txn *t, const char *path,
		     const void *value, uint32_t vlen, uint32_t owner,
		     unsigned int *created);

/*
 * Create a node with an empty value, and any missing ancestors, as
 * store_write does; an existing node is left as it is (*created is 0).
 */
int		 store_mkdir(struct store_txn *t, const char *path,
		     uint32_t owner, unsigned int *created);

/*
 * Remove a node and all its descendants. *removed (if not NULL) is the
 * number of nodes removed. Returns 0, ENOENT, EINVAL (the root), ENOSPC,
 * EIO.
 */
int		 store_rm(struct store_txn *t, const char *path,
		     unsigned int *removed);

/*
 * Replace a node's permission list (n >= 1; perms[0] is the owner; an
 * access is XS_PERM_BOTH or less, with XS_PERM_IGNORE on entries past
 * the owner). Returns 0, ENOENT, EINVAL, ENOSPC, EIO.
 */
int		 store_set_perms(struct store_txn *t, const char *path,
		     const struct xs_perm *perms, unsigned int n);

/*
 * Call fn for each child name of path in creation order, costing
 * O(children). fn returns 0 to go on, anything else to stop (that value
 * is returned). Names are not nul-terminated and are valid during the
 * call only. fn may read through t but not change the store.
 * Returns 0, ENOENT, fn's value, EIO.
 */
typedef int	 store_child_fn(void *arg, const char *name, size_t len);
int		 store_list(struct store_txn *t, const char *path,
		     store_child_fn *fn, void *arg);

/* tables.c */

/*
 * Small tables of records the daemon defines (introduced domains,
 * persisted watches, connections), keyed by a 64-bit number the daemon
 * chooses. Values are opaque bytes, at most 64 KiB.
 */
enum store_table {
	STORE_TABLE_DOMAINS,
	STORE_TABLE_WATCHES,
	STORE_TABLE_CONNS,
	STORE_TABLE_COUNT
};

/* Store a record, replacing any. Returns 0, E2BIG, ENOSPC, EIO. */
int		 store_table_put(struct store_txn *t, enum store_table tbl,
		     uint64_t key, const void *val, size_t len);

/* Read a record. Returns 0 or ENOENT. */
int		 store_table_get(struct store_txn *t, enum store_table tbl,
		     uint64_t key, const void **val, size_t *len);

/* Delete a record. Returns 0 or ENOENT. */
int		 store_table_del(struct store_txn *t, enum store_table tbl,
		     uint64_t key);

/*
 * Call fn for each record in key order; fn returns non-zero to stop (that
 * value is returned). Returns 0, fn's value, EIO.
 */
typedef int	 store_record_fn(void *arg, uint64_t key, const void *val,
		     size_t len);
int		 store_table_foreach(struct store_txn *t, enum store_table tbl,
		     store_record_fn *fn, void *arg);

/*
 * Named values of the database itself ("bootid", daemon settings): at
 * most 255-byte names, 64 KiB values. Same returns as the table calls.
 */
int		 store_meta_put(struct store_txn *t, const char *name,
		     const void *val, size_t len);
int		 store_meta_get(struct store_txn *t, const char *name,
		     const void **val, size_t *len);

/* records.c */

/*
 * The daemon's records in STORE_TABLE_DOMAINS (key: the domid) and
 * STORE_TABLE_WATCHES (key: STORE_WATCH_KEY), defined here so that the
 * offline tools read them as the daemon writes them. The byte layout is
 * described in records.c and xsdb(5).
 */
#define STORE_DOMAIN_RECORD_VERSION	2
#define STORE_WATCH_RECORD_VERSION	1

/* Flags of a domain record. */
#define STORE_DOMAIN_INTRODUCED	0x1	/* INTRODUCE'd, not released */
#define STORE_DOMAIN_SHUTDOWN	0x2	/* its shutdown was announced */
#define STORE_DOMAIN_QUOTA	0x4	/* quotas of its own follow */

/* The target of a domain that has none. */
#define STORE_DOMAIN_NO_TARGET	0xffffffffU

/* The quotas a domain record carries, in record order. */
enum store_quota {
	STORE_QUOTA_NODES,		/* -E */
	STORE_QUOTA_NODE_SIZE,		/* -S */
	STORE_QUOTA_WATCHES,		/* -W */
	STORE_QUOTA_TRANSACTIONS,	/* -t */
	STORE_QUOTA_PERMISSIONS,	/* -A */
	STORE_QUOTA_PATH_MAX,		/* -M */
	STORE_QUOTA_TXN_NODES,		/* -Q transaction-nodes */
	STORE_QUOTA_MEMORY,		/* -Q memory */
	STORE_QUOTA_SOFT_MEMORY,	/* -q memory */
	STORE_QUOTA_OUTSTANDING,	/* -Q outstanding */
	STORE_QUOTA_WATCH_EVENT,	/* -w watch-event, seconds */
	STORE_QUOTA_COUNT
};

/* Largest domain record this build writes. */
#define STORE_DOMAIN_RECORD_MAX	(52 + 4 * STORE_QUOTA_COUNT)

struct store_domain_record {
	uint32_t	 domid;
	uint64_t	 mfn;		/* as INTRODUCE gave it */
	uint32_t	 remote_port;	/* the guest's event channel */
	uint32_t	 local_port;	/* the daemon's, bound to it */
	uint32_t	 features;	/* XS_FEATURE_* it is offered */
	uint32_t	 target;	/* or STORE_DOMAIN_NO_TARGET */
	uint32_t	 flags;		/* STORE_DOMAIN_* */
	uint64_t	 gen;		/* store generation from which it is known */
	uint32_t	 nquota;	/* values in quota */
	uint32_t	 quota[STORE_QUOTA_COUNT];
};

/* Key of the watch number n of domain domid. */
#define STORE_WATCH_KEY(domid, n) \
	((uint64_t)(domid) << 32 | (uint32_t)(n))

struct store_watch_record {
	int		 depth;		/* levels below path, -1: no limit */
	const char	*path;		/* as the client gave it */
	const char	*token;
};

/* Name of a quota as GET_QUOTA spells it ("nodes"), or NULL. */
const char	*store_quota_name(unsigned int i);

/*
 * Encode a record into buf (size bytes). Returns its length, or 0 if it
 * does not fit or has nquota over STORE_QUOTA_COUNT (domain), or an
 * empty or missing path, a missing token or a depth below -1 (watch).
 */
size_t		 store_domain_record_encode(
		     const struct store_domain_record *r, void *buf,
		     size_t size);
size_t		 store_watch_record_encode(
		     const struct store_watch_record *r, void *buf,
		     size_t size);

/*
 * Decode a record of len bytes at val. A domain record's quotas beyond
 * STORE_QUOTA_COUNT are dropped; a watch record's path and token point
 * into val. Returns 0, or EINVAL for a record this build does not read
 * (another version, a length that does not add up, a string without
 * its NUL).
 */
int		 store_domain_record_decode(const void *val, size_t len,
		     struct store_domain_record *r);
int		 store_watch_record_decode(const void *val, size_t len,
		     struct store_watch_record *r);

/* stats.c */

/*
 * Usage of one owning domain. A node counts value length + 5 bytes per
 * permission entry + length of its name (last path component) + 1.
 */
struct store_usage {
	uint64_t	nodes;	/* nodes whose perms[0] is the domain */
	uint64_t	bytes;	/* their values, perms and names */
};

/*
 * Usage of domid as seen by t (an XS transaction sees its own writes).
 * A domain that owns nothing has zero usage. Returns 0 or EIO.
 */
int		 store_owner_usage(struct store_txn *t, uint32_t domid,
		     struct store_usage *u);

/*
 * Call fn for each owning domain with its usage, in domid order; fn
 * returns non-zero to stop (that value is returned). Domains that own
 * nothing are not listed.
 */
typedef int	 store_owner_fn(void *arg, uint32_t domid,
		     const struct store_usage *u);
int		 store_owner_foreach(struct store_txn *t, store_owner_fn *fn,
		     void *arg);

struct store_stats {
	uint64_t	nodes;
	uint64_t	bytes;		/* values + perms + names */
	uint64_t	generation;
	uint64_t	domains;	/* records in STORE_TABLE_DOMAINS */
	uint64_t	watches;	/* records in STORE_TABLE_WATCHES */
	uint64_t	map_size;	/* current map size */
	uint64_t	map_used;	/* bytes of the map in use */
	uint64_t	file_size;	/* data file on disk */
	uint32_t	page_size;
	uint32_t	readers_used;
	uint32_t	readers_max;
	uint32_t	schema;
};

int		 store_stats(struct store_txn *t, struct store_stats *st);

/* check.c */

/*
 * Check the integrity of the store as seen by t: every node but the root
 * has its parent; each node's child list and the child records agree;
 * no orphan records; generation counts are not above the counter; owner
 * usage matches the nodes. report is called once per finding with a
 * sentence. *problems is the number of findings. An XS transaction
 * checks its snapshot (its own writes are not in the store yet).
 * Returns 0 (also when there are findings) or EIO.
 */
typedef void	 store_report_fn(void *arg, const char *finding);
int		 store_check(struct store_txn *t, store_report_fn *report,
		     void *arg, unsigned long *problems);

#endif /* STORE_H */

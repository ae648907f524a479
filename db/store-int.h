/*
 * store-int.h - what the files of db/ share and nobody else sees.
 *
 * On-disk layout (schema 1), one LMDB environment in a directory:
 *
 *   "meta"      "magic" -> "xsdb", "schema" -> uint32, "counter" ->
 *               uint64 (the global generation counter), and the
 *               store_meta_put names behind a "u." prefix.
 *   "nodes"     key: the path when it fits LMDB's key limit (511 bytes);
 *               a longer path gets a "long key": its first
 *               STORE_LONG_PREFIX bytes, a 0xff byte (never in a valid
 *               path, so no short key equals it), the 64-bit hash of the
 *               whole path and a 16-bit collision sequence, big-endian.
 *               The record then carries the full path, and a lookup
 *               compares it.
 *               value: a record, see record.c.
 *   "children"  key: parent id || child id (uint64 big-endian each),
 *               value: the child's name. Ids come from the counter at
 *               creation, so a cursor range over one parent lists its
 *               children in creation order in O(children).
 *   "owners"    key: domid (uint32 big-endian), value: nodes and bytes
 *               (uint64 each), for every domain owning a node.
 *   "domains", "watches", "conns"
 *               one per enum store_table: uint64 big-endian -> bytes.
 *
 * Integers inside values are in host byte order (the store never leaves
 * its host); keys are big-endian so that they sort as numbers.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <endian.h>
#include <lmdb.h>
#include <string.h>
#include <time.h>

#include "store.h"

/* Largest key LMDB 0.9 takes by default (mdb_env_get_maxkeysize). */
#define STORE_KEY_MAX		511
/* Bytes of the path kept at the front of a long key. */
#define STORE_LONG_PREFIX	(STORE_KEY_MAX - 1 - 8 - 2)
/* The byte that marks a long key, never part of a valid path. */
#define STORE_LONG_MARK		0xff

/* Record layout version, the first byte of every node record. */
#define STORE_REC_VERSION	1
/* Record flags. */
#define STORE_REC_LONG		0x1	/* the full path follows the value */

/* Bytes a permission entry takes in a record and in usage counts. */
#define STORE_PERM_BYTES	5

/* Largest table and meta value. */
#define STORE_VALUE_MAX		65536
/* Longest meta name. */
#define STORE_META_NAME_MAX	255

/* Freed transactions and reset read handles kept for reuse (store.c). */
#define STORE_TXN_CACHE		8
#define STORE_RD_CACHE		8

/* Child lists kept by node-db.c, and the longest kept (bytes of names). */
#define STORE_DIR_CACHE		64
#define STORE_DIR_CACHE_MAX	8192

/* Defaults. */
#define STORE_DEFAULT_MAP	((size_t)64 << 20)
#define STORE_DEFAULT_MAX	((size_t)64 << 30)
#define STORE_DEFAULT_READERS	4096

/*
 * A test build may keep only the low bits of the long-key hash, so that
 * different long paths collide and the collision sequence is exercised.
 */
#ifndef STORE_TEST_HASH_BITS
#define STORE_TEST_HASH_BITS	0
#endif

/* What an XS transaction records about a node it looks at. */
#define STORE_WANT_EXIST	0x1	/* existence only */
#define STORE_WANT_GEN		0x2	/* value and permissions */
#define STORE_WANT_CGEN		0x4	/* list of children */

struct store_xs;

/* A change of an owner's usage not written to "owners" yet (node-db.c). */
struct store_udelta {
	uint32_t		 domid;
	int64_t			 nodes;
	int64_t			 bytes;
};

/* Node lookups remembered per transaction (node-db.c). */
#define STORE_MEMO		2

/* One remembered lookup: the record found for a key, or none. */
struct store_memo {
	unsigned char		 key[STORE_KEY_MAX];
	size_t			 klen;		/* 0: unused */
	MDB_val			 val;		/* mv_data NULL: not found */
	uint64_t		 changes;	/* t->changes then */
	uint64_t		 epoch;		/* s->epoch then */
};

/*
 * A child list kept in memory (node-db.c): the names of the children of
 * node id when its cgen was cgen, each with its NUL, in creation order.
 */
struct store_dir {
	uint64_t		 id;
	uint64_t		 cgen;
	char			*names;		/* NULL: the slot is empty */
	uint32_t		 len;
	unsigned int		 pins;		/* listings reading names */
};

/* The database. */
struct store {
	MDB_env			*env;
	MDB_dbi			 dbi_meta;
	MDB_dbi			 dbi_nodes;
	MDB_dbi			 dbi_children;
	MDB_dbi			 dbi_owners;
	MDB_dbi			 dbi_tables[STORE_TABLE_COUNT];

	char			*dir;
	char			*datafile;
	size_t			 map_size;	/* current map size */
	size_t			 map_max;
	unsigned int		 max_readers;
	bool			 read_only;
	bool			 writemap;	/* MDB_WRITEMAP: no nesting */

	void			*trim_addr;	/* the map, for store_trim */
	size_t			 trim_len;
	uint64_t		 trim_epoch;	/* epoch when found */

	store_perm_live_fn	*perm_live;	/* store_set_perm_live */
	void			*perm_arg;
	uint32_t		 perm_heir;
	size_t			 page_size;
	size_t			 max_key;

	struct store_txn	*wtxn;		/* open top-level WRITE */
	unsigned int		 ntxn;		/* open transactions */
	bool			 grow_pending;	/* a write hit the map end */
	uint64_t		 epoch;		/* changes when the map moves */

	/*
	 * The generation counter as of the LMDB transaction counter_txnid
	 * (what "meta" holds in that snapshot), so that a transaction
	 * beginning on that snapshot need not read it.
	 */
	uint64_t		 counter;
	size_t			 counter_txnid;
	bool			 counter_known;

	/* Reuse: freed transactions, reset LMDB read transactions. */
	struct store_txn	*txn_cache[STORE_TXN_CACHE];
	unsigned int		 ntxn_cache;
	MDB_txn			*rd_cache[STORE_RD_CACHE];
	unsigned int		 nrd_cache;
	unsigned int		 rd_cache_max;	/* reader slots kept idle */

	struct store_dir	 dirs[STORE_DIR_CACHE]; /* by id */
	struct store_xs		*xs_cache[STORE_TXN_CACHE]; /* XS write
							   sets to reuse */
	unsigned int		 nxs_cache;
};

/* A node decoded from a record or held in an XS write set. */
struct store_nrec {
	uint64_t		 id;
	uint64_t		 gen;
	uint64_t		 cgen;
	uint32_t		 nchildren;
	uint32_t		 childbytes;
	uint32_t		 nperms;
	struct xs_perm		*perms;	/* in pbuf, or the XS entry's */
	uint32_t		 vlen;
	const void		*value;	/* in the record or the XS entry */

	struct xs_perm		*pbuf;	/* owned, grows */
	uint32_t		 pcap;
	uint16_t		 seq;	/* collision sequence of a long key */
};

/* A growable byte buffer. */
struct store_buf {
	unsigned char		*data;
	size_t			 size;
};

/* A transaction. */
struct store_txn {
	struct store		*s;
	struct store_txn	*parent;
	struct store_txn	*child;		/* open nested WRITE */
	int			 kind;		/* STORE_TXN_* */
	int			 rc;		/* sticky error */
	MDB_txn			*mt;
	struct timespec		 start;
	uint64_t		 counter;	/* generation counter */
	bool			 counter_dirty;
	uint64_t		 changes;	/* LMDB writes made through it,
						   or under it (nested) */

	/*
	 * The last node lookups (node-db.c): a path's lookup again, with
	 * no write and no map move since, takes its answer from here.
	 */
	struct store_memo	 memo[STORE_MEMO];
	unsigned int		 memo_next;	/* the one to replace */

	/* Usage changes of a WRITE, written when it commits (node-db.c). */
	struct store_udelta	*ud;
	size_t			 nud;
	size_t			 udcap;

	bool			 in_callback;	/* inside a store_list fn */

	store_observer_fn	*obs;
	void			*obs_arg;

	struct store_nrec	 nr[3];		/* scratch nodes */
	struct store_buf	 out;		/* data handed to the caller */
	struct store_buf	 enc;		/* a record being encoded */
	struct store_buf	 path;		/* a path being built */

	struct store_xs		*xs;		/* XS transactions */
};

/*
 * Big-endian integers of keys, inline: a listing reads two per child.
 * memcpy, as keys in LMDB's pages need not be aligned.
 */
static inline uint64_t
store_get_be64(const void *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof v);
	return (be64toh(v));
}

static inline void
store_put_be64(void *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof v);
}

static inline uint32_t
store_get_be32(const void *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof v);
	return (be32toh(v));
}

static inline void
store_put_be32(void *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof v);
}

/* store.c */
int		 store_mdb_error(struct store *, int, const char *);
int		 store_txn_fail(struct store_txn *, int);
int		 store_txn_usable(struct store_txn *, bool);
void		 store_report(struct store_txn *, enum store_change,
		     const char *, const struct store_change_old *);
int		 store_buf_reserve(struct store_buf *, size_t);
void		 store_buf_free(struct store_buf *);
int		 store_read_counter(struct store *, MDB_txn *, uint64_t *);

/* record.c */
uint64_t	 store_fnv(const char *, size_t);
uint64_t	 store_path_hash(const char *, size_t);
size_t		 store_parent_len(const char *, size_t);
size_t		 store_name_off(const char *, size_t);
bool		 store_key_is_long(const struct store *, size_t);
size_t		 store_key_make(const struct store *, const char *, size_t,
		     uint16_t, unsigned char *);
int		 store_rec_decode(const MDB_val *, struct store_nrec *,
		     const char **, size_t *);
int		 store_rec_encode(struct store_buf *, const struct store_nrec *,
		     const char *, size_t, bool, MDB_val *);
int		 store_nrec_perms_reserve(struct store_nrec *, uint32_t);

/* May entry i of a stored list have this access? */
static inline bool
store_perm_access_ok(unsigned int i, unsigned int access)
{
	return ((access & ~(unsigned int)(XS_PERM_BOTH |
	    (i > 0 ? XS_PERM_IGNORE : 0))) == 0);
}
void		 store_nrec_free(struct store_nrec *);
uint64_t	 store_usage_bytes(uint32_t, uint32_t, size_t);

/* node-db.c */
int		 store_ndb_find(struct store_txn *, MDB_txn *, const char *,
		     size_t, struct store_nrec *);
int		 store_ndb_put(struct store_txn *, const char *, size_t,
		     struct store_nrec *, bool);
int		 store_ndb_del(struct store_txn *, const char *, size_t,
		     uint16_t);
int		 store_ndb_child_put(struct store_txn *, uint64_t, uint64_t,
		     const char *, size_t);
int		 store_ndb_child_del(struct store_txn *, uint64_t, uint64_t);
int		 store_ndb_usage_add(struct store_txn *, uint32_t, int64_t,
		     int64_t);
int		 store_ndb_usage_flush(struct store_txn *);
void		 store_ndb_usage_pending(const struct store_txn *, uint32_t,
		     int64_t *, int64_t *);
int		 store_ndb_usage_get(struct store *, MDB_txn *, uint32_t,
		     struct store_usage *);
typedef int	 store_ndb_child_fn(void *, uint64_t, const char *, size_t);
int		 store_ndb_children(struct store_txn *, MDB_txn *, uint64_t,
		     store_ndb_child_fn *, void *);
typedef int	 store_ndb_name_fn(void *, const char *, size_t);
int		 store_ndb_list(struct store_txn *, MDB_txn *,
		     const struct store_nrec *, store_ndb_name_fn *, void *);
void		 store_ndb_dirs_free(struct store *);

/* node.c */
int		 store_node_write(struct store_txn *, const char *,
		     const void *, uint32_t, uint32_t, bool, unsigned int *);
int		 store_node_rm(struct store_txn *, const char *,
		     unsigned int *);
int		 store_node_set_perms(struct store_txn *, const char *,
		     const struct xs_perm *, unsigned int);

/* node-xs.c */
int		 store_xs_new(struct store_txn *);
void		 store_xs_free(struct store_txn *);
void		 store_xs_cache_free(struct store *);
bool		 store_xs_empty(const struct store_txn *);
int		 store_xs_find(struct store_txn *, const char *, size_t, int,
		     struct store_nrec *);
int		 store_xs_create(struct store_txn *, const char *, size_t,
		     struct store_nrec *, size_t, struct store_nrec *);
int		 store_xs_update(struct store_txn *, const char *, size_t,
		     struct store_nrec *);
int		 store_xs_remove(struct store_txn *, const char *, size_t);
int		 store_xs_unlink(struct store_txn *, const char *, size_t,
		     struct store_nrec *, size_t);
typedef int	 store_xs_child_fn(void *, const char *, size_t);
int		 store_xs_children(struct store_txn *, const char *, size_t,
		     store_xs_child_fn *, void *);
int		 store_xs_usage_add(struct store_txn *, uint32_t, int64_t,
		     int64_t);
void		 store_xs_usage_delta(const struct store_txn *, uint32_t,
		     int64_t *, int64_t *);
void		 store_xs_totals(const struct store_txn *, int64_t *,
		     int64_t *);
int		 store_xs_foreach_usage(const struct store_txn *,
		     int (*)(void *, uint32_t, int64_t, int64_t), void *);
int		 store_xs_log(struct store_txn *, int, const char *,
		     const void *, uint32_t, uint32_t, const struct xs_perm *,
		     unsigned int);
int		 store_xs_apply(struct store_txn *, struct store_txn *);

/* Operations an XS transaction logs for replay. */
#define STORE_OP_WRITE		1
#define STORE_OP_MKDIR		2
#define STORE_OP_RM		3
#define STORE_OP_PERMS		4

#endif /* STORE_INT_H */

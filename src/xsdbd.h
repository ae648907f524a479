/*
 * xsdbd.h - the interface between the files of the daemon.
 *
 * One context, struct xsdbd, is passed everywhere; the daemon has no other
 * global state. Exported functions are listed below under the name of the
 * file that defines them and carry its prefix.
 *
 * The request path (DESIGN.md):
 *
 *	conn-sock.c / conn-ring.c  move bytes behind a struct conn_ops
 *	conn.c        frames requests, queues replies and events, flushes
 *	dispatch.c    checks type, tx id and privilege, runs the handler
 *	op-*.c, txn.c, watch.c, domain.c, quota.c, control.c   handlers
 *	group.c       at the end of the loop turn commits the writes of all
 *	              requests of the turn at once, then releases their
 *	              replies and hands every change to watch.c in commit order
 *
 * Errors are positive errno values, 0 is success, as everywhere in xsdb.
 */
#ifndef XSDBD_H
#define XSDBD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"
#include "store.h"

struct event;
struct event_base;
struct xsdbd;
struct conn;
struct request;
struct txn;
struct watch_index;
struct trace;
struct xen;
struct lu;
struct lu_conn;
struct lu_txn;
struct lu_import;

/* Defaults. */
#define XSDBD_DB_DIR		"/var/run/xsdb"
#define XSDBD_SOCKET		"/var/run/xenstored/socket"
#define XSDBD_OUT_MAX		(16U * 1024 * 1024) /* bytes queued per conn */
#define XSDBD_OUT_PAUSE		(256U * 1024)	/* stop reading a conn above */
#define XSDBD_REQ_PER_TURN	64	/* requests per connection per turn */
#define XSDBD_TURN_BYTES	(4U * 1024 * 1024) /* replies per turn */
#define XSDBD_TXN_TIMEOUT	60	/* seconds a transaction may stay open */
#define XSDBD_READ_CHUNK	(64U * 1024)	/* bytes read at once */
#define XSDBD_KEEP_BUF		(64U * 1024)	/* larger buffers are freed
						   once empty */

/*
 * Quotas and limits, named as Xen's C xenstored options (-E -S -W -t -A -M,
 * -Q name=value, -q name=value, -w name=value). Privileged connections
 * (dom0) are not held to the per-domain quotas, as in Xen's daemon.
 */
struct quota {
	unsigned int	entry_nb;	/* -E nodes per domain (1000) */
	unsigned int	entry_size;	/* -S bytes per node (2048) */
	unsigned int	watch_nb;	/* -W watches per domain (128) */
	unsigned int	transactions;	/* -t open transactions (10) */
	unsigned int	perm_nb;	/* -A permissions per node (5) */
	unsigned int	path_max;	/* -M path length (XS_REL_PATH_MAX) */
	unsigned int	txn_nodes;	/* -Q transaction-nodes (1024) */
	unsigned int	memory;		/* -Q memory, bytes (2.5 MiB) */
	unsigned int	memory_soft;	/* -q memory, bytes (2 MiB) */
	unsigned int	outstanding;	/* -Q outstanding (20) */
	unsigned int	watch_event_timeout; /* -w watch-event (20 s) */
};

/* Options from the command line. */
struct xsdbd_options {
	const char	*db_dir;	/* --db */
	const char	*socket_path;	/* --socket */
	const char	*pid_file;	/* -F */
	const char	*trace_file;	/* -T */
	const char	*xen;		/* --xen: xen, sim:DIR, none */
	size_t		 map_size;	/* --map-size */
	unsigned int	 txn_timeout;	/* --txn-timeout, seconds */
	size_t		 out_max;	/* --out-max, bytes */
	bool		 no_fork;	/* -N */
	bool		 output_pid;	/* -P */
	bool		 no_domain_init; /* -D */
	bool		 sync;		/* --sync */
	bool		 verbose;	/* -V */
	bool		 keep_orphans;	/* -K */
	bool		 no_recovery;	/* -R */
	bool		 live_update;	/* -U */
	int		 lu_state_fd;	/* --lu-state: handed over, or -1 */
	bool		 internal_db;	/* -I: accepted, meaningless */
	unsigned int	 dom0_event;	/* --event */
	unsigned int	 master_domid;	/* --master-domid */
	unsigned int	 priv_domid;	/* --priv-domid */
};

/*
 * How bytes move on a connection (Xen's struct interface_funcs). Socket
 * and ring connections share every other line of the daemon.
 */
struct conn_ops {
	const char	*name;		/* "socket", "ring" */
	/*
	 * Read up to len bytes. Returns 0 with *done set (0 when nothing is
	 * there now), EPIPE at the end of the stream, or another errno.
	 */
	int		(*read)(struct conn *, void *buf, size_t len,
			    size_t *done);
	/* Write up to len bytes; same returns as read. */
	int		(*write)(struct conn *, const void *buf, size_t len,
			    size_t *done);
	/* True if a read might return bytes now (ring: indices differ). */
	bool		(*can_read)(struct conn *);
	/* True if a write might take bytes now. */
	bool		(*can_write)(struct conn *);
	/*
	 * Arm or disarm the connection's events from its state: read while
	 * it may read, write only while output is pending
	 * (conn_want_read, conn_want_write).
	 */
	void		(*update)(struct conn *);
	/* Release the transport (fd, events, ring mapping). */
	void		(*close)(struct conn *);
};

/* Connection flags. */
#define CONN_BAD	0x1	/* protocol violation: no more reading, drain
				   output, then close */
#define CONN_DEAD	0x2	/* to be freed at the end of the turn */
#define CONN_EOF	0x4	/* peer closed its side */
#define CONN_READY	0x8	/* on xd->ready: has input to process */
#define CONN_FLUSH	0x10	/* on xd->flush: output to try at the end
				   of the turn */

/* A growable byte buffer; data lives in [off, len). */
struct buf {
	char		*data;
	size_t		 off;
	size_t		 len;
	size_t		 cap;
};

/* Counts of keys of watch events (evset.c). */
struct evset {
	uint64_t	*key;		/* 0: an empty slot */
	uint32_t	*count;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 used;		/* slots with a key */
};

/* A client connection. */
struct conn {
	struct xsdbd		*xd;
	uint64_t		 id;	/* unique while the daemon runs */
	const struct conn_ops	*ops;
	void			*priv;	/* the transport's own state */
	int			 fd;	/* -1 if none (rings use evtchn) */
	int			 flags;	/* CONN_* */

	unsigned int		 domid;	/* 0 for sockets */
	bool			 privileged; /* dom0 or priv domain */
	unsigned int		 target; /* domid it controls, or UINT_MAX */

	struct buf		 in;	/* bytes read, not yet dispatched */
	struct buf		 out;	/* bytes to send */
	unsigned int		 turn_reqs; /* requests dispatched this turn */
	unsigned int		 pending; /* replies not yet released */
	unsigned int		 outstanding; /* replies in out not yet all
						 written (conn.c) */
	size_t			 out_head; /* bytes of out's first message
					      not yet written */
	bool			 out_head_reply; /* and it is a reply */
	struct evset		 out_events; /* watch events in out whose
					       sending has not begun */

	/* Transactions (txn.c). */
	TAILQ_HEAD(, txn)	 txns;
	unsigned int		 ntxns;
	uint32_t		 next_tx_id;

	/* Watches of this connection (watch.c owns the list). */
	void			*watches;
	unsigned int		 nwatches;

	struct lu_conn		*lu;	/* lu-ring.c: a ring's record state */

	TAILQ_ENTRY(conn)	 entry;	/* xd->conns */
	TAILQ_ENTRY(conn)	 ready_entry; /* xd->ready */
	TAILQ_ENTRY(conn)	 flush_entry; /* xd->flush */
};
TAILQ_HEAD(conn_list, conn);

/*
 * A xenstore transaction of a connection (txn.c). Once ended by "T" it
 * leaves the connection's list but lives until its group commits, in case
 * the apply must run again.
 */
struct txn {
	struct conn		*conn;
	uint32_t		 id;
	struct store_txn	*st;	/* STORE_TXN_XS, NULL once expired */
	bool			 expired; /* outlived --txn-timeout */
	bool			 detached; /* ended, off the connection */
	bool			 failed; /* a request went over -Q
					    transaction-nodes: "T" answers
					    ENOMEM (quota.c) */
	struct lu_txn		*lu;	/* lu.c: its requests, to carry it
					   across a live update */
	TAILQ_ENTRY(txn)	 entry;
};

/* Dispatch flags. */
#define DISPATCH_PRIV	0x1	/* privileged connections only (EACCES) */
#define DISPATCH_NOTID	0x2	/* tx id is not looked up: runs outside */
#define DISPATCH_WRITES	0x4	/* changes nodes: outside a transaction it
				   writes in the group's transaction,
				   inside one on its XS txn */
#define DISPATCH_GLOBAL	0x8	/* the tx id is checked but the request
				   runs on the group (domain operations) */
#define DISPATCH_REDO	0x10	/* touches nothing but the store: can run
				   again if its group's commit fails */
#define DISPATCH_ATOMIC	0x20	/* a WRITES request that changes nothing
				   until every check has passed, after
				   which only the store fails (sticky):
				   it shares the group's transaction with
				   the others (group.c) */

/*
 * One entry of the dispatch table, indexed by message type. A handler
 * answers with request_reply* and returns 0, or returns an errno value
 * which dispatch sends as an ERROR reply.
 */
struct dispatch_entry {
	const char	*name;
	int		(*handler)(struct request *);
	int		 flags;
};

/* A piece of scratch memory of a request. */
struct scratch {
	struct scratch	*next;
	max_align_t	 data[];
};

/* A request being handled. Lives from dispatch until its reply is queued. */
struct request {
	struct xsdbd		*xd;
	struct conn		*conn;
	struct xs_header	 hdr;
	const struct dispatch_entry *entry;
	const char		*data;	/* payload, with a NUL added after it */
	uint32_t		 len;	/* payload length without that NUL */
	struct txn		*txn;	/* named by tx id, or NULL */
	struct store_txn	*st;	/* where the handler reads and writes */
	bool			 in_group; /* the reply acknowledges or saw
					      changes of the group */
	size_t			 chg_begin; /* group changes before it */
	struct txn		*ended;	/* transaction it ended (txn.c) */

	/* Reply. */
	uint32_t		 rtype;
	char			*rbuf;	/* XS_PAYLOAD_MAX bytes */
	uint32_t		 rlen;
	bool			 replied; /* a reply is set */
	bool			 sent;	/* and already queued (request_flush) */

	/* Scratch memory, freed with the request. */
	struct scratch		*scratch;
};

/* A change observed in the group, kept until its commit. */
struct group_change {
	enum store_change	 kind;
	size_t			 path;	/* offset of the path in group.paths */
	size_t			 old;	/* watch_old_keep's in group.paths */
	bool			 dropped; /* its commit failed */
	bool			 fired;	/* handed to watch.c */
};

/*
 * A message queued during a turn, released after the group commit in the
 * order it was queued. Its bytes are in group.msgs. The changes its
 * request made are handed to watch.c just before it goes out, so that a
 * writer watching its own write sees the event before the reply, as with
 * Xen's daemon. A request that can be run again (DISPATCH_REDO) keeps a
 * copy in group.reqs, for when its commit fails for a full map.
 */
struct group_msg {
	struct conn		*conn;
	size_t			 off;	/* header + payload in group.msgs */
	size_t			 len;
	size_t			 req_off; /* header + payload in group.reqs */
	size_t			 chg_begin; /* changes of its request */
	size_t			 chg_end;
	struct txn		*txn;	/* a transaction its request ended */
	bool			 in_group; /* answered from the group: an
					      ERROR if its commit fails */
	bool			 redo;	/* its request can run again */
	int			 err;	/* its commit failed with this */
};

/* The group commit of one loop turn (group.c). */
struct group {
	bool			 collecting; /* messages wait for the commit */
	bool			 redoing; /* running requests again */
	size_t			 redo_msg; /* the message being redone */
	struct store_txn	*wtxn;	/* top-level write txn, or NULL */
	struct store_txn	*rtxn;	/* read snapshot while wtxn is NULL */
	struct store_txn	*nested; /* wtxn while a request writes in it */
	bool			 can_redo; /* ... which can run again */
	bool			 was_dirty; /* ... and wtxn was dirty before */
	uint64_t		 gen_before; /* ... at its generation */
	size_t			 nested_chg; /* ... changes before it began */
	size_t			 nested_paths;
	bool			 redo_req; /* the running request can run
					      again (DISPATCH_REDO) */
	bool			 dirty;	/* wtxn holds a request's changes */
	bool			 fragile; /* wtxn holds writes that cannot
					     run again (group.c) */
	bool			 rerun_again; /* a request run again failed
						 after a change */
	size_t			 split;	/* first message after the last
					   commit of this turn */
	size_t			 split_chg;

	struct group_msg	*msgv;
	size_t			 nmsg;
	size_t			 msgcap;
	struct buf		 msgs;
	struct buf		 reqs;

	struct group_change	*chgv;
	size_t			 nchg;
	size_t			 chgcap;
	struct buf		 paths;

	uint64_t		 commits; /* statistics */
	uint64_t		 redone;
	uint64_t		 failures;
};

/* The daemon. */
struct xsdbd {
	struct xsdbd_options	 opt;
	struct quota		 quota;
	struct event_base	*base;
	struct store		*store;
	bool			 running;
	int			 exit_status;

	/* Listener (conn-sock.c). */
	int			 listen_fd;
	struct event		*ev_listen;
	struct event		*ev_accept_retry;

	/* Connections (conn.c). */
	struct conn_list	 conns;
	struct conn_list	 ready;	/* with input to process */
	struct conn_list	 flush;	/* with output to try */
	unsigned int		 nconns;
	uint64_t		 next_conn_id;
	char			 reqbuf[XS_PAYLOAD_MAX + 1];
	char			 readbuf[XSDBD_READ_CHUNK];
	char			 replybuf[XS_PAYLOAD_MAX];

	/* Group commit (group.c). */
	struct group		 group;

	/* Transactions (txn.c). */
	struct event		*ev_txn_timer;
	unsigned int		 ntxns;

	/* The store's map in resident memory (trim.c). */
	struct event		*ev_trim;
	unsigned int		 trim_turns;	/* busy turns since a trim */
	uint64_t		 trim_requests;	/* requests at the last turn */

	/* Subsystems. */
	struct watch_index	*watches;	/* watch.c */
	struct trace		*trace;		/* trace.c */
	void			*domains;	/* domain.c */
	struct xen		*xen;		/* xen.c: the open backend */
	void			*rings;		/* conn-ring.c: by local port */
	struct lu		*lu;		/* lu.c: live update */
	struct lu_conn		*lu_rings;	/* lu-ring.c: ring states */
	struct lu_import	*import;	/* lu-import.c: Xen's state */

	/* Signals (xsdbd.c). */
	struct event		*ev_sigterm;
	struct event		*ev_sigint;
	struct event		*ev_sighup;

	/* Statistics. */
	uint64_t		 requests;
	uint64_t		 turns;
};

/* trim.c: letting go of the store's map (store_trim) when it is due. */
int		 trim_init(struct xsdbd *);
void		 trim_free(struct xsdbd *);
void		 trim_turn(struct xsdbd *);

/* xsdbd.c */
void		 xsdbd_stop(struct xsdbd *, int status);

/* log.c */
void		 log_init(bool foreground, bool verbose);
void		 log_set_foreground(bool);
void		 log_warn(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatal(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
		     __attribute__((format(printf, 1, 2)));

/* buf.c */
int		 buf_reserve(struct buf *, size_t);
int		 buf_add(struct buf *, const void *, size_t);
void		 buf_drain(struct buf *, size_t);
void		 buf_reset(struct buf *);
void		 buf_free(struct buf *);
size_t		 buf_used(const struct buf *);

/*
 * evset.c: counts of watch events by a keyed hash of their payload.
 */
uint64_t	 evset_hash(const void *payload, size_t len);
unsigned int	 evset_count(const struct evset *, uint64_t);
int		 evset_add(struct evset *, uint64_t);
void		 evset_del(struct evset *, uint64_t);
void		 evset_clear(struct evset *);
void		 evset_free(struct evset *);

/*
 * conn.c
 *
 * A transport calls conn_new for a new peer, conn_input when it may read
 * and conn_output when it may write. Everything else queues with
 * conn_queue / conn_queue_event, which never free or close a connection:
 * a connection to be dropped is marked (conn_bad, conn_kill) and freed at
 * the end of the turn.
 */
struct conn	*conn_new(struct xsdbd *, const struct conn_ops *, void *priv,
		     int fd, unsigned int domid);
void		 conn_input(struct conn *);
void		 conn_output(struct conn *);
int		 conn_queue(struct conn *, uint32_t type, uint32_t req_id,
		     uint32_t tx_id, const void *payload, uint32_t len);
int		 conn_queue_event(struct conn *, const char *path,
		     const char *token);
void		 conn_out_add(struct conn *, const void *msg, size_t len);
bool		 conn_want_read(const struct conn *);
bool		 conn_want_write(const struct conn *);
void		 conn_bad(struct conn *, const char *why);
void		 conn_kill(struct conn *, const char *why);
bool		 conn_busy(const struct xsdbd *);
void		 conn_end_of_turn(struct xsdbd *);
void		 conn_free_all(struct xsdbd *);

/* conn-sock.c */
int		 conn_sock_listen(struct xsdbd *, char *errbuf, size_t);
int		 conn_sock_adopt_listener(struct xsdbd *, int fd);
struct conn	*conn_sock_adopt(struct xsdbd *, int fd);
void		 conn_sock_close_listener(struct xsdbd *);

/*
 * dispatch.c
 *
 * Helpers for handlers: request_reply copies a reply (E2BIG over
 * XS_PAYLOAD_MAX); request_flush queues it at once so that a handler can
 * queue an event after it (WATCH); request_alloc gives scratch memory
 * freed with the request; request_path canonicalizes a path of the
 * request (EINVAL); request_get reads a node the connection may access
 * (ENOENT, or EACCES where Xen hides a node's existence); request_access
 * gives the rights of a connection to a permission list of generation gen
 * (REQUEST_GEN_ANY for one that is not a node's), request_can
 * checks them for a node: the one permission check of the daemon.
 */
#define REQUEST_OWNER	0x4	/* with XS_PERM_READ, XS_PERM_WRITE: the
				   caller counts as the owner */
#define REQUEST_GEN_ANY	UINT64_MAX /* a list of no node: every entry of a
				   domain the daemon knows holds */

const struct dispatch_entry *dispatch_entry(uint32_t type);
void		 dispatch(struct conn *, const struct xs_header *,
		     const char *payload);
void		 dispatch_redo(struct xsdbd *, const struct group_msg *,
		     const char *request);
int		 request_reply(struct request *, const void *, size_t);
int		 request_reply_str(struct request *, const char *);
int		 request_ack(struct request *);
void		 request_flush(struct request *);
void		*request_alloc(struct request *, size_t);
const char	*request_onearg(const struct request *);
int		 request_path(struct request *, const char *path, int flags,
		     char **out);
unsigned int	 request_access(const struct conn *,
		     const struct xs_perm *, unsigned int n, uint64_t gen);
bool		 request_can(const struct request *,
		     const struct store_node *, unsigned int want);
int		 request_get(struct request *, const char *path,
		     unsigned int want, struct store_node *node);

/*
 * group.c
 *
 * The group commit: group_read_txn gives the turn's view of the store
 * outside transactions; group_write_begin and group_atomic_begin let a
 * request write in the turn's write transaction, recording its changes,
 * until group_write_end; group_store runs a function on the write
 * transaction for the daemon's own records; group_split commits what the turn has so far
 * (to let the store grow its map, or to keep a request alone), running the
 * turn's DISPATCH_REDO requests again if the map was full at commit;
 * group_commit ends the turn: commit, then release the queued messages,
 * each after the changes of its request go to watch_changed.
 */
int		 group_read_txn(struct xsdbd *, struct store_txn **);
int		 group_write_begin(struct xsdbd *, struct store_txn **);
int		 group_write_end(struct xsdbd *, int err);
int		 group_atomic_begin(struct xsdbd *, struct store_txn **);
typedef int	 group_store_fn(struct xsdbd *, struct store_txn *, void *);
int		 group_store(struct xsdbd *, group_store_fn *, void *);
void		 group_note_change(void *xd, enum store_change,
		     const char *path, const struct store_change_old *);
void		 group_trim_changes(struct xsdbd *, const char *path);
int		 group_add_msg(struct xsdbd *, struct conn *,
		     const struct xs_header *, const void *payload,
		     const struct request *);
int		 group_split(struct xsdbd *);
void		 group_commit(struct xsdbd *);
void		 group_free(struct xsdbd *);

/* op-node.c */
int		 op_read(struct request *);
int		 op_write(struct request *);
int		 op_mkdir(struct request *);
int		 op_rm(struct request *);
int		 op_directory(struct request *);
int		 op_directory_part(struct request *);
int		 op_get_perms(struct request *);
int		 op_set_perms(struct request *);
int		 op_special_perms(struct xsdbd *, struct store_txn *,
		     const char *path, struct xs_perm *perms,
		     unsigned int max, unsigned int *n);
int		 op_special_perms_put(struct store_txn *, const char *path,
		     const struct xs_perm *perms, unsigned int n);

/* txn.c */
int		 txn_init(struct xsdbd *);
void		 txn_free(struct xsdbd *);
struct txn	*txn_find(struct conn *, uint32_t id);
struct txn	*txn_lu_add(struct conn *, uint32_t id);
void		 txn_conn_free(struct conn *);
void		 txn_release(struct txn *);
int		 op_transaction_start(struct request *);
int		 op_transaction_end(struct request *);

/*
 * watch.c
 *
 * watch_changed is called after each group commit for every change in
 * commit order (descendants of a removed node before the node), with the
 * permissions the change took away, which watch_old_keep keeps in a
 * buffer until then and watch_old_load gives back. Events go out with
 * conn_queue_event.
 */
#define WATCH_OLD_NONE	SIZE_MAX	/* no permissions kept */

int		 watch_init(struct xsdbd *);
void		 watch_free(struct xsdbd *);
void		 watch_changed(struct xsdbd *, enum store_change,
		     const char *path, const struct store_change_old *);
size_t		 watch_old_keep(struct buf *, const struct store_change_old *);
const struct store_change_old *watch_old_load(const struct buf *, size_t,
		     struct store_change_old *);
void		 watch_special(struct xsdbd *, const char *path);
void		 watch_conn_free(struct conn *);
int		 watch_forget_domain(struct xsdbd *, struct store_txn *,
		     unsigned int domid);
int		 watch_restore(struct xsdbd *);
typedef void	 watch_lu_fn(void *, const char *path, const char *token,
		     int depth);
int		 watch_lu_add(struct conn *, const char *path,
		     const char *token, int depth);
void		 watch_lu_foreach(struct conn *, watch_lu_fn *, void *);
int		 op_watch(struct request *);
int		 op_unwatch(struct request *);
int		 op_reset_watches(struct request *);

/* Counters of the watch index, for memreport and tests. */
struct watch_stats {
	uint64_t	keys;	/* distinct watched paths */
	uint64_t	probes;	/* hash lookups made to match changes */
	uint64_t	events;	/* events queued */
};
void		 watch_stats(const struct xsdbd *, struct watch_stats *);

/*
 * domain.c
 *
 * The domain table: every domain introduced and not yet released, and
 * those given features or quotas ahead of their INTRODUCE. It lives in
 * STORE_TABLE_DOMAINS, written in the transaction of the request that
 * changes it; domain_init reads it back at start (after xen_open) and
 * attaches the rings of introduced domains again. domain_find gives a
 * domain's entry, NULL if the daemon does not know the domain (dom0 is
 * not in the table: it is served already); outside domain.c the entries
 * are read-only. domain_quota gives the quotas a domain is held to;
 * domain_set_quota gives it quotas of its own (SET_QUOTA with a domid).
 * domain_conn_persistent tells watch.c whose watches are kept in the
 * store. domain_dom_exc runs when VIRQ_DOM_EXC fires (xen.c).
 */
#define DOMAIN_FEATURES	(XS_FEATURE_RECONNECTION | XS_FEATURE_ERROR | \
			 XS_FEATURE_WATCH_DEPTH | XS_FEATURE_DOMID_ANY)

struct domain {
	unsigned int		 domid;
	bool			 introduced; /* INTRODUCE'd, not released */
	bool			 shutdown; /* its shutdown was announced */
	bool			 gone;	/* domain.c: being released */
	unsigned int		 target; /* SET_TARGET, or UINT_MAX */
	uint32_t		 features; /* XS_FEATURE_* it is offered */
	uint64_t		 mfn;	/* as INTRODUCE gave it */
	uint32_t		 remote_port; /* the guest's event channel */
	uint32_t		 local_port; /* ours, bound to it */
	uint64_t		 gen;	/* store generation from which the
					   daemon knows it */
	bool			 has_quota; /* quota below, not xd->quota */
	struct quota		 quota;
	uint64_t		 conn_id; /* its ring connection, 0: none */
	uint32_t		 next_watch; /* number of its next persisted
					       watch (watch.c) */
	TAILQ_ENTRY(domain)	 entry;
};

int		 domain_init(struct xsdbd *);
void		 domain_free(struct xsdbd *);
struct domain	*domain_find(struct xsdbd *, unsigned int domid);
bool		 domain_is_introduced(struct xsdbd *, unsigned int domid);
bool		 domain_perm_live(struct xsdbd *, uint32_t domid,
		     uint64_t gen);
int		 domain_know(struct xsdbd *, struct store_txn *,
		     uint32_t domid);
bool		 domain_is_known(struct xsdbd *, uint32_t domid);
unsigned int	 domain_target(struct xsdbd *, unsigned int domid);
uint32_t	 domain_features(struct xsdbd *, unsigned int domid);
const struct quota *domain_quota(struct xsdbd *, unsigned int domid);
int		 domain_set_quota(struct xsdbd *, struct store_txn *,
		     unsigned int domid, const struct quota *);
bool		 domain_conn_persistent(const struct conn *);
uint32_t	 domain_watch_number(const struct conn *);
void		 domain_watch_seen(struct xsdbd *, unsigned int domid,
		     uint32_t n);
int		 op_get_domain_path(struct request *);
int		 op_is_domain_introduced(struct request *);
int		 op_get_feature(struct request *);
int		 op_set_feature(struct request *);
int		 op_introduce(struct request *);
int		 op_release(struct request *);
int		 op_resume(struct request *);
int		 op_set_target(struct request *);

/*
 * quota.c
 *
 * quota_conn gives the quotas a connection's domain is held to (its own,
 * set by SET_QUOTA, else the daemon's); quota_exempt is true for the
 * connections no quota applies to (dom0, the priv domain). A quota of 0
 * is no limit. The checks answer as Xen's C xenstored 4.17: ENOSPC for
 * nodes, node size and permissions, ENOMEM for memory. quota_check_write
 * is called before a WRITE or MKDIR changes or creates the node at path
 * (old: the node there, or NULL); quota_txn_apply applies a transaction
 * at its end (store_txn_apply) and holds its domain to the node quota;
 * quota_check_nperms runs before SET_PERMS parses its n entries,
 * quota_check_set_perms before it replaces the list of node;
 * quota_txn_request runs a request in its transaction (dispatch.c),
 * held to the quota of nodes a transaction may hold.
 */
void		 quota_defaults(struct quota *);
int		 quota_option(struct quota *, const char *arg, bool soft);
int		 quota_timeout_option(struct quota *, const char *arg);
const struct quota *quota_conn(const struct conn *);
bool		 quota_exempt(const struct conn *);
int		 quota_check_write(struct request *, const char *path,
		     const struct store_node *old, uint32_t vlen);
int		 quota_txn_apply(struct request *, struct store_txn *xs,
		     struct store_txn *w);
int		 quota_check_nperms(struct request *, unsigned int n);
int		 quota_check_set_perms(struct request *,
		     const struct store_node *node, unsigned int n);
int		 quota_txn_request(struct request *);
int		 op_get_quota(struct request *);
int		 op_set_quota(struct request *);

/*
 * xen.c, xen-real.c, xen-sim.c
 *
 * The daemon reaches Xen through one narrow interface with backends
 * chosen by name at start (--xen): "xen" (libxenevtchn, libxengnttab,
 * libxenctrl; the only file that includes Xen headers is xen-real.c),
 * "sim:DIR" (a simulated Xen in directory DIR, for tests and demos) and
 * "none" (socket clients only: no domain can be introduced). Nothing
 * outside src/xen*.c knows which backend runs.
 */
enum xen_domstate {
	XEN_DOM_RUNNING,	/* or paused, blocked: alive */
	XEN_DOM_SHUTDOWN,	/* shut down, not yet dying */
	XEN_DOM_DYING,		/* being destroyed */
	XEN_DOM_GONE		/* no such domain */
};

/* What a backend provides. Every call returns 0 or an errno. */
struct xen_ops {
	const char	*name;		/* "xen", "sim", "none" */
	int		(*open)(struct xen *, const char *arg,
			    char *errbuf, size_t errlen);
	void		(*close)(struct xen *);
	/* A descriptor that becomes readable when ports are pending, or -1. */
	int		(*evtchn_fd)(struct xen *);
	/* Bind a local port to a guest's port. */
	int		(*bind_interdomain)(struct xen *, unsigned int domid,
			    uint32_t remote_port, uint32_t *local_port);
	/* Bind VIRQ_DOM_EXC (a domain died or shut down). */
	int		(*bind_virq_dom_exc)(struct xen *, uint32_t *local_port);
	int		(*unbind)(struct xen *, uint32_t local_port);
	int		(*notify)(struct xen *, uint32_t local_port);
	/* Next pending port (EAGAIN: none); it is masked until unmask. */
	int		(*pending)(struct xen *, uint32_t *local_port);
	int		(*unmask)(struct xen *, uint32_t local_port);
	/*
	 * Map a guest's 4 KiB xenstore page (grant ref 1, or the mfn given
	 * to INTRODUCE where grants are not usable).
	 */
	int		(*map_ring)(struct xen *, unsigned int domid,
			    uint64_t mfn, void **page);
	void		(*unmap_ring)(struct xen *, unsigned int domid,
			    void *page);
	/* State of a domain. */
	int		(*domain_state)(struct xen *, unsigned int domid,
			    enum xen_domstate *);
	/*
	 * dom0's own ring and port where the daemon serves it
	 * (/proc/xen/xsd_kva, /proc/xen/xsd_port); ENOENT if none.
	 */
	int		(*dom0_ring)(struct xen *, void **page, uint32_t *port);
};

/* The open backend (xen.c). */
struct xen {
	const struct xen_ops	*ops;
	void			*priv;	/* the backend's own state */
	struct xsdbd		*xd;
	struct event		*ev;	/* the evtchn descriptor is readable */
	uint32_t		 virq_port; /* VIRQ_DOM_EXC, if have_virq */
	bool			 have_virq;
};

extern const struct xen_ops xen_real_ops;	/* xen-real.c */
extern const struct xen_ops xen_sim_ops;	/* xen-sim.c */

/* xen.c */
int		 xen_open(struct xsdbd *, const char *spec, char *err,
		     size_t errlen);
void		 xen_close(struct xsdbd *);
bool		 xen_spec_valid(const char *spec);
const char	*xen_backend(const struct xsdbd *);
bool		 xen_has_domains(const struct xsdbd *);
int		 xen_bind(struct xsdbd *, unsigned int domid,
		     uint32_t remote_port, uint32_t *local_port);
int		 xen_unbind(struct xsdbd *, uint32_t local_port);
int		 xen_notify(struct xsdbd *, uint32_t local_port);
int		 xen_map_ring(struct xsdbd *, unsigned int domid, uint64_t mfn,
		     void **page);
void		 xen_unmap_ring(struct xsdbd *, unsigned int domid, void *page);
int		 xen_domain_state(struct xsdbd *, unsigned int domid,
		     enum xen_domstate *);
int		 xen_dom0_ring(struct xsdbd *, void **page, uint32_t *port);

/*
 * conn-ring.c
 *
 * A guest's connection over its ring page and event channel.
 * conn_ring_new takes over the mapped page and the bound local port:
 * both are released when the connection is freed (conn_ring_free, its
 * conn_ops close). It offers XSDBD_RING_FEATURES on the page unless the
 * caller put features there, and reads what the guest may have sent
 * already; it leaves the indices as they are (a daemon restarted
 * mid-conversation picks up where it was).
 * conn_ring_reset empties the queues as a fresh INTRODUCE does, and
 * completes a reconnect the guest asked for; conn_ring_rebind binds the
 * ring's event channel afresh (an INTRODUCE of an introduced domain).
 *
 * conn.c may free any connection at the end of a turn (too much output
 * queued, out of memory): do not keep a ring connection's pointer across
 * turns; conn_ring_find gives the live one of a domain, or NULL.
 *
 * A protocol violation (inconsistent indices, a payload over 4096 bytes)
 * sets the page's error field (XS_RING_ERROR_RINGIDX, _PROTO), drops the
 * connection's input, output, watches and transactions and stops serving
 * the ring; the connection stays until it is freed or the guest asks to
 * reconnect (connection = 1), which restores service.
 *
 * conn_ring_event is called by xen.c for each pending port.
 */
/*
 * Features offered on a ring (server_features): reconnection, the error
 * indicator, WATCH with a depth, and DOMID_ANY, since permission entries
 * for XS_DOMID_ANY are parsed and matched by lib/perm.c.
 */
#define XSDBD_RING_FEATURES	(XS_FEATURE_RECONNECTION | XS_FEATURE_ERROR | \
				 XS_FEATURE_WATCH_DEPTH | XS_FEATURE_DOMID_ANY)

struct conn	*conn_ring_new(struct xsdbd *, unsigned int domid, void *page,
		     uint32_t local_port);
void		 conn_ring_event(struct xsdbd *, uint32_t local_port);
void		 conn_ring_free(struct conn *);
void		 conn_ring_reset(struct conn *);
int		 conn_ring_rebind(struct conn *, uint32_t remote,
		     uint32_t *local);
struct conn	*conn_ring_find(struct xsdbd *, unsigned int domid);
bool		 conn_ring_broken(const struct conn *);
void		 conn_ring_follow(struct conn *, const void *, size_t);
struct xs_ring	*conn_ring_page(const struct conn *);
uint32_t	 conn_ring_port(const struct conn *);
unsigned int	 conn_ring_drop_msgs(const struct conn *);
void		 conn_ring_fini(struct xsdbd *);

/* domain.c: VIRQ_DOM_EXC fired (called by xen.c). */
void		 domain_dom_exc(struct xsdbd *);

/* control.c */
int		 op_control(struct request *);

/*
 * lu-ring.c
 *
 * Every guest gets exactly one reply to each request across a crash or
 * a live update: a ring connection's input is copied without moving
 * req_cons, and a record of what it read, what it has not sent and its
 * open transactions (STORE_TABLE_CONNS, keyed by domid << 32 | chunk)
 * commits with the group (lu_ring_save before each commit, lu_ring_saved
 * after it); req_cons moves then. conn-ring.c reads through lu_ring_read,
 * writes only what lu_ring_writable allows and tells lu_ring_wrote; at
 * start-up lu_ring_attach starts a ring where its record says.
 */
struct lu_conn	*lu_ring_alloc(void);
void		 lu_ring_attach(struct conn *, struct lu_conn *);
void		 lu_ring_free(struct conn *);
int		 lu_ring_read(struct conn *, void *, size_t, size_t *);
bool		 lu_ring_can_read(struct conn *);
size_t		 lu_ring_writable(struct conn *, size_t len, size_t room);
void		 lu_ring_wrote(struct conn *, size_t);
bool		 lu_ring_wants_save(const struct conn *);
void		 lu_ring_reset(struct conn *);
void		 lu_ring_dropped(struct conn *);
void		 lu_ring_turn(struct xsdbd *);
void		 lu_ring_save(struct xsdbd *, struct store_txn *);
void		 lu_ring_saved(struct xsdbd *, int rc);
int		 lu_ring_save_all(struct xsdbd *);
int		 lu_ring_forget(struct store_txn *, unsigned int domid);
void		 lu_ring_take(struct conn *, const void *in, size_t,
		     const void *out, size_t, size_t partial);

/*
 * lu.c, lu-import.c
 *
 * Live update (CONTROL live-update, as Xen's xenstore-control drives
 * it): lu_control serves the sub-commands; lu_end_of_turn, between two
 * turns, hands the listening socket, the connections and their
 * transactions to the new binary and execs it in this process. The new
 * daemon (-U) finds them again: lu_init reads what was handed over (or,
 * from Xen's C xenstored, its migration stream) right after the options,
 * lu_import puts a migration stream's nodes and domains in the store
 * before domain_init, lu_restore serves the listener and the connections
 * once the rings are attached (ENOENT: nothing was handed over, listen
 * as usual). A transaction's requests are logged (lu_txn_note, from
 * dispatch.c) so that the new daemon can run them again on a snapshot of
 * its own the first time the transaction is used (lu_txn_resume): if any
 * of them answers otherwise, what it read changed and it ends in EAGAIN.
 */
int		 lu_init(struct xsdbd *, int argc, char **argv, char *err,
		     size_t errlen);
int		 lu_import(struct xsdbd *, char *err, size_t errlen);
int		 lu_restore(struct xsdbd *, char *err, size_t errlen);
void		 lu_end_of_turn(struct xsdbd *);
void		 lu_free(struct xsdbd *);
int		 lu_control(struct request *, const char **argv,
		     unsigned int argc);
void		 lu_txn_note(const struct request *, int rc);
int		 lu_txn_resume(struct txn *);
void		 lu_txn_free(struct txn *);

/* lu-import.c */
int		 lu_import_init(struct xsdbd *, char *err, size_t errlen);
int		 lu_import_restore(struct xsdbd *, char *err, size_t errlen);
void		 lu_import_free(struct xsdbd *);

/*
 * trace.c
 *
 * The -T trace file: one line per request, reply and connection event,
 * as Xen's daemon writes it. trace_reopen runs on SIGHUP.
 */
int		 trace_open(struct xsdbd *, const char *path);
void		 trace_reopen(struct xsdbd *);
void		 trace_close(struct xsdbd *);
void		 trace_conn(struct xsdbd *, const struct conn *, bool created);
void		 trace_in(struct xsdbd *, const struct conn *,
		     const struct xs_header *, const char *payload);
void		 trace_out(struct xsdbd *, const struct conn *,
		     const struct xs_header *, const char *payload);

#endif /* XSDBD_H */

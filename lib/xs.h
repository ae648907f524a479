/*
 * xs.h - the interface of lib/: the xenstore wire protocol, path rules,
 * permission strings, the ring page, the migration stream and its text
 * form, and a small blocking wire client.
 *
 * Shared by the daemon, the offline tools and the tests. Only the client
 * and the stream and text readers allocate, as their sections say;
 * nothing here touches LMDB or Xen.
 *
 * Errors are positive errno values with the names that travel on the wire
 * (EINVAL, ENOENT, E2BIG ...); 0 is success.
 *
 * Facts come from Xen's docs/misc/xenstore.txt and
 * xen/include/public/io/xs_wire.h; where those leave a behaviour open, Xen's
 * C xenstored 4.17 decided.
 */
#ifndef XS_H
#define XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Sizes fixed by the protocol. */
#define XS_HEADER_SIZE		16
#define XS_PAYLOAD_MAX		4096	/* XENSTORE_PAYLOAD_MAX */
#define XS_ABS_PATH_MAX		3072	/* XENSTORE_ABS_PATH_MAX */
#define XS_REL_PATH_MAX		2048	/* XENSTORE_REL_PATH_MAX */

/* Domain ids. */
#define XS_DOMID_MAX		0x7fefU	/* highest id of a real domain */
/*
 * DOMID_ANY, "every domain" in a permission entry (server feature 8). Not
 * in Xen 4.17, which has neither the constant nor the feature bit; it came
 * with Xen 4.22's public/xen.h (0x7FF5, right after DOMID_INVALID 0x7FF4).
 */
#define XS_DOMID_ANY		0x7ff5U

/* Message types (enum xsd_sockmsg_type). */
enum xs_type {
	XS_CONTROL = 0,		/* also called DEBUG */
	XS_DIRECTORY = 1,
	XS_READ = 2,
	XS_GET_PERMS = 3,
	XS_WATCH = 4,
	XS_UNWATCH = 5,
	XS_TRANSACTION_START = 6,
	XS_TRANSACTION_END = 7,
	XS_INTRODUCE = 8,
	XS_RELEASE = 9,
	XS_GET_DOMAIN_PATH = 10,
	XS_WRITE = 11,
	XS_MKDIR = 12,
	XS_RM = 13,
	XS_SET_PERMS = 14,
	XS_WATCH_EVENT = 15,
	XS_ERROR = 16,
	XS_IS_DOMAIN_INTRODUCED = 17,
	XS_RESUME = 18,
	XS_SET_TARGET = 19,
	XS_RESTRICT = 20,	/* removed from the protocol: ENOSYS */
	XS_RESET_WATCHES = 21,
	XS_DIRECTORY_PART = 22,
	XS_GET_FEATURE = 23,
	XS_SET_FEATURE = 24,
	XS_GET_QUOTA = 25,
	XS_SET_QUOTA = 26,
	XS_TYPE_COUNT = 27,
	XS_INVALID = 0xffff	/* XS_INVALID in xs_wire.h: ENOSYS */
};

/* Ring page features (server_features, xenstore-ring.txt). */
#define XS_FEATURE_RECONNECTION		1U
#define XS_FEATURE_ERROR		2U
#define XS_FEATURE_WATCH_DEPTH		4U
#define XS_FEATURE_DOMID_ANY		8U

/* Ring error field values. */
#define XS_RING_ERROR_NONE		0
#define XS_RING_ERROR_COMM		1
#define XS_RING_ERROR_RINGIDX		2
#define XS_RING_ERROR_PROTO		3

/* The 16-byte message header, host-endian on the wire. */
struct xs_header {
	uint32_t	type;
	uint32_t	req_id;
	uint32_t	tx_id;
	uint32_t	len;
};

/* wire.c */

/*
 * Name of a message type as Xen spells it ("READ", "WATCH_EVENT" ...), or
 * NULL for a number that was never a type. Type 20 gives "RESTRICT",
 * XS_INVALID gives "INVALID".
 */
const char	*xs_wire_type_name(uint32_t type);

/* Type number for a name as above (also "DEBUG" for CONTROL), or -1. */
int		 xs_wire_type_from_name(const char *name);

/*
 * True if the type is one a server handles as a request: 0..26 except
 * WATCH_EVENT, ERROR and the removed RESTRICT. Everything else is ENOSYS.
 */
bool		 xs_wire_type_is_request(uint32_t type);

/*
 * Wire name of an error number ("ENOENT"); errno values that have no wire
 * name travel as "EINVAL", as Xen's daemon does.
 */
const char	*xs_wire_error_name(int err);

/* Error number for a wire name, or 0 if the name is not one of them. */
int		 xs_wire_error_from_name(const char *name);

/*
 * Decode the 16 bytes at buf. Returns 0, or E2BIG if the length field is
 * over XS_PAYLOAD_MAX (a protocol violation: the connection must end).
 */
int		 xs_wire_header_decode(const void *buf, struct xs_header *h);

/* Encode h into the 16 bytes at buf. */
void		 xs_wire_header_encode(void *buf, const struct xs_header *h);

/*
 * Split a payload made only of nul-terminated strings, such as
 * "path\0token\0". Every string must be terminated and the payload must end
 * exactly after the last terminator. Fields point into the payload.
 * Returns 0 and sets *nfields; EINVAL if the payload is empty, a terminator
 * is missing, or there are more than max fields. Empty strings are fields
 * like any other; callers refuse them where the operation does.
 */
int		 xs_wire_split(const void *payload, uint32_t len,
		     const char **fields, unsigned int max,
		     unsigned int *nfields);

/*
 * Split "string\0rest" where rest is raw bytes (WRITE: path then value,
 * value may hold NULs and may be empty). Returns 0, or EINVAL if there is
 * no terminator.
 */
int		 xs_wire_split_first(const void *payload, uint32_t len,
		     const char **first, const void **rest,
		     uint32_t *restlen);

/*
 * Count the nul-terminated strings in a payload (xs_count_strings): every
 * NUL ends one; trailing bytes after the last NUL are not counted.
 */
unsigned int	 xs_wire_count_strings(const void *payload, uint32_t len);

/*
 * Build a whole message (header + payload) into out, which has room for
 * XS_HEADER_SIZE + XS_PAYLOAD_MAX bytes. Returns the message length, or 0
 * if len is over XS_PAYLOAD_MAX.
 */
size_t		 xs_wire_build(void *out, uint32_t type, uint32_t req_id,
		     uint32_t tx_id, const void *payload, uint32_t len);

/* Build an ERROR reply carrying the wire name of err plus its NUL. */
size_t		 xs_wire_build_error(void *out, uint32_t req_id,
		     uint32_t tx_id, int err);

/* path.c */

/*
 * What a path may be. XS_PATH_SPECIAL allows "@..." watch paths such as
 * @introduceDomain, @releaseDomain and @releaseDomain/<domid>.
 */
#define XS_PATH_SPECIAL		0x1

/*
 * Check an absolute path (or, with XS_PATH_SPECIAL, a special one):
 * starts with '/', characters [A-Za-z0-9/_@-] only, no "//", no trailing
 * '/' except the root, not empty, at most XS_ABS_PATH_MAX bytes.
 * A special path is '@' and then anything, at most XS_REL_PATH_MAX bytes in
 * all, which is all C xenstored 4.17 checks on a WATCH. Returns 0 or
 * EINVAL.
 *
 * The daemon must also apply its path-length quota (xs_path_check_quota):
 * C xenstored 4.17 refuses any node path whose xs_path_quota_len is over
 * 2048, so a 3072-byte path passes xs_path_check yet gets EINVAL there.
 */
int		 xs_path_check(const char *path, int flags);

/*
 * EINVAL if xs_path_quota_len(path) is over quota, else 0. With quota
 * XS_REL_PATH_MAX (Xen's default and its maximum) this accepts exactly the
 * node paths C xenstored 4.17 accepts: 2048 bytes outside a domain's home,
 * "/local/domain/<n>/" plus 2048 bytes inside one.
 */
int		 xs_path_check_quota(const char *path, size_t quota);

/*
 * Turn a request path into its absolute form in out (XS_ABS_PATH_MAX + 1
 * bytes): an absolute or special path is checked and copied; a relative
 * path is checked against XS_REL_PATH_MAX and becomes
 * "/local/domain/<domid>/<path>", which is then checked as absolute.
 * Returns 0, EINVAL, or ERANGE if out is too small.
 */
int		 xs_path_canonical(const char *path, unsigned int domid,
		     int flags, char *out, size_t outsz);

/*
 * The home of a domain, "/local/domain/<domid>", written into out.
 * Returns the length written.
 */
size_t		 xs_path_domain_home(unsigned int domid, char *out,
		     size_t outsz);

/*
 * Length of the part of path that counts against a domain's path-length
 * quota: what follows "/local/domain/<n>/" if the path starts so, else the
 * whole path (Xen's rule).
 */
size_t		 xs_path_quota_len(const char *path);

/*
 * For an event on abs path, the path to report to a watch registered with
 * a relative path by domid: abs without "/local/domain/<domid>/". Returns
 * a pointer into abs ("" for the home itself), or NULL if abs is not under
 * that home.
 */
const char	*xs_path_relative(const char *abs, unsigned int domid);

/*
 * Write the parent of an absolute path into out ("/a/b" -> "/a",
 * "/a" -> "/"). Returns 0, EINVAL for "/" (no parent) or a path not
 * starting with '/', or ERANGE if out is too small.
 */
int		 xs_path_parent(const char *path, char *out, size_t outsz);

/* Last component of an absolute path ("/a/b" -> "b", "/" -> ""). */
const char	*xs_path_basename(const char *path);

/*
 * True if path equals ancestor or lies below it ("/a/b" under "/a", not
 * "/ab"). Every path starting with '/' is under "/"; special paths are
 * not, but "@releaseDomain/5" is under "@releaseDomain".
 */
bool		 xs_path_is_under(const char *path, const char *ancestor);

/* Number of components: "/" is 0, "/a" is 1, "/a/b" is 2. */
unsigned int	 xs_path_depth(const char *path);

/* perm.c */

/* Access letters: n(one), r(ead), w(rite), b(oth). */
#define XS_PERM_NONE		0x0
#define XS_PERM_READ		0x1
#define XS_PERM_WRITE		0x2
#define XS_PERM_BOTH		(XS_PERM_READ | XS_PERM_WRITE)

/*
 * Not on the wire: a stored entry naming a domain that went away after
 * the entry was set. It stays in the list (GET_PERMS shows it, as Xen's
 * daemon does) but grants nothing, so that a new domain given the same
 * domid does not inherit it (XSA-322). Streams carry it as "stale".
 */
#define XS_PERM_IGNORE		0x10

/* Largest number of entries one permission list may carry on the wire. */
#define XS_PERMS_MAX		((XS_PAYLOAD_MAX - 2) / 3)

/*
 * One permission entry. In a node's list the first entry names the owner
 * (who always has full access) and its access is the default for every
 * domain not listed.
 */
struct xs_perm {
	uint32_t	domid;
	uint8_t		access;
};

/*
 * Parse one entry such as "r5" or "b0": a letter n, r, w or b followed by
 * a decimal domid of at most XS_DOMID_MAX, or XS_DOMID_ANY. Returns 0 or
 * EINVAL.
 */
int		 xs_perm_parse(const char *s, struct xs_perm *out);

/*
 * Parse the nul-terminated entries in s[0..len) (the tail of a SET_PERMS
 * payload), strictly as xs_wire_split: every entry terminated, nothing
 * after the last NUL, at least one entry. Returns 0 with *nperms entries
 * in out, or EINVAL (also for more than max entries).
 */
int		 xs_perm_parse_list(const char *s, uint32_t len,
		     struct xs_perm *out, unsigned int max,
		     unsigned int *nperms);

/*
 * Format one entry ("r5") into out. Returns the length without the NUL,
 * or 0 if it does not fit.
 */
size_t		 xs_perm_format(const struct xs_perm *p, char *out,
		     size_t outsz);

/*
 * Format a list as the GET_PERMS payload: each entry followed by a NUL.
 * Returns the length, or 0 if it does not fit.
 */
size_t		 xs_perm_format_list(const struct xs_perm *p,
		     unsigned int n, char *out, size_t outsz);

/*
 * The access a domain has to a node with this permission list, following
 * Xen's rules: the owner has XS_PERM_BOTH, a listed domid the access of
 * its first entry, everyone else the first entry's access. An entry for
 * XS_DOMID_ANY matches every domain (as owner too), as in Xen's "all
 * domains" permission. An empty list gives XS_PERM_NONE; an entry marked
 * XS_PERM_IGNORE is skipped. Privilege (dom0, targets) is the caller's
 * business.
 */
unsigned int	 xs_perm_access(const struct xs_perm *p, unsigned int n,
		     unsigned int domid);

/* ring.c */

/*
 * The xenstore ring page shared by a guest and the server
 * (docs/misc/xenstore-ring.txt; struct xenstore_domain_interface). req
 * carries requests from the guest, rsp replies and events to it. Indices
 * are free-running 32-bit byte counts; byte x of a queue lives at
 * XS_RING_MASK(x). Only the guest sets connection to XS_RING_RECONNECT,
 * only the server sets it back; error is the server's (XS_RING_ERROR_*).
 */
#define XS_RING_SIZE		1024	/* XENSTORE_RING_SIZE */
#define XS_RING_MASK(i)		((uint32_t)(i) & (XS_RING_SIZE - 1))
#define XS_RING_PAGE_SIZE	4096

/* The connection field. */
#define XS_RING_CONNECTED	0
#define XS_RING_RECONNECT	1

struct xs_ring {
	char		req[XS_RING_SIZE];	/* offset 0 */
	char		rsp[XS_RING_SIZE];	/* 1024 */
	uint32_t	req_cons;		/* 2048 */
	uint32_t	req_prod;		/* 2052 */
	uint32_t	rsp_cons;		/* 2056 */
	uint32_t	rsp_prod;		/* 2060 */
	uint32_t	server_features;	/* 2064, XS_FEATURE_* */
	uint32_t	connection;		/* 2068 */
	uint32_t	error;			/* 2072 */
	uint32_t	evtchn_port;		/* 2076 */
};

/* One of the two queues of the page. */
enum xs_ring_queue {
	XS_RING_REQ,		/* guest produces, server consumes */
	XS_RING_RSP		/* server produces, guest consumes */
};

/*
 * Shared fields are read with xs_ring_load (acquire) and written with
 * xs_ring_store (release); xs_ring_fence is a full barrier.
 */
uint32_t	 xs_ring_load(const uint32_t *field);
void		 xs_ring_store(uint32_t *field, uint32_t value);
void		 xs_ring_fence(void);

/* True if prod - cons (mod 2^32) is at most XS_RING_SIZE. */
bool		 xs_ring_idx_ok(uint32_t cons, uint32_t prod);

/* Bytes waiting in a queue. Returns 0, or EPROTO for impossible indices. */
int		 xs_ring_used(struct xs_ring *r, enum xs_ring_queue q,
		     size_t *n);

/*
 * Consume up to len bytes of a queue into out (the server reads
 * XS_RING_REQ, a guest XS_RING_RSP), wrapping at the end of the buffer.
 * Each index is read once and checked. Returns 0 with *done bytes taken
 * (0: empty), or EPROTO, taking nothing, if prod - cons is over
 * XS_RING_SIZE.
 */
int		 xs_ring_read(struct xs_ring *r, enum xs_ring_queue q,
		     void *out, size_t len, size_t *done);

/*
 * Produce up to len bytes into a queue (the server writes XS_RING_RSP, a
 * guest XS_RING_REQ). Returns 0 with *done bytes put (0: full), or EPROTO
 * as xs_ring_read.
 */
int		 xs_ring_write(struct xs_ring *r, enum xs_ring_queue q,
		     const void *in, size_t len, size_t *done);

/*
 * Message boundaries in a byte stream that arrives in pieces of any size:
 * the header of the message being received, or how much of its payload is
 * still to come.
 */
struct xs_frame {
	unsigned char	hdr[XS_HEADER_SIZE];
	uint32_t	hdr_used;	/* header bytes seen */
	uint32_t	left;		/* payload bytes still to come */
	uint64_t	messages;	/* headers seen so far */
};

void		 xs_frame_reset(struct xs_frame *f);

/*
 * Follow len more bytes. Returns 0, or E2BIG as soon as a header with a
 * length over XS_PAYLOAD_MAX is complete (a protocol violation); *whole,
 * if not NULL, is then the count of bytes of buf before that header (0
 * if it began in an earlier call), else len. Reset f after E2BIG.
 */
int		 xs_frame_scan(struct xs_frame *f, const void *buf,
		     size_t len, size_t *whole);

/* client.c */

/*
 * A blocking client of the wire protocol over a Unix socket, for tools,
 * tests and benchmarks. Not used by the daemon.
 */
struct xs_client;

/*
 * A reply: type is XS_ERROR for errors; payload (hdr.len bytes, then a NUL
 * the client adds) is owned by the client and valid until the next call
 * on it.
 */
struct xs_reply {
	struct xs_header	 hdr;
	const char		*payload;
};

/* Connect to the socket at path. Returns 0 or an errno value. */
int		 xs_client_open(const char *path, struct xs_client **out);

/*
 * Make a client of a connected stream socket (a socketpair end, say); the
 * client owns fd from then on. Returns 0, EBADF or ENOMEM.
 */
int		 xs_client_fdopen(int fd, struct xs_client **out);

/* Close the connection and free the client. */
void		 xs_client_close(struct xs_client *c);

/* File descriptor of the connection (for poll). */
int		 xs_client_fd(const struct xs_client *c);

/*
 * Send one request and wait for its reply, setting aside any WATCH_EVENT
 * that arrives first (see xs_client_next_event). Request ids are the
 * client's own, 1 and up. Returns 0 with *reply set (which may be an
 * ERROR reply); E2BIG if len is over XS_PAYLOAD_MAX; EBUSY while replies
 * to xs_client_send are outstanding; or an errno value if the connection
 * failed: ECONNRESET when the peer closed, EPROTO for a reply over
 * XS_PAYLOAD_MAX or with another req_id. Connection errors are sticky:
 * every later call returns them.
 */
int		 xs_client_request(struct xs_client *c, uint32_t type,
		     uint32_t tx_id, const void *payload, uint32_t len,
		     struct xs_reply *reply);

/*
 * Convenience over xs_client_request for the common operations. They
 * return 0, the errno named by an ERROR reply (EINVAL for a name not in
 * the table), E2BIG if the request does not fit in XS_PAYLOAD_MAX, or EIO
 * if the connection failed or the reply was of the wrong type. Values
 * returned through out pointers are malloc'ed and belong to the caller;
 * *len excludes the NUL that is always added.
 */
int		 xs_client_read(struct xs_client *c, uint32_t tx_id,
		     const char *path, char **value, uint32_t *len);
int		 xs_client_write(struct xs_client *c, uint32_t tx_id,
		     const char *path, const void *value, uint32_t len);
int		 xs_client_mkdir(struct xs_client *c, uint32_t tx_id,
		     const char *path);
int		 xs_client_rm(struct xs_client *c, uint32_t tx_id,
		     const char *path);
int		 xs_client_directory(struct xs_client *c, uint32_t tx_id,
		     const char *path, char **names, uint32_t *len);
int		 xs_client_get_perms(struct xs_client *c, uint32_t tx_id,
		     const char *path, char **perms, uint32_t *len);
int		 xs_client_set_perms(struct xs_client *c, uint32_t tx_id,
		     const char *path, const struct xs_perm *p,
		     unsigned int n);
int		 xs_client_watch(struct xs_client *c, const char *path,
		     const char *token);
int		 xs_client_unwatch(struct xs_client *c, const char *path,
		     const char *token);
int		 xs_client_transaction_start(struct xs_client *c,
		     uint32_t *tx_id);
int		 xs_client_transaction_end(struct xs_client *c,
		     uint32_t tx_id, bool commit);

/*
 * Send a request without waiting (pipelining); replies are then taken in
 * order with xs_client_recv. Returns 0 or an errno value.
 */
int		 xs_client_send(struct xs_client *c, uint32_t type,
		     uint32_t req_id, uint32_t tx_id, const void *payload,
		     uint32_t len);

/*
 * Receive the next message of any type from the connection, WATCH_EVENTs
 * included, waiting at most timeout_ms (-1: for ever). Events set aside
 * earlier stay for xs_client_next_event. A message cut short by the
 * timeout is kept for the next call. Returns 0, ETIMEDOUT, or an errno
 * value as xs_client_request.
 */
int		 xs_client_recv(struct xs_client *c, int timeout_ms,
		     struct xs_reply *msg);

/*
 * The next watch event: one set aside by an earlier call, else one read
 * from the socket within timeout_ms. *path and *token point into client
 * memory valid until the next call. Returns 0, ETIMEDOUT, EBUSY while
 * replies to xs_client_send are outstanding, EPROTO for an event that is
 * not "path\0token\0" or a message that is not an event, or an errno as
 * xs_client_request.
 */
int		 xs_client_next_event(struct xs_client *c, int timeout_ms,
		     const char **path, const char **token);

/* stream.c */

/*
 * The xenstore migration stream (docs/designs/xenstore-migration.md in
 * xen.git): a 16-byte header ("xenstore", version, flags; big-endian),
 * then records, each a type and a length (in the stream's byte order)
 * and a body padded with zeros to a multiple of 8 bytes, ending with an
 * END record. Version 1 has record types 0 to 7, version 2 adds
 * WATCH_DATA_EXTENDED and the domain's features in DOMAIN_DATA.
 *
 * The reader takes a whole stream in memory and never reads outside it;
 * it checks everything before handing a record out, and on corrupt or
 * truncated input gives EINVAL and a sentence naming the byte offset.
 * The writer writes the host's byte order.
 */
#define XS_STREAM_IDENT		"xenstore"	/* 8 bytes, no NUL */
#define XS_STREAM_HEADER_SIZE	16
#define XS_STREAM_VERSION_MIN	1
#define XS_STREAM_VERSION	2		/* highest version known */
#define XS_STREAM_FLAG_BIG	0x1U		/* records are big-endian */
#define XS_STREAM_RECORD_MAX	(16U << 20)	/* longest body read */
#define XS_STREAM_QUOTA_MAX	64		/* quota values in a record */
#define XS_STREAM_DOMID_INVALID	0x7ff4U		/* DOMID_INVALID: no target */

/* Record types. */
enum xs_stream_type {
	XS_STREAM_END = 0,
	XS_STREAM_GLOBAL = 1,		/* GLOBAL_DATA */
	XS_STREAM_CONN = 2,		/* CONNECTION_DATA */
	XS_STREAM_WATCH = 3,		/* WATCH_DATA */
	XS_STREAM_TXN = 4,		/* TRANSACTION_DATA */
	XS_STREAM_NODE = 5,		/* NODE_DATA */
	XS_STREAM_GLOBAL_QUOTA = 6,	/* GLOBAL_QUOTA_DATA */
	XS_STREAM_DOMAIN = 7,		/* DOMAIN_DATA */
	XS_STREAM_WATCH_EXT = 8,	/* WATCH_DATA_EXTENDED, version 2 */
	XS_STREAM_TYPE_COUNT = 9
};

/* GLOBAL_DATA: descriptors a live update hands over (-1: none). */
struct xs_stream_global {
	int32_t		 socket_fd;
	int32_t		 evtchn_fd;
};

/* CONNECTION_DATA. */
#define XS_STREAM_CONN_RING	0	/* conn_type */
#define XS_STREAM_CONN_SOCKET	1
#define XS_STREAM_CONN_UNIQUE_ID 0x1U	/* fields: unique_id follows */

struct xs_stream_conn {
	uint32_t	 conn_id;	/* not 0; named by later records */
	uint16_t	 conn_type;
	uint16_t	 fields;	/* XS_STREAM_CONN_UNIQUE_ID */
	uint16_t	 domid;		/* ring: the guest */
	uint16_t	 tdomid;	/* ring: its target, or
					   XS_STREAM_DOMID_INVALID */
	uint32_t	 evtchn;	/* ring: the server's port */
	int32_t		 socket_fd;	/* socket */
	uint16_t	 in_len;	/* bytes read, not yet handled */
	uint16_t	 resp_len;	/* partial reply among out bytes */
	uint32_t	 out_len;	/* bytes not yet written */
	const void	*data;		/* in_len then out_len bytes */
	uint64_t	 unique_id;	/* with XS_STREAM_CONN_UNIQUE_ID */
};

/*
 * WATCH_DATA and WATCH_DATA_EXTENDED. The path is as the client gave it
 * (relative, absolute or special).
 */
#define XS_STREAM_DEPTH_ALL	0xffffU	/* extended: no depth limit */

struct xs_stream_watch {
	uint32_t	 conn_id;
	bool		 extended;	/* WATCH_DATA_EXTENDED */
	uint16_t	 depth;		/* extended only */
	const char	*path;
	const char	*token;
};

/* TRANSACTION_DATA. */
struct xs_stream_txn {
	uint32_t	 conn_id;
	uint32_t	 tx_id;
};

/*
 * NODE_DATA. conn_id 0 is a committed node; otherwise the node belongs to
 * the pending transaction (conn_id, tx_id), and nperms 0 means that
 * transaction deleted it. perm_flags[i] holds the flags byte of entry i
 * (XS_STREAM_PERM_STALE: a permission to ignore in checks).
 */
#define XS_STREAM_NODE_READ	0x1U	/* access */
#define XS_STREAM_NODE_WRITTEN	0x2U
#define XS_STREAM_PERM_STALE	0x01U

struct xs_stream_node {
	uint32_t		 conn_id;
	uint32_t		 tx_id;
	uint16_t		 access;
	unsigned int		 nperms;
	const struct xs_perm	*perms;
	const uint8_t		*perm_flags;	/* NULL when writing: all 0 */
	const char		*path;
	const void		*value;
	uint32_t		 vlen;
};

/*
 * GLOBAL_QUOTA_DATA (n_dom per-domain defaults, then n_glob global
 * values) and DOMAIN_DATA (domid, features, n_dom values; n_glob is 0).
 * Names come with the values, in order; a value of 0 is no limit.
 */
struct xs_stream_quota {
	uint16_t	 domid;		/* DOMAIN_DATA */
	uint32_t	 features;	/* DOMAIN_DATA, version 2 */
	unsigned int	 n_dom;
	unsigned int	 n_glob;
	uint32_t	 val[XS_STREAM_QUOTA_MAX];
	const char	*name[XS_STREAM_QUOTA_MAX];
};

/*
 * One record. offset is where its header starts in the stream and len
 * is the length field (the body, possibly with its padding). Pointers
 * lead into the stream or into the reader and stay valid until the next
 * call on the reader.
 */
struct xs_stream_record {
	uint32_t	 type;		/* enum xs_stream_type */
	size_t		 offset;
	uint32_t	 len;
	union {
		struct xs_stream_global	global;
		struct xs_stream_conn	conn;
		struct xs_stream_watch	watch;
		struct xs_stream_txn	txn;
		struct xs_stream_node	node;
		struct xs_stream_quota	quota;	/* GLOBAL_QUOTA, DOMAIN */
	} u;
};

/* Name of a record type as the design spells it, or NULL. */
const char	*xs_stream_type_name(uint32_t type);

/*
 * Check the path of a NODE_DATA record: an absolute path (xs_path_check),
 * or a special one ("@introduceDomain") made of the characters a path may
 * hold. Returns 0 or EINVAL.
 */
int		 xs_stream_node_path_check(const char *path);

/*
 * A reader of the stream in buf[0..len), which must stay unchanged while
 * the reader lives. It allocates (the ids it has seen, to check that
 * records only name connections, transactions and domains defined
 * before them). Returns NULL if out of memory.
 */
struct xs_stream_reader;
struct xs_stream_reader *xs_stream_reader_new(const void *buf, size_t len);
void		 xs_stream_reader_free(struct xs_stream_reader *r);

/*
 * The next record. The first call checks the header. Returns 0 with *rec
 * set (END is returned once, after which the stream is known to hold
 * nothing more); ENOENT after END; EINVAL for a stream that is corrupt
 * or truncated (see xs_stream_reader_error); ENOMEM. Errors are sticky.
 * Checked: ident, version, flags; each length (no record past the end,
 * none over XS_STREAM_RECORD_MAX, the padding present, the body's fields
 * filling it up to its padding); known types for the version; paths
 * (xs_stream_node_path_check for nodes; watch paths may also be
 * relative); NUL-terminated strings with no NUL inside; permissions
 * (letters n, r, w, b, flags, domids as xs_perm_parse, at most
 * XS_PERMS_MAX, at least one for a committed node); that connections,
 * transactions and domains are defined once and before use; that END is
 * last.
 */
int		 xs_stream_next(struct xs_stream_reader *r,
		     struct xs_stream_record *rec);

/* Version and byte order of the stream (after the first xs_stream_next). */
uint32_t	 xs_stream_reader_version(const struct xs_stream_reader *r);
bool		 xs_stream_reader_big_endian(const struct xs_stream_reader *r);

/*
 * The last error as a sentence starting with its byte offset ("byte 24:
 * unknown record type 9"), "" if none; and that offset.
 */
const char	*xs_stream_reader_error(const struct xs_stream_reader *r);
size_t		 xs_stream_reader_error_offset(const struct xs_stream_reader *r);

/*
 * The writer hands its bytes to out, which returns 0 or an errno value.
 * Records get a length rounded up to a multiple of 8, the padding
 * counted in it, as Xen's xenstored writes them (the design's readers
 * and Xen's own both read that).
 */
typedef int	 xs_stream_out_fn(void *arg, const void *buf, size_t len);

struct xs_stream_writer {
	xs_stream_out_fn	*out;
	void			*arg;
	uint32_t		 version;
	int			 err;	/* sticky */
	uint64_t		 bytes;	/* written so far */
};

/*
 * Start a stream of version (XS_STREAM_VERSION_MIN..XS_STREAM_VERSION)
 * in the host's byte order: writes the header. Returns 0, EINVAL for
 * another version, or out's error.
 */
int		 xs_stream_writer_init(struct xs_stream_writer *w,
		     uint32_t version, xs_stream_out_fn *out, void *arg);

/*
 * Write one record. Each checks what it writes as the reader would and
 * returns 0, EINVAL (a field the reader would refuse, a record the
 * version has no place for), E2BIG (a length over its field) or out's
 * error. Errors of out are sticky. write_quota writes GLOBAL_QUOTA_DATA
 * or, with type XS_STREAM_DOMAIN, DOMAIN_DATA.
 */
int		 xs_stream_write_global(struct xs_stream_writer *w,
		     const struct xs_stream_global *g);
int		 xs_stream_write_conn(struct xs_stream_writer *w,
		     const struct xs_stream_conn *c);
int		 xs_stream_write_watch(struct xs_stream_writer *w,
		     const struct xs_stream_watch *wa);
int		 xs_stream_write_txn(struct xs_stream_writer *w,
		     const struct xs_stream_txn *t);
int		 xs_stream_write_node(struct xs_stream_writer *w,
		     const struct xs_stream_node *n);
int		 xs_stream_write_quota(struct xs_stream_writer *w,
		     uint32_t type, const struct xs_stream_quota *q);
int		 xs_stream_write_end(struct xs_stream_writer *w);

/*
 * The n->nperms entries of a node record into out, each stale one
 * marked XS_PERM_IGNORE, as a store keeps them. (The writers take such
 * a mark as the stale flag.)
 */
void		 xs_stream_node_perms(const struct xs_stream_node *n,
		     struct xs_perm *out);

/* Write any record as read by xs_stream_next (END included). */
int		 xs_stream_write_record(struct xs_stream_writer *w,
		     const struct xs_stream_record *rec);

/* text.c */

/*
 * The text form of the committed nodes of a stream, for people and
 * diffs: one line per node, parents before children,
 *
 *	/local/domain/1/name = "guest1" (n1,r0)
 *
 * the path, " = ", the value in double quotes, " (", the permissions as
 * SET_PERMS spells them (owner first) separated by commas, ")". A stale
 * permission (XS_STREAM_PERM_STALE) carries a '!' after its domid. In the
 * value, bytes 0x20 to 0x7e stand for themselves but for '\\' and '"';
 * the others are \\ \" \n \t \0 (NUL: a single byte, never octal) or
 * \xNN (two hex digits). Blank lines and lines starting with '#' are
 * comments. Nothing else is allowed on a line.
 */
#define XS_TEXT_VALUE_MAX	UINT16_MAX	/* NODE_DATA's value-len */

/*
 * Write a committed node (conn_id 0) as one line, newline included,
 * through out. Returns 0, EINVAL (a node the stream has no place for), or
 * out's error.
 */
int		 xs_text_write_node(xs_stream_out_fn *out, void *arg,
		     const struct xs_stream_node *n);

/*
 * A reader of the text in buf[0..len) (unchanged while the reader lives),
 * which hands out each line's node as a NODE_DATA record with conn_id 0
 * (offset is where its line starts, len 0), then one END record. It
 * allocates room for one value. Returns NULL if out of memory.
 */
struct xs_text_reader;
struct xs_text_reader *xs_text_reader_new(const void *buf, size_t len);
void		 xs_text_reader_free(struct xs_text_reader *r);

/*
 * The next record. Returns 0, ENOENT after END, EINVAL for a line that is
 * not a node as above (see xs_text_reader_error). Errors are sticky.
 */
int		 xs_text_next(struct xs_text_reader *r,
		     struct xs_stream_record *rec);

/*
 * The last error as a sentence starting with where it is ("line 3,
 * column 12: ..."), "" if none; its byte offset in buf; its line (from 1).
 */
const char	*xs_text_reader_error(const struct xs_text_reader *r);
size_t		 xs_text_reader_error_offset(const struct xs_text_reader *r);
size_t		 xs_text_reader_error_line(const struct xs_text_reader *r);

#endif /* XS_H */

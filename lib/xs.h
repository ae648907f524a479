/*
 * xs.h - the interface of lib/: the xenstore wire protocol, path rules,
 * permission strings and a small blocking wire client.
 *
 * Shared by the daemon, the offline tools and the tests. Nothing here
 * allocates behind the caller's back except the client, and nothing here
 * touches LMDB or Xen.
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
 * domains" permission. An empty list gives XS_PERM_NONE. Privilege (dom0,
 * targets) is the caller's business.
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

#endif /* XS_H */

/*
 * stream.c - the xenstore migration stream: a reader that checks every
 * byte it hands out, and a writer.
 *
 * The format is Xen's (docs/designs/xenstore-migration.md): a header of
 * 16 bytes, always big-endian,
 *
 *	0 "xenstore"	8 version	12 flags (bit 0: records big-endian)
 *
 * then records, each
 *
 *	0 type		4 len		8 body[len], zeros up to a multiple
 *					  of 8 bytes
 *
 * in the byte order the flags name. The design calls len the length of
 * the body without its padding; Xen's xenstored writes it rounded up,
 * padding included, and reads the next record at 8 + len. Both forms are
 * read here: the next record starts at 8 + len rounded up to 8, and the
 * fields a body declares must fill it up to its padding, so that a body
 * of 37 bytes may have len 37 or 40 and nothing else. The writer rounds
 * up, as Xen does, so that Xen's reader takes what is written here.
 *
 * Bodies, offsets from the start of the body (u16, u32: unsigned of the
 * stream's byte order; i32 signed):
 *
 *	GLOBAL_DATA (1)	 0 i32 socket fd   4 i32 event channel fd
 *	CONNECTION (2)	 0 u32 conn-id	   4 u16 type	6 u16 fields
 *			 8 ring: u16 domid, u16 tdomid, u32 evtchn;
 *			   socket: i32 fd, 4 bytes of padding
 *			16 u16 in-len	  18 u16 resp-len 20 u32 out-len
 *			24 in-len + out-len bytes of data; with field bit 0,
 *			   a u64 unique id at the next multiple of 8
 *	WATCH (3)	 0 u32 conn-id	   4 u16 path-len 6 u16 token-len
 *			 8 path, token (each with its NUL)
 *	TRANSACTION (4)	 0 u32 conn-id	   4 u32 tx-id
 *	NODE (5)	 0 u32 conn-id	   4 u32 tx-id	8 u16 path-len
 *			10 u16 value-len  12 u16 access 14 u16 perm-count
 *			16 perm-count entries of 4 bytes: letter (n r w b),
 *			   flags (bit 0: stale), u16 domid; then the path
 *			   with its NUL, then the value
 *	GLOBAL_QUOTA (6) 0 u16 n-dom	   2 u16 n-glob	4 u32 values[n],
 *			   then n NUL-terminated names
 *	DOMAIN (7)	 0 u16 domid	   2 u16 n	4 u32 features
 *			   (version 2), 8 u32 values[n], then n names
 *	WATCH_EXT (8)	 0 u32 conn-id	   4 u16 path-len 6 u16 token-len
 *			 8 u16 depth	  10 u16 pad	12 path, token
 *	END (0)		   empty; must be the last record.
 *
 * Records refer to earlier ones: a watch or a transaction to its
 * connection, a pending node to its transaction. The reader keeps the
 * ids it has seen in two small hash sets and a bitmap of domains.
 */
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

/* Fixed part of each body. */
#define XS_STREAM_GLOBAL_LEN	8
#define XS_STREAM_CONN_LEN	24
#define XS_STREAM_WATCH_LEN	8
#define XS_STREAM_WATCH_EXT_LEN	12
#define XS_STREAM_TXN_LEN	8
#define XS_STREAM_NODE_LEN	16
#define XS_STREAM_PERM_LEN	4
#define XS_STREAM_GQUOTA_LEN	4
#define XS_STREAM_DOMAIN_LEN	8

#define XS_STREAM_ROUND8(n)	(((n) + 7) & ~(uint64_t)7)

/*
 * A set of 64-bit ids (open addressing; a slot holds id + 1, 0: free;
 * UINT64_MAX, which has no slot, is a flag).
 */
struct xs_stream_set {
	uint64_t	*slot;
	size_t		 cap;	/* a power of two, or 0 */
	size_t		 n;
	bool		 max;	/* holds UINT64_MAX */
};

struct xs_stream_reader {
	const unsigned char	*buf;
	size_t			 len;
	size_t			 off;		/* of the next record */
	uint32_t		 version;
	bool			 big;
	bool			 swap;		/* not the host's order */
	bool			 started;
	bool			 ended;
	int			 err;		/* sticky */
	size_t			 err_off;
	char			 msg[256];

	struct xs_stream_set	 conns;		/* conn-ids */
	struct xs_stream_set	 txns;		/* conn-id << 32 | tx-id */
	unsigned char		*domains;	/* bitmap of DOMAIN_DATA */

	struct xs_perm		 perms[XS_PERMS_MAX];
	uint8_t			 pflags[XS_PERMS_MAX];
};

static const char *const xs_stream_names[XS_STREAM_TYPE_COUNT] = {
	"END", "GLOBAL_DATA", "CONNECTION_DATA", "WATCH_DATA",
	"TRANSACTION_DATA", "NODE_DATA", "GLOBAL_QUOTA_DATA", "DOMAIN_DATA",
	"WATCH_DATA_EXTENDED"
};

static bool	xs_stream_host_big(void);
static uint16_t	xs_stream_sw16(uint16_t, bool);
static uint32_t	xs_stream_sw32(uint32_t, bool);
static uint64_t	xs_stream_sw64(uint64_t, bool);
static uint16_t	xs_stream_get16(const struct xs_stream_reader *, size_t);
static uint32_t	xs_stream_get32(const struct xs_stream_reader *, size_t);
static uint64_t	xs_stream_get64(const struct xs_stream_reader *, size_t);
static uint32_t	xs_stream_get_be32(const unsigned char *);
static int	xs_stream_fail(struct xs_stream_reader *, size_t, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static uint64_t	xs_stream_hash(uint64_t);
static bool	xs_stream_set_has(const struct xs_stream_set *, uint64_t);
static int	xs_stream_set_add(struct xs_stream_set *, uint64_t);
static int	xs_stream_fits(struct xs_stream_reader *, size_t, uint32_t,
		    uint64_t);
static int	xs_stream_string(struct xs_stream_reader *, size_t, size_t,
		    const char *, const char **);
static int	xs_stream_letter(int);
static int	xs_stream_watch_path(const char *);
static int	xs_stream_read_header(struct xs_stream_reader *);
static int	xs_stream_read_conn(struct xs_stream_reader *, size_t,
		    uint32_t, struct xs_stream_conn *);
static int	xs_stream_read_watch(struct xs_stream_reader *, size_t,
		    uint32_t, bool, struct xs_stream_watch *);
static int	xs_stream_read_txn(struct xs_stream_reader *, size_t,
		    uint32_t, struct xs_stream_txn *);
static int	xs_stream_read_node(struct xs_stream_reader *, size_t,
		    uint32_t, struct xs_stream_node *);
static int	xs_stream_read_quota(struct xs_stream_reader *, size_t,
		    uint32_t, uint32_t, struct xs_stream_quota *);
static int	xs_stream_emit(struct xs_stream_writer *, uint32_t,
		    const struct iovec *, unsigned int);
static void	xs_stream_put16(unsigned char *, uint16_t);
static void	xs_stream_put32(unsigned char *, uint32_t);
static int	xs_stream_check_token(const char *, size_t *);

/* The path of a node: absolute, or special of path characters. */
int
xs_stream_node_path_check(const char *path)
{
	const char	*p;

	if (path == NULL || xs_path_check(path, XS_PATH_SPECIAL) != 0)
		return (EINVAL);
	if (path[0] != '@')
		return (0);
	for (p = path + 1; *p != '\0'; p++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789/_@-", *p) == NULL)
			return (EINVAL);
	}
	return (0);
}

/* Name of a record type. */
const char *
xs_stream_type_name(uint32_t type)
{
	if (type >= XS_STREAM_TYPE_COUNT)
		return (NULL);
	return (xs_stream_names[type]);
}

/* True on a big-endian host. */
static bool
xs_stream_host_big(void)
{
	const uint16_t	one = 1;

	return (*(const unsigned char *)&one == 0);
}

/* Swap the bytes of a 16-bit value if asked to. */
static uint16_t
xs_stream_sw16(uint16_t v, bool swap)
{
	return (swap ? __builtin_bswap16(v) : v);
}

/* Swap the bytes of a 32-bit value if asked to. */
static uint32_t
xs_stream_sw32(uint32_t v, bool swap)
{
	return (swap ? __builtin_bswap32(v) : v);
}

/* Swap the bytes of a 64-bit value if asked to. */
static uint64_t
xs_stream_sw64(uint64_t v, bool swap)
{
	return (swap ? __builtin_bswap64(v) : v);
}

/* The u16 at off, in the stream's order. The caller checked the bounds. */
static uint16_t
xs_stream_get16(const struct xs_stream_reader *r, size_t off)
{
	uint16_t	v;

	memcpy(&v, r->buf + off, sizeof v);
	return (xs_stream_sw16(v, r->swap));
}

/* The u32 at off, in the stream's order. */
static uint32_t
xs_stream_get32(const struct xs_stream_reader *r, size_t off)
{
	uint32_t	v;

	memcpy(&v, r->buf + off, sizeof v);
	return (xs_stream_sw32(v, r->swap));
}

/* The u64 at off, in the stream's order. */
static uint64_t
xs_stream_get64(const struct xs_stream_reader *r, size_t off)
{
	uint64_t	v;

	memcpy(&v, r->buf + off, sizeof v);
	return (xs_stream_sw64(v, r->swap));
}

/* A big-endian u32 (the header's fields). */
static uint32_t
xs_stream_get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* Record an error at byte off of the stream; it sticks. Returns EINVAL. */
static int
xs_stream_fail(struct xs_stream_reader *r, size_t off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(r->msg, sizeof r->msg, "byte %zu: ", off);
	if (n < 0)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof r->msg - (size_t)n, fmt, ap);
	va_end(ap);
	r->err = EINVAL;
	r->err_off = off;
	return (EINVAL);
}

/* Mix the bits of an id (splitmix64's finalizer). */
static uint64_t
xs_stream_hash(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

/* True if the set holds id. */
static bool
xs_stream_set_has(const struct xs_stream_set *s, uint64_t id)
{
	size_t	i;

	if (id == UINT64_MAX)
		return (s->max);
	if (s->cap == 0)
		return (false);
	for (i = xs_stream_hash(id) & (s->cap - 1); s->slot[i] != 0;
	    i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == id + 1)
			return (true);
	}
	return (false);
}

/* Add id (not yet in the set), growing at half full. 0 or ENOMEM. */
static int
xs_stream_set_add(struct xs_stream_set *s, uint64_t id)
{
	struct xs_stream_set	 bigger;
	size_t			 i;

	if (id == UINT64_MAX) {
		s->max = true;
		return (0);
	}
	if (2 * (s->n + 1) > s->cap) {
		bigger.cap = s->cap ? 2 * s->cap : 64;
		bigger.n = 0;
		bigger.max = s->max;
		if ((bigger.slot = calloc(bigger.cap, sizeof *bigger.slot)) ==
		    NULL)
			return (ENOMEM);
		for (i = 0; i < s->cap; i++) {
			if (s->slot[i] != 0)
				(void)xs_stream_set_add(&bigger,
				    s->slot[i] - 1);
		}
		free(s->slot);
		*s = bigger;
	}
	for (i = xs_stream_hash(id) & (s->cap - 1); s->slot[i] != 0;
	    i = (i + 1) & (s->cap - 1))
		;
	s->slot[i] = id + 1;
	s->n++;
	return (0);
}

/* Make a reader of buf[0..len). */
struct xs_stream_reader *
xs_stream_reader_new(const void *buf, size_t len)
{
	struct xs_stream_reader	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return (NULL);
	r->buf = buf;
	r->len = len;
	return (r);
}

/* Free a reader. */
void
xs_stream_reader_free(struct xs_stream_reader *r)
{
	if (r == NULL)
		return;
	free(r->conns.slot);
	free(r->txns.slot);
	free(r->domains);
	free(r);
}

/* Version of the stream. */
uint32_t
xs_stream_reader_version(const struct xs_stream_reader *r)
{
	return (r->version);
}

/* True if the records are big-endian. */
bool
xs_stream_reader_big_endian(const struct xs_stream_reader *r)
{
	return (r->big);
}

/* The last error, "" if none. */
const char *
xs_stream_reader_error(const struct xs_stream_reader *r)
{
	return (r->msg);
}

/* Offset of the last error. */
size_t
xs_stream_reader_error_offset(const struct xs_stream_reader *r)
{
	return (r->err_off);
}

/* Check the header. */
static int
xs_stream_read_header(struct xs_stream_reader *r)
{
	uint32_t	flags;

	if (r->len < XS_STREAM_HEADER_SIZE)
		return (xs_stream_fail(r, 0, "the header is cut short: %zu of "
		    "%u bytes", r->len, XS_STREAM_HEADER_SIZE));
	if (memcmp(r->buf, XS_STREAM_IDENT, 8) != 0)
		return (xs_stream_fail(r, 0, "not a xenstore stream (no "
		    "\"xenstore\" ident)"));
	r->version = xs_stream_get_be32(r->buf + 8);
	if (r->version < XS_STREAM_VERSION_MIN ||
	    r->version > XS_STREAM_VERSION)
		return (xs_stream_fail(r, 8, "stream version %u is not one "
		    "of %u to %u", r->version, XS_STREAM_VERSION_MIN,
		    XS_STREAM_VERSION));
	flags = xs_stream_get_be32(r->buf + 12);
	if ((flags & ~XS_STREAM_FLAG_BIG) != 0)
		return (xs_stream_fail(r, 12, "reserved header flags set "
		    "(0x%x)", flags));
	r->big = (flags & XS_STREAM_FLAG_BIG) != 0;
	r->swap = r->big != xs_stream_host_big();
	r->off = XS_STREAM_HEADER_SIZE;
	r->started = true;
	return (0);
}

/*
 * Check that the fields of a body at off fill its length: they take
 * need bytes, and len may add at most the padding up to 8.
 */
static int
xs_stream_fits(struct xs_stream_reader *r, size_t off, uint32_t len,
    uint64_t need)
{
	if (need > len)
		return (xs_stream_fail(r, off, "the record's fields need %llu "
		    "bytes, its length is %u", (unsigned long long)need, len));
	if (len > XS_STREAM_ROUND8(need))
		return (xs_stream_fail(r, off, "%llu bytes after the record's "
		    "fields, more than padding",
		    (unsigned long long)(len - need)));
	return (0);
}

/*
 * The string of n bytes at off (n includes its NUL): non-empty unless
 * it may be, ending in its NUL with none before. what names it in errors.
 */
static int
xs_stream_string(struct xs_stream_reader *r, size_t off, size_t n,
    const char *what, const char **out)
{
	const char	*s = (const char *)r->buf + off;

	if (n == 0)
		return (xs_stream_fail(r, off, "%s has length 0 (no NUL)",
		    what));
	if (s[n - 1] != '\0')
		return (xs_stream_fail(r, off + n - 1, "%s does not end with "
		    "a NUL", what));
	if (memchr(s, '\0', n - 1) != NULL)
		return (xs_stream_fail(r, off, "%s holds a NUL before its end",
		    what));
	*out = s;
	return (0);
}

/* Access bits for a permission letter of the stream, or -1. */
static int
xs_stream_letter(int c)
{
	switch (c) {
	case 'n':
		return (XS_PERM_NONE);
	case 'r':
		return (XS_PERM_READ);
	case 'w':
		return (XS_PERM_WRITE);
	case 'b':
		return (XS_PERM_BOTH);
	default:
		return (-1);
	}
}

/* A watch path as a client may give it: absolute, special or relative. */
static int
xs_stream_watch_path(const char *path)
{
	char	abs[XS_ABS_PATH_MAX + 1];

	if (path[0] == '\0')
		return (EINVAL);
	return (xs_path_canonical(path, 0, XS_PATH_SPECIAL, abs, sizeof abs));
}

/* CONNECTION_DATA at off (the body), len bytes. */
static int
xs_stream_read_conn(struct xs_stream_reader *r, size_t off, uint32_t len,
    struct xs_stream_conn *c)
{
	uint64_t	need;
	int		rc;

	if (len < XS_STREAM_CONN_LEN)
		return (xs_stream_fits(r, off, len, XS_STREAM_CONN_LEN));
	memset(c, 0, sizeof *c);
	c->conn_id = xs_stream_get32(r, off);
	c->conn_type = xs_stream_get16(r, off + 4);
	c->fields = xs_stream_get16(r, off + 6);
	c->in_len = xs_stream_get16(r, off + 16);
	c->resp_len = xs_stream_get16(r, off + 18);
	c->out_len = xs_stream_get32(r, off + 20);
	if (c->conn_id == 0)
		return (xs_stream_fail(r, off, "connection id 0"));
	if (xs_stream_set_has(&r->conns, c->conn_id))
		return (xs_stream_fail(r, off, "connection %u defined twice",
		    c->conn_id));
	if ((c->fields & ~XS_STREAM_CONN_UNIQUE_ID) != 0)
		return (xs_stream_fail(r, off + 6, "unknown connection fields "
		    "0x%x", c->fields));
	switch (c->conn_type) {
	case XS_STREAM_CONN_RING:
		c->domid = xs_stream_get16(r, off + 8);
		c->tdomid = xs_stream_get16(r, off + 10);
		c->evtchn = xs_stream_get32(r, off + 12);
		if (c->domid > XS_DOMID_MAX)
			return (xs_stream_fail(r, off + 8, "domain id %u of a "
			    "ring is not one a domain has", c->domid));
		if (c->tdomid > XS_DOMID_MAX &&
		    c->tdomid != XS_STREAM_DOMID_INVALID)
			return (xs_stream_fail(r, off + 10, "target domain id "
			    "%u is not one a domain has", c->tdomid));
		break;
	case XS_STREAM_CONN_SOCKET:
		c->socket_fd = (int32_t)xs_stream_get32(r, off + 8);
		break;
	default:
		return (xs_stream_fail(r, off + 4, "unknown connection type "
		    "%u", c->conn_type));
	}
	if (c->resp_len > c->out_len)
		return (xs_stream_fail(r, off + 18, "partial reply of %u bytes "
		    "in %u bytes of output", c->resp_len, c->out_len));
	need = XS_STREAM_CONN_LEN + (uint64_t)c->in_len + c->out_len;
	if ((c->fields & XS_STREAM_CONN_UNIQUE_ID) != 0)
		need = XS_STREAM_ROUND8(need) + 8;
	if ((rc = xs_stream_fits(r, off, len, need)) != 0)
		return (rc);
	c->data = r->buf + off + XS_STREAM_CONN_LEN;
	if ((c->fields & XS_STREAM_CONN_UNIQUE_ID) != 0)
		c->unique_id = xs_stream_get64(r, off + need - 8);
	if (xs_stream_set_add(&r->conns, c->conn_id) != 0) {
		r->err = ENOMEM;
		return (ENOMEM);
	}
	return (0);
}

/* WATCH_DATA or WATCH_DATA_EXTENDED at off. */
static int
xs_stream_read_watch(struct xs_stream_reader *r, size_t off, uint32_t len,
    bool ext, struct xs_stream_watch *w)
{
	size_t		fixed = ext ? XS_STREAM_WATCH_EXT_LEN :
			    XS_STREAM_WATCH_LEN;
	uint16_t	plen, tlen;
	int		rc;

	if (len < fixed)
		return (xs_stream_fits(r, off, len, fixed));
	memset(w, 0, sizeof *w);
	w->conn_id = xs_stream_get32(r, off);
	plen = xs_stream_get16(r, off + 4);
	tlen = xs_stream_get16(r, off + 6);
	w->extended = ext;
	if (ext)
		w->depth = xs_stream_get16(r, off + 8);
	if (!xs_stream_set_has(&r->conns, w->conn_id))
		return (xs_stream_fail(r, off, "watch of connection %u, which "
		    "no earlier record defines", w->conn_id));
	if ((rc = xs_stream_fits(r, off, len, fixed + (uint64_t)plen +
	    tlen)) != 0)
		return (rc);
	if ((rc = xs_stream_string(r, off + fixed, plen, "the watch path",
	    &w->path)) != 0)
		return (rc);
	if ((rc = xs_stream_string(r, off + fixed + plen, tlen,
	    "the watch token", &w->token)) != 0)
		return (rc);
	if (xs_stream_watch_path(w->path) != 0)
		return (xs_stream_fail(r, off + fixed, "watch path \"%.64s\" "
		    "is not a valid path", w->path));
	return (0);
}

/* TRANSACTION_DATA at off. */
static int
xs_stream_read_txn(struct xs_stream_reader *r, size_t off, uint32_t len,
    struct xs_stream_txn *t)
{
	uint64_t	key;
	int		rc;

	if ((rc = xs_stream_fits(r, off, len, XS_STREAM_TXN_LEN)) != 0)
		return (rc);
	t->conn_id = xs_stream_get32(r, off);
	t->tx_id = xs_stream_get32(r, off + 4);
	if (!xs_stream_set_has(&r->conns, t->conn_id))
		return (xs_stream_fail(r, off, "transaction of connection %u, "
		    "which no earlier record defines", t->conn_id));
	if (t->tx_id == 0)
		return (xs_stream_fail(r, off + 4, "transaction id 0"));
	key = (uint64_t)t->conn_id << 32 | t->tx_id;
	if (xs_stream_set_has(&r->txns, key))
		return (xs_stream_fail(r, off, "transaction %u of connection "
		    "%u defined twice", t->tx_id, t->conn_id));
	if (xs_stream_set_add(&r->txns, key) != 0) {
		r->err = ENOMEM;
		return (ENOMEM);
	}
	return (0);
}

/* NODE_DATA at off. */
static int
xs_stream_read_node(struct xs_stream_reader *r, size_t off, uint32_t len,
    struct xs_stream_node *n)
{
	const unsigned char	*p;
	uint16_t		 plen, vlen, np, domid;
	size_t			 poff, i;
	int			 access, rc;

	if (len < XS_STREAM_NODE_LEN)
		return (xs_stream_fits(r, off, len, XS_STREAM_NODE_LEN));
	memset(n, 0, sizeof *n);
	n->conn_id = xs_stream_get32(r, off);
	n->tx_id = xs_stream_get32(r, off + 4);
	plen = xs_stream_get16(r, off + 8);
	vlen = xs_stream_get16(r, off + 10);
	n->access = xs_stream_get16(r, off + 12);
	np = xs_stream_get16(r, off + 14);
	if (n->conn_id != 0 && !xs_stream_set_has(&r->txns,
	    (uint64_t)n->conn_id << 32 | n->tx_id))
		return (xs_stream_fail(r, off, "node of transaction %u of "
		    "connection %u, which no earlier record defines",
		    n->tx_id, n->conn_id));
	if ((rc = xs_stream_fits(r, off, len, XS_STREAM_NODE_LEN +
	    (uint64_t)np * XS_STREAM_PERM_LEN + plen + vlen)) != 0)
		return (rc);
	if (np > XS_PERMS_MAX)
		return (xs_stream_fail(r, off + 14, "%u permissions, more "
		    "than the %u a node may have", np, (unsigned)XS_PERMS_MAX));
	if (np == 0 && n->conn_id == 0)
		return (xs_stream_fail(r, off + 14, "a committed node without "
		    "permissions"));
	if (np == 0 && (vlen != 0 || n->access != 0))
		return (xs_stream_fail(r, off + 10, "a deleted node with a "
		    "value or an access"));
	if (n->conn_id != 0 && (n->access & ~(XS_STREAM_NODE_READ |
	    XS_STREAM_NODE_WRITTEN)) != 0)
		return (xs_stream_fail(r, off + 12, "unknown node access "
		    "0x%x", n->access));
	poff = off + XS_STREAM_NODE_LEN;
	for (i = 0; i < np; i++, poff += XS_STREAM_PERM_LEN) {
		p = r->buf + poff;
		if ((access = xs_stream_letter(p[0])) < 0)
			return (xs_stream_fail(r, poff, "permission letter "
			    "0x%02x is not n, r, w or b", p[0]));
		if ((p[1] & ~XS_STREAM_PERM_STALE) != 0)
			return (xs_stream_fail(r, poff + 1, "unknown "
			    "permission flags 0x%02x", p[1]));
		domid = xs_stream_get16(r, poff + 2);
		if (domid > XS_DOMID_MAX && domid != XS_DOMID_ANY)
			return (xs_stream_fail(r, poff + 2, "permission for "
			    "domain id %u, which no domain has", domid));
		r->perms[i].domid = domid;
		r->perms[i].access = (uint8_t)access;
		r->pflags[i] = p[1];
	}
	n->nperms = np;
	n->perms = r->perms;
	n->perm_flags = r->pflags;
	if ((rc = xs_stream_string(r, poff, plen, "the node path",
	    &n->path)) != 0)
		return (rc);
	if (xs_stream_node_path_check(n->path) != 0)
		return (xs_stream_fail(r, poff, "node path \"%.64s\" is not a "
		    "valid path", n->path));
	n->value = r->buf + poff + plen;
	n->vlen = vlen;
	return (0);
}

/* GLOBAL_QUOTA_DATA or DOMAIN_DATA at off. */
static int
xs_stream_read_quota(struct xs_stream_reader *r, size_t off, uint32_t len,
    uint32_t type, struct xs_stream_quota *q)
{
	const char	*s;
	size_t		 fixed, vals, names, i, end, n;
	int		 rc;

	fixed = type == XS_STREAM_DOMAIN ? XS_STREAM_DOMAIN_LEN :
	    XS_STREAM_GQUOTA_LEN;
	if (len < fixed)
		return (xs_stream_fits(r, off, len, fixed));
	memset(q, 0, sizeof *q);
	if (type == XS_STREAM_DOMAIN) {
		q->domid = xs_stream_get16(r, off);
		q->n_dom = xs_stream_get16(r, off + 2);
		if (r->version >= 2)
			q->features = xs_stream_get32(r, off + 4);
		if (q->domid > XS_DOMID_MAX)
			return (xs_stream_fail(r, off, "domain id %u is not "
			    "one a domain has", q->domid));
		if ((r->domains[q->domid / 8] & (1U << q->domid % 8)) != 0)
			return (xs_stream_fail(r, off, "domain %u has a "
			    "second DOMAIN_DATA record", q->domid));
	} else {
		q->n_dom = xs_stream_get16(r, off);
		q->n_glob = xs_stream_get16(r, off + 2);
	}
	n = q->n_dom + q->n_glob;
	if (n > XS_STREAM_QUOTA_MAX)
		return (xs_stream_fail(r, off + (type == XS_STREAM_DOMAIN ?
		    2 : 0), "%zu quota values, more than %u", n,
		    XS_STREAM_QUOTA_MAX));
	vals = off + fixed;
	names = vals + 4 * n;
	end = off + len;
	if (names > end)
		return (xs_stream_fits(r, off, len, fixed + 4 * n));
	for (i = 0; i < n; i++) {
		q->val[i] = xs_stream_get32(r, vals + 4 * i);
		s = (const char *)r->buf + names;
		if ((s = memchr(s, '\0', end - names)) == NULL)
			return (xs_stream_fail(r, names, "quota name %zu does "
			    "not end within the record", i + 1));
		if ((const unsigned char *)s == r->buf + names)
			return (xs_stream_fail(r, names, "quota name %zu is "
			    "empty", i + 1));
		q->name[i] = (const char *)r->buf + names;
		names = (size_t)((const unsigned char *)s - r->buf) + 1;
	}
	if ((rc = xs_stream_fits(r, off, len, names - off)) != 0)
		return (rc);
	if (type == XS_STREAM_DOMAIN)
		r->domains[q->domid / 8] |= (unsigned char)(1U << q->domid % 8);
	return (0);
}

/* The next record. */
int
xs_stream_next(struct xs_stream_reader *r, struct xs_stream_record *rec)
{
	size_t		off, body, left;
	uint32_t	type, len;
	uint64_t	whole;
	int		rc = 0;

	if (r->err != 0)
		return (r->err);
	if (r->ended)
		return (ENOENT);
	if (!r->started && (rc = xs_stream_read_header(r)) != 0)
		return (rc);
	if (r->domains == NULL &&
	    (r->domains = calloc(1, (XS_DOMID_MAX + 8) / 8)) == NULL) {
		r->err = ENOMEM;
		return (ENOMEM);
	}

	off = r->off;
	left = r->len - off;
	if (left == 0)
		return (xs_stream_fail(r, off, "the stream ends without an "
		    "END record"));
	if (left < 8)
		return (xs_stream_fail(r, off, "a record header is cut short: "
		    "%zu of 8 bytes", left));
	type = xs_stream_get32(r, off);
	len = xs_stream_get32(r, off + 4);
	if (len > XS_STREAM_RECORD_MAX)
		return (xs_stream_fail(r, off + 4, "record length %u is over "
		    "the limit of %u", len, XS_STREAM_RECORD_MAX));
	if (len > left - 8)
		return (xs_stream_fail(r, off + 4, "record length %u runs past "
		    "the end of the stream (%zu bytes left)", len, left - 8));
	whole = 8 + XS_STREAM_ROUND8(len);
	if (whole > left)
		return (xs_stream_fail(r, off + 8 + len, "the padding of the "
		    "record is cut short"));
	if (type >= XS_STREAM_TYPE_COUNT)
		return (xs_stream_fail(r, off, "unknown record type %u", type));
	if (type == XS_STREAM_WATCH_EXT && r->version < 2)
		return (xs_stream_fail(r, off, "record type %u (%s) in a "
		    "version %u stream", type, xs_stream_names[type],
		    r->version));

	memset(rec, 0, sizeof *rec);
	rec->type = type;
	rec->offset = off;
	rec->len = len;
	body = off + 8;
	switch (type) {
	case XS_STREAM_END:
		if ((rc = xs_stream_fits(r, body, len, 0)) != 0)
			return (rc);
		if (whole != left)
			return (xs_stream_fail(r, off + whole, "%zu bytes after "
			    "the END record", left - (size_t)whole));
		r->ended = true;
		break;
	case XS_STREAM_GLOBAL:
		if ((rc = xs_stream_fits(r, body, len,
		    XS_STREAM_GLOBAL_LEN)) != 0)
			return (rc);
		rec->u.global.socket_fd = (int32_t)xs_stream_get32(r, body);
		rec->u.global.evtchn_fd = (int32_t)xs_stream_get32(r,
		    body + 4);
		break;
	case XS_STREAM_CONN:
		rc = xs_stream_read_conn(r, body, len, &rec->u.conn);
		break;
	case XS_STREAM_WATCH:
	case XS_STREAM_WATCH_EXT:
		rc = xs_stream_read_watch(r, body, len,
		    type == XS_STREAM_WATCH_EXT, &rec->u.watch);
		break;
	case XS_STREAM_TXN:
		rc = xs_stream_read_txn(r, body, len, &rec->u.txn);
		break;
	case XS_STREAM_NODE:
		rc = xs_stream_read_node(r, body, len, &rec->u.node);
		break;
	case XS_STREAM_GLOBAL_QUOTA:
	case XS_STREAM_DOMAIN:
		rc = xs_stream_read_quota(r, body, len, type, &rec->u.quota);
		break;
	}
	if (rc != 0)
		return (rc);
	r->off = off + (size_t)whole;
	return (0);
}

/* Store a u16 in the host's order. */
static void
xs_stream_put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof v);
}

/* Store a u32 in the host's order. */
static void
xs_stream_put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}

/* Start a stream: the header. */
int
xs_stream_writer_init(struct xs_stream_writer *w, uint32_t version,
    xs_stream_out_fn *out, void *arg)
{
	unsigned char	h[XS_STREAM_HEADER_SIZE];
	uint32_t	flags;
	int		rc;

	memset(w, 0, sizeof *w);
	w->out = out;
	w->arg = arg;
	w->version = version;
	if (version < XS_STREAM_VERSION_MIN || version > XS_STREAM_VERSION) {
		w->err = EINVAL;
		return (EINVAL);
	}
	flags = xs_stream_host_big() ? XS_STREAM_FLAG_BIG : 0;
	memcpy(h, XS_STREAM_IDENT, 8);
	h[8] = (unsigned char)(version >> 24);
	h[9] = (unsigned char)(version >> 16);
	h[10] = (unsigned char)(version >> 8);
	h[11] = (unsigned char)version;
	h[12] = h[13] = h[14] = 0;
	h[15] = (unsigned char)flags;
	if ((rc = out(arg, h, sizeof h)) != 0) {
		w->err = rc;
		return (rc);
	}
	w->bytes = sizeof h;
	return (0);
}

/*
 * Write one record from its pieces: the header with the length rounded
 * up to 8, the pieces, the padding.
 */
static int
xs_stream_emit(struct xs_stream_writer *w, uint32_t type,
    const struct iovec *iov, unsigned int n)
{
	static const unsigned char	 zero[8];
	unsigned char			 h[8];
	uint64_t			 len = 0, padded;
	unsigned int			 i;
	int				 rc;

	if (w->err != 0)
		return (w->err);
	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	padded = XS_STREAM_ROUND8(len);
	if (padded > XS_STREAM_RECORD_MAX)
		return (E2BIG);
	xs_stream_put32(h, type);
	xs_stream_put32(h + 4, (uint32_t)padded);
	if ((rc = w->out(w->arg, h, sizeof h)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (iov[i].iov_len == 0)
			continue;
		if ((rc = w->out(w->arg, iov[i].iov_base, iov[i].iov_len)) !=
		    0)
			goto fail;
	}
	if (padded > len &&
	    (rc = w->out(w->arg, zero, (size_t)(padded - len))) != 0)
		goto fail;
	w->bytes += sizeof h + padded;
	return (0);

fail:
	w->err = rc;
	return (rc);
}

/* GLOBAL_DATA. */
int
xs_stream_write_global(struct xs_stream_writer *w,
    const struct xs_stream_global *g)
{
	unsigned char	b[XS_STREAM_GLOBAL_LEN];
	struct iovec	iov[1];

	xs_stream_put32(b, (uint32_t)g->socket_fd);
	xs_stream_put32(b + 4, (uint32_t)g->evtchn_fd);
	iov[0].iov_base = b;
	iov[0].iov_len = sizeof b;
	return (xs_stream_emit(w, XS_STREAM_GLOBAL, iov, 1));
}

/* CONNECTION_DATA. */
int
xs_stream_write_conn(struct xs_stream_writer *w,
    const struct xs_stream_conn *c)
{
	static const unsigned char	 zero[8];
	unsigned char			 b[XS_STREAM_CONN_LEN];
	struct iovec			 iov[4];
	uint64_t			 data, uid;
	unsigned int			 n = 0;

	if (c->conn_id == 0 || (c->fields & ~XS_STREAM_CONN_UNIQUE_ID) != 0 ||
	    c->resp_len > c->out_len)
		return (EINVAL);
	memset(b, 0, sizeof b);
	xs_stream_put32(b, c->conn_id);
	xs_stream_put16(b + 4, c->conn_type);
	xs_stream_put16(b + 6, c->fields);
	switch (c->conn_type) {
	case XS_STREAM_CONN_RING:
		if (c->domid > XS_DOMID_MAX || (c->tdomid > XS_DOMID_MAX &&
		    c->tdomid != XS_STREAM_DOMID_INVALID))
			return (EINVAL);
		xs_stream_put16(b + 8, c->domid);
		xs_stream_put16(b + 10, c->tdomid);
		xs_stream_put32(b + 12, c->evtchn);
		break;
	case XS_STREAM_CONN_SOCKET:
		xs_stream_put32(b + 8, (uint32_t)c->socket_fd);
		break;
	default:
		return (EINVAL);
	}
	xs_stream_put16(b + 16, c->in_len);
	xs_stream_put16(b + 18, c->resp_len);
	xs_stream_put32(b + 20, c->out_len);
	iov[n].iov_base = b;
	iov[n++].iov_len = sizeof b;
	data = (uint64_t)c->in_len + c->out_len;
	if (data > 0 && c->data == NULL)
		return (EINVAL);
	iov[n].iov_base = (void *)(uintptr_t)c->data;
	iov[n++].iov_len = (size_t)data;
	if ((c->fields & XS_STREAM_CONN_UNIQUE_ID) != 0) {
		iov[n].iov_base = (void *)(uintptr_t)zero;
		iov[n++].iov_len = (size_t)(XS_STREAM_ROUND8(sizeof b + data) -
		    (sizeof b + data));
		uid = c->unique_id;
		iov[n].iov_base = &uid;
		iov[n++].iov_len = sizeof uid;
	}
	return (xs_stream_emit(w, XS_STREAM_CONN, iov, n));
}

/* Length of a token with its NUL, or EINVAL. */
static int
xs_stream_check_token(const char *s, size_t *len)
{
	if (s == NULL)
		return (EINVAL);
	*len = strlen(s) + 1;
	return (*len > UINT16_MAX ? E2BIG : 0);
}

/* WATCH_DATA or WATCH_DATA_EXTENDED. */
int
xs_stream_write_watch(struct xs_stream_writer *w,
    const struct xs_stream_watch *wa)
{
	unsigned char	b[XS_STREAM_WATCH_EXT_LEN];
	struct iovec	iov[3];
	size_t		plen, tlen, fixed;
	int		rc;

	if (wa->extended && w->version < 2)
		return (EINVAL);
	if (wa->path == NULL || xs_stream_watch_path(wa->path) != 0)
		return (EINVAL);
	if ((rc = xs_stream_check_token(wa->path, &plen)) != 0 ||
	    (rc = xs_stream_check_token(wa->token, &tlen)) != 0)
		return (rc);
	memset(b, 0, sizeof b);
	xs_stream_put32(b, wa->conn_id);
	xs_stream_put16(b + 4, (uint16_t)plen);
	xs_stream_put16(b + 6, (uint16_t)tlen);
	fixed = XS_STREAM_WATCH_LEN;
	if (wa->extended) {
		xs_stream_put16(b + 8, wa->depth);
		fixed = XS_STREAM_WATCH_EXT_LEN;
	}
	iov[0].iov_base = b;
	iov[0].iov_len = fixed;
	iov[1].iov_base = (void *)(uintptr_t)wa->path;
	iov[1].iov_len = plen;
	iov[2].iov_base = (void *)(uintptr_t)wa->token;
	iov[2].iov_len = tlen;
	return (xs_stream_emit(w, wa->extended ? XS_STREAM_WATCH_EXT :
	    XS_STREAM_WATCH, iov, 3));
}

/* TRANSACTION_DATA. */
int
xs_stream_write_txn(struct xs_stream_writer *w, const struct xs_stream_txn *t)
{
	unsigned char	b[XS_STREAM_TXN_LEN];
	struct iovec	iov[1];

	if (t->tx_id == 0)
		return (EINVAL);
	xs_stream_put32(b, t->conn_id);
	xs_stream_put32(b + 4, t->tx_id);
	iov[0].iov_base = b;
	iov[0].iov_len = sizeof b;
	return (xs_stream_emit(w, XS_STREAM_TXN, iov, 1));
}

/* A node record's permissions, stale entries marked as a store keeps them. */
void
xs_stream_node_perms(const struct xs_stream_node *n, struct xs_perm *out)
{
	unsigned int	i;

	for (i = 0; i < n->nperms; i++) {
		out[i] = n->perms[i];
		if (i > 0 && n->perm_flags != NULL &&
		    (n->perm_flags[i] & XS_STREAM_PERM_STALE))
			out[i].access |= XS_PERM_IGNORE;
	}
}

/* NODE_DATA. */
int
xs_stream_write_node(struct xs_stream_writer *w,
    const struct xs_stream_node *n)
{
	unsigned char	b[XS_STREAM_NODE_LEN];
	unsigned char	p[XS_PERMS_MAX * XS_STREAM_PERM_LEN];
	struct iovec	iov[4];
	size_t		plen;
	unsigned int	i, access;
	uint8_t		flags;

	if (xs_stream_node_path_check(n->path) != 0)
		return (EINVAL);
	plen = strlen(n->path) + 1;
	if (n->nperms > XS_PERMS_MAX || (n->nperms == 0 && (n->conn_id == 0 ||
	    n->vlen != 0 || n->access != 0)))
		return (EINVAL);
	if (n->vlen > UINT16_MAX)
		return (E2BIG);
	if (n->vlen > 0 && n->value == NULL)
		return (EINVAL);
	for (i = 0; i < n->nperms; i++) {
		flags = n->perm_flags != NULL ? n->perm_flags[i] : 0;
		access = n->perms[i].access & ~XS_PERM_IGNORE;
		if (n->perms[i].access & XS_PERM_IGNORE)
			flags |= XS_STREAM_PERM_STALE;
		if (access > XS_PERM_BOTH ||
		    (flags & ~XS_STREAM_PERM_STALE) != 0 ||
		    (n->perms[i].domid > XS_DOMID_MAX &&
		    n->perms[i].domid != XS_DOMID_ANY))
			return (EINVAL);
		p[4 * i] = (unsigned char)"nrwb"[access];
		p[4 * i + 1] = flags;
		xs_stream_put16(p + 4 * i + 2, (uint16_t)n->perms[i].domid);
	}
	xs_stream_put32(b, n->conn_id);
	xs_stream_put32(b + 4, n->conn_id != 0 ? n->tx_id : 0);
	xs_stream_put16(b + 8, (uint16_t)plen);
	xs_stream_put16(b + 10, (uint16_t)n->vlen);
	xs_stream_put16(b + 12, n->conn_id != 0 ? n->access : 0);
	xs_stream_put16(b + 14, (uint16_t)n->nperms);
	iov[0].iov_base = b;
	iov[0].iov_len = sizeof b;
	iov[1].iov_base = p;
	iov[1].iov_len = (size_t)n->nperms * XS_STREAM_PERM_LEN;
	iov[2].iov_base = (void *)(uintptr_t)n->path;
	iov[2].iov_len = plen;
	iov[3].iov_base = (void *)(uintptr_t)n->value;
	iov[3].iov_len = n->vlen;
	return (xs_stream_emit(w, XS_STREAM_NODE, iov, 4));
}

/* GLOBAL_QUOTA_DATA or DOMAIN_DATA. */
int
xs_stream_write_quota(struct xs_stream_writer *w, uint32_t type,
    const struct xs_stream_quota *q)
{
	unsigned char	b[XS_STREAM_DOMAIN_LEN];
	uint32_t	vals[XS_STREAM_QUOTA_MAX];
	struct iovec	iov[2 + XS_STREAM_QUOTA_MAX];
	size_t		fixed, len;
	unsigned int	i, n;

	n = q->n_dom + q->n_glob;
	if (n > XS_STREAM_QUOTA_MAX || q->n_dom > UINT16_MAX)
		return (EINVAL);
	if (type == XS_STREAM_DOMAIN) {
		if (q->n_glob != 0 || q->domid > XS_DOMID_MAX ||
		    (q->features != 0 && w->version < 2))
			return (EINVAL);
		xs_stream_put16(b, q->domid);
		xs_stream_put16(b + 2, (uint16_t)q->n_dom);
		xs_stream_put32(b + 4, q->features);
		fixed = XS_STREAM_DOMAIN_LEN;
	} else if (type == XS_STREAM_GLOBAL_QUOTA) {
		xs_stream_put16(b, (uint16_t)q->n_dom);
		xs_stream_put16(b + 2, (uint16_t)q->n_glob);
		fixed = XS_STREAM_GQUOTA_LEN;
	} else
		return (EINVAL);
	iov[0].iov_base = b;
	iov[0].iov_len = fixed;
	for (i = 0; i < n; i++)
		xs_stream_put32((unsigned char *)&vals[i], q->val[i]);
	iov[1].iov_base = vals;
	iov[1].iov_len = 4 * (size_t)n;
	for (i = 0; i < n; i++) {
		if (q->name[i] == NULL || (len = strlen(q->name[i])) == 0)
			return (EINVAL);
		iov[2 + i].iov_base = (void *)(uintptr_t)q->name[i];
		iov[2 + i].iov_len = len + 1;
	}
	return (xs_stream_emit(w, type, iov, 2 + n));
}

/* END. */
int
xs_stream_write_end(struct xs_stream_writer *w)
{
	return (xs_stream_emit(w, XS_STREAM_END, NULL, 0));
}

/* Any record as the reader gives it. */
int
xs_stream_write_record(struct xs_stream_writer *w,
    const struct xs_stream_record *rec)
{
	switch (rec->type) {
	case XS_STREAM_END:
		return (xs_stream_write_end(w));
	case XS_STREAM_GLOBAL:
		return (xs_stream_write_global(w, &rec->u.global));
	case XS_STREAM_CONN:
		return (xs_stream_write_conn(w, &rec->u.conn));
	case XS_STREAM_WATCH:
	case XS_STREAM_WATCH_EXT:
		return (xs_stream_write_watch(w, &rec->u.watch));
	case XS_STREAM_TXN:
		return (xs_stream_write_txn(w, &rec->u.txn));
	case XS_STREAM_NODE:
		return (xs_stream_write_node(w, &rec->u.node));
	case XS_STREAM_GLOBAL_QUOTA:
	case XS_STREAM_DOMAIN:
		return (xs_stream_write_quota(w, rec->type, &rec->u.quota));
	default:
		return (EINVAL);
	}
}

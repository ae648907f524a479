/*
 * check_stream.c - tests of lib/stream.c and lib/text.c: every record
 * type written and read back, padding, both byte orders, version 1, the
 * text form, and each kind of corrupt or truncated input giving its
 * error at its byte offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "xs.h"

/* A growing buffer the writer fills. */
struct mem {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
	size_t		 fail_at;	/* out fails once len would pass it */
};

static Suite	*stream_suite(void);
static int	 mem_out(void *, const void *, size_t);
static void	 mem_free(struct mem *);
static void	 put16(unsigned char *, uint16_t);
static void	 put32(unsigned char *, uint32_t);
static uint32_t	 host_flags(void);
static uint32_t	 get32(const unsigned char *);
static void	 write_all(struct mem *, uint32_t);
static int	 read_all(const void *, size_t, struct xs_stream_record *,
		    size_t, size_t *, struct xs_stream_reader **);
static void	 rewrite(const void *, size_t, struct mem *);
static void	 swap_stream(unsigned char *, size_t);
static void	 expect_error(const void *, size_t, size_t, const char *);
static void	 node_stream(struct mem *, const char *, const void *, size_t,
		    const struct xs_perm *, unsigned int);
static void	 raw_record(struct mem *, uint32_t, uint32_t, const void *,
		    size_t);
static void	 raw_header(struct mem *, uint32_t, uint32_t);
static void	 raw_end(struct mem *);

/* Writer output into a struct mem. */
static int
mem_out(void *arg, const void *buf, size_t len)
{
	struct mem	*m = arg;
	unsigned char	*p;
	size_t		 cap;

	if (m->fail_at != 0 && m->len + len > m->fail_at)
		return (ENOSPC);
	if (m->len + len > m->cap) {
		cap = m->cap ? m->cap : 256;
		while (cap < m->len + len)
			cap *= 2;
		if ((p = realloc(m->p, cap)) == NULL)
			return (ENOMEM);
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return (0);
}

/* Free a struct mem. */
static void
mem_free(struct mem *m)
{
	free(m->p);
	memset(m, 0, sizeof *m);
}

/* Host-order u16 and u32 in and out of bytes. */
static void
put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return (v);
}

/* The sample: one record of each type (WATCH_EXT only in version 2). */
static const char	 sample_data[] = "in-bytesout-bytes!";
static const struct xs_perm sample_perms[] = {
	{ 1, XS_PERM_NONE }, { 0, XS_PERM_READ }, { 7, XS_PERM_WRITE },
	{ XS_DOMID_ANY, XS_PERM_BOTH }
};
static const uint8_t	 sample_pflags[] = { 0, 0, XS_STREAM_PERM_STALE, 0 };

/* Write the sample stream of a version. */
static void
write_all(struct mem *m, uint32_t version)
{
	struct xs_stream_writer	w;
	struct xs_stream_global	g = { 3, 4 };
	struct xs_stream_conn	c;
	struct xs_stream_watch	wa;
	struct xs_stream_txn	t = { 2, 77 };
	struct xs_stream_node	n;
	struct xs_stream_quota	q;

	ck_assert_int_eq(xs_stream_writer_init(&w, version, mem_out, m), 0);
	ck_assert_int_eq(xs_stream_write_global(&w, &g), 0);

	memset(&c, 0, sizeof c);
	c.conn_id = 1;
	c.conn_type = XS_STREAM_CONN_RING;
	c.fields = XS_STREAM_CONN_UNIQUE_ID;
	c.domid = 5;
	c.tdomid = XS_STREAM_DOMID_INVALID;
	c.evtchn = 33;
	c.in_len = 8;
	c.out_len = 9;
	c.resp_len = 4;
	c.data = sample_data;
	c.unique_id = 0x0102030405060708ULL;
	ck_assert_int_eq(xs_stream_write_conn(&w, &c), 0);
	memset(&c, 0, sizeof c);
	c.conn_id = 2;
	c.conn_type = XS_STREAM_CONN_SOCKET;
	c.socket_fd = 9;
	ck_assert_int_eq(xs_stream_write_conn(&w, &c), 0);

	memset(&wa, 0, sizeof wa);
	wa.conn_id = 1;
	wa.path = "device/vif";
	wa.token = "tok1";
	ck_assert_int_eq(xs_stream_write_watch(&w, &wa), 0);
	wa.conn_id = 2;
	wa.path = "@releaseDomain";
	wa.token = "";
	ck_assert_int_eq(xs_stream_write_watch(&w, &wa), 0);
	if (version >= 2) {
		wa.extended = true;
		wa.depth = 2;
		wa.path = "/local/domain";
		wa.token = "deep";
		ck_assert_int_eq(xs_stream_write_watch(&w, &wa), 0);
	}
	ck_assert_int_eq(xs_stream_write_txn(&w, &t), 0);

	memset(&n, 0, sizeof n);
	n.path = "/";
	n.nperms = 1;
	n.perms = sample_perms + 1;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);
	n.path = "/local/domain/1/name";
	n.value = "guest\0one";
	n.vlen = 9;
	n.nperms = 4;
	n.perms = sample_perms;
	n.perm_flags = sample_pflags;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);
	n.path = "@introduceDomain";
	n.value = NULL;
	n.vlen = 0;
	n.nperms = 1;
	n.perm_flags = NULL;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);
	n.conn_id = 2;
	n.tx_id = 77;
	n.access = XS_STREAM_NODE_READ | XS_STREAM_NODE_WRITTEN;
	n.path = "/tool/x";
	n.value = "v";
	n.vlen = 1;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);
	n.access = 0;
	n.nperms = 0;
	n.path = "/tool/gone";
	n.value = NULL;
	n.vlen = 0;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);

	memset(&q, 0, sizeof q);
	q.n_dom = 2;
	q.n_glob = 1;
	q.val[0] = 1000;
	q.name[0] = "nodes";
	q.val[1] = 0;
	q.name[1] = "watches";
	q.val[2] = 12345;
	q.name[2] = "memory";
	ck_assert_int_eq(xs_stream_write_quota(&w, XS_STREAM_GLOBAL_QUOTA, &q),
	    0);
	memset(&q, 0, sizeof q);
	q.domid = 5;
	q.features = version >= 2 ? XS_FEATURE_WATCH_DEPTH : 0;
	q.n_dom = 1;
	q.val[0] = 2048;
	q.name[0] = "node-size";
	ck_assert_int_eq(xs_stream_write_quota(&w, XS_STREAM_DOMAIN, &q), 0);
	ck_assert_int_eq(xs_stream_write_end(&w), 0);
	ck_assert_uint_eq(w.bytes, m->len);
}

/*
 * Read a whole stream into recs (at most max). Returns the last result
 * of xs_stream_next (ENOENT after a good END); *n is the records read.
 * The reader is returned for errors and must be freed.
 */
static int
read_all(const void *buf, size_t len, struct xs_stream_record *recs,
    size_t max, size_t *n, struct xs_stream_reader **rp)
{
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	int			 rc;

	r = xs_stream_reader_new(buf, len);
	ck_assert_ptr_nonnull(r);
	*n = 0;
	while ((rc = xs_stream_next(r, &rec)) == 0) {
		if (recs != NULL && *n < max)
			recs[*n] = rec;
		(*n)++;
	}
	*rp = r;
	return (rc);
}

/* Read a stream and write every record again into out. */
static void
rewrite(const void *buf, size_t len, struct mem *out)
{
	struct xs_stream_reader	*r;
	struct xs_stream_writer	 w;
	struct xs_stream_record	 rec;
	int			 rc;

	r = xs_stream_reader_new(buf, len);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(xs_stream_next(r, &rec), 0);
	ck_assert_int_eq(xs_stream_writer_init(&w, xs_stream_reader_version(r),
	    mem_out, out), 0);
	do {
		ck_assert_int_eq(xs_stream_write_record(&w, &rec), 0);
	} while ((rc = xs_stream_next(r, &rec)) == 0);
	ck_assert_msg(rc == ENOENT, "%s", xs_stream_reader_error(r));
	xs_stream_reader_free(r);
}

/* Swap a 16-bit field in place. */
static void
sw16(unsigned char *p)
{
	unsigned char	t = p[0];

	p[0] = p[1];
	p[1] = t;
}

/* Swap a 32-bit field in place. */
static void
sw32(unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

/* Swap a 64-bit field in place. */
static void
sw64(unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

/*
 * Turn a stream of the host's byte order into the other order, field by
 * field, knowing each record's layout; the header flag flips with it.
 */
static void
swap_stream(unsigned char *s, size_t len)
{
	size_t		off = XS_STREAM_HEADER_SIZE, i, nq;
	uint32_t	type, rlen, in, out, np;
	unsigned char	*b;

	s[15] ^= XS_STREAM_FLAG_BIG;
	while (off < len) {
		type = get32(s + off);
		rlen = get32(s + off + 4);
		b = s + off + 8;
		switch (type) {
		case XS_STREAM_GLOBAL:
		case XS_STREAM_TXN:
			sw32(b);
			sw32(b + 4);
			break;
		case XS_STREAM_CONN:
			in = *(uint16_t *)(void *)(b + 16);
			out = get32(b + 20);
			if (*(uint16_t *)(void *)(b + 6) &
			    XS_STREAM_CONN_UNIQUE_ID)
				sw64(b + ((24 + in + out + 7) & ~7U));
			sw32(b);
			if (*(uint16_t *)(void *)(b + 4) == XS_STREAM_CONN_RING) {
				sw16(b + 8);
				sw16(b + 10);
				sw32(b + 12);
			} else
				sw32(b + 8);
			sw16(b + 4);
			sw16(b + 6);
			sw16(b + 16);
			sw16(b + 18);
			sw32(b + 20);
			break;
		case XS_STREAM_WATCH_EXT:
			sw16(b + 8);
			/* FALLTHROUGH */
		case XS_STREAM_WATCH:
			sw32(b);
			sw16(b + 4);
			sw16(b + 6);
			break;
		case XS_STREAM_NODE:
			np = *(uint16_t *)(void *)(b + 14);
			for (i = 0; i < np; i++)
				sw16(b + 16 + 4 * i + 2);
			sw32(b);
			sw32(b + 4);
			sw16(b + 8);
			sw16(b + 10);
			sw16(b + 12);
			sw16(b + 14);
			break;
		case XS_STREAM_GLOBAL_QUOTA:
			nq = (size_t)*(uint16_t *)(void *)b +
			    *(uint16_t *)(void *)(b + 2);
			for (i = 0; i < nq; i++)
				sw32(b + 4 + 4 * i);
			sw16(b);
			sw16(b + 2);
			break;
		case XS_STREAM_DOMAIN:
			nq = *(uint16_t *)(void *)(b + 2);
			for (i = 0; i < nq; i++)
				sw32(b + 8 + 4 * i);
			sw16(b);
			sw16(b + 2);
			sw32(b + 4);
			break;
		}
		sw32(s + off);
		sw32(s + off + 4);
		off += 8 + ((rlen + 7) & ~7U);
	}
}

/*
 * The stream must fail with EINVAL at byte off, with a message holding
 * what; the error sticks.
 */
static void
expect_error(const void *buf, size_t len, size_t off, const char *what)
{
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	size_t			 n;
	char			 prefix[32];
	int			 rc;
	unsigned char		*copy;

	/* An exact-size copy: a read past its end is caught by ASan. */
	copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, len);
	rc = read_all(copy, len, NULL, 0, &n, &r);
	ck_assert_msg(rc == EINVAL, "rc %d, want EINVAL for \"%s\"", rc, what);
	ck_assert_msg(xs_stream_reader_error_offset(r) == off,
	    "error at %zu, want %zu: %s", xs_stream_reader_error_offset(r),
	    off, xs_stream_reader_error(r));
	snprintf(prefix, sizeof prefix, "byte %zu: ", off);
	ck_assert_msg(strncmp(xs_stream_reader_error(r), prefix,
	    strlen(prefix)) == 0, "%s", xs_stream_reader_error(r));
	ck_assert_msg(strstr(xs_stream_reader_error(r), what) != NULL,
	    "\"%s\" lacks \"%s\"", xs_stream_reader_error(r), what);
	ck_assert_int_eq(xs_stream_next(r, &rec), EINVAL);
	xs_stream_reader_free(r);
	free(copy);
}

/* A stream of one node and END. */
static void
node_stream(struct mem *m, const char *path, const void *value, size_t vlen,
    const struct xs_perm *perms, unsigned int np)
{
	struct xs_stream_writer	w;
	struct xs_stream_node	n;

	memset(&n, 0, sizeof n);
	n.path = path;
	n.value = value;
	n.vlen = (uint32_t)vlen;
	n.perms = perms;
	n.nperms = np;
	ck_assert_int_eq(xs_stream_writer_init(&w, 2, mem_out, m), 0);
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);
	ck_assert_int_eq(xs_stream_write_end(&w), 0);
}

/* The header flags of a stream in the host's order. */
static uint32_t
host_flags(void)
{
	const uint16_t	one = 1;

	return (*(const unsigned char *)&one == 0 ? XS_STREAM_FLAG_BIG : 0);
}

/* A header of the host's order with version and flags as given. */
static void
raw_header(struct mem *m, uint32_t version, uint32_t flags)
{
	unsigned char	h[16];

	memcpy(h, "xenstore", 8);
	h[8] = (unsigned char)(version >> 24);
	h[9] = (unsigned char)(version >> 16);
	h[10] = (unsigned char)(version >> 8);
	h[11] = (unsigned char)version;
	h[12] = (unsigned char)(flags >> 24);
	h[13] = (unsigned char)(flags >> 16);
	h[14] = (unsigned char)(flags >> 8);
	h[15] = (unsigned char)flags;
	ck_assert_int_eq(mem_out(m, h, 16), 0);
}

/* A record with the given length field, body and padding to 8. */
static void
raw_record(struct mem *m, uint32_t type, uint32_t len, const void *body,
    size_t blen)
{
	static const unsigned char	zero[8];
	unsigned char			h[8];

	put32(h, type);
	put32(h + 4, len);
	ck_assert_int_eq(mem_out(m, h, 8), 0);
	if (blen > 0)
		ck_assert_int_eq(mem_out(m, body, blen), 0);
	if (blen % 8 != 0)
		ck_assert_int_eq(mem_out(m, zero, 8 - blen % 8), 0);
}

/* An END record. */
static void
raw_end(struct mem *m)
{
	raw_record(m, XS_STREAM_END, 0, NULL, 0);
}

/* Every record type written and read back, field by field. */
START_TEST(test_roundtrip_all)
{
	struct xs_stream_record	 recs[32], *x;
	struct xs_stream_reader	*r;
	struct mem		 m = { 0 }, again = { 0 };
	size_t			 n, i;
	bool			 seen[XS_STREAM_TYPE_COUNT] = { false };

	write_all(&m, XS_STREAM_VERSION);
	ck_assert_int_eq(read_all(m.p, m.len, recs, 32, &n, &r), ENOENT);
	ck_assert_uint_eq(xs_stream_reader_version(r), 2);
	ck_assert_uint_eq(n, 15);
	for (i = 0; i < n; i++)
		seen[recs[i].type] = true;
	for (i = 0; i < XS_STREAM_TYPE_COUNT; i++)
		ck_assert_msg(seen[i], "no record of type %zu", i);

	x = &recs[0];
	ck_assert_uint_eq(x->type, XS_STREAM_GLOBAL);
	ck_assert_uint_eq(x->offset, 16);
	ck_assert_int_eq(x->u.global.socket_fd, 3);
	ck_assert_int_eq(x->u.global.evtchn_fd, 4);
	x = &recs[1];
	ck_assert_uint_eq(x->type, XS_STREAM_CONN);
	ck_assert_uint_eq(x->u.conn.conn_id, 1);
	ck_assert_uint_eq(x->u.conn.conn_type, XS_STREAM_CONN_RING);
	ck_assert_uint_eq(x->u.conn.domid, 5);
	ck_assert_uint_eq(x->u.conn.tdomid, XS_STREAM_DOMID_INVALID);
	ck_assert_uint_eq(x->u.conn.evtchn, 33);
	ck_assert_uint_eq(x->u.conn.in_len, 8);
	ck_assert_uint_eq(x->u.conn.out_len, 9);
	ck_assert_uint_eq(x->u.conn.resp_len, 4);
	ck_assert_mem_eq(x->u.conn.data, sample_data, 17);
	ck_assert_uint_eq(x->u.conn.fields, XS_STREAM_CONN_UNIQUE_ID);
	ck_assert(x->u.conn.unique_id == 0x0102030405060708ULL);
	/* 24 + 17 data, padded to 48, + 8 of unique id. */
	ck_assert_uint_eq(x->len, 56);
	x = &recs[2];
	ck_assert_uint_eq(x->u.conn.conn_type, XS_STREAM_CONN_SOCKET);
	ck_assert_int_eq(x->u.conn.socket_fd, 9);
	ck_assert_uint_eq(x->len, 24);
	x = &recs[3];
	ck_assert_uint_eq(x->type, XS_STREAM_WATCH);
	ck_assert_uint_eq(x->u.watch.conn_id, 1);
	ck_assert_str_eq(x->u.watch.path, "device/vif");
	ck_assert_str_eq(x->u.watch.token, "tok1");
	ck_assert(!x->u.watch.extended);
	x = &recs[4];
	ck_assert_str_eq(x->u.watch.path, "@releaseDomain");
	ck_assert_str_eq(x->u.watch.token, "");
	x = &recs[5];
	ck_assert_uint_eq(x->type, XS_STREAM_WATCH_EXT);
	ck_assert(x->u.watch.extended);
	ck_assert_uint_eq(x->u.watch.depth, 2);
	ck_assert_str_eq(x->u.watch.path, "/local/domain");
	ck_assert_str_eq(x->u.watch.token, "deep");
	x = &recs[6];
	ck_assert_uint_eq(x->type, XS_STREAM_TXN);
	ck_assert_uint_eq(x->u.txn.conn_id, 2);
	ck_assert_uint_eq(x->u.txn.tx_id, 77);
	x = &recs[7];
	ck_assert_uint_eq(x->type, XS_STREAM_NODE);
	ck_assert_str_eq(x->u.node.path, "/");
	ck_assert_uint_eq(x->u.node.vlen, 0);
	/* NODE_DATA of "/" with one permission: 16 + 4 + 2 = 22 -> 24. */
	ck_assert_uint_eq(x->len, 24);
	x = &recs[8];
	ck_assert_str_eq(x->u.node.path, "/local/domain/1/name");
	ck_assert_uint_eq(x->u.node.vlen, 9);
	ck_assert_mem_eq(x->u.node.value, "guest\0one", 9);
	x = &recs[9];
	ck_assert_str_eq(x->u.node.path, "@introduceDomain");
	x = &recs[10];
	ck_assert_uint_eq(x->u.node.conn_id, 2);
	ck_assert_uint_eq(x->u.node.tx_id, 77);
	ck_assert_uint_eq(x->u.node.access, 3);
	x = &recs[11];
	ck_assert_str_eq(x->u.node.path, "/tool/gone");
	ck_assert_uint_eq(x->u.node.nperms, 0);
	x = &recs[12];
	ck_assert_uint_eq(x->type, XS_STREAM_GLOBAL_QUOTA);
	ck_assert_uint_eq(x->u.quota.n_dom, 2);
	ck_assert_uint_eq(x->u.quota.n_glob, 1);
	ck_assert_uint_eq(x->u.quota.val[2], 12345);
	ck_assert_str_eq(x->u.quota.name[0], "nodes");
	ck_assert_str_eq(x->u.quota.name[2], "memory");
	x = &recs[13];
	ck_assert_uint_eq(x->type, XS_STREAM_DOMAIN);
	ck_assert_uint_eq(x->u.quota.domid, 5);
	ck_assert_uint_eq(x->u.quota.features, XS_FEATURE_WATCH_DEPTH);
	ck_assert_uint_eq(x->u.quota.n_dom, 1);
	ck_assert_uint_eq(x->u.quota.val[0], 2048);
	ck_assert_str_eq(x->u.quota.name[0], "node-size");
	ck_assert_uint_eq(recs[14].type, XS_STREAM_END);
	ck_assert_uint_eq(recs[14].offset + 8, m.len);
	xs_stream_reader_free(r);

	/* Every record written again from what was read: the same bytes. */
	rewrite(m.p, m.len, &again);
	ck_assert_uint_eq(again.len, m.len);
	ck_assert_mem_eq(again.p, m.p, m.len);
	mem_free(&m);
	mem_free(&again);
}
END_TEST

/* The permissions of a node come back with their flags. */
START_TEST(test_roundtrip_perms)
{
	struct xs_stream_record	 recs[32];
	struct xs_stream_reader	*r;
	struct mem		 m = { 0 };
	size_t			 n, i;

	write_all(&m, 2);
	/* recs[8] is overwritten by later reads: check it alone. */
	r = xs_stream_reader_new(m.p, m.len);
	for (n = 0; n < 9; n++)
		ck_assert_int_eq(xs_stream_next(r, &recs[0]), 0);
	ck_assert_str_eq(recs[0].u.node.path, "/local/domain/1/name");
	ck_assert_uint_eq(recs[0].u.node.nperms, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(recs[0].u.node.perms[i].domid,
		    sample_perms[i].domid);
		ck_assert_uint_eq(recs[0].u.node.perms[i].access,
		    sample_perms[i].access);
		ck_assert_uint_eq(recs[0].u.node.perm_flags[i],
		    sample_pflags[i]);
	}
	xs_stream_reader_free(r);
	mem_free(&m);
}
END_TEST

/* Every record starts on a multiple of 8 and its padding is zero. */
START_TEST(test_padding)
{
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	struct xs_perm		 p = { 0, XS_PERM_BOTH };
	struct mem		 m = { 0 };
	char			 path[32];
	size_t			 k, body, i;
	unsigned int		 len;

	/* Paths of 2 to 17 bytes: every remainder mod 8 of the body. */
	for (k = 1; k <= 16; k++) {
		memset(path, 'a', sizeof path);
		path[0] = '/';
		path[k] = '\0';
		for (len = 0; len < 9; len++) {
			mem_free(&m);
			node_stream(&m, path, "123456789", len, &p, 1);
			ck_assert_uint_eq(m.len % 8, 0);
			body = 16 + 4 + k + 1 + len;
			ck_assert_uint_eq(get32(m.p + 20), (body + 7) & ~7U);
			for (i = 24 + body; i < 24 + ((body + 7) & ~7U); i++)
				ck_assert_uint_eq(m.p[i], 0);
			r = xs_stream_reader_new(m.p, m.len);
			ck_assert_int_eq(xs_stream_next(r, &rec), 0);
			ck_assert_str_eq(rec.u.node.path, path);
			ck_assert_uint_eq(rec.u.node.vlen, len);
			ck_assert_int_eq(xs_stream_next(r, &rec), 0);
			ck_assert_uint_eq(rec.type, XS_STREAM_END);
			ck_assert_int_eq(xs_stream_next(r, &rec), ENOENT);
			xs_stream_reader_free(r);
		}
	}
	mem_free(&m);
}
END_TEST

/*
 * The design's form: len is the body without its padding. Read as well,
 * and a body may hold nothing after its fields but up to its padding.
 */
START_TEST(test_padding_design_form)
{
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	struct mem		 m = { 0 };
	unsigned char		 body[32];
	uint16_t		 v16;

	/* TRANSACTION needs a connection first: a socket one. */
	raw_header(&m, 2, host_flags());
	memset(body, 0, sizeof body);
	put32(body, 1);
	v16 = XS_STREAM_CONN_SOCKET;
	memcpy(body + 4, &v16, 2);
	raw_record(&m, XS_STREAM_CONN, 24, body, 24);
	/* A watch of 8 + 3 + 2 = 13 bytes, len 13, 3 bytes of padding. */
	memset(body, 0, sizeof body);
	put32(body, 1);
	v16 = 3;
	memcpy(body + 4, &v16, 2);
	v16 = 2;
	memcpy(body + 6, &v16, 2);
	memcpy(body + 8, "/a\0t\0", 5);
	raw_record(&m, XS_STREAM_WATCH, 13, body, 13);
	/* The same with nonzero padding, which readers ignore. */
	body[13] = 0xaa;
	raw_record(&m, XS_STREAM_WATCH, 13, body, 16);
	raw_end(&m);
	r = xs_stream_reader_new(m.p, m.len);
	ck_assert_int_eq(xs_stream_next(r, &rec), 0);
	ck_assert_int_eq(xs_stream_next(r, &rec), 0);
	ck_assert_uint_eq(rec.len, 13);
	ck_assert_str_eq(rec.u.watch.path, "/a");
	ck_assert_str_eq(rec.u.watch.token, "t");
	ck_assert_int_eq(xs_stream_next(r, &rec), 0);
	ck_assert_uint_eq(rec.offset, 16 + 32 + 24);
	ck_assert_int_eq(xs_stream_next(r, &rec), 0);
	ck_assert_uint_eq(rec.type, XS_STREAM_END);
	xs_stream_reader_free(r);
	mem_free(&m);
}
END_TEST

/* A stream of the other byte order reads as the same records. */
START_TEST(test_other_endianness)
{
	struct xs_stream_record	 a[32], b[32];
	struct xs_stream_reader	*ra, *rb;
	struct mem		 m = { 0 }, again = { 0 };
	unsigned char		*swapped;
	size_t			 na, nb, i;

	write_all(&m, 2);
	swapped = malloc(m.len);
	ck_assert_ptr_nonnull(swapped);
	memcpy(swapped, m.p, m.len);
	swap_stream(swapped, m.len);
	ck_assert_mem_ne(swapped, m.p, m.len);
	ck_assert_int_eq(read_all(m.p, m.len, a, 32, &na, &ra), ENOENT);
	ck_assert_int_eq(read_all(swapped, m.len, b, 32, &nb, &rb), ENOENT);
	ck_assert_msg(xs_stream_reader_big_endian(ra) !=
	    xs_stream_reader_big_endian(rb), "both of one order");
	ck_assert_uint_eq(na, nb);
	for (i = 0; i < na; i++) {
		ck_assert_uint_eq(a[i].type, b[i].type);
		ck_assert_uint_eq(a[i].offset, b[i].offset);
		ck_assert_uint_eq(a[i].len, b[i].len);
	}
	ck_assert_int_eq(b[0].u.global.socket_fd, 3);
	ck_assert_uint_eq(b[1].u.conn.domid, 5);
	ck_assert_uint_eq(b[1].u.conn.evtchn, 33);
	ck_assert(b[1].u.conn.unique_id == 0x0102030405060708ULL);
	ck_assert_uint_eq(b[5].u.watch.depth, 2);
	ck_assert_uint_eq(b[6].u.txn.tx_id, 77);
	ck_assert_uint_eq(b[12].u.quota.val[2], 12345);
	ck_assert_uint_eq(b[13].u.quota.features, XS_FEATURE_WATCH_DEPTH);
	xs_stream_reader_free(ra);
	xs_stream_reader_free(rb);

	/* Written again, it is in the host's order: the original bytes. */
	rewrite(swapped, m.len, &again);
	ck_assert_mem_eq(again.p, m.p, m.len);
	free(swapped);
	mem_free(&m);
	mem_free(&again);
}
END_TEST

/* Version 1: no WATCH_DATA_EXTENDED, no features in DOMAIN_DATA. */
START_TEST(test_version1)
{
	struct xs_stream_writer	 w;
	struct xs_stream_watch	 wa;
	struct xs_stream_quota	 q;
	struct xs_stream_record	 recs[32];
	struct xs_stream_reader	*r;
	struct mem		 m = { 0 }, again = { 0 };
	unsigned char		 body[8];
	size_t			 n;

	write_all(&m, 1);
	ck_assert_uint_eq(m.p[11], 1);
	ck_assert_int_eq(read_all(m.p, m.len, recs, 32, &n, &r), ENOENT);
	ck_assert_uint_eq(xs_stream_reader_version(r), 1);
	ck_assert_uint_eq(n, 14);
	xs_stream_reader_free(r);
	rewrite(m.p, m.len, &again);
	ck_assert_mem_eq(again.p, m.p, m.len);

	/* A version 1 stream has no place for these. */
	ck_assert_int_eq(xs_stream_writer_init(&w, 1, mem_out, &again), 0);
	memset(&wa, 0, sizeof wa);
	wa.conn_id = 1;
	wa.extended = true;
	wa.path = "/a";
	wa.token = "t";
	ck_assert_int_eq(xs_stream_write_watch(&w, &wa), EINVAL);
	memset(&q, 0, sizeof q);
	q.features = 1;
	ck_assert_int_eq(xs_stream_write_quota(&w, XS_STREAM_DOMAIN, &q),
	    EINVAL);

	/* Features in a version 1 DOMAIN_DATA are not read. */
	mem_free(&m);
	raw_header(&m, 1, host_flags());
	memset(body, 0, sizeof body);
	put16(body, 5);
	put32(body + 4, 0xffffffffU);
	raw_record(&m, XS_STREAM_DOMAIN, 8, body, 8);
	raw_end(&m);
	ck_assert_int_eq(read_all(m.p, m.len, recs, 32, &n, &r), ENOENT);
	ck_assert_uint_eq(recs[0].u.quota.domid, 5);
	ck_assert_uint_eq(recs[0].u.quota.features, 0);
	xs_stream_reader_free(r);
	m.p[11] = 2;
	ck_assert_int_eq(read_all(m.p, m.len, recs, 32, &n, &r), ENOENT);
	ck_assert_uint_eq(recs[0].u.quota.features, 0xffffffffU);
	xs_stream_reader_free(r);
	mem_free(&m);
	mem_free(&again);
}
END_TEST

/* The text form of a node, and back. */
START_TEST(test_text_roundtrip)
{
	static const struct xs_perm	 p[] = {
		{ 1, XS_PERM_NONE }, { 0, XS_PERM_READ }, { 9, XS_PERM_BOTH }
	};
	static const uint8_t		 pf[] = { 0, 0, XS_STREAM_PERM_STALE };
	struct xs_stream_node		 n;
	struct xs_stream_record		 rec;
	struct xs_text_reader		*r;
	struct mem			 m = { 0 };
	unsigned char			 all[256];
	size_t				 i;

	memset(&n, 0, sizeof n);
	n.path = "/local/domain/1/name";
	n.value = "guest1";
	n.vlen = 6;
	n.perms = p;
	n.nperms = 2;
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), 0);
	ck_assert_int_eq(mem_out(&m, "", 1), 0);
	ck_assert_str_eq((char *)m.p,
	    "/local/domain/1/name = \"guest1\" (n1,r0)\n");
	mem_free(&m);

	n.path = "/x";
	n.value = "a\0""1\"\\\n\t\x7f\xff ";
	n.vlen = 10;
	n.nperms = 3;
	n.perm_flags = pf;
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), 0);
	ck_assert_int_eq(mem_out(&m, "", 1), 0);
	ck_assert_str_eq((char *)m.p,
	    "/x = \"a\\01\\\"\\\\\\n\\t\\x7f\\xff \" (n1,r0,b9!)\n");
	mem_free(&m);

	/* Every byte value, with a comment and a blank line around it. */
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	n.path = "@releaseDomain";
	n.value = all;
	n.vlen = 256;
	ck_assert_int_eq(mem_out(&m, "# a comment\n\n", 13), 0);
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), 0);
	n.path = "/";
	n.vlen = 0;
	n.nperms = 1;
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), 0);
	m.len--;	/* the last line without its newline */
	r = xs_text_reader_new(m.p, m.len);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(xs_text_next(r, &rec), 0);
	ck_assert_uint_eq(rec.type, XS_STREAM_NODE);
	ck_assert_uint_eq(rec.offset, 13);
	ck_assert_str_eq(rec.u.node.path, "@releaseDomain");
	ck_assert_uint_eq(rec.u.node.vlen, 256);
	ck_assert_mem_eq(rec.u.node.value, all, 256);
	ck_assert_uint_eq(rec.u.node.nperms, 3);
	ck_assert_uint_eq(rec.u.node.perms[2].domid, 9);
	ck_assert_uint_eq(rec.u.node.perms[2].access, XS_PERM_BOTH);
	ck_assert_uint_eq(rec.u.node.perm_flags[2], XS_STREAM_PERM_STALE);
	ck_assert_uint_eq(rec.u.node.perm_flags[1], 0);
	ck_assert_int_eq(xs_text_next(r, &rec), 0);
	ck_assert_str_eq(rec.u.node.path, "/");
	ck_assert_uint_eq(rec.u.node.vlen, 0);
	ck_assert_int_eq(xs_text_next(r, &rec), 0);
	ck_assert_uint_eq(rec.type, XS_STREAM_END);
	ck_assert_int_eq(xs_text_next(r, &rec), ENOENT);
	xs_text_reader_free(r);
	mem_free(&m);
}
END_TEST

/*
 * A list as a store keeps it, an entry marked XS_PERM_IGNORE, is written
 * with that entry stale (binary and text) and read back marked again.
 */
START_TEST(test_ignored_is_stale)
{
	static const struct xs_perm	 p[] = {
		{ 1, XS_PERM_NONE }, { 5, XS_PERM_READ | XS_PERM_IGNORE },
		{ 6, XS_PERM_WRITE }
	};
	struct xs_stream_node		 n;
	struct xs_stream_writer		 w;
	struct xs_stream_reader		*r;
	struct xs_stream_record		 rec;
	struct xs_perm			 back[3];
	struct mem			 m = { 0 };

	memset(&n, 0, sizeof n);
	n.path = "/x";
	n.perms = p;
	n.nperms = 3;
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), 0);
	ck_assert_int_eq(mem_out(&m, "", 1), 0);
	ck_assert_str_eq((char *)m.p, "/x = \"\" (n1,r5!,w6)\n");
	mem_free(&m);

	ck_assert_int_eq(xs_stream_writer_init(&w, 2, mem_out, &m), 0);
	ck_assert_int_eq(xs_stream_write_node(&w, &n), 0);
	ck_assert_int_eq(xs_stream_write_end(&w), 0);
	r = xs_stream_reader_new(m.p, m.len);
	ck_assert_ptr_nonnull(r);
	while (xs_stream_next(r, &rec) == 0 && rec.type != XS_STREAM_NODE)
		continue;
	ck_assert_uint_eq(rec.type, XS_STREAM_NODE);
	ck_assert_uint_eq(rec.u.node.perms[1].access, XS_PERM_READ);
	ck_assert_uint_eq(rec.u.node.perm_flags[1], XS_STREAM_PERM_STALE);
	ck_assert_uint_eq(rec.u.node.perm_flags[2], 0);
	xs_stream_node_perms(&rec.u.node, back);
	ck_assert_mem_eq(back, p, sizeof p);
	xs_stream_reader_free(r);
	mem_free(&m);
}
END_TEST

/* Limits that are still fine: the largest value, path, permission list. */
START_TEST(test_limits_ok)
{
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	struct xs_perm		*p;
	struct mem		 m = { 0 }, t = { 0 };
	struct xs_text_reader	*tr;
	char			*path, *value;
	size_t			 i;

	path = malloc(XS_ABS_PATH_MAX + 1);
	value = malloc(XS_TEXT_VALUE_MAX);
	p = calloc(XS_PERMS_MAX, sizeof *p);
	ck_assert(path != NULL && value != NULL && p != NULL);
	memset(path, 'p', XS_ABS_PATH_MAX);
	path[0] = '/';
	path[XS_ABS_PATH_MAX] = '\0';
	for (i = 0; i < XS_TEXT_VALUE_MAX; i++)
		value[i] = (char)(i * 7);
	for (i = 0; i < XS_PERMS_MAX; i++) {
		p[i].domid = (uint32_t)i;
		p[i].access = (uint8_t)(i % 4);
	}
	node_stream(&m, path, value, XS_TEXT_VALUE_MAX, p, XS_PERMS_MAX);
	r = xs_stream_reader_new(m.p, m.len);
	ck_assert_int_eq(xs_stream_next(r, &rec), 0);
	ck_assert_uint_eq(rec.u.node.vlen, XS_TEXT_VALUE_MAX);
	ck_assert_uint_eq(rec.u.node.nperms, XS_PERMS_MAX);
	ck_assert_uint_eq(strlen(rec.u.node.path), XS_ABS_PATH_MAX);
	ck_assert_int_eq(xs_text_write_node(mem_out, &t, &rec.u.node), 0);
	xs_stream_reader_free(r);

	tr = xs_text_reader_new(t.p, t.len);
	ck_assert_int_eq(xs_text_next(tr, &rec), 0);
	ck_assert_uint_eq(rec.u.node.vlen, XS_TEXT_VALUE_MAX);
	ck_assert_mem_eq(rec.u.node.value, value, XS_TEXT_VALUE_MAX);
	ck_assert_uint_eq(rec.u.node.nperms, XS_PERMS_MAX);
	ck_assert_str_eq(rec.u.node.path, path);
	xs_text_reader_free(tr);
	free(path);
	free(value);
	free(p);
	mem_free(&m);
	mem_free(&t);
}
END_TEST

/* What the writer refuses, and a failing output that sticks. */
START_TEST(test_writer_limits)
{
	struct xs_stream_writer	 w;
	struct xs_stream_node	 n;
	struct xs_stream_watch	 wa;
	struct xs_stream_quota	 q;
	struct xs_stream_conn	 c;
	struct xs_perm		 p[XS_PERMS_MAX + 1];
	struct mem		 m = { 0 };
	char			*big;

	memset(p, 0, sizeof p);
	big = calloc(1, 70000);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(xs_stream_writer_init(&w, 3, mem_out, &m), EINVAL);
	ck_assert_int_eq(xs_stream_writer_init(&w, 0, mem_out, &m), EINVAL);
	ck_assert_int_eq(xs_stream_writer_init(&w, 2, mem_out, &m), 0);
	memset(&n, 0, sizeof n);
	n.path = "/a";
	n.perms = p;
	n.nperms = 1;
	n.value = big;
	n.vlen = UINT16_MAX + 1;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), E2BIG);
	n.vlen = 0;
	n.nperms = XS_PERMS_MAX + 1;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), EINVAL);
	n.nperms = 0;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), EINVAL);
	n.nperms = 1;
	n.path = "/a/";
	ck_assert_int_eq(xs_stream_write_node(&w, &n), EINVAL);
	n.path = "a";
	ck_assert_int_eq(xs_stream_write_node(&w, &n), EINVAL);
	n.path = "@a b";
	ck_assert_int_eq(xs_stream_write_node(&w, &n), EINVAL);
	n.path = "/a";
	p[0].domid = XS_DOMID_MAX + 1;
	ck_assert_int_eq(xs_stream_write_node(&w, &n), EINVAL);
	p[0].domid = 0;
	memset(&wa, 0, sizeof wa);
	wa.path = "/a b";
	wa.token = "t";
	ck_assert_int_eq(xs_stream_write_watch(&w, &wa), EINVAL);
	wa.path = "/a";
	memset(big, 'x', 69999);
	wa.token = big;
	ck_assert_int_eq(xs_stream_write_watch(&w, &wa), E2BIG);
	memset(&q, 0, sizeof q);
	q.n_dom = XS_STREAM_QUOTA_MAX + 1;
	ck_assert_int_eq(xs_stream_write_quota(&w, XS_STREAM_DOMAIN, &q),
	    EINVAL);
	q.n_dom = 1;
	q.name[0] = "";
	ck_assert_int_eq(xs_stream_write_quota(&w, XS_STREAM_DOMAIN, &q),
	    EINVAL);
	ck_assert_int_eq(xs_stream_write_quota(&w, XS_STREAM_NODE, &q), EINVAL);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(xs_stream_write_conn(&w, &c), EINVAL);
	c.conn_id = 1;
	c.conn_type = 2;
	ck_assert_int_eq(xs_stream_write_conn(&w, &c), EINVAL);
	/* Nothing refused was written. */
	ck_assert_uint_eq(m.len, XS_STREAM_HEADER_SIZE);

	/* The output fails: the error sticks. */
	m.fail_at = m.len + 4;
	ck_assert_int_eq(xs_stream_write_end(&w), ENOSPC);
	m.fail_at = 0;
	ck_assert_int_eq(xs_stream_write_end(&w), ENOSPC);
	free(big);
	mem_free(&m);
}
END_TEST

/* Bad headers: ident, version, flags, cut short. */
START_TEST(test_bad_header)
{
	struct mem	m = { 0 };

	expect_error("", 0, 0, "header is cut short");
	expect_error("xenstore\0\0\0\2\0\0", 14, 0, "header is cut short");
	raw_header(&m, 2, host_flags());
	raw_end(&m);
	m.p[7] = 'E';
	expect_error(m.p, m.len, 0, "not a xenstore stream");
	m.p[7] = 'e';
	m.p[11] = 3;
	expect_error(m.p, m.len, 8, "version 3");
	m.p[11] = 0;
	expect_error(m.p, m.len, 8, "version 0");
	m.p[11] = 2;
	m.p[15] = 2;
	expect_error(m.p, m.len, 12, "reserved header flags");
	m.p[15] = 0;
	m.p[12] = 0x80;
	expect_error(m.p, m.len, 12, "reserved header flags");
	mem_free(&m);
}
END_TEST

/* Records cut short, too long, of unknown type, END missing or not last. */
START_TEST(test_bad_lengths)
{
	struct xs_stream_record	 recs[32];
	struct xs_stream_reader	*r;
	struct xs_perm		 p = { 0, XS_PERM_BOTH };
	struct mem		 m = { 0 };
	size_t			 n, k, cut;
	int			 rc;

	/* A stream cut at every byte fails, never reads past its end. */
	write_all(&m, 2);
	for (cut = 0; cut < m.len; cut++) {
		unsigned char	*copy = malloc(cut ? cut : 1);

		memcpy(copy, m.p, cut);
		rc = read_all(copy, cut, recs, 32, &n, &r);
		ck_assert_msg(rc == EINVAL, "cut at %zu: rc %d", cut, rc);
		ck_assert_uint_le(xs_stream_reader_error_offset(r), cut);
		xs_stream_reader_free(r);
		free(copy);
	}
	mem_free(&m);

	/* node: header 16, record at 16, "/a" + "xyz" + 1 perm: len 32. */
	node_stream(&m, "/a", "xyz", 3, &p, 1);
	ck_assert_uint_eq(get32(m.p + 20), 32);
	expect_error(m.p, 16, 16, "without an END record");
	expect_error(m.p, 21, 16, "record header is cut short");
	expect_error(m.p, 16 + 8 + 20, 20, "runs past the end");
	/* Length 26 (design form): padding must still be there. */
	put32(m.p + 20, 26);
	expect_error(m.p, 16 + 8 + 27, 16 + 8 + 26, "padding of the record is "
	    "cut short");
	put32(m.p + 20, 32);

	/* Lengths the fields do not fill, or overrun. */
	put32(m.p + 20, 40);
	expect_error(m.p, m.len, 24, "more than padding");
	put32(m.p + 20, 24);
	expect_error(m.p, m.len, 24, "need 26 bytes");
	put32(m.p + 20, XS_STREAM_RECORD_MAX + 1);
	expect_error(m.p, m.len, 20, "over the limit");
	put32(m.p + 20, 0xffffffffU);
	expect_error(m.p, m.len, 20, "over the limit");
	put32(m.p + 20, 32);

	/* Unknown types. */
	put32(m.p + 16, XS_STREAM_TYPE_COUNT);
	expect_error(m.p, m.len, 16, "unknown record type 9");
	put32(m.p + 16, 0x80000000U);
	expect_error(m.p, m.len, 16, "unknown record type");
	put32(m.p + 16, XS_STREAM_NODE);

	/* Bytes after END, END with a body. */
	k = m.len;
	ck_assert_int_eq(mem_out(&m, "\0\0\0\0\0\0\0\0", 8), 0);
	expect_error(m.p, m.len, k, "after the END record");
	m.len = k;
	put32(m.p + k - 4, 8);
	ck_assert_int_eq(mem_out(&m, "\0\0\0\0\0\0\0\0", 8), 0);
	expect_error(m.p, m.len, k, "more than padding");
	mem_free(&m);

	/* WATCH_DATA_EXTENDED in version 1. */
	raw_header(&m, 1, host_flags());
	raw_record(&m, XS_STREAM_WATCH_EXT, 16, "\1\0\0\0\2\0\1\0\0\0\0\0/\0\0",
	    16);
	raw_end(&m);
	expect_error(m.p, m.len, 16, "in a version 1 stream");
	mem_free(&m);
}
END_TEST

/* Bad node paths and permissions, each at its byte. */
START_TEST(test_bad_nodes)
{
	struct xs_perm	 p[2] = { { 0, XS_PERM_BOTH }, { 3, XS_PERM_READ } };
	struct mem	 m = { 0 };
	unsigned char	 body[24], *big;
	uint16_t	 v;
	size_t		 i;

	big = malloc(16 + 4 * (XS_PERMS_MAX + 1) + 8);
	ck_assert_ptr_nonnull(big);

	/* Body at 24: perms at 40 and 44, path at 48. */
	node_stream(&m, "/ab", "", 0, p, 2);
	m.p[48 + 2] = '/';
	expect_error(m.p, m.len, 48, "is not a valid path");
	m.p[48 + 2] = ' ';
	expect_error(m.p, m.len, 48, "is not a valid path");
	m.p[48] = 'a';
	m.p[48 + 2] = 'b';
	expect_error(m.p, m.len, 48, "is not a valid path");
	m.p[48] = '/';
	m.p[48 + 1] = '\0';
	expect_error(m.p, m.len, 48, "holds a NUL before its end");
	m.p[48 + 1] = 'a';
	m.p[48 + 3] = 'x';
	expect_error(m.p, m.len, 51, "does not end with a NUL");
	m.p[48 + 3] = '\0';

	m.p[44] = 'x';
	expect_error(m.p, m.len, 44, "permission letter");
	m.p[44] = 'R';
	expect_error(m.p, m.len, 44, "permission letter");
	m.p[44] = 'r';
	m.p[45] = 2;
	expect_error(m.p, m.len, 45, "permission flags");
	m.p[45] = 0;
	v = XS_DOMID_MAX + 1;
	memcpy(m.p + 46, &v, 2);
	expect_error(m.p, m.len, 46, "domain id 32752");
	v = 3;
	memcpy(m.p + 46, &v, 2);

	/* A special path of characters no path has. */
	mem_free(&m);
	node_stream(&m, "@ab", "", 0, p, 2);
	m.p[49] = '"';
	expect_error(m.p, m.len, 48, "is not a valid path");

	/* Permission count 0 for a committed node. */
	mem_free(&m);
	raw_header(&m, 2, host_flags());
	memset(big, 0, 18);
	put16(big + 8, 2);
	memcpy(big + 16, "/", 2);
	raw_record(&m, XS_STREAM_NODE, 18, big, 18);
	raw_end(&m);
	expect_error(m.p, m.len, 24 + 14, "without permissions");
	/* ... which a deleted node of a transaction may be, without value. */
	mem_free(&m);
	raw_header(&m, 2, host_flags());
	memset(body, 0, sizeof body);
	put32(body, 1);
	put16(body + 4, XS_STREAM_CONN_SOCKET);
	raw_record(&m, XS_STREAM_CONN, 24, body, 24);
	put32(body, 1);
	put32(body + 4, 5);
	raw_record(&m, XS_STREAM_TXN, 8, body, 8);
	memset(big, 0, 24);
	put32(big, 1);
	put32(big + 4, 5);
	put16(big + 8, 2);
	put16(big + 10, 1);
	memcpy(big + 16, "/xy", 3);
	raw_record(&m, XS_STREAM_NODE, 19, big, 19);
	raw_end(&m);
	expect_error(m.p, m.len, 16 + 32 + 16 + 8 + 10, "a deleted node");
	put16(m.p + 16 + 32 + 16 + 8 + 10, 0);
	put16(m.p + 16 + 32 + 16 + 8 + 12, 4);
	expect_error(m.p, m.len, 16 + 32 + 16 + 8 + 10, "a deleted node");
	put16(m.p + 16 + 32 + 16 + 8 + 12, 0);
	put32(m.p + 16 + 32 + 16 + 8 + 4, 6);
	expect_error(m.p, m.len, 16 + 32 + 16 + 8, "node of transaction 6");
	mem_free(&m);

	/* Too many permissions, in a record long enough for them. */
	raw_header(&m, 2, host_flags());
	memset(big, 0, 16 + 4 * (XS_PERMS_MAX + 1) + 2);
	put16(big + 8, 2);
	put16(big + 14, XS_PERMS_MAX + 1);
	for (i = 0; i <= XS_PERMS_MAX; i++)
		big[16 + 4 * i] = 'r';
	memcpy(big + 16 + 4 * (XS_PERMS_MAX + 1), "/", 2);
	raw_record(&m, XS_STREAM_NODE, 16 + 4 * (XS_PERMS_MAX + 1) + 2, big,
	    16 + 4 * (XS_PERMS_MAX + 1) + 2);
	raw_end(&m);
	expect_error(m.p, m.len, 24 + 14, "permissions, more than the");
	mem_free(&m);
	free(big);
}
END_TEST

/* References to records that are not there, ids defined twice. */
START_TEST(test_bad_references)
{
	unsigned char	 body[32];
	struct mem	 m = { 0 };
	uint16_t	 v;

	/* A watch of connection 4, never defined. */
	raw_header(&m, 2, host_flags());
	memset(body, 0, sizeof body);
	put32(body, 4);
	v = 3;
	memcpy(body + 4, &v, 2);
	v = 2;
	memcpy(body + 6, &v, 2);
	memcpy(body + 8, "/a\0t\0", 5);
	raw_record(&m, XS_STREAM_WATCH, 16, body, 16);
	raw_end(&m);
	expect_error(m.p, m.len, 24, "watch of connection 4");
	mem_free(&m);

	/* A transaction of an unknown connection; a node of an unknown one. */
	raw_header(&m, 2, host_flags());
	memset(body, 0, sizeof body);
	put32(body, 4);
	put32(body + 4, 9);
	raw_record(&m, XS_STREAM_TXN, 8, body, 8);
	raw_end(&m);
	expect_error(m.p, m.len, 24, "transaction of connection 4");
	mem_free(&m);

	/* The same connection twice; connection id 0. */
	raw_header(&m, 2, host_flags());
	memset(body, 0, sizeof body);
	put32(body, 7);
	v = XS_STREAM_CONN_SOCKET;
	memcpy(body + 4, &v, 2);
	raw_record(&m, XS_STREAM_CONN, 24, body, 24);
	raw_record(&m, XS_STREAM_CONN, 24, body, 24);
	raw_end(&m);
	expect_error(m.p, m.len, 16 + 32 + 8, "connection 7 defined twice");
	put32(m.p + 24, 0);
	expect_error(m.p, m.len, 24, "connection id 0");
	put32(m.p + 24, 7);
	/* An unknown connection type, unknown fields, a bad ring domid. */
	v = 5;
	memcpy(m.p + 24 + 4, &v, 2);
	expect_error(m.p, m.len, 28, "unknown connection type 5");
	v = 0;
	memcpy(m.p + 24 + 4, &v, 2);
	v = 0xfff0;
	memcpy(m.p + 24 + 8, &v, 2);
	expect_error(m.p, m.len, 32, "domain id 65520");
	v = 0;
	memcpy(m.p + 24 + 8, &v, 2);
	v = 2;
	memcpy(m.p + 24 + 6, &v, 2);
	expect_error(m.p, m.len, 30, "unknown connection fields");
	mem_free(&m);

	/* The same domain twice in DOMAIN_DATA; an empty quota name. */
	raw_header(&m, 2, host_flags());
	memset(body, 0, sizeof body);
	v = 5;
	memcpy(body, &v, 2);
	v = 1;
	memcpy(body + 2, &v, 2);
	put32(body + 8, 100);
	memcpy(body + 12, "nodes\0", 6);
	raw_record(&m, XS_STREAM_DOMAIN, 18, body, 18);
	raw_record(&m, XS_STREAM_DOMAIN, 18, body, 18);
	raw_end(&m);
	expect_error(m.p, m.len, 16 + 32 + 8, "second DOMAIN_DATA");
	m.p[24 + 12] = '\0';
	expect_error(m.p, m.len, 36, "quota name 1 is empty");
	memcpy(m.p + 24 + 12, "nodesxxxxxxx", 12);
	expect_error(m.p, m.len, 36, "quota name 1 does not end");
	mem_free(&m);
}
END_TEST

/* Any single byte changed: an error or a stream that reads, never a crash. */
START_TEST(test_corrupt_bytes)
{
	struct xs_stream_reader	*r;
	struct mem		 m = { 0 };
	unsigned char		*copy;
	size_t			 i, n;
	unsigned int		 k;
	static const unsigned char vals[] = { 0x00, 0x01, 0x07, 0x80, 0xff };
	int			 rc;

	write_all(&m, 2);
	copy = malloc(m.len);
	for (i = 0; i < m.len; i++) {
		for (k = 0; k < sizeof vals; k++) {
			memcpy(copy, m.p, m.len);
			copy[i] = vals[k];
			rc = read_all(copy, m.len, NULL, 0, &n, &r);
			ck_assert(rc == ENOENT || rc == EINVAL);
			if (rc == EINVAL)
				ck_assert_uint_le(
				    xs_stream_reader_error_offset(r), m.len);
			xs_stream_reader_free(r);
		}
	}
	free(copy);
	mem_free(&m);
}
END_TEST

/*
 * A line of text must fail at its column with what; the line number is
 * that of the bad line.
 */
static void
expect_text_error(const char *text, size_t line, size_t col, const char *what)
{
	struct xs_text_reader	*r;
	struct xs_stream_record	 rec;
	char			 prefix[64];
	char			*copy;
	size_t			 len = strlen(text);
	int			 rc;

	copy = malloc(len ? len : 1);
	memcpy(copy, text, len);
	r = xs_text_reader_new(copy, len);
	while ((rc = xs_text_next(r, &rec)) == 0)
		;
	ck_assert_msg(rc == EINVAL, "\"%s\": rc %d", text, rc);
	snprintf(prefix, sizeof prefix, "line %zu, column %zu: ", line, col);
	ck_assert_msg(strncmp(xs_text_reader_error(r), prefix,
	    strlen(prefix)) == 0, "\"%s\": %s", text, xs_text_reader_error(r));
	ck_assert_msg(strstr(xs_text_reader_error(r), what) != NULL,
	    "\"%s\": %s", text, xs_text_reader_error(r));
	ck_assert_uint_eq(xs_text_reader_error_line(r), line);
	ck_assert_int_eq(xs_text_next(r, &rec), EINVAL);
	xs_text_reader_free(r);
	free(copy);
}

/* Lines that are not nodes. */
START_TEST(test_text_errors)
{
	char	*big;
	size_t	 i;

	expect_text_error(" / = \"\" (n0)\n", 1, 1, "start with a path");
	expect_text_error("/a// = \"\" (n0)\n", 1, 1, "not a valid path");
	expect_text_error("# c\n/a = \"x\" (n0)\n/a/ = \"\" (n0)", 3, 1,
	    "not a valid path");
	expect_text_error("/a=\"x\" (n0)", 1, 1, "not a valid path");
	expect_text_error("@a\"b = \"\" (n0)", 1, 1, "not a valid path");
	expect_text_error("/a  = \"x\" (n0)", 1, 3, "after the path");
	expect_text_error("/a = x (n0)", 1, 3, "after the path");
	expect_text_error("/a = \"x (n0)", 1, 13, "no closing quote");
	expect_text_error("/a = \"\\q\" (n0)", 1, 7, "unknown escape \\q");
	expect_text_error("/a = \"\\x4\" (n0)", 1, 7, "two hex digits");
	expect_text_error("/a = \"\\xg0\" (n0)", 1, 7, "two hex digits");
	expect_text_error("/a = \"\\", 1, 7, "cut short");
	expect_text_error("/a = \"\t\" (n0)", 1, 7, "must be escaped");
	expect_text_error("/a = \"\xc3\xa9\" (n0)", 1, 7, "must be escaped");
	expect_text_error("/a = \"x\"(n0)", 1, 9, "after the value");
	expect_text_error("/a = \"x\" n0", 1, 9, "after the value");
	expect_text_error("/a = \"x\" (n0", 1, 12, "must end with ')'");
	expect_text_error("/a = \"x\" (n0) ", 1, 14, "must end with ')'");
	expect_text_error("/a = \"x\" (n0)\r\n", 1, 14, "must end with ')'");
	expect_text_error("/a = \"x\" ()", 1, 11, "a letter and a domain id");
	expect_text_error("/a = \"x\" (n0,)", 1, 14, "a letter and a domain");
	expect_text_error("/a = \"x\" (n0,x1)", 1, 14, "\"x1\" is not a "
	    "permission");
	expect_text_error("/a = \"x\" (n0,r32752)", 1, 14, "not a permission");
	expect_text_error("/a = \"x\" (n0,r-1)", 1, 14, "not a permission");
	expect_text_error("/a = \"x\" (n0!!)", 1, 11, "not a permission");

	/* A value one byte over the limit. */
	big = malloc(XS_TEXT_VALUE_MAX + 32);
	memcpy(big, "/a = \"", 6);
	for (i = 0; i <= XS_TEXT_VALUE_MAX; i++)
		big[6 + i] = 'v';
	memcpy(big + 6 + i, "\" (n0)", 7);
	expect_text_error(big, 1, 6 + XS_TEXT_VALUE_MAX + 1, "longer than");
	free(big);
}
END_TEST

/* What the text writer refuses. */
START_TEST(test_text_write_bad)
{
	struct xs_perm		p = { 0, XS_PERM_BOTH };
	struct xs_stream_node	n;
	struct mem		m = { 0 };

	memset(&n, 0, sizeof n);
	n.path = "/a";
	n.perms = &p;
	n.nperms = 1;
	n.conn_id = 1;
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), EINVAL);
	n.conn_id = 0;
	n.nperms = 0;
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), EINVAL);
	n.nperms = 1;
	n.path = "//";
	ck_assert_int_eq(xs_text_write_node(mem_out, &m, &n), EINVAL);
	ck_assert_uint_eq(m.len, 0);
	mem_free(&m);
}
END_TEST

/* The suite: core, limits, errors. */
static Suite *
stream_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("stream");

	tc = tcase_create("core");
	tcase_add_test(tc, test_roundtrip_all);
	tcase_add_test(tc, test_roundtrip_perms);
	tcase_add_test(tc, test_padding);
	tcase_add_test(tc, test_padding_design_form);
	tcase_add_test(tc, test_other_endianness);
	tcase_add_test(tc, test_version1);
	tcase_add_test(tc, test_text_roundtrip);
	tcase_add_test(tc, test_ignored_is_stale);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_limits_ok);
	tcase_add_test(tc, test_writer_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_header);
	tcase_add_test(tc, test_bad_lengths);
	tcase_add_test(tc, test_bad_nodes);
	tcase_add_test(tc, test_bad_references);
	tcase_add_test(tc, test_corrupt_bytes);
	tcase_add_test(tc, test_text_errors);
	tcase_add_test(tc, test_text_write_bad);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(stream_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

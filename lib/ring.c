/*
 * ring.c - the xenstore ring page shared by a guest and the server: copying
 * bytes in and out of its two circular buffers, and finding message
 * boundaries in the byte stream as it arrives.
 *
 * The page (docs/misc/xenstore-ring.txt, struct xenstore_domain_interface
 * in xen/include/public/io/xs_wire.h) holds two queues of 1024 bytes, req
 * (guest to server) and rsp (server to guest), each with a consumer and a
 * producer index. The indices are free-running 32-bit byte counts: byte x
 * of the stream lives at x mod 1024, the queue holds prod - cons bytes
 * (mod 2^32), and a queue is full when that is 1024. For example, with
 * cons = 0xfffffe00 and prod = 0x00000100 the queue holds 0x300 bytes,
 * from offset 0x200 to the end of the buffer and then from 0 to 0x100:
 * a read of them is two copies.
 *
 * The other side may write anything into the page at any time. So each
 * index is read once per operation, the pair is checked before use
 * (prod - cons over 1024 cannot happen between honest peers: EPROTO),
 * and the copy uses only the values read. Ordering: the producer writes
 * the bytes and then the new producer index (release); the consumer reads
 * the producer index (acquire) and then the bytes, and only then moves its
 * consumer index (release), which lets the other side overwrite them.
 *
 * Message boundaries: a header whose length field is over 4096 is a
 * protocol violation (docs/misc/xenstore.txt) after which the stream
 * cannot be followed. The server learns of it as the header's last byte
 * arrives, with xs_frame_scan, whatever the way the guest split its
 * writes: whole messages, one byte at a time, or across the end of the
 * buffer.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "xs.h"

/* The layout is a protocol fact: check it at build time. */
_Static_assert(offsetof(struct xs_ring, req) == 0, "req");
_Static_assert(offsetof(struct xs_ring, rsp) == 1024, "rsp");
_Static_assert(offsetof(struct xs_ring, req_cons) == 2048, "req_cons");
_Static_assert(offsetof(struct xs_ring, req_prod) == 2052, "req_prod");
_Static_assert(offsetof(struct xs_ring, rsp_cons) == 2056, "rsp_cons");
_Static_assert(offsetof(struct xs_ring, rsp_prod) == 2060, "rsp_prod");
_Static_assert(offsetof(struct xs_ring, server_features) == 2064,
    "server_features");
_Static_assert(offsetof(struct xs_ring, connection) == 2068, "connection");
_Static_assert(offsetof(struct xs_ring, error) == 2072, "error");
_Static_assert(offsetof(struct xs_ring, evtchn_port) == 2076,
    "evtchn_port");
_Static_assert(sizeof(struct xs_ring) <= XS_RING_PAGE_SIZE, "page");
_Static_assert((XS_RING_SIZE & (XS_RING_SIZE - 1)) == 0, "power of two");

static void	xs_ring_dir(struct xs_ring *, enum xs_ring_queue, char **,
		    uint32_t **, uint32_t **);

/* Read a field of the page the other side writes (acquire). */
uint32_t
xs_ring_load(const uint32_t *field)
{
	return __atomic_load_n(field, __ATOMIC_ACQUIRE);
}

/* Write a field of the page after what it publishes (release). */
void
xs_ring_store(uint32_t *field, uint32_t value)
{
	__atomic_store_n(field, value, __ATOMIC_RELEASE);
}

/* A full barrier, for a reset of every index at once. */
void
xs_ring_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* True if a pair of indices is possible: at most a full queue between. */
bool
xs_ring_idx_ok(uint32_t cons, uint32_t prod)
{
	return (uint32_t)(prod - cons) <= XS_RING_SIZE;
}

/* The buffer and the indices of one queue of the page. */
static void
xs_ring_dir(struct xs_ring *r, enum xs_ring_queue q, char **buf,
    uint32_t **cons, uint32_t **prod)
{
	if (q == XS_RING_REQ) {
		*buf = r->req;
		*cons = &r->req_cons;
		*prod = &r->req_prod;
	} else {
		*buf = r->rsp;
		*cons = &r->rsp_cons;
		*prod = &r->rsp_prod;
	}
}

/* Bytes waiting in a queue: 0 and *n, or EPROTO for impossible indices. */
int
xs_ring_used(struct xs_ring *r, enum xs_ring_queue q, size_t *n)
{
	char		*buf;
	uint32_t	*cp, *pp, cons, prod;

	xs_ring_dir(r, q, &buf, &cp, &pp);
	cons = xs_ring_load(cp);
	prod = xs_ring_load(pp);
	*n = 0;
	if (!xs_ring_idx_ok(cons, prod))
		return EPROTO;
	*n = (uint32_t)(prod - cons);
	return 0;
}

/*
 * Take up to len bytes from a queue as its consumer, across the end of
 * the buffer if need be. Returns 0 with *done (0 if the queue is empty),
 * or EPROTO (nothing taken) if the indices are impossible.
 */
int
xs_ring_read(struct xs_ring *r, enum xs_ring_queue q, void *out, size_t len,
    size_t *done)
{
	char		*buf, *dst = out;
	uint32_t	*cp, *pp, cons, prod, avail, off, first;

	*done = 0;
	xs_ring_dir(r, q, &buf, &cp, &pp);
	cons = xs_ring_load(cp);
	prod = xs_ring_load(pp);
	if (!xs_ring_idx_ok(cons, prod))
		return EPROTO;
	avail = prod - cons;
	if (len < avail)
		avail = (uint32_t)len;
	if (avail == 0)
		return 0;
	off = XS_RING_MASK(cons);
	first = XS_RING_SIZE - off;
	if (first > avail)
		first = avail;
	memcpy(dst, buf + off, first);
	if (avail > first)
		memcpy(dst + first, buf, avail - first);
	/* The bytes are copied before the other side may reuse them. */
	xs_ring_store(cp, cons + avail);
	*done = avail;
	return 0;
}

/*
 * Put up to len bytes into a queue as its producer, across the end of the
 * buffer if need be. Returns 0 with *done (0 if the queue is full), or
 * EPROTO (nothing put) if the indices are impossible.
 */
int
xs_ring_write(struct xs_ring *r, enum xs_ring_queue q, const void *in,
    size_t len, size_t *done)
{
	const char	*src = in;
	char		*buf;
	uint32_t	*cp, *pp, cons, prod, space, off, first;

	*done = 0;
	xs_ring_dir(r, q, &buf, &cp, &pp);
	cons = xs_ring_load(cp);
	prod = xs_ring_load(pp);
	if (!xs_ring_idx_ok(cons, prod))
		return EPROTO;
	space = XS_RING_SIZE - (prod - cons);
	if (len < space)
		space = (uint32_t)len;
	if (space == 0)
		return 0;
	off = XS_RING_MASK(prod);
	first = XS_RING_SIZE - off;
	if (first > space)
		first = space;
	memcpy(buf + off, src, first);
	if (space > first)
		memcpy(buf, src + first, space - first);
	/* The bytes are in place before the other side may see them. */
	xs_ring_store(pp, prod + space);
	*done = space;
	return 0;
}

/* Start following a stream at a message boundary. */
void
xs_frame_reset(struct xs_frame *f)
{
	memset(f, 0, sizeof *f);
}

/*
 * Follow len more bytes of a stream of messages. Returns 0, or E2BIG as
 * soon as a header with a length over XS_PAYLOAD_MAX is complete; *whole
 * (if not NULL) is then the number of bytes of buf before that header's
 * first byte (0 if the header began in an earlier call). After E2BIG the
 * stream cannot be followed: reset before using f again.
 */
int
xs_frame_scan(struct xs_frame *f, const void *buf, size_t len, size_t *whole)
{
	const unsigned char	*p = buf;
	struct xs_header	 h;
	size_t			 i = 0, n, start = 0;

	if (whole != NULL)
		*whole = len;
	while (i < len) {
		if (f->left > 0) {
			n = len - i;
			if (n > f->left)
				n = f->left;
			f->left -= (uint32_t)n;
			i += n;
			continue;
		}
		if (f->hdr_used == 0)
			start = i;
		f->hdr[f->hdr_used++] = p[i++];
		if (f->hdr_used < XS_HEADER_SIZE)
			continue;
		f->hdr_used = 0;
		if (xs_wire_header_decode(f->hdr, &h) != 0) {
			/* start is 0 if the header began in an earlier call. */
			if (whole != NULL)
				*whole = start;
			return E2BIG;
		}
		f->left = h.len;
		f->messages++;
	}
	return 0;
}

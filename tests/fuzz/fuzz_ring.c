/*
 * fuzz_ring.c - a libFuzzer target for the ring consumer: lib/ring.c as
 * the daemon uses it (conn-ring.c), against a guest that may do anything
 * to the shared page.
 *
 * The input is a script of steps. The guest writes bytes as it should,
 * or sets any index to any value, or consumes replies; the server takes
 * requests (xs_ring_read, then xs_frame_scan over what it took, as
 * conn-ring.c does) and puts replies (xs_ring_write). The page is a heap
 * object of exactly its size, so AddressSanitizer sees any access out of
 * it. Checked on every step:
 *
 *	- a read or write never moves more than was asked, nor more than
 *	  the ring holds, and moves its own index by exactly that;
 *	- EPROTO exactly when the indices read are more than a ring apart,
 *	  and then nothing moves;
 *	- while the guest has not tampered with the request indices, the
 *	  server takes exactly the bytes the guest wrote, in order, and
 *	  xs_frame_scan reports a payload over 4096 exactly where a plain
 *	  reference parser of that stream finds one.
 *
 * Build (tests/fuzz-ring.sh does it when clang is there):
 *	clang -fsanitize=fuzzer,address,undefined -Ilib \
 *	    tests/fuzz/fuzz_ring.c lib/ring.c lib/wire.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Bytes the guest wrote and the server has not taken (honest mode). */
struct fuzz_model {
	unsigned char	q[XS_RING_SIZE];
	size_t		n;
	bool		honest;
	/* Reference parse of the stream the server took. */
	unsigned char	hdr[XS_HEADER_SIZE];
	size_t		hdr_used;
	uint64_t	left;
	bool		bad;		/* a payload over 4096 was seen */
};

/* The input, read one field at a time (zeros once it runs out). */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 len;
};

static uint8_t	fuzz_u8(struct fuzz_in *);
static uint32_t	fuzz_u32(struct fuzz_in *);
static void	fuzz_ref(struct fuzz_model *, const unsigned char *, size_t);
static void	fuzz_fail(int, const char *);

/* Stop on a broken invariant, where the fuzzer sees it. */
#define fuzz_check(ok)	do {						\
	if (!(ok))							\
		fuzz_fail(__LINE__, #ok);				\
} while (0)

/* Say which invariant broke, and abort. */
static void
fuzz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_ring.c:%d: broken: %s\n", line, what);
	abort();
}

/* The next byte of the input. */
static uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t	v;

	if (in->len == 0)
		return 0;
	v = *in->p++;
	in->len--;
	return v;
}

/* The next four bytes of the input. */
static uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t	v = 0;
	int		i;

	for (i = 0; i < 4; i++)
		v |= (uint32_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* Follow taken bytes with a plain parser: headers and payload lengths. */
static void
fuzz_ref(struct fuzz_model *m, const unsigned char *b, size_t n)
{
	uint32_t	len;
	size_t		i;

	for (i = 0; i < n && !m->bad; i++) {
		if (m->left > 0) {
			m->left--;
			continue;
		}
		m->hdr[m->hdr_used++] = b[i];
		if (m->hdr_used < XS_HEADER_SIZE)
			continue;
		m->hdr_used = 0;
		memcpy(&len, m->hdr + 12, sizeof len);
		if (len > XS_PAYLOAD_MAX)
			m->bad = true;
		m->left = len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct fuzz_model	 m;
	struct xs_frame		 f;
	struct xs_ring		*r;
	unsigned char		 buf[2 * XS_RING_SIZE];
	uint32_t		 cons, prod, before;
	size_t			 n, done, want, used;
	int			 rc, frc, steps = 0;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return 0;
	memset(&m, 0, sizeof m);
	m.honest = true;
	xs_frame_reset(&f);
	/* Guests must not assume indices start at 0. */
	r->req_cons = r->req_prod = fuzz_u32(&in);
	r->rsp_cons = r->rsp_prod = fuzz_u32(&in);

	while (in.len > 0 && steps++ < 4096) {
		switch (fuzz_u8(&in) % 8) {
		case 0:		/* the guest writes, as it should */
			want = fuzz_u8(&in) * 8 + 1;
			for (n = 0; n < want && n < sizeof buf; n++)
				buf[n] = fuzz_u8(&in);
			rc = xs_ring_write(r, XS_RING_REQ, buf, n, &done);
			if (rc != 0 || !m.honest)
				break;
			fuzz_check(done <= n);
			fuzz_check(m.n + done <= XS_RING_SIZE);
			memcpy(m.q + m.n, buf, done);
			m.n += done;
			break;
		case 1:		/* the guest sets req_prod */
			r->req_prod = fuzz_u32(&in);
			m.honest = false;
			break;
		case 2:		/* the guest sets req_cons */
			r->req_cons = fuzz_u32(&in);
			m.honest = false;
			break;
		case 3:		/* the guest sets rsp_cons or rsp_prod */
			if (fuzz_u8(&in) & 1)
				r->rsp_cons = fuzz_u32(&in);
			else
				r->rsp_prod = fuzz_u32(&in);
			break;
		case 4:		/* the server takes requests */
		case 5:
			want = fuzz_u8(&in) * 8 + 1;
			cons = r->req_cons;
			prod = r->req_prod;
			rc = xs_ring_read(r, XS_RING_REQ, buf, want, &done);
			if (!xs_ring_idx_ok(cons, prod)) {
				fuzz_check(rc == EPROTO && done == 0);
				fuzz_check(r->req_cons == cons);
				break;
			}
			fuzz_check(rc == 0);
			fuzz_check(done <= want);
			fuzz_check(done == (prod - cons < want ?
			    prod - cons : want));
			fuzz_check(r->req_cons == (uint32_t)(cons + done));
			frc = xs_frame_scan(&f, buf, done, &n);
			fuzz_check(n <= done);
			if (m.honest) {
				fuzz_check(done <= m.n);
				fuzz_check(memcmp(buf, m.q, done) == 0);
				memmove(m.q, m.q + done, m.n - done);
				m.n -= done;
				fuzz_ref(&m, buf, done);
				fuzz_check((frc == E2BIG) == m.bad);
			}
			if (frc == E2BIG) {
				/* conn-ring.c stops serving; start over. */
				xs_frame_reset(&f);
				memset(&m, 0, sizeof m);
				r->req_cons = r->req_prod = fuzz_u32(&in);
				m.honest = true;
			}
			break;
		case 6:		/* the server puts replies */
			want = fuzz_u8(&in) * 8 + 1;
			memset(buf, 'r', want);
			cons = r->rsp_cons;
			prod = r->rsp_prod;
			rc = xs_ring_write(r, XS_RING_RSP, buf, want, &done);
			if (!xs_ring_idx_ok(cons, prod)) {
				fuzz_check(rc == EPROTO && done == 0);
				fuzz_check(r->rsp_prod == prod);
				break;
			}
			fuzz_check(rc == 0);
			fuzz_check(done <= want);
			fuzz_check(done <= XS_RING_SIZE - (prod - cons));
			fuzz_check(r->rsp_prod == (uint32_t)(prod + done));
			break;
		case 7:		/* the guest takes replies */
			before = r->rsp_cons;
			rc = xs_ring_read(r, XS_RING_RSP, buf, sizeof buf,
			    &done);
			if (rc == 0)
				fuzz_check(r->rsp_cons == (uint32_t)(before + done));
			if (xs_ring_used(r, XS_RING_RSP, &used) == 0)
				fuzz_check(used <= XS_RING_SIZE);
			break;
		}
	}
	free(r);
	return 0;
}

/*
 * check_ring.c - tests of lib/ring.c: the ring page layout, copies in and
 * out of a queue with wrap-around at the end of the buffer and of the
 * 32-bit indices, impossible indices, and message boundaries found in a
 * stream that arrives in pieces.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "xs.h"

static Suite	*ring_suite(void);
static void	 ring_at(struct xs_ring *, enum xs_ring_queue, uint32_t);
static size_t	 ring_msg(unsigned char *, uint32_t, uint32_t, char);

/* Start a queue empty at index i. */
static void
ring_at(struct xs_ring *r, enum xs_ring_queue q, uint32_t i)
{
	if (q == XS_RING_REQ)
		r->req_cons = r->req_prod = i;
	else
		r->rsp_cons = r->rsp_prod = i;
}

/* A message of type with len payload bytes c; its length. */
static size_t
ring_msg(unsigned char *out, uint32_t type, uint32_t len, char c)
{
	struct xs_header	h = { type, 7, 0, len };

	xs_wire_header_encode(out, &h);
	memset(out + XS_HEADER_SIZE, c, len);
	return XS_HEADER_SIZE + (size_t)len;
}

/* The page has Xen's layout. */
START_TEST(test_layout)
{
	ck_assert_uint_eq(offsetof(struct xs_ring, req), 0);
	ck_assert_uint_eq(offsetof(struct xs_ring, rsp), 1024);
	ck_assert_uint_eq(offsetof(struct xs_ring, req_cons), 2048);
	ck_assert_uint_eq(offsetof(struct xs_ring, req_prod), 2052);
	ck_assert_uint_eq(offsetof(struct xs_ring, rsp_cons), 2056);
	ck_assert_uint_eq(offsetof(struct xs_ring, rsp_prod), 2060);
	ck_assert_uint_eq(offsetof(struct xs_ring, server_features), 2064);
	ck_assert_uint_eq(offsetof(struct xs_ring, connection), 2068);
	ck_assert_uint_eq(offsetof(struct xs_ring, error), 2072);
	ck_assert_uint_eq(offsetof(struct xs_ring, evtchn_port), 2076);
	ck_assert_uint_eq(XS_RING_MASK(1024), 0);
	ck_assert_uint_eq(XS_RING_MASK(0xffffffffU), 1023);
}
END_TEST

/* Bytes written by the producer come out of the consumer in order. */
START_TEST(test_round_trip)
{
	struct xs_ring	r;
	char		out[64];
	size_t		done, n;

	memset(&r, 0, sizeof r);
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_REQ, "hello", 5, &done),
	    0);
	ck_assert_uint_eq(done, 5);
	ck_assert_uint_eq(r.req_prod, 5);
	ck_assert_uint_eq(r.req_cons, 0);
	ck_assert_int_eq(xs_ring_used(&r, XS_RING_REQ, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(xs_ring_read(&r, XS_RING_REQ, out, sizeof out,
	    &done), 0);
	ck_assert_uint_eq(done, 5);
	ck_assert(memcmp(out, "hello", 5) == 0);
	ck_assert_uint_eq(r.req_cons, 5);
	/* Empty: nothing more. */
	ck_assert_int_eq(xs_ring_read(&r, XS_RING_REQ, out, sizeof out,
	    &done), 0);
	ck_assert_uint_eq(done, 0);
	/* The other queue is untouched. */
	ck_assert_uint_eq(r.rsp_prod, 0);
	ck_assert_uint_eq(r.rsp_cons, 0);
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_RSP, "ok", 2, &done), 0);
	ck_assert(memcmp(r.rsp, "ok", 2) == 0);
}
END_TEST

/* A copy that crosses the end of the buffer is split in two. */
START_TEST(test_wrap_buffer)
{
	struct xs_ring	r;
	char		in[300], out[300];
	size_t		done, i;

	for (i = 0; i < sizeof in; i++)
		in[i] = (char)i;
	memset(&r, 0, sizeof r);
	ring_at(&r, XS_RING_RSP, 1000);
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_RSP, in, sizeof in,
	    &done), 0);
	ck_assert_uint_eq(done, sizeof in);
	ck_assert(memcmp(r.rsp + 1000, in, 24) == 0);
	ck_assert(memcmp(r.rsp, in + 24, sizeof in - 24) == 0);
	ck_assert_int_eq(xs_ring_read(&r, XS_RING_RSP, out, sizeof out,
	    &done), 0);
	ck_assert_uint_eq(done, sizeof out);
	ck_assert(memcmp(in, out, sizeof in) == 0);
	ck_assert_uint_eq(r.rsp_cons, 1300);
}
END_TEST

/* Indices run free across 2^32. */
START_TEST(test_wrap_index)
{
	struct xs_ring	r;
	char		in[1024], out[1024];
	size_t		done, n, i;
	unsigned int	round;

	memset(&r, 0, sizeof r);
	ring_at(&r, XS_RING_REQ, 0xfffffe00U);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof in; i++)
			in[i] = (char)(i * 7 + round);
		ck_assert_int_eq(xs_ring_write(&r, XS_RING_REQ, in, 700,
		    &done), 0);
		ck_assert_uint_eq(done, 700);
		ck_assert_int_eq(xs_ring_used(&r, XS_RING_REQ, &n), 0);
		ck_assert_uint_eq(n, 700);
		ck_assert_int_eq(xs_ring_read(&r, XS_RING_REQ, out, 700,
		    &done), 0);
		ck_assert_uint_eq(done, 700);
		ck_assert(memcmp(in, out, 700) == 0);
	}
	ck_assert_uint_eq(r.req_prod, (uint32_t)(0xfffffe00U + 2100));
	ck_assert_uint_eq(r.req_cons, r.req_prod);
	ck_assert_uint_lt(r.req_prod, 0x1000);
}
END_TEST

/* Messages split anywhere are followed: boundaries, counts. */
START_TEST(test_frame_pieces)
{
	unsigned char	stream[3 * (XS_HEADER_SIZE + XS_PAYLOAD_MAX)];
	struct xs_frame	f;
	size_t		len = 0, i, whole;

	len += ring_msg(stream + len, XS_READ, 10, 'a');
	len += ring_msg(stream + len, XS_WRITE, 0, 'b');
	len += ring_msg(stream + len, XS_WRITE, XS_PAYLOAD_MAX, 'c');

	/* All at once. */
	xs_frame_reset(&f);
	ck_assert_int_eq(xs_frame_scan(&f, stream, len, &whole), 0);
	ck_assert_uint_eq(whole, len);
	ck_assert_uint_eq(f.messages, 3);
	ck_assert_uint_eq(f.left, 0);
	ck_assert_uint_eq(f.hdr_used, 0);

	/* One byte at a time. */
	xs_frame_reset(&f);
	for (i = 0; i < len; i++)
		ck_assert_int_eq(xs_frame_scan(&f, stream + i, 1, NULL), 0);
	ck_assert_uint_eq(f.messages, 3);

	/* In pieces of 7, with a message boundary inside a piece. */
	xs_frame_reset(&f);
	for (i = 0; i < len; i += 7)
		ck_assert_int_eq(xs_frame_scan(&f, stream + i,
		    len - i < 7 ? len - i : 7, NULL), 0);
	ck_assert_uint_eq(f.messages, 3);
}
END_TEST

/* A full queue takes nothing more; exactly 1024 bytes fit. */
START_TEST(test_full)
{
	struct xs_ring	r;
	char		buf[2048];
	size_t		done, n;

	memset(&r, 0, sizeof r);
	memset(buf, 'x', sizeof buf);
	ring_at(&r, XS_RING_REQ, 0xfffffff0U);
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_REQ, buf, sizeof buf,
	    &done), 0);
	ck_assert_uint_eq(done, XS_RING_SIZE);
	ck_assert_int_eq(xs_ring_used(&r, XS_RING_REQ, &n), 0);
	ck_assert_uint_eq(n, XS_RING_SIZE);
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_REQ, buf, 1, &done), 0);
	ck_assert_uint_eq(done, 0);
	/* A partial read makes exactly that much room. */
	ck_assert_int_eq(xs_ring_read(&r, XS_RING_REQ, buf, 3, &done), 0);
	ck_assert_uint_eq(done, 3);
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_REQ, buf, 10, &done), 0);
	ck_assert_uint_eq(done, 3);
	/* Zero-length calls do nothing. */
	ck_assert_int_eq(xs_ring_write(&r, XS_RING_RSP, buf, 0, &done), 0);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(xs_ring_read(&r, XS_RING_REQ, buf, 0, &done), 0);
	ck_assert_uint_eq(done, 0);
	ck_assert(xs_ring_idx_ok(0, XS_RING_SIZE));
	ck_assert(xs_ring_idx_ok(0xffffffffU, XS_RING_SIZE - 1));
	ck_assert(!xs_ring_idx_ok(0, XS_RING_SIZE + 1));
}
END_TEST

/* The largest payload passes; one byte more does not, in any split. */
START_TEST(test_frame_limit)
{
	unsigned char	msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX + 1];
	struct xs_header h = { XS_WRITE, 1, 0, XS_PAYLOAD_MAX + 1 };
	struct xs_frame	f;
	size_t		len, whole, i;

	len = ring_msg(msg, XS_WRITE, XS_PAYLOAD_MAX, 'v');
	xs_frame_reset(&f);
	ck_assert_int_eq(xs_frame_scan(&f, msg, len, NULL), 0);

	/* A good message, then a bad header in the same piece. */
	xs_frame_reset(&f);
	len = ring_msg(msg, XS_READ, 4, 'p');
	xs_wire_header_encode(msg + len, &h);
	ck_assert_int_eq(xs_frame_scan(&f, msg, len + XS_HEADER_SIZE,
	    &whole), E2BIG);
	ck_assert_uint_eq(whole, len);
	ck_assert_uint_eq(f.messages, 1);

	/* The bad header one byte at a time: found at its last byte. */
	xs_frame_reset(&f);
	xs_wire_header_encode(msg, &h);
	for (i = 0; i < XS_HEADER_SIZE - 1; i++)
		ck_assert_int_eq(xs_frame_scan(&f, msg + i, 1, NULL), 0);
	ck_assert_int_eq(xs_frame_scan(&f, msg + i, 1, &whole), E2BIG);
	ck_assert_uint_eq(whole, 0);

	/* Length UINT32_MAX. */
	h.len = UINT32_MAX;
	xs_wire_header_encode(msg, &h);
	xs_frame_reset(&f);
	ck_assert_int_eq(xs_frame_scan(&f, msg, XS_HEADER_SIZE, NULL),
	    E2BIG);
}
END_TEST

/* Impossible indices: EPROTO, nothing copied, nothing moved. */
START_TEST(test_bad_indices)
{
	static const uint32_t	pairs[][2] = {
		{ 0, XS_RING_SIZE + 1 },	/* more than a ring */
		{ 100, 99 },			/* consumer ahead */
		{ 0x7fffffffU, 0xffffffffU },
		{ 0xfffffff0U, 0x00000500U },
	};
	struct xs_ring	r;
	char		buf[64];
	size_t		done, n, i;

	for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		memset(&r, 0, sizeof r);
		r.req_cons = pairs[i][0];
		r.req_prod = pairs[i][1];
		r.rsp_cons = pairs[i][0];
		r.rsp_prod = pairs[i][1];
		done = 99;
		ck_assert_int_eq(xs_ring_read(&r, XS_RING_REQ, buf,
		    sizeof buf, &done), EPROTO);
		ck_assert_uint_eq(done, 0);
		ck_assert_int_eq(xs_ring_write(&r, XS_RING_RSP, "x", 1,
		    &done), EPROTO);
		ck_assert_uint_eq(done, 0);
		ck_assert_int_eq(xs_ring_used(&r, XS_RING_REQ, &n), EPROTO);
		ck_assert_uint_eq(r.req_cons, pairs[i][0]);
		ck_assert_uint_eq(r.rsp_prod, pairs[i][1]);
		ck_assert(!xs_ring_idx_ok(pairs[i][0], pairs[i][1]));
	}
}
END_TEST

/* The suite: core, limits, errors. */
static Suite *
ring_suite(void)
{
	Suite	*s = suite_create("ring");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_wrap_buffer);
	tcase_add_test(tc, test_wrap_index);
	tcase_add_test(tc, test_frame_pieces);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_frame_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_bad_indices);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(ring_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

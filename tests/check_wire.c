/*
 * check_wire.c - tests of lib/wire.c: type and error tables, header
 * framing, strict payload splitting, message building.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "xs.h"

static Suite	*wire_suite(void);

/* Every type keeps Xen's number and name, and names map back. */
START_TEST(test_type_names)
{
	static const struct {
		uint32_t	 type;
		const char	*name;
	} t[] = {
		{ 0, "CONTROL" }, { 1, "DIRECTORY" }, { 2, "READ" },
		{ 3, "GET_PERMS" }, { 4, "WATCH" }, { 5, "UNWATCH" },
		{ 6, "TRANSACTION_START" }, { 7, "TRANSACTION_END" },
		{ 8, "INTRODUCE" }, { 9, "RELEASE" },
		{ 10, "GET_DOMAIN_PATH" }, { 11, "WRITE" }, { 12, "MKDIR" },
		{ 13, "RM" }, { 14, "SET_PERMS" }, { 15, "WATCH_EVENT" },
		{ 16, "ERROR" }, { 17, "IS_DOMAIN_INTRODUCED" },
		{ 18, "RESUME" }, { 19, "SET_TARGET" }, { 20, "RESTRICT" },
		{ 21, "RESET_WATCHES" }, { 22, "DIRECTORY_PART" },
		{ 23, "GET_FEATURE" }, { 24, "SET_FEATURE" },
		{ 25, "GET_QUOTA" }, { 26, "SET_QUOTA" },
		{ 0xffff, "INVALID" },
	};
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_str_eq(xs_wire_type_name(t[i].type), t[i].name);
		ck_assert_int_eq(xs_wire_type_from_name(t[i].name),
		    (int)t[i].type);
	}
	ck_assert_int_eq(XS_TYPE_COUNT, 27);
	ck_assert_int_eq(xs_wire_type_from_name("DEBUG"), XS_CONTROL);
}
END_TEST

/* Numbers and names that never were types. */
START_TEST(test_type_unknown)
{
	ck_assert_ptr_null(xs_wire_type_name(27));
	ck_assert_ptr_null(xs_wire_type_name(99));
	ck_assert_ptr_null(xs_wire_type_name(0xfffe));
	ck_assert_ptr_null(xs_wire_type_name(0x10000));
	ck_assert_ptr_null(xs_wire_type_name(UINT32_MAX));
	ck_assert_int_eq(xs_wire_type_from_name("read"), -1);
	ck_assert_int_eq(xs_wire_type_from_name("XS_READ"), -1);
	ck_assert_int_eq(xs_wire_type_from_name(""), -1);
	ck_assert_int_eq(xs_wire_type_from_name(NULL), -1);
}
END_TEST

/* Requests are 0..26 but for WATCH_EVENT, ERROR and RESTRICT. */
START_TEST(test_type_is_request)
{
	uint32_t	t;

	for (t = 0; t < XS_TYPE_COUNT; t++) {
		if (t == XS_WATCH_EVENT || t == XS_ERROR || t == XS_RESTRICT)
			ck_assert(!xs_wire_type_is_request(t));
		else
			ck_assert(xs_wire_type_is_request(t));
	}
	ck_assert(!xs_wire_type_is_request(27));
	ck_assert(!xs_wire_type_is_request(99));
	ck_assert(!xs_wire_type_is_request(XS_INVALID));
	ck_assert(!xs_wire_type_is_request(UINT32_MAX));
}
END_TEST

/* The sixteen wire errors, both ways; others travel as EINVAL. */
START_TEST(test_error_names)
{
	static const struct {
		int		 err;
		const char	*name;
	} t[] = {
		{ EINVAL, "EINVAL" }, { EACCES, "EACCES" },
		{ EEXIST, "EEXIST" }, { EISDIR, "EISDIR" },
		{ ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" },
		{ ENOSPC, "ENOSPC" }, { EIO, "EIO" },
		{ ENOTEMPTY, "ENOTEMPTY" }, { ENOSYS, "ENOSYS" },
		{ EROFS, "EROFS" }, { EBUSY, "EBUSY" }, { EAGAIN, "EAGAIN" },
		{ EISCONN, "EISCONN" }, { E2BIG, "E2BIG" }, { EPERM, "EPERM" },
	};
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_str_eq(xs_wire_error_name(t[i].err), t[i].name);
		ck_assert_int_eq(xs_wire_error_from_name(t[i].name),
		    t[i].err);
	}
	ck_assert_str_eq(xs_wire_error_name(0), "EINVAL");
	ck_assert_str_eq(xs_wire_error_name(ETIMEDOUT), "EINVAL");
	ck_assert_str_eq(xs_wire_error_name(EPROTO), "EINVAL");
	ck_assert_str_eq(xs_wire_error_name(-ENOENT), "EINVAL");
	ck_assert_int_eq(xs_wire_error_from_name("EQUOTA"), 0);
	ck_assert_int_eq(xs_wire_error_from_name("enoent"), 0);
	ck_assert_int_eq(xs_wire_error_from_name("ENOENT "), 0);
	ck_assert_int_eq(xs_wire_error_from_name(""), 0);
	ck_assert_int_eq(xs_wire_error_from_name(NULL), 0);
}
END_TEST

/* A header is four host-endian words, in order. */
START_TEST(test_header_roundtrip)
{
	struct xs_header	h = { 11, 0x01020304, 0xa0b0c0d0, 4096 };
	struct xs_header	g;
	unsigned char		buf[XS_HEADER_SIZE + 1];
	uint32_t		w[4];

	memset(buf, 0xee, sizeof buf);
	xs_wire_header_encode(buf, &h);
	ck_assert_int_eq(buf[XS_HEADER_SIZE], 0xee);
	memcpy(w, buf, sizeof w);
	ck_assert_uint_eq(w[0], 11);
	ck_assert_uint_eq(w[1], 0x01020304);
	ck_assert_uint_eq(w[2], 0xa0b0c0d0);
	ck_assert_uint_eq(w[3], 4096);
	ck_assert_int_eq(xs_wire_header_decode(buf, &g), 0);
	ck_assert_uint_eq(g.type, h.type);
	ck_assert_uint_eq(g.req_id, h.req_id);
	ck_assert_uint_eq(g.tx_id, h.tx_id);
	ck_assert_uint_eq(g.len, h.len);
}
END_TEST

/* Decoding needs no alignment. */
START_TEST(test_header_unaligned)
{
	struct xs_header	h = { 2, 7, 0, 3 }, g;
	unsigned char		buf[XS_HEADER_SIZE + 3];

	xs_wire_header_encode(buf + 3, &h);
	ck_assert_int_eq(xs_wire_header_decode(buf + 3, &g), 0);
	ck_assert_uint_eq(g.req_id, 7);
	ck_assert_uint_eq(g.len, 3);
}
END_TEST

/* Length 4096 is fine, 4097 and beyond are E2BIG (Xen drops the link). */
START_TEST(test_header_len_limit)
{
	static const uint32_t	bad[] = { 4097, 8192, 0x7fffffff,
				    UINT32_MAX };
	struct xs_header	h = { 2, 1, 0, 0 }, g;
	unsigned char		buf[XS_HEADER_SIZE];
	size_t			i;

	h.len = 0;
	xs_wire_header_encode(buf, &h);
	ck_assert_int_eq(xs_wire_header_decode(buf, &g), 0);
	h.len = XS_PAYLOAD_MAX;
	xs_wire_header_encode(buf, &h);
	ck_assert_int_eq(xs_wire_header_decode(buf, &g), 0);
	ck_assert_uint_eq(g.len, 4096);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		h.len = bad[i];
		xs_wire_header_encode(buf, &h);
		ck_assert_int_eq(xs_wire_header_decode(buf, &g), E2BIG);
		/* The fields are still there for a log line. */
		ck_assert_uint_eq(g.len, bad[i]);
		ck_assert_uint_eq(g.type, 2);
	}
}
END_TEST

/* Strict split: well-formed payloads. */
START_TEST(test_split_ok)
{
	const char	*f[4];
	unsigned int	 n = 99;

	ck_assert_int_eq(xs_wire_split("/a\0tok\0", 7, f, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0], "/a");
	ck_assert_str_eq(f[1], "tok");

	ck_assert_int_eq(xs_wire_split("/a\0\0", 4, f, 2, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[1], "");

	ck_assert_int_eq(xs_wire_split("\0", 1, f, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0], "");

	ck_assert_int_eq(xs_wire_split("\0\0\0", 3, f, 3, &n), 0);
	ck_assert_uint_eq(n, 3);

	/* Exactly max fields. */
	ck_assert_int_eq(xs_wire_split("a\0b\0c\0d\0", 8, f, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(f[3], "d");
}
END_TEST

/* Strict split: every malformed form is EINVAL. */
START_TEST(test_split_bad)
{
	const char	*f[4];
	unsigned int	 n = 99;

	ck_assert_int_eq(xs_wire_split("", 0, f, 4, &n), EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(xs_wire_split(NULL, 0, f, 4, &n), EINVAL);
	/* No terminator at all. */
	ck_assert_int_eq(xs_wire_split("/a", 2, f, 4, &n), EINVAL);
	/* Last field not terminated. */
	ck_assert_int_eq(xs_wire_split("/a\0tok", 6, f, 4, &n), EINVAL);
	/* One byte after the last terminator. */
	ck_assert_int_eq(xs_wire_split("/a\0tok\0x", 8, f, 4, &n), EINVAL);
	/* More fields than allowed. */
	ck_assert_int_eq(xs_wire_split("/a\0t\0x\0", 7, f, 2, &n), EINVAL);
	ck_assert_int_eq(xs_wire_split("\0", 1, f, 0, &n), EINVAL);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* The splitter never reads past len: bytes beyond are poisoned. */
START_TEST(test_split_bounds)
{
	char		*buf;
	const char	*f[2];
	unsigned int	 n;
	const void	*rest;
	const char	*first;
	uint32_t	 restlen;

	/* An exact-size heap block: ASan flags any read beyond it. */
	buf = malloc(3);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "abc", 3);
	ck_assert_int_eq(xs_wire_split(buf, 3, f, 2, &n), EINVAL);
	ck_assert_int_eq(xs_wire_split_first(buf, 3, &first, &rest,
	    &restlen), EINVAL);
	ck_assert_uint_eq(xs_wire_count_strings(buf, 3), 0);
	/* A NUL just after len does not count. */
	ck_assert_int_eq(xs_wire_split("ab\0", 2, f, 2, &n), EINVAL);
	free(buf);
}
END_TEST

/* A 4096-byte payload full of NULs splits into 4096 empty fields. */
START_TEST(test_split_full_payload)
{
	static const char	*f[XS_PAYLOAD_MAX];
	char			*buf;
	unsigned int		 n;

	buf = calloc(1, XS_PAYLOAD_MAX);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(xs_wire_split(buf, XS_PAYLOAD_MAX, f,
	    XS_PAYLOAD_MAX, &n), 0);
	ck_assert_uint_eq(n, XS_PAYLOAD_MAX);
	ck_assert_ptr_eq(f[4095], buf + 4095);
	ck_assert_int_eq(xs_wire_split(buf, XS_PAYLOAD_MAX, f,
	    XS_PAYLOAD_MAX - 1, &n), EINVAL);
	ck_assert_uint_eq(xs_wire_count_strings(buf, XS_PAYLOAD_MAX),
	    XS_PAYLOAD_MAX);
	free(buf);
}
END_TEST

/* WRITE payloads: path, then raw bytes that may hold NULs or be empty. */
START_TEST(test_split_first)
{
	const char	*first;
	const void	*rest;
	uint32_t	 restlen;

	ck_assert_int_eq(xs_wire_split_first("/a\0v\0w", 6, &first, &rest,
	    &restlen), 0);
	ck_assert_str_eq(first, "/a");
	ck_assert_uint_eq(restlen, 3);
	ck_assert_int_eq(memcmp(rest, "v\0w", 3), 0);

	ck_assert_int_eq(xs_wire_split_first("/a\0", 3, &first, &rest,
	    &restlen), 0);
	ck_assert_str_eq(first, "/a");
	ck_assert_uint_eq(restlen, 0);

	ck_assert_int_eq(xs_wire_split_first("\0", 1, &first, &rest,
	    &restlen), 0);
	ck_assert_str_eq(first, "");
	ck_assert_uint_eq(restlen, 0);

	ck_assert_int_eq(xs_wire_split_first("/a", 2, &first, &rest,
	    &restlen), EINVAL);
	ck_assert_int_eq(xs_wire_split_first("", 0, &first, &rest,
	    &restlen), EINVAL);
	ck_assert_int_eq(xs_wire_split_first(NULL, 0, &first, &rest,
	    &restlen), EINVAL);
}
END_TEST

/* A full 4096-byte WRITE: "/x\0" and 4093 value bytes holding NULs. */
START_TEST(test_split_first_full)
{
	char		*buf;
	const char	*first;
	const void	*rest;
	uint32_t	 restlen, i;

	buf = malloc(XS_PAYLOAD_MAX);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "/x", 3);
	for (i = 3; i < XS_PAYLOAD_MAX; i++)
		buf[i] = (char)(i % 3 == 0 ? 0 : i);
	ck_assert_int_eq(xs_wire_split_first(buf, XS_PAYLOAD_MAX, &first,
	    &rest, &restlen), 0);
	ck_assert_str_eq(first, "/x");
	ck_assert_uint_eq(restlen, XS_PAYLOAD_MAX - 3);
	ck_assert_ptr_eq(rest, buf + 3);
	free(buf);
}
END_TEST

/* Counting strings counts NULs only, as Xen's xs_count_strings. */
START_TEST(test_count_strings)
{
	ck_assert_uint_eq(xs_wire_count_strings("", 0), 0);
	ck_assert_uint_eq(xs_wire_count_strings(NULL, 0), 0);
	ck_assert_uint_eq(xs_wire_count_strings("a\0b\0", 4), 2);
	ck_assert_uint_eq(xs_wire_count_strings("a\0bc", 4), 1);
	ck_assert_uint_eq(xs_wire_count_strings("abc", 3), 0);
	ck_assert_uint_eq(xs_wire_count_strings("\0\0", 2), 2);
}
END_TEST

/* Building messages: header then payload, 4096 the most. */
START_TEST(test_build)
{
	unsigned char		 out[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	static unsigned char	 big[XS_PAYLOAD_MAX + 1];
	struct xs_header	 h;
	size_t			 n;

	n = xs_wire_build(out, XS_READ, 42, 7, "/a\0", 3);
	ck_assert_uint_eq(n, XS_HEADER_SIZE + 3);
	ck_assert_int_eq(xs_wire_header_decode(out, &h), 0);
	ck_assert_uint_eq(h.type, XS_READ);
	ck_assert_uint_eq(h.req_id, 42);
	ck_assert_uint_eq(h.tx_id, 7);
	ck_assert_uint_eq(h.len, 3);
	ck_assert_int_eq(memcmp(out + XS_HEADER_SIZE, "/a\0", 3), 0);

	n = xs_wire_build(out, XS_TRANSACTION_START, 1, 0, NULL, 0);
	ck_assert_uint_eq(n, XS_HEADER_SIZE);

	memset(big, 0, sizeof big);
	big[XS_PAYLOAD_MAX - 1] = 'z';
	n = xs_wire_build(out, XS_WRITE, 1, 0, big, XS_PAYLOAD_MAX);
	ck_assert_uint_eq(n, XS_HEADER_SIZE + XS_PAYLOAD_MAX);
	ck_assert_int_eq(out[XS_HEADER_SIZE + XS_PAYLOAD_MAX - 1], 'z');
	ck_assert_uint_eq(xs_wire_build(out, XS_WRITE, 1, 0, big,
	    XS_PAYLOAD_MAX + 1), 0);
	ck_assert_uint_eq(xs_wire_build(out, XS_WRITE, 1, 0, NULL, 1), 0);
}
END_TEST

/* ERROR replies carry the name and its NUL; unknown errno is EINVAL. */
START_TEST(test_build_error)
{
	unsigned char		out[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	struct xs_header	h;
	size_t			n;

	n = xs_wire_build_error(out, 9, 3, ENOENT);
	ck_assert_uint_eq(n, XS_HEADER_SIZE + 7);
	ck_assert_int_eq(xs_wire_header_decode(out, &h), 0);
	ck_assert_uint_eq(h.type, XS_ERROR);
	ck_assert_uint_eq(h.req_id, 9);
	ck_assert_uint_eq(h.tx_id, 3);
	ck_assert_uint_eq(h.len, 7);
	ck_assert_int_eq(memcmp(out + XS_HEADER_SIZE, "ENOENT", 7), 0);

	n = xs_wire_build_error(out, 1, 0, ETIMEDOUT);
	ck_assert_uint_eq(n, XS_HEADER_SIZE + 7);
	ck_assert_int_eq(memcmp(out + XS_HEADER_SIZE, "EINVAL", 7), 0);
}
END_TEST

/* The suite: core, limits, errors. */
static Suite *
wire_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("wire");

	tc = tcase_create("core");
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_type_is_request);
	tcase_add_test(tc, test_error_names);
	tcase_add_test(tc, test_header_roundtrip);
	tcase_add_test(tc, test_header_unaligned);
	tcase_add_test(tc, test_split_ok);
	tcase_add_test(tc, test_split_first);
	tcase_add_test(tc, test_count_strings);
	tcase_add_test(tc, test_build);
	tcase_add_test(tc, test_build_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_header_len_limit);
	tcase_add_test(tc, test_split_full_payload);
	tcase_add_test(tc, test_split_first_full);
	tcase_add_test(tc, test_split_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_type_unknown);
	tcase_add_test(tc, test_split_bad);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(wire_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

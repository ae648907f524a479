/*
 * check_daemon.c - xsdbd serving socket clients: every node request,
 * errors and edge cases as Xen's C xenstored 4.17 answers them (each
 * probed on the reference daemon), pipelining, partial requests, group
 * commit, and the limits that protect the daemon from its clients.
 */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"

static struct fixture	 fx;
static int		 fd = -1;

static void	setup(void);
static void	teardown(void);
static void	expect_reply(int, uint32_t, const void *, uint32_t,
		    const void *, uint32_t);

/* A daemon and one connection for each test. */
static void
setup(void)
{
	fd = fixture_serve(&fx, NULL);
}

/* Stop the daemon. */
static void
teardown(void)
{
	fixture_done(&fx, &fd);
}

/* A request answers its own type with exactly this payload. */
static void
expect_reply(int s, uint32_t type, const void *p, uint32_t len,
    const void *want, uint32_t wlen)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req(s, type, 0, p, len, &rt, &rl);
	ck_assert_msg(rt == type, "type %u answered %u \"%s\"", (unsigned)type,
	    rt, r);
	ck_assert_uint_eq(rl, wlen);
	ck_assert(memcmp(r, want, wlen) == 0);
}

/* A fresh store: "/", /local/domain, /tool/xenstored, all "n0". */
START_TEST(test_initial_tree)
{
	expect_reply(fd, XS_DIRECTORY, "/", 2, "local\0tool", 11);
	expect_reply(fd, XS_DIRECTORY, "/local", 7, "domain", 7);
	expect_reply(fd, XS_DIRECTORY, "/tool", 6, "xenstored", 10);
	expect_reply(fd, XS_DIRECTORY, "/tool/xenstored", 16, "", 0);
	fixture_read_len(fd, "/tool/xenstored", "", 0);
	expect_reply(fd, XS_GET_PERMS, "/", 2, "n0", 3);
	expect_reply(fd, XS_GET_PERMS, "/local/domain", 14, "n0", 3);
	expect_reply(fd, XS_GET_PERMS, "/tool/xenstored", 16, "n0", 3);
}
END_TEST

/* WRITE then READ: values are bytes, may be empty or hold NULs. */
START_TEST(test_write_read)
{
	fixture_write_str(fd, "/a", "hello");
	fixture_read_len(fd, "/a", "hello", 5);
	fixture_ok(fd, XS_WRITE, 0, "/b\0x\0y\0", 7);
	fixture_read_len(fd, "/b", "x\0y\0", 4);
	fixture_ok(fd, XS_WRITE, 0, "/c", 3);
	fixture_read_len(fd, "/c", "", 0);
	fixture_write_str(fd, "/a", "again");
	fixture_read_len(fd, "/a", "again", 5);
	/* Missing ancestors are created, empty. */
	fixture_write_str(fd, "/x/y/z", "deep");
	fixture_read_len(fd, "/x/y", "", 0);
	expect_reply(fd, XS_DIRECTORY, "/x", 3, "y", 2);
	/* The longest value a request can carry. */
	{
		char	buf[XS_PAYLOAD_MAX];

		memcpy(buf, "/v", 3);
		memset(buf + 3, 'q', XS_PAYLOAD_MAX - 3);
		fixture_ok(fd, XS_WRITE, 0, buf, XS_PAYLOAD_MAX);
		fixture_read_len(fd, "/v", buf + 3, XS_PAYLOAD_MAX - 3);
	}
}
END_TEST

/* Relative paths of a socket client are under /local/domain/0. */
START_TEST(test_relative)
{
	fixture_write_str(fd, "foo", "bar");
	fixture_read_len(fd, "/local/domain/0/foo", "bar", 3);
	fixture_read_len(fd, "foo", "bar", 3);
	expect_reply(fd, XS_DIRECTORY, "/local/domain/0", 16, "foo", 4);
}
END_TEST

/* MKDIR and RM, with Xen's answers for the edge cases. */
START_TEST(test_mkdir_rm)
{
	uint32_t	 rt, rl;

	fixture_ok(fd, XS_MKDIR, 0, "/m/a/b", 7);
	fixture_read_len(fd, "/m/a/b", "", 0);
	fixture_write_str(fd, "/m/a", "keep");
	/* MKDIR of an existing node changes nothing. */
	fixture_ok(fd, XS_MKDIR, 0, "/m/a", 5);
	fixture_read_len(fd, "/m/a", "keep", 4);
	/* RM of a missing node whose parent exists: OK. */
	fixture_ok(fd, XS_RM, 0, "/m/nope", 8);
	/* ... whose parent is missing: ENOENT. */
	fixture_expect_error(fd, XS_RM, 0, "/m/nope/x", 10, "ENOENT");
	/* RM removes the subtree. */
	fixture_ok(fd, XS_RM, 0, "/m/a", 5);
	fixture_req1(fd, XS_READ, 0, "/m/a/b", &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	expect_reply(fd, XS_DIRECTORY, "/m", 3, "", 0);
	fixture_expect_error(fd, XS_RM, 0, "/", 2, "EINVAL");
}
END_TEST

/* DIRECTORY lists children in creation order. */
START_TEST(test_directory)
{
	fixture_write_str(fd, "/d/zeta", "");
	fixture_write_str(fd, "/d/alpha", "");
	fixture_write_str(fd, "/d/mid", "");
	expect_reply(fd, XS_DIRECTORY, "/d", 3, "zeta\0alpha\0mid", 15);
	fixture_ok(fd, XS_RM, 0, "/d/zeta", 8);
	fixture_write_str(fd, "/d/zeta", "");
	expect_reply(fd, XS_DIRECTORY, "/d", 3, "alpha\0mid\0zeta", 15);
	fixture_expect_error(fd, XS_DIRECTORY, 0, "/nowhere", 9, "ENOENT");
}
END_TEST

/*
 * DIRECTORY_PART: "<generation>\0" then names from a byte offset of the
 * list, an empty string at its end (reference: offsets 0, 3, 47, 48).
 */
START_TEST(test_directory_part)
{
	char		 p[64], want[256], gen[32];
	const char	*r;
	uint32_t	 rt, rl, gl;
	int		 i;

	for (i = 0; i < 12; i++) {
		snprintf(p, sizeof p, "/d/c%03d", i);
		fixture_write_str(fd, p, "v");
	}
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "0", 5, &rt, &rl);
	ck_assert_uint_eq(rt, XS_DIRECTORY_PART);
	snprintf(gen, sizeof gen, "%s", r);
	gl = (uint32_t)strlen(gen) + 1;
	ck_assert_uint_gt(gl, 1);
	memcpy(want, gen, gl);
	memcpy(want + gl, "c000\0c001\0c002\0c003\0c004\0c005\0c006\0c007\0"
	    "c008\0c009\0c010\0c011\0", 60);
	want[gl + 60] = '\0';
	ck_assert_uint_eq(rl, gl + 61);
	ck_assert(memcmp(r, want, rl) == 0);

	/* From inside a name: the rest of it comes first. */
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "3", 5, &rt, &rl);
	ck_assert_uint_eq(rl, gl + 58);
	ck_assert(memcmp(r + gl, "0\0c001\0", 7) == 0);
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "47", 6, &rt, &rl);
	ck_assert_uint_eq(rl, gl + 14);
	ck_assert(memcmp(r + gl, "09\0c010\0c011\0\0", 14) == 0);
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "48", 6, &rt, &rl);
	ck_assert(memcmp(r + gl, "9\0c010\0c011\0\0", 13) == 0);

	/* At or past the end, or negative: the generation and "". */
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "60", 6, &rt, &rl);
	ck_assert_uint_eq(rl, gl + 1);
	ck_assert(memcmp(r, want, gl) == 0 && r[gl] == '\0');
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "-1", 6, &rt, &rl);
	ck_assert_uint_eq(rl, gl + 1);
	/* atoi: no digits is 0. */
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "x", 5, &rt, &rl);
	ck_assert_uint_eq(rl, gl + 61);

	/* The generation moves when the node or its children change. */
	fixture_write_str(fd, "/d/c012", "v");
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "0", 5, &rt, &rl);
	ck_assert_str_ne(r, gen);
	snprintf(gen, sizeof gen, "%s", r);
	fixture_write_str(fd, "/d", "value");
	r = fixture_req(fd, XS_DIRECTORY_PART, 0, "/d\0" "0", 5, &rt, &rl);
	ck_assert_str_ne(r, gen);

	fixture_expect_error(fd, XS_DIRECTORY_PART, 0, "/d", 3, "EINVAL");
	fixture_expect_error(fd, XS_DIRECTORY_PART, 0, "/d\0" "0\0x", 7,
	    "EINVAL");
	fixture_expect_error(fd, XS_DIRECTORY_PART, 0, "/d\0" "0", 4,
	    "EINVAL");
	fixture_expect_error(fd, XS_DIRECTORY_PART, 0, "/zz\0" "0", 6,
	    "ENOENT");
}
END_TEST

/* A child list longer than a reply still pages through DIRECTORY_PART. */
START_TEST(test_directory_part_pages)
{
	char		 p[128], got[32768];
	const char	*r;
	uint32_t	 rt, rl, gl, off = 0, total = 0;
	int		 i;

	for (i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "/big/child-with-a-long-name-%04d", i);
		fixture_ok(fd, XS_MKDIR, 0, p, (uint32_t)strlen(p) + 1);
		total += (uint32_t)strlen(p) - 5 + 1;
	}
	fixture_expect_error(fd, XS_DIRECTORY, 0, "/big", 5, "E2BIG");
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "/big%c%u", '\0', off);
		r = fixture_req(fd, XS_DIRECTORY_PART, 0, p,
		    5 + (uint32_t)strlen(p + 5) + 1, &rt, &rl);
		ck_assert_uint_eq(rt, XS_DIRECTORY_PART);
		ck_assert_uint_le(rl, XS_PAYLOAD_MAX);
		gl = (uint32_t)strlen(r) + 1;
		if (rl == gl + 1)
			break;
		memcpy(got + off, r + gl, rl - gl);
		off += rl - gl;
		if (got[off - 1] == '\0' && off >= 2 && got[off - 2] == '\0') {
			off--;
			break;
		}
	}
	ck_assert_uint_eq(off, total);
	ck_assert(memcmp(got, "child-with-a-long-name-0000", 28) == 0);
	ck_assert(memcmp(got + total - 28, "child-with-a-long-name-0299",
	    28) == 0);
}
END_TEST

/* GET_PERMS and SET_PERMS. */
START_TEST(test_perms)
{
	fixture_write_str(fd, "/p", "");
	expect_reply(fd, XS_GET_PERMS, "/p", 3, "n0", 3);
	fixture_ok(fd, XS_SET_PERMS, 0, "/p\0r0\0b5", 9);
	expect_reply(fd, XS_GET_PERMS, "/p", 3, "r0\0b5", 6);
	/* Bytes after the last NUL are ignored. */
	fixture_ok(fd, XS_SET_PERMS, 0, "/p\0w7\0b5", 8);
	expect_reply(fd, XS_GET_PERMS, "/p", 3, "w7", 3);
	/* DOMID_ANY (32757) as in 4.17. */
	fixture_ok(fd, XS_SET_PERMS, 0, "/p\0n0\0r32757", 13);
	expect_reply(fd, XS_GET_PERMS, "/p", 3, "n0\0r32757", 10);
	/* New nodes inherit their parent's permissions. */
	fixture_write_str(fd, "/p/q", "");
	expect_reply(fd, XS_GET_PERMS, "/p/q", 5, "n0\0r32757", 10);
	/* Special paths take permissions but do not show them. */
	fixture_ok(fd, XS_SET_PERMS, 0, "@introduceDomain\0b0", 20);
	fixture_expect_error(fd, XS_GET_PERMS, 0, "@introduceDomain", 17,
	    "EINVAL");
	fixture_expect_error(fd, XS_SET_PERMS, 0, "/nope\0n0", 9, "ENOENT");
	fixture_expect_error(fd, XS_SET_PERMS, 0, "/p", 3, "EINVAL");
	fixture_expect_error(fd, XS_SET_PERMS, 0, "/p\0x0", 6, "EINVAL");
	fixture_expect_error(fd, XS_SET_PERMS, 0, "/p\0r", 5, "EINVAL");
}
END_TEST

/* Replies carry the request's req_id and tx_id. */
START_TEST(test_reply_ids)
{
	struct xs_header	h;
	char			buf[XS_PAYLOAD_MAX + 1];

	fixture_send(fd, XS_READ, 0xdeadbeef, 0, "/tool", 6);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.req_id, 0xdeadbeef);
	ck_assert_uint_eq(h.tx_id, 0);
	ck_assert_uint_eq(h.type, XS_READ);
	/* An error keeps them too. */
	fixture_send(fd, XS_READ, 77, 4242, "/tool", 6);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_ERROR);
	ck_assert_uint_eq(h.req_id, 77);
	ck_assert_uint_eq(h.tx_id, 4242);
	ck_assert_str_eq(buf, "ENOENT");
}
END_TEST

/*
 * Many requests in one send, replies in order; a read pipelined after a
 * write sees it (same group, answered after its commit).
 */
START_TEST(test_pipeline)
{
	static char		 big[200 * 64];
	struct xs_header	 h;
	char			 buf[XS_PAYLOAD_MAX + 1], p[64];
	size_t			 n = 0;
	unsigned int		 i, round;
	uint32_t		 len;

	for (round = 0; round < 5; round++) {
		n = 0;
		for (i = 0; i < 100; i++) {
			len = (uint32_t)snprintf(p, sizeof p, "/pipe/%u%cv%u",
			    i, '\0', round * 1000 + i);
			h = (struct xs_header){ XS_WRITE, 2 * i, 0, len };
			memcpy(big + n, &h, sizeof h);
			memcpy(big + n + sizeof h, p, len);
			n += sizeof h + len;
			len = (uint32_t)snprintf(p, sizeof p, "/pipe/%u", i) +
			    1;
			h = (struct xs_header){ XS_READ, 2 * i + 1, 0, len };
			memcpy(big + n, &h, sizeof h);
			memcpy(big + n + sizeof h, p, len);
			n += sizeof h + len;
		}
		fixture_send_raw(fd, big, n);
		for (i = 0; i < 200; i++) {
			ck_assert_int_eq(fixture_recv(fd, &h, buf, 10000), 0);
			ck_assert_uint_eq(h.req_id, i);
			if (i % 2 == 0) {
				ck_assert_uint_eq(h.type, XS_WRITE);
				continue;
			}
			ck_assert_uint_eq(h.type, XS_READ);
			snprintf(p, sizeof p, "v%u", round * 1000 + i / 2);
			ck_assert_str_eq(buf, p);
		}
	}
}
END_TEST

/* A request sent one byte at a time is answered once complete. */
START_TEST(test_byte_by_byte)
{
	struct xs_header	 h = { XS_WRITE, 5, 0, 9 };
	struct pollfd		 pfd = { fd, POLLIN, 0 };
	char			 msg[XS_HEADER_SIZE + 9],
	    buf[XS_PAYLOAD_MAX + 1];
	size_t			 i;

	memcpy(msg, &h, sizeof h);
	memcpy(msg + sizeof h, "/bb\0value", 9);
	for (i = 0; i < sizeof msg; i++) {
		fixture_send_raw(fd, msg + i, 1);
		if (i == sizeof h - 1 || i == sizeof msg - 2) {
			/* Incomplete: nothing may come back yet. */
			ck_assert_int_eq(poll(&pfd, 1, 50), 0);
		}
	}
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WRITE);
	ck_assert_uint_eq(h.req_id, 5);
	fixture_read_len(fd, "/bb", "value", 5);
}
END_TEST

/* Writes from many connections in the same turns all commit. */
START_TEST(test_group_commit)
{
	struct xs_header	h;
	char			buf[XS_PAYLOAD_MAX + 1], p[64];
	int			s[16];
	unsigned int		i, k;
	uint32_t		len;

	for (i = 0; i < 16; i++)
		s[i] = fixture_connect(&fx);
	for (k = 0; k < 50; k++)
		for (i = 0; i < 16; i++) {
			len = (uint32_t)snprintf(p, sizeof p,
			    "/group/c%u/n%u%c%u", i, k, '\0', k);
			fixture_send(s[i], XS_WRITE, k, 0, p, len);
		}
	for (i = 0; i < 16; i++)
		for (k = 0; k < 50; k++) {
			ck_assert_int_eq(fixture_recv(s[i], &h, buf, 10000),
			    0);
			ck_assert_uint_eq(h.type, XS_WRITE);
			ck_assert_uint_eq(h.req_id, k);
		}
	for (i = 0; i < 16; i++) {
		for (k = 0; k < 50; k += 7) {
			snprintf(p, sizeof p, "/group/c%u/n%u", i, k);
			snprintf(buf, sizeof buf, "%u", k);
			fixture_read_len(fd, p, buf, (uint32_t)strlen(buf));
		}
		close(s[i]);
	}
}
END_TEST

/* Types that are not requests answer ENOSYS, before the tx id check. */
START_TEST(test_enosys)
{
	static const uint32_t	types[] = { XS_WATCH_EVENT, XS_ERROR,
				    XS_RESTRICT, 27, 99, 65535, 0xffffffff };
	size_t			i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		fixture_expect_error(fd, types[i], 0, "x", 2, "ENOSYS");
		fixture_expect_error(fd, types[i], 99, "", 0, "ENOSYS");
	}
	/* And the connection goes on. */
	fixture_read_len(fd, "/tool/xenstored", "", 0);
}
END_TEST

/* A tx id that names no transaction: ENOENT, except WATCH/UNWATCH. */
START_TEST(test_unknown_tx)
{
	fixture_expect_error(fd, XS_READ, 99, "/tool", 6, "ENOENT");
	fixture_expect_error(fd, XS_WRITE, 99, "/tool\0x", 7, "ENOENT");
	fixture_expect_error(fd, XS_DIRECTORY, 99, "/", 2, "ENOENT");
	fixture_expect_error(fd, XS_GET_DOMAIN_PATH, 99, "0", 2, "ENOENT");
	fixture_expect_error(fd, XS_RESET_WATCHES, 99, "", 0, "ENOENT");
	fixture_expect_error(fd, XS_CONTROL, 99, "help", 5, "ENOENT");
	fixture_expect_error(fd, XS_TRANSACTION_END, 99, "T", 2, "ENOENT");
}
END_TEST

/* One-path requests need exactly "path\0". */
START_TEST(test_onearg)
{
	static const uint32_t	types[] = { XS_READ, XS_DIRECTORY,
				    XS_GET_PERMS, XS_MKDIR, XS_RM };
	size_t			i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		fixture_expect_error(fd, types[i], 0, "/tool", 5, "EINVAL");
		fixture_expect_error(fd, types[i], 0, "/tool\0x", 8,
		    "EINVAL");
		fixture_expect_error(fd, types[i], 0, "", 0, "EINVAL");
		fixture_expect_error(fd, types[i], 0, "", 1, "EINVAL");
	}
	fixture_expect_error(fd, XS_WRITE, 0, "/a", 2, "EINVAL");
	fixture_expect_error(fd, XS_WRITE, 0, "", 0, "EINVAL");
}
END_TEST

/* Bad paths are EINVAL; "@" paths only where they make sense. */
START_TEST(test_bad_paths)
{
	static const char	*bad[] = { "/a b", "/tool/", "/tool//x",
				    "/a\tb", "/ä" };
	static const uint32_t	types[] = { XS_READ, XS_DIRECTORY,
				    XS_GET_PERMS, XS_MKDIR, XS_RM };
	char			p[64];
	size_t			i, j;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		for (j = 0; j < sizeof types / sizeof types[0]; j++)
			fixture_expect_error(fd, types[j], 0, bad[i],
			    (uint32_t)strlen(bad[i]) + 1, "EINVAL");
	fixture_expect_error(fd, XS_WRITE, 0, "/a b\0x", 6, "EINVAL");
	for (j = 0; j < sizeof types / sizeof types[0]; j++)
		fixture_expect_error(fd, types[j], 0, "@introduceDomain", 17,
		    "EINVAL");
	snprintf(p, sizeof p, "@x%cv", '\0');
	fixture_expect_error(fd, XS_WRITE, 0, p, 4, "EINVAL");
}
END_TEST

/*
 * Path lengths: the path quota (-M, 2048) counts what follows
 * /local/domain/<id>/ and holds for dom0 too.
 */
START_TEST(test_path_length)
{
	char	p[4200];

	p[0] = '/';
	memset(p + 1, 'a', 2047);
	memcpy(p + 2048, "\0v", 2);
	fixture_ok(fd, XS_WRITE, 0, p, 2050);
	memset(p + 1, 'b', 2048);
	memcpy(p + 2049, "\0v", 2);
	fixture_expect_error(fd, XS_WRITE, 0, p, 2051, "EINVAL");
	memset(p, 'c', 2048);
	memcpy(p + 2048, "\0v", 2);
	fixture_ok(fd, XS_WRITE, 0, p, 2050);
	memset(p, 'd', 2049);
	memcpy(p + 2049, "\0v", 2);
	fixture_expect_error(fd, XS_WRITE, 0, p, 2051, "EINVAL");
	memcpy(p, "/local/domain/0/", 16);
	memset(p + 16, 'e', 2048);
	memcpy(p + 16 + 2048, "\0v", 2);
	fixture_ok(fd, XS_WRITE, 0, p, 16 + 2050);
	memset(p + 16, 'f', 2049);
	memcpy(p + 16 + 2049, "\0v", 2);
	fixture_expect_error(fd, XS_WRITE, 0, p, 16 + 2051, "EINVAL");
}
END_TEST

/*
 * A payload over 4096 bytes ends that connection (after what it was owed)
 * and nothing else.
 */
START_TEST(test_oversize_payload)
{
	struct xs_header	 h = { XS_READ, 1, 0, 6 };
	char			 msg[64], buf[XS_PAYLOAD_MAX + 1];
	int			 other, bad;

	other = fixture_connect(&fx);
	bad = fixture_connect(&fx);
	memcpy(msg, &h, sizeof h);
	memcpy(msg + sizeof h, "/tool", 6);
	h = (struct xs_header){ XS_READ, 2, 0, XS_PAYLOAD_MAX + 1 };
	memcpy(msg + sizeof h + 6, &h, sizeof h);
	fixture_send_raw(bad, msg, 2 * sizeof h + 6);
	/* The request before the bad header is answered, then EOF. */
	ck_assert_int_eq(fixture_recv(bad, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.req_id, 1);
	ck_assert_int_eq(fixture_recv(bad, &h, buf, 5000), EPIPE);
	close(bad);
	fixture_read_len(other, "/tool/xenstored", "", 0);
	fixture_read_len(fd, "/tool/xenstored", "", 0);
	close(other);
}
END_TEST

/* A DIRECTORY whose reply would exceed 4096 bytes is E2BIG. */
START_TEST(test_e2big)
{
	char		p[128];
	int		i;

	for (i = 0; i < 150; i++) {
		snprintf(p, sizeof p, "/big/child-with-a-long-name-%04d", i);
		fixture_ok(fd, XS_MKDIR, 0, p, (uint32_t)strlen(p) + 1);
	}
	fixture_expect_error(fd, XS_DIRECTORY, 0, "/big", 5, "E2BIG");
	/* The connection goes on. */
	fixture_read_len(fd, "/big", "", 0);
}
END_TEST

/* Many connections at once. */
START_TEST(test_many_connections)
{
	char		p[64], v[64];
	int		s[300];
	unsigned int	i;

	for (i = 0; i < 300; i++)
		s[i] = fixture_connect(&fx);
	for (i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "/many/%u", i);
		snprintf(v, sizeof v, "%u", i * 3);
		fixture_write_str(s[i], p, v);
	}
	for (i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "/many/%u", (i + 7) % 300);
		snprintf(v, sizeof v, "%u", (i + 7) % 300 * 3);
		fixture_read_len(s[i], p, v, (uint32_t)strlen(v));
		close(s[i]);
	}
}
END_TEST

/* Clients that close with requests in flight harm no one. */
START_TEST(test_close_midway)
{
	struct xs_header	h = { XS_WRITE, 1, 0, 9 };
	char			msg[XS_HEADER_SIZE + 9];
	int			s, i;

	for (i = 0; i < 50; i++) {
		s = fixture_connect(&fx);
		memcpy(msg, &h, sizeof h);
		memcpy(msg + sizeof h, "/cm\0value", 9);
		/* Half a request, or a whole one, then gone. */
		fixture_send_raw(s, msg, (size_t)(i % 2 ? sizeof msg : 20));
		close(s);
	}
	fixture_write_str(fd, "/cm2", "value");
	fixture_read_len(fd, "/cm2", "value", 5);
	fixture_read_len(fd, "/tool/xenstored", "", 0);
}
END_TEST

/* Half-closing after the requests still gets their replies. */
START_TEST(test_half_close)
{
	struct xs_header	h;
	char			buf[XS_PAYLOAD_MAX + 1];
	int			s, i;

	s = fixture_connect(&fx);
	for (i = 0; i < 10; i++)
		fixture_send(s, XS_READ, (uint32_t)i, 0, "/tool", 6);
	shutdown(s, SHUT_WR);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(fixture_recv(s, &h, buf, 5000), 0);
		ck_assert_uint_eq(h.req_id, (uint32_t)i);
	}
	ck_assert_int_eq(fixture_recv(s, &h, buf, 5000), EPIPE);
	close(s);
}
END_TEST

/* A pipelining client that does not read is slowed, not dropped. */
START_TEST(test_pipeliner_paused)
{
	struct xs_header	 h;
	char			 v[128], buf[XS_PAYLOAD_MAX + 1];
	int			 s, i, sent = 0;

	memcpy(v, "/v", 3);
	memset(v + 3, 'z', 100);
	fixture_ok(fd, XS_WRITE, 0, v, 103);
	s = fixture_connect(&fx);
	/* Send until the daemon stops reading us (our send buffer fills). */
	for (i = 0; i < 200000; i++) {
		struct pollfd	pfd = { s, POLLOUT, 0 };

		if (poll(&pfd, 1, 200) != 1)
			break;
		fixture_send(s, XS_READ, (uint32_t)i, 0, "/v", 3);
		sent++;
	}
	ck_assert_int_lt(sent, 200000);
	/* Meanwhile the others are served. */
	fixture_read_len(fd, "/v", v + 3, 100);
	/* Now read it all: every reply is there, in order. */
	for (i = 0; i < sent; i++) {
		ck_assert_int_eq(fixture_recv(s, &h, buf, 10000), 0);
		ck_assert_uint_eq(h.req_id, (uint32_t)i);
		ck_assert_uint_eq(h.len, 100);
	}
	close(s);
}
END_TEST

/*
 * A writer that watches its own write gets the event before the reply,
 * as from Xen's daemon; a read pipelined after it comes after both.
 */
START_TEST(test_event_before_reply)
{
	struct xs_header	h;
	char			buf[XS_PAYLOAD_MAX + 1];

	fixture_send(fd, XS_WATCH, 1, 0, "/o\0tok", 7);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WATCH);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WATCH_EVENT);
	fixture_send(fd, XS_WRITE, 2, 0, "/o\0v", 4);
	fixture_send(fd, XS_READ, 3, 0, "/o", 3);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WATCH_EVENT);
	ck_assert(memcmp(buf, "/o\0tok\0", 8) == 0);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WRITE);
	ck_assert_uint_eq(h.req_id, 2);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_READ);
	ck_assert_uint_eq(h.req_id, 3);
	ck_assert_str_eq(buf, "v");
}
END_TEST

/*
 * A watcher that never reads its events is dropped once its queue passes
 * --out-max, while the writer is served all along.
 */
START_TEST(test_slow_watcher_dropped)
{
	static const char	*extra[] = { "--out-max", "64K", NULL };
	struct fixture		 f2;
	struct xs_header	 h;
	char			 buf[XS_PAYLOAD_MAX + 1], p[64];
	int			 slow, writer, i, rc, events = 0;
	size_t			 tl;

	fixture_init(&f2);
	fixture_up(&f2, extra);
	writer = fixture_connect(&f2);
	slow = fixture_connect(&f2);
	/* A long token makes each event about 2 KB. */
	memcpy(buf, "/s", 3);
	memset(buf + 3, 't', 2000);
	buf[2003] = '\0';
	tl = 2004;
	fixture_send(slow, XS_WATCH, 1, 0, buf, (uint32_t)tl);
	ck_assert_int_eq(fixture_recv(slow, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WATCH);

	for (i = 0; i < 2000; i++) {
		snprintf(p, sizeof p, "/s/%d", i);
		fixture_write_str(writer, p, "v");
	}
	/* Draining the slow one ends in EOF, well before 2000 events. */
	while ((rc = fixture_recv(slow, &h, buf, 5000)) == 0)
		events++;
	ck_assert_int_eq(rc, EPIPE);
	ck_assert_int_lt(events, 1000);
	fixture_write_str(writer, "/s/after", "v");
	close(slow);
	close(writer);
	fixture_fini(&f2);
}
END_TEST

/*
 * Out of file descriptors: the daemon stops accepting for a moment and
 * serves the clients waiting in the backlog once others have gone.
 */
START_TEST(test_emfile)
{
	struct fixture		 f2;
	struct xs_header	 h;
	char			 buf[XS_PAYLOAD_MAX + 1];
	int			 s[60], i, answered = 0, rc;

	fixture_init(&f2);
	f2.nofile = 32;
	fixture_up(&f2, NULL);
	for (i = 0; i < 60; i++) {
		s[i] = fixture_connect(&f2);
		fixture_send(s[i], XS_READ, (uint32_t)i, 0, "/tool", 6);
	}
	/* Some are served at once; the others wait in the backlog. */
	for (i = 0; i < 60; i++) {
		rc = fixture_recv(s[i], &h, buf, i < 10 ? 5000 : 200);
		if (rc != 0)
			break;
		answered++;
	}
	ck_assert_int_ge(answered, 10);
	ck_assert_int_lt(answered, 60);
	for (i = 0; i < answered; i++)
		close(s[i]);
	/* With those gone, the rest are accepted and answered. */
	for (i = answered; i < 60; i++) {
		ck_assert_int_eq(fixture_recv(s[i], &h, buf, 10000), 0);
		ck_assert_uint_eq(h.req_id, (uint32_t)i);
		close(s[i]);
	}
	fixture_fini(&f2);
}
END_TEST

/*
 * A store that outgrows its map many times over (--map-size 1M): no
 * request sees ENOSPC, even when the map fills at a group's commit (the
 * group runs again), every write and transaction lands, and each fires
 * exactly one event.
 */
START_TEST(test_map_growth)
{
	static const char	*extra[] = { "--map-size", "1M", NULL };
	static char		 seen[20000];
	struct fixture		 f2;
	struct xs_header	 h;
	char			 buf[XS_PAYLOAD_MAX + 1], p[512];
	const char		*r;
	uint32_t		 rt, rl, tx, len;
	int			 s, w, i, k, n, events = 0;

	fixture_init(&f2);
	fixture_up(&f2, extra);
	s = fixture_connect(&f2);
	w = fixture_connect(&f2);
	fixture_send(w, XS_WATCH, 1, 0, "/fill\0tok", 10);
	ck_assert_int_eq(fixture_recv(w, &h, buf, 5000), 0);
	ck_assert_uint_eq(h.type, XS_WATCH);
	memset(seen, 0, sizeof seen);

	for (i = 0; i < 20000; i += 100) {
		/* 99 pipelined writes... */
		for (k = i; k < i + 99; k++) {
			len = (uint32_t)snprintf(p, sizeof p, "/fill/%d",
			    k) + 1;
			memset(p + len, 'v', 300);
			fixture_send(s, XS_WRITE, (uint32_t)k, 0, p, len + 300);
		}
		for (k = i; k < i + 99; k++) {
			ck_assert_int_eq(fixture_recv(s, &h, buf, 10000), 0);
			ck_assert_msg(h.type == XS_WRITE, "write %d: %s", k,
			    buf);
		}
		/* ... and one in a transaction. */
		r = fixture_req(s, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
		ck_assert_uint_eq(rt, XS_TRANSACTION_START);
		tx = (uint32_t)strtoul(r, NULL, 10);
		len = (uint32_t)snprintf(p, sizeof p, "/fill/%d", k) + 1;
		memset(p + len, 't', 300);
		r = fixture_req(s, XS_WRITE, tx, p, len + 300, &rt, &rl);
		ck_assert_uint_eq(rt, XS_WRITE);
		r = fixture_req(s, XS_TRANSACTION_END, tx, "T", 2, &rt, &rl);
		ck_assert_msg(rt == XS_TRANSACTION_END, "end: %s", r);
		/* Keep the watcher's queue short. */
		while (fixture_recv(w, &h, buf, events < k ? 5000 : 0) == 0) {
			ck_assert_uint_eq(h.type, XS_WATCH_EVENT);
			if (strncmp(buf, "/fill/", 6) == 0) {
				n = atoi(buf + 6);
				ck_assert_int_lt(n, 20000);
				ck_assert_msg(seen[n] == 0, "two events %s",
				    buf);
				seen[n] = 1;
				events++;
			}
			if (events > k)
				break;
		}
	}
	ck_assert_int_eq(events, 20000);
	r = fixture_req1(s, XS_READ, 0, "/fill/19999", &rt, &rl);
	ck_assert_uint_eq(rt, XS_READ);
	ck_assert_uint_eq(rl, 300);
	r = fixture_req1(s, XS_READ, 0, "/fill/0", &rt, &rl);
	ck_assert_uint_eq(rl, 300);
	close(s);
	close(w);
	fixture_fini(&f2);
}
END_TEST

/* A random request: mostly plausible, sometimes garbage. */
static uint32_t
fuzz_request(unsigned int *seed, uint32_t *type, uint32_t *tx, char *p)
{
	static const char	*words[] = { "/", "/a", "/a/b", "a", "@x",
				    "@introduceDomain", "/tool", "T", "F",
				    "0", "5", "r0", "b5", "n0", "-1", "//",
				    "/a/", "", "tok", "/local/domain/0/x" };
	uint32_t		 len = 0, n, i;

	*type = (uint32_t)rand_r(seed) % 30;
	if (rand_r(seed) % 50 == 0)
		*type = (uint32_t)rand_r(seed);
	*tx = rand_r(seed) % 4 == 0 ? (uint32_t)rand_r(seed) % 4 : 0;
	switch (rand_r(seed) % 4) {
	case 0:		/* random bytes */
		len = (uint32_t)rand_r(seed) % (XS_PAYLOAD_MAX + 1);
		for (i = 0; i < len; i++)
			p[i] = (char)rand_r(seed);
		break;
	default:	/* words, NULs, values */
		n = (uint32_t)rand_r(seed) % 5;
		for (i = 0; i < n && len < 3000; i++) {
			const char	*w = words[rand_r(seed) % 20];

			memcpy(p + len, w, strlen(w));
			len += (uint32_t)strlen(w);
			if (rand_r(seed) % 4 != 0)
				p[len++] = '\0';
		}
		break;
	}
	return len;
}

/*
 * Random requests, plausible and not: every one gets exactly one reply,
 * the daemon never dies (and, built with sanitizers, reports nothing).
 */
START_TEST(test_fuzz)
{
	struct xs_header	 h;
	char			 p[XS_PAYLOAD_MAX + 1], buf[XS_PAYLOAD_MAX + 1];
	unsigned int		 seed = 12345, round, i;
	uint32_t		 type, tx, len, replies;
	int			 s;

	if (getenv("XSDB_FUZZ_SEED") != NULL)
		seed = (unsigned int)strtoul(getenv("XSDB_FUZZ_SEED"), NULL,
		    10);
	printf("# test_fuzz: seed %u (XSDB_FUZZ_SEED repeats it)\n", seed);
	for (round = 0; round < 100; round++) {
		s = fixture_connect(&fx);
		for (i = 0; i < 64; i++) {
			len = fuzz_request(&seed, &type, &tx, p);
			fixture_send(s, type, i, tx, p, len);
		}
		for (replies = 0; replies < 64; ) {
			ck_assert_int_eq(fixture_recv(s, &h, buf, 10000), 0);
			if (h.type == XS_WATCH_EVENT)
				continue;
			ck_assert_uint_eq(h.req_id, replies);
			replies++;
		}
		close(s);
	}
	/* An oversize one among them ends that connection only. */
	s = fixture_connect(&fx);
	fixture_send(s, XS_READ, 1, 0, "/tool", 6);
	h = (struct xs_header){ XS_WRITE, 2, 0, 70000 };
	fixture_send_raw(s, &h, sizeof h);
	ck_assert_int_eq(fixture_recv(s, &h, buf, 5000), 0);
	ck_assert_int_eq(fixture_recv(s, &h, buf, 5000), EPIPE);
	close(s);
	fixture_write_str(fd, "/fuzz-after", "ok");
	fixture_read_len(fd, "/fuzz-after", "ok", 2);
}
END_TEST

static Suite *
daemon_suite(void)
{
	Suite	*s = suite_create("daemon");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_initial_tree);
	tcase_add_test(tc, test_write_read);
	tcase_add_test(tc, test_relative);
	tcase_add_test(tc, test_mkdir_rm);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_directory_part);
	tcase_add_test(tc, test_directory_part_pages);
	tcase_add_test(tc, test_perms);
	tcase_add_test(tc, test_reply_ids);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_event_before_reply);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_enosys);
	tcase_add_test(tc, test_unknown_tx);
	tcase_add_test(tc, test_onearg);
	tcase_add_test(tc, test_bad_paths);
	tcase_add_test(tc, test_fuzz);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_path_length);
	tcase_add_test(tc, test_oversize_payload);
	tcase_add_test(tc, test_e2big);
	tcase_add_test(tc, test_many_connections);
	tcase_add_test(tc, test_close_midway);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_pipeliner_paused);
	tcase_add_test(tc, test_slow_watcher_dropped);
	tcase_add_test(tc, test_emfile);
	tcase_add_test(tc, test_map_growth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(daemon_suite());
}

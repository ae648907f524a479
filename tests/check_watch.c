/*
 * check_watch.c - watches of xsdbd, against the real daemon: WATCH,
 * UNWATCH, RESET_WATCHES and the events of every kind of change, as Xen's
 * C xenstored 4.17 sends them (each case probed on the reference daemon),
 * watch depth, order of events, many watchers, a watcher that never
 * reads, and the cost of a change with many unrelated watches.
 *
 * "No event" is checked without waiting: a request sent after the change
 * was acknowledged must be answered before any event, since the events
 * of a change are queued before its acknowledgement is released.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon-fixture.h"

#define NWATCHERS	100

static struct fixture	 fx;
static int		 fd = -1;

static void	 setup(void);
static void	 setup_small(void);
static void	 teardown(void);
static uint32_t	 two(char *, const char *, const char *);
static void	 rm_ok(int, const char *);
static void	 watch_send(int, uint32_t, const char *, const char *,
		    const char *);
static void	 watch_ok(int, const char *, const char *);
static void	 watch_depth_ok(int, const char *, const char *,
		    const char *);
static void	 unwatch_ok(int, const char *, const char *);
static void	 watch_writes(int, int, const char *, int);
static unsigned long long index_probes(int);

/* A daemon and one connection for each test. */
static void
setup(void)
{
	fd = fixture_serve(&fx, NULL);
}

/*
 * A daemon that drops a connection with over 64 KiB of output queued and
 * allows domains two watches.
 */
static void
setup_small(void)
{
	const char *const	 extra[] = { "--out-max", "65536", "-W", "2",
	    NULL };

	fd = fixture_serve(&fx, extra);
}

/* Stop the daemon. */
static void
teardown(void)
{
	fixture_done(&fx, &fd);
}

/* Build "a\0b\0" into buf; its length. */
static uint32_t
two(char *buf, const char *a, const char *b)
{
	size_t	la = strlen(a) + 1, lb = strlen(b) + 1;

	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	return (uint32_t)(la + lb);
}

/* RM path. */
static void
rm_ok(int s, const char *path)
{
	fixture_ok(s, XS_RM, 0, path, (uint32_t)strlen(path) + 1);
}

/* Send WATCH path token [depth] with a request id. */
static void
watch_send(int s, uint32_t rid, const char *path, const char *token,
    const char *depth)
{
	char		buf[XS_PAYLOAD_MAX];
	uint32_t	len;

	len = two(buf, path, token);
	if (depth != NULL) {
		memcpy(buf + len, depth, strlen(depth) + 1);
		len += (uint32_t)strlen(depth) + 1;
	}
	fixture_send(s, XS_WATCH, rid, 0, buf, len);
}

/* WATCH with a depth: "OK" comes first, then the initial event. */
static void
watch_depth_ok(int s, const char *path, const char *token,
    const char *depth)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;

	watch_send(s, 77, path, token, depth);
	ck_assert_int_eq(fixture_recv(s, &h, buf, 10000), 0);
	ck_assert_msg(h.type == XS_WATCH && h.req_id == 77 && h.len == 3 &&
	    memcmp(buf, "OK", 3) == 0, "WATCH %s: type %u \"%s\"", path,
	    h.type, buf);
	fixture_expect_event(s, path, token);
}

/* WATCH path token, then its reply and initial event. */
static void
watch_ok(int s, const char *path, const char *token)
{
	watch_depth_ok(s, path, token, NULL);
}

/* UNWATCH path token. */
static void
unwatch_ok(int s, const char *path, const char *token)
{
	char	buf[XS_PAYLOAD_MAX];

	fixture_ok(s, XS_UNWATCH, 0, buf, two(buf, path, token));
}

/*
 * n writes of "v" to <path>/x by connection s, each with its event on
 * watcher w.
 */
static void
watch_writes(int s, int w, const char *path, int n)
{
	char	p[256];
	int	i;

	snprintf(p, sizeof p, "%s/x", path);
	/* One at a time: an event the same as one waiting would be dropped. */
	for (i = 0; i < n; i++) {
		fixture_write_str(s, p, "v");
		fixture_expect_event(w, p, "perf");
	}
}

/* The watch index's probe counter, read from CONTROL memreport. */
static unsigned long long
index_probes(int s)
{
	const char	*r, *line;
	uint32_t	 type, len;
	unsigned long long probes;

	r = fixture_req1(s, XS_CONTROL, 0, "memreport", &type, &len);
	ck_assert_uint_eq(type, XS_CONTROL);
	line = strstr(r, "index probes");
	ck_assert_msg(line != NULL, "memreport has no index probes: %s", r);
	line = strchr(line, ':');
	ck_assert(line != NULL);
	ck_assert_int_eq(sscanf(line + 1, "%llu", &probes), 1);
	return probes;
}

/* Every watch fires once when set: "OK" first, then the event. */
START_TEST(test_initial_event)
{
	watch_ok(fd, "/w", "t1");
	/* The node need not exist; a token may be empty. */
	watch_ok(fd, "/no/such/node", "");
	watch_ok(fd, "/", "root");
	fixture_expect_quiet(fd);
}
END_TEST

/* Writes fire the watches on the node and on its ancestors. */
START_TEST(test_write)
{
	int	w = fixture_connect(&fx);

	watch_ok(w, "/a", "ta");
	watch_ok(w, "/a/b", "tb");
	fixture_write_str(fd, "/a", "1");
	fixture_expect_event(w, "/a", "ta");
	fixture_expect_quiet(w);

	/* A write creating ancestors fires once, on the path it names. */
	fixture_write_str(fd, "/a/b/c/d", "2");
	fixture_expect_event(w, "/a/b/c/d", "ta");
	fixture_expect_event(w, "/a/b/c/d", "tb");
	fixture_expect_quiet(w);

	/* Changes elsewhere, and a path that only shares a prefix. */
	fixture_write_str(fd, "/ab", "x");
	fixture_write_str(fd, "/other", "x");
	fixture_expect_quiet(w);

	/* MKDIR of a new node fires; of an existing one, not. */
	fixture_ok(fd, XS_MKDIR, 0, "/a/m", 5);
	fixture_expect_event(w, "/a/m", "ta");
	fixture_ok(fd, XS_MKDIR, 0, "/a/m", 5);
	fixture_expect_quiet(w);
	close(w);
}
END_TEST

/* A writer watching its own write hears of it before the reply. */
START_TEST(test_own_write)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;

	watch_ok(fd, "/self", "me");
	fixture_send(fd, XS_WRITE, 5, 0, "/self\0v", 7);
	fixture_expect_event(fd, "/self", "me");
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 10000), 0);
	ck_assert_uint_eq(h.type, XS_WRITE);
	ck_assert_uint_eq(h.req_id, 5);
}
END_TEST

/*
 * RM fires the node's watches and its ancestors' with the removed path;
 * each removed descendant fires only the watches set on exactly it,
 * first.
 */
START_TEST(test_rm)
{
	int	w = fixture_connect(&fx);

	fixture_write_str(fd, "/r/x/y/z", "1");
	fixture_write_str(fd, "/r/x/q", "2");
	watch_ok(w, "/r", "tr");
	watch_ok(w, "/r/x", "tx");
	watch_ok(w, "/r/x/y/z", "tz");
	watch_ok(w, "/r/x/y/z/gone", "tg");	/* never existed */
	watch_ok(w, "/", "root");

	rm_ok(fd, "/r/x");
	fixture_expect_event(w, "/r/x/y/z", "tz");
	fixture_expect_event(w, "/r/x", "tr");
	fixture_expect_event(w, "/r/x", "tx");
	fixture_expect_event(w, "/r/x", "root");
	fixture_expect_quiet(w);

	/* RM of a node that is not there changes nothing. */
	rm_ok(fd, "/r/x");
	fixture_expect_quiet(w);
	close(w);
}
END_TEST

/* A permission change fires like a write. */
START_TEST(test_set_perms)
{
	int	w = fixture_connect(&fx);

	fixture_write_str(fd, "/p/c", "1");
	watch_ok(w, "/p", "tp");
	fixture_ok(fd, XS_SET_PERMS, 0, "/p\0b0\0", 6);
	fixture_expect_event(w, "/p", "tp");
	fixture_ok(fd, XS_SET_PERMS, 0, "/p/c\0r0\0", 8);
	fixture_expect_event(w, "/p/c", "tp");
	fixture_expect_quiet(w);
	close(w);
}
END_TEST

/* A relative watch hears relative paths; it is its absolute twin. */
START_TEST(test_relative)
{
	char	buf[64];
	int	w = fixture_connect(&fx);

	watch_ok(w, "rel", "tr");
	fixture_write_str(fd, "/local/domain/0/rel/x", "1");
	fixture_expect_event(w, "rel/x", "tr");
	fixture_write_str(fd, "/local/domain/0/rel", "2");
	fixture_expect_event(w, "rel", "tr");
	fixture_write_str(fd, "/local/domain/0/relx", "3");
	fixture_expect_quiet(w);

	fixture_expect_error(w, XS_WATCH, 0, buf,
	    two(buf, "/local/domain/0/rel", "tr"), "EEXIST");
	unwatch_ok(w, "/local/domain/0/rel", "tr");
	watch_ok(w, "rel", "tr");
	unwatch_ok(w, "rel", "tr");
	fixture_write_str(fd, "/local/domain/0/rel", "4");
	fixture_expect_quiet(w);
	close(w);
}
END_TEST

/* The same path and token twice on one connection is EEXIST. */
START_TEST(test_duplicate)
{
	char	buf[64];
	int	w = fixture_connect(&fx), wr = fixture_connect(&fx);

	watch_ok(fd, "/d", "t");
	fixture_expect_error(fd, XS_WATCH, 0, buf, two(buf, "/d", "t"),
	    "EEXIST");
	watch_ok(fd, "/d", "u");
	watch_ok(fd, "/e", "t");
	watch_ok(w, "/d", "t");
	fixture_write_str(wr, "/d", "1");
	fixture_expect_event(w, "/d", "t");
	fixture_expect_event(fd, "/d", "t");
	fixture_expect_event(fd, "/d", "u");
	fixture_expect_quiet(fd);
	close(w);
	close(wr);
}
END_TEST

/* UNWATCH removes one watch of the connection, or is ENOENT. */
START_TEST(test_unwatch)
{
	char	buf[64];
	int	w = fixture_connect(&fx), wr = fixture_connect(&fx);

	watch_ok(fd, "/u", "t");
	watch_ok(fd, "/u", "t2");
	watch_ok(w, "/u", "x");
	unwatch_ok(fd, "/u", "t");
	fixture_write_str(wr, "/u", "1");
	fixture_expect_event(fd, "/u", "t2");
	fixture_expect_quiet(fd);
	fixture_expect_event(w, "/u", "x");

	fixture_expect_error(fd, XS_UNWATCH, 0, buf, two(buf, "/u", "t"),
	    "ENOENT");
	/* Another connection's watch is not ours to remove. */
	fixture_expect_error(fd, XS_UNWATCH, 0, buf, two(buf, "/u", "x"),
	    "ENOENT");
	/* As in Xen, an UNWATCH path is not checked: no such watch. */
	fixture_expect_error(fd, XS_UNWATCH, 0, buf, two(buf, "/u/", "t2"),
	    "ENOENT");
	fixture_expect_error(fd, XS_UNWATCH, 0, buf, two(buf, "a//b", "t2"),
	    "ENOENT");
	unwatch_ok(fd, "/u", "t2");
	fixture_write_str(wr, "/u", "2");
	fixture_expect_quiet(fd);
	fixture_expect_event(w, "/u", "x");
	close(w);
	close(wr);
}
END_TEST

/* RESET_WATCHES drops every watch and transaction of the connection. */
START_TEST(test_reset)
{
	char		buf[64];
	uint32_t	tx;
	int		w = fixture_connect(&fx), wr = fixture_connect(&fx);

	watch_ok(fd, "/z", "a");
	watch_ok(fd, "/", "b");
	watch_ok(w, "/z", "other");
	tx = fixture_tx_start(fd);
	fixture_ok(fd, XS_RESET_WATCHES, 0, "", 0);
	fixture_write_str(wr, "/z", "1");
	fixture_expect_quiet(fd);
	fixture_expect_event(w, "/z", "other");
	fixture_expect_error(fd, XS_TRANSACTION_END, tx, "T", 2, "ENOENT");
	fixture_expect_error(fd, XS_UNWATCH, 0, buf, two(buf, "/z", "a"),
	    "ENOENT");
	watch_ok(fd, "/z", "a");
	fixture_write_str(wr, "/z", "2");
	fixture_expect_event(fd, "/z", "a");
	fixture_expect_event(w, "/z", "other");
	close(w);
	close(wr);
}
END_TEST

/* Changes in a transaction fire when it commits, never if it aborts. */
START_TEST(test_transaction)
{
	uint32_t	tx;
	int		w = fixture_connect(&fx);

	fixture_write_str(fd, "/t/old", "1");
	watch_ok(w, "/t", "tt");
	tx = fixture_tx_start(fd);
	fixture_ok(fd, XS_WRITE, tx, "/t/a\0v", 6);
	fixture_ok(fd, XS_WRITE, tx, "/t/b\0v", 6);
	fixture_ok(fd, XS_RM, tx, "/t/old", 7);
	fixture_expect_quiet(w);
	fixture_ok(fd, XS_TRANSACTION_END, tx, "T", 2);
	fixture_expect_event(w, "/t/a", "tt");
	fixture_expect_event(w, "/t/b", "tt");
	fixture_expect_event(w, "/t/old", "tt");
	fixture_expect_quiet(w);

	tx = fixture_tx_start(fd);
	fixture_ok(fd, XS_WRITE, tx, "/t/c\0v", 6);
	fixture_ok(fd, XS_TRANSACTION_END, tx, "F", 2);
	fixture_expect_quiet(w);
	close(w);
}
END_TEST

/* Events come in commit order, across writers and when pipelined. */
START_TEST(test_order)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;
	char			p[64];
	int			a = fixture_connect(&fx);
	int			b = fixture_connect(&fx);
	int			w = fixture_connect(&fx), i;
	uint32_t		len;

	watch_ok(w, "/o", "to");
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "/o/%d", i);
		fixture_write_str(i % 2 ? b : a, p, "v");
	}
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "/o/%d", i);
		fixture_expect_event(w, p, "to");
	}

	for (i = 0; i < 50; i++) {
		len = (uint32_t)snprintf(buf, sizeof buf, "/o/p%d", i) + 1;
		buf[len++] = 'v';
		fixture_send(a, XS_WRITE, 100 + (uint32_t)i, 0, buf, len);
	}
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(fixture_recv(a, &h, buf, 10000), 0);
		ck_assert_uint_eq(h.type, XS_WRITE);
		ck_assert_uint_eq(h.req_id, 100 + (uint32_t)i);
	}
	for (i = 0; i < 50; i++) {
		snprintf(p, sizeof p, "/o/p%d", i);
		fixture_expect_event(w, p, "to");
	}
	fixture_expect_quiet(w);
	close(a);
	close(b);
	close(w);
}
END_TEST

/* 100 watchers of one node each hear every change, in order. */
START_TEST(test_many_watchers)
{
	char	p[64], tok[16];
	int	ws[NWATCHERS], i, k;

	for (i = 0; i < NWATCHERS; i++) {
		ws[i] = fixture_connect(&fx);
		snprintf(tok, sizeof tok, "w%d", i);
		watch_ok(ws[i], "/m", tok);
	}
	for (k = 0; k < 10; k++) {
		snprintf(p, sizeof p, "/m/k%d", k);
		fixture_write_str(fd, p, "v");
	}
	rm_ok(fd, "/m");
	for (i = 0; i < NWATCHERS; i++) {
		snprintf(tok, sizeof tok, "w%d", i);
		for (k = 0; k < 10; k++) {
			snprintf(p, sizeof p, "/m/k%d", k);
			fixture_expect_event(ws[i], p, tok);
		}
		fixture_expect_event(ws[i], "/m", tok);
		fixture_expect_quiet(ws[i]);
		close(ws[i]);
	}
}
END_TEST

/*
 * Special paths are accepted and fire once when set; node changes and
 * SET_PERMS of a special path fire none of them, nor the watch on "/".
 */
START_TEST(test_special)
{
	int	w = fixture_connect(&fx);

	watch_ok(fd, "@introduceDomain", "i");
	watch_ok(fd, "@releaseDomain", "r");
	watch_ok(fd, "@releaseDomain/5", "r5");
	watch_depth_ok(fd, "@introduceDomain", "i1", "1");
	watch_ok(fd, "@", "at");
	watch_ok(fd, "@any thing!", "odd");
	watch_ok(fd, "/", "root");
	fixture_write_str(w, "/s", "1");
	fixture_expect_event(fd, "/s", "root");
	rm_ok(w, "/s");
	fixture_expect_event(fd, "/s", "root");
	fixture_ok(w, XS_SET_PERMS, 0, "@introduceDomain\0n0\0", 20);
	fixture_ok(w, XS_SET_PERMS, 0, "@releaseDomain\0n0\0", 18);
	fixture_expect_quiet(fd);
	close(w);
}
END_TEST

/* Watch depth: the levels below the path that fire the watch. */
START_TEST(test_depth)
{
	int	w = fixture_connect(&fx);

	watch_depth_ok(fd, "/d", "d0", "0");
	watch_depth_ok(fd, "/d", "d1", "1");
	watch_ok(fd, "/d", "all");
	watch_depth_ok(fd, "/", "r1", "1");
	watch_depth_ok(fd, "/d/x", "x2", "2");

	fixture_write_str(w, "/d", "v");
	fixture_expect_event(fd, "/d", "d0");
	fixture_expect_event(fd, "/d", "d1");
	fixture_expect_event(fd, "/d", "all");
	fixture_expect_event(fd, "/d", "r1");
	fixture_write_str(w, "/d/x", "v");
	fixture_expect_event(fd, "/d/x", "d1");
	fixture_expect_event(fd, "/d/x", "all");
	fixture_expect_event(fd, "/d/x", "x2");
	fixture_write_str(w, "/d/x/y/z", "v");
	fixture_expect_event(fd, "/d/x/y/z", "all");
	fixture_expect_event(fd, "/d/x/y/z", "x2");
	fixture_write_str(w, "/d/x/y/z/deep", "v");
	fixture_expect_event(fd, "/d/x/y/z/deep", "all");
	fixture_expect_quiet(fd);
	close(w);
}
END_TEST

/* An event too long for one message is dropped; later ones still come. */
START_TEST(test_long_event)
{
	char	tok[4001], path[128];
	int	wr = fixture_connect(&fx);

	memset(tok, 'x', sizeof tok - 1);
	tok[sizeof tok - 1] = '\0';
	watch_ok(fd, "/l", tok);
	memset(path, 'y', sizeof path - 1);
	memcpy(path, "/l/", 3);
	path[sizeof path - 1] = '\0';
	fixture_write_str(wr, path, "v");
	fixture_write_str(wr, "/l", "v");
	fixture_expect_event(fd, "/l", tok);
	fixture_expect_quiet(fd);
	close(wr);
}
END_TEST

/* Malformed WATCH requests, as the reference daemon answers them. */
START_TEST(test_watch_errors)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	n;

	fixture_expect_error(fd, XS_WATCH, 0, "", 0, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/w", 3, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/w\0t", 4, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/w\0t\0a\0b", 9, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "\0t", 3, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/w!\0t", 6, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/w/\0t", 6, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/a//b\0t", 8, "EINVAL");
	fixture_expect_error(fd, XS_WATCH, 0, "/w\0t\0-1", 8, "EINVAL");

	/* Paths: 2048 bytes at most outside a domain's home. */
	buf[0] = '/';
	memset(buf + 1, 'a', 2048);
	memcpy(buf + 2049, "\0t", 3);
	fixture_expect_error(fd, XS_WATCH, 0, buf, 2052, "EINVAL");
	memcpy(buf + 2048, "\0t", 3);
	watch_ok(fd, buf, "t");
	buf[0] = '@';
	memset(buf + 1, 'a', 2048);
	memcpy(buf + 2049, "\0t", 3);
	fixture_expect_error(fd, XS_WATCH, 0, buf, 2052, "EINVAL");
	memcpy(buf + 2048, "\0t", 3);
	watch_ok(fd, buf, "t");

	/* Bytes after the last NUL are ignored. */
	n = strlen("/w") + 1 + strlen("t") + 1;
	memcpy(buf, "/w\0t\0xx", n + 2);
	fixture_send(fd, XS_WATCH, 9, 0, buf, (uint32_t)n + 2);
	{
		static char		rb[XS_PAYLOAD_MAX + 1];
		struct xs_header	h;

		ck_assert_int_eq(fixture_recv(fd, &h, rb, 10000), 0);
		ck_assert_uint_eq(h.type, XS_WATCH);
		ck_assert_uint_eq(h.req_id, 9);
	}
	fixture_expect_event(fd, "/w", "t");
	fixture_expect_quiet(fd);
}
END_TEST

/* Malformed UNWATCH requests. */
START_TEST(test_unwatch_errors)
{
	fixture_expect_error(fd, XS_UNWATCH, 0, "", 0, "EINVAL");
	fixture_expect_error(fd, XS_UNWATCH, 0, "/w", 3, "EINVAL");
	fixture_expect_error(fd, XS_UNWATCH, 0, "/w\0t\0x", 7, "EINVAL");
	fixture_expect_error(fd, XS_UNWATCH, 0, "/w\0t\0xx", 7, "ENOENT");
	watch_ok(fd, "/w", "t");
	fixture_ok(fd, XS_UNWATCH, 0, "/w\0t\0xx", 7);
}
END_TEST

/*
 * WATCH and UNWATCH ignore the tx id (the reply carries it back);
 * RESET_WATCHES checks it.
 */
START_TEST(test_tx_ids)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;

	fixture_send(fd, XS_WATCH, 3, 777, "/w\0t", 5);
	ck_assert_int_eq(fixture_recv(fd, &h, buf, 10000), 0);
	ck_assert_uint_eq(h.type, XS_WATCH);
	ck_assert_uint_eq(h.tx_id, 777);
	fixture_expect_event(fd, "/w", "t");
	fixture_ok(fd, XS_UNWATCH, 777, "/w\0t", 5);
	fixture_expect_error(fd, XS_RESET_WATCHES, 55, "", 0, "ENOENT");
}
END_TEST

/* Privileged connections have no watch quota (the daemon runs -W 2). */
START_TEST(test_dom0_quota)
{
	char	p[32];
	int	i;

	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "/q/%d", i);
		watch_ok(fd, p, "t");
	}
}
END_TEST

/*
 * A watcher that never reads is dropped once its output passes the
 * bound (64 KiB here); the other watchers hear every event and the
 * writer goes on.
 */
START_TEST(test_slow_watcher)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;
	char			tok[3001], p[32];
	int			slow = fixture_connect(&fx);
	int			good = fixture_connect(&fx), i, rc, got = 0;

	memset(tok, 's', sizeof tok - 1);
	tok[sizeof tok - 1] = '\0';
	watch_ok(slow, "/s", tok);
	watch_ok(good, "/s", "g");
	for (i = 0; i < 400; i++) {
		snprintf(p, sizeof p, "/s/%d", i);
		fixture_write_str(fd, p, "v");
	}
	for (i = 0; i < 400; i++) {
		snprintf(p, sizeof p, "/s/%d", i);
		fixture_expect_event(good, p, "g");
	}
	/* The slow one gets what was in flight, then the end. */
	while ((rc = fixture_recv(slow, &h, buf, 10000)) == 0) {
		ck_assert_uint_eq(h.type, XS_WATCH_EVENT);
		got++;
	}
	ck_assert_int_eq(rc, EPIPE);
	ck_assert_int_lt(got, 400);
	fixture_write_str(fd, "/s", "after");
	fixture_expect_event(good, "/s", "g");
	close(slow);
	close(good);
}
END_TEST

/*
 * An event the same as one still waiting for a watcher is dropped
 * (XSA-326): a watcher that does not read while a node is rewritten
 * 2000 times keeps its connection (the bound is 64 KiB here, the events
 * would be 6 MB), then hears of the node, and goes on hearing.
 */
START_TEST(test_same_event_dropped)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;
	char			tok[3001];
	int			slow = fixture_connect(&fx), i, rc, got = 0;

	memset(tok, 's', sizeof tok - 1);
	tok[sizeof tok - 1] = '\0';
	watch_ok(slow, "/d", tok);
	for (i = 0; i < 2000; i++)
		fixture_write_str(fd, "/d", i % 2 ? "a" : "b");
	/* It is still served: what waited for it, then its reply. */
	fixture_send(slow, XS_READ, 7, 0, "/d", 3);
	for (;;) {
		rc = fixture_recv(slow, &h, buf, 10000);
		ck_assert_msg(rc == 0, "the watcher was dropped after %d "
		    "events", got);
		if (h.type != XS_WATCH_EVENT)
			break;
		ck_assert_str_eq(buf, "/d");
		got++;
	}
	ck_assert_uint_eq(h.type, XS_READ);
	ck_assert_uint_eq(h.req_id, 7);
	ck_assert_int_ge(got, 1);
	ck_assert_int_lt(got, 200);
	fixture_write_str(fd, "/d", "after");
	fixture_expect_event(slow, "/d", tok);
	close(slow);
}
END_TEST

/*
 * The cost of a change does not grow with the number of watches on
 * other paths (100,000 here, some below the changed node): the index
 * probes the changed path and its ancestors only.
 */
START_TEST(test_unrelated_watches)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;
	char			p[64];
	unsigned long long	small, big, before;
	int			w = fixture_connect(&fx);
	int			u = fixture_connect(&fx), i, j;
	const int		nwatch = 100000, batch = 500, writes = 1000;

	watch_ok(w, "/perf", "perf");
	watch_writes(fd, w, "/perf", 10);
	before = index_probes(fd);
	watch_writes(fd, w, "/perf", writes);
	small = index_probes(fd) - before;

	for (i = 0; i < nwatch; i += batch) {
		for (j = i; j < i + batch; j++) {
			if (j % 10 == 0)
				snprintf(p, sizeof p, "/perf/x/below/%d", j);
			else
				snprintf(p, sizeof p, "/unrelated/%d/n", j);
			watch_send(u, (uint32_t)j, p, "u", NULL);
		}
		for (j = 0; j < 2 * batch; j++) {
			ck_assert_int_eq(fixture_recv(u, &h, buf, 10000), 0);
			ck_assert(h.type == XS_WATCH ||
			    h.type == XS_WATCH_EVENT);
		}
	}

	before = index_probes(fd);
	watch_writes(fd, w, "/perf", writes);
	big = index_probes(fd) - before;
	/* "/perf/x": the path and its two ancestors, at most. */
	ck_assert_msg(small <= 3ULL * writes,
	    "%d writes of /perf/x made %llu probes", writes, small);
	ck_assert_msg(big == small,
	    "%d writes made %llu probes with 1 watch, %llu with %d more "
	    "watches elsewhere", writes, small, big, nwatch);
	fixture_expect_quiet(u);
	close(u);
	close(w);
}
END_TEST

/* The suite. */
static Suite *
watch_suite(void)
{
	Suite	*s = suite_create("watch");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_initial_event);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_own_write);
	tcase_add_test(tc, test_rm);
	tcase_add_test(tc, test_set_perms);
	tcase_add_test(tc, test_relative);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_unwatch);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_transaction);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_many_watchers);
	tcase_add_test(tc, test_special);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_long_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_watch_errors);
	tcase_add_test(tc, test_unwatch_errors);
	tcase_add_test(tc, test_tx_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup_small, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_dom0_quota);
	tcase_add_test(tc, test_slow_watcher);
	tcase_add_test(tc, test_same_event_dropped);
	tcase_add_test(tc, test_unrelated_watches);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; failure if any test failed. */
int
main(void)
{
	return fixture_main(watch_suite());
}

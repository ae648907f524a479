/*
 * check_xsa_res.c - the Xen security advisories on xenstore whose attack
 * a guest mounts on the daemon's resources or on its bookkeeping:
 * replies and events it does not read, watches, transactions that touch
 * many nodes, deep trees, writes that never pause, and requests that
 * fail or conflict half-way. Each is mounted from a simulated guest
 * against the real xsdbd (check_xsa.h).
 *
 * Bounds are counted, not timed: what the daemon holds for a guest (its
 * outstanding requests, its queued output in the memory report), the
 * quota errors the guest meets, and whether the store's counts still
 * match its nodes. Where Xen's fixed C xenstored answers with a quota
 * error, the test wants that error at the request the reference daemon
 * (4.17, a guest on a ring) gives it.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_xsa.h"

#define HOME		"/local/domain/5"

static void	 d0_sync(void);
static unsigned int flood_unread(struct sim_guest *, const void *, size_t,
		    size_t *);
static void	 drain(struct sim_guest *, unsigned int, uint32_t,
		    const void *, size_t, size_t);
static void	 counts_match(unsigned int);
static void	 flood_writes(struct sim_guest *,
		    char [2][XS_HEADER_SIZE + XS_PAYLOAD_MAX],
		    const size_t [2]);
static pid_t	 flood_start(struct sim_guest *, uint32_t, const char *,
		    size_t, uint32_t, const char *, size_t);
static void	 flood_stop(pid_t);
static int	 d0_backend_txn(void);

/* A dom0 round trip: the daemon has handled what guests raised before. */
static void
d0_sync(void)
{
	ck_assert_int_eq(gf_d0(XS_GET_DOMAIN_PATH, "0", NULL), 0);
}

/*
 * The guest puts the message m again and again and reads nothing, until
 * the daemon takes no more of its ring. Returns the messages put whole;
 * *rest is how much of the last one is still to put.
 */
static unsigned int
flood_unread(struct sim_guest *g, const void *m, size_t len, size_t *rest)
{
	size_t		done, off = 0;
	unsigned int	sent = 0, i;
	uint32_t	cons;

	for (i = 0; i < 1000000; i++) {
		ck_assert_int_eq(sim_guest_put(g, (const char *)m + off,
		    len - off, &done), 0);
		if (done > 0) {
			if (off + done == len)
				sent++;
			off = (off + done) % len;
			continue;
		}
		if (sim_guest_error(g) != 0)
			break;
		cons = xs_ring_load(&g->ring->req_cons);
		d0_sync();
		d0_sync();
		if (xs_ring_load(&g->ring->req_cons) == cons)
			break;
	}
	ck_assert_uint_lt(i, 1000000);
	*rest = off == 0 ? 0 : len - off;
	return sent;
}

/*
 * The guest reads the replies of n requests of type type, in order,
 * nothing lost, putting the rest of the message m (len bytes) once there
 * is room: its reply is one more.
 */
static void
drain(struct sim_guest *g, unsigned int n, uint32_t type, const void *m,
    size_t len, size_t rest)
{
	const char	*p = (const char *)m + len - rest;
	unsigned int	 i = 0;
	size_t		 done;

	while (i < n || rest > 0) {
		if (rest > 0) {
			ck_assert_int_eq(sim_guest_put(g, p, rest, &done), 0);
			p += done;
			rest -= done;
			if (rest == 0)
				n++;
		}
		if (i == n) {
			ck_assert_int_eq(sim_guest_wait(g, GF_WAIT_MS), 0);
			continue;
		}
		ck_assert_msg(sim_guest_recv(g, GF_WAIT_MS) == 0,
		    "reply %u of %u did not come", i, n);
		if (g->hdr.type == XS_WATCH_EVENT)
			continue;
		ck_assert_uint_eq(g->hdr.type, type);
		i++;
	}
}

/*
 * The nodes domain 5 owns, as the store counts them, are the nodes
 * under its home (where the tests make them), and at most max.
 */
static void
counts_match(unsigned int max)
{
	unsigned long long	used = gf_usage(5, "nodes");

	ck_assert_uint_eq(used, xsa_count(HOME));
	ck_assert_uint_le(used, max);
}

/*
 * The flooder of XSA-206, in a child process: keep the guest's ring full
 * of the two messages m[0] and m[1] in turn, taking the replies, until
 * killed.
 */
static void
flood_writes(struct sim_guest *g, char m[2][XS_HEADER_SIZE + XS_PAYLOAD_MAX],
    const size_t len[2])
{
	size_t	done, off = 0;
	int	k = 0;

	for (;;) {
		if (sim_guest_put(g, m[k] + off, len[k] - off, &done) != 0)
			_exit(1);
		if (done > 0) {
			off += done;
			if (off == len[k]) {
				off = 0;
				k = !k;
			}
			continue;
		}
		while (sim_guest_take(g) == 0)
			;
		if (sim_guest_error(g) != 0)
			_exit(1);
		(void)sim_guest_wait(g, 1000);
	}
}

/*
 * Start the flooder with the guest's two requests; returns its pid once
 * the daemon has taken a hundred of them.
 */
static pid_t
flood_start(struct sim_guest *g, uint32_t t0, const char *p0, size_t l0,
    uint32_t t1, const char *p1, size_t l1)
{
	static char	m[2][XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t		len[2];
	uint32_t	start;
	unsigned int	i;
	pid_t		pid;

	len[0] = xs_wire_build(m[0], t0, 1, 0, p0, (uint32_t)l0);
	len[1] = xs_wire_build(m[1], t1, 1, 0, p1, (uint32_t)l1);
	start = xs_ring_load(&g->ring->req_cons);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		/* It goes with the test, whatever becomes of it. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		flood_writes(g, m, len);
	}
	for (i = 0; xs_ring_load(&g->ring->req_cons) - start <
	    50 * (len[0] + len[1]); i++) {
		ck_assert_msg(i < 100000, "the flood did not start");
		d0_sync();
	}
	return pid;
}

/* Stop the flooder. */
static void
flood_stop(pid_t pid)
{
	int	status;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

/*
 * dom0's transaction of a backend: read the guest's "state", write its
 * own node. Returns 0 or EAGAIN.
 */
static int
d0_backend_txn(void)
{
	const char	*r;
	uint32_t	 rt, rl, tx;

	r = fixture_req(gf_fd, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_START);
	tx = (uint32_t)strtoul(r, NULL, 10);
	r = fixture_req1(gf_fd, XS_READ, tx, HOME "/state", &rt, &rl);
	ck_assert_uint_eq(rt, XS_READ);
	fixture_req(gf_fd, XS_WRITE, tx, "/xsa/backend\0up", 16, &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
	r = fixture_req(gf_fd, XS_TRANSACTION_END, tx, "T", 2, &rt, &rl);
	if (rt == XS_TRANSACTION_END)
		return 0;
	ck_assert_str_eq(r, "EAGAIN");
	return EAGAIN;
}

/*
 * XSA-206: in C xenstored any write conflicted with every transaction:
 * a guest writing without pause made the transactions of the toolstack
 * and of backends fail, over and over. Only a change to a node the
 * transaction used may make it fail: a guest flooding writes to other
 * nodes of its home, or creating and removing nodes there, costs dom0's
 * transactions nothing. (A guest rewriting the very node a transaction
 * read still makes it fail, in Xen's daemon as here: probed in lockstep
 * on the reference, 300 transactions of 300 failed.)
 */
START_TEST(test_xsa206)
{
	struct sim_guest	*g5, *g6;
	unsigned int		 i;
	pid_t			 pid;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "state", "0"), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "other", "0"), 0);

	/* Its other node, rewritten. */
	pid = flood_start(g5, XS_WRITE, "other\0a", 7, XS_WRITE, "other\0b",
	    7);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(d0_backend_txn(), 0);
	flood_stop(pid);
	ck_assert_int_eq(sim_guest_reconnect(g5, GF_WAIT_MS), 0);

	/* Nodes made and removed beside the one read. */
	pid = flood_start(g5, XS_WRITE, "tmp/x\0a", 7, XS_RM, "tmp", 4);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(d0_backend_txn(), 0);
	flood_stop(pid);
	ck_assert_int_eq(sim_guest_reconnect(g5, GF_WAIT_MS), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "state", "1"), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-326, replies: a guest sent requests and never read the replies,
 * which piled up in xenstored's memory. The daemon stops taking its
 * requests once the outstanding quota (20) waits, and loses none.
 */
START_TEST(test_xsa326_replies)
{
	struct sim_guest	*g5, *g6;
	char			 m[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t			 len, rest;
	unsigned int		 sent;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(gf_gw(g5, 0, "big", 2000), 0);
	len = xs_wire_build(m, XS_READ, 7, 0, "big", 4);
	sent = flood_unread(g5, m, len, &rest);
	ck_assert_uint_gt(sent, 20);
	ck_assert_uint_le(gf_usage(5, "outstanding"), 20);
	ck_assert_uint_le(xsa_memreport("  output"), 96 * 1024);
	ck_assert_uint_eq(sim_guest_error(g5), 0);
	xsa_healthy(g6);
	drain(g5, sent, XS_READ, m, len, rest);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "ok", "1"), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-416: C xenstored kept the temporary memory of a request (a big
 * directory, a long permission list) until the guest read the reply: a
 * guest that never read pinned as much of it as it liked.
 */
START_TEST(test_xsa416)
{
	struct sim_guest	*g5, *g6;
	char			 m[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	char			 path[128];
	size_t			 len, rest;
	unsigned int		 i, sent;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/xsa/dir/%02u%s", i, "-a-name-of-"
		    "about-ninety-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxx");
		fixture_write_str(gf_fd, path, "");
	}
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/xsa/dir", "n0", "r5", NULL),
	    0);
	len = xs_wire_build(m, XS_DIRECTORY, 7, 0, "/xsa/dir", 9);
	sent = flood_unread(g5, m, len, &rest);
	ck_assert_uint_gt(sent, 20);
	ck_assert_uint_le(gf_usage(5, "outstanding"), 20);
	ck_assert_uint_le(xsa_memreport("  output"), 128 * 1024);
	ck_assert_uint_eq(sim_guest_error(g5), 0);
	xsa_healthy(g6);
	drain(g5, sent, XS_DIRECTORY, m, len, rest);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "ok", "1"), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-326, events: a guest with many watches made each of its own
 * writes fire them all, and never read the events. What the daemon
 * queues for it stays within --out-max: it stops being read, or it is
 * dropped; nobody else notices.
 */
START_TEST(test_xsa326_events)
{
	static const char *const opts[] = { "--out-max=1M", NULL };
	struct sim_guest	*g5, *g6;
	char			 tok[256];
	char			 m[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t			 len, rest;
	unsigned int		 i;

	xsa_start(opts);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	memset(tok, 't', 200);
	for (i = 0; i < 129; i++) {
		snprintf(tok + 200, sizeof tok - 200, "%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "w", tok, NULL), 0);
	}
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "w", "over", NULL), E2BIG);
	len = xs_wire_build(m, XS_WRITE, 7, 0, "w/x\0v", 5);
	(void)flood_unread(g5, m, len, &rest);
	/*
	 * Within a turn a connection may pass --out-max by what that turn
	 * queued for it (64 requests, here some 2 MiB of events); at its end
	 * it is dropped.
	 */
	ck_assert_uint_le(xsa_memreport("  output"), 3 * 1024 * 1024);
	xsa_healthy(g6);
	if (sim_guest_error(g5) != 0)
		ck_assert_uint_eq(sim_guest_error(g5), XS_RING_ERROR_COMM);
	/* Kept or dropped, a reset gives it a fresh start. */
	ck_assert_int_eq(sim_guest_reconnect(g5, GF_WAIT_MS), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "ok", "1"), 0);
	ck_assert_uint_eq(gf_usage(6, "watches"), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-326, events for dom0: a guest rewriting one node without pause had
 * xenstored queue one event per write for every watcher of the node,
 * dom0's toolstack included, without bound. Xen's fix drops an event
 * the same as one still queued for that connection (the reference,
 * a watcher that does not read and a guest's 3000 rewrites: 19 events
 * reach the watcher): dom0's watcher keeps its connection, what waits
 * for it stays small, and it hears of the node.
 */
START_TEST(test_xsa326_dom0_events)
{
	struct sim_guest	*g5, *g6;
	static char		 buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	 h;
	unsigned int		 i, events = 0;
	size_t			 n;
	int			 wfd, rc;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	/* A watcher of dom0 with a long token, which then reads nothing. */
	wfd = fixture_connect(&gf_fx);
	n = (size_t)snprintf(buf, sizeof buf, HOME "/x") + 1;
	memset(buf + n, 'T', 3900);
	buf[n + 3900] = '\0';
	fixture_send(wfd, XS_WATCH, 1, 0, buf, (uint32_t)(n + 3901));
	ck_assert_int_eq(fixture_recv(wfd, &h, buf, GF_WAIT_MS), 0);
	ck_assert_uint_eq(h.type, XS_WATCH);
	ck_assert_int_eq(fixture_recv(wfd, &h, buf, GF_WAIT_MS), 0);
	ck_assert_uint_eq(h.type, XS_WATCH_EVENT);

	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(sim_guest_write_node(g5, 0, "x",
		    i % 2 ? "a" : "b"), 0);
	ck_assert_uint_le(xsa_memreport("  output"), 1024 * 1024);
	xsa_healthy(g6);
	/* The watcher is still connected, and heard of the node. */
	n = xs_wire_build(buf, XS_GET_DOMAIN_PATH, 2, 0, "0", 2);
	ck_assert_msg(send(wfd, buf, n, MSG_NOSIGNAL) == (ssize_t)n,
	    "dom0's watcher lost its connection: %s", strerror(errno));
	for (;;) {
		rc = fixture_recv(wfd, &h, buf, GF_WAIT_MS);
		ck_assert_msg(rc == 0, "dom0's watcher lost its connection "
		    "after %u events", events);
		if (h.type != XS_WATCH_EVENT)
			break;
		ck_assert_str_eq(buf, HOME "/x");
		events++;
	}
	ck_assert_uint_eq(h.req_id, 2);
	ck_assert_uint_ge(events, 1);
	close(wfd);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-326, transactions: a guest's transaction read or wrote as many
 * nodes as it liked, each kept in xenstored's memory until its end.
 * Xen's fix refuses (ENOSPC) the access to a node past the
 * transaction-nodes quota (1024): on the reference the 1024th node
 * touched, counting absent ones.
 */
START_TEST(test_xsa326_txn)
{
	struct sim_guest	*g5, *g6;
	char			 path[64];
	unsigned int		 i;
	uint32_t		 tx;
	int			 rc = 0;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	tx = gf_gtx(g5);
	for (i = 0; i < 1100; i++) {
		snprintf(path, sizeof path, "absent%u", i);
		if ((rc = gf_gr(g5, XS_READ, tx, path, NULL)) != ENOENT)
			break;
	}
	ck_assert_msg(rc == ENOSPC && i == 1023, "read %u of a transaction: "
	    "%s, wanted ENOSPC at 1023", i, strerror(rc));
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "F", NULL), 0);

	/* DIRECTORY counts the same way. */
	tx = gf_gtx(g5);
	for (i = 0; i < 1100; i++) {
		snprintf(path, sizeof path, "dir%u", i);
		if ((rc = gf_gr(g5, XS_DIRECTORY, tx, path, NULL)) != ENOENT)
			break;
	}
	ck_assert_msg(rc == ENOSPC && i == 1023, "directory %u of a "
	    "transaction: %s, wanted ENOSPC at 1023", i, strerror(rc));
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "F", NULL), 0);

	/* The same few nodes again and again are not more nodes. */
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof path, "p%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
	}
	tx = gf_gtx(g5);
	for (i = 0; i < 3000; i++) {
		snprintf(path, sizeof path, "p%u", i % 10);
		ck_assert_int_eq(gf_gr(g5, XS_READ, tx, path, NULL), 0);
	}
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-272: oxenstored did not apply its quota of nodes per domain (an
 * order of evaluation it relied on did not hold): a guest made as many
 * nodes as it liked. Writes sent without waiting, one or two new nodes
 * each, in and out of transactions, stop exactly at the quota.
 */
START_TEST(test_xsa272)
{
	struct sim_guest	*g5, *g6;
	char			 m[XS_HEADER_SIZE + XS_PAYLOAD_MAX], p[32];
	size_t			 len, done, off = 0;
	unsigned int		 sent = 0, got = 0, refused = 0, n;
	uint32_t		 tx;
	int			 rc;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	/* 1200 writes, 100 to a directory: the first of each makes two. */
	len = 0;
	while (got < 1200) {
		if (sent < 1200 && off == len) {
			n = (unsigned int)snprintf(p, sizeof p, "d%u/n%u",
			    sent / 100, sent % 100) + 1;
			len = xs_wire_build(m, XS_WRITE, sent, 0, p, n);
			off = 0;
		}
		if (off < len) {
			ck_assert_int_eq(sim_guest_put(g5, m + off, len - off,
			    &done), 0);
			off += done;
			if (off == len)
				sent++;
			if (done > 0)
				continue;
		}
		if ((rc = sim_guest_take(g5)) == EAGAIN) {
			ck_assert_int_eq(sim_guest_wait(g5, GF_WAIT_MS), 0);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(g5->hdr.req_id, got);
		if (g5->hdr.type == XS_ERROR) {
			ck_assert_str_eq(g5->msg, "ENOSPC");
			refused++;
		}
		got++;
	}
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1000);
	counts_match(1000);
	ck_assert_uint_eq(refused, 1200 - (1000 - 1 - 10));
	/* Nothing more, in any way. */
	ck_assert_int_eq(gf_gw(g5, 0, "d0/more", 1), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, "d0/more", NULL), ENOSPC);
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, "d0/more", 1), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	counts_match(1000);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-330: oxenstored did not free what RESET_WATCHES dropped: a guest
 * setting watches and resetting them in a loop grew its memory without
 * end. The daemon's counts of watches come back to nothing each time.
 */
START_TEST(test_xsa330)
{
	static const char *const opts[] = { "-W", "8", NULL };
	struct sim_guest	*g5, *g6;
	char			 path[16], tok[16];
	unsigned int		 cycle, i;

	xsa_start(opts);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (cycle = 0; cycle < 100; cycle++) {
		for (i = 0; i < 9; i++) {
			snprintf(path, sizeof path, "w%u", (cycle + i) % 3);
			snprintf(tok, sizeof tok, "t%u", i);
			ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, path, tok,
			    NULL), 0);
		}
		ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "w", "over", NULL),
		    E2BIG);
		/* Events are queued for it when it resets. */
		fixture_write_str(gf_fd, HOME "/w0", "x");
		ck_assert_int_eq(gf_gr(g5, XS_RESET_WATCHES, 0, NULL), 0);
		ck_assert_uint_eq(gf_usage(5, "watches"), 0);
		sim_guest_clear_events(g5);
	}
	ck_assert_uint_eq(xsa_memreport("watches"), 0);
	ck_assert_uint_eq(xsa_memreport("  watched paths"), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-414: a node creation that failed took an error path in C
 * xenstored that used a wrong pointer: a guest crashed it with writes
 * bound to fail. Every failing creation leaves nothing behind.
 */
START_TEST(test_xsa414)
{
	static const char *const opts[] = { "-E", "20", "-S", "300", NULL };
	struct sim_guest	*g5, *g6;
	char			 deep[128], lng[300];
	unsigned int		 round, i;
	uint32_t		 tx;
	int			 rc;

	xsa_start(opts);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (i = 0; i < 25; i++)
		memcpy(deep + 2 * i, i < 24 ? "d/" : "d", 2);
	deep[49] = '\0';
	memset(lng, 'n', 290);
	memcpy(lng + 290, "/x", 3);
	for (round = 0; round < 30; round++) {
		ck_assert_int_eq(gf_gw(g5, 0, deep, 1), ENOSPC);
		ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, deep, NULL), ENOSPC);
		ck_assert_int_eq(gf_gw(g5, 0, "v", 400), ENOSPC);
		ck_assert_int_eq(gf_gw(g5, 0, lng, 1), ENOSPC);
		ck_assert_int_eq(gf_gw(g5, 0, "/xsa/keep/kid", 1), EACCES);
		ck_assert_int_eq(gf_gw(g5, 0, "bad!path", 1), EINVAL);
		tx = gf_gtx(g5);
		(void)gf_gw(g5, tx, deep, 1);
		(void)gf_gw(g5, tx, lng, 1);
		rc = gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL);
		ck_assert(rc == ENOSPC || rc == 0);
		counts_match(20);
		if (rc == 0)
			ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "d", NULL), 0);
		ck_assert_uint_eq(xsa_count(HOME), 1);
	}
	/* The quota is whole. */
	for (i = 0; i < 19; i++) {
		snprintf(deep, sizeof deep, "n%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, deep, 1), 0);
	}
	ck_assert_int_eq(gf_gw(g5, 0, "over", 1), ENOSPC);
	counts_match(20);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-415: when an error ended a transaction that had created several
 * nodes, C xenstored could leave some without a parent, and commit them
 * for good.
 */
START_TEST(test_xsa415)
{
	static const char *const opts[] = { "-E", "40", NULL };
	struct sim_guest	*g5, *g6;
	char			 path[32];
	unsigned int		 i;
	uint32_t		 tx;
	int			 rc;

	xsa_start(opts);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	/* Errors in the middle of a transaction that creates and removes. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, "a/b/c", 1), 0);
	ck_assert_int_eq(gf_gw(g5, tx, "d/e", 1), 0);
	ck_assert_int_eq(gf_gw(g5, tx, "d/big", 2100), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "a/b", NULL), 0);
	ck_assert_int_eq(gf_gw(g5, tx, "a/b/c/d", 1), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "x/y", NULL), ENOENT);
	ck_assert_int_eq(gf_gw(g5, tx, "/xsa/keep/x", 1), EACCES);
	rc = gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL);
	counts_match(40);
	ck_assert_uint_eq(xsa_count(HOME), rc == 0 ? 7 : 1);
	xsa_store_ok();

	/* A parent removed outside while the transaction fills it. */
	ck_assert_int_eq(gf_gw(g5, 0, "p", 1), 0);
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, "p/q/r", 1), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "p", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL),
	    EAGAIN);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/p/q/r", NULL), ENOENT);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/p", NULL), ENOENT);
	counts_match(40);
	xsa_store_ok();

	/* A transaction that ends over the quota: none of it stays. */
	for (i = 0; gf_usage(5, "nodes") < 35; i++) {
		snprintf(path, sizeof path, "f%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
	}
	tx = gf_gtx(g5);
	for (i = 0; i < 6; i++) {
		snprintf(path, sizeof path, "t/%u", i);
		rc = gf_gw(g5, tx, path, 1);
		ck_assert(rc == 0 || rc == ENOSPC);
	}
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL),
	    ENOSPC);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/t", NULL), ENOENT);
	counts_match(40);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-418: C xenstored removed a tree by recursing once per level: a
 * guest's tree deep enough blew the daemon's stack. The deepest trees a
 * guest (1000 nodes) and dom0 (a path of 2048 bytes) can make are
 * removed by RM, in a transaction, and with their domain.
 */
START_TEST(test_xsa418)
{
	struct sim_guest	*g5, *g6;
	char			 rel[XS_REL_PATH_MAX + 1];
	char			 abs[XS_ABS_PATH_MAX + 1];
	const char		*path, *token;
	uint32_t		 tx;
	size_t			 i, n;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	/* 999 levels: with its home, the guest's whole quota of nodes. */
	for (i = 0; i < 999; i++)
		memcpy(rel + 2 * i, "a/", 2);
	rel[2 * 999 - 1] = '\0';
	ck_assert_int_eq(gf_gw(g5, 0, rel, 1), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1000);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, rel, "deep", NULL), 0);
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path,
	    &token), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "a", NULL), 0);
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path,
	    &token), 0);
	ck_assert_str_eq(path, rel);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
	ck_assert_int_eq(gf_gr(g5, XS_UNWATCH, 0, rel, "deep", NULL), 0);

	/*
	 * In transactions, one level less: as in Xen, a transaction that
	 * creates nodes may not end with its domain at the quota.
	 */
	rel[2 * 998 - 1] = '\0';
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, rel, 1), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 999);
	rel[2 * 998 - 1] = '/';
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "a", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_uint_eq(xsa_count(HOME), 1);

	/* dom0's deepest. */
	n = (size_t)snprintf(abs, sizeof abs, "/xsa/deep");
	while (n + 2 <= XS_REL_PATH_MAX) {
		memcpy(abs + n, "/a", 3);
		n += 2;
	}
	fixture_write_str(gf_fd, abs, "bottom");
	ck_assert_int_eq(gf_d0(XS_RM, "/xsa/deep", NULL), 0);

	/* With its domain. */
	ck_assert_int_eq(gf_gw(g5, 0, rel, 1), 0);
	ck_assert_int_eq(gf_d0(XS_RELEASE, "5", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_READ, HOME, NULL), ENOENT);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-421: a node created and then removed in one transaction made C
 * xenstored end the transaction half done and skip its accounting:
 * looping over such transactions, a guest made nodes past its quota.
 */
START_TEST(test_xsa421)
{
	static const char *const opts[] = { "-E", "10", NULL };
	struct sim_guest	*g5, *g6;
	char			 path[32];
	unsigned int		 i;
	uint32_t		 tx;
	int			 rc;

	xsa_start(opts);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (i = 0; i < 20; i++) {
		tx = gf_gtx(g5);
		/* Made and removed again; at the quota, refused. */
		if ((rc = gf_gw(g5, tx, "t/x", 1)) == 0) {
			ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "t/x", NULL),
			    0);
			ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "t", NULL), 0);
		} else
			ck_assert_int_eq(rc, ENOSPC);
		if ((rc = gf_gw(g5, tx, "q/r", 1)) == 0)
			ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "q", NULL), 0);
		else
			ck_assert_int_eq(rc, ENOSPC);
		snprintf(path, sizeof path, "p%u", i);
		rc = gf_gw(g5, tx, path, 1);
		ck_assert(rc == 0 || rc == ENOSPC);
		rc = gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL);
		ck_assert(rc == 0 || rc == ENOSPC);
		counts_match(10);
	}
	/*
	 * Eight committed: as in Xen, a transaction that creates nodes may
	 * not end with its domain at the quota.
	 */
	ck_assert_uint_eq(gf_usage(5, "nodes"), 9);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof path, HOME "/p%u", i);
		ck_assert_int_eq(gf_d0(XS_READ, path, NULL), 0);
	}
	ck_assert_int_eq(gf_gw(g5, 0, "last", 1), 0);
	ck_assert_int_eq(gf_gw(g5, 0, "over", 1), ENOSPC);
	counts_match(10);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/t", NULL), ENOENT);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/q", NULL), ENOENT);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-440: a transaction ending after nodes it counted on were removed
 * outside it saw a negative node count, and an assert of C xenstored
 * made that a crash.
 */
START_TEST(test_xsa440)
{
	static const char *const opts[] = { "-E", "10", NULL };
	struct sim_guest	*g5, *g6;
	char			 path[32];
	unsigned int		 i;
	uint32_t		 tx;
	int			 rc;

	xsa_start(opts);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "o%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
	}
	/* It removes o0 and makes n1; outside, all of o* go first. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, "n1", 1), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "o0", NULL), 0);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "o%u", i);
		ck_assert_int_eq(gf_gr(g5, XS_RM, 0, path, NULL), 0);
	}
	rc = gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL);
	ck_assert(rc == 0 || rc == EAGAIN);
	counts_match(10);

	/* It makes nodes; outside, everything of it goes. */
	tx = gf_gtx(g5);
	for (i = 2; i < 5; i++) {
		snprintf(path, sizeof path, "n%u", i);
		ck_assert_int_eq(gf_gw(g5, tx, path, 1), 0);
	}
	ck_assert_int_eq(gf_d0(XS_RM, HOME "/n1", NULL), 0);
	rc = gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL);
	ck_assert(rc == 0 || rc == EAGAIN);
	counts_match(10);

	/* The quota is whole. */
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "n2", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "n3", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "n4", NULL), 0);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
	for (i = 0; i < 9; i++) {
		snprintf(path, sizeof path, "f%u", i);
		ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
	}
	ck_assert_int_eq(gf_gw(g5, 0, "over", 1), ENOSPC);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-484: RESET_WATCHES sent inside a transaction hit an assert in C
 * xenstored: any guest could crash it. As the fixed reference does, it
 * drops the connection's watches and transactions and answers OK.
 */
START_TEST(test_xsa484)
{
	struct sim_guest	*g5, *g6;
	uint32_t		 tx, tx2;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	tx = gf_gtx(g5);
	tx2 = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, "in-tx", 1), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "w", "t", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RESET_WATCHES, tx, NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL),
	    ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx2, "T", NULL),
	    ENOENT);
	ck_assert_uint_eq(gf_usage(5, "watches"), 0);
	ck_assert_uint_eq(gf_usage(5, "transactions"), 0);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/in-tx", NULL), ENOENT);
	/* Again, with nothing open; then it goes on as before. */
	ck_assert_int_eq(gf_gr(g5, XS_RESET_WATCHES, 0, NULL), 0);
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gw(g5, tx, "in-tx", 1), 0);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_READ, HOME "/in-tx", NULL), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/* The suite. */
static Suite *
xsa_res_suite(void)
{
	Suite	*s = suite_create("xsa_res");
	TCase	*tc;

	/* Each test starts the daemon with its options (xsa_start). */
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, gf_fini);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xsa415);
	tcase_add_test(tc, test_xsa421);
	tcase_add_test(tc, test_xsa440);
	tcase_add_test(tc, test_xsa484);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, NULL, gf_fini);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_xsa206);
	tcase_add_test(tc, test_xsa272);
	tcase_add_test(tc, test_xsa326_replies);
	tcase_add_test(tc, test_xsa326_events);
	tcase_add_test(tc, test_xsa326_dom0_events);
	tcase_add_test(tc, test_xsa326_txn);
	tcase_add_test(tc, test_xsa330);
	tcase_add_test(tc, test_xsa416);
	tcase_add_test(tc, test_xsa418);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, NULL, gf_fini);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xsa414);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; fail if any test failed. */
int
main(void)
{
	return fixture_main(xsa_res_suite());
}

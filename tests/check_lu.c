/*
 * check_lu.c - live update and restart, against the real xsdbd with
 * socket clients and guests of the simulated Xen (sim-guest.c).
 *
 * Waiting is on messages, never on time: a message that must come is
 * waited for; "nothing came" is checked with a request sent afterwards,
 * whose reply would follow anything queued before it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <signal.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-fixture.h"

#define S(lit)	(lit), (uint32_t)(sizeof(lit) - 1)

static void	 setup(void);
static void	 restart(const char *);
static void	 recv_msg(int, struct xs_header *, char *);
static void	 read_err(int, const char *, const char *);
static void	 setup_none(void);
static void	 setup_bare(void);
static void	 rsp_read(struct sim_guest *, char *, size_t);
static int	 file_out(void *, const void *, size_t);
static void	 put_node(struct xs_stream_writer *, const char *,
		     const char *, const char *);
static void	 ctl_text(int, const char *, const char *, uint32_t);
static void	 ctl_err(int, const char *, uint32_t, const char *);
static void	 live_update(int, const char *);
static void	 txn_end(int, uint32_t, const char *);
static pid_t	 daemon_pid(void);
static void	 send_req(int, uint32_t, uint32_t, uint32_t, const void *,
		     uint32_t);
static void	 expect_reply(int, uint32_t, uint32_t, const char *);

/* A daemon on a simulated Xen, and one dom0 connection. */
static void
setup(void)
{
	gf_start(NULL);
}

/*
 * Stop the daemon (SIGTERM) and start it again on the same store with
 * the Xen backend xen (NULL: the simulator).
 */
static void
restart(const char *xen)
{
	const char	*extra[] = { xen != NULL ? xen : gf_xenarg, NULL };

	close(gf_fd);
	fixture_stop(&gf_fx);
	fixture_up(&gf_fx, extra);
	gf_fd = fixture_connect(&gf_fx);
}

/* The next message of any kind. */
static void
recv_msg(int s, struct xs_header *h, char *payload)
{
	ck_assert_int_eq(fixture_recv(s, h, payload, GF_WAIT_MS), 0);
}

/* READ path from dom0 answers ERROR name. */
static void
read_err(int s, const char *path, const char *name)
{
	fixture_expect_error(s, XS_READ, 0, path, (uint32_t)strlen(path) + 1,
	    name);
}

/*
 * --xen=none cannot know whether a domain exists: the domains of the
 * store stay introduced (detached) with their nodes, and a later start on
 * the simulator attaches them again. Only a backend that says a domain is
 * gone releases it.
 */
START_TEST(test_none_keeps_domains)
{
	struct sim_guest	*g;
	const char		*path, *token;
	char			 v[64];

	g = gf_guest(5);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);

	restart("--xen=none");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	fixture_read_is(gf_fd, "/local/domain/5/data/x", "1");
	ck_assert(fixture_log_has(&gf_fx,
	    "domain 5: cannot attach its ring again"));
	/* Twice: nothing is lost on the way. */
	restart("--xen=none");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");

	/* Back on the simulator the guest is served, its watch fires. */
	restart(NULL);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data");
	ck_assert_str_eq(token, "w");
	ck_assert_int_eq(sim_guest_read_node(g, 0, "data/x", v, sizeof v),
	    0);
	ck_assert_str_eq(v, "1");

	/* A backend that says the domain is gone releases it. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 5, "gone"), 0);
	restart(NULL);
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	read_err(gf_fd, "/local/domain/5/data/x", "ENOENT");
	fixture_expect_quiet(gf_fd);
	sim_guest_free(g);
}
END_TEST


/* A simulator and paths, but no daemon yet. */
static void
setup_bare(void)
{
	gf_init();
	ck_assert_int_eq(mkdir(gf_fx.db, 0700), 0);
}

/* A daemon without Xen (socket clients only). */
static void
setup_none(void)
{
	gf_init();
	snprintf(gf_xenarg, sizeof gf_xenarg, "--xen=none");
	fixture_up(&gf_fx, NULL);
	gf_fd = fixture_connect(&gf_fx);
}

/* CONTROL with this payload answers the text want. */
static void
ctl_text(int s, const char *want, const char *p, uint32_t len)
{
	fixture_answer(s, XS_CONTROL, 0, p, len, want);
}

/* CONTROL with this payload answers ERROR name. */
static void
ctl_err(int s, const char *p, uint32_t len, const char *name)
{
	fixture_expect_error(s, XS_CONTROL, 0, p, len, name);
}

/*
 * A live update to binary from connection s, as xenstore-control drives
 * it: the reply to -s comes from the new daemon, in the same process.
 */
static void
live_update(int s, const char *binary)
{
	char	buf[512];
	size_t	len;
	pid_t	pid = daemon_pid();

	len = (size_t)snprintf(buf, sizeof buf, "live-update%c-f%c%s%c", 0,
	    0, binary, 0);
	ctl_text(s, "OK", buf, (uint32_t)len);
	ctl_text(s, "OK", S("live-update\0-s\0-t\0" "60\0"));
	ck_assert_int_eq(daemon_pid(), pid);
	ck_assert_int_eq(kill(gf_fx.pid, 0), 0);
}

/* TRANSACTION_END "T" of tx answers want ("OK" or an error name). */
static void
txn_end(int s, uint32_t tx, const char *want)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req(s, XS_TRANSACTION_END, tx, "T", 2, &rt, &rl);
	ck_assert_msg(strcmp(r, want) == 0 && rt == (strcmp(want, "OK") == 0 ?
	    XS_TRANSACTION_END : XS_ERROR), "tx %u: wanted %s, got type %u %s",
	    tx, want, rt, r);
}

/*
 * The daemon's pid, from its pid file (which a daemon just exec'ed may be
 * writing again: an empty file is read again).
 */
static pid_t
daemon_pid(void)
{
	char		buf[32];
	ssize_t		n = 0;
	unsigned int	i;
	int		pfd;

	for (i = 0; n <= 0 && i < 5000; i++) {
		if (i > 0)
			usleep(1000);
		if ((pfd = open(gf_fx.pidfile, O_RDONLY)) == -1)
			continue;
		n = read(pfd, buf, sizeof buf - 1);
		close(pfd);
	}
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* Send a request without waiting. */
static void
send_req(int s, uint32_t type, uint32_t req_id, uint32_t tx, const void *p,
    uint32_t len)
{
	fixture_send(s, type, req_id, tx, p, len);
}

/* The next message must be the reply req_id of type with payload want. */
static void
expect_reply(int s, uint32_t type, uint32_t req_id, const char *want)
{
	struct xs_header	h;
	char			p[XS_PAYLOAD_MAX + 1];

	recv_msg(s, &h, p);
	ck_assert_msg(h.type == type && h.req_id == req_id &&
	    strcmp(p, want) == 0, "wanted %u/%u \"%s\", got %u/%u \"%s\"",
	    type, req_id, want, h.type, h.req_id, p);
}

/*
 * Socket clients across a live update: the pid stays, the listener
 * serves, a request sent half before and half after is answered,
 * watches fire, events queued for a client that did not read arrive all
 * and in order, and transactions go on: committing if nothing they read
 * changed, EAGAIN if it did, before or after the update.
 */
START_TEST(test_lu_sockets)
{
	struct xs_header	 h;
	char			 p[XS_PAYLOAD_MAX + 1], big[3001], path[32];
	int			 a, b, q, w, c, n;
	uint32_t		 t1, t2, t3, t4, t5, t6, rt, rl;
	const char		*r;
	struct xs_header	 half = { XS_READ, 77, 0, 5 };

	a = fixture_connect(&gf_fx);
	b = fixture_connect(&gf_fx);
	q = fixture_connect(&gf_fx);
	w = fixture_connect(&gf_fx);
	c = fixture_connect(&gf_fx);
	fixture_write_str(a, "/t/a", "1");
	fixture_write_str(a, "/t/c", "1");
	send_req(w, XS_WATCH, 1, 0, S("/t/a\0wa\0"));
	expect_reply(w, XS_WATCH, 1, "OK");
	fixture_expect_event(w, "/t/a", "wa");
	send_req(q, XS_WATCH, 1, 0, S("/q\0wq\0"));
	expect_reply(q, XS_WATCH, 1, "OK");
	fixture_expect_event(q, "/q", "wq");

	/* t1 reads /t/a, nothing it read changes: it commits. */
	t1 = fixture_tx_start(b);
	r = fixture_req1(b, XS_READ, t1, "/t/a", &rt, &rl);
	ck_assert_str_eq(r, "1");
	fixture_req(b, XS_WRITE, t1, S("/t/b1\0x"), &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
	/* t2 reads /t/c, which changes after the update: EAGAIN. */
	t2 = fixture_tx_start(b);
	r = fixture_req1(b, XS_READ, t2, "/t/c", &rt, &rl);
	ck_assert_str_eq(r, "1");
	/* t3 reads /t/c too, which changes before the update: EAGAIN. */
	t3 = fixture_tx_start(b);
	r = fixture_req1(b, XS_READ, t3, "/t/c", &rt, &rl);
	fixture_req(b, XS_WRITE, t3, S("/t/b3\0x"), &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
	/* t4 reads /t/a and writes: an unrelated write does not matter. */
	t4 = fixture_tx_start(b);
	r = fixture_req1(b, XS_READ, t4, "/t/a", &rt, &rl);
	/* t5 reads /t/a and stays untouched across two updates. */
	t5 = fixture_tx_start(b);
	r = fixture_req1(b, XS_READ, t5, "/t/a", &rt, &rl);
	fixture_req(b, XS_WRITE, t5, S("/t/b5\0z"), &rt, &rl);
	/* t6 reads what nobody changes, untouched across two updates. */
	t6 = fixture_tx_start(b);
	fixture_req1(b, XS_READ, t6, "/t/r6", &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	fixture_req(b, XS_WRITE, t6, S("/t/b6\0w"), &rt, &rl);
	fixture_req(b, XS_WRITE, t4, S("/t/b4\0y"), &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
	fixture_write_str(a, "/t/c", "2");
	fixture_write_str(a, "/t/other", "z");

	/* Events q does not read, more than its socket holds. */
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (n = 0; n < 300; n++) {
		snprintf(path, sizeof path, "/q/%d", n);
		fixture_write_str(a, path, big);
	}
	/* Half a request. */
	fixture_send_raw(a, &half, 10);

	live_update(c, gf_fx.bin);

	fixture_send_raw(a, (const char *)&half + 10, 6);
	fixture_send_raw(a, "/t/a", 5);
	expect_reply(a, XS_READ, 77, "1");
	fixture_write_str(a, "/t/c", "3");
	txn_end(b, t1, "OK");
	txn_end(b, t2, "EAGAIN");
	txn_end(b, t3, "EAGAIN");
	txn_end(b, t4, "OK");
	fixture_read_is(a, "/t/b1", "x");
	fixture_read_is(a, "/t/b4", "y");
	read_err(a, "/t/b3", "ENOENT");
	fixture_write_str(a, "/t/a", "4");
	fixture_expect_event(w, "/t/a", "wa");
	fixture_expect_quiet(w);
	for (n = 0; n < 300; n++) {
		snprintf(path, sizeof path, "/q/%d", n);
		recv_msg(q, &h, p);
		ck_assert_uint_eq(h.type, XS_WATCH_EVENT);
		ck_assert_str_eq(p, path);
	}
	fixture_expect_quiet(q);
	/* A new client is served, and a second update goes as well. */
	close(c);
	c = fixture_connect(&gf_fx);
	live_update(c, gf_fx.bin);
	fixture_read_is(c, "/t/a", "4");
	fixture_expect_quiet(w);
	/* /t/a changed since t5 read it: EAGAIN, as without the updates. */
	txn_end(b, t5, "EAGAIN");
	txn_end(b, t6, "OK");
	fixture_read_is(c, "/t/b6", "w");
	close(a);
	close(b);
	close(c);
	close(q);
	close(w);
}
END_TEST

/*
 * A guest across a live update: events it had not read yet all arrive, a
 * request it put half before the update is answered after it, its
 * transaction goes on, its watch is there (it may fire once more, as
 * after a restart).
 */
START_TEST(test_lu_ring)
{
	struct sim_guest	*g;
	const char		*path, *token;
	char			 msg[64], v[64], p[64];
	size_t			 n, done;
	uint32_t		 tx;
	unsigned int		 i;
	int			 c;

	g = gf_guest(5);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_int_eq(sim_guest_request(g, XS_TRANSACTION_START, 0, "", 1,
	    GF_WAIT_MS), 0);
	tx = (uint32_t)strtoul(g->msg, NULL, 10);
	ck_assert_int_eq(sim_guest_read_node(g, tx, "data/x", v, sizeof v),
	    0);
	ck_assert_int_eq(sim_guest_write_node(g, tx, "data/y", "2"), 0);
	/* Events it does not read yet, more than its ring holds. */
	for (i = 0; i < 200; i++) {
		snprintf(p, sizeof p, "/local/domain/5/data/e%u", i);
		fixture_write_str(gf_fd, p, "event");
	}
	n = xs_wire_build(msg, XS_READ, 4242, 0, "data/x", 7);
	ck_assert_int_eq(sim_guest_put(g, msg, 10, &done), 0);
	ck_assert_uint_eq(done, 10);

	c = fixture_connect(&gf_fx);
	live_update(c, gf_fx.bin);
	close(c);

	ck_assert_int_eq(sim_guest_write(g, msg + 10, n - 10, GF_WAIT_MS), 0);
	/* Every event, in order, then the reply (and maybe one more). */
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(sim_guest_recv(g, GF_WAIT_MS), 0);
		ck_assert_uint_eq(g->hdr.type, XS_WATCH_EVENT);
		snprintf(p, sizeof p, "data/e%u", i);
		ck_assert_str_eq(g->msg, p);
	}
	do {
		ck_assert_int_eq(sim_guest_recv(g, GF_WAIT_MS), 0);
	} while (g->hdr.type == XS_WATCH_EVENT);
	ck_assert_uint_eq(g->hdr.req_id, 4242);
	ck_assert_str_eq(g->msg, "1");
	ck_assert_int_eq(sim_guest_request(g, XS_TRANSACTION_END, tx, "T", 2,
	    GF_WAIT_MS), 0);
	ck_assert_uint_eq(g->hdr.type, XS_TRANSACTION_END);
	fixture_read_is(gf_fd, "/local/domain/5/data/y", "2");
	sim_guest_clear_events(g);
	fixture_write_str(gf_fd, "/local/domain/5/data/z", "3");
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data/z");
	ck_assert_str_eq(token, "w");
	sim_guest_free(g);
}
END_TEST

/*
 * The sub-commands, and their answers as Xen's C xenstored 4.17 gives
 * them (each probed on the reference).
 */
START_TEST(test_lu_control)
{
	char	buf[256];
	size_t	len;
	int	c;

	c = fixture_connect(&gf_fx);
	ctl_text(gf_fd, "Not in live-update session.", S("live-update\0-s\0"));
	ctl_text(gf_fd, "No live-update session active.",
	    S("live-update\0-a\0"));
	ctl_text(gf_fd, "Not in live-update session.",
	    S("live-update\0-c\0foo\0"));
	ctl_text(gf_fd, "File not accessible.",
	    S("live-update\0-f\0/nonexistent/xsdbd\0"));
	ctl_text(gf_fd, "File not executable.",
	    S("live-update\0-f\0/etc/passwd\0"));
	ctl_err(gf_fd, S("live-update\0"), "EINVAL");
	ctl_err(gf_fd, S("live-update\0-x\0"), "EINVAL");
	ctl_err(gf_fd, S("live-update\0-a\0x\0"), "EINVAL");
	len = (size_t)snprintf(buf, sizeof buf, "live-update%c-f%c%s%c", 0,
	    0, gf_fx.bin, 0);
	ctl_text(gf_fd, "OK", buf, (uint32_t)len);
	ctl_text(gf_fd, "live-update session already active.", buf,
	    (uint32_t)len);
	ctl_text(c, "live-update session already active.", buf,
	    (uint32_t)len);
	ctl_text(c, "Not in live-update session.", S("live-update\0-c\0x\0"));
	ctl_text(c, "Not in live-update session.", S("live-update\0-s\0"));
	ctl_err(gf_fd, S("live-update\0-c\0a\0b\0"), "EINVAL");
	ctl_err(gf_fd, S("live-update\0-s\0-x\0"), "EINVAL");
	ctl_err(gf_fd, S("live-update\0-s\0-t\0"), "EINVAL");
	ctl_text(gf_fd, "OK", S("live-update\0-c\0--xen=none\0"));
	/* Any connection may end the session. */
	ctl_text(c, "OK", S("live-update\0-a\0"));
	ctl_text(gf_fd, "Not in live-update session.", S("live-update\0-s\0"));
	/* A session ends with its connection. */
	ctl_text(c, "OK", buf, (uint32_t)len);
	close(c);
	ctl_text(gf_fd, "OK", buf, (uint32_t)len);
	ctl_text(gf_fd, "OK", S("live-update\0-a\0"));
	/* Uploads. */
	ctl_text(gf_fd, "Not in live-update session.",
	    S("live-update\0-d\0" "2\0ab\0"));
	ctl_text(gf_fd, "OK", S("live-update\0-b\0" "3\0"));
	ctl_text(gf_fd, "Kernel not complete.", S("live-update\0-s\0"));
	ctl_text(gf_fd, "Too much kernel data.",
	    S("live-update\0-d\0" "4\0abcd\0"));
	ctl_text(gf_fd, "OK", S("live-update\0-d\0" "2\0a\0\0"));
	ctl_text(gf_fd, "Kernel not complete.", S("live-update\0-s\0"));
	ctl_text(gf_fd, "OK", S("live-update\0-a\0"));
}
END_TEST

/*
 * The binary uploaded in pieces (-b, -d: what xenstore-control does for
 * a stub domain), with a command line of its own (-c).
 */
START_TEST(test_lu_upload)
{
	char		 cmd[2048], chunk[2100], num[16];
	struct stat	 sb;
	size_t		 off, n, len;
	ssize_t		 r;
	pid_t		 pid = daemon_pid();
	int		 bfd, c;

	c = fixture_connect(&gf_fx);
	fixture_write_str(c, "/up", "1");
	ck_assert_int_eq(stat(gf_fx.bin, &sb), 0);
	len = (size_t)snprintf(cmd, sizeof cmd, "live-update%c-b%c%lld%c", 0,
	    0, (long long)sb.st_size, 0);
	ctl_text(c, "OK", cmd, (uint32_t)len);
	bfd = open(gf_fx.bin, O_RDONLY);
	ck_assert_int_ne(bfd, -1);
	for (off = 0; off < (size_t)sb.st_size; off += n) {
		n = (size_t)sb.st_size - off < 2048 ?
		    (size_t)sb.st_size - off : 2048;
		snprintf(num, sizeof num, "%zu", n);
		len = (size_t)snprintf(chunk, sizeof chunk,
		    "live-update%c-d%c%s%c", 0, 0, num, 0);
		r = pread(bfd, chunk + len, n, (off_t)off);
		ck_assert_int_eq(r, (ssize_t)n);
		chunk[len + n] = '\0';
		ctl_text(c, "OK", chunk, (uint32_t)(len + n + 1));
	}
	close(bfd);
	len = (size_t)snprintf(cmd, sizeof cmd, "live-update%c-c%c--db %s "
	    "--socket %s --pid-file %s --xen=none%c", 0, 0, gf_fx.db,
	    gf_fx.sock, gf_fx.pidfile, 0);
	ctl_text(c, "OK", cmd, (uint32_t)len);
	ctl_text(c, "OK", S("live-update\0-s\0-F\0"));
	ck_assert_int_eq(daemon_pid(), pid);
	fixture_read_is(c, "/up", "1");
	close(c);
}
END_TEST

/*
 * An exec that fails: the requester gets the error, everything goes on
 * in the same daemon, transactions included.
 */
START_TEST(test_lu_exec_fails)
{
	char		 bad[256], buf[512];
	size_t		 len;
	uint32_t	 tx, rt, rl;
	int		 bfd, b;

	snprintf(bad, sizeof bad, "%s/not-a-binary", gf_fx.dir);
	bfd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ck_assert_int_ne(bfd, -1);
	ck_assert_int_eq(write(bfd, "\x7f" "ELFjunk", 8), 8);
	close(bfd);
	b = fixture_connect(&gf_fx);
	fixture_write_str(b, "/e/a", "1");
	tx = fixture_tx_start(b);
	fixture_req1(b, XS_READ, tx, "/e/a", &rt, &rl);
	fixture_req(b, XS_WRITE, tx, S("/e/b\0x"), &rt, &rl);
	len = (size_t)snprintf(buf, sizeof buf, "live-update%c-f%c%s%c", 0,
	    0, bad, 0);
	ctl_text(gf_fd, "OK", buf, (uint32_t)len);
	ctl_text(gf_fd, "Error activating new binary.", S("live-update\0-s\0"));
	ctl_text(gf_fd, "No live-update session active.",
	    S("live-update\0-a\0"));
	txn_end(b, tx, "OK");
	fixture_read_is(gf_fd, "/e/b", "x");
	/* And a real update still works. */
	live_update(gf_fd, gf_fx.bin);
	fixture_read_is(b, "/e/b", "x");
	close(b);
}
END_TEST

/* xs_stream_writer output into a file. */
static int
file_out(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : EIO;
}

/* A NODE_DATA record of a committed node; perms as "n0,r5". */
static void
put_node(struct xs_stream_writer *w, const char *path, const char *value,
    const char *perms)
{
	struct xs_stream_node	n;
	struct xs_perm		p[XS_PERMS_MAX];
	unsigned int		np;
	char			pl[64];
	size_t			i, len = strlen(perms);

	/* "n0,r5" is "n0\0r5\0" on the wire. */
	ck_assert_uint_lt(len, sizeof pl);
	for (i = 0; i <= len; i++)
		pl[i] = perms[i] == ',' ? '\0' : perms[i];
	ck_assert_int_eq(xs_perm_parse_list(pl, (uint32_t)len + 1, p,
	    XS_PERMS_MAX, &np), 0);
	memset(&n, 0, sizeof n);
	n.path = path;
	n.value = value;
	n.vlen = (uint32_t)strlen(value);
	n.perms = p;
	n.nperms = np;
	ck_assert_int_eq(xs_stream_write_node(w, &n), 0);
}

/*
 * Taking over from Xen's C xenstored, with a state file written by the
 * project's stream writer as Xen's daemon writes it: the listening socket
 * and two clients handed over by descriptor, one waiting for the "OK" of
 * its live-update, the other half-way through a request and inside a
 * transaction; a watch; nodes with permissions; a guest's ring.
 */
START_TEST(test_lu_import)
{
	struct xs_stream_writer	 w;
	struct xs_stream_global	 gl;
	struct xs_stream_conn	 sc;
	struct xs_stream_watch	 sw;
	struct xs_stream_txn	 st;
	struct sockaddr_un	 sun;
	struct sim_guest	*g;
	struct xs_header	 hr, half = { XS_READ, 9, 0, 5 };
	char			 path[256], out[64], port[16], v[64];
	const char		*tok, *wpath;
	FILE			*f;
	pid_t			 pid;
	int			 lfd, c1, c2, s1, s2, c3, logfd;
	uint32_t		 rt, rl;

	/* The simulator's guest 5, whose ring the stream names. */
	ck_assert_int_eq(sim_guest_new(gf_simdir, 5, GF_PORT_BASE + 5, true,
	    &g), 0);

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(gf_fx.sock), sizeof sun.sun_path);
	memcpy(sun.sun_path, gf_fx.sock, strlen(gf_fx.sock) + 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	c1 = fixture_connect(&gf_fx);
	c2 = fixture_connect(&gf_fx);
	s1 = accept(lfd, NULL, NULL);
	s2 = accept(lfd, NULL, NULL);
	ck_assert(s1 != -1 && s2 != -1);

	snprintf(path, sizeof path, "%s/state_dump", gf_fx.dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(xs_stream_writer_init(&w, 1, file_out, f), 0);
	gl.socket_fd = lfd;
	gl.evtchn_fd = -1;
	ck_assert_int_eq(xs_stream_write_global(&w, &gl), 0);
	/* Client 1 waits for the reply to its live-update -s. */
	memset(&sc, 0, sizeof sc);
	sc.conn_id = 1;
	sc.conn_type = XS_STREAM_CONN_SOCKET;
	sc.socket_fd = s1;
	sc.out_len = (uint32_t)xs_wire_build(out, XS_CONTROL, 33, 0, "OK", 3);
	sc.data = out;
	ck_assert_int_eq(xs_stream_write_conn(&w, &sc), 0);
	memset(&sw, 0, sizeof sw);
	sw.conn_id = 1;
	sw.path = "/a";
	sw.token = "ta";
	ck_assert_int_eq(xs_stream_write_watch(&w, &sw), 0);
	/* Client 2 sent 10 bytes of a READ and holds transaction 3. */
	memset(&sc, 0, sizeof sc);
	sc.conn_id = 2;
	sc.conn_type = XS_STREAM_CONN_SOCKET;
	sc.socket_fd = s2;
	sc.in_len = 10;
	sc.data = &half;
	ck_assert_int_eq(xs_stream_write_conn(&w, &sc), 0);
	st.conn_id = 2;
	st.tx_id = 3;
	ck_assert_int_eq(xs_stream_write_txn(&w, &st), 0);
	/* Guest 5, with a watch of its own. */
	memset(&sc, 0, sizeof sc);
	sc.conn_id = 3;
	sc.conn_type = XS_STREAM_CONN_RING;
	sc.domid = 5;
	sc.tdomid = XS_STREAM_DOMID_INVALID;
	sc.evtchn = 17;
	sc.socket_fd = -1;
	ck_assert_int_eq(xs_stream_write_conn(&w, &sc), 0);
	sw.conn_id = 3;
	sw.path = "data";
	sw.token = "g";
	ck_assert_int_eq(xs_stream_write_watch(&w, &sw), 0);
	put_node(&w, "/", "", "n0");
	put_node(&w, "/a", "", "n0");
	put_node(&w, "/a/b", "hello", "n0,r5");
	put_node(&w, "/local", "", "n0");
	put_node(&w, "/local/domain", "", "n0");
	put_node(&w, "/local/domain/5", "", "n5");
	put_node(&w, "/local/domain/5/data", "1", "n5");
	snprintf(port, sizeof port, "%u", GF_PORT_BASE + 5);
	put_node(&w, "/local/domain/5/store", "", "n0,r5");
	put_node(&w, "/local/domain/5/store/port", port, "n0,r5");
	put_node(&w, "@releaseDomain", "", "n0,r5");
	ck_assert_int_eq(xs_stream_write_end(&w), 0);
	ck_assert_int_eq(fclose(f), 0);

	/* Xen's daemon execs us in its place, with -U. */
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		setenv("XENSTORED_ROOTDIR", gf_fx.dir, 1);
		if ((logfd = open(gf_fx.log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) != -1) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		execl(gf_fx.bin, gf_fx.bin, "-N", "-U", "--db", gf_fx.db,
		    "--socket",
		    gf_fx.sock, "--pid-file", gf_fx.pidfile, gf_xenarg,
		    (char *)NULL);
		_exit(127);
	}
	gf_fx.pid = pid;
	close(lfd);
	close(s1);
	close(s2);

	/* The first words of the new daemon: the "OK". */
	recv_msg(c1, &hr, v);
	ck_assert_msg(hr.type == XS_CONTROL && hr.req_id == 33 &&
	    strcmp(v, "OK") == 0, "got %u/%u %s", hr.type, hr.req_id, v);
	ck_assert_int_ne(access(path, F_OK), 0);	/* read and removed */
	fixture_send_raw(c2, (const char *)&half + 10, 6);
	fixture_send_raw(c2, "/a/b", 5);
	expect_reply(c2, XS_READ, 9, "hello");
	fixture_expect_error(c2, XS_TRANSACTION_END, 3, "T", 2, "EAGAIN");
	fixture_write_str(c2, "/a/c", "x");
	fixture_expect_event(c1, "/a/c", "ta");
	fixture_expect_quiet(c1);
	c3 = fixture_connect(&gf_fx);
		fixture_req1(c3, XS_GET_PERMS, 0, "/a/b", &rt, &rl);
	ck_assert_uint_eq(rt, XS_GET_PERMS);
	fixture_answer(c3, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	fixture_answer(c3, XS_CONTROL, 0, S("check\0"), "OK");

	/* The guest is served, its watch there (fired once). */
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &wpath, &tok), 0);
	ck_assert_str_eq(wpath, "data");
	ck_assert_str_eq(tok, "g");
	ck_assert_int_eq(sim_guest_read_node(g, 0, "data", v, sizeof v), 0);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(sim_guest_read_node(g, 0, "/a/b", v, sizeof v), 0);
	ck_assert_str_eq(v, "hello");
	fixture_write_str(c3, "/local/domain/5/data/n", "2");
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &wpath, &tok), 0);
	ck_assert_str_eq(wpath, "data/n");
	close(c1);
	close(c2);
	close(c3);
	sim_guest_free(g);
}
END_TEST

/*
 * Read n bytes of the guest's rsp stream as they come, raising its event
 * as a guest does after taking bytes.
 */
static void
rsp_read(struct sim_guest *g, char *buf, size_t n)
{
	size_t	done, got = 0;
	int	tries = 0;

	while (got < n) {
		ck_assert_int_eq(xs_ring_read(g->ring, XS_RING_RSP, buf + got,
		    n - got, &done), 0);
		if (done > 0) {
			got += done;
			sim_guest_kick(g);
			continue;
		}
		if (sim_guest_wait(g, 100) == ETIMEDOUT) {
			sim_guest_kick(g);
			ck_assert_msg(++tries < 100, "rsp: %zu of %zu bytes",
			    got, n);
		}
	}
}

/*
 * A guest that pipelined 15 requests (within its quota of outstanding
 * requests) and read one reply and a half when
 * the daemon is killed gets, after the restart, the rest of that reply
 * and every other one once, in order: they were recorded with the
 * requests' commit, and what went into rsp is not sent again.
 */
START_TEST(test_crash_replies)
{
	const char		*extra[] = { gf_xenarg, NULL };
	struct sim_guest	*g;
	struct xs_header	 h;
	char			 big[1001], msg[XS_HEADER_SIZE + 16];
	char			 p[XS_PAYLOAD_MAX + 1];
	size_t			 n, off;
	uint32_t		 i, cons;
	int			 tries;

	g = gf_guest(5);
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fixture_write_str(gf_fd, "/local/domain/5/big", big);
	for (i = 1; i <= 15; i++) {
		n = xs_wire_build(msg, XS_READ, i, 0, "big", 4);
		ck_assert_int_eq(sim_guest_write(g, msg, n, GF_WAIT_MS), 0);
	}
	/* Every request taken (and so committed, with its reply). */
	for (tries = 0; tries < 500; tries++) {
		cons = xs_ring_load(&g->ring->req_cons);
		if (cons == xs_ring_load(&g->ring->req_prod))
			break;
		usleep(10000);
	}
	ck_assert_uint_eq(cons, xs_ring_load(&g->ring->req_prod));
	/* One reply and a half. */
	rsp_read(g, p, XS_HEADER_SIZE + 1000);
	memcpy(&h, p, sizeof h);
	ck_assert_uint_eq(h.req_id, 1);
	rsp_read(g, p, 700);
	memcpy(&h, p, sizeof h);
	ck_assert_uint_eq(h.req_id, 2);

	close(gf_fd);
	fixture_kill(&gf_fx);
	fixture_up(&gf_fx, extra);
	gf_fd = fixture_connect(&gf_fx);

	off = 700;
	for (i = 2; i <= 15; i++) {
		rsp_read(g, p + off, XS_HEADER_SIZE + 1000 - off);
		memcpy(&h, p, sizeof h);
		ck_assert_msg(h.type == XS_READ && h.req_id == i &&
		    h.len == 1000 && memcmp(p + XS_HEADER_SIZE, big, 1000) ==
		    0, "reply %u: type %u, req_id %u, len %u", i, h.type,
		    h.req_id, h.len);
		off = 0;
	}
	/* Nothing more: the reply to a new request comes next. */
	sim_guest_clear_events(g);
	ck_assert_int_eq(sim_guest_request(g, XS_GET_DOMAIN_PATH, 0, "5", 2,
	    GF_WAIT_MS), 0);
	ck_assert_uint_eq(g->hdr.type, XS_GET_DOMAIN_PATH);
	ck_assert_uint_eq(g->nevents, 0);
	sim_guest_free(g);
}
END_TEST

/*
 * A reply that went whole into rsp after the last record, while the
 * daemon had nothing else to do, is not sent again after a crash: the
 * restart reads it back from rsp and matches it with the record.
 */
START_TEST(test_crash_reply_sent)
{
	const char		*extra[] = { gf_xenarg, NULL };
	struct sim_guest	*g;
	struct xs_header	 h;
	char			 p[XS_PAYLOAD_MAX + 1];
	int			 tries;

	g = gf_guest(5);
	fixture_write_str(gf_fd, "/local/domain/5/v", "value");
	ck_assert_int_eq(sim_guest_send(g, XS_READ, 77, 0, "v", 2, GF_WAIT_MS),
	    0);
	/* Taken without a word to the daemon, which stays idle. */
	for (tries = 0; tries < 100; tries++) {
		if (xs_ring_load(&g->ring->rsp_prod) -
		    xs_ring_load(&g->ring->rsp_cons) >= XS_HEADER_SIZE + 5)
			break;
		(void)sim_guest_wait(g, 100);
	}
	ck_assert_int_lt(tries, 100);
	close(gf_fd);
	fixture_kill(&gf_fx);
	fixture_up(&gf_fx, extra);
	gf_fd = fixture_connect(&gf_fx);

	rsp_read(g, p, XS_HEADER_SIZE + 5);
	memcpy(&h, p, sizeof h);
	ck_assert_uint_eq(h.req_id, 77);
	sim_guest_clear_events(g);
	ck_assert_int_eq(sim_guest_request(g, XS_GET_DOMAIN_PATH, 0, "5", 2,
	    GF_WAIT_MS), 0);
	ck_assert_uint_eq(g->hdr.type, XS_GET_DOMAIN_PATH);
	ck_assert_uint_eq(g->nevents, 0);
	sim_guest_free(g);
}
END_TEST

static Suite *
lu_suite(void)
{
	Suite	*s = suite_create("lu");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lu_ring);
	tcase_add_test(tc, test_lu_upload);
	suite_add_tcase(s, tc);

	tc = tcase_create("core-import");
	tcase_add_checked_fixture(tc, setup_bare, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lu_import);
	suite_add_tcase(s, tc);

	tc = tcase_create("core-sockets");
	tcase_add_checked_fixture(tc, setup_none, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lu_sockets);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_none_keeps_domains);
	tcase_add_test(tc, test_crash_replies);
	tcase_add_test(tc, test_crash_reply_sent);
	tcase_add_test(tc, test_lu_control);
	tcase_add_test(tc, test_lu_exec_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(lu_suite());
}

/*
 * check_xsa.c - the Xen security advisories on xenstore whose attack a
 * guest can mount through permissions, ownership, paths, the life of
 * domains and the shape of messages, each mounted from a simulated guest
 * against the real xsdbd (check_xsa.h).
 *
 * Each test is named after its advisory and says in a comment what the
 * advisory was. The attack must fail or be bounded as in Xen's fixed C
 * xenstored (the answers were probed on the reference daemon, 4.17, with
 * a guest on a ring); then dom0 and a bystander guest are served, what
 * they stored is there, and the store passes CONTROL check.
 *
 * "No event came" is checked with a request sent afterwards, whose reply
 * would follow any event queued before it.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_xsa.h"

#define QUIET_REQ_ID	0x5a5au

static void	 d0_event(const char *, const char *);
static void	 d0_quiet(void);
static void	 d0_watch(const char *, const char *);
static void	 d0_perms_are(const char *, const char *, size_t);
static void	 d0_node(const char *, const char *, const char *);
static void	 d0_is(uint32_t, const char *, const char *);
static void	 d0_release_two(const char *, const char *, unsigned int);
static void	 oversize(struct sim_guest *);
static void	 die(unsigned int);

/* The next message to dom0 is this watch event. */
static void
d0_event(const char *path, const char *token)
{
	struct xs_header	h;
	char			p[XS_PAYLOAD_MAX + 1];
	size_t			pl;

	ck_assert_int_eq(fixture_recv(gf_fd, &h, p, GF_WAIT_MS), 0);
	ck_assert_msg(h.type == XS_WATCH_EVENT,
	    "wanted event %s %s, got type %u \"%s\"", path, token, h.type, p);
	pl = strlen(p) + 1;
	ck_assert_msg(strcmp(p, path) == 0 && pl < h.len &&
	    strcmp(p + pl, token) == 0, "wanted event %s %s, got %s %s",
	    path, token, p, pl < h.len ? p + pl : "");
}

/* No message waits for dom0. */
static void
d0_quiet(void)
{
	struct xs_header	h;
	char			p[XS_PAYLOAD_MAX + 1];

	fixture_send(gf_fd, XS_GET_DOMAIN_PATH, QUIET_REQ_ID, 0, "0", 2);
	ck_assert_int_eq(fixture_recv(gf_fd, &h, p, GF_WAIT_MS), 0);
	ck_assert_msg(h.type == XS_GET_DOMAIN_PATH &&
	    h.req_id == QUIET_REQ_ID, "wanted quiet, got type %u \"%s\"",
	    h.type, p);
}

/* dom0 watches path, takes the reply and the first event. */
static void
d0_watch(const char *path, const char *token)
{
	struct xs_header	h;
	char			buf[256], p[XS_PAYLOAD_MAX + 1];
	size_t			len;

	len = (size_t)snprintf(buf, sizeof buf, "%s%c%s%c", path, 0, token,
	    0);
	fixture_send(gf_fd, XS_WATCH, 1, 0, buf, (uint32_t)len);
	ck_assert_int_eq(fixture_recv(gf_fd, &h, p, GF_WAIT_MS), 0);
	ck_assert_msg(h.type == XS_WATCH, "watch %s: \"%s\"", path, p);
	d0_event(path, token);
}

/* dom0 finds the permissions of path to be want (len bytes). */
static void
d0_perms_are(const char *path, const char *want, size_t len)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req1(gf_fd, XS_GET_PERMS, 0, path, &rt, &rl);
	ck_assert_uint_eq(rt, XS_GET_PERMS);
	ck_assert_msg(rl == len && memcmp(r, want, len) == 0,
	    "permissions of %s", path);
}

/* dom0 writes path = value and gives it one or two entries. */
static void
d0_node(const char *path, const char *p0, const char *p1)
{
	fixture_write_str(gf_fd, path, "v");
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, path, p0, p1, NULL), 0);
}

/* A dom0 request of one string answers want. */
static void
d0_is(uint32_t type, const char *arg, const char *want)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req1(gf_fd, type, 0, arg, &rt, &rl);
	ck_assert_msg(rt == type && strcmp(r, want) == 0,
	    "type %u %s: wanted \"%s\", got type %u \"%s\"", type, arg, want,
	    rt, r);
}

/*
 * dom0 releases two domains with one write, so that one turn handles
 * both, and takes both replies and the nevents events that come.
 */
static void
d0_release_two(const char *a, const char *b, unsigned int nevents)
{
	struct xs_header	h;
	char			m[2 * (XS_HEADER_SIZE + XS_PAYLOAD_MAX)];
	char			p[XS_PAYLOAD_MAX + 1];
	size_t			len;
	unsigned int		replies = 0, events = 0;

	len = xs_wire_build(m, XS_RELEASE, 21, 0, a, (uint32_t)strlen(a) + 1);
	len += xs_wire_build(m + len, XS_RELEASE, 22, 0, b,
	    (uint32_t)strlen(b) + 1);
	fixture_send_raw(gf_fd, m, len);
	while (replies < 2 || events < nevents) {
		ck_assert_int_eq(fixture_recv(gf_fd, &h, p, GF_WAIT_MS), 0);
		if (h.type == XS_WATCH_EVENT) {
			events++;
			continue;
		}
		ck_assert_msg(h.type == XS_RELEASE, "release: \"%s\"", p);
		replies++;
	}
	ck_assert_uint_eq(events, nevents);
}

/* The guest sends a header announcing more than 4096 bytes. */
static void
oversize(struct sim_guest *g)
{
	struct xs_header	h = { XS_WRITE, 1, 0, XS_PAYLOAD_MAX + 1 };
	char			m[XS_HEADER_SIZE];

	xs_wire_header_encode(m, &h);
	ck_assert_int_eq(sim_guest_write(g, m, sizeof m, GF_WAIT_MS), 0);
	while (sim_guest_error(g) == 0)
		ck_assert_int_eq(sim_guest_wait(g, GF_WAIT_MS), 0);
	ck_assert_uint_eq(sim_guest_error(g), XS_RING_ERROR_PROTO);
}

/* Xen says domain domid is dying. */
static void
die(unsigned int domid)
{
	ck_assert_int_eq(sim_set_state(gf_simdir, domid, "dying"), 0);
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
}

/*
 * XSA-115: watch events told a guest of changes to nodes it could not
 * read, and the special watches told any guest of every domain that came
 * or went.
 */
START_TEST(test_xsa115)
{
	struct sim_guest	*g5, *g6, *g7;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/local/domain", "n0", NULL),
	    0);
	d0_node("/xsa/secret", "n0", NULL);
	d0_node("/xsa/pub", "n0", "r5");
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/", "t1", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/xsa", "t2", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "@introduceDomain", "t3",
	    NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "@releaseDomain", "t4",
	    NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_GET_DOMAIN_PATH, 0, "0", NULL), 0);
	sim_guest_clear_events(g5);

	/* dom0's private nodes: changed, given a child, removed. */
	fixture_write_str(gf_fd, "/xsa/secret", "changed");
	fixture_write_str(gf_fd, "/xsa/secret/kid", "new");
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/xsa/secret", "n0", "r6",
	    NULL), 0);
	ck_assert_int_eq(gf_d0(XS_RM, "/xsa/secret", NULL), 0);
	/* Another guest's nodes. */
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "data", "x"), 0);
	ck_assert_int_eq(gf_gr(g6, XS_RM, 0, "data", NULL), 0);
	/* Another domain comes and goes. */
	g7 = gf_guest(7);
	ck_assert_int_eq(gf_d0(XS_RELEASE, "7", NULL), 0);
	sim_guest_free(g7);
	gf_events_are(g5, "");

	/* What it may read it hears of, from both watches. */
	fixture_write_str(gf_fd, "/xsa/pub", "changed");
	gf_events_are(g5, "/xsa/pub t1;/xsa/pub t2;");
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-322: permission entries and owners naming a domain that had gone
 * stayed in the store: a new domain given the same domid had what the
 * old one was granted, and owned what the old one had made.
 */
START_TEST(test_xsa322)
{
	struct sim_guest	*g5, *g6;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	d0_node("/xsa/grant", "n0", "r5");
	d0_node("/xsa/shared", "n0", "b5");
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant", NULL), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/xsa/shared/mine",
	    "5"), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/xsa/grant", "old", NULL),
	    0);

	ck_assert_int_eq(gf_d0(XS_RELEASE, "5", NULL), 0);
	sim_guest_free(g5);
	ck_assert_int_eq(gf_d0(XS_READ, "/xsa/shared/mine", NULL), ENOENT);

	/* A new domain 5: none of the old one's rights, nor its watches. */
	g5 = gf_guest(5);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_GET_PERMS, 0, "/xsa/grant", NULL),
	    EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/xsa/shared/new", "5"),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/shared", NULL),
	    EACCES);
	/* A plain write of the node does not bring the old entry back. */
	fixture_write_str(gf_fd, "/xsa/grant", "rewritten");
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant", NULL), EACCES);
	gf_events_are(g5, "");
	/* Granted anew, it is the new domain's. */
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/xsa/grant", "n0", "r5",
	    NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant", NULL), 0);
	ck_assert_str_eq(g5->msg, "rewritten");
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-417: a node written between the death of a domain and the
 * introduction of a new one with its domid (while dom0 prepares the new
 * domain's home) counted as granted to the new domain.
 */
START_TEST(test_xsa417)
{
	struct sim_guest	*g5, *g6;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	d0_node("/xsa/grant", "n0", "r5");
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_RELEASE, "5", NULL), 0);
	sim_guest_free(g5);
	/* Granted while no domain 5 exists: kept, shown, but ignored. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 5, "gone"), 0);
	d0_node("/xsa/early", "n0", "r5");
	d0_perms_are("/xsa/early", "n0\0r5", 6);

	/* The toolstack builds the new domain 5, and the node is written. */
	ck_assert_int_eq(sim_guest_new(gf_simdir, 5, GF_PORT_BASE + 5, true,
	    &g5), 0);
	ck_assert_int_eq(sim_home_make(gf_fx.sock, 5), 0);
	fixture_write_str(gf_fd, "/xsa/grant", "meant for the old domain 5");
	fixture_write_str(gf_fd, "/xsa/grant/kid", "too");
	ck_assert_int_eq(sim_guest_introduce(g5, gf_fx.sock), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, 0, "/xsa/grant", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/grant/kid", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/xsa/early", NULL), EACCES);
	d0_perms_are("/xsa/early", "n0\0r5", 6);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/* A dom0 request of several strings in transaction tx answers OK. */
static void
d0_ok_in(uint32_t tx, uint32_t type, const char *payload, size_t len)
{
	struct xs_header	h;
	char			buf[XS_PAYLOAD_MAX + 1];

	fixture_send(gf_fd, type, 1, tx, payload, len);
	ck_assert_int_eq(fixture_recv(gf_fd, &h, buf, GF_WAIT_MS), 0);
	ck_assert_msg(h.type == type, "type %u: got %u \"%s\"", type, h.type,
	    buf);
}

/*
 * The other side of XSA-322 and XSA-417: what dom0 grants to a domain
 * Xen has made but that is not introduced yet, inside a transaction as
 * a toolstack builds a guest's nodes, holds for that domain once
 * introduced, and after a restart of the daemon.
 */
START_TEST(test_grant_before_introduce)
{
	struct sim_guest	*g7, *g6;
	const char		*r;
	uint32_t		 rt, rl, tx;

	xsa_start(NULL);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(sim_guest_new(gf_simdir, 7, GF_PORT_BASE + 7, true,
	    &g7), 0);
	r = fixture_req1(gf_fd, XS_TRANSACTION_START, 0, "", &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_START);
	tx = (uint32_t)strtoul(r, NULL, 10);
	d0_ok_in(tx, XS_WRITE, "/xsa/seven\0v", 12);
	d0_ok_in(tx, XS_SET_PERMS, "/xsa/seven\0n0\0r7", 17);
	d0_ok_in(tx, XS_TRANSACTION_END, "T", 2);
	ck_assert_int_eq(sim_home_make(gf_fx.sock, 7), 0);
	ck_assert_int_eq(sim_guest_introduce(g7, gf_fx.sock), 0);
	ck_assert_int_eq(gf_gr(g7, XS_READ, 0, "/xsa/seven", NULL), 0);
	ck_assert_str_eq(g7->msg, "v");
	gf_restart();
	ck_assert_int_eq(gf_gr(g7, XS_READ, 0, "/xsa/seven", NULL), 0);
	fixture_write_str(gf_fd, "/xsa/seven", "w");
	ck_assert_int_eq(gf_gr(g7, XS_READ, 0, "/xsa/seven", NULL), 0);
	ck_assert_str_eq(g7->msg, "w");
	xsa_healthy(g6);
	sim_guest_free(g7);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-323: oxenstored checked the length of a path as the guest wrote
 * it, relative or absolute: a guest could make nodes whose absolute path
 * was too long for dom0's tools to reach or remove.
 */
START_TEST(test_xsa323)
{
	struct sim_guest	*g5, *g6;
	char			 rel[XS_REL_PATH_MAX + 2];
	char			 abs[XS_ABS_PATH_MAX + 1];
	const char		*r;
	uint32_t		 rt, rl;
	size_t			 i;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	/*
	 * The longest relative path, in components of 100 bytes (a longer
	 * name would pass the node-size quota of its parent): dom0 reaches
	 * it, and removes it.
	 */
	for (i = 0; i < sizeof rel - 1; i++)
		rel[i] = i % 101 == 100 ? '/' : 'a';
	rel[XS_REL_PATH_MAX] = '\0';
	ck_assert_int_eq(gf_gw(g5, 0, rel, 3), 0);
	snprintf(abs, sizeof abs, "/local/domain/5/%s", rel);
	r = fixture_req1(gf_fd, XS_READ, 0, abs, &rt, &rl);
	ck_assert_msg(rt == XS_READ && rl == 3, "dom0 read: %s", r);
	abs[strlen("/local/domain/5/") + 100] = '\0';
	ck_assert_int_eq(gf_d0(XS_RM, abs, NULL), 0);
	/* One more byte, relative or absolute, in any request: refused. */
	rel[XS_REL_PATH_MAX] = 'a';
	rel[XS_REL_PATH_MAX + 1] = '\0';
	ck_assert_int_ne(rel[XS_REL_PATH_MAX - 1], '/');
	snprintf(abs, sizeof abs, "/local/domain/5/%s", rel);
	ck_assert_int_eq(gf_gw(g5, 0, rel, 3), EINVAL);
	ck_assert_int_eq(gf_gw(g5, 0, abs, 3), EINVAL);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, rel, NULL), EINVAL);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, abs, NULL), EINVAL);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, rel, "t", NULL), EINVAL);
	ck_assert_uint_eq(xsa_count("/local/domain/5"), 1);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-324: a watch set with a token near the largest payload made
 * events, for nodes below the watched one, longer than a message may be:
 * C xenstored crashed, oxenstored dropped the guest. Such an event is
 * dropped; the guest keeps its connection.
 */
START_TEST(test_xsa324)
{
	struct sim_guest	*g5, *g6;
	static char		 buf[XS_PAYLOAD_MAX + 1];
	static char		 p[XS_PAYLOAD_MAX + 1];
	struct xs_header	 h;
	size_t			 tlen = XS_PAYLOAD_MAX - 3;
	const char		*path, *token;
	char			 v[16];

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	/* "a\0<token>\0": exactly the largest payload. */
	buf[0] = 'a';
	buf[1] = '\0';
	memset(buf + 2, 'T', tlen);
	buf[2 + tlen] = '\0';
	ck_assert_int_eq(sim_guest_request(g5, XS_WATCH, 0, buf,
	    XS_PAYLOAD_MAX, GF_WAIT_MS), 0);
	ck_assert_uint_eq(g5->hdr.type, XS_WATCH);
	/* Its first event is the largest message there is: it comes. */
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path, &token),
	    0);
	ck_assert_str_eq(path, "a");
	ck_assert_uint_eq(strlen(token), tlen);
	/* Events of nodes below would be longer: none comes, the rest goes. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "a/b/c", "1"), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "a", "2"), 0);
	ck_assert_int_eq(sim_guest_read_node(g5, 0, "a", v, sizeof v), 0);
	ck_assert_int_eq(gf_gr(g5, XS_GET_DOMAIN_PATH, 0, "5", NULL), 0);
	ck_assert_uint_eq(g5->nevents, 1);
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path, &token),
	    0);
	ck_assert_str_eq(path, "a");
	ck_assert_uint_eq(g5->nevents, 0);
	ck_assert_uint_eq(sim_guest_error(g5), 0);
	/* The same from dom0, whose connection goes on too. */
	snprintf(buf, sizeof buf, "/local/domain/5/a");
	tlen = XS_PAYLOAD_MAX - 19;
	memset(buf + 18, 'D', tlen);
	buf[XS_PAYLOAD_MAX - 1] = '\0';
	fixture_send(gf_fd, XS_WATCH, 1, 0, buf, XS_PAYLOAD_MAX);
	ck_assert_int_eq(fixture_recv(gf_fd, &h, p, GF_WAIT_MS), 0);
	ck_assert_uint_eq(h.type, XS_WATCH);
	ck_assert_int_eq(fixture_recv(gf_fd, &h, p, GF_WAIT_MS), 0);
	ck_assert_uint_eq(h.type, XS_WATCH_EVENT);
	ck_assert_uint_eq(h.len, XS_PAYLOAD_MAX);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "a/b/c", "3"), 0);
	d0_quiet();
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "a", "4"), 0);
	d0_event("/local/domain/5/a", buf + 18);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-325: a guest that broke the ring protocol was dropped as if it had
 * died: @releaseDomain fired while it still ran, none came when it died,
 * and with a stub domain acting for it C xenstored used freed memory.
 */
START_TEST(test_xsa325)
{
	struct sim_guest	*g5, *g6, *g7, *g8;
	char			 v[64];
	int			 rc;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "data", "1"), 0);
	d0_watch("@releaseDomain", "r");

	oversize(g5);
	d0_quiet();
	d0_is(XS_IS_DOMAIN_INTRODUCED, "5", "T");
	ck_assert_int_eq(gf_d0(XS_READ, "/local/domain/5/data", NULL), 0);
	/* Its death is told, and its nodes go. */
	die(5);
	d0_event("@releaseDomain", "r");
	d0_quiet();
	d0_is(XS_IS_DOMAIN_INTRODUCED, "5", "F");
	ck_assert_int_eq(gf_d0(XS_READ, "/local/domain/5", NULL), ENOENT);

	/* Domain 8 acts for 7, which breaks the protocol, then both die. */
	g7 = gf_guest(7);
	g8 = gf_guest(8);
	ck_assert_int_eq(gf_d0(XS_SET_TARGET, "8", "7", NULL), 0);
	ck_assert_int_eq(sim_guest_write_node(g7, 0, "data", "7"), 0);
	ck_assert_int_eq(gf_gr(g8, XS_WATCH, 0, "/local/domain/7", "t",
	    NULL), 0);
	oversize(g7);
	ck_assert_int_eq(sim_guest_read_node(g8, 0, "/local/domain/7/data",
	    v, sizeof v), 0);
	die(7);
	d0_event("@releaseDomain", "r");
	rc = sim_guest_read_node(g8, 0, "/local/domain/7/data", v, sizeof v);
	ck_assert(rc == ENOENT || rc == EACCES);
	ck_assert_int_eq(sim_guest_write_node(g8, 0, "data", "8"), 0);
	die(8);
	d0_event("@releaseDomain", "r");
	d0_quiet();
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
	sim_guest_free(g7);
	sim_guest_free(g8);
}
END_TEST

/*
 * XSA-352: oxenstored let a guest change the owner of a node, giving its
 * nodes away (out of its quota) or taking others'.
 */
START_TEST(test_xsa352)
{
	struct sim_guest	*g5, *g6;
	uint32_t		 tx;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "mine", "v"), 0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "mine", "n0", NULL),
	    EPERM);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "mine", "b6", "r5",
	    NULL), EPERM);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "mine", "n5", "r6",
	    NULL), 0);
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, tx, "mine", "n6", NULL),
	    EPERM);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	d0_perms_are("/local/domain/5/mine", "n5\0r6", 6);

	/* Write access is not ownership; a child it makes stays its own. */
	d0_node("/xsa/both", "n0", "b5");
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/xsa/both", "n5",
	    NULL), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/xsa/both/kid", "k"),
	    0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/xsa/both/kid", "n0",
	    "b5", NULL), EPERM);
	d0_perms_are("/xsa/both", "n0\0b5", 6);
	d0_perms_are("/xsa/both/kid", "n5\0b5", 6);
	/* Nor may another guest take it. */
	ck_assert_int_eq(gf_gr(g6, XS_SET_PERMS, 0, "/local/domain/5/mine",
	    "n6", NULL), EACCES);
	ck_assert_uint_eq(gf_usage(5, "nodes"), 3);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-353: oxenstored did not check permissions on the root node: a
 * guest could change its permissions, list it, or remove the whole tree.
 */
START_TEST(test_xsa353)
{
	static const uint32_t	 types[] = { XS_READ, XS_DIRECTORY,
				    XS_GET_PERMS, XS_MKDIR, XS_RM };
	struct sim_guest	*g5, *g6;
	unsigned int		 before, i;
	uint32_t		 tx;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	before = xsa_count("/");
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		ck_assert_msg(gf_gr(g5, types[i], 0, "/", NULL) == EACCES,
		    "type %u on /", types[i]);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/", "r5", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/", "n5", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY_PART, 0, "/", "0", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gw(g5, 0, "/", 1), EACCES);
	/* The same in a transaction, which then commits nothing. */
	tx = gf_gtx(g5);
	ck_assert_int_eq(gf_gr(g5, XS_RM, tx, "/", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, tx, "/", "b5", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	d0_perms_are("/", "n0", 3);
	ck_assert_uint_eq(xsa_count("/"), before);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-419: nodes a guest made outside its home outlived it, handed to
 * dom0 and so out of any quota: guests that reboot again and again, or
 * that create nodes for each other, could fill the store.
 */
START_TEST(test_xsa419)
{
	struct sim_guest	*g5, *g6;
	char			 path[64];
	unsigned long long	 d0nodes;
	unsigned int		 cycle, i;

	xsa_start(NULL);
	g6 = xsa_bystander(6);
	d0_node("/xsa/shared", "n0", NULL);
	ck_assert_int_eq(gf_gr(g6, XS_MKDIR, 0, "share", NULL), 0);
	d0nodes = gf_usage(0, "nodes");
	for (cycle = 0; cycle < 3; cycle++) {
		/*
		 * Each new domain 5 is granted its rights again: those of
		 * the one before do not pass to it (XSA-322).
		 */
		g5 = gf_guest(5);
		ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/xsa/shared", "n0",
		    "b5", NULL), 0);
		ck_assert_int_eq(gf_gr(g6, XS_SET_PERMS, 0, "share", "n6",
		    "b5", NULL), 0);
		for (i = 0; i < 300; i++) {
			snprintf(path, sizeof path, "/xsa/shared/c%u-%u",
			    cycle, i);
			ck_assert_int_eq(sim_guest_write_node(g5, 0, path,
			    "x"), 0);
		}
		/* Nodes for the other guest, in its home, are its own. */
		for (i = 0; i < 50; i++) {
			snprintf(path, sizeof path,
			    "/local/domain/6/share/c%u-%u", cycle, i);
			ck_assert_int_eq(sim_guest_write_node(g5, 0, path,
			    "x"), 0);
		}
		ck_assert_uint_eq(gf_usage(5, "nodes"), 351);
		ck_assert_int_eq(gf_d0(XS_RELEASE, "5", NULL), 0);
		sim_guest_free(g5);
		/* They went with it. */
		ck_assert_uint_eq(xsa_count("/xsa/shared"), 1);
		ck_assert_uint_eq(xsa_count("/local/domain/6/share"), 1);
	}
	/* None of them was handed to dom0. */
	ck_assert_uint_eq(gf_usage(0, "nodes"), d0nodes);
	xsa_healthy(g6);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-481: the illegal path "/local/domain/" hit an assert in C
 * xenstored, or with NDEBUG had it spin on that guest's requests.
 */
START_TEST(test_xsa481)
{
	static const char *const paths[] = { "/local/domain/",
	    "/local/domain//", "/local/domain/5/", "/local/domain/5//x",
	    "/local//domain/5", "//", "/local/domain/5/x/", "", NULL };
	static const uint32_t	 types[] = { XS_READ, XS_DIRECTORY,
				    XS_GET_PERMS, XS_MKDIR, XS_RM };
	struct sim_guest	*g5, *g6;
	unsigned int		 i, k;
	uint32_t		 tx;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	tx = gf_gtx(g5);
	for (i = 0; paths[i] != NULL; i++) {
		for (k = 0; k < sizeof types / sizeof types[0]; k++) {
			ck_assert_msg(gf_gr(g5, types[k], 0, paths[i],
			    NULL) == EINVAL, "type %u on \"%s\"", types[k],
			    paths[i]);
			ck_assert_msg(gf_gr(g5, types[k], tx, paths[i],
			    NULL) == EINVAL, "type %u on \"%s\" in a "
			    "transaction", types[k], paths[i]);
		}
		ck_assert_int_eq(gf_gw(g5, 0, paths[i], 1), EINVAL);
		ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, paths[i], "t", NULL),
		    EINVAL);
		ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, paths[i], "n5",
		    NULL), EINVAL);
		ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY_PART, 0, paths[i],
		    "0", NULL), EINVAL);
	}
	ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_END, tx, "T", NULL), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "still", "served"), 0);
	ck_assert_uint_eq(sim_guest_error(g5), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-483: oxenstored kept a domain's quota counts after the domain was
 * destroyed: a new domain with the same domid started out charged with
 * what the old one had used.
 */
START_TEST(test_xsa483)
{
	static const char *const opts[] = { "-E", "20", "-W", "4", "-t", "2",
	    NULL };
	struct sim_guest	*g5, *g6;
	char			 path[32], tok[16];
	unsigned int		 round, i;

	xsa_start(opts);
	g6 = xsa_bystander(6);
	for (round = 0; round < 3; round++) {
		g5 = gf_guest(5);
		ck_assert_uint_eq(gf_usage(5, "nodes"), 1);
		ck_assert_uint_eq(gf_usage(5, "watches"), 0);
		ck_assert_uint_eq(gf_usage(5, "transactions"), 0);
		/* All of its quotas, from the first to the last. */
		for (i = 0; i < 19; i++) {
			snprintf(path, sizeof path, "n%u", i);
			ck_assert_int_eq(gf_gw(g5, 0, path, 1), 0);
		}
		ck_assert_int_eq(gf_gw(g5, 0, "over", 1), ENOSPC);
		for (i = 0; i < 5; i++) {
			snprintf(tok, sizeof tok, "t%u", i);
			ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "n0", tok,
			    NULL), 0);
		}
		ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "n0", "over", NULL),
		    E2BIG);
		for (i = 0; i < 3; i++)
			(void)gf_gtx(g5);
		ck_assert_int_eq(gf_gr(g5, XS_TRANSACTION_START, 0, "",
		    NULL), ENOSPC);
		/* Gone with its transactions open. */
		ck_assert_int_eq(gf_d0(XS_RELEASE, "5", NULL), 0);
		sim_guest_free(g5);
	}
	xsa_healthy(g6);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-233: when a domain with a stub domain acting for it (SET_TARGET)
 * went away, C xenstored could free the domain's data twice.
 */
START_TEST(test_xsa233)
{
	struct sim_guest	*g5, *g6, *g7;
	char			 v[64];
	unsigned int		 round;
	int			 rc;

	xsa_start(NULL);
	g6 = xsa_bystander(6);
	d0_watch("@releaseDomain", "r");
	for (round = 0; round < 3; round++) {
		g5 = gf_guest(5);
		g7 = gf_guest(7);
		ck_assert_int_eq(gf_d0(XS_SET_TARGET, "7", "5", NULL), 0);
		ck_assert_int_eq(sim_guest_write_node(g7,
		    0, "/local/domain/5/dm", "up"), 0);
		ck_assert_int_eq(gf_gr(g7, XS_WATCH, 0, "/local/domain/5",
		    "t", NULL), 0);
		ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "dm", "t", NULL), 0);
		switch (round) {
		case 0:		/* the domain first, then its stub */
			die(5);
			d0_event("@releaseDomain", "r");
			rc = sim_guest_read_node(g7, 0, "/local/domain/5/dm",
			    v, sizeof v);
			ck_assert(rc == ENOENT || rc == EACCES);
			die(7);
			d0_event("@releaseDomain", "r");
			break;
		case 1:		/* the stub domain first */
			die(7);
			d0_event("@releaseDomain", "r");
			ck_assert_int_eq(sim_guest_write_node(g5, 0, "dm",
			    "alone"), 0);
			die(5);
			d0_event("@releaseDomain", "r");
			break;
		default:	/* both in one turn */
			d0_release_two("5", "7", 2);
			break;
		}
		d0_quiet();
		sim_guest_free(g5);
		sim_guest_free(g7);
	}
	d0_is(XS_IS_DOMAIN_INTRODUCED, "5", "F");
	d0_is(XS_IS_DOMAIN_INTRODUCED, "7", "F");
	xsa_healthy(g6);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-425: a RELEASE handled while C xenstored walked its connections
 * freed one the walk was about to use (a guest could have the toolstack
 * send it by a soft reset, over and over).
 */
START_TEST(test_xsa425)
{
	struct sim_guest	*g[2], *g6;
	char			 m[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t			 len, done;
	unsigned int		 round, k;

	xsa_start(NULL);
	g6 = xsa_bystander(6);
	len = xs_wire_build(m, XS_READ, 9, 0, "x", 2);
	for (round = 0; round < 20; round++) {
		g[0] = gf_guest(5);
		g[1] = gf_guest(7);
		/* Both fill their rings; dom0 releases both in one go. */
		for (k = 0; k < 2; k++) {
			do {
				ck_assert_int_eq(sim_guest_put(g[k], m, len,
				    &done), 0);
			} while (done == len);
		}
		d0_release_two("5", "7", 0);
		sim_guest_free(g[0]);
		sim_guest_free(g[1]);
	}
	d0_quiet();
	d0_is(XS_IS_DOMAIN_INTRODUCED, "5", "F");
	xsa_healthy(g6);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-72: oxenstored mishandled a reply longer than a message may be
 * (a DIRECTORY of a node with many children), and the guest's ring was
 * no longer served.
 */
START_TEST(test_xsa72)
{
	struct sim_guest	*g5, *g6;
	char			 path[128], off[16];
	unsigned int		 i, names;
	size_t			 pos = 0, at, genlen;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (i = 0; i < 120; i++) {
		snprintf(path, sizeof path, "/xsa/wide/c%03u%s", i,
		    "-a-long-name-of-forty-bytes-or-so-xxxxxx");
		fixture_write_str(gf_fd, path, "");
	}
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/xsa/wide", "n0", "r5", NULL),
	    0);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, 0, "/xsa/wide", NULL),
	    E2BIG);
	ck_assert_uint_eq(sim_guest_error(g5), 0);
	/* DIRECTORY_PART gives the list in pieces. */
	for (names = 0;;) {
		snprintf(off, sizeof off, "%zu", pos);
		ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY_PART, 0, "/xsa/wide",
		    off, NULL), 0);
		genlen = strlen(g5->msg) + 1;
		for (at = genlen; at < g5->hdr.len && g5->msg[at] != '\0';
		    at += strlen(g5->msg + at) + 1) {
			names++;
			pos += strlen(g5->msg + at) + 1;
		}
		if (at < g5->hdr.len)
			break;
	}
	ck_assert_uint_eq(names, 120);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "still", "served"), 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-38: oxenstored trusted the indices of a guest's ring: impossible
 * ones made it read past the ring or allocate without bound.
 */
START_TEST(test_xsa38)
{
	static const uint32_t	 bad[][2] = {	/* cons, prod */
		{ 0, 0xffffffffU }, { 0x10, 0x0f }, { 0, 1025 },
		{ 0x7fffffffU, 0x80000401U }, { 0xfffffc00U, 0x00000401U }
	};
	struct sim_guest	*g5, *g6;
	unsigned int		 i;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(g5->ring->req, 0xa5, sizeof g5->ring->req);
		xs_ring_store(&g5->ring->req_cons, bad[i][0]);
		xs_ring_store(&g5->ring->req_prod, bad[i][1]);
		sim_guest_kick(g5);
		while (sim_guest_error(g5) == 0)
			ck_assert_int_eq(sim_guest_wait(g5, GF_WAIT_MS), 0);
		ck_assert_uint_eq(sim_guest_error(g5), XS_RING_ERROR_RINGIDX);
		xsa_healthy(g6);
		ck_assert_int_eq(sim_guest_reconnect(g5, GF_WAIT_MS), 0);
		ck_assert_int_eq(sim_guest_write_node(g5, 0, "ok", "1"), 0);
	}
	/* Reply indices too. */
	xs_ring_store(&g5->ring->rsp_cons,
	    xs_ring_load(&g5->ring->rsp_prod) + 0x40000000U);
	ck_assert_int_eq(sim_guest_send(g5, XS_READ, 1, 0, "ok", 3,
	    GF_WAIT_MS), 0);
	while (sim_guest_error(g5) == 0)
		ck_assert_int_eq(sim_guest_wait(g5, GF_WAIT_MS), 0);
	ck_assert_uint_eq(sim_guest_error(g5), XS_RING_ERROR_RINGIDX);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/*
 * XSA-420: oxenstored kept numbers in 31-bit OCaml integers: values past
 * 2^31 were cut short, to bypass quotas or crash it. Every number a
 * guest sends at those edges gets an answer to that very request, its
 * node stays its own, and a watch taken with such a depth is kept as
 * taken: it fires again after a restart, as every watch of a guest.
 */
START_TEST(test_xsa420)
{
	static const char *const nums[] = { "2147483646", "2147483647",
	    "2147483648", "4294967295", "4294967296", "18446744073709551617",
	    "-2147483649", NULL };
	static const uint32_t	 ids[] = { 0x7fffffffU, 0x80000000U,
				    0xffffffffU };
	struct sim_guest	*g5, *g6;
	char			 perm[32];
	const char		*r, *path, *token;
	uint32_t		 rt, rl;
	unsigned int		 i, watches = 0;

	xsa_start(NULL);
	g5 = gf_guest(5);
	g6 = xsa_bystander(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "n", "v"), 0);
	/* Request and transaction ids travel back as they came. */
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		ck_assert_int_eq(sim_guest_send(g5, XS_READ, ids[i], 0, "n", 2,
		    GF_WAIT_MS), 0);
		ck_assert_int_eq(sim_guest_recv(g5, GF_WAIT_MS), 0);
		ck_assert_uint_eq(g5->hdr.req_id, ids[i]);
		ck_assert_uint_eq(g5->hdr.type, XS_READ);
		ck_assert_int_eq(gf_gr(g5, XS_READ, ids[i], "n", NULL),
		    ENOENT);
	}
	/* Numbers in payloads. */
	for (i = 0; nums[i] != NULL; i++) {
		(void)gf_gr(g5, XS_GET_DOMAIN_PATH, 0, nums[i], NULL);
		(void)gf_gr(g5, XS_DIRECTORY_PART, 0, "n", nums[i], NULL);
		if (gf_gr(g5, XS_WATCH, 0, "n", nums[i], nums[i], NULL) == 0)
			watches++;
		snprintf(perm, sizeof perm, "r%s", nums[i]);
		(void)gf_gr(g5, XS_SET_PERMS, 0, "n", "n5", perm, NULL);
		snprintf(perm, sizeof perm, "n%s", nums[i]);
		ck_assert_int_ne(gf_gr(g5, XS_SET_PERMS, 0, "n", perm, NULL),
		    0);
		/* Whatever a number became, the node is still its own. */
		r = fixture_req1(gf_fd, XS_GET_PERMS, 0, "/local/domain/5/n",
		    &rt, &rl);
		ck_assert_msg(rt == XS_GET_PERMS && strcmp(r, "n5") == 0,
		    "owner after %s: %s", nums[i], r);
	}
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "n", "n5", NULL), 0);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "still", "served"), 0);
	ck_assert_uint_gt(watches, 0);

	/* Each watch it was given fires once after a restart. */
	sim_guest_clear_events(g5);
	gf_restart();
	for (i = 0; i < watches; i++) {
		ck_assert_msg(sim_guest_next_event(g5, GF_WAIT_MS, &path,
		    &token) == 0, "%u of %u watches fired after a restart", i,
		    watches);
		ck_assert_str_eq(path, "n");
	}
	ck_assert_int_eq(gf_gr(g5, XS_GET_DOMAIN_PATH, 0, "5", NULL), 0);
	ck_assert_uint_eq(g5->nevents, 0);
	xsa_healthy(g6);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/* The suite: one test case per kind of weakness. */
static Suite *
xsa_suite(void)
{
	Suite	*s = suite_create("xsa");
	TCase	*tc;

	/* Each test starts the daemon with its options (xsa_start). */
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, gf_fini);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xsa115);
	tcase_add_test(tc, test_xsa352);
	tcase_add_test(tc, test_xsa353);
	tcase_add_test(tc, test_xsa419);
	tcase_add_test(tc, test_xsa483);
	tcase_add_test(tc, test_xsa322);
	tcase_add_test(tc, test_xsa417);
	tcase_add_test(tc, test_grant_before_introduce);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, NULL, gf_fini);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xsa72);
	tcase_add_test(tc, test_xsa323);
	tcase_add_test(tc, test_xsa324);
	tcase_add_test(tc, test_xsa420);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, NULL, gf_fini);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xsa38);
	tcase_add_test(tc, test_xsa233);
	tcase_add_test(tc, test_xsa325);
	tcase_add_test(tc, test_xsa425);
	tcase_add_test(tc, test_xsa481);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; fail if any test failed. */
int
main(void)
{
	return fixture_main(xsa_suite());
}

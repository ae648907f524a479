/*
 * check_domain_sim.c - the life of domains, against the real xsdbd on a
 * simulated Xen (--xen=sim:DIR) with guests speaking over real rings
 * (sim-guest.c): INTRODUCE and RELEASE with their events, the nodes a
 * released domain owned (removed, or kept with -K), SET_TARGET, features,
 * the death and shutdown of domains through VIRQ_DOM_EXC, and a guest
 * that goes on working across a SIGKILL and restart of the daemon, its
 * watches firing again.
 *
 * Waiting is on events, never on time: an event that must come is waited
 * for; "nothing came" is checked with a request sent afterwards, whose
 * reply would follow any event queued before it.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-fixture.h"

#define DOMAIN_FEATURES_ALL	(XS_FEATURE_RECONNECTION | XS_FEATURE_ERROR | \
				 XS_FEATURE_WATCH_DEPTH | XS_FEATURE_DOMID_ANY)

static void	 setup(void);
static void	 setup_keep(void);
static void	 send_req(int, uint32_t, const void *, uint32_t);
static void	 recv_msg(int, struct xs_header *, char *);
static void	 expect_reply(int, uint32_t, const char *);
static void	 watch(int, const char *, const char *, const char *);
static bool	 port_bound(const struct sim_guest *);
static void	 guest_quiet(struct sim_guest *);
static void	 store_ok(int);

/* A daemon on a simulated Xen, and one dom0 connection. */
static void
setup(void)
{
	gf_start(NULL);
}

/* The same with -K: nodes of released domains are kept. */
static void
setup_keep(void)
{
	static const char *const opts[] = { "-K", NULL };

	gf_start(opts);
}

/* Send a request without waiting. */
static void
send_req(int s, uint32_t type, const void *p, uint32_t len)
{
	fixture_send(s, type, 1, 0, p, len);
}

/* The next message of any kind. */
static void
recv_msg(int s, struct xs_header *h, char *payload)
{
	ck_assert_int_eq(fixture_recv(s, h, payload, GF_WAIT_MS), 0);
}

/* The next message must be a reply of type with payload want. */
static void
expect_reply(int s, uint32_t type, const char *want)
{
	struct xs_header	h;
	char			p[XS_PAYLOAD_MAX + 1];

	recv_msg(s, &h, p);
	ck_assert_msg(h.type == type && strcmp(p, want) == 0,
	    "wanted type %u \"%s\", got type %u \"%s\"", type, want, h.type,
	    p);
}

/* WATCH path token [depth] from dom0, and its first event. */
static void
watch(int s, const char *path, const char *token, const char *depth)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	len;

	len = (size_t)snprintf(buf, sizeof buf, "%s%c%s%c", path, 0, token,
	    0);
	if (depth != NULL)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%c",
		    depth, 0);
	send_req(s, XS_WATCH, buf, (uint32_t)len);
	expect_reply(s, XS_WATCH, "OK");
	fixture_expect_event(s, path, token);
}

/* True while the daemon has the guest's event channel bound. */
static bool
port_bound(const struct sim_guest *g)
{
	char		path[256];
	struct stat	sb;

	snprintf(path, sizeof path, "%s/ev-%u-%u", gf_simdir, g->domid,
	    g->port);
	return stat(path, &sb) == 0;
}

/* No event waits for the guest: a request's reply comes first. */
static void
guest_quiet(struct sim_guest *g)
{
	sim_guest_clear_events(g);
	ck_assert_int_eq(sim_guest_request(g, XS_GET_DOMAIN_PATH, 0, "0", 2,
	    GF_WAIT_MS), 0);
	ck_assert_uint_eq(g->nevents, 0);
}

#define S(lit)	(lit), (uint32_t)(sizeof(lit) - 1)

/* The store passes its integrity check (CONTROL check). */
static void
store_ok(int s)
{
	fixture_answer(s, XS_CONTROL, 0, S("check\0"), "OK");
}

START_TEST(test_introduce)
{
	struct sim_guest	*g;
	char			 v[64];

	watch(gf_fd, "@introduceDomain", "i", NULL);
	watch(gf_fd, "@introduceDomain", "i1", "1");
	watch(gf_fd, "@introduceDomain/5", "i5", NULL);
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");

	g = gf_guest(5);
	/* Both forms of the event, in the order the watches were set. */
	fixture_expect_event(gf_fd, "@introduceDomain", "i");
	fixture_expect_event(gf_fd, "@introduceDomain/5", "i1");
	fixture_expect_event(gf_fd, "@introduceDomain/5", "i5");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	ck_assert(port_bound(g));
	ck_assert_uint_eq(sim_guest_features(g), DOMAIN_FEATURES_ALL);

	/* The guest is served, in its home, with relative paths. */
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	ck_assert_int_eq(sim_guest_read_node(g, 0,
	    "/local/domain/5/data/x", v, sizeof v), 0);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(sim_guest_op(g, XS_GET_DOMAIN_PATH, 0, "5", NULL),
	    0);
	ck_assert_str_eq(g->msg, "/local/domain/5");
	/* But may not manage domains. */
	ck_assert_int_eq(sim_guest_op(g, XS_INTRODUCE, 0, "6", "1"), EACCES);
	ck_assert_int_eq(sim_guest_op(g, XS_RELEASE, 0, "5", NULL), EACCES);
	ck_assert_int_eq(sim_guest_op(g, XS_IS_DOMAIN_INTRODUCED, 0, "5",
	    NULL), EACCES);
	sim_guest_free(g);
}
END_TEST

START_TEST(test_reintroduce)
{
	struct sim_guest	*g;
	const char		*path, *token;
	char			 buf[64];
	size_t			 n;

	g = gf_guest(5);
	watch(gf_fd, "@introduceDomain", "i", NULL);
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);

	/* The same domain again: OK, no event, its watches dropped. */
	n = (size_t)snprintf(buf, sizeof buf, "5%c0%c%u%c", 0, 0, g->port, 0);
	fixture_ok(gf_fd, XS_INTRODUCE, 0, buf, (uint32_t)n);
	fixture_expect_quiet(gf_fd);
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	fixture_write_str(gf_fd, "/local/domain/5/data", "changed");
	guest_quiet(g);
	/* And it is served still. */
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/y", "2"), 0);
	sim_guest_free(g);
}
END_TEST

/*
 * The guest closes its event channel and makes it again (a new kernel):
 * the daemon's binding no longer reaches it, whatever the port's number.
 * An INTRODUCE binds it afresh, as Xen 4.17 does (each one binds a new
 * local port on the reference), with the same port or another; the
 * guest is served over the new channel and its watches are gone.
 */
START_TEST(test_reintroduce_rebind)
{
	struct sim_guest	*g, *h;
	const char		*path, *token;
	char			 evpath[256], buf[64];
	uint32_t		 port;
	size_t			 n;

	g = gf_guest(5);
	port = g->port;
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);

	/* The channel is gone: the daemon's end of it is no more. */
	snprintf(evpath, sizeof evpath, "%s/ev-5-%u", gf_simdir, port);
	ck_assert_int_eq(unlink(evpath), 0);
	ck_assert(!port_bound(g));
	sim_guest_free(g);
	/* Made again under the same number, on the same page. */
	ck_assert_int_eq(sim_guest_new(gf_simdir, 5, port, false, &g), 0);
	n = (size_t)snprintf(buf, sizeof buf, "5%c0%c%u%c", 0, 0, port, 0);
	fixture_ok(gf_fd, XS_INTRODUCE, 0, buf, (uint32_t)n);
	ck_assert(port_bound(g));
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	guest_quiet(g);

	/* Made again under another number: bound to that one. */
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_int_eq(sim_guest_new(gf_simdir, 5, port + 1, false, &h), 0);
	n = (size_t)snprintf(buf, sizeof buf, "5%c0%c%u%c", 0, 0, port + 1,
	    0);
	fixture_ok(gf_fd, XS_INTRODUCE, 0, buf, (uint32_t)n);
	ck_assert(port_bound(h));
	ck_assert(!port_bound(g));
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	fixture_write_str(gf_fd, "/local/domain/5/data", "changed");
	guest_quiet(h);
	ck_assert_int_eq(sim_guest_write_node(h, 0, "data/y", "2"), 0);
	sim_guest_free(g);
	sim_guest_free(h);
}
END_TEST

START_TEST(test_release)
{
	struct sim_guest	*g;

	g = gf_guest(5);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	/* Nodes of domain 5 outside its home, with nodes of others below. */
	fixture_write_str(gf_fd, "/tool/g5", "");
	fixture_ok(gf_fd, XS_SET_PERMS, 0, S("/tool/g5\0b5\0"));
	fixture_write_str(gf_fd, "/tool/g5/kid", "");
	fixture_ok(gf_fd, XS_SET_PERMS, 0, S("/tool/g5/kid\0n0\0"));
	fixture_write_str(gf_fd, "/other/c", "");
	fixture_ok(gf_fd, XS_SET_PERMS, 0, S("/other/c\0n5\0"));

	watch(gf_fd, "/local/domain/5/data/x", "x", NULL);
	watch(gf_fd, "/tool/g5", "g", NULL);
	watch(gf_fd, "/other", "o", NULL);
	watch(gf_fd, "@releaseDomain", "r", NULL);
	watch(gf_fd, "@releaseDomain", "r1", "1");
	watch(gf_fd, "@releaseDomain/5", "r5", NULL);

	send_req(gf_fd, XS_RELEASE, S("5\0"));
	/* The removals, its home first, then the reply, then the domain. */
	fixture_expect_event(gf_fd, "/local/domain/5/data/x", "x");
	fixture_expect_event(gf_fd, "/tool/g5", "g");
	fixture_expect_event(gf_fd, "/other/c", "o");
	expect_reply(gf_fd, XS_RELEASE, "OK");
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	fixture_expect_event(gf_fd, "@releaseDomain/5", "r1");
	fixture_expect_event(gf_fd, "@releaseDomain/5", "r5");
	fixture_expect_quiet(gf_fd);

	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	fixture_error(gf_fd, XS_READ, 0, S("/local/domain/5\0"), "ENOENT");
	fixture_error(gf_fd, XS_READ, 0, S("/tool/g5\0"), "ENOENT");
	fixture_error(gf_fd, XS_READ, 0, S("/other/c\0"), "ENOENT");
	fixture_read_is(gf_fd, "/other", "");
	/* Its event channel is closed, and it is gone for good. */
	ck_assert(!port_bound(g));
	fixture_error(gf_fd, XS_RELEASE, 0, S("5\0"), "ENOENT");
	fixture_error(gf_fd, XS_RESUME, 0, S("5\0"), "ENOENT");
	fixture_error(gf_fd, XS_SET_TARGET, 0, S("5\0" "0\0"), "ENOENT");
	store_ok(gf_fd);
	sim_guest_free(g);
}
END_TEST

START_TEST(test_special_perms)
{
	struct sim_guest	*g5, *g6;
	const char		*path, *token;

	g5 = gf_guest(5);
	fixture_ok(gf_fd, XS_SET_PERMS, 0, S("@releaseDomain\0n0\0r5\0"));
	ck_assert_int_eq(sim_guest_op(g5, XS_WATCH, 0, "@releaseDomain",
	    "r"), 0);
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path, &token),
	    0);
	/* Allowed to read it, 5 hears of 6 going. */
	g6 = gf_guest(6);
	fixture_ok(gf_fd, XS_RELEASE, 0, S("6\0"));
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path, &token),
	    0);
	ck_assert_str_eq(path, "@releaseDomain");
	sim_guest_free(g6);

	/* A new domain 5 does not inherit the right of the old one. */
	fixture_ok(gf_fd, XS_RELEASE, 0, S("5\0"));
	sim_guest_free(g5);
	g5 = gf_guest(5);
	ck_assert_int_eq(sim_guest_op(g5, XS_WATCH, 0, "@releaseDomain",
	    "r"), 0);
	ck_assert_int_eq(sim_guest_next_event(g5, GF_WAIT_MS, &path, &token),
	    0);
	g6 = gf_guest(6);
	fixture_ok(gf_fd, XS_RELEASE, 0, S("6\0"));
	guest_quiet(g5);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

START_TEST(test_cycles)
{
	struct sim_guest	*g;
	unsigned int		 i;

	watch(gf_fd, "@introduceDomain", "i", NULL);
	watch(gf_fd, "@releaseDomain", "r", NULL);
	for (i = 0; i < 40; i++) {
		g = gf_guest(7);
		fixture_expect_event(gf_fd, "@introduceDomain", "i");
		ck_assert_int_eq(sim_guest_write_node(g, 0, "data", "v"), 0);
		ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
		fixture_ok(gf_fd, XS_RELEASE, 0, S("7\0"));
		fixture_expect_event(gf_fd, "@releaseDomain", "r");
		ck_assert(!port_bound(g));
		sim_guest_free(g);
	}
	fixture_expect_quiet(gf_fd);
	store_ok(gf_fd);
}
END_TEST

START_TEST(test_keep_orphans)
{
	struct sim_guest	*g;

	g = gf_guest(5);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	fixture_write_str(gf_fd, "/tool/g5", "");
	fixture_ok(gf_fd, XS_SET_PERMS, 0, S("/tool/g5\0b5\0r6\0"));
	watch(gf_fd, "/local/domain/5", "h", NULL);
	watch(gf_fd, "@releaseDomain", "r", NULL);

	/* With -K nothing is removed: no event but @releaseDomain. */
	send_req(gf_fd, XS_RELEASE, S("5\0"));
	expect_reply(gf_fd, XS_RELEASE, "OK");
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	fixture_expect_quiet(gf_fd);
	/* The nodes are dom0's now, the other entries as they were. */
	fixture_read_is(gf_fd, "/local/domain/5/data/x", "1");
	ck_assert_int_eq(memcmp(fixture_req1(gf_fd, XS_GET_PERMS, 0,
	    "/local/domain/5/data/x", &(uint32_t){ 0 }, &(uint32_t){ 0 }),
	    "n0", 3), 0);
	ck_assert_int_eq(memcmp(fixture_req1(gf_fd, XS_GET_PERMS, 0, "/tool/g5",
	    &(uint32_t){ 0 }, &(uint32_t){ 0 }), "b0\0r6", 6), 0);
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	store_ok(gf_fd);
	sim_guest_free(g);
}
END_TEST

START_TEST(test_set_target)
{
	struct sim_guest	*g5, *g6;
	char			 v[64];

	g5 = gf_guest(5);
	g6 = gf_guest(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "secret", "s"), 0);
	ck_assert_int_eq(sim_guest_read_node(g6, 0, "/local/domain/5/secret",
	    v, sizeof v), EACCES);
	fixture_error(gf_fd, XS_SET_TARGET, 0, S("6\0" "7\0"), "ENOENT");
	fixture_error(gf_fd, XS_SET_TARGET, 0, S("7\0" "5\0"), "ENOENT");
	fixture_ok(gf_fd, XS_SET_TARGET, 0, S("6\0" "5\0"));
	/* 6 acts for 5 now: it reads and writes what 5 owns. */
	ck_assert_int_eq(sim_guest_read_node(g6, 0, "/local/domain/5/secret",
	    v, sizeof v), 0);
	ck_assert_str_eq(v, "s");
	ck_assert_int_eq(sim_guest_write_node(g6, 0,
	    "/local/domain/5/secret", "t"), 0);
	/* Not the other way round. */
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "mine", "m"), 0);
	ck_assert_int_eq(sim_guest_read_node(g5, 0, "/local/domain/6/mine",
	    v, sizeof v), EACCES);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

START_TEST(test_features)
{
	struct sim_guest	*g;
	char			 want[16];

	snprintf(want, sizeof want, "%u", DOMAIN_FEATURES_ALL);
	/* A domain Xen knows but nobody introduced yet. */
	ck_assert_int_eq(sim_guest_new(gf_simdir, 5, GF_PORT_BASE + 5, true,
	    &g), 0);
	fixture_answer(gf_fd, XS_GET_FEATURE, 0, S("5\0"), want);
	fixture_error(gf_fd, XS_SET_FEATURE, 0, S("5\0" "16\0"), "EINVAL");
	fixture_ok(gf_fd, XS_SET_FEATURE, 0, S("5\0" "3\0"));
	fixture_answer(gf_fd, XS_GET_FEATURE, 0, S("5\0"), "3");
	ck_assert_int_eq(sim_home_make(gf_fx.sock, 5), 0);
	ck_assert_int_eq(sim_guest_introduce(g, gf_fx.sock), 0);
	/* It is offered what was set, and that is fixed now. */
	ck_assert_uint_eq(sim_guest_features(g), 3);
	fixture_error(gf_fd, XS_SET_FEATURE, 0, S("5\0" "1\0"), "EBUSY");
	fixture_answer(gf_fd, XS_GET_FEATURE, 0, S("5\0"), "3");
	/* The guest may ask for its own, not for a domain's. */
	ck_assert_int_eq(sim_guest_request(g, XS_GET_FEATURE, 0, "", 0,
	    GF_WAIT_MS), 0);
	ck_assert_uint_eq(g->hdr.type, XS_GET_FEATURE);
	ck_assert_str_eq(g->msg, "3");
	ck_assert_int_eq(sim_guest_op(g, XS_GET_FEATURE, 0, "5", NULL),
	    EACCES);
	ck_assert_int_eq(sim_guest_op(g, XS_SET_FEATURE, 0, "5", "3"),
	    EACCES);
	/* A domain without its features released loses them. */
	fixture_ok(gf_fd, XS_RELEASE, 0, S("5\0"));
	fixture_answer(gf_fd, XS_GET_FEATURE, 0, S("5\0"), want);
	sim_guest_free(g);
}
END_TEST

START_TEST(test_owner_gone)
{
	/* Domain 9 owns a node but was never introduced. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 9, "running"), 0);
	fixture_write_str(gf_fd, "/tool/n9/kid", "");
	fixture_ok(gf_fd, XS_SET_PERMS, 0, S("/tool/n9\0n9\0"));
	watch(gf_fd, "/tool/n9", "t", NULL);
	watch(gf_fd, "@releaseDomain", "r", NULL);
	ck_assert_int_eq(sim_set_state(gf_simdir, 9, "gone"), 0);
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
	/* Its nodes go once it is gone; no domain was released. */
	fixture_expect_event(gf_fd, "/tool/n9", "t");
	fixture_expect_quiet(gf_fd);
	fixture_error(gf_fd, XS_READ, 0, S("/tool/n9\0"), "ENOENT");
	store_ok(gf_fd);
}
END_TEST

START_TEST(test_death)
{
	struct sim_guest	*g5, *g6;

	g5 = gf_guest(5);
	g6 = gf_guest(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "data/x", "1"), 0);
	watch(gf_fd, "/local/domain/5/data", "d", NULL);
	watch(gf_fd, "@releaseDomain", "r", NULL);
	watch(gf_fd, "@releaseDomain", "r1", "1");

	ck_assert_int_eq(sim_set_state(gf_simdir, 5, "dying"), 0);
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
	/* Released as by RELEASE: the removals, then the domain. */
	fixture_expect_event(gf_fd, "/local/domain/5/data", "d");
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	fixture_expect_event(gf_fd, "@releaseDomain/5", "r1");
	fixture_expect_quiet(gf_fd);
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	fixture_error(gf_fd, XS_READ, 0, S("/local/domain/5\0"), "ENOENT");
	ck_assert(!port_bound(g5));

	/* A domain that vanishes outright goes the same way. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 6, NULL), 0);
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	fixture_expect_event(gf_fd, "@releaseDomain/6", "r1");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("6\0"), "F");
	store_ok(gf_fd);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

START_TEST(test_shutdown)
{
	struct sim_guest	*g5, *g6;

	g5 = gf_guest(5);
	g6 = gf_guest(6);
	watch(gf_fd, "@releaseDomain", "r", NULL);
	watch(gf_fd, "@releaseDomain", "r1", "1");

	/* A shutdown is announced once: its domid form, then the bare. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 5, "shutdown"), 0);
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
	fixture_expect_event(gf_fd, "@releaseDomain/5", "r1");
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	/* Not again for 5 when another domain shuts down. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 6, "shutdown"), 0);
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
	fixture_expect_event(gf_fd, "@releaseDomain/6", "r1");
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	fixture_expect_quiet(gf_fd);
	/* RESUME: a later shutdown is announced again. */
	fixture_ok(gf_fd, XS_RESUME, 0, S("5\0"));
	ck_assert_int_eq(sim_raise_virq(gf_simdir), 0);
	fixture_expect_event(gf_fd, "@releaseDomain/5", "r1");
	fixture_expect_event(gf_fd, "@releaseDomain", "r");
	/* The guest that shut down is still served. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "data", "1"), 0);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

START_TEST(test_restart)
{
	struct sim_guest	*g, *g6;
	const char		*path, *token;
	char			 v[64];

	g = gf_guest(5);
	g6 = gf_guest(6);
	fixture_ok(gf_fd, XS_SET_TARGET, 0, S("6\0" "5\0"));
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data");
	/* One with depth 0: the node alone. */
	ck_assert_int_eq(sim_guest_request(g, XS_WATCH, 0,
	    S("data\0d0\0" "0\0"), GF_WAIT_MS), 0);
	ck_assert_uint_eq(g->hdr.type, XS_WATCH);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(token, "d0");
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0,
	    "/local/domain/5/other", "a"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_int_eq(sim_guest_op(g, XS_UNWATCH, 0,
	    "/local/domain/5/other", "a"), 0);

	fixture_kill(&gf_fx);
	gf_restart();

	/* Its watches are back and fire once; the one it removed is not. */
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data");
	ck_assert_str_eq(token, "w");
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data");
	ck_assert_str_eq(token, "d0");
	guest_quiet(g);
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "T");
	ck_assert_int_eq(sim_guest_read_node(g, 0, "data/x", v, sizeof v),
	    0);
	ck_assert_str_eq(v, "1");
	/* 6 still acts for 5. */
	ck_assert_int_eq(sim_guest_read_node(g6, 0, "/local/domain/5/data/x",
	    v, sizeof v), 0);
	/* And 5 works as before, its depth kept. */
	fixture_write_str(gf_fd, "/local/domain/5/data/y", "2");
	ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data/y");
	ck_assert_str_eq(token, "w");
	guest_quiet(g);
	ck_assert_int_eq(sim_guest_op(g, XS_UNWATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_op(g, XS_UNWATCH, 0, "data", "d0"), 0);

	/* A second restart: nothing left to fire. */
	fixture_kill(&gf_fx);
	gf_restart();
	guest_quiet(g);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/z", "3"), 0);
	fixture_ok(gf_fd, XS_RELEASE, 0, S("5\0"));
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	store_ok(gf_fd);
	sim_guest_free(g);
	sim_guest_free(g6);
}
END_TEST

/*
 * dom0's own ring (DIR/dom0-port in the simulator, /proc/xen/xsd_kva on a
 * host), through which its kernel's backends watch for new devices,
 * keeps its watches across a restart of the daemon, as a guest's ring
 * does: each fires once, then on every change.
 */
START_TEST(test_restart_dom0_ring)
{
	struct sim_guest	*g0;
	const char		*path, *token;
	char			 file[256];
	FILE			*f;

	ck_assert_int_eq(sim_guest_new(gf_simdir, 0, GF_PORT_BASE, true, &g0),
	    0);
	snprintf(file, sizeof file, "%s/dom0-port", gf_simdir);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fprintf(f, "%u\n", (unsigned int)GF_PORT_BASE);
	ck_assert_int_eq(fclose(f), 0);
	fixture_kill(&gf_fx);
	gf_restart();

	/* Served, and privileged. */
	ck_assert_int_eq(sim_guest_write_node(g0, 0, "/backend/vif", ""), 0);
	ck_assert_int_eq(sim_guest_op(g0, XS_WATCH, 0, "/backend/vif", "be"),
	    0);
	ck_assert_int_eq(sim_guest_next_event(g0, GF_WAIT_MS, &path, &token),
	    0);
	ck_assert_str_eq(path, "/backend/vif");

	fixture_kill(&gf_fx);
	gf_restart();
	ck_assert_int_eq(sim_guest_next_event(g0, GF_WAIT_MS, &path, &token),
	    0);
	ck_assert_str_eq(path, "/backend/vif");
	ck_assert_str_eq(token, "be");
	fixture_write_str(gf_fd, "/backend/vif/7/0", "new");
	ck_assert_int_eq(sim_guest_next_event(g0, GF_WAIT_MS, &path, &token),
	    0);
	ck_assert_str_eq(path, "/backend/vif/7/0");
	ck_assert_str_eq(token, "be");
	guest_quiet(g0);
	sim_guest_free(g0);
}
END_TEST

START_TEST(test_quota_kept)
{
	struct sim_guest	*g;

	g = gf_guest(5);
	fixture_ok(gf_fd, XS_SET_QUOTA, 0, S("5\0nodes\0" "7\0"));
	fixture_answer(gf_fd, XS_GET_QUOTA, 0, S("5\0nodes\0"), "7");
	/* dom0 with quotas of its own is still introduced for good. */
	fixture_ok(gf_fd, XS_SET_QUOTA, 0, S("0\0nodes\0" "9\0"));
	fixture_error(gf_fd, XS_SET_FEATURE, 0, S("0\0" "1\0"), "EBUSY");

	fixture_kill(&gf_fx);
	gf_restart();
	fixture_answer(gf_fd, XS_GET_QUOTA, 0, S("5\0nodes\0"), "7");
	fixture_answer(gf_fd, XS_GET_QUOTA, 0, S("0\0nodes\0"), "9");
	/* A released domain's quotas go with it. */
	fixture_ok(gf_fd, XS_RELEASE, 0, S("5\0"));
	ck_assert(strcmp(fixture_req(gf_fd, XS_GET_QUOTA, 0, S("5\0nodes\0"),
	    &(uint32_t){ 0 }, &(uint32_t){ 0 }), "7") != 0);
	sim_guest_free(g);
}
END_TEST

START_TEST(test_death_while_down)
{
	struct sim_guest	*g5, *g6, *g8;
	char			 want[16];

	g5 = gf_guest(5);
	g6 = gf_guest(6);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "data", "1"), 0);
	/* 8 only has features, ahead of an INTRODUCE that never comes. */
	ck_assert_int_eq(sim_guest_new(gf_simdir, 8, GF_PORT_BASE + 8, true,
	    &g8), 0);
	fixture_ok(gf_fd, XS_SET_FEATURE, 0, S("8\0" "1\0"));
	fixture_kill(&gf_fx);
	ck_assert_int_eq(sim_set_state(gf_simdir, 5, "gone"), 0);
	ck_assert_int_eq(sim_set_state(gf_simdir, 8, NULL), 0);
	gf_restart();

	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	fixture_error(gf_fd, XS_READ, 0, S("/local/domain/5\0"), "ENOENT");
	fixture_error(gf_fd, XS_GET_FEATURE, 0, S("8\0"), "ENOENT");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("6\0"), "T");
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "data", "2"), 0);
	/* A domain 8 made again starts with every feature. */
	ck_assert_int_eq(sim_set_state(gf_simdir, 8, "running"), 0);
	snprintf(want, sizeof want, "%u", DOMAIN_FEATURES_ALL);
	fixture_answer(gf_fd, XS_GET_FEATURE, 0, S("8\0"), want);
	store_ok(gf_fd);
	sim_guest_free(g5);
	sim_guest_free(g6);
	sim_guest_free(g8);
}
END_TEST

START_TEST(test_introduce_errors)
{
	/* No ring page for domain 9 in the simulator. */
	fixture_error(gf_fd, XS_INTRODUCE, 0, S("9\0" "0\0" "49\0"), "ENOENT");
	fixture_answer(gf_fd, XS_IS_DOMAIN_INTRODUCED, 0, S("9\0"), "F");
	fixture_error(gf_fd, XS_RELEASE, 0, S("9\0"), "ENOENT");
}
END_TEST

static Suite *
domain_sim_suite(void)
{
	Suite	*s = suite_create("domain_sim");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_introduce);
	tcase_add_test(tc, test_reintroduce);
	tcase_add_test(tc, test_reintroduce_rebind);
	tcase_add_test(tc, test_release);
	tcase_add_test(tc, test_cycles);
	tcase_add_test(tc, test_special_perms);
	tcase_add_test(tc, test_set_target);
	tcase_add_test(tc, test_features);
	tcase_add_test(tc, test_death);
	tcase_add_test(tc, test_owner_gone);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_restart_dom0_ring);
	tcase_add_test(tc, test_death_while_down);
	tcase_add_test(tc, test_quota_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("keep");
	tcase_add_checked_fixture(tc, setup_keep, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_keep_orphans);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, gf_fini);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_introduce_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(domain_sim_suite());
}

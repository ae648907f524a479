/*
 * check_perm_guest.c - permissions as unprivileged guests meet them,
 * against the real xsdbd on a simulated Xen (--xen=sim:DIR), the guests
 * speaking over real rings (sim-guest.c).
 *
 * Every answer here was first taken from Xen's C xenstored 4.17 with a
 * guest on a ring (the reference's shim and guest.py): rights of owners,
 * of listed domains and of everyone else; EACCES or ENOENT for nodes that
 * are missing below nodes the guest may or may not see; what RM, MKDIR
 * and SET_PERMS check; relative paths; the rights a stub domain has for
 * its target (SET_TARGET), entry by entry in list order; DOMID_ANY; and
 * which watch events a guest hears.
 *
 * "No event" is checked with a request sent afterwards: events queued
 * before its reply are set aside while the guest waits for the reply.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-fixture.h"

static struct sim_guest	*g5;

static void	 setup(void);
static void	 setup_priv(void);
static void	 teardown(void);
static void	 gread_is(struct sim_guest *, const char *, const char *);

/* A daemon on a simulated Xen, a dom0 connection and guest 5. */
static void
setup(void)
{
	gf_start(NULL);
	g5 = gf_guest(5);
}

/* The same, with domain 7 as the priv domain (--priv-domid). */
static void
setup_priv(void)
{
	static const char *const opts[] = { "--priv-domid=7", NULL };

	gf_start(opts);
	g5 = gf_guest(5);
}

/* Stop the daemon and remove the simulator's directory. */
static void
teardown(void)
{
	sim_guest_free(g5);
	g5 = NULL;
	gf_fini();
}

/* The guest reads path and gets value. */
static void
gread_is(struct sim_guest *g, const char *path, const char *value)
{
	ck_assert_int_eq(gf_gr(g, XS_READ, 0, path, NULL), 0);
	ck_assert_uint_eq(g->hdr.len, strlen(value));
	ck_assert_str_eq(g->msg, value);
}

/* The guest's own home: read, write, create, relative paths. */
START_TEST(test_home)
{
	gread_is(g5, "/local/domain/5", "");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/local/domain/5/x",
	    "v"), 0);
	gread_is(g5, "/local/domain/5/x", "v");
	gread_is(g5, "x", "v");
	gf_d0_perms_are("/local/domain/5/x", "n5", 3);

	/* Relative paths are under the home; created nodes are the guest's. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "a/b", "w"), 0);
	gf_d0_perms_are("/local/domain/5/a", "n5", 3);
	gf_d0_perms_are("/local/domain/5/a/b", "n5", 3);
	gread_is(g5, "/local/domain/5/a/b", "w");
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, 0, "a", NULL), 0);
	ck_assert_str_eq(g5->msg, "b");
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "none", NULL), ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, "m", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "a", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "a/b", NULL), ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_GET_DOMAIN_PATH, 0, "5", NULL), 0);
	ck_assert_str_eq(g5->msg, "/local/domain/5");

	/* dom0 has no home: its relative paths find nothing. */
	ck_assert_int_eq(gf_d0(XS_READ, "x", NULL), ENOENT);
}
END_TEST

/* dom0's nodes and the root: EACCES, and nothing learnt below them. */
START_TEST(test_dom0_nodes)
{
	gf_d0_node("/g/priv", "n0", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/priv/none", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/none", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/none", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, 0, "/", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, 0, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY_PART, 0, "/g/priv", "0", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_GET_PERMS, 0, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/priv", "x"), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/priv/new", "x"),
	    EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/new", "x"), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, "/g/priv/new", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/priv/none", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/priv", "n0", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/priv/none", "n0", NULL),
	    EACCES);
	ck_assert_int_eq(gf_d0(XS_READ, "/g/priv", NULL), 0);
}
END_TEST

/* A node the guest may only read ("n0 r5"), and its default letter. */
START_TEST(test_read_only)
{
	gf_d0_node("/g/pub", "n0", "r5", NULL);
	gf_d0_node("/g/pub/sub", "n0", "r5", NULL);
	gread_is(g5, "/g/pub", "v");
	ck_assert_int_eq(gf_gr(g5, XS_DIRECTORY, 0, "/g/pub", NULL), 0);
	ck_assert_str_eq(g5->msg, "sub");
	ck_assert_int_eq(gf_gr(g5, XS_GET_PERMS, 0, "/g/pub", NULL), 0);
	ck_assert_mem_eq(g5->msg, "n0\0r5", 6);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/pub/none", NULL), ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/pub/none/deeper", NULL),
	    ENOENT);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/pub", "x"), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/pub/new", "x"),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, "/g/pub", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/pub", NULL), EACCES);
	/* Removing a missing child needs write on the parent. */
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/pub/none", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/pub/none/deeper", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/pub", "n0", "r5", NULL),
	    EACCES);

	/* The owner's letter is everyone's. */
	gf_d0_node("/g/deflt", "r0", NULL);
	gread_is(g5, "/g/deflt", "v");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/deflt", "x"),
	    EACCES);
	/* The first entry naming the guest wins. */
	gf_d0_node("/g/dup", "n0", "r5", "w5", NULL);
	gread_is(g5, "/g/dup", "v");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/dup", "x"), EACCES);
}
END_TEST

/* A node the guest may only write ("n0 w5"). */
START_TEST(test_write_only)
{
	gf_d0_node("/g/wonly", "n0", "w5", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/wonly", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_GET_PERMS, 0, "/g/wonly", NULL), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/wonly", "x"), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/wonly/none", NULL), EACCES);
	/* A child it creates is its own, with the parent's other entries. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/wonly/new", "x"), 0);
	gf_d0_perms_are("/g/wonly/new", "n5\0w5", 6);
	gread_is(g5, "/g/wonly/new", "x");
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/wonly/none", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/wonly/none/deeper", NULL),
	    ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/wonly", "n0", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_MKDIR, 0, "/g/wonly/a/b/c", NULL), 0);
	gf_d0_perms_are("/g/wonly/a", "n5\0w5", 6);
	gf_d0_perms_are("/g/wonly/a/b/c", "n5\0w5", 6);
}
END_TEST

/* RM needs write on the node alone: not on its parent or its children. */
START_TEST(test_rm)
{
	gf_d0_node("/g/priv/y", "n0", "w5", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/priv/y", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_READ, "/g/priv/y", NULL), ENOENT);

	gf_d0_node("/g/both", "n0", "b5", NULL);
	gf_d0_node("/g/both/z/child", "n0", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_RM, 0, "/g/both/z", NULL), 0);
	ck_assert_int_eq(gf_d0(XS_READ, "/g/both/z/child", NULL), ENOENT);
	ck_assert_int_eq(gf_d0(XS_READ, "/g/both", NULL), 0);
}
END_TEST

/* SET_PERMS: the owner only, never giving the node away. */
START_TEST(test_set_perms)
{
	gf_d0_node("/g/own5", "n5", NULL);
	gf_d0_node("/g/both", "n0", "b5", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "n5", "r0",
	    NULL), 0);
	gf_d0_perms_are("/g/own5", "n5\0r0", 6);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "n0", NULL),
	    EPERM);
	ck_assert_int_eq(sim_set_state(gf_simdir, 6, "running"), 0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "b6", NULL),
	    EPERM);
	gf_d0_perms_are("/g/own5", "n5\0r0", 6);
	/* Read and write are not ownership. */
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/both", "n0", "b5",
	    NULL), EACCES);
	/* A missing node: ENOENT where the guest may see its parent. */
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5/none", "n5", NULL),
	    ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/both/none", "n5", NULL),
	    ENOENT);
	/* The permissions quota (-A 5) comes before anything else. */
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "n5", "r1", "r2",
	    "r3", "r4", "r6", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "//bad", "n5", "r1", "r2",
	    "r3", "r4", "r6", NULL), ENOSPC);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "n5", "r1", "r2",
	    "r3", "r4", NULL), 0);
	/* The owner must be a domain Xen knows; other entries need not. */
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "n900", NULL),
	    ENOENT);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/g/own5", "n900", NULL), ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "/g/own5", "n5", "r900",
	    NULL), 0);
	gf_d0_perms_are("/g/own5", "n5\0r900", 8);
	/* dom0 may give anything to anyone. */
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/g/own5", "n0", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/own5", NULL), EACCES);
}
END_TEST

/* The special paths: their owner may set their permissions. */
START_TEST(test_special)
{
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "@introduceDomain", "n5",
	    NULL), ENOENT);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "@releaseDomain", "n5",
	    NULL), ENOENT);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "@foo", "n0", NULL), ENOENT);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "@introduceDomain", "n5", NULL),
	    0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "@introduceDomain", "n0",
	    NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_SET_PERMS, 0, "@introduceDomain", "n5",
	    NULL), ENOENT);
	ck_assert_int_eq(gf_d0(XS_GET_PERMS, "@introduceDomain", NULL), EINVAL);
}
END_TEST

/* Requests for dom0 alone. */
START_TEST(test_privileged_requests)
{
	ck_assert_int_eq(gf_gr(g5, XS_IS_DOMAIN_INTRODUCED, 0, "5", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_CONTROL, 0, "help", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_INTRODUCE, 0, "9", "1", "1", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_TARGET, 0, "5", "6", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RELEASE, 0, "5", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_RESUME, 0, "5", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_GET_QUOTA, 0, NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_GET_QUOTA, 0, "nodes", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_SET_QUOTA, 0, "nodes", "5", NULL),
	    EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_GET_DOMAIN_PATH, 0, "7", NULL), 0);
	ck_assert_str_eq(g5->msg, "/local/domain/7");
	ck_assert_int_eq(gf_gr(g5, XS_RESET_WATCHES, 0, NULL), 0);
}
END_TEST

/*
 * SET_TARGET 6 5: domain 6 has 5's rights too, taken entry by entry in
 * list order, as the reference decides them.
 */
START_TEST(test_target)
{
	static const struct {
		const char	*path;
		int		 rd, wr;
	} cases[] = {
		{ "/t/a", 0, EACCES },		/* n0 r6 w5 */
		{ "/t/b", EACCES, 0 },		/* n0 w5 r6 */
		{ "/t/c", 0, 0 },		/* n5 */
		{ "/t/d", 0, EACCES },		/* n0 r5 */
		{ "/t/e", 0, 0 },		/* n6 */
		{ "/t/f", 0, 0 },		/* r5 */
		{ "/t/h", EACCES, EACCES },	/* n0 n6 b5 */
	};
	struct sim_guest	*g6;
	unsigned int		 i;

	g6 = gf_guest(6);
	gf_d0_node("/t/a", "n0", "r6", "w5", NULL);
	gf_d0_node("/t/b", "n0", "w5", "r6", NULL);
	gf_d0_node("/t/c", "n5", NULL);
	gf_d0_node("/t/d", "n0", "r5", NULL);
	gf_d0_node("/t/e", "n6", NULL);
	gf_d0_node("/t/f", "r5", NULL);
	gf_d0_node("/t/h", "n0", "n6", "b5", NULL);
	ck_assert_int_eq(gf_gr(g6, XS_READ, 0, "/t/c", NULL), EACCES);
	ck_assert_int_eq(gf_d0(XS_SET_TARGET, "6", "5", NULL), 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(gf_gr(g6, XS_READ, 0, cases[i].path, NULL) ==
		    cases[i].rd, "read %s", cases[i].path);
		ck_assert_msg(sim_guest_write_node(g6, 0, cases[i].path,
		    "x") == cases[i].wr, "write %s", cases[i].path);
	}

	/* It owns its target's nodes but may not give them away. */
	ck_assert_int_eq(gf_gr(g6, XS_SET_PERMS, 0, "/t/c", "n5", "r6", NULL),
	    0);
	ck_assert_int_eq(gf_gr(g6, XS_SET_PERMS, 0, "/t/c", "n6", NULL), EPERM);
	/* What it creates is its own, even in its target's home. */
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "/local/domain/5/new",
	    "x"), 0);
	gf_d0_perms_are("/local/domain/5/new", "n6", 3);
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "/t/c/new", "x"), 0);
	gf_d0_perms_are("/t/c/new", "n6\0r6", 6);
	ck_assert_int_eq(gf_gr(g6, XS_DIRECTORY, 0, "/local/domain/5", NULL),
	    0);
	ck_assert_str_eq(g6->msg, "new");
	/* Relative paths stay its own. */
	ck_assert_int_eq(gf_gr(g6, XS_READ, 0, "new", NULL), ENOENT);
	/* The target gains nothing. */
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/t/e", NULL), EACCES);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/local/domain/6", NULL),
	    EACCES);
	/* Nor does the stub domain become privileged. */
	ck_assert_int_eq(gf_gr(g6, XS_IS_DOMAIN_INTRODUCED, 0, "5", NULL),
	    EACCES);
	/* Its watch events follow the same rule. */
	ck_assert_int_eq(gf_gr(g6, XS_WATCH, 0, "/t", "tok", NULL), 0);
	gf_events_are(g6, "/t tok;");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/t/a", NULL), 0);
	gf_events_are(g6, "/t/a tok;");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/t/b", NULL), 0);
	gf_events_are(g6, "");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/t/h", NULL), 0);
	gf_events_are(g6, "");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/t/d", NULL), 0);
	gf_events_are(g6, "/t/d tok;");
	sim_guest_free(g6);
}
END_TEST

/* DOMID_ANY (32757) matches every domain, in list order. */
START_TEST(test_domid_any)
{
	struct sim_guest	*g6;

	ck_assert_uint_ne(sim_guest_features(g5) & XS_FEATURE_DOMID_ANY, 0);
	gf_d0_node("/any/r", "n0", "r32757", NULL);
	gf_d0_node("/any/own", "n32757", NULL);
	gf_d0_node("/any/order", "n0", "n5", "r32757", NULL);
	g6 = gf_guest(6);
	gread_is(g5, "/any/r", "v");
	gread_is(g6, "/any/r", "v");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/any/r", "x"), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "/any/own", "x"), 0);
	ck_assert_int_eq(gf_gr(g6, XS_SET_PERMS, 0, "/any/own", "n32757", "r0",
	    NULL), 0);
	ck_assert_int_eq(gf_gr(g6, XS_SET_PERMS, 0, "/any/own", "n6", NULL),
	    EPERM);
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/any/order", NULL), EACCES);
	gread_is(g6, "/any/order", "v");
	sim_guest_free(g6);
}
END_TEST

/* Watch events reach a guest only for nodes it may read, or their parent. */
START_TEST(test_watch_events)
{
	gf_d0_node("/w/pub", "n0", "r5", NULL);
	gf_d0_node("/w/priv", "n0", NULL);
	gf_d0_node("/w/pub/kid", "n0", NULL);
	gf_d0_node("/w/priv/kid", "n0", NULL);
	gf_d0_node("/w/gone/kid", "n0", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/w", "tok", NULL), 0);
	gf_events_are(g5, "/w tok;");

	ck_assert_int_eq(gf_d0(XS_WRITE, "/w/priv", NULL), 0);
	gf_events_are(g5, "");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/w/pub", NULL), 0);
	gf_events_are(g5, "/w/pub tok;");
	/* Unreadable, but its parent is readable. */
	ck_assert_int_eq(gf_d0(XS_WRITE, "/w/pub/kid", NULL), 0);
	gf_events_are(g5, "/w/pub/kid tok;");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/w/priv/kid", NULL), 0);
	gf_events_are(g5, "");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/w/new", NULL), 0);
	gf_events_are(g5, "");
	/* Gaining the right to read tells. */
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/w/priv", "n0", "r5", NULL), 0);
	gf_events_are(g5, "/w/priv tok;");
	/* Removing what it may not read tells nothing. */
	ck_assert_int_eq(gf_d0(XS_RM, "/w/gone", NULL), 0);
	gf_events_are(g5, "");

	/* A watch on what it may not read is set, and fires once. */
	gf_d0_node("/w/priv2/kid", "n0", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/w/priv2/kid", "t2", NULL), 0);
	gf_events_are(g5, "/w/priv2/kid t2;");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/w/priv2/kid", NULL), 0);
	gf_events_are(g5, "");

	/* Relative watches get relative paths. */
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "x", "t4", NULL), 0);
	gf_events_are(g5, "x t4;");
	ck_assert_int_eq(gf_d0(XS_WRITE, "/local/domain/5/x", NULL), 0);
	gf_events_are(g5, "x t4;");
}
END_TEST

/*
 * Events of changes that take a right away go by the node's permissions
 * before the change, as in Xen's daemon: a guest hears that it lost the
 * right to read a node, and that a node it could read was removed, even
 * with itself or its parent (removed too) now out of its reach.
 */
START_TEST(test_watch_events_old_perms)
{
	gf_d0_node("/o", "n0", NULL);
	gf_d0_node("/o/a", "n0", "r5", NULL);
	gf_d0_node("/o/b", "n0", "r5", NULL);
	gf_d0_node("/o/d/kid", "n0", "r5", NULL);
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/o/d", "n0", NULL), 0);
	gf_d0_node("/o/e", "n0", "r5", NULL);
	gf_d0_node("/o/e/kid", "n0", NULL);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/o", "t", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/o/d/kid", "d", NULL), 0);
	ck_assert_int_eq(gf_gr(g5, XS_WATCH, 0, "/o/e/kid", "e", NULL), 0);
	gf_events_are(g5, "/o t;/o/d/kid d;/o/e/kid e;");

	/* It could read /o/a, and no more. */
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/o/a", "n0", NULL), 0);
	gf_events_are(g5, "/o/a t;");
	ck_assert_int_eq(gf_d0(XS_SET_PERMS, "/o/a", "n0", NULL), 0);
	gf_events_are(g5, "");
	/* /o/b, which it could read, is gone. */
	ck_assert_int_eq(gf_d0(XS_RM, "/o/b", NULL), 0);
	gf_events_are(g5, "/o/b t;");
	/*
	 * A descendant removed with its parent (its watch only hears): by
	 * its own list, readable /o/d/kid under an unreadable /o/d...
	 */
	ck_assert_int_eq(gf_d0(XS_RM, "/o/d", NULL), 0);
	gf_events_are(g5, "/o/d/kid d;");
	/* ... or by its parent's, gone with it: /o/e was readable. */
	ck_assert_int_eq(gf_d0(XS_RM, "/o/e", NULL), 0);
	gf_events_are(g5, "/o/e/kid e;/o/e t;");
}
END_TEST

/* The priv domain is privileged as dom0 is: every node, every request. */
START_TEST(test_priv_domain)
{
	struct sim_guest	*g7;

	gf_d0_node("/g/priv", "n0", NULL);
	gf_d0_node("/g/own5", "n5", NULL);
	g7 = gf_guest(7);
	gread_is(g7, "/g/priv", "v");
	ck_assert_int_eq(gf_gr(g7, XS_DIRECTORY, 0, "/", NULL), 0);
	ck_assert_int_eq(sim_guest_write_node(g7, 0, "/g/own5/new", "x"), 0);
	/* What it creates is not its own: the parent's owner keeps it. */
	gf_d0_perms_are("/g/own5/new", "n5", 3);
	ck_assert_int_eq(gf_gr(g7, XS_SET_PERMS, 0, "/g/own5", "n0", NULL), 0);
	ck_assert_int_eq(gf_gr(g7, XS_IS_DOMAIN_INTRODUCED, 0, "5", NULL), 0);
	ck_assert_str_eq(g7->msg, "T");
	ck_assert_int_eq(gf_gr(g7, XS_GET_QUOTA, 0, "nodes", NULL), 0);
	ck_assert_int_eq(gf_gr(g7, XS_SET_PERMS, 0, "/g/own5", "n0", "r1", "r2",
	    "r3", "r4", "r6", "r8", NULL), 0);
	/* Guest 5 is not. */
	ck_assert_int_eq(gf_gr(g5, XS_READ, 0, "/g/own5", NULL), EACCES);
	sim_guest_free(g7);
}
END_TEST

/* The suite. */
static Suite *
perm_guest_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("perm_guest");

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_home);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_write_only);
	tcase_add_test(tc, test_rm);
	tcase_add_test(tc, test_set_perms);
	tcase_add_test(tc, test_target);
	tcase_add_test(tc, test_domid_any);
	tcase_add_test(tc, test_watch_events);
	tcase_add_test(tc, test_watch_events_old_perms);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup_priv, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_priv_domain);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dom0_nodes);
	tcase_add_test(tc, test_special);
	tcase_add_test(tc, test_privileged_requests);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; fail if any test failed. */
int
main(void)
{
	return fixture_main(perm_guest_suite());
}

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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "sim-guest.h"

#define WAIT_MS		5000
#define PORT_BASE	60

static struct fixture	 fx;
static char		 simdir[128];
static char		 xenarg[160];
static int		 fd = -1;
static struct sim_guest	*g5;

static void	 setup(void);
static void	 setup_priv(void);
static void	 start(const char *);
static void	 teardown(void);
static struct sim_guest *guest(unsigned int);
static size_t	 strings(char *, const char *, va_list);
static int	 d0(uint32_t, const char *, ...);
static int	 gr(struct sim_guest *, uint32_t, const char *, ...);
static void	 gread_is(struct sim_guest *, const char *, const char *);
static void	 d0_node(const char *, const char *, ...);
static void	 d0_perms_are(const char *, const char *, size_t);
static void	 events_at(struct sim_guest *, const char *, int);

#define events_are(g, want)	events_at((g), (want), __LINE__)

/* A daemon on a simulated Xen, a dom0 connection and guest 5. */
static void
setup(void)
{
	start(NULL);
}

/* The same, with domain 7 as the priv domain (--priv-domid). */
static void
setup_priv(void)
{
	start("--priv-domid=7");
}

/* Start the daemon with one extra option, or none. */
static void
start(const char *opt)
{
	const char	*extra[3];

	ck_assert_int_eq(sim_dir_make(simdir, sizeof simdir), 0);
	snprintf(xenarg, sizeof xenarg, "--xen=sim:%s", simdir);
	extra[0] = xenarg;
	extra[1] = opt;
	extra[2] = NULL;
	fixture_init(&fx);
	fixture_up(&fx, extra);
	fd = fixture_connect(&fx);
	g5 = guest(5);
}

/* Stop the daemon and remove the simulator's directory. */
static void
teardown(void)
{
	if (g5 != NULL)
		sim_guest_free(g5);
	g5 = NULL;
	if (fd != -1)
		close(fd);
	fd = -1;
	fixture_fini(&fx);
	sim_dir_remove(simdir);
}

/* A fresh guest with its home ("n<domid>"), introduced by dom0. */
static struct sim_guest *
guest(unsigned int domid)
{
	struct sim_guest	*g;

	ck_assert_int_eq(sim_guest_new(simdir, domid, PORT_BASE + domid,
	    true, &g), 0);
	ck_assert_int_eq(sim_home_make(fx.sock, domid), 0);
	ck_assert_int_eq(sim_guest_introduce(g, fx.sock), 0);
	return g;
}

/* Put first and the strings of ap up to NULL, each with its NUL, in buf. */
static size_t
strings(char *buf, const char *first, va_list ap)
{
	const char	*s;
	size_t		 len = 0, n;

	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		n = strlen(s) + 1;
		ck_assert_uint_le(len + n, XS_PAYLOAD_MAX);
		memcpy(buf + len, s, n);
		len += n;
	}
	return len;
}

/* A dom0 request of strings: 0, or the errno its ERROR names. */
static int
d0(uint32_t type, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 n;
	va_list		 ap;

	va_start(ap, first);
	n = strings(buf, first, ap);
	va_end(ap);
	r = fixture_req(fd, type, 0, buf, (uint32_t)n, &rt, &rl);
	if (rt == XS_ERROR)
		return xs_wire_error_from_name(r);
	ck_assert_uint_eq(rt, type);
	return 0;
}

/*
 * A guest request of strings (first NULL: empty payload): 0 with the
 * reply in g->msg, or the errno its ERROR names.
 */
static int
gr(struct sim_guest *g, uint32_t type, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	size_t		 n = 0;
	va_list		 ap;
	int		 rc;

	va_start(ap, first);
	if (first != NULL)
		n = strings(buf, first, ap);
	va_end(ap);
	rc = sim_guest_request(g, type, 0, buf, (uint32_t)n, WAIT_MS);
	ck_assert_int_eq(rc, 0);
	if (g->hdr.type == XS_ERROR)
		return xs_wire_error_from_name(g->msg);
	ck_assert_uint_eq(g->hdr.type, type);
	return 0;
}

/* The guest reads path and gets value. */
static void
gread_is(struct sim_guest *g, const char *path, const char *value)
{
	ck_assert_int_eq(gr(g, XS_READ, path, NULL), 0);
	ck_assert_uint_eq(g->hdr.len, strlen(value));
	ck_assert_str_eq(g->msg, value);
}

/* dom0 writes path = "v" and gives it the permissions listed. */
static void
d0_node(const char *path, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 n;
	va_list		 ap;

	n = strlen(path) + 1;
	memcpy(buf, path, n);
	memcpy(buf + n, "v", 1);
	r = fixture_req(fd, XS_WRITE, 0, buf, (uint32_t)n + 1, &rt, &rl);
	ck_assert_msg(rt == XS_WRITE, "write %s: %s", path, r);
	va_start(ap, first);
	n += strings(buf + n, first, ap);
	va_end(ap);
	r = fixture_req(fd, XS_SET_PERMS, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == XS_SET_PERMS, "set_perms %s: %s", path, r);
}

/* dom0 finds the permission list of path to be want (len bytes). */
static void
d0_perms_are(const char *path, const char *want, size_t len)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req(fd, XS_GET_PERMS, 0, path, (uint32_t)strlen(path) + 1,
	    &rt, &rl);
	ck_assert_uint_eq(rt, XS_GET_PERMS);
	ck_assert_uint_eq(rl, len);
	ck_assert_mem_eq(r, want, len);
}

/*
 * The guest's pending events are exactly want: "path token;" each, in
 * order ("" for none). A request goes first so that every event queued
 * before it has arrived. line is the caller's, for the message.
 */
static void
events_at(struct sim_guest *g, const char *want, int line)
{
	char		 got[1024];
	const char	*path, *token;
	size_t		 len = 0;

	ck_assert_int_eq(gr(g, XS_GET_DOMAIN_PATH, "0", NULL), 0);
	got[0] = '\0';
	while (g->nevents > 0) {
		ck_assert_int_eq(sim_guest_next_event(g, WAIT_MS, &path,
		    &token), 0);
		len += (size_t)snprintf(got + len, sizeof got - len, "%s %s;",
		    path, token);
		ck_assert_uint_lt(len, sizeof got);
	}
	ck_assert_msg(strcmp(got, want) == 0, "line %d: events \"%s\", "
	    "wanted \"%s\"", line, got, want);
}

/* The guest's own home: read, write, create, relative paths. */
START_TEST(test_home)
{
	gread_is(g5, "/local/domain/5", "");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/local/domain/5/x",
	    "v"), 0);
	gread_is(g5, "/local/domain/5/x", "v");
	gread_is(g5, "x", "v");
	d0_perms_are("/local/domain/5/x", "n5", 3);

	/* Relative paths are under the home; created nodes are the guest's. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "a/b", "w"), 0);
	d0_perms_are("/local/domain/5/a", "n5", 3);
	d0_perms_are("/local/domain/5/a/b", "n5", 3);
	gread_is(g5, "/local/domain/5/a/b", "w");
	ck_assert_int_eq(gr(g5, XS_DIRECTORY, "a", NULL), 0);
	ck_assert_str_eq(g5->msg, "b");
	ck_assert_int_eq(gr(g5, XS_READ, "none", NULL), ENOENT);
	ck_assert_int_eq(gr(g5, XS_MKDIR, "m", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_RM, "a", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_READ, "a/b", NULL), ENOENT);
	ck_assert_int_eq(gr(g5, XS_GET_DOMAIN_PATH, "5", NULL), 0);
	ck_assert_str_eq(g5->msg, "/local/domain/5");

	/* dom0 has no home: its relative paths find nothing. */
	ck_assert_int_eq(d0(XS_READ, "x", NULL), ENOENT);
}
END_TEST

/* dom0's nodes and the root: EACCES, and nothing learnt below them. */
START_TEST(test_dom0_nodes)
{
	d0_node("/g/priv", "n0", NULL);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/priv/none", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/none", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_READ, "/none", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_READ, "/", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_DIRECTORY, "/", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_DIRECTORY, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_DIRECTORY_PART, "/g/priv", "0", NULL),
	    EACCES);
	ck_assert_int_eq(gr(g5, XS_GET_PERMS, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/priv", "x"), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/priv/new", "x"),
	    EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/new", "x"), EACCES);
	ck_assert_int_eq(gr(g5, XS_MKDIR, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_MKDIR, "/g/priv/new", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/priv", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/priv/none", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RM, "/", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/priv", "n0", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/priv/none", "n0", NULL),
	    EACCES);
	ck_assert_int_eq(d0(XS_READ, "/g/priv", NULL), 0);
}
END_TEST

/* A node the guest may only read ("n0 r5"), and its default letter. */
START_TEST(test_read_only)
{
	d0_node("/g/pub", "n0", "r5", NULL);
	d0_node("/g/pub/sub", "n0", "r5", NULL);
	gread_is(g5, "/g/pub", "v");
	ck_assert_int_eq(gr(g5, XS_DIRECTORY, "/g/pub", NULL), 0);
	ck_assert_str_eq(g5->msg, "sub");
	ck_assert_int_eq(gr(g5, XS_GET_PERMS, "/g/pub", NULL), 0);
	ck_assert_mem_eq(g5->msg, "n0\0r5", 6);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/pub/none", NULL), ENOENT);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/pub/none/deeper", NULL), ENOENT);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/pub", "x"), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/pub/new", "x"),
	    EACCES);
	ck_assert_int_eq(gr(g5, XS_MKDIR, "/g/pub", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/pub", NULL), EACCES);
	/* Removing a missing child needs write on the parent. */
	ck_assert_int_eq(gr(g5, XS_RM, "/g/pub/none", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/pub/none/deeper", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/pub", "n0", "r5", NULL),
	    EACCES);

	/* The owner's letter is everyone's. */
	d0_node("/g/deflt", "r0", NULL);
	gread_is(g5, "/g/deflt", "v");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/deflt", "x"),
	    EACCES);
	/* The first entry naming the guest wins. */
	d0_node("/g/dup", "n0", "r5", "w5", NULL);
	gread_is(g5, "/g/dup", "v");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/dup", "x"), EACCES);
}
END_TEST

/* A node the guest may only write ("n0 w5"). */
START_TEST(test_write_only)
{
	d0_node("/g/wonly", "n0", "w5", NULL);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/wonly", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_GET_PERMS, "/g/wonly", NULL), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/wonly", "x"), 0);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/wonly/none", NULL), EACCES);
	/* A child it creates is its own, with the parent's other entries. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/g/wonly/new", "x"), 0);
	d0_perms_are("/g/wonly/new", "n5\0w5", 6);
	gread_is(g5, "/g/wonly/new", "x");
	ck_assert_int_eq(gr(g5, XS_RM, "/g/wonly/none", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/wonly/none/deeper", NULL), ENOENT);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/wonly", "n0", NULL),
	    EACCES);
	ck_assert_int_eq(gr(g5, XS_MKDIR, "/g/wonly/a/b/c", NULL), 0);
	d0_perms_are("/g/wonly/a", "n5\0w5", 6);
	d0_perms_are("/g/wonly/a/b/c", "n5\0w5", 6);
}
END_TEST

/* RM needs write on the node alone: not on its parent or its children. */
START_TEST(test_rm)
{
	d0_node("/g/priv/y", "n0", "w5", NULL);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/priv/y", NULL), 0);
	ck_assert_int_eq(d0(XS_READ, "/g/priv/y", NULL), ENOENT);

	d0_node("/g/both", "n0", "b5", NULL);
	d0_node("/g/both/z/child", "n0", NULL);
	ck_assert_int_eq(gr(g5, XS_RM, "/g/both/z", NULL), 0);
	ck_assert_int_eq(d0(XS_READ, "/g/both/z/child", NULL), ENOENT);
	ck_assert_int_eq(d0(XS_READ, "/g/both", NULL), 0);
}
END_TEST

/* SET_PERMS: the owner only, never giving the node away. */
START_TEST(test_set_perms)
{
	d0_node("/g/own5", "n5", NULL);
	d0_node("/g/both", "n0", "b5", NULL);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "n5", "r0", NULL),
	    0);
	d0_perms_are("/g/own5", "n5\0r0", 6);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "n0", NULL), EPERM);
	ck_assert_int_eq(sim_set_state(simdir, 6, "running"), 0);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "b6", NULL), EPERM);
	d0_perms_are("/g/own5", "n5\0r0", 6);
	/* Read and write are not ownership. */
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/both", "n0", "b5", NULL),
	    EACCES);
	/* A missing node: ENOENT where the guest may see its parent. */
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5/none", "n5", NULL),
	    ENOENT);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/both/none", "n5", NULL),
	    ENOENT);
	/* The permissions quota (-A 5) comes before anything else. */
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "n5", "r1", "r2",
	    "r3", "r4", "r6", NULL), ENOSPC);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "//bad", "n5", "r1", "r2",
	    "r3", "r4", "r6", NULL), ENOSPC);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "n5", "r1", "r2",
	    "r3", "r4", NULL), 0);
	/* The owner must be a domain Xen knows; other entries need not. */
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "n900", NULL),
	    ENOENT);
	ck_assert_int_eq(d0(XS_SET_PERMS, "/g/own5", "n900", NULL), ENOENT);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "/g/own5", "n5", "r900", NULL),
	    0);
	d0_perms_are("/g/own5", "n5\0r900", 8);
	/* dom0 may give anything to anyone. */
	ck_assert_int_eq(d0(XS_SET_PERMS, "/g/own5", "n0", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_READ, "/g/own5", NULL), EACCES);
}
END_TEST

/* The special paths: their owner may set their permissions. */
START_TEST(test_special)
{
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "@introduceDomain", "n5",
	    NULL), ENOENT);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "@releaseDomain", "n5", NULL),
	    ENOENT);
	ck_assert_int_eq(d0(XS_SET_PERMS, "@foo", "n0", NULL), ENOENT);
	ck_assert_int_eq(d0(XS_SET_PERMS, "@introduceDomain", "n5", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "@introduceDomain", "n0",
	    NULL), 0);
	ck_assert_int_eq(gr(g5, XS_SET_PERMS, "@introduceDomain", "n5",
	    NULL), ENOENT);
	ck_assert_int_eq(d0(XS_GET_PERMS, "@introduceDomain", NULL), EINVAL);
}
END_TEST

/* Requests for dom0 alone. */
START_TEST(test_privileged_requests)
{
	ck_assert_int_eq(gr(g5, XS_IS_DOMAIN_INTRODUCED, "5", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_CONTROL, "help", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_INTRODUCE, "9", "1", "1", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_SET_TARGET, "5", "6", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RELEASE, "5", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_RESUME, "5", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_GET_QUOTA, NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_GET_QUOTA, "nodes", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_SET_QUOTA, "nodes", "5", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_GET_DOMAIN_PATH, "7", NULL), 0);
	ck_assert_str_eq(g5->msg, "/local/domain/7");
	ck_assert_int_eq(gr(g5, XS_RESET_WATCHES, NULL), 0);
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

	g6 = guest(6);
	d0_node("/t/a", "n0", "r6", "w5", NULL);
	d0_node("/t/b", "n0", "w5", "r6", NULL);
	d0_node("/t/c", "n5", NULL);
	d0_node("/t/d", "n0", "r5", NULL);
	d0_node("/t/e", "n6", NULL);
	d0_node("/t/f", "r5", NULL);
	d0_node("/t/h", "n0", "n6", "b5", NULL);
	ck_assert_int_eq(gr(g6, XS_READ, "/t/c", NULL), EACCES);
	ck_assert_int_eq(d0(XS_SET_TARGET, "6", "5", NULL), 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(gr(g6, XS_READ, cases[i].path, NULL) ==
		    cases[i].rd, "read %s", cases[i].path);
		ck_assert_msg(sim_guest_write_node(g6, 0, cases[i].path,
		    "x") == cases[i].wr, "write %s", cases[i].path);
	}

	/* It owns its target's nodes but may not give them away. */
	ck_assert_int_eq(gr(g6, XS_SET_PERMS, "/t/c", "n5", "r6", NULL), 0);
	ck_assert_int_eq(gr(g6, XS_SET_PERMS, "/t/c", "n6", NULL), EPERM);
	/* What it creates is its own, even in its target's home. */
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "/local/domain/5/new",
	    "x"), 0);
	d0_perms_are("/local/domain/5/new", "n6", 3);
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "/t/c/new", "x"), 0);
	d0_perms_are("/t/c/new", "n6\0r6", 6);
	ck_assert_int_eq(gr(g6, XS_DIRECTORY, "/local/domain/5", NULL), 0);
	ck_assert_str_eq(g6->msg, "new");
	/* Relative paths stay its own. */
	ck_assert_int_eq(gr(g6, XS_READ, "new", NULL), ENOENT);
	/* The target gains nothing. */
	ck_assert_int_eq(gr(g5, XS_READ, "/t/e", NULL), EACCES);
	ck_assert_int_eq(gr(g5, XS_READ, "/local/domain/6", NULL), EACCES);
	/* Nor does the stub domain become privileged. */
	ck_assert_int_eq(gr(g6, XS_IS_DOMAIN_INTRODUCED, "5", NULL), EACCES);
	/* Its watch events follow the same rule. */
	ck_assert_int_eq(gr(g6, XS_WATCH, "/t", "tok", NULL), 0);
	events_are(g6, "/t tok;");
	ck_assert_int_eq(d0(XS_WRITE, "/t/a", NULL), 0);
	events_are(g6, "/t/a tok;");
	ck_assert_int_eq(d0(XS_WRITE, "/t/b", NULL), 0);
	events_are(g6, "");
	ck_assert_int_eq(d0(XS_WRITE, "/t/h", NULL), 0);
	events_are(g6, "");
	ck_assert_int_eq(d0(XS_WRITE, "/t/d", NULL), 0);
	events_are(g6, "/t/d tok;");
	sim_guest_free(g6);
}
END_TEST

/* DOMID_ANY (32757) matches every domain, in list order. */
START_TEST(test_domid_any)
{
	struct sim_guest	*g6;

	ck_assert_uint_ne(sim_guest_features(g5) & XS_FEATURE_DOMID_ANY, 0);
	d0_node("/any/r", "n0", "r32757", NULL);
	d0_node("/any/own", "n32757", NULL);
	d0_node("/any/order", "n0", "n5", "r32757", NULL);
	g6 = guest(6);
	gread_is(g5, "/any/r", "v");
	gread_is(g6, "/any/r", "v");
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "/any/r", "x"), EACCES);
	ck_assert_int_eq(sim_guest_write_node(g6, 0, "/any/own", "x"), 0);
	ck_assert_int_eq(gr(g6, XS_SET_PERMS, "/any/own", "n32757", "r0",
	    NULL), 0);
	ck_assert_int_eq(gr(g6, XS_SET_PERMS, "/any/own", "n6", NULL), EPERM);
	ck_assert_int_eq(gr(g5, XS_READ, "/any/order", NULL), EACCES);
	gread_is(g6, "/any/order", "v");
	sim_guest_free(g6);
}
END_TEST

/* Watch events reach a guest only for nodes it may read, or their parent. */
START_TEST(test_watch_events)
{
	d0_node("/w/pub", "n0", "r5", NULL);
	d0_node("/w/priv", "n0", NULL);
	d0_node("/w/pub/kid", "n0", NULL);
	d0_node("/w/priv/kid", "n0", NULL);
	d0_node("/w/gone/kid", "n0", NULL);
	ck_assert_int_eq(gr(g5, XS_WATCH, "/w", "tok", NULL), 0);
	events_are(g5, "/w tok;");

	ck_assert_int_eq(d0(XS_WRITE, "/w/priv", NULL), 0);
	events_are(g5, "");
	ck_assert_int_eq(d0(XS_WRITE, "/w/pub", NULL), 0);
	events_are(g5, "/w/pub tok;");
	/* Unreadable, but its parent is readable. */
	ck_assert_int_eq(d0(XS_WRITE, "/w/pub/kid", NULL), 0);
	events_are(g5, "/w/pub/kid tok;");
	ck_assert_int_eq(d0(XS_WRITE, "/w/priv/kid", NULL), 0);
	events_are(g5, "");
	ck_assert_int_eq(d0(XS_WRITE, "/w/new", NULL), 0);
	events_are(g5, "");
	/* Gaining the right to read tells. */
	ck_assert_int_eq(d0(XS_SET_PERMS, "/w/priv", "n0", "r5", NULL), 0);
	events_are(g5, "/w/priv tok;");
	/* Removing what it may not read tells nothing. */
	ck_assert_int_eq(d0(XS_RM, "/w/gone", NULL), 0);
	events_are(g5, "");

	/* A watch on what it may not read is set, and fires once. */
	d0_node("/w/priv2/kid", "n0", NULL);
	ck_assert_int_eq(gr(g5, XS_WATCH, "/w/priv2/kid", "t2", NULL), 0);
	events_are(g5, "/w/priv2/kid t2;");
	ck_assert_int_eq(d0(XS_WRITE, "/w/priv2/kid", NULL), 0);
	events_are(g5, "");

	/* Relative watches get relative paths. */
	ck_assert_int_eq(gr(g5, XS_WATCH, "x", "t4", NULL), 0);
	events_are(g5, "x t4;");
	ck_assert_int_eq(d0(XS_WRITE, "/local/domain/5/x", NULL), 0);
	events_are(g5, "x t4;");
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
	d0_node("/o", "n0", NULL);
	d0_node("/o/a", "n0", "r5", NULL);
	d0_node("/o/b", "n0", "r5", NULL);
	d0_node("/o/d/kid", "n0", "r5", NULL);
	ck_assert_int_eq(d0(XS_SET_PERMS, "/o/d", "n0", NULL), 0);
	d0_node("/o/e", "n0", "r5", NULL);
	d0_node("/o/e/kid", "n0", NULL);
	ck_assert_int_eq(gr(g5, XS_WATCH, "/o", "t", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_WATCH, "/o/d/kid", "d", NULL), 0);
	ck_assert_int_eq(gr(g5, XS_WATCH, "/o/e/kid", "e", NULL), 0);
	events_are(g5, "/o t;/o/d/kid d;/o/e/kid e;");

	/* It could read /o/a, and no more. */
	ck_assert_int_eq(d0(XS_SET_PERMS, "/o/a", "n0", NULL), 0);
	events_are(g5, "/o/a t;");
	ck_assert_int_eq(d0(XS_SET_PERMS, "/o/a", "n0", NULL), 0);
	events_are(g5, "");
	/* /o/b, which it could read, is gone. */
	ck_assert_int_eq(d0(XS_RM, "/o/b", NULL), 0);
	events_are(g5, "/o/b t;");
	/*
	 * A descendant removed with its parent (its watch only hears): by
	 * its own list, readable /o/d/kid under an unreadable /o/d...
	 */
	ck_assert_int_eq(d0(XS_RM, "/o/d", NULL), 0);
	events_are(g5, "/o/d/kid d;");
	/* ... or by its parent's, gone with it: /o/e was readable. */
	ck_assert_int_eq(d0(XS_RM, "/o/e", NULL), 0);
	events_are(g5, "/o/e/kid e;/o/e t;");
}
END_TEST

/* The priv domain is privileged as dom0 is: every node, every request. */
START_TEST(test_priv_domain)
{
	struct sim_guest	*g7;

	d0_node("/g/priv", "n0", NULL);
	d0_node("/g/own5", "n5", NULL);
	g7 = guest(7);
	gread_is(g7, "/g/priv", "v");
	ck_assert_int_eq(gr(g7, XS_DIRECTORY, "/", NULL), 0);
	ck_assert_int_eq(sim_guest_write_node(g7, 0, "/g/own5/new", "x"), 0);
	/* What it creates is not its own: the parent's owner keeps it. */
	d0_perms_are("/g/own5/new", "n5", 3);
	ck_assert_int_eq(gr(g7, XS_SET_PERMS, "/g/own5", "n0", NULL), 0);
	ck_assert_int_eq(gr(g7, XS_IS_DOMAIN_INTRODUCED, "5", NULL), 0);
	ck_assert_str_eq(g7->msg, "T");
	ck_assert_int_eq(gr(g7, XS_GET_QUOTA, "nodes", NULL), 0);
	ck_assert_int_eq(gr(g7, XS_SET_PERMS, "/g/own5", "n0", "r1", "r2",
	    "r3", "r4", "r6", "r8", NULL), 0);
	/* Guest 5 is not. */
	ck_assert_int_eq(gr(g5, XS_READ, "/g/own5", NULL), EACCES);
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
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(perm_guest_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

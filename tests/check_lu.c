/*
 * check_lu.c - live update and restart, against the real xsdbd with
 * socket clients and guests of the simulated Xen (sim-guest.c).
 *
 * Waiting is on messages, never on time: a message that must come is
 * waited for; "nothing came" is checked with a request sent afterwards,
 * whose reply would follow anything queued before it.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "sim-guest.h"

#define WAIT_MS		5000
#define QUIET_REQ_ID	0x9e1au
#define PORT_BASE	40

#define S(lit)	(lit), (uint32_t)(sizeof(lit) - 1)

static struct fixture	 fx;
static char		 simdir[128];
static char		 xenarg[160];
static int		 fd = -1;

static void	 setup(void);
static void	 teardown(void);
static void	 restart(const char *);
static struct sim_guest *guest(unsigned int);
static void	 recv_msg(int, struct xs_header *, char *);
static void	 expect_event(int, const char *, const char *)
		     __attribute__((unused));
static void	 expect_quiet(int);
static void	 answer(int, uint32_t, const void *, uint32_t, const char *);
static void	 read_is(int, const char *, const char *);
static void	 read_err(int, const char *, const char *);
static bool	 log_has(const char *);

/* A daemon on a simulated Xen, and one dom0 connection. */
static void
setup(void)
{
	const char	*extra[2];

	ck_assert_int_eq(sim_dir_make(simdir, sizeof simdir), 0);
	snprintf(xenarg, sizeof xenarg, "--xen=sim:%s", simdir);
	extra[0] = xenarg;
	extra[1] = NULL;
	fixture_init(&fx);
	fixture_up(&fx, extra);
	fd = fixture_connect(&fx);
}

/* Stop the daemon and remove the simulator's directory. */
static void
teardown(void)
{
	if (fd != -1)
		close(fd);
	fd = -1;
	fixture_fini(&fx);
	sim_dir_remove(simdir);
}

/*
 * Stop the daemon (SIGTERM) and start it again on the same store with
 * the Xen backend xen (NULL: the simulator).
 */
static void
restart(const char *xen)
{
	const char	*extra[] = { xen != NULL ? xen : xenarg, NULL };

	close(fd);
	fixture_stop(&fx);
	fixture_up(&fx, extra);
	fd = fixture_connect(&fx);
}

/* A fresh guest domid with its home, introduced by dom0. */
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

/* The next message of any kind. */
static void
recv_msg(int s, struct xs_header *h, char *payload)
{
	ck_assert_int_eq(fixture_recv(s, h, payload, WAIT_MS), 0);
}

/* The next message must be this watch event. */
static void
expect_event(int s, const char *path, const char *token)
{
	struct xs_header	h;
	char			p[XS_PAYLOAD_MAX + 1];
	size_t			pl;

	recv_msg(s, &h, p);
	ck_assert_msg(h.type == XS_WATCH_EVENT,
	    "wanted event %s %s, got type %u \"%s\"", path, token, h.type, p);
	pl = strlen(p) + 1;
	ck_assert_msg(strcmp(p, path) == 0 && pl < h.len &&
	    strcmp(p + pl, token) == 0, "wanted event %s %s, got %s %s",
	    path, token, p, pl < h.len ? p + pl : "");
}

/* No message waits: the reply of a request sent now comes first. */
static void
expect_quiet(int s)
{
	struct xs_header	h;
	char			p[XS_PAYLOAD_MAX + 1];

	fixture_send(s, XS_GET_DOMAIN_PATH, QUIET_REQ_ID, 0, "0", 2);
	recv_msg(s, &h, p);
	ck_assert_msg(h.type == XS_GET_DOMAIN_PATH &&
	    h.req_id == QUIET_REQ_ID, "wanted quiet, got type %u \"%s\"",
	    h.type, p);
}

/* A request that answers want with its own type (events skipped). */
static void
answer(int s, uint32_t type, const void *p, uint32_t len, const char *want)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req(s, type, 0, p, len, &rt, &rl);
	ck_assert_msg(rt == type && rl == strlen(want) + 1 &&
	    strcmp(r, want) == 0, "type %u: wanted \"%s\", got type %u \"%s\"",
	    type, want, rt, r);
}

/* READ path from dom0 gives value. */
static void
read_is(int s, const char *path, const char *value)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req1(s, XS_READ, 0, path, &rt, &rl);
	ck_assert_msg(rt == XS_READ && rl == strlen(value) &&
	    memcmp(r, value, rl) == 0, "READ %s: wanted \"%s\", got type %u "
	    "\"%.*s\"", path, value, rt, (int)rl, r);
}

/* READ path from dom0 answers ERROR name. */
static void
read_err(int s, const char *path, const char *name)
{
	fixture_expect_error(s, XS_READ, 0, path, (uint32_t)strlen(path) + 1,
	    name);
}

/* True if the daemon's log holds text. */
static bool
log_has(const char *text)
{
	char	buf[65536];
	ssize_t	n;
	int	lfd;

	if ((lfd = open(fx.log, O_RDONLY)) == -1)
		return false;
	n = read(lfd, buf, sizeof buf - 1);
	close(lfd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
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

	g = guest(5);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "data/x", "1"), 0);
	ck_assert_int_eq(sim_guest_op(g, XS_WATCH, 0, "data", "w"), 0);
	ck_assert_int_eq(sim_guest_next_event(g, WAIT_MS, &path, &token), 0);

	restart("--xen=none");
	answer(fd, XS_IS_DOMAIN_INTRODUCED, S("5\0"), "T");
	read_is(fd, "/local/domain/5/data/x", "1");
	ck_assert(log_has("domain 5: cannot attach its ring again"));
	/* Twice: nothing is lost on the way. */
	restart("--xen=none");
	answer(fd, XS_IS_DOMAIN_INTRODUCED, S("5\0"), "T");

	/* Back on the simulator the guest is served, its watch fires. */
	restart(NULL);
	ck_assert_int_eq(sim_guest_next_event(g, WAIT_MS, &path, &token), 0);
	ck_assert_str_eq(path, "data");
	ck_assert_str_eq(token, "w");
	ck_assert_int_eq(sim_guest_read_node(g, 0, "data/x", v, sizeof v),
	    0);
	ck_assert_str_eq(v, "1");

	/* A backend that says the domain is gone releases it. */
	ck_assert_int_eq(sim_set_state(simdir, 5, "gone"), 0);
	restart(NULL);
	answer(fd, XS_IS_DOMAIN_INTRODUCED, S("5\0"), "F");
	read_err(fd, "/local/domain/5/data/x", "ENOENT");
	expect_quiet(fd);
	sim_guest_free(g);
}
END_TEST

static Suite *
lu_suite(void)
{
	Suite	*s = suite_create("lu");
	TCase	*tc;

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_none_keeps_domains);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(lu_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

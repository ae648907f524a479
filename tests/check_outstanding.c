/*
 * check_outstanding.c - the quota of outstanding requests (-Q
 * outstanding), against the real xsdbd on a simulated Xen
 * (--xen=sim:DIR) with a guest speaking over a real ring (sim-guest.c).
 *
 * As Xen's C xenstored 4.17 (probed on the reference with a guest over
 * its ring): a request is outstanding from the moment it is taken until
 * the last byte of its reply is in the guest's ring, and a domain with
 * as many outstanding requests as its quota is not read any more. So a
 * guest that reads nothing is served until its ring of replies is full
 * and the quota is reached, then waits; nothing is lost once it reads.
 * With -Q outstanding=5, a READ of a 3000-byte value (whose reply cannot
 * fit the 1024-byte ring) and 12 WRITEs pipelined by a guest that reads
 * nothing: the READ and 4 WRITEs are handled. With the default of 20 and
 * 25 WRITEs: the READ and 19 WRITEs.
 *
 * "The daemon did nothing more" is checked after a dom0 round trip over
 * the socket sent after the guest's event: the daemon answers dom0 at
 * the end of the turn that took the guest's requests, or a later one.
 * Nothing sleeps.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-fixture.h"

#define HOME		"/local/domain/5"
#define BIG		3000	/* bytes of the value whose reply stalls */
#define READ_ID		1000	/* req_id of the READ of it */

static struct sim_guest	*g5;

static void	 teardown(void);
static void	 start(const char *const *);
static void	 pipeline(unsigned int);
static unsigned int count_written(unsigned int);
static void	 take_all(unsigned int);

/* Stop the daemon and remove the simulator's directory. */
static void
teardown(void)
{
	sim_guest_free(g5);
	g5 = NULL;
	gf_fini();
}

/*
 * Start the daemon with opts, connect as dom0, introduce guest 5 and
 * give it HOME/big, a value of BIG bytes it may read.
 */
static void
start(const char *const *opts)
{
	gf_up(opts);
	g5 = gf_guest(5);
	gf_d0_fill(HOME "/big", BIG);
}

/*
 * The guest puts, at once and without reading anything, a READ of
 * HOME/big and nwrites WRITEs of HOME/wNN (req_id NN); it all fits the
 * request ring.
 */
static void
pipeline(unsigned int nwrites)
{
	char		 ring[XS_RING_SIZE], m[XS_HEADER_SIZE + 64], p[64];
	size_t		 len = 0, n, done;
	unsigned int	 i;

	n = xs_wire_build(m, XS_READ, READ_ID, 0, HOME "/big",
	    sizeof HOME "/big");
	memcpy(ring, m, n);
	len += n;
	for (i = 0; i < nwrites; i++) {
		n = (size_t)snprintf(p, sizeof p, HOME "/w%02u", i) + 1;
		p[n++] = 'v';
		n = xs_wire_build(m, XS_WRITE, i, 0, p, (uint32_t)n);
		ck_assert_uint_le(len + n, sizeof ring);
		memcpy(ring + len, m, n);
		len += n;
	}
	ck_assert_int_eq(sim_guest_put(g5, ring, len, &done), 0);
	ck_assert_uint_eq(done, len);
}

/* How many of HOME/w00 .. w<n-1> exist, seen by dom0. */
static unsigned int
count_written(unsigned int n)
{
	char		 path[64];
	uint32_t	 rt, rl;
	unsigned int	 i, found = 0;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, HOME "/w%02u", i);
		fixture_req1(gf_fd, XS_READ, 0, path, &rt, &rl);
		if (rt == XS_READ)
			found++;
	}
	return found;
}

/* The guest reads: the READ's reply, then each WRITE's, in order. */
static void
take_all(unsigned int nwrites)
{
	unsigned int	i;
	char		want[BIG + 1];

	memset(want, 'y', BIG);
	want[BIG] = '\0';
	ck_assert_int_eq(sim_guest_recv(g5, GF_WAIT_MS), 0);
	ck_assert_uint_eq(g5->hdr.type, XS_READ);
	ck_assert_uint_eq(g5->hdr.req_id, READ_ID);
	ck_assert_str_eq(g5->msg, want);
	for (i = 0; i < nwrites; i++) {
		ck_assert_int_eq(sim_guest_recv(g5, GF_WAIT_MS), 0);
		ck_assert_uint_eq(g5->hdr.type, XS_WRITE);
		ck_assert_uint_eq(g5->hdr.req_id, i);
		ck_assert_str_eq(g5->msg, "OK");
	}
	ck_assert_uint_eq(sim_guest_error(g5), 0);
}

/* -Q outstanding=5: 5 requests taken, the rest wait, nothing lost. */
START_TEST(test_quota)
{
	static const char *const opts[] = { "-Q", "outstanding=5", NULL };

	start(opts);
	pipeline(12);
	gf_d0_sync();
	gf_d0_sync();
	/* The READ, stuck half in the full ring, and 4 WRITEs. */
	ck_assert_uint_eq(count_written(12), 4);
	take_all(12);
	ck_assert_uint_eq(count_written(12), 12);
	/* Served as before once it reads. */
	ck_assert_int_eq(sim_guest_write_node(g5, 0, "after", "1"), 0);
}
END_TEST

/* The default of Xen's daemon, 20: the READ and 19 WRITEs. */
START_TEST(test_default)
{
	start(NULL);
	pipeline(25);
	gf_d0_sync();
	gf_d0_sync();
	ck_assert_uint_eq(count_written(25), 19);
	take_all(25);
	ck_assert_uint_eq(count_written(25), 25);
}
END_TEST

/* A quota of the domain's own (SET_QUOTA with a domid), and 0: none. */
START_TEST(test_domain_quota)
{
	static const char	 q2[] = "5\0outstanding\0" "2";
	static const char	 q0[] = "5\0outstanding\0" "0";
	uint32_t		 rt, rl;

	start(NULL);
	fixture_req(gf_fd, XS_SET_QUOTA, 0, q2, sizeof q2, &rt, &rl);
	ck_assert_uint_eq(rt, XS_SET_QUOTA);
	pipeline(12);
	gf_d0_sync();
	gf_d0_sync();
	ck_assert_uint_eq(count_written(12), 1);
	take_all(12);
	ck_assert_uint_eq(count_written(12), 12);

	fixture_req(gf_fd, XS_SET_QUOTA, 0, q0, sizeof q0, &rt, &rl);
	ck_assert_uint_eq(rt, XS_SET_QUOTA);
	fixture_req1(gf_fd, XS_RM, 0, HOME "/w00", &rt, &rl);
	ck_assert_uint_eq(rt, XS_RM);
	ck_assert_uint_eq(count_written(12), 11);
	pipeline(12);
	gf_d0_sync();
	gf_d0_sync();
	ck_assert_uint_eq(count_written(12), 12);
	take_all(12);
}
END_TEST

/* The privileged domain (--priv-domid) has no quota, as dom0. */
START_TEST(test_privileged)
{
	static const char *const opts[] = { "-Q", "outstanding=5",
	    "--priv-domid", "5", NULL };

	start(opts);
	pipeline(12);
	gf_d0_sync();
	gf_d0_sync();
	ck_assert_uint_eq(count_written(12), 12);
	take_all(12);
}
END_TEST

/* The suite. */
static Suite *
outstanding_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("outstanding");
	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, gf_init, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_quota);
	tcase_add_test(tc, test_default);
	tcase_add_test(tc, test_domain_quota);
	tcase_add_test(tc, test_privileged);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; EXIT_FAILURE if anything failed. */
int
main(void)
{
	return fixture_main(outstanding_suite());
}

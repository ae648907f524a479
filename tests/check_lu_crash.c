/*
 * check_lu_crash.c - restart after a crash: xsdbd is killed with SIGKILL
 * at random moments while guests of the simulated Xen and a socket client
 * keep it busy, and started again on the same store each time.
 *
 * Each guest is a process of its own that pipelines requests on its ring
 * and never resends one: it must get exactly one reply to each request,
 * in order, and the reply a single run of the request gives (an RM of a
 * node it wrote answers OK, never ENOENT; a WRITE OK; a READ the value
 * written just before). Its transactions answer OK, or EAGAIN if the
 * daemon died since their TRANSACTION_START was sent (the guest keeps its
 * tx id; a new daemon must know it). At the end each guest reads back its
 * nodes (the last value written, the value of the last transaction that
 * committed), and after one more restart its persisted watch fires once.
 * The socket client reconnects after each death; every write it had
 * acknowledged is there. The domains stay introduced and the store
 * passes CONTROL check.
 *
 * The same load runs across live updates at random moments, where no
 * transaction may fail and no socket be cut.
 *
 * Environment: XSDB_LU_CRASH_KILLS (default 40, kills and updates each),
 * XSDB_LU_CRASH_SEED
 * (default: from the clock; printed).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "sim-guest.h"

#define CRASH_GUESTS	3
#define CRASH_KILLS	40
#define CRASH_DEPTH	8	/* requests a guest keeps in flight */
#define CRASH_WAIT_MS	20000	/* longest silence of a live daemon */
#define CRASH_MAX_US	25000	/* longest life of a daemon */
#define PORT_BASE	60
#define DOMID_BASE	11

#define S(lit)	(lit), (uint32_t)(sizeof(lit) - 1)

/* What the test shares with its workers. */
struct crash_shared {
	volatile unsigned int	 gen;	/* daemons killed so far */
	volatile unsigned int	 starts; /* daemons started (kills and
					   live updates) */
	volatile int		 updates; /* live updates, no kills: no
					    error is allowed */
	volatile int		 stop;	/* no more requests */
	volatile int		 done[CRASH_GUESTS + 1];
	char			 err[CRASH_GUESTS + 1][256];
	volatile unsigned long	 ops[CRASH_GUESTS + 1];
};

/* A request in flight on a guest's ring. */
struct crash_req {
	uint32_t	 req_id;
	uint32_t	 type;
	unsigned int	 gen;	/* when it was sent */
	unsigned long	 value;	/* READ: the value it must see */
};

static struct fixture	 fx;
static char		 simdir[128];
static char		 xenarg[160];
static struct crash_shared *sh;
static unsigned int	 idle_events;	/* a guest's "idle" events */

static void	 crash_fail(int, const char *, ...)
		     __attribute__((format(printf, 2, 3), noreturn));
static int	 crash_pump(struct sim_guest *, int, const char *, size_t,
		     size_t *);
static int	 crash_next(struct sim_guest *, int);
static int	 crash_call(struct sim_guest *, int, uint32_t, uint32_t,
		     const char *, uint32_t);
static void	 crash_guest(int, unsigned int);
static void	 crash_socket(int);
static void	 crash_up(void);
static void	 crash_run(bool);

/* A worker found a fault: say why in the shared page and exit 1. */
static void
crash_fail(int w, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(sh->err[w], sizeof sh->err[w], fmt, ap);
	va_end(ap);
	_exit(1);
}

/*
 * Put what fits of a message (from *off) into the ring. A daemon that is
 * down takes nothing; the guest just tries again.
 */
static int
crash_pump(struct sim_guest *g, int w, const char *msg, size_t len,
    size_t *off)
{
	size_t	done;
	int	rc;

	if (*off == len)
		return 0;
	if ((rc = sim_guest_put(g, msg + *off, len - *off, &done)) != 0)
		crash_fail(w, "guest %u: put: %s", g->domid, strerror(rc));
	*off += done;
	return 0;
}

/*
 * Take the next message (reply or event), waiting as long as a daemon
 * may take to come back; the guest raises its event again now and then
 * in case a daemon that was down missed it.
 */
static int
crash_next(struct sim_guest *g, int w)
{
	struct timespec	t0, now;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((rc = sim_guest_take(g)) == 0)
			return 0;
		if (rc != EAGAIN)
			crash_fail(w, "guest %u: take: %s", g->domid,
			    strerror(rc));
		if (sim_guest_error(g) != 0)
			crash_fail(w, "guest %u: ring error %u", g->domid,
			    sim_guest_error(g));
		if (sim_guest_wait(g, 50) == ETIMEDOUT)
			sim_guest_kick(g);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 > CRASH_WAIT_MS)
			crash_fail(w, "guest %u: no message for %d ms",
			    g->domid, CRASH_WAIT_MS);
	}
}

/*
 * One request and its reply, events set aside (counted if "idle").
 * Returns the reply type; g->msg holds its payload.
 */
static int
crash_call(struct sim_guest *g, int w, uint32_t type, uint32_t tx,
    const char *payload, uint32_t len)
{
	char		msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t		n, off = 0;
	uint32_t	id = ++g->next_req_id;

	n = xs_wire_build(msg, type, id, tx, payload, len);
	for (;;) {
		crash_pump(g, w, msg, n, &off);
		if (off < n) {
			if (sim_guest_wait(g, 50) == ETIMEDOUT)
				sim_guest_kick(g);
			continue;
		}
		crash_next(g, w);
		if (g->hdr.type == XS_WATCH_EVENT) {
			if (strcmp(g->msg + strlen(g->msg) + 1, "idle") == 0)
				idle_events++;
			continue;
		}
		if (g->hdr.req_id != id)
			crash_fail(w, "guest %u: reply to %u while waiting "
			    "for %u", g->domid, g->hdr.req_id, id);
		return (int)g->hdr.type;
	}
}

/*
 * A guest: bursts of pipelined requests whose replies tell whether they
 * ran once (WRITE w, WRITE r, RM r, MKDIR, READ w), then a transaction.
 */
static void
crash_guest(int w, unsigned int domid)
{
	static const uint32_t	 kinds[] = { XS_WRITE, XS_WRITE, XS_RM,
				    XS_MKDIR, XS_READ };
	struct sim_guest	*g;
	struct crash_req	 q[CRASH_DEPTH];
	char			 msg[XS_HEADER_SIZE + 256], p[128], v[64];
	unsigned long		 i, last_w = 0, last_t = 0, t_sent;
	unsigned int		 nq, head, k, gen0, seen;
	uint32_t		 tx, type;
	size_t			 n, off, plen;
	int			 rc;

	if (sim_guest_new(simdir, domid, PORT_BASE + domid, false, &g) != 0)
		crash_fail(w, "guest %u: cannot open", domid);
	g->next_req_id = 1000;
	sim_guest_kick(g);
	if (crash_call(g, w, XS_WATCH, 0, S("idle\0idle\0")) != XS_WATCH)
		crash_fail(w, "guest %u: WATCH idle: %s", domid, g->msg);

	for (i = 1; !sh->stop; i++) {
		/* A burst, pipelined. */
		nq = head = 0;
		for (k = 0; k < CRASH_DEPTH || nq > 0;) {
			if (k < CRASH_DEPTH && nq < CRASH_DEPTH) {
				type = kinds[k % 5];
				switch (k % 5) {
				case 0:
					plen = (size_t)snprintf(p, sizeof p,
					    "data/w%c%lu", 0, i * 100 + k);
					last_w = i * 100 + k;
					break;
				case 1:
					plen = (size_t)snprintf(p, sizeof p,
					    "data/r%cx", 0);
					break;
				case 2:
					plen = (size_t)snprintf(p, sizeof p,
					    "data/r%c", 0);
					break;
				case 3:
					plen = (size_t)snprintf(p, sizeof p,
					    "data/m%lu%c", i % 4, 0);
					break;
				default:
					plen = (size_t)snprintf(p, sizeof p,
					    "data/w%c", 0);
					break;
				}
				q[(head + nq) % CRASH_DEPTH].req_id =
				    ++g->next_req_id;
				q[(head + nq) % CRASH_DEPTH].type = type;
				q[(head + nq) % CRASH_DEPTH].value = last_w;
				n = xs_wire_build(msg, type, g->next_req_id, 0,
				    p, (uint32_t)plen);
				off = 0;
				while (off < n) {
					crash_pump(g, w, msg, n, &off);
					if (off < n && sim_guest_wait(g, 50) ==
					    ETIMEDOUT)
						sim_guest_kick(g);
				}
				nq++;
				k++;
				continue;
			}
			crash_next(g, w);
			if (g->hdr.type == XS_WATCH_EVENT) {
				if (strcmp(g->msg + strlen(g->msg) + 1,
				    "idle") == 0)
					idle_events++;
				continue;
			}
			if (nq == 0 || g->hdr.req_id != q[head].req_id)
				crash_fail(w, "guest %u: reply to %u, wanted "
				    "%u", domid, g->hdr.req_id,
				    nq > 0 ? q[head].req_id : 0);
			if (g->hdr.type != q[head].type)
				crash_fail(w, "guest %u: request %u (type %u) "
				    "answered type %u \"%s\"", domid,
				    g->hdr.req_id, q[head].type, g->hdr.type,
				    g->msg);
			if (q[head].type == XS_READ &&
			    strtoul(g->msg, NULL, 10) != q[head].value)
				crash_fail(w, "guest %u: READ %u gave %s, "
				    "wanted %lu", domid, g->hdr.req_id,
				    g->msg, q[head].value);
			head = (head + 1) % CRASH_DEPTH;
			nq--;
			sh->ops[w]++;
		}

		/* A transaction. */
		gen0 = sh->gen;
		if (crash_call(g, w, XS_TRANSACTION_START, 0, S("\0")) !=
		    XS_TRANSACTION_START)
			crash_fail(w, "guest %u: TRANSACTION_START: %s",
			    domid, g->msg);
		tx = (uint32_t)strtoul(g->msg, NULL, 10);
		t_sent = i;
		plen = (size_t)snprintf(p, sizeof p, "data/t%c%lu", 0, i);
		type = (uint32_t)crash_call(g, w, XS_WRITE, tx, p,
		    (uint32_t)plen);
		if (type != XS_WRITE && !(type == XS_ERROR &&
		    strcmp(g->msg, "EAGAIN") == 0 && sh->gen != gen0))
			crash_fail(w, "guest %u: WRITE in tx %u: %s", domid,
			    tx, g->msg);
		type = (uint32_t)crash_call(g, w, XS_TRANSACTION_END, tx,
		    S("T\0"));
		if (type == XS_TRANSACTION_END)
			last_t = t_sent;
		else if (!(type == XS_ERROR && strcmp(g->msg, "EAGAIN") ==
		    0 && sh->gen != gen0))
			crash_fail(w, "guest %u: TRANSACTION_END %u: type %u "
			    "%s (daemons %u then %u)", domid, tx, type,
			    g->msg, gen0, sh->gen);
		sh->ops[w]++;
	}

	/* Its nodes hold what it was told. */
	if (crash_call(g, w, XS_READ, 0, S("data/w\0")) != XS_READ ||
	    strtoul(g->msg, NULL, 10) != last_w)
		crash_fail(w, "guest %u: data/w is %s, wanted %lu", domid,
		    g->msg, last_w);
	rc = crash_call(g, w, XS_READ, 0, S("data/t\0"));
	snprintf(v, sizeof v, "%lu", last_t);
	if (last_t != 0 ? rc != XS_READ || strcmp(g->msg, v) != 0 :
	    rc == XS_READ)
		crash_fail(w, "guest %u: data/t is %s, wanted %s", domid,
		    g->msg, last_t != 0 ? v : "nothing");

	/* One more restart (by the test): the watch fires once. */
	seen = idle_events;
	sh->done[w] = 1;
	while (sh->done[w] != 2)
		usleep(1000);
	if (crash_call(g, w, XS_GET_DOMAIN_PATH, 0, S("0\0")) !=
	    XS_GET_DOMAIN_PATH)
		crash_fail(w, "guest %u: GET_DOMAIN_PATH: %s", domid, g->msg);
	if (idle_events != seen + 1)
		crash_fail(w, "guest %u: %u events of its watch after the "
		    "last restart, wanted 1", domid, idle_events - seen);
	if (idle_events > sh->starts + 2)
		crash_fail(w, "guest %u: %u events of its watch for %u "
		    "restarts", domid, idle_events, sh->starts + 1);
	sim_guest_free(g);
	_exit(0);
}

/* The socket client: writes, reconnecting after each death. */
static void
crash_socket(int w)
{
	struct xs_client	*c = NULL;
	unsigned long		 i, acked = 0, sent = 0;
	char			 v[32], *val;
	uint32_t		 len;
	int			 rc;

	for (i = 1; !sh->stop; i++) {
		if (c == NULL && xs_client_open(fx.sock, &c) != 0) {
			c = NULL;
			usleep(2000);
			continue;
		}
		snprintf(v, sizeof v, "%lu", i);
		sent = i;
		rc = xs_client_write(c, 0, "/sock/v", v, (uint32_t)strlen(v));
		if (rc == 0) {
			acked = i;
			sh->ops[w]++;
			continue;
		}
		if (rc != EIO || sh->updates)
			crash_fail(w, "socket: WRITE: %s", strerror(rc));
		xs_client_close(c);
		c = NULL;
	}
	sh->done[w] = 1;
	while (sh->done[w] != 2)
		usleep(1000);
	if (c != NULL)
		xs_client_close(c);
	if (xs_client_open(fx.sock, &c) != 0)
		crash_fail(w, "socket: cannot connect at the end");
	if ((rc = xs_client_read(c, 0, "/sock/v", &val, &len)) != 0)
		crash_fail(w, "socket: READ: %s", strerror(rc));
	if (strtoul(val, NULL, 10) != acked && strtoul(val, NULL, 10) != sent)
		crash_fail(w, "socket: /sock/v is %s, wanted %lu or %lu", val,
		    acked, sent);
	free(val);
	xs_client_close(c);
	_exit(0);
}

/* Start the daemon on the simulator (again). */
static void
crash_up(void)
{
	const char	*extra[] = { xenarg, NULL };

	fixture_up(&fx, extra);
}

/*
 * Run the workers and, kills times, kill the daemon at a random moment
 * and start it again, or (updates) replace it by a live update.
 */
static void
crash_run(bool updates)
{
	struct sim_guest	*g;
	pid_t			 pids[CRASH_GUESTS + 1];
	const char		*env;
	unsigned int		 kills = CRASH_KILLS, seed, i, k;
	unsigned long		 ops0;
	uint32_t		 rt, rl;
	const char		*r;
	char			 arg[16], cmd[256];
	size_t			 len;
	int			 fd, status, w;

	if ((env = getenv("XSDB_LU_CRASH_KILLS")) != NULL)
		kills = (unsigned int)strtoul(env, NULL, 10);
	seed = (unsigned int)time(NULL);
	if ((env = getenv("XSDB_LU_CRASH_SEED")) != NULL)
		seed = (unsigned int)strtoul(env, NULL, 10);
	printf("# check_lu_crash: seed %u, %u %s\n", seed, kills,
	    updates ? "live updates" : "kills");
	srandom(seed);

	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(sh != MAP_FAILED);
	memset(sh, 0, sizeof *sh);
	sh->updates = updates;
	ck_assert_int_eq(sim_dir_make(simdir, sizeof simdir), 0);
	snprintf(xenarg, sizeof xenarg, "--xen=sim:%s", simdir);
	fixture_init(&fx);
	crash_up();

	for (i = 0; i < CRASH_GUESTS; i++) {
		ck_assert_int_eq(sim_guest_new(simdir, DOMID_BASE + i,
		    PORT_BASE + DOMID_BASE + i, true, &g), 0);
		ck_assert_int_eq(sim_home_make(fx.sock, DOMID_BASE + i), 0);
		ck_assert_int_eq(sim_guest_introduce(g, fx.sock), 0);
		sim_guest_free(g);
	}
	for (w = 0; w <= CRASH_GUESTS; w++) {
		pids[w] = fork();
		ck_assert_int_ne(pids[w], -1);
		if (pids[w] == 0) {
			if (w < CRASH_GUESTS)
				crash_guest(w, DOMID_BASE + (unsigned int)w);
			crash_socket(w);
		}
	}

	for (k = 0; k < kills; k++) {
		/* Let each one get going, then kill at a random moment. */
		ops0 = sh->ops[0];
		for (i = 0; sh->ops[0] == ops0 && i < 5000; i++)
			usleep(200);
		usleep((useconds_t)(random() % CRASH_MAX_US));
		sh->starts++;
		if (updates) {
			/* As xenstore-control does it. */
			fd = fixture_connect(&fx);
			len = (size_t)snprintf(cmd, sizeof cmd,
			    "live-update%c-f%c%s%c", 0, 0, fx.bin, 0);
			r = fixture_req(fd, XS_CONTROL, 0, cmd, (uint32_t)len,
			    &rt, &rl);
			ck_assert_str_eq(r, "OK");
			r = fixture_req(fd, XS_CONTROL, 0, S("live-update\0-s\0"),
			    &rt, &rl);
			ck_assert_str_eq(r, "OK");
			close(fd);
		} else {
			fixture_kill(&fx);
			sh->gen++;
			crash_up();
		}
		for (w = 0; w <= CRASH_GUESTS; w++)
			ck_assert_msg(waitpid(pids[w], &status, WNOHANG) == 0,
			    "worker %d died after %u kills: %s", w, k,
			    sh->err[w]);
	}
	sh->stop = 1;
	for (w = 0; w <= CRASH_GUESTS; w++) {
		for (i = 0; sh->done[w] == 0 && i < 30000; i++)
			usleep(1000);
		ck_assert_msg(sh->done[w] == 1, "worker %d did not finish: %s",
		    w, sh->err[w]);
	}
	/* A last restart, clean: each persisted watch fires once. */
	fixture_stop(&fx);
	crash_up();
	for (w = 0; w <= CRASH_GUESTS; w++)
		sh->done[w] = 2;
	for (w = 0; w <= CRASH_GUESTS; w++) {
		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "worker %d: %s", w, sh->err[w]);
		printf("# worker %d: %lu operations\n", w, sh->ops[w]);
	}

	fd = fixture_connect(&fx);
	for (i = 0; i < CRASH_GUESTS; i++) {
		snprintf(arg, sizeof arg, "%u", DOMID_BASE + i);
		r = fixture_req1(fd, XS_IS_DOMAIN_INTRODUCED, 0, arg, &rt, &rl);
		ck_assert_msg(rt == XS_IS_DOMAIN_INTRODUCED &&
		    strcmp(r, "T") == 0, "domain %s: %s", arg, r);
	}
	r = fixture_req(fd, XS_CONTROL, 0, S("check\0"), &rt, &rl);
	ck_assert_msg(rt == XS_CONTROL && strcmp(r, "OK") == 0, "check: %s",
	    r);
	close(fd);
	fixture_fini(&fx);
	sim_dir_remove(simdir);
	munmap(sh, sizeof *sh);
}

START_TEST(test_kill_under_load)
{
	crash_run(false);
}
END_TEST

/*
 * Live updates at random moments under the same load: nobody may see
 * anything but a pause (no transaction fails, no socket is cut).
 */
START_TEST(test_update_under_load)
{
	crash_run(true);
}
END_TEST

static Suite *
lu_crash_suite(void)
{
	Suite	*s = suite_create("lu_crash");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_kill_under_load);
	tcase_add_test(tc, test_update_under_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(lu_crash_suite());
}

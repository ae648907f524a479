/*
 * check_daemon_life.c - the life of xsdbd: its options, readiness (the
 * daemonizing parent, the pid file, NOTIFY_SOCKET), signals, stop and
 * start on the same store, SIGKILL during writes, and a store left by
 * another boot of the host.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "store.h"

static struct fixture	 fx;

static void	setup(void);
static void	teardown(void);
static int	read_node(int, const char *, char *, size_t);
static void	write_node(int, const char *, const char *);
static int	notify_socket(const char *, char *, size_t);

/* A run directory for each test; the test starts the daemon. */
static void
setup(void)
{
	fixture_init(&fx);
}

/* Stop the daemon. */
static void
teardown(void)
{
	fixture_fini(&fx);
}

/* READ: 0 and the value, or the errno named by the error. */
static int
read_node(int s, const char *path, char *out, size_t len)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req1(s, XS_READ, 0, path, &rt, &rl);
	if (rt == XS_ERROR)
		return xs_wire_error_from_name(r);
	snprintf(out, len, "%.*s", (int)rl, r);
	return 0;
}

/* WRITE, must succeed. */
static void
write_node(int s, const char *path, const char *value)
{
	char		 buf[512];
	size_t		 pl = strlen(path) + 1, vl = strlen(value);
	uint32_t	 rt, rl;

	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	fixture_req(s, XS_WRITE, 0, buf, (uint32_t)(pl + vl), &rt, &rl);
	ck_assert_uint_eq(rt, XS_WRITE);
}

/* A datagram socket at path for NOTIFY_SOCKET; returns its fd. */
static int
notify_socket(const char *dir, char *path, size_t len)
{
	struct sockaddr_un	sun;
	int			s;

	snprintf(path, len, "%s/notify", dir);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(s, -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path));
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
	return s;
}

/* -H prints the usage and exits 0. */
START_TEST(test_help)
{
	static const char	*args[] = { "-H", NULL };

	ck_assert_int_eq(fixture_run(&fx, args), 0);
	ck_assert(fixture_log_has(&fx, "--db DIR"));
	ck_assert(fixture_log_has(&fx, "--pid-file"));
}
END_TEST

/* Bad command lines exit 2 with a message. */
START_TEST(test_bad_options)
{
	static const char	*bad[][4] = {
		{ "--bogus", NULL },
		{ "-Z", NULL },
		{ "-E", NULL },
		{ "-E", "ten", NULL },
		{ "-E", "-1", NULL },
		{ "--entry-size", "12x", NULL },
		{ "-Q", "bogus=1", NULL },
		{ "-Q", "memory", NULL },
		{ "-q", "outstanding=1", NULL },
		{ "-w", "watch-event=x", NULL },
		{ "--internal-db=maybe", NULL },
		{ "--map-size", "12Q", NULL },
		{ "--out-max", "100", NULL },
		{ "extra-argument", NULL },
	};
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(fixture_run(&fx, bad[i]) == 2,
		    "%s %s did not exit 2", bad[i][0],
		    bad[i][1] ? bad[i][1] : "");
	}
	ck_assert(fixture_log_has(&fx, "unknown option --bogus"));
	ck_assert(fixture_log_has(&fx, "unknown option -Z"));
	ck_assert(fixture_log_has(&fx, "needs a value"));
}
END_TEST

/* Every option of Xen's xenstored is accepted as launch-xenstore passes
 * them. */
START_TEST(test_xen_options)
{
	static const char	*extra[] = { "-D", "-E", "1000", "-S", "2048",
		"-W", "128", "-t", "10", "-A", "5", "-M", "1024", "-Q",
		"memory=2097152", "-Q", "transaction-nodes=1000", "-Q",
		"outstanding=20", "-q", "memory=1048576", "-w",
		"watch-event=20", "-R", "-I", "--internal-db=off", "-K", "-V",
		"--master-domid", "0", "--priv-domid", "0", "--event", "3",
		"--trace-control=+io", "--entry-nb=500", "--watch-nb", "64",
		"--transaction=5", "--perm-nb", "5", "--path-max=2048",
		"--quota=memory=100000", "--quota-soft", "memory=1000",
		"--timeout=watch-event=5", "--no-recovery", "--keep-orphans",
		"--verbose", "--no-domain-init", "--sync", "--map-size", "16M",
		"--txn-timeout", "30", "--out-max", "1M", NULL };
	int			 s;
	char			 v[64];

	fixture_up(&fx, extra);
	s = fixture_connect(&fx);
	ck_assert_int_eq(read_node(s, "/tool/xenstored", v, sizeof v), 0);
	close(s);
	ck_assert(fixture_log_has(&fx, "internal-db"));
}
END_TEST

/*
 * Readiness: the first process exits once the socket accepts, the pid
 * file names the daemon, the socket is 0600; SIGTERM stops it cleanly
 * and removes pid file and socket.
 */
START_TEST(test_ready_and_stop)
{
	struct stat	sb;
	char		v[64];
	int		s, status;

	fixture_up(&fx, NULL);
	ck_assert_int_eq(kill(fx.pid, 0), 0);
	s = fixture_connect(&fx);
	ck_assert_int_eq(read_node(s, "/tool/xenstored", v, sizeof v), 0);
	ck_assert_int_eq(stat(fx.sock, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	status = fixture_stop(&fx);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(access(fx.pidfile, F_OK), -1);
	ck_assert_int_eq(access(fx.sock, F_OK), -1);
	close(s);
}
END_TEST

/* -P prints the daemon's pid once it serves (from the waiting parent). */
START_TEST(test_output_pid)
{
	static const char	*extra[] = { "-P", NULL };
	char			 want[32];

	fixture_up(&fx, extra);
	snprintf(want, sizeof want, "%ld\n", (long)fx.pid);
	ck_assert(fixture_log_has(&fx, want));
}
END_TEST

/* SIGHUP reopens the trace file and the daemon goes on. */
START_TEST(test_sighup)
{
	static const char	*extra[] = { "-T", NULL, NULL };
	char			 trace[256], v[64];
	int			 s;

	snprintf(trace, sizeof trace, "%s/trace", fx.dir);
	extra[1] = trace;
	fixture_up(&fx, extra);
	s = fixture_connect(&fx);
	ck_assert_int_eq(kill(fx.pid, SIGHUP), 0);
	ck_assert_int_eq(read_node(s, "/tool/xenstored", v, sizeof v), 0);
	ck_assert_int_eq(kill(fx.pid, 0), 0);
	close(s);
}
END_TEST

/*
 * In the foreground (-N), READY=1 goes to $NOTIFY_SOCKET; without
 * --socket the socket is $XENSTORED_PATH, as for Xen's daemon.
 */
START_TEST(test_notify_foreground)
{
	const char	*argv[16];
	char		 npath[256], msg[256], v[64];
	pid_t		 pid;
	ssize_t		 n;
	int		 ns, s, status, fd;

	ns = notify_socket(fx.dir, npath, sizeof npath);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		argv[0] = fx.bin;
		argv[1] = "-N";
		argv[2] = "--db";
		argv[3] = fx.db;
		argv[4] = "--xen=none";
		argv[5] = NULL;
		setenv("NOTIFY_SOCKET", npath, 1);
		setenv("XENSTORED_PATH", fx.sock, 1);
		fd = open(fx.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(fx.bin, (char *const *)argv);
		_exit(127);
	}
	n = recv(ns, msg, sizeof msg - 1, 0);
	ck_assert_int_gt(n, 0);
	msg[n] = '\0';
	ck_assert_ptr_nonnull(strstr(msg, "READY=1"));
	s = fixture_connect(&fx);
	ck_assert_int_eq(read_node(s, "/tool/xenstored", v, sizeof v), 0);
	close(s);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ns);
}
END_TEST

/* Daemonized, READY=1 comes from the daemon with its pid. */
START_TEST(test_notify_daemon)
{
	char	npath[256], msg[256], want[64];
	ssize_t	n;
	int	ns;

	ns = notify_socket(fx.dir, npath, sizeof npath);
	setenv("NOTIFY_SOCKET", npath, 1);
	fixture_up(&fx, NULL);
	unsetenv("NOTIFY_SOCKET");
	n = recv(ns, msg, sizeof msg - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	msg[n] = '\0';
	snprintf(want, sizeof want, "MAINPID=%ld", (long)fx.pid);
	ck_assert_ptr_nonnull(strstr(msg, "READY=1"));
	ck_assert_ptr_nonnull(strstr(msg, want));
	close(ns);
}
END_TEST

/* Two daemons never share a store or a socket. */
START_TEST(test_exclusive)
{
	struct fixture	f2;
	char		sock2[256];
	const char	*args[8];

	fixture_up(&fx, NULL);
	fixture_init(&f2);
	/* Same store, other socket: refused. */
	snprintf(sock2, sizeof sock2, "%s/other-socket", f2.dir);
	args[0] = "--db";
	args[1] = fx.db;
	args[2] = "--socket";
	args[3] = sock2;
	args[4] = NULL;
	ck_assert_int_eq(fixture_run(&f2, args), 1);
	ck_assert(fixture_log_has(&f2, "another daemon"));
	/* Same socket, other store: refused. */
	args[1] = f2.db;
	args[3] = fx.sock;
	ck_assert_int_eq(fixture_run(&f2, args), 1);
	ck_assert(fixture_log_has(&f2, "already listens"));
	fixture_fini(&f2);
	/* The first one still serves. */
	{
		char	v[64];
		int	s = fixture_connect(&fx);

		ck_assert_int_eq(read_node(s, "/tool/xenstored", v, sizeof v),
		    0);
		close(s);
	}
}
END_TEST

/* A store that cannot be opened: exit 1 with the reason, at once. */
START_TEST(test_bad_store)
{
	const char	*args[6];
	int		 fd;

	fd = open(fx.db, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ne(fd, -1);
	close(fd);
	args[0] = "--db";
	args[1] = fx.db;
	args[2] = "--socket";
	args[3] = fx.sock;
	args[4] = NULL;
	ck_assert_int_eq(fixture_run(&fx, args), 1);
	ck_assert(fixture_log_has(&fx, "database"));
}
END_TEST

/* Stop and start on the same store: the same nodes. */
START_TEST(test_restart)
{
	char	p[64], v[64];
	int	s, i, round;

	for (round = 0; round < 3; round++) {
		fixture_up(&fx, NULL);
		s = fixture_connect(&fx);
		for (i = 0; i < round * 10; i++) {
			snprintf(p, sizeof p, "/keep/%d", i);
			ck_assert_int_eq(read_node(s, p, v, sizeof v), 0);
			ck_assert_int_eq(atoi(v), i * round - i);
		}
		for (i = 0; i < (round + 1) * 10; i++) {
			snprintf(p, sizeof p, "/keep/%d", i);
			snprintf(v, sizeof v, "%d", i * (round + 1) - i);
			write_node(s, p, v);
		}
		close(s);
		ck_assert_int_eq(fixture_stop(&fx), 0);
	}
	ck_assert(!fixture_log_has(&fx, "another boot"));
}
END_TEST

/*
 * SIGKILL while several clients write: every acknowledged write is there
 * after a restart. Each writer pipelines writes of new nodes and counts
 * the acknowledgements it read before the kill.
 */
START_TEST(test_sigkill)
{
	enum { WRITERS = 4, DEPTH = 32 };
	struct xs_header	 h;
	char			 buf[XS_PAYLOAD_MAX + 1], p[64];
	int			 s[WRITERS], round, w, total = 0;
	uint32_t		 sent[WRITERS], acked[WRITERS], k, len;

	for (round = 0; round < 5; round++) {
		fixture_up(&fx, NULL);
		for (w = 0; w < WRITERS; w++) {
			s[w] = fixture_connect(&fx);
			sent[w] = acked[w] = 0;
		}
		/* Keep DEPTH writes in flight on each, for a while. */
		for (k = 0; k < 300 + (uint32_t)round * 97; k++)
			for (w = 0; w < WRITERS; w++) {
				while (sent[w] - acked[w] < DEPTH) {
					len = (uint32_t)snprintf(p, sizeof p,
					    "/kill/r%d/w%d/%u%c%u", round, w,
					    sent[w], '\0', sent[w]);
					fixture_send(s[w], XS_WRITE, sent[w],
					    0, p, len);
					sent[w]++;
				}
				ck_assert_int_eq(fixture_recv(s[w], &h, buf,
				    10000), 0);
				ck_assert_uint_eq(h.type, XS_WRITE);
				ck_assert_uint_eq(h.req_id, acked[w]);
				acked[w]++;
			}
		/* Kill it with writes in flight. */
		fixture_kill(&fx);
		for (w = 0; w < WRITERS; w++)
			close(s[w]);

		fixture_up(&fx, NULL);
		s[0] = fixture_connect(&fx);
		for (w = 0; w < WRITERS; w++) {
			for (k = 0; k < acked[w]; k++) {
				snprintf(p, sizeof p, "/kill/r%d/w%d/%u",
				    round, w, k);
				ck_assert_msg(read_node(s[0], p, buf,
				    sizeof buf) == 0, "acknowledged %s lost",
				    p);
				ck_assert_uint_eq(strtoul(buf, NULL, 10), k);
			}
			total += (int)acked[w];
		}
		/* The store is whole: a write commits. */
		write_node(s[0], "/kill/after", "x");
		close(s[0]);
		fixture_kill(&fx);
	}
	ck_assert_int_gt(total, 5 * WRITERS * 300);
}
END_TEST

/*
 * A database left by another boot of the host is moved aside and a
 * fresh store started; the same boot keeps it.
 */
START_TEST(test_other_boot)
{
	struct store_config	 cfg;
	struct store		*st;
	struct store_txn	*t;
	struct stat		 sb;
	char			 err[256], aside[256], v[64];
	int			 s;

	fixture_up(&fx, NULL);
	s = fixture_connect(&fx);
	write_node(s, "/marker", "old boot");
	close(s);
	ck_assert_int_eq(fixture_stop(&fx), 0);

	/* Pretend the database was written during another boot. */
	memset(&cfg, 0, sizeof cfg);
	cfg.dir = fx.db;
	ck_assert_int_eq(store_open(&st, &cfg, err, sizeof err), 0);
	ck_assert_int_eq(store_txn_begin(st, NULL, STORE_TXN_WRITE, &t), 0);
	ck_assert_int_eq(store_meta_put(t, "bootid", "0000-other", 10), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	store_close(st);

	fixture_up(&fx, NULL);
	s = fixture_connect(&fx);
	ck_assert_int_eq(read_node(s, "/marker", v, sizeof v), ENOENT);
	ck_assert_int_eq(read_node(s, "/tool/xenstored", v, sizeof v), 0);
	write_node(s, "/marker", "new boot");
	close(s);
	ck_assert(fixture_log_has(&fx, "another boot"));
	snprintf(aside, sizeof aside, "%s.boot-0000-other", fx.db);
	ck_assert_int_eq(stat(aside, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));

	/* The old store is intact where it was moved. */
	cfg.dir = aside;
	cfg.read_only = true;
	ck_assert_int_eq(store_open(&st, &cfg, err, sizeof err), 0);
	ck_assert_int_eq(store_txn_begin(st, NULL, STORE_TXN_READ, &t), 0);
	ck_assert(store_exists(t, "/marker"));
	store_txn_abort(t);
	store_close(st);

	/* Restarting within this boot keeps the new store. */
	ck_assert_int_eq(fixture_stop(&fx), 0);
	fixture_up(&fx, NULL);
	s = fixture_connect(&fx);
	ck_assert_int_eq(read_node(s, "/marker", v, sizeof v), 0);
	ck_assert_str_eq(v, "new boot");
	close(s);
}
END_TEST

static Suite *
life_suite(void)
{
	Suite	*s = suite_create("daemon_life");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xen_options);
	tcase_add_test(tc, test_ready_and_stop);
	tcase_add_test(tc, test_output_pid);
	tcase_add_test(tc, test_sighup);
	tcase_add_test(tc, test_notify_foreground);
	tcase_add_test(tc, test_notify_daemon);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_sigkill);
	tcase_add_test(tc, test_other_boot);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_exclusive);
	tcase_add_test(tc, test_bad_store);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(life_suite());
}

/*
 * check_crash.c - the store survives the daemon: xsdbd is killed with
 * SIGKILL at random moments while several writers write, started again on
 * the same store, and every acknowledged write must be there.
 *
 * Each writer connection keeps several requests in flight. Plain slots
 * write counter values to nodes of their own; one slot per writer writes
 * a pair of nodes in one transaction. For every node the test knows the
 * last value acknowledged and the last value sent, so after a restart a
 * node must hold a value between the two, written exactly as it was sent
 * (the value carries padding derived from it), and the two nodes of a
 * pair must hold the same value: a transaction is all or nothing. CONTROL
 * "check" must then answer "OK" (the store's integrity check passed).
 *
 * Environment: XSDB_TOP_BUILDDIR (the daemon is src/xsdbd there, or
 * XSDB_CRASH_DAEMON), XSDB_CRASH_SEED (default: from the clock; printed),
 * XSDB_CRASH_KILLS (default 300).
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "xsbench.h"

#define CRASH_WRITERS		8	/* connections */
#define CRASH_DEPTH		4	/* slots per connection, the last one
					 * writes in transactions */
#define CRASH_NODES		6	/* nodes per plain slot */
#define CRASH_PAD_MAX		200	/* padding after the counter */
#define CRASH_KILLS		300
#define CRASH_MAX_DELAY_US	40000	/* longest write phase of a cycle */
#define CRASH_CALL_MS		10000

#define CRASH_PLAIN_NODES	(CRASH_WRITERS * (CRASH_DEPTH - 1) * CRASH_NODES)
#define CRASH_PAIR_NODES	(CRASH_WRITERS * 2)
#define CRASH_ALL_NODES		(CRASH_PLAIN_NODES + CRASH_PAIR_NODES)

/* What the test knows about one node. */
struct crash_node {
	char		path[64];
	unsigned int	index;
	uint64_t	acked;		/* last value acknowledged */
	uint64_t	sent;		/* last value sent */
};

/* Where a slot's transaction is: the reply it waits for. */
enum crash_step {
	CRASH_IDLE,
	CRASH_START,
	CRASH_WRITE0,
	CRASH_WRITE1,
	CRASH_END
};

struct crash;

/* One stream of requests on a writer connection. */
struct crash_slot {
	struct crash		*cr;
	struct xb_conn		*c;
	unsigned int		 num;		/* req_id */
	int			 txn;		/* writes a pair in transactions */
	struct crash_node	*nodes;
	unsigned int		 nnodes;
	unsigned int		 next;		/* plain: node written next */
	struct crash_node	*cur;		/* plain: node being written */
	enum crash_step		 step;		/* txn: reply awaited */
	uint32_t		 tx_id;
	uint64_t		 value;		/* txn: value being written */
};

/* The test's state. */
struct crash {
	char			 dir[80];
	char			 db[96];
	char			 sock[96];
	char			 pidfile[96];
	char			 log[96];
	const char		*daemon;
	pid_t			 pid;
	uint64_t		 rng;

	struct crash_node	 nodes[CRASH_ALL_NODES];
	struct crash_slot	 slots[CRASH_WRITERS * CRASH_DEPTH];
	struct xb_conn		*conns[CRASH_WRITERS];
	int			 epfd;

	uint64_t		 acks;		/* acknowledged writes */
	uint64_t		 txns;		/* committed transactions */
	uint64_t		 retries;	/* EAGAIN on commit */
};

static void	crash_reap(const char *);
static void	crash_reap_top(const char *, int);
static uint64_t	crash_random(struct crash *);
static void	crash_setup(struct crash *);
static void	crash_cleanup(struct crash *);
static int	crash_rm(const char *, const struct stat *, int,
		    struct FTW *);
static void	crash_start(struct crash *);
static void	crash_signal(struct crash *, int);
static void	crash_sanitizer_env(const char *, const char *);
static void	crash_no_reports(struct crash *);
static size_t	crash_value(const struct crash_node *, uint64_t, char *,
		    size_t);
static void	crash_verify(struct crash *);
static void	crash_verify_node(struct crash_node *, const char *, int);
static int	crash_slot_next(struct crash_slot *);
static int	crash_on_msg(struct xb_conn *, const struct xs_header *,
		    const char *, void *);
static int	crash_flush(struct crash *, struct xb_conn *);
static void	crash_write_phase(struct crash *, uint64_t);
static Suite	*crash_suite(void);

/*
 * Every run directory lives under this one, made by main before the tests
 * fork, so that main can kill a daemon that a failed test left running
 * (a failed assertion ends the test's process at once).
 */
static char	crash_top[64];

/*
 * Kill the daemons still running in the run directories under top, then
 * remove top if keep is false. A pid is only trusted if that process's
 * command line names its run directory.
 */
static void
crash_reap_top(const char *top, int keep)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[sizeof(crash_top) + 300];

	if ((d = opendir(top)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", top, de->d_name);
		crash_reap(path);
	}
	closedir(d);
	if (!keep)
		nftw(top, crash_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* Kill the daemon whose pid file is in run directory dir, if it runs. */
static void
crash_reap(const char *dir)
{
	char	path[sizeof(crash_top) + 320], cmd[4096];
	ssize_t	n, i;
	pid_t	pid;
	int	fd;

	snprintf(path, sizeof(path), "%s/pid", dir);
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return;
	cmd[n] = '\0';
	if ((pid = (pid_t)strtol(cmd, NULL, 10)) <= 1)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	}
	cmd[n] = '\0';
	if (strstr(cmd, dir) != NULL)
		kill(pid, SIGKILL);
}

/* xorshift64*: reproducible from the printed seed. */
static uint64_t
crash_random(struct crash *cr)
{
	cr->rng ^= cr->rng >> 12;
	cr->rng ^= cr->rng << 25;
	cr->rng ^= cr->rng >> 27;
	return cr->rng * 2685821657736338717ULL;
}

/* Make the run directory, lay out the nodes and slots, pick the seed. */
static void
crash_setup(struct crash *cr)
{
	const char		*top, *env;
	struct crash_slot	*s;
	unsigned int		 i, w, k, n = 0, seed;

	memset(cr, 0, sizeof(*cr));
	cr->epfd = -1;
	cr->pid = -1;
	if ((cr->daemon = getenv("XSDB_CRASH_DAEMON")) == NULL) {
		static char	path[4096];

		top = getenv("XSDB_TOP_BUILDDIR");
		ck_assert_msg(top != NULL,
		    "XSDB_TOP_BUILDDIR is not set (run through make check)");
		snprintf(path, sizeof(path), "%s/src/xsdbd", top);
		cr->daemon = path;
	}
	ck_assert_msg(access(cr->daemon, X_OK) == 0, "no daemon at %s",
	    cr->daemon);

	if ((env = getenv("XSDB_CRASH_SEED")) != NULL)
		seed = (unsigned int)strtoul(env, NULL, 10);
	else
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	cr->rng = ((uint64_t)seed << 1) | 1;
	printf("# check_crash: seed %u (XSDB_CRASH_SEED=%u repeats it)\n",
	    seed, seed);
	fflush(stdout);

	ck_assert_msg(crash_top[0] != '\0', "no top directory");
	snprintf(cr->dir, sizeof(cr->dir), "%s/run.XXXXXX", crash_top);
	ck_assert_msg(mkdtemp(cr->dir) != NULL, "mkdtemp: %s",
	    strerror(errno));
	snprintf(cr->db, sizeof(cr->db), "%s/db", cr->dir);
	snprintf(cr->sock, sizeof(cr->sock), "%s/socket", cr->dir);
	snprintf(cr->pidfile, sizeof(cr->pidfile), "%s/pid", cr->dir);
	snprintf(cr->log, sizeof(cr->log), "%s/daemon.log", cr->dir);

	/* A daemonized xsdbd becomes our child, so waitpid sees it die. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);

	for (w = 0; w < CRASH_WRITERS; w++) {
		for (k = 0; k < CRASH_DEPTH; k++) {
			s = &cr->slots[w * CRASH_DEPTH + k];
			s->cr = cr;
			s->num = k;
			s->txn = k == CRASH_DEPTH - 1;
			s->nodes = &cr->nodes[n];
			s->nnodes = s->txn ? 2 : CRASH_NODES;
			for (i = 0; i < s->nnodes; i++, n++) {
				snprintf(cr->nodes[n].path,
				    sizeof(cr->nodes[n].path),
				    s->txn ? "/crash/w%u/pair%u" :
				    "/crash/w%u/n%u", w,
				    s->txn ? i : k * CRASH_NODES + i);
				cr->nodes[n].index = n;
			}
		}
	}
	ck_assert_uint_eq(n, CRASH_ALL_NODES);
}

/* nftw callback: remove one file or directory. */
static int
crash_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	remove(path);
	return 0;
}

/* Stop the daemon if it runs, remove the run directory. */
static void
crash_cleanup(struct crash *cr)
{
	unsigned int	i;

	for (i = 0; i < CRASH_WRITERS; i++) {
		xb_conn_free(cr->conns[i]);
		cr->conns[i] = NULL;
	}
	if (cr->epfd != -1)
		close(cr->epfd);
	if (cr->pid > 0) {
		kill(cr->pid, SIGKILL);
		waitpid(cr->pid, NULL, 0);
	}
	nftw(cr->dir, crash_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * Start the daemon on the store. It daemonizes and its first process
 * exits only once the socket accepts, so no waiting is needed after.
 */
static void
crash_start(struct crash *cr)
{
	char	 buf[32];
	pid_t	 pid;
	int	 status, fd;
	ssize_t	 n;

	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open(cr->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* A sanitizer build reports into the run directory. */
		crash_sanitizer_env("ASAN_OPTIONS", cr->dir);
		crash_sanitizer_env("UBSAN_OPTIONS", cr->dir);
		execl(cr->daemon, cr->daemon, "--db", cr->db, "--socket",
		    cr->sock, "--pid-file", cr->pidfile, "--xen=none",
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s did not start (status 0x%x, log in %s)", cr->daemon, status,
	    cr->log);
	/* Intermediate processes of the daemonizing end up here: reap. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	fd = open(cr->pidfile, O_RDONLY);
	ck_assert_msg(fd != -1, "no pid file %s", cr->pidfile);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	cr->pid = (pid_t)strtol(buf, NULL, 10);
	ck_assert_int_gt(cr->pid, 1);
}

/* Add log_path=DIR/sanitizer to a sanitizer's options variable. */
static void
crash_sanitizer_env(const char *var, const char *dir)
{
	const char	*old = getenv(var);
	char		 buf[1024];

	snprintf(buf, sizeof(buf), "%s%slog_path=%s/sanitizer",
	    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "",
	    dir);
	setenv(var, buf, 1);
}

/* No sanitizer report was written by any daemon of the run. */
static void
crash_no_reports(struct crash *cr)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[sizeof(cr->dir) + 260], text[2048];
	ssize_t		 n;
	int		 fd;

	d = opendir(cr->dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "sanitizer", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", cr->dir, de->d_name);
		n = -1;
		if ((fd = open(path, O_RDONLY)) != -1) {
			n = read(fd, text, sizeof(text) - 1);
			close(fd);
		}
		text[n > 0 ? n : 0] = '\0';
		closedir(d);
		ck_abort_msg("sanitizer report %s: %s", path, text);
	}
	closedir(d);
}

/* Send sig to the daemon and wait until it has gone. */
static void
crash_signal(struct crash *cr, int sig)
{
	int	status;

	ck_assert_int_eq(kill(cr->pid, sig), 0);
	ck_assert_msg(waitpid(cr->pid, &status, 0) == cr->pid,
	    "waitpid %d: %s", (int)cr->pid, strerror(errno));
	if (sig == SIGKILL)
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	else
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "after signal %d the daemon ended with status 0x%x", sig,
		    status);
	cr->pid = -1;
}

/*
 * The value written as count v to a node: the decimal count, '-', then
 * padding whose length and letter depend on node and count, so that a
 * torn or misplaced value shows.
 */
static size_t
crash_value(const struct crash_node *node, uint64_t v, char *buf,
    size_t bufsz)
{
	size_t	len, pad;
	int	n;

	n = snprintf(buf, bufsz, "%" PRIu64 "-", v);
	len = (size_t)n;
	pad = (node->index * 37 + v * 11) % CRASH_PAD_MAX;
	if (len + pad >= bufsz)
		pad = bufsz - len - 1;
	memset(buf + len, 'a' + (int)((node->index + v) % 26), pad);
	len += pad;
	buf[len] = '\0';
	return len;
}

/* Check one node against what was acknowledged and sent. */
static void
crash_verify_node(struct crash_node *node, const char *value, int err)
{
	char		want[CRASH_PAD_MAX + 32];
	uint64_t	v;

	if (err == ENOENT) {
		ck_assert_msg(node->acked == 0,
		    "%s is gone, acknowledged value %" PRIu64, node->path,
		    node->acked);
		return;
	}
	ck_assert_msg(err == 0, "read %s: %s", node->path, strerror(err));
	v = strtoull(value, NULL, 10);
	ck_assert_msg(v >= node->acked && v <= node->sent,
	    "%s holds %" PRIu64 ", acknowledged %" PRIu64 ", sent %" PRIu64,
	    node->path, v, node->acked, node->sent);
	crash_value(node, v, want, sizeof(want));
	ck_assert_msg(strcmp(value, want) == 0,
	    "%s holds \"%s\", want \"%s\"", node->path, value, want);
	/* What is there now is the base for the next writes. */
	node->acked = v;
}

/*
 * After a restart: every node holds what was acknowledged (or a later
 * value that was sent), pairs are equal, and the integrity check passes.
 */
static void
crash_verify(struct crash *cr)
{
	struct xb_conn		*c;
	struct crash_slot	*s;
	char			 value[CRASH_PAD_MAX + 64], other[sizeof(value)];
	unsigned int		 i;
	int			 err, err2;

	err = xb_conn_open(cr->sock, &c);
	ck_assert_msg(err == 0, "connect %s: %s", cr->sock, strerror(err));
	for (i = 0; i < CRASH_WRITERS * CRASH_DEPTH; i++) {
		s = &cr->slots[i];
		if (!s->txn)
			continue;
		err = xb_call_ok(c, XS_READ, 0, s->nodes[0].path,
		    strlen(s->nodes[0].path) + 1, value, sizeof(value),
		    CRASH_CALL_MS);
		err2 = xb_call_ok(c, XS_READ, 0, s->nodes[1].path,
		    strlen(s->nodes[1].path) + 1, other, sizeof(other),
		    CRASH_CALL_MS);
		ck_assert_msg(err == err2 && (err != 0 ||
		    strtoull(value, NULL, 10) == strtoull(other, NULL, 10)),
		    "transaction torn: %s = \"%s\" (%d), %s = \"%s\" (%d)",
		    s->nodes[0].path, err ? "" : value, err, s->nodes[1].path,
		    err2 ? "" : other, err2);
	}
	for (i = 0; i < CRASH_ALL_NODES; i++) {
		err = xb_call_ok(c, XS_READ, 0, cr->nodes[i].path,
		    strlen(cr->nodes[i].path) + 1, value, sizeof(value),
		    CRASH_CALL_MS);
		crash_verify_node(&cr->nodes[i], value, err);
	}
	err = xb_call_ok(c, XS_CONTROL, 0, "check", 6, value, sizeof(value),
	    CRASH_CALL_MS);
	ck_assert_msg(err == 0, "CONTROL check: %s", strerror(err));
	ck_assert_msg(strcmp(value, "OK") == 0, "CONTROL check: \"%s\"",
	    value);
	xb_conn_free(c);
}

/* Queue a slot's next request. */
static int
crash_slot_next(struct crash_slot *s)
{
	struct crash_node	*node;
	char			 value[CRASH_PAD_MAX + 32];
	size_t			 len;
	unsigned int		 i;

	if (!s->txn) {
		node = s->cur = &s->nodes[s->next++ % s->nnodes];
		len = crash_value(node, ++node->sent, value, sizeof(value));
		return xb_conn_queue(s->c, XS_WRITE, s->num, 0, node->path,
		    strlen(node->path) + 1, value, len);
	}
	switch (s->step) {
	case CRASH_IDLE:
		s->step = CRASH_START;
		return xb_conn_queue(s->c, XS_TRANSACTION_START, s->num, 0,
		    "", 1, NULL, 0);
	case CRASH_START:
		/* The pair's next value: from now on it may be stored. */
		s->value = s->nodes[0].sent + 1;
		for (i = 0; i < 2; i++)
			s->nodes[i].sent = s->value;
		/* FALLTHROUGH */
	case CRASH_WRITE0:
		node = &s->nodes[s->step == CRASH_START ? 0 : 1];
		s->step = s->step == CRASH_START ? CRASH_WRITE0 : CRASH_WRITE1;
		len = crash_value(node, s->value, value, sizeof(value));
		return xb_conn_queue(s->c, XS_WRITE, s->num, s->tx_id,
		    node->path, strlen(node->path) + 1, value, len);
	case CRASH_WRITE1:
		s->step = CRASH_END;
		return xb_conn_queue(s->c, XS_TRANSACTION_END, s->num,
		    s->tx_id, "T", 2, NULL, 0);
	default:
		return EINVAL;
	}
}

/* A reply on a writer connection: record it, send the slot's next. */
static int
crash_on_msg(struct xb_conn *c, const struct xs_header *h, const char *p,
    void *arg)
{
	static const uint32_t	 want[] = { 0, XS_TRANSACTION_START, XS_WRITE,
				    XS_WRITE, XS_TRANSACTION_END };
	struct crash		*cr = arg;
	struct crash_slot	*s;
	unsigned int		 i;

	if (h->type == XS_WATCH_EVENT || h->req_id >= CRASH_DEPTH)
		return EPROTO;
	s = &cr->slots[(unsigned int)c->id * CRASH_DEPTH + h->req_id];
	if (!s->txn) {
		if (h->type != XS_WRITE) {
			fprintf(stderr, "write %s: %s\n", s->cur->path, p);
			return EPROTO;
		}
		s->cur->acked = s->cur->sent;
		cr->acks++;
		return crash_slot_next(s);
	}

	if (h->type == XS_ERROR && s->step == CRASH_END &&
	    strcmp(p, "EAGAIN") == 0) {
		/* Creating the pair races the plain writers creating
		 * their nodes in the same directory: a real conflict. */
		cr->retries++;
		s->step = CRASH_IDLE;
		return crash_slot_next(s);
	}
	if (s->step == CRASH_IDLE || h->type != want[s->step]) {
		fprintf(stderr, "transaction on %s, step %d: reply type %u "
		    "\"%s\"\n", s->nodes[0].path, (int)s->step, h->type, p);
		return EPROTO;
	}
	if (s->step == CRASH_START)
		s->tx_id = (uint32_t)strtoul(p, NULL, 10);
	if (s->step == CRASH_END) {
		for (i = 0; i < 2; i++)
			s->nodes[i].acked = s->value;
		cr->txns++;
		cr->acks += 2;
		s->step = CRASH_IDLE;
	}
	return crash_slot_next(s);
}

/* Write a connection's queue out; poll for output while some is left. */
static int
crash_flush(struct crash *cr, struct xb_conn *c)
{
	struct epoll_event	ev;
	int			err, want;

	if ((err = xb_conn_flush(c)) != 0)
		return err;
	want = xb_conn_pending(c);
	if (want == c->polled_out)
		return 0;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(cr->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		return errno;
	c->polled_out = want;
	return 0;
}

/*
 * Connect the writers and let them write for delay_us; the connections
 * are left open for the kill that follows. Any failure before then is the
 * daemon's.
 */
static void
crash_write_phase(struct crash *cr, uint64_t delay_us)
{
	struct epoll_event	 ev, evs[CRASH_WRITERS];
	struct crash_slot	*s;
	struct xb_conn		*c;
	uint64_t		 end, now, acks0;
	unsigned int		 i;
	int			 err, n, k, ms, started = 0;

	cr->epfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ne(cr->epfd, -1);
	for (i = 0; i < CRASH_WRITERS; i++) {
		err = xb_conn_open(cr->sock, &cr->conns[i]);
		ck_assert_msg(err == 0, "connect: %s", strerror(err));
		c = cr->conns[i];
		c->id = (int)i;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		ck_assert_int_eq(epoll_ctl(cr->epfd, EPOLL_CTL_ADD, c->fd,
		    &ev), 0);
	}
	for (i = 0; i < CRASH_WRITERS * CRASH_DEPTH; i++) {
		s = &cr->slots[i];
		s->c = cr->conns[i / CRASH_DEPTH];
		s->step = CRASH_IDLE;
		ck_assert_int_eq(crash_slot_next(s), 0);
	}
	for (i = 0; i < CRASH_WRITERS; i++)
		ck_assert_int_eq(crash_flush(cr, cr->conns[i]), 0);

	/*
	 * The delay counts from the first acknowledged write, so that even
	 * a slow (sanitizer) build is killed while writing, not before.
	 * A zero delay kills at once, right after the start.
	 */
	acks0 = cr->acks;
	now = xb_now_ns();
	end = delay_us == 0 ? now : now + CRASH_CALL_MS * 1000000ULL;
	while ((now = xb_now_ns()) < end) {
		if (delay_us > 0 && started == 0 && cr->acks > acks0) {
			started = 1;
			end = now + delay_us * 1000;
		}
		ms = (int)((end - now + 999999) / 1000000);
		n = epoll_wait(cr->epfd, evs, CRASH_WRITERS, ms);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_ne(n, -1);
		for (k = 0; k < n; k++) {
			c = evs[k].data.ptr;
			err = 0;
			if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				err = xb_conn_read(c, crash_on_msg, cr);
			if (err == 0)
				err = crash_flush(cr, c);
			ck_assert_msg(err == 0, "writer %d: %s (daemon log in "
			    "%s)", c->id, strerror(err), cr->log);
		}
	}
	ck_assert_msg(delay_us == 0 || started, "no write acknowledged "
	    "within %d ms", CRASH_CALL_MS);
}

/*
 * Stopped with SIGTERM and started again, the daemon serves the same
 * store.
 */
START_TEST(test_clean_restart)
{
	struct crash	cr;
	unsigned int	i;

	crash_setup(&cr);
	crash_start(&cr);
	crash_write_phase(&cr, 20000);
	crash_signal(&cr, SIGTERM);
	for (i = 0; i < CRASH_WRITERS; i++) {
		xb_conn_free(cr.conns[i]);
		cr.conns[i] = NULL;
	}
	close(cr.epfd);
	cr.epfd = -1;
	ck_assert_uint_gt(cr.acks, 0);
	crash_start(&cr);
	crash_verify(&cr);
	crash_signal(&cr, SIGTERM);
	crash_no_reports(&cr);
	crash_cleanup(&cr);
}
END_TEST

/*
 * SIGKILL at random moments while writers write, a few hundred times;
 * after each restart every acknowledged write is there.
 */
START_TEST(test_kill_under_load)
{
	struct crash	 cr;
	const char	*env;
	unsigned int	 i, kills = CRASH_KILLS, k;
	uint64_t	 t0, delay;

	if ((env = getenv("XSDB_CRASH_KILLS")) != NULL)
		kills = (unsigned int)strtoul(env, NULL, 10);
	crash_setup(&cr);
	t0 = xb_now_ns();
	crash_start(&cr);
	for (k = 0; k < kills; k++) {
		/* Now and then right after the start, else at any moment. */
		delay = crash_random(&cr) % 8 == 0 ? 0 :
		    crash_random(&cr) % CRASH_MAX_DELAY_US;
		crash_write_phase(&cr, delay);
		crash_signal(&cr, SIGKILL);
		for (i = 0; i < CRASH_WRITERS; i++) {
			xb_conn_free(cr.conns[i]);
			cr.conns[i] = NULL;
		}
		close(cr.epfd);
		cr.epfd = -1;
		crash_start(&cr);
		crash_verify(&cr);
	}
	crash_signal(&cr, SIGTERM);
	printf("# check_crash: %u kills in %.1f s; %" PRIu64 " writes "
	    "acknowledged (%" PRIu64 " in %" PRIu64 " transactions, %" PRIu64
	    " retried), all found after the restarts\n", kills,
	    (double)(xb_now_ns() - t0) / 1e9, cr.acks, cr.txns * 2, cr.txns,
	    cr.retries);
	fflush(stdout);
	ck_assert_uint_gt(cr.acks, (uint64_t)kills);
	crash_no_reports(&cr);
	crash_cleanup(&cr);
}
END_TEST

/* The suite: both tests start and kill the real daemon. */
static Suite *
crash_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("crash");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_clean_restart);
	tcase_add_test(tc, test_kill_under_load);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; fail if any test failed. */
int
main(void)
{
	SRunner		*sr;
	const char	*tmp;
	int		 failed;

	signal(SIGPIPE, SIG_IGN);
	if ((tmp = getenv("TMPDIR")) == NULL || strlen(tmp) > 24)
		tmp = "/tmp";
	snprintf(crash_top, sizeof(crash_top), "%s/xsdb-crash.XXXXXX", tmp);
	if (mkdtemp(crash_top) == NULL) {
		fprintf(stderr, "check_crash: mkdtemp %s: %s\n", crash_top,
		    strerror(errno));
		return (EXIT_FAILURE);
	}
	sr = srunner_create(crash_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	crash_reap_top(crash_top, failed != 0);
	if (failed != 0)
		fprintf(stderr, "check_crash: run directories kept in %s\n",
		    crash_top);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

/*
 * check_inspect.c - xsdb-inspect against real databases: one the daemon
 * fills through its socket (inspected while it runs, while it writes,
 * and after it stops), one with guests of the simulated Xen (the domain
 * table and the persisted watches), stores written with db/ directly
 * (binary values, long paths, records this build cannot read), a store
 * broken on purpose with LMDB, and directories that are no database.
 * The records of db/records.c are checked on their own first.
 *
 * The tool runs as a separate process ($XSDB_TOP_BUILDDIR/tools/
 * xsdb-inspect), its output kept in files; every JSON output is parsed
 * by python3, which also checks its fields.
 *
 * No test waits on time: the snapshot test holds the tool inside its
 * read snapshot by not reading the pipe it writes to.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "sim-guest.h"
#include "store-test.h"

#ifndef INSPECT_PYTHON
#define INSPECT_PYTHON	"/usr/bin/python3"
#endif

#define WAIT_MS		5000
#define PORT_BASE	40
/* Exit status a sanitizer report gives the tool: never an expected one. */
#define SAN_EXIT	86

/* The output of one run of the tool. */
struct run {
	int	 status;	/* exit status, or 128 + signal */
	char	*out;
	char	*err;
};

static char		 bin[4096];
static char		*tmp;
static struct fixture	 fx;
static char		 simdir[128];

static void	 setup(void);
static void	 teardown(void);
static void	 child_env(void);
static char	*slurp(const char *);
static void	 run_free(struct run *);
static void	 inspect_v(struct run *, const char *, const char *const *);
static void	 inspect(struct run *, const char *, ...);
static int	 python(const char *, const char *);
static void	 json_ok(const char *, const char *, const char *);
static unsigned int count_lines(const char *);
static void	 populate(const char *);
static void	 write_many(struct xs_client *, const char *, unsigned int);
static pid_t	 spawn_piped(const char *, int *);
static int	 reader_line(const char *, void *);
static bool	 reader_of(const char *, pid_t);

/* A temporary directory per test. */
static void
setup(void)
{
	const char	*top = getenv("XSDB_TOP_BUILDDIR");

	ck_assert_msg(top != NULL,
	    "XSDB_TOP_BUILDDIR is not set (run through make check)");
	snprintf(bin, sizeof bin, "%s/tools/xsdb-inspect", top);
	ck_assert_msg(access(bin, X_OK) == 0, "no tool at %s", bin);
	tmp = st_tmpdir();
	fx.dir[0] = '\0';
	simdir[0] = '\0';
}

/* Stop a daemon if one was started; remove what the test made. */
static void
teardown(void)
{
	if (fx.dir[0] != '\0')
		fixture_fini(&fx);
	if (simdir[0] != '\0')
		sim_dir_remove(simdir);
	st_rmdir(tmp);
}

/* In a child: sanitizer reports go to stderr with their own status. */
static void
child_env(void)
{
	const char	*vars[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS" };
	const char	*old;
	char		 buf[1024];
	size_t		 i;

	for (i = 0; i < 2; i++) {
		old = getenv(vars[i]);
		snprintf(buf, sizeof buf, "%s%sexitcode=%d",
		    old != NULL ? old : "", old != NULL && *old != '\0' ?
		    ":" : "", SAN_EXIT);
		setenv(vars[i], buf, 1);
	}
}

/* The contents of a file, NUL-terminated. */
static char *
slurp(const char *path)
{
	struct stat	 sb;
	char		*buf;
	ssize_t		 n;
	size_t		 done = 0;
	int		 fd;

	ck_assert_msg((fd = open(path, O_RDONLY)) != -1, "open %s", path);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_ptr_nonnull(buf = malloc((size_t)sb.st_size + 1));
	while (done < (size_t)sb.st_size &&
	    (n = read(fd, buf + done, (size_t)sb.st_size - done)) > 0)
		done += (size_t)n;
	close(fd);
	buf[done] = '\0';
	return (buf);
}

/* Free a run's output. */
static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Run the tool with --db db and args; keep its status and output. */
static void
inspect_v(struct run *r, const char *db, const char *const *args)
{
	const char	*argv[32];
	char		 out[4200], err[4200];
	pid_t		 pid;
	int		 i = 0, status, fd;

	argv[i++] = bin;
	if (db != NULL) {
		argv[i++] = "--db";
		argv[i++] = db;
	}
	while (*args != NULL && i < 31)
		argv[i++] = *args++;
	argv[i] = NULL;
	snprintf(out, sizeof out, "%s/out", tmp);
	snprintf(err, sizeof err, "%s/err", tmp);

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		child_env();
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1)
			dup2(fd, 1);
		if ((fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1)
			dup2(fd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	r->out = slurp(out);
	r->err = slurp(err);
	ck_assert_msg(r->status != SAN_EXIT && r->status < 128,
	    "xsdb-inspect failed badly (%d): %s", r->status, r->err);
}

/* inspect_v with the arguments as a NULL-terminated list. */
static void
inspect(struct run *r, const char *db, ...)
{
	const char	*args[32];
	va_list		 ap;
	int		 i = 0;

	va_start(ap, db);
	while (i < 31 && (args[i] = va_arg(ap, const char *)) != NULL)
		i++;
	va_end(ap);
	args[i] = NULL;
	inspect_v(r, db, args);
}

/*
 * Run a python3 script on text given as a file: the script sees it as
 * d, parsed as JSON. Returns python's exit status (0: the JSON parsed
 * and every assert of the script held).
 */
static int
python(const char *text, const char *script)
{
	char	 file[4200], prog[8192];
	pid_t	 pid;
	FILE	*f;
	int	 status;

	snprintf(file, sizeof file, "%s/json", tmp);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(prog, sizeof prog,
	    "import json, sys\n"
	    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
	    "%s\n", script);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		execl(INSPECT_PYTHON, INSPECT_PYTHON, "-c", prog, file,
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

/* Run the tool with --json and check its output with a script. */
static void
json_ok(const char *db, const char *cmd, const char *script)
{
	struct run	r;

	inspect(&r, db, "--json", cmd, NULL);
	ck_assert_msg(r.status == 0, "%s --json: exit %d: %s", cmd, r.status,
	    r.err);
	ck_assert_msg(python(r.out, script) == 0,
	    "%s --json: not as expected:\n%s", cmd, r.out);
	run_free(&r);
}

/* Lines in a text. */
static unsigned int
count_lines(const char *s)
{
	unsigned int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return (n);
}

/* Write count nodes prefix/nNNNNN, pipelined in batches of 100. */
static void
write_many(struct xs_client *c, const char *prefix, unsigned int count)
{
	struct xs_reply	 rep;
	char		 buf[256];
	unsigned int	 i, j, n;
	int		 len;

	for (i = 0; i < count; i += n) {
		n = count - i < 100 ? count - i : 100;
		for (j = 0; j < n; j++) {
			len = snprintf(buf, sizeof buf, "%s/n%05u%cvalue "
			    "number %05u", prefix, i + j, '\0', i + j);
			ck_assert_int_eq(xs_client_send(c, XS_WRITE, i + j + 1,
			    0, buf, (uint32_t)len), 0);
		}
		for (j = 0; j < n; j++) {
			ck_assert_int_eq(xs_client_recv(c, WAIT_MS, &rep), 0);
			ck_assert_uint_eq(rep.hdr.type, XS_WRITE);
		}
	}
}

/*
 * Start `ls -r /` on db writing into a pipe (*rfd, its read end) and
 * its messages into tmp/err; return once its snapshot is taken (its
 * first bytes came), with the tool stuck if the listing is long.
 */
static pid_t
spawn_piped(const char *db, int *rfd)
{
	char	errf[4200], c;
	pid_t	pid;
	int	p[2], fd;

	snprintf(errf, sizeof errf, "%s/err", tmp);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		child_env();
		dup2(p[1], 1);
		if ((fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) != -1)
			dup2(fd, 2);
		close(p[0]);
		close(p[1]);
		execl(bin, bin, "--db", db, "ls", "-r", "/", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	*rfd = p[0];
	return (pid);
}

/* mdb_reader_list: note a line that names the process looked for. */
static int
reader_line(const char *msg, void *arg)
{
	pid_t	*pid = arg;

	if (*pid > 0 && strtol(msg, NULL, 10) == *pid)
		*pid = 0;
	return (0);
}

/* True if LMDB's reader table of db holds a slot of process pid. */
static bool
reader_of(const char *db, pid_t pid)
{
	MDB_env	*env;
	pid_t	 look = pid;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 16), 0);
	ck_assert_int_eq(mdb_env_open(env, db, MDB_RDONLY, 0600), 0);
	ck_assert_int_ge(mdb_reader_list(env, reader_line, &look), 0);
	mdb_env_close(env);
	return (look == 0);
}

/* A small tree with values, permissions and owners. */
static void
populate(const char *sock)
{
	struct xs_client	*c;
	struct xs_perm		 p[3] = {
		{ 3, XS_PERM_NONE }, { 4, XS_PERM_READ }, { 5, XS_PERM_BOTH }
	};

	ck_assert_int_eq(xs_client_open(sock, &c), 0);
	ck_assert_int_eq(xs_client_write(c, 0, "/vm/1/name", "guest one",
	    9), 0);
	ck_assert_int_eq(xs_client_write(c, 0, "/vm/1/bin", "a\nb\"c\\\x01",
	    7), 0);
	ck_assert_int_eq(xs_client_mkdir(c, 0, "/vm/2"), 0);
	ck_assert_int_eq(xs_client_write(c, 0, "/local/domain/3/data", "x",
	    1), 0);
	ck_assert_int_eq(xs_client_set_perms(c, 0, "/local/domain/3", p, 3),
	    0);
	ck_assert_int_eq(xs_client_set_perms(c, 0, "/local/domain/3/data",
	    p, 1), 0);
	xs_client_close(c);
}

START_TEST(test_records)
{
	struct store_domain_record	 d, e;
	struct store_watch_record	 w, x;
	unsigned char			 buf[STORE_DOMAIN_RECORD_MAX + 16];
	unsigned char			 wbuf[64];
	size_t				 len, i;
	uint32_t			 nq;

	memset(&d, 0, sizeof d);
	d.domid = 7;
	d.mfn = 0x123456789aULL;
	d.remote_port = 3;
	d.local_port = 44;
	d.features = XS_FEATURE_RECONNECTION | XS_FEATURE_ERROR;
	d.target = STORE_DOMAIN_NO_TARGET;
	d.flags = STORE_DOMAIN_INTRODUCED | STORE_DOMAIN_QUOTA;
	d.gen = 99;
	d.nquota = STORE_QUOTA_COUNT;
	for (i = 0; i < STORE_QUOTA_COUNT; i++)
		d.quota[i] = 1000 + (uint32_t)i;
	len = store_domain_record_encode(&d, buf, sizeof buf);
	ck_assert_uint_eq(len, STORE_DOMAIN_RECORD_MAX);
	ck_assert_int_eq(store_domain_record_decode(buf, len, &e), 0);
	ck_assert_uint_eq(e.domid, 7);
	ck_assert_uint_eq(e.mfn, d.mfn);
	ck_assert_uint_eq(e.remote_port, 3);
	ck_assert_uint_eq(e.local_port, 44);
	ck_assert_uint_eq(e.features, d.features);
	ck_assert_uint_eq(e.target, STORE_DOMAIN_NO_TARGET);
	ck_assert_uint_eq(e.flags, d.flags);
	ck_assert_uint_eq(e.gen, 99);
	ck_assert_uint_eq(e.nquota, STORE_QUOTA_COUNT);
	ck_assert_mem_eq(e.quota, d.quota, sizeof d.quota);
	/* Too small a buffer, too many quotas. */
	ck_assert_uint_eq(store_domain_record_encode(&d, buf, len - 1), 0);
	d.nquota = STORE_QUOTA_COUNT + 1;
	ck_assert_uint_eq(store_domain_record_encode(&d, buf, sizeof buf), 0);
	/* No quotas: the head alone; bytes after it are ignored. */
	d.nquota = 0;
	d.flags = 0;
	len = store_domain_record_encode(&d, buf, sizeof buf);
	ck_assert_uint_eq(len, 52);
	ck_assert_int_eq(store_domain_record_decode(buf, len + 8, &e), 0);
	ck_assert_uint_eq(e.nquota, 0);
	ck_assert_uint_eq(e.mfn, d.mfn);
	/* Cut short, quotas missing, another version. */
	ck_assert_int_eq(store_domain_record_decode(buf, 51, &e), EINVAL);
	buf[48] = 1;
	ck_assert_int_eq(store_domain_record_decode(buf, 52, &e), EINVAL);
	buf[48] = 0;
	buf[0] = 3;
	ck_assert_int_eq(store_domain_record_decode(buf, 52, &e), EINVAL);
	/* Version 1 held the count of the INTRODUCE: known from the start. */
	buf[0] = 1;
	memset(buf + 40, 0x55, 8);
	ck_assert_int_eq(store_domain_record_decode(buf, 52, &e), 0);
	ck_assert_uint_eq(e.gen, 0);
	buf[0] = 2;
	ck_assert_int_eq(store_domain_record_decode(buf, 52, &e), 0);
	ck_assert_uint_ne(e.gen, 0);
	/* Quotas beyond those this build knows are dropped. */
	d.nquota = STORE_QUOTA_COUNT;
	len = store_domain_record_encode(&d, buf, sizeof buf);
	nq = STORE_QUOTA_COUNT + 2;
	memcpy(buf + 48, &nq, 4);
	memset(buf + len, 0, 8);
	ck_assert_int_eq(store_domain_record_decode(buf, len + 8, &e), 0);
	ck_assert_uint_eq(e.nquota, STORE_QUOTA_COUNT);
	ck_assert_str_eq(store_quota_name(STORE_QUOTA_NODES), "nodes");
	ck_assert_ptr_null(store_quota_name(STORE_QUOTA_COUNT));

	w.depth = 2;
	w.path = "device/vif";
	w.token = "tok";
	len = store_watch_record_encode(&w, wbuf, sizeof wbuf);
	ck_assert_uint_eq(len, 8 + 11 + 4);
	ck_assert_int_eq(store_watch_record_decode(wbuf, len, &x), 0);
	ck_assert_int_eq(x.depth, 2);
	ck_assert_str_eq(x.path, "device/vif");
	ck_assert_str_eq(x.token, "tok");
	w.depth = -1;
	w.token = "";
	len = store_watch_record_encode(&w, wbuf, sizeof wbuf);
	ck_assert_int_eq(store_watch_record_decode(wbuf, len, &x), 0);
	ck_assert_int_eq(x.depth, -1);
	ck_assert_str_eq(x.token, "");
	/* The token's NUL cut off; an empty path; a bad depth. */
	ck_assert_int_eq(store_watch_record_decode(wbuf, len - 1, &x),
	    EINVAL);
	ck_assert_uint_eq(store_watch_record_encode(&w, wbuf, 10), 0);
	w.path = "";
	ck_assert_uint_eq(store_watch_record_encode(&w, wbuf, sizeof wbuf),
	    0);
	memset(wbuf + 4, 0xff, 4);
	ck_assert_int_eq(store_watch_record_decode(wbuf, len, &x), EINVAL);
}
END_TEST

START_TEST(test_running)
{
	struct run	 r, live;
	const char	*top = "assert d['by'] == 'nodes'\n"
			    "s = d['subtrees']\n"
			    "assert s[0]['path'] == '/' and len(s) == 10\n"
			    "assert all(s[i]['nodes'] >= s[i + 1]['nodes'] "
			    "for i in range(len(s) - 1))\n";

	fixture_init(&fx);
	fixture_up(&fx, NULL);
	populate(fx.sock);

	/* While the daemon runs. */
	json_ok(fx.db, "summary",
	    "assert d['schema'] == 1 and d['nodes'] == 12\n"
	    "assert d['domains'] == 0 and d['watches'] == 0\n"
	    "assert d['map_used'] <= d['map_size']\n"
	    "assert d['file_size'] > 0 and d['generation'] > 12\n"
	    "assert len(d['boot_id']) == 36");
	inspect(&live, fx.db, "ls", "-r", "/", NULL);
	ck_assert_int_eq(live.status, 0);
	ck_assert_uint_eq(count_lines(live.out), 11);
	ck_assert_ptr_nonnull(strstr(live.out,
	    "  /vm/1/name = \"guest one\"   (n0)\n"));
	ck_assert_ptr_nonnull(strstr(live.out,
	    "  /vm/1/bin = \"a\\nb\\\"c\\\\\\x01\"   (n0)\n"));
	ck_assert_ptr_nonnull(strstr(live.out,
	    "  /local/domain/3 = \"\"   (n3,r4,b5)\n"));
	ck_assert_ptr_null(strstr(live.out, " / = "));
	ck_assert_str_eq(live.err, "");

	inspect(&r, fx.db, "ls", "/vm", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(count_lines(r.out), 2);
	run_free(&r);

	inspect(&r, fx.db, "node", "/vm/1/name", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "value          \"guest one\"\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "perms          n0\n"));
	/* 9 bytes of value, one permission, "name" and its NUL. */
	ck_assert_ptr_nonnull(strstr(r.out, "bytes          19\n"));
	run_free(&r);
	json_ok(fx.db, "usage",
	    "o = {x['domid']: x for x in d['owners']}\n"
	    "assert sorted(o) == [0, 3]\n"
	    "assert o[3]['nodes'] == 2\n"
	    "assert o[0]['nodes'] + o[3]['nodes'] == d['nodes'] == 12\n"
	    "assert o[0]['bytes'] + o[3]['bytes'] == d['bytes']");
	json_ok(fx.db, "top", top);
	json_ok(fx.db, "check", "assert d['problems'] == 0 and "
	    "d['findings'] == [] and d['nodes'] == 12");
	inspect(&r, fx.db, "check", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "no problems found in 12 nodes\n");
	run_free(&r);

	/* After it stops: the same. */
	ck_assert_int_eq(fixture_stop(&fx), 0);
	inspect(&r, fx.db, "ls", "-r", "/", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, live.out);
	run_free(&r);
	run_free(&live);
	json_ok(fx.db, "top", top);
	inspect(&r, fx.db, "check", NULL);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
}
END_TEST

/*
 * The tool inside its snapshot while the daemon writes: it stops in the
 * middle of its listing when the pipe it writes to is full, holding its
 * read transaction; the daemon must go on committing, and the listing,
 * once read, must be the tree as it was.
 */
START_TEST(test_snapshot)
{
	struct xs_client	*c;
	struct run		 r;
	char			 buf[65536], *out = NULL;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	pid_t			 pid;
	int			 p[2], status;
	unsigned int		 i;

	fixture_init(&fx);
	fixture_up(&fx, NULL);
	ck_assert_int_eq(xs_client_open(fx.sock, &c), 0);
	write_many(c, "/big", 5000);

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		child_env();
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(bin, bin, "--db", fx.db, "ls", "-r", "/", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* Its first bytes: the snapshot is taken; then leave it stuck. */
	ck_assert_int_gt(n = read(p[0], buf, 1), 0);

	/* The daemon commits all the while. */
	write_many(c, "/new", 2000);
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof buf, "/big/n%05u", i);
		ck_assert_int_eq(xs_client_rm(c, 0, buf), 0);
	}
	ck_assert_int_eq(xs_client_write(c, 0, "/big/n04999", "changed", 7),
	    0);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);

	/* Now read the listing: the tree of the snapshot. */
	for (;;) {
		if (cap - len < sizeof buf) {
			cap = cap ? cap * 2 : 1 << 20;
			ck_assert_ptr_nonnull(out = realloc(out, cap + 1));
		}
		if ((n = read(p[0], out + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* /local, /local/domain, /tool, /tool/xenstored, /big, its 5000. */
	ck_assert_uint_eq(count_lines(out) + 0, 5005);
	ck_assert_ptr_nonnull(strstr(out, "  /big/n00000 = \"value number "
	    "00000\"   (n0)\n"));
	ck_assert_ptr_nonnull(strstr(out, "  /big/n04999 = \"value number "
	    "04999\"   (n0)\n"));
	ck_assert_ptr_null(strstr(out, "/new"));
	free(out);

	/*
	 * Stopped inside its snapshot by a signal, or by a reader that
	 * goes away, the tool gives its reader slot back: a slot left
	 * would keep the daemon from reusing pages.
	 */
	pid = spawn_piped(fx.db, &p[0]);
	ck_assert(reader_of(fx.db, pid));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(p[0]);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert(!reader_of(fx.db, pid));
	pid = spawn_piped(fx.db, &p[0]);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	ck_assert(!reader_of(fx.db, pid));
	snprintf(buf, sizeof buf, "%s/err", tmp);
	out = slurp(buf);
	ck_assert_str_eq(out, "");
	free(out);

	/* A new run sees the changes; the store is sound. */
	inspect(&r, fx.db, "ls", "/new", NULL);
	ck_assert_uint_eq(count_lines(r.out), 2000);
	run_free(&r);
	inspect(&r, fx.db, "node", "/big/n04999", NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "value          \"changed\"\n"));
	run_free(&r);
	inspect(&r, fx.db, "check", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "no problems found in 6907 nodes\n");
	run_free(&r);
	xs_client_close(c);
}
END_TEST

/* Guests of the simulated Xen: the domain table and persisted watches. */
START_TEST(test_domains)
{
	const char		*extra[2], *path, *token;
	char			 xenarg[160];
	struct sim_guest	*g5, *g6;
	struct xs_client	*c;
	struct xs_reply		 rep;
	struct run		 r;
	const char		*domains =
	    "x = {e['domid']: e for e in d['domains']}\n"
	    "assert sorted(x) == [5, 6]\n"
	    "assert x[5]['introduced'] and not x[5]['shutdown']\n"
	    "assert x[5]['port'] == 45 and x[5]['target'] is None\n"
	    "assert x[5]['quota'] is None\n"
	    "assert x[6]['target'] == 5 and x[6]['port'] == 46\n"
	    "assert x[6]['quota']['nodes'] == 77\n"
	    "assert x[6]['quota']['watches'] > 0\n";
	const char		*watches =
	    "w = sorted((e['domid'], e['path'], e['token'], e['depth']) "
	    "for e in d['watches'])\n"
	    "assert w == [(5, '/local/domain/5/abs', 'tok \"2\"', None), "
	    "(5, 'data', 'tok1', 2), (6, '@releaseDomain', 'tok6', None)], "
	    "w\n";

	ck_assert_int_eq(sim_dir_make(simdir, sizeof simdir), 0);
	snprintf(xenarg, sizeof xenarg, "--xen=sim:%s", simdir);
	extra[0] = xenarg;
	extra[1] = NULL;
	fixture_init(&fx);
	fixture_up(&fx, extra);

	ck_assert_int_eq(sim_guest_new(simdir, 5, PORT_BASE + 5, true, &g5),
	    0);
	ck_assert_int_eq(sim_home_make(fx.sock, 5), 0);
	ck_assert_int_eq(sim_guest_introduce(g5, fx.sock), 0);
	ck_assert_int_eq(sim_guest_new(simdir, 6, PORT_BASE + 6, true, &g6),
	    0);
	ck_assert_int_eq(sim_home_make(fx.sock, 6), 0);
	ck_assert_int_eq(sim_guest_introduce(g6, fx.sock), 0);

	ck_assert_int_eq(sim_guest_request(g5, XS_WATCH, 0,
	    "data\0tok1\0" "2", 12, WAIT_MS), 0);
	ck_assert_uint_eq(g5->hdr.type, XS_WATCH);
	ck_assert_int_eq(sim_guest_op(g5, XS_WATCH, 0, "/local/domain/5/abs",
	    "tok \"2\""), 0);
	ck_assert_int_eq(sim_guest_op(g6, XS_WATCH, 0, "@releaseDomain",
	    "tok6"), 0);
	ck_assert_int_eq(sim_guest_next_event(g6, WAIT_MS, &path, &token),
	    0);

	ck_assert_int_eq(xs_client_open(fx.sock, &c), 0);
	ck_assert_int_eq(xs_client_request(c, XS_SET_TARGET, 0, "6\0" "5",
	    4, &rep), 0);
	ck_assert_uint_eq(rep.hdr.type, XS_SET_TARGET);
	ck_assert_int_eq(xs_client_request(c, XS_SET_QUOTA, 0,
	    "6\0nodes\0" "77", 11, &rep), 0);
	ck_assert_uint_eq(rep.hdr.type, XS_SET_QUOTA);
	xs_client_close(c);

	json_ok(fx.db, "domains", domains);
	json_ok(fx.db, "watches", watches);
	json_ok(fx.db, "summary", "assert d['domains'] == 2 and "
	    "d['watches'] == 3");
	inspect(&r, fx.db, "domains", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\n5      introduced  "));
	ck_assert_ptr_nonnull(strstr(r.out, "\n6      introduced,quota  "));
	ck_assert_ptr_nonnull(strstr(r.out, " quota: nodes=77 "));
	run_free(&r);
	inspect(&r, fx.db, "watches", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out,
	    "\n5      1       2      \"data\" \"tok1\"\n"));
	ck_assert_ptr_nonnull(strstr(r.out,
	    " -      \"/local/domain/5/abs\" \"tok \\\"2\\\"\"\n"));
	run_free(&r);
	inspect(&r, fx.db, "check", NULL);
	ck_assert_msg(r.status == 0, "check: %s", r.out);
	run_free(&r);
	json_ok(fx.db, "usage", "o = {x['domid'] for x in d['owners']}\n"
	    "assert o == {0, 5, 6}");

	/* The daemon stopped: the records stay for its next start. */
	ck_assert_int_eq(fixture_stop(&fx), 0);
	json_ok(fx.db, "domains", domains);
	json_ok(fx.db, "watches", watches);
	sim_guest_free(g5);
	sim_guest_free(g6);
}
END_TEST

/* A store broken on purpose: a parent's record deleted with LMDB. */
START_TEST(test_broken)
{
	struct store	*s;
	struct run	 r;
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	MDB_val		 key;

	s = st_open(tmp, 0);
	st_put(s, "/a/b/c", "1");
	st_put(s, "/a/d", "2");
	st_put(s, "/e", "3");
	store_close(s);
	inspect(&r, tmp, "check", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "no problems found in 6 nodes\n");
	run_free(&r);

	st_raw_open(tmp, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "nodes", 0, &dbi), 0);
	key.mv_data = (void *)"/a";
	key.mv_size = 2;
	ck_assert_int_eq(mdb_del(txn, dbi, &key, NULL), 0);
	st_raw_close(env, txn);

	inspect(&r, tmp, "check", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "Node /a/b has no parent node.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "Node /a/d has no parent node.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "has no child node.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, " problems found in 5 nodes\n"));
	run_free(&r);
	/* The check's verdict is in the status with --json too. */
	inspect(&r, tmp, "--json", "check", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_eq(python(r.out, "assert d['problems'] >= 3\n"
	    "assert d['problems'] == len(d['findings'])\n"
	    "assert 'Node /a/b has no parent node.' in d['findings']"), 0);
	run_free(&r);

	/* A listing goes past the hole, says so, and fails. */
	inspect(&r, tmp, "ls", "-r", "/", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "  /e = \"3\"   (n0)\n"));
	ck_assert_ptr_null(strstr(r.out, "/a"));
	ck_assert_ptr_nonnull(strstr(r.err, "/a: listed by its parent, but "
	    "there is no such node"));
	run_free(&r);
	inspect(&r, tmp, "node", "/a", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "there is no node /a"));
	run_free(&r);
	/* What is left still reads. */
	inspect(&r, tmp, "node", "/a/b/c", NULL);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
}
END_TEST

/* Records of the tables that this build cannot read. */
START_TEST(test_bad_records)
{
	struct store_domain_record	 d;
	struct store_watch_record	 w;
	struct store			*s;
	struct store_txn		*t;
	struct run			 r;
	unsigned char			 buf[STORE_DOMAIN_RECORD_MAX];
	size_t				 len;

	s = st_open(tmp, 0);
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	memset(&d, 0, sizeof d);
	d.domid = 3;
	d.target = STORE_DOMAIN_NO_TARGET;
	d.flags = STORE_DOMAIN_INTRODUCED;
	len = store_domain_record_encode(&d, buf, sizeof buf);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 3, buf, len),
	    0);
	/* Under another domain's key; cut short. */
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 4, buf, len),
	    0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 8, buf, 20),
	    0);
	w.depth = -1;
	w.path = "data";
	w.token = "t";
	len = store_watch_record_encode(&w, buf, sizeof buf);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_WATCHES,
	    STORE_WATCH_KEY(3, 1), buf, len), 0);
	/* Of a domain without a record; undecodable; a bad path. */
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_WATCHES,
	    STORE_WATCH_KEY(9, 1), buf, len), 0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_WATCHES,
	    STORE_WATCH_KEY(3, 2), buf, 9), 0);
	w.path = "bad//path";
	len = store_watch_record_encode(&w, buf, sizeof buf);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_WATCHES,
	    STORE_WATCH_KEY(3, 3), buf, len), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	store_close(s);

	inspect(&r, tmp, "domains", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "\n3      introduced "));
	ck_assert_ptr_nonnull(strstr(r.out, "\n4      (a record of 52 bytes "
	    "this tool cannot read)\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n8      (a record of 20 bytes "
	    "this tool cannot read)\n"));
	run_free(&r);
	inspect(&r, tmp, "--json", "domains", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_eq(python(r.out, "assert [e.get('readable', True) "
	    "for e in d['domains']] == [True, False, False]"), 0);
	run_free(&r);
	inspect(&r, tmp, "watches", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "\n3      2       (a record of 9 "
	    "bytes this tool cannot read)\n"));
	run_free(&r);

	inspect(&r, tmp, "check", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "The domain record under key 4 "
	    "names domain 3.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "The domain record under key 8 "
	    "cannot be decoded (20 bytes).\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "The watch record 1 of domain 9 "
	    "belongs to a domain the domain table does not hold.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "The watch record 2 of domain 3 "
	    "cannot be decoded (9 bytes).\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "The watch record 3 of domain 3 "
	    "has a path that is not valid: \"bad//path\".\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "5 problems found in 1 node\n"));
	run_free(&r);
}
END_TEST

/* Directories that hold no xsdb database. */
START_TEST(test_not_database)
{
	char		 dir[4200], file[4300];
	struct run	 r;
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	MDB_val		 k, v;
	FILE		*f;

	/* Missing, and empty. */
	snprintf(dir, sizeof dir, "%s/missing", tmp);
	inspect(&r, dir, "summary", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, "there is no database in "));
	run_free(&r);
	inspect(&r, tmp, "ls", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "there is no database in "));
	run_free(&r);
	ck_assert_int_ne(access(dir, F_OK), 0);

	/* A data file that is not LMDB's. */
	snprintf(dir, sizeof dir, "%s/junk", tmp);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(file, sizeof file, "%s/data.mdb", dir);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fputs("this is not a database, but it is long enough to look at "
	    "and long enough to be refused by anyone who reads it\n", f);
	ck_assert_int_eq(fclose(f), 0);
	inspect(&r, dir, "summary", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "is not an xsdb database"));
	run_free(&r);

	/* An LMDB environment that holds something else. */
	snprintf(dir, sizeof dir, "%s/other", tmp);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	k.mv_data = (void *)"key";
	k.mv_size = 3;
	v.mv_data = (void *)"value";
	v.mv_size = 5;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	inspect(&r, dir, "check", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "is not an xsdb database: it is "
	    "an LMDB environment holding something else"));
	run_free(&r);
}
END_TEST

/* Bad command lines: status 2, nothing on standard output. */
START_TEST(test_command_line)
{
	static const char *const bad[][4] = {
		{ NULL },
		{ "bogus", NULL },
		{ "ls", "relative", NULL },
		{ "ls", "/a/", NULL },
		{ "ls", "/a", "/b", NULL },
		{ "node", NULL },
		{ "summary", "-r", NULL },
		{ "-d", NULL },
		{ "ls", "-b", NULL },
		{ "top", "-L", "x", NULL },
		{ "top", "many", NULL },
		{ "top", "1000001", NULL },
		{ "check", "extra", NULL },
		{ "--frobnicate", "summary", NULL },
	};
	struct run	r;
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		inspect_v(&r, tmp, bad[i]);
		ck_assert_msg(r.status == 2, "case %zu: status %d", i,
		    r.status);
		ck_assert_str_eq(r.out, "");
		ck_assert_ptr_nonnull(strstr(r.err, "usage: xsdb-inspect"));
		run_free(&r);
	}
	inspect(&r, NULL, "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: xsdb-inspect"));
	run_free(&r);
}
END_TEST

/* Values of every byte, long paths, the bounds of top. */
START_TEST(test_limits)
{
	struct store		*s;
	struct store_txn	*t;
	struct run		 r;
	unsigned char		 all[256];
	char			*lp, *c, script[8192];
	size_t			 i;
	unsigned int		 below = 0;

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	lp = st_make_path("/long/", XS_ABS_PATH_MAX, 'q');
	for (c = lp + 1; *c != '\0'; c++)
		below += *c == '/';
	s = st_open(tmp, 0);
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(t, "/bin", all, sizeof all, 7, NULL), 0);
	ck_assert_int_eq(store_write(t, lp, "deep", 4, 0, NULL), 0);
	ck_assert_int_eq(store_txn_commit(t), 0);
	store_close(s);

	json_ok(tmp, "ls", "v = {x['path']: x['value'] for x in d['nodes']}\n"
	    "assert v['/bin'].encode('latin-1') == bytes(range(256))\n"
	    "assert d['nodes'][0]['perms'] == ['n7']");
	inspect(&r, tmp, "ls", "/", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "/bin = \"\\0\\x01\\x02"));
	ck_assert_ptr_nonnull(strstr(r.out, "\\t\\n\\x0b"));
	ck_assert_ptr_nonnull(strstr(r.out, " !\\\"#$"));
	ck_assert_ptr_nonnull(strstr(r.out, "[\\\\]"));
	ck_assert_ptr_nonnull(strstr(r.out, "}~\\x7f\\x80"));
	ck_assert_ptr_nonnull(strstr(r.out, "\\xfe\\xff\"   (n7)\n"));
	run_free(&r);

	/* A path of XS_ABS_PATH_MAX bytes, under a long LMDB key. */
	snprintf(script, sizeof script, "assert d['path'] == '%s'\n"
	    "assert d['value'] == 'deep'", lp);
	inspect(&r, tmp, "--json", "node", lp, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(python(r.out, script), 0);
	run_free(&r);
	inspect(&r, tmp, "ls", "-r", "/long", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, lp));
	ck_assert_uint_eq(count_lines(r.out), below);
	run_free(&r);

	/* top 0, top -L 0, top -b. */
	inspect(&r, tmp, "top", "0", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(count_lines(r.out), 1);
	run_free(&r);
	json_ok(tmp, "top", "assert len(d['subtrees']) == 10");
	inspect(&r, tmp, "--json", "top", "-L", "0", "1000000", NULL);
	ck_assert_int_eq(python(r.out, "s = d['subtrees']\n"
	    "assert len(s) == 1 and s[0]['path'] == '/'"), 0);
	run_free(&r);
	inspect(&r, tmp, "--json", "top", "-b", "-L", "1", NULL);
	ck_assert_int_eq(python(r.out, "s = d['subtrees']\n"
	    "assert [x['path'] for x in s] == ['/', '/long', '/bin']\n"
	    "assert s[2]['bytes'] == 256 + 5 + 4"), 0);
	run_free(&r);
	inspect(&r, tmp, "check", NULL);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
	free(lp);
}
END_TEST

static Suite *
inspect_suite(void)
{
	Suite	*s = suite_create("inspect");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_records);
	tcase_add_test(tc, test_running);
	tcase_add_test(tc, test_snapshot);
	tcase_add_test(tc, test_domains);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_bad_records);
	tcase_add_test(tc, test_not_database);
	tcase_add_test(tc, test_command_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return fixture_main(inspect_suite());
}

/*
 * xsdbd.c - the daemon's entry point: options, start-up, the loop, and a
 * clean stop.
 *
 * The options are those of Xen's C xenstored 4.17 (so that Xen's
 * launch-xenstore starts us unchanged) plus --db, --socket, --sync,
 * --map-size, --txn-timeout and --out-max. A bad option is a message and
 * exit status 2.
 *
 * Unless -N is given the daemon forks; the parent waits on a pipe and
 * exits 0 only once the child's socket accepts connections, or prints the
 * child's error and exits 1. Scripts and tests can rely on that instead
 * of polling. The pid file (-F) is written and READY=1 is sent to
 * $NOTIFY_SOCKET at that same moment.
 *
 * The database records the boot id of the host. A database left by an
 * earlier boot of the host (whose guests are gone) is renamed aside with
 * a log line and a fresh store is started; a fresh store gets the nodes
 * "/", "/local", "/local/domain", "/tool" and "/tool/xenstored", owned by
 * dom0 and closed to others ("n0").
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "xsdbd.h"

#define XSDBD_BOOT_ID_PATH	"/proc/sys/kernel/random/boot_id"

/* Long options without a short form. */
enum {
	OPT_TRACE_CONTROL = 256,
	OPT_DB,
	OPT_SOCKET,
	OPT_SYNC,
	OPT_MAP_SIZE,
	OPT_TXN_TIMEOUT,
	OPT_OUT_MAX,
	OPT_XEN,
	OPT_LU_STATE
};

static const struct option xsdbd_longopts[] = {
	{ "no-domain-init",	no_argument,		NULL, 'D' },
	{ "entry-nb",		required_argument,	NULL, 'E' },
	{ "pid-file",		required_argument,	NULL, 'F' },
	{ "event",		required_argument,	NULL, 'e' },
	{ "master-domid",	required_argument,	NULL, 'm' },
	{ "help",		no_argument,		NULL, 'H' },
	{ "no-fork",		no_argument,		NULL, 'N' },
	{ "priv-domid",		required_argument,	NULL, 'p' },
	{ "output-pid",		no_argument,		NULL, 'P' },
	{ "entry-size",		required_argument,	NULL, 'S' },
	{ "trace-file",		required_argument,	NULL, 'T' },
	{ "trace-control",	required_argument,	NULL,
	    OPT_TRACE_CONTROL },
	{ "transaction",	required_argument,	NULL, 't' },
	{ "perm-nb",		required_argument,	NULL, 'A' },
	{ "path-max",		required_argument,	NULL, 'M' },
	{ "quota",		required_argument,	NULL, 'Q' },
	{ "quota-soft",		required_argument,	NULL, 'q' },
	{ "timeout",		required_argument,	NULL, 'w' },
	{ "no-recovery",	no_argument,		NULL, 'R' },
	{ "internal-db",	optional_argument,	NULL, 'I' },
	{ "keep-orphans",	no_argument,		NULL, 'K' },
	{ "verbose",		no_argument,		NULL, 'V' },
	{ "watch-nb",		required_argument,	NULL, 'W' },
	{ "live-update",	no_argument,		NULL, 'U' },
	{ "db",			required_argument,	NULL, OPT_DB },
	{ "socket",		required_argument,	NULL, OPT_SOCKET },
	{ "sync",		no_argument,		NULL, OPT_SYNC },
	{ "map-size",		required_argument,	NULL, OPT_MAP_SIZE },
	{ "txn-timeout",	required_argument,	NULL, OPT_TXN_TIMEOUT },
	{ "out-max",		required_argument,	NULL, OPT_OUT_MAX },
	{ "xen",		required_argument,	NULL, OPT_XEN },
	{ "lu-state",		required_argument,	NULL, OPT_LU_STATE },
	{ NULL,			0,			NULL, 0 }
};

static const char xsdbd_shortopts[] = ":DE:F:HI::KNPS:t:A:M:Q:q:T:RVW:w:U";

/* Start-up state that does not outlive main. */
struct xsdbd_start {
	int	 ready_fd;	/* the daemonizing parent waits on it */
	int	 lock_fd;	/* flock of the database directory */
	bool	 pid_written;
};

static void	xsdbd_usage(FILE *);
static void	xsdbd_bad_option(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static unsigned int xsdbd_uint(int, const char *);
static size_t	xsdbd_size(int, const char *);
static const char *xsdbd_default_socket(void);
static void	xsdbd_options(struct xsdbd *, int, char **);
static char	*xsdbd_absolute(const char *);
static void	xsdbd_fail(struct xsdbd_start *, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));
static int	xsdbd_daemonize(bool);
static int	xsdbd_lock(struct xsdbd_start *, const char *);
static int	xsdbd_boot_id(char *, size_t);
static void	xsdbd_open_store(struct xsdbd *, struct xsdbd_start *);
static int	xsdbd_set_aside(struct xsdbd *, const char *);
static int	xsdbd_init_store(struct xsdbd *, const char *, bool *);
static void	xsdbd_ready(struct xsdbd *, struct xsdbd_start *);
static void	xsdbd_notify(const char *);
static void	xsdbd_signal(evutil_socket_t, short, void *);
static void	xsdbd_loop(struct xsdbd *);
static void	xsdbd_shutdown(struct xsdbd *);

/* Print the usage text. */
static void
xsdbd_usage(FILE *f)
{
	fprintf(f,
"usage: xsdbd [options]\n"
"\n"
"Options of Xen's xenstored:\n"
"  -D, --no-domain-init     do not set up dom0's ring\n"
"  -F, --pid-file FILE      write the daemon's pid to FILE once it serves\n"
"  -H, --help               print this text\n"
"  -N, --no-fork            stay in the foreground\n"
"  -P, --output-pid         print the daemon's pid once it serves\n"
"  -T, --trace-file FILE    trace every request and reply to FILE\n"
"      --trace-control=+/-SWITCH  accepted, ignored\n"
"  -E, --entry-nb NB        nodes per domain (1000)\n"
"  -S, --entry-size SIZE    bytes per node (2048)\n"
"  -W, --watch-nb NB        watches per domain (128)\n"
"  -t, --transaction NB     open transactions per domain (10)\n"
"  -A, --perm-nb NB         permissions per node (5)\n"
"  -M, --path-max CHARS     path length past /local/domain/ID/ (2048)\n"
"  -Q, --quota WHAT=NB      transaction-nodes, memory or outstanding\n"
"  -q, --quota-soft WHAT=NB memory\n"
"  -w, --timeout WHAT=SECS  watch-event\n"
"  -R, --no-recovery        accepted\n"
"  -I, --internal-db[=on|off]  accepted; the store is always --db\n"
"  -K, --keep-orphans       keep the nodes of a domain that goes away\n"
"  -V, --verbose            log more\n"
"  -U, --live-update        started by a live update: take over what the\n"
"                           daemon before handed over (--lu-state=FD,\n"
"                           from xsdbd) or left in\n"
"                           $XENSTORED_ROOTDIR/state_dump (from Xen's\n"
"                           xenstored)\n"
"      --event PORT, --master-domid ID, --priv-domid ID\n"
"\n"
"Options of xsdbd:\n"
"      --db DIR             the database directory (" XSDBD_DB_DIR ")\n"
"      --socket PATH        the socket ($XENSTORED_PATH, else\n"
"                           $XENSTORED_RUNDIR/socket, else\n"
"                           " XSDBD_SOCKET ")\n"
"      --sync               fsync every commit\n"
"      --map-size SIZE      initial LMDB map size (K, M, G suffixes)\n"
"      --txn-timeout SECS   longest life of a transaction (%d, 0: none)\n"
"      --out-max SIZE       output queued per connection before it is\n"
"                           dropped (16M)\n"
"      --xen xen|sim:DIR|none  reach Xen through its libraries (xen), a\n"
"                           simulated Xen in DIR, or not at all: socket\n"
"                           clients only (xen)\n",
	    XSDBD_TXN_TIMEOUT);
}

/* A bad command line: say why and exit 2. */
static void
xsdbd_bad_option(const char *fmt, ...)
{
	va_list	ap;

	fputs("xsdbd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'xsdbd --help'.\n", stderr);
	exit(2);
}

/* A non-negative decimal option value. */
static unsigned int
xsdbd_uint(int opt, const char *arg)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0 ||
	    v > INT_MAX)
		xsdbd_bad_option("invalid value \"%s\" for -%c", arg, opt);
	return (unsigned int)v;
}

/* A size in bytes with an optional K, M or G suffix. */
static size_t
xsdbd_size(int opt, const char *arg)
{
	char			*end;
	unsigned long long	 v;
	unsigned int		 shift = 0;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || errno != 0)
		goto bad;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (v > (SIZE_MAX >> shift))
		goto bad;
	return (size_t)(v << shift);
bad:
	xsdbd_bad_option("invalid size \"%s\" for --%s", arg,
	    opt == OPT_MAP_SIZE ? "map-size" : "out-max");
}

/*
 * The socket when --socket is not given: where Xen's tools look for it,
 * $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else the default.
 */
static const char *
xsdbd_default_socket(void)
{
	static char	 path[PATH_MAX];
	const char	*env;

	if ((env = getenv("XENSTORED_PATH")) != NULL && *env != '\0')
		return env;
	if ((env = getenv("XENSTORED_RUNDIR")) != NULL && *env != '\0') {
		snprintf(path, sizeof path, "%s/socket", env);
		return path;
	}
	return XSDBD_SOCKET;
}

/* Parse the command line into xd->opt and xd->quota. */
static void
xsdbd_options(struct xsdbd *xd, int argc, char **argv)
{
	struct xsdbd_options	*o = &xd->opt;
	int			 ch;

	memset(o, 0, sizeof *o);
	o->db_dir = XSDBD_DB_DIR;
	o->socket_path = xsdbd_default_socket();
	o->txn_timeout = XSDBD_TXN_TIMEOUT;
	o->out_max = XSDBD_OUT_MAX;
	o->xen = "xen";
	o->lu_state_fd = -1;
	quota_defaults(&xd->quota);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, xsdbd_shortopts, xsdbd_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'D':
			o->no_domain_init = true;
			break;
		case 'E':
			xd->quota.entry_nb = xsdbd_uint(ch, optarg);
			break;
		case 'F':
			o->pid_file = optarg;
			break;
		case 'e':
			o->dom0_event = xsdbd_uint(ch, optarg);
			break;
		case 'm':
			o->master_domid = xsdbd_uint(ch, optarg);
			break;
		case 'H':
			xsdbd_usage(stdout);
			exit(0);
		case 'N':
			o->no_fork = true;
			break;
		case 'p':
			o->priv_domid = xsdbd_uint(ch, optarg);
			break;
		case 'P':
			o->output_pid = true;
			break;
		case 'S':
			xd->quota.entry_size = xsdbd_uint(ch, optarg);
			break;
		case 'T':
			o->trace_file = optarg;
			break;
		case OPT_TRACE_CONTROL:
			break;
		case 't':
			xd->quota.transactions = xsdbd_uint(ch, optarg);
			break;
		case 'A':
			xd->quota.perm_nb = xsdbd_uint(ch, optarg);
			break;
		case 'M':
			xd->quota.path_max = xsdbd_uint(ch, optarg);
			if (xd->quota.path_max > XS_REL_PATH_MAX)
				xd->quota.path_max = XS_REL_PATH_MAX;
			break;
		case 'Q':
			if (quota_option(&xd->quota, optarg, false) != 0)
				xsdbd_bad_option("invalid quota \"%s\"",
				    optarg);
			break;
		case 'q':
			if (quota_option(&xd->quota, optarg, true) != 0)
				xsdbd_bad_option("invalid soft quota \"%s\"",
				    optarg);
			break;
		case 'w':
			if (quota_timeout_option(&xd->quota, optarg) != 0)
				xsdbd_bad_option("invalid timeout \"%s\"",
				    optarg);
			break;
		case 'R':
			o->no_recovery = true;
			break;
		case 'I':
			if (optarg != NULL && strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0)
				xsdbd_bad_option("invalid value \"%s\" for "
				    "--internal-db (on or off)", optarg);
			o->internal_db = true;
			break;
		case 'K':
			o->keep_orphans = true;
			break;
		case 'V':
			o->verbose = true;
			break;
		case 'W':
			xd->quota.watch_nb = xsdbd_uint(ch, optarg);
			break;
		case 'U':
			o->live_update = true;
			break;
		case OPT_DB:
			o->db_dir = optarg;
			break;
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_SYNC:
			o->sync = true;
			break;
		case OPT_MAP_SIZE:
			o->map_size = xsdbd_size(ch, optarg);
			break;
		case OPT_TXN_TIMEOUT:
			o->txn_timeout = xsdbd_uint('-', optarg);
			break;
		case OPT_OUT_MAX:
			o->out_max = xsdbd_size(ch, optarg);
			if (o->out_max < XS_HEADER_SIZE + XS_PAYLOAD_MAX)
				xsdbd_bad_option("--out-max below %d",
				    XS_HEADER_SIZE + XS_PAYLOAD_MAX);
			break;
		case OPT_LU_STATE:
			o->lu_state_fd = (int)xsdbd_uint('-', optarg);
			break;
		case OPT_XEN:
			if (!xen_spec_valid(optarg))
				xsdbd_bad_option("invalid value \"%s\" for "
				    "--xen (xen, sim:DIR or none)", optarg);
			o->xen = optarg;
			if (strncmp(optarg, "sim:", 4) == 0 &&
			    optarg[4] != '/') {
				/* The daemon leaves its directory. */
				static char	 spec[PATH_MAX + 8];
				char		*dir = xsdbd_absolute(optarg + 4);

				snprintf(spec, sizeof spec, "sim:%s", dir);
				free(dir);
				o->xen = spec;
			}
			break;
		case ':':
			if (optopt != 0)
				xsdbd_bad_option("option -%c needs a value",
				    optopt);
			xsdbd_bad_option("option %s needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				xsdbd_bad_option("unknown option -%c",
				    optopt);
			xsdbd_bad_option("unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		xsdbd_bad_option("unexpected argument \"%s\"", argv[optind]);
	if (*o->db_dir == '\0' || *o->socket_path == '\0')
		xsdbd_bad_option("empty --db or --socket");
}

/* An absolute form of path (the daemon leaves its directory). */
static char *
xsdbd_absolute(const char *path)
{
	char	 cwd[PATH_MAX], *p;

	if (path == NULL || path[0] == '/')
		return path == NULL ? NULL : strdup(path);
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("getcwd");
	if (asprintf(&p, "%s/%s", cwd, path) == -1)
		fatal("asprintf");
	return p;
}

/*
 * Fail at start-up: log, tell the waiting parent (it prints the message
 * and exits 1), exit 1.
 */
static void
xsdbd_fail(struct xsdbd_start *st, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (st->ready_fd == -1) {
		log_warnx("%s", msg);
		exit(1);
	}
	/* The waiting parent prints it; if it is gone, nobody is told. */
	(void)!write(st->ready_fd, msg, strlen(msg));
	close(st->ready_fd);
	exit(1);
}

/*
 * Fork unless no_fork. The parent never returns: it exits once the child
 * says it serves (or fails). Returns the child's end of the readiness
 * pipe, or -1 in the foreground.
 */
static int
xsdbd_daemonize(bool output_pid)
{
	char	buf[1024];
	ssize_t	n;
	size_t	len = 0;
	pid_t	pid;
	int	fds[2], status;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(fds[0]);
		if (setsid() == -1)
			fatal("setsid");
		return fds[1];
	}

	close(fds[1]);
	while (len < sizeof buf - 1) {
		n = read(fds[0], buf + len, sizeof buf - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len == 2 && strcmp(buf, "OK") == 0) {
		if (output_pid)
			printf("%ld\n", (long)pid);
		exit(0);
	}
	if (len > 0)
		fprintf(stderr, "xsdbd: %s\n", buf);
	else if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
		fprintf(stderr, "xsdbd: the daemon died of signal %d\n",
		    WTERMSIG(status));
	else
		fprintf(stderr, "xsdbd: the daemon exited before serving\n");
	exit(1);
}

/*
 * Lock the database directory (created if missing) so that two daemons
 * never serve one store. Returns 0 or an errno value.
 */
static int
xsdbd_lock(struct xsdbd_start *st, const char *dir)
{
	int	fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return errno;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return errno == EWOULDBLOCK ? EBUSY : errno;
	}
	if (st->lock_fd != -1)
		close(st->lock_fd);
	st->lock_fd = fd;
	return 0;
}

/* The boot id of the host. Returns 0 or an errno value. */
static int
xsdbd_boot_id(char *out, size_t len)
{
	FILE	*f;
	size_t	 n;

	if ((f = fopen(XSDBD_BOOT_ID_PATH, "re")) == NULL)
		return errno;
	if (fgets(out, (int)len, f) == NULL) {
		fclose(f);
		return EIO;
	}
	fclose(f);
	n = strcspn(out, "\n");
	out[n] = '\0';
	return n == 0 ? EIO : 0;
}

/*
 * Move a database from another boot aside: DIR becomes DIR.boot-<id>
 * (with a number added if that exists). Returns 0 or an errno value.
 */
static int
xsdbd_set_aside(struct xsdbd *xd, const char *old_id)
{
	const char	*dir = xd->opt.db_dir;
	char		 to[PATH_MAX];
	struct stat	 sb;
	unsigned int	 i;

	snprintf(to, sizeof to, "%s.boot-%.36s", dir, old_id);
	for (i = 1; stat(to, &sb) == 0 && i < 1000; i++)
		snprintf(to, sizeof to, "%s.boot-%.36s.%u", dir, old_id, i);
	if (rename(dir, to) == -1)
		return errno;
	log_info("the database in %s is from another boot of the host "
	    "(boot id %s): moved to %s, starting a fresh store", dir, old_id,
	    to);
	return 0;
}

/*
 * Check the store's boot id against the host's. A fresh store gets the
 * first nodes. *other is set if the database is from another boot (then
 * nothing is changed). Returns 0 or an errno value.
 */
static int
xsdbd_init_store(struct xsdbd *xd, const char *boot_id, bool *other)
{
	static const char	*nodes[] = { "/", "/local", "/local/domain",
				    "/tool", "/tool/xenstored" };
	struct store_txn	*t;
	struct xs_perm		 n0 = { 0, XS_PERM_NONE };
	const void		*val;
	size_t			 len, i;
	int			 rc;

	*other = false;
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		return rc;
	rc = store_meta_get(t, "bootid", &val, &len);
	if (rc == 0 && boot_id != NULL &&
	    (len != strlen(boot_id) || memcmp(val, boot_id, len) != 0)) {
		*other = true;
		store_txn_abort(t);
		return 0;
	}
	if (rc == 0) {
		/* A restart within the same boot: serve the store as it is. */
		store_txn_abort(t);
		return 0;
	}
	if (rc != ENOENT)
		goto fail;

	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		if (store_exists(t, nodes[i]))
			continue;
		if ((rc = store_mkdir(t, nodes[i], 0, NULL)) != 0)
			goto fail;
		if ((rc = store_set_perms(t, nodes[i], &n0, 1)) != 0)
			goto fail;
	}
	if (boot_id != NULL &&
	    (rc = store_meta_put(t, "bootid", boot_id, strlen(boot_id))) != 0)
		goto fail;
	return store_txn_commit(t);

fail:
	store_txn_abort(t);
	return rc;
}

/* Open the store, setting aside one from another boot. */
static void
xsdbd_open_store(struct xsdbd *xd, struct xsdbd_start *st)
{
	struct store_config	 cfg;
	struct store_txn	*t;
	char			 boot_id[64], old_id[64], err[256];
	const void		*val;
	size_t			 len;
	bool			 have_boot_id = true, other;
	int			 rc, tries;

	if ((rc = xsdbd_boot_id(boot_id, sizeof boot_id)) != 0) {
		log_warnx("cannot read %s (%s): the boot id is not checked",
		    XSDBD_BOOT_ID_PATH, strerror(rc));
		have_boot_id = false;
	}

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = xd->opt.db_dir;
	cfg.map_size = xd->opt.map_size;
	cfg.sync = xd->opt.sync;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = xsdbd_lock(st, cfg.dir)) != 0)
			xsdbd_fail(st, "cannot lock the database %s: %s",
			    cfg.dir, rc == EBUSY ?
			    "another daemon uses it" : strerror(rc));
		err[0] = '\0';
		if ((rc = store_open(&xd->store, &cfg, err, sizeof err)) != 0)
			xsdbd_fail(st, "cannot open the database %s: %s",
			    cfg.dir, err[0] != '\0' ? err : strerror(rc));
		rc = xsdbd_init_store(xd, have_boot_id ? boot_id : NULL,
		    &other);
		if (rc != 0)
			xsdbd_fail(st, "cannot set up the database %s: %s",
			    cfg.dir, strerror(rc));
		if (!other)
			return;

		/* From another boot: its guests are gone. */
		old_id[0] = '\0';
		if (store_txn_begin(xd->store, NULL, STORE_TXN_READ,
		    &t) == 0) {
			if (store_meta_get(t, "bootid", &val, &len) == 0) {
				if (len >= sizeof old_id)
					len = sizeof old_id - 1;
				memcpy(old_id, val, len);
				old_id[len] = '\0';
			}
			store_txn_abort(t);
		}
		store_close(xd->store);
		xd->store = NULL;
		if ((rc = xsdbd_set_aside(xd, old_id)) != 0)
			xsdbd_fail(st, "cannot move the database %s aside: %s",
			    cfg.dir, strerror(rc));
	}
	xsdbd_fail(st, "cannot start a fresh database in %s", cfg.dir);
}

/* Tell systemd (Type=notify) that the daemon serves. */
static void
xsdbd_notify(const char *path)
{
	struct sockaddr_un	sun;
	socklen_t		slen;
	char			msg[64];
	int			s;

	if (path == NULL || *path == '\0' ||
	    strlen(path) >= sizeof sun.sun_path)
		return;
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("NOTIFY_SOCKET");
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	snprintf(msg, sizeof msg, "READY=1\nMAINPID=%ld", (long)getpid());
	if (sendto(s, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, slen) == -1)
		log_warn("NOTIFY_SOCKET %s", path);
	close(s);
}

/*
 * The socket accepts: write the pid file, tell systemd and the waiting
 * parent, and leave the terminal.
 */
static void
xsdbd_ready(struct xsdbd *xd, struct xsdbd_start *st)
{
	FILE	*f;
	int	 fd;

	if (xd->opt.pid_file != NULL) {
		if ((f = fopen(xd->opt.pid_file, "we")) == NULL)
			xsdbd_fail(st, "cannot write the pid file %s: %s",
			    xd->opt.pid_file, strerror(errno));
		fprintf(f, "%ld\n", (long)getpid());
		if (fclose(f) != 0)
			xsdbd_fail(st, "cannot write the pid file %s: %s",
			    xd->opt.pid_file, strerror(errno));
		st->pid_written = true;
	}
	xsdbd_notify(getenv("NOTIFY_SOCKET"));

	if (st->ready_fd == -1) {
		log_info("serving %s on %s", xd->opt.db_dir,
		    xd->opt.socket_path);
		if (xd->opt.output_pid) {
			printf("%ld\n", (long)getpid());
			fflush(stdout);
		}
		return;
	}
	if (write(st->ready_fd, "OK", 2) != 2)
		log_warn("readiness pipe");
	close(st->ready_fd);
	st->ready_fd = -1;

	/* Detached: messages go to syslog, the standard files to null. */
	log_set_foreground(false);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_info("serving %s on %s", xd->opt.db_dir, xd->opt.socket_path);
}

/* SIGTERM and SIGINT stop the daemon; SIGHUP reopens the trace file. */
static void
xsdbd_signal(evutil_socket_t sig, short events, void *arg)
{
	struct xsdbd	*xd = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reopening the trace file");
		trace_reopen(xd);
		break;
	default:
		log_info("signal %d: stopping", (int)sig);
		xsdbd_stop(xd, 0);
		break;
	}
}

/* Stop the loop after this turn. */
void
xsdbd_stop(struct xsdbd *xd, int status)
{
	xd->running = false;
	xd->exit_status = status;
	if (xd->base != NULL)
		event_base_loopbreak(xd->base);
}

/*
 * The loop: wait for events (not at all while some connection has
 * requests left over), handle them, then end the turn.
 */
static void
xsdbd_loop(struct xsdbd *xd)
{
	int	flags;

	while (xd->running) {
		flags = EVLOOP_ONCE;
		if (conn_busy(xd))
			flags |= EVLOOP_NONBLOCK;
		if (event_base_loop(xd->base, flags) == -1)
			fatalx("event loop failed");
		xd->turns++;
		conn_end_of_turn(xd);
		lu_end_of_turn(xd);
		trim_turn(xd);
	}
}

/* Release everything. */
static void
xsdbd_shutdown(struct xsdbd *xd)
{
	conn_sock_close_listener(xd);
	conn_free_all(xd);
	group_free(xd);
	txn_free(xd);
	trim_free(xd);
	watch_free(xd);
	domain_free(xd);
	xen_close(xd);
	trace_close(xd);
	lu_free(xd);
	if (xd->store != NULL)
		store_close(xd->store);
	xd->store = NULL;
	if (xd->ev_sigterm != NULL)
		event_free(xd->ev_sigterm);
	if (xd->ev_sigint != NULL)
		event_free(xd->ev_sigint);
	if (xd->ev_sighup != NULL)
		event_free(xd->ev_sighup);
	event_base_free(xd->base);
	xd->base = NULL;
}

int
main(int argc, char **argv)
{
	struct xsdbd		*xd;
	struct xsdbd_start	 st;
	char			 err[256];
	int			 rc, status;

	if ((xd = calloc(1, sizeof *xd)) == NULL)
		fatal("calloc");
	xd->listen_fd = -1;
	TAILQ_INIT(&xd->conns);
	TAILQ_INIT(&xd->ready);
	TAILQ_INIT(&xd->flush);
	xsdbd_options(xd, argc, argv);

	xd->opt.db_dir = xsdbd_absolute(xd->opt.db_dir);
	xd->opt.socket_path = xsdbd_absolute(xd->opt.socket_path);
	xd->opt.pid_file = xsdbd_absolute(xd->opt.pid_file);
	xd->opt.trace_file = xsdbd_absolute(xd->opt.trace_file);

	log_init(true, xd->opt.verbose);
	if (lu_init(xd, argc, argv, err, sizeof err) != 0) {
		log_warnx("%s", err);
		exit(1);
	}
	memset(&st, 0, sizeof st);
	st.lock_fd = -1;
	st.ready_fd = xd->opt.no_fork ? -1 : xsdbd_daemonize(xd->opt.output_pid);
	if (chdir("/") == -1)
		xsdbd_fail(&st, "chdir /: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);

	if (xd->opt.internal_db)
		log_info("-I/--internal-db means nothing here: the store is "
		    "the database in %s", xd->opt.db_dir);
	if (xd->opt.live_update)
		log_info("started by a live update: serving the store in %s",
		    xd->opt.db_dir);

	if ((xd->base = event_base_new()) == NULL)
		xsdbd_fail(&st, "cannot set up the event loop");
	xsdbd_open_store(xd, &st);
	if ((rc = lu_import(xd, err, sizeof err)) != 0)
		xsdbd_fail(&st, "%s", err);

	xd->ev_sigterm = evsignal_new(xd->base, SIGTERM, xsdbd_signal, xd);
	xd->ev_sigint = evsignal_new(xd->base, SIGINT, xsdbd_signal, xd);
	xd->ev_sighup = evsignal_new(xd->base, SIGHUP, xsdbd_signal, xd);
	if (xd->ev_sigterm == NULL || xd->ev_sigint == NULL ||
	    xd->ev_sighup == NULL || event_add(xd->ev_sigterm, NULL) != 0 ||
	    event_add(xd->ev_sigint, NULL) != 0 ||
	    event_add(xd->ev_sighup, NULL) != 0)
		xsdbd_fail(&st, "cannot set up signals");

	if (xd->opt.trace_file != NULL &&
	    (rc = trace_open(xd, xd->opt.trace_file)) != 0)
		xsdbd_fail(&st, "cannot open the trace file %s: %s",
		    xd->opt.trace_file, strerror(rc));
	if ((rc = xen_open(xd, xd->opt.xen, err, sizeof err)) != 0)
		xsdbd_fail(&st, "%s", err);
	if ((rc = watch_init(xd)) != 0)
		xsdbd_fail(&st, "cannot set up watches: %s", strerror(rc));
	if ((rc = domain_init(xd)) != 0)
		xsdbd_fail(&st, "cannot set up domains: %s", strerror(rc));
	if ((rc = txn_init(xd)) != 0)
		xsdbd_fail(&st, "cannot set up transactions: %s",
		    strerror(rc));
	if ((rc = trim_init(xd)) != 0)
		xsdbd_fail(&st, "cannot set up a timer: %s", strerror(rc));
	/* Started by a live update: the listener is there already. */
	if ((rc = lu_restore(xd, err, sizeof err)) == ENOENT)
		rc = conn_sock_listen(xd, err, sizeof err);
	if (rc != 0)
		xsdbd_fail(&st, "%s", err);

	xd->running = true;
	xsdbd_ready(xd, &st);
	xsdbd_loop(xd);

	log_info("stopped");
	xsdbd_shutdown(xd);
	if (st.pid_written)
		unlink(xd->opt.pid_file);
	if (st.lock_fd != -1)
		close(st.lock_fd);
	status = xd->exit_status;
	free((char *)xd->opt.db_dir);
	free((char *)xd->opt.socket_path);
	free((char *)xd->opt.pid_file);
	free((char *)xd->opt.trace_file);
	free(xd);
	return status;
}

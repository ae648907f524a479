/*
 * control.c - the CONTROL (DEBUG) request and its commands.
 *
 * The payload is a command and its arguments, each a nul-terminated
 * string: "quota\0set\0nodes\02000\0". As in Xen's C xenstored 4.17, only
 * terminated strings count (bytes after the last NUL are ignored), an
 * empty payload or an unknown command is EINVAL, and so is a command given
 * the wrong arguments. Xen's xenstore-control answers EINVAL with
 * "Command not supported" and the help text, so the names, argument forms
 * and reply texts below are those of the reference daemon, which lets the
 * unchanged client print what it prints against Xen:
 *
 *	help		the commands, "name\tusage\n" each
 *	check		store_check on the request's view of the store:
 *			"OK", or the findings
 *	log on|off	start or stop the trace file (trace.c)
 *	logfile FILE	trace to FILE from now on
 *	memreport [FILE] the daemon's memory and counters, appended to FILE,
 *			or as the reply
 *	print STRING	a line "control: STRING" in the daemon's log
 *	quota		the hard quotas; "quota set NAME VAL" changes one;
 *			"quota DOMID" a domain's usage
 *	quota-soft	the same for the soft quotas
 *	live-update	live update (lu.c)
 *
 * Numbers are read as Xen reads them (atoi): leading digits count, the
 * rest is ignored, so "quota abc" shows domain 0, as the reference does.
 * A quota must be at least 1.
 *
 * Differences from the reference, on purpose: a trace or report file that
 * cannot be opened is an error (Xen answers OK and logs); relative file
 * names are taken from the database directory, not from wherever the
 * daemon runs; memreport without a file answers with the report (Xen
 * writes a talloc report to the trace file, or fails with EINVAL when
 * there is none).
 *
 * Only privileged connections may send CONTROL: dispatch.c answers
 * EACCES to the others (DISPATCH_PRIV).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xsdbd.h"

/* A reply being built in a fixed buffer; once full, later text is lost. */
struct control_text {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	bool	 full;
};

/* One command: its handler gets the arguments after the name. */
struct control_cmd {
	const char	*name;
	int		(*fn)(struct request *, const char **, unsigned int);
	const char	*usage;
};

/* One quota setting and where it lives in struct quota. */
struct control_quota {
	const char	*name;
	size_t		 off;
	const char	*descr;
};

/* The state of a check while store_check runs. */
struct control_check {
	struct control_text	*text;
	unsigned long		 shown;
};

static void	control_text_init(struct control_text *, char *, size_t);
static void	control_text_add(struct control_text *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	control_text_reply(struct request *, struct control_text *);
static long long control_atoi(const char *);
static char	*control_path(struct request *, const char *);
static int	control_help(struct request *, const char **, unsigned int);
static int	control_check(struct request *, const char **, unsigned int);
static void	control_check_report(void *, const char *);
static int	control_log(struct request *, const char **, unsigned int);
static int	control_logfile(struct request *, const char **,
		    unsigned int);
static int	control_memreport(struct request *, const char **,
		    unsigned int);
static void	control_memreport_text(struct request *,
		    struct control_text *);
static void	control_memreport_proc(struct control_text *);
static int	control_print(struct request *, const char **, unsigned int);
static int	control_quota(struct request *, const char **, unsigned int);
static int	control_quota_soft(struct request *, const char **,
		    unsigned int);
static int	control_quota_show(struct request *,
		    const struct control_quota *);
static int	control_quota_set(struct request *,
		    const struct control_quota *, const char **,
		    unsigned int);
static int	control_quota_domain(struct request *, const char *);
static int	control_live_update(struct request *, const char **,
		    unsigned int);

/* The commands, in the order of Xen's help text. */
static const struct control_cmd control_cmds[] = {
	{ "check", control_check, "" },
	{ "log", control_log, "on|off" },
	{ "live-update", control_live_update,
	    "[-c <cmdline>] [-F] [-t <timeout>] <file>\n"
	    "    Default timeout is 60 seconds." },
	{ "logfile", control_logfile, "<file>" },
	{ "memreport", control_memreport, "[<file>]" },
	{ "print", control_print, "<string>" },
	{ "quota", control_quota, "[set <name> <val>|<domid>]" },
	{ "quota-soft", control_quota_soft, "[set <name> <val>]" },
	{ "help", control_help, "" },
};
#define CONTROL_NCMDS	(sizeof control_cmds / sizeof control_cmds[0])

/* The hard quotas, as Xen's "quota" shows them. */
static const struct control_quota control_hard[] = {
	{ "nodes", offsetof(struct quota, entry_nb), "Nodes per domain" },
	{ "watches", offsetof(struct quota, watch_nb), "Watches per domain" },
	{ "transactions", offsetof(struct quota, transactions),
	    "Transactions per domain" },
	{ "outstanding", offsetof(struct quota, outstanding),
	    "Outstanding requests per domain" },
	{ "transaction-nodes", offsetof(struct quota, txn_nodes),
	    "Max. number of accessed nodes per transaction" },
	{ "memory", offsetof(struct quota, memory),
	    "Total Xenstore memory per domain (error level)" },
	{ "node-size", offsetof(struct quota, entry_size),
	    "Max. size of a node" },
	{ "path-max", offsetof(struct quota, path_max),
	    "Max. length of a node path" },
	{ "permissions", offsetof(struct quota, perm_nb),
	    "Max. number of permissions per node" },
	{ NULL, 0, NULL }
};

/* The soft quotas, as Xen's "quota-soft" shows them. */
static const struct control_quota control_soft[] = {
	{ "memory", offsetof(struct quota, memory_soft),
	    "Total Xenstore memory per domain (warning level)" },
	{ NULL, 0, NULL }
};

/* The longest check reply: room is kept for the line saying "more". */
#define CONTROL_CHECK_MAX	(XS_PAYLOAD_MAX - 128)

/* CONTROL: split the payload into strings and run the command. */
int
op_control(struct request *req)
{
	const char	**argv, *p;
	unsigned int	  argc, i;

	argc = xs_wire_count_strings(req->data, req->len);
	if (argc == 0)
		return EINVAL;
	if ((argv = request_alloc(req, argc * sizeof *argv)) == NULL)
		return ENOMEM;
	for (i = 0, p = req->data; i < argc; i++) {
		argv[i] = p;
		p += strlen(p) + 1;
	}
	for (i = 0; i < CONTROL_NCMDS; i++) {
		if (strcmp(argv[0], control_cmds[i].name) == 0)
			return control_cmds[i].fn(req, argv + 1, argc - 1);
	}
	return EINVAL;
}

/* Start an empty text in buf. */
static void
control_text_init(struct control_text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->full = false;
	if (cap > 0)
		buf[0] = '\0';
}

/* Append to a text; what does not fit is dropped and the text marked. */
static void
control_text_add(struct control_text *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->buf[t->len] = '\0';
		t->full = true;
		return;
	}
	t->len += (size_t)n;
}

/* Reply with a text and its NUL, as Xen's replies end. */
static int
control_text_reply(struct request *req, struct control_text *t)
{
	return request_reply(req, t->buf, t->len + 1);
}

/*
 * A number as Xen reads it with atoi: blanks, a sign, digits up to the
 * first other character; 0 when there are none. Clamped to the range of
 * a long long rather than overflowing.
 */
static long long
control_atoi(const char *s)
{
	long long	v = 0;
	bool		neg = false;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = (*s++ == '-');
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LLONG_MAX - 9) / 10) {
			v = LLONG_MAX;
			break;
		}
		v = v * 10 + (*s - '0');
	}
	return neg ? -v : v;
}

/*
 * A file name of a command, made absolute: a relative name is taken from
 * the database directory, since the daemon's own directory is "/" and the
 * client's is unknown. Scratch memory of the request; NULL if empty or
 * out of memory.
 */
static char *
control_path(struct request *req, const char *name)
{
	const char	*dir;
	char		*p;
	size_t		 dlen, nlen = strlen(name);

	if (nlen == 0)
		return NULL;
	if (name[0] == '/') {
		if ((p = request_alloc(req, nlen + 1)) != NULL)
			memcpy(p, name, nlen + 1);
		return p;
	}
	dir = store_dir(req->xd->store);
	dlen = strlen(dir);
	if ((p = request_alloc(req, dlen + 1 + nlen + 1)) == NULL)
		return NULL;
	memcpy(p, dir, dlen);
	p[dlen] = '/';
	memcpy(p + dlen + 1, name, nlen + 1);
	return p;
}

/* help: each command with its arguments, one a line. */
static int
control_help(struct request *req, const char **argv, unsigned int argc)
{
	struct control_text	t;
	unsigned int		i;

	if (argc != 0)
		return EINVAL;
	control_text_init(&t, req->rbuf, XS_PAYLOAD_MAX);
	for (i = 0; i < CONTROL_NCMDS; i++) {
		control_text_add(&t, "%s\t%s\n", control_cmds[i].name,
		    control_cmds[i].usage);
	}
	if (t.full)
		return E2BIG;
	return control_text_reply(req, &t);
}

/*
 * check: the store's integrity check on the request's view of the store
 * (the turn's snapshot, or the transaction's). "OK" as Xen answers, or
 * the number of findings and as many of them as fit; each is logged.
 */
static int
control_check(struct request *req, const char **argv, unsigned int argc)
{
	struct control_text	t;
	struct control_check	cc;
	unsigned long		problems = 0;
	char			*body;
	int			rc;

	if (argc != 0)
		return EINVAL;
	if ((body = request_alloc(req, CONTROL_CHECK_MAX)) == NULL)
		return ENOMEM;
	control_text_init(&t, body, CONTROL_CHECK_MAX);
	cc.text = &t;
	cc.shown = 0;
	if ((rc = store_check(req->st, control_check_report, &cc,
	    &problems)) != 0) {
		log_warnx("control: check failed: %s", strerror(rc));
		return rc;
	}
	if (problems == 0) {
		log_info("control: check: the store is consistent");
		return request_reply_str(req, "OK");
	}
	log_warnx("control: check: %lu problem%s found", problems,
	    problems == 1 ? "" : "s");
	control_text_init(&t, req->rbuf, XS_PAYLOAD_MAX);
	control_text_add(&t, "check: %lu problem%s found:\n%s", problems,
	    problems == 1 ? "" : "s", body);
	if (cc.shown < problems)
		control_text_add(&t, "... and %lu more (see the log)\n",
		    problems - cc.shown);
	return control_text_reply(req, &t);
}

/* One finding of store_check: log it, and keep it for the reply. */
static void
control_check_report(void *arg, const char *finding)
{
	struct control_check	*cc = arg;
	struct control_text	*t = cc->text;

	log_warnx("control: check: %s", finding);
	control_text_add(t, "%s\n", finding);
	if (!t->full)
		cc->shown++;
}

/*
 * log on|off: start or stop tracing to the trace file (-T or logfile).
 * "on" without a file does nothing, as with Xen.
 */
static int
control_log(struct request *req, const char **argv, unsigned int argc)
{
	struct xsdbd	*xd = req->xd;
	int		 rc;

	if (argc != 1)
		return EINVAL;
	if (strcmp(argv[0], "on") == 0) {
		if (xd->opt.trace_file == NULL) {
			log_info("control: log on: no trace file set");
			return request_ack(req);
		}
		if ((rc = trace_open(xd, xd->opt.trace_file)) != 0) {
			log_warnx("control: cannot open the trace file %s: %s",
			    xd->opt.trace_file, strerror(rc));
			return rc;
		}
		log_info("control: tracing to %s", xd->opt.trace_file);
	} else if (strcmp(argv[0], "off") == 0) {
		if (xd->trace != NULL)
			log_info("control: tracing stopped");
		trace_close(xd);
	} else
		return EINVAL;
	return request_ack(req);
}

/*
 * logfile FILE: trace to FILE from now on. The name replaces
 * xd->opt.trace_file, which main() owns and frees at exit; if FILE cannot
 * be opened nothing changes.
 */
static int
control_logfile(struct request *req, const char **argv, unsigned int argc)
{
	struct xsdbd	*xd = req->xd;
	char		*path, *copy;
	int		 rc;

	if (argc != 1)
		return EINVAL;
	if ((path = control_path(req, argv[0])) == NULL)
		return argv[0][0] == '\0' ? EINVAL : ENOMEM;
	if ((copy = strdup(path)) == NULL)
		return ENOMEM;
	if ((rc = trace_open(xd, copy)) != 0) {
		log_warnx("control: cannot open the trace file %s: %s", copy,
		    strerror(rc));
		free(copy);
		return rc;
	}
	free((char *)xd->opt.trace_file);
	xd->opt.trace_file = copy;
	log_info("control: tracing to %s", copy);
	return request_ack(req);
}

/*
 * memreport [FILE]: the report appended to FILE, or sent as the reply
 * when no file is given.
 */
static int
control_memreport(struct request *req, const char **argv, unsigned int argc)
{
	struct control_text	 t;
	char			*path, *body;
	size_t			 off;
	ssize_t			 n;
	int			 fd, rc;

	if (argc > 1)
		return EINVAL;
	if (argc == 0) {
		control_text_init(&t, req->rbuf, XS_PAYLOAD_MAX);
		control_memreport_text(req, &t);
		return control_text_reply(req, &t);
	}
	if ((path = control_path(req, argv[0])) == NULL)
		return argv[0][0] == '\0' ? EINVAL : ENOMEM;
	if ((body = request_alloc(req, XS_PAYLOAD_MAX)) == NULL)
		return ENOMEM;
	control_text_init(&t, body, XS_PAYLOAD_MAX);
	control_memreport_text(req, &t);

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, 0600);
	if (fd == -1) {
		rc = errno;
		log_warn("control: memreport: %s", path);
		return rc;
	}
	for (off = 0; off < t.len; off += (size_t)n) {
		n = write(fd, t.buf + off, t.len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			rc = n == -1 ? errno : EIO;
			log_warnx("control: memreport: %s: %s", path,
			    strerror(rc));
			close(fd);
			return rc;
		}
	}
	if (close(fd) == -1) {
		rc = errno;
		log_warn("control: memreport: %s", path);
		return rc;
	}
	return request_ack(req);
}

/*
 * The memory report: the process (RSS), the store (stats.c), the
 * connections and their buffers, watches, transactions, the group commit
 * and the trace.
 */
static void
control_memreport_text(struct request *req, struct control_text *t)
{
	struct xsdbd		*xd = req->xd;
	struct store_stats	 ss;
	struct conn		*c;
	struct watch_stats	 ws;
	struct tm		 tm;
	time_t			 now;
	char			 stamp[32];
	unsigned long long	 in_used = 0, in_cap = 0, out_used = 0;
	unsigned long long	 out_cap = 0, watches = 0, pending = 0;
	unsigned int		 sockets = 0, others = 0;
	int			 rc;

	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%d %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof stamp, "?");
	control_text_add(t, "xsdbd memory report, pid %ld, %s\n",
	    (long)getpid(), stamp);

	control_memreport_proc(t);

	control_text_add(t, "store %s:\n", store_dir(xd->store));
	if ((rc = store_stats(req->st, &ss)) != 0)
		control_text_add(t, "  (no statistics: %s)\n", strerror(rc));
	else {
		control_text_add(t, "%-17s: %8llu\n", "  nodes",
		    (unsigned long long)ss.nodes);
		control_text_add(t, "%-17s: %8llu bytes (values, "
		    "permissions, names)\n", "  node data",
		    (unsigned long long)ss.bytes);
		control_text_add(t, "%-17s: %8llu\n", "  generation",
		    (unsigned long long)ss.generation);
		control_text_add(t, "%-17s: %8llu\n", "  domains",
		    (unsigned long long)ss.domains);
		control_text_add(t, "%-17s: %8llu\n", "  kept watches",
		    (unsigned long long)ss.watches);
		control_text_add(t, "%-17s: %8llu KiB of %llu KiB mapped\n",
		    "  map used", (unsigned long long)ss.map_used / 1024,
		    (unsigned long long)ss.map_size / 1024);
		control_text_add(t, "%-17s: %8llu KiB\n", "  file size",
		    (unsigned long long)ss.file_size / 1024);
		control_text_add(t, "%-17s: %8u of %u\n", "  readers",
		    ss.readers_used, ss.readers_max);
	}

	TAILQ_FOREACH(c, &xd->conns, entry) {
		if (c->fd != -1)
			sockets++;
		else
			others++;
		in_used += buf_used(&c->in);
		in_cap += c->in.cap;
		out_used += buf_used(&c->out);
		out_cap += c->out.cap;
		watches += c->nwatches;
		pending += c->pending;
	}
	control_text_add(t, "%-17s: %8u (%u socket, %u other)\n",
	    "connections", xd->nconns, sockets, others);
	control_text_add(t, "%-17s: %8llu bytes in %llu allocated\n",
	    "  input", in_used, in_cap);
	control_text_add(t, "%-17s: %8llu bytes in %llu allocated\n",
	    "  output", out_used, out_cap);
	control_text_add(t, "%-17s: %8llu\n", "  outstanding", pending);
	watch_stats(xd, &ws);
	control_text_add(t, "%-17s: %8llu\n", "watches", watches);
	control_text_add(t, "%-17s: %8llu\n", "  watched paths",
	    (unsigned long long)ws.keys);
	control_text_add(t, "%-17s: %8llu\n", "  index probes",
	    (unsigned long long)ws.probes);
	control_text_add(t, "%-17s: %8llu\n", "  events queued",
	    (unsigned long long)ws.events);
	control_text_add(t, "%-17s: %8u\n", "transactions", xd->ntxns);
	control_text_add(t, "%-17s: %8llu commits, %llu failed\n",
	    "group commit", (unsigned long long)xd->group.commits,
	    (unsigned long long)xd->group.failures);
	control_text_add(t, "%-17s: %8llu bytes allocated\n", "  buffers",
	    (unsigned long long)(xd->group.msgs.cap + xd->group.paths.cap +
	    xd->group.msgcap * sizeof *xd->group.msgv +
	    xd->group.chgcap * sizeof *xd->group.chgv));
	control_text_add(t, "%-17s: %8llu in %llu turns\n", "requests",
	    (unsigned long long)xd->requests, (unsigned long long)xd->turns);
	control_text_add(t, "%-17s: %s%s\n", "trace",
	    xd->opt.trace_file != NULL ? xd->opt.trace_file : "none",
	    xd->opt.trace_file == NULL ? "" :
	    xd->trace != NULL ? " (on)" : " (off)");
	if (t->full)
		log_warnx("control: memreport cut short");
}

/* Memory of the process from /proc/self/status, where there is one. */
static void
control_memreport_proc(struct control_text *t)
{
	static const char *const keys[] = { "VmSize:", "VmHWM:", "VmRSS:",
	    "VmData:" };
	static const char *const names[] = { "virtual", "peak rss", "rss",
	    "data" };
	FILE		*f;
	char		 line[256];
	unsigned long	 kib;
	unsigned int	 i;
	size_t		 klen;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			klen = strlen(keys[i]);
			if (strncmp(line, keys[i], klen) != 0)
				continue;
			if (sscanf(line + klen, "%lu", &kib) == 1)
				control_text_add(t, "%-17s: %8lu KiB\n",
				    names[i], kib);
		}
	}
	fclose(f);
}

/* print STRING: a line in the daemon's log. */
static int
control_print(struct request *req, const char **argv, unsigned int argc)
{
	if (argc != 1)
		return EINVAL;
	log_info("control: %s", argv[0]);
	return request_ack(req);
}

/* quota [set NAME VAL | DOMID]: the hard quotas. */
static int
control_quota(struct request *req, const char **argv, unsigned int argc)
{
	if (argc == 0)
		return control_quota_show(req, control_hard);
	if (strcmp(argv[0], "set") == 0)
		return control_quota_set(req, control_hard, argv + 1,
		    argc - 1);
	if (argc != 1)
		return EINVAL;
	return control_quota_domain(req, argv[0]);
}

/* quota-soft [set NAME VAL]: the soft quotas. */
static int
control_quota_soft(struct request *req, const char **argv, unsigned int argc)
{
	if (argc == 0)
		return control_quota_show(req, control_soft);
	if (strcmp(argv[0], "set") == 0)
		return control_quota_set(req, control_soft, argv + 1,
		    argc - 1);
	return EINVAL;
}

/* Show the settings of a quota table, laid out as Xen does. */
static int
control_quota_show(struct request *req, const struct control_quota *q)
{
	struct control_text	 t;
	const unsigned int	*v;

	control_text_init(&t, req->rbuf, XS_PAYLOAD_MAX);
	control_text_add(&t, "Quota settings:\n");
	for (; q->name != NULL; q++) {
		v = (const unsigned int *)((const char *)&req->xd->quota +
		    q->off);
		control_text_add(&t, "%-17s: %8u %s\n", q->name, *v, q->descr);
	}
	if (t.full)
		return E2BIG;
	return control_text_reply(req, &t);
}

/*
 * Set one quota: NAME VAL with VAL at least 1 (and at most INT_MAX, what
 * Xen's int holds). Connections over a lowered quota keep what they have
 * but cannot take more.
 */
static int
control_quota_set(struct request *req, const struct control_quota *q,
    const char **argv, unsigned int argc)
{
	unsigned int	*v;
	long long	 val;

	if (argc != 2)
		return EINVAL;
	val = control_atoi(argv[1]);
	if (val < 1 || val > INT_MAX)
		return EINVAL;
	for (; q->name != NULL; q++) {
		if (strcmp(argv[0], q->name) != 0)
			continue;
		v = (unsigned int *)((char *)&req->xd->quota + q->off);
		*v = (unsigned int)val;
		log_info("control: quota %s set to %u", q->name, *v);
		return request_ack(req);
	}
	return EINVAL;
}

/*
 * quota DOMID: what a domain uses, laid out as Xen's domain_get_quota.
 * A domain is known if it is dom0, has a connection or owns nodes; any
 * other is ENOENT, as Xen answers for a domain it has no record of.
 * Nodes and memory come from the store (memory is the byte count of
 * store_owner_usage), the rest from the domain's connections.
 */
static int
control_quota_domain(struct request *req, const char *arg)
{
	struct xsdbd		*xd = req->xd;
	struct store_usage	 u;
	struct control_text	 t;
	struct conn		*c;
	unsigned long long	 watches = 0, txns = 0, outstanding = 0;
	unsigned int		 domid;
	bool			 known;
	int			 rc;

	domid = (unsigned int)control_atoi(arg);
	if ((rc = store_owner_usage(req->st, domid, &u)) != 0)
		return rc;
	known = (domid == 0 || u.nodes > 0);
	TAILQ_FOREACH(c, &xd->conns, entry) {
		if (c->domid != domid)
			continue;
		known = true;
		watches += c->nwatches;
		txns += c->ntxns;
		outstanding += c->pending;
	}
	if (!known)
		return ENOENT;

	control_text_init(&t, req->rbuf, XS_PAYLOAD_MAX);
	control_text_add(&t, "Domain %u:\n", domid);
	control_text_add(&t, "%-16s: %8llu\n", "nodes",
	    (unsigned long long)u.nodes);
	control_text_add(&t, "%-16s: %8llu\n", "watches", watches);
	control_text_add(&t, "%-16s: %8llu\n", "transactions", txns);
	control_text_add(&t, "%-16s: %8llu\n", "outstanding", outstanding);
	control_text_add(&t, "%-16s: %8llu\n", "memory",
	    (unsigned long long)u.bytes);
	return control_text_reply(req, &t);
}

/* live-update and its sub-commands: lu.c. */
static int
control_live_update(struct request *req, const char **argv, unsigned int argc)
{
	return lu_control(req, argv, argc);
}

/*
 * check_control.c - CONTROL commands and the trace file of xsdbd, against
 * the real daemon (daemon-fixture.c).
 *
 * Reply texts, argument forms and errors are those of Xen's C xenstored
 * 4.17, each probed on the reference daemon: help's list, "OK" from check
 * on a healthy store, the quota tables and a domain's usage laid out as
 * Xen lays them out, atoi-style numbers, EINVAL for anything malformed,
 * ENOENT for a domain the daemon does not know. The trace file is checked
 * line by line against its format (trace.c), and its reopening on SIGHUP
 * after the file was moved away.
 *
 * Trace lines reach the file at the latest one loop turn after the reply
 * is sent, so the tests wait for a line with inotify on the run
 * directory, bounded by a deadline, rather than sleeping.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon-fixture.h"

/* How long a trace line may take to reach the file. */
#define WAIT_MS		10000

static struct fixture	 fx;
static int		 fd = -1;
static char		 trace_path[256];

static const char help_text[] =
    "check\t\n"
    "log\ton|off\n"
    "live-update\t[-c <cmdline>] [-F] [-t <timeout>] <file>\n"
    "    Default timeout is 60 seconds.\n"
    "logfile\t<file>\n"
    "memreport\t[<file>]\n"
    "print\t<string>\n"
    "quota\t[set <name> <val>|<domid>]\n"
    "quota-soft\t[set <name> <val>]\n"
    "help\t\n";

static const char quota_text[] =
    "Quota settings:\n"
    "nodes            :     1000 Nodes per domain\n"
    "watches          :      128 Watches per domain\n"
    "transactions     :       10 Transactions per domain\n"
    "outstanding      :       20 Outstanding requests per domain\n"
    "transaction-nodes:     1024 Max. number of accessed nodes per "
    "transaction\n"
    "memory           :  2621440 Total Xenstore memory per domain "
    "(error level)\n"
    "node-size        :     2048 Max. size of a node\n"
    "path-max         :     2048 Max. length of a node path\n"
    "permissions      :        5 Max. number of permissions per node\n";

static const char quota_soft_text[] =
    "Quota settings:\n"
    "memory           :  2097152 Total Xenstore memory per domain "
    "(warning level)\n";

/* A domain's usage as "quota DOMID" shows it. */
struct usage {
	long	nodes;
	long	watches;
	long	transactions;
	long	outstanding;
	long	memory;
};

static void	 setup(void);
static void	 teardown(void);
static void	 start(const char *const *);
static const char *ctl(uint32_t *, const char *, ...);
static void	 parse_usage(const char *, unsigned int, struct usage *);
static void	 get_usage(unsigned int, struct usage *);
static char	*slurp(const char *);
static bool	 wait_for(const char *, const char *);
static size_t	 count(const char *, const char *);
static void	 check_trace_format(const char *);
static void	 check_line(const char *, size_t);

/* A run directory for each test; the daemon is started by the test. */
static void
setup(void)
{
	fixture_init(&fx);
	fd = -1;
	snprintf(trace_path, sizeof trace_path, "%s/trace", fx.dir);
}

/* Stop the daemon, remove the run directory. */
static void
teardown(void)
{
	fixture_done(&fx, &fd);
}

/* Start the daemon with extra arguments and connect to it. */
static void
start(const char *const *extra)
{
	fixture_up(&fx, extra);
	fd = fixture_connect(&fx);
}

/* CONTROL outside transactions; *rt gets the reply type. */
static const char *
ctl(uint32_t *rt, const char *first, ...)
{
	const char	*r;
	uint32_t	 rl;
	va_list		 ap;

	va_start(ap, first);
	r = fixture_reqv(fd, XS_CONTROL, rt, &rl, first, ap);
	va_end(ap);
	if (*rt != XS_ERROR)
		ck_assert_msg(rl == strlen(r) + 1,
		    "CONTROL %s: reply of %u bytes is not one string", first,
		    rl);
	return r;
}

/* Parse the reply of "quota DOMID", checking its layout. */
static void
parse_usage(const char *r, unsigned int domid, struct usage *u)
{
	char	want[64];
	int	n = 0;

	snprintf(want, sizeof want, "Domain %u:\n", domid);
	ck_assert_msg(strncmp(r, want, strlen(want)) == 0, "reply \"%s\"", r);
	r += strlen(want);
	ck_assert_msg(sscanf(r,
	    "nodes           : %8ld\n"
	    "watches         : %8ld\n"
	    "transactions    : %8ld\n"
	    "outstanding     : %8ld\n"
	    "memory          : %8ld\n%n",
	    &u->nodes, &u->watches, &u->transactions, &u->outstanding,
	    &u->memory, &n) == 5 && n > 0 && r[n] == '\0',
	    "usage laid out wrongly: \"%s\"", r);
	/* Each figure right-aligned in 8 columns after ": ". */
	ck_assert_msg(strstr(r, "nodes           : ") == r,
	    "usage laid out wrongly: \"%s\"", r);
}

/* The usage of a domain the daemon knows. */
static void
get_usage(unsigned int domid, struct usage *u)
{
	char		 arg[16];
	const char	*r;
	uint32_t	 rt;

	snprintf(arg, sizeof arg, "%u", domid);
	r = ctl(&rt, "quota", arg, NULL);
	ck_assert_msg(rt == XS_CONTROL, "quota %u: type %u \"%s\"", domid, rt,
	    r);
	parse_usage(r, domid, u);
}

/* The whole file as a string (NULL if it cannot be read). */
static char *
slurp(const char *path)
{
	struct stat	 sb;
	char		*p;
	ssize_t		 n;
	size_t		 off = 0;
	int		 f;

	if ((f = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	ck_assert_int_eq(fstat(f, &sb), 0);
	p = malloc((size_t)sb.st_size + 1);
	ck_assert_ptr_nonnull(p);
	while (off < (size_t)sb.st_size) {
		n = read(f, p + off, (size_t)sb.st_size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	p[off] = '\0';
	close(f);
	return p;
}

/*
 * Wait until the file at path holds needle, at most WAIT_MS. The watch
 * on the run directory is set before the first look, so no change is
 * missed between looking and waiting.
 */
static bool
wait_for(const char *path, const char *needle)
{
	struct timespec	 now, end;
	struct pollfd	 pfd;
	char		 ev[4096], *text;
	bool		 found;
	long		 left;
	int		 ifd;

	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	ck_assert_int_ge(ifd, 0);
	ck_assert_int_ge(inotify_add_watch(ifd, fx.dir, IN_MODIFY |
	    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE), 0);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += WAIT_MS / 1000;
	for (;;) {
		text = slurp(path);
		found = text != NULL && strstr(text, needle) != NULL;
		free(text);
		if (found)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			break;
		pfd.fd = ifd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) > 0)
			while (read(ifd, ev, sizeof ev) > 0)
				;
	}
	close(ifd);
	return found;
}

/* How many times needle occurs in text. */
static size_t
count(const char *text, const char *needle)
{
	size_t	n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return n;
}

/* Every line of a trace file must follow the format of trace.c. */
static void
check_trace_format(const char *text)
{
	const char	*p = text, *nl;

	ck_assert_msg(*text != '\0', "empty trace");
	while (*p != '\0') {
		nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "last trace line unterminated: %s",
		    p);
		check_line(p, (size_t)(nl - p));
		p = nl + 1;
	}
}

/*
 * One trace line: "WHAT CONN (dN) YYYYMMDD HH:MM:SS.UUUUUU REST" with
 * REST "req=R tx=T TYPE (PAYLOAD)" for IN and OUT, "connection NAME" for
 * CREATE and DESTROY; or "*** YYYYMMDD HH:MM:SS.UUUUUU trace ...".
 */
static void
check_line(const char *p, size_t len)
{
	char		 line[4 * XS_PAYLOAD_MAX + 256], what[16], date[16];
	char		 tod[32], type[32], name[32];
	unsigned long long conn;
	unsigned int	 domid, req, tx;
	int		 n = 0, m = 0;
	const char	*rest;

	ck_assert_uint_lt(len, sizeof line);
	memcpy(line, p, len);
	line[len] = '\0';
	for (n = 0; line[n] != '\0'; n++)
		ck_assert_msg(line[n] >= 0x20 && line[n] < 0x7f,
		    "unprintable byte in trace line: %s", line);
	n = 0;
	if (strncmp(line, "*** ", 4) == 0) {
		ck_assert_msg(sscanf(line, "*** %15s %31s trace %n", date, tod,
		    &n) == 2 && n > 0, "bad marker: %s", line);
		ck_assert_msg(strlen(date) == 8 && strlen(tod) == 15 &&
		    tod[2] == ':' && tod[5] == ':' && tod[8] == '.',
		    "bad marker time: %s", line);
		return;
	}
	ck_assert_msg(sscanf(line, "%15s %llu (d%u) %15s %31s %n", what,
	    &conn, &domid, date, tod, &n) == 5 && n > 0,
	    "bad trace line: %s", line);
	ck_assert_msg(strlen(date) == 8 && strlen(tod) == 15 &&
	    tod[2] == ':' && tod[5] == ':' && tod[8] == '.',
	    "bad time in trace line: %s", line);
	ck_assert_uint_gt(conn, 0);
	rest = line + n;
	if (strcmp(what, "CREATE") == 0 || strcmp(what, "DESTROY") == 0) {
		ck_assert_msg(sscanf(rest, "connection %31s%n", name,
		    &m) == 1 &&
		    rest[m] == '\0', "bad connection line: %s", line);
		return;
	}
	ck_assert_msg(strcmp(what, "IN") == 0 || strcmp(what, "OUT") == 0,
	    "unknown trace line: %s", line);
	ck_assert_msg(sscanf(rest, "req=%u tx=%u %31s (%n", &req, &tx, type,
	    &m) == 3 && m > 0, "bad io line: %s", line);
	ck_assert_msg(xs_wire_type_from_name(type) >= 0 ||
	    strncmp(type, "UNKNOWN:", 8) == 0, "bad type in: %s", line);
	ck_assert_msg(line[len - 1] == ')', "payload not closed: %s", line);
}

START_TEST(test_help)
{
	start(NULL);
	fixture_answers(fd, XS_CONTROL, help_text, "help", NULL);
	/* Bytes after the last NUL do not count, as with Xen. */
	{
		uint32_t	 rt, rl;
		const char	*r;

		r = fixture_req(fd, XS_CONTROL, 0, "help\0junk", 9, &rt, &rl);
		ck_assert_uint_eq(rt, XS_CONTROL);
		ck_assert_str_eq(r, help_text);
	}
}
END_TEST

START_TEST(test_check)
{
	const char	*r;
	uint32_t	 rt, rl, tx;
	char		 path[64];
	int		 i;

	start(NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "check", NULL);
	for (i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/check/d%d/n%d", i % 5, i);
		fixture_write_str(fd, path, "value");
	}
	r = fixture_req1(fd, XS_RM, 0, "/check/d3", &rt, &rl);
	ck_assert_uint_eq(rt, XS_RM);
	fixture_answers(fd, XS_CONTROL, "OK", "check", NULL);

	/* In a transaction: its snapshot is checked. */
	r = fixture_req(fd, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_START);
	tx = (uint32_t)strtoul(r, NULL, 10);
	ck_assert_uint_gt(tx, 0);
	r = fixture_req(fd, XS_CONTROL, tx, "check", 6, &rt, &rl);
	ck_assert_uint_eq(rt, XS_CONTROL);
	ck_assert_str_eq(r, "OK");
	r = fixture_req(fd, XS_TRANSACTION_END, tx, "T", 2, &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_END);

	/* A transaction id the connection does not have. */
	r = fixture_req(fd, XS_CONTROL, 4242, "check", 6, &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	ck_assert_str_eq(r, "ENOENT");
}
END_TEST

START_TEST(test_quota_show_set)
{
	const char	*r;
	uint32_t	 rt;

	start(NULL);
	fixture_answers(fd, XS_CONTROL, quota_text, "quota", NULL);
	fixture_answers(fd, XS_CONTROL, quota_soft_text, "quota-soft", NULL);

	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "nodes", "2000",
	    NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "watches", "129",
	    NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "transactions",
	    "11", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "outstanding",
	    "21", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set",
	    "transaction-nodes", "1025", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "memory",
	    "3000000", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "node-size",
	    "4096", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "path-max",
	    "1024", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "permissions",
	    "6", NULL);
	fixture_answers(fd, XS_CONTROL,
	    "Quota settings:\n"
	    "nodes            :     2000 Nodes per domain\n"
	    "watches          :      129 Watches per domain\n"
	    "transactions     :       11 Transactions per domain\n"
	    "outstanding      :       21 Outstanding requests per domain\n"
	    "transaction-nodes:     1025 Max. number of accessed nodes per "
	    "transaction\n"
	    "memory           :  3000000 Total Xenstore memory per domain "
	    "(error level)\n"
	    "node-size        :     4096 Max. size of a node\n"
	    "path-max         :     1024 Max. length of a node path\n"
	    "permissions      :        6 Max. number of permissions per "
	    "node\n", "quota", NULL);
	/* The soft quota is apart: the hard memory did not change it. */
	fixture_answers(fd, XS_CONTROL, quota_soft_text, "quota-soft", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota-soft", "set", "memory",
	    "2500000", NULL);
	fixture_answers(fd, XS_CONTROL, "Quota settings:\n"
	    "memory           :  2500000 Total Xenstore memory per domain "
	    "(warning level)\n", "quota-soft", NULL);
	r = ctl(&rt, "quota", NULL);
	ck_assert_ptr_nonnull(strstr(r, "memory           :  3000000 "));
}
END_TEST

/* path-max holds for every connection: its change shows at once. */
START_TEST(test_quota_path_max)
{
	static const char	 longp[] = "/quota-path-max/a-rather-long-name";
	uint32_t		 rt, rl;
	const char		*r;
	char			 buf[128];
	size_t			 n = sizeof longp;

	start(NULL);
	fixture_write_str(fd, longp, "1");
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "path-max", "16",
	    NULL);
	memcpy(buf, longp, n);
	memcpy(buf + n, "2", 1);
	r = fixture_req(fd, XS_WRITE, 0, buf, (uint32_t)n + 1, &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	ck_assert_str_eq(r, "EINVAL");
	fixture_write_str(fd, "/short", "1");
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "path-max",
	    "2048", NULL);
	fixture_write_str(fd, longp, "3");
}
END_TEST

START_TEST(test_quota_domain)
{
	struct usage	 a, b, c;
	const char	*r, *r2;
	uint32_t	 rt, rl, tx;
	char		 copy[XS_PAYLOAD_MAX];
	static const char perms[] = "/owned\0n5";

	start(NULL);
	get_usage(0, &a);
	ck_assert_int_gt(a.nodes, 0);
	ck_assert_int_gt(a.memory, 0);
	ck_assert_int_eq(a.transactions, 0);

	/* Three new nodes: "/q" plus its children "x" and "yy". */
	fixture_write_str(fd, "/q/x", "12345");
	fixture_write_str(fd, "/q/yy", "");
	get_usage(0, &b);
	ck_assert_int_eq(b.nodes, a.nodes + 3);
	/* Each node: value + 5 per permission + name + 1. */
	ck_assert_int_eq(b.memory, a.memory + (0 + 5 + 1 + 1) +
	    (5 + 5 + 1 + 1) + (0 + 5 + 2 + 1));

	r = fixture_req(fd, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_START);
	tx = (uint32_t)strtoul(r, NULL, 10);
	get_usage(0, &c);
	ck_assert_int_eq(c.transactions, 1);
	r = fixture_req(fd, XS_TRANSACTION_END, tx, "F", 2, &rt, &rl);
	ck_assert_uint_eq(rt, XS_TRANSACTION_END);
	get_usage(0, &c);
	ck_assert_int_eq(c.transactions, 0);

	/* "quota abc" reads as domain 0, as atoi does in Xen. */
	r = ctl(&rt, "quota", "0", NULL);
	ck_assert_uint_eq(rt, XS_CONTROL);
	strcpy(copy, r);
	r2 = ctl(&rt, "quota", "abc", NULL);
	ck_assert_str_eq(r2, copy);

	/* A domain that owns a node is known; one that owns none is not. */
	fixture_errors(fd, XS_CONTROL, "ENOENT", "quota", "5", NULL);
	fixture_write_str(fd, "/owned", "v");
	r = fixture_req(fd, XS_SET_PERMS, 0, perms, sizeof perms, &rt, &rl);
	ck_assert_uint_eq(rt, XS_SET_PERMS);
	get_usage(5, &c);
	ck_assert_int_eq(c.nodes, 1);
	ck_assert_int_eq(c.memory, 1 + 5 + 5 + 1);
	ck_assert_int_eq(c.watches, 0);
	ck_assert_int_eq(c.transactions, 0);
	fixture_errors(fd, XS_CONTROL, "ENOENT", "quota", "7", NULL);
	fixture_errors(fd, XS_CONTROL, "ENOENT", "quota", "-1", NULL);
}
END_TEST

START_TEST(test_memreport)
{
	const char	*r;
	char		 path[256], *text;
	uint32_t	 rt;

	start(NULL);
	fixture_write_str(fd, "/mem/a", "1");
	r = ctl(&rt, "memreport", NULL);
	ck_assert_uint_eq(rt, XS_CONTROL);
	ck_assert_msg(strncmp(r, "xsdbd memory report", 19) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\nrss "));
	ck_assert_ptr_nonnull(strstr(r, "\n  nodes "));
	ck_assert_ptr_nonnull(strstr(r, "\nconnections      :        1 "));
	ck_assert_ptr_nonnull(strstr(r, "\nwatches "));
	ck_assert_ptr_nonnull(strstr(r, "\ntransactions "));
	ck_assert_ptr_nonnull(strstr(r, "\ntrace            : none\n"));

	snprintf(path, sizeof path, "%s/report", fx.dir);
	fixture_answers(fd, XS_CONTROL, "OK", "memreport", path, NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "memreport", path, NULL);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(count(text, "xsdbd memory report"), 2);
	ck_assert_uint_eq(count(text, "\n  nodes "), 2);
	free(text);

	/* A relative name is in the database directory. */
	fixture_answers(fd, XS_CONTROL, "OK", "memreport", "relative-report",
	    NULL);
	snprintf(path, sizeof path, "%s/relative-report", fx.db);
	text = slurp(path);
	ck_assert_msg(text != NULL, "no %s", path);
	ck_assert_ptr_nonnull(strstr(text, "xsdbd memory report"));
	free(text);
}
END_TEST

START_TEST(test_print_live_update)
{
	start(NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "print", "a line for the log",
	    NULL);
	/* A binary is accepted, then the update is abandoned (-a). */
	fixture_answers(fd, XS_CONTROL, "OK", "live-update", "-f", "/bin/true",
	    NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "live-update", "-a", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "live-update", NULL);
}
END_TEST

/* -T: requests, replies and connections from the start. */
START_TEST(test_trace_option)
{
	const char *const	 extra[] = { "-T", trace_path, NULL };
	char			*text;
	uint32_t		 rt, rl;
	int			 s2;

	start(extra);
	fixture_write_str(fd, "/traced/a", "hello");
	(void)fixture_req1(fd, XS_READ, 0, "/traced/a", &rt, &rl);
	ck_assert_uint_eq(rt, XS_READ);
	(void)fixture_req1(fd, XS_READ, 0, "/traced/none", &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	s2 = fixture_connect(&fx);
	close(s2);
	ck_assert(wait_for(trace_path, "WRITE (/traced/a hello)\n"));
	ck_assert(wait_for(trace_path, "READ (/traced/a )\n"));
	ck_assert(wait_for(trace_path, "READ (hello)\n"));
	ck_assert(wait_for(trace_path, "ERROR (ENOENT )\n"));
	ck_assert(wait_for(trace_path, "DESTROY 2 (d0) "));

	text = slurp(trace_path);
	ck_assert_ptr_nonnull(text);
	check_trace_format(text);
	ck_assert_msg(strncmp(text, "*** ", 4) == 0, "%s", text);
	ck_assert_uint_eq(count(text, "trace opened by xsdbd"), 1);
	ck_assert_ptr_nonnull(strstr(text, "\nCREATE 1 (d0) "));
	ck_assert_ptr_nonnull(strstr(text, "\nCREATE 2 (d0) "));
	/* The request and its reply carry the same ids. */
	ck_assert_ptr_nonnull(strstr(text, "\nIN 1 (d0) "));
	ck_assert_uint_eq(count(text, " tx=0 WRITE (OK )\n"), 1);
	ck_assert_uint_eq(count(text, "IN 1 (d0) "), 3);
	ck_assert_uint_eq(count(text, "OUT 1 (d0) "), 3);
	free(text);
}
END_TEST

/* The ids of each traced request match its reply's. */
START_TEST(test_trace_ids)
{
	const char *const	 extra[] = { "-T", trace_path, NULL };
	char			*text, want[96];
	unsigned int		 req, tx;
	int			 n;

	start(extra);
	fixture_send(fd, XS_WRITE, 77, 0, "/ids\0x", 6);
	fixture_send(fd, XS_READ, 78, 0, "/ids", 5);
	fixture_send(fd, XS_READ, 79, 55, "/ids", 5);
	for (n = 0; n < 3; n++) {
		struct xs_header	h;
		char			buf[XS_PAYLOAD_MAX + 1];

		ck_assert_int_eq(fixture_recv(fd, &h, buf, WAIT_MS), 0);
	}
	ck_assert(wait_for(trace_path, "req=79 tx=55 ERROR (ENOENT )\n"));
	text = slurp(trace_path);
	check_trace_format(text);
	for (req = 77; req <= 79; req++) {
		tx = req == 79 ? 55 : 0;
		snprintf(want, sizeof want, " req=%u tx=%u ", req, tx);
		/* One IN line and one OUT line. */
		ck_assert_msg(count(text, want) == 2, "req %u: %s", req, text);
	}
	ck_assert_ptr_nonnull(strstr(text, "req=77 tx=0 WRITE (/ids x)\n"));
	ck_assert_ptr_nonnull(strstr(text, "req=78 tx=0 READ (x)\n"));
	free(text);
}
END_TEST

/* logfile, log off, log on. */
START_TEST(test_trace_control)
{
	char	*text, other[256];

	start(NULL);
	fixture_write_str(fd, "/before", "0");
	/* No file yet: nothing happens. */
	fixture_answers(fd, XS_CONTROL, "OK", "log", "on", NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "logfile", trace_path, NULL);
	fixture_write_str(fd, "/first", "1");
	fixture_answers(fd, XS_CONTROL, "OK", "print", "marked", NULL);
	ck_assert(wait_for(trace_path, "WRITE (/first 1)\n"));
	ck_assert(wait_for(trace_path, "CONTROL (print marked )\n"));
	fixture_answers(fd, XS_CONTROL, "OK", "log", "off", NULL);
	fixture_write_str(fd, "/second", "2");
	fixture_answers(fd, XS_CONTROL, "OK", "log", "on", NULL);
	fixture_write_str(fd, "/third", "3");
	ck_assert(wait_for(trace_path, "WRITE (/third 3)\n"));

	text = slurp(trace_path);
	check_trace_format(text);
	ck_assert_ptr_null(strstr(text, "/before"));
	ck_assert_ptr_null(strstr(text, "/second"));
	ck_assert_uint_eq(count(text, "trace opened by xsdbd"), 2);
	ck_assert_ptr_nonnull(strstr(text, "CONTROL (log off )\n"));
	free(text);

	/* Another file: tracing moves there; the old one stays. */
	snprintf(other, sizeof other, "%s/trace-other", fx.dir);
	fixture_answers(fd, XS_CONTROL, "OK", "logfile", other, NULL);
	fixture_write_str(fd, "/fourth", "4");
	ck_assert(wait_for(other, "WRITE (/fourth 4)\n"));
	text = slurp(trace_path);
	ck_assert_ptr_null(strstr(text, "/fourth"));
	free(text);

	/* One that cannot be opened changes nothing. */
	fixture_errors(fd, XS_CONTROL, "ENOENT", "logfile",
	    "/nonexistent-dir/trace", NULL);
	fixture_write_str(fd, "/fifth", "5");
	ck_assert(wait_for(other, "WRITE (/fifth 5)\n"));
	text = slurp(other);
	check_trace_format(text);
	free(text);

	/* memreport names the trace file. */
	{
		const char	*r;
		uint32_t	 rt;
		char		 want[300];

		r = ctl(&rt, "memreport", NULL);
		snprintf(want, sizeof want, "\ntrace            : %s (on)\n",
		    other);
		ck_assert_msg(strstr(r, want) != NULL, "%s", r);
		fixture_answers(fd, XS_CONTROL, "OK", "log", "off", NULL);
		r = ctl(&rt, "memreport", NULL);
		snprintf(want, sizeof want, "\ntrace            : %s (off)\n",
		    other);
		ck_assert_msg(strstr(r, want) != NULL, "%s", r);
	}
}
END_TEST

/* SIGHUP after the trace file was moved away: a new file at the name. */
START_TEST(test_trace_sighup)
{
	const char *const	 extra[] = { "-T", trace_path, NULL };
	char			 moved[300], *text;

	start(extra);
	fixture_write_str(fd, "/hup/before", "1");
	ck_assert(wait_for(trace_path, "WRITE (/hup/before 1)\n"));
	snprintf(moved, sizeof moved, "%s.1", trace_path);
	ck_assert_int_eq(rename(trace_path, moved), 0);
	ck_assert_int_eq(kill(fx.pid, SIGHUP), 0);
	ck_assert(wait_for(trace_path, "trace reopened by xsdbd"));
	fixture_write_str(fd, "/hup/after", "2");
	ck_assert(wait_for(trace_path, "WRITE (/hup/after 2)\n"));

	text = slurp(trace_path);
	check_trace_format(text);
	ck_assert_ptr_null(strstr(text, "/hup/before"));
	free(text);
	text = slurp(moved);
	check_trace_format(text);
	ck_assert_ptr_nonnull(strstr(text, "WRITE (/hup/before 1)\n"));
	ck_assert_ptr_null(strstr(text, "/hup/after"));
	free(text);

	/* A second SIGHUP without moving: the same file goes on. */
	ck_assert_int_eq(kill(fx.pid, SIGHUP), 0);
	ck_assert(wait_for(trace_path, "trace reopened by xsdbd"));
	fixture_write_str(fd, "/hup/again", "3");
	ck_assert(wait_for(trace_path, "WRITE (/hup/again 3)\n"));
	text = slurp(trace_path);
	ck_assert_ptr_nonnull(strstr(text, "WRITE (/hup/after 2)\n"));
	free(text);
}
END_TEST

/* Bytes that are not printable are escaped: one record, one line. */
START_TEST(test_trace_escapes)
{
	const char *const	 extra[] = { "-T", trace_path, NULL };
	static const char	 value[] = { 'a', 0x01, '\n', '\\', ')', ' ',
	    (char)0xff, '\0', 'z' };
	char			*text;

	start(extra);
	fixture_write_len(fd, "/esc", value, sizeof value);
	ck_assert(wait_for(trace_path,
	    "WRITE (/esc a\\x01\\x0a\\\\) \\xff z)\n"));
	text = slurp(trace_path);
	check_trace_format(text);
	free(text);
}
END_TEST

/* A payload of 4000 bytes is traced whole on one line. */
START_TEST(test_trace_big)
{
	const char *const	 extra[] = { "-T", trace_path, NULL };
	char			 value[4000], want[4100], *text;

	start(extra);
	memset(value, 'v', sizeof value);
	fixture_write_len(fd, "/big", value, sizeof value);
	snprintf(want, sizeof want, "WRITE (/big %.*s)\n",
	    (int)sizeof value, value);
	ck_assert(wait_for(trace_path, want));
	text = slurp(trace_path);
	check_trace_format(text);
	free(text);
}
END_TEST

/* Many requests: lines are buffered, none lost, in order. */
START_TEST(test_trace_many)
{
	const char *const	 extra[] = { "-T", trace_path, NULL };
	char			 path[64], want[96], *text, *p, *q;
	int			 i;

	start(extra);
	for (i = 0; i < 2000; i++) {
		snprintf(path, sizeof path, "/many/n%d", i);
		fixture_send(fd, XS_WRITE, (uint32_t)i, 0, path,
		    (uint32_t)strlen(path) + 1);
	}
	for (i = 0; i < 2000; i++) {
		struct xs_header	h;
		char			buf[XS_PAYLOAD_MAX + 1];

		ck_assert_int_eq(fixture_recv(fd, &h, buf, WAIT_MS), 0);
		ck_assert_uint_eq(h.type, XS_WRITE);
	}
	ck_assert(wait_for(trace_path, "req=1999 tx=0 WRITE (OK )\n"));
	text = slurp(trace_path);
	check_trace_format(text);
	for (i = 0, p = text; i < 2000; i++) {
		snprintf(want, sizeof want, "req=%d tx=0 WRITE (/many/n%d )\n",
		    i, i);
		q = strstr(p, want);
		ck_assert_msg(q != NULL, "request %d missing or out of order",
		    i);
		p = q;
	}
	ck_assert_uint_eq(count(text, " WRITE (OK )\n"), 2000);
	free(text);
}
END_TEST

/* Numbers read as atoi reads them; a quota is 1 to INT_MAX. */
START_TEST(test_quota_numbers)
{
	const char	*r;
	uint32_t	 rt;

	start(NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "nodes", "1500x",
	    NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "watches", " 77",
	    NULL);
	fixture_answers(fd, XS_CONTROL, "OK", "quota", "set", "permissions",
	    "2147483647", NULL);
	r = ctl(&rt, "quota", NULL);
	ck_assert_ptr_nonnull(strstr(r, "nodes            :     1500 "));
	ck_assert_ptr_nonnull(strstr(r, "watches          :       77 "));
	ck_assert_ptr_nonnull(strstr(r, "permissions      : 2147483647 "));
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes", "0",
	    NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes", "-5",
	    NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes", "abc",
	    NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes",
	    "2147483648", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes",
	    "99999999999999999999999", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota-soft", "set", "memory",
	    "0", NULL);
	r = ctl(&rt, "quota", NULL);
	ck_assert_ptr_nonnull(strstr(r, "nodes            :     1500 "));
}
END_TEST

/* Payloads that are not a command. */
START_TEST(test_bad_payloads)
{
	uint32_t	 rt, rl;
	const char	*r;

	start(NULL);
	r = fixture_req(fd, XS_CONTROL, 0, "", 0, &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	ck_assert_str_eq(r, "EINVAL");
	r = fixture_req(fd, XS_CONTROL, 0, "help", 4, &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	ck_assert_str_eq(r, "EINVAL");
	r = fixture_req(fd, XS_CONTROL, 0, "\0", 1, &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	ck_assert_str_eq(r, "EINVAL");
	/* "print\0a": the a is not a string. */
	r = fixture_req(fd, XS_CONTROL, 0, "print\0a", 7, &rt, &rl);
	ck_assert_uint_eq(rt, XS_ERROR);
	ck_assert_str_eq(r, "EINVAL");
	/* The DEBUG alias is the same type. */
	r = fixture_req(fd, XS_CONTROL, 0, "print\0a\0", 8, &rt, &rl);
	ck_assert_uint_eq(rt, XS_CONTROL);
	ck_assert_str_eq(r, "OK");
	fixture_errors(fd, XS_CONTROL, "EINVAL", "nope", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "HELP", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "debug", NULL);
}
END_TEST

/* Each command given the wrong arguments. */
START_TEST(test_bad_arguments)
{
	start(NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "help", "x", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "check", "x", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "check", "", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "log", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "log", "maybe", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "log", "on", "x", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "logfile", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "logfile", "", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "logfile", "a", "b", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "print", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "print", "a", "b", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "0", "1", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "nodes", "5",
	    "6", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota", "set", "bogus", "3",
	    NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota-soft", "x", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "quota-soft", "set", "nodes",
	    "3", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "memreport", "a", "b", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "memreport", "", NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "live-update", NULL);
	/* Nothing changed. */
	fixture_answers(fd, XS_CONTROL, quota_text, "quota", NULL);
	fixture_answers(fd, XS_CONTROL, quota_soft_text, "quota-soft", NULL);
}
END_TEST

/* Files that cannot be written. */
START_TEST(test_bad_files)
{
	char	path[256];

	start(NULL);
	fixture_errors(fd, XS_CONTROL, "ENOENT", "memreport",
	    "/nonexistent-dir/report", NULL);
	fixture_errors(fd, XS_CONTROL, "ENOENT", "logfile",
	    "/nonexistent-dir/trace", NULL);
	/* A directory is no file. */
	fixture_errors(fd, XS_CONTROL, "EISDIR", "logfile", fx.dir, NULL);
	snprintf(path, sizeof path, "%s", fx.dir);
	fixture_errors(fd, XS_CONTROL, "EISDIR", "memreport", path, NULL);
	/*
	 * A FIFO nobody reads: refused at once (ENXIO, which travels as
	 * EINVAL), not waited for.
	 */
	snprintf(path, sizeof path, "%s/fifo", fx.dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "logfile", path, NULL);
	fixture_errors(fd, XS_CONTROL, "EINVAL", "memreport", path, NULL);
	/* Tracing stayed off, and "log on" has no file to open. */
	fixture_answers(fd, XS_CONTROL, "OK", "log", "on", NULL);
	fixture_write_str(fd, "/still", "1");
	fixture_answers(fd, XS_CONTROL, "OK", "check", NULL);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_quota_show_set);
	tcase_add_test(tc, test_quota_path_max);
	tcase_add_test(tc, test_quota_domain);
	tcase_add_test(tc, test_memreport);
	tcase_add_test(tc, test_print_live_update);
	tcase_add_test(tc, test_trace_option);
	tcase_add_test(tc, test_trace_ids);
	tcase_add_test(tc, test_trace_control);
	tcase_add_test(tc, test_trace_sighup);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_trace_escapes);
	tcase_add_test(tc, test_trace_big);
	tcase_add_test(tc, test_trace_many);
	tcase_add_test(tc, test_quota_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_payloads);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_bad_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(control_suite());
}

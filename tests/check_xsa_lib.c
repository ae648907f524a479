/*
 * check_xsa_lib.c - the daemon, dom0 and guests of the advisory tests,
 * and the checks every attack ends with: see check_xsa.h.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_xsa.h"

struct fixture	 xsa_fx;
char		 xsa_simdir[128];
int		 xsa_fd = -1;

static char	 xsa_xenarg[160];
static const char *xsa_extra[32];

static size_t	 xsa_strings(char *, const char *, va_list);
static bool	 xsa_daemon_gone(void);
static void	 xsa_reap(void);

/* Start the daemon on a new simulator directory, connect dom0. */
void
xsa_start(const char *const *opts)
{
	size_t	n = 0;

	ck_assert_int_eq(sim_dir_make(xsa_simdir, sizeof xsa_simdir), 0);
	snprintf(xsa_xenarg, sizeof xsa_xenarg, "--xen=sim:%s", xsa_simdir);
	xsa_extra[n++] = xsa_xenarg;
	while (opts != NULL && *opts != NULL) {
		ck_assert_uint_lt(n, 31);
		xsa_extra[n++] = *opts++;
	}
	xsa_extra[n] = NULL;
	fixture_init(&xsa_fx);
	fixture_up(&xsa_fx, xsa_extra);
	xsa_fd = fixture_connect(&xsa_fx);
	xsa_d0_write("/xsa/keep", "dom0");
}

/* Stop the daemon and remove the simulator's directory. */
void
xsa_stop(void)
{
	if (xsa_fd != -1)
		close(xsa_fd);
	xsa_fd = -1;
	fixture_fini(&xsa_fx);
	sim_dir_remove(xsa_simdir);
}

/* Kill the daemon and start it again. */
void
xsa_restart(void)
{
	close(xsa_fd);
	fixture_kill(&xsa_fx);
	fixture_up(&xsa_fx, xsa_extra);
	xsa_fd = fixture_connect(&xsa_fx);
}

/* A fresh guest with its home, introduced by dom0. */
struct sim_guest *
xsa_guest(unsigned int domid)
{
	struct sim_guest	*g;

	ck_assert_int_eq(sim_guest_new(xsa_simdir, domid,
	    XSA_PORT_BASE + domid, true, &g), 0);
	ck_assert_int_eq(sim_home_make(xsa_fx.sock, domid), 0);
	ck_assert_int_eq(sim_guest_introduce(g, xsa_fx.sock), 0);
	return g;
}

/* A guest that keeps a node of its own, checked at the end. */
struct sim_guest *
xsa_bystander(unsigned int domid)
{
	struct sim_guest	*g;

	g = xsa_guest(domid);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "keep", "mine"), 0);
	return g;
}

/* The store passes its integrity check. */
void
xsa_store_ok(void)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req(xsa_fd, XS_CONTROL, 0, "check", 6, &rt, &rl);
	ck_assert_msg(rt == XS_CONTROL && strcmp(r, "OK") == 0,
	    "CONTROL check: type %u \"%s\"", rt, r);
}

/*
 * True if the daemon has exited (it is then a zombie until the fixture
 * reaps it). A sanitizer build that aborts on undefined behaviour says
 * so on stderr, which the daemonized xsdbd has left: this is how a test
 * learns of it.
 */
static bool
xsa_daemon_gone(void)
{
	char	path[64], line[512], *p;
	FILE	*f;
	bool	gone = true;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)xsa_fx.pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	if (fgets(line, sizeof line, f) != NULL &&
	    (p = strrchr(line, ')')) != NULL)
		gone = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	fclose(f);
	return gone;
}

/* dom0, the bystander and the store are as they should be. */
void
xsa_healthy(struct sim_guest *b)
{
	const char	*r;
	char		 v[64];
	uint32_t	 rt, rl;

	ck_assert_msg(!xsa_daemon_gone(), "the daemon is gone");
	/* dom0: its keepsake, and a new write. */
	r = fixture_req1(xsa_fd, XS_READ, 0, "/xsa/keep", &rt, &rl);
	ck_assert_msg(rt == XS_READ && rl == 4 && memcmp(r, "dom0", 4) == 0,
	    "/xsa/keep: type %u \"%.*s\"", rt, (int)rl, r);
	xsa_d0_write("/xsa/alive", "yes");
	if (b != NULL) {
		ck_assert_uint_eq(sim_guest_error(b), 0);
		ck_assert_int_eq(sim_guest_read_node(b, 0, "keep", v,
		    sizeof v), 0);
		ck_assert_str_eq(v, "mine");
		ck_assert_int_eq(sim_guest_write_node(b, 0, "alive", "yes"),
		    0);
		ck_assert_int_eq(sim_guest_read_node(b, 0, "alive", v,
		    sizeof v), 0);
		ck_assert_str_eq(v, "yes");
	}
	xsa_store_ok();
}

/* Put first and the strings of ap up to NULL, each with its NUL, in buf. */
static size_t
xsa_strings(char *buf, const char *first, va_list ap)
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

/* A dom0 request of strings. */
int
xsa_d0(uint32_t type, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 n;
	va_list		 ap;

	va_start(ap, first);
	n = xsa_strings(buf, first, ap);
	va_end(ap);
	r = fixture_req(xsa_fd, type, 0, buf, (uint32_t)n, &rt, &rl);
	if (rt == XS_ERROR)
		return xs_wire_error_from_name(r);
	ck_assert_uint_eq(rt, type);
	return 0;
}

/* dom0 writes path = value. */
void
xsa_d0_write(const char *path, const char *value)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 pl = strlen(path) + 1, vl = strlen(value);

	ck_assert_uint_le(pl + vl, sizeof buf);
	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	r = fixture_req(xsa_fd, XS_WRITE, 0, buf, (uint32_t)(pl + vl), &rt,
	    &rl);
	ck_assert_msg(rt == XS_WRITE, "dom0 write %s: %s", path, r);
}

/* A guest request of strings. */
int
xsa_gr(struct sim_guest *g, uint32_t type, uint32_t tx, const char *first,
    ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	size_t		 n = 0;
	va_list		 ap;
	int		 rc;

	va_start(ap, first);
	if (first != NULL)
		n = xsa_strings(buf, first, ap);
	va_end(ap);
	rc = sim_guest_request(g, type, tx, buf, (uint32_t)n, XSA_WAIT_MS);
	ck_assert_msg(rc == 0, "domain %u, type %u: no reply (%s)%s",
	    g->domid, type, strerror(rc), xsa_daemon_gone() ?
	    ": the daemon is gone" : "");
	if (g->hdr.type == XS_ERROR)
		return xs_wire_error_from_name(g->msg);
	ck_assert_uint_eq(g->hdr.type, type);
	return 0;
}

/* The guest writes vlen bytes of 'x'. */
int
xsa_gw(struct sim_guest *g, uint32_t tx, const char *path, size_t vlen)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	n = strlen(path) + 1;
	int	rc;

	ck_assert_uint_le(n + vlen, sizeof buf);
	memcpy(buf, path, n);
	memset(buf + n, 'x', vlen);
	rc = sim_guest_request(g, XS_WRITE, tx, buf, (uint32_t)(n + vlen),
	    XSA_WAIT_MS);
	ck_assert_msg(rc == 0, "domain %u, write %s: no reply (%s)%s",
	    g->domid, path, strerror(rc), xsa_daemon_gone() ?
	    ": the daemon is gone" : "");
	if (g->hdr.type == XS_ERROR)
		return xs_wire_error_from_name(g->msg);
	ck_assert_uint_eq(g->hdr.type, XS_WRITE);
	return 0;
}

/* A transaction of the guest. */
uint32_t
xsa_gtx(struct sim_guest *g)
{
	ck_assert_int_eq(xsa_gr(g, XS_TRANSACTION_START, 0, "", NULL), 0);
	return (uint32_t)strtoul(g->msg, NULL, 10);
}

/* One line of CONTROL "quota <domid>". */
unsigned long long
xsa_usage(unsigned int domid, const char *what)
{
	char		 key[32], buf[32];
	const char	*r, *p;
	uint32_t	 rt, rl;
	size_t		 n;

	n = (size_t)snprintf(buf, sizeof buf, "quota%c%u", 0, domid) + 1;
	r = fixture_req(xsa_fd, XS_CONTROL, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == XS_CONTROL, "quota %u: %s", domid, r);
	snprintf(key, sizeof key, "\n%s", what);
	ck_assert_ptr_nonnull(p = strstr(r, key));
	ck_assert_ptr_nonnull(p = strchr(p, ':'));
	return strtoull(p + 1, NULL, 10);
}

/* The guest's pending events are exactly want. */
void
xsa_events_at(struct sim_guest *g, const char *want, int line)
{
	char		 got[2048];
	const char	*path, *token;
	size_t		 len = 0;

	ck_assert_int_eq(xsa_gr(g, XS_GET_DOMAIN_PATH, 0, "0", NULL), 0);
	got[0] = '\0';
	while (g->nevents > 0) {
		ck_assert_int_eq(sim_guest_next_event(g, XSA_WAIT_MS, &path,
		    &token), 0);
		len += (size_t)snprintf(got + len, sizeof got - len, "%s %s;",
		    path, token);
		ck_assert_uint_lt(len, sizeof got);
	}
	ck_assert_msg(strcmp(got, want) == 0, "line %d: events \"%s\", "
	    "wanted \"%s\"", line, got, want);
}

/* A number of the memory report. */
unsigned long long
xsa_memreport(const char *key)
{
	char		 k[64];
	const char	*r, *p;
	uint32_t	 rt, rl;

	r = fixture_req(xsa_fd, XS_CONTROL, 0, "memreport", 10, &rt, &rl);
	ck_assert_msg(rt == XS_CONTROL, "memreport: %s", r);
	snprintf(k, sizeof k, "\n%s ", key);
	ck_assert_msg((p = strstr(r, k)) != NULL, "memreport: no \"%s\"",
	    key);
	ck_assert_ptr_nonnull(p = strchr(p, ':'));
	return strtoull(p + 1, NULL, 10);
}

/* Nodes under path, path included. */
unsigned int
xsa_count(const char *path)
{
	const char	*r;
	char		*names, child[XS_ABS_PATH_MAX + 1];
	uint32_t	 rt, rl, off;
	unsigned int	 n = 1;

	r = fixture_req1(xsa_fd, XS_DIRECTORY, 0, path, &rt, &rl);
	if (rt == XS_ERROR)
		return strcmp(r, "ENOENT") == 0 ? 0 : 1;
	ck_assert_uint_eq(rt, XS_DIRECTORY);
	ck_assert_ptr_nonnull(names = malloc(rl + 1));
	memcpy(names, r, rl);
	names[rl] = '\0';
	for (off = 0; off < rl; off += (uint32_t)strlen(names + off) + 1) {
		if (names[off] == '\0')
			continue;
		snprintf(child, sizeof child, "%s/%s",
		    strcmp(path, "/") == 0 ? "" : path, names + off);
		n += xsa_count(child);
	}
	free(names);
	return n;
}

/*
 * A failed assertion ends a test's process before its teardown: its
 * daemon, reparented to us, is killed here.
 */
static void
xsa_reap(void)
{
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	char		 path[300], *p, line[512];
	long		 ppid;
	pid_t		 pid;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = (pid_t)strtol(de->d_name, &p, 10)) <= 0 ||
		    *p != '\0')
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		ppid = 0;
		/* pid (comm) state ppid: comm may hold spaces. */
		if (fgets(line, sizeof line, f) != NULL &&
		    (p = strrchr(line, ')')) != NULL)
			sscanf(p + 1, " %*c %ld", &ppid);
		fclose(f);
		if (ppid == (long)getpid()) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	closedir(d);
}

/* Run a suite. */
int
xsa_main(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	srunner_run_all(sr, CK_ENV);
	xsa_reap();
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

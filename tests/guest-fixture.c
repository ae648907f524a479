/*
 * guest-fixture.c - the daemon on a simulated Xen, dom0 and guests for
 * the suites that play guests: see guest-fixture.h.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-fixture.h"

struct fixture	 gf_fx;
char		 gf_simdir[128];
char		 gf_xenarg[160];
int		 gf_fd = -1;

/* The options of the running daemon, for gf_restart. */
static const char *gf_extra[32];

static void	 gf_no_reply(const struct sim_guest *, const char *, int);

/* A simulator directory and the daemon's paths. */
void
gf_init(void)
{
	ck_assert_int_eq(sim_dir_make(gf_simdir, sizeof gf_simdir), 0);
	snprintf(gf_xenarg, sizeof gf_xenarg, "--xen=sim:%s", gf_simdir);
	fixture_init(&gf_fx);
	gf_fd = -1;
}

/* The daemon on the simulator with opts; dom0 connects. */
void
gf_up(const char *const *opts)
{
	size_t	n = 0;

	gf_extra[n++] = gf_xenarg;
	while (opts != NULL && *opts != NULL) {
		ck_assert_uint_lt(n, sizeof gf_extra / sizeof gf_extra[0] - 1);
		gf_extra[n++] = *opts++;
	}
	gf_extra[n] = NULL;
	fixture_up(&gf_fx, gf_extra);
	gf_fd = fixture_connect(&gf_fx);
}

/* A new simulator and daemon. */
void
gf_start(const char *const *opts)
{
	gf_init();
	gf_up(opts);
}

/* Kill the daemon and start it again. */
void
gf_restart(void)
{
	if (gf_fd != -1)
		close(gf_fd);
	fixture_kill(&gf_fx);
	fixture_up(&gf_fx, gf_extra);
	gf_fd = fixture_connect(&gf_fx);
}

/* Stop the daemon and remove the simulator's directory. */
void
gf_fini(void)
{
	if (gf_fd != -1)
		close(gf_fd);
	gf_fd = -1;
	fixture_fini(&gf_fx);
	sim_dir_remove(gf_simdir);
}

/*
 * A sanitizer build that aborts on undefined behaviour says so on
 * stderr, which the daemonized xsdbd has left: a test learns of it by
 * the daemon being gone.
 */
bool
gf_daemon_gone(void)
{
	char	path[64], line[512], *p;
	FILE	*f;
	bool	gone = true;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)gf_fx.pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	if (fgets(line, sizeof line, f) != NULL &&
	    (p = strrchr(line, ')')) != NULL)
		gone = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	fclose(f);
	return gone;
}

/* A fresh guest with its home, introduced by dom0. */
struct sim_guest *
gf_guest(unsigned int domid)
{
	struct sim_guest	*g;

	ck_assert_int_eq(sim_guest_new(gf_simdir, domid, GF_PORT_BASE + domid,
	    true, &g), 0);
	ck_assert_int_eq(sim_home_make(gf_fx.sock, domid), 0);
	ck_assert_int_eq(sim_guest_introduce(g, gf_fx.sock), 0);
	return g;
}

/* A dom0 round trip. */
void
gf_d0_sync(void)
{
	ck_assert_int_eq(gf_d0(XS_GET_DOMAIN_PATH, "0", NULL), 0);
}

/* A dom0 request of strings. */
int
gf_d0(uint32_t type, const char *first, ...)
{
	const char	*r;
	uint32_t	 rt, rl;
	va_list		 ap;

	va_start(ap, first);
	r = fixture_reqv(gf_fd, type, &rt, &rl, first, ap);
	va_end(ap);
	if (rt == XS_ERROR)
		return xs_wire_error_from_name(r);
	ck_assert_msg(rt == type, "dom0 %s %s: reply of type %u \"%s\"",
	    fixture_type_name(type), first != NULL ? first : "", rt, r);
	return 0;
}

/* dom0 writes vlen bytes of 'y'. */
void
gf_d0_fill(const char *path, size_t vlen)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 n = strlen(path) + 1;

	ck_assert_uint_le(n + vlen, sizeof buf);
	memcpy(buf, path, n);
	memset(buf + n, 'y', vlen);
	r = fixture_req(gf_fd, XS_WRITE, 0, buf, (uint32_t)(n + vlen), &rt,
	    &rl);
	ck_assert_msg(rt == XS_WRITE, "dom0 write %s: %s", path, r);
}

/* dom0 makes a node with these permissions. */
void
gf_d0_node(const char *path, const char *first, ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	const char	*r;
	uint32_t	 rt, rl;
	size_t		 n;
	va_list		 ap;

	n = strlen(path) + 1;
	ck_assert_uint_lt(n, sizeof buf);
	memcpy(buf, path, n);
	memcpy(buf + n, "v", 1);
	r = fixture_req(gf_fd, XS_WRITE, 0, buf, (uint32_t)n + 1, &rt, &rl);
	ck_assert_msg(rt == XS_WRITE, "write %s: %s", path, r);
	va_start(ap, first);
	ck_assert_ptr_nonnull(first);
	n += fixture_strings(buf + n, first, ap);
	va_end(ap);
	r = fixture_req(gf_fd, XS_SET_PERMS, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == XS_SET_PERMS, "set_perms %s: %s", path, r);
}

/* The permission list of a node, as dom0 reads it. */
void
gf_d0_perms_are(const char *path, const char *want, size_t len)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req1(gf_fd, XS_GET_PERMS, 0, path, &rt, &rl);
	ck_assert_msg(rt == XS_GET_PERMS, "GET_PERMS %s: type %u \"%s\"",
	    path, rt, r);
	ck_assert_uint_eq(rl, len);
	ck_assert_mem_eq(r, want, len);
}

/* A guest's request went unanswered: say why, as far as is known. */
static void
gf_no_reply(const struct sim_guest *g, const char *what, int rc)
{
	ck_assert_msg(rc == 0, "domain %u, %s: no reply (%s)%s", g->domid,
	    what, strerror(rc), gf_daemon_gone() ? ": the daemon is gone" :
	    "");
}

/* A guest request of strings. */
int
gf_gr(struct sim_guest *g, uint32_t type, uint32_t tx, const char *first,
    ...)
{
	char		 buf[XS_PAYLOAD_MAX];
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, first);
	if (first != NULL)
		n = fixture_strings(buf, first, ap);
	va_end(ap);
	gf_no_reply(g, fixture_type_name(type), sim_guest_request(g, type, tx,
	    buf, (uint32_t)n, GF_WAIT_MS));
	if (g->hdr.type == XS_ERROR)
		return xs_wire_error_from_name(g->msg);
	ck_assert_msg(g->hdr.type == type, "domain %u, %s %s: reply of type "
	    "%u \"%s\"", g->domid, fixture_type_name(type), first != NULL ?
	    first : "", g->hdr.type, g->msg);
	return 0;
}

/* The guest writes vlen bytes of 'x'. */
int
gf_gw(struct sim_guest *g, uint32_t tx, const char *path, size_t vlen)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	n = strlen(path) + 1;

	ck_assert_uint_le(n + vlen, sizeof buf);
	memcpy(buf, path, n);
	memset(buf + n, 'x', vlen);
	gf_no_reply(g, "WRITE", sim_guest_request(g, XS_WRITE, tx, buf,
	    (uint32_t)(n + vlen), GF_WAIT_MS));
	if (g->hdr.type == XS_ERROR)
		return xs_wire_error_from_name(g->msg);
	ck_assert_msg(g->hdr.type == XS_WRITE, "domain %u, WRITE %s: reply "
	    "of type %u \"%s\"", g->domid, path, g->hdr.type, g->msg);
	return 0;
}

/* A transaction of the guest. */
uint32_t
gf_gtx(struct sim_guest *g)
{
	ck_assert_int_eq(gf_gr(g, XS_TRANSACTION_START, 0, "", NULL), 0);
	return (uint32_t)strtoul(g->msg, NULL, 10);
}

/* One line of CONTROL "quota <domid>". */
unsigned long long
gf_usage(unsigned int domid, const char *what)
{
	char		 id[32], key[32], buf[32];
	const char	*r, *p;
	uint32_t	 rt, rl;
	size_t		 n;

	n = (size_t)snprintf(buf, sizeof buf, "quota%c%u", 0, domid) + 1;
	r = fixture_req(gf_fd, XS_CONTROL, 0, buf, (uint32_t)n, &rt, &rl);
	ck_assert_msg(rt == XS_CONTROL, "quota %u: %s", domid, r);
	snprintf(id, sizeof id, "Domain %u:", domid);
	ck_assert_msg(strstr(r, id) != NULL, "quota %u: no \"%s\" in \"%s\"",
	    domid, id, r);
	snprintf(key, sizeof key, "\n%s", what);
	ck_assert_msg((p = strstr(r, key)) != NULL, "quota %u: no \"%s\" in "
	    "\"%s\"", domid, what, r);
	ck_assert_ptr_nonnull(p = strchr(p, ':'));
	return strtoull(p + 1, NULL, 10);
}

/* The guest's pending events are exactly want. */
void
gf_events_at(struct sim_guest *g, const char *want, int line)
{
	char		 got[2048];
	const char	*path, *token;
	size_t		 len = 0;

	ck_assert_int_eq(gf_gr(g, XS_GET_DOMAIN_PATH, 0, "0", NULL), 0);
	got[0] = '\0';
	while (g->nevents > 0) {
		ck_assert_int_eq(sim_guest_next_event(g, GF_WAIT_MS, &path,
		    &token), 0);
		len += (size_t)snprintf(got + len, sizeof got - len, "%s %s;",
		    path, token);
		ck_assert_uint_lt(len, sizeof got);
	}
	ck_assert_msg(strcmp(got, want) == 0, "line %d: events \"%s\", "
	    "wanted \"%s\"", line, got, want);
}

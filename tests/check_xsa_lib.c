/*
 * check_xsa_lib.c - the start, the bystander and the checks every attack
 * of the advisory tests ends with: see check_xsa.h.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_xsa.h"

/* Start the daemon on a new simulator directory, connect dom0. */
void
xsa_start(const char *const *opts)
{
	gf_start(opts);
	fixture_write_str(gf_fd, "/xsa/keep", "dom0");
}

/* A guest that keeps a node of its own, checked at the end. */
struct sim_guest *
xsa_bystander(unsigned int domid)
{
	struct sim_guest	*g;

	g = gf_guest(domid);
	ck_assert_int_eq(sim_guest_write_node(g, 0, "keep", "mine"), 0);
	return g;
}

/* The store passes its integrity check. */
void
xsa_store_ok(void)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req(gf_fd, XS_CONTROL, 0, "check", 6, &rt, &rl);
	ck_assert_msg(rt == XS_CONTROL && strcmp(r, "OK") == 0,
	    "CONTROL check: type %u \"%s\"", rt, r);
}

/* dom0, the bystander and the store are as they should be. */
void
xsa_healthy(struct sim_guest *b)
{
	const char	*r;
	char		 v[64];
	uint32_t	 rt, rl;

	ck_assert_msg(!gf_daemon_gone(), "the daemon is gone");
	/* dom0: its keepsake, and a new write. */
	r = fixture_req1(gf_fd, XS_READ, 0, "/xsa/keep", &rt, &rl);
	ck_assert_msg(rt == XS_READ && rl == 4 && memcmp(r, "dom0", 4) == 0,
	    "/xsa/keep: type %u \"%.*s\"", rt, (int)rl, r);
	fixture_write_str(gf_fd, "/xsa/alive", "yes");
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

/* A number of the memory report. */
unsigned long long
xsa_memreport(const char *key)
{
	char		 k[64];
	const char	*r, *p;
	uint32_t	 rt, rl;

	r = fixture_req(gf_fd, XS_CONTROL, 0, "memreport", 10, &rt, &rl);
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

	r = fixture_req1(gf_fd, XS_DIRECTORY, 0, path, &rt, &rl);
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

/*
 * check_xsa.h - what the tests of Xen's security advisories on xenstore
 * share (check_xsa_lib.c): the real xsdbd on a simulated Xen
 * (--xen=sim:DIR), a dom0 connection, guests speaking over real rings
 * (guest-fixture.c), and the checks every attack ends with.
 *
 * Each test plays the attack of one advisory from a guest and then asks
 * xsa_healthy: dom0 is served, a bystander guest is served, what dom0
 * and the bystander stored at the start is still there, and the store
 * passes CONTROL check.
 */
#ifndef CHECK_XSA_H
#define CHECK_XSA_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest-fixture.h"

/*
 * Start the daemon with the NULL-terminated extra options (or none),
 * connect dom0 and write dom0's keepsake, /xsa/keep. gf_fini stops it,
 * gf_restart kills it and starts it again.
 */
void		 xsa_start(const char *const *opts);

/* The bystander: a guest that stores "keep" = "mine" in its home. */
struct sim_guest *xsa_bystander(unsigned int domid);

/*
 * The end of every attack: the daemon runs and serves dom0, the
 * bystander (if any) is served and its ring is sound, /xsa/keep and the
 * bystander's keep node are intact, CONTROL check answers OK.
 */
void		 xsa_healthy(struct sim_guest *bystander);

/* CONTROL check answers OK. */
void		 xsa_store_ok(void);

/*
 * The first number after "key :" in dom0's CONTROL memreport (key as
 * printed, leading spaces included: "  output").
 */
unsigned long long xsa_memreport(const char *key);

/* Count the nodes under path (path included), as dom0 sees them. */
unsigned int	 xsa_count(const char *path);

#endif /* CHECK_XSA_H */

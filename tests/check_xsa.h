/*
 * check_xsa.h - what the tests of Xen's security advisories on xenstore
 * share (check_xsa_lib.c): the real xsdbd on a simulated Xen
 * (--xen=sim:DIR), a dom0 connection, guests speaking over real rings
 * (sim-guest.c), and the checks every attack ends with.
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

#include "daemon-fixture.h"
#include "sim-guest.h"

#define XSA_WAIT_MS	10000
#define XSA_PORT_BASE	100

/* The daemon of the running test, its simulator and dom0's socket. */
extern struct fixture	 xsa_fx;
extern char		 xsa_simdir[128];
extern int		 xsa_fd;

/*
 * Start the daemon with the NULL-terminated extra options (or none),
 * connect dom0 and write dom0's keepsake, /xsa/keep.
 */
void		 xsa_start(const char *const *opts);

/* Stop the daemon (a sanitizer report fails the test), clean up. */
void		 xsa_stop(void);

/*
 * SIGKILL the daemon and start it again with the same options on the
 * same store and simulator; dom0 connects again.
 */
void		 xsa_restart(void);

/* A fresh domain domid with its home ("n<domid>"), introduced. */
struct sim_guest *xsa_guest(unsigned int domid);

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

/* A dom0 request of strings up to NULL: 0, or the errno its ERROR names. */
int		 xsa_d0(uint32_t type, const char *first, ...);

/* dom0 writes a string value. */
void		 xsa_d0_write(const char *path, const char *value);

/*
 * A guest request of strings up to NULL in transaction tx (first NULL:
 * empty payload): 0 with the reply in g->msg, or the errno its ERROR
 * names. The reply must come.
 */
int		 xsa_gr(struct sim_guest *g, uint32_t type, uint32_t tx,
		     const char *first, ...);

/* The guest writes vlen bytes of 'x' at path in tx: 0 or the errno. */
int		 xsa_gw(struct sim_guest *g, uint32_t tx, const char *path,
		     size_t vlen);

/* The guest starts a transaction; its id. */
uint32_t	 xsa_gtx(struct sim_guest *g);

/* The number after "what :" in CONTROL "quota <domid>". */
unsigned long long xsa_usage(unsigned int domid, const char *what);

/*
 * The guest's pending events are exactly want, "path token;" each in
 * order ("" for none), after a request that brings in every event
 * queued before it.
 */
void		 xsa_events_at(struct sim_guest *g, const char *want,
		     int line);
#define xsa_events(g, want)	xsa_events_at((g), (want), __LINE__)

/*
 * The first number after "key :" in dom0's CONTROL memreport (key as
 * printed, leading spaces included: "  output").
 */
unsigned long long xsa_memreport(const char *key);

/* Count the nodes under path (path included), as dom0 sees them. */
unsigned int	 xsa_count(const char *path);

/*
 * Run the suite with this process as the subreaper of the daemons, kill
 * those a failed test left behind; EXIT_SUCCESS if all passed.
 */
int		 xsa_main(Suite *s);

#endif /* CHECK_XSA_H */

/*
 * guest-fixture.h - the real xsdbd on a simulated Xen (--xen=sim:DIR)
 * for suites that play guests: the daemon and its simulator directory,
 * a dom0 connection over the socket, guests introduced with a home of
 * their own and speaking over real rings (sim-guest.c), and the short
 * forms of the requests such tests make.
 *
 * One daemon at a time: the state is global, as each Check test runs in
 * a process of its own. Requests from dom0 and from guests return 0 or
 * the errno their ERROR names; anything else fails the test.
 */
#ifndef GUEST_FIXTURE_H
#define GUEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon-fixture.h"
#include "sim-guest.h"

/* How long a guest waits for a reply or an event. */
#define GF_WAIT_MS	10000

/* Guest domid has event channel GF_PORT_BASE + domid. */
#define GF_PORT_BASE	100

/* The daemon, its simulator, its --xen option and dom0's socket. */
extern struct fixture	 gf_fx;
extern char		 gf_simdir[128];
extern char		 gf_xenarg[160];
extern int		 gf_fd;

/* A fresh simulator directory and run directory; no daemon yet. */
void		 gf_init(void);

/*
 * Start the daemon on the simulator with the NULL-terminated extra
 * options (or none), and connect dom0.
 */
void		 gf_up(const char *const *opts);

/* gf_init, then gf_up. */
void		 gf_start(const char *const *opts);

/*
 * SIGKILL the daemon if it runs, start it again with the same options
 * on the same store and simulator; dom0 connects again.
 */
void		 gf_restart(void);

/*
 * Close dom0, stop the daemon (a sanitizer report fails the test),
 * remove the simulator's directory.
 */
void		 gf_fini(void);

/* True once the daemon has exited (a zombie until it is reaped). */
bool		 gf_daemon_gone(void);

/* A fresh domain domid with its home ("n<domid>"), introduced by dom0. */
struct sim_guest *gf_guest(unsigned int domid);

/* A dom0 request of strings up to NULL: 0, or the errno its ERROR names. */
int		 gf_d0(uint32_t type, const char *first, ...);

/*
 * A dom0 round trip: the daemon has handled every event a guest raised
 * before it, as it had the event before dom0's request and answers dom0
 * at the end of the turn that handled both.
 */
void		 gf_d0_sync(void);

/* dom0 writes vlen bytes of 'y' at path. */
void		 gf_d0_fill(const char *path, size_t vlen);

/* dom0 writes path = "v" and gives it the permissions up to NULL. */
void		 gf_d0_node(const char *path, const char *first, ...);

/* dom0 finds the permission list of path to be want (len bytes). */
void		 gf_d0_perms_are(const char *path, const char *want,
		     size_t len);

/*
 * A guest request of strings up to NULL in transaction tx (first NULL:
 * empty payload): 0 with the reply in g->msg, or the errno its ERROR
 * names. The reply must come.
 */
int		 gf_gr(struct sim_guest *g, uint32_t type, uint32_t tx,
		     const char *first, ...);

/* The guest writes vlen bytes of 'x' at path in tx: 0 or the errno. */
int		 gf_gw(struct sim_guest *g, uint32_t tx, const char *path,
		     size_t vlen);

/* The guest starts a transaction; its id. */
uint32_t	 gf_gtx(struct sim_guest *g);

/* The number after "what :" in CONTROL "quota <domid>". */
unsigned long long gf_usage(unsigned int domid, const char *what);

/*
 * The guest's pending events are exactly want, "path token;" each in
 * order ("" for none), after a request that brings in every event
 * queued before it. line is the caller's, for the message.
 */
void		 gf_events_at(struct sim_guest *g, const char *want,
		     int line);
#define gf_events_are(g, want)	gf_events_at((g), (want), __LINE__)

#endif /* GUEST_FIXTURE_H */

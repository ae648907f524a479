/*
 * trim.c - the daemon's share of the store in its resident memory.
 *
 * The store is a file mapped into the daemon (on a tmpfs on a Xen host):
 * every page a request reads through the map stays in the daemon's
 * resident set, and after a walk of a large store the daemon looks as
 * large as the store, though the pages belong to the file and not to
 * it. So the map is let go (db/'s store_trim) every TRIM_TURNS turns
 * that handled requests, and a second after such a turn if none came
 * since, so also once the daemon is idle: the pages stay in the file's
 * page cache, and the next requests map again the few they touch (a
 * minor fault each, no copy).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "xsdbd.h"

#define TRIM_TURNS	4096	/* busy turns between two trims */
#define TRIM_IDLE_SEC	1	/* the trim after the last request */

static void	trim_now(struct xsdbd *);
static void	trim_timer(evutil_socket_t, short, void *);

/* Set up the idle timer. Returns 0 or ENOMEM. */
int
trim_init(struct xsdbd *xd)
{
	xd->ev_trim = evtimer_new(xd->base, trim_timer, xd);
	return xd->ev_trim != NULL ? 0 : ENOMEM;
}

/* Stop the timer. */
void
trim_free(struct xsdbd *xd)
{
	if (xd->ev_trim != NULL) {
		event_free(xd->ev_trim);
		xd->ev_trim = NULL;
	}
}

/* The end of a turn: count it if it handled requests, trim when due. */
void
trim_turn(struct xsdbd *xd)
{
	struct timeval	tv = { TRIM_IDLE_SEC, 0 };

	if (xd->ev_trim == NULL || xd->requests == xd->trim_requests)
		return;
	xd->trim_requests = xd->requests;
	if (++xd->trim_turns >= TRIM_TURNS) {
		trim_now(xd);
		return;
	}
	if (!evtimer_pending(xd->ev_trim, NULL))
		evtimer_add(xd->ev_trim, &tv);
}

/* Let go of the map now. */
static void
trim_now(struct xsdbd *xd)
{
	int	rc;

	xd->trim_turns = 0;
	if ((rc = store_trim(xd->store)) != 0)
		log_debug("cannot let go of the store's map: %s",
		    strerror(rc));
}

/* A second without requests after some: trim once. */
static void
trim_timer(evutil_socket_t fd, short events, void *arg)
{
	struct xsdbd	*xd = arg;

	(void)fd;
	(void)events;
	if (xd->trim_turns > 0)
		trim_now(xd);
}

/*
 * watch.c - watches: the index, WATCH/UNWATCH/RESET_WATCHES, and events
 * for committed changes.
 *
 * STUB: this file only lets the daemon link; the watch index is written
 * separately. Every function here does the least that keeps the daemon
 * consistent.
 */
#include "config.h"

#include <errno.h>

#include "xsdbd.h"

/* Set up the watch index. */
int
watch_init(struct xsdbd *xd)
{
	xd->watches = NULL;
	return 0;
}

/* Free the watch index. */
void
watch_free(struct xsdbd *xd)
{
	xd->watches = NULL;
}

/* Queue events for a committed change. */
void
watch_changed(struct xsdbd *xd, enum store_change kind, const char *path)
{
}

/* Queue events for a special path such as @introduceDomain. */
void
watch_special(struct xsdbd *xd, const char *path)
{
}

/* Drop the watches of a closing connection. */
void
watch_conn_free(struct conn *c)
{
	c->watches = NULL;
	c->nwatches = 0;
}

/* WATCH: not served by the stub. */
int
op_watch(struct request *req)
{
	return ENOSYS;
}

/* UNWATCH: not served by the stub. */
int
op_unwatch(struct request *req)
{
	return ENOSYS;
}

/* RESET_WATCHES: nothing to reset in the stub. */
int
op_reset_watches(struct request *req)
{
	return request_ack(req);
}

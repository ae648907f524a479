/*
 * trace.c - the trace file (-T): one line per request, reply and
 * connection event.
 *
 * STUB: this file only lets the daemon link; tracing is written
 * separately. Nothing is traced.
 */
#include "config.h"

#include "xsdbd.h"

/* Open the trace file. */
int
trace_open(struct xsdbd *xd, const char *path)
{
	xd->trace = NULL;
	return 0;
}

/* Reopen the trace file (SIGHUP). */
void
trace_reopen(struct xsdbd *xd)
{
}

/* Close the trace file. */
void
trace_close(struct xsdbd *xd)
{
}

/* Trace a connection created or destroyed. */
void
trace_conn(struct xsdbd *xd, const struct conn *c, bool created)
{
}

/* Trace a request. */
void
trace_in(struct xsdbd *xd, const struct conn *c, const struct xs_header *h,
    const char *payload)
{
}

/* Trace a reply or event. */
void
trace_out(struct xsdbd *xd, const struct conn *c, const struct xs_header *h,
    const char *payload)
{
}

/*
 * trace.c - the trace file (-T, CONTROL log and logfile): one line per
 * request received, reply or event sent, and connection created or
 * closed, in the spirit of Xen's C xenstored trace (trace_io), with the
 * request and transaction ids added and a timestamp in microseconds:
 *
 *	IN 3 (d0) 20261125 17:38:53.123456 req=7 tx=0 WRITE (/a/b 1)
 *	OUT 3 (d0) 20261125 17:38:53.123789 req=7 tx=0 WRITE (OK )
 *	OUT 3 (d0) 20261125 17:38:53.123790 req=0 tx=0 WATCH_EVENT (/a/b t )
 *	CREATE 3 (d0) 20261125 17:38:53.120000 connection socket
 *	DESTROY 3 (d0) 20261125 17:38:54.000001 connection socket
 *	*** 20261125 17:38:50.000000 trace opened by xsdbd 1234
 *
 * The fields are: what, the connection's number (unique while the daemon
 * runs), its domain, local date and time, then for IN and OUT the ids,
 * the type name as Xen spells it (UNKNOWN:<n> for a number that is no
 * type), and the payload in parentheses. As in Xen's trace each NUL of the
 * payload shows as a space; so that every record stays on one line, a
 * byte that is not printable ASCII shows as \xNN and a backslash as \\.
 * The payload runs to the last ')' of the line.
 *
 * Lines are gathered in a buffer and written when it holds
 * TRACE_FLUSH_AT bytes or, at the latest, at the next turn of the event
 * loop (a zero timeout). While tracing is off xd->trace is NULL, and the
 * callers test that before calling in, so it costs one branch.
 *
 * SIGHUP reopens the file by name (trace_reopen), for log rotation: move
 * the file away, send SIGHUP, and tracing goes on in a new file.
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "xsdbd.h"

/* Write the buffer out once it holds this much. */
#define TRACE_FLUSH_AT		(64U * 1024)

/* The longest fixed part of a line, before the payload. */
#define TRACE_HEAD_MAX		192

/* An open trace file. */
struct trace {
	struct xsdbd	*xd;
	char		*path;
	int		 fd;
	struct buf	 buf;		/* lines not yet written */
	struct event	*ev_flush;	/* writes them at the next turn */
	bool		 armed;		/* ev_flush is pending */
	bool		 failing;	/* the last write failed (logged) */
	time_t		 sec;		/* the second stamp[] shows */
	char		 stamp[24];	/* "YYYYMMDD HH:MM:SS" */
};

static int	trace_file_open(const char *, int *);
static void	trace_free(struct trace *);
static void	trace_flush(struct trace *);
static void	trace_flush_cb(evutil_socket_t, short, void *);
static void	trace_marker(struct trace *, const char *);
static size_t	trace_head(struct trace *, char *, size_t, const char *,
		    const struct conn *);
static void	trace_io(struct trace *, const char *, const struct conn *,
		    const struct xs_header *, const char *);
static char	*trace_reserve(struct trace *, size_t);
static void	trace_commit(struct trace *, size_t);

/*
 * Open (or create) a trace file for appending. Non-blocking, so that a
 * FIFO nobody reads fails (ENXIO) rather than stopping the daemon; on a
 * regular file it changes nothing. Returns 0 or an errno.
 */
static int
trace_file_open(const char *path, int *fdp)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK, 0600);
	if (fd == -1)
		return errno;
	*fdp = fd;
	return 0;
}

/*
 * Start tracing to path (a copy is kept for trace_reopen). An open trace
 * is flushed and closed only once the new file is open, so a failure
 * changes nothing. Returns 0, ENOMEM or the error of open(2).
 */
int
trace_open(struct xsdbd *xd, const char *path)
{
	struct trace	*t;
	int		 rc;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return ENOMEM;
	t->xd = xd;
	t->fd = -1;
	t->sec = (time_t)-1;
	if ((t->path = strdup(path)) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	if (xd->base != NULL &&
	    (t->ev_flush = evtimer_new(xd->base, trace_flush_cb, t)) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	if ((rc = trace_file_open(path, &t->fd)) != 0)
		goto fail;

	trace_close(xd);
	xd->trace = t;
	trace_marker(t, "opened");
	return 0;

fail:
	trace_free(t);
	return rc;
}

/*
 * Reopen the trace file by its name (SIGHUP): what is buffered goes to the
 * old file, then the name is opened again. If that fails, tracing stops
 * and the log says why.
 */
void
trace_reopen(struct xsdbd *xd)
{
	struct trace	*t = xd->trace;
	int		 fd = -1, rc;

	if (t == NULL)
		return;
	trace_flush(t);
	if ((rc = trace_file_open(t->path, &fd)) != 0) {
		log_warnx("cannot reopen the trace file %s: %s; tracing "
		    "stopped", t->path, strerror(rc));
		trace_close(xd);
		return;
	}
	close(t->fd);
	t->fd = fd;
	t->failing = false;
	trace_marker(t, "reopened");
}

/* Stop tracing: write what is buffered and close the file. */
void
trace_close(struct xsdbd *xd)
{
	struct trace	*t = xd->trace;

	if (t == NULL)
		return;
	xd->trace = NULL;
	trace_flush(t);
	trace_free(t);
}

/* Free a trace and close its file. */
static void
trace_free(struct trace *t)
{
	if (t->ev_flush != NULL)
		event_free(t->ev_flush);
	if (t->fd != -1)
		close(t->fd);
	buf_free(&t->buf);
	free(t->path);
	free(t);
}

/*
 * Write the buffered lines. A failing write (disk full) loses them: the
 * trace must never hold up the daemon or grow without bound. The first
 * failure of a run is logged.
 */
static void
trace_flush(struct trace *t)
{
	ssize_t	n;
	size_t	used;

	if (t->armed) {
		evtimer_del(t->ev_flush);
		t->armed = false;
	}
	while ((used = buf_used(&t->buf)) > 0) {
		n = write(t->fd, t->buf.data + t->buf.off, used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!t->failing)
				log_warnx("trace file %s: %s: lines lost",
				    t->path, n == -1 ? strerror(errno) :
				    "nothing written");
			t->failing = true;
			break;
		}
		t->failing = false;
		buf_drain(&t->buf, (size_t)n);
	}
	buf_reset(&t->buf);
}

/* The loop turned: write what the last turn traced. */
static void
trace_flush_cb(evutil_socket_t fd, short events, void *arg)
{
	struct trace	*t = arg;

	t->armed = false;
	trace_flush(t);
}

/*
 * Room for len more bytes at the end of the buffer, or NULL (out of
 * memory: the line is dropped).
 */
static char *
trace_reserve(struct trace *t, size_t len)
{
	if (buf_reserve(&t->buf, len) != 0)
		return NULL;
	return t->buf.data + t->buf.len;
}

/* Keep len bytes written at trace_reserve's pointer; plan the write. */
static void
trace_commit(struct trace *t, size_t len)
{
	static const struct timeval now = { 0, 0 };

	t->buf.len += len;
	if (buf_used(&t->buf) >= TRACE_FLUSH_AT || t->ev_flush == NULL) {
		trace_flush(t);
		return;
	}
	if (!t->armed && evtimer_add(t->ev_flush, &now) == 0)
		t->armed = true;
}

/*
 * Write "WHAT CONN (dDOMID) YYYYMMDD HH:MM:SS.UUUUUU " into out (at least
 * TRACE_HEAD_MAX bytes); a marker has no connection. Returns the length.
 * The date is formatted once a second.
 */
static size_t
trace_head(struct trace *t, char *out, size_t outsz, const char *what,
    const struct conn *c)
{
	struct timespec	ts;
	struct tm	tm;
	int		n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	if (ts.tv_sec != t->sec) {
		if (localtime_r(&ts.tv_sec, &tm) == NULL ||
		    strftime(t->stamp, sizeof t->stamp, "%Y%m%d %H:%M:%S",
		    &tm) == 0)
			snprintf(t->stamp, sizeof t->stamp, "%lld",
			    (long long)ts.tv_sec);
		t->sec = ts.tv_sec;
	}
	if (c == NULL)
		n = snprintf(out, outsz, "%s %s.%06ld ", what, t->stamp,
		    ts.tv_nsec / 1000);
	else
		n = snprintf(out, outsz, "%s %llu (d%u) %s.%06ld ", what,
		    (unsigned long long)c->id, c->domid, t->stamp,
		    ts.tv_nsec / 1000);
	if (n < 0)
		return 0;
	return (size_t)n < outsz ? (size_t)n : outsz - 1;
}

/* A marker line: the file was opened or reopened. */
static void
trace_marker(struct trace *t, const char *what)
{
	char	*p;
	size_t	 n;
	int	 m;

	if ((p = trace_reserve(t, TRACE_HEAD_MAX)) == NULL)
		return;
	n = trace_head(t, p, TRACE_HEAD_MAX, "***", NULL);
	m = snprintf(p + n, TRACE_HEAD_MAX - n, "trace %s by xsdbd %ld\n",
	    what, (long)getpid());
	if (m < 0 || (size_t)m >= TRACE_HEAD_MAX - n)
		return;
	trace_commit(t, n + (size_t)m);
}

/* Trace a connection created or closed. */
void
trace_conn(struct xsdbd *xd, const struct conn *c, bool created)
{
	struct trace	*t = xd->trace;
	char		*p;
	size_t		 n;
	int		 m;

	if (t == NULL)
		return;
	if ((p = trace_reserve(t, TRACE_HEAD_MAX)) == NULL)
		return;
	n = trace_head(t, p, TRACE_HEAD_MAX, created ? "CREATE" : "DESTROY",
	    c);
	m = snprintf(p + n, TRACE_HEAD_MAX - n, "connection %s\n",
	    c->ops != NULL && c->ops->name != NULL ? c->ops->name : "?");
	if (m < 0 || (size_t)m >= TRACE_HEAD_MAX - n)
		return;
	trace_commit(t, n + (size_t)m);
}

/* Trace a message: its head, ids, type and escaped payload. */
static void
trace_io(struct trace *t, const char *what, const struct conn *c,
    const struct xs_header *h, const char *payload)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)payload;
	const char		*name;
	char			*p, type[24];
	uint32_t		 i, len = h->len;
	size_t			 n;
	int			 m;

	if (len > XS_PAYLOAD_MAX)
		len = XS_PAYLOAD_MAX;
	if (payload == NULL)
		len = 0;
	if ((p = trace_reserve(t, TRACE_HEAD_MAX + 4 * (size_t)len + 2)) ==
	    NULL)
		return;
	if ((name = xs_wire_type_name(h->type)) == NULL) {
		snprintf(type, sizeof type, "UNKNOWN:%u", h->type);
		name = type;
	}
	n = trace_head(t, p, TRACE_HEAD_MAX, what, c);
	m = snprintf(p + n, TRACE_HEAD_MAX - n, "req=%u tx=%u %s (",
	    h->req_id, h->tx_id, name);
	if (m < 0 || (size_t)m >= TRACE_HEAD_MAX - n)
		return;
	n += (size_t)m;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			p[n++] = ' ';
		else if (s[i] == '\\') {
			p[n++] = '\\';
			p[n++] = '\\';
		} else if (s[i] >= 0x20 && s[i] < 0x7f)
			p[n++] = (char)s[i];
		else {
			p[n++] = '\\';
			p[n++] = 'x';
			p[n++] = hex[s[i] >> 4];
			p[n++] = hex[s[i] & 0xf];
		}
	}
	p[n++] = ')';
	p[n++] = '\n';
	trace_commit(t, n);
}

/* Trace a request as it is dispatched. */
void
trace_in(struct xsdbd *xd, const struct conn *c, const struct xs_header *h,
    const char *payload)
{
	if (xd->trace != NULL)
		trace_io(xd->trace, "IN", c, h, payload);
}

/* Trace a reply or event as it is queued on the connection. */
void
trace_out(struct xsdbd *xd, const struct conn *c, const struct xs_header *h,
    const char *payload)
{
	if (xd->trace != NULL)
		trace_io(xd->trace, "OUT", c, h, payload);
}

/*
 * conn-ring.c - the ring transport: a guest's connection over its shared
 * 4 KiB xenstore page and event channel (docs/misc/xenstore-ring.txt).
 *
 * Reading copies what the guest produced in req (req_cons..req_prod) and
 * writing puts replies and events in rsp, through lib/ring.c, which reads
 * each index once, checks it and orders the accesses. So that a guest
 * gets exactly one reply to each request across a crash or a live update,
 * reading does not move req_cons: it moves once the group that handled
 * the requests has committed, with a record of the ring (lu-ring.c), and
 * past that record only whole messages go into rsp. The guest is
 * notified after every read or write that moved bytes: it may be waiting
 * for room or for data. Messages may be split anywhere, across the end of
 * the buffer and across notifications; conn.c reassembles them.
 *
 * A ring is served when its event fires, in the turn after any turn that
 * read from it (a guest that added bytes before the commit moved req_cons
 * does not notify, see conn_ring_read) and, while it has bytes the
 * connection wants, once per loop turn after that (a zero timer, which
 * libevent runs after the turn's other events). It is served at most once
 * per turn: an event that comes again in the same turn (a guest that
 * notifies as fast as it can) is put off to the next. So a guest that
 * keeps its queue full gets at most one ring of input (1024 bytes) and
 * CONN_RING_WRITE_TURN bytes of output per turn, and conn.c handles at
 * most XSDBD_REQ_PER_TURN of its requests per turn: it cannot starve
 * other guests or socket clients, whose requests are answered at the end
 * of the turn they arrive in. A guest that never consumes its replies
 * stops being read once conn.c holds enough output for it; what it may
 * cost is bounded by conn.c's --out-max.
 *
 * Protocol violations end the service of the ring, not the connection
 * (Xen's "ignored" connection): the error field gets
 * XS_RING_ERROR_RINGIDX for impossible indices (prod - cons over 1024) or
 * XS_RING_ERROR_PROTO for a header with a payload over 4096 bytes, which
 * is caught as the header's last byte arrives (lib's xs_frame_scan), so
 * that conn.c never sees it. The connection's input, output, watches and
 * transactions are dropped and nothing more is read or written, but the
 * domain stays introduced and a RELEASE or its death frees it as any
 * other. The guest may ask to reconnect to be served again.
 *
 * Reconnection (connection = 1, set by the guest, then an event): drop
 * partial input, in-flight replies, watches and transactions, set all four
 * indices to 0 (as Xen's daemon does when it resets a ring), clear the
 * error, set connection back to 0 after a full barrier, notify. The same
 * reset runs for an INTRODUCE of a domain already introduced
 * (conn_ring_reset). Replies that were already waiting for the turn's
 * group commit when the reset came are dropped as they reach the ring.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "xsdbd.h"

/* Bytes written to one ring per loop turn, at most. */
#define CONN_RING_WRITE_TURN	(2 * XS_RING_SIZE)

/* The transport state of one ring connection. */
struct conn_ring {
	struct conn		*conn;
	struct xs_ring		*page;
	uint32_t		 port;	/* local event-channel port */
	unsigned int		 domid;
	struct event		*ev_kick; /* serve again next turn */
	struct xs_frame		 frame;	/* message boundaries of req */
	bool			 broken; /* error set: not served */
	bool			 unbound; /* port unbound: a rebind failed */
	unsigned int		 drop_msgs; /* replies of before a reset */
	uint64_t		 turn;	/* the turn counted below */
	bool			 served; /* in that turn */
	size_t			 written; /* in that turn */
};

/* Ring connections by local port. */
struct conn_ring_table {
	struct conn_ring	**v;
	size_t			  n;
};

static int	conn_ring_read(struct conn *, void *, size_t, size_t *);
static int	conn_ring_write(struct conn *, const void *, size_t,
		    size_t *);
static bool	conn_ring_can_read(struct conn *);
static bool	conn_ring_can_write(struct conn *);
static void	conn_ring_update(struct conn *);
static void	conn_ring_kick(struct conn_ring *);
static void	conn_ring_kick_cb(evutil_socket_t, short, void *);
static void	conn_ring_serve(struct conn *);
static void	conn_ring_drop(struct conn *);
static void	conn_ring_violation(struct conn *, uint32_t, const char *);
static size_t	conn_ring_skip(struct conn_ring *, const char *, size_t);
static struct conn_ring_table *conn_ring_table(struct xsdbd *);
static int	conn_ring_slot(struct conn_ring_table *, uint32_t);
static void	conn_ring_turn(struct conn_ring *);

static const struct conn_ops conn_ring_ops = {
	.name = "ring",
	.read = conn_ring_read,
	.write = conn_ring_write,
	.can_read = conn_ring_can_read,
	.can_write = conn_ring_can_write,
	.update = conn_ring_update,
	.close = conn_ring_free,
};

/* The table of rings, made on first use. */
static struct conn_ring_table *
conn_ring_table(struct xsdbd *xd)
{
	if (xd->rings == NULL)
		xd->rings = calloc(1, sizeof(struct conn_ring_table));
	return xd->rings;
}

/* Make room in t for a ring on port. Returns 0, EEXIST or ENOMEM. */
static int
conn_ring_slot(struct conn_ring_table *t, uint32_t port)
{
	struct conn_ring	**v;
	size_t			  n;

	if (port < t->n)
		return t->v[port] != NULL ? EEXIST : 0;
	n = (size_t)port + 1 > 2 * t->n ? (size_t)port + 1 : 2 * t->n;
	if ((v = reallocarray(t->v, n, sizeof *v)) == NULL)
		return ENOMEM;
	memset(v + t->n, 0, (n - t->n) * sizeof *v);
	t->v = v;
	t->n = n;
	return 0;
}

/*
 * Take what the guest produced: 0 and *done (0: nothing now). A violation
 * is handled here and reads as nothing: the ring is no longer served.
 */
static int
conn_ring_read(struct conn *c, void *buf, size_t len, size_t *done)
{
	struct conn_ring	*cr = c->priv;

	*done = 0;
	if (cr->broken)
		return 0;
	/* Copied, not consumed: req_cons moves after the commit (lu-ring.c). */
	if (lu_ring_read(c, buf, len, done) != 0) {
		conn_ring_violation(c, XS_RING_ERROR_RINGIDX,
		    "inconsistent request indices");
		return 0;
	}
	if (*done == 0)
		return 0;
	/*
	 * A Linux guest raises its event only when it finds req_cons at the
	 * producer index it started from (xenbus_comms.c, xb_write): when
	 * it believes everything it sent before was consumed. What it adds
	 * between this read and the commit that moves req_cons comes
	 * without an event, so look again next turn, after the commit.
	 */
	conn_ring_kick(cr);
	if (xs_frame_scan(&cr->frame, buf, *done, NULL) != 0) {
		*done = 0;
		conn_ring_violation(c, XS_RING_ERROR_PROTO,
		    "payload over 4096 bytes");
		return 0;
	}
	return 0;
}

/*
 * Skip, at the head of the output, whole messages queued before a reset.
 * Returns the bytes skipped.
 */
static size_t
conn_ring_skip(struct conn_ring *cr, const char *buf, size_t len)
{
	struct xs_header	h;
	size_t			off = 0;

	while (cr->drop_msgs > 0 && len - off >= XS_HEADER_SIZE) {
		(void)xs_wire_header_decode(buf + off, &h);
		if (len - off < XS_HEADER_SIZE + (size_t)h.len)
			break;
		off += XS_HEADER_SIZE + (size_t)h.len;
		cr->drop_msgs--;
	}
	return off;
}

/* Start counting a new loop turn. */
static void
conn_ring_turn(struct conn_ring *cr)
{
	if (cr->turn != cr->conn->xd->turns) {
		cr->turn = cr->conn->xd->turns;
		cr->served = false;
		cr->written = 0;
	}
}

/*
 * Put output in the guest's rsp queue: 0 and *done (0: full, or this
 * turn's share written).
 */
static int
conn_ring_write(struct conn *c, const void *buf, size_t len, size_t *done)
{
	struct conn_ring	*cr = c->priv;
	size_t			 used;

	*done = 0;
	if (cr->broken) {
		/* Nothing goes to a ring that is not served. */
		buf_reset(&c->out);
		return 0;
	}
	/* Whole messages of before a reset go nowhere, and cost nothing. */
	if (cr->drop_msgs > 0 && (*done = conn_ring_skip(cr, buf, len)) > 0)
		return 0;
	conn_ring_turn(cr);
	if (cr->written >= CONN_RING_WRITE_TURN)
		return 0;
	if (len > CONN_RING_WRITE_TURN - cr->written)
		len = CONN_RING_WRITE_TURN - cr->written;
	/* What a restart can tell it sent (lu-ring.c). */
	if (xs_ring_used(cr->page, XS_RING_RSP, &used) == 0 &&
	    (len = lu_ring_writable(c, len, XS_RING_SIZE - used)) == 0)
		return 0;
	if (xs_ring_write(cr->page, XS_RING_RSP, buf, len, done) != 0) {
		conn_ring_violation(c, XS_RING_ERROR_RINGIDX,
		    "inconsistent reply indices");
		*done = 0;
		return 0;
	}
	lu_ring_wrote(c, *done);
	cr->written += *done;
	if (*done > 0)
		xen_notify(c->xd, cr->port);
	return 0;
}

/* True if the guest has produced bytes (or broke the indices). */
static bool
conn_ring_can_read(struct conn *c)
{
	struct conn_ring	*cr = c->priv;

	if (cr->broken)
		return false;
	return lu_ring_can_read(c);
}

/* True if rsp has room (or the indices are broken, to be found out). */
static bool
conn_ring_can_write(struct conn *c)
{
	struct conn_ring	*cr = c->priv;
	size_t			 n;

	if (cr->broken)
		return false;
	if (xs_ring_used(cr->page, XS_RING_RSP, &n) != 0)
		return true;
	return lu_ring_writable(c, SIZE_MAX, XS_RING_SIZE - n) > 0 ||
	    lu_ring_wants_save(c);
}

/*
 * The connection's state changed: if it wants to read and the guest has
 * bytes, or has output and the ring has room, serve it again next turn
 * (the guest will not notify again for what it already sent).
 */
static void
conn_ring_update(struct conn *c)
{
	struct conn_ring	*cr = c->priv;

	if (c->flags & CONN_DEAD) {
		evtimer_del(cr->ev_kick);
		return;
	}
	if (cr->broken)
		return;
	if ((conn_want_read(c) && conn_ring_can_read(c)) ||
	    (conn_want_write(c) && conn_ring_can_write(c)))
		conn_ring_kick(cr);
}

/* Serve the ring after this turn's events. */
static void
conn_ring_kick(struct conn_ring *cr)
{
	static const struct timeval	now = { 0, 0 };

	if (!evtimer_pending(cr->ev_kick, NULL))
		evtimer_add(cr->ev_kick, &now);
}

/* The kick timer fired. */
static void
conn_ring_kick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn_ring	*cr = arg;

	conn_ring_serve(cr->conn);
}

/*
 * Serve a ring, once per turn: a reconnect request first, then input,
 * then output.
 */
static void
conn_ring_serve(struct conn *c)
{
	struct conn_ring	*cr = c->priv;

	if (c->flags & CONN_DEAD)
		return;
	conn_ring_turn(cr);
	if (cr->served) {
		conn_ring_kick(cr);
		return;
	}
	cr->served = true;
	/*
	 * req_cons, stored at the last commit, before req_prod is read: a
	 * guest stores req_prod before it reads req_cons to decide whether
	 * to notify, so one of the two sides sees the other's store.
	 */
	xs_ring_fence();
	if (xs_ring_load(&cr->page->connection) == XS_RING_RECONNECT) {
		log_debug("domain %u asks to reconnect its ring", cr->domid);
		conn_ring_reset(c);
		return;
	}
	if (cr->broken)
		return;
	conn_input(c);
	if (!(c->flags & CONN_DEAD) && conn_want_write(c))
		conn_output(c);
}

/* Drop what the connection holds: input, output, watches, transactions. */
static void
conn_ring_drop(struct conn *c)
{
	struct conn_ring	*cr = c->priv;

	txn_conn_free(c);
	watch_conn_free(c);
	buf_reset(&c->in);
	buf_reset(&c->out);
	xs_frame_reset(&cr->frame);
}

/* A protocol violation: say so on the page and stop serving the ring. */
static void
conn_ring_violation(struct conn *c, uint32_t err, const char *why)
{
	struct conn_ring	*cr = c->priv;

	log_info("connection %llu (domain %u): %s: ring no longer served",
	    (unsigned long long)c->id, cr->domid, why);
	cr->broken = true;
	conn_ring_drop(c);
	lu_ring_dropped(c);
	cr->drop_msgs = c->pending;
	xs_ring_store(&cr->page->error, err);
	xen_notify(c->xd, cr->port);
}

/*
 * Serve a guest over its mapped page and bound port; the connection owns
 * both from now on. Returns NULL with errno set (EEXIST if the port
 * serves another ring, ENOMEM); the page and port are then still the
 * caller's.
 */
struct conn *
conn_ring_new(struct xsdbd *xd, unsigned int domid, void *page,
    uint32_t local_port)
{
	struct conn_ring_table	*t;
	struct conn_ring	*cr;
	struct lu_conn		*lc;
	struct conn		*c;
	int			 rc;

	if ((t = conn_ring_table(xd)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((rc = conn_ring_slot(t, local_port)) != 0) {
		errno = rc;
		return NULL;
	}
	if ((cr = calloc(1, sizeof *cr)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((lc = lu_ring_alloc()) == NULL) {
		free(cr);
		errno = ENOMEM;
		return NULL;
	}
	cr->page = page;
	cr->port = local_port;
	cr->domid = domid;
	if ((cr->ev_kick = evtimer_new(xd->base, conn_ring_kick_cb,
	    cr)) == NULL ||
	    (c = conn_new(xd, &conn_ring_ops, cr, -1, domid)) == NULL) {
		if (cr->ev_kick != NULL)
			event_free(cr->ev_kick);
		free(lc);
		free(cr);
		errno = ENOMEM;
		return NULL;
	}
	cr->conn = c;
	t->v[local_port] = cr;
	/* At start-up, where the daemon was (lu-ring.c); its input framed. */
	lu_ring_attach(c, lc);
	(void)xs_frame_scan(&cr->frame, c->in.data + c->in.off,
	    buf_used(&c->in), NULL);

	/*
	 * Offered before anything is read or written, never withdrawn: the
	 * features the caller put on the page (SET_FEATURE may have limited
	 * them), else all of them.
	 */
	if (xs_ring_load(&cr->page->server_features) == 0)
		xs_ring_store(&cr->page->server_features,
		    XSDBD_RING_FEATURES);
	/* Whatever the guest sent already (a restart) is read next turn. */
	conn_ring_kick(cr);
	return c;
}

/* An event on a local port: serve the ring bound to it. */
void
conn_ring_event(struct xsdbd *xd, uint32_t local_port)
{
	struct conn_ring_table	*t = xd->rings;

	if (t == NULL || local_port >= t->n || t->v[local_port] == NULL) {
		log_debug("event on port %u, which serves no ring",
		    local_port);
		return;
	}
	conn_ring_serve(t->v[local_port]->conn);
}

/*
 * Reset a ring to its first state: drop everything the connection holds,
 * empty both queues (indices 0), clear the error, complete a reconnect
 * the guest asked for, and notify. Replies already waiting for the group
 * commit are dropped as they reach the ring.
 */
void
conn_ring_reset(struct conn *c)
{
	struct conn_ring	*cr = c->priv;
	struct xs_ring		*r = cr->page;

	conn_ring_drop(c);
	cr->drop_msgs = c->pending;
	cr->broken = false;
	r->req_cons = r->req_prod = 0;
	r->rsp_cons = r->rsp_prod = 0;
	r->error = XS_RING_ERROR_NONE;
	xs_ring_fence();
	if (xs_ring_load(&r->connection) != XS_RING_CONNECTED)
		xs_ring_store(&r->connection, XS_RING_CONNECTED);
	lu_ring_reset(c);
	xen_notify(c->xd, cr->port);
}

/*
 * Bind the ring of c to the guest's port remote afresh, as Xen's daemon
 * does for an INTRODUCE of a domain already introduced: a guest that
 * closed its xenbus channel and made it again (a new kernel, kexec) has
 * a port the old binding no longer reaches, even under the same number.
 * The old local port is unbound first, since the guest's end may be
 * that same port. Returns 0 with *local the new local port, or the
 * error of the bind; the connection, left without a port, is then
 * killed.
 */
int
conn_ring_rebind(struct conn *c, uint32_t remote, uint32_t *local)
{
	struct conn_ring	*cr = c->priv;
	struct conn_ring_table	*t = c->xd->rings;
	uint32_t		 port;
	int			 rc;

	if (t != NULL && cr->port < t->n && t->v[cr->port] == cr)
		t->v[cr->port] = NULL;
	if (!cr->unbound && (rc = xen_unbind(c->xd, cr->port)) != 0)
		log_warnx("unbind port %u of domain %u: %s", cr->port,
		    cr->domid, strerror(rc));
	cr->unbound = true;
	cr->port = 0;		/* never a port, as in Xen */
	if ((rc = xen_bind(c->xd, cr->domid, remote, &port)) != 0)
		goto fail;
	if ((rc = conn_ring_slot(t, port)) != 0) {
		xen_unbind(c->xd, port);
		goto fail;
	}
	t->v[port] = cr;
	cr->port = port;
	cr->unbound = false;
	*local = port;
	log_debug("domain %u: port %u bound again as local port %u",
	    cr->domid, remote, port);
	return 0;

fail:
	conn_kill(c, "its event channel could not be bound again");
	return rc;
}

/* The ring connection of a domain, or NULL. */
struct conn *
conn_ring_find(struct xsdbd *xd, unsigned int domid)
{
	struct conn_ring_table	*t = xd->rings;
	size_t			 i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++) {
		if (t->v[i] != NULL && t->v[i]->domid == domid &&
		    !(t->v[i]->conn->flags & CONN_DEAD))
			return t->v[i]->conn;
	}
	return NULL;
}

/*
 * Bytes put in the connection's input that were not read from the ring
 * (a takeover, lu-import.c): follow their message boundaries.
 */
void
conn_ring_follow(struct conn *c, const void *buf, size_t len)
{
	struct conn_ring	*cr = c->priv;

	(void)xs_frame_scan(&cr->frame, buf, len, NULL);
}

/* The page of a ring connection. */
struct xs_ring *
conn_ring_page(const struct conn *c)
{
	const struct conn_ring	*cr = c->priv;

	return cr->page;
}

/* The local port of a ring connection. */
uint32_t
conn_ring_port(const struct conn *c)
{
	const struct conn_ring	*cr = c->priv;

	return cr->port;
}

/* Replies of before a reset that are still to be dropped. */
unsigned int
conn_ring_drop_msgs(const struct conn *c)
{
	const struct conn_ring	*cr = c->priv;

	return cr->drop_msgs;
}

/* True if the ring of c is no longer served after a violation. */
bool
conn_ring_broken(const struct conn *c)
{
	const struct conn_ring	*cr = c->priv;

	return c->ops == &conn_ring_ops && cr->broken;
}

/*
 * Release the transport (conn_ops close): the timer, the port and the
 * page. A guest dropped for output it never read is told so on the page.
 */
void
conn_ring_free(struct conn *c)
{
	struct conn_ring	*cr = c->priv;
	struct conn_ring_table	*t = c->xd->rings;
	int			 rc;

	if (cr == NULL)
		return;
	if (cr->ev_kick != NULL)
		event_free(cr->ev_kick);
	if (t != NULL && cr->port < t->n && t->v[cr->port] == cr)
		t->v[cr->port] = NULL;
	if (!cr->broken && buf_used(&c->out) > c->xd->opt.out_max)
		xs_ring_store(&cr->page->error, XS_RING_ERROR_COMM);
	if (!cr->unbound && (rc = xen_unbind(c->xd, cr->port)) != 0)
		log_warnx("unbind port %u of domain %u: %s", cr->port,
		    cr->domid, strerror(rc));
	xen_unmap_ring(c->xd, cr->domid, cr->page);
	lu_ring_free(c);
	free(cr);
	c->priv = NULL;
}

/* Free the table of rings (shutdown, once every connection is freed). */
void
conn_ring_fini(struct xsdbd *xd)
{
	struct conn_ring_table	*t = xd->rings;

	if (t == NULL)
		return;
	free(t->v);
	free(t);
	xd->rings = NULL;
}

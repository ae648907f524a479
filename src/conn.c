/*
 * conn.c - client connections, whatever carries their bytes: framing of
 * requests, queues of output, and the end of each loop turn.
 *
 * Input is read in large chunks into c->in and parsed at the end of the
 * turn: every complete request is dispatched, at most XSDBD_REQ_PER_TURN
 * per connection per turn so that one busy client cannot starve the
 * others; what is left waits on xd->ready and is handled in the next turn
 * without waiting for another read event.
 *
 * The header is checked before anything is allocated for the payload: a
 * length over XS_PAYLOAD_MAX is a protocol violation after which the
 * stream cannot be followed (docs/misc/xenstore.txt), so the connection is
 * marked bad: it is not read any more, its queued output drains, then it
 * is closed. Nothing else is affected.
 *
 * Output is bounded: a connection stops being read while more than
 * XSDBD_OUT_PAUSE bytes (or a quarter of --out-max) wait for it, so a
 * pipelining client that does not read its replies is slowed, not
 * dropped; a connection with more than --out-max bytes queued at the end
 * of a turn (events it does not read) is dropped. Nothing is freed from
 * inside a queueing call: dropped connections are marked dead and freed
 * at the end of the turn.
 *
 * A turn holds at most XSDBD_TURN_BYTES of replies (and of requests kept
 * to run again, group.c); connections not reached keep their place at
 * the head of the ready list.
 *
 * Outstanding requests (-Q outstanding, as Xen's C xenstored 4.17): a
 * connection held to quotas is neither read nor served while that many
 * of its requests wait for their replies to go out, that is, from the
 * request's dispatch until the last byte of its reply is written to the
 * transport (into the guest's ring, not read by the guest yet). Watch
 * events do not count. With the quota at 5, a guest that pipelines a
 * READ of a 3000-byte value and 12 WRITEs and reads nothing gets the
 * READ and 4 WRITEs handled, the READ's reply stuck half in its full
 * ring; the other 8 WRITEs wait and are handled once it reads. Xen also
 * keeps a request outstanding until the watch events it caused are
 * delivered; here only its reply counts.
 *
 * A watch event the same as one still waiting whole in the output (path
 * and token; not one whose sending has begun) is dropped, as Xen's
 * daemon does since XSA-326, but for the special paths ("@..."), each of
 * which some watchers count on hearing: a watcher that reads slowly
 * still hears of every node that changed, once, however often it did.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsdbd.h"

static bool	conn_has_request(const struct conn *);
static void	conn_schedule(struct conn *);
static void	conn_process(struct xsdbd *);
static void	conn_process_one(struct conn *);
static void	conn_free(struct conn *);
static bool	conn_closing_done(const struct conn *);
static size_t	conn_pause_bytes(const struct xsdbd *);
static bool	conn_outstanding_full(const struct conn *, unsigned int);
static void	conn_out_written(struct conn *, size_t);
static bool	conn_event_waits(struct conn *, const struct xs_header *,
		    const char *, uint64_t *);

/* Output above which a connection is not read. */
static size_t
conn_pause_bytes(const struct xsdbd *xd)
{
	size_t	quarter = xd->opt.out_max / 4;

	return quarter < XSDBD_OUT_PAUSE ? quarter : XSDBD_OUT_PAUSE;
}

/*
 * True if the connection may not have another request handled: with more
 * requests dispatched in this turn, as many replies wait as its quota of
 * outstanding requests allows. Output emptied by a transport (a reset
 * ring) holds no reply, whatever the count says.
 */
static bool
conn_outstanding_full(const struct conn *c, unsigned int more)
{
	unsigned int	max, n;

	if (quota_exempt(c) || (max = quota_conn(c)->outstanding) == 0)
		return false;
	n = buf_used(&c->out) == 0 ? 0 : c->outstanding;
	return n + more >= max;
}

/*
 * The transport wrote done bytes from the head of the output: count the
 * replies they complete. The output holds whole messages, but for what a
 * restarted daemon queued again (lu-ring.c), which may begin inside one:
 * bytes that do not read as a header are taken as the rest of a message
 * that is no reply.
 */
static void
conn_out_written(struct conn *c, size_t done)
{
	struct xs_header	 h;
	size_t			 off = 0, left = buf_used(&c->out), n;

	while (done > 0) {
		if (c->out_head == 0) {
			if (left - off >= XS_HEADER_SIZE &&
			    xs_wire_header_decode(c->out.data + c->out.off +
			    off, &h) == 0) {
				c->out_head = XS_HEADER_SIZE + (size_t)h.len;
				c->out_head_reply = (h.type != XS_WATCH_EVENT);
				/* An event being sent waits no more. */
				if (!c->out_head_reply &&
				    left - off >= c->out_head)
					evset_del(&c->out_events, evset_hash(
					    c->out.data + c->out.off + off +
					    XS_HEADER_SIZE, h.len));
			} else {
				c->out_head = done;
				c->out_head_reply = false;
			}
		}
		n = done < c->out_head ? done : c->out_head;
		off += n;
		done -= n;
		c->out_head -= n;
		if (c->out_head == 0 && c->out_head_reply &&
		    c->outstanding > 0)
			c->outstanding--;
	}
}

/* Create a connection over a transport and start reading it. */
struct conn *
conn_new(struct xsdbd *xd, const struct conn_ops *ops, void *priv, int fd,
    unsigned int domid)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->xd = xd;
	c->id = ++xd->next_conn_id;
	c->ops = ops;
	c->priv = priv;
	c->fd = fd;
	c->domid = domid;
	c->privileged = (domid == 0 || domid == xd->opt.priv_domid);
	c->target = UINT_MAX;
	c->next_tx_id = 1;
	TAILQ_INIT(&c->txns);
	TAILQ_INSERT_TAIL(&xd->conns, c, entry);
	xd->nconns++;
	trace_conn(xd, c, true);
	log_debug("connection %llu (%s, domain %u) opened",
	    (unsigned long long)c->id, ops->name, domid);
	return c;
}

/* Whether the connection should be read now. */
bool
conn_want_read(const struct conn *c)
{
	if (c->flags & (CONN_BAD | CONN_DEAD | CONN_EOF))
		return false;
	if (buf_used(&c->out) >= conn_pause_bytes(c->xd))
		return false;
	if (conn_outstanding_full(c, 0))
		return false;
	/* Do not buffer more than a few chunks of unparsed input. */
	if (buf_used(&c->in) >= 4 * XSDBD_READ_CHUNK)
		return false;
	return true;
}

/* Whether the connection has output to send. */
bool
conn_want_write(const struct conn *c)
{
	if (c->flags & CONN_DEAD)
		return false;
	return buf_used(&c->out) > 0;
}

/* True if a whole request (or a bad header) waits in the input. */
static bool
conn_has_request(const struct conn *c)
{
	struct xs_header	h;
	size_t			used = buf_used(&c->in);

	if (used < XS_HEADER_SIZE)
		return false;
	if (xs_wire_header_decode(c->in.data + c->in.off, &h) != 0)
		return true;
	return used >= XS_HEADER_SIZE + (size_t)h.len;
}

/* Put the connection on the ready list if it has work for this turn. */
static void
conn_schedule(struct conn *c)
{
	struct xsdbd	*xd = c->xd;

	if (c->flags & (CONN_READY | CONN_BAD | CONN_DEAD))
		return;
	if (buf_used(&c->out) >= conn_pause_bytes(xd))
		return;
	if (conn_outstanding_full(c, 0))
		return;
	if (!conn_has_request(c))
		return;
	c->flags |= CONN_READY;
	TAILQ_INSERT_TAIL(&xd->ready, c, ready_entry);
}

/*
 * The transport says the connection may be read: read what is there. Bytes
 * are read into the daemon's buffer and only what arrived is kept, so an
 * idle connection holds no large buffer.
 */
void
conn_input(struct conn *c)
{
	struct xsdbd	*xd = c->xd;
	size_t		 done;
	int		 rc;

	while (conn_want_read(c)) {
		rc = c->ops->read(c, xd->readbuf, sizeof xd->readbuf, &done);
		if (rc == EPIPE) {
			/* Answer what was sent before the end, then close. */
			c->flags |= CONN_EOF;
			break;
		}
		if (rc != 0) {
			conn_kill(c, strerror(rc));
			return;
		}
		if (done == 0)
			break;
		if (buf_add(&c->in, xd->readbuf, done) != 0) {
			conn_kill(c, "out of memory for input");
			return;
		}
		if (done < sizeof xd->readbuf)
			break;
	}
	conn_schedule(c);
	if ((c->flags & CONN_EOF) && conn_closing_done(c))
		conn_kill(c, NULL);
	c->ops->update(c);
}

/* The transport says the connection may be written: send what we can. */
void
conn_output(struct conn *c)
{
	size_t	done;
	int	rc;

	if (c->flags & CONN_DEAD)
		return;
	while (buf_used(&c->out) > 0) {
		rc = c->ops->write(c, c->out.data + c->out.off,
		    buf_used(&c->out), &done);
		if (rc != 0) {
			conn_kill(c, rc == EPIPE ? NULL : strerror(rc));
			return;
		}
		if (done == 0)
			break;
		conn_out_written(c, done);
		buf_drain(&c->out, done);
	}
	/* Give back a large buffer once it is empty. */
	if (buf_used(&c->out) == 0 && c->out.cap > XSDBD_KEEP_BUF)
		buf_free(&c->out);
	if ((c->flags & (CONN_BAD | CONN_EOF)) && conn_closing_done(c)) {
		conn_kill(c, NULL);
		return;
	}
	conn_schedule(c);
	c->ops->update(c);
}

/*
 * A closing connection (bad or at end of stream) may go once its output
 * is out and, at end of stream, every request it sent is answered.
 */
static bool
conn_closing_done(const struct conn *c)
{
	if (buf_used(&c->out) > 0 || c->pending > 0)
		return false;
	if ((c->flags & CONN_EOF) && !(c->flags & CONN_BAD) &&
	    conn_has_request(c))
		return false;
	return true;
}

/*
 * True if msg (header h) is a watch event the same as one waiting whole
 * in c's output; else *hash is its key, 0 if it is not one to count.
 */
static bool
conn_event_waits(struct conn *c, const struct xs_header *h, const char *msg,
    uint64_t *hash)
{
	const char	*payload = msg + XS_HEADER_SIZE;

	*hash = 0;
	if (h->type != XS_WATCH_EVENT || h->len == 0 || payload[0] == '@')
		return false;
	*hash = evset_hash(payload, h->len);
	return evset_count(&c->out_events, *hash) > 0;
}

/* Append a whole message to the output and plan to flush it. */
void
conn_out_add(struct conn *c, const void *msg, size_t len)
{
	struct xsdbd		*xd = c->xd;
	struct xs_header	 h;
	uint64_t		 hash;

	if ((c->flags & CONN_DEAD) || len < XS_HEADER_SIZE)
		return;
	(void)xs_wire_header_decode(msg, &h);
	if (buf_used(&c->out) == 0) {
		/* All written, or dropped by the transport. */
		c->outstanding = 0;
		c->out_head = 0;
		evset_clear(&c->out_events);
	}
	if (conn_event_waits(c, &h, msg, &hash))
		return;
	if (xd->trace != NULL)
		trace_out(xd, c, &h, (const char *)msg + XS_HEADER_SIZE);
	if (buf_add(&c->out, msg, len) != 0) {
		conn_kill(c, "out of memory for output");
		return;
	}
	/* Out of memory for the count: the event is just not matched. */
	if (hash != 0)
		(void)evset_add(&c->out_events, hash);
	if (h.type != XS_WATCH_EVENT)
		c->outstanding++;
	if (!(c->flags & CONN_FLUSH)) {
		c->flags |= CONN_FLUSH;
		TAILQ_INSERT_TAIL(&xd->flush, c, flush_entry);
	}
}

/*
 * Queue a message. While requests are being handled it waits for the
 * group commit (group.c); otherwise it goes straight to the output.
 * Returns 0, E2BIG or ENOMEM.
 */
int
conn_queue(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
    const void *payload, uint32_t len)
{
	struct xsdbd		*xd = c->xd;
	struct xs_header	 h;
	char			 msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX];

	if (len > XS_PAYLOAD_MAX)
		return E2BIG;
	if (c->flags & CONN_DEAD)
		return 0;
	h.type = type;
	h.req_id = req_id;
	h.tx_id = tx_id;
	h.len = len;
	if (xd->group.collecting)
		return group_add_msg(xd, c, &h, payload, false);
	xs_wire_header_encode(msg, &h);
	if (len > 0)
		memcpy(msg + XS_HEADER_SIZE, payload, len);
	conn_out_add(c, msg, XS_HEADER_SIZE + (size_t)len);
	return 0;
}

/*
 * Queue a WATCH_EVENT "path\0token\0". An event too long for one message
 * is dropped, as Xen's daemon does.
 */
int
conn_queue_event(struct conn *c, const char *path, const char *token)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	plen = strlen(path) + 1, tlen = strlen(token) + 1;

	if (plen + tlen > XS_PAYLOAD_MAX)
		return E2BIG;
	memcpy(buf, path, plen);
	memcpy(buf + plen, token, tlen);
	return conn_queue(c, XS_WATCH_EVENT, 0, 0, buf,
	    (uint32_t)(plen + tlen));
}

/*
 * A protocol violation: stop reading, let the output drain, then close
 * (tmux's PEER_BAD).
 */
void
conn_bad(struct conn *c, const char *why)
{
	if (c->flags & (CONN_BAD | CONN_DEAD))
		return;
	log_info("connection %llu (domain %u): %s: closing it",
	    (unsigned long long)c->id, c->domid, why);
	c->flags |= CONN_BAD;
	buf_reset(&c->in);
	if (conn_closing_done(c))
		conn_kill(c, NULL);
	else
		c->ops->update(c);
}

/* Mark the connection to be freed at the end of the turn. */
void
conn_kill(struct conn *c, const char *why)
{
	if (c->flags & CONN_DEAD)
		return;
	if (why != NULL)
		log_info("connection %llu (domain %u) dropped: %s",
		    (unsigned long long)c->id, c->domid, why);
	c->flags |= CONN_DEAD;
	c->ops->update(c);
	if (!(c->flags & CONN_FLUSH)) {
		/* The flush list is where the end of the turn finds it. */
		c->flags |= CONN_FLUSH;
		TAILQ_INSERT_TAIL(&c->xd->flush, c, flush_entry);
	}
}

/* True if some connection has requests left to handle without reading. */
bool
conn_busy(const struct xsdbd *xd)
{
	return !TAILQ_EMPTY(&xd->ready) || !TAILQ_EMPTY(&xd->flush);
}

/* Handle up to XSDBD_REQ_PER_TURN complete requests of one connection. */
static void
conn_process_one(struct conn *c)
{
	struct xsdbd		*xd = c->xd;
	struct xs_header	 h;
	unsigned int		 n;
	size_t			 used;

	for (n = 0; n < XSDBD_REQ_PER_TURN; n++) {
		if (c->flags & (CONN_BAD | CONN_DEAD))
			break;
		used = buf_used(&c->in);
		if (used < XS_HEADER_SIZE)
			break;
		if (xs_wire_header_decode(c->in.data + c->in.off, &h) != 0) {
			conn_bad(c, "payload over 4096 bytes");
			break;
		}
		if (used < XS_HEADER_SIZE + (size_t)h.len)
			break;
		if (conn_outstanding_full(c, n))
			break;
		memcpy(xd->reqbuf, c->in.data + c->in.off + XS_HEADER_SIZE,
		    h.len);
		xd->reqbuf[h.len] = '\0';
		buf_drain(&c->in, XS_HEADER_SIZE + (size_t)h.len);
		dispatch(c, &h, xd->reqbuf);
	}
	if (buf_used(&c->in) == 0 && c->in.cap > XSDBD_KEEP_BUF)
		buf_free(&c->in);
}

/* Handle the requests of every ready connection, each in its turn. */
static void
conn_process(struct xsdbd *xd)
{
	struct conn_list	 todo;
	struct conn		*c;

	if (TAILQ_EMPTY(&xd->ready))
		return;
	TAILQ_INIT(&todo);
	TAILQ_CONCAT(&todo, &xd->ready, ready_entry);

	xd->group.collecting = true;
	while ((c = TAILQ_FIRST(&todo)) != NULL) {
		if (xd->group.msgs.len + xd->group.reqs.len >=
		    XSDBD_TURN_BYTES)
			break;
		TAILQ_REMOVE(&todo, c, ready_entry);
		c->flags &= ~CONN_READY;
		conn_process_one(c);
	}
	xd->group.collecting = false;
	/* Those not reached go first next turn, before any rescheduled. */
	TAILQ_CONCAT(&todo, &xd->ready, ready_entry);
	TAILQ_CONCAT(&xd->ready, &todo, ready_entry);
}

/*
 * The end of a loop turn (Redis's beforeSleep): handle the requests read
 * in this turn, commit their writes in one transaction, release replies
 * and events, send what can be sent, and free the connections that died.
 */
void
conn_end_of_turn(struct xsdbd *xd)
{
	struct conn	*c;

	conn_process(xd);
	group_commit(xd);

	while ((c = TAILQ_FIRST(&xd->flush)) != NULL) {
		TAILQ_REMOVE(&xd->flush, c, flush_entry);
		c->flags &= ~CONN_FLUSH;
		if (c->flags & CONN_DEAD) {
			conn_free(c);
			continue;
		}
		conn_output(c);
		if (!(c->flags & CONN_DEAD) &&
		    buf_used(&c->out) > xd->opt.out_max)
			conn_kill(c, "too much output queued: not reading");
		if (c->flags & CONN_DEAD) {
			if (c->flags & CONN_FLUSH) {
				TAILQ_REMOVE(&xd->flush, c, flush_entry);
				c->flags &= ~CONN_FLUSH;
			}
			conn_free(c);
			continue;
		}
		/* Input that was paused may go on now. */
		conn_schedule(c);
	}
}

/* Free a connection: its transactions, watches, buffers and transport. */
static void
conn_free(struct conn *c)
{
	struct xsdbd	*xd = c->xd;

	log_debug("connection %llu closed", (unsigned long long)c->id);
	if (c->flags & CONN_READY)
		TAILQ_REMOVE(&xd->ready, c, ready_entry);
	if (c->flags & CONN_FLUSH)
		TAILQ_REMOVE(&xd->flush, c, flush_entry);
	TAILQ_REMOVE(&xd->conns, c, entry);
	xd->nconns--;
	txn_conn_free(c);
	watch_conn_free(c);
	trace_conn(xd, c, false);
	c->ops->close(c);
	buf_free(&c->in);
	buf_free(&c->out);
	evset_free(&c->out_events);
	free(c);
}

/* Free every connection (shutdown). */
void
conn_free_all(struct xsdbd *xd)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&xd->conns)) != NULL) {
		c->flags |= CONN_DEAD;
		conn_free(c);
	}
}

/*
 * lu-ring.c - a guest gets exactly one reply to each request, whatever
 * the moment the daemon dies or is replaced.
 *
 * A guest puts a request in its ring and waits for the reply. Once the
 * daemon moves req_cons past the request, the guest will not send it
 * again; once the reply is in rsp, the guest has it. A daemon killed in
 * between must neither lose the request nor run a committed one twice
 * (an RM answered ENOENT the second time, a TRANSACTION_END answered
 * ENOENT), nor lose or repeat its reply. So each ring connection keeps a
 * record in STORE_TABLE_CONNS, written in the group's write transaction
 * with the changes of the requests it describes (group.c calls
 * lu_ring_save just before every commit of the group):
 *
 *	cons	the req index up to which the ring's bytes are either
 *		handled (their requests' changes are in this commit) or
 *		kept in the record (in, below);
 *	in	bytes read from the ring and not yet handled: a partial
 *		request, or whole ones left for a later turn;
 *	head	the first bytes of the output not yet in rsp, exactly as they
 *		will go there, from out_pos (the rsp index they start at);
 *	replies	every reply waiting behind the head: those already queued
 *		and those of this commit, which are released after it;
 *	tx ids	the connection's open transactions and its next tx id.
 *
 * Reading does not move req_cons: the bytes are copied ("peeked") and
 * req_cons is set to cons only after the commit that holds the record
 * (lu_ring_saved), so a request read but not committed is read again
 * after a restart. Every turn in which a ring was read commits, even a
 * turn of reads only, and a reply to a guest is released only after the
 * commit that holds it: a restart finds in the record every reply the
 * guest may still be waiting for.
 *
 * Which of them did it get? Events are not in the record: they are
 * fired again once after a restart (persisted watches) and may be lost.
 * Between the commits, events come between the replies in the output,
 * so the rsp index of a reply is not known when the record is written.
 * Two rules keep the restart exact:
 *
 *	- past the head, only whole messages go into rsp (a reply or an
 *	  event is never left half written there unless the record holds
 *	  it in its head);
 *	- past the head, at most XS_RING_SIZE bytes are written before the
 *	  next record: those are then all still in rsp's buffer, which
 *	  holds the last XS_RING_SIZE bytes written.
 *
 * At a restart with rsp_prod = P: a P inside the head tells how much of
 * it went; a P past the head is reached by walking the messages written
 * since, read back from rsp: each one equal to the next reply of the
 * record counts as sent, any other was an event (or a reply of a failed
 * commit, written whole). The rest is queued again. For example:
 *
 *	record: out_pos 100, head "E1" (30 bytes), replies R1 (20), R2 (40)
 *	rsp_prod 110: E1 from its 11th byte, then R1 and R2;
 *	rsp_prod 150: past the head by 20 bytes, which read back as R1: R2;
 *	rsp_prod 190: 60 bytes past the head read back as an event of 40
 *	bytes and R1: R2 again;
 *	rsp_prod 170 with R2 begun after R1: impossible, R2 would have gone
 *	whole, unless it was in the head of a later record.
 *
 * Input: a restart sets req_cons to the record's cons if the daemon died
 * between the commit and setting it, and starts the connection with the
 * record's in. Requests after cons are read again from the ring.
 *
 * Transactions die with the daemon; their ids are kept so that the
 * guest's TRANSACTION_END, and any request in them, answers EAGAIN, not
 * ENOENT.
 *
 * A live update writes every ring's record at once, then execs: the new
 * daemon attaches the rings as after a crash, with nothing lost (the
 * output, events included, is all in the heads then).
 *
 * What is not covered: a commit that fails (the store's disk is full, an
 * I/O error) answers the requests of its group with ERROR without a
 * record: a crash before the next record commits may run them again.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

#define LU_RING_VERSION		1
#define LU_RING_KEY(domid, n)	((uint64_t)(domid) << 32 | (uint32_t)(n))
#define LU_RING_CHUNK		32768U	/* bytes per chunk record */
#define LU_RING_HEAD_MIN	4096U	/* head kept, at least */
#define LU_RING_HDR_FIELDS	11	/* uint32 fields before the tx ids */
#define LU_RING_TX_MAX		4096	/* tx ids a record holds */

/* The ring state of a connection (c->lu), on xd->lu_rings. */
struct lu_conn {
	struct conn	*conn;
	struct lu_conn	*next;
	struct lu_conn	*prev;
	uint32_t	 cons;		/* req_cons as the daemon left it */
	uint32_t	 rpos;		/* req index of the next byte to read */
	uint32_t	 wpos;		/* rsp index of c->out's first byte */
	uint32_t	 cur_left;	/* bytes of c->out's first message still
					   to write, 0 at a boundary */
	uint32_t	 exact_end;	/* rsp index up to which the output is
					   in the committed record's head */
	uint32_t	 nchunks;	/* chunks of the committed record */
	bool		 dirty;		/* the record must be written again */
	bool		 saving;	/* its record is in the commit */
	uint32_t	 pend_cons;
	uint32_t	 pend_exact;
	uint32_t	 pend_nchunks;
};

/* The fixed part of a record, in its order. */
struct lu_ring_hdr {
	uint32_t	 version;
	uint32_t	 cons;
	uint32_t	 out_pos;
	uint32_t	 head_first;	/* bytes of head's first message that
					   belong to a message begun before */
	uint32_t	 head_len;
	uint32_t	 nreplies;
	uint32_t	 replies_len;
	uint32_t	 in_len;
	uint32_t	 nchunks;
	uint32_t	 next_tx_id;
	uint32_t	 ntx;
};

static bool	 lu_ring_header(const char *, size_t, size_t *);
static void	 lu_ring_sync_out(struct conn *);
static size_t	 lu_ring_head_len(const struct conn *, bool);
static int	 lu_ring_add_msg(struct buf *, const char *, size_t,
		     uint32_t *);
static int	 lu_ring_build(struct xsdbd *, struct conn *, bool,
		     struct buf *, struct lu_ring_hdr *);
static int	 lu_ring_put(struct store_txn *, struct conn *, bool);
static int	 lu_ring_load(struct store_txn *, unsigned int,
		     struct lu_ring_hdr *, uint32_t **, struct buf *);
static void	 lu_ring_apply(struct conn *, const struct lu_ring_hdr *,
		     const uint32_t *, const struct buf *);
static void	 lu_ring_apply_out(struct conn *, struct xs_ring *,
		     const struct lu_ring_hdr *, const char *, const char *);
static size_t	 lu_ring_boundary(const char *, size_t, size_t, size_t);
static void	 lu_ring_rsp_copy(struct xs_ring *, uint32_t, char *,
		     size_t);
static int	 lu_ring_store_now(struct xsdbd *, struct conn *);

/* The length of the message whose header is at p (len bytes there). */
static bool
lu_ring_header(const char *p, size_t len, size_t *mlen)
{
	struct xs_header	h;

	if (len < XS_HEADER_SIZE)
		return false;
	memcpy(&h, p, sizeof h);
	if (h.len > XS_PAYLOAD_MAX)
		return false;
	*mlen = XS_HEADER_SIZE + (size_t)h.len;
	return true;
}

/* A ring state for conn_ring_new, or NULL if out of memory. */
struct lu_conn *
lu_ring_alloc(void)
{
	return calloc(1, sizeof(struct lu_conn));
}

/*
 * Start the ring state lc of a connection (conn_ring_new): at start-up
 * from the domain's record, if it has one that fits the ring; otherwise
 * from the indices as they are.
 */
void
lu_ring_attach(struct conn *c, struct lu_conn *lc)
{
	struct xsdbd		*xd = c->xd;
	struct xs_ring		*r = conn_ring_page(c);
	struct lu_ring_hdr	 h;
	struct store_txn	*t;
	struct buf		 data;
	uint32_t		*tx = NULL;
	int			 rc;

	c->lu = lc;
	lc->conn = c;
	if ((lc->next = xd->lu_rings) != NULL)
		lc->next->prev = lc;
	xd->lu_rings = lc;
	lc->cons = lc->rpos = xs_ring_load(&r->req_cons);
	lc->wpos = xs_ring_load(&r->rsp_prod);
	lc->exact_end = lc->wpos;
	lc->dirty = true;
	if (xd->running)
		return;		/* INTRODUCE: the ring is reset next */

	memset(&data, 0, sizeof data);
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_READ, &t)) == 0) {
		rc = lu_ring_load(t, c->domid, &h, &tx, &data);
		store_txn_abort(t);
	}
	if (rc == 0)
		lu_ring_apply(c, &h, tx, &data);
	else if (rc != ENOENT)
		log_warnx("domain %u: cannot read its ring record (%s): the "
		    "ring is taken as it is", c->domid, strerror(rc));
	free(tx);
	buf_free(&data);
}

/*
 * True if the ring has output that waits for a record (it asks for one
 * more turn, whose end writes it).
 */
bool
lu_ring_wants_save(const struct conn *c)
{
	return c->lu->dirty && buf_used(&c->out) > 0;
}

/* Free the ring state (the record stays for a restart). */
void
lu_ring_free(struct conn *c)
{
	struct lu_conn	*lc = c->lu;

	if (lc == NULL)
		return;
	if (lc->next != NULL)
		lc->next->prev = lc->prev;
	if (lc->prev != NULL)
		lc->prev->next = lc->next;
	else
		c->xd->lu_rings = lc->next;
	free(lc);
	c->lu = NULL;
}

/*
 * Read the guest's bytes without consuming them: 0 with *done, or EPROTO
 * for impossible indices. req_cons moves after the next commit.
 */
int
lu_ring_read(struct conn *c, void *out, size_t len, size_t *done)
{
	struct lu_conn	*lc = c->lu;
	struct xs_ring	*r = conn_ring_page(c);
	char		*dst = out;
	uint32_t	 cons, prod, avail, off, first;

	*done = 0;
	cons = xs_ring_load(&r->req_cons);
	prod = xs_ring_load(&r->req_prod);
	if (cons != lc->cons && lc->rpos == lc->cons) {
		/* Moved by someone else while nothing was in flight. */
		lc->cons = lc->rpos = cons;
	}
	if (!xs_ring_idx_ok(cons, prod) ||
	    (uint32_t)(lc->rpos - cons) > (uint32_t)(prod - cons))
		return EPROTO;
	avail = prod - lc->rpos;
	if (len < avail)
		avail = (uint32_t)len;
	if (avail == 0)
		return 0;
	off = XS_RING_MASK(lc->rpos);
	first = XS_RING_SIZE - off;
	if (first > avail)
		first = avail;
	memcpy(dst, r->req + off, first);
	if (avail > first)
		memcpy(dst + first, r->req, avail - first);
	lc->rpos += avail;
	lc->dirty = true;
	*done = avail;
	return 0;
}

/* True if the guest has bytes not yet read (or broke the indices). */
bool
lu_ring_can_read(struct conn *c)
{
	struct lu_conn	*lc = c->lu;
	struct xs_ring	*r = conn_ring_page(c);
	uint32_t	 cons, prod;

	cons = xs_ring_load(&r->req_cons);
	prod = xs_ring_load(&r->req_prod);
	if (cons != lc->cons && lc->rpos == lc->cons)
		return prod != cons;
	if (!xs_ring_idx_ok(cons, prod) ||
	    (uint32_t)(lc->rpos - cons) > (uint32_t)(prod - cons))
		return true;
	return prod != lc->rpos;
}

/*
 * How many bytes of c->out's head may go into rsp now, at most len, given
 * room bytes free there: anything of the committed head, then whole
 * messages only, ending at most XS_RING_SIZE bytes past the head. A
 * message that cannot go whole for that asks for a record.
 */
size_t
lu_ring_writable(struct conn *c, size_t len, size_t room)
{
	struct lu_conn	*lc = c->lu;
	const char	*out = c->out.data + c->out.off;
	size_t		 used = buf_used(&c->out), n = 0, mlen, limit;
	uint32_t	 free_exact, past;

	limit = len < room ? len : room;
	if (limit > used)
		limit = used;
	lu_ring_sync_out(c);
	free_exact = lc->exact_end - lc->wpos;
	if (free_exact <= INT32_MAX && free_exact > 0) {
		n = free_exact < limit ? free_exact : limit;
		if (n < free_exact)
			return n;	/* room or len ran out in the head */
	} else if (lc->cur_left > 0) {
		/* A message begun past the head: cannot happen; be safe. */
		lc->dirty = true;
		return 0;
	}
	while (n < used) {
		if (!lu_ring_header(out + n, used - n, &mlen) ||
		    mlen > used - n)
			break;
		past = (uint32_t)(lc->wpos + n + mlen - lc->exact_end);
		if (past > XS_RING_SIZE) {
			lc->dirty = true;	/* put it in a head */
			break;
		}
		if (n + mlen > limit)
			break;		/* wait for room */
		n += mlen;
	}
	return n;
}

/*
 * rsp_prod moved while nothing was being written (someone set the
 * indices): the output goes on from there, the head with it.
 */
static void
lu_ring_sync_out(struct conn *c)
{
	struct lu_conn	*lc = c->lu;
	uint32_t	 prod = xs_ring_load(&conn_ring_page(c)->rsp_prod);

	if (prod == lc->wpos)
		return;
	lc->exact_end += prod - lc->wpos;
	lc->wpos = prod;
}

/* n bytes of c->out's head went into rsp (before c->out is drained). */
void
lu_ring_wrote(struct conn *c, size_t n)
{
	struct lu_conn	*lc = c->lu;
	const char	*p = c->out.data + c->out.off;
	size_t		 used = buf_used(&c->out), take, mlen;

	lc->wpos += (uint32_t)n;
	while (n > 0) {
		if (lc->cur_left == 0) {
			if (!lu_ring_header(p, used, &mlen))
				break;
			lc->cur_left = (uint32_t)mlen;
		}
		take = n < lc->cur_left ? n : lc->cur_left;
		lc->cur_left -= (uint32_t)take;
		p += take;
		used -= take;
		n -= take;
	}
	if ((uint32_t)(lc->wpos - lc->exact_end) <= INT32_MAX &&
	    lc->wpos != lc->exact_end)
		lc->dirty = true;
}

/*
 * The ring was reset (INTRODUCE again, a reconnect): every index is 0
 * and the connection holds nothing. Inside a request the record goes
 * with its group; otherwise it is written now, so that a restart never
 * takes the old record for the new ring.
 */
void
lu_ring_reset(struct conn *c)
{
	struct lu_conn	*lc = c->lu;
	struct group	*g = &c->xd->group;
	int		 rc;

	if (lc == NULL)
		return;
	lc->cons = lc->rpos = lc->wpos = lc->exact_end = 0;
	lc->cur_left = 0;
	lc->dirty = true;
	if (g->collecting || g->wtxn != NULL || g->nested != NULL ||
	    !c->xd->running)
		return;
	if ((rc = lu_ring_store_now(c->xd, c)) != 0)
		log_warnx("domain %u: cannot record its reset ring: %s",
		    c->domid, strerror(rc));
}

/* The connection dropped its input and output (a protocol violation). */
void
lu_ring_dropped(struct conn *c)
{
	struct lu_conn	*lc = c->lu;

	if (lc == NULL)
		return;
	lc->cur_left = 0;
	lc->exact_end = lc->wpos;
	lc->dirty = true;
}

/*
 * The end of the turn's requests (group.c, before its commit): if a ring
 * must be recorded and the turn wrote nothing, open the group's write
 * transaction, so that the record commits before any reply is released.
 * A ring that handled requests this turn (pending replies) must be.
 */
void
lu_ring_turn(struct xsdbd *xd)
{
	struct store_txn	*t;
	struct lu_conn		*lc;
	struct conn		*c;
	bool			 any = false;
	int			 rc;

	for (lc = xd->lu_rings; lc != NULL; lc = lc->next) {
		c = lc->conn;
		if (c->flags & CONN_DEAD)
			continue;
		if (c->pending > 0)
			lc->dirty = true;
		any |= lc->dirty;
	}
	if (!any || xd->group.wtxn != NULL)
		return;
	if ((rc = group_write_begin(xd, &t)) != 0 ||
	    (rc = group_write_end(xd, 0)) != 0)
		log_warnx("no transaction for the rings' records: %s",
		    strerror(rc));
}

/*
 * The output of c as it will be once the group's messages are released,
 * cut in a head (bytes as they go, from c->out's first byte; all of them
 * if all) and the replies behind it, appended to data after c->in. Fills
 * the record header but for nchunks. Returns 0 or ENOMEM.
 */
static int
lu_ring_build(struct xsdbd *xd, struct conn *c, bool all, struct buf *data,
    struct lu_ring_hdr *h)
{
	struct lu_conn		*lc = c->lu;
	struct group		*g = &xd->group;
	struct group_msg	*m;
	struct xs_header	 mh;
	const char		*out = c->out.data + c->out.off, *name;
	char			 hb[XS_HEADER_SIZE];
	size_t			 used = buf_used(&c->out), head, off, mlen, i;
	unsigned int		 drop = conn_ring_drop_msgs(c);
	struct txn		*t;
	int			 rc;

	memset(h, 0, sizeof *h);
	h->version = LU_RING_VERSION;
	h->cons = lc->rpos;
	h->out_pos = lc->wpos;
	h->next_tx_id = c->next_tx_id;
	TAILQ_FOREACH(t, &c->txns, entry)
		h->ntx++;
	if (h->ntx > LU_RING_TX_MAX)
		h->ntx = LU_RING_TX_MAX;

	h->in_len = (uint32_t)buf_used(&c->in);
	if ((rc = buf_add(data, c->in.data + c->in.off, h->in_len)) != 0)
		return rc;
	head = lu_ring_head_len(c, all);
	h->head_first = lc->cur_left < head ? lc->cur_left : (uint32_t)head;
	h->head_len = (uint32_t)head;
	if ((rc = buf_add(data, out, head)) != 0)
		return rc;

	/* Replies queued behind the head. */
	for (off = head; off < used; off += mlen) {
		if (!lu_ring_header(out + off, used - off, &mlen) ||
		    mlen > used - off)
			break;
		memcpy(&mh, out + off, sizeof mh);
		if (mh.type == XS_WATCH_EVENT)
			continue;
		if (drop > 0) {
			drop--;
			continue;
		}
		if ((rc = lu_ring_add_msg(data, out + off, mlen,
		    &h->replies_len)) != 0)
			return rc;
		h->nreplies++;
	}
	/* And those of the group, released after its commit. */
	for (i = 0; i < g->nmsg; i++) {
		m = &g->msgv[i];
		if (m->conn != c)
			continue;
		xs_wire_header_decode(g->msgs.data + m->off, &mh);
		if (mh.type == XS_WATCH_EVENT)
			continue;
		if (drop > 0) {
			drop--;
			continue;
		}
		if (m->err == 0)
			rc = lu_ring_add_msg(data, g->msgs.data + m->off,
			    m->len, &h->replies_len);
		else {
			/* It becomes the error of an earlier commit. */
			name = xs_wire_error_name(m->err);
			mh.type = XS_ERROR;
			mh.len = (uint32_t)strlen(name) + 1;
			xs_wire_header_encode(hb, &mh);
			if ((rc = buf_add(data, hb, sizeof hb)) == 0)
				rc = buf_add(data, name, mh.len);
			h->replies_len += (uint32_t)sizeof hb + mh.len;
		}
		if (rc != 0)
			return rc;
		h->nreplies++;
	}
	return 0;
}

/*
 * The head of c->out: the rest of a message begun in rsp, then whole
 * messages up to LU_RING_HEAD_MIN bytes at least; or all of it (a live
 * update, where events are not lost).
 */
static size_t
lu_ring_head_len(const struct conn *c, bool all)
{
	const char	*out = c->out.data + c->out.off;
	size_t		 used = buf_used(&c->out), head, mlen;

	if (all)
		return used;
	head = c->lu->cur_left < used ? c->lu->cur_left : used;
	while (head < LU_RING_HEAD_MIN && head < used) {
		if (!lu_ring_header(out + head, used - head, &mlen) ||
		    mlen > used - head)
			return used;
		head += mlen;
	}
	return head;
}

/* Append one message to the record's data. */
static int
lu_ring_add_msg(struct buf *data, const char *msg, size_t len,
    uint32_t *total)
{
	int	rc;

	if ((rc = buf_add(data, msg, len)) == 0)
		*total += (uint32_t)len;
	return rc;
}

/*
 * Write c's record in t: the header (with the tx ids), then its data in
 * chunks; chunks of a longer record before are deleted. all: the whole
 * output in the head.
 */
static int
lu_ring_put(struct store_txn *t, struct conn *c, bool all)
{
	struct lu_conn		*lc = c->lu;
	struct lu_ring_hdr	 h;
	struct buf		 data, rec;
	struct txn		*tx;
	uint32_t		 id, n, i;
	size_t			 off, len;
	int			 rc;

	memset(&data, 0, sizeof data);
	memset(&rec, 0, sizeof rec);
	if ((rc = lu_ring_build(c->xd, c, all, &data, &h)) != 0)
		goto done;
	n = (uint32_t)((data.len + LU_RING_CHUNK - 1) / LU_RING_CHUNK);
	h.nchunks = n;
	if ((rc = buf_add(&rec, &h, sizeof h)) != 0)
		goto done;
	i = 0;
	TAILQ_FOREACH(tx, &c->txns, entry) {
		if (i++ == h.ntx)
			break;
		id = tx->id;
		if ((rc = buf_add(&rec, &id, sizeof id)) != 0)
			goto done;
	}
	if ((rc = store_table_put(t, STORE_TABLE_CONNS,
	    LU_RING_KEY(c->domid, 0), rec.data, rec.len)) != 0)
		goto done;
	for (i = 0, off = 0; i < n; i++, off += len) {
		len = data.len - off < LU_RING_CHUNK ? data.len - off :
		    LU_RING_CHUNK;
		if ((rc = store_table_put(t, STORE_TABLE_CONNS,
		    LU_RING_KEY(c->domid, i + 1), data.data + off, len)) != 0)
			goto done;
	}
	for (i = n; i < lc->nchunks; i++) {
		rc = store_table_del(t, STORE_TABLE_CONNS,
		    LU_RING_KEY(c->domid, i + 1));
		if (rc != 0 && rc != ENOENT)
			goto done;
		rc = 0;
	}
	lc->saving = true;
	lc->pend_cons = h.cons;
	lc->pend_exact = h.out_pos + h.head_len;
	lc->pend_nchunks = n;
done:
	buf_free(&data);
	buf_free(&rec);
	return rc;
}

/*
 * Just before the group's write transaction t commits: write the record
 * of every ring that needs one into it.
 */
void
lu_ring_save(struct xsdbd *xd, struct store_txn *t)
{
	struct lu_conn	*lc;
	struct conn	*c;
	int		 rc;

	for (lc = xd->lu_rings; lc != NULL; lc = lc->next) {
		c = lc->conn;
		lc->saving = false;
		if ((c->flags & CONN_DEAD) || !lc->dirty)
			continue;
		if ((rc = lu_ring_put(t, c, false)) != 0) {
			log_warnx("domain %u: cannot record its ring: %s",
			    c->domid, strerror(rc));
			return;
		}
	}
}

/*
 * The commit that held the records ended with rc: once committed, the
 * guests' requests are consumed (req_cons moves) and each guest is told,
 * since it may wait for room.
 */
void
lu_ring_saved(struct xsdbd *xd, int rc)
{
	struct lu_conn	*lc;
	struct xs_ring	*r;
	struct conn	*c;

	for (lc = xd->lu_rings; lc != NULL; lc = lc->next) {
		c = lc->conn;
		if (!lc->saving)
			continue;
		lc->saving = false;
		if (rc != 0)
			continue;
		lc->dirty = false;
		lc->exact_end = lc->pend_exact;
		lc->nchunks = lc->pend_nchunks;
		r = conn_ring_page(c);
		if (xs_ring_load(&r->req_cons) != lc->pend_cons) {
			xs_ring_store(&r->req_cons, lc->pend_cons);
			xen_notify(xd, conn_ring_port(c));
		}
		lc->cons = lc->pend_cons;
	}
}

/* Write the record of one ring in a transaction of its own. */
static int
lu_ring_store_now(struct xsdbd *xd, struct conn *c)
{
	struct store_txn	*t;
	int			 rc;

	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		return rc;
	c->lu->saving = false;
	if ((rc = lu_ring_put(t, c, false)) != 0) {
		store_txn_abort(t);
		c->lu->saving = false;
		return rc;
	}
	rc = store_txn_commit(t);
	lu_ring_saved(xd, rc);
	return rc;
}

/*
 * Write the record of every ring now, between turns (a live update),
 * with all its output, events included. Returns 0 or an errno value.
 */
int
lu_ring_save_all(struct xsdbd *xd)
{
	struct store_txn	*t;
	struct lu_conn		*lc;
	struct conn		*c;
	int			 rc;

	for (lc = xd->lu_rings; lc != NULL; lc = lc->next)
		lc->dirty = true;
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		return rc;
	for (lc = xd->lu_rings; lc != NULL; lc = lc->next) {
		c = lc->conn;
		lc->saving = false;
		if (c->flags & CONN_DEAD)
			continue;
		if ((rc = lu_ring_put(t, c, true)) != 0) {
			store_txn_abort(t);
			lu_ring_saved(xd, rc);
			return rc;
		}
	}
	rc = store_txn_commit(t);
	lu_ring_saved(xd, rc);
	return rc;
}

/*
 * A ring taken over from Xen's daemon: the bytes it had read from the
 * guest and not handled, and those it had not written yet, the first
 * partial of them the rest of a message begun in rsp. The caller writes
 * the record before anything is sent.
 */
void
lu_ring_take(struct conn *c, const void *in, size_t inlen, const void *out,
    size_t outlen, size_t partial)
{
	struct lu_conn	*lc = c->lu;

	if (buf_add(&c->in, in, inlen) != 0 ||
	    buf_add(&c->out, out, outlen) != 0) {
		conn_kill(c, "out of memory");
		return;
	}
	conn_ring_follow(c, in, inlen);
	lc->cur_left = (uint32_t)(partial < outlen ? partial : outlen);
	lc->dirty = true;
}

/* A domain goes: delete its record in t (the transaction releasing it). */
int
lu_ring_forget(struct store_txn *t, unsigned int domid)
{
	const void		*val;
	struct lu_ring_hdr	 h;
	size_t			 len;
	uint32_t		 i;
	int			 rc;

	rc = store_table_get(t, STORE_TABLE_CONNS, LU_RING_KEY(domid, 0),
	    &val, &len);
	if (rc == ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	memset(&h, 0, sizeof h);
	if (len >= sizeof h)
		memcpy(&h, val, sizeof h);
	for (i = 0; i <= h.nchunks; i++) {
		rc = store_table_del(t, STORE_TABLE_CONNS,
		    LU_RING_KEY(domid, i));
		if (rc != 0 && rc != ENOENT)
			return rc;
	}
	return 0;
}

/*
 * Read the record of domid: its header, tx ids (malloc'ed) and data.
 * Returns 0, ENOENT, EINVAL (a record this build does not read), ENOMEM.
 */
static int
lu_ring_load(struct store_txn *t, unsigned int domid, struct lu_ring_hdr *h,
    uint32_t **tx, struct buf *data)
{
	const void	*val;
	size_t		 len;
	uint32_t	 i;
	int		 rc;

	*tx = NULL;
	if ((rc = store_table_get(t, STORE_TABLE_CONNS, LU_RING_KEY(domid, 0),
	    &val, &len)) != 0)
		return rc;
	if (len < sizeof *h)
		return EINVAL;
	memcpy(h, val, sizeof *h);
	if (h->version != LU_RING_VERSION || h->ntx > LU_RING_TX_MAX ||
	    len != sizeof *h + (size_t)h->ntx * sizeof(uint32_t))
		return EINVAL;
	if (h->ntx > 0) {
		if ((*tx = calloc(h->ntx, sizeof **tx)) == NULL)
			return ENOMEM;
		memcpy(*tx, (const char *)val + sizeof *h,
		    h->ntx * sizeof **tx);
	}
	for (i = 0; i < h->nchunks; i++) {
		if ((rc = store_table_get(t, STORE_TABLE_CONNS,
		    LU_RING_KEY(domid, i + 1), &val, &len)) != 0)
			goto fail;
		if ((rc = buf_add(data, val, len)) != 0)
			goto fail;
	}
	if ((uint64_t)h->in_len + h->head_len + h->replies_len != data->len ||
	    h->head_first > h->head_len) {
		rc = EINVAL;
		goto fail;
	}
	return 0;

fail:
	free(*tx);
	*tx = NULL;
	return rc == ENOENT ? EINVAL : rc;
}

/*
 * Start a connection from its record, at start-up: the input where the
 * daemon was, the output the guest has not had, its transactions dead.
 */
static void
lu_ring_apply(struct conn *c, const struct lu_ring_hdr *h, const uint32_t *tx,
    const struct buf *data)
{
	struct lu_conn	*lc = c->lu;
	struct xs_ring	*r = conn_ring_page(c);
	const char	*in = data->data, *head = in + h->in_len;
	uint32_t	 cons, prod, i;

	cons = xs_ring_load(&r->req_cons);
	prod = xs_ring_load(&r->req_prod);
	if (xs_ring_idx_ok(cons, prod) &&
	    (uint32_t)(h->cons - cons) <= (uint32_t)(prod - cons)) {
		if (h->cons != cons)
			xs_ring_store(&r->req_cons, h->cons);
		lc->cons = lc->rpos = h->cons;
		if (buf_add(&c->in, in, h->in_len) != 0)
			log_warnx("domain %u: out of memory for its input",
			    c->domid);
	} else
		log_warnx("domain %u: its ring record does not match the "
		    "request indices: the ring is taken as it is", c->domid);

	lu_ring_apply_out(c, r, h, head, head + h->head_len);

	for (i = 0; i < h->ntx; i++) {
		if (txn_find(c, tx[i]) == NULL && txn_lu_add(c, tx[i]) == NULL)
			log_warnx("domain %u: out of memory for its "
			    "transactions", c->domid);
	}
	if (h->next_tx_id != 0)
		c->next_tx_id = h->next_tx_id;
	lc->dirty = true;
}

/*
 * The output of a record against rsp_prod (see the top of the file):
 * queue what the guest has not had.
 */
static void
lu_ring_apply_out(struct conn *c, struct xs_ring *r,
    const struct lu_ring_hdr *h, const char *head, const char *replies)
{
	struct lu_conn	*lc = c->lu;
	char		 seen[XS_RING_SIZE];
	uint32_t	 prod = xs_ring_load(&r->rsp_prod), done, past;
	size_t		 off = 0, roff = 0, mlen, rlen, skip = 0, b;
	bool		 ok = true;

	lc->wpos = prod;
	lc->exact_end = prod;
	done = prod - h->out_pos;
	if (done <= h->head_len) {
		/* Within the head. */
		b = lu_ring_boundary(head, h->head_len, h->head_first, done);
		lc->cur_left = (uint32_t)(b - done);
		if (buf_add(&c->out, head + done, h->head_len - done) != 0 ||
		    buf_add(&c->out, replies, h->replies_len) != 0)
			goto nomem;
		lc->exact_end = h->out_pos + h->head_len;
		return;
	}
	past = prod - (h->out_pos + h->head_len);
	if (past > XS_RING_SIZE) {
		log_warnx("domain %u: its ring record does not match the "
		    "reply indices: replies recorded are not sent again",
		    c->domid);
		return;
	}
	/* Walk what went past the head, read back from rsp. */
	lu_ring_rsp_copy(r, h->out_pos + h->head_len, seen, past);
	while (off < past) {
		if (!lu_ring_header(seen + off, past - off, &mlen)) {
			ok = false;
			break;
		}
		if (roff < h->replies_len &&
		    lu_ring_header(replies + roff, h->replies_len - roff,
		    &rlen) && rlen == mlen &&
		    memcmp(seen + off, replies + roff,
		    mlen < past - off ? mlen : past - off) == 0) {
			if (mlen > past - off) {
				/* The reply went in part. */
				skip = past - off;
				lc->cur_left = (uint32_t)(mlen - skip);
				lc->exact_end = prod + lc->cur_left;
				break;
			}
			roff += rlen;
		} else if (mlen > past - off) {
			ok = false;	/* something else cut short */
			break;
		}
		off += mlen;
	}
	if (!ok)
		log_warnx("domain %u: rsp holds a message cut short that the "
		    "record does not have", c->domid);
	if (buf_add(&c->out, replies + roff + skip,
	    h->replies_len - roff - skip) != 0)
		goto nomem;
	return;

nomem:
	log_warnx("domain %u: out of memory for its replies", c->domid);
}

/*
 * In a run of len bytes whose first message has first bytes there (the
 * rest of one begun before), the first message boundary at or after at.
 */
static size_t
lu_ring_boundary(const char *p, size_t len, size_t first, size_t at)
{
	size_t	off = first, mlen;

	if (at <= first)
		return first;
	while (off < len && off < at) {
		if (!lu_ring_header(p + off, len - off, &mlen))
			return len;
		off += mlen;
	}
	return off < len ? off : len;
}

/* Copy len bytes of rsp's buffer from index from (len <= its size). */
static void
lu_ring_rsp_copy(struct xs_ring *r, uint32_t from, char *out, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		out[i] = r->rsp[XS_RING_MASK(from + (uint32_t)i)];
}

/*
 * group.c - the group commit: the writes of every request handled in one
 * loop turn share one LMDB write transaction.
 *
 * Each writing request runs in the turn's transaction itself
 * (group_write_begin or group_atomic_begin, then group_write_end), not in
 * a nested one: LMDB's nested transactions are not cheap (a child's
 * begin allocates a dirty list and a free list, some 3 MiB, each page it
 * touches is copied from its parent, and its commit merges the lists),
 * and without them the store may write its map in place (MDB_WRITEMAP,
 * store.h). A request's changes are recorded through the store's
 * observer. When it fails:
 *
 *	- a request that can run again (DISPATCH_REDO): WRITE, MKDIR, RM and
 *	  SET_PERMS (DISPATCH_ATOMIC, through group_atomic_begin), which
 *	  check path, rights and quota before they change anything, and
 *	  TRANSACTION_END, which changes nothing when it conflicts. Failing
 *	  before a change (the transaction's error is not set, and the
 *	  generation has not moved: every change of a node takes the next
 *	  value of the counter), it answers its error while the others go
 *	  on. Failing after one (a full map, EIO, ENOMEM, a node quota found
 *	  exceeded after a transaction's writes), it has spoilt the turn's
 *	  transaction, which is aborted (the store grows a full map then);
 *	  the requests of the turn since the last commit run again
 *	  (DISPATCH_REDO, as for a map full at commit, below) on a new one,
 *	  which then commits, and the failed request answers its error
 *	  (dispatch.c and txn.c try it once more after ENOSPC);
 *	- any other (a WATCH's record of a ring connection, a domain
 *	  operation, a domain's death) cannot run again, and so never
 *	  shares a transaction with the writes of other requests: what the
 *	  turn wrote before commits first, and what it writes itself
 *	  commits before the next request writes (the transaction is
 *	  "fragile"). If it fails, its transaction is aborted, which loses
 *	  nothing else.
 *
 * While requests run again, one that fails after a change loses their
 * transaction once more: they run again from the first, without it.
 *
 * Every message queued while requests are handled waits here, in order,
 * until the end of the turn (Redis's beforeSleep: persist, then answer):
 *
 *	1. the turn's transaction commits;
 *	2. the messages are released in the order they were queued; before
 *	   each one the changes its request made are handed to
 *	   watch_changed, so that a writer watching its own write gets the
 *	   event before the reply, as from Xen's daemon;
 *	3. if the commit failed, every message answered from the group
 *	   (writes, and reads that saw uncommitted writes) becomes an ERROR
 *	   with the commit's error, and its changes fire nothing.
 *
 * So no reply acknowledges a change before the change is committed, and a
 * read outside a transaction sees every write answered before it.
 *
 * A full map. The store answers ENOSPC when a write reaches the end of
 * its map, and enlarges the map when the top-level transaction ends. A
 * write that fails so is tried once more after committing what the turn
 * has so far (group_split, from dispatch.c). The commit itself may
 * also need pages and fail so; then the turn's requests that touch nothing
 * but the store (DISPATCH_REDO: node requests and TRANSACTION_END) run
 * again, in their order, on the grown map, each replacing its reply in
 * place, and the group commits again. Requests with effects outside the
 * store that write (domain operations) run in a group of their own, so
 * that such a failure is theirs alone.
 *
 * Reads of a turn with no write yet use a read snapshot (group.rtxn), so a
 * turn of reads never takes the write lock.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

static int	group_grow(void **, size_t *, size_t, size_t);
static void	group_end_snapshot(struct xsdbd *);
static void	group_fail(struct xsdbd *, int);
static int	group_wtxn(struct xsdbd *);
static int	group_begin(struct xsdbd *, bool, struct store_txn **);
static void	group_rerun(struct xsdbd *);
static int	group_redo(struct xsdbd *);
static void	group_fire(struct xsdbd *, size_t, size_t);
static int	group_set_reply(struct group *, struct group_msg *,
		    const struct xs_header *, const void *);

/* Make room for one more element in a growable array. */
static int
group_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t	 ncap;
	void	*p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	if ((p = reallocarray(*v, ncap, size)) == NULL)
		return ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

/* End the read snapshot of the turn, if any. */
static void
group_end_snapshot(struct xsdbd *xd)
{
	if (xd->group.rtxn != NULL) {
		store_txn_abort(xd->group.rtxn);
		xd->group.rtxn = NULL;
	}
}

/*
 * The turn's view of the store outside transactions: its write
 * transaction once it has one, else a read snapshot.
 */
int
group_read_txn(struct xsdbd *xd, struct store_txn **t)
{
	struct group	*g = &xd->group;
	int		 rc;

	if (g->wtxn != NULL) {
		*t = g->wtxn;
		return 0;
	}
	if (g->rtxn == NULL) {
		rc = store_txn_begin(xd->store, NULL, STORE_TXN_READ,
		    &g->rtxn);
		if (rc != 0)
			return rc;
	}
	*t = g->rtxn;
	return 0;
}

/*
 * Start the turn's write transaction if there is none. Reads from then on
 * see the turn's writes.
 */
static int
group_wtxn(struct xsdbd *xd)
{
	struct group	*g = &xd->group;
	int		 rc;

	if (g->wtxn != NULL)
		return 0;
	group_end_snapshot(xd);
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE,
	    &g->wtxn)) != 0)
		return rc;
	g->dirty = false;
	g->fragile = false;
	return 0;
}

/*
 * Let the running request write in the turn's transaction, started if
 * needed; can_redo if it can run again. One that cannot never shares it
 * with another's writes (see the top of the file). Its changes are
 * recorded.
 */
static int
group_begin(struct xsdbd *xd, bool can_redo, struct store_txn **t)
{
	struct group	*g = &xd->group;
	int		 rc;

	if (g->nested != NULL)
		fatalx("group write already open");
	if (g->redoing)
		can_redo = true;
	else if (g->wtxn != NULL && (g->fragile || (!can_redo && g->dirty)))
		group_split(xd);
	if ((rc = group_wtxn(xd)) != 0)
		return rc;
	if (!can_redo)
		g->fragile = true;
	g->nested = g->wtxn;
	g->can_redo = can_redo;
	g->was_dirty = g->dirty;
	g->gen_before = store_generation(g->wtxn);
	g->nested_chg = g->nchg;
	g->nested_paths = g->paths.len;
	store_txn_observe(g->wtxn, group_note_change, xd);
	*t = g->wtxn;
	return 0;
}

/*
 * Begin the writes of a request (a domain operation, a WATCH's record, a
 * TRANSACTION_END, whose request can run again: g->redo_req).
 */
int
group_write_begin(struct xsdbd *xd, struct store_txn **t)
{
	return group_begin(xd, xd->group.redo_req, t);
}

/*
 * Run fn in a write transaction for the daemon's own records (watches,
 * domains), outside any XS transaction: the running request's (a domain
 * operation), one nested in the turn's group (committed with the turn),
 * or, between turns, one of our own committed at once.
 */
int
group_store(struct xsdbd *xd, group_store_fn *fn, void *arg)
{
	struct group		*g = &xd->group;
	struct store_txn	*t;
	int			 rc;

	if (g->nested != NULL)
		return fn(xd, g->nested, arg);
	if (g->collecting || g->wtxn != NULL) {
		if ((rc = group_write_begin(xd, &t)) != 0)
			return group_write_end(xd, rc);
		return group_write_end(xd, fn(xd, t, arg));
	}
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		return rc;
	if ((rc = fn(xd, t, arg)) != 0) {
		store_txn_abort(t);
		return rc;
	}
	return store_txn_commit(t);
}

/* Begin the writes of a DISPATCH_ATOMIC request. */
int
group_atomic_begin(struct xsdbd *xd, struct store_txn **t)
{
	return group_begin(xd, true, t);
}

/*
 * End the writes of the running request: keep them if err is 0. If it
 * failed, unless it can run again and changed nothing (the transaction's
 * error is not set, the generation did not move), the turn's transaction
 * is lost: abort it, and if it held changes of earlier requests run those
 * again and commit them, so that failing requests cannot make the turn
 * run again and again. Returns err.
 */
int
group_write_end(struct xsdbd *xd, int err)
{
	struct group	*g = &xd->group;

	if (g->nested == NULL)
		return err;
	g->nested = NULL;
	store_txn_observe(g->wtxn, NULL, NULL);
	if (err == 0) {
		g->dirty = true;
		return 0;
	}
	g->nchg = g->nested_chg;
	g->paths.len = g->nested_paths;
	if (g->can_redo && store_txn_error(g->wtxn) == 0 &&
	    store_generation(g->wtxn) == g->gen_before)
		return err;	/* it changed nothing */

	store_txn_abort(g->wtxn);
	g->wtxn = NULL;
	if (g->redoing) {
		/* group_rerun starts again, without this request. */
		g->rerun_again = true;
		return err;
	}
	if (!g->was_dirty)
		return err;	/* nothing else was lost */
	log_info("a write failed half-way (%s): running %zu requests "
	    "again", strerror(err), g->nmsg - g->split);
	group_rerun(xd);
	group_split(xd);
	return err;
}

/* The store's observer: record one change. */
void
group_note_change(void *arg, enum store_change kind, const char *path,
    const struct store_change_old *old)
{
	struct xsdbd		*xd = arg;
	struct group		*g = &xd->group;
	struct group_change	*gc;
	size_t			 off = g->paths.len;

	if (group_grow((void **)&g->chgv, &g->chgcap, g->nchg,
	    sizeof *g->chgv) != 0 ||
	    buf_add(&g->paths, path, strlen(path) + 1) != 0) {
		/* The change commits; only its event is lost. */
		log_warnx("out of memory: no event for %s", path);
		g->paths.len = off;
		return;
	}
	gc = &g->chgv[g->nchg++];
	gc->kind = kind;
	gc->path = off;
	gc->old = watch_old_keep(&g->paths, old);
	gc->dropped = false;
	gc->fired = false;
}

/*
 * Keep, of the changes of the running request, only the writes of path
 * and any other kind: a WRITE or MKDIR that creates missing ancestors
 * fires one event, on the path it names, as in Xen's daemon.
 */
void
group_trim_changes(struct xsdbd *xd, const char *path)
{
	struct group	*g = &xd->group;
	size_t		 i, n;

	if (g->nested == NULL)
		return;
	for (i = n = g->nested_chg; i < g->nchg; i++) {
		if (g->chgv[i].kind == STORE_CHANGE_WRITE &&
		    strcmp(g->paths.data + g->chgv[i].path, path) != 0)
			continue;
		g->chgv[n++] = g->chgv[i];
	}
	g->nchg = n;
}

/* Store the bytes of a message's reply. Returns 0 or ENOMEM. */
static int
group_set_reply(struct group *g, struct group_msg *m,
    const struct xs_header *h, const void *payload)
{
	char	hb[XS_HEADER_SIZE];
	size_t	off = g->msgs.len;

	xs_wire_header_encode(hb, h);
	if (buf_add(&g->msgs, hb, sizeof hb) != 0 ||
	    buf_add(&g->msgs, payload, h->len) != 0) {
		g->msgs.len = off;
		return ENOMEM;
	}
	m->off = off;
	m->len = XS_HEADER_SIZE + (size_t)h->len;
	return 0;
}

/*
 * Queue a message that waits for the group commit: a reply (req is its
 * request) or another message (req is NULL). While a request is redone
 * its reply replaces the one it had. Returns 0 or ENOMEM.
 */
int
group_add_msg(struct xsdbd *xd, struct conn *c, const struct xs_header *h,
    const void *payload, const struct request *req)
{
	struct group		*g = &xd->group;
	struct group_msg	*m;
	char			 hb[XS_HEADER_SIZE];
	size_t			 roff = g->reqs.len;

	if (!g->collecting)
		return conn_queue(c, h->type, h->req_id, h->tx_id, payload,
		    h->len);
	if (g->redoing && req != NULL) {
		m = &g->msgv[g->redo_msg];
		m->chg_begin = req->chg_begin;
		m->chg_end = g->nchg;
		m->txn = req->ended;
		m->in_group = req->in_group;
		return group_set_reply(g, m, h, payload);
	}

	if (group_grow((void **)&g->msgv, &g->msgcap, g->nmsg,
	    sizeof *g->msgv) != 0)
		return ENOMEM;
	m = &g->msgv[g->nmsg];
	memset(m, 0, sizeof *m);
	m->conn = c;
	m->chg_begin = m->chg_end = g->nchg;
	if (req != NULL) {
		m->in_group = req->in_group;
		m->chg_begin = req->chg_begin;
		m->txn = req->ended;
		m->redo = req->in_group && req->entry != NULL &&
		    (req->entry->flags & DISPATCH_REDO);
		if (m->redo) {
			/* Keep the request, in case it must run again. */
			xs_wire_header_encode(hb, &req->hdr);
			if (buf_add(&g->reqs, hb, sizeof hb) != 0 ||
			    buf_add(&g->reqs, req->data, req->len) != 0) {
				g->reqs.len = roff;
				return ENOMEM;
			}
			m->req_off = roff;
		}
	}
	if (group_set_reply(g, m, h, payload) != 0) {
		g->reqs.len = roff;
		return ENOMEM;
	}
	g->nmsg++;
	c->pending++;
	return 0;
}

/* The commit of messages [g->split, nmsg) failed with err. */
static void
group_fail(struct xsdbd *xd, int err)
{
	struct group	*g = &xd->group;
	size_t		 i;

	g->failures++;
	log_warnx("commit of %zu changes failed: %s", g->nchg - g->split_chg,
	    strerror(err));
	for (i = g->split; i < g->nmsg; i++)
		if (g->msgv[i].in_group)
			g->msgv[i].err = err;
	for (i = g->split_chg; i < g->nchg; i++)
		g->chgv[i].dropped = true;
}

/*
 * The turn's transaction holding [g->split, nmsg) is lost (and the store
 * has grown a full map since): run those requests again, in order, in a
 * new one, each replacing its reply. Their earlier changes fire nothing.
 */
static void
group_rerun(struct xsdbd *xd)
{
	struct group		*g = &xd->group;
	struct group_msg	*m;
	size_t			 i;
	bool			 collecting = g->collecting;

	/* Their replies replace the queued ones: they must not go out. */
	g->collecting = true;
	g->redoing = true;
again:
	for (i = g->split_chg; i < g->nchg; i++)
		g->chgv[i].dropped = true;
	for (i = g->split; i < g->nmsg; i++) {
		m = &g->msgv[i];
		if (!m->in_group || !m->redo)
			continue;
		g->redo_msg = i;
		g->redone++;
		g->rerun_again = false;
		dispatch_redo(xd, m, g->reqs.data + m->req_off);
		if (g->rerun_again) {
			/* Its error stands; the others lost their writes. */
			log_info("a request run again failed half-way: "
			    "running the others again");
			m->redo = false;
			goto again;
		}
	}
	g->redoing = false;
	g->collecting = collecting;
}

/*
 * The commit of [g->split, nmsg) failed for a full map, which the store
 * has grown since: run those requests again, in order, and commit.
 * Returns 0 or the error of the second commit.
 */
static int
group_redo(struct xsdbd *xd)
{
	struct group	*g = &xd->group;
	int		 rc = 0;

	log_info("the map was full at commit: running %zu requests again",
	    g->nmsg - g->split);
	group_rerun(xd);
	group_end_snapshot(xd);
	if (g->wtxn != NULL) {
		lu_ring_save(xd, g->wtxn);
		rc = store_txn_commit(g->wtxn);
		g->wtxn = NULL;
		g->commits++;
	}
	return rc;
}

/*
 * Commit what the turn has written so far (before the turn ends, to let
 * the store grow its map, or to keep a request alone in its group). The
 * messages stay queued until the end of the turn. Returns 0 or the error
 * of the commit, which the messages since the last commit then answer.
 */
int
group_split(struct xsdbd *xd)
{
	struct group	*g = &xd->group;
	int		 rc = 0;

	group_end_snapshot(xd);
	if (g->wtxn != NULL) {
		/* The rings' records commit with the requests (lu-ring.c). */
		lu_ring_save(xd, g->wtxn);
		rc = store_txn_commit(g->wtxn);
		g->wtxn = NULL;
		g->commits++;
		if (rc == ENOSPC && !g->redoing)
			rc = group_redo(xd);
		if (rc != 0)
			group_fail(xd, rc);
		lu_ring_saved(xd, rc);
	}
	g->split = g->nmsg;
	g->split_chg = g->nchg;
	return rc;
}

/* Hand the changes [begin, end) to watch.c, each once. */
static void
group_fire(struct xsdbd *xd, size_t begin, size_t end)
{
	struct group		*g = &xd->group;
	struct group_change	*gc;
	struct store_change_old	 old;
	size_t			 i;

	for (i = begin; i < end && i < g->nchg; i++) {
		gc = &g->chgv[i];
		if (gc->dropped || gc->fired)
			continue;
		gc->fired = true;
		watch_changed(xd, gc->kind, g->paths.data + gc->path,
		    watch_old_load(&g->paths, gc->old, &old));
	}
}

/*
 * The end of the turn's requests: commit, then release every queued
 * message in order, each after the events of its request's changes.
 */
void
group_commit(struct xsdbd *xd)
{
	struct group		*g = &xd->group;
	struct group_msg	*m;
	struct xs_header	 h;
	const char		*name;
	size_t			 i;

	g->collecting = false;
	group_end_snapshot(xd);
	lu_ring_turn(xd);
	if (g->wtxn != NULL)
		group_split(xd);

	for (i = 0; i < g->nmsg; i++) {
		m = &g->msgv[i];
		group_fire(xd, m->chg_begin, m->chg_end);
		m->conn->pending--;
		if (m->err == 0) {
			conn_out_add(m->conn, g->msgs.data + m->off, m->len);
			continue;
		}
		/* Answer the error of the failed commit instead. */
		xs_wire_header_decode(g->msgs.data + m->off, &h);
		name = xs_wire_error_name(m->err);
		conn_queue(m->conn, XS_ERROR, h.req_id, h.tx_id, name,
		    (uint32_t)strlen(name) + 1);
	}
	/* Changes made outside requests (none are lost). */
	group_fire(xd, 0, g->nchg);
	for (i = 0; i < g->nmsg; i++)
		if (g->msgv[i].txn != NULL)
			txn_release(g->msgv[i].txn);

	g->nmsg = 0;
	g->nchg = 0;
	g->split = 0;
	g->split_chg = 0;
	buf_reset(&g->msgs);
	buf_reset(&g->reqs);
	buf_reset(&g->paths);
}

/* Free the group's memory (shutdown). Nothing may be pending. */
void
group_free(struct xsdbd *xd)
{
	struct group	*g = &xd->group;

	if (g->wtxn != NULL)
		store_txn_abort(g->wtxn);
	group_end_snapshot(xd);
	free(g->msgv);
	free(g->chgv);
	buf_free(&g->msgs);
	buf_free(&g->reqs);
	buf_free(&g->paths);
	memset(g, 0, sizeof *g);
}

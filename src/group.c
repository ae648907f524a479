/*
 * group.c - the group commit: the writes of every request handled in one
 * loop turn share one LMDB write transaction.
 *
 * Within the turn each writing request runs in a nested write transaction
 * of the turn's transaction (group_write_begin/group_write_end): if it
 * fails it is undone alone and answers its error while the others go on.
 * Its changes are recorded through the store's observer and dropped if
 * the nested transaction aborts.
 *
 * Every message queued while requests are handled waits here, in order,
 * until the end of the turn (Redis's beforeSleep: persist, then answer):
 *
 *	1. the turn's transaction commits;
 *	2. the messages are released in the order they were queued; before
 *	   each one the changes made up to it are handed to watch_changed,
 *	   so that a writer watching its own write gets the event before the
 *	   reply, as from Xen's daemon;
 *	3. if the commit failed, every message that was answered from the
 *	   group (writes, and reads that saw uncommitted writes) becomes an
 *	   ERROR with the commit's error, and its changes fire nothing.
 *
 * So no reply acknowledges a change before the change is committed, and a
 * read outside a transaction sees every write answered before it.
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
static void	group_fire(struct xsdbd *, size_t *, size_t);

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
 * Begin a nested write transaction for one request, starting the turn's
 * write transaction if needed. Its changes are recorded.
 */
int
group_write_begin(struct xsdbd *xd, struct store_txn **t)
{
	struct group	*g = &xd->group;
	int		 rc;

	if (g->nested != NULL)
		fatalx("nested group write already open");
	if (g->wtxn == NULL) {
		/* Reads from now on must see this turn's writes. */
		group_end_snapshot(xd);
		rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE,
		    &g->wtxn);
		if (rc != 0)
			return rc;
	}
	rc = store_txn_begin(xd->store, g->wtxn, STORE_TXN_WRITE, &g->nested);
	if (rc != 0)
		return rc;
	g->nested_chg = g->nchg;
	g->nested_paths = g->paths.len;
	store_txn_observe(g->nested, group_note_change, xd);
	*t = g->nested;
	return 0;
}

/*
 * End the request's nested transaction: keep it if err is 0, else drop
 * it and its changes. Returns err, or the error of the commit.
 */
int
group_write_end(struct xsdbd *xd, int err)
{
	struct group	*g = &xd->group;

	if (g->nested == NULL)
		return err;
	if (err == 0)
		err = store_txn_commit(g->nested);
	else
		store_txn_abort(g->nested);
	g->nested = NULL;
	if (err != 0) {
		g->nchg = g->nested_chg;
		g->paths.len = g->nested_paths;
	}
	return err;
}

/* The store's observer: record one change of the running request. */
void
group_note_change(void *arg, enum store_change kind, const char *path)
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
	gc->dropped = false;
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

/*
 * Queue a message that waits for the group commit (conn_queue and the
 * replies of dispatch). Returns 0 or ENOMEM.
 */
int
group_add_msg(struct xsdbd *xd, struct conn *c, const struct xs_header *h,
    const void *payload, bool in_group)
{
	struct group		*g = &xd->group;
	struct group_msg	*m;
	char			 hb[XS_HEADER_SIZE];
	size_t			 off = g->msgs.len;

	if (!g->collecting)
		return conn_queue(c, h->type, h->req_id, h->tx_id, payload,
		    h->len);
	if (group_grow((void **)&g->msgv, &g->msgcap, g->nmsg,
	    sizeof *g->msgv) != 0)
		return ENOMEM;
	xs_wire_header_encode(hb, h);
	if (buf_add(&g->msgs, hb, sizeof hb) != 0 ||
	    buf_add(&g->msgs, payload, h->len) != 0) {
		g->msgs.len = off;
		return ENOMEM;
	}
	m = &g->msgv[g->nmsg++];
	m->conn = c;
	m->off = off;
	m->len = XS_HEADER_SIZE + (size_t)h->len;
	m->chg_end = g->nchg;
	m->in_group = in_group;
	m->err = 0;
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
 * Commit what the turn has written so far, before the turn ends: a write
 * that found the map full can then be tried again once the store has
 * grown it. The messages stay queued until the end of the turn.
 */
void
group_split(struct xsdbd *xd)
{
	struct group	*g = &xd->group;
	int		 rc;

	group_end_snapshot(xd);
	if (g->wtxn != NULL) {
		rc = store_txn_commit(g->wtxn);
		g->wtxn = NULL;
		g->commits++;
		if (rc != 0)
			group_fail(xd, rc);
	}
	g->split = g->nmsg;
	g->split_chg = g->nchg;
}

/* Hand the changes from *next up to end to watch.c. */
static void
group_fire(struct xsdbd *xd, size_t *next, size_t end)
{
	struct group	*g = &xd->group;
	size_t		 i;

	for (i = *next; i < end; i++)
		if (!g->chgv[i].dropped)
			watch_changed(xd, g->chgv[i].kind,
			    g->paths.data + g->chgv[i].path);
	if (end > *next)
		*next = end;
}

/*
 * The end of the turn's requests: commit, then release every queued
 * message in order, with the events of the changes before it.
 */
void
group_commit(struct xsdbd *xd)
{
	struct group		*g = &xd->group;
	struct group_msg	*m;
	struct xs_header	 h;
	const char		*name;
	size_t			 i, fired = 0;

	g->collecting = false;
	group_end_snapshot(xd);
	if (g->wtxn != NULL)
		group_split(xd);

	for (i = 0; i < g->nmsg; i++) {
		m = &g->msgv[i];
		group_fire(xd, &fired, m->chg_end);
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
	group_fire(xd, &fired, g->nchg);

	g->nmsg = 0;
	g->nchg = 0;
	g->split = 0;
	g->split_chg = 0;
	buf_reset(&g->msgs);
	buf_reset(&g->paths);
}

/* Free the group's memory (shutdown). Nothing may be pending. */
void
group_free(struct xsdbd *xd)
{
	struct group	*g = &xd->group;

	if (g->nested != NULL)
		store_txn_abort(g->nested);
	if (g->wtxn != NULL)
		store_txn_abort(g->wtxn);
	group_end_snapshot(xd);
	free(g->msgv);
	free(g->chgv);
	buf_free(&g->msgs);
	buf_free(&g->paths);
	memset(g, 0, sizeof *g);
}

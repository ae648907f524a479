/*
 * txn.c - xenstore transactions: TRANSACTION_START, TRANSACTION_END, and
 * their life on a connection.
 *
 * A transaction is a STORE_TXN_XS of the store (DESIGN.md): a read
 * snapshot taken at TRANSACTION_START plus the transaction's own writes.
 * Requests carrying its tx id run on it. TRANSACTION_END "T" applies it
 * with store_txn_apply inside a nested write transaction of the turn's
 * group: the store checks that nothing the transaction read, listed or
 * wrote changed since its snapshot and replays its writes, or answers
 * EAGAIN and changes nothing. Its writes reach watches only then, in the
 * order they were made. "F" drops it.
 *
 * As Xen's daemon (probed on the reference):
 *	- tx ids count from 1 per connection, skipping ids still open;
 *	- TRANSACTION_START inside a transaction is EBUSY;
 *	- TRANSACTION_END with a tx id no transaction has is ENOENT (checked
 *	  by dispatch), with a payload other than "T\0" or "F\0" EINVAL,
 *	  with tx id 0 ENOENT;
 *	- an unprivileged connection may hold the -t quota of transactions
 *	  plus one (Xen compares with '>'); more is ENOSPC. Privileged
 *	  connections have no quota in Xen's daemon; here they are held to
 *	  TXN_MAX_PRIV so that they cannot use up the store's reader slots.
 *	- a transaction in which a request went over -Q transaction-nodes
 *	  (quota.c) answers ENOMEM to "T" and is gone; "F" is OK.
 *
 * A snapshot must not pin the database for ever: a transaction open
 * longer than --txn-timeout seconds loses its snapshot; any request in it
 * then answers EAGAIN, and so does its end, which a client retries as any
 * conflict. A connection that closes aborts its transactions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "xsdbd.h"

/* Transactions a privileged connection may hold open. */
#define TXN_MAX_PRIV	1024

static void	txn_timer(evutil_socket_t, short, void *);
static void	txn_end(struct txn *);
static void	txn_detach(struct txn *);

/* Start the timer that expires old transactions. */
int
txn_init(struct xsdbd *xd)
{
	struct timeval	tv;

	if (xd->opt.txn_timeout == 0)
		return 0;
	xd->ev_txn_timer = event_new(xd->base, -1, EV_PERSIST, txn_timer, xd);
	if (xd->ev_txn_timer == NULL)
		return ENOMEM;
	tv.tv_sec = xd->opt.txn_timeout >= 4 ? xd->opt.txn_timeout / 4 : 1;
	tv.tv_usec = 0;
	if (event_add(xd->ev_txn_timer, &tv) != 0)
		return EIO;
	return 0;
}

/* Stop the timer. */
void
txn_free(struct xsdbd *xd)
{
	if (xd->ev_txn_timer != NULL) {
		event_free(xd->ev_txn_timer);
		xd->ev_txn_timer = NULL;
	}
}

/* Expire the snapshots of transactions open too long. */
static void
txn_timer(evutil_socket_t fd, short events, void *arg)
{
	struct xsdbd	*xd = arg;
	struct conn	*c;
	struct txn	*t;

	if (xd->ntxns == 0)
		return;
	TAILQ_FOREACH(c, &xd->conns, entry) {
		TAILQ_FOREACH(t, &c->txns, entry) {
			if (t->st == NULL ||
			    store_txn_age(t->st) < xd->opt.txn_timeout)
				continue;
			log_info("connection %llu: transaction %u open for "
			    "over %u s: it will answer EAGAIN",
			    (unsigned long long)c->id, t->id,
			    xd->opt.txn_timeout);
			store_txn_abort(t->st);
			t->st = NULL;
			t->expired = true;
		}
	}
}

/* The open transaction of c with this id, or NULL. */
struct txn *
txn_find(struct conn *c, uint32_t id)
{
	struct txn	*t;

	TAILQ_FOREACH(t, &c->txns, entry)
		if (t->id == id)
			return t;
	return NULL;
}

/* Drop a transaction. */
static void
txn_end(struct txn *t)
{
	struct conn	*c = t->conn;

	TAILQ_REMOVE(&c->txns, t, entry);
	c->ntxns--;
	c->xd->ntxns--;
	if (t->st != NULL)
		store_txn_abort(t->st);
	lu_txn_free(t);
	free(t);
}

/*
 * Give c back an open transaction of a daemon that died or was replaced
 * (lu.c, lu-ring.c), without a snapshot: it answers EAGAIN until lu.c
 * gives it one. Returns it, or NULL if out of memory.
 */
struct txn *
txn_lu_add(struct conn *c, uint32_t id)
{
	struct txn	*t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->conn = c;
	t->id = id;
	t->expired = true;
	TAILQ_INSERT_TAIL(&c->txns, t, entry);
	c->ntxns++;
	c->xd->ntxns++;
	return t;
}

/* Abort every transaction of a closing connection. */
void
txn_conn_free(struct conn *c)
{
	struct txn	*t;

	while ((t = TAILQ_FIRST(&c->txns)) != NULL)
		txn_end(t);
}

/* TRANSACTION_START: open a transaction; the reply is its id. */
int
op_transaction_start(struct request *req)
{
	struct conn	*c = req->conn;
	struct txn	*t;
	char		 id[16];
	int		 rc;

	if (req->txn != NULL)
		return EBUSY;
	if (!quota_exempt(c) && quota_conn(c)->transactions != 0 &&
	    c->ntxns > quota_conn(c)->transactions)
		return ENOSPC;
	if (c->privileged && c->ntxns >= TXN_MAX_PRIV)
		return ENOSPC;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return ENOMEM;
	rc = store_txn_begin(req->xd->store, NULL, STORE_TXN_XS, &t->st);
	if (rc != 0) {
		free(t);
		return rc;
	}
	do {
		t->id = c->next_tx_id++;
	} while (t->id == 0 || txn_find(c, t->id) != NULL);
	t->conn = c;
	TAILQ_INSERT_TAIL(&c->txns, t, entry);
	c->ntxns++;
	req->xd->ntxns++;
	snprintf(id, sizeof id, "%u", t->id);
	return request_reply_str(req, id);
}

/*
 * Take an ended transaction off its connection (its id is free again);
 * it lives on until its group commits (txn_release).
 */
static void
txn_detach(struct txn *t)
{
	struct conn	*c = t->conn;

	if (t->detached)
		return;
	TAILQ_REMOVE(&c->txns, t, entry);
	c->ntxns--;
	c->xd->ntxns--;
	t->detached = true;
}

/* Free a transaction ended by "T" once its group has committed. */
void
txn_release(struct txn *t)
{
	if (!t->detached)
		return;
	if (t->st != NULL)
		store_txn_abort(t->st);
	lu_txn_free(t);
	free(t);
}

/* TRANSACTION_END "T\0" or "F\0": commit or drop the transaction. */
int
op_transaction_end(struct request *req)
{
	struct xsdbd		*xd = req->xd;
	struct txn		*t = req->txn;
	struct store_txn	*w;
	const char		*arg = request_onearg(req);
	int			 rc;

	if (arg == NULL || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return EINVAL;
	if (t == NULL)
		return ENOENT;
	if (arg[0] == 'F') {
		txn_end(t);
		return request_ack(req);
	}
	if (t->failed) {
		/* Over -Q transaction-nodes (quota.c), as Xen answers. */
		txn_end(t);
		return ENOMEM;
	}
	if (t->st == NULL) {
		txn_end(t);
		return EAGAIN;
	}

	/*
	 * The reply acknowledges a change: it waits for the group commit,
	 * and the transaction stays until then in case the apply must run
	 * again (group.c).
	 */
	txn_detach(t);
	req->ended = t;
	req->in_group = true;
	rc = group_write_begin(xd, &w);
	if (rc == 0)
		rc = quota_txn_apply(req, t->st, w);
	rc = group_write_end(xd, rc);
	if (rc == ENOSPC && !xd->group.redoing) {
		/* Let the store grow its map, then try once more. */
		group_split(xd);
		req->chg_begin = xd->group.nchg;
		rc = group_write_begin(xd, &w);
		if (rc == 0)
			rc = quota_txn_apply(req, t->st, w);
		rc = group_write_end(xd, rc);
	}
	if (rc != 0)
		return rc;
	return request_ack(req);
}

/*
 * lu-import.c - taking over from Xen's C xenstored by a live update.
 *
 * Xen's daemon, asked by "xenstore-control live-update BINARY", writes
 * its whole state as a migration stream (docs/designs/xenstore-migration
 * .md in xen.git; lib/stream.c reads it) to $XENSTORED_ROOTDIR/state_dump
 * (/var/lib/xenstored/state_dump by default; later Xen uses its run
 * directory, $XENSTORED_RUNDIR, looked at next) and execs BINARY with its
 * own arguments and -U, in the same process, with the listening socket
 * and the sockets of its clients left open. xsdbd started so (-U without
 * --lu-state) takes the stream over:
 *
 *	before domain_init (lu_import), in the store: the nodes with their
 *	permissions (the store's own nodes are dropped: the stream is the
 *	truth), the permissions of @introduceDomain and @releaseDomain, one
 *	introduced domain per ring connection of a guest (its target, its
 *	event channel and ring from the guest's store/port and store/ring-ref
 *	nodes, which the toolstack writes), and the watches of every ring,
 *	dom0's included, as persisted records; the old daemon's
 *	event-channel descriptor is closed, so that the guests' channels
 *	can be bound again;
 *
 *	once domain_init has attached the rings (lu_import_restore): the
 *	listening socket, each socket connection with the bytes it had sent
 *	and those queued for it (among them the "OK" that answers the
 *	xenstore-control that asked for the update), its watches, and the
 *	ids of its open transactions, which answer EAGAIN; the same input,
 *	output and transaction ids for the rings, and dom0's ring's watches.
 *
 * The nodes are written in batches; a batch that finds the map full is
 * run again once the store has grown it. The stream file is removed once
 * read, as Xen's daemon does.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsdbd.h"

#define LU_IMPORT_FILE		"state_dump"
#define LU_IMPORT_BATCH		20000	/* nodes per store transaction */

/* A connection of the stream. */
struct lu_import_conn {
	uint32_t	 id;
	uint16_t	 type;
	uint16_t	 domid;
	uint16_t	 tdomid;
	uint32_t	 evtchn;
	int		 fd;
	const char	*in;
	uint32_t	 in_len;
	const char	*out;
	uint32_t	 out_len;
	uint32_t	 resp_len;
	struct conn	*conn;		/* once restored */
};

/* What is taken over (xd->import). */
struct lu_import {
	char			*buf;	/* the stream */
	size_t			 len;
	int			 socket_fd;
	int			 evtchn_fd;
	struct lu_import_conn	*conns;
	size_t			 nconns;
	uint64_t		 nodes;
	uint8_t			 named[XS_DOMID_MAX / 8 + 1]; /* domids the
					   nodes' permissions name */
};

static struct lu_import_conn *lu_import_conn(struct lu_import *, uint32_t);
static int	 lu_import_scan(struct lu_import *, char *, size_t);
static int	 lu_import_wipe(struct store_txn *);
static int	 lu_import_list(void *, const char *, size_t);
static int	 lu_import_keys(void *, uint64_t, const void *, size_t);
static int	 lu_import_node(struct lu_import *, struct store_txn *,
		     const struct xs_stream_node *);
static int	 lu_import_known(struct xsdbd *, struct lu_import *,
		     struct store_txn *);
static int	 lu_import_nodes(struct xsdbd *, struct lu_import *, char *,
		     size_t);
static uint32_t	 lu_import_number(struct store_txn *, unsigned int,
		     const char *, uint32_t);
static int	 lu_import_tables(struct xsdbd *, struct lu_import *, char *,
		     size_t);

/* Names collected by a listing. */
struct lu_import_names {
	struct buf	 b;
	int		 err;
};

/* Keys collected from a table. */
struct lu_import_keyv {
	uint64_t	*v;
	size_t		 n;
	size_t		 cap;
};

/*
 * Started with -U and no --lu-state: read Xen's stream, if there is one.
 * Without one, the daemon starts as usual (with a log line). Returns 0
 * or an errno value with a sentence in err.
 */
int
lu_import_init(struct xsdbd *xd, char *err, size_t errlen)
{
	/* Where Xen 4.17 writes it, then later Xen, then the defaults. */
	const char		*dirs[] = { getenv("XENSTORED_ROOTDIR"),
				    getenv("XENSTORED_RUNDIR"),
				    "/var/lib/xenstored", "/var/run/xenstored" };
	struct lu_import	*im;
	char			 path[PATH_MAX];
	struct stat		 sb;
	ssize_t			 r;
	size_t			 n = 0, i;
	int			 fd = -1, rc;

	for (i = 0; fd == -1 && i < sizeof dirs / sizeof dirs[0]; i++) {
		if (dirs[i] == NULL || *dirs[i] == '\0')
			continue;
		snprintf(path, sizeof path, "%s/%s", dirs[i], LU_IMPORT_FILE);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd == -1) {
		log_warnx("started by a live update, but no %s to take over: "
		    "starting as usual", LU_IMPORT_FILE);
		return 0;
	}
	if ((im = calloc(1, sizeof *im)) == NULL || fstat(fd, &sb) == -1 ||
	    sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX / 2 ||
	    (im->buf = malloc((size_t)sb.st_size)) == NULL) {
		rc = errno != 0 ? errno : EINVAL;
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(rc));
		close(fd);
		if (im != NULL)
			free(im->buf);
		free(im);
		return rc;
	}
	while (n < (size_t)sb.st_size) {
		r = read(fd, im->buf + n, (size_t)sb.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "cannot read %s", path);
			close(fd);
			free(im->buf);
			free(im);
			return EIO;
		}
		n += (size_t)r;
	}
	close(fd);
	im->len = n;
	im->socket_fd = im->evtchn_fd = -1;
	xd->import = im;
	if ((rc = lu_import_scan(im, err, errlen)) != 0)
		return rc;
	if (unlink(path) == -1)
		log_warn("unlink %s", path);
	log_info("taking over from Xen's xenstored: %s, %zu bytes, %zu "
	    "connections", path, n, im->nconns);
	return 0;
}

/* The connection of the stream with this id. */
static struct lu_import_conn *
lu_import_conn(struct lu_import *im, uint32_t id)
{
	size_t	i;

	for (i = 0; i < im->nconns; i++) {
		if (im->conns[i].id == id)
			return &im->conns[i];
	}
	return NULL;
}

/*
 * Read the whole stream once: it must be sound before anything is
 * changed. Keeps the global data and the connections.
 */
static int
lu_import_scan(struct lu_import *im, char *err, size_t errlen)
{
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	struct lu_import_conn	*c, *v;
	const struct xs_stream_conn *sc;
	int			 rc;

	if ((r = xs_stream_reader_new(im->buf, im->len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	while ((rc = xs_stream_next(r, &rec)) == 0 &&
	    rec.type != XS_STREAM_END) {
		switch (rec.type) {
		case XS_STREAM_GLOBAL:
			im->socket_fd = rec.u.global.socket_fd;
			im->evtchn_fd = rec.u.global.evtchn_fd;
			break;
		case XS_STREAM_CONN:
			sc = &rec.u.conn;
			v = reallocarray(im->conns, im->nconns + 1, sizeof *v);
			if (v == NULL) {
				rc = ENOMEM;
				goto done;
			}
			im->conns = v;
			c = &v[im->nconns++];
			memset(c, 0, sizeof *c);
			c->id = sc->conn_id;
			c->type = sc->conn_type;
			c->domid = sc->domid;
			c->tdomid = sc->tdomid;
			c->evtchn = sc->evtchn;
			c->fd = sc->conn_type == XS_STREAM_CONN_SOCKET ?
			    sc->socket_fd : -1;
			c->in = sc->data;
			c->in_len = sc->in_len;
			c->out = (const char *)sc->data + sc->in_len;
			c->out_len = sc->out_len;
			c->resp_len = sc->resp_len;
			break;
		case XS_STREAM_NODE:
			if (rec.u.node.conn_id == 0)
				im->nodes++;
			break;
		default:
			break;
		}
	}
done:
	if (rc == 0 && rec.type == XS_STREAM_END) {
		xs_stream_reader_free(r);
		return 0;
	}
	snprintf(err, errlen, "Xen's state to take over: %s",
	    rc == EINVAL ? xs_stream_reader_error(r) : strerror(rc));
	xs_stream_reader_free(r);
	return rc != 0 ? rc : EINVAL;
}

/* store_list: note a child of "/". */
static int
lu_import_list(void *arg, const char *name, size_t len)
{
	struct lu_import_names	*nm = arg;
	char			 nul = '\0';

	if (buf_add(&nm->b, "/", 1) != 0 || buf_add(&nm->b, name, len) != 0 ||
	    buf_add(&nm->b, &nul, 1) != 0)
		nm->err = ENOMEM;
	return nm->err;
}

/* store_table_foreach: note a key. */
static int
lu_import_keys(void *arg, uint64_t key, const void *val, size_t len)
{
	struct lu_import_keyv	*k = arg;
	uint64_t		*v;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		if ((v = reallocarray(k->v, k->cap, sizeof *v)) == NULL)
			return ENOMEM;
		k->v = v;
	}
	k->v[k->n++] = key;
	return 0;
}

/*
 * Drop what the store held: every node below "/", and the domains,
 * watches and rings' records of the daemon that used it before.
 */
static int
lu_import_wipe(struct store_txn *t)
{
	static const enum store_table tables[] = { STORE_TABLE_DOMAINS,
				    STORE_TABLE_WATCHES, STORE_TABLE_CONNS };
	struct lu_import_names	 nm;
	struct lu_import_keyv	 k;
	size_t			 off, i;
	int			 rc;

	memset(&nm, 0, sizeof nm);
	if ((rc = store_list(t, "/", lu_import_list, &nm)) != 0)
		goto done;
	for (off = 0; off < nm.b.len; off += strlen(nm.b.data + off) + 1) {
		if ((rc = store_rm(t, nm.b.data + off, NULL)) != 0 &&
		    rc != ENOENT)
			goto done;
	}
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		memset(&k, 0, sizeof k);
		rc = store_table_foreach(t, tables[i], lu_import_keys, &k);
		for (off = 0; rc == 0 && off < k.n; off++)
			if ((rc = store_table_del(t, tables[i],
			    k.v[off])) == ENOENT)
				rc = 0;
		free(k.v);
		if (rc != 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&nm.b);
	return rc;
}

/*
 * One committed node of the stream into t. Its entries the old daemon
 * ignored (stale) stay ignored; the domains of the others are noted in
 * im->named, to be known (lu_import_known).
 */
static int
lu_import_node(struct lu_import *im, struct store_txn *t,
    const struct xs_stream_node *n)
{
	struct xs_perm	perms[XS_PERMS_MAX];
	unsigned int	i;
	uint32_t	domid;
	int		rc;

	if (n->nperms == 0 || n->nperms > XS_PERMS_MAX)
		return EINVAL;
	xs_stream_node_perms(n, perms);
	for (i = 0; i < n->nperms; i++) {
		domid = perms[i].domid;
		if ((perms[i].access & XS_PERM_IGNORE) == 0 &&
		    domid <= XS_DOMID_MAX)
			im->named[domid / 8] |= 1U << (domid % 8);
	}
	if (n->path[0] == '@')
		return op_special_perms_put(t, n->path, perms, n->nperms);
	if (strcmp(n->path, "/") != 0 || n->vlen > 0) {
		if ((rc = store_write(t, n->path, n->value, n->vlen,
		    perms[0].domid, NULL)) != 0)
			return rc;
	}
	return store_set_perms(t, n->path, perms, n->nperms);
}

/*
 * The domains the nodes' permissions name that Xen has, and that are
 * not guests the stream introduces, into the domain table as known from
 * the start, as the old daemon knew them: their entries hold.
 */
static int
lu_import_known(struct xsdbd *xd, struct lu_import *im, struct store_txn *t)
{
	struct store_domain_record	 d;
	enum xen_domstate		 st;
	char				 buf[STORE_DOMAIN_RECORD_MAX];
	const void			*old;
	uint32_t			 domid;
	size_t				 len;
	int				 rc;

	for (domid = 1; domid <= XS_DOMID_MAX; domid++) {
		if ((im->named[domid / 8] & (1U << (domid % 8))) == 0 ||
		    domid == xd->opt.priv_domid ||
		    domid == xd->opt.master_domid)
			continue;
		if (xen_domain_state(xd, domid, &st) != 0 ||
		    st == XEN_DOM_GONE)
			continue;
		if (store_table_get(t, STORE_TABLE_DOMAINS, domid, &old,
		    &len) == 0)
			continue;	/* a guest of the stream */
		memset(&d, 0, sizeof d);
		d.domid = domid;
		d.features = DOMAIN_FEATURES;
		d.target = STORE_DOMAIN_NO_TARGET;
		if ((len = store_domain_record_encode(&d, buf,
		    sizeof buf)) == 0)
			return EINVAL;
		if ((rc = store_table_put(t, STORE_TABLE_DOMAINS, domid, buf,
		    len)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The nodes into the store, in batches; one that finds the map full is
 * run again (the store grows its map as the transaction ends).
 */
static int
lu_import_nodes(struct xsdbd *xd, struct lu_import *im, char *err,
    size_t errlen)
{
	struct xs_stream_reader	*r = NULL;
	struct xs_stream_record	 rec;
	struct store_txn	*t = NULL;
	uint64_t		 done = 0, seen, retries = 0;
	int			 rc;

again:
	if ((r = xs_stream_reader_new(im->buf, im->len)) == NULL)
		return ENOMEM;
	seen = 0;
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		goto fail;
	if (done == 0 && (rc = lu_import_wipe(t)) != 0)
		goto fail;
	while ((rc = xs_stream_next(r, &rec)) == 0 &&
	    rec.type != XS_STREAM_END) {
		if (rec.type != XS_STREAM_NODE || rec.u.node.conn_id != 0)
			continue;
		if (seen++ < done)
			continue;
		if ((rc = lu_import_node(im, t, &rec.u.node)) != 0)
			goto fail;
		if (seen - done >= LU_IMPORT_BATCH) {
			if ((rc = store_txn_commit(t)) != 0) {
				t = NULL;
				goto fail;
			}
			done = seen;
			if ((rc = store_txn_begin(xd->store, NULL,
			    STORE_TXN_WRITE, &t)) != 0)
				goto fail;
		}
	}
	if (rc != 0)
		goto fail;
	rc = store_txn_commit(t);
	t = NULL;
	if (rc != 0)
		goto fail;
	xs_stream_reader_free(r);
	log_info("taking over from Xen's xenstored: %llu nodes",
	    (unsigned long long)seen);
	return 0;

fail:
	if (t != NULL)
		store_txn_abort(t);
	t = NULL;
	xs_stream_reader_free(r);
	if (rc == ENOSPC && retries++ < 32)
		goto again;	/* the map is larger now */
	snprintf(err, errlen, "taking over from Xen's xenstored: nodes: %s",
	    strerror(rc));
	return rc;
}

/* A number from a node of the store (the guest's store/port), or def. */
static uint32_t
lu_import_number(struct store_txn *t, unsigned int domid, const char *name,
    uint32_t def)
{
	struct store_node	 n;
	char			 path[64], v[32];
	unsigned long		 x;
	char			*end;

	snprintf(path, sizeof path, "/local/domain/%u/%s", domid, name);
	if (store_get(t, path, &n) != 0 || n.vlen == 0 || n.vlen >= sizeof v)
		return def;
	memcpy(v, n.value, n.vlen);
	v[n.vlen] = '\0';
	x = strtoul(v, &end, 0);
	if (end == v || *end != '\0' || x > UINT32_MAX)
		return def;
	return (uint32_t)x;
}

/*
 * The guests' domains and their watches as records of the store, as if
 * this daemon had introduced them.
 */
static int
lu_import_tables(struct xsdbd *xd, struct lu_import *im, char *err,
    size_t errlen)
{
	struct xs_stream_reader	*r = NULL;
	struct xs_stream_record	 rec;
	struct store_domain_record d;
	struct store_watch_record wr;
	struct lu_import_conn	*c;
	struct store_txn	*t;
	char			 buf[STORE_DOMAIN_RECORD_MAX];
	char			 wbuf[8 + 2 * XS_PAYLOAD_MAX];
	uint32_t		*wnum = NULL;
	size_t			 i, len;
	int			 rc;

	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_WRITE, &t)) != 0)
		goto fail;
	for (i = 0; i < im->nconns; i++) {
		c = &im->conns[i];
		if (c->type != XS_STREAM_CONN_RING || c->domid == 0 ||
		    c->domid == xd->opt.master_domid)
			continue;
		memset(&d, 0, sizeof d);
		d.domid = c->domid;
		d.mfn = lu_import_number(t, c->domid, "store/ring-ref", 0);
		d.remote_port = lu_import_number(t, c->domid, "store/port", 0);
		if (d.remote_port == 0) {
			log_warnx("domain %u: no store/port node: its event "
			    "channel is taken as port %u", c->domid, c->evtchn);
			d.remote_port = c->evtchn;
		}
		d.features = DOMAIN_FEATURES;
		d.target = c->tdomid == XS_STREAM_DOMID_INVALID ?
		    STORE_DOMAIN_NO_TARGET : c->tdomid;
		d.flags = STORE_DOMAIN_INTRODUCED;
		d.gen = 0;	/* known from the start */
		if ((len = store_domain_record_encode(&d, buf,
		    sizeof buf)) == 0) {
			rc = EINVAL;
			goto fail;
		}
		if ((rc = store_table_put(t, STORE_TABLE_DOMAINS, c->domid,
		    buf, len)) != 0)
			goto fail;
	}

	if ((rc = lu_import_known(xd, im, t)) != 0)
		goto fail;

	/* The guests' watches, persisted as this daemon does. */
	if ((wnum = calloc(im->nconns, sizeof *wnum)) == NULL ||
	    (r = xs_stream_reader_new(im->buf, im->len)) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	while ((rc = xs_stream_next(r, &rec)) == 0 &&
	    rec.type != XS_STREAM_END) {
		if (rec.type != XS_STREAM_WATCH &&
		    rec.type != XS_STREAM_WATCH_EXT)
			continue;
		/* dom0's ring keeps its watches too (domain_conn_persistent). */
		if ((c = lu_import_conn(im, rec.u.watch.conn_id)) == NULL ||
		    c->type != XS_STREAM_CONN_RING)
			continue;
		wr.depth = rec.u.watch.extended &&
		    rec.u.watch.depth != XS_STREAM_DEPTH_ALL ?
		    rec.u.watch.depth : -1;
		wr.path = rec.u.watch.path;
		wr.token = rec.u.watch.token;
		if ((len = store_watch_record_encode(&wr, wbuf,
		    sizeof wbuf)) == 0)
			continue;
		i = (size_t)(c - im->conns);
		if ((rc = store_table_put(t, STORE_TABLE_WATCHES,
		    STORE_WATCH_KEY(c->domid, ++wnum[i]), wbuf, len)) != 0)
			goto fail;
	}
	if (rc != 0)
		goto fail;
	xs_stream_reader_free(r);
	free(wnum);
	return store_txn_commit(t);

fail:
	xs_stream_reader_free(r);
	free(wnum);
	store_txn_abort(t);
	snprintf(err, errlen, "taking over from Xen's xenstored: domains: %s",
	    strerror(rc));
	return rc;
}

/*
 * Before domain_init: Xen's nodes, domains and guests' watches into the
 * store. Returns 0 or an errno value with a sentence in err.
 */
int
lu_import(struct xsdbd *xd, char *err, size_t errlen)
{
	struct lu_import	*im = xd->import;
	int			 rc;

	if (im == NULL)
		return 0;
	if ((rc = lu_import_nodes(xd, im, err, errlen)) != 0 ||
	    (rc = lu_import_tables(xd, im, err, errlen)) != 0)
		return rc;
	/* Its bindings go, so that the guests' channels can be bound. */
	if (im->evtchn_fd >= 0 && im->evtchn_fd != im->socket_fd)
		close(im->evtchn_fd);
	im->evtchn_fd = -1;
	return 0;
}

/*
 * Once the rings are attached: the listener, the connections and their
 * watches and transactions. Returns 0 or an errno value with a sentence.
 */
int
lu_import_restore(struct xsdbd *xd, char *err, size_t errlen)
{
	struct lu_import	*im = xd->import;
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	struct lu_import_conn	*ic;
	struct conn		*c;
	size_t			 i;
	int			 rc, fl, depth;

	if (im == NULL)
		return ENOENT;
	if (im->socket_fd >= 0) {
		(void)fcntl(im->socket_fd, F_SETFD, FD_CLOEXEC);
		if ((rc = conn_sock_adopt_listener(xd, im->socket_fd)) != 0) {
			snprintf(err, errlen, "cannot serve the socket");
			return rc;
		}
	} else if ((rc = conn_sock_listen(xd, err, errlen)) != 0)
		return rc;

	for (i = 0; i < im->nconns; i++) {
		ic = &im->conns[i];
		if (ic->type == XS_STREAM_CONN_SOCKET) {
			(void)fcntl(ic->fd, F_SETFD, FD_CLOEXEC);
			if ((fl = fcntl(ic->fd, F_GETFL)) != -1)
				(void)fcntl(ic->fd, F_SETFL, fl | O_NONBLOCK);
			if ((c = conn_sock_adopt(xd, ic->fd)) == NULL) {
				close(ic->fd);
				continue;
			}
			if (buf_add(&c->in, ic->in, ic->in_len) != 0 ||
			    buf_add(&c->out, ic->out, ic->out_len) != 0)
				conn_kill(c, "out of memory");
		} else if ((c = conn_ring_find(xd, ic->domid)) != NULL) {
			lu_ring_take(c, ic->in, ic->in_len, ic->out,
			    ic->out_len, ic->resp_len);
		} else
			log_warnx("domain %u: its ring is not served: its "
			    "input and output are lost", ic->domid);
		ic->conn = c;
	}

	/* Watches (the guests' are set from their records) and tx ids. */
	if ((r = xs_stream_reader_new(im->buf, im->len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	while (xs_stream_next(r, &rec) == 0 && rec.type != XS_STREAM_END) {
		if (rec.type == XS_STREAM_WATCH ||
		    rec.type == XS_STREAM_WATCH_EXT) {
			ic = lu_import_conn(im, rec.u.watch.conn_id);
			if (ic == NULL || (c = ic->conn) == NULL ||
			    domain_conn_persistent(c))
				continue;
			depth = rec.u.watch.extended &&
			    rec.u.watch.depth != XS_STREAM_DEPTH_ALL ?
			    rec.u.watch.depth : -1;
			if ((rc = watch_lu_add(c, rec.u.watch.path,
			    rec.u.watch.token, depth)) != 0)
				log_warnx("watch %s of connection %u: %s",
				    rec.u.watch.path, ic->id, strerror(rc));
		} else if (rec.type == XS_STREAM_TXN) {
			ic = lu_import_conn(im, rec.u.txn.conn_id);
			if (ic != NULL && (c = ic->conn) != NULL &&
			    txn_find(c, rec.u.txn.tx_id) == NULL &&
			    txn_lu_add(c, rec.u.txn.tx_id) == NULL)
				log_warnx("out of memory for a transaction");
		}
	}
	xs_stream_reader_free(r);
	if ((rc = lu_ring_save_all(xd)) != 0)
		log_warnx("cannot record the rings: %s", strerror(rc));

	/* What the sockets had sent is handled, what they wait for sent. */
	for (i = 0; i < im->nconns; i++) {
		ic = &im->conns[i];
		if ((c = ic->conn) == NULL || ic->type != XS_STREAM_CONN_SOCKET)
			continue;
		conn_input(c);
		if (!(c->flags & CONN_DEAD))
			conn_output(c);
	}
	log_info("took over from Xen's xenstored: %zu connections",
	    im->nconns);
	lu_import_free(xd);
	return 0;
}

/* Free what was taken over. */
void
lu_import_free(struct xsdbd *xd)
{
	struct lu_import	*im = xd->import;

	if (im == NULL)
		return;
	free(im->buf);
	free(im->conns);
	free(im);
	xd->import = NULL;
}

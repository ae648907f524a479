/*
 * xenstore-dump - write the nodes of a xenstore, with their permissions,
 * as Xen's migration stream or as its text form.
 *
 * From a running daemon (--socket, else $XENSTORED_PATH) it speaks only
 * the wire protocol, so it serves Xen's own xenstored as well as xsdbd:
 * the tree is walked inside one transaction (READ, GET_PERMS and
 * DIRECTORY of each node, pipelined a window of siblings at a time;
 * DIRECTORY_PART for lists too long for one reply), and the transaction is
 * committed at the end. xsdbd answers from one snapshot; Xen's daemon
 * answers EAGAIN to the commit if anything read changed meanwhile, and the
 * walk is then done again, up to DUMP_TRIES times, a little later each
 * time. Special nodes cannot
 * be read over the wire (GET_PERMS of "@..." is EINVAL in both daemons)
 * and are left out.
 *
 * From a database directory (--db) it reads one snapshot of the store
 * with db/, read-only, which a running xsdbd does not notice. Without -p,
 * the dump then also holds the permissions of @introduceDomain and
 * @releaseDomain (as NODE_DATA, as Xen writes them), a CONNECTION_DATA
 * record for each introduced domain followed by its persisted watches
 * (WATCH_DATA, or WATCH_DATA_EXTENDED with a depth), and a DOMAIN_DATA
 * record for each domain of the table (features and quotas).
 *
 * Nodes are written parents first, children in the order the daemon
 * lists them. The whole dump is built in memory and written once it is
 * complete: a failed run writes nothing.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "tool-util.h"

/* Times a live dump is tried when the daemon answers EAGAIN. */
#define DUMP_TRIES		5

/* Siblings fetched with one round of pipelined requests. */
#define DUMP_WINDOW		64

/* The permissions of special paths, as src/op-node.c keeps them. */
#define DUMP_SPECIAL_META	"perms:"

struct dump {
	const char		*socket;
	const char		*db;
	const char		*subtree;
	const char		*output;
	bool			 text;

	struct tool_buf		 buf;
	struct xs_stream_writer	 w;
	unsigned long		 nodes;

	/* Live. */
	struct xs_client	*c;
	uint32_t		 tx;
	uint32_t		 req_id;

	/* Offline. */
	struct store_txn	*t;
	uint32_t		 conn_id;
};

/* A node of a live walk: what the daemon answered for it. */
struct dump_node {
	char		*path;
	char		*value;
	uint32_t	 vlen;
	struct xs_perm	*perms;
	unsigned int	 nperms;
	char		*kids;		/* names, each with its NUL */
	uint32_t	 kidslen;
	bool		 part;		/* DIRECTORY was E2BIG */
};

/* The domain records read from the table. */
struct dump_domains {
	struct store_domain_record	*d;
	size_t				 n;
	size_t				 cap;
};

static void	dump_usage(FILE *);
static int	dump_node(struct dump *, const char *, const void *, uint32_t,
		    const struct xs_perm *, unsigned int);
static char	*dump_child_path(const char *, const char *);
static void	dump_node_free(struct dump_node *);
static int	dump_live_recv(struct dump *, uint32_t, struct xs_reply *);
static int	dump_live_part(struct dump *, struct dump_node *);
static int	dump_live_fetch(struct dump *, struct dump_node *, size_t);
static int	dump_live_walk(struct dump *, struct dump_node *);
static int	dump_live_once(struct dump *);
static int	dump_live(struct dump *);
static int	dump_offline_walk(struct dump *, const char *);
static int	dump_special(struct dump *, const char *);
static int	dump_domain_one(void *, uint64_t, const void *, size_t);
static int	dump_watch_one(void *, uint64_t, const void *, size_t);
static int	dump_tables(struct dump *);
static int	dump_offline(struct dump *);

/* The usage message. */
static void
dump_usage(FILE *f)
{
	fprintf(f,
"usage: %s [--socket PATH | --db DIR] [-p PATH] [--format stream|text]\n"
"       [-o FILE]\n"
"  -s, --socket PATH   dump a running daemon (default: $XENSTORED_PATH,\n"
"                      else /var/run/xenstored/socket)\n"
"  -d, --db DIR        dump an xsdb database directory, read-only\n"
"  -p, --path PATH     only the subtree at PATH\n"
"  -f, --format FMT    stream (Xen's migration stream, the default) or\n"
"                      text (one node per line)\n"
"  -o, --output FILE   write to FILE (default: standard output)\n"
"  -h, --help          this text\n", tool_name);
}

/* Write one node in the chosen format. */
static int
dump_node(struct dump *d, const char *path, const void *value, uint32_t vlen,
    const struct xs_perm *perms, unsigned int nperms)
{
	struct xs_stream_node	n;
	int			rc;

	memset(&n, 0, sizeof n);
	n.path = path;
	n.value = value;
	n.vlen = vlen;
	n.perms = perms;
	n.nperms = nperms;
	if (d->text)
		rc = xs_text_write_node(tool_buf_out, &d->buf, &n);
	else
		rc = xs_stream_write_node(&d->w, &n);
	if (rc != 0) {
		tool_warn(rc, "%s: cannot write the node", path);
		return (rc);
	}
	d->nodes++;
	return (0);
}

/* parent + "/" + name, or "/" + name under the root. NULL: no memory. */
static char *
dump_child_path(const char *parent, const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent,
	    name) == -1)
		return (NULL);
	return (p);
}

/* Free what a live node holds. */
static void
dump_node_free(struct dump_node *n)
{
	free(n->path);
	free(n->value);
	free(n->perms);
	free(n->kids);
	memset(n, 0, sizeof *n);
}

/* Take the reply to request id from the connection, skipping events. */
static int
dump_live_recv(struct dump *d, uint32_t id, struct xs_reply *r)
{
	int	rc;

	do {
		if ((rc = xs_client_recv(d->c, -1, r)) != 0) {
			tool_warn(rc, "the connection to the daemon failed");
			return (rc);
		}
	} while (r->hdr.type == XS_WATCH_EVENT);
	if (r->hdr.req_id != id) {
		tool_warnx("a reply to request %u came for request %u",
		    r->hdr.req_id, id);
		return (EPROTO);
	}
	return (0);
}

/*
 * The children of a node whose list is too long for DIRECTORY, by
 * DIRECTORY_PART: "<generation>\0" then names from an offset, and an
 * empty name once the list ends. A generation that moves means the list
 * changed under the walk: EAGAIN.
 */
static int
dump_live_part(struct dump *d, struct dump_node *n)
{
	struct tool_buf	 kids = { 0 };
	struct xs_reply	 r;
	char		 req[XS_PAYLOAD_MAX], gen[32] = "";
	const char	*p, *end;
	size_t		 plen, len;
	uint32_t	 off = 0;
	int		 rc, err;
	bool		 done = false;

	plen = strlen(n->path) + 1;
	while (!done) {
		len = plen + (size_t)snprintf(req + plen, sizeof req - plen,
		    "%u", off) + 1;
		memcpy(req, n->path, plen);
		if ((rc = xs_client_request(d->c, XS_DIRECTORY_PART, d->tx, req,
		    (uint32_t)len, &r)) != 0) {
			tool_warn(rc, "%s: DIRECTORY_PART", n->path);
			goto fail;
		}
		if (r.hdr.type == XS_ERROR) {
			err = xs_wire_error_from_name(r.payload);
			rc = err == ENOENT ? EAGAIN : err ? err : EIO;
			if (rc != EAGAIN)
				tool_warnx("%s: DIRECTORY_PART: %s", n->path,
				    r.payload);
			goto fail;
		}
		p = r.payload;
		end = r.payload + r.hdr.len;
		if (r.hdr.len == 0 || end[-1] != '\0' ||
		    strlen(p) >= sizeof gen) {
			tool_warnx("%s: DIRECTORY_PART: a reply that is not "
			    "a generation and names", n->path);
			rc = EPROTO;
			goto fail;
		}
		if (off == 0)
			strcpy(gen, p);
		else if (strcmp(gen, p) != 0) {
			rc = EAGAIN;
			goto fail;
		}
		for (p += strlen(p) + 1; p < end; p += len + 1) {
			len = strlen(p);
			if (len == 0) {
				done = true;
				break;
			}
			if ((rc = tool_buf_out(&kids, p, len + 1)) != 0)
				goto fail;
			off += (uint32_t)len + 1;
		}
		if (!done && p == r.payload + strlen(r.payload) + 1) {
			tool_warnx("%s: DIRECTORY_PART gave no names", n->path);
			rc = EPROTO;
			goto fail;
		}
	}
	free(n->kids);
	n->kids = (char *)kids.p;
	n->kidslen = (uint32_t)kids.len;
	return (0);

fail:
	tool_buf_free(&kids);
	return (rc);
}

/*
 * Fetch value, permissions and children of count nodes with three
 * pipelined requests each. A node that has gone (Xen's transactions are
 * not snapshots) is EAGAIN.
 */
static int
dump_live_fetch(struct dump *d, struct dump_node *nodes, size_t count)
{
	static const uint32_t	 types[3] = { XS_READ, XS_GET_PERMS,
				    XS_DIRECTORY };
	struct xs_reply		 r;
	struct dump_node	*n;
	uint32_t		 first = d->req_id;
	size_t			 i, k, len;
	int			 rc, err;

	for (i = 0; i < count; i++) {
		len = strlen(nodes[i].path) + 1;
		for (k = 0; k < 3; k++) {
			if ((rc = xs_client_send(d->c, types[k], d->req_id++,
			    d->tx, nodes[i].path, (uint32_t)len)) != 0) {
				tool_warn(rc, "%s: cannot send a request",
				    nodes[i].path);
				return (rc);
			}
		}
	}
	rc = 0;
	for (i = 0; i < count; i++) {
		n = &nodes[i];
		for (k = 0; k < 3; k++) {
			if ((err = dump_live_recv(d, first + (uint32_t)(3 * i +
			    k), &r)) != 0)
				return (err);
			if (rc != 0)
				continue;	/* drain the other replies */
			if (r.hdr.type == XS_ERROR) {
				err = xs_wire_error_from_name(r.payload);
				if (types[k] == XS_DIRECTORY && err == E2BIG) {
					n->part = true;
					continue;
				}
				if (err == ENOENT)
					rc = EAGAIN;
				else {
					tool_warnx("%s: %s: %s", n->path,
					    xs_wire_type_name(types[k]),
					    r.payload);
					rc = err ? err : EIO;
				}
				continue;
			}
			if (r.hdr.type != types[k]) {
				tool_warnx("%s: a reply of type %u to %s",
				    n->path, r.hdr.type,
				    xs_wire_type_name(types[k]));
				rc = EPROTO;
				continue;
			}
			switch (types[k]) {
			case XS_READ:
				if ((n->value = malloc(r.hdr.len + 1)) == NULL)
					rc = ENOMEM;
				else {
					memcpy(n->value, r.payload, r.hdr.len);
					n->vlen = r.hdr.len;
				}
				break;
			case XS_GET_PERMS:
				if ((n->perms = calloc(XS_PERMS_MAX,
				    sizeof *n->perms)) == NULL)
					rc = ENOMEM;
				else if (xs_perm_parse_list(r.payload,
				    r.hdr.len, n->perms, XS_PERMS_MAX,
				    &n->nperms) != 0) {
					tool_warnx("%s: GET_PERMS answered a "
					    "list that is not permissions",
					    n->path);
					rc = EPROTO;
				}
				break;
			case XS_DIRECTORY:
				if (r.hdr.len > 0 &&
				    r.payload[r.hdr.len - 1] != '\0') {
					tool_warnx("%s: DIRECTORY answered "
					    "names without their NUL", n->path);
					rc = EPROTO;
				} else if ((n->kids = malloc(r.hdr.len + 1)) ==
				    NULL)
					rc = ENOMEM;
				else {
					memcpy(n->kids, r.payload, r.hdr.len);
					n->kidslen = r.hdr.len;
				}
				break;
			}
		}
	}
	for (i = 0; rc == 0 && i < count; i++) {
		if (nodes[i].part)
			rc = dump_live_part(d, &nodes[i]);
	}
	return (rc);
}

/* Write a fetched node, then its subtree, children in windows. */
static int
dump_live_walk(struct dump *d, struct dump_node *n)
{
	struct dump_node	*win;
	const char		*name, *end;
	size_t			 i, count;
	int			 rc;

	if ((rc = dump_node(d, n->path, n->value, n->vlen, n->perms,
	    n->nperms)) != 0)
		return (rc);
	if (n->kidslen == 0)
		return (0);
	if ((win = calloc(DUMP_WINDOW, sizeof *win)) == NULL)
		return (ENOMEM);
	name = n->kids;
	end = n->kids + n->kidslen;
	while (rc == 0 && name < end) {
		for (count = 0; count < DUMP_WINDOW && name < end; count++) {
			if ((win[count].path = dump_child_path(n->path,
			    name)) == NULL) {
				rc = ENOMEM;
				break;
			}
			name += strlen(name) + 1;
		}
		if (rc == 0)
			rc = dump_live_fetch(d, win, count);
		for (i = 0; rc == 0 && i < count; i++)
			rc = dump_live_walk(d, &win[i]);
		for (i = 0; i < DUMP_WINDOW; i++)
			dump_node_free(&win[i]);
	}
	free(win);
	return (rc);
}

/* One live dump in one transaction. */
static int
dump_live_once(struct dump *d)
{
	struct dump_node	root;
	int			rc, rc2;

	memset(&root, 0, sizeof root);
	if ((rc = xs_client_transaction_start(d->c, &d->tx)) != 0) {
		tool_warn(rc, "cannot start a transaction");
		return (rc);
	}
	if ((root.path = strdup(d->subtree)) == NULL)
		rc = ENOMEM;
	else if ((rc = dump_live_fetch(d, &root, 1)) == EAGAIN) {
		/* The top node does not exist, or went. */
		rc = ENOENT;
		tool_warnx("%s: no such node", d->subtree);
	}
	if (rc == 0)
		rc = dump_live_walk(d, &root);
	dump_node_free(&root);
	rc2 = xs_client_transaction_end(d->c, d->tx, rc == 0);
	d->tx = 0;
	if (rc == 0 && rc2 != 0) {
		if (rc2 != EAGAIN)
			tool_warn(rc2, "cannot end the transaction");
		rc = rc2;
	}
	return (rc);
}

/* Dump a running daemon. */
static int
dump_live(struct dump *d)
{
	struct timespec	 pause;
	const char	*path = tool_socket_path(d->socket);
	int		 rc, tries;

	if ((rc = xs_client_open(path, &d->c)) != 0) {
		tool_warn(rc, "cannot connect to %s", path);
		return (rc);
	}
	d->req_id = 1;
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		if (tries > 0) {
			/* Let a burst of changes pass: 0.1 s, 0.2 s ... */
			pause.tv_sec = 0;
			pause.tv_nsec = 100000000L * tries;
			nanosleep(&pause, NULL);
		}
		d->buf.len = 0;
		d->nodes = 0;
		if (!d->text && (rc = xs_stream_writer_init(&d->w,
		    XS_STREAM_VERSION, tool_buf_out, &d->buf)) != 0)
			break;
		if ((rc = dump_live_once(d)) != EAGAIN)
			break;
	}
	if (rc == EAGAIN)
		tool_warnx("the store kept changing during the dump: gave up "
		    "after %d tries", DUMP_TRIES);
	if (rc == 0 && !d->text && (rc = xs_stream_write_end(&d->w)) != 0)
		tool_warn(rc, "cannot write the stream");
	xs_client_close(d->c);
	d->c = NULL;
	return (rc);
}

/* Write a node of the store and its subtree. */
static int
dump_offline_walk(struct dump *d, const char *path)
{
	struct store_node	 node;
	struct tool_buf		 kids = { 0 };
	const char		*name;
	char			*child;
	int			 rc;

	if ((rc = store_get(d->t, path, &node)) != 0) {
		if (rc == ENOENT)
			tool_warnx("%s: no such node", path);
		else
			tool_warn(rc, "%s: cannot read the node", path);
		return (rc == ENOENT ? ENOENT : rc);
	}
	if ((rc = dump_node(d, path, node.value, node.vlen, node.perms,
	    node.nperms)) != 0)
		return (rc);
	if (node.nchildren == 0)
		return (0);
	if ((rc = store_list(d->t, path, tool_buf_name, &kids)) != 0) {
		tool_warn(rc, "%s: cannot list the children", path);
		goto out;
	}
	for (name = (const char *)kids.p;
	    name < (const char *)kids.p + kids.len;
	    name += strlen(name) + 1) {
		if ((child = dump_child_path(path, name)) == NULL) {
			rc = ENOMEM;
			break;
		}
		rc = dump_offline_walk(d, child);
		free(child);
		if (rc != 0)
			break;
	}
out:
	tool_buf_free(&kids);
	return (rc);
}

/* The permissions of a special path, as NODE_DATA (dom0's "n0" if unset). */
static int
dump_special(struct dump *d, const char *path)
{
	struct xs_perm	 perms[XS_PERMS_MAX], n0 = { 0, XS_PERM_NONE };
	char		 name[64];
	const void	*val;
	size_t		 len;

	snprintf(name, sizeof name, "%s%s", DUMP_SPECIAL_META, path);
	if (store_meta_get(d->t, name, &val, &len) != 0 || len == 0 ||
	    len % sizeof perms[0] != 0 || len / sizeof perms[0] > XS_PERMS_MAX)
		return (dump_node(d, path, NULL, 0, &n0, 1));
	memcpy(perms, val, len);
	return (dump_node(d, path, NULL, 0, perms,
	    (unsigned int)(len / sizeof perms[0])));
}

/* store_table_foreach: keep one domain record. */
static int
dump_domain_one(void *arg, uint64_t key, const void *val, size_t len)
{
	struct dump_domains		*ds = arg;
	struct store_domain_record	 x, *more;
	size_t				 cap;

	if (store_domain_record_decode(val, len, &x) != 0 || x.domid != key ||
	    x.domid > XS_DOMID_MAX) {
		tool_warnx("domain table: record %llu is not one this tool "
		    "reads: left out", (unsigned long long)key);
		return (0);
	}
	if (ds->n == ds->cap) {
		cap = ds->cap ? 2 * ds->cap : 16;
		if ((more = reallocarray(ds->d, cap, sizeof *more)) == NULL)
			return (ENOMEM);
		ds->d = more;
		ds->cap = cap;
	}
	ds->d[ds->n++] = x;
	return (0);
}

/* Context of dump_watch_one. */
struct dump_watches {
	struct dump		*d;
	uint32_t		 domid;
	uint32_t		 conn_id;
	int			 rc;
};

/* store_table_foreach: write the persisted watches of one domain. */
static int
dump_watch_one(void *arg, uint64_t key, const void *val, size_t len)
{
	struct dump_watches		*dw = arg;
	struct store_watch_record	 x;
	struct xs_stream_watch		 wa;
	int				 rc;

	if ((key >> 32) != dw->domid)
		return (0);
	if (store_watch_record_decode(val, len, &x) != 0 ||
	    x.depth >= (int)XS_STREAM_DEPTH_ALL)
		goto bad;
	memset(&wa, 0, sizeof wa);
	wa.conn_id = dw->conn_id;
	wa.path = x.path;
	wa.token = x.token;
	if (x.depth >= 0) {
		wa.extended = true;
		wa.depth = (uint16_t)x.depth;
	}
	if ((rc = xs_stream_write_watch(&dw->d->w, &wa)) != 0) {
		if (rc == EINVAL)
			goto bad;
		tool_warn(rc, "cannot write a watch");
		return (rc);
	}
	return (0);

bad:
	tool_warnx("watch record %u of domain %u is not one this tool reads: "
	    "left out", (uint32_t)key, dw->domid);
	return (0);
}

/*
 * The domain table as records: CONNECTION_DATA and the watches of each
 * introduced domain, then DOMAIN_DATA of every domain.
 */
static int
dump_tables(struct dump *d)
{
	struct dump_domains		 ds = { 0 };
	struct store_domain_record	*x;
	struct dump_watches	 dw;
	struct xs_stream_conn	 c;
	struct xs_stream_quota	 q;
	size_t			 i, k;
	int			 rc;

	if ((rc = store_table_foreach(d->t, STORE_TABLE_DOMAINS,
	    dump_domain_one, &ds)) != 0) {
		tool_warn(rc, "cannot read the domain table");
		goto out;
	}
	for (i = 0; i < ds.n; i++) {
		x = &ds.d[i];
		if ((x->flags & STORE_DOMAIN_INTRODUCED) == 0)
			continue;
		memset(&c, 0, sizeof c);
		c.conn_id = ++d->conn_id;
		c.conn_type = XS_STREAM_CONN_RING;
		c.domid = (uint16_t)x->domid;
		c.tdomid = x->target == STORE_DOMAIN_NO_TARGET ||
		    x->target > XS_DOMID_MAX ? XS_STREAM_DOMID_INVALID :
		    (uint16_t)x->target;
		c.evtchn = x->local_port;
		if ((rc = xs_stream_write_conn(&d->w, &c)) != 0) {
			tool_warn(rc, "domain %u: cannot write its connection",
			    x->domid);
			goto out;
		}
		memset(&dw, 0, sizeof dw);
		dw.d = d;
		dw.domid = x->domid;
		dw.conn_id = c.conn_id;
		if ((rc = store_table_foreach(d->t, STORE_TABLE_WATCHES,
		    dump_watch_one, &dw)) != 0) {
			tool_warn(rc, "cannot read the persisted watches");
			goto out;
		}
	}
	for (i = 0; i < ds.n; i++) {
		x = &ds.d[i];
		memset(&q, 0, sizeof q);
		q.domid = (uint16_t)x->domid;
		q.features = x->features;
		for (k = 0; k < x->nquota && k < XS_STREAM_QUOTA_MAX &&
		    store_quota_name((unsigned int)k) != NULL; k++) {
			q.val[k] = x->quota[k];
			q.name[k] = store_quota_name((unsigned int)k);
		}
		q.n_dom = (unsigned int)k;
		if ((rc = xs_stream_write_quota(&d->w, XS_STREAM_DOMAIN,
		    &q)) != 0) {
			tool_warn(rc, "domain %u: cannot write its data",
			    x->domid);
			goto out;
		}
	}
out:
	free(ds.d);
	return (rc);
}

/* Dump a database directory. */
static int
dump_offline(struct dump *d)
{
	struct store_config	 cfg;
	struct store		*s;
	char			 err[256] = "";
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = d->db;
	cfg.read_only = true;
	if ((rc = store_open(&s, &cfg, err, sizeof err)) != 0) {
		if (*err != '\0')
			tool_warnx("%s: %s", d->db, err);
		else
			tool_warn(rc, "%s: cannot open the database", d->db);
		return (rc);
	}
	if ((rc = store_txn_begin(s, NULL, STORE_TXN_READ, &d->t)) != 0) {
		tool_warn(rc, "%s: cannot read the database", d->db);
		store_close(s);
		return (rc);
	}
	if (!d->text)
		rc = xs_stream_writer_init(&d->w, XS_STREAM_VERSION,
		    tool_buf_out, &d->buf);
	if (rc == 0 && d->subtree == NULL) {
		if ((rc = dump_special(d, "@introduceDomain")) == 0)
			rc = dump_special(d, "@releaseDomain");
	}
	if (rc == 0)
		rc = dump_offline_walk(d, d->subtree ? d->subtree : "/");
	if (rc == 0 && d->subtree == NULL && !d->text)
		rc = dump_tables(d);
	if (rc == 0 && !d->text && (rc = xs_stream_write_end(&d->w)) != 0)
		tool_warn(rc, "cannot write the stream");
	store_txn_abort(d->t);
	d->t = NULL;
	store_close(s);
	return (rc);
}

int
main(int argc, char **argv)
{
	static const struct option	longopts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "db",		required_argument,	NULL, 'd' },
		{ "path",	required_argument,	NULL, 'p' },
		{ "format",	required_argument,	NULL, 'f' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct dump	d;
	int		ch, rc;

	tool_init(argv[0]);
	memset(&d, 0, sizeof d);
	while ((ch = getopt_long(argc, argv, "s:d:p:f:o:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			d.socket = optarg;
			break;
		case 'd':
			d.db = optarg;
			break;
		case 'p':
			d.subtree = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				d.text = true;
			else if (strcmp(optarg, "stream") == 0)
				d.text = false;
			else {
				tool_warnx("unknown format \"%s\" (stream or "
				    "text)", optarg);
				return (TOOL_EXIT_USAGE);
			}
			break;
		case 'o':
			d.output = optarg;
			break;
		case 'h':
			dump_usage(stdout);
			return (TOOL_EXIT_OK);
		default:
			dump_usage(stderr);
			return (TOOL_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		tool_warnx("unexpected argument \"%s\"", argv[optind]);
		dump_usage(stderr);
		return (TOOL_EXIT_USAGE);
	}
	if (d.socket != NULL && d.db != NULL) {
		tool_warnx("--socket and --db exclude each other");
		return (TOOL_EXIT_USAGE);
	}
	if (d.subtree != NULL && xs_path_check(d.subtree, 0) != 0) {
		tool_warnx("\"%s\" is not an absolute xenstore path",
		    d.subtree);
		return (TOOL_EXIT_USAGE);
	}
	if (d.db == NULL && d.subtree == NULL)
		d.subtree = "/";

	rc = d.db != NULL ? dump_offline(&d) : dump_live(&d);
	if (rc == 0 && (rc = tool_write_file(d.output, d.buf.p,
	    d.buf.len)) != 0)
		tool_warn(rc, "%s", d.output ? d.output : "standard output");
	tool_buf_free(&d.buf);
	return (rc == 0 ? TOOL_EXIT_OK : TOOL_EXIT_ERROR);
}

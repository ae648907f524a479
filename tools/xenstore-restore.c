/*
 * xenstore-restore - put the nodes of a dump (Xen's migration stream or
 * its text form, told apart by their first bytes) back into a running
 * daemon or into a database directory.
 *
 * The whole input is read and checked first (xs_stream_next or
 * xs_text_next on every record; each node's parent earlier in the dump
 * or outside it; no node twice; each node within what one WRITE and one
 * SET_PERMS carry, XS_PAYLOAD_MAX, so that a daemon can serve it): a bad
 * dump changes nothing.
 *
 * Then, unless --force, the target must not hold data where the dump
 * goes: below each node of the dump whose parent is not in the dump
 * (the root of a full dump, the top of a subtree dump), only the nodes
 * of a fresh store (tool_fresh_nodes) may exist.
 *
 * Into a daemon, nodes go in transactions of --batch nodes (WRITE of the
 * value, then SET_PERMS of the exact list, pipelined), each one tried
 * again on EAGAIN; the permissions of special nodes are set afterwards,
 * outside transactions. Into a directory, all nodes go in one store
 * transaction, so that a failure leaves the database as it was.
 *
 * Connections, watches, transactions and their nodes, domain data and
 * global data are run-time state of the daemon that wrote them: they are
 * checked and counted, not restored.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tool-util.h"

#define RESTORE_BATCH		256	/* nodes per transaction */
#define RESTORE_BATCH_MAX	4096
#define RESTORE_TRIES		10	/* of one batch, on EAGAIN */
#define RESTORE_WINDOW		64	/* requests in flight */
#define RESTORE_DB_TRIES	8	/* of the store transaction, on ENOSPC */

/* The permissions of special paths, as src/op-node.c keeps them. */
#define RESTORE_SPECIAL_META	"perms:"

struct restore {
	const char		*socket;
	const char		*db;
	const char		*input;
	const char		*iname;		/* for messages */
	bool			 force;
	unsigned int		 batch;

	struct tool_buf		 in;
	size_t			 nodes;		/* committed, not special */
	size_t			 specials;
	size_t			 skipped;
	char			**tops;
	size_t			 ntops;
	bool			 progress;
	double			 shown;		/* when progress was shown */

	/* Live. */
	struct xs_client	*c;
	uint32_t		 req_id;
	size_t			 done;
};

/* Requests of one batch: type, then payload with its length. */
struct restore_batch {
	struct tool_buf		 reqs;	/* u32 type, u32 len, payload */
	size_t			 nreqs;
	size_t			 nodes;
};

static void	restore_usage(FILE *);
static int	restore_open(struct restore *, struct tool_input *);
static int	restore_fail_input(struct restore *, struct tool_input *,
		    int);
static int	restore_parent(const char *, char *, size_t);
static int	restore_scan(struct restore *);
static size_t	restore_perms_len(const struct xs_stream_node *);
static int	restore_refuse(struct restore *, const char *);
static int	restore_live_check(struct restore *, const char *);
static int	restore_add_req(struct restore_batch *, uint32_t, const char *,
		    const void *, size_t, const void *, size_t);
static int	restore_add_node(struct restore_batch *,
		    const struct xs_stream_node *, bool);
static int	restore_live_send(struct restore *, struct restore_batch *,
		    uint32_t);
static int	restore_live_batch(struct restore *, struct restore_batch *);
static int	restore_live(struct restore *);
static int	restore_db_check(struct restore *, struct store_txn *,
		    const char *);
static int	restore_db_apply(struct restore *, struct store_txn *);
static int	restore_db(struct restore *);
static void	restore_progress(struct restore *, bool);

/* The usage message. */
static void
restore_usage(FILE *f)
{
	fprintf(f,
"usage: %s [--socket PATH | --db DIR] [--force] [--batch N] [FILE]\n"
"  FILE                a dump, stream or text (default: standard input)\n"
"  -s, --socket PATH   restore into a running daemon (default:\n"
"                      $XENSTORED_PATH, else /var/run/xenstored/socket)\n"
"  -d, --db DIR        restore into an xsdb database directory, created\n"
"                      if missing; no daemon may be using it\n"
"  -f, --force         write over nodes that exist already\n"
"  -b, --batch N       nodes per transaction (default %u)\n"
"  -h, --help          this text\n", tool_name, RESTORE_BATCH);
}

/* Open a reader on the input. */
static int
restore_open(struct restore *r, struct tool_input *in)
{
	int	rc;

	if ((rc = tool_input_open(in, r->in.p, r->in.len)) != 0)
		tool_warn(rc, "%s", r->iname);
	return (rc);
}

/* Report a reader's error. Returns rc. */
static int
restore_fail_input(struct restore *r, struct tool_input *in, int rc)
{
	if (rc == EINVAL)
		tool_warnx("%s: %s", r->iname, tool_input_error(in));
	else
		tool_warn(rc, "%s", r->iname);
	return (rc);
}

/* The parent of an absolute path into out. */
static int
restore_parent(const char *path, char *out, size_t len)
{
	return (xs_path_parent(path, out, len));
}

/* Length of a SET_PERMS payload's entries ("r5\0"...). */
static size_t
restore_perms_len(const struct xs_stream_node *n)
{
	char		one[16];
	size_t		len = 0;
	unsigned int	i;

	for (i = 0; i < n->nperms; i++)
		len += xs_perm_format(&n->perms[i], one, sizeof one) + 1;
	return (len);
}

/*
 * The first pass: read and check everything, count, find the tops (nodes
 * whose parent is not in the dump).
 */
static int
restore_scan(struct restore *r)
{
	struct tool_pathset	 seen = { 0 };
	struct tool_input	 in;
	struct xs_stream_record	 rec;
	struct xs_stream_node	*n;
	char			 parent[XS_ABS_PATH_MAX + 1], **tops;
	size_t			 plen, cap = 0;
	int			 rc;

	if ((rc = restore_open(r, &in)) != 0)
		return (rc);
	for (;;) {
		if ((rc = tool_input_next(&in, &rec)) != 0) {
			restore_fail_input(r, &in, rc);
			break;
		}
		if (rec.type == XS_STREAM_END)
			break;
		n = &rec.u.node;
		if (rec.type != XS_STREAM_NODE || n->conn_id != 0) {
			r->skipped++;
			continue;
		}
		plen = strlen(n->path);
		if (n->path[0] == '@') {
			if (n->vlen != 0) {
				tool_warnx("%s: byte %zu: special node %s has "
				    "a value", r->iname, rec.offset, n->path);
				rc = EINVAL;
				break;
			}
			if (plen + 1 + restore_perms_len(n) >
			    XS_PAYLOAD_MAX) {
				tool_warnx("%s: %s: too many permissions for "
				    "one SET_PERMS", r->iname, n->path);
				rc = E2BIG;
				break;
			}
			r->specials++;
			continue;
		}
		if (tool_pathset_get(&seen, n->path, NULL)) {
			tool_warnx("%s: byte %zu: node %s is in the dump twice",
			    r->iname, rec.offset, n->path);
			rc = EINVAL;
			break;
		}
		if (plen + 1 + n->vlen > XS_PAYLOAD_MAX ||
		    plen + 1 + restore_perms_len(n) > XS_PAYLOAD_MAX) {
			tool_warnx("%s: %s: the node does not fit a WRITE and "
			    "a SET_PERMS of %u bytes", r->iname, n->path,
			    XS_PAYLOAD_MAX);
			rc = E2BIG;
			break;
		}
		if ((rc = tool_pathset_add(&seen, n->path, r->nodes)) != 0)
			break;
		r->nodes++;
		if (strcmp(n->path, "/") != 0) {
			restore_parent(n->path, parent, sizeof parent);
			if (tool_pathset_get(&seen, parent, NULL))
				continue;
		}
		if (r->ntops == cap) {
			cap = cap ? 2 * cap : 8;
			if ((tops = reallocarray(r->tops, cap,
			    sizeof *tops)) == NULL) {
				rc = ENOMEM;
				break;
			}
			r->tops = tops;
		}
		if ((r->tops[r->ntops] = strdup(n->path)) == NULL) {
			rc = ENOMEM;
			break;
		}
		r->ntops++;
	}
	if (rc == ENOMEM)
		tool_warn(rc, "%s", r->iname);

	/* A top whose parent comes later in the dump is out of order. */
	for (cap = 0; rc == 0 && cap < r->ntops; cap++) {
		if (strcmp(r->tops[cap], "/") == 0)
			continue;
		restore_parent(r->tops[cap], parent, sizeof parent);
		if (tool_pathset_get(&seen, parent, NULL)) {
			tool_warnx("%s: node %s comes before its parent",
			    r->iname, r->tops[cap]);
			rc = EINVAL;
		}
	}
	tool_pathset_free(&seen);
	tool_input_close(&in);
	return (rc);
}

/* The target holds path, which the dump would write over. */
static int
restore_refuse(struct restore *r, const char *path)
{
	tool_warnx("%s already holds %s: not restoring over existing data "
	    "(--force writes over it)", r->db ? r->db : "the store", path);
	return (EEXIST);
}

/* Nothing but fresh nodes at or below path in the daemon. */
static int
restore_live_check(struct restore *r, const char *path)
{
	const char	*name;
	char		*names, *child;
	uint32_t	 len;
	int		 rc;

	rc = xs_client_directory(r->c, 0, path, &names, &len);
	if (rc == ENOENT)
		return (0);
	if (rc == E2BIG || (rc == 0 && !tool_is_fresh(path))) {
		if (rc == 0)
			free(names);
		return (restore_refuse(r, path));
	}
	if (rc != 0) {
		tool_warn(rc, "%s: DIRECTORY", path);
		return (rc);
	}
	for (name = names; rc == 0 && name < names + len;
	    name += strlen(name) + 1) {
		if (asprintf(&child, "%s/%s", strcmp(path, "/") == 0 ? "" :
		    path, name) == -1) {
			rc = ENOMEM;
			break;
		}
		rc = restore_live_check(r, child);
		free(child);
	}
	free(names);
	return (rc);
}

/* Append one request to a batch: type, then the parts of its payload. */
static int
restore_add_req(struct restore_batch *b, uint32_t type, const char *path,
    const void *p1, size_t l1, const void *p2, size_t l2)
{
	uint32_t	hdr[2];
	size_t		plen = strlen(path) + 1;
	int		rc;

	hdr[0] = type;
	hdr[1] = (uint32_t)(plen + l1 + l2);
	if ((rc = tool_buf_out(&b->reqs, hdr, sizeof hdr)) != 0 ||
	    (rc = tool_buf_out(&b->reqs, path, plen)) != 0 ||
	    (rc = tool_buf_out(&b->reqs, p1, l1)) != 0 ||
	    (rc = tool_buf_out(&b->reqs, p2, l2)) != 0)
		return (rc);
	b->nreqs++;
	return (0);
}

/* The requests of one node: WRITE (unless special), SET_PERMS. */
static int
restore_add_node(struct restore_batch *b, const struct xs_stream_node *n,
    bool special)
{
	char		perms[XS_PAYLOAD_MAX];
	size_t		len;
	int		rc;

	if (!special && (rc = restore_add_req(b, XS_WRITE, n->path, n->value,
	    n->vlen, NULL, 0)) != 0)
		return (rc);
	if ((len = xs_perm_format_list(n->perms, n->nperms, perms,
	    sizeof perms)) == 0)
		return (E2BIG);
	if ((rc = restore_add_req(b, XS_SET_PERMS, n->path, perms, len, NULL,
	    0)) != 0)
		return (rc);
	b->nodes++;
	return (0);
}

/*
 * Send the requests of a batch in transaction tx, at most RESTORE_WINDOW
 * in flight, and take every reply. Returns 0, EAGAIN, or an error named
 * with its node.
 */
static int
restore_live_send(struct restore *r, struct restore_batch *b, uint32_t tx)
{
	struct xs_reply	 reply;
	unsigned char	*p = b->reqs.p;
	unsigned char	*q = b->reqs.p;
	uint32_t	 hdr[2], first = r->req_id, type;
	size_t		 sent = 0, got = 0;
	int		 rc = 0, err;

	while (got < b->nreqs) {
		while (sent < b->nreqs && sent - got < RESTORE_WINDOW) {
			memcpy(hdr, p, sizeof hdr);
			if ((err = xs_client_send(r->c, hdr[0], r->req_id++,
			    tx, p + sizeof hdr, hdr[1])) != 0) {
				tool_warn(err, "cannot send a request");
				return (err);
			}
			p += sizeof hdr + hdr[1];
			sent++;
		}
		do {
			if ((err = xs_client_recv(r->c, -1, &reply)) != 0) {
				tool_warn(err, "the connection to the daemon "
				    "failed");
				return (err);
			}
		} while (reply.hdr.type == XS_WATCH_EVENT);
		memcpy(hdr, q, sizeof hdr);
		type = hdr[0];
		if (reply.hdr.req_id != first + got) {
			tool_warnx("a reply to request %u came for request %zu",
			    reply.hdr.req_id, first + got);
			return (EPROTO);
		}
		if (rc == 0 && reply.hdr.type == XS_ERROR) {
			err = xs_wire_error_from_name(reply.payload);
			rc = err ? err : EIO;
			if (rc != EAGAIN)
				tool_warnx("%s: %s: %s", (const char *)q +
				    sizeof hdr, xs_wire_type_name(type),
				    reply.payload);
		} else if (rc == 0 && reply.hdr.type != type) {
			tool_warnx("%s: a reply of type %u to %s",
			    (const char *)q + sizeof hdr, reply.hdr.type,
			    xs_wire_type_name(type));
			rc = EPROTO;
		}
		q += sizeof hdr + hdr[1];
		got++;
	}
	return (rc);
}

/* Run one batch in a transaction, again while the daemon says EAGAIN. */
static int
restore_live_batch(struct restore *r, struct restore_batch *b)
{
	uint32_t	tx;
	int		rc, rc2, tries;

	if (b->nreqs == 0)
		return (0);
	for (tries = 0; tries < RESTORE_TRIES; tries++) {
		if ((rc = xs_client_transaction_start(r->c, &tx)) != 0) {
			tool_warn(rc, "cannot start a transaction");
			return (rc);
		}
		rc = restore_live_send(r, b, tx);
		rc2 = xs_client_transaction_end(r->c, tx, rc == 0);
		if (rc == 0)
			rc = rc2;
		if (rc != EAGAIN)
			break;
	}
	if (rc == EAGAIN)
		tool_warnx("a transaction kept failing with EAGAIN: gave up "
		    "after %d tries", RESTORE_TRIES);
	else if (rc != 0 && rc == rc2)
		tool_warn(rc, "cannot commit a transaction");
	if (rc == 0) {
		r->done += b->nodes;
		restore_progress(r, false);
	}
	b->reqs.len = 0;
	b->nreqs = 0;
	b->nodes = 0;
	return (rc);
}

/* Progress on a terminal: nodes done of all, five times a second. */
static void
restore_progress(struct restore *r, bool last)
{
	struct timespec	ts;
	double		now;

	if (!r->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (!last && now - r->shown < 0.2)
		return;
	r->shown = now;
	fprintf(stderr, "\r%s: %zu of %zu nodes", tool_name, r->done,
	    r->nodes);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Restore into a running daemon. */
static int
restore_live(struct restore *r)
{
	struct restore_batch	 b = { 0 }, sp = { 0 };
	struct tool_input	 in;
	struct xs_stream_record	 rec;
	const char		*path = tool_socket_path(r->socket);
	size_t			 i;
	int			 rc;

	if ((rc = xs_client_open(path, &r->c)) != 0) {
		tool_warn(rc, "cannot connect to %s", path);
		return (rc);
	}
	r->req_id = 1;
	for (i = 0; !r->force && rc == 0 && i < r->ntops; i++)
		rc = restore_live_check(r, r->tops[i]);
	if (rc == 0)
		rc = restore_open(r, &in);
	if (rc != 0)
		goto out;
	for (;;) {
		if ((rc = tool_input_next(&in, &rec)) != 0) {
			restore_fail_input(r, &in, rc);
			break;
		}
		if (rec.type == XS_STREAM_END) {
			rc = restore_live_batch(r, &b);
			break;
		}
		if (rec.type != XS_STREAM_NODE || rec.u.node.conn_id != 0)
			continue;
		rc = restore_add_node(rec.u.node.path[0] == '@' ? &sp : &b,
		    &rec.u.node, rec.u.node.path[0] == '@');
		if (rc != 0) {
			tool_warn(rc, "%s", rec.u.node.path);
			break;
		}
		if (b.nodes >= r->batch && (rc = restore_live_batch(r, &b)) !=
		    0)
			break;
	}
	if (rc == 0 && sp.nreqs > 0)
		rc = restore_live_send(r, &sp, 0);
	if (r->done > 0)
		restore_progress(r, true);
	tool_input_close(&in);
out:
	tool_buf_free(&b.reqs);
	tool_buf_free(&sp.reqs);
	xs_client_close(r->c);
	r->c = NULL;
	return (rc);
}

/* Nothing but fresh nodes at or below path in the database. */
static int
restore_db_check(struct restore *r, struct store_txn *t, const char *path)
{
	struct tool_buf	 kids = { 0 };
	const char	*name;
	char		*child;
	int		 rc;

	if (!store_exists(t, path))
		return (0);
	if (!tool_is_fresh(path))
		return (restore_refuse(r, path));
	if ((rc = store_list(t, path, tool_buf_name, &kids)) != 0) {
		tool_warn(rc, "%s: cannot list the children", path);
		return (rc);
	}
	for (name = (const char *)kids.p; rc == 0 &&
	    name < (const char *)kids.p + kids.len; name += strlen(name) + 1) {
		if (asprintf(&child, "%s/%s", strcmp(path, "/") == 0 ? "" :
		    path, name) == -1) {
			rc = ENOMEM;
			break;
		}
		rc = restore_db_check(r, t, child);
		free(child);
	}
	tool_buf_free(&kids);
	return (rc);
}

/* Write every node of the dump through t. */
static int
restore_db_apply(struct restore *r, struct store_txn *t)
{
	struct tool_input	 in;
	struct xs_stream_record	 rec;
	struct xs_stream_node	*n;
	struct xs_perm		 perms[XS_PERMS_MAX];
	char			 name[64];
	int			 rc;

	if ((rc = restore_open(r, &in)) != 0)
		return (rc);
	r->done = 0;
	for (;;) {
		if ((rc = tool_input_next(&in, &rec)) != 0) {
			restore_fail_input(r, &in, rc);
			break;
		}
		if (rec.type == XS_STREAM_END)
			break;
		n = &rec.u.node;
		if (rec.type != XS_STREAM_NODE || n->conn_id != 0)
			continue;
		xs_stream_node_perms(n, perms);
		if (n->path[0] == '@') {
			snprintf(name, sizeof name, "%s%s",
			    RESTORE_SPECIAL_META, n->path);
			if ((rc = store_meta_put(t, name, perms,
			    n->nperms * sizeof *perms)) != 0) {
				tool_warn(rc, "%s: cannot set its permissions",
				    n->path);
				break;
			}
			continue;
		}
		if ((rc = store_write(t, n->path, n->value, n->vlen,
		    STORE_OWNER_INHERIT, NULL)) != 0 ||
		    (rc = store_set_perms(t, n->path, perms,
		    n->nperms)) != 0) {
			if (rc != ENOSPC)
				tool_warn(rc, "%s: cannot write the node",
				    n->path);
			break;
		}
		if (++r->done % 4096 == 0)
			restore_progress(r, false);
	}
	tool_input_close(&in);
	return (rc);
}

/* Restore into a database directory. */
static int
restore_db(struct restore *r)
{
	struct store_config	 cfg;
	struct store		*s;
	struct store_txn	*t;
	char			 err[256] = "";
	size_t			 i;
	int			 rc, tries;

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = r->db;
	/* Room for the dump several times over, so the map rarely grows. */
	cfg.map_size = (size_t)64 << 20;
	if (r->in.len < ((size_t)1 << 40) / 8 &&
	    8 * r->in.len > cfg.map_size)
		cfg.map_size = 8 * r->in.len;
	if ((rc = store_open(&s, &cfg, err, sizeof err)) != 0) {
		if (*err != '\0')
			tool_warnx("%s: %s", r->db, err);
		else
			tool_warn(rc, "%s: cannot open the database", r->db);
		return (rc);
	}
	for (tries = 0; tries < RESTORE_DB_TRIES; tries++) {
		if ((rc = store_txn_begin(s, NULL, STORE_TXN_WRITE, &t)) !=
		    0) {
			tool_warn(rc, "%s: cannot write the database", r->db);
			break;
		}
		for (i = 0; !r->force && rc == 0 && i < r->ntops; i++)
			rc = restore_db_check(r, t, r->tops[i]);
		if (rc == 0)
			rc = restore_db_apply(r, t);
		if (rc != 0) {
			store_txn_abort(t);
			if (rc == ENOSPC)
				continue;	/* the map grows: again */
			break;
		}
		rc = store_txn_commit(t);
		if (rc == ENOSPC)
			continue;
		if (rc != 0)
			tool_warn(rc, "%s: cannot commit", r->db);
		break;
	}
	if (rc == ENOSPC)
		tool_warn(rc, "%s: the database is full", r->db);
	if (rc == 0)
		restore_progress(r, true);
	store_close(s);
	return (rc);
}

int
main(int argc, char **argv)
{
	static const struct option	longopts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "db",		required_argument,	NULL, 'd' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "batch",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct restore	 r;
	char		*end;
	unsigned long	 v;
	size_t		 i;
	int		 ch, rc;

	tool_init(argv[0]);
	memset(&r, 0, sizeof r);
	r.batch = RESTORE_BATCH;
	while ((ch = getopt_long(argc, argv, "s:d:fb:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			r.socket = optarg;
			break;
		case 'd':
			r.db = optarg;
			break;
		case 'f':
			r.force = true;
			break;
		case 'b':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || v == 0 || v > RESTORE_BATCH_MAX) {
				tool_warnx("--batch wants a number from 1 to "
				    "%u", RESTORE_BATCH_MAX);
				return (TOOL_EXIT_USAGE);
			}
			r.batch = (unsigned int)v;
			break;
		case 'h':
			restore_usage(stdout);
			return (TOOL_EXIT_OK);
		default:
			restore_usage(stderr);
			return (TOOL_EXIT_USAGE);
		}
	}
	if (argc - optind > 1) {
		tool_warnx("unexpected argument \"%s\"", argv[optind + 1]);
		restore_usage(stderr);
		return (TOOL_EXIT_USAGE);
	}
	if (r.socket != NULL && r.db != NULL) {
		tool_warnx("--socket and --db exclude each other");
		return (TOOL_EXIT_USAGE);
	}
	r.input = optind < argc ? argv[optind] : NULL;
	r.iname = r.input != NULL && strcmp(r.input, "-") != 0 ? r.input :
	    "standard input";
	r.progress = isatty(STDERR_FILENO);

	if ((rc = tool_read_file(r.input, &r.in)) != 0)
		tool_warn(rc, "%s", r.iname);
	else if ((rc = restore_scan(&r)) == 0)
		rc = r.db != NULL ? restore_db(&r) : restore_live(&r);
	if (rc == 0 && r.skipped > 0)
		tool_warnx("%zu records other than committed nodes (connections, "
		    "watches, transactions, domain data) were not restored",
		    r.skipped);
	for (i = 0; i < r.ntops; i++)
		free(r.tops[i]);
	free(r.tops);
	tool_buf_free(&r.in);
	return (rc == 0 ? TOOL_EXIT_OK : TOOL_EXIT_ERROR);
}

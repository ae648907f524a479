/*
 * xsdb-inspect.c - look into an xsdb database directory without the
 * daemon: its figures, the tree, one node in full, the domain table, the
 * persisted watches, the largest subtrees, the usage of each owner and
 * the integrity check.
 *
 * Read-only: the store is opened with read_only and everything shown
 * comes from one LMDB read snapshot, so the output is consistent even
 * while xsdbd commits beside it. A reader never blocks LMDB's writer; the
 * snapshot only keeps the pages it sees from being reused until the tool
 * exits.
 *
 * Text output is for people. With --json each command prints one JSON
 * object; a string carries each byte as the code point of the same value
 * (U+0000 to U+00FF), so a value that is not text survives the trip.
 *
 * A snapshot holds a slot in LMDB's table of readers, and a slot left by
 * a process that died keeps the daemon from reusing the pages it sees
 * until someone clears it. So the tool never dies inside its snapshot if
 * it can help it: SIGINT, SIGTERM and SIGHUP only set a flag (and break a
 * blocked write), SIGPIPE is ignored, and every step checks the flag and
 * the output; the snapshot is then closed and the signal raised again.
 *
 * Exit status: 0; 1 on an error, or when check finds a problem; 2 for a
 * bad command line.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "xs.h"

#define INSPECT_DEFAULT_DB	"/var/run/xsdb"
#define INSPECT_EXIT_OK		0
#define INSPECT_EXIT_ERROR	1
#define INSPECT_EXIT_USAGE	2

/* top: subtrees shown by default, and at most. */
#define INSPECT_TOP_DEFAULT	10
#define INSPECT_TOP_MAX		1000000

/* The error of a run stopped by a signal or by its output failing. */
#define INSPECT_STOPPED		ECANCELED

/* Bytes a permission entry counts (store.h, struct store_usage). */
#define INSPECT_PERM_BYTES	5

/* What a command's argument is. */
#define INSPECT_ARG_NONE	0
#define INSPECT_ARG_PATH	1
#define INSPECT_ARG_COUNT	2

/* Options that only some commands take. */
#define INSPECT_OPT_R		0x1	/* ls -r */
#define INSPECT_OPT_B		0x2	/* top -b */
#define INSPECT_OPT_L		0x4	/* top -L */

struct inspect;

/* A sub-command: its name, its function, its arguments and options. */
struct inspect_cmd {
	const char	*name;
	int		(*run)(struct inspect *);
	int		 arg;		/* INSPECT_ARG_* */
	int		 minargs;
	int		 maxargs;
	unsigned int	 opts;
};

/* The state of one run. */
struct inspect {
	const char		*db;
	bool			 json;
	bool			 recursive;	/* ls -r */
	bool			 by_bytes;	/* top -b */
	unsigned int		 max_depth;	/* top -L */
	unsigned int		 opts;		/* INSPECT_OPT_* given */
	const char		*path;		/* ls, node */
	unsigned long		 count;		/* top */

	struct store		*s;
	struct store_txn	*t;
	FILE			*out;
	bool			 first;		/* JSON: first item of a list */
	unsigned long		 errors;	/* problems met on the way */
	int			 out_errno;	/* the output failed so */
};

/* Nodes and bytes of a subtree. */
struct inspect_totals {
	uint64_t	nodes;
	uint64_t	bytes;
};

/* Child names collected by store_list, each followed by a NUL. */
struct inspect_names {
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

/* What a walk of the tree does at each node. */
typedef int	 inspect_pre_fn(struct inspect *, void *, const char *,
		     size_t, const struct store_node *, unsigned int);
typedef int	 inspect_post_fn(struct inspect *, void *, const char *,
		     size_t, unsigned int, const struct inspect_totals *);

struct inspect_walk {
	inspect_pre_fn		*pre;	/* before the children */
	inspect_post_fn		*post;	/* after, with the subtree's totals */
	void			*arg;
	unsigned int		 depth;	/* levels below the start visited */
};

/* One candidate of top. */
struct inspect_top_item {
	char		*path;
	uint64_t	 nodes;
	uint64_t	 bytes;
};

/* The largest subtrees so far: a min-heap of at most max items. */
struct inspect_top {
	struct inspect_top_item	*v;
	size_t			 n;
	size_t			 cap;
	size_t			 max;
	bool			 by_bytes;
	unsigned int		 max_depth;
};

/* Domain ids that have a record in the domain table (check). */
struct inspect_domids {
	uint64_t	*v;
	size_t		 n;
	size_t		 cap;
};

/* Context of inspect_check_watch. */
struct inspect_check_watches {
	struct inspect		*in;
	struct inspect_domids	 ids;
};

static void	 inspect_usage(FILE *);
static void	 inspect_on_signal(int);
static int	 inspect_stopped(struct inspect *);
static bool	 inspect_number(const char *, unsigned long, unsigned long *);
static void	 inspect_json_string(FILE *, const void *, size_t);
static void	 inspect_text_string(FILE *, const void *, size_t);
static void	 inspect_perms_text(FILE *, const struct xs_perm *,
		     unsigned int);
static void	 inspect_perms_json(FILE *, const struct xs_perm *,
		     unsigned int);
static void	 inspect_item(struct inspect *);
static const char *inspect_human(uint64_t, char *, size_t);
static uint64_t	 inspect_node_bytes(const char *, size_t,
		     const struct store_node *);
static int	 inspect_args(struct inspect *, const struct inspect_cmd *,
		     int, char **);
static int	 inspect_names_add(void *, const char *, size_t);
static int	 inspect_walk_node(struct inspect *, struct inspect_walk *,
		     char *, size_t, unsigned int, struct inspect_totals *);
static int	 inspect_walk(struct inspect *, struct inspect_walk *,
		     const char *, struct inspect_totals *);

static int	 inspect_summary(struct inspect *);
static int	 inspect_ls_node(struct inspect *, void *, const char *,
		     size_t, const struct store_node *, unsigned int);
static int	 inspect_ls(struct inspect *);
static int	 inspect_node(struct inspect *);
static int	 inspect_domain_one(void *, uint64_t, const void *, size_t);
static int	 inspect_table(struct inspect *, enum store_table,
		    const char *, const char *, store_record_fn *,
		    const char *);
static int	 inspect_domains(struct inspect *);
static int	 inspect_watch_one(void *, uint64_t, const void *, size_t);
static int	 inspect_watches(struct inspect *);
static bool	 inspect_top_less(const struct inspect_top *,
		     const struct inspect_top_item *,
		     const struct inspect_top_item *);
static void	 inspect_top_sift(struct inspect_top *, size_t);
static int	 inspect_top_node(struct inspect *, void *, const char *,
		     size_t, unsigned int, const struct inspect_totals *);
static int	 inspect_top_cmp(const void *, const void *, void *);
static int	 inspect_top(struct inspect *);
static int	 inspect_usage_one(void *, uint32_t, const struct store_usage *);
static int	 inspect_usage_cmd(struct inspect *);
static void	 inspect_finding(void *, const char *);
static void	 inspect_findingf(struct inspect *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
static int	 inspect_check_domain(void *, uint64_t, const void *, size_t);
static int	 inspect_note_domid(void *, uint64_t, const void *, size_t);
static int	 inspect_check_watch(void *, uint64_t, const void *, size_t);
static int	 inspect_check(struct inspect *);

/* The signal that asks the run to stop, or 0. */
static volatile sig_atomic_t	inspect_signo;

static const struct inspect_cmd inspect_cmds[] = {
	{ "summary", inspect_summary, INSPECT_ARG_NONE, 0, 0, 0 },
	{ "ls", inspect_ls, INSPECT_ARG_PATH, 0, 1, INSPECT_OPT_R },
	{ "node", inspect_node, INSPECT_ARG_PATH, 1, 1, 0 },
	{ "domains", inspect_domains, INSPECT_ARG_NONE, 0, 0, 0 },
	{ "watches", inspect_watches, INSPECT_ARG_NONE, 0, 0, 0 },
	{ "top", inspect_top, INSPECT_ARG_COUNT, 0, 1,
	    INSPECT_OPT_B | INSPECT_OPT_L },
	{ "usage", inspect_usage_cmd, INSPECT_ARG_NONE, 0, 0, 0 },
	{ "check", inspect_check, INSPECT_ARG_NONE, 0, 0, 0 },
};

/* Print the usage text. */
static void
inspect_usage(FILE *f)
{
	fprintf(f,
"usage: xsdb-inspect [-j] [-d dir] command [args]\n"
"\n"
"Options:\n"
"  -d, --db dir        the database directory (default %s)\n"
"  -j, --json          JSON instead of text\n"
"\n"
"Commands:\n"
"  summary             figures about the database\n"
"  ls [-r] [path]      the children of a node (-r: all its descendants)\n"
"  node path           one node in full\n"
"  domains             the domain table\n"
"  watches             the persisted watches\n"
"  top [-b] [-L depth] [n]\n"
"                      the n largest subtrees by nodes (-b: by bytes)\n"
"  usage               nodes and bytes per owning domain\n"
"  check               the integrity check; exit status 1 on a finding\n",
	    INSPECT_DEFAULT_DB);
}

/* A signal that ends the run: note it, to end cleanly. */
static void
inspect_on_signal(int signo)
{
	inspect_signo = signo;
}

/*
 * INSPECT_STOPPED once a signal came or the output failed (its errno
 * kept), else 0. Called at every step that prints.
 */
static int
inspect_stopped(struct inspect *in)
{
	if (in->out_errno == 0 && ferror(in->out))
		in->out_errno = errno != 0 ? errno : EIO;
	if (inspect_signo != 0 || in->out_errno != 0)
		return (INSPECT_STOPPED);
	return (0);
}

/* Parse a decimal number up to max. */
static bool
inspect_number(const char *s, unsigned long max, unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return (false);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return (false);
	*out = v;
	return (true);
}

/* Write bytes as a JSON string, each byte the code point of its value. */
static void
inspect_json_string(FILE *f, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 i;

	putc('"', f);
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (p[i] < 0x20 || p[i] >= 0x7f)
				fprintf(f, "\\u%04x", p[i]);
			else
				putc(p[i], f);
			break;
		}
	}
	putc('"', f);
}

/*
 * Write bytes in double quotes, escaped as the text form of a dump does
 * (lib/text.c): \\ \" \n \t \0, \xNN for other bytes outside 0x20-0x7e.
 */
static void
inspect_text_string(FILE *f, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 i;

	putc('"', f);
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
		case '\\':
			putc('\\', f);
			putc(p[i], f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\0':
			fputs("\\0", f);
			break;
		default:
			if (p[i] < 0x20 || p[i] > 0x7e)
				fprintf(f, "\\x%02x", p[i]);
			else
				putc(p[i], f);
			break;
		}
	}
	putc('"', f);
}

/*
 * Write a permission list as SET_PERMS spells it, comma-separated; an
 * entry the daemon ignores (its domain went away) ends with '!', as in
 * the text dump.
 */
static void
inspect_perms_text(FILE *f, const struct xs_perm *p, unsigned int n)
{
	unsigned int	i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%c%u%s", i > 0 ? "," : "",
		    "nrwb"[p[i].access & 3], (unsigned int)p[i].domid,
		    (p[i].access & XS_PERM_IGNORE) ? "!" : "");
}

/* Write a permission list as a JSON array of strings. */
static void
inspect_perms_json(FILE *f, const struct xs_perm *p, unsigned int n)
{
	unsigned int	i;

	putc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%c%u%s\"", i > 0 ? "," : "",
		    "nrwb"[p[i].access & 3], (unsigned int)p[i].domid,
		    (p[i].access & XS_PERM_IGNORE) ? "!" : "");
	putc(']', f);
}

/* Start the next item of a JSON list: a comma unless it is the first. */
static void
inspect_item(struct inspect *in)
{
	fputs(in->first ? "\n" : ",\n", in->out);
	in->first = false;
}

/* A size for people ("64.0 MiB"). */
static const char *
inspect_human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double			 d = (double)v;
	size_t			 i;

	if (v < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)v);
		return (buf);
	}
	for (i = 0; i < 3 && d >= 1024.0 * 1024.0; i++)
		d /= 1024.0;
	snprintf(buf, len, "%.1f %s", d / 1024.0, units[i]);
	return (buf);
}

/* Bytes a node counts against its owner (store.h, struct store_usage). */
static uint64_t
inspect_node_bytes(const char *path, size_t plen, const struct store_node *n)
{
	const char	*slash;
	size_t		 namelen;

	slash = memrchr(path, '/', plen);
	namelen = slash != NULL ? plen - (size_t)(slash - path) - 1 : plen;
	return ((uint64_t)n->vlen + (uint64_t)n->nperms * INSPECT_PERM_BYTES +
	    namelen + 1);
}

/*
 * Check a command's arguments and options before the database is opened.
 * Returns 0, or EINVAL with a message.
 */
static int
inspect_args(struct inspect *in, const struct inspect_cmd *cmd, int argc,
    char **argv)
{
	if (argc < cmd->minargs || argc > cmd->maxargs ||
	    (in->opts & ~cmd->opts) != 0) {
		warnx("wrong arguments or options for %s", cmd->name);
		return (EINVAL);
	}
	switch (cmd->arg) {
	case INSPECT_ARG_PATH:
		in->path = argc > 0 ? argv[0] : "/";
		if (xs_path_check(in->path, 0) != 0) {
			warnx("invalid path \"%s\": an absolute xenstore path "
			    "is needed", in->path);
			return (EINVAL);
		}
		break;
	case INSPECT_ARG_COUNT:
		in->count = INSPECT_TOP_DEFAULT;
		if (argc > 0 && !inspect_number(argv[0], INSPECT_TOP_MAX,
		    &in->count)) {
			warnx("invalid count \"%s\": a number from 0 to %d is "
			    "needed", argv[0], INSPECT_TOP_MAX);
			return (EINVAL);
		}
		break;
	}
	return (0);
}

/* store_list: keep one child's name. */
static int
inspect_names_add(void *arg, const char *name, size_t len)
{
	struct inspect_names	*nm = arg;
	size_t			 cap;
	char			*p;

	if (nm->len + len + 1 > nm->cap) {
		for (cap = nm->cap ? nm->cap : 256; cap < nm->len + len + 1;
		    cap *= 2)
			;
		if ((p = realloc(nm->buf, cap)) == NULL)
			return (ENOMEM);
		nm->buf = p;
		nm->cap = cap;
	}
	memcpy(nm->buf + nm->len, name, len);
	nm->buf[nm->len + len] = '\0';
	nm->len += len + 1;
	return (0);
}

/*
 * Visit the node at path (plen bytes in a buffer of XS_ABS_PATH_MAX + 1)
 * and, depth-first in creation order, its descendants down to w->depth
 * levels below the start. *tot gets the totals of what was visited. A
 * child that its parent lists but cannot be read is reported and
 * skipped. Returns 0, ENOENT for a start node that does not exist, or an
 * error.
 */
static int
inspect_walk_node(struct inspect *in, struct inspect_walk *w, char *path,
    size_t plen, unsigned int depth, struct inspect_totals *tot)
{
	struct store_node	 node;
	struct inspect_names	 names = { NULL, 0, 0 };
	struct inspect_totals	 sub;
	const char		*name;
	size_t			 off, nlen, clen;
	int			 error;

	tot->nodes = tot->bytes = 0;
	if ((error = inspect_stopped(in)) != 0)
		return (error);
	if ((error = store_get(in->t, path, &node)) != 0) {
		if (depth == 0 || (error != ENOENT && error != EINVAL))
			return (error);
		warnx("%s: listed by its parent, but %s", path, error ==
		    ENOENT ? "there is no such node" : "not a valid path");
		in->errors++;
		return (0);
	}
	tot->nodes = 1;
	tot->bytes = inspect_node_bytes(path, plen, &node);
	if (w->pre != NULL &&
	    (error = w->pre(in, w->arg, path, plen, &node, depth)) != 0)
		return (error);
	if (depth < w->depth) {
		error = store_list(in->t, path, inspect_names_add, &names);
		if (error != 0)
			goto out;
	}
	for (off = 0; off < names.len; off += nlen + 1) {
		name = names.buf + off;
		nlen = strlen(name);
		clen = plen + (plen > 1) + nlen;
		if (clen > XS_ABS_PATH_MAX) {
			warnx("%s: a child's path is longer than %d bytes",
			    path, XS_ABS_PATH_MAX);
			in->errors++;
			continue;
		}
		if (plen > 1)
			path[plen] = '/';
		memcpy(path + clen - nlen, name, nlen);
		path[clen] = '\0';
		error = inspect_walk_node(in, w, path, clen, depth + 1, &sub);
		path[plen] = '\0';
		if (error != 0)
			goto out;
		tot->nodes += sub.nodes;
		tot->bytes += sub.bytes;
	}
	if (w->post != NULL)
		error = w->post(in, w->arg, path, plen, depth, tot);
out:
	free(names.buf);
	return (error);
}

/* Walk from start; a message for a start that is not there. */
static int
inspect_walk(struct inspect *in, struct inspect_walk *w, const char *start,
    struct inspect_totals *tot)
{
	char	path[XS_ABS_PATH_MAX + 1];
	size_t	len = strlen(start);
	int	error;

	if (len > XS_ABS_PATH_MAX)
		return (EINVAL);
	memcpy(path, start, len + 1);
	error = inspect_walk_node(in, w, path, len, 0, tot);
	if (error == ENOENT)
		warnx("there is no node %s", start);
	else if (error != 0 && error != INSPECT_STOPPED)
		warnx("cannot read the tree: %s", strerror(error));
	return (error);
}

/* summary: figures about the database. */
static int
inspect_summary(struct inspect *in)
{
	struct store_stats	 st;
	const void		*boot = NULL;
	size_t			 bootlen = 0;
	char			 h1[32], h2[32], h3[32];
	double			 pct;
	FILE			*f = in->out;
	int			 error;

	if ((error = store_stats(in->t, &st)) != 0) {
		warnx("cannot read the figures: %s", strerror(error));
		return (error);
	}
	if (store_meta_get(in->t, "bootid", &boot, &bootlen) != 0)
		boot = NULL;
	pct = st.map_size != 0 ? 100.0 * (double)st.map_used /
	    (double)st.map_size : 0.0;
	if (in->json) {
		fputs("{\"database\":", f);
		inspect_json_string(f, in->db, strlen(in->db));
		fprintf(f, ",\"schema\":%u,\"boot_id\":", st.schema);
		if (boot != NULL)
			inspect_json_string(f, boot, bootlen);
		else
			fputs("null", f);
		fprintf(f, ",\"generation\":%llu,\"nodes\":%llu,"
		    "\"bytes\":%llu,\"domains\":%llu,\"watches\":%llu,"
		    "\"map_size\":%llu,\"map_used\":%llu,\"file_size\":%llu,"
		    "\"page_size\":%u,\"readers_used\":%u,"
		    "\"readers_max\":%u}\n",
		    (unsigned long long)st.generation,
		    (unsigned long long)st.nodes,
		    (unsigned long long)st.bytes,
		    (unsigned long long)st.domains,
		    (unsigned long long)st.watches,
		    (unsigned long long)st.map_size,
		    (unsigned long long)st.map_used,
		    (unsigned long long)st.file_size, st.page_size,
		    st.readers_used, st.readers_max);
		return (0);
	}
	fprintf(f, "database     %s\n", in->db);
	fprintf(f, "schema       %u\n", st.schema);
	fputs("boot id      ", f);
	if (boot != NULL)
		inspect_text_string(f, boot, bootlen);
	else
		fputs("none", f);
	fprintf(f, "\ngeneration   %llu\n", (unsigned long long)st.generation);
	fprintf(f, "nodes        %llu\n", (unsigned long long)st.nodes);
	fprintf(f, "bytes        %llu (%s)\n", (unsigned long long)st.bytes,
	    inspect_human(st.bytes, h1, sizeof h1));
	fprintf(f, "domains      %llu\n", (unsigned long long)st.domains);
	fprintf(f, "watches      %llu\n", (unsigned long long)st.watches);
	fprintf(f, "map size     %llu (%s)\n", (unsigned long long)st.map_size,
	    inspect_human(st.map_size, h2, sizeof h2));
	fprintf(f, "map used     %llu (%.1f%%)\n",
	    (unsigned long long)st.map_used, pct);
	fprintf(f, "file size    %llu (%s)\n",
	    (unsigned long long)st.file_size,
	    inspect_human(st.file_size, h3, sizeof h3));
	fprintf(f, "page size    %u\n", st.page_size);
	fprintf(f, "readers      %u of %u\n", st.readers_used, st.readers_max);
	return (0);
}

/* ls: one node as a line (text) or an object (JSON). */
static int
inspect_ls_node(struct inspect *in, void *arg, const char *path,
    size_t plen, const struct store_node *n, unsigned int depth)
{
	FILE	*f = in->out;

	if (depth == 0)
		return (0);
	if (in->json) {
		inspect_item(in);
		fputs("{\"path\":", f);
		inspect_json_string(f, path, plen);
		fputs(",\"value\":", f);
		inspect_json_string(f, n->value, n->vlen);
		fputs(",\"perms\":", f);
		inspect_perms_json(f, n->perms, n->nperms);
		fprintf(f, ",\"id\":%llu,\"gen\":%llu,\"cgen\":%llu,"
		    "\"children\":%u}", (unsigned long long)n->id,
		    (unsigned long long)n->gen, (unsigned long long)n->cgen,
		    n->nchildren);
		return (0);
	}
	fprintf(f, "%8llu %8llu  %s = ", (unsigned long long)n->gen,
	    (unsigned long long)n->cgen, path);
	inspect_text_string(f, n->value, n->vlen);
	fputs("   (", f);
	inspect_perms_text(f, n->perms, n->nperms);
	fputs(")\n", f);
	return (0);
}

/* ls [-r] [path]: the children of a node, or all its descendants. */
static int
inspect_ls(struct inspect *in)
{
	struct inspect_walk	 w;
	struct inspect_totals	 tot;
	const char		*path = in->path;
	int			 error;

	memset(&w, 0, sizeof w);
	w.pre = inspect_ls_node;
	w.depth = in->recursive ? UINT_MAX : 1;
	if (in->json) {
		fputs("{\"path\":", in->out);
		inspect_json_string(in->out, path, strlen(path));
		fprintf(in->out, ",\"recursive\":%s,\"nodes\":[",
		    in->recursive ? "true" : "false");
		in->first = true;
	}
	error = inspect_walk(in, &w, path, &tot);
	if (in->json)
		fputs("\n]}\n", in->out);
	return (error);
}

/* node path: one node in full. */
static int
inspect_node(struct inspect *in)
{
	struct store_node	 n;
	struct inspect_walk	 w;
	struct inspect_totals	 tot;
	const char		*path = in->path;
	size_t			 plen = strlen(path);
	uint64_t		 bytes;
	FILE			*f = in->out;
	int			 error;

	/* The subtree first: store_get's data lasts until the next call. */
	memset(&w, 0, sizeof w);
	w.depth = UINT_MAX;
	if ((error = inspect_walk(in, &w, path, &tot)) != 0)
		return (error);
	if ((error = store_get(in->t, path, &n)) != 0) {
		warnx("cannot read %s: %s", path, strerror(error));
		return (error);
	}
	bytes = inspect_node_bytes(path, plen, &n);
	if (in->json) {
		fputs("{\"path\":", f);
		inspect_json_string(f, path, plen);
		fputs(",\"value\":", f);
		inspect_json_string(f, n.value, n.vlen);
		fprintf(f, ",\"length\":%u,\"owner\":%u,\"perms\":", n.vlen,
		    (unsigned int)n.perms[0].domid);
		inspect_perms_json(f, n.perms, n.nperms);
		fprintf(f, ",\"id\":%llu,\"gen\":%llu,\"cgen\":%llu,"
		    "\"children\":%u,\"child_bytes\":%u,\"bytes\":%llu,"
		    "\"subtree_nodes\":%llu,\"subtree_bytes\":%llu}\n",
		    (unsigned long long)n.id, (unsigned long long)n.gen,
		    (unsigned long long)n.cgen, n.nchildren, n.childbytes,
		    (unsigned long long)bytes,
		    (unsigned long long)tot.nodes,
		    (unsigned long long)tot.bytes);
		return (0);
	}
	fprintf(f, "path           %s\n", path);
	fputs("value          ", f);
	inspect_text_string(f, n.value, n.vlen);
	fprintf(f, "\nlength         %u\n", n.vlen);
	fprintf(f, "owner          %u\n", (unsigned int)n.perms[0].domid);
	fputs("perms          ", f);
	inspect_perms_text(f, n.perms, n.nperms);
	fprintf(f, "\nid             %llu\n", (unsigned long long)n.id);
	fprintf(f, "gen            %llu\n", (unsigned long long)n.gen);
	fprintf(f, "cgen           %llu\n", (unsigned long long)n.cgen);
	fprintf(f, "children       %u\n", n.nchildren);
	fprintf(f, "child bytes    %u\n", n.childbytes);
	fprintf(f, "bytes          %llu\n", (unsigned long long)bytes);
	fprintf(f, "subtree nodes  %llu\n", (unsigned long long)tot.nodes);
	fprintf(f, "subtree bytes  %llu\n", (unsigned long long)tot.bytes);
	return (0);
}

/* store_table_foreach: show one domain record. */
static int
inspect_domain_one(void *arg, uint64_t key, const void *val, size_t len)
{
	struct inspect			*in = arg;
	struct store_domain_record	 r;
	char				 flags[64], target[16];
	FILE				*f = in->out;
	uint32_t			 i;

	if (inspect_stopped(in) != 0)
		return (INSPECT_STOPPED);
	if (store_domain_record_decode(val, len, &r) != 0 || r.domid != key) {
		in->errors++;
		if (in->json) {
			inspect_item(in);
			fprintf(f, "{\"key\":%llu,\"readable\":false,"
			    "\"length\":%zu}", (unsigned long long)key, len);
		} else
			fprintf(f, "%-6llu (a record of %zu bytes this tool "
			    "cannot read)\n", (unsigned long long)key, len);
		return (0);
	}
	if (in->json) {
		inspect_item(in);
		fprintf(f, "{\"domid\":%u,\"introduced\":%s,\"shutdown\":%s,"
		    "\"mfn\":%llu,\"port\":%u,\"local_port\":%u,"
		    "\"features\":%u,\"target\":", r.domid,
		    (r.flags & STORE_DOMAIN_INTRODUCED) ? "true" : "false",
		    (r.flags & STORE_DOMAIN_SHUTDOWN) ? "true" : "false",
		    (unsigned long long)r.mfn, r.remote_port, r.local_port,
		    r.features);
		if (r.target == STORE_DOMAIN_NO_TARGET)
			fputs("null", f);
		else
			fprintf(f, "%u", r.target);
		fprintf(f, ",\"generation\":%llu,\"quota\":",
		    (unsigned long long)r.gen);
		if ((r.flags & STORE_DOMAIN_QUOTA) == 0)
			fputs("null", f);
		else {
			putc('{', f);
			for (i = 0; i < r.nquota; i++)
				fprintf(f, "%s\"%s\":%u", i > 0 ? "," : "",
				    store_quota_name(i), r.quota[i]);
			putc('}', f);
		}
		putc('}', f);
		return (0);
	}
	snprintf(flags, sizeof flags, "%s%s%s",
	    (r.flags & STORE_DOMAIN_INTRODUCED) ? "introduced" : "known",
	    (r.flags & STORE_DOMAIN_SHUTDOWN) ? ",shutdown" : "",
	    (r.flags & STORE_DOMAIN_QUOTA) ? ",quota" : "");
	if (r.target == STORE_DOMAIN_NO_TARGET)
		snprintf(target, sizeof target, "-");
	else
		snprintf(target, sizeof target, "%u", r.target);
	fprintf(f, "%-6u %-26s %-6s %-6u %-6u 0x%-7x %-10llu 0x%llx\n",
	    r.domid, flags, target, r.remote_port, r.local_port, r.features,
	    (unsigned long long)r.gen, (unsigned long long)r.mfn);
	if (r.flags & STORE_DOMAIN_QUOTA) {
		fputs("       quota:", f);
		for (i = 0; i < r.nquota; i++)
			fprintf(f, " %s=%u", store_quota_name(i), r.quota[i]);
		putc('\n', f);
	}
	return (0);
}

/*
 * List a table of the daemon's records: a JSON object holding one array
 * named key, or a heading line and one line per record.
 */
static int
inspect_table(struct inspect *in, enum store_table tbl, const char *key,
    const char *heading, store_record_fn *one, const char *what)
{
	int	error;

	if (in->json) {
		fprintf(in->out, "{\"%s\":[", key);
		in->first = true;
	} else
		fputs(heading, in->out);
	error = store_table_foreach(in->t, tbl, one, in);
	if (in->json)
		fputs("\n]}\n", in->out);
	if (error != 0 && error != INSPECT_STOPPED)
		warnx("cannot read %s: %s", what, strerror(error));
	return (error);
}

/* domains: the domain table. */
static int
inspect_domains(struct inspect *in)
{
	char	heading[128];

	snprintf(heading, sizeof heading,
	    "%-6s %-26s %-6s %-6s %-6s %-9s %-10s %s\n", "DOMID", "STATE",
	    "TARGET", "PORT", "LOCAL", "FEATURES", "GEN", "MFN");
	return (inspect_table(in, STORE_TABLE_DOMAINS, "domains", heading,
	    inspect_domain_one, "the domain table"));
}

/* store_table_foreach: show one persisted watch. */
static int
inspect_watch_one(void *arg, uint64_t key, const void *val, size_t len)
{
	struct inspect			*in = arg;
	struct store_watch_record	 r;
	unsigned int			 domid = (unsigned int)(key >> 32);
	unsigned int			 num = (unsigned int)(key & 0xffffffffU);
	FILE				*f = in->out;

	if (inspect_stopped(in) != 0)
		return (INSPECT_STOPPED);
	if (store_watch_record_decode(val, len, &r) != 0) {
		in->errors++;
		if (in->json) {
			inspect_item(in);
			fprintf(f, "{\"domid\":%u,\"number\":%u,"
			    "\"readable\":false,\"length\":%zu}", domid, num,
			    len);
		} else
			fprintf(f, "%-6u %-7u (a record of %zu bytes this "
			    "tool cannot read)\n", domid, num, len);
		return (0);
	}
	if (in->json) {
		inspect_item(in);
		fprintf(f, "{\"domid\":%u,\"number\":%u,\"depth\":", domid,
		    num);
		if (r.depth < 0)
			fputs("null", f);
		else
			fprintf(f, "%d", r.depth);
		fputs(",\"path\":", f);
		inspect_json_string(f, r.path, strlen(r.path));
		fputs(",\"token\":", f);
		inspect_json_string(f, r.token, strlen(r.token));
		putc('}', f);
		return (0);
	}
	fprintf(f, "%-6u %-7u ", domid, num);
	if (r.depth < 0)
		fprintf(f, "%-6s ", "-");
	else
		fprintf(f, "%-6d ", r.depth);
	inspect_text_string(f, r.path, strlen(r.path));
	putc(' ', f);
	inspect_text_string(f, r.token, strlen(r.token));
	putc('\n', f);
	return (0);
}

/* watches: the persisted watches. */
static int
inspect_watches(struct inspect *in)
{
	char	heading[64];

	snprintf(heading, sizeof heading, "%-6s %-7s %-6s %s\n", "DOMID",
	    "NUMBER", "DEPTH", "PATH TOKEN");
	return (inspect_table(in, STORE_TABLE_WATCHES, "watches", heading,
	    inspect_watch_one, "the watches"));
}

/* True if a is smaller than b in the order top sorts by. */
static bool
inspect_top_less(const struct inspect_top *tp,
    const struct inspect_top_item *a, const struct inspect_top_item *b)
{
	uint64_t	a1, a2, b1, b2;

	a1 = tp->by_bytes ? a->bytes : a->nodes;
	a2 = tp->by_bytes ? a->nodes : a->bytes;
	b1 = tp->by_bytes ? b->bytes : b->nodes;
	b2 = tp->by_bytes ? b->nodes : b->bytes;
	if (a1 != b1)
		return (a1 < b1);
	if (a2 != b2)
		return (a2 < b2);
	/* Equal sizes: the later path counts as smaller. */
	return (strcmp(a->path, b->path) > 0);
}

/* Move item i of the heap down to its place. */
static void
inspect_top_sift(struct inspect_top *tp, size_t i)
{
	struct inspect_top_item	tmp;
	size_t			l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < tp->n && inspect_top_less(tp, &tp->v[l], &tp->v[m]))
			m = l;
		if (r < tp->n && inspect_top_less(tp, &tp->v[r], &tp->v[m]))
			m = r;
		if (m == i)
			return;
		tmp = tp->v[i];
		tp->v[i] = tp->v[m];
		tp->v[m] = tmp;
		i = m;
	}
}

/* Walk: offer one subtree to the heap. */
static int
inspect_top_node(struct inspect *in, void *arg, const char *path,
    size_t plen, unsigned int depth, const struct inspect_totals *tot)
{
	struct inspect_top	*tp = arg;
	struct inspect_top_item	 it, tmp, *v;
	size_t			 i, cap;

	if (depth > tp->max_depth || tp->max == 0)
		return (0);
	it.path = (char *)path;
	it.nodes = tot->nodes;
	it.bytes = tot->bytes;
	if (tp->n == tp->max) {
		if (!inspect_top_less(tp, &tp->v[0], &it))
			return (0);
		if ((it.path = strdup(path)) == NULL)
			return (ENOMEM);
		free(tp->v[0].path);
		tp->v[0] = it;
		inspect_top_sift(tp, 0);
		return (0);
	}
	if (tp->n == tp->cap) {
		cap = tp->cap ? tp->cap * 2 : 64;
		if ((v = reallocarray(tp->v, cap, sizeof *v)) == NULL)
			return (ENOMEM);
		tp->v = v;
		tp->cap = cap;
	}
	if ((it.path = strdup(path)) == NULL)
		return (ENOMEM);
	/* Sift up. */
	i = tp->n++;
	tp->v[i] = it;
	while (i > 0 && inspect_top_less(tp, &tp->v[i], &tp->v[(i - 1) / 2])) {
		tmp = tp->v[i];
		tp->v[i] = tp->v[(i - 1) / 2];
		tp->v[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
	return (0);
}

/* qsort_r: largest first. */
static int
inspect_top_cmp(const void *a, const void *b, void *arg)
{
	const struct inspect_top	*tp = arg;

	if (inspect_top_less(tp, a, b))
		return (1);
	if (inspect_top_less(tp, b, a))
		return (-1);
	return (0);
}

/* top [-b] [-L depth] [n]: the largest subtrees. */
static int
inspect_top(struct inspect *in)
{
	struct inspect_top	 tp;
	struct inspect_walk	 w;
	struct inspect_totals	 tot;
	FILE			*f = in->out;
	size_t			 i;
	int			 error;

	memset(&tp, 0, sizeof tp);
	tp.max = in->count;
	tp.by_bytes = in->by_bytes;
	tp.max_depth = in->max_depth;
	memset(&w, 0, sizeof w);
	w.post = inspect_top_node;
	w.arg = &tp;
	w.depth = UINT_MAX;
	error = inspect_walk(in, &w, "/", &tot);
	if (error == ENOMEM)
		warnx("out of memory");
	if (error != 0)
		goto out;
	if (tp.n > 1)
		qsort_r(tp.v, tp.n, sizeof *tp.v, inspect_top_cmp, &tp);
	if (in->json) {
		fprintf(f, "{\"by\":\"%s\",\"subtrees\":[",
		    tp.by_bytes ? "bytes" : "nodes");
		in->first = true;
		for (i = 0; i < tp.n; i++) {
			inspect_item(in);
			fputs("{\"path\":", f);
			inspect_json_string(f, tp.v[i].path,
			    strlen(tp.v[i].path));
			fprintf(f, ",\"nodes\":%llu,\"bytes\":%llu}",
			    (unsigned long long)tp.v[i].nodes,
			    (unsigned long long)tp.v[i].bytes);
		}
		fputs("\n]}\n", f);
	} else {
		fprintf(f, "%10s %12s  %s\n", "NODES", "BYTES", "PATH");
		for (i = 0; i < tp.n; i++)
			fprintf(f, "%10llu %12llu  %s\n",
			    (unsigned long long)tp.v[i].nodes,
			    (unsigned long long)tp.v[i].bytes, tp.v[i].path);
	}
out:
	for (i = 0; i < tp.n; i++)
		free(tp.v[i].path);
	free(tp.v);
	return (error);
}

/* store_owner_foreach: show one owner. */
static int
inspect_usage_one(void *arg, uint32_t domid, const struct store_usage *u)
{
	struct inspect	*in = arg;

	if (inspect_stopped(in) != 0)
		return (INSPECT_STOPPED);
	if (in->json) {
		inspect_item(in);
		fprintf(in->out, "{\"domid\":%u,\"nodes\":%llu,\"bytes\":%llu}",
		    domid, (unsigned long long)u->nodes,
		    (unsigned long long)u->bytes);
	} else
		fprintf(in->out, "%-6u %10llu %12llu\n", domid,
		    (unsigned long long)u->nodes,
		    (unsigned long long)u->bytes);
	return (0);
}

/* usage: nodes and bytes per owning domain. */
static int
inspect_usage_cmd(struct inspect *in)
{
	struct store_stats	st;
	int			error;

	if ((error = store_stats(in->t, &st)) != 0) {
		warnx("cannot read the figures: %s", strerror(error));
		return (error);
	}
	if (in->json) {
		fputs("{\"owners\":[", in->out);
		in->first = true;
	} else
		fprintf(in->out, "%-6s %10s %12s\n", "DOMID", "NODES", "BYTES");
	error = store_owner_foreach(in->t, inspect_usage_one, in);
	if (error != 0) {
		if (in->json)
			fputs("\n]}\n", in->out);
		if (error != INSPECT_STOPPED)
			warnx("cannot read the usage: %s", strerror(error));
		return (error);
	}
	if (in->json)
		fprintf(in->out, "\n],\"nodes\":%llu,\"bytes\":%llu}\n",
		    (unsigned long long)st.nodes,
		    (unsigned long long)st.bytes);
	else
		fprintf(in->out, "%-6s %10llu %12llu\n", "total",
		    (unsigned long long)st.nodes,
		    (unsigned long long)st.bytes);
	return (0);
}

/* store_check: list one finding. */
static void
inspect_finding(void *arg, const char *finding)
{
	struct inspect	*in = arg;

	in->errors++;
	if (inspect_stopped(in) != 0)
		return;
	if (in->json) {
		inspect_item(in);
		inspect_json_string(in->out, finding, strlen(finding));
	} else
		fprintf(in->out, "%s\n", finding);
}

/* A finding of the tool's own about the tables. */
static void
inspect_findingf(struct inspect *in, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	inspect_finding(in, buf);
}

/* store_table_foreach: check one domain record, note its domid. */
static int
inspect_check_domain(void *arg, uint64_t key, const void *val, size_t len)
{
	struct inspect			*in = arg;
	struct store_domain_record	 r;
	if (store_domain_record_decode(val, len, &r) != 0) {
		inspect_findingf(in, "The domain record under key %llu "
		    "cannot be decoded (%zu bytes).", (unsigned long long)key,
		    len);
		return (0);
	}
	if (key > XS_DOMID_MAX)
		inspect_findingf(in, "The domain record under key %llu is "
		    "not under a domain id.", (unsigned long long)key);
	else if (r.domid != key)
		inspect_findingf(in, "The domain record under key %llu names "
		    "domain %u.", (unsigned long long)key, r.domid);
	return (0);
}

/* store_table_foreach: note a domain record's key. */
static int
inspect_note_domid(void *arg, uint64_t key, const void *val, size_t len)
{
	struct inspect_domids	*ids = arg;
	uint64_t		*v;
	size_t			 cap;

	if (ids->n == ids->cap) {
		cap = ids->cap ? ids->cap * 2 : 64;
		if ((v = reallocarray(ids->v, cap, sizeof *v)) == NULL)
			return (ENOMEM);
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = key;
	return (0);
}

/* store_table_foreach: check one watch record. */
static int
inspect_check_watch(void *arg, uint64_t key, const void *val, size_t len)
{
	struct inspect_check_watches	*cw = arg;
	struct store_watch_record	 r;
	char				 abs[XS_ABS_PATH_MAX + 1];
	unsigned int			 domid = (unsigned int)(key >> 32);
	unsigned int			 num = (unsigned int)(key & 0xffffffffU);
	size_t				 lo = 0, hi = cw->ids.n, mid;

	if (store_watch_record_decode(val, len, &r) != 0) {
		inspect_findingf(cw->in, "The watch record %u of domain %u "
		    "cannot be decoded (%zu bytes).", num, domid, len);
		return (0);
	}
	/* The domain table is read in key order: search it. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cw->ids.v[mid] < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* dom0's own ring keeps its watches without a table entry. */
	if (domid != 0 && (lo == cw->ids.n || cw->ids.v[lo] != domid))
		inspect_findingf(cw->in, "The watch record %u of domain %u "
		    "belongs to a domain the domain table does not hold.",
		    num, domid);
	if (domid > XS_DOMID_MAX || xs_path_canonical(r.path, domid,
	    XS_PATH_SPECIAL, abs, sizeof abs) != 0)
		inspect_findingf(cw->in, "The watch record %u of domain %u "
		    "has a path that is not valid: \"%.200s\".", num, domid,
		    r.path);
	return (0);
}

/* check: the store's integrity check and the tables' records. */
static int
inspect_check(struct inspect *in)
{
	struct inspect_check_watches	 cw;
	struct store_stats		 st;
	unsigned long			 problems = 0;
	int				 error;

	if ((error = store_stats(in->t, &st)) != 0) {
		warnx("cannot read the figures: %s", strerror(error));
		return (error);
	}
	if (in->json) {
		fputs("{\"findings\":[", in->out);
		in->first = true;
	}
	in->errors = 0;
	error = store_check(in->t, inspect_finding, in, &problems);
	if (error == 0)
		error = store_table_foreach(in->t, STORE_TABLE_DOMAINS,
		    inspect_check_domain, in);
	memset(&cw, 0, sizeof cw);
	cw.in = in;
	if (error == 0)
		error = store_table_foreach(in->t, STORE_TABLE_DOMAINS,
		    inspect_note_domid, &cw.ids);
	if (error == 0)
		error = store_table_foreach(in->t, STORE_TABLE_WATCHES,
		    inspect_check_watch, &cw);
	free(cw.ids.v);
	if (error == 0)
		error = inspect_stopped(in);
	if (in->json)
		fprintf(in->out, "\n],\"problems\":%lu,\"nodes\":%llu}\n",
		    in->errors, (unsigned long long)st.nodes);
	if (error != 0) {
		if (error != INSPECT_STOPPED)
			warnx("cannot check the database: %s",
			    strerror(error));
		return (error);
	}
	if (!in->json) {
		if (in->errors == 0)
			fprintf(in->out, "no problems found in %llu node%s\n",
			    (unsigned long long)st.nodes,
			    st.nodes == 1 ? "" : "s");
		else
			fprintf(in->out, "%lu problem%s found in %llu node%s\n",
			    in->errors, in->errors == 1 ? "" : "s",
			    (unsigned long long)st.nodes,
			    st.nodes == 1 ? "" : "s");
	}
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct inspect_cmd	*cmd = NULL;
	struct inspect			 in;
	struct store_config		 cfg;
	struct sigaction		 sa;
	unsigned long			 v;
	char				 errbuf[512];
	size_t				 i;
	int				 ch, error, status;

	memset(&in, 0, sizeof in);
	in.db = INSPECT_DEFAULT_DB;
	in.max_depth = UINT_MAX;
	in.out = stdout;
	while ((ch = getopt_long(argc, argv, "bd:hjL:r", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			in.db = optarg;
			break;
		case 'j':
			in.json = true;
			break;
		case 'h':
			inspect_usage(stdout);
			return (INSPECT_EXIT_OK);
		case 'r':
			in.recursive = true;
			in.opts |= INSPECT_OPT_R;
			break;
		case 'b':
			in.by_bytes = true;
			in.opts |= INSPECT_OPT_B;
			break;
		case 'L':
			if (!inspect_number(optarg, UINT_MAX, &v)) {
				warnx("invalid depth \"%s\"", optarg);
				inspect_usage(stderr);
				return (INSPECT_EXIT_USAGE);
			}
			in.max_depth = (unsigned int)v;
			in.opts |= INSPECT_OPT_L;
			break;
		default:
			inspect_usage(stderr);
			return (INSPECT_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		inspect_usage(stderr);
		return (INSPECT_EXIT_USAGE);
	}
	for (i = 0; i < sizeof inspect_cmds / sizeof inspect_cmds[0]; i++) {
		if (strcmp(argv[0], inspect_cmds[i].name) == 0)
			cmd = &inspect_cmds[i];
	}
	if (cmd == NULL) {
		warnx("unknown command \"%s\"", argv[0]);
		inspect_usage(stderr);
		return (INSPECT_EXIT_USAGE);
	}
	if (inspect_args(&in, cmd, argc - 1, argv + 1) != 0) {
		inspect_usage(stderr);
		return (INSPECT_EXIT_USAGE);
	}

	/* No SA_RESTART: a signal must break a write blocked on a pipe. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = inspect_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = in.db;
	cfg.read_only = true;
	errbuf[0] = '\0';
	if ((error = store_open(&in.s, &cfg, errbuf, sizeof errbuf)) != 0) {
		warnx("%s", errbuf[0] != '\0' ? errbuf : strerror(error));
		return (INSPECT_EXIT_ERROR);
	}
	if ((error = store_txn_begin(in.s, NULL, STORE_TXN_READ,
	    &in.t)) != 0) {
		warnx("cannot read %s: %s", in.db, strerror(error));
		store_close(in.s);
		return (INSPECT_EXIT_ERROR);
	}
	error = cmd->run(&in);
	store_txn_abort(in.t);
	store_close(in.s);

	status = error != 0 || in.errors != 0 ? INSPECT_EXIT_ERROR :
	    INSPECT_EXIT_OK;
	if (inspect_signo != 0) {
		signal(inspect_signo, SIG_DFL);
		raise(inspect_signo);
	}
	errno = 0;
	if (in.out_errno == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		in.out_errno = errno != 0 ? errno : EIO;
	/* A reader that has seen enough (head, a pager) needs no word. */
	if (in.out_errno != 0 && in.out_errno != EPIPE)
		warnx("cannot write the output: %s", strerror(in.out_errno));
	if (in.out_errno != 0)
		status = INSPECT_EXIT_ERROR;
	return (status);
}

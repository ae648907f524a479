/*
 * check_model.c - a randomized model test of db/.
 *
 * Long random sequences of operations run against the store and against
 * a plain in-memory tree (model-tree.c); after every step the return
 * codes, values, permission lists, child lists in order, existence,
 * observer reports and owner usage must agree. The seed comes from
 * XSDB_MODEL_SEED, else from the clock; it is printed, and a failure
 * names it with the step and the last operations (XSDB_MODEL_TRACE=1
 * prints every operation). XSDB_MODEL_STEPS sets the length.
 *
 * Writes run as the daemon runs them: a group write transaction per loop
 * turn, each request in a nested write transaction of its own, some of
 * which abort. Beside them, several XS transactions stay open, read and
 * write their snapshot, and are applied with store_txn_apply inside a
 * nested transaction of a later group.
 *
 * Deciding conflicts. store.h: apply checks "that nothing xs read, listed
 * or wrote has changed in w since xs's snapshot (node generations and
 * existence)". The model logs every committed change as (path, aspects),
 * aspects being existence, generation (value or perms) and the list of
 * children; each XS transaction keeps, per path, two sets of aspects:
 *
 *  must	what it clearly depended on. A change there must give EAGAIN,
 *		else the store lost an update:
 *		- get: the node's existence and generation;
 *		- exists, and any call that found no node: existence;
 *		- list: existence and the list of children;
 *		- write of an existing node, set_perms, rm: the node's
 *		  existence and generation ("wrote");
 *		- a node created by write/mkdir: its existence; the existing
 *		  ancestor it was created under: its existence;
 *		- mkdir of an existing node: its existence.
 *		A read is not counted when its answer came from the
 *		transaction's own work: a node it created, or one under a
 *		node it removed. For a path the snapshot did not have, the
 *		only change that counts is that it exists at apply time: a
 *		node created and removed again in between leaves no trace
 *		in any generation, and replaying on top of that is sound.
 *  may		everything it touched, in every aspect: the paths above, the
 *		descendants an rm took with it, the parent whose list an rm
 *		or a creation changed. If nothing here changed, EAGAIN is a
 *		spurious conflict.
 *
 * Between the two (say two transactions create different children of one
 * parent, or one reads /a while another adds /a/x), store.h does not
 * decide; either answer passes and is counted.
 *
 * An applied transaction is replayed on the model operation by operation
 * ("replay its writes in order"): a node it creates takes the permissions
 * its parent has at apply time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model-tree.h"
#include "store.h"
#include "xs.h"

#define MODEL_STEPS_DEFAULT	20000
#define MODEL_MAX_XS		6
#define MODEL_XS_MAX_AGE	300	/* steps before an XS txn is applied */
#define MODEL_CHECK_EVERY	2500	/* steps between full comparisons */
#define MODEL_TRACE_LINES	48
#define MODEL_TRACE_LEN		512
#define MODEL_OBS_BUCKETS	64
#define MODEL_LIST_STOP		4242	/* a list callback's own stop value */

/* Operations. */
enum model_opkind {
	MODEL_OP_WRITE,
	MODEL_OP_MKDIR,
	MODEL_OP_RM,
	MODEL_OP_PERMS,
	MODEL_OP_GET,
	MODEL_OP_LIST,
	MODEL_OP_EXISTS,
	MODEL_OP_COUNT
};

static const char *model_opname[MODEL_OP_COUNT] = {
	"write", "mkdir", "rm", "set_perms", "get", "list", "exists"
};

/* One operation with its arguments. */
struct model_op {
	enum model_opkind	 kind;
	char			*path;
	unsigned char		*value;
	uint32_t		 vlen;
	uint32_t		 owner;
	struct xs_perm		*perms;
	unsigned int		 nperms;
	size_t			 stop_after;	/* list: stop after n names */
};

/* What the observer heard. */
struct model_report {
	int		 kind;
	char		*path;
};

/* What an XS transaction touched at one path (see the top comment). */
struct model_obs {
	char			*path;
	unsigned int		 must;
	unsigned int		 may;
	bool			 created;
	struct model_obs	*next;
};

/* An open XS transaction and its model. */
struct model_xs {
	struct store_txn	*t;
	struct model		*view;		/* snapshot + own writes */
	struct model		*snap;		/* the snapshot as it was */
	size_t			 logpos;	/* log position of the snapshot */
	struct model_obs	*obs[MODEL_OBS_BUCKETS];
	char			**rmpfx;	/* paths it removed */
	size_t			 nrmpfx;
	struct model_op		*ops;		/* writes to replay */
	size_t			 nops;
	unsigned long		 born;
	unsigned int		 id;
	unsigned int		 home;		/* favourite top-level name */
};

/* A committed change, for conflict decisions. */
struct model_logent {
	char		*path;
	unsigned int	 aspects;
};

/* How a run leans: path lengths, value sizes, failing operations. */
struct model_profile {
	const char	*name;
	unsigned int	 steps_div;	/* steps = XSDB_MODEL_STEPS / this */
	unsigned int	 long_pct;	/* paths over 511 bytes */
	unsigned int	 big_pct;	/* values of 513..4096 bytes */
	unsigned int	 odd_pct;	/* ops aimed at absent nodes, the root */
};

/* The state of one run. */
struct model_run {
	const struct model_profile *prof;
	struct store		*s;
	char			 dir[256];
	uint64_t		 seed;
	uint64_t		 rng;
	unsigned long		 step;
	unsigned long		 steps;

	struct model		*cur;	/* as seen by the open group */
	struct model		*base;	/* committed, while a group is open */
	struct store_txn	*g;
	size_t			 glogpos;
	uint64_t		 lastgen;

	struct model_logent	*log;
	size_t			 nlog;
	size_t			 logalloc;
	size_t			 logbase;	/* position of log[0] */

	struct model_xs		*xs[MODEL_MAX_XS];
	unsigned int		 nxs;
	unsigned int		 nextxs;

	struct model_report	*rec;
	size_t			 nrec;
	size_t			 recalloc;
	int			 ancestors;	/* created ancestors reported:
						   -1 not known yet */
	bool			 usage_enoent;	/* store_owner_usage said ENOENT
						   for an owner of nothing */

	char			 trace[MODEL_TRACE_LINES][MODEL_TRACE_LEN];
	unsigned long		 ntrace;
	bool			 trace_live;

	/* Figures for the log. */
	unsigned long		 nops[MODEL_OP_COUNT];
	unsigned long		 groups, group_aborts, nested_aborts;
	unsigned long		 xs_begun, xs_applied, xs_discarded;
	unsigned long		 conflicts_must, conflicts_may, applied_may;
	unsigned long		 applied_clean, full_checks;
};

static uint64_t	model_seed;
static unsigned long model_steps = MODEL_STEPS_DEFAULT;

static const char *model_tops[] = { "a", "b", "c", "d", "e", "f" };
#define MODEL_NTOPS	(sizeof model_tops / sizeof model_tops[0])
static const char *model_subs[] = { "a", "b", "c" };
#define MODEL_NSUBS	(sizeof model_subs / sizeof model_subs[0])
static const uint32_t model_domids[] = {
	0, 1, 2, 5, 17, XS_DOMID_MAX, XS_DOMID_ANY
};
#define MODEL_NDOMIDS	(sizeof model_domids / sizeof model_domids[0])

static const struct model_profile model_profiles[] = {
	{ "core", 1, 4, 3, 10 },
	{ "limits", 4, 45, 25, 10 },
	{ "errors", 4, 8, 5, 45 },
};

static uint64_t	 model_rnd(struct model_run *);
static uint64_t	 model_rnd_n(struct model_run *, uint64_t);
static bool	 model_chance(struct model_run *, unsigned int);
static const char *model_abbrev(const char *, char *, size_t);
static void	 model_trace(struct model_run *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
static void	 model_fail(struct model_run *, const char *, ...)
		     __attribute__((format(printf, 2, 3), noreturn));
static void	 model_observer(void *, enum store_change, const char *,
		     const struct store_change_old *);
static void	 model_rec_clear(struct model_run *);
static void	 model_log_changes(struct model_run *,
		     const struct model_changes *);
static void	 model_log_truncate(struct model_run *, size_t);
static size_t	 model_log_end(const struct model_run *);
static void	 model_gen_path(struct model_run *, int, char *, size_t);
static void	 model_gen_value(struct model_run *, struct model_op *);
static uint32_t	 model_gen_owner(struct model_run *);
static void	 model_gen_perms(struct model_run *, struct model_op *);
static bool	 model_pick(struct model_run *, const struct model *,
		     const char *, char *, size_t);
static void	 model_gen_op(struct model_run *, const struct model *, int,
		     bool, struct model_op *);
static void	 model_op_free(struct model_op *);
static void	 model_op_copy(struct model_op *, const struct model_op *);
static void	 model_op_describe(const struct model_op *, char *, size_t);
static int	 model_op_model(struct model *, const struct model_op *,
		     unsigned int *, struct model_changes *);
static int	 model_exec(struct model_run *, struct store_txn *,
		     struct model *, const struct model_op *,
		     struct model_changes *, bool, const char *);
static void	 model_verify_node(struct model_run *, struct store_txn *,
		     struct model *, const char *, bool);
static void	 model_verify_list(struct model_run *, struct store_txn *,
		     struct model *, const char *, size_t);
static void	 model_verify_usage(struct model_run *, struct store_txn *,
		     const struct model *);
static void	 model_verify_touched(struct model_run *, struct store_txn *,
		     struct model *, const char *, bool);
static void	 model_verify_changes(struct model_run *, struct store_txn *,
		     struct model *, const struct model_changes *);
static void	 model_verify_full(struct model_run *, struct store_txn *,
		     struct model *, bool, bool);
static void	 model_verify_reports(struct model_run *,
		     const struct model_changes *, const char *);
static void	 model_verify_check(struct model_run *, struct store_txn *);
static void	 model_step_direct(struct model_run *);
static void	 model_step_read(struct model_run *);
static struct model_obs *model_obs_get(struct model_xs *, const char *);
static void	 model_obs_note(struct model_xs *, const char *,
		     unsigned int, unsigned int);
static bool	 model_xs_own(struct model_xs *, const char *);
static void	 model_xs_observe(struct model_xs *, const struct model_op *,
		     int, const struct model_changes *);
static void	 model_xs_begin(struct model_run *);
static void	 model_xs_step(struct model_run *, struct model_xs *);
static void	 model_xs_apply(struct model_run *, unsigned int);
static void	 model_xs_discard(struct model_run *, unsigned int);
static void	 model_xs_free(struct model_xs *);
static void	 model_xs_remove(struct model_run *, unsigned int);
static void	 model_group_begin(struct model_run *);
static void	 model_group_end(struct model_run *, bool);
static void	 model_rmtree(const char *);
static void	 model_open(struct model_run *);
static void	 model_run(const struct model_profile *);

/* splitmix64: the run's only source of randomness. */
static uint64_t
model_rnd(struct model_run *r)
{
	uint64_t	z;

	z = (r->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* A number in [0, n). */
static uint64_t
model_rnd_n(struct model_run *r, uint64_t n)
{
	return (n == 0 ? 0 : model_rnd(r) % n);
}

/* True pct times in a hundred. */
static bool
model_chance(struct model_run *r, unsigned int pct)
{
	return (model_rnd_n(r, 100) < pct);
}

/* A path shortened for people: long components as "k{509}0". */
static const char *
model_abbrev(const char *path, char *buf, size_t bufsz)
{
	const char	*p = path, *end;
	size_t		 len, off = 0;
	int		 n;

	buf[0] = '\0';
	while (*p != '\0' && off + 1 < bufsz) {
		if (*p == '/') {
			buf[off++] = *p++;
			buf[off] = '\0';
			continue;
		}
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len > 12)
			n = snprintf(buf + off, bufsz - off, "%c{%zu}%c", p[0],
			    len - 1, end[-1]);
		else
			n = snprintf(buf + off, bufsz - off, "%.*s", (int)len,
			    p);
		if (n < 0 || (size_t)n >= bufsz - off)
			break;
		off += (size_t)n;
		p = end;
	}
	return (buf);
}

/* Remember what a step did, for the failure report. */
static void
model_trace(struct model_run *r, const char *fmt, ...)
{
	char	*line;
	va_list	 ap;
	int	 n;

	line = r->trace[r->ntrace++ % MODEL_TRACE_LINES];
	n = snprintf(line, MODEL_TRACE_LEN, "step %lu: ", r->step);
	if (n < 0 || n >= MODEL_TRACE_LEN)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, MODEL_TRACE_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	if (r->trace_live)
		fprintf(stderr, "%s\n", line);
}

/* Report a mismatch with the seed, the step and the last steps. */
static void
model_fail(struct model_run *r, const char *fmt, ...)
{
	char		msg[1024];
	va_list		ap;
	unsigned long	i, first;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	first = r->ntrace > MODEL_TRACE_LINES ?
	    r->ntrace - MODEL_TRACE_LINES : 0;
	fprintf(stderr, "model %s: last operations:\n", r->prof->name);
	for (i = first; i < r->ntrace; i++)
		fprintf(stderr, "  %s\n", r->trace[i % MODEL_TRACE_LINES]);
	fprintf(stderr, "model %s: seed %" PRIu64 " step %lu: %s\n",
	    r->prof->name, r->seed, r->step, msg);
	/* The seed reproduces the run: leave no database behind. */
	model_rmtree(r->dir);
	ck_abort_msg("model %s: XSDB_MODEL_SEED=%" PRIu64 " step %lu: %s",
	    r->prof->name, r->seed, r->step, msg);
}

/* The store's observer: keep every report. */
static void
model_observer(void *arg, enum store_change kind, const char *path,
    const struct store_change_old *old)
{
	struct model_run	*r = arg;

	(void)old;
	if (r->nrec == r->recalloc) {
		r->recalloc = r->recalloc == 0 ? 64 : r->recalloc * 2;
		r->rec = model_xrealloc(r->rec, r->recalloc * sizeof *r->rec);
	}
	r->rec[r->nrec].kind = (int)kind;
	r->rec[r->nrec].path = model_xstrdup(path);
	r->nrec++;
}

/* Forget the reports heard so far. */
static void
model_rec_clear(struct model_run *r)
{
	size_t	i;

	for (i = 0; i < r->nrec; i++)
		free(r->rec[i].path);
	r->nrec = 0;
}

/* Append changes now visible to the group to the conflict log. */
static void
model_log_changes(struct model_run *r, const struct model_changes *ch)
{
	size_t	i;

	for (i = 0; i < ch->n; i++) {
		if (r->nlog == r->logalloc) {
			r->logalloc = r->logalloc == 0 ? 256 :
			    r->logalloc * 2;
			r->log = model_xrealloc(r->log,
			    r->logalloc * sizeof *r->log);
		}
		r->log[r->nlog].path = model_xstrdup(ch->v[i].path);
		r->log[r->nlog].aspects = ch->v[i].aspects;
		r->nlog++;
	}
}

/* Drop the log from absolute position pos on (an aborted group). */
static void
model_log_truncate(struct model_run *r, size_t pos)
{
	while (model_log_end(r) > pos) {
		r->nlog--;
		free(r->log[r->nlog].path);
	}
}

/* Absolute position after the last log entry. */
static size_t
model_log_end(const struct model_run *r)
{
	return (r->logbase + r->nlog);
}

/*
 * A random absolute path: mostly short components from a small alphabet
 * so that nodes collide and are re-created, sometimes long components
 * around LMDB's 511-byte key limit (and sharing a 510-byte prefix), up
 * to exactly XS_ABS_PATH_MAX bytes. home, if not negative, is the
 * favourite top-level name.
 */
static void
model_gen_path(struct model_run *r, int home, char *out, size_t outsz)
{
	static const char	 longc[] = "kmq";
	char			 comp[1300];
	size_t			 len, clen, depth, i, room;
	unsigned int		 top;

	if (model_chance(r, 1)) {
		snprintf(out, outsz, "/");
		return;
	}
	if (home >= 0 && model_chance(r, 85))
		top = (unsigned int)home;
	else
		top = (unsigned int)model_rnd_n(r, MODEL_NTOPS);
	len = (size_t)snprintf(out, outsz, "/%s", model_tops[top]);

	if (!model_chance(r, r->prof->long_pct)) {
		depth = model_rnd_n(r, 4);
		for (i = 0; i < depth; i++) {
			len += (size_t)snprintf(out + len, outsz - len, "/%s",
			    model_subs[model_rnd_n(r, MODEL_NSUBS)]);
		}
		return;
	}

	/* Long: one to three long or short components. */
	depth = 1 + model_rnd_n(r, 3);
	for (i = 0; i < depth; i++) {
		switch (model_rnd_n(r, 5)) {
		case 0:	/* 510 bytes: "/a/" plus this is past 511 */
		case 1:
			clen = 510;
			memset(comp, longc[0], clen - 1);
			comp[clen - 1] = (char)('0' + model_rnd_n(r, 2));
			break;
		case 2:
			clen = 1100;
			memset(comp, longc[1], clen - 1);
			comp[clen - 1] = (char)('0' + model_rnd_n(r, 2));
			break;
		case 3:
			clen = 200 + model_rnd_n(r, 2);
			memset(comp, longc[2], clen);
			break;
		default:
			clen = 1;
			comp[0] = model_subs[model_rnd_n(r, MODEL_NSUBS)][0];
			break;
		}
		if (len + 1 + clen > XS_ABS_PATH_MAX)
			break;
		out[len++] = '/';
		memcpy(out + len, comp, clen);
		len += clen;
		out[len] = '\0';
	}
	/* Sometimes fill up to exactly the longest path allowed. */
	room = XS_ABS_PATH_MAX - len;
	if (room >= 2 && model_chance(r, 25)) {
		out[len++] = '/';
		memset(out + len, 'z', room - 1);
		len += room - 1;
		out[len] = '\0';
	}
}

/* A random value: often empty or short, NUL bytes likely, up to 4096. */
static void
model_gen_value(struct model_run *r, struct model_op *op)
{
	uint32_t	len, i;
	uint64_t	x = 0;

	if (model_chance(r, r->prof->big_pct))
		len = 513 + (uint32_t)model_rnd_n(r, 4096 - 512);
	else if (model_chance(r, 10))
		len = model_chance(r, 50) ? 0 : 4096;
	else if (model_chance(r, 60))
		len = (uint32_t)model_rnd_n(r, 9);
	else
		len = (uint32_t)model_rnd_n(r, 513);
	op->value = model_xmalloc(len);
	op->vlen = len;
	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			x = model_rnd(r);
		op->value[i] = (x & 0x300) == 0 ? 0 : (unsigned char)x;
		x >>= 8;
	}
}

/* Owner of created nodes: inherit, or a domid of the small set. */
static uint32_t
model_gen_owner(struct model_run *r)
{
	if (model_chance(r, 50))
		return (STORE_OWNER_INHERIT);
	return (model_domids[model_rnd_n(r, MODEL_NDOMIDS)]);
}

/* A permission list of 1..5 entries. */
static void
model_gen_perms(struct model_run *r, struct model_op *op)
{
	unsigned int	i;

	op->nperms = 1 + (unsigned int)model_rnd_n(r, 5);
	op->perms = model_xmalloc(op->nperms * sizeof *op->perms);
	for (i = 0; i < op->nperms; i++) {
		op->perms[i].domid = model_domids[model_rnd_n(r,
		    MODEL_NDOMIDS)];
		op->perms[i].access = (uint8_t)model_rnd_n(r, 4);
	}
}

/* A random existing node of m under prefix (or anywhere), into out. */
static bool
model_pick(struct model_run *r, const struct model *m, const char *prefix,
    char *out, size_t outsz)
{
	struct model_node	*n;
	size_t			 b, count = 0, k;

	for (b = 0; b < m->nbuckets; b++) {
		for (n = m->buckets[b]; n != NULL; n = n->next) {
			if (prefix == NULL ||
			    model_path_is_under(n->path, prefix))
				count++;
		}
	}
	if (count == 0)
		return (false);
	k = model_rnd_n(r, count);
	for (b = 0; b < m->nbuckets; b++) {
		for (n = m->buckets[b]; n != NULL; n = n->next) {
			if (prefix != NULL &&
			    !model_path_is_under(n->path, prefix))
				continue;
			if (k-- == 0) {
				snprintf(out, outsz, "%s", n->path);
				return (true);
			}
		}
	}
	return (false);
}

/* Draw an operation with its arguments; home as model_gen_path. */
static void
model_gen_op(struct model_run *r, const struct model *m, int home,
    bool in_xs, struct model_op *op)
{
	/* Weights of write, mkdir, rm, set_perms, get, list, exists. */
	static const unsigned int direct[MODEL_OP_COUNT] =
	    { 30, 10, 12, 10, 16, 12, 10 };
	static const unsigned int xs[MODEL_OP_COUNT] =
	    { 24, 8, 10, 8, 22, 14, 14 };
	const unsigned int	*w = in_xs ? xs : direct;
	char			 path[XS_ABS_PATH_MAX + 1], prefix[8];
	unsigned int		 total = 0, k, i;
	bool			 odd;

	memset(op, 0, sizeof *op);
	for (i = 0; i < MODEL_OP_COUNT; i++)
		total += w[i];
	k = (unsigned int)model_rnd_n(r, total);
	for (i = 0; k >= w[i]; i++)
		k -= w[i];
	op->kind = (enum model_opkind)i;
	odd = model_chance(r, r->prof->odd_pct);

	/* rm and reads mostly aim at nodes that exist. */
	snprintf(prefix, sizeof prefix, "/%s",
	    home >= 0 ? model_tops[home] : "");
	if (!odd && op->kind != MODEL_OP_WRITE && op->kind != MODEL_OP_MKDIR &&
	    model_chance(r, 65) &&
	    model_pick(r, m, home >= 0 && model_chance(r, 85) ? prefix : NULL,
	    path, sizeof path)) {
		/* picked */
	} else if (odd && model_chance(r, 30))
		snprintf(path, sizeof path, "/");
	else
		model_gen_path(r, home, path, sizeof path);
	op->path = model_xstrdup(path);

	switch (op->kind) {
	case MODEL_OP_WRITE:
		model_gen_value(r, op);
		op->owner = model_gen_owner(r);
		break;
	case MODEL_OP_MKDIR:
		op->owner = model_gen_owner(r);
		break;
	case MODEL_OP_PERMS:
		if (odd && model_chance(r, 20) && model_get(m, path) != NULL)
			op->nperms = 0;	/* EINVAL */
		else
			model_gen_perms(r, op);
		break;
	case MODEL_OP_LIST:
		if (model_chance(r, 10))
			op->stop_after = 1 + model_rnd_n(r, 2);
		break;
	default:
		break;
	}
}

/* Free an operation's arguments. */
static void
model_op_free(struct model_op *op)
{
	free(op->path);
	free(op->value);
	free(op->perms);
	memset(op, 0, sizeof *op);
}

/* Deep copy of an operation. */
static void
model_op_copy(struct model_op *dst, const struct model_op *src)
{
	*dst = *src;
	dst->path = model_xstrdup(src->path);
	dst->value = model_xmalloc(src->vlen);
	if (src->vlen != 0)
		memcpy(dst->value, src->value, src->vlen);
	dst->perms = model_xmalloc(src->nperms * sizeof *dst->perms);
	if (src->nperms != 0)
		memcpy(dst->perms, src->perms,
		    src->nperms * sizeof *dst->perms);
}

/* One line for the trace. */
static void
model_op_describe(const struct model_op *op, char *buf, size_t bufsz)
{
	char		 pbuf[200], owner[16];
	size_t		 off;
	unsigned int	 i;

	model_abbrev(op->path, pbuf, sizeof pbuf);
	if (op->owner == STORE_OWNER_INHERIT)
		snprintf(owner, sizeof owner, "inherit");
	else
		snprintf(owner, sizeof owner, "%u", (unsigned int)op->owner);
	switch (op->kind) {
	case MODEL_OP_WRITE:
		snprintf(buf, bufsz, "write %s len %u owner %s", pbuf,
		    (unsigned int)op->vlen, owner);
		break;
	case MODEL_OP_MKDIR:
		snprintf(buf, bufsz, "mkdir %s owner %s", pbuf, owner);
		break;
	case MODEL_OP_PERMS:
		off = (size_t)snprintf(buf, bufsz, "set_perms %s [", pbuf);
		for (i = 0; i < op->nperms && off < bufsz; i++) {
			off += (size_t)snprintf(buf + off, bufsz - off, "%s%c%u",
			    i == 0 ? "" : " ", "nrwb"[op->perms[i].access & 3],
			    (unsigned int)op->perms[i].domid);
		}
		if (off < bufsz)
			snprintf(buf + off, bufsz - off, "]");
		break;
	case MODEL_OP_LIST:
		snprintf(buf, bufsz, "list %s stop %zu", pbuf, op->stop_after);
		break;
	default:
		snprintf(buf, bufsz, "%s %s", model_opname[op->kind], pbuf);
		break;
	}
}

/* Run a writing operation on the model only (replay). */
static int
model_op_model(struct model *m, const struct model_op *op,
    unsigned int *count, struct model_changes *ch)
{
	switch (op->kind) {
	case MODEL_OP_WRITE:
		return (model_write(m, op->path, op->value, op->vlen,
		    op->owner, count, ch));
	case MODEL_OP_MKDIR:
		return (model_mkdir(m, op->path, op->owner, count, ch));
	case MODEL_OP_RM:
		return (model_rm(m, op->path, count, ch));
	case MODEL_OP_PERMS:
		*count = 0;
		return (model_set_perms(m, op->path, op->perms, op->nperms,
		    ch));
	default:
		abort();
	}
}

/*
 * Run op against the store through t and against model m, and compare
 * what both say. strict: m is committed or group state, whose ids and
 * generations are tracked. Returns the store's answer.
 */
static int
model_exec(struct model_run *r, struct store_txn *t, struct model *m,
    const struct model_op *op, struct model_changes *ch, bool strict,
    const char *where)
{
	char		 desc[400];
	unsigned int	 scount = 12345, mcount = 0;
	int		 src, mrc;
	bool		 sx, mx;

	model_op_describe(op, desc, sizeof desc);
	r->nops[op->kind]++;
	switch (op->kind) {
	case MODEL_OP_WRITE:
		src = store_write(t, op->path, op->value, op->vlen,
		    op->owner, &scount);
		mrc = model_op_model(m, op, &mcount, ch);
		break;
	case MODEL_OP_MKDIR:
		src = store_mkdir(t, op->path, op->owner, &scount);
		mrc = model_op_model(m, op, &mcount, ch);
		break;
	case MODEL_OP_RM:
		src = store_rm(t, op->path, &scount);
		mrc = model_op_model(m, op, &mcount, ch);
		break;
	case MODEL_OP_PERMS:
		src = store_set_perms(t, op->path, op->perms, op->nperms);
		mrc = model_op_model(m, op, &mcount, ch);
		scount = mcount;
		break;
	case MODEL_OP_GET:
		model_trace(r, "%s %s", where, desc);
		model_verify_node(r, t, m, op->path, strict);
		return (model_get(m, op->path) != NULL ? 0 : ENOENT);
	case MODEL_OP_LIST:
		model_trace(r, "%s %s", where, desc);
		model_verify_list(r, t, m, op->path, op->stop_after);
		return (model_get(m, op->path) != NULL ? 0 : ENOENT);
	case MODEL_OP_EXISTS:
		sx = store_exists(t, op->path);
		mx = model_get(m, op->path) != NULL;
		model_trace(r, "%s %s -> %s", where, desc,
		    sx ? "true" : "false");
		if (sx != mx)
			model_fail(r, "%s: exists %s: store %d, model %d",
			    where, desc, sx, mx);
		return (mx ? 0 : ENOENT);
	default:
		abort();
	}
	model_trace(r, "%s %s -> %d (%u)", where, desc, src, scount);
	if (src != mrc)
		model_fail(r, "%s: %s: store returned %d (%s), model %d (%s)",
		    where, desc, src, strerror(src), mrc, strerror(mrc));
	if (mrc == 0 && (op->kind == MODEL_OP_WRITE ||
	    op->kind == MODEL_OP_MKDIR || op->kind == MODEL_OP_RM) &&
	    scount != mcount)
		model_fail(r, "%s: %s: store counted %u nodes, model %u",
		    where, desc, scount, mcount);
	if (store_txn_error(t) != 0)
		model_fail(r, "%s: %s: transaction error %d after it", where,
		    desc, store_txn_error(t));
	return (src);
}

/* Compare one node (or its absence) as t sees it with m. */
static void
model_verify_node(struct model_run *r, struct store_txn *t, struct model *m,
    const char *path, bool strict)
{
	char			 pbuf[200];
	struct store_node	 sn;
	struct model_node	*n;
	unsigned int		 i;
	uint64_t		 gen;
	int			 rc;

	model_abbrev(path, pbuf, sizeof pbuf);
	memset(&sn, 0, sizeof sn);
	rc = store_get(t, path, &sn);
	n = model_get(m, path);
	if (n == NULL) {
		if (rc != ENOENT)
			model_fail(r, "get %s: store %d, model ENOENT", pbuf, rc);
		if (store_exists(t, path))
			model_fail(r, "exists %s: store true, model false",
			    pbuf);
		return;
	}
	if (rc != 0)
		model_fail(r, "get %s: store %d, model has the node", pbuf, rc);
	if (sn.vlen != n->vlen ||
	    (n->vlen != 0 && memcmp(sn.value, n->value, n->vlen) != 0))
		model_fail(r, "get %s: value of %u bytes, model %u bytes%s",
		    pbuf, (unsigned int)sn.vlen, (unsigned int)n->vlen,
		    sn.vlen == n->vlen ? " (contents differ)" : "");
	if (sn.nperms != n->nperms)
		model_fail(r, "get %s: %u perms, model %u", pbuf, sn.nperms,
		    n->nperms);
	for (i = 0; i < n->nperms; i++) {
		if (sn.perms[i].domid != n->perms[i].domid ||
		    sn.perms[i].access != n->perms[i].access)
			model_fail(r, "get %s: perm %u is %c%u, model %c%u",
			    pbuf, i, "nrwb?"[sn.perms[i].access > 3 ? 4 :
			    sn.perms[i].access], (unsigned int)sn.perms[i].domid,
			    "nrwb"[n->perms[i].access],
			    (unsigned int)n->perms[i].domid);
	}
	if (sn.nchildren != n->nkids)
		model_fail(r, "get %s: nchildren %u, model %u", pbuf,
		    (unsigned int)sn.nchildren, (unsigned int)n->nkids);
	if (sn.childbytes != model_childbytes(n))
		model_fail(r, "get %s: childbytes %u, model %u", pbuf,
		    (unsigned int)sn.childbytes,
		    (unsigned int)model_childbytes(n));
	if (!store_exists(t, path))
		model_fail(r, "exists %s: store false, model true", pbuf);

	/*
	 * Ids and generations: a node keeps its id; one created later has a
	 * higher id; gen moves exactly when the value or the perms were
	 * set, cgen exactly when the children changed. In an XS view only
	 * what the snapshot brought and the transaction left alone is
	 * known.
	 */
	if (!strict) {
		if (n->id != 0 && sn.id != n->id)
			model_fail(r, "get %s (xs): id %" PRIu64 ", snapshot had %"
			    PRIu64, pbuf, sn.id, n->id);
		if (n->gen != 0 && !n->gdirty && sn.gen != n->gen)
			model_fail(r, "get %s (xs): gen %" PRIu64 ", snapshot "
			    "had %" PRIu64, pbuf, sn.gen, n->gen);
		if (n->cgen != 0 && !n->cdirty && sn.cgen != n->cgen)
			model_fail(r, "get %s (xs): cgen %" PRIu64 ", snapshot "
			    "had %" PRIu64, pbuf, sn.cgen, n->cgen);
		return;
	}
	gen = store_generation(t);
	if (sn.gen > gen || sn.cgen > gen)
		model_fail(r, "get %s: gen %" PRIu64 " cgen %" PRIu64 " above "
		    "the counter %" PRIu64, pbuf, sn.gen, sn.cgen, gen);
	if (n->id == 0) {
		if (sn.id <= n->minid)
			model_fail(r, "get %s: new node has id %" PRIu64 ", not "
			    "above %" PRIu64 " seen before its creation", pbuf,
			    sn.id, n->minid);
		n->id = sn.id;
		if (sn.id > m->maxid)
			m->maxid = sn.id;
	} else if (sn.id != n->id)
		model_fail(r, "get %s: id %" PRIu64 ", was %" PRIu64, pbuf,
		    sn.id, n->id);
	if (n->gen != 0) {
		if (n->gdirty && sn.gen <= n->gen)
			model_fail(r, "get %s: value/perms changed but gen %"
			    PRIu64 " not above %" PRIu64, pbuf, sn.gen, n->gen);
		if (!n->gdirty && sn.gen != n->gen)
			model_fail(r, "get %s: gen moved from %" PRIu64 " to %"
			    PRIu64 " with no change", pbuf, n->gen, sn.gen);
	}
	if (n->cgen != 0) {
		if (n->cdirty && sn.cgen <= n->cgen)
			model_fail(r, "get %s: children changed but cgen %"
			    PRIu64 " not above %" PRIu64, pbuf, sn.cgen,
			    n->cgen);
		if (!n->cdirty && sn.cgen != n->cgen)
			model_fail(r, "get %s: cgen moved from %" PRIu64 " to %"
			    PRIu64 " with no change", pbuf, n->cgen, sn.cgen);
	}
	n->gen = sn.gen;
	n->cgen = sn.cgen;
	n->gdirty = n->cdirty = false;
}

/* Names handed to a store_list callback. */
struct model_names {
	char	**v;
	size_t	  n;
	size_t	  alloc;
	size_t	  stop_after;
};

/* store_list callback: copy the name; stop when asked to. */
static int
model_names_cb(void *arg, const char *name, size_t len)
{
	struct model_names	*nl = arg;

	if (nl->n == nl->alloc) {
		nl->alloc = nl->alloc == 0 ? 16 : nl->alloc * 2;
		nl->v = model_xrealloc(nl->v, nl->alloc * sizeof *nl->v);
	}
	nl->v[nl->n] = model_xmalloc(len + 1);
	memcpy(nl->v[nl->n], name, len);
	nl->v[nl->n][len] = '\0';
	nl->n++;
	if (nl->stop_after != 0 && nl->n == nl->stop_after)
		return (MODEL_LIST_STOP);
	return (0);
}

/* Compare the children of path, in order, as t lists them, with m. */
static void
model_verify_list(struct model_run *r, struct store_txn *t, struct model *m,
    const char *path, size_t stop_after)
{
	char			 pbuf[200], nbuf[64];
	struct model_names	 nl;
	struct model_node	*n;
	size_t			 i, want;
	int			 rc, mrc;

	memset(&nl, 0, sizeof nl);
	nl.stop_after = stop_after;
	rc = store_list(t, path, model_names_cb, &nl);
	n = model_get(m, path);
	model_abbrev(path, pbuf, sizeof pbuf);
	if (n == NULL)
		mrc = ENOENT;
	else if (stop_after != 0 && n->nkids >= stop_after)
		mrc = MODEL_LIST_STOP;
	else
		mrc = 0;
	if (rc != mrc)
		model_fail(r, "list %s: store returned %d, model %d", pbuf, rc,
		    mrc);
	want = n == NULL ? 0 : n->nkids;
	if (mrc == MODEL_LIST_STOP)
		want = stop_after;
	if (nl.n != want)
		model_fail(r, "list %s: %zu names, model %zu", pbuf, nl.n,
		    want);
	for (i = 0; i < nl.n; i++) {
		if (strcmp(nl.v[i], n->kids[i]) != 0)
			model_fail(r, "list %s: name %zu is %s, model %s", pbuf,
			    i, model_abbrev(nl.v[i], nbuf, sizeof nbuf),
			    n->kids[i]);
	}
	for (i = 0; i < nl.n; i++)
		free(nl.v[i]);
	free(nl.v);
}

/* Compare the usage of every domid of the small set. */
static void
model_verify_usage(struct model_run *r, struct store_txn *t,
    const struct model *m)
{
	struct store_usage	su, mu;
	unsigned int		i;
	int			rc;

	for (i = 0; i < MODEL_NDOMIDS; i++) {
		memset(&su, 0, sizeof su);
		rc = store_owner_usage(t, model_domids[i], &su);
		model_usage(m, model_domids[i], &mu);
		if (rc == ENOENT && mu.nodes == 0) {
			r->usage_enoent = true;
			continue;
		}
		if (rc != 0)
			model_fail(r, "owner_usage %u: returned %d",
			    (unsigned int)model_domids[i], rc);
		if (su.nodes != mu.nodes)
			model_fail(r, "owner_usage %u: %" PRIu64 " nodes, model %"
			    PRIu64, (unsigned int)model_domids[i], su.nodes,
			    mu.nodes);
		if (su.bytes != mu.bytes)
			model_fail(r, "owner_usage %u: %" PRIu64 " bytes, model %"
			    PRIu64, (unsigned int)model_domids[i], su.bytes,
			    mu.bytes);
	}
}

/* After a change at path: the node, its parent's list, the usage. */
static void
model_verify_touched(struct model_run *r, struct store_txn *t,
    struct model *m, const char *path, bool strict)
{
	char	parent[XS_ABS_PATH_MAX + 1];

	model_verify_node(r, t, m, path, strict);
	if (model_path_parent(path, parent, sizeof parent) == 0)
		model_verify_list(r, t, m, parent, 0);
	else
		model_verify_list(r, t, m, path, 0);
	model_verify_usage(r, t, m);
}

/* Check every node a list of changes names, and its parent's list. */
static void
model_verify_changes(struct model_run *r, struct store_txn *t,
    struct model *m, const struct model_changes *ch)
{
	size_t	i;

	for (i = 0; i < ch->n; i++) {
		model_verify_node(r, t, m, ch->v[i].path, true);
		if (model_get(m, ch->v[i].path) != NULL)
			model_verify_list(r, t, m, ch->v[i].path, 0);
	}
	model_verify_usage(r, t, m);
}

/* store_owner_foreach callback: each owner's usage against the model. */
struct model_owners {
	struct model_run	*r;
	const struct model	*m;
	uint32_t		 last;
	bool			 any;
};

/* One owner from store_owner_foreach. */
static int
model_owners_cb(void *arg, uint32_t domid, const struct store_usage *u)
{
	struct model_owners	*o = arg;
	struct store_usage	 mu;

	if (o->any && domid <= o->last)
		model_fail(o->r, "owner_foreach: domid %u after %u",
		    (unsigned int)domid, (unsigned int)o->last);
	o->any = true;
	o->last = domid;
	model_usage(o->m, domid, &mu);
	if (u->nodes != mu.nodes || u->bytes != mu.bytes)
		model_fail(o->r, "owner_foreach %u: %" PRIu64 " nodes %" PRIu64
		    " bytes, model %" PRIu64 " nodes %" PRIu64 " bytes",
		    (unsigned int)domid, u->nodes, u->bytes, mu.nodes,
		    mu.bytes);
	return (0);
}

/* Sum of node bytes of the model, for store_stats. */
static void
model_sum_cb(void *arg, struct model_node *n)
{
	uint64_t	*sum = arg;

	*sum += model_node_bytes(n);
}

/*
 * Walk the whole tree through t from the root and compare every node
 * and every list; then usage (and, outside XS views, the per-owner list
 * and the statistics).
 */
static void
model_verify_full(struct model_run *r, struct store_txn *t, struct model *m,
    bool strict, bool is_xs)
{
	char			**stack = NULL, *path;
	char			  child[XS_ABS_PATH_MAX + 1];
	size_t			  nstack = 0, alloc = 0, visited = 0;
	struct model_node	 *n;
	struct model_owners	  o;
	struct store_stats	  st;
	uint64_t		  bytes = 0;
	uint32_t		  i;
	int			  rc;

	r->full_checks++;
	stack = model_xmalloc(sizeof *stack);
	alloc = 1;
	stack[nstack++] = model_xstrdup("/");
	while (nstack > 0) {
		path = stack[--nstack];
		model_verify_node(r, t, m, path, strict);
		model_verify_list(r, t, m, path, 0);
		visited++;
		if ((n = model_get(m, path)) == NULL)
			abort();
		for (i = 0; i < n->nkids; i++) {
			if (strcmp(path, "/") == 0)
				snprintf(child, sizeof child, "/%s",
				    n->kids[i]);
			else
				snprintf(child, sizeof child, "%s/%s", path,
				    n->kids[i]);
			if (nstack == alloc) {
				alloc *= 2;
				stack = model_xrealloc(stack,
				    alloc * sizeof *stack);
			}
			stack[nstack++] = model_xstrdup(child);
		}
		free(path);
	}
	free(stack);
	if (visited != m->count)
		model_fail(r, "full check: reached %zu nodes, model has %zu",
		    visited, m->count);
	model_verify_usage(r, t, m);
	if (is_xs)
		return;

	memset(&o, 0, sizeof o);
	o.r = r;
	o.m = m;
	rc = store_owner_foreach(t, model_owners_cb, &o);
	if (rc != 0)
		model_fail(r, "owner_foreach returned %d", rc);
	rc = store_stats(t, &st);
	if (rc != 0)
		model_fail(r, "stats returned %d", rc);
	model_foreach(m, model_sum_cb, &bytes);
	if (st.nodes != m->count || st.bytes != bytes)
		model_fail(r, "stats: %" PRIu64 " nodes %" PRIu64 " bytes, "
		    "model %zu nodes %" PRIu64 " bytes", st.nodes, st.bytes,
		    m->count, bytes);
	if (st.generation != store_generation(t))
		model_fail(r, "stats: generation %" PRIu64 ", "
		    "store_generation %" PRIu64, st.generation,
		    store_generation(t));
}

/* Order of reports inside one group: by kind, then path. */
static int
model_report_cmp(const void *a, const void *b)
{
	const struct model_report	*x = a, *y = b;

	if (x->kind != y->kind)
		return (x->kind < y->kind ? -1 : 1);
	return (strcmp(x->path, y->path));
}

/*
 * Compare what the observer heard with the changes the model made. A
 * group (the descendants of an rm) may come in any order. Created
 * ancestors of a written node are either all reported or none: the first
 * time it matters decides which, and the rest of the run must agree.
 */
static void
model_verify_reports(struct model_run *r, const struct model_changes *ch,
    const char *what)
{
	static const char	*kname[] = { "WRITE", "PERMS", "RM", "RM_CHILD" };
	struct model_report	*want, *got;
	char			 pbuf[200];
	size_t			 nwant = 0, nopt = 0, i, j, k, start;
	int			 mode;

	for (i = 0; i < ch->n; i++) {
		if (ch->v[i].kind == MODEL_NO_REPORT)
			continue;
		nwant++;
		if (ch->v[i].optional)
			nopt++;
	}
	mode = r->ancestors;
	if (nopt != 0 && mode < 0) {
		mode = r->nrec == nwant ? 1 : 0;
		r->ancestors = mode;
		fprintf(stderr, "model %s: created ancestors are %sreported\n",
		    r->prof->name, mode ? "" : "not ");
	}
	if (mode == 0)
		nwant -= nopt;
	if (r->nrec != nwant) {
		for (i = 0; i < r->nrec; i++)
			fprintf(stderr, "  heard %s %s\n",
			    kname[r->rec[i].kind & 3], model_abbrev(
			    r->rec[i].path, pbuf, sizeof pbuf));
		for (i = 0; i < ch->n; i++)
			if (ch->v[i].kind != MODEL_NO_REPORT)
				fprintf(stderr, "  model %s %s%s\n",
				    kname[ch->v[i].kind], model_abbrev(
				    ch->v[i].path, pbuf, sizeof pbuf),
				    ch->v[i].optional ? " (ancestor)" : "");
		model_fail(r, "%s: observer heard %zu changes, model made %zu",
		    what, r->nrec, nwant);
	}
	if (nwant == 0)
		return;

	want = model_xmalloc(nwant * sizeof *want);
	got = model_xmalloc(nwant * sizeof *got);
	for (i = 0, k = 0; i < ch->n; i++) {
		if (ch->v[i].kind == MODEL_NO_REPORT ||
		    (ch->v[i].optional && mode == 0))
			continue;
		want[k].kind = ch->v[i].kind;
		want[k].path = ch->v[i].path;
		got[k] = r->rec[k];
		k++;
	}
	/* Sort each group of want and the same span of got, compare. */
	for (i = 0, k = 0; i < ch->n; i = j) {
		for (j = i; j < ch->n && ch->v[j].group == ch->v[i].group; j++)
			;
		start = k;
		for (; i < j; i++) {
			if (ch->v[i].kind != MODEL_NO_REPORT &&
			    !(ch->v[i].optional && mode == 0))
				k++;
		}
		qsort(want + start, k - start, sizeof *want, model_report_cmp);
		qsort(got + start, k - start, sizeof *got, model_report_cmp);
	}
	for (k = 0; k < nwant; k++) {
		if (model_report_cmp(&want[k], &got[k]) != 0)
			model_fail(r, "%s: report %zu is %s %s, model %s %s",
			    what, k, kname[got[k].kind & 3],
			    model_abbrev(got[k].path, pbuf, sizeof pbuf),
			    kname[want[k].kind], want[k].path);
	}
	free(want);
	free(got);
}

/* One store_check finding. */
static void
model_check_cb(void *arg, const char *finding)
{
	struct model_run	*r = arg;

	fprintf(stderr, "model %s: store_check: %s\n", r->prof->name, finding);
}

/* store_check through t must find nothing. */
static void
model_verify_check(struct model_run *r, struct store_txn *t)
{
	unsigned long	problems = 0;
	int		rc;

	rc = store_check(t, model_check_cb, r, &problems);
	if (rc != 0 || problems != 0)
		model_fail(r, "store_check returned %d with %lu findings", rc,
		    problems);
}

/*
 * A direct request of the open group: in its own nested transaction
 * (which sometimes aborts) or straight on the group transaction.
 */
static void
model_step_direct(struct model_run *r)
{
	struct model_changes	 ch;
	struct model_op		 op;
	struct model		*m, *scratch = NULL;
	struct store_txn	*t, *c = NULL;
	const char		*where;
	bool			 nested, abort_it;
	int			 rc;

	memset(&ch, 0, sizeof ch);
	model_gen_op(r, r->cur, -1, false, &op);
	nested = model_chance(r, 80);
	abort_it = nested && model_chance(r, 15);
	t = r->g;
	where = "group";
	if (nested) {
		rc = store_txn_begin(r->s, r->g, STORE_TXN_WRITE, &c);
		if (rc != 0)
			model_fail(r, "nested begin returned %d", rc);
		t = c;
		where = abort_it ? "nested(abort)" : "nested";
	}
	m = r->cur;
	if (abort_it)
		m = scratch = model_clone(r->cur);

	model_rec_clear(r);
	store_txn_observe(t, model_observer, r);
	rc = model_exec(r, t, m, &op, &ch, true, where);
	model_verify_reports(r, &ch, where);
	store_txn_observe(t, NULL, NULL);
	if (rc == 0 && op.kind <= MODEL_OP_PERMS)
		model_verify_touched(r, t, m, op.path, true);

	if (nested) {
		if (abort_it) {
			store_txn_abort(c);
			r->nested_aborts++;
			/* The group must not have seen any of it. */
			model_verify_touched(r, r->g, r->cur, op.path, true);
		} else if ((rc = store_txn_commit(c)) != 0)
			model_fail(r, "nested commit returned %d", rc);
	}
	if (!abort_it)
		model_log_changes(r, &ch);
	if (store_txn_error(r->g) != 0)
		model_fail(r, "group error %d", store_txn_error(r->g));
	model_free(scratch);
	model_changes_free(&ch);
	model_op_free(&op);
}

/* Reads of the committed state in a READ snapshot. */
static void
model_step_read(struct model_run *r)
{
	struct store_txn	*t;
	struct model		*m = r->g != NULL ? r->base : r->cur;
	struct model_changes	 ch;
	struct model_op		 op;
	unsigned int		 i, n;
	uint64_t		 gen;
	int			 rc;

	rc = store_txn_begin(r->s, NULL, STORE_TXN_READ, &t);
	if (rc != 0)
		model_fail(r, "read begin returned %d", rc);
	gen = store_generation(t);
	if (gen < r->lastgen)
		model_fail(r, "generation went back from %" PRIu64 " to %"
		    PRIu64, r->lastgen, gen);
	r->lastgen = gen;
	memset(&ch, 0, sizeof ch);
	n = 1 + (unsigned int)model_rnd_n(r, 4);
	for (i = 0; i < n; i++) {
		do {
			model_gen_op(r, m, -1, false, &op);
			if (op.kind < MODEL_OP_GET)
				model_op_free(&op);
		} while (op.path == NULL);
		model_exec(r, t, m, &op, &ch, true, "read");
		model_op_free(&op);
	}
	model_verify_usage(r, t, m);
	if (model_chance(r, 50))
		store_txn_abort(t);
	else if ((rc = store_txn_commit(t)) != 0)
		model_fail(r, "read commit returned %d", rc);
	model_changes_free(&ch);
}

/* The record of what xs touched at path, created if need be. */
static struct model_obs *
model_obs_get(struct model_xs *x, const char *path)
{
	struct model_obs	*o;
	size_t			 b = 0;
	const char		*p;

	for (p = path; *p != '\0'; p++)
		b = b * 31 + (unsigned char)*p;
	b %= MODEL_OBS_BUCKETS;
	for (o = x->obs[b]; o != NULL; o = o->next) {
		if (strcmp(o->path, path) == 0)
			return (o);
	}
	o = calloc(1, sizeof *o);
	if (o == NULL)
		abort();
	o->path = model_xstrdup(path);
	o->next = x->obs[b];
	x->obs[b] = o;
	return (o);
}

/* Note that xs depends on aspects must and touched aspects may. */
static void
model_obs_note(struct model_xs *x, const char *path, unsigned int must,
    unsigned int may)
{
	struct model_obs	*o;

	o = model_obs_get(x, path);
	o->must |= must;
	o->may |= may | must;
}

/* True if the existence of path is xs's own doing. */
static bool
model_xs_own(struct model_xs *x, const char *path)
{
	size_t	i;

	if (model_obs_get(x, path)->created)
		return (true);
	for (i = 0; i < x->nrmpfx; i++) {
		if (model_path_is_under(path, x->rmpfx[i]))
			return (true);
	}
	return (false);
}

/* Record what an operation of xs depended on (see the top comment). */
static void
model_xs_observe(struct model_xs *x, const struct model_op *op, int rc,
    const struct model_changes *ch)
{
	const char	*p = op->path;
	bool		 own = model_xs_own(x, p);
	size_t		 i;

	if (rc == ENOENT) {
		model_obs_note(x, p, own ? 0 : MODEL_EXIST, MODEL_ALL);
		return;
	}
	if (rc != 0) {		/* EINVAL: rm of the root, or no perms */
		if (op->kind != MODEL_OP_RM)
			model_obs_note(x, p, 0, MODEL_ALL);
		return;
	}
	switch (op->kind) {
	case MODEL_OP_GET:
		model_obs_note(x, p, own ? 0 : MODEL_EXIST | MODEL_GEN,
		    MODEL_ALL);
		break;
	case MODEL_OP_EXISTS:
		model_obs_note(x, p, own ? 0 : MODEL_EXIST, MODEL_ALL);
		break;
	case MODEL_OP_LIST:
		model_obs_note(x, p, own ? 0 : MODEL_EXIST | MODEL_KIDS,
		    MODEL_ALL);
		break;
	case MODEL_OP_WRITE:
	case MODEL_OP_MKDIR:
		if (ch->n == 0) {	/* mkdir of an existing node */
			model_obs_note(x, p, MODEL_EXIST, MODEL_ALL);
			break;
		}
		for (i = 0; i < ch->n; i++) {
			if (ch->v[i].kind == MODEL_NO_REPORT) {
				/* the ancestor it was created under */
				model_obs_note(x, ch->v[i].path, MODEL_EXIST,
				    MODEL_ALL);
			} else if (ch->v[i].aspects & MODEL_EXIST) {
				model_obs_note(x, ch->v[i].path, MODEL_EXIST,
				    MODEL_ALL);
				model_obs_get(x, ch->v[i].path)->created = true;
			} else
				model_obs_note(x, ch->v[i].path,
				    MODEL_EXIST | MODEL_GEN, MODEL_ALL);
		}
		break;
	case MODEL_OP_PERMS:
		model_obs_note(x, p, MODEL_EXIST | MODEL_GEN, MODEL_ALL);
		break;
	case MODEL_OP_RM:
		for (i = 0; i < ch->n; i++)
			model_obs_note(x, ch->v[i].path, 0, MODEL_ALL);
		model_obs_note(x, p, MODEL_EXIST | MODEL_GEN, MODEL_ALL);
		x->rmpfx = model_xrealloc(x->rmpfx,
		    (x->nrmpfx + 1) * sizeof *x->rmpfx);
		x->rmpfx[x->nrmpfx++] = model_xstrdup(p);
		break;
	default:
		abort();
	}
}

/* Open an XS transaction on the committed state. */
static void
model_xs_begin(struct model_run *r)
{
	struct model_xs	*x;
	int		 rc;

	if (r->nxs == MODEL_MAX_XS)
		return;
	x = calloc(1, sizeof *x);
	if (x == NULL)
		abort();
	rc = store_txn_begin(r->s, NULL, STORE_TXN_XS, &x->t);
	if (rc != 0)
		model_fail(r, "xs begin returned %d", rc);
	x->view = model_clone(r->g != NULL ? r->base : r->cur);
	x->snap = model_clone(x->view);
	x->logpos = r->g != NULL ? r->glogpos : model_log_end(r);
	x->born = r->step;
	x->id = r->nextxs++;
	x->home = (unsigned int)model_rnd_n(r, MODEL_NTOPS);
	r->xs[r->nxs++] = x;
	r->xs_begun++;
	model_trace(r, "xs%u begin (home /%s)%s", x->id, model_tops[x->home],
	    r->g != NULL ? " while a group is open" : "");
}

/* One operation inside an XS transaction. */
static void
model_xs_step(struct model_run *r, struct model_xs *x)
{
	struct model_changes	 ch;
	struct model_op		 op, check;
	char			 where[32];
	int			 rc;

	memset(&ch, 0, sizeof ch);
	snprintf(where, sizeof where, "xs%u", x->id);
	model_gen_op(r, x->view, (int)x->home, true, &op);
	rc = model_exec(r, x->t, x->view, &op, &ch, false, where);
	model_xs_observe(x, &op, rc, &ch);
	if (rc == 0 && op.kind <= MODEL_OP_PERMS) {
		if (op.kind != MODEL_OP_MKDIR || ch.n != 0) {
			x->ops = model_xrealloc(x->ops,
			    (x->nops + 1) * sizeof *x->ops);
			model_op_copy(&x->ops[x->nops++], &op);
		}
		/* Read back what was written: a read of its own. */
		memset(&check, 0, sizeof check);
		check.kind = op.kind == MODEL_OP_RM ? MODEL_OP_EXISTS :
		    MODEL_OP_GET;
		check.path = op.path;
		model_changes_clear(&ch);
		rc = model_exec(r, x->t, x->view, &check, &ch, false, where);
		model_xs_observe(x, &check, rc, &ch);
	}
	model_verify_usage(r, x->t, x->view);
	model_changes_free(&ch);
	model_op_free(&op);
}

/*
 * Apply an XS transaction in a nested transaction of the open group and
 * end it. The model decides whether a conflict is required, forbidden or
 * left open (see the top comment).
 */
static void
model_xs_apply(struct model_run *r, unsigned int idx)
{
	struct model_xs		*x = r->xs[idx];
	struct model_changes	 ch;
	struct model		*m, *scratch = NULL;
	struct model_logent	*e;
	struct model_obs	*o;
	struct store_txn	*c;
	char			 where[48], pbuf[200], mustp[200] = "";
	unsigned int		 count;
	size_t			 i, b;
	bool			 must = false, may = false, abort_it;
	int			 rc;

	/*
	 * What changed since the snapshot, as the group now sees it. A path
	 * the snapshot did not have has no generation to compare: what it
	 * depended on changed only if the path exists now (created and
	 * removed again in between is the same absence).
	 */
	for (i = x->logpos - r->logbase; i < r->nlog; i++) {
		e = &r->log[i];
		o = model_obs_get(x, e->path);
		if ((o->must & e->aspects) != 0 &&
		    model_get(x->snap, e->path) != NULL) {
			if (!must)
				model_abbrev(e->path, mustp, sizeof mustp);
			must = true;
		}
		if (o->may & e->aspects)
			may = true;
	}
	for (b = 0; b < MODEL_OBS_BUCKETS; b++) {
		for (o = x->obs[b]; o != NULL; o = o->next) {
			if (o->must == 0 || model_get(x->snap, o->path) != NULL ||
			    model_get(r->cur, o->path) == NULL)
				continue;
			if (!must)
				model_abbrev(o->path, mustp, sizeof mustp);
			must = true;
		}
	}

	/*
	 * A transaction that wrote nothing read one consistent snapshot:
	 * it is serializable at the moment it began, so applying it loses
	 * nothing. The store applies it (only real conflicts fail, unlike
	 * Xen's daemon, which answers EAGAIN); either answer is accepted.
	 */
	if (x->nops == 0 && must) {
		must = false;
		may = true;
	}

	abort_it = model_chance(r, 10);
	snprintf(where, sizeof where, "xs%u apply%s", x->id,
	    abort_it ? "(abort)" : "");
	rc = store_txn_begin(r->s, r->g, STORE_TXN_WRITE, &c);
	if (rc != 0)
		model_fail(r, "nested begin returned %d", rc);
	model_rec_clear(r);
	store_txn_observe(c, model_observer, r);
	rc = store_txn_apply(x->t, c);
	model_trace(r, "%s (%zu writes, %s) -> %d", where, x->nops,
	    must ? "must conflict" : may ? "may conflict" : "clean", rc);
	memset(&ch, 0, sizeof ch);
	if (rc == EAGAIN) {
		if (!may)
			model_fail(r, "%s: spurious conflict (EAGAIN) though "
			    "nothing it read, listed or wrote changed", where);
		if (must)
			r->conflicts_must++;
		else
			r->conflicts_may++;
		if (r->nrec != 0)
			model_fail(r, "%s: EAGAIN but the observer heard %zu "
			    "changes", where, r->nrec);
		store_txn_abort(c);
		model_verify_usage(r, r->g, r->cur);
		for (i = 0; i < x->nops; i++)
			model_verify_touched(r, r->g, r->cur, x->ops[i].path,
			    true);
	} else if (rc == 0) {
		if (must)
			model_fail(r, "%s: lost update: applied (%zu writes) "
			    "though %s changed since its snapshot", where,
			    x->nops, mustp);
		if (may)
			r->applied_may++;
		else
			r->applied_clean++;
		m = r->cur;
		if (abort_it)
			m = scratch = model_clone(r->cur);
		for (i = 0; i < x->nops; i++) {
			rc = model_op_model(m, &x->ops[i], &count, &ch);
			if (rc != 0)
				model_fail(r, "%s: model replay of %s %s gave %d",
				    where, model_opname[x->ops[i].kind],
				    model_abbrev(x->ops[i].path, pbuf,
				    sizeof pbuf), rc);
		}
		model_verify_reports(r, &ch, where);
		store_txn_observe(c, NULL, NULL);
		model_verify_changes(r, c, m, &ch);
		if (abort_it)
			store_txn_abort(c);
		else {
			if ((rc = store_txn_commit(c)) != 0)
				model_fail(r, "%s: commit returned %d", where,
				    rc);
			model_log_changes(r, &ch);
		}
		r->xs_applied++;
	} else
		model_fail(r, "%s: apply returned %d", where, rc);
	if (store_txn_error(r->g) != 0)
		model_fail(r, "group error %d after %s", store_txn_error(r->g),
		    where);

	/* An XS transaction cannot be committed: EINVAL, and it is freed. */
	if (model_chance(r, 30)) {
		rc = store_txn_commit(x->t);
		if (rc != EINVAL)
			model_fail(r, "%s: commit of an XS txn returned %d",
			    where, rc);
	} else
		store_txn_abort(x->t);
	x->t = NULL;
	model_changes_free(&ch);
	model_free(scratch);
	model_xs_remove(r, idx);
}

/* Drop an XS transaction, after comparing its whole view sometimes. */
static void
model_xs_discard(struct model_run *r, unsigned int idx)
{
	struct model_xs	*x = r->xs[idx];

	model_trace(r, "xs%u discard", x->id);
	if (model_chance(r, 50))
		model_verify_full(r, x->t, x->view, false, true);
	store_txn_abort(x->t);
	x->t = NULL;
	r->xs_discarded++;
	model_xs_remove(r, idx);
}

/* Free an XS transaction's model state. */
static void
model_xs_free(struct model_xs *x)
{
	struct model_obs	*o, *next;
	size_t			 i;

	for (i = 0; i < MODEL_OBS_BUCKETS; i++) {
		for (o = x->obs[i]; o != NULL; o = next) {
			next = o->next;
			free(o->path);
			free(o);
		}
	}
	for (i = 0; i < x->nrmpfx; i++)
		free(x->rmpfx[i]);
	free(x->rmpfx);
	for (i = 0; i < x->nops; i++)
		model_op_free(&x->ops[i]);
	free(x->ops);
	model_free(x->view);
	model_free(x->snap);
	free(x);
}

/* Take the XS transaction at idx out of the run and free it. */
static void
model_xs_remove(struct model_run *r, unsigned int idx)
{
	model_xs_free(r->xs[idx]);
	r->xs[idx] = r->xs[--r->nxs];
	r->xs[r->nxs] = NULL;
}

/* Open a group write transaction. */
static void
model_group_begin(struct model_run *r)
{
	size_t	i;
	int	rc;

	/* With no snapshot open, the log can be forgotten. */
	if (r->nxs == 0) {
		for (i = 0; i < r->nlog; i++)
			free(r->log[i].path);
		r->logbase += r->nlog;
		r->nlog = 0;
	}
	rc = store_txn_begin(r->s, NULL, STORE_TXN_WRITE, &r->g);
	if (rc != 0)
		model_fail(r, "group begin returned %d", rc);
	r->base = model_clone(r->cur);
	r->glogpos = model_log_end(r);
	model_trace(r, "group begin");
}

/* Commit or abort the open group. */
static void
model_group_end(struct model_run *r, bool commit)
{
	int	rc;

	if (commit) {
		rc = store_txn_commit(r->g);
		model_trace(r, "group commit -> %d", rc);
		if (rc != 0)
			model_fail(r, "group commit returned %d", rc);
		model_free(r->base);
		r->groups++;
	} else {
		store_txn_abort(r->g);
		model_trace(r, "group abort");
		model_free(r->cur);
		r->cur = r->base;
		model_log_truncate(r, r->glogpos);
		r->group_aborts++;
	}
	r->base = NULL;
	r->g = NULL;
}

/* Remove a database directory made by the run. */
static void
model_rmtree(const char *dir)
{
	char		 path[512];
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Open (or reopen) the run's store. */
static void
model_open(struct model_run *r)
{
	struct store_config	cfg;
	char			err[256] = "";
	int			rc;

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = r->dir;
	cfg.map_size = 256UL << 20;
	rc = store_open(&r->s, &cfg, err, sizeof err);
	if (rc != 0)
		model_fail(r, "store_open %s: %d: %s", r->dir, rc, err);
}

/* One whole run of a profile. */
static void
model_run(const struct model_profile *prof)
{
	struct model_run	*r;
	struct store_txn	*t;
	const char		*tmp, *env;
	unsigned int		 k, i;
	time_t			 started;
	int			 rc;

	r = calloc(1, sizeof *r);
	ck_assert_ptr_nonnull(r);
	r->prof = prof;
	r->seed = model_seed;
	r->rng = model_seed ^ (0x5851f42d4c957f2dULL * (uint64_t)
	    (prof - model_profiles + 1));
	r->steps = model_steps / prof->steps_div;
	if (r->steps == 0)
		r->steps = 1;
	r->ancestors = -1;
	env = getenv("XSDB_MODEL_TRACE");
	r->trace_live = env != NULL && *env != '\0' && strcmp(env, "0") != 0;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(r->dir, sizeof r->dir, "%s/xsdb-model-XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	model_open(r);
	r->cur = model_new();
	started = time(NULL);

	/* A fresh store holds the root, "n0", empty. */
	rc = store_txn_begin(r->s, NULL, STORE_TXN_READ, &t);
	if (rc != 0)
		model_fail(r, "read begin returned %d", rc);
	model_verify_full(r, t, r->cur, true, false);
	store_txn_abort(t);

	for (r->step = 1; r->step <= r->steps; r->step++) {
		/* Old XS transactions are applied. */
		for (i = 0; i < r->nxs; i++) {
			if (r->step - r->xs[i]->born > MODEL_XS_MAX_AGE) {
				if (r->g == NULL)
					model_group_begin(r);
				model_xs_apply(r, i);
				break;
			}
		}

		/* Groups begin when a write needs one. */
		k = (unsigned int)model_rnd_n(r, 100);
		if (r->g == NULL && (k < 40 || (k >= 76 && k < 83)))
			model_group_begin(r);
		if (k < 40)
			model_step_direct(r);
		else if (k < 70) {
			if (r->nxs == 0)
				model_xs_begin(r);
			else
				model_xs_step(r, r->xs[model_rnd_n(r, r->nxs)]);
		} else if (k < 76)
			model_xs_begin(r);
		else if (k < 83) {
			if (r->nxs != 0)
				model_xs_apply(r, (unsigned int)model_rnd_n(r,
				    r->nxs));
		} else if (k < 85) {
			if (r->nxs != 0)
				model_xs_discard(r, (unsigned int)model_rnd_n(r,
				    r->nxs));
		} else if (k < 93) {
			if (r->g != NULL)
				model_group_end(r, !model_chance(r, 5));
		}
		else
			model_step_read(r);

		if (r->step % MODEL_CHECK_EVERY == 0) {
			if (r->g != NULL)
				model_verify_full(r, r->g, r->cur, true, false);
			rc = store_txn_begin(r->s, NULL, STORE_TXN_READ, &t);
			if (rc != 0)
				model_fail(r, "read begin returned %d", rc);
			model_verify_full(r, t, r->g != NULL ? r->base : r->cur,
			    true, false);
			model_verify_check(r, t);
			store_txn_abort(t);
		}
	}

	/* Apply what is still open, commit, check everything. */
	if (r->g == NULL)
		model_group_begin(r);
	while (r->nxs > 0)
		model_xs_apply(r, 0);
	model_verify_full(r, r->g, r->cur, true, false);
	model_group_end(r, true);
	rc = store_txn_begin(r->s, NULL, STORE_TXN_READ, &t);
	if (rc != 0)
		model_fail(r, "read begin returned %d", rc);
	model_verify_full(r, t, r->cur, true, false);
	model_verify_check(r, t);
	store_txn_abort(t);

	/* What was committed is there after a reopen. */
	store_close(r->s);
	r->s = NULL;
	model_open(r);
	rc = store_txn_begin(r->s, NULL, STORE_TXN_READ, &t);
	if (rc != 0)
		model_fail(r, "read begin returned %d", rc);
	model_verify_full(r, t, r->cur, true, false);
	model_verify_check(r, t);
	store_txn_abort(t);
	store_close(r->s);

	fprintf(stderr, "model %s: seed %" PRIu64 ", %lu steps in %lds: "
	    "%zu nodes at the end; ops write %lu mkdir %lu rm %lu "
	    "set_perms %lu get %lu list %lu exists %lu; groups %lu "
	    "(%lu aborted), nested aborts %lu; xs begun %lu applied %lu "
	    "discarded %lu; conflicts required %lu, optional taken %lu, "
	    "optional applied %lu, clean applied %lu; full checks %lu%s\n",
	    prof->name, r->seed, r->steps, (long)(time(NULL) - started),
	    r->cur->count, r->nops[MODEL_OP_WRITE], r->nops[MODEL_OP_MKDIR],
	    r->nops[MODEL_OP_RM], r->nops[MODEL_OP_PERMS],
	    r->nops[MODEL_OP_GET], r->nops[MODEL_OP_LIST],
	    r->nops[MODEL_OP_EXISTS], r->groups, r->group_aborts,
	    r->nested_aborts, r->xs_begun, r->xs_applied, r->xs_discarded,
	    r->conflicts_must, r->conflicts_may, r->applied_may,
	    r->applied_clean, r->full_checks,
	    r->usage_enoent ? "; owner_usage says ENOENT for an owner of "
	    "nothing" : "");

	model_rmtree(r->dir);
	model_rec_clear(r);
	free(r->rec);
	model_log_truncate(r, r->logbase);
	free(r->log);
	model_free(r->cur);
	free(r);
}

/* The everyday mix: short paths, small values, many transactions. */
START_TEST(test_model_core)
{
	model_run(&model_profiles[0]);
}
END_TEST

/* Long paths around and past LMDB's key limit, values up to 4096. */
START_TEST(test_model_limits)
{
	model_run(&model_profiles[1]);
}
END_TEST

/* Many operations that must fail: absent nodes, the root, no perms. */
START_TEST(test_model_errors)
{
	model_run(&model_profiles[2]);
}
END_TEST

/* The suite: one test case per profile. */
static Suite *
model_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("model");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_model_core);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_model_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_model_errors);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner		*sr;
	const char	*env;
	char		*end;
	int		 failed;

	if ((env = getenv("XSDB_MODEL_SEED")) != NULL && *env != '\0')
		model_seed = strtoull(env, &end, 0);
	else
		model_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((env = getenv("XSDB_MODEL_STEPS")) != NULL && *env != '\0')
		model_steps = strtoul(env, &end, 0);
	fprintf(stderr, "model: XSDB_MODEL_SEED=%" PRIu64 " XSDB_MODEL_STEPS="
	    "%lu\n", model_seed, model_steps);

	sr = srunner_create(model_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

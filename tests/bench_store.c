/*
 * bench_store.c - operations per second of db/ on its own.
 *
 * usage: bench_store [-d dir] [-n nodes[,nodes...]] [-t seconds]
 *
 * For each size (default 100,000 and 1,000,000 nodes) a fresh store is
 * filled with /bench/d<k>/n<i>, 1000 nodes per directory, then each
 * operation runs for -t seconds (default 2) on random existing nodes:
 *
 *	get		store_get in one long READ snapshot
 *	get+txn		a READ snapshot of its own for each get
 *	put 1/commit	store_write of an existing node, one per commit
 *	put 1000/commit	1000 store_write per commit
 *	list		store_list of a directory of 1000 children
 *	xs rmw		an XS transaction: get, write, apply in a write
 *			transaction, commit
 *
 * and the size of the database on disk is printed. Commits are not
 * fsync'ed (the store's default). The store lives in -d (default a new
 * directory under $TMPDIR or /tmp), removed at the end.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define PER_DIR		1000

/* One benchmark run. */
struct bench {
	struct store	*s;
	size_t		 nodes;
	double		 seconds;
	uint64_t	 rng;
	char		 value[64];
};

static double	 bench_now(void);
static uint64_t	 bench_rand(struct bench *);
static void	 bench_path(struct bench *, char *, size_t);
static void	 bench_fail(const char *, int);
static int	 bench_rm_one(const char *, const struct stat *, int,
		     struct FTW *);
static int	 bench_count(void *, const char *, size_t);
static void	 bench_report(const char *, unsigned long, double);
static void	 bench_fill(struct bench *);
static void	 bench_get(struct bench *, int);
static void	 bench_put(struct bench *, int);
static void	 bench_list(struct bench *);
static void	 bench_xs(struct bench *);
static void	 bench_size(struct bench *);
static void	 bench_run(const char *, size_t, double);
static void	 bench_usage(void);

/* Seconds on a monotonic clock. */
static double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* xorshift64: cheap random numbers. */
static uint64_t
bench_rand(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return (b->rng);
}

/* A random existing node. */
static void
bench_path(struct bench *b, char *buf, size_t len)
{
	size_t	i = (size_t)(bench_rand(b) % b->nodes);

	snprintf(buf, len, "/bench/d%zu/n%zu", i / PER_DIR, i % PER_DIR);
}

/* Give up with a message. */
static void
bench_fail(const char *what, int error)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, strerror(error));
	exit(1);
}

/* Remove one file of the store's directory. */
static int
bench_rm_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	return (remove(path));
}

/* Count listed names. */
static int
bench_count(void *arg, const char *name, size_t len)
{
	(*(unsigned long *)arg)++;
	return (0);
}

/* Print one figure. */
static void
bench_report(const char *name, unsigned long ops, double secs)
{
	printf("  %-22s %12.0f ops/s  (%lu in %.2f s)\n", name,
	    (double)ops / secs, ops, secs);
	fflush(stdout);
}

/* Fill the store, 10,000 nodes per commit. */
static void
bench_fill(struct bench *b)
{
	struct store_txn	*t = NULL;
	char			 path[64];
	double			 start = bench_now();
	size_t			 i;
	int			 error;

	for (i = 0; i < b->nodes; i++) {
		if (t == NULL && (error = store_txn_begin(b->s, NULL,
		    STORE_TXN_WRITE, &t)) != 0)
			bench_fail("begin", error);
		snprintf(path, sizeof path, "/bench/d%zu/n%zu", i / PER_DIR,
		    i % PER_DIR);
		error = store_write(t, path, b->value, 16, 0, NULL);
		if (error == 0 && (i % 10000 == 9999 || i + 1 == b->nodes)) {
			error = store_txn_commit(t);
			t = NULL;
		}
		if (error == ENOSPC) {
			/* The map grows when t ends: write the batch again. */
			if (t != NULL)
				store_txn_abort(t);
			t = NULL;
			i -= i % 10000;
			i--;
			continue;
		}
		if (error != 0)
			bench_fail("fill", error);
	}
	bench_report("fill 10000/commit", (unsigned long)b->nodes,
	    bench_now() - start);
}

/* Random reads, in one snapshot or a snapshot each. */
static void
bench_get(struct bench *b, int own_txn)
{
	struct store_txn	*t = NULL;
	struct store_node	 n;
	char			 path[64];
	unsigned long		 ops = 0;
	double			 start = bench_now(), now = start;
	int			 error;

	if (!own_txn && (error = store_txn_begin(b->s, NULL, STORE_TXN_READ,
	    &t)) != 0)
		bench_fail("begin", error);
	while (now - start < b->seconds) {
		bench_path(b, path, sizeof path);
		if (own_txn && (error = store_txn_begin(b->s, NULL,
		    STORE_TXN_READ, &t)) != 0)
			bench_fail("begin", error);
		if ((error = store_get(t, path, &n)) != 0)
			bench_fail("get", error);
		if (own_txn)
			store_txn_abort(t);
		if (++ops % 256 == 0)
			now = bench_now();
	}
	if (!own_txn)
		store_txn_abort(t);
	bench_report(own_txn ? "get+txn" : "get", ops, bench_now() - start);
}

/* Writes of existing nodes, per commits of batch. */
static void
bench_put(struct bench *b, int batch)
{
	struct store_txn	*t;
	char			 path[64], name[32];
	unsigned long		 ops = 0;
	double			 start = bench_now();
	int			 error, i;

	while (bench_now() - start < b->seconds) {
		if ((error = store_txn_begin(b->s, NULL, STORE_TXN_WRITE,
		    &t)) != 0)
			bench_fail("begin", error);
		for (i = 0; i < batch; i++) {
			bench_path(b, path, sizeof path);
			snprintf(b->value, sizeof b->value, "%016llx",
			    (unsigned long long)bench_rand(b));
			error = store_write(t, path, b->value, 16, 0, NULL);
			if (error != 0 && error != ENOSPC)
				bench_fail("put", error);
		}
		error = store_txn_commit(t);
		if (error == ENOSPC)
			continue;
		if (error != 0)
			bench_fail("put commit", error);
		ops += (unsigned long)batch;
	}
	snprintf(name, sizeof name, "put %d/commit", batch);
	bench_report(name, ops, bench_now() - start);
}

/* Listings of directories of 1000 children. */
static void
bench_list(struct bench *b)
{
	struct store_txn	*t;
	char			 path[64];
	unsigned long		 ops = 0, names;
	size_t			 dirs = (b->nodes + PER_DIR - 1) / PER_DIR;
	double			 start = bench_now(), now = start;
	int			 error;

	if ((error = store_txn_begin(b->s, NULL, STORE_TXN_READ, &t)) != 0)
		bench_fail("begin", error);
	while (now - start < b->seconds) {
		snprintf(path, sizeof path, "/bench/d%zu",
		    (size_t)(bench_rand(b) % dirs));
		names = 0;
		if ((error = store_list(t, path, bench_count, &names)) != 0)
			bench_fail("list", error);
		if (names == 0)
			bench_fail("list", ENOENT);
		if (++ops % 16 == 0)
			now = bench_now();
	}
	store_txn_abort(t);
	bench_report("list (1000 children)", ops, bench_now() - start);
}

/* Read-modify-write XS transactions, each applied and committed. */
static void
bench_xs(struct bench *b)
{
	struct store_txn	*x, *w;
	struct store_node	 n;
	char			 path[64];
	unsigned long		 ops = 0;
	double			 start = bench_now();
	int			 error;

	while (bench_now() - start < b->seconds) {
		bench_path(b, path, sizeof path);
		if ((error = store_txn_begin(b->s, NULL, STORE_TXN_XS,
		    &x)) != 0)
			bench_fail("begin", error);
		if ((error = store_get(x, path, &n)) != 0)
			bench_fail("xs get", error);
		snprintf(b->value, sizeof b->value, "%016llx",
		    (unsigned long long)bench_rand(b));
		if ((error = store_write(x, path, b->value, 16, 0, NULL)) != 0)
			bench_fail("xs write", error);
		if ((error = store_txn_begin(b->s, NULL, STORE_TXN_WRITE,
		    &w)) != 0)
			bench_fail("begin", error);
		error = store_txn_apply(x, w);
		if (error != 0 && error != ENOSPC)
			bench_fail("apply", error);
		error = store_txn_commit(w);
		store_txn_abort(x);
		if (error == ENOSPC)
			continue;
		if (error != 0)
			bench_fail("xs commit", error);
		ops++;
	}
	bench_report("xs rmw", ops, bench_now() - start);
}

/* Print the size of the database. */
static void
bench_size(struct bench *b)
{
	struct store_txn	*t;
	struct store_stats	 st;
	int			 error;

	if ((error = store_txn_begin(b->s, NULL, STORE_TXN_READ, &t)) != 0)
		bench_fail("begin", error);
	if ((error = store_stats(t, &st)) != 0)
		bench_fail("stats", error);
	store_txn_abort(t);
	printf("  %-22s %12.1f MiB on disk, %.1f MiB of the map used, "
	    "%.1f MiB mapped; %llu nodes, %.0f bytes per node on disk\n",
	    "size", (double)st.file_size / 1048576.0,
	    (double)st.map_used / 1048576.0,
	    (double)st.map_size / 1048576.0, (unsigned long long)st.nodes,
	    (double)st.file_size / (double)st.nodes);
	fflush(stdout);
}

/* Everything, at one size. */
static void
bench_run(const char *base, size_t nodes, double seconds)
{
	struct store_config	 cfg;
	struct bench		 b;
	char			*dir, err[256];
	int			 error;

	if (asprintf(&dir, "%s/xsdb-bench-XXXXXX", base) == -1 ||
	    mkdtemp(dir) == NULL)
		bench_fail("temporary directory", errno);
	memset(&b, 0, sizeof b);
	memset(&cfg, 0, sizeof cfg);
	cfg.dir = dir;
	cfg.map_size = (size_t)64 << 20;
	if ((error = store_open(&b.s, &cfg, err, sizeof err)) != 0) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(1);
	}
	b.nodes = nodes;
	b.seconds = seconds;
	b.rng = 0x9e3779b97f4a7c15ULL ^ nodes;
	memcpy(b.value, "0123456789abcdef", 17);

	printf("%zu nodes (%s)\n", nodes, dir);
	bench_fill(&b);
	bench_size(&b);
	bench_get(&b, 0);
	bench_get(&b, 1);
	bench_put(&b, 1);
	bench_put(&b, 1000);
	bench_list(&b);
	bench_xs(&b);
	bench_size(&b);
	store_close(b.s);
	nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Say how to run it. */
static void
bench_usage(void)
{
	fprintf(stderr, "usage: bench_store [-d dir] [-n nodes[,nodes...]] "
	    "[-t seconds]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	const char	*base = getenv("TMPDIR"), *sizes = "100000,1000000";
	char		*list, *p, *end;
	double		 seconds = 2.0;
	size_t		 n;
	int		 ch;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	while ((ch = getopt(argc, argv, "d:n:t:")) != -1) {
		switch (ch) {
		case 'd':
			base = optarg;
			break;
		case 'n':
			sizes = optarg;
			break;
		case 't':
			seconds = strtod(optarg, &end);
			if (*end != '\0' || seconds <= 0)
				bench_usage();
			break;
		default:
			bench_usage();
		}
	}
	if (optind != argc || (list = strdup(sizes)) == NULL)
		bench_usage();
	for (p = strtok(list, ","); p != NULL; p = strtok(NULL, ",")) {
		n = strtoul(p, &end, 10);
		if (*end != '\0' || n == 0)
			bench_usage();
		bench_run(base, n, seconds);
	}
	free(list);
	return (0);
}

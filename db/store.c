/*
 * store.c - the LMDB environment, transactions, errors and map growth.
 *
 * The environment is opened with MDB_NOTLS, so that one thread may hold
 * many read snapshots (READ and XS transactions), and with MDB_NOSYNC
 * unless the configuration asks for sync: a committed transaction is in
 * the page cache and survives the death of the process, not of the host.
 *
 * Map growth. A write that reaches the end of the map fails with
 * MDB_MAP_FULL, which the caller sees as ENOSPC, sticky for that
 * transaction (for a nested one, for it alone: LMDB flags only the child
 * and restores the parent's page state when the child ends). When the
 * top-level write transaction ends, the map is doubled (page-rounded,
 * capped at map_max) so that the next one succeeds.
 *
 * mdb_env_set_mapsize refuses to run while a write transaction is open,
 * and lmdb.h asks for no transaction at all, yet READ and XS snapshots
 * may stay open for long. Reading mdb.c (0.9.24) shows what a read
 * transaction keeps: its txnid, a copy of the DB records (mt_dbs), its
 * reader slot, which lives in the lock file's own mapping, and
 * mt_next_pgno. Every page it reads is found again through
 * env->me_map + pgno * psize (mdb_page_get), so after the data file is
 * mapped anew at another address, such a transaction reads the same
 * pages through the new map, and its reader slot still keeps the writer
 * from reusing them. What does not survive are pointers into the old
 * map: a cursor's page stack and data returned by mdb_get. db/ therefore
 * never keeps either across calls on a snapshot: values handed to the
 * caller are copied (struct store_txn's out buffer), cursors are closed
 * before a call returns, and an iteration that calls back into the
 * caller re-seeks its cursor if the map moved meanwhile (store->epoch).
 * With that, the map grows as soon as the write transaction ends, even
 * with snapshots open.
 *
 * Reuse. A daemon begins and ends several transactions per loop turn, so
 * their fixed costs count. An ended READ or XS transaction's LMDB handle
 * is reset (mdb_txn_reset), keeping its reader slot, and renewed by the
 * next snapshot, which then neither allocates nor takes the reader-table
 * lock; a freed struct store_txn keeps its scratch buffers for the next
 * transaction. A reset handle holds its reader slot, which other
 * processes (the offline tools) cannot take meanwhile: at most a
 * sixteenth of the reader table is kept so (8 slots of the default 4096,
 * none of a table of 15 or fewer). The generation counter is remembered
 * with the LMDB transaction id that committed it: a transaction that
 * begins on that same snapshot takes it from there instead of reading
 * "meta" (a snapshot of any other id, e.g. after another process wrote,
 * reads it).
 *
 * Writing the map in place (store_config.writemap, MDB_WRITEMAP). By
 * default LMDB copies every page a write transaction changes into memory
 * of its own and, at commit, writes them to the data file with pwrite:
 * a few system calls per commit, which on a tmpfs cost more than the
 * commit itself. With writemap the map is writable and a transaction
 * changes its pages there; the commit only marks the new root. What that
 * changes: the data file grows to the map size at once (a sparse file:
 * its blocks are used as pages are); nested transactions are not
 * available (store_txn_begin with a parent is EINVAL); and a stray write
 * through a pointer into the map, which otherwise faults on a read-only
 * page, lands in the database and may corrupt it (LMDB's own warning).
 * db/ never writes through the pointers it hands out; its callers must
 * not either (store.h: "never free or modify it").
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-int.h"

static const char	*store_table_names[STORE_TABLE_COUNT] = {
	"domains", "watches", "conns"
};

static void	 store_errbuf(char *, size_t, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
static size_t	 store_round(size_t, size_t);
static int	 store_open_dbis(struct store *, MDB_txn *, bool, char *,
		     size_t);
static int	 store_init_db(struct store *, MDB_txn *);
static int	 store_begin_mdb(struct store *, MDB_txn *, unsigned int,
		     MDB_txn **);
static void	 store_grow(struct store *);
static struct store_txn *store_txn_alloc(struct store *);
static void	 store_txn_recycle(struct store_txn *);
static void	 store_txn_free(struct store_txn *);
static bool	 store_rd_renew(struct store *, MDB_txn **);
static void	 store_rd_end(struct store *, MDB_txn *);
static void	 store_txn_end_mdb(struct store_txn *);
static int	 store_txn_counter(struct store_txn *);
static int	 store_map_range(const struct store *, void **, size_t *);

/* Write a sentence for people into errbuf, if there is one. */
static void
store_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* Round size up to a multiple of page. */
static size_t
store_round(size_t size, size_t page)
{
	if (size % page != 0)
		size += page - size % page;
	return (size);
}

/*
 * Map an LMDB result to an errno value: the one place where MDB_* codes
 * end. Unexpected codes are EIO with a log line naming what failed.
 */
int
store_mdb_error(struct store *s, int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return (0);
	case MDB_NOTFOUND:
		return (ENOENT);
	case MDB_MAP_FULL:
		if (s != NULL)
			s->grow_pending = true;
		return (ENOSPC);
	case MDB_TXN_FULL:
		return (ENOSPC);
	case MDB_READERS_FULL:
		return (EBUSY);
	case MDB_PANIC:
		fprintf(stderr, "xsdb: store: %s: %s\n", what,
		    mdb_strerror(rc));
		abort();
	case ENOMEM:
	case ENOSPC:
	case EACCES:
		return (rc);
	}
	fprintf(stderr, "xsdb: store: %s: %s\n", what, mdb_strerror(rc));
	return (EIO);
}

/* Record err as t's sticky error unless it changed nothing. */
int
store_txn_fail(struct store_txn *t, int err)
{
	if (err != 0 && err != ENOENT && err != EEXIST && err != EINVAL &&
	    t->rc == 0)
		t->rc = err;
	return (err);
}

/*
 * Whether a call may run on t now: the sticky error, EINVAL for a change
 * through a READ transaction, for a call while a nested transaction is
 * open, or a change from inside a listing callback.
 */
int
store_txn_usable(struct store_txn *t, bool change)
{
	if (t == NULL)
		return (EINVAL);
	if (t->rc != 0)
		return (t->rc);
	if (t->child != NULL)
		return (EINVAL);
	if (change && (t->kind == STORE_TXN_READ || t->in_callback))
		return (EINVAL);
	return (0);
}

/* Tell t's observer about a change. */
void
store_report(struct store_txn *t, enum store_change kind, const char *path,
    const struct store_change_old *old)
{
	if (t->obs != NULL)
		t->obs(t->obs_arg, kind, path, old);
}

/* Make buf hold at least size bytes. */
int
store_buf_reserve(struct store_buf *buf, size_t size)
{
	unsigned char	*p;
	size_t		 n;

	if (size <= buf->size && buf->data != NULL)
		return (0);
	n = buf->size < 256 ? 256 : buf->size;
	while (n < size)
		n *= 2;
	if ((p = realloc(buf->data, n)) == NULL)
		return (ENOMEM);
	buf->data = p;
	buf->size = n;
	return (0);
}

/* Free a buffer. */
void
store_buf_free(struct store_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->size = 0;
}

/* Read the generation counter from "meta". Returns 0, EIO. */
int
store_read_counter(struct store *s, MDB_txn *mt, uint64_t *out)
{
	MDB_val	key = { 7, (void *)"counter" }, val;
	int	rc;

	rc = mdb_get(mt, s->dbi_meta, &key, &val);
	if (rc != 0)
		return (rc == MDB_NOTFOUND ? EIO :
		    store_mdb_error(s, rc, "read counter"));
	if (val.mv_size != sizeof *out) {
		fprintf(stderr, "xsdb: store: counter is damaged\n");
		return (EIO);
	}
	memcpy(out, val.mv_data, sizeof *out);
	return (0);
}

/*
 * Open the DBIs in a first transaction; initialise an empty environment
 * (create is false for a read-only store).
 */
static int
store_open_dbis(struct store *s, MDB_txn *mt, bool create, char *errbuf,
    size_t errlen)
{
	MDB_stat	 st;
	MDB_val		 key, val;
	uint32_t	 schema;
	unsigned int	 flags = create ? MDB_CREATE : 0;
	int		 rc, i;

	rc = mdb_dbi_open(mt, "meta", 0, &s->dbi_meta);
	if (rc == MDB_NOTFOUND) {
		if ((rc = mdb_stat(mt, 1, &st)) != 0)
			goto lmdb;
		if (st.ms_entries != 0) {
			store_errbuf(errbuf, errlen, "%s is not an xsdb "
			    "database: it is an LMDB environment holding "
			    "something else", s->dir);
			return (EINVAL);
		}
		if (!create) {
			store_errbuf(errbuf, errlen, "%s holds an empty "
			    "environment, not an xsdb database yet", s->dir);
			return (ENOENT);
		}
		return (store_init_db(s, mt));
	}
	if (rc == MDB_INCOMPATIBLE) {
		store_errbuf(errbuf, errlen, "%s is not an xsdb database: "
		    "its \"meta\" is not a table", s->dir);
		return (EINVAL);
	}
	if (rc != 0)
		goto lmdb;

	key.mv_data = (void *)"magic";
	key.mv_size = 5;
	rc = mdb_get(mt, s->dbi_meta, &key, &val);
	if (rc == MDB_NOTFOUND || (rc == 0 && (val.mv_size != 4 ||
	    memcmp(val.mv_data, "xsdb", 4) != 0))) {
		store_errbuf(errbuf, errlen, "%s is not an xsdb database: "
		    "the magic is missing", s->dir);
		return (EINVAL);
	}
	if (rc != 0)
		goto lmdb;
	key.mv_data = (void *)"schema";
	key.mv_size = 6;
	rc = mdb_get(mt, s->dbi_meta, &key, &val);
	if (rc == 0 && val.mv_size == sizeof schema) {
		memcpy(&schema, val.mv_data, sizeof schema);
		if (schema != STORE_SCHEMA_VERSION) {
			store_errbuf(errbuf, errlen, "%s has schema version "
			    "%u; this build reads version %u only", s->dir,
			    schema, STORE_SCHEMA_VERSION);
			return (EEXIST);
		}
	} else if (rc == 0 || rc == MDB_NOTFOUND) {
		store_errbuf(errbuf, errlen, "%s is not an xsdb database: "
		    "its schema version is missing or damaged", s->dir);
		return (EINVAL);
	} else
		goto lmdb;

	if ((rc = mdb_dbi_open(mt, "nodes", 0, &s->dbi_nodes)) != 0 ||
	    (rc = mdb_dbi_open(mt, "children", 0, &s->dbi_children)) != 0 ||
	    (rc = mdb_dbi_open(mt, "owners", 0, &s->dbi_owners)) != 0)
		goto damaged;
	for (i = 0; i < STORE_TABLE_COUNT; i++) {
		rc = mdb_dbi_open(mt, store_table_names[i], flags,
		    &s->dbi_tables[i]);
		if (rc != 0)
			goto damaged;
	}
	return (0);

damaged:
	store_errbuf(errbuf, errlen, "%s is a damaged xsdb database: a "
	    "table is missing (%s)", s->dir, mdb_strerror(rc));
	return (EIO);
lmdb:
	store_errbuf(errbuf, errlen, "%s: %s", s->dir, mdb_strerror(rc));
	return (store_mdb_error(s, rc, "open"));
}

/*
 * Initialise an empty environment: the tables, the meta records and the
 * root node "/" owned by dom0 with no access for others ("n0").
 */
static int
store_init_db(struct store *s, MDB_txn *mt)
{
	struct store_nrec	 root;
	struct store_buf	 buf = { NULL, 0 };
	struct xs_perm		 perm = { 0, XS_PERM_NONE };
	struct store_usage	 u;
	MDB_val			 key, val;
	unsigned char		 ukey[4], uval[16];
	uint32_t		 schema = STORE_SCHEMA_VERSION;
	uint64_t		 counter = 1;
	int			 rc, i, error;

	if ((rc = mdb_dbi_open(mt, "meta", MDB_CREATE, &s->dbi_meta)) != 0 ||
	    (rc = mdb_dbi_open(mt, "nodes", MDB_CREATE, &s->dbi_nodes)) != 0 ||
	    (rc = mdb_dbi_open(mt, "children", MDB_CREATE,
	    &s->dbi_children)) != 0 ||
	    (rc = mdb_dbi_open(mt, "owners", MDB_CREATE,
	    &s->dbi_owners)) != 0)
		return (store_mdb_error(s, rc, "create tables"));
	for (i = 0; i < STORE_TABLE_COUNT; i++) {
		rc = mdb_dbi_open(mt, store_table_names[i], MDB_CREATE,
		    &s->dbi_tables[i]);
		if (rc != 0)
			return (store_mdb_error(s, rc, "create tables"));
	}

	key.mv_data = (void *)"magic";
	key.mv_size = 5;
	val.mv_data = (void *)"xsdb";
	val.mv_size = 4;
	if ((rc = mdb_put(mt, s->dbi_meta, &key, &val, 0)) != 0)
		return (store_mdb_error(s, rc, "initialise"));
	key.mv_data = (void *)"schema";
	key.mv_size = 6;
	val.mv_data = &schema;
	val.mv_size = sizeof schema;
	if ((rc = mdb_put(mt, s->dbi_meta, &key, &val, 0)) != 0)
		return (store_mdb_error(s, rc, "initialise"));
	key.mv_data = (void *)"counter";
	key.mv_size = 7;
	val.mv_data = &counter;
	val.mv_size = sizeof counter;
	if ((rc = mdb_put(mt, s->dbi_meta, &key, &val, 0)) != 0)
		return (store_mdb_error(s, rc, "initialise"));

	memset(&root, 0, sizeof root);
	root.id = root.gen = root.cgen = counter;
	root.nperms = 1;
	root.perms = &perm;
	root.value = "";
	if ((error = store_rec_encode(&buf, &root, "/", 1, false, &val)) != 0)
		return (error);
	key.mv_data = (void *)"/";
	key.mv_size = 1;
	rc = mdb_put(mt, s->dbi_nodes, &key, &val, 0);
	store_buf_free(&buf);
	if (rc != 0)
		return (store_mdb_error(s, rc, "initialise"));

	u.nodes = 1;
	u.bytes = store_usage_bytes(0, 1, 0);
	store_put_be32(ukey, 0);
	memcpy(uval, &u.nodes, 8);
	memcpy(uval + 8, &u.bytes, 8);
	key.mv_data = ukey;
	key.mv_size = sizeof ukey;
	val.mv_data = uval;
	val.mv_size = sizeof uval;
	if ((rc = mdb_put(mt, s->dbi_owners, &key, &val, 0)) != 0)
		return (store_mdb_error(s, rc, "initialise"));
	return (0);
}

/* Open or create the database in cfg->dir. */
int
store_open(struct store **out, const struct store_config *cfg,
    char *errbuf, size_t errlen)
{
	struct store	*s;
	struct stat	 sb;
	MDB_envinfo	 info;
	MDB_stat	 ms;
	MDB_txn		*mt = NULL;
	unsigned int	 flags;
	size_t		 len;
	bool		 exists;
	int		 rc, error;

	*out = NULL;
	if (cfg == NULL || cfg->dir == NULL || *cfg->dir == '\0') {
		store_errbuf(errbuf, errlen, "no database directory given");
		return (EINVAL);
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return (ENOMEM);
	len = strlen(cfg->dir);
	s->dir = strdup(cfg->dir);
	s->datafile = malloc(len + sizeof "/data.mdb");
	if (s->dir == NULL || s->datafile == NULL) {
		error = ENOMEM;
		goto fail;
	}
	memcpy(s->datafile, cfg->dir, len);
	memcpy(s->datafile + len, "/data.mdb", sizeof "/data.mdb");
	s->read_only = cfg->read_only;
	s->map_max = cfg->map_max != 0 ? cfg->map_max : STORE_DEFAULT_MAX;
	s->max_readers = cfg->max_readers != 0 ? cfg->max_readers :
	    STORE_DEFAULT_READERS;
	s->rd_cache_max = s->max_readers / 16;
	if (s->rd_cache_max > STORE_RD_CACHE)
		s->rd_cache_max = STORE_RD_CACHE;
	s->page_size = (size_t)sysconf(_SC_PAGESIZE);

	if (!s->read_only && mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
		error = errno;
		store_errbuf(errbuf, errlen, "cannot create %s: %s", s->dir,
		    strerror(error));
		goto fail;
	}
	exists = stat(s->datafile, &sb) == 0;
	if (s->read_only && !exists) {
		store_errbuf(errbuf, errlen, "there is no database in %s",
		    s->dir);
		error = ENOENT;
		goto fail;
	}

	if ((rc = mdb_env_create(&s->env)) != 0) {
		error = store_mdb_error(s, rc, "create environment");
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, 16)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, s->max_readers)) != 0) {
		error = store_mdb_error(s, rc, "configure environment");
		goto fail;
	}
	/* An existing file keeps the map size it grew to. */
	if (!exists && !s->read_only) {
		len = cfg->map_size != 0 ? cfg->map_size : STORE_DEFAULT_MAP;
		rc = mdb_env_set_mapsize(s->env, store_round(len,
		    s->page_size));
		if (rc != 0) {
			error = store_mdb_error(s, rc, "set map size");
			goto fail;
		}
	}
	flags = MDB_NOTLS;
	if (s->read_only)
		flags |= MDB_RDONLY;
	else {
		if (!cfg->sync)
			flags |= MDB_NOSYNC;
		if (cfg->writemap) {
			flags |= MDB_WRITEMAP;
			s->writemap = true;
		}
	}
	rc = mdb_env_open(s->env, s->dir, flags, 0600);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
		store_errbuf(errbuf, errlen, "%s is not an xsdb database: %s",
		    s->dir, mdb_strerror(rc));
		error = EINVAL;
		goto fail;
	}
	if (rc != 0) {
		store_errbuf(errbuf, errlen, "cannot open %s: %s", s->dir,
		    mdb_strerror(rc));
		error = rc == ENOENT ? ENOENT : store_mdb_error(s, rc, "open");
		goto fail;
	}
	s->max_key = (size_t)mdb_env_get_maxkeysize(s->env);
	if (s->max_key != STORE_KEY_MAX) {
		store_errbuf(errbuf, errlen, "LMDB was built with %zu-byte "
		    "keys; xsdb needs %d", s->max_key, STORE_KEY_MAX);
		error = EIO;
		goto fail;
	}

	if ((rc = mdb_env_info(s->env, &info)) != 0) {
		error = store_mdb_error(s, rc, "read environment");
		goto fail;
	}
	s->map_size = info.me_mapsize;
	if (!s->read_only && cfg->map_size != 0 &&
	    s->map_size < cfg->map_size) {
		len = store_round(cfg->map_size, s->page_size);
		if ((rc = mdb_env_set_mapsize(s->env, len)) != 0) {
			error = store_mdb_error(s, rc, "set map size");
			goto fail;
		}
		s->map_size = len;
	}
	if (mdb_env_stat(s->env, &ms) == 0)
		s->page_size = ms.ms_psize;

	rc = store_begin_mdb(s, NULL, s->read_only ? MDB_RDONLY : 0, &mt);
	if (rc != 0) {
		error = rc;
		store_errbuf(errbuf, errlen, "cannot read %s: %s", s->dir,
		    strerror(error));
		goto fail;
	}
	if ((error = store_open_dbis(s, mt, !s->read_only, errbuf,
	    errlen)) != 0)
		goto fail;
	/* Even a read-only transaction commits: DBI handles opened in a
	 * transaction that aborts are closed with it. */
	if ((rc = mdb_txn_commit(mt)) != 0) {
		mt = NULL;
		error = store_mdb_error(s, rc, "initialise");
		store_errbuf(errbuf, errlen, "cannot initialise %s: %s",
		    s->dir, mdb_strerror(rc));
		goto fail;
	}
	*out = s;
	return (0);

fail:
	if (mt != NULL)
		mdb_txn_abort(mt);
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s->datafile);
	free(s->dir);
	free(s);
	return (error);
}

/* Close the database. */
void
store_close(struct store *s)
{
	struct store_txn	*t;
	int			 i;

	if (s == NULL)
		return;
	if (s->ntxn != 0)
		fprintf(stderr, "xsdb: store: closed with %u transactions "
		    "open\n", s->ntxn);
	while (s->nrd_cache > 0)
		mdb_txn_abort(s->rd_cache[--s->nrd_cache]);
	while (s->ntxn_cache > 0) {
		t = s->txn_cache[--s->ntxn_cache];
		for (i = 0; i < 3; i++)
			store_nrec_free(&t->nr[i]);
		store_buf_free(&t->out);
		store_buf_free(&t->enc);
		store_buf_free(&t->path);
		free(t->ud);
		free(t);
	}
	store_ndb_dirs_free(s);
	store_xs_cache_free(s);
	mdb_env_close(s->env);
	free(s->datafile);
	free(s->dir);
	free(s);
}

/* The directory the database lives in. */
const char *
store_dir(const struct store *s)
{
	return (s->dir);
}

/*
 * Let go of the pages of the map this process has touched. They stay in
 * the data file's page cache (the file is shared, and with writemap its
 * pages are written already), and the next reads map again those they
 * touch: what the map adds to the process's resident memory is then the
 * store's working set, not every page it ever read. Open transactions
 * are not affected. Returns 0 or an errno value.
 */
int
store_trim(struct store *s)
{
	int	error;

	if (s->trim_epoch != s->epoch || s->trim_len == 0) {
		if ((error = store_map_range(s, &s->trim_addr,
		    &s->trim_len)) != 0)
			return (error);
		s->trim_epoch = s->epoch;
	}
	if (madvise(s->trim_addr, s->trim_len, MADV_DONTNEED) != 0)
		return (errno);
	return (0);
}

/*
 * Where LMDB mapped the data file: the mapping of /proc/self/maps with
 * the file's device and inode (LMDB does not tell, and the path there
 * may differ from ours by symbolic links). ENOENT if there is none.
 */
static int
store_map_range(const struct store *s, void **addr, size_t *len)
{
	struct stat		sb;
	FILE			*f;
	char			line[512];
	unsigned long		start, end, ino;
	unsigned int		maj, min;
	mdb_filehandle_t	fd;
	int			error = ENOENT;

	if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return (EIO);
	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return (errno);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &start, &end,
		    &maj, &min, &ino) != 5)
			continue;
		if (ino != (unsigned long)sb.st_ino ||
		    makedev(maj, min) != sb.st_dev)
			continue;
		*addr = (void *)start;
		*len = end - start;
		error = 0;
		break;
	}
	fclose(f);
	return (error);
}

/* Settle permission lists at every write (node.c's store_perms_settle). */
void
store_set_perm_live(struct store *s, store_perm_live_fn *fn, void *arg,
    uint32_t heir)
{
	s->perm_live = fn;
	s->perm_arg = arg;
	s->perm_heir = heir;
}

/*
 * Begin an LMDB transaction. A full reader table is cleared of dead
 * processes' slots and tried once more; a map another process grew is
 * mapped anew (when no write transaction is open here) and tried again.
 */
static int
store_begin_mdb(struct store *s, MDB_txn *parent, unsigned int flags,
    MDB_txn **out)
{
	MDB_envinfo	info;
	int		rc, dead, tries;

	for (tries = 0; tries < 3; tries++) {
		rc = mdb_txn_begin(s->env, parent, flags, out);
		if (rc == MDB_READERS_FULL) {
			if (mdb_reader_check(s->env, &dead) != 0 || dead == 0)
				break;
			continue;
		}
		if (rc == MDB_MAP_RESIZED && s->wtxn == NULL) {
			if (mdb_env_set_mapsize(s->env, 0) != 0)
				break;
			if (mdb_env_info(s->env, &info) == 0)
				s->map_size = info.me_mapsize;
			s->epoch++;
			continue;
		}
		break;
	}
	return (store_mdb_error(s, rc, "begin transaction"));
}

/*
 * Grow the map after a write hit its end, now that no write transaction
 * is open (read snapshots may be: see the top of this file).
 */
static void
store_grow(struct store *s)
{
	size_t	size, old = s->map_size;
	int	rc;

	if (!s->grow_pending || s->wtxn != NULL)
		return;
	s->grow_pending = false;
	if (old >= s->map_max)
		return;
	size = old > s->map_max / 2 ? s->map_max : old * 2;
	size = store_round(size, s->page_size);
	if ((rc = mdb_env_set_mapsize(s->env, size)) != 0) {
		fprintf(stderr, "xsdb: store: cannot grow the map to %zu "
		    "bytes: %s\n", size, mdb_strerror(rc));
		if (mdb_env_set_mapsize(s->env, old) != 0) {
			fprintf(stderr, "xsdb: store: cannot map the "
			    "database again\n");
			abort();
		}
		s->epoch++;
		return;
	}
	s->map_size = size;
	s->epoch++;
}

/*
 * Renew a reset LMDB read transaction, if one is kept. False if there is
 * none or it cannot be renewed (it is dropped then; a full begin follows,
 * which handles what made it fail).
 */
static bool
store_rd_renew(struct store *s, MDB_txn **mt)
{
	MDB_txn	*h;

	while (s->nrd_cache > 0) {
		h = s->rd_cache[--s->nrd_cache];
		if (mdb_txn_renew(h) == 0) {
			*mt = h;
			return (true);
		}
		mdb_txn_abort(h);
	}
	return (false);
}

/* End an LMDB read transaction, keeping its handle for reuse if there is
 * room. */
static void
store_rd_end(struct store *s, MDB_txn *mt)
{
	if (s->nrd_cache < s->rd_cache_max) {
		mdb_txn_reset(mt);
		s->rd_cache[s->nrd_cache++] = mt;
	} else
		mdb_txn_abort(mt);
}

/* End t's LMDB transaction, dropping its changes. */
static void
store_txn_end_mdb(struct store_txn *t)
{
	if (t->kind == STORE_TXN_WRITE)
		mdb_txn_abort(t->mt);
	else
		store_rd_end(t->s, t->mt);
	t->mt = NULL;
}

/*
 * Set a top-level transaction's counter: the one remembered if t sees
 * the snapshot it was committed in, else read from "meta" (and then
 * remembered). A write transaction sees the snapshot before its own id.
 */
static int
store_txn_counter(struct store_txn *t)
{
	struct store	*s = t->s;
	size_t		 id = mdb_txn_id(t->mt);
	int		 error;

	if (t->kind == STORE_TXN_WRITE)
		id--;
	if (s->counter_known && s->counter_txnid == id) {
		t->counter = s->counter;
		return (0);
	}
	if ((error = store_read_counter(s, t->mt, &t->counter)) != 0)
		return (error);
	s->counter = t->counter;
	s->counter_txnid = id;
	s->counter_known = true;
	return (0);
}

/*
 * A zeroed transaction, from the cache (keeping its scratch buffers) or
 * newly allocated. NULL if out of memory.
 */
static struct store_txn *
store_txn_alloc(struct store *s)
{
	struct store_txn	*t;
	struct store_nrec	 nr[3];
	struct store_buf	 out, enc, path;
	struct store_udelta	*ud;
	size_t			 udcap;
	int			 i;

	if (s->ntxn_cache == 0)
		return (calloc(1, sizeof *t));
	t = s->txn_cache[--s->ntxn_cache];
	for (i = 0; i < 3; i++) {
		nr[i].pbuf = t->nr[i].pbuf;
		nr[i].pcap = t->nr[i].pcap;
	}
	out = t->out;
	enc = t->enc;
	path = t->path;
	ud = t->ud;
	udcap = t->udcap;
	memset(t, 0, sizeof *t);
	for (i = 0; i < 3; i++) {
		t->nr[i].pbuf = nr[i].pbuf;
		t->nr[i].pcap = nr[i].pcap;
	}
	t->out = out;
	t->enc = enc;
	t->path = path;
	t->ud = ud;
	t->udcap = udcap;
	return (t);
}

/* Begin a transaction. */
int
store_txn_begin(struct store *s, struct store_txn *parent, int flags,
    struct store_txn **out)
{
	struct store_txn	*t;
	int			 error;

	*out = NULL;
	if (flags != STORE_TXN_READ && flags != STORE_TXN_WRITE &&
	    flags != STORE_TXN_XS)
		return (EINVAL);
	if (parent != NULL) {
		if (parent->s != s || parent->kind != STORE_TXN_WRITE ||
		    flags != STORE_TXN_WRITE || parent->child != NULL ||
		    parent->in_callback || s->writemap)
			return (EINVAL);
		if (parent->rc != 0)
			return (parent->rc);
		/* The child reads the usage records: bring them up to date. */
		if ((error = store_ndb_usage_flush(parent)) != 0)
			return (store_txn_fail(parent, error));
	} else if (flags == STORE_TXN_WRITE) {
		if (s->read_only)
			return (EROFS);
		if (s->wtxn != NULL)
			return (EBUSY);
	}
	if ((t = store_txn_alloc(s)) == NULL)
		return (ENOMEM);
	t->s = s;
	t->parent = parent;
	t->kind = flags;
	if (flags == STORE_TXN_WRITE || !store_rd_renew(s, &t->mt)) {
		error = store_begin_mdb(s, parent != NULL ? parent->mt : NULL,
		    flags == STORE_TXN_WRITE ? 0 : MDB_RDONLY, &t->mt);
		if (error != 0) {
			t->mt = NULL;
			goto fail;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t->start);
	if (parent != NULL) {
		t->counter = parent->counter;
		t->obs = parent->obs;
		t->obs_arg = parent->obs_arg;
	} else if ((error = store_txn_counter(t)) != 0)
		goto fail;
	if (flags == STORE_TXN_XS && (error = store_xs_new(t)) != 0)
		goto fail;

	s->ntxn++;
	if (parent != NULL) {
		parent->child = t;
		/* What the parent read may move under the child. */
		parent->changes++;
	}
	else if (flags == STORE_TXN_WRITE)
		s->wtxn = t;
	*out = t;
	return (0);

fail:
	if (t->mt != NULL)
		store_txn_end_mdb(t);
	store_txn_recycle(t);
	return (error);
}

/*
 * Keep the memory of a transaction that is over for the next one, or
 * free it. Scratch buffers grown large by a big value are not kept.
 */
static void
store_txn_recycle(struct store_txn *t)
{
	struct store	*s = t->s;
	int		 i;

	store_xs_free(t);
	if (s->ntxn_cache == STORE_TXN_CACHE) {
		for (i = 0; i < 3; i++)
			store_nrec_free(&t->nr[i]);
		store_buf_free(&t->out);
		store_buf_free(&t->enc);
		store_buf_free(&t->path);
		free(t->ud);
		free(t);
		return;
	}
	if (t->udcap > 64) {
		free(t->ud);
		t->ud = NULL;
		t->udcap = 0;
	}
	for (i = 0; i < 3; i++) {
		if (t->nr[i].pcap > 64)
			store_nrec_free(&t->nr[i]);
	}
	if (t->out.size > STORE_VALUE_MAX)
		store_buf_free(&t->out);
	if (t->enc.size > STORE_VALUE_MAX)
		store_buf_free(&t->enc);
	if (t->path.size > STORE_VALUE_MAX)
		store_buf_free(&t->path);
	s->txn_cache[s->ntxn_cache++] = t;
}

/* Free a transaction whose LMDB transaction has ended. */
static void
store_txn_free(struct store_txn *t)
{
	struct store	*s = t->s;

	if (t->parent != NULL)
		t->parent->child = NULL;
	else if (s->wtxn == t)
		s->wtxn = NULL;
	s->ntxn--;
	store_txn_recycle(t);
	if (s->wtxn == NULL)
		store_grow(s);
}

/* End a transaction keeping its changes. */
int
store_txn_commit(struct store_txn *t)
{
	MDB_val	key, val;
	size_t	id;
	int	rc, error;

	if (t == NULL)
		return (EINVAL);
	/* As LMDB does, committing a parent commits its open child. */
	if (t->child != NULL && (error = store_txn_commit(t->child)) != 0 &&
	    t->rc == 0)
		t->rc = error;
	if (t->kind != STORE_TXN_WRITE) {
		error = t->kind == STORE_TXN_XS ? EINVAL : t->rc;
		store_txn_end_mdb(t);
		store_txn_free(t);
		return (error);
	}
	if (t->rc != 0) {
		error = t->rc;
		mdb_txn_abort(t->mt);
		store_txn_free(t);
		return (error);
	}
	if ((error = store_ndb_usage_flush(t)) != 0) {
		mdb_txn_abort(t->mt);
		store_txn_free(t);
		return (error);
	}
	if (t->parent == NULL && t->counter_dirty) {
		key.mv_data = (void *)"counter";
		key.mv_size = 7;
		val.mv_data = &t->counter;
		val.mv_size = sizeof t->counter;
		rc = mdb_put(t->mt, t->s->dbi_meta, &key, &val, 0);
		if (rc != 0) {
			error = store_mdb_error(t->s, rc, "write counter");
			mdb_txn_abort(t->mt);
			store_txn_free(t);
			return (error);
		}
	}
	id = mdb_txn_id(t->mt);
	rc = mdb_txn_commit(t->mt);
	error = store_mdb_error(t->s, rc, "commit");
	if (error == 0 && t->parent != NULL) {
		t->parent->counter = t->counter;
		t->parent->counter_dirty |= t->counter_dirty;
	} else if (error == 0) {
		/* The snapshot this commit made holds t's counter. */
		t->s->counter = t->counter;
		t->s->counter_txnid = id;
		t->s->counter_known = true;
	}
	store_txn_free(t);
	return (error);
}

/* End a transaction dropping its changes. */
void
store_txn_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	if (t->child != NULL)
		store_txn_abort(t->child);
	store_txn_end_mdb(t);
	store_txn_free(t);
}

/* Set the observer of changes made through t. */
void
store_txn_observe(struct store_txn *t, store_observer_fn *fn, void *arg)
{
	t->obs = fn;
	t->obs_arg = fn != NULL ? arg : NULL;
}

/* The sticky error of t. */
int
store_txn_error(const struct store_txn *t)
{
	return (t->rc);
}

/* Seconds since t began. */
double
store_txn_age(const struct store_txn *t)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - t->start.tv_sec) +
	    (double)(now.tv_nsec - t->start.tv_nsec) / 1e9);
}

/* The generation counter as t sees it. */
uint64_t
store_generation(struct store_txn *t)
{
	return (t->counter);
}

/* Apply an XS transaction to a write transaction. */
int
store_txn_apply(struct store_txn *xs, struct store_txn *w)
{
	int	error;

	if (xs == NULL || w == NULL || xs->kind != STORE_TXN_XS ||
	    w->kind != STORE_TXN_WRITE || xs->s != w->s)
		return (EINVAL);
	if (xs->rc != 0)
		return (xs->rc);
	if ((error = store_txn_usable(w, true)) != 0)
		return (error);
	if (store_xs_empty(xs))
		return (0);
	return (store_xs_apply(xs, w));
}

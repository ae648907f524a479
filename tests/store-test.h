/*
 * store-test.h - helpers shared by the Check suites of db/: temporary
 * database directories, short ways to write and read nodes, an observer
 * that records what it hears, and raw LMDB access to break a store on
 * purpose.
 */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <check.h>
#include <lmdb.h>

#include "store.h"

/* What an observer heard. */
struct st_events {
	unsigned int	 n;
	unsigned int	 cap;
	int		*kind;
	char		**path;
	char		**old;	/* "n1,r2" or, for a descendant removed,
				   "n1,r2/b3" with its parent's list; NULL
				   for a write */
};

/* A fresh directory under $TMPDIR (or /tmp); free with st_rmdir. */
char		*st_tmpdir(void);

/* Remove a directory and everything in it, then free its name. */
void		 st_rmdir(char *);

/*
 * The fixture of a store suite: a fresh directory in *dir with a store
 * open in it in *s; st_fresh_done closes the store (if still open) and
 * removes the directory.
 */
void		 st_fresh(char **dir, struct store **s);
void		 st_fresh_done(char **dir, struct store **s);

/* Run a suite; EXIT_SUCCESS if every test passed. */
int		 st_main(Suite *);

/* Open a store in dir with a map of map_size bytes (0: default). */
struct store	*st_open(const char *, size_t);

/* Begin a transaction and check it began. */
struct store_txn *st_begin(struct store *, struct store_txn *, int);

/* Write a string value in a transaction of its own. */
void		 st_put(struct store *, const char *, const char *);

/* Read a node's value as a malloc'ed string, or NULL if absent. */
char		*st_get(struct store_txn *, const char *);

/* The child names of a node joined by ',' (malloc'ed), NULL if absent. */
char		*st_list(struct store_txn *, const char *);

/* The number of problems store_check finds (printing them). */
unsigned long	 st_check(struct store *);

/* An observer that records kinds, paths and old permissions. */
void		 st_observer(void *, enum store_change, const char *,
		     const struct store_change_old *);

/* What a change took away, as st_events keeps it (malloc'ed). */
char		*st_old_string(const struct store_change_old *);

/* Free what an observer recorded. */
void		 st_events_free(struct st_events *);

/* Open the store's directory with LMDB directly (no store open). */
void		 st_raw_open(const char *, MDB_env **, MDB_txn **);

/* Commit a raw transaction and close the environment. */
void		 st_raw_close(MDB_env *, MDB_txn *);

/* A path of exactly len bytes: prefix, then components of 'a's. */
char		*st_make_path(const char *, size_t, char);

#endif /* STORE_TEST_H */

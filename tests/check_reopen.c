/*
 * check_reopen.c - the store survives its process.
 *
 * A database is written, closed and opened again; then, many times, a
 * child process writes in a loop (single writes, batches, groups with
 * failing requests, XS transactions, removals, growing the map) and
 * reports through a pipe every change once its commit has returned. The
 * parent reads a random number of reports and kills the child with
 * SIGKILL wherever it happens to be; the database must open again, pass
 * store_check, and hold every change the child reported.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "store-test.h"

#define MAXSEQ		400000	/* keys one round can make */
#define KILLS		15	/* kills per round */

/* What the parent knows of each key. */
#define K_UNKNOWN	0	/* never reported */
#define K_PRESENT	1
#define K_REMOVED	2

/*
 * A report from the child: op 'W' (written) or 'R' (removed) once the
 * commit returned, or 'I' before committing a removal: from then on the
 * key's state is unknown until its 'R'.
 */
struct report {
	char		op;
	uint32_t	seq;
};

static char		*dir;
static unsigned char	*state;		/* MAXSEQ entries */
static uint32_t		 next_seq;

static void	 setup(void);
static void	 teardown(void);
static void	 key_path(uint32_t, char *, size_t);
static size_t	 key_value(uint32_t, char *, size_t);
static int	 child_send(int, char, uint32_t);
static int	 child_pick_present(uint32_t *);
static void	 child_loop(int, const struct store_config *);
static void	 verify(const struct store_config *, unsigned int *);
static Suite	*reopen_suite(void);

/* A fresh directory and no keys. */
static void
setup(void)
{
	dir = st_tmpdir();
	state = calloc(MAXSEQ, 1);
	ck_assert_ptr_nonnull(state);
	next_seq = 0;
}

/* Remove it. */
static void
teardown(void)
{
	st_rmdir(dir);
	dir = NULL;
	free(state);
	state = NULL;
}

/* The path of a key: spread over 100 parents. */
static void
key_path(uint32_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "/k/%u/n%u", seq % 100, seq);
}

/* The value of a key: its number, then up to 3000 bytes of filler. */
static size_t
key_value(uint32_t seq, char *buf, size_t len)
{
	size_t	n, fill = (seq % 7) * 500;

	n = (size_t)snprintf(buf, len, "v%u:", seq);
	if (n + fill > len)
		fill = len - n;
	memset(buf + n, 'a' + seq % 26, fill);
	return (n + fill);
}

/* Tell the parent about a committed change. */
static int
child_send(int fd, char op, uint32_t seq)
{
	struct report	r;

	memset(&r, 0, sizeof r);
	r.op = op;
	r.seq = seq;
	return (write(fd, &r, sizeof r) == (ssize_t)sizeof r ? 0 : -1);
}

/* A key that is there, to remove. Returns -1 if none is found soon. */
static int
child_pick_present(uint32_t *seq)
{
	int	i;

	for (i = 0; i < 50 && next_seq > 0; i++) {
		*seq = (uint32_t)random() % next_seq;
		if (state[*seq] == K_PRESENT)
			return (0);
	}
	return (-1);
}

/*
 * The child: write for ever, reporting each change after its commit.
 * Exits with a non-zero status if the store misbehaves.
 */
static void
child_loop(int fd, const struct store_config *cfg)
{
	struct store		*s;
	struct store_txn	*w, *n, *x;
	char			 path[64], val[4096], err[256];
	uint32_t		 first, seq, batch[64];
	size_t			 len;
	int			 kind, i, nb, rc;

	if (store_open(&s, cfg, err, sizeof err) != 0)
		_exit(20);
	for (;;) {
		kind = (int)(random() % 5);
		first = next_seq;
		nb = 0;
		if (next_seq + 64 >= MAXSEQ)
			_exit(21);
		if (store_txn_begin(s, NULL, STORE_TXN_WRITE, &w) != 0)
			_exit(22);
		switch (kind) {
		case 0:		/* one write */
		case 1:		/* a batch */
			nb = kind == 0 ? 1 : 1 + (int)(random() % 60);
			for (i = 0; i < nb; i++) {
				seq = next_seq++;
				key_path(seq, path, sizeof path);
				len = key_value(seq, val, sizeof val);
				rc = store_write(w, path, val, (uint32_t)len,
				    seq % 3, NULL);
				if (rc != 0 && rc != ENOSPC)
					_exit(23);
				batch[i] = seq;
			}
			break;
		case 2:		/* a group: every third request fails */
			for (i = 0; i < 12; i++) {
				if (store_txn_begin(s, w, STORE_TXN_WRITE,
				    &n) != 0)
					_exit(24);
				seq = next_seq++;
				key_path(seq, path, sizeof path);
				len = key_value(seq, val, sizeof val);
				rc = store_write(n, path, val, (uint32_t)len,
				    0, NULL);
				if (rc == 0 && i % 3 == 2) {
					store_txn_abort(n);
					continue;
				}
				if (rc == 0 && store_txn_commit(n) == 0)
					batch[nb++] = seq;
				else if (rc != 0)
					store_txn_abort(n);
			}
			break;
		case 3:		/* an XS transaction applied in the group */
			if (store_txn_begin(s, NULL, STORE_TXN_XS, &x) != 0)
				_exit(25);
			for (i = 0; i < 5; i++) {
				seq = next_seq++;
				key_path(seq, path, sizeof path);
				len = key_value(seq, val, sizeof val);
				if (store_write(x, path, val, (uint32_t)len, 1,
				    NULL) != 0)
					_exit(26);
				batch[nb++] = seq;
			}
			if (store_txn_apply(x, w) != 0 &&
			    store_txn_error(w) != ENOSPC)
				_exit(27);
			store_txn_abort(x);
			break;
		default:	/* remove a key */
			if (child_pick_present(&seq) != 0)
				break;
			key_path(seq, path, sizeof path);
			rc = store_rm(w, path, NULL);
			if (rc != 0 && rc != ENOSPC)
				_exit(28);
			if (child_send(fd, 'I', seq) != 0)
				_exit(32);
			state[seq] = K_UNKNOWN;
			batch[nb++] = seq;
			break;
		}
		rc = store_txn_commit(w);
		if (rc == ENOSPC) {
			/* The map grew: these keys were not written. */
			next_seq = first;
			continue;
		}
		if (rc != 0)
			_exit(29);
		for (i = 0; i < nb; i++) {
			if (kind == 4) {
				state[batch[i]] = K_REMOVED;
				if (child_send(fd, 'R', batch[i]) != 0)
					_exit(30);
			} else {
				state[batch[i]] = K_PRESENT;
				if (child_send(fd, 'W', batch[i]) != 0)
					_exit(31);
			}
		}
	}
}

/*
 * Open the store, check it, and look for every reported key; *present
 * is how many there are.
 */
static void
verify(const struct store_config *cfg, unsigned int *present)
{
	struct store		*s;
	struct store_txn	*t;
	struct store_node	 n;
	char			 path[64], val[4096], err[256];
	size_t			 len;
	uint32_t		 seq;
	int			 rc;

	rc = store_open(&s, cfg, err, sizeof err);
	ck_assert_msg(rc == 0, "reopen: %s", err);
	ck_assert_uint_eq(st_check(s), 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	*present = 0;
	for (seq = 0; seq < next_seq; seq++) {
		if (state[seq] == K_UNKNOWN)
			continue;
		key_path(seq, path, sizeof path);
		rc = store_get(t, path, &n);
		if (state[seq] == K_REMOVED) {
			ck_assert_msg(rc == ENOENT, "%s was removed", path);
			continue;
		}
		ck_assert_msg(rc == 0, "%s is lost", path);
		len = key_value(seq, val, sizeof val);
		ck_assert_uint_eq(n.vlen, len);
		ck_assert_int_eq(memcmp(n.value, val, len), 0);
		(*present)++;
	}
	store_txn_abort(t);
	store_close(s);
}

/* Written, closed, opened: all there. */
START_TEST(test_reopen_all_there)
{
	struct store		*s;
	struct store_txn	*t;
	struct xs_perm		 p[2] = { { 3, XS_PERM_READ },
				    { 4, XS_PERM_WRITE } };
	struct store_node	 n;
	const void		*val;
	size_t			 vlen;
	char			*lp, *v;
	uint64_t		 gen;

	s = st_open(dir, 0);
	lp = st_make_path("/long/", 3000, 'l');
	t = st_begin(s, NULL, STORE_TXN_WRITE);
	ck_assert_int_eq(store_write(t, "/a/b", "1", 1, 2, NULL), 0);
	ck_assert_int_eq(store_write(t, lp, "L", 1, 0, NULL), 0);
	ck_assert_int_eq(store_set_perms(t, "/a", p, 2), 0);
	ck_assert_int_eq(store_table_put(t, STORE_TABLE_DOMAINS, 7, "dom", 3),
	    0);
	ck_assert_int_eq(store_meta_put(t, "bootid", "b1", 2), 0);
	gen = store_generation(t);
	ck_assert_int_eq(store_txn_commit(t), 0);
	store_close(s);

	s = st_open(dir, 0);
	t = st_begin(s, NULL, STORE_TXN_READ);
	ck_assert_uint_eq(store_generation(t), gen);
	ck_assert_str_eq(v = st_get(t, "/a/b"), "1");
	free(v);
	ck_assert_str_eq(v = st_get(t, lp), "L");
	free(v);
	ck_assert_int_eq(store_get(t, "/a", &n), 0);
	ck_assert_uint_eq(n.nperms, 2);
	ck_assert_uint_eq(n.perms[1].domid, 4);
	ck_assert_int_eq(store_table_get(t, STORE_TABLE_DOMAINS, 7, &val,
	    &vlen), 0);
	ck_assert_uint_eq(vlen, 3);
	ck_assert_int_eq(store_meta_get(t, "bootid", &val, &vlen), 0);
	ck_assert_uint_eq(vlen, 2);
	store_txn_abort(t);
	store_close(s);
	free(lp);
}
END_TEST

/* Kill a writing child again and again; nothing reported is lost. */
START_TEST(test_reopen_killed)
{
	struct store_config	 cfg;
	struct report		 r;
	unsigned int		 k, want, got, present = 0, total = 0;
	int			 fds[2], status;
	pid_t			 pid;
	unsigned long		 seed;

	seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^
	    (unsigned long)_i;
	fprintf(stderr, "check_reopen: round %d, seed %lu\n", _i, seed);
	srandom((unsigned int)seed);
	memset(&cfg, 0, sizeof cfg);
	cfg.dir = dir;
	cfg.map_size = _i == 2 ? 128 << 10 : 1 << 20;
	cfg.sync = _i == 1;

	for (k = 0; k < KILLS; k++) {
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			close(fds[0]);
			srandom((unsigned int)(seed + k + 1));
			child_loop(fds[1], &cfg);
			_exit(1);
		}
		close(fds[1]);
		want = 1 + (unsigned int)(random() % 400);
		for (got = 0; got < want; got++) {
			if (read(fds[0], &r, sizeof r) != (ssize_t)sizeof r)
				break;
			ck_assert_uint_lt(r.seq, MAXSEQ);
			state[r.seq] = r.op == 'W' ? K_PRESENT :
			    r.op == 'R' ? K_REMOVED : K_UNKNOWN;
			if (r.seq >= next_seq)
				next_seq = r.seq + 1;
		}
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL, "the child failed: status "
		    "%d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		/* Reports still in the pipe came after commits too. */
		while (read(fds[0], &r, sizeof r) == (ssize_t)sizeof r) {
			ck_assert_uint_lt(r.seq, MAXSEQ);
			state[r.seq] = r.op == 'W' ? K_PRESENT :
			    r.op == 'R' ? K_REMOVED : K_UNKNOWN;
			if (r.seq >= next_seq)
				next_seq = r.seq + 1;
		}
		close(fds[0]);
		/* Keys the child made but never reported may exist. */
		verify(&cfg, &present);
		total += got;
	}
	fprintf(stderr, "check_reopen: round %d: %u kills, %u reports, %u "
	    "keys present\n", _i, KILLS, total, present);
	ck_assert_uint_gt(present, 0);
}
END_TEST

/* The suite. */
static Suite *
reopen_suite(void)
{
	Suite	*su = suite_create("reopen");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reopen_all_there);
	suite_add_tcase(su, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_reopen_killed, 0, 3);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{
	return st_main(reopen_suite());
}

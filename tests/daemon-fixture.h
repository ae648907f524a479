/*
 * daemon-fixture.h - start the real xsdbd for a test, talk to it raw.
 *
 * The daemon is $XSDB_TOP_BUILDDIR/src/xsdbd, started on a store and a
 * socket in a mkdtemp directory. fixture_start returns once the daemon's
 * first process has exited 0, which it does only when the socket accepts
 * (its readiness pipe): nothing sleeps. The test process makes itself a
 * child subreaper, so the daemonized xsdbd is its child and waitpid tells
 * when it has gone.
 */
#ifndef DAEMON_FIXTURE_H
#define DAEMON_FIXTURE_H

#include <sys/types.h>

#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

struct fixture {
	char		 dir[128];
	char		 db[160];
	char		 sock[160];
	char		 pidfile[160];
	char		 log[160];
	char		 bin[4096];
	pid_t		 pid;	/* the daemon, or -1 */
	unsigned int	 nofile; /* RLIMIT_NOFILE of the daemon, if not 0 */
};

/* Make the run directory and paths. Fails the test on error. */
void	 fixture_init(struct fixture *);

/*
 * Start xsdbd with --db, --socket, --pid-file and the NULL-terminated
 * extra arguments. Returns the exit status of the daemonizing process
 * (0: serving; then f->pid is the daemon).
 */
int	 fixture_start(struct fixture *, const char *const *extra);

/* Start and fail the test unless the daemon serves. */
void	 fixture_up(struct fixture *, const char *const *extra);

/* Run xsdbd with the given arguments only, wait, return its exit status;
 * its stderr is kept in f->log. */
int	 fixture_run(struct fixture *, const char *const *argv);

/* True if the daemon's log (its stderr, f->log) holds text. */
bool	 fixture_log_has(const struct fixture *, const char *text);

/* SIGTERM the daemon and wait for it; returns its wait status. */
int	 fixture_stop(struct fixture *);

/* SIGKILL the daemon and wait for it. */
void	 fixture_kill(struct fixture *);

/*
 * Stop the daemon if it runs (SIGTERM), fail the test if a sanitizer
 * build reported anything, and remove the run directory.
 */
void	 fixture_fini(struct fixture *);

/*
 * The usual fixture of a socket suite: fixture_init, fixture_up with
 * extra, then a connection, whose fd it returns. fixture_done closes *fd
 * if open (setting it to -1) and calls fixture_fini.
 */
int	 fixture_serve(struct fixture *, const char *const *extra);
void	 fixture_done(struct fixture *, int *fd);

/* A new raw connection to the daemon (fails the test on error). */
int	 fixture_connect(const struct fixture *);

/* A new wire client (lib's xs_client). */
struct xs_client *fixture_client(const struct fixture *);

/* Send bytes, all of them. */
void	 fixture_send_raw(int fd, const void *, size_t);

/* Send one message. */
void	 fixture_send(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
	     const void *payload, uint32_t len);

/*
 * Receive one message whose first byte comes within timeout_ms (a message
 * once begun is read whole). payload has room for XS_PAYLOAD_MAX + 1
 * bytes and gets a NUL after the payload. Returns 0, ETIMEDOUT, or EPIPE
 * if the daemon closed the connection.
 */
int	 fixture_recv(int fd, struct xs_header *, char *payload,
	     int timeout_ms);

/*
 * One request and its reply (watch events before it are skipped).
 * Returns the reply's payload length; *type is its type. The payload is
 * in a static buffer valid until the next call.
 */
const char *fixture_req(int fd, uint32_t type, uint32_t tx_id,
	     const void *payload, uint32_t len, uint32_t *rtype,
	     uint32_t *rlen);

/* Payload helpers for string requests: "a\0" or "a\0b\0". */
const char *fixture_req1(int fd, uint32_t type, uint32_t tx_id,
	     const char *arg, uint32_t *rtype, uint32_t *rlen);

/* Assert that a request answers ERROR with the given name. */
#define fixture_expect_error(fd, type, tx, payload, len, name) do {	\
	uint32_t	 rt_, rl_;					\
	const char	*rp_;						\
	rp_ = fixture_req((fd), (type), (tx), (payload), (len), &rt_,	\
	    &rl_);							\
	ck_assert_msg(rt_ == XS_ERROR && strcmp(rp_, (name)) == 0,	\
	    "type %u: wanted ERROR %s, got type %u \"%s\"",		\
	    (unsigned)(type), (name), rt_, rp_);			\
} while (0)

/*
 * Short forms of the requests tests make over the socket. Each fails the
 * test, naming the request and what came instead, when the daemon
 * answers otherwise.
 */

/* A message type's wire name, for messages of failed tests. */
const char *fixture_type_name(uint32_t type);

/*
 * Put first and the strings of ap up to NULL, each with its NUL, in buf
 * (XS_PAYLOAD_MAX bytes). Returns their length.
 */
size_t	 fixture_strings(char *buf, const char *first, va_list ap);

/*
 * fixture_req of the strings from first up to NULL (first NULL: none);
 * rlen may be NULL.
 */
const char *fixture_reqv(int fd, uint32_t type, uint32_t *rtype,
	     uint32_t *rlen, const char *first, va_list ap);
const char *fixture_reqs(int fd, uint32_t type, uint32_t *rtype,
	     uint32_t *rlen, const char *first, ...);

/* The request answers its own type with the string want and its NUL. */
void	 fixture_answer(int fd, uint32_t type, uint32_t tx_id,
	     const void *payload, uint32_t len, const char *want);

/* The request answers ERROR name (a function: payload may be a macro). */
void	 fixture_error(int fd, uint32_t type, uint32_t tx_id,
	     const void *payload, uint32_t len, const char *name);

/* The request answers its own type with "OK". */
void	 fixture_ok(int fd, uint32_t type, uint32_t tx_id,
	     const void *payload, uint32_t len);

/* A request of strings up to NULL answers the string want. */
void	 fixture_answers(int fd, uint32_t type, const char *want,
	     const char *first, ...);

/* A request of strings up to NULL answers ERROR name. */
void	 fixture_errors(int fd, uint32_t type, const char *name,
	     const char *first, ...);

/* WRITE path and the len bytes of value answers OK. */
void	 fixture_write_len(int fd, const char *path, const void *value,
	     uint32_t len);

/* WRITE path = value (no NUL after the value) answers OK. */
void	 fixture_write_str(int fd, const char *path, const char *value);

/* READ path gives exactly the len bytes of value. */
void	 fixture_read_len(int fd, const char *path, const void *value,
	     uint32_t len);

/* READ path gives exactly the string value (no NUL). */
void	 fixture_read_is(int fd, const char *path, const char *value);

/* TRANSACTION_START: the new transaction's id. */
uint32_t fixture_tx_start(int fd);

/* The next message (within 10 s) is the watch event "path\0token\0". */
void	 fixture_expect_event(int fd, const char *path, const char *token);

/*
 * No message waits: the reply to a request sent now is the next message
 * (the daemon queues the events of a change before its reply).
 */
void	 fixture_expect_quiet(int fd);

/*
 * Run the suite with this process as the subreaper of the daemons, kill
 * those a failed test left behind (an assertion ends a test's process
 * before its teardown); EXIT_SUCCESS if all passed.
 */
int	 fixture_main(Suite *);

#endif /* DAEMON_FIXTURE_H */

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

#include <stdbool.h>
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

/* SIGTERM the daemon and wait for it; returns its wait status. */
int	 fixture_stop(struct fixture *);

/* SIGKILL the daemon and wait for it. */
void	 fixture_kill(struct fixture *);

/*
 * Stop the daemon if it runs (SIGTERM), fail the test if a sanitizer
 * build reported anything, and remove the run directory.
 */
void	 fixture_fini(struct fixture *);

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

#endif /* DAEMON_FIXTURE_H */

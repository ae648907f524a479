/*
 * lu.c - live update: CONTROL live-update, the handover to a new binary
 * exec'ed in this very process, and the new daemon taking over.
 *
 * The sub-commands are those of Xen's C xenstored 4.17, which the
 * unchanged xenstore-control of Xen 4.17 drives ("xenstore-control
 * live-update [-c CMDLINE] [-F] [-t SECS] BINARY"); their replies are
 * texts, as the reference daemon answers them:
 *
 *	-f FILE		start a session of this connection with FILE as the
 *			new binary: "OK", "File not accessible.", "File not
 *			executable.", "live-update session already active."
 *	-b SIZE		start a session whose binary is uploaded (what the
 *			client does for a Xenstore stub domain), then
 *	-d N DATA	its next N bytes (DATA may hold NULs): "OK", "Not in
 *			live-update session.", "Too much kernel data."; the
 *			binary is kept in the database directory as
 *			lu-binary and exec'ed from there
 *	-c CMDLINE	the command line of the new binary (split at blanks;
 *			default: this daemon's own): "OK" or "Not in
 *			live-update session."
 *	-s [-t SECS] [-F]
 *			start: the reply, "OK", comes from the new daemon;
 *			an upload not complete answers "Kernel not
 *			complete.", a failed exec "Error activating new
 *			binary."
 *	-a		end the session, from any connection: "OK" or "No
 *			live-update session active."
 *	status		(xsdbd only; EINVAL in Xen) the session, as a text
 *
 * Anything else, or a sub-command with other arguments, is EINVAL. The
 * session ends with its connection. Unlike Xen's daemon, which waits up
 * to -t seconds for open transactions to end and then gives up unless
 * -F is given, xsdbd starts at the end of the turn: it carries open
 * transactions across, so -t and -F change nothing.
 *
 * The handover. Between two turns (lu_end_of_turn) nothing waits for a
 * commit: every ring's record is written (lu-ring.c: its input, its
 * output, events included), and the rest goes into a memfd the new binary
 * inherits: the listening socket's descriptor, and for each socket
 * connection its descriptor, the bytes it sent that were not handled
 * yet, those queued for it, its watches, its next tx id; for every
 * connection, socket or ring, its open transactions. The listening
 * socket, the socket connections and the memfd are the only descriptors
 * left open across the exec (FD_CLOEXEC cleared on them alone). The
 * store's snapshots end and the store is closed, so that no reader slot
 * of this process outlives it; the nodes stay where they are, so the
 * pause does not grow with the store. The new binary runs with this
 * daemon's arguments (or -c's) plus -U and --lu-state=FD, in the same
 * process (same pid, never forking again), and answers the requester
 * "OK" first thing: that reply is in the requester's queued output.
 *
 * Rings are not handed over by descriptor: the event-channel device and
 * the grant device close with the exec, which unbinds the daemon's ports
 * (a guest's end goes back to unbound, ready to be bound again) and
 * unmaps the pages, and the simulator's sockets close too. The new daemon
 * maps and binds every introduced domain again from the domain table, as
 * after a crash, and serves each ring at once, so a notification the
 * guest raised meanwhile is not missed.
 *
 * Transactions. A snapshot does not survive the exec, so each request
 * run in a transaction that touches only the store (READ, WRITE, ...) is
 * logged with a hash of its reply (lu_txn_note). The first time the new
 * daemon sees the transaction used (lu_txn_resume, from dispatch.c), it
 * takes a snapshot and runs the log again in it: if every reply is the
 * same, the transaction saw a store where all it read was as before, and
 * it goes on (TRANSACTION_END then checks, as always, that nothing it
 * read changed since that snapshot). If one differs, what it read
 * changed during the update: it answers EAGAIN, a real conflict. For
 * example, T read /a = 1 and wrote /b; another client wrote /c during
 * the update: T's READ /a still answers 1, T commits. Had /a become 2,
 * T's READ would answer otherwise: EAGAIN. A log over LU_TXN_LOG_MAX
 * bytes is dropped and its transaction answers EAGAIN after an update.
 *
 * If the exec fails, the store is opened again, the descriptors get
 * FD_CLOEXEC back, the requester gets the error, and the transactions
 * go on the same way, through their logs.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xsdbd.h"

#define LU_MAGIC		"xsdbdlu"	/* 8 bytes with its NUL */
#define LU_VERSION		1
#define LU_TXN_LOG_MAX		(1U << 20)	/* bytes of one log */
#define LU_UPLOAD_MAX		(256U << 20)	/* bytes of a -b binary */
#define LU_BINARY		"lu-binary"
#define LU_STATE_OPT		"--lu-state="
#define FNV_OFFSET		0xcbf29ce484222325ULL
#define FNV_PRIME		0x100000001b3ULL

/* Replies, as Xen's C xenstored 4.17 words them. */
#define LU_TXT_OK		"OK"
#define LU_TXT_ACTIVE		"live-update session already active."
#define LU_TXT_NOSESSION	"Not in live-update session."
#define LU_TXT_NOACTIVE		"No live-update session active."
#define LU_TXT_NOFILE		"File not accessible."
#define LU_TXT_NOEXEC		"File not executable."
#define LU_TXT_ALLOC		"Allocation failure."
#define LU_TXT_TOOMUCH		"Too much kernel data."
#define LU_TXT_INCOMPLETE	"Kernel not complete."
#define LU_TXT_EXEC		"Error activating new binary."

/* Flags of the handover. */
#define LU_FOREGROUND		0x1	/* the daemon logs to stderr */

/* Kinds and flags of a connection handed over. */
#define LU_CONN_SOCKET		0
#define LU_CONN_RING		1
#define LU_CONN_BAD		0x1

/* States of a transaction handed over. */
#define LU_TXN_LIVE		0	/* its log follows */
#define LU_TXN_DEAD		1	/* answers EAGAIN */

/* The live update state (xd->lu). */
struct lu {
	int		 argc;		/* this daemon's command line */
	char		**argv;
	char		*cwd;		/* where it was started */
	bool		 foreground;

	/* The session. */
	bool		 active;
	uint64_t	 owner;		/* its connection */
	char		*binary;
	char		*cmdline;
	bool		 upload;	/* -b: the binary comes in pieces */
	int		 upload_fd;
	uint64_t	 up_size;
	uint64_t	 up_off;
	bool		 start;		/* -s: at the end of this turn */
	uint64_t	 start_conn;
	struct xs_header start_hdr;

	/* What the daemon before this one handed over. */
	char		*state;
	size_t		 state_len;
	uint64_t	 updates;	/* statistics */
};

/* What a transaction keeps to be carried (txn->lu). */
struct lu_txn {
	struct buf	 log;		/* request header, payload, reply hash */
	bool		 overflow;	/* the log grew too long: dropped */
	bool		 carried;	/* handed over: run the log again */
};

/* Reads the handover. */
struct lu_reader {
	const char	*p;
	size_t		 len;
	size_t		 off;
	bool		 bad;
};

static struct lu *lu_get(struct xsdbd *);
static void	 lu_end_session(struct lu *);
static bool	 lu_session_of(struct xsdbd *, const struct conn *);
static int	 lu_reply(struct request *, const char *);
static int	 lu_cmd_file(struct request *, const char *);
static int	 lu_cmd_upload(struct request *, const char *);
static int	 lu_cmd_data(struct request *, const char **, unsigned int);
static int	 lu_cmd_start(struct request *, const char **, unsigned int);
static int	 lu_cmd_status(struct request *);
static uint64_t	 lu_hash(uint32_t, const void *, size_t);
static uint64_t	 lu_reply_hash(const struct request *, int);
static int	 lu_replay_one(struct txn *, const char *, size_t, size_t *,
		     uint64_t *, uint64_t *);
static int	 lu_put32(struct buf *, uint32_t);
static int	 lu_put64(struct buf *, uint64_t);
static int	 lu_putstr(struct buf *, const char *);
static void	 lu_put_watch(void *, const char *, const char *, int);
static int	 lu_put_txns(struct buf *, struct conn *);
static int	 lu_put_conn(struct buf *, struct conn *);
static int	 lu_build(struct xsdbd *, struct buf *);
static char	**lu_exec_argv(struct xsdbd *, const char *, int, char **);
static void	 lu_cloexec(struct xsdbd *, bool);
static int	 lu_reopen(struct xsdbd *);
static void	 lu_exec(struct xsdbd *);
static uint32_t	 lu_get32(struct lu_reader *);
static uint64_t	 lu_get64(struct lu_reader *);
static const char *lu_getbytes(struct lu_reader *, size_t);
static int	 lu_read_fd(int, char **, size_t *);
static int	 lu_get_txns(struct lu_reader *, struct conn *);
static int	 lu_get_conn(struct xsdbd *, struct lu_reader *);

/* The live update state, made on first use. */
static struct lu *
lu_get(struct xsdbd *xd)
{
	if (xd->lu == NULL && (xd->lu = calloc(1, sizeof *xd->lu)) != NULL)
		xd->lu->upload_fd = -1;
	return xd->lu;
}

/*
 * Right after the options: keep the command line for a later update and,
 * started by one (-U), read what the daemon before handed over. Returns 0
 * or an errno value with a sentence in err.
 */
int
lu_init(struct xsdbd *xd, int argc, char **argv, char *err, size_t errlen)
{
	struct lu	*lu;
	int		 i, rc;

	if ((lu = lu_get(xd)) == NULL ||
	    (lu->argv = calloc((size_t)argc + 1, sizeof *lu->argv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	for (i = 0; i < argc; i++) {
		if ((lu->argv[i] = strdup(argv[i])) == NULL) {
			snprintf(err, errlen, "out of memory");
			return ENOMEM;
		}
	}
	lu->argc = argc;
	lu->foreground = xd->opt.no_fork;
	lu->cwd = getcwd(NULL, 0);
	if (!xd->opt.live_update)
		return 0;

	/* The process is the daemon already: it never forks again. */
	xd->opt.no_fork = true;
	if (xd->opt.lu_state_fd < 0) {
		/* Xen's daemon ran detached unless told -N. */
		if (!lu->foreground)
			log_set_foreground(false);
		return lu_import_init(xd, err, errlen);
	}
	rc = lu_read_fd(xd->opt.lu_state_fd, &lu->state, &lu->state_len);
	close(xd->opt.lu_state_fd);
	xd->opt.lu_state_fd = -1;
	if (rc != 0) {
		snprintf(err, errlen, "cannot read the live update state: %s",
		    strerror(rc));
		return rc;
	}
	if (lu->state_len < 16 || memcmp(lu->state, LU_MAGIC, 8) != 0) {
		snprintf(err, errlen, "the live update state is not one "
		    "this daemon reads");
		return EINVAL;
	}
	return 0;
}

/* Read a whole descriptor from its start. Returns 0 or an errno value. */
static int
lu_read_fd(int fd, char **out, size_t *len)
{
	struct stat	 sb;
	char		*p;
	size_t		 n = 0;
	ssize_t		 r;

	if (fstat(fd, &sb) == -1)
		return errno;
	if (sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX / 2)
		return EINVAL;
	if ((p = malloc((size_t)sb.st_size)) == NULL)
		return ENOMEM;
	while (n < (size_t)sb.st_size) {
		r = pread(fd, p + n, (size_t)sb.st_size - n, (off_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			return r == 0 ? EIO : errno;
		}
		n += (size_t)r;
	}
	*out = p;
	*len = n;
	return 0;
}

/* Free the live update state (shutdown). */
void
lu_free(struct xsdbd *xd)
{
	struct lu	*lu = xd->lu;
	int		 i;

	if (lu == NULL)
		return;
	lu_end_session(lu);
	lu_import_free(xd);
	free(lu->cwd);
	for (i = 0; i < lu->argc; i++)
		free(lu->argv[i]);
	free(lu->argv);
	free(lu->state);
	free(lu);
	xd->lu = NULL;
}

/* End the session, if any. */
static void
lu_end_session(struct lu *lu)
{
	if (lu->upload_fd != -1)
		close(lu->upload_fd);
	lu->upload_fd = -1;
	free(lu->binary);
	free(lu->cmdline);
	lu->binary = lu->cmdline = NULL;
	lu->active = lu->upload = lu->start = false;
	lu->owner = 0;
	lu->up_size = lu->up_off = 0;
}

/*
 * True if c runs the session. A session whose connection is gone has
 * ended (as Xen's does with its connection).
 */
static bool
lu_session_of(struct xsdbd *xd, const struct conn *c)
{
	struct lu	*lu = xd->lu;
	struct conn	*o;

	if (lu == NULL || !lu->active)
		return false;
	TAILQ_FOREACH(o, &xd->conns, entry) {
		if (o->id == lu->owner && !(o->flags & CONN_DEAD))
			return o == c;
	}
	lu_end_session(lu);
	return false;
}

/* A text reply of a sub-command. */
static int
lu_reply(struct request *req, const char *text)
{
	return request_reply_str(req, text);
}

/* CONTROL live-update: see the top of the file. */
int
lu_control(struct request *req, const char **argv, unsigned int argc)
{
	struct xsdbd	*xd = req->xd;
	struct lu	*lu;

	if (argc == 0)
		return EINVAL;
	if ((lu = lu_get(xd)) == NULL)
		return ENOMEM;
	if (strcmp(argv[0], "-f") == 0 && argc == 2)
		return lu_cmd_file(req, argv[1]);
	if (strcmp(argv[0], "-b") == 0 && argc == 2)
		return lu_cmd_upload(req, argv[1]);
	if (strcmp(argv[0], "-d") == 0 && argc > 2)
		return lu_cmd_data(req, argv, argc);
	if (strcmp(argv[0], "-c") == 0) {
		if (argc != 2)
			return EINVAL;
		if (!lu_session_of(xd, req->conn))
			return lu_reply(req, LU_TXT_NOSESSION);
		free(lu->cmdline);
		if ((lu->cmdline = strdup(argv[1])) == NULL)
			return lu_reply(req, LU_TXT_ALLOC);
		log_info("live update: command line \"%s\"", argv[1]);
		return lu_reply(req, LU_TXT_OK);
	}
	if (strcmp(argv[0], "-s") == 0)
		return lu_cmd_start(req, argv, argc);
	if (strcmp(argv[0], "-a") == 0) {
		if (argc != 1)
			return EINVAL;
		(void)lu_session_of(xd, req->conn);
		if (!lu->active)
			return lu_reply(req, LU_TXT_NOACTIVE);
		log_info("live update: aborted");
		lu_end_session(lu);
		return lu_reply(req, LU_TXT_OK);
	}
	if (strcmp(argv[0], "status") == 0 && argc == 1)
		return lu_cmd_status(req);
	return EINVAL;
}

/* -f FILE: a session with FILE as the new binary. */
static int
lu_cmd_file(struct request *req, const char *file)
{
	struct xsdbd	*xd = req->xd;
	struct lu	*lu = xd->lu;
	struct stat	 sb;
	char		*abs;

	if (stat(file, &sb) == -1)
		return lu_reply(req, LU_TXT_NOFILE);
	if (!(sb.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		return lu_reply(req, LU_TXT_NOEXEC);
	(void)lu_session_of(xd, req->conn);
	if (lu->active)
		return lu_reply(req, LU_TXT_ACTIVE);
	/* The daemon runs in "/": that is where a relative name starts. */
	if (asprintf(&abs, "%s%s", file[0] == '/' ? "" : "/", file) == -1)
		return lu_reply(req, LU_TXT_ALLOC);
	lu->binary = abs;
	lu->active = true;
	lu->owner = req->conn->id;
	log_info("live update: binary %s", file);
	return lu_reply(req, LU_TXT_OK);
}

/*
 * -b SIZE: a session whose binary comes in pieces, written to lu-binary
 * in the database directory (a file there before, which may be the
 * binary running now, is unlinked first).
 */
static int
lu_cmd_upload(struct request *req, const char *arg)
{
	struct xsdbd	*xd = req->xd;
	struct lu	*lu = xd->lu;
	char		 path[PATH_MAX];
	long long	 size = atoll(arg);

	(void)lu_session_of(xd, req->conn);
	if (lu->active)
		return lu_reply(req, LU_TXT_ACTIVE);
	if (size <= 0 || size > LU_UPLOAD_MAX)
		return lu_reply(req, LU_TXT_ALLOC);
	snprintf(path, sizeof path, "%s/%s", xd->opt.db_dir, LU_BINARY);
	(void)unlink(path);
	lu->upload_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0700);
	if (lu->upload_fd == -1 || (lu->binary = strdup(path)) == NULL) {
		log_warn("live update: %s", path);
		lu_end_session(lu);
		return lu_reply(req, LU_TXT_ALLOC);
	}
	lu->active = lu->upload = true;
	lu->owner = req->conn->id;
	lu->up_size = (uint64_t)size;
	lu->up_off = 0;
	log_info("live update: binary of %lld bytes to come", size);
	return lu_reply(req, LU_TXT_OK);
}

/* -d N DATA: the next N bytes of the uploaded binary. */
static int
lu_cmd_data(struct request *req, const char **argv, unsigned int argc)
{
	struct lu	*lu = req->xd->lu;
	const char	*data = argv[2];
	size_t		 n = (size_t)atoi(argv[1]), off, w;
	ssize_t		 r;

	if (!lu_session_of(req->xd, req->conn) || !lu->upload)
		return lu_reply(req, LU_TXT_NOSESSION);
	/* DATA runs to the end of the payload, NULs and all. */
	off = (size_t)(data - req->data);
	if (n > req->len - off)
		return EINVAL;
	if (lu->up_off + n > lu->up_size)
		return lu_reply(req, LU_TXT_TOOMUCH);
	for (w = 0; w < n; w += (size_t)r) {
		r = pwrite(lu->upload_fd, data + w, n - w,
		    (off_t)(lu->up_off + w));
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			log_warn("live update: writing %s", lu->binary);
			return lu_reply(req, LU_TXT_ALLOC);
		}
	}
	lu->up_off += n;
	return lu_reply(req, LU_TXT_OK);
}

/*
 * -s [-t SECS] [-F]: start at the end of this turn. The reply comes from
 * the new daemon, or is the error of the exec.
 */
static int
lu_cmd_start(struct request *req, const char **argv, unsigned int argc)
{
	struct lu	*lu = req->xd->lu;
	unsigned int	 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-F") == 0)
			continue;
		if (strcmp(argv[i], "-t") == 0 && i < argc - 1) {
			i++;
			continue;
		}
		return EINVAL;
	}
	if (!lu_session_of(req->xd, req->conn))
		return lu_reply(req, LU_TXT_NOSESSION);
	if (lu->upload) {
		if (lu->up_off != lu->up_size)
			return lu_reply(req, LU_TXT_INCOMPLETE);
		if (fchmod(lu->upload_fd, 0700) == -1 ||
		    close(lu->upload_fd) == -1) {
			lu->upload_fd = -1;
			return lu_reply(req, LU_TXT_EXEC);
		}
		lu->upload_fd = -1;
		lu->upload = false;
	}
	log_info("live update: start");
	lu->start = true;
	lu->start_conn = req->conn->id;
	lu->start_hdr = req->hdr;
	/* No reply now: the new daemon sends it. */
	req->sent = true;
	return 0;
}

/* status: the session, for people. */
static int
lu_cmd_status(struct request *req)
{
	struct lu	*lu = req->xd->lu;
	char		 text[XS_PAYLOAD_MAX];

	(void)lu_session_of(req->xd, req->conn);
	if (!lu->active)
		snprintf(text, sizeof text, "No live-update session active. "
		    "%llu updates so far.", (unsigned long long)lu->updates);
	else
		snprintf(text, sizeof text, "Session of connection %llu: "
		    "binary %s%s, command line %s%s.",
		    (unsigned long long)lu->owner, lu->binary,
		    lu->upload ? " (being uploaded)" : "",
		    lu->cmdline != NULL ? lu->cmdline : "as now",
		    lu->start ? ", starting" : "");
	return lu_reply(req, text);
}

/* 64-bit FNV-1a of a reply: its type, then its bytes. */
static uint64_t
lu_hash(uint32_t type, const void *p, size_t len)
{
	const unsigned char	*b = p;
	uint64_t		 h = FNV_OFFSET;
	size_t			 i;

	for (i = 0; i < sizeof type; i++) {
		h ^= (type >> (8 * i)) & 0xff;
		h *= FNV_PRIME;
	}
	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* The hash of the reply a request got (rc: its error, or 0). */
static uint64_t
lu_reply_hash(const struct request *req, int rc)
{
	const char	*name;

	if (rc == 0 && !req->replied)
		rc = EIO;
	if (rc != 0) {
		name = xs_wire_error_name(rc);
		return lu_hash(XS_ERROR, name, strlen(name));
	}
	return lu_hash(req->rtype, req->rbuf, req->rlen);
}

/*
 * A request ran in a transaction (dispatch.c): log it, if it touched
 * only the store, with the hash of its reply.
 */
void
lu_txn_note(const struct request *req, int rc)
{
	struct txn		*t = req->txn;
	struct lu_txn		*lt;
	char			 hb[XS_HEADER_SIZE];
	uint64_t		 h;

	/* TRANSACTION_END may have freed t: look at the request first. */
	if (req->entry == NULL || !(req->entry->flags & DISPATCH_REDO) ||
	    req->hdr.type == XS_TRANSACTION_END || t == NULL || t->expired)
		return;
	if ((lt = t->lu) == NULL) {
		if ((lt = calloc(1, sizeof *lt)) == NULL)
			return;		/* not carried: EAGAIN after an update */
		t->lu = lt;
	}
	if (lt->overflow)
		return;
	h = lu_reply_hash(req, rc);
	xs_wire_header_encode(hb, &req->hdr);
	if (lt->log.len + sizeof hb + req->len + sizeof h > LU_TXN_LOG_MAX ||
	    buf_add(&lt->log, hb, sizeof hb) != 0 ||
	    buf_add(&lt->log, req->data, req->len) != 0 ||
	    buf_add(&lt->log, &h, sizeof h) != 0) {
		lt->overflow = true;
		buf_free(&lt->log);
	}
}

/* Free what a transaction kept for a live update. */
void
lu_txn_free(struct txn *t)
{
	if (t->lu == NULL)
		return;
	buf_free(&t->lu->log);
	free(t->lu);
	t->lu = NULL;
}

/*
 * Run one logged request (at p, avail bytes left in the log) again in
 * the transaction: *len is its length in the log, *want the hash it
 * had, *got the hash it has now. Returns 0 or EINVAL for a log cut
 * short or a request that is not one.
 */
static int
lu_replay_one(struct txn *t, const char *p, size_t avail, size_t *len,
    uint64_t *want, uint64_t *got)
{
	struct xsdbd		*xd = t->conn->xd;
	struct request		 req;
	struct scratch		*s;
	static char		 payload[XS_PAYLOAD_MAX + 1];
	static char		 reply[XS_PAYLOAD_MAX];
	int			 rc;

	memset(&req, 0, sizeof req);
	if (avail < XS_HEADER_SIZE + sizeof *want ||
	    xs_wire_header_decode(p, &req.hdr) != 0 ||
	    req.hdr.len > avail - XS_HEADER_SIZE - sizeof *want)
		return EINVAL;
	memcpy(payload, p + XS_HEADER_SIZE, req.hdr.len);
	payload[req.hdr.len] = '\0';
	memcpy(want, p + XS_HEADER_SIZE + req.hdr.len, sizeof *want);
	*len = XS_HEADER_SIZE + req.hdr.len + sizeof *want;

	req.xd = xd;
	req.conn = t->conn;
	req.data = payload;
	req.len = req.hdr.len;
	req.rbuf = reply;
	req.entry = dispatch_entry(req.hdr.type);
	req.txn = t;
	req.st = t->st;
	req.chg_begin = xd->group.nchg;
	if (req.entry == NULL)
		return EINVAL;
	rc = req.entry->handler(&req);
	*got = lu_reply_hash(&req, rc);
	while ((s = req.scratch) != NULL) {
		req.scratch = s->next;
		free(s);
	}
	return 0;
}

/*
 * A transaction handed over is used for the first time (dispatch.c): give
 * it a snapshot of its own and run its log again there. If a reply
 * differs, it answers EAGAIN from now on. Returns 0 or an errno value
 * (ENOMEM, a store error), which the request then answers.
 */
int
lu_txn_resume(struct txn *t)
{
	struct lu_txn	*lt = t->lu;
	struct xsdbd	*xd = t->conn->xd;
	uint64_t	 want, got;
	size_t		 off, len;
	int		 rc;

	if (lt == NULL || !lt->carried)
		return 0;
	lt->carried = false;
	if (lt->overflow) {
		log_info("connection %llu: transaction %u was too long to "
		    "carry across the live update: it will answer EAGAIN",
		    (unsigned long long)t->conn->id, t->id);
		return 0;
	}
	if ((rc = store_txn_begin(xd->store, NULL, STORE_TXN_XS, &t->st)) != 0) {
		t->st = NULL;
		return rc;
	}
	t->expired = false;
	for (off = 0; off < lt->log.len; off += len) {
		if (lu_replay_one(t, lt->log.data + off, lt->log.len - off,
		    &len, &want, &got) != 0) {
			/* A log this daemon does not read: as a conflict. */
			want = 0;
			got = 1;
		}
		if (got != want) {
			log_info("connection %llu: transaction %u read what "
			    "changed during the live update: it will answer "
			    "EAGAIN", (unsigned long long)t->conn->id, t->id);
			store_txn_abort(t->st);
			t->st = NULL;
			t->expired = true;
			return 0;
		}
	}
	return 0;
}

/* Append a 32-bit value to the handover. */
static int
lu_put32(struct buf *b, uint32_t v)
{
	return buf_add(b, &v, sizeof v);
}

/* Append a 64-bit value. */
static int
lu_put64(struct buf *b, uint64_t v)
{
	return buf_add(b, &v, sizeof v);
}

/* Append a string: its length, then its bytes. */
static int
lu_putstr(struct buf *b, const char *s)
{
	size_t	len = strlen(s);
	int	rc;

	if ((rc = lu_put32(b, (uint32_t)len)) != 0)
		return rc;
	return buf_add(b, s, len);
}

/* watch_lu_foreach: one watch into the handover (errors: b->cap 0). */
static void
lu_put_watch(void *arg, const char *path, const char *token, int depth)
{
	struct buf	*b = arg;

	if (lu_put32(b, (uint32_t)depth) != 0 || lu_putstr(b, path) != 0 ||
	    lu_putstr(b, token) != 0)
		buf_free(b);
}

/* The open transactions of c into the handover. */
static int
lu_put_txns(struct buf *b, struct conn *c)
{
	struct txn	*t;
	struct lu_txn	*lt;
	uint32_t	 n = 0;
	bool		 live;
	int		 rc;

	TAILQ_FOREACH(t, &c->txns, entry)
		n++;
	if ((rc = lu_put32(b, n)) != 0)
		return rc;
	TAILQ_FOREACH(t, &c->txns, entry) {
		/* Live: in use, or carried from an update and not yet. */
		lt = t->lu;
		live = ((!t->expired && t->st != NULL) ||
		    (lt != NULL && lt->carried)) &&
		    (lt == NULL || !lt->overflow);
		if ((rc = lu_put32(b, t->id)) != 0 ||
		    (rc = lu_put32(b, live ? LU_TXN_LIVE : LU_TXN_DEAD)) != 0)
			return rc;
		if (!live)
			continue;
		if ((rc = lu_put32(b, lt != NULL ? (uint32_t)lt->log.len :
		    0)) != 0)
			return rc;
		if (lt != NULL && (rc = buf_add(b, lt->log.data,
		    lt->log.len)) != 0)
			return rc;
	}
	return 0;
}

/*
 * One connection into the handover: for a socket its descriptor, input,
 * output and watches (a ring's are in its record and the store); for
 * both its transactions.
 */
static int
lu_put_conn(struct buf *b, struct conn *c)
{
	bool		ring = c->lu != NULL;
	size_t		nw = c->nwatches, cap;
	int		rc;

	if ((rc = lu_put32(b, ring ? LU_CONN_RING : LU_CONN_SOCKET)) != 0 ||
	    (rc = lu_put32(b, (uint32_t)c->fd)) != 0 ||
	    (rc = lu_put32(b, c->domid)) != 0 ||
	    (rc = lu_put32(b, (c->flags & CONN_BAD) ? LU_CONN_BAD : 0)) != 0 ||
	    (rc = lu_put32(b, c->next_tx_id)) != 0)
		return rc;
	if (ring)
		return lu_put_txns(b, c);
	if ((rc = lu_put32(b, (uint32_t)buf_used(&c->in))) != 0 ||
	    (rc = buf_add(b, c->in.data + c->in.off, buf_used(&c->in))) != 0 ||
	    (rc = lu_put32(b, (uint32_t)buf_used(&c->out))) != 0 ||
	    (rc = buf_add(b, c->out.data + c->out.off,
	    buf_used(&c->out))) != 0 ||
	    (rc = lu_put32(b, (uint32_t)nw)) != 0)
		return rc;
	cap = b->cap;
	watch_lu_foreach(c, lu_put_watch, b);
	if (cap != 0 && b->cap == 0)
		return ENOMEM;
	return lu_put_txns(b, c);
}

/* Everything handed over but the rings' records. */
static int
lu_build(struct xsdbd *xd, struct buf *b)
{
	struct conn	*c;
	uint32_t	 n = 0;
	int		 rc;

	TAILQ_FOREACH(c, &xd->conns, entry) {
		if (!(c->flags & CONN_DEAD) && (c->lu != NULL || c->fd != -1))
			n++;
	}
	if ((rc = buf_add(b, LU_MAGIC, 8)) != 0 ||
	    (rc = lu_put32(b, LU_VERSION)) != 0 ||
	    (rc = lu_put32(b, xd->lu->foreground ? LU_FOREGROUND : 0)) != 0 ||
	    (rc = lu_put32(b, (uint32_t)xd->listen_fd)) != 0 ||
	    (rc = lu_put64(b, xd->lu->updates + 1)) != 0 ||
	    (rc = lu_put32(b, n)) != 0)
		return rc;
	TAILQ_FOREACH(c, &xd->conns, entry) {
		if ((c->flags & CONN_DEAD) || (c->lu == NULL && c->fd == -1))
			continue;
		if ((rc = lu_put_conn(b, c)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The new binary's arguments: -c's command line split at blanks, or this
 * daemon's own, with -U and --lu-state=FD (an earlier --lu-state is
 * dropped). The strings made for it go in own[0] and own[1], for the
 * caller to free if the exec fails. NULL if out of memory.
 */
static char **
lu_exec_argv(struct xsdbd *xd, const char *binary, int fd, char **own)
{
	struct lu	*lu = xd->lu;
	char		**v, *p, *tok, *save = NULL, opt[32];
	size_t		 n = 0, max;
	bool		 have_u = false;
	int		 i;

	max = (size_t)lu->argc + 4;
	if (lu->cmdline != NULL)
		max += strlen(lu->cmdline);
	if ((v = calloc(max, sizeof *v)) == NULL)
		return NULL;
	v[n++] = (char *)binary;
	if (lu->cmdline != NULL) {
		if ((p = own[0] = strdup(lu->cmdline)) == NULL)
			goto fail;
		for (tok = strtok_r(p, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save))
			v[n++] = tok;
	} else {
		for (i = 1; i < lu->argc; i++)
			v[n++] = lu->argv[i];
	}
	for (i = 1; i < (int)n; i++) {
		if (strncmp(v[i], LU_STATE_OPT, strlen(LU_STATE_OPT)) == 0) {
			memmove(v + i, v + i + 1, (n - (size_t)i) * sizeof *v);
			n--;
			i--;
			continue;
		}
		if (strcmp(v[i], "-U") == 0 ||
		    strcmp(v[i], "--live-update") == 0)
			have_u = true;
	}
	if (!have_u)
		v[n++] = "-U";
	snprintf(opt, sizeof opt, "%s%d", LU_STATE_OPT, fd);
	if ((v[n++] = own[1] = strdup(opt)) == NULL)
		goto fail;
	v[n] = NULL;
	return v;

fail:
	free(v);
	return NULL;
}

/* Leave the handed-over descriptors open across an exec, or not. */
static void
lu_cloexec(struct xsdbd *xd, bool on)
{
	struct conn	*c;
	int		 fl = on ? FD_CLOEXEC : 0;

	if (xd->listen_fd != -1)
		(void)fcntl(xd->listen_fd, F_SETFD, fl);
	TAILQ_FOREACH(c, &xd->conns, entry) {
		if (c->lu == NULL && c->fd != -1)
			(void)fcntl(c->fd, F_SETFD, fl);
	}
}

/* Open the store again after an exec that failed. */
static int
lu_reopen(struct xsdbd *xd)
{
	struct store_config	cfg;
	char			err[256];
	int			rc;

	memset(&cfg, 0, sizeof cfg);
	cfg.dir = xd->opt.db_dir;
	cfg.map_size = xd->opt.map_size;
	cfg.sync = xd->opt.sync;
	err[0] = '\0';
	if ((rc = store_open(&xd->store, &cfg, err, sizeof err)) != 0)
		log_warnx("cannot open the database again: %s", err);
	return rc;
}

/*
 * Hand everything over and exec the new binary. Comes back only if that
 * failed: the requester then has its error.
 */
static void
lu_exec(struct xsdbd *xd)
{
	struct lu	*lu = xd->lu;
	struct conn	*c, *req = NULL;
	struct txn	*t;
	struct buf	 state;
	char		**argv = NULL, *binary = NULL, *own[2] = { NULL, NULL };
	size_t		 out_before = 0;
	ssize_t		 w;
	size_t		 off;
	int		 fd = -1, rc;

	memset(&state, 0, sizeof state);
	TAILQ_FOREACH(c, &xd->conns, entry) {
		if (c->id == lu->start_conn && !(c->flags & CONN_DEAD))
			req = c;
	}
	if (req == NULL) {
		log_warnx("live update: its connection went: not started");
		lu_end_session(lu);
		return;
	}
	binary = lu->binary;
	/* The new daemon's first words to the requester. */
	out_before = buf_used(&req->out);
	conn_queue(req, XS_CONTROL, lu->start_hdr.req_id, lu->start_hdr.tx_id,
	    LU_TXT_OK, sizeof LU_TXT_OK);

	if ((rc = lu_ring_save_all(xd)) != 0) {
		log_warnx("live update: cannot record the rings: %s",
		    strerror(rc));
		goto fail;
	}
	if ((rc = lu_build(xd, &state)) != 0)
		goto fail;
	if ((fd = memfd_create("xsdbd-live-update", 0)) == -1) {
		log_warn("live update: memfd_create");
		goto fail;
	}
	for (off = 0; off < state.len; off += (size_t)w) {
		w = write(fd, state.data + off, state.len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			log_warn("live update: writing its state");
			goto fail;
		}
	}
	if ((argv = lu_exec_argv(xd, binary, fd, own)) == NULL)
		goto fail;

	/* Snapshots end with the store; the logs carry the transactions. */
	TAILQ_FOREACH(c, &xd->conns, entry) {
		TAILQ_FOREACH(t, &c->txns, entry) {
			if (t->st == NULL)
				continue;
			store_txn_abort(t->st);
			t->st = NULL;
			t->expired = true;
			if (t->lu == NULL)
				t->lu = calloc(1, sizeof *t->lu);
			if (t->lu != NULL)
				t->lu->carried = true;
		}
	}
	store_close(xd->store);
	xd->store = NULL;
	lu_cloexec(xd, false);
	log_info("live update: exec %s (%zu bytes of state)", binary,
	    state.len);
	/* Relative paths of the command line are from where it started. */
	if (lu->cwd != NULL && chdir(lu->cwd) == -1)
		log_warn("live update: chdir %s", lu->cwd);
	execv(binary, argv);

	/* Still here. */
	rc = errno;
	log_warnx("live update: exec %s: %s", binary, strerror(rc));
	if (chdir("/") == -1)
		log_warn("chdir /");
	lu_cloexec(xd, true);
	if (lu_reopen(xd) != 0)
		fatalx("live update failed and the store is gone");

fail:
	if (fd != -1)
		close(fd);
	free(argv);
	free(own[0]);
	free(own[1]);
	buf_free(&state);
	/* Take the "OK" back: the error goes instead. */
	if (buf_used(&req->out) > out_before)
		req->out.len = req->out.off + out_before;
	if (req->lu != NULL)
		(void)lu_ring_save_all(xd);
	conn_queue(req, XS_CONTROL, lu->start_hdr.req_id, lu->start_hdr.tx_id,
	    LU_TXT_EXEC, sizeof LU_TXT_EXEC);
	lu_end_session(lu);
}

/* Between two turns: run a live update that was started. */
void
lu_end_of_turn(struct xsdbd *xd)
{
	if (xd->lu == NULL || !xd->lu->start)
		return;
	xd->lu->start = false;
	lu_exec(xd);
}

/* A 32-bit value of the handover (0 once it ran short). */
static uint32_t
lu_get32(struct lu_reader *r)
{
	uint32_t	v = 0;

	if (r->bad || r->len - r->off < sizeof v) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p + r->off, sizeof v);
	r->off += sizeof v;
	return v;
}

/* A 64-bit value of the handover. */
static uint64_t
lu_get64(struct lu_reader *r)
{
	uint64_t	v = 0;

	if (r->bad || r->len - r->off < sizeof v) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p + r->off, sizeof v);
	r->off += sizeof v;
	return v;
}

/* len bytes of the handover, or NULL once it ran short. */
static const char *
lu_getbytes(struct lu_reader *r, size_t len)
{
	const char	*p;

	if (r->bad || r->len - r->off < len) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += len;
	return p;
}

/*
 * The transactions of a connection handed over (c NULL: of a connection
 * gone, read and dropped).
 */
static int
lu_get_txns(struct lu_reader *r, struct conn *c)
{
	struct txn	*t;
	struct lu_txn	*lt;
	const char	*log;
	uint32_t	 n, i, id, state, len;

	n = lu_get32(r);
	for (i = 0; i < n && !r->bad; i++) {
		id = lu_get32(r);
		state = lu_get32(r);
		len = state == LU_TXN_LIVE ? lu_get32(r) : 0;
		if ((log = lu_getbytes(r, len)) == NULL)
			break;
		if (c == NULL)
			continue;
		if ((t = txn_find(c, id)) == NULL &&
		    (t = txn_lu_add(c, id)) == NULL)
			return ENOMEM;
		if (state != LU_TXN_LIVE)
			continue;
		if ((lt = calloc(1, sizeof *lt)) == NULL)
			return ENOMEM;
		if (buf_add(&lt->log, log, len) != 0) {
			free(lt);
			return ENOMEM;
		}
		lt->carried = true;
		lu_txn_free(t);
		t->lu = lt;
	}
	return r->bad ? EINVAL : 0;
}

/* One connection handed over. */
static int
lu_get_conn(struct xsdbd *xd, struct lu_reader *r)
{
	struct conn	*c;
	const char	*in, *out, *path, *token;
	char		 p[XS_ABS_PATH_MAX + 1], tok[XS_PAYLOAD_MAX + 1];
	uint32_t	 kind, domid, flags, next, inlen, outlen, nw, i, len;
	int		 fd, depth, rc;

	kind = lu_get32(r);
	fd = (int)lu_get32(r);
	domid = lu_get32(r);
	flags = lu_get32(r);
	next = lu_get32(r);
	if (r->bad)
		return EINVAL;
	if (kind == LU_CONN_RING) {
		if ((c = conn_ring_find(xd, domid)) == NULL) {
			log_warnx("live update: domain %u has no ring now: "
			    "its transactions are dropped", domid);
			return lu_get_txns(r, NULL);
		}
		return lu_get_txns(r, c);
	}
	inlen = lu_get32(r);
	in = lu_getbytes(r, inlen);
	outlen = lu_get32(r);
	out = lu_getbytes(r, outlen);
	nw = lu_get32(r);
	if (r->bad || kind != LU_CONN_SOCKET)
		return EINVAL;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if ((c = conn_sock_adopt(xd, fd)) == NULL) {
		close(fd);
		return ENOMEM;
	}
	c->next_tx_id = next != 0 ? next : 1;
	if (buf_add(&c->in, in, inlen) != 0 ||
	    buf_add(&c->out, out, outlen) != 0)
		return ENOMEM;
	for (i = 0; i < nw; i++) {
		depth = (int)lu_get32(r);
		len = lu_get32(r);
		path = lu_getbytes(r, len);
		if (path == NULL || len > XS_ABS_PATH_MAX)
			return EINVAL;
		memcpy(p, path, len);
		p[len] = '\0';
		len = lu_get32(r);
		token = lu_getbytes(r, len);
		if (token == NULL || len > XS_PAYLOAD_MAX)
			return EINVAL;
		memcpy(tok, token, len);
		tok[len] = '\0';
		if ((rc = watch_lu_add(c, p, tok, depth)) != 0)
			log_warnx("live update: watch %s of connection %llu: "
			    "%s", p, (unsigned long long)c->id, strerror(rc));
	}
	if ((rc = lu_get_txns(r, c)) != 0)
		return rc;
	/* Input handed over is handled, output sent, as if just read. */
	if (flags & LU_CONN_BAD)
		conn_bad(c, "a protocol violation before the live update");
	else
		conn_input(c);
	if (!(c->flags & CONN_DEAD))
		conn_output(c);
	return 0;
}

/*
 * Once the rings are attached and the timers set: serve the listener
 * and the connections handed over. Returns 0, ENOENT if nothing was
 * handed over (listen as usual), or an errno value with a sentence.
 */
int
lu_restore(struct xsdbd *xd, char *err, size_t errlen)
{
	struct lu		*lu = xd->lu;
	struct lu_reader	 r;
	uint32_t		 version, flags, n, i;
	int			 lfd, rc;

	if (lu == NULL || !xd->opt.live_update)
		return ENOENT;
	if (lu->state == NULL)
		return lu_import_restore(xd, err, errlen);

	memset(&r, 0, sizeof r);
	r.p = lu->state;
	r.len = lu->state_len;
	(void)lu_getbytes(&r, 8);
	version = lu_get32(&r);
	flags = lu_get32(&r);
	lfd = (int)lu_get32(&r);
	lu->updates = lu_get64(&r);
	n = lu_get32(&r);
	if (r.bad || version != LU_VERSION) {
		snprintf(err, errlen, "live update state of version %u: this "
		    "daemon reads %u", version, LU_VERSION);
		return EINVAL;
	}
	if (!(flags & LU_FOREGROUND))
		log_set_foreground(false);
	(void)fcntl(lfd, F_SETFD, FD_CLOEXEC);
	if ((rc = conn_sock_adopt_listener(xd, lfd)) != 0) {
		snprintf(err, errlen, "cannot serve the listening socket");
		return rc;
	}
	for (i = 0; i < n; i++) {
		if ((rc = lu_get_conn(xd, &r)) != 0) {
			snprintf(err, errlen, "live update state: connection "
			    "%u of %u: %s", i + 1, n, strerror(rc));
			return rc;
		}
	}
	log_info("live update %llu done: %u connections taken over",
	    (unsigned long long)lu->updates, n);
	free(lu->state);
	lu->state = NULL;
	return 0;
}

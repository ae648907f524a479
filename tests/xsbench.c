/*
 * xsbench.c - a load generator for xenstore daemons, speaking the wire
 * protocol itself over Unix sockets: one thread, epoll, many connections,
 * several requests in flight on each.
 *
 *   xsbench -s SOCKET -w WORKLOAD [-c CONNS] [-p DEPTH] [-d SECONDS]
 *       [-n OPS] [-W WATCHERS] [-P PREFIX]
 *   xsbench -s SOCKET -w startup -- COMMAND [ARG...]
 *
 * Workloads (an "op" is what is counted):
 *   read     READ of one of 16 small hot nodes
 *   write    WRITE of a small counter value to a node of its own
 *   dir      DIRECTORY of a node with 100 children
 *   txn      read-modify-write transaction: TRANSACTION_START, READ,
 *            WRITE of the value plus one, TRANSACTION_END; EAGAIN retries
 *            it (counted in retries=)
 *   watch    WATCH_EVENT received: WATCHERS connections (default 100)
 *            watch one node; the CONNS x DEPTH writers write below it, so
 *            each write fires one event per watcher. Writers stay at most a
 *            few writes ahead of the events, so the figure is the rate the
 *            daemon can sustain, not the rate it can queue.
 *   preload  WRITE of -n new nodes (PREFIX/pre/A/B/C, 100 children per
 *            directory), as fast as pipelining allows
 *   startup  run COMMAND (a daemon starting on SOCKET) and measure the time
 *            until the socket answers a first DIRECTORY of /
 *
 * CONNS connections each keep DEPTH requests (or, for txn, transactions)
 * in flight. A run lasts -d seconds (default 2) or until -n ops are done.
 * Prints one line:
 *   RESULT workload=W conns=C depth=D ops=N secs=S ops_s=R retries=T
 * or "RESULT workload=W conns=C depth=D unsupported" when the daemon does
 * not deliver watch events (a daemon without a store). Exit status 1 on
 * any error, with a message on stderr.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xsbench.h"

#define XSBENCH_HOT		16	/* hot nodes of the read workload */
#define XSBENCH_DIR_CHILDREN	100
#define XSBENCH_STALL_NS	(10ULL * 1000000000ULL)
#define XSBENCH_SETUP_MS	10000
#define XSBENCH_EVENT_MS	2000	/* wait for a first watch event */
#define XSBENCH_LAG		4	/* writes a watch writer may be ahead */
#define XSBENCH_PATH_MAX	256

struct xsbench;

/* One request stream: a connection runs DEPTH of them. */
struct xsbench_slot {
	struct xsbench		*b;
	struct xb_conn		*c;
	unsigned int		 conn;	/* connection number */
	unsigned int		 num;	/* number on its connection (req_id) */
	unsigned int		 step;	/* txn: where the transaction is */
	uint32_t		 tx_id;
	uint64_t		 counter;
	int			 parked;	/* watch: waiting for events */
	char			 path[XSBENCH_PATH_MAX];
};

/* What a workload does. */
struct xsbench_workload {
	const char	*name;
	uint32_t	 type;		/* of its requests, for simple_reply */
	int		(*setup)(struct xsbench *);
	int		(*next)(struct xsbench_slot *);
	int		(*reply)(struct xsbench_slot *, const struct xs_header *,
			    const char *);
};

/* The run. */
struct xsbench {
	const char			*socket;
	const struct xsbench_workload	*wl;
	unsigned int			 nconns;
	unsigned int			 depth;
	unsigned int			 nwatchers;
	double				 duration;
	uint64_t			 max_ops;
	const char			*prefix;

	int				 epfd;
	struct xb_conn			*setup;
	struct xb_conn			**conns;
	struct xsbench_slot		*slots;
	struct xb_conn			**watchers;

	uint64_t			 ops;
	uint64_t			 retries;
	uint64_t			 issued;	/* preload, watch */
	uint64_t			 acked;		/* watch: writes done */
	uint64_t			 setup_events;
	uint64_t			 inflight;	/* requests sent, not
							 * answered */
	int				 stopping;
	uint64_t			 last_progress;
};

static void	xsbench_usage(void) __attribute__((noreturn));
static void	xsbench_fatal(const char *, int) __attribute__((noreturn));
static int	xsbench_write_node(struct xsbench *, const char *,
		    const char *);
static int	xsbench_send(struct xsbench_slot *, uint32_t, uint32_t,
		    const void *, size_t, const void *, size_t);
static int	xsbench_issue(struct xsbench_slot *, uint32_t, uint32_t,
		    const char *, const void *, size_t);
static int	xsbench_expect(const struct xs_header *, const char *,
		    uint32_t);
static int	xsbench_read_setup(struct xsbench *);
static int	xsbench_read_next(struct xsbench_slot *);
static int	xsbench_write_setup(struct xsbench *);
static int	xsbench_write_next(struct xsbench_slot *);
static int	xsbench_dir_setup(struct xsbench *);
static int	xsbench_dir_next(struct xsbench_slot *);
static int	xsbench_txn_setup(struct xsbench *);
static int	xsbench_txn_next(struct xsbench_slot *);
static int	xsbench_txn_reply(struct xsbench_slot *,
		    const struct xs_header *, const char *);
static int	xsbench_watch_setup(struct xsbench *);
static int	xsbench_watch_next(struct xsbench_slot *);
static int	xsbench_watch_reply(struct xsbench_slot *,
		    const struct xs_header *, const char *);
static int	xsbench_watch_unpark(struct xsbench *);
static int	xsbench_preload_next(struct xsbench_slot *);
static int	xsbench_simple_reply(struct xsbench_slot *,
		    const struct xs_header *, const char *);
static int	xsbench_on_msg(struct xb_conn *, const struct xs_header *,
		    const char *, void *);
static int	xsbench_on_watcher(struct xb_conn *,
		    const struct xs_header *, const char *, void *);
static int	xsbench_count_event(struct xb_conn *,
		    const struct xs_header *, const char *, void *);
static int	xsbench_poll_out(struct xsbench *, struct xb_conn *);
static int	xsbench_turn(struct xsbench *);
static int	xsbench_run(struct xsbench *);
static void	xsbench_free(struct xsbench *);
static int	xsbench_startup(const char *, char **);

static const struct xsbench_workload xsbench_workloads[] = {
	{ "read", XS_READ, xsbench_read_setup, xsbench_read_next,
	  xsbench_simple_reply },
	{ "write", XS_WRITE, xsbench_write_setup, xsbench_write_next,
	  xsbench_simple_reply },
	{ "dir", XS_DIRECTORY, xsbench_dir_setup, xsbench_dir_next,
	  xsbench_simple_reply },
	{ "txn", XS_TRANSACTION_END, xsbench_txn_setup, xsbench_txn_next,
	  xsbench_txn_reply },
	{ "watch", XS_WRITE, xsbench_watch_setup, xsbench_watch_next,
	  xsbench_watch_reply },
	{ "preload", XS_WRITE, NULL, xsbench_preload_next,
	  xsbench_simple_reply },
};

/* Say how to call the program, and exit. */
static void
xsbench_usage(void)
{
	fprintf(stderr,
	    "usage: xsbench -s SOCKET -w read|write|dir|txn|watch|preload\n"
	    "           [-c CONNS] [-p DEPTH] [-d SECONDS] [-n OPS]"
	    " [-W WATCHERS] [-P PREFIX]\n"
	    "       xsbench -s SOCKET -w startup -- COMMAND [ARG...]\n");
	exit(2);
}

/* Report an error and exit. */
static void
xsbench_fatal(const char *what, int err)
{
	fprintf(stderr, "xsbench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Write one node through the setup connection. */
static int
xsbench_write_node(struct xsbench *b, const char *path, const char *value)
{
	char	buf[XSBENCH_PATH_MAX + 64];
	size_t	pl = strlen(path) + 1, vl = strlen(value);

	if (pl + vl > sizeof(buf))
		return E2BIG;
	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	return xb_call_ok(b->setup, XS_WRITE, 0, buf, pl + vl, NULL, 0,
	    XSBENCH_SETUP_MS);
}

/* Queue a request for a slot, whose number is the req_id; count it. */
static int
xsbench_send(struct xsbench_slot *s, uint32_t type, uint32_t tx_id,
    const void *p1, size_t l1, const void *p2, size_t l2)
{
	int	err;

	err = xb_conn_queue(s->c, type, s->num, tx_id, p1, l1, p2, l2);
	if (err == 0)
		s->b->inflight++;
	return err;
}

/* Queue a request made of a path with its NUL, then value bytes. */
static int
xsbench_issue(struct xsbench_slot *s, uint32_t type, uint32_t tx_id,
    const char *path, const void *value, size_t len)
{
	return xsbench_send(s, type, tx_id, path, strlen(path) + 1, value,
	    len);
}

/* Check that a reply is of the type asked for; ERROR gives its errno. */
static int
xsbench_expect(const struct xs_header *h, const char *p, uint32_t type)
{
	if (h->type == XS_ERROR)
		return xb_error_number(p);
	if (h->type != type)
		return EPROTO;
	return 0;
}

/* read: 16 hot nodes of 8 bytes. */
static int
xsbench_read_setup(struct xsbench *b)
{
	char		path[XSBENCH_PATH_MAX], value[16];
	unsigned int	i;
	int		err;

	for (i = 0; i < XSBENCH_HOT; i++) {
		snprintf(path, sizeof(path), "%s/hot/h%u", b->prefix, i);
		snprintf(value, sizeof(value), "hot%05u", i);
		if ((err = xsbench_write_node(b, path, value)) != 0)
			return err;
	}
	return 0;
}

/* read: the next hot node. */
static int
xsbench_read_next(struct xsbench_slot *s)
{
	snprintf(s->path, sizeof(s->path), "%s/hot/h%u", s->b->prefix,
	    (unsigned int)((s->conn + s->num + s->counter++) % XSBENCH_HOT));
	return xsbench_issue(s, XS_READ, 0, s->path, NULL, 0);
}

/* write: one node per slot, created beforehand so writes modify. */
static int
xsbench_write_setup(struct xsbench *b)
{
	struct xsbench_slot	*s;
	unsigned int		 i;
	int			 err;

	for (i = 0; i < b->nconns * b->depth; i++) {
		s = &b->slots[i];
		snprintf(s->path, sizeof(s->path), "%s/w/c%u/s%u", b->prefix,
		    s->conn, s->num);
		if ((err = xsbench_write_node(b, s->path, "0")) != 0)
			return err;
	}
	return 0;
}

/* write: a counter value. */
static int
xsbench_write_next(struct xsbench_slot *s)
{
	char	value[24];
	int	n;

	n = snprintf(value, sizeof(value), "%" PRIu64, ++s->counter);
	return xsbench_issue(s, XS_WRITE, 0, s->path, value, (size_t)n);
}

/* dir: a node with 100 children. */
static int
xsbench_dir_setup(struct xsbench *b)
{
	char		path[XSBENCH_PATH_MAX];
	unsigned int	i;
	int		err;

	for (i = 0; i < XSBENCH_DIR_CHILDREN; i++) {
		snprintf(path, sizeof(path), "%s/dir/child%03u", b->prefix, i);
		if ((err = xsbench_write_node(b, path, "x")) != 0)
			return err;
	}
	return 0;
}

/* dir: list it. */
static int
xsbench_dir_next(struct xsbench_slot *s)
{
	snprintf(s->path, sizeof(s->path), "%s/dir", s->b->prefix);
	return xsbench_issue(s, XS_DIRECTORY, 0, s->path, NULL, 0);
}

/* txn: a counter node per slot, so that only real conflicts happen. */
static int
xsbench_txn_setup(struct xsbench *b)
{
	struct xsbench_slot	*s;
	unsigned int		 i;
	int			 err;

	for (i = 0; i < b->nconns * b->depth; i++) {
		s = &b->slots[i];
		snprintf(s->path, sizeof(s->path), "%s/txn/c%u/s%u", b->prefix,
		    s->conn, s->num);
		if ((err = xsbench_write_node(b, s->path, "0 init")) != 0)
			return err;
	}
	return 0;
}

/* txn: begin a transaction. */
static int
xsbench_txn_next(struct xsbench_slot *s)
{
	s->step = XS_TRANSACTION_START;
	return xsbench_send(s, XS_TRANSACTION_START, 0, "", 1, NULL, 0);
}

/*
 * txn: the transaction's next step. The value is "<count> c<conn>s<slot>":
 * the count read plus one, stamped with the writer, so that every commit
 * changes the node.
 */
static int
xsbench_txn_reply(struct xsbench_slot *s, const struct xs_header *h,
    const char *p)
{
	char		value[64];
	uint64_t	count;
	int		err, n;

	if (h->type == XS_ERROR && s->step == XS_TRANSACTION_END &&
	    strcmp(p, "EAGAIN") == 0) {
		s->b->retries++;
		if (s->b->stopping)
			return 0;
		return xsbench_txn_next(s);
	}
	if ((err = xsbench_expect(h, p, s->step)) != 0)
		return err;
	switch (s->step) {
	case XS_TRANSACTION_START:
		s->tx_id = (uint32_t)strtoul(p, NULL, 10);
		s->step = XS_READ;
		return xsbench_issue(s, XS_READ, s->tx_id, s->path, NULL, 0);
	case XS_READ:
		count = strtoull(p, NULL, 10);
		n = snprintf(value, sizeof(value), "%" PRIu64 " c%us%u",
		    count + 1, s->conn, s->num);
		s->step = XS_WRITE;
		return xsbench_issue(s, XS_WRITE, s->tx_id, s->path, value,
		    (size_t)n);
	case XS_WRITE:
		s->step = XS_TRANSACTION_END;
		return xsbench_send(s, XS_TRANSACTION_END, s->tx_id, "T", 2,
		    NULL, 0);
	default:
		s->b->ops++;
		if (s->b->stopping)
			return 0;
		return xsbench_txn_next(s);
	}
}

/* Count a watch event that arrives while setting up. */
static int
xsbench_count_event(struct xb_conn *c, const struct xs_header *h,
    const char *p, void *arg)
{
	struct xsbench	*b = arg;

	b->setup_events++;
	return 0;
}

/*
 * watch: the writers' nodes (created before any watch, so that setting
 * up fires nothing), then the watchers, each waiting for its first event.
 */
static int
xsbench_watch_setup(struct xsbench *b)
{
	struct epoll_event	 ev;
	struct xsbench_slot	*s;
	char			 path[XSBENCH_PATH_MAX], buf[XSBENCH_PATH_MAX];
	char			 reply[64];
	uint32_t		 rtype;
	size_t			 pl;
	uint64_t		 deadline;
	unsigned int		 i;
	int			 err, n;

	for (i = 0; i < b->nconns * b->depth; i++) {
		s = &b->slots[i];
		snprintf(s->path, sizeof(s->path), "%s/ev/c%us%u", b->prefix,
		    s->conn, s->num);
		if ((err = xsbench_write_node(b, s->path, "0")) != 0)
			return err;
	}
	snprintf(path, sizeof(path), "%s/ev", b->prefix);
	pl = strlen(path) + 1;
	b->watchers = calloc(b->nwatchers, sizeof(*b->watchers));
	if (b->watchers == NULL)
		return ENOMEM;
	for (i = 0; i < b->nwatchers; i++) {
		if ((err = xb_conn_open(b->socket, &b->watchers[i])) != 0)
			return err;
		b->watchers[i]->id = (int)i;
		memcpy(buf, path, pl);
		n = snprintf(buf + pl, sizeof(buf) - pl, "w%u", i);
		b->setup_events = 0;
		err = xb_call(b->watchers[i], XS_WATCH, 0, buf,
		    pl + (size_t)n + 1, &rtype, reply, sizeof(reply),
		    XSBENCH_SETUP_MS, xsbench_count_event, b);
		if (err != 0)
			return err;
		if (rtype == XS_ERROR)
			return xb_error_number(reply);
		if (rtype != XS_WATCH)
			return EPROTO;
		/* The event that every new watch fires. */
		deadline = xb_now_ns() + XSBENCH_EVENT_MS * 1000000ULL;
		while (b->setup_events == 0) {
			err = xb_conn_read(b->watchers[i], xsbench_count_event,
			    b);
			if (err != 0)
				return err;
			if (b->setup_events > 0)
				break;
			if (xb_now_ns() >= deadline)
				return ENOTSUP;
			poll(&(struct pollfd){ b->watchers[i]->fd, POLLIN, 0 },
			    1, 10);
		}
		ev.events = EPOLLIN;
		ev.data.ptr = b->watchers[i];
		if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->watchers[i]->fd,
		    &ev) == -1)
			return errno;
	}
	return 0;
}

/* watch: write unless the events lag behind; then wait for them. */
static int
xsbench_watch_next(struct xsbench_slot *s)
{
	struct xsbench	*b = s->b;
	uint64_t	 expected;
	char		 value[24];
	int		 n;

	expected = b->issued * b->nwatchers;
	if (expected > b->ops + (uint64_t)XSBENCH_LAG * b->nconns * b->depth *
	    b->nwatchers) {
		s->parked = 1;
		return 0;
	}
	s->parked = 0;
	b->issued++;
	n = snprintf(value, sizeof(value), "%" PRIu64, ++s->counter);
	return xsbench_issue(s, XS_WRITE, 0, s->path, value, (size_t)n);
}

/* watch: a write was acknowledged. */
static int
xsbench_watch_reply(struct xsbench_slot *s, const struct xs_header *h,
    const char *p)
{
	int	err;

	if ((err = xsbench_expect(h, p, XS_WRITE)) != 0)
		return err;
	s->b->acked++;
	if (s->b->stopping)
		return 0;
	return xsbench_watch_next(s);
}

/* watch: restart writers that waited for events. */
static int
xsbench_watch_unpark(struct xsbench *b)
{
	unsigned int	i;
	int		err;

	for (i = 0; i < b->nconns * b->depth && !b->stopping; i++) {
		if (!b->slots[i].parked)
			continue;
		if ((err = xsbench_watch_next(&b->slots[i])) != 0)
			return err;
		if (b->slots[i].parked)
			break;
		if ((err = xsbench_poll_out(b, b->slots[i].c)) != 0)
			return err;
	}
	return 0;
}

/* preload: the next new node, 100 children to a directory. */
static int
xsbench_preload_next(struct xsbench_slot *s)
{
	struct xsbench	*b = s->b;
	uint64_t	 i;
	char		 value[24];
	int		 n;

	if (b->issued >= b->max_ops)
		return 0;
	i = b->issued++;
	snprintf(s->path, sizeof(s->path), "%s/pre/%" PRIu64 "/%" PRIu64
	    "/%" PRIu64, b->prefix, i / 10000, (i / 100) % 100, i % 100);
	n = snprintf(value, sizeof(value), "v%07" PRIu64, i);
	return xsbench_issue(s, XS_WRITE, 0, s->path, value, (size_t)n);
}

/* read, write, dir, preload: one request is one op. */
static int
xsbench_simple_reply(struct xsbench_slot *s, const struct xs_header *h,
    const char *p)
{
	struct xsbench	*b = s->b;
	int		 err;

	if ((err = xsbench_expect(h, p, b->wl->type)) != 0)
		return err;
	b->ops++;
	if (b->stopping)
		return 0;
	return b->wl->next(s);
}

/* A message on a load connection: the reply to one of its slots. */
static int
xsbench_on_msg(struct xb_conn *c, const struct xs_header *h, const char *p,
    void *arg)
{
	struct xsbench	*b = arg;

	if (h->type == XS_WATCH_EVENT)
		return 0;
	if (h->req_id >= b->depth || b->inflight == 0)
		return EPROTO;
	b->inflight--;
	b->last_progress = xb_now_ns();
	return b->wl->reply(&b->slots[(unsigned int)c->id * b->depth +
	    h->req_id], h, p);
}

/* A message on a watcher: count events. */
static int
xsbench_on_watcher(struct xb_conn *c, const struct xs_header *h,
    const char *p, void *arg)
{
	struct xsbench	*b = arg;

	if (h->type != XS_WATCH_EVENT)
		return EPROTO;
	b->ops++;
	b->last_progress = xb_now_ns();
	return 0;
}

/* Write out a connection's queue; ask for EPOLLOUT while some is left. */
static int
xsbench_poll_out(struct xsbench *b, struct xb_conn *c)
{
	struct epoll_event	ev;
	int			err, want;

	if ((err = xb_conn_flush(c)) != 0)
		return err;
	want = xb_conn_pending(c);
	if (want == c->polled_out)
		return 0;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		return errno;
	c->polled_out = want;
	return 0;
}

/* One turn of the loop: read what came, write what is queued. */
static int
xsbench_turn(struct xsbench *b)
{
	struct epoll_event	 evs[64];
	struct xb_conn		*c;
	int			 err, n, k, watcher;

	if (xb_now_ns() - b->last_progress > XSBENCH_STALL_NS)
		return ETIMEDOUT;
	n = epoll_wait(b->epfd, evs, 64, 100);
	if (n == -1)
		return errno == EINTR ? 0 : errno;
	for (k = 0; k < n; k++) {
		c = evs[k].data.ptr;
		watcher = c->arg == NULL;
		if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			err = xb_conn_read(c, watcher ? xsbench_on_watcher :
			    xsbench_on_msg, b);
			if (err != 0)
				return err;
		}
		if (!watcher && (err = xsbench_poll_out(b, c)) != 0)
			return err;
	}
	if (b->wl->reply == xsbench_watch_reply && !b->stopping)
		return xsbench_watch_unpark(b);
	return 0;
}

/* Set up, run the workload for its time or op count, print the result. */
static int
xsbench_run(struct xsbench *b)
{
	struct epoll_event	 ev;
	struct xsbench_slot	*s;
	struct xb_conn		*c;
	uint64_t		 start, end, now, ops;
	unsigned int		 i, j;
	int			 err;

	if ((b->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return errno;
	if ((err = xb_conn_open(b->socket, &b->setup)) != 0)
		return err;
	b->conns = calloc(b->nconns, sizeof(*b->conns));
	b->slots = calloc((size_t)b->nconns * b->depth, sizeof(*b->slots));
	if (b->conns == NULL || b->slots == NULL)
		return ENOMEM;
	for (i = 0; i < b->nconns; i++) {
		if ((err = xb_conn_open(b->socket, &b->conns[i])) != 0)
			return err;
		c = b->conns[i];
		c->id = (int)i;
		c->arg = b;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			return errno;
		for (j = 0; j < b->depth; j++) {
			s = &b->slots[i * b->depth + j];
			s->b = b;
			s->c = c;
			s->conn = i;
			s->num = j;
		}
	}
	if (b->wl->setup != NULL && (err = b->wl->setup(b)) != 0) {
		if (err == ENOTSUP) {
			printf("RESULT workload=%s conns=%u depth=%u "
			    "unsupported\n", b->wl->name, b->nconns, b->depth);
			return 0;
		}
		return err;
	}

	start = b->last_progress = xb_now_ns();
	end = start + (uint64_t)(b->duration * 1e9);
	b->ops = 0;
	for (i = 0; i < b->nconns * b->depth; i++) {
		if ((err = b->wl->next(&b->slots[i])) != 0)
			return err;
	}
	for (i = 0; i < b->nconns; i++) {
		if ((err = xsbench_poll_out(b, b->conns[i])) != 0)
			return err;
	}
	for (;;) {
		now = xb_now_ns();
		if (b->max_ops > 0 ? b->ops >= b->max_ops : now >= end)
			break;
		if ((err = xsbench_turn(b)) != 0)
			return err;
	}
	ops = b->ops;

	/*
	 * Let what is in flight finish (a transaction runs to its end), so
	 * that the daemon never answers a closed connection and the next
	 * run starts on a quiet daemon.
	 */
	b->stopping = 1;
	while (b->inflight > 0) {
		if ((err = xsbench_turn(b)) != 0)
			return err;
	}
	/* Each write fires one event per watcher, never more. */
	if (b->wl->reply == xsbench_watch_reply &&
	    b->ops > b->issued * b->nwatchers) {
		fprintf(stderr, "xsbench: %" PRIu64 " events for %" PRIu64
		    " writes and %u watchers\n", b->ops, b->issued,
		    b->nwatchers);
		return EPROTO;
	}
	printf("RESULT workload=%s conns=%u depth=%u ops=%" PRIu64
	    " secs=%.3f ops_s=%.0f retries=%" PRIu64 "\n", b->wl->name,
	    b->nconns, b->depth, ops, (double)(now - start) / 1e9,
	    (double)ops / ((double)(now - start) / 1e9), b->retries);
	return 0;
}

/* Close every connection and free the run's memory. */
static void
xsbench_free(struct xsbench *b)
{
	unsigned int	i;

	for (i = 0; b->conns != NULL && i < b->nconns; i++)
		xb_conn_free(b->conns[i]);
	for (i = 0; b->watchers != NULL && i < b->nwatchers; i++)
		xb_conn_free(b->watchers[i]);
	xb_conn_free(b->setup);
	free(b->conns);
	free(b->watchers);
	free(b->slots);
	if (b->epfd > 0)
		close(b->epfd);
}

/*
 * startup: run the command that starts a daemon on the socket, and time
 * from its start to the first answer. A daemonizing command may return
 * before or after that; it must exit 0.
 */
static int
xsbench_startup(const char *socket, char **argv)
{
	struct xb_conn	*c = NULL;
	struct timespec	 ts = { 0, 100000 };
	uint64_t	 t0, t1, deadline;
	uint32_t	 rtype;
	char		 reply[256];
	pid_t		 pid;
	int		 err, status, exited = 0;

	t0 = xb_now_ns();
	deadline = t0 + 60ULL * 1000000000ULL;
	if ((pid = fork()) == -1)
		return errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "xsbench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "xsbench: %s failed\n",
				    argv[0]);
				return ECHILD;
			}
		}
		if (xb_conn_open(socket, &c) == 0)
			break;
		if (xb_now_ns() > deadline)
			return ETIMEDOUT;
		nanosleep(&ts, NULL);	/* poll the socket every 100 us */
	}
	err = xb_call(c, XS_DIRECTORY, 0, "/", 2, &rtype, reply,
	    sizeof(reply), 60000, NULL, NULL);
	t1 = xb_now_ns();
	xb_conn_free(c);
	if (err != 0)
		return err;
	if (rtype != XS_DIRECTORY)
		return EPROTO;
	if (!exited && waitpid(pid, &status, 0) == pid &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "xsbench: %s failed\n", argv[0]);
		return ECHILD;
	}
	printf("RESULT workload=startup ms=%.2f\n", (double)(t1 - t0) / 1e6);
	return 0;
}

/* Parse the options and run one workload. */
int
main(int argc, char **argv)
{
	struct xsbench	 b;
	const char	*wname = NULL;
	size_t		 i;
	int		 ch, err;

	memset(&b, 0, sizeof(b));
	b.nconns = 1;
	b.depth = 1;
	b.nwatchers = 100;
	b.duration = 2.0;
	b.prefix = "/bench";

	while ((ch = getopt(argc, argv, "c:d:n:p:P:s:w:W:")) != -1) {
		switch (ch) {
		case 'c':
			b.nconns = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			b.duration = strtod(optarg, NULL);
			break;
		case 'n':
			b.max_ops = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			b.depth = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			b.prefix = optarg;
			break;
		case 's':
			b.socket = optarg;
			break;
		case 'w':
			wname = optarg;
			break;
		case 'W':
			b.nwatchers = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			xsbench_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (b.socket == NULL || wname == NULL)
		xsbench_usage();
	signal(SIGPIPE, SIG_IGN);

	if (strcmp(wname, "startup") == 0) {
		if (argc < 1)
			xsbench_usage();
		if ((err = xsbench_startup(b.socket, argv)) != 0)
			xsbench_fatal("startup", err);
		return 0;
	}
	for (i = 0; i < sizeof(xsbench_workloads) /
	    sizeof(xsbench_workloads[0]); i++) {
		if (strcmp(wname, xsbench_workloads[i].name) == 0)
			b.wl = &xsbench_workloads[i];
	}
	if (b.wl == NULL || argc != 0 || b.nconns == 0 || b.depth == 0 ||
	    b.nconns > 4096 || b.depth > 1024 || b.nwatchers == 0 ||
	    b.duration <= 0 || strlen(b.prefix) > 64)
		xsbench_usage();
	if (b.wl->next == xsbench_preload_next && b.max_ops == 0)
		xsbench_usage();

	err = xsbench_run(&b);
	xsbench_free(&b);
	if (err != 0)
		xsbench_fatal(b.wl->name, err);
	return 0;
}

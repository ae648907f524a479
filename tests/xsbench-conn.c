/*
 * xsbench-conn.c - non-blocking wire connections for xsbench and
 * check_crash: buffered output written in as few system calls as
 * possible, input parsed into whole messages.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xsbench.h"

#define XB_IN_MIN	(64 * 1024)
#define XB_OUT_MIN	(64 * 1024)

/* What xb_call keeps of the reply it waits for. */
struct xb_call_state {
	uint32_t	 req_id;
	int		 done;
	uint32_t	*rtype;
	char		*reply;
	size_t		 replysz;
	xb_msg_cb	 ev;
	void		*arg;
};

static int	xb_conn_reserve(struct xb_conn *, size_t);
static int	xb_conn_parse(struct xb_conn *, xb_msg_cb, void *);
static int	xb_call_cb(struct xb_conn *, const struct xs_header *,
		    const char *, void *);
static int	xb_poll(int, short, uint64_t);

static uint32_t	xb_call_next_id = 0x80000000U;

static const struct {
	const char	*name;
	int		 err;
} xb_errors[] = {
	{ "EINVAL", EINVAL }, { "EACCES", EACCES }, { "EEXIST", EEXIST },
	{ "EISDIR", EISDIR }, { "ENOENT", ENOENT }, { "ENOMEM", ENOMEM },
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "ENOTEMPTY", ENOTEMPTY },
	{ "ENOSYS", ENOSYS }, { "EROFS", EROFS }, { "EBUSY", EBUSY },
	{ "EAGAIN", EAGAIN }, { "EISCONN", EISCONN }, { "E2BIG", E2BIG },
	{ "EPERM", EPERM },
};

/* Monotonic clock in nanoseconds. */
uint64_t
xb_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Map a wire error name to its number. */
int
xb_error_number(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(xb_errors) / sizeof(xb_errors[0]); i++) {
		if (strcmp(name, xb_errors[i].name) == 0)
			return xb_errors[i].err;
	}
	return EIO;
}

/* Connect to a Unix socket and make the connection non-blocking. */
int
xb_conn_open(const char *path, struct xb_conn **out)
{
	struct sockaddr_un	 sa;
	struct xb_conn		*c;
	int			 fd, err;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto fail;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	c->in_size = XB_IN_MIN;
	c->out_size = XB_OUT_MIN;
	c->in = malloc(c->in_size);
	c->out = malloc(c->out_size);
	if (c->in == NULL || c->out == NULL) {
		xb_conn_free(c);
		return ENOMEM;
	}
	/* The socket stays blocking: send and recv pass MSG_DONTWAIT. */
	*out = c;
	return 0;

fail:
	err = errno;
	close(fd);
	return err;
}

/* Close and free a connection. */
void
xb_conn_free(struct xb_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Make room for len more bytes of output. */
static int
xb_conn_reserve(struct xb_conn *c, size_t len)
{
	size_t	 size;
	char	*p;

	if (c->out_off > 0 && c->out_len + len > c->out_size) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len <= c->out_size)
		return 0;
	size = c->out_size;
	while (size < c->out_len + len)
		size *= 2;
	if ((p = realloc(c->out, size)) == NULL)
		return ENOMEM;
	c->out = p;
	c->out_size = size;
	return 0;
}

/* Queue a message made of a header and two payload parts. */
int
xb_conn_queue(struct xb_conn *c, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const void *p1, size_t l1, const void *p2, size_t l2)
{
	struct xs_header	h;
	int			err;

	if (l1 + l2 > XS_PAYLOAD_MAX)
		return E2BIG;
	if ((err = xb_conn_reserve(c, XS_HEADER_SIZE + l1 + l2)) != 0)
		return err;
	h.type = type;
	h.req_id = req_id;
	h.tx_id = tx_id;
	h.len = (uint32_t)(l1 + l2);
	memcpy(c->out + c->out_len, &h, XS_HEADER_SIZE);
	c->out_len += XS_HEADER_SIZE;
	if (l1 > 0) {
		memcpy(c->out + c->out_len, p1, l1);
		c->out_len += l1;
	}
	if (l2 > 0) {
		memcpy(c->out + c->out_len, p2, l2);
		c->out_len += l2;
	}
	return 0;
}

/* Queue a message whose payload is one string and its NUL. */
int
xb_conn_queue_str(struct xb_conn *c, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const char *s)
{
	return xb_conn_queue(c, type, req_id, tx_id, s, strlen(s) + 1, NULL,
	    0);
}

/* Is output waiting? */
int
xb_conn_pending(const struct xb_conn *c)
{
	return c->out_off < c->out_len;
}

/* Write what the socket takes of the queued output. */
int
xb_conn_flush(struct xb_conn *c)
{
	ssize_t	n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Hand each complete message in the input buffer to cb. */
static int
xb_conn_parse(struct xb_conn *c, xb_msg_cb cb, void *arg)
{
	struct xs_header	 h;
	size_t			 off = 0, need;
	char			*p, saved;
	int			 rc = 0;

	while (c->in_len - off >= XS_HEADER_SIZE) {
		memcpy(&h, c->in + off, XS_HEADER_SIZE);
		if (h.len > XS_PAYLOAD_MAX) {
			rc = EPROTO;
			break;
		}
		need = XS_HEADER_SIZE + h.len;
		if (c->in_len - off < need)
			break;
		/* NUL after the payload; put back what was there. */
		p = c->in + off + XS_HEADER_SIZE;
		saved = p[h.len];
		p[h.len] = '\0';
		rc = cb(c, &h, p, arg);
		p[h.len] = saved;
		off += need;
		if (rc != 0)
			break;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return rc;
}

/* Read what is there and hand each complete message to cb. */
int
xb_conn_read(struct xb_conn *c, xb_msg_cb cb, void *arg)
{
	ssize_t	 n;
	char	*p;
	int	 rc;

	for (;;) {
		/* Messages left by a callback that stopped early go first. */
		if ((rc = xb_conn_parse(c, cb, arg)) != 0)
			return rc;
		if (c->in_size - c->in_len < XS_HEADER_SIZE + XS_PAYLOAD_MAX + 1) {
			if ((p = realloc(c->in, c->in_size * 2)) == NULL)
				return ENOMEM;
			c->in = p;
			c->in_size *= 2;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_size - c->in_len - 1,
		    MSG_DONTWAIT);
		if (n == 0)
			return ECONNRESET;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return errno;
		}
		c->in_len += (size_t)n;
	}
}

/* Wait until fd is ready for events or the deadline passes. */
static int
xb_poll(int fd, short events, uint64_t deadline)
{
	struct pollfd	pfd;
	uint64_t	now;
	int		ms, n;

	for (;;) {
		now = xb_now_ns();
		if (deadline != 0 && now >= deadline)
			return ETIMEDOUT;
		ms = deadline == 0 ? -1 :
		    (int)((deadline - now + 999999) / 1000000);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno;
		if (n > 0)
			return 0;
	}
}

/* Take the reply xb_call waits for; pass events on. */
static int
xb_call_cb(struct xb_conn *c, const struct xs_header *h, const char *p,
    void *arg)
{
	struct xb_call_state	*st = arg;
	size_t			 n;

	if (h->type == XS_WATCH_EVENT) {
		if (st->ev != NULL)
			return st->ev(c, h, p, st->arg);
		return 0;
	}
	if (h->req_id != st->req_id)
		return EPROTO;
	*st->rtype = h->type;
	if (st->replysz > 0) {
		n = h->len < st->replysz - 1 ? h->len : st->replysz - 1;
		memcpy(st->reply, p, n);
		st->reply[n] = '\0';
	}
	st->done = 1;
	return -1;	/* stop reading: anything after stays queued */
}

/* Send one request and wait for its reply. */
int
xb_call(struct xb_conn *c, uint32_t type, uint32_t tx_id,
    const void *payload, size_t len, uint32_t *rtype, char *reply,
    size_t replysz, int timeout_ms, xb_msg_cb ev, void *arg)
{
	struct xb_call_state	st;
	uint64_t		deadline = 0;
	int			err;

	if (timeout_ms >= 0)
		deadline = xb_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	memset(&st, 0, sizeof(st));
	st.req_id = xb_call_next_id++;
	st.rtype = rtype;
	st.reply = reply;
	st.replysz = replysz;
	st.ev = ev;
	st.arg = arg;

	err = xb_conn_queue(c, type, st.req_id, tx_id, payload, len, NULL, 0);
	if (err != 0)
		return err;
	while (xb_conn_pending(c)) {
		if ((err = xb_conn_flush(c)) != 0)
			return err;
		if (xb_conn_pending(c) &&
		    (err = xb_poll(c->fd, POLLOUT, deadline)) != 0)
			return err;
	}
	/* A message may already sit in the buffer from an earlier read. */
	for (;;) {
		err = xb_conn_read(c, xb_call_cb, &st);
		if (st.done)
			return 0;
		if (err != 0)
			return err;
		if ((err = xb_poll(c->fd, POLLIN, deadline)) != 0)
			return err;
	}
}

/* xb_call that turns an ERROR reply into its errno value. */
int
xb_call_ok(struct xb_conn *c, uint32_t type, uint32_t tx_id,
    const void *payload, size_t len, char *reply, size_t replysz,
    int timeout_ms)
{
	char		errbuf[32];
	uint32_t	rtype;
	int		err;

	if (reply == NULL || replysz == 0) {
		reply = errbuf;
		replysz = sizeof(errbuf);
	}
	err = xb_call(c, type, tx_id, payload, len, &rtype, reply, replysz,
	    timeout_ms, NULL, NULL);
	if (err != 0)
		return err;
	if (rtype == XS_ERROR)
		return xb_error_number(reply);
	if (rtype != type)
		return EPROTO;
	return 0;
}

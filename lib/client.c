/*
 * client.c - a small blocking client of the xenstore wire protocol over a
 * Unix socket, for tools, tests and benchmarks.
 *
 * Bytes from the socket go into an input buffer and messages are cut out
 * of it, so a reply that arrives one byte at a time, or a wait that times
 * out in the middle of a message, never puts the client out of step with
 * the stream. A header whose length is over XS_PAYLOAD_MAX, a reply to
 * someone else's request or a closed connection breaks the client: that
 * error (EPROTO, ECONNRESET ...) is sticky and every later call returns
 * it, since nothing after it can be trusted.
 *
 * The daemon may send a WATCH_EVENT at any time, also between a request
 * and its reply: xs_client_request sets such events aside, in order, and
 * xs_client_next_event hands them out before reading more.
 *
 * Pipelining: xs_client_send puts requests on the wire without waiting and
 * xs_client_recv takes the messages that come back, one by one, events
 * included. While replies to such requests are outstanding,
 * xs_client_request and xs_client_next_event answer EBUSY rather than
 * mistake one of them for their own.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xs.h"

/* Room for two whole messages, so one read can fetch a lot. */
#define XS_CLIENT_BUFSZ		(2 * (XS_HEADER_SIZE + XS_PAYLOAD_MAX))

/* A watch event read while waiting for a reply. */
struct xs_client_event {
	struct xs_client_event	*next;
	uint32_t		 len;
	char			 payload[];
};

struct xs_client {
	int			 fd;
	int			 broken;	/* sticky error, 0 if none */
	uint32_t		 next_req_id;
	unsigned int		 outstanding;	/* replies due to send() */

	unsigned char		 in[XS_CLIENT_BUFSZ];
	size_t			 in_start;
	size_t			 in_end;

	struct xs_header	 hdr;		/* the last message taken */
	char			 msg[XS_PAYLOAD_MAX + 1];

	struct xs_client_event	*ev_head;
	struct xs_client_event	*ev_tail;
	char			 ev[XS_PAYLOAD_MAX + 1];
};

static int	xs_client_init(int, struct xs_client **);
static int	xs_client_fail(struct xs_client *, int);
static int	xs_client_write_all(struct xs_client *, const void *,
		    size_t);
static int	xs_client_remaining(const struct timespec *, int);
static int	xs_client_fill(struct xs_client *, int,
		    const struct timespec *);
static int	xs_client_take(struct xs_client *, int);
static int	xs_client_set_aside(struct xs_client *);
static int	xs_client_parse_event(char *, uint32_t, const char **,
		    const char **);
static int	xs_client_simple(struct xs_client *, uint32_t, uint32_t,
		    const void *, uint32_t, struct xs_reply *);
static int	xs_client_path_op(struct xs_client *, uint32_t, uint32_t,
		    const char *, char **, uint32_t *);
static int	xs_client_two(struct xs_client *, uint32_t, const char *,
		    const char *);

/* Allocate a client around a connected socket. */
static int
xs_client_init(int fd, struct xs_client **out)
{
	struct xs_client	*c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return (ENOMEM);
	c->fd = fd;
	c->next_req_id = 1;
	*out = c;
	return (0);
}

/* Mark the connection as unusable and return the error. */
static int
xs_client_fail(struct xs_client *c, int error)
{
	if (c->broken == 0)
		c->broken = error;
	return (c->broken);
}

/* Connect to the socket at path. */
int
xs_client_open(const char *path, struct xs_client **out)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	socklen_t		 slen;
	int			 fd, error, rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return (EINVAL);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (ENAMETOOLONG);
	strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (errno);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno != EINTR) {
			error = errno;
			goto fail;
		}
		/* Interrupted: the connection goes on; wait for its end. */
		pfd.fd = fd;
		pfd.events = POLLOUT;
		while ((rc = poll(&pfd, 1, -1)) == -1 && errno == EINTR)
			continue;
		if (rc == -1) {
			error = errno;
			goto fail;
		}
		slen = sizeof error;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &slen) == -1)
			error = errno;
		if (error != 0)
			goto fail;
	}
	if ((error = xs_client_init(fd, out)) != 0)
		goto fail;
	return (0);

fail:
	close(fd);
	return (error);
}

/* Take over a connected stream socket. */
int
xs_client_fdopen(int fd, struct xs_client **out)
{
	*out = NULL;
	if (fd < 0)
		return (EBADF);
	return (xs_client_init(fd, out));
}

/* Close the connection and free the client and its queued events. */
void
xs_client_close(struct xs_client *c)
{
	struct xs_client_event	*ev;

	if (c == NULL)
		return;
	while ((ev = c->ev_head) != NULL) {
		c->ev_head = ev->next;
		free(ev);
	}
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

/* The socket, for poll. */
int
xs_client_fd(const struct xs_client *c)
{
	return (c->fd);
}

/* Write all of buf, through partial writes and signals. */
static int
xs_client_write_all(struct xs_client *c, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (xs_client_fail(c, errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Milliseconds left until deadline, for poll; -1 if there is none. */
static int
xs_client_remaining(const struct timespec *deadline, int timeout_ms)
{
	struct timespec	now;
	long long	ms;

	if (timeout_ms < 0)
		return (-1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return (0);
	if (ms > INT_MAX)
		return (INT_MAX);
	return ((int)ms);
}

/* Read what the socket has into the buffer, waiting until the deadline. */
static int
xs_client_fill(struct xs_client *c, int timeout_ms,
    const struct timespec *deadline)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		rc;

	if (c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
	for (;;) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, xs_client_remaining(deadline, timeout_ms));
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			return (xs_client_fail(c, errno));
		}
		if (rc == 0)
			return (ETIMEDOUT);
		n = read(c->fd, c->in + c->in_end, sizeof c->in - c->in_end);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return (xs_client_fail(c, errno));
		}
		if (n == 0)
			return (xs_client_fail(c, ECONNRESET));
		c->in_end += (size_t)n;
		return (0);
	}
}

/*
 * Take the next whole message into c->hdr and c->msg (NUL added), reading
 * more as needed within timeout_ms.
 */
static int
xs_client_take(struct xs_client *c, int timeout_ms)
{
	struct timespec	deadline = { 0, 0 };
	size_t		have;
	int		error;

	if (c->broken != 0)
		return (c->broken);
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	for (;;) {
		have = c->in_end - c->in_start;
		if (have >= XS_HEADER_SIZE) {
			if (xs_wire_header_decode(c->in + c->in_start,
			    &c->hdr) != 0)
				return (xs_client_fail(c, EPROTO));
			if (have >= XS_HEADER_SIZE + c->hdr.len)
				break;
		}
		if ((error = xs_client_fill(c, timeout_ms, &deadline)) != 0)
			return (error);
	}
	memcpy(c->msg, c->in + c->in_start + XS_HEADER_SIZE, c->hdr.len);
	c->msg[c->hdr.len] = '\0';
	c->in_start += XS_HEADER_SIZE + c->hdr.len;
	if (c->in_start == c->in_end)
		c->in_start = c->in_end = 0;
	return (0);
}

/* Queue the event in c->msg for xs_client_next_event. */
static int
xs_client_set_aside(struct xs_client *c)
{
	struct xs_client_event	*ev;

	if ((ev = malloc(sizeof *ev + c->hdr.len + 1)) == NULL)
		return (ENOMEM);
	ev->next = NULL;
	ev->len = c->hdr.len;
	memcpy(ev->payload, c->msg, c->hdr.len + 1);
	if (c->ev_tail != NULL)
		c->ev_tail->next = ev;
	else
		c->ev_head = ev;
	c->ev_tail = ev;
	return (0);
}

/* Split an event payload "path\0token\0"; EPROTO if it is not that. */
static int
xs_client_parse_event(char *payload, uint32_t len, const char **path,
    const char **token)
{
	const char	*fields[2];
	unsigned int	 n;

	if (xs_wire_split(payload, len, fields, 2, &n) != 0 || n != 2)
		return (EPROTO);
	*path = fields[0];
	*token = fields[1];
	return (0);
}

/* Send one request and wait for its reply. */
int
xs_client_request(struct xs_client *c, uint32_t type, uint32_t tx_id,
    const void *payload, uint32_t len, struct xs_reply *reply)
{
	unsigned char	buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t		size;
	uint32_t	req_id;
	int		error;

	if (c->broken != 0)
		return (c->broken);
	if (c->outstanding != 0)
		return (EBUSY);
	req_id = c->next_req_id++;
	if ((size = xs_wire_build(buf, type, req_id, tx_id, payload,
	    len)) == 0)
		return (len > XS_PAYLOAD_MAX ? E2BIG : EINVAL);
	if ((error = xs_client_write_all(c, buf, size)) != 0)
		return (error);
	for (;;) {
		if ((error = xs_client_take(c, -1)) != 0)
			return (error);
		if (c->hdr.type != XS_WATCH_EVENT)
			break;
		if ((error = xs_client_set_aside(c)) != 0)
			return (xs_client_fail(c, error));
	}
	if (c->hdr.req_id != req_id)
		return (xs_client_fail(c, EPROTO));
	reply->hdr = c->hdr;
	reply->payload = c->msg;
	return (0);
}

/* Send a request without waiting for its reply. */
int
xs_client_send(struct xs_client *c, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const void *payload, uint32_t len)
{
	unsigned char	buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t		size;
	int		error;

	if (c->broken != 0)
		return (c->broken);
	if ((size = xs_wire_build(buf, type, req_id, tx_id, payload,
	    len)) == 0)
		return (len > XS_PAYLOAD_MAX ? E2BIG : EINVAL);
	if ((error = xs_client_write_all(c, buf, size)) != 0)
		return (error);
	c->outstanding++;
	return (0);
}

/* Receive the next message of any type. */
int
xs_client_recv(struct xs_client *c, int timeout_ms, struct xs_reply *msg)
{
	int	error;

	if ((error = xs_client_take(c, timeout_ms)) != 0)
		return (error);
	if (c->hdr.type != XS_WATCH_EVENT && c->outstanding > 0)
		c->outstanding--;
	msg->hdr = c->hdr;
	msg->payload = c->msg;
	return (0);
}

/* The next watch event, set aside or read within timeout_ms. */
int
xs_client_next_event(struct xs_client *c, int timeout_ms, const char **path,
    const char **token)
{
	struct xs_client_event	*ev;
	uint32_t		 len;
	int			 error;

	if ((ev = c->ev_head) != NULL) {
		if ((c->ev_head = ev->next) == NULL)
			c->ev_tail = NULL;
		len = ev->len;
		memcpy(c->ev, ev->payload, len + 1);
		free(ev);
		return (xs_client_parse_event(c->ev, len, path, token));
	}
	if (c->broken != 0)
		return (c->broken);
	if (c->outstanding != 0)
		return (EBUSY);
	if ((error = xs_client_take(c, timeout_ms)) != 0)
		return (error);
	if (c->hdr.type != XS_WATCH_EVENT)
		return (xs_client_fail(c, EPROTO));
	len = c->hdr.len;
	memcpy(c->ev, c->msg, len + 1);
	return (xs_client_parse_event(c->ev, len, path, token));
}

/*
 * A request whose answer is checked: 0 with *reply set, the errno named
 * by an ERROR reply (EINVAL for a name not in the table, as libxenstore
 * does), or EIO if the connection failed or the reply is of another type.
 */
static int
xs_client_simple(struct xs_client *c, uint32_t type, uint32_t tx_id,
    const void *payload, uint32_t len, struct xs_reply *reply)
{
	int	error;

	if ((error = xs_client_request(c, type, tx_id, payload, len,
	    reply)) != 0) {
		if (error == E2BIG || error == EINVAL || error == EBUSY)
			return (error);
		return (EIO);
	}
	if (reply->hdr.type == XS_ERROR) {
		error = xs_wire_error_from_name(reply->payload);
		return (error != 0 ? error : EINVAL);
	}
	if (reply->hdr.type != type)
		return (EIO);
	return (0);
}

/* A request with a path only; the reply copied out if out is set. */
static int
xs_client_path_op(struct xs_client *c, uint32_t type, uint32_t tx_id,
    const char *path, char **out, uint32_t *outlen)
{
	struct xs_reply	reply;
	size_t		plen;
	int		error;

	if (out != NULL)
		*out = NULL;
	if (path == NULL)
		return (EINVAL);
	if ((plen = strlen(path)) >= XS_PAYLOAD_MAX)
		return (E2BIG);
	if ((error = xs_client_simple(c, type, tx_id, path,
	    (uint32_t)plen + 1, &reply)) != 0)
		return (error);
	if (out == NULL)
		return (0);
	if ((*out = malloc((size_t)reply.hdr.len + 1)) == NULL)
		return (ENOMEM);
	memcpy(*out, reply.payload, (size_t)reply.hdr.len + 1);
	if (outlen != NULL)
		*outlen = reply.hdr.len;
	return (0);
}

/* A request with two strings (WATCH, UNWATCH). */
static int
xs_client_two(struct xs_client *c, uint32_t type, const char *a,
    const char *b)
{
	char		buf[XS_PAYLOAD_MAX];
	struct xs_reply	reply;
	size_t		alen, blen;

	if (a == NULL || b == NULL)
		return (EINVAL);
	alen = strlen(a) + 1;
	blen = strlen(b) + 1;
	if (alen > sizeof buf || blen > sizeof buf - alen)
		return (E2BIG);
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	return (xs_client_simple(c, type, 0, buf, (uint32_t)(alen + blen),
	    &reply));
}

/* READ: the value, malloc'ed and NUL-terminated. */
int
xs_client_read(struct xs_client *c, uint32_t tx_id, const char *path,
    char **value, uint32_t *len)
{
	return (xs_client_path_op(c, XS_READ, tx_id, path, value, len));
}

/* WRITE: path, then the value bytes. */
int
xs_client_write(struct xs_client *c, uint32_t tx_id, const char *path,
    const void *value, uint32_t len)
{
	char		buf[XS_PAYLOAD_MAX];
	struct xs_reply	reply;
	size_t		plen;

	if (path == NULL || (value == NULL && len != 0))
		return (EINVAL);
	plen = strlen(path) + 1;
	if (plen > sizeof buf || len > sizeof buf - plen)
		return (E2BIG);
	memcpy(buf, path, plen);
	if (len != 0)
		memcpy(buf + plen, value, len);
	return (xs_client_simple(c, XS_WRITE, tx_id, buf,
	    (uint32_t)plen + len, &reply));
}

/* MKDIR. */
int
xs_client_mkdir(struct xs_client *c, uint32_t tx_id, const char *path)
{
	return (xs_client_path_op(c, XS_MKDIR, tx_id, path, NULL, NULL));
}

/* RM. */
int
xs_client_rm(struct xs_client *c, uint32_t tx_id, const char *path)
{
	return (xs_client_path_op(c, XS_RM, tx_id, path, NULL, NULL));
}

/* DIRECTORY: the child names, each followed by a NUL. */
int
xs_client_directory(struct xs_client *c, uint32_t tx_id, const char *path,
    char **names, uint32_t *len)
{
	return (xs_client_path_op(c, XS_DIRECTORY, tx_id, path, names, len));
}

/* GET_PERMS: the entries, each followed by a NUL. */
int
xs_client_get_perms(struct xs_client *c, uint32_t tx_id, const char *path,
    char **perms, uint32_t *len)
{
	return (xs_client_path_op(c, XS_GET_PERMS, tx_id, path, perms, len));
}

/* SET_PERMS: path, then each entry with its NUL. */
int
xs_client_set_perms(struct xs_client *c, uint32_t tx_id, const char *path,
    const struct xs_perm *p, unsigned int n)
{
	char		buf[XS_PAYLOAD_MAX];
	struct xs_reply	reply;
	size_t		plen, used;

	if (path == NULL || p == NULL || n == 0)
		return (EINVAL);
	plen = strlen(path) + 1;
	if (plen > sizeof buf)
		return (E2BIG);
	memcpy(buf, path, plen);
	used = xs_perm_format_list(p, n, buf + plen, sizeof buf - plen);
	if (used == 0)
		return (E2BIG);
	return (xs_client_simple(c, XS_SET_PERMS, tx_id, buf,
	    (uint32_t)(plen + used), &reply));
}

/* WATCH path with token. */
int
xs_client_watch(struct xs_client *c, const char *path, const char *token)
{
	return (xs_client_two(c, XS_WATCH, path, token));
}

/* UNWATCH path with token. */
int
xs_client_unwatch(struct xs_client *c, const char *path, const char *token)
{
	return (xs_client_two(c, XS_UNWATCH, path, token));
}

/* TRANSACTION_START: the new id from the decimal reply. */
int
xs_client_transaction_start(struct xs_client *c, uint32_t *tx_id)
{
	struct xs_reply	 reply;
	const char	*p;
	uint64_t	 id = 0;
	int		 error;

	if ((error = xs_client_simple(c, XS_TRANSACTION_START, 0, "", 1,
	    &reply)) != 0)
		return (error);
	/* The reply is "<id>\0": decimal digits and one NUL, nothing else. */
	p = reply.payload;
	if (reply.hdr.len < 2 || reply.hdr.len > 11 ||
	    p[reply.hdr.len - 1] != '\0')
		return (EIO);
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (EIO);
		id = id * 10 + (uint64_t)(*p - '0');
	}
	if ((size_t)(p - reply.payload) != reply.hdr.len - 1 ||
	    id > UINT32_MAX)
		return (EIO);
	*tx_id = (uint32_t)id;
	return (0);
}

/* TRANSACTION_END: "T" to commit, "F" to abandon. */
int
xs_client_transaction_end(struct xs_client *c, uint32_t tx_id, bool commit)
{
	struct xs_reply	reply;

	return (xs_client_simple(c, XS_TRANSACTION_END, tx_id,
	    commit ? "T" : "F", 2, &reply));
}

/*
 * conn-sock.c - the Unix socket transport: the listener and the
 * connections of dom0 tools. Every socket client is privileged (dom0),
 * as with Xen's daemon.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "xsdbd.h"

/* Connections accepted per listener event before others get a turn. */
#define CONN_SOCK_ACCEPTS	64

/* The transport state of one socket connection. */
struct conn_sock {
	struct event	*ev_read;
	struct event	*ev_write;
	bool		 reading;
	bool		 writing;
};

static int	conn_sock_read(struct conn *, void *, size_t, size_t *);
static int	conn_sock_write(struct conn *, const void *, size_t,
		    size_t *);
static bool	conn_sock_can(struct conn *);
static void	conn_sock_update(struct conn *);
static void	conn_sock_close(struct conn *);
static void	conn_sock_read_cb(evutil_socket_t, short, void *);
static void	conn_sock_write_cb(evutil_socket_t, short, void *);
static void	conn_sock_accept(evutil_socket_t, short, void *);
static void	conn_sock_accept_retry(evutil_socket_t, short, void *);
static int	conn_sock_in_use(const char *);

static const struct conn_ops conn_sock_ops = {
	.name = "socket",
	.read = conn_sock_read,
	.write = conn_sock_write,
	.can_read = conn_sock_can,
	.can_write = conn_sock_can,
	.update = conn_sock_update,
	.close = conn_sock_close,
};

/* Read from the socket: 0 and *done, EPIPE at end of stream, or errno. */
static int
conn_sock_read(struct conn *c, void *buf, size_t len, size_t *done)
{
	ssize_t	n;

	*done = 0;
	for (;;) {
		n = read(c->fd, buf, len);
		if (n > 0) {
			*done = (size_t)n;
			return 0;
		}
		if (n == 0)
			return EPIPE;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return errno == ECONNRESET ? EPIPE : errno;
	}
}

/* Write to the socket: 0 and *done, EPIPE if the peer is gone, or errno. */
static int
conn_sock_write(struct conn *c, const void *buf, size_t len, size_t *done)
{
	ssize_t	n;

	*done = 0;
	for (;;) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			*done = (size_t)n;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return errno == ECONNRESET ? EPIPE : errno;
	}
}

/* A socket may always be tried: the event loop says when it is ready. */
static bool
conn_sock_can(struct conn *c)
{
	return true;
}

/* Ask for read events while the connection reads, write while it has
 * output (tmux's proc_update_event). */
static void
conn_sock_update(struct conn *c)
{
	struct conn_sock	*cs = c->priv;
	bool			 r = conn_want_read(c), w = conn_want_write(c);

	if (r != cs->reading) {
		if (r)
			event_add(cs->ev_read, NULL);
		else
			event_del(cs->ev_read);
		cs->reading = r;
	}
	if (w != cs->writing) {
		if (w)
			event_add(cs->ev_write, NULL);
		else
			event_del(cs->ev_write);
		cs->writing = w;
	}
}

/* Release the socket and its events. */
static void
conn_sock_close(struct conn *c)
{
	struct conn_sock	*cs = c->priv;

	event_free(cs->ev_read);
	event_free(cs->ev_write);
	free(cs);
	close(c->fd);
	c->fd = -1;
	c->priv = NULL;
}

/* The socket is readable. */
static void
conn_sock_read_cb(evutil_socket_t fd, short events, void *arg)
{
	conn_input(arg);
}

/* The socket is writable. */
static void
conn_sock_write_cb(evutil_socket_t fd, short events, void *arg)
{
	conn_output(arg);
}

/* Accept new clients. */
static void
conn_sock_accept(evutil_socket_t fd, short events, void *arg)
{
	struct xsdbd		*xd = arg;
	struct timeval		 tv = { 1, 0 };
	int			 s, i;

	for (i = 0; i < CONN_SOCK_ACCEPTS; i++) {
		s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Stop accepting for a second (tmux). */
				log_warn("accept");
				event_del(xd->ev_listen);
				event_add(xd->ev_accept_retry, &tv);
				return;
			}
			log_warn("accept");
			return;
		}
		if (conn_sock_adopt(xd, s) == NULL)
			close(s);
	}
}

/*
 * Serve a connected socket s (accepted, or handed over by a live update,
 * lu.c) as a client connection. Returns it, or NULL if out of memory
 * (s is then still the caller's).
 */
struct conn *
conn_sock_adopt(struct xsdbd *xd, int s)
{
	struct conn_sock	*cs;
	struct conn		*c;

	if ((cs = calloc(1, sizeof *cs)) == NULL)
		return NULL;
	cs->ev_read = event_new(xd->base, s, EV_READ | EV_PERSIST,
	    conn_sock_read_cb, NULL);
	cs->ev_write = event_new(xd->base, s, EV_WRITE | EV_PERSIST,
	    conn_sock_write_cb, NULL);
	if (cs->ev_read == NULL || cs->ev_write == NULL ||
	    (c = conn_new(xd, &conn_sock_ops, cs, s, 0)) == NULL) {
		if (cs->ev_read != NULL)
			event_free(cs->ev_read);
		if (cs->ev_write != NULL)
			event_free(cs->ev_write);
		free(cs);
		return NULL;
	}
	event_assign(cs->ev_read, xd->base, s, EV_READ | EV_PERSIST,
	    conn_sock_read_cb, c);
	event_assign(cs->ev_write, xd->base, s, EV_WRITE | EV_PERSIST,
	    conn_sock_write_cb, c);
	conn_sock_update(c);
	return c;
}

/* Accept again after a pause. */
static void
conn_sock_accept_retry(evutil_socket_t fd, short events, void *arg)
{
	struct xsdbd	*xd = arg;

	event_add(xd->ev_listen, NULL);
}

/* True if a daemon answers on the socket path already. */
static int
conn_sock_in_use(const char *path)
{
	struct sockaddr_un	sun;
	int			s, rc;

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
	rc = connect(s, (struct sockaddr *)&sun, sizeof sun);
	close(s);
	return rc == 0;
}

/*
 * Listen on the socket path (mode 0600, as Xen's daemon). A stale socket
 * is replaced; one a live daemon answers on is not. Returns 0 or an errno
 * value with a sentence in errbuf.
 */
int
conn_sock_listen(struct xsdbd *xd, char *errbuf, size_t errlen)
{
	struct sockaddr_un	 sun;
	const char		*path = xd->opt.socket_path;
	char			*dir, *slash;
	int			 s = -1, saved;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(errbuf, errlen, "socket path too long: %s", path);
		return ENAMETOOLONG;
	}
	/* The directory of the default path may not exist yet. */
	if ((dir = strdup(path)) != NULL) {
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) == -1 && errno != EEXIST)
				log_warn("mkdir %s", dir);
		}
		free(dir);
	}
	if (conn_sock_in_use(path)) {
		snprintf(errbuf, errlen, "a daemon already listens on %s",
		    path);
		return EADDRINUSE;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		goto fail;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	if (bind(s, (struct sockaddr *)&sun, sizeof sun) == -1)
		goto fail;
	if (chmod(path, 0600) == -1)
		goto fail;
	if (listen(s, SOMAXCONN) == -1)
		goto fail;

	if (conn_sock_adopt_listener(xd, s) != 0) {
		snprintf(errbuf, errlen, "cannot watch the socket");
		return ENOMEM;
	}
	return 0;

fail:
	saved = errno;
	snprintf(errbuf, errlen, "socket %s: %s", path, strerror(saved));
	if (s != -1)
		close(s);
	return saved;
}

/*
 * Accept on a listening socket s, bound by this daemon or handed over by
 * a live update (lu.c). Returns 0 or ENOMEM.
 */
int
conn_sock_adopt_listener(struct xsdbd *xd, int s)
{
	int	fl;

	if ((fl = fcntl(s, F_GETFL)) != -1 && !(fl & O_NONBLOCK))
		(void)fcntl(s, F_SETFL, fl | O_NONBLOCK);
	xd->listen_fd = s;
	xd->ev_listen = event_new(xd->base, s, EV_READ | EV_PERSIST,
	    conn_sock_accept, xd);
	xd->ev_accept_retry = evtimer_new(xd->base, conn_sock_accept_retry,
	    xd);
	if (xd->ev_listen == NULL || xd->ev_accept_retry == NULL ||
	    event_add(xd->ev_listen, NULL) != 0)
		return ENOMEM;
	return 0;
}

/* Stop listening and remove the socket path. */
void
conn_sock_close_listener(struct xsdbd *xd)
{
	if (xd->ev_listen != NULL) {
		event_free(xd->ev_listen);
		xd->ev_listen = NULL;
	}
	if (xd->ev_accept_retry != NULL) {
		event_free(xd->ev_accept_retry);
		xd->ev_accept_retry = NULL;
	}
	if (xd->listen_fd != -1) {
		close(xd->listen_fd);
		xd->listen_fd = -1;
		unlink(xd->opt.socket_path);
	}
}

/*
 * sim-guest.c - a guest domain for xsdbd's simulated Xen: see sim-guest.h
 * and the directory layout in src/xen-sim.c.
 *
 * Replies are taken from rsp one message at a time, never more bytes than
 * the message still needs, so a test can leave the rest in the ring (a
 * guest that reads slowly) and the daemon sees exactly what was consumed.
 * The guest raises its event after every put and every take that moved
 * bytes, as a guest kernel does.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim-guest.h"

static int	sim_addr(struct sockaddr_un *, const char *, const char *,
		    unsigned int, uint32_t);
static int	sim_remaining(const struct timespec *);
static void	sim_deadline(struct timespec *, int);
static int	sim_set_aside(struct sim_guest *);
static int	sim_reply_err(const struct sim_guest *, uint32_t);

/* Fill a socket address DIR/<what>-N-P. */
static int
sim_addr(struct sockaddr_un *sun, const char *dir, const char *what,
    unsigned int domid, uint32_t port)
{
	int	n;

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s-%u-%u", dir,
	    what, domid, port);
	return n < 0 || (size_t)n >= sizeof sun->sun_path ? ENAMETOOLONG : 0;
}

/* A deadline timeout_ms from now (-1: none). */
static void
sim_deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (timeout_ms < 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = -1;
		return;
	}
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left to a deadline (-1: for ever, 0: passed). */
static int
sim_remaining(const struct timespec *d)
{
	struct timespec	now;
	long long	ms;

	if (d->tv_nsec == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->tv_sec - now.tv_sec) * 1000 +
	    (d->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : (int)(ms > 60000 ? 60000 : ms);
}

/* Make a fresh directory for a simulated Xen. */
int
sim_dir_make(char *dir, size_t len)
{
	if (snprintf(dir, len, "/tmp/xsdb-sim.XXXXXX") >= (int)len)
		return ENAMETOOLONG;
	if (mkdtemp(dir) == NULL)
		return errno;
	return 0;
}

/* Remove the directory and the files in it. */
void
sim_dir_remove(const char *dir)
{
	struct dirent	*de;
	char		 path[512];
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Write DIR/state-N whole, or remove it. */
int
sim_set_state(const char *dir, unsigned int domid, const char *state)
{
	char	path[512], tmp[520];
	size_t	len;
	int	fd;

	snprintf(path, sizeof path, "%s/state-%u", dir, domid);
	if (state == NULL)
		return unlink(path) == -1 && errno != ENOENT ? errno : 0;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return errno;
	len = strlen(state);
	if (write(fd, state, len) != (ssize_t)len || close(fd) == -1 ||
	    rename(tmp, path) == -1)
		return errno != 0 ? errno : EIO;
	return 0;
}

/* A datagram to DIR/virq. */
int
sim_raise_virq(const char *dir)
{
	struct sockaddr_un	sun;
	char			b = 1;
	int			s, rc = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/virq", dir);
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	if (sendto(s, &b, 1, MSG_DONTWAIT, (struct sockaddr *)&sun,
	    sizeof sun) == -1)
		rc = errno;
	close(s);
	return rc;
}

/* Create (or take up again) domain domid in dir. */
int
sim_guest_new(const char *dir, unsigned int domid, uint32_t port,
    bool fresh, struct sim_guest **out)
{
	struct sim_guest	*g;
	char			 path[512];
	void			*p;
	int			 fd, rc;

	if ((g = calloc(1, sizeof *g)) == NULL)
		return ENOMEM;
	g->evfd = -1;
	snprintf(g->dir, sizeof g->dir, "%s", dir);
	g->domid = domid;
	g->port = port;
	if ((rc = sim_addr(&g->daemon, dir, "ev", domid, port)) != 0 ||
	    (rc = sim_addr(&g->self, dir, "gev", domid, port)) != 0)
		goto fail;

	snprintf(path, sizeof path, "%s/ring-%u", dir, domid);
	fd = open(path, O_RDWR | O_CLOEXEC | (fresh ? O_CREAT | O_TRUNC : 0),
	    0600);
	if (fd == -1 || (fresh && ftruncate(fd, XS_RING_PAGE_SIZE) == -1)) {
		rc = errno;
		if (fd != -1)
			close(fd);
		goto fail;
	}
	p = mmap(NULL, XS_RING_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	rc = errno;
	close(fd);
	if (p == MAP_FAILED)
		goto fail;
	g->ring = p;

	g->evfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (g->evfd == -1) {
		rc = errno;
		goto fail;
	}
	unlink(g->self.sun_path);
	if (bind(g->evfd, (struct sockaddr *)&g->self, sizeof g->self) ==
	    -1) {
		rc = errno;
		goto fail;
	}
	if (fresh && (rc = sim_set_state(dir, domid, "running")) != 0)
		goto fail;
	*out = g;
	return 0;

fail:
	sim_guest_free(g);
	return rc;
}

/* Release what the guest holds in this process. */
void
sim_guest_free(struct sim_guest *g)
{
	if (g == NULL)
		return;
	sim_guest_clear_events(g);
	if (g->ring != NULL)
		munmap(g->ring, XS_RING_PAGE_SIZE);
	if (g->evfd != -1) {
		close(g->evfd);
		unlink(g->self.sun_path);
	}
	free(g);
}

/* The errno an ERROR reply names, or EPROTO for another type. */
static int
sim_reply_err(const struct sim_guest *g, uint32_t want)
{
	int	err;

	if (g->hdr.type == XS_ERROR) {
		err = xs_wire_error_from_name(g->msg);
		return err != 0 ? err : EINVAL;
	}
	return g->hdr.type == want ? 0 : EPROTO;
}

/* dom0 makes the domain's home, owned by it. */
int
sim_home_make(const char *sock, unsigned int domid)
{
	struct xs_client	*c;
	struct xs_perm		 p = { domid, XS_PERM_NONE };
	char			 path[64];
	int			 rc;

	if ((rc = xs_client_open(sock, &c)) != 0)
		return rc;
	xs_path_domain_home(domid, path, sizeof path);
	if ((rc = xs_client_mkdir(c, 0, path)) == 0)
		rc = xs_client_set_perms(c, 0, path, &p, 1);
	xs_client_close(c);
	return rc;
}

/* dom0 sends INTRODUCE "domid\0mfn\0port\0". */
int
sim_guest_introduce(struct sim_guest *g, const char *sock)
{
	struct xs_client	*c;
	struct xs_reply		 r;
	char			 buf[64];
	int			 n, rc;

	n = snprintf(buf, sizeof buf, "%u%c%u%c%u%c", g->domid, 0,
	    0x1000 + g->domid, 0, g->port, 0);
	if ((rc = xs_client_open(sock, &c)) != 0)
		return rc;
	rc = xs_client_request(c, XS_INTRODUCE, 0, buf, (uint32_t)n, &r);
	if (rc == 0 && r.hdr.type == XS_ERROR) {
		rc = xs_wire_error_from_name(r.payload);
		if (rc == 0)
			rc = EINVAL;
	} else if (rc == 0 && r.hdr.type != XS_INTRODUCE)
		rc = EPROTO;
	xs_client_close(c);
	return rc;
}

/* One datagram to the daemon's socket for our port. */
void
sim_guest_kick(struct sim_guest *g)
{
	char	b = 1;

	g->kicks++;
	(void)sendto(g->evfd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&g->daemon, sizeof g->daemon);
}

/* Wait for the daemon's notification and take every one pending. */
int
sim_guest_wait(struct sim_guest *g, int timeout_ms)
{
	struct pollfd	pfd = { g->evfd, POLLIN, 0 };
	char		buf[64];
	int		n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	while (recv(g->evfd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		g->wakeups++;
	return 0;
}

/* Put what fits (at most g->chunk) in req and raise the event. */
int
sim_guest_put(struct sim_guest *g, const void *buf, size_t len,
    size_t *done)
{
	uint32_t	prod;
	int		rc;

	if (g->chunk > 0 && len > g->chunk)
		len = g->chunk;
	prod = xs_ring_load(&g->ring->req_prod);
	if ((rc = xs_ring_write(g->ring, XS_RING_REQ, buf, len, done)) != 0)
		return rc;
	if (*done == 0)
		return 0;
	if (g->linux_notify) {
		/* req_prod is stored before req_cons is read. */
		xs_ring_fence();
		if (xs_ring_load(&g->ring->req_cons) != prod) {
			g->quiet++;
			return 0;
		}
	}
	sim_guest_kick(g);
	return 0;
}

/* Put every byte, waiting for room. */
int
sim_guest_write(struct sim_guest *g, const void *buf, size_t len,
    int timeout_ms)
{
	const char	*p = buf;
	struct timespec	 deadline;
	size_t		 done, used;
	int		 rc;

	sim_deadline(&deadline, timeout_ms);
	while (len > 0) {
		if ((rc = sim_guest_put(g, p, len, &done)) != 0)
			return rc;
		p += done;
		len -= done;
		/* In lockstep, each piece is taken before the next goes. */
		while (g->lockstep && done > 0 && xs_ring_used(g->ring,
		    XS_RING_REQ, &used) == 0 && used > 0) {
			if (sim_guest_error(g) != 0)
				return EPROTO;
			if ((rc = sim_guest_wait(g,
			    sim_remaining(&deadline))) != 0)
				return rc;
		}
		if (len == 0)
			break;
		if (done > 0 && g->chunk > 0)
			continue;
		if (sim_guest_error(g) != 0)
			return EPROTO;
		rc = sim_guest_wait(g, sim_remaining(&deadline));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Send one whole message. */
int
sim_guest_send(struct sim_guest *g, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const void *payload, uint32_t len, int timeout_ms)
{
	char	msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t	n;

	if ((n = xs_wire_build(msg, type, req_id, tx_id, payload, len)) == 0)
		return E2BIG;
	return sim_guest_write(g, msg, n, timeout_ms);
}

/* Take the rest of the message being received, if it is there. */
int
sim_guest_take(struct sim_guest *g)
{
	struct xs_header	h;
	size_t			want, done;
	bool			moved = false;
	int			rc;

	memset(&h, 0, sizeof h);
	for (;;) {
		if (g->in_used < XS_HEADER_SIZE)
			want = XS_HEADER_SIZE - g->in_used;
		else {
			if (xs_wire_header_decode(g->in, &h) != 0)
				return EPROTO;
			want = XS_HEADER_SIZE + h.len - g->in_used;
			if (want == 0)
				break;
		}
		rc = xs_ring_read(g->ring, XS_RING_RSP, g->in + g->in_used,
		    want, &done);
		if (rc != 0)
			return rc;
		if (done == 0) {
			if (moved)
				sim_guest_kick(g);
			return EAGAIN;
		}
		moved = true;
		g->in_used += done;
	}
	/* Room was made: the daemon may be waiting for it. */
	sim_guest_kick(g);
	g->hdr = h;
	memcpy(g->msg, g->in + XS_HEADER_SIZE, h.len);
	g->msg[h.len] = '\0';
	g->in_used = 0;
	return 0;
}

/* Take the next whole message, waiting for it. */
int
sim_guest_recv(struct sim_guest *g, int timeout_ms)
{
	struct timespec	deadline;
	int		rc;

	sim_deadline(&deadline, timeout_ms);
	for (;;) {
		if ((rc = sim_guest_take(g)) != EAGAIN)
			return rc;
		if (sim_guest_error(g) != 0)
			return EPROTO;
		if ((rc = sim_guest_wait(g, sim_remaining(&deadline))) != 0)
			return rc;
	}
}

/* Keep the watch event just taken for sim_guest_next_event. */
static int
sim_set_aside(struct sim_guest *g)
{
	struct sim_event	*e;

	if ((e = malloc(sizeof *e + g->hdr.len + 1)) == NULL)
		return ENOMEM;
	e->next = NULL;
	e->len = g->hdr.len;
	memcpy(e->payload, g->msg, g->hdr.len + 1);
	if (g->ev_tail != NULL)
		g->ev_tail->next = e;
	else
		g->ev_head = e;
	g->ev_tail = e;
	g->nevents++;
	return 0;
}

/* One request, its reply by req_id; events before it set aside. */
int
sim_guest_request(struct sim_guest *g, uint32_t type, uint32_t tx_id,
    const void *payload, uint32_t len, int timeout_ms)
{
	uint32_t	id;
	int		rc;

	if (++g->next_req_id == 0)
		g->next_req_id = 1;
	id = g->next_req_id;
	if ((rc = sim_guest_send(g, type, id, tx_id, payload, len,
	    timeout_ms)) != 0)
		return rc;
	for (;;) {
		if ((rc = sim_guest_recv(g, timeout_ms)) != 0)
			return rc;
		if (g->hdr.type == XS_WATCH_EVENT) {
			if ((rc = sim_set_aside(g)) != 0)
				return rc;
			continue;
		}
		return g->hdr.req_id == id ? 0 : EPROTO;
	}
}

/* A request of one or two strings; 0 or the errno of its ERROR. */
int
sim_guest_op(struct sim_guest *g, uint32_t type, uint32_t tx_id,
    const char *a, const char *b)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	la = strlen(a) + 1, lb = b != NULL ? strlen(b) + 1 : 0;
	int	rc;

	if (la + lb > sizeof buf)
		return E2BIG;
	memcpy(buf, a, la);
	if (b != NULL)
		memcpy(buf + la, b, lb);
	if ((rc = sim_guest_request(g, type, tx_id, buf, (uint32_t)(la + lb),
	    5000)) != 0)
		return rc;
	return sim_reply_err(g, type);
}

/* WRITE path value. */
int
sim_guest_write_node(struct sim_guest *g, uint32_t tx_id, const char *path,
    const char *value)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	lp = strlen(path) + 1, lv = strlen(value);
	int	rc;

	if (lp + lv > sizeof buf)
		return E2BIG;
	memcpy(buf, path, lp);
	memcpy(buf + lp, value, lv);
	if ((rc = sim_guest_request(g, XS_WRITE, tx_id, buf,
	    (uint32_t)(lp + lv), 5000)) != 0)
		return rc;
	return sim_reply_err(g, XS_WRITE);
}

/* READ path. */
int
sim_guest_read_node(struct sim_guest *g, uint32_t tx_id, const char *path,
    char *out, size_t outsz)
{
	int	rc;

	if ((rc = sim_guest_request(g, XS_READ, tx_id, path,
	    (uint32_t)strlen(path) + 1, 5000)) != 0)
		return rc;
	if ((rc = sim_reply_err(g, XS_READ)) != 0)
		return rc;
	snprintf(out, outsz, "%s", g->msg);
	return 0;
}

/* The next watch event, set aside or received. */
int
sim_guest_next_event(struct sim_guest *g, int timeout_ms, const char **path,
    const char **token)
{
	struct sim_event	*e;
	uint32_t		 len;
	size_t			 plen;
	int			 rc;

	if ((e = g->ev_head) != NULL) {
		g->ev_head = e->next;
		if (g->ev_head == NULL)
			g->ev_tail = NULL;
		g->nevents--;
		len = e->len;
		memcpy(g->ev, e->payload, len + 1);
		free(e);
	} else {
		if ((rc = sim_guest_recv(g, timeout_ms)) != 0)
			return rc;
		if (g->hdr.type != XS_WATCH_EVENT)
			return EPROTO;
		len = g->hdr.len;
		memcpy(g->ev, g->msg, len + 1);
	}
	plen = strnlen(g->ev, len);
	if (plen >= len)
		return EPROTO;
	*path = g->ev;
	*token = g->ev + plen + 1;
	return 0;
}

/* Forget the events set aside. */
void
sim_guest_clear_events(struct sim_guest *g)
{
	struct sim_event	*e;

	while ((e = g->ev_head) != NULL) {
		g->ev_head = e->next;
		free(e);
	}
	g->ev_tail = NULL;
	g->nevents = 0;
}

/* connection = 1, raise the event, wait for connection = 0. */
int
sim_guest_reconnect(struct sim_guest *g, int timeout_ms)
{
	struct timespec	deadline;
	int		rc;

	sim_deadline(&deadline, timeout_ms);
	xs_ring_store(&g->ring->connection, XS_RING_RECONNECT);
	sim_guest_kick(g);
	while (xs_ring_load(&g->ring->connection) != XS_RING_CONNECTED) {
		if ((rc = sim_guest_wait(g, sim_remaining(&deadline))) != 0)
			return rc;
	}
	g->in_used = 0;
	sim_guest_clear_events(g);
	return 0;
}

/* The error field of the page. */
uint32_t
sim_guest_error(const struct sim_guest *g)
{
	return xs_ring_load(&g->ring->error);
}

/* The server_features field of the page. */
uint32_t
sim_guest_features(const struct sim_guest *g)
{
	return xs_ring_load(&g->ring->server_features);
}

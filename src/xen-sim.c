/*
 * xen-sim.c - a simulated Xen (--xen=sim:DIR), for tests and demos on a
 * host without a hypervisor. A test process plays domain N with real ring
 * pages and real notifications, and the daemon's ring code runs exactly
 * as with Xen.
 *
 * Everything lives in the directory DIR, under these names:
 *
 *	ring-N		domain N's xenstore page: a file of 4096 bytes that
 *			the guest creates and both sides map (MAP_SHARED)
 *	state-N		domain N's state, written by the test (whole, by a
 *			rename): "running", "shutdown", "dying" or "gone";
 *			no file means no domain
 *			(domain 0 runs unless state-0 says otherwise)
 *	ev-N-P		the daemon's datagram socket for the event channel
 *			of domain N's port P, made when the daemon binds it:
 *			a datagram (of any content) from the guest raises it
 *	gev-N-P		the guest's datagram socket for its port P: the
 *			daemon sends one byte there to notify the guest
 *	virq		the daemon's socket for VIRQ_DOM_EXC: the test sends
 *			a datagram after changing a state-N file
 *	dom0-port	if there, dom0 has a ring as on a Xen host (what
 *			/proc/xen/xsd_kva and xsd_port give): ring-0, with
 *			the event channel whose port this file holds in
 *			decimal; without it dom0 talks over the socket only
 *
 * Each binding is one socket in an epoll set, and the epoll descriptor is
 * what the daemon polls. As in Xen an event is pending at most once:
 * taking a port drains every datagram on its socket and masks it (removes
 * it from the set) until it is unmasked. A guest that raises its event a
 * million times fills only its own socket's buffer, costs one wake-up per
 * turn, and never delays another guest's event. Notifications toward a
 * guest are sent without waiting; one that finds the guest's socket full
 * or absent is dropped, since the guest has one pending already or is not
 * listening.
 *
 * Local port numbers are small integers from 1; a freed one is used again.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsdbd.h"

/* Room for the longest name under DIR: "/gev-4294967295-4294967295". */
#define XEN_SIM_NAME_MAX	27

/* One bound local port. */
struct xen_sim_port {
	bool		 used;
	bool		 virq;
	bool		 masked;
	int		 fd;		/* bound datagram socket */
	unsigned int	 domid;
	uint32_t	 remote;	/* the guest's port */
};

/* The simulator's state. */
struct xen_sim {
	char			 dir[PATH_MAX];
	int			 epfd;
	int			 sendfd;	/* unbound, to notify guests */
	struct xen_sim_port	*ports;		/* indexed by local port */
	size_t			 nports;
};

static int	xen_sim_open(struct xen *, const char *, char *, size_t);
static void	xen_sim_close(struct xen *);
static int	xen_sim_fd(struct xen *);
static int	xen_sim_bind(struct xen *, unsigned int, uint32_t,
		    uint32_t *);
static int	xen_sim_virq(struct xen *, uint32_t *);
static int	xen_sim_unbind(struct xen *, uint32_t);
static int	xen_sim_notify(struct xen *, uint32_t);
static int	xen_sim_pending(struct xen *, uint32_t *);
static int	xen_sim_unmask(struct xen *, uint32_t);
static int	xen_sim_map(struct xen *, unsigned int, uint64_t, void **);
static void	xen_sim_unmap(struct xen *, unsigned int, void *);
static int	xen_sim_state(struct xen *, unsigned int,
		    enum xen_domstate *);
static int	xen_sim_dom0(struct xen *, void **, uint32_t *);
static int	xen_sim_addr(const struct xen_sim *, struct sockaddr_un *,
		    const char *, unsigned int, uint32_t);
static int	xen_sim_listen(struct xen_sim *, bool, unsigned int,
		    uint32_t, uint32_t *);
static struct xen_sim_port *xen_sim_port(struct xen_sim *, uint32_t);

const struct xen_ops xen_sim_ops = {
	.name = "sim",
	.open = xen_sim_open,
	.close = xen_sim_close,
	.evtchn_fd = xen_sim_fd,
	.bind_interdomain = xen_sim_bind,
	.bind_virq_dom_exc = xen_sim_virq,
	.unbind = xen_sim_unbind,
	.notify = xen_sim_notify,
	.pending = xen_sim_pending,
	.unmask = xen_sim_unmask,
	.map_ring = xen_sim_map,
	.unmap_ring = xen_sim_unmap,
	.domain_state = xen_sim_state,
	.dom0_ring = xen_sim_dom0,
};

/* Set up the simulator in directory arg (which must exist). */
static int
xen_sim_open(struct xen *x, const char *arg, char *err, size_t errlen)
{
	struct xen_sim		*s;
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 saved;

	if (stat(arg, &sb) == -1) {
		saved = errno;
		snprintf(err, errlen, "simulated Xen: %s: %s", arg,
		    strerror(saved));
		return saved;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "simulated Xen: %s is not a directory",
		    arg);
		return ENOTDIR;
	}
	if (strlen(arg) + XEN_SIM_NAME_MAX >= sizeof sun.sun_path) {
		snprintf(err, errlen, "simulated Xen: directory name too long "
		    "for socket paths (at most %zu bytes): %s",
		    sizeof sun.sun_path - XEN_SIM_NAME_MAX - 1, arg);
		return ENAMETOOLONG;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return ENOMEM;
	if (arg[0] != '/') {
		/* The daemon leaves its directory: keep an absolute path. */
		if (realpath(arg, s->dir) == NULL) {
			saved = errno;
			free(s);
			return saved;
		}
	} else
		snprintf(s->dir, sizeof s->dir, "%s", arg);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->sendfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->epfd == -1 || s->sendfd == -1) {
		saved = errno;
		if (s->epfd != -1)
			close(s->epfd);
		if (s->sendfd != -1)
			close(s->sendfd);
		free(s);
		snprintf(err, errlen, "simulated Xen: %s", strerror(saved));
		return saved;
	}
	x->priv = s;
	return 0;
}

/* Unbind every port and release the simulator. */
static void
xen_sim_close(struct xen *x)
{
	struct xen_sim	*s = x->priv;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nports; i++) {
		if (s->ports[i].used)
			xen_sim_unbind(x, (uint32_t)i);
	}
	free(s->ports);
	close(s->epfd);
	close(s->sendfd);
	free(s);
	x->priv = NULL;
}

/* The epoll set of every bound port. */
static int
xen_sim_fd(struct xen *x)
{
	struct xen_sim	*s = x->priv;

	return s->epfd;
}

/*
 * The address of a socket of the directory: "DIR/<what>-N-P", or
 * "DIR/<what>" for what "virq". Returns 0 or ENAMETOOLONG.
 */
static int
xen_sim_addr(const struct xen_sim *s, struct sockaddr_un *sun,
    const char *what, unsigned int domid, uint32_t port)
{
	int	n;

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strcmp(what, "virq") == 0)
		n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s/virq",
		    s->dir);
	else
		n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s-%u-%u",
		    s->dir, what, domid, port);
	if (n < 0 || (size_t)n >= sizeof sun->sun_path)
		return ENAMETOOLONG;
	return 0;
}

/* The bound port local, or NULL. */
static struct xen_sim_port *
xen_sim_port(struct xen_sim *s, uint32_t local)
{
	if (local >= s->nports || !s->ports[local].used)
		return NULL;
	return &s->ports[local];
}

/*
 * Bind a new local port to a socket of the directory (the guest's port
 * remote of domid, or the VIRQ) and add it to the epoll set.
 */
static int
xen_sim_listen(struct xen_sim *s, bool virq, unsigned int domid,
    uint32_t remote, uint32_t *local)
{
	struct xen_sim_port	*p, *v;
	struct sockaddr_un	 sun;
	struct epoll_event	 ev;
	size_t			 i, n;
	int			 fd, rc;

	if ((rc = xen_sim_addr(s, &sun, virq ? "virq" : "ev", domid,
	    remote)) != 0)
		return rc;
	/* Port 0 is never used, as in Xen. */
	for (i = 1; i < s->nports && s->ports[i].used; i++)
		;
	if (i >= s->nports) {
		n = s->nports == 0 ? 16 : 2 * s->nports;
		if ((v = reallocarray(s->ports, n, sizeof *v)) == NULL)
			return ENOMEM;
		memset(v + s->nports, 0, (n - s->nports) * sizeof *v);
		s->ports = v;
		s->nports = n;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errno;
	/* A socket left by an earlier daemon, or an earlier binding. */
	if (unlink(sun.sun_path) == -1 && errno != ENOENT)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		goto fail;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)i;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		goto fail;
	p = &s->ports[i];
	memset(p, 0, sizeof *p);
	p->used = true;
	p->virq = virq;
	p->fd = fd;
	p->domid = domid;
	p->remote = remote;
	*local = (uint32_t)i;
	return 0;

fail:
	rc = errno;
	close(fd);
	return rc;
}

/* Bind a local port to domain domid's port remote. */
static int
xen_sim_bind(struct xen *x, unsigned int domid, uint32_t remote,
    uint32_t *local)
{
	return xen_sim_listen(x->priv, false, domid, remote, local);
}

/* Bind VIRQ_DOM_EXC: DIR/virq. */
static int
xen_sim_virq(struct xen *x, uint32_t *local)
{
	return xen_sim_listen(x->priv, true, 0, 0, local);
}

/*
 * Release a local port. Its socket's name goes too, unless another
 * binding of the same guest port took it over.
 */
static int
xen_sim_unbind(struct xen *x, uint32_t local)
{
	struct xen_sim		*s = x->priv;
	struct xen_sim_port	*p, *q;
	struct sockaddr_un	 sun;
	size_t			 i;
	bool			 shared = false;

	if ((p = xen_sim_port(s, local)) == NULL)
		return EINVAL;
	for (i = 0; i < s->nports; i++) {
		q = &s->ports[i];
		if (q != p && q->used && q->virq == p->virq &&
		    q->domid == p->domid && q->remote == p->remote)
			shared = true;
	}
	if (!shared && xen_sim_addr(s, &sun, p->virq ? "virq" : "ev",
	    p->domid, p->remote) == 0)
		unlink(sun.sun_path);
	close(p->fd);	/* leaves the epoll set */
	memset(p, 0, sizeof *p);
	return 0;
}

/* Notify the guest of a local port: one byte to DIR/gev-N-P. */
static int
xen_sim_notify(struct xen *x, uint32_t local)
{
	struct xen_sim		*s = x->priv;
	struct xen_sim_port	*p;
	struct sockaddr_un	 sun;
	char			 b = 1;

	if ((p = xen_sim_port(s, local)) == NULL || p->virq)
		return EINVAL;
	if (xen_sim_addr(s, &sun, "gev", p->domid, p->remote) != 0)
		return 0;
	/* Full or absent: the guest has one pending, or does not listen. */
	(void)sendto(s->sendfd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, sizeof sun);
	return 0;
}

/*
 * The next pending port: its datagrams are taken (pending once) and it is
 * masked until unmasked. EAGAIN if none.
 */
static int
xen_sim_pending(struct xen *x, uint32_t *local)
{
	struct xen_sim		*s = x->priv;
	struct xen_sim_port	*p;
	struct epoll_event	 ev;
	char			 buf[64];
	int			 n;

	for (;;) {
		n = epoll_wait(s->epfd, &ev, 1, 0);
		if (n == -1)
			return errno;
		if (n == 0)
			return EAGAIN;
		if ((p = xen_sim_port(s, ev.data.u32)) != NULL)
			break;
	}
	while (recv(p->fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
		;
	memset(&ev, 0, sizeof ev);
	ev.data.u32 = (uint32_t)(p - s->ports);
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, p->fd, &ev) == -1)
		return errno;
	p->masked = true;
	*local = ev.data.u32;
	return 0;
}

/* Unmask a port: a datagram that came meanwhile raises it again. */
static int
xen_sim_unmask(struct xen *x, uint32_t local)
{
	struct xen_sim		*s = x->priv;
	struct xen_sim_port	*p;
	struct epoll_event	 ev;

	if ((p = xen_sim_port(s, local)) == NULL)
		return EINVAL;
	if (!p->masked)
		return 0;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.u32 = local;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, p->fd, &ev) == -1)
		return errno;
	p->masked = false;
	return 0;
}

/* Map DIR/ring-N, which the guest made. ENOENT if there is none. */
static int
xen_sim_map(struct xen *x, unsigned int domid, uint64_t mfn, void **page)
{
	struct xen_sim	*s = x->priv;
	struct stat	 sb;
	char		 path[PATH_MAX + 32];
	void		*p;
	int		 fd, rc;

	snprintf(path, sizeof path, "%s/ring-%u", s->dir, domid);
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < XS_RING_PAGE_SIZE) {
		close(fd);
		return EINVAL;
	}
	p = mmap(NULL, XS_RING_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	rc = errno;
	close(fd);
	if (p == MAP_FAILED)
		return rc;
	*page = p;
	return 0;
}

/* Unmap a ring page. */
static void
xen_sim_unmap(struct xen *x, unsigned int domid, void *page)
{
	munmap(page, XS_RING_PAGE_SIZE);
}

/* A domain's state from DIR/state-N. */
static int
xen_sim_state(struct xen *x, unsigned int domid, enum xen_domstate *st)
{
	struct xen_sim	*s = x->priv;
	char		 path[PATH_MAX + 32], buf[32];
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof path, "%s/state-%u", s->dir, domid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			return errno;
		*st = domid == 0 ? XEN_DOM_RUNNING : XEN_DOM_GONE;
		return 0;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return EIO;
	buf[n] = '\0';
	buf[strcspn(buf, " \n")] = '\0';
	if (strcmp(buf, "running") == 0)
		*st = XEN_DOM_RUNNING;
	else if (strcmp(buf, "shutdown") == 0)
		*st = XEN_DOM_SHUTDOWN;
	else if (strcmp(buf, "dying") == 0)
		*st = XEN_DOM_DYING;
	else if (strcmp(buf, "gone") == 0)
		*st = XEN_DOM_GONE;
	else
		return EIO;
	return 0;
}

/* dom0's ring, if the test gave it one (DIR/dom0-port); else ENOENT. */
static int
xen_sim_dom0(struct xen *x, void **page, uint32_t *port)
{
	struct xen_sim	*s = x->priv;
	char		 path[PATH_MAX + 32], buf[16], *end;
	unsigned long	 n;
	ssize_t		 len;
	int		 fd;

	snprintf(path, sizeof path, "%s/dom0-port", s->dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return EINVAL;
	buf[len] = '\0';
	n = strtoul(buf, &end, 10);
	if (end == buf || (*end != '\0' && *end != '\n') || n == 0 ||
	    n > UINT32_MAX)
		return EINVAL;
	*port = (uint32_t)n;
	return xen_sim_map(x, 0, 0, page);
}

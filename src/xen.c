/*
 * xen.c - the daemon's one way to Xen: the backend chosen by --xen, thin
 * wrappers the rest of the daemon calls, and the event-channel handler.
 *
 * Backends are picked by name at start, as OpenSMTPD picks its queue
 * backend:
 *
 *	--xen=xen	the hypervisor, through libxenevtchn, libxengnttab and
 *			libxenctrl (xen-real.c); the default
 *	--xen=sim:DIR	a simulated Xen in directory DIR (xen-sim.c), where
 *			tests and demos act as guests over real ring pages
 *	--xen=none	socket clients only; nothing can be mapped or bound,
 *			so INTRODUCE fails as for a domain that does not exist;
 *			the state of a domain other than dom0 is unknown, so
 *			domains introduced earlier are kept, detached
 *
 * Every pending port is taken from the backend in one go when its
 * descriptor is readable, handed to the ring connection bound to it (or to
 * domain.c for VIRQ_DOM_EXC), then unmasked. A port stays masked while it
 * is handled, so an event the guest raises meanwhile is kept pending, once,
 * and seen again after the unmask: nothing is lost and a guest that
 * notifies without pause costs one pass per turn.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "xsdbd.h"

/* Ports taken per readable event before other events get a turn. */
#define XEN_PENDING_PER_EVENT	1024

static int	xen_none_open(struct xen *, const char *, char *, size_t);
static void	xen_none_close(struct xen *);
static int	xen_none_fd(struct xen *);
static int	xen_none_bind(struct xen *, unsigned int, uint32_t,
		    uint32_t *);
static int	xen_none_virq(struct xen *, uint32_t *);
static int	xen_none_port(struct xen *, uint32_t);
static int	xen_none_pending(struct xen *, uint32_t *);
static int	xen_none_map(struct xen *, unsigned int, uint64_t, void **);
static void	xen_none_unmap(struct xen *, unsigned int, void *);
static int	xen_none_state(struct xen *, unsigned int,
		    enum xen_domstate *);
static int	xen_none_dom0(struct xen *, void **, uint32_t *);
static const struct xen_ops *xen_lookup(const char *, const char **);
static void	xen_event(evutil_socket_t, short, void *);

/* No Xen: socket clients only. */
static const struct xen_ops xen_none_ops = {
	.name = "none",
	.open = xen_none_open,
	.close = xen_none_close,
	.evtchn_fd = xen_none_fd,
	.bind_interdomain = xen_none_bind,
	.bind_virq_dom_exc = xen_none_virq,
	.unbind = xen_none_port,
	.notify = xen_none_port,
	.pending = xen_none_pending,
	.unmask = xen_none_port,
	.map_ring = xen_none_map,
	.unmap_ring = xen_none_unmap,
	.domain_state = xen_none_state,
	.dom0_ring = xen_none_dom0,
};

/* Nothing to open. */
static int
xen_none_open(struct xen *x, const char *arg, char *err, size_t errlen)
{
	return 0;
}

/* Nothing to close. */
static void
xen_none_close(struct xen *x)
{
}

/* No event channels: nothing to wait for. */
static int
xen_none_fd(struct xen *x)
{
	return -1;
}

/* No guest can be bound. */
static int
xen_none_bind(struct xen *x, unsigned int domid, uint32_t remote,
    uint32_t *local)
{
	return EINVAL;
}

/* No VIRQ without Xen. */
static int
xen_none_virq(struct xen *x, uint32_t *local)
{
	return ENODEV;
}

/* No port exists. */
static int
xen_none_port(struct xen *x, uint32_t port)
{
	return EINVAL;
}

/* Nothing is ever pending. */
static int
xen_none_pending(struct xen *x, uint32_t *port)
{
	return EAGAIN;
}

/* No guest page can be mapped. */
static int
xen_none_map(struct xen *x, unsigned int domid, uint64_t mfn, void **page)
{
	return EINVAL;
}

/* Nothing was mapped. */
static void
xen_none_unmap(struct xen *x, unsigned int domid, void *page)
{
}

/*
 * dom0, the socket clients' domain, runs. Of any other domain nothing is
 * known, not even that it is gone (ENOSYS): a store whose domains were
 * introduced under a real or simulated Xen keeps them, detached, rather
 * than releasing them and their nodes.
 */
static int
xen_none_state(struct xen *x, unsigned int domid, enum xen_domstate *st)
{
	if (domid != 0)
		return ENOSYS;
	*st = XEN_DOM_RUNNING;
	return 0;
}

/* dom0 has no ring here. */
static int
xen_none_dom0(struct xen *x, void **page, uint32_t *port)
{
	return ENOENT;
}

/*
 * The backend a --xen value names, and its argument (after "sim:"), or
 * NULL if the value is not one.
 */
static const struct xen_ops *
xen_lookup(const char *spec, const char **arg)
{
	*arg = NULL;
	if (spec == NULL || strcmp(spec, "xen") == 0)
		return &xen_real_ops;
	if (strcmp(spec, "none") == 0)
		return &xen_none_ops;
	if (strncmp(spec, "sim:", 4) == 0 && spec[4] != '\0') {
		*arg = spec + 4;
		return &xen_sim_ops;
	}
	return NULL;
}

/* True if spec is a --xen value: xen, none or sim:DIR. */
bool
xen_spec_valid(const char *spec)
{
	const char	*arg;

	return xen_lookup(spec, &arg) != NULL;
}

/*
 * Open the backend spec names and bind VIRQ_DOM_EXC where it has one.
 * Returns 0, or an errno value with a sentence in err.
 */
int
xen_open(struct xsdbd *xd, const char *spec, char *err, size_t errlen)
{
	const struct xen_ops	*ops;
	const char		*arg;
	struct xen		*x;
	int			 rc, fd;

	if ((ops = xen_lookup(spec, &arg)) == NULL) {
		snprintf(err, errlen, "unknown Xen backend \"%s\" (xen, "
		    "sim:DIR or none)", spec);
		return EINVAL;
	}
	if ((x = calloc(1, sizeof *x)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	x->ops = ops;
	x->xd = xd;
	err[0] = '\0';
	if ((rc = ops->open(x, arg, err, errlen)) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot open the %s backend: %s",
			    ops->name, strerror(rc));
		free(x);
		return rc;
	}
	xd->xen = x;

	if ((fd = ops->evtchn_fd(x)) == -1)
		goto done;
	rc = ops->bind_virq_dom_exc(x, &x->virq_port);
	if (rc == 0)
		x->have_virq = true;
	else
		log_warnx("cannot bind VIRQ_DOM_EXC (%s): the death of a "
		    "domain is found only by RELEASE", strerror(rc));
	x->ev = event_new(xd->base, fd, EV_READ | EV_PERSIST, xen_event, x);
	if (x->ev == NULL || event_add(x->ev, NULL) != 0) {
		snprintf(err, errlen, "cannot watch the event channels");
		xen_close(xd);
		return ENOMEM;
	}
done:
	log_debug("Xen backend %s%s%s", ops->name, arg != NULL ? " in " : "",
	    arg != NULL ? arg : "");
	return 0;
}

/* Close the backend (after every ring connection is freed). */
void
xen_close(struct xsdbd *xd)
{
	struct xen	*x = xd->xen;

	conn_ring_fini(xd);
	if (x == NULL)
		return;
	if (x->ev != NULL)
		event_free(x->ev);
	if (x->have_virq)
		x->ops->unbind(x, x->virq_port);
	x->ops->close(x);
	free(x);
	xd->xen = NULL;
}

/* Name of the running backend. */
const char *
xen_backend(const struct xsdbd *xd)
{
	return xd->xen != NULL ? xd->xen->ops->name : "none";
}

/* True with domains to serve: real or simulated Xen, not --xen=none. */
bool
xen_has_domains(const struct xsdbd *xd)
{
	return xd->xen != NULL && xd->xen->ops != &xen_none_ops;
}

/* The event-channel descriptor is readable: handle every pending port. */
static void
xen_event(evutil_socket_t fd, short events, void *arg)
{
	struct xen	*x = arg;
	uint32_t	 port;
	int		 i, rc;

	for (i = 0; i < XEN_PENDING_PER_EVENT; i++) {
		rc = x->ops->pending(x, &port);
		if (rc == EAGAIN || rc == EINTR)
			return;
		if (rc != 0)
			fatalx("event channels: %s", strerror(rc));
		if (x->have_virq && port == x->virq_port)
			domain_dom_exc(x->xd);
		else
			conn_ring_event(x->xd, port);
		if ((rc = x->ops->unmask(x, port)) != 0)
			log_warnx("unmask port %u: %s", port, strerror(rc));
	}
}

/* Bind a local port to a guest's port. */
int
xen_bind(struct xsdbd *xd, unsigned int domid, uint32_t remote_port,
    uint32_t *local_port)
{
	if (xd->xen == NULL)
		return EINVAL;
	return xd->xen->ops->bind_interdomain(xd->xen, domid, remote_port,
	    local_port);
}

/* Release a local port. */
int
xen_unbind(struct xsdbd *xd, uint32_t local_port)
{
	if (xd->xen == NULL)
		return EINVAL;
	return xd->xen->ops->unbind(xd->xen, local_port);
}

/* Raise the event of a local port at its guest. */
int
xen_notify(struct xsdbd *xd, uint32_t local_port)
{
	if (xd->xen == NULL)
		return EINVAL;
	return xd->xen->ops->notify(xd->xen, local_port);
}

/* Map a guest's xenstore page. */
int
xen_map_ring(struct xsdbd *xd, unsigned int domid, uint64_t mfn,
    void **page)
{
	if (xd->xen == NULL)
		return EINVAL;
	return xd->xen->ops->map_ring(xd->xen, domid, mfn, page);
}

/* Unmap a page xen_map_ring mapped. */
void
xen_unmap_ring(struct xsdbd *xd, unsigned int domid, void *page)
{
	if (xd->xen != NULL && page != NULL)
		xd->xen->ops->unmap_ring(xd->xen, domid, page);
}

/* State of a domain. */
int
xen_domain_state(struct xsdbd *xd, unsigned int domid,
    enum xen_domstate *st)
{
	if (xd->xen == NULL)
		return xen_none_state(NULL, domid, st);
	return xd->xen->ops->domain_state(xd->xen, domid, st);
}

/* dom0's own ring page and event-channel port; ENOENT if it has none. */
int
xen_dom0_ring(struct xsdbd *xd, void **page, uint32_t *port)
{
	if (xd->xen == NULL)
		return ENOENT;
	return xd->xen->ops->dom0_ring(xd->xen, page, port);
}

/*
 * xen-real.c - the Xen backend (--xen=xen, the default): event channels
 * through libxenevtchn, guest pages through libxengnttab (grant reference
 * 1, GNTTAB_RESERVED_XENSTORE) with libxenctrl's foreign mapping of the
 * page frame given to INTRODUCE as the fallback, domain state through
 * libxenctrl, and dom0's own ring from /proc/xen/xsd_kva and
 * /proc/xen/xsd_port. This is the only file of xsdb that includes Xen
 * headers.
 *
 * On a host without Xen the event-channel device does not open: start-up
 * fails with a message that names --xen=none and --xen=sim:DIR.
 *
 * The event-channel descriptor is made non-blocking so that xen.c can
 * take every pending port in one go and stop at EAGAIN.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XC_WANT_COMPAT_MAP_FOREIGN_API
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xen/grant_table.h>

#include "xsdbd.h"

#define XEN_REAL_XSD_KVA	"/proc/xen/xsd_kva"
#define XEN_REAL_XSD_PORT	"/proc/xen/xsd_port"

/* How a page was mapped, to unmap it the same way. */
enum xen_real_how {
	XEN_REAL_GRANT,
	XEN_REAL_FOREIGN,
	XEN_REAL_KVA
};

/* A mapped page. */
struct xen_real_map {
	void			*page;
	enum xen_real_how	 how;
	struct xen_real_map	*next;
};

/* The backend's state. */
struct xen_real {
	xenevtchn_handle	*xce;
	xengnttab_handle	*xgt;	/* NULL: foreign mapping only */
	xc_interface		*xch;
	struct xen_real_map	*maps;
};

static int	xen_real_open(struct xen *, const char *, char *, size_t);
static void	xen_real_close(struct xen *);
static int	xen_real_fd(struct xen *);
static int	xen_real_bind(struct xen *, unsigned int, uint32_t,
		    uint32_t *);
static int	xen_real_virq(struct xen *, uint32_t *);
static int	xen_real_unbind(struct xen *, uint32_t);
static int	xen_real_notify(struct xen *, uint32_t);
static int	xen_real_pending(struct xen *, uint32_t *);
static int	xen_real_unmask(struct xen *, uint32_t);
static int	xen_real_map(struct xen *, unsigned int, uint64_t, void **);
static void	xen_real_unmap(struct xen *, unsigned int, void *);
static int	xen_real_state(struct xen *, unsigned int,
		    enum xen_domstate *);
static int	xen_real_dom0(struct xen *, void **, uint32_t *);
static int	xen_real_remember(struct xen_real *, void *,
		    enum xen_real_how);
static int	xen_real_errno(int);

const struct xen_ops xen_real_ops = {
	.name = "xen",
	.open = xen_real_open,
	.close = xen_real_close,
	.evtchn_fd = xen_real_fd,
	.bind_interdomain = xen_real_bind,
	.bind_virq_dom_exc = xen_real_virq,
	.unbind = xen_real_unbind,
	.notify = xen_real_notify,
	.pending = xen_real_pending,
	.unmask = xen_real_unmask,
	.map_ring = xen_real_map,
	.unmap_ring = xen_real_unmap,
	.domain_state = xen_real_state,
	.dom0_ring = xen_real_dom0,
};

/* errno after a failed library call, never 0. */
static int
xen_real_errno(int err)
{
	return err != 0 ? err : EIO;
}

/* Open the event-channel device, the grant device and the hypervisor. */
static int
xen_real_open(struct xen *x, const char *arg, char *err, size_t errlen)
{
	struct xen_real	*r;
	int		 rc, fd, fl;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return ENOMEM;
	errno = 0;
	if ((r->xce = xenevtchn_open(NULL, 0)) == NULL) {
		rc = xen_real_errno(errno);
		snprintf(err, errlen, "cannot open the Xen event-channel "
		    "device: %s; is this a Xen host? (--xen=none serves "
		    "socket clients only, --xen=sim:DIR simulates Xen)",
		    strerror(rc));
		goto fail;
	}
	errno = 0;
	if ((r->xch = xc_interface_open(NULL, NULL, 0)) == NULL) {
		rc = xen_real_errno(errno);
		snprintf(err, errlen, "cannot open the Xen hypervisor "
		    "interface: %s", strerror(rc));
		goto fail;
	}
	if ((r->xgt = xengnttab_open(NULL, 0)) == NULL)
		log_warn("cannot open the grant-table device: guest pages "
		    "are mapped by frame number only");
	else
		(void)xengnttab_set_max_grants(r->xgt, DOMID_FIRST_RESERVED);

	fd = xenevtchn_fd(r->xce);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		rc = errno;
		snprintf(err, errlen, "event-channel device: %s",
		    strerror(rc));
		goto fail;
	}
	x->priv = r;
	return 0;

fail:
	if (r->xgt != NULL)
		xengnttab_close(r->xgt);
	if (r->xch != NULL)
		xc_interface_close(r->xch);
	if (r->xce != NULL)
		xenevtchn_close(r->xce);
	free(r);
	return rc;
}

/* Unmap what is left and close the devices. */
static void
xen_real_close(struct xen *x)
{
	struct xen_real		*r = x->priv;
	struct xen_real_map	*m;

	if (r == NULL)
		return;
	while ((m = r->maps) != NULL)
		xen_real_unmap(x, 0, m->page);
	if (r->xgt != NULL)
		xengnttab_close(r->xgt);
	xc_interface_close(r->xch);
	xenevtchn_close(r->xce);
	free(r);
	x->priv = NULL;
}

/* The event-channel descriptor. */
static int
xen_real_fd(struct xen *x)
{
	struct xen_real	*r = x->priv;

	return xenevtchn_fd(r->xce);
}

/* Bind a local port to a guest's port. */
static int
xen_real_bind(struct xen *x, unsigned int domid, uint32_t remote,
    uint32_t *local)
{
	struct xen_real			*r = x->priv;
	xenevtchn_port_or_error_t	 p;

	errno = 0;
	if ((p = xenevtchn_bind_interdomain(r->xce, domid, remote)) == -1)
		return xen_real_errno(errno);
	*local = (uint32_t)p;
	return 0;
}

/* Bind VIRQ_DOM_EXC. */
static int
xen_real_virq(struct xen *x, uint32_t *local)
{
	struct xen_real			*r = x->priv;
	xenevtchn_port_or_error_t	 p;

	errno = 0;
	if ((p = xenevtchn_bind_virq(r->xce, VIRQ_DOM_EXC)) == -1)
		return xen_real_errno(errno);
	*local = (uint32_t)p;
	return 0;
}

/* Release a local port. */
static int
xen_real_unbind(struct xen *x, uint32_t local)
{
	struct xen_real	*r = x->priv;

	errno = 0;
	if (xenevtchn_unbind(r->xce, local) == -1)
		return xen_real_errno(errno);
	return 0;
}

/* Raise the event of a local port at its peer. */
static int
xen_real_notify(struct xen *x, uint32_t local)
{
	struct xen_real	*r = x->priv;

	errno = 0;
	if (xenevtchn_notify(r->xce, local) == -1)
		return xen_real_errno(errno);
	return 0;
}

/* The next pending port, masked until unmask; EAGAIN if none. */
static int
xen_real_pending(struct xen *x, uint32_t *local)
{
	struct xen_real			*r = x->priv;
	xenevtchn_port_or_error_t	 p;

	errno = 0;
	if ((p = xenevtchn_pending(r->xce)) == -1)
		return errno == EWOULDBLOCK ? EAGAIN : xen_real_errno(errno);
	*local = (uint32_t)p;
	return 0;
}

/* Unmask a port. */
static int
xen_real_unmask(struct xen *x, uint32_t local)
{
	struct xen_real	*r = x->priv;

	errno = 0;
	if (xenevtchn_unmask(r->xce, local) == -1)
		return xen_real_errno(errno);
	return 0;
}

/* Remember how a page was mapped. */
static int
xen_real_remember(struct xen_real *r, void *page, enum xen_real_how how)
{
	struct xen_real_map	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return ENOMEM;
	m->page = page;
	m->how = how;
	m->next = r->maps;
	r->maps = m;
	return 0;
}

/*
 * Map a guest's xenstore page: its reserved grant, else the frame mfn by
 * foreign mapping (if mfn is not 0).
 */
static int
xen_real_map(struct xen *x, unsigned int domid, uint64_t mfn, void **page)
{
	struct xen_real		*r = x->priv;
	enum xen_real_how	 how = XEN_REAL_GRANT;
	void			*p = NULL;
	int			 rc = EINVAL;

	if (r->xgt != NULL) {
		errno = 0;
		p = xengnttab_map_grant_ref(r->xgt, domid,
		    GNTTAB_RESERVED_XENSTORE, PROT_READ | PROT_WRITE);
		if (p == NULL)
			rc = xen_real_errno(errno);
	}
	if (p == NULL && mfn != 0) {
		how = XEN_REAL_FOREIGN;
		errno = 0;
		p = xc_map_foreign_range(r->xch, domid, XC_PAGE_SIZE,
		    PROT_READ | PROT_WRITE, (unsigned long)mfn);
		if (p == NULL)
			rc = xen_real_errno(errno);
	}
	if (p == NULL)
		return rc;
	if ((rc = xen_real_remember(r, p, how)) != 0) {
		if (how == XEN_REAL_GRANT)
			xengnttab_unmap(r->xgt, p, 1);
		else
			munmap(p, XC_PAGE_SIZE);
		return rc;
	}
	*page = p;
	return 0;
}

/* Unmap a page the way it was mapped. */
static void
xen_real_unmap(struct xen *x, unsigned int domid, void *page)
{
	struct xen_real		*r = x->priv;
	struct xen_real_map	**mp, *m;

	for (mp = &r->maps; (m = *mp) != NULL; mp = &m->next) {
		if (m->page == page)
			break;
	}
	if (m == NULL) {
		log_warnx("unmap of a page never mapped (domain %u)", domid);
		return;
	}
	*mp = m->next;
	if (m->how == XEN_REAL_GRANT)
		xengnttab_unmap(r->xgt, page, 1);
	else
		munmap(page, XC_PAGE_SIZE);
	free(m);
}

/* A domain's state from the hypervisor. */
static int
xen_real_state(struct xen *x, unsigned int domid, enum xen_domstate *st)
{
	struct xen_real	*r = x->priv;
	xc_domaininfo_t	 info;
	int		 n;

	errno = 0;
	n = xc_domain_getinfolist(r->xch, domid, 1, &info);
	if (n < 0)
		return xen_real_errno(errno);
	if (n == 0 || info.domain != domid)
		*st = XEN_DOM_GONE;
	else if (info.flags & XEN_DOMINF_dying)
		*st = XEN_DOM_DYING;
	else if (info.flags & XEN_DOMINF_shutdown)
		*st = XEN_DOM_SHUTDOWN;
	else
		*st = XEN_DOM_RUNNING;
	return 0;
}

/*
 * dom0's ring where this daemon serves it: the page of /proc/xen/xsd_kva
 * and the port in /proc/xen/xsd_port (dom0's side, to bind). ENOENT if
 * the kernel offers none.
 */
static int
xen_real_dom0(struct xen *x, void **page, uint32_t *port)
{
	struct xen_real	*r = x->priv;
	char		 buf[32], *end;
	unsigned long	 v;
	ssize_t		 n;
	void		*p;
	int		 fd, rc;

	if ((fd = open(XEN_REAL_XSD_PORT, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	n = read(fd, buf, sizeof buf - 1);
	rc = errno;
	close(fd);
	if (n < 0)
		return rc;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (end == buf || (*end != '\0' && *end != '\n') || errno != 0 ||
	    v == 0 || v > UINT32_MAX)
		return EINVAL;

	if ((fd = open(XEN_REAL_XSD_KVA, O_RDWR | O_CLOEXEC)) == -1)
		return errno;
	p = mmap(NULL, XC_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	rc = errno;
	close(fd);
	if (p == MAP_FAILED)
		return rc;
	if ((rc = xen_real_remember(r, p, XEN_REAL_KVA)) != 0) {
		munmap(p, XC_PAGE_SIZE);
		return rc;
	}
	*page = p;
	*port = (uint32_t)v;
	return 0;
}

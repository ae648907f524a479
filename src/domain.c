/*
 * domain.c - domains: GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED,
 * GET_FEATURE, SET_FEATURE.
 *
 * STUB: this file only lets the daemon link; the domain table is written
 * separately.
 */
#include "config.h"

#include <errno.h>

#include "xsdbd.h"

/* Set up the domain table. */
int
domain_init(struct xsdbd *xd)
{
	xd->domains = NULL;
	return 0;
}

/* Free the domain table. */
void
domain_free(struct xsdbd *xd)
{
	xd->domains = NULL;
}

/* GET_DOMAIN_PATH: not served by the stub. */
int
op_get_domain_path(struct request *req)
{
	return ENOSYS;
}

/* IS_DOMAIN_INTRODUCED: not served by the stub. */
int
op_is_domain_introduced(struct request *req)
{
	return ENOSYS;
}

/* GET_FEATURE: not served by the stub. */
int
op_get_feature(struct request *req)
{
	return ENOSYS;
}

/* SET_FEATURE: not served by the stub. */
int
op_set_feature(struct request *req)
{
	return ENOSYS;
}

/* INTRODUCE: comes with guest rings. */
int
op_introduce(struct request *req)
{
	return ENOSYS;
}

/* RELEASE: comes with guest rings. */
int
op_release(struct request *req)
{
	return ENOSYS;
}

/* RESUME: comes with guest rings. */
int
op_resume(struct request *req)
{
	return ENOSYS;
}

/* SET_TARGET: comes with guest rings. */
int
op_set_target(struct request *req)
{
	return ENOSYS;
}

/*
 * VIRQ_DOM_EXC fired: a domain shut down or died. STUB, so that xen.c
 * links until the domain table comes; it only logs.
 */
void
domain_dom_exc(struct xsdbd *xd)
{
	log_debug("VIRQ_DOM_EXC");
}

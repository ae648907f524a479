/*
 * quota.c - per-domain quotas: their settings from the command line,
 * GET_QUOTA and SET_QUOTA.
 *
 * STUB: only the settings are real here; the quota requests and checks
 * are written separately.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

static int	quota_number(const char *, unsigned int *);

/* The defaults of Xen's C xenstored 4.17. */
void
quota_defaults(struct quota *q)
{
	memset(q, 0, sizeof *q);
	q->entry_nb = 1000;
	q->entry_size = 2048;
	q->watch_nb = 128;
	q->transactions = 10;
	q->perm_nb = 5;
	q->path_max = XS_REL_PATH_MAX;
	q->txn_nodes = 1024;
	q->memory = 2 * 1024 * 1024 + 512 * 1024;
	q->memory_soft = 2 * 1024 * 1024;
	q->outstanding = 20;
	q->watch_event_timeout = 20;
}

/* Parse a non-negative decimal number that fits an unsigned int. */
static int
quota_number(const char *s, unsigned int *out)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT_MAX)
		return EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* Parse "-Q what=nb" (soft false) or "-q what=nb" (soft true). */
int
quota_option(struct quota *q, const char *arg, bool soft)
{
	const char	*eq;
	size_t		 n;
	unsigned int	 v;

	if ((eq = strchr(arg, '=')) == NULL)
		return EINVAL;
	n = (size_t)(eq - arg);
	if (quota_number(eq + 1, &v) != 0)
		return EINVAL;
	if (soft) {
		if (n == 6 && strncmp(arg, "memory", n) == 0) {
			q->memory_soft = v;
			return 0;
		}
		return EINVAL;
	}
	if (n == 17 && strncmp(arg, "transaction-nodes", n) == 0)
		q->txn_nodes = v;
	else if (n == 6 && strncmp(arg, "memory", n) == 0)
		q->memory = v;
	else if (n == 11 && strncmp(arg, "outstanding", n) == 0)
		q->outstanding = v;
	else
		return EINVAL;
	return 0;
}

/* Parse "-w what=seconds". */
int
quota_timeout_option(struct quota *q, const char *arg)
{
	const char	*eq;
	unsigned int	 v;

	if ((eq = strchr(arg, '=')) == NULL)
		return EINVAL;
	if (quota_number(eq + 1, &v) != 0)
		return EINVAL;
	if ((size_t)(eq - arg) == 11 && strncmp(arg, "watch-event", 11) == 0) {
		q->watch_event_timeout = v;
		return 0;
	}
	return EINVAL;
}

/* GET_QUOTA: not served by the stub. */
int
op_get_quota(struct request *req)
{
	return ENOSYS;
}

/* SET_QUOTA: not served by the stub. */
int
op_set_quota(struct request *req)
{
	return ENOSYS;
}

/*
 * May the request write a value of vlen bytes at path (old is the node
 * there, or NULL)? Returns 0 or ENOSPC. Privileged connections have no
 * quota.
 */
int
quota_check_write(struct request *req, const char *path,
    const struct store_node *old, uint32_t vlen)
{
	return 0;
}

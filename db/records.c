/*
 * records.c - the records the daemon keeps in STORE_TABLE_DOMAINS and
 * STORE_TABLE_WATCHES, encoded and decoded in one place so that the
 * daemon and the offline tools read them alike.
 *
 * Integers are in host byte order (the store never leaves its host) and
 * are read and written with memcpy: LMDB gives no alignment.
 *
 * A domain record, keyed by the domid:
 *
 *	offset	size
 *	0	4	version (STORE_DOMAIN_RECORD_VERSION)
 *	4	4	domid
 *	8	8	mfn of the ring, as INTRODUCE gave it
 *	16	4	the guest's event channel port
 *	20	4	the daemon's port bound to it
 *	24	4	features offered (XS_FEATURE_*)
 *	28	4	target (SET_TARGET), STORE_DOMAIN_NO_TARGET if none
 *	32	4	flags (STORE_DOMAIN_*)
 *	36	4	zero
 *	40	8	store generation from which it is known
 *	48	4	n, the number of quota values that follow
 *	52	4 * n	quota values in enum store_quota order
 *
 * Bytes after the quotas are ignored, and so are quotas beyond those
 * this build knows: a later version may add fields at the end.
 *
 * A watch record, keyed by STORE_WATCH_KEY(domid, number):
 *
 *	0	4	version (STORE_WATCH_RECORD_VERSION)
 *	4	4	depth + 1 (0: no depth limit)
 *	8	...	the path as the client gave it, NUL-terminated
 *	...	...	the token, NUL-terminated
 *
 * Bytes after the token's NUL are ignored.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "store.h"

#define DOMAIN_HEAD	52
#define WATCH_HEAD	8

static void	 store_rec_put32(unsigned char *, size_t, uint32_t);
static uint32_t	 store_rec_get32(const unsigned char *, size_t);

/* The names of the quotas, in enum store_quota order (GET_QUOTA's). */
static const char *const store_quota_names[STORE_QUOTA_COUNT] = {
	"nodes",
	"node-size",
	"watches",
	"transactions",
	"permissions",
	"path-max",
	"transaction-nodes",
	"memory",
	"soft-memory",
	"outstanding",
	"watch-event"
};

/* Put a 32-bit value at off. */
static void
store_rec_put32(unsigned char *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

/* The 32-bit value at off. */
static uint32_t
store_rec_get32(const unsigned char *p, size_t off)
{
	uint32_t	v;

	memcpy(&v, p + off, 4);
	return (v);
}

/* Name of quota i (enum store_quota), or NULL. */
const char *
store_quota_name(unsigned int i)
{
	if (i >= STORE_QUOTA_COUNT)
		return (NULL);
	return (store_quota_names[i]);
}

/* Encode a domain record into buf. */
size_t
store_domain_record_encode(const struct store_domain_record *r, void *buf,
    size_t size)
{
	unsigned char	*p = buf;
	size_t		 len, i;

	if (r->nquota > STORE_QUOTA_COUNT)
		return (0);
	len = DOMAIN_HEAD + (size_t)r->nquota * 4;
	if (size < len)
		return (0);
	memset(p, 0, DOMAIN_HEAD);
	store_rec_put32(p, 0, STORE_DOMAIN_RECORD_VERSION);
	store_rec_put32(p, 4, r->domid);
	memcpy(p + 8, &r->mfn, 8);
	store_rec_put32(p, 16, r->remote_port);
	store_rec_put32(p, 20, r->local_port);
	store_rec_put32(p, 24, r->features);
	store_rec_put32(p, 28, r->target);
	store_rec_put32(p, 32, r->flags);
	memcpy(p + 40, &r->gen, 8);
	store_rec_put32(p, 48, r->nquota);
	for (i = 0; i < r->nquota; i++)
		store_rec_put32(p, DOMAIN_HEAD + 4 * i, r->quota[i]);
	return (len);
}

/* Decode a domain record. */
int
store_domain_record_decode(const void *val, size_t len,
    struct store_domain_record *r)
{
	const unsigned char	*p = val;
	uint32_t		 nq, i;

	memset(r, 0, sizeof *r);
	if (len < DOMAIN_HEAD || (store_rec_get32(p, 0) !=
	    STORE_DOMAIN_RECORD_VERSION && store_rec_get32(p, 0) != 1))
		return (EINVAL);
	nq = store_rec_get32(p, 48);
	if (nq > (len - DOMAIN_HEAD) / 4)
		return (EINVAL);
	r->domid = store_rec_get32(p, 4);
	memcpy(&r->mfn, p + 8, 8);
	r->remote_port = store_rec_get32(p, 16);
	r->local_port = store_rec_get32(p, 20);
	r->features = store_rec_get32(p, 24);
	r->target = store_rec_get32(p, 28);
	r->flags = store_rec_get32(p, 32);
	/*
	 * Version 1 held the generation of the INTRODUCE: a domain known
	 * since then was known from the start, as far as anyone can tell.
	 */
	if (store_rec_get32(p, 0) == 1)
		r->gen = 0;
	else
		memcpy(&r->gen, p + 40, 8);
	r->nquota = nq < STORE_QUOTA_COUNT ? nq : STORE_QUOTA_COUNT;
	for (i = 0; i < r->nquota; i++)
		r->quota[i] = store_rec_get32(p, DOMAIN_HEAD + 4 * i);
	return (0);
}

/* Encode a watch record into buf. */
size_t
store_watch_record_encode(const struct store_watch_record *r, void *buf,
    size_t size)
{
	unsigned char	*p = buf;
	size_t		 plen, tlen;

	if (r->path == NULL || r->token == NULL || r->path[0] == '\0' ||
	    r->depth < -1 || r->depth == INT_MAX)
		return (0);
	plen = strlen(r->path) + 1;
	tlen = strlen(r->token) + 1;
	if (size < WATCH_HEAD || plen + tlen > size - WATCH_HEAD)
		return (0);
	store_rec_put32(p, 0, STORE_WATCH_RECORD_VERSION);
	store_rec_put32(p, 4, (uint32_t)(r->depth + 1));
	memcpy(p + WATCH_HEAD, r->path, plen);
	memcpy(p + WATCH_HEAD + plen, r->token, tlen);
	return (WATCH_HEAD + plen + tlen);
}

/* Decode a watch record; path and token point into val. */
int
store_watch_record_decode(const void *val, size_t len,
    struct store_watch_record *r)
{
	const unsigned char	*p = val;
	const char		*path, *end;
	uint32_t		 depth1;

	memset(r, 0, sizeof *r);
	if (len < WATCH_HEAD + 3 ||
	    store_rec_get32(p, 0) != STORE_WATCH_RECORD_VERSION)
		return (EINVAL);
	depth1 = store_rec_get32(p, 4);
	if (depth1 > INT_MAX)
		return (EINVAL);
	path = (const char *)p + WATCH_HEAD;
	if ((end = memchr(path, '\0', len - WATCH_HEAD)) == NULL ||
	    end == path)
		return (EINVAL);
	r->token = end + 1;
	if (memchr(r->token, '\0', len - WATCH_HEAD -
	    (size_t)(r->token - path)) == NULL)
		return (EINVAL);
	r->path = path;
	r->depth = (int)depth1 - 1;
	return (0);
}

/*
 * record.c - node records and node keys.
 *
 * A node record, integers in host byte order, read and written with
 * memcpy because LMDB gives no alignment:
 *
 *	offset	size
 *	0	1	version (STORE_REC_VERSION)
 *	1	1	flags (STORE_REC_LONG)
 *	2	2	zero
 *	4	4	nperms
 *	8	8	id
 *	16	8	gen
 *	24	8	cgen
 *	32	4	nchildren
 *	36	4	childbytes
 *	40	4	vlen
 *	44	5 * nperms	perms: domid (4), access (1)
 *	...	vlen	value
 *	...	rest	the full path, only with STORE_REC_LONG
 *
 * A record is decoded exactly: a length that does not add up, an unknown
 * version or flag, or an access outside n/r/w/b makes it undecodable.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

#define REC_HEADER	44

/* 64-bit FNV-1a of a path: cheap, and spreads paths well enough. */
uint64_t
store_fnv(const char *path, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)path[i];
		h *= 0x100000001b3ULL;
	}
	return (h ^ (h >> 29));
}

/*
 * The hash in a long key. A test build keeps only its low bits so that
 * long paths collide (STORE_TEST_HASH_BITS).
 */
uint64_t
store_path_hash(const char *path, size_t len)
{
	uint64_t	h = store_fnv(path, len);

#if STORE_TEST_HASH_BITS > 0
	h &= (1ULL << STORE_TEST_HASH_BITS) - 1;
#endif
	return (h);
}

/* Length of the parent of a path ("/a/b" -> 2, "/a" -> 1, "/" -> 0). */
size_t
store_parent_len(const char *path, size_t len)
{
	size_t	i;

	if (len <= 1)
		return (0);
	for (i = len - 1; i > 0; i--) {
		if (path[i] == '/')
			return (i);
	}
	return (1);
}

/* Offset of the last component of a path ("/a/b" -> 3, "/" -> 1). */
size_t
store_name_off(const char *path, size_t len)
{
	size_t	i;

	for (i = len; i > 0; i--) {
		if (path[i - 1] == '/')
			return (i);
	}
	return (0);
}

/* True if a path of this length needs a long key. */
bool
store_key_is_long(const struct store *s, size_t len)
{
	return (len > s->max_key);
}

/*
 * Build the key of a path into key (STORE_KEY_MAX bytes); seq is the
 * collision sequence of a long key. Returns the key length.
 */
size_t
store_key_make(const struct store *s, const char *path, size_t len,
    uint16_t seq, unsigned char *key)
{
	uint64_t	h;

	if (!store_key_is_long(s, len)) {
		memcpy(key, path, len);
		return (len);
	}
	memcpy(key, path, STORE_LONG_PREFIX);
	key[STORE_LONG_PREFIX] = STORE_LONG_MARK;
	h = store_path_hash(path, len);
	store_put_be64(key + STORE_LONG_PREFIX + 1, h);
	key[STORE_LONG_PREFIX + 9] = seq >> 8;
	key[STORE_LONG_PREFIX + 10] = seq & 0xff;
	return (STORE_KEY_MAX);
}

/* Make room for n permission entries in a node's own buffer. */
int
store_nrec_perms_reserve(struct store_nrec *nr, uint32_t n)
{
	struct xs_perm	*p;
	uint32_t	 cap;

	if (n <= nr->pcap && nr->pbuf != NULL)
		return (0);
	cap = nr->pcap == 0 ? 8 : nr->pcap;
	while (cap < n)
		cap *= 2;
	p = reallocarray(nr->pbuf, cap, sizeof *p);
	if (p == NULL)
		return (ENOMEM);
	nr->pbuf = p;
	nr->pcap = cap;
	return (0);
}

/* Free what a scratch node owns. */
void
store_nrec_free(struct store_nrec *nr)
{
	free(nr->pbuf);
	memset(nr, 0, sizeof *nr);
}

/* Bytes a node counts against its owner (store.h, struct store_usage). */
uint64_t
store_usage_bytes(uint32_t vlen, uint32_t nperms, size_t namelen)
{
	return ((uint64_t)vlen + (uint64_t)nperms * STORE_PERM_BYTES +
	    namelen + 1);
}

/*
 * Decode a record into nr; the value points into val. With path given,
 * *path and *plen are the full path of a long-key record (NULL and 0 for
 * a short one). Returns 0, EBADMSG (undecodable) or ENOMEM.
 */
int
store_rec_decode(const MDB_val *val, struct store_nrec *nr,
    const char **path, size_t *plen)
{
	const unsigned char	*p = val->mv_data;
	size_t			 size = val->mv_size, need, rest;
	uint32_t		 i, domid;
	int			 error;

	if (size < REC_HEADER || p[0] != STORE_REC_VERSION ||
	    (p[1] & ~STORE_REC_LONG) != 0 || p[2] != 0 || p[3] != 0)
		return (EBADMSG);
	memcpy(&nr->nperms, p + 4, 4);
	memcpy(&nr->id, p + 8, 8);
	memcpy(&nr->gen, p + 16, 8);
	memcpy(&nr->cgen, p + 24, 8);
	memcpy(&nr->nchildren, p + 32, 4);
	memcpy(&nr->childbytes, p + 36, 4);
	memcpy(&nr->vlen, p + 40, 4);
	if (nr->nperms == 0 || nr->nperms > (size - REC_HEADER) /
	    STORE_PERM_BYTES)
		return (EBADMSG);
	need = REC_HEADER + (size_t)nr->nperms * STORE_PERM_BYTES;
	if (nr->vlen > size - need)
		return (EBADMSG);
	need += nr->vlen;
	rest = size - need;
	if ((p[1] & STORE_REC_LONG) ? rest == 0 : rest != 0)
		return (EBADMSG);

	if ((error = store_nrec_perms_reserve(nr, nr->nperms)) != 0)
		return (error);
	for (i = 0; i < nr->nperms; i++) {
		memcpy(&domid, p + REC_HEADER + i * STORE_PERM_BYTES, 4);
		nr->pbuf[i].domid = domid;
		nr->pbuf[i].access = p[REC_HEADER + i * STORE_PERM_BYTES + 4];
		if (!store_perm_access_ok(i, nr->pbuf[i].access))
			return (EBADMSG);
	}
	nr->perms = nr->pbuf;
	nr->value = p + REC_HEADER + (size_t)nr->nperms * STORE_PERM_BYTES;
	if (path != NULL) {
		*path = rest != 0 ? (const char *)p + need : NULL;
		*plen = rest;
	}
	return (0);
}

/*
 * Encode nr into buf and point out at it; a long-key record also carries
 * path. Returns 0 or ENOMEM.
 */
int
store_rec_encode(struct store_buf *buf, const struct store_nrec *nr,
    const char *path, size_t plen, bool longkey, MDB_val *out)
{
	unsigned char	*p;
	size_t		 size;
	uint32_t	 i;
	int		 error;

	size = REC_HEADER + (size_t)nr->nperms * STORE_PERM_BYTES + nr->vlen;
	if (longkey)
		size += plen;
	if ((error = store_buf_reserve(buf, size)) != 0)
		return (error);
	p = buf->data;
	p[0] = STORE_REC_VERSION;
	p[1] = longkey ? STORE_REC_LONG : 0;
	p[2] = p[3] = 0;
	memcpy(p + 4, &nr->nperms, 4);
	memcpy(p + 8, &nr->id, 8);
	memcpy(p + 16, &nr->gen, 8);
	memcpy(p + 24, &nr->cgen, 8);
	memcpy(p + 32, &nr->nchildren, 4);
	memcpy(p + 36, &nr->childbytes, 4);
	memcpy(p + 40, &nr->vlen, 4);
	p += REC_HEADER;
	for (i = 0; i < nr->nperms; i++) {
		memcpy(p, &nr->perms[i].domid, 4);
		p[4] = nr->perms[i].access;
		p += STORE_PERM_BYTES;
	}
	if (nr->vlen != 0)
		memcpy(p, nr->value, nr->vlen);
	p += nr->vlen;
	if (longkey)
		memcpy(p, path, plen);
	out->mv_data = buf->data;
	out->mv_size = size;
	return (0);
}

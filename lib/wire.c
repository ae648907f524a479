/*
 * wire.c - xenstore message framing: type and error name tables, header
 * encoding, payload splitting and message building.
 *
 * A message is a 16-byte header of four host-endian uint32 (type, req_id,
 * tx_id, len) followed by len bytes of payload, len <= 4096
 * (XENSTORE_PAYLOAD_MAX). A longer length is a protocol violation: the
 * reference daemon (C xenstored 4.17) drops the connection without a reply
 * when it sees a header with len 4097, so xs_wire_header_decode answers
 * E2BIG and the caller must end the connection.
 *
 * Payloads are strings, each ended by a NUL. Splitting is strict: every
 * field must be terminated, nothing may follow the last terminator, and
 * the number of fields is bounded by the caller. For example, with room
 * for two fields:
 *
 *	"/a\0tok\0"	two fields, "/a" and "tok"
 *	"/a\0\0"	two fields, "/a" and ""
 *	"/a\0tok"	EINVAL: "tok" is not terminated
 *	"/a\0t\0x\0"	EINVAL: three fields
 *	""		EINVAL: nothing at all
 *
 * (Xen 4.17 is looser: it ignores unterminated trailing bytes, so that
 * SET_PERMS "/p\0r5\0xx" succeeds there. Here it is EINVAL.)
 *
 * WRITE is the exception: "path\0" followed by raw value bytes that may hold
 * NULs, taken apart by xs_wire_split_first.
 *
 * Errors travel as their names with a NUL ("ENOENT\0") in an ERROR (16)
 * reply. The set is xs_wire.h's xsd_errors table; an errno outside it
 * travels as "EINVAL", as Xen's daemon sends it.
 */
#include <errno.h>
#include <string.h>

#include "xs.h"

/* Names of the message types, indexed by number (xs_wire.h). */
static const char *const xs_wire_type_names[XS_TYPE_COUNT] = {
	[XS_CONTROL] = "CONTROL",
	[XS_DIRECTORY] = "DIRECTORY",
	[XS_READ] = "READ",
	[XS_GET_PERMS] = "GET_PERMS",
	[XS_WATCH] = "WATCH",
	[XS_UNWATCH] = "UNWATCH",
	[XS_TRANSACTION_START] = "TRANSACTION_START",
	[XS_TRANSACTION_END] = "TRANSACTION_END",
	[XS_INTRODUCE] = "INTRODUCE",
	[XS_RELEASE] = "RELEASE",
	[XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	[XS_WRITE] = "WRITE",
	[XS_MKDIR] = "MKDIR",
	[XS_RM] = "RM",
	[XS_SET_PERMS] = "SET_PERMS",
	[XS_WATCH_EVENT] = "WATCH_EVENT",
	[XS_ERROR] = "ERROR",
	[XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
	[XS_RESUME] = "RESUME",
	[XS_SET_TARGET] = "SET_TARGET",
	[XS_RESTRICT] = "RESTRICT",
	[XS_RESET_WATCHES] = "RESET_WATCHES",
	[XS_DIRECTORY_PART] = "DIRECTORY_PART",
	[XS_GET_FEATURE] = "GET_FEATURE",
	[XS_SET_FEATURE] = "SET_FEATURE",
	[XS_GET_QUOTA] = "GET_QUOTA",
	[XS_SET_QUOTA] = "SET_QUOTA",
};

/* The errors that have a wire name, in xs_wire.h's order. */
static const struct {
	int		 err;
	const char	*name;
} xs_wire_errors[] = {
	{ EINVAL, "EINVAL" },
	{ EACCES, "EACCES" },
	{ EEXIST, "EEXIST" },
	{ EISDIR, "EISDIR" },
	{ ENOENT, "ENOENT" },
	{ ENOMEM, "ENOMEM" },
	{ ENOSPC, "ENOSPC" },
	{ EIO, "EIO" },
	{ ENOTEMPTY, "ENOTEMPTY" },
	{ ENOSYS, "ENOSYS" },
	{ EROFS, "EROFS" },
	{ EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" },
	{ EISCONN, "EISCONN" },
	{ E2BIG, "E2BIG" },
	{ EPERM, "EPERM" },
};

#define XS_WIRE_NERRORS	(sizeof xs_wire_errors / sizeof xs_wire_errors[0])

/* Name of a message type, or NULL. */
const char *
xs_wire_type_name(uint32_t type)
{
	if (type < XS_TYPE_COUNT)
		return (xs_wire_type_names[type]);
	if (type == XS_INVALID)
		return ("INVALID");
	return (NULL);
}

/* Type number for a name; DEBUG is the old name of CONTROL. */
int
xs_wire_type_from_name(const char *name)
{
	unsigned int	i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < XS_TYPE_COUNT; i++) {
		if (strcmp(name, xs_wire_type_names[i]) == 0)
			return ((int)i);
	}
	if (strcmp(name, "DEBUG") == 0)
		return (XS_CONTROL);
	if (strcmp(name, "INVALID") == 0)
		return (XS_INVALID);
	return (-1);
}

/* True for the types a server answers as requests. */
bool
xs_wire_type_is_request(uint32_t type)
{
	if (type >= XS_TYPE_COUNT)
		return (false);
	switch (type) {
	case XS_WATCH_EVENT:
	case XS_ERROR:
	case XS_RESTRICT:
		return (false);
	default:
		return (true);
	}
}

/* Wire name of an errno value; unknown ones travel as EINVAL. */
const char *
xs_wire_error_name(int err)
{
	size_t	i;

	for (i = 0; i < XS_WIRE_NERRORS; i++) {
		if (xs_wire_errors[i].err == err)
			return (xs_wire_errors[i].name);
	}
	return ("EINVAL");
}

/* Errno value for a wire name, or 0. */
int
xs_wire_error_from_name(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (0);
	for (i = 0; i < XS_WIRE_NERRORS; i++) {
		if (strcmp(name, xs_wire_errors[i].name) == 0)
			return (xs_wire_errors[i].err);
	}
	return (0);
}

/* Decode a header; a length over the payload limit is E2BIG. */
int
xs_wire_header_decode(const void *buf, struct xs_header *h)
{
	uint32_t	w[4];

	memcpy(w, buf, sizeof w);
	h->type = w[0];
	h->req_id = w[1];
	h->tx_id = w[2];
	h->len = w[3];
	if (h->len > XS_PAYLOAD_MAX)
		return (E2BIG);
	return (0);
}

/* Encode a header into 16 bytes. */
void
xs_wire_header_encode(void *buf, const struct xs_header *h)
{
	uint32_t	w[4];

	w[0] = h->type;
	w[1] = h->req_id;
	w[2] = h->tx_id;
	w[3] = h->len;
	memcpy(buf, w, sizeof w);
}

/* Split a payload of nul-terminated strings, strictly. */
int
xs_wire_split(const void *payload, uint32_t len, const char **fields,
    unsigned int max, unsigned int *nfields)
{
	const char	*p = payload, *end, *nul;
	unsigned int	 n = 0;

	*nfields = 0;
	if (payload == NULL || len == 0)
		return (EINVAL);
	end = p + len;
	while (p < end) {
		nul = memchr(p, '\0', end - p);
		if (nul == NULL)
			return (EINVAL);
		if (n == max)
			return (EINVAL);
		fields[n++] = p;
		p = nul + 1;
	}
	*nfields = n;
	return (0);
}

/* Split "string\0rest" where rest is raw bytes. */
int
xs_wire_split_first(const void *payload, uint32_t len, const char **first,
    const void **rest, uint32_t *restlen)
{
	const char	*p = payload, *nul;

	if (payload == NULL || len == 0)
		return (EINVAL);
	nul = memchr(p, '\0', len);
	if (nul == NULL)
		return (EINVAL);
	*first = p;
	*rest = nul + 1;
	*restlen = len - (uint32_t)(nul + 1 - p);
	return (0);
}

/* Count the NUL-terminated strings in a payload. */
unsigned int
xs_wire_count_strings(const void *payload, uint32_t len)
{
	const char	*p = payload;
	unsigned int	 n = 0;
	uint32_t	 i;

	if (payload == NULL)
		return (0);
	for (i = 0; i < len; i++) {
		if (p[i] == '\0')
			n++;
	}
	return (n);
}

/* Build header and payload into out; 0 if the payload is too long. */
size_t
xs_wire_build(void *out, uint32_t type, uint32_t req_id, uint32_t tx_id,
    const void *payload, uint32_t len)
{
	struct xs_header	h;

	if (len > XS_PAYLOAD_MAX || (len != 0 && payload == NULL))
		return (0);
	h.type = type;
	h.req_id = req_id;
	h.tx_id = tx_id;
	h.len = len;
	xs_wire_header_encode(out, &h);
	if (len != 0)
		memcpy((char *)out + XS_HEADER_SIZE, payload, len);
	return (XS_HEADER_SIZE + (size_t)len);
}

/* Build an ERROR reply naming err. */
size_t
xs_wire_build_error(void *out, uint32_t req_id, uint32_t tx_id, int err)
{
	const char	*name = xs_wire_error_name(err);

	return (xs_wire_build(out, XS_ERROR, req_id, tx_id, name,
	    (uint32_t)strlen(name) + 1));
}

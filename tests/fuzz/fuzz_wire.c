/*
 * fuzz_wire.c - a libFuzzer target for what the daemon runs on a request
 * before any handler sees it: the header (lib/wire.c), the splitting of
 * the payload into fields, path rules (lib/path.c) and permission lists
 * (lib/perm.c), all of which a guest feeds with bytes of its choice.
 *
 * The input is a 16-byte header, two bytes of a domid (the requester,
 * for relative paths) and the payload: the rest, at most 4096 bytes.
 * Every piece handed to the library is a heap copy of exactly its size,
 * so AddressSanitizer sees any read past it. Checked:
 *
 *	- the header decodes to its four words, E2BIG exactly when the
 *	  length is over 4096, and encodes back to the same bytes; type
 *	  names and error names go back to their numbers;
 *	- a split succeeds exactly when the payload is made of terminated
 *	  strings, no more than asked for; its fields follow each other in
 *	  the payload and never extend past it; the first-string split
 *	  leaves exactly the bytes after the first NUL;
 *	- each string as a path: canonicalization agrees with the check,
 *	  keeps an absolute or special path as it is and puts a relative one
 *	  under the domain's home, where its length counts for the path
 *	  quota as it was given; the parent of a valid path is valid, holds
 *	  it, and is one level up;
 *	- each string as a permission entry, and the strings after the
 *	  first as a SET_PERMS list: what parses formats back to text that
 *	  parses the same, within the list quota exactly when short enough,
 *	  and the owner has every right;
 *	- a message built from the header and payload decodes back to them.
 *
 * Build (tests/fuzz-wire.sh does it when clang is there):
 *	clang -fsanitize=fuzzer,address,undefined -Ilib \
 *	    tests/fuzz/fuzz_wire.c lib/wire.c lib/path.c lib/perm.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

#define FUZZ_STRINGS_MAX	64	/* strings of a payload looked at */
#define FUZZ_DOMID_MAX		0x7fefU

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_check(int, const char *);
static void	*fuzz_copy(const void *, size_t);
static void	fuzz_header(const uint8_t *, const char *, uint32_t);
static void	fuzz_split(const char *, uint32_t);
static void	fuzz_path(const char *, unsigned int);
static void	fuzz_parent(const char *);
static void	fuzz_perm(const char *);
static void	fuzz_perm_list(const char *, uint32_t, unsigned int);
static void	fuzz_error_name(const char *);

/* Stop the run on a broken promise. */
static void
fuzz_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_wire: %s\n", what);
		abort();
	}
}

/* A heap copy of exactly len bytes (one byte if len is 0). */
static void *
fuzz_copy(const void *p, size_t len)
{
	void	*c;

	if ((c = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

/* The header: decode, encode, names; the message built again. */
static void
fuzz_header(const uint8_t *raw, const char *payload, uint32_t len)
{
	static unsigned char	 msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	unsigned char		*hb, back[XS_HEADER_SIZE];
	struct xs_header	 h, h2;
	const char		*name;
	uint32_t		 w[4];
	size_t			 n;
	int			 rc;

	hb = fuzz_copy(raw, XS_HEADER_SIZE);
	rc = xs_wire_header_decode(hb, &h);
	memcpy(w, raw, sizeof w);
	fuzz_check(h.type == w[0] && h.req_id == w[1] && h.tx_id == w[2] &&
	    h.len == w[3], "a header decodes to other words");
	fuzz_check(rc == (h.len > XS_PAYLOAD_MAX ? E2BIG : 0),
	    "a header length is judged wrongly");
	xs_wire_header_encode(back, &h);
	fuzz_check(memcmp(back, raw, XS_HEADER_SIZE) == 0,
	    "a header encodes to other bytes");
	free(hb);

	if ((name = xs_wire_type_name(h.type)) != NULL)
		fuzz_check(xs_wire_type_from_name(name) == (int)h.type,
		    "a type name names another type");
	fuzz_check(xs_wire_type_is_request(h.type) ==
	    (h.type < XS_TYPE_COUNT && h.type != XS_WATCH_EVENT &&
	    h.type != XS_ERROR && h.type != XS_RESTRICT),
	    "a type is taken for a request wrongly");

	n = xs_wire_build(msg, h.type, h.req_id, h.tx_id, payload, len);
	fuzz_check(n == XS_HEADER_SIZE + (size_t)len,
	    "a message is built to another length");
	fuzz_check(xs_wire_header_decode(msg, &h2) == 0 &&
	    h2.type == h.type && h2.req_id == h.req_id &&
	    h2.tx_id == h.tx_id && h2.len == len &&
	    memcmp(msg + XS_HEADER_SIZE, payload, len) == 0,
	    "a message built does not decode back");
}

/* The payload split into strings, and into a string and the rest. */
static void
fuzz_split(const char *p, uint32_t len)
{
	static const char	*fields[XS_PERMS_MAX + 1];
	static const unsigned int maxes[] = { 1, 2, 3, XS_PERMS_MAX };
	const char		*first, *next;
	const void		*rest;
	uint32_t		 restlen;
	unsigned int		 count, nf, i, k;
	bool			 whole;
	size_t			 flen;
	int			 rc;

	count = xs_wire_count_strings(p, len);
	whole = len > 0 && p[len - 1] == '\0';
	for (k = 0; k < sizeof maxes / sizeof maxes[0]; k++) {
		rc = xs_wire_split(p, len, fields, maxes[k], &nf);
		fuzz_check((rc == 0) == (whole && count <= maxes[k]),
		    "a split succeeds when it should not, or fails when it "
		    "should not");
		if (rc != 0) {
			fuzz_check(rc == EINVAL && nf == 0,
			    "a failed split gives fields");
			continue;
		}
		fuzz_check(nf == count && nf >= 1 && nf <= maxes[k],
		    "a split gives another number of fields");
		next = p;
		for (i = 0; i < nf; i++) {
			fuzz_check(fields[i] == next,
			    "a field is not where the previous one ends");
			flen = strnlen(fields[i], (size_t)(p + len - next));
			fuzz_check(fields[i] + flen < p + len,
			    "a field extends past the payload");
			next = fields[i] + flen + 1;
		}
		fuzz_check(next == p + len,
		    "the fields do not end with the payload");
	}

	rc = xs_wire_split_first(p, len, &first, &rest, &restlen);
	fuzz_check((rc == 0) == (count > 0),
	    "a first-string split is judged wrongly");
	if (rc == 0) {
		flen = strlen(first);
		fuzz_check(first == p && (const char *)rest == p + flen + 1 &&
		    restlen == len - flen - 1,
		    "the rest of a first-string split is not what follows");
	}
}

/* One string as a path of a request of domid. */
static void
fuzz_path(const char *s, unsigned int domid)
{
	static const int	 flags[] = { 0, XS_PATH_SPECIAL };
	char			 out[XS_ABS_PATH_MAX + 1], home[64];
	const char		*rel;
	size_t			 hlen, slen = strlen(s);
	unsigned int		 k;
	int			 rc, chk;

	fuzz_check(xs_path_check(s, 0) != 0 ||
	    xs_path_check(s, XS_PATH_SPECIAL) == 0,
	    "a path valid as plain is not valid with special ones allowed");
	for (k = 0; k < sizeof flags / sizeof flags[0]; k++) {
		chk = xs_path_check(s, flags[k]);
		rc = xs_path_canonical(s, domid, flags[k], out, sizeof out);
		if (s[0] == '/' || s[0] == '@') {
			fuzz_check(rc == chk, "canonicalization and the check "
			    "disagree on an absolute or special path");
			if (rc == 0)
				fuzz_check(strcmp(out, s) == 0,
				    "an absolute path is changed");
		} else if (rc == 0) {
			hlen = xs_path_domain_home(domid, home, sizeof home);
			fuzz_check(hlen > 0 && strncmp(out, home, hlen) == 0 &&
			    out[hlen] == '/' && strcmp(out + hlen + 1, s) == 0,
			    "a relative path is not put under its home");
			fuzz_check(slen <= XS_REL_PATH_MAX,
			    "a relative path too long is taken");
			fuzz_check(xs_path_check(out, 0) == 0,
			    "a relative path becomes an invalid one");
			rel = xs_path_relative(out, domid);
			fuzz_check(rel != NULL && strcmp(rel, s) == 0,
			    "a relative path does not come back as given");
			fuzz_check(xs_path_quota_len(out) == slen,
			    "a relative path counts otherwise than as given");
		} else
			fuzz_check(rc == EINVAL,
			    "a relative path fails with another error");
		if (rc == 0 && out[0] == '/') {
			fuzz_check(xs_path_quota_len(out) <= strlen(out),
			    "a path counts for more than its length");
			fuzz_check(xs_path_check_quota(out,
			    xs_path_quota_len(out)) == 0 &&
			    (xs_path_quota_len(out) == 0 ||
			    xs_path_check_quota(out,
			    xs_path_quota_len(out) - 1) == EINVAL),
			    "the path quota is applied wrongly");
			fuzz_parent(out);
		}
	}
}

/* A valid absolute path and its parent. */
static void
fuzz_parent(const char *p)
{
	char		 par[XS_ABS_PATH_MAX + 1];
	char		 again[XS_ABS_PATH_MAX + 2];
	const char	*base;
	int		 rc;

	fuzz_check(xs_path_is_under(p, "/") && xs_path_is_under(p, p),
	    "a path is not under the root or itself");
	rc = xs_path_parent(p, par, sizeof par);
	if (strcmp(p, "/") == 0) {
		fuzz_check(rc == EINVAL && xs_path_depth(p) == 0,
		    "the root has a parent");
		return;
	}
	fuzz_check(rc == 0, "a valid path has no parent");
	fuzz_check(xs_path_check(par, 0) == 0, "a parent is not valid");
	fuzz_check(xs_path_is_under(p, par) && !xs_path_is_under(par, p),
	    "a path is not under its parent");
	fuzz_check(xs_path_depth(par) + 1 == xs_path_depth(p),
	    "a parent is not one level up");
	base = xs_path_basename(p);
	fuzz_check(*base != '\0', "a node has an empty name");
	snprintf(again, sizeof again, "%s/%s",
	    strcmp(par, "/") == 0 ? "" : par, base);
	fuzz_check(strcmp(again, p) == 0,
	    "a parent and a name do not make the path again");
}

/* One string as a permission entry. */
static void
fuzz_perm(const char *s)
{
	struct xs_perm	pm, pm2;
	char		buf[16];
	size_t		n;

	if (xs_perm_parse(s, &pm) != 0)
		return;
	fuzz_check(pm.access <= XS_PERM_BOTH &&
	    (pm.domid <= XS_DOMID_MAX || pm.domid == XS_DOMID_ANY),
	    "an entry parses to an impossible one");
	n = xs_perm_format(&pm, buf, sizeof buf);
	fuzz_check(n > 0 && n == strlen(buf), "an entry does not format");
	fuzz_check(xs_perm_parse(buf, &pm2) == 0 && pm2.domid == pm.domid &&
	    pm2.access == pm.access, "an entry formatted parses otherwise");
	fuzz_check(s[0] == buf[0], "an entry changes its letter");
}

/* The bytes after the path of a SET_PERMS as its list. */
static void
fuzz_perm_list(const char *s, uint32_t len, unsigned int domid)
{
	static struct xs_perm	 p[XS_PERMS_MAX], q[XS_PERMS_MAX];
	static char		 buf[XS_PAYLOAD_MAX * 2];
	unsigned int		 n, m, i, acc;
	size_t			 flen;
	int			 rc;

	rc = xs_perm_parse_list(s, len, p, XS_PERMS_MAX, &n);
	if (rc != 0) {
		fuzz_check(rc == EINVAL && n == 0,
		    "a list fails with another error, or gives entries");
		return;
	}
	fuzz_check(n >= 1 && n <= XS_PERMS_MAX && s[len - 1] == '\0' &&
	    xs_wire_count_strings(s, len) == n,
	    "a list parses to another number of entries");
	/* Xen's quota of entries (-A 5). */
	rc = xs_perm_parse_list(s, len, q, 5, &m);
	fuzz_check((rc == 0) == (n <= 5), "the quota of entries is applied "
	    "wrongly");
	flen = xs_perm_format_list(p, n, buf, sizeof buf);
	fuzz_check(flen > 0 && buf[flen - 1] == '\0',
	    "a list does not format");
	fuzz_check(xs_perm_parse_list(buf, (uint32_t)flen, q, XS_PERMS_MAX,
	    &m) == 0 && m == n, "a list formatted does not parse again");
	for (i = 0; i < n; i++)
		fuzz_check(q[i].domid == p[i].domid &&
		    q[i].access == p[i].access,
		    "a list formatted parses otherwise");
	fuzz_check(xs_perm_access(p, n, p[0].domid) == XS_PERM_BOTH,
	    "the owner lacks a right");
	acc = xs_perm_access(p, n, domid);
	fuzz_check(acc <= XS_PERM_BOTH, "an impossible right");
}

/* One string as an error name. */
static void
fuzz_error_name(const char *s)
{
	int	err;

	if ((err = xs_wire_error_from_name(s)) == 0)
		return;
	fuzz_check(strcmp(xs_wire_error_name(err), s) == 0,
	    "an error name names another error");
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 raw[XS_HEADER_SIZE];
	const char	*first, *start, *end;
	const void	*rest;
	char		*payload, *s;
	uint32_t	 len, restlen;
	unsigned int	 domid, k;
	size_t		 n;

	memset(raw, 0, sizeof raw);
	memcpy(raw, data, size < sizeof raw ? size : sizeof raw);
	domid = 0;
	if (size > XS_HEADER_SIZE + 1)
		domid = ((unsigned int)data[XS_HEADER_SIZE] |
		    (unsigned int)data[XS_HEADER_SIZE + 1] << 8) %
		    (FUZZ_DOMID_MAX + 1);
	n = size > XS_HEADER_SIZE + 2 ? size - XS_HEADER_SIZE - 2 : 0;
	if (n > XS_PAYLOAD_MAX)
		n = XS_PAYLOAD_MAX;
	len = (uint32_t)n;
	payload = fuzz_copy(data + (size - n), n);

	fuzz_header(raw, payload, len);
	fuzz_split(payload, len);

	/* Each terminated string, as the fields of any request. */
	start = payload;
	end = payload + len;
	for (k = 0; k < FUZZ_STRINGS_MAX && start < end; k++) {
		if (memchr(start, '\0', (size_t)(end - start)) == NULL)
			break;
		n = strlen(start);
		s = fuzz_copy(start, n + 1);
		fuzz_path(s, domid);
		fuzz_perm(s);
		fuzz_error_name(s);
		free(s);
		start += n + 1;
	}

	/* As SET_PERMS: the path, then the list. */
	if (xs_wire_split_first(payload, len, &first, &rest, &restlen) == 0) {
		s = fuzz_copy(rest, restlen);
		fuzz_perm_list(s, restlen, domid);
		free(s);
	}
	free(payload);
	return 0;
}

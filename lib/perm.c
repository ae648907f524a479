/*
 * perm.c - permission strings: parse, format, and decide access.
 *
 * A node carries a list of entries, each a letter and a domid: "b0",
 * "r5", "n7". The letters are n (none), r (read), w (write), b (both). The
 * first entry names the owner, who always has full access; its letter is
 * what every domain not listed gets. For the list "w5\0r7\0":
 *
 *	domain 5 (owner)	read and write
 *	domain 7		read
 *	domain 9		write (the owner's letter)
 *
 * A later entry for the same domain is ignored: the first match wins.
 * XS_DOMID_ANY in an entry stands for every domain (Xen's "all domains"
 * permission, server feature 8): it matches whatever domain asks, in list
 * order like any other entry, and as owner it makes everyone an owner.
 * Privilege (dom0, a domain's target) is the caller's business.
 *
 * The domid is decimal digits only, at most XS_DOMID_MAX or exactly
 * XS_DOMID_ANY; leading zeros are allowed ("r007" is "r7"). C xenstored
 * 4.17 reads it with strtol(..., 0) and so accepts, measured with
 * SET_PERMS over a socket, "r+5", "r 5", "r0x5" (all as r5) and
 * "r4294967296" (as r0, wrapped), and answers ENOENT for an owner beyond
 * the domains that exist. Here all of those are EINVAL: one spelling per
 * entry, and no domid that no domain can have. The empty string, an
 * unknown or upper-case letter, a missing domid and trailing bytes
 * ("r5x") are EINVAL in both.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs.h"

static int	xs_perm_letter(unsigned int);
static bool	xs_perm_matches(uint32_t, unsigned int);

/* Letter for an access value, or 0 if there is none. */
static int
xs_perm_letter(unsigned int access)
{
	switch (access) {
	case XS_PERM_NONE:
		return ('n');
	case XS_PERM_READ:
		return ('r');
	case XS_PERM_WRITE:
		return ('w');
	case XS_PERM_BOTH:
		return ('b');
	default:
		return (0);
	}
}

/* True if an entry for entry_domid applies to domid. */
static bool
xs_perm_matches(uint32_t entry_domid, unsigned int domid)
{
	return (entry_domid == domid || entry_domid == XS_DOMID_ANY);
}

/* Parse one entry such as "r5". */
int
xs_perm_parse(const char *s, struct xs_perm *out)
{
	const char	*p;
	uint32_t	 domid = 0;
	uint8_t		 access;

	if (s == NULL)
		return (EINVAL);
	switch (s[0]) {
	case 'n':
		access = XS_PERM_NONE;
		break;
	case 'r':
		access = XS_PERM_READ;
		break;
	case 'w':
		access = XS_PERM_WRITE;
		break;
	case 'b':
		access = XS_PERM_BOTH;
		break;
	default:
		return (EINVAL);
	}
	p = s + 1;
	if (*p == '\0')
		return (EINVAL);
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (EINVAL);
		domid = domid * 10 + (uint32_t)(*p - '0');
		if (domid > XS_DOMID_ANY)	/* also keeps domid from wrapping */
			return (EINVAL);
	}
	if (domid > XS_DOMID_MAX && domid != XS_DOMID_ANY)
		return (EINVAL);
	out->domid = domid;
	out->access = access;
	return (0);
}

/* Parse the nul-terminated entries in s[0..len). */
int
xs_perm_parse_list(const char *s, uint32_t len, struct xs_perm *out,
    unsigned int max, unsigned int *nperms)
{
	const char	*p = s, *end, *nul;
	unsigned int	 n = 0;
	int		 error;

	*nperms = 0;
	if (s == NULL || len == 0)
		return (EINVAL);
	end = s + len;
	while (p < end) {
		nul = memchr(p, '\0', end - p);
		if (nul == NULL || n == max)
			return (EINVAL);
		if ((error = xs_perm_parse(p, &out[n])) != 0)
			return (error);
		n++;
		p = nul + 1;
	}
	*nperms = n;
	return (0);
}

/* Format one entry; 0 if it does not fit or cannot be written. */
size_t
xs_perm_format(const struct xs_perm *p, char *out, size_t outsz)
{
	int	letter, n;

	if ((letter = xs_perm_letter(p->access & ~XS_PERM_IGNORE)) == 0)
		return (0);
	n = snprintf(out, outsz, "%c%u", letter, (unsigned int)p->domid);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return (0);
	}
	return ((size_t)n);
}

/* Format a list, each entry followed by a NUL. */
size_t
xs_perm_format_list(const struct xs_perm *p, unsigned int n, char *out,
    size_t outsz)
{
	size_t		used = 0, len;
	unsigned int	i;

	for (i = 0; i < n; i++) {
		len = xs_perm_format(&p[i], out + used, outsz - used);
		if (len == 0)
			return (0);
		used += len + 1;
	}
	return (used);
}

/* The access domid has to a node with this list. */
unsigned int
xs_perm_access(const struct xs_perm *p, unsigned int n, unsigned int domid)
{
	unsigned int	i;

	if (n == 0)
		return (XS_PERM_NONE);
	if (xs_perm_matches(p[0].domid, domid))
		return (XS_PERM_BOTH);
	for (i = 1; i < n; i++) {
		if ((p[i].access & XS_PERM_IGNORE) == 0 &&
		    xs_perm_matches(p[i].domid, domid))
			return (p[i].access & XS_PERM_BOTH);
	}
	return (p[0].access & XS_PERM_BOTH);
}

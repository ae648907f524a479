/*
 * path.c - xenstore path rules: validation, relative paths, quota length,
 * and small helpers on absolute paths.
 *
 * A node path is absolute: it starts with '/', holds only the characters
 * [A-Za-z0-9/_@-], has no "//" and no trailing '/' except for the root "/"
 * itself. "/", "/a", "/a/b-c_9", "/@x" are valid; "", "//", "/a/", "/a//b",
 * "/a.b", "/a b" are not (docs/misc/xenstore.txt, and what C xenstored
 * 4.17 answers: EINVAL for each of them).
 *
 * A request path that starts with neither '/' nor '@' is relative to the
 * caller's home: "foo" from domain 5 means "/local/domain/5/foo". It is
 * made absolute first and then checked as above, so "foo/" and "a//b" are
 * refused just the same.
 *
 * Special paths start with '@' and are accepted only where the operation
 * allows them (WATCH, UNWATCH): @introduceDomain, @releaseDomain,
 * @releaseDomain/<domid>. C xenstored 4.17 checks nothing but their length
 * on a WATCH: "@a b", "@//", "@/" and "@\x80" all get OK, "@" plus 2047
 * bytes (2048 in all) is accepted and 2049 bytes is EINVAL, whatever its
 * path-length quota (-M). xs_path_check does the same.
 *
 * Lengths. Xen names two limits, XENSTORE_ABS_PATH_MAX 3072 and
 * XENSTORE_REL_PATH_MAX 2048, but what C xenstored 4.17 enforces is its
 * path-length quota (-M, default 2048, and raising it has no effect): the
 * length of the path after a leading "/local/domain/<n>/" (n: at most five
 * characters read as by sscanf "%5u") may not exceed it. Measured over a
 * dom0 socket with the default quota:
 *
 *	"/" + 2047 bytes (2048 in all)		OK
 *	"/" + 2048 bytes (2049)			EINVAL
 *	3072 and 3073 bytes outside a home	EINVAL
 *	"/local/domain/5/" + 2048 bytes		OK (2064 in all)
 *	"/local/domain/12345/" + 2048 bytes	OK (2068 in all)
 *	"/local/domain/123456/" + 2047 bytes	EINVAL (no home prefix)
 *	relative, 2048 bytes			OK
 *	relative, 2049 bytes			EINVAL
 *	with -M 100: 100 bytes OK, 101 EINVAL, for all three forms
 *
 * So the library keeps the protocol's bounds (xs_path_check: 3072 for an
 * absolute path; xs_path_canonical: 2048 for a relative one), and the
 * daemon applies the quota with xs_path_check_quota, XS_REL_PATH_MAX by
 * default: with it, a 3072-byte path is refused as Xen refuses it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs.h"

/* The prefix of every domain's home. */
#define XS_PATH_HOME_PREFIX	"/local/domain/"

static bool	xs_path_valid_chars(const char *, size_t);

/* True if every byte is one of [A-Za-z0-9/_@-]. */
static bool
xs_path_valid_chars(const char *path, size_t len)
{
	size_t	i;
	char	c;

	for (i = 0; i < len; i++) {
		c = path[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (c == '/' || c == '_' || c == '@' || c == '-')
			continue;
		return (false);
	}
	return (true);
}

/* Check an absolute path, or with XS_PATH_SPECIAL an '@' path. */
int
xs_path_check(const char *path, int flags)
{
	size_t	len;

	if (path == NULL || *path == '\0')
		return (EINVAL);
	len = strnlen(path, XS_ABS_PATH_MAX + 1);

	if (path[0] == '@') {
		if (~flags & XS_PATH_SPECIAL)
			return (EINVAL);
		if (len > XS_REL_PATH_MAX)
			return (EINVAL);
		return (0);
	}
	if (path[0] != '/' || len > XS_ABS_PATH_MAX)
		return (EINVAL);
	if (len > 1 && path[len - 1] == '/')
		return (EINVAL);
	if (strstr(path, "//") != NULL)
		return (EINVAL);
	if (!xs_path_valid_chars(path, len))
		return (EINVAL);
	return (0);
}

/* Check the length counted against a path-length quota. */
int
xs_path_check_quota(const char *path, size_t quota)
{
	if (path == NULL || xs_path_quota_len(path) > quota)
		return (EINVAL);
	return (0);
}

/* Make a request path absolute and check it. */
int
xs_path_canonical(const char *path, unsigned int domid, int flags,
    char *out, size_t outsz)
{
	size_t	len, home;
	int	error;

	if (path == NULL || *path == '\0')
		return (EINVAL);

	if (path[0] == '/' || path[0] == '@') {
		if ((error = xs_path_check(path, flags)) != 0)
			return (error);
		len = strlen(path);
		if (len >= outsz)
			return (ERANGE);
		memcpy(out, path, len + 1);
		return (0);
	}

	len = strnlen(path, XS_REL_PATH_MAX + 1);
	if (len > XS_REL_PATH_MAX)
		return (EINVAL);
	home = xs_path_domain_home(domid, out, outsz);
	if (home == 0 || home + 1 + len >= outsz)
		return (ERANGE);
	out[home] = '/';
	memcpy(out + home + 1, path, len + 1);
	return (xs_path_check(out, 0));
}

/* Write "/local/domain/<domid>" into out. */
size_t
xs_path_domain_home(unsigned int domid, char *out, size_t outsz)
{
	int	n;

	n = snprintf(out, outsz, XS_PATH_HOME_PREFIX "%u", domid);
	if (n < 0 || (size_t)n >= outsz)
		return (0);
	return ((size_t)n);
}

/* Length of path after a leading "/local/domain/<n>/", as Xen counts it. */
size_t
xs_path_quota_len(const char *path)
{
	const size_t	 plen = sizeof XS_PATH_HOME_PREFIX - 1;
	const char	*p;
	size_t		 len = strlen(path), width = 0, digits = 0;

	/*
	 * The test C xenstored makes with sscanf(path, "/local/domain/%5u/
	 * %n"), by hand (it runs for every request): white space, then at
	 * most five characters of an optional sign and digits, at least
	 * one digit, then a '/'.
	 */
	if (len <= plen || memcmp(path, XS_PATH_HOME_PREFIX, plen) != 0)
		return (len);
	p = path + plen;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '-' || *p == '+') {
		p++;
		width++;
	}
	while (width < 5 && *p >= '0' && *p <= '9') {
		p++;
		width++;
		digits++;
	}
	if (digits == 0 || *p != '/')
		return (len);
	return (len - (size_t)(p + 1 - path));
}

/* The part of abs below the home of domid, for a relative watch. */
const char *
xs_path_relative(const char *abs, unsigned int domid)
{
	char	home[sizeof XS_PATH_HOME_PREFIX + 10];
	size_t	len;

	len = xs_path_domain_home(domid, home, sizeof home);
	if (len == 0 || strncmp(abs, home, len) != 0)
		return (NULL);
	if (abs[len] == '\0')
		return (abs + len);
	if (abs[len] != '/')
		return (NULL);
	return (abs + len + 1);
}

/* Write the parent of an absolute path into out. */
int
xs_path_parent(const char *path, char *out, size_t outsz)
{
	const char	*slash;
	size_t		 len;

	if (path == NULL || path[0] != '/' || path[1] == '\0')
		return (EINVAL);
	slash = strrchr(path, '/');
	len = (size_t)(slash - path);
	if (len == 0)
		len = 1;
	if (len >= outsz)
		return (ERANGE);
	memcpy(out, path, len);
	out[len] = '\0';
	return (0);
}

/* Last component of a path. */
const char *
xs_path_basename(const char *path)
{
	const char	*slash;

	slash = strrchr(path, '/');
	if (slash == NULL)
		return (path);
	return (slash + 1);
}

/* True if path is ancestor or below it; "/" holds every '/' path. */
bool
xs_path_is_under(const char *path, const char *ancestor)
{
	size_t	len;

	if (strcmp(ancestor, "/") == 0)
		return (path[0] == '/');
	len = strlen(ancestor);
	if (strncmp(path, ancestor, len) != 0)
		return (false);
	return (path[len] == '\0' || path[len] == '/');
}

/* Number of components of a path. */
unsigned int
xs_path_depth(const char *path)
{
	unsigned int	n = 0;

	if (strcmp(path, "/") == 0)
		return (0);
	for (; *path != '\0'; path++) {
		if (*path == '/')
			n++;
	}
	return (n);
}

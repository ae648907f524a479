/*
 * text.c - the readable text form of a dump: one node per line, written
 * and read back exactly.
 *
 * A line is
 *
 *	PATH = "VALUE" (PERM,PERM,...)
 *
 * Paths need no quoting: the characters a path may hold include neither
 * space nor quote. Values are escaped so that any byte survives the trip
 * and a line never breaks: for the value "a\0b" plus a newline the line
 * reads
 *
 *	/x = "a\0b\n" (b0)
 *
 * and "\0" is always one NUL, so "\01" is a NUL and a '1' (no octal).
 * The reader is strict as the stream reader is: one space on each side
 * of '=', one before '(', nothing after ')', escapes only as listed in
 * xs.h, the value at most XS_TEXT_VALUE_MAX bytes once decoded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

/* Bytes of escaped value collected before they are handed to out. */
#define XS_TEXT_CHUNK	4096

struct xs_text_reader {
	const char	*buf;
	size_t		 len;
	size_t		 off;		/* start of the next line */
	size_t		 line;		/* number of the next line */
	bool		 ended;
	int		 err;
	size_t		 err_off;
	size_t		 err_line;
	char		 msg[256];

	char		 path[XS_ABS_PATH_MAX + 1];
	struct xs_perm	 perms[XS_PERMS_MAX];
	uint8_t		 pflags[XS_PERMS_MAX];
	char		*value;		/* XS_TEXT_VALUE_MAX bytes */
};

static int	xs_text_escape(char *, unsigned char);
static int	xs_text_fail(struct xs_text_reader *, size_t, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static int	xs_text_hex(int);
static int	xs_text_value(struct xs_text_reader *, size_t, size_t,
		    size_t *, uint32_t *);
static int	xs_text_perms(struct xs_text_reader *, size_t, size_t,
		    unsigned int *);
static int	xs_text_line(struct xs_text_reader *, size_t, size_t,
		    struct xs_stream_node *);

/* Escape one byte into out (at least 4 bytes). Returns the length. */
static int
xs_text_escape(char *out, unsigned char c)
{
	static const char	hex[] = "0123456789abcdef";

	switch (c) {
	case '\\':
	case '"':
		out[0] = '\\';
		out[1] = (char)c;
		return (2);
	case '\n':
		memcpy(out, "\\n", 2);
		return (2);
	case '\t':
		memcpy(out, "\\t", 2);
		return (2);
	case '\0':
		memcpy(out, "\\0", 2);
		return (2);
	}
	if (c >= 0x20 && c <= 0x7e) {
		out[0] = (char)c;
		return (1);
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	return (4);
}

/* Write one node as a line. */
int
xs_text_write_node(xs_stream_out_fn *out, void *arg,
    const struct xs_stream_node *n)
{
	char			 chunk[XS_TEXT_CHUNK + 16];
	const unsigned char	*v = n->value;
	size_t			 used, plen;
	unsigned int		 i, access;
	bool			 stale;
	int			 len, rc;

	if (n->conn_id != 0 || n->nperms == 0 || n->nperms > XS_PERMS_MAX ||
	    xs_stream_node_path_check(n->path) != 0 ||
	    n->vlen > XS_TEXT_VALUE_MAX || (n->vlen > 0 && v == NULL))
		return (EINVAL);
	plen = strlen(n->path);
	if ((rc = out(arg, n->path, plen)) != 0 ||
	    (rc = out(arg, " = \"", 4)) != 0)
		return (rc);
	used = 0;
	for (i = 0; i < n->vlen; i++) {
		used += (size_t)xs_text_escape(chunk + used, v[i]);
		if (used >= XS_TEXT_CHUNK) {
			if ((rc = out(arg, chunk, used)) != 0)
				return (rc);
			used = 0;
		}
	}
	memcpy(chunk + used, "\" (", 3);
	used += 3;
	for (i = 0; i < n->nperms; i++) {
		access = n->perms[i].access & ~XS_PERM_IGNORE;
		if (access > XS_PERM_BOTH ||
		    (n->perms[i].domid > XS_DOMID_MAX &&
		    n->perms[i].domid != XS_DOMID_ANY))
			return (EINVAL);
		stale = (n->perms[i].access & XS_PERM_IGNORE) ||
		    (n->perm_flags != NULL &&
		    (n->perm_flags[i] & XS_STREAM_PERM_STALE));
		len = snprintf(chunk + used, sizeof chunk - used, "%s%c%u%s",
		    i > 0 ? "," : "", "nrwb"[access],
		    (unsigned int)n->perms[i].domid, stale ? "!" : "");
		if (len < 0)
			return (EINVAL);
		used += (size_t)len;
		if (used >= XS_TEXT_CHUNK) {
			if ((rc = out(arg, chunk, used)) != 0)
				return (rc);
			used = 0;
		}
	}
	memcpy(chunk + used, ")\n", 2);
	used += 2;
	return (out(arg, chunk, used));
}

/* Make a reader. */
struct xs_text_reader *
xs_text_reader_new(const void *buf, size_t len)
{
	struct xs_text_reader	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return (NULL);
	if ((r->value = malloc(XS_TEXT_VALUE_MAX)) == NULL) {
		free(r);
		return (NULL);
	}
	r->buf = buf;
	r->len = len;
	r->line = 1;
	return (r);
}

/* Free a reader. */
void
xs_text_reader_free(struct xs_text_reader *r)
{
	if (r == NULL)
		return;
	free(r->value);
	free(r);
}

/* The last error, "" if none. */
const char *
xs_text_reader_error(const struct xs_text_reader *r)
{
	return (r->msg);
}

/* Byte offset of the last error. */
size_t
xs_text_reader_error_offset(const struct xs_text_reader *r)
{
	return (r->err_off);
}

/* Line of the last error. */
size_t
xs_text_reader_error_line(const struct xs_text_reader *r)
{
	return (r->err_line);
}

/* Record an error at byte off of the current line. Returns EINVAL. */
static int
xs_text_fail(struct xs_text_reader *r, size_t off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(r->msg, sizeof r->msg, "line %zu, column %zu: ",
	    r->line, off - r->off + 1);
	if (n < 0)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof r->msg - (size_t)n, fmt, ap);
	va_end(ap);
	r->err = EINVAL;
	r->err_off = off;
	r->err_line = r->line;
	return (EINVAL);
}

/* Value of a hex digit, or -1. */
static int
xs_text_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Decode the quoted value starting at off (just after the opening quote)
 * before end. *next is set after the closing quote.
 */
static int
xs_text_value(struct xs_text_reader *r, size_t off, size_t end,
    size_t *next, uint32_t *vlen)
{
	const char	*b = r->buf;
	size_t		 i = off;
	uint32_t	 n = 0;
	int		 c, hi, lo;

	for (;;) {
		if (i >= end)
			return (xs_text_fail(r, i, "the value has no closing "
			    "quote"));
		c = (unsigned char)b[i];
		if (c == '"')
			break;
		if (n == XS_TEXT_VALUE_MAX)
			return (xs_text_fail(r, i, "the value is longer than "
			    "%u bytes", XS_TEXT_VALUE_MAX));
		if (c < 0x20 || c > 0x7e)
			return (xs_text_fail(r, i, "byte 0x%02x in a value must "
			    "be escaped", c));
		if (c != '\\') {
			r->value[n++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= end)
			return (xs_text_fail(r, i, "an escape is cut short"));
		switch (b[i + 1]) {
		case '\\':
		case '"':
			r->value[n++] = b[i + 1];
			break;
		case 'n':
			r->value[n++] = '\n';
			break;
		case 't':
			r->value[n++] = '\t';
			break;
		case '0':
			r->value[n++] = '\0';
			break;
		case 'x':
			if (i + 3 >= end || (hi = xs_text_hex(b[i + 2])) < 0 ||
			    (lo = xs_text_hex(b[i + 3])) < 0)
				return (xs_text_fail(r, i, "\\x needs two hex "
				    "digits"));
			r->value[n++] = (char)(hi << 4 | lo);
			i += 2;
			break;
		default:
			return (xs_text_fail(r, i, "unknown escape \\%c",
			    b[i + 1]));
		}
		i += 2;
	}
	*next = i + 1;
	*vlen = n;
	return (0);
}

/* Parse the permissions between off and end (without the parentheses). */
static int
xs_text_perms(struct xs_text_reader *r, size_t off, size_t end,
    unsigned int *nperms)
{
	char		entry[16];
	size_t		i, j, len;
	unsigned int	n = 0;
	bool		stale;

	for (i = off; i <= end; i = j + 1) {
		for (j = i; j < end && r->buf[j] != ','; j++)
			;
		len = j - i;
		stale = len > 0 && r->buf[j - 1] == '!';
		if (stale)
			len--;
		if (len == 0 || len >= sizeof entry)
			return (xs_text_fail(r, i, "a permission must be a "
			    "letter and a domain id"));
		memcpy(entry, r->buf + i, len);
		entry[len] = '\0';
		if (n == XS_PERMS_MAX)
			return (xs_text_fail(r, i, "more than %u permissions",
			    (unsigned int)XS_PERMS_MAX));
		if (xs_perm_parse(entry, &r->perms[n]) != 0)
			return (xs_text_fail(r, i, "\"%s\" is not a "
			    "permission", entry));
		r->pflags[n] = stale ? XS_STREAM_PERM_STALE : 0;
		n++;
	}
	*nperms = n;
	return (0);
}

/* Parse the line [off, end) into a node. */
static int
xs_text_line(struct xs_text_reader *r, size_t off, size_t end,
    struct xs_stream_node *n)
{
	const char	*b = r->buf;
	size_t		 i, plen, close;
	int		 rc;

	for (i = off; i < end && b[i] != ' '; i++)
		;
	plen = i - off;
	if (plen == 0)
		return (xs_text_fail(r, off, "a line must start with a path"));
	if (plen > XS_ABS_PATH_MAX)
		return (xs_text_fail(r, off, "the path is longer than %u "
		    "bytes", XS_ABS_PATH_MAX));
	memcpy(r->path, b + off, plen);
	r->path[plen] = '\0';
	if (memchr(r->path, '\0', plen) != NULL ||
	    xs_stream_node_path_check(r->path) != 0)
		return (xs_text_fail(r, off, "\"%.64s\" is not a valid path",
		    r->path));
	if (end - i < 4 || memcmp(b + i, " = \"", 4) != 0)
		return (xs_text_fail(r, i, "expected \" = \\\"\" after the "
		    "path"));
	if ((rc = xs_text_value(r, i + 4, end, &i, &n->vlen)) != 0)
		return (rc);
	if (end - i < 3 || memcmp(b + i, " (", 2) != 0)
		return (xs_text_fail(r, i, "expected \" (\" after the value"));
	close = end - 1;
	if (b[close] != ')')
		return (xs_text_fail(r, close, "the line must end with ')'"));
	if ((rc = xs_text_perms(r, i + 2, close, &n->nperms)) != 0)
		return (rc);
	n->conn_id = 0;
	n->tx_id = 0;
	n->access = 0;
	n->perms = r->perms;
	n->perm_flags = r->pflags;
	n->path = r->path;
	n->value = r->value;
	return (0);
}

/* The next record. */
int
xs_text_next(struct xs_text_reader *r, struct xs_stream_record *rec)
{
	const char	*nl;
	size_t		 off, end, next;
	int		 rc;

	if (r->err != 0)
		return (r->err);
	if (r->ended)
		return (ENOENT);
	memset(rec, 0, sizeof *rec);
	for (;;) {
		off = r->off;
		if (off >= r->len) {
			rec->type = XS_STREAM_END;
			rec->offset = r->len;
			r->ended = true;
			return (0);
		}
		nl = memchr(r->buf + off, '\n', r->len - off);
		end = nl != NULL ? (size_t)(nl - r->buf) : r->len;
		next = nl != NULL ? end + 1 : end;
		if (end == off || r->buf[off] == '#') {
			r->off = next;
			r->line++;
			continue;
		}
		if ((rc = xs_text_line(r, off, end, &rec->u.node)) != 0)
			return (rc);
		rec->type = XS_STREAM_NODE;
		rec->offset = off;
		r->off = next;
		r->line++;
		return (0);
	}
}

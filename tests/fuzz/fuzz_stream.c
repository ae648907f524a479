/*
 * fuzz_stream.c - a libFuzzer target for the readers of lib/stream.c and
 * lib/text.c, which take dumps from files anyone may hand to
 * xenstore-restore.
 *
 * The input is read as a migration stream and as text, each from a heap
 * copy of exactly its size, so AddressSanitizer sees any read past it.
 * Checked:
 *
 *	- a reader ends with END then ENOENT, or with EINVAL and an error
 *	  offset within the input, and its error sticks;
 *	- a stream that reads whole is written again record by record
 *	  without an error (the writer refuses nothing the reader takes),
 *	  the copy reads whole with the same record types, and writing the
 *	  copy again gives the copy's bytes;
 *	- each node read from either form is written as a text line that
 *	  reads back as the same path, value and permissions.
 *
 * Build (tests/fuzz-stream.sh does it when clang is there):
 *	clang -fsanitize=fuzzer,address,undefined -Ilib \
 *	    tests/fuzz/fuzz_stream.c lib/stream.c lib/text.c lib/path.c \
 *	    lib/perm.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

#define FUZZ_RECORDS_MAX	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A growing buffer the writers fill. */
struct fuzz_buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

static int	fuzz_out(void *, const void *, size_t);
static void	fuzz_check(int, const char *);
static void	fuzz_text_node(const struct xs_stream_node *);
static void	fuzz_rewrite(const void *, size_t, struct fuzz_buf *,
		    uint32_t *, size_t *);
static void	fuzz_stream(const uint8_t *, size_t);
static void	fuzz_text(const uint8_t *, size_t);

/* Append to a buffer. */
static int
fuzz_out(void *arg, const void *buf, size_t len)
{
	struct fuzz_buf	*b = arg;
	unsigned char	*p;
	size_t		 cap;

	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return (ENOMEM);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, buf, len);
	b->len += len;
	return (0);
}

/* Stop the run on a broken promise. */
static void
fuzz_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_stream: %s\n", what);
		abort();
	}
}

/* A node as a text line, read back: the same node. */
static void
fuzz_text_node(const struct xs_stream_node *n)
{
	struct xs_text_reader	*r;
	struct xs_stream_record	 rec;
	struct fuzz_buf		 b = { 0 };
	unsigned int		 i;
	int			 rc;

	if (n->conn_id != 0 || n->nperms == 0)
		return;
	rc = xs_text_write_node(fuzz_out, &b, n);
	fuzz_check(rc == 0, "a node read cannot be written as text");
	r = xs_text_reader_new(b.p, b.len);
	fuzz_check(r != NULL, "no memory");
	rc = xs_text_next(r, &rec);
	fuzz_check(rc == 0 && rec.type == XS_STREAM_NODE,
	    "a text line written does not read back");
	fuzz_check(strcmp(rec.u.node.path, n->path) == 0 &&
	    rec.u.node.vlen == n->vlen && (n->vlen == 0 ||
	    memcmp(rec.u.node.value, n->value, n->vlen) == 0) &&
	    rec.u.node.nperms == n->nperms, "a text line reads back different");
	for (i = 0; i < n->nperms; i++) {
		fuzz_check(rec.u.node.perms[i].domid == n->perms[i].domid &&
		    rec.u.node.perms[i].access == n->perms[i].access &&
		    rec.u.node.perm_flags[i] == n->perm_flags[i],
		    "a permission reads back different");
	}
	fuzz_check(xs_text_next(r, &rec) == 0 && rec.type == XS_STREAM_END,
	    "a text line reads as more than one node");
	xs_text_reader_free(r);
	free(b.p);
}

/*
 * Read a stream that must be valid and write every record again into
 * out; the record types go to types (up to FUZZ_RECORDS_MAX).
 */
static void
fuzz_rewrite(const void *buf, size_t len, struct fuzz_buf *out,
    uint32_t *types, size_t *n)
{
	struct xs_stream_reader	*r;
	struct xs_stream_writer	 w;
	struct xs_stream_record	 rec;
	int			 rc;

	r = xs_stream_reader_new(buf, len);
	fuzz_check(r != NULL, "no memory");
	*n = 0;
	rc = xs_stream_next(r, &rec);
	fuzz_check(rc == 0, "a valid stream does not read again");
	rc = xs_stream_writer_init(&w, xs_stream_reader_version(r), fuzz_out,
	    out);
	fuzz_check(rc == 0, "the writer refuses a version the reader took");
	for (;;) {
		rc = xs_stream_write_record(&w, &rec);
		fuzz_check(rc == 0, "the writer refuses a record the reader "
		    "took");
		if (*n < FUZZ_RECORDS_MAX)
			types[*n] = rec.type;
		(*n)++;
		if ((rc = xs_stream_next(r, &rec)) != 0)
			break;
	}
	fuzz_check(rc == ENOENT, "a valid stream fails when read again");
	xs_stream_reader_free(r);
}

/* The input as a migration stream. */
static void
fuzz_stream(const uint8_t *data, size_t size)
{
	static uint32_t		 t1[FUZZ_RECORDS_MAX], t2[FUZZ_RECORDS_MAX];
	struct xs_stream_reader	*r;
	struct xs_stream_record	 rec;
	struct fuzz_buf		 a = { 0 }, b = { 0 };
	size_t			 n1, n2, i;
	int			 rc;

	r = xs_stream_reader_new(data, size);
	fuzz_check(r != NULL, "no memory");
	while ((rc = xs_stream_next(r, &rec)) == 0) {
		if (rec.type == XS_STREAM_NODE)
			fuzz_text_node(&rec.u.node);
	}
	if (rc == EINVAL) {
		fuzz_check(xs_stream_reader_error_offset(r) <= size &&
		    xs_stream_reader_error(r)[0] != '\0',
		    "an error without its place");
		fuzz_check(xs_stream_next(r, &rec) == EINVAL,
		    "an error does not stick");
		xs_stream_reader_free(r);
		return;
	}
	fuzz_check(rc == ENOENT, "a reader ends with another error");
	xs_stream_reader_free(r);

	fuzz_rewrite(data, size, &a, t1, &n1);
	fuzz_rewrite(a.p, a.len, &b, t2, &n2);
	fuzz_check(n1 == n2, "the copy has another number of records");
	for (i = 0; i < n1 && i < FUZZ_RECORDS_MAX; i++)
		fuzz_check(t1[i] == t2[i], "the copy has other records");
	fuzz_check(a.len == b.len && memcmp(a.p, b.p, a.len) == 0,
	    "writing the copy again gives other bytes");
	free(a.p);
	free(b.p);
}

/* The input as text. */
static void
fuzz_text(const uint8_t *data, size_t size)
{
	struct xs_text_reader	*r;
	struct xs_stream_record	 rec;
	int			 rc;

	r = xs_text_reader_new(data, size);
	fuzz_check(r != NULL, "no memory");
	while ((rc = xs_text_next(r, &rec)) == 0) {
		if (rec.type == XS_STREAM_NODE)
			fuzz_text_node(&rec.u.node);
	}
	if (rc == EINVAL) {
		fuzz_check(xs_text_reader_error_offset(r) <= size &&
		    xs_text_reader_error_line(r) >= 1,
		    "a text error without its place");
		fuzz_check(xs_text_next(r, &rec) == EINVAL,
		    "a text error does not stick");
	} else
		fuzz_check(rc == ENOENT, "the text reader ends with another "
		    "error");
	xs_text_reader_free(r);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return (0);
	if (size > 0)
		memcpy(copy, data, size);
	fuzz_stream(copy, size);
	fuzz_text(copy, size);
	free(copy);
	return (0);
}

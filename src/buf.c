/*
 * buf.c - growable byte buffers for connection input and output.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsdbd.h"

/* Make room for n more bytes after the data. Returns 0 or ENOMEM. */
int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, cap;
	char	*p;

	if (b->cap - b->len >= n)
		return 0;
	/* Slide the data to the front before growing. */
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return 0;
	}
	need = b->len + n;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes. Returns 0 or ENOMEM. */
int
buf_add(struct buf *b, const void *data, size_t n)
{
	int	rc;

	if (n == 0)
		return 0;
	if ((rc = buf_reserve(b, n)) != 0)
		return rc;
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

/* Consume n bytes from the front. */
void
buf_drain(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

/* Empty the buffer, keeping its memory. */
void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

/* Free the buffer's memory. */
void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* Bytes held. */
size_t
buf_used(const struct buf *b)
{
	return b->len - b->off;
}

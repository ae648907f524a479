/*
 * tool-util.c - helpers shared by xenstore-dump and xenstore-restore.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool-util.h"

/* Where Xen's tools look for the socket when nothing says otherwise. */
#define TOOL_SOCKET_DEFAULT	"/var/run/xenstored/socket"

const char	*tool_name = "xenstore-tool";

/* The nodes a fresh xsdbd store has (Xen's has /, /tool, /tool/xenstored). */
const char *const tool_fresh_nodes[] = {
	"/", "/local", "/local/domain", "/tool", "/tool/xenstored", NULL
};

static int	tool_write_all(int, const void *, size_t);
static int	tool_pathset_grow(struct tool_pathset *);

/* Take the program's name from argv[0]. */
void
tool_init(const char *argv0)
{
	const char	*p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	tool_name = p != NULL ? p + 1 : argv0;
}

/* A message on stderr. */
void
tool_warnx(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A message and an error's text on stderr. */
void
tool_warn(int err, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
}

/* Append a child's name from store_list, with its NUL, to a tool_buf. */
int
tool_buf_name(void *arg, const char *name, size_t len)
{
	int	rc;

	if ((rc = tool_buf_out(arg, name, len)) != 0)
		return (rc);
	return (tool_buf_out(arg, "", 1));
}

/* Append to a buffer. */
int
tool_buf_out(void *arg, const void *buf, size_t len)
{
	struct tool_buf	*b = arg;
	unsigned char	*p;
	size_t		 cap;

	if (len > SIZE_MAX - b->len)
		return (ENOMEM);
	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 65536;
		while (cap < b->len + len) {
			if (cap > SIZE_MAX / 2)
				return (ENOMEM);
			cap *= 2;
		}
		if ((p = realloc(b->p, cap)) == NULL)
			return (ENOMEM);
		b->p = p;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->p + b->len, buf, len);
	b->len += len;
	return (0);
}

/* Free a buffer. */
void
tool_buf_free(struct tool_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Read a whole file or standard input. */
int
tool_read_file(const char *path, struct tool_buf *b)
{
	unsigned char	chunk[65536];
	ssize_t		n;
	int		fd, rc = 0;

	if (path == NULL || strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = errno;
			break;
		}
		if (n == 0)
			break;
		if ((rc = tool_buf_out(b, chunk, (size_t)n)) != 0)
			break;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return (rc);
}

/* Write all of buf to fd. */
static int
tool_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (errno);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Write a file whole, or standard output. */
int
tool_write_file(const char *path, const void *buf, size_t len)
{
	char	tmp[PATH_MAX];
	int	fd, rc;

	if (path == NULL || strcmp(path, "-") == 0)
		return (tool_write_all(STDOUT_FILENO, buf, len));
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path,
	    (long)getpid()) >= sizeof tmp)
		return (ENAMETOOLONG);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return (errno);
	rc = tool_write_all(fd, buf, len);
	if (close(fd) == -1 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = errno;
	if (rc != 0)
		unlink(tmp);
	return (rc);
}

/* The socket to use. */
const char *
tool_socket_path(const char *opt)
{
	static char	 path[PATH_MAX];
	const char	*env;

	if (opt != NULL)
		return (opt);
	if ((env = getenv("XENSTORED_PATH")) != NULL && *env != '\0')
		return (env);
	if ((env = getenv("XENSTORED_RUNDIR")) != NULL && *env != '\0') {
		snprintf(path, sizeof path, "%s/socket", env);
		return (path);
	}
	return (TOOL_SOCKET_DEFAULT);
}

/* True for the nodes of a fresh store. */
bool
tool_is_fresh(const char *path)
{
	size_t	i;

	for (i = 0; tool_fresh_nodes[i] != NULL; i++) {
		if (strcmp(path, tool_fresh_nodes[i]) == 0)
			return (true);
	}
	return (false);
}

/* Open a reader of either format. */
int
tool_input_open(struct tool_input *in, const void *buf, size_t len)
{
	const char	*p = buf;

	memset(in, 0, sizeof *in);
	in->text = len == 0 || p[0] == '/' || p[0] == '@' || p[0] == '#' ||
	    p[0] == '\n';
	if (in->text)
		in->tr = xs_text_reader_new(buf, len);
	else
		in->sr = xs_stream_reader_new(buf, len);
	if (in->tr == NULL && in->sr == NULL)
		return (ENOMEM);
	return (0);
}

/* The next record of either format. */
int
tool_input_next(struct tool_input *in, struct xs_stream_record *rec)
{
	if (in->text)
		return (xs_text_next(in->tr, rec));
	return (xs_stream_next(in->sr, rec));
}

/* The last error of either format. */
const char *
tool_input_error(const struct tool_input *in)
{
	if (in->text)
		return (xs_text_reader_error(in->tr));
	return (xs_stream_reader_error(in->sr));
}

/* Close a reader. */
void
tool_input_close(struct tool_input *in)
{
	xs_text_reader_free(in->tr);
	xs_stream_reader_free(in->sr);
	memset(in, 0, sizeof *in);
}

/* FNV-1a of a path, then mixed. */
uint64_t
tool_path_hash(const char *path)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *path != '\0'; path++) {
		h ^= (unsigned char)*path;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return (h);
}

/* Double the table. */
static int
tool_pathset_grow(struct tool_pathset *s)
{
	struct tool_pathset	 b;
	size_t			 i, j;

	b.cap = s->cap ? 2 * s->cap : 1024;
	b.n = s->n;
	b.key = calloc(b.cap, sizeof *b.key);
	b.val = calloc(b.cap, sizeof *b.val);
	if (b.key == NULL || b.val == NULL) {
		free(b.key);
		free(b.val);
		return (ENOMEM);
	}
	for (i = 0; i < s->cap; i++) {
		if (s->key[i] == 0)
			continue;
		for (j = (s->key[i] - 1) & (b.cap - 1); b.key[j] != 0;
		    j = (j + 1) & (b.cap - 1))
			;
		b.key[j] = s->key[i];
		b.val[j] = s->val[i];
	}
	free(s->key);
	free(s->val);
	*s = b;
	return (0);
}

/* Add a path with a number; an existing one keeps its number. */
int
tool_pathset_add(struct tool_pathset *s, const char *path, uint64_t val)
{
	uint64_t	k = tool_path_hash(path);
	size_t		i;
	int		rc;

	if (k == UINT64_MAX)
		k--;
	if (2 * (s->n + 1) > s->cap && (rc = tool_pathset_grow(s)) != 0)
		return (rc);
	for (i = k & (s->cap - 1); s->key[i] != 0; i = (i + 1) & (s->cap - 1)) {
		if (s->key[i] == k + 1)
			return (0);
	}
	s->key[i] = k + 1;
	s->val[i] = val;
	s->n++;
	return (0);
}

/* Look a path up. */
bool
tool_pathset_get(const struct tool_pathset *s, const char *path,
    uint64_t *val)
{
	uint64_t	k = tool_path_hash(path);
	size_t		i;

	if (k == UINT64_MAX)
		k--;
	if (s->cap == 0)
		return (false);
	for (i = k & (s->cap - 1); s->key[i] != 0; i = (i + 1) & (s->cap - 1)) {
		if (s->key[i] == k + 1) {
			if (val != NULL)
				*val = s->val[i];
			return (true);
		}
	}
	return (false);
}

/* Free a set. */
void
tool_pathset_free(struct tool_pathset *s)
{
	free(s->key);
	free(s->val);
	memset(s, 0, sizeof *s);
}

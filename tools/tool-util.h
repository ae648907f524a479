/*
 * tool-util.h - what xenstore-dump and xenstore-restore share: messages,
 * a growing output buffer, reading a dump in either format, the socket
 * path, and a set of paths.
 */
#ifndef TOOL_UTIL_H
#define TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* Exit statuses. */
#define TOOL_EXIT_OK		0
#define TOOL_EXIT_ERROR		1
#define TOOL_EXIT_USAGE		2

/* tool-util.c */

/* The nodes of a fresh store, which a restore may always write over. */
extern const char *const tool_fresh_nodes[];

/* Name the messages start with (set from argv[0] by tool_init). */
extern const char	*tool_name;

void		 tool_init(const char *argv0);

/* "name: message" on stderr. */
void		 tool_warnx(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));

/* "name: message: strerror(err)" on stderr. */
void		 tool_warn(int err, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));

/* A growing buffer; tool_buf_out is its xs_stream_out_fn. */
struct tool_buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

int		 tool_buf_out(void *arg, const void *buf, size_t len);
void		 tool_buf_free(struct tool_buf *b);

/* A store_child_fn appending a child's name and its NUL to a tool_buf. */
int		 tool_buf_name(void *arg, const char *name, size_t len);

/*
 * Read a whole file ("-" or NULL: standard input) into b. Returns 0 or an
 * errno value.
 */
int		 tool_read_file(const char *path, struct tool_buf *b);

/*
 * Write len bytes to path ("-" or NULL: standard output). A file is
 * written beside its final name and renamed into place once complete, so
 * that a failed run leaves no half file. Returns 0 or an errno value.
 */
int		 tool_write_file(const char *path, const void *buf, size_t len);

/* The socket: opt if given, else $XENSTORED_PATH, else the default. */
const char	*tool_socket_path(const char *opt);

/* True if path is one of tool_fresh_nodes. */
bool		 tool_is_fresh(const char *path);

/*
 * A dump being read: the binary stream, or its text form (anything that
 * starts with '/', '@', '#' or a newline, or is empty).
 */
struct tool_input {
	bool			 text;
	struct xs_stream_reader	*sr;
	struct xs_text_reader	*tr;
};

/* Open a reader on buf. Returns 0 or ENOMEM. */
int		 tool_input_open(struct tool_input *in, const void *buf,
		     size_t len);

/* The next record, as xs_stream_next and xs_text_next. */
int		 tool_input_next(struct tool_input *in,
		     struct xs_stream_record *rec);

/* The last error, with its place. */
const char	*tool_input_error(const struct tool_input *in);

void		 tool_input_close(struct tool_input *in);

/*
 * A set of paths (by a 64-bit hash of the path: two different paths of
 * one dump sharing a hash is not a practical concern), each with a
 * number.
 */
struct tool_pathset {
	uint64_t	*key;	/* hash + 1, 0: free */
	uint64_t	*val;
	size_t		 cap;
	size_t		 n;
};

uint64_t	 tool_path_hash(const char *path);
int		 tool_pathset_add(struct tool_pathset *s, const char *path,
		     uint64_t val);
bool		 tool_pathset_get(const struct tool_pathset *s,
		     const char *path, uint64_t *val);
void		 tool_pathset_free(struct tool_pathset *s);

#endif /* TOOL_UTIL_H */

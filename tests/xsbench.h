/*
 * xsbench.h - raw wire connections for the load generator (xsbench) and
 * the kill-under-load test (check_crash).
 *
 * These speak the xenstore wire protocol themselves, on non-blocking Unix
 * sockets, so that many requests can be in flight on many connections from
 * one thread: nothing here waits for a reply except xb_call.
 */
#ifndef XSBENCH_H
#define XSBENCH_H

#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* One connection to a daemon. */
struct xb_conn {
	int		 fd;
	int		 id;		/* owner's number for it */
	void		*arg;		/* owner's data */

	char		*in;		/* received, not yet parsed */
	size_t		 in_len;
	size_t		 in_size;

	char		*out;		/* queued, not yet written */
	size_t		 out_off;
	size_t		 out_len;
	size_t		 out_size;
	int		 polled_out;	/* EPOLLOUT asked for */
};

/*
 * Called for each complete message received. The payload is followed by
 * a NUL that is not counted in hdr->len, so text can be read in place; it
 * is valid until the callback returns. A non-zero return stops reading and
 * is passed back to the caller of xb_conn_read.
 */
typedef int (*xb_msg_cb)(struct xb_conn *, const struct xs_header *,
    const char *, void *);

/* xsbench-conn.c */

/* Connect to the socket at path. Returns 0 or an errno value. */
int	 xb_conn_open(const char *path, struct xb_conn **out);

/* Close the connection and free it. */
void	 xb_conn_free(struct xb_conn *c);

/*
 * Queue one message whose payload is p1 then p2 (either may be empty).
 * Returns 0, E2BIG if the payload is over XS_PAYLOAD_MAX, or ENOMEM.
 */
int	 xb_conn_queue(struct xb_conn *c, uint32_t type, uint32_t req_id,
	     uint32_t tx_id, const void *p1, size_t l1, const void *p2,
	     size_t l2);

/* Queue a message whose payload is one string with its NUL. */
int	 xb_conn_queue_str(struct xb_conn *c, uint32_t type,
	     uint32_t req_id, uint32_t tx_id, const char *s);

/* True if queued output is waiting to be written. */
int	 xb_conn_pending(const struct xb_conn *c);

/*
 * Write as much queued output as the socket takes. Returns 0 (some may be
 * left: see xb_conn_pending) or an errno value (EPIPE if the peer went).
 */
int	 xb_conn_flush(struct xb_conn *c);

/*
 * Read what the socket has and call cb for every complete message.
 * Returns 0, what cb returned, ECONNRESET at end of file, EPROTO for a
 * length over XS_PAYLOAD_MAX, or another errno value.
 */
int	 xb_conn_read(struct xb_conn *c, xb_msg_cb cb, void *arg);

/*
 * Send one request and wait at most timeout_ms for its reply, passing any
 * WATCH_EVENT that comes first to ev (which may be NULL). The reply is
 * copied to reply (NUL-terminated; at most replysz - 1 bytes kept) and its
 * type to *type. Returns 0 (also for an ERROR reply), ETIMEDOUT or an
 * errno value.
 */
int	 xb_call(struct xb_conn *c, uint32_t type, uint32_t tx_id,
	     const void *payload, size_t len, uint32_t *rtype, char *reply,
	     size_t replysz, int timeout_ms, xb_msg_cb ev, void *arg);

/* Like xb_call but ERROR replies become their errno value. */
int	 xb_call_ok(struct xb_conn *c, uint32_t type, uint32_t tx_id,
	     const void *payload, size_t len, char *reply, size_t replysz,
	     int timeout_ms);

/* Error number for a wire error name, EIO if unknown. */
int	 xb_error_number(const char *name);

/* Monotonic time in nanoseconds. */
uint64_t xb_now_ns(void);

#endif /* XSBENCH_H */

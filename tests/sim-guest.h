/*
 * sim-guest.h - a guest domain for xsdbd's simulated Xen (--xen=sim:DIR).
 *
 * The guest creates domain N in DIR as src/xen-sim.c expects it: its ring
 * page DIR/ring-N (a file both sides map), its state DIR/state-N, and its
 * event-channel socket DIR/gev-N-P, where the daemon's notifications
 * arrive. It raises its own event by sending a datagram to the daemon's
 * DIR/ev-N-P. dom0 (a socket client) introduces it; then it speaks the
 * wire protocol over the ring as a guest kernel does: requests in req,
 * replies and watch events from rsp, with the ring's free-running indices
 * (lib/ring.c), pipelined or one at a time, and it can reconnect.
 *
 * Tests that misbehave on purpose write the page directly (g->ring), send
 * raw bytes (sim_guest_put), or never take their replies.
 *
 * Calls return 0 or an errno value: ETIMEDOUT when the daemon did not
 * answer in time, EPROTO when the daemon broke the ring, and for the
 * convenience calls the errno named by an ERROR reply.
 */
#ifndef SIM_GUEST_H
#define SIM_GUEST_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* A watch event set aside while waiting for a reply. */
struct sim_event {
	struct sim_event	*next;
	uint32_t		 len;
	char			 payload[];
};

struct sim_guest {
	char			 dir[128];
	unsigned int		 domid;
	uint32_t		 port;	/* the guest's event channel */
	struct xs_ring		*ring;	/* the shared page */
	int			 evfd;	/* DIR/gev-N-P, bound */
	struct sockaddr_un	 daemon; /* DIR/ev-N-P */
	struct sockaddr_un	 self;

	size_t			 chunk;	/* most bytes put at once (0: any) */
	bool			 lockstep; /* wait until each piece is taken */
	bool			 linux_notify; /* raise the event as Linux does */
	uint32_t		 next_req_id;

	/* The message being taken from rsp. */
	unsigned char		 in[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t			 in_used;
	struct xs_header	 hdr;	/* the last message taken */
	char			 msg[XS_PAYLOAD_MAX + 1];

	struct sim_event	*ev_head;
	struct sim_event	*ev_tail;
	unsigned int		 nevents;
	char			 ev[XS_PAYLOAD_MAX + 1];

	uint64_t		 kicks;	/* events raised */
	uint64_t		 quiet;	/* puts without one (linux_notify) */
	uint64_t		 wakeups; /* notifications received */
};

/* Make a fresh simulator directory (mkdtemp) in dir (>= 32 bytes). */
int	 sim_dir_make(char *dir, size_t len);

/* Remove a simulator directory and what it holds. */
void	 sim_dir_remove(const char *dir);

/*
 * Set the state of domain domid: "running", "shutdown", "dying", "gone",
 * or NULL for no domain at all. Written whole (rename).
 */
int	 sim_set_state(const char *dir, unsigned int domid, const char *state);

/* Raise VIRQ_DOM_EXC at the daemon (after a state change). */
int	 sim_raise_virq(const char *dir);

/*
 * Create domain domid with event-channel port port in dir: a zeroed ring
 * page and state "running" if fresh, else the page already there (a guest
 * that lives on across a daemon restart, or a second process).
 */
int	 sim_guest_new(const char *dir, unsigned int domid, uint32_t port,
	     bool fresh, struct sim_guest **out);

/* Unmap the page and close the socket (the files stay). */
void	 sim_guest_free(struct sim_guest *g);

/* dom0 makes /local/domain/<domid>, owned by the domain ("n<domid>"). */
int	 sim_home_make(const char *sock, unsigned int domid);

/* dom0 INTRODUCEs the domain over the daemon's socket. */
int	 sim_guest_introduce(struct sim_guest *g, const char *sock);

/* Raise the guest's event (the daemon may not be listening: ignored). */
void	 sim_guest_kick(struct sim_guest *g);

/* Wait for a notification from the daemon: 0 or ETIMEDOUT. */
int	 sim_guest_wait(struct sim_guest *g, int timeout_ms);

/*
 * Put up to len bytes in req (at most g->chunk), raising the event if any
 * went in; with linux_notify, only if req_cons was where req_prod stood
 * before the put, as Linux's xenbus does (xb_write): a daemon that has
 * not consumed what came before is expected to look again by itself.
 * Returns 0 with *done (0: full), or EPROTO for broken indices.
 */
int	 sim_guest_put(struct sim_guest *g, const void *buf, size_t len,
	     size_t *done);

/* Put all len bytes, waiting for room as needed. */
int	 sim_guest_write(struct sim_guest *g, const void *buf, size_t len,
	     int timeout_ms);

/* Send one message (header and payload). */
int	 sim_guest_send(struct sim_guest *g, uint32_t type, uint32_t req_id,
	     uint32_t tx_id, const void *payload, uint32_t len,
	     int timeout_ms);

/*
 * Take the next whole message from rsp without waiting: 0 (in g->hdr and
 * g->msg, NUL added), EAGAIN if not whole yet, EPROTO for broken indices
 * or a length over XS_PAYLOAD_MAX.
 */
int	 sim_guest_take(struct sim_guest *g);

/* Take the next whole message, events included, waiting up to timeout. */
int	 sim_guest_recv(struct sim_guest *g, int timeout_ms);

/*
 * One request and its reply (by req_id), setting aside events that come
 * first. On 0, g->hdr and g->msg hold the reply.
 */
int	 sim_guest_request(struct sim_guest *g, uint32_t type, uint32_t tx_id,
	     const void *payload, uint32_t len, int timeout_ms);

/*
 * A request of nul-terminated strings ("a\0" or "a\0b\0"; b may be NULL):
 * 0 if the reply is of the request's type, else the errno it names.
 */
int	 sim_guest_op(struct sim_guest *g, uint32_t type, uint32_t tx_id,
	     const char *a, const char *b);

/* WRITE path = value. */
int	 sim_guest_write_node(struct sim_guest *g, uint32_t tx_id,
	     const char *path, const char *value);

/* READ path into out (NUL-terminated, cut to outsz). */
int	 sim_guest_read_node(struct sim_guest *g, uint32_t tx_id,
	     const char *path, char *out, size_t outsz);

/*
 * The next watch event (set aside, else received within timeout_ms).
 * *path and *token point into g, valid until the next call.
 */
int	 sim_guest_next_event(struct sim_guest *g, int timeout_ms,
	     const char **path, const char **token);

/* Drop the events set aside. */
void	 sim_guest_clear_events(struct sim_guest *g);

/*
 * Ask the daemon to reset the ring (connection = 1) and wait until it has
 * (connection = 0). What the guest had half taken is dropped too.
 */
int	 sim_guest_reconnect(struct sim_guest *g, int timeout_ms);

/* The page's error and server_features fields. */
uint32_t sim_guest_error(const struct sim_guest *g);
uint32_t sim_guest_features(const struct sim_guest *g);

#endif /* SIM_GUEST_H */

/*
 * lu-pause.c - the pause of a live update as busy clients see it.
 *
 *	lu-pause -s SOCKET -b BINARY [-c CLIENTS] [-w SECONDS]
 *
 * CLIENTS connections (3) each keep one WRITE in flight, one after the
 * other, to a node of their own; after SECONDS (0.5) a control connection
 * asks the daemon for a live update to BINARY as xenstore-control does
 * (CONTROL "live-update -f BINARY", then "live-update -s -t 60 -F") and
 * waits for its "OK". The pause is the longest time between two replies
 * to the busy clients from the "-s" until 200 ms after the "OK": the last
 * answer of the old daemon to the first of the new one. Works against any
 * daemon that serves CONTROL live-update (xsdbd, Xen's C xenstored).
 * Prints one line:
 *
 *	RESULT pause_ms=P ok_ms=O replies=N
 *
 * (ok_ms: from "-s" to its "OK"); exit status 1 on any error.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xs.h"

#define PAUSE_CLIENTS_MAX	16
#define PAUSE_AFTER_NS		200000000ULL
#define PAUSE_TIMEOUT_NS	900000000000ULL

/* A connection and the message being received on it. */
struct pause_conn {
	int		 fd;
	char		 buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t		 used;
	uint64_t	 counter;
};

static uint64_t	 pause_now(void);
static int	 pause_connect(const char *);
static void	 pause_send(struct pause_conn *, uint32_t, uint32_t,
		     const void *, uint32_t);
static int	 pause_recv(struct pause_conn *, struct xs_header *);
static void	 pause_write(struct pause_conn *, unsigned int);
static void	 pause_usage(void) __attribute__((noreturn));

/* Nanoseconds of the monotonic clock. */
static uint64_t
pause_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A connection to the daemon, or exit. */
static int
pause_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "lu-pause: socket path too long\n");
		exit(1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "lu-pause: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return s;
}

/* Send one whole message, or exit. */
static void
pause_send(struct pause_conn *c, uint32_t type, uint32_t req_id,
    const void *payload, uint32_t len)
{
	char	msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t	n, off = 0;
	ssize_t	w;

	n = xs_wire_build(msg, type, req_id, 0, payload, len);
	while (off < n) {
		w = send(c->fd, msg + off, n - off, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "lu-pause: send: %s\n",
			    strerror(errno));
			exit(1);
		}
		off += (size_t)w;
	}
}

/*
 * Read what is there; 1 with *h once a whole message is in c->buf, 0 if
 * not yet, or exit if the daemon went.
 */
static int
pause_recv(struct pause_conn *c, struct xs_header *h)
{
	ssize_t	r;
	size_t	want;

	for (;;) {
		if (c->used >= XS_HEADER_SIZE) {
			if (xs_wire_header_decode(c->buf, h) != 0) {
				fprintf(stderr, "lu-pause: bad reply\n");
				exit(1);
			}
			want = XS_HEADER_SIZE + h->len;
			if (c->used == want) {
				c->used = 0;
				return 1;
			}
		} else
			want = XS_HEADER_SIZE;
		r = recv(c->fd, c->buf + c->used, want - c->used,
		    MSG_DONTWAIT);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0) {
			fprintf(stderr, "lu-pause: the daemon closed a "
			    "connection\n");
			exit(1);
		}
		c->used += (size_t)r;
	}
}

/* The next WRITE of a busy client i. */
static void
pause_write(struct pause_conn *c, unsigned int i)
{
	char	p[64];
	int	n;

	n = snprintf(p, sizeof p, "/lu-pause/c%u%c%llu", i, 0,
	    (unsigned long long)++c->counter);
	pause_send(c, XS_WRITE, (uint32_t)c->counter, p, (uint32_t)n);
}

static void
pause_usage(void)
{
	fprintf(stderr, "usage: lu-pause -s SOCKET -b BINARY [-c CLIENTS] "
	    "[-w SECONDS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct pause_conn	 cl[PAUSE_CLIENTS_MAX + 1], *ctl;
	struct pollfd		 pfd[PAUSE_CLIENTS_MAX + 1];
	struct xs_header	 h;
	const char		*sock = NULL, *bin = NULL;
	char			 cmd[XS_PAYLOAD_MAX];
	uint64_t		 t0, now, t_s = 0, t_ok = 0, last = 0, gap = 0;
	uint64_t		 warm = 500000000ULL, replies = 0;
	unsigned int		 n = 3, i;
	int			 ch, step = 0, len;

	while ((ch = getopt(argc, argv, "s:b:c:w:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'b':
			bin = optarg;
			break;
		case 'c':
			n = (unsigned int)atoi(optarg);
			break;
		case 'w':
			warm = (uint64_t)(atof(optarg) * 1e9);
			break;
		default:
			pause_usage();
		}
	}
	if (sock == NULL || bin == NULL || n == 0 || n > PAUSE_CLIENTS_MAX)
		pause_usage();

	memset(cl, 0, sizeof cl);
	for (i = 0; i <= n; i++) {
		cl[i].fd = pause_connect(sock);
		pfd[i].fd = cl[i].fd;
		pfd[i].events = POLLIN;
	}
	ctl = &cl[n];
	for (i = 0; i < n; i++)
		pause_write(&cl[i], i);
	t0 = pause_now();
	for (;;) {
		now = pause_now();
		if (now - t0 > PAUSE_TIMEOUT_NS) {
			fprintf(stderr, "lu-pause: no end after %llu s\n",
			    (unsigned long long)(PAUSE_TIMEOUT_NS / 1000000000));
			return 1;
		}
		if (step == 0 && now - t0 >= warm) {
			len = snprintf(cmd, sizeof cmd, "live-update%c-f%c%s%c",
			    0, 0, bin, 0);
			pause_send(ctl, XS_CONTROL, 1, cmd, (uint32_t)len);
			step = 1;
		}
		if (step == 3 && now - t_ok >= PAUSE_AFTER_NS)
			break;
		if (poll(pfd, n + 1, 10) == -1 && errno != EINTR) {
			perror("lu-pause: poll");
			return 1;
		}
		for (i = 0; i < n; i++) {
			while (pause_recv(&cl[i], &h)) {
				if (h.type == XS_WATCH_EVENT)
					continue;
				now = pause_now();
				if (h.type != XS_WRITE) {
					fprintf(stderr, "lu-pause: client %u: "
					    "reply of type %u\n", i, h.type);
					return 1;
				}
				if (step >= 2 && last != 0 && now - last > gap)
					gap = now - last;
				last = now;
				replies++;
				pause_write(&cl[i], i);
			}
		}
		while (pause_recv(ctl, &h)) {
			ctl->buf[XS_HEADER_SIZE + h.len - (h.len > 0)] = '\0';
			if (h.type != XS_CONTROL ||
			    strcmp(ctl->buf + XS_HEADER_SIZE, "OK") != 0) {
				fprintf(stderr, "lu-pause: live-update: %s\n",
				    ctl->buf + XS_HEADER_SIZE);
				return 1;
			}
			if (step == 1) {
				len = snprintf(cmd, sizeof cmd, "live-update%c"
				    "-s%c-t%c60%c-F%c", 0, 0, 0, 0, 0);
				t_s = pause_now();
				last = t_s;
				pause_send(ctl, XS_CONTROL, 2, cmd,
				    (uint32_t)len);
				step = 2;
			} else if (step == 2) {
				t_ok = pause_now();
				step = 3;
			}
		}
	}
	printf("RESULT pause_ms=%.1f ok_ms=%.1f replies=%llu\n",
	    (double)gap / 1e6, (double)(t_ok - t_s) / 1e6,
	    (unsigned long long)replies);
	return 0;
}

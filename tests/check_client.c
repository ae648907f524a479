/*
 * check_client.c - tests of lib/client.c over real sockets.
 *
 * The test plays the daemon itself, writing wire bytes on the other end
 * of a socketpair (or of a listening socket in a temporary directory):
 * replies cut into single bytes, watch events before a reply, oversize
 * and malformed replies, a peer that closes. Where the client must block
 * while the daemon acts, a forked child plays the daemon and reports
 * through its exit status; where it need not, everything happens in one
 * process, in a fixed order, and the client's timeouts show what it has
 * or has not received yet.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "xs.h"

/* One request the scripted daemon expects, and what it answers. */
struct step {
	uint32_t	 type;
	uint32_t	 tx_id;
	const char	*req;		/* expected payload */
	uint32_t	 reqlen;
	uint32_t	 rtype;		/* reply type */
	const char	*rep;		/* reply payload */
	uint32_t	 replen;
	int		 event_first;	/* send a WATCH_EVENT before */
	int		 bytewise;	/* one write per byte */
};

static volatile sig_atomic_t	signals_seen;

static void	 pair(struct xs_client **, int *);
static void	 put(int, const void *, size_t);
static void	 put_msg(int, uint32_t, uint32_t, uint32_t, const void *,
		     uint32_t);
static int	 get_exact(int, void *, size_t);
static int	 get_msg(int, struct xs_header *, char *);
static int	 script_run(int, const struct step *, size_t);
static pid_t	 serve(int, const struct step *, size_t);
static void	 reap(pid_t);
static void	 on_signal(int);
static void	 catch_signal(void);
static int	 wait_parent_sleeping(void);
static Suite	*client_suite(void);

/* A client on one end of a socketpair, the daemon's end in *srv. */
static void
pair(struct xs_client **c, int *srv)
{
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	ck_assert_int_eq(xs_client_fdopen(sv[0], c), 0);
	*srv = sv[1];
}

/* Write all of buf to fd (the daemon's side). */
static void
put(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(90);
		p += n;
		len -= (size_t)n;
	}
}

/* Write one whole message to fd. */
static void
put_msg(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
    const void *payload, uint32_t len)
{
	unsigned char	buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	size_t		n;

	n = xs_wire_build(buf, type, req_id, tx_id, payload, len);
	if (n == 0)
		_exit(91);
	put(fd, buf, n);
}

/* Read exactly len bytes; 0 or -1. */
static int
get_exact(int fd, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Read one message; payload has room for XS_PAYLOAD_MAX. 0 or -1. */
static int
get_msg(int fd, struct xs_header *h, char *payload)
{
	unsigned char	hdr[XS_HEADER_SIZE];

	if (get_exact(fd, hdr, sizeof hdr) != 0)
		return (-1);
	if (xs_wire_header_decode(hdr, h) != 0)
		return (-1);
	return (get_exact(fd, payload, h->len));
}

/*
 * Play the daemon through the steps: check each request, answer it with
 * its req_id. Returns 0, or the number of the step that went wrong.
 */
static int
script_run(int fd, const struct step *s, size_t n)
{
	static char		payload[XS_PAYLOAD_MAX];
	unsigned char		out[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	struct xs_header	h;
	size_t			i, len, k;

	for (i = 0; i < n; i++) {
		if (get_msg(fd, &h, payload) != 0)
			return ((int)i + 1);
		if (h.type != s[i].type || h.tx_id != s[i].tx_id ||
		    h.len != s[i].reqlen ||
		    memcmp(payload, s[i].req, h.len) != 0)
			return ((int)i + 1);
		if (s[i].event_first)
			put_msg(fd, XS_WATCH_EVENT, 0, 0, "/ev\0tok", 8);
		len = xs_wire_build(out, s[i].rtype, h.req_id, h.tx_id,
		    s[i].rep, s[i].replen);
		if (s[i].bytewise) {
			for (k = 0; k < len; k++)
				put(fd, out + k, 1);
		} else
			put(fd, out, len);
	}
	return (0);
}

/* Fork a child that plays the steps on fd; the parent keeps no copy. */
static pid_t
serve(int fd, const struct step *s, size_t n)
{
	pid_t	pid;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(script_run(fd, s, n));
	close(fd);
	return (pid);
}

/* Wait for the child and fail the test unless it exited with 0. */
static void
reap(pid_t pid)
{
	pid_t	rc;
	int	status;

	while ((rc = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		continue;
	ck_assert_int_eq(rc, pid);
	ck_assert_msg(WIFEXITED(status), "daemon child died");
	ck_assert_msg(WEXITSTATUS(status) == 0, "daemon child: step %d",
	    WEXITSTATUS(status));
}

/* Count signals. */
static void
on_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

/* SIGUSR1 interrupts system calls (no SA_RESTART). */
static void
catch_signal(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	signals_seen = 0;
}

/*
 * In a child: wait until the parent is asleep in the kernel (state S in
 * /proc/<ppid>/stat), so that a signal sent now interrupts a system call.
 * Returns 0, or -1 if /proc cannot tell.
 */
static int
wait_parent_sleeping(void)
{
	char	 path[64], buf[512], *p;
	int	 fd;
	ssize_t	 n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)getppid());
	for (;;) {
		if ((fd = open(path, O_RDONLY)) == -1)
			return (-1);
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			return (-1);
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
			return (-1);
		if (p[2] == 'S')
			return (0);
		sched_yield();
	}
}

/* READ through a forked daemon: request bytes and reply as expected. */
START_TEST(test_read)
{
	static const struct step s[] = {
		{ XS_READ, 0, "/a", 3, XS_READ, "hello", 5, 0, 0 },
		{ XS_READ, 9, "/b", 3, XS_READ, "", 0, 0, 0 },
	};
	struct xs_client	*c;
	char			*v;
	uint32_t		 len;
	int			 srv;
	pid_t			 pid;

	pair(&c, &srv);
	pid = serve(srv, s, 2);
	ck_assert_int_eq(xs_client_read(c, 0, "/a", &v, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(v, "hello");
	free(v);
	ck_assert_int_eq(xs_client_read(c, 9, "/b", &v, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(v, "");
	free(v);
	xs_client_close(c);
	reap(pid);
}
END_TEST

/* Every convenience call sends what Xen's clients send. */
START_TEST(test_operations)
{
	static const struct step s[] = {
		{ XS_WRITE, 0, "/a\0v\0w", 6, XS_WRITE, "OK", 3, 0, 0 },
		{ XS_WRITE, 0, "/e", 3, XS_WRITE, "OK", 3, 0, 0 },
		{ XS_MKDIR, 3, "/d", 3, XS_MKDIR, "OK", 3, 0, 0 },
		{ XS_RM, 0, "/d", 3, XS_RM, "OK", 3, 0, 0 },
		{ XS_DIRECTORY, 0, "/", 2, XS_DIRECTORY, "a\0tool", 7, 0, 0 },
		{ XS_GET_PERMS, 0, "/a", 3, XS_GET_PERMS, "b0\0r5", 6, 0, 0 },
		{ XS_SET_PERMS, 0, "/a\0w5\0r7", 9, XS_SET_PERMS, "OK", 3,
		    0, 0 },
		{ XS_WATCH, 0, "/a\0tok", 7, XS_WATCH, "OK", 3, 0, 0 },
		{ XS_UNWATCH, 0, "@releaseDomain\0t", 17, XS_UNWATCH, "OK", 3,
		    0, 0 },
		{ XS_TRANSACTION_START, 0, "", 1, XS_TRANSACTION_START, "17",
		    3, 0, 0 },
		{ XS_TRANSACTION_END, 17, "T", 2, XS_TRANSACTION_END, "OK", 3,
		    0, 0 },
		{ XS_TRANSACTION_END, 18, "F", 2, XS_TRANSACTION_END, "OK", 3,
		    0, 0 },
	};
	struct xs_perm		 p[2] = { { 5, XS_PERM_WRITE },
				     { 7, XS_PERM_READ } };
	struct xs_client	*c;
	char			*v;
	uint32_t		 len, tx;
	int			 srv;
	pid_t			 pid;

	pair(&c, &srv);
	pid = serve(srv, s, sizeof s / sizeof s[0]);
	ck_assert_int_eq(xs_client_write(c, 0, "/a", "v\0w", 3), 0);
	ck_assert_int_eq(xs_client_write(c, 0, "/e", NULL, 0), 0);
	ck_assert_int_eq(xs_client_mkdir(c, 3, "/d"), 0);
	ck_assert_int_eq(xs_client_rm(c, 0, "/d"), 0);
	ck_assert_int_eq(xs_client_directory(c, 0, "/", &v, &len), 0);
	ck_assert_uint_eq(len, 7);
	ck_assert_int_eq(memcmp(v, "a\0tool\0", 8), 0);
	free(v);
	ck_assert_int_eq(xs_client_get_perms(c, 0, "/a", &v, &len), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(v, "b0\0r5\0", 7), 0);
	free(v);
	ck_assert_int_eq(xs_client_set_perms(c, 0, "/a", p, 2), 0);
	ck_assert_int_eq(xs_client_watch(c, "/a", "tok"), 0);
	ck_assert_int_eq(xs_client_unwatch(c, "@releaseDomain", "t"), 0);
	ck_assert_int_eq(xs_client_transaction_start(c, &tx), 0);
	ck_assert_uint_eq(tx, 17);
	ck_assert_int_eq(xs_client_transaction_end(c, tx, true), 0);
	ck_assert_int_eq(xs_client_transaction_end(c, 18, false), 0);
	xs_client_close(c);
	reap(pid);
}
END_TEST

/* ERROR replies become their errno; unknown names EINVAL. */
START_TEST(test_error_replies)
{
	static const struct step s[] = {
		{ XS_READ, 0, "/x", 3, XS_ERROR, "ENOENT", 7, 0, 0 },
		{ XS_WRITE, 0, "/x\0v", 4, XS_ERROR, "EACCES", 7, 0, 0 },
		{ XS_RM, 0, "/x", 3, XS_ERROR, "EQUOTA", 7, 0, 0 },
		{ XS_READ, 0, "/y", 3, XS_ERROR, "E2BIG", 6, 0, 0 },
		{ XS_MKDIR, 0, "/z", 3, XS_ERROR, "", 0, 0, 0 },
		{ XS_TRANSACTION_START, 0, "", 1, XS_ERROR, "EAGAIN", 7, 0,
		    0 },
	};
	struct xs_client	*c;
	struct xs_reply		 r;
	char			*v = (char *)1;
	uint32_t		 len, tx = 5;
	int			 srv;
	pid_t			 pid;

	pair(&c, &srv);
	pid = serve(srv, s, sizeof s / sizeof s[0]);
	ck_assert_int_eq(xs_client_read(c, 0, "/x", &v, &len), ENOENT);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(xs_client_write(c, 0, "/x", "v", 1), EACCES);
	ck_assert_int_eq(xs_client_rm(c, 0, "/x"), EINVAL);
	/* The raw request gives the ERROR reply itself. */
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/y", 3, &r), 0);
	ck_assert_uint_eq(r.hdr.type, XS_ERROR);
	ck_assert_str_eq(r.payload, "E2BIG");
	ck_assert_int_eq(xs_client_mkdir(c, 0, "/z"), EINVAL);
	ck_assert_int_eq(xs_client_transaction_start(c, &tx), EAGAIN);
	ck_assert_uint_eq(tx, 5);
	xs_client_close(c);
	reap(pid);
}
END_TEST

/* A watch event before the reply is set aside for next_event. */
START_TEST(test_event_before_reply)
{
	static const struct step s[] = {
		{ XS_WRITE, 0, "/ev\0x", 5, XS_WRITE, "OK", 3, 1, 0 },
		{ XS_READ, 0, "/ev", 4, XS_READ, "x", 1, 1, 1 },
	};
	struct xs_client	*c;
	const char		*path, *token;
	char			*v;
	uint32_t		 len;
	int			 srv;
	pid_t			 pid;

	pair(&c, &srv);
	pid = serve(srv, s, 2);
	ck_assert_int_eq(xs_client_write(c, 0, "/ev", "x", 1), 0);
	ck_assert_int_eq(xs_client_read(c, 0, "/ev", &v, &len), 0);
	ck_assert_str_eq(v, "x");
	free(v);
	reap(pid);
	/* Both events, in order, then nothing. */
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), 0);
	ck_assert_str_eq(path, "/ev");
	ck_assert_str_eq(token, "tok");
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), 0);
	ck_assert_str_eq(path, "/ev");
	/* The child is gone: the connection is closed, nothing queued. */
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token),
	    ECONNRESET);
	xs_client_close(c);
}
END_TEST

/* An event read straight from the socket, and the timeout. */
START_TEST(test_event_direct)
{
	struct xs_client	*c;
	const char		*path, *token;
	int			 srv;

	pair(&c, &srv);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token),
	    ETIMEDOUT);
	ck_assert_int_eq(xs_client_next_event(c, 10, &path, &token),
	    ETIMEDOUT);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "/a/b\0t1", 8);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "@releaseDomain\0", 16);
	ck_assert_int_eq(xs_client_next_event(c, -1, &path, &token), 0);
	ck_assert_str_eq(path, "/a/b");
	ck_assert_str_eq(token, "t1");
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), 0);
	ck_assert_str_eq(path, "@releaseDomain");
	ck_assert_str_eq(token, "");
	ck_assert_int_eq(xs_client_fd(c) >= 0, 1);
	xs_client_close(c);
	close(srv);
}
END_TEST

/*
 * A reply that arrives one byte at a time: after every byte but the last
 * the client has no message yet (ETIMEDOUT), after the last it has it.
 */
START_TEST(test_fragmented_recv)
{
	unsigned char		 msg[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	static char		 payload[XS_PAYLOAD_MAX];
	struct xs_client	*c;
	struct xs_reply		 r;
	size_t			 n, i;
	int			 srv;

	for (i = 0; i < sizeof payload; i++)
		payload[i] = (char)(i % 5 == 0 ? 0 : 'a' + i % 26);
	pair(&c, &srv);
	n = xs_wire_build(msg, XS_READ, 77, 3, payload, XS_PAYLOAD_MAX);
	for (i = 0; i < n - 1; i++) {
		put(srv, msg + i, 1);
		ck_assert_int_eq(xs_client_recv(c, 0, &r), ETIMEDOUT);
	}
	put(srv, msg + n - 1, 1);
	ck_assert_int_eq(xs_client_recv(c, 0, &r), 0);
	ck_assert_uint_eq(r.hdr.type, XS_READ);
	ck_assert_uint_eq(r.hdr.req_id, 77);
	ck_assert_uint_eq(r.hdr.tx_id, 3);
	ck_assert_uint_eq(r.hdr.len, XS_PAYLOAD_MAX);
	ck_assert_int_eq(memcmp(r.payload, payload, XS_PAYLOAD_MAX), 0);
	ck_assert_int_eq(r.payload[XS_PAYLOAD_MAX], '\0');
	/* Two messages in one write come out as two. */
	n = xs_wire_build(msg, XS_WRITE, 1, 0, "OK", 3);
	put(srv, msg, n);
	put(srv, msg, n);
	ck_assert_int_eq(xs_client_recv(c, 0, &r), 0);
	ck_assert_str_eq(r.payload, "OK");
	ck_assert_int_eq(xs_client_recv(c, 0, &r), 0);
	ck_assert_str_eq(r.payload, "OK");
	ck_assert_int_eq(xs_client_recv(c, 0, &r), ETIMEDOUT);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* A blocking request whose reply is written one byte per write. */
START_TEST(test_fragmented_request)
{
	static char		big[XS_PAYLOAD_MAX];
	struct step		s[2] = {
		{ XS_READ, 0, "/a", 3, XS_READ, "abc", 3, 0, 1 },
		{ XS_READ, 0, "/big", 5, XS_READ, big, XS_PAYLOAD_MAX, 1, 1 },
	};
	struct xs_client	*c;
	const char		*path, *token;
	char			*v;
	uint32_t		 len, i;
	int			 srv;
	pid_t			 pid;

	for (i = 0; i < sizeof big; i++)
		big[i] = (char)(i % 7 == 0 ? 0 : i);
	pair(&c, &srv);
	pid = serve(srv, s, 2);
	ck_assert_int_eq(xs_client_read(c, 0, "/a", &v, &len), 0);
	ck_assert_str_eq(v, "abc");
	free(v);
	ck_assert_int_eq(xs_client_read(c, 0, "/big", &v, &len), 0);
	ck_assert_uint_eq(len, XS_PAYLOAD_MAX);
	ck_assert_int_eq(memcmp(v, big, XS_PAYLOAD_MAX), 0);
	ck_assert_int_eq(v[XS_PAYLOAD_MAX], '\0');
	free(v);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), 0);
	ck_assert_str_eq(path, "/ev");
	xs_client_close(c);
	reap(pid);
}
END_TEST

/* A 4096-byte request payload with NULs goes out whole; 4097 is E2BIG. */
START_TEST(test_request_limits)
{
	static char		 buf[XS_PAYLOAD_MAX + 1];
	static char		 got[XS_PAYLOAD_MAX];
	struct xs_client	*c;
	struct xs_header	 h;
	int			 srv;
	uint32_t		 i;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i % 3 == 0 ? 0 : 'x');
	pair(&c, &srv);
	/* The reply is there before the request: req_ids start at 1. */
	put_msg(srv, XS_WRITE, 1, 0, "OK", 3);
	ck_assert_int_eq(xs_client_write(c, 0, "/p", buf + 1,
	    XS_PAYLOAD_MAX - 3), 0);
	ck_assert_int_eq(get_msg(srv, &h, got), 0);
	ck_assert_uint_eq(h.type, XS_WRITE);
	ck_assert_uint_eq(h.req_id, 1);
	ck_assert_uint_eq(h.len, XS_PAYLOAD_MAX);
	ck_assert_int_eq(memcmp(got, "/p\0", 3), 0);
	ck_assert_int_eq(memcmp(got + 3, buf + 1, XS_PAYLOAD_MAX - 3), 0);

	/* Too long: refused before anything is sent. */
	ck_assert_int_eq(xs_client_write(c, 0, "/p", buf + 1,
	    XS_PAYLOAD_MAX - 2), E2BIG);
	ck_assert_int_eq(xs_client_send(c, XS_WRITE, 1, 0, buf,
	    XS_PAYLOAD_MAX + 1), E2BIG);
	memset(buf, 'a', sizeof buf);
	buf[XS_PAYLOAD_MAX] = '\0';
	ck_assert_int_eq(xs_client_watch(c, "/p", buf + 3), E2BIG);
	ck_assert_int_eq(xs_client_read(c, 0, buf, NULL, NULL), E2BIG);
	ck_assert_int_eq(xs_client_set_perms(c, 0, buf, NULL, 0), EINVAL);
	/* Nothing reached the daemon. */
	ck_assert_int_eq(fcntl(srv, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(srv, got, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* Pipelining: requests go out at once, replies come back in order. */
START_TEST(test_pipeline)
{
	static char		 got[XS_PAYLOAD_MAX];
	struct xs_client	*c;
	struct xs_reply		 r;
	struct xs_header	 h;
	const char		*path, *token;
	int			 srv, i;

	pair(&c, &srv);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(xs_client_send(c, XS_READ, 100 + i, 0,
		    "/a", 3), 0);
	/* With replies due, request and next_event refuse. */
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r),
	    EBUSY);
	ck_assert_int_eq(xs_client_read(c, 0, "/a", NULL, NULL), EBUSY);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EBUSY);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(get_msg(srv, &h, got), 0);
		ck_assert_uint_eq(h.req_id, 100 + (uint32_t)i);
		if (i == 1)
			put_msg(srv, XS_WATCH_EVENT, 0, 0, "/a\0w", 5);
		put_msg(srv, XS_READ, h.req_id, 0, i == 2 ? "c" : "ab",
		    i == 2 ? 1 : 2);
	}
	ck_assert_int_eq(xs_client_recv(c, -1, &r), 0);
	ck_assert_uint_eq(r.hdr.req_id, 100);
	ck_assert_int_eq(xs_client_recv(c, -1, &r), 0);
	ck_assert_uint_eq(r.hdr.type, XS_WATCH_EVENT);
	ck_assert_int_eq(memcmp(r.payload, "/a\0w\0", 5), 0);
	ck_assert_int_eq(xs_client_recv(c, -1, &r), 0);
	ck_assert_uint_eq(r.hdr.req_id, 101);
	ck_assert_str_eq(r.payload, "ab");
	ck_assert_int_eq(xs_client_recv(c, -1, &r), 0);
	ck_assert_uint_eq(r.hdr.req_id, 102);
	ck_assert_str_eq(r.payload, "c");
	/* All replies in: plain requests work again (req_id 1). */
	put_msg(srv, XS_READ, 1, 0, "z", 1);
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r), 0);
	ck_assert_str_eq(r.payload, "z");
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token),
	    ETIMEDOUT);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* Connecting by path to a listening socket in a temporary directory. */
START_TEST(test_open)
{
	char			 dir[] = "/tmp/check_client.XXXXXX";
	char			 path[128], got[XS_PAYLOAD_MAX];
	struct sockaddr_un	 sun;
	struct xs_client	*c;
	struct xs_header	 h;
	char			*v;
	uint32_t		 len;
	int			 l, srv;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/socket", dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(l, 1), 0);

	ck_assert_int_eq(xs_client_open(path, &c), 0);
	srv = accept(l, NULL, NULL);
	ck_assert_int_ge(srv, 0);
	put_msg(srv, XS_READ, 1, 0, "v", 1);
	ck_assert_int_eq(xs_client_read(c, 0, "/k", &v, &len), 0);
	ck_assert_str_eq(v, "v");
	free(v);
	ck_assert_int_eq(get_msg(srv, &h, got), 0);
	ck_assert_uint_eq(h.type, XS_READ);
	ck_assert_str_eq(got, "/k");
	xs_client_close(c);
	close(srv);
	close(l);
	unlink(path);

	/* Nobody listening any more. */
	c = (struct xs_client *)1;
	ck_assert_int_eq(xs_client_open(path, &c), ENOENT);
	ck_assert_ptr_null(c);
	rmdir(dir);
}
END_TEST

/* Bad arguments to open and fdopen. */
START_TEST(test_open_bad)
{
	char			 longpath[200];
	struct xs_client	*c;

	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	ck_assert_int_eq(xs_client_open(longpath, &c), ENAMETOOLONG);
	ck_assert_int_eq(xs_client_open("", &c), EINVAL);
	ck_assert_int_eq(xs_client_open(NULL, &c), EINVAL);
	ck_assert_int_eq(xs_client_open("/nonexistent/xsdb/socket", &c),
	    ENOENT);
	ck_assert_int_eq(xs_client_fdopen(-1, &c), EBADF);
	xs_client_close(NULL);
}
END_TEST

/* A signal while the client waits for a reply is not an error. */
START_TEST(test_eintr_read)
{
	static char		 got[XS_PAYLOAD_MAX];
	struct xs_client	*c;
	struct xs_header	 h;
	char			*v;
	uint32_t		 len;
	int			 srv;
	pid_t			 pid;

	catch_signal();
	pair(&c, &srv);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		/* The request is in: the parent is waiting, or about to. */
		if (get_msg(srv, &h, got) != 0)
			_exit(1);
		if (wait_parent_sleeping() != 0)
			_exit(2);
		if (kill(getppid(), SIGUSR1) != 0)
			_exit(3);
		put_msg(srv, XS_READ, h.req_id, 0, "after", 5);
		_exit(0);
	}
	close(srv);
	ck_assert_int_eq(xs_client_read(c, 0, "/s", &v, &len), 0);
	ck_assert_str_eq(v, "after");
	free(v);
	reap(pid);
	ck_assert_int_ge(signals_seen, 1);
	xs_client_close(c);
}
END_TEST

/*
 * Interrupted writes: with a tiny send buffer and a daemon that does not
 * read yet, the client blocks in send(); a signal then interrupts it,
 * either before any byte (EINTR) or after some (a short count, when the
 * kernel had taken part of the message). Either way every byte must
 * arrive, in order.
 */
START_TEST(test_interrupted_write)
{
	static char		 buf[XS_PAYLOAD_MAX], got[XS_PAYLOAD_MAX];
	struct xs_client	*c;
	struct xs_header	 h;
	int			 srv, size = 1, i, n = 16;
	pid_t			 pid;

	catch_signal();
	pair(&c, &srv);
	ck_assert_int_eq(setsockopt(xs_client_fd(c), SOL_SOCKET, SO_SNDBUF,
	    &size, sizeof size), 0);
	for (i = 0; i < (int)sizeof buf; i++)
		buf[i] = (char)(i * 31);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (wait_parent_sleeping() != 0)
			_exit(2);
		if (kill(getppid(), SIGUSR1) != 0)
			_exit(3);
		for (i = 0; i < n; i++) {
			if (get_msg(srv, &h, got) != 0)
				_exit(10 + i);
			if (h.req_id != (uint32_t)i ||
			    h.len != XS_PAYLOAD_MAX ||
			    memcmp(got, buf, XS_PAYLOAD_MAX) != 0)
				_exit(40 + i);
		}
		_exit(0);
	}
	close(srv);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(xs_client_send(c, XS_WRITE, (uint32_t)i, 0,
		    buf, XS_PAYLOAD_MAX), 0);
	reap(pid);
	ck_assert_int_ge(signals_seen, 1);
	xs_client_close(c);
}
END_TEST

/* A reply over 4096 bytes breaks the client for good: EPROTO, then EIO. */
START_TEST(test_oversize_reply)
{
	unsigned char		 hdr[XS_HEADER_SIZE];
	struct xs_header	 h = { XS_READ, 1, 0, XS_PAYLOAD_MAX + 1 };
	struct xs_client	*c;
	struct xs_reply		 r;
	const char		*path, *token;
	int			 srv;

	pair(&c, &srv);
	xs_wire_header_encode(hdr, &h);
	put(srv, hdr, sizeof hdr);
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r),
	    EPROTO);
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r),
	    EPROTO);
	ck_assert_int_eq(xs_client_recv(c, 0, &r), EPROTO);
	ck_assert_int_eq(xs_client_send(c, XS_READ, 1, 0, "/a", 3), EPROTO);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_mkdir(c, 0, "/a"), EIO);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* Oversize reply seen by recv, even before its payload arrives. */
START_TEST(test_oversize_recv)
{
	unsigned char		 hdr[XS_HEADER_SIZE];
	struct xs_header	 h = { XS_WATCH_EVENT, 0, 0, UINT32_MAX };
	struct xs_client	*c;
	struct xs_reply		 r;
	int			 srv;

	pair(&c, &srv);
	xs_wire_header_encode(hdr, &h);
	put(srv, hdr, sizeof hdr);
	ck_assert_int_eq(xs_client_recv(c, -1, &r), EPROTO);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* The daemon closes: before, in the middle of, or instead of a reply. */
START_TEST(test_peer_closes)
{
	struct xs_client	*c;
	struct xs_reply		 r;
	unsigned char		 msg[XS_HEADER_SIZE + 8];
	size_t			 n;
	char			*v;
	uint32_t		 len;
	int			 srv, error;

	/* Reads the request, then closes without a word. */
	pair(&c, &srv);
	ck_assert_int_eq(shutdown(srv, SHUT_WR), 0);
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r),
	    ECONNRESET);
	ck_assert_int_eq(xs_client_read(c, 0, "/a", &v, &len), EIO);
	xs_client_close(c);
	close(srv);

	/* Half a reply, then the end. */
	pair(&c, &srv);
	n = xs_wire_build(msg, XS_READ, 1, 0, "abcd", 4);
	put(srv, msg, n - 2);
	ck_assert_int_eq(shutdown(srv, SHUT_WR), 0);
	ck_assert_int_eq(xs_client_read(c, 0, "/a", &v, &len), EIO);
	ck_assert_int_eq(xs_client_recv(c, 0, &r), ECONNRESET);
	xs_client_close(c);
	close(srv);

	/* Gone entirely before the request: the write fails (no SIGPIPE). */
	pair(&c, &srv);
	close(srv);
	error = xs_client_request(c, XS_READ, 0, "/a", 3, &r);
	ck_assert_msg(error == EPIPE || error == ECONNRESET, "%d", error);
	ck_assert_int_eq(xs_client_write(c, 0, "/a", "b", 1), EIO);
	xs_client_close(c);
}
END_TEST

/* A reply to another request id is a protocol error. */
START_TEST(test_wrong_req_id)
{
	struct xs_client	*c;
	struct xs_reply		 r;
	int			 srv;

	pair(&c, &srv);
	put_msg(srv, XS_READ, 999, 0, "x", 1);
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r),
	    EPROTO);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* Replies of the wrong type, or malformed, are EIO for the helpers. */
START_TEST(test_bad_replies)
{
	static const struct {
		uint32_t	 type;
		const char	*payload;
		uint32_t	 len;
	} tx[] = {
		{ XS_TRANSACTION_START, "abc", 4 },
		{ XS_TRANSACTION_START, "", 1 },
		{ XS_TRANSACTION_START, "", 0 },
		{ XS_TRANSACTION_START, "12", 2 },
		{ XS_TRANSACTION_START, "1\0002", 4 },
		{ XS_TRANSACTION_START, "-1", 3 },
		{ XS_TRANSACTION_START, "4294967296", 11 },
		{ XS_TRANSACTION_START, "99999999999", 12 },
		{ XS_READ, "7", 2 },
	};
	struct xs_client	*c;
	uint32_t		 id, req = 1;
	size_t			 i;
	int			 srv;

	pair(&c, &srv);
	for (i = 0; i < sizeof tx / sizeof tx[0]; i++) {
		put_msg(srv, tx[i].type, req++, 0, tx[i].payload, tx[i].len);
		id = 12345;
		ck_assert_msg(xs_client_transaction_start(c, &id) == EIO,
		    "case %zu", i);
		ck_assert_uint_eq(id, 12345);
	}
	put_msg(srv, XS_TRANSACTION_START, req++, 0, "4294967295", 11);
	ck_assert_int_eq(xs_client_transaction_start(c, &id), 0);
	ck_assert_uint_eq(id, 4294967295U);
	/* A reply of another type. */
	put_msg(srv, XS_READ, req++, 0, "OK", 3);
	ck_assert_int_eq(xs_client_mkdir(c, 0, "/a"), EIO);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* Malformed events: EPROTO, never a crash. */
START_TEST(test_bad_events)
{
	struct xs_client	*c;
	const char		*path, *token;
	struct xs_reply		 r;
	int			 srv;

	pair(&c, &srv);
	/* Set aside while waiting for a reply, found bad on the way out. */
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "/a\0t", 4);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "/a\0t\0x\0", 7);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "/a", 3);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "", 0);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "/ok\0t", 6);
	put_msg(srv, XS_READ, 1, 0, "v", 1);
	ck_assert_int_eq(xs_client_request(c, XS_READ, 0, "/a", 3, &r), 0);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), 0);
	ck_assert_str_eq(path, "/ok");
	/* Read directly: a bad one is EPROTO and the next is fine. */
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "nonul", 5);
	put_msg(srv, XS_WATCH_EVENT, 0, 0, "/b\0u", 5);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), 0);
	ck_assert_str_eq(token, "u");
	/* A reply where only an event can come breaks the client. */
	put_msg(srv, XS_READ, 5, 0, "v", 1);
	ck_assert_int_eq(xs_client_next_event(c, 0, &path, &token), EPROTO);
	ck_assert_int_eq(xs_client_recv(c, 0, &r), EPROTO);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* A timeout in the middle of a message loses nothing. */
START_TEST(test_timeout_mid_message)
{
	unsigned char		 msg[XS_HEADER_SIZE + 16];
	struct xs_client	*c;
	struct xs_reply		 r;
	size_t			 n;
	int			 srv;

	pair(&c, &srv);
	n = xs_wire_build(msg, XS_DIRECTORY, 4, 0, "a\0b", 4);
	put(srv, msg, 10);
	ck_assert_int_eq(xs_client_recv(c, 5, &r), ETIMEDOUT);
	put(srv, msg + 10, 8);
	ck_assert_int_eq(xs_client_recv(c, 5, &r), ETIMEDOUT);
	put(srv, msg + 18, n - 18);
	ck_assert_int_eq(xs_client_recv(c, 5, &r), 0);
	ck_assert_uint_eq(r.hdr.req_id, 4);
	ck_assert_int_eq(memcmp(r.payload, "a\0b", 4), 0);
	xs_client_close(c);
	close(srv);
}
END_TEST

/* The suite: core, limits, errors. */
static Suite *
client_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("client");

	tc = tcase_create("core");
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_operations);
	tcase_add_test(tc, test_error_replies);
	tcase_add_test(tc, test_event_before_reply);
	tcase_add_test(tc, test_event_direct);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_eintr_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_fragmented_recv);
	tcase_add_test(tc, test_fragmented_request);
	tcase_add_test(tc, test_request_limits);
	tcase_add_test(tc, test_interrupted_write);
	tcase_add_test(tc, test_timeout_mid_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_open_bad);
	tcase_add_test(tc, test_oversize_reply);
	tcase_add_test(tc, test_oversize_recv);
	tcase_add_test(tc, test_peer_closes);
	tcase_add_test(tc, test_wrong_req_id);
	tcase_add_test(tc, test_bad_replies);
	tcase_add_test(tc, test_bad_events);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(client_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

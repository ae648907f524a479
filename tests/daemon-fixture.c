/*
 * daemon-fixture.c - start the real xsdbd for a test, talk to it raw.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon-fixture.h"

static int	fixture_rm(const char *, const struct stat *, int,
		    struct FTW *);
static pid_t	fixture_spawn(struct fixture *, const char *const *);
static int	fixture_wait_gone(struct fixture *);
static void	fixture_sanitizer_env(const char *, const char *);
static void	fixture_no_reports(const struct fixture *);
static void	fixture_reap(void);

/* Make the run directory and paths. */
void
fixture_init(struct fixture *f)
{
	const char	*top;

	memset(f, 0, sizeof *f);
	f->pid = -1;
	top = getenv("XSDB_TOP_BUILDDIR");
	ck_assert_msg(top != NULL,
	    "XSDB_TOP_BUILDDIR is not set (run through make check)");
	snprintf(f->bin, sizeof f->bin, "%s/src/xsdbd", top);
	ck_assert_msg(access(f->bin, X_OK) == 0, "no daemon at %s", f->bin);
	snprintf(f->dir, sizeof f->dir, "/tmp/xsdb-daemon.XXXXXX");
	ck_assert_msg(mkdtemp(f->dir) != NULL, "mkdtemp: %s",
	    strerror(errno));
	snprintf(f->db, sizeof f->db, "%s/db", f->dir);
	snprintf(f->sock, sizeof f->sock, "%s/socket", f->dir);
	snprintf(f->pidfile, sizeof f->pidfile, "%s/pid", f->dir);
	snprintf(f->log, sizeof f->log, "%s/daemon.log", f->dir);
	/* The daemonized xsdbd becomes our child. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
}

/* Fork and exec argv with output to the log; return the child's pid. */
static pid_t
fixture_spawn(struct fixture *f, const char *const *argv)
{
	pid_t	pid;
	int	fd;

	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* A sanitizer build reports into the run directory. */
		fixture_sanitizer_env("ASAN_OPTIONS", f->dir);
		fixture_sanitizer_env("UBSAN_OPTIONS", f->dir);
		if (f->nofile != 0) {
			struct rlimit	rl = { f->nofile, f->nofile };

			setrlimit(RLIMIT_NOFILE, &rl);
		}
		fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(f->bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Add log_path=DIR/sanitizer to a sanitizer's options variable. */
static void
fixture_sanitizer_env(const char *var, const char *dir)
{
	const char	*old = getenv(var);
	char		 buf[1024];

	snprintf(buf, sizeof buf, "%s%slog_path=%s/sanitizer",
	    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "",
	    dir);
	setenv(var, buf, 1);
}

/* Fail the test if a daemon of the run wrote a sanitizer report. */
static void
fixture_no_reports(const struct fixture *f)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[sizeof f->dir + 260], text[2048];
	ssize_t		 n = -1;
	int		 fd;

	if ((d = opendir(f->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "sanitizer", 9) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
		if ((fd = open(path, O_RDONLY)) != -1) {
			n = read(fd, text, sizeof text - 1);
			close(fd);
		}
		text[n > 0 ? n : 0] = '\0';
		closedir(d);
		ck_abort_msg("sanitizer report %s: %s", path, text);
	}
	closedir(d);
}

/* Run xsdbd with exactly these arguments (after argv[0]); exit status. */
int
fixture_run(struct fixture *f, const char *const *args)
{
	const char	*argv[64];
	pid_t		 pid;
	int		 status, i;

	argv[0] = f->bin;
	argv[1] = "--xen=none";	/* no Xen here; args may say otherwise */
	for (i = 0; args[i] != NULL && i < 61; i++)
		argv[i + 2] = args[i];
	argv[i + 2] = NULL;
	pid = fixture_spawn(f, argv);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Start the daemon; the exit status of its first process. */
int
fixture_start(struct fixture *f, const char *const *extra)
{
	const char	*argv[80];
	char		 buf[32];
	pid_t		 pid;
	ssize_t		 n;
	int		 status, i = 0, fd;

	argv[i++] = f->bin;
	argv[i++] = "--db";
	argv[i++] = f->db;
	argv[i++] = "--socket";
	argv[i++] = f->sock;
	argv[i++] = "--pid-file";
	argv[i++] = f->pidfile;
	argv[i++] = "--xen=none";	/* no Xen here; extra may say otherwise */
	while (extra != NULL && *extra != NULL && i < 78)
		argv[i++] = *extra++;
	argv[i] = NULL;

	pid = fixture_spawn(f, argv);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		return 128;
	if (WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);

	fd = open(f->pidfile, O_RDONLY);
	ck_assert_msg(fd != -1, "no pid file %s", f->pidfile);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	f->pid = (pid_t)strtol(buf, NULL, 10);
	ck_assert_int_gt(f->pid, 1);
	return 0;
}

/* Start and require success. */
void
fixture_up(struct fixture *f, const char *const *extra)
{
	char	log[2048];
	ssize_t	n = 0;
	int	rc, fd;

	rc = fixture_start(f, extra);
	if (rc != 0 && (fd = open(f->log, O_RDONLY)) != -1) {
		n = read(fd, log, sizeof log - 1);
		close(fd);
	}
	log[n > 0 ? n : 0] = '\0';
	ck_assert_msg(rc == 0, "xsdbd did not start (%d): %s", rc, log);
}

/* Wait until the daemon has gone; its wait status. */
static int
fixture_wait_gone(struct fixture *f)
{
	int	status = 0;

	if (f->pid <= 0)
		return 0;
	while (waitpid(f->pid, &status, 0) == -1 && errno == EINTR)
		;
	f->pid = -1;
	return status;
}

/* SIGTERM the daemon and wait. */
int
fixture_stop(struct fixture *f)
{
	if (f->pid <= 0)
		return 0;
	kill(f->pid, SIGTERM);
	return fixture_wait_gone(f);
}

/* SIGKILL the daemon and wait. */
void
fixture_kill(struct fixture *f)
{
	if (f->pid <= 0)
		return;
	kill(f->pid, SIGKILL);
	fixture_wait_gone(f);
}

/* nftw callback: remove one entry. */
static int
fixture_rm(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	remove(path);
	return 0;
}

/*
 * Stop (SIGTERM, so that a sanitizer build checks for leaks), fail on a
 * sanitizer report, clean up.
 */
void
fixture_fini(struct fixture *f)
{
	fixture_stop(f);
	if (f->dir[0] == '\0')
		return;
	fixture_no_reports(f);
	nftw(f->dir, fixture_rm, 8, FTW_DEPTH | FTW_PHYS);
	f->dir[0] = '\0';
}

/* A daemon and a connection to it. */
int
fixture_serve(struct fixture *f, const char *const *extra)
{
	fixture_init(f);
	fixture_up(f, extra);
	return fixture_connect(f);
}

/* Close the connection, stop the daemon, clean up. */
void
fixture_done(struct fixture *f, int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	fixture_fini(f);
}

/* A raw connection. */
int
fixture_connect(const struct fixture *f)
{
	struct sockaddr_un	sun;
	int			s;

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(s, -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(f->sock), sizeof sun.sun_path);
	memcpy(sun.sun_path, f->sock, strlen(f->sock));
	ck_assert_msg(connect(s, (struct sockaddr *)&sun, sizeof sun) == 0,
	    "connect %s: %s", f->sock, strerror(errno));
	return s;
}

/* A lib wire client. */
struct xs_client *
fixture_client(const struct fixture *f)
{
	struct xs_client	*c;
	int			 rc;

	rc = xs_client_open(f->sock, &c);
	ck_assert_msg(rc == 0, "xs_client_open: %s", strerror(rc));
	return c;
}

/* Send all bytes. */
void
fixture_send_raw(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Send one message. */
void
fixture_send(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
    const void *payload, uint32_t len)
{
	char			buf[XS_HEADER_SIZE + 65536];
	struct xs_header	h = { type, req_id, tx_id, len };

	ck_assert_uint_le(len, 65536);
	memcpy(buf, &h, sizeof h);
	if (len > 0)
		memcpy(buf + XS_HEADER_SIZE, payload, len);
	fixture_send_raw(fd, buf, XS_HEADER_SIZE + (size_t)len);
}

/* Read exactly len bytes within the deadline. */
static int
fixture_read_full(int fd, char *buf, size_t len, const struct timespec *end)
{
	struct timespec	now;
	struct pollfd	pfd;
	ssize_t		n;
	long		ms;

	while (len > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end->tv_sec - now.tv_sec) * 1000 +
		    (end->tv_nsec - now.tv_nsec) / 1000000;
		if (ms < 0)
			return ETIMEDOUT;
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, (int)ms);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			return ETIMEDOUT;
		n = read(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return EPIPE;
		ck_assert_msg(n > 0, "read: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Receive one message. The timeout is for its first byte: once a message
 * has begun it is read whole (within 10 s), so that a short timeout never
 * leaves the stream out of step.
 */
int
fixture_recv(int fd, struct xs_header *h, char *payload, int timeout_ms)
{
	struct timespec	end;
	char		hb[XS_HEADER_SIZE];
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	if ((rc = fixture_read_full(fd, hb, 1, &end)) != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 10;
	if ((rc = fixture_read_full(fd, hb + 1, sizeof hb - 1, &end)) != 0)
		return rc;
	memcpy(h, hb, sizeof *h);
	ck_assert_uint_le(h->len, XS_PAYLOAD_MAX);
	if ((rc = fixture_read_full(fd, payload, h->len, &end)) != 0)
		return rc;
	payload[h->len] = '\0';
	return 0;
}

/* One request, its reply; events are skipped. */
const char *
fixture_req(int fd, uint32_t type, uint32_t tx_id, const void *payload,
    uint32_t len, uint32_t *rtype, uint32_t *rlen)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	static uint32_t		req_id = 1000;
	struct xs_header	h;
	int			rc;

	req_id++;
	fixture_send(fd, type, req_id, tx_id, payload, len);
	for (;;) {
		rc = fixture_recv(fd, &h, buf, 10000);
		ck_assert_msg(rc == 0, "no reply to type %u: %s",
		    (unsigned)type, strerror(rc));
		if (h.type != XS_WATCH_EVENT)
			break;
	}
	ck_assert_uint_eq(h.req_id, req_id);
	ck_assert_uint_eq(h.tx_id, tx_id);
	*rtype = h.type;
	*rlen = h.len;
	return buf;
}

/* A request with one string argument. */
const char *
fixture_req1(int fd, uint32_t type, uint32_t tx_id, const char *arg,
    uint32_t *rtype, uint32_t *rlen)
{
	return fixture_req(fd, type, tx_id, arg, (uint32_t)strlen(arg) + 1,
	    rtype, rlen);
}

/* The daemon's log holds text: its first MiB is searched. */
bool
fixture_log_has(const struct fixture *f, const char *text)
{
	static char	buf[1 << 20];
	size_t		len = 0;
	ssize_t		n;
	int		fd;

	if ((fd = open(f->log, O_RDONLY)) == -1)
		return false;
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return strstr(buf, text) != NULL;
}

/* A message type's wire name. */
const char *
fixture_type_name(uint32_t type)
{
	const char	*name = xs_wire_type_name(type);

	return name != NULL ? name : "(unknown type)";
}

/* Strings, each with its NUL, in a payload. */
size_t
fixture_strings(char *buf, const char *first, va_list ap)
{
	const char	*s;
	size_t		 len = 0, n;

	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		n = strlen(s) + 1;
		ck_assert_uint_le(len + n, XS_PAYLOAD_MAX);
		memcpy(buf + len, s, n);
		len += n;
	}
	return len;
}

/* A request of strings, its reply. */
const char *
fixture_reqv(int fd, uint32_t type, uint32_t *rtype, uint32_t *rlen,
    const char *first, va_list ap)
{
	char		buf[XS_PAYLOAD_MAX];
	size_t		n = 0;
	uint32_t	len;

	if (first != NULL)
		n = fixture_strings(buf, first, ap);
	return fixture_req(fd, type, 0, buf, (uint32_t)n, rtype,
	    rlen != NULL ? rlen : &len);
}

/* A request of strings, its reply. */
const char *
fixture_reqs(int fd, uint32_t type, uint32_t *rtype, uint32_t *rlen,
    const char *first, ...)
{
	const char	*r;
	va_list		 ap;

	va_start(ap, first);
	r = fixture_reqv(fd, type, rtype, rlen, first, ap);
	va_end(ap);
	return r;
}

/* A request that answers want with its own type (events skipped). */
void
fixture_answer(int fd, uint32_t type, uint32_t tx_id, const void *payload,
    uint32_t len, const char *want)
{
	const char	*r, *p = len > 0 ? payload : "";
	uint32_t	 rt, rl;

	r = fixture_req(fd, type, tx_id, payload, len, &rt, &rl);
	ck_assert_msg(rt == type && rl == strlen(want) + 1 &&
	    strcmp(r, want) == 0, "%s \"%.*s\": wanted \"%s\", got %s "
	    "\"%s\" (%u bytes)", fixture_type_name(type), (int)strnlen(p, len),
	    p, want, fixture_type_name(rt), r, rl);
}

/* A request that answers OK. */
void
fixture_ok(int fd, uint32_t type, uint32_t tx_id, const void *payload,
    uint32_t len)
{
	fixture_answer(fd, type, tx_id, payload, len, "OK");
}

/* A request that answers ERROR name. */
void
fixture_error(int fd, uint32_t type, uint32_t tx_id, const void *payload,
    uint32_t len, const char *name)
{
	fixture_expect_error(fd, type, tx_id, payload, len, name);
}

/* A request of strings that answers want. */
void
fixture_answers(int fd, uint32_t type, const char *want,
    const char *first, ...)
{
	const char	*r;
	uint32_t	 rt, rl;
	va_list		 ap;

	va_start(ap, first);
	r = fixture_reqv(fd, type, &rt, &rl, first, ap);
	va_end(ap);
	ck_assert_msg(rt == type && rl == strlen(want) + 1 &&
	    strcmp(r, want) == 0, "%s %s: wanted \"%s\", got %s \"%s\" "
	    "(%u bytes)", fixture_type_name(type), first != NULL ? first : "",
	    want, fixture_type_name(rt), r, rl);
}

/* A request of strings that answers ERROR name. */
void
fixture_errors(int fd, uint32_t type, const char *name,
    const char *first, ...)
{
	const char	*r;
	uint32_t	 rt, rl;
	va_list		 ap;

	va_start(ap, first);
	r = fixture_reqv(fd, type, &rt, &rl, first, ap);
	va_end(ap);
	ck_assert_msg(rt == XS_ERROR && strcmp(r, name) == 0,
	    "%s %s: wanted ERROR %s, got %s \"%s\"", fixture_type_name(type),
	    first != NULL ? first : "", name, fixture_type_name(rt), r);
}

/* WRITE path and len bytes of value. */
void
fixture_write_len(int fd, const char *path, const void *value, uint32_t len)
{
	char	buf[XS_PAYLOAD_MAX];
	size_t	pl = strlen(path) + 1;

	ck_assert_uint_le(pl + len, sizeof buf);
	memcpy(buf, path, pl);
	memcpy(buf + pl, value, len);
	fixture_ok(fd, XS_WRITE, 0, buf, (uint32_t)(pl + len));
}

/* WRITE path = value. */
void
fixture_write_str(int fd, const char *path, const char *value)
{
	fixture_write_len(fd, path, value, (uint32_t)strlen(value));
}

/* READ path gives these bytes. */
void
fixture_read_len(int fd, const char *path, const void *value, uint32_t len)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req1(fd, XS_READ, 0, path, &rt, &rl);
	ck_assert_msg(rt == XS_READ, "READ %s: got %s \"%s\"", path,
	    fixture_type_name(rt), r);
	ck_assert_msg(rl == len && memcmp(r, value, len) == 0,
	    "READ %s: wanted %u bytes \"%.*s\", got %u \"%.*s\"", path, len,
	    (int)len, (const char *)value, rl, (int)rl, r);
}

/* READ path gives the string value. */
void
fixture_read_is(int fd, const char *path, const char *value)
{
	fixture_read_len(fd, path, value, (uint32_t)strlen(value));
}

/* A transaction of the connection. */
uint32_t
fixture_tx_start(int fd)
{
	const char	*r;
	uint32_t	 rt, rl;

	r = fixture_req(fd, XS_TRANSACTION_START, 0, "", 1, &rt, &rl);
	ck_assert_msg(rt == XS_TRANSACTION_START,
	    "TRANSACTION_START: got %s \"%s\"", fixture_type_name(rt), r);
	return (uint32_t)strtoul(r, NULL, 10);
}

/* The next message is the event "path\0token\0". */
void
fixture_expect_event(int fd, const char *path, const char *token)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;
	size_t			pl = strlen(path) + 1, tl = strlen(token) + 1;
	int			rc;

	rc = fixture_recv(fd, &h, buf, 10000);
	ck_assert_msg(rc == 0, "no event %s %s: %s", path, token,
	    strerror(rc));
	ck_assert_msg(h.type == XS_WATCH_EVENT, "wanted event %s %s, got %s "
	    "\"%s\"", path, token, fixture_type_name(h.type), buf);
	ck_assert_uint_eq(h.req_id, 0);
	ck_assert_uint_eq(h.tx_id, 0);
	ck_assert_msg(h.len == pl + tl && memcmp(buf, path, pl) == 0 &&
	    memcmp(buf + pl, token, tl) == 0,
	    "wanted event %s %s, got %s %s", path, token, buf,
	    h.len > strlen(buf) + 1 ? buf + strlen(buf) + 1 : "");
}

/* No message waits before the reply to a request sent now. */
void
fixture_expect_quiet(int fd)
{
	static char		buf[XS_PAYLOAD_MAX + 1];
	struct xs_header	h;
	const uint32_t		id = 0x51e7u;
	int			rc;

	fixture_send(fd, XS_GET_DOMAIN_PATH, id, 0, "0", 2);
	rc = fixture_recv(fd, &h, buf, 10000);
	ck_assert_msg(rc == 0, "no reply to GET_DOMAIN_PATH: %s",
	    strerror(rc));
	ck_assert_msg(h.type != XS_WATCH_EVENT, "unexpected event %s %s",
	    buf, h.len > strlen(buf) + 1 ? buf + strlen(buf) + 1 : "");
	ck_assert_msg(h.type == XS_GET_DOMAIN_PATH && h.req_id == id,
	    "wanted quiet, got %s \"%s\" (req_id %#x)",
	    fixture_type_name(h.type), buf, h.req_id);
}

/*
 * A failed assertion ends a test's process before its teardown: its
 * daemon, reparented to us, is killed here.
 */
static void
fixture_reap(void)
{
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	char		 path[300], *p, line[512];
	long		 ppid;
	pid_t		 pid;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = (pid_t)strtol(de->d_name, &p, 10)) <= 0 ||
		    *p != '\0')
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		ppid = 0;
		/* pid (comm) state ppid: comm may hold spaces. */
		if (fgets(line, sizeof line, f) != NULL &&
		    (p = strrchr(line, ')')) != NULL)
			sscanf(p + 1, " %*c %ld", &ppid);
		fclose(f);
		if (ppid == (long)getpid()) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	closedir(d);
}

/* Run a suite. */
int
fixture_main(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	srunner_run_all(sr, CK_ENV);
	fixture_reap();
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

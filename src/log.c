/*
 * log.c - messages of the daemon: to stderr while in the foreground, to
 * syslog once detached.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "xsdbd.h"

static void	log_vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

/*
 * The logging state: the one piece of file-scope state in the daemon,
 * because fatal() must work before and after the context exists.
 */
static struct {
	bool	foreground;
	bool	verbose;
} log_state = { true, false };

/* Start logging; foreground logs to stderr. */
void
log_init(bool foreground, bool verbose)
{
	log_state.foreground = foreground;
	log_state.verbose = verbose;
	if (!foreground)
		openlog("xsdbd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Switch between stderr and syslog (after daemonizing). */
void
log_set_foreground(bool foreground)
{
	if (log_state.foreground && !foreground)
		openlog("xsdbd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.foreground = foreground;
}

/* Write one message at priority pri. */
static void
log_vlog(int pri, const char *fmt, va_list ap)
{
	if (log_state.foreground) {
		fputs("xsdbd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
}

/* A warning with the text of errno appended. */
void
log_warn(const char *fmt, ...)
{
	char	 msg[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", msg, strerror(saved));
	errno = saved;
}

/* A warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Something worth a line in the log. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* A message shown only with -V. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_state.verbose)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Die of a system error: startup and broken invariants only. */
void
fatal(const char *fmt, ...)
{
	char	 msg[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s: %s", msg, strerror(saved));
	exit(1);
}

/* Die: startup and broken invariants only. */
void
fatalx(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s", msg);
	exit(1);
}

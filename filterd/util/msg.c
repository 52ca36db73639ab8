/*++
/* NAME
/*	msg 3
/* SUMMARY
/*	logging to syslog and standard error
/* DESCRIPTION
/*	See msg.h. %m is expanded here, from the errno saved at entry, so
/*	both sinks get the same text.
/*
/*	msg_vlog() is the one writer of log lines: the formatted line goes
/*	through safe_log_text() before any sink sees it, so a file name or
/*	a peer's reply in an argument cannot start a line of its own (CR,
/*	LF), move the cursor of whoever reads the log (controls), or hand
/*	syslog invalid UTF-8. Escaping is done on the whole line rather than
/*	on each argument: no caller has to remember it.
/*--*/

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "msg.h"
#include "safe.h"

/*
 * A log line holds at most MSG_LINE_MAX - 1 bytes after escaping. The
 * formatted line may be longer (MSG_RAW_MAX): the escaper then cuts it
 * and marks the cut (each input byte gives at least one output byte, so
 * it always stops before the end of a line vsnprintf had to cut).
 */
#define MSG_LINE_MAX 8192
#define MSG_RAW_MAX (2 * MSG_LINE_MAX)

/* Process logging state (set by msg_open in the master, inherited). */
static struct {
	char ident[64];
	int facility;
	int use_syslog;
	int to_stderr;
} msg_sink = {"filterd", LOG_MAIL, 0, 1};

static const struct {
	const char *name;
	int code;
} msg_facilities[] = {
	{"mail", LOG_MAIL},	{"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* msg_facility_code - map a syslog facility name to its code */
int
msg_facility_code(const char *name)
{
	for (size_t i = 0; i < sizeof(msg_facilities) / sizeof(*msg_facilities);
	     i++)
		if (strcasecmp(name, msg_facilities[i].name) == 0)
			return msg_facilities[i].code;
	return -1;
}

/* msg_open - choose the sinks */
void
msg_open(const char *ident, int facility, int to_stderr)
{
	snprintf(msg_sink.ident, sizeof(msg_sink.ident), "%s", ident);
	msg_sink.facility = facility;
	msg_sink.to_stderr = to_stderr;
	if (msg_sink.use_syslog)
		closelog();
	openlog(msg_sink.ident, LOG_PID | LOG_NDELAY, facility);
	msg_sink.use_syslog = 1;
}

/* msg_expand_m - copy fmt, replacing %m by the text of err */
static void
msg_expand_m(char *out, size_t size, const char *fmt, int err)
{
	const char *text = strerror(err);
	size_t n = 0;

	for (const char *p = fmt; *p && n + 1 < size; p++) {
		if (p[0] == '%' && p[1] == 'm') {
			for (const char *t = text; *t && n + 2 < size; t++)
				out[n++] = *t == '%' ? ' ' : *t;
			p++;
		} else if (p[0] == '%' && p[1] == '%' && n + 2 < size) {
			out[n++] = *p++;
			out[n++] = *p;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = 0;
}

/* msg_vlog - send one line, made safe, to every sink */
static void
msg_vlog(int level, const char *tag, const char *fmt, va_list ap)
{
	int saved = errno;
	char expanded[2048];
	char raw[MSG_RAW_MAX];
	char line[MSG_LINE_MAX];
	int n;

	/* No allocation here: xmalloc() itself logs when it fails. */
	msg_expand_m(expanded, sizeof(expanded), fmt, saved);
	n = vsnprintf(raw, sizeof(raw), expanded, ap);
	if (n < 0) {
		snprintf(raw, sizeof(raw), "(log format error: %s)", fmt);
		n = (int)strlen(raw);
	}
	(void)safe_log_text(line, sizeof(line), raw,
			    (size_t)n < sizeof(raw) ? (size_t)n
						    : sizeof(raw) - 1);
	if (msg_sink.use_syslog)
		syslog(msg_sink.facility | level, "%s%s", tag, line);
	if (msg_sink.to_stderr)
		fprintf(stderr, "%s[%ld]: %s%s\n", msg_sink.ident,
			(long)getpid(), tag, line);
	errno = saved;
}

#define MSG_BODY(level, tag)                                                   \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		msg_vlog(level, tag, fmt, ap);                                 \
		va_end(ap);                                                    \
	} while (0)

/* msg_info - informational message */
void
msg_info(const char *fmt, ...)
{
	MSG_BODY(LOG_INFO, "");
}

/* msg_notice - a deliberate choice worth saying, no fault */
void
msg_notice(const char *fmt, ...)
{
	MSG_BODY(LOG_NOTICE, "notice: ");
}

/* msg_warn - something is wrong, carry on */
void
msg_warn(const char *fmt, ...)
{
	MSG_BODY(LOG_WARNING, "warning: ");
}

/* msg_error - an operation failed */
void
msg_error(const char *fmt, ...)
{
	MSG_BODY(LOG_ERR, "error: ");
}

/* msg_fatal - the environment or configuration is wrong: exit */
void
msg_fatal(const char *fmt, ...)
{
	MSG_BODY(LOG_CRIT, "fatal: ");
	exit(1);
}

/* msg_panic - a bug: abort with a core dump */
void
msg_panic(const char *fmt, ...)
{
	MSG_BODY(LOG_CRIT, "panic: ");
	abort();
}

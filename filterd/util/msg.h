#ifndef FILTERD_MSG_H
#define FILTERD_MSG_H

/*++
/* NAME
/*	msg 3h
/* SUMMARY
/*	the one way filterd logs
/* SYNOPSIS
/*	#include "util/msg.h"
/* DESCRIPTION
/*	msg_open() directs log output to syslog (with the given ident and
/*	facility) and, when to_stderr is set, also to standard error. Before
/*	msg_open() is called, output goes to standard error only.
/*
/*	msg_info/notice/warn/error report (msg_notice: a choice worth
/*	saying once, that is no fault); msg_fatal reports a problem of the
/*	environment or configuration and exits with status 1; msg_panic
/*	reports a bug and aborts (core dump). All take printf formats and
/*	understand %m.
/*
/*	Per-message lines start with the message's mail_id (STYLE rule 10).
/*
/*	Every line is made safe once formatted, before any sink sees it
/*	(safe_log_text(), util/safe.h): controls, characters that break a
/*	line or reorder text, and bytes that are not well-formed UTF-8 are
/*	escaped, so an argument from a message or a peer cannot forge a
/*	line. A line is at most 8191 bytes after escaping; a longer one is
/*	cut and ends in "...". Callers escape nothing themselves.
/*
/*	The sink settings are the process's logging state: set once in the
/*	master (and again after a reload); children inherit them.
/* DIAGNOSTICS
/*	msg_facility_code() returns -1 for an unknown facility name.
/*--*/

#include <stdarg.h>

#define MSG_PRINTF(a, b) __attribute__((format(printf, a, b)))

void msg_open(const char *ident, int facility, int to_stderr);
int msg_facility_code(const char *name);

void msg_info(const char *fmt, ...) MSG_PRINTF(1, 2);
void msg_notice(const char *fmt, ...) MSG_PRINTF(1, 2);
void msg_warn(const char *fmt, ...) MSG_PRINTF(1, 2);
void msg_error(const char *fmt, ...) MSG_PRINTF(1, 2);
void msg_fatal(const char *fmt, ...) MSG_PRINTF(1, 2) __attribute__((noreturn));
void msg_panic(const char *fmt, ...) MSG_PRINTF(1, 2) __attribute__((noreturn));

#endif

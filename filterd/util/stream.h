#ifndef FILTERD_STREAM_H
#define FILTERD_STREAM_H

/*++
/* NAME
/*	stream 3h
/* SUMMARY
/*	buffered socket and file I/O with deadlines and a sticky error
/* SYNOPSIS
/*	#include "util/stream.h"
/* DESCRIPTION
/*	All socket I/O goes through a stream (STYLE rule 14). A stream owns
/*	its file descriptor: stream_close() closes it, frees the stream and
/*	sets the caller's pointer to NULL. The descriptor must be
/*	non-blocking (accept4() or socket() with SOCK_NONBLOCK, open() with
/*	O_NONBLOCK) so that a write, too, waits no longer than the timeout;
/*	the stream does not spend a system call checking.
/*
/*	Every read or write that has to wait does so for at most the
/*	stream's timeout (seconds; 0 means no limit). The first failure of
/*	each direction is remembered and every later operation in that
/*	direction fails at once: callers may issue many writes and check
/*	once, at stream_flush(). A failed read (timeout, EOF) does not stop
/*	writes, so that a server can still say "421" to an idle client.
/*	stream_error() gives the input side's error, else the output's.
/*
/*	stream_get_line() reads one line up to LF. It stores the line
/*	without its CR LF (or bare LF) and a terminating NUL in buf, and
/*	returns its length. A line longer than size - 1 bytes is read to its
/*	end and discarded past that point; *too_long is then set. A final
/*	line without LF at end of file counts as a line, and stream_error()
/*	is then STREAM_EOF (a reader for whom a line cut short is no line
/*	checks it). Returns -1 on EOF before any byte, timeout or error.
/*
/*	stream_peek() makes buffered input available without consuming it:
/*	it returns the number of bytes at *data (reading when the buffer is
/*	empty), or -1 on EOF, timeout or error. stream_consume() drops n of
/*	them. stream_pending() tells how many input bytes are buffered; a
/*	server flushes its replies when none are (SMTP PIPELINING).
/*
/*	stream_set_interrupt() names a flag (set by a signal handler): while
/*	it is set, a wait for input fails with
/*	STREAM_INTERRUPTED instead of going on. NULL turns this off. The
/*	error is not sticky: stream_clear_interrupt() forgets it.
/*
/*	stream_write(), stream_puts() and stream_printf() buffer output;
/*	stream_flush() sends it and returns 0 or -1. None of them has a
/*	length limit: text longer than the buffer is sent as it comes.
/* DIAGNOSTICS
/*	stream_error() returns STREAM_OK or the first error;
/*	stream_strerror() names it.
/*--*/

#include <stddef.h>
#include <sys/types.h>

#include "msg.h"

enum stream_err {
	STREAM_OK = 0,
	STREAM_EOF,
	STREAM_TIMEOUT,
	STREAM_IO,
	STREAM_INTERRUPTED,
};

struct stream;

struct stream *stream_open(int fd, size_t bufsize);
void stream_close(struct stream **sp);
int stream_fd(const struct stream *s);
void stream_set_timeout(struct stream *s, int seconds);
void stream_set_interrupt(struct stream *s, volatile const int *flag);
void stream_clear_interrupt(struct stream *s);
enum stream_err stream_error(const struct stream *s);
const char *stream_strerror(const struct stream *s);

ssize_t stream_get_line(struct stream *s, char *buf, size_t size,
			int *too_long);
ssize_t stream_peek(struct stream *s, const char **data);
void stream_consume(struct stream *s, size_t n);
size_t stream_pending(const struct stream *s);

void stream_write(struct stream *s, const void *data, size_t len);
void stream_puts(struct stream *s, const char *str);
void stream_printf(struct stream *s, const char *fmt, ...) MSG_PRINTF(2, 3);
int stream_flush(struct stream *s);

#endif

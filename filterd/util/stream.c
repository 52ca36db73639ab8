/*++
/* NAME
/*	stream 3
/* SUMMARY
/*	buffered socket and file I/O with deadlines and a sticky error
/* DESCRIPTION
/*	See stream.h. The descriptor is made non-blocking. A read waits
/*	with poll(2) first (input is rarely there yet); a write is tried at
/*	once and waits only when the kernel's buffer is full (EAGAIN).
/*--*/

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream.h"
#include "xalloc.h"

struct stream {
	int fd;
	int timeout;
	int saved_errno;
	enum stream_err rerr; /* sticky: input side */
	enum stream_err werr; /* sticky: output side */
	volatile const int *interrupt;
	char *rbuf;
	size_t rpos;
	size_t rlen;
	char *wbuf;
	size_t wlen;
	size_t size;
};

/* stream_open - wrap a descriptor; the stream owns it from now on */
struct stream *
stream_open(int fd, size_t bufsize)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->fd = fd;
	/* Each buffer is made on first use: a spool file never reads. */
	s->size = bufsize ? bufsize : 65536;
	return s;
}

/* stream_close - close the descriptor and free the stream */
void
stream_close(struct stream **sp)
{
	struct stream *s = *sp;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->rbuf);
	free(s->wbuf);
	free(s);
	*sp = NULL;
}

/* stream_fd - the descriptor, for poll() and getpeername() */
int
stream_fd(const struct stream *s)
{
	return s->fd;
}

/* stream_set_timeout - deadline in seconds for each wait; 0 = none */
void
stream_set_timeout(struct stream *s, int seconds)
{
	s->timeout = seconds;
}

/* stream_set_interrupt - let a signal that sets *flag end a wait */
void
stream_set_interrupt(struct stream *s, volatile const int *flag)
{
	s->interrupt = flag;
}

/* stream_clear_interrupt - forget an interruption */
void
stream_clear_interrupt(struct stream *s)
{
	if (s->rerr == STREAM_INTERRUPTED)
		s->rerr = STREAM_OK;
}

/* stream_error - the first error, or STREAM_OK */
enum stream_err
stream_error(const struct stream *s)
{
	return s->rerr ? s->rerr : s->werr;
}

/* stream_strerror - text for the first error */
const char *
stream_strerror(const struct stream *s)
{
	switch (stream_error(s)) {
	case STREAM_OK:
		return "no error";
	case STREAM_EOF:
		return "lost connection";
	case STREAM_TIMEOUT:
		return "timeout";
	case STREAM_INTERRUPTED:
		return "interrupted";
	case STREAM_IO:
		return strerror(s->saved_errno);
	}
	return "unknown error";
}

/* stream_fail - remember the first error of one direction */
static void
stream_fail(struct stream *s, short events, enum stream_err err,
	    int saved_errno)
{
	enum stream_err *slot = (events & POLLIN) ? &s->rerr : &s->werr;

	if (*slot == STREAM_OK) {
		*slot = err;
		s->saved_errno = saved_errno;
	}
}

/* stream_wait - wait until fd is ready for events; 0 or -1 (error set) */
static int
stream_wait(struct stream *s, short events)
{
	struct pollfd pfd = {.fd = s->fd, .events = events};
	int left = s->timeout > 0 ? s->timeout * 1000 : -1;
	int n, slice;

	/* Only waiting for input is interrupted: output (a reply) is sent. */
	volatile const int *interrupt = (events & POLLIN) ? s->interrupt : NULL;

	for (;;) {
		if (interrupt && *interrupt) {
			stream_fail(s, events, STREAM_INTERRUPTED, EINTR);
			return -1;
		}
		/*
		 * With an interrupt flag, wait in slices: a signal that lands
		 * between the check above and poll() is seen within a second.
		 */
		slice = left;
		if (interrupt && (left < 0 || left > 1000))
			slice = 1000;
		n = poll(&pfd, 1, slice);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			stream_fail(s, events, STREAM_IO, errno);
			return -1;
		}
		if (n == 0 && left >= 0) {
			left -= slice;
			if (left <= 0) {
				stream_fail(s, events, STREAM_TIMEOUT,
					    ETIMEDOUT);
				return -1;
			}
		}
	}
}

/* stream_fill - read more input into an empty buffer; bytes or -1 */
static ssize_t
stream_fill(struct stream *s)
{
	ssize_t n;

	if (s->rerr)
		return -1;
	if (s->rpos < s->rlen)
		return (ssize_t)(s->rlen - s->rpos);
	s->rpos = s->rlen = 0;
	if (s->rbuf == NULL)
		s->rbuf = xmalloc(s->size);
	for (;;) {
		if (stream_wait(s, POLLIN) < 0)
			return -1;
		n = read(s->fd, s->rbuf, s->size);
		if (n > 0) {
			s->rlen = (size_t)n;
			return n;
		}
		if (n == 0) {
			stream_fail(s, POLLIN, STREAM_EOF, 0);
			return -1;
		}
		if (errno != EINTR && errno != EAGAIN) {
			stream_fail(s, POLLIN, STREAM_IO, errno);
			return -1;
		}
	}
}

/* stream_get_line - read one line, see stream.h */
ssize_t
stream_get_line(struct stream *s, char *buf, size_t size, int *too_long)
{
	size_t len = 0, dropped = 0;
	char last_dropped = 0;
	int got_any = 0;

	*too_long = 0;
	for (;;) {
		char *start, *nl;
		size_t avail, take, keep;

		if (stream_fill(s) < 0) {
			if (got_any && s->rerr == STREAM_EOF)
				break;
			return -1;
		}
		got_any = 1;
		start = s->rbuf + s->rpos;
		avail = s->rlen - s->rpos;
		nl = memchr(start, '\n', avail);
		take = nl ? (size_t)(nl - start) : avail;
		keep = len + take > size - 1 ? size - 1 - len : take;
		memcpy(buf + len, start, keep);
		len += keep;
		if (keep < take) {
			dropped += take - keep;
			last_dropped = start[take - 1];
		}
		s->rpos += nl ? take + 1 : take;
		if (nl)
			break;
	}
	/*
	 * The CR of CR LF is not part of the line: a line that fills the
	 * buffer exactly is not too long because its CR did not fit.
	 */
	if (dropped == 1 && last_dropped == '\r')
		dropped = 0;
	else if (dropped == 0 && len > 0 && buf[len - 1] == '\r')
		len--;
	*too_long = dropped > 0;
	buf[len] = 0;
	return (ssize_t)len;
}

/* stream_peek - buffered input without consuming it */
ssize_t
stream_peek(struct stream *s, const char **data)
{
	ssize_t n = stream_fill(s);

	if (n >= 0)
		*data = s->rbuf + s->rpos;
	return n;
}

/* stream_consume - drop n peeked bytes */
void
stream_consume(struct stream *s, size_t n)
{
	if (n > s->rlen - s->rpos)
		msg_panic("stream_consume: %zu > %zu", n, s->rlen - s->rpos);
	s->rpos += n;
}

/* stream_pending - buffered input bytes */
size_t
stream_pending(const struct stream *s)
{
	return s->rlen - s->rpos;
}

/* stream_send - write all of data to the descriptor */
static void
stream_send(struct stream *s, const char *data, size_t len)
{
	while (len > 0 && s->werr == STREAM_OK) {
		ssize_t n = write(s->fd, data, len);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			(void)stream_wait(s, POLLOUT);
		} else if (n < 0 && errno != EINTR) {
			stream_fail(s, POLLOUT, STREAM_IO, errno);
		}
	}
}

/* stream_flush - send buffered output */
int
stream_flush(struct stream *s)
{
	if (s->wlen > 0)
		stream_send(s, s->wbuf, s->wlen);
	s->wlen = 0;
	return s->werr == STREAM_OK ? 0 : -1;
}

/* stream_write - buffer output; large writes go straight through */
void
stream_write(struct stream *s, const void *data, size_t len)
{
	if (s->werr)
		return;
	if (s->wlen + len > s->size) {
		if (stream_flush(s) < 0)
			return;
		if (len >= s->size) {
			stream_send(s, data, len);
			return;
		}
	}
	if (s->wbuf == NULL)
		s->wbuf = xmalloc(s->size);
	memcpy(s->wbuf + s->wlen, data, len);
	s->wlen += len;
}

/* stream_puts - buffer a string */
void
stream_puts(struct stream *s, const char *str)
{
	stream_write(s, str, strlen(str));
}

/*
 * stream_printf - buffer formatted text, of any length: its arguments may
 * come from message content (an X-Spam-Status field of hundreds of rule
 * names), so no size may abort or cut it. Short text is formatted on the
 * stack; longer text once more, on the heap.
 */
void
stream_printf(struct stream *s, const char *fmt, ...)
{
	char small[1024], *text = small;
	va_list ap, again;
	int len;

	va_start(ap, fmt);
	va_copy(again, ap);
	len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len >= 0 && (size_t)len >= sizeof(small)) {
		text = xmalloc((size_t)len + 1);
		len = vsnprintf(text, (size_t)len + 1, fmt, again);
	}
	va_end(again);
	/* Only EOVERFLOW (over INT_MAX bytes): a write error, not a crash. */
	if (len < 0)
		stream_fail(s, POLLOUT, STREAM_IO, errno);
	else
		stream_write(s, text, (size_t)len);
	if (text != small)
		free(text);
}

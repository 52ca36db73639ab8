/*++
/* NAME
/*	buf 3
/* SUMMARY
/*	growable byte and string buffer
/*--*/

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* buf_init - start with room for size bytes */
void
buf_init(struct buf *b, size_t size)
{
	b->size = size ? size : 64;
	b->data = xmalloc(b->size);
	b->len = 0;
	b->data[0] = 0;
}

/* buf_release - free the storage */
void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

/* buf_reset - empty the buffer, keep the storage */
void
buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

/* buf_truncate - keep the first len bytes */
void
buf_truncate(struct buf *b, size_t len)
{
	if (len > b->len)
		msg_panic("buf_truncate: %zu > %zu", len, b->len);
	b->len = len;
	b->data[len] = 0;
}

/* buf_reserve - make room for len more bytes and the NUL */
static void
buf_reserve(struct buf *b, size_t len)
{
	if (b->len + len + 1 <= b->size)
		return;
	while (b->len + len + 1 > b->size)
		b->size *= 2;
	b->data = xrealloc(b->data, b->size);
}

/* buf_append - add bytes */
void
buf_append(struct buf *b, const void *data, size_t len)
{
	/* memcpy() may not be given NULL, even for no byte. */
	if (len == 0)
		return;
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
}

/* buf_puts - add a string */
void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* buf_printf - add formatted text */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		msg_panic("buf_printf: bad format \"%s\"", fmt);
	buf_reserve(b, (size_t)len);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)len;
}

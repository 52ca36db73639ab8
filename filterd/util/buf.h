#ifndef FILTERD_BUF_H
#define FILTERD_BUF_H

/*++
/* NAME
/*	buf 3h
/* SUMMARY
/*	growable byte and string buffer
/* DESCRIPTION
/*	struct buf is a caller-owned value: buf_init() before use,
/*	buf_release() after. The bytes at data[0..len) are always followed
/*	by a NUL, so data may be used as a C string when it holds text.
/*	Growth never fails (see xalloc). buf_append() takes len bytes
/*	at data; data may be NULL when len is 0 (an empty GByteArray's).
/*--*/

#include <stddef.h>

#include "msg.h"

struct buf {
	char *data;
	size_t len;
	size_t size;
};

void buf_init(struct buf *b, size_t size);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
void buf_truncate(struct buf *b, size_t len);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) MSG_PRINTF(2, 3);

#endif

#ifndef FILTERD_XALLOC_H
#define FILTERD_XALLOC_H

/*++
/* NAME
/*	xalloc 3h
/* SUMMARY
/*	memory allocation that never fails
/* DESCRIPTION
/*	xmalloc, xcalloc, xrealloc, xstrdup and xstrndup either succeed or
/*	log a fatal error and exit: callers have no out-of-memory branches.
/*	The caller owns the result and releases it with free().
/*--*/

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif

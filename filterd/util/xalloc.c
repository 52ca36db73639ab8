/*++
/* NAME
/*	xalloc 3
/* SUMMARY
/*	memory allocation that never fails
/*--*/

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "xalloc.h"

/* xmalloc - allocate or die */
void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu bytes", size);
	return p;
}

/* xcalloc - allocate zeroed memory or die */
void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

/* xrealloc - resize or die */
void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory reallocating %zu bytes", size);
	return p;
}

/* xstrdup - copy a string or die */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes of a string or die */
char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

/*++
/* NAME
/*	pool 3
/* SUMMARY
/*	per-transaction memory arena
/*--*/

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "xalloc.h"

struct pool_chunk {
	struct pool_chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct pool {
	struct pool_chunk *head;
	size_t chunk_size;
};

#define POOL_ALIGN (sizeof(max_align_t))

/* pool_create - make an empty pool */
struct pool *
pool_create(size_t chunk_size)
{
	struct pool *p = xcalloc(1, sizeof(*p));

	p->chunk_size = chunk_size ? chunk_size : 4096;
	return p;
}

/* pool_destroy - release everything allocated from a pool */
void
pool_destroy(struct pool **pp)
{
	struct pool *p = *pp;

	if (p == NULL)
		return;
	while (p->head) {
		struct pool_chunk *next = p->head->next;

		free(p->head);
		p->head = next;
	}
	free(p);
	*pp = NULL;
}

/* pool_alloc - zeroed, aligned memory that lives as long as the pool */
void *
pool_alloc(struct pool *p, size_t size)
{
	struct pool_chunk *c = p->head;
	size_t need = (size + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1);
	void *mem;

	if (c == NULL || c->size - c->used < need) {
		size_t csize = need > p->chunk_size ? need : p->chunk_size;

		c = xmalloc(sizeof(*c) + csize);
		c->size = csize;
		c->used = 0;
		c->next = p->head;
		p->head = c;
	}
	mem = (char *)c->data + c->used;
	c->used += need;
	memset(mem, 0, size);
	return mem;
}

/* pool_strndup - copy at most n bytes of s into the pool */
char *
pool_strndup(struct pool *p, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = pool_alloc(p, len + 1);

	memcpy(d, s, len);
	return d;
}

/* pool_memdup - copy n bytes and a terminating NUL into the pool */
char *
pool_memdup(struct pool *p, const void *data, size_t n)
{
	char *d = pool_alloc(p, n + 1);

	memcpy(d, data, n);
	return d;
}

/* pool_strdup - copy s into the pool */
char *
pool_strdup(struct pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

/* pool_printf - format into the pool */
char *
pool_printf(struct pool *p, const char *fmt, ...)
{
	va_list ap;
	int len;
	char *d;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		msg_panic("pool_printf: bad format \"%s\"", fmt);
	d = pool_alloc(p, (size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(d, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return d;
}

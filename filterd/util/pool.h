#ifndef FILTERD_POOL_H
#define FILTERD_POOL_H

/*++
/* NAME
/*	pool 3h
/* SUMMARY
/*	per-transaction memory arena
/* DESCRIPTION
/*	A pool hands out memory that lives until pool_destroy() releases all
/*	of it at once (rspamd task_pool, Dovecot alloconly). Nothing
/*	allocated from a pool is freed on its own. pool_destroy() takes the
/*	address of the caller's pointer and sets it to NULL.
/*
/*	pool_alloc() returns zeroed memory aligned for any type.
/*	pool_printf() and pool_strdup() return NUL-terminated copies;
/*	pool_memdup() copies n bytes (NULs too) and adds a NUL.
/*	Allocation never fails (see xalloc).
/*--*/

#include <stddef.h>

#include "msg.h"

struct pool;

struct pool *pool_create(size_t chunk_size);
void pool_destroy(struct pool **pp);
void *pool_alloc(struct pool *p, size_t size);
char *pool_strdup(struct pool *p, const char *s);
char *pool_strndup(struct pool *p, const char *s, size_t n);
char *pool_memdup(struct pool *p, const void *data, size_t n);
char *pool_printf(struct pool *p, const char *fmt, ...) MSG_PRINTF(2, 3);

#endif

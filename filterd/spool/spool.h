#ifndef FILTERD_SPOOL_H
#define FILTERD_SPOOL_H

/*++
/* NAME
/*	spool 3h
/* SUMMARY
/*	the spool file of one message in flight
/* SYNOPSIS
/*	#include "spool/spool.h"
/* DESCRIPTION
/*	A spool file holds one message, in CRLF form and unstuffed, while
/*	filterd checks and forwards it; the front MTA still has the message,
/*	so the spool needs no fsync (filterd keeps no queue).
/*
/*	spool_create() makes DIR/ID (O_EXCL, mode 0600) and returns a
/*	spool, or NULL with the reason in errbuf. spool_write() buffers; its
/*	errors are sticky and reported once, by spool_commit(), which
/*	flushes (0 or -1 with errno-style text in errbuf). After the commit
/*	the content is read with pread(2) on spool_fd(), from any offset.
/*
/*	spool_header() appends the header section of the committed message
/*	to out: the bytes up to and including the CR LF before the empty
/*	line, reading no more than max bytes, in steps (a small header costs
/*	a small read). It returns 1 when it found the empty line, 0 when it
/*	did not (out then has the first max bytes, or the whole message when
/*	shorter), -1 when the spool cannot be read.
/*	spool_read_all() reads the committed message from its start in
/*	pieces of at most chunk bytes (one buffer, reused) and hands each to
/*	fn, until the end or until fn returns non-zero. It returns 0, or -1
/*	with the reason in errbuf when the spool cannot be read.
/*
/*	spool_remove() unlinks and closes, and sets the pointer to NULL.
/*--*/

#include <stddef.h>
#include <sys/types.h>

struct buf;
struct spool;

struct spool *spool_create(const char *dir, const char *id, char *errbuf,
			   size_t errsize);
void spool_write(struct spool *sp, const char *data, size_t len);
int spool_commit(struct spool *sp, char *errbuf, size_t errsize)
	__attribute__((warn_unused_result));
int spool_fd(const struct spool *sp);
off_t spool_size(const struct spool *sp);
int spool_header(const struct spool *sp, size_t max, struct buf *out);
int spool_read_all(const struct spool *sp, size_t chunk,
		   int (*fn)(void *ctx, const char *data, size_t len),
		   void *ctx, char *errbuf, size_t errsize);
void spool_remove(struct spool **spp);

#endif

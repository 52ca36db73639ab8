#ifndef FILTERD_MIME_BOUNDS_H
#define FILTERD_MIME_BOUNDS_H

/*++
/* NAME
/*	mime_bounds 3h
/* SUMMARY
/*	what GMime would build for a message, bounded before it does
/* SYNOPSIS
/*	#include "mime/mime_bounds.h"
/* DESCRIPTION
/*	GMime builds the whole tree of a message before filterd walks it
/*	and stops at max_mime_parts: each part costs about 2 KB, so 10 MB
/*	of empty parts cost a child 400 MB. mime_bounds_spool() therefore
/*	reads the spooled message once, before GMime is given it, in large
/*	chunks (pread: the descriptor's offset is left alone, memchr finds
/*	the lines), and counts what makes that tree big; past a bound the
/*	message is UNCHECKED and GMime never sees it. The virus check still
/*	scans it whole, with libclamav's own mail parser (scan_run.c does
/*	so whenever the MIME tree is missing).
/*
/*	Parts: GMime starts a part only at a delimiter, a line that begins
/*	with "--" (RFC 2046 5.1.1), or one level down at message/rfc822
/*	(at most 1024 levels). A message within max_mime_parts has at most
/*	two delimiters per part (a multipart's own and its closing one);
/*	text has lines that begin with "--" too (signatures, SQL comments,
/*	diffs), so the bound is 2 * max_mime_parts + MIME_BOUNDS_SLACK such
/*	lines.
/*
/*	mime_bounds_init() sets up a count with the limits of conf;
/*	mime_bounds_feed() takes the message's bytes in pieces of any size,
/*	in order, and mime_bounds_end() its end. Both return MIME_BOUNDS_OK
/*	while the message is within the bounds, else the bound it went past,
/*	and keep saying so (nothing more need be fed). mime_bounds_why()
/*	names the bound passed in our own words ("more than 1000 MIME
/*	parts: over 3000 boundary lines"), a copy in pool; NULL when none
/*	was.
/*
/*	mime_bounds_spool() counts the spooled message of t and, past a
/*	bound, sets t->mime.unchecked (pool string) and returns 1. It
/*	returns 0 when GMime may parse it, and -1 with TXN_ERR_PARSE when
/*	the spool cannot be read. It stops reading at the first bound
/*	passed: a message costs one pass at most, and a buffer of at most
/*	MIME_BOUNDS_CHUNK bytes (the size of the message when smaller).
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>

struct conf;
struct pool;
struct txn;

#define MIME_BOUNDS_SLACK 1000	       /* "--" lines of text, not parts */
#define MIME_BOUNDS_CHUNK (256 * 1024) /* bytes one pread asks for */

enum mime_bounds_verdict {
	MIME_BOUNDS_OK = 0,
	MIME_BOUNDS_PARTS, /* more delimiter lines than max_mime_parts allow */
};

/* A count under way: set up by mime_bounds_init(), read by no one else. */
struct mime_bounds {
	long max_parts;	     /* max_mime_parts */
	long max_delimiters; /* what max_mime_parts allows, with the slack */
	long delimiters;     /* lines that begin with "--" so far */
	char head[2];	     /* the first bytes of the line under way */
	size_t line_len;     /* its bytes so far */
	enum mime_bounds_verdict verdict;
};

void mime_bounds_init(struct mime_bounds *b, const struct conf *conf);
enum mime_bounds_verdict mime_bounds_feed(struct mime_bounds *b,
					  const char *data, size_t len);
enum mime_bounds_verdict mime_bounds_end(struct mime_bounds *b);
const char *mime_bounds_why(const struct mime_bounds *b, struct pool *pool);
int mime_bounds_spool(struct txn *t);

#endif

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
/*	Header fields: with a warning callback set (mime_parse needs it for
/*	ambiguous MIME), GMime decodes every field it parses, at some 60
/*	bytes of memory per byte of a field of short words (a 20 MB field:
/*	1.2 GB). A field, continuation lines included, longer than
/*	max_header_field_size in a header section GMime would parse makes
/*	the message UNCHECKED. Those sections are: the message's own, from
/*	its first line; one after each line that begins with "--" (a part's
/*	header, when the line is a delimiter); and the content after a
/*	header section with a Content-Type of type message (an inner
/*	message's header) or, after a delimiter, with none (the parts of a
/*	multipart/digest are message/rfc822 by default). A section ends at
/*	a blank line. Where in doubt (a Content-Type whose type does not
/*	show in the first MIME_BOUNDS_HEAD bytes of its line) the content
/*	is taken for a header section too: reading more lines as header
/*	than GMime does can only make the bound stricter.
/*
/*	Header fields by number: GMime keeps some 600 bytes for each field
/*	it parses, so 20 MB of "X-A: x" fields cost 1.5 GB. More fields
/*	than max_header_fields in all header sections together make the
/*	message UNCHECKED. A field counts when GMime would keep it: a name
/*	without blanks or controls, blanks, a colon (it drops other lines,
/*	so lines of text read as header do not count).
/*
/*	mime_bounds_init() sets up a count with the limits of conf;
/*	mime_bounds_feed() takes the message's bytes in pieces of any size,
/*	in order, and mime_bounds_end() its end. Both return MIME_BOUNDS_OK
/*	while the message is within the bounds, else the bound it went past,
/*	and keep saying so (nothing more need be fed). mime_bounds_next()
/*	ends the message as mime_bounds_end() does and starts another one,
/*	from its header section, counted against the same limits together
/*	with the ones before it (mime_parse counts the attached messages it
/*	decodes so, before GMime parses them: all of them together cost at
/*	most what one message within the bounds does); it returns what
/*	mime_bounds_end() does. mime_bounds_why()
/*	names the bound passed in our own words ("more than 1000 MIME
/*	parts: over 3000 boundary lines"), a copy in pool; NULL when none
/*	was.
/*
/*	Beside the bounds it notes (dash_padded) whether some line that
/*	begins with "--" ends in a blank or a stray CR, so that the closer
/*	look for padded delimiter lines (mime_parse) is only taken where one
/*	may be.
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
#define MIME_BOUNDS_HEAD 128	       /* bytes of a line kept to classify it */

enum mime_bounds_verdict {
	MIME_BOUNDS_OK = 0,
	MIME_BOUNDS_PARTS,  /* more delimiter lines than max_mime_parts allow */
	MIME_BOUNDS_FIELD,  /* a header field over max_header_field_size */
	MIME_BOUNDS_FIELDS, /* more header fields than max_header_fields */
};

/* A count under way: set up by mime_bounds_init(), read by no one else. */
struct mime_bounds {
	/* Limits. */
	long max_parts;	     /* max_mime_parts */
	long max_delimiters; /* what max_mime_parts allows, with the slack */
	long max_field;	     /* max_header_field_size */
	long max_fields;     /* max_header_fields */
	/* Counts. */
	long delimiters; /* lines that begin with "--" so far */
	long field_len;	 /* the header field under way, folded lines too */
	long fields;	 /* header fields so far, all sections */
	/* A "--" line whose end (before its CR LF) is a blank or a CR: a
	 * delimiter line may be padded there (mime_parse looks closer). */
	int dash_padded;
	/* The line under way. */
	char head[MIME_BOUNDS_HEAD]; /* its first bytes */
	size_t line_len;	     /* its bytes so far */
	char tail[3];		     /* its last bytes, the last at [2] */
	/* The header section under way, if any. */
	int in_header; /* the line belongs to a header section */
	int delimited; /* the section began after a "--" line */
	int has_type;  /* it has a Content-Type field */
	int type_open; /* whose value has not begun yet (folded) */
	int inner;     /* what follows it is a header section too */
	enum mime_bounds_verdict verdict;
};

void mime_bounds_init(struct mime_bounds *b, const struct conf *conf);
enum mime_bounds_verdict mime_bounds_feed(struct mime_bounds *b,
					  const char *data, size_t len);
enum mime_bounds_verdict mime_bounds_end(struct mime_bounds *b);
enum mime_bounds_verdict mime_bounds_next(struct mime_bounds *b);
const char *mime_bounds_why(const struct mime_bounds *b, struct pool *pool);
int mime_bounds_spool(struct txn *t);

#endif

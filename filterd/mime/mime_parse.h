#ifndef FILTERD_MIME_PARSE_H
#define FILTERD_MIME_PARSE_H

/*++
/* NAME
/*	mime_parse 3h
/* SUMMARY
/*	the MIME tree of a spooled message (GMime)
/* SYNOPSIS
/*	#include "mime/mime_parse.h"
/* DESCRIPTION
/*	mime_parse() parses the spool file with GMime, which reads it from
/*	the spool's descriptor (it moves its offset: the others use pread)
/*	and keeps part contents on disk, and fills in
/*	txn->mime: one struct mime_part per part, in document order, with
/*	its depth, declared type, file name (from Content-Disposition or
/*	Content-Type, RFC 2231 and encoded words decoded), and whether it
/*	is text or an archive; the decoded From, Subject and Date
/*	(txn->from, subject, date); and, when the message is no larger than
/*	spam_max_size, the views the spam rules read: decoded header fields
/*	and the decoded, UTF-8 text of the text parts.
/*
/*	Malformed MIME is parsed as well as GMime can and flagged
/*	(mime.malformed). Ambiguous MIME that different parsers would read
/*	differently (conflicting headers or parameters such as two boundary=
/*	values, a multipart without a boundary, headerless parts, nesting
/*	overflow), more than max_mime_depth levels or max_mime_parts parts
/*	make the message UNCHECKED (mime.unchecked says why): it is never
/*	passed as if it had been checked.
/*
/*	Memory: GMime keeps a copy of the parser options, with the warning
/*	callback and its data, in the header lists of the message, and warns
/*	through it whenever it decodes a value again, after mime_parse() has
/*	returned. The options and the callback's data (in txn->pool) live as
/*	long as the message: mime_free() releases the message, then the
/*	options; txn_free() calls it before it releases the pool.
/*
/*	mime_part_content() decodes one part into a new file in tmp_dir
/*	(for archive inspection), at most max bytes; it returns the open
/*	descriptor, or -1. The caller closes it; the file is already
/*	unlinked.
/*
/*	mime_part_span() tells where a part's content lies in the spool
/*	when it is stored as is (no Content-Transfer-Encoding, 7bit, 8bit or
/*	binary): it sets [*start, *end) and returns 0; it returns -1 for
/*	encoded content (base64, quoted-printable, uuencode) and for what is
/*	not a leaf part.
/*
/*	mime_is_archive() tells by declared type (may be NULL) or file name
/*	whether content is an archive worth opening.
/*
/*	mime_part_head() decodes only the first size bytes of a part into
/*	buf (for content type detection) and returns how many it got.
/*
/*	mime_init() initialises GMime once, in the master before fork.
/*	Returns 0, or -1 with TXN_ERR_PARSE when the spool cannot be read.
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>
#include <sys/types.h>

struct txn;

struct mime_part {
	struct mime_part *next;
	int depth;
	const char *type; /* declared, lower case: "application/zip" */
	const char *name; /* file name, or NULL */
	int is_text;
	int is_archive; /* by type or name: zip, rar, 7z, tar, ... */
	int is_leaf;	/* content, not a multipart or message/rfc822 */
	void *object;	/* the GMimePart, while txn->mime is alive */
};

struct mime_summary {
	struct mime_part *parts;
	size_t n_parts;
	int malformed;	       /* GMime warned */
	const char *unchecked; /* why the message cannot be checked */
	void *message;	       /* the GMimeMessage (released by mime_free) */
	void *options;	       /* its GMimeParserOptions (mime_free) */
	/* Views for the spam rules (NULL when over spam_max_size). */
	char *headers; /* "Name: decoded value\n" per field */
	size_t headers_len;
	char *text; /* decoded text parts, UTF-8 */
	size_t text_len;
};

void mime_init(void);
int mime_is_archive(const char *type, const char *name);
int mime_parse(struct txn *t);
void mime_free(struct mime_summary *m);
int mime_part_content(struct txn *t, const struct mime_part *p, long max,
		      long *size);
size_t mime_part_head(const struct mime_part *p, char *buf, size_t size);
int mime_part_span(const struct mime_part *p, off_t size, off_t *start,
		   off_t *end);

#endif

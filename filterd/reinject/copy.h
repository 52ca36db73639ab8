#ifndef FILTERD_COPY_H
#define FILTERD_COPY_H

/*++
/* NAME
/*	copy 3h
/* SUMMARY
/*	write one copy of a message for a next hop
/* SYNOPSIS
/*	#include "reinject/copy.h"
/* DESCRIPTION
/*	A copy is the spooled message as one group of recipients gets it:
/*	filterd's own header fields first, then the original header section,
/*	rewritten as it streams by, then the body as is; or, defanged, a new
/*	MIME message that carries the original as an attachment.
/*
/*	copy_write() writes the copy described by spec to the stream s, in
/*	SMTP DATA form: dot-stuffed and ended with the final dot. It reads
/*	the spool (fd, size bytes, CRLF form) with pread(2) in steps and
/*	keeps none of it in memory: a header section or a line of any size
/*	is fine, a field may straddle two reads. On the way it
/* .IP \(bu
/*	removes every X-Spam-*, X-Virus-Scanned and X-Amavis-Alert field
/*	(the fields filterd itself adds, which a forger would copy), each
/*	with its continuation lines, when spec->strip is set (amavisd-new's
/*	remove_existing_spam_headers, for local recipients);
/* .IP \(bu
/*	puts spec->subject_tag before the value of the first Subject field,
/*	or adds a Subject field with the tag when there is none;
/* .IP \(bu
/*	when spec->defang is set, drops the top-level MIME fields
/*	(MIME-Version, Content-*) and writes instead a multipart/mixed body:
/*	a short text/plain part in our own words naming spec->mail_id, and
/*	the whole original, byte-exact, base64-encoded, as a text/plain
/*	attachment (message/rfc822 may not be base64, RFC 2046 5.2.1, and
/*	would invite the reader's program to interpret the very structure
/*	that made the message ambiguous). The short part says why, in our
/*	words: TXN_DEFANG_AMBIGUOUS, its MIME structure was ambiguous;
/*	TXN_DEFANG_UNPARSED, it was too large or too deeply nested to be
/*	checked in full (parts were not checked for banned names).
/* .PP
/*	The header section of the original ends at its first empty line
/*	(or at the end of the message). It returns 0, or -1 with the reason
/*	in err when the spool cannot be read; errors writing to s are the
/*	stream's (sticky, seen at its flush).
/*
/*	copy_strips() tells whether the field that starts at p (n bytes,
/*	"Name:" at least) is one that spec->strip removes; the milter front
/*	end asks it for the fields it deletes with smfi_chgheader().
/*
/*	copy_size() is the size of that copy before dot-stuffing, or more
/*	(an upper bound, for SIZE=).
/*
/*	Memory: spec, its lists and strings are borrowed for the call;
/*	nothing the functions allocate outlives it, but what they append
/*	to the caller's buffer.
/*
/*	copy_header_field() is the one writer of the header fields filterd
/*	adds (spec->added, the subject tag through copy_field_text()). It
/*	appends line ("Name: value", the value possibly folded with CR LF
/*	and a space or tab) to out as one well-formed field ending in CR LF:
/*	a CR or LF that does not fold becomes a space, NUL, other controls
/*	and DEL become '?', no line is longer than COPY_LINE_MAX octets
/*	(folded at white space, else after a comma, else broken), and no
/*	continuation line is empty or white space only, so no value can
/*	start a field or end the header section. Bytes from 0x80 up are
/*	kept (RFC 6532). The name is ours: one that is not printable ASCII
/*	without ':' is a bug (panic).
/*
/*	copy_field_text() appends text to a field under construction in
/*	out whose current line is col octets long (all of them at the end
/*	of out) and returns the new length of the current line. next is the
/*	length of what will follow on that line (0: the end of the field):
/*	white space at the end of text is kept only where it fits, and
/*	becomes a fold when next would not.
/* PROCESS
/*	children; milter process (release).
/*--*/

#include <stddef.h>
#include <sys/types.h>

#include "txn/txn.h"

struct buf;
struct stream;
struct txn_header;

#define COPY_LINE_MAX 998 /* octets on a header line, CR LF apart */

struct copy_spec {
	const struct txn_header *added[2]; /* lists of fields put first */
	const char *subject_tag;	   /* NULL: none */
	int strip; /* remove X-Spam-*, X-Virus-Scanned, X-Amavis-Alert */
	enum txn_defang defang; /* wrap the original, and why (txn.h) */
	const char *mail_id;	/* named in a defanged copy */
};

int copy_write(struct stream *s, int fd, off_t size,
	       const struct copy_spec *spec, char *err, size_t errsize);
off_t copy_size(off_t size, const struct copy_spec *spec);
void copy_header_field(struct buf *out, const char *line);
int copy_strips(const char *p, size_t n);
size_t copy_field_text(struct buf *out, size_t col, const char *text,
		       size_t len, size_t next);

#endif

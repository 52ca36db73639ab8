#ifndef FILTERD_MIME_RAW_H
#define FILTERD_MIME_RAW_H

/*++
/* NAME
/*	mime_raw 3h
/* SUMMARY
/*	what the checks can see of a message GMime is not given
/* SYNOPSIS
/*	#include "mime/mime_raw.h"
/* DESCRIPTION
/*	A message past the bounds mime_bounds_spool() checks is never
/*	parsed by GMime (mime_bounds.h): it is UNCHECKED. The spam and
/*	banned checks still look at it as it is, so that going past the
/*	bounds (a few KB of "--" lines) is never a way past them.
/*
/*	mime_raw_views() fills the spam views of m from the raw message:
/*	m->headers holds the message's own header section as the rules
/*	read it, one "Name: value" line per field, unfolded (the line
/*	breaks of folding dropped, the blanks kept), the blanks after the
/*	colon dropped, nothing decoded; lines that are no field (no colon)
/*	are left out, as GMime leaves them out. m->text is the raw body,
/*	everything after the first blank line, as stored. The caller
/*	calls it only for a message no larger than spam_max_size, so each
/*	view is bounded by it; both are copies in txn->pool. It returns 0,
/*	or -1 with TXN_ERR_PARSE when the spool cannot be read.
/*
/*	mime_raw_parts() finds, in one pass over the spool (pread, in
/*	pieces of MIME_RAW_CHUNK bytes), what the banned check needs of the
/*	parts: every line anywhere in the message that begins a
/*	Content-Type or Content-Disposition field, or one of the fields
/*	whose value is a name (mime_names_fields: Content-Name,
/*	X-Sun-Data-Name) (a name, blanks, a colon, case aside), its value
/*	unfolded with its continuation lines and parsed by GMime's own
/*	parameter parser (RFC 2231, encoded words: as mime_parse reads a
/*	part's names; the whole-value fields RFC 2047 decoded), at most
/*	max_header_field_size bytes of it. The fields of one header section
/*	(up to a blank line or a line that begins with "--") make one part:
/*	its type is that of its first Content-Type (else text/plain, GMime's
/*	default), its names the filename= and name= values of either field
/*	(mime_names_keys) and the whole-value fields' values: the names
/*	mime_names() gives a parsed part. Lines of any header section
/*	are read, and lines of text too: a field quoted in a text part is
/*	taken for a part header, so more names are checked than a mail
/*	program would show, never fewer of those it finds in the
/*	headers (names a mail program finds elsewhere, in an encoded
/*	attached message, are not seen: the message is defanged for that,
/*	scan_run.c). The parts are appended to m->parts, at most
/*	max_mime_parts of them in m (the rest is not read: it is UNCHECKED
/*	already), from at most max_header_fields such fields (each one's
/*	names are kept: this bounds them), in txn->pool. They are not leaves (is_leaf 0, object
/*	NULL): they have names and a type, no content, and the checks that
/*	read content never open them. It returns 0, or -1 with
/*	TXN_ERR_PARSE when the spool cannot be read.
/* PROCESS
/*	children, milter process.
/*--*/

struct mime_summary;
struct txn;

#define MIME_RAW_CHUNK (256 * 1024) /* bytes one pread asks for */

int mime_raw_views(struct txn *t, struct mime_summary *m);
int mime_raw_parts(struct txn *t, struct mime_summary *m);

#endif

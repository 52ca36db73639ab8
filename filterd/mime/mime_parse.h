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
/*	its depth, declared type, every file name it declares (filename= of
/*	Content-Disposition and name= of Content-Type, RFC 2231 and encoded
/*	words decoded: mail programs show and save by either), and whether
/*	it is text or an archive; the decoded From, Subject and Date
/*	(txn->from, subject, date); and, when the message is no larger than
/*	spam_max_size, the views the spam rules read: decoded header fields
/*	and the decoded, UTF-8 text of the text parts.
/*
/*	Malformed MIME is parsed as well as GMime can and flagged
/*	(mime.malformed). Ambiguous MIME that different parsers would read
/*	differently (conflicting Content-* or MIME-Version fields,
/*	conflicting parameters such as two boundary= values, a multipart
/*	without a boundary, headerless parts, nesting overflow; two
/*	different Subject: fields are merely malformed) is named in
/*	mime.ambiguous, in our own words ("ambiguous MIME (conflicting
/*	parameter at offset 60)"), never the message's;
/*	its parts are still walked, so that they can be checked as GMime
/*	reads them. Delimiter lines are read as GMime reads them, which not
/*	every parser does: a delimiter line of a multipart's boundary that
/*	is padded with blanks (RFC 2046 5.1.1 allows it; libclamav's mail
/*	parser does not take one padded with a tab) makes the message
/*	malformed, so that both readings are scanned; a preamble or an
/*	epilogue that holds a line starting as a delimiter of that
/*	boundary (a part after the close delimiter: GMime keeps it as the
/*	epilogue, libclamav's mail parser reads a part) makes it ambiguous,
/*	since what others read there as a part no check of ours sees. A
/*	part more than max_mime_depth levels deep is left out, with what
/*	is in it, and the walk goes on with the next one (a
/*	part after it is still checked); more than max_mime_parts parts
/*	stop the walk. The first limit reached is named in mime.unchecked;
/*	so is a message GMime cannot parse at all, and one past the bounds
/*	mime_bounds_spool() checks first (header fields, delimiter lines:
/*	mime_bounds.h), which GMime is then never given: its spam views are
/*	then the raw message's (mime_raw_views(), when it is no larger than
/*	spam_max_size), and its parts the types and names its raw part
/*	headers declare (mime_raw_parts(): not leaves, no content). Any of
/*	these makes
/*	the message UNCHECKED: it is never passed as if it had been checked;
/*	and, as some of its parts were never walked (their names never
/*	checked), mime_parse() sets mime.unparsed (scan_run defangs it).
/*	mime_parse() returns 0 (UNCHECKED is not a failure), or -1 with
/*	TXN_ERR_PARSE when the spool cannot be read.
/*
/*	Attached messages are walked too. A leaf part that is a message
/*	GMime did not parse as one (message/rfc822 sent base64 or
/*	quoted-printable), that is named *.eml, or whose decoded head is
/*	header fields of a mail (From:, Received:, MIME-Version:, ...) is
/*	decoded into a temporary file in tmp_dir (unlinked at once; one
/*	per summary, all such messages in it, at most max_decoded_size
/*	bytes in all: one that does not fit is left out, UNCHECKED),
/*	counted as mime_bounds_spool() counts the spool, the attached
/*	messages of a message together (mime_bounds_next(): GMime keeps
/*	their trees all at once), so that one past a bound is left out
/*	before GMime builds anything of it, and the message is UNCHECKED
/*	("attached messages: more than 10000 header fields"), and then
/*	parsed with GMime: its parts follow the part in the list, one level
/*	deeper, marked attached, and count against max_mime_depth and
/*	max_mime_parts. Ambiguous MIME in them makes
/*	the message ambiguous (without conflicts to read otherwise). Their
/*	text parts are in the spam views, as those of a message/rfc822
/*	part GMime parsed in place are (encoding a forwarded message must
/*	not hide its text), within spam_max_size for the views in all.
/*	What cannot be decoded or written there is named in mime.failed
/*	(below).
/*
/*	Parts are decoded as lenient mail programs decode them, which is
/*	not always as GMime does. A Content-Transfer-Encoding that is not
/*	exactly a name GMime knows (extra tokens, quotes, folding: GMime
/*	reads "base64;" as no encoding) is read by its first token; base64
/*	whose last group is incomplete (GMime drops it) is decoded to its
/*	last whole byte; quoted-printable is decoded as RFC 2045 6.7 says
/*	(blanks at the end of a line are deleted, so "=" followed by blanks
/*	and a line break is a soft line break; an "=" that encodes nothing
/*	is text), where GMime and libclamav's mail parser keep "= " and the
/*	line break as text. Any of these sets mime.decoded_otherwise: what
/*	libclamav sees of the parts is not what its own mail parser would
/*	see, and both are scanned. Where
/*	no such reading is sure (an encoding that is no name we know even
/*	by its first token, base64 with data after its padding or ending
/*	in a lone character, an encoded multipart or message), mime.undecoded
/*	says why, in our words: the message is UNCHECKED. A part that cannot
/*	be read to tell is named in mime.failed: the checks fail (retried).
/*
/*	Files embedded in text parts are walked too, as a mail program
/*	shows them as attachments: uuencode, begin-base64, yEnc and BinHex
/*	4.0 blocks
/*	in the decoded content of a text/* leaf part (mime_embedded.h). Each
/*	is a part of its own after the text part, one level deeper, marked
/*	embedded, without a GMime object: its one name is the block's, its
/*	type application/octet-stream, its content decoded into the same
/*	temporary file as attached messages (within max_decoded_size for
/*	both together; past it the rest is left out, UNCHECKED), and it
/*	counts against max_mime_parts and max_mime_depth. A block that
/*	cannot be decoded to its end (no end line, a line that is no such
/*	encoding, one too long) is still a part, with what was decoded,
/*	and mime.undecoded says why: the message is UNCHECKED, never CLEAN.
/*
/*	mime_readings() gives the other readings of ambiguous MIME whose
/*	ambiguity is a header field or parameter given more than once with
/*	different values (two boundary= values: CVE-2024-28054): for each
/*	occurrence, a copy of the message in tmp_dir where the others have
/*	their name's first letter changed, so that GMime sees that one only,
/*	parsed into a summary (no views) that each() gets with the copy's
/*	descriptor; both are released when each() returns. At most
/*	MIME_READINGS_MAX readings, with the header bytes MIME_BLOCK_MAX
/*	either side of each conflict. each() returns 0 to go on, another
/*	value to stop, which mime_readings() returns; it returns 0 when all
/*	were read, or -1 with errno when the spool cannot be read or a copy
/*	cannot be made.
/*
/*	Memory: GMime keeps a copy of the parser options, with the warning
/*	callback and its data, in the header lists of the message, and warns
/*	through it whenever it decodes a value again, after mime_parse() has
/*	returned. The options and the callback's data (in txn->pool) live as
/*	long as the message: mime_free() releases the message, then the
/*	options; txn_free() calls it before it releases the pool. So with
/*	attached messages: their parts read the summary's temporary file,
/*	which mime_free() closes after it released them and their options.
/*
/*	mime_part_content() decodes one part (with part->encoding, see
/*	above) into a new file in tmp_dir (txn_temp_file), at most max bytes
/*	(longer content is cut there: ask for one byte more than a limit to
/*	tell), and sets *size to the bytes written; it returns the open
/*	descriptor, or -1 with errno set when the spool cannot be read or
/*	the file cannot be made or written. The caller closes it; the file
/*	is already unlinked.
/*
/*	mime_part_span() tells where a part's content lies in the spool
/*	when it is stored as is (no Content-Transfer-Encoding, 7bit, 8bit or
/*	binary): it sets [*start, *end) and returns 0; it returns -1 for
/*	encoded content (base64, quoted-printable, uuencode), for what is
/*	not a leaf part and for a part of an attached message or a file
/*	embedded in text (its content is not in the spool). A leaf part without content is an empty
/*	window. mime_part_stored() gives the same window whatever the
/*	encoding: GMime's reading of a part marked as_stored.
/*
/*	mime_is_archive() tells by declared type (may be NULL) or file name
/*	whether content says it is an archive (scan_sniff tells by content).
/*	mime_is_mail() tells whether a head of decoded content starts as a
/*	mail message does: header fields, one of them a mail's.
/*
/*	mime_is_member_mail() tells whether an archive member named name
/*	(may be NULL) whose content starts with head[0, len) is a mail
/*	message to open: named *.eml, or starting as mail does
/*	(mime_is_mail). Outlook's .msg is not MIME: only its content would
/*	tell.
/*
/*	mime_attach_file() opens a message found outside the MIME tree (an
/*	archive member, decoded into the file on fd, read from its offset)
/*	as an attached message of m, one level below depth: it is decoded
/*	into m's temporary file for attached messages, counted against the
/*	same bounds as the attached messages of the MIME tree (one budget
/*	per message: max_decoded_size, the bounds of mime_bounds_next(),
/*	max_mime_depth, max_mime_parts), parsed, and its parts walked as
/*	theirs are, with its own attached messages. m must be txn->mime
/*	after mime_parse() or a summary mime_readings() gives, still alive.
/*	The parts are not linked into m->parts (the other checks ran on
/*	those already) and are not in the spam views; *parts is their list,
/*	in document order (NULL: none), in txn->pool, valid as long as m.
/*	It returns 0; 1 when a limit left the message or some of its parts
/*	out, with *why our text saying which (the message is UNCHECKED;
/*	m->unchecked names the first limit the walk reached), or when the
/*	message is ambiguous MIME or has a part that cannot be decoded for
/*	sure (*why: m->ambiguous, m->undecoded; set now, after the checks
/*	read them: the caller makes the message UNCHECKED); or -1 with
/*	*why saying what failed (m->failed).
/*
/*	mime_embed_file() is mime_attach_file() for text that holds files
/*	(uuencode, yEnc, ...: an archive member whose head has a begin
/*	line, mime_embedded_head()): each file decoded from it is a part
/*	one level below depth, in the same file and budget, and one that
/*	is mail is opened as an attached message; same returns.
/*	mime_tnef_file() is the same for Outlook's TNEF (a member that
/*	starts with its signature, mime_tnef_head()): each file in it a
/*	part (mime_tnef).
/*
/*	mime_part_head() decodes only the first size bytes of a part into
/*	buf (for content type detection) and returns how many it got.
/*	mime_part_tail() decodes the whole part, writing nothing, and
/*	leaves its last size bytes (or all of it, when shorter) in buf, in
/*	order; it returns how many, or -1 when the part cannot be decoded.
/*
/*	mime_init() initialises GMime once, in the master before fork.
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>
#include <sys/types.h>

struct txn;
struct mime_walk;

struct mime_part {
	struct mime_part *next;
	int depth;
	const char *type;   /* declared, lower case: "application/zip" */
	const char *name;   /* the first of names, or NULL */
	const char **names; /* every file name it declares, none empty */
	size_t n_names;
	int is_text;
	int is_archive; /* by declared type or a name: zip, rar, 7z, tar, ... */
	int is_leaf;	/* content, not a multipart or message/rfc822 */
	int attached;	/* in an attached message filterd decoded */
	int encoding;	/* how its content is decoded: GMimeContentEncoding */
	int as_stored;	/* GMime reads its content as stored: a reading too */
	void *object;	/* the GMimePart, while txn->mime is alive */
	/* A file embedded in a text part (uuencode, yEnc: mime_embedded.h),
	 * decoded into the summary's temporary file; else NULL. */
	const char *embedded; /* its encoding, in words: "uuencode" */
	void *content;	      /* that file's GMimeStream (the summary's) */
	off_t content_off;    /* where its decoded content is in it */
	long content_len;
};

/* A message parsed from an attached one (mime_free releases it). */
struct mime_attached {
	struct mime_attached *next;
	void *message; /* GMimeMessage */
};

/* A header field or parameter given twice, with different values. */
struct mime_conflict {
	struct mime_conflict *next;
	off_t offset;	  /* where GMime saw it: the field's start */
	const char *name; /* message text: to find the bytes, never shown */
	int param;	  /* a parameter of that field, else the field */
};

#define MIME_READINGS_MAX 8	   /* other readings of one message */
#define MIME_BLOCK_MAX (64 * 1024) /* header bytes looked at, each side */

struct mime_summary {
	struct mime_part *parts;
	size_t n_parts;
	int malformed;	       /* GMime warned */
	const char *unchecked; /* why the message cannot be checked */
	int unparsed;	       /* some of its parts were never walked */
	const char *ambiguous; /* why parsers could read it otherwise */
	struct mime_conflict *conflicts; /* what they could read otherwise */
	size_t n_conflicts;
	void *message;	       /* the GMimeMessage (released by mime_free) */
	void *options;	       /* its GMimeParserOptions (mime_free) */
	int decoded_otherwise; /* a part decoded otherwise than by GMime */
	int outside_text; /* a preamble or epilogue with a file or message */
	int dash_padded;  /* a "--" line ends in blanks (mime_bounds) */
	const char *undecoded; /* why a part cannot be decoded for sure */
	const char *failed;    /* a part cannot be read or decoded */
	/* Attached messages: their temporary file (a GMimeStream), parser
	 * options and messages, all released by mime_free. */
	void *attached;
	void *attached_options;
	struct mime_attached *attached_messages;
	long attached_size;	/* bytes decoded into the file */
	struct mime_walk *walk; /* the walk's state (mime_attach_file) */
	/* Views for the spam rules (NULL when over spam_max_size). */
	char *headers; /* "Name: decoded value\n" per field */
	size_t headers_len;
	char *text; /* decoded text parts, UTF-8 */
	size_t text_len;
};

void mime_init(void);
int mime_is_archive(const char *type, const char *name);
int mime_is_mail(const char *head, size_t len);
int mime_is_member_mail(const char *name, const char *head, size_t len);
int mime_attach_file(struct mime_summary *m, int fd, int depth,
		     struct mime_part **parts, const char **why);
int mime_embed_file(struct mime_summary *m, int fd, int depth,
		    struct mime_part **parts, const char **why);
int mime_tnef_file(struct mime_summary *m, int fd, int depth,
		   struct mime_part **parts, const char **why);
int mime_parse(struct txn *t);
int mime_readings(struct txn *t,
		  int (*each)(struct txn *t, int fd, struct mime_summary *m,
			      void *ctx),
		  void *ctx);
void mime_free(struct mime_summary *m);
int mime_part_content(struct txn *t, const struct mime_part *p, long max,
		      long *size);
size_t mime_part_head(const struct mime_part *p, char *buf, size_t size);
ssize_t mime_part_tail(const struct mime_part *p, char *buf, size_t size);
int mime_part_span(const struct mime_part *p, off_t size, off_t *start,
		   off_t *end);
int mime_part_stored(const struct mime_part *p, off_t size, off_t *start,
		     off_t *end);

#endif

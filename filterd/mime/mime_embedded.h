#ifndef FILTERD_MIME_EMBEDDED_H
#define FILTERD_MIME_EMBEDDED_H

/*++
/* NAME
/*	mime_embedded 3h
/* SUMMARY
/*	files embedded in text: uuencode, begin-base64, yEnc, BinHex
/* SYNOPSIS
/*	#include "mime/mime_embedded.h"
/*
/*	void	mime_embedded_init(struct mime_embedded *e,
/*				   const struct mime_embedded_sink *sink);
/*
/*	int	mime_embedded_feed(struct mime_embedded *e, const char *buf,
/*				   size_t len);
/*
/*	int	mime_embedded_end(struct mime_embedded *e);
/*
/*	int	mime_embedded_head(const char *buf, size_t len);
/* DESCRIPTION
/*	A mail program shows a file encoded in a text part as an attachment
/*	(Thunderbird lists it and saves it by its name; amavisd-new's
/*	MIME-tools extract it): the checks must see it too. mime_embedded
/*	reads the decoded text of a part (no charset conversion: the blocks
/*	are ASCII), fed in pieces of any size, line by line, and finds:
/*
/*	uuencode: a line "begin NNN name" (NNN: three or four octal digits,
/*	as Thunderbird asks), encoded lines, a line "end";
/*
/*	begin-base64: "begin-base64 NNN name", base64 lines, "====";
/*
/*	yEnc: "=ybegin ... name=NAME" (the name is the rest of the line),
/*	"=ypart" lines skipped, encoded lines, "=yend ...";
/*
/*	BinHex 4.0: a line "(This file must be converted with BinHex 4.0)",
/*	blank lines, then ":" starts the encoded data (run-length encoded),
/*	which ends at the next ":". The name is in the data's header: begin
/*	is called once the header is decoded (with an empty name when the
/*	data ends first), data with the data fork (the resource fork and
/*	the CRCs are not kept, nor checked). A banner not followed by a
/*	line that starts with ":" is text.
/*
/*	The begin line must start the line and be spelt so; ordinary text
/*	("begin the meeting") is text. A uuencode or begin-base64 begin
/*	line starts a block only when its next non-blank line is a line of
/*	that encoding (or its end line). Else (prose that wraps to "begin
/*	2025 with a review", a begin line the text ends after) it names a
/*	file of no content: begin, then end with NULL (whole, no data),
/*	and the lines after it are text: the name is checked (a lenient
/*	decoder, as Thunderbird's, shows a file by it) and the message
/*	is not made UNCHECKED. Lines end at
/*	LF, CR LF or a bare CR, as Thunderbird's line reader ends them; a
/*	begin line cut at a bare CR has a second reading, the rest of its
/*	LF line (CRs kept) as the name, as a reader that splits at LF only
/*	reads it: it is given as well (e->also, during begin); when the
/*	first reading's next line is no encoded line, the second is the
/*	block's reading (its name given as name, the first as also).
/*	Each block found calls sink->begin
/*	with its kind and name (the rest of the line, trailing blanks and
/*	CR cut; it may hold any byte but NUL and LF), sink->data with the
/*	decoded bytes of each line, and sink->end with NULL when its end
/*	line came, or a reason in our words when the block cannot be
/*	decoded to its end (a line that is no such encoding, a line longer
/*	than MIME_EMBEDDED_LINE_MAX, another begin line inside it, the text
/*	ending first): its name and what was decoded are still there to
/*	check, but the message cannot be said to be checked. A begin line
/*	longer than MIME_EMBEDDED_LINE_MAX gives the name as far as it was
/*	read, then end with a reason.
/*
/*	The work is bounded by the text: each byte is looked at a fixed
/*	number of times, memory is the struct. A callback that returns
/*	non-zero stops the reading: mime_embedded_feed() and
/*	mime_embedded_end() return that value (and do nothing more, once
/*	stopped), else 0. mime_embedded_end() ends an open block (the text
/*	ended before its end line).
/*
/*	mime_embedded_head() tells whether the first bytes of a file
/*	(MIME_EMBEDDED_HEAD_LINES lines at most) hold a begin line of any
/*	kind: a part or archive member that is no text but reads so is
/*	read for blocks too (file(1) calls it "uuencoded text").
/*
/*	Memory: the caller owns the struct (about 33 KB: not for a small
/*	stack); the name given to begin lives until the callback returns.
/*--*/

#include <stddef.h>

#define MIME_EMBEDDED_LINE_MAX 8192 /* longest line read whole */
#define MIME_EMBEDDED_HEAD_LINES 20 /* mime_embedded_head: lines read */

enum mime_embedded_kind {
	MIME_EMBEDDED_NONE = 0,
	MIME_EMBEDDED_UU,     /* begin 644 name ... end */
	MIME_EMBEDDED_BASE64, /* begin-base64 644 name ... ==== */
	MIME_EMBEDDED_YENC,   /* =ybegin ... name=x ... =yend */
	MIME_EMBEDDED_BINHEX, /* (This file must be converted ... :...: */
};

struct mime_embedded_sink {
	int (*begin)(void *ctx, enum mime_embedded_kind kind, const char *name);
	int (*data)(void *ctx, const char *buf, size_t len);
	int (*end)(void *ctx, const char *why); /* why: NULL when whole */
	void *ctx;
};

struct mime_embedded {
	struct mime_embedded_sink sink;
	enum mime_embedded_kind kind; /* the open block, or NONE: text */
	int stopped;		      /* a callback's non-zero value */
	int over;		      /* the line at hand overflowed line[] */
	size_t len;		      /* bytes of the line at hand in line[] */
	/* A begin line read, its first encoded line not yet: its name,
	 * and its LF-only reading (alias, when it ended at a bare CR). */
	int pending;
	int cr_begin;	       /* the pending begin line's LF line is at hand */
	int skip;	       /* the rest of the LF line at hand is a name */
	const char *also;      /* during begin: the other reading, or NULL */
	unsigned int b64_bits; /* begin-base64: bits not yet out */
	int b64_nbits;
	int b64_done; /* begin-base64: padding seen */
	/* BinHex: ":" seen, the 6-bit groups, run-length state, header. */
	int bh_data;
	unsigned int bh_bits;
	int bh_nbits;
	int bh_rle;	/* a 0x90 seen: the count comes next */
	int bh_prev;	/* the last byte out, for runs */
	int bh_begun;	/* the header was read: begin was called */
	size_t bh_hlen; /* header bytes so far, and how many it has */
	size_t bh_hneed;
	unsigned long bh_left; /* data fork bytes still to come */
	size_t out_len;	       /* BinHex: decoded, not yet given */
	unsigned char bh_head[1 + 255 + 1 + 20];
	char line[MIME_EMBEDDED_LINE_MAX];
	char out[MIME_EMBEDDED_LINE_MAX];
	char name[MIME_EMBEDDED_LINE_MAX];
	char alias[MIME_EMBEDDED_LINE_MAX]; /* "": none */
};

const char *mime_embedded_kind_name(enum mime_embedded_kind kind);
void mime_embedded_init(struct mime_embedded *e,
			const struct mime_embedded_sink *sink);
int mime_embedded_feed(struct mime_embedded *e, const char *buf, size_t len);
int mime_embedded_end(struct mime_embedded *e);
int mime_embedded_head(const char *buf, size_t len);

#endif

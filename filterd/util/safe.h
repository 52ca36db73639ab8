#ifndef FILTERD_SAFE_H
#define FILTERD_SAFE_H

/*++
/* NAME
/*	safe 3h
/* SUMMARY
/*	untrusted text made safe for one reply line or one log line
/* SYNOPSIS
/*	#include "util/safe.h"
/*
/*	size_t safe_reply_text(char *out, size_t size, const char *in,
/*			       size_t len);
/*	size_t safe_log_text(char *out, size_t size, const char *in,
/*			     size_t len);
/*	size_t safe_name_text(char *out, size_t size, const char *in,
/*			      size_t len);
/* DESCRIPTION
/*	Text that came from a message or a peer (file and member names,
/*	virus names, MIME types, a next hop's replies, addresses) can hold
/*	any byte. These functions are for the writers at the boundary (the
/*	SMTP reply writer, the log writer), so that no caller has to
/*	remember: whatever in[0..len) holds (NUL included), out is one line.
/*
/*	Both copy in[0..len) to out, replacing each unsafe byte by an
/*	escape: CR, LF and TAB by the two characters \r, \n and \t, every
/*	other one by \xNN (two lower-case hex digits). A backslash is not
/*	doubled: the result is for people to read, not to decode.
/*
/*	safe_reply_text() keeps only printable ASCII (0x20-0x7e), as an
/*	SMTP reply line must be (RFC 5321 4.2: textstring); controls, DEL
/*	and every byte >= 0x80 are escaped.
/*
/*	safe_log_text() keeps printable ASCII and well-formed UTF-8 (RFC
/*	3629: no overlong forms, no surrogates, nothing past U+10FFFF), so
/*	that non-ASCII names stay readable; it escapes controls, DEL, the
/*	C1 controls U+0080-U+009F (some terminals act on them), the
/*	characters that break a line or reorder the text after them (U+2028,
/*	U+2029, bidirectional marks, embeddings, overrides and isolates)
/*	byte by byte, and each byte that is not part of a well-formed
/*	sequence.
/*
/*	safe_name_text() is not for a writer: it makes a name in an unknown
/*	charset (an archive member's, CP437, Shift_JIS, ...) a UTF-8 string
/*	that patterns can match, changing as little as it can. It keeps
/*	every ASCII byte but NUL (controls too: a pattern sees what a
/*	program would save the file as) and every well-formed UTF-8
/*	sequence, and escapes NUL and each byte that is not part of one as
/*	\xNN, so "\x82vil.exe" (the CP437 bytes of "évil.exe") still
/*	ends in ".exe". An out of 4 * len + 1 bytes always holds it whole.
/*
/*	Bounds: out receives at most size - 1 bytes and a NUL. When the
/*	whole of in does not fit, out is cut between two pieces, never
/*	inside an escape nor inside a UTF-8 sequence, and ends with "..."
/*	(SAFE_TRUNCATED) so the cut shows; size must then be at least
/*	sizeof(SAFE_TRUNCATED) for the mark to fit (a smaller out is only
/*	cut). out and in must not overlap.
/*
/*	safe_utf8_char() is for writers with an escape syntax of their own
/*	(JSON): the length of the well-formed UTF-8 sequence (RFC 3629) at
/*	p, of at most avail bytes, with its code point in *cp; 0 when p
/*	does not start one (an ASCII byte included).
/* DIAGNOSTICS
/*	Both return the number of bytes of in that out represents: len
/*	when nothing was cut.
/* PROCESS
/*	any; no state, no allocation (the log writer uses it).
/*--*/

#include <stddef.h>

#define SAFE_TRUNCATED "..."

size_t safe_reply_text(char *out, size_t size, const char *in, size_t len);
size_t safe_log_text(char *out, size_t size, const char *in, size_t len);
size_t safe_name_text(char *out, size_t size, const char *in, size_t len);
size_t safe_utf8_char(const char *p, size_t avail, unsigned long *cp);

#endif

#ifndef FILTERD_MIME_NAMES_H
#define FILTERD_MIME_NAMES_H

/*++
/* NAME
/*	mime_names 3h
/* SUMMARY
/*	every file name a MIME part declares
/* SYNOPSIS
/*	#include "mime/mime_names.h"
/*
/*	size_t	mime_names(struct pool *pool, void *object,
/*			   const char ***names);
/*
/*	const char *mime_names_2231(struct pool *pool, const char *raw,
/*				    const char *key);
/*
/*	size_t	mime_names_message(struct pool *pool, void *message,
/*				   const char ***names, size_t n);
/*
/*	const char *mime_names_text(struct pool *pool, const char *raw);
/*
/*	extern const char *const mime_names_keys[];
/*	extern const char *const mime_names_fields[];
/* DESCRIPTION
/*	mime_names() gives the file names GMime object object (a
/*	GMimeObject) declares, as GMime decodes them: filename= of
/*	Content-Disposition first, then name= of Content-Type, then
/*	filename= of Content-Type (Exchange's mail connector reads it) and
/*	name= of Content-Disposition, then the whole value of each
/*	Content-Name and X-Sun-Data-Name field (Thunderbird names a part by
/*	them when it has no other name), RFC 2047 decoded, blanks around
/*	it dropped; each given as many times as it occurs (GMime keeps one
/*	value per occurrence), the same value twice once, empty values
/*	never. Mail programs show and save a file by any of these, so the
/*	checks see all. mime_names_keys (the parameters, "filename" and
/*	"name", in either field) and mime_names_fields (the whole-value
/*	fields) list them for mime_raw, which reads the same names from a
/*	message GMime is not given; both end in NULL.
/*
/*	What GMime decodes (tests/unit/test_mime_names.c shows each form):
/*	quoted strings with their backslash escapes; RFC 2047 encoded words,
/*	quoted or not; RFC 2231 values (filename*=charset'lang'%XX) and
/*	continuations (filename*0*=, filename*1*=), in any order; charsets
/*	converted to UTF-8. GMime 3.2 does not decode continuations that
/*	do not come in order (filename*1*= before filename*0*=) wholly: it
/*	puts the pieces in order and decodes %XX, but keeps "charset'lang'"
/*	at the start, does not convert, and cuts the value at a NUL (UTF-16).
/*	So mime_names() reads the pieces of such values from the raw fields
/*	too, decodes them itself, and gives the result after GMime's when
/*	they differ: both are checked. A name given twice is given once. A
/*	name
/*	may hold any byte but NUL: CR, LF and
/*	other controls decoded from %0D%0A reach the rules as they are, and
/*	whoever shows a name escapes it (msg(3), safe_reply_text()).
/*
/*	mime_names_2231() reads parameter key of raw, the value of a
/*	Content-Type or Content-Disposition field as the message has it
/*	(folded lines and all), for RFC 2231 pieces (key*0*=, key*1=, in
/*	any order, with gaps): put in order, %XX decoded, converted from the
/*	first piece's charset to UTF-8 (its bytes kept when the charset is
/*	unknown), cut at a NUL. It returns the name, in pool, or NULL when
/*	key has no such pieces (or they make an empty name).
/*
/*	mime_names_message() adds to the n names *names of a message's
/*	top-level part (mime_names() of it) those that the fields of
/*	message (a GMimeMessage) in mime_names_fields give: GMime keeps
/*	only Content-* fields with the part, so X-Sun-Data-Name in the
/*	header of a one-part message is the message's, where mail programs
/*	read it as the part's. *names is replaced by a larger array in
/*	pool; it returns how many names there are now.
/*
/*	mime_names_text() gives the value raw of an unstructured field,
/*	RFC 2047 decoded (GMime), blanks before and after it dropped, in
/*	pool; NULL when that leaves nothing.
/*
/*	Memory: *names and the names are allocated in pool, as long as
/*	it; the object is only read. Returns how many names there are;
/*	*names is an array of that many plus one.
/*--*/

#include <stddef.h>

struct pool;

size_t mime_names(struct pool *pool, void *object, const char ***names);
const char *mime_names_2231(struct pool *pool, const char *raw,
			    const char *key);
size_t mime_names_message(struct pool *pool, void *message, const char ***names,
			  size_t n);
const char *mime_names_text(struct pool *pool, const char *raw);

#define MIME_NAMES_FIELDS 2 /* entries of mime_names_fields */

extern const char *const mime_names_keys[];
extern const char *const mime_names_fields[MIME_NAMES_FIELDS + 1];

#endif

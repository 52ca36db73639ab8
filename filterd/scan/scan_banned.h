#ifndef FILTERD_SCAN_BANNED_H
#define FILTERD_SCAN_BANNED_H

/*++
/* NAME
/*	scan_banned 3h
/* SUMMARY
/*	banned file names and types, inside archives too
/* DESCRIPTION
/*	scan_banned() checks every MIME part of m (txn->mime after
/*	mime_parse(), or another reading of it; the parts of attached
/*	messages too) with the bank's banned_filename and banned_type
/*	patterns and, when the bank asks, for double extensions
/*	("invoice.pdf.exe"). banned_filename is matched against every name
/*	a part declares (filename= and name=) and every name an archive
/*	member is known by: the path libarchive reports and, for a zip,
/*	its central directory's, local header's and Unicode Path names,
/*	and local headers no entry lists (scan_zipdir; a zip compressed
/*	as a whole, zip.gz, is decompressed
/*	to be read so); the names of a zip found by its end record at the
/*	end of any other archive walked (a tar with a zip after it) or of a
/*	non-text part that is no archive (an image with a zip after it),
/*	where an end record that leads nowhere says nothing; the name a
/*	gzip header stores (scan_gzname); names in other charsets than
/*	UTF-8 as their bytes with those that are not UTF-8 escaped
/*	(safe_name_text). Each name is also matched as Windows saves it,
/*	without trailing dots and spaces, when that differs. A pattern
/*	PCRE2 gives up on (re_match -1) makes the message UNCHECKED ("banned
/*	rule could not finish"), never CLEAN. The
/*	description names the one that matched. banned_type is matched
/*	against the declared type, the type libmagic detects in the first
/*	bytes of the content (an .exe sent as a PDF), of parts and of
/*	archive members alike, and the amavis-style short types of that
/*	(scan_type: ".exe-ms"); libmagic runs only when the bank has a
/*	banned_type rule.
/*
/*	Archives are found by content (scan_sniff: the decoded head of every
/*	leaf part and archive member), whatever their name or declared type,
/*	and also by declared type or name. They are opened with libarchive
/*	(zip, rar, 7z, tar, cab, iso, ... and what gzip, bzip2, xz, zstd
/*	and the like compress) and their members' names checked the same
/*	way, archives in archives down to max_archive_depth. A member that
/*	is a mail message (*.eml, or content that starts as mail) is opened
/*	as an attached message of m (mime_attach_file) and its parts
/*	checked as m's are, their archives one level deeper than the one
/*	that held it: the limits are one budget for the whole walk.
/*
/*	It returns SCAN_INFECTED with *desc set to an amavis-style
/*	description of the first banned item ("application/zip,docs.zip,
/*	invoice.exe"); SCAN_CLEAN; SCAN_UNCHECKED with *desc saying what
/*	could not be checked: an encrypted archive (logged
/*	UNCHECKED-ENCRYPTED), an archive that cannot be opened or walked
/*	(corrupt, truncated, a libarchive warning or error), a limit
/*	(max_archive_depth, max_archive_files, max_decoded_size, a member
/*	that declares more than that: a zip bomb); or SCAN_ERROR with *desc
/*	saying what failed (a part that cannot be decoded, a temporary file
/*	that cannot be made or written). A banned item found anywhere wins
/*	over UNCHECKED. *desc is a pool string: our own text for UNCHECKED
/*	and ERROR; names from the message in a banned item's description.
/*	It walks archives even when the bank has no banned rules, for those
/*	limits. m is not const: messages found in archives are attached to
/*	it (they live as long as it does).
/* PROCESS
/*	children, milter process.
/*--*/

#include "scan_result.h"

struct txn;
struct checks;
struct mime_summary;
struct re_ctx;

enum scan_verdict scan_banned(struct txn *t, struct mime_summary *m,
			      const struct checks *ck, struct re_ctx *rc,
			      const char **desc);

#endif

#ifndef FILTERD_SCAN_ZIPDIR_H
#define FILTERD_SCAN_ZIPDIR_H

/*++
/* NAME
/*	scan_zipdir 3h
/* SUMMARY
/*	every name a zip gives each of its members
/* SYNOPSIS
/*	#include "scan/scan_zipdir.h"
/* DESCRIPTION
/*	A zip names each member up to four times, and programs differ in
/*	which they show and extract to: the central directory's name
/*	(Windows Explorer, 7-Zip, unzip, Python), the local header's name
/*	(libarchive, streaming extractors), and an Info-ZIP Unicode Path
/*	extra field (0x7075) beside either (libarchive and unzip apply it,
/*	Explorer does not). libarchive reports one of them only; this
/*	reader gives all of them, as raw bytes, for the banned check.
/*
/*	scan_zipdir_names() reads the zip held in fd[0, size) with
/*	pread(2) (the descriptor's offset is left alone): the end of
/*	central directory record, searched for in the last 65,557 bytes
/*	(its zip64 form when the record says so), then each central
/*	directory entry, then the local header each entry points at (a
/*	zip with data before it, a self-extractor, has its offsets moved by
/*	that much, as unzip allows). Programs differ in which end record
/*	they take when the zip's comment holds another one (the last one
/*	in the file, or one whose comment ends where the file does): every
/*	record whose comment ends where the file does is read, up to four
/*	(more is malformed), or else the last one.
/*
/*	A streaming extractor (libarchive's, Java's ZipInputStream) reads
/*	local headers one after the other and shows members the central
/*	directory does not list. So the bytes before the (first read)
/*	directory are searched for local header signatures too, and each
/*	one that parses (a known method, a name, fields within those
/*	bytes) gives its name and Unicode Path name, SCAN_ZIPDIR_UNLISTED.
/*	Listed members are given again that way; so are the members of a
/*	zip stored uncompressed in the zip (checked anyway, when walked).
/*	Each end record read, and this search, may give up to max_entries
/*	entries (at most five times max_entries in all). For each entry it
/*	calls each() with
/*	each distinct name: its ctx, the name's bytes (not NUL-terminated,
/*	any bytes, no charset assumed) and where it came from. A name field
/*	longer than the entry leaves room for makes the zip malformed; an
/*	extra field cut short, or a Unicode Path field too short to hold
/*	its version and checksum, names nothing (no program shows one).
/*
/*	Bounds: at most max_entries entries; every field is checked
/*	against the bytes that hold it before it is read; one buffer per
/*	call, of what one entry and its local header can hold at most
/*	(2 * 2 * 65,535 bytes) and never more than twice the file.
/*
/*	scan_zipdir_may_end() tells whether the last bytes of a file (at
/*	most SCAN_ZIPDIR_TAIL of them, the window scan_zipdir_names()
/*	searches) hold an end record's signature: without one, the file
/*	names no member and need not be read.
/* DIAGNOSTICS
/*	SCAN_ZIPDIR_OK: every entry was read; SCAN_ZIPDIR_STOP: each()
/*	returned non-zero (the walk stopped there); SCAN_ZIPDIR_MANY: more
/*	than max_entries entries; SCAN_ZIPDIR_BAD: no end record, or a
/*	record, entry or local header that is truncated or points outside
/*	the file (the directory a program would list cannot be read);
/*	SCAN_ZIPDIR_IO: pread failed (errno set).
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>
#include <sys/types.h>

/* The bytes at the end of a file where an end record can start. */
#define SCAN_ZIPDIR_TAIL (22 + 65535)

enum scan_zipdir_from {
	SCAN_ZIPDIR_CENTRAL,	     /* the central directory's name */
	SCAN_ZIPDIR_CENTRAL_UNICODE, /* its Unicode Path (0x7075) field */
	SCAN_ZIPDIR_LOCAL,	     /* the local header's name */
	SCAN_ZIPDIR_LOCAL_UNICODE,   /* its Unicode Path (0x7075) field */
	SCAN_ZIPDIR_UNLISTED,	     /* a local header no entry points at */
};

enum scan_zipdir_status {
	SCAN_ZIPDIR_OK,
	SCAN_ZIPDIR_STOP,
	SCAN_ZIPDIR_MANY,
	SCAN_ZIPDIR_BAD,
	SCAN_ZIPDIR_IO,
};

enum scan_zipdir_status
scan_zipdir_names(int fd, off_t size, long max_entries,
		  int (*each)(void *ctx, const char *name, size_t len,
			      enum scan_zipdir_from from),
		  void *ctx);
int scan_zipdir_may_end(const char *tail, size_t len);

#endif

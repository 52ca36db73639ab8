#ifndef FILTERD_SCAN_GZNAME_H
#define FILTERD_SCAN_GZNAME_H

/*++
/* NAME
/*	scan_gzname 3h
/* SUMMARY
/*	the file name a gzip header stores
/* SYNOPSIS
/*	#include "scan/scan_gzname.h"
/*
/*	enum scan_gzname_status scan_gzname(const unsigned char *buf,
/*					    size_t len, const char **name,
/*					    size_t *name_len);
/* DESCRIPTION
/*	A gzip header may store the name of the file it holds (RFC 1952,
/*	FNAME): gzip -N, 7-Zip and WinRAR extract to that name, whatever
/*	the gzip file is called. scan_gzname() reads the header at the
/*	start of buf[0, len) (the first bytes of a file: at most
/*	SCAN_GZNAME_HEAD of them are ever needed): the magic bytes and
/*	method (deflate), the flags (reserved bits set: not a gzip a
/*	reader accepts), the extra field when FEXTRA says there is one
/*	(its length, then that many bytes skipped), then the NUL-terminated
/*	name when FNAME says there is one, at most SCAN_GZNAME_MAX bytes.
/*	Every length is checked against len before it is used.
/*
/*	On SCAN_GZNAME_FOUND, *name points into buf at the name (not
/*	NUL-terminated in the count; any bytes but NUL, ISO 8859-1 by the
/*	RFC, often UTF-8 or a code page in practice) and *name_len is its
/*	length, at least 1.
/* DIAGNOSTICS
/*	SCAN_GZNAME_NONE: not a gzip header, or one without a name (or an
/*	empty one); SCAN_GZNAME_FOUND: a name; SCAN_GZNAME_SHORT: the
/*	header goes on past buf[0, len) (a truncated file, when len is
/*	all there is) or its name is longer than SCAN_GZNAME_MAX (len is
/*	SCAN_GZNAME_HEAD or more): the name cannot be read.
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>

#define SCAN_GZNAME_MAX 4096 /* bytes of a name read, at most */
/* The fixed header, the extra field's length and bytes, the name. */
#define SCAN_GZNAME_HEAD (10 + 2 + 65535 + SCAN_GZNAME_MAX + 1)

enum scan_gzname_status {
	SCAN_GZNAME_NONE,
	SCAN_GZNAME_FOUND,
	SCAN_GZNAME_SHORT,
};

enum scan_gzname_status scan_gzname(const unsigned char *buf, size_t len,
				    const char **name, size_t *name_len);

#endif

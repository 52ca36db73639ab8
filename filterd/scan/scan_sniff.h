#ifndef FILTERD_SCAN_SNIFF_H
#define FILTERD_SCAN_SNIFF_H

/*++
/* NAME
/*	scan_sniff 3h
/* SUMMARY
/*	archives and compressed data told by their first bytes
/* SYNOPSIS
/*	#include "scan/scan_sniff.h"
/* DESCRIPTION
/*	scan_sniff_archive() tells from the first len bytes of some content
/*	(a decoded MIME part, an archive member) whether it is an archive or
/*	compressed data that libarchive can open: zip, rar, 7z, cab, tar
/*	(ustar magic, or an old tar header whose checksum adds up), cpio,
/*	ar, xar, lha, rpm, ISO 9660, and the gzip, bzip2, xz, lzip, lzop,
/*	lz4, zstd, compress and lrzip streams. It returns a static name
/*	("zip", "gzip", ...) or NULL. It looks at signatures only, as file(1)
/*	does, whatever the content's name or declared type says, and costs a
/*	few comparisons: no libmagic.
/*
/*	SCAN_SNIFF_HEAD bytes are enough for every signature but ISO 9660's,
/*	which lies at offset 32769, after a system area that is usually all
/*	zeros: scan_sniff_more() tells whether a head of SCAN_SNIFF_HEAD
/*	bytes is such a start (all zeros), worth reading SCAN_SNIFF_MAX
/*	bytes for.
/*
/*	Both only read head[0, len).
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>

#define SCAN_SNIFF_HEAD 4096
#define SCAN_SNIFF_MAX (32769 + 5)

const char *scan_sniff_archive(const void *head, size_t len);
int scan_sniff_more(const void *head, size_t len);

#endif

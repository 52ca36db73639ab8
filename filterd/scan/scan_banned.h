#ifndef FILTERD_SCAN_BANNED_H
#define FILTERD_SCAN_BANNED_H

/*++
/* NAME
/*	scan_banned 3h
/* SUMMARY
/*	banned file names and types, inside archives too
/* DESCRIPTION
/*	scan_banned() checks every MIME part of txn (mime_parse() ran) with
/*	the bank's banned_filename and banned_type patterns and, when the
/*	bank asks, for double extensions ("invoice.pdf.exe"). banned_type
/*	is matched against the declared type and the type libmagic detects
/*	in the first bytes of the content (an .exe sent as a PDF), of parts
/*	and of archive members alike. Parts that are
/*	archives (zip, rar, 7z, tar, gzip, ... read with libarchive) are
/*	opened and their members' names checked the same way, archives in
/*	archives down to max_archive_depth.
/*
/*	It returns SCAN_INFECTED with *desc set to an amavis-style
/*	description of the first banned item ("application/zip,docs.zip,
/*	invoice.exe"), SCAN_CLEAN, or SCAN_UNCHECKED with *desc saying which
/*	limit was reached (max_archive_depth, max_archive_files,
/*	max_decoded_size, or a member that declares more than that: a zip
/*	bomb). It walks archives even when the bank has no banned rules,
/*	for those limits. *desc is a pool string.
/* PROCESS
/*	children, milter process.
/*--*/

#include "scan_result.h"

struct txn;
struct checks;
struct re_ctx;

enum scan_verdict scan_banned(struct txn *t, const struct checks *ck,
			      struct re_ctx *rc, const char **desc);

#endif

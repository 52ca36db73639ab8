#ifndef FILTERD_SCAN_TYPE_H
#define FILTERD_SCAN_TYPE_H

/*++
/* NAME
/*	scan_type 3h
/* SUMMARY
/*	amavis-style short types for the MIME types libmagic detects
/* SYNOPSIS
/*	#include "scan/scan_type.h"
/* DESCRIPTION
/*	amavisd-new matches its banned rules against a short name of the
/*	type file(1) sees, written with a leading dot (".exe-ms", ".dll",
/*	".zip"), so that a rule such as qr'^\.(exe-ms|dll)$' bans Windows
/*	executables whatever they are called. scan_type_short() gives the
/*	short types filterd has for a MIME type libmagic detected (mime,
/*	as MAGIC_MIME_TYPE gives it, compared without case), in a small
/*	table (scan_type.c; policy-banks/README.md lists it): at most max
/*	of them into out[], static strings with the leading dot, most
/*	general first (".exe", ".exe-ms"). A Windows executable (PE) whose
/*	header, in head[0, len) (the first bytes of the content; may be
/*	NULL), says it is a DLL gets ".dll" as well: libmagic's MIME type
/*	does not tell. It returns how many it put in out (0 for a type the
/*	table does not know, or mime NULL).
/* PROCESS
/*	any; no state.
/*--*/

#include <stddef.h>

#define SCAN_TYPE_MAX 4 /* short types one MIME type has, at most */

size_t scan_type_short(const char *mime, const void *head, size_t len,
		       const char **out, size_t max);

#endif

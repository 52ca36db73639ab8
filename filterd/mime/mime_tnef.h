#ifndef FILTERD_MIME_TNEF_H
#define FILTERD_MIME_TNEF_H

/*++
/* NAME
/*	mime_tnef 3h
/* SUMMARY
/*	the files in Outlook's TNEF (winmail.dat)
/* SYNOPSIS
/*	#include "mime/mime_tnef.h"
/*
/*	int	mime_tnef_head(const char *buf, size_t len);
/*
/*	int	mime_tnef_read(const char *buf, size_t len,
/*			       size_t max_files,
/*			       const struct mime_tnef_sink *sink,
/*			       const char **why);
/* DESCRIPTION
/*	Outlook and Exchange send a message's attachments inside one
/*	part, winmail.dat (application/ms-tnef): Outlook shows the files
/*	in it as the attachments, and amavisd-new unpacks it. mime_tnef
/*	reads such a stream with libytnef.
/*
/*	mime_tnef_head() tells whether a file starts with TNEF's
/*	signature (0x223E9F78, little-endian).
/*
/*	mime_tnef_read() reads the whole stream buf[0, len) and calls
/*	sink->file once for each attached file, in order, with its names
/*	(name: the long file name of its MAPI properties, else its title;
/*	other: the title when both are there and differ, else NULL; each
/*	NUL-terminated, any other byte kept, possibly "") and its data
/*	(PR_ATTACH_DATA_OBJ when attAttachData is missing). Before
/*	libytnef reads it, the stream's framing is walked (bounded by len):
/*	more than max_files files, or a frame running past the end, and
/*	nothing is read; libytnef is given the attachments' attributes
/*	only (the message's own, its subject, body and MAPI properties,
/*	hold no file, and libytnef 2.0 refuses some that Outlook sends:
/*	a subject over 100 bytes, a property over 512 KB). libytnef keeps
/*	one title, one data and one property set per file, the last one
/*	(and leaks the others): a file's attribute that comes again is
/*	given to it as the start of another file, so that every name and
/*	every content in the stream reaches the sink (each such start
/*	counts against max_files). It returns 0 when the stream was read whole; a
/*	callback's non-zero value (the reading stops there); or -1 with
/*	*why (our words) when the stream cannot be read whole: the files
/*	read before the fault are given first.
/*
/*	libytnef writes its own error lines to standard output (the
/*	daemon's is /dev/null); its limits on what is given to it (an
/*	attachment title over 100 bytes, an attachment's MAPI value over
/*	512 KB, in version 2.0) make a stream unreadable: -1, never a
/*	stream read in part said whole.
/*
/*	Memory: a copy of the attachments' attributes (with a 25-byte
/*	attAttachRenddata before each repeated one), and libytnef's
/*	copies of what it reads (about three times len at most);
/*	all is freed before the return. Names and data given to the sink
/*	live until the callback returns.
/*--*/

#include <stddef.h>

struct mime_tnef_sink {
	int (*file)(void *ctx, const char *name, const char *other,
		    const char *data, size_t len);
	void *ctx;
};

int mime_tnef_head(const char *buf, size_t len);
int mime_tnef_read(const char *buf, size_t len, size_t max_files,
		   const struct mime_tnef_sink *sink, const char **why);

#endif

#ifndef FILTERD_MIME_RAW_H
#define FILTERD_MIME_RAW_H

/*++
/* NAME
/*	mime_raw 3h
/* SUMMARY
/*	what the checks can see of a message GMime is not given
/* SYNOPSIS
/*	#include "mime/mime_raw.h"
/* DESCRIPTION
/*	A message past the bounds mime_bounds_spool() checks is never
/*	parsed by GMime (mime_bounds.h): it is UNCHECKED. The checks that
/*	need no MIME tree still look at it as it is, so that what the
/*	bounds cost a sender is never a way past them.
/*
/*	mime_raw_views() fills the spam views of m from the raw message:
/*	m->headers holds the message's own header section as the rules
/*	read it, one "Name: value" line per field, unfolded (the line
/*	breaks of folding dropped, the blanks kept), the blanks after the
/*	colon dropped, nothing decoded; lines that are no field (no colon)
/*	are left out, as GMime leaves them out. m->text is the raw body,
/*	everything after the first blank line, as stored. The caller
/*	calls it only for a message no larger than spam_max_size, so each
/*	view is bounded by it; both are copies in txn->pool. It returns 0,
/*	or -1 with TXN_ERR_PARSE when the spool cannot be read.
/* PROCESS
/*	children, milter process.
/*--*/

struct mime_summary;
struct txn;

int mime_raw_views(struct txn *t, struct mime_summary *m);

#endif

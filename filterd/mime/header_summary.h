#ifndef FILTERD_HEADER_SUMMARY_H
#define FILTERD_HEADER_SUMMARY_H

/*++
/* NAME
/*	header_summary 3h
/* SUMMARY
/*	the header fields the log line and the records name
/* DESCRIPTION
/*	header_summary_read() reads the header section of the spooled
/*	message (at most the first 256 KiB) and sets txn->message_id from
/*	the first Message-ID field, unfolded, or leaves it NULL. A message
/*	without a header section is fine. Returns 0, or -1 with
/*	TXN_ERR_SPOOL when the spool cannot be read.
/*
/*	The full MIME parse (GMime) joins this stage with the content checks.
/*--*/

struct txn;

int header_summary_read(struct txn *t);

/* Exposed for unit tests: find a field in a CRLF header block. */
char *header_summary_find(const char *hdr, size_t len, const char *name,
			  char *out, size_t outsize);

#endif

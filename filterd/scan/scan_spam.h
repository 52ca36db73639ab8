#ifndef FILTERD_SCAN_SPAM_H
#define FILTERD_SCAN_SPAM_H

/*++
/* NAME
/*	scan_spam 3h
/* SUMMARY
/*	the spam score: built-in rules, plus spamd when configured
/* DESCRIPTION
/*	scan_spam() runs the built-in rules (SpamAssassin syntax, compiled
/*	in the master; GTUBE always) over the message's views from
/*	mime_parse() (the raw message's, when its MIME was past the bounds
/*	and not parsed: mime_raw.h) and, when spamd.address is set, adds
/*	the score that SpamAssassin's spamd gives (spamd reads the message
/*	as stored, parsed or not). A spamd that is down, slow or confused
/*	is logged and the built-in score stands. Messages over spam_max_size
/*	are not scored (as amavis' sa_mail_body_size_limit). Sets
/*	txn->spam_score, txn->spam_hits and txn->spam_scanned.
/* PROCESS
/*	children, milter process.
/*--*/

struct txn;

void scan_spam(struct txn *t);

/* Exposed for unit tests: URIs in text, at most max, into pool strings. */
size_t scan_spam_uris(struct txn *t, const char *text, size_t len,
		      const char **out, size_t max);

#endif

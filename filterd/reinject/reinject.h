#ifndef FILTERD_REINJECT_H
#define FILTERD_REINJECT_H

/*++
/* NAME
/*	reinject 3h
/* SUMMARY
/*	hand a checked message to the bank's next hops, in order
/* SYNOPSIS
/*	#include "reinject/reinject.h"
/* DESCRIPTION
/*	reinject_create() makes the SMTP client state of one child (or one
/*	milter worker); the caller owns it and releases it with
/*	reinject_free().
/*
/*	reinject_run() sends the message in txn to the recipients the
/*	policy passed (RCPT_PENDING, txn/rcpt.h), trying the bank's forward
/*	hops in order. A hop is skipped for the next one when it cannot be
/*	reached, times out, or refuses for now (4xx, or a reply that is no
/*	answer) before the message data is sent: nothing has been handed
/*	over yet. A 5xx to MAIL, RCPT or DATA is the recipients' answer (a
/*	refusal for good), not a reason to try another hop. Once the
/*	data is under way there is no retry on another hop: a failure then
/*	is a temporary failure of the message (the front MTA retries; at
/*	worst a duplicate, never a loss).
/*
/*	On return each of those recipients has the outcome the next hop
/*	gave it (rcpt_hop_reply: its RCPT reply when that refused it, else
/*	the reply to the final dot), or is DEFERRED when no hop took it;
/*	txn->hop and txn->queued_as name where the message went. Returns 0
/*	when a hop gave an answer for some copy; -1 with TXN_ERR_FORWARD
/*	when no copy went anywhere.
/*
/*	After a message the session to the next hop is kept open for the
/*	next one (forward_cache_time seconds at most) and probed with RSET
/*	before use, as amavis' connection cache does; a session that no
/*	longer answers is replaced by a fresh one without error. With
/*	PIPELINING the probe and XFORWARD travel in one write with MAIL,
/*	RCPT and DATA.
/*
/*	The client passes XFORWARD on when the hop offers it, keeps
/*	BODY=8BITMIME and SMTPUTF8 (a hop without SMTPUTF8 cannot take an
/*	SMTPUTF8 message: next hop), passes DSN parameters when offered,
/*	uses PIPELINING when offered, and writes in large buffers with
/*	TCP_NODELAY.
/*
/*	Recipients that get the same copy form a group: same added fields
/*	(txn->add_headers, then the recipient's own), same subject tag,
/*	same "local or not" (a local recipient's copy loses the X-Spam-*
/*	and X-Virus-Scanned fields it came with). copy_write() (copy.h)
/*	writes each group's copy, defanged when txn->defang is set.
/* PROCESS
/*	children; milter process (release, notifications).
/*--*/

struct conf;
struct txn;
struct reinject;

struct reinject *reinject_create(const struct conf *conf);
void reinject_free(struct reinject **rjp);
int reinject_run(struct reinject *rj, struct txn *t);

/* The last reply line of a next hop, parsed: exposed for unit tests. */
struct reinject_reply {
	int code;
	char dsn[16];
	char text[1024]; /* the text after code and enhanced status */
	char full[1100]; /* "250 2.0.0 Ok: queued as X" */
};

void reinject_parse_reply_line(const char *line, struct reinject_reply *r);
const char *reinject_queued_as(const char *text, char *out, size_t size);

#endif

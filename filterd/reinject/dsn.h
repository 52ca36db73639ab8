#ifndef FILTERD_DSN_H
#define FILTERD_DSN_H

/*++
/* NAME
/*	dsn 3h
/* SUMMARY
/*	delivery status notifications (RFC 3464) that filterd sends itself
/* SYNOPSIS
/*	#include "reinject/dsn.h"
/* DESCRIPTION
/*	dsn_run() is the NOTIFY stage. It first lets rcpt_settle() turn
/*	refusals that one SMTP reply cannot carry (beside accepted
/*	recipients) into bounces, then tells the sender about every
/*	BOUNCING recipient (txn/rcpt.h) in one RFC 3464 multipart/report
/*	DSN from the null sender, through the bank's notify hops: a policy
/*	bounce ("the content filter blocked it") or a next hop's refusal
/*	("the next mail server refused it"), saying the message went to
/*	the other recipients only when it did. When a notify hop accepts
/*	the DSN the recipients are BOUNCED; when one refuses it for good
/*	(5xx: the sender cannot be reached) they are NOBOUNCE, as an MTA
/*	drops a double bounce, since a retry would only repeat it; when the
/*	DSN cannot be sent now they are DEFERRED, and the front MTA retries
/*	the message: no refusal is lost while it could still be told.
/*
/*	Nobody is told (NOBOUNCE), as an MTA or amavisd-new would not tell
/*	them: mail from the null sender, a recipient whose NOTIFY excludes
/*	FAILURE, and for policy bounces a virus (its sender is likely
/*	forged; not in originating mail, whose sender is our own user),
/*	spam at the recipient's spam_dsn_cutoff_level, and Precedence
/*	bulk, list or junk.
/*
/*	Nothing is sent while the one reply of an SMTP message will be a
/*	4xx anyway (rcpt_bounce_due): the message is retried as a whole.
/*
/*	Every text that comes from the message or a peer (addresses,
/*	reasons, a next hop's reply) is written through one writer that
/*	keeps it on one line of printable ASCII.
/*
/*	Returns 0: a DSN that cannot be sent is not an error of the stage.
/*	dsn_format() writes the DSN text for a message's BOUNCING
/*	recipients into a buffer (for tests); dsn_id names it.
/* PROCESS
/*	children (front ends that give one reply per message).
/*--*/

struct reinject;
struct txn;
struct buf;

int dsn_run(struct reinject *rj, struct txn *t);
void dsn_format(const struct txn *t, const char *dsn_id, struct buf *out);

#endif

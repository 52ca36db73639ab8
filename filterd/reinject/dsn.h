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
/*	dsn_run() is the NOTIFY stage. Recipients whose destiny is BOUNCE
/*	get a DSN (unless amavis' rules say nobody is to be told: a virus,
/*	whose sender is likely forged; spam at spam_dsn_cutoff_level;
/*	Precedence bulk, list or junk), after which they count as handled
/*	(250); if the DSN cannot be sent they are temporarily failed. And
/*	when a next hop accepted some
/*	recipients of a message and refused others for good, a one-reply
/*	SMTP client (the front MTA) cannot be told both; like amavisd-new,
/*	filterd then tells the sender itself: one multipart/report DSN
/*	(with the original header) for the refused recipients, sent from
/*	the null sender through the bank's notify hops. When that DSN is
/*	accepted, those recipients count as handled (dsn_sent) and the
/*	message can get its 250; when it is not, nothing changes and the
/*	message is temporarily failed as a whole: no refusal is ever lost.
/*
/*	No DSN is sent, as an MTA would not send one, for mail from the null
/*	sender or for a recipient whose NOTIFY excludes FAILURE
/*	(dsn_suppressed). When every recipient was refused there is nothing
/*	to do here: the front MTA gets the refusal and bounces itself.
/*
/*	Returns 0: a DSN that cannot be sent is not an error of the stage.
/*	dsn_format() writes the DSN text for a message into a buffer (for
/*	tests); dsn_id names it.
/* PROCESS
/*	children (front ends that give one reply per message).
/*--*/

struct reinject;
struct txn;
struct buf;

int dsn_run(struct reinject *rj, struct txn *t);
void dsn_format(const struct txn *t, const char *dsn_id, struct buf *out);

#endif

#ifndef FILTERD_TXN_LOG_H
#define FILTERD_TXN_LOG_H

/*++
/* NAME
/*	txn_log 3h
/* SUMMARY
/*	the one summary line per message
/* DESCRIPTION
/*	txn_log() logs, at info level, the amavis-style summary of a message
/*	that has been through the pipeline:
/*
/*	ID: Passed CLEAN {RelayedInbound}, BANK [client]:port [peer]
/*	<sender> -> <rcpt>,..., Queue-ID: QID, Message-ID: <mid>,
/*	mail_id: ID, Hits: 1.5, tests=[A=1,B=0.5], size: N, queued_as:
/*	QID2, T ms (receive R, scan S [virus V, banned B, spam P],
/*	forward F)
/*
/*	A virus, banned part or reason for UNCHECKED follows the category:
/*	"Blocked INFECTED (Eicar-Test-Signature)".
/*
/*	"Blocked MTA-BLOCKED {TempFailedInbound}" when no next hop took it;
/*	the direction word is Outbound for originating banks, which also
/*	adds LOCAL after the bank. txn_log_format() writes the same line
/*	into a buffer (for tests).
/*--*/

struct txn;
struct buf;

void txn_log(const struct txn *t);
void txn_log_format(const struct txn *t, struct buf *out);

#endif

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
/*	"Blocked INFECTED (Eicar-Test-Signature)". When a copy was kept in
/*	quarantine, "quarantine: WHERE" follows the recipients, as amavis
/*	logs it: the file relative to quarantine_dir ("v/virus-ID") or, in
/*	SQL, "ID[pt]".
/*
/*	"Blocked MTA-BLOCKED {TempFailedInbound}" when no next hop took it;
/*	the direction word is Outbound for originating banks, which also
/*	adds LOCAL after the bank. txn_log_format() writes the same line
/*	into a buffer (for tests).
/*
/*	Bounds: the log writer keeps 8 KiB of a line (msg.c). Every field
/*	a message or a peer can fill (the virus, banned item or reason,
/*	addresses, the client, Queue-ID, Message-ID, rule hits, queued_as,
/*	a next hop's refusal, the error) is escaped and cut to the bound
/*	below with a visible "..."; recipients are listed up to
/*	TXN_LOG_RCPTS bytes, then ",...(N more)". The line is then at most
/*	TXN_LOG_LINE_MAX bytes, so its own fields are never cut off.
/*--*/

#define TXN_LOG_FIELD_MAX 1024 /* the largest bound below */
#define TXN_LOG_REASON 512     /* virus, banned item, UNCHECKED reason */
#define TXN_LOG_ADDR 320       /* an address (RFC 5321: 256) or client */
#define TXN_LOG_RCPTS 1536     /* the recipients together, about */
#define TXN_LOG_ID 128	       /* Queue-ID */
#define TXN_LOG_MESSAGE_ID 256
#define TXN_LOG_HITS 768  /* tests=[...] */
#define TXN_LOG_DSN 16	  /* a next hop's enhanced status code */
#define TXN_LOG_REPLY 256 /* a next hop's reply, queued_as, the error */
#define TXN_LOG_LINE_MAX 7168

struct txn;
struct buf;

void txn_log(const struct txn *t);
void txn_log_format(const struct txn *t, struct buf *out);

#endif

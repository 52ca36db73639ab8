#ifndef FILTERD_RCPT_H
#define FILTERD_RCPT_H

/*++
/* NAME
/*	rcpt 3h
/* SUMMARY
/*	what happened to each recipient: the one state machine
/* SYNOPSIS
/*	#include "txn/rcpt.h"
/* DESCRIPTION
/*	Every recipient of a message has one outcome, recorded here and
/*	only here, through the transitions below; the reply to the front
/*	MTA (smtp/reply.c), the DSN (reinject/dsn.c), the log line, the SQL
/*	rows and the counters read it and work nothing out again (Postfix's
/*	recipient status API is the model).
/*
/*	States, and who moves a recipient into them:
/* .IP RCPT_PENDING
/*	no outcome yet: the policy passes it, it is to be forwarded.
/* .IP RCPT_DISCARDED
/*	policy (decide): not delivered, nobody told; 250 2.7.0.
/* .IP RCPT_REJECTED
/*	refused for good, and the front MTA is told (5xx): by policy
/*	(decide) or by a next hop (reinject).
/* .IP RCPT_BOUNCING
/*	refused for good, and the sender is to hear it from our own DSN:
/*	policy destiny bounce (decide), or a refusal that one SMTP reply
/*	cannot carry beside accepted recipients (rcpt_settle).
/* .IP RCPT_BOUNCED
/*	the DSN was accepted by a notify hop (dsn); 250 2.5.0.
/* .IP RCPT_NOBOUNCE
/*	nobody is to be told (dsn: null sender, NOTIFY=NEVER, a virus,
/*	spam over the DSN cutoff, bulk mail); 250 2.5.0.
/* .IP RCPT_DELIVERED
/*	a next hop accepted it (reinject); 250.
/* .IP RCPT_DEFERRED
/*	temporary failure (4xx): a next hop's 4xx, no next hop reachable,
/*	or a DSN that could not be sent. The front MTA retries.
/* .PP
/*	Transitions:
/*
/*	rcpt_policy() records the policy's destiny for a PENDING recipient
/*	(DISCARDED, REJECTED or BOUNCING, with amavis' reply text; PENDING
/*	itself means pass and changes nothing).
/*
/*	rcpt_hop_reply() records a next hop's answer for a PENDING
/*	recipient: 2xx DELIVERED, 5xx REJECTED, anything else DEFERRED.
/*	rcpt_hop_forget() returns a recipient that has a next hop's answer
/*	to PENDING (the hop was given up on before the data went, or the
/*	data phase broke). rcpt_hop_unavailable() defers a PENDING
/*	recipient that no next hop took.
/*
/*	rcpt_settle() runs once the next hops have answered. When one reply
/*	must serve every recipient (SMTP), and some recipients were handled
/*	(2xx) while others were REJECTED, the rejections become BOUNCING:
/*	the sender hears of them from our DSN and the front MTA gets one
/*	250, as amavisd-new does; a 4xx for all would make the front MTA
/*	deliver the accepted ones again on every retry. Nothing changes
/*	while any recipient is DEFERRED: the message is retried as a whole
/*	and its refusals are told then.
/*
/*	rcpt_bounced(), rcpt_nobounce() and rcpt_bounce_failed() end a
/*	BOUNCING recipient: BOUNCED, NOBOUNCE, or DEFERRED when the DSN
/*	could not be sent (nothing is lost: the front MTA retries).
/*
/*	An illegal transition is a bug: it panics.
/*
/*	rcpt_class() reads an outcome as an SMTP reply class: 2 (a next hop
/*	took it, or it was deliberately, recordedly not delivered), 5
/*	(refused, the front MTA is to bounce) or 4 (everything else: no
/*	outcome, a pending bounce, a temporary failure, or a failure of the
/*	message as a whole). Nothing here turns a failure into a 2.
/*
/*	rcpt_bounce_due() tells whether the NOTIFY stage may send DSNs now:
/*	not while the one reply of an SMTP message will be a 4xx anyway.
/*
/*	Memory: texts are copied into the txn's pool.
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>

struct txn;
struct txn_rcpt;

enum rcpt_state {
	RCPT_PENDING = 0,
	RCPT_DISCARDED,
	RCPT_REJECTED,
	RCPT_BOUNCING,
	RCPT_BOUNCED,
	RCPT_NOBOUNCE,
	RCPT_DELIVERED,
	RCPT_DEFERRED,
};

/* Who refused or deferred a recipient. */
enum rcpt_by {
	RCPT_BY_NONE = 0,
	RCPT_BY_POLICY, /* our own policy decision */
	RCPT_BY_HOP,	/* a next hop's answer, or no next hop */
	RCPT_BY_DSN,	/* the DSN we owed could not be sent */
};

void rcpt_policy(struct txn *t, struct txn_rcpt *rc, enum rcpt_state to,
		 const char *what);
void rcpt_hop_reply(struct txn *t, struct txn_rcpt *rc, const char *hop,
		    int code, const char *dsn, const char *text);
void rcpt_hop_forget(struct txn_rcpt *rc);
void rcpt_hop_unavailable(struct txn *t, struct txn_rcpt *rc, const char *why);
void rcpt_settle(struct txn *t);
void rcpt_bounced(struct txn_rcpt *rc);
void rcpt_nobounce(struct txn_rcpt *rc);
void rcpt_bounce_failed(struct txn *t, struct txn_rcpt *rc, const char *why);

int rcpt_class(const struct txn *t, const struct txn_rcpt *rc);
int rcpt_bounce_due(const struct txn *t);
const char *rcpt_state_name(enum rcpt_state s);

#endif

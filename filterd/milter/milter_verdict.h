#ifndef FILTERD_MILTER_VERDICT_H
#define FILTERD_MILTER_VERDICT_H

/*++
/* NAME
/*	milter_verdict 3h
/* SUMMARY
/*	one milter answer for a message that has been through the pipeline
/* SYNOPSIS
/*	#include "milter/milter_verdict.h"
/* DESCRIPTION
/*	milter_verdict() is the one piece of milter-specific policy: it
/*	reads a txn after txn_run() (every stage but FORWARD and NOTIFY:
/*	no recipient has been delivered, each is PENDING when the policy
/*	passes it) and fills v with the one answer the MTA gets. The rule,
/*	for recipients that disagree (one message, one verdict):
/* .IP \(bu
/*	the message failed as a whole (txn->error), or a recipient has no
/*	outcome a milter can give (DEFERRED: a tempfail destiny, an SQL
/*	lookup that failed): TEMPFAIL, 451 4.3.0 (552 5.3.4 for the size
/*	limit, which is REJECT);
/* .IP \(bu
/*	no recipient passes: REJECT with the first refusal's reply when
/*	any is refused (destiny reject, or bounce: a bounce has no meaning
/*	before the queue, the client is told instead); else every one was
/*	discarded: HOLD when the message was quarantined and the bank says
/*	milter_hold, else DISCARD;
/* .IP \(bu
/*	some recipients pass: ACCEPT; every other recipient is removed
/*	(v->delrcpt, smfi_delrcpt; its quarantine copy is the message's,
/*	stored before the answer); the header fields are those of the
/*	least tolerant passing recipient (the highest content category in
/*	its own view, the first in envelope order among equals); outside
/*	X-Spam-* and X-Virus-Scanned fields are removed when any passing
/*	recipient is local;
/* .IP \(bu
/*	a message the hop would pass defanged (its MIME ambiguous or not
/*	checked in full) is REJECTED: a milter cannot rewrite it as the
/*	hop does, and it is not passed unchecked.
/* .PP
/*	A TEMPFAIL's text is milter_tempfail_text(): "Temporary failure
/*	in content checks, try again later, id=ID", whatever the reason
/*	(before the queue the reply reaches the remote sender: no DSN,
/*	server or library message there); the reason is v->detail, for
/*	our log only.
/*
/*	Reply texts are made safe for smfi_setreply(): printable ASCII,
/*	no CR or LF, '%' doubled (sendmail reads it as a format).
/*
/*	Memory: v->delrcpt comes from t->pool; v->added[],
/*	v->subject_tag and v->detail borrow from t. All live as long as t.
/* PROCESS
/*	milter.
/*--*/

#include <stddef.h>

struct txn;
struct txn_header;

enum milter_action {
	MILTER_ACCEPT,	 /* with the header changes below */
	MILTER_REJECT,	 /* 5xx: code, dsn, text */
	MILTER_DISCARD,	 /* accepted and dropped, recordedly */
	MILTER_HOLD,	 /* accepted into the MTA's hold queue */
	MILTER_TEMPFAIL, /* 4xx: code, dsn, text */
};

#define MILTER_TEXT_MAX 400

struct milter_verdict {
	enum milter_action action;
	char code[4];
	char dsn[12];
	char text[MILTER_TEXT_MAX]; /* safe for smfi_setreply */
	const struct txn_header *added[2];
	const char *subject_tag; /* NULL: none */
	int strip;		 /* remove outside X-Spam-* fields */
	unsigned char *delrcpt;	 /* per recipient: remove it */
	size_t chosen;		 /* the recipient whose headers apply */
	const char *detail;	 /* TEMPFAIL: the reason, for our log only */
};

void milter_verdict(struct txn *t, struct milter_verdict *v);
void milter_reply_text(char *out, size_t size, const char *in);
const char *milter_action_name(enum milter_action a);
const char *milter_tempfail_text(struct txn *t);

#endif

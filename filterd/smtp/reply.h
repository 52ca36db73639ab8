#ifndef FILTERD_REPLY_H
#define FILTERD_REPLY_H

/*++
/* NAME
/*	reply 3h
/* SUMMARY
/*	the one mapping from a message's outcome to SMTP and LMTP replies
/* SYNOPSIS
/*	#include "smtp/reply.h"
/* DESCRIPTION
/*	reply_recipient() gives the reply for recipient i of a message
/*	that has been through the pipeline: a temporary failure when the
/*	message as a whole failed (txn->error), else the reply of that
/*	recipient's outcome (txn/rcpt.h), the next hop's answer wrapped as
/*	amavis does: "from MTA(smtp:[h]:p): 250 2.0.0 Ok". LMTP sends one
/*	per recipient. A recipient without a final outcome (PENDING, a
/*	bounce not yet sent) gets a 4xx.
/*
/*	reply_message() gives the one SMTP reply for the whole message
/*	(amavis one_response_for_all): any temporary failure wins; then
/*	all refused gives the first refusal; else the first recipient a
/*	next hop took (or, when none, the first one handled otherwise).
/*	Refusals beside accepted recipients have been turned into bounces
/*	by rcpt_settle() before this is asked; a mix that is still there
/*	gets a 4xx, so nothing is lost. The result never says 2xx unless
/*	every recipient's class (rcpt_class) is 2.
/*
/*	Both write "CODE X.Y.Z text" (no CR LF) into out, replacing its
/*	content.
/*--*/

#include <stddef.h>

struct txn;
struct buf;

void reply_recipient(const struct txn *t, size_t i, struct buf *out);
void reply_message(const struct txn *t, struct buf *out);
int reply_code(const struct buf *reply);

#endif

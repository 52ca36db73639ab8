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
/*	message as a whole failed (txn->error), else that recipient's own
/*	outcome (the next hop's answer, wrapped as amavis does: "from
/*	MTA(smtp:[h]:p): 250 2.0.0 Ok"). LMTP sends one per recipient.
/*
/*	reply_message() gives the one SMTP reply for the whole message
/*	(amavis one_response_for_all): any temporary failure wins; then
/*	all accepted gives the first success; all refused the first
/*	refusal. A mix of accepted and refused recipients cannot be told
/*	to an SMTP client: the NOTIFY stage (dsn.c) then tells the sender
/*	itself, and the recipients it told about count as handled; if it
/*	could not, the message gets a temporary failure, so nothing is lost
/*	(the accepted recipients may get the message again on retry; LMTP
/*	avoids this). The result never says 2xx unless every recipient
/*	was accepted by a next hop, deliberately not delivered, or covered
/*	by a DSN that a next hop accepted.
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

/*++
/* NAME
/*	reply 3
/* SUMMARY
/*	the one mapping from a message's outcome to SMTP and LMTP replies
/*--*/

#include <stdlib.h>

#include "reply.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "util/buf.h"

/* reply_error - the temporary (or size) failure of the whole message */
static void
reply_error(const struct txn *t, struct buf *out)
{
	const char *why = t->error_text ? t->error_text : "unknown error";

	buf_reset(out);
	switch (t->error) {
	case TXN_ERR_SIZE:
		buf_printf(out, "552 5.3.4 Error: message file too big, id=%s",
			   t->id);
		break;
	case TXN_ERR_FORWARD:
		buf_printf(out, "451 4.4.1 id=%s - next hop unavailable: %s",
			   t->id, why);
		break;
	case TXN_ERR_TIMEOUT:
		buf_printf(out, "451 4.4.2 id=%s - timeout: %s", t->id, why);
		break;
	default:
		buf_printf(out, "451 4.3.0 id=%s - Error in processing: %s",
			   t->id, why);
		break;
	}
}

/* reply_recipient - the reply for one recipient */
void
reply_recipient(const struct txn *t, size_t i, struct buf *out)
{
	const struct txn_rcpt *rc = t->rcpts + i;
	const struct txn_reply *r = &rc->reply;

	if (t->error) {
		reply_error(t, out);
		return;
	}
	buf_reset(out);
	switch (rc->state) {
	case RCPT_BOUNCED:
	case RCPT_NOBOUNCE:
		buf_printf(out, "250 2.5.0 Ok, id=%s, DSN %s: %d %s %s", t->id,
			   rc->state == RCPT_BOUNCED ? "sent" : "suppressed",
			   r->code, r->dsn, r->text);
		break;
	case RCPT_DELIVERED:
	case RCPT_REJECTED:
	case RCPT_DEFERRED:
		if (rc->by == RCPT_BY_HOP && rc->hop) {
			buf_printf(out,
				   "%d %s %s, id=%s, from MTA(%s): %d %s %s",
				   r->code, r->dsn,
				   r->code / 100 == 2 ? "Ok" : "Failed", t->id,
				   rc->hop, r->code, r->dsn, r->text);
			break;
		}
		/* FALLTHROUGH */
	case RCPT_DISCARDED:
		buf_printf(out, "%d %s %s", r->code, r->dsn, r->text);
		break;
	default:
		/* No final outcome: never pretend success. */
		buf_printf(out, "451 4.3.0 id=%s - no final outcome for <%s>",
			   t->id, rc->addr);
		break;
	}
}

/* reply_code - the numeric code of a formatted reply */
int
reply_code(const struct buf *reply)
{
	return atoi(reply->data);
}

/* reply_message - one reply for all recipients (SMTP) */
void
reply_message(const struct txn *t, struct buf *out)
{
	int first[6] = {-1, -1, -1, -1, -1, -1}; /* by class */
	int delivered = -1;

	if (t->error || t->n_rcpts == 0) {
		reply_error(t, out);
		return;
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		int c = rcpt_class(t, t->rcpts + i);

		/* Of the temporary failures, a real one explains best. */
		if (first[c] < 0 ||
		    (c == 4 && t->rcpts[i].state == RCPT_DEFERRED &&
		     t->rcpts[first[c]].state != RCPT_DEFERRED))
			first[c] = (int)i;
		if (delivered < 0 && t->rcpts[i].state == RCPT_DELIVERED)
			delivered = (int)i;
	}
	if (first[4] >= 0) {
		reply_recipient(t, (size_t)first[4], out);
		return;
	}
	if (first[2] >= 0 && first[5] >= 0) {
		buf_reset(out);
		buf_printf(out,
			   "451 4.3.0 id=%s - <%s> refused while others were "
			   "accepted, and no DSN was arranged",
			   t->id, t->rcpts[first[5]].addr);
		return;
	}
	if (first[5] >= 0) {
		reply_recipient(t, (size_t)first[5], out);
		return;
	}
	reply_recipient(t, (size_t)(delivered >= 0 ? delivered : first[2]),
			out);
}

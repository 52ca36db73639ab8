/*++
/* NAME
/*	reply 3
/* SUMMARY
/*	the one mapping from a message's outcome to SMTP and LMTP replies
/*--*/

#include <stdlib.h>
#include <string.h>

#include "reply.h"
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
	if (txn_rcpt_status(t, i) == 4 && r->code / 100 != 4) {
		/* No outcome, or an odd one: never pretend success. */
		buf_printf(out, "451 4.3.0 id=%s - no valid outcome for <%s>",
			   t->id, rc->addr);
	} else if (rc->dsn_sent || rc->dsn_suppressed) {
		buf_printf(out, "250 2.5.0 Ok, id=%s, DSN %s: %d %s %s", t->id,
			   rc->dsn_sent ? "sent" : "suppressed", r->code,
			   r->dsn, r->text);
	} else if (rc->destiny == TXN_D_PASS && rc->hop) {
		buf_printf(out, "%d %s %s, id=%s, from MTA(%s): %d %s %s",
			   r->code, r->dsn,
			   r->code / 100 == 2 ? "Ok" : "Failed", t->id, rc->hop,
			   r->code, r->dsn, r->text);
	} else {
		buf_printf(out, "%d %s %s", r->code, r->dsn, r->text);
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
	int first_ok = -1, first_perm = -1;

	if (t->error || t->n_rcpts == 0) {
		reply_error(t, out);
		return;
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		int status = txn_rcpt_status(t, i);

		if (status == 4) {
			reply_recipient(t, i, out);
			return;
		}
		/* Prefer a recipient a next hop took to one we bounced. */
		if (status == 2 &&
		    (first_ok < 0 || (t->rcpts[first_ok].dsn_sent ||
				      t->rcpts[first_ok].dsn_suppressed)))
			first_ok = (int)i;
		if (status == 5 && first_perm < 0)
			first_perm = (int)i;
	}
	if (first_ok >= 0 && first_perm >= 0) {
		buf_reset(out);
		buf_printf(out,
			   "451 4.5.0 id=%s - next hop refused some "
			   "recipients (<%s>): temporary failure for all, "
			   "use LMTP for per-recipient replies",
			   t->id, t->rcpts[first_perm].addr);
		return;
	}
	reply_recipient(t, (size_t)(first_ok >= 0 ? first_ok : first_perm),
			out);
}

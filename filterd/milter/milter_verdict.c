/*++
/* NAME
/*	milter_verdict 3
/* SUMMARY
/*	one milter answer for a message
/* DESCRIPTION
/*	See milter_verdict.h.
/*--*/

#include <stdio.h>
#include <string.h>

#include "milter_verdict.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "util/pool.h"
#include "util/safe.h"

/*
 * milter_tempfail_text - the one text of a tempfail: the reply goes to
 * the sending client on the Internet, so it says nothing of ours (a
 * DSN, a server, a client library's message); the log has the reason
 */
const char *
milter_tempfail_text(struct txn *t)
{
	return pool_printf(t->pool,
			   "Temporary failure in content checks, try again "
			   "later, id=%s",
			   t->id);
}

/* milter_reply_text - in made one safe smfi_setreply() text */
void
milter_reply_text(char *out, size_t size, const char *in)
{
	char safe[MILTER_TEXT_MAX];
	size_t n = 0;

	(void)safe_reply_text(safe, sizeof(safe), in, strlen(in));
	for (const char *p = safe; *p && n + 2 < size; p++) {
		if (*p == '%')
			out[n++] = '%';
		out[n++] = *p;
	}
	out[n] = 0;
}

/* milter_set - the action and its reply */
static void
milter_set(struct milter_verdict *v, enum milter_action a, const char *code,
	   const char *dsn, const char *text)
{
	v->action = a;
	snprintf(v->code, sizeof(v->code), "%s", code);
	snprintf(v->dsn, sizeof(v->dsn), "%s", dsn);
	milter_reply_text(v->text, sizeof(v->text), text);
}

/* milter_verdict - the one answer for the message */
void
milter_verdict(struct txn *t, struct milter_verdict *v)
{
	size_t pass = 0, refused = 0, deferred = 0;
	const struct txn_rcpt *first_refused = NULL, *first_deferred = NULL;
	const struct txn_rcpt *chosen = NULL;

	memset(v, 0, sizeof(*v));
	v->delrcpt = pool_alloc(t->pool, t->n_rcpts ? t->n_rcpts : 1);
	memset(v->delrcpt, 0, t->n_rcpts ? t->n_rcpts : 1);
	if (t->error == TXN_ERR_SIZE) {
		milter_set(v, MILTER_REJECT, "552", "5.3.4",
			   "Message size exceeds fixed limit");
		return;
	}
	if (t->error) {
		v->detail = t->error_text ? t->error_text : "checks failed";
		milter_set(v, MILTER_TEMPFAIL, "451", "4.3.0",
			   milter_tempfail_text(t));
		return;
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		switch (rc->state) {
		case RCPT_PENDING:
			pass++;
			if (chosen == NULL || rc->ccat > chosen->ccat) {
				chosen = rc;
				v->chosen = i;
			}
			if (rc->local)
				v->strip = 1;
			break;
		case RCPT_DISCARDED:
			v->delrcpt[i] = 1;
			break;
		case RCPT_REJECTED:
		case RCPT_BOUNCING:
			v->delrcpt[i] = 1;
			refused++;
			if (first_refused == NULL)
				first_refused = rc;
			break;
		default:
			deferred++;
			if (first_deferred == NULL)
				first_deferred = rc;
			break;
		}
	}
	if (deferred) {
		v->detail = first_deferred->reply.text
				    ? first_deferred->reply.text
				    : "a recipient's outcome was deferred";
		milter_set(v, MILTER_TEMPFAIL, "451", "4.3.0",
			   milter_tempfail_text(t));
		return;
	}
	if (pass == 0 && refused) {
		milter_set(v, MILTER_REJECT, "554", "5.7.0",
			   first_refused->reply.text ? first_refused->reply.text
						     : "Rejected");
		return;
	}
	if (pass == 0) {
		int hold = txn_quarantined(t) && t->bank.v.milter_hold;

		milter_set(v, hold ? MILTER_HOLD : MILTER_DISCARD, "250",
			   "2.7.0",
			   pool_printf(t->pool, "Ok, %s, id=%s",
				       hold ? "held" : "discarded", t->id));
		return;
	}
	if (t->defang != TXN_DEFANG_NONE) {
		milter_set(v, MILTER_REJECT, "554", "5.7.0",
			   pool_printf(t->pool,
				       "Reject, id=%s - message structure "
				       "cannot be checked",
				       t->id));
		return;
	}
	milter_set(v, MILTER_ACCEPT, "250", "2.0.0", "Ok");
	v->added[0] = t->add_headers;
	v->added[1] = chosen->headers;
	v->subject_tag = chosen->subject_tag;
}

/* milter_action_name - for the log */
const char *
milter_action_name(enum milter_action a)
{
	static const char *const names[] = {"accept", "reject", "discard",
					    "hold", "tempfail"};

	return names[a];
}

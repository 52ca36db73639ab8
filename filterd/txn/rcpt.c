/*++
/* NAME
/*	rcpt 3
/* SUMMARY
/*	what happened to each recipient: the one state machine
/* DESCRIPTION
/*	See rcpt.h. Each transition states the states it may start from;
/*	anything else is a bug and panics, so that no module can quietly
/*	overwrite an outcome another has recorded.
/*--*/

#include <string.h>

#include "rcpt.h"
#include "txn.h"
#include "util/msg.h"

/* rcpt_reply - record the reply that describes an outcome */
static void
rcpt_reply(struct txn *t, struct txn_rcpt *rc, int code, const char *dsn,
	   const char *text)
{
	rc->reply.code = code;
	rc->reply.dsn = pool_strdup(t->pool, dsn);
	rc->reply.text = pool_strdup(t->pool, text);
}

/* rcpt_move - one transition, checked against the states it may leave */
static void
rcpt_move(struct txn_rcpt *rc, unsigned from, enum rcpt_state to,
	  enum rcpt_by by)
{
	if (!(from & (1u << rc->state)))
		msg_panic("recipient <%s>: no transition from %s to %s",
			  rc->addr, rcpt_state_name(rc->state),
			  rcpt_state_name(to));
	rc->state = to;
	rc->by = by;
}

#define FROM(s) (1u << (s))

/* rcpt_policy - the policy's destiny for a recipient */
void
rcpt_policy(struct txn *t, struct txn_rcpt *rc, enum rcpt_state to,
	    const char *what)
{
	switch (to) {
	case RCPT_PENDING:
		rcpt_move(rc, FROM(RCPT_PENDING), to, RCPT_BY_NONE);
		return;
	case RCPT_DISCARDED:
		rcpt_reply(t, rc, 250, "2.7.0",
			   pool_printf(t->pool, "Ok, discarded, id=%s - %s",
				       t->id, what));
		break;
	case RCPT_REJECTED:
		rcpt_reply(t, rc, 554, "5.7.0",
			   pool_printf(t->pool, "Reject, id=%s - %s", t->id,
				       what));
		break;
	case RCPT_BOUNCING:
		rcpt_reply(t, rc, 554, "5.7.0",
			   pool_printf(t->pool, "Bounce, id=%s - %s", t->id,
				       what));
		break;
	default:
		msg_panic("rcpt_policy: %s is no destiny", rcpt_state_name(to));
	}
	rcpt_move(rc, FROM(RCPT_PENDING), to, RCPT_BY_POLICY);
}

/* rcpt_hop_reply - a next hop's answer for a recipient it was offered */
void
rcpt_hop_reply(struct txn *t, struct txn_rcpt *rc, const char *hop, int code,
	       const char *dsn, const char *text)
{
	enum rcpt_state to = code / 100 == 2   ? RCPT_DELIVERED
			     : code / 100 == 5 ? RCPT_REJECTED
					       : RCPT_DEFERRED;

	rcpt_move(rc, FROM(RCPT_PENDING), to, RCPT_BY_HOP);
	rc->hop = pool_strdup(t->pool, hop);
	if (code / 100 == 2 || code / 100 == 4 || code / 100 == 5) {
		rcpt_reply(t, rc, code, dsn, text);
		return;
	}
	/* A reply of no class we know is never taken for an answer. */
	rcpt_reply(t, rc, 451, "4.5.0",
		   pool_printf(t->pool, "unexpected reply %d %s %s", code, dsn,
			       text));
}

/* rcpt_hop_forget - a next hop's answer no longer counts */
void
rcpt_hop_forget(struct txn_rcpt *rc)
{
	if (rc->state == RCPT_PENDING)
		return;
	if (rc->by != RCPT_BY_HOP)
		msg_panic("recipient <%s>: a %s outcome is not a next hop's",
			  rc->addr, rcpt_state_name(rc->state));
	rcpt_move(rc,
		  FROM(RCPT_DELIVERED) | FROM(RCPT_REJECTED) |
			  FROM(RCPT_DEFERRED),
		  RCPT_PENDING, RCPT_BY_NONE);
	memset(&rc->reply, 0, sizeof(rc->reply));
	rc->hop = NULL;
}

/* rcpt_hop_unavailable - no next hop took the recipient */
void
rcpt_hop_unavailable(struct txn *t, struct txn_rcpt *rc, const char *why)
{
	rcpt_move(rc, FROM(RCPT_PENDING), RCPT_DEFERRED, RCPT_BY_HOP);
	rcpt_reply(t, rc, 451, "4.4.1",
		   pool_printf(t->pool, "id=%s - next hop unavailable: %s",
			       t->id, why));
}

/* rcpt_unsettled - recipients whose message will be retried (4xx) */
static int
rcpt_unsettled(const struct txn *t)
{
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (t->rcpts[i].state == RCPT_PENDING ||
		    t->rcpts[i].state == RCPT_DEFERRED)
			return 1;
	return 0;
}

/* rcpt_settle - refusals one SMTP reply cannot carry become bounces */
void
rcpt_settle(struct txn *t)
{
	size_t rejected = 0;

	if (!t->one_reply || t->error || rcpt_unsettled(t))
		return;
	for (size_t i = 0; i < t->n_rcpts; i++)
		rejected += t->rcpts[i].state == RCPT_REJECTED;
	/* None refused, or all: the one reply says it as it is. */
	if (rejected == 0 || rejected == t->n_rcpts)
		return;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;

		if (rc->state == RCPT_REJECTED)
			rcpt_move(rc, FROM(RCPT_REJECTED), RCPT_BOUNCING,
				  rc->by);
	}
}

/* rcpt_bounced - the sender has our DSN */
void
rcpt_bounced(struct txn_rcpt *rc)
{
	rcpt_move(rc, FROM(RCPT_BOUNCING), RCPT_BOUNCED, rc->by);
}

/* rcpt_nobounce - nobody is to be told */
void
rcpt_nobounce(struct txn_rcpt *rc)
{
	rcpt_move(rc, FROM(RCPT_BOUNCING), RCPT_NOBOUNCE, rc->by);
}

/* rcpt_bounce_failed - the DSN could not be sent: retry the message */
void
rcpt_bounce_failed(struct txn *t, struct txn_rcpt *rc, const char *why)
{
	rcpt_move(rc, FROM(RCPT_BOUNCING), RCPT_DEFERRED, RCPT_BY_DSN);
	rcpt_reply(t, rc, 451, "4.3.0",
		   pool_printf(t->pool, "id=%s - cannot send the DSN now: %s",
			       t->id, why));
}

/* rcpt_class - 2, 4 or 5: see rcpt.h */
int
rcpt_class(const struct txn *t, const struct txn_rcpt *rc)
{
	if (t->error)
		return t->error == TXN_ERR_SIZE ? 5 : 4;
	switch (rc->state) {
	case RCPT_DELIVERED:
	case RCPT_DISCARDED:
	case RCPT_BOUNCED:
	case RCPT_NOBOUNCE:
		return 2;
	case RCPT_REJECTED:
		return 5;
	default:
		return 4;
	}
}

/* rcpt_bounce_due - may DSNs be sent now? */
int
rcpt_bounce_due(const struct txn *t)
{
	return !t->error && !(t->one_reply && rcpt_unsettled(t));
}

/* rcpt_state_name - for diagnostics */
const char *
rcpt_state_name(enum rcpt_state s)
{
	static const char *const names[] = {
		"PENDING", "DISCARDED", "REJECTED",  "BOUNCING",
		"BOUNCED", "NOBOUNCE",	"DELIVERED", "DEFERRED",
	};

	return (size_t)s < sizeof(names) / sizeof(*names) ? names[s] : "?";
}

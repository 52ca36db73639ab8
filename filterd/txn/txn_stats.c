/*++
/* NAME
/*	txn_stats 3
/* SUMMARY
/*	count a message's outcome in the scoreboard
/*--*/

#include <time.h>

#include "master/scoreboard.h"
#include "txn.h"
#include "txn_stats.h"

/* txn_stats_action - the scoreboard action of one recipient */
static enum sb_action
txn_stats_action(const struct txn *t, size_t i)
{
	const struct txn_rcpt *rc = t->rcpts + i;

	switch (rcpt_class(t, rc)) {
	case 2:
		if (rc->state == RCPT_BOUNCED)
			return SB_ACT_BOUNCED;
		if (rc->state == RCPT_DISCARDED || rc->state == RCPT_NOBOUNCE)
			return SB_ACT_DISCARDED;
		return SB_ACT_PASSED;
	case 5:
		return SB_ACT_REJECTED;
	default:
		return SB_ACT_TEMPFAILED;
	}
}

/* txn_stats_account - count one finished message */
void
txn_stats_account(const struct txn *t)
{
	struct sb_counters *c;
	struct timespec now;
	int seen[SB_ACT_COUNT] = {0};

	if (t->slot == NULL)
		return;
	c = &t->slot->c;
	clock_gettime(CLOCK_MONOTONIC, &now);
	c->msgs_in++;
	c->bytes_in += (uint64_t)t->size;
	c->msgs_ccat[t->ccat]++;
	c->rcpts_ccat[t->ccat] += t->n_rcpts;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		enum sb_action a = txn_stats_action(t, i);

		c->rcpts_action[a]++;
		if (!seen[a]++)
			c->msgs_action[a]++;
	}
	if (t->n_rcpts == 0)
		c->msgs_action[SB_ACT_TEMPFAILED]++;
	/*
	 * Quarantine is kept beside the action, not instead of it: a
	 * recipient whose copy was discarded into quarantine counts as
	 * discarded and as quarantined (FILTERD-MIB). The copy is kept for
	 * the recipients the policy blocked (its X-Envelope-To-Blocked).
	 */
	if (txn_quarantined(t)) {
		c->msgs_action[SB_ACT_QUARANTINED]++;
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].by == RCPT_BY_POLICY)
				c->rcpts_action[SB_ACT_QUARANTINED]++;
	}
	sb_hist_add(c, SB_H_TOTAL, txn_ms(&t->t_start, &now));
	sb_hist_add(c, SB_H_RECEIVE, txn_ms(&t->t_start, &t->t_data));
	if (t->t_forward.tv_sec)
		sb_hist_add(c, SB_H_FORWARD, txn_ms(&t->t_scan, &t->t_forward));
}

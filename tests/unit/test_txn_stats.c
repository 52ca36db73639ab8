/*++
/* NAME
/*	test_txn_stats 1
/* SUMMARY
/*	unit tests for txn_stats_account(), the scoreboard's action counts
/* DESCRIPTION
/*	Each case builds a finished message (recipients in their final
/*	states, a quarantine written or not) and checks what it adds to a
/*	scoreboard slot's msgs_action and rcpts_action. Quarantined is
/*	counted beside the recipient's own action (FILTERD-MIB): once per
/*	message whose copy was kept, once per recipient the policy
/*	blocked; never for a quarantine that was not written.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "master/scoreboard.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "txn/txn_stats.h"

/* What one recipient ends as. */
enum outcome {
	DELIVERED,  /* a next hop took it */
	DISCARDED,  /* blocked by policy, discarded */
	REJECTED,   /* blocked by policy, rejected */
	HOP_REFUSED /* refused for good by a next hop */
};

struct stats_case {
	const char *name;
	enum outcome rcpts[3];
	size_t n_rcpts;
	char quar_type; /* ' ', 'F', 'Z' or 'Q' */
	int recorded;	/* for 'Q': the SQL transaction was committed */
	/* What the message adds. */
	unsigned want_msgs_quar, want_rcpts_quar;
	unsigned want_rcpts_discarded, want_rcpts_passed;
};

static const struct stats_case cases[] = {
	{"local quarantine, one discarded", {DISCARDED}, 1, 'F', 0, 1, 1, 1, 0},
	{"gzipped quarantine, one discarded", {DISCARDED}, 1, 'Z', 0, 1, 1, 1, 0},
	{"sql quarantine committed", {DISCARDED}, 1, 'Q', 1, 1, 1, 1, 0},
	{"sql quarantine not committed", {DISCARDED}, 1, 'Q', 0, 0, 0, 1, 0},
	{"no quarantine", {DISCARDED}, 1, ' ', 0, 0, 0, 1, 0},
	{"clean mail", {DELIVERED, DELIVERED}, 2, ' ', 0, 0, 0, 0, 2},
	{"one blocked beside one delivered",
	 {DELIVERED, DISCARDED, DELIVERED},
	 3,
	 'F',
	 0,
	 1,
	 1,
	 1,
	 2},
	{"two blocked, once per message",
	 {DISCARDED, REJECTED},
	 2,
	 'F',
	 0,
	 1,
	 2,
	 1,
	 0},
	{"a next hop's refusal is not blocked by policy",
	 {HOP_REFUSED, DISCARDED},
	 2,
	 'F',
	 0,
	 1,
	 1,
	 1,
	 0},
};

/* finished_txn - a message whose recipients ended as c says */
static struct txn *
finished_txn(const struct conf *conf, const struct stats_case *c)
{
	static const char *const addrs[] = {"a@example.net", "b@example.net",
					    "c@example.net"};
	struct txn *t = txn_create(conf, "127.0.0.1", 40000);

	t->sender = "sender@example.org";
	t->ccat = TXN_CCAT_VIRUS;
	for (size_t i = 0; i < c->n_rcpts; i++) {
		struct txn_rcpt *rc;

		txn_add_rcpt(t, addrs[i], NULL);
		rc = t->rcpts + i;
		switch (c->rcpts[i]) {
		case DELIVERED:
			rcpt_hop_reply(t, rc, "smtp:[127.0.0.1]:10025", 250,
				       "2.0.0", "Ok");
			break;
		case DISCARDED:
			rcpt_policy(t, rc, RCPT_DISCARDED, "VIRUS: Test");
			break;
		case REJECTED:
			rcpt_policy(t, rc, RCPT_REJECTED, "VIRUS: Test");
			break;
		case HOP_REFUSED:
			rcpt_hop_reply(t, rc, "smtp:[127.0.0.1]:10025", 550,
				       "5.1.1", "no such user");
			break;
		}
	}
	t->quar_type = c->quar_type;
	t->recorded = c->recorded;
	return t;
}

/* test_cases - each case's additions to a fresh slot */
static void
test_cases(void **state)
{
	char err[512];
	struct conf *conf = conf_load(NULL, err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct stats_case *c = cases + i;
		struct sb_slot slot;
		struct txn *t = finished_txn(conf, c);

		memset(&slot, 0, sizeof(slot));
		t->slot = &slot;
		txn_stats_account(t);
		t->slot = NULL;
		txn_free(&t);
		if (slot.c.msgs_action[SB_ACT_QUARANTINED] !=
			    c->want_msgs_quar ||
		    slot.c.rcpts_action[SB_ACT_QUARANTINED] !=
			    c->want_rcpts_quar ||
		    slot.c.rcpts_action[SB_ACT_DISCARDED] !=
			    c->want_rcpts_discarded ||
		    slot.c.rcpts_action[SB_ACT_PASSED] != c->want_rcpts_passed)
			fail_msg("%s: msgs quarantined %llu (want %u), rcpts "
				 "quarantined %llu (want %u), discarded %llu "
				 "(want %u), passed %llu (want %u)",
				 c->name,
				 (unsigned long long)
					 slot.c.msgs_action[SB_ACT_QUARANTINED],
				 c->want_msgs_quar,
				 (unsigned long long)slot.c
					 .rcpts_action[SB_ACT_QUARANTINED],
				 c->want_rcpts_quar,
				 (unsigned long long)
					 slot.c.rcpts_action[SB_ACT_DISCARDED],
				 c->want_rcpts_discarded,
				 (unsigned long long)
					 slot.c.rcpts_action[SB_ACT_PASSED],
				 c->want_rcpts_passed);
		/* The message counts once, whatever its recipients got. */
		assert_int_equal(slot.c.msgs_in, 1);
	}
	conf_free(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

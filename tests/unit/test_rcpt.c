/*++
/* NAME
/*	test_rcpt 1
/* SUMMARY
/*	unit tests for txn/rcpt.c: settling the outcomes of one message
/* DESCRIPTION
/*	Each row builds a message whose recipients have outcomes recorded
/*	through the transitions of rcpt.h, with one reply (SMTP) or one per
/*	recipient (LMTP), then runs rcpt_settle(): refusals beside handled
/*	recipients become bounces only when one reply serves them all and
/*	nothing is deferred; rcpt_bounce_due() says whether DSNs may go.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "txn/rcpt.h"
#include "txn/txn.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define MAX_RCPTS 3
#define HOP "smtp:[127.0.0.1]:10025"

/* How a row's recipient got its outcome. */
enum how {
	H_END = 0,
	H_PENDING,
	H_DELIVERED,
	H_HOP_REJECTED,
	H_HOP_DEFERRED,
	H_DISCARDED,
	H_POLICY_REJECTED,
	H_POLICY_BOUNCING,
};

struct settle_case {
	const char *name;
	int one_reply;
	int error;
	enum how how[MAX_RCPTS];
	enum rcpt_state want[MAX_RCPTS];
	int due;
};

static const struct settle_case settle_cases[] = {
	{"SMTP: delivered + next hop refused",
	 1,
	 0,
	 {H_DELIVERED, H_HOP_REJECTED},
	 {RCPT_DELIVERED, RCPT_BOUNCING},
	 1},
	{"SMTP: delivered + policy reject (the lover and the strict)",
	 1,
	 0,
	 {H_DELIVERED, H_POLICY_REJECTED},
	 {RCPT_DELIVERED, RCPT_BOUNCING},
	 1},
	{"SMTP: discarded + policy reject",
	 1,
	 0,
	 {H_DISCARDED, H_POLICY_REJECTED},
	 {RCPT_DISCARDED, RCPT_BOUNCING},
	 1},
	{"SMTP: policy bounce + next hop refused",
	 1,
	 0,
	 {H_POLICY_BOUNCING, H_HOP_REJECTED},
	 {RCPT_BOUNCING, RCPT_BOUNCING},
	 1},
	{"SMTP: all refused: the front MTA bounces",
	 1,
	 0,
	 {H_POLICY_REJECTED, H_HOP_REJECTED},
	 {RCPT_REJECTED, RCPT_REJECTED},
	 1},
	{"SMTP: one deferred: retried as a whole, nothing told now",
	 1,
	 0,
	 {H_DELIVERED, H_HOP_REJECTED, H_HOP_DEFERRED},
	 {RCPT_DELIVERED, RCPT_REJECTED, RCPT_DEFERRED},
	 0},
	{"SMTP: one never forwarded",
	 1,
	 0,
	 {H_PENDING, H_POLICY_REJECTED},
	 {RCPT_PENDING, RCPT_REJECTED},
	 0},
	{"SMTP: message failed",
	 1,
	 1,
	 {H_DELIVERED, H_POLICY_REJECTED},
	 {RCPT_DELIVERED, RCPT_REJECTED},
	 0},
	{"LMTP: each recipient its own reply",
	 0,
	 0,
	 {H_DELIVERED, H_HOP_REJECTED, H_HOP_DEFERRED},
	 {RCPT_DELIVERED, RCPT_REJECTED, RCPT_DEFERRED},
	 1},
	{"LMTP: a policy bounce goes out beside a deferral",
	 0,
	 0,
	 {H_POLICY_BOUNCING, H_HOP_DEFERRED},
	 {RCPT_BOUNCING, RCPT_DEFERRED},
	 1},
};

/* setup - the embedded default configuration */
static int
setup(void **state)
{
	char err[512];
	struct conf *c = conf_load(NULL, err, sizeof(err));

	*state = c;
	return c ? 0 : -1;
}

/* teardown - release it */
static int
teardown(void **state)
{
	struct conf *c = *state;

	conf_free(&c);
	return 0;
}

/* record - bring a recipient to its row's outcome through rcpt.h */
static void
record(struct txn *t, struct txn_rcpt *rc, enum how how)
{
	switch (how) {
	case H_DELIVERED:
		rcpt_hop_reply(t, rc, HOP, 250, "2.0.0", "Ok: queued as X");
		break;
	case H_HOP_REJECTED:
		rcpt_hop_reply(t, rc, HOP, 550, "5.1.1", "User unknown");
		break;
	case H_HOP_DEFERRED:
		rcpt_hop_reply(t, rc, HOP, 450, "4.2.0", "Try later");
		break;
	case H_DISCARDED:
		rcpt_policy(t, rc, RCPT_DISCARDED, "VIRUS: Eicar");
		break;
	case H_POLICY_REJECTED:
		rcpt_policy(t, rc, RCPT_REJECTED, "SPAM, score=5.500");
		break;
	case H_POLICY_BOUNCING:
		rcpt_policy(t, rc, RCPT_BOUNCING, "BANNED: x.exe");
		break;
	default:
		break;
	}
}

/* test_settle - the table */
static void
test_settle(void **state)
{
	const struct conf *conf = *state;
	int failed = 0;

	for (size_t k = 0; k < N_ELEMS(settle_cases); k++) {
		const struct settle_case *c = settle_cases + k;
		struct txn *t = txn_create(conf, "127.0.0.1", 0);

		t->one_reply = c->one_reply;
		for (size_t i = 0; i < MAX_RCPTS && c->how[i] != H_END; i++) {
			char addr[32];

			snprintf(addr, sizeof(addr), "r%zu@example.net", i);
			txn_add_rcpt(t, addr, NULL);
			record(t, t->rcpts + i, c->how[i]);
		}
		if (c->error)
			txn_set_error(t, TXN_ERR_RECORD, "test");
		rcpt_settle(t);
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].state != c->want[i]) {
				print_error(
					"%s: recipient %zu is %s, want %s\n",
					c->name, i,
					rcpt_state_name(t->rcpts[i].state),
					rcpt_state_name(c->want[i]));
				failed++;
			}
		if (rcpt_bounce_due(t) != c->due) {
			print_error("%s: bounce due %d, want %d\n", c->name,
				    rcpt_bounce_due(t), c->due);
			failed++;
		}
		txn_free(&t);
	}
	assert_int_equal(failed, 0);
}

/* test_dsn_ends - a bounce ends sent, suppressed or deferred */
static void
test_dsn_ends(void **state)
{
	const struct conf *conf = *state;
	struct txn *t = txn_create(conf, "127.0.0.1", 0);

	for (size_t i = 0; i < 3; i++) {
		txn_add_rcpt(t, "r@example.net", NULL);
		rcpt_policy(t, t->rcpts + i, RCPT_BOUNCING, "BANNED: x.exe");
		assert_int_equal(rcpt_class(t, t->rcpts + i), 4);
	}
	rcpt_bounced(t->rcpts);
	rcpt_nobounce(t->rcpts + 1);
	rcpt_bounce_failed(t, t->rcpts + 2, "connect refused");
	assert_int_equal(rcpt_class(t, t->rcpts), 2);
	assert_int_equal(rcpt_class(t, t->rcpts + 1), 2);
	assert_int_equal(rcpt_class(t, t->rcpts + 2), 4);
	assert_int_equal(t->rcpts[2].by, RCPT_BY_DSN);
	assert_int_equal(t->rcpts[2].reply.code, 451);
	assert_non_null(strstr(t->rcpts[2].reply.text, "connect refused"));
	txn_free(&t);
}

/* test_hop_forget - a hop given up on leaves no answer behind */
static void
test_hop_forget(void **state)
{
	const struct conf *conf = *state;
	struct txn *t = txn_create(conf, "127.0.0.1", 0);
	struct txn_rcpt *rc;

	txn_add_rcpt(t, "r@example.net", NULL);
	rc = t->rcpts;
	rcpt_hop_reply(t, rc, HOP, 550, "5.1.1", "User unknown");
	assert_int_equal(rc->state, RCPT_REJECTED);
	rcpt_hop_forget(rc);
	assert_int_equal(rc->state, RCPT_PENDING);
	assert_int_equal(rc->reply.code, 0);
	assert_null(rc->hop);
	/* A reply of no known class is never an answer. */
	rcpt_hop_reply(t, rc, HOP, 354, "3.0.0", "go ahead");
	assert_int_equal(rc->state, RCPT_DEFERRED);
	assert_int_equal(rc->reply.code, 451);
	assert_int_equal(rcpt_class(t, rc), 4);
	rcpt_hop_forget(rc);
	rcpt_hop_unavailable(t, rc, "connect: refused");
	assert_int_equal(rc->state, RCPT_DEFERRED);
	assert_non_null(strstr(rc->reply.text, t->id));
	txn_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_dsn_ends),
		cmocka_unit_test(test_hop_forget),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

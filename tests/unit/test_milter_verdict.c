/*++
/* NAME
/*	test_milter_verdict 1
/* SUMMARY
/*	unit tests for milter/milter_verdict.c: one answer per message
/* DESCRIPTION
/*	Each row gives each recipient of a checked message its outcome
/*	(as decide_run() would leave it) and says which milter action,
/*	reply code and removed recipients milter_verdict() must give: the
/*	rule for recipients that disagree (milter_verdict.h). Then the
/*	reply text a message can fill is checked to come out safe for
/*	smfi_setreply(): printable, one line, '%' doubled.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "milter/milter_verdict.h"
#include "txn/rcpt.h"
#include "txn/txn.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* A recipient's outcome before the verdict: P pass, D discard, R reject,
 * B bounce, T tempfail (DEFERRED). */
struct verdict_case {
	const char *name;
	const char *rcpts;	/* one letter each */
	enum txn_error error;	/* of the message as a whole */
	int quarantined;	/* a copy was kept */
	int hold;		/* bank milter_hold */
	enum txn_defang defang; /* the hop would defang it */
	enum milter_action want;
	const char *code;
	const char *delrcpt; /* one '1' per recipient removed */
};

static const struct verdict_case cases[] = {
	{"all pass", "PP", 0, 0, 0, 0, MILTER_ACCEPT, "250", "00"},
	{"one rejects, one passes: removed", "RP", 0, 1, 0, 0, MILTER_ACCEPT,
	 "250", "10"},
	{"one discards, one passes: removed", "PD", 0, 1, 0, 0, MILTER_ACCEPT,
	 "250", "01"},
	{"all reject", "RR", 0, 1, 0, 0, MILTER_REJECT, "554", "11"},
	{"bounce is reject", "B", 0, 0, 0, 0, MILTER_REJECT, "554", "1"},
	{"reject and discard, none passes", "DR", 0, 1, 0, 0, MILTER_REJECT,
	 "554", "11"},
	{"all discard", "DD", 0, 1, 0, 0, MILTER_DISCARD, "250", "11"},
	{"all discard, held", "D", 0, 1, 1, 0, MILTER_HOLD, "250", "1"},
	{"hold needs a kept copy", "D", 0, 0, 1, 0, MILTER_DISCARD, "250", "1"},
	{"a tempfail wins", "PRT", 0, 1, 0, 0, MILTER_TEMPFAIL, "451", NULL},
	{"message error", "P", TXN_ERR_SCAN, 0, 0, 0, MILTER_TEMPFAIL, "451",
	 NULL},
	{"size limit", "P", TXN_ERR_SIZE, 0, 0, 0, MILTER_REJECT, "552", NULL},
	{"defanged is not passed", "P", 0, 0, 0, TXN_DEFANG_AMBIGUOUS,
	 MILTER_REJECT, "554", NULL},
};

static const struct conf *conf;

/* setup - the embedded defaults */
static int
setup(void **state)
{
	char err[512];

	(void)state;
	conf = conf_load(NULL, err, sizeof(err));
	return conf ? 0 : -1;
}

/* teardown - release them */
static int
teardown(void **state)
{
	struct conf *c = (struct conf *)conf;

	(void)state;
	conf_free(&c);
	return 0;
}

/* make_txn - a message whose recipients have row's outcomes */
static struct txn *
make_txn(const struct verdict_case *k)
{
	struct txn *t = txn_create(conf, "192.0.2.1", 25);
	char addr[32];

	bank_select(conf, conf->banks, t->client.addr, &t->bank);
	t->bank.v.milter_hold = k->hold;
	for (size_t i = 0; k->rcpts[i]; i++) {
		struct txn_rcpt *rc;

		snprintf(addr, sizeof(addr), "r%zu@example.net", i);
		txn_add_rcpt(t, addr, NULL);
		rc = t->rcpts + i;
		switch (k->rcpts[i]) {
		case 'D':
			rcpt_policy(t, rc, RCPT_DISCARDED, "SPAM");
			break;
		case 'R':
			rcpt_policy(t, rc, RCPT_REJECTED, "VIRUS: x");
			break;
		case 'B':
			rcpt_policy(t, rc, RCPT_BOUNCING, "BANNED: y");
			break;
		case 'T':
			rcpt_hop_reply(t, rc, "milter", 451, "4.3.0",
				       "lookup failed");
			break;
		}
	}
	if (k->error)
		txn_set_error(t, k->error, "checks failed");
	if (k->quarantined)
		t->quar_type = 'F';
	t->defang = k->defang;
	return t;
}

/* test_cases - each row's verdict */
static void
test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		const struct verdict_case *k = cases + i;
		struct txn *t = make_txn(k);
		struct milter_verdict v;

		milter_verdict(t, &v);
		if (v.action != k->want || strcmp(v.code, k->code) != 0)
			fail_msg("%s: %s %s, want %s %s", k->name,
				 milter_action_name(v.action), v.code,
				 milter_action_name(k->want), k->code);
		for (size_t r = 0; k->delrcpt && k->delrcpt[r]; r++)
			if (v.delrcpt[r] != (k->delrcpt[r] == '1'))
				fail_msg("%s: recipient %zu %sremoved", k->name,
					 r, v.delrcpt[r] ? "" : "not ");
		txn_free(&t);
	}
}

/* test_reply_text - what a message can put in a reply comes out safe */
static void
test_reply_text(void **state)
{
	char out[MILTER_TEXT_MAX];

	(void)state;
	milter_reply_text(out, sizeof(out), "BANNED: 100%s.exe\r\n250 ok");
	assert_string_equal(out, "BANNED: 100%%s.exe\\r\\n250 ok");
	milter_reply_text(out, sizeof(out), "\xc3\xa9vil\x01");
	assert_string_equal(out, "\\xc3\\xa9vil\\x01");
}

/* test_rejected_text_escaped - a banned name's '%' reaches no format */
static void
test_rejected_text_escaped(void **state)
{
	static const struct verdict_case k = {"x", "P", 0, 0, 0, 0, 0, 0, 0};
	struct txn *t = make_txn(&k);
	struct milter_verdict v;

	(void)state;
	rcpt_policy(t, t->rcpts, RCPT_REJECTED, "BANNED: %n%s\nX");
	milter_verdict(t, &v);
	assert_int_equal(v.action, MILTER_REJECT);
	assert_non_null(strstr(v.text, "BANNED: %%n%%s\\nX"));
	assert_null(strchr(v.text, '\n'));
	txn_free(&t);
}

/*
 * test_tempfail_text_generic - a tempfail says nothing of ours to the
 * remote sender (a DSN, a disk, a library's message); the reason stays
 * in v.detail for the log. Before: "Error: <reason>, id=..."
 */
static void
test_tempfail_text_generic(void **state)
{
	static const struct verdict_case k = {"x", "PT", 0, 0, 0, 0, 0, 0, 0};
	struct txn *t = make_txn(&k);
	struct milter_verdict v;
	const char *want = "Temporary failure in content checks, try again "
			   "later, id=";

	(void)state;
	milter_verdict(t, &v);
	assert_int_equal(v.action, MILTER_TEMPFAIL);
	assert_string_equal(v.code, "451");
	assert_int_equal(strncmp(v.text, want, strlen(want)), 0);
	assert_string_equal(v.text + strlen(want), t->id);
	assert_string_equal(v.detail, "lookup failed");
	txn_free(&t);
	t = make_txn(&k);
	txn_set_error(t, TXN_ERR_SPOOL,
		      "cannot quarantine in SQL: mysql://u:***@10.0.0.1/db: "
		      "No space left on device");
	milter_verdict(t, &v);
	assert_int_equal(v.action, MILTER_TEMPFAIL);
	assert_int_equal(strncmp(v.text, want, strlen(want)), 0);
	assert_null(strstr(v.text, "mysql"));
	assert_null(strstr(v.text, "space"));
	assert_non_null(strstr(v.detail, "mysql"));
	txn_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_reply_text),
		cmocka_unit_test(test_rejected_text_escaped),
		cmocka_unit_test(test_tempfail_text_generic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

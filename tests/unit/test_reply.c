/*++
/* NAME
/*	test_reply 1
/* SUMMARY
/*	unit tests for smtp/reply.c: a failure never becomes a 250
/* DESCRIPTION
/*	Transactions are built by hand (txn_create() with the embedded
/*	default configuration): recipients, their outcomes recorded
/*	through txn/rcpt.h, the next hop and the message's error. A table
/*	holds the named cases; test_exhaustive then runs every combination
/*	of up to three recipients, each of ten outcomes, with every txn
/*	error and with and without a next hop, against an independent
/*	model of the rules in reply.h and rcpt.h.
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
#include "smtp/reply.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define HOP "smtp:[127.0.0.1]:10025"
#define MAX_RCPTS 3

/* A recipient's recorded outcome (txn/rcpt.h), and how it got there. */
enum outcome {
	O_NONE,	   /* PENDING: nothing recorded */
	O_250,	   /* DELIVERED by the next hop */
	O_451,	   /* DEFERRED by the next hop */
	O_554,	   /* REJECTED by the next hop */
	O_554_DSN, /* refused; filterd sent the sender a DSN (BOUNCED) */
	O_554_SUP, /* refused; nobody to tell (NOBOUNCE) */
	O_DISCARD, /* DISCARDED by policy */
	O_REJECT,  /* REJECTED by policy */
	O_BOUNCE,  /* BOUNCING: a DSN not sent yet */
	O_UNAVAIL, /* DEFERRED: no next hop took it */
	O_COUNT,
};

static const struct {
	int code;
	const char *dsn;
	const char *text;
} outcome_reply[O_COUNT] = {
	{0, NULL, NULL},
	{250, "2.0.0", "Ok: queued as 4XyZ"},
	{451, "4.3.0", "Error: queue file write error"},
	{554, "5.7.1", "Recipient address rejected"},
	{550, "5.1.1", "User unknown"},
	{553, "5.1.3", "Bad address syntax"},
	{250, "2.7.0", NULL},
	{554, "5.7.0", NULL},
	{451, "4.3.0", NULL},
	{451, "4.4.1", NULL},
};

/* outcome_class - the reply class an outcome stands for */
static int
outcome_class(enum outcome o)
{
	switch (o) {
	case O_250:
	case O_554_DSN:
	case O_554_SUP:
	case O_DISCARD:
		return 2;
	case O_554:
	case O_REJECT:
		return 5;
	default:
		return 4;
	}
}

static const enum txn_error all_errors[] = {
	TXN_OK,	      TXN_ERR_SIZE,   TXN_ERR_SPOOL,   TXN_ERR_PARSE,
	TXN_ERR_SCAN, TXN_ERR_RECORD, TXN_ERR_FORWARD, TXN_ERR_TIMEOUT,
};

struct fixture {
	struct conf *conf;
	struct buf out;
};

/* setup - the embedded default configuration */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	if (f == NULL || (f->conf = conf_load(NULL, err, sizeof(err))) == NULL)
		return -1;
	buf_init(&f->out, 256);
	*state = f;
	return 0;
}

/* teardown - release it */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	buf_release(&f->out);
	conf_free(&f->conf);
	free(f);
	return 0;
}

/* set_outcome - bring recipient rc to outcome o through rcpt.h */
static void
set_outcome(struct txn *t, struct txn_rcpt *rc, enum outcome o, const char *hop)
{
	const char *h = hop ? hop : "smtp:[192.0.2.1]:25";

	switch (o) {
	case O_NONE:
		break;
	case O_250:
	case O_451:
	case O_554:
		rcpt_hop_reply(t, rc, h, outcome_reply[o].code,
			       outcome_reply[o].dsn, outcome_reply[o].text);
		break;
	case O_554_DSN:
	case O_554_SUP:
		rcpt_policy(t, rc, RCPT_BOUNCING, "SPAM, score=7.000");
		if (o == O_554_DSN)
			rcpt_bounced(rc);
		else
			rcpt_nobounce(rc);
		break;
	case O_DISCARD:
		rcpt_policy(t, rc, RCPT_DISCARDED, "VIRUS: Eicar");
		break;
	case O_REJECT:
		rcpt_policy(t, rc, RCPT_REJECTED, "BANNED: x.exe");
		break;
	case O_BOUNCE:
		rcpt_policy(t, rc, RCPT_BOUNCING, "BANNED: x.exe");
		break;
	case O_UNAVAIL:
		rcpt_hop_unavailable(t, rc, "connect: refused");
		break;
	default:
		fail();
	}
}

/* make_txn - a message with n recipients, their outcomes, error, hop */
static struct txn *
make_txn(const struct conf *conf, enum txn_error err, size_t n,
	 const enum outcome *o, const char *hop)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 40000);
	char addr[48];

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "rcpt%zu@example.com", i);
		txn_add_rcpt(t, addr, NULL);
		set_outcome(t, t->rcpts + i, o[i], hop);
	}
	t->hop = hop;
	if (err != TXN_OK)
		txn_set_error(t, err, "test error %d", (int)err);
	return t;
}

/*
 * well_formed - "DDD X.Y.Z text": a 2xx..5xx code, an enhanced status
 * of the same class, no CR or LF. Returns the code, or -1.
 */
static int
well_formed(const struct buf *b)
{
	const char *s = b->data;
	int code;

	if (b->len < 10 || strcspn(s, "\r\n") != b->len)
		return -1;
	if (s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' || s[3] != ' ')
		return -1;
	if (s[4] != s[0] || s[5] != '.')
		return -1;
	code = reply_code(b);
	if (code != atoi(s))
		return -1;
	return code;
}

/* Named cases. */
struct reply_case {
	const char *name;
	enum txn_error err;
	size_t n;
	enum outcome o[MAX_RCPTS];
	const char *hop;
	const char *msg_prefix;		    /* of reply_message() */
	const char *msg_contains;	    /* or NULL */
	const char *rcpt_prefix[MAX_RCPTS]; /* of reply_recipient() */
};

static const struct reply_case reply_cases[] = {
	{"all accepted",
	 TXN_OK,
	 2,
	 {O_250, O_250},
	 HOP,
	 "250 2.0.0 ",
	 "from MTA(" HOP "): 250 2.0.0 Ok: queued as 4XyZ",
	 {"250 2.0.0 ", "250 2.0.0 "}},
	{"one accepted",
	 TXN_OK,
	 1,
	 {O_250},
	 HOP,
	 "250 2.0.0 ",
	 "from MTA(",
	 {"250 2.0.0 "}},
	{"all accepted, no hop",
	 TXN_OK,
	 1,
	 {O_250},
	 NULL,
	 "250 2.0.0 ",
	 NULL,
	 {"250 2.0.0 "}},
	{"all refused",
	 TXN_OK,
	 2,
	 {O_554, O_554},
	 HOP,
	 "554 5.7.1 ",
	 NULL,
	 {"554 5.7.1 ", "554 5.7.1 "}},
	{"one tempfail",
	 TXN_OK,
	 3,
	 {O_250, O_451, O_554},
	 HOP,
	 "451 4.",
	 NULL,
	 {"250 2.0.0 ", "451 4.3.0 ", "554 5.7.1 "}},
	{"no reply recorded",
	 TXN_OK,
	 1,
	 {O_NONE},
	 HOP,
	 "451 4.",
	 NULL,
	 {"451 4."}},
	{"no reply recorded for one",
	 TXN_OK,
	 2,
	 {O_250, O_NONE},
	 HOP,
	 "451 4.",
	 NULL,
	 {"250 2.0.0 ", "451 4."}},
	{"mixed 2xx/5xx not settled (SMTP: 451; LMTP: each)",
	 TXN_OK,
	 2,
	 {O_250, O_554},
	 HOP,
	 "451 4.3.0 ",
	 "rcpt1@example.com",
	 {"250 2.0.0 ", "554 5.7.1 "}},
	{"policy discard + delivered",
	 TXN_OK,
	 2,
	 {O_DISCARD, O_250},
	 HOP,
	 "250 2.0.0 ",
	 "from MTA(" HOP "): 250",
	 {"250 2.7.0 Ok, discarded, id=", "250 2.0.0 "}},
	{"policy reject, alone",
	 TXN_OK,
	 1,
	 {O_REJECT},
	 NULL,
	 "554 5.7.0 Reject, id=",
	 "BANNED: x.exe",
	 {"554 5.7.0 Reject, id="}},
	{"bounce not sent yet",
	 TXN_OK,
	 2,
	 {O_BOUNCE, O_250},
	 HOP,
	 "451 4.3.0 ",
	 "no final outcome",
	 {"451 4.3.0 ", "250 2.0.0 "}},
	{"no next hop took it",
	 TXN_OK,
	 1,
	 {O_UNAVAIL},
	 NULL,
	 "451 4.4.1 id=",
	 "next hop unavailable: connect: refused",
	 {"451 4.4.1 id="}},
	{"a real tempfail explains better than a pending bounce",
	 TXN_OK,
	 2,
	 {O_BOUNCE, O_UNAVAIL},
	 NULL,
	 "451 4.4.1 ",
	 NULL,
	 {"451 4.3.0 ", "451 4.4.1 "}},
	{"no recipients", TXN_OK, 0, {O_NONE}, HOP, "451 4.", NULL, {NULL}},
	{"size",
	 TXN_ERR_SIZE,
	 1,
	 {O_250},
	 HOP,
	 "552 5.3.4 ",
	 NULL,
	 {"552 5.3.4 "}},
	{"spool",
	 TXN_ERR_SPOOL,
	 1,
	 {O_250},
	 HOP,
	 "451 4.3.0 ",
	 "test error",
	 {"451 4.3.0 "}},
	{"parse",
	 TXN_ERR_PARSE,
	 1,
	 {O_250},
	 HOP,
	 "451 4.3.0 ",
	 NULL,
	 {"451 4.3.0 "}},
	{"scan",
	 TXN_ERR_SCAN,
	 2,
	 {O_250, O_250},
	 HOP,
	 "451 4.3.0 ",
	 NULL,
	 {"451 4.3.0 ", "451 4.3.0 "}},
	{"record",
	 TXN_ERR_RECORD,
	 1,
	 {O_250},
	 HOP,
	 "451 4.3.0 ",
	 NULL,
	 {"451 4.3.0 "}},
	{"forward",
	 TXN_ERR_FORWARD,
	 1,
	 {O_NONE},
	 NULL,
	 "451 4.4.",
	 NULL,
	 {"451 4.4."}},
	{"timeout",
	 TXN_ERR_TIMEOUT,
	 1,
	 {O_250},
	 HOP,
	 "451 4.4.2 ",
	 NULL,
	 {"451 4.4.2 "}},
	{"size, no recipients",
	 TXN_ERR_SIZE,
	 0,
	 {O_NONE},
	 NULL,
	 "552 5.3.4 ",
	 NULL,
	 {NULL}},
	/* NOTIFY stage: refusals told to the sender count as handled. */
	{"accepted + refused with DSN",
	 TXN_OK,
	 2,
	 {O_554_DSN, O_250},
	 HOP,
	 "250 2.0.0 ",
	 "from MTA(" HOP "): 250",
	 {"250 2.5.0 ", "250 2.0.0 "}},
	{"accepted + refused, DSN suppressed",
	 TXN_OK,
	 2,
	 {O_250, O_554_SUP},
	 HOP,
	 "250 2.0.0 ",
	 "from MTA(",
	 {"250 2.0.0 ", "250 2.5.0 "}},
	{"refused with DSN + refused without",
	 TXN_OK,
	 2,
	 {O_554_DSN, O_554},
	 HOP,
	 "451 4.3.0 ",
	 NULL,
	 {"250 2.5.0 ", "554 5.7.1 "}},
	{"DSN does not cover a tempfail",
	 TXN_OK,
	 2,
	 {O_554_DSN, O_451},
	 HOP,
	 "451 4.",
	 NULL,
	 {"250 2.5.0 ", "451 4.3.0 "}},
	{"DSN does not cover a txn error",
	 TXN_ERR_SCAN,
	 2,
	 {O_554_DSN, O_250},
	 HOP,
	 "451 4.3.0 ",
	 NULL,
	 {"451 4.3.0 ", "451 4.3.0 "}},
};

/* check_case - one named case; 0 or -1 (reported) */
static int
check_case(struct fixture *f, const struct reply_case *c)
{
	struct txn *t = make_txn(f->conf, c->err, c->n, c->o, c->hop);
	int rc = 0;

	reply_message(t, &f->out);
	if (well_formed(&f->out) < 0 ||
	    strncmp(f->out.data, c->msg_prefix, strlen(c->msg_prefix)) != 0 ||
	    (c->msg_contains && !strstr(f->out.data, c->msg_contains))) {
		print_error("%s: message reply \"%s\", want \"%s...\"%s%s\n",
			    c->name, f->out.data, c->msg_prefix,
			    c->msg_contains ? " with " : "",
			    c->msg_contains ? c->msg_contains : "");
		rc = -1;
	}
	for (size_t i = 0; i < c->n; i++) {
		reply_recipient(t, i, &f->out);
		if (well_formed(&f->out) < 0 ||
		    strncmp(f->out.data, c->rcpt_prefix[i],
			    strlen(c->rcpt_prefix[i])) != 0) {
			print_error("%s: recipient %zu reply \"%s\", want "
				    "\"%s...\"\n",
				    c->name, i, f->out.data, c->rcpt_prefix[i]);
			rc = -1;
		}
	}
	txn_free(&t);
	assert_null(t);
	return rc;
}

/* test_table - the named cases */
static void
test_table(void **state)
{
	struct fixture *f = *state;
	int failed = 0;

	for (size_t i = 0; i < N_ELEMS(reply_cases); i++)
		failed += check_case(f, reply_cases + i) < 0;
	assert_int_equal(failed, 0);
}

/* model_rcpt - the code reply.h promises for one recipient */
static int
model_rcpt(enum txn_error err, enum outcome o)
{
	if (err == TXN_ERR_SIZE)
		return 552;
	if (err != TXN_OK)
		return 451;
	if (o == O_554_DSN || o == O_554_SUP)
		return 250;
	return o == O_NONE ? 451 : outcome_reply[o].code;
}

/* model_message - the code reply.h promises for the whole message */
static int
model_message(enum txn_error err, size_t n, const enum outcome *o)
{
	int ok = 0, perm = 0, temp = 0;

	if (err != TXN_OK || n == 0)
		return model_rcpt(err, O_NONE);
	for (size_t i = 0; i < n; i++) {
		ok += outcome_class(o[i]) == 2;
		perm += outcome_class(o[i]) == 5;
		temp += outcome_class(o[i]) == 4;
	}
	if (temp)
		return 451;
	if (ok && perm)
		return 451;
	if (perm)
		for (size_t i = 0; i < n; i++)
			if (outcome_class(o[i]) == 5)
				return outcome_reply[o[i]].code;
	return 250;
}

/* check_combination - one combination against the model; 0 or -1 */
static int
check_combination(struct fixture *f, enum txn_error err, size_t n,
		  const enum outcome *o, const char *hop)
{
	struct txn *t = make_txn(f->conf, err, n, o, hop);
	int want = model_message(err, n, o), got, rc = 0;
	char what[128];

	snprintf(what, sizeof(what), "error %d, hop %s, outcomes", (int)err,
		 hop ? "yes" : "no");
	for (size_t i = 0; i < n; i++)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " %d", o[i] == O_NONE ? 0 : outcome_reply[o[i]].code);

	reply_message(t, &f->out);
	got = well_formed(&f->out);
	if (got != want) {
		print_error("%s: message \"%s\", want %d\n", what, f->out.data,
			    want);
		rc = -1;
	}
	/* The one promise above all: 2xx only when every one took it. */
	if (got / 100 == 2) {
		int all_taken = err == TXN_OK && n > 0, relayed = 0;

		for (size_t i = 0; i < n; i++) {
			all_taken &= outcome_class(o[i]) == 2;
			relayed += o[i] == O_250;
		}
		/* The next hop's acceptance is the reply when there is one. */
		if (!all_taken ||
		    (hop && relayed &&
		     !strstr(f->out.data, "from MTA(" HOP "): 250"))) {
			print_error("%s: 2xx \"%s\"\n", what, f->out.data);
			rc = -1;
		}
	}
	if (err == TXN_ERR_SIZE &&
	    strncmp(f->out.data, "552 5.3.4 ", 10) != 0) {
		print_error("%s: size: \"%s\"\n", what, f->out.data);
		rc = -1;
	}

	for (size_t i = 0; i < n; i++) {
		int want_r = model_rcpt(err, o[i]);

		reply_recipient(t, i, &f->out);
		got = well_formed(&f->out);
		if (got != want_r) {
			print_error("%s: recipient %zu \"%s\", want %d\n", what,
				    i, f->out.data, want_r);
			rc = -1;
		}
		/* One truth: the status class agrees with the reply. */
		if (rcpt_class(t, t->rcpts + i) != want_r / 100) {
			print_error("%s: rcpt_class(%zu) = %d, want %d\n", what,
				    i, rcpt_class(t, t->rcpts + i),
				    want_r / 100);
			rc = -1;
		}
	}
	txn_free(&t);
	return rc;
}

/* test_exhaustive - every small combination against the model */
static void
test_exhaustive(void **state)
{
	struct fixture *f = *state;
	static const char *const hops[] = {HOP, NULL};
	enum outcome o[MAX_RCPTS];
	int failed = 0, runs = 0;

	for (size_t e = 0; e < N_ELEMS(all_errors); e++)
		for (size_t h = 0; h < N_ELEMS(hops); h++)
			for (size_t n = 0; n <= MAX_RCPTS; n++) {
				size_t combos = 1;

				for (size_t k = 0; k < n; k++)
					combos *= O_COUNT;
				for (size_t m = 0; m < combos; m++) {
					size_t v = m;

					for (size_t k = 0; k < n; k++) {
						o[k] = (enum outcome)(v %
								      O_COUNT);
						v /= O_COUNT;
					}
					failed += check_combination(
							  f, all_errors[e], n,
							  o, hops[h]) < 0;
					runs++;
				}
			}
	/* 8 errors x 2 hops x (1 + 10 + 100 + 1000) combinations. */
	assert_int_equal(runs, 8 * 2 * 1111);
	assert_int_equal(failed, 0);
}

/* Recorded replies that are not a final 2xx, 4xx or 5xx answer. */
struct odd_case {
	const char *name;
	int code;
	const char *dsn;
};

static const struct odd_case odd_cases[] = {
	{"354 to RCPT", 354, "3.0.0"}, {"399", 399, "3.0.0"},
	{"199", 199, "1.0.0"},	       {"600", 600, "6.0.0"},
	{"negative", -1, "0.0.0"},
};

/* test_odd_codes - never 2xx, never a non-4xx/5xx reply */
static void
test_odd_codes(void **state)
{
	struct fixture *f = *state;
	int failed = 0;

	for (size_t i = 0; i < N_ELEMS(odd_cases); i++) {
		const struct odd_case *c = odd_cases + i;

		/* Alone, and next to an accepted recipient. */
		for (size_t n = 1; n <= 2; n++) {
			enum outcome o[2] = {O_250, O_250};
			struct txn *t = make_txn(f->conf, TXN_OK, n, o, HOP);
			size_t odd = n - 1;
			int code;

			rcpt_hop_forget(t->rcpts + odd);
			rcpt_hop_reply(t, t->rcpts + odd, HOP, c->code, c->dsn,
				       "strange");
			reply_message(t, &f->out);
			code = well_formed(&f->out);
			if (code / 100 != 4) {
				print_error("%s (%zu rcpts): message \"%s\", "
					    "want 4xx\n",
					    c->name, n, f->out.data);
				failed++;
			}
			reply_recipient(t, odd, &f->out);
			code = well_formed(&f->out);
			if (code / 100 != 4) {
				print_error("%s: recipient \"%s\", want 4xx\n",
					    c->name, f->out.data);
				failed++;
			}
			if (rcpt_class(t, t->rcpts + odd) != 4) {
				print_error("%s: rcpt_class %d, want 4\n",
					    c->name,
					    rcpt_class(t, t->rcpts + odd));
				failed++;
			}
			txn_free(&t);
		}
	}
	assert_int_equal(failed, 0);
}

/* test_reply_code - the numeric code of a formatted reply */
static void
test_reply_code(void **state)
{
	struct fixture *f = *state;

	buf_reset(&f->out);
	buf_puts(&f->out, "451 4.3.0 x");
	assert_int_equal(reply_code(&f->out), 451);
	buf_reset(&f->out);
	buf_puts(&f->out, "250 2.0.0 Ok");
	assert_int_equal(reply_code(&f->out), 250);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_odd_codes),
		cmocka_unit_test(test_reply_code),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*++
/* NAME
/*	test_txn_log 1
/* SUMMARY
/*	unit tests for txn/txn_log.c: content never pushes the line's own
/*	fields out
/* DESCRIPTION
/*	Each row fills one field of the summary line that a message or a
/*	peer can fill (or all of them) with 20,000 bytes, some of which the
/*	log writer escapes to four, and says what must show where the field
/*	was cut. Every line must stay within TXN_LOG_LINE_MAX and keep the
/*	envelope, mail_id, size and timings; a plain message is not cut.
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
#include "txn/txn_log.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define LONG 20000

static struct conf *conf;

/* long_text - LONG bytes of c in t's pool, a control byte every 10 */
static const char *
long_text(struct txn *t, char c)
{
	char *s = pool_alloc(t->pool, LONG + 1);

	for (size_t i = 0; i < LONG; i++)
		s[i] = i % 10 == 9 ? '\x01' : c;
	s[LONG] = 0;
	return s;
}

static void
fill_banned(struct txn *t)
{
	t->ccat = TXN_CCAT_BANNED;
	t->banned = long_text(t, 'b');
}

static void
fill_virus(struct txn *t)
{
	t->ccat = TXN_CCAT_VIRUS;
	t->virus = long_text(t, 'v');
}

static void
fill_unchecked(struct txn *t)
{
	t->ccat = TXN_CCAT_UNCHECKED;
	t->unchecked = long_text(t, 'u');
}

static void
fill_sender(struct txn *t)
{
	t->sender = long_text(t, 's');
}

static void
fill_rcpt(struct txn *t)
{
	t->rcpts[0].addr = long_text(t, 'r');
}

static void
fill_rcpts(struct txn *t)
{
	for (int i = 0; i < 1000; i++)
		txn_add_rcpt(t, "a-rather-long-local-part@example.net", NULL);
}

static void
fill_ident(struct txn *t)
{
	t->client.ident = long_text(t, 'q');
}

static void
fill_message_id(struct txn *t)
{
	t->message_id = long_text(t, 'm');
}

static void
fill_hits(struct txn *t)
{
	t->spam_scanned = 1;
	t->spam_hits = long_text(t, 'h');
}

static void
fill_queued_as(struct txn *t)
{
	t->queued_as = long_text(t, 'Q');
}

static void
fill_refused(struct txn *t)
{
	rcpt_hop_reply(t, t->rcpts, "smtp:[127.0.0.1]:10025", 550,
		       long_text(t, 'd'), long_text(t, 'R'));
}

static void
fill_error(struct txn *t)
{
	t->error = TXN_ERR_FORWARD;
	t->error_text = long_text(t, 'e');
}

static void
fill_all(struct txn *t)
{
	t->bank.v.originating = 1;
	fill_unchecked(t);
	fill_sender(t);
	fill_rcpt(t);
	fill_refused(t);
	fill_rcpts(t);
	fill_ident(t);
	fill_message_id(t);
	fill_hits(t);
	fill_queued_as(t);
	fill_error(t);
	t->mime.malformed = 1;
	t->spam_score = -1e6;
}

static void
fill_nothing(struct txn *t)
{
	(void)t;
}

struct log_case {
	const char *name;
	void (*fill)(struct txn *t);
	const char *field; /* where the field begins, or NULL: nothing */
	const char *cut;   /* where it was cut, and what follows */
};

static const struct log_case log_cases[] = {
	{"a plain message", fill_nothing, NULL, NULL},
	{"a banned name", fill_banned, "Blocked BANNED (bbbbbbbbb\\x01",
	 "...) {"},
	{"a virus name", fill_virus, "Blocked INFECTED (vvvvvvvvv\\x01",
	 "...) {"},
	{"an UNCHECKED reason", fill_unchecked, " UNCHECKED (uuuuuuuuu\\x01",
	 "...) {"},
	{"a sender", fill_sender, "] <sssssssss\\x01",
	 "...> -> <rcpt@example.net>, "},
	{"a recipient", fill_rcpt, "> -> <rrrrrrrrr\\x01",
	 "...>, Message-ID: <m@example.org>, "},
	{"1000 recipients", fill_rcpts, " <rcpt@example.net>,<a-rather-long",
	 " more), Message-ID: <m@example.org>, "},
	{"a Queue-ID", fill_ident, ", Queue-ID: qqqqqqqqq\\x01",
	 "..., Message-ID: "},
	{"a Message-ID", fill_message_id, ", Message-ID: mmmmmmmmm\\x01",
	 "..., mail_id: "},
	{"rule hits", fill_hits, ", tests=[hhhhhhhhh\\x01", "...], size: "},
	{"queued_as", fill_queued_as, ", queued_as: QQQQQQQQQ\\x01", "..., "},
	{"a next hop's refusal", fill_refused,
	 ", refused: <rcpt@example.net> 550 ddddddddd", "... RRRRRRRRR\\x01"},
	{"an error", fill_error, ", error: eeeeeeeee\\x01", "..."},
	{"all at once", fill_all, " UNCHECKED (uuuuuuuuu\\x01",
	 " more), Queue-ID: qqqqqqqqq\\x01"},
};

/* test_log_line - each row: bounded, whole, cut where it shows */
static void
test_log_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(log_cases); i++) {
		const struct log_case *c = log_cases + i;
		struct txn *t = txn_create(conf, "127.0.0.1", 10024);
		char mail_id[64];
		struct buf line;

		t->sender = "sender@example.org";
		txn_add_rcpt(t, "rcpt@example.net", NULL);
		t->message_id = "<m@example.org>";
		t->size = 1234;
		c->fill(t);
		buf_init(&line, 512);
		txn_log_format(t, &line);
		if (line.len > TXN_LOG_LINE_MAX ||
		    strlen(line.data) != line.len)
			fail_msg("%s: %zu bytes", c->name, line.len);
		snprintf(mail_id, sizeof(mail_id), ", mail_id: %s", t->id);
		/* The line's own fields, all there. */
		if (strstr(line.data, mail_id) == NULL ||
		    strstr(line.data, ", size: 1234") == NULL ||
		    strstr(line.data, " ms (receive ") == NULL ||
		    strstr(line.data, "], forward ") == NULL)
			fail_msg("%s: not whole: %s", c->name, line.data);
		if (c->field &&
		    (strstr(line.data, c->field) == NULL ||
		     strstr(strstr(line.data, c->field), c->cut) == NULL))
			fail_msg("%s: no \"%s\" then \"%s\" in %s", c->name,
				 c->field, c->cut, line.data);
		if (c->field == NULL &&
		    (strstr(line.data, "...") ||
		     strstr(line.data, "<sender@example.org> -> "
				       "<rcpt@example.net>, Message-ID: "
				       "<m@example.org>, mail_id: ") == NULL))
			fail_msg("%s: cut: %s", c->name, line.data);
		buf_release(&line);
		txn_free(&t);
	}
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	conf = conf_load(NULL, err, sizeof(err));
	return conf == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(&conf);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

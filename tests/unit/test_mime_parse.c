/*++
/* NAME
/*	test_mime_parse 1
/* SUMMARY
/*	unit tests for mime/mime_parse.c: what GMime keeps after the parse
/* DESCRIPTION
/*	GMime 3 keeps a copy of the parser options, warning callback and
/*	callback data included, in every header list it made, and uses it
/*	whenever it decodes a value again (a header given a new raw value,
/*	g_mime_header_set_raw_value(), is decoded with it). So what the
/*	callback writes to must live as long as the message: a warning
/*	raised after mime_parse() returned still lands on the txn's
/*	summary, and mime_free() releases everything.
/*
/*	Ambiguous MIME is told apart from the limits: the reason is our own
/*	text, the walk goes on (the parts are still checked), and a message
/*	within the limits has mime.unchecked NULL.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "conf/conf.h"
#include "mime/mime_parse.h"
#include "spool/spool.h"
#include "txn/txn.h"

static struct conf *conf;

/* parsed - a txn whose spool holds text, after mime_parse() */
static struct txn *
parsed(const char *text)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 25);
	char err[256];

	t->spool = spool_create("/tmp", t->id, err, sizeof(err));
	assert_non_null(t->spool);
	spool_write(t->spool, text, strlen(text));
	assert_int_equal(spool_commit(t->spool, err, sizeof(err)), 0);
	t->size = (off_t)strlen(text);
	assert_int_equal(mime_parse(t), 0);
	return t;
}

/* scribble - reuse the stack mime_parse() ran on */
static void __attribute__((noinline)) scribble(void)
{
	volatile char junk[65536];

	memset((char *)junk, 0xa5, sizeof(junk));
}

/* A part with a header that will be given a value GMime warns about. */
static const char later_warning[] =
	"From: a@example.org\r\n"
	"Subject: lazy\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	"\r\n"
	"--b\r\n"
	"Content-Type: text/plain\r\n"
	"X-Note: fine\r\n"
	"\r\n"
	"hello\r\n"
	"--b--\r\n";

/* test_warning_after_parse - the callback's data outlives mime_parse() */
static void
test_warning_after_parse(void **state)
{
	struct txn *t = parsed(later_warning);
	const struct mime_part *p;
	GMimeHeader *h = NULL;

	(void)state;
	assert_false(t->mime.malformed);
	for (p = t->mime.parts; p && h == NULL; p = p->next)
		if (p->is_leaf)
			h = g_mime_header_list_get_header(
				g_mime_object_get_header_list(
					GMIME_OBJECT(p->object)),
				"X-Note");
	assert_non_null(h);
	scribble();
	/* An encoded word with a space in it: GMime warns as it decodes. */
	g_mime_header_set_raw_value(h, " =?utf-8?q?odd word?=\r\n");
	assert_string_equal(g_mime_header_get_value(h), "odd word");
	assert_true(t->mime.malformed);
	txn_free(&t);
}

/* test_ambiguous - two boundary= values: our reason, and the walk */
static void
test_ambiguous(void **state)
{
	static const char text[] =
		"From: a@example.org\r\n"
		"Subject: ambiguous\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"one\"; "
		"boundary=\"X-Evil: yes\"\r\n"
		"\r\n"
		"--one\r\n"
		"Content-Type: application/octet-stream; name=\"evil.exe\"\r\n"
		"\r\n"
		"MZ\r\n"
		"--one--\r\n";
	struct txn *t = parsed(text);
	int named = 0;

	(void)state;
	assert_true(t->mime.malformed);
	assert_non_null(t->mime.ambiguous);
	assert_null(t->mime.unchecked);
	assert_string_equal(t->mime.ambiguous,
			    "ambiguous MIME (conflicting parameter at offset "
			    "60)");
	for (const struct mime_part *p = t->mime.parts; p; p = p->next)
		named += p->name && strcmp(p->name, "evil.exe") == 0;
	assert_int_equal(named, 1);
	txn_free(&t);
}

/* test_plain - nothing odd: no reason at all */
static void
test_plain(void **state)
{
	struct txn *t = parsed(
		"From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n");

	(void)state;
	assert_false(t->mime.malformed);
	assert_null(t->mime.ambiguous);
	assert_null(t->mime.unchecked);
	txn_free(&t);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	mime_init();
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
		cmocka_unit_test(test_warning_after_parse),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_plain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

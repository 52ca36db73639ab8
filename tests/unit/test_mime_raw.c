/*++
/* NAME
/*	test_mime_raw 1
/* SUMMARY
/*	unit tests for mime/mime_raw.c: a message GMime is not given
/* DESCRIPTION
/*	A message past the bounds of mime_bounds_spool() is UNCHECKED and
/*	never parsed by GMime; mime_parse() then gives the spam rules the
/*	raw message instead: the header section unfolded, one "Name:
/*	value" line per field (lines GMime drops left out, nothing
/*	decoded), and the body as stored; nothing over spam_max_size.
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

#include "conf/conf.h"
#include "mime/mime_parse.h"
#include "mime/mime_raw.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"

static struct conf *conf;

/* spooled - a txn whose spool holds len bytes of text */
static struct txn *
spooled(const char *text, size_t len)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 25);
	char err[256];

	t->spool = spool_create("/tmp", t->id, err, sizeof(err));
	assert_non_null(t->spool);
	spool_write(t->spool, text, len);
	assert_int_equal(spool_commit(t->spool, err, sizeof(err)), 0);
	t->size = (off_t)len;
	return t;
}

/* assert_view - a view holds exactly want (views hold no NUL here) */
static void
assert_view(const char *got, size_t len, const char *want)
{
	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
}

/* test_views - the header section unfolded, the body as stored */
static void
test_views(void **state)
{
	static const char text[] = "From: a@example.org\r\n"
				   "Subject: folded\r\n"
				   "\tonce\r\n"
				   "  and twice\r\n"
				   "X-Blank:\r\n"
				   "no colon on this line\r\n"
				   "Bad Name: dropped\r\n"
				   "X-Enc : =?utf-8?q?not_decoded?=\r\n"
				   "\r\n"
				   "body line 1\r\n"
				   "\r\n"
				   "X-Not: a header\r\n";
	struct txn *t = spooled(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(mime_raw_views(t, &t->mime), 0);
	assert_view(t->mime.headers, t->mime.headers_len,
		    "From: a@example.org\n"
		    "Subject: folded\tonce  and twice\n"
		    "X-Blank: \n"
		    "X-Enc: =?utf-8?q?not_decoded?=\n");
	assert_view(t->mime.text, t->mime.text_len,
		    "body line 1\r\n\r\nX-Not: a header\r\n");
	txn_free(&t);
}

/* test_no_body - a header section to the end, its last line unended */
static void
test_no_body(void **state)
{
	static const char text[] = "From: a@example.org\n"
				   "Subject: last\n"
				   " line";
	struct txn *t = spooled(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(mime_raw_views(t, &t->mime), 0);
	assert_view(t->mime.headers, t->mime.headers_len,
		    "From: a@example.org\nSubject: last line\n");
	assert_view(t->mime.text, t->mime.text_len, "");
	txn_free(&t);
}

/* past_bounds - a message with more "--" lines than the bounds allow */
static struct txn *
past_bounds(void)
{
	static const char head[] = "From: a@example.org\r\n"
				   "Subject: dashes\r\n"
				   "\r\n"
				   "spam spam\r\n";
	long lines = 2L * conf->max_mime_parts + 1001;
	struct buf b;
	struct txn *t;

	buf_init(&b, 4096);
	buf_puts(&b, head);
	for (long i = 0; i < lines; i++)
		buf_puts(&b, "--\r\n");
	t = spooled(b.data, b.len);
	buf_release(&b);
	return t;
}

/* test_parse_past_bounds - mime_parse() gives the raw views there */
static void
test_parse_past_bounds(void **state)
{
	struct txn *t = past_bounds();

	(void)state;
	assert_int_equal(mime_parse(t), 0);
	assert_non_null(t->mime.unchecked);
	assert_null(t->mime.message);
	assert_view(t->mime.headers, t->mime.headers_len,
		    "From: a@example.org\nSubject: dashes\n");
	assert_non_null(t->mime.text);
	assert_int_equal(strncmp(t->mime.text, "spam spam\r\n--\r\n", 15), 0);
	assert_int_equal(t->mime.text_len, (size_t)t->size - 40);
	txn_free(&t);
}

/* test_parse_past_bounds_too_big - no views over spam_max_size */
static void
test_parse_past_bounds_too_big(void **state)
{
	struct txn *t = past_bounds();
	long was = conf->spam_max_size;

	(void)state;
	conf->spam_max_size = (long)t->size - 1;
	assert_int_equal(mime_parse(t), 0);
	conf->spam_max_size = was;
	assert_non_null(t->mime.unchecked);
	assert_null(t->mime.headers);
	assert_null(t->mime.text);
	txn_free(&t);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	mime_init();
	conf = conf_load(NULL, err, sizeof(err));
	return conf ? 0 : -1;
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
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_no_body),
		cmocka_unit_test(test_parse_past_bounds),
		cmocka_unit_test(test_parse_past_bounds_too_big),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

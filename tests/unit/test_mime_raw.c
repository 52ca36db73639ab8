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
/*	And the banned check the types and names its part headers
/*	declare: Content-Type and Content-Disposition fields anywhere, one
/*	part per header section, parameters decoded by GMime (RFC 2231,
/*	encoded words), fields across two reads of the spool, at most
/*	max_mime_parts parts.
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

/* part_at - the i-th part of m (it must be there) */
static const struct mime_part *
part_at(const struct mime_summary *m, size_t i)
{
	const struct mime_part *p = m->parts;

	while (p && i--)
		p = p->next;
	assert_non_null(p);
	return p;
}

/* assert_names - p has exactly these names, in order (NULL-ended) */
static void
assert_names(const struct mime_part *p, const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++) {
		assert_true(n < p->n_names);
		assert_string_equal(p->names[n], want[n]);
	}
	assert_int_equal(p->n_names, n);
	if (n)
		assert_string_equal(p->name, want[0]);
	assert_false(p->is_leaf);
	assert_null(p->object);
}

/*
 * test_parts - Content-Type and Content-Disposition fields anywhere,
 * one part per header section, names decoded as GMime decodes them
 */
static void
test_parts(void **state)
{
	static const char text[] =
		"From: a@example.org\r\n"
		"Subject: names\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
		"\r\n"
		"--b\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"X-Content-Type: text/x; name=\"not-a-field.exe\"\r\n"
		"Content-Typo: text/x; name=\"typo.exe\"\r\n"
		"--b\r\n"
		"CONTENT-TYPE  : Application/Octet-Stream;\r\n"
		"\tname=\"invoice.exe\"\r\n"
		"content-disposition: attachment;\r\n"
		" filename*0=\"sta\"; filename*1=\"tement.scr\"\r\n"
		"\r\n"
		"TVqQAAMAAAAEAAAA\r\n"
		"--b\r\n"
		"Content-Disposition: attachment; filename=\"=?utf-8?B?"
		"cmVwb3J0LnBpZg==?=\"\r\n"
		"\r\n"
		"data\r\n"
		"--b--\r\n";
	static const char *const none[] = {NULL};
	static const char *const pif[] = {"report.pif", NULL};
	struct txn *t = spooled(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(mime_raw_parts(t, &t->mime), 0);
	assert_int_equal(t->mime.n_parts, 4);
	assert_string_equal(part_at(&t->mime, 0)->type, "multipart/mixed");
	assert_names(part_at(&t->mime, 0), none);
	assert_string_equal(part_at(&t->mime, 1)->type, "text/plain");
	assert_names(part_at(&t->mime, 1), none);
	assert_string_equal(part_at(&t->mime, 2)->type,
			    "application/octet-stream");
	/* In field order: the Content-Type's name first here. */
	assert_string_equal(part_at(&t->mime, 2)->names[0], "invoice.exe");
	assert_string_equal(part_at(&t->mime, 2)->names[1], "statement.scr");
	assert_int_equal(part_at(&t->mime, 2)->n_names, 2);
	/* No Content-Type: GMime's default type. */
	assert_string_equal(part_at(&t->mime, 3)->type, "text/plain");
	assert_names(part_at(&t->mime, 3), pif);
	txn_free(&t);
}

/*
 * test_parts_2231_out_of_order - RFC 2231 pieces in any order are read
 * as a mail program puts them together (GMime keeps "UTF-16LE''" and
 * cuts at the first NUL: mime_names.h)
 */
static void
test_parts_2231_out_of_order(void **state)
{
	static const char text[] = "From: a@example.org\r\n"
				   "MIME-Version: 1.0\r\n"
				   "Content-Type: application/octet-stream\r\n"
				   "Content-Disposition: attachment;\r\n"
				   " filename*1*=l%00.%00e%00x%00e%00;\r\n"
				   " filename*0*=UTF-16LE''e%00v%00i%00\r\n"
				   "\r\n"
				   "data\r\n";
	static const char *const names[] = {"UTF-16LE''el", "evil.exe", NULL};
	struct txn *t = spooled(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(mime_raw_parts(t, &t->mime), 0);
	assert_int_equal(t->mime.n_parts, 1);
	assert_names(part_at(&t->mime, 0), names);
	txn_free(&t);
}

/*
 * test_parts_quoted_and_straddling - a field quoted in text counts too
 * (more names, never fewer); a field across two reads of the spool
 */
static void
test_parts_quoted_and_straddling(void **state)
{
	static const char *const quoted[] = {"quoted.exe", NULL};
	static const char *const far[] = {"far.exe", NULL};
	struct buf b;
	struct txn *t;

	(void)state;
	buf_init(&b, MIME_RAW_CHUNK + 4096);
	buf_puts(&b, "From: a@example.org\r\n\r\n"
		     "As I wrote:\r\n"
		     "Content-Type: text/x; name=quoted.exe\r\n"
		     "\r\n");
	while (b.len < MIME_RAW_CHUNK - 20)
		buf_puts(&b, "filler text\r\n");
	buf_puts(&b, "--x\r\nContent-Disposition: attachment;\r\n"
		     " filename=far.exe\r\n\r\nend\r\n");
	t = spooled(b.data, b.len);
	buf_release(&b);
	assert_int_equal(mime_raw_parts(t, &t->mime), 0);
	assert_int_equal(t->mime.n_parts, 2);
	assert_names(part_at(&t->mime, 0), quoted);
	assert_names(part_at(&t->mime, 1), far);
	txn_free(&t);
}

/*
 * test_parts_other_fields - the names mime_names() reads from other
 * fields: filename= of Content-Type, name= of Content-Disposition,
 * Content-Name and X-Sun-Data-Name (encoded words decoded)
 */
static void
test_parts_other_fields(void **state)
{
	static const char text[] =
		"From: a@example.org\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=x\r\n"
		"\r\n"
		"--x\r\n"
		"Content-Type: application/octet-stream; filename=\"a.exe\"\r\n"
		"\r\n"
		"data\r\n"
		"--x\r\n"
		"Content-Disposition: attachment; name=\"b.exe\"\r\n"
		"\r\n"
		"data\r\n"
		"--x\r\n"
		"content-name: c.exe\r\n"
		"X-Sun-Data-Name:\r\n"
		" =?UTF-8?B?w6l2aWwuZXhl?=\r\n"
		"\r\n"
		"data\r\n"
		"--x--\r\n";
	static const char *const a[] = {"a.exe", NULL};
	static const char *const b[] = {"b.exe", NULL};
	static const char *const c[] = {"c.exe", "\xc3\xa9vil.exe", NULL};
	struct txn *t = spooled(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(mime_raw_parts(t, &t->mime), 0);
	assert_int_equal(t->mime.n_parts, 4);
	assert_names(part_at(&t->mime, 1), a);
	assert_names(part_at(&t->mime, 2), b);
	assert_names(part_at(&t->mime, 3), c);
	txn_free(&t);
}

/* test_parts_bounded - at most max_mime_parts parts, max_header_fields */
static void
test_parts_bounded(void **state)
{
	struct buf b;
	struct txn *t;
	int was = conf->max_mime_parts;

	(void)state;
	buf_init(&b, 4096);
	for (int i = 0; i < 20; i++)
		buf_printf(&b,
			   "--b\r\nContent-Type: a/b; name=p%d.exe\r\n"
			   "\r\nx\r\n",
			   i);
	t = spooled(b.data, b.len);
	buf_release(&b);
	conf->max_mime_parts = 5;
	assert_int_equal(mime_raw_parts(t, &t->mime), 0);
	conf->max_mime_parts = was;
	assert_int_equal(t->mime.n_parts, 5);
	assert_string_equal(part_at(&t->mime, 4)->name, "p4.exe");
	txn_free(&t);

	/* One section of many fields: at most max_header_fields read. */
	buf_init(&b, 4096);
	for (int i = 0; i < 40; i++)
		buf_printf(&b, "Content-Type: a/b; name=n%d.exe\r\n", i);
	t = spooled(b.data, b.len);
	buf_release(&b);
	was = (int)conf->max_header_fields;
	conf->max_header_fields = 10;
	assert_int_equal(mime_raw_parts(t, &t->mime), 0);
	conf->max_header_fields = was;
	assert_int_equal(t->mime.n_parts, 1);
	assert_int_equal(t->mime.parts->n_names, 10);
	assert_string_equal(t->mime.parts->names[9], "n9.exe");
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
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_parts_2231_out_of_order),
		cmocka_unit_test(test_parts_quoted_and_straddling),
		cmocka_unit_test(test_parts_other_fields),
		cmocka_unit_test(test_parts_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*++
/* NAME
/*	test_mime_bounds 1
/* SUMMARY
/*	unit tests for mime/mime_bounds.c: the pass before GMime
/* DESCRIPTION
/*	Each row is a message made of a head, one line repeated, and a
/*	tail, with the limits to count it against and the verdict wanted.
/*	Every row is fed whole, one byte at a time and in pieces of 7
/*	bytes: where the pieces end must not change what a line is. Then
/*	mime_parse() on a spooled message: past a bound the message is
/*	UNCHECKED and GMime never made a tree; within the bounds GMime
/*	parses it as before. mime_bounds_next() counts messages one after
/*	another against the same limits.
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
#include "mime/mime_bounds.h"
#include "mime/mime_parse.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/pool.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define SP10 "          "
#define SP100 SP10 SP10 SP10 SP10 SP10 SP10 SP10 SP10 SP10 SP10
#define SP120 SP100 SP10 SP10

static struct conf *conf;

struct bounds_case {
	const char *name;
	const char *head;
	const char *line; /* repeated count times */
	int count;
	const char *tail;
	int max_parts;
	long max_field;
	enum mime_bounds_verdict want;
	const char *why; /* mime_bounds_why(), or NULL */
};

/* 2 parts allow 2 * 2 + MIME_BOUNDS_SLACK = 1004 lines that begin "--". */
static const struct bounds_case bounds_cases[] = {
	{"a small message", "From: a@example.org\r\nSubject: x\r\n\r\n",
	 "hello\r\n", 3, "", 2, 0, MIME_BOUNDS_OK, NULL},
	{"an empty message", "", "", 0, "", 2, 0, MIME_BOUNDS_OK, NULL},
	{"delimiters up to the bound",
	 "Content-Type: multipart/mixed; "
	 "boundary=b\r\n\r\n",
	 "--b\r\n\r\nx\r\n", 1003, "--b--\r\n", 2, 0, MIME_BOUNDS_OK, NULL},
	{"one delimiter past the bound",
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n",
	 "--b\r\n\r\nx\r\n", 1004, "--b--\r\n", 2, 0, MIME_BOUNDS_PARTS,
	 "more than 2 MIME parts: over 1004 boundary lines"},
	{"LF only", "Subject: x\n\n", "--b\n\nx\n", 1005, "", 2, 0,
	 MIME_BOUNDS_PARTS, "more than 2 MIME parts: over 1004 boundary lines"},
	{"a last line without its LF counts", "Subject: x\n\n", "--b\nx\n",
	 1004, "--b--", 2, 0, MIME_BOUNDS_PARTS, NULL},
	{"signatures count: a boundary may be \" \"", "Subject: x\r\n\r\n",
	 "-- \r\n", 1005, "", 2, 0, MIME_BOUNDS_PARTS, NULL},
	{"text in between does not", "Subject: x\r\n\r\n",
	 "x--\r\n -- \r\n-\r\n\r\n", 5000, "", 2, 0, MIME_BOUNDS_OK, NULL},
	{"a line of dashes longer than a piece", "Subject: x\r\n\r\n",
	 "------------------------------------------\r\n", 1005, "", 2, 0,
	 MIME_BOUNDS_PARTS, NULL},
	{"the default: 1000 parts, 3000 lines", "Subject: x\r\n\r\n", "--b\r\n",
	 3000, "", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"the default: one more", "Subject: x\r\n\r\n", "--b\r\n", 3001, "",
	 1000, 0, MIME_BOUNDS_PARTS,
	 "more than 1000 MIME parts: over 3000 boundary lines"},

	/* Header fields: 0 in max_field is 1024 (the lowest allowed). */
	{"a field up to the bound, CR LF included", "Subject: x\r\nX-Long: ",
	 "x ", 506, "yz\r\n\r\nbody\r\n", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"one byte past it", "Subject: x\r\nX-Long: ", "x ", 506,
	 "yzw\r\n\r\nbody\r\n", 1000, 0, MIME_BOUNDS_FIELD,
	 "a header field longer than 1024 bytes"},
	{"continuation lines are the field's", "Subject: x\r\nX-Long: x\r\n",
	 " folded\r\n", 200, "\r\nbody\r\n", 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"many short fields are not one long one", "Subject: x\r\n",
	 "X-Short: folded\r\n and again\r\n", 200, "\r\nbody\r\n", 1000, 0,
	 MIME_BOUNDS_OK, NULL},
	{"a field of 1 MB, LF only", "Subject: x\nX-Long: ", "x ", 500000,
	 "\n\nbody\n", 1000, 1048576, MIME_BOUNDS_OK, NULL},
	{"a field over 1 MB, LF only", "Subject: x\nX-Long: ", "x ", 524288,
	 "\n\nbody\n", 1000, 1048576, MIME_BOUNDS_FIELD,
	 "a header field longer than 1048576 bytes"},
	{"a long line of content is not a field", "Subject: x\r\n\r\n", "x ",
	 5000, "\r\n", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"a long line after a blank first line is content", "\r\n", "x ", 5000,
	 "\r\n", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"a part's header",
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	 "--b\r\nContent-Type: text/plain\r\nX-Long: ",
	 "x ", 5000, "\r\n\r\nbody\r\n--b--\r\n", 1000, 0, MIME_BOUNDS_FIELD,
	 NULL},
	{"a part's content",
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	 "--b\r\nContent-Type: text/plain\r\n\r\n",
	 "x ", 5000, "\r\n--b--\r\n", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"a part's content after a long, folded Content-Type",
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	 "Content-Type:\r\n text/plain; name=\r\n \"",
	 "n", 300, "\"\r\n\r\nx x x x x\r\n--b--\r\n", 1000, 0, MIME_BOUNDS_OK,
	 NULL},
	{"an inner message's header",
	 "Content-Type: message/rfc822\r\n\r\n"
	 "Subject: inner\r\nX-Long: ",
	 "x ", 5000, "\r\n\r\nbody\r\n", 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"an inner message's, type folded and in capitals",
	 "Content-Type:\r\n\t MESSAGE/RFC822\r\n\r\nX-Long: ", "x ", 5000,
	 "\r\n\r\nbody\r\n", 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"an inner message's, two levels down",
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	 "Content-Type: message/rfc822\r\n\r\nContent-Type: message/news"
	 "\r\n\r\nX-Long: ",
	 "x ", 5000, "\r\n\r\nbody\r\n--b--\r\n", 1000, 0, MIME_BOUNDS_FIELD,
	 NULL},
	{"a type in doubt: a comment first",
	 "Content-Type: (c) text/plain\r\n"
	 "\r\nX-Long: ",
	 "x ", 5000, "\r\n", 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"a type in doubt: blanks past the kept head",
	 "Content-Type:" SP120 "text/plain\r\n\r\nX-Long: ", "x ", 5000, "\r\n",
	 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"a name in doubt: blanks past the kept head",
	 "Content-Type" SP120 ": text/plain\r\n\r\nX-Long: ", "x ", 5000,
	 "\r\n", 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"a type within the head is not in doubt",
	 "Content-Type:" SP100 "text/plain\r\n\r\nX-Long: ", "x ", 5000, "\r\n",
	 1000, 0, MIME_BOUNDS_OK, NULL},
	{"a text type is not in doubt",
	 "Content-Type: text/plain\r\n\r\n"
	 "X-Long: ",
	 "x ", 5000, "\r\n", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"a digest's part without a type holds a message",
	 "Content-Type: multipart/digest; boundary=b\r\n\r\n--b\r\n\r\n"
	 "Subject: inner\r\nX-Long: ",
	 "x ", 5000,
	 "\r\n\r\nbody\r\n"
	 "--b--\r\n",
	 1000, 0, MIME_BOUNDS_FIELD, NULL},
	{"a long field name", "Subject: x\r\nX-", "L", 2000, ": x\r\n\r\n",
	 1000, 0, MIME_BOUNDS_FIELD, NULL},
	/* Header fields by number: 10000 in every row. */
	{"fields up to the bound", "", "X-A: x\r\n", 10000, "\r\nbody\r\n",
	 1000, 0, MIME_BOUNDS_OK, NULL},
	{"one more", "", "X-A: x\r\n", 10001, "\r\nbody\r\n", 1000, 0,
	 MIME_BOUNDS_FIELDS, "more than 10000 header fields"},
	{"blanks before the colon", "", "X-A : x\n", 10001, "\nbody\n", 1000, 0,
	 MIME_BOUNDS_FIELDS, NULL},
	{"folded lines are one field", "", "X-A: x\r\n y\r\n", 10000,
	 "\r\nbody\r\n", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"lines GMime drops do not count", "Subject: x\r\n\r\n-- \r\n",
	 "Jane Doe, +1 555 0100\r\n", 20000, "\r\n", 1000, 0, MIME_BOUNDS_OK,
	 NULL},
	{"nor do lines of content", "Subject: x\r\n\r\n", "X-A: x\r\n", 20000,
	 "", 1000, 0, MIME_BOUNDS_OK, NULL},
	{"the parts' fields count too",
	 "Content-Type: multipart/mixed; boundary=b\r\n\r\n",
	 "--b\r\nContent-Type: text/plain\r\nX-A: x\r\n\r\nx\r\n", 5000,
	 "--b--\r\n", 10000, 0, MIME_BOUNDS_FIELDS, NULL},
};

/* bounds_text - a row's message, in a new buffer */
static char *
bounds_text(const struct bounds_case *c, size_t *len)
{
	size_t hl = strlen(c->head), ll = strlen(c->line), tl = strlen(c->tail);
	char *s = malloc(hl + ll * (size_t)c->count + tl + 1), *p = s;

	assert_non_null(s);
	memcpy(p, c->head, hl);
	p += hl;
	for (int i = 0; i < c->count; i++, p += ll)
		memcpy(p, c->line, ll);
	memcpy(p, c->tail, tl);
	p += tl;
	*len = (size_t)(p - s);
	return s;
}

/* bounds_case_named - the row of that name */
static const struct bounds_case *
bounds_case_named(const char *name)
{
	for (size_t i = 0; i < N_ELEMS(bounds_cases); i++)
		if (strcmp(bounds_cases[i].name, name) == 0)
			return bounds_cases + i;
	fail_msg("no row %s", name);
	return NULL;
}

/* bounds_count - feed text in pieces of piece bytes (0: whole) */
static enum mime_bounds_verdict
bounds_count(struct mime_bounds *b, const struct conf *c, const char *text,
	     size_t len, size_t piece)
{
	mime_bounds_init(b, c);
	for (size_t off = 0; off < len;) {
		size_t n = piece == 0 || len - off < piece ? len - off : piece;

		(void)mime_bounds_feed(b, text + off, n);
		off += n;
	}
	return mime_bounds_end(b);
}

/* test_bounds - every row, in pieces of every size tried */
static void
test_bounds(void **state)
{
	static const size_t pieces[] = {0, 1, 7};
	struct pool *pool = pool_create(4096);

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bounds_cases); i++) {
		const struct bounds_case *c = bounds_cases + i;
		struct conf lim = *conf;
		size_t len;
		char *text = bounds_text(c, &len);

		lim.max_mime_parts = c->max_parts;
		lim.max_header_field_size = c->max_field ? c->max_field : 1024;
		lim.max_header_fields = 10000;
		for (size_t k = 0; k < N_ELEMS(pieces); k++) {
			struct mime_bounds b;
			enum mime_bounds_verdict v = bounds_count(
				&b, &lim, text, len, pieces[k]);

			if (v != c->want)
				fail_msg("%s (pieces of %zu): verdict %d, want "
					 "%d",
					 c->name, pieces[k], (int)v,
					 (int)c->want);
			if (c->why)
				assert_string_equal(mime_bounds_why(&b, pool),
						    c->why);
			else if (c->want == MIME_BOUNDS_OK)
				assert_null(mime_bounds_why(&b, pool));
		}
		free(text);
	}
	pool_destroy(&pool);
}

/* test_next - messages one after another, counted together */
/* Does a message have a "--" line that may be a padded delimiter? */
static const struct {
	const char *text;
	int padded;
} padded_cases[] = {
	{"Subject: x\r\n\r\n--b\r\nx\r\n--b--\r\n", 0},
	{"Subject: x\r\n\r\n--b \r\nx\r\n", 1},
	{"Subject: x\r\n\r\n--b\t\r\nx\r\n", 1},
	{"Subject: x\n\n--b\t\nx\n", 1},
	{"Subject: x\r\n\r\n--b\r\r\nx\r\n", 1},
	{"Subject: x\r\n\r\n--b--  ", 1},
	{"Subject: x\r\n\r\nx \r\n -- \r\n", 0},
	{"Subject: x\r\n\r\n--" SP120 "b" SP10 "\r\n", 1},
	{"Subject: x\r\n\r\n--" SP120 "b\r\n", 0},
};

/* test_dash_padded - noted whatever the pieces the text comes in */
static void
test_dash_padded(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(padded_cases); i++) {
		const char *text = padded_cases[i].text;

		for (size_t piece = 1; piece <= strlen(text); piece++) {
			struct mime_bounds b;

			mime_bounds_init(&b, conf);
			for (size_t o = 0; o < strlen(text); o += piece)
				(void)mime_bounds_feed(
					&b, text + o,
					MIN(piece, strlen(text) - o));
			(void)mime_bounds_end(&b);
			if (b.dash_padded != padded_cases[i].padded)
				fail_msg("case %zu, pieces of %zu: %d", i,
					 piece, b.dash_padded);
		}
	}
}

static void
test_next(void **state)
{
	static const char body[] = "From: a@example.org\r\n\r\n"
				   "X-A: b\r\nX-A: b\r\nX-A: b\r\n";
	struct conf lim = *conf;
	struct mime_bounds b;
	struct pool *pool = pool_create(4096);

	(void)state;
	lim.max_header_fields = 10;
	mime_bounds_init(&b, &lim);
	/* Its content is not header: one field. */
	assert_int_equal(mime_bounds_feed(&b, body, strlen(body)),
			 MIME_BOUNDS_OK);
	assert_int_equal(b.fields, 1);
	/* The next one begins with its header: a last line without LF
	 * ends the one before, and is not counted twice. */
	assert_int_equal(mime_bounds_feed(&b, "X-A: b", 6), MIME_BOUNDS_OK);
	assert_int_equal(mime_bounds_next(&b), MIME_BOUNDS_OK);
	assert_int_equal(b.fields, 1);
	for (int i = 0; i < 9; i++)
		assert_int_equal(mime_bounds_feed(&b, "X-A: b\r\n", 8),
				 MIME_BOUNDS_OK);
	assert_int_equal(b.fields, 10);
	assert_int_equal(mime_bounds_next(&b), MIME_BOUNDS_OK);
	/* Together over max_header_fields; and it says so from then on. */
	assert_int_equal(mime_bounds_feed(&b, "X-A: b\r\n", 8),
			 MIME_BOUNDS_FIELDS);
	assert_int_equal(mime_bounds_end(&b), MIME_BOUNDS_FIELDS);
	assert_int_equal(mime_bounds_next(&b), MIME_BOUNDS_FIELDS);
	assert_string_equal(mime_bounds_why(&b, pool),
			    "more than 10 header fields");
	pool_destroy(&pool);
}

/* spooled - a txn whose spool holds text[0..len), max_mime_parts set */
static struct txn *
spooled(struct conf *c, const char *text, size_t len)
{
	struct txn *t = txn_create(c, "127.0.0.1", 25);
	char err[256];

	t->spool = spool_create("/tmp", t->id, err, sizeof(err));
	assert_non_null(t->spool);
	spool_write(t->spool, text, len);
	assert_int_equal(spool_commit(t->spool, err, sizeof(err)), 0);
	t->size = (off_t)len;
	return t;
}

/* test_parse_past_bound - UNCHECKED, and GMime made nothing */
static void
test_parse_past_bound(void **state)
{
	const struct bounds_case *c = bounds_case_named("one delimiter past "
							"the bound");
	struct conf lim = *conf;
	size_t len;
	char *text = bounds_text(c, &len);
	struct txn *t;

	(void)state;
	lim.max_mime_parts = c->max_parts;
	t = spooled(&lim, text, len);
	assert_int_equal(mime_parse(t), 0);
	assert_non_null(t->mime.unchecked);
	assert_string_equal(t->mime.unchecked, c->why);
	assert_null(t->mime.message);
	/* Parts read from the raw part headers (mime_raw.h), none GMime's. */
	for (const struct mime_part *p = t->mime.parts; p; p = p->next) {
		assert_null(p->object);
		assert_false(p->is_leaf);
	}
	assert_true(t->mime.n_parts <= (size_t)c->max_parts);
	assert_int_equal(t->error, TXN_OK);
	txn_free(&t);
	free(text);
}

/* test_parse_within_bound - GMime parses it, walk and limit as before */
static void
test_parse_within_bound(void **state)
{
	static const char text[] =
		"From: a@example.org\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n"
		"\r\n"
		"--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b\r\n\r\nthree\r\n"
		"--b--\r\n";
	struct conf lim = *conf;
	struct txn *t;

	(void)state;
	lim.max_mime_parts = 2;
	t = spooled(&lim, text, strlen(text));
	assert_int_equal(mime_parse(t), 0);
	assert_non_null(t->mime.message);
	/* GMime's walk still tells the exact limit. */
	assert_non_null(t->mime.unchecked);
	assert_string_equal(t->mime.unchecked, "more than 2 MIME parts");
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
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_dash_padded),
		cmocka_unit_test(test_parse_past_bound),
		cmocka_unit_test(test_parse_within_bound),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

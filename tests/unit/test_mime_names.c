/*++
/* NAME
/*	test_mime_names 1
/* SUMMARY
/*	unit tests for mime/mime_names.c: every header form of a file name
/* DESCRIPTION
/*	Each case is the header of a part as a message sends it, parsed by
/*	GMime with the options mime_parse uses; mime_names() must give the
/*	names a mail program would show: plain, quoted with escapes, RFC
/*	2047 encoded words in quotes and outside, RFC 2231 values and
/*	continuations (out of order, with a gap), charsets (ISO-8859-1,
/*	Windows-1252, Shift_JIS, UTF-8, an unknown one), percent-encoded CR
/*	LF, both name= and filename= (different: both), a name of 5,000
/*	bytes.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "mime/mime_names.h"
#include "util/pool.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/*
 * names_of - the names of the one part of a message whose header
 * section is headers (folded lines allowed); in pool
 */
static size_t
names_of(struct pool *pool, const char *headers, const char ***names)
{
	char *msg = g_strdup_printf("From: a@example.org\r\nMIME-Version: "
				    "1.0\r\n%s\r\n\r\nbody\r\n",
				    headers);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(msg, strlen(msg));
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	GMimeMessage *m = g_mime_parser_construct_message(parser, opts);
	size_t n;

	assert_non_null(m);
	n = mime_names(pool, g_mime_message_get_mime_part(m), names);
	g_object_unref(m);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(s);
	g_free(msg);
	return n;
}

struct name_case {
	const char *what;
	const char *headers;
	const char *want[5]; /* the names, in order; NULL after the last */
};

static const struct name_case cases[] = {
	{"plain",
	 "Content-Disposition: attachment; filename=evil.exe",
	 {"evil.exe"}},
	{"plain name=",
	 "Content-Type: application/octet-stream; name=evil.exe",
	 {"evil.exe"}},
	{"quoted",
	 "Content-Disposition: attachment; filename=\"my evil.exe\"",
	 {"my evil.exe"}},
	{"quoted escapes",
	 "Content-Disposition: attachment; filename=\"a\\\"b\\\\c.exe\"",
	 {"a\"b\\c.exe"}},
	{"2047 in quotes",
	 "Content-Disposition: attachment; "
	 "filename=\"=?UTF-8?B?ZXZpbC5leGU=?=\"",
	 {"evil.exe"}},
	{"2047 outside quotes",
	 "Content-Type: application/octet-stream; "
	 "name==?ISO-8859-1?Q?r=E9sum=E9.exe?=",
	 {"r\xc3\xa9sum\xc3\xa9.exe"}},
	{"2047 two words",
	 "Content-Disposition: attachment; "
	 "filename=\"=?UTF-8?Q?ev?= =?UTF-8?Q?il.exe?=\"",
	 {"evil.exe"}},
	{"2231",
	 "Content-Disposition: attachment; filename*=UTF-8''evil%2Eexe",
	 {"evil.exe"}},
	{"2231 language",
	 "Content-Disposition: attachment; filename*=us-ascii'en'evil.exe",
	 {"evil.exe"}},
	{"2231 continuations",
	 "Content-Disposition: attachment;\r\n filename*0*=UTF-8''ev;\r\n"
	 " filename*1*=il;\r\n filename*2=\".exe\"",
	 {"evil.exe"}},
	{"2231 out of order",
	 "Content-Disposition: attachment;\r\n filename*2=\".exe\";\r\n"
	 " filename*0*=UTF-8''ev;\r\n filename*1*=il",
	 {"UTF-8''evil.exe", "evil.exe"}},
	{"2231 out of order, encoded",
	 "Content-Disposition: attachment;\r\n filename*1*=%2Eexe;\r\n"
	 " filename*0*=UTF-8''evil",
	 {"UTF-8''evil.exe", "evil.exe"}},
	{"2231 out of order, charset",
	 "Content-Disposition: attachment;\r\n filename*1*=l%E9.exe;\r\n"
	 " filename*0*=ISO-8859-1''%E9vi",
	 {"ISO-8859-1''\xe9vil\xe9.exe", "\xc3\xa9vil\xc3\xa9.exe"}},
	{"literal, looks like 2231",
	 "Content-Type: text/plain; name=\"a''b.txt\"",
	 {"a''b.txt"}},
	{"UTF-16",
	 "Content-Disposition: attachment; filename*=UTF-16LE''"
	 "e%00v%00i%00l%00.%00e%00x%00e%00",
	 {"evil.exe"}},
	{"UTF-16 out of order",
	 "Content-Disposition: attachment;\r\n"
	 " filename*1*=l%00.%00e%00x%00e%00;\r\n"
	 " filename*0*=UTF-16LE''e%00v%00i%00",
	 {"UTF-16LE''el", "evil.exe"}},
	{"2231 with a gap",
	 "Content-Disposition: attachment;\r\n filename*0=\"evil\";\r\n"
	 " filename*2=\".exe\"",
	 {"evil.exe"}},
	{"ISO-8859-1",
	 "Content-Disposition: attachment; "
	 "filename*=ISO-8859-1''r%E9sum%E9.exe",
	 {"r\xc3\xa9sum\xc3\xa9.exe"}},
	{"Windows-1252",
	 "Content-Disposition: attachment; filename*=windows-1252''%80uro.exe",
	 {"\xe2\x82\xacuro.exe"}},
	{"Shift_JIS",
	 "Content-Disposition: attachment; filename*=Shift_JIS''%93%FA.exe",
	 {"\xe6\x97\xa5.exe"}},
	{"UTF-8 raw",
	 "Content-Disposition: attachment; filename=\"\xc3\xa9vil.exe\"",
	 {"\xc3\xa9vil.exe"}},
	{"unknown charset: bytes kept",
	 "Content-Disposition: attachment; filename*=x-no-such''ev%E9l.exe",
	 {"ev\xe9l.exe"}},
	{"CR LF",
	 "Content-Disposition: attachment; "
	 "filename*=UTF-8''a%0D%0A250%20injected%0D%0Ab.exe",
	 {"a\r\n250 injected\r\nb.exe"}},
	{"both, different",
	 "Content-Type: application/octet-stream; name=\"evil.exe\"\r\n"
	 "Content-Disposition: attachment; filename=\"a.txt\"",
	 {"a.txt", "evil.exe"}},
	{"both, the same once",
	 "Content-Type: application/octet-stream; name=\"a.exe\"\r\n"
	 "Content-Disposition: attachment; filename=\"a.exe\"",
	 {"a.exe"}},
	{"empty", "Content-Disposition: attachment; filename=\"\"", {NULL}},
	{"filename= of Content-Type",
	 "Content-Type: application/octet-stream; filename=\"evil.exe\"",
	 {"evil.exe"}},
	{"name= of Content-Disposition",
	 "Content-Type: application/octet-stream\r\n"
	 "Content-Disposition: attachment; name=\"evil.exe\"",
	 {"evil.exe"}},
	{"the four, in order",
	 "Content-Type: application/octet-stream; name=b.exe; "
	 "filename=c.exe\r\n"
	 "Content-Disposition: attachment; name=d.exe; filename=a.exe",
	 {"a.exe", "b.exe", "c.exe", "d.exe"}},
	{"RFC 2231 filename= of Content-Type",
	 "Content-Type: application/octet-stream; "
	 "filename*=UTF-8''%C3%A9vil.exe",
	 {"\xc3\xa9vil.exe"}},
	{"Content-Name",
	 "Content-Type: application/octet-stream\r\n"
	 "Content-Disposition: attachment\r\n"
	 "Content-Name:  evil.exe ",
	 {"evil.exe"}},
	{"Content-Name, encoded word",
	 "Content-Type: application/octet-stream\r\n"
	 "Content-Name: =?UTF-8?B?w6l2aWwuZXhl?=",
	 {"\xc3\xa9vil.exe"}},
	{"Content-Name after the others",
	 "Content-Type: application/octet-stream; name=a.txt\r\n"
	 "content-name: evil.exe",
	 {"a.txt", "evil.exe"}},
	{"Content-Name empty", "Content-Name:   ", {NULL}},
};

static void
test_forms(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct pool *pool = pool_create(4096);
		const char **names;
		size_t n = names_of(pool, cases[i].headers, &names), want = 0;

		while (want < N_ELEMS(cases[i].want) && cases[i].want[want])
			want++;
		if (n != want) {
			print_message("%s: %zu names, want %zu (first: %s)\n",
				      cases[i].what, n, want,
				      n ? names[0] : "-");
			bad++;
		}
		for (size_t k = 0; k < n && k < want; k++)
			if (strcmp(names[k], cases[i].want[k]) != 0) {
				print_message("%s: name %zu is \"%s\", want "
					      "\"%s\"\n",
					      cases[i].what, k, names[k],
					      cases[i].want[k]);
				bad++;
			}
		pool_destroy(&pool);
	}
	assert_int_equal(bad, 0);
}

/* NUL decoded from %00: the name goes on past it, or is seen cut. */
static void
test_nul(void **state)
{
	struct pool *pool = pool_create(4096);
	const char **names;
	size_t n;

	(void)state;
	n = names_of(pool,
		     "Content-Disposition: attachment; "
		     "filename*=UTF-8''evil.exe%00.txt",
		     &names);
	assert_int_equal(n, 1);
	/* A C string ends at the NUL: what a mail program saves. */
	assert_string_equal(names[0], "evil.exe");
	pool_destroy(&pool);
}

/* A name of 5,000 bytes, plain and RFC 2231 in continuations. */
static void
test_long(void **state)
{
	struct pool *pool = pool_create(4096);
	GString *h = g_string_new(
		"Content-Disposition: attachment; filename=\"");
	const char **names;

	(void)state;
	for (int i = 0; i < 4996; i++)
		g_string_append_c(h, 'x');
	g_string_append(h, ".exe\"");
	assert_int_equal(names_of(pool, h->str, &names), 1);
	assert_int_equal(strlen(names[0]), 5000);
	assert_string_equal(names[0] + 4996, ".exe");
	g_string_assign(h, "Content-Disposition: attachment");
	for (int i = 0; i < 50; i++) {
		g_string_append_printf(h, ";\r\n filename*%d*=", i);
		for (int k = 0; k < 100; k++)
			g_string_append(h, k % 2 ? "x" : "%79");
	}
	g_string_append(h, ";\r\n filename*50=\".exe\"");
	assert_int_equal(names_of(pool, h->str, &names), 1);
	assert_int_equal(strlen(names[0]), 5004);
	assert_string_equal(names[0] + 5000, ".exe");
	g_string_free(h, TRUE);
	pool_destroy(&pool);
}

/*
 * test_message_fields - X-Sun-Data-Name in a one-part message's header:
 * GMime keeps it with the message, mime_names_message() adds it
 */
static void
test_message_fields(void **state)
{
	static const char text[] = "From: a@example.org\r\n"
				   "MIME-Version: 1.0\r\n"
				   "Content-Type: application/octet-stream; "
				   "name=a.txt\r\n"
				   "X-Sun-Data-Name: =?UTF-8?Q?evil.exe?=\r\n"
				   "Content-Name: a.txt\r\n"
				   "\r\n"
				   "body\r\n";
	struct pool *pool = pool_create(4096);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(text,
							   sizeof(text) - 1);
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	GMimeMessage *m = g_mime_parser_construct_message(parser, opts);
	const char **names;
	size_t n;

	(void)state;
	assert_non_null(m);
	n = mime_names(pool, g_mime_message_get_mime_part(m), &names);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "a.txt");
	n = mime_names_message(pool, m, &names, n);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a.txt");
	assert_string_equal(names[1], "evil.exe");
	g_object_unref(m);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(s);
	pool_destroy(&pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_message_fields),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

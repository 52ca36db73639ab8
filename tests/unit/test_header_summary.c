/*++
/* NAME
/*	test_header_summary 1
/* SUMMARY
/*	unit tests for mime/header_summary.c: header_summary_find()
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/header_summary.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct hs_case {
	const char *name;
	const char *hdr;
	const char *field;
	const char *want; /* NULL: not found */
};

static const struct hs_case hs_cases[] = {
	{"simple", "Message-ID: <a@b>\r\nSubject: x\r\n\r\nbody\r\n",
	 "Message-ID", "<a@b>"},
	{"not the first field",
	 "Received: from x\r\nSubject: x\r\nMessage-ID: <a@b>\r\n\r\n",
	 "Message-ID", "<a@b>"},
	{"case-insensitive name", "message-id: <a@b>\r\n\r\n", "Message-ID",
	 "<a@b>"},
	{"upper-case name", "MESSAGE-ID: <a@b>\r\n\r\n", "Message-Id", "<a@b>"},
	{"no space after colon", "Message-ID:<a@b>\r\n\r\n", "Message-ID",
	 "<a@b>"},
	{"surrounding white space", "Message-ID:   <a@b>  \r\n\r\n",
	 "Message-ID", "<a@b>"},
	{"folded value", "Message-ID:\r\n <a@b>\r\nSubject: x\r\n\r\n",
	 "Message-ID", "<a@b>"},
	{"folded subject", "Subject: one\r\n two\r\n\tthree\r\nTo: x\r\n\r\n",
	 "Subject", "one two three"},
	{"first of two", "Message-ID: <1@b>\r\nMessage-ID: <2@b>\r\n\r\n",
	 "Message-ID", "<1@b>"},
	{"field in the body only",
	 "Subject: x\r\nTo: y\r\n\r\nMessage-ID: <body@b>\r\n", "Message-ID",
	 NULL},
	{"missing field", "Subject: x\r\nTo: y\r\n\r\n", "Message-ID", NULL},
	{"longer name is another field", "Message-IDs: <a@b>\r\n\r\n",
	 "Message-ID", NULL},
	{"Resent-Message-ID is another field",
	 "Resent-Message-ID: <r@b>\r\n\r\n", "Message-ID", NULL},
	{"name on a continuation line",
	 "X-Foo: a\r\n Message-ID: <no@b>\r\n\r\n", "Message-ID", NULL},
	{"no header section", "\r\nMessage-ID: <a@b>\r\n", "Message-ID", NULL},
	{"empty input", "", "Message-ID", NULL},
	{"bare LF", "Subject: x\nMessage-ID: <a@b>\n\nbody\n", "Message-ID",
	 "<a@b>"},
	{"bare LF folded", "Message-ID:\n\t<a@b>\nTo: y\n\n", "Message-ID",
	 "<a@b>"},
	{"bare LF, body only", "Subject: x\n\nMessage-ID: <a@b>\n",
	 "Message-ID", NULL},
	{"no final newline", "Message-ID: <a@b>", "Message-ID", "<a@b>"},
	{"empty value", "Message-ID:\r\nTo: y\r\n\r\n", "Message-ID", ""},
};

/* test_find - the table */
static void
test_find(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(hs_cases); i++) {
		const struct hs_case *c = hs_cases + i;
		char out[256];
		const char *got;

		memset(out, 'Z', sizeof(out));
		got = header_summary_find(c->hdr, strlen(c->hdr), c->field, out,
					  sizeof(out));
		if ((got == NULL) != (c->want == NULL) ||
		    (got && strcmp(got, c->want) != 0)) {
			print_error("%s: got %s%s%s, want %s%s%s\n", c->name,
				    got ? "\"" : "", got ? got : "NULL",
				    got ? "\"" : "", c->want ? "\"" : "",
				    c->want ? c->want : "NULL",
				    c->want ? "\"" : "");
			failed++;
		} else if (got && (got < out || got >= out + sizeof(out))) {
			print_error("%s: result not in out[]\n", c->name);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_len_bound - only hdr[0..len) is looked at */
static void
test_len_bound(void **state)
{
	static const char hdr[] = "Subject: x\r\nMessage-ID: <a@b>\r\n\r\n";
	char out[64];
	size_t cut = strlen("Subject: x\r\n");
	size_t part = cut + strlen("Message-ID: <a@");

	(void)state;
	assert_null(
		header_summary_find(hdr, cut, "Message-ID", out, sizeof(out)));
	/* A value cut short by len. */
	assert_string_equal(
		header_summary_find(hdr, part, "Message-ID", out, sizeof(out)),
		"<a@");
}

/* test_small_out - a long value is truncated, never overflowing out */
static void
test_small_out(void **state)
{
	static const char hdr[] =
		"Message-ID: <0123456789abcdefghij@example.com>\r\n\r\n";
	char out[16 + 8];
	const char *got;

	(void)state;
	memset(out, 'Z', sizeof(out));
	got = header_summary_find(hdr, strlen(hdr), "Message-ID", out, 16);
	assert_non_null(got);
	assert_true(strlen(got) < 16);
	assert_memory_equal(got, "<0123456789", strlen("<0123456789"));
	for (size_t k = 16; k < sizeof(out); k++)
		assert_int_equal(out[k], 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_len_bound),
		cmocka_unit_test(test_small_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

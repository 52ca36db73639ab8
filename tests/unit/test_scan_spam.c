/*++
/* NAME
/*	test_scan_spam 1
/* SUMMARY
/*	unit tests for scan_spam_uris()
/* DESCRIPTION
/*	The addresses the uri rules see: http://, https:// and www. in any
/*	case, anywhere in the text, each up to white space, a quote, an
/*	angle bracket or a parenthesis; nothing else, and at most max.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "scan/scan_spam.h"
#include "txn/txn.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

static void
test_uris(void **state)
{
	static const struct {
		const char *text;
		const char *want[4];
	} rows[] = {
		{"", {NULL}},
		{"no address here, hardly worth a word", {NULL}},
		{"see http://a.example/x?y=1 now", {"http://a.example/x?y=1"}},
		{"HTTPS://B.example/", {"HTTPS://B.example/"}},
		{"<https://c.example/p>(www.d.example)",
		 {"https://c.example/p", "www.d.example"}},
		{"\"Www.e.example\"'http://f.example'",
		 {"Www.e.example", "http://f.example"}},
		{"whttp://g.example", {"http://g.example"}},
		{"ww.h.example http:/i.example hxxp://j", {NULL}},
		{"tail http://", {"http://"}},
	};
	char err[512];
	struct conf *c = conf_load(NULL, err, sizeof(err));

	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		struct txn *t = txn_create(c, "127.0.0.1", 1);
		const char *got[8];
		size_t n = scan_spam_uris(t, rows[i].text, strlen(rows[i].text),
					  got, N_ELEMS(got)),
		       k;

		for (k = 0; k < N_ELEMS(rows[i].want) && rows[i].want[k]; k++)
			if (k >= n || strcmp(got[k], rows[i].want[k]) != 0)
				fail_msg("row %zu: address %zu is \"%s\", want "
					 "\"%s\"",
					 i, k, k < n ? got[k] : "(none)",
					 rows[i].want[k]);
		if (n != k)
			fail_msg("row %zu: %zu addresses, want %zu", i, n, k);
		txn_free(&t);
	}
	conf_free(&c);
}

/* No more than max, however many the text has. */
static void
test_uris_max(void **state)
{
	char err[512];
	struct conf *c = conf_load(NULL, err, sizeof(err));
	struct txn *t;
	const char *got[3];

	(void)state;
	assert_non_null(c);
	t = txn_create(c, "127.0.0.1", 1);
	assert_int_equal(scan_spam_uris(t, "www.a www.b www.c www.d www.e", 29,
					got, N_ELEMS(got)),
			 3);
	assert_string_equal(got[2], "www.c");
	txn_free(&t);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uris),
		cmocka_unit_test(test_uris_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

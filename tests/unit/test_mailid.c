/*++
/* NAME
/*	test_mailid 1
/* SUMMARY
/*	unit tests for txn/mailid.c: amavis-compatible mail_id/secret_id
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "txn/mailid.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define N_GENERATED 1000

struct mailid_case {
	const char *name;
	const char *mail_id;
	const char *secret_id;
	int want;
};

/* Pairs from amavisd-new (mail_id = b64url(md5(b64url_decode(secret)))). */
static const struct mailid_case mailid_cases[] = {
	{"amavis 1", "SVkZlXL4grl2", "4zvezWTdHF4f", 1},
	{"amavis 2", "uJYV7FxxcABz", "OQt4Swz2wtky", 1},
	{"amavis 3", "zOx2CxNv8wZZ", "Eo4s0WOmC1xj", 1},
	{"wrong secret", "SVkZlXL4grl2", "AAAAAAAAAAAA", 0},
	{"secrets swapped", "uJYV7FxxcABz", "4zvezWTdHF4f", 0},
	{"one char off", "SVkZlXL4grl2", "4zvezWTdHF4g", 0},
	{"mail_id case", "svkzlxl4grl2", "4zvezWTdHF4f", 0},
	{"secret too short", "SVkZlXL4grl2", "4zvezWTdHF4", 0},
	{"secret too long", "SVkZlXL4grl2", "4zvezWTdHF4fA", 0},
	{"secret not base64url", "SVkZlXL4grl2", "4zvezWTdHF4+", 0},
	{"empty secret", "SVkZlXL4grl2", "", 0},
	{"mail_id too long", "SVkZlXL4grl2X", "4zvezWTdHF4f", 0},
	{"empty mail_id", "", "4zvezWTdHF4f", 0},
};

/* test_vectors - the table */
static void
test_vectors(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(mailid_cases); i++) {
		const struct mailid_case *c = mailid_cases + i;
		int got = mailid_check(c->mail_id, c->secret_id) != 0;

		if (got != c->want) {
			print_error("%s: mailid_check(%s, %s) = %d, want %d\n",
				    c->name, c->mail_id, c->secret_id, got,
				    c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* What has the form of a mail_id, and what does not. */
static const struct {
	const char *name;
	const char *id;
	int want;
} valid_cases[] = {
	{"amavis", "SVkZlXL4grl2", 1},
	{"dash and underscore", "-_-_-_-_-_-_", 1},
	{"empty", "", 0},
	{"too short", "SVkZlXL4grl", 0},
	{"too long", "SVkZlXL4grl2X", 0},
	{"base64, not base64url", "SVkZlXL4grl+", 0},
	{"a path", "../../etc/pa", 0},
	{"a dot", "SVkZlXL4grl.", 0},
};

/* test_valid - mailid_valid() over the table */
static void
test_valid(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(valid_cases); i++) {
		int got = mailid_valid(valid_cases[i].id) != 0;

		if (got != valid_cases[i].want) {
			print_error("%s: mailid_valid(%s) = %d, want %d\n",
				    valid_cases[i].name, valid_cases[i].id, got,
				    valid_cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* is_b64url12 - exactly 12 base64url characters */
static int
is_b64url12(const char *s)
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789-_";

	return strlen(s) == 12 && strspn(s, b64url) == 12;
}

/* cmp_id - qsort over 13-byte ids */
static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* test_generated - fresh pairs check out, are well formed and distinct */
static void
test_generated(void **state)
{
	char(*ids)[13] = calloc(N_GENERATED, 13);
	char(*secrets)[13] = calloc(N_GENERATED, 13);

	(void)state;
	assert_non_null(ids);
	assert_non_null(secrets);
	for (size_t i = 0; i < N_GENERATED; i++) {
		assert_int_equal(mailid_generate(ids[i], secrets[i]), 0);
		assert_true(is_b64url12(ids[i]));
		assert_true(is_b64url12(secrets[i]));
		assert_true(mailid_check(ids[i], secrets[i]));
		/* Someone else's secret does not fit. */
		if (i > 0)
			assert_false(mailid_check(ids[i], secrets[i - 1]));
	}
	qsort(ids, N_GENERATED, 13, cmp_id);
	qsort(secrets, N_GENERATED, 13, cmp_id);
	for (size_t i = 1; i < N_GENERATED; i++) {
		assert_string_not_equal(ids[i - 1], ids[i]);
		assert_string_not_equal(secrets[i - 1], secrets[i]);
	}
	free(ids);
	free(secrets);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

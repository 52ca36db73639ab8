/*++
/* NAME
/*	test_quar_env 1
/* SUMMARY
/*	unit tests for quarantine/quar_env.c
/* DESCRIPTION
/*	The round trip: every address SMTP's cmd_parse_path() accepts is
/*	written into an X-Envelope-To-Blocked value (folded as quar.c
/*	folds it, then unfolded as the release unfolds it) and read back
/*	whole by quar_env_list(); values that are not such a list fail
/*	with a reason; quar_env_one() in both modes.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "quarantine/quar_env.h"
#include "smtp/cmd_parse.h"
#include "util/buf.h"
#include "util/pool.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* RCPT TO: arguments an SMTP client may send. */
static const char *const rcpt_args[] = {
	"TO:<a@example.net>",
	"TO:<\"john doe\"@example.net>",
	"TO:<\"x><attacker@evil.example><\"@example.net>",
	"TO:<\"a,b\"@example.net>",
	"TO:<\"a\\\"b>\"@example.net>",
	"TO:<\"back\\\\\"@example.net>",
	"TO:<a b@example.net>",
	"TO:<a<b@example.net>",
	"TO:<j\xc3\xb6rg@example.net>",
	"TO:<@route.example:user@example.net>",
	"TO:bare@example.net",
};

/* test_round_trip - what SMTP accepts reads back from the field */
static void
test_round_trip(void **state)
{
	char addrs[N_ELEMS(rcpt_args)][512];
	struct pool *p = pool_create(1024);
	struct buf field, unfolded;
	char why[200];
	char **v;
	size_t n;

	(void)state;
	buf_init(&field, 256);
	buf_init(&unfolded, 256);
	for (size_t i = 0; i < N_ELEMS(rcpt_args); i++) {
		const char *params;

		assert_int_equal(cmd_parse_path(rcpt_args[i], "TO:", addrs[i],
						sizeof(addrs[i]), &params),
				 CMD_OK);
		assert_true(quar_env_addr_ok(addrs[i]));
		buf_puts(&field, i ? ",\r\n " : " ");
		quar_env_put(&field, addrs[i]);
	}
	for (size_t i = 0; i < field.len; i++)
		if (field.data[i] != '\r' && field.data[i] != '\n')
			buf_append(&unfolded, field.data + i, 1);
	assert_int_equal(
		quar_env_list(p, unfolded.data, &v, &n, why, sizeof(why)), 0);
	assert_int_equal(n, N_ELEMS(rcpt_args));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], addrs[i]);
	buf_release(&unfolded);
	buf_release(&field);
	pool_destroy(&p);
}

/* Addresses that could not be written so that they read back. */
static const char *const not_ok[] = {
	"a\"b@example.net",    /* a quote left open */
	"\"a\\\"@example.net", /* the backslash takes the quote */
	"a>b@example.net",     /* ends the address early */
	"a\r\nb@example.net",  "a\tb@example.net",
};

/* test_addr_not_ok - what the writer refuses */
static void
test_addr_not_ok(void **state)
{
	char big[QUAR_ENV_ADDR_MAX + 2];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(not_ok); i++)
		assert_false(quar_env_addr_ok(not_ok[i]));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_false(quar_env_addr_ok(big));
	big[QUAR_ENV_ADDR_MAX] = 0;
	assert_true(quar_env_addr_ok(big));
}

struct list_case {
	const char *value;
	int ok;
	size_t n;
	const char *first;
};

static const struct list_case list_cases[] = {
	{"", 1, 0, NULL},
	{"  ", 1, 0, NULL},
	{"<a@b>", 1, 1, "a@b"},
	{" <a@b>,  <c@d>", 1, 2, "a@b"},
	{"<\"x><y@z><\"@b>", 1, 1, "\"x><y@z><\"@b"},
	{"<a@b><c@d>", 0, 0, NULL},
	{"a@b", 0, 0, NULL},
	{"<a@b>, c@d", 0, 0, NULL},
	{"<\"a@b>", 0, 0, NULL},
	{"<a@b", 0, 0, NULL},
	{"<a\x01@b>", 0, 0, NULL},
};

/* test_list - good and bad field values */
static void
test_list(void **state)
{
	struct pool *p = pool_create(1024);
	char why[200];
	char **v;
	size_t n;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(list_cases); i++) {
		const struct list_case *c = list_cases + i;
		int rc;

		why[0] = 0;
		rc = quar_env_list(p, c->value, &v, &n, why, sizeof(why));
		assert_int_equal(rc, c->ok ? 0 : -1);
		if (!c->ok) {
			assert_true(why[0] != 0);
			continue;
		}
		assert_int_equal(n, c->n);
		if (c->first)
			assert_string_equal(v[0], c->first);
	}
	pool_destroy(&p);
}

struct one_case {
	const char *value;
	int strict;
	const char *want; /* NULL: refused */
};

static const struct one_case one_cases[] = {
	{"<a@b>", 1, "a@b"},
	{" a@b ", 1, "a@b"},
	{"<>", 1, ""},
	{"<\"john doe\"@b>", 1, "\"john doe\"@b"},
	{"\"john doe\"@b", 1, "\"john doe\"@b"},
	{"a b@c", 1, NULL},
	{"a b@c", 0, NULL},
	{"<a b@c>", 1, NULL},
	{"<a b@c>", 0, "a b@c"},
	{"<a@b><c@d>", 0, NULL},
	{"<a@b>\r\nRCPT TO:<e@x>", 0, NULL},
	{"a@b\r\nx", 1, NULL},
	{"<a@b", 0, NULL},
};

/* test_one - one address, as a client or a copy gives it */
static void
test_one(void **state)
{
	struct pool *p = pool_create(1024);

	(void)state;
	for (size_t i = 0; i < N_ELEMS(one_cases); i++) {
		const struct one_case *c = one_cases + i;
		const char *got = quar_env_one(p, c->value, c->strict);

		if (c->want == NULL)
			assert_null(got);
		else
			assert_string_equal(got ? got : "(null)", c->want);
	}
	pool_destroy(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_addr_not_ok),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*++
/* NAME
/*	test_milter_addr 1
/* SUMMARY
/*	unit tests for milter/milter_addr.c: the address the MTA keeps
/* DESCRIPTION
/*	Each row gives a MAIL or RCPT event's argument as a client may
/*	write it and the form Postfix keeps and compares in delrcpt: the
/*	source route dropped, quotes only where RFC 5321 needs them;
/*	NULL for what is no address or longer than 254 octets.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "milter/milter_addr.h"
#include "util/pool.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct addr_case {
	const char *name;
	const char *in;
	const char *want; /* NULL: refused */
};

static const struct addr_case cases[] = {
	{"plain", "<victim@example.net>", "victim@example.net"},
	{"no brackets", "victim@example.net", "victim@example.net"},
	{"case kept", "<Victim@Example.NET>", "Victim@Example.NET"},
	{"null sender", "<>", ""},
	{"quoted, not needed", "<\"victim\"@example.net>",
	 "victim@example.net"},
	{"partly quoted", "<\"vic\"tim@example.net>", "victim@example.net"},
	{"route", "<@route.example:victim@example.net>", "victim@example.net"},
	{"two hops", "<@a.example,@b.example:victim@example.net>",
	 "victim@example.net"},
	{"route and quotes", "<@r.example:\"strict\"@example.net>",
	 "strict@example.net"},
	{"quotes needed: space", "<\"a b\"@example.net>",
	 "\"a b\"@example.net"},
	{"quotes needed: dots", "<\"a..b\"@example.net>",
	 "\"a..b\"@example.net"},
	{"quotes needed: trailing dot", "<\"a.\"@example.net>",
	 "\"a.\"@example.net"},
	{"escape kept where needed", "<\"a\\\"b\"@example.net>",
	 "\"a\\\"b\"@example.net"},
	{"escape dropped where not", "<\"a\\b\"@example.net>",
	 "ab@example.net"},
	{"at sign quoted", "<\"a@b\"@example.net>", "\"a@b\"@example.net"},
	{"utf-8 local part", "<\xc3\xa9t\xc3\xa9@example.net>",
	 "\xc3\xa9t\xc3\xa9@example.net"},
	{"percent hack kept", "<a%b@example.net>", "a%b@example.net"},
	{"unbalanced quote", "<\"victim@example.net>", NULL},
	{"route without colon", "<@route.example>", NULL},
	{"local part only", "<postmaster>", "postmaster"},
};

/* test_cases - each row of the table */
static void
test_cases(void **state)
{
	struct pool *pool = pool_create(1024);

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		const char *got = milter_addr(pool, cases[i].in);

		if (cases[i].want == NULL) {
			if (got != NULL)
				fail_msg("%s: got \"%s\", want NULL",
					 cases[i].name, got);
		} else if (got == NULL || strcmp(got, cases[i].want) != 0) {
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name,
				 got ? got : "(null)", cases[i].want);
		}
	}
	pool_destroy(&pool);
}

/* test_length - 254 octets pass, 255 are refused, route not counted */
static void
test_length(void **state)
{
	struct pool *pool = pool_create(1024);
	char in[400], want[300];

	(void)state;
	memset(want, 'a', 242);
	memcpy(want + 242, "@example.net", 13); /* 254 octets */
	snprintf(in, sizeof(in), "<%s>", want);
	assert_string_equal(milter_addr(pool, in), want);
	snprintf(in, sizeof(in), "<@a-long-route.example:%s>", want);
	assert_string_equal(milter_addr(pool, in), want);
	snprintf(in, sizeof(in), "<a%s>", want);
	assert_null(milter_addr(pool, in));
	pool_destroy(&pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

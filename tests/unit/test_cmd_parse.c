/*++
/* NAME
/*	test_cmd_parse 1
/* SUMMARY
/*	unit tests for smtp/cmd_parse.c
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/cmd_parse.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* Verbs. */

struct verb_case {
	const char *line;
	enum cmd_verb want;
	const char *want_arg;
};

static const struct verb_case verb_cases[] = {
	{"HELO host", CMD_HELO, "host"},
	{"EHLO  host.example", CMD_EHLO, "host.example"},
	{"LHLO x", CMD_LHLO, "x"},
	{"MAIL FROM:<a@b>", CMD_MAIL, "FROM:<a@b>"},
	{"mail from:<a@b>", CMD_MAIL, "from:<a@b>"},
	{"rCpT TO:<x@y>", CMD_RCPT, "TO:<x@y>"},
	{"DATA", CMD_DATA, ""},
	{"data", CMD_DATA, ""},
	{"RSET", CMD_RSET, ""},
	{"NOOP", CMD_NOOP, ""},
	{"NOOP hello", CMD_NOOP, "hello"},
	{"QUIT", CMD_QUIT, ""},
	{"QUIT ", CMD_QUIT, ""},
	{"XFORWARD NAME=x ADDR=1.2.3.4", CMD_XFORWARD, "NAME=x ADDR=1.2.3.4"},
	{"xforward ADDR=1.2.3.4", CMD_XFORWARD, "ADDR=1.2.3.4"},
	{"VRFY user", CMD_VRFY, "user"},
	{"MAILX FROM:<a@b>", CMD_UNKNOWN, NULL},
	{"MAI FROM:<a@b>", CMD_UNKNOWN, NULL},
	{"STARTTLS", CMD_UNKNOWN, NULL},
	{"BDAT 10 LAST", CMD_UNKNOWN, NULL},
	{"", CMD_UNKNOWN, NULL},
	{" QUIT", CMD_UNKNOWN, NULL},
};

/* test_verbs - the verb table */
static void
test_verbs(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(verb_cases); i++) {
		const struct verb_case *c = verb_cases + i;
		const char *arg = NULL;
		enum cmd_verb v = cmd_parse_verb(c->line, &arg);

		if (v != c->want)
			fail_msg("\"%s\": verb %d, want %d", c->line, (int)v,
				 (int)c->want);
		assert_non_null(arg);
		/* The argument points into the line itself. */
		assert_true(arg >= c->line && arg <= c->line + strlen(c->line));
		if (c->want_arg && strcmp(arg, c->want_arg) != 0)
			fail_msg("\"%s\": arg \"%s\", want \"%s\"", c->line,
				 arg, c->want_arg);
	}
}

/* Paths. */

struct path_case {
	const char *name;
	const char *arg;
	const char *prefix;
	size_t size; /* addr buffer size; 0: 256 */
	enum cmd_result want;
	const char *want_addr; /* when CMD_OK */
	const char *want_params;
};

static const struct path_case path_cases[] = {
	{"plain", "FROM:<a@b>", "FROM:", 0, CMD_OK, "a@b", ""},
	{"space after colon", "FROM: <a@b>", "FROM:", 0, CMD_OK, "a@b", ""},
	{"lower-case prefix", "from:<A@B>", "FROM:", 0, CMD_OK, "A@B", ""},
	{"null sender", "FROM:<>", "FROM:", 0, CMD_OK, "", ""},
	{"null sender with params", "FROM:<> SIZE=10", "FROM:", 0, CMD_OK, "",
	 "SIZE=10"},
	{"params", "FROM:<a@b> SIZE=100 BODY=8BITMIME", "FROM:", 0, CMD_OK,
	 "a@b", "SIZE=100 BODY=8BITMIME"},
	{"params after two spaces", "FROM:<a@b>  SIZE=1", "FROM:", 0, CMD_OK,
	 "a@b", "SIZE=1"},
	{"rcpt", "TO:<x@y> NOTIFY=NEVER", "TO:", 0, CMD_OK, "x@y",
	 "NOTIFY=NEVER"},
	{"rcpt lower case", "to:<x@y>", "TO:", 0, CMD_OK, "x@y", ""},
	{"quoted > inside", "FROM:<\"a>b\"@c>", "FROM:", 0, CMD_OK, "\"a>b\"@c",
	 ""},
	{"quoted space inside", "FROM:<\"a b\"@c> X=1", "FROM:", 0, CMD_OK,
	 "\"a b\"@c", "X=1"},
	{"quoted escaped quote", "FROM:<\"a\\\"b\"@c>", "FROM:", 0, CMD_OK,
	 "\"a\\\"b\"@c", ""},
	{"quoted escaped backslash", "FROM:<\"a\\\\\"@c>", "FROM:", 0, CMD_OK,
	 "\"a\\\\\"@c", ""},
	{"8-bit (SMTPUTF8)", "FROM:<\xc3\xbc@b>", "FROM:", 0, CMD_OK,
	 "\xc3\xbc@b", ""},
	{"bare path", "FROM:a@b", "FROM:", 0, CMD_OK, "a@b", ""},
	{"bare path with params", "FROM:a@b SIZE=5", "FROM:", 0, CMD_OK, "a@b",
	 "SIZE=5"},
	{"source route", "FROM:<@x,@y:u@d>", "FROM:", 0, CMD_OK, "u@d", ""},
	{"source route one hop", "TO:<@x:u@d> NOTIFY=NEVER", "TO:", 0, CMD_OK,
	 "u@d", "NOTIFY=NEVER"},
	{"source route without colon", "FROM:<@x,@y>", "FROM:", 0,
	 CMD_ERR_SYNTAX, NULL, NULL},
	{"missing >", "FROM:<a@b", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"missing > with params", "FROM:<a@b SIZE=1", "FROM:", 0,
	 CMD_ERR_SYNTAX, NULL, NULL},
	{"unterminated quote", "FROM:<\"a@b>", "FROM:", 0, CMD_ERR_SYNTAX, NULL,
	 NULL},
	{"junk after >", "FROM:<a@b>x", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"control char",
	 "FROM:<a\x01"
	 "b@c>",
	 "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"DEL", "FROM:<a\x7f@c>", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"tab", "FROM:<a\tb@c>", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"CR", "FROM:<a\rb@c>", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"control char in bare path",
	 "FROM:a\x02"
	 "b",
	 "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"< in bare path", "FROM:a<b", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"empty", "FROM:", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"only a space", "FROM: ", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"wrong prefix", "TO:<a@b>", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"no colon", "FROM <a@b>", "FROM:", 0, CMD_ERR_SYNTAX, NULL, NULL},
	{"fits exactly", "FROM:<abc>", "FROM:", 4, CMD_OK, "abc", ""},
	{"one too long", "FROM:<abcd>", "FROM:", 4, CMD_ERR_TOOLONG, NULL,
	 NULL},
	{"far too long", "FROM:<abcdefghijklmnopqrstuvwxyz@example.com>",
	 "FROM:", 8, CMD_ERR_TOOLONG, NULL, NULL},
	{"bare path too long", "FROM:abcd", "FROM:", 4, CMD_ERR_TOOLONG, NULL,
	 NULL},
};

/* check_path - one path case; 0 or -1 (reported) */
static int
check_path(const struct path_case *c)
{
	char addr[256 + 1];
	size_t size = c->size ? c->size : 256;
	const char *params = NULL;
	enum cmd_result r;

	memset(addr, 'Z', sizeof(addr));
	r = cmd_parse_path(c->arg, c->prefix, addr, size, &params);
	/* Never a byte written past size. */
	for (size_t k = size; k < sizeof(addr); k++)
		if (addr[k] != 'Z') {
			print_error("%s: wrote past addr[%zu]\n", c->name,
				    size);
			return -1;
		}
	if (r != c->want) {
		print_error("%s: \"%s\": result %d, want %d\n", c->name, c->arg,
			    (int)r, (int)c->want);
		return -1;
	}
	if (r != CMD_OK)
		return 0;
	if (strcmp(addr, c->want_addr) != 0) {
		print_error("%s: addr \"%s\", want \"%s\"\n", c->name, addr,
			    c->want_addr);
		return -1;
	}
	if (params == NULL || params < c->arg ||
	    params > c->arg + strlen(c->arg) ||
	    strcmp(params, c->want_params) != 0) {
		print_error("%s: params \"%s\", want \"%s\"\n", c->name,
			    params ? params : "(null)", c->want_params);
		return -1;
	}
	return 0;
}

/* test_paths - the path table; every failing case is reported */
static void
test_paths(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(path_cases); i++)
		failed += check_path(path_cases + i) < 0;
	assert_int_equal(failed, 0);
}

/* Parameters. */

struct param_case {
	const char *in;
	size_t n;
	const char *kv[8]; /* key, value (NULL: no "="), ... */
};

static const struct param_case param_cases[] = {
	{"", 0, {0}},
	{"   ", 0, {0}},
	{"SIZE=100", 1, {"SIZE", "100"}},
	{"SIZE=100 BODY=8BITMIME", 2, {"SIZE", "100", "BODY", "8BITMIME"}},
	{"  SMTPUTF8   SIZE=1  ", 2, {"SMTPUTF8", NULL, "SIZE", "1"}},
	{"A B= C=x=y", 3, {"A", NULL, "B", "", "C", "x=y"}},
	{"NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@c",
	 2,
	 {"NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;a+2Bb@c"}},
};

/* test_params - cmd_next_param splitting */
static void
test_params(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(param_cases); i++) {
		const struct param_case *c = param_cases + i;
		char line[256];
		char *cursor = line, *key, *value;
		size_t n = 0;

		snprintf(line, sizeof(line), "%s", c->in);
		while (cmd_next_param(&cursor, &key, &value)) {
			if (n >= c->n)
				fail_msg("\"%s\": more than %zu params", c->in,
					 c->n);
			assert_string_equal(key, c->kv[2 * n]);
			if (c->kv[2 * n + 1] == NULL)
				assert_null(value);
			else {
				assert_non_null(value);
				assert_string_equal(value, c->kv[2 * n + 1]);
			}
			n++;
		}
		if (n != c->n)
			fail_msg("\"%s\": %zu params, want %zu", c->in, n,
				 c->n);
		/* Exhausted means exhausted. */
		assert_int_equal(cmd_next_param(&cursor, &key, &value), 0);
	}
}

/* xtext. */

struct xtext_case {
	const char *in;
	int want_rc;
	const char *want; /* decoded, when want_rc == 0 */
};

static const struct xtext_case xdecode_cases[] = {
	{"", 0, ""},	     {"abc", 0, "abc"},
	{"+2B", 0, "+"},     {"a+3Db", 0, "a=b"},
	{"+41+42", 0, "AB"}, {"rfc822;a+2Bb@c", 0, "rfc822;a+b@c"},
	{"+ZZ", -1, NULL},   {"a+Z1", -1, NULL},
	{"a+1Z", -1, NULL},  {"+2", -1, NULL},
	{"+", -1, NULL},     {"x+G0", -1, NULL},
};

struct xencode_case {
	const char *in;
	const char *want;
};

static const struct xencode_case xencode_cases[] = {
	{"", ""},
	{"abc", "abc"},
	{"a+b=c d", "a+2Bb+3Dc+20d"},
	{"\x01\x7f\xff", "+01+7F+FF"},
	{"~!", "~!"},
	{"rfc822;a+b@c", "rfc822;a+2Bb@c"},
};

/* test_xtext_decode - the decode table */
static void
test_xtext_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(xdecode_cases); i++) {
		const struct xtext_case *c = xdecode_cases + i;
		char buf[64];
		int rc;

		snprintf(buf, sizeof(buf), "%s", c->in);
		rc = xtext_decode(buf);
		if (rc != c->want_rc)
			fail_msg("\"%s\": rc %d, want %d", c->in, rc,
				 c->want_rc);
		if (rc == 0)
			assert_string_equal(buf, c->want);
	}
}

/* test_xtext_encode - the encode table, and a round trip of every byte */
static void
test_xtext_encode(void **state)
{
	char all[256], enc[1024], dec[1024];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(xencode_cases); i++) {
		const struct xencode_case *c = xencode_cases + i;

		xtext_encode(c->in, enc, sizeof(enc));
		assert_string_equal(enc, c->want);
		snprintf(dec, sizeof(dec), "%s", enc);
		assert_int_equal(xtext_decode(dec), 0);
		assert_string_equal(dec, c->in);
	}
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = 0;
	xtext_encode(all, enc, sizeof(enc));
	/* xtext is printable ASCII without "=" and with "+" only as escape. */
	for (const char *p = enc; *p; p++) {
		assert_true(*p >= 33 && *p <= 126);
		assert_true(*p != '=');
	}
	snprintf(dec, sizeof(dec), "%s", enc);
	assert_int_equal(xtext_decode(dec), 0);
	assert_string_equal(dec, all);
}

/* test_xtext_encode_short - a small buffer is never overrun */
static void
test_xtext_encode_short(void **state)
{
	static const char in[] = "++++++++++";
	static const char full[] = "+2B+2B+2B+2B+2B+2B+2B+2B+2B+2B";

	(void)state;
	for (size_t size = 1; size < sizeof(full) + 2; size++) {
		char out[64];

		memset(out, 'Z', sizeof(out));
		xtext_encode(in, out, size);
		for (size_t k = size; k < sizeof(out); k++)
			if (out[k] != 'Z')
				fail_msg("size %zu: wrote out[%zu]", size, k);
		assert_true(strlen(out) < size);
		/* A prefix of whole escapes, never half of one. */
		assert_memory_equal(out, full, strlen(out));
		assert_int_equal(strlen(out) % 3, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_xtext_decode),
		cmocka_unit_test(test_xtext_encode),
		cmocka_unit_test(test_xtext_encode_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

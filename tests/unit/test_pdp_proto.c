/*++
/* NAME
/*	test_pdp_proto 1
/* SUMMARY
/*	unit tests for pdp/pdp_proto.c: AM.PDP attribute encoding
/* DESCRIPTION
/*	Encoding of names and values as amavisd-new writes them (space,
/*	%, controls and 8-bit bytes in values; everything but
/*	[0-9A-Za-z_-] in names), a round trip of every byte, parsing of
/*	"name=value" and "name: value" lines with repeats and %XX, and the
/*	refusals: no '=', an empty name, a bad %XX, a decoded NUL.
/*	pdp_split_reply() with and without text.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdp/pdp_proto.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct write_case {
	const char *name;
	const char *attr;
	const char *value;
	const char *want;
};

static const struct write_case write_cases[] = {
	{"plain", "request", "release", "request=release\r\n"},
	{"address kept", "recipient", "<a.b+c@example.com>",
	 "recipient=<a.b+c@example.com>\r\n"},
	{"space and percent", "setreply", "250 2.0.0 100% Ok",
	 "setreply=250%202.0.0%20100%25%20Ok\r\n"},
	{"punctuation kept", "x", "([:]){}~!$&", "x=([:]){}~!$&\r\n"},
	{"controls", "x", "a\r\nb\tc\x7f", "x=a%0D%0Ab%09c%7F\r\n"},
	{"8-bit", "x", "caf\xc3\xa9", "x=caf%C3%A9\r\n"},
	{"name encoded", "a b=c", "v", "a%20b%3Dc=v\r\n"},
	{"name keeps _-", "mail_id-x", "", "mail_id-x=\r\n"},
	{"equals in value kept", "x", "a=b", "x=a=b\r\n"},
};

/* test_write - each case encodes as amavisd-new does */

static void
test_write(void **state)
{
	size_t i;
	struct buf b;

	(void)state;
	for (i = 0; i < N_ELEMS(write_cases); i++) {
		buf_init(&b, 16);
		pdp_write_attr(&b, write_cases[i].attr, write_cases[i].value);
		if (strcmp(b.data, write_cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"",
				 write_cases[i].name, b.data,
				 write_cases[i].want);
		buf_release(&b);
	}
}

/* test_write_setreply - fields encoded one by one, joined by spaces */

static void
test_write_setreply(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	pdp_write_setreply(&b, "450", "4.5.0", "Failure: a\r\nb 100%");
	assert_string_equal(b.data, "setreply=450 4.5.0 "
				    "Failure:%20a%0D%0Ab%20100%25\r\n");
	buf_release(&b);
}

/* test_round_trip - every byte but NUL survives write then parse */

static void
test_round_trip(void **state)
{
	char value[256];
	char name[256];
	struct buf b;
	char *n;
	char *v;
	char err[128];
	int i;

	(void)state;
	for (i = 1; i < 256; i++) {
		value[i - 1] = (char)i;
		name[i - 1] = (char)i;
	}
	value[255] = name[255] = 0;
	buf_init(&b, 16);
	pdp_write_attr(&b, name, value);
	assert_true(b.len > 4);
	assert_memory_equal(b.data + b.len - 2, "\r\n", 2);
	b.data[b.len - 2] = 0;
	/* The encoded line holds no byte that could break framing. */
	assert_null(strchr(b.data, '\r'));
	assert_null(strchr(b.data, '\n'));
	assert_null(strchr(b.data, ' '));
	assert_int_equal(pdp_parse_line(b.data, &n, &v, err, sizeof(err)), 0);
	assert_string_equal(n, name);
	assert_string_equal(v, value);
	buf_release(&b);
}

struct parse_case {
	const char *name;
	const char *line;
	int ret;
	const char *want_name; /* or the expected error's substring */
	const char *want_value;
};

static const struct parse_case parse_cases[] = {
	{"simple", "request=release", 0, "request", "release"},
	{"empty value", "secret_id=", 0, "secret_id", ""},
	{"first = splits", "x=a=b", 0, "x", "a=b"},
	{"decoded value", "setreply=250%202.0.0%20Ok", 0, "setreply",
	 "250 2.0.0 Ok"},
	{"lower-case hex", "x=%c3%a9", 0, "x", "\xc3\xa9"},
	{"decoded name", "a%5Fb=1", 0, "a_b", "1"},
	{"colon form", "request: release", 0, "request", "release"},
	{"colon before =", "x: a=b", 0, "x", "a=b"},
	{"= before colon", "x=a: b", 0, "x", "a: b"},
	{"colon without space", "x:y", -1, "no '='", 0},
	{"no =", "garbage", -1, "no '='", 0},
	{"empty line", "", -1, "no '='", 0},
	{"empty name", "=value", -1, "empty attribute name", 0},
	{"empty name colon", ": value", -1, "empty attribute name", 0},
	{"bad hex", "x=%zz", -1, "bad %XX", 0},
	{"short escape", "x=ab%4", -1, "bad %XX", 0},
	{"percent at end", "x=ab%", -1, "bad %XX", 0},
	{"bad hex in name", "a%g1=b", -1, "bad %XX", 0},
	{"NUL in value", "x=a%00b", -1, "NUL", 0},
	{"NUL in name", "%00=b", -1, "NUL", 0},
	{"encoded CR LF", "x=a%0D%0Ab", 0, "x", "a\r\nb"},
};

/* test_parse - each line splits, decodes or is refused with a reason */

static void
test_parse(void **state)
{
	size_t i;
	char line[256];
	char err[128];
	char *n;
	char *v;
	int ret;

	(void)state;
	for (i = 0; i < N_ELEMS(parse_cases); i++) {
		const struct parse_case *c = parse_cases + i;

		snprintf(line, sizeof(line), "%s", c->line);
		err[0] = 0;
		ret = pdp_parse_line(line, &n, &v, err, sizeof(err));
		if (ret != c->ret)
			fail_msg("%s: returned %d, want %d (%s)", c->name, ret,
				 c->ret, err);
		if (ret == 0) {
			if (strcmp(n, c->want_name) != 0 ||
			    strcmp(v, c->want_value) != 0)
				fail_msg("%s: got \"%s\"=\"%s\"", c->name, n,
					 v);
		} else if (strstr(err, c->want_name) == 0) {
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, err,
				 c->want_name);
		}
	}
}

/* test_repeats - repeated attributes parse one by one, each its own */

static void
test_repeats(void **state)
{
	const char *lines[] = {"recipient=<a@example.com>",
			       "recipient=%3Cb%20c@example.com%3E",
			       "recipient: <d@example.com>"};
	const char *want[] = {"<a@example.com>", "<b c@example.com>",
			      "<d@example.com>"};
	char line[128];
	char err[128];
	char *n;
	char *v;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(lines); i++) {
		snprintf(line, sizeof(line), "%s", lines[i]);
		assert_int_equal(pdp_parse_line(line, &n, &v, err, sizeof(err)),
				 0);
		assert_string_equal(n, "recipient");
		assert_string_equal(v, want[i]);
	}
}

/* test_split_reply - CODE XCODE text, with text or parts missing */

static void
test_split_reply(void **state)
{
	char v1[] = "250 2.0.0 from MTA: 250 2.0.0 Ok";
	char v2[] = "450 4.5.0";
	char v3[] = "250";
	char v4[] = "Ok 2.0.0 text";
	char v5[] = "";
	char *code;
	char *xcode;
	char *text;

	(void)state;
	assert_int_equal(pdp_split_reply(v1, &code, &xcode, &text), 0);
	assert_string_equal(code, "250");
	assert_string_equal(xcode, "2.0.0");
	assert_string_equal(text, "from MTA: 250 2.0.0 Ok");
	assert_int_equal(pdp_split_reply(v2, &code, &xcode, &text), 0);
	assert_string_equal(code, "450");
	assert_string_equal(xcode, "4.5.0");
	assert_string_equal(text, "");
	assert_int_equal(pdp_split_reply(v3, &code, &xcode, &text), 0);
	assert_string_equal(code, "250");
	assert_string_equal(xcode, "");
	assert_string_equal(text, "");
	assert_int_equal(pdp_split_reply(v4, &code, &xcode, &text), -1);
	assert_int_equal(pdp_split_reply(v5, &code, &xcode, &text), -1);
	assert_int_equal(pdp_reply_class("451"), 4);
	assert_int_equal(pdp_reply_class("2000"), 0);
	assert_int_equal(pdp_reply_class("199"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_write_setreply),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_split_reply),
	};

	return (cmocka_run_group_tests(tests, 0, 0));
}

/*++
/* NAME
/*	test_msg 1
/* SUMMARY
/*	unit tests for util/msg.c: the log writer writes one safe line
/* DESCRIPTION
/*	Standard error (the sink before msg_open()) goes to a temporary
/*	file; each case logs one message built from hostile arguments and
/*	compares what the file holds after the "ident[pid]: " prefix.
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

#include "util/msg.h"

struct fixture {
	FILE *file; /* where stderr goes while capturing */
	int saved;  /* the real stderr */
};

/* setup - a temporary file to capture into */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->file = tmpfile()) == NULL)
		return -1;
	*state = f;
	return 0;
}

/* teardown - release the file */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	fclose(f->file);
	free(f);
	return 0;
}

/* capture - from now on, stderr goes to the file */
static void
capture(struct fixture *f)
{
	fflush(stderr);
	assert_int_equal(ftruncate(fileno(f->file), 0), 0);
	rewind(f->file);
	f->saved = dup(2);
	assert_true(f->saved >= 0);
	assert_true(dup2(fileno(f->file), 2) >= 0);
}

/* logged - the real stderr again (for cmocka's reports), and what was
 * written to the file meanwhile */
static char *
logged(struct fixture *f, size_t *len)
{
	off_t end;
	char *text;

	fflush(stderr);
	dup2(f->saved, 2);
	close(f->saved);
	end = lseek(fileno(f->file), 0, SEEK_END);
	assert_true(end >= 0);
	text = calloc(1, (size_t)end + 1);
	assert_non_null(text);
	assert_int_equal(pread(fileno(f->file), text, (size_t)end, 0), end);
	*len = (size_t)end;
	return text;
}

/* body - the text after "ident[pid]: ", without the newline */
static const char *
body(char *text, size_t len)
{
	char *p = strstr(text, "]: ");

	assert_non_null(p);
	assert_true(len > 0 && text[len - 1] == '\n');
	text[len - 1] = 0;
	/* One line: the only newline is the last byte. */
	assert_null(strchr(text, '\n'));
	return p + 3;
}

static const struct {
	const char *name;
	const char *arg;
	const char *want;
} msg_cases[] = {
	{"plain", "a.zip", "banned a.zip here"},
	{"forged line", "notes\r\n250 2.0.0 forged reply\r\nx.scr",
	 "banned notes\\r\\n250 2.0.0 forged reply\\r\\nx.scr here"},
	{"terminal escape", "\x1b]0;owned\x07",
	 "banned \\x1b]0;owned\\x07 here"},
	{"DEL and 8-bit", "a\x7f\xff", "banned a\\x7f\\xff here"},
	{"UTF-8 kept", "r\xc3\xa9sum\xc3\xa9.pdf",
	 "banned r\xc3\xa9sum\xc3\xa9.pdf here"},
	{"overlong escaped", "\xc0\xae\xc0\xae",
	 "banned \\xc0\\xae\\xc0\\xae here"},
};

/* test_escaped - hostile arguments give one safe line */
static void
test_escaped(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(msg_cases) / sizeof(*msg_cases); i++) {
		size_t len;
		char *text;

		capture(f);
		msg_info("banned %s here", msg_cases[i].arg);
		text = logged(f, &len);
		if (strcmp(body(text, len), msg_cases[i].want) != 0)
			fail_msg("%s: logged \"%s\"", msg_cases[i].name, text);
		free(text);
	}
}

/* test_tag - the level tag stays in front */
static void
test_tag(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *text;

	capture(f);
	msg_warn("next hop said %s", "550\r\n");
	text = logged(f, &len);
	assert_string_equal(body(text, len),
			    "warning: next hop said 550\\r\\n");
	free(text);
}

/* test_bounded - a huge argument gives a bounded, marked line */
static void
test_bounded(void **state)
{
	struct fixture *f = *state;
	size_t big = 100000, len;
	char *arg = malloc(big + 1), *text;
	const char *b;

	assert_non_null(arg);
	/* Escapes all the way: each byte would take four. */
	memset(arg, '\x01', big);
	arg[big] = 0;
	capture(f);
	msg_info("id: %s", arg);
	text = logged(f, &len);
	b = body(text, len);
	assert_true(strlen(b) < 8192);
	assert_true(strlen(b) > 8000);
	assert_memory_equal(b, "id: \\x01", 8);
	assert_string_equal(b + strlen(b) - 7, "\\x01...");
	free(text);
	free(arg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

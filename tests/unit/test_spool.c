/*++
/* NAME
/*	test_spool 1
/* SUMMARY
/*	unit tests for spool_header()
/* DESCRIPTION
/*	The header section of a spooled message, read in steps: through the
/*	CR LF before the empty line wherever that line falls (also across
/*	the first 8 KiB read), the first max bytes when there is none, and
/*	appended to what the buffer already holds.
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

#include "spool/spool.h"
#include "util/buf.h"

/* spooled - a committed spool holding len bytes of text */
static struct spool *
spooled(const char *text, size_t len)
{
	static unsigned n;
	char err[256], id[32];
	struct spool *sp;

	snprintf(id, sizeof(id), "test_spool.%ld.%u", (long)getpid(), n++);
	sp = spool_create("/tmp", id, err, sizeof(err));
	if (sp == NULL)
		fail_msg("spool_create: %s", err);
	spool_write(sp, text, len);
	assert_int_equal(spool_commit(sp, err, sizeof(err)), 0);
	return sp;
}

/* header_of - spool_header() over text into a fresh buffer */
static int
header_of(const char *text, size_t len, size_t max, struct buf *out)
{
	struct spool *sp = spooled(text, len);
	int rc;

	buf_init(out, 16);
	rc = spool_header(sp, max, out);
	spool_remove(&sp);
	return rc;
}

static void
test_short(void **state)
{
	static const struct {
		const char *text;
		int want_rc;
		const char *want;
	} rows[] = {
		{"Subject: a\r\n\r\nbody\r\n", 1, "Subject: a\r\n"},
		{"A: 1\r\nB: 2\r\n\r\n\r\n", 1, "A: 1\r\nB: 2\r\n"},
		{"\r\n\r\nbody", 1, "\r\n"},
		{"Subject: no body\r\n", 0, "Subject: no body\r\n"},
		{"", 0, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct buf out;
		int rc = header_of(rows[i].text, strlen(rows[i].text), 1 << 20,
				   &out);

		if (rc != rows[i].want_rc || strcmp(out.data, rows[i].want))
			fail_msg("row %zu: rc %d \"%s\"", i, rc, out.data);
		buf_release(&out);
	}
}

/* The empty line at every position around the first read's end. */
static void
test_across_reads(void **state)
{
	const size_t size = 20000;
	char *text = malloc(size);

	(void)state;
	for (size_t at = 8192 - 6; at <= 8192 + 2; at++) {
		struct buf out;

		memset(text, 'h', size);
		memcpy(text + at, "\r\n\r\n", 4);
		assert_int_equal(header_of(text, size, 1 << 20, &out), 1);
		if (out.len != at + 2)
			fail_msg("empty line at %zu: %zu bytes", at, out.len);
		buf_release(&out);
	}
	free(text);
}

/* No more than max bytes, and what the buffer held stays. */
static void
test_max_and_append(void **state)
{
	const char *text = "Subject: long header line\r\n\r\nbody\r\n";
	struct spool *sp = spooled(text, strlen(text));
	struct buf out;

	(void)state;
	buf_init(&out, 16);
	buf_puts(&out, "kept|");
	assert_int_equal(spool_header(sp, 10, &out), 0);
	assert_string_equal(out.data, "kept|Subject: l");
	buf_reset(&out);
	buf_puts(&out, "kept|");
	assert_int_equal(spool_header(sp, 1 << 20, &out), 1);
	assert_string_equal(out.data, "kept|Subject: long header line\r\n");
	buf_release(&out);
	spool_remove(&sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_across_reads),
		cmocka_unit_test(test_max_and_append),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*++
/* NAME
/*	test_scan_gzname 1
/* SUMMARY
/*	unit tests for scan/scan_gzname.c: the name a gzip header stores
/* DESCRIPTION
/*	Headers put together byte by byte: with and without FNAME, with an
/*	extra field before the name, reserved flags; every truncation of a
/*	header is SHORT (or NONE before the flags), never a name read past
/*	the bytes given (each copy is exactly as long as the cut, so that
/*	a sanitizer sees a read past it); a name longer than the bound.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/scan_gzname.h"

/* header - a gzip header with flags, an extra field of xlen, a name */
static size_t
header(unsigned char *out, unsigned flags, size_t xlen, const char *name)
{
	size_t n = 0;

	out[n++] = 0x1f;
	out[n++] = 0x8b;
	out[n++] = 8;
	out[n++] = (unsigned char)flags;
	memset(out + n, 0, 6); /* MTIME, XFL, OS */
	n += 6;
	if (flags & 0x04) {
		out[n++] = (unsigned char)(xlen & 0xff);
		out[n++] = (unsigned char)(xlen >> 8);
		memset(out + n, 'X', xlen);
		n += xlen;
	}
	if (name) {
		memcpy(out + n, name, strlen(name) + 1);
		n += strlen(name) + 1;
	}
	/* Deflate data would follow: a few bytes of it. */
	memcpy(out + n, "\x03\x00\x00\x00", 4);
	return n + 4;
}

/* test_name - FNAME, with and without an extra field before it */
static void
test_name(void **state)
{
	unsigned char buf[256];
	const char *name;
	size_t len, n;

	(void)state;
	n = header(buf, 0x08, 0, "evil.exe");
	assert_int_equal(scan_gzname(buf, n, &name, &len), SCAN_GZNAME_FOUND);
	assert_int_equal(len, 8);
	assert_memory_equal(name, "evil.exe", 8);
	/* FEXTRA, FHCRC and FCOMMENT set too: the extra field skipped. */
	n = header(buf, 0x08 | 0x04 | 0x02 | 0x10, 17, "dir/a b.exe");
	assert_int_equal(scan_gzname(buf, n, &name, &len), SCAN_GZNAME_FOUND);
	assert_int_equal(len, 11);
	assert_memory_equal(name, "dir/a b.exe", 11);
}

/* test_none - no FNAME, an empty one, not a gzip, reserved flags */
static void
test_none(void **state)
{
	unsigned char buf[256];
	const char *name = NULL;
	size_t len = 0, n;

	(void)state;
	n = header(buf, 0x04, 3, NULL);
	assert_int_equal(scan_gzname(buf, n, &name, &len), SCAN_GZNAME_NONE);
	n = header(buf, 0x08, 0, "");
	assert_int_equal(scan_gzname(buf, n, &name, &len), SCAN_GZNAME_NONE);
	n = header(buf, 0x08 | 0x20, 0, "evil.exe");
	assert_int_equal(scan_gzname(buf, n, &name, &len), SCAN_GZNAME_NONE);
	n = header(buf, 0x08, 0, "evil.exe");
	buf[2] = 7; /* not deflate */
	assert_int_equal(scan_gzname(buf, n, &name, &len), SCAN_GZNAME_NONE);
	assert_int_equal(
		scan_gzname((const unsigned char *)"PK\3\4", 4, &name, &len),
		SCAN_GZNAME_NONE);
	assert_int_equal(scan_gzname(buf, 0, &name, &len), SCAN_GZNAME_NONE);
	assert_null(name);
}

/* test_truncated - every cut of a header: no name read past the cut */
static void
test_truncated(void **state)
{
	unsigned char buf[512];
	size_t n, name_at, name_end;

	(void)state;
	n = header(buf, 0x08 | 0x04, 200, "evil.exe");
	name_at = 10 + 2 + 200;
	name_end = name_at + 8; /* its NUL */
	for (size_t cut = 0; cut <= name_end; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		const char *name;
		size_t len;
		enum scan_gzname_status st;

		memcpy(copy, buf, cut);
		st = scan_gzname(copy, cut, &name, &len);
		if (cut < 4)
			assert_int_equal(st, SCAN_GZNAME_NONE);
		else
			assert_int_equal(st, SCAN_GZNAME_SHORT);
		free(copy);
	}
	{
		const char *name;
		size_t len;

		assert_int_equal(scan_gzname(buf, name_end + 1, &name, &len),
				 SCAN_GZNAME_FOUND);
		assert_int_equal(len, 8);
	}
	(void)n;
}

/* test_long - a name past SCAN_GZNAME_MAX is SHORT; at it, found */
static void
test_long(void **state)
{
	size_t size = SCAN_GZNAME_HEAD + 64;
	unsigned char *buf = malloc(size);
	char *name = malloc(SCAN_GZNAME_MAX + 2);
	const char *got;
	size_t len;

	(void)state;
	memset(name, 'a', SCAN_GZNAME_MAX);
	name[SCAN_GZNAME_MAX] = '\0';
	header(buf, 0x08, 0, name);
	assert_int_equal(scan_gzname(buf, size, &got, &len), SCAN_GZNAME_FOUND);
	assert_int_equal(len, SCAN_GZNAME_MAX);
	memset(name, 'a', SCAN_GZNAME_MAX + 1);
	name[SCAN_GZNAME_MAX + 1] = '\0';
	header(buf, 0x08, 0, name);
	assert_int_equal(scan_gzname(buf, size, &got, &len), SCAN_GZNAME_SHORT);
	/* The largest extra field, then a name: within the head. */
	header(buf, 0x08 | 0x04, 65535, "evil.exe");
	assert_int_equal(scan_gzname(buf, SCAN_GZNAME_HEAD, &got, &len),
			 SCAN_GZNAME_FOUND);
	assert_memory_equal(got, "evil.exe", 8);
	free(name);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

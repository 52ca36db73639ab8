/*++
/* NAME
/*	test_scan_zipdir 1
/* SUMMARY
/*	unit tests for scan/scan_zipdir.c: every name a zip gives a member
/* DESCRIPTION
/*	Zips are put together here byte by byte, so that each name can
/*	differ: central directory, local header, Unicode Path fields beside
/*	either; a self-extractor's prefix; zip64 end records and offsets.
/*	Hostile input: every truncation and every single-byte change of a
/*	zip is read without reading out of bounds (each name given lies in
/*	the file) and every truncation is malformed; fields that point
/*	outside the file, names longer than their entry, more entries than
/*	allowed.
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

#include "scan/scan_zipdir.h"
#include "util/safe.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define ZIP_MAX 4096
#define SIZE(i) ((i) == 0 && payload ? (uint32_t)payload->len : 2)

/* A zip being put together. */
struct zip {
	unsigned char b[ZIP_MAX];
	size_t len;
};

/* A member: each name, and Unicode Path fields (NULL: none). */
struct member {
	const char *central;
	const char *local;
	const char *central_upath;
	const char *local_upath;
};

static void
put(struct zip *z, const void *p, size_t n)
{
	assert_true(z->len + n <= ZIP_MAX);
	memcpy(z->b + z->len, p, n);
	z->len += n;
}

static void
put16(struct zip *z, unsigned v)
{
	unsigned char p[2] = {v & 0xff, (v >> 8) & 0xff};

	put(z, p, 2);
}

static void
put32(struct zip *z, uint32_t v)
{
	put16(z, v & 0xffff);
	put16(z, v >> 16);
}

static void
put64(struct zip *z, uint64_t v)
{
	put32(z, (uint32_t)v);
	put32(z, (uint32_t)(v >> 32));
}

/* upath - a Unicode Path extra field for name (or nothing) */
static size_t
upath(unsigned char *out, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (name == NULL)
		return 0;
	out[0] = 0x75;
	out[1] = 0x70;
	out[2] = (n + 5) & 0xff;
	out[3] = (n + 5) >> 8;
	out[4] = 1;
	memset(out + 5, 0, 4); /* the CRC is not checked */
	memcpy(out + 9, name, n);
	return n + 9;
}

/*
 * make_zip_with - members after prefix bytes of junk; zip64: the end
 * record in its zip64 form and offsets in zip64 fields; the first
 * member's data is payload when not NULL ("hi" otherwise)
 */
static void
make_zip_with(struct zip *z, const struct member *m, size_t n, size_t prefix,
	      int zip64, const struct zip *payload)
{
	uint32_t offsets[8];
	size_t listed = 0;
	unsigned char extra[300];
	size_t cd_start, cd_len, e64;

	z->len = 0;
	for (size_t i = 0; i < prefix; i++)
		put(z, "x", 1);
	for (size_t i = 0; i < n; i++) {
		size_t x = upath(extra, m[i].local_upath);

		offsets[i] = (uint32_t)(z->len - prefix);
		put32(z, 0x04034b50);
		put16(z, 20);
		put16(z, 0);
		put16(z, 0);
		put32(z, 0);
		put32(z, 0);
		put32(z, SIZE(i));
		put32(z, SIZE(i));
		put16(z, strlen(m[i].local));
		put16(z, x);
		put(z, m[i].local, strlen(m[i].local));
		put(z, extra, x);
		if (i == 0 && payload)
			put(z, payload->b, payload->len);
		else
			put(z, "hi", 2);
	}
	for (size_t i = 0; i < n; i++)
		listed += m[i].central != NULL;
	cd_start = z->len;
	for (size_t i = 0; i < n; i++) {
		size_t x = upath(extra, m[i].central_upath);

		if (m[i].central == NULL)
			continue; /* a local header no entry lists */
		if (zip64) {
			extra[x] = 1;
			extra[x + 1] = 0;
			extra[x + 2] = 8;
			extra[x + 3] = 0;
			for (int k = 0; k < 8; k++)
				extra[x + 4 + k] =
					k < 4 ? offsets[i] >> (8 * k) & 0xff
					      : 0;
			x += 12;
		}
		put32(z, 0x02014b50);
		put16(z, 20);
		put16(z, 20);
		put16(z, 0);
		put16(z, 0);
		put32(z, 0);
		put32(z, 0);
		put32(z, SIZE(i));
		put32(z, SIZE(i));
		put16(z, strlen(m[i].central));
		put16(z, x);
		put16(z, 0);
		put16(z, 0);
		put16(z, 0);
		put32(z, 0);
		put32(z, zip64 ? 0xffffffffu : offsets[i]);
		put(z, m[i].central, strlen(m[i].central));
		put(z, extra, x);
	}
	cd_len = z->len - cd_start;
	if (zip64) {
		e64 = z->len;
		put32(z, 0x06064b50);
		put64(z, 44);
		put16(z, 45);
		put16(z, 45);
		put32(z, 0);
		put32(z, 0);
		put64(z, n);
		put64(z, n);
		put64(z, cd_len);
		put64(z, cd_start - prefix);
		put32(z, 0x07064b50);
		put32(z, 0);
		put64(z, e64 - prefix); /* as tools write it */
		put32(z, 1);
	}
	put32(z, 0x06054b50);
	put16(z, 0);
	put16(z, 0);
	put16(z, zip64 ? 0xffff : listed);
	put16(z, zip64 ? 0xffff : listed);
	put32(z, zip64 ? 0xffffffffu : cd_len);
	put32(z, zip64 ? 0xffffffffu : (uint32_t)(cd_start - prefix));
	put16(z, 0);
}

/* make_zip - make_zip_with, every member's data "hi" */
static void
make_zip(struct zip *z, const struct member *m, size_t n, size_t prefix,
	 int zip64)
{
	make_zip_with(z, m, n, prefix, zip64, NULL);
}

/* What the reader gave. */
struct got {
	char names[8][300];
	enum scan_zipdir_from from[8];
	int n;
	int stop_at; /* each() returns 1 at this name (-1: never) */
	const unsigned char *file;
	size_t file_len;
};

static int
each(void *ctx, const char *name, size_t len, enum scan_zipdir_from from)
{
	struct got *g = ctx;

	/* A name given is bytes of the file: never read past it. */
	if (g->file) {
		assert_true(len < g->file_len);
		if (len > 0)
			assert_non_null(
				memmem(g->file, g->file_len, name, len));
	}
	if (g->n < 8) {
		assert_true(len < sizeof(g->names[0]));
		memcpy(g->names[g->n], name, len);
		g->names[g->n][len] = 0;
		g->from[g->n] = from;
	}
	return g->n++ == g->stop_at;
}

/* run - the reader over buf as a file */
static enum scan_zipdir_status
run(const unsigned char *buf, size_t len, long max, struct got *g)
{
	FILE *f = tmpfile();
	enum scan_zipdir_status st;

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fflush(f);
	st = scan_zipdir_names(fileno(f), (off_t)len, max, each, g);
	fclose(f);
	return st;
}

struct names_case {
	const char *what;
	struct member m[2];
	size_t n;
	size_t prefix;
	int zip64;
	const char *want[5]; /* in order: central, upath, local, upath */
};

static const struct names_case names_cases[] = {
	{"one name, given once",
	 {{"a.txt", "a.txt", NULL, NULL}},
	 1,
	 0,
	 0,
	 {"a.txt"}},
	{"central directory and local header differ",
	 {{"invoice.exe", "invoice.txt", NULL, NULL}},
	 1,
	 0,
	 0,
	 {"invoice.exe", "invoice.txt", NULL, NULL}},
	{"Unicode Path hides the name",
	 {{"invoice.exe", "invoice.exe", "invoice.txt", "invoice.txt"}},
	 1,
	 0,
	 0,
	 {"invoice.exe", "invoice.txt", NULL, NULL}},
	{"four names",
	 {{"c.txt", "l.txt", "cu.exe", "lu.exe"}},
	 1,
	 0,
	 0,
	 {"c.txt", "cu.exe", "l.txt", "lu.exe"}},
	{"two members",
	 {{"a.txt", "a.txt", NULL, NULL}, {"b.exe", "b.exe", NULL, NULL}},
	 2,
	 0,
	 0,
	 {"a.txt", "b.exe", NULL, NULL}},
	{"self-extractor prefix",
	 {{"a.txt", "a.txt", NULL, NULL}, {"b.exe", "b.exe", NULL, NULL}},
	 2,
	 100,
	 0,
	 {"a.txt", "b.exe", NULL, NULL}},
	{"zip64",
	 {{"a.txt", "a.txt", NULL, NULL}, {"b.exe", "b.exe", NULL, NULL}},
	 2,
	 0,
	 1,
	 {"a.txt", "b.exe", NULL, NULL}},
	{"zip64 after a prefix",
	 {{"x.txt", "y.txt", NULL, NULL}},
	 1,
	 33,
	 1,
	 {"x.txt", "y.txt", NULL, NULL}},
	{"names not UTF-8",
	 {{"\x82vil.exe", "\x82vil.exe", NULL, NULL}},
	 1,
	 0,
	 0,
	 {"\x82vil.exe"}},
};

static void
test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(names_cases); i++) {
		const struct names_case *c = names_cases + i;
		struct zip z;
		struct got g = {.stop_at = -1};
		size_t want = 0;

		make_zip(&z, c->m, c->n, c->prefix, c->zip64);
		g.file = z.b;
		g.file_len = z.len;
		print_message("%s\n", c->what);
		assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
		while (want < N_ELEMS(c->want) && c->want[want])
			want++;
		assert_int_equal(g.n, (int)want);
		for (size_t k = 0; k < want; k++)
			assert_string_equal(g.names[k], c->want[k]);
	}
}

static void
test_from(void **state)
{
	struct member m = {"c.txt", "l.txt", "cu.exe", "lu.exe"};
	struct zip z;
	struct got g = {.stop_at = -1};

	(void)state;
	make_zip(&z, &m, 1, 0, 0);
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.from[0], SCAN_ZIPDIR_CENTRAL);
	assert_int_equal(g.from[1], SCAN_ZIPDIR_CENTRAL_UNICODE);
	assert_int_equal(g.from[2], SCAN_ZIPDIR_LOCAL);
	assert_int_equal(g.from[3], SCAN_ZIPDIR_LOCAL_UNICODE);
}

static void
test_stop_and_many(void **state)
{
	struct member m[2] = {{"a.txt", "a.txt", NULL, NULL},
			      {"b.exe", "b.exe", NULL, NULL}};
	struct zip z;
	struct got g = {.stop_at = 0};

	(void)state;
	make_zip(&z, m, 2, 0, 0);
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_STOP);
	assert_int_equal(g.n, 1);
	g = (struct got){.stop_at = -1};
	assert_int_equal(run(z.b, z.len, 1, &g), SCAN_ZIPDIR_MANY);
	g = (struct got){.stop_at = -1};
	assert_int_equal(run(z.b, z.len, 2, &g), SCAN_ZIPDIR_OK);
}

/* An empty zip: its end record alone. */
static void
test_empty(void **state)
{
	struct zip z;
	struct got g = {.stop_at = -1};

	(void)state;
	make_zip(&z, NULL, 0, 0, 0);
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 0);
	assert_int_equal(run((const unsigned char *)"", 0, 10, &g),
			 SCAN_ZIPDIR_BAD);
	assert_int_equal(
		run((const unsigned char *)"PK\3\4 not a zip", 15, 10, &g),
		SCAN_ZIPDIR_BAD);
}

/* Every truncation is malformed; nothing is read past the end. */
static void
test_truncated(void **state)
{
	struct member m[2] = {{"a.txt", "a.txt", "u.txt", NULL},
			      {"b.exe", "b.exe", NULL, NULL}};
	struct zip z;

	(void)state;
	for (int zip64 = 0; zip64 < 2; zip64++) {
		make_zip(&z, m, 2, 0, zip64);
		for (size_t len = 0; len < z.len; len++) {
			struct got g = {
				.stop_at = -1, .file = z.b, .file_len = len};

			assert_int_equal(run(z.b, len, 10, &g),
					 SCAN_ZIPDIR_BAD);
		}
	}
}

/* Any one byte changed: read, or found malformed, never out of bounds. */
static void
test_mutated(void **state)
{
	static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	struct member m[2] = {{"a.txt", "a.txt", "u.txt", "v.txt"},
			      {"b.exe", "b.exe", NULL, NULL}};
	struct zip z, bad;

	(void)state;
	for (int zip64 = 0; zip64 < 2; zip64++) {
		make_zip(&z, m, 2, 0, zip64);
		for (size_t i = 0; i < z.len; i++)
			for (size_t v = 0; v < N_ELEMS(values); v++) {
				struct got g = {.stop_at = -1};
				enum scan_zipdir_status st;

				bad = z;
				bad.b[i] = values[v];
				st = run(bad.b, bad.len, 10, &g);
				assert_true(st == SCAN_ZIPDIR_OK ||
					    st == SCAN_ZIPDIR_BAD);
			}
	}
}

/* Lengths that point past their entry or the file. */
static void
test_lengths_past_the_end(void **state)
{
	struct member m = {"a.txt", "a.txt", NULL, NULL};
	struct zip z, bad;
	struct got g = {.stop_at = -1};
	size_t cd, eocd;

	(void)state;
	make_zip(&z, &m, 1, 0, 0);
	cd = 30 + 5 + 2;
	eocd = z.len - 22;
	/* The central entry's name length past the directory. */
	bad = z;
	bad.b[cd + 28] = 0xff;
	assert_int_equal(run(bad.b, bad.len, 10, &g), SCAN_ZIPDIR_BAD);
	/* The local header's offset past the file. */
	bad = z;
	bad.b[cd + 42] = 0xf0;
	assert_int_equal(run(bad.b, bad.len, 10, &g), SCAN_ZIPDIR_BAD);
	/* The local header's name length past the file. */
	bad = z;
	bad.b[26] = 0xff;
	bad.b[27] = 0xff;
	assert_int_equal(run(bad.b, bad.len, 10, &g), SCAN_ZIPDIR_BAD);
	/* The directory's size larger than what lies before the record. */
	bad = z;
	bad.b[eocd + 12] = 0xff;
	bad.b[eocd + 13] = 0xff;
	assert_int_equal(run(bad.b, bad.len, 10, &g), SCAN_ZIPDIR_BAD);
	/* Its offset past where it is. */
	bad = z;
	bad.b[eocd + 16] = 0xff;
	assert_int_equal(run(bad.b, bad.len, 10, &g), SCAN_ZIPDIR_BAD);
}

/* A Unicode Path field too short, or cut short: names nothing. */
static void
test_short_upath(void **state)
{
	struct member m = {"a.txt", "a.txt", "u.exe", NULL};
	struct zip z;
	struct got g = {.stop_at = -1};
	size_t cd = 30 + 5 + 2;

	(void)state;
	make_zip(&z, &m, 1, 0, 0);
	/* The field says 4 bytes: less than its version and CRC. */
	z.b[cd + 46 + 5 + 2] = 4;
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names[0], "a.txt");
	/* The field says more than the extra field holds. */
	g = (struct got){.stop_at = -1};
	z.b[cd + 46 + 5 + 2] = 200;
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 1);
}

/* comment - append bytes as the comment of the zip's end record */
static void
comment(struct zip *z, const unsigned char *bytes, size_t len)
{
	z->b[z->len - 2] = len & 0xff;
	z->b[z->len - 1] = len >> 8;
	put(z, bytes, len);
}

/*
 * A comment that holds a whole zip: a program that takes the last end
 * record lists its members; one that checks the comment's length, the
 * outer zip's. Both are read.
 */
static void
test_zip_in_the_comment(void **state)
{
	struct member outer[2] = {{"a.txt", "a.txt", NULL, NULL},
				  {"b.txt", "b.txt", NULL, NULL}};
	struct member inner = {"evil.exe", "evil.exe", NULL, NULL};
	struct zip z, in;
	struct got g = {.stop_at = -1};

	(void)state;
	make_zip(&in, &inner, 1, 0, 0);
	make_zip(&z, outer, 2, 0, 0);
	comment(&z, in.b, in.len);
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.names[0], "evil.exe");
	assert_string_equal(g.names[1], "a.txt");
	assert_string_equal(g.names[2], "b.txt");
}

/* A local header no entry lists: a streaming extractor shows it. */
static void
test_unlisted(void **state)
{
	struct member m[3] = {{"a.txt", "a.txt", NULL, NULL},
			      {NULL, "evil.exe", NULL, "evil.scr"},
			      {"b.txt", "b.txt", NULL, NULL}};
	struct zip z;
	struct got g = {.stop_at = -1};

	(void)state;
	make_zip(&z, m, 3, 0, 0);
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.names[0], "a.txt");
	assert_string_equal(g.names[1], "b.txt");
	assert_string_equal(g.names[2], "evil.exe");
	assert_int_equal(g.from[2], SCAN_ZIPDIR_UNLISTED);
	assert_string_equal(g.names[3], "evil.scr");
	/* Unlisted headers count against max_entries too. */
	g = (struct got){.stop_at = -1};
	assert_int_equal(run(z.b, z.len, 2, &g), SCAN_ZIPDIR_OK);
	g = (struct got){.stop_at = -1};
	assert_int_equal(run(z.b, z.len, 1, &g), SCAN_ZIPDIR_MANY);
}

/*
 * A zip stored in a listed member: walked as that member, not listed
 * again; unless the local header says its data ends sooner (where a
 * streaming extractor looks for the next header).
 */
static void
test_stored_zip_in_a_member(void **state)
{
	struct member outer = {"in.zip", "in.zip", NULL, NULL};
	struct member inner = {"in.exe", "in.exe", NULL, NULL};
	struct zip z, in;
	struct got g = {.stop_at = -1};

	(void)state;
	make_zip(&in, &inner, 1, 0, 0);
	make_zip_with(&z, &outer, 1, 0, 0, &in);
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names[0], "in.zip");
	/* The local header says 2 bytes: the inner header starts in them. */
	z.b[18] = 2;
	z.b[19] = z.b[20] = z.b[21] = 0;
	g = (struct got){.stop_at = -1};
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 1);
	/* It says none: a streaming extractor reads the inner header next. */
	z.b[18] = 0;
	g = (struct got){.stop_at = -1};
	assert_int_equal(run(z.b, z.len, 10, &g), SCAN_ZIPDIR_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.names[1], "in.exe");
	assert_int_equal(g.from[1], SCAN_ZIPDIR_UNLISTED);
}

/* More end records that reach the end than are read: malformed. */
static void
test_too_many_end_records(void **state)
{
	struct member m = {"a.txt", "a.txt", NULL, NULL};
	struct zip z, in;

	(void)state;
	for (int levels = 1; levels <= 5; levels++) {
		struct got g = {.stop_at = -1};

		make_zip(&in, &m, 1, 0, 0);
		for (int i = 1; i < levels; i++) {
			make_zip(&z, &m, 1, 0, 0);
			comment(&z, in.b, in.len);
			in = z;
		}
		assert_int_equal(run(in.b, in.len, 10, &g),
				 levels <= 4 ? SCAN_ZIPDIR_OK
					     : SCAN_ZIPDIR_BAD);
		if (levels <= 4)
			assert_int_equal(g.n, levels);
	}
}

/* safe_name_text: names in any charset made UTF-8 to match. */
static void
test_safe_name_text(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{"evil.exe", 8, "evil.exe"},
		{"\xc3\xa9vil.exe", 9, "\xc3\xa9vil.exe"},
		{"\x82vil.exe", 8, "\\x82vil.exe"},
		{"\x83\x74\x83\x40\x83\x43\x83\x8b.exe", 12,
		 "\\x83t\\x83@\\x83C\\x83\\x8b.exe"}, /* Shift_JIS */
		{"a\0b.exe", 7, "a\\x00b.exe"},
		{"a.exe\r\n", 7, "a.exe\r\n"},
		{"\xe2\x80\xae"
		 "exe.txt",
		 10,
		 "\xe2\x80\xae"
		 "exe.txt"},
		{"\xed\xa0\x80.exe", 7, "\\xed\\xa0\\x80.exe"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		assert_int_equal(safe_name_text(out, sizeof(out), cases[i].in,
						cases[i].len),
				 cases[i].len);
		assert_string_equal(out, cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_from),
		cmocka_unit_test(test_stop_and_many),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutated),
		cmocka_unit_test(test_lengths_past_the_end),
		cmocka_unit_test(test_short_upath),
		cmocka_unit_test(test_zip_in_the_comment),
		cmocka_unit_test(test_unlisted),
		cmocka_unit_test(test_stored_zip_in_a_member),
		cmocka_unit_test(test_too_many_end_records),
		cmocka_unit_test(test_safe_name_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

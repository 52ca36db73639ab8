/*++
/* NAME
/*	test_mime_tnef 1
/* SUMMARY
/*	unit tests for mime/mime_tnef.c: the files in Outlook's TNEF
/* DESCRIPTION
/*	A TNEF stream built here (MS-OXTNEF framing; a subject longer than
/*	libytnef 2.0 takes) gives each file with
/*	its title, or its long file name (PR_ATTACH_LONG_FILENAME) and the
/*	title as the other name, and its data; the signature is told by
/*	the head; a stream cut short, with a frame past its end, or with
/*	more files than allowed is not read (-1 and why); a callback that
/*	returns non-zero stops the reading.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <malloc.h>

#include "mime/mime_tnef.h"

/* A stream being built. */
struct stream {
	unsigned char b[4096];
	size_t len;
};

static void
put(struct stream *s, const void *p, size_t n)
{
	assert_true(s->len + n <= sizeof(s->b));
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void
put32(struct stream *s, uint32_t v)
{
	unsigned char b[4] = {v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff,
			      v >> 24 & 0xff};

	put(s, b, 4);
}

/* attr - one attribute: level, id, size, value, checksum */
static void
attr(struct stream *s, unsigned char level, uint32_t id, const void *v,
     size_t n)
{
	unsigned sum = 0;
	unsigned char ck[2];

	for (size_t i = 0; i < n; i++)
		sum += ((const unsigned char *)v)[i];
	put(s, &level, 1);
	put32(s, id);
	put32(s, (uint32_t)n);
	put(s, v, n);
	ck[0] = sum & 0xff;
	ck[1] = sum >> 8 & 0xff;
	put(s, ck, 2);
}

static void
head(struct stream *s)
{
	static const unsigned char key[2] = {1, 1};
	static const unsigned char ver[4] = {0, 0, 1, 0};

	s->len = 0;
	put32(s, 0x223E9F78);
	put(s, key, 2);
	attr(s, 1, 0x00089006, ver, 4);
}

/* long_name - an attAttachment of one property: PR_ATTACH_LONG_FILENAME */
static void
long_name(struct stream *s, const char *lname)
{
	struct stream p = {.len = 0};
	size_t n = strlen(lname) + 1;
	static const char pad[4];

	put32(&p, 1);
	put32(&p, 0x3707u << 16 | 0x001E);
	put32(&p, 1);
	put32(&p, (uint32_t)n);
	put(&p, lname, n);
	put(&p, pad, (4 - n % 4) % 4);
	attr(s, 2, 0x00069005, p.b, p.len);
}

/* file - a file: renddata, title, data, and a long name when not NULL */
static void
file(struct stream *s, const char *title, const char *lname, const char *data)
{
	unsigned char rend[14] = {1, 0, 0xff, 0xff, 0xff, 0xff};

	attr(s, 2, 0x00069002, rend, sizeof(rend));
	attr(s, 2, 0x00018010, title, strlen(title) + 1);
	attr(s, 2, 0x0006800F, data, strlen(data));
	if (lname)
		long_name(s, lname);
}

/* What the sink was told. */
struct record {
	int files;
	char name[4][64], other[4][64], data[4][64];
	int stop_at; /* file returns 5 at this count (0: never) */
};

static int
rec_file(void *ctx, const char *name, const char *other, const char *data,
	 size_t len)
{
	struct record *r = ctx;

	if (r->files < 4) {
		snprintf(r->name[r->files], 64, "%s", name);
		snprintf(r->other[r->files], 64, "%s", other ? other : "-");
		snprintf(r->data[r->files], 64, "%.*s", (int)len, data);
	}
	r->files++;
	return r->stop_at && r->files == r->stop_at ? 5 : 0;
}

static int
read_stream(struct stream *s, size_t len, size_t max, struct record *r,
	    const char **why)
{
	struct mime_tnef_sink sink = {rec_file, r};

	return mime_tnef_read((const char *)s->b, len, max, &sink, why);
}

/* Files, their names and data; the head. */
static void
test_files(void **state)
{
	struct stream s;
	struct record r = {0};
	const char *why = "x";

	char subject[300];

	(void)state;
	head(&s);
	/* A subject of 299 bytes: libytnef 2.0 alone refuses the stream. */
	memset(subject, 's', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	attr(&s, 1, 0x00018004, subject, sizeof(subject));
	file(&s, "a.txt", NULL, "hello");
	file(&s, "EVIL~1.TXT", "evil.exe", "MZ");
	assert_true(mime_tnef_head((const char *)s.b, s.len));
	assert_false(mime_tnef_head("PK\3\4", 4));
	assert_false(mime_tnef_head("\x78\x9f", 2));
	assert_int_equal(read_stream(&s, s.len, 10, &r, &why), 0);
	assert_int_equal(r.files, 2);
	assert_string_equal(r.name[0], "a.txt");
	assert_string_equal(r.other[0], "-");
	assert_string_equal(r.data[0], "hello");
	assert_string_equal(r.name[1], "evil.exe");
	assert_string_equal(r.other[1], "EVIL~1.TXT");
	assert_string_equal(r.data[1], "MZ");
}

/* test_properties_first - an attachment of MAPI properties only, before
 * any attAttachRenddata (libytnef keeps it in its first slot), is a
 * file too, by its long name */
static void
test_properties_first(void **state)
{
	struct stream s;
	struct record r = {0};
	const char *why = "x";

	(void)state;
	head(&s);
	long_name(&s, "evil.exe");
	file(&s, "a.txt", NULL, "hello");
	assert_int_equal(read_stream(&s, s.len, 10, &r, &why), 0);
	assert_int_equal(r.files, 2);
	assert_string_equal(r.name[0], "evil.exe");
	assert_string_equal(r.name[1], "a.txt");
}

/* Cut short, too many files, not TNEF: -1 and why; a stop. */
static void
test_hostile(void **state)
{
	struct stream s;
	struct record r = {0};
	const char *why;

	(void)state;
	head(&s);
	file(&s, "a.txt", NULL, "hello");
	file(&s, "b.txt", NULL, "world");
	/* Cut inside the last attribute (9 + 5 + 2 bytes: cut by 16, the
	 * stream is whole, one file without data). */
	for (size_t cut = 1; cut < 16; cut++) {
		memset(&r, 0, sizeof(r));
		why = NULL;
		assert_int_equal(read_stream(&s, s.len - cut, 10, &r, &why),
				 -1);
		assert_non_null(why);
	}
	memset(&r, 0, sizeof(r));
	assert_int_equal(read_stream(&s, s.len, 1, &r, &why), -1);
	assert_non_null(strstr(why, "max_archive_files"));
	assert_int_equal(r.files, 0);

	s.b[0] ^= 1;
	assert_int_equal(read_stream(&s, s.len, 10, &r, &why), -1);
	assert_non_null(strstr(why, "signature"));
	s.b[0] ^= 1;

	/* A checksum that does not match: libytnef refuses it. */
	s.b[s.len - 1] ^= 0x55;
	memset(&r, 0, sizeof(r));
	why = NULL;
	assert_int_equal(read_stream(&s, s.len, 10, &r, &why), -1);
	assert_non_null(why);
	s.b[s.len - 1] ^= 0x55;

	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	assert_int_equal(read_stream(&s, s.len, 10, &r, &why), 5);
	assert_int_equal(r.files, 1);
}

/* heap_in_use - bytes malloc holds for us now (arena and mmap'd) */
static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * A file whose title and data come before any attAttachRenddata (fuzz
 * input tests/fuzz/regress/tnef-leak-*): libytnef keeps it in
 * starting_attach, which TNEFFree() does not free. mime_tnef_read()
 * promises "all is freed before the return"; a child that reads such a
 * stream in every message grows by the file's size each time.
 */
static void
test_no_leak_before_renddata(void **state)
{
	enum { DATA = 256 * 1024, ROUNDS = 20 };
	size_t cap = 64 + DATA + 64, len = 0, before, after;
	unsigned char *b = malloc(cap);
	static const unsigned char sig[6] = {0x78, 0x9f, 0x3e, 0x22, 1, 1};
	static const unsigned char ver[4] = {0, 0, 1, 0};
	struct record r;
	const char *why;

	(void)state;
	assert_non_null(b);
	memcpy(b, sig, 6);
	len = 6;
#define ATTR(level, id, v, n)                                                  \
	do {                                                                   \
		unsigned sum = 0;                                              \
		b[len++] = (level);                                            \
		for (int k = 0; k < 4; k++)                                    \
			b[len++] = (unsigned char)((uint32_t)(id) >> 8 * k);   \
		for (int k = 0; k < 4; k++)                                    \
			b[len++] = (unsigned char)((uint32_t)(n) >> 8 * k);    \
		memcpy(b + len, (v), (n));                                     \
		for (size_t k = 0; k < (size_t)(n); k++)                       \
			sum += b[len + k];                                     \
		len += (n);                                                    \
		b[len++] = sum & 0xff;                                         \
		b[len++] = sum >> 8 & 0xff;                                    \
	} while (0)
	ATTR(1, 0x00089006, ver, 4);
	ATTR(2, 0x00018010, "a.txt", 6);
	{
		char *data = malloc(DATA);

		assert_non_null(data);
		memset(data, 'x', DATA);
		ATTR(2, 0x0006800F, data, DATA);
		free(data);
	}
#undef ATTR
	/* One round first: whatever libytnef keeps for good is allocated. */
	memset(&r, 0, sizeof(r));
	(void)mime_tnef_read((const char *)b, len, 10,
			     &(struct mime_tnef_sink){rec_file, &r}, &why);
	assert_int_equal(r.files, 1);
	assert_string_equal(r.name[0], "a.txt");
	before = heap_in_use();
	for (int i = 0; i < ROUNDS; i++) {
		memset(&r, 0, sizeof(r));
		(void)mime_tnef_read((const char *)b, len, 10,
				     &(struct mime_tnef_sink){rec_file, &r},
				     &why);
	}
	after = heap_in_use();
	free(b);
	/* 20 rounds of a 256 KB file: a leak is 5 MB; allow one file. */
	if (after > before + DATA)
		fail_msg("heap grew by %zu bytes over %d reads of a %d-byte "
			 "file before attAttachRenddata",
			 after - before, ROUNDS, DATA);
}

/*
 * A file whose title and data come twice (fuzz input
 * tests/fuzz/regress/tnef-leak-repeated-title): libytnef keeps the last
 * of each and never frees the first, which no check ever saw. Each
 * value that comes again is a file of its own; none is lost or leaked.
 */
static void
test_repeated_attributes(void **state)
{
	enum { DATA = 256 * 1024, ROUNDS = 20 };
	size_t cap = 128 + 2 * DATA, len = 0, before, after;
	unsigned char *b = malloc(cap);
	static const unsigned char sig[6] = {0x78, 0x9f, 0x3e, 0x22, 1, 1};
	static const unsigned char ver[4] = {0, 0, 1, 0};
	static const unsigned char rend[14] = {1, 0, 0xff, 0xff, 0xff, 0xff};
	char *data = malloc(DATA);
	struct record r;
	const char *why;

	(void)state;
	assert_non_null(b);
	assert_non_null(data);
	memcpy(b, sig, 6);
	len = 6;
#define ATTR(level, id, v, n)                                                  \
	do {                                                                   \
		unsigned sum = 0;                                              \
		b[len++] = (level);                                            \
		for (int k = 0; k < 4; k++)                                    \
			b[len++] = (unsigned char)((uint32_t)(id) >> 8 * k);   \
		for (int k = 0; k < 4; k++)                                    \
			b[len++] = (unsigned char)((uint32_t)(n) >> 8 * k);    \
		memcpy(b + len, (v), (n));                                     \
		for (size_t k = 0; k < (size_t)(n); k++)                       \
			sum += b[len + k];                                     \
		len += (n);                                                    \
		b[len++] = sum & 0xff;                                         \
		b[len++] = sum >> 8 & 0xff;                                    \
	} while (0)
	ATTR(1, 0x00089006, ver, 4);
	ATTR(2, 0x00069002, rend, sizeof(rend));
	ATTR(2, 0x00018010, "evil.exe", 9);
	memset(data, 'M', DATA);
	ATTR(2, 0x0006800F, data, DATA);
	ATTR(2, 0x00018010, "ok.txt", 7);
	memset(data, 'x', DATA);
	ATTR(2, 0x0006800F, data, DATA);
#undef ATTR
	free(data);
	memset(&r, 0, sizeof(r));
	assert_int_equal(mime_tnef_read((const char *)b, len, 10,
					&(struct mime_tnef_sink){rec_file, &r},
					&why),
			 0);
	assert_int_equal(r.files, 2);
	assert_string_equal(r.name[0], "evil.exe");
	assert_int_equal(r.data[0][0], 'M');
	assert_string_equal(r.name[1], "ok.txt");
	assert_int_equal(r.data[1][0], 'x');
	/* The repeated title starts a file: it counts against max_files. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(mime_tnef_read((const char *)b, len, 1,
					&(struct mime_tnef_sink){rec_file, &r},
					&why),
			 -1);
	assert_string_equal(
		why, "Outlook TNEF with more files than max_archive_files");
	before = heap_in_use();
	for (int i = 0; i < ROUNDS; i++) {
		memset(&r, 0, sizeof(r));
		(void)mime_tnef_read((const char *)b, len, 10,
				     &(struct mime_tnef_sink){rec_file, &r},
				     &why);
	}
	after = heap_in_use();
	free(b);
	if (after > before + DATA)
		fail_msg("heap grew by %zu bytes over %d reads of a file with "
			 "two %d-byte data",
			 after - before, ROUNDS, DATA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_properties_first),
		cmocka_unit_test(test_no_leak_before_renddata),
		cmocka_unit_test(test_repeated_attributes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

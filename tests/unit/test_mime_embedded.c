/*++
/* NAME
/*	test_mime_embedded 1
/* SUMMARY
/*	unit tests for mime/mime_embedded.c: files embedded in text
/* DESCRIPTION
/*	uuencode (a vector made by Python's binascii), begin-base64 and
/*	yEnc blocks are found and decoded, fed whole or a byte at a time;
/*	text that merely says "begin" is text; hostile blocks (no end line,
/*	a line that is no encoding, a giant line, a name with a CR or of
/*	3,000 and 10,000 bytes, nested begin lines, thousands of blocks)
/*	are named and ended with a reason, at bounded cost; a callback
/*	that returns non-zero stops the reading. A begin line whose next
/*	line is no encoded line names a file of no content, whole (wrapped
/*	prose: no UNCHECKED); a bare CR ends a
/*	line, and a begin line cut by one is read both ways; the head of
/*	a file tells a begin line in its first lines.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime_embedded.h"

#define MAX_EVENTS 8

/* What the sink was told. */
struct record {
	int begins, ends, complete;
	enum mime_embedded_kind kind[MAX_EVENTS];
	char *name[MAX_EVENTS];
	char *also[MAX_EVENTS]; /* the other reading (e->also), or NULL */
	struct mime_embedded *e;
	const char *why[MAX_EVENTS];
	char data[MAX_EVENTS][256];
	size_t data_len[MAX_EVENTS];
	int stop_at_begin; /* begin returns 7 at this count (0: never) */
};

static int
rec_begin(void *ctx, enum mime_embedded_kind kind, const char *name)
{
	struct record *r = ctx;

	if (r->begins < MAX_EVENTS) {
		r->kind[r->begins] = kind;
		r->name[r->begins] = strdup(name);
		r->also[r->begins] = r->e->also ? strdup(r->e->also) : NULL;
	}
	r->begins++;
	return r->stop_at_begin && r->begins == r->stop_at_begin ? 7 : 0;
}

static int
rec_data(void *ctx, const char *buf, size_t len)
{
	struct record *r = ctx;
	int i = r->begins - 1;

	assert_true(r->begins > r->ends);
	if (i < MAX_EVENTS && r->data_len[i] + len <= sizeof(r->data[i])) {
		memcpy(r->data[i] + r->data_len[i], buf, len);
		r->data_len[i] += len;
	}
	return 0;
}

static int
rec_end(void *ctx, const char *why)
{
	struct record *r = ctx;

	assert_int_equal(r->ends + 1, r->begins);
	if (r->ends < MAX_EVENTS)
		r->why[r->ends] = why;
	r->complete += why == NULL;
	r->ends++;
	return 0;
}

static void
rec_free(struct record *r)
{
	for (int i = 0; i < r->begins && i < MAX_EVENTS; i++) {
		free(r->name[i]);
		free(r->also[i]);
	}
}

/* run - text through a reader, in pieces of step bytes (0: whole) */
static int
run(struct record *r, const char *text, size_t len, size_t step)
{
	struct mime_embedded *e = malloc(sizeof(*e));
	struct mime_embedded_sink s = {rec_begin, rec_data, rec_end, r};
	int rc = 0;

	r->e = e;
	mime_embedded_init(e, &s);
	for (size_t i = 0; i < len && rc == 0;) {
		size_t n = step && step < len - i ? step : len - i;

		rc = mime_embedded_feed(e, text + i, n);
		i += n;
	}
	if (rc == 0)
		rc = mime_embedded_end(e);
	free(e);
	return rc;
}

#define RUN(r, s, step) run(r, s, strlen(s), step)

static const char file[] = "MZ\x90\0hello, world: a file of some bytes\0\xff"
			   "\x10\n\r";
#define FILE_LEN (sizeof(file) - 1)

/* Python: binascii.b2a_uu(file) */
static const char uu_text[] =
	"Hi,\r\nthe file:\r\n\r\nbegin 644 evil.exe\r\n"
	"K35J0 &AE;&QO+\"!W;W)L9#H@82!F:6QE(&]F(\'-O;64@8GET97, _Q *#0  \r\n"
	"`\r\nend\r\nbye\r\n";

static void
test_uuencode(void **state)
{
	(void)state;
	for (size_t step = 0; step < 3; step++) {
		struct record r = {0};

		assert_int_equal(RUN(&r, uu_text, step), 0);
		assert_int_equal(r.begins, 1);
		assert_int_equal(r.complete, 1);
		assert_int_equal(r.kind[0], MIME_EMBEDDED_UU);
		assert_string_equal(r.name[0], "evil.exe");
		assert_int_equal(r.data_len[0], FILE_LEN);
		assert_memory_equal(r.data[0], file, FILE_LEN);
		rec_free(&r);
	}
}

/* Trailing spaces cut (zeros), a four-digit mode, LF only. */
static void
test_uuencode_lenient(void **state)
{
	struct record r = {0};

	(void)state;
	assert_int_equal(RUN(&r,
			     "begin 0644 a b.txt  \n"
			     "#86)C\n"
			     "#``  \n" /* three zeros, spaces cut */
			     "\"80\n"  /* "a\0", its last character cut */
			     "end\n",
			     0),
			 0);
	assert_int_equal(r.begins, 1);
	assert_string_equal(r.name[0], "a b.txt");
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.data_len[0], 8);
	assert_memory_equal(r.data[0], "abc\0\0\0a\0", 8);
	rec_free(&r);
}

static void
test_base64(void **state)
{
	struct record r = {0};

	(void)state;
	assert_int_equal(
		RUN(&r,
		    "x\r\nbegin-base64 600 tool.scr\r\n"
		    "TVqQAGhlbGxvLCB3b3JsZDogYSBmaWxlIG9m\r\n"
		    "IHNvbWUgYnl0ZXMA/xAKDQ==\r\n====\r\ntext again\r\n",
		    5),
		0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(r.kind[0], MIME_EMBEDDED_BASE64);
	assert_string_equal(r.name[0], "tool.scr");
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.data_len[0], FILE_LEN);
	assert_memory_equal(r.data[0], file, FILE_LEN);
	rec_free(&r);
}

/* yenc - file yEnc-encoded as yEnc 1.3 says */
static size_t
yenc(char *out, const char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)(in[i] + 42);

		if (c == 0 || c == '\n' || c == '\r' || c == '=') {
			out[o++] = '=';
			c = (unsigned char)(c + 64);
		}
		out[o++] = (char)c;
	}
	return o;
}

static void
test_yenc(void **state)
{
	char text[1024];
	size_t n = 0;
	struct record r = {0};

	(void)state;
	n += (size_t)sprintf(text,
			     "see:\r\n=ybegin part=1 line=128 size=%zu "
			     "name=My Evil.exe \r\n=ypart begin=1 end=%zu\r\n",
			     FILE_LEN, FILE_LEN);
	n += yenc(text + n, file, 20);
	memcpy(text + n, "\r\n", 2);
	n += 2;
	n += yenc(text + n, file + 20, FILE_LEN - 20);
	n += (size_t)sprintf(text + n, "\r\n=yend size=%zu part=1\r\n",
			     FILE_LEN);
	assert_int_equal(run(&r, text, n, 1), 0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(r.kind[0], MIME_EMBEDDED_YENC);
	assert_string_equal(r.name[0], "My Evil.exe");
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.data_len[0], FILE_LEN);
	assert_memory_equal(r.data[0], file, FILE_LEN);
	rec_free(&r);
}

/* BinHex 4.0, made by the encoder of test_checks_embedded.py. */
static const char binhex_text[] =
	"Hi\r\n(This file must be converted with BinHex 4.0)\r\n"
	"\r\n"
	":#'9fD@`ZCAKP!&4&@&4dG(Kd!*!&33#3\"0&#69U3!!\"SC@aXEb`JGfpbE'3k)'%\r\n"
	"JCQPXC5\"[CL\"cEfeP)'*jG'9c!2m3#Jd!N\"53!*!!bM)!!!:\r\n"
	"\r\nbye\r\n";

static void
test_binhex(void **state)
{
	char want[FILE_LEN + 22];

	(void)state;
	memcpy(want, file, FILE_LEN);
	memset(want + FILE_LEN, 0, 20);
	want[FILE_LEN + 20] = want[FILE_LEN + 21] = (char)0x90;
	for (size_t step = 0; step < 3; step++) {
		struct record r = {0};

		assert_int_equal(RUN(&r, binhex_text, step), 0);
		assert_int_equal(r.begins, 1);
		assert_int_equal(r.kind[0], MIME_EMBEDDED_BINHEX);
		assert_string_equal(r.name[0], "evil.exe");
		assert_int_equal(r.complete, 1);
		assert_int_equal(r.data_len[0], sizeof(want));
		assert_memory_equal(r.data[0], want, sizeof(want));
		rec_free(&r);
	}
}

/* Text that says "begin" is text. */
static void
test_plain_text(void **state)
{
	static const char *const texts[] = {
		"begin the meeting at 9\nend\n",
		"begin 64 short.exe\n`\nend\n",	     /* two digits */
		"begin 12345 long.exe\n`\nend\n",    /* five */
		"begin 648 eight.exe\n`\nend\n",     /* not octal */
		"begin 644\n`\nend\n",		     /* no name */
		"begin 644   \n`\nend\n",	     /* blanks only */
		" begin 644 indented.exe\n`\nend\n", /* not at the start */
		"Begin 644 capital.exe\n`\nend\n",
		"begin644 glued.exe\n`\nend\n",
		"=ybegin line=128 size=3\nabc\n=yend\n", /* no name= */
		"=ybegin line=128 size=3 name=\nabc\n=yend\n",
		"begin-base64 644\n====\n",
		"(This file must be converted with BinHex 4.0)\nthen text\n",
		"(This file must be converted with BinHex 4.0)\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		struct record r = {0};

		assert_int_equal(RUN(&r, texts[i], 0), 0);
		if (r.begins)
			fail_msg("%s: read as a file", texts[i]);
	}
}

/* Cut short, broken, nested: named, and ended with a reason. */
static void
test_hostile(void **state)
{
	static const struct {
		const char *text;
		int begins;
		const char *name;
		const char *why; /* a word of the reason of the first end */
	} cases[] = {
		{"begin 644 evil.exe\n#86)C\n", 1, "evil.exe", "end line"},
		{"begin 644 evil.exe\n#86)C\nthis is text\nend\n", 1,
		 "evil.exe", "not uuencode"},
		{"begin 644 evil.exe\n#86)C\nbegin 644 two.exe\n#86)C\nend\n",
		 2, "evil.exe", "another begin"},
		{"begin-base64 644 evil.exe\nTVqQ\n", 1, "evil.exe", "===="},
		{"begin-base64 644 evil.exe\nTVqQ\nTV*Q\n====\n", 1, "evil.exe",
		 "not base64"},
		{"begin-base64 644 evil.exe\nTVqQ\nTQ==TQ==\n====\n", 1,
		 "evil.exe", "not base64"},
		{"=ybegin line=128 size=3 name=evil.exe\nabc\n", 1, "evil.exe",
		 "=yend"},
		{"begin 644 a\rb.exe\n`\nend\n", 1, "a\rb.exe", NULL},
		{"(This file must be converted with BinHex 4.0)\n:#'9fD", 1, "",
		 "cut short"},
		{"(This file must be converted with BinHex 4.0)\n:#'9f~D:\n", 1,
		 "", "cannot be decoded"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct record r = {0};

		assert_int_equal(RUN(&r, cases[i].text, 0), 0);
		assert_int_equal(r.begins, cases[i].begins);
		assert_int_equal(r.ends, r.begins);
		assert_string_equal(r.name[0], cases[i].name);
		if (cases[i].why == NULL)
			assert_null(r.why[0]);
		else if (r.why[0] == NULL ||
			 strstr(r.why[0], cases[i].why) == NULL)
			fail_msg("%s: %s", cases[i].text,
				 r.why[0] ? r.why[0] : "(whole)");
		rec_free(&r);
	}
}

/*
 * A begin line whose next non-blank line is no encoding (wrapped
 * prose): a file of no content by its name, whole; then text.
 */
static void
test_name_only(void **state)
{
	static const struct {
		const char *text;
		int begins;
		const char *name; /* the first */
	} cases[] = {
		{"the plan will\nbegin 2025 with a review.\n\nRegards, Ann\n",
		 1, "with a review."},
		{"begin 644 evil.exe\nthis is text\nend\n", 1, "evil.exe"},
		{"begin-base64 644 evil.exe\nnot base64, this\n====\n", 1,
		 "evil.exe"},
		{"we\r\nbegin 777 days of work\r\n", 1, "days of work"},
		{"begin 644 evil.exe\nbegin 644 two.exe\n", 2, "evil.exe"},
		/* The prose line's name, then a block after it. */
		{"begin 644 a b\nx\nbegin 644 c.exe\n#86)C\nend\n", 2, "a b"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct record r = {0};

		assert_int_equal(RUN(&r, cases[i].text, 0), 0);
		assert_int_equal(r.begins, cases[i].begins);
		assert_int_equal(r.complete, r.begins);
		assert_string_equal(r.name[0], cases[i].name);
		assert_int_equal(r.data_len[0], 0);
		rec_free(&r);
	}
}

/*
 * Line ends: a bare CR ends a line as LF does (Thunderbird); a begin
 * line cut by one is read both ways, the LF-only reading taken alone
 * when the next piece is no encoded line.
 */
static void
test_line_ends(void **state)
{
	struct record r = {0};
	char text[512];
	size_t n;
	char *p;

	(void)state;
	/* uu_text with bare CR line ends, all one LF line. */
	n = strlen(uu_text);
	memcpy(text, uu_text, n + 1);
	for (p = text; (p = strstr(p, "\r\n")) != NULL;)
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
	assert_null(strchr(text, '\n'));
	assert_int_equal(RUN(&r, text, 0), 0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(r.complete, 1);
	assert_string_equal(r.name[0], "evil.exe");
	assert_non_null(r.also[0]); /* "evil.exe\rK35J0..." */
	assert_int_equal(strncmp(r.also[0], "evil.exe\r", 9), 0);
	assert_int_equal(r.data_len[0], FILE_LEN);
	assert_memory_equal(r.data[0], file, FILE_LEN);
	rec_free(&r);

	/* The same a byte at a time, the CR LF split between feeds. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(RUN(&r, uu_text, 1), 0);
	assert_int_equal(r.complete, 1);
	assert_null(r.also[0]);
	assert_int_equal(r.data_len[0], FILE_LEN);
	rec_free(&r);

	/* A name with CRs in it: "a" starts no file (its next piece is
	 * no uuencode), the LF-only reading does; "a" is a name too. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(
		RUN(&r, "begin 644 a\r250 ok\rb.exe\r\n#86)C\nend\n", 0), 0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(r.complete, 1);
	assert_string_equal(r.name[0], "a\r250 ok\rb.exe");
	assert_string_equal(r.also[0], "a");
	assert_int_equal(r.data_len[0], 3);
	rec_free(&r);
}

/* The head of a file: a begin line in its first lines, or none. */
static void
test_head(void **state)
{
	char many[2048] = "";

	(void)state;
	assert_true(mime_embedded_head(uu_text, strlen(uu_text)));
	assert_true(mime_embedded_head("x\rbegin-base64 644 a\r", 22));
	assert_true(mime_embedded_head("=ybegin line=1 size=1 name=a\n", 29));
	assert_false(mime_embedded_head("begin the day\nend\n", 18));
	assert_false(mime_embedded_head("MZ\0\0begin 644 a.exe\n", 21));
	assert_false(mime_embedded_head("", 0));
	for (int i = 0; i < MIME_EMBEDDED_HEAD_LINES; i++)
		strcat(many, "line\r\n");
	strcat(many, "begin 644 late.exe\n");
	assert_false(mime_embedded_head(many, strlen(many)));
}

/* Giant lines: a name of 3,000 bytes is read whole; longer, cut. */
static void
test_long_lines(void **state)
{
	size_t big = 3 * MIME_EMBEDDED_LINE_MAX;
	char *text = malloc(big + 64);
	struct record r = {0};
	size_t n;

	(void)state;
	/* A name of 3,000 bytes. */
	n = (size_t)sprintf(text, "begin 644 ");
	memset(text + n, 'a', 2996);
	n += 2996;
	n += (size_t)sprintf(text + n, ".exe\n`\nend\n");
	assert_int_equal(run(&r, text, n, 7), 0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(strlen(r.name[0]), 3000);
	assert_null(r.why[0]);
	rec_free(&r);

	/* A begin line longer than any we read: named, and cut short. */
	memset(&r, 0, sizeof(r));
	n = (size_t)sprintf(text, "begin 644 ");
	memset(text + n, 'b', big);
	n += big;
	n += (size_t)sprintf(text + n, ".exe\n`\nend\n");
	assert_int_equal(run(&r, text, n, 1000), 0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(strlen(r.name[0]), MIME_EMBEDDED_LINE_MAX - 11);
	assert_non_null(r.why[0]);
	assert_non_null(strstr(r.why[0], "name too long"));
	rec_free(&r);

	/* A giant line inside a block (after an encoded line: a giant
	 * line right after the begin line makes that line text). */
	memset(&r, 0, sizeof(r));
	n = (size_t)sprintf(text, "begin 644 x.exe\n#86)C\n");
	memset(text + n, 'M', big);
	n += big;
	n += (size_t)sprintf(text + n, "\n`\nend\n");
	assert_int_equal(run(&r, text, n, 0), 0);
	assert_int_equal(r.begins, 1);
	assert_non_null(r.why[0]);
	assert_non_null(strstr(r.why[0], "too long"));
	rec_free(&r);

	/* A giant line of text: nothing. */
	memset(&r, 0, sizeof(r));
	memset(text, 'x', big);
	assert_int_equal(run(&r, text, big, 0), 0);
	assert_int_equal(r.begins, 0);
	free(text);
}

/* Thousands of blocks: each told, none lost; a callback stops it. */
static void
test_many_and_stop(void **state)
{
	static const char block[] = "begin 644 a.exe\n#86)C\nend\n";
	size_t n = 5000, bl = sizeof(block) - 1;
	char *text = malloc(n * bl);
	struct record r = {0};

	(void)state;
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * bl, block, bl);
	assert_int_equal(run(&r, text, n * bl, 4096), 0);
	assert_int_equal(r.begins, (int)n);
	assert_int_equal(r.complete, (int)n);
	rec_free(&r);

	memset(&r, 0, sizeof(r));
	r.stop_at_begin = 3;
	assert_int_equal(run(&r, text, n * bl, 4096), 7);
	assert_int_equal(r.begins, 3);
	rec_free(&r);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuencode),
		cmocka_unit_test(test_uuencode_lenient),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_yenc),
		cmocka_unit_test(test_binhex),
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_name_only),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_many_and_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

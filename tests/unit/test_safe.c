/*++
/* NAME
/*	test_safe 1
/* SUMMARY
/*	unit tests for util/safe.c: reply and log text made safe
/* DESCRIPTION
/*	A table of named cases (mode, input, output size, wanted output and
/*	bytes of input used): CR LF, NUL, DEL, 0x80-0xff, valid and invalid
/*	UTF-8, overlong forms, surrogates, C1 controls, and cuts at the
/*	limit inside an escape and inside a UTF-8 sequence.
/*
/*	test_every_size then runs inputs that mix every kind of piece with
/*	every output size: the output never exceeds the size, holds only
/*	safe bytes, is the full output's prefix plus "..." when cut, and
/*	never splits a piece.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/safe.h"

#define S(lit) lit, sizeof(lit) - 1
#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

enum mode { REPLY, LOG };

struct safe_case {
	const char *name;
	enum mode mode;
	const char *in;
	size_t in_len;
	size_t size;	  /* of out, with its NUL */
	const char *want; /* NUL-terminated */
	size_t used;	  /* bytes of in represented */
};

static const struct safe_case safe_cases[] = {
	{"ascii", REPLY, S("250 2.0.0 Ok"), 64, "250 2.0.0 Ok", 12},
	{"empty", LOG, S(""), 64, "", 0},
	{"CR LF reply", REPLY, S("a\r\n250 forged\r\nb"), 64,
	 "a\\r\\n250 forged\\r\\nb", 16},
	{"CR LF log", LOG, S("a\r\n250 forged"), 64, "a\\r\\n250 forged", 13},
	{"NUL", REPLY, S("a\0b"), 64, "a\\x00b", 3},
	{"NUL log", LOG, S("\0"), 64, "\\x00", 1},
	{"DEL", REPLY, S("a\x7f"), 64, "a\\x7f", 2},
	{"DEL log", LOG, S("\x7f"), 64, "\\x7f", 1},
	{"TAB", LOG, S("a\tb"), 64, "a\\tb", 3},
	{"ESC", LOG, S("\x1b[2J"), 64, "\\x1b[2J", 4},
	{"controls", REPLY, S("\x01\x1f"), 64, "\\x01\\x1f", 2},
	{"backslash kept", REPLY, S("a\\b"), 64, "a\\b", 3},
	{"8-bit reply", REPLY, S("\x80\xff"), 64, "\\x80\\xff", 2},
	{"UTF-8 in a reply", REPLY, S("caf\xc3\xa9"), 64, "caf\\xc3\\xa9", 5},
	{"UTF-8 2 bytes log", LOG, S("caf\xc3\xa9"), 64, "caf\xc3\xa9", 5},
	{"UTF-8 3 bytes log", LOG, S("\xe2\x82\xac 1"), 64, "\xe2\x82\xac 1",
	 5},
	{"UTF-8 4 bytes log", LOG, S("\xf0\x9f\x98\x80"), 64,
	 "\xf0\x9f\x98\x80", 4},
	{"U+10FFFF kept", LOG, S("\xf4\x8f\xbf\xbf"), 64, "\xf4\x8f\xbf\xbf",
	 4},
	{"NBSP kept", LOG, S("\xc2\xa0"), 64, "\xc2\xa0", 2},
	{"C1 control escaped", LOG, S("\xc2\x85\xc2\x9b"), 64,
	 "\\xc2\\x85\\xc2\\x9b", 4},
	{"line separators escaped", LOG,
	 S("a\xe2\x80\xa8"
	   "b\xe2\x80\xa9"),
	 64,
	 "a\\xe2\\x80\\xa8"
	 "b\\xe2\\x80\\xa9",
	 8},
	{"bidi overrides escaped", LOG,
	 S("\xe2\x80\xae"
	   "exe.txt\xe2\x81\xa6\xe2\x80\x8f\xd8\x9c"),
	 64,
	 "\\xe2\\x80\\xae"
	 "exe.txt\\xe2\\x81\\xa6\\xe2\\x80\\x8f\\xd8\\x9c",
	 18},
	{"neighbours of the bidi controls kept", LOG,
	 S("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b"), 64,
	 "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b", 14},
	{"lone continuation", LOG, S("a\x80z"), 64, "a\\x80z", 3},
	{"0xff", LOG, S("\xff\xfe"), 64, "\\xff\\xfe", 2},
	{"F5 lead", LOG, S("\xf5\x80\x80\x80"), 64, "\\xf5\\x80\\x80\\x80", 4},
	{"incomplete at end", LOG, S("a\xe2\x82"), 64, "a\\xe2\\x82", 3},
	{"incomplete then ASCII", LOG, S("\xe2\x82z"), 64, "\\xe2\\x82z", 3},
	{"lead then lead", LOG, S("\xc3\xc3\xa9"), 64, "\\xc3\xc3\xa9", 3},
	{"overlong 2 bytes", LOG, S("\xc0\xaf"), 64, "\\xc0\\xaf", 2},
	{"overlong C1 lead", LOG, S("\xc1\xbf"), 64, "\\xc1\\xbf", 2},
	{"overlong 3 bytes", LOG, S("\xe0\x80\xaf"), 64, "\\xe0\\x80\\xaf", 3},
	{"overlong 4 bytes", LOG, S("\xf0\x80\x80\xaf"), 64,
	 "\\xf0\\x80\\x80\\xaf", 4},
	{"surrogate", LOG, S("\xed\xa0\x80"), 64, "\\xed\\xa0\\x80", 3},
	{"past U+10FFFF", LOG, S("\xf4\x90\x80\x80"), 64,
	 "\\xf4\\x90\\x80\\x80", 4},
	{"fits exactly", REPLY, S("abcdefg"), 8, "abcdefg", 7},
	{"cut with mark", REPLY, S("abcdefghij"), 8, "abcd...", 4},
	{"cut inside an escape", REPLY,
	 S("ab\x01"
	   "cd"),
	 8, "ab...", 2},
	{"escape at the end does not fit", REPLY, S("abcd\x01"), 8, "abcd...",
	 4},
	{"CR LF fits exactly", REPLY, S("abc\r\n"), 8, "abc\\r\\n", 5},
	{"cut inside UTF-8", LOG,
	 S("ab\xe2\x82\xac"
	   "c"),
	 6, "ab...", 2},
	{"UTF-8 fits exactly", LOG, S("ab\xe2\x82\xac"), 6, "ab\xe2\x82\xac",
	 5},
	{"UTF-8 in a reply cut", REPLY, S("a\xc3\xa9zzzz"), 9, "a\\xc3...", 2},
	{"too small for the mark", REPLY, S("abcdef"), 3, "ab", 2},
	{"size 1", LOG, S("abc"), 1, "", 0},
};

/* run - one call in the given mode */
static size_t
run(enum mode mode, char *out, size_t size, const char *in, size_t len)
{
	return mode == REPLY ? safe_reply_text(out, size, in, len)
			     : safe_log_text(out, size, in, len);
}

/* test_table - every case of the table */
static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(safe_cases); i++) {
		const struct safe_case *c = safe_cases + i;
		char out[128];
		size_t used;

		memset(out, 'Z', sizeof(out));
		used = run(c->mode, out, c->size, c->in, c->in_len);
		if (strcmp(out, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, out,
				 c->want);
		if (used != c->used)
			fail_msg("%s: used %zu, want %zu", c->name, used,
				 c->used);
		/* Nothing written past the size. */
		for (size_t k = c->size; k < sizeof(out); k++)
			if (out[k] != 'Z')
				fail_msg("%s: byte %zu written", c->name, k);
	}
}

/* test_size_zero - nothing is written */
static void
test_size_zero(void **state)
{
	char out = 'Z';

	(void)state;
	assert_int_equal(safe_reply_text(&out, 0, "abc", 3), 0);
	assert_int_equal(safe_log_text(&out, 0, "abc", 3), 0);
	assert_int_equal(out, 'Z');
}

/* utf8_valid - an independent check: is s[0..len) well-formed UTF-8? */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			n = 2, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 3, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			n = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + n > len)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += n;
	}
	return 1;
}

/* check_safe - out is one safe line for its mode */
static void
check_safe(enum mode mode, const char *out, const char *what)
{
	const unsigned char *u = (const unsigned char *)out;
	size_t len = strlen(out);

	for (size_t k = 0; k < len; k++)
		if (u[k] < 0x20 || u[k] == 0x7f ||
		    (mode == REPLY && u[k] > 0x7f))
			fail_msg("%s: byte 0x%02x at %zu", what, u[k], k);
	if (mode == LOG && !utf8_valid(u, len))
		fail_msg("%s: not well-formed UTF-8", what);
}

/*
 * boundaries - where pieces start in the full output of in[0..len): the
 * output of each prefix of in that is a prefix of the full output (a
 * prefix that splits a well-formed sequence escapes it instead).
 */
static size_t
boundaries(enum mode mode, const char *in, size_t len, const char *full,
	   size_t *out)
{
	size_t n = 0;

	for (size_t p = 0; p <= len; p++) {
		char o[512];

		run(mode, o, sizeof(o), in, p);
		if (strncmp(o, full, strlen(o)) == 0)
			out[n++] = strlen(o);
	}
	return n;
}

/* best_cut - the largest boundary at most limit */
static size_t
best_cut(const size_t *b, size_t n, size_t limit)
{
	size_t best = 0;

	for (size_t i = 0; i < n; i++)
		if (b[i] <= limit && b[i] > best)
			best = b[i];
	return best;
}

/* test_every_size - every cut of a mixed input, in both modes */
static void
test_every_size(void **state)
{
	static const char mixed[] =
		"id=AbC - \r\n250 2.0.0 forged\r\n\0\x7f\x80\xff"
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x85"
		"\xed\xa0\x80\xc0\xaf\xe2\x82 end";
	const size_t len = sizeof(mixed) - 1;

	(void)state;
	for (int m = REPLY; m <= LOG; m++) {
		char full[512], out[512];
		size_t full_len, bounds[sizeof(mixed)], nb;

		assert_int_equal(run(m, full, sizeof(full), mixed, len), len);
		full_len = strlen(full);
		check_safe(m, full, "full");
		nb = boundaries(m, mixed, len, full, bounds);
		for (size_t size = 1; size <= full_len + 1; size++) {
			char what[64];
			size_t used, olen;

			snprintf(what, sizeof(what), "mode %d size %zu", m,
				 size);
			used = run(m, out, size, mixed, len);
			olen = strlen(out);
			check_safe(m, out, what);
			if (olen > size - 1)
				fail_msg("%s: %zu bytes", what, olen);
			if (size == full_len + 1) {
				if (used != len || strcmp(out, full) != 0)
					fail_msg("%s: cut although it fits",
						 what);
				continue;
			}
			if (used >= len)
				fail_msg("%s: used everything", what);
			if (size < sizeof(SAFE_TRUNCATED)) {
				if (strncmp(out, full, olen) != 0)
					fail_msg("%s: not a prefix", what);
				continue;
			}
			/* A prefix of the full output, then the mark. */
			if (olen < 3 || strcmp(out + olen - 3, "...") != 0 ||
			    strncmp(out, full, olen - 3) != 0)
				fail_msg("%s: \"%s\" is not a cut of the "
					 "full output",
					 what, out);
			/* The longest cut at a piece boundary that leaves
			 * room for the mark: nothing split, nothing lost. */
			if (olen - 3 != best_cut(bounds, nb, size - 1 - 3))
				fail_msg("%s: kept %zu bytes, want %zu", what,
					 olen - 3,
					 best_cut(bounds, nb, size - 1 - 3));
			{
				char again[512];

				run(m, again, sizeof(again), mixed, used);
				if (strcmp(again, full) == 0 ||
				    strlen(again) != olen - 3 ||
				    strncmp(again, out, olen - 3) != 0)
					fail_msg("%s: used %zu does not give "
						 "the kept text",
						 what, used);
			}
		}
	}
}

/* test_every_byte - each byte alone is safe in both modes */
static void
test_every_byte(void **state)
{
	(void)state;
	for (int b = 0; b < 256; b++) {
		char in = (char)b, out[8], what[32];

		snprintf(what, sizeof(what), "byte 0x%02x", b);
		assert_int_equal(safe_reply_text(out, sizeof(out), &in, 1), 1);
		check_safe(REPLY, out, what);
		assert_int_equal(safe_log_text(out, sizeof(out), &in, 1), 1);
		check_safe(LOG, out, what);
		if (b >= 0x20 && b < 0x7f)
			assert_true(out[0] == in && out[1] == 0);
		else
			assert_true(out[0] == '\\');
	}
}

/*
 * test_log_bidi_and_separators - ATTACK: a file name can hold U+202E
 * (RIGHT-TO-LEFT OVERRIDE), the other bidi embeddings, overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069), and U+2028/U+2029 (LINE and
 * PARAGRAPH SEPARATOR). safe_log_text() kept them as well-formed UTF-8,
 * so a banned name "inv<RLO>fdp.exe" went into the log line as is: a
 * viewer that honours them shows the rest of the line reversed
 * ("invexe.pdf ...", Trojan Source, CVE-2021-42574) or breaks it in two,
 * which is what the log writer exists to prevent. They must be escaped
 * like the C1 controls are.
 */
static void
test_log_bidi_and_separators(void **state)
{
	static const char *const seqs[] = {
		"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad",
		"\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8",
		"\xe2\x81\xa9", "\xe2\x80\xa8", "\xe2\x80\xa9",
	};
	static const char *const names[] = {
		"U+202A", "U+202B", "U+202C", "U+202D", "U+202E", "U+2066",
		"U+2067", "U+2068", "U+2069", "U+2028", "U+2029",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(seqs); i++) {
		char in[32], out[64];

		snprintf(in, sizeof(in), "inv%sfdp.exe", seqs[i]);
		(void)safe_log_text(out, sizeof(out), in, strlen(in));
		if (strstr(out, seqs[i]) != NULL)
			fail_msg("%s kept raw in a log line: \"%s\"", names[i],
				 out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_every_size),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_log_bidi_and_separators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

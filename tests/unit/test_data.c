/*++
/* NAME
/*	test_data 1
/* SUMMARY
/*	unit tests for smtp/data.c, the DATA state machine
/* DESCRIPTION
/*	Each case is run in one piece, then split in two at every position,
/*	then fed one byte at a time: the content, the consumed count and
/*	the end flag must not depend on where the chunks split (a split
/*	inside CR LF "." CR LF is the classic bug).
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/data.h"
#include "util/buf.h"

#define S(lit) lit, sizeof(lit) - 1

struct data_case {
	const char *name;
	const char *in;
	size_t in_len;
	const char *want;
	size_t want_len;
	int done;	 /* end of data seen */
	size_t consumed; /* bytes consumed; 0 means "all of in" */
};

static const struct data_case data_cases[] = {
	{"simple", S("abc\r\n.\r\n"), S("abc\r\n"), 1, 0},
	{"empty message", S(".\r\n"), S(""), 1, 0},
	{"empty first line", S("\r\n.\r\n"), S("\r\n"), 1, 0},
	{"stuffed dot", S("..x\r\n.\r\n"), S(".x\r\n"), 1, 0},
	{"stuffed dot alone", S("..\r\n.\r\n"), S(".\r\n"), 1, 0},
	{"three dots", S("...\r\n.\r\n"), S("..\r\n"), 1, 0},
	{"stuffed dot later", S("x\r\n..\r\n.\r\n"), S("x\r\n.\r\n"), 1, 0},
	{"unstuffed leading dot", S("a\r\n.x\r\n.\r\n"), S("a\r\nx\r\n"), 1, 0},
	{"dot space", S(". \r\n.\r\n"), S(" \r\n"), 1, 0},
	{"pipelined QUIT left over", S("abc\r\n.\r\nQUIT\r\n"), S("abc\r\n"), 1,
	 8},
	{"empty message then QUIT", S(".\r\nQUIT\r\n"), S(""), 1, 3},
	{"bare LF to CRLF", S("a\nb\r\n.\r\n"), S("a\r\nb\r\n"), 1, 0},
	/*
	 * A line that is a single "." and does not end the data is content:
	 * its dot is not stuffing (RFC 5321 4.5.2 deletes a leading dot only
	 * when other characters follow), so it stays.
	 */
	{"bare LF dot LF no end", S("a\n.\n"), S("a\r\n.\r\n"), 0, 0},
	{"LF dot LF at start no end", S("\n.\n"), S("\r\n.\r\n"), 0, 0},
	{"LF dot LF smuggling", S("a\n.\nMAIL FROM:<x@y>\r\n.\r\n"),
	 S("a\r\n.\r\nMAIL FROM:<x@y>\r\n"), 1, 0},
	{"CRLF dot LF no end", S("a\r\n.\nb\r\n.\r\n"), S("a\r\n.\r\nb\r\n"), 1,
	 0},
	{"dot LF at start no end", S(".\nx\r\n.\r\n"), S(".\r\nx\r\n"), 1, 0},
	{"LF dot CRLF after bare LF no end", S("a\n.\r\nb\r\n.\r\n"),
	 S("a\r\n.\r\nb\r\n"), 1, 0},
	{"LF dot CRLF at start no end", S("\n.\r\n.\r\n"), S("\r\n.\r\n"), 1,
	 0},
	{"LF dot CRLF then the end", S("a\n.\r\n.\r\nQUIT\r\n"),
	 S("a\r\n.\r\n"), 1, 8},
	{"LF dot CRLF twice", S("a\n.\r\n.\n.\r\nb\r\n.\r\n"),
	 S("a\r\n.\r\n.\r\n.\r\nb\r\n"), 1, 0},
	{"LF dot dot CRLF unstuffed", S("a\n..\r\nb\r\n.\r\n"),
	 S("a\r\n.\r\nb\r\n"), 1, 0},
	{"LF dot dot LF unstuffed", S("a\n..\nb\r\n.\r\n"),
	 S("a\r\n.\r\nb\r\n"), 1, 0},
	{"LF dot text unstuffed", S("a\n.x\r\n.\r\n"), S("a\r\nx\r\n"), 1, 0},
	{"LF dot space unstuffed", S("a\n. \r\n.\r\n"), S("a\r\n \r\n"), 1, 0},
	{"LF dot CR x unstuffed", S("a\n.\rx\r\n.\r\n"), S("a\r\n\rx\r\n"), 1,
	 0},
	{"LF dot CR CR LF unstuffed", S("a\n.\r\r\n.\r\n"), S("a\r\n\r\r\n"), 1,
	 0},
	{"unfinished: LF dot", S("a\n."), S("a\r\n"), 0, 0},
	{"unfinished: LF dot CR", S("a\n.\r"), S("a\r\n"), 0, 0},
	{"bare CR kept", S("a\rb\r\n.\r\n"), S("a\rb\r\n"), 1, 0},
	{"CR CR LF", S("a\r\r\n.\r\n"), S("a\r\r\n"), 1, 0},
	{"dot CR x", S(".\rx\r\n.\r\n"), S("\rx\r\n"), 1, 0},
	{"dot CR CR LF no end", S("a\r\n.\r\r\nb\r\n.\r\n"),
	 S("a\r\n\r\r\nb\r\n"), 1, 0},
	{"CR dot CRLF is not a line start", S("a\r.\r\n.\r\n"), S("a\r.\r\n"),
	 1, 0},
	{"NUL and 8-bit", S("a\0b\xff\xe9\x80\r\n\0\r\n.\r\n"),
	 S("a\0b\xff\xe9\x80\r\n\0\r\n"), 1, 0},
	{"unfinished: no terminator", S("abc\r\n"), S("abc\r\n"), 0, 0},
	{"unfinished: dot", S("abc\r\n."), S("abc\r\n"), 0, 0},
	{"unfinished: dot CR", S("abc\r\n.\r"), S("abc\r\n"), 0, 0},
	{"unfinished: CR", S("abc\r"), S("abc"), 0, 0},
	{"nothing", S(""), S(""), 0, 0},
};

struct run {
	struct buf out;
	size_t consumed;
	int done;
};

/* emit_cb - collect the content */
static void
emit_cb(void *ctx, const char *bytes, size_t n)
{
	buf_append(ctx, bytes, n);
}

/*
 * run_chunks - feed in[] in chunks whose ends are at cuts[0..ncuts);
 * stop feeding once the end of data was reported.
 */
static void
run_chunks(const char *in, size_t len, const size_t *cuts, size_t ncuts,
	   struct run *r)
{
	struct data_decoder d;
	size_t start = 0;

	data_decoder_init(&d);
	buf_init(&r->out, 64);
	r->consumed = 0;
	r->done = 0;
	for (size_t c = 0; c <= ncuts && !r->done; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		size_t n = data_decode(&d, in + start, end - start, emit_cb,
				       &r->out, &r->done);

		if (n > end - start)
			fail_msg("consumed %zu of a %zu-byte chunk", n,
				 end - start);
		if (!r->done && n != end - start)
			fail_msg("consumed %zu of a %zu-byte chunk without end "
				 "of data",
				 n, end - start);
		r->consumed = start + n;
		start = end;
	}
}

/* check_run - one run against the case's expectations */
static void
check_run(const struct data_case *c, const struct run *r, const char *how)
{
	size_t want_consumed = c->consumed ? c->consumed : c->in_len;

	if (r->done != c->done)
		fail_msg("%s (%s): done %d, want %d", c->name, how, r->done,
			 c->done);
	if (r->consumed != want_consumed)
		fail_msg("%s (%s): consumed %zu, want %zu", c->name, how,
			 r->consumed, want_consumed);
	if (r->out.len != c->want_len ||
	    memcmp(r->out.data, c->want, c->want_len) != 0)
		fail_msg("%s (%s): content of %zu bytes differs from the "
			 "wanted %zu",
			 c->name, how, r->out.len, c->want_len);
}

/* check_case - one shot, every two-chunk split, byte by byte */
static void
check_case(const struct data_case *c)
{
	struct run r;
	char how[64];
	size_t *cuts;

	run_chunks(c->in, c->in_len, NULL, 0, &r);
	check_run(c, &r, "one shot");
	buf_release(&r.out);

	for (size_t k = 0; k <= c->in_len; k++) {
		run_chunks(c->in, c->in_len, &k, 1, &r);
		snprintf(how, sizeof(how), "split at %zu", k);
		check_run(c, &r, how);
		buf_release(&r.out);
	}

	cuts = calloc(c->in_len + 1, sizeof(*cuts));
	assert_non_null(cuts);
	for (size_t k = 0; k < c->in_len; k++)
		cuts[k] = k + 1;
	run_chunks(c->in, c->in_len, cuts, c->in_len ? c->in_len - 1 : 0, &r);
	check_run(c, &r, "byte by byte");
	buf_release(&r.out);
	free(cuts);
}

/* test_table - every case of the table */
static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(data_cases) / sizeof(*data_cases); i++)
		check_case(data_cases + i);
}

/* test_long_lines - lines far over 998 bytes pass whole */
static void
test_long_lines(void **state)
{
	static const size_t lens[] = {998, 999, 1000, 4096, 70000};

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(*lens); i++) {
		size_t n = lens[i];
		char *in = malloc(n + 16), *want = malloc(n + 16);
		struct data_case c = {"long line", in, 0, want, 0, 1, 0};

		assert_non_null(in);
		assert_non_null(want);
		/* A stuffed dot, then n bytes of text in total. */
		in[0] = '.';
		memset(in + 1, 'x', n);
		memcpy(in + 1 + n, "\r\n.\r\n", 5);
		c.in_len = n + 6;
		memset(want, 'x', n);
		memcpy(want + n, "\r\n", 2);
		c.want_len = n + 2;
		if (n <= 4096) {
			check_case(&c);
		} else {
			/* Too big for every split: one shot and byte by byte. */
			struct run r;
			size_t *cuts = calloc(c.in_len, sizeof(*cuts));

			assert_non_null(cuts);
			run_chunks(c.in, c.in_len, NULL, 0, &r);
			check_run(&c, &r, "one shot");
			buf_release(&r.out);
			for (size_t k = 0; k + 1 < c.in_len; k++)
				cuts[k] = k + 1;
			run_chunks(c.in, c.in_len, cuts, c.in_len - 1, &r);
			check_run(&c, &r, "byte by byte");
			buf_release(&r.out);
			free(cuts);
		}
		free(in);
		free(want);
	}
}

/* test_zero_length - an empty chunk consumes nothing and ends nothing */
static void
test_zero_length(void **state)
{
	struct data_decoder d;
	struct buf out;
	int done = 1;

	(void)state;
	buf_init(&out, 16);
	data_decoder_init(&d);
	assert_int_equal(data_decode(&d, "", 0, emit_cb, &out, &done), 0);
	assert_int_equal(done, 0);
	assert_int_equal(out.len, 0);
	/* The decoder is still at the start of a line: "." CR LF ends. */
	assert_int_equal(data_decode(&d, ".\r\nX", 4, emit_cb, &out, &done), 3);
	assert_int_equal(done, 1);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

/* test_reuse - after the end, a fresh init starts a new message */
static void
test_reuse(void **state)
{
	static const char in[] = "a\r\n.\r\nb\r\n.\r\n";
	struct data_decoder d;
	struct buf out;
	int done = 0;
	size_t n;

	(void)state;
	buf_init(&out, 16);
	data_decoder_init(&d);
	n = data_decode(&d, in, sizeof(in) - 1, emit_cb, &out, &done);
	assert_int_equal(n, 6);
	assert_int_equal(done, 1);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "a\r\n", 3);
	buf_reset(&out);
	data_decoder_init(&d);
	n = data_decode(&d, in + 6, sizeof(in) - 1 - 6, emit_cb, &out, &done);
	assert_int_equal(n, 6);
	assert_int_equal(done, 1);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "b\r\n", 3);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*++
/* NAME
/*	test_copy 1
/* SUMMARY
/*	unit tests for reinject/copy.c: the copy of a message for a next hop
/* DESCRIPTION
/*	copy_header_field() and copy_field_text(): every field filterd adds
/*	is one well-formed field whatever its value (CR, LF, NUL, controls,
/*	long values, folds that would leave an empty line).
/*
/*	copy_write() on spools built here: the header rewriter (spam
/*	fields removed with their continuation lines, the subject tag,
/*	headers ending at EOF, dot-stuffing) as exact DATA bytes; the same
/*	with a header section of several reads and fields straddling them;
/*	and the defanged copy, whose attachment must decode to the original
/*	byte for byte. copy_size() is never less than what is written.
/*--*/

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reinject/copy.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/stream.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* temp_fd - an unlinked temporary file, read and write */
static int
temp_fd(void)
{
	char path[] = "/tmp/test_copy.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		fail_msg("mkstemp failed");
	unlink(path);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* run_copy - copy_write() of msg; the DATA bytes it wrote, in out */
static void
run_copy(const char *msg, size_t len, const struct copy_spec *spec,
	 struct buf *out)
{
	int in = temp_fd(), fd = temp_fd();
	struct stream *s = stream_open(fd, 65536);
	char err[256], chunk[65536];
	off_t off = 0;
	ssize_t n;

	if (len && write(in, msg, len) != (ssize_t)len)
		fail_msg("write spool");
	assert_int_equal(copy_write(s, in, (off_t)len, spec, err, sizeof(err)),
			 0);
	assert_int_equal(stream_flush(s), 0);
	buf_init(out, 1024);
	while ((n = pread(fd, chunk, sizeof(chunk), off)) > 0) {
		buf_append(out, chunk, (size_t)n);
		off += n;
	}
	stream_close(&s);
	close(in);
}

/* unstuffed - DATA bytes back to the message (the dot and all) */
static void
unstuffed(const struct buf *data, struct buf *msg)
{
	size_t i = 0;

	buf_init(msg, data->len + 1);
	assert_true(data->len >= 3);
	assert_memory_equal(data->data + data->len - 3, ".\r\n", 3);
	while (i < data->len - 3) {
		const char *lf = memchr(data->data + i, '\n',
					data->len - 3 - i);
		size_t end = lf ? (size_t)(lf - data->data) + 1 : data->len - 3;

		i += data->data[i] == '.';
		buf_append(msg, data->data + i, end - i);
		i = end;
	}
}

/* lines_ok - every line of text ends in CR LF and is short enough */
static void
assert_lines_ok(const char *text, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			if (i == 0 || text[i - 1] != '\r')
				fail_msg("bare LF at %zu", i);
			if (i - 1 - start > COPY_LINE_MAX)
				fail_msg("line at %zu: %zu octets", start,
					 i - 1 - start);
			start = i + 1;
		} else if (text[i] == '\r' &&
			   (i + 1 == len || text[i + 1] != '\n')) {
			fail_msg("bare CR at %zu", i);
		}
	}
}

/* One field filterd adds, from "Name: value" to what is written. */
struct field_case {
	const char *line;
	const char *want;
};

static const struct field_case field_cases[] = {
	{"X-Virus-Scanned: filterd at example.net",
	 "X-Virus-Scanned: filterd at example.net\r\n"},
	{"X-Spam-Status: No, score=1\r\n tests=[A=1,\r\n B=2]",
	 "X-Spam-Status: No, score=1\r\n tests=[A=1,\r\n B=2]\r\n"},
	{"X: a\r\n\tb", "X: a\r\n\tb\r\n"},
	/* CR and LF that do not fold cannot start a field. */
	{"Subject: a\r\nBcc: x@y", "Subject: a  Bcc: x@y\r\n"},
	{"X: a\nBcc: x@y", "X: a Bcc: x@y\r\n"},
	{"X: a\rb", "X: a b\r\n"},
	{"X: a\r\n\r\nb", "X: a    b\r\n"},
	{"X: a\r\n.\r\nMAIL FROM:<x>", "X: a  .  MAIL FROM:<x>\r\n"},
	/* Nor end the header section: no line is white space only. */
	{"X: a\r\n \r\n b", "X: a\r\n  b\r\n"},
	{"X: a\r\n ", "X: a \r\n"},
	{"X: a\r\n", "X: a  \r\n"},
	{"X: \r\n b", "X: \r\n b\r\n"},
	{"X:", "X: \r\n"},
	{"X:  two spaces", "X:  two spaces\r\n"},
	/* Controls and DEL replaced; tab and 8-bit (UTF-8) kept. */
	{"X: a\x01"
	 "b\x7f"
	 "c\td\x1b",
	 "X: a?b?c\td?\r\n"},
	{"X: caf\xc3\xa9", "X: caf\xc3\xa9\r\n"},
};

static void
test_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(field_cases); i++) {
		struct buf out;

		buf_init(&out, 16);
		buf_puts(&out, "kept|");
		copy_header_field(&out, field_cases[i].line);
		if (strcmp(out.data + 5, field_cases[i].want) != 0 ||
		    memcmp(out.data, "kept|", 5) != 0)
			fail_msg("case %zu: \"%s\"", i, out.data);
		buf_release(&out);
	}
}

/* NUL inside a value (copy_field_text takes a length). */
static void
test_nul(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 16);
	buf_puts(&out, "X: ");
	assert_int_equal(copy_field_text(&out, 3, "a\0b", 3, 0), 6);
	assert_string_equal(out.data, "X: a?b");
	buf_release(&out);
}

/* unfold - text with every "CR LF" removed, and with "CR LF SP" too */
static void
unfold(const char *text, int drop_space, struct buf *out)
{
	buf_init(out, strlen(text) + 1);
	for (const char *p = text; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			p += 1 + (drop_space && p[2] == ' ');
			continue;
		}
		buf_append(out, p, 1);
	}
}

/* Long values: folded at white space, else after commas, else broken. */
static void
test_long_values(void **state)
{
	static const struct {
		const char *unit;
		int drop_space; /* unfolding takes out the space we added */
	} rows[] = {
		{"word ", 0},
		{"A_RULE=1,", 1},
		{"x", 1},
		{"\t\t\t\t\t\t\t\t\t\t", 0},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		struct buf value, out, flat;

		buf_init(&value, 4096);
		buf_puts(&value, "X-Long: v");
		while (value.len < 3000)
			buf_puts(&value, rows[i].unit);
		buf_puts(&value, "end");
		buf_init(&out, 16);
		copy_header_field(&out, value.data);
		assert_lines_ok(out.data, out.len);
		assert_true(strstr(out.data, "\r\n\r\n") == NULL);
		assert_true(strstr(out.data, "\r\n") < out.data + out.len - 2);
		buf_truncate(&out, out.len - 2);
		unfold(out.data, rows[i].drop_space, &flat);
		if (i < 3 && strcmp(flat.data, value.data) != 0)
			fail_msg("row %zu: unfolds to \"%.60s...\"", i,
				 flat.data);
		/* White space alone cannot make a line of its own. */
		for (char *p = out.data; (p = strstr(p, "\r\n")) != NULL;) {
			p += 2;
			assert_true(strspn(p, " \t") < strcspn(p, "\r"));
		}
		buf_release(&flat);
		buf_release(&out);
		buf_release(&value);
	}
}

/* The subject tag: its white space folds when the original won't fit. */
static void
test_tag_next(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 16);
	buf_puts(&out, "Subject: ");
	assert_int_equal(copy_field_text(&out, 9, "[SPAM] ", 7, 10), 16);
	assert_string_equal(out.data, "Subject: [SPAM] ");
	buf_reset(&out);
	buf_puts(&out, "Subject: ");
	assert_int_equal(copy_field_text(&out, 9, "[SPAM] ", 7, 990), 1);
	assert_string_equal(out.data, "Subject: [SPAM]\r\n ");
	buf_release(&out);
}

/* The header rewriter: a message in, the exact DATA bytes out. */
struct copy_case {
	const char *msg;
	int strip;
	const char *tag;
	const char *added; /* one added field, or NULL */
	const char *want;
};

static const struct copy_case copy_cases[] = {
	/* Nothing to change: byte for byte, dot-stuffed. */
	{"Subject: s\r\n\r\n.body\r\n..\r\n", 0, NULL, NULL,
	 "Subject: s\r\n\r\n..body\r\n...\r\n.\r\n"},
	{".X: leading dot\r\n\r\nno final line end", 0, NULL, NULL,
	 "..X: leading dot\r\n\r\nno final line end\r\n.\r\n"},
	/* Spam fields from outside, with their continuation lines. */
	{"X-Spam-Flag: NO\r\nFrom: a\r\nx-spam-status: No,\r\n\tscore=-50\r\n"
	 "  whitelisted\r\nX-Virus-Scanned: forged\r\nX-Virus-Scanned :"
	 " old\r\nX-Spammer: kept\r\nX-Virus-Scanned-By: kept\r\n"
	 "X-Spam-Report:\r\n x\r\nTo: b\r\n\r\nX-Spam-Flag: body\r\n",
	 1, NULL, NULL,
	 "From: a\r\nX-Spammer: kept\r\nX-Virus-Scanned-By: kept\r\n"
	 "To: b\r\n\r\nX-Spam-Flag: body\r\n.\r\n"},
	/* Not for a copy that keeps them. */
	{"X-Spam-Flag: NO\r\n\r\nb\r\n", 0, NULL, NULL,
	 "X-Spam-Flag: NO\r\n\r\nb\r\n.\r\n"},
	/* The tag: the first Subject, its continuation lines kept. */
	{"From: a\r\nSUBJECT:hi\r\n there\r\nSubject: two\r\n\r\nb\r\n", 0,
	 "[T] ", NULL,
	 "From: a\r\nSUBJECT:[T] hi\r\n there\r\nSubject: two\r\n\r\nb\r\n"
	 ".\r\n"},
	{"From: a\r\n\r\nb\r\n", 0, "[T]", NULL,
	 "From: a\r\nSubject: [T]\r\n\r\nb\r\n.\r\n"},
	{"\r\nbody only\r\n", 0, "[T]", NULL,
	 "Subject: [T]\r\n\r\nbody only\r\n.\r\n"},
	{"Subject: x", 0, "[T] ", NULL, "Subject: [T] x\r\n.\r\n"},
	{"From: a", 0, "[T]", NULL, "From: a\r\nSubject: [T]\r\n.\r\n"},
	{"", 0, "[T]", NULL, "Subject: [T]\r\n.\r\n"},
	{"", 0, NULL, NULL, ".\r\n"},
	/* The tag is a value: it cannot add a field. */
	{"Subject: x\r\n\r\n", 0, "[T]\r\nBcc: v@example.com\r\n", NULL,
	 "Subject: [T]  Bcc: v@example.com  x\r\n\r\n.\r\n"},
	/* Added fields first; a continuation line before any field of the
	 * original would continue ours: dropped. */
	{" orphan\r\n\tline\r\nFrom: a\r\n\r\nb\r\n", 1, NULL,
	 "X-Virus-Scanned: ok",
	 "X-Virus-Scanned: ok\r\nFrom: a\r\n\r\nb\r\n.\r\n"},
	{" orphan\r\nFrom: a\r\n\r\nb\r\n", 0, NULL, NULL,
	 " orphan\r\nFrom: a\r\n\r\nb\r\n.\r\n"},
};

static void
test_rewrite(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(copy_cases); i++) {
		const struct copy_case *c = copy_cases + i;
		struct txn_header added = {NULL, c->added};
		struct copy_spec spec = {{c->added ? &added : NULL, NULL},
					 c->tag,
					 c->strip,
					 0,
					 "MAILID"};
		struct buf out, got;

		run_copy(c->msg, strlen(c->msg), &spec, &out);
		if (out.len != strlen(c->want) ||
		    memcmp(out.data, c->want, out.len) != 0)
			fail_msg("case %zu: \"%s\"", i, out.data);
		unstuffed(&out, &got);
		if (copy_size((off_t)strlen(c->msg), &spec) < (off_t)got.len)
			fail_msg("case %zu: copy_size too small", i);
		buf_release(&got);
		buf_release(&out);
	}
}

/*
 * A header section of several reads of the spool: fields to remove and
 * the Subject at every position around the ends of the 64 KiB reads, a
 * 100 KiB line, the Subject last.
 */
static void
test_large_header(void **state)
{
	(void)state;
	for (size_t shift = 0; shift < 40; shift += 3) {
		struct buf msg, want, out, got;
		struct copy_spec spec = {{NULL, NULL}, "[T] ", 1, 0, "ID"};

		buf_init(&msg, 300000);
		buf_init(&want, 300000);
		for (size_t i = 0; i < shift; i++) {
			buf_puts(&msg, "A");
			buf_puts(&want, "A");
		}
		buf_puts(&msg, ": pad\r\n");
		buf_puts(&want, ": pad\r\n");
		while (msg.len < 65536 * 3) {
			char f[100];

			snprintf(f, sizeof(f), "X-Filler-%zu: %s\r\n", msg.len,
				 "0123456789abcdefghij");
			buf_puts(&msg, f);
			buf_puts(&want, f);
			buf_puts(&msg, "X-Spam-Flag: NO\r\n\tfolded\r\n");
		}
		buf_puts(&msg, "X-Long: ");
		buf_puts(&want, "X-Long: ");
		for (size_t i = 0; i < 100000; i++) {
			buf_append(&msg, "L", 1);
			buf_append(&want, "L", 1);
		}
		buf_puts(&msg, "\r\nSubject: big\r\n\r\nbody\r\n");
		buf_puts(&want, "\r\nSubject: [T] big\r\n\r\nbody\r\n");
		run_copy(msg.data, msg.len, &spec, &out);
		unstuffed(&out, &got);
		if (got.len != want.len || memcmp(got.data, want.data, got.len))
			fail_msg("shift %zu: %zu bytes, want %zu", shift,
				 got.len, want.len);
		buf_release(&got);
		buf_release(&out);
		buf_release(&want);
		buf_release(&msg);
	}
}

/* b64_decode - base64 text (CR LF between lines) into out */
static void
b64_decode(const char *p, size_t len, struct buf *out)
{
	unsigned v = 0;
	int bits = 0;

	buf_init(out, len);
	for (size_t i = 0; i < len; i++) {
		const char *alpha =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
			"uvwxyz0123456789+/";
		const char *at;

		if (p[i] == '\r' || p[i] == '\n' || p[i] == '=')
			continue;
		at = strchr(alpha, p[i]);
		if (at == NULL || p[i] == 0)
			fail_msg("not base64 at %zu: %02x", i,
				 (unsigned char)p[i]);
		v = (v << 6) | (unsigned)(at - alpha);
		bits += 6;
		if (bits >= 8) {
			char c = (char)(v >> (bits - 8));

			buf_append(out, &c, 1);
			bits -= 8;
			v &= (1u << bits) - 1;
		}
	}
}

/* count - occurrences of needle in text[0..len) */
static size_t
count(const char *text, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (const char *p = text;
	     (p = memmem(p, len - (size_t)(p - text), needle, nl)) != NULL;
	     p += nl)
		n++;
	return n;
}

/* check_defanged - the structure of a defanged copy of orig, for why */
static void
check_defanged(const char *orig, size_t len, const char *tag,
	       enum txn_defang why)
{
	struct txn_header scanned = {NULL, "X-Virus-Scanned: ok"};
	struct copy_spec spec = {{&scanned, NULL}, tag, 1, why, "AbC-_9xyz012"};
	const char *notes[] = {"Its MIME structure was ambiguous",
			       "Its MIME structure was too large"};
	int unparsed = why == TXN_DEFANG_UNPARSED;
	struct buf out, got, att;
	const char *hdr_end, *b, *start, *end;
	char boundary[200], delim[210];
	size_t blen;

	run_copy(orig, len, &spec, &out);
	assert_true(copy_size((off_t)len, &spec) >= (off_t)out.len);
	unstuffed(&out, &got);
	assert_lines_ok(got.data, got.len);
	hdr_end = memmem(got.data, got.len, "\r\n\r\n", 4);
	assert_non_null(hdr_end);
	hdr_end += 2;
	/* The header: ours, the original's but MIME, then the new MIME. */
	assert_true(strncmp(got.data, "X-Virus-Scanned: ok\r\nFrom: a@b\r\n",
			    32) == 0);
	assert_int_equal(
		count(got.data, (size_t)(hdr_end - got.data), "Content-"), 1);
	assert_int_equal(count(got.data, (size_t)(hdr_end - got.data),
			       "MIME-Version: 1.0\r\n"),
			 1);
	assert_int_equal(
		count(got.data, (size_t)(hdr_end - got.data), "X-Spam"), 0);
	assert_int_equal(count(got.data, (size_t)(hdr_end - got.data),
			       "content-transfer"),
			 0);
	assert_non_null(memmem(got.data, (size_t)(hdr_end - got.data),
			       tag ? "Subject: [T] ambiguous\r\n"
				   : "Subject: ambiguous\r\n",
			       tag ? 24 : 20));
	b = memmem(got.data, (size_t)(hdr_end - got.data), "boundary=\"", 10);
	assert_non_null(b);
	b += 10;
	blen = strcspn(b, "\"");
	assert_true(blen < 100);
	memcpy(boundary, b, blen);
	boundary[blen] = 0;
	/* Its delimiters only: three after the header, none elsewhere. */
	assert_int_equal(count(got.data, got.len, boundary), 4);
	assert_int_equal(count(hdr_end, got.len - (size_t)(hdr_end - got.data),
			       boundary),
			 3);
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", boundary);
	assert_memory_equal(got.data + got.len - strlen(delim), delim,
			    strlen(delim));
	assert_non_null(memmem(hdr_end, got.len - (size_t)(hdr_end - got.data),
			       "mail_id: AbC-_9xyz012\r\n", 23));
	/* The note says why, and only that. */
	assert_int_equal(count(hdr_end, got.len - (size_t)(hdr_end - got.data),
			       notes[unparsed]),
			 1);
	assert_int_equal(count(hdr_end, got.len - (size_t)(hdr_end - got.data),
			       notes[!unparsed]),
			 0);
	/* The attachment decodes to the original, byte for byte. */
	start = memmem(got.data, got.len, "Content-Transfer-Encoding: base64",
		       33);
	assert_non_null(start);
	start = memmem(start, got.len - (size_t)(start - got.data), "\r\n\r\n",
		       4) +
		4;
	end = got.data + got.len - strlen(delim);
	b64_decode(start, (size_t)(end - start), &att);
	if (att.len != len || memcmp(att.data, orig, len) != 0)
		fail_msg("attachment: %zu bytes, want %zu", att.len, len);
	for (const char *p = start; p < end;) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));

		eol = eol ? eol : end;
		assert_true(eol - p <= 76);
		p = eol + 2;
	}
	buf_release(&att);
	buf_release(&got);
	buf_release(&out);
}

static void
test_defang(void **state)
{
	static const char ambiguous[] =
		"From: a@b\r\nX-Spam-Flag: NO\r\nSubject: ambiguous\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"aaa\";\r\n"
		" boundary=\"bbb\"\r\ncontent-transfer-encoding: 8bit\r\n\r\n"
		"--aaa\r\nContent-Type: text/plain\r\n\r\nharmless\r\n"
		".leading dot\r\n\xff\xfe 8-bit\r\n"
		"--bbb\r\nContent-Type: application/octet-stream\r\n\r\n"
		"MZ smuggled\r\n--bbb--\r\n--aaa--";
	struct buf big;
	unsigned x = 12345;

	(void)state;
	check_defanged(ambiguous, sizeof(ambiguous) - 1, NULL,
		       TXN_DEFANG_AMBIGUOUS);
	check_defanged(ambiguous, sizeof(ambiguous) - 1, "[T] ",
		       TXN_DEFANG_AMBIGUOUS);
	check_defanged(ambiguous, sizeof(ambiguous) - 1, NULL,
		       TXN_DEFANG_UNPARSED);
	/* Several reads of the spool, lengths around the 57-octet lines. */
	buf_init(&big, 300000);
	buf_append(&big, ambiguous, sizeof(ambiguous) - 1);
	buf_puts(&big, "\r\n");
	while (big.len < 200000) {
		char c;

		x = x * 1103515245 + 12345;
		c = (char)(x >> 16);
		buf_append(&big, &c, 1);
	}
	for (size_t cut = 0; cut < 4; cut++)
		check_defanged(big.data, big.len - cut, NULL,
			       cut % 2 ? TXN_DEFANG_UNPARSED
				       : TXN_DEFANG_AMBIGUOUS);
	buf_release(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_tag_next),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_large_header),
		cmocka_unit_test(test_defang),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

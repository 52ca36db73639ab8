/*++
/* NAME
/*	test_scan_clamav 1
/* SUMMARY
/*	unit tests for scan_clamav_text_marked()
/* DESCRIPTION
/*	Text with a line that libclamav's mail parser would unpack (in-text
/*	encodings, quoted messages) must be found wherever the line falls:
/*	at the start, after CR LF or a bare LF, across the 64 KiB reads,
/*	at the very end, inside a window of a larger file. Text without one
/*	must not be.
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

#include "scan/scan_clamav.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* file_with - an unlinked temporary file holding data */
static int
file_with(const char *data, size_t len)
{
	char path[] = "/tmp/test_scan_clamav.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* marked - scan_clamav_text_marked over the whole of a string */
static int
marked(const char *text)
{
	int fd = file_with(text, strlen(text));
	int r = scan_clamav_text_marked(fd, 0, (off_t)strlen(text));

	close(fd);
	return r;
}

static void
test_short_texts(void **state)
{
	static const struct {
		const char *text;
		int want;
	} rows[] = {
		{"", 0},
		{"hello\r\nworld\r\n", 0},
		{"begin 644 eicar.com\r\n", 1},
		{"hi\r\nbegin 644 x\r\n`\r\nend\r\n", 1},
		{"hi\nBEGIN 644 x\n", 1},	 /* case, bare LF */
		{"say begin 644 inline\r\n", 0}, /* not at a line start */
		{"beginning\r\n", 0},
		{"x\r\n(This file must be converted with BinHex 4.0)\r\n", 1},
		{"x\r\n=ybegin line=128 size=5 name=a\r\n", 1},
		{"x\r\nbegin-base64 644 a\r\n", 1},
		{"----- Original -----\r\nFrom: a@example.org\r\n", 1},
		{"x\r\nFrom someone Mon Jan  1 00:00:00 2024\r\n", 1},
		{"x\r\n>From someone Mon Jan  1 00:00:00 2024\r\n", 1},
		{"From MAILER-DAEMON Sat Dec  5 08:43:33 2026", 1}, /* no LF */
		/* the mbox line as libclamav tells it: 6 spaces, 11 digits */
		{"x\r\n>From quoted\r\n", 0},
		{"From years same team which may under any draft\r\n", 0},
		{"From 2019 to 2024 we grew\r\n", 0},
		{"from someone Mon Jan  1 00:00:00 2024\r\n", 0}, /* case */
		{"From a b c d e f 1234567890\r\n", 0}, /* 10 digits */
		{"From a b c d 12345678901\r\n", 0},	/* 5 spaces */
		{"From a b c d e f 12345678901\r\n", 1},
		/* longer than libclamav's 72: still taken */
		{"From someone@a-rather-long-domain.example.org Mon Jan  1 "
		 "00:00:00 2024 remote from somewhere\r\n",
		 1},
		{"x\r\nReceived: from mx\r\n", 1},
		{"x\r\ncontent-type: text/plain\r\n", 1},
		{"x\r\nMIME-Version: 1.0", 1}, /* last line, no LF */
		{"x\r\nFrom", 0},	       /* shorter than "From " */
		{"Fromage is cheese\r\n", 0},
		/* a bare CR ends a line for libclamav: its reading differs */
		{"x\rbegin 644 y\r\n", 1},
		{"a\rb\r\n", 1},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		int got = marked(rows[i].text);

		if (got != rows[i].want)
			fail_msg("row %zu \"%s\": got %d, want %d", i,
				 rows[i].text, got, rows[i].want);
	}
}

/* fill_lines - size bytes of 79-byte lines of 'a', NUL-terminated */
static void
fill_lines(char *text, size_t size)
{
	memset(text, 'a', size);
	for (size_t k = 79; k < size; k += 80)
		text[k] = '\n';
	text[size] = 0;
}

/* A NUL, which libclamav's mail parser drops, is marked. */
static void
test_nul_marked(void **state)
{
	char text[2100];
	int fd;

	(void)state;
	fill_lines(text, 2000);
	fd = file_with(text, 2000);
	assert_int_equal(scan_clamav_text_marked(fd, 0, 2000), 0);
	close(fd);
	text[500] = 0;
	fd = file_with(text, 2000);
	assert_int_equal(scan_clamav_text_marked(fd, 0, 2000), 1);
	close(fd);
}

/*
 * An mbox "From " line, whose spaces and digits must all be read, at
 * every position around the 64 KiB read boundary.
 */
static void
test_from_line_across_reads(void **state)
{
	static const char line[] = "From a@example.org Sat Dec  5 08:43:33 "
				   "2026\n";
	const size_t size = 65536 * 2 + 200;
	char *text = malloc(size + 1);

	(void)state;
	for (size_t at = 65536 - 130; at <= 65536 + 4; at++) {
		int fd;

		fill_lines(text, size);
		text[at - 1] = '\n';
		memcpy(text + at, line, sizeof(line) - 1);
		fd = file_with(text, size);
		if (scan_clamav_text_marked(fd, 0, (off_t)size) != 1)
			fail_msg("From line at %zu not found", at);
		/* one digit less: prose */
		text[at + 37] = 'x';
		assert_int_equal(pwrite(fd, text + at + 37, 1, (off_t)at + 37),
				 1);
		if (scan_clamav_text_marked(fd, 0, (off_t)size) != 0)
			fail_msg("From line with 10 digits at %zu found", at);
		close(fd);
	}
	free(text);
}

/* A marker line at every position around the 64 KiB read boundary. */
static void
test_marker_across_reads(void **state)
{
	const size_t size = 65536 * 2 + 100;
	char *text = malloc(size + 1);

	(void)state;
	for (size_t at = 65536 - 30; at <= 65536 + 4; at++) {
		int fd;

		fill_lines(text, size);
		/* a line break, then the marker starting at offset at */
		text[at - 1] = '\n';
		memcpy(text + at, "begin 644 x\n", 12);
		fd = file_with(text, size);
		if (scan_clamav_text_marked(fd, 0, (off_t)size) != 1)
			fail_msg("marker at %zu not found", at);
		/* the same bytes with the marker defused */
		text[at] = 'B' + 1;
		assert_int_equal(pwrite(fd, text + at, 1, (off_t)at), 1);
		if (scan_clamav_text_marked(fd, 0, (off_t)size) != 0)
			fail_msg("defused marker at %zu found", at);
		close(fd);
	}
	free(text);
}

/* Only the window counts: a marker outside it is not the part's. */
static void
test_window(void **state)
{
	const char *text = "Received: x\r\nbody line\r\nbegin 644 y\r\n";
	int fd = file_with(text, strlen(text));

	(void)state;
	assert_int_equal(scan_clamav_text_marked(fd, 13, 11), 0);
	assert_int_equal(scan_clamav_text_marked(fd, 0, 13), 1);
	assert_int_equal(scan_clamav_text_marked(fd, 13, 24), 1);
	close(fd);
	/* a window past the end of the file cannot be read whole */
	fd = file_with("plain\r\n", 7);
	assert_int_equal(scan_clamav_text_marked(fd, 0, 1000), -1);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_texts),
		cmocka_unit_test(test_marker_across_reads),
		cmocka_unit_test(test_from_line_across_reads),
		cmocka_unit_test(test_nul_marked),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

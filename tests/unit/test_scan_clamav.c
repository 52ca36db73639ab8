/*++
/* NAME
/*	test_scan_clamav 1
/* SUMMARY
/*	unit tests for scan_clamav_text_marked(), scan_clamav_raw_marked()
/*	and the files scan_clamav_span() leaves out
/* DESCRIPTION
/*	Text with a line that libclamav's mail parser would unpack (in-text
/*	encodings, quoted messages) must be found wherever the line falls:
/*	at the start, after CR LF or a bare LF, after 999 bytes of a longer
/*	line, across the 64 KiB reads, at the very end, inside a window of
/*	a larger file. Text without one must not be.
/*
/*	A real libclamav engine (a one-signature directory made by the test)
/*	scans a message with its mail parser: the attachment it takes out is
/*	left out when its bytes are noted, not when other bytes of its size
/*	are, nor while the clean cache is on; an archive whose members
/*	libclamav scans as windows of one file is read once. A cpio attachment,
/*	whose members libclamav scans as windows of one file, is noted once,
/*	not once more for each member (test_attack16c), nor when a file
/*	compared between two members displaces it (test_attack16d).
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

#include "conf/conf.h"
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

/* A text and what a check should say of it. */
struct row {
	const char *text;
	int want;
};

/* check_rows - check over the whole of each row's text */
static void
check_rows(const struct row *rows, size_t n, int (*check)(int, off_t, off_t))
{
	for (size_t i = 0; i < n; i++) {
		int fd = file_with(rows[i].text, strlen(rows[i].text));
		int got = check(fd, 0, (off_t)strlen(rows[i].text));

		close(fd);
		if (got != rows[i].want)
			fail_msg("row %zu \"%s\": got %d, want %d", i,
				 rows[i].text, got, rows[i].want);
	}
}

static void
test_short_texts(void **state)
{
	static const struct row rows[] = {
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
		{"a\r\nb\r", 0}, /* a CR at the very end starts no line */
	};

	(void)state;
	check_rows(rows, N_ELEMS(rows), scan_clamav_text_marked);
}

/*
 * long_line - a line of n bytes of 'x' then tail, in a file; what
 * scan_clamav_text_marked() says of it
 */
static int
long_line(size_t n, const char *tail, int (*check)(int, off_t, off_t))
{
	size_t tl = strlen(tail);
	char *text = malloc(n + tl);
	int fd, r;

	memset(text, 'x', n);
	memcpy(text + n, tail, tl);
	fd = file_with(text, n + tl);
	r = check(fd, 0, (off_t)(n + tl));
	close(fd);
	free(text);
	return r;
}

/*
 * libclamav's mail parser starts a new line after 999 bytes of one
 * (also around the 64 KiB reads: 65 * 999 < 65536 < 66 * 999), and a
 * marker there is a line start to it; one byte off is not.
 */
static void
test_long_lines(void **state)
{
	static const char uu[] = "begin 644 e.com\r\n";

	(void)state;
	for (size_t k = 1; k <= 67; k += (k < 3 || k > 63) ? 1 : 31) {
		if (long_line(999 * k, uu, scan_clamav_text_marked) != 1)
			fail_msg("begin after %zu bytes not found", 999 * k);
		if (long_line(999 * k, uu, scan_clamav_raw_marked) != 1)
			fail_msg("raw: begin after %zu bytes not found",
				 999 * k);
		if (long_line(999 * k - 1, uu, scan_clamav_text_marked) != 0 ||
		    long_line(999 * k + 1, uu, scan_clamav_text_marked) != 0)
			fail_msg("begin next to %zu bytes found", 999 * k);
	}
	/* the raw check: a header name where only the split starts a line */
	assert_int_equal(long_line(999, "Content-Type: multipart/mixed\r\n",
				   scan_clamav_raw_marked),
			 1);
	assert_int_equal(long_line(1998, "From: a@example.org\r\n",
				   scan_clamav_raw_marked),
			 1);
	assert_int_equal(long_line(998, "Content-Type: multipart/mixed\r\n",
				   scan_clamav_raw_marked),
			 0);
	assert_int_equal(long_line(999, "\r\nContent-Type: text/plain\r\n",
				   scan_clamav_raw_marked),
			 0);
	/* 999 bytes, then the line's end: the next line starts after it */
	assert_int_equal(
		long_line(999, "\r\nbegin 644 e\r\n", scan_clamav_text_marked),
		1);
	assert_int_equal(long_line(998, "\r\nx begin 644 e\r\n",
				   scan_clamav_text_marked),
			 0);
}

/* A bare CR is found where one read ends and the next begins. */
static void
test_cr_across_reads(void **state)
{
	(void)state;
	assert_int_equal(long_line(65535, "\rb", scan_clamav_text_marked), 1);
	assert_int_equal(long_line(65535, "\r\nb", scan_clamav_text_marked), 0);
	assert_int_equal(long_line(65536, "\rb", scan_clamav_text_marked), 1);
}

/* The raw check: encoded content only, in any line of a message. */
static void
test_raw_marked(void **state)
{
	static const struct row rows[] = {
		{"Subject: x\r\n\r\nhello\r\n", 0},
		{"Content-Type: text/plain\r\nFrom: a@b\r\n\r\nhi\r\n", 0},
		{"Subject: x\r\n\r\nhi=\r\nbegin 644 e.com\r\n", 1},
		{"\r\n--b\r\n\r\n=ybegin line=128 size=5 name=a\r\n", 1},
		{"\r\n(This file must be converted with BinHex 4.0)\r\n", 1},
		{"\r\nQmVnaW4=\r\n", 0},
	};

	(void)state;
	check_rows(rows, N_ELEMS(rows), scan_clamav_raw_marked);
}

/* test_engine - an engine with the one unit test signature, in *dir */
static struct cl_engine *
test_engine(char *dir, int cache)
{
	char path[64], err[256];
	struct cl_engine *e;
	struct conf *c;
	unsigned sigs;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.ndb", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "Filterd-Unit-Test:0:*:66696c74657264756e6974\n");
	fclose(fp);
	assert_non_null(c = conf_load(NULL, err, sizeof(err)));
	free(c->clamav.database);
	c->clamav.database = strdup(dir);
	c->clamav.disable_cache = !cache;
	assert_non_null(e = scan_clamav_load(c, &sigs, err, sizeof(err)));
	conf_free(&c);
	unlink(path);
	rmdir(dir);
	return e;
}

/* mail_with - a message: text, then data as a base64 attachment */
static size_t
mail_with(char *msg, const char *ctype, const unsigned char *data, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	char *w = msg;

	w += sprintf(w,
		     "From: a@example.org\r\nSubject: t\r\n"
		     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: "
		     "text/plain\r\n\r\nhello there\r\n--b\r\nContent-Type: "
		     "%s\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		     ctype);
	assert_int_equal(len % 3, 0);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16 |
			     (unsigned)data[i + 1] << 8 | data[i + 2];

		for (int k = 18; k >= 0; k -= 6)
			*w++ = b64[(v >> k) & 63];
		if (i % 57 == 54)
			w += sprintf(w, "\r\n");
	}
	w += sprintf(w, "\r\n--b--\r\n");
	return (size_t)(w - msg);
}

/* scan_mail - scan_clamav_span() of a message with the mail parser */
static enum scan_verdict
scan_mail(struct cl_engine *e, const char *msg, size_t len,
	  struct scan_clamav_skip *skip)
{
	const char *virname;
	char err[256];
	enum scan_verdict v;
	int fd = file_with(msg, len);

	v = scan_clamav_span(e, fd, 0, (off_t)len, 1, skip, &virname, err,
			     sizeof(err));
	close(fd);
	return v;
}

/* note - scan_clamav_skip_add() of some bytes */
static void
note(struct scan_clamav_skip *skip, const void *data, size_t len)
{
	int fd = file_with(data, len);

	assert_int_equal(scan_clamav_skip_add(skip, fd, 0, (off_t)len), 0);
	close(fd);
}

/*
 * A file libclamav's mail parser takes out whose bytes are noted is left
 * out of its scan (the signature in it is not found there: filterd scans
 * it itself); other bytes of its size are not; with the clean cache on,
 * nothing is left out (libclamav would cache it as clean).
 */
static void
test_skip(void **state)
{
	char dir[] = "/tmp/test_scan_clamav_db.XXXXXX";
	char dir2[] = "/tmp/test_scan_clamav_db.XXXXXX";
	unsigned char blob[300], other[300];
	struct scan_clamav_skip skip;
	static char msg[4096];
	struct cl_engine *e;
	size_t len;

	(void)state;
	blob[0] = 0x89;
	memcpy(blob + 1, "PNG\r\n\x1a\n", 7);
	for (size_t i = 8; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7 + 3);
	memcpy(blob + 100, "filterdunit", 11);
	memcpy(other, blob, sizeof(other));
	other[150] ^= 1;
	len = mail_with(msg, "image/png", blob, sizeof(blob));

	e = test_engine(dir, 0);
	memset(&skip, 0, sizeof(skip));
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_INFECTED);
	assert_int_equal(scan_mail(e, msg, len, NULL), SCAN_INFECTED);
	note(&skip, other, sizeof(other));
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_INFECTED);
	assert_int_equal(skip.skipped, 0);
	note(&skip, blob, sizeof(blob));
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_CLEAN);
	assert_int_equal(skip.skipped, 1);
	scan_clamav_skip_free(&skip);
	assert_int_equal(skip.n, 0);
	scan_clamav_free(&e);

	e = test_engine(dir2, 1);
	note(&skip, blob, sizeof(blob));
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_INFECTED);
	assert_int_equal(skip.skipped, 0);
	scan_clamav_skip_free(&skip);
	scan_clamav_free(&e);
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

/* cpio_newc - a newc entry at w of the archive at base; its end */
static char *
cpio_newc(const char *base, char *w, const char *name, const char *data,
	  size_t len, unsigned ino)
{
	size_t n = strlen(name) + 1;

	w += sprintf(w,
		     "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X"
		     "%08zX%08X",
		     ino, 0100644u, 0u, 0u, 1u, 0u, len, 0u, 0u, 0u, 0u, n, 0u);
	memcpy(w, name, n);
	w += n;
	while ((w - base) % 4)
		*w++ = 0;
	memcpy(w, data, len);
	w += len;
	while ((w - base) % 4)
		*w++ = 0;
	return w;
}

/*
 * cpio_mail - a message (into msg, its length returned) with a cpio of
 * 20 members attached (into arc, its length in *alen), each member a
 * line of text or, with mails, a small mail; noted in skip (emptied
 * first): bytes of the cpio's size, not its own
 */
static size_t
cpio_mail(char *arc, size_t *alen, char *msg, int mails,
	  struct scan_clamav_skip *skip)
{
	static char other[16384];
	char *a = arc;

	for (unsigned i = 0; i < 20; i++) {
		char name[16], data[256];

		snprintf(name, sizeof(name), mails ? "m%u.eml" : "m%u", i);
		if (mails)
			snprintf(data, sizeof(data),
				 "From: a@example.org\r\nTo: b@example.net\r\n"
				 "Subject: member %02u\r\n\r\nthe text of "
				 "member %02u of the cpio\r\n",
				 i, i);
		else
			snprintf(data, sizeof(data), "member %02u of the cpio",
				 i);
		a = cpio_newc(arc, a, name, data, strlen(data), i + 1);
	}
	a = cpio_newc(arc, a, "TRAILER!!!", "", 0, 0);
	*alen = (size_t)(a - arc);
	while (*alen % 3)
		arc[(*alen)++] = 0; /* cpio pads its end; base64 in groups */
	memcpy(other, arc, *alen);
	other[*alen - 1] = 1;
	memset(skip, 0, sizeof(*skip));
	note(skip, other, *alen);
	return mail_with(msg, "application/x-cpio; name=\"a.cpio\"",
			 (const unsigned char *)arc, *alen);
}

/*
 * test_attack16c: a cpio attachment of 20 members, which libclamav scans
 * as windows of the one file its mail parser made (cpio.c:
 * cli_magic_scan_nested_fmap_type, no descriptor of their own). The
 * pre-scan callback gets that file's descriptor (fmap_fd() of a
 * duplicate map) for every member; bytes of the cpio's size but not its
 * own are noted, so each call compares. It read the whole file again
 * each time: 21 passes where one does (a 3 MB message of 2000 members
 * took 3049 ms of virus scan against 125 ms before 1030508).
 */
static void
test_skip_windows(void **state)
{
	char dir[] = "/tmp/test_scan_clamav_db.XXXXXX";
	static char arc[16384], msg[32768];
	struct scan_clamav_skip skip;
	struct cl_engine *e;
	size_t alen, len;

	(void)state;
	e = test_engine(dir, 0);
	len = cpio_mail(arc, &alen, msg, 0, &skip);
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_CLEAN);
	assert_int_equal(skip.skipped, 0);
	/* the cpio read once, not again for each of its 20 members */
	assert_int_equal(skip.hashed, 1);
	/* noted, it is left out at once: its members are not reached */
	note(&skip, arc, alen);
	skip.hashed = 0;
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_CLEAN);
	assert_int_equal(skip.skipped, 1);
	assert_int_equal(skip.hashed, 1);
	scan_clamav_skip_free(&skip);
	scan_clamav_free(&e);
}

/*
 * test_attack16d: the same cpio, but each member a small mail, whose
 * text libclamav's mail parser writes into a file of its own (a
 * descriptor) between two members. Noted bytes of every small size (a
 * message's decoy parts) make that file compared too: it becomes the
 * last file looked at, and the next member's window, the cpio's
 * descriptor again, no longer is: the whole cpio is read again for each
 * member, as before the fix of test_skip_windows (2N reads where one
 * does: now only files one level below the message are compared).
 * Here the cpio is an attachment and bytes of its size (not its own)
 * are noted; in a message it would be a cpio filterd has no part for
 * (uuencoded in a multipart's preamble) beside a decoy part of its size
 * and one of the members' texts' size: the reads grew with members
 * times cpio size.
 */
static void
test_skip_windows_between(void **state)
{
	char dir[] = "/tmp/test_scan_clamav_db.XXXXXX";
	static char arc[16384], msg[32768];
	struct scan_clamav_skip skip;
	struct cl_engine *e;
	size_t alen, len;

	(void)state;
	e = test_engine(dir, 0);
	len = cpio_mail(arc, &alen, msg, 1, &skip);
	/* decoys: bytes of every small size, none a member's text */
	for (size_t sz = 6; sz < 400; sz++) {
		char decoy[400];

		memset(decoy, '#', sz);
		note(&skip, decoy, sz);
	}
	assert_int_equal(scan_mail(e, msg, len, &skip), SCAN_CLEAN);
	assert_int_equal(skip.skipped, 0);
	/*
	 * only what the mail parser takes out is compared, each once: the
	 * cpio and its copy of the text part (a decoy has that size)
	 */
	if (skip.hashed != 2)
		fail_msg("%zu files read to compare for a cpio of 20 members "
			 "(the cpio and the text: 2)",
			 skip.hashed);
	scan_clamav_skip_free(&skip);
	scan_clamav_free(&e);
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
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_cr_across_reads),
		cmocka_unit_test(test_raw_marked),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_skip_windows),
		cmocka_unit_test(test_skip_windows_between),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

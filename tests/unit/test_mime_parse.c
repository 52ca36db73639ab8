/*++
/* NAME
/*	test_mime_parse 1
/* SUMMARY
/*	unit tests for mime/mime_parse.c: what GMime keeps after the parse
/* DESCRIPTION
/*	GMime 3 keeps a copy of the parser options, warning callback and
/*	callback data included, in every header list it made, and uses it
/*	whenever it decodes a value again (a header given a new raw value,
/*	g_mime_header_set_raw_value(), is decoded with it). So what the
/*	callback writes to must live as long as the message: a warning
/*	raised after mime_parse() returned still lands on the txn's
/*	summary, and mime_free() releases everything.
/*
/*	Ambiguous MIME is told apart from the limits: the reason is our own
/*	text, the walk goes on (the parts are still checked), and a message
/*	within the limits has mime.unchecked NULL.
/*
/*	Parts are decoded as lenient mail programs decode them: an odd
/*	Content-Transfer-Encoding by its first token, base64 to its last
/*	whole byte, quoted-printable the RFC's way (blanks before a line
/*	break go); what no reading is sure for is named in mime.undecoded.
/*	A delimiter line padded with blanks makes the message malformed, one
/*	in a preamble or epilogue ambiguous. Every name a part declares is
/*	kept. Attached messages (encoded
/*	message/rfc822, *.eml, content that starts as mail) are walked as
/*	children of their part, within the limits (what GMime would build
/*	of them counted before it does), leaving no file behind.
/*--*/

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "conf/conf.h"
#include "mime/mime_parse.h"
#include "spool/spool.h"
#include "txn/txn.h"

static struct conf *conf;
static char tmp_dir[] = "/tmp/test_mime_parse.XXXXXX";

/* parsed - a txn whose spool holds text, after mime_parse() */
static struct txn *
parsed(const char *text)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 25);
	char err[256];

	t->spool = spool_create("/tmp", t->id, err, sizeof(err));
	assert_non_null(t->spool);
	spool_write(t->spool, text, strlen(text));
	assert_int_equal(spool_commit(t->spool, err, sizeof(err)), 0);
	t->size = (off_t)strlen(text);
	assert_int_equal(mime_parse(t), 0);
	return t;
}

/* scribble - reuse the stack mime_parse() ran on */
static void __attribute__((noinline)) scribble(void)
{
	volatile char junk[65536];

	memset((char *)junk, 0xa5, sizeof(junk));
}

/* A part with a header that will be given a value GMime warns about. */
static const char later_warning[] =
	"From: a@example.org\r\n"
	"Subject: lazy\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	"\r\n"
	"--b\r\n"
	"Content-Type: text/plain\r\n"
	"X-Note: fine\r\n"
	"\r\n"
	"hello\r\n"
	"--b--\r\n";

/* test_warning_after_parse - the callback's data outlives mime_parse() */
static void
test_warning_after_parse(void **state)
{
	struct txn *t = parsed(later_warning);
	const struct mime_part *p;
	GMimeHeader *h = NULL;

	(void)state;
	assert_false(t->mime.malformed);
	for (p = t->mime.parts; p && h == NULL; p = p->next)
		if (p->is_leaf)
			h = g_mime_header_list_get_header(
				g_mime_object_get_header_list(
					GMIME_OBJECT(p->object)),
				"X-Note");
	assert_non_null(h);
	scribble();
	/* An encoded word with a space in it: GMime warns as it decodes. */
	g_mime_header_set_raw_value(h, " =?utf-8?q?odd word?=\r\n");
	assert_string_equal(g_mime_header_get_value(h), "odd word");
	assert_true(t->mime.malformed);
	txn_free(&t);
}

/* test_ambiguous - two boundary= values: our reason, and the walk */
static void
test_ambiguous(void **state)
{
	static const char text[] =
		"From: a@example.org\r\n"
		"Subject: ambiguous\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"one\"; "
		"boundary=\"X-Evil: yes\"\r\n"
		"\r\n"
		"--one\r\n"
		"Content-Type: application/octet-stream; name=\"evil.exe\"\r\n"
		"\r\n"
		"MZ\r\n"
		"--one--\r\n";
	struct txn *t = parsed(text);
	int named = 0;

	(void)state;
	assert_true(t->mime.malformed);
	assert_non_null(t->mime.ambiguous);
	assert_null(t->mime.unchecked);
	assert_string_equal(t->mime.ambiguous,
			    "ambiguous MIME (conflicting parameter at offset "
			    "60)");
	for (const struct mime_part *p = t->mime.parts; p; p = p->next)
		named += p->name && strcmp(p->name, "evil.exe") == 0;
	assert_int_equal(named, 1);
	txn_free(&t);
}

/* test_plain - nothing odd: no reason at all */
static void
test_plain(void **state)
{
	struct txn *t = parsed(
		"From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n");

	(void)state;
	assert_false(t->mime.malformed);
	assert_null(t->mime.ambiguous);
	assert_null(t->mime.unchecked);
	txn_free(&t);
}

/* part - the n-th part (from 0) of a parsed message */
static const struct mime_part *
part(const struct txn *t, size_t n)
{
	const struct mime_part *p = t->mime.parts;

	while (p && n-- > 0)
		p = p->next;
	assert_non_null(p);
	return p;
}

/* content - a part's decoded content, as a NUL-terminated pool string */
static const char *
content(struct txn *t, const struct mime_part *p)
{
	char buf[4096];
	long size;
	int fd = mime_part_content(t, p, sizeof(buf) - 1, &size);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_int_equal(n, size);
	close(fd);
	buf[n] = '\0';
	return pool_strdup(t->pool, buf);
}

/* tmp_files - how many files tmp_dir holds */
static int
tmp_files(void)
{
	DIR *d = opendir(tmp_dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* with_part - a message of one text part and one part (headers, body) */
static char *
with_part(const char *headers, const char *body)
{
	return g_strdup_printf(
		"From: a@example.org\r\n"
		"Subject: part\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
		"\r\n"
		"--b\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"hello\r\n"
		"--b\r\n"
		"%s"
		"\r\n"
		"%s\r\n"
		"--b--\r\n",
		headers, body);
}

/* test_names - every name a part declares, decoded, none empty */
static void
test_names(void **state)
{
	static const struct {
		const char *headers;
		const char *names[3];
	} cases[] = {
		{"Content-Type: application/octet-stream; name=\"run.exe\"\r\n"
		 "Content-Disposition: attachment; filename=\"run.txt\"\r\n",
		 {"run.txt", "run.exe"}},
		{"Content-Type: application/octet-stream; name=\"run.exe\"\r\n"
		 "Content-Disposition: attachment; filename=\"\"\r\n",
		 {"run.exe"}},
		{"Content-Type: application/octet-stream; "
		 "name*=utf-8''r%C3%BCn.exe\r\n"
		 "Content-Disposition: attachment; filename=\"a.txt\"\r\n",
		 {"a.txt", "r\xc3\xbcn.exe"}},
		{"Content-Type: application/octet-stream; "
		 "name=\"=?utf-8?B?cnVuLmV4ZQ==?=\"\r\n",
		 {"run.exe"}},
		{"Content-Type: application/octet-stream\r\n", {NULL}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = with_part(cases[i].headers, "x");
		struct txn *t = parsed(text);
		const struct mime_part *p = part(t, 2);
		size_t n = 0;

		while (n < 3 && cases[i].names[n])
			n++;
		assert_int_equal(p->n_names, n);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(p->names[k], cases[i].names[k]);
		if (n)
			assert_string_equal(p->name, cases[i].names[0]);
		else
			assert_null(p->name);
		txn_free(&t);
		g_free(text);
	}
}

/* test_encodings - an odd Content-Transfer-Encoding, read leniently */
static void
test_encodings(void **state)
{
	static const struct {
		const char *cte;
		int encoding;	 /* how we decode the part */
		int as_stored;	 /* GMime reads it as stored */
		int otherwise;	 /* mime.decoded_otherwise */
		int undecoded;	 /* mime.undecoded set */
		const char *got; /* the decoded content */
	} cases[] = {
		{"base64", GMIME_CONTENT_ENCODING_BASE64, 0, 0, 0, "ABC"},
		{" BASE64 ", GMIME_CONTENT_ENCODING_BASE64, 0, 0, 0, "ABC"},
		{"\r\n base64", GMIME_CONTENT_ENCODING_BASE64, 0, 0, 0, "ABC"},
		{"base64;", GMIME_CONTENT_ENCODING_BASE64, 1, 1, 0, "ABC"},
		{"\"base64\"", GMIME_CONTENT_ENCODING_BASE64, 1, 1, 0, "ABC"},
		{"base64 x", GMIME_CONTENT_ENCODING_BASE64, 0, 1, 0, "ABC"},
		{"7bit;", GMIME_CONTENT_ENCODING_DEFAULT, 0, 1, 0, "QUJD"},
		{"x-base64", GMIME_CONTENT_ENCODING_DEFAULT, 0, 1, 1, "QUJD"},
		{"b\r\n ase64", GMIME_CONTENT_ENCODING_DEFAULT, 0, 1, 1,
		 "QUJD"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *h = g_strdup_printf(
			"Content-Type: application/octet-stream\r\n"
			"Content-Transfer-Encoding: %s\r\n",
			cases[i].cte);
		char *text = with_part(h, "QUJD");
		struct txn *t = parsed(text);
		const struct mime_part *p = part(t, 2);

		print_message("Content-Transfer-Encoding: %s\n", cases[i].cte);
		assert_int_equal(p->encoding, cases[i].encoding);
		assert_int_equal(p->as_stored, cases[i].as_stored);
		assert_int_equal(t->mime.decoded_otherwise, cases[i].otherwise);
		assert_int_equal(t->mime.undecoded != NULL, cases[i].undecoded);
		if (cases[i].undecoded)
			assert_string_equal(t->mime.undecoded,
					    "unknown Content-Transfer-Encoding "
					    "(MIME part 3)");
		assert_string_equal(content(t, p), cases[i].got);
		assert_false(t->mime.malformed);
		txn_free(&t);
		g_free(text);
		g_free(h);
	}
}

/* test_base64_ends - base64 decoded to its last whole byte */
static void
test_base64_ends(void **state)
{
	static const struct {
		const char *body;
		const char *got;
		int otherwise;
		const char *undecoded;
	} cases[] = {
		{"QUJDRA==", "ABCD", 0, NULL},
		{"QUJD\r\nRA==\r\n", "ABCD", 0, NULL},
		{"QUJDRA", "ABCD", 1, NULL},   /* GMime: "ABC" */
		{"QUJDRA=", "ABCD", 1, NULL},  /* GMime: "ABC" */
		{"QUJDREU", "ABCDE", 1, NULL}, /* GMime: "ABC" */
		{"QUJD====", "ABC", 0, NULL},  /* GMime: "ABC\0" */
		{"QUJDR", "ABC", 1,
		 "base64 ending in a lone character (MIME part 3)"},
		{"QQ==QUJD", "AABC", 1,
		 "base64 with data after its padding (MIME part 3)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = with_part(
			"Content-Type: application/octet-stream\r\n"
			"Content-Transfer-Encoding: base64\r\n",
			cases[i].body);
		struct txn *t = parsed(text);
		const struct mime_part *p = part(t, 2);

		print_message("base64 %s\n", cases[i].body);
		assert_string_equal(content(t, p), cases[i].got);
		assert_int_equal(t->mime.decoded_otherwise, cases[i].otherwise);
		if (cases[i].undecoded)
			assert_string_equal(t->mime.undecoded,
					    cases[i].undecoded);
		else
			assert_null(t->mime.undecoded);
		/* The head is the same bytes, however little is asked. */
		{
			char head[3];
			size_t n = mime_part_head(p, head, sizeof(head));

			assert_int_equal(n, 3);
			assert_memory_equal(head, cases[i].got, 3);
		}
		txn_free(&t);
		g_free(text);
	}
}

/* test_quoted_printable - the RFC's reading, and where GMime's differs */
static void
test_quoted_printable(void **state)
{
	static const struct {
		const char *body;
		const char *got;
		int otherwise; /* GMime decodes it otherwise */
	} cases[] = {
		{"=41=42\r\nC", "AB\r\nC", 0},
		{"a=3db", "a=b", 0},
		{"A=\r\nB", "AB", 0},
		{"A=\nB", "AB", 0},
		{"A B\tC", "A B\tC", 0},
		{"A=", "A", 0},
		{"A\rB", "A\rB", 0},
		/* RFC 2045 6.7 (3): blanks before a line break go. */
		{"A= \r\nB", "AB", 1},
		{"A=\t\r\nB", "AB", 1},
		{"A=  \t \r\nB", "AB", 1},
		{"A= \nB", "AB", 1},
		{"A  \r\nB", "A\r\nB", 1},
		{"A \t", "A", 1},
		{"A= ", "A", 1},
		/* Rule 4: "=" that encodes nothing is text. */
		{"A=ZZ", "A=ZZ", 1},
		{"==41", "=A", 1},
		{"=4", "=4", 1},
		{"=4 \r\nB", "=4\r\nB", 1},
		{"A= x", "A= x", 1},
		{"A=\rB", "A=\rB", 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = with_part(
			"Content-Type: application/octet-stream\r\n"
			"Content-Transfer-Encoding: quoted-printable\r\n",
			cases[i].body);
		struct txn *t = parsed(text);
		const struct mime_part *p = part(t, 2);
		size_t len = strlen(cases[i].got);
		char head[2];

		print_message("quoted-printable %s\n", cases[i].body);
		assert_int_equal(p->encoding,
				 GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
		assert_string_equal(content(t, p), cases[i].got);
		assert_int_equal(t->mime.decoded_otherwise, cases[i].otherwise);
		assert_null(t->mime.undecoded);
		/* The head is the same bytes, however little is asked. */
		assert_int_equal(mime_part_head(p, head, 1), len ? 1 : 0);
		if (len)
			assert_memory_equal(head, cases[i].got, 1);
		txn_free(&t);
		g_free(text);
	}
}

/* test_tail - the last bytes of a part, in order, whatever the ring did */
static void
test_tail(void **state)
{
	/* 3,000 decoded bytes, base64 in lines of 76 */
	static const size_t sizes[] = {1, 7, 64, 1000, 2999, 3000, 5000};
	unsigned char data[3000];
	GString *b64 = g_string_new(NULL);
	gchar *enc;
	char tail[5000];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	enc = g_base64_encode(data, sizeof(data));
	for (size_t i = 0, n = strlen(enc); i < n; i += 76)
		g_string_append_printf(b64, "%.76s\r\n", enc + i);
	g_free(enc);
	char *text = with_part("Content-Type: application/octet-stream\r\n"
			       "Content-Transfer-Encoding: base64\r\n",
			       b64->str);
	struct txn *t = parsed(text);
	const struct mime_part *p = part(t, 2);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		size_t want = sizes[i] < sizeof(data) ? sizes[i] : sizeof(data);

		print_message("tail of %zu\n", sizes[i]);
		assert_int_equal(mime_part_tail(p, tail, sizes[i]), want);
		assert_memory_equal(tail, data + sizeof(data) - want, want);
	}
	txn_free(&t);
	g_free(text);
	g_string_free(b64, TRUE);
}

/* test_quoted_printable_long_blanks - a run of blanks of any length */
static void
test_quoted_printable_long_blanks(void **state)
{
	char blanks[10001];
	char *soft, *text, *want;
	struct txn *t;

	(void)state;
	for (size_t i = 0; i < sizeof(blanks) - 1; i++)
		blanks[i] = i % 3 ? ' ' : '\t';
	blanks[sizeof(blanks) - 1] = '\0';
	/* Before a soft line break: all of it goes. */
	soft = g_strdup_printf("X5O!P%%@AP=%s\r\n[4\\PZX54", blanks);
	text = with_part("Content-Type: application/octet-stream\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n",
			 soft);
	t = parsed(text);
	assert_string_equal(content(t, part(t, 2)), "X5O!P%@AP[4\\PZX54");
	assert_true(t->mime.decoded_otherwise);
	txn_free(&t);
	g_free(text);
	g_free(soft);
	/* Inside a line: all of it stays, as it is, read again. */
	soft = g_strdup_printf("a%sb=41", blanks);
	want = g_strdup_printf("a%sbA", blanks);
	text = with_part("Content-Type: application/octet-stream\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n",
			 soft);
	t = parsed(text);
	{
		const struct mime_part *p = part(t, 2);
		long size;
		int fd = mime_part_content(t, p, 100000, &size);
		char *buf = g_malloc(100000);
		ssize_t n;

		assert_true(fd >= 0);
		n = read(fd, buf, 100000);
		close(fd);
		assert_int_equal(n, size);
		assert_int_equal(n, (ssize_t)strlen(want));
		assert_memory_equal(buf, want, strlen(want));
		g_free(buf);
	}
	assert_false(t->mime.decoded_otherwise);
	txn_free(&t);
	g_free(text);
	g_free(soft);
	g_free(want);
}

/* multipart_body - a message of multipart/mixed, boundary "b", body */
static char *
multipart_body(const char *body)
{
	return g_strdup_printf("From: a@example.org\r\n"
			       "MIME-Version: 1.0\r\n"
			       "Content-Type: multipart/mixed; boundary=b\r\n"
			       "\r\n"
			       "%s",
			       body);
}

/* test_delimiters - delimiter lines parsers read differently */
static void
test_delimiters(void **state)
{
	static const struct {
		const char *body;
		int malformed;
		const char *ambiguous;
	} cases[] = {
		{"--b\r\n\r\nhi\r\n--b\r\n\r\nx\r\n--b--\r\n", 0, NULL},
		{"--b\n\nhi\n--b\n\nx\n--b--", 0, NULL},
		/* Text that starts as delimiters do, or a signature. */
		{"--b\r\n\r\nhi\r\n-- \r\nme\r\n--bye \r\n--b--\r\n", 0, NULL},
		/* Transport padding: GMime reads a delimiter, others not. */
		{"--b\r\n\r\nhi\r\n--b\t\r\n\r\nx\r\n--b--\r\n", 1, NULL},
		{"--b\r\n\r\nhi\r\n--b \r\n\r\nx\r\n--b--\r\n", 1, NULL},
		{"--b \t\r\n\r\nhi\r\n--b--\r\n", 1, NULL},
		{"--b\r\n\r\nhi\r\n--b--\t\r\n", 1, NULL},
		{"--b\r\n\r\nhi\r\n--b--\r\r\n", 1, NULL},
		{"--b\r\n\r\nhi\r\n--b\t", 1, NULL},
		/* A delimiter line where GMime reads none. */
		{"--b\r\n\r\nhi\r\n--b--\r\n--b\r\n\r\nx\r\n--b--\r\n", 1,
		 "ambiguous MIME (a delimiter line in the epilogue of MIME "
		 "part 1)"},
		{"--bx\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n", 1,
		 "ambiguous MIME (a delimiter line in the preamble of MIME "
		 "part 1)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = multipart_body(cases[i].body);
		struct txn *t = parsed(text);

		print_message("%s\n", cases[i].body);
		assert_int_equal(t->mime.malformed, cases[i].malformed);
		if (cases[i].ambiguous)
			assert_string_equal(t->mime.ambiguous,
					    cases[i].ambiguous);
		else
			assert_null(t->mime.ambiguous);
		assert_null(t->mime.failed);
		txn_free(&t);
		g_free(text);
	}
}

/* test_delimiters_long - padding of any length; in attached messages */
static void
test_delimiters_long(void **state)
{
	GString *body = g_string_new("--b\r\n\r\nhi\r\n--b");
	char *text, *inner;
	gchar *b64;
	struct txn *t;

	(void)state;
	for (int i = 0; i < 200000; i++)
		g_string_append_c(body, i % 2 ? ' ' : '\t');
	g_string_append(body, "\r\n\r\nx\r\n--b--\r\n");
	text = multipart_body(body->str);
	t = parsed(text);
	assert_true(t->mime.malformed);
	txn_free(&t);
	g_free(text);
	/* Something else after the padding: no delimiter at all. */
	g_string_truncate(body, body->len - strlen("\r\n\r\nx\r\n--b--\r\n"));
	g_string_append(body, "x\r\n\r\nx\r\n--b--\r\n");
	text = multipart_body(body->str);
	t = parsed(text);
	assert_false(t->mime.malformed);
	txn_free(&t);
	g_free(text);
	g_string_free(body, TRUE);
	/* In a message sent base64: its own bytes are read. */
	inner = multipart_body("--b\r\n\r\nhi\r\n--b\t\r\n\r\nx\r\n--b--\r\n");
	b64 = g_base64_encode((const guchar *)inner, strlen(inner));
	text = with_part("Content-Type: message/rfc822\r\n"
			 "Content-Transfer-Encoding: base64\r\n",
			 b64);
	t = parsed(text);
	assert_true(part(t, 3)->attached);
	assert_true(t->mime.malformed);
	assert_null(t->mime.ambiguous);
	txn_free(&t);
	g_free(text);
	g_free(b64);
	g_free(inner);
}

/* test_encoded_container - a multipart sent base64: no sure reading */
static void
test_encoded_container(void **state)
{
	struct txn *t = parsed(
		"From: a@example.org\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"LS1iDQpDb250ZW50LVR5cGU6IHRleHQvcGxhaW4NCg0KaGkNCi0tYi0tDQo="
		"\r\n");

	(void)state;
	assert_true(t->mime.decoded_otherwise);
	assert_string_equal(t->mime.undecoded,
			    "encoded MIME container (MIME part 1)");
	txn_free(&t);
}

/* test_is_mail - does a head start as a mail message does? */
static void
test_is_mail(void **state)
{
	static const struct {
		const char *head;
		int mail;
	} cases[] = {
		{"From: a@example.org\r\nSubject: x\r\n\r\nbody", 1},
		{"Received: from x\r\n\tby y\r\nX-A: b\r\n\r\n", 1},
		{"From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a\n\n", 1},
		{"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi", 1},
		{"Subject : obsolete\r\n\r\n", 1},
		{"X-Only: one\r\nX-Other: two\r\n\r\n", 0},
		{"hello\r\nFrom: a@example.org\r\n", 0},
		{"From: a@example.org\r\nnot a field\r\n", 0},
		{" From: folded first\r\n", 0},
		{"\r\nFrom: after a blank line\r\n", 0},
		{"%PDF-1.4\r\n", 0},
		{"", 0},
		{"From: cut at the end\r\nReceived: from x by", 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		print_message("%s\n", cases[i].head);
		assert_int_equal(
			mime_is_mail(cases[i].head, strlen(cases[i].head)),
			cases[i].mail);
	}
}

/* An attached message holding a banned name, and a part to decode. */
static const char inner_mail[] =
	"From: b@example.org\r\n"
	"Subject: inner\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"i\"\r\n"
	"\r\n"
	"--i\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"inner text\r\n"
	"--i\r\n"
	"Content-Type: application/octet-stream; name=\"run.exe\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"aGVsbG8=\r\n"
	"--i--\r\n";

/*
 * assert_inner - the attached message's parts follow part n, deeper;
 * attached: part n is in an attached message itself
 */
static void
assert_inner(struct txn *t, size_t n, int attached)
{
	const struct mime_part *p = part(t, n), *exe = part(t, n + 3);
	off_t start, end;

	assert_true(p->is_leaf);
	assert_int_equal(p->attached, attached);
	assert_string_equal(part(t, n + 1)->type, "multipart/mixed");
	assert_int_equal(part(t, n + 1)->depth, p->depth + 1);
	assert_true(part(t, n + 1)->attached);
	assert_string_equal(content(t, part(t, n + 2)), "inner text");
	assert_string_equal(exe->name, "run.exe");
	assert_int_equal(exe->depth, p->depth + 2);
	assert_true(exe->attached);
	/* Not in the spool: only decoded, from the attached file. */
	assert_int_equal(mime_part_span(exe, t->size, &start, &end), -1);
	assert_int_equal(mime_part_stored(exe, t->size, &start, &end), -1);
	assert_string_equal(content(t, exe), "hello");
	assert_null(t->mime.unchecked);
	assert_null(t->mime.failed);
	assert_null(t->mime.ambiguous);
	/* Unlinked at creation: nothing in tmp_dir, even while in use. */
	assert_int_equal(tmp_files(), 0);
}

/* test_attached - encoded message/rfc822, .eml, content like mail */
static void
test_attached(void **state)
{
	gchar *b64 = g_base64_encode((const guchar *)inner_mail,
				     strlen(inner_mail));
	char *texts[] = {
		with_part("Content-Type: message/rfc822\r\n"
			  "Content-Transfer-Encoding: base64\r\n",
			  b64),
		with_part("Content-Type: application/octet-stream; "
			  "name=\"fwd.eml\"\r\n",
			  inner_mail),
		with_part("Content-Type: application/octet-stream\r\n"
			  "Content-Transfer-Encoding: base64\r\n",
			  b64),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		struct txn *t = parsed(texts[i]);

		assert_inner(t, 2, 0);
		assert_int_equal(t->mime.n_parts, 6);
		/* The spam views hold its text, as when GMime parses it. */
		assert_non_null(strstr(t->mime.text, "hello"));
		assert_non_null(strstr(t->mime.text, "inner text"));
		txn_free(&t);
		g_free(texts[i]);
	}
	g_free(b64);
}

/* test_attached_views - attached text in the views, within spam_max_size */
static void
test_attached_views(void **state)
{
	GString *body = g_string_new("");
	char *text;
	struct txn *t;
	long was = conf->spam_max_size;

	(void)state;
	/* Mail in mail in mail: each level is opened, its text read. */
	for (int i = 0; i < 5; i++)
		g_string_append_printf(body, "From: l%d@example.org\r\n\r\n",
				       i);
	for (int i = 0; i < 60; i++)
		g_string_append(body, "spammy words, again and again\r\n");
	text = with_part("Content-Type: text/plain\r\n", body->str);
	conf->spam_max_size = (long)strlen(text) + 100;
	t = parsed(text);
	assert_true(part(t, 3)->attached);
	assert_non_null(t->mime.text);
	assert_non_null(strstr(t->mime.text, "From: l4@example.org"));
	/* Each level's text would be read again: spam_max_size in all. */
	assert_true(t->mime.text_len <= (size_t)conf->spam_max_size + 1);
	/* And the levels' text is there besides the part's own. */
	{
		int n = 0;

		for (const char *q = t->mime.text;
		     (q = strstr(q, "spammy words")) != NULL; q++)
			n++;
		assert_true(n > 60);
	}
	txn_free(&t);
	conf->spam_max_size = was;
	g_free(text);
	g_string_free(body, TRUE);
}

/* test_attached_nested - an attached message in an attached message */
static void
test_attached_nested(void **state)
{
	char *middle = g_strdup_printf(
		"From: c@example.org\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"m\"\r\n"
		"\r\n"
		"--m\r\n"
		"Content-Type: application/octet-stream; name=\"a.eml\"\r\n"
		"\r\n"
		"%s\r\n"
		"--m--\r\n",
		inner_mail);
	char *text = with_part("Content-Type: application/octet-stream; "
			       "name=\"b.eml\"\r\n",
			       middle);
	struct txn *t = parsed(text);

	(void)state;
	/* b.eml (2), its multipart (3), a.eml (4), then the inner. */
	assert_string_equal(part(t, 4)->name, "a.eml");
	assert_int_equal(part(t, 4)->depth, 3);
	assert_inner(t, 4, 1);
	txn_free(&t);
	/* One level too many. */
	conf->max_mime_depth = 4;
	t = parsed(text);
	assert_string_equal(t->mime.unchecked, "MIME nesting deeper than 4");
	txn_free(&t);
	conf->max_mime_depth = 20;
	/* More than max_decoded_size in attached messages, in all. */
	conf->max_decoded_size = (long)strlen(middle) + 10;
	t = parsed(text);
	assert_string_equal(t->mime.unchecked,
			    "attached messages exceed max_decoded_size");
	txn_free(&t);
	conf->max_decoded_size = 104857600;
	assert_int_equal(tmp_files(), 0);
	g_free(text);
	g_free(middle);
}

/* test_attached_bounds - what GMime would build of attached messages */
static void
test_attached_bounds(void **state)
{
	GString *inner = g_string_new("From: b@example.org\r\nX-Long: ");
	gchar *b64;
	char *text, *two;
	struct txn *t;

	(void)state;
	/* A header field past max_header_field_size: left out. */
	for (int i = 0; i < 1000; i++)
		g_string_append(inner, "x ");
	g_string_append(inner, "\r\n\r\nbody\r\n");
	b64 = g_base64_encode((const guchar *)inner->str, inner->len);
	/* In lines, or the spool's own count would take it for a field. */
	{
		GString *lines = g_string_new("");
		size_t n = strlen(b64);

		for (size_t i = 0; i < n; i += 76)
			g_string_append_printf(lines, "%.76s\r\n", b64 + i);
		g_free(b64);
		b64 = g_string_free(lines, FALSE);
	}
	text = with_part("Content-Type: message/rfc822\r\n"
			 "Content-Transfer-Encoding: base64\r\n",
			 b64);
	conf->max_header_field_size = 1024;
	t = parsed(text);
	conf->max_header_field_size = 262144;
	assert_non_null(t->mime.unchecked);
	assert_string_equal(t->mime.unchecked,
			    "attached messages: a header field longer than "
			    "1024 bytes");
	assert_null(t->mime.attached_messages);
	assert_int_equal(t->mime.n_parts, 3);
	assert_null(t->mime.failed);
	txn_free(&t);
	/* Within it, as before. */
	t = parsed(text);
	assert_null(t->mime.unchecked);
	assert_non_null(t->mime.attached_messages);
	txn_free(&t);
	g_free(text);
	g_free(b64);
	/* Two messages within the bounds each, over them together. */
	g_string_assign(inner, "From: b@example.org\r\n");
	for (int i = 0; i < 11; i++)
		g_string_append(inner, "X-A: b\r\n");
	g_string_append(inner, "\r\nbody\r\n");
	b64 = g_base64_encode((const guchar *)inner->str, inner->len);
	two = g_strdup_printf("%s\r\n--b\r\n"
			      "Content-Type: message/rfc822\r\n"
			      "Content-Transfer-Encoding: base64\r\n"
			      "\r\n%s",
			      b64, b64);
	text = with_part("Content-Type: message/rfc822\r\n"
			 "Content-Transfer-Encoding: base64\r\n",
			 two);
	g_free(b64);
	conf->max_header_fields = 20;
	t = parsed(text);
	conf->max_header_fields = 10000;
	assert_non_null(t->mime.unchecked);
	assert_string_equal(t->mime.unchecked,
			    "attached messages: more than 20 header fields");
	/* The first one is in, the second left out. */
	assert_non_null(t->mime.attached_messages);
	assert_null(t->mime.attached_messages->next);
	txn_free(&t);
	assert_int_equal(tmp_files(), 0);
	g_free(text);
	g_free(two);
	g_string_free(inner, TRUE);
}

/* test_attached_ambiguous - ambiguous MIME in an attached message */
static void
test_attached_ambiguous(void **state)
{
	char *text = with_part(
		"Content-Type: message/rfc822\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n",
		"From: b@example.org\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=3D\"one\"; "
		"boundary=3D\"two\"\r\n"
		"\r\n"
		"--one\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"x\r\n"
		"--one--\r\n");
	struct txn *t = parsed(text);

	(void)state;
	assert_true(t->mime.malformed);
	assert_string_equal(t->mime.ambiguous,
			    "ambiguous MIME (conflicting parameter in an "
			    "attached message)");
	/* Its offsets are not the spool's: no other reading from them. */
	assert_null(t->mime.conflicts);
	txn_free(&t);
	g_free(text);
}

/* test_failed - an attached message with nowhere to go: a failure */
static void
test_failed(void **state)
{
	char *text = with_part("Content-Type: application/octet-stream; "
			       "name=\"fwd.eml\"\r\n",
			       inner_mail);
	char *was = conf->tmp_dir;
	struct txn *t;

	(void)state;
	conf->tmp_dir = "/nonexistent/test_mime_parse";
	t = parsed(text);
	conf->tmp_dir = was;
	assert_non_null(t->mime.failed);
	assert_string_equal(t->mime.failed, "cannot make a temporary file: "
					    "No such file or directory");
	txn_free(&t);
	g_free(text);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	mime_init();
	conf = conf_load(NULL, err, sizeof(err));
	if (conf == NULL || mkdtemp(tmp_dir) == NULL)
		return -1;
	free(conf->tmp_dir);
	conf->tmp_dir = strdup(tmp_dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(&conf);
	return rmdir(tmp_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warning_after_parse),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_base64_ends),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_quoted_printable_long_blanks),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_delimiters_long),
		cmocka_unit_test(test_encoded_container),
		cmocka_unit_test(test_is_mail),
		cmocka_unit_test(test_attached),
		cmocka_unit_test(test_attached_views),
		cmocka_unit_test(test_attached_nested),
		cmocka_unit_test(test_attached_bounds),
		cmocka_unit_test(test_attached_ambiguous),
		cmocka_unit_test(test_failed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*++
/* NAME
/*	test_spamd 1
/* SUMMARY
/*	unit tests for scan/spamd.c (no server needed)
/* DESCRIPTION
/*	The reply parser over a table of spamd replies as spamd 3.4 and
/*	older versions write them, and malformed ones; spamd_check()
/*	failing before any reply (bad address, nothing listening, a bad
/*	user name). The test against a real spamd is an integration test.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scan/spamd.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct reply_case {
	const char *name;
	const char *reply;
	int want_rc;
	double want_score;
	double want_threshold;
	int want_spam;
	const char *want_symbols; /* when 0 */
	const char *want_err;	  /* when -1 */
};

static const struct reply_case reply_cases[] = {
	{"spam, spamd 3.4",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 43\r\nSpam: True ; 15.2 / "
	 "5.0\r\n\r\nBAYES_99,HTML_MESSAGE,RDNS_NONE,URIBL_BLACK",
	 0, 15.2, 5.0, 1, "BAYES_99,HTML_MESSAGE,RDNS_NONE,URIBL_BLACK", NULL},
	{"ham, no symbols",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; -1.9 / "
	 "5.0\r\n\r\n",
	 0, -1.9, 5.0, 0, "", NULL},
	{"ham with symbols",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 31\r\nSpam: False ; 0.1 / "
	 "5.0\r\n\r\nDKIM_SIGNED,DKIM_VALID,SPF_PASS",
	 0, 0.1, 5.0, 0, "DKIM_SIGNED,DKIM_VALID,SPF_PASS", NULL},
	{"Spam before Content-length",
	 "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 6.0 / 5.0\r\nContent-length: "
	 "8\r\n\r\nBAYES_99",
	 0, 6.0, 5.0, 1, "BAYES_99", NULL},
	{"old Yes/No",
	 "SPAMD/1.0 0 EX_OK\r\nContent-length: 3\r\nSpam: Yes ; 6 / "
	 "5\r\n\r\nX_A",
	 0, 6.0, 5.0, 1, "X_A", NULL},
	{"lower case header names",
	 "SPAMD/1.1 0 EX_OK\r\ncontent-length: 3\r\nspam: true ; 1.5 / "
	 "2.5\r\n\r\nX_A",
	 0, 1.5, 2.5, 1, "X_A", NULL},
	{"bare LF",
	 "SPAMD/1.1 0 EX_OK\nContent-length: 3\nSpam: True ; 7.0 / 5.0\n\nA,B",
	 0, 7.0, 5.0, 1, "A,B", NULL},
	{"no Content-length: body to the end",
	 "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.0 / 5.0\r\n\r\nA,B\r\n", 0, 7.0,
	 5.0, 1, "A,B", NULL},
	{"trailing CR LF after symbols (SPAMC/1.2 style)",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\nSpam: True ; 5.0 / "
	 "5.0\r\n\r\nA,B\r\n",
	 0, 5.0, 5.0, 1, "A,B", NULL},
	{"bytes past Content-length ignored",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 8\r\nSpam: True ; 9 / "
	 "5\r\n\r\nBAYES_99,JUNK",
	 0, 9.0, 5.0, 1, "BAYES_99", NULL},
	{"extra headers",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 1\r\nX-Spam-Flag: YES\r\nSpam: "
	 "True ; 20.0 / 6.5\r\nX-Other: 1\r\n\r\nA",
	 0, 20.0, 6.5, 1, "A", NULL},
	{"spaces around numbers",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam:   True  ;  -0.5  /  "
	 "-1.0  \r\n\r\n",
	 0, -0.5, -1.0, 1, "", NULL},
	{"no space after colon",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam:False ; 2 / 5\r\n\r\n",
	 0, 2.0, 5.0, 0, "", NULL},
	{"empty", "", -1, 0, 0, 0, NULL, "spamd: empty reply"},
	{"EX_PROTOCOL",
	 "SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric "
	 "bytes)\r\n",
	 -1, 0, 0, 0, NULL,
	 "spamd: 76 Bad header line: (Content-Length contains non-numeric "
	 "bytes)"},
	{"timeout",
	 "SPAMD/1.0 79 Timeout: (30 second timeout while trying to CHECK)\r\n",
	 -1, 0, 0, 0, NULL,
	 "spamd: 79 Timeout: (30 second timeout while trying to CHECK)"},
	{"EX_UNAVAILABLE without text", "SPAMD/1.1 69\r\n", -1, 0, 0, 0, NULL,
	 "spamd: 69"},
	{"not spamd", "HTTP/1.1 200 OK\r\nContent-length: 0\r\n\r\n", -1, 0, 0,
	 0, NULL, "spamd: bad status line \"HTTP/1.1 200 OK\""},
	{"code not a number", "SPAMD/1.1 x EX_OK\r\n", -1, 0, 0, 0, NULL,
	 "spamd: bad status line \"SPAMD/1.1 x EX_OK\""},
	{"code with junk", "SPAMD/1.1 0x EX_OK\r\n", -1, 0, 0, 0, NULL,
	 "spamd: bad status line \"SPAMD/1.1 0x EX_OK\""},
	{"no version", "SPAMD/ 0 EX_OK\r\n", -1, 0, 0, 0, NULL,
	 "spamd: bad status line \"SPAMD/ 0 EX_OK\""},
	{"status only", "SPAMD/1.1 0 EX_OK\r\n", -1, 0, 0, 0, NULL,
	 "spamd: truncated reply headers"},
	{"no end of headers",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; 1 / 5\r\n", -1,
	 0, 0, 0, NULL, "spamd: truncated reply headers"},
	{"cut in a header", "SPAMD/1.1 0 EX_OK\r\nSpam: Tr", -1, 0, 0, 0, NULL,
	 "spamd: truncated reply headers"},
	{"no Spam header", "SPAMD/1.1 0 EX_OK\r\nContent-length: 1\r\n\r\nA",
	 -1, 0, 0, 0, NULL, "spamd: no Spam header in reply"},
	{"Spam: Maybe",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: Maybe ; 1 / "
	 "5\r\n\r\n",
	 -1, 0, 0, 0, NULL, "spamd: bad Spam header \"Spam: Maybe ; 1 / 5\""},
	{"score not a number",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; abc / "
	 "5.0\r\n\r\n",
	 -1, 0, 0, 0, NULL,
	 "spamd: bad Spam header \"Spam: True ; abc / 5.0\""},
	{"score nan",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; nan / "
	 "5.0\r\n\r\n",
	 -1, 0, 0, 0, NULL,
	 "spamd: bad Spam header \"Spam: True ; nan / 5.0\""},
	{"missing ;",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True 15.2 / "
	 "5.0\r\n\r\n",
	 -1, 0, 0, 0, NULL, "spamd: bad Spam header \"Spam: True 15.2 / 5.0\""},
	{"missing threshold",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; 15.2\r\n\r\n",
	 -1, 0, 0, 0, NULL, "spamd: bad Spam header \"Spam: True ; 15.2\""},
	{"junk after threshold",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; 15.2 / 5.0 "
	 "x\r\n\r\n",
	 -1, 0, 0, 0, NULL,
	 "spamd: bad Spam header \"Spam: True ; 15.2 / 5.0 x\""},
	{"truncated body",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 20\r\nSpam: True ; 9 / "
	 "5\r\n\r\nBAYES",
	 -1, 0, 0, 0, NULL, "spamd: truncated reply: 5 of 20 body bytes"},
	{"bad Content-length",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 12a\r\nSpam: True ; 9 / "
	 "5\r\n\r\n",
	 -1, 0, 0, 0, NULL, "spamd: bad Content-length header"},
	{"empty Content-length",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length:\r\nSpam: True ; 9 / 5\r\n\r\n",
	 -1, 0, 0, 0, NULL, "spamd: bad Content-length header"},
	{"huge Content-length",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: "
	 "99999999999999999999999\r\nSpam: True ; 9 / 5\r\n\r\n",
	 -1, 0, 0, 0, NULL, "spamd: bad Content-length header"},
	{"space in symbols",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 4\r\nSpam: True ; 9 / "
	 "5\r\n\r\nA, B",
	 -1, 0, 0, 0, NULL, "spamd: bad character 0x20 in symbols"},
	{"control character in symbols",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\nSpam: True ; 9 / "
	 "5\r\n\r\nA\033[0m",
	 -1, 0, 0, 0, NULL, "spamd: bad character 0x1b in symbols"},
	{"a message instead of symbols",
	 "SPAMD/1.1 0 EX_OK\r\nContent-length: 18\r\nSpam: True ; 9 / "
	 "5\r\n\r\nSubject: x\r\n\r\nbody",
	 -1, 0, 0, 0, NULL, "spamd: bad character 0x3a in symbols"},
};

/* test_replies - the reply table */
static void
test_replies(void **state)
{
	struct spamd_result res;
	char err[256];

	(void)state;
	spamd_result_init(&res);
	for (size_t i = 0; i < N_ELEMS(reply_cases); i++) {
		const struct reply_case *c = reply_cases + i;
		int rc;

		/* A failed parse must not leave the last result behind. */
		res.score = res.threshold = 99;
		res.is_spam = 1;
		err[0] = 0;
		rc = spamd_parse_reply(c->reply, strlen(c->reply), &res, err,
				       sizeof(err));
		if (rc != c->want_rc)
			fail_msg("%s: rc %d, want %d (%s)", c->name, rc,
				 c->want_rc, err);
		if (rc < 0) {
			if (strcmp(err, c->want_err) != 0)
				fail_msg("%s: error \"%s\", want \"%s\"",
					 c->name, err, c->want_err);
			continue;
		}
		if (res.score != c->want_score ||
		    res.threshold != c->want_threshold ||
		    res.is_spam != c->want_spam)
			fail_msg("%s: %g/%g spam=%d, want %g/%g spam=%d",
				 c->name, res.score, res.threshold, res.is_spam,
				 c->want_score, c->want_threshold,
				 c->want_spam);
		if (strcmp(res.symbols.data, c->want_symbols) != 0)
			fail_msg("%s: symbols \"%s\", want \"%s\"", c->name,
				 res.symbols.data, c->want_symbols);
	}
	spamd_result_release(&res);
}

/* test_prefix - every proper prefix of a good reply is an error */
static void
test_prefix(void **state)
{
	static const char reply[] = "SPAMD/1.1 0 EX_OK\r\n"
				    "Content-length: 17\r\n"
				    "Spam: True ; 15.2 / 5.0\r\n"
				    "\r\n"
				    "BAYES_99,RDNS_DYN";
	struct spamd_result res;
	char err[256];

	(void)state;
	spamd_result_init(&res);
	for (size_t len = 0; len < sizeof(reply) - 1; len++)
		if (spamd_parse_reply(reply, len, &res, err, sizeof(err)) == 0)
			fail_msg("prefix of %zu bytes parsed", len);
	assert_int_equal(spamd_parse_reply(reply, sizeof(reply) - 1, &res, err,
					   sizeof(err)),
			 0);
	assert_string_equal(res.symbols.data, "BAYES_99,RDNS_DYN");
	spamd_result_release(&res);
}

/* Failures before a reply: no server involved. */

struct check_case {
	const char *name;
	const char *address;
	const char *user;
	const char *want_err;
};

static const struct check_case check_cases[] = {
	{"no port", "localhost", NULL, "bad spamd address \"localhost\""},
	{"bad port", "127.0.0.1:spamd", NULL,
	 "bad spamd address \"127.0.0.1:spamd\""},
	{"no unix socket", "/nonexistent/spamd.sock", NULL,
	 "connect to /nonexistent/spamd.sock: No such file or directory"},
	{"refused", "127.0.0.1:1", NULL,
	 "connect to [127.0.0.1]:1: Connection refused"},
	{"user with CR LF", "127.0.0.1:1", "bob\r\nSpam: True",
	 "bad spamd user name"},
};

/* test_check_failures - the check table */
static void
test_check_failures(void **state)
{
	struct spamd_result res;
	char err[256];

	(void)state;
	spamd_result_init(&res);
	for (size_t i = 0; i < N_ELEMS(check_cases); i++) {
		const struct check_case *c = check_cases + i;

		err[0] = 0;
		if (spamd_check(c->address, 5, -1, 0, c->user, &res, err,
				sizeof(err)) != -1)
			fail_msg("%s: succeeded", c->name);
		if (strcmp(err, c->want_err) != 0)
			fail_msg("%s: error \"%s\", want \"%s\"", c->name, err,
				 c->want_err);
	}
	spamd_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_check_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*++
/* NAME
/*	test_rules 1
/* SUMMARY
/*	unit tests for scan/rules.c
/* DESCRIPTION
/*	The group setup makes a private mkdtemp() directory for rule files;
/*	each case writes its rules there, loads them and runs them on a
/*	small synthetic message. Load errors are compared exactly, "@F@"
/*	standing for the rule file's path. data/sa-sample.cf is a rule file
/*	in the style of SpamAssassin's own.
/*--*/

#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scan/rules.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* Two halves: no file of the repository is itself the test pattern. */
#define GTUBE_HEAD "XJS*C4JDBQADN1.NSBN3*2IDNEN*"
#define GTUBE_TAIL "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

static char test_dir[PATH_MAX / 2];

/* write_file - a file in the test directory; its path in path */
static void
write_file(const char *name, const char *text, char *path, size_t size)
{
	FILE *fp;

	snprintf(path, size, "%s/%s", test_dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* load_text - load one rule file holding text */
static struct rules *
load_text(const char *text, char *path, size_t psize, char *err, size_t esize)
{
	const char *files[1];

	write_file("rules.cf", text, path, psize);
	files[0] = path;
	err[0] = 0;
	return rules_load(files, 1, err, esize);
}

/* hit_list - "A,B,C" from a result */
static void
hit_list(const struct rules_result *res, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < res->n_hits; i++)
		buf_printf(out, "%s%s", i ? "," : "", res->hits[i].name);
}

/* Matching: rules, one message, the hits and score. */

struct match_case {
	const char *name;
	const char *rules;
	const char *headers;
	const char *body;
	const char *rawbody;
	const char *full;
	const char *uris[4];
	const char *want_hits;
	double want_score;
};

static const struct match_case match_cases[] = {
	/* header forms */
	{"header =~", "header SUBJ Subject =~ /viagra/i\n",
	 "Subject: Buy VIAGRA now\n", .want_hits = "SUBJ", .want_score = 1.0},
	{"header =~ no match", "header SUBJ Subject =~ /viagra/\n",
	 "Subject: Buy VIAGRA now\n", .want_hits = ""},
	{"header name case-insensitive", "header SUBJ subject =~ /^hello$/\n",
	 "SUBJECT: hello\n", .want_hits = "SUBJ", .want_score = 1.0},
	{"header value without leading space", "header S Subject =~ /^x$/\n",
	 "Subject:    x\n", .want_hits = "S", .want_score = 1.0},
	{"header !~ no match hits", "header NF X-Foo !~ /bar/\n",
	 "X-Foo: baz\n", .want_hits = "NF", .want_score = 1.0},
	{"header !~ match", "header NF X-Foo !~ /bar/\n", "X-Foo: bar\n",
	 .want_hits = ""},
	{"header !~ absent field hits", "header NF X-Foo !~ /bar/\n",
	 "Subject: x\n", .want_hits = "NF", .want_score = 1.0},
	{"header absent field is empty", "header E X-Foo =~ /^$/\n", "",
	 .want_hits = "E", .want_score = 1.0},
	{"if-unset used", "header U X-Foo =~ /^UNSET$/ [if-unset: UNSET]\n",
	 "Subject: x\n", .want_hits = "U", .want_score = 1.0},
	{"if-unset not used when set",
	 "header U X-Foo =~ /^UNSET$/ [if-unset: UNSET]\n", "X-Foo: y\n",
	 .want_hits = ""},
	{"if-unset with !~", "header U To !~ /</ [if-unset: <u@x>]\n", "",
	 .want_hits = ""},
	{"exists: present", "header E exists:X-Spam-Flag\n",
	 "x-spam-flag: YES\n", .want_hits = "E", .want_score = 1.0},
	{"exists: absent", "header E exists:X-Spam-Flag\n", "X-Other: 1\n",
	 .want_hits = ""},
	{"ALL", "header A ALL =~ /^X-Foo: 1$/m\n", "Subject: s\nX-Foo: 1\n",
	 .want_hits = "A", .want_score = 1.0},
	{"ALL without m anchors at start", "header A ALL =~ /^X-Foo/\n",
	 "Subject: s\nX-Foo: 1\n", .want_hits = ""},
	{"several fields joined with newline",
	 "header R Received =~ /^from a\\nfrom b$/\n",
	 "Received: from a\nSubject: s\nReceived: from b\n", .want_hits = "R",
	 .want_score = 1.0},
	{"joined fields: ^ without m is the first",
	 "header R Received =~ /^from b/\n",
	 "Received: from a\nReceived: from b\n", .want_hits = ""},
	{":addr with angle brackets",
	 "header FA From:addr =~ /^joe\\@example\\.com$/\n",
	 "From: \"Joe, Jr.\" <joe@example.com>\n", .want_hits = "FA",
	 .want_score = 1.0},
	{":addr with comment",
	 "header FA From:addr =~ /^joe\\@example\\.com$/\n",
	 "From: joe@example.com (Joe Bloggs)\n", .want_hits = "FA",
	 .want_score = 1.0},
	{":addr first mailbox", "header TA To:addr =~ /^a\\@x$/\n",
	 "To: A <a@x>, B <b@y>\n", .want_hits = "TA", .want_score = 1.0},
	{":name quoted", "header FN From:name =~ /^Joe, Jr\\.$/\n",
	 "From: \"Joe, Jr.\" <joe@example.com>\n", .want_hits = "FN",
	 .want_score = 1.0},
	{":name bare", "header FN From:name =~ /^Joe Bloggs$/\n",
	 "From: Joe Bloggs <joe@example.com>\n", .want_hits = "FN",
	 .want_score = 1.0},
	{":name from comment", "header FN From:name =~ /^Joe Bloggs$/\n",
	 "From: joe@example.com (Joe Bloggs)\n", .want_hits = "FN",
	 .want_score = 1.0},
	{":name empty", "header FN From:name =~ /^$/\n",
	 "From: <joe@example.com>\n", .want_hits = "FN", .want_score = 1.0},
	{":raw reads the full message",
	 "header RAW Subject:raw =~ /=\\?utf-8\\?q\\?/i\n"
	 "header DEC Subject =~ /=\\?utf-8\\?q\\?/i\n",
	 "Subject: h\xc3\xa9llo\n",
	 .full = "Subject: =?UTF-8?Q?h=C3=A9llo?=\n"
		 "\n"
		 "=?utf-8?q?not a header?=\n",
	 .want_hits = "RAW", .want_score = 1.0},
	{":raw keeps folding", "header RAW Subject:raw =~ /^a\\r?\\n\\tb$/\n",
	 "Subject: a b\n", .full = "Subject: a\r\n\tb\r\nTo: x\r\n\r\nbody\r\n",
	 .want_hits = "RAW", .want_score = 1.0},
	{":raw stops at the header end", "header RAW X-In-Body:raw =~ /./\n",
	 "", .full = "Subject: s\n\nX-In-Body: 1\n", .want_hits = ""},
	{"ALL:raw", "header AR ALL:raw =~ /\\nTo: x\\r?\\n$/\n", "",
	 .full = "Subject: s\nTo: x\n\nBody: y\n", .want_hits = "AR",
	 .want_score = 1.0},
	{"ToCc", "header TC ToCc =~ /b\\@x/\n", "To: a@x\nCc: b@x\n",
	 .want_hits = "TC", .want_score = 1.0},
	{"no operator space", "header S Subject=~/^x$/\n", "Subject: x\n",
	 .want_hits = "S", .want_score = 1.0},

	/* pattern forms and flags */
	{"body per line (implicit m)", "body B /^Dear friend/\n",
	 .body = "Hello\nDear friend\n", .want_hits = "B", .want_score = 1.0},
	{"body $ at line end", "body B /friend$/\n", .body = "Dear friend\nx\n",
	 .want_hits = "B", .want_score = 1.0},
	{"body . stops at newline", "body B /foo.bar/\n", .body = "foo\nbar",
	 .want_hits = ""},
	{"flag s", "body B /foo.bar/s\n", .body = "foo\nbar", .want_hits = "B",
	 .want_score = 1.0},
	{"flag i", "body B /FOO/i\n", .body = "foo", .want_hits = "B",
	 .want_score = 1.0},
	{"no flag i", "body B /FOO/\n", .body = "foo", .want_hits = ""},
	{"flag x inline", "body B /f o o/x\n", .body = "foo", .want_hits = "B",
	 .want_score = 1.0},
	{"flags g and o ignored", "body B /foo/go\n", .body = "foo",
	 .want_hits = "B", .want_score = 1.0},
	{"m/ /", "body B m/a\\/b/\n", .body = "a/b", .want_hits = "B",
	 .want_score = 1.0},
	{"m{ } nested", "body B m{a{2}b}\n", .body = "xaab", .want_hits = "B",
	 .want_score = 1.0},
	{"m! !", "body B m!^https?://!i\n", .body = "HTTP://x",
	 .want_hits = "B", .want_score = 1.0},
	{"m# #", "body B m#a/b#\n", .body = "a/b", .want_hits = "B",
	 .want_score = 1.0},
	{"m( )", "body B m(a(b)c)\n", .body = "abc", .want_hits = "B",
	 .want_score = 1.0},
	{"escaped hash", "body B /a\\#b/\n", .body = "a#b", .want_hits = "B",
	 .want_score = 1.0},
	{"trailing comment", "body B /foo/ # a comment\n", .body = "foo",
	 .want_hits = "B", .want_score = 1.0},
	{"bytes, not UTF-8", "body B /^h.llo$/\n", .body = "h\xc3\xa9llo",
	 .want_hits = ""},
	{"8-bit byte class", "body B /[\\x80-\\xff]/\n", .body = "h\xc3\xa9",
	 .want_hits = "B", .want_score = 1.0},
	{"rawbody", "rawbody RB /<font/i\nbody BB /<font/i\n", .body = "text",
	 .rawbody = "<FONT size=1>text", .want_hits = "RB", .want_score = 1.0},
	{"full as written", "full F /^Return-Path:/\nfull G /^Subject:/\n",
	 .full = "Return-Path: <>\nSubject: s\n\nbody\n", .want_hits = "F",
	 .want_score = 1.0},
	{"full with m", "full G /^Subject:/m\n",
	 .full = "Return-Path: <>\nSubject: s\n\nbody\n", .want_hits = "G",
	 .want_score = 1.0},
	{"uri each, hits once", "uri U m!^https?://bit\\.ly/!\n",
	 .uris = {"http://example.com/", "https://bit.ly/a", "http://bit.ly/b"},
	 .want_hits = "U", .want_score = 1.0},
	{"uri anchored per URI", "uri U /^x/\n", .uris = {"ax", "bx"},
	 .want_hits = ""},
	{"redefinition replaces", "body R /foo/\nbody R /bar/\n", .body = "foo",
	 .want_hits = ""},
	{"redefinition keeps position", "body A /x/\nbody B /x/\nbody A /x/i\n",
	 .body = "x", .want_hits = "A,B", .want_score = 2.0},
	{"empty input", "body B /^$/\nheader H X !~ /./\n", .want_hits = "B,H",
	 .want_score = 2.0},

	/* scores and describe */
	{"default score 1", "body B /x/\n", .body = "x", .want_hits = "B",
	 .want_score = 1.0},
	{"score first of four", "body B /x/\nscore B 2.5 3.0 3.5 4.0\n",
	 .body = "x", .want_hits = "B", .want_score = 2.5},
	{"score before rule", "score B -1.5\nbody B /x/\n", .body = "x",
	 .want_hits = "B", .want_score = -1.5},
	{"score in parentheses", "body B /x/\nscore B (0.25)\n", .body = "x",
	 .want_hits = "B", .want_score = 0.25},
	{"last score wins", "score B 2\nbody B /x/\nscore B 3\n", .body = "x",
	 .want_hits = "B", .want_score = 3.0},
	{"__ rule not reported", "body __B /x/\nbody C /x/\n", .body = "x",
	 .want_hits = "C", .want_score = 1.0},
	{"__ rule scored", "body __B /x/\nscore __B 0.5\n", .body = "x",
	 .want_hits = "__B", .want_score = 0.5},
	{"T_ rule scores 0.01", "body T_B /x/\n", .body = "x",
	 .want_hits = "T_B", .want_score = 0.01},
	{"score 0 disables", "body B /x/\nscore B 0\nmeta M B\n", .body = "x",
	 .want_hits = ""},
	{"hits in rule order",
	 "body C /x/\nbody A /x/\nmeta B A\nbody D /y/\n"
	 "score C 3\nscore A 1\nscore B 2\n",
	 .body = "x", .want_hits = "C,A,B", .want_score = 6.0},
	{"tflags ignored", "body B /x/\ntflags B multiple nice\n",
	 .body = "x x", .want_hits = "B", .want_score = 1.0},

	/* meta expressions */
	{"meta &&", "body A /a/\nbody B /b/\nmeta M A && B\n", .body = "ab",
	 .want_hits = "A,B,M", .want_score = 3.0},
	{"meta && false", "body __A /a/\nbody __B /b/\nmeta M __A && __B\n",
	 .body = "a", .want_hits = ""},
	{"meta ||", "body __A /a/\nbody __B /b/\nmeta M __A || __B\n",
	 .body = "b", .want_hits = "M", .want_score = 1.0},
	{"meta ! binds tighter than &&",
	 "body __A /a/\nbody __B /b/\nmeta M !__A && __B\n", .body = "",
	 .want_hits = ""},
	{"meta && binds tighter than ||",
	 "body __A /a/\nbody __B /b/\nbody __C /c/\nmeta M __A || __B && __C\n",
	 .body = "a", .want_hits = "M", .want_score = 1.0},
	{"meta + binds tighter than >",
	 "body __A /a/\nbody __B /b/\nmeta M __A + __B > 1\n", .body = "a",
	 .want_hits = ""},
	{"meta sum",
	 "body __A /a/\nbody __B /b/\nbody __C /c/\n"
	 "meta M (__A + __B + __C) >= 2\n",
	 .body = "ac", .want_hits = "M", .want_score = 1.0},
	{"meta * before +", "meta M 1 + 2 * 3 == 7\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta - left-assoc", "meta M 2 - 1 - 1 == 0\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta / left-assoc", "meta M 12 / 2 / 3 == 2\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta parentheses", "meta M (1 + 2) * 3 == 9\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta decimals", "meta M 0.5 * 4 == 2 && .5 < 1\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta unary minus", "body __A /a/\nmeta M -__A < 0\n", .body = "a",
	 .want_hits = "M", .want_score = 1.0},
	{"meta double negation", "body __A /a/\nmeta M !!__A\n", .body = "a",
	 .want_hits = "M", .want_score = 1.0},
	{"meta comparisons",
	 "meta M 1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && "
	 "1 != 2 && !(1 == 2)\n",
	 .want_hits = "M", .want_score = 1.0},
	{"meta && gives its operand", "body __A /a/\nmeta M (__A && 5) == 5\n",
	 .body = "a", .want_hits = "M", .want_score = 1.0},
	{"meta || gives its operand", "body __A /a/\nmeta M (__A || 3) == 3\n",
	 .body = "", .want_hits = "M", .want_score = 1.0},
	{"meta / 0 is 0", "meta M 1 / 0 == 0\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta zero is no hit", "meta M 1 - 1\n", .want_hits = ""},
	{"meta unknown rule is 0", "meta M !NO_SUCH_RULE\n", .want_hits = "M",
	 .want_score = 1.0},
	{"meta on meta, defined later",
	 "meta M2 M1 && __A\nmeta M1 __A || __B\nbody __A /a/\n"
	 "body __B /b/\nscore M2 2\n",
	 .body = "a", .want_hits = "M2,M1", .want_score = 3.0},
	{"meta of a header and a uri",
	 "header __H Subject =~ /win/\nuri __U /bit\\.ly/\nmeta M __H && __U\n",
	 "Subject: you win\n", .uris = {"http://bit.ly/x"}, .want_hits = "M",
	 .want_score = 1.0},

	/* unsupported lines */
	{"eval rules skipped",
	 "header E eval:check_foo()\nbody F eval:check_bar('x')\n"
	 "meta M !E && !F\n",
	 .want_hits = "M", .want_score = 1.0},
	{"if block skipped",
	 "ifplugin Mail::SpamAssassin::Plugin::Foo\n"
	 "body IN /x/\n"
	 "if (version >= 3.004)\n"
	 "body IN2 /x/\n"
	 "else\n"
	 "body IN3 /x/\n"
	 "endif\n"
	 "endif\n"
	 "body OUT /x/\n",
	 .body = "x", .want_hits = "OUT", .want_score = 1.0},
	{"unknown header modifier skipped",
	 "header F From:first:addr =~ /x/\nheader G From:addr =~ /x/\n",
	 "From: x\n", .want_hits = "G", .want_score = 1.0},
	{"GTUBE cannot be changed", "body GTUBE /foo/\nscore GTUBE 0\n",
	 .body = "foo " GTUBE_HEAD, .want_hits = ""},
};

/* test_match - the match table */
static void
test_match(void **state)
{
	char path[PATH_MAX], err[512];
	struct rules_result res = {0};
	struct buf got;

	(void)state;
	buf_init(&got, 64);
	for (size_t i = 0; i < N_ELEMS(match_cases); i++) {
		const struct match_case *c = match_cases + i;
		struct rules_input in = {0};
		struct rules_ctx *ctx;
		struct rules *r;
		size_t n_uris = 0;

		r = load_text(c->rules, path, sizeof(path), err, sizeof(err));
		if (r == NULL)
			fail_msg("%s: load: %s", c->name, err);
		ctx = rules_ctx_create(r);
		in.headers = c->headers;
		in.headers_len = c->headers ? strlen(c->headers) : 0;
		in.body = c->body;
		in.body_len = c->body ? strlen(c->body) : 0;
		in.rawbody = c->rawbody;
		in.rawbody_len = c->rawbody ? strlen(c->rawbody) : 0;
		in.full = c->full;
		in.full_len = c->full ? strlen(c->full) : 0;
		while (n_uris < N_ELEMS(c->uris) && c->uris[n_uris])
			n_uris++;
		in.uris = c->uris;
		in.n_uris = n_uris;
		rules_run(r, ctx, &in, &res);
		hit_list(&res, &got);
		if (strcmp(got.data, c->want_hits) != 0)
			fail_msg("%s: hits \"%s\", want \"%s\"", c->name,
				 got.data, c->want_hits);
		if (res.score < c->want_score - 1e-9 ||
		    res.score > c->want_score + 1e-9)
			fail_msg("%s: score %g, want %g", c->name, res.score,
				 c->want_score);
		assert_int_equal(res.n_errors, 0);
		rules_ctx_free(&ctx);
		assert_null(ctx);
		rules_free(&r);
		assert_null(r);
	}
	rules_result_release(&res);
	buf_release(&got);
}

/* Load errors. */

struct error_case {
	const char *name;
	const char *rules;
	const char *want; /* "@F@" is the file */
};

static const struct error_case error_cases[] = {
	{"bad regex", "body OK /x/\nbody FOO /a(b/\n",
	 "@F@:2: rule FOO: bad regex: missing closing parenthesis at offset 3"},
	{"bad header regex", "header FOO Subject =~ /[a/i\n",
	 "@F@:1: rule FOO: bad regex: missing terminating ] for character "
	 "class at offset 2"},
	{"code point above 0xff", "body FOO /\\x{263a}/\n",
	 "@F@:1: rule FOO: bad regex: character code point value in \\x{} or "
	 "\\o{} is too large at offset 7"},
	{"unterminated regex", "\n\nbody FOO /abc\n",
	 "@F@:3: rule FOO: unterminated regex"},
	{"unterminated m{}", "body FOO m{a{b}\n",
	 "@F@:1: rule FOO: unterminated regex"},
	{"no regex", "body FOO abc\n", "@F@:1: rule FOO: regex expected"},
	{"unknown flag", "body FOO /abc/q\n",
	 "@F@:1: rule FOO: unknown regex flag \"q\""},
	{"text after regex", "uri FOO /abc/ junk\n",
	 "@F@:1: rule FOO: text after regex"},
	{"header text after regex", "header FOO Subject =~ /abc/ junk\n",
	 "@F@:1: rule FOO: text after regex"},
	{"header without operator", "header FOO Subject /abc/\n",
	 "@F@:1: rule FOO: expected =~ or !~"},
	{"header without field", "header FOO\n",
	 "@F@:1: rule FOO: missing header name"},
	{"unterminated if-unset", "header FOO Subject =~ /a/ [if-unset: x\n",
	 "@F@:1: rule FOO: unterminated if-unset"},
	{"missing rule name", "body\n", "@F@:1: body: missing rule name"},
	{"bad rule name", "body FOO-BAR /x/\n",
	 "@F@:1: body: bad rule name \"FOO-BAR\""},
	{"unknown meta operator &", "meta M A & B\n",
	 "@F@:1: meta rule M: unknown operator \"&\""},
	{"unknown meta operator =~", "meta M A =~ B\n",
	 "@F@:1: meta rule M: unknown operator \"=~\""},
	{"unknown meta operator |", "meta M A | B\n",
	 "@F@:1: meta rule M: unknown operator \"|\""},
	{"meta missing )", "meta M (A && B\n", "@F@:1: meta rule M: missing )"},
	{"meta extra )", "meta M A && B)\n",
	 "@F@:1: meta rule M: syntax error at \")\""},
	{"meta two operands", "meta M A B\n",
	 "@F@:1: meta rule M: syntax error at \"B\""},
	{"meta dangling operator", "meta M A &&\n",
	 "@F@:1: meta rule M: unexpected end of expression"},
	{"meta empty", "meta M\n", "@F@:1: meta rule M: empty expression"},
	{"meta too deep",
	 "meta M "
	 "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
	 "A)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\n",
	 "@F@:1: meta rule M: expression nested too deeply"},
	{"meta self cycle", "body A /a/\nmeta M A && M\n",
	 "@F@:2: meta rule M: dependency cycle"},
	{"meta cycle", "meta M1 M2\nmeta M2 M3 || A\nmeta M3 !M1\n",
	 "@F@:1: meta rule M1: dependency cycle"},
	{"bad score", "score FOO high\n",
	 "@F@:1: score FOO: bad value \"high\""},
	{"missing score", "score FOO\n", "@F@:1: score FOO: missing value"},
	{"else without if", "else\n", "@F@:1: else without if or ifplugin"},
	{"endif without if", "body A /a/\nendif\n",
	 "@F@:2: endif without if or ifplugin"},
	{"unterminated ifplugin", "ifplugin Foo\nif (1)\nendif\nbody A /a/\n",
	 "@F@:1: if or ifplugin without endif"},
};

/* test_errors - the error table */
static void
test_errors(void **state)
{
	char path[PATH_MAX], err[512], want[PATH_MAX + 512];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(error_cases); i++) {
		const struct error_case *c = error_cases + i;
		const char *at = strstr(c->want, "@F@");
		struct rules *r;

		r = load_text(c->rules, path, sizeof(path), err, sizeof(err));
		if (r != NULL)
			fail_msg("%s: loaded", c->name);
		assert_non_null(at);
		snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - c->want),
			 c->want, path, at + 3);
		if (strcmp(err, want) != 0)
			fail_msg("%s: error \"%s\", want \"%s\"", c->name, err,
				 want);
	}
}

/* test_error_files - errors name the right file; missing files */
static void
test_error_files(void **state)
{
	char p1[PATH_MAX], p2[PATH_MAX], err[512], want[PATH_MAX + 64];
	const char *files[2] = {p1, p2};
	struct rules *r;

	(void)state;
	write_file("a.cf", "body A /a/\n", p1, sizeof(p1));
	write_file("b.cf", "# b\nbody B /(/\n", p2, sizeof(p2));
	r = rules_load(files, 2, err, sizeof(err));
	assert_null(r);
	snprintf(want, sizeof(want), "%s:2: rule B: bad regex: ", p2);
	assert_memory_equal(err, want, strlen(want));

	/* A cycle is reported where its meta rule stands. */
	write_file("a.cf", "meta M1 M2\n", p1, sizeof(p1));
	write_file("b.cf", "\nmeta M2 M1\n", p2, sizeof(p2));
	r = rules_load(files, 2, err, sizeof(err));
	assert_null(r);
	snprintf(want, sizeof(want), "%s:1: meta rule M1: dependency cycle",
		 p1);
	assert_string_equal(err, want);

	snprintf(p1, sizeof(p1), "%s/no-such.cf", test_dir);
	r = rules_load(files, 1, err, sizeof(err));
	assert_null(r);
	snprintf(want, sizeof(want), "%s: No such file or directory", p1);
	assert_string_equal(err, want);
}

/* test_two_files - score, describe and meta across files */
static void
test_two_files(void **state)
{
	char p1[PATH_MAX], p2[PATH_MAX], err[512];
	const char *files[2] = {p1, p2};
	struct rules_result res = {0};
	struct rules_input in = {.body = "x", .body_len = 1};
	struct rules_ctx *ctx;
	struct rules *r;

	(void)state;
	write_file("scores.cf", "score B 4.5\ndescribe B Has an x\n", p1,
		   sizeof(p1));
	write_file("rules.cf", "body B /x/\n", p2, sizeof(p2));
	r = rules_load(files, 2, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(rules_count(r), 2);
	assert_string_equal(rules_describe(r, "B"), "Has an x");
	assert_null(rules_describe(r, "C"));
	ctx = rules_ctx_create(r);
	rules_run(r, ctx, &in, &res);
	assert_int_equal(res.n_hits, 1);
	assert_string_equal(res.hits[0].name, "B");
	assert_true(res.hits[0].score == 4.5 && res.score == 4.5);
	rules_ctx_free(&ctx);
	rules_free(&r);
	rules_result_release(&res);
}

/* Skipped lines: count and active rules. */

struct skip_case {
	const char *name;
	const char *rules;
	size_t want_skipped;
	size_t want_count; /* GTUBE included */
};

static const struct skip_case skip_cases[] = {
	{"nothing", "", 0, 1},
	{"comments and blank lines", "# c\n\n   # indented\n\t\n", 0, 1},
	{"leading white space", "   body A /a/\n\tscore A 2\n", 0, 2},
	{"directives",
	 "required_score 5\nlang fr describe A x\npriority A 3\n"
	 "loadplugin Mail::SpamAssassin::Plugin::Foo\n"
	 "mimeheader M Content-Type =~ /x/\n"
	 "askdns A _AUTHORDOMAIN_ TXT /x/\n"
	 "uri_detail U host =~ /x/\n"
	 "report _SUMMARY_\n",
	 8, 1},
	{"eval rules",
	 "header A eval:check_a()\nheader B rbleval:check_b()\n"
	 "body C eval:check_c()\nrawbody D eval:d()\n"
	 "full E eval:e()\nuri F eval:f()\n",
	 6, 1},
	{"blocks count every line",
	 "ifplugin P\nbody A /x/\nendif\n"
	 "if can(Foo)\nbody B /(/\nendif\n",
	 6, 1},
	{"nested blocks",
	 "if (1)\nifplugin P\nelse\nendif\nbody A /(/\n"
	 "endif\nbody C /c/\n",
	 6, 2},
	{"score 0 disables", "body A /a/\nbody B /b/\nscore B 0\n", 0, 2},
	{"__ score 0 stays", "body __A /a/\nscore __A 0\n", 0, 2},
	{"tflags not counted", "tflags A net\n", 0, 1},
	{"unknown modifier", "header A From:host =~ /x/\n", 1, 1},
};

/* test_skipped - the skip table */
static void
test_skipped(void **state)
{
	char path[PATH_MAX], err[512];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(skip_cases); i++) {
		const struct skip_case *c = skip_cases + i;
		struct rules *r;

		r = load_text(c->rules, path, sizeof(path), err, sizeof(err));
		if (r == NULL)
			fail_msg("%s: load: %s", c->name, err);
		if (rules_skipped(r) != c->want_skipped)
			fail_msg("%s: skipped %zu, want %zu", c->name,
				 rules_skipped(r), c->want_skipped);
		if (rules_count(r) != c->want_count)
			fail_msg("%s: count %zu, want %zu", c->name,
				 rules_count(r), c->want_count);
		rules_free(&r);
	}
}

/* test_gtube - built in, with no rule files at all */
static void
test_gtube(void **state)
{
	char err[64], body[256];
	struct rules_result res = {0};
	struct rules_input in = {0};
	struct rules_ctx *ctx;
	struct rules *r;

	(void)state;
	r = rules_load(NULL, 0, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(rules_count(r), 1);
	assert_int_equal(rules_skipped(r), 0);
	assert_string_equal(rules_describe(r, "GTUBE"),
			    "Generic Test for Unsolicited Bulk Email");
	ctx = rules_ctx_create(r);

	snprintf(body, sizeof(body), "Hello,\n\nsee %s%s here.\n", GTUBE_HEAD,
		 GTUBE_TAIL);
	in.body = body;
	in.body_len = strlen(body);
	rules_run(r, ctx, &in, &res);
	assert_int_equal(res.n_hits, 1);
	assert_string_equal(res.hits[0].name, "GTUBE");
	assert_true(res.score == RULES_GTUBE_SCORE);

	/* Half of it, or its pattern characters as regex syntax, is not. */
	snprintf(body, sizeof(body),
		 "%sGTUBE-STANDARD-ANTI-UBE-TEST-EMAILxC.34X", GTUBE_HEAD);
	in.body_len = strlen(body);
	rules_run(r, ctx, &in, &res);
	assert_int_equal(res.n_hits, 0);
	assert_true(res.score == 0);

	/* Only body text counts, as in SA. */
	snprintf(body, sizeof(body), "%s%s", GTUBE_HEAD, GTUBE_TAIL);
	in.body = "";
	in.body_len = 0;
	in.rawbody = in.full = body;
	in.rawbody_len = in.full_len = strlen(body);
	rules_run(r, ctx, &in, &res);
	assert_int_equal(res.n_hits, 0);

	rules_ctx_free(&ctx);
	rules_free(&r);
	rules_result_release(&res);
}

/* need_full_cases - which rule sets read the raw message */
static const struct need_full_case {
	const char *text;
	int need;
} need_full_cases[] = {
	{"body A /x/\nrawbody B /y/\nheader C Subject =~ /z/\n", 0},
	{"full A /x/\n", 1},
	{"header A Subject:raw =~ /x/\n", 1},
	{"full A /x/\nscore A 0\n", 0},
	{"header A Subject:raw =~ /x/\nscore A 0\n", 0},
};

/* test_need_full - only an enabled full or :raw rule needs the message */
static void
test_need_full(void **state)
{
	char path[PATH_MAX], err[256];
	struct rules *r;

	(void)state;
	for (size_t i = 0;
	     i < sizeof(need_full_cases) / sizeof(need_full_cases[0]); i++) {
		r = load_text(need_full_cases[i].text, path, sizeof(path), err,
			      sizeof(err));
		assert_non_null(r);
		assert_int_equal(rules_need_full(r), need_full_cases[i].need);
		rules_free(&r);
	}
}

/* test_ctx_reuse - one context, several messages: nothing carries over */
static void
test_ctx_reuse(void **state)
{
	static const char *const headers[] = {
		"Subject: win\nFrom: A <a@x>\n",
		"Subject: hello\n",
		"Subject: win big\nFrom: b@y\n",
		"",
	};
	static const char *const want[] = {"S,F", "", "S", ""};
	char path[PATH_MAX], err[512];
	struct rules_result res = {0};
	struct rules_ctx *ctx;
	struct rules *r;
	struct buf got;

	(void)state;
	r = load_text("header S Subject =~ /win/\n"
		      "header F From:addr =~ /^a\\@x$/\n"
		      "header __F2 From:addr =~ /./\n",
		      path, sizeof(path), err, sizeof(err));
	assert_non_null(r);
	ctx = rules_ctx_create(r);
	buf_init(&got, 64);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < N_ELEMS(headers); i++) {
			struct rules_input in = {
				.headers = headers[i],
				.headers_len = strlen(headers[i]),
			};

			rules_run(r, ctx, &in, &res);
			hit_list(&res, &got);
			assert_string_equal(got.data, want[i]);
		}
	}
	buf_release(&got);
	rules_ctx_free(&ctx);
	rules_free(&r);
	rules_result_release(&res);
}

/* sample_path - data/sa-sample.cf next to this source file */
static void
sample_path(char *path, size_t size)
{
	const char *slash = strrchr(__FILE__, '/');

	if (getenv("FILTERD_TEST_DATA"))
		snprintf(path, size, "%s/sa-sample.cf",
			 getenv("FILTERD_TEST_DATA"));
	else if (slash)
		snprintf(path, size, "%.*s/data/sa-sample.cf",
			 (int)(slash - __FILE__), __FILE__);
	else
		snprintf(path, size, "data/sa-sample.cf");
}

/* Messages against the sample rule file. */

struct sample_case {
	const char *name;
	const char *headers;
	const char *body;
	const char *rawbody;
	const char *full;
	const char *uris[3];
	const char *want_hits;
	double want_score;
};

static const struct sample_case sample_cases[] = {
	{"clean",
	 "From: Ann <ann@example.org>\nTo: <bob@example.net>\n"
	 "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@example.org>\n"
	 "Subject: lunch?\n",
	 "Are we still on for lunch?\n", .want_hits = "", .want_score = 0},
	{"lottery from freemail",
	 "From: winner@gmail.com\nTo: bob@example.net\n"
	 "Subject: CONGRATULATIONS WINNER\n"
	 "X-Mailer: Bulk Mailer 2.0\n",
	 "Dear friend,\nyou have won the national lottery!\n",
	 "<font size=1>x</font>",
	 "Subject: CONGRATULATIONS WINNER\n"
	 "Content-Type: multipart/mixed;\n"
	 "\tboundary=\"----=_NextPart_000_0001\"\n\nbody\n",
	 {"http://bit.ly/abc", "http://192.0.2.1/x"},
	 "SUBJ_ALL_CAPS,XM_MASS_MAILER,TO_NO_BRKTS_FROM_MSFT,LOTTERY_WINNER,"
	 "HTML_FONT_SIZE_TINY,FULL_OE_BOUNDARY,URI_SHORTENER,URI_NUMERIC_HOST,"
	 "FREEMAIL_LOTTERY,"
	 "MISSING_HEADERS,T_DEAR_NO_NAME",
	 0.5 + 2.0 + 0.3 + 2.5 + 0.8 + 0.4 + 0.7 + 1.1 + 1.8 + 0.6 + 0.01},
	{"header order and raw 8-bit",
	 "From: A <a@x>\nTo: B <b@y>\nSubject: s\nDate: d\nMessage-ID: <m@x>\n",
	 .full = "From: A <a@x>\nTo: B <b@y>\nSubject: s\xe9\nDate: d\n"
		 "Message-ID: <m@x>\n\nbody\n",
	 .want_hits = "SUBJ_RAW_8BIT,HDR_ORDER_FTSDMCXX", .want_score = 1.1},
};

/* test_sample - load data/sa-sample.cf and run messages on it */
static void
test_sample(void **state)
{
	char path[PATH_MAX], err[512];
	const char *files[1] = {path};
	struct rules_result res = {0};
	struct rules_ctx *ctx;
	struct rules *r;
	struct buf got;

	(void)state;
	sample_path(path, sizeof(path));
	r = rules_load(files, 1, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	/* 18 rules and GTUBE; see the file for the 18 skipped lines. */
	assert_int_equal(rules_count(r), 19);
	assert_int_equal(rules_skipped(r), 18);
	assert_string_equal(rules_describe(r, "LOTTERY_WINNER"),
			    "Claims you won a lottery");
	assert_null(rules_describe(r, "DKIM_VALID"));
	ctx = rules_ctx_create(r);
	buf_init(&got, 256);
	for (size_t i = 0; i < N_ELEMS(sample_cases); i++) {
		const struct sample_case *c = sample_cases + i;
		struct rules_input in = {0};
		size_t n_uris = 0;

		in.headers = c->headers;
		in.headers_len = c->headers ? strlen(c->headers) : 0;
		in.body = c->body;
		in.body_len = c->body ? strlen(c->body) : 0;
		in.rawbody = c->rawbody;
		in.rawbody_len = c->rawbody ? strlen(c->rawbody) : 0;
		in.full = c->full;
		in.full_len = c->full ? strlen(c->full) : 0;
		while (n_uris < N_ELEMS(c->uris) && c->uris[n_uris])
			n_uris++;
		in.uris = c->uris;
		in.n_uris = n_uris;
		rules_run(r, ctx, &in, &res);
		hit_list(&res, &got);
		if (strcmp(got.data, c->want_hits) != 0)
			fail_msg("%s: hits \"%s\", want \"%s\"", c->name,
				 got.data, c->want_hits);
		if (res.score < c->want_score - 1e-9 ||
		    res.score > c->want_score + 1e-9)
			fail_msg("%s: score %g, want %g", c->name, res.score,
				 c->want_score);
	}
	buf_release(&got);
	rules_ctx_free(&ctx);
	rules_free(&r);
	rules_result_release(&res);
}

/*
 * test_match_limit - a runaway pattern is an error, not a hang or a hit,
 * on PCRE2; Vectorscan, which does not backtrack, answers it (no hit).
 * A build without Vectorscan runs the default engine on PCRE2, and the
 * set's engine name says so.
 */
static void
test_match_limit(void **state)
{
	static const char rules[] = "body B /(a|a)*[bc]/\nbody C /a/\n";
	char path[PATH_MAX], err[512], body[64];
	const char *files[1] = {path};
	struct rules_result res = {0};
	struct rules_input in = {0};
	struct rules_ctx *ctx;
	struct rules *r;
	int vs;

	(void)state;
	memset(body, 'a', sizeof(body) - 1);
	body[sizeof(body) - 1] = 0;
	in.body = body;
	in.body_len = strlen(body);
	for (int engine = 0; engine < 2; engine++) {
		write_file("rules.cf", rules, path, sizeof(path));
		r = rules_load_engine(files, 1,
				      engine ? RULES_ENGINE_PCRE2
					     : RULES_ENGINE_VECTORSCAN,
				      err, sizeof(err));
		assert_non_null(r);
		vs = engine == 0 && rules_have_vectorscan();
		assert_string_equal(rules_engine_name(r),
				    vs ? "vectorscan+pcre2" : "pcre2");
		ctx = rules_ctx_create(r);
		rules_run(r, ctx, &in, &res);
		assert_int_equal(res.n_errors, vs ? 0 : 1);
		assert_int_equal(res.n_hits, 1);
		assert_string_equal(res.hits[0].name, "C");
		rules_ctx_free(&ctx);
		rules_free(&r);
	}
	rules_result_release(&res);
}

/* rm_one - nftw callback */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* setup - a private directory for rule files */
static int
setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "%s/filterd-test-rules-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(test_dir) ? 0 : -1;
}

/* teardown - remove the directory */
static int
teardown(void **state)
{
	(void)state;
	return nftw(test_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_files),
		cmocka_unit_test(test_two_files),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_gtube),
		cmocka_unit_test(test_need_full),
		cmocka_unit_test(test_ctx_reuse),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_match_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

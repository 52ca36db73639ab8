/*++
/* NAME
/*	test_rules_vs 1
/* SUMMARY
/*	the rules' Vectorscan paths and what happens when Vectorscan fails
/* DESCRIPTION
/*	Which path each kind of pattern takes (exact, prefiltered and
/*	confirmed by PCRE2, PCRE2 only), and that the answer is PCRE2's
/*	whichever it is. hs_compile_multi() and hs_scan() are wrapped
/*	(--wrap, STYLE rule 22): a compile that rejects one pattern, one
/*	that rejects the whole set, and a scan that fails never stop a load
/*	or change a hit.
/*--*/

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
#include <hs.h>

#include "scan/rules.h"

/* The wrapped library calls: what the next ones do. */
static int compile_reject_expr = -2; /* -2: none; -1: the set; n: expr n */
static int compile_rejects;	     /* how many calls still fail */
static int scan_fails;

hs_error_t __real_hs_compile_multi(const char *const *expressions,
				   const unsigned int *flags,
				   const unsigned int *ids,
				   unsigned int elements, unsigned int mode,
				   const hs_platform_info_t *platform,
				   hs_database_t **db,
				   hs_compile_error_t **error);
hs_error_t __wrap_hs_compile_multi(const char *const *expressions,
				   const unsigned int *flags,
				   const unsigned int *ids,
				   unsigned int elements, unsigned int mode,
				   const hs_platform_info_t *platform,
				   hs_database_t **db,
				   hs_compile_error_t **error);
hs_error_t __real_hs_scan(const hs_database_t *db, const char *data,
			  unsigned int length, unsigned int flags,
			  hs_scratch_t *scratch, match_event_handler onEvent,
			  void *context);
hs_error_t __wrap_hs_scan(const hs_database_t *db, const char *data,
			  unsigned int length, unsigned int flags,
			  hs_scratch_t *scratch, match_event_handler onEvent,
			  void *context);

/* __wrap_hs_compile_multi - fail as told, with a real error object */
hs_error_t
__wrap_hs_compile_multi(const char *const *expressions,
			const unsigned int *flags, const unsigned int *ids,
			unsigned int elements, unsigned int mode,
			const hs_platform_info_t *platform, hs_database_t **db,
			hs_compile_error_t **error)
{
	static const char *const bad[] = {"("};
	static const unsigned int zero[] = {0};
	hs_error_t rc;

	if (compile_rejects == 0 || compile_reject_expr == -2)
		return __real_hs_compile_multi(expressions, flags, ids,
					       elements, mode, platform, db,
					       error);
	compile_rejects--;
	rc = __real_hs_compile_multi(bad, zero, zero, 1, HS_MODE_BLOCK, NULL,
				     db, error);
	assert_int_equal(rc, HS_COMPILER_ERROR);
	(*error)->expression = compile_reject_expr;
	return rc;
}

/* __wrap_hs_scan - fail as told */
hs_error_t
__wrap_hs_scan(const hs_database_t *db, const char *data, unsigned int length,
	       unsigned int flags, hs_scratch_t *scratch,
	       match_event_handler onEvent, void *context)
{
	if (scan_fails)
		return HS_INVALID;
	return __real_hs_scan(db, data, length, flags, scratch, onEvent,
			      context);
}

/* load - rules from text with one engine */
static struct rules *
load(const char *text, enum rules_engine engine)
{
	char path[] = "/tmp/test_rules_vs.XXXXXX", err[512];
	const char *files[1] = {path};
	struct rules *r;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	err[0] = 0;
	r = rules_load_engine(files, 1, engine, err, sizeof(err));
	unlink(path);
	if (r == NULL)
		fail_msg("load: %s", err);
	return r;
}

/* Every path: an exact pattern, prefiltered ones, PCRE2-only ones. */
static const char paths_rules[] =
	"body EXACT /hello\\s+world/i\n"
	"body BACKREF /(wor)ld \\1/\n"	     /* prefilter */
	"body LOOKAHEAD /hello(?= world)/\n" /* prefilter */
	"body LOOKBEHIND /(?<!x)world/\n"    /* prefilter */
	"body EMPTY /^z*/\n"		     /* matches "": PCRE2 */
	"body EXTENDED /hel lo/x\n"	     /* x flag: PCRE2 */
	"body LONGREP /o{1001}/\n"	     /* too long to compile */
	"body OPENREP /lo{,2}/\n"	     /* {,n}: PCRE2 */
	"body MULTI /^world$/\n"	     /* body: per line */
	"rawbody RAW /wor+ld/\n"
	"full FULL /^Subject: hi$/m\n"
	"uri URI /^https?:\\/\\/[^\\/]*\\.example\\//\n"
	"uri URIPRE /^https?:\\/\\/(\\w+)\\.\\1\\//\n" /* prefilter */
	"header SUBJ Subject =~ /^h[aeiou]$/\n"
	"header NSUBJ Subject !~ /x/\n"
	"header UNSET X-None =~ /^dflt$/ [if-unset: dflt]\n"
	"header FROMA From:addr =~ /\\@example\\.com$/\n"
	"header ALLH ALL =~ /^From: .*example/m\n";

struct paths_case {
	const char *headers, *body, *full;
	const char *uris[3];
};

static const struct paths_case paths_cases[] = {
	{"Subject: hi\nFrom: A <a@example.com>\n",
	 "Hello   World world wor\nworld\nlooo\n",
	 "Subject: hi\n\nbody\n",
	 {"http://www.example/x", "https://a.a/"}},
	{"Subject: x\n", "xworld hello world\n", "", {"ftp://x"}},
	{"", "", "", {NULL}},
	{"Subject: ho\n",
	 "ooooooooooooooooooooooo lo{,2}\nhel lo\n",
	 "",
	 {"http://b.example/"}},
};

/* run_all - every case through both sets: the same hits, every rule */
static void
run_all(struct rules *vs, struct rules *pc)
{
	struct rules_ctx *cv = rules_ctx_create(vs), *cp = rules_ctx_create(pc);
	struct rules_result a = {0}, b = {0};
	size_t hits = 0;

	for (size_t k = 0; k < sizeof(paths_cases) / sizeof(*paths_cases);
	     k++) {
		const struct paths_case *c = paths_cases + k;
		struct rules_input in = {0};

		in.headers = c->headers;
		in.headers_len = strlen(c->headers);
		in.body = in.rawbody = c->body;
		in.body_len = in.rawbody_len = strlen(c->body);
		in.full = c->full;
		in.full_len = strlen(c->full);
		in.uris = c->uris;
		while (in.n_uris < 3 && c->uris[in.n_uris])
			in.n_uris++;
		rules_run(vs, cv, &in, &a);
		rules_run(pc, cp, &in, &b);
		for (size_t i = 0; i < rules_total(vs); i++) {
			hits += rules_ctx_hit(cp, i);
			if (rules_ctx_hit(cv, i) != rules_ctx_hit(cp, i))
				fail_msg("case %zu: rule %s: vectorscan %d, "
					 "pcre2 %d",
					 k, rules_name(vs, i),
					 rules_ctx_hit(cv, i),
					 rules_ctx_hit(cp, i));
		}
		assert_true(a.score == b.score);
	}
	/* The cases make most rules hit somewhere. */
	assert_true(hits >= 15);
	rules_result_release(&a);
	rules_result_release(&b);
	rules_ctx_free(&cv);
	rules_ctx_free(&cp);
}

/* test_paths - each pattern on its path, the hits PCRE2's */
static void
test_paths(void **state)
{
	struct rules *vs = load(paths_rules, RULES_ENGINE_VECTORSCAN);
	struct rules *pc = load(paths_rules, RULES_ENGINE_PCRE2);
	size_t exact, pre, only, bytes;

	(void)state;
	rules_engine_counts(vs, &exact, &pre, &only, &bytes);
	/* GTUBE, EXACT, MULTI, RAW, FULL, URI, SUBJ, NSUBJ, UNSET, FROMA,
	 * ALLH; BACKREF, LOOKAHEAD, LOOKBEHIND, URIPRE; EMPTY, EXTENDED,
	 * LONGREP, OPENREP. */
	assert_int_equal(exact, 11);
	assert_int_equal(pre, 4);
	assert_int_equal(only, 4);
	assert_true(bytes > 0);
	rules_engine_counts(pc, &exact, &pre, &only, &bytes);
	assert_int_equal(exact + pre, 0);
	assert_int_equal(only, 19);
	assert_int_equal(bytes, 0);
	run_all(vs, pc);
	rules_free(&vs);
	rules_free(&pc);
}

/* test_compile_rejects_pattern - one pattern out, the rest stay */
static void
test_compile_rejects_pattern(void **state)
{
	struct rules *vs, *pc = load(paths_rules, RULES_ENGINE_PCRE2);
	size_t exact, pre, only, bytes;

	(void)state;
	/* The first database's first pattern is refused twice: as
	 * written, then prefiltered. */
	compile_reject_expr = 0;
	compile_rejects = 2;
	vs = load(paths_rules, RULES_ENGINE_VECTORSCAN);
	compile_reject_expr = -2;
	assert_int_equal(compile_rejects, 0);
	rules_engine_counts(vs, &exact, &pre, &only, &bytes);
	assert_int_equal(exact, 10);
	assert_int_equal(pre, 4);
	assert_int_equal(only, 5);
	run_all(vs, pc);
	rules_free(&vs);
	rules_free(&pc);
}

/* test_compile_rejects_set - every database refused: all on PCRE2 */
static void
test_compile_rejects_set(void **state)
{
	struct rules *vs, *pc = load(paths_rules, RULES_ENGINE_PCRE2);
	size_t exact, pre, only, bytes;

	(void)state;
	compile_reject_expr = -1;
	compile_rejects = INT_MAX;
	vs = load(paths_rules, RULES_ENGINE_VECTORSCAN);
	compile_reject_expr = -2;
	compile_rejects = 0;
	assert_non_null(vs);
	rules_engine_counts(vs, &exact, &pre, &only, &bytes);
	assert_int_equal(exact + pre, 0);
	assert_int_equal(only, 19);
	assert_int_equal(bytes, 0);
	run_all(vs, pc);
	rules_free(&vs);
	rules_free(&pc);
}

/* test_scan_fails - a failed scan: that database's rules on PCRE2 */
static void
test_scan_fails(void **state)
{
	struct rules *vs = load(paths_rules, RULES_ENGINE_VECTORSCAN);
	struct rules *pc = load(paths_rules, RULES_ENGINE_PCRE2);

	(void)state;
	scan_fails = 1;
	run_all(vs, pc);
	scan_fails = 0;
	rules_free(&vs);
	rules_free(&pc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_compile_rejects_pattern),
		cmocka_unit_test(test_compile_rejects_set),
		cmocka_unit_test(test_scan_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

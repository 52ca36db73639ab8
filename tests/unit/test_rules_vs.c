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
/*
/*	The database cache (rules_load_cached()): a second load reads
/*	every database and compiles none (the wrapped compiler counts),
/*	with the same hits; a corrupt or truncated file, or a symbolic
/*	link in the directory, is compiled and written anew; a directory
/*	others can write, or a symbolic link as the directory, is no
/*	cache; a changed rule gives a new database and the unused file
/*	is removed.
/*--*/

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hs.h>

#include "scan/rules.h"

/* The wrapped library calls: what the next ones do. */
static int compile_reject_expr = -2; /* -2: none; -1: the set; n: expr n */
static int compile_rejects;	     /* how many calls still fail */
static int scan_fails;
static int compiles; /* calls to hs_compile_multi */

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

	compiles++;
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

/* load_commit - rules from text through the cache in dir; committed? */
static struct rules *
load_commit(const char *text, const char *dir, int commit, size_t *cached,
	    size_t *compiled)
{
	char path[] = "/tmp/test_rules_vs.XXXXXX", err[512];
	const char *files[1] = {path};
	struct rules *r;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	err[0] = 0;
	compiles = 0;
	r = rules_load_cached(files, 1, RULES_ENGINE_VECTORSCAN, dir, 0, err,
			      sizeof(err));
	unlink(path);
	if (r == NULL)
		fail_msg("load: %s", err);
	rules_cache_counts(r, cached, compiled);
	/* As filterd's start: the cache now holds this set. */
	if (commit)
		rules_cache_commit(r);
	/* What the counts say is what the compiler saw. */
	assert_int_equal(compiles, (int)*compiled);
	return r;
}

/* load_cached - load_commit(), committed as a start does */
static struct rules *
load_cached(const char *text, const char *dir, size_t *cached, size_t *compiled)
{
	return load_commit(text, dir, 1, cached, compiled);
}

/* cache_files - the names of the cache files in dir, sorted */
static size_t
cache_files(const char *dir, char names[][80], size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	memset(names, 0, max * 80);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			assert_true(n < max);
			snprintf(names[n++], 80, "%.79s", e->d_name);
		}
	closedir(d);
	qsort(names, n, 80, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* cache_dir - a fresh directory name (not made) under a temporary one */
static void
cache_dir(char *top, char *dir, size_t size)
{
	assert_non_null(mkdtemp(top));
	snprintf(dir, size, "%s/cache", top);
}

/* cache_rm - remove the directories of a test */
static void
cache_rm(const char *top)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	assert_int_equal(system(cmd), 0);
}

/* test_cache_warm - the second load reads every database, same hits */
static void
test_cache_warm(void **state)
{
	char top[] = "/tmp/test_rules_cache.XXXXXX", dir[128];
	char names[64][80], again[64][80];
	size_t cached, compiled, n;
	struct rules *a, *b, *pc = load(paths_rules, RULES_ENGINE_PCRE2);
	struct stat st;

	(void)state;
	cache_dir(top, dir, sizeof(dir));
	a = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(cached, 0);
	assert_true(compiled >= 5);
	/* Made by the load, the master's alone. */
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	n = cache_files(dir, names, 64);
	assert_int_equal(n, compiled);
	b = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(compiled, 0);
	assert_int_equal(cached, n);
	assert_int_equal(cache_files(dir, again, 64), n);
	assert_memory_equal(names, again, n * 80);
	run_all(a, pc);
	run_all(b, pc);
	rules_free(&a);
	rules_free(&b);
	/* No directory, no cache. */
	a = load_cached(paths_rules, "", &cached, &compiled);
	assert_int_equal(cached, 0);
	assert_int_equal(compiled, n);
	rules_free(&a);
	a = load_cached(paths_rules, "relative/cache", &cached, &compiled);
	assert_int_equal(cached, 0);
	assert_int_equal(access("relative", F_OK), -1);
	rules_free(&a);
	rules_free(&pc);
	cache_rm(top);
}

/* test_cache_corrupt - a bad file is compiled and written again */
static void
test_cache_corrupt(void **state)
{
	char top[] = "/tmp/test_rules_cache.XXXXXX", dir[128], path[300];
	char names[64][80];
	size_t cached, compiled, n;
	struct rules *r, *pc = load(paths_rules, RULES_ENGINE_PCRE2);
	struct stat st;
	FILE *f;
	long mid;

	(void)state;
	cache_dir(top, dir, sizeof(dir));
	r = load_cached(paths_rules, dir, &cached, &compiled);
	rules_free(&r);
	n = cache_files(dir, names, 64);
	assert_true(n >= 3);
	/* One with a byte flipped in the middle, one cut short, one
	 * emptied. */
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	assert_non_null(f = fopen(path, "r+b"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	mid = ftell(f) / 2;
	assert_int_equal(fseek(f, mid, SEEK_SET), 0);
	{
		int ch = fgetc(f);

		assert_int_equal(fseek(f, mid, SEEK_SET), 0);
		fputc(ch ^ 0xff, f);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", dir, names[1]);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 1), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, names[2]);
	assert_int_equal(truncate(path, 0), 0);
	r = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(compiled, 3);
	assert_int_equal(cached, n - 3);
	run_all(r, pc);
	rules_free(&r);
	/* Rewritten: all from the cache now. */
	r = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(compiled, 0);
	assert_int_equal(cached, n);
	run_all(r, pc);
	rules_free(&r);
	rules_free(&pc);
	cache_rm(top);
}

/* test_cache_unsafe - others can write: no cache; links not followed */
static void
test_cache_unsafe(void **state)
{
	char top[] = "/tmp/test_rules_cache.XXXXXX", dir[128], path[300];
	char link[300], copy[300], names[64][80], cmd[1024];
	size_t cached, compiled, n;
	struct rules *r, *pc = load(paths_rules, RULES_ENGINE_PCRE2);
	struct stat st;

	(void)state;
	cache_dir(top, dir, sizeof(dir));
	r = load_cached(paths_rules, dir, &cached, &compiled);
	rules_free(&r);
	n = cache_files(dir, names, 64);
	/* Writable by others: not read, not written, not pruned. */
	assert_int_equal(chmod(dir, 0777), 0);
	r = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(cached, 0);
	assert_int_equal(compiled, n);
	rules_free(&r);
	assert_int_equal(chmod(dir, 0770), 0);
	r = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(cached, 0);
	rules_free(&r);
	assert_int_equal(chmod(dir, 0755), 0);
	r = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(cached, n);
	rules_free(&r);
	/* An existing directory keeps its mode (test_attack16). */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(chmod(dir, 0700), 0);
	/* A file replaced by a link to a good database elsewhere: not
	 * followed (compiled), and replaced by a file, the target left. */
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	snprintf(copy, sizeof(copy), "%s/elsewhere.db", top);
	assert_int_equal(rename(path, copy), 0);
	assert_int_equal(symlink(copy, path), 0);
	r = load_cached(paths_rules, dir, &cached, &compiled);
	assert_int_equal(compiled, 1);
	assert_int_equal(cached, n - 1);
	run_all(r, pc);
	rules_free(&r);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", path, copy);
	assert_int_equal(system(cmd), 0);
	/* The directory itself a link: no cache. */
	snprintf(link, sizeof(link), "%s/link", top);
	assert_int_equal(symlink(dir, link), 0);
	r = load_cached(paths_rules, link, &cached, &compiled);
	assert_int_equal(cached, 0);
	assert_int_equal(compiled, n);
	rules_free(&r);
	rules_free(&pc);
	cache_rm(top);
}

/* test_cache_changed - a changed rule: a new database, the old removed */
static void
test_cache_changed(void **state)
{
	static const char before[] = "body A /alpha/\n"
				     "header S Subject =~ /^hi$/\n";
	static const char after[] = "body A /beta/\n"
				    "header S Subject =~ /^hi$/\n";
	char top[] = "/tmp/test_rules_cache.XXXXXX", dir[128];
	char n1[8][80], n2[8][80];
	size_t cached, compiled;
	struct rules *r;
	struct rules_ctx *c;
	struct rules_result res = {0};
	struct rules_input in = {0};

	(void)state;
	cache_dir(top, dir, sizeof(dir));
	r = load_cached(before, dir, &cached, &compiled);
	rules_free(&r);
	/* GTUBE with A in the body database, S in Subject's. */
	assert_int_equal(cache_files(dir, n1, 8), 2);
	r = load_cached(after, dir, &cached, &compiled);
	assert_int_equal(cached, 1);
	assert_int_equal(compiled, 1);
	assert_int_equal(cache_files(dir, n2, 8), 2);
	/* The Subject database stays, the body one is replaced. */
	assert_true(strcmp(n1[0], n2[0]) != 0 || strcmp(n1[1], n2[1]) != 0);
	assert_true(strcmp(n1[0], n2[0]) == 0 || strcmp(n1[1], n2[1]) == 0 ||
		    strcmp(n1[0], n2[1]) == 0 || strcmp(n1[1], n2[0]) == 0);
	c = rules_ctx_create(r);
	in.body = in.rawbody = "beta\n";
	in.body_len = in.rawbody_len = 5;
	rules_run(r, c, &in, &res);
	assert_int_equal(res.n_hits, 1);
	assert_string_equal(res.hits[0].name, "A");
	in.body = in.rawbody = "alpha\n";
	in.body_len = in.rawbody_len = 6;
	rules_run(r, c, &in, &res);
	assert_int_equal(res.n_hits, 0);
	rules_result_release(&res);
	rules_ctx_free(&c);
	rules_free(&r);
	cache_rm(top);
}

/* test_cache_uncommitted - a load not committed changes no file */
static void
test_cache_uncommitted(void **state)
{
	static const char before[] = "body A /alpha/\n"
				     "header S Subject =~ /^hi$/\n";
	static const char after[] = "body A /beta/\n"
				    "header S Subject =~ /^hi$/\n";
	char top[] = "/tmp/test_rules_cache.XXXXXX", dir[128];
	char n1[8][80], n2[8][80];
	size_t cached, compiled;
	struct rules *r;

	(void)state;
	cache_dir(top, dir, sizeof(dir));
	r = load_cached(before, dir, &cached, &compiled);
	rules_free(&r);
	assert_int_equal(cache_files(dir, n1, 8), 2);
	/* A reload that is then rejected: nothing written, nothing
	 * removed, and the next one compiles again. */
	r = load_commit(after, dir, 0, &cached, &compiled);
	assert_int_equal(compiled, 1);
	rules_free(&r);
	assert_int_equal(cache_files(dir, n2, 8), 2);
	assert_memory_equal(n1, n2, sizeof(n1));
	r = load_commit(after, dir, 0, &cached, &compiled);
	assert_int_equal(cached, 1);
	assert_int_equal(compiled, 1);
	/* Committed: the new database written, the old one removed. */
	rules_cache_commit(r);
	rules_cache_commit(r); /* once */
	assert_int_equal(cache_files(dir, n2, 8), 2);
	assert_true(memcmp(n1, n2, sizeof(n1)) != 0);
	rules_free(&r);
	r = load_commit(after, dir, 0, &cached, &compiled);
	assert_int_equal(cached, 2);
	assert_int_equal(compiled, 0);
	rules_free(&r);
	cache_rm(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_compile_rejects_pattern),
		cmocka_unit_test(test_compile_rejects_set),
		cmocka_unit_test(test_scan_fails),
		cmocka_unit_test(test_cache_warm),
		cmocka_unit_test(test_cache_corrupt),
		cmocka_unit_test(test_cache_unsafe),
		cmocka_unit_test(test_cache_changed),
		cmocka_unit_test(test_cache_uncommitted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#ifndef FILTERD_RULES_H
#define FILTERD_RULES_H

/*++
/* NAME
/*	rules 3h
/* SUMMARY
/*	a SpamAssassin-subset rule engine on PCRE2 (and Vectorscan)
/* SYNOPSIS
/*	#include "scan/rules.h"
/* DESCRIPTION
/*	filterd's built-in spam rules are read from SpamAssassin rule files
/*	(the subset below), so existing rule files can be reused.
/*
/*	rules_load() reads the files in order and compiles every pattern
/*	(with JIT where available). It runs once in the master, before
/*	fork: the children share the compiled set copy-on-write and never
/*	change it. It returns NULL on error, with "file:line: message" in
/*	errbuf (just "file: message" when a file cannot be read), and logs
/*	one summary line on success. rules_free() releases the set and
/*	NULLs the caller's pointer. rules_count() tells how many rules are
/*	active (not disabled by a zero score), the built-in GTUBE included;
/*	rules_skipped() how many unsupported lines rules_load() skipped.
/*
/*	rules_ctx_create() makes one process's matching state (PCRE2
/*	match_data, JIT stack, per-message scratch that grows to the largest
/*	message seen and is then reused); each child creates one after fork
/*	and frees it with rules_ctx_free(). A context belongs to the rule
/*	set it was made for.
/*
/*	rules_run() matches one message. The input views are borrowed for
/*	the call; any pointer may be NULL when its length is 0. It fills
/*	*out: the score sum and the hits with a non-zero score, in rule
/*	order (the order in which rules were first defined; GTUBE first).
/*	out is caller-owned and reused across messages: start from a zeroed
/*	struct rules_result and call rules_result_release() at the end. The
/*	hit names point into the rule set and stay valid until rules_free().
/*	out->n_errors counts matches that PCRE2 gave up (match or JIT stack
/*	limit); they count as no hit.
/*
/*	rules_describe() gives a rule's describe text (owned by the set),
/*	or NULL.
/* ENGINE
/*	rules_load() also compiles, after the rules, one Vectorscan
/*	database per text that rules match (body, rawbody, full, uri, and
/*	each header view), so that rules_run() reads each text once for
/*	all of its rules. A regex that Vectorscan compiles as written runs
/*	there alone; one it can only approximate (HS_FLAG_PREFILTER:
/*	back-references, look-arounds...) runs there first and a hit is
/*	confirmed by PCRE2; one it rejects, that matches the empty string,
/*	uses the x flag, or holds a NUL, runs on PCRE2 only. A pattern
/*	that fails in a database is moved to the next of these paths, a
/*	database Vectorscan rejects as a whole leaves its rules on PCRE2,
/*	and a scan that fails at run time runs that database's rules on
/*	PCRE2: Vectorscan never causes a load error. The hits are those
/*	of PCRE2 alone (except that a PCRE2 match limit cannot be reached
/*	by a rule Vectorscan answers alone). The databases are built in
/*	the master; each rules_ctx_create() allocates its own scratch.
/*
/*	rules_load_engine() is rules_load() with the engine chosen:
/*	RULES_ENGINE_PCRE2 matches every regex with PCRE2 (the reference
/*	the tests compare against). rules_engine_counts() tells how many
/*	enabled regex rules take each path, and the databases' size.
/*
/*	Vectorscan is optional (the build's WITH_VECTORSCAN; Debian builds
/*	it on some architectures only). rules_have_vectorscan() tells
/*	whether this build has it. Without it, RULES_ENGINE_VECTORSCAN is
/*	RULES_ENGINE_PCRE2: every regex on PCRE2, the same hits and scores,
/*	no database and no cache (cache_dir is not touched). The summary
/*	line rules_load*() logs names the engine ("rule engine
/*	vectorscan+pcre2: ..." or "rule engine pcre2: ..."), and so does
/*	rules_engine_name() for a loaded set (NULL: the build's default).
/*
/*	rules_load_cached() is rules_load_engine() with a cache of the
/*	compiled Vectorscan databases in cache_dir (NULL or "": none).
/*	Each database is stored serialised in a file named by a SHA-256
/*	of all that determines it (its patterns with their ids and flags
/*	in order, the mode, the platform, the Vectorscan version), and
/*	read back instead of compiled when that file is there (a regular
/*	file of ours that others cannot write), carries this version's
/*	info and deserialises; else it is compiled. The directory is made
/*	with mode 0700 when missing (an existing one keeps its mode), and
/*	refused when it is a symbolic link, another user's, or writable
/*	by others: whoever writes there chooses the databases. Cache
/*	files are opened with O_NOFOLLOW and O_NONBLOCK. The load changes
/*	nothing in the cache: rules_cache_commit(), called once the set
/*	is the one that runs (a start, or a reload that went through),
/*	writes the databases it compiled (a temporary file renamed over
/*	the name), then removes the files of the directory that this load
/*	did not use (one directory per rule set: two instances sharing
/*	one keep removing each other's), and logs "rules cache DIR: N
/*	databases written, M files removed"; the directory stays open until
/*	then, or until rules_free(). A cache that cannot be read or
/*	written is a notice and a compile, never a load error.
/*	rules_cache_counts() tells how many databases came from the cache
/*	and how many were compiled.
/*	With cache_readonly (filterd -t, which makes nothing) the cache
/*	is only read: no directory is made, nothing written or removed,
/*	and a directory that is missing or another user's is silently no
/*	cache.
/*
/*	rules_ctx_hit() tells whether rule number i (0 to rules_total()-1,
/*	definition order; rules_name() names it) hit in the context's last
/*	rules_run(), whatever its score: the tests compare every rule.
/* SYNTAX
/*	One directive per line; leading white space is allowed. A "#" at
/*	the start of a line or after white space begins a comment (SA also
/*	ends the line at any unescaped "#"; its rule files write "\#"
/*	inside patterns, which PCRE2 reads as a literal "#").
/*
/*	header NAME Field =~ /re/flags [if-unset: TEXT]
/*	header NAME Field !~ /re/flags [if-unset: TEXT]
/*	header NAME exists:Field
/*	    Field is a header name, "ALL" (the whole header section) or
/*	    "ToCc" (To and Cc), with optional modifiers ":raw" (undecoded
/*	    and folded, taken from the full message), ":addr" (the address
/*	    of the first mailbox), ":name" (its display name). Several
/*	    fields of that name are joined with "\n". A missing field is
/*	    TEXT with if-unset, else the empty string (so "!~" hits). Other
/*	    modifiers (SA 4 :first, :host, ...) make the line unsupported.
/*	body, rawbody, full, uri NAME /re/flags
/*	meta NAME expression
/*	    Rule names (1 if hit, else 0; unknown names are 0), numbers,
/*	    ! unary - * / + - < <= > >= == != && || and parentheses, with
/*	    Perl's precedence and values (a && b is a ? b : a). x / 0 is
/*	    0. A meta rule hits when its value is not 0. Dependency cycles
/*	    are load errors.
/*	score NAME s [s s s]
/*	    The first value counts. Without a score line a rule scores 1.0,
/*	    "__NAME" 0 and "T_NAME" 0.01 (as SA). Score 0 disables a rule
/*	    (except a "__" rule): it is not run and is 0 to meta rules.
/*	describe NAME text
/*	tflags NAME ...	(ignored)
/*
/*	Regexes are written /re/, m/re/, m{re}, m(re), m[re], m<re>, m!re!,
/*	m#re# or with any other punctuation after "m"; flags i s m x map to
/*	PCRE2 options, g and o are ignored. Patterns are Perl syntax through
/*	PCRE2, matched as bytes (no PCRE2_UTF: a pattern may not name a code
/*	point above \xff, and "." is one byte).
/*
/*	A directive or rule form that is not listed (ifplugin, if, else,
/*	endif, lang, priority, required_score, loadplugin, eval: rules,
/*	mimeheader, askdns, uri_detail, ...) is skipped and counted, and so
/*	is every line inside an ifplugin or if block (nesting aware; both
/*	branches of an else are skipped). A later definition of a rule
/*	name replaces the earlier one; score and describe may come before
/*	or after the rule, in any file.
/*
/*	GTUBE is built in (body, score 1000, present with no files at all).
/*	Files cannot redefine, rescore or disable it.
/* MATCHING
/*	Each rule hits at most once. header rules match the field value
/*	(leading white space removed); full rules the whole raw message;
/*	uri rules each URI in turn. Both as the pattern is written. body
/*	and rawbody rules match the whole text at once with PCRE2_MULTILINE
/*	added: SA matches them per paragraph or line, so "^" and "$" must
/*	anchor at line boundaries; "." still does not cross a line. Meta
/*	rules are evaluated after all others, in dependency order.
/*	rules_need_full() tells whether any rule reads the raw message (a
/*	full rule, or a header rule with :raw), so that callers only fill
/*	rules_input.full when it is used.
/* LIMITS
/*	Rule file lines are limited to RULES_LINE_MAX bytes, meta
/*	expressions to RULES_META_DEPTH levels of nesting. Each match is
/*	bounded by PCRE2's match limit.
/* PROCESS
/*	master (rules_load*, rules_free); children (rules_ctx_*, rules_run).
/*--*/

#include <stddef.h>

#define RULES_LINE_MAX 65536
#define RULES_META_DEPTH 64
#define RULES_GTUBE_SCORE 1000.0

struct rules;
struct rules_ctx;

struct rules_input {
	const char *headers; /* "Name: value\n" per field, unfolded, decoded */
	size_t headers_len;
	const char *body; /* decoded, rendered text parts, lines joined by \n */
	size_t body_len;
	const char *rawbody; /* decoded, not rendered */
	size_t rawbody_len;
	const char *full; /* the raw message as received */
	size_t full_len;
	const char *const *uris; /* URIs found in the body */
	size_t n_uris;
};

struct rules_hit {
	const char *name;
	double score;
};

struct rules_result {
	double score;
	struct rules_hit *hits;
	size_t n_hits;
	size_t cap;
	size_t n_errors;
};

enum rules_engine {
	RULES_ENGINE_VECTORSCAN, /* Vectorscan, PCRE2 where it must */
	RULES_ENGINE_PCRE2,	 /* PCRE2 for every regex */
};

struct rules *rules_load(const char *const *files, size_t n_files, char *errbuf,
			 size_t errsize);
struct rules *rules_load_engine(const char *const *files, size_t n_files,
				enum rules_engine engine, char *errbuf,
				size_t errsize);
struct rules *rules_load_cached(const char *const *files, size_t n_files,
				enum rules_engine engine, const char *cache_dir,
				int cache_readonly, char *errbuf,
				size_t errsize);
void rules_cache_commit(struct rules *r);
void rules_cache_counts(const struct rules *r, size_t *from_cache,
			size_t *compiled);
void rules_engine_counts(const struct rules *r, size_t *exact,
			 size_t *prefilter, size_t *pcre2_only,
			 size_t *db_bytes);
int rules_have_vectorscan(void);
const char *rules_engine_name(const struct rules *r);
void rules_free(struct rules **rp);
size_t rules_count(const struct rules *r);
size_t rules_skipped(const struct rules *r);
int rules_need_full(const struct rules *r);
const char *rules_describe(const struct rules *r, const char *name);

struct rules_ctx *rules_ctx_create(const struct rules *r);
void rules_ctx_free(struct rules_ctx **cp);
void rules_run(const struct rules *r, struct rules_ctx *ctx,
	       const struct rules_input *in, struct rules_result *out);
void rules_result_release(struct rules_result *res);
size_t rules_total(const struct rules *r);
const char *rules_name(const struct rules *r, size_t i);
int rules_ctx_hit(const struct rules_ctx *c, size_t i);

#endif

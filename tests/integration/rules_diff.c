/*++
/* NAME
/*	rules_diff 1
/* SUMMARY
/*	match messages with both rule engines and compare every rule
/* SYNOPSIS
/*	rules_diff rulefile... -- message...
/* DESCRIPTION
/*	rules_diff loads the rule files twice, with Vectorscan
/*	(RULES_ENGINE_VECTORSCAN, what filterd runs) and with PCRE2 alone
/*	(RULES_ENGINE_PCRE2, the reference), and runs every message file
/*	through both. Each message is read as the rules would see it
/*	(header fields unfolded, "Name: value" per line; the body after
/*	the first blank line as body and rawbody; the whole file as full;
/*	the http(s):// and www. addresses in the body as uris), and again
/*	with the body's HTML tags dropped, as a rendered text part reads.
/*	Both engines must agree on every rule, scored or not, and on the
/*	score. With RULES_DIFF_CACHE set to a directory, the Vectorscan
/*	set is loaded through that database cache (rules_load_cached()),
/*	and committed as filterd's start does (rules_cache_commit()).
/*	In a build without Vectorscan both sets run on PCRE2 (the first
/*	line says which engine the first set has).
/*
/*	With RULES_DIFF_HITS set to a file name, rules_diff also writes
/*	there, per input, "input<TAB>score<TAB>rule rule ..." (every rule
/*	the first set hit, scored or not, in rule order): two builds'
/*	files over the same inputs must be equal (a build without
/*	Vectorscan against one with it).
/*
/*	The first output line gives the engine counts ("paths: E exact, P
/*	prefilter, C pcre2, B bytes, engine NAME", NAME from
/*	rules_engine_name()), the second the cache's ("cache: F
/*	from the cache, N compiled"); then one line per disagreement, and
/*	a last line "N inputs, M rules, H hits of D rules: identical" (or
/*	"differ"): H hits over all inputs, of D distinct rules.
/* DIAGNOSTICS
/*	Exit status 0 when the engines agree on everything, 1 when they
/*	differ, 2 on a usage or load error.
/*--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan/rules.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define RULES_DIFF_MAX_URIS 200

/* read_file - a whole file in memory, NUL-terminated; NULL on error */
static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	if (fp == NULL)
		return NULL;
	buf_init(&b, sizeof(chunk));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	*len = b.len;
	buf_append(&b, "", 1);
	return b.data;
}

/* split - the header section unfolded, and where the body starts */
static size_t
split(const char *msg, size_t len, struct buf *hdr)
{
	size_t i = 0, eol;

	buf_reset(hdr);
	while (i < len) {
		const char *nl = memchr(msg + i, '\n', len - i);

		eol = nl ? (size_t)(nl - msg) : len;
		if (eol == i || (eol == i + 1 && msg[i] == '\r'))
			return nl ? eol + 1 : len; /* blank line */
		if (msg[i] == ' ' || msg[i] == '\t') {
			if (hdr->len && hdr->data[hdr->len - 1] == '\n')
				hdr->len--; /* continuation */
			buf_append(hdr, msg + i, eol - i);
			buf_append(hdr, "\n", 1);
		} else if (memchr(msg + i, ':', eol - i)) {
			const char *colon = memchr(msg + i, ':', eol - i);
			size_t v = (size_t)(colon - msg) + 1;

			buf_append(hdr, msg + i, v - i);
			buf_append(hdr, " ", 1);
			while (v < eol && (msg[v] == ' ' || msg[v] == '\t'))
				v++;
			buf_append(hdr, msg + v, eol - v);
			buf_append(hdr, "\n", 1);
		}
		i = nl ? eol + 1 : len;
	}
	return len;
}

/* untag - the text with <...> tags dropped */
static void
untag(const char *s, size_t len, struct buf *out)
{
	int in_tag = 0;

	buf_reset(out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<')
			in_tag = 1;
		else if (s[i] == '>' && in_tag)
			in_tag = 0;
		else if (!in_tag)
			buf_append(out, s + i, 1);
	}
}

/* find_uris - http(s):// and www. addresses, as scan_spam finds them */
static size_t
find_uris(const char *text, size_t len, char **out, size_t max)
{
	static const char *const starts[] = {"http://", "https://", "www."};
	size_t n = 0;

	for (size_t i = 0; i < len && n < max; i++) {
		for (size_t k = 0; k < sizeof(starts) / sizeof(*starts); k++) {
			size_t sl = strlen(starts[k]), e = i;

			if (len - i < sl ||
			    strncasecmp(text + i, starts[k], sl))
				continue;
			while (e < len && text[e] > ' ' &&
			       !strchr("\"'<>()", text[e]))
				e++;
			out[n] = xmalloc(e - i + 1);
			memcpy(out[n], text + i, e - i);
			out[n++][e - i] = 0;
			i = e;
			break;
		}
	}
	return n;
}

/* compare - run one input through both engines; 0 if they agree */
static int
compare(const char *what, struct rules *ra, struct rules_ctx *ca,
	struct rules *rb, struct rules_ctx *cb, const struct rules_input *in,
	size_t *hits, unsigned char *ever, FILE *dump)
{
	struct rules_result a = {0}, b = {0};
	int differ = 0;

	rules_run(ra, ca, in, &a);
	rules_run(rb, cb, in, &b);
	if (dump) {
		fprintf(dump, "%s\t%.17g\t", what, a.score);
		for (size_t i = 0; i < rules_total(ra); i++)
			if (rules_ctx_hit(ca, i))
				fprintf(dump, " %s", rules_name(ra, i));
		fputc('\n', dump);
	}
	for (size_t i = 0; i < rules_total(ra); i++) {
		*hits += rules_ctx_hit(cb, i);
		ever[i] |= (unsigned char)rules_ctx_hit(cb, i);
		if (rules_ctx_hit(ca, i) == rules_ctx_hit(cb, i))
			continue;
		printf("DIFF %s: rule %s: vectorscan %d, pcre2 %d\n", what,
		       rules_name(ra, i), rules_ctx_hit(ca, i),
		       rules_ctx_hit(cb, i));
		differ = 1;
	}
	if (a.score != b.score || a.n_hits != b.n_hits) {
		printf("DIFF %s: score %g (%zu hits) vs %g (%zu hits)\n", what,
		       a.score, a.n_hits, b.score, b.n_hits);
		differ = 1;
	}
	if (a.n_errors != b.n_errors)
		printf("NOTE %s: matches given up: vectorscan %zu, pcre2 %zu\n",
		       what, a.n_errors, b.n_errors);
	rules_result_release(&a);
	rules_result_release(&b);
	return differ;
}

int
main(int argc, char **argv)
{
	struct rules *vs, *pc;
	struct rules_ctx *cvs, *cpc;
	size_t n_files = 0, exact, pre, only, bytes, inputs = 0, hits = 0;
	size_t cached, compiled;
	struct buf hdr, text;
	char err[512], *uris[RULES_DIFF_MAX_URIS];
	unsigned char *ever;
	size_t distinct = 0;
	int i, differ = 0;
	FILE *dump = NULL;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		n_files++;
	if (i == argc || n_files == 0) {
		fprintf(stderr,
			"usage: rules_diff rulefile... -- message...\n");
		return 2;
	}
	vs = rules_load_cached((const char *const *)argv + 1, n_files,
			       RULES_ENGINE_VECTORSCAN,
			       getenv("RULES_DIFF_CACHE"), 0, err, sizeof(err));
	pc = rules_load_engine((const char *const *)argv + 1, n_files,
			       RULES_ENGINE_PCRE2, err, sizeof(err));
	if (vs == NULL || pc == NULL) {
		fprintf(stderr, "rules_diff: %s\n", err);
		return 2;
	}
	rules_cache_commit(vs);
	rules_engine_counts(vs, &exact, &pre, &only, &bytes);
	printf("paths: %zu exact, %zu prefilter, %zu pcre2, %zu bytes, engine "
	       "%s\n",
	       exact, pre, only, bytes, rules_engine_name(vs));
	if (getenv("RULES_DIFF_HITS") &&
	    (dump = fopen(getenv("RULES_DIFF_HITS"), "w")) == NULL) {
		fprintf(stderr, "rules_diff: cannot write %s\n",
			getenv("RULES_DIFF_HITS"));
		return 2;
	}
	rules_cache_counts(vs, &cached, &compiled);
	printf("cache: %zu from the cache, %zu compiled\n", cached, compiled);
	ever = xcalloc(rules_total(vs) + 1, 1);
	cvs = rules_ctx_create(vs);
	cpc = rules_ctx_create(pc);
	buf_init(&hdr, 4096);
	buf_init(&text, 4096);
	for (i++; i < argc; i++) {
		struct rules_input in = {0};
		size_t len, body, n_uris;
		char *msg = read_file(argv[i], &len), what[600];

		if (msg == NULL) {
			fprintf(stderr, "rules_diff: cannot read %s\n",
				argv[i]);
			return 2;
		}
		body = split(msg, len, &hdr);
		in.headers = hdr.data;
		in.headers_len = hdr.len;
		in.body = in.rawbody = msg + body;
		in.body_len = in.rawbody_len = len - body;
		in.full = msg;
		in.full_len = len;
		n_uris = find_uris(in.body, in.body_len, uris,
				   RULES_DIFF_MAX_URIS);
		in.uris = (const char *const *)uris;
		in.n_uris = n_uris;
		snprintf(what, sizeof(what), "%s", argv[i]);
		differ |= compare(what, vs, cvs, pc, cpc, &in, &hits, ever,
				  dump);
		untag(msg + body, len - body, &text);
		in.body = text.data ? text.data : "";
		in.body_len = text.len;
		snprintf(what, sizeof(what), "%s (rendered)", argv[i]);
		differ |= compare(what, vs, cvs, pc, cpc, &in, &hits, ever,
				  dump);
		inputs += 2;
		for (size_t u = 0; u < n_uris; u++)
			free(uris[u]);
		free(msg);
	}
	for (size_t k = 0; k < rules_total(vs); k++)
		distinct += ever[k];
	printf("%zu inputs, %zu rules, %zu hits of %zu rules: %s\n", inputs,
	       rules_total(vs), hits, distinct,
	       differ ? "differ" : "identical");
	if (dump && fclose(dump) != 0) {
		fprintf(stderr, "rules_diff: cannot write %s\n",
			getenv("RULES_DIFF_HITS"));
		return 2;
	}
	free(ever);
	buf_release(&hdr);
	buf_release(&text);
	rules_ctx_free(&cvs);
	rules_ctx_free(&cpc);
	rules_free(&vs);
	rules_free(&pc);
	return differ;
}

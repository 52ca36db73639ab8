/*++
/* NAME
/*	fuzz_rules_match 1
/* SUMMARY
/*	libFuzzer harness for spam rule matching
/* SYNOPSIS
/*	fuzz_rules_match [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	LLVMFuzzerInitialize() compiles a small fixed rule set once (every
/*	rule form: header rules with :raw, :addr, :name, ALL, ToCc,
/*	exists: and if-unset, body, rawbody, full, uri and meta rules with
/*	arithmetic), as the master does. Each input is a message: its
/*	header section (up to the first empty line) becomes the headers
/*	view, unfolded, one "Name: value" a line; the rest the body and
/*	rawbody views (line breaks as LF); the whole input the full view;
/*	the URIs scan_spam_uris() finds in the body the uri view. Checks
/*	that the score is finite and equals the sum of the hits' scores,
/*	that no rule hits twice, and that a second run of the same context
/*	gives the same hits (the context's scratch is reused).
/*--*/

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"
#include "scan/rules.h"
#include "scan/scan_spam.h"
#include "txn/txn.h"

#define URIS_MAX 64

static const char rule_text[] =
	"header SUBJ_MONEY Subject =~ /\\b(?:money|cash|\\$\\d+)\\b/i\n"
	"score SUBJ_MONEY 1.5\n"
	"header FROM_ADDR From:addr =~ /\\@example\\.(?:com|net)$/\n"
	"header FROM_NAME From:name =~ /^[A-Z][a-z]+ [A-Z]/\n"
	"header FROM_RAW From:raw =~ /=\\?utf-8\\?/i\n"
	"header TOCC_MANY ToCc =~ /(?:,.*){3}/s\n"
	"header ALL_XMAILER ALL =~ /^X-Mailer: .*bulk/im\n"
	"header NO_DATE Date !~ /\\d/ [if-unset: none]\n"
	"header HAS_MSGID exists:Message-ID\n"
	"score HAS_MSGID -0.1\n"
	"body BODY_VIAGRA /v[i1!]agra/i\n"
	"body BODY_LINE /^(?:click here|unsubscribe)$/im\n"
	"body __BODY_LONG /(?:\\w+\\s+){20}/\n"
	"rawbody RAW_HTML /<\\s*(?:script|iframe)\\b/i\n"
	"full FULL_BASE64 /^Content-Transfer-Encoding:\\s*base64/im\n"
	"uri URI_IP m{^https?://\\d+\\.\\d+\\.\\d+\\.\\d+}\n"
	"uri URI_SHORT m!^https?://(?:bit\\.ly|t\\.co)/!i\n"
	"meta META_MONEY_BODY (SUBJ_MONEY && (BODY_VIAGRA || __BODY_LONG))\n"
	"score META_MONEY_BODY 2.25\n"
	"meta META_SUM (SUBJ_MONEY + FROM_ADDR + URI_IP) * 2 / "
	"(1 + NO_DATE) >= 2 && !HAS_MSGID\n"
	"meta META_NEG -(FROM_RAW - RAW_HTML) != 0 || UNKNOWN_RULE\n"
	"describe META_SUM several signs at once\n"
	"tflags META_SUM nice\n";

static struct rules *rules;
static struct rules_ctx *rctx;
static struct conf *conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	char err[512];
	const char *files[] = {path};
	int fd = memfd_create("fuzz_rules_match", MFD_CLOEXEC);

	(void)argc;
	(void)argv;
	if (fd < 0 || write(fd, rule_text, sizeof(rule_text) - 1) !=
			      (ssize_t)sizeof(rule_text) - 1)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rules = rules_load(files, 1, err, sizeof(err));
	if (rules == NULL) {
		fprintf(stderr, "fuzz_rules_match: %s\n", err);
		abort();
	}
	close(fd);
	rctx = rules_ctx_create(rules);
	conf = conf_load(NULL, err, sizeof(err));
	if (conf == NULL)
		abort();
	return 0;
}

/* headers - the header section, unfolded, "Name: value\n" a field */
static size_t
headers(const char *in, size_t len, char *out, size_t *hlen)
{
	size_t i = 0;
	size_t n = 0;

	while (i < len) {
		size_t e = i;

		while (e < len && in[e] != '\n')
			e++;
		if (e == i || (e == i + 1 && in[i] == '\r'))
			return e < len ? e + 1 : e;
		if ((in[i] == ' ' || in[i] == '\t') && n) {
			n--; /* a continuation: joined to the field */
			out[n++] = ' ';
			while (i < e && (in[i] == ' ' || in[i] == '\t'))
				i++;
		}
		for (; i < e; i++)
			if (in[i] != '\r')
				out[n++] = in[i];
		out[n++] = '\n';
		*hlen = n;
		i = e + 1;
	}
	return len;
}

/* body - the rest, line breaks as LF */
static size_t
body(const char *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (in[i] != '\r' || i + 1 == len || in[i + 1] != '\n')
			out[n++] = in[i];
	return n;
}

/* check - the result of one run */
static void
check(const struct rules_result *res)
{
	double sum = 0;

	if (!isfinite(res->score))
		abort();
	for (size_t i = 0; i < res->n_hits; i++) {
		sum += res->hits[i].score;
		for (size_t k = 0; k < i; k++)
			if (strcmp(res->hits[i].name, res->hits[k].name) == 0)
				abort();
	}
	if (fabs(sum - res->score) > 1e-6)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct txn *t = txn_create(conf, "127.0.0.1", 25);
	struct rules_result res = {0};
	struct rules_result again = {0};
	struct rules_input in = {0};
	const char *uris[URIS_MAX];
	char *hdr = malloc(size + 1);
	char *bdy = malloc(size + 1);
	size_t hlen = 0;
	size_t off = headers(text, size, hdr, &hlen);
	size_t blen = body(text + off, size - off, bdy);

	in.headers = hdr;
	in.headers_len = hlen;
	in.body = in.rawbody = bdy;
	in.body_len = in.rawbody_len = blen;
	in.full = text;
	in.full_len = size;
	in.uris = uris;
	in.n_uris = scan_spam_uris(t, bdy, blen, uris, URIS_MAX);
	rules_run(rules, rctx, &in, &res);
	check(&res);
	rules_run(rules, rctx, &in, &again);
	if (res.n_hits != again.n_hits)
		abort();
	for (size_t i = 0; i < res.n_hits; i++)
		if (strcmp(res.hits[i].name, again.hits[i].name))
			abort();
	rules_result_release(&res);
	rules_result_release(&again);
	free(hdr);
	free(bdy);
	txn_free(&t);
	return 0;
}

/*++
/* NAME
/*	scan_spam 3
/* SUMMARY
/*	the spam score: built-in rules, plus spamd when configured
/*--*/

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "checks.h"
#include "rules.h"
#include "scan_spam.h"
#include "spamd.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"

#define SCAN_SPAM_MAX_URIS 200

/* scan_spam_uris - http(s) and www. addresses in text */
size_t
scan_spam_uris(struct txn *t, const char *text, size_t len, const char **out,
	       size_t max)
{
	static const char *const starts[] = {"http://", "https://", "www."};
	size_t n = 0;

	for (size_t i = 0; i < len && n < max; i++) {
		/* Every start begins with h or w: most bytes go no further. */
		if ((text[i] | 0x20) != 'h' && (text[i] | 0x20) != 'w')
			continue;
		for (size_t k = 0; k < sizeof(starts) / sizeof(*starts); k++) {
			size_t sl = strlen(starts[k]), e = i;

			if (len - i < sl ||
			    strncasecmp(text + i, starts[k], sl))
				continue;
			while (e < len && text[e] > ' ' &&
			       !strchr("\"'<>()", text[e]))
				e++;
			out[n++] = pool_strndup(t->pool, text + i, e - i);
			i = e;
			break;
		}
	}
	return n;
}

/* scan_spam_full - the raw message in memory (bounded by spam_max_size) */
static char *
scan_spam_full(struct txn *t)
{
	char *full = pool_alloc(t->pool, (size_t)t->size + 1);
	ssize_t n = pread(spool_fd(t->spool), full, (size_t)t->size, 0);

	return n == t->size ? full : NULL;
}

/* scan_spam_spamd - add spamd's score; keep ours when it cannot answer */
static void
scan_spam_spamd(struct txn *t, struct buf *hits)
{
	const struct conf *c = t->conf;
	struct spamd_result r = {0};
	char err[512];

	buf_init(&r.symbols, 256);
	if (spamd_check(c->spamd.address, c->spamd.timeout, spool_fd(t->spool),
			t->size, c->spamd.user[0] ? c->spamd.user : NULL, &r,
			err, sizeof(err)) < 0) {
		msg_warn("%s: spamd %s: %s; the built-in score stands", t->id,
			 c->spamd.address, err);
	} else {
		t->spam_score += r.score;
		buf_printf(hits, "%sSPAMD=%.3f", hits->len ? "," : "", r.score);
	}
	buf_release(&r.symbols);
}

/* scan_spam - score the message */
void
scan_spam(struct txn *t)
{
	const struct checks *ck = t->checks;
	const char *uris[SCAN_SPAM_MAX_URIS];
	struct rules_input in = {0};
	struct rules_result res = {0};
	struct buf hits;

	if (t->size > t->conf->spam_max_size || t->mime.text == NULL)
		return;
	in.headers = t->mime.headers;
	in.headers_len = t->mime.headers_len;
	in.body = t->mime.text;
	in.body_len = t->mime.text_len;
	in.rawbody = t->mime.text;
	in.rawbody_len = t->mime.text_len;
	/* The raw message in memory only when some rule reads it. */
	in.full = rules_need_full(ck->rules) ? scan_spam_full(t) : NULL;
	in.full_len = in.full ? (size_t)t->size : 0;
	in.uris = uris;
	in.n_uris = scan_spam_uris(t, t->mime.text, t->mime.text_len, uris,
				   SCAN_SPAM_MAX_URIS);
	rules_run(ck->rules, t->cctx->rules, &in, &res);
	/* A match PCRE2 gave up on counts as no hit (rules.h): the sender
	 * could have avoided the hit anyway; the admin is told. */
	if (res.n_errors)
		msg_warn("%s: %zu spam rule match(es) could not finish, "
			 "counted as no hit",
			 t->id, res.n_errors);
	buf_init(&hits, 256);
	t->spam_score = res.score;
	for (size_t i = 0; i < res.n_hits; i++)
		buf_printf(&hits, "%s%s=%g", i ? "," : "", res.hits[i].name,
			   res.hits[i].score);
	rules_result_release(&res);
	if (t->conf->spamd.address[0])
		scan_spam_spamd(t, &hits);
	t->spam_hits = pool_strndup(t->pool, hits.data, hits.len);
	t->spam_scanned = 1;
	buf_release(&hits);
}

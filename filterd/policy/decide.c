/*++
/* NAME
/*	decide 3
/* SUMMARY
/*	per-recipient destiny and header fields, amavis semantics
/*--*/

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decide.h"
#include "txn/txn.h"
#include "util/buf.h"

#define DECIDE_LEVEL_MAX 64 /* X-Spam-Level stars at most */

/* decide_local - is the recipient's domain one of local_domains? */
int
decide_local(const struct conf *c, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *dom = at ? at + 1 : "";

	if (c->local_domains.n == 0)
		return 1;
	for (size_t i = 0; i < c->local_domains.n; i++) {
		const char *d = c->local_domains.v[i];
		size_t dl = strlen(d), al = strlen(dom);

		if (d[0] == '.') {
			/* ".example.com": the domain and its subdomains */
			if (strcasecmp(dom, d + 1) == 0 ||
			    (al > dl && strcasecmp(dom + al - dl, d) == 0))
				return 1;
		} else if (strcasecmp(dom, d) == 0) {
			return 1;
		}
	}
	return 0;
}

/* decide_spam_headers - the X-Spam-* fields of a local copy */
static struct txn_header *
decide_spam_headers(struct txn *t)
{
	const struct conf_bank_values *v = &t->bank.v;
	struct txn_header *list = NULL, **tail = &list;
	int spammy = t->spam_score >= v->spam_tag2_level;
	char level[DECIDE_LEVEL_MAX + 1];
	int stars = (int)t->spam_score;
	struct buf tests;
	const char *fields[4][2];

	if (stars > DECIDE_LEVEL_MAX)
		stars = DECIDE_LEVEL_MAX;
	if (stars < 0)
		stars = 0;
	memset(level, '*', (size_t)stars);
	level[stars] = 0;
	buf_init(&tests, 128);
	/* "A=1,B=2" as amavis writes it: "A=1, B=2", folded. */
	for (const char *p = t->spam_hits ? t->spam_hits : ""; *p; p++)
		if (*p == ',')
			buf_puts(&tests, ",\r\n ");
		else
			buf_append(&tests, p, 1);
	fields[0][0] = "X-Spam-Flag";
	fields[0][1] = spammy ? "YES" : "NO";
	fields[1][0] = "X-Spam-Score";
	fields[1][1] = pool_printf(t->pool, "%.3f", t->spam_score);
	fields[2][0] = "X-Spam-Level";
	fields[2][1] = pool_strdup(t->pool, level);
	fields[3][0] = "X-Spam-Status";
	fields[3][1] = pool_printf(
		t->pool,
		"%s, score=%.3f tagged_above=%g required=%g\r\n tests=[%s]",
		spammy ? "Yes" : "No", t->spam_score, v->spam_tag_level,
		v->spam_tag2_level, tests.data);
	buf_release(&tests);
	for (size_t i = 0; i < 4; i++) {
		struct txn_header *h = pool_alloc(t->pool, sizeof(*h));

		h->line = pool_printf(t->pool, "%s: %s", fields[i][0],
				      fields[i][1]);
		*tail = h;
		tail = &h->next;
	}
	return list;
}

/* decide_destiny - the bank's destiny for the category, and why */
static int
decide_destiny(struct txn *t, const char **what)
{
	const struct conf_bank_values *v = &t->bank.v;

	switch (t->ccat) {
	case TXN_CCAT_VIRUS:
		*what = pool_printf(t->pool, "VIRUS: %s", t->virus);
		return v->final_virus_destiny;
	case TXN_CCAT_BANNED:
		*what = pool_printf(t->pool, "BANNED: %s", t->banned);
		return v->final_banned_destiny;
	case TXN_CCAT_UNCHECKED:
		*what = pool_printf(t->pool, "UNCHECKED: %s", t->unchecked);
		return v->final_unchecked_destiny;
	case TXN_CCAT_SPAM:
		*what = pool_printf(t->pool, "SPAM, score=%.3f", t->spam_score);
		return v->final_spam_destiny;
	default:
		*what = NULL;
		return CONF_D_PASS;
	}
}

/* decide_run - every recipient's destiny and header fields */
int
decide_run(struct txn *t)
{
	const struct conf_bank_values *v = &t->bank.v;
	struct txn_header *spam_headers = NULL;
	const char *what, *tag = NULL;
	int destiny = decide_destiny(t, &what);

	if (destiny == CONF_D_TEMPFAIL) {
		txn_set_error(t, TXN_ERR_SCAN, "%s", what);
		return -1;
	}
	if (t->spam_scanned && t->spam_score >= v->spam_tag_level)
		spam_headers = decide_spam_headers(t);
	if (t->spam_scanned && t->spam_score >= v->spam_tag2_level &&
	    v->spam_subject_tag[0])
		tag = v->spam_subject_tag;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;

		rc->local = decide_local(t->conf, rc->addr);
		switch (destiny) {
		case CONF_D_PASS:
			rc->destiny = TXN_D_PASS;
			rc->headers = rc->local ? spam_headers : NULL;
			rc->subject_tag = rc->local ? tag : NULL;
			break;
		case CONF_D_DISCARD:
			rc->destiny = TXN_D_DISCARD;
			txn_set_reply(&rc->reply, t->pool, 250, "2.7.0",
				      pool_printf(t->pool,
						  "Ok, discarded, id=%s - %s",
						  t->id, what));
			break;
		case CONF_D_BOUNCE:
			rc->destiny = TXN_D_BOUNCE;
			txn_set_reply(&rc->reply, t->pool, 554, "5.7.0",
				      pool_printf(t->pool, "Bounce, id=%s - %s",
						  t->id, what));
			break;
		default:
			rc->destiny = TXN_D_REJECT;
			txn_set_reply(&rc->reply, t->pool, 554, "5.7.0",
				      pool_printf(t->pool, "Reject, id=%s - %s",
						  t->id, what));
			break;
		}
	}
	return 0;
}

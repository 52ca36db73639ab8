/*++
/* NAME
/*	decide 3
/* SUMMARY
/*	per-recipient destiny and header fields, amavis semantics
/*--*/

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decide.h"
#include "lookup.h"
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

/* A recipient's spam levels: the bank's, unless its SQL policy says. */
struct decide_levels {
	double tag, tag2, kill, dsn_cutoff;
	const char *subject_tag;
};

/* decide_levels - the bank's levels with the recipient's overrides */
static void
decide_levels(const struct txn *t, const struct txn_rcpt *rc,
	      struct decide_levels *lv)
{
	const struct conf_bank_values *v = &t->bank.v;
	const struct lookup_policy *p = rc->pol;

	lv->tag = p && !isnan(p->tag) ? p->tag : v->spam_tag_level;
	lv->tag2 = p && !isnan(p->tag2) ? p->tag2 : v->spam_tag2_level;
	lv->kill = p && !isnan(p->kill) ? p->kill : v->spam_kill_level;
	lv->dsn_cutoff = p && !isnan(p->dsn_cutoff) ? p->dsn_cutoff
						    : v->spam_dsn_cutoff_level;
	lv->subject_tag = p && p->subject_tag ? p->subject_tag
					      : v->spam_subject_tag;
}

/* decide_flag - a bank flag, unless the recipient's policy sets it */
static int
decide_flag(int bank, int pol)
{
	return pol >= 0 ? pol : bank;
}

/* decide_bypasses - does recipient rc bypass the check (its SQL, the bank)? */
int
decide_bypasses(const struct txn *t, const struct txn_rcpt *rc,
		enum decide_check check)
{
	const struct conf_bank_values *v = &t->bank.v;
	const struct lookup_policy *p = rc->pol;

	switch (check) {
	case DECIDE_CHECK_VIRUS:
		return decide_flag(v->bypass_virus_checks,
				   p ? p->bypass_virus : -1);
	case DECIDE_CHECK_BANNED:
		return decide_flag(v->bypass_banned_checks,
				   p ? p->bypass_banned : -1);
	default:
		return decide_flag(v->bypass_spam_checks,
				   p ? p->bypass_spam : -1);
	}
}

/*
 * decide_wanted - does some recipient not bypass the check (amavisd-new:
 * a check runs when any recipient wants it)? The bank's flag when there
 * are no recipients
 */
int
decide_wanted(const struct txn *t, enum decide_check check)
{
	struct txn_rcpt none = {0};

	if (t->n_rcpts == 0)
		return !decide_bypasses(t, &none, check);
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (!decide_bypasses(t, t->rcpts + i, check))
			return 1;
	return 0;
}

/* What a recipient's findings are, under its own settings. */
struct decide_found {
	int in[TXN_CCAT_VIRUS + 1]; /* by category: the findings make it */
};

/*
 * decide_found - the categories one recipient's findings fall in, and
 * its spam score: the checks' findings under its settings when SQL
 * gives it some (bypassed checks ignored, its levels, its white and
 * black lists), else under the bank's. A message can be several things
 * at once (spam that also holds what could not be checked): each counts.
 */
static void
decide_found(const struct txn *t, struct txn_rcpt *rc,
	     const struct decide_levels *lv, struct decide_found *f)
{
	const struct lookup_policy *p = rc->pol;
	int spam_checked;

	memset(f, 0, sizeof(*f));
	rc->score = t->spam_score + (p ? p->wb_score : 0) + rc->penpal;
	/* amavis: a whitelisted sender gets -10 and never reaches tag2
	 * or kill; a blacklisted one counts as kill. */
	if (p && p->whitelisted)
		rc->score -= 10;
	f->in[TXN_CCAT_VIRUS] = t->virus &&
				!decide_bypasses(t, rc, DECIDE_CHECK_VIRUS);
	f->in[TXN_CCAT_BANNED] = t->banned &&
				 !decide_bypasses(t, rc, DECIDE_CHECK_BANNED);
	f->in[TXN_CCAT_UNCHECKED] = t->unchecked != NULL;
	spam_checked = t->spam_scanned &&
		       !decide_bypasses(t, rc, DECIDE_CHECK_SPAM) &&
		       !(p && p->whitelisted);
	f->in[TXN_CCAT_SPAM] = spam_checked &&
			       ((p && p->blacklisted) || rc->score >= lv->kill);
	f->in[TXN_CCAT_SPAMMY] = spam_checked && (rc->score >= lv->tag2 ||
						  (p && p->blacklisted));
	f->in[TXN_CCAT_CLEAN] = 1;
}

/* decide_spammy - at tag2 or blacklisted, unless whitelisted */
static int
decide_spammy(const struct txn_rcpt *rc, const struct decide_levels *lv)
{
	const struct lookup_policy *p = rc->pol;

	return (rc->score >= lv->tag2 || (p && p->blacklisted)) &&
	       !(p && p->whitelisted);
}

/* decide_spam_headers - the X-Spam-* fields of a local copy */
static struct txn_header *
decide_spam_headers(struct txn *t, double score, int spammy,
		    const struct decide_levels *lv, double penpal)
{
	struct txn_header *list = NULL, **tail = &list;
	char level[DECIDE_LEVEL_MAX + 1];
	int stars = (int)score;
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
	if (penpal != 0)
		buf_printf(&tests, "%sAM.PENPAL=%.3f",
			   tests.len ? ",\r\n " : "", penpal);
	fields[0][0] = "X-Spam-Flag";
	fields[0][1] = spammy ? "YES" : "NO";
	fields[1][0] = "X-Spam-Score";
	fields[1][1] = pool_printf(t->pool, "%.3f", score);
	fields[2][0] = "X-Spam-Level";
	fields[2][1] = pool_strdup(t->pool, level);
	fields[3][0] = "X-Spam-Status";
	fields[3][1] = pool_printf(
		t->pool,
		"%s, score=%.3f tagged_above=%g required=%g\r\n tests=[%s]",
		spammy ? "Yes" : "No", score, lv->tag, lv->tag2, tests.data);
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

/* decide_destiny - the bank's destiny for a category, and why */
static int
decide_destiny(struct txn *t, enum txn_ccat ccat, const struct lookup_policy *p,
	       double score, const char **what)
{
	const struct conf_bank_values *v = &t->bank.v;

	switch (ccat) {
	case TXN_CCAT_VIRUS:
		*what = pool_printf(t->pool, "VIRUS: %s", t->virus);
		return p && p->virus_lover == 1 ? CONF_D_PASS
						: v->final_virus_destiny;
	case TXN_CCAT_BANNED:
		*what = pool_printf(t->pool, "BANNED: %s", t->banned);
		return p && p->banned_lover == 1 ? CONF_D_PASS
						 : v->final_banned_destiny;
	case TXN_CCAT_UNCHECKED:
		*what = pool_printf(t->pool, "UNCHECKED: %s", t->unchecked);
		return p && p->unchecked_lover == 1
			       ? CONF_D_PASS
			       : v->final_unchecked_destiny;
	case TXN_CCAT_SPAM:
		*what = pool_printf(t->pool, "SPAM, score=%.3f", score);
		return p && p->spam_lover == 1 ? CONF_D_PASS
					       : v->final_spam_destiny;
	default:
		*what = NULL;
		return CONF_D_PASS;
	}
}

/* Header lists made so far: recipients with the same fields share one. */
struct decide_made {
	double score, tag, tag2, penpal;
	int spammy;
	const struct txn_header *list;
};

/* decide_headers - a recipient's spam fields, shared when the same */
static const struct txn_header *
decide_headers(struct txn *t, const struct txn_rcpt *rc,
	       const struct decide_levels *lv, struct decide_made *made,
	       size_t *n_made)
{
	int spammy = decide_spammy(rc, lv);

	if (!t->spam_scanned || !rc->local || rc->score < lv->tag ||
	    decide_bypasses(t, rc, DECIDE_CHECK_SPAM))
		return NULL;
	for (size_t i = 0; i < *n_made; i++)
		if (made[i].score == rc->score && made[i].tag == lv->tag &&
		    made[i].tag2 == lv->tag2 && made[i].penpal == rc->penpal &&
		    made[i].spammy == spammy)
			return made[i].list;
	made[*n_made].spammy = spammy;
	made[*n_made].score = rc->score;
	made[*n_made].penpal = rc->penpal;
	made[*n_made].tag = lv->tag;
	made[*n_made].tag2 = lv->tag2;
	made[*n_made].list = decide_spam_headers(t, rc->score, spammy, lv,
						 rc->penpal);
	return made[(*n_made)++].list;
}

/*
 * decide_blocking - the destiny of a recipient and the category it is
 * for: the highest category it falls in whose destiny does not pass it
 * (amavisd-new's blocking category), so that what one check could not
 * see never overrules what another did find; else pass, for its highest
 * category.
 */
static int
decide_blocking(struct txn *t, struct txn_rcpt *rc,
		const struct decide_found *f, const char **what)
{
	static const enum txn_ccat order[] = {
		TXN_CCAT_VIRUS, TXN_CCAT_BANNED, TXN_CCAT_UNCHECKED,
		TXN_CCAT_SPAM,	TXN_CCAT_SPAMMY, TXN_CCAT_CLEAN,
	};
	int first = -1;

	*what = NULL;
	for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
		const char *why;
		int d;

		if (!f->in[order[i]])
			continue;
		if (first < 0)
			first = (int)order[i];
		d = decide_destiny(t, order[i], rc->pol, rc->score, &why);
		if (d != CONF_D_PASS) {
			rc->ccat = order[i];
			*what = why;
			return d;
		}
	}
	rc->ccat = (enum txn_ccat)first;
	return CONF_D_PASS;
}

/* decide_run - every recipient's category, destiny and header fields */
int
decide_run(struct txn *t)
{
	struct decide_made *made = pool_alloc(t->pool,
					      (t->n_rcpts + 1) * sizeof(*made));
	size_t n_made = 0;
	enum txn_ccat worst = TXN_CCAT_CLEAN;

	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;
		struct decide_levels lv;
		struct decide_found f;
		const char *what;
		int destiny;

		rc->local = decide_local(t->conf, rc->addr);
		decide_levels(t, rc, &lv);
		decide_found(t, rc, &lv, &f);
		rc->dsn_cutoff = lv.dsn_cutoff;
		destiny = decide_blocking(t, rc, &f, &what);
		if (rc->ccat > worst)
			worst = rc->ccat;
		switch (destiny) {
		case CONF_D_TEMPFAIL:
			/* Unchecked mail is never passed as checked. */
			t->ccat = rc->ccat;
			txn_set_error(t, TXN_ERR_SCAN, "%s", what);
			return -1;
		case CONF_D_PASS:
			rcpt_policy(t, rc, RCPT_PENDING, NULL);
			rc->headers = decide_headers(t, rc, &lv, made, &n_made);
			rc->subject_tag = rc->local && lv.subject_tag[0] &&
							  f.in[TXN_CCAT_SPAMMY]
						  ? lv.subject_tag
						  : NULL;
			break;
		case CONF_D_DISCARD:
			rcpt_policy(t, rc, RCPT_DISCARDED, what);
			break;
		case CONF_D_BOUNCE:
			rcpt_policy(t, rc, RCPT_BOUNCING, what);
			break;
		default:
			rcpt_policy(t, rc, RCPT_REJECTED, what);
			break;
		}
	}
	/* The message's category is the worst of its recipients'. */
	if (t->n_rcpts)
		t->ccat = worst;
	return 0;
}

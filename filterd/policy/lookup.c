/*++
/* NAME
/*	lookup 3
/* SUMMARY
/*	per-recipient policy and white/black lists from SQL (amavis tables)
/*--*/

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "db/db.h"
#include "decide.h"
#include "lookup.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"

/* The policy columns we use, in select order after users.id. */
static const char *const lookup_columns[] = {
	"virus_lover",		 "spam_lover",
	"unchecked_lover",	 "banned_files_lover",
	"bypass_virus_checks",	 "bypass_spam_checks",
	"bypass_banned_checks",	 "spam_tag_level",
	"spam_tag2_level",	 "spam_kill_level",
	"spam_dsn_cutoff_level", "spam_subject_tag2"};

#define LOOKUP_N_COLUMNS (sizeof(lookup_columns) / sizeof(*lookup_columns))

/* lookup_keys - amavis' keys of an address, most specific first */
size_t
lookup_keys(struct pool *pool, const char *addr, const char **keys)
{
	char *lower = pool_strdup(pool, addr);
	char *at = strrchr(lower, '@');
	const char *dom;
	size_t n = 0;

	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (at == NULL) {
		keys[n++] = lower;
		keys[n++] = "@.";
		return n;
	}
	keys[n++] = lower;
	/* user+ext@dom also as user@dom */
	{
		char *plus = memchr(lower, '+', (size_t)(at - lower));

		if (plus)
			keys[n++] = pool_printf(pool, "%.*s%s",
						(int)(plus - lower), lower, at);
	}
	dom = at + 1;
	keys[n++] = pool_printf(pool, "@%s", dom);
	for (const char *d = dom; d && *d && n < LOOKUP_KEYS_MAX - 1;) {
		keys[n++] = pool_printf(pool, "@.%s", d);
		d = strchr(d, '.');
		if (d)
			d++;
	}
	keys[n++] = "@.";
	return n;
}

/* lookup_in - "?, ?, ..." for n keys */
static void
lookup_in(struct buf *sql, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_puts(sql, i ? ", ?" : "?");
}

/* The first non-NULL value of each column, over rows by priority. */
struct lookup_rows {
	struct pool *pool;
	struct lookup_policy *pol;
	int found;
	int seen[LOOKUP_N_COLUMNS];
};

/* lookup_flag - "Y" 1, "N" 0 */
static int
lookup_flag(const char *v)
{
	return v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
}

/* lookup_policy_row - one users+policy row */
static int
lookup_policy_row(void *ctx, const char *const *v, size_t n)
{
	struct lookup_rows *r = ctx;
	struct lookup_policy *p = r->pol;
	int *ints[] = {&p->virus_lover,	 &p->spam_lover,   &p->unchecked_lover,
		       &p->banned_lover, &p->bypass_virus, &p->bypass_spam,
		       &p->bypass_banned};
	double *dbls[] = {&p->tag, &p->tag2, &p->kill, &p->dsn_cutoff};

	if (!r->found && v[0])
		p->user_id = atoll(v[0]);
	r->found = 1;
	for (size_t i = 0; i < LOOKUP_N_COLUMNS && i + 1 < n; i++) {
		const char *val = v[i + 1];

		if (val == NULL || r->seen[i])
			continue;
		r->seen[i] = 1;
		if (i < 7)
			*ints[i] = lookup_flag(val);
		else if (i < 11)
			*dbls[i - 7] = strtod(val, NULL);
		else
			p->subject_tag = pool_strdup(r->pool, val);
	}
	return 0;
}

/* The first decisive wblist entry. */
struct lookup_wb {
	struct lookup_policy *pol;
	int decided;
};

static int
lookup_wb_row(void *ctx, const char *const *v, size_t n)
{
	struct lookup_wb *w = ctx;
	const char *wb = n > 0 && v[0] ? v[0] : " ";
	char *end;
	double score = strtod(wb, &end);

	w->decided = 1;
	if (strchr("WYTwyt", wb[0]) && wb[0])
		w->pol->whitelisted = 1;
	else if (strchr("BNFbnf", wb[0]) && wb[0])
		w->pol->blacklisted = 1;
	else if (end != wb)
		w->pol->wb_score += score;
	/* A space is neutral: it too ends the search. */
	return 1;
}

/* lookup_from_address - the address inside a From header value */
static const char *
lookup_from_address(struct txn *t)
{
	const char *lt, *gt;

	if (t->from == NULL)
		return NULL;
	if ((lt = strrchr(t->from, '<')) && (gt = strchr(lt, '>')))
		return pool_strndup(t->pool, lt + 1, (size_t)(gt - lt - 1));
	return strchr(t->from, '@') ? t->from : NULL;
}

/* lookup_one - one recipient's policy and wblist entry */
static unsigned
lookup_one(struct txn *t, MYSQL *c, const char *addr, struct lookup_policy *pol,
	   char *err, size_t errsize)
{
	const char *keys[LOOKUP_KEYS_MAX];
	struct db_param params[LOOKUP_KEYS_MAX + 1];
	struct lookup_rows rows = {t->pool, pol, 0, {0}};
	size_t n = lookup_keys(t->pool, addr, keys);
	struct buf sql;
	unsigned rc;

	buf_init(&sql, 512);
	buf_puts(&sql, "SELECT users.id");
	for (size_t i = 0; i < LOOKUP_N_COLUMNS; i++)
		buf_printf(&sql, ", policy.%s", lookup_columns[i]);
	buf_puts(&sql, " FROM users LEFT JOIN policy ON users.policy_id = "
		       "policy.id WHERE users.email IN (");
	lookup_in(&sql, n);
	buf_puts(&sql, ") ORDER BY users.priority DESC");
	for (size_t i = 0; i < n; i++)
		params[i] = (struct db_param){DB_STR, keys[i], 0, 0, 0};
	rc = db_select(c, sql.data, params, n, lookup_policy_row, &rows, err,
		       errsize);
	buf_release(&sql);
	if (rc || !rows.found || pol->user_id == 0)
		return rc;
	/* The sender, then the From address, against this user's list. */
	const char *senders[2] = {t->sender, lookup_from_address(t)};

	for (size_t s = 0; s < 2 && rc == 0; s++) {
		struct lookup_wb w = {pol, 0};

		if (senders[s] == NULL || senders[s][0] == 0)
			continue;
		n = lookup_keys(t->pool, senders[s], keys);
		buf_init(&sql, 256);
		buf_puts(&sql, "SELECT wb FROM wblist JOIN mailaddr ON "
			       "wblist.sid = mailaddr.id WHERE wblist.rid = ? "
			       "AND mailaddr.email IN (");
		lookup_in(&sql, n);
		buf_puts(&sql, ") ORDER BY mailaddr.priority DESC");
		params[0] = (struct db_param){DB_INT, NULL, 0, pol->user_id, 0};
		for (size_t i = 0; i < n; i++)
			params[i + 1] = (struct db_param){DB_STR, keys[i], 0, 0,
							  0};
		rc = db_select(c, sql.data, params, n + 1, lookup_wb_row, &w,
			       err, errsize);
		buf_release(&sql);
		if (w.decided)
			break;
	}
	return rc;
}

/* lookup_unset - a policy with nothing set */
static void
lookup_unset(struct lookup_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->virus_lover = p->spam_lover = p->unchecked_lover = -1;
	p->banned_lover = p->bypass_virus = p->bypass_spam = -1;
	p->bypass_banned = -1;
	p->tag = p->tag2 = p->kill = p->dsn_cutoff = NAN;
}

/* lookup_run - the LOOKUP stage */
int
lookup_run(struct txn *t)
{
	char err[512];

	if (t->lookup == NULL)
		return 0;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;
		unsigned e = 1;

		/* The same recipient twice: one lookup per message. */
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(t->rcpts[k].addr, rc->addr) == 0) {
				rc->pol = t->rcpts[k].pol;
				e = 0;
			}
		if (e == 0)
			continue;
		struct lookup_policy *pol = pool_alloc(t->pool, sizeof(*pol));

		rc->pol = pol;
		for (int attempt = 0; attempt < 3 && e; attempt++) {
			MYSQL *c = db_connection(t->lookup, err, sizeof(err));

			if (c == NULL)
				break;
			lookup_unset(pol);
			e = lookup_one(t, c, rc->addr, pol, err, sizeof(err));
			if (e == 0)
				(void)mysql_commit(c); /* end the snapshot */
			else if (db_is_connection_error(e))
				db_failed(t->lookup, err);
			else
				break;
		}
		if (e) {
			txn_set_error(t, TXN_ERR_RECORD,
				      "cannot read the policy of <%s>: %s",
				      rc->addr, err);
			return -1;
		}
	}
	return 0;
}

/* The newest matching mail, for lookup_penpals. */
static int
lookup_penpal_row(void *ctx, const char *const *v, size_t n)
{
	long long *when = ctx;

	if (n > 0 && v[0])
		*when = atoll(v[0]);
	return 1;
}

/* lookup_penpals - the pen pal bonus of each local recipient */
void
lookup_penpals(struct txn *t)
{
	double bonus = t->bank.v.penpals_bonus_score;
	double halflife = t->conf->sql.penpals_halflife * 86400.0;
	struct db_param params[3 + TXN_REFS_MAX];
	char err[512];
	struct buf sql;
	MYSQL *c;

	if (bonus <= 0 || t->storage == NULL || t->n_refs == 0 || t->virus ||
	    !t->spam_scanned || t->spam_score < 1.0 || t->sender[0] == 0)
		return;
	if ((c = db_connection(t->storage, err, sizeof(err))) == NULL) {
		msg_warn("%s: pen pals not looked up: %s", t->id, err);
		return;
	}
	buf_init(&sql, 512);
	buf_puts(&sql, "SELECT msgs.time_num FROM msgs JOIN msgrcpt ON "
		       "msgrcpt.partition_tag = msgs.partition_tag AND "
		       "msgrcpt.mail_id = msgs.mail_id JOIN maddr s ON "
		       "s.partition_tag = msgs.partition_tag AND s.id = "
		       "msgs.sid JOIN maddr r ON r.partition_tag = "
		       "msgrcpt.partition_tag AND r.id = msgrcpt.rid WHERE "
		       "s.email = ? AND r.email = ? AND msgs.content != 'V' "
		       "AND msgrcpt.ds = 'P' AND msgs.message_id IN (");
	lookup_in(&sql, t->n_refs);
	buf_puts(&sql, ") ORDER BY msgs.time_num DESC LIMIT 1");
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;
		long long when = 0;
		unsigned e;

		if (!decide_local(t->conf, rc->addr) ||
		    strcasecmp(rc->addr, t->sender) == 0)
			continue;
		params[0] = (struct db_param){DB_STR, rc->addr, 0, 0, 0};
		params[1] = (struct db_param){DB_STR, t->sender, 0, 0, 0};
		for (size_t k = 0; k < t->n_refs; k++)
			params[2 + k] = (struct db_param){DB_TEXT, t->refs[k],
							  0, 0, 0};
		e = db_select(c, sql.data, params, 2 + t->n_refs,
			      lookup_penpal_row, &when, err, sizeof(err));
		(void)mysql_commit(c);
		if (e) {
			msg_warn("%s: pen pals not looked up: %s", t->id, err);
			if (db_is_connection_error(e))
				db_failed(t->storage, err);
			break;
		}
		if (when > 0) {
			double age = (double)(t->arrival - when);

			rc->penpal = -bonus *
				     pow(2.0, -(age > 0 ? age : 0) / halflife);
			msg_info("%s: <%s> replies to mail from <%s>: pen pal "
				 "bonus %.3f",
				 t->id, t->sender, rc->addr, rc->penpal);
		}
	}
	buf_release(&sql);
}

/*++
/* NAME
/*	txn 3
/* SUMMARY
/*	one message and the stage driver
/* DESCRIPTION
/*	See txn.h. The stage table below is the pipeline: one function per
/*	stage, in data-flow order.
/*--*/

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/week.h"
#include "mailid.h"
#include "mime/header_summary.h"
#include "policy/decide.h"
#include "policy/lookup.h"
#include "quarantine/quar.h"
#include "reinject/dsn.h"
#include "reinject/reinject.h"
#include "scan/checks.h"
#include "scan/scan_run.h"
#include "spool/spool.h"
#include "txn.h"
#include "txn_log.h"
#include "txn_stats.h"
#include "util/msg.h"
#include "util/xalloc.h"

/* txn_create - a fresh message context with its own pool and mail_id */
struct txn *
txn_create(const struct conf *conf, const char *peer_addr, int peer_port)
{
	struct pool *pool = pool_create(8192);
	struct txn *t = pool_alloc(pool, sizeof(*t));

	t->pool = pool;
	t->conf = conf;
	if (mailid_generate(t->id, t->secret_id) < 0)
		msg_fatal("cannot read random bytes for a mail_id: %m");
	t->peer_addr = pool_strdup(pool, peer_addr);
	t->peer_port = peer_port;
	t->client.addr = t->peer_addr;
	t->client.port = peer_port;
	t->sender = "";
	t->add_tail = &t->add_headers;
	t->arrival = time(NULL);
	t->partition_tag = db_iso_week(t->arrival);
	t->quar_type = ' ';
	clock_gettime(CLOCK_MONOTONIC, &t->t_start);
	return t;
}

/* txn_free - release the message, its spool file and all its memory */
void
txn_free(struct txn **tp)
{
	struct txn *t = *tp;
	struct pool *pool;

	if (t == NULL)
		return;
	mime_free(&t->mime);
	spool_remove(&t->spool);
	pool = t->pool;
	pool_destroy(&pool);
	*tp = NULL;
}

/* txn_add_rcpt - append a recipient (the caller enforces limits) */
void
txn_add_rcpt(struct txn *t, const char *addr, const char *params)
{
	struct txn_rcpt *r;

	if (t->n_rcpts == t->rcpt_cap) {
		size_t cap = t->rcpt_cap ? t->rcpt_cap * 2 : 8;
		struct txn_rcpt *v = pool_alloc(t->pool, cap * sizeof(*v));

		if (t->n_rcpts)
			memcpy(v, t->rcpts, t->n_rcpts * sizeof(*v));
		t->rcpts = v;
		t->rcpt_cap = cap;
	}
	r = t->rcpts + t->n_rcpts++;
	memset(r, 0, sizeof(*r));
	r->addr = pool_strdup(t->pool, addr);
	r->params = params && *params ? pool_strdup(t->pool, params) : NULL;
	r->state = RCPT_PENDING;
}

/* txn_add_header - a header field to prepend on forwarding */
void
txn_add_header(struct txn *t, const char *name, const char *value)
{
	struct txn_header *h = pool_alloc(t->pool, sizeof(*h));

	h->line = pool_printf(t->pool, "%s: %s", name, value);
	*t->add_tail = h;
	t->add_tail = &h->next;
}

/* txn_set_error - record why the message cannot be passed */
void
txn_set_error(struct txn *t, enum txn_error err, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (t->error == TXN_OK) {
		t->error = err;
		t->error_text = pool_strdup(t->pool, text);
	}
}

/* txn_temp_file - an unlinked temporary file in tmp_dir for this message */
int
txn_temp_file(const struct txn *t, const char *tag)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.%sXXXXXX", t->conf->tmp_dir, t->id,
		 tag);
	if ((fd = mkstemp(path)) >= 0)
		(void)unlink(path);
	return fd;
}

/* txn_ms - milliseconds between two instants (0 if either is unset) */
long
txn_ms(const struct timespec *from, const struct timespec *to)
{
	if (from->tv_sec == 0 || to->tv_sec == 0)
		return 0;
	return (to->tv_sec - from->tv_sec) * 1000 +
	       (to->tv_nsec - from->tv_nsec) / 1000000;
}

/* txn_ccat_name - the amavis name of a content category */
const char *
txn_ccat_name(enum txn_ccat c)
{
	static const char *const names[] = {"CLEAN",	 "SPAMMY", "SPAM",
					    "UNCHECKED", "BANNED", "INFECTED"};

	return names[c];
}

/*
 * txn_quarantined - was a copy of the message kept in quarantine?
 * A local file gets its quar_type (F, or Z gzipped) only once it is
 * written and fsynced; an SQL quarantine is 'Q' from the first attempt
 * and written only when its transaction was committed (recorded).
 */
int
txn_quarantined(const struct txn *t)
{
	switch (t->quar_type) {
	case 'F':
	case 'Z':
		return 1;
	case 'Q':
		return t->recorded;
	default:
		return 0;
	}
}

/* txn_stage_forward - hand the message to the next hops (reinject) */
static int
txn_stage_forward(struct txn *t, struct reinject *rj)
{
	return reinject_run(rj, t);
}

/*
 * txn_stage_parse - the header summary; the MIME tree if a check may
 * need it. PARSE runs before LOOKUP: a recipient's SQL policy may want
 * a check the bank bypasses, so with sql.lookup the tree is built.
 */
static int
txn_stage_parse(struct txn *t, struct reinject *rj)
{
	(void)rj;
	int wanted;

	if (header_summary_read(t) < 0)
		return -1;
	if (t->checks == NULL)
		return 0;
	/* No recipient has its SQL policy yet: these are the bank's. */
	wanted = decide_wanted(t, DECIDE_CHECK_BANNED) ||
		 decide_wanted(t, DECIDE_CHECK_SPAM) ||
		 (t->checks->clamav && decide_wanted(t, DECIDE_CHECK_VIRUS));
	/* The MIME tree serves every check and the records. */
	if (!wanted && t->lookup == NULL && t->storage == NULL)
		return 0;
	return mime_parse(t);
}

/* txn_stage_lookup - the recipients' SQL settings */
static int
txn_stage_lookup(struct txn *t, struct reinject *rj)
{
	(void)rj;
	return lookup_run(t);
}

/* txn_stage_scan - the content checks */
static int
txn_stage_scan(struct txn *t, struct reinject *rj)
{
	(void)rj;
	return scan_run(t);
}

/* txn_stage_decide - each recipient's destiny, pen pals counted */
static int
txn_stage_decide(struct txn *t, struct reinject *rj)
{
	(void)rj;
	lookup_penpals(t);
	return decide_run(t);
}

/* txn_stage_record - the SQL records and the quarantine copy */
static int
txn_stage_record(struct txn *t, struct reinject *rj)
{
	(void)rj;
	return quar_record(t);
}

/* txn_stage_notify - tell the sender about bounced recipients (DSN) */
static int
txn_stage_notify(struct txn *t, struct reinject *rj)
{
	return dsn_run(rj, t);
}

/* The pipeline after spooling, in data-flow order. */
static const struct {
	enum txn_stage stage;
	enum sb_state state; /* what the scoreboard shows meanwhile */
	int (*run)(struct txn *, struct reinject *);
} txn_stages[] = {
	{TXN_STAGE_PARSE, SB_PARSING, txn_stage_parse},
	{TXN_STAGE_LOOKUP, SB_SQL, txn_stage_lookup},
	{TXN_STAGE_SCAN, SB_VIRUS, txn_stage_scan},
	{TXN_STAGE_DECIDE, SB_SPAM, txn_stage_decide},
	{TXN_STAGE_RECORD, SB_SQL, txn_stage_record},
	{TXN_STAGE_FORWARD, SB_FORWARDING, txn_stage_forward},
	{TXN_STAGE_NOTIFY, SB_FORWARDING, txn_stage_notify},
};

/* txn_run - carry a spooled message through the requested stages */
int
txn_run(struct txn *t, unsigned stages, struct reinject *rj)
{
	int rc = 0;

	if (t->error)
		rc = -1;
	for (size_t i = 0;
	     rc == 0 && i < sizeof(txn_stages) / sizeof(*txn_stages); i++) {
		if (!(stages & TXN_STAGE_BIT(txn_stages[i].stage)))
			continue;
		sb_slot_state(t->slot, txn_stages[i].state);
		rc = txn_stages[i].run(t, rj);
		if (rc < 0 && t->error == TXN_OK)
			msg_panic("%s: stage %d failed without an error", t->id,
				  (int)txn_stages[i].stage);
	}
	/* The outcome is logged and counted whatever happened. */
	if (stages & TXN_STAGE_BIT(TXN_STAGE_LOG)) {
		if (t->recorded)
			quar_outcome(t);
		txn_log(t);
		txn_stats_account(t);
	}
	return rc;
}

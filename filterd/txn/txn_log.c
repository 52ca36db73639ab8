/*++
/* NAME
/*	txn_log 3
/* SUMMARY
/*	the one summary line per message
/*--*/

#include <string.h>
#include <time.h>

#include "txn.h"
#include "txn_log.h"
#include "util/buf.h"
#include "util/msg.h"

/* txn_log_word - one action word in the {...} list */
static void
txn_log_word(struct buf *out, int cond, const char *word, const char *dir)
{
	if (cond)
		buf_printf(out, "%s%s%s",
			   out->data[out->len - 1] == '{' ? "" : ",", word,
			   dir);
}

/* txn_log_actions - the {...} words: what happened to the recipients */
static void
txn_log_actions(const struct txn *t, struct buf *out, int *passed)
{
	const char *dir = t->bank.v.originating ? "Outbound" : "Inbound";
	int relayed = 0, rejected = 0, tempfailed = 0, bounced = 0;
	int nobounce = 0, discarded = 0;

	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (rcpt_class(t, rc) == 4)
			tempfailed = 1;
		else if (t->error)
			rejected = 1; /* too big: the front MTA is told 5xx */
		else if (rc->state == RCPT_BOUNCED)
			bounced = 1;
		else if (rc->state == RCPT_NOBOUNCE)
			nobounce = 1;
		else if (rc->state == RCPT_DISCARDED)
			discarded = 1;
		else if (rc->state == RCPT_REJECTED)
			rejected = 1;
		else
			relayed = 1;
	}
	*passed = relayed && !t->error;
	buf_puts(out, "{");
	txn_log_word(out, *passed, "Relayed", dir);
	txn_log_word(out, discarded, "Discarded", dir);
	txn_log_word(out, rejected, "Rejected", dir);
	txn_log_word(out, bounced, "Bounced", dir);
	txn_log_word(out, nobounce, "NoBounce", dir);
	txn_log_word(out, tempfailed || t->n_rcpts == 0, "TempFailed", dir);
	buf_puts(out, "}");
}

/* txn_log_format - the summary line */
void
txn_log_format(const struct txn *t, struct buf *out)
{
	struct timespec now;
	struct buf actions;
	int passed;
	const char *ccat;

	clock_gettime(CLOCK_MONOTONIC, &now);
	buf_init(&actions, 64);
	txn_log_actions(t, &actions, &passed);
	if (t->error == TXN_ERR_SIZE)
		ccat = "OVERSIZED";
	else if (t->ccat != TXN_CCAT_CLEAN)
		ccat = txn_ccat_name(t->ccat);
	else if (t->error || !passed)
		ccat = "MTA-BLOCKED";
	else
		ccat = txn_ccat_name(t->ccat);
	buf_reset(out);
	buf_printf(out, "%s: %s %s", t->id, passed ? "Passed" : "Blocked",
		   ccat);
	/* What was found, as amavis shows it: "INFECTED (Eicar-...)". */
	if (t->ccat == TXN_CCAT_VIRUS || t->ccat == TXN_CCAT_BANNED ||
	    t->ccat == TXN_CCAT_UNCHECKED)
		buf_printf(out, " (%s)",
			   t->ccat == TXN_CCAT_VIRUS	? t->virus
			   : t->ccat == TXN_CCAT_BANNED ? t->banned
							: t->unchecked);
	buf_printf(out, " %s, %s%s [%s]:%d [%s] <%s> ->", actions.data,
		   t->bank.path, t->bank.v.originating ? " LOCAL" : "",
		   t->client.addr, t->client.port, t->peer_addr, t->sender);
	buf_release(&actions);
	for (size_t i = 0; i < t->n_rcpts; i++)
		buf_printf(out, "%s<%s>", i ? "," : " ", t->rcpts[i].addr);
	if (t->client.ident)
		buf_printf(out, ", Queue-ID: %s", t->client.ident);
	if (t->message_id)
		buf_printf(out, ", Message-ID: %s", t->message_id);
	buf_printf(out, ", mail_id: %s", t->id);
	if (t->mime.malformed)
		buf_puts(out, ", MIME: malformed");
	if (t->spam_scanned)
		buf_printf(out, ", Hits: %.3f, tests=[%s]", t->spam_score,
			   t->spam_hits ? t->spam_hits : "");
	buf_printf(out, ", size: %lld", (long long)t->size);
	if (t->queued_as)
		buf_printf(out, ", queued_as: %s", t->queued_as);
	/* What a next hop said when it took none of a recipient. */
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (rc->by == RCPT_BY_HOP && rc->state != RCPT_DELIVERED &&
		    rc->reply.code) {
			buf_printf(out, ", refused: <%s> %d %s %s", rc->addr,
				   rc->reply.code, rc->reply.dsn,
				   rc->reply.text);
			break;
		}
	}
	buf_printf(out,
		   ", %ld ms (receive %ld, scan %ld [virus %ld, banned %ld, "
		   "spam %ld], forward %ld)",
		   txn_ms(&t->t_start, &now), txn_ms(&t->t_start, &t->t_data),
		   txn_ms(&t->t_data, &t->t_scan), t->ms_virus, t->ms_banned,
		   t->ms_spam, txn_ms(&t->t_scan, &t->t_forward));
	if (t->error)
		buf_printf(out, ", error: %s", t->error_text);
}

/* txn_log - log the summary line */
void
txn_log(const struct txn *t)
{
	struct buf line;

	buf_init(&line, 512);
	txn_log_format(t, &line);
	msg_info("%s", line.data);
	buf_release(&line);
}

/*++
/* NAME
/*	txn_log 3
/* SUMMARY
/*	the one summary line per message
/* DESCRIPTION
/*	See txn_log.h. Fields are escaped here (safe_log_text), not left to
/*	the log writer, so that each can be cut to its own bound: the
/*	writer cuts only the end of a line, which holds our own fields. Its
/*	second pass finds nothing left to escape.
/*--*/

#include <string.h>
#include <time.h>

#include "txn.h"
#include "txn_log.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/safe.h"

/* txn_log_text - content, escaped and cut to at most max bytes */
static void
txn_log_text(struct buf *out, const char *text, size_t max)
{
	char cut[TXN_LOG_FIELD_MAX + 1];

	if (max > TXN_LOG_FIELD_MAX)
		max = TXN_LOG_FIELD_MAX;
	(void)safe_log_text(cut, max + 1, text, strlen(text));
	buf_puts(out, cut);
}

/* txn_log_rcpts - " <a>,<b>", as many as TXN_LOG_RCPTS allows */
static void
txn_log_rcpts(const struct txn *t, struct buf *out)
{
	size_t start = out->len;

	for (size_t i = 0; i < t->n_rcpts; i++) {
		if (out->len - start >= TXN_LOG_RCPTS) {
			buf_printf(out, ",...(%zu more)", t->n_rcpts - i);
			break;
		}
		buf_puts(out, i ? ",<" : " <");
		txn_log_text(out, t->rcpts[i].addr, TXN_LOG_ADDR);
		buf_puts(out, ">");
	}
}

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
	    t->ccat == TXN_CCAT_UNCHECKED) {
		buf_puts(out, " (");
		txn_log_text(out,
			     t->ccat == TXN_CCAT_VIRUS	  ? t->virus
			     : t->ccat == TXN_CCAT_BANNED ? t->banned
							  : t->unchecked,
			     TXN_LOG_REASON);
		buf_puts(out, ")");
	}
	/* The bank path is ours (configuration, at most 255 bytes). */
	buf_printf(out, " %s, %s%s [", actions.data, t->bank.path,
		   t->bank.v.originating ? " LOCAL" : "");
	buf_release(&actions);
	txn_log_text(out, t->client.addr, TXN_LOG_ADDR);
	buf_printf(out, "]:%d [", t->client.port);
	txn_log_text(out, t->peer_addr, TXN_LOG_ADDR);
	buf_puts(out, "] <");
	txn_log_text(out, t->sender, TXN_LOG_ADDR);
	buf_puts(out, "> ->");
	txn_log_rcpts(t, out);
	/* amavis: the file relative to the quarantine dir, or mail_id[pt]. */
	if (txn_quarantined(t) && t->quar_loc)
		buf_printf(out, ", quarantine: %s", t->quar_loc);
	if (t->client.ident) {
		buf_puts(out, ", Queue-ID: ");
		txn_log_text(out, t->client.ident, TXN_LOG_ID);
	}
	if (t->message_id) {
		buf_puts(out, ", Message-ID: ");
		txn_log_text(out, t->message_id, TXN_LOG_MESSAGE_ID);
	}
	buf_printf(out, ", mail_id: %s", t->id);
	if (t->mime.malformed)
		buf_puts(out, ", MIME: malformed");
	if (t->spam_scanned) {
		buf_printf(out, ", Hits: %.3f, tests=[", t->spam_score);
		txn_log_text(out, t->spam_hits ? t->spam_hits : "",
			     TXN_LOG_HITS);
		buf_puts(out, "]");
	}
	buf_printf(out, ", size: %lld", (long long)t->size);
	if (t->queued_as) {
		buf_puts(out, ", queued_as: ");
		txn_log_text(out, t->queued_as, TXN_LOG_REPLY);
	}
	/* What a next hop said when it took none of a recipient. */
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (rc->by == RCPT_BY_HOP && rc->state != RCPT_DELIVERED &&
		    rc->reply.code) {
			buf_puts(out, ", refused: <");
			txn_log_text(out, rc->addr, TXN_LOG_ADDR);
			buf_printf(out, "> %d ", rc->reply.code);
			txn_log_text(out, rc->reply.dsn, TXN_LOG_DSN);
			buf_puts(out, " ");
			txn_log_text(out, rc->reply.text, TXN_LOG_REPLY);
			break;
		}
	}
	buf_printf(out,
		   ", %ld ms (receive %ld, scan %ld [virus %ld, banned %ld, "
		   "spam %ld], forward %ld)",
		   txn_ms(&t->t_start, &now), txn_ms(&t->t_start, &t->t_data),
		   txn_ms(&t->t_data, &t->t_scan), t->ms_virus, t->ms_banned,
		   t->ms_spam, txn_ms(&t->t_scan, &t->t_forward));
	if (t->error) {
		buf_puts(out, ", error: ");
		txn_log_text(out, t->error_text ? t->error_text : "",
			     TXN_LOG_REPLY);
	}
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

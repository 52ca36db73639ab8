/*++
/* NAME
/*	dsn 3
/* SUMMARY
/*	delivery status notifications that filterd sends itself
/*--*/

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dsn.h"
#include "reinject.h"
#include "smtp/cmd_parse.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"

#define DSN_HEADER_MAX (64 * 1024)

/* dsn_param - the value of KEY in a recipient's parameters, decoded */
static int
dsn_param(const char *params, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = params; p && *p;
	     p += strcspn(p, " "), p += strspn(p, " ")) {
		if (strncasecmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");

			if (n >= size)
				n = size - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = 0;
			return xtext_decode(out) == 0;
		}
	}
	return 0;
}

/* dsn_why_not - why nobody is to be told, or NULL (amavis' rules) */
static const char *
dsn_why_not(const struct txn *t, const struct txn_rcpt *rc)
{
	char notify[128];

	if (t->sender[0] == 0)
		return "null sender";
	if (dsn_param(rc->params, "NOTIFY", notify, sizeof(notify)) &&
	    strcasestr(notify, "FAILURE") == NULL)
		return "NOTIFY excludes FAILURE";
	if (rc->destiny != TXN_D_BOUNCE)
		return NULL;
	/* Viruses fake their senders: a DSN would be backscatter. */
	if (t->ccat == TXN_CCAT_VIRUS)
		return "virus, likely forged sender";
	if (t->ccat == TXN_CCAT_SPAM &&
	    t->spam_score >= t->bank.v.spam_dsn_cutoff_level)
		return "spam above spam_dsn_cutoff_level";
	if (t->precedence && (strcasecmp(t->precedence, "bulk") == 0 ||
			      strcasecmp(t->precedence, "list") == 0 ||
			      strcasecmp(t->precedence, "junk") == 0))
		return "Precedence bulk, list or junk";
	return NULL;
}

/* dsn_candidate - a recipient the sender should hear about */
static int
dsn_candidate(const struct txn_rcpt *rc, int mixed)
{
	if (rc->dsn_sent || rc->dsn_suppressed)
		return 0;
	if (rc->destiny == TXN_D_BOUNCE)
		return 1;
	/* Refused by the next hop while others were accepted (SMTP). */
	return mixed && rc->destiny == TXN_D_PASS && rc->reply.code / 100 == 5;
}

/* dsn_original_header - the header section of the message, CRLF form */
static void
dsn_original_header(const struct txn *t, struct buf *out)
{
	size_t len = out->len;

	/* Unreadable: the DSN goes without the original's header. */
	if (t->spool && spool_header(t->spool, DSN_HEADER_MAX, out) < 0)
		buf_truncate(out, len);
}

/* dsn_format - the text of the DSN for t's refused recipients */
void
dsn_format(const struct txn *t, const char *dsn_id, struct buf *out)
{
	const struct conf *c = t->conf;
	const char *remote = t->hop ? t->hop : "";
	char date[64], value[512];
	time_t now = time(NULL);
	struct tm tm;

	if (strncmp(remote, "smtp:", 5) == 0)
		remote += 5;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
		 localtime_r(&now, &tm));
	buf_printf(
		out,
		"From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
		"To: <%s>\r\n"
		"Subject: Undelivered Mail Returned to Sender\r\n"
		"Date: %s\r\n"
		"Message-ID: <%s-%s@%s>\r\n"
		"Auto-Submitted: auto-replied\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		"\r\n\tboundary=\"%s/%s\"\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"This is a MIME-encapsulated message.\r\n"
		"\r\n"
		"--%s/%s\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n"
		"\r\n"
		"This is the content filter at %s.\r\n"
		"\r\n"
		"Your message (mail_id %s) was delivered to some of its\r\n"
		"recipients, but the next mail server refused the ones\r\n"
		"below for good. It will not be delivered to them.\r\n"
		"\r\n",
		c->myhostname, t->sender, date, t->id, dsn_id, c->myhostname,
		dsn_id, c->myhostname, dsn_id, c->myhostname, c->myhostname,
		t->id);
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (rc->dsn_pending)
			buf_printf(out, "<%s>: %s%s%d %s %s\r\n", rc->addr,
				   rc->destiny == TXN_D_BOUNCE ? "" : remote,
				   rc->destiny == TXN_D_BOUNCE ? "" : " said: ",
				   rc->reply.code, rc->reply.dsn,
				   rc->reply.text);
	}
	buf_printf(out,
		   "\r\n--%s/%s\r\n"
		   "Content-Type: message/delivery-status\r\n"
		   "\r\n"
		   "Reporting-MTA: dns; %s\r\n"
		   "X-Filterd-Mail-ID: %s\r\n",
		   dsn_id, c->myhostname, c->myhostname, t->id);
	if (t->envid) {
		snprintf(value, sizeof(value), "%s", t->envid);
		if (xtext_decode(value) == 0)
			buf_printf(out, "Original-Envelope-Id: %s\r\n", value);
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (!rc->dsn_pending)
			continue;
		buf_printf(out, "\r\nFinal-Recipient: rfc822; %s\r\n",
			   rc->addr);
		if (dsn_param(rc->params, "ORCPT", value, sizeof(value)))
			buf_printf(out, "Original-Recipient: %s\r\n", value);
		buf_printf(out,
			   "Action: failed\r\n"
			   "Status: %s\r\n",
			   rc->reply.dsn);
		if (*remote && rc->destiny != TXN_D_BOUNCE)
			buf_printf(out, "Remote-MTA: dns; %s\r\n", remote);
		buf_printf(out, "Diagnostic-Code: smtp; %d %s %s\r\n",
			   rc->reply.code, rc->reply.dsn, rc->reply.text);
	}
	buf_printf(out,
		   "\r\n--%s/%s\r\n"
		   "Content-Type: text/rfc822-headers\r\n"
		   "\r\n",
		   dsn_id, c->myhostname);
	dsn_original_header(t, out);
	buf_printf(out, "\r\n--%s/%s--\r\n", dsn_id, c->myhostname);
}

/* dsn_send - build and forward the DSN; 0 when a notify hop took it */
static int
dsn_send(struct reinject *rj, struct txn *t)
{
	struct txn *d = txn_create(t->conf, "127.0.0.1", 0);
	struct buf text;
	char err[512];
	int ok = 0;

	d->bank = t->bank;
	d->bank.v.forward = t->bank.v.notify;
	d->body_8bitmime = 1;
	d->client.helo = t->conf->myhostname;
	d->client.source = "LOCAL";
	txn_add_rcpt(d, t->sender, NULL);
	buf_init(&text, 4096);
	dsn_format(t, d->id, &text);
	d->spool = spool_create(t->conf->tmp_dir, d->id, err, sizeof(err));
	if (d->spool) {
		spool_write(d->spool, text.data, text.len);
		d->size = spool_size(d->spool);
		if (spool_commit(d->spool, err, sizeof(err)) == 0 &&
		    reinject_run(rj, d) == 0 && txn_rcpt_status(d, 0) == 2)
			ok = 1;
		else if (d->error_text)
			snprintf(err, sizeof(err), "%s", d->error_text);
		else
			snprintf(err, sizeof(err), "%d %s %s",
				 d->rcpts[0].reply.code, d->rcpts[0].reply.dsn,
				 d->rcpts[0].reply.text);
	}
	if (ok)
		msg_info("%s: sender notified: DSN %s to <%s>, queued_as: %s",
			 t->id, d->id, t->sender,
			 d->queued_as ? d->queued_as : "?");
	else
		msg_warn("%s: cannot send DSN %s to <%s>: %s; the message "
			 "is temporarily failed instead",
			 t->id, d->id, t->sender, err);
	buf_release(&text);
	txn_free(&d);
	return ok ? 0 : -1;
}

/* dsn_run - tell the sender about recipients not delivered for good */
int
dsn_run(struct reinject *rj, struct txn *t)
{
	size_t accepted = 0, pending = 0;
	int mixed;

	if (t->error)
		return 0;
	for (size_t i = 0; i < t->n_rcpts; i++)
		accepted += t->rcpts[i].destiny == TXN_D_PASS &&
			    txn_rcpt_status(t, i) == 2;
	mixed = t->one_reply && accepted > 0;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;
		const char *why_not;

		if (!dsn_candidate(rc, mixed))
			continue;
		if ((why_not = dsn_why_not(t, rc)) == NULL) {
			rc->dsn_pending = 1;
			pending++;
		} else {
			rc->dsn_suppressed = 1;
			msg_info("%s: <%s> not delivered, no DSN (%s)", t->id,
				 rc->addr, why_not);
		}
	}
	if (pending == 0)
		return 0;
	if (dsn_send(rj, t) == 0) {
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].dsn_pending)
				t->rcpts[i].dsn_sent = 1;
	} else {
		/* A bounce that cannot be sent now: the front MTA keeps it. */
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].dsn_pending &&
			    t->rcpts[i].destiny == TXN_D_BOUNCE)
				txn_set_reply(&t->rcpts[i].reply, t->pool, 451,
					      "4.3.0",
					      "cannot send the DSN now");
	}
	for (size_t i = 0; i < t->n_rcpts; i++)
		t->rcpts[i].dsn_pending = 0;
	return 0;
}

/*++
/* NAME
/*	dsn 3
/* SUMMARY
/*	delivery status notifications that filterd sends itself
/*--*/

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/conf.h"
#include "dsn.h"
#include "reinject.h"
#include "smtp/cmd_parse.h"
#include "spool/spool.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/safe.h"

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
	if (rc->by != RCPT_BY_POLICY)
		return NULL;
	/* Viruses fake their senders: a DSN would be backscatter. Not so
	 * the senders of originating mail: they are our own users. */
	if (rc->ccat == TXN_CCAT_VIRUS && !t->bank.v.originating)
		return "virus, likely forged sender";
	if (rc->ccat == TXN_CCAT_SPAM && rc->score >= rc->dsn_cutoff)
		return "spam above spam_dsn_cutoff_level";
	if (t->precedence && (strcasecmp(t->precedence, "bulk") == 0 ||
			      strcasecmp(t->precedence, "list") == 0 ||
			      strcasecmp(t->precedence, "junk") == 0))
		return "Precedence bulk, list or junk";
	return NULL;
}

#define DSN_TEXT_MAX 900 /* a reason or reply, within a 998-octet line */

/*
 * dsn_put - the one writer of text from the message or a peer into the
 * DSN: one line of printable ASCII (util/safe.h escapes the rest), at
 * most max bytes, so that no such text can end a line, start a field or
 * a MIME part, or grow a line past what SMTP carries.
 */
static void
dsn_put(struct buf *out, const char *s, size_t max)
{
	char line[DSN_TEXT_MAX + 1];

	if (s == NULL)
		return;
	if (max + 1 > sizeof(line))
		max = sizeof(line) - 1;
	(void)safe_reply_text(line, max + 1, s, strlen(s));
	buf_puts(out, line);
}

/* dsn_reply - "code x.y.z text" of a recipient, made safe */
static void
dsn_reply(struct buf *out, const struct txn_rcpt *rc)
{
	buf_printf(out, "%d ", rc->reply.code);
	dsn_put(out, rc->reply.dsn, 16);
	buf_puts(out, " ");
	dsn_put(out, rc->reply.text, DSN_TEXT_MAX);
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

/* dsn_why - the first paragraph: what happened, in plain words */
static void
dsn_why(const struct txn *t, struct buf *out)
{
	int policy = 0, hop = 0, delivered = 0;

	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		delivered |= rc->state == RCPT_DELIVERED;
		if (rc->state == RCPT_BOUNCING) {
			policy |= rc->by == RCPT_BY_POLICY;
			hop |= rc->by == RCPT_BY_HOP;
		}
	}
	buf_printf(out,
		   "Your message (mail_id %s) could not be delivered to the\r\n"
		   "recipients below, and it will not be.\r\n",
		   t->id);
	if (policy)
		buf_puts(out, "The content filter blocked it for those marked "
			      "\"blocked\".\r\n");
	if (hop)
		buf_puts(out, "The next mail server refused it for those "
			      "marked \"refused\".\r\n");
	if (delivered)
		buf_puts(out, "It was delivered to its other recipients.\r\n");
	buf_puts(out, "\r\n");
}

/* dsn_format - the text of the DSN for t's BOUNCING recipients */
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
	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
		   c->myhostname);
	buf_puts(out, "To: <");
	dsn_put(out, t->sender, DSN_TEXT_MAX);
	buf_printf(
		out,
		">\r\n"
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
		"\r\n",
		date, t->id, dsn_id, c->myhostname, dsn_id, c->myhostname,
		dsn_id, c->myhostname, c->myhostname);
	dsn_why(t, out);
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (rc->state != RCPT_BOUNCING)
			continue;
		buf_puts(out, "<");
		dsn_put(out, rc->addr, DSN_TEXT_MAX);
		if (rc->by == RCPT_BY_POLICY) {
			buf_puts(out, ">: blocked: ");
		} else {
			buf_puts(out, ">: refused: ");
			dsn_put(out, remote, 300);
			buf_puts(out, " said: ");
		}
		dsn_reply(out, rc);
		buf_puts(out, "\r\n");
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
		if (xtext_decode(value) == 0) {
			buf_puts(out, "Original-Envelope-Id: ");
			dsn_put(out, value, DSN_TEXT_MAX);
			buf_puts(out, "\r\n");
		}
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;

		if (rc->state != RCPT_BOUNCING)
			continue;
		buf_puts(out, "\r\nFinal-Recipient: rfc822; ");
		dsn_put(out, rc->addr, DSN_TEXT_MAX);
		buf_puts(out, "\r\n");
		if (dsn_param(rc->params, "ORCPT", value, sizeof(value))) {
			buf_puts(out, "Original-Recipient: ");
			dsn_put(out, value, DSN_TEXT_MAX);
			buf_puts(out, "\r\n");
		}
		buf_puts(out, "Action: failed\r\nStatus: ");
		dsn_put(out, rc->reply.dsn, 16);
		buf_puts(out, "\r\n");
		if (*remote && rc->by == RCPT_BY_HOP) {
			buf_puts(out, "Remote-MTA: dns; ");
			dsn_put(out, remote, 300);
			buf_puts(out, "\r\n");
		}
		buf_puts(out, "Diagnostic-Code: smtp; ");
		dsn_reply(out, rc);
		buf_puts(out, "\r\n");
	}
	buf_printf(out,
		   "\r\n--%s/%s\r\n"
		   "Content-Type: text/rfc822-headers\r\n"
		   "\r\n",
		   dsn_id, c->myhostname);
	dsn_original_header(t, out);
	buf_printf(out, "\r\n--%s/%s--\r\n", dsn_id, c->myhostname);
}

/*
 * dsn_send - build and forward the DSN: 2 when a notify hop took it, 5
 * when it was refused for good (nobody can be told), 4 otherwise
 */
static int
dsn_send(struct reinject *rj, struct txn *t, char *err, size_t errsize)
{
	struct txn *d = txn_create(t->conf, "127.0.0.1", 0);
	struct buf text;
	int class = 4;

	d->bank = t->bank;
	d->bank.v.forward = t->bank.v.notify;
	d->body_8bitmime = 1;
	d->client.helo = t->conf->myhostname;
	d->client.source = "LOCAL";
	txn_add_rcpt(d, t->sender, NULL);
	buf_init(&text, 4096);
	dsn_format(t, d->id, &text);
	d->spool = spool_create(t->conf->tmp_dir, d->id, err, errsize);
	if (d->spool) {
		spool_write(d->spool, text.data, text.len);
		d->size = spool_size(d->spool);
		if (spool_commit(d->spool, err, errsize) == 0 &&
		    reinject_run(rj, d) == 0)
			class = rcpt_class(d, d->rcpts);
		if (class != 2 && d->error_text)
			snprintf(err, errsize, "%s", d->error_text);
		else if (class != 2 && d->rcpts[0].reply.code)
			snprintf(err, errsize, "%d %s %s",
				 d->rcpts[0].reply.code, d->rcpts[0].reply.dsn,
				 d->rcpts[0].reply.text);
	}
	if (class == 2)
		msg_info("%s: sender notified: DSN %s to <%s>, queued_as: %s",
			 t->id, d->id, t->sender,
			 d->queued_as ? d->queued_as : "?");
	else if (class == 5)
		msg_warn("%s: DSN %s to <%s> refused for good: %s; nobody "
			 "can be told",
			 t->id, d->id, t->sender, err);
	else
		msg_warn("%s: cannot send DSN %s to <%s>: %s; the message "
			 "is temporarily failed instead",
			 t->id, d->id, t->sender, err);
	buf_release(&text);
	txn_free(&d);
	return class;
}

/* dsn_run - tell the sender about recipients not delivered for good */
int
dsn_run(struct reinject *rj, struct txn *t)
{
	size_t pending = 0;
	char err[512] = "";

	rcpt_settle(t);
	if (!rcpt_bounce_due(t))
		return 0;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;
		const char *why_not;

		if (rc->state != RCPT_BOUNCING)
			continue;
		if ((why_not = dsn_why_not(t, rc)) == NULL) {
			pending++;
			continue;
		}
		rcpt_nobounce(rc);
		msg_info("%s: <%s> not delivered, no DSN (%s)", t->id, rc->addr,
			 why_not);
	}
	if (pending == 0)
		return 0;
	switch (dsn_send(rj, t, err, sizeof(err))) {
	case 2:
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].state == RCPT_BOUNCING)
				rcpt_bounced(t->rcpts + i);
		break;
	case 5:
		/* A DSN that can never be delivered: as an MTA drops a double
		 * bounce; a retry would only repeat it, and the delivery. */
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].state == RCPT_BOUNCING)
				rcpt_nobounce(t->rcpts + i);
		break;
	default:
		/* A bounce that cannot be sent now: the front MTA keeps it. */
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (t->rcpts[i].state == RCPT_BOUNCING)
				rcpt_bounce_failed(t, t->rcpts + i, err);
		break;
	}
	return 0;
}

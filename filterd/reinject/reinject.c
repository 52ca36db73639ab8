/*++
/* NAME
/*	reinject 3
/* SUMMARY
/*	hand a checked message to the bank's next hops, in order
/* DESCRIPTION
/*	See reinject.h. One attempt at one hop ends in one of three ways:
/*	HOP_NEXT (nothing handed over: try the next hop), HOP_DONE (every
/*	recipient has the hop's answer), HOP_TEMPFAIL (the data phase broke:
/*	the message is temporarily failed, no other hop is tried). Inside
/*	hop_deliver() a fourth, HOP_STALE, says that a kept session turned
/*	out to be closed before it answered anything: a fresh one is opened.
/*
/*	With PIPELINING, a kept session's RSET probe and the XFORWARD
/*	commands go out in one write with MAIL, RCPT and DATA, and their
/*	answers are read first (hop_pending): one round trip per message
/*	before the data, as Postfix's own client does with XFORWARD. Such a
/*	hop may also answer the pipelined DATA with 354 when it took no
/*	recipient: that session is in the data state and is dropped, not
/*	kept, not ended with a dot, not sent QUIT (struct hop.in_data).
/*--*/

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/conf.h"
#include "copy.h"
#include "master/scoreboard.h"
#include "reinject.h"
#include "smtp/cmd_parse.h"
#include "spool/spool.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/inet.h"
#include "util/msg.h"
#include "util/stream.h"
#include "util/xalloc.h"

enum hop_result { HOP_NEXT, HOP_DONE, HOP_TEMPFAIL, HOP_STALE };

/* What a next hop said it supports, from its EHLO reply. */
#define EXT_PIPELINING (1u << 0)
#define EXT_8BITMIME (1u << 1)
#define EXT_SMTPUTF8 (1u << 2)
#define EXT_SIZE (1u << 3)
#define EXT_DSN (1u << 4)

struct reinject {
	const struct conf *conf;
	struct buf ehlo; /* EHLO reply lines of the current hop */
	char line[4096]; /* one reply line */
	/* The session kept open after the last message (connection cache). */
	struct hop *cached;
	char cached_spec[300];
	time_t cached_at;
};

struct hop {
	struct stream *s;
	char name[300]; /* "smtp:[127.0.0.1]:10025" */
	unsigned ext;
	unsigned xforward; /* bit i: cmd_xforward_names[i] offered */
	int probe;	   /* RSET sent, its answer not read yet */
	int xf_pending;	   /* XFORWARD answers not read yet */
	int in_data;	   /* 354 answered, no data will follow */
	char error[1200];  /* why this hop failed */
};

/* The recipients that get the same copy (same added fields). */
struct hop_group {
	unsigned char *member; /* per recipient: in this group */
	const struct txn_header *headers;
	const char *subject_tag;
	int strip; /* local recipients: spam fields from outside removed */
};

static void reinject_uncache(struct reinject *rj);
static void hop_close(struct reinject *rj, struct hop *h, int polite);

/* reinject_create - client state for one process or worker */
struct reinject *
reinject_create(const struct conf *conf)
{
	struct reinject *rj = xcalloc(1, sizeof(*rj));

	rj->conf = conf;
	buf_init(&rj->ehlo, 512);
	return rj;
}

/* reinject_free - release the client state */
void
reinject_free(struct reinject **rjp)
{
	struct reinject *rj = *rjp;

	if (rj == NULL)
		return;
	reinject_uncache(rj);
	buf_release(&rj->ehlo);
	free(rj);
	*rjp = NULL;
}

/* reinject_parse_reply_line - "250 2.0.0 text" into its parts */
void
reinject_parse_reply_line(const char *line, struct reinject_reply *r)
{
	const char *p = line + 4;
	size_t dlen;

	memset(r, 0, sizeof(*r));
	snprintf(r->full, sizeof(r->full), "%s", line);
	if (strlen(line) < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) ||
	    (line[3] != ' ' && line[3] != '-' && line[3] != 0)) {
		r->code = -1;
		return;
	}
	r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		  (line[2] - '0');
	if (line[3] == 0)
		p = line + 3;
	/* An enhanced status code "c.s.d" whose class matches the reply. */
	dlen = strspn(p, "0123456789.");
	if (dlen >= 5 && dlen < sizeof(r->dsn) && p[0] == line[0] &&
	    p[1] == '.' && (p[dlen] == ' ' || p[dlen] == 0)) {
		memcpy(r->dsn, p, dlen);
		p += dlen + (p[dlen] == ' ');
	} else {
		snprintf(r->dsn, sizeof(r->dsn), "%c.0.0", line[0]);
	}
	snprintf(r->text, sizeof(r->text), "%s", p);
}

/* reinject_queued_as - the queue id in "... queued as ID", or NULL */
const char *
reinject_queued_as(const char *text, char *out, size_t size)
{
	const char *p = strstr(text, "queued as ");
	size_t n;

	if (p == NULL)
		return NULL;
	p += 10;
	n = strcspn(p, " ;,)");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(out, p, n);
	out[n] = 0;
	return out;
}

/* hop_fail - note why a hop is being given up */
static enum hop_result hop_fail(struct hop *h, enum hop_result res,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum hop_result
hop_fail(struct hop *h, enum hop_result res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
	return res;
}

/* hop_read_reply - read a (multi-line) reply; its code or -1 */
static int
hop_read_reply(struct reinject *rj, struct hop *h, struct reinject_reply *r,
	       struct buf *lines)
{
	int too_long;

	if (lines)
		buf_reset(lines);
	for (;;) {
		if (stream_get_line(h->s, rj->line, sizeof(rj->line),
				    &too_long) < 0) {
			snprintf(h->error, sizeof(h->error),
				 "%s: %s while reading a reply", h->name,
				 stream_strerror(h->s));
			return -1;
		}
		/*
		 * A reply line the hop closed the connection inside is no
		 * reply (Postfix's smtp_get: "don't allow data that was
		 * truncated because of EOF"): after the final dot that is a
		 * lost reply, never a 250.
		 */
		if (stream_error(h->s) == STREAM_EOF) {
			snprintf(h->error, sizeof(h->error),
				 "%s: connection closed inside a reply "
				 "\"%.100s\"",
				 h->name, rj->line);
			return -1;
		}
		reinject_parse_reply_line(rj->line, r);
		if (r->code < 0) {
			snprintf(h->error, sizeof(h->error),
				 "%s: malformed reply \"%.100s\"", h->name,
				 rj->line);
			return -1;
		}
		/* The text a peer can make endless is kept up to a limit. */
		if (lines && lines->len < sizeof(rj->line) * 16) {
			buf_puts(lines, rj->line + 4);
			buf_puts(lines, "\n");
		}
		if (rj->line[3] != '-')
			return r->code;
	}
}

/* hop_send - flush what is buffered; 0 or -1 with h->error */
static int
hop_send(struct hop *h)
{
	if (stream_flush(h->s) < 0) {
		snprintf(h->error, sizeof(h->error), "%s: %s while sending",
			 h->name, stream_strerror(h->s));
		return -1;
	}
	return 0;
}

/* hop_parse_ehlo - note the extensions a hop offers */
static void
hop_parse_ehlo(struct hop *h, const char *lines)
{
	static const struct {
		const char *kw;
		unsigned bit;
	} kws[] = {{"PIPELINING", EXT_PIPELINING},
		   {"8BITMIME", EXT_8BITMIME},
		   {"SMTPUTF8", EXT_SMTPUTF8},
		   {"SIZE", EXT_SIZE},
		   {"DSN", EXT_DSN}};
	const char *p = strchr(lines, '\n'); /* skip the greeting line */

	while (p && *++p) {
		size_t len = strcspn(p, " \n");

		for (size_t i = 0; i < sizeof(kws) / sizeof(*kws); i++)
			if (strlen(kws[i].kw) == len &&
			    strncasecmp(p, kws[i].kw, len) == 0)
				h->ext |= kws[i].bit;
		if (len == 8 && strncasecmp(p, "XFORWARD", 8) == 0) {
			const char *a = p + 8;

			while (*a == ' ') {
				size_t alen = strcspn(++a, " \n");

				for (size_t i = 0; i < XF_COUNT; i++)
					if (strlen(cmd_xforward_names[i]) ==
						    alen &&
					    strncasecmp(a,
							cmd_xforward_names[i],
							alen) == 0)
						h->xforward |= 1u << i;
				a += alen;
			}
		}
		p = strchr(p, '\n');
	}
}

/* hop_open - connect, greeting, EHLO */
static enum hop_result
hop_open(struct reinject *rj, const char *spec, struct hop *h)
{
	const struct conf *c = rj->conf;
	struct reinject_reply r;
	char host[256], port[16], err[512];
	int fd;

	if (inet_split_hostport(spec, host, sizeof(host), port, sizeof(port)) <
	    0)
		msg_panic("hop_open: unchecked next hop \"%s\"", spec);
	snprintf(h->name, sizeof(h->name), "smtp:[%s]:%s", host, port);
	fd = inet_connect(host, port, c->forward_connect_timeout, err,
			  sizeof(err));
	if (fd < 0)
		return hop_fail(h, HOP_NEXT, "%s", err);
	h->s = stream_open(fd, 65536);
	stream_set_timeout(h->s, c->forward_timeout);
	if (hop_read_reply(rj, h, &r, NULL) < 0)
		return HOP_NEXT;
	if (r.code != 220)
		return hop_fail(h, HOP_NEXT, "%s: greeting: %s", h->name,
				r.full);
	stream_printf(h->s, "EHLO %s\r\n", c->myhostname);
	if (hop_send(h) < 0 || hop_read_reply(rj, h, &r, &rj->ehlo) < 0)
		return HOP_NEXT;
	if (r.code != 250)
		return hop_fail(h, HOP_NEXT, "%s: EHLO: %s", h->name, r.full);
	hop_parse_ehlo(h, rj->ehlo.data);
	return HOP_DONE;
}

/* hop_pending - the answers owed to a pipelined RSET and XFORWARD */
static enum hop_result
hop_pending(struct reinject *rj, struct hop *h)
{
	struct reinject_reply r;

	if (h->probe) {
		/* No answer to the probe: the hop had closed the session. */
		if (hop_read_reply(rj, h, &r, NULL) != 250)
			return HOP_STALE;
		h->probe = 0;
	}
	for (; h->xf_pending > 0; h->xf_pending--) {
		if (hop_read_reply(rj, h, &r, NULL) < 0)
			return HOP_NEXT;
		if (r.code != 250)
			return hop_fail(h, HOP_NEXT, "%s: XFORWARD: %s",
					h->name, r.full);
	}
	return HOP_DONE;
}

/* hop_xforward - pass the client attributes on, as Postfix does */
static enum hop_result
hop_xforward(struct reinject *rj, struct hop *h, const struct txn *t)
{
	const struct txn_client *cl = &t->client;
	char port[16], addr[128], enc[600];
	const char *values[XF_COUNT];
	struct buf cmd;
	int sent = 0;

	if (h->xforward == 0)
		return HOP_DONE;
	snprintf(port, sizeof(port), "%d", cl->port);
	snprintf(addr, sizeof(addr), "%s%s",
		 strchr(cl->addr, ':') ? "IPv6:" : "", cl->addr);
	values[XF_NAME] = cl->name ? cl->name : "[UNAVAILABLE]";
	values[XF_ADDR] = addr;
	values[XF_PORT] = port;
	values[XF_PROTO] = cl->proto ? cl->proto : "[UNAVAILABLE]";
	values[XF_HELO] = cl->helo ? cl->helo : "[UNAVAILABLE]";
	values[XF_IDENT] = cl->ident ? cl->ident : "[UNAVAILABLE]";
	values[XF_SOURCE] = cl->source ? cl->source : "[UNAVAILABLE]";
	buf_init(&cmd, 256);
	for (size_t i = 0; i < XF_COUNT; i++) {
		if (!(h->xforward & (1u << i)))
			continue;
		xtext_encode(values[i], enc, sizeof(enc));
		/* Keep each command line well inside 512 octets. */
		if (cmd.len > 0 && cmd.len + strlen(enc) + 20 > 500) {
			stream_printf(h->s, "XFORWARD%s\r\n", cmd.data);
			sent++;
			buf_reset(&cmd);
		}
		buf_printf(&cmd, " %s=%s", cmd_xforward_names[i], enc);
	}
	if (cmd.len > 0) {
		stream_printf(h->s, "XFORWARD%s\r\n", cmd.data);
		sent++;
	}
	buf_release(&cmd);
	h->xf_pending = sent;
	if (h->ext & EXT_PIPELINING)
		return HOP_DONE; /* answered with MAIL's, in hop_pending */
	if (hop_send(h) < 0)
		return HOP_NEXT;
	return hop_pending(rj, h);
}

/* hop_envelope - MAIL, RCPT..., DATA; pipelined when offered */
static enum hop_result
hop_envelope(struct reinject *rj, struct hop *h, struct txn *t,
	     const struct hop_group *g, off_t size, int *accepted)
{
	int pipelining = (h->ext & EXT_PIPELINING) != 0;
	struct reinject_reply r, mail;
	size_t n_pass = 0, n_temp = 0;

	*accepted = 0;
	if (t->smtputf8 && !(h->ext & EXT_SMTPUTF8))
		return hop_fail(h, HOP_NEXT,
				"%s: does not offer SMTPUTF8, which the "
				"message needs",
				h->name);
	stream_printf(h->s, "MAIL FROM:<%s>", t->sender);
	if (t->body_8bitmime && (h->ext & EXT_8BITMIME))
		stream_puts(h->s, " BODY=8BITMIME");
	if (t->smtputf8)
		stream_puts(h->s, " SMTPUTF8");
	if (h->ext & EXT_SIZE)
		stream_printf(h->s, " SIZE=%lld", (long long)size);
	if ((h->ext & EXT_DSN) && t->ret)
		stream_printf(h->s, " RET=%s", t->ret);
	if ((h->ext & EXT_DSN) && t->envid)
		stream_printf(h->s, " ENVID=%s", t->envid);
	stream_puts(h->s, "\r\n");
	if (!pipelining) {
		if (hop_send(h) < 0 || hop_read_reply(rj, h, &mail, NULL) < 0)
			return HOP_NEXT;
		if (mail.code / 100 != 2)
			goto mail_refused;
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;

		if (!g->member[i])
			continue;
		n_pass++;
		stream_printf(h->s, "RCPT TO:<%s>", rc->addr);
		if ((h->ext & EXT_DSN) && rc->params)
			stream_printf(h->s, " %s", rc->params);
		stream_puts(h->s, "\r\n");
		if (!pipelining) {
			if (hop_send(h) < 0 ||
			    hop_read_reply(rj, h, &r, NULL) < 0)
				return HOP_NEXT;
			if (r.code / 100 == 2)
				++*accepted;
			else
				rcpt_hop_reply(t, rc, h->name, r.code, r.dsn,
					       r.text);
			n_temp += r.code / 100 == 4;
		}
	}
	if (!pipelining && *accepted == 0)
		goto no_recipient;
	stream_puts(h->s, "DATA\r\n");
	if (hop_send(h) < 0)
		return h->probe ? HOP_STALE : HOP_NEXT;
	if (pipelining) {
		enum hop_result res = hop_pending(rj, h);

		if (res != HOP_DONE)
			return res;
		if (hop_read_reply(rj, h, &mail, NULL) < 0)
			return HOP_NEXT;
		for (size_t i = 0; i < t->n_rcpts; i++) {
			struct txn_rcpt *rc = t->rcpts + i;

			if (!g->member[i])
				continue;
			if (hop_read_reply(rj, h, &r, NULL) < 0)
				return HOP_NEXT;
			if (mail.code / 100 != 2)
				continue;
			if (r.code / 100 == 2)
				++*accepted;
			else
				rcpt_hop_reply(t, rc, h->name, r.code, r.dsn,
					       r.text);
			n_temp += r.code / 100 == 4;
		}
	}
	if (hop_read_reply(rj, h, &r, NULL) < 0)
		return HOP_NEXT;
	/*
	 * A pipelining hop may answer DATA with 354 though it took no
	 * recipient: it then waits for message text. That session is never
	 * kept (the next message's commands would be taken as text) nor
	 * ended with a dot (an empty message) or QUIT: it is dropped.
	 */
	if (r.code / 100 == 3 && (mail.code / 100 != 2 || *accepted == 0))
		h->in_data = 1;
	if (mail.code / 100 != 2)
		goto mail_refused;
	if (*accepted == 0)
		goto no_recipient;
	if (r.code / 100 == 5) {
		/* DATA refused for good: the answer for every recipient it
		 * had taken, as a refusal of MAIL is. Nothing was sent. */
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (g->member[i] && t->rcpts[i].state == RCPT_PENDING)
				rcpt_hop_reply(t, t->rcpts + i, h->name, r.code,
					       r.dsn, r.text);
		*accepted = 0;
		return HOP_DONE;
	}
	if (r.code != 354)
		return hop_fail(h, HOP_NEXT, "%s: DATA: %s", h->name, r.full);
	return HOP_DONE;

mail_refused:
	if (mail.code / 100 == 4 || mail.code / 100 == 2)
		return hop_fail(h, HOP_NEXT, "%s: MAIL: %s", h->name,
				mail.full);
	/* A permanent refusal of the sender is every recipient's answer. */
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (g->member[i])
			rcpt_hop_reply(t, t->rcpts + i, h->name, mail.code,
				       mail.dsn, mail.text);
	return HOP_DONE;

no_recipient:
	/* Any recipient refused only for now: another hop may take it. */
	if (n_temp > 0)
		return hop_fail(h, HOP_NEXT,
				"%s: RCPT: every recipient "
				"refused, %zu of %zu temporarily",
				h->name, n_temp, n_pass);
	return HOP_DONE;
}

/* hop_copy_spec - what a group's copy is made of */
static void
hop_copy_spec(const struct txn *t, const struct hop_group *g,
	      struct copy_spec *spec)
{
	spec->added[0] = t->add_headers;
	spec->added[1] = g->headers;
	spec->subject_tag = g->subject_tag;
	spec->strip = g->strip;
	spec->defang = t->defang;
	spec->mail_id = t->id;
}

/* hop_body - the group's copy, dot-stuffed, then the dot */
static int
hop_body(struct hop *h, const struct txn *t, const struct hop_group *g)
{
	struct copy_spec spec;

	hop_copy_spec(t, g, &spec);
	if (copy_write(h->s, spool_fd(t->spool), t->size, &spec, h->error,
		       sizeof(h->error)) < 0)
		return -1;
	return hop_send(h);
}

/* hop_copy_size - the bytes of a group's copy (for SIZE=), or more */
static off_t
hop_copy_size(const struct txn *t, const struct hop_group *g)
{
	struct copy_spec spec;

	hop_copy_spec(t, g, &spec);
	return copy_size(t->size, &spec);
}

/* reinject_uncache - QUIT and forget the kept session */
static void
reinject_uncache(struct reinject *rj)
{
	if (rj->cached == NULL)
		return;
	hop_close(rj, rj->cached, 1);
	free(rj->cached);
	rj->cached = NULL;
}

/* hop_forget - drop a session that turned out to be closed, quietly */
static void
hop_forget(struct hop *h)
{
	stream_close(&h->s);
	memset(h, 0, sizeof(*h));
}

/*
 * hop_reuse - take the kept session to spec, if it is recent and still
 * answers RSET (amavis' connection cache): no connect, no EHLO. With
 * PIPELINING the answer to RSET is read later, with MAIL's.
 */
static int
hop_reuse(struct reinject *rj, const char *spec, struct hop *h)
{
	struct reinject_reply r;

	if (rj->cached == NULL)
		return 0;
	if (strcmp(rj->cached_spec, spec) != 0 ||
	    time(NULL) - rj->cached_at > rj->conf->forward_cache_time) {
		reinject_uncache(rj);
		return 0;
	}
	*h = *rj->cached;
	free(rj->cached);
	rj->cached = NULL;
	stream_set_timeout(h->s, rj->conf->forward_timeout);
	stream_puts(h->s, "RSET\r\n");
	if (h->ext & EXT_PIPELINING) {
		h->probe = 1;
		return 1;
	}
	if (hop_send(h) == 0 && hop_read_reply(rj, h, &r, NULL) == 250)
		return 1;
	/* The next hop closed it meanwhile: a fresh session, quietly. */
	hop_forget(h);
	return 0;
}

/* hop_deliver - one attempt at one hop, for one group */
static enum hop_result
hop_deliver(struct reinject *rj, struct hop *h, const char *spec, struct txn *t,
	    const struct hop_group *g)
{
	struct reinject_reply r;
	enum hop_result res;
	char qid[64];
	off_t size = hop_copy_size(t, g);
	int accepted;

	/* A kept session can only be found stale once: then a fresh one. */
	for (int fresh = 0;; fresh = 1) {
		if ((fresh || !hop_reuse(rj, spec, h)) &&
		    (res = hop_open(rj, spec, h)) != HOP_DONE)
			return res;
		if ((res = hop_xforward(rj, h, t)) == HOP_DONE)
			res = hop_envelope(rj, h, t, g, size, &accepted);
		if (res != HOP_STALE)
			break;
		hop_forget(h);
	}
	if (res != HOP_DONE || accepted == 0)
		return res;
	if (hop_body(h, t, g) < 0)
		return HOP_TEMPFAIL;
	if (t->slot)
		t->slot->c.bytes_out += (uint64_t)size;
	stream_set_timeout(h->s, rj->conf->forward_data_timeout);
	if (hop_read_reply(rj, h, &r, NULL) < 0)
		return HOP_TEMPFAIL;
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;

		if (g->member[i] && rc->state == RCPT_PENDING)
			rcpt_hop_reply(t, rc, h->name, r.code, r.dsn, r.text);
	}
	if (r.code / 100 == 2)
		t->queued_as = pool_strdup(
			t->pool, reinject_queued_as(r.text, qid, sizeof(qid))
					 ? qid
					 : r.full);
	return HOP_DONE;
}

/* hop_close - QUIT politely when the session is still sane */
static void
hop_close(struct reinject *rj, struct hop *h, int polite)
{
	struct reinject_reply r;

	if (h->s == NULL)
		return;
	if (polite && !h->in_data && stream_error(h->s) == STREAM_OK) {
		stream_set_timeout(h->s, 5);
		stream_puts(h->s, "QUIT\r\n");
		if (hop_send(h) == 0)
			(void)hop_read_reply(rj, h, &r, NULL);
	}
	stream_close(&h->s);
}

/* hop_cache - keep a healthy session for the next message */
static void
hop_cache(struct reinject *rj, struct hop *h, const char *spec)
{
	reinject_uncache(rj);
	rj->cached = xmalloc(sizeof(*h));
	*rj->cached = *h;
	h->s = NULL;
	snprintf(rj->cached_spec, sizeof(rj->cached_spec), "%s", spec);
	rj->cached_at = time(NULL);
}

/* reinject_group - deliver one group through the first hop that works */
static enum hop_result
reinject_group(struct reinject *rj, struct txn *t, const struct hop_group *g,
	       char *last, size_t lastsize)
{
	const struct conf_strlist *hops = &t->bank.v.forward;
	enum hop_result res = HOP_NEXT;

	snprintf(last, lastsize, "no next hop configured");
	for (size_t i = 0; i < hops->n && res == HOP_NEXT; i++) {
		struct hop h;

		memset(&h, 0, sizeof(h));
		/* Replies from a hop given up on do not count. */
		for (size_t k = 0; k < t->n_rcpts; k++)
			if (g->member[k])
				rcpt_hop_forget(t->rcpts + k);
		res = hop_deliver(rj, &h, hops->v[i], t, g);
		if (t->slot && res != HOP_DONE)
			t->slot->c.nexthop_failures++;
		if (res == HOP_DONE) {
			const char *name = pool_strdup(t->pool, h.name);

			t->hop = name;
			if (t->slot && i > 0)
				t->slot->c.nexthop_failovers++;
			if (i > 0)
				msg_info("%s: delivered to %s after %zu "
					 "failed next hop(s)",
					 t->id, h.name, i);
		} else {
			snprintf(last, lastsize, "%s", h.error);
			msg_warn("%s: next hop %s failed: %s%s", t->id, h.name,
				 h.error,
				 res == HOP_NEXT && i + 1 < hops->n
					 ? ", trying next"
					 : "");
		}
		if (res == HOP_DONE && !h.in_data &&
		    stream_error(h.s) == STREAM_OK &&
		    rj->conf->forward_cache_time > 0)
			hop_cache(rj, &h, hops->v[i]);
		else
			hop_close(rj, &h, res != HOP_TEMPFAIL);
	}
	return res;
}

/* reinject_run - one copy per group of recipients, each to a next hop */
int
reinject_run(struct reinject *rj, struct txn *t)
{
	unsigned char *done = xcalloc(t->n_rcpts + 1, 1);
	struct hop_group g = {xcalloc(t->n_rcpts + 1, 1), NULL, NULL, 0};
	char last[1200];
	int delivered = 0, failed = 0;

	for (size_t first = 0; first < t->n_rcpts; first++) {
		const struct txn_rcpt *f = t->rcpts + first;

		if (done[first] || f->state != RCPT_PENDING)
			continue;
		/* Everyone whose copy is the same as first's. */
		memset(g.member, 0, t->n_rcpts);
		g.headers = f->headers;
		g.subject_tag = f->subject_tag;
		g.strip = f->local;
		for (size_t i = first; i < t->n_rcpts; i++) {
			const struct txn_rcpt *rc = t->rcpts + i;

			g.member[i] = !done[i] && rc->state == RCPT_PENDING &&
				      rc->headers == f->headers &&
				      rc->subject_tag == f->subject_tag &&
				      rc->local == f->local;
			done[i] |= g.member[i];
		}
		if (reinject_group(rj, t, &g, last, sizeof(last)) == HOP_DONE) {
			delivered++;
			continue;
		}
		failed++;
		for (size_t i = 0; i < t->n_rcpts; i++)
			if (g.member[i]) {
				rcpt_hop_forget(t->rcpts + i);
				rcpt_hop_unavailable(t, t->rcpts + i, last);
			}
	}
	free(g.member);
	free(done);
	clock_gettime(CLOCK_MONOTONIC, &t->t_forward);
	/* Nothing went anywhere: the message as a whole is failed. */
	if (failed > 0 && delivered == 0) {
		txn_set_error(t, TXN_ERR_FORWARD, "%s", last);
		return -1;
	}
	return 0;
}

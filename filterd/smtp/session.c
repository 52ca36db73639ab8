/*++
/* NAME
/*	session 3
/* SUMMARY
/*	one SMTP or LMTP client connection
/* DESCRIPTION
/*	See session.h. Commands dispatch through session_cmds[]. Replies
/*	are buffered and flushed when no more client input is waiting
/*	(PIPELINING), and always before a wait.
/*
/*	During DATA only the txn's error is recorded; it becomes a reply
/*	once, at end of data (STYLE rule 9).
/*--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd_parse.h"
#include "conf/conf.h"
#include "data.h"
#include "master/scoreboard.h"
#include "reply.h"
#include "session.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/inet.h"
#include "util/msg.h"
#include "util/safe.h"
#include "util/stream.h"
#include "util/xalloc.h"

#define SESSION_ERROR_LIMIT 20
/*
 * An address buffer: RFC 5321 4.5.3.1.3 allows a path of 256 octets,
 * angle brackets included, so an address of at most 254 (and its NUL).
 * A longer one is refused at MAIL or RCPT for good (501 5.1.7 / 5.1.3
 * "address too long"), as Postfix does past its limit: taken, it could
 * not be recorded (maddr.email is varbinary(255)) and would tempfail.
 */
#define SESSION_ADDR_MAX (254 + 1)

enum session_state {
	SESSION_GREETED, /* no HELO/EHLO/LHLO yet */
	SESSION_READY,	 /* no transaction */
	SESSION_MAIL,	 /* after MAIL */
	SESSION_RCPT,	 /* at least one RCPT */
};

/* XFORWARD attributes for the next transaction (decoded), or NULL. */
struct session_xforward {
	char *v[XF_COUNT];
};

struct session {
	struct session_ctx *ctx;
	const struct conf *conf;
	struct stream *s;
	char peer_addr[64];
	int peer_port;
	int in_mynetworks;
	int lmtp;
	int esmtp;
	char *helo;
	enum session_state state;
	struct session_xforward xf;
	struct txn *txn;
	int errors;
	int quit;
	char *line;
	struct buf reply;
	int64_t idle_since_ms; /* CLOCK_MONOTONIC: start, or last progress */
	int gave_up;	       /* a transaction ended without its message */
};

/*
 * One reply line: at most 512 octets with its CR LF (RFC 5321 4.5.3.1.5).
 * The formatted text may be longer (SESSION_RAW_MAX); the escaper then
 * cuts its tail and marks the cut, so the code and the id= in front stay.
 */
#define SESSION_REPLY_MAX 512
#define SESSION_RAW_MAX (2 * SESSION_REPLY_MAX)

/* session_vreply - queue one reply line, made safe */
static void
session_vreply(struct session *ss, const char *fmt, va_list ap)
{
	char raw[SESSION_RAW_MAX];
	char line[SESSION_REPLY_MAX - 1]; /* the text, its NUL for CR LF */
	int n;

	/*
	 * The one writer of replies: whatever a caller's arguments hold
	 * (file names, a next hop's reply), the client gets exactly one
	 * line of printable ASCII, so no text can pass for a reply of its
	 * own. A multi-line reply is one call per line ("250-...").
	 */
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		n = snprintf(raw, sizeof(raw), "451 4.3.0 Error: bad reply");
	(void)safe_reply_text(line, sizeof(line), raw,
			      (size_t)n < sizeof(raw) ? (size_t)n
						      : sizeof(raw) - 1);
	stream_puts(ss->s, line);
	stream_puts(ss->s, "\r\n");
}

/* session_reply - queue one reply line */
static void session_reply(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
session_reply(struct session *ss, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	session_vreply(ss, fmt, ap);
	va_end(ap);
}

/*
 * session_error - queue the reply to a client error, and count it
 *
 * Only the client's own mistakes (syntax, sequence, unknown command or
 * parameter, a command it may not use) count toward SESSION_ERROR_LIMIT.
 * What happened to a message or a recipient (a policy reject, a next
 * hop's refusal, a size limit) is news for the client, not its error: a
 * cached session carries many messages and must not end for them.
 */
static void session_error(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
session_error(struct session *ss, const char *fmt, ...)
{
	va_list ap;

	ss->errors++;
	va_start(ap, fmt);
	session_vreply(ss, fmt, ap);
	va_end(ap);
}

/* session_xforward_free - forget a set of XFORWARD attributes */
static void
session_xforward_free(struct session_xforward *xf)
{
	for (size_t i = 0; i < XF_COUNT; i++) {
		free(xf->v[i]);
		xf->v[i] = NULL;
	}
}

/* session_clock_ms - CLOCK_MONOTONIC in milliseconds */
static int64_t
session_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * session_progress - a message moved forward: a MAIL or RCPT taken
 * restarts the idle clock, unless a transaction was given up since the
 * last message (then only a message reaching end of data does, so that
 * MAIL, RCPT, RSET over and over keeps no child)
 */
static void
session_progress(struct session *ss)
{
	if (!ss->gave_up)
		ss->idle_since_ms = session_clock_ms();
}

/*
 * session_idle_left - seconds (rounded up) this session may still wait
 * for a command: smtpd_timeout since it started or its last progress
 * (session_progress; NOOP, RSET, HELO, VRFY and refusals are none);
 * 0 when that time is over.
 */
static int
session_idle_left(const struct session *ss)
{
	int64_t left = (int64_t)ss->conf->smtpd_timeout * 1000 -
		       (session_clock_ms() - ss->idle_since_ms);

	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/* session_reset - end any transaction (RSET, HELO, after DATA) */
static void
session_reset(struct session *ss)
{
	if (ss->txn) {
		ss->gave_up = 1; /* cmd_data clears it after a message */
		sb_slot_message_done(ss->ctx->slot);
		sb_slot_state(ss->ctx->slot, SB_GREETING);
		alarm(0); /* set at MAIL, only ever with a transaction */
	}
	txn_free(&ss->txn);
	session_xforward_free(&ss->xf);
	if (ss->state > SESSION_READY)
		ss->state = SESSION_READY;
}

/* cmd_helo - HELO, EHLO, LHLO */
static void
cmd_helo(struct session *ss, enum cmd_verb verb, char *arg)
{
	const struct conf *c = ss->conf;

	if ((verb == CMD_LHLO) != ss->lmtp) {
		session_error(ss,
			      "502 5.5.1 Error: this is an %s listener, "
			      "use %s",
			      ss->lmtp ? "LMTP" : "SMTP",
			      ss->lmtp ? "LHLO" : "EHLO or HELO");
		return;
	}
	if (*arg == 0) {
		session_error(ss, "501 5.5.4 Syntax: %s hostname",
			      verb == CMD_HELO	 ? "HELO"
			      : verb == CMD_EHLO ? "EHLO"
						 : "LHLO");
		return;
	}
	session_reset(ss);
	free(ss->helo);
	ss->helo = xstrdup(arg);
	ss->state = SESSION_READY;
	ss->esmtp = verb != CMD_HELO;
	if (verb == CMD_HELO) {
		session_reply(ss, "250 %s", c->myhostname);
		return;
	}
	session_reply(ss, "250-%s", c->myhostname);
	session_reply(ss, "250-PIPELINING");
	if (c->message_size_limit > 0)
		session_reply(ss, "250-SIZE %ld", c->message_size_limit);
	else
		session_reply(ss, "250-SIZE");
	session_reply(ss, "250-8BITMIME");
	session_reply(ss, "250-SMTPUTF8");
	session_reply(ss, "250-DSN");
	if (ss->in_mynetworks)
		session_reply(ss, "250-XFORWARD NAME ADDR PORT PROTO HELO "
				  "IDENT SOURCE");
	session_reply(ss, "250 ENHANCEDSTATUSCODES");
}

/* session_has_control - control characters have no place in a value */
static int
session_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* cmd_xforward - client attributes from the front MTA */
static void
cmd_xforward(struct session *ss, char *arg)
{
	struct session_xforward xf = {0};
	char *cursor = arg, *key, *value;
	int n = 0;

	if (!ss->in_mynetworks) {
		session_error(ss,
			      "550 5.7.0 Error: insufficient authorization");
		return;
	}
	if (ss->state == SESSION_GREETED) {
		session_error(ss, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (ss->state > SESSION_READY) {
		session_error(ss, "503 5.5.1 Error: MAIL transaction in "
				  "progress");
		return;
	}
	while (cmd_next_param(&cursor, &key, &value)) {
		size_t i;

		for (i = 0; i < XF_COUNT &&
			    strcasecmp(key, cmd_xforward_names[i]) != 0;
		     i++)
			;
		if (i == XF_COUNT || value == NULL || xtext_decode(value) < 0 ||
		    session_has_control(value)) {
			session_error(ss,
				      "501 5.5.4 Bad XFORWARD attribute "
				      "\"%.100s\"",
				      key);
			session_xforward_free(&xf);
			return;
		}
		/* Postfix sends these for "do not know". */
		if (strcmp(value, "[UNAVAILABLE]") == 0 ||
		    strcmp(value, "[TEMPUNAVAIL]") == 0)
			value = "";
		if (i == XF_ADDR && strncasecmp(value, "IPv6:", 5) == 0)
			value += 5;
		free(xf.v[i]);
		xf.v[i] = xstrdup(value);
		n++;
	}
	if (n == 0) {
		session_error(ss,
			      "501 5.5.4 Syntax: XFORWARD attribute=value...");
		return;
	}
	/* Attributes may come in several commands: merge them. */
	for (size_t i = 0; i < XF_COUNT; i++)
		if (xf.v[i]) {
			free(ss->xf.v[i]);
			ss->xf.v[i] = xf.v[i];
		}
	session_reply(ss, "250 2.0.0 Ok");
}

/* session_xf - an XFORWARD value, or NULL when absent or unknown */
static const char *
session_xf(struct txn *t, const char *v)
{
	return v && *v ? pool_strdup(t->pool, v) : NULL;
}

/* session_txn_begin - a new message with its client and bank */
static struct txn *
session_txn_begin(struct session *ss)
{
	struct txn *t = txn_create(ss->conf, ss->peer_addr, ss->peer_port);
	struct txn_client *cl = &t->client;
	struct cidr probe;
	const char *why;

	const char *const *xf = (const char *const *)ss->xf.v;

	if (xf[XF_ADDR] && cidr_parse(xf[XF_ADDR], &probe, &why) == 0) {
		cl->addr = pool_strdup(t->pool, xf[XF_ADDR]);
		cl->port = xf[XF_PORT] ? atoi(xf[XF_PORT]) : 0;
	}
	cl->name = session_xf(t, xf[XF_NAME]);
	cl->helo = session_xf(t, xf[XF_HELO] ? xf[XF_HELO] : ss->helo);
	cl->proto = session_xf(t, xf[XF_PROTO]);
	cl->ident = session_xf(t, xf[XF_IDENT]);
	cl->source = session_xf(t, xf[XF_SOURCE]);
	bank_select(ss->conf, ss->ctx->listen->bank, cl->addr, &t->bank);
	return t;
}

/* cmd_mail - MAIL FROM:<sender> params */
static void
cmd_mail(struct session *ss, char *arg)
{
	const struct conf *c = ss->conf;
	char addr[SESSION_ADDR_MAX];
	const char *params;
	char *cursor, *key, *value;
	struct txn *t;

	if (ss->state == SESSION_GREETED) {
		session_error(ss, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (ss->state > SESSION_READY) {
		session_error(ss, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	switch (cmd_parse_path(arg, "FROM:", addr, sizeof(addr), &params)) {
	case CMD_OK:
		break;
	case CMD_ERR_TOOLONG:
		session_error(ss, "501 5.1.7 Sender address too long");
		return;
	default:
		session_error(ss, "501 5.1.7 Bad sender address syntax");
		return;
	}
	t = session_txn_begin(ss);
	t->sender = pool_strdup(t->pool, addr);
	cursor = pool_strdup(t->pool, params);
	while (cmd_next_param(&cursor, &key, &value)) {
		if (!ss->esmtp) {
			session_error(ss, "555 5.5.4 Error: parameters need "
					  "EHLO");
			goto bad;
		}
		if (strcasecmp(key, "SIZE") == 0 && value &&
		    strspn(value, "0123456789") == strlen(value) && *value) {
			if (c->message_size_limit > 0 &&
			    (strlen(value) > 18 ||
			     atoll(value) > c->message_size_limit)) {
				session_reply(ss, "552 5.3.4 Message size "
						  "exceeds fixed limit");
				goto bad;
			}
		} else if (strcasecmp(key, "BODY") == 0 && value &&
			   (strcasecmp(value, "7BIT") == 0 ||
			    strcasecmp(value, "8BITMIME") == 0)) {
			t->body_8bitmime = strcasecmp(value, "8BITMIME") == 0;
		} else if (strcasecmp(key, "SMTPUTF8") == 0 && value == NULL) {
			t->smtputf8 = 1;
		} else if (strcasecmp(key, "RET") == 0 && value &&
			   (strcasecmp(value, "FULL") == 0 ||
			    strcasecmp(value, "HDRS") == 0)) {
			t->ret = value;
		} else if (strcasecmp(key, "ENVID") == 0 && value && *value) {
			t->envid = value;
		} else if (strcasecmp(key, "AUTH") == 0 && value) {
			/* Accepted and dropped, as an MTA without AUTH may. */
		} else {
			session_error(ss,
				      "555 5.5.4 Unsupported option: %.100s",
				      key);
			goto bad;
		}
	}
	ss->txn = t;
	ss->state = SESSION_MAIL;
	t->slot = ss->ctx->slot;
	t->checks = ss->ctx->checks;
	t->cctx = ss->ctx->cctx;
	t->storage = ss->ctx->storage;
	t->lookup = ss->ctx->lookup;
	/* LMTP tells each refusal to the front MTA; SMTP has one reply. */
	t->one_reply = !ss->lmtp;
	sb_slot_message(t->slot, t->id, t->client.ident);
	sb_slot_state(t->slot, SB_RECEIVING);
	/* The whole message, from here to our reply, has child_timeout. */
	alarm((unsigned)c->child_timeout);
	session_progress(ss);
	session_reply(ss, "250 2.1.0 Ok");
	return;
bad:
	txn_free(&t);
}

/* cmd_rcpt - RCPT TO:<recipient> params */
static void
cmd_rcpt(struct session *ss, char *arg)
{
	char addr[SESSION_ADDR_MAX];
	struct buf keep;
	const char *params;
	char *cursor, *key, *value;
	struct txn *t = ss->txn;

	if (ss->state < SESSION_MAIL) {
		session_error(ss, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (t->n_rcpts >= (size_t)ss->conf->max_recipients) {
		session_reply(ss, "452 4.5.3 Error: too many recipients");
		return;
	}
	switch (cmd_parse_path(arg, "TO:", addr, sizeof(addr), &params)) {
	case CMD_OK:
		if (addr[0])
			break;
		/* FALLTHROUGH */
	case CMD_ERR_SYNTAX:
		session_error(ss, "501 5.1.3 Bad recipient address syntax");
		return;
	case CMD_ERR_TOOLONG:
		session_error(ss, "501 5.1.3 Recipient address too long");
		return;
	}
	buf_init(&keep, 128);
	cursor = pool_strdup(t->pool, params);
	while (cmd_next_param(&cursor, &key, &value)) {
		if (ss->esmtp && value &&
		    (strcasecmp(key, "NOTIFY") == 0 ||
		     strcasecmp(key, "ORCPT") == 0)) {
			/* DSN parameters travel on to the next hop. */
			buf_printf(&keep, "%s%s=%s", keep.len ? " " : "", key,
				   value);
			continue;
		}
		session_error(ss, "555 5.5.4 Unsupported option: %.100s", key);
		buf_release(&keep);
		return;
	}
	txn_add_rcpt(t, addr, keep.data);
	buf_release(&keep);
	ss->state = SESSION_RCPT;
	session_progress(ss);
	session_reply(ss, "250 2.1.5 Ok");
}

/* The DATA sink: content goes to the spool until the size limit. */
struct session_data {
	struct txn *txn;
	long limit;
	off_t size;
};

/* session_data_emit - decoded DATA bytes into the spool, within the limit */
static void
session_data_emit(void *ctx, const char *bytes, size_t n)
{
	struct session_data *d = ctx;

	d->size += (off_t)n;
	if (d->txn->slot)
		d->txn->slot->bytes = (uint64_t)d->size;
	if (d->limit > 0 && d->size > d->limit) {
		if (d->txn->error == TXN_OK)
			txn_set_error(d->txn, TXN_ERR_SIZE,
				      "message exceeds %ld bytes", d->limit);
		return;
	}
	if (d->txn->error == TXN_OK)
		spool_write(d->txn->spool, bytes, n);
}

/* session_receive - read the message into the spool; -1: client gone */
static int
session_receive(struct session *ss, struct txn *t)
{
	struct session_data d = {t, ss->conf->message_size_limit, 0};
	struct data_decoder dec;
	char err[512];
	int done = 0;

	data_decoder_init(&dec);
	while (!done) {
		const char *p;
		ssize_t n = stream_peek(ss->s, &p);

		if (n < 0)
			return -1;
		stream_consume(ss->s,
			       data_decode(&dec, p, (size_t)n,
					   session_data_emit, &d, &done));
	}
	clock_gettime(CLOCK_MONOTONIC, &t->t_data);
	t->size = d.size;
	if (t->error == TXN_OK && spool_commit(t->spool, err, sizeof(err)) < 0)
		txn_set_error(t, TXN_ERR_SPOOL, "%s", err);
	return 0;
}

/* session_finish - run the pipeline and reply for one message */
static void
session_finish(struct session *ss, struct txn *t)
{
	if (t->error == TXN_OK)
		(void)txn_run(t, TXN_STAGES_ALL, ss->ctx->rj);
	else
		(void)txn_run(t, TXN_STAGE_BIT(TXN_STAGE_LOG), NULL);
	sb_slot_state(t->slot, SB_REPLYING);
	if (ss->lmtp) {
		for (size_t i = 0; i < t->n_rcpts; i++) {
			reply_recipient(t, i, &ss->reply);
			session_reply(ss, "%s", ss->reply.data);
		}
	} else {
		reply_message(t, &ss->reply);
		session_reply(ss, "%s", ss->reply.data);
	}
}

/* cmd_data - receive, check, forward, then reply */
static void
cmd_data(struct session *ss, char *arg)
{
	struct txn *t = ss->txn;
	char err[512];

	if (ss->state < SESSION_RCPT) {
		session_error(ss,
			      ss->state == SESSION_MAIL
				      ? "503 5.5.1 Error: need RCPT command"
				      : "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (*arg) {
		session_error(ss, "501 5.5.4 Syntax: DATA");
		return;
	}
	t->spool = spool_create(ss->conf->tmp_dir, t->id, err, sizeof(err));
	if (t->spool == NULL) {
		msg_error("%s: %s", t->id, err);
		session_reply(ss, "451 4.3.0 Error: cannot spool the message");
		return;
	}
	session_reply(ss, "354 End data with <CR><LF>.<CR><LF>");
	if (stream_flush(ss->s) < 0)
		goto lost;
	if (session_receive(ss, t) < 0)
		goto lost;
	session_finish(ss, t);
	ss->ctx->messages++;
	if (ss->ctx->slot)
		ss->ctx->slot->messages++;
	if (ss->ctx->messages == ss->ctx->max_messages && ss->ctx->last_session)
		ss->ctx->last_session();
	session_reset(ss);
	ss->gave_up = 0;
	session_progress(ss);
	return;
lost:
	msg_info("%s: %s from [%s]:%d during DATA, message not accepted", t->id,
		 stream_strerror(ss->s), ss->peer_addr, ss->peer_port);
	if (stream_error(ss->s) == STREAM_TIMEOUT)
		session_reply(ss, "421 4.4.2 %s Error: timeout exceeded",
			      ss->conf->myhostname);
	session_reset(ss);
	ss->quit = 1;
}

/* session_dispatch - one command line */
static void
session_dispatch(struct session *ss, char *line)
{
	const char *arg;
	enum cmd_verb verb = cmd_parse_verb(line, &arg);
	char *a = (char *)arg;

	switch (verb) {
	case CMD_HELO:
	case CMD_EHLO:
	case CMD_LHLO:
		cmd_helo(ss, verb, a);
		break;
	case CMD_XFORWARD:
		cmd_xforward(ss, a);
		break;
	case CMD_MAIL:
		cmd_mail(ss, a);
		break;
	case CMD_RCPT:
		cmd_rcpt(ss, a);
		break;
	case CMD_DATA:
		cmd_data(ss, a);
		break;
	case CMD_RSET:
		session_reset(ss);
		session_reply(ss, "250 2.0.0 Ok");
		break;
	case CMD_NOOP:
		session_reply(ss, "250 2.0.0 Ok");
		break;
	case CMD_QUIT:
		session_reply(ss, "221 2.0.0 Bye");
		ss->quit = 1;
		break;
	case CMD_VRFY:
		session_error(ss, "502 5.5.1 VRFY command is disabled");
		break;
	case CMD_UNKNOWN:
		session_error(ss, "502 5.5.2 Error: command not recognized");
		break;
	}
}

/*
 * session_stopping - told to stop (a drain, a lost master). max_requests
 * and a new generation end the child only between sessions (the
 * skeleton), as amavisd-new's do: Postfix carries many messages over one
 * session, and a 421 in its middle would only make it open another.
 */
static int
session_stopping(const struct session *ss)
{
	return *ss->ctx->stop;
}

/*
 * session_retired_long - retired by a reload smtpd_timeout seconds ago
 * or more (*retired_at: when this session first saw it, 0 before)
 */
static int
session_retired_long(const struct session *ss, time_t *retired_at)
{
	if (ss->ctx->retire == NULL || !*ss->ctx->retire)
		return 0;
	if (*retired_at == 0)
		*retired_at = time(NULL);
	return time(NULL) - *retired_at >= ss->conf->smtpd_timeout;
}

/* session_run - serve one connection */
void
session_run(struct session_ctx *ctx, int fd)
{
	const struct conf *c = ctx->conf;
	struct session ss = {0};
	size_t line_size = (size_t)c->command_line_limit + 1;
	time_t retired_at = 0;
	int too_long, idle_left;

	ss.ctx = ctx;
	ss.conf = c;
	ss.lmtp = ctx->listen->protocol == CONF_PROTO_LMTP;
	inet_peer(fd, ss.peer_addr, sizeof(ss.peer_addr), &ss.peer_port);
	ss.in_mynetworks = cidr_list_match(c->mynetworks, c->n_mynetworks,
					   ss.peer_addr);
	ss.s = stream_open(fd, 65536);
	stream_set_timeout(ss.s, c->smtpd_timeout);
	ss.idle_since_ms = session_clock_ms();
	ss.line = xmalloc(line_size);
	buf_init(&ss.reply, 256);
	session_reply(&ss, "220 %s %s filterd", c->myhostname,
		      ss.lmtp ? "LMTP" : "ESMTP");

	while (!ss.quit) {
		ssize_t len;

		/* Between transactions a stop request ends the session. */
		stream_set_interrupt(ss.s,
				     ss.state <= SESSION_READY
					     ? (volatile const int *)ctx->stop
					     : NULL);
		if (stream_pending(ss.s) == 0 && stream_flush(ss.s) < 0)
			break;
		/* Only a message moves the idle clock (session.h). */
		if ((idle_left = session_idle_left(&ss)) == 0) {
			msg_info("session from [%s]:%d ended: no message in "
				 "%d s",
				 ss.peer_addr, ss.peer_port, c->smtpd_timeout);
			session_reply(&ss,
				      "421 4.4.2 %s Error: timeout exceeded",
				      c->myhostname);
			break;
		}
		stream_set_timeout(ss.s, idle_left);
		len = stream_get_line(ss.s, ss.line, line_size, &too_long);
		/* DATA has smtpd_timeout for each read. */
		stream_set_timeout(ss.s, c->smtpd_timeout);
		if (len < 0) {
			if (stream_error(ss.s) == STREAM_TIMEOUT) {
				session_reply(&ss,
					      "421 4.4.2 %s Error: timeout "
					      "exceeded",
					      c->myhostname);
			} else if (stream_error(ss.s) == STREAM_INTERRUPTED) {
				stream_clear_interrupt(ss.s);
				session_reply(&ss,
					      "421 4.3.2 %s Service "
					      "shutting down",
					      c->myhostname);
			}
			break;
		}
		if (session_stopping(&ss) && ss.state <= SESSION_READY &&
		    cmd_parse_verb(ss.line, &(const char *){0}) != CMD_QUIT) {
			session_reply(&ss, "421 4.3.2 %s Service shutting down",
				      c->myhostname);
			break;
		}
		/*
		 * A reload's old child: the session is bounded (session.h),
		 * with a transaction open too (MAIL, RCPT given: nothing is
		 * accepted yet, so a 421 loses nothing). DATA is read whole
		 * inside session_dispatch(): this is never within it.
		 */
		if (session_retired_long(&ss, &retired_at) &&
		    cmd_parse_verb(ss.line, &(const char *){0}) != CMD_QUIT) {
			msg_info("session from [%s]:%d ended: configuration "
				 "reloaded %d s ago",
				 ss.peer_addr, ss.peer_port, c->smtpd_timeout);
			session_reply(&ss,
				      "421 4.3.2 %s Service restarting, try "
				      "again",
				      c->myhostname);
			break;
		}
		if (too_long)
			session_error(&ss, "500 5.5.2 Error: command line too "
					   "long");
		else if (len == 0)
			session_error(&ss, "500 5.5.2 Error: bad syntax");
		else
			session_dispatch(&ss, ss.line);
		if (ss.errors >= SESSION_ERROR_LIMIT) {
			session_reply(&ss,
				      "421 4.7.0 %s Error: too many errors",
				      c->myhostname);
			break;
		}
	}
	(void)stream_flush(ss.s);
	session_reset(&ss);
	free(ss.helo);
	free(ss.line);
	buf_release(&ss.reply);
	stream_close(&ss.s);
}

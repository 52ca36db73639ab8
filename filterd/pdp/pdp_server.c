/*++
/* NAME
/*	pdp_server 3
/* SUMMARY
/*	the AM.PDP service: one connection, many requests
/* SYNOPSIS
/*	#include "pdp/pdp_server.h"
/* DESCRIPTION
/*	See pdp_server.h. A request's attributes live in a pool made per
/*	request; a request that went wrong while it was read keeps only
/*	its first error, and the rest of it is read (to its empty line)
/*	and dropped, so that the next request starts in step.
/*--*/

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master/scoreboard.h"
#include "pdp/pdp_proto.h"
#include "pdp/pdp_release.h"
#include "pdp/pdp_server.h"
#include "smtp/session.h"
#include "util/buf.h"
#include "util/inet.h"
#include "util/msg.h"
#include "util/pool.h"
#include "util/stream.h"
#include "util/xalloc.h"

/* What a refused client may still send, read and dropped before close. */
#define PDP_LINGER_BYTES 4096
#define PDP_LINGER_MS 1000

/* Attribute lines one request may have (recipients are most of them). */
#define PDP_ATTRS_MAX(c) ((size_t)(c)->max_recipients + 64)

struct pdp_conn {
	struct session_ctx *ctx;
	struct stream *s;
	char peer[64];
	struct buf out;
	struct pool *pool;	/* the request's, made at its first line */
	struct pdp_request req; /* strings from pool */
	size_t n_lines;
	long long started_ms; /* the request's first line, monotonic */
	size_t rcpt_cap;
	int logged_unknown; /* an unknown attribute was logged */
	char error[512];    /* "CODE X.Y.Z reason" of a broken request */
};

static void pdp_error(struct pdp_conn *pc, const char *fmt, ...)
	MSG_PRINTF(2, 3);

/* pdp_error - remember the first thing wrong with the request */
static void
pdp_error(struct pdp_conn *pc, const char *fmt, ...)
{
	va_list ap;

	if (pc->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(pc->error, sizeof(pc->error), fmt, ap);
	va_end(ap);
}

/* pdp_reset - forget the request in hand */
static void
pdp_reset(struct pdp_conn *pc)
{
	if (pc->pool)
		pool_destroy(&pc->pool);
	memset(&pc->req, 0, sizeof(pc->req));
	pc->n_lines = 0;
	pc->rcpt_cap = 0;
	pc->logged_unknown = 0;
	pc->error[0] = 0;
}

/* pdp_single - a single-valued attribute: the last one given counts */
static const char **
pdp_single(struct pdp_request *r, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} attrs[] = {
		{"mail_id", offsetof(struct pdp_request, mail_id)},
		{"secret_id", offsetof(struct pdp_request, secret_id)},
		{"partition_tag", offsetof(struct pdp_request, partition_tag)},
		{"quar_type", offsetof(struct pdp_request, quar_type)},
		{"mail_file", offsetof(struct pdp_request, mail_file)},
		{"sender", offsetof(struct pdp_request, sender)},
		{"requested_by", offsetof(struct pdp_request, requested_by)},
	};

	for (size_t i = 0; i < sizeof(attrs) / sizeof(*attrs); i++)
		if (strcmp(attrs[i].name, name) == 0)
			return (const char **)((char *)r + attrs[i].off);
	return NULL;
}

/* pdp_attr - take one line of a request */
static void
pdp_attr(struct pdp_conn *pc, char *line)
{
	const struct conf *c = pc->ctx->conf;
	struct pdp_request *r = &pc->req;
	char why[128];
	char *name;
	char *value;
	const char **slot;

	if (pc->error[0])
		return;
	if (++pc->n_lines > PDP_ATTRS_MAX(c)) {
		pdp_error(pc, "500 5.5.3 Too many attributes (over %zu)",
			  PDP_ATTRS_MAX(c));
		return;
	}
	if (pdp_parse_line(line, &name, &value, why, sizeof(why)) < 0) {
		pdp_error(pc, "500 5.5.2 Bad attribute line %zu: %s",
			  pc->n_lines, why);
		return;
	}
	if (pc->n_lines == 1) {
		if (strcmp(name, "request") != 0)
			pdp_error(pc,
				  "500 5.5.2 The first attribute must be "
				  "request=, not %.100s=",
				  name);
		else
			r->request = pool_strdup(pc->pool, value);
		return;
	}
	if (strcmp(name, "request") == 0) {
		pdp_error(pc, "500 5.5.2 request= given twice (an empty line "
			      "ends a request)");
	} else if (strcmp(name, "recipient") == 0) {
		if (r->n_recipients == pc->rcpt_cap) {
			const char **old = r->recipients;

			pc->rcpt_cap = pc->rcpt_cap ? 2 * pc->rcpt_cap : 8;
			r->recipients = pool_alloc(
				pc->pool, pc->rcpt_cap * sizeof(char *));
			if (r->n_recipients)
				memcpy(r->recipients, old,
				       r->n_recipients * sizeof(char *));
		}
		r->recipients[r->n_recipients++] = pool_strdup(pc->pool, value);
	} else if ((slot = pdp_single(r, name)) != NULL) {
		*slot = pool_strdup(pc->pool, value);
	} else {
		/* amavisd-new ignores unknown attributes too (log level 1);
		 * one line per request, however many it has. */
		if (!pc->logged_unknown++)
			msg_info("pdp [%s]: ignoring attribute %.64s", pc->peer,
				 name);
	}
}

/* pdp_reply_line - one setreply= line for "CODE X.Y.Z text" */
static void
pdp_reply_line(struct buf *out, const char *reply)
{
	char *copy = xstrdup(reply);
	char *code;
	char *xcode;
	char *text;

	(void)pdp_split_reply(copy, &code, &xcode, &text);
	pdp_write_setreply(out, code, xcode, text);
	free(copy);
}

/* pdp_request_done - answer the request in hand, whole or broken */
static void
pdp_request_done(struct pdp_conn *pc)
{
	const struct conf *c = pc->ctx->conf;
	struct pdp_request *r = &pc->req;

	if (pc->error[0] == 0 && r->request &&
	    strcmp(r->request, "release") != 0 &&
	    strcmp(r->request, "requeue") != 0)
		pdp_error(pc,
			  "502 5.5.1 Unknown or unsupported request: %.100s",
			  r->request);
	if (pc->error[0]) {
		msg_info("pdp [%s]: request refused: %s", pc->peer, pc->error);
		pdp_reply_line(&pc->out, pc->error);
	} else {
		/* Bounded like a message: a stuck release is killed (the
		 * client sees the connection drop, never a false 2xx). */
		alarm((unsigned)c->child_timeout);
		pdp_release(pc->ctx, pc->ctx->listen->bank, pc->peer, r,
			    &pc->out);
		alarm(0);
	}
	buf_puts(&pc->out, "\r\n");
	stream_write(pc->s, pc->out.data, pc->out.len);
	buf_reset(&pc->out);
	pdp_reset(pc);
}

/* pdp_now_ms - monotonic milliseconds */
static long long
pdp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * pdp_linger - send what is written, then read (and drop) what the
 * client sent: closing with unread input would reset the connection
 * and lose the reply on its way. Bounded in bytes and in time (about
 * a second, whatever the client sends): a client told to go away must
 * not keep the child.
 */
static void
pdp_linger(struct pdp_conn *pc)
{
	long long end = pdp_now_ms() + PDP_LINGER_MS;
	size_t total = 0;
	const char *data;
	ssize_t n;

	if (stream_flush(pc->s) < 0)
		return;
	(void)shutdown(stream_fd(pc->s), SHUT_WR);
	stream_set_timeout(pc->s, 1);
	while (total < PDP_LINGER_BYTES && pdp_now_ms() < end &&
	       (n = stream_peek(pc->s, &data)) > 0) {
		stream_consume(pc->s, (size_t)n);
		total += (size_t)n;
	}
}

/* pdp_refuse - answer "CODE X.Y.Z text" alone, then let the client go */
static void
pdp_refuse(struct pdp_conn *pc, const char *reply)
{
	pdp_reply_line(&pc->out, reply);
	buf_puts(&pc->out, "\r\n");
	stream_write(pc->s, pc->out.data, pc->out.len);
	pdp_linger(pc);
}

/* pdp_share - how many children may serve AM.PDP at once */
static unsigned
pdp_share(const struct conf *c)
{
	return c->max_servers / 2 > 0 ? (unsigned)c->max_servers / 2 : 1;
}

/*
 * pdp_enter - mark this child as serving AM.PDP; -1 (unmarked) when
 * the share of the pool AM.PDP may have is still taken after a second.
 * Marking first and counting after errs on the side of refusing: two
 * children that race may both refuse, never both overshoot. The wait
 * is for the child that served the client before: a client that runs
 * one release after another connects again before that child has read
 * the end of the last connection. Without a scoreboard (a unit test)
 * there is no share.
 */
static int
pdp_enter(struct session_ctx *ctx)
{
	const struct timespec pause = {0, 50 * 1000 * 1000};

	if (ctx->slot == NULL || ctx->sb == NULL)
		return 0;
	for (int tries = 0; tries < 20; tries++) {
		__atomic_store_n(&ctx->slot->pdp, 1, __ATOMIC_SEQ_CST);
		if (sb_count_pdp(ctx->sb) <= pdp_share(ctx->conf))
			return 0;
		__atomic_store_n(&ctx->slot->pdp, 0, __ATOMIC_SEQ_CST);
		if (ctx->stop && *ctx->stop)
			break;
		(void)nanosleep(&pause, NULL);
	}
	return -1;
}

/* pdp_serve - serve one AM.PDP connection */
void
pdp_serve(struct session_ctx *ctx, int fd)
{
	const struct conf *c = ctx->conf;
	struct pdp_conn pc = {0};
	size_t line_size = PDP_LINE_MAX + 1;
	char *line = xmalloc(line_size);
	int too_long;
	int port = 0;

	pc.ctx = ctx;
	if (ctx->listen->unix_socket)
		snprintf(pc.peer, sizeof(pc.peer), "unix");
	else
		inet_peer(fd, pc.peer, sizeof(pc.peer), &port);
	pc.s = stream_open(fd, 16384);
	/* AM.PDP sessions are short: a client that does not keep up is let
	 * go, and a stop request ends the connection even in the middle of
	 * a request (a half-read request holds nothing). */
	stream_set_timeout(pc.s, c->pdp_timeout);
	stream_set_interrupt(pc.s, (volatile const int *)ctx->stop);
	buf_init(&pc.out, 512);
	/* SMTP is what the pool is for: AM.PDP gets half of it at most. */
	if (pdp_enter(ctx) < 0) {
		msg_warn("pdp: connection from [%s] refused: %u children "
			 "already serve AM.PDP (half of max_servers)",
			 pc.peer, pdp_share(c));
		pdp_refuse(&pc, "421 4.3.2 Too many AM.PDP connections, "
				"try again later");
		goto done;
	}
	if (!ctx->listen->unix_socket &&
	    !cidr_list_match(c->pdp_clients, c->n_pdp_clients, pc.peer)) {
		msg_warn("pdp: connection from [%s]:%d refused: not in "
			 "pdp_clients",
			 pc.peer, port);
		pdp_refuse(&pc, "554 5.7.1 Client address not allowed "
				"(pdp_clients)");
		goto done;
	}
	for (;;) {
		ssize_t len;

		if (stream_pending(pc.s) == 0 && stream_flush(pc.s) < 0)
			break;
		if ((ctx->stop && *ctx->stop) ||
		    (pc.n_lines == 0 && ctx->retire && *ctx->retire))
			break;
		len = stream_get_line(pc.s, line, line_size, &too_long);
		if (len < 0) {
			if (pc.n_lines > 0 &&
			    stream_error(pc.s) == STREAM_TIMEOUT)
				msg_info("pdp [%s]: timeout in a request after "
					 "line %zu",
					 pc.peer, pc.n_lines);
			break;
		}
		/* A whole request within pdp_timeout: a client that sends
		 * a line now and then must not keep the child. */
		if (pc.n_lines > 0 &&
		    pdp_now_ms() - pc.started_ms > 1000LL * c->pdp_timeout) {
			msg_info("pdp [%s]: request not complete within "
				 "pdp_timeout (%d s)",
				 pc.peer, c->pdp_timeout);
			pdp_refuse(&pc, "421 4.4.2 Request not complete "
					"within pdp_timeout");
			break;
		}
		if (len == 0 && !too_long) {
			/* An empty line before any attribute is no request. */
			if (pc.n_lines > 0)
				pdp_request_done(&pc);
			continue;
		}
		if (pc.pool == NULL) {
			pc.pool = pool_create(4096);
			pc.started_ms = pdp_now_ms();
		}
		if (too_long) {
			pc.n_lines++;
			pdp_error(&pc,
				  "500 5.5.2 Line %zu too long (over %d bytes)",
				  pc.n_lines, PDP_LINE_MAX);
			continue;
		}
		if (memchr(line, 0, (size_t)len) != NULL) {
			pc.n_lines++;
			pdp_error(&pc, "500 5.5.2 NUL byte in line %zu",
				  pc.n_lines);
			continue;
		}
		pdp_attr(&pc, line);
	}
done:
	if (ctx->slot)
		__atomic_store_n(&ctx->slot->pdp, 0, __ATOMIC_SEQ_CST);
	(void)stream_flush(pc.s);
	pdp_reset(&pc);
	buf_release(&pc.out);
	free(line);
	stream_close(&pc.s);
}

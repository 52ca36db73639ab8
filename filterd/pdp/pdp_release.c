/*++
/* NAME
/*	pdp_release 3
/* SUMMARY
/*	release or requeue one quarantined message (AM.PDP)
/* SYNOPSIS
/*	#include "pdp/pdp_release.h"
/* DESCRIPTION
/*	See pdp_release.h. The stored copy is first read whole into a
/*	scratch spool file in the child's directory (SQL chunks, or the
/*	file, through quarantine/quar_read.h, which --show uses too), bare LF
/*	made CR LF; its header section is then rewritten into the spool
/*	file of a txn made for the release (txn_create), and the body
/*	copied after it, so that the release goes out through the same
/*	reinject_run() as any message: same fallback, same replies.
/*--*/

#include <ctype.h>
#include <errno.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "db/db.h"
#include "master/scoreboard.h"
#include "pdp/pdp_proto.h"
#include "pdp/pdp_release.h"
#include "policy/bank.h"
#include "quarantine/quar_env.h"
#include "quarantine/quar_read.h"
#include "reinject/copy.h"
#include "reinject/reinject.h"
#include "smtp/session.h"
#include "spool/spool.h"
#include "txn/mailid.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/xalloc.h"

/* The state of one release while it is done. */
struct pdp_rel {
	const struct conf *conf;
	struct session_ctx *ctx;
	const struct pdp_request *req;
	int requeue;
	char mail_id[256];
	int partition; /* -1: unknown */
	char quar_type;
	char mail_file[300];
	int mail_file_asked; /* mail_file came from the request */
	struct spool *raw;   /* the stored copy, CR LF */
	int last_cr;	     /* raw: the last byte written was CR */
	unsigned long n_chunks;
	const char *sender;  /* from the copy, or NULL */
	struct buf blocked;  /* X-Envelope-To-Blocked, unfolded */
	const char *quar_id; /* X-Quarantine-ID, unbracketed, or NULL */
	char failure[600];   /* why it cannot be done */
};

static void pdp_fail(struct pdp_rel *r, const char *fmt, ...) MSG_PRINTF(2, 3);

/* pdp_fail - remember why the release cannot be done (the first reason) */
static void
pdp_fail(struct pdp_rel *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->failure, sizeof(r->failure), fmt, ap);
	va_end(ap);
}

/* pdp_setreply - one setreply= line of a numeric code */
static void
pdp_setreply(struct buf *out, int code, const char *xcode, const char *text)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", code);
	pdp_write_setreply(out, num, xcode, text);
}

/* pdp_tempfail - amavis' answer to a request that cannot be done */
static void
pdp_tempfail(struct buf *out, const char *why)
{
	char text[700];

	snprintf(text, sizeof(text), "Failure: %s", why);
	pdp_setreply(out, 450, "4.5.0", text);
	pdp_write_attr(out, "return_value", "tempfail");
	pdp_write_attr(out, "exit_code", "75");
}

/* pdp_mail_id_ok - amavis' ^[A-Za-z0-9][A-Za-z0-9_+-]*={0,2}$, bounded */
int
pdp_mail_id_ok(const char *id)
{
	size_t n = strlen(id), i, eq = 0;

	/* Our own ids are 12 base64url characters: '-' or '_' may lead. */
	if (mailid_valid(id))
		return 1;
	if (n == 0 || n > 64 || !isalnum((unsigned char)id[0]))
		return 0;
	for (i = 1; i < n && id[i] != '='; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '_' &&
		    id[i] != '+' && id[i] != '-')
			return 0;
	for (; i < n; i++, eq++)
		if (id[i] != '=')
			return 0;
	return eq <= 2;
}

/* pdp_mail_file_ok - relative, safe charset, no ".." component */
int
pdp_mail_file_ok(const char *path)
{
	return quar_read_path_ok(path);
}

/* pdp_raw_write - append stored bytes to the raw copy, bare LF as CR LF */
static void
pdp_raw_write(struct pdp_rel *r, const char *data, size_t len)
{
	size_t from = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' &&
		    !(i > 0 ? data[i - 1] == '\r' : r->last_cr)) {
			spool_write(r->raw, data + from, i - from);
			spool_write(r->raw, "\r", 1);
			from = i;
		}
	}
	spool_write(r->raw, data + from, len - from);
	if (len)
		r->last_cr = data[len - 1] == '\r';
}

/* pdp_raw_sink - a piece of the stored copy (quar_read.h) */
static void
pdp_raw_sink(void *ctx, const char *data, size_t len)
{
	pdp_raw_write(ctx, data, len);
}

/* pdp_sql_locate - partition, quar_type and location from msgs */
static int
pdp_sql_locate(struct pdp_rel *r, MYSQL *c)
{
	struct quar_where w;
	char err[512];

	if (quar_read_where(c, r->mail_id, r->partition, &w, err, sizeof(err)) <
	    0) {
		pdp_fail(r, "SQL: %s", err);
		return -1;
	}
	if (w.rows > 1) {
		pdp_fail(r,
			 "Multiple (%d) records with same mail_id exist, "
			 "specify a partition_tag",
			 w.rows);
		return -1;
	}
	if (w.rows == 0)
		return 0; /* amavis still tries the quarantine */
	r->partition = w.partition;
	if (r->quar_type == 0 && w.quar_type)
		r->quar_type = w.quar_type;
	if ((r->quar_type == 'F' || r->quar_type == 'Z') &&
	    r->mail_file[0] == 0 && w.quar_type == r->quar_type &&
	    quar_read_path_ok(w.quar_loc))
		snprintf(r->mail_file, sizeof(r->mail_file), "%s", w.quar_loc);
	return 0;
}

/* pdp_sql_fetch - the quarantine chunks into the raw copy */
static int
pdp_sql_fetch(struct pdp_rel *r, MYSQL *c)
{
	char err[512];

	if (r->partition < 0) {
		pdp_fail(r, "mail_id %s not found in SQL (msgs)", r->mail_id);
		return -1;
	}
	if (quar_read_sql(c, r->mail_id, r->partition, pdp_raw_sink, r,
			  &r->n_chunks, err, sizeof(err)) < 0) {
		pdp_fail(r, "SQL: %s", err);
		return -1;
	}
	if (r->n_chunks == 0) {
		pdp_fail(r, "no quarantined copy of %s in partition %d",
			 r->mail_id, r->partition);
		return -1;
	}
	return 0;
}

/* pdp_file_fetch - the quarantine file into the raw copy */
static int
pdp_file_fetch(struct pdp_rel *r)
{
	char err[600], type = 0;

	if (r->mail_file[0] == 0) {
		if (!quar_read_find(r->conf->quarantine_dir, r->mail_id,
				    r->mail_file, sizeof(r->mail_file),
				    &type)) {
			pdp_fail(r, "no quarantine file for mail_id %s",
				 r->mail_id);
			return -1;
		}
		if (r->quar_type == 0)
			r->quar_type = type;
	}
	if (quar_read_file(r->conf->quarantine_dir, r->mail_file, pdp_raw_sink,
			   r, err, sizeof(err)) < 0) {
		pdp_fail(r, "%s", err);
		return -1;
	}
	return 0;
}

/* pdp_field_is - does the field at f (up to its ':') have this name? */
static int
pdp_field_is(const char *f, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncasecmp(f, name, n) == 0 && f[n] == ':';
}

/* pdp_field_prefix - does the field's name start with prefix? */
static int
pdp_field_prefix(const char *f, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len > n && strncasecmp(f, prefix, n) == 0;
}

/* pdp_stripped - a field amavis' release leaves out (Notify.pm) */
static int
pdp_stripped(const char *f, size_t len)
{
	static const char *const amavis[] = {
		"Hold",	   "Alert",	 "Modified",
		"PenPals", "PolicyBank", "OS-Fingerprint",
	};
	char name[64];

	if (pdp_field_prefix(f, len, "X-Spam-") ||
	    pdp_field_prefix(f, len, "X-CRM114-"))
		return 1;
	for (size_t i = 0; i < sizeof(amavis) / sizeof(*amavis); i++) {
		snprintf(name, sizeof(name), "X-Amavis-%s", amavis[i]);
		if (pdp_field_is(f, len, name))
			return 1;
	}
	return 0;
}

/* pdp_envelope_field - one of the fields of the quarantine's prefix? */
static int
pdp_envelope_field(const char *f, size_t len)
{
	return pdp_field_is(f, len, "X-Envelope-From") ||
	       pdp_field_is(f, len, "X-Envelope-To") ||
	       pdp_field_is(f, len, "X-Envelope-To-Blocked") ||
	       pdp_field_is(f, len, "X-Quarantine-ID") ||
	       pdp_field_is(f, len, "Return-Path");
}

/* pdp_unfold - a field's value, continuation lines joined, in out */
static void
pdp_unfold(const char *f, size_t len, struct buf *out)
{
	const char *v = memchr(f, ':', len);

	buf_reset(out);
	if (v == NULL)
		return;
	for (v++; v < f + len; v++)
		if (*v != '\r' && *v != '\n')
			buf_append(out, v, 1);
}

/*
 * pdp_headers - rewrite the raw copy's header section into out, taking
 * amavis' fields off (the first of each in the leading block read);
 * returns the offset of
 * the body in the raw copy (after the empty line), or -1
 */
static off_t
pdp_headers(struct pdp_rel *r, struct pool *pool, struct buf *out)
{
	struct buf hdr, val, to;
	int got_from = 0, got_blocked = 0, got_rp = 0, got_to = 0;
	const char *rp = NULL;
	size_t pos = 0;
	int found, prefix = 1;

	buf_init(&hdr, 4096);
	buf_init(&val, 256);
	buf_init(&to, 256);
	found = spool_header(
		r->raw, (size_t)r->conf->message_size_limit + (1 << 20), &hdr);
	if (found < 0) {
		pdp_fail(r, "cannot read the quarantined copy back");
		goto out;
	}
	while (pos < hdr.len) {
		size_t start = pos, len;

		/* A field: its first line and its continuation lines. */
		do {
			const char *nl = memchr(hdr.data + pos, '\n',
						hdr.len - pos);

			pos = nl ? (size_t)(nl - hdr.data) + 1 : hdr.len;
		} while (pos < hdr.len &&
			 (hdr.data[pos] == ' ' || hdr.data[pos] == '\t'));
		len = pos - start;
		const char *f = hdr.data + start;

		if (!pdp_envelope_field(f, len)) {
			prefix = 0;
			if (!pdp_stripped(f, len))
				buf_append(out, f, len);
			continue;
		}
		/* Taken off wherever they are, but read only in the leading
		 * block the quarantine wrote: further down, the sender wrote
		 * them (amavisd-new stops reading at the first other field). */
		if (!prefix)
			continue;
		if (pdp_field_is(f, len, "X-Envelope-From")) {
			if (!got_from++) {
				pdp_unfold(f, len, &val);
				r->sender = quar_env_one(pool, val.data, 0);
				if (r->sender == NULL)
					pdp_fail(r, "X-Envelope-From is not "
						    "one address");
			}
		} else if (pdp_field_is(f, len, "Return-Path")) {
			if (!got_rp++) {
				pdp_unfold(f, len, &val);
				rp = quar_env_one(pool, val.data, 0);
				if (rp == NULL)
					pdp_fail(r, "Return-Path is not one "
						    "address");
			}
		} else if (pdp_field_is(f, len, "X-Envelope-To-Blocked")) {
			if (!got_blocked++)
				pdp_unfold(f, len, &r->blocked);
		} else if (pdp_field_is(f, len, "X-Envelope-To")) {
			if (!got_to++)
				pdp_unfold(f, len, &to);
		} else if (pdp_field_is(f, len, "X-Quarantine-ID")) {
			if (r->quar_id == NULL) {
				pdp_unfold(f, len, &val);
				r->quar_id = quar_env_one(pool, val.data, 0);
				if (r->quar_id == NULL)
					r->quar_id = "";
			}
		}
	}
	if (r->sender == NULL)
		r->sender = rp;
	/* A copy without X-Envelope-To-Blocked (older amavis): all of
	 * X-Envelope-To, as amavisd-new does. */
	if (!got_blocked)
		buf_puts(&r->blocked, to.data);
out:
	buf_release(&to);
	buf_release(&val);
	buf_release(&hdr);
	if (found < 0)
		return -1;
	/* The body starts after the empty line (when there is one). */
	return (off_t)pos + (found ? 2 : 0);
}

/*
 * pdp_same_message - is the copy read the one the mail_id names? The
 * secret authorizes a mail_id, while mail_file is the client's choice:
 * as amavisd-new (Notify.pm), a stored X-Quarantine-ID must be the
 * requested one. A file the client named must carry one, since nothing
 * else ties it to the mail_id (SQL chunks and files found by the
 * mail_id's own name or msgs.quar_loc are tied already).
 */
static int
pdp_same_message(struct pdp_rel *r)
{
	if (r->quar_id && strcmp(r->quar_id, r->mail_id) != 0) {
		pdp_fail(r,
			 "stored quarantine ID %s does not match "
			 "requested ID %s",
			 pdp_mail_id_ok(r->quar_id) ? r->quar_id
						    : "(not a mail_id)",
			 r->mail_id);
		return -1;
	}
	if (r->quar_id == NULL && r->mail_file_asked && r->quar_type != 'Q') {
		pdp_fail(r,
			 "no stored quarantine ID in %s to match requested "
			 "ID %s",
			 r->mail_file, r->mail_id);
		return -1;
	}
	return 0;
}

/* pdp_hops - where this kind of request goes, in order, each hop once */
static struct conf_strlist
pdp_hops(struct pool *p, const struct conf_bank_values *v, int requeue)
{
	const struct conf_strlist *lists[3] = {&v->release, &v->notify,
					       &v->forward};
	size_t n_lists = requeue ? 1 : 3, total = 0;
	struct conf_strlist out;

	if (requeue)
		lists[0] = &v->requeue;
	for (size_t i = 0; i < n_lists; i++)
		total += lists[i]->n;
	out.v = pool_alloc(p, (total + 1) * sizeof(char *));
	out.n = 0;
	for (size_t i = 0; i < n_lists; i++)
		for (size_t k = 0; k < lists[i]->n; k++) {
			size_t j;

			for (j = 0; j < out.n; j++)
				if (strcmp(out.v[j], lists[i]->v[k]) == 0)
					break;
			if (j == out.n)
				out.v[out.n++] = lists[i]->v[k];
		}
	out.v[out.n] = NULL;
	return out;
}

/* pdp_spool_copy - new fields, rewritten header, then the body */
static int
pdp_spool_copy(struct pdp_rel *r, struct txn *t, const struct buf *head,
	       off_t body, char *err, size_t errsize)
{
	const struct conf *c = r->conf;
	const struct pdp_request *q = r->req;
	char date[64], chunk[65536];
	time_t now = time(NULL);
	struct tm tm;
	struct buf f, line;
	off_t off = body, end = spool_size(r->raw);
	ssize_t n = 0;
	int eight = 0;

	if ((t->spool = spool_create(".", t->id, err, errsize)) == NULL)
		return -1;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
		 localtime_r(&now, &tm));
	buf_init(&f, 1024);
	buf_init(&line, 256);
	buf_printf(&line,
		   "Received: from localhost by %s (filterd) with AM.PDP "
		   "id rel-%s; %s",
		   c->myhostname, t->id, date);
	copy_header_field(&f, line.data);
	buf_reset(&line);
	if (q->requested_by && q->requested_by[0])
		buf_printf(&line, "Resent-From: %s", q->requested_by);
	else
		buf_printf(&line, "Resent-From: <postmaster@%s>",
			   c->myhostname);
	copy_header_field(&f, line.data);
	buf_reset(&line);
	buf_printf(&line, "Resent-Date: %s", date);
	copy_header_field(&f, line.data);
	buf_reset(&line);
	buf_printf(&line, "Resent-Message-ID: <%s-%s@%s>", r->mail_id, t->id,
		   c->myhostname);
	copy_header_field(&f, line.data);
	buf_release(&line);
	/* The fields put in front count too: requested_by may be 8-bit. */
	for (size_t i = 0; i < f.len && !eight; i++)
		eight = (unsigned char)f.data[i] >= 0x80;
	spool_write(t->spool, f.data, f.len);
	buf_release(&f);
	spool_write(t->spool, head->data, head->len);
	for (size_t i = 0; i < head->len && !eight; i++)
		eight = (unsigned char)head->data[i] >= 0x80;
	/* The empty line; a copy without one gets one (no body). */
	spool_write(t->spool, "\r\n", 2);
	while (off < end &&
	       (n = pread(spool_fd(r->raw), chunk, sizeof(chunk), off)) > 0) {
		for (ssize_t i = 0; i < n && !eight; i++)
			eight = (unsigned char)chunk[i] >= 0x80;
		spool_write(t->spool, chunk, (size_t)n);
		off += n;
	}
	if (off < end) {
		snprintf(err, errsize, "cannot read the quarantined copy: %s",
			 n < 0 ? strerror(errno) : "shorter than its size");
		return -1;
	}
	if (spool_commit(t->spool, err, errsize) < 0)
		return -1;
	t->size = spool_size(t->spool);
	t->body_8bitmime = eight;
	return 0;
}

/* pdp_add_rcpt - one recipient, within max_recipients */
static int
pdp_add_rcpt(struct pdp_rel *r, struct txn *t, const char *a)
{
	size_t max = (size_t)r->conf->max_recipients;

	if (t->n_rcpts >= max) {
		pdp_fail(r, "more than %zu recipients", max);
		return -1;
	}
	txn_add_rcpt(t, a, NULL);
	return 0;
}

/*
 * pdp_recipients - the request's recipients, else the blocked ones. A
 * blocked recipient that cannot be read or sent fails the request: a
 * recipient skipped would leave "nothing to do" and a 250 for mail
 * nobody got.
 */
static int
pdp_recipients(struct pdp_rel *r, struct txn *t)
{
	const struct pdp_request *q = r->req;
	char why[200];
	char **v;
	size_t n;

	if (q->n_recipients > 0) {
		for (size_t i = 0; i < q->n_recipients; i++) {
			char *a = quar_env_one(t->pool, q->recipients[i], 1);

			if (a == NULL || a[0] == 0) {
				pdp_fail(r, "bad recipient address");
				return -1;
			}
			if (pdp_add_rcpt(r, t, a) < 0)
				return -1;
		}
		return 0;
	}
	if (quar_env_list(t->pool, r->blocked.data, &v, &n, why, sizeof(why)) <
	    0) {
		pdp_fail(r,
			 "cannot read the blocked recipients "
			 "(X-Envelope-To-Blocked): %s",
			 why);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i][0] == 0) {
			pdp_fail(r, "an empty blocked recipient <> "
				    "(X-Envelope-To-Blocked)");
			return -1;
		}
		if (pdp_add_rcpt(r, t, v[i]) < 0)
			return -1;
	}
	return 0;
}

/* What pdp_mark_run marks. */
struct pdp_mark {
	struct pdp_rel *r;
	struct txn *t;
};

/* pdp_mark_run - one run of the marking's UPDATEs (db_txn) */
static unsigned
pdp_mark_run(MYSQL *c, void *ctx, char *err, size_t errsize)
{
	struct pdp_mark *m = ctx;
	struct txn *t = m->t;
	MYSQL_STMT *st = NULL;
	unsigned rc = 0;

	for (size_t i = 0; i < t->n_rcpts && rc == 0; i++) {
		struct db_param p[] = {
			{DB_INT, NULL, 0, m->r->partition, 0},
			{DB_STR, m->r->mail_id, 0, 0, 0},
			{DB_STR, t->rcpts[i].addr, 0, 0, 0},
		};

		if (rcpt_class(t, t->rcpts + i) != 2)
			continue;
		rc = db_run(c, &st,
			    "UPDATE msgrcpt JOIN maddr ON maddr.id = "
			    "msgrcpt.rid AND maddr.partition_tag = "
			    "msgrcpt.partition_tag SET msgrcpt.rs = 'R' "
			    "WHERE msgrcpt.partition_tag = ? AND "
			    "msgrcpt.mail_id = ? AND maddr.email = ?",
			    p, 3, NULL, err, errsize);
	}
	db_stmt_close(&st);
	return rc;
}

/*
 * pdp_mark_released - msgrcpt.rs = 'R' for each released recipient,
 * through db_txn: a conflict (1213, another node's write) or a lost
 * connection runs it again (setting 'R' twice is harmless)
 */
static void
pdp_mark_released(struct pdp_rel *r, struct txn *t)
{
	struct pdp_mark m = {r, t};
	char err[512] = "";

	if (r->ctx->storage == NULL || r->partition < 0)
		return;
	if (db_txn(r->ctx->storage, t->id, pdp_mark_run, NULL, &m, NULL, err,
		   sizeof(err)) != 0)
		msg_warn("(rel-%s) %s: cannot mark as released in SQL: %s",
			 t->id, r->mail_id, err);
}

/* pdp_count - count the request in this child's scoreboard slot */
static void
pdp_count(struct session_ctx *ctx, int requeue, int got)
{
	if (ctx->slot == NULL)
		return;
	if (!got)
		ctx->slot->c.release_failures++;
	else if (requeue)
		ctx->slot->c.requeues++;
	else
		ctx->slot->c.releases++;
}

/* pdp_answer - one setreply= per recipient, and the log line; 1 when
 * some recipient got the message (2xx), else 0 */
static int
pdp_answer(struct pdp_rel *r, struct txn *t, const char *peer, struct buf *out)
{
	const struct pdp_request *q = r->req;
	struct buf log;
	int got = 0;

	buf_init(&log, 256);
	for (size_t i = 0; i < t->n_rcpts; i++) {
		const struct txn_rcpt *rc = t->rcpts + i;
		int code = rc->reply.code ? rc->reply.code : 451;
		const char *dsn = rc->reply.dsn ? rc->reply.dsn : "4.5.0";
		const char *text = rc->reply.text ? rc->reply.text : "";
		char *full;

		if (rc->by == RCPT_BY_HOP && rc->hop &&
		    rc->state != RCPT_DEFERRED)
			full = pool_printf(t->pool, "from MTA(%s): %d %s %s",
					   rc->hop, code, dsn, text);
		else
			full = pool_printf(t->pool, "%s", text);
		if (code / 100 != 2 && code / 100 != 4 && code / 100 != 5)
			code = 451;
		pdp_setreply(out, code, dsn, full);
		got |= code / 100 == 2;
		buf_printf(&log, "%s<%s> %d %s", i ? ", " : "", rc->addr, code,
			   dsn);
	}
	msg_info("(rel-%s) Quarantined message %s (%s): %s <%s> -> %s, "
		 "client %s",
		 t->id, r->requeue ? "requeue" : "release",
		 q->requested_by ? q->requested_by : "", r->mail_id, t->sender,
		 log.data, peer);
	buf_release(&log);
	return got;
}

/* pdp_check - the request's attributes; a 5xx reply in out, or 0 */
static int
pdp_check(struct pdp_rel *r, struct buf *out)
{
	const struct pdp_request *q = r->req;
	const char *why = NULL;

	if (q->mail_id == NULL || q->mail_id[0] == 0)
		why = "mail_id is missing";
	else if (!pdp_mail_id_ok(q->mail_id))
		why = "mail_id is not of the form "
		      "[A-Za-z0-9][A-Za-z0-9_+-]*={0,2}";
	else if (q->partition_tag && q->partition_tag[0] &&
		 (strspn(q->partition_tag, "0123456789") !=
			  strlen(q->partition_tag) ||
		  strlen(q->partition_tag) > 9))
		why = "partition_tag is not a number";
	else if (q->quar_type && q->quar_type[0] &&
		 (strlen(q->quar_type) != 1 ||
		  strchr("FZQ", q->quar_type[0]) == NULL))
		why = "quar_type is not F, Z or Q (B and M are not "
		      "supported)";
	else if (q->mail_file && q->mail_file[0] &&
		 !pdp_mail_file_ok(q->mail_file))
		why = "mail_file is not a safe relative path";
	if (why == NULL)
		return 0;
	pdp_setreply(out, 501, "5.5.4", why);
	return -1;
}

/* pdp_fetch - find the stored copy and read it into r->raw */
static int
pdp_fetch(struct pdp_rel *r)
{
	MYSQL *c = NULL;
	char err[512];
	int rc;

	if (r->ctx->storage) {
		if ((c = db_connection(r->ctx->storage, err, sizeof(err))) ==
		    NULL) {
			pdp_fail(r, "SQL: %s", err);
			return -1;
		}
		rc = pdp_sql_locate(r, c);
		if (rc == 0 && r->quar_type == 0)
			r->quar_type = 'Q';
		if (rc == 0 && r->quar_type == 'Q')
			rc = pdp_sql_fetch(r, c);
		/* End the read transaction: the next request sees news. */
		(void)mysql_rollback(c);
		if (rc < 0)
			return -1;
	}
	if (r->quar_type == 'Q') {
		if (r->ctx->storage == NULL) {
			pdp_fail(r, "quar_type Q, but no sql.storage is "
				    "configured");
			return -1;
		}
		return 0;
	}
	return pdp_file_fetch(r);
}

/* pdp_release - release or requeue one quarantined message */
void
pdp_release(struct session_ctx *ctx, const struct conf_bank *bank,
	    const char *peer, const struct pdp_request *req, struct buf *out)
{
	const struct conf *c = ctx->conf;
	struct pdp_rel r = {0};
	struct txn *t = NULL;
	struct buf head;
	char err[512];
	off_t body;
	int got;
	const char *secret = req->secret_id ? req->secret_id : "";

	r.conf = c;
	r.ctx = ctx;
	r.req = req;
	r.requeue = strcmp(req->request, "requeue") == 0;
	r.partition = -1;
	buf_init(&r.blocked, 128);
	buf_init(&head, 4096);
	if (pdp_check(&r, out) < 0)
		goto done;
	snprintf(r.mail_id, sizeof(r.mail_id), "%s", req->mail_id);
	if (req->partition_tag && req->partition_tag[0])
		r.partition = atoi(req->partition_tag);
	if (req->quar_type && req->quar_type[0])
		r.quar_type = req->quar_type[0];
	if (req->mail_file && req->mail_file[0]) {
		snprintf(r.mail_file, sizeof(r.mail_file), "%s",
			 req->mail_file);
		r.mail_file_asked = 1;
	}
	/* As amavis: a secret given is always checked. */
	if (secret[0] && !mailid_check(r.mail_id, secret)) {
		pdp_fail(&r, "Secret_id %s does not match mail_id %s", secret,
			 r.mail_id);
		goto done;
	}
	if (secret[0] == 0 && bank->v.auth_required_release) {
		pdp_fail(&r, "Secret_id is required, but missing");
		goto done;
	}
	t = txn_create(c, "127.0.0.1", 0);
	t->slot = ctx->slot;
	t->client.source = "LOCAL";
	t->client.name = "localhost";
	snprintf(err, sizeof(err), "raw-%s", t->id);
	if ((r.raw = spool_create(".", err, err, sizeof(err))) == NULL) {
		pdp_fail(&r, "%s", err);
		goto done;
	}
	if (pdp_fetch(&r) < 0)
		goto done;
	if (spool_commit(r.raw, err, sizeof(err)) < 0) {
		pdp_fail(&r, "%s", err);
		goto done;
	}
	if ((body = pdp_headers(&r, t->pool, &head)) < 0)
		goto done;
	if (pdp_same_message(&r) < 0)
		goto done;
	if (r.failure[0])
		goto done;
	if (req->sender &&
	    (r.sender = quar_env_one(t->pool, req->sender, 1)) == NULL) {
		pdp_fail(&r, "bad sender address");
		goto done;
	}
	if (r.sender == NULL) {
		pdp_fail(&r, "no X-Envelope-From in the quarantined copy");
		goto done;
	}
	t->sender = r.sender;
	if (pdp_recipients(&r, t) < 0)
		goto done;
	if (t->n_rcpts == 0) {
		pdp_setreply(out, 250, "2.5.0", "No recipients, nothing to do");
		msg_info("(rel-%s) %s: no recipients, nothing to do", t->id,
			 r.mail_id);
		goto done;
	}
	for (size_t i = 0; i < t->n_rcpts; i++)
		for (const char *a = t->rcpts[i].addr; *a; a++)
			t->smtputf8 |= (unsigned char)*a >= 0x80;
	for (const char *a = t->sender; *a; a++)
		t->smtputf8 |= (unsigned char)*a >= 0x80;
	if (pdp_spool_copy(&r, t, &head, body, err, sizeof(err)) < 0) {
		pdp_fail(&r, "%s", err);
		goto done;
	}
	bank_select(c, bank, "127.0.0.1", &t->bank);
	t->bank.v.forward = pdp_hops(t->pool, &t->bank.v, r.requeue);
	/* Not checked again: it goes as it is, to these hops. */
	(void)reinject_run(ctx->rj, t);
	got = pdp_answer(&r, t, peer, out);
	pdp_count(ctx, r.requeue, got);
	if (!r.requeue && got)
		pdp_mark_released(&r, t);
done:
	if (r.failure[0]) {
		msg_warn("(rel-%s) Quarantined message %s failed (%s): %s: %s, "
			 "client %s",
			 t ? t->id : "-", r.requeue ? "requeue" : "release",
			 req->requested_by ? req->requested_by : "",
			 req->mail_id ? req->mail_id : "", r.failure, peer);
		pdp_tempfail(out, r.failure);
		pdp_count(ctx, r.requeue, 0);
	}
	spool_remove(&r.raw);
	txn_free(&t);
	buf_release(&head);
	buf_release(&r.blocked);
}

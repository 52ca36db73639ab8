/*++
/* NAME
/*	quar 3
/* SUMMARY
/*	keeping blocked mail: local files or SQL, and the log records
/* DESCRIPTION
/*	The SQL writes follow amavisd-new's tables and codes (sql/README.md)
/*	so that its quarantine front ends read them: msgs.content V B U S Y C,
/*	msgrcpt.ds P R B D T, quar_type F or Q, quar_loc "mail_id[pt]".
/*--*/

#include <ctype.h>
#include <errmsg.h>
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "conf/conf.h"
#include "db/db.h"
#include "policy/lookup.h"
#include "quar.h"
#include "quarantine/quar_env.h"
#include "spool/spool.h"
#include "txn/mailid.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/xalloc.h"

#define QUAR_CHUNK 16384 /* amavis' sql_quarantine_chunksize_max */

/* quar_method - how this message is to be kept, and what to call it */
static int
quar_method(const struct txn *t, const char **kind)
{
	const struct conf_bank_values *v = &t->bank.v;
	int blocked = 0;

	for (size_t i = 0; i < t->n_rcpts; i++)
		blocked |= t->rcpts[i].by == RCPT_BY_POLICY;
	*kind = NULL;
	if (!blocked)
		return CONF_Q_NONE;
	switch (t->ccat) {
	case TXN_CCAT_VIRUS:
		*kind = "virus";
		return v->virus_quarantine;
	case TXN_CCAT_BANNED:
		*kind = "banned";
		return v->banned_quarantine;
	case TXN_CCAT_SPAM:
		*kind = "spam";
		return v->spam_quarantine;
	case TXN_CCAT_UNCHECKED:
		*kind = "unchecked";
		return v->unchecked_quarantine;
	default:
		return CONF_Q_NONE;
	}
}

/* quar_text - the X-Envelope-* fields in front of a quarantined copy */
void
quar_text(const struct txn *t, struct buf *out)
{
	buf_puts(out, "X-Envelope-From: ");
	quar_env_put(out, t->sender);
	buf_puts(out, "\r\nX-Envelope-To:");
	for (size_t i = 0; i < t->n_rcpts; i++) {
		buf_puts(out, i ? ",\r\n " : " ");
		quar_env_put(out, t->rcpts[i].addr);
	}
	buf_puts(out, "\r\nX-Envelope-To-Blocked:");
	for (size_t i = 0, n = 0; i < t->n_rcpts; i++)
		if (t->rcpts[i].by == RCPT_BY_POLICY) {
			buf_puts(out, n++ ? ",\r\n " : " ");
			quar_env_put(out, t->rcpts[i].addr);
		}
	buf_printf(out, "\r\nX-Quarantine-ID: <%s>\r\n", t->id);
}

/*
 * quar_read - the quarantined copy, piece by piece: fields, then spool.
 * Returns the bytes read, 0 at the end of the copy, -1 with errno on a
 * read error or a spool shorter than t->size (EIO): never 0 early.
 */
static ssize_t
quar_read(const struct txn *t, const struct buf *head, off_t off, char *dst,
	  size_t len)
{
	size_t got = 0;

	if ((size_t)off < head->len) {
		got = head->len - (size_t)off < len ? head->len - (size_t)off
						    : len;
		memcpy(dst, head->data + off, got);
	}
	if (got < len && off + (off_t)got >= (off_t)head->len) {
		off_t soff = off + (off_t)got - (off_t)head->len;
		ssize_t n = soff < t->size ? pread(spool_fd(t->spool),
						   dst + got, len - got, soff)
					   : 0;

		if (n < 0)
			return -1;
		/* The spool ends before the message's size: never a copy
		 * cut short that looks whole. */
		if (n == 0 && soff < t->size) {
			errno = EIO;
			return -1;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * quar_tmp_name - ".tmp.MAIL_ID.PID": where a copy is written when the
 * file system has no O_TMPFILE (quar_local_leftover removes it)
 */
static void
quar_tmp_name(char *buf, size_t size, const char *mail_id, long pid)
{
	snprintf(buf, size, "%s%s.%ld", QUAR_TMP_PREFIX, mail_id, pid);
}

/*
 * quar_open - a file for the copy in the directory dfd: unnamed
 * (O_TMPFILE) where the file system can, so that a child killed while
 * writing leaves nothing; else tmp, a name of its own, created. Returns
 * the descriptor, with *named set when tmp was created; -1 on error.
 */
static int
quar_open(int dfd, const char *tmp, int *named)
{
	int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);

	*named = 0;
	if (fd >= 0 ||
	    (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	fd = openat(dfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	*named = fd >= 0;
	return fd;
}

/*
 * quar_name - give the written and fsynced copy its quarantine name: an
 * unnamed file is linked in through /proc/self/fd (linkat with
 * AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH); a named one is renamed.
 * Like O_EXCL before, linkat never replaces a file of that name.
 */
static int
quar_name(int dfd, int fd, int named, const char *tmp, const char *name)
{
	char proc[64];

	if (named)
		return renameat(dfd, tmp, dfd, name);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW);
}

/*
 * quar_local - write and fsync quarantine_dir/X/KIND-ID[.gz]
 *
 * The copy gets its name only once it is whole and on disk: it is
 * written to an unnamed file (O_TMPFILE) or, where the file system has
 * none, to X/.tmp.ID.PID, then linked or renamed into place, and the
 * directory is fsynced. A child killed while writing (SIGKILL, SIGALRM
 * at child_timeout, --kill-stuck) leaves nothing a quarantine front end
 * would list: an unnamed file goes with its last descriptor, and the
 * master removes a .tmp file when it reaps the child. Every way out
 * closes what was opened and removes what was named: the front MTA
 * gets a 451 and retries, so a partial file would only be a stray.
 */
static int
quar_local(struct txn *t, const char *kind, char *err, size_t errsize)
{
	int gz = t->conf->quarantine_gzip;
	char dir[4096], name[256], tmp[128], chunk[65536];
	const char *why = NULL; /* what failed, NULL while all is well */
	struct buf head;
	gzFile z = NULL;
	off_t off = 0;
	ssize_t n = 0;
	int fd, zfd, dfd, named, linked = 0, saved = 0;

	snprintf(dir, sizeof(dir), "%s/%c", t->conf->quarantine_dir, t->id[0]);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "mkdir %.900s: %s", dir,
			 strerror(errno));
		return -1;
	}
	snprintf(name, sizeof(name), "%s-%s%s", kind, t->id, gz ? ".gz" : "");
	quar_tmp_name(tmp, sizeof(tmp), t->id, (long)getpid());
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errsize, "open %.900s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = quar_open(dfd, tmp, &named)) < 0) {
		snprintf(err, errsize, "create %.700s/%.200s: %s", dir, name,
			 strerror(errno));
		(void)close(dfd);
		return -1;
	}
	/* gzclose() closes the descriptor zlib has; fd stays ours to fsync. */
	if (gz) {
		if ((zfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
			why = "dup";
			saved = errno;
		} else if ((z = gzdopen(zfd, "wb")) == NULL) {
			why = "gzdopen"; /* zlib leaves zfd open */
			saved = errno;
			(void)close(zfd);
		}
	}
	buf_init(&head, 512);
	quar_text(t, &head);
	while (why == NULL &&
	       (n = quar_read(t, &head, off, chunk, sizeof(chunk))) > 0) {
		errno = 0;
		if (z ? gzwrite(z, chunk, (unsigned)n) != n
		      : write(fd, chunk, (size_t)n) != n) {
			why = z ? "compress" : "write";
			saved = errno;
		}
		off += n;
	}
	buf_release(&head);
	if (why == NULL && n < 0) {
		why = "read spool for";
		saved = errno;
	}
	if (z) {
		errno = 0;
		if (gzclose(z) != Z_OK && why == NULL) {
			why = "compress";
			saved = errno;
		}
	}
	/* The quarantine is the only copy: it must be on disk before 250. */
	if (why == NULL && fsync(fd) < 0) {
		why = "fsync";
		saved = errno;
	}
	if (why == NULL) {
		if (quar_name(dfd, fd, named, tmp, name) < 0) {
			why = named ? "rename into" : "link into";
			saved = errno;
		} else {
			linked = 1;
			named = 0; /* tmp is the quarantine name now */
		}
	}
	if (close(fd) < 0 && why == NULL) {
		why = "close";
		saved = errno;
	}
	if (why == NULL && fsync(dfd) < 0) {
		why = "fsync directory of";
		saved = errno;
	}
	if (why) {
		snprintf(err, errsize, "%s %.700s/%.200s: %s", why, dir, name,
			 saved ? strerror(saved) : "failed");
		if (named)
			(void)unlinkat(dfd, tmp, 0);
		if (linked)
			(void)unlinkat(dfd, name, 0);
	}
	(void)close(dfd);
	if (why)
		return -1;
	t->quar_type = gz ? 'Z' : 'F';
	t->quar_loc = pool_printf(t->pool, "%c/%s", t->id[0], name);
	return 0;
}

/* quar_local_leftover - remove the .tmp copy a dead child left */
int
quar_local_leftover(const char *quarantine_dir, const char *mail_id, pid_t pid,
		    char *errbuf, size_t errsize)
{
	char sub[2] = {mail_id[0], 0}, tmp[128];
	int qfd, xfd, rc = 0;

	if (mail_id[0] == 0)
		return 0;
	if (!mailid_valid(mail_id)) {
		snprintf(errbuf, errsize, "not a mail_id: refused");
		return -1;
	}
	quar_tmp_name(tmp, sizeof(tmp), mail_id, (long)pid);
	/* Opened as root in directories the children own: no link is
	 * followed, and unlinkat removes a link, never its target. */
	qfd = open(quarantine_dir,
		   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (qfd < 0) {
		snprintf(errbuf, errsize, "open %s: %s", quarantine_dir,
			 strerror(errno));
		return -1;
	}
	xfd = openat(qfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (xfd < 0) {
		if (errno != ENOENT) {
			snprintf(errbuf, errsize, "open %s/%s: %s",
				 quarantine_dir, sub, strerror(errno));
			rc = -1;
		}
	} else if (unlinkat(xfd, tmp, 0) == 0) {
		rc = 1;
	} else if (errno != ENOENT) {
		snprintf(errbuf, errsize, "unlink %s/%s/%s: %s", quarantine_dir,
			 sub, tmp, strerror(errno));
		rc = -1;
	}
	if (xfd >= 0)
		(void)close(xfd);
	(void)close(qfd);
	return rc;
}

/* quar_content_code - amavis' one-letter content category */
static const char *
quar_content_code(enum txn_ccat ccat)
{
	static const char *const codes[] = {"C", "Y", "S", "U", "B", "V"};

	return codes[ccat];
}

/* quar_ds - amavis' delivery status of a recipient (msgrcpt.ds) */
static const char *
quar_ds(const struct txn *t, size_t i)
{
	const struct txn_rcpt *rc = t->rcpts + i;

	if (t->error)
		return "T";
	switch (rc->state) {
	case RCPT_PENDING: /* to be forwarded: what the record expects */
	case RCPT_DELIVERED:
		return "P";
	case RCPT_DISCARDED:
		return "D";
	case RCPT_BOUNCING:
	case RCPT_BOUNCED:
	case RCPT_NOBOUNCE:
		return "B";
	case RCPT_REJECTED:
		return "R";
	default:
		return "T";
	}
}

/* quar_domain - "mail.example.com" as amavis stores it: "com.example.mail" */
static char *
quar_domain(struct txn *t, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *d = at ? at + 1 : "";
	size_t len = strlen(d);
	char *out = pool_alloc(t->pool, len + 1), *o = out;
	const char *end = d + len;

	while (end > d) {
		const char *dot = end;

		while (dot > d && dot[-1] != '.')
			dot--;
		if (o != out)
			*o++ = '.';
		for (const char *p = dot; p < end; p++)
			*o++ = (char)tolower((unsigned char)*p);
		end = dot > d ? dot - 1 : d;
	}
	*o = 0;
	return out;
}

/* Statements of one transaction, cached while it lasts. */
struct quar_tx {
	MYSQL *c;
	MYSQL_STMT *adr, *msg, *rcp, *quar;
	char err[512];
};

#define QP_STR(s)                                                              \
	{                                                                      \
		DB_STR, (s), 0, 0, 0                                           \
	}
#define QP_TEXT(s)                                                             \
	{                                                                      \
		DB_TEXT, (s), 0, 0, 0                                          \
	}
#define QP_INT(n)                                                              \
	{                                                                      \
		DB_INT, NULL, 0, (n), 0                                        \
	}
#define QP_DBL(x)                                                              \
	{                                                                      \
		DB_DOUBLE, NULL, 0, 0, (x)                                     \
	}

/* quar_addr - the maddr id of an address in this partition */
static unsigned
quar_addr(struct quar_tx *x, struct txn *t, const char *addr,
	  unsigned long long *id)
{
	struct db_param p[] = {QP_INT(t->partition_tag), QP_STR(addr),
			       QP_TEXT(quar_domain(t, addr))};

	return db_run(x->c, &x->adr,
		      "INSERT INTO maddr (partition_tag, email, domain) "
		      "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "
		      "id = LAST_INSERT_ID(id)",
		      p, 3, id, x->err, sizeof(x->err));
}

/* quar_sql_chunks - the quarantined copy into the quarantine table */
static unsigned
quar_sql_chunks(struct quar_tx *x, struct txn *t)
{
	char *chunk = xmalloc(QUAR_CHUNK);
	struct buf head;
	off_t off = 0;
	unsigned err = 0;
	ssize_t n = 0;

	buf_init(&head, 512);
	quar_text(t, &head);
	for (long long ind = 1;
	     err == 0 && (n = quar_read(t, &head, off, chunk, QUAR_CHUNK)) > 0;
	     ind++) {
		struct db_param p[] = {
			QP_INT(t->partition_tag),
			QP_STR(t->id),
			QP_INT(ind),
			{DB_BLOB, chunk, (unsigned long)n, 0, 0}};

		err = db_run(x->c, &x->quar,
			     "INSERT INTO quarantine (partition_tag, mail_id, "
			     "chunk_ind, mail_text) VALUES (?, ?, ?, ?)",
			     p, 4, NULL, x->err, sizeof(x->err));
		off += n;
	}
	/* A read error is no end of the copy: the stage fails (451). */
	if (err == 0 && n < 0) {
		snprintf(x->err, sizeof(x->err),
			 "read spool for the quarantine: %s", strerror(errno));
		err = CR_UNKNOWN_ERROR;
	}
	free(chunk);
	buf_release(&head);
	return err;
}

/* quar_sql_rows - msgs, msgrcpt and maddr rows (and the quarantine) */
static unsigned
quar_sql_rows(struct quar_tx *x, struct txn *t, int with_quarantine)
{
	unsigned long long sid, rid;
	char iso[32], quar_type[2] = {t->quar_type, 0};
	struct tm tm;
	unsigned err;

	strftime(iso, sizeof(iso), "%Y%m%dT%H%M%SZ",
		 gmtime_r(&t->arrival, &tm));
	if ((err = quar_addr(x, t, t->sender, &sid)) != 0)
		return err;
	{
		struct db_param p[] = {
			QP_INT(t->partition_tag),
			QP_STR(t->id),
			QP_STR(t->secret_id),
			QP_STR(t->id),
			QP_INT(t->arrival),
			QP_STR(iso),
			QP_INT((long long)sid),
			QP_TEXT(strcmp(t->bank.path, "default") ? t->bank.path
								: ""),
			QP_TEXT(t->client.addr),
			QP_INT(t->size),
			QP_STR(t->bank.v.originating ? "Y" : "N"),
			QP_STR(quar_content_code(t->ccat)),
			QP_STR(quar_type),
			QP_STR(t->quar_loc ? t->quar_loc : ""),
			QP_STR("N"),
			QP_DBL(t->spam_score),
			QP_TEXT(t->message_id ? t->message_id : ""),
			QP_TEXT(t->from ? t->from : ""),
			QP_TEXT(t->subject ? t->subject : ""),
			QP_TEXT(t->conf->myhostname),
		};

		err = db_run(x->c, &x->msg,
			     "INSERT INTO msgs (partition_tag, mail_id, "
			     "secret_id, am_id, time_num, time_iso, sid, "
			     "policy, client_addr, size, originating, "
			     "content, quar_type, quar_loc, dsn_sent, "
			     "spam_level, message_id, from_addr, subject, "
			     "host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			     "?, ?, ?, ?, ?, LEFT(?, 255), LEFT(?, 255), "
			     "LEFT(?, 255), ?)",
			     p, sizeof(p) / sizeof(*p), NULL, x->err,
			     sizeof(x->err));
		if (err)
			return err;
	}
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;
		char resp[600] = "";

		if (rc->reply.code)
			snprintf(resp, sizeof(resp), "%d %s %s", rc->reply.code,
				 rc->reply.dsn, rc->reply.text);
		if ((err = quar_addr(x, t, rc->addr, &rid)) != 0)
			return err;
		{
			struct db_param p[] = {
				QP_INT(t->partition_tag),
				QP_STR(t->id),
				QP_INT((long long)i + 1),
				QP_INT((long long)rid),
				QP_STR(rc->local ? "Y" : "N"),
				QP_STR(quar_content_code(rc->ccat)),
				QP_STR(quar_ds(t, i)),
				QP_STR(" "),
				QP_STR(rc->pol && rc->pol->blacklisted ? "Y"
								       : "N"),
				QP_STR(rc->pol && rc->pol->whitelisted ? "Y"
								       : "N"),
				QP_DBL(rc->score),
				QP_TEXT(resp),
			};

			err = db_run(
				x->c, &x->rcp,
				"INSERT INTO msgrcpt (partition_tag, "
				"mail_id, rseqnum, rid, is_local, content, "
				"ds, rs, bl, wl, bspam_level, smtp_resp) "
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
				"LEFT(?, 255))",
				p, sizeof(p) / sizeof(*p), NULL, x->err,
				sizeof(x->err));
			if (err)
				return err;
		}
	}
	return with_quarantine ? quar_sql_chunks(x, t) : 0;
}

/* quar_tx_close - release the statements of one attempt */
static void
quar_tx_close(struct quar_tx *x)
{
	db_stmt_close(&x->adr);
	db_stmt_close(&x->msg);
	db_stmt_close(&x->rcp);
	db_stmt_close(&x->quar);
}

/* What one run of the RECORD stage's transaction writes. */
struct quar_run {
	struct txn *t;
	int with_quarantine;
};

/* quar_sql_run - one run of the transaction's statements (db_txn) */
static unsigned
quar_sql_run(MYSQL *c, void *ctx, char *err, size_t errsize)
{
	struct quar_run *r = ctx;
	struct txn *t = r->t;
	struct quar_tx x = {0};
	unsigned rc;

	x.c = c;
	if (r->with_quarantine) {
		t->quar_type = 'Q';
		t->quar_loc = pool_printf(t->pool, "%s[%d]", t->id,
					  t->partition_tag);
	}
	if ((rc = quar_sql_rows(&x, t, r->with_quarantine)) != 0)
		snprintf(err, errsize, "%s", x.err);
	quar_tx_close(&x);
	return rc;
}

/* quar_sql_found - row callback: the msgs row is there */
static int
quar_sql_found(void *ctx, const char *const *values, size_t n)
{
	(void)values, (void)n;
	*(int *)ctx = 1;
	return 1;
}

/*
 * quar_sql_done - did the run whose COMMIT reply was lost commit? Its
 * msgs row, which only this mail_id's transaction writes, says (db_txn)
 */
static unsigned
quar_sql_done(MYSQL *c, void *ctx, int *found, char *err, size_t errsize)
{
	struct quar_run *r = ctx;
	struct db_param p[] = {QP_INT(r->t->partition_tag), QP_STR(r->t->id)};

	*found = 0;
	return db_select(c,
			 "SELECT 1 FROM msgs WHERE partition_tag = ? AND "
			 "mail_id = ?",
			 p, 2, quar_sql_found, found, err, errsize);
}

/*
 * quar_sql - the message's transaction; db_txn() runs it again after a
 * write-set conflict (two nodes inserting the same new maddr row) or on
 * the next connection when one is lost, before any 451; after a COMMIT
 * whose reply was lost, only when quar_sql_done() finds no msgs row
 * (one msgs row per message, never two)
 */
static int
quar_sql(struct txn *t, int with_quarantine, char *err, size_t errsize)
{
	struct quar_run r = {t, with_quarantine};
	struct db_txn_stats st;
	unsigned rc = db_txn(t->storage, t->id, quar_sql_run, quar_sql_done, &r,
			     &st, err, errsize);

	if (t->slot) {
		t->slot->c.sql_failures += st.failures;
		t->slot->c.sql_failovers += st.failovers;
	}
	if (rc)
		return -1;
	t->recorded = 1;
	return 0;
}

/* quar_env_addrs_ok - can every envelope address go in the copy? */
static int
quar_env_addrs_ok(const struct txn *t)
{
	if (!quar_env_addr_ok(t->sender))
		return 0;
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (!quar_env_addr_ok(t->rcpts[i].addr))
			return 0;
	return 1;
}

/* quar_record - the RECORD stage */
int
quar_record(struct txn *t)
{
	const char *kind;
	int method = quar_method(t, &kind);
	char err[1024];

	/* The release reads the addresses back from the copy: each must
	 * read back as it is (quar_env.h), or the copy would lie. */
	if (method != CONF_Q_NONE && !quar_env_addrs_ok(t)) {
		txn_set_error(t, TXN_ERR_RECORD,
			      "cannot quarantine: an envelope address cannot "
			      "be written so that it reads back");
		return -1;
	}
	if (method == CONF_Q_LOCAL &&
	    quar_local(t, kind, err, sizeof(err)) < 0) {
		txn_set_error(t, TXN_ERR_RECORD, "cannot quarantine: %s", err);
		return -1;
	}
	if (method == CONF_Q_SQL && t->storage == NULL) {
		txn_set_error(t, TXN_ERR_RECORD,
			      "cannot quarantine: no sql storage configured");
		return -1;
	}
	if (t->storage == NULL)
		return 0;
	if (quar_sql(t, method == CONF_Q_SQL, err, sizeof(err)) == 0)
		return 0;
	if (method == CONF_Q_SQL) {
		txn_set_error(t, TXN_ERR_RECORD, "cannot quarantine in SQL: %s",
			      err);
		return -1;
	}
	if (t->conf->sql.log_failure_tempfail) {
		txn_set_error(t, TXN_ERR_RECORD, "cannot log to SQL: %s", err);
		return -1;
	}
	msg_error("%s: SQL LOG NOT WRITTEN (sql.log_failure = pass): %s", t->id,
		  err);
	return 0;
}

/* quar_outcome_run - one run of the outcome's updates (db_txn) */
static unsigned
quar_outcome_run(MYSQL *c, void *ctx, char *err, size_t errsize)
{
	struct txn *t = ctx;
	MYSQL_STMT *upd = NULL, *msg = NULL;
	const char *dsn = "N";
	char resp[600];
	unsigned rc = 0;

	for (size_t i = 0; i < t->n_rcpts && rc == 0; i++) {
		const struct txn_rcpt *r = t->rcpts + i;
		struct db_param p[] = {QP_STR(quar_ds(t, i)), QP_TEXT(resp),
				       QP_INT(t->partition_tag), QP_STR(t->id),
				       QP_INT((long long)i + 1)};

		if (r->state == RCPT_BOUNCED)
			dsn = "Y";
		else if (r->state == RCPT_NOBOUNCE && *dsn != 'Y')
			dsn = "q";
		snprintf(resp, sizeof(resp), "%d %s %s", r->reply.code,
			 r->reply.dsn ? r->reply.dsn : "",
			 r->reply.text ? r->reply.text : "");
		rc = db_run(
			c, &upd,
			"UPDATE msgrcpt SET ds = ?, smtp_resp = LEFT(?, 255) "
			"WHERE partition_tag = ? AND mail_id = ? AND "
			"rseqnum = ?",
			p, 5, NULL, err, errsize);
	}
	if (rc == 0) {
		struct db_param p[] = {QP_STR(dsn), QP_INT(t->partition_tag),
				       QP_STR(t->id)};

		rc = db_run(c, &msg,
			    "UPDATE msgs SET dsn_sent = ? WHERE "
			    "partition_tag = ? AND mail_id = ?",
			    p, 3, NULL, err, errsize);
	}
	db_stmt_close(&upd);
	db_stmt_close(&msg);
	return rc;
}

/* quar_outcome - what each recipient got, once the mail has gone */
void
quar_outcome(struct txn *t)
{
	char err[512] = "";

	if (!t->recorded)
		return;
	if (db_txn(t->storage, t->id, quar_outcome_run, NULL, t, NULL, err,
		   sizeof(err)) != 0)
		msg_warn("%s: the delivery outcome was not written to SQL: %s",
			 t->id, err);
}

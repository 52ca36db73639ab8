/*++
/* NAME
/*	db 3
/* SUMMARY
/*	MariaDB/MySQL connections over a DSN list, with failover and failback
/*--*/

#include <errmsg.h>
#include <errno.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "db.h"
#include "dsn.h"
#include "util/msg.h"
#include "util/safe.h"
#include "util/xalloc.h"

#define DB_IO_TIMEOUT 30 /* seconds for a query's read or write */

struct db_member {
	char *text; /* the DSN as configured (for logs: no password) */
	struct db_dsn dsn;
	MYSQL *conn;
	int fresh;	   /* conn was made by the last db_connection() */
	time_t rest_until; /* do not try before this */
};

struct db {
	struct db_member *m;
	size_t n;
	int current; /* -1: none yet */
	int retry_interval;
	int connect_timeout;
	int sync_reads; /* db_sync_reads(): causal reads on Galera nodes */
	unsigned long failovers;
};

/* db_create - a DSN list; nothing is connected yet */
struct db *
db_create(const struct conf_strlist *dsns, int retry_interval,
	  int connect_timeout)
{
	struct db *db = xcalloc(1, sizeof(*db));
	char err[256];

	db->m = xcalloc(dsns->n + 1, sizeof(*db->m));
	db->n = dsns->n;
	db->current = -1;
	db->retry_interval = retry_interval;
	db->connect_timeout = connect_timeout;
	for (size_t i = 0; i < dsns->n; i++) {
		if (db_dsn_parse(dsns->v[i], &db->m[i].dsn, err, sizeof(err)) <
		    0)
			msg_panic("db_create: unchecked DSN: %s", err);
		db_dsn_describe(&db->m[i].dsn, err, sizeof(err));
		db->m[i].text = xstrdup(err);
	}
	return db;
}

/* db_close_member - drop one connection */
static void
db_close_member(struct db_member *m)
{
	if (m->conn)
		mysql_close(m->conn);
	m->conn = NULL;
}

/* db_free - close everything */
void
db_free(struct db **dbp)
{
	struct db *db = *dbp;

	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++) {
		db_close_member(db->m + i);
		free(db->m[i].text);
	}
	free(db->m);
	free(db);
	*dbp = NULL;
}

/*
 * db_galera_sync - on a Galera node, make the session's reads causal
 *
 * A server without @@wsrep_on (MySQL) fails the SELECT: not a Galera
 * node. On a Galera node, a failed SET fails the connection: reads that
 * must see another node's write would silently not.
 */
static int
db_galera_sync(struct db_member *m, MYSQL *c, char *errbuf, size_t errsize)
{
	static const char set[] = "SET SESSION wsrep_sync_wait = 1";
	static const char ask[] = "SELECT @@wsrep_on";
	MYSQL_RES *res;
	MYSQL_ROW row;
	int galera;

	if (mysql_real_query(c, ask, sizeof(ask) - 1) != 0)
		return 0;
	if ((res = mysql_store_result(c)) == NULL)
		return 0;
	row = mysql_fetch_row(res);
	galera = row && row[0] && strcmp(row[0], "1") == 0;
	mysql_free_result(res);
	if (galera && mysql_real_query(c, set, sizeof(set) - 1) != 0) {
		snprintf(errbuf, errsize, "%s: %s: %s", m->text, set,
			 mysql_error(c));
		return -1;
	}
	return 0;
}

/* db_connect - connect one member; 0 or -1 with errbuf */
static int
db_connect(struct db *db, struct db_member *m, char *errbuf, size_t errsize)
{
	const struct db_dsn *d = &m->dsn;
	unsigned int ct = (unsigned)db->connect_timeout, io = DB_IO_TIMEOUT;
	MYSQL *c = mysql_init(NULL);

	if (c == NULL)
		msg_fatal("mysql_init: out of memory");
	mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &io);
	mysql_options(c, MYSQL_OPT_WRITE_TIMEOUT, &io);
	mysql_options(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* A host means TCP, even "localhost" (which the library would
	 * otherwise quietly take as its default socket). */
	if (d->socket[0] == 0) {
		unsigned int tcp = MYSQL_PROTOCOL_TCP;

		mysql_options(c, MYSQL_OPT_PROTOCOL, &tcp);
	}
	if (mysql_real_connect(c, d->socket[0] ? NULL : d->host, d->user,
			       d->password, d->database, (unsigned)d->port,
			       d->socket[0] ? d->socket : NULL, 0) == NULL ||
	    mysql_autocommit(c, 0) != 0) {
		snprintf(errbuf, errsize, "%s: %s", m->text, mysql_error(c));
		mysql_close(c);
		return -1;
	}
	if (db->sync_reads && db_galera_sync(m, c, errbuf, errsize) < 0) {
		mysql_close(c);
		return -1;
	}
	m->conn = c;
	return 0;
}

/* db_connection - the first DSN that works, in order */
MYSQL *
db_connection(struct db *db, char *errbuf, size_t errsize)
{
	time_t now = time(NULL);
	char why[512] = "";

	snprintf(errbuf, errsize, "no DSN configured");
	for (size_t i = 0; i < db->n; i++) {
		struct db_member *m = db->m + i;

		if (m->conn != NULL) {
			m->fresh = 0; /* reused: it may have gone stale */
		} else {
			if (now < m->rest_until)
				continue;
			if (db_connect(db, m, why, sizeof(why)) < 0) {
				msg_warn("sql: %s", why);
				m->rest_until = now + db->retry_interval;
				snprintf(errbuf, errsize, "%s", why);
				continue;
			}
			m->fresh = 1;
		}
		if (db->current != (int)i) {
			if (db->current >= 0) {
				db->failovers++;
				msg_info("sql: now using %s%s", m->text,
					 (int)i < db->current ? " again"
							      : " (failover)");
			}
			/* A later DSN is not kept while an earlier one is up. */
			for (size_t k = i + 1; k < db->n; k++)
				db_close_member(db->m + k);
			db->current = (int)i;
		}
		return m->conn;
	}
	if (why[0] == 0 && db->n > 0)
		snprintf(errbuf, errsize,
			 "every DSN is resting after a failure");
	return NULL;
}

/*
 * db_failed - the current connection broke: close it; let its DSN rest
 * unless the connection was an old one
 *
 * A connection kept from earlier use breaks on its next query when the
 * server closed it meanwhile (wait_timeout, a restart, KILL, a proxy):
 * that says nothing about the server now, so the next db_connection()
 * connects to the same DSN at once. Only a connection made for this use
 * that fails (or a connect that fails, in db_connection()) makes the DSN
 * rest. Each connection gets that one chance, so a server that takes
 * connections and drops every query still rests after one retry.
 */
int
db_failed(struct db *db, const char *why)
{
	struct db_member *m;

	if (db->current < 0)
		return 0;
	m = db->m + db->current;
	if (m->conn != NULL && !m->fresh) {
		msg_warn("sql: %s: connection lost: %s; reconnecting", m->text,
			 why);
		db_close_member(m);
		return 0;
	}
	msg_warn("sql: %s failed: %s", m->text, why);
	db_close_member(m);
	m->rest_until = time(NULL) + db->retry_interval;
	return 1;
}

/* db_is_connection_error - does this error mean the server is gone? */
int
db_is_connection_error(unsigned err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST ||
	       err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR ||
	       err == CR_COMMANDS_OUT_OF_SYNC || err == 1053 /* shutdown */ ||
	       err == 1927 /* connection killed */ ||
	       err == 1047 /* a Galera node outside the primary component:
			     "WSREP has not yet prepared node for
			     application use"; another node may be in it */
		;
}

/* db_is_conflict - may the transaction succeed when run again? */
int
db_is_conflict(unsigned err)
{
	return err == 1213 /* ER_LOCK_DEADLOCK, Galera certification */ ||
	       err == 1205 /* ER_LOCK_WAIT_TIMEOUT */;
}

/*
 * db_backoff - sleep before running a transaction again
 *
 * The delay doubles with each attempt and is drawn at random from its
 * upper half, so that the two nodes whose write sets collided (each
 * retrying the same kind of transaction) come back at different times.
 */
void
db_backoff(int attempt)
{
	unsigned base = 5000u << (attempt < 6 ? attempt : 6); /* usec */
	unsigned usec = base + arc4random_uniform(base + 1);
	struct timespec ts = {usec / 1000000, (long)(usec % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * db_txn - one transaction, run again after a conflict or a lost link
 *
 * A COMMIT whose reply is lost (a connection error from mysql_commit)
 * may have committed: the server had it, and died or was cut off before
 * answering. Its outcome is unknown until done() has looked on the next
 * connection (on a Galera node a causal read, db_sync_reads): found,
 * the transaction is over; not found, it runs again. Without done() it
 * runs again, which only a transaction that may run twice can afford.
 */
unsigned
db_txn(struct db *db, const char *what,
       unsigned (*body)(MYSQL *c, void *ctx, char *errbuf, size_t errsize),
       unsigned (*done)(MYSQL *c, void *ctx, int *found, char *errbuf,
			size_t errsize),
       void *ctx, struct db_txn_stats *st, char *errbuf, size_t errsize)
{
	struct db_txn_stats dummy;
	int lost = 0, conflicts = 0, unknown = 0;
	unsigned rc = CR_CONNECTION_ERROR;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	while (lost < DB_LOST_TRIES && conflicts < DB_CONFLICT_TRIES) {
		MYSQL *c = db_connection(db, errbuf, errsize);
		int committing = 0;

		if (c == NULL)
			return CR_CONNECTION_ERROR;
		if (unknown) {
			int found = 0;

			rc = done(c, ctx, &found, errbuf, errsize);
			if (rc == 0 && found) {
				msg_info("%s: sql: the COMMIT whose reply was "
					 "lost had committed",
					 what);
				(void)mysql_rollback(
					c); /* the read's snapshot */
				return 0;
			}
			if (rc == 0) {
				msg_info("%s: sql: the COMMIT whose reply was "
					 "lost had not committed: running the "
					 "transaction again",
					 what);
				unknown = 0;
			}
		}
		if (!unknown)
			rc = body(c, ctx, errbuf, errsize);
		if (!unknown && rc == 0 && mysql_commit(c) != 0) {
			rc = mysql_errno(c) ? mysql_errno(c) : CR_UNKNOWN_ERROR;
			snprintf(errbuf, errsize, "commit: %s", mysql_error(c));
			committing = 1;
		}
		if (rc == 0)
			return 0;
		if (db_is_conflict(rc) && ++conflicts < DB_CONFLICT_TRIES) {
			msg_info("%s: sql: conflict (%u: %s), retrying the "
				 "transaction (%d of %d)",
				 what, rc, errbuf, conflicts + 1,
				 DB_CONFLICT_TRIES);
			st->conflicts++;
			(void)mysql_rollback(c);
			db_backoff(conflicts - 1);
			continue;
		}
		st->failures++;
		if (!db_is_connection_error(rc)) {
			(void)mysql_rollback(c);
			return rc;
		}
		/* The COMMIT was sent: it may have been done. */
		if (committing && done != NULL)
			unknown = 1;
		/* Gone mid-transaction: again on a new connection (the same
		 * DSN when this one had been idle, else the next DSN). */
		if (db_failed(db, errbuf))
			st->failovers++;
		lost++;
	}
	return rc;
}

/* db_sync_reads - causal reads on Galera nodes, from the next connect */
void
db_sync_reads(struct db *db, int on)
{
	db->sync_reads = on;
}

/* db_current - which DSN is in use, or -1 */
int
db_current(const struct db *db)
{
	return db->current;
}

/* db_failovers - how often service moved */
unsigned long
db_failovers(const struct db *db)
{
	return db->failovers;
}

/*
 * db_text - a copy of s as safe_log_text() makes it (controls, DEL, C1,
 * line breaks and reordering marks, bytes outside well-formed UTF-8
 * escaped), or NULL when s is that already
 */
static char *
db_text(const char *s)
{
	size_t len = strlen(s);
	char *out;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			goto escape;
	return NULL;
escape:
	/* Each byte becomes at most 4 ("\xNN"): never cut. */
	out = xmalloc(4 * len + 1);
	(void)safe_log_text(out, 4 * len + 1, s, len);
	if (strcmp(out, s) == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* db_text_free - free what db_text() made for a statement */
static void
db_text_free(char **fixed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fixed[i]);
}

/* db_run - one prepared statement, bound and executed */
unsigned
db_run(MYSQL *c, MYSQL_STMT **stmt, const char *sql,
       const struct db_param *params, size_t n, unsigned long long *insert_id,
       char *errbuf, size_t errsize)
{
	MYSQL_BIND bind[n ? n : 1];
	char *fixed[n ? n : 1]; /* DB_TEXT values made valid, or NULL */
	unsigned err;

	memset(fixed, 0, sizeof(fixed)); /* before any way to fail */
	if (*stmt == NULL) {
		if ((*stmt = mysql_stmt_init(c)) == NULL) {
			snprintf(errbuf, errsize, "mysql_stmt_init: %s",
				 mysql_error(c));
			return mysql_errno(c) ? mysql_errno(c) : 2008;
		}
		if (mysql_stmt_prepare(*stmt, sql, strlen(sql)) != 0)
			goto fail;
	}
	memset(bind, 0, sizeof(bind));
	for (size_t i = 0; i < n; i++) {
		const struct db_param *p = params + i;

		switch (p->type) {
		case DB_TEXT:
			if (p->p == NULL)
				goto str; /* SQL NULL */
			fixed[i] = db_text(p->p);
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = fixed[i] ? fixed[i] : (void *)p->p;
			bind[i].buffer_length = strlen(bind[i].buffer);
			break;
		case DB_STR:
str:
			bind[i].buffer_type = p->p ? MYSQL_TYPE_STRING
						   : MYSQL_TYPE_NULL;
			bind[i].buffer = (void *)p->p;
			bind[i].buffer_length = p->p ? strlen(p->p) : 0;
			break;
		case DB_BLOB:
			bind[i].buffer_type = MYSQL_TYPE_BLOB;
			bind[i].buffer = (void *)p->p;
			bind[i].buffer_length = p->len;
			break;
		case DB_INT:
			bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			bind[i].buffer = (void *)&p->i;
			break;
		case DB_DOUBLE:
			bind[i].buffer_type = MYSQL_TYPE_DOUBLE;
			bind[i].buffer = (void *)&p->d;
			break;
		}
	}
	if ((n && mysql_stmt_bind_param(*stmt, bind) != 0) ||
	    mysql_stmt_execute(*stmt) != 0)
		goto fail;
	db_text_free(fixed, n);
	if (insert_id)
		*insert_id = mysql_stmt_insert_id(*stmt);
	return 0;
fail:
	db_text_free(fixed, n);
	err = mysql_stmt_errno(*stmt);
	snprintf(errbuf, errsize, "%s", mysql_stmt_error(*stmt));
	db_stmt_close(stmt);
	return err ? err : 2000;
}

/* db_stmt_close - release a cached statement */
void
db_stmt_close(MYSQL_STMT **stmt)
{
	if (*stmt)
		mysql_stmt_close(*stmt);
	*stmt = NULL;
}

/* db_stmt_failed - the statement's error, never 0, with its text */
static unsigned
db_stmt_failed(MYSQL_STMT *stmt, const char *what, char *errbuf, size_t errsize)
{
	unsigned err = mysql_stmt_errno(stmt);

	snprintf(errbuf, errsize, "%s: %s", what,
		 err ? mysql_stmt_error(stmt) : "unknown error");
	return err ? err : CR_UNKNOWN_ERROR;
}

/*
 * db_select_long - a value longer than its bound buffer, read whole
 *
 * MYSQL_DATA_TRUNCATED leaves the first DB_FIELD_MAX - 1 bytes in the
 * buffer and the full length in len: the rest is read with
 * mysql_stmt_fetch_column() into *big (freed by the caller), so no
 * caller ever sees a value cut short (a subject tag cut inside a UTF-8
 * character, an address that matches what it should not).
 */
static unsigned
db_select_long(MYSQL_STMT *stmt, unsigned col, unsigned long len, char **big,
	       char *errbuf, size_t errsize)
{
	MYSQL_BIND b;
	unsigned long got = 0;

	*big = xmalloc(len + 1);
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = *big;
	b.buffer_length = len;
	b.length = &got;
	if (mysql_stmt_fetch_column(stmt, &b, col, 0) != 0)
		return db_stmt_failed(stmt, "fetch column", errbuf, errsize);
	(*big)[len] = 0;
	return 0;
}

/* db_select - rows of a prepared SELECT, as strings */
unsigned
db_select(MYSQL *c, const char *sql, const struct db_param *params, size_t n,
	  int (*row)(void *ctx, const char *const *values, size_t n), void *ctx,
	  char *errbuf, size_t errsize)
{
	MYSQL_STMT *stmt = NULL;
	MYSQL_RES *meta;
	unsigned err, cols;

	if ((err = db_run(c, &stmt, sql, params, n, NULL, errbuf, errsize)))
		return err;
	if ((meta = mysql_stmt_result_metadata(stmt)) == NULL) {
		db_stmt_close(&stmt);
		return 0;
	}
	cols = mysql_num_fields(meta);
	mysql_free_result(meta);
	{
		MYSQL_BIND bind[cols];
		char(*buf)[DB_FIELD_MAX] = xcalloc(cols, DB_FIELD_MAX);
		char *big[cols];
		unsigned long len[cols];
		my_bool null[cols];
		const char *values[cols];

		memset(bind, 0, sizeof(bind));
		memset(big, 0, sizeof(big));
		for (unsigned i = 0; i < cols; i++) {
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = buf[i];
			bind[i].buffer_length = DB_FIELD_MAX - 1;
			bind[i].length = len + i;
			bind[i].is_null = null + i;
		}
		if (mysql_stmt_bind_result(stmt, bind) != 0 ||
		    mysql_stmt_store_result(stmt) != 0)
			err = db_stmt_failed(stmt, "store result", errbuf,
					     errsize);
		while (err == 0) {
			int rc = mysql_stmt_fetch(stmt);
			int stop;

			if (rc == MYSQL_NO_DATA)
				break;
			/* A failed fetch is an error, never "no more rows":
			 * a lookup must not read as "no policy" (fail closed). */
			if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
				err = db_stmt_failed(stmt, "fetch", errbuf,
						     errsize);
				break;
			}
			for (unsigned i = 0; i < cols && err == 0; i++) {
				values[i] = null[i] ? NULL : buf[i];
				if (null[i])
					continue;
				if (len[i] < DB_FIELD_MAX)
					buf[i][len[i]] = 0;
				else if ((err = db_select_long(stmt, i, len[i],
							       big + i, errbuf,
							       errsize)) == 0)
					values[i] = big[i];
			}
			stop = err == 0 && row(ctx, values, cols);
			for (unsigned i = 0; i < cols; i++) {
				free(big[i]);
				big[i] = NULL;
			}
			if (stop)
				break;
		}
		free(buf);
	}
	db_stmt_close(&stmt);
	return err;
}

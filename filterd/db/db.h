#ifndef FILTERD_DB_H
#define FILTERD_DB_H

/*++
/* NAME
/*	db 3h
/* SUMMARY
/*	MariaDB/MySQL connections over a DSN list, with failover and failback
/* SYNOPSIS
/*	#include "db/db.h"
/* DESCRIPTION
/*	A struct db is a list of DSNs (sql.storage or sql.lookup) tried in
/*	order, as Postfix does with "hosts = db1 db2". db_create() only
/*	records the list; connections are made after fork, by the process
/*	that uses them, and never inherited (STYLE rule 17).
/*
/*	db_connection() returns a live connection: the first DSN of the list
/*	that is not resting, connecting to it if needed. A DSN that failed
/*	rests for retry_interval seconds; after that it is tried again before
/*	the later ones, so service fails back to the first DSN when it
/*	returns. Returns NULL with the reason in errbuf when every DSN is
/*	down or resting.
/*
/*	db_failed() tells the db that the connection db_connection() gave
/*	broke in use (a query failed with a connection error): it is closed.
/*	When db_connection() had reused it (kept from earlier use: the
/*	server may have closed it while it was idle, after wait_timeout, a
/*	restart or a KILL), its DSN does not rest: the next db_connection()
/*	connects to the same DSN again at once, and db_failed() returns 0.
/*	When it had been made for this use, the DSN rests for
/*	retry_interval and db_failed() returns 1 (the next connection is a
/*	failover, if another DSN is up). Either way the caller may ask for
/*	the next connection and retry its transaction there; a DSN rests
/*	only when a fresh connect, or a query on a fresh connection, fails.
/*	db_is_connection_error() tells such errors from errors of the
/*	statement itself.
/*
/*	db_txn() runs one transaction on the list and owns its retries:
/*	body(c, ctx, errbuf, errsize) issues the transaction's statements
/*	on c, checking every result, and returns 0 or the error number of
/*	the first that failed; db_txn() then commits (COMMIT's result is
/*	checked too: on a Galera node a write set that loses certification
/*	fails there). A conflict (db_is_conflict: 1213, a deadlock or, on
/*	Galera, a certification failure or a transaction aborted by another
/*	node's write, reported at COMMIT or on the next statement; 1205, a
/*	lock wait timeout) rolls back and runs body again from its start on
/*	the same connection after db_backoff(), at most DB_CONFLICT_TRIES
/*	runs in all. A lost connection (db_is_connection_error) goes to
/*	db_failed() and body runs again on the next connection, at most
/*	DB_LOST_TRIES times. Any other error rolls back and ends it. body
/*	must keep nothing of a failed run. what (a mail id) starts the log
/*	line of each conflict retried. Returns 0; or the last error number
/*	(> 0) with its text in errbuf. *st, when not NULL, gets the runs
/*	that failed (conflicts retried apart), the moves to another DSN and
/*	the conflicts retried.
/*
/*	A COMMIT whose reply is lost (the connection fails at COMMIT) may
/*	have committed. When done is not NULL, done(c, ctx, &found, errbuf,
/*	errsize) is asked on the next connection, before body runs again:
/*	it returns 0 with found set to 1 when the transaction's writes are
/*	there (the transaction is over: db_txn() returns 0) or to 0 when
/*	they are not (body runs again); or, when it could not tell, the
/*	error number with its text, which counts as the run's (a lost
/*	connection: asked again on the next one). It must read what only this
/*	transaction writes (the RECORD stage: the msgs row of its mail_id);
/*	on a Galera node it reads causally when db_sync_reads() is on.
/*	With done NULL, body simply runs again: for transactions that may
/*	run twice (UPDATEs to the same values).
/*	db_backoff(attempt) sleeps a jittered, doubling delay (attempt 0:
/*	5..10 ms; attempt 3: 40..80 ms), so that two nodes whose write sets
/*	collided do not collide again in step.
/*
/*	db_sync_reads() asks that every later connection of the list to a
/*	Galera node (SELECT @@wsrep_on is 1) run its reads causally: SET
/*	SESSION wsrep_sync_wait = 1, so that a SELECT (also SHOW and BEGIN)
/*	sees every write the cluster committed before it, on whichever node
/*	it was made. Use it for reads that must see another node's write
/*	just made: pen pals (sql.storage) and a quarantine release's reads
/*	(the AM.PDP service, filterd-release). It costs one cluster round
/*	trip per read; a server that is not a Galera node (or a MySQL
/*	server, which has no @@wsrep_on) is left as it is. Call it before
/*	db_connection().
/*
/*	db_current() names the DSN in use (0-based), for logs and tests;
/*	db_failovers() counts the times service moved to another DSN.
/* PROCESS
/*	children, milter process, filterd-sql.
/*--*/

#include <stddef.h>

struct conf_strlist;
struct db;
typedef struct st_mysql MYSQL;

struct db *db_create(const struct conf_strlist *dsns, int retry_interval,
		     int connect_timeout);
void db_free(struct db **dbp);
MYSQL *db_connection(struct db *db, char *errbuf, size_t errsize);
int db_failed(struct db *db, const char *why);
int db_is_connection_error(unsigned err);

#define DB_CONFLICT_TRIES 5 /* runs of one transaction, conflicts included */
#define DB_LOST_TRIES 3	    /* connections one transaction may lose */

int db_is_conflict(unsigned err);
void db_backoff(int attempt);

struct db_txn_stats {
	unsigned failures;  /* runs that failed, retried conflicts apart */
	unsigned failovers; /* moves to another DSN */
	unsigned conflicts; /* conflicts retried */
};

unsigned
db_txn(struct db *db, const char *what,
       unsigned (*body)(MYSQL *c, void *ctx, char *errbuf, size_t errsize),
       unsigned (*done)(MYSQL *c, void *ctx, int *found, char *errbuf,
			size_t errsize),
       void *ctx, struct db_txn_stats *st, char *errbuf, size_t errsize);
void db_sync_reads(struct db *db, int on);
int db_current(const struct db *db);
unsigned long db_failovers(const struct db *db);

/* A parameter of a prepared statement (db_run). */
enum db_param_type {
	DB_STR,	   /* p, NUL-terminated (NULL: SQL NULL), bytes as they are */
	DB_TEXT,   /* p, NUL-terminated, for a character (utf8mb4) column */
	DB_BLOB,   /* p, len bytes */
	DB_INT,	   /* i */
	DB_DOUBLE, /* d */
};

struct db_param {
	enum db_param_type type;
	const void *p;
	unsigned long len;
	long long i;
	double d;
};

/*
 * A DB_TEXT value goes as safe_log_text() makes a log line's text: as it
 * is when it is printable, well-formed UTF-8; else each control (CR, LF,
 * TAB, NUL from an encoded-word, ESC...), DEL, C1 control, line or
 * direction mark, and each byte outside a well-formed sequence is
 * written \xNN (or \r \n \t): "caf\xe9". A character column (utf8mb4,
 * strict mode) refuses invalid bytes ("Incorrect string value") on
 * every try, and the message would tempfail for good; a control would
 * reach whatever shows the column (a quarantine web page, a terminal).
 * The one escaper of the SQL sink: callers pass the text as it came.
 * Use DB_TEXT for every character
 * column that text from a message or a peer reaches, and for the keys
 * that are compared with one (pen pals' Message-IDs), so that both sides
 * are made valid alike; DB_STR for binary columns (varbinary, blob).
 *
 * db_run() executes sql with params on c through a prepared statement.
 * *stmt caches the statement between calls (NULL at first; the caller
 * closes it with db_stmt_close() when done). Returns 0; or the MySQL
 * error number (> 0) with the text in errbuf. *insert_id, when not NULL,
 * gets the statement's insert id.
 */
typedef struct st_mysql_stmt MYSQL_STMT;

unsigned db_run(MYSQL *c, MYSQL_STMT **stmt, const char *sql,
		const struct db_param *params, size_t n,
		unsigned long long *insert_id, char *errbuf, size_t errsize);
void db_stmt_close(MYSQL_STMT **stmt);

/*
 * db_select() executes a SELECT through a prepared statement and calls
 * row(ctx, values, n) for each result row, values[i] a NUL-terminated
 * string or NULL for SQL NULL, valid until row() returns. A value is
 * never cut: one longer than DB_FIELD_MAX - 1 bytes (the buffer bound
 * per column) is read again whole. row() returns 0 to go on, 1 to stop.
 * Returns 0 when every row was read (or row() stopped); otherwise the
 * MySQL error number (> 0, also when the library gives none) with the
 * text in errbuf, whatever rows row() already saw: a fetch that fails
 * part way is an error, not the end of the rows.
 */
#define DB_FIELD_MAX 256

unsigned db_select(MYSQL *c, const char *sql, const struct db_param *params,
		   size_t n,
		   int (*row)(void *ctx, const char *const *values, size_t n),
		   void *ctx, char *errbuf, size_t errsize);
#endif

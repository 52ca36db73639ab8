/*++
/* NAME
/*	test_attack17 1
/* SUMMARY
/*	outside review of issue 17: the SQL quarantine transaction commits
/*	a copy cut short when the spool cannot be read
/* DESCRIPTION
/*	quar_sql_chunks() writes the quarantined copy in 16 KB chunks,
/*	reading the spool with pread() through quar_read(). Its loop stops
/*	at the first read that returns 0 or less, and returns the SQL error
/*	of the last INSERT, which is 0: a read error (EIO) ends the copy as
/*	if it were complete. db_txn() then commits the rows and the first
/*	chunks, and quar_record() returns 0, so the client gets 250 while
/*	the only copy of the blocked message, the SQL quarantine, is cut
/*	short. The local writer (quar_local) fails on the same read error
/*	("read spool for"): the SQL writer must too (a check that cannot
/*	finish fails closed).
/*
/*	pread() is wrapped (-Wl,--wrap, STYLE rule 22: libraries only) to
/*	fail with EIO from its second call; the MariaDB Connector/C calls
/*	that need a server are wrapped and succeed, and COMMIT and
/*	ROLLBACK are counted. Before any fix: quar_record() returns 0 after
/*	one chunk INSERT and one COMMIT.
/*--*/

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>
#include <mysql.h>

#include "conf/conf.h"
#include "db/db.h"
#include "quarantine/quar.h"
#include "spool/spool.h"
#include "txn/rcpt.h"
#include "txn/txn.h"

static int pread_calls;	       /* pread() calls since armed */
static int pread_fail_from;    /* fail from this call on (0: never) */
static int commits, rollbacks; /* COMMITs and ROLLBACKs */
static int chunk_inserts;      /* INSERTs into quarantine executed */

/* Which statement each prepared handle is: the last ones prepared. */
#define PREPARED_MAX 16
static struct {
	MYSQL_STMT *stmt;
	int is_chunk;
} prepared[PREPARED_MAX];

ssize_t __real_pread(int fd, void *buf, size_t len, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t len, off_t off);

/* __wrap_pread - libc's, or EIO once armed and past the first call */
ssize_t
__wrap_pread(int fd, void *buf, size_t len, off_t off)
{
	if (pread_fail_from && ++pread_calls >= pread_fail_from) {
		errno = EIO;
		return -1;
	}
	return __real_pread(fd, buf, len, off);
}

MYSQL *__wrap_mysql_real_connect(MYSQL *c, const char *host, const char *user,
				 const char *passwd, const char *db,
				 unsigned int port, const char *unix_socket,
				 unsigned long flags);
my_bool __wrap_mysql_autocommit(MYSQL *c, my_bool on);
int __wrap_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *q,
			      unsigned long len);
my_bool __wrap_mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *bind);
int __wrap_mysql_stmt_execute(MYSQL_STMT *stmt);
my_bool __wrap_mysql_commit(MYSQL *c);
my_bool __wrap_mysql_rollback(MYSQL *c);

/* __wrap_mysql_real_connect - a server that is always up */
MYSQL *
__wrap_mysql_real_connect(MYSQL *c, const char *host, const char *user,
			  const char *passwd, const char *db, unsigned int port,
			  const char *unix_socket, unsigned long flags)
{
	(void)host, (void)user, (void)passwd, (void)db, (void)port;
	(void)unix_socket, (void)flags;
	return c;
}

/* __wrap_mysql_autocommit - nothing to tell it */
my_bool
__wrap_mysql_autocommit(MYSQL *c, my_bool on)
{
	(void)c, (void)on;
	return 0;
}

/* __wrap_mysql_stmt_prepare - remember whether it is a chunk INSERT */
int
__wrap_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *q, unsigned long len)
{
	(void)len;
	for (size_t i = 0; i < PREPARED_MAX; i++) {
		if (prepared[i].stmt == NULL || prepared[i].stmt == stmt) {
			prepared[i].stmt = stmt;
			prepared[i].is_chunk =
				strstr(q, "INSERT INTO quarantine") != NULL;
			return 0;
		}
	}
	fail_msg("too many statements prepared");
	return 1;
}

/* __wrap_mysql_stmt_bind_param - every parameter is taken */
my_bool
__wrap_mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *bind)
{
	(void)stmt, (void)bind;
	return 0;
}

/* __wrap_mysql_stmt_execute - every statement succeeds; chunks counted */
int
__wrap_mysql_stmt_execute(MYSQL_STMT *stmt)
{
	for (size_t i = 0; i < PREPARED_MAX; i++)
		if (prepared[i].stmt == stmt && prepared[i].is_chunk)
			chunk_inserts++;
	return 0;
}

/* __wrap_mysql_commit - counted, succeeds */
my_bool
__wrap_mysql_commit(MYSQL *c)
{
	(void)c;
	commits++;
	return 0;
}

/* __wrap_mysql_rollback - counted, succeeds */
my_bool
__wrap_mysql_rollback(MYSQL *c)
{
	(void)c;
	rollbacks++;
	return 0;
}

/* blocked_sql_txn - a 40 KB virus (three chunks) for the SQL quarantine */
static struct txn *
blocked_sql_txn(const struct conf *conf, struct conf_strlist *list)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 40000);
	char err[256], line[80];

	txn_add_rcpt(t, "rcpt@example.net", NULL);
	t->sender = "sender@example.org";
	rcpt_policy(t, t->rcpts, RCPT_DISCARDED, "VIRUS: Eicar-Test-Signature");
	t->ccat = TXN_CCAT_VIRUS;
	t->bank.v.virus_quarantine = CONF_Q_SQL;
	t->storage = db_create(list, 60, 5);
	t->spool = spool_create("/tmp", t->id, err, sizeof(err));
	assert_non_null(t->spool);
	for (int i = 0; i < 512; i++) {
		snprintf(line, sizeof(line), "%-77d\r\n", i);
		spool_write(t->spool, line, strlen(line));
	}
	assert_int_equal(spool_commit(t->spool, err, sizeof(err)), 0);
	t->size = 512 * 79;
	pread_calls = 0;
	commits = rollbacks = chunk_inserts = 0;
	memset(prepared, 0, sizeof(prepared));
	return t;
}

/* test_whole_copy - the control: no read error, three chunks, a COMMIT */
static void
test_whole_copy(void **state)
{
	static char dsn[] = "mysql://u:p@127.0.0.1:3306/filterd";
	char *dsns[] = {dsn};
	struct conf_strlist list = {dsns, 1};
	struct conf *conf;
	struct txn *t;
	char err[256];

	(void)state;
	assert_non_null(conf = conf_load(NULL, err, sizeof(err)));
	t = blocked_sql_txn(conf, &list);
	assert_int_equal(quar_record(t), 0);
	assert_int_equal(chunk_inserts, 3);
	assert_int_equal(commits, 1);
	db_free(&t->storage);
	txn_free(&t);
	conf_free(&conf);
}

/* test_spool_read_error_fails_sql_quarantine - 451, nothing committed */
static void
test_spool_read_error_fails_sql_quarantine(void **state)
{
	static char dsn[] = "mysql://u:p@127.0.0.1:3306/filterd";
	char *dsns[] = {dsn};
	struct conf_strlist list = {dsns, 1};
	struct conf *conf;
	struct txn *t;
	char err[256];
	int rc;

	(void)state;
	assert_non_null(conf = conf_load(NULL, err, sizeof(err)));
	t = blocked_sql_txn(conf, &list);
	pread_fail_from = 2; /* the first chunk reads; the second fails */
	rc = quar_record(t);
	pread_fail_from = 0;
	if (rc == 0 || commits != 0)
		fail_msg("spool read error (EIO) at the second chunk: "
			 "quar_record() = %d (0 is a 250), %d chunk INSERT(s) "
			 "of 3, %d COMMIT(s), %d ROLLBACK(s)",
			 rc, chunk_inserts, commits, rollbacks);
	assert_int_equal(t->error, TXN_ERR_RECORD);
	db_free(&t->storage);
	txn_free(&t);
	conf_free(&conf);
}

/* test_spool_shorter_than_size_fails - a spool cut short is no end */
static void
test_spool_shorter_than_size_fails(void **state)
{
	static char dsn[] = "mysql://u:p@127.0.0.1:3306/filterd";
	char *dsns[] = {dsn};
	struct conf_strlist list = {dsns, 1};
	struct conf *conf;
	struct txn *t;
	char err[256];
	int rc;

	(void)state;
	assert_non_null(conf = conf_load(NULL, err, sizeof(err)));
	t = blocked_sql_txn(conf, &list);
	t->size += 20000; /* the spool ends 20 KB before the message */
	rc = quar_record(t);
	if (rc == 0 || commits != 0)
		fail_msg("spool 20 KB shorter than the message: "
			 "quar_record() = %d (0 is a 250), %d chunk INSERT(s), "
			 "%d COMMIT(s)",
			 rc, chunk_inserts, commits);
	assert_int_equal(t->error, TXN_ERR_RECORD);
	db_free(&t->storage);
	txn_free(&t);
	conf_free(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_copy),
		cmocka_unit_test(test_spool_read_error_fails_sql_quarantine),
		cmocka_unit_test(test_spool_shorter_than_size_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

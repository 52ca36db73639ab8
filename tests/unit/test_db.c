/*++
/* NAME
/*	test_db 1
/* SUMMARY
/*	unit tests for db/db.c: db_select() never turns an error into rows
/* DESCRIPTION
/*	A real server cannot be made to fail a fetch once the result is on
/*	the client, so the MariaDB Connector/C calls that need a server are
/*	wrapped (-Wl,--wrap, STYLE rule 22: libraries only) and scripted:
/*	each case lists what mysql_stmt_fetch() returns in turn (a row, an
/*	error, the end) and what db_select() must return and pass to its
/*	row callback. The statement itself is a real one from
/*	mysql_stmt_init() on an unconnected handle.
/*
/*	A fetch error after some rows, or at once, is an error (before: "no
/*	more rows", so a failed lookup read as "no policy"); a value longer
/*	than the bound buffer (MYSQL_DATA_TRUNCATED) reaches the callback
/*	whole, read with mysql_stmt_fetch_column().
/*
/*	db_connection() and db_failed() over two DSNs, with
/*	mysql_real_connect() scripted per DSN (up or down): a reused
/*	connection that breaks is reconnected to the same DSN at once (a
/*	server that closed an idle connection is not a dead server); a
/*	DSN rests only when a fresh connect, or a fresh connection, fails;
/*	failover to the second DSN and failback keep working.
/*
/*	db_txn() with a scripted body and COMMIT (mysql_commit and
/*	mysql_rollback wrapped): a conflict (1213, 1205), from a statement
/*	or from COMMIT, rolls back and runs the body again, at most
/*	DB_CONFLICT_TRIES runs; a lost connection runs it again on the next
/*	DSN; any other error rolls back and ends it.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errmsg.h>
#include <mysql.h>

#include "conf/conf.h"
#include "db/db.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define COLS 2
#define STEPS_MAX 4

/* What one mysql_stmt_fetch() call does. */
struct step {
	int rc;		     /* 0: a row; 1: an error; MYSQL_NO_DATA */
	const char *v[COLS]; /* the row (NULL: SQL NULL) */
	unsigned err;	     /* the error's number (rc 1) */
};

#define ROW(a, b)                                                              \
	{                                                                      \
		0, {(a), (b)}, 0                                               \
	}
#define FAIL(e)                                                                \
	{                                                                      \
		1, {NULL, NULL}, (e)                                           \
	}
#define END                                                                    \
	{                                                                      \
		MYSQL_NO_DATA, {NULL, NULL}, 0                                 \
	}

static char long_a[300], long_b[DB_FIELD_MAX + 1], fits[DB_FIELD_MAX];

struct db_case {
	const char *name;
	struct step steps[STEPS_MAX];
	int column_fails; /* mysql_stmt_fetch_column() fails */
	unsigned want_rc; /* 0, or the error number */
	const char *want_rows;
};

/* The long values are filled in by setup(); rows name them by marks. */
#define LONG_A "<long_a>"
#define LONG_B "<long_b>"
#define FITS "<fits>"

static const struct db_case db_cases[] = {
	{"rows then the end",
	 {ROW("a", "b"), ROW("c", NULL), END},
	 0,
	 0,
	 "a|b\nc|(null)\n"},
	{"no rows", {END}, 0, 0, ""},
	{"fetch error after a row",
	 {ROW("a", "b"), FAIL(CR_SERVER_LOST)},
	 0,
	 CR_SERVER_LOST,
	 "a|b\n"},
	{"fetch error at once", {FAIL(CR_SERVER_LOST)}, 0, CR_SERVER_LOST, ""},
	{"fetch error without a number", {FAIL(0)}, 0, CR_UNKNOWN_ERROR, ""},
	{"value that fits", {ROW(FITS, "b"), END}, 0, 0, FITS "|b\n"},
	{"long value whole", {ROW(LONG_A, "b"), END}, 0, 0, LONG_A "|b\n"},
	{"two long values",
	 {ROW(LONG_B, LONG_A), ROW("x", "y"), END},
	 0,
	 0,
	 LONG_B "|" LONG_A "\nx|y\n"},
	{"long value unreadable",
	 {ROW("a", LONG_A), END},
	 1,
	 CR_SERVER_LOST,
	 ""},
};

/* The script being played, and where it is. */
static struct {
	const struct db_case *c;
	size_t step;
	MYSQL_BIND *bind; /* from mysql_stmt_bind_result() */
	const char *row[COLS];
	size_t fetches;
} play;

/* value - a value of the script, the marks replaced */
static const char *
value(const char *v)
{
	if (v == NULL)
		return NULL;
	if (strcmp(v, LONG_A) == 0)
		return long_a;
	if (strcmp(v, LONG_B) == 0)
		return long_b;
	if (strcmp(v, FITS) == 0)
		return fits;
	return v;
}

/* stmt_fail - what the library does on an error */
static int
stmt_fail(MYSQL_STMT *stmt, unsigned err)
{
	stmt->last_errno = err;
	snprintf(stmt->last_error, sizeof(stmt->last_error), "%s",
		 err ? "Lost connection to server during query" : "");
	return 1;
}

int __wrap_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *q,
			      unsigned long len);
int __wrap_mysql_stmt_execute(MYSQL_STMT *stmt);
MYSQL_RES *__wrap_mysql_stmt_result_metadata(MYSQL_STMT *stmt);
unsigned int __wrap_mysql_num_fields(MYSQL_RES *res);
void __wrap_mysql_free_result(MYSQL_RES *res);
my_bool __wrap_mysql_stmt_bind_result(MYSQL_STMT *stmt, MYSQL_BIND *bind);
int __wrap_mysql_stmt_store_result(MYSQL_STMT *stmt);
int __wrap_mysql_stmt_fetch(MYSQL_STMT *stmt);
int __wrap_mysql_stmt_fetch_column(MYSQL_STMT *stmt, MYSQL_BIND *bind,
				   unsigned int column, unsigned long offset);

static MYSQL_RES *fake_meta = (MYSQL_RES *)&play;

static int prepare_fails; /* mysql_stmt_prepare() fails */
static char bound[4][64]; /* the string parameters bound, as text */
my_bool __wrap_mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *bind);

int
__wrap_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *q, unsigned long len)
{
	(void)q, (void)len;
	return prepare_fails ? stmt_fail(stmt, 1213) : 0;
}

/* __wrap_mysql_stmt_bind_param - keep the first four strings bound */
my_bool
__wrap_mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *bind)
{
	(void)stmt;
	for (size_t i = 0; i < 4; i++)
		if (bind[i].buffer_type == MYSQL_TYPE_STRING)
			snprintf(bound[i], sizeof(bound[i]), "%.*s",
				 (int)bind[i].buffer_length,
				 (const char *)bind[i].buffer);
	return 0;
}

int
__wrap_mysql_stmt_execute(MYSQL_STMT *stmt)
{
	(void)stmt;
	return 0;
}

MYSQL_RES *
__wrap_mysql_stmt_result_metadata(MYSQL_STMT *stmt)
{
	(void)stmt;
	return fake_meta;
}

unsigned int
__wrap_mysql_num_fields(MYSQL_RES *res)
{
	assert_ptr_equal(res, fake_meta);
	return COLS;
}

void
__wrap_mysql_free_result(MYSQL_RES *res)
{
	assert_ptr_equal(res, fake_meta);
}

my_bool
__wrap_mysql_stmt_bind_result(MYSQL_STMT *stmt, MYSQL_BIND *bind)
{
	(void)stmt;
	play.bind = bind;
	return 0;
}

int
__wrap_mysql_stmt_store_result(MYSQL_STMT *stmt)
{
	(void)stmt;
	return 0;
}

/* __wrap_mysql_stmt_fetch - the next step of the script */
int
__wrap_mysql_stmt_fetch(MYSQL_STMT *stmt)
{
	const struct step *s;
	int truncated = 0;

	assert_true(play.step < STEPS_MAX);
	s = play.c->steps + play.step++;
	play.fetches++;
	if (s->rc == 1)
		return stmt_fail(stmt, s->err);
	if (s->rc == MYSQL_NO_DATA)
		return MYSQL_NO_DATA;
	/* A row: into the bound buffers, as far as they go. */
	for (size_t i = 0; i < COLS; i++) {
		MYSQL_BIND *b = play.bind + i;
		const char *v = value(s->v[i]);
		size_t len = v ? strlen(v) : 0;

		play.row[i] = v;
		*b->is_null = v == NULL;
		*b->length = len;
		memcpy(b->buffer, v ? v : "",
		       len < b->buffer_length ? len : b->buffer_length);
		truncated |= len > b->buffer_length;
	}
	return truncated ? MYSQL_DATA_TRUNCATED : 0;
}

/* __wrap_mysql_stmt_fetch_column - one column of the current row again */
int
__wrap_mysql_stmt_fetch_column(MYSQL_STMT *stmt, MYSQL_BIND *bind,
			       unsigned int column, unsigned long offset)
{
	const char *v;
	size_t len;

	assert_true(column < COLS);
	if (play.c->column_fails)
		return stmt_fail(stmt, CR_SERVER_LOST);
	v = play.row[column];
	assert_non_null(v);
	len = strlen(v);
	assert_true(offset <= len);
	if (bind->length)
		*bind->length = len;
	memcpy(bind->buffer, v + offset,
	       len - offset < bind->buffer_length ? len - offset
						  : bind->buffer_length);
	return 0;
}

/* collect - the row callback: "v1|v2\n" per row */
static int
collect(void *ctx, const char *const *v, size_t n)
{
	struct buf *out = ctx;

	assert_int_equal(n, COLS);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? "|" : "", v[i] ? v[i] : "(null)");
	buf_puts(out, "\n");
	return 0;
}

/* expand - a wanted text with the marks replaced by the long values */
static void
expand(const char *want, struct buf *out)
{
	static const char *const marks[] = {LONG_A, LONG_B, FITS};

	while (*want) {
		size_t k;

		for (k = 0; k < N_ELEMS(marks); k++)
			if (strncmp(want, marks[k], strlen(marks[k])) == 0)
				break;
		if (k < N_ELEMS(marks)) {
			buf_puts(out, value(marks[k]));
			want += strlen(marks[k]);
		} else {
			buf_append(out, want++, 1);
		}
	}
}

/* setup - the long values */
static int
setup(void **state)
{
	(void)state;
	memset(long_a, 'A', sizeof(long_a) - 1);
	memset(long_b, 'B', sizeof(long_b) - 1);
	memset(fits, 'F', sizeof(fits) - 1);
	/* DB_FIELD_MAX - 1 bytes fit the buffer; one more does not. */
	assert_int_equal(strlen(fits), DB_FIELD_MAX - 1);
	assert_int_equal(strlen(long_b), DB_FIELD_MAX);
	return 0;
}

/* test_table - every scripted case */
static void
test_table(void **state)
{
	MYSQL *c = mysql_init(NULL);

	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < N_ELEMS(db_cases); i++) {
		const struct db_case *dc = db_cases + i;
		struct buf rows, want;
		char err[256] = "";
		unsigned rc;

		memset(&play, 0, sizeof(play));
		play.c = dc;
		buf_init(&rows, 64);
		buf_init(&want, 64);
		expand(dc->want_rows, &want);
		rc = db_select(c, "SELECT a, b FROM t", NULL, 0, collect, &rows,
			       err, sizeof(err));
		if (rc != dc->want_rc)
			fail_msg("%s: returned %u, want %u (%s)", dc->name, rc,
				 dc->want_rc, err);
		if (rc && err[0] == 0)
			fail_msg("%s: an error without its text", dc->name);
		if (strcmp(rows.data, want.data) != 0)
			fail_msg("%s: rows \"%.80s\", want \"%.80s\"", dc->name,
				 rows.data, want.data);
		/* Nothing fetched after an error or the end. */
		for (size_t k = 0; k < play.fetches; k++)
			if (k + 1 < play.fetches && dc->steps[k].rc != 0)
				fail_msg("%s: fetched on after step %zu",
					 dc->name, k);
		buf_release(&rows);
		buf_release(&want);
	}
	mysql_close(c);
}

/* The two DSNs of the connection cases, told apart by their port. */
#define DSN_PORT 3301
static const char *const conn_dsns[] = {
	"mysql://filterd:secret@127.0.0.1:3301/filterd",
	"mysql://filterd:secret@127.0.0.1:3302/filterd",
};

/* Which DSN servers take connections, and how many were made. */
static struct {
	int up[2];
	unsigned connects[2];
} servers;

MYSQL *__real_mysql_real_connect(MYSQL *c, const char *host, const char *user,
				 const char *pw, const char *db,
				 unsigned int port, const char *sock,
				 unsigned long flags);
MYSQL *__wrap_mysql_real_connect(MYSQL *c, const char *host, const char *user,
				 const char *pw, const char *db,
				 unsigned int port, const char *sock,
				 unsigned long flags);
my_bool __wrap_mysql_autocommit(MYSQL *c, my_bool on);

/* __wrap_mysql_real_connect - the scripted server of that port */
MYSQL *
__wrap_mysql_real_connect(MYSQL *c, const char *host, const char *user,
			  const char *pw, const char *db, unsigned int port,
			  const char *sock, unsigned long flags)
{
	unsigned i = port - DSN_PORT;

	(void)host, (void)user, (void)pw, (void)db, (void)sock, (void)flags;
	assert_true(i < 2);
	if (!servers.up[i])
		return NULL; /* the handle's error stays empty: fine here */
	servers.connects[i]++;
	return c;
}

/* __wrap_mysql_autocommit - nothing to tell a scripted server */
my_bool
__wrap_mysql_autocommit(MYSQL *c, my_bool on)
{
	(void)c, (void)on;
	return 0;
}

/* One step of a connection case. */
enum conn_op {
	OP_END,
	OP_UP,	  /* server arg is up */
	OP_DOWN,  /* server arg is down */
	OP_GET,	  /* db_connection(): want DSN arg (-1: none) */
	OP_BROKE, /* db_failed(): want it to return arg (1: rested) */
};

struct conn_step {
	enum conn_op op;
	int arg;
	unsigned connects[2]; /* for OP_GET: connects made so far, per DSN */
};

#define CONN_STEPS_MAX 12

struct conn_case {
	const char *name;
	struct conn_step steps[CONN_STEPS_MAX];
};

static const struct conn_case conn_cases[] = {
	{"idle connection closed by the server: reconnected at once",
	 {{OP_UP, 0, {0}},
	  {OP_GET, 0, {1, 0}},
	  {OP_GET, 0, {1, 0}}, /* reused, as between messages */
	  {OP_BROKE, 0, {0}},  /* no rest */
	  {OP_GET, 0, {2, 0}}, /* the same DSN, a new connection */
	  {OP_GET, 0, {2, 0}},
	  {OP_BROKE, 0, {0}}, /* that one too, once reused */
	  {OP_GET, 0, {3, 0}}}},
	{"fresh connection that breaks: the DSN rests",
	 {{OP_UP, 0, {0}},
	  {OP_GET, 0, {1, 0}},
	  {OP_BROKE, 1, {0}},
	  {OP_GET, -1, {1, 0}}}},
	{"reconnected, then broken again: rests after one retry",
	 {{OP_UP, 0, {0}},
	  {OP_GET, 0, {1, 0}},
	  {OP_GET, 0, {1, 0}},
	  {OP_BROKE, 0, {0}},
	  {OP_GET, 0, {2, 0}},
	  {OP_BROKE, 1, {0}},
	  {OP_GET, -1, {2, 0}}}},
	{"server gone: the reconnect fails over to the second DSN",
	 {{OP_UP, 0, {0}},
	  {OP_UP, 1, {0}},
	  {OP_GET, 0, {1, 0}},
	  {OP_GET, 0, {1, 0}},
	  {OP_DOWN, 0, {0}},
	  {OP_BROKE, 0, {0}},
	  {OP_GET, 1, {1, 1}}, /* connect to the first failed: it rests */
	  {OP_GET, 1, {1, 1}},
	  {OP_UP, 0, {0}},
	  {OP_GET, 1, {1, 1}}}}, /* still resting: no failback yet */
	{"first DSN down from the start",
	 {{OP_UP, 1, {0}},
	  {OP_GET, 1, {0, 1}},
	  {OP_GET, 1, {0, 1}},
	  {OP_BROKE, 0, {0}},
	  {OP_GET, 1, {0, 2}}}},
};

/* test_connections - every scripted connection case */
static void
test_connections(void **state)
{
	char *v[] = {(char *)conn_dsns[0], (char *)conn_dsns[1]};
	struct conf_strlist dsns = {v, 2};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(conn_cases); i++) {
		const struct conn_case *cc = conn_cases + i;
		struct db *db = db_create(&dsns, 60, 1);

		memset(&servers, 0, sizeof(servers));
		for (size_t k = 0; k < CONN_STEPS_MAX; k++) {
			const struct conn_step *s = cc->steps + k;
			char err[256] = "";
			MYSQL *c;
			int got;

			switch (s->op) {
			case OP_END:
				k = CONN_STEPS_MAX;
				break;
			case OP_UP:
			case OP_DOWN:
				servers.up[s->arg] = s->op == OP_UP;
				break;
			case OP_GET:
				c = db_connection(db, err, sizeof(err));
				got = c ? db_current(db) : -1;
				if (got != s->arg ||
				    servers.connects[0] != s->connects[0] ||
				    servers.connects[1] != s->connects[1])
					fail_msg("%s, step %zu: DSN %d (want "
						 "%d), connects %u,%u (want "
						 "%u,%u) %s",
						 cc->name, k, got, s->arg,
						 servers.connects[0],
						 servers.connects[1],
						 s->connects[0], s->connects[1],
						 err);
				if (c == NULL && err[0] == 0)
					fail_msg("%s, step %zu: no reason",
						 cc->name, k);
				break;
			case OP_BROKE:
				got = db_failed(db, "Lost connection");
				if (got != s->arg)
					fail_msg("%s, step %zu: db_failed() "
						 "returned %d, want %d",
						 cc->name, k, got, s->arg);
				break;
			}
		}
		db_free(&db);
	}
}

/* What the scripted transaction returns, run by run. */
#define TXN_RUNS_MAX 8
static struct {
	unsigned body[TXN_RUNS_MAX];   /* body's result, run by run */
	unsigned commit[TXN_RUNS_MAX]; /* COMMIT's error, commit by commit */
	unsigned runs, commits, rollbacks;
} txn_play;

my_bool __wrap_mysql_commit(MYSQL *c);
my_bool __wrap_mysql_rollback(MYSQL *c);

/* __wrap_mysql_commit - the scripted COMMIT, its error on the handle */
my_bool
__wrap_mysql_commit(MYSQL *c)
{
	unsigned e = txn_play.commit[txn_play.commits++];

	c->net.last_errno = e;
	snprintf(c->net.last_error, sizeof(c->net.last_error), "%s",
		 e ? "Deadlock found when trying to get lock" : "");
	return e != 0;
}

/* __wrap_mysql_rollback - counted */
my_bool
__wrap_mysql_rollback(MYSQL *c)
{
	(void)c;
	txn_play.rollbacks++;
	return 0;
}

/* txn_body - the scripted transaction's statements */
static unsigned
txn_body(MYSQL *c, void *ctx, char *err, size_t errsize)
{
	unsigned e = txn_play.body[txn_play.runs++];

	(void)c, (void)ctx;
	if (e)
		snprintf(err, errsize, "statement failed (%u)", e);
	return e;
}

/* One db_txn() case: the script and what must come of it. */
struct txn_case {
	const char *name;
	unsigned body[TXN_RUNS_MAX];
	unsigned commit[TXN_RUNS_MAX];
	unsigned want_rc, want_runs, want_rollbacks;
	struct db_txn_stats want;
	unsigned want_connects[2];
	int done; /* txn_done's answer: 0 not there, 1 there; -1 no done */
	unsigned want_dones;
};

static int txn_done_found; /* what txn_done() finds */
static unsigned txn_dones; /* txn_done() calls */

/* txn_done - the scripted check of a COMMIT whose reply was lost */
static unsigned
txn_done(MYSQL *c, void *ctx, int *found, char *err, size_t errsize)
{
	(void)c, (void)ctx, (void)err, (void)errsize;
	txn_dones++;
	*found = txn_done_found;
	return 0;
}

static const struct txn_case txn_cases[] = {
	{"ok at once", {0}, {0}, 0, 1, 0, {0, 0, 0}, {1, 0}, -1, 0},
	{"two statement conflicts, then ok",
	 {1213, 1205, 0},
	 {0},
	 0,
	 3,
	 2,
	 {0, 0, 2},
	 {1, 0},
	 -1,
	 0},
	{"a certification failure at COMMIT, then ok",
	 {0, 0},
	 {1213, 0},
	 0,
	 2,
	 1,
	 {0, 0, 1},
	 {1, 0},
	 -1,
	 0},
	{"conflicts every run: 5 runs, then the error",
	 {1213, 1213, 1213, 1213, 1213, 0},
	 {0},
	 1213,
	 DB_CONFLICT_TRIES,
	 DB_CONFLICT_TRIES,
	 {1, 0, DB_CONFLICT_TRIES - 1},
	 {1, 0},
	 -1,
	 0},
	{"another error: no second run",
	 {1062, 0},
	 {0},
	 1062,
	 1,
	 1,
	 {1, 0, 0},
	 {1, 0},
	 -1,
	 0},
	{"connection lost: again on the next DSN",
	 {CR_SERVER_LOST, 0},
	 {0},
	 0,
	 2,
	 0,
	 {1, 1, 0},
	 {1, 1},
	 -1,
	 0},
	{"COMMIT's reply lost, the row there: done, not run again",
	 {0, 0},
	 {CR_SERVER_LOST, 0},
	 0,
	 1,
	 1,
	 {1, 1, 0},
	 {1, 1},
	 1,
	 1},
	{"COMMIT's reply lost, no row: run again",
	 {0, 0},
	 {CR_SERVER_LOST, 0},
	 0,
	 2,
	 0,
	 {1, 1, 0},
	 {1, 1},
	 0,
	 1},
	{"COMMIT's reply lost, no done(): run again",
	 {0, 0},
	 {CR_SERVER_LOST, 0},
	 0,
	 2,
	 0,
	 {1, 1, 0},
	 {1, 1},
	 -1,
	 0},
	{"a body's lost connection is no unknown COMMIT: no done()",
	 {CR_SERVER_LOST, 0},
	 {0},
	 0,
	 2,
	 0,
	 {1, 1, 0},
	 {1, 1},
	 1,
	 0},
};

/* test_txn - every scripted db_txn() case */
static void
test_txn(void **state)
{
	char *v[] = {(char *)conn_dsns[0], (char *)conn_dsns[1]};
	struct conf_strlist dsns = {v, 2};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(txn_cases); i++) {
		const struct txn_case *tc = txn_cases + i;
		struct db *db = db_create(&dsns, 60, 1);
		struct db_txn_stats st;
		char err[256] = "";
		unsigned rc;

		memset(&servers, 0, sizeof(servers));
		servers.up[0] = servers.up[1] = 1;
		memset(&txn_play, 0, sizeof(txn_play));
		memcpy(txn_play.body, tc->body, sizeof(tc->body));
		memcpy(txn_play.commit, tc->commit, sizeof(tc->commit));
		txn_done_found = tc->done;
		txn_dones = 0;
		rc = db_txn(db, "test", txn_body,
			    tc->done < 0 ? NULL : txn_done, NULL, &st, err,
			    sizeof(err));
		if (rc != tc->want_rc || txn_play.runs != tc->want_runs ||
		    txn_play.rollbacks != tc->want_rollbacks ||
		    st.failures != tc->want.failures ||
		    st.failovers != tc->want.failovers ||
		    st.conflicts != tc->want.conflicts ||
		    servers.connects[0] != tc->want_connects[0] ||
		    servers.connects[1] != tc->want_connects[1] ||
		    txn_dones != tc->want_dones)
			fail_msg(
				"%s: rc %u runs %u rollbacks %u stats %u/%u/%u "
				"connects %u,%u dones %u; want %u %u %u "
				"%u/%u/%u %u,%u %u (%s)",
				tc->name, rc, txn_play.runs, txn_play.rollbacks,
				st.failures, st.failovers, st.conflicts,
				servers.connects[0], servers.connects[1],
				txn_dones, tc->want_rc, tc->want_runs,
				tc->want_rollbacks, tc->want.failures,
				tc->want.failovers, tc->want.conflicts,
				tc->want_connects[0], tc->want_connects[1],
				tc->want_dones, err);
		if (rc && err[0] == 0)
			fail_msg("%s: an error without its text", tc->name);
		db_free(&db);
	}
}

/*
 * test_text_params - DB_TEXT: well-formed UTF-8 as it is, else each bad
 * byte as \xNN; DB_STR: bytes as they are; a failed prepare with
 * DB_TEXT parameters frees nothing it did not make
 */
static void
test_text_params(void **state)
{
	MYSQL c;
	MYSQL_STMT *st = NULL;
	char err[256];
	struct db_param p[] = {
		{DB_TEXT, "<caf\xe9-%n@example.org>", 0, 0, 0},
		{DB_TEXT, "caf\xc3\xa9", 0, 0, 0},
		{DB_STR, "caf\xe9", 0, 0, 0},
		{DB_TEXT, "\xed\xa0\x80 \xc0\xaf", 0, 0, 0},
	};

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(bound, 0, sizeof(bound));
	assert_int_equal(
		db_run(&c, &st, "INSERT", p, 4, NULL, err, sizeof(err)), 0);
	assert_string_equal(bound[0], "<caf\\xe9-%n@example.org>");
	assert_string_equal(bound[1], "caf\xc3\xa9");
	assert_string_equal(bound[2], "caf\xe9");
	assert_string_equal(bound[3], "\\xed\\xa0\\x80 \\xc0\\xaf");
	db_stmt_close(&st);
	prepare_fails = 1;
	for (int i = 0; i < 50; i++)
		assert_int_equal(
			db_run(&c, &st, "INSERT", p, 4, NULL, err, sizeof(err)),
			1213);
	prepare_fails = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table, setup),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_text_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

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

int
__wrap_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *q, unsigned long len)
{
	(void)stmt, (void)q, (void)len;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

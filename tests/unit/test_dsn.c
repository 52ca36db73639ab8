/*++
/* NAME
/*	test_dsn 1
/* SUMMARY
/*	unit tests for db/dsn.c: MariaDB/MySQL data source names
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "db/dsn.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct dsn_case {
	const char *text;
	const char *host; /* NULL: the DSN is refused */
	int port;
	const char *socket;
	const char *user;
	const char *password;
	const char *database;
};

#define BAD(text)                                                              \
	{                                                                      \
		text, NULL, 0, NULL, NULL, NULL, NULL                          \
	}

static const struct dsn_case dsn_cases[] = {
	/* TCP. */
	{"mysql://filterd:secret@127.0.0.1:3306/filterd", "127.0.0.1", 3306, "",
	 "filterd", "secret", "filterd"},
	{"mysql://filterd:secret@db.example.com/filterd", "db.example.com",
	 3306, "", "filterd", "secret", "filterd"},
	{"MySQL://u:p@h:1/d", "h", 1, "", "u", "p", "d"},
	{"mysql://u:p@h:65535/d", "h", 65535, "", "u", "p", "d"},
	{"mysql://u:p@h:03306/d", "h", 3306, "", "u", "p", "d"},
	{"mysql://u@localhost:3307/db", "localhost", 3307, "", "u", "", "db"},
	{"mysql://u:@h/d", "h", 3306, "", "u", "", "d"},
	{"mysql://u:p@db_1.my-net.example/d", "db_1.my-net.example", 3306, "",
	 "u", "p", "d"},
	{"mysql://u:p@[::1]:3306/d", "::1", 3306, "", "u", "p", "d"},
	{"mysql://u:p@[2001:db8::5]/d", "2001:db8::5", 3306, "", "u", "p", "d"},
	{"mysql://u:p@[::ffff:192.0.2.1]:13306/d", "::ffff:192.0.2.1", 13306,
	 "", "u", "p", "d"},
	/* A socket. */
	{"mysql://filterd:secret@unix(/run/mysqld/mysqld.sock)/filterd", "", 0,
	 "/run/mysqld/mysqld.sock", "filterd", "secret", "filterd"},
	{"mysql://filterd@unix(/run/mysqld/mysqld.sock)/filterd", "", 0,
	 "/run/mysqld/mysqld.sock", "filterd", "", "filterd"},
	{"mysql://u@unix(/tmp/a@b:c)/d", "", 0, "/tmp/a@b:c", "u", "", "d"},
	/* Percent-encoding in user and password. */
	{"mysql://us%3Aer:p%40ss%3Aw%2Frd%25@h/d", "h", 3306, "", "us:er",
	 "p@ss:w/rd%", "d"},
	{"mysql://u:a:b@h/d", "h", 3306, "", "u", "a:b", "d"},
	{"mysql://u:%C3%A9t%C3%a9@h/d", "h", 3306, "", "u", "\xc3\xa9t\xc3\xa9",
	 "d"},
	{"mysql://u:%20%3f%23@h/d", "h", 3306, "", "u", " ?#", "d"},
	{"mysql://%75:p@unix(/s)/d", "", 0, "/s", "u", "p", "d"},
	{"mysql://u:!$&'()*+,;=~._-@h/d", "h", 3306, "", "u", "!$&'()*+,;=~._-",
	 "d"},
	/* Database names. */
	{"mysql://u@h/my_db-1$", "h", 3306, "", "u", "", "my_db-1$"},
	{"mysql://u@h/"
	 "d234567890123456789012345678901234567890123456789012345678901234",
	 "h", 3306, "", "u", "",
	 "d234567890123456789012345678901234567890123456789012345678901234"},

	/* Refused: the form. */
	BAD(""),
	BAD("postgres://u:p@h/d"),
	BAD("mysql:/u:p@h/d"),
	BAD("mysql//u:p@h/d"),
	BAD("mysql://h/d"),
	BAD("mysql://h:3306/d"),
	BAD("mysql://@h/d"),
	BAD("mysql://:TOPSECRET@h/d"),
	BAD("mysql://u:TOPSECRET@h"),
	BAD("mysql://u:TOPSECRET@h/"),
	BAD("mysql://u:TOPSECRET@/d"),
	BAD("mysql://u:TOPSECRET@:3306/d"),
	BAD("mysql://u:TOPSECRET@h/d?ssl=1"),
	BAD("mysql://u:TOPSECRET@h/d/e"),
	BAD("mysql://u:TOPSECRET@h/d b"),
	BAD("mysql://u:TOPSECRET@h/d.e"),
	BAD("mysql://u@h/"
	    "d234567890123456789012345678901234567890123456789012345678901234"
	    "5"),
	/* Ports. */
	BAD("mysql://u:TOPSECRET@h:/d"),
	BAD("mysql://u:TOPSECRET@h:0/d"),
	BAD("mysql://u:TOPSECRET@h:65536/d"),
	BAD("mysql://u:TOPSECRET@h:99999999999999999999999/d"),
	BAD("mysql://u:TOPSECRET@h:33x/d"),
	BAD("mysql://u:TOPSECRET@h:-1/d"),
	BAD("mysql://u:TOPSECRET@h:3306"),
	/* Hosts. */
	BAD("mysql://u:TOPSECRET@h!x/d"),
	BAD("mysql://u:TOPSECRET@[::1/d"),
	BAD("mysql://u:TOPSECRET@[]/d"),
	BAD("mysql://u:TOPSECRET@[1.2.3.4]/d"),
	BAD("mysql://u:TOPSECRET@[::1]x/d"),
	BAD("mysql://u:TOPSECRET@h h/d"),
	/* Sockets. */
	BAD("mysql://u:TOPSECRET@unix()/d"),
	BAD("mysql://u:TOPSECRET@unix(rel/sock)/d"),
	BAD("mysql://u:TOPSECRET@unix(/sock/d"),
	BAD("mysql://u:TOPSECRET@unix(/sock)d"),
	BAD("mysql://u:TOPSECRET@unix(/sock)"),
	BAD("mysql://u:TOPSECRET@unix(/a\tb)/d"),
	BAD("mysql://u:TOPSECRET@unix(/"
	    "234567890123456789012345678901234567890123456789012345678901234567"
	    "89"
	    "01234567890123456789012345678901234567890)/d"),
	/* User and password: what must be encoded. */
	BAD("mysql://u:TOPSECRET%4@h/d"),
	BAD("mysql://u:TOPSECRET%zz@h/d"),
	BAD("mysql://u:TOPSECRET%@h/d"),
	BAD("mysql://u:TOPSECRET%00@h/d"),
	BAD("mysql://u:TOP SECRET@h/d"),
	BAD("mysql://u:TOPSECRET\n@h/d"),
	BAD("mysql://u:TOP/SECRET@h/d"),
	BAD("mysql://u:TOP?SECRET@h/d"),
	BAD("mysql://u:TOP#SECRET@h/d"),
	BAD("mysql://u:TOP@SECRET@h/d"),
	BAD("mysql://u\x7f:TOPSECRET@h/d"),
};

/* test_parse - the table; no reason ever quotes the password */
static void
test_parse(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(dsn_cases); i++) {
		const struct dsn_case *c = dsn_cases + i;
		struct db_dsn d;
		char err[256] = "";
		int rc = db_dsn_parse(c->text, &d, err, sizeof(err));

		if (c->host == NULL) {
			if (rc != -1 || strncmp(err, "bad DSN: ", 9) != 0 ||
			    strlen(err) < 12 || strstr(err, "SECRET")) {
				print_error("\"%s\": rc %d, err \"%s\"\n",
					    c->text, rc, err);
				failed++;
			}
			continue;
		}
		if (rc != 0 || strcmp(d.host, c->host) != 0 ||
		    d.port != c->port || strcmp(d.socket, c->socket) != 0 ||
		    strcmp(d.user, c->user) != 0 ||
		    strcmp(d.password, c->password) != 0 ||
		    strcmp(d.database, c->database) != 0) {
			print_error("\"%s\": rc %d err \"%s\": host \"%s\" "
				    "port %d socket \"%s\" user \"%s\" "
				    "password \"%s\" database \"%s\"\n",
				    c->text, rc, err, d.host, d.port, d.socket,
				    d.user, d.password, d.database);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_limits - the longest user and password fit, one more does not */
static void
test_limits(void **state)
{
	struct db_dsn d;
	char text[1024], err[256], name[300];

	(void)state;
	memset(name, 'x', 255);
	name[255] = 0;
	snprintf(text, sizeof(text), "mysql://%s:%s@h/d", name, name);
	assert_int_equal(db_dsn_parse(text, &d, err, sizeof(err)), 0);
	assert_int_equal(strlen(d.user), 255);
	assert_int_equal(strlen(d.password), 255);
	snprintf(text, sizeof(text), "mysql://%sx:p@h/d", name);
	assert_int_equal(db_dsn_parse(text, &d, err, sizeof(err)), -1);
	snprintf(text, sizeof(text), "mysql://u:%sx@h/d", name);
	assert_int_equal(db_dsn_parse(text, &d, err, sizeof(err)), -1);
	/* Escapes count decoded: 255 "%41" are 255 bytes. */
	text[0] = 0;
	strcat(text, "mysql://u:");
	for (int i = 0; i < 255; i++)
		strcat(text, "%41");
	strcat(text, "@h/d");
	assert_int_equal(db_dsn_parse(text, &d, err, sizeof(err)), 0);
	assert_int_equal(strlen(d.password), 255);
	/* A host of 255 bytes fits, 256 do not. */
	snprintf(text, sizeof(text), "mysql://u@%s/d", name);
	assert_int_equal(db_dsn_parse(text, &d, err, sizeof(err)), 0);
	snprintf(text, sizeof(text), "mysql://u@%sx/d", name);
	assert_int_equal(db_dsn_parse(text, &d, err, sizeof(err)), -1);
}

/* test_errbuf - NULL text, tiny and empty error buffers */
static void
test_errbuf(void **state)
{
	struct db_dsn d;
	char err[12];

	(void)state;
	assert_int_equal(db_dsn_parse(NULL, &d, err, sizeof(err)), -1);
	memset(err, 'z', sizeof(err));
	assert_int_equal(db_dsn_parse("mysql://u@h:0/d", &d, err, 5), -1);
	assert_int_equal(err[4], 0);
	assert_int_equal(err[5], 'z');
	assert_int_equal(db_dsn_parse("mysql://u@h:0/d", &d, err, 0), -1);
	assert_int_equal(db_dsn_parse("mysql://u@h:0/d", &d, NULL, 0), -1);
	assert_int_equal(db_dsn_parse("mysql://u@h/d", &d, NULL, 0), 0);
}

struct describe_case {
	const char *text;
	const char *want;
};

static const struct describe_case describe_cases[] = {
	{"mysql://filterd:secret@127.0.0.1/filterd",
	 "mysql://filterd:***@127.0.0.1:3306/filterd"},
	{"mysql://filterd@db:3307/f", "mysql://filterd@db:3307/f"},
	{"mysql://u:p@[::1]/d", "mysql://u:***@[::1]:3306/d"},
	{"mysql://u:p@unix(/run/mysqld/mysqld.sock)/d",
	 "mysql://u:***@unix(/run/mysqld/mysqld.sock)/d"},
	{"mysql://u@unix(/s)/d", "mysql://u@unix(/s)/d"},
};

/* test_describe - the password never shows */
static void
test_describe(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(describe_cases); i++) {
		struct db_dsn d;
		char err[256], buf[512];

		assert_int_equal(db_dsn_parse(describe_cases[i].text, &d, err,
					      sizeof(err)),
				 0);
		db_dsn_describe(&d, buf, sizeof(buf));
		assert_string_equal(buf, describe_cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_errbuf),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

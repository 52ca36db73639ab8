/*++
/* NAME
/*	test_conf 1
/* SUMMARY
/*	unit tests for conf/conf.c: defaults, errors with file:line, include
/* DESCRIPTION
/*	Each test gets a fresh mkdtemp() directory (setup) that teardown
/*	removes. Error messages are compared exactly, "@D@" standing for
/*	that directory.
/*--*/

#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/conf_params.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct fixture {
	char dir[PATH_MAX];
	char cwd[PATH_MAX];
};

/* setup - a private directory for the files of one test */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || getcwd(f->cwd, sizeof(f->cwd)) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/filterd-test-conf-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

/* rm_one - nftw callback */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* teardown - back to the old cwd, remove the directory */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (chdir(f->cwd) < 0)
		return -1;
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* put_file - write dir/name (creating one level of subdirectory) */
static void
put_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	const char *slash = strrchr(name, '/');
	FILE *fp;

	if (slash) {
		snprintf(path, sizeof(path), "%s/%.*s", dir,
			 (int)(slash - name), name);
		(void)mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* expand - replace each "@D@" in pattern by dir */
static void
expand(const char *pattern, const char *dir, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 1 < size;) {
		if (strncmp(p, "@D@", 3) == 0) {
			n += (size_t)snprintf(out + n, size - n, "%s", dir);
			p += 3;
		} else {
			out[n++] = *p++;
		}
	}
	out[n < size ? n : size - 1] = 0;
}

/* test_defaults - conf_load(NULL): the embedded defaults */
static void
test_defaults(void **state)
{
	char err[1024] = "";
	struct conf *c = conf_load(NULL, err, sizeof(err));
	const struct conf_bank *d;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->n_listens, 1);
	assert_string_equal(c->listens[0].addr, "127.0.0.1:10024");
	assert_string_equal(c->listens[0].host, "127.0.0.1");
	assert_string_equal(c->listens[0].port, "10024");
	assert_int_equal(c->listens[0].protocol, CONF_PROTO_SMTP);
	assert_true(c->n_banks >= 1);
	d = c->banks;
	assert_ptr_equal(c->listens[0].bank, d);
	assert_string_equal(d->name, "default");
	assert_ptr_equal(conf_bank_find(c, "default"), d);
	assert_null(conf_bank_find(c, "NOPE"));
	assert_int_equal(d->v.forward.n, 1);
	assert_string_equal(d->v.forward.v[0], "127.0.0.1:10025");
	assert_int_equal(d->v.notify.n, 1);
	assert_string_equal(d->v.notify.v[0], "127.0.0.1:10025");
	assert_int_equal(d->v.release.n, 1);
	assert_string_equal(d->v.release.v[0], "127.0.0.1:10025");
	assert_int_equal(d->v.originating, 0);
	/* The default bank answers every key. */
	assert_int_equal(d->set & (CONF_BANK_BIT(CONF_BANK_FORWARD) |
				   CONF_BANK_BIT(CONF_BANK_NOTIFY) |
				   CONF_BANK_BIT(CONF_BANK_RELEASE) |
				   CONF_BANK_BIT(CONF_BANK_ORIGINATING)),
			 CONF_BANK_BIT(CONF_BANK_FORWARD) |
				 CONF_BANK_BIT(CONF_BANK_NOTIFY) |
				 CONF_BANK_BIT(CONF_BANK_RELEASE) |
				 CONF_BANK_BIT(CONF_BANK_ORIGINATING));
	assert_int_equal(c->min_servers, 2);
	assert_int_equal(c->max_servers, 10);
	assert_int_equal(c->n_mynetworks, 2);
	assert_true(
		cidr_list_match(c->mynetworks, c->n_mynetworks, "127.0.0.1"));
	assert_true(cidr_list_match(c->mynetworks, c->n_mynetworks, "::1"));
	assert_false(
		cidr_list_match(c->mynetworks, c->n_mynetworks, "192.0.2.1"));
	assert_true(c->myhostname[0] != 0);
	/* Virus checks on, with Debian's freshclam directory. */
	assert_true(c->clamav.enabled);
	assert_string_equal(c->clamav.database, "/var/lib/clamav");
	assert_null(c->clamav.database_at);
	conf_free(&c);
	assert_null(c);
}

/* Errors: main.conf (and optionally one more file), the exact message. */
struct err_case {
	const char *name;
	const char *main;
	const char *inc_name; /* another file, or NULL */
	const char *inc_text;
	const char *want;
	const char *want_alt; /* another acceptable message, or NULL */
};

static const struct err_case err_cases[] = {
	{"unknown key after comments",
	 "# comment on line 1\n"
	 "/* a C comment\n"
	 "   over two lines */\n"
	 "min_servers = 2 # trailing comment\n"
	 "// another comment\n"
	 "bogus = 1\n",
	 NULL, NULL, "@D@/main.conf:6: no such option 'bogus'", NULL},
	{"unknown key in a bank",
	 "bank default {\n"
	 "  # a comment\n"
	 "  forwardd = {\"127.0.0.1:10025\"}\n"
	 "}\n",
	 NULL, NULL, "@D@/main.conf:3: no such option 'forwardd'", NULL},
	{"int out of range",
	 "max_servers = 5\n"
	 "min_servers = 0\n",
	 NULL, NULL,
	 "@D@/main.conf:2: parameter min_servers: 0 is out of range 1..1000",
	 NULL},
	{"int above range", "/* x */ smtpd_timeout = 3601\n", NULL, NULL,
	 "@D@/main.conf:1: parameter smtpd_timeout: 3601 is out of range "
	 "1..3600",
	 NULL},
	{"section int out of range",
	 "# amavis' $penpals_halflife is in seconds, this is in days\n"
	 "sql {\n"
	 "  connect_timeout = 5\n"
	 "  penpals_halflife = 0\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:4: parameter penpals_halflife: 0 is out of range "
	 "1..36500",
	 NULL},
	{"section int below range", "sql { penpals_halflife = -1 }\n", NULL,
	 NULL,
	 "@D@/main.conf:1: parameter penpals_halflife: -1 is out of range "
	 "1..36500",
	 NULL},
	{"not an int",
	 "\n"
	 "min_servers = \"abc\"\n",
	 NULL, NULL,
	 "@D@/main.conf:2: invalid integer value for option 'min_servers'",
	 NULL},
	{"bad network mask",
	 "mynetworks = {\"127.0.0.0/8\",\n"
	 "  \"10.0.0.0/33\"}\n",
	 NULL, NULL,
	 "@D@/main.conf:2: parameter mynetworks: \"10.0.0.0/33\": bad network "
	 "mask length",
	 NULL},
	{"bad network address", "mynetworks = {\"nonsense/8\"}\n", NULL, NULL,
	 "@D@/main.conf:1: parameter mynetworks: \"nonsense/8\": not an IPv4 "
	 "or "
	 "IPv6 address",
	 NULL},
	{"bad client network",
	 "bank X {\n"
	 "  client_networks = {\"::1/129\"}\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:2: parameter client_networks: \"::1/129\": bad network "
	 "mask length",
	 NULL},
	{"bad next hop",
	 "bank default {\n"
	 "  forward = {\"nohost\"}\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:2: parameter forward: \"nohost\" is not host:port or "
	 "[host]:port",
	 NULL},
	{"pdp_socket not absolute", "\npdp_socket = \"run/pdp.sock\"\n", NULL,
	 NULL,
	 "@D@/main.conf:2: parameter pdp_socket: \"run/pdp.sock\": not an "
	 "absolute path shorter than 108 bytes",
	 NULL},
	/* libconfuse passes over '*' and the '+' of "+=": still line 2. */
	{"pdp_socket after a '*'", "\npdp_socket*= \"o\"\n", NULL, NULL,
	 "@D@/main.conf:2: parameter pdp_socket: \"o\": not an absolute "
	 "path shorter than 108 bytes",
	 NULL},
	{"mynetworks appended with +=", "\n\nmynetworks += {\"10.0.0.0/33\"}\n",
	 NULL, NULL,
	 "@D@/main.conf:3: parameter mynetworks: \"10.0.0.0/33\": bad network "
	 "mask length",
	 NULL},
	{"pdp_bank unknown",
	 "pdp_socket = \"/run/pdp.sock\"\npdp_bank = \"nosuch\"\n", NULL, NULL,
	 "@D@/main.conf:2: parameter pdp_bank: no bank \"nosuch\" is "
	 "defined",
	 NULL},
	{"bad pdp_clients", "pdp_clients = {\"10.0.0.0/40\"}\n", NULL, NULL,
	 "@D@/main.conf:1: parameter pdp_clients: \"10.0.0.0/40\": bad "
	 "network mask length",
	 NULL},
	{"bad facility", "syslog_facility = \"bogus\"\n", NULL, NULL,
	 "@D@/main.conf:1: parameter syslog_facility: unknown facility "
	 "\"bogus\"",
	 NULL},
	{"listen: bad protocol",
	 "\n"
	 "listen \"127.0.0.1:10024\" {\n"
	 "  protocol = esmtp\n"
	 "  bank = default\n"
	 "}\n",
	 NULL, NULL,
	 /* The listen section's line, or the line of the bad value. */
	 "@D@/main.conf:2: listen \"127.0.0.1:10024\": protocol \"esmtp\" is "
	 "not smtp, lmtp or am.pdp",
	 "@D@/main.conf:3: listen \"127.0.0.1:10024\": protocol \"esmtp\" is "
	 "not smtp, lmtp or am.pdp"},
	{"listen: bad address",
	 "listen \"nohostport\" {\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:1: listen \"nohostport\": not ADDR:PORT or "
	 "[ADDR]:PORT",
	 NULL},
	{"listen: undefined bank",
	 "bank OTHER {\n"
	 "}\n"
	 "listen \"127.0.0.1:10024\" {\n"
	 "  protocol = smtp\n"
	 "  bank = NOPE\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:3: listen \"127.0.0.1:10024\": no bank \"NOPE\" is "
	 "defined",
	 NULL},
	{"include of a missing file",
	 "min_servers = 2\n"
	 "# the next line includes a file that is not there\n"
	 "include(\"missing.conf\")\n",
	 NULL, NULL,
	 "@D@/main.conf:3: include: @D@/missing.conf: cannot open: No such "
	 "file or directory",
	 NULL},
	{"error inside an included file",
	 "min_servers = 2\n"
	 "\n"
	 "include(\"inc.conf\")\n",
	 "inc.conf",
	 "\n"
	 "# x\n"
	 "nope = 3\n",
	 "@D@/inc.conf:3: no such option 'nope'", NULL},
	{"error in the main file after an include, at its own line",
	 "max_servers = 5\n"
	 "include(\"inc.conf\")\n"
	 "bogus = 1\n",
	 "inc.conf", "min_servers = 2\n\n\n\n",
	 "@D@/main.conf:3: no such option 'bogus'", NULL},
	{"error after an include inside a line",
	 "bank b { include(\"inc.conf\") forwardd = 1 }\n", "inc.conf", "\n\n",
	 "@D@/main.conf:1: no such option 'forwardd'", NULL},
	{"error in a file included by an included file",
	 "include(\"inc.conf\")\n", "inc.conf", "\ninclude(\"inc2.conf\")\n",
	 "@D@/inc.conf:2: include: @D@/inc2.conf: cannot open: No such file "
	 "or directory",
	 NULL},
	/* Refused before libconfuse's own limit (10), which leaks 16 KiB a
	 * file and stays at its limit after. */
	{"include of itself", "\ninclude(\"main.conf\")\n", NULL, NULL,
	 "@D@/main.conf:2: include: @D@/main.conf: includes nested deeper "
	 "than 8 (does it include itself?)",
	 NULL},
	{"include of a directory", "include(\".\")\n", NULL, NULL,
	 "@D@/main.conf:1: include: @D@/.: cannot read: Is a directory", NULL},
	{"include with two names", "include(\"a\", \"b\")\n", NULL, NULL,
	 "@D@/main.conf:1: include takes one file name", NULL},
	{"include of an empty name", "\ninclude('')\n", NULL, NULL,
	 "@D@/main.conf:2: include: an empty file name", NULL},
	{"unclosed quote, reported where it opened",
	 "min_servers = 2\n"
	 "myhostname = \"mx.example.org\n"
	 "max_servers = 4\n"
	 "listen \"127.0.0.1:10024\" {\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:2: unclosed quote: the string opened on this line "
	 "does not end on it",
	 NULL},
	{"unclosed quote in an included file", "include(\"inc.conf\")\n",
	 "inc.conf",
	 "# it's fine in a comment\n"
	 "syslog_ident = 'filterd\n",
	 "@D@/main.conf:1: include: @D@/inc.conf:2: unclosed quote: the "
	 "string opened on this line does not end on it",
	 NULL},
	{"clamav: an empty database, set",
	 "clamav {\n"
	 "  database = \"\"\n"
	 "}\n",
	 NULL, NULL,
	 "@D@/main.conf:2: clamav database is empty; to turn virus checks "
	 "off, set clamav { enabled = false }",
	 NULL},
	/* libconfuse fails on an empty name without saying why or where
	 * (found by fuzz_conf): the line is ours to give. */
	{"an empty name", "max_servers = 4\n\n''\n", NULL, NULL,
	 "@D@/main.conf:3: syntax error", NULL},
	{"an empty name in an included file", "include(\"inc.conf\")\n",
	 "inc.conf", "min_servers = 1\n\"\" = 2\n",
	 "@D@/inc.conf:2: syntax error", NULL},
	{"min_servers > max_servers",
	 "min_servers = 5\n"
	 "max_servers = 3\n",
	 NULL, NULL,
	 /* The line of either value. */
	 "@D@/main.conf:2: min_servers 5 exceeds max_servers 3",
	 "@D@/main.conf:1: min_servers 5 exceeds max_servers 3"},
};

/* test_errors - each bad file gives NULL and the exact message */
static void
test_errors(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048], want[2048], alt[2048];
	int failed = 0;

	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	for (size_t i = 0; i < N_ELEMS(err_cases); i++) {
		const struct err_case *c = err_cases + i;
		struct conf *conf;

		put_file(f->dir, "main.conf", c->main);
		if (c->inc_name)
			put_file(f->dir, c->inc_name, c->inc_text);
		strcpy(err, "(untouched)");
		conf = conf_load(path, err, sizeof(err));
		expand(c->want, f->dir, want, sizeof(want));
		expand(c->want_alt ? c->want_alt : c->want, f->dir, alt,
		       sizeof(alt));
		if (conf != NULL) {
			print_error("%s: loaded, want \"%s\"\n", c->name, want);
			conf_free(&conf);
			failed++;
		} else if (strcmp(err, want) != 0 && strcmp(err, alt) != 0) {
			print_error("%s:\n   got \"%s\"\n  want \"%s\"\n",
				    c->name, err, want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_missing_main - a main file that is not there */
static void
test_missing_main(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048], want[PATH_MAX * 2];
	struct conf *c;

	snprintf(path, sizeof(path), "%s/nothere.conf", f->dir);
	c = conf_load(path, err, sizeof(err));
	assert_null(c);
	snprintf(want, sizeof(want),
		 "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);
}

/* test_list_comments - comments inside a list are accepted */
static void
test_list_comments(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048] = "";
	struct conf *c;

	put_file(f->dir, "main.conf",
		 "mynetworks = {\n"
		 "  \"10.0.0.0/8\",   # the office\n"
		 "  /* the lab */ \"192.168.0.0/16\",\n"
		 "  // loopback\n"
		 "  \"::1\"\n"
		 "}\n"
		 "bank default {\n"
		 "  forward = { # first\n"
		 "    \"127.0.0.1:10025\", # then\n"
		 "    \"[::1]:10035\"\n"
		 "  }\n"
		 "}\n");
	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	c = conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("load failed: %s", err);
	assert_int_equal(c->n_mynetworks, 3);
	assert_true(cidr_list_match(c->mynetworks, 3, "10.1.2.3"));
	assert_true(cidr_list_match(c->mynetworks, 3, "192.168.9.9"));
	assert_true(cidr_list_match(c->mynetworks, 3, "::1"));
	assert_false(cidr_list_match(c->mynetworks, 3, "127.0.0.1"));
	assert_int_equal(c->banks[0].v.forward.n, 2);
	assert_string_equal(c->banks[0].v.forward.v[0], "127.0.0.1:10025");
	assert_string_equal(c->banks[0].v.forward.v[1], "[::1]:10035");
	/* notify and release default to the forward list. */
	assert_int_equal(c->banks[0].v.notify.n, 2);
	assert_int_equal(c->banks[0].v.release.n, 2);
	conf_free(&c);
}

/* test_include_relative - include() is relative to the including file */
static void
test_include_relative(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], other[PATH_MAX + 16], err[2048] = "";
	struct conf *c;

	put_file(f->dir, "main.conf",
		 "listen \"127.0.0.1:10026\" {\n"
		 "  bank = AUTH\n"
		 "}\n"
		 "include(\"sub/banks.conf\")\n");
	/* sub/banks.conf includes more.conf: that is sub/more.conf. */
	put_file(f->dir, "sub/banks.conf",
		 "bank AUTH {\n"
		 "  originating = true\n"
		 "}\n"
		 "include(\"more.conf\")\n");
	put_file(f->dir, "sub/more.conf",
		 "bank MORE {\n"
		 "  forward = {\"127.0.0.1:10099\"}\n"
		 "}\n");
	/* Traps for an include resolved against the cwd. */
	put_file(f->dir, "more.conf", "trap_top = 1\n");
	put_file(f->dir, "elsewhere/x", "");
	put_file(f->dir, "elsewhere/sub/banks.conf", "trap_cwd = 1\n");
	snprintf(other, sizeof(other), "%s/elsewhere", f->dir);
	assert_int_equal(chdir(other), 0);

	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	c = conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("load failed: %s", err);
	assert_non_null(conf_bank_find(c, "AUTH"));
	assert_non_null(conf_bank_find(c, "MORE"));
	assert_int_equal(conf_bank_find(c, "AUTH")->v.originating, 1);
	assert_string_equal(conf_bank_find(c, "MORE")->v.forward.v[0],
			    "127.0.0.1:10099");
	assert_int_equal(c->n_listens, 1);
	assert_ptr_equal(c->listens[0].bank, conf_bank_find(c, "AUTH"));
	assert_string_equal(c->banks[0].name, "default");
	conf_free(&c);

	/* The same through a relative main path. */
	c = conf_load("../main.conf", err, sizeof(err));
	if (c == NULL)
		fail_msg("relative load failed: %s", err);
	assert_non_null(conf_bank_find(c, "MORE"));
	conf_free(&c);
}

/* test_bank_order - default first, the others in file order */
static void
test_bank_order(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048] = "";
	struct conf *c;

	put_file(f->dir, "main.conf",
		 "bank B { originating = true }\n"
		 "bank default { forward = {\"[::1]:25\"} }\n"
		 "bank A { }\n"
		 "listen \"[::1]:10024\" { protocol = lmtp\n bank = A }\n");
	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	c = conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("load failed: %s", err);
	assert_int_equal(c->n_banks, 3);
	assert_string_equal(c->banks[0].name, "default");
	assert_string_equal(c->banks[1].name, "B");
	assert_string_equal(c->banks[2].name, "A");
	assert_int_equal(c->banks[1].set, CONF_BANK_BIT(CONF_BANK_ORIGINATING));
	assert_int_equal(c->banks[2].set, 0);
	assert_string_equal(c->banks[0].v.forward.v[0], "[::1]:25");
	assert_int_equal(c->listens[0].protocol, CONF_PROTO_LMTP);
	assert_string_equal(c->listens[0].host, "::1");
	assert_string_equal(c->listens[0].port, "10024");
	assert_ptr_equal(c->listens[0].bank, c->banks + 2);
	conf_free(&c);
}

/* put_bytes - write dir/name, NUL bytes and all */
static void
put_bytes(const char *dir, const char *name, const char *bytes, size_t len)
{
	char path[PATH_MAX * 2];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(bytes, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

#define B(lit) lit, sizeof(lit) - 1

/* test_nul_byte - a NUL in a file: refused at its line, never cut there */
static void
test_nul_byte(void **state)
{
	static const struct {
		const char *main;
		size_t main_len;
		const char *inc; /* inc.conf, or NULL */
		size_t inc_len;
		const char *want;
	} cases[] = {
		{B("\0"), NULL, 0,
		 "@D@/main.conf:1: a NUL byte: the file is not text"},
		/* Cut at the NUL, the last min_servers would not be read. */
		{B("max_servers = 5\nmin_servers = 3\0\nmin_servers = 9\n"),
		 NULL, 0, "@D@/main.conf:2: a NUL byte: the file is not text"},
		{B("max_servers = 5\n# a \0 in a comment\n"), NULL, 0,
		 "@D@/main.conf:2: a NUL byte: the file is not text"},
		{B("include(\"inc.conf\")\n"), B("max_servers = 4\n\0"),
		 "@D@/main.conf:1: include: @D@/inc.conf:2: a NUL byte: the "
		 "file is not text"},
	};
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048], want[2048];
	int failed = 0;

	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct conf *c;

		put_bytes(f->dir, "main.conf", cases[i].main,
			  cases[i].main_len);
		if (cases[i].inc)
			put_bytes(f->dir, "inc.conf", cases[i].inc,
				  cases[i].inc_len);
		expand(cases[i].want, f->dir, want, sizeof(want));
		strcpy(err, "(untouched)");
		c = conf_load(path, err, sizeof(err));
		if (c != NULL) {
			print_error("case %zu: loaded (max_servers %d, "
				    "min_servers %d), want \"%s\"\n",
				    i, c->max_servers, c->min_servers, want);
			conf_free(&c);
			failed++;
		} else if (strcmp(err, want) != 0) {
			print_error("case %zu:\n   got \"%s\"\n  want \"%s\"\n",
				    i, err, want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_unclosed_include - include( without ')' refused at its line, before
 * libconfuse (which keeps the arguments it read); a closed one loads */
static void
test_unclosed_include(void **state)
{
	static const struct {
		const char *main;
		const char *want; /* NULL: loads, max_servers 4 */
	} cases[] = {
		{"include(\"inc.conf\" [\n",
		 "@D@/main.conf:1: include( is "
		 "not closed: write include(\"FILE\")"},
		{"max_servers = 5\ninclude(\"inc.conf\",\n",
		 "@D@/main.conf:2: "
		 "include( is not closed: write include(\"FILE\")"},
		{"include(inc+conf)\n", "@D@/main.conf:1: include( is not "
					"closed: write include(\"FILE\")"},
		{"max_servers = 4\n+include(\"inc.conf\",\n",
		 "@D@/main.conf:2: "
		 "include( is not closed: write include(\"FILE\")"},
		{"include * (\"inc.conf\" =\n",
		 "@D@/main.conf:1: include( is "
		 "not closed: write include(\"FILE\")"},
		{"include(x y)\n", "@D@/main.conf:1: include( is not closed: "
				   "write include(\"FILE\")"},
		{"include ( 'inc.conf' = 3\n",
		 "@D@/main.conf:1: include( is "
		 "not closed: write include(\"FILE\")"},
		{"myhostname = \"include(\"\ninclude(\"inc.conf\" }\n",
		 "@D@/main.conf:2: "
		 "include( is not closed: write include(\"FILE\")"},
		{"include(\"inc.conf\")\n", NULL},
		{"include (\n  \"inc.conf\"\n)\n", NULL},
		{"include(inc.conf)\n", NULL},
		{"myhostname = \"include(\"\ninclude(\"inc.conf\")\n", NULL},
	};
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048], want[2048];
	int failed = 0;

	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	put_bytes(f->dir, "inc.conf", B("max_servers = 4\n"));
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct conf *c;

		put_bytes(f->dir, "main.conf", cases[i].main,
			  strlen(cases[i].main));
		strcpy(err, "(untouched)");
		c = conf_load(path, err, sizeof(err));
		if (cases[i].want == NULL) {
			if (c == NULL || c->max_servers != 4) {
				print_error("case %zu: \"%s\"\n", i,
					    c ? "loaded, max_servers not 4"
					      : err);
				failed++;
			}
			conf_free(&c);
			continue;
		}
		expand(cases[i].want, f->dir, want, sizeof(want));
		if (c != NULL) {
			print_error("case %zu: loaded, want \"%s\"\n", i, want);
			conf_free(&c);
			failed++;
		} else if (strcmp(err, want) != 0) {
			print_error("case %zu:\n   got \"%s\"\n  want \"%s\"\n",
				    i, err, want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/*
 * test_refused_includes_repeated - an error inside an included file,
 * refused twelve times in one process, then the file mended: it loads.
 * libconfuse's own include() kept each refused file on its include stack,
 * and from the eleventh refusal on refused every include() ("includes
 * nested too deeply"): every reload until filterd restarted.
 */
static void
test_refused_includes_repeated(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[2048], want[2048];
	struct conf *c;

	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	put_file(f->dir, "main.conf", "include(\"bank.conf\")\n");
	put_file(f->dir, "bank.conf", "max_servers = = 3\n");
	expand("@D@/bank.conf:1: unexpected token '='", f->dir, want,
	       sizeof(want));
	for (int i = 0; i < 12; i++) {
		c = conf_load(path, err, sizeof(err));
		assert_null(c);
		assert_string_equal(err, want);
	}
	put_file(f->dir, "bank.conf", "max_servers = 3\n");
	c = conf_load(path, err, sizeof(err));
	if (c == NULL)
		print_error("mended file refused: %s\n", err);
	assert_non_null(c);
	assert_int_equal(c->max_servers, 3);
	conf_free(&c);
}

/* conf_strip_comments: the text after, byte for byte. */
struct strip_case {
	const char *in;
	const char *want;
};

static const struct strip_case strip_cases[] = {
	{"a = 1 # c\nb = 2", "a = 1    \nb = 2"},
	{"s = \"x#y\" # z", "s = \"x#y\"    "},
	{"s = 'a#b'", "s = 'a#b'"},
	{"s = \"a\\\"#b\"", "s = \"a\\\"#b\""},
	{"s = \"/* no */\"", "s = \"/* no */\""},
	{"u = \"http://h/\"", "u = \"http://h/\""},
	{"/* a\nb */c", "    \n    c"},
	{"x /* 1 */ = /* 2\n\n */ 3", "x         =     \n\n    3"},
	{"// x\ny", "    \ny"},
	{"a/b", "a/b"},
	{"# only", "      "},
	{"/* open", "       "},
	{"{\"a\", # c\n\"b\"}", "{\"a\",    \n\"b\"}"},
	{"", ""},
};

/* test_strip_comments - blanks comments, keeps quotes and newlines */
static void
test_strip_comments(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(strip_cases); i++) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s", strip_cases[i].in);
		conf_strip_comments(buf);
		if (strcmp(buf, strip_cases[i].want) != 0) {
			print_error("\"%s\": got \"%s\", want \"%s\"\n",
				    strip_cases[i].in, buf,
				    strip_cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_main, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_comments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_include_relative, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bank_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclosed_include, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_includes_repeated,
						setup, teardown),
		cmocka_unit_test(test_strip_comments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

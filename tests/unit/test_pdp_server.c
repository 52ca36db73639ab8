/*++
/* NAME
/*	test_pdp_server 1
/* SUMMARY
/*	unit tests for pdp/pdp_server.c and the checks of pdp_release.c
/* DESCRIPTION
/*	pdp_serve() runs on one end of a socketpair with the embedded
/*	configuration; a table of requests (several per connection, LF
/*	or CR LF, stray empty lines, garbage, request= not first, bad
/*	%XX and NUL, a line over PDP_LINE_MAX, unknown requests, a bad
/*	mail_id, a missing and a wrong secret_id) is checked against the
/*	responses it gets: one response ended by an empty line per request,
/*	each with the wanted setreply code. Requests that would need a
/*	quarantine never get that far: the secret check comes first.
/*
/*	test_split_everywhere sends one request in two writes, split at
/*	every byte, to a pdp_serve() in a child process: the response is
/*	the same whatever the split.
/*
/*	test_mail_id and test_mail_file check the attribute checks.
/*--*/

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "pdp/pdp_proto.h"
#include "pdp/pdp_release.h"
#include "pdp/pdp_server.h"
#include "smtp/session.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* A mail_id of our form; no secret in these tests matches it. */
#define GOOD_ID "KE0xrqTTzHeF"

struct serve_case {
	const char *name;
	const char *in;
	int n_responses;
	const char *want[4]; /* substrings, in this order */
};

static const struct serve_case serve_cases[] = {
	{"missing secret",
	 "request=release\r\nmail_id=" GOOD_ID "\r\n\r\n",
	 1,
	 {"setreply=450 4.5.0 Failure:%20Secret_id%20is%20required",
	  "return_value=tempfail\r\n", "exit_code=75\r\n"}},
	{"wrong secret",
	 "request=release\r\nmail_id=" GOOD_ID
	 "\r\nsecret_id=AAAAAAAAAAAA\r\n\r\n",
	 1,
	 {"setreply=450 4.5.0 Failure:%20Secret_id%20AAAAAAAAAAAA%20does%20"
	  "not%20match%20mail_id%20" GOOD_ID,
	  "exit_code=75\r\n"}},
	{"wrong secret, requeue, LF only",
	 "request=requeue\nmail_id=" GOOD_ID "\nsecret_id=BBBBBBBBBBBB\n\n",
	 1,
	 {"setreply=450 4.5.0 ", "exit_code=75\r\n"}},
	{"colon form",
	 "request: release\r\nmail_id: " GOOD_ID "\r\n\r\n",
	 1,
	 {"setreply=450 4.5.0 Failure:%20Secret_id%20is%20required"}},
	{"two requests, stray empty lines",
	 "\r\n\r\nrequest=report\r\n\r\n\r\nrequest=release\r\nmail_id=" GOOD_ID
	 "\r\n\r\n",
	 2,
	 {"setreply=502 5.5.1 Unknown%20or%20unsupported%20request:%20report"
	  "\r\n\r\n",
	  "setreply=450 4.5.0 "}},
	{"garbage",
	 "garbage\r\n\r\n",
	 1,
	 {"setreply=500 5.5.2 Bad%20attribute"}},
	{"request not first",
	 "mail_id=" GOOD_ID "\r\nrequest=release\r\n\r\n",
	 1,
	 {"setreply=500 5.5.2 The%20first%20attribute%20must%20be%20request="}},
	{"request twice",
	 "request=release\r\nrequest=release\r\n\r\n",
	 1,
	 {"setreply=500 5.5.2 request=%20given%20twice"}},
	{"bad escape",
	 "request=release\r\nmail_id=%zz\r\n\r\n",
	 1,
	 {"setreply=500 5.5.2 Bad%20attribute%20line%202:%20bad%20%25XX"}},
	{"decoded NUL",
	 "request=release\r\nmail_id=a%00\r\n\r\n",
	 1,
	 {"setreply=500 5.5.2 ", "NUL"}},
	{"bad mail_id",
	 "request=release\r\nmail_id=../etc\r\n\r\n",
	 1,
	 {"setreply=501 5.5.4 mail_id%20is%20not%20of%20the%20form"}},
	{"missing mail_id",
	 "request=release\r\n\r\n",
	 1,
	 {"setreply=501 5.5.4 mail_id%20is%20missing"}},
	{"bad quar_type",
	 "request=release\r\nmail_id=" GOOD_ID "\r\nquar_type=B\r\n\r\n",
	 1,
	 {"setreply=501 5.5.4 quar_type"}},
	{"bad mail_file",
	 "request=release\r\nmail_id=" GOOD_ID "\r\nmail_file=a/../b\r\n\r\n",
	 1,
	 {"setreply=501 5.5.4 mail_file"}},
	{"bad partition_tag",
	 "request=release\r\nmail_id=" GOOD_ID "\r\npartition_tag=1x\r\n\r\n",
	 1,
	 {"setreply=501 5.5.4 partition_tag"}},
	{"unknown attribute ignored",
	 "request=release\r\nx_other=1\r\nmail_id=" GOOD_ID "\r\n\r\n",
	 1,
	 {"setreply=450 4.5.0 "}},
	{"end of file inside a request", "request=release\r\nmail_id=x", 0, {0}},
	{"response after an error, then a good one",
	 "request=release\r\nmail_id=%zz\r\nrecipient=<a@b>\r\n\r\n"
	 "request=release\r\nmail_id=" GOOD_ID "\r\n\r\n",
	 2,
	 {"setreply=500 5.5.2 ", "\r\n\r\nsetreply=450 4.5.0 "}},
};

struct fixture {
	struct conf *conf;
	struct conf_listen listen;
	struct session_ctx ctx;
};

/* setup - the embedded configuration, a unix-socket AM.PDP listener */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	f->conf = conf_load(NULL, err, sizeof(err));
	if (f->conf == NULL)
		fail_msg("conf_load: %s", err);
	f->listen.addr = "test.sock";
	f->listen.unix_socket = 1;
	f->listen.protocol = CONF_PROTO_AMPDP;
	f->listen.bank = f->conf->banks;
	f->ctx.conf = f->conf;
	f->ctx.listen = &f->listen;
	*state = f;
	return 0;
}

/* teardown - release the fixture */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	conf_free(&f->conf);
	free(f);
	return 0;
}

/* fcntl_nonblock - make fd non-blocking; 0 or -1 */
static int
fcntl_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* read_all - everything the server wrote, NUL-terminated */
static char *
read_all(int fd)
{
	size_t len = 0, size = 4096;
	char *out = malloc(size);
	ssize_t n;

	while ((n = read(fd, out + len, size - len - 1)) > 0) {
		len += (size_t)n;
		if (size - len < 2)
			out = realloc(out, size *= 2);
	}
	out[len] = 0;
	return out;
}

/* serve - in as one write, then end of file; the server's output */
static char *
serve(struct fixture *f, const char *in, size_t len)
{
	int sv[2];
	char *out;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], in, len), (ssize_t)len);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	/* The server's end is non-blocking, as accept4() makes it. */
	assert_int_equal(fcntl_nonblock(sv[0]), 0);
	pdp_serve(&f->ctx, sv[0]);
	out = read_all(sv[1]);
	close(sv[1]);
	return out;
}

/* count - occurrences of s in text */
static int
count(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	return n;
}

/* test_serve - each case gets its responses */
static void
test_serve(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < N_ELEMS(serve_cases); i++) {
		const struct serve_case *c = serve_cases + i;
		char *out = serve(f, c->in, strlen(c->in));
		const char *at = out;

		if (count(out, "\r\n\r\n") != c->n_responses)
			fail_msg("%s: %d responses, want %d: \"%s\"", c->name,
				 count(out, "\r\n\r\n"), c->n_responses, out);
		for (size_t k = 0; k < N_ELEMS(c->want) && c->want[k]; k++) {
			const char *hit = strstr(at, c->want[k]);

			if (hit == NULL)
				fail_msg("%s: no \"%s\" in \"%s\"", c->name,
					 c->want[k], at);
			at = hit + strlen(c->want[k]);
		}
		free(out);
	}
}

/* test_huge_line - read to its end, refused, the next request served */
static void
test_huge_line(void **state)
{
	struct fixture *f = *state;
	size_t big = 3 * PDP_LINE_MAX;
	const char *tail = "\r\n\r\nrequest=release\r\nmail_id=" GOOD_ID
			   "\r\n\r\n";
	char *in = malloc(big + 64 + strlen(tail));
	char *out;
	size_t len;

	len = (size_t)sprintf(in, "request=release\r\nmail_id=");
	memset(in + len, 'A', big);
	len += big;
	memcpy(in + len, tail, strlen(tail));
	len += strlen(tail);
	out = serve(f, in, len);
	assert_int_equal(count(out, "\r\n\r\n"), 2);
	assert_non_null(
		strstr(out, "setreply=500 5.5.2 Line%202%20too%20long"));
	assert_non_null(strstr(out, "\r\n\r\nsetreply=450 4.5.0 "));
	free(out);
	free(in);
}

/* test_split_everywhere - one request in two writes, at every byte */
static void
test_split_everywhere(void **state)
{
	struct fixture *f = *state;
	const char *in = "request=release\r\nmail_id=" GOOD_ID
			 "\r\nsecret_id=AAAAAAAAAAAA\r\n\r\n";
	size_t len = strlen(in);
	char *whole = serve(f, in, len);

	assert_int_equal(count(whole, "\r\n\r\n"), 1);
	for (size_t k = 1; k < len; k++) {
		int sv[2];
		pid_t pid;
		char *out;
		int status;

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		if ((pid = fork()) == 0) {
			close(sv[1]);
			(void)fcntl_nonblock(sv[0]);
			pdp_serve(&f->ctx, sv[0]);
			_exit(0);
		}
		close(sv[0]);
		assert_int_equal(write(sv[1], in, k), (ssize_t)k);
		usleep(2000);
		assert_int_equal(write(sv[1], in + k, len - k),
				 (ssize_t)(len - k));
		shutdown(sv[1], SHUT_WR);
		out = read_all(sv[1]);
		close(sv[1]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (strcmp(out, whole) != 0)
			fail_msg("split at %zu: \"%s\", want \"%s\"", k, out,
				 whole);
		free(out);
	}
	free(whole);
}

/* test_mail_id - amavis' pattern, and our own ids */
static void
test_mail_id(void **state)
{
	(void)state;
	assert_true(pdp_mail_id_ok("SVkZlXL4grl2"));
	assert_true(pdp_mail_id_ok("-VkZlXL4grl2")); /* ours: base64url */
	assert_true(pdp_mail_id_ok("abc+def=="));
	assert_true(pdp_mail_id_ok("a"));
	assert_false(pdp_mail_id_ok(""));
	assert_false(pdp_mail_id_ok("-abc"));
	assert_false(pdp_mail_id_ok("abc==="));
	assert_false(pdp_mail_id_ok("ab=c"));
	assert_false(pdp_mail_id_ok("../etc"));
	assert_false(pdp_mail_id_ok("a b"));
	assert_false(pdp_mail_id_ok("a/b"));
}

/* test_mail_file - relative, safe charset, no ".." */
static void
test_mail_file(void **state)
{
	(void)state;
	assert_true(pdp_mail_file_ok("S/virus-SVkZlXL4grl2"));
	assert_true(pdp_mail_file_ok("spam/U/UM3XM3XDbN52.gz"));
	assert_false(pdp_mail_file_ok(""));
	assert_false(pdp_mail_file_ok("/etc/passwd"));
	assert_false(pdp_mail_file_ok("../x"));
	assert_false(pdp_mail_file_ok("a/../x"));
	assert_false(pdp_mail_file_ok("a/./x"));
	assert_false(pdp_mail_file_ok("a//x"));
	assert_false(pdp_mail_file_ok("a/.."));
	assert_false(pdp_mail_file_ok("a b"));
	assert_false(pdp_mail_file_ok("a\nb"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_split_everywhere, setup,
						teardown),
		cmocka_unit_test(test_mail_id),
		cmocka_unit_test(test_mail_file),
	};

	return (cmocka_run_group_tests(tests, 0, 0));
}

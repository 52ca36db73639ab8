/*++
/* NAME
/*	test_pdp_client 1
/* SUMMARY
/*	unit tests for pdp/pdp_client.c: amavisd-release arguments
/* DESCRIPTION
/*	Each quarantine id form (ID[PT], KIND-ID, DIR/KIND-ID, .gz, a bare
/*	ID, one starting with '-' or '_') gives its mail_id, partition
/*	tag, quar_type and mail_file; the bad ones ("..", an absolute
/*	path, white space, a bad partition tag, an unknown form) are
/*	refused. The fields of a request (secret or recipient second) make
/*	the exact request bytes, encoded.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdp/pdp_client.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct id_case {
	const char *in;
	int ok;
	const char *mail_id;
	const char *pt;
	char quar_type;
	const char *mail_file;
};

static const struct id_case id_cases[] = {
	{"UM3XM3XDbN52", 1, "UM3XM3XDbN52", "", 0, ""},
	{"UM3XM3XDbN52[48]", 1, "UM3XM3XDbN52", "48", 0, ""},
	{"UM3XM3XDbN52[2026-48]", 1, "UM3XM3XDbN52", "2026-48", 0, ""},
	{"spam/U/UM3XM3XDbN52.gz", 1, "UM3XM3XDbN52", "", 'Z',
	 "spam/U/UM3XM3XDbN52.gz"},
	{"V/virus-VXm3XDbN52Zz.gz", 1, "VXm3XDbN52Zz", "", 'Z',
	 "V/virus-VXm3XDbN52Zz.gz"},
	{"virus-VXm3XDbN52Zz", 1, "VXm3XDbN52Zz", "", 'F',
	 "virus-VXm3XDbN52Zz"},
	{"B/banned-b-cd_efgh123", 1, "b-cd_efgh123", "", 'F',
	 "B/banned-b-cd_efgh123"},
	/* not a kind: a bare id with a '-' */
	{"abc-defghijk", 1, "abc-defghijk", "", 0, ""},
	{"-bCdEfGh1_x2", 1, "-bCdEfGh1_x2", "", 0, ""},
	{"_bCdEfGh1_x2[7]", 1, "_bCdEfGh1_x2", "7", 0, ""},
	{"AbCdEfGh1x==", 1, "AbCdEfGh1x==", "", 0, ""},
	{"", 0, NULL, NULL, 0, NULL},
	{"a b", 0, NULL, NULL, 0, NULL},
	{"AbC===", 0, NULL, NULL, 0, NULL},
	{"=abc", 0, NULL, NULL, 0, NULL},
	{"UM3XM3XDbN52[]", 0, NULL, NULL, 0, NULL},
	{"UM3XM3XDbN52[4 8]", 0, NULL, NULL, 0, NULL},
	{"UM3X[48]M3XDbN52", 0, NULL, NULL, 0, NULL},
	{"/var/lib/x/virus-UM3XM3XDbN52", 0, NULL, NULL, 0, NULL},
	{"spam/../virus-UM3XM3XDbN52", 0, NULL, NULL, 0, NULL},
	{"V/virus-", 0, NULL, NULL, 0, NULL},
	{"V/virus-a%b", 0, NULL, NULL, 0, NULL},
	{"V\n/virus-UM3XM3XDbN52", 0, NULL, NULL, 0, NULL},
};

/* test_parse_id - each id form, and the refusals */
static void
test_parse_id(void **state)
{
	struct pdp_client_req r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(id_cases); i++) {
		const struct id_case *c = &id_cases[i];
		int rc = pdp_client_parse_id(c->in, &r, err, sizeof(err));

		if (rc != (c->ok ? 0 : -1))
			fail_msg("case %zu (%s): returned %d", i, c->in, rc);
		if (!c->ok)
			continue;
		if (strcmp(r.mail_id, c->mail_id) != 0 ||
		    strcmp(r.pt, c->pt) != 0 || r.quar_type != c->quar_type ||
		    strcmp(r.mail_file, c->mail_file) != 0)
			fail_msg("case %zu (%s): %s [%s] %c %s", i, c->in,
				 r.mail_id, r.pt,
				 r.quar_type ? r.quar_type : '-', r.mail_file);
	}
}

struct request_case {
	const char *name;
	const char *request;
	const char *args[5];
	const char *want; /* NULL: refused */
};

static const struct request_case request_cases[] = {
	{"sql, secret",
	 "release",
	 {"SVkZlXL4grl2[48]", "4zvezWTdHF4f"},
	 "request=release\r\nmail_id=SVkZlXL4grl2\r\nsecret_id=4zvezWTdHF4f\r\n"
	 "partition_tag=48\r\nrequested_by=<admin@example.com>\r\n\r\n"},
	{"recipients second, no secret",
	 "release",
	 {"uJYV7FxxcABz", "alice@example.com", "<carol@example.com>"},
	 "request=release\r\nmail_id=uJYV7FxxcABz\r\n"
	 "requested_by=<admin@example.com>\r\n"
	 "recipient=<alice@example.com>\r\nrecipient=<carol@example.com>\r\n"
	 "\r\n"},
	{"gzip file, requeue",
	 "requeue",
	 {"V/virus-VXm3XDbN52Zz.gz", "Eo4s0WOmC1xj", "a%b@example.com"},
	 "request=requeue\r\nmail_id=VXm3XDbN52Zz\r\nsecret_id=Eo4s0WOmC1xj\r\n"
	 "quar_type=Z\r\nmail_file=V/virus-VXm3XDbN52Zz.gz\r\n"
	 "requested_by=<admin@example.com>\r\n"
	 "recipient=<a%25b@example.com>\r\n\r\n"},
	{"bad secret", "release", {"uJYV7FxxcABz", "sec ret"}, NULL},
	{"bad recipient",
	 "release",
	 {"uJYV7FxxcABz", "s", "a\tb@example.com"},
	 NULL},
	{"no id", "release", {NULL}, NULL},
};

/* test_request - the fields of a request make its exact bytes */
static void
test_request(void **state)
{
	struct pdp_client_req r;
	struct buf b;
	char err[256];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(request_cases); i++) {
		const struct request_case *c = &request_cases[i];
		size_t n = 0;
		int rc;

		while (n < N_ELEMS(c->args) && c->args[n])
			n++;
		rc = pdp_client_build((char *const *)c->args, n, &r, err,
				      sizeof(err));
		if (c->want == NULL) {
			if (rc != -1)
				fail_msg("%s: accepted", c->name);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", c->name, err);
		buf_init(&b, 64);
		pdp_client_request(&b, c->request, "admin@example.com", &r);
		if (strcmp(b.data, c->want) != 0)
			fail_msg("%s:\n%s\nwant\n%s", c->name, b.data, c->want);
		buf_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

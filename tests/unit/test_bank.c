/*++
/* NAME
/*	test_bank 1
/* SUMMARY
/*	unit tests for policy/bank.c: bank selection and overlay
/* DESCRIPTION
/*	The group setup writes one configuration and loads it; each case
/*	names a listener bank and a client address and the resulting view.
/*--*/

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "policy/bank.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/*
 * default: forward 10025, notify 10027, release (built-in: = notify).
 * AUTH:    forward 10026, release 10029 (a listener bank).
 * RELAY:   networks, originating, release 10028; no forward or notify.
 * WIDE:    a wider network listed after RELAY, forward 10030.
 */
static const char bank_conf[] =
	"# banks for test_bank\n"
	"bank default {\n"
	"  forward = {\"127.0.0.1:10025\"}\n"
	"  notify = {\"127.0.0.1:10027\"}\n"
	"  originating = false\n"
	"}\n"
	"bank AUTH {\n"
	"  forward = {\"127.0.0.1:10026\"}\n"
	"  release = {\"127.0.0.1:10029\"}\n"
	"}\n"
	"bank RELAY {\n"
	"  client_networks = {\"198.51.100.0/24\", \"2001:db8::/32\"}\n"
	"  originating = true\n"
	"  release = {\"127.0.0.1:10028\"}\n"
	"}\n"
	"bank WIDE {\n"
	"  client_networks = {\"198.51.0.0/16\"}\n"
	"  forward = {\"127.0.0.1:10030\"}\n"
	"}\n"
	"listen \"127.0.0.1:10024\" {\n"
	"  bank = default\n"
	"}\n"
	"listen \"127.0.0.1:10026\" {\n"
	"  bank = AUTH\n"
	"}\n";

struct bank_case {
	const char *name;
	const char *listener; /* bank name, or NULL: none */
	const char *client;   /* or NULL */
	const char *path;
	const char *forward;
	const char *notify;
	const char *release;
	int originating;
};

static const struct bank_case bank_cases[] = {
	{"default listener, outside client", "default", "192.0.2.1", "default",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10027", 0},
	{"default listener, RELAY client", "default", "198.51.100.7", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"default listener, just outside RELAY", "default", "198.51.101.1",
	 "WIDE", "127.0.0.1:10030", "127.0.0.1:10027", "127.0.0.1:10027", 0},
	{"first matching bank wins", "default", "198.51.100.255", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"IPv6 client in RELAY", "default", "2001:db8:1::5", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"IPv6 client outside", "default", "2001:db9::1", "default",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10027", 0},
	{"IPv4-mapped client", "default", "::ffff:198.51.100.7", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"XFORWARD IPv6: prefix", "default", "IPv6:2001:db8::1", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"garbage client", "default", "not-an-address", "default",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10027", 0},
	{"no client", "default", NULL, "default", "127.0.0.1:10025",
	 "127.0.0.1:10027", "127.0.0.1:10027", 0},
	{"no listener bank", NULL, "192.0.2.1", "default", "127.0.0.1:10025",
	 "127.0.0.1:10027", "127.0.0.1:10027", 0},
	{"no listener bank, RELAY client", NULL, "198.51.100.7", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"AUTH listener, outside client", "AUTH", "192.0.2.1", "AUTH",
	 "127.0.0.1:10026", "127.0.0.1:10027", "127.0.0.1:10029", 0},
	{"AUTH listener, no client", "AUTH", NULL, "AUTH", "127.0.0.1:10026",
	 "127.0.0.1:10027", "127.0.0.1:10029", 0},
	/* RELAY leaves forward to AUTH, notify to default. */
	{"AUTH listener, RELAY client", "AUTH", "198.51.100.7", "AUTH/RELAY",
	 "127.0.0.1:10026", "127.0.0.1:10027", "127.0.0.1:10028", 1},
	{"AUTH listener, IPv6 RELAY client", "AUTH", "IPv6:2001:db8::1",
	 "AUTH/RELAY", "127.0.0.1:10026", "127.0.0.1:10027", "127.0.0.1:10028",
	 1},
	{"AUTH listener, WIDE client", "AUTH", "198.51.5.5", "AUTH/WIDE",
	 "127.0.0.1:10030", "127.0.0.1:10027", "127.0.0.1:10029", 0},
	{"RELAY listener, RELAY client: once", "RELAY", "198.51.100.7", "RELAY",
	 "127.0.0.1:10025", "127.0.0.1:10027", "127.0.0.1:10028", 1},
};

/* setup - write and load the configuration */
static int
setup(void **state)
{
	char dir[] = "/tmp/filterd-test-bank-XXXXXX";
	char path[sizeof(dir) + 16], err[1024];
	struct conf *c;
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(bank_conf, fp);
	if (fclose(fp) != 0)
		return -1;
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	rmdir(dir);
	if (c == NULL) {
		print_error("conf_load: %s\n", err);
		return -1;
	}
	*state = c;
	return 0;
}

/* teardown - release the configuration */
static int
teardown(void **state)
{
	struct conf *c = *state;

	conf_free(&c);
	return 0;
}

/* list_is - a one-element hop list with the given entry */
static int
list_is(const struct conf_strlist *l, const char *want)
{
	return l != NULL && l->n == 1 && strcmp(l->v[0], want) == 0;
}

/* test_loaded - the configuration is what the table assumes */
static void
test_loaded(void **state)
{
	const struct conf *c = *state;

	assert_int_equal(c->n_banks, 4);
	assert_string_equal(c->banks[0].name, "default");
	assert_int_equal(c->n_listens, 2);
	assert_ptr_equal(c->listens[0].bank, conf_bank_find(c, "default"));
	assert_ptr_equal(c->listens[1].bank, conf_bank_find(c, "AUTH"));
	assert_int_equal(conf_bank_find(c, "RELAY")->set,
			 CONF_BANK_BIT(CONF_BANK_CLIENT_NETWORKS) |
				 CONF_BANK_BIT(CONF_BANK_ORIGINATING) |
				 CONF_BANK_BIT(CONF_BANK_RELEASE));
	assert_int_equal(conf_bank_find(c, "RELAY")->n_client_networks, 2);
}

/* test_select - the table */
static void
test_select(void **state)
{
	const struct conf *c = *state;
	int failed = 0;

	for (size_t i = 0; i < N_ELEMS(bank_cases); i++) {
		const struct bank_case *k = bank_cases + i;
		const struct conf_bank *lb = NULL;
		struct bank_view v;

		if (k->listener) {
			lb = conf_bank_find(c, k->listener);
			assert_non_null(lb);
		}
		memset(&v, 0x55, sizeof(v));
		bank_select(c, lb, k->client, &v);
		if (strcmp(v.path, k->path) != 0 ||
		    !list_is(&v.v.forward, k->forward) ||
		    !list_is(&v.v.notify, k->notify) ||
		    !list_is(&v.v.release, k->release) ||
		    v.v.originating != k->originating) {
			print_error("%s: got path %s forward %s notify %s "
				    "release %s originating %d\n",
				    k->name, v.path,
				    v.v.forward.n ? v.v.forward.v[0] : "-",
				    v.v.notify.n ? v.v.notify.v[0] : "-",
				    v.v.release.n ? v.v.release.v[0] : "-",
				    v.v.originating);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_borrowed - the view points into the configuration */
static void
test_borrowed(void **state)
{
	const struct conf *c = *state;
	const struct conf_bank *auth = conf_bank_find(c, "AUTH");
	struct bank_view v;

	bank_select(c, auth, "198.51.100.7", &v);
	assert_ptr_equal(v.v.forward.v, auth->v.forward.v);
	assert_ptr_equal(v.v.notify.v, c->banks[0].v.notify.v);
	assert_ptr_equal(v.v.release.v,
			 conf_bank_find(c, "RELAY")->v.release.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_borrowed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*++
/* NAME
/*	test_inet 1
/* SUMMARY
/*	unit tests for util/inet.c: host:port and networks
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "util/inet.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct hostport_case {
	const char *spec;
	int want; /* 0 or -1 */
	const char *host;
	const char *port;
};

static const struct hostport_case hostport_cases[] = {
	{"127.0.0.1:25", 0, "127.0.0.1", "25"},
	{"[::1]:10025", 0, "::1", "10025"},
	{"[127.0.0.1]:10025", 0, "127.0.0.1", "10025"},
	{"smtp:[127.0.0.1]:10025", 0, "127.0.0.1", "10025"},
	{"smtp:127.0.0.1:10025", 0, "127.0.0.1", "10025"},
	{"SMTP:[::1]:25", 0, "::1", "25"},
	{"localhost:10025", 0, "localhost", "10025"},
	{"mx.example.com:25", 0, "mx.example.com", "25"},
	{"[2001:db8::1]:587", 0, "2001:db8::1", "587"},
	{"nohost", -1, NULL, NULL},
	{"1.2.3.4:", -1, NULL, NULL},
	{":25", -1, NULL, NULL},
	{"[::1]25", -1, NULL, NULL},
	{"[::1]", -1, NULL, NULL},
	{"[::1:25", -1, NULL, NULL},
	{"[]:25", -1, NULL, NULL},
	{"::1:25", -1, NULL, NULL},
	{"host:port", -1, NULL, NULL},
	{"1.2.3.4:25x", -1, NULL, NULL},
	{"", -1, NULL, NULL},
	{"smtp:", -1, NULL, NULL},
};

/* test_split_hostport - the table */
static void
test_split_hostport(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(hostport_cases); i++) {
		const struct hostport_case *c = hostport_cases + i;
		char host[256] = "", port[16] = "";
		int rc = inet_split_hostport(c->spec, host, sizeof(host), port,
					     sizeof(port));

		if (rc != c->want ||
		    (rc == 0 && (strcmp(host, c->host) != 0 ||
				 strcmp(port, c->port) != 0))) {
			print_error(
				"\"%s\": rc %d host \"%s\" port \"%s\"; want "
				"%d \"%s\" \"%s\"\n",
				c->spec, rc, host, port, c->want,
				c->host ? c->host : "", c->port ? c->port : "");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_split_small_buffers - too long for the buffers is an error */
static void
test_split_small_buffers(void **state)
{
	char host[10], port[3];

	(void)state;
	assert_int_equal(inet_split_hostport("127.0.0.1:25", host, sizeof(host),
					     port, sizeof(port)),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(inet_split_hostport("127.0.0.10:25", host,
					     sizeof(host), port, sizeof(port)),
			 -1);
	assert_int_equal(inet_split_hostport("127.0.0.1:250", host,
					     sizeof(host), port, sizeof(port)),
			 -1);
}

struct cidr_parse_case {
	const char *text;
	int want;
	int family;
	int bits;
};

static const struct cidr_parse_case cidr_parse_cases[] = {
	{"0.0.0.0/0", 0, AF_INET, 0},
	{"10.0.0.0/8", 0, AF_INET, 8},
	{"192.0.2.1", 0, AF_INET, 32},
	{"192.0.2.1/32", 0, AF_INET, 32},
	{"2001:db8::/32", 0, AF_INET6, 32},
	{"::1", 0, AF_INET6, 128},
	{"::1/128", 0, AF_INET6, 128},
	{"::/0", 0, AF_INET6, 0},
	{"::ffff:10.0.0.0/8", 0, AF_INET, 8},
	{"1.2.3.4/33", -1, 0, 0},
	{"::1/129", -1, 0, 0},
	{"1.2.3.4/-1", -1, 0, 0},
	{"1.2.3.4/", -1, 0, 0},
	{"1.2.3.4/8x", -1, 0, 0},
	{"x/8", -1, 0, 0},
	{"x", -1, 0, 0},
	{"", -1, 0, 0},
	{"1.2.3/8", -1, 0, 0},
	{"1.2.3.4.5", -1, 0, 0},
	{"2001:db8::g/32", -1, 0, 0},
};

/* test_cidr_parse - the table */
static void
test_cidr_parse(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cidr_parse_cases); i++) {
		const struct cidr_parse_case *c = cidr_parse_cases + i;
		struct cidr net;
		const char *why = NULL;
		int rc = cidr_parse(c->text, &net, &why);

		if (rc != c->want ||
		    (rc == 0 &&
		     (net.family != c->family || net.bits != c->bits)) ||
		    (rc < 0 && (why == NULL || *why == 0))) {
			print_error("\"%s\": rc %d family %d bits %d\n",
				    c->text, rc, rc == 0 ? net.family : 0,
				    rc == 0 ? net.bits : 0);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct cidr_match_case {
	const char *net;
	const char *addr;
	int want;
};

static const struct cidr_match_case cidr_match_cases[] = {
	/* IPv4 /0 /8 /32, and odd masks. */
	{"0.0.0.0/0", "203.0.113.9", 1},
	{"0.0.0.0/0", "::1", 0},
	{"10.0.0.0/8", "10.255.1.2", 1},
	{"10.0.0.0/8", "11.0.0.1", 0},
	{"10.0.0.0/8", "9.255.255.255", 0},
	{"10.9.9.9/8", "10.1.1.1", 1},
	{"192.0.2.1/32", "192.0.2.1", 1},
	{"192.0.2.1/32", "192.0.2.2", 0},
	{"192.0.2.1", "192.0.2.1", 1},
	{"198.51.100.0/24", "198.51.100.255", 1},
	{"198.51.100.0/24", "198.51.101.0", 0},
	{"172.16.0.0/12", "172.31.255.255", 1},
	{"172.16.0.0/12", "172.32.0.0", 0},
	{"192.0.2.128/25", "192.0.2.200", 1},
	{"192.0.2.128/25", "192.0.2.127", 0},
	/* IPv6 /32 /128 /0. */
	{"2001:db8::/32", "2001:db8::1", 1},
	{"2001:db8::/32", "2001:db8:ffff:ffff::1", 1},
	{"2001:db8::/32", "2001:db9::1", 0},
	{"2001:db8::/32", "IPv6:2001:db8::1", 1},
	{"2001:db8::/32", "ipv6:2001:db8::1", 1},
	{"2001:db8::/32", "198.51.100.1", 0},
	{"::1/128", "::1", 1},
	{"::1/128", "::2", 0},
	{"::1", "0:0:0:0:0:0:0:1", 1},
	{"::/0", "2001:db8::1", 1},
	{"::/0", "192.0.2.1", 0},
	/* IPv4-mapped IPv6 addresses are their IPv4 address. */
	{"198.51.100.0/24", "::ffff:198.51.100.7", 1},
	{"198.51.100.0/24", "IPv6:::ffff:198.51.100.7", 1},
	{"198.51.100.0/24", "::ffff:198.51.101.7", 0},
	{"127.0.0.0/8", "::ffff:127.0.0.1", 1},
	/* Not addresses. */
	{"0.0.0.0/0", "", 0},
	{"0.0.0.0/0", "localhost", 0},
	{"0.0.0.0/0", "1.2.3.4/8", 0},
	{"::/0", "[::1]", 0},
};

/* test_cidr_match - the table */
static void
test_cidr_match(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cidr_match_cases); i++) {
		const struct cidr_match_case *c = cidr_match_cases + i;
		struct cidr net;
		const char *why;
		int got;

		if (cidr_parse(c->net, &net, &why) < 0) {
			print_error("%s: does not parse: %s\n", c->net, why);
			failed++;
			continue;
		}
		got = cidr_match(&net, c->addr) != 0;
		if (got != c->want) {
			print_error("%s ~ \"%s\": %d, want %d\n", c->net,
				    c->addr, got, c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_cidr_list - any of several networks */
static void
test_cidr_list(void **state)
{
	struct cidr nets[2];
	const char *why;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", nets, &why), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", nets + 1, &why), 0);
	assert_true(cidr_list_match(nets, 2, "10.1.1.1"));
	assert_true(cidr_list_match(nets, 2, "2001:db8::5"));
	assert_false(cidr_list_match(nets, 2, "192.0.2.1"));
	assert_false(cidr_list_match(nets, 0, "10.1.1.1"));
	assert_false(cidr_list_match(nets, 1, "2001:db8::5"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_hostport),
		cmocka_unit_test(test_split_small_buffers),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_cidr_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

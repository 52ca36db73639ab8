/*++
/* NAME
/*	test_mib_view 1
/* SUMMARY
/*	unit tests for snmp/mib_view.c: FILTERD-MIB instances and lookups
/* DESCRIPTION
/*	A synthetic snapshot is turned into instances; they must be sorted
/*	and unique under the root, carry the snapshot's values with the
/*	MIB's types, and GET / GETNEXT / inclusive GETNEXT lookups must
/*	answer as an SNMP agent walks.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snmp/mib_view.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define OID(...) ((const uint32_t[]){__VA_ARGS__})
#define OIDLEN(...) (sizeof((uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))
#define R 1, 3, 6, 1, 3, 7281

struct fixture {
	struct sb_view v;
	struct sb_view_child kids[2];
	struct mib_view mv;
};

/* setup - a snapshot with two children, built into instances */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->v.now_ms = 1000000;
	f->v.hdr.started_ms = 1000000 - 123450;
	f->v.hdr.master_pid = 77;
	f->v.hdr.child_timeout = 480;
	f->v.hdr.min_servers = 2;
	f->v.hdr.max_servers = 8;
	f->v.hdr.child_starts = 5;
	f->v.hdr.child_exits = 3;
	f->v.hdr.child_kills = 1;
	f->v.master_alive = 1;
	f->v.sum.msgs_in = 200;
	f->v.sum.bytes_in = (uint64_t)1 << 40; /* past 2^32: Counter64 */
	f->v.sum.msgs_ccat[SB_CCAT_VIRUS] = 3;
	f->v.sum.rcpts_action[SB_ACT_TEMPFAILED] = 9;
	f->v.sum.hist[SB_H_FORWARD][0] = 150;
	f->v.sum.hist[SB_H_FORWARD][SB_HIST_BUCKETS - 1] = 50;
	f->v.sum.hist_sum_ms[SB_H_FORWARD] = 4242;

	f->kids[0].slot = 3;
	f->kids[0].pid = 1003;
	f->kids[0].generation = 2;
	f->kids[0].state = SB_FORWARDING;
	strcpy(f->kids[0].mail_id, "AbCdEfGhIjKl");
	strcpy(f->kids[0].queue_id, "4Q\x01Z\xff");
	f->kids[0].msg_ms = 12999;
	f->kids[0].state_ms = 2500;
	f->kids[0].bytes = (uint64_t)1 << 33; /* Gauge32 saturates */
	f->kids[0].messages = 41;
	f->kids[1].slot = 7;
	f->kids[1].pid = 1007;
	f->kids[1].state = SB_IDLE;
	f->kids[1].msg_ms = -1;
	f->v.children = f->kids;
	f->v.n_children = 2;
	f->v.by_state[SB_IDLE] = 1;
	f->v.by_state[SB_FORWARDING] = 1;
	f->v.busy = 1;
	f->v.idle = 1;
	f->v.busy_percent = 50;
	mib_view_build(&f->mv, &f->v);
	*state = f;
	return 0;
}

/* teardown - release the instances */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	mib_view_release(&f->mv);
	free(f);
	return 0;
}

/* get - the instance at oid, or fail */
static const struct mib_view_var *
get(struct fixture *f, const uint32_t *oid, size_t len)
{
	const struct mib_view_var *var = mib_view_find(&f->mv, oid, len,
						       MIB_VIEW_EXACT);

	assert_non_null(var);
	return var;
}

#define GET(f, ...) get(f, OID(__VA_ARGS__), OIDLEN(__VA_ARGS__))

/* test_sorted_unique - strictly increasing OIDs, all under the root */
static void
test_sorted_unique(void **state)
{
	struct fixture *f = *state;
	/* 10 + 12 + 12 counters, 14 pool, 9 states, 2 x 9 proc columns,
	 * 6 x 3 histogram and 6 x 16 x 2 bucket instances. */
	size_t want = 10 + 12 + 12 + 14 + 9 + 2 * 9 + 6 * 3 + 6 * 16 * 2;

	assert_int_equal(f->mv.n, want);
	for (size_t i = 0; i < f->mv.n; i++) {
		const struct mib_view_var *a = f->mv.vars + i;

		assert_true(a->len > MIB_VIEW_ROOT_LEN + 1);
		assert_memory_equal(a->oid, mib_view_root,
				    sizeof(mib_view_root));
		assert_int_equal(a->oid[MIB_VIEW_ROOT_LEN], 1);
		if (i &&
		    mib_view_oid_cmp(a[-1].oid, a[-1].len, a->oid, a->len) >= 0)
			fail_msg("instance %zu is not after instance %zu", i,
				 i - 1);
	}
}

/* test_values - values and types as FILTERD-MIB declares them */
static void
test_values(void **state)
{
	struct fixture *f = *state;
	const struct mib_view_var *var;

	var = GET(f, R, 1, 1, 1, 0); /* filterdInMsgs */
	assert_int_equal(var->type, MIB_VIEW_COUNTER64);
	assert_int_equal(var->num, 200);
	assert_int_equal(GET(f, R, 1, 1, 2, 0)->num, (uint64_t)1 << 40);
	assert_int_equal(GET(f, R, 1, 2, 1, 6, 0)->num, 3); /* virus */
	assert_int_equal(GET(f, R, 1, 3, 2, 6, 0)->num, 9); /* tempfailed */
	assert_int_equal(GET(f, R, 1, 4, 1, 0)->num, 2);    /* children */
	assert_int_equal(GET(f, R, 1, 4, 4, 0)->num, 50);   /* busy % */
	var = GET(f, R, 1, 4, 6, 0); /* filterdChildTimeout */
	assert_int_equal(var->type, MIB_VIEW_UNSIGNED32);
	assert_int_equal(var->num, 480);
	assert_int_equal(GET(f, R, 1, 4, 11, 0)->num, 1); /* kills */
	var = GET(f, R, 1, 4, 12, 0);			  /* filterdMasterPid */
	assert_int_equal(var->type, MIB_VIEW_INTEGER);
	assert_int_equal(var->inum, 77);
	assert_int_equal(GET(f, R, 1, 4, 13, 0)->inum, 1); /* true */
	var = GET(f, R, 1, 4, 14, 0);			   /* filterdUptime */
	assert_int_equal(var->type, MIB_VIEW_TIMETICKS);
	assert_int_equal(var->num, 12345);
	assert_int_equal(GET(f, R, 1, 5, SB_FORWARDING, 0)->num, 1);
	assert_int_equal(GET(f, R, 1, 5, SB_IDLE, 0)->type, MIB_VIEW_GAUGE32);

	/* Process table: row = slot + 1. */
	assert_int_equal(GET(f, R, 1, 6, 1, 2, 4)->inum, 1003);
	assert_int_equal(GET(f, R, 1, 6, 1, 2, 8)->inum, 1007);
	assert_int_equal(GET(f, R, 1, 6, 1, 4, 4)->inum, SB_FORWARDING);
	assert_string_equal(GET(f, R, 1, 6, 1, 5, 4)->str, "AbCdEfGhIjKl");
	assert_string_equal(GET(f, R, 1, 6, 1, 6, 4)->str, "4Q?Z?");
	assert_string_equal(GET(f, R, 1, 6, 1, 5, 8)->str, "");
	assert_int_equal(GET(f, R, 1, 6, 1, 7, 4)->num, 12);
	assert_int_equal(GET(f, R, 1, 6, 1, 7, 8)->num, 0);
	assert_int_equal(GET(f, R, 1, 6, 1, 8, 4)->num, 2);
	assert_int_equal(GET(f, R, 1, 6, 1, 9, 4)->num, UINT32_MAX);
	var = GET(f, R, 1, 6, 1, 10, 4);
	assert_int_equal(var->type, MIB_VIEW_COUNTER64);
	assert_int_equal(var->num, 41);
	assert_null(mib_view_find(&f->mv, OID(R, 1, 6, 1, 2, 1),
				  OIDLEN(R, 1, 6, 1, 2, 1), MIB_VIEW_EXACT));

	/* Histograms: H = enum sb_hist + 1, buckets B = 1..16. */
	assert_string_equal(GET(f, R, 1, 7, 1, 2, SB_H_FORWARD + 1)->str,
			    "forward");
	assert_int_equal(GET(f, R, 1, 7, 1, 3, SB_H_FORWARD + 1)->num, 200);
	assert_int_equal(GET(f, R, 1, 7, 1, 4, SB_H_FORWARD + 1)->num, 4242);
	assert_int_equal(GET(f, R, 1, 8, 1, 2, 1, 1)->num, 1);
	assert_int_equal(GET(f, R, 1, 8, 1, 2, 1, 15)->num, 60000);
	assert_int_equal(GET(f, R, 1, 8, 1, 2, 1, 16)->num, UINT32_MAX);
	assert_int_equal(GET(f, R, 1, 8, 1, 3, SB_H_FORWARD + 1, 1)->num, 150);
	assert_int_equal(GET(f, R, 1, 8, 1, 3, SB_H_FORWARD + 1, 16)->num, 50);
}

struct find_case {
	const char *name;
	const uint32_t *oid;
	size_t len;
	enum mib_view_mode mode;
	const uint32_t *want; /* NULL: no instance */
	size_t want_len;
};

#define C(name, mode, o, w)                                                    \
	{                                                                      \
		name, OID o, OIDLEN o, mode, OID w, OIDLEN w                   \
	}
#define CNONE(name, mode, o)                                                   \
	{                                                                      \
		name, OID o, OIDLEN o, mode, NULL, 0                           \
	}
#define L(...) (__VA_ARGS__)

static const struct find_case find_cases[] = {
	C("next of the root", MIB_VIEW_NEXT, L(R), L(R, 1, 1, 1, 0)),
	C("next before the root", MIB_VIEW_NEXT, L(1, 3, 6, 1, 3),
	  L(R, 1, 1, 1, 0)),
	C("next of an object", MIB_VIEW_NEXT, L(R, 1, 1, 2), L(R, 1, 1, 2, 0)),
	C("next of an instance", MIB_VIEW_NEXT, L(R, 1, 1, 2, 0),
	  L(R, 1, 1, 3, 0)),
	C("next across subtrees", MIB_VIEW_NEXT, L(R, 1, 1, 10, 0),
	  L(R, 1, 2, 1, 1, 0)),
	C("next below an instance", MIB_VIEW_NEXT, L(R, 1, 1, 2, 0, 5),
	  L(R, 1, 1, 3, 0)),
	C("next of a column", MIB_VIEW_NEXT, L(R, 1, 6, 1, 2),
	  L(R, 1, 6, 1, 2, 4)),
	C("next row", MIB_VIEW_NEXT, L(R, 1, 6, 1, 2, 4), L(R, 1, 6, 1, 2, 8)),
	C("next column", MIB_VIEW_NEXT, L(R, 1, 6, 1, 2, 8),
	  L(R, 1, 6, 1, 3, 4)),
	C("next between rows", MIB_VIEW_NEXT, L(R, 1, 6, 1, 2, 5),
	  L(R, 1, 6, 1, 2, 8)),
	CNONE("next of the last", MIB_VIEW_NEXT, L(R, 1, 8, 1, 3, 6, 16)),
	CNONE("next after the subtree", MIB_VIEW_NEXT, L(R, 2)),
	CNONE("next after everything", MIB_VIEW_NEXT, L(1, 3, 6, 1, 4)),
	C("inclusive hit", MIB_VIEW_NEXT_INCLUSIVE, L(R, 1, 1, 2, 0),
	  L(R, 1, 1, 2, 0)),
	C("inclusive miss", MIB_VIEW_NEXT_INCLUSIVE, L(R, 1, 1, 2),
	  L(R, 1, 1, 2, 0)),
	C("exact", MIB_VIEW_EXACT, L(R, 1, 4, 2, 0), L(R, 1, 4, 2, 0)),
	CNONE("exact object without .0", MIB_VIEW_EXACT, L(R, 1, 4, 2)),
	CNONE("exact past the object", MIB_VIEW_EXACT, L(R, 1, 4, 2, 0, 0)),
	CNONE("exact unknown", MIB_VIEW_EXACT, L(R, 1, 99, 0)),
	CNONE("exact empty", MIB_VIEW_EXACT, L(1)),
};

/* test_find - GET, GETNEXT and inclusive GETNEXT as a walk needs them */
static void
test_find(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < N_ELEMS(find_cases); i++) {
		const struct find_case *c = find_cases + i;
		const struct mib_view_var *var = mib_view_find(&f->mv, c->oid,
							       c->len, c->mode);

		if (c->want == NULL) {
			if (var != NULL)
				fail_msg("%s: found an instance", c->name);
			continue;
		}
		if (var == NULL)
			fail_msg("%s: no instance", c->name);
		if (mib_view_oid_cmp(var->oid, var->len, c->want,
				     c->want_len) != 0)
			fail_msg("%s: wrong instance", c->name);
	}
}

/* test_walk - GETNEXT from the root visits every instance once */
static void
test_walk(void **state)
{
	struct fixture *f = *state;
	const uint32_t *oid = mib_view_root;
	size_t len = MIB_VIEW_ROOT_LEN, n = 0;
	const struct mib_view_var *var;

	while ((var = mib_view_find(&f->mv, oid, len, MIB_VIEW_NEXT))) {
		assert_ptr_equal(var, f->mv.vars + n);
		oid = var->oid;
		len = var->len;
		n++;
	}
	assert_int_equal(n, f->mv.n);
}

/* test_oid_cmp - SNMP order: by arcs, a prefix first */
static void
test_oid_cmp(void **state)
{
	(void)state;
	assert_int_equal(mib_view_oid_cmp(OID(1, 2), 2, OID(1, 2), 2), 0);
	assert_true(mib_view_oid_cmp(OID(1, 2), 2, OID(1, 2, 0), 3) < 0);
	assert_true(mib_view_oid_cmp(OID(1, 3), 2, OID(1, 2, 9), 3) > 0);
	assert_true(mib_view_oid_cmp(OID(1, 10), 2, OID(1, 9), 2) > 0);
	assert_true(mib_view_oid_cmp(OID(4294967295u), 1, OID(1), 1) > 0);
	assert_int_equal(mib_view_oid_cmp(OID(1), 0, OID(2), 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sorted_unique, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test(test_oid_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

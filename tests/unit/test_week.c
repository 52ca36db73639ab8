/*++
/* NAME
/*	test_week 1
/* SUMMARY
/*	unit tests for db/week.c: ISO 8601 week numbers
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "db/week.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct ymd_case {
	int y, m, d;
	int want; /* 1..53, or -1 */
};

static const struct ymd_case ymd_cases[] = {
	/* The brief's anchors. */
	{2026, 11, 23, 48},
	{2026, 12, 31, 53},
	{2027, 1, 1, 53},
	{2027, 1, 3, 53},
	{2027, 1, 4, 1},
	{2027, 1, 11, 2},
	{2026, 12, 28, 53},
	/* 2026 starts on a Thursday: 53 weeks. */
	{2026, 1, 1, 1},
	{2025, 12, 29, 1},
	{2025, 12, 28, 52},
	/* Late December in week 1 of the next year. */
	{2024, 12, 30, 1},
	{2024, 12, 29, 52},
	{2019, 12, 30, 1},
	{2014, 12, 29, 1},
	/* Early January in the last week of the previous year. */
	{2021, 1, 1, 53},
	{2021, 1, 3, 53},
	{2021, 1, 4, 1},
	{2022, 1, 1, 52},
	{2022, 1, 2, 52},
	{2022, 1, 3, 1},
	{2016, 1, 3, 53},
	{2010, 1, 3, 53},
	{2005, 1, 2, 53},
	{2006, 1, 1, 52},
	/* Leap years: 2020 starts on a Wednesday (53 weeks), 2024 on a
	 * Monday (52). */
	{2020, 12, 31, 53},
	{2020, 2, 29, 9},
	{2024, 2, 29, 9},
	{2024, 1, 1, 1},
	{2000, 2, 29, 9},
	{2000, 1, 1, 52},
	{1970, 1, 1, 1},
	{1969, 12, 31, 1},
	{2038, 1, 19, 3},
	{2100, 3, 1, 9},
	{9999, 12, 31, 52},
	{1, 1, 1, 1},
	/* Not dates. */
	{2027, 2, 29, -1},
	{2100, 2, 29, -1},
	{2026, 13, 1, -1},
	{2026, 0, 1, -1},
	{2026, 4, 31, -1},
	{2026, 1, 0, -1},
	{2026, 1, 32, -1},
	{0, 1, 1, -1},
	{10000, 1, 1, -1},
};

/* test_ymd - the table */
static void
test_ymd(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(ymd_cases); i++) {
		const struct ymd_case *c = ymd_cases + i;
		int got = db_iso_week_of_ymd(c->y, c->m, c->d);

		if (got != c->want) {
			print_error("%04d-%02d-%02d: week %d, want %d\n", c->y,
				    c->m, c->d, got, c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* utc - a UTC time */
static time_t
utc(int y, int m, int d, int hh, int mm, int ss)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return timegm(&tm);
}

struct time_case {
	time_t t;
	int week;
	time_t start;
};

/* test_time - week and week start of instants, at the day's edges */
static void
test_time(void **state)
{
	const struct time_case cases[] = {
		{utc(2026, 11, 23, 0, 0, 0), 48, utc(2026, 11, 23, 0, 0, 0)},
		{utc(2026, 11, 29, 23, 59, 59), 48, utc(2026, 11, 23, 0, 0, 0)},
		{utc(2026, 11, 30, 0, 0, 0), 49, utc(2026, 11, 30, 0, 0, 0)},
		{utc(2027, 1, 3, 23, 59, 59), 53, utc(2026, 12, 28, 0, 0, 0)},
		{utc(2027, 1, 4, 0, 0, 0), 1, utc(2027, 1, 4, 0, 0, 0)},
		{utc(2027, 1, 11, 12, 0, 0), 2, utc(2027, 1, 11, 0, 0, 0)},
		{utc(1970, 1, 1, 0, 0, 0), 1, utc(1969, 12, 29, 0, 0, 0)},
		{utc(1969, 12, 28, 23, 0, 0), 52, utc(1969, 12, 22, 0, 0, 0)},
		{utc(2038, 1, 19, 3, 14, 8), 3, utc(2038, 1, 18, 0, 0, 0)},
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int w = db_iso_week(cases[i].t);
		time_t s = db_iso_week_start(cases[i].t);

		if (w != cases[i].week || s != cases[i].start) {
			print_error("case %zu (%lld): week %d start %lld, want "
				    "%d %lld\n",
				    i, (long long)cases[i].t, w, (long long)s,
				    cases[i].week, (long long)cases[i].start);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_consecutive - every day from 1990 to 2060: the week number goes up
 * by one each Monday and wraps to 1 only after 52 or 53; the Monday
 * starts the week; the week holds 7 days */
static void
test_consecutive(void **state)
{
	time_t t = utc(1990, 1, 1, 6, 0, 0), end = utc(2060, 12, 31, 6, 0, 0);
	int prev = db_iso_week(t), days = 1, y = 1990, failed = 0;

	(void)state;
	assert_int_equal(prev, 1); /* 1990-01-01 was a Monday */
	for (t += 86400; t <= end && failed < 10; t += 86400) {
		int w = db_iso_week(t);
		struct tm tm;

		gmtime_r(&t, &tm);
		if (tm.tm_wday != 1) {
			if (w != prev) {
				print_error("%lld: week changed on a day not "
					    "Monday\n",
					    (long long)t);
				failed++;
			}
			days++;
			continue;
		}
		if (days != 7 || db_iso_week_start(t) != t - 6 * 3600) {
			print_error("%lld: week %d had %d days\n", (long long)t,
				    prev, days);
			failed++;
		}
		if (w == 1) {
			/* The old year had 52 or 53 weeks, as computed. */
			if (prev != db_iso_weeks_in_year(y) ||
			    (prev != 52 && prev != 53)) {
				print_error("%lld: wrapped after week %d\n",
					    (long long)t, prev);
				failed++;
			}
			y++;
		} else if (w != prev + 1) {
			print_error("%lld: week %d after %d\n", (long long)t, w,
				    prev);
			failed++;
		}
		prev = w;
		days = 1;
	}
	assert_int_equal(failed, 0);
}

/* test_weeks_in_year - the long years (a Thursday on 1 January, or a
 * Wednesday in a leap year) */
static void
test_weeks_in_year(void **state)
{
	static const int long_years[] = {2004, 2009, 2015, 2020, 2026,
					 2032, 2037, 2043, 2048};

	(void)state;
	for (int y = 2000; y <= 2050; y++) {
		int want = 52;

		for (size_t i = 0; i < N_ELEMS(long_years); i++)
			if (long_years[i] == y)
				want = 53;
		assert_int_equal(db_iso_weeks_in_year(y), want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ymd),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_consecutive),
		cmocka_unit_test(test_weeks_in_year),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

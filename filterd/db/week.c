/*++
/* NAME
/*	week 3
/* SUMMARY
/*	ISO 8601 week numbers: the SQL partition_tag
/*--*/

#include <time.h>

#include "week.h"

#define WEEK_DAY_SECS 86400

/* week_leap - a leap year of the Gregorian calendar */
static int
week_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* week_days_from_civil - days from 1970-01-01 to y-m-d (H. Hinnant) */
static long
week_days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* week_weekday - ISO day of the week, Monday 1 .. Sunday 7 */
static int
week_weekday(long days)
{
	/* 1970-01-01 was a Thursday (4). */
	long r = (days + 3) % 7;

	if (r < 0)
		r += 7;
	return (int)r + 1;
}

/* db_iso_weeks_in_year - 53 when 1 January is a Thursday, or a Wednesday
 * in a leap year; else 52 */
int
db_iso_weeks_in_year(int y)
{
	int jan1 = week_weekday(week_days_from_civil(y, 1, 1));

	return jan1 == 4 || (jan1 == 3 && week_leap(y)) ? 53 : 52;
}

/* db_iso_week_of_ymd - the ISO week of a calendar date */
int
db_iso_week_of_ymd(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	long days;
	int doy, week;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && week_leap(y)))
		return -1;
	days = week_days_from_civil(y, m, d);
	doy = (int)(days - week_days_from_civil(y, 1, 1)) + 1;
	/* The Thursday of this week decides the year it belongs to. */
	week = (doy - week_weekday(days) + 10) / 7;
	if (week < 1)
		return db_iso_weeks_in_year(y - 1);
	if (week > db_iso_weeks_in_year(y))
		return 1;
	return week;
}

/* db_iso_week - the ISO week of the UTC date of t */
int
db_iso_week(time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return db_iso_week_of_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* db_iso_week_start - Monday 00:00 UTC of the week of t */
time_t
db_iso_week_start(time_t t)
{
	time_t days = t / WEEK_DAY_SECS;

	if (t % WEEK_DAY_SECS < 0)
		days--;
	return (days - (week_weekday((long)days) - 1)) * WEEK_DAY_SECS;
}

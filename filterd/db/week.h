#ifndef FILTERD_DB_WEEK_H
#define FILTERD_DB_WEEK_H

/*++
/* NAME
/*	week 3h
/* SUMMARY
/*	ISO 8601 week numbers: the SQL partition_tag
/* SYNOPSIS
/*	#include "db/week.h"
/* DESCRIPTION
/*	The storage tables are partitioned by partition_tag, the ISO 8601
/*	week number (1..53) of the UTC date on which the message arrived,
/*	as amavisd-new's $partition_tag = sub { iso8601_week(...) }.
/*
/*	An ISO week starts on a Monday; week 1 is the week that holds the
/*	year's first Thursday (equivalently, 4 January). So the last days
/*	of December may be in week 1 of the next year, and the first days
/*	of January in week 52 or 53 of the previous one: 2026-12-31 and
/*	2027-01-01 are in week 53, 2027-01-04 starts week 1.
/*
/*	db_iso_week() is the week of the UTC date of t.
/*	db_iso_week_of_ymd() is the week of a calendar date (proleptic
/*	Gregorian; month 1..12, day 1..31).
/*	db_iso_week_start() is the Monday 00:00:00 UTC that starts the
/*	week of t.
/*	db_iso_weeks_in_year() is 53 or 52: the number of ISO weeks of the
/*	ISO year y.
/*
/*	All are pure functions of their arguments (no time zone, no
/*	locale), usable in any process.
/* DIAGNOSTICS
/*	db_iso_week_of_ymd() returns -1 for a date that does not exist
/*	(2027-02-29, month 13), or a year outside 1..9999; so does
/*	db_iso_week() for a time in such a year.
/*--*/

#include <time.h>

int db_iso_week(time_t t);
int db_iso_week_of_ymd(int y, int m, int d);
time_t db_iso_week_start(time_t t);
int db_iso_weeks_in_year(int y);

#endif

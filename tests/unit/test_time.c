/* Time helpers: strict parsing of what users type, zone conversion, calendar arithmetic. */
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "core/timeutil.h"

static void test_dates_parse_strictly(void)
{
	struct ymd d;
	CHECK_INT(date_parse("2023-07-31", &d), 0);
	CHECK_INT(d.y, 2023);
	CHECK_INT(d.m, 7);
	CHECK_INT(d.d, 31);
	CHECK_INT(date_parse("2024-02-29", &d), 0);
	const char *bad[] = { "2023-02-29", "2023-13-01", "2023-7-31", "2023-07-31x", "", "31/07/2023",
		"2023-00-10", "2023-04-31" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(date_parse(bad[i], &d), -1);
}

static void test_clock_accepts_12_and_24_hour(void)
{
	struct { const char *in; int rc, h, m; } cases[] = {
		{ "11:30 AM", 0, 11, 30 }, { "11:30am", 0, 11, 30 }, { "12:05 AM", 0, 0, 5 },
		{ "12:00 PM", 0, 12, 0 }, { "2:15 pm", 0, 14, 15 }, { "14:05", 0, 14, 5 },
		{ "0:00", 0, 0, 0 }, { "24:00", -1, 0, 0 }, { "13:00 PM", -1, 0, 0 },
		{ "9:5", -1, 0, 0 }, { "noon", -1, 0, 0 }, { "", -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int h = -1, m = -1;
		CHECK_INT(clock_parse(cases[i].in, &h, &m), cases[i].rc);
		if (cases[i].rc == 0) {
			CHECK_INT(h, cases[i].h);
			CHECK_INT(m, cases[i].m);
		}
	}
}

static void test_duration_forms(void)
{
	struct { const char *in; int rc, min; } cases[] = {
		{ "30m", 0, 30 }, { "30", 0, 30 }, { "1h", 0, 60 }, { "1h 30m", 0, 90 },
		{ "1h30m", 0, 90 }, { "1:30", 0, 90 }, { "45 min", 0, 45 }, { "0", -1, 0 },
		{ "-5", -1, 0 }, { "abc", -1, 0 }, { "", -1, 0 }, { "99999999", -1, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int m = -1;
		CHECK_INT(duration_parse(cases[i].in, &m), cases[i].rc);
		if (cases[i].rc == 0)
			CHECK_INT(m, cases[i].min);
	}
}

static void test_zone_conversion_follows_daylight_saving(void)
{
	int64_t t;
	struct local_time lt;
	/* 2023-07-31 11:30 in Houston is CDT (UTC-5). */
	CHECK_INT(tz_to_utc("America/Chicago", 2023, 7, 31, 11, 30, &t), 0);
	CHECK_INT(t, 1690821000);
	CHECK_INT(tz_from_utc("America/Chicago", t, &lt), 0);
	CHECK_INT(lt.hour, 11);
	CHECK_INT(lt.wday, 1);
	/* January is CST (UTC-6). */
	CHECK_INT(tz_to_utc("America/Chicago", 2023, 1, 10, 9, 0, &t), 0);
	CHECK_INT(t, 1673362800);
	/* The same instant is another day in Tokyo. */
	CHECK_INT(tz_from_utc("Asia/Tokyo", 1690821000, &lt), 0);
	CHECK_INT(lt.d, 1);
	CHECK_INT(lt.m, 8);
	CHECK_INT(tz_valid("Mars/Olympus_Mons"), 0);
	CHECK_INT(tz_to_utc("Mars/Olympus_Mons", 2023, 1, 1, 0, 0, &t), -1);
}

static void test_calendar_arithmetic(void)
{
	CHECK_INT(weekday_of((struct ymd){ 2023, 7, 31 }), 1);
	CHECK_INT(weekday_of((struct ymd){ 2023, 6, 25 }), 0);
	struct ymd d = ymd_add_days((struct ymd){ 2023, 7, 30 }, 3);
	CHECK_INT(d.m, 8);
	CHECK_INT(d.d, 2);
	d = ymd_add_days((struct ymd){ 2024, 3, 1 }, -1);
	CHECK_INT(d.d, 29);
	CHECK_INT(days_in_month(2023, 2), 28);
	CHECK_INT(days_in_month(2000, 2), 29);
	CHECK_INT(days_in_month(1900, 2), 28);
	CHECK_INT(ymd_cmp((struct ymd){ 2023, 1, 1 }, (struct ymd){ 2022, 12, 31 }), 1);
}

static void test_appointment_time_reads_like_the_form(void)
{
	char buf[64];
	struct local_time lt = { 2023, 7, 31, 11, 30, 1 };
	CHECK_STR(fmt_appointment_time(&lt, 30, 0, buf, sizeof buf), "07/31/2023 Mon 11:30 AM 30m");
	CHECK_STR(fmt_appointment_time(&lt, 90, 0, buf, sizeof buf), "07/31/2023 Mon 11:30 AM 1h 30m");
	lt.hour = 16;
	lt.min = 23;
	CHECK_STR(fmt_long_datetime(&lt, buf, sizeof buf), "Monday, July 31, 2023 4:23 PM");
}

static void test_clock_formats_every_minute_as_before(void)
{
	char got[16], want[32];
	for (int h = 0; h < 24; h++)
		for (int m = 0; m < 60; m++) {
			snprintf(want, sizeof want, "%d:%02d %s", h % 12 == 0 ? 12 : h % 12, m,
			    h < 12 ? "AM" : "PM");
			CHECK_STR(fmt_clock(h, m, got, sizeof got), want);
		}
	CHECK_STR(fmt_clock(0, 5, got, sizeof got), "12:05 AM");
	CHECK_STR(fmt_clock(12, 0, got, sizeof got), "12:00 PM");
}

/* Every day of a year in zones with daylight saving (Chicago), a change at midnight (Santiago:
 * 00:00 does not exist on the day clocks go forward) and a half-hour change (Lord Howe): the
 * day starts are tz_to_utc's, and on a day marked same the clock of every quarter hour is its
 * distance from the day's start, as tz_from_utc says; the change days are not marked. */
static void test_day_bounds_give_the_clock_of_each_day(void)
{
	static const char *const zones[] = { "America/Chicago", "America/Santiago",
		"Australia/Lord_Howe", "UTC" };
	enum { NDAYS = 366 };
	static int64_t bound[NDAYS + 1];
	static unsigned char same[NDAYS];
	struct ymd start = { 2023, 1, 1 };
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		int unmarked = 0;
		CHECK_INT(tz_day_bounds(zones[z], start, NDAYS, bound, same), 0);
		for (int d = 0; d < NDAYS; d++) {
			struct ymd day = ymd_add_days(start, d);
			int64_t t;
			CHECK_INT(tz_to_utc(zones[z], day.y, day.m, day.d, 0, 0, &t), 0);
			CHECK_INT(bound[d], t);
			if (!same[d]) {
				unmarked++;
				continue;
			}
			for (int64_t u = bound[d]; u < bound[d + 1]; u += 900) {
				struct local_time lt;
				CHECK_INT(tz_from_utc(zones[z], u, &lt), 0);
				CHECK_INT(lt.d, day.d);
				CHECK_INT(lt.hour * 3600 + lt.min * 60, u - bound[d]);
			}
		}
		CHECK_INT(unmarked, strcmp(zones[z], "UTC") == 0 ? 0 : 2);
	}
	/* 2023-03-12, the spring change in Chicago, is 23 hours long */
	CHECK_INT(tz_day_bounds("America/Chicago", (struct ymd){ 2023, 3, 12 }, 1, bound, same), 0);
	CHECK_INT(same[0], 0);
	CHECK_INT(bound[1] - bound[0], 23 * 3600);
	CHECK_INT(tz_day_bounds("Mars/Olympus_Mons", start, 1, bound, same), -1);
}

T_MAIN(T(test_dates_parse_strictly), T(test_clock_formats_every_minute_as_before),
    T(test_day_bounds_give_the_clock_of_each_day), T(test_clock_accepts_12_and_24_hour),
    T(test_duration_forms), T(test_zone_conversion_follows_daylight_saving),
    T(test_calendar_arithmetic), T(test_appointment_time_reads_like_the_form))

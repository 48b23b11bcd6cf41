/* Dates, times and time zones: parse and format what users type and see, and convert between
 * UTC epoch seconds and a user's local calendar (IANA zone names, via GLib's GTimeZone). */
#ifndef CORE_TIMEUTIL_H
#define CORE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

struct ymd {
	int y, m, d;
};

/* Local wall-clock fields of an instant in a zone. wday: 0 = Sunday. */
struct local_time {
	int y, m, d, hour, min, wday;
};

/* 1 if tz names a zone this machine knows ("UTC", "America/Chicago"), else 0. */
int tz_valid(const char *tz);
/* The UTC instant of a local wall-clock time in tz. Returns 0 or -1 (bad zone or fields). */
int tz_to_utc(const char *tz, int y, int m, int d, int hour, int min, int64_t *out);
/* The UTC instants where each of the ndays + 1 local days from start begins in tz
 * (bound[0..ndays], as tz_to_utc gives them), and for each of the ndays days whether one UTC
 * offset holds for all of it (same[d]: then an instant's local clock in day d is its distance
 * from bound[d]). One zone lookup for the whole span. Returns 0 or -1. */
int tz_day_bounds(const char *tz, struct ymd start, int ndays, int64_t *bound, unsigned char *same);
/* The local fields of instant t in tz. Returns 0 or -1. */
int tz_from_utc(const char *tz, int64_t t, struct local_time *out);

/* The local fields of an item's start as a calendar shows it: for an all-day item (stored as
 * 00:00 UTC of its date) the date itself at 00:00, whatever tz is, since a date is the same day
 * in every zone; else the instant t in tz. Returns 0 or -1. */
int tz_item_local(const char *tz, int64_t t, int all_day, struct local_time *out);

/* Strict parsers; each returns 0 or -1 and never reads past the string. */
int date_parse(const char *s, struct ymd *out);             /* YYYY-MM-DD, a real date */
int month_parse(const char *s, int *y, int *m);             /* YYYY-MM */
int clock_parse(const char *s, int *hour, int *min);        /* "14:05", "2:05 PM", "11:30am" */
int duration_parse(const char *s, int *minutes);            /* "30", "30m", "1h", "1h 30m", "1:30" */

int days_in_month(int y, int m);
int weekday_of(struct ymd d);                                /* 0 = Sunday */
struct ymd ymd_add_days(struct ymd d, int n);
/* Days from 1970-01-01 to d (negative before). */
int64_t ymd_to_days(struct ymd d);
int ymd_cmp(struct ymd a, struct ymd b);
/* 00:00 UTC of date d, the instant an all-day item of that date is stored at. */
int64_t ymd_to_utc(struct ymd d);
/* The UTC date of instant t (the date of an all-day item stored at t). */
struct ymd ymd_of_utc(int64_t t);
/* The number of dates an all-day item of duration_min covers (end exclusive, at least 1). */
int all_day_days(int duration_min);

/* "07/31/2023 Mon 11:30 AM 30m" into out; returns out. */
char *fmt_appointment_time(const struct local_time *t, int duration_min, int all_day, char *out,
    size_t size);
/* "11:30 AM" into out; returns out. */
char *fmt_clock(int hour, int min, char *out, size_t size);
/* "Monday, July 24, 2023 4:23 PM" into out; returns out. */
char *fmt_long_datetime(const struct local_time *t, char *out, size_t size);
/* "Monday, July 24, 2023" into out; returns out. */
char *fmt_long_date(const struct local_time *t, char *out, size_t size);
/* Short names. */
const char *month_name(int m);        /* "January" */
const char *month_abbr(int m);        /* "Jan" */
const char *weekday_abbr(int wday);   /* "Sun" */

/* Now, in UTC epoch seconds, for the sync daemon's windows: time(NULL) moved by the
 * CRM_CLOCK_OFFSET_S environment variable (seconds, may be negative), which only tests set to
 * let a pass see a later day. */
int64_t clock_now(void);

#endif

/* Calendar arithmetic, strict date/time parsers and zone conversion through GLib. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "core/timeutil.h"

static const char *const months[] = { "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December" };
static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const wdays_long[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
	"Thursday", "Friday", "Saturday" };

const char *month_name(int m)
{
	return m >= 1 && m <= 12 ? months[m - 1] : "?";
}

const char *month_abbr(int m)
{
	static const char *const ab[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	return m >= 1 && m <= 12 ? ab[m - 1] : "?";
}

const char *weekday_abbr(int wday)
{
	return wday >= 0 && wday <= 6 ? wdays[wday] : "?";
}

/* GTimeZone for a name (a new reference), or NULL when the zone is unknown (GLib would
 * silently give UTC). Zones are cached: loading one from tzdata costs about 0.6 ms, and a
 * calendar page converts hundreds of instants. GTimeZone is immutable and thread-safe. */
static GTimeZone *tz_open(const char *tz)
{
	static GMutex lock;
	static GHashTable *cache;   /* name -> GTimeZone, kept for the life of the process */
	if (!tz || !*tz || strlen(tz) > 64)
		return NULL;
	g_mutex_lock(&lock);
	if (!cache)
		cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		    (GDestroyNotify)g_time_zone_unref);
	GTimeZone *z = g_hash_table_lookup(cache, tz);
	if (z)
		z = g_time_zone_ref(z);
	else if ((z = g_time_zone_new_identifier(tz)) && g_hash_table_size(cache) < 64)
		g_hash_table_insert(cache, g_strdup(tz), g_time_zone_ref(z));
	g_mutex_unlock(&lock);
	return z;
}

int tz_valid(const char *tz)
{
	GTimeZone *z = tz_open(tz);
	if (!z)
		return 0;
	g_time_zone_unref(z);
	return 1;
}

int tz_to_utc(const char *tz, int y, int m, int d, int hour, int min, int64_t *out)
{
	GTimeZone *z = tz_open(tz);
	if (!z)
		return -1;
	GDateTime *dt = NULL;
	if (y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m) &&
	    hour >= 0 && hour < 24 && min >= 0 && min < 60)
		dt = g_date_time_new(z, y, m, d, hour, min, 0);
	g_time_zone_unref(z);
	if (!dt)
		return -1;
	*out = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

int tz_day_bounds(const char *tz, struct ymd start, int ndays, int64_t *bound, unsigned char *same)
{
	GTimeZone *z = tz_open(tz);
	int ret = 0;
	if (!z)
		return -1;
	for (int d = 0; d <= ndays && ret == 0; d++) {
		struct ymd day = ymd_add_days(start, d);
		GDateTime *dt = day.y >= 1 && day.y <= 9999 ?
		    g_date_time_new(z, day.y, day.m, day.d, 0, 0, 0) : NULL;
		if (!dt) {
			ret = -1;
			break;
		}
		bound[d] = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	/* one interval from the day's first second to its last, and the day begins at 00:00 (not
	 * at a later time that a gap at midnight moved it to) */
	for (int d = 0; d < ndays && ret == 0; d++) {
		gint i = g_time_zone_find_interval(z, G_TIME_TYPE_UNIVERSAL, bound[d]);
		gint64 local = bound[d] + (i >= 0 ? g_time_zone_get_offset(z, i) : 0);
		same[d] = i >= 0 && bound[d + 1] > bound[d] && local % 86400 == 0 &&
		    g_time_zone_find_interval(z, G_TIME_TYPE_UNIVERSAL, bound[d + 1] - 1) == i;
	}
	g_time_zone_unref(z);
	return ret;
}

int tz_from_utc(const char *tz, int64_t t, struct local_time *out)
{
	GTimeZone *z = tz_open(tz);
	if (!z)
		return -1;
	GDateTime *u = g_date_time_new_from_unix_utc(t);
	GDateTime *l = u ? g_date_time_to_timezone(u, z) : NULL;
	g_time_zone_unref(z);
	if (u)
		g_date_time_unref(u);
	if (!l)
		return -1;
	out->y = g_date_time_get_year(l);
	out->m = g_date_time_get_month(l);
	out->d = g_date_time_get_day_of_month(l);
	out->hour = g_date_time_get_hour(l);
	out->min = g_date_time_get_minute(l);
	out->wday = g_date_time_get_day_of_week(l) % 7;   /* GLib: Monday 1 .. Sunday 7 */
	g_date_time_unref(l);
	return 0;
}

int tz_item_local(const char *tz, int64_t t, int all_day, struct local_time *out)
{
	if (!all_day)
		return tz_from_utc(tz, t, out);
	struct ymd d = ymd_of_utc(t);
	*out = (struct local_time){ d.y, d.m, d.d, 0, 0, weekday_of(d) };
	return 0;
}

int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
int64_t ymd_to_days(struct ymd d)
{
	int64_t y = d.y - (d.m <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static struct ymd days_to_ymd(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct ymd r;
	r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.y = (int)(yoe + era * 400 + (r.m <= 2));
	return r;
}

int weekday_of(struct ymd d)
{
	int64_t days = ymd_to_days(d);
	int w = (int)((days + 4) % 7);   /* 1970-01-01 was a Thursday */
	return w < 0 ? w + 7 : w;
}

struct ymd ymd_add_days(struct ymd d, int n)
{
	return days_to_ymd(ymd_to_days(d) + n);
}

int64_t ymd_to_utc(struct ymd d)
{
	return ymd_to_days(d) * 86400;
}

struct ymd ymd_of_utc(int64_t t)
{
	int64_t days = t / 86400 - (t % 86400 < 0);
	return days_to_ymd(days);
}

int all_day_days(int duration_min)
{
	return duration_min > 1440 ? (duration_min + 1439) / 1440 : 1;
}

int ymd_cmp(struct ymd a, struct ymd b)
{
	int64_t x = ymd_to_days(a), y = ymd_to_days(b);
	return x < y ? -1 : x > y;
}

/* Read exactly n digits at *p into *v and advance; -1 if not digits. */
static int digits(const char **p, int n, int *v)
{
	int r = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		r = r * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = r;
	return 0;
}

int date_parse(const char *s, struct ymd *out)
{
	struct ymd d;
	if (!s || digits(&s, 4, &d.y) || *s++ != '-' || digits(&s, 2, &d.m) || *s++ != '-' ||
	    digits(&s, 2, &d.d) || *s)
		return -1;
	if (d.y < 1900 || d.y > 2200 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > days_in_month(d.y, d.m))
		return -1;
	*out = d;
	return 0;
}

int month_parse(const char *s, int *y, int *m)
{
	int yy, mm;
	if (!s || digits(&s, 4, &yy) || *s++ != '-' || digits(&s, 2, &mm) || *s)
		return -1;
	if (yy < 1900 || yy > 2200 || mm < 1 || mm > 12)
		return -1;
	*y = yy;
	*m = mm;
	return 0;
}

int clock_parse(const char *s, int *hour, int *min)
{
	int h = 0, m = 0, nd = 0;
	if (!s)
		return -1;
	while (*s == ' ')
		s++;
	while (isdigit((unsigned char)*s) && nd < 2) {
		h = h * 10 + (*s++ - '0');
		nd++;
	}
	if (nd == 0 || *s++ != ':' || digits(&s, 2, &m) || m > 59)
		return -1;
	while (*s == ' ')
		s++;
	if (*s) {
		int pm;
		if (strcasecmp(s, "am") == 0 || strcasecmp(s, "a.m.") == 0)
			pm = 0;
		else if (strcasecmp(s, "pm") == 0 || strcasecmp(s, "p.m.") == 0)
			pm = 1;
		else
			return -1;
		if (h < 1 || h > 12)
			return -1;
		h = (h % 12) + (pm ? 12 : 0);
	} else if (h > 23) {
		return -1;
	}
	*hour = h;
	*min = m;
	return 0;
}

int duration_parse(const char *s, int *minutes)
{
	long total = 0;
	int any = 0;
	if (!s)
		return -1;
	const char *colon = strchr(s, ':');
	if (colon) {
		int h, m;
		if (clock_parse(s, &h, &m) != 0)
			return -1;
		total = h * 60 + m;
		any = 1;
		s += strlen(s);
	}
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (!isdigit((unsigned char)*s))
			return -1;
		long v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 100000)
				return -1;
		}
		while (*s == ' ')
			s++;
		if (*s == 'h' || *s == 'H') {
			v *= 60;
			s++;
		} else if (*s == 'm' || *s == 'M') {
			s++;
			if (strncasecmp(s, "in", 2) == 0)
				s += 2;
		}
		total += v;
		any = 1;
	}
	if (!any || total <= 0 || total > 14 * 24 * 60)
		return -1;
	*minutes = (int)total;
	return 0;
}

/* Built by hand rather than by snprintf: a calendar page formats hundreds of these. */
char *fmt_clock(int hour, int min, char *out, size_t size)
{
	int h12 = hour % 12 == 0 ? 12 : hour % 12;
	if (hour < 0 || hour > 23 || min < 0 || min > 59 || size < 9) {
		snprintf(out, size, "%d:%02d %s", h12, min, hour < 12 ? "AM" : "PM");
		return out;
	}
	char *p = out;
	if (h12 >= 10)
		*p++ = '1';
	*p++ = (char)('0' + h12 % 10);
	*p++ = ':';
	*p++ = (char)('0' + min / 10);
	*p++ = (char)('0' + min % 10);
	*p++ = ' ';
	*p++ = hour < 12 ? 'A' : 'P';
	*p++ = 'M';
	*p = '\0';
	return out;
}

char *fmt_appointment_time(const struct local_time *t, int duration_min, int all_day, char *out,
    size_t size)
{
	char clk[16], dur[32];
	if (duration_min % 60 == 0 && duration_min >= 60)
		snprintf(dur, sizeof dur, "%dh", duration_min / 60);
	else if (duration_min > 60)
		snprintf(dur, sizeof dur, "%dh %dm", duration_min / 60, duration_min % 60);
	else
		snprintf(dur, sizeof dur, "%dm", duration_min);
	if (all_day)
		snprintf(out, size, "%02d/%02d/%04d %s All day", t->m, t->d, t->y, weekday_abbr(t->wday));
	else
		snprintf(out, size, "%02d/%02d/%04d %s %s %s", t->m, t->d, t->y, weekday_abbr(t->wday),
		    fmt_clock(t->hour, t->min, clk, sizeof clk), dur);
	return out;
}

char *fmt_long_datetime(const struct local_time *t, char *out, size_t size)
{
	char clk[16];
	snprintf(out, size, "%s, %s %d, %d %s", wdays_long[t->wday % 7], month_name(t->m), t->d, t->y,
	    fmt_clock(t->hour, t->min, clk, sizeof clk));
	return out;
}

char *fmt_long_date(const struct local_time *t, char *out, size_t size)
{
	snprintf(out, size, "%s, %s %d, %d", wdays_long[t->wday % 7], month_name(t->m), t->d, t->y);
	return out;
}

int64_t clock_now(void)
{
	const char *off = getenv("CRM_CLOCK_OFFSET_S");
	return (int64_t)time(NULL) + (off && *off ? strtoll(off, NULL, 10) : 0);
}

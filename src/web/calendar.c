/* Building calendar grids from calendar items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/calendar.h"

int cal_range_utc(const char *tz, struct ymd start, int ndays, int64_t *from, int64_t *to)
{
	struct ymd end = ymd_add_days(start, ndays);
	if (tz_to_utc(tz, start.y, start.m, start.d, 0, 0, from) != 0 ||
	    tz_to_utc(tz, end.y, end.m, end.d, 0, 0, to) != 0)
		return -1;
	return 0;
}

struct ymd cal_today(const char *tz)
{
	struct local_time lt;
	if (tz_from_utc(tz, time(NULL), &lt) != 0 && tz_from_utc("UTC", time(NULL), &lt) != 0)
		return (struct ymd){ 2000, 1, 1 };
	return (struct ymd){ lt.y, lt.m, lt.d };
}

char *ymd_fmt(struct ymd d, char *out, size_t size)
{
	snprintf(out, size, "%04d-%02d-%02d", d.y, d.m, d.d);
	return out;
}

const char *cal_item_label(const struct cal_item *it, const char *tz, char *out, size_t size)
{
	struct local_time lt;
	char clk[16] = "";
	if (it->kind == CAL_EMAIL) {
		snprintf(out, size, "%s", it->title[0] ? it->title : "(no subject)");
		return "email";
	}
	if (it->all_day)
		snprintf(clk, sizeof clk, "All day");
	else if (tz_from_utc(tz, it->start_at, &lt) == 0)
		fmt_clock(lt.hour, lt.min, clk, sizeof clk);
	if (!it->detail) {
		snprintf(out, size, "%s Busy", clk);
		return "busy";
	}
	snprintf(out, size, "%s %s", clk, it->title[0] ? it->title : "(no title)");
	return "appt";
}

/* Local day index of each item relative to start (or -1 outside the grid). */
static int item_day(const struct cal_item *it, const char *tz, struct ymd start, int ndays)
{
	struct local_time lt;
	if (tz_from_utc(tz, it->start_at, &lt) != 0)
		return -1;
	int64_t d = ymd_to_days((struct ymd){ lt.y, lt.m, lt.d }) - ymd_to_days(start);
	return d >= 0 && d < ndays ? (int)d : -1;
}

struct vlist *cal_weeks(const struct cal_items *items, const char *tz, struct ymd start, int ndays,
    int month, const char *day_query)
{
	int *count = calloc((size_t)ndays, sizeof *count);
	int *day_of = calloc(items->n + 1, sizeof *day_of);
	struct vlist *weeks = vlist_new(), *week = NULL;
	struct ymd today = cal_today(tz);
	if (!count || !day_of || !weeks)
		goto fail;
	for (size_t i = 0; i < items->n; i++) {
		day_of[i] = item_day(&items->v[i], tz, start, ndays);
		if (day_of[i] >= 0)
			count[day_of[i]]++;
	}
	for (int d = 0; d < ndays; d++) {
		struct ymd day = ymd_add_days(start, d);
		char date[16], label[16], cls[32] = "", href[128];
		if (d % 7 == 0)
			week = vlist_row(weeks);
		struct vlist *cell = vlist_row(week);
		vrow_str(cell, ymd_fmt(day, date, sizeof date));
		if (day.d == 1 || d == 0)
			snprintf(label, sizeof label, "%s %d", month_abbr(day.m), day.d);
		else
			snprintf(label, sizeof label, "%d", day.d);
		vrow_str(cell, label);
		snprintf(cls, sizeof cls, "%s%s", month && day.m != month ? "other " : "",
		    ymd_cmp(day, today) == 0 ? "today" : "");
		vrow_str(cell, cls);
		struct vlist *list = vlist_new();
		int shown = 0;
		for (size_t i = 0; i < items->n; i++) {
			if (day_of[i] != d)
				continue;
			if (count[d] > CAL_DAY_MAX && shown == CAL_DAY_MAX)
				break;
			const struct cal_item *it = &items->v[i];
			char text[600];
			const char *kind = cal_item_label(it, tz, text, sizeof text);
			struct vlist *row = vlist_row(list);
			vrow_str(row, kind);
			if (it->kind == CAL_EMAIL)
				vrow_strf(row, "/messages/%lld", (long long)it->id);
			else
				vrow_strf(row, "/appointments/%lld", (long long)it->id);
			vrow_str(row, text);
			shown++;
		}
		vrow_list(cell, list);
		vrow_int(cell, count[d] > CAL_DAY_MAX ? count[d] : 0);
		snprintf(href, sizeof href, "/calendar/day?date=%s%s", date, day_query ? day_query : "");
		vrow_str(cell, href);
		vrow_strf(cell, "%s, %s %d", weekday_abbr(weekday_of(day)), month_abbr(day.m), day.d);
	}
	free(count);
	free(day_of);
	return weeks;
fail:
	free(count);
	free(day_of);
	vlist_free(weeks);
	return NULL;
}

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

/* The local day of each item as an index from start (-1 outside the grid), found among the
 * UTC instants where each local day begins (one zone lookup per day, not per item). */
static int items_days(const struct cal_items *items, const char *tz, struct ymd start, int ndays,
    int *day_of, int *count)
{
	int64_t *bound = calloc((size_t)ndays + 1, sizeof *bound);
	if (!bound)
		return -1;
	for (int d = 0; d <= ndays; d++) {
		struct ymd day = ymd_add_days(start, d);
		if (tz_to_utc(tz, day.y, day.m, day.d, 0, 0, &bound[d]) != 0) {
			free(bound);
			return -1;
		}
	}
	for (size_t i = 0; i < items->n; i++) {
		int64_t t = items->v[i].start_at;
		int lo = 0, hi = ndays;          /* find the last bound <= t */
		day_of[i] = -1;
		if (t < bound[0] || t >= bound[ndays])
			continue;
		while (hi - lo > 1) {
			int mid = (lo + hi) / 2;
			if (bound[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		day_of[i] = lo;
		count[lo]++;
	}
	free(bound);
	return 0;
}

/* One grid cell's items: at most CAL_DAY_MAX, then "N Events" (N = all of the day's). */
static void cell_items(struct buf *out, const struct cal_items *items, const int *day_of, int d,
    int count, const char *tz, const char *more_href)
{
	int shown = 0;
	for (size_t i = 0; i < items->n; i++) {
		if (day_of[i] != d)
			continue;
		if (count > CAL_DAY_MAX && shown == CAL_DAY_MAX)
			break;
		const struct cal_item *it = &items->v[i];
		char text[600];
		const char *kind = cal_item_label(it, tz, text, sizeof text);
		if (strcmp(kind, "busy") == 0) {
			buf_puts(out, "<span class=\"item busy\">");
		} else {
			buf_printf(out, "<a class=\"item %s\" href=\"/%s/%lld\">", kind,
			    it->kind == CAL_EMAIL ? "messages" : "appointments", (long long)it->id);
		}
		html_txt(out, text);
		buf_puts(out, strcmp(kind, "busy") == 0 ? "</span>" : "</a>");
		shown++;
	}
	if (count > CAL_DAY_MAX) {
		buf_puts(out, "<a class=\"more\" href=\"");
		html_attr(out, more_href);
		buf_printf(out, "\">%d Events</a>", count);
	}
}

int cal_grid_html(const struct cal_items *items, const char *tz, struct ymd start, int ndays,
    int month, const char *day_query, struct buf *out)
{
	int *count = calloc((size_t)ndays, sizeof *count);
	int *day_of = calloc(items->n + 1, sizeof *day_of);
	struct ymd today = cal_today(tz);
	if (!count || !day_of || items_days(items, tz, start, ndays, day_of, count) != 0) {
		free(count);
		free(day_of);
		return -1;
	}
	for (int d = 0; d < ndays; d++) {
		struct ymd day = ymd_add_days(start, d);
		char date[16], href[160];
		ymd_fmt(day, date, sizeof date);
		snprintf(href, sizeof href, "/calendar/day?date=%s%s", date, day_query ? day_query : "");
		if (d % 7 == 0)
			buf_puts(out, "<tr>");
		buf_printf(out, "<td data-date=\"%s\" class=\"%s%s\"><a class=\"dnum\" href=\"", date,
		    month && day.m != month ? "other " : "", ymd_cmp(day, today) == 0 ? "today" : "");
		html_attr(out, href);
		if (day.d == 1 || d == 0)
			buf_printf(out, "\"><span class=\"dshort\">%s %d</span>", month_abbr(day.m), day.d);
		else
			buf_printf(out, "\"><span class=\"dshort\">%d</span>", day.d);
		buf_printf(out, "<span class=\"dlong\">%s, %s %d</span></a>",
		    weekday_abbr(weekday_of(day)), month_abbr(day.m), day.d);
		cell_items(out, items, day_of, d, count[d], tz, href);
		buf_puts(out, d % 7 == 6 ? "</td></tr>\n" : "</td>");
	}
	free(count);
	free(day_of);
	return out->oom ? -1 : 0;
}

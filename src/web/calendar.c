/* Building calendar grids from calendar items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/calendar.h"

int cal_span_of(const char *tz, struct ymd start, int ndays, struct cal_span *out)
{
	struct ymd end = ymd_add_days(start, ndays);
	if (tz_to_utc(tz, start.y, start.m, start.d, 0, 0, &out->from) != 0 ||
	    tz_to_utc(tz, end.y, end.m, end.d, 0, 0, &out->to) != 0)
		return -1;
	out->date_from = ymd_to_utc(start);
	out->date_to = ymd_to_utc(end);
	return 0;
}

static int cmp_day_order(const void *a, const void *b)
{
	const struct cal_item *x = a, *y = b;
	if (x->all_day != y->all_day)
		return x->all_day ? -1 : 1;
	if (x->start_at != y->start_at)
		return x->start_at < y->start_at ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind == CAL_APPT ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void cal_items_day_order(struct cal_items *items)
{
	if (items->n > 1)
		qsort(items->v, items->n, sizeof *items->v, cmp_day_order);
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

/* The days of each item as indexes from start, first[i] .. last[i] (first[i] = -1: not in the
 * grid). A timed item is on its local day, found among the UTC instants where each local day
 * begins (one zone lookup per day, not per item); an all-day item is on each of its dates. */
static int items_days(const struct cal_items *items, const char *tz, struct ymd start, int ndays,
    int *first, int *last, int *count)
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
	int64_t day0 = ymd_to_days(start);
	for (size_t i = 0; i < items->n; i++) {
		int64_t t = items->v[i].start_at;
		int lo = 0, hi = ndays;          /* find the last bound <= t */
		first[i] = last[i] = -1;
		if (items->v[i].all_day) {
			int64_t a = ymd_to_days(ymd_of_utc(t)) - day0;
			int64_t b = a + all_day_days(items->v[i].duration_min) - 1;
			if (b < 0 || a >= ndays)
				continue;
			first[i] = a < 0 ? 0 : (int)a;
			last[i] = b >= ndays ? ndays - 1 : (int)b;
			for (int d = first[i]; d <= last[i]; d++)
				count[d]++;
			continue;
		}
		if (t < bound[0] || t >= bound[ndays])
			continue;
		while (hi - lo > 1) {
			int mid = (lo + hi) / 2;
			if (bound[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		first[i] = last[i] = lo;
		count[lo]++;
	}
	free(bound);
	return 0;
}

/* One grid cell's items: at most CAL_DAY_MAX, then "N Events" (N = all of the day's). */
static void cell_items(struct buf *out, const struct cal_items *items, const int *first,
    const int *last, int d, int count, const char *tz, const char *more_href)
{
	int shown = 0;
	for (size_t i = 0; i < items->n; i++) {
		if (first[i] < 0 || d < first[i] || d > last[i])
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
	int *first = calloc(items->n + 1, sizeof *first), *last = calloc(items->n + 1, sizeof *last);
	struct ymd today = cal_today(tz);
	if (!count || !first || !last || items_days(items, tz, start, ndays, first, last, count) != 0) {
		free(count);
		free(first);
		free(last);
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
		cell_items(out, items, first, last, d, count[d], tz, href);
		buf_puts(out, d % 7 == 6 ? "</td></tr>\n" : "</td>");
	}
	free(count);
	free(first);
	free(last);
	return out->oom ? -1 : 0;
}

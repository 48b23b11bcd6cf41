/* Building calendar grids from calendar items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/calendar.h"

/* The day starts of the last span a worker thread showed (tz_day_bounds), kept: a page asks
 * for the same span twice (its query, its grid) and the next request mostly for the same
 * again. Zone rules do not change while the process runs (core/timeutil.c caches the zones). */
#define SPAN_MAX_DAYS 62
struct span_days {
	char tz[72];
	int64_t start, bound[SPAN_MAX_DAYS + 1];
	int ndays;
	unsigned char same[SPAN_MAX_DAYS];
};
static _Thread_local struct span_days last_span;

/* The day starts of ndays from start in tz: the thread's kept span, or NULL (then the caller
 * asks tz_day_bounds itself) when it is longer than SPAN_MAX_DAYS or the zone is bad. */
static const struct span_days *span_days_of(const char *tz, struct ymd start, int ndays)
{
	struct span_days *k = &last_span;
	int64_t s = ymd_to_days(start);
	if (!tz || ndays < 1 || ndays > SPAN_MAX_DAYS || strlen(tz) >= sizeof k->tz)
		return NULL;
	if (k->ndays == ndays && k->start == s && strcmp(k->tz, tz) == 0)
		return k;
	k->ndays = 0;
	if (tz_day_bounds(tz, start, ndays, k->bound, k->same) != 0)
		return NULL;
	memcpy(k->tz, tz, strlen(tz) + 1);
	k->start = s;
	k->ndays = ndays;
	return k;
}

int cal_span_of(const char *tz, struct ymd start, int ndays, struct cal_span *out)
{
	struct ymd end = ymd_add_days(start, ndays);
	const struct span_days *k = span_days_of(tz, start, ndays);
	if (k) {
		out->from = k->bound[0];
		out->to = k->bound[ndays];
	} else if (tz_to_utc(tz, start.y, start.m, start.d, 0, 0, &out->from) != 0 ||
	    tz_to_utc(tz, end.y, end.m, end.d, 0, 0, &out->to) != 0) {
		return -1;
	}
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

/* The grid's days: where each begins (tz_day_bounds), and each day's items in the order of
 * items (the indexes from at[d] to at[d + 1] of idx), with their number. */
struct grid_days {
	int64_t *bound;
	unsigned char *same;
	size_t *at, *idx;
	int *count;
};

static void grid_days_free(struct grid_days *g)
{
	free(g->bound);
	free(g->same);
	free(g->at);
	free(g->idx);
	free(g->count);
}

/* The day indexes from start of item it, *first .. *last (*first = -1: not in the grid). A
 * timed item is on its local day, found among the instants where each local day begins (one
 * zone lookup per day, not per item); an all-day item is on each of its dates. */
static void item_days(const struct cal_item *it, const int64_t *bound, int64_t day0, int ndays,
    int *first, int *last)
{
	int64_t t = it->start_at;
	int lo = 0, hi = ndays;          /* find the last bound <= t */
	*first = *last = -1;
	if (it->all_day) {
		int64_t a = ymd_to_days(ymd_of_utc(t)) - day0;
		int64_t b = a + all_day_days(it->duration_min) - 1;
		if (b < 0 || a >= ndays)
			return;
		*first = a < 0 ? 0 : (int)a;
		*last = b >= ndays ? ndays - 1 : (int)b;
		return;
	}
	if (t < bound[0] || t >= bound[ndays])
		return;
	while (hi - lo > 1) {
		int mid = (lo + hi) / 2;
		if (bound[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	*first = *last = lo;
}

/* Fill g for items over ndays from start in tz. Returns 0 or -1. */
static int grid_days_of(const struct cal_items *items, const char *tz, struct ymd start,
    int ndays, struct grid_days *g)
{
	int *first = malloc((items->n + 1) * sizeof *first);
	int *last = malloc((items->n + 1) * sizeof *last);
	size_t total = 0;
	const struct span_days *k = span_days_of(tz, start, ndays);
	g->bound = malloc(((size_t)ndays + 1) * sizeof *g->bound);
	g->same = malloc((size_t)ndays + 1);
	g->at = calloc((size_t)ndays + 1, sizeof *g->at);
	g->count = calloc((size_t)ndays + 1, sizeof *g->count);
	if (!first || !last || !g->bound || !g->same || !g->at || !g->count)
		goto fail;
	if (k) {
		memcpy(g->bound, k->bound, ((size_t)ndays + 1) * sizeof *g->bound);
		memcpy(g->same, k->same, (size_t)ndays);
	} else if (tz_day_bounds(tz, start, ndays, g->bound, g->same) != 0) {
		goto fail;
	}
	int64_t day0 = ymd_to_days(start);
	for (size_t i = 0; i < items->n; i++) {
		item_days(&items->v[i], g->bound, day0, ndays, &first[i], &last[i]);
		for (int d = first[i]; d >= 0 && d <= last[i]; d++)
			g->count[d]++;
	}
	for (int d = 0; d < ndays; d++) {
		g->at[d] = total;
		total += (size_t)g->count[d];
	}
	g->at[ndays] = total;
	if (!(g->idx = malloc((total + 1) * sizeof *g->idx)))
		goto fail;
	size_t *fill = calloc((size_t)ndays + 1, sizeof *fill);
	if (!fill)
		goto fail;
	for (size_t i = 0; i < items->n; i++)
		for (int d = first[i]; d >= 0 && d <= last[i]; d++)
			g->idx[g->at[d] + fill[d]++] = i;
	free(fill);
	free(first);
	free(last);
	return 0;
fail:
	free(first);
	free(last);
	return -1;
}

static void put_int(struct buf *out, long long n)
{
	char s[24], *p = s + sizeof s;
	unsigned long long u = n < 0 ? 0 - (unsigned long long)n : (unsigned long long)n;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (n < 0)
		*--p = '-';
	buf_add(out, p, (size_t)(s + sizeof s - p));
}

/* An item's label into out as cal_item_label writes it (its text as escaped HTML), with the
 * clock of a timed item from the day's start when one offset holds all day. */
static void item_label_html(struct buf *out, const struct cal_item *it, const char *tz,
    int64_t day_start, int same_offset)
{
	char clk[16] = "", text[600];
	const char *title = it->title[0] ? it->title : it->kind == CAL_EMAIL ? "(no subject)" :
	    "(no title)";
	if (it->kind == CAL_EMAIL || (it->detail && strlen(title) + 10 < sizeof text)) {
		if (it->kind != CAL_EMAIL) {
			if (it->all_day) {
				buf_puts(out, "All day");
			} else if (same_offset) {
				int64_t s = it->start_at - day_start;
				buf_puts(out, fmt_clock((int)(s / 3600), (int)(s / 60 % 60), clk, sizeof clk));
			} else {
				struct local_time lt;
				if (tz_from_utc(tz, it->start_at, &lt) == 0)
					buf_puts(out, fmt_clock(lt.hour, lt.min, clk, sizeof clk));
			}
			buf_add(out, " ", 1);
		}
		if (strlen(title) < sizeof text) {
			html_txt(out, title);
			return;
		}
	}
	cal_item_label(it, tz, text, sizeof text);   /* Busy, or a label cut at sizeof text */
	html_txt(out, text);
}

/* One grid cell's items: at most CAL_DAY_MAX, then "N Events" (N = all of the day's). qhref is
 * the day's link, already escaped. */
static void cell_items(struct buf *out, const struct cal_items *items, const struct grid_days *g,
    int d, const char *tz, const char *qhref, size_t qhref_len)
{
	int count = g->count[d];
	size_t n = count > CAL_DAY_MAX ? CAL_DAY_MAX : (size_t)count;
	for (size_t k = 0; k < n; k++) {
		const struct cal_item *it = &items->v[g->idx[g->at[d] + k]];
		if (it->kind == CAL_APPT && !it->detail) {
			buf_puts(out, "<span class=\"item busy\">");
			item_label_html(out, it, tz, g->bound[d], g->same[d]);
			buf_puts(out, "</span>");
			continue;
		}
		if (it->kind == CAL_EMAIL)
			buf_puts(out, "<a class=\"item email\" href=\"/messages/");
		else
			buf_puts(out, "<a class=\"item appt\" href=\"/appointments/");
		put_int(out, it->id);
		buf_add(out, "\">", 2);
		item_label_html(out, it, tz, g->bound[d], g->same[d]);
		buf_puts(out, "</a>");
	}
	if (count > CAL_DAY_MAX) {
		buf_puts(out, "<a class=\"more\" href=\"");
		buf_add(out, qhref, qhref_len);
		buf_add(out, "\">", 2);
		put_int(out, count);
		buf_puts(out, " Events</a>");
	}
}

int cal_grid_html(const struct cal_items *items, const char *tz, struct ymd start, int ndays,
    int month, const char *day_query, struct buf *out)
{
	struct grid_days g = { 0 };
	struct buf href = { 0 };
	struct ymd today = cal_today(tz);
	int64_t today_days = ymd_to_days(today), day0 = ymd_to_days(start);
	if (grid_days_of(items, tz, start, ndays, &g) != 0) {
		grid_days_free(&g);
		return -1;
	}
	buf_puts(&href, "/calendar/day?date=YYYY-MM-DD");
	html_attr(&href, day_query ? day_query : "");
	for (int d = 0; d < ndays && !href.oom; d++) {
		struct ymd day = ymd_add_days(start, d);
		char date[16];
		ymd_fmt(day, date, sizeof date);
		memcpy(href.s + 19, date, 10);
		if (d % 7 == 0)
			buf_puts(out, "<tr>");
		buf_puts(out, "<td data-date=\"");
		buf_add(out, date, 10);
		buf_puts(out, "\" class=\"");
		if (month && day.m != month)
			buf_puts(out, "other ");
		if (day0 + d == today_days)
			buf_puts(out, "today");
		buf_puts(out, "\"><a class=\"dnum\" href=\"");
		buf_add(out, href.s, href.len);
		buf_puts(out, "\"><span class=\"dshort\">");
		if (day.d == 1 || d == 0) {
			buf_puts(out, month_abbr(day.m));
			buf_add(out, " ", 1);
		}
		put_int(out, day.d);
		buf_puts(out, "</span><span class=\"dlong\">");
		buf_puts(out, weekday_abbr((int)((day0 + d + 4) % 7 + 7) % 7));
		buf_add(out, ", ", 2);
		buf_puts(out, month_abbr(day.m));
		buf_add(out, " ", 1);
		put_int(out, day.d);
		buf_puts(out, "</span></a>");
		cell_items(out, items, &g, d, tz, href.s, href.len);
		buf_puts(out, d % 7 == 6 ? "</td></tr>\n" : "</td>");
	}
	int oom = href.oom;
	buf_free(&href);
	grid_days_free(&g);
	return out->oom || oom ? -1 : 0;
}

/* Calendar grids shared by the month, day and account pages: local dates in the viewer's
 * zone, items placed on their day, "N Events" when a day holds more than fit. */
#ifndef WEB_CALENDAR_H
#define WEB_CALENDAR_H

#include "core/db_calendar.h"
#include "core/timeutil.h"
#include "web/web.h"

#define CAL_DAY_MAX 3   /* items shown in a grid cell before "N Events" */

/* The span of ndays local days from start in tz: the UTC instants where they begin and end, and
 * the dates themselves. Returns 0 or -1. */
int cal_span_of(const char *tz, struct ymd start, int ndays, struct cal_span *out);
/* Items in the order a day shows them: all-day ones first, then by start. */
void cal_items_day_order(struct cal_items *items);
/* Today's date in tz (falls back to UTC). */
struct ymd cal_today(const char *tz);
/* "YYYY-MM-DD" into out (size >= 11). */
char *ymd_fmt(struct ymd d, char *out, size_t size);

/* Label of an item as the grid shows it ("11:30 AM Title", "11:30 AM Busy", a subject) into
 * out, and its kind class ("appt", "email", "busy"). */
const char *cal_item_label(const struct cal_item *it, const char *tz, char *out, size_t size);

/* The rows of a grid of ndays (a multiple of 7) from start, as trusted HTML escaped here:
 * <tr> of <td data-date class="other today"> cells, each with its day link, at most
 * CAL_DAY_MAX items (a.item.appt, a.item.email, span.item.busy) and "N Events" (a.more) when
 * the day holds more. It is built in C rather than in ctpl because ctpl copies a list on every
 * access, which made the grid the cost of the whole page. month (1-12) marks days of other
 * months (0: none); day_query ("&user=3", URL-safe) goes on the day-list links.
 * Returns 0 or -1. */
int cal_grid_html(const struct cal_items *items, const char *tz, struct ymd start, int ndays,
    int month, const char *day_query, struct buf *out);

#endif

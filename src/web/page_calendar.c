/* User Calendar: a month grid (Sun..Sat) of a user's appointments and e-mail threads. */
#include <stdio.h>
#include <string.h>

#include "core/db_web.h"
#include "web/calendar.h"

/* The user picker: every user, the shown one selected. */
static struct vlist *user_options(struct ctx *c, int64_t owner_id)
{
	struct web_rows users = { 0 };
	struct vlist *l = vlist_new();
	if (db_web_users(c->db, &users) == 0) {
		for (size_t i = 0; i < users.n; i++) {
			struct vlist *r = vlist_row(l);
			vrow_int(r, (long)users.v[i].id);
			vrow_str(r, users.v[i].c[0]);
			vrow_int(r, users.v[i].id == owner_id);
			vrow_str(r, strcmp(users.v[i].c[2], "private") == 0 ? " (private)" : "");
		}
	}
	web_rows_free(&users);
	return l;
}

int page_calendar(struct ctx *c)
{
	const char *tz = c->user.time_zone;
	struct ymd today = cal_today(tz);
	int y = today.y, m = today.m;
	const char *month = q_get(c, "month");
	if (month)
		month_parse(month, &y, &m);
	int64_t owner_id = q_get(c, "user") ? parse_id(q_get(c, "user")) : c->user.id;
	struct user owner = { 0 };
	struct cal_items items = { 0 };
	struct view *v = NULL;
	int status = 500;
	int rc = db_users_get(c->db, owner_id, &owner);
	if (rc != 0) {
		status = rc == 1 ? 404 : 500;
		goto done;
	}
	int visible = db_calendar_visible(c->db, owner_id, c->user.id);
	struct ymd first = { y, m, 1 };
	int lead = weekday_of(first);
	int ndays = ((lead + days_in_month(y, m) + 6) / 7) * 7;
	struct ymd start = ymd_add_days(first, -lead);
	struct cal_span span;
	if (visible < 0 || cal_span_of(tz, start, ndays, &span) != 0 ||
	    db_calendar_items(c->db, CAL_USER, owner_id, c->user.id, &span, &items) != 0)
		goto done;
	cal_items_day_order(&items);
	char uq[40] = "";
	if (owner_id != c->user.id)
		snprintf(uq, sizeof uq, "&user=%lld", (long long)owner_id);
	struct buf grid = { 0 };
	if (cal_grid_html(&items, tz, start, ndays, m, uq, &grid) != 0 || !(v = view_new())) {
		buf_free(&grid);
		goto done;
	}
	char title[64], date[16];
	snprintf(title, sizeof title, "%s %d", month_name(m), y);
	view_str(v, "heading", title);
	int py = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	view_strf(v, "prev_href", "/calendar?month=%04d-%02d%s", py, pm, uq);
	view_strf(v, "next_href", "/calendar?month=%04d-%02d%s", ny, nm, uq);
	view_strf(v, "today_href", "/calendar?month=%04d-%02d%s", today.y, today.m, uq);
	view_strf(v, "month_value", "%04d-%02d", y, m);
	view_str(v, "new_href", "/appointments/new?date=");
	view_str(v, "today_date", ymd_fmt(today, date, sizeof date));
	view_int(v, "own", owner_id == c->user.id);
	view_str(v, "owner_name", owner.name);
	view_int(v, "busy_only", !visible);
	view_str(v, "csrf", c->csrf);
	view_list(v, "users", user_options(c, owner_id));
	view_html(v, "grid_html", grid.s ? grid.s : "");
	buf_free(&grid);
	status = page_render(c, "calendar", title, v, 200);
done:
	view_free(v);
	cal_items_free(&items);
	user_free(&owner);
	return status;
}

/* Day event list: every item of one day (kind, time, title or subject, user) of a user's or
 * an account's calendar. */
#include <stdio.h>
#include <string.h>

#include "core/db_web.h"
#include "core/models.h"
#include "web/calendar.h"

int page_day(struct ctx *c)
{
	const char *tz = c->user.time_zone;
	struct ymd day = cal_today(tz);
	if (q_get(c, "date"))
		date_parse(q_get(c, "date"), &day);
	const char *acct = q_get(c, "account");
	int64_t owner_id = q_get(c, "user") ? parse_id(q_get(c, "user")) : c->user.id;
	struct cal_items items = { 0 };
	struct account a = { 0 };
	struct user owner = { 0 };
	struct view *v = NULL;
	int status = 500, rc;
	char heading[200], date[16], back[160];
	struct cal_span span;
	if (cal_span_of(tz, day, 1, &span) != 0)
		goto done;
	struct local_time lt = { day.y, day.m, day.d, 0, 0, weekday_of(day) };
	char longdate[80];
	fmt_long_date(&lt, longdate, sizeof longdate);
	ymd_fmt(day, date, sizeof date);
	if (acct) {
		if ((rc = db_accounts_get_by_number(c->db, acct, &a)) != 0) {
			status = rc == 1 ? 404 : 500;
			goto done;
		}
		if (db_calendar_items(c->db, CAL_ACCOUNT, a.id, c->user.id, &span, &items) != 0)
			goto done;
		snprintf(heading, sizeof heading, "%s %s", a.number, a.name);
		snprintf(back, sizeof back, "/accounts/%s/calendar?week=%s", a.number, date);
	} else {
		if ((rc = db_users_get(c->db, owner_id, &owner)) != 0) {
			status = rc == 1 ? 404 : 500;
			goto done;
		}
		if (db_calendar_items(c->db, CAL_USER, owner_id, c->user.id, &span, &items) != 0)
			goto done;
		snprintf(heading, sizeof heading, "%s", owner.name);
		snprintf(back, sizeof back, "/calendar?month=%04d-%02d%s", day.y, day.m, "");
		if (owner_id != c->user.id)
			snprintf(back + strlen(back), sizeof back - strlen(back), "&user=%lld",
			    (long long)owner_id);
	}
	cal_items_day_order(&items);
	struct vlist *rows = vlist_new();
	for (size_t i = 0; i < items.n; i++) {
		const struct cal_item *it = &items.v[i];
		struct local_time t;
		char clk[16] = "", text[600];
		const char *kind = cal_item_label(it, tz, text, sizeof text);
		if (it->all_day)
			snprintf(clk, sizeof clk, "All day");
		else if (tz_from_utc(tz, it->start_at, &t) == 0)
			fmt_clock(t.hour, t.min, clk, sizeof clk);
		struct vlist *r = vlist_row(rows);
		vrow_str(r, kind);
		vrow_str(r, it->kind == CAL_EMAIL ? "Email" : it->detail ? "Appointment" : "Busy");
		vrow_str(r, clk);
		vrow_strf(r, "%s/%lld", it->kind == CAL_EMAIL ? "/messages" : "/appointments",
		    (long long)it->id);
		vrow_str(r, it->kind == CAL_EMAIL ? text : it->detail ? it->title : "Busy");
		vrow_str(r, it->user_name);
	}
	if (!(v = view_new())) {
		vlist_free(rows);
		goto done;
	}
	view_str(v, "heading", heading);
	view_str(v, "date_long", longdate);
	view_str(v, "back_href", back);
	view_int(v, "count", (long)items.n);
	view_list(v, "rows", rows);
	status = page_render(c, "day", longdate, v, 200);
done:
	view_free(v);
	cal_items_free(&items);
	account_free(&a);
	user_free(&owner);
	return status;
}

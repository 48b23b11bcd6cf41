/* Account Calendar: the account header (as in the CRM's account screens) above four weeks of
 * every user's e-mails and appointments with the account's contacts. */
#include <stdio.h>
#include <string.h>

#include "core/db_web.h"
#include "core/models.h"
#include "web/calendar.h"

#define ACCOUNT_WEEKS 4

static void money(char *out, size_t size, int64_t cents)
{
	snprintf(out, size, "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)(cents < 0 ? -cents : cents) / 100,
	    (long long)(cents < 0 ? -cents : cents) % 100);
}

static void account_header(struct view *v, const struct account *a)
{
	char city[200];
	view_str(v, "number", a->number);
	view_str(v, "name", a->name);
	view_str(v, "address1", a->address1);
	view_str(v, "address2", a->address2);
	snprintf(city, sizeof city, "%s%s%s %s", a->city, a->city[0] && a->state[0] ? ", " : "",
	    a->state, a->zip);
	view_str(v, "city_line", city);
	view_str(v, "status", a->status);
	view_str(v, "status_class", strcmp(a->status, "Active") == 0 ? "active" : "inactive");
	view_str(v, "division", a->division);
	view_str(v, "manager", a->account_manager);
	view_str(v, "class", a->class_);
	view_str(v, "bill_group", a->bill_group);
	view_strf(v, "billing", "%s - %s Billed Thru Date %s", a->billing_mode, a->billing_cycle,
	    a->billed_thru && *a->billed_thru ? a->billed_thru : "None");
	struct vlist *aging = vlist_new(), *row = vlist_row(aging);
	int64_t total = 0;
	char m[32];
	for (int i = 0; i < 6; i++) {
		money(m, sizeof m, a->aging[i]);
		vrow_str(row, m);
		total += a->aging[i];
	}
	money(m, sizeof m, total);
	vrow_str(row, m);
	view_list(v, "aging", aging);
}

int page_account_calendar(struct ctx *c)
{
	const char *tz = c->user.time_zone;
	struct account a = { 0 };
	struct cal_items items = { 0 };
	struct web_rows contacts = { 0 };
	struct view *v = NULL;
	int status = 500, rc;
	if ((rc = db_accounts_get_by_number(c->db, c->arg, &a)) != 0)
		return rc == 1 ? 404 : 500;
	struct ymd today = cal_today(tz), week = today;
	if (q_get(c, "week"))
		date_parse(q_get(c, "week"), &week);
	struct ymd start = ymd_add_days(week, -weekday_of(week));
	int ndays = ACCOUNT_WEEKS * 7;
	struct cal_span span;
	if (cal_span_of(tz, start, ndays, &span) != 0 ||
	    db_calendar_items(c->db, CAL_ACCOUNT, a.id, c->user.id, &span, &items) != 0 ||
	    db_web_account_contacts(c->db, a.id, &contacts) != 0)
		goto done;
	cal_items_day_order(&items);
	char aq[64], d1[16], d2[16], d3[16], heading[80];
	snprintf(aq, sizeof aq, "&account=%s", a.number);
	struct buf grid = { 0 };
	if (cal_grid_html(&items, tz, start, ndays, 0, aq, &grid) != 0 || !(v = view_new())) {
		buf_free(&grid);
		goto done;
	}
	account_header(v, &a);
	struct ymd last = ymd_add_days(start, ndays - 1);
	snprintf(heading, sizeof heading, "%s %d – %s %d, %d", month_abbr(start.m), start.d,
	    month_abbr(last.m), last.d, last.y);
	view_str(v, "range", heading);
	view_strf(v, "prev_href", "/accounts/%s/calendar?week=%s", a.number,
	    ymd_fmt(ymd_add_days(start, -ndays), d1, sizeof d1));
	view_strf(v, "next_href", "/accounts/%s/calendar?week=%s", a.number,
	    ymd_fmt(ymd_add_days(start, ndays), d2, sizeof d2));
	view_strf(v, "today_href", "/accounts/%s/calendar?week=%s", a.number,
	    ymd_fmt(today, d3, sizeof d3));
	view_strf(v, "new_href", "/appointments/new?account=%s&date=%s", a.number, d3);
	struct vlist *cl = vlist_new();
	for (size_t i = 0; i < contacts.n; i++) {
		struct vlist *r = vlist_row(cl);
		vrow_int(r, (long)contacts.v[i].id);
		for (int k = 0; k < 3; k++)
			vrow_str(r, contacts.v[i].c[k]);
	}
	view_list(v, "contacts", cl);
	view_html(v, "grid_html", grid.s ? grid.s : "");
	buf_free(&grid);
	char title[200];
	snprintf(title, sizeof title, "%s %s", a.number, a.name);
	status = page_render(c, "account_calendar", title, v, 200);
done:
	view_free(v);
	web_rows_free(&contacts);
	cal_items_free(&items);
	account_free(&a);
	return status;
}

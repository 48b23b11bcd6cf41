/* Contact activities: every e-mail and appointment with a contact, newest first, each with an
 * editable Regarding (the account, or a free reference such as a work ticket number). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/db_calendar.h"
#include "core/db_rematch.h"
#include "core/db_web.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "web/web.h"

/* How long "N earlier items were added" stays on the page after a re-match (a GET never
 * writes, so the notice is not marked as seen: it goes by age). */
#define REMATCH_NOTICE_S (7 * 86400)
#define ALL_TIME_FROM (-((int64_t)1 << 40))
#define ALL_TIME_TO ((int64_t)1 << 40)
static const struct cal_span all_time = { ALL_TIME_FROM, ALL_TIME_TO, ALL_TIME_FROM, ALL_TIME_TO };

/* 1 if the user may change the Regarding of the item: an admin, or the owner of a copy of it
 * (a message of the thread in their mailbox, the appointment on their calendar); 0 if not,
 * -1 on error. */
static int may_set_regarding(struct ctx *c, const struct cal_item *it)
{
	if (strcmp(c->user.role, "admin") == 0)
		return 1;
	if (it->kind == CAL_EMAIL)
		return db_web_thread_held(c->db, it->thread_id, c->user.id);
	int access = db_web_appt_access(c->db, it->id, c->user.id);
	return access < 0 ? -1 : access == ACCESS_EDIT;
}

/* Save one Regarding. Returns an HTTP status (303 on success). */
static int save_regarding(struct ctx *c, int64_t contact_id)
{
	const char *kind = f_get(c, "kind"), *text = f_get(c, "regarding");
	int64_t item = parse_id(f_get(c, "item"));
	if (!kind || !item || !text)
		return page_error(c, 400, "Choose an item and enter what it is regarding.");
	if (f_invalid(c, "regarding"))
		return page_error(c, 400, "Regarding: up to 200 characters of plain text.");
	/* Only items this page would show may be changed. */
	struct cal_items items = { 0 };
	int found = 0, rc = -1, may = 0;
	int64_t thread_id = 0;
	if (db_calendar_items(c->db, CAL_CONTACT, contact_id, c->user.id, &all_time,
	    &items) != 0)
		return 500;
	for (size_t i = 0; i < items.n && !found; i++) {
		const struct cal_item *it = &items.v[i];
		if (it->detail && it->id == item &&
		    (it->kind == CAL_EMAIL) == (strcmp(kind, "email") == 0)) {
			found = 1;
			thread_id = it->thread_id;
			may = may_set_regarding(c, it);
		}
	}
	cal_items_free(&items);
	if (may < 0)
		return 500;
	if (!found)
		return 403;
	if (!may) {
		log_info("contact %lld: refused a Regarding change of %s %lld by user %lld",
		    (long long)contact_id, kind, (long long)item, (long long)c->user.id);
		return page_error(c, 403, "Only the owner of this item can change what it is regarding.");
	}
	if (strcmp(kind, "email") == 0)
		rc = db_web_thread_set_regarding(c->db, thread_id, text);
	else
		rc = db_web_appt_set_regarding(c->db, item, text);
	if (rc != 0)
		return 500;
	char url[64];
	snprintf(url, sizeof url, "/contacts/%lld/activities", (long long)contact_id);
	return resp_redirect(c->resp, url);
}

int page_activities(struct ctx *c)
{
	int64_t id = parse_id(c->arg);
	struct web_row contact;
	struct cal_items items = { 0 };
	struct view *v = NULL;
	int status = 500;
	if (!id)
		return 404;
	int rc = db_web_contact_get(c->db, id, &contact);
	if (rc != 0)
		return rc == 1 ? 404 : 500;
	if (strcmp(c->req->method, "POST") == 0) {
		status = save_regarding(c, id);
		goto done;
	}
	if (db_calendar_items(c->db, CAL_CONTACT, id, c->user.id, &all_time,
	    &items) != 0 || !(v = view_new()))
		goto done;
	struct vlist *l = vlist_new();
	for (size_t i = items.n; i-- > 0;) {
		const struct cal_item *it = &items.v[i];
		struct local_time lt = { 0 };
		char when[80] = "";
		if (!it->detail)
			continue;
		char date[64];
		if (tz_item_local(c->user.time_zone, it->start_at, it->all_day, &lt) == 0 && it->all_day)
			snprintf(when, sizeof when, "%s All day", fmt_long_date(&lt, date, sizeof date));
		else if (lt.y)
			fmt_long_datetime(&lt, when, sizeof when);
		struct vlist *r = vlist_row(l);
		int email = it->kind == CAL_EMAIL;
		vrow_str(r, email ? "email" : "appt");
		vrow_str(r, email ? "Email" : "Appointment");
		vrow_str(r, when);
		vrow_strf(r, "%s/%lld", email ? "/messages" : "/appointments", (long long)it->id);
		vrow_str(r, it->title[0] ? it->title : email ? "(no subject)" : "(no title)");
		vrow_str(r, it->user_name);
		vrow_int(r, (long)it->id);
		vrow_str(r, it->regarding);
		int may = may_set_regarding(c, it);
		if (may < 0) {
			vlist_free(l);
			goto done;
		}
		vrow_int(r, may);
	}
	int64_t earlier = 0, earlier_at = 0;
	if (db_rematch_notice(c->db, id, (int64_t)time(NULL) - REMATCH_NOTICE_S, &earlier,
	    &earlier_at) != 0)
		goto done;
	if (earlier > 0)
		view_strf(v, "rematched", "%lld earlier item%s %s added for this contact",
		    (long long)earlier, earlier == 1 ? "" : "s", earlier == 1 ? "was" : "were");
	else
		view_str(v, "rematched", "");
	view_int(v, "count", (long)vlist_len(l));
	view_list(v, "rows", l);
	view_int(v, "contact_id", (long)id);
	view_str(v, "name", contact.c[0]);
	view_str(v, "emails", contact.c[1]);
	view_str(v, "phone", contact.c[2]);
	view_str(v, "acct_number", contact.c[3]);
	view_str(v, "acct_name", contact.c[4]);
	view_str(v, "csrf", c->csrf);
	status = page_render(c, "activities", contact.c[0], v, 200);
done:
	view_free(v);
	cal_items_free(&items);
	web_row_free(&contact);
	return status;
}

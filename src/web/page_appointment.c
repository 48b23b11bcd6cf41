/* Edit Appointment: show one appointment and save it. For imported ones the provider's fields
 * (time, title, location, attendees, type) are read-only and a post that changes them is
 * refused; note, completion note and complete are the CRM's and always editable. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "web/appt_form.h"
#include "web/outbox_view.h"

/* 1 if the posted provider fields of an imported appointment differ from the stored ones
 * (absent fields count as unchanged). */
static int provider_fields_changed(const struct ctx *c, const struct appt_view *a)
{
	const char *date = f_get(c, "date"), *time = f_get(c, "time"), *dur = f_get(c, "duration");
	const char *loc = f_get(c, "location"), *title = f_get(c, "title"), *type = f_get(c, "type");
	if ((loc && strcmp(loc, a->location) != 0) || (title && strcmp(title, a->title) != 0) ||
	    (type && strcmp(type, a->type) != 0))
		return 1;
	struct local_time lt;
	if (tz_item_local(c->user.time_zone, a->start_at, a->all_day, &lt) != 0)
		return 1;
	struct ymd d;
	int h, m, minutes;
	if (date && (date_parse(date, &d) != 0 || d.y != lt.y || d.m != lt.m || d.d != lt.d))
		return 1;
	if (time && (clock_parse(time, &h, &m) != 0 || h != lt.hour || m != lt.min))
		return 1;
	if (dur && (duration_parse(dur, &minutes) != 0 || minutes != a->duration_min))
		return 1;
	return 0;
}

static int show_form(struct ctx *c, const struct appt_view *a, int access,
    const struct appt_input *in, int status)
{
	struct web_rows att = { 0 };
	struct view *v = view_new();
	int st = 500;
	if (!v || db_web_appt_attendees(c->db, a->id, &att) != 0)
		goto done;
	struct local_time lt;
	char when[80] = "";
	if (tz_item_local(c->user.time_zone, a->start_at, a->all_day, &lt) == 0)
		fmt_appointment_time(&lt, a->duration_min, a->all_day, when, sizeof when);
	appt_form_view(c, v, a, NULL, in != NULL);
	view_int(v, "id", (long)a->id);
	view_int(v, "imported", a->imported);
	view_int(v, "can_edit", access == ACCESS_EDIT);
	view_str(v, "appt_time", when);
	view_str(v, "assigned", a->assigned_name[0] ? a->assigned_name : "Nobody");
	view_str(v, "acct_number", a->acct_number);
	view_str(v, "acct_name", a->acct_name);
	view_str(v, "acct_address1", a->acct_address1);
	view_str(v, "acct_city_line", a->acct_number[0] ? a->acct_city_line : "");
	view_int(v, "saved", q_get(c, "saved") != NULL && in == NULL);
	/* where the CRM's copy stands in the external calendar (push_state, push_text, push_retry) */
	struct outbox_label ol;
	if (outbox_label_for_appointment(c, a->id, &ol) != 0)
		goto done;
	outbox_label_view(v, &ol);
	struct vlist *errs = vlist_new();
	for (int i = 0; in && i < in->n_errors; i++)
		vrow_str(vlist_row(errs), in->errors[i]);
	view_list(v, "errors", errs);
	struct vlist *al = vlist_new();
	for (size_t i = 0; i < att.n; i++) {
		struct vlist *r = vlist_row(al);
		for (int k = 0; k < 3; k++)
			vrow_str(r, att.v[i].c[k]);
	}
	view_list(v, "attendees", al);
	st = page_render(c, "appointment", a->title[0] ? a->title : "Edit Appointment", v, status);
done:
	view_free(v);
	web_rows_free(&att);
	return st;
}

static int save(struct ctx *c, const struct appt_view *a, int access)
{
	struct appt_input in;
	if (access != ACCESS_EDIT)
		return page_error(c, 403, "Only the people whose calendar holds this appointment can change it.");
	if (a->imported && provider_fields_changed(c, a)) {
		log_info("appointment %lld: refused a change of provider-owned fields by user %lld",
		    (long long)a->id, (long long)c->user.id);
		return page_error(c, 403, "Time, title, location and attendees of an imported "
		    "appointment belong to the external calendar and cannot be changed here.");
	}
	if (appt_form_read(c, !a->imported, &in) > 0)
		return show_form(c, a, access, &in, 400);
	if (db_begin(c->db) != 0)
		return 500;
	if (db_web_appt_set_crm_fields(c->db, a->id, in.note, in.completion_note, in.complete) != 0 ||
	    (!a->imported && db_web_appt_set_fields(c->db, a->id, in.start_at, in.duration_min,
	    c->user.time_zone, in.location, in.title, in.type) != 0) || db_commit(c->db) != 0) {
		db_rollback(c->db);
		return 500;
	}
	char url[64];
	snprintf(url, sizeof url, "/appointments/%lld?saved=1", (long long)a->id);
	return resp_redirect(c->resp, url);
}

int page_appointment(struct ctx *c)
{
	int64_t id = parse_id(c->arg);
	struct appt_view a;
	if (!id)
		return 404;
	int rc = db_web_appt_get(c->db, id, &a);
	if (rc != 0)
		return rc == 1 ? 404 : 500;
	int access = db_web_appt_access(c->db, id, c->user.id), status;
	if (access < 0)
		status = 500;
	else if (access == ACCESS_NONE)
		status = 403;
	else if (strcmp(c->req->method, "POST") == 0)
		status = save(c, &a, access);
	else
		status = show_form(c, &a, access, NULL, 200);
	appt_view_free(&a);
	return status;
}

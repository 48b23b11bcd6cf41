/* New appointment: the form (GET /appointments/new?date=...[&account=N]) and creating it
 * (POST /appointments), saved in the CRM and queued for the user's external calendar with the
 * chosen contacts invited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/appointments.h"
#include "core/log.h"
#include "core/models.h"
#include "web/appt_form.h"
#include "web/calendar.h"

#define NEW_CONTACTS_MAX 50

/* 1 if contact id was ticked in the posted form. */
static int contact_ticked(const struct ctx *c, int64_t id)
{
	for (size_t i = 0; i < c->req->form.n; i++)
		if (strcmp(c->req->form.v[i].key, "contact") == 0 &&
		    parse_id(c->req->form.v[i].val) == id)
			return 1;
	return 0;
}

static int show_new(struct ctx *c, const struct account *a, const struct appt_input *in,
    int status)
{
	struct web_rows contacts = { 0 };
	struct view *v = view_new();
	int st = 500;
	if (!v || (a->id && db_web_account_contacts(c->db, a->id, &contacts) != 0))
		goto done;
	char today[16];
	const char *day = q_get(c, "date") ? q_get(c, "date") : ymd_fmt(cal_today(c->user.time_zone),
	    today, sizeof today);
	appt_form_view(c, v, NULL, day, in != NULL);
	view_str(v, "acct_number", a->id ? a->number : "");
	view_str(v, "acct_name", a->id ? a->name : "");
	view_str(v, "assigned", c->user.name);
	struct vlist *errs = vlist_new();
	for (int i = 0; in && i < in->n_errors; i++)
		vrow_str(vlist_row(errs), in->errors[i]);
	view_list(v, "errors", errs);
	struct vlist *cl = vlist_new();
	for (size_t i = 0; i < contacts.n; i++) {
		struct vlist *r = vlist_row(cl);
		vrow_int(r, (long)contacts.v[i].id);
		vrow_str(r, contacts.v[i].c[0]);
		vrow_str(r, contacts.v[i].c[1]);
		vrow_int(r, in ? contact_ticked(c, contacts.v[i].id) : contacts.n == 1);
	}
	view_list(v, "contacts", cl);
	st = page_render(c, "appointment_new", "New appointment", v, status);
done:
	view_free(v);
	web_rows_free(&contacts);
	return st;
}

static int create(struct ctx *c, const struct account *a)
{
	struct appt_input in;
	struct web_rows contacts = { 0 };
	int64_t ids[NEW_CONTACTS_MAX], id;
	size_t n = 0;
	appt_form_read(c, 1, &in);
	if (a->id && db_web_account_contacts(c->db, a->id, &contacts) != 0)
		return 500;
	for (size_t i = 0; i < contacts.n && n < NEW_CONTACTS_MAX; i++)
		if (contact_ticked(c, contacts.v[i].id))
			ids[n++] = contacts.v[i].id;
	web_rows_free(&contacts);
	if (in.n_errors)
		return show_new(c, a, &in, 400);
	struct appt_new na = { .assigned_user_id = c->user.id, .account_id = a->id, .type = in.type,
		.start_at = in.start_at, .duration_min = in.duration_min,
		.time_zone = c->user.time_zone, .location = in.location, .title = in.title,
		.note = in.note, .contact_ids = ids, .n_contacts = n };
	if (db_begin(c->db) != 0)
		return 500;
	if (db_appointments_create_crm(c->db, &na, &id) != 0 ||
	    db_web_appt_set_crm_fields(c->db, id, in.note, in.completion_note, in.complete) != 0 ||
	    db_web_outbox_event(c->db, id, "event_create") != 0 || db_commit(c->db) != 0) {
		db_rollback(c->db);
		return 500;
	}
	log_info("appointment %lld created by user %lld", (long long)id, (long long)c->user.id);
	char url[48];
	snprintf(url, sizeof url, "/appointments/%lld", (long long)id);
	return resp_redirect(c->resp, url);
}

int page_appointment_new(struct ctx *c)
{
	int post = strcmp(c->req->method, "POST") == 0;
	const char *number = post ? f_get(c, "account") : q_get(c, "account");
	struct account a = { 0 };
	if (number && *number) {
		int rc = db_accounts_get_by_number(c->db, number, &a);
		if (rc != 0)
			return rc == 1 ? 404 : 500;
	}
	int status = post ? create(c, &a) : show_new(c, &a, NULL, 200);
	account_free(&a);
	return status;
}

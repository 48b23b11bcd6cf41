/* Unmatched: messages the user dragged into the CRM folder that matched no contact
 * (GET /unmatched), each assigned to a contact (POST /unmatched/{id}/assign, field contact) or
 * discarded (POST /unmatched/{id}/discard). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/db_unmatched.h"
#include "core/db_web.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "web/web.h"

#define UNMATCHED_SHOWN 200
#define CONTACTS_OFFERED 2000

static int show(struct ctx *c)
{
	struct unmatched_list l = { 0 };
	struct web_rows contacts = { 0 };
	struct view *v = view_new();
	int st = 500;
	if (!v || db_unmatched_list(c->db, c->user.id, UNMATCHED_SHOWN, &l) != 0 ||
	    (l.n && db_unmatched_contacts(c->db, CONTACTS_OFFERED, &contacts) != 0))
		goto done;
	struct vlist *rows = vlist_new();
	for (size_t i = 0; i < l.n; i++) {
		const struct unmatched *u = &l.v[i];
		struct local_time lt;
		char when[80] = "";
		if (u->sent_at && tz_from_utc(c->user.time_zone, u->sent_at, &lt) == 0)
			fmt_long_datetime(&lt, when, sizeof when);
		struct vlist *r = vlist_row(rows);
		vrow_int(r, (long)u->id);
		vrow_str(r, when);
		char *from = addr_format(u->from_name, u->from_email);
		vrow_str(r, from ? from : u->from_email);
		free(from);
		vrow_str(r, u->subject[0] ? u->subject : "(no subject)");
		vrow_str(r, u->preview);
		vrow_str(r, u->to_list);
	}
	view_list(v, "items", rows);
	view_str(v, "csrf", c->csrf);
	view_int(v, "count", (long)l.n);
	struct vlist *cl = vlist_new();
	for (size_t i = 0; i < contacts.n; i++) {
		struct vlist *r = vlist_row(cl);
		vrow_int(r, (long)contacts.v[i].id);
		vrow_str(r, contacts.v[i].c[0]);
		vrow_str(r, contacts.v[i].c[1]);
		vrow_str(r, contacts.v[i].c[2]);
	}
	view_list(v, "contacts", cl);
	const char *result = q_get(c, "result");
	view_str(v, "notice", !result ? "" : strcmp(result, "assigned") == 0 ?
	    "Assigned: the message now shows in the contact's activities." :
	    strcmp(result, "discarded") == 0 ? "Discarded." : "");
	st = page_render(c, "unmatched", "Unmatched messages", v, 200);
done:
	view_free(v);
	unmatched_list_free(&l);
	web_rows_free(&contacts);
	return st;
}

int page_unmatched(struct ctx *c)
{
	return show(c);
}

int page_unmatched_assign(struct ctx *c)
{
	int64_t id = parse_id(c->arg), contact = parse_id(f_get(c, "contact")), msg = 0;
	if (!id)
		return 404;
	if (!contact)
		return page_error(c, 400, "Pick the contact the message belongs to.");
	if (db_begin(c->db) != 0)
		return 500;
	int rc = db_unmatched_assign(c->db, id, c->user.id, contact, &msg);
	if (rc != 0 || db_commit(c->db) != 0) {
		db_rollback(c->db);
		return rc == 1 ? page_error(c, 404, "That message or contact is gone (already assigned "
		    "or discarded?).") : 500;
	}
	log_info("unmatched %lld: assigned by user %lld to contact %lld (message %lld)",
	    (long long)id, (long long)c->user.id, (long long)contact, (long long)msg);
	return resp_redirect(c->resp, "/unmatched?result=assigned");
}

int page_unmatched_discard(struct ctx *c)
{
	int64_t id = parse_id(c->arg);
	if (!id)
		return 404;
	int rc = db_unmatched_discard(c->db, id, c->user.id);
	if (rc < 0)
		return 500;
	if (rc == 1)
		return page_error(c, 404, "That message is gone (already assigned or discarded?).");
	log_info("unmatched %lld: discarded by user %lld", (long long)id, (long long)c->user.id);
	return resp_redirect(c->resp, "/unmatched?result=discarded");
}

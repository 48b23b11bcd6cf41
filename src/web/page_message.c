/* Notification message: an e-mail thread (Type, Subject, Direction, From, Sent to) with every
 * message's From, Sent, To, Subject, text body and attachments. ?partial=1 gives the fragment the
 * calendar's dialog shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/attach.h"
#include "core/db_attach.h"
#include "core/db_calendar.h"
#include "core/db_web.h"
#include "core/timeutil.h"
#include "web/outbox_view.h"
#include "web/web.h"

/* The sender as the one address formatter writes it (a name with a comma quoted). */
static void who(char *out, size_t size, const char *name, const char *email)
{
	char *s = email[0] ? addr_format(name, email) : NULL;
	snprintf(out, size, "%s", s ? s : name);
	free(s);
}

/* The attachments of message msg_id as rows of l: [0] message id, [1] name, [2] type, [3]
 * size, [4] download URL ("" when not stored), [5] why not stored, [6] an image shown inline.
 * Returns how many, or -1. */
static long attachment_rows(struct ctx *c, int64_t msg_id, struct vlist *l)
{
	struct attach_rows rows;
	if (db_attach_list(c->db, msg_id, &rows) != 0)
		return -1;
	for (size_t i = 0; i < rows.n; i++) {
		const struct attach_row *a = &rows.v[i];
		int stored = strcmp(a->state, "stored") == 0 && a->blob;
		char size[40];
		attach_fmt_size((size_t)a->size, size, sizeof size);
		struct vlist *r = vlist_row(l);
		vrow_int(r, (long)msg_id);
		vrow_str(r, a->name);
		vrow_str(r, a->media_type);
		vrow_str(r, size);
		if (stored)
			vrow_strf(r, "/attachments/%lld", (long long)a->id);
		else
			vrow_str(r, "");
		vrow_str(r, stored ? "" : strcmp(a->state, "too_large") == 0 ?
		    "not stored (too large)" : "not stored (could not be decoded)");
		vrow_int(r, stored && attach_inline_ok(a->media_type));
	}
	long n = (long)rows.n;
	attach_rows_free(&rows);
	return n;
}

int page_message(struct ctx *c)
{
	int64_t id = parse_id(c->arg), thread_id;
	struct thread_msgs msgs = { 0 };
	struct view *v = NULL;
	int status = 500, rc;
	if (!id)
		return 404;
	if ((rc = db_web_msg_thread_of(c->db, id, &thread_id)) != 0)
		return rc == 1 ? 404 : 500;
	/* the opened message itself must be one the viewer sees, not just one of its thread */
	if ((rc = db_msg_visible(c->db, id, c->user.id)) != 1)
		return rc == 0 ? 403 : 500;
	if (db_web_thread_messages(c->db, thread_id, c->user.id, &msgs) != 0 || msgs.n == 0)
		goto done;
	/* The head describes the message that was opened (the calendar opens the first). */
	const struct msg_view *head = &msgs.v[0];
	for (size_t i = 0; i < msgs.n; i++)
		if (msgs.v[i].id == id)
			head = &msgs.v[i];
	if (!(v = view_new()))
		goto done;
	char from[600];
	who(from, sizeof from, head->from_name, head->from_email);
	view_str(v, "subject", head->subject[0] ? head->subject : "(no subject)");
	view_str(v, "direction", strcmp(head->direction, "sent") == 0 ? "Sent" : "Received");
	view_str(v, "from", from);
	view_str(v, "to", head->to_list);
	struct vlist *l = vlist_new(), *att = vlist_new();
	for (size_t i = 0; i < msgs.n; i++) {
		const struct msg_view *m = &msgs.v[i];
		struct local_time lt;
		char sent[80] = "";
		if (tz_from_utc(c->user.time_zone, m->sent_at, &lt) == 0)
			fmt_long_datetime(&lt, sent, sizeof sent);
		who(from, sizeof from, m->from_name, m->from_email);
		struct vlist *r = vlist_row(l);
		vrow_str(r, from);
		vrow_str(r, sent);
		vrow_str(r, m->to_list);
		vrow_str(r, m->cc_list);
		vrow_str(r, m->subject);
		vrow_str(r, m->body_text);
		vrow_int(r, m->id == id);
		/* a mail sent from the CRM: its send state (m[7] class, m[8] text, m[9] retry id) */
		struct outbox_label ol;
		if (outbox_label_for_message(c, m->id, &ol) != 0) {
			vlist_free(l);
			vlist_free(att);
			goto done;
		}
		vrow_str(r, ol.cls);
		vrow_str(r, ol.text);
		vrow_int(r, (long)ol.retry_id);
		/* its attachments (m[10] its id, m[11] how many; listed from "attachments") */
		long n_att = attachment_rows(c, m->id, att);
		if (n_att < 0) {
			vlist_free(l);
			vlist_free(att);
			goto done;
		}
		vrow_int(r, (long)m->id);
		vrow_int(r, n_att);
	}
	view_int(v, "reply_id", (long)id);
	view_str(v, "csrf", c->csrf);
	view_list(v, "messages", l);
	view_list(v, "attachments", att);
	status = page_render(c, "message", head->subject[0] ? head->subject : "Message", v, 200);
done:
	view_free(v);
	thread_msgs_free(&msgs);
	return status;
}

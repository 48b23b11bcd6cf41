/* Mail written in the CRM: reply source, storing a sent mail as a Sent activity, outbox owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_sync.h"
#include "core/db_web_mail.h"
#include "core/log.h"

static const char SQL_REPLY_SRC[] =
    "SELECT m.id, m.thread_id, m.sent_at, m.message_id, m.refs, m.subject, m.from_name,"
    " m.from_email, m.to_list, m.cc_list, m.body_text, coalesce((SELECT direction FROM"
    " message_users WHERE message_id = m.id ORDER BY user_id = ?2 DESC LIMIT 1), 'received')"
    " FROM messages m WHERE m.id = ?1";
static const char SQL_OUTBOX_ITEM[] =
    "SELECT user_id, coalesce(appointment_id, 0), coalesce(message_id, 0) FROM outbox"
    " WHERE id = ?";
static const char SQL_OUTBOX_PROVIDER[] =
    "SELECT coalesce((SELECT l.provider FROM links l WHERE l.id = o.link_id),"
    " (SELECT l.provider FROM links l WHERE l.user_id = o.user_id AND l.status != 'unlinked'"
    "  ORDER BY l.id DESC LIMIT 1), '') FROM outbox o WHERE o.id = ?";

void reply_src_free(struct reply_src *r)
{
	free(r->message_id);
	free(r->refs);
	free(r->subject);
	free(r->from_name);
	free(r->from_email);
	free(r->to_list);
	free(r->cc_list);
	free(r->body_text);
	free(r->direction);
	memset(r, 0, sizeof *r);
}

static char *col(struct db_stmt *st, int i)
{
	char *s = db_col_strdup(st, i);
	return s ? s : strdup("");
}

int db_web_mail_reply_src(struct db *db, int64_t msg_id, int64_t viewer_id, struct reply_src *r)
{
	memset(r, 0, sizeof *r);
	struct db_stmt *st = db_stmt(db, SQL_REPLY_SRC);
	if (!st)
		return -1;
	db_bind_int64(st, 1, msg_id);
	db_bind_int64(st, 2, viewer_id);
	int rc = db_step(st), ret = -1;
	if (rc == DB_DONE) {
		ret = 1;
	} else if (rc == DB_ROW) {
		r->id = db_col_int64(st, 0);
		r->thread_id = db_col_int64(st, 1);
		r->sent_at = db_col_int64(st, 2);
		r->message_id = col(st, 3);
		r->refs = col(st, 4);
		r->subject = col(st, 5);
		r->from_name = col(st, 6);
		r->from_email = col(st, 7);
		r->to_list = col(st, 8);
		r->cc_list = col(st, 9);
		r->body_text = col(st, 10);
		r->direction = col(st, 11);
		ret = r->message_id && r->refs && r->subject && r->from_name && r->from_email &&
		    r->to_list && r->cc_list && r->body_text && r->direction ? 0 : -1;
		if (ret)
			reply_src_free(r);
	} else {
		log_warnx("db: message %lld: %s", (long long)msg_id, db_errmsg(db));
	}
	db_reset(st);
	return ret;
}

int db_web_mail_store_sent(struct db *db, const struct sent_mail *m, int64_t *msg_id)
{
	struct id_list contacts = { 0 };
	int rc = -1;
	int64_t thread = m->thread_id;
	if (thread) {
		if (db_sync_thread_touch(db, thread, m->sent_at) != 0)
			return -1;
	} else if ((thread = db_sync_thread_add(db, m->subject ? m->subject : "", m->sent_at)) < 0) {
		return -1;
	}
	struct sync_msg row = {
		.message_id = (char *)m->message_id, .in_reply_to = (char *)m->in_reply_to,
		.subject = (char *)(m->subject ? m->subject : ""),
		.from = { .name = (char *)m->from_name, .email = (char *)m->from_email },
		.date = m->sent_at, .body_text = (char *)(m->body ? m->body : ""),
	};
	int64_t id = db_sync_msg_add(db, thread, &row, m->refs, m->to_list, m->cc_list, m->sent_at);
	if (id <= 0 || db_sync_msg_user_add(db, id, m->user_id, m->link_id, NULL, "sent") < 0)
		return -1;
	/* every recipient that is a contact, however long the lists */
	for (size_t i = 0; i < m->n_rcpt; i++)
		if (db_sync_contacts_add(db, m->rcpt[i], &contacts) != 0)
			goto out;
	if (id_list_unique(&contacts) != 0)
		goto out;
	for (size_t i = 0; i < contacts.n; i++)
		if (db_sync_msg_contact_add(db, id, contacts.v[i]) != 0)
			goto out;
	*msg_id = id;
	rc = 0;
out:
	id_list_free(&contacts);
	return rc;
}

int db_web_outbox_item(struct db *db, int64_t id, int64_t *user_id, int64_t *appt_id,
    int64_t *msg_id)
{
	struct db_stmt *st = db_stmt(db, SQL_OUTBOX_ITEM);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st), ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW) {
		*user_id = db_col_int64(st, 0);
		*appt_id = db_col_int64(st, 1);
		*msg_id = db_col_int64(st, 2);
		ret = 0;
	}
	db_reset(st);
	return ret;
}

int db_web_outbox_provider(struct db *db, int64_t id, char *out, size_t size)
{
	out[0] = '\0';
	struct db_stmt *st = db_stmt(db, SQL_OUTBOX_PROVIDER);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW && db_col_text(st, 0))
		snprintf(out, size, "%s", (const char *)db_col_text(st, 0));
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}

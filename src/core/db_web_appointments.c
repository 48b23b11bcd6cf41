/* One appointment for the Edit Appointment page: load, access, attendees, save, hide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_outbox.h"
#include "core/db_web.h"
#include "core/log.h"
#include "core/visibility.h"

static const char SQL_GET[] =
    "SELECT a.id, coalesce(a.assigned_user_id, 0), coalesce(a.account_id, 0), a.start_at,"
    " a.duration_min, a.all_day, a.complete, a.hidden, a.source, a.type, coalesce(u.name, ''),"
    " coalesce(a.time_zone, ''), a.location, a.title, a.note, a.completion_note, a.regarding,"
    " coalesce(ac.number, ''), coalesce(ac.name, ''), coalesce(ac.address1, ''),"
    " coalesce(ac.city || ', ' || ac.state || ' ' || ac.zip, '')"
    " FROM appointments a LEFT JOIN users u ON u.id = a.assigned_user_id"
    " LEFT JOIN accounts ac ON ac.id = coalesce(a.account_id, (SELECT c.account_id FROM"
    "  appointment_contacts x JOIN contacts c ON c.id = x.contact_id WHERE x.appointment_id = a.id"
    "  ORDER BY c.id LIMIT 1))"
    " WHERE a.id = ? AND a.hidden = 0";
static const char SQL_ACCESS[] =
    "SELECT CASE WHEN " APPT_MINE("a", "?2") " THEN 2 WHEN " VIS_APPT("a", "?2") " THEN 1"
    " ELSE 0 END FROM appointments a WHERE a.id = ?1 AND a.hidden = 0";
static const char SQL_ATTENDEES[] =
    "SELECT coalesce(nullif(at.name, ''), (SELECT c.name FROM contact_emails ce JOIN contacts c"
    "  ON c.id = ce.contact_id WHERE ce.email = at.email LIMIT 1), at.email), at.email,"
    " coalesce((SELECT c.phone FROM contact_emails ce JOIN contacts c ON c.id = ce.contact_id"
    "  WHERE ce.email = at.email LIMIT 1), '')"
    " FROM appointment_attendees at WHERE at.appointment_id = ?"
    " ORDER BY at.role = 'organizer' DESC, at.name, at.email";
static const char SQL_SET_CRM[] =
    "UPDATE appointments SET note = ?2, completion_note = ?3, complete = ?4, updated_at = ?5"
    " WHERE id = ?1";
static const char SQL_SET_FIELDS[] =
    "UPDATE appointments SET start_at = ?2, duration_min = ?3, time_zone = ?4, location = ?5,"
    " title = ?6, type = ?7, updated_at = ?8 WHERE id = ?1 AND source = 'crm'";
/* The user's copy is hidden; a sync updating it later keeps it so. */
static const char SQL_HIDE_COPY[] =
    "INSERT INTO appointment_users (appointment_id, user_id, hidden) VALUES (?1, ?2, 1)"
    " ON CONFLICT (appointment_id, user_id) DO UPDATE SET hidden = 1";
/* When no copy is left on anyone's calendar the appointment itself is hidden for good; a copy
 * a blocklist hides (hidden 2) still holds it, to come back when the block goes. */
static const char SQL_HIDE_LAST[] =
    "UPDATE appointments SET hidden = 1, updated_at = ?2 WHERE id = ?1"
    " AND NOT " APPT_HELD("appointments") " AND NOT EXISTS (SELECT 1 FROM appointment_users bu"
    " WHERE bu.appointment_id = appointments.id AND bu.hidden = 2)";
static const char SQL_SOURCE[] =
    "SELECT source, coalesce(assigned_user_id, 0) FROM appointments WHERE id = ?";
static const char SQL_OWNER[] = "SELECT coalesce(assigned_user_id, 0) FROM appointments WHERE id = ?";
static const char SQL_REGARDING[] = "UPDATE appointments SET regarding = ?2 WHERE id = ?1";

void appt_view_free(struct appt_view *a)
{
	char **s[] = { &a->source, &a->type, &a->assigned_name, &a->time_zone, &a->location,
		&a->title, &a->note, &a->completion_note, &a->regarding, &a->acct_number,
		&a->acct_name, &a->acct_address1, &a->acct_city_line };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		free(*s[i]);
	memset(a, 0, sizeof *a);
}

int db_web_appt_get(struct db *db, int64_t id, struct appt_view *a)
{
	memset(a, 0, sizeof *a);
	struct db_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		if (rc == DB_DONE)
			return 1;
		log_warnx("db: appointment %lld: %s", (long long)id, db_errmsg(db));
		return -1;
	}
	a->id = db_col_int64(st, 0);
	a->assigned_user_id = db_col_int64(st, 1);
	a->account_id = db_col_int64(st, 2);
	a->start_at = db_col_int64(st, 3);
	a->duration_min = db_col_int(st, 4);
	a->all_day = db_col_int(st, 5);
	a->complete = db_col_int(st, 6);
	a->hidden = db_col_int(st, 7);
	char **s[] = { &a->source, &a->type, &a->assigned_name, &a->time_zone, &a->location,
		&a->title, &a->note, &a->completion_note, &a->regarding, &a->acct_number,
		&a->acct_name, &a->acct_address1, &a->acct_city_line };
	int bad = 0;
	for (int i = 0; i < 13; i++) {
		*s[i] = db_col_strdup(st, 8 + i);
		if (!*s[i] && !(*s[i] = strdup("")))
			bad = 1;
	}
	db_reset(st);
	if (bad) {
		appt_view_free(a);
		return -1;
	}
	a->imported = strcmp(a->source, "imported") == 0;
	return 0;
}

int db_web_appt_access(struct db *db, int64_t id, int64_t viewer_id)
{
	struct db_stmt *st = db_stmt(db, SQL_ACCESS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, viewer_id);
	int rc = db_step(st), ret = ACCESS_NONE;
	if (rc == DB_ROW)
		ret = db_col_int(st, 0);
	else if (rc != DB_DONE)
		ret = -1;
	db_reset(st);
	return ret;
}

int db_web_appt_set_crm_fields(struct db *db, int64_t id, const char *note,
    const char *completion_note, int complete)
{
	struct db_stmt *st = db_stmt(db, SQL_SET_CRM);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, note);
	db_bind_text(st, 3, completion_note);
	db_bind_int(st, 4, complete ? 1 : 0);
	db_bind_int64(st, 5, time(NULL));
	return db_step_done(db, st);
}

int db_web_appt_set_fields(struct db *db, int64_t id, int64_t start_at, int duration_min,
    const char *time_zone, const char *location, const char *title, const char *type)
{
	struct db_stmt *st = db_stmt(db, SQL_SET_FIELDS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, start_at);
	db_bind_int(st, 3, duration_min);
	db_bind_text(st, 4, time_zone);
	db_bind_text(st, 5, location);
	db_bind_text(st, 6, title);
	db_bind_text(st, 7, type);
	db_bind_int64(st, 8, time(NULL));
	if (db_step_done(db, st) != 0)
		return -1;
	if (db_changes(db) != 1)
		return -1;
	return db_web_outbox_event(db, id, "event_update");
}

int db_web_outbox_event(struct db *db, int64_t appt_id, const char *kind)
{
	enum push_kind k = strcmp(kind, "event_create") == 0 ? PUSH_EVENT_CREATE :
	    strcmp(kind, "event_delete") == 0 ? PUSH_EVENT_DELETE : PUSH_EVENT_UPDATE;
	struct db_stmt *st = db_stmt(db, SQL_OWNER);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appt_id);
	int rc = db_step(st);
	int64_t user_id = rc == DB_ROW ? db_col_int64(st, 0) : 0;
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	if (!user_id)
		return 0;   /* nobody's calendar to push to */
	return db_outbox_event(db, user_id, appt_id, k, NULL);
}

int db_web_appt_hide(struct db *db, int64_t id, int64_t user_id)
{
	int crm = 0;
	int64_t assigned = 0;
	struct db_stmt *st = db_stmt(db, SQL_SOURCE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		const char *s = db_col_text(st, 0);
		crm = s && strcmp((const char *)s, "crm") == 0;
		assigned = db_col_int64(st, 1);
	}
	db_reset(st);
	if (db_begin(db) != 0)
		return -1;
	if (!(st = db_stmt(db, SQL_HIDE_COPY)))
		goto fail;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	if (db_step_done(db, st) != 0)
		goto fail;
	if (!(st = db_stmt(db, SQL_HIDE_LAST)))
		goto fail;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, time(NULL));
	if (db_step_done(db, st) != 0)
		goto fail;
	/* a CRM appointment lives in its assigned user's external calendar: their delete goes there */
	if (crm && assigned == user_id && db_web_outbox_event(db, id, "event_delete") != 0)
		goto fail;
	if (db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int db_web_appt_set_regarding(struct db *db, int64_t appt_id, const char *text)
{
	struct db_stmt *st = db_stmt(db, SQL_REGARDING);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appt_id);
	db_bind_text(st, 2, text);
	return db_step_done(db, st);
}

int db_web_appt_attendees(struct db *db, int64_t id, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_ATTENDEES);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return db_web_rows_collect(db, st, 0, 3, out);
}

/* Creating CRM appointments with their attendees and contact matches. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/appointments.h"
#include "core/crypto.h"
#include "core/log.h"

static const char SQL_APPT_INSERT[] =
    "INSERT INTO appointments (source, ical_uid, type, assigned_user_id, account_id, start_at,"
    " duration_min, all_day, time_zone, location, title, note, organizer_email, created_at,"
    " updated_at) VALUES ('crm', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " (SELECT email FROM users WHERE id = ?3), ?, ?) RETURNING id";
static const char SQL_APPT_USER[] =
    "INSERT INTO appointment_users (appointment_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
static const char SQL_APPT_ORGANIZER[] =
    "INSERT INTO appointment_attendees (appointment_id, email, name, role, partstat)"
    " SELECT ?, email, name, 'organizer', 'ACCEPTED' FROM users WHERE id = ? ON CONFLICT DO NOTHING";
static const char SQL_APPT_CONTACT[] =
    "INSERT INTO appointment_contacts (appointment_id, contact_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
static const char SQL_APPT_CONTACT_ATTENDEE[] =
    "INSERT INTO appointment_attendees (appointment_id, email, name, role, partstat)"
    " SELECT ?, (SELECT min(email) FROM contact_emails WHERE contact_id = c.id), c.name,"
    " 'attendee', 'NEEDS-ACTION' FROM contacts c WHERE c.id = ?"
    " AND EXISTS (SELECT 1 FROM contact_emails WHERE contact_id = c.id) ON CONFLICT DO NOTHING";

static const char SQL_APPT_COUNT_CRM[] = "SELECT count(*) FROM appointments WHERE source = 'crm'";

int64_t db_appointments_count_crm(struct db *db)
{
	struct db_stmt *st = db_stmt(db, SQL_APPT_COUNT_CRM);
	if (!st)
		return -1;
	int64_t n = db_step(st) == DB_ROW ? db_col_int64(st, 0) : -1;
	db_reset(st);
	return n;
}

static int step_pair(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	return db_step_done(db, st);
}

int db_appointments_create_crm(struct db *db, const struct appt_new *a, int64_t *id)
{
	char tok[48], uid[96];
	int64_t now = time(NULL);
	crypto_token(tok, sizeof tok, 18);
	snprintf(uid, sizeof uid, "crm-%s@crm.invalid", tok);
	if (db_exec(db, "SAVEPOINT appt_create") != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_APPT_INSERT);
	if (!st)
		goto fail;
	db_bind_text(st, 1, uid);
	db_bind_text(st, 2, a->type ? a->type : "Appointment");
	db_bind_int64(st, 3, a->assigned_user_id);
	if (a->account_id)
		db_bind_int64(st, 4, a->account_id);
	db_bind_int64(st, 5, a->start_at);
	db_bind_int(st, 6, a->duration_min);
	db_bind_int(st, 7, a->all_day);
	db_bind_text(st, 8, a->time_zone);
	db_bind_text(st, 9, a->location ? a->location : "");
	db_bind_text(st, 10, a->title ? a->title : "");
	db_bind_text(st, 11, a->note ? a->note : "");
	db_bind_int64(st, 12, now);
	db_bind_int64(st, 13, now);
	int64_t aid;
	if (db_step_id(db, st, &aid) != 0)
		goto fail;
	if (step_pair(db, SQL_APPT_USER, aid, a->assigned_user_id) != 0 ||
	    step_pair(db, SQL_APPT_ORGANIZER, aid, a->assigned_user_id) != 0)
		goto fail;
	for (size_t i = 0; i < a->n_contacts; i++)
		if (step_pair(db, SQL_APPT_CONTACT, aid, a->contact_ids[i]) != 0 ||
		    step_pair(db, SQL_APPT_CONTACT_ATTENDEE, aid, a->contact_ids[i]) != 0)
			goto fail;
	if (db_exec(db, "RELEASE appt_create") != 0)
		goto fail;
	*id = aid;
	return 0;
fail:
	db_exec(db, "ROLLBACK TO appt_create");
	db_exec(db, "RELEASE appt_create");
	return -1;
}

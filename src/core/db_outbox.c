/* The outbox table: enqueue with coalescing, claim with leases, settle, push state and retry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/db_outbox.h"
#include "core/log.h"

static const char *const kind_names[] = {
	[PUSH_EVENT_CREATE] = "event_create", [PUSH_EVENT_UPDATE] = "event_update",
	[PUSH_EVENT_DELETE] = "event_delete", [PUSH_MAIL_SEND] = "mail_send",
	[PUSH_FOLDER_SETUP] = "folder_setup", [PUSH_FOLDER_MOVE] = "folder_move",
};

static const char SQL_INSERT[] =
    "INSERT INTO outbox (user_id, link_id, kind, appointment_id, message_id, payload,"
    " idempotency_key, created_at, updated_at)"
    " VALUES (?1, (SELECT id FROM links WHERE user_id = ?1 AND status != 'unlinked'), ?2, ?3, ?4,"
    " ?5, ?6, ?7, ?7) RETURNING id";
static const char SQL_WAKE[] =
    "UPDATE links SET wake = 1 WHERE user_id = ? AND status = 'active'";
/* A waiting (not leased) item of the appointment to fold into: an update, or a create not yet
 * attempted. */
static const char SQL_FOLDABLE[] =
    "SELECT id FROM outbox WHERE state = 'pending' AND lease_until <= ?3 AND user_id = ?1"
    " AND appointment_id = ?2 AND (kind = 'event_update' OR (kind = 'event_create' AND"
    " attempts = 0)) ORDER BY id DESC LIMIT 1";
static const char SQL_FRESH_CREATE[] =
    "SELECT id FROM outbox WHERE state = 'pending' AND lease_until <= ?3 AND user_id = ?1"
    " AND appointment_id = ?2 AND kind = 'event_create' AND attempts = 0 LIMIT 1";
static const char SQL_DROP_WAITING[] =
    "DELETE FROM outbox WHERE state = 'pending' AND lease_until <= ?3 AND user_id = ?1"
    " AND appointment_id = ?2 AND (kind = 'event_update' OR (kind = 'event_create' AND"
    " attempts = 0 AND ?4 != 0))";
static const char SQL_TOUCH[] = "UPDATE outbox SET updated_at = ?2 WHERE id = ?1";
static const char SQL_STATE_APPT[] =
    "SELECT id, kind, state, attempts, next_attempt_at, last_error FROM outbox"
    " WHERE appointment_id = ? ORDER BY id DESC LIMIT 1";
static const char SQL_STATE_MSG[] =
    "SELECT id, kind, state, attempts, next_attempt_at, last_error FROM outbox"
    " WHERE message_id = ? ORDER BY id DESC LIMIT 1";
static const char SQL_RETRY[] =
    "UPDATE outbox SET state = 'pending', next_attempt_at = 0, updated_at = ?2"
    " WHERE id = ?1 AND state != 'done'";
static const char SQL_WAKE_OF[] =
    "UPDATE links SET wake = 1 WHERE status = 'active' AND user_id ="
    " (SELECT user_id FROM outbox WHERE id = ?)";
/* From the active links to their users' items (CROSS JOIN keeps that order in SQLite): items
 * of users without an active link cost nothing until they link. */
static const char SQL_CANDIDATE[] =
    "SELECT o.id, o.user_id, l.id, coalesce(o.appointment_id, 0), coalesce(o.message_id, 0),"
    " o.kind, o.payload, o.idempotency_key, o.attempts"
    " FROM links l CROSS JOIN outbox o"
    " WHERE l.status = 'active' AND l.proved_at IS NOT NULL AND l.rate_limited_until <= ?1"
    " AND (?2 = 0 OR l.id = ?2)"
    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM link_leases k JOIN lease_holders h"
    "  ON h.holder = k.holder WHERE k.link_id = l.id AND k.holder = ?3 AND h.expires_at > ?1))"
    " AND o.user_id = l.user_id"
    " AND o.state = 'pending' AND o.next_attempt_at <= ?1 AND o.lease_until <= ?1"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.appointment_id = o.appointment_id"
    "  AND p.user_id = o.user_id AND p.state = 'pending' AND p.id < o.id)"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.user_id = o.user_id"
    "  AND p.state = 'pending' AND p.lease_until > ?1)"
    " ORDER BY o.id LIMIT 1";
static const char SQL_LEASE[] =
    "UPDATE outbox SET lease_until = ?2, attempts = attempts + 1, link_id = ?3, updated_at = ?4,"
    " lease_holder = ?5 WHERE id = ?1 AND state = 'pending' AND lease_until <= ?4";
static const char SQL_PAYLOAD[] = "UPDATE outbox SET payload = ?2, updated_at = ?3 WHERE id = ?1";
static const char SQL_SETTLE[] =
    "UPDATE outbox SET state = ?2, next_attempt_at = ?3, last_error = ?4, lease_until = 0,"
    " updated_at = ?5 WHERE id = ?1";
/* The user's upcoming CRM appointments not yet on their calendar and not already waiting to
 * be created there. */
static const char SQL_UNPUSHED[] =
    "SELECT a.id FROM appointments a WHERE a.assigned_user_id = ?1 AND a.source = 'crm'"
    " AND a.hidden = 0 AND a.cancelled = 0 AND a.start_at >= ?2"
    " AND NOT EXISTS (SELECT 1 FROM appointment_users au WHERE au.appointment_id = a.id"
    "  AND au.user_id = ?1 AND au.provider_id IS NOT NULL)"
    " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.appointment_id = a.id AND o.user_id = ?1"
    "  AND o.kind = 'event_create' AND o.state = 'pending')"
    " ORDER BY a.start_at, a.id LIMIT ?3";
/* Event items that waited for the calendar to be known are tried at once. */
static const char SQL_EVENTS_DUE[] =
    "UPDATE outbox SET next_attempt_at = 0 WHERE user_id = ? AND state = 'pending'"
    " AND kind IN ('event_create', 'event_update', 'event_delete') AND next_attempt_at > 0";
static const char SQL_RELINK[] =
    "UPDATE links SET status = 'relink', last_error = ?2, last_error_at = ?3"
    " WHERE id = ?1 AND status = 'active'";

const char *outbox_kind_name(enum push_kind k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

int outbox_kind_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (kind_names[i] && strcmp(kind_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* A fresh idempotency key: 32 lower-case hex digits. */
static void new_key(char out[33])
{
	char tok[64], hex[65];
	crypto_token(tok, sizeof tok, 24);
	crypto_sha256_hex(tok, strlen(tok), hex);
	memcpy(out, hex, 32);
	out[32] = 0;
}

static int insert(struct db *db, int64_t user_id, enum push_kind kind, int64_t appt,
    int64_t msg, const char *payload, int64_t *id)
{
	char key[33];
	new_key(key);
	struct db_stmt *st = db_stmt(db, SQL_INSERT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, outbox_kind_name(kind));
	if (appt)
		db_bind_int64(st, 3, appt);
	if (msg)
		db_bind_int64(st, 4, msg);
	db_bind_text(st, 5, payload);
	db_bind_text(st, 6, key);
	db_bind_int64(st, 7, time(NULL));
	int64_t made;
	if (db_step_id(db, st, &made) != 0)
		return -1;
	if (id)
		*id = made;
	return 0;
}

static int wake(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_stmt(db, SQL_WAKE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	return db_step_done(db, st);
}

/* The id of the first row of a (user, appointment, now) query, 0 when none, -1 on error. */
static int64_t find_row(struct db *db, const char *sql, int64_t user_id, int64_t appt,
    int64_t now)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, appt);
	db_bind_int64(st, 3, now);
	int rc = db_step(st);
	int64_t id = rc == DB_ROW ? db_col_int64(st, 0) : rc == DB_DONE ? 0 : -1;
	db_reset(st);
	return id;
}

static int drop_waiting(struct db *db, int64_t user_id, int64_t appt, int64_t now, int creates)
{
	struct db_stmt *st = db_stmt(db, SQL_DROP_WAITING);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, appt);
	db_bind_int64(st, 3, now);
	db_bind_int(st, 4, creates);
	return db_step_done(db, st);
}

static int touch(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_TOUCH);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	return db_step_done(db, st);
}

int db_outbox_event(struct db *db, int64_t user_id, int64_t appointment_id, enum push_kind kind,
    int64_t *id)
{
	int64_t now = time(NULL), found = 0, dummy;
	if (!id)
		id = &dummy;
	*id = 0;
	if (kind != PUSH_EVENT_CREATE && kind != PUSH_EVENT_UPDATE && kind != PUSH_EVENT_DELETE)
		return -1;
	if (kind == PUSH_EVENT_UPDATE)
		found = find_row(db, SQL_FOLDABLE, user_id, appointment_id, now);
	else if (kind == PUSH_EVENT_DELETE)
		found = find_row(db, SQL_FRESH_CREATE, user_id, appointment_id, now);
	if (found < 0)
		return -1;
	if (kind == PUSH_EVENT_UPDATE && found) {
		*id = found;
		return touch(db, found, now) == 0 && wake(db, user_id) == 0 ? 0 : -1;
	}
	if (kind == PUSH_EVENT_DELETE) {
		/* Never reached the calendar: nothing to delete there. */
		if (drop_waiting(db, user_id, appointment_id, now, found != 0) != 0)
			return -1;
		if (found)
			return 0;
	}
	if (insert(db, user_id, kind, appointment_id, 0, "{}", id) != 0)
		return -1;
	return wake(db, user_id);
}

int db_outbox_mail(struct db *db, int64_t user_id, int64_t message_row_id, const char *raw,
    size_t raw_len, int64_t *id)
{
	json_t *o = raw ? json_pack("{s:s%}", "raw", raw, raw_len) : NULL;
	char *payload = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = -1;
	if (!payload)
		goto out;
	if (insert(db, user_id, PUSH_MAIL_SEND, 0, message_row_id, payload, id) == 0)
		rc = wake(db, user_id);
out:
	free(payload);
	json_decref(o);
	return rc;
}

int db_outbox_folder(struct db *db, int64_t user_id, enum push_kind kind, const char *provider_id,
    int64_t *id)
{
	if ((kind != PUSH_FOLDER_SETUP && kind != PUSH_FOLDER_MOVE) ||
	    (kind == PUSH_FOLDER_MOVE && (!provider_id || !*provider_id)))
		return -1;
	json_t *o = provider_id ? json_pack("{s:s}", "provider_id", provider_id) : json_object();
	char *payload = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = -1;
	if (payload && insert(db, user_id, kind, 0, 0, payload, id) == 0)
		rc = wake(db, user_id);
	free(payload);
	json_decref(o);
	return rc;
}

int db_outbox_backfill(struct db *db, int64_t user_id, int64_t since)
{
	enum { MAX_BACKFILL = 500 };
	int64_t *ids = malloc(MAX_BACKFILL * sizeof *ids);
	int n = 0, rc = -1, step;
	struct db_stmt *st = ids ? db_stmt(db, SQL_UNPUSHED) : NULL;
	if (!st)
		goto out;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, since);
	db_bind_int(st, 3, MAX_BACKFILL);
	while ((step = db_step(st)) == DB_ROW)
		ids[n++] = db_col_int64(st, 0);
	db_reset(st);
	if (step != DB_DONE) {
		log_warnx("db: outbox backfill: %s", db_errmsg(db));
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (db_outbox_event(db, user_id, ids[i], PUSH_EVENT_CREATE, NULL) != 0)
			goto out;
	if (!(st = db_stmt(db, SQL_EVENTS_DUE)))
		goto out;
	db_bind_int64(st, 1, user_id);
	if (db_step_done(db, st) != 0 || wake(db, user_id) != 0)
		goto out;
	rc = n;
out:
	free(ids);
	return rc;
}

void outbox_state_free(struct outbox_state *s)
{
	free(s->last_error);
	memset(s, 0, sizeof *s);
}

static int state_of(struct db *db, const char *sql, int64_t key, struct outbox_state *s)
{
	memset(s, 0, sizeof *s);
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, key);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 1 : -1;
	}
	s->id = db_col_int64(st, 0);
	snprintf(s->kind, sizeof s->kind, "%s", (const char *)db_col_text(st, 1));
	snprintf(s->state, sizeof s->state, "%s", (const char *)db_col_text(st, 2));
	s->attempts = db_col_int(st, 3);
	s->next_attempt_at = db_col_int64(st, 4);
	s->last_error = db_col_strdup(st, 5);
	db_reset(st);
	return 0;
}

int db_outbox_state_for_appointment(struct db *db, int64_t appointment_id,
    struct outbox_state *s)
{
	return state_of(db, SQL_STATE_APPT, appointment_id, s);
}

int db_outbox_state_for_message(struct db *db, int64_t message_row_id, struct outbox_state *s)
{
	return state_of(db, SQL_STATE_MSG, message_row_id, s);
}

int db_outbox_retry(struct db *db, int64_t id)
{
	struct db_stmt *st = db_stmt(db, SQL_RETRY);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, time(NULL));
	if (db_step_done(db, st) != 0)
		return -1;
	if (db_changes(db) == 0)
		return 1;
	if (!(st = db_stmt(db, SQL_WAKE_OF)))
		return -1;
	db_bind_int64(st, 1, id);
	return db_step_done(db, st);
}

void outbox_row_free(struct outbox_row *r)
{
	free(r->payload);
	free(r->idempotency_key);
	memset(r, 0, sizeof *r);
}

/* Read the candidate row; 1 found, 0 none, -1 error. */
static int candidate(struct db *db, int64_t now, int64_t only_link, const char *holder,
    struct outbox_row *r)
{
	struct db_stmt *st = db_stmt(db, SQL_CANDIDATE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, only_link);
	if (DB_BOUND(db_bind_text(st, 3, holder)) != 0)
		return -1;
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 0 : -1;
	}
	r->id = db_col_int64(st, 0);
	r->user_id = db_col_int64(st, 1);
	r->link_id = db_col_int64(st, 2);
	r->appointment_id = db_col_int64(st, 3);
	r->message_id = db_col_int64(st, 4);
	int k = outbox_kind_parse((const char *)db_col_text(st, 5));
	r->kind = k < 0 ? PUSH_EVENT_UPDATE : (enum push_kind)k;
	r->payload = db_col_strdup(st, 6);
	r->idempotency_key = db_col_strdup(st, 7);
	r->attempts = db_col_int(st, 8) + 1;
	db_reset(st);
	if (!r->payload || !r->idempotency_key || k < 0)
		return -1;
	return 1;
}

int db_outbox_claim(struct db *db, int64_t now, int64_t lease_s, int64_t only_link,
    const char *holder, struct outbox_row *r)
{
	memset(r, 0, sizeof *r);
	if (db_begin(db) != 0)
		return -1;
	int rc = candidate(db, now, only_link, holder, r);
	if (rc == 1) {
		struct db_stmt *st = db_stmt(db, SQL_LEASE);
		if (!st)
			goto fail;
		db_bind_int64(st, 1, r->id);
		db_bind_int64(st, 2, now + lease_s);
		db_bind_int64(st, 3, r->link_id);
		db_bind_int64(st, 4, now);
		if (DB_BOUND(db_bind_text(st, 5, holder)) != 0 || db_step_done(db, st) != 0 ||
		    db_changes(db) != 1)
			goto fail;
	} else if (rc < 0) {
		goto fail;
	}
	if (db_commit(db) != 0)
		goto fail;
	return rc;
fail:
	db_rollback(db);
	outbox_row_free(r);
	return -1;
}

int db_outbox_set_payload(struct db *db, int64_t id, const char *payload, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_PAYLOAD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, payload);
	db_bind_int64(st, 3, now);
	return db_step_done(db, st);
}

int db_outbox_settle(struct db *db, int64_t id, const char *state, int64_t next_attempt_at,
    const char *note, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_SETTLE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, state);
	db_bind_int64(st, 3, next_attempt_at);
	db_bind_text(st, 4, note);
	db_bind_int64(st, 5, now);
	return db_step_done(db, st);
}

int db_outbox_link_relink(struct db *db, int64_t link_id, const char *error, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_RELINK);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link_id);
	db_bind_text(st, 2, error);
	db_bind_int64(st, 3, now);
	return db_step_done(db, st);
}

static const char SQL_APPT[] =
    "SELECT ical_uid, start_at, duration_min, all_day, time_zone, title, location, description,"
    " organizer_email, cancelled, greatest(0, least(updated_at - created_at, 2000000000))"
    " FROM appointments WHERE id = ?";
static const char SQL_PEOPLE[] =
    "SELECT email, name, role, partstat FROM appointment_attendees WHERE appointment_id = ?"
    " ORDER BY role = 'organizer' DESC, email";
static const char SQL_REF[] =
    "SELECT provider_id, etag FROM appointment_users WHERE appointment_id = ? AND user_id = ?"
    " AND link_id = ?";

static char *col_or_null(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s && *s ? strdup((const char *)s) : NULL;
}

static int load_people(struct db *db, int64_t appointment_id, struct sync_event *e)
{
	struct db_stmt *st = db_stmt(db, SQL_PEOPLE);
	int rc;
	if (!st)
		return -1;
	db_bind_int64(st, 1, appointment_id);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *role = (const char *)db_col_text(st, 2);
		if (role && strcmp(role, "organizer") == 0) {
			if (!e->organizer.email)
				e->organizer.email = col_or_null(st, 0);
			if (!e->organizer.name)
				e->organizer.name = col_or_null(st, 1);
			continue;
		}
		struct attendee *nv = realloc(e->attendees, (e->n_attendees + 1) * sizeof *nv);
		if (!nv)
			break;
		e->attendees = nv;
		struct attendee *a = &nv[e->n_attendees++];
		a->who.email = col_or_null(st, 0);
		a->who.name = col_or_null(st, 1);
		a->partstat = col_or_null(st, 3);
		if (!a->who.email) {
			free(a->who.name);
			free(a->partstat);
			e->n_attendees--;
		}
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int db_outbox_event_load(struct db *db, int64_t appointment_id, struct sync_event *e,
    int *sequence)
{
	memset(e, 0, sizeof *e);
	*sequence = 0;
	struct db_stmt *st = db_stmt(db, SQL_APPT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appointment_id);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 1 : -1;
	}
	e->uid = col_or_null(st, 0);
	e->start = db_col_int64(st, 1);
	e->duration_min = db_col_int(st, 2);
	e->all_day = db_col_int(st, 3);
	e->tzid = col_or_null(st, 4);
	e->title = db_col_strdup(st, 5);
	e->location = col_or_null(st, 6);
	e->description = col_or_null(st, 7);
	e->organizer.email = col_or_null(st, 8);
	e->cancelled = db_col_int(st, 9);
	*sequence = db_col_int(st, 10);
	db_reset(st);
	if (!e->uid || load_people(db, appointment_id, e) != 0) {
		event_free(e);
		memset(e, 0, sizeof *e);
		return -1;
	}
	return 0;
}

int db_outbox_provider_ref(struct db *db, int64_t appointment_id, int64_t user_id,
    int64_t link_id, char **provider_id, char **etag)
{
	*provider_id = *etag = NULL;
	struct db_stmt *st = db_stmt(db, SQL_REF);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appointment_id);
	db_bind_int64(st, 2, user_id);
	db_bind_int64(st, 3, link_id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*provider_id = col_or_null(st, 0);
		*etag = col_or_null(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}

static const char SQL_RELEASE[] =
    "UPDATE outbox SET lease_until = 0, next_attempt_at = ?2, updated_at = ?2"
    " WHERE id = ?1 AND state = 'pending'";

int db_outbox_release(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_RELEASE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	return db_step_done(db, st);
}

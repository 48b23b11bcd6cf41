/* The sync engine's SQL for appointments: one row per (UID, occurrence) whoever saw it, who has
 * it through which link, attendees and contact matches, and retiring what no one has any more.
 *
 * Retiring: when the last user's row goes, an imported appointment the CRM user deleted
 * (hidden=1) stays as a tombstone so a later sync never brings it back; one carrying CRM-side
 * work (note, completion note, complete, regarding) stays with cancelled=1; any other is
 * deleted. CRM-made appointments are never retired here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_sync.h"
#include "core/log.h"

#define STATE_COLS \
    "SELECT a.id, a.hidden, a.source, u.user_id IS NOT NULL," \
    " u.link_id IS NOT DISTINCT FROM ?4 AND u.etag IS NOT NULL AND u.etag = ?5, coalesce(a.provider_updated_at, 0)," \
    " EXISTS (SELECT 1 FROM outbox o WHERE o.appointment_id = a.id AND o.state = 'pending'" \
    " AND o.kind IN ('event_create', 'event_update'))," \
    " EXISTS (SELECT 1 FROM appointment_aliases al WHERE al.link_id = ?4 AND al.provider_id = ?6" \
    " AND al.appointment_id = a.id AND al.ical_uid = ?1 AND al.left_out = 0)"
/* By the link's own id for the event first: an appointment the CRM pushed may have been given
 * another UID by the provider (Graph, Nylas), and only (link, provider id) names it then. */
static const char SQL_STATE_BY_PID[] =
    STATE_COLS " FROM appointment_users u JOIN appointments a ON a.id = u.appointment_id"
    " WHERE u.link_id = ?4 AND u.provider_id = ?6 AND a.recurrence_id = ?2 AND u.user_id = ?3";
/* Else by UID: the meeting's own (?1 decoded, ?7 as the provider wrote it), or one a copy of it
 * has at some provider (appointment_aliases), the meeting's own first. */
static const char SQL_STATE[] =
    STATE_COLS " FROM appointments a LEFT JOIN appointment_users u ON u.appointment_id = a.id"
    " AND u.user_id = ?3 WHERE a.recurrence_id = ?2 AND (a.ical_uid = ?1 OR a.ical_uid = ?7"
    " OR a.ical_uid IN (SELECT x.ical_uid FROM appointment_aliases al JOIN appointments x"
    " ON x.id = al.appointment_id WHERE al.ical_uid = ?1))"
    " ORDER BY CASE WHEN a.ical_uid = ?1 THEN 0 WHEN a.ical_uid = ?7 THEN 1 ELSE 2 END, a.id"
    " LIMIT 1";
static const char SQL_ALIAS_SET[] =
    "INSERT INTO appointment_aliases (provider, link_id, provider_id, appointment_id, user_id,"
    " ical_uid, left_out) SELECT provider, id, ?2, ?3, ?4, ?5, ?6 FROM links WHERE id = ?1"
    " ON CONFLICT (link_id, provider_id, appointment_id) DO UPDATE SET"
    " user_id = excluded.user_id, ical_uid = excluded.ical_uid, left_out = excluded.left_out";
/* addr is an address of the copy's own: its mailbox, its user's login or another link of it. */
#define OWN_ADDRESS(addr, user, mailbox) \
    "(" addr " = " mailbox " OR " addr " IN (SELECT email FROM users WHERE id = " user ") OR " addr \
    " IN (SELECT address FROM links WHERE user_id = " user " AND status != 'unlinked'))"
/* What a copy (user ?2 through the mailbox ?3) is to the meeting ?1: whether it has no
 * organizer, whether the copy is its first (assigned) one, whether the organizer is the copy's
 * own user, whether the organizer is a CRM user whose own mailbox is linked (so only that
 * mailbox speaks for the meeting), whether the copy's user is an invited attendee, and the
 * organizer's address. */
static const char SQL_ROLE[] =
    "SELECT coalesce(a.organizer_email, '') = '', coalesce(a.assigned_user_id, 0) = ?2,"
    " " OWN_ADDRESS("a.organizer_email", "?2", "?3") ","
    " EXISTS (SELECT 1 FROM links ol WHERE ol.status = 'active' AND ol.proved_at IS NOT NULL"
    "  AND (ol.address ="
    "  a.organizer_email OR ol.user_id IN (SELECT ou.id FROM users ou"
    "  WHERE ou.email = a.organizer_email))),"
    " EXISTS (SELECT 1 FROM appointment_attendees t WHERE t.appointment_id = a.id AND"
    "  t.role = 'attendee' AND " OWN_ADDRESS("t.email", "?2", "?3") "),"
    " coalesce(a.organizer_email, '') FROM appointments a WHERE a.id = ?1";
/* Left-out copies of ?1 whose users the meeting now invites join it (etag NULL: their next pull
 * sets their own status). */
static const char SQL_PROMOTE[] =
    "INSERT INTO appointment_users (appointment_id, user_id, link_id, provider_id)"
    " SELECT al.appointment_id, al.user_id, al.link_id, al.provider_id"
    " FROM appointment_aliases al JOIN links l ON l.id = al.link_id"
    " WHERE al.appointment_id = ?1 AND al.left_out = 1 AND EXISTS (SELECT 1 FROM"
    " appointment_attendees t WHERE t.appointment_id = ?1 AND t.role = 'attendee' AND"
    " " OWN_ADDRESS("t.email", "al.user_id", "l.address") ")"
    " ON CONFLICT (appointment_id, user_id) DO NOTHING";
static const char SQL_PROMOTED[] =
    "UPDATE appointment_aliases SET left_out = 0 WHERE appointment_id = ?1 AND left_out = 1"
    " AND EXISTS (SELECT 1 FROM appointment_users u WHERE u.appointment_id = ?1"
    " AND u.user_id = appointment_aliases.user_id AND u.link_id = appointment_aliases.link_id"
    " AND u.provider_id = appointment_aliases.provider_id)";
static const char SQL_LEFT_OUT_DEL[] =
    "DELETE FROM appointment_aliases WHERE link_id = ? AND provider_id = ? AND appointment_id = ?"
    " AND left_out = 1";
static const char SQL_LEFT_OUT_OF[] =
    "SELECT appointment_id FROM appointment_aliases WHERE link_id = ? AND provider_id = ?"
    " AND left_out = 1";
static const char SQL_OWN_PARTSTAT[] =
    "UPDATE appointment_attendees SET partstat = ?3 WHERE appointment_id = ?1 AND email = ?2"
    " AND role = 'attendee' AND " OWN_ADDRESS("?2", "?4", "?5");
static const char SQL_ADD[] =
    "INSERT INTO appointments (source, ical_uid, recurrence_id, type, assigned_user_id,"
    " account_id, start_at, duration_min, all_day, time_zone, location, title, description,"
    " cancelled, organizer_email, provider_updated_at, created_at, updated_at)"
    " VALUES ('imported', ?, ?, 'Imported', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
static const char SQL_UPDATE[] =
    "UPDATE appointments SET start_at = ?2, duration_min = ?3, all_day = ?4, time_zone = ?5,"
    " location = ?6, title = ?7, description = ?8, cancelled = ?9, organizer_email = ?10,"
    " provider_updated_at = ?11, updated_at = ?12,"
    " assigned_user_id = CASE WHEN source = 'imported' AND ?13 > 0 THEN ?13"
    "   ELSE assigned_user_id END,"
    " account_id = CASE WHEN source = 'imported' AND ?14 > 0 THEN ?14 ELSE account_id END"
    " WHERE id = ?1";
static const char SQL_USER_SET[] =
    "INSERT INTO appointment_users (appointment_id, user_id, link_id, provider_id, etag)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (appointment_id, user_id) DO UPDATE SET"
    " link_id = excluded.link_id, provider_id = excluded.provider_id, etag = excluded.etag";
static const char SQL_ATT_CLEAR[] = "DELETE FROM appointment_attendees WHERE appointment_id = ?";
static const char SQL_ATT_ADD[] =
    "INSERT INTO appointment_attendees (appointment_id, email, name, role, partstat)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
static const char SQL_CONTACTS_CLEAR[] =
    "DELETE FROM appointment_contacts WHERE appointment_id = ?";
static const char SQL_CONTACT_ADD[] =
    "INSERT INTO appointment_contacts (appointment_id, contact_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
static const char SQL_ROWS_OF[] =
    "SELECT appointment_id FROM appointment_users WHERE link_id = ? AND provider_id = ?";
static const char SQL_ROW_DEL[] =
    "DELETE FROM appointment_users WHERE link_id = ? AND provider_id = ? AND appointment_id = ?";
static const char SQL_RETIRE_CANCEL[] =
    "UPDATE appointments SET cancelled = 1 WHERE id = ?1 AND source = 'imported'"
    " AND NOT EXISTS (SELECT 1 FROM appointment_users WHERE appointment_id = ?1)"
    " AND (hidden = 1 OR note != '' OR completion_note != '' OR complete != 0 OR regarding != '')";
static const char SQL_RETIRE_DELETE[] =
    "DELETE FROM appointments WHERE id = ?1 AND source = 'imported' AND hidden = 0"
    " AND note = '' AND completion_note = '' AND complete = 0 AND regarding = ''"
    " AND NOT EXISTS (SELECT 1 FROM appointment_users WHERE appointment_id = ?1)";

static const char SQL_IDS_UNDER[] =
    "SELECT provider_id FROM appointment_users WHERE link_id = ?1 AND provider_id IS NOT NULL"
    " AND substr(provider_id, 1, length(?2)) = ?2"
    " UNION SELECT provider_id FROM appointment_aliases WHERE link_id = ?1"
    " AND substr(provider_id, 1, length(?2)) = ?2";

/* A copy the calendar under ?3 named that another of the link's calendars holds too (the same
 * UID there): it stays, under that calendar's provider id. */
static const char SQL_REPOINT[] =
    "UPDATE appointment_users AS u SET etag = NULL, provider_id = (SELECT s.provider_id"
    " FROM appointment_aliases s WHERE s.link_id = u.link_id AND s.appointment_id ="
    " u.appointment_id AND s.left_out = 0 AND substr(s.provider_id, 1, length(?3)) != ?3"
    " ORDER BY s.provider_id LIMIT 1)"
    " WHERE u.link_id = ?1 AND u.provider_id = ?2 AND EXISTS (SELECT 1 FROM appointment_aliases s"
    " WHERE s.link_id = u.link_id AND s.appointment_id = u.appointment_id AND s.left_out = 0"
    " AND substr(s.provider_id, 1, length(?3)) != ?3)";
static const char SQL_ALIASES_UNDER_DEL[] =
    "DELETE FROM appointment_aliases WHERE link_id = ?1 AND substr(provider_id, 1, length(?2)) = ?2";

static int exec_id(struct db *db, const char *sql, int64_t id);

/* Run one of the state queries; 0 with *out filled (id 0 when no row), -1 on error. */
static int appt_state(struct db *db, const char *sql, const char *uid, const char *raw_uid,
    const char *recurrence_id, int64_t user, int64_t link, const char *etag,
    const char *provider_id, struct db_appt_state *out)
{
	struct db_stmt *st = db_stmt(db, sql);
	memset(out, 0, sizeof *out);
	if (!st)
		return -1;
	db_bind_text(st, 1, uid);
	db_bind_text(st, 2, recurrence_id ? recurrence_id : "");
	db_bind_int64(st, 3, user);
	db_bind_int64(st, 4, link);
	db_bind_text(st, 5, etag);
	db_bind_text(st, 6, provider_id);
	if (db_param_count(st) >= 7)
		db_bind_text(st, 7, raw_uid ? raw_uid : uid);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		out->id = db_col_int64(st, 0);
		out->hidden = db_col_int(st, 1);
		const char *src = db_col_text(st, 2);
		snprintf(out->source, sizeof out->source, "%s", src ? (const char *)src : "");
		out->has_user = db_col_int(st, 3);
		out->same_etag = db_col_int(st, 4);
		out->provider_updated = db_col_int64(st, 5);
		out->push_pending = db_col_int(st, 6);
		out->has_alias = db_col_int(st, 7);
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		log_warnx("db: appointments: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

int db_sync_appt_state(struct db *db, const char *uid, const char *raw_uid,
    const char *recurrence_id, int64_t user, int64_t link, const char *etag,
    const char *provider_id, struct db_appt_state *out)
{
	if (provider_id && appt_state(db, SQL_STATE_BY_PID, uid, raw_uid, recurrence_id, user, link,
	    etag, provider_id, out) != 0)
		return -1;
	if (provider_id && out->id)
		return 0;
	return appt_state(db, SQL_STATE, uid, raw_uid, recurrence_id, user, link, etag, provider_id,
	    out);
}

int db_sync_appt_alias_set(struct db *db, int64_t link, const char *provider_id, int64_t appt,
    int64_t user, const char *uid, int left_out)
{
	if (!provider_id || !uid || !*uid)
		return 0;
	struct db_stmt *st = db_stmt(db, SQL_ALIAS_SET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, provider_id);
	db_bind_int64(st, 3, appt);
	db_bind_int64(st, 4, user);
	db_bind_text(st, 5, uid);
	db_bind_int(st, 6, left_out != 0);
	return db_step_done(db, st);
}

int db_sync_appt_promote(struct db *db, int64_t appt)
{
	struct db_stmt *st = db_stmt(db, SQL_PROMOTE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appt);
	if (db_step_done(db, st) != 0)
		return -1;
	int n = db_changes(db);
	if (n > 0 && exec_id(db, SQL_PROMOTED, appt) != 0)
		return -1;
	return n;
}

int db_sync_appt_role(struct db *db, int64_t appt, int64_t user, const char *address,
    const char *organizer)
{
	struct db_stmt *st = db_stmt(db, SQL_ROLE);
	int rc, role = -1;
	if (!st)
		return -1;
	db_bind_int64(st, 1, appt);
	db_bind_int64(st, 2, user);
	db_bind_text(st, 3, address ? address : "");
	if ((rc = db_step(st)) == DB_ROW) {
		int no_org = db_col_int(st, 0), first = db_col_int(st, 1);
		int own = db_col_int(st, 2), org_linked = db_col_int(st, 3);
		int listed = db_col_int(st, 4);
		const char *o = db_col_text(st, 5);
		int same_org = organizer && o && strcmp(organizer, (const char *)o) == 0;
		if (no_org)
			role = first ? APPT_ROLE_OWNER : APPT_ROLE_ATTENDEE;
		else if (own)
			role = APPT_ROLE_OWNER;
		else if (org_linked)   /* the organizer's own mailbox speaks for the meeting */
			role = listed ? APPT_ROLE_ATTENDEE : APPT_ROLE_OUTSIDER;
		else if ((listed || first) && same_org)   /* an outside organizer's update */
			role = APPT_ROLE_OWNER;
		else
			role = listed || first ? APPT_ROLE_ATTENDEE : APPT_ROLE_OUTSIDER;
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		log_warnx("db: appointments: %s", db_errmsg(db));
		return -1;
	}
	return role < 0 ? APPT_ROLE_OUTSIDER : role;
}

int db_sync_appt_own_status(struct db *db, int64_t appt, int64_t user, const char *address,
    const struct sync_event *e)
{
	for (size_t i = 0; i < e->n_attendees; i++) {
		const struct attendee *a = &e->attendees[i];
		if (!a->who.email || !a->partstat)
			continue;
		struct db_stmt *st = db_stmt(db, SQL_OWN_PARTSTAT);
		if (!st)
			return -1;
		db_bind_int64(st, 1, appt);
		db_bind_text(st, 2, a->who.email);
		db_bind_text(st, 3, a->partstat);
		db_bind_int64(st, 4, user);
		db_bind_text(st, 5, address ? address : "");
		if (db_step_done(db, st) != 0)
			return -1;
	}
	return 0;
}

static void bind_opt_id(struct db_stmt *st, int i, int64_t id)
{
	if (id > 0)
		db_bind_int64(st, i, id);
	else
		db_bind_null(st, i);
}

int64_t db_sync_appt_add(struct db *db, const struct sync_event *e, int64_t assigned,
    int64_t account, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_ADD);
	if (!st)
		return -1;
	db_bind_text(st, 1, e->uid);
	db_bind_text(st, 2, e->recurrence_id ? e->recurrence_id : "");
	bind_opt_id(st, 3, assigned);
	bind_opt_id(st, 4, account);
	db_bind_int64(st, 5, e->start);
	db_bind_int(st, 6, e->duration_min);
	db_bind_int(st, 7, e->all_day != 0);
	db_bind_text(st, 8, e->tzid);
	db_bind_text(st, 9, e->location ? e->location : "");
	db_bind_text(st, 10, e->title ? e->title : "");
	db_bind_text(st, 11, e->description ? e->description : "");
	db_bind_int(st, 12, e->cancelled != 0);
	db_bind_text(st, 13, e->organizer.email);
	db_bind_int64(st, 14, e->updated);
	db_bind_int64(st, 15, now);
	db_bind_int64(st, 16, now);
	int64_t id;
	return db_step_id(db, st, &id) == 0 ? id : -1;
}

int db_sync_appt_update(struct db *db, int64_t id, const struct sync_event *e, int64_t assigned,
    int64_t account, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_UPDATE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, e->start);
	db_bind_int(st, 3, e->duration_min);
	db_bind_int(st, 4, e->all_day != 0);
	db_bind_text(st, 5, e->tzid);
	db_bind_text(st, 6, e->location ? e->location : "");
	db_bind_text(st, 7, e->title ? e->title : "");
	db_bind_text(st, 8, e->description ? e->description : "");
	db_bind_int(st, 9, e->cancelled != 0);
	db_bind_text(st, 10, e->organizer.email);
	db_bind_int64(st, 11, e->updated);
	db_bind_int64(st, 12, now);
	db_bind_int64(st, 13, assigned);
	db_bind_int64(st, 14, account);
	return db_step_done(db, st);
}

int db_sync_appt_user_set(struct db *db, int64_t appt, int64_t user, int64_t link,
    const char *provider_id, const char *etag)
{
	struct db_stmt *st = db_stmt(db, SQL_USER_SET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appt);
	db_bind_int64(st, 2, user);
	db_bind_int64(st, 3, link);
	db_bind_text(st, 4, provider_id);
	db_bind_text(st, 5, etag);
	return db_step_done(db, st);
}

static int exec_id(struct db *db, const char *sql, int64_t id)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return db_step_done(db, st);
}

static int attendee_add(struct db *db, int64_t appt, const struct addr *a, const char *role,
    const char *partstat)
{
	if (!a->email || !*a->email)
		return 0;
	struct db_stmt *st = db_stmt(db, SQL_ATT_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, appt);
	db_bind_text(st, 2, a->email);
	db_bind_text(st, 3, a->name ? a->name : "");
	db_bind_text(st, 4, role);
	db_bind_text(st, 5, partstat);
	return db_step_done(db, st);
}

int db_sync_appt_people(struct db *db, int64_t appt, const struct sync_event *e,
    const int64_t *contacts, size_t n_contacts)
{
	if (exec_id(db, SQL_ATT_CLEAR, appt) != 0 || exec_id(db, SQL_CONTACTS_CLEAR, appt) != 0)
		return -1;
	if (attendee_add(db, appt, &e->organizer, "organizer", "ACCEPTED") != 0)
		return -1;
	for (size_t i = 0; i < e->n_attendees; i++)
		if (attendee_add(db, appt, &e->attendees[i].who, "attendee",
		    e->attendees[i].partstat) != 0)
			return -1;
	for (size_t i = 0; i < n_contacts; i++) {
		struct db_stmt *st = db_stmt(db, SQL_CONTACT_ADD);
		if (!st)
			return -1;
		db_bind_int64(st, 1, appt);
		db_bind_int64(st, 2, contacts[i]);
		if (db_step_done(db, st) != 0)
			return -1;
	}
	return 0;
}

static int retire(struct db *db, int64_t appt)
{
	if (exec_id(db, SQL_RETIRE_CANCEL, appt) != 0 || exec_id(db, SQL_RETIRE_DELETE, appt) != 0)
		return -1;
	return 0;
}

/* The appointment ids sql (bound with link and provider_id) lists that keep does not hold, into
 * *out (malloc'd) and *n. 0 or -1. */
static int not_kept(struct db *db, const char *sql, int64_t link, const char *provider_id,
    const int64_t *keep, size_t n_keep, int64_t **out, size_t *n)
{
	int64_t *ids = NULL;
	size_t cap = 0;
	int rc;
	*n = 0;
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, provider_id);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t id = db_col_int64(st, 0);
		int kept = 0;
		for (size_t i = 0; i < n_keep && !kept; i++)
			kept = keep[i] == id;
		if (kept)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			int64_t *nv = realloc(ids, ncap * sizeof *nv);
			if (!nv)
				break;
			ids = nv;
			cap = ncap;
		}
		ids[(*n)++] = id;
	}
	db_reset(st);
	*out = ids;
	return rc == DB_DONE ? 0 : -1;
}

/* Run sql bound with (link, provider_id, appointment id) for each of ids. */
static int each_row(struct db *db, const char *sql, int64_t link, const char *provider_id,
    const int64_t *ids, size_t n, int retiring)
{
	for (size_t i = 0; i < n; i++) {
		struct db_stmt *st = db_stmt(db, sql);
		if (!st)
			return -1;
		db_bind_int64(st, 1, link);
		db_bind_text(st, 2, provider_id);
		db_bind_int64(st, 3, ids[i]);
		if (db_step_done(db, st) != 0 || (retiring && retire(db, ids[i]) != 0))
			return -1;
	}
	return 0;
}

int db_sync_appt_forget(struct db *db, int64_t link, const char *provider_id,
    const int64_t *keep, size_t n_keep)
{
	int64_t *ids = NULL, *left = NULL;
	size_t n = 0, n_left = 0;
	int rc = -1;
	if (not_kept(db, SQL_ROWS_OF, link, provider_id, keep, n_keep, &ids, &n) != 0 ||
	    each_row(db, SQL_ROW_DEL, link, provider_id, ids, n, 1) != 0)
		goto out;
	/* A left-out copy that is gone from its calendar can no longer join later. */
	if (not_kept(db, SQL_LEFT_OUT_OF, link, provider_id, keep, n_keep, &left, &n_left) != 0 ||
	    each_row(db, SQL_LEFT_OUT_DEL, link, provider_id, left, n_left, 0) != 0)
		goto out;
	rc = (int)n;
out:
	free(ids);
	free(left);
	return rc;
}

int db_sync_appt_forget_prefix(struct db *db, int64_t link, const char *prefix)
{
	char **ids = NULL;
	size_t n = 0, cap = 0;
	struct db_stmt *st = db_stmt(db, SQL_IDS_UNDER);
	int rc = -1, total = 0, step = DB_ERROR;
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, prefix);
	while ((step = db_step(st)) == DB_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(ids, ncap * sizeof *nv);
			if (!nv)
				break;
			ids = nv;
			cap = ncap;
		}
		if (!(ids[n] = db_col_strdup(st, 0)))
			break;
		n++;
	}
	db_reset(st);
	if (step != DB_DONE)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct db_stmt *up = db_stmt(db, SQL_REPOINT);
		if (!up)
			goto out;
		db_bind_int64(up, 1, link);
		db_bind_text(up, 2, ids[i]);
		db_bind_text(up, 3, prefix);
		if (db_step_done(db, up) != 0)
			goto out;
		int k = db_sync_appt_forget(db, link, ids[i], NULL, 0);
		if (k < 0)
			goto out;
		total += k;
	}
	struct db_stmt *del = db_stmt(db, SQL_ALIASES_UNDER_DEL);
	if (!del)
		goto out;
	db_bind_int64(del, 1, link);
	db_bind_text(del, 2, prefix);
	if (db_step_done(db, del) != 0)
		goto out;
	rc = total;
out:
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

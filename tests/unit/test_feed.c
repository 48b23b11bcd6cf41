/* The private calendar feed: rows from a temp database, built with libical, parsed back with
 * icalparser; RFC 5545 line rules; occurrences as their own UIDs; hidden and others' left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "core/crypto.h"
#include "core/db.h"
#include "core/db_feed.h"
#include "core/feed_ics.h"
#include "t.h"
#include "tmpdir.h"
#include "test_db_target.h"

#define NOW 1700000000LL

static struct db *db_with_calendar(void)
{
	char path[128], err[200];
	struct db *db = test_db_fresh(path, sizeof path, "crm.db") ? db_open(path, err, sizeof err) : NULL;
	if (!db)
		return NULL;
	static const char seed[] =
	    "INSERT INTO users (id, name, email, password_hash, created_at) VALUES"
	    " (1, 'Aliena', 'a@x.example', 'x', 0), (2, 'Dave', 'd@x.example', 'x', 0);"
	    "INSERT INTO appointments (id, source, ical_uid, recurrence_id, start_at, duration_min,"
	    " all_day, time_zone, title, location, note, description, cancelled, hidden, created_at,"
	    " updated_at) VALUES"
	    " (1, 'crm', 'crm-1@crm.invalid', '', 1700100000, 45, 0, 'America/Chicago',"
	    "  'Rates, fees; and \\ more', '1234 Washington Ave, Houston', 'Line one\nLine two', '', 0, 0, 0, 1699990000),"
	    " (2, 'imported', 'series@example.net', '20231120T150000Z', 1700492400, 30, 0, 'UTC',"
	    "  'Weekly stand-up', '', '', 'From the provider', 0, 0, 0, 1699990000),"
	    " (3, 'imported', 'gone@example.net', '', 1700200000, 30, 0, 'UTC', 'Hidden one', '', '', '', 0, 1, 0, 0),"
	    " (4, 'crm', 'dave@crm.invalid', '', 1700200000, 30, 0, 'UTC', 'Dave only', '', '', '', 0, 0, 0, 0),"
	    " (5, 'imported', 'off@example.net', '', 1700300000, 60, 0, 'UTC', 'Called off', '', '', '', 1, 0, 0, 0),"
	    " (6, 'crm', 'old@crm.invalid', '', 1600000000, 30, 0, 'UTC', 'Long ago', '', '', '', 0, 0, 0, 0),"
	    " (7, 'imported', 'day@example.net', '', 1700373600, 1440, 1, 'America/Chicago', 'Holiday', '', '', '', 0, 0, 0, 0);"
	    "INSERT INTO appointment_users (appointment_id, user_id) VALUES (1, 1), (2, 1), (3, 1),"
	    " (4, 2), (5, 1), (6, 1), (7, 1);";
	if (db_exec(db, seed) != 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* The feed text of user 1 around NOW. */
static char *feed_of(struct db *db, int64_t user)
{
	struct feed_rows rows = { 0 };
	char *ics = NULL;
	if (db_feed_events(db, user, NOW - 90 * 86400LL, NOW + 365 * 86400LL, &rows) == 0)
		ics = feed_ics_build(rows.v, rows.n, "CRM, calendar", NOW);
	feed_rows_free(&rows);
	return ics;
}

static icalcomponent *event_by_uid(icalcomponent *cal, const char *uid)
{
	for (icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); e;
	    e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
		if (strcmp(icalcomponent_get_uid(e), uid) == 0)
			return e;
	return NULL;
}

static void test_feed_parses_back_with_the_users_appointments(void)
{
	struct db *db = db_with_calendar();
	CHECK(db);
	char *ics = feed_of(db, 1);
	icalcomponent *cal = ics ? icalparser_parse_string(ics) : NULL;
	int n = cal ? icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT) : -1;
	icalcomponent *a = cal ? event_by_uid(cal, "crm-1@crm.invalid") : NULL;
	icalcomponent *occ = cal ? event_by_uid(cal, "series@example.net-20231120T150000Z") : NULL;
	icalcomponent *off = cal ? event_by_uid(cal, "off@example.net") : NULL;
	icalcomponent *day = cal ? event_by_uid(cal, "day@example.net") : NULL;
	int ok = cal && n == 4 && a && occ && off && day;
	const char *summary = a ? icalcomponent_get_summary(a) : NULL;
	const char *loc = a ? icalcomponent_get_location(a) : NULL;
	const char *desc = a ? icalcomponent_get_description(a) : NULL;
	struct icaltimetype s = a ? icalcomponent_get_dtstart(a) : icaltime_null_time();
	struct icaltimetype e = a ? icalcomponent_get_dtend(a) : icaltime_null_time();
	struct icaltimetype ds = day ? icalcomponent_get_dtstart(day) : icaltime_null_time();
	int status = off ? (int)icalcomponent_get_status(off) : 0;
	char summary_c[128], loc_c[128], desc_c[128];
	snprintf(summary_c, sizeof summary_c, "%s", summary ? summary : "");
	snprintf(loc_c, sizeof loc_c, "%s", loc ? loc : "");
	snprintf(desc_c, sizeof desc_c, "%s", desc ? desc : "");
	time_t st = icaltime_as_timet_with_zone(s, icaltimezone_get_utc_timezone());
	time_t en = icaltime_as_timet_with_zone(e, icaltimezone_get_utc_timezone());
	int s_utc = icaltime_is_utc(s), d_date = ds.is_date, dy = ds.year, dm = ds.month, dd = ds.day;
	if (cal)
		icalcomponent_free(cal);
	free(ics);
	db_close(db);
	CHECK(ok);
	CHECK_STR(summary_c, "Rates, fees; and \\ more");
	CHECK_STR(loc_c, "1234 Washington Ave, Houston");
	CHECK_STR(desc_c, "Line one\nLine two");
	CHECK(s_utc);
	CHECK_INT(st, 1700100000);
	CHECK_INT(en - st, 45 * 60);
	CHECK_INT(status, ICAL_STATUS_CANCELLED);
	CHECK(d_date);
	CHECK_INT(dy * 10000 + dm * 100 + dd, 20231119);
}

static void test_feed_text_follows_rfc5545_lines(void)
{
	struct db *db = db_with_calendar();
	CHECK(db);
	char *ics = feed_of(db, 1);
	db_close(db);
	CHECK(ics);
	int bad = 0, long_lines = 0;
	for (const char *p = ics; *p; p++)
		if (*p == '\n' && (p == ics || p[-1] != '\r'))
			bad++;
	for (const char *l = ics; *l;) {
		const char *end = strstr(l, "\r\n");
		size_t len = end ? (size_t)(end - l) : strlen(l);
		long_lines += len > 75;
		l += len + (end ? 2 : 0);
	}
	int escaped = strstr(ics, "Rates\\, fees\\; and \\\\ more") != NULL;
	int calname = strstr(ics, "X-WR-CALNAME:CRM  calendar") != NULL;
	int starts = strncmp(ics, "BEGIN:VCALENDAR\r\n", 17) == 0;
	free(ics);
	CHECK_INT(bad, 0);
	CHECK_INT(long_lines, 0);
	CHECK(escaped);
	CHECK(calname);
	CHECK(starts);
}

static void test_feed_leaves_out_hidden_old_and_others(void)
{
	struct db *db = db_with_calendar();
	CHECK(db);
	char *mine = feed_of(db, 1), *daves = feed_of(db, 2);
	db_close(db);
	CHECK(mine && daves);
	int hidden = strstr(mine, "gone@example.net") != NULL;
	int old = strstr(mine, "old@crm.invalid") != NULL;
	int other = strstr(mine, "dave@crm.invalid") != NULL;
	int dave_has = strstr(daves, "dave@crm.invalid") != NULL && !strstr(daves, "crm-1@crm.invalid");
	free(mine);
	free(daves);
	CHECK(!hidden);
	CHECK(!old);
	CHECK(!other);
	CHECK(dave_has);
}

/* A secret stored in clear by an older version still opens its feed, once, and is then kept as
 * its hash; a stored hash is never taken as a secret. */
static void test_feed_clear_secret_is_upgraded(void)
{
	struct db *db = db_with_calendar();
	CHECK(db);
	const char *clear = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr";   /* 43 characters */
	char hash[65];
	int64_t user = 0;
	char *stored = NULL;
	crypto_sha256_hex(clear, strlen(clear), hash);
	int set = db_exec(db, "UPDATE users SET feed_secret = "
	    "'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr' WHERE id = 1");
	int r1 = db_feed_user_by_secret(db, clear, &user);
	struct db_stmt *q = NULL;
	q = db_prepare(db, "SELECT feed_secret FROM users WHERE id = 1");
	if (q && db_step(q) == DB_ROW && db_col_text(q, 0))
		stored = strdup((const char *)db_col_text(q, 0));
	db_finalize(q);
	int64_t by_hash = 0;
	int r2 = db_feed_user_by_secret(db, clear, &user);
	int r3 = db_feed_user_by_secret(db, hash, &by_hash);   /* the hash itself opens nothing */
	db_close(db);
	CHECK_INT(set, DB_OK);
	CHECK_INT(r1, 0);
	CHECK_INT(user, 1);
	CHECK(stored && strcmp(stored, hash) == 0);
	CHECK_INT(r2, 0);
	CHECK_INT(r3, 1);
	CHECK_INT(by_hash, 0);
	free(stored);
}

static void test_feed_secret_lookup(void)
{
	struct db *db = db_with_calendar();
	CHECK(db);
	int64_t user = 0;
	int on = 0;
	char *stored = NULL;
	int r0 = db_feed_user_by_secret(db, "nope", &user);
	int r1 = db_feed_secret_set(db, 1, "abcDEF-_123");
	int r2 = db_feed_user_by_secret(db, "abcDEF-_123", &user);
	int r3 = db_feed_on(db, 1, &on);
	int was_on = on;
	/* the column keeps the secret's hash, not the secret */
	struct db_stmt *q = NULL;
	q = db_prepare(db, "SELECT feed_secret FROM users WHERE id = 1");
	if (q && db_step(q) == DB_ROW && db_col_text(q, 0))
		stored = strdup((const char *)db_col_text(q, 0));
	db_finalize(q);
	int r4 = db_feed_secret_set(db, 1, NULL);
	int r5 = db_feed_user_by_secret(db, "abcDEF-_123", &user);
	int r6 = db_feed_on(db, 1, &on);
	db_close(db);
	int hashed = stored && strlen(stored) == 64 && !strstr(stored, "abcDEF");
	free(stored);
	CHECK_INT(r0, 1);
	CHECK_INT(r1, 0);
	CHECK_INT(r2, 0);
	CHECK_INT(user, 1);
	CHECK_INT(r3, 0);
	CHECK(was_on);
	CHECK(hashed);
	CHECK_INT(r4, 0);
	CHECK_INT(r5, 1);
	CHECK_INT(r6, 0);
	CHECK(!on);
}

static void test_empty_feed_is_a_valid_calendar(void)
{
	char *ics = feed_ics_build(NULL, 0, NULL, NOW);
	icalcomponent *cal = ics ? icalparser_parse_string(ics) : NULL;
	int ok = cal && icalcomponent_isa(cal) == ICAL_VCALENDAR_COMPONENT &&
	    icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT) == 0;
	if (cal)
		icalcomponent_free(cal);
	free(ics);
	CHECK(ok);
}

T_MAIN(T(test_feed_parses_back_with_the_users_appointments), T(test_feed_text_follows_rfc5545_lines),
    T(test_feed_leaves_out_hidden_old_and_others), T(test_feed_secret_lookup), T(test_feed_clear_secret_is_upgraded),
    T(test_empty_feed_is_a_valid_calendar))

/* The database layer: migrations, the statement cache, users, accounts, contacts, links, and
 * secrets sealed at rest. */
#include <time.h>

#include <sqlite3.h>

#include "t.h"
#include "core/db_engine.h"   /* SQLite-specific checks reach the connection itself */
#include "tmpdir.h"
#include "test_db_target.h"
#include "core/addr.h"
#include "core/appointments.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/db_sessions.h"
#include "core/demo.h"
#include "core/models.h"
#include "core/schema.h"

static struct db *fresh_db(void)
{
	char path[128], err[256];
	if (!test_db_fresh(path, sizeof path, "crm.db"))
		return NULL;
	return db_open(path, err, sizeof err);
}

static void test_migrations_apply_once_and_reopen_cleanly(void)
{
	T_SQLITE_ONLY("the pragmas of the file: WAL, foreign keys, temp store");
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/crm.db", t_tmpdir());
	struct db *db = db_open(path, err, sizeof err);
	CHECK(db != NULL);
	CHECK_INT(db_schema_version(db), db_schema_latest());
	db_close(db);
	db = db_open(path, err, sizeof err);
	CHECK(db != NULL);
	CHECK_INT(db_schema_version(db), db_schema_latest());
	struct db_stmt *st = db_stmt(db, "PRAGMA journal_mode");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_STR((const char *)db_col_text(st, 0), "wal");
	db_reset(st);
	st = db_stmt(db, "PRAGMA foreign_keys");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 1);
	db_reset(st);
	st = db_stmt(db, "PRAGMA temp_store");   /* 2: savepoint journals in memory */
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 2);
	db_reset(st);
	db_close(db);
}

static void test_statements_are_prepared_once(void)
{
	static const char q[] = "SELECT 41 + 1";
	struct db *db = fresh_db();
	CHECK(db != NULL);
	size_t before = db->n_cache;
	struct db_stmt *a = db_stmt(db, q);
	struct db_stmt *b = db_stmt(db, q);
	CHECK(a != NULL && a == b);
	CHECK_INT(db->n_cache, before + 1);
	CHECK(db_step(b) == DB_ROW);
	CHECK_INT(db_col_int(b, 0), 42);
	db_close(db);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Opening an up-to-date database only reads its version: it neither waits for nor fails on
 * a writer holding a long transaction (the sync daemon storing a page). */
static void test_open_does_not_wait_for_a_writer(void)
{
	char path[128], err[256];
	CHECK(test_db_fresh(path, sizeof path, "crm.db"));
	struct db *db = db_open(path, err, sizeof err);
	CHECK(db != NULL);
	CHECK(db_begin(db) == 0);
	CHECK(db_exec(db, "INSERT INTO company (id, name) VALUES (1, 'Busy Co')") == 0);
	double t0 = mono_s();
	struct db *other = db_open(path, err, sizeof err);
	double took = mono_s() - t0;
	db_rollback(db);
	db_close(db);
	CHECK(other != NULL);
	db_close(other);
	CHECK(took < 1.0);
}

/* A connection's lock waits end at its deadline, however many statements wait, and say so. */
static void test_lock_waits_end_at_the_deadline(void)
{
	T_SQLITE_ONLY("SQLite's busy handler and its deadline");
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/crm.db", t_tmpdir());
	struct db *a = db_open(path, err, sizeof err), *b = db_open(path, err, sizeof err);
	CHECK(a != NULL && b != NULL);
	CHECK(db_begin(a) == 0);
	db_busy_deadline(b, 300);
	double t0 = mono_s();
	int rc1 = db_exec(b, "INSERT INTO company (id, name) VALUES (1, 'B')");
	int rc2 = db_exec(b, "INSERT INTO company (id, name) VALUES (1, 'B')");
	double took = mono_s() - t0;
	unsigned failed = b->busy_failed;
	db_rollback(a);
	db_busy_deadline(b, 0);
	int rc3 = db_exec(b, "INSERT INTO company (id, name) VALUES (1, 'B')");
	db_close(a);
	db_close(b);
	CHECK(rc1 != 0 && rc2 != 0 && rc3 == 0);
	CHECK_INT(failed, 2);
	CHECK(took > 0.25 && took < 1.0);
}

static void test_users_log_in_with_argon2id_passwords(void)
{
	struct db *db = fresh_db();
	int64_t id, who;
	CHECK(db != NULL);
	CHECK_INT(db_users_add(db, "Dave Pike", " Dave@Example.com ", "s3cret", "user",
	    "America/Chicago", &id), 0);
	CHECK_INT(db_users_add(db, "Dup", "dave@example.com", "x", "user", "America/Chicago", NULL), -1);
	CHECK_INT(db_users_add(db, "Bad", "not-an-address", "x", "user", "America/Chicago", NULL), -1);
	CHECK_INT(db_users_add(db, "Bad", "b@example.com", "x", "user", "Nowhere/Land", NULL), -1);
	CHECK_INT(db_users_check_password(db, "DAVE@example.com", "s3cret", &who), 0);
	CHECK_INT(who, id);
	CHECK_INT(db_users_check_password(db, "dave@example.com", "wrong", &who), 1);
	CHECK_INT(db_users_check_password(db, "nobody@example.com", "s3cret", &who), 1);
	struct db_stmt *st = db_stmt(db, "SELECT password_hash FROM users");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK(strncmp((const char *)db_col_text(st, 0), "$argon2id$", 10) == 0);
	db_reset(st);
	CHECK_INT(db_users_set_password(db, "dave@example.com", "new"), 0);
	CHECK_INT(db_users_check_password(db, "dave@example.com", "new", &who), 0);
	struct user u;
	CHECK_INT(db_users_get(db, id, &u), 0);
	CHECK_STR(u.email, "dave@example.com");
	CHECK_STR(u.calendar_privacy, "public");
	user_free(&u);
	CHECK_INT(db_users_get(db, 999, &u), 1);
	db_close(db);
}

static void test_one_mailbox_one_crm_user(void)
{
	struct db *db = fresh_db();
	int64_t u1, u2, l1;
	CHECK(db != NULL);
	CHECK_INT(db_users_add(db, "A", "a@example.com", "x", "user", "UTC", &u1), 0);
	CHECK_INT(db_users_add(db, "B", "b@example.com", "x", "user", "UTC", &u2), 0);
	CHECK_INT(db_links_add(db, u1, "imap", "shared@example.com", NULL, NULL, 0, &l1), 0);
	CHECK_INT(db_links_find_address(db, "shared@example.com"), u1);
	CHECK_INT(db_links_add(db, u2, "google", "shared@example.com", NULL, NULL, 0, NULL), -1);
	CHECK_INT(db_links_add(db, u1, "google", "other@example.com", NULL, NULL, 0, NULL), -1);
	CHECK_INT(db_exec(db, "UPDATE links SET status = 'unlinked'"), 0);
	CHECK_INT(db_links_find_address(db, "shared@example.com"), 0);
	CHECK_INT(db_links_add(db, u2, "google", "shared@example.com", NULL, NULL, 0, NULL), 0);
	struct link l;
	CHECK_INT(db_links_get_for_user(db, u2, &l), 0);
	CHECK_STR(l.provider, "google");
	link_free(&l);
	CHECK_INT(db_links_wake(db, l1), 0);
	CHECK_INT(db_links_wake(db, 12345), -1);
	db_close(db);
}

static void test_secrets_are_sealed_at_rest(void)
{
	uint8_t key[CRYPTO_KEY_BYTES], other[CRYPTO_KEY_BYTES];
	char err[256], path[128];
	const char *dir = t_tmpdir();
	snprintf(path, sizeof path, "%s/secret.key", dir);
	CHECK_INT(crypto_key_load(path, 0, key, err, sizeof err), -1);
	CHECK_INT(crypto_key_load(path, 1, key, err, sizeof err), 0);
	CHECK_INT(crypto_key_load(path, 0, other, err, sizeof err), 0);
	CHECK(memcmp(key, other, sizeof key) == 0);
	const char *secret = "{\"refresh_token\":\"1//very-secret-token\"}";
	size_t n;
	uint8_t *blob = crypto_seal(key, secret, strlen(secret), &n);
	CHECK(blob != NULL);
	CHECK(memmem(blob, n, "very-secret", 11) == NULL);
	char *back = crypto_open(key, blob, n);
	CHECK_STR(back, secret);
	free(back);
	blob[n - 1] ^= 1;   /* tampered */
	CHECK(crypto_open(key, blob, n) == NULL);
	memset(other, 7, sizeof other);
	blob[n - 1] ^= 1;
	CHECK(crypto_open(other, blob, n) == NULL);   /* wrong key */
	free(blob);
}

static void test_addresses_compare_trimmed_and_case_insensitive(void)
{
	char out[64];
	CHECK_STR(addr_normalize("  John.Smith@Example.NET\t", out, sizeof out), "john.smith@example.net");
	CHECK(addr_normalize("toolong@example.com", out, 5) == NULL);
	CHECK_INT(addr_valid("a@b.co"), 1);
	const char *bad[] = { "", "a", "a@", "@b.co", "a@b", "a b@c.com", "a@@b.com", "<a@b.com>",
		"a@b.", "a@.com" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(addr_valid(bad[i]), 0);
}

static void test_demo_company_loads_and_reloads_without_copies(void)
{
	struct db *db = fresh_db();
	FILE *devnull = fopen("/dev/null", "w");
	CHECK(db != NULL && devnull != NULL);
	CHECK_INT(demo_load(db, devnull), 0);
	CHECK_INT(demo_load(db, devnull), 0);
	fclose(devnull);
	struct account a;
	CHECK_INT(db_accounts_get_by_number(db, "48958001", &a), 0);
	CHECK_STR(a.name, "Example Account");
	CHECK_STR(a.address1, "1234 Washington Ave");
	CHECK_STR(a.zip, "77007-1062");
	CHECK_STR(a.division, "HOUSTON");
	CHECK_STR(a.class_, "COMMERCIAL");
	CHECK_STR(a.bill_group, "HOU-COMMERCIAL ARREARS");
	CHECK(a.billed_thru == NULL);
	account_free(&a);
	struct db_stmt *st = db_stmt(db, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM"
	    " accounts), (SELECT count(*) FROM appointments), (SELECT count(*) FROM"
	    " appointment_contacts), (SELECT count(*) FROM appointment_attendees)");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 3);
	CHECK_INT(db_col_int(st, 1), 20);
	CHECK_INT(db_col_int(st, 2), 5);
	CHECK_INT(db_col_int(st, 3), 5);
	CHECK_INT(db_col_int(st, 4), 10);   /* organizer + one contact each */
	db_reset(st);
	db_close(db);
}

/* The start of appointment id, or -1. */
static int64_t start_of(struct db *db, int id)
{
	struct db_stmt *st = db_stmt(db, "SELECT start_at FROM appointments WHERE id = ?");
	int64_t t = -1;
	db_bind_int(st, 1, id);
	if (st && db_step(st) == DB_ROW)
		t = db_col_int64(st, 0);
	db_reset(st);
	return t;
}

/* A database from before all-day items were dates: rows stored at a local midnight become
 * 00:00 UTC of their date; others are left as they are. */
static void test_migration_turns_local_midnights_into_dates(void)
{
	T_SQLITE_ONLY("an old SQLite file made by hand, then migrated");
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/crm-allday.db", t_tmpdir());
	sqlite3 *h;
	CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	for (int i = 0; i < 10; i++)
		CHECK(sqlite3_exec(h, schema_migrations[i].sql, NULL, NULL, NULL) == SQLITE_OK);
	/* 2023-07-31 00:00Z is 1690761600 */
	CHECK(sqlite3_exec(h, "PRAGMA user_version=10;"
	    "INSERT INTO company (id, name, time_zone) VALUES (1, 'Co', 'America/Chicago');"
	    "INSERT INTO users (id, name, email, password_hash, time_zone, created_at) VALUES"
	    " (1, 'Nz', 'nz@x', 'x', 'Pacific/Auckland', 0), (2, 'Ber', 'b@x', 'x', 'Europe/Berlin', 0);"
	    "INSERT INTO appointments (id, source, ical_uid, assigned_user_id, start_at, duration_min,"
	    " all_day, time_zone, created_at, updated_at) VALUES"
	    " (1, 'imported', 'chi', NULL, 1690779600, 1440, 1, 'America/Chicago', 0, 0),"
	    " (2, 'imported', 'nz', 1, 1690718400, 1440, 1, NULL, 0, 0),"
	    " (3, 'imported', 'utc', 1, 1690761600, 2880, 1, 'America/Chicago', 0, 0),"
	    " (4, 'crm', 'timed', 1, 1690779600, 30, 0, 'America/Chicago', 0, 0),"
	    " (5, 'imported', 'ber', NULL, 1690754400, 1440, 1, 'Nowhere/Zone', 0, 0),"
	    " (6, 'imported', 'kol', NULL, 1690741800, 0, 2, 'Asia/Kolkata', 0, 0);"
	    "INSERT INTO appointment_users (appointment_id, user_id) VALUES (5, 2);",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	struct db *db = db_open(path, err, sizeof err);
	CHECK(db != NULL);
	CHECK_INT(start_of(db, 1), 1690761600);   /* Chicago midnight (05:00Z) */
	CHECK_INT(start_of(db, 2), 1690761600);   /* Auckland midnight (12:00Z the day before), the
	                                           * user's zone */
	CHECK_INT(start_of(db, 3), 1690761600);   /* already a date */
	CHECK_INT(start_of(db, 4), 1690779600);   /* a timed one is an instant */
	CHECK_INT(start_of(db, 5), 1690761600);   /* Berlin midnight, the copy's user's zone */
	CHECK_INT(start_of(db, 6), 1690761600);   /* Kolkata midnight; all_day 2 reads as 1 */
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM appointments WHERE all_day = 1"
	    " AND duration_min % 1440 = 0 AND duration_min > 0");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 5);
	db_reset(st);
	st = db_stmt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'appointments_all_day_by_start'");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 1);
	db_reset(st);
	db_close(db);
}

/* A session whose token hash cannot be bound is not stored (a NULL token_hash row would be a
 * session no cookie names, and the caller would hand out a cookie that logs no one in). */
static void test_session_not_created_when_a_value_is_not_bound(void)
{
	struct db *db = fresh_db();
	int64_t id, who = 0;
	char token[SESSION_TOKEN_MAX], csrf[SESSION_TOKEN_MAX];
	CHECK(db != NULL);
	CHECK_INT(db_users_add(db, "Dave Pike", "dave@example.com", "s3cret", "user",
	    "America/Chicago", &id), 0);
	CHECK_INT(db_sessions_create(db, id, 8, token, csrf), 0);
	CHECK_INT(db_sessions_get(db, token, &who, csrf), 0);
	CHECK_INT(who, id);
	sqlite3_limit(db->conn, SQLITE_LIMIT_LENGTH, 40);   /* the 64-digit hash no longer binds */
	CHECK_INT(db_sessions_create(db, id, 8, token, csrf), -1);
	CHECK_INT(db_sessions_get(db, token, &who, csrf), -1);
	sqlite3_limit(db->conn, SQLITE_LIMIT_LENGTH, 1000000000);
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM sessions WHERE token_hash IS NULL");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 0);
	db_reset(st);
	db_close(db);
}

T_MAIN(T(test_migrations_apply_once_and_reopen_cleanly), T(test_statements_are_prepared_once),
    T(test_open_does_not_wait_for_a_writer), T(test_lock_waits_end_at_the_deadline),
    T(test_users_log_in_with_argon2id_passwords), T(test_one_mailbox_one_crm_user),
    T(test_secrets_are_sealed_at_rest), T(test_addresses_compare_trimmed_and_case_insensitive),
    T(test_demo_company_loads_and_reloads_without_copies),
    T(test_migration_turns_local_midnights_into_dates),
    T(test_session_not_created_when_a_value_is_not_bound))

/* Sessions keyed by the SHA-256 of the cookie token, and the login_failures counters. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/db_sessions.h"
#include "core/log.h"

static const char SQL_SESSION_ADD[] =
    "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)";
static const char SQL_SESSION_GET[] =
    "SELECT user_id, csrf FROM sessions WHERE token_hash = ? AND expires_at > ?";
static const char SQL_SESSION_DEL[] = "DELETE FROM sessions WHERE token_hash = ?";
static const char SQL_SESSION_PURGE[] = "DELETE FROM sessions WHERE expires_at <= ?";
static const char SQL_FAIL_PURGE[] =
    "DELETE FROM login_failures WHERE locked_until <= ?1 AND window_start < ?1 - 86400";
static const char SQL_LOCKED[] = "SELECT locked_until FROM login_failures WHERE key = ?";
/* A failure outside the window starts a new count; the caller sets the lock it earns. */
static const char SQL_FAILED[] =
    "INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES (?1, 1, ?2, 0)"
    " ON CONFLICT (key) DO UPDATE SET"
    "  failures = CASE WHEN login_failures.window_start <= ?2 - ?3 THEN 1"
    "   ELSE login_failures.failures + 1 END,"
    "  window_start = CASE WHEN login_failures.window_start <= ?2 - ?3 THEN ?2"
    "   ELSE login_failures.window_start END"
    " RETURNING failures";
static const char SQL_LOCK[] = "UPDATE login_failures SET locked_until = ?2 WHERE key = ?1";
static const char SQL_CLEAR[] = "DELETE FROM login_failures WHERE key = ?";

static void token_hash(const char *token, char out[65])
{
	crypto_sha256_hex(token, strlen(token), out);
}

int db_sessions_create(struct db *db, int64_t user_id, int hours, char token[SESSION_TOKEN_MAX],
    char csrf[SESSION_TOKEN_MAX])
{
	char hash[65];
	int64_t now = time(NULL);
	crypto_token(token, SESSION_TOKEN_MAX, 32);
	crypto_token(csrf, SESSION_TOKEN_MAX, 24);
	token_hash(token, hash);
	struct db_stmt *st = db_stmt(db, SQL_SESSION_ADD);
	if (!st)
		return -1;
	if (DB_BOUND(db_bind_text(st, 1, hash)) || DB_BOUND(db_bind_int64(st, 2, user_id)) ||
	    DB_BOUND(db_bind_text(st, 3, csrf)) || DB_BOUND(db_bind_int64(st, 4, now)) ||
	    DB_BOUND(db_bind_int64(st, 5, now + (int64_t)hours * 3600)))
		return -1;
	return db_step_done(db, st);
}

int db_sessions_get(struct db *db, const char *token, int64_t *user_id,
    char csrf[SESSION_TOKEN_MAX])
{
	char hash[65];
	token_hash(token, hash);
	struct db_stmt *st = db_stmt(db, SQL_SESSION_GET);
	if (!st)
		return -1;
	if (DB_BOUND(db_bind_text(st, 1, hash)) || DB_BOUND(db_bind_int64(st, 2, time(NULL))))
		return -1;
	int rc = db_step(st), ret = 1;
	if (rc == DB_ROW) {
		const char *c = db_col_text(st, 1);
		*user_id = db_col_int64(st, 0);
		snprintf(csrf, SESSION_TOKEN_MAX, "%s", c ? (const char *)c : "");
		ret = 0;
	} else if (rc != DB_DONE) {
		log_warnx("db: sessions: %s", db_errmsg(db));
		ret = -1;
	}
	db_reset(st);
	return ret;
}

int db_sessions_delete(struct db *db, const char *token)
{
	char hash[65];
	token_hash(token, hash);
	struct db_stmt *st = db_stmt(db, SQL_SESSION_DEL);
	if (!st)
		return -1;
	db_bind_text(st, 1, hash);
	return db_step_done(db, st);
}

int db_sessions_purge(struct db *db, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_SESSION_PURGE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	if (db_step_done(db, st) != 0 || !(st = db_stmt(db, SQL_FAIL_PURGE)))
		return -1;
	db_bind_int64(st, 1, now);
	return db_step_done(db, st);
}

int db_login_locked(struct db *db, const char *key, int64_t now, int64_t *until)
{
	struct db_stmt *st = db_stmt(db, SQL_LOCKED);
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	int rc = db_step(st), ret = 0;
	if (rc == DB_ROW) {
		int64_t u = db_col_int64(st, 0);
		if (u > now) {
			*until = u;
			ret = 1;
		}
	} else if (rc != DB_DONE) {
		ret = -1;
	}
	db_reset(st);
	return ret;
}

int db_login_failed(struct db *db, const char *key, int64_t now, int window, int *failures)
{
	struct db_stmt *st = db_stmt(db, SQL_FAILED);
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_int64(st, 2, now);
	db_bind_int(st, 3, window);
	int rc = db_step(st), ret = -1;
	if (rc == DB_ROW) {
		*failures = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (rc == DB_DONE)
		ret = 0;
	else
		log_warnx("db: login_failures: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_login_lock(struct db *db, const char *key, int64_t until)
{
	struct db_stmt *st = db_stmt(db, SQL_LOCK);
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_int64(st, 2, until);
	return db_step_done(db, st);
}

int db_login_clear(struct db *db, const char *key)
{
	struct db_stmt *st = db_stmt(db, SQL_CLEAR);
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	return db_step_done(db, st);
}

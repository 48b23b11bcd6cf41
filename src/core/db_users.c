/* Users: add, change password, load, check a password; and the company row. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/addr.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/models.h"
#include "core/timeutil.h"

static const char SQL_USER_ADD[] =
    "INSERT INTO users (name, email, password_hash, role, time_zone, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
static const char SQL_USER_PASSWD[] = "UPDATE users SET password_hash = ? WHERE email = ?";
/* A new password ends every session of its user (a stolen cookie dies with the old password). */
static const char SQL_USER_SESSIONS_END[] =
    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)";
static const char SQL_USER_GET[] =
    "SELECT id, name, email, role, title, time_zone, calendar_privacy FROM users WHERE id = ?";
static const char SQL_USER_GET_EMAIL[] =
    "SELECT id, name, email, role, title, time_zone, calendar_privacy FROM users WHERE email = ?";
static const char SQL_USER_LIST[] =
    "SELECT id, name, email, role, title, time_zone, calendar_privacy FROM users ORDER BY id";
static const char SQL_USER_HASH[] = "SELECT id, password_hash FROM users WHERE email = ?";
static const char SQL_COMPANY_SET[] =
    "INSERT INTO company (id, name, time_zone) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone";

void user_free(struct user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->email);
	free(u->role);
	free(u->title);
	free(u->time_zone);
	free(u->calendar_privacy);
	memset(u, 0, sizeof *u);
}

int db_users_add(struct db *db, const char *name, const char *email, const char *password,
    const char *role, const char *time_zone, int64_t *id)
{
	char norm[256], hash[128];
	if (!addr_normalize(email, norm, sizeof norm) || !addr_valid(norm)) {
		log_warnx("user %s: not a valid e-mail address", email);
		return -1;
	}
	if (!tz_valid(time_zone)) {
		log_warnx("user %s: unknown time zone %s", email, time_zone);
		return -1;
	}
	if (crypto_password_hash(password, hash) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_USER_ADD);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, norm);
	db_bind_text(st, 3, hash);
	db_bind_text(st, 4, role);
	db_bind_text(st, 5, time_zone);
	db_bind_int64(st, 6, time(NULL));
	int64_t made;
	if (db_step_id(db, st, &made) != 0)
		return -1;
	if (id)
		*id = made;
	return 0;
}

int db_users_set_password(struct db *db, const char *email, const char *password)
{
	char norm[256], hash[128];
	if (!addr_normalize(email, norm, sizeof norm) || crypto_password_hash(password, hash) != 0)
		return -1;
	if (db_begin(db) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_USER_PASSWD);
	if (!st)
		goto fail;
	if (DB_BOUND(db_bind_text(st, 1, hash)) || DB_BOUND(db_bind_text(st, 2, norm)) ||
	    db_step_done(db, st) != 0 || db_changes(db) != 1)
		goto fail;
	if (!(st = db_stmt(db, SQL_USER_SESSIONS_END)) || DB_BOUND(db_bind_text(st, 1, norm)) ||
	    db_step_done(db, st) != 0 || db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

/* The user in the current row of st (columns as in SQL_USER_GET). Returns 0 or -1. */
static int user_row(struct db_stmt *st, struct user *u)
{
	memset(u, 0, sizeof *u);
	u->id = db_col_int64(st, 0);
	u->name = db_col_strdup(st, 1);
	u->email = db_col_strdup(st, 2);
	u->role = db_col_strdup(st, 3);
	u->title = db_col_strdup(st, 4);
	u->time_zone = db_col_strdup(st, 5);
	u->calendar_privacy = db_col_strdup(st, 6);
	if (!u->name || !u->email || !u->role || !u->title || !u->time_zone || !u->calendar_privacy) {
		user_free(u);
		return -1;
	}
	return 0;
}

static int user_load(struct db *db, struct db_stmt *st, struct user *u)
{
	memset(u, 0, sizeof *u);
	int rc = db_step(st);
	if (rc == DB_DONE) {
		db_reset(st);
		return 1;
	}
	if (rc != DB_ROW) {
		log_warnx("db: users: %s", db_errmsg(db));
		db_reset(st);
		return -1;
	}
	rc = user_row(st, u);
	db_reset(st);
	return rc;
}

int db_users_list(struct db *db, int (*each)(void *ctx, const struct user *u), void *ctx)
{
	struct db_stmt *st = db_stmt(db, SQL_USER_LIST);
	if (!st)
		return -1;
	int rc, out = 0;
	while (out == 0 && (rc = db_step(st)) == DB_ROW) {
		struct user u;
		if (user_row(st, &u) != 0) {
			out = -1;
			break;
		}
		out = each(ctx, &u);
		user_free(&u);
	}
	if (out == 0 && rc != DB_DONE) {
		log_warnx("db: users: %s", db_errmsg(db));
		out = -1;
	}
	db_reset(st);
	return out;
}

int db_users_get(struct db *db, int64_t id, struct user *u)
{
	struct db_stmt *st = db_stmt(db, SQL_USER_GET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return user_load(db, st, u);
}

int db_users_get_by_email(struct db *db, const char *email, struct user *u)
{
	char norm[256];
	struct db_stmt *st = db_stmt(db, SQL_USER_GET_EMAIL);
	if (!st || !addr_normalize(email, norm, sizeof norm))
		return -1;
	db_bind_text(st, 1, norm);
	return user_load(db, st, u);
}

int db_users_check_password(struct db *db, const char *email, const char *password, int64_t *id)
{
	/* A fixed hash to verify against when the user is unknown, so timing does not tell. */
	static const char dummy[] = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "3vT6qzV9Ygq2Gk7bJm6J0rQe0h2wqv3rX0d8S1m0k2Q";
	char norm[256];
	struct db_stmt *st = db_stmt(db, SQL_USER_HASH);
	if (!st || !addr_normalize(email, norm, sizeof norm))
		return -1;
	db_bind_text(st, 1, norm);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		int64_t uid = db_col_int64(st, 0);
		char *hash = db_col_strdup(st, 1);
		db_reset(st);
		int ok = hash && crypto_password_verify(hash, password);
		free(hash);
		if (!ok)
			return 1;
		*id = uid;
		return 0;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	crypto_password_verify(dummy, password);
	return 1;
}

int db_company_set(struct db *db, const char *name, const char *time_zone)
{
	struct db_stmt *st = db_stmt(db, SQL_COMPANY_SET);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, time_zone);
	return db_step_done(db, st);
}

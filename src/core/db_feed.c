/* The private calendar feed: secrets and the appointments it lists. */
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "core/db_feed.h"
#include "core/log.h"

/* users.feed_secret holds the SHA-256 (hex) of the secret, never the secret itself. */
static const char SQL_SECRET_GET[] =
    "SELECT feed_secret IS NOT NULL FROM users WHERE id = ?";
static const char SQL_SECRET_SET[] = "UPDATE users SET feed_secret = ?2 WHERE id = ?1";
static const char SQL_BY_SECRET[] = "SELECT id FROM users WHERE feed_secret = ?";
/* A secret stored in clear before hashing (43 base64url characters, never a 64-digit hash): it
 * still opens its feed once and is replaced by its hash then, so addresses users subscribed to
 * keep working. A hash itself is never accepted as a secret. */
static const char SQL_BY_CLEAR_SECRET[] =
    "SELECT id FROM users WHERE feed_secret = ? AND length(feed_secret) != 64";
static const char SQL_EVENTS[] =
    "SELECT a.ical_uid, a.recurrence_id, a.start_at, a.duration_min, a.all_day, a.time_zone,"
    " a.cancelled, a.updated_at, a.title, a.location,"
    " CASE WHEN a.note != '' THEN a.note ELSE a.description END"
    " FROM appointments a JOIN appointment_users au ON au.appointment_id = a.id"
    " WHERE au.user_id = ?1 AND au.hidden = 0 AND a.hidden = 0 AND a.start_at >= ?2 AND a.start_at < ?3"
    " ORDER BY a.start_at, a.id";

int db_feed_on(struct db *db, int64_t user_id, int *on)
{
	*on = 0;
	struct db_stmt *st = db_stmt(db, SQL_SECRET_GET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	int rc = db_step(st), ret = rc == DB_ROW || rc == DB_DONE ? 0 : -1;
	if (rc == DB_ROW)
		*on = db_col_int(st, 0);
	db_reset(st);
	return ret;
}

int db_feed_secret_set(struct db *db, int64_t user_id, const char *secret)
{
	char hash[65];
	struct db_stmt *st = db_stmt(db, SQL_SECRET_SET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	if (secret) {
		crypto_sha256_hex(secret, strlen(secret), hash);
		db_bind_text(st, 2, hash);
	} else {
		db_bind_null(st, 2);
	}
	return db_step_done(db, st);
}

int db_feed_user_by_secret(struct db *db, const char *secret, int64_t *user_id)
{
	char hash[65];
	struct db_stmt *st = db_stmt(db, SQL_BY_SECRET);
	if (!st)
		return -1;
	crypto_sha256_hex(secret, strlen(secret), hash);
	db_bind_text(st, 1, hash);
	int rc = db_step(st), ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW) {
		*user_id = db_col_int64(st, 0);
		ret = 0;
	}
	db_reset(st);
	if (ret != 1 || strlen(secret) == 64 || !(st = db_stmt(db, SQL_BY_CLEAR_SECRET)))
		return ret;
	db_bind_text(st, 1, secret);
	rc = db_step(st);
	ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW) {
		*user_id = db_col_int64(st, 0);
		ret = 0;
	}
	db_reset(st);
	if (ret == 0 && db_feed_secret_set(db, *user_id, secret) != 0)
		log_warnx("feed: could not replace user %lld's clear secret by its hash",
		    (long long)*user_id);
	return ret;
}

void feed_rows_free(struct feed_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct feed_event *e = &r->v[i];
		free((char *)e->uid);
		free((char *)e->recurrence_id);
		free((char *)e->time_zone);
		free((char *)e->title);
		free((char *)e->location);
		free((char *)e->description);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

static char *col(struct db_stmt *st, int i)
{
	char *s = db_col_strdup(st, i);
	return s ? s : strdup("");
}

int db_feed_events(struct db *db, int64_t user_id, int64_t from, int64_t to,
    struct feed_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_EVENTS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, from);
	db_bind_int64(st, 3, to);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 32;
			struct feed_event *n = realloc(out->v, ncap * sizeof *n);
			if (!n)
				goto fail;
			out->v = n;
			out->cap = ncap;
		}
		struct feed_event *e = &out->v[out->n++];
		memset(e, 0, sizeof *e);
		e->uid = col(st, 0);
		e->recurrence_id = col(st, 1);
		e->start_at = db_col_int64(st, 2);
		e->duration_min = db_col_int(st, 3);
		e->all_day = db_col_int(st, 4);
		e->time_zone = db_col_strdup(st, 5);
		e->cancelled = db_col_int(st, 6);
		e->updated_at = db_col_int64(st, 7);
		e->title = col(st, 8);
		e->location = col(st, 9);
		e->description = col(st, 10);
		if (!e->uid || !e->recurrence_id || !e->title || !e->location || !e->description)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_reset(st);
	return 0;
fail:
	log_warnx("db: feed of user %lld: %s", (long long)user_id, db_errmsg(db));
	db_reset(st);
	return -1;
}

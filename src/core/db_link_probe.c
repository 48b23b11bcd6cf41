/* SQL of the queued login tests of the IMAP + CalDAV link form (see db_link_probe.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_link_probe.h"
#include "core/log.h"

static const char SQL_ADD[] =
    "INSERT INTO link_probes (user_id, purpose, address, settings, secret, created_at,"
    " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
static const char SQL_COUNT[] =
    "SELECT count(*) FROM link_probes WHERE user_id = ? AND created_at >= ?";
static const char SQL_GET[] =
    "SELECT id, user_id, purpose, address, settings, state, error, created_at, expires_at"
    " FROM link_probes WHERE id = ? AND user_id = ?";
static const char SQL_SECRET[] =
    "SELECT secret FROM link_probes WHERE id = ? AND user_id = ? AND state = 'ok'"
    " AND secret IS NOT NULL";
static const char SQL_TAKE[] =
    "UPDATE link_probes SET state = 'saved', secret = NULL WHERE id = ? AND state = 'ok'";
static const char SQL_REFUSED[] =
    "UPDATE link_probes SET state = 'failed', error = ?2 WHERE id = ?1";
static const char SQL_CLAIM[] =
    "UPDATE link_probes SET state = 'running' WHERE id = (SELECT id FROM link_probes"
    " WHERE state = 'pending' AND expires_at > ?1 ORDER BY id LIMIT 1) AND state = 'pending'"
    " RETURNING id, user_id, purpose, address, settings, state, error, created_at, expires_at,"
    " secret";
static const char SQL_FINISH[] =
    "UPDATE link_probes SET state = CASE WHEN ?2 != 0 THEN 'ok' ELSE 'failed' END, error = ?3,"
    " finished_at = ?4, secret = CASE WHEN ?2 != 0 THEN secret ELSE NULL END"
    " WHERE id = ?1 AND state = 'running'";
static const char SQL_EXPIRE[] =
    "UPDATE link_probes SET secret = NULL, error = ?2, state = 'failed'"
    " WHERE expires_at < ?1 AND state IN ('pending', 'running', 'ok')";
static const char SQL_DROP_OLD[] = "DELETE FROM link_probes WHERE created_at < ?";

void link_probe_free(struct link_probe *p)
{
	if (!p)
		return;
	free(p->address);
	free(p->settings);
	free(p->error);
	if (p->secret)
		explicit_bzero(p->secret, p->secret_len);
	free(p->secret);
	memset(p, 0, sizeof *p);
}

static void copy_col(char *dst, size_t size, struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

/* The columns of SQL_GET (and the first nine of SQL_CLAIM) into *p; 0 or -1 (out of memory). */
static int read_row(struct db_stmt *st, struct link_probe *p)
{
	p->id = db_col_int64(st, 0);
	p->user_id = db_col_int64(st, 1);
	copy_col(p->purpose, sizeof p->purpose, st, 2);
	p->address = db_col_strdup(st, 3);
	p->settings = db_col_strdup(st, 4);
	copy_col(p->state, sizeof p->state, st, 5);
	p->error = db_col_is_null(st, 6) ? NULL : db_col_strdup(st, 6);
	p->created_at = db_col_int64(st, 7);
	p->expires_at = db_col_int64(st, 8);
	return p->address && p->settings ? 0 : -1;
}

/* A copy of blob column i (NULL when the column is NULL or empty). */
static uint8_t *col_blob(struct db_stmt *st, int i, size_t *len)
{
	const void *b = db_col_blob(st, i);
	int n = db_col_bytes(st, i);
	uint8_t *out = b && n > 0 ? malloc((size_t)n) : NULL;
	if (out)
		memcpy(out, b, (size_t)n);
	*len = out ? (size_t)n : 0;
	return out;
}

int db_link_probe_add(struct db *db, int64_t user_id, const char *purpose, const char *address,
    const char *settings, const uint8_t *blob, size_t len, int timeout_s, int64_t now,
    int64_t *id)
{
	if (db_link_probe_purge(db, now, "The connection test did not finish in time; try again.")
	    != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, purpose);
	db_bind_text(st, 3, address);
	db_bind_text(st, 4, settings);
	db_bind_blob(st, 5, blob, len);
	db_bind_int64(st, 6, now);
	db_bind_int64(st, 7, now + timeout_s + LINK_PROBE_PICKUP_S);
	return db_step_id(db, st, id);
}

int db_link_probe_count_since(struct db *db, int64_t user_id, int64_t since)
{
	struct db_stmt *st = db_stmt(db, SQL_COUNT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, since);
	int rc = db_step(st);
	int n = rc == DB_ROW ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int db_link_probe_get(struct db *db, int64_t id, int64_t user_id, struct link_probe *p)
{
	struct db_stmt *st = db_stmt(db, SQL_GET);
	memset(p, 0, sizeof *p);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	int rc = db_step(st), out = -1;
	if (rc == DB_ROW)
		out = read_row(st, p);
	else if (rc == DB_DONE)
		out = 1;
	db_reset(st);
	if (out < 0)
		link_probe_free(p);
	return out;
}

int db_link_probe_take(struct db *db, int64_t id, int64_t user_id, uint8_t **blob, size_t *len)
{
	struct db_stmt *st;
	int rc = -1;
	*blob = NULL;
	*len = 0;
	if (db_begin(db) != 0)
		return -1;
	if (!(st = db_stmt(db, SQL_SECRET)))
		goto out;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	int step = db_step(st);
	if (step == DB_ROW)
		*blob = col_blob(st, 0, len);
	db_reset(st);
	if (step == DB_DONE) {
		rc = 1;
		goto out;
	}
	if (!*blob || !(st = db_stmt(db, SQL_TAKE)))
		goto out;
	db_bind_int64(st, 1, id);
	if (db_step_done(db, st) == 0 && db_commit(db) == 0)
		return 0;
out:
	db_rollback(db);
	if (rc != 0) {
		free(*blob);
		*blob = NULL;
		*len = 0;
	}
	return rc;
}

int db_link_probe_refused(struct db *db, int64_t id, const char *message)
{
	struct db_stmt *st = db_stmt(db, SQL_REFUSED);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, message);
	return db_step_done(db, st);
}

int db_link_probe_claim(struct db *db, int64_t now, int timeout_s, struct link_probe *p)
{
	struct db_stmt *st = db_stmt(db, SQL_CLAIM);
	memset(p, 0, sizeof *p);
	if (!st)
		return -1;
	/* a test it could not finish before its expiry is left to fail there */
	db_bind_int64(st, 1, now + timeout_s + 2);
	int rc = db_step(st), out = -1;
	if (rc == DB_ROW && read_row(st, p) == 0 &&
	    (p->secret = col_blob(st, 9, &p->secret_len)) != NULL &&
	    db_step(st) == DB_DONE)
		out = 1;
	else if (rc == DB_DONE)
		out = 0;
	if (out < 0)
		log_warnx("db: link_probes: claim: %s", db_errmsg(db));
	db_reset(st);
	if (out != 1)
		link_probe_free(p);
	return out;
}

int db_link_probe_finish(struct db *db, int64_t id, int ok, const char *message, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_FINISH);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int(st, 2, ok != 0);
	db_bind_text(st, 3, message);
	db_bind_int64(st, 4, now);
	return db_step_done(db, st);
}

int db_link_probe_purge(struct db *db, int64_t now, const char *message)
{
	struct db_stmt *st = db_stmt(db, SQL_EXPIRE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_text(st, 2, message);
	if (db_step_done(db, st) != 0 || !(st = db_stmt(db, SQL_DROP_OLD)))
		return -1;
	db_bind_int64(st, 1, now - LINK_PROBE_KEEP_S);
	return db_step_done(db, st);
}

/* The sync engine's SQL for scheduling: due links, wake-ups, cursors and pass outcomes. */
#include <stdlib.h>
#include <string.h>

#include "core/db_sync.h"
#include "core/log.h"

/* A wake-up inside a provider's Retry-After stays set until the wait is over. */
static const char SQL_TAKE_WAKES[] =
    "UPDATE links SET wake = 0, next_due_at = CASE WHEN next_due_at < ?1 THEN next_due_at"
    " ELSE ?1 END WHERE wake = 1 AND rate_limited_until <= ?1 RETURNING id";
static const char SQL_DUE[] =
    "SELECT id FROM links WHERE status = 'active' AND proved_at IS NOT NULL AND next_due_at <= ?1"
    " AND rate_limited_until <= ?1 ORDER BY next_due_at, id LIMIT ?2";
static const char SQL_ACTIVE[] =
    "SELECT id FROM links WHERE status = 'active' AND proved_at IS NOT NULL ORDER BY id LIMIT ?";
static const char SQL_CURSOR_GET[] =
    "SELECT cursor FROM sync_cursors WHERE link_id = ? AND stream = ?";
static const char SQL_CURSOR_SET[] =
    "INSERT INTO sync_cursors (link_id, stream, cursor, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (link_id, stream) DO UPDATE SET cursor = excluded.cursor,"
    " updated_at = excluded.updated_at";
static const char SQL_CURSOR_DROP[] =
    "DELETE FROM sync_cursors WHERE link_id = ? AND stream = ?";
static const char SQL_CURSOR_REFUSED[] =
    "UPDATE links SET cursor_refused_at = ? WHERE id = ?";
static const char SQL_ATTEMPT[] = "UPDATE links SET last_attempt_at = ? WHERE id = ?";
static const char SQL_OK[] =
    "UPDATE links SET failures = 0, last_success_at = ?1, last_error = NULL, relink_notice_at = NULL,"
    " next_due_at = CASE WHEN ?2 > 0 THEN ?2 ELSE next_due_at END WHERE id = ?3";
static const char SQL_FAILED[] =
    "UPDATE links SET failures = failures + 1, last_error = ?, last_error_at = ?,"
    " next_due_at = ?, status = CASE WHEN ? != 0 AND status = 'active' THEN 'relink' ELSE status END"
    " WHERE id = ?";
static const char SQL_RATE_LIMITED[] =
    "UPDATE links SET rate_limited_until = ?2 WHERE id = ?1 AND rate_limited_until < ?2";
static const char SQL_ITEMS[] =
    "UPDATE links SET items_imported = items_imported + ? WHERE id = ?";
static const char SQL_SKIPPED[] =
    "UPDATE links SET items_skipped = items_skipped + ? WHERE id = ?";
static const char SQL_EVENT[] =
    "INSERT INTO link_events (link_id, at, kind, n) VALUES (?1, ?2 - ?2 % 60, ?3, ?4)"
    " ON CONFLICT (link_id, at, kind) DO UPDATE SET n = link_events.n + excluded.n";
static const char SQL_EVENTS_PRUNE[] = "DELETE FROM link_events WHERE at < ?";
static const char SQL_PUSH_STATE[] =
    "UPDATE links SET push_state = ?2, push_state_at = ?3 WHERE id = ?1"
    " AND (?4 = 0 OR push_state_at = ?4)";
/* A link that turned to re-link since its last good pass is claimed once, by one daemon. The
 * look comes first, so the tick takes no write lock while no notice waits. */
static const char SQL_RELINK_WAITING[] =
    "SELECT id FROM links WHERE status = 'relink' AND relink_notice_at IS NULL ORDER BY id LIMIT 1";
static const char SQL_RELINK_CLAIM[] =
    "UPDATE links SET relink_notice_at = ?1 WHERE id = ?2 AND status = 'relink'"
    " AND relink_notice_at IS NULL";
static const char SQL_RELINK_WHO[] =
    "SELECT u.email, l.address, l.provider FROM links l JOIN users u ON u.id = l.user_id"
    " WHERE l.id = ?";
static const char SQL_SECRET[] = "UPDATE links SET secret = ? WHERE id = ?";
static const char SQL_CONFIGURE[] =
    "UPDATE links SET sync_email = ?, sync_calendar = ?, backfill_days = ? WHERE id = ?";

static const char SQL_CHANNEL_GET[] =
    "SELECT channel_id, resource_id, token, expires_at, renewed_at FROM push_channels"
    " WHERE link_id = ? AND stream = ?";
static const char SQL_CHANNEL_SET[] =
    "INSERT INTO push_channels (link_id, stream, channel_id, resource_id, token, expires_at,"
    " renewed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id, stream) DO UPDATE SET"
    " channel_id = excluded.channel_id, resource_id = excluded.resource_id,"
    " token = excluded.token, expires_at = excluded.expires_at, renewed_at = excluded.renewed_at";

int db_sync_take_wakes(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n)
{
	struct db_stmt *st = db_stmt(db, SQL_TAKE_WAKES);
	*n = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	return db_step_ids(db, st, ids, max, n);
}

int db_sync_due(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n)
{
	struct db_stmt *st = db_stmt(db, SQL_DUE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, (int64_t)max);
	return db_step_ids(db, st, ids, max, n);
}

int db_sync_active(struct db *db, int64_t *ids, size_t max, size_t *n)
{
	struct db_stmt *st = db_stmt(db, SQL_ACTIVE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, (int64_t)max);
	return db_step_ids(db, st, ids, max, n);
}

int db_sync_cursor_get(struct db *db, int64_t link, const char *stream, char **out)
{
	struct db_stmt *st = db_stmt(db, SQL_CURSOR_GET);
	*out = NULL;
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, stream);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*out = db_col_strdup(st, 0);
	db_reset(st);
	if (rc == DB_DONE)
		return 1;
	return rc == DB_ROW && *out ? 0 : -1;
}

int db_sync_cursor_set(struct db *db, int64_t link, const char *stream, const char *cursor,
    int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_CURSOR_SET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, stream);
	db_bind_text(st, 3, cursor ? cursor : "");
	db_bind_int64(st, 4, now);
	return db_step_done(db, st);
}

static int step_2(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	return db_step_done(db, st);
}

int db_sync_cursor_drop(struct db *db, int64_t link, const char *stream, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_CURSOR_DROP);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, stream);
	if (db_step_done(db, st) != 0)
		return -1;
	return step_2(db, SQL_CURSOR_REFUSED, now, link);
}

int db_sync_link_attempt(struct db *db, int64_t link, int64_t now)
{
	return step_2(db, SQL_ATTEMPT, now, link);
}

int db_sync_link_ok(struct db *db, int64_t link, int64_t now, int64_t next_due)
{
	struct db_stmt *st = db_stmt(db, SQL_OK);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, next_due);
	db_bind_int64(st, 3, link);
	return db_step_done(db, st);
}

int db_sync_link_failed(struct db *db, int64_t link, int64_t now, int64_t next_due,
    const char *error, int relink)
{
	struct db_stmt *st = db_stmt(db, SQL_FAILED);
	if (!st)
		return -1;
	db_bind_text(st, 1, error ? error : "error");
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, next_due);
	db_bind_int(st, 4, relink != 0);
	db_bind_int64(st, 5, link);
	return db_step_done(db, st);
}

int db_sync_link_rate_limited(struct db *db, int64_t link, int64_t until)
{
	/* Times are whole seconds, taken when the second had partly gone: one more second keeps the
	 * hold from ending before the provider's Retry-After has passed in full. */
	return step_2(db, SQL_RATE_LIMITED, link, until + 1);
}

int db_sync_link_add_items(struct db *db, int64_t link, int64_t n)
{
	return n ? step_2(db, SQL_ITEMS, n, link) : 0;
}

int db_sync_link_add_skipped(struct db *db, int64_t link, int64_t n)
{
	return n ? step_2(db, SQL_SKIPPED, n, link) : 0;
}

int db_sync_link_event(struct db *db, int64_t link, int64_t now, const char *kind, int64_t n)
{
	if (n <= 0)
		return 0;
	struct db_stmt *st = db_stmt(db, SQL_EVENT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_int64(st, 2, now);
	db_bind_text(st, 3, kind);
	db_bind_int64(st, 4, n);
	return db_step_done(db, st);
}

int db_sync_link_events_prune(struct db *db, int64_t before)
{
	struct db_stmt *st = db_stmt(db, SQL_EVENTS_PRUNE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, before);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db);
}

int db_sync_link_push_state(struct db *db, int64_t link, const char *state, int64_t now,
    int64_t if_at)
{
	struct db_stmt *st = db_stmt(db, SQL_PUSH_STATE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, state);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, if_at);
	return db_step_done(db, st);
}

int db_sync_link_secret(struct db *db, int64_t link, const uint8_t *blob, size_t len)
{
	struct db_stmt *st = db_stmt(db, SQL_SECRET);
	if (!st)
		return -1;
	db_bind_blob(st, 1, blob, len);
	db_bind_int64(st, 2, link);
	return db_step_done(db, st);
}

int db_sync_link_configure(struct db *db, int64_t link, int sync_email, int sync_calendar,
    int backfill_days)
{
	struct db_stmt *st = db_stmt(db, SQL_CONFIGURE);
	if (!st)
		return -1;
	db_bind_int(st, 1, sync_email != 0);
	db_bind_int(st, 2, sync_calendar != 0);
	db_bind_int(st, 3, backfill_days);
	db_bind_int64(st, 4, link);
	return db_step_done(db, st);
}

int db_sync_channel_get(struct db *db, int64_t link, const char *stream, struct subscription *sub,
    int64_t *renewed_at)
{
	struct db_stmt *st = db_stmt(db, SQL_CHANNEL_GET);
	memset(sub, 0, sizeof *sub);
	*renewed_at = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, stream);
	int rc = db_step(st), ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW) {
		sub->channel_id = db_col_strdup(st, 0);
		sub->resource_id = db_col_strdup(st, 1);
		sub->token = db_col_strdup(st, 2);
		sub->expires_at = db_col_int64(st, 3);
		*renewed_at = db_col_int64(st, 4);
		ret = sub->channel_id && sub->token ? 0 : -1;
		if (ret)
			subscription_clear(sub);
	} else if (rc != DB_DONE) {
		log_warnx("db: push channels: %s", db_errmsg(db));
	}
	db_reset(st);
	return ret;
}

int db_sync_channel_set(struct db *db, int64_t link, const char *stream,
    const struct subscription *sub, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_CHANNEL_SET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, stream);
	db_bind_text(st, 3, sub->channel_id);
	db_bind_text(st, 4, sub->resource_id);
	db_bind_text(st, 5, sub->token);
	db_bind_int64(st, 6, sub->expires_at);
	db_bind_int64(st, 7, now);
	return db_step_done(db, st);
}

void relink_notice_free(struct relink_notice *n)
{
	free(n->to);
	free(n->address);
	free(n->provider);
	memset(n, 0, sizeof *n);
}

int db_sync_relink_claim(struct db *db, int64_t now, struct relink_notice *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_stmt(db, SQL_RELINK_WAITING);
	if (!st)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ROW)
		out->link_id = db_col_int64(st, 0);
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW) {
		log_warnx("db: re-link notices: %s", db_errmsg(db));
		return -1;
	}
	if (step_2(db, SQL_RELINK_CLAIM, now, out->link_id) != 0)
		return -1;
	if (db_changes(db) != 1)
		return 0;   /* another daemon claimed it first */
	if (!(st = db_stmt(db, SQL_RELINK_WHO)))
		return -1;
	db_bind_int64(st, 1, out->link_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		out->to = db_col_strdup(st, 0);
		out->address = db_col_strdup(st, 1);
		out->provider = db_col_strdup(st, 2);
	}
	db_reset(st);
	if (rc != DB_ROW || !out->to || !out->address || !out->provider) {
		log_warnx("link %lld: re-link notice: its user cannot be read", (long long)out->link_id);
		relink_notice_free(out);
		return -1;
	}
	return 1;
}

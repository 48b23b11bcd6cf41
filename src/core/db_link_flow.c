/* SQL of the link flow, Sync settings, sync health and webhook lookups (see db_link_flow.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/db_link_flow.h"
#include "core/log.h"

static const char SQL_STATE_PURGE[] = "DELETE FROM oauth_states WHERE expires_at < ?";
static const char SQL_STATE_ADD[] =
    "INSERT INTO oauth_states (state, session_hash, user_id, provider, code_verifier, purpose,"
    " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_STATE_TAKE[] =
    "DELETE FROM oauth_states WHERE state = ? RETURNING session_hash, user_id, provider,"
    " code_verifier, purpose, expires_at";
static const char SQL_LINK_RESYNC[] =
    "UPDATE links SET secret = ?2, settings = coalesce(?3, settings), status = 'active',"
    " failures = 0, last_error = NULL, last_error_at = NULL, next_due_at = 0, wake = 1"
    " WHERE id = ?1";
static const char SQL_LINK_UNLINK[] =
    "UPDATE links SET status = 'unlinked', secret = NULL, wake = 0 WHERE id = ?";
static const char SQL_CURSORS_DROP[] = "DELETE FROM sync_cursors WHERE link_id = ?";
static const char SQL_CHANNELS_DROP[] = "DELETE FROM push_channels WHERE link_id = ?";
static const char SQL_LINK_STREAMS[] =
    "UPDATE links SET sync_email = ?2, sync_calendar = ?3, sync_folder = ?4, wake = 1"
    " WHERE id = ?1";
static const char SQL_LINK_BY_GRANT[] =
    "SELECT id, settings FROM links WHERE provider = 'nylas' AND status = 'active' ORDER BY id";
static const char SQL_CHANNEL_FIND[] =
    "SELECT p.link_id, p.token FROM push_channels p JOIN links l ON l.id = p.link_id"
    " WHERE p.channel_id = ? AND l.status = 'active'";
static const char SQL_HEALTH[] =
    "SELECT status, linked_at, coalesce(last_success_at, 0), coalesce(cursor_refused_at, 0),"
    " provider, coalesce(proved_at, 0) FROM links WHERE user_id = ? AND status != 'unlinked'";
static const char SQL_PRIVACY[] = "UPDATE users SET calendar_privacy = ?2 WHERE id = ?1";
static const char SQL_COLLEAGUES[] =
    "SELECT u.id, u.name, u.email, CASE WHEN EXISTS (SELECT 1 FROM calendar_shares s"
    " WHERE s.owner_id = ?1 AND s.viewer_id = u.id) THEN 1 ELSE 0 END"
    " FROM users u WHERE u.id != ?1 ORDER BY u.name, u.id";
static const char SQL_SHARES_CLEAR[] = "DELETE FROM calendar_shares WHERE owner_id = ?";
static const char SQL_SHARE_ADD[] =
    "INSERT INTO calendar_shares (owner_id, viewer_id)"
    " SELECT ?1, id FROM users WHERE id = ?2 AND id != ?1 ON CONFLICT DO NOTHING";

/* Run a statement binding one id; 0 or -1. */
static int exec_id(struct db *db, const char *sql, int64_t id)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return db_step_done(db, st);
}

int db_oauth_state_add(struct db *db, const char *state, const struct oauth_state *s,
    int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_STATE_PURGE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	if (db_step_done(db, st) != 0 || !(st = db_stmt(db, SQL_STATE_ADD)))
		return -1;
	db_bind_text(st, 1, state);
	db_bind_text(st, 2, s->session_hash);
	db_bind_int64(st, 3, s->user_id);
	db_bind_text(st, 4, s->provider);
	db_bind_text(st, 5, s->verifier);
	db_bind_text(st, 6, s->purpose);
	db_bind_int64(st, 7, now);
	db_bind_int64(st, 8, now + OAUTH_STATE_TTL);
	return db_step_done(db, st);
}

static void copy_col(char *dst, size_t size, struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

int db_oauth_state_take(struct db *db, const char *state, struct oauth_state *s)
{
	struct db_stmt *st = db_stmt(db, SQL_STATE_TAKE);
	memset(s, 0, sizeof *s);
	if (!st)
		return -1;
	db_bind_text(st, 1, state);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		copy_col(s->session_hash, sizeof s->session_hash, st, 0);
		s->user_id = db_col_int64(st, 1);
		copy_col(s->provider, sizeof s->provider, st, 2);
		copy_col(s->verifier, sizeof s->verifier, st, 3);
		copy_col(s->purpose, sizeof s->purpose, st, 4);
		s->expires_at = db_col_int64(st, 5);
		rc = db_step(st);   /* finish the DELETE */
		db_reset(st);
		return rc == DB_DONE ? 0 : -1;
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 1;
	log_warnx("db: oauth_states: %s", db_errmsg(db));
	return -1;
}

int db_link_resync(struct db *db, int64_t link, const uint8_t *blob, size_t len,
    const char *settings)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_RESYNC);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_blob(st, 2, blob, len);
	db_bind_text(st, 3, settings);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) == 1 ? 0 : -1;
}

int db_link_unlink(struct db *db, int64_t link)
{
	if (db_begin(db) != 0)
		return -1;
	if (exec_id(db, SQL_LINK_UNLINK, link) != 0 || exec_id(db, SQL_CURSORS_DROP, link) != 0 ||
	    exec_id(db, SQL_CHANNELS_DROP, link) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

int db_link_set_streams(struct db *db, int64_t link, int email, int calendar, int folder)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_STREAMS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_int(st, 2, email != 0);
	db_bind_int(st, 3, calendar != 0);
	db_bind_int(st, 4, folder != 0);
	return db_step_done(db, st);
}

int64_t db_link_by_grant(struct db *db, const char *grant_id)
{
	/* The grant is read from the settings JSON here rather than in SQL: the engines' JSON
	 * functions differ, and a company has few Nylas links. */
	struct db_stmt *st = db_stmt(db, SQL_LINK_BY_GRANT);
	if (!st)
		return -1;
	int rc;
	int64_t id = 0;
	while (!id && (rc = db_step(st)) == DB_ROW) {
		const char *settings = db_col_text(st, 1);
		json_t *j = settings ? json_loads(settings, 0, NULL) : NULL;
		const char *g = json_string_value(json_object_get(j, "grant_id"));
		if (g && grant_id && strcmp(g, grant_id) == 0)
			id = db_col_int64(st, 0);
		json_decref(j);
	}
	if (!id && rc != DB_DONE)
		id = -1;
	db_reset(st);
	return id;
}

int db_push_channel_find(struct db *db, const char *channel_id, int64_t *link, char **token_out)
{
	struct db_stmt *st = db_stmt(db, SQL_CHANNEL_FIND);
	*token_out = NULL;
	if (!st)
		return -1;
	db_bind_text(st, 1, channel_id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*link = db_col_int64(st, 0);
		*token_out = db_col_strdup(st, 1);
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 1;
	return rc == DB_ROW && *token_out ? 0 : -1;
}

const char link_health_cursor_refused[] =
    "The provider refused the sync position; a fresh full sync is under way.";

const char *link_health_problem(const struct link *l, int poll_interval, int64_t now)
{
	int64_t window = 3 * (int64_t)(poll_interval > 0 ? poll_interval : 900);
	if (l->status && strcmp(l->status, "relink") == 0)
		return "The provider refused the saved sign-in: use Resync to sign in again.";
	if (l->provider && strcmp(l->provider, "imap") == 0 && !l->proved_at)
		return "The mailbox address is not proved yet: nothing syncs until it is.";
	if (l->cursor_refused_at && now - l->cursor_refused_at < window)
		return link_health_cursor_refused;
	int64_t since = l->last_success_at ? l->last_success_at : l->linked_at;
	if (since && now - since > window)
		return "No successful sync for more than three poll intervals.";
	return NULL;
}

int db_link_health_flag(struct db *db, int64_t user_id, int poll_interval, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_HEALTH);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	int rc = db_step(st), flag = 0;
	if (rc == DB_ROW) {
		struct link l = { 0 };
		l.status = (char *)db_col_text(st, 0);
		l.linked_at = db_col_int64(st, 1);
		l.last_success_at = db_col_int64(st, 2);
		l.cursor_refused_at = db_col_int64(st, 3);
		l.provider = (char *)db_col_text(st, 4);
		l.proved_at = db_col_int64(st, 5);
		flag = link_health_problem(&l, poll_interval, now) != NULL;
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? flag : -1;
}

int db_user_set_privacy(struct db *db, int64_t user_id, const char *privacy)
{
	struct db_stmt *st = db_stmt(db, SQL_PRIVACY);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, privacy);
	return db_step_done(db, st);
}

int db_user_colleagues(struct db *db, int64_t owner, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_COLLEAGUES);
	if (!st)
		return -1;
	db_bind_int64(st, 1, owner);
	return db_web_rows_collect(db, st, 1, 3, out);
}

int db_user_shares_set(struct db *db, int64_t owner, const int64_t *viewers, size_t n)
{
	if (exec_id(db, SQL_SHARES_CLEAR, owner) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct db_stmt *st = db_stmt(db, SQL_SHARE_ADD);
		if (!st)
			return -1;
		db_bind_int64(st, 1, owner);
		db_bind_int64(st, 2, viewers[i]);
		if (db_step_done(db, st) != 0)
			return -1;
	}
	return 0;
}

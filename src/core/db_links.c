/* Links (a user's linked mailbox and calendar): create, load, find by address, wake. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/models.h"

#define LINK_COLS "id, user_id, provider, address, status, settings, last_error, sync_email, " \
	"sync_calendar, sync_folder, backfill_days, failures, linked_at, last_success_at, " \
	"last_attempt_at, next_due_at, items_imported, cursor_refused_at, secret, " \
	"(SELECT time_zone FROM users WHERE users.id = links.user_id), rate_limited_until, " \
	"items_skipped, proved_at"

/* Links made here are proved at once (OAuth: the provider's account address; crmctl: the
 * admin's word); the IMAP form's links are made unproved by db_link_proof_add_link. */
static const char SQL_LINK_ADD[] =
    "INSERT INTO links (user_id, provider, address, settings, secret, linked_at, next_due_at, wake,"
    " proved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 1, ?6) RETURNING id";
static const char SQL_LINK_GET[] = "SELECT " LINK_COLS " FROM links WHERE id = ?";
static const char SQL_LINK_FOR_USER[] =
    "SELECT " LINK_COLS " FROM links WHERE user_id = ? AND status != 'unlinked'";
static const char SQL_LINK_FIND_ADDRESS[] =
    "SELECT user_id FROM links WHERE address = ? AND status != 'unlinked'"
    " AND proved_at IS NOT NULL";
/* LINK_COLS, then the user's e-mail (LINK_EMAIL_COL) */
#define LINK_EMAIL_COL 23
static const char SQL_LINK_LIST[] = "SELECT " LINK_COLS ","
    " (SELECT email FROM users WHERE users.id = links.user_id) FROM links ORDER BY id";
static const char SQL_LINK_WAKE[] = "UPDATE links SET wake = 1 WHERE id = ?";

void link_free(struct link *l)
{
	if (!l)
		return;
	free(l->provider);
	free(l->address);
	free(l->status);
	free(l->settings);
	free(l->last_error);
	free(l->owner_tz);
	free(l->secret);
	memset(l, 0, sizeof *l);
}

int db_links_add(struct db *db, int64_t user_id, const char *provider, const char *address,
    const char *settings, const uint8_t *secret_blob, size_t secret_len, int64_t *id)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, provider);
	db_bind_text(st, 3, address);
	db_bind_text(st, 4, settings ? settings : "{}");
	if (secret_blob)
		db_bind_blob(st, 5, secret_blob, secret_len);
	db_bind_int64(st, 6, time(NULL));
	int64_t made;
	if (db_step_id(db, st, &made) != 0)
		return -1;
	if (id)
		*id = made;
	return 0;
}

/* The link in the current row of st (columns LINK_COLS). Returns 0 or -1. */
static int link_row(struct db_stmt *st, struct link *l)
{
	memset(l, 0, sizeof *l);
	l->id = db_col_int64(st, 0);
	l->user_id = db_col_int64(st, 1);
	l->provider = db_col_strdup(st, 2);
	l->address = db_col_strdup(st, 3);
	l->status = db_col_strdup(st, 4);
	l->settings = db_col_strdup(st, 5);
	l->last_error = db_col_strdup(st, 6);
	l->sync_email = db_col_int(st, 7);
	l->sync_calendar = db_col_int(st, 8);
	l->sync_folder = db_col_int(st, 9);
	l->backfill_days = db_col_int(st, 10);
	l->failures = db_col_int(st, 11);
	l->linked_at = db_col_int64(st, 12);
	l->last_success_at = db_col_int64(st, 13);
	l->last_attempt_at = db_col_int64(st, 14);
	l->next_due_at = db_col_int64(st, 15);
	l->items_imported = db_col_int64(st, 16);
	l->cursor_refused_at = db_col_int64(st, 17);
	l->owner_tz = db_col_strdup(st, 19);
	l->rate_limited_until = db_col_int64(st, 20);
	l->items_skipped = db_col_int64(st, 21);
	l->proved_at = db_col_int64(st, 22);
	int n = db_col_bytes(st, 18);
	if (n > 0 && (l->secret = malloc((size_t)n))) {
		memcpy(l->secret, db_col_blob(st, 18), (size_t)n);
		l->secret_len = (size_t)n;
	}
	if (!l->provider || !l->address || !l->status || !l->settings || (n > 0 && !l->secret)) {
		link_free(l);
		return -1;
	}
	return 0;
}

static int link_load(struct db *db, struct db_stmt *st, struct link *l)
{
	memset(l, 0, sizeof *l);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		if (rc == DB_DONE)
			return 1;
		log_warnx("db: links: %s", db_errmsg(db));
		return -1;
	}
	rc = link_row(st, l);
	db_reset(st);
	return rc;
}

int db_links_list(struct db *db, int (*each)(void *ctx, const struct link *l,
    const char *user_email), void *ctx)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_LIST);
	if (!st)
		return -1;
	int rc, out = 0;
	while (out == 0 && (rc = db_step(st)) == DB_ROW) {
		struct link l;
		char *email = db_col_strdup(st, LINK_EMAIL_COL);
		if (!email || link_row(st, &l) != 0) {
			free(email);
			out = -1;
			break;
		}
		out = each(ctx, &l, email);
		link_free(&l);
		free(email);
	}
	if (out == 0 && rc != DB_DONE) {
		log_warnx("db: links: %s", db_errmsg(db));
		out = -1;
	}
	db_reset(st);
	return out;
}

int db_links_get(struct db *db, int64_t id, struct link *l)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_GET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return link_load(db, st, l);
}

int db_links_get_for_user(struct db *db, int64_t user_id, struct link *l)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_FOR_USER);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	return link_load(db, st, l);
}

int64_t db_links_find_address(struct db *db, const char *address)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_FIND_ADDRESS);
	if (!st)
		return -1;
	db_bind_text(st, 1, address);
	int rc = db_step(st);
	int64_t uid = rc == DB_ROW ? db_col_int64(st, 0) : rc == DB_DONE ? 0 : -1;
	db_reset(st);
	return uid;
}

int db_links_wake(struct db *db, int64_t id)
{
	struct db_stmt *st = db_stmt(db, SQL_LINK_WAKE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) == 1 ? 0 : -1;
}

/* link_calendars: listing, the sync's notes and the user's choice (db_link_cals.h). */
#include <stdlib.h>
#include <string.h>

#include "core/db_link_cals.h"

static const char SQL_GET[] =
    "SELECT href, name, color, chosen, cursor FROM link_calendars WHERE link_id = ?1"
    " ORDER BY rowid";
static const char SQL_SEEN[] =
    "INSERT INTO link_calendars (link_id, href, name, color, chosen) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (link_id, href) DO UPDATE SET name = excluded.name, color = excluded.color";
static const char SQL_GONE[] = "DELETE FROM link_calendars WHERE link_id = ?1 AND href = ?2";
static const char SQL_CURSOR[] =
    "UPDATE link_calendars SET cursor = ?3 WHERE link_id = ?1 AND href = ?2";
/* Unchecked: its cursor goes too, so checking it again syncs it afresh. */
static const char SQL_CHOOSE[] =
    "UPDATE link_calendars SET chosen = ?3, cursor = CASE WHEN ?3 != 0 THEN cursor END"
    " WHERE link_id = ?1 AND href = ?2 AND chosen != ?3";

int db_link_cals_get(struct db *db, int64_t link_id, struct link_cal_list *out)
{
	struct db_stmt *st = db_stmt(db, SQL_GET);
	int rc;
	link_cal_list_free(out);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct link_cal *c = link_cal_list_add(out);
		if (!c || !(c->href = db_col_strdup(st, 0)))
			goto fail;
		c->name = db_col_strdup(st, 1);
		c->color = db_col_strdup(st, 2);
		c->chosen = db_col_int(st, 3);
		c->cursor = db_col_strdup(st, 4);
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto fail;
	return 0;
fail:
	db_reset(st);
	link_cal_list_free(out);
	return -1;
}

int db_link_cals_apply(struct db *db, int64_t link_id, const struct link_cal *c)
{
	const char *sql = c->op == CAL_SEEN ? SQL_SEEN : c->op == CAL_GONE ? SQL_GONE : SQL_CURSOR;
	struct db_stmt *st = c->href ? db_stmt(db, sql) : NULL;
	if (!st)
		return -1;
	db_bind_int64(st, 1, link_id);
	db_bind_text(st, 2, c->href);
	if (c->op == CAL_SEEN) {
		db_bind_text(st, 3, c->name);
		db_bind_text(st, 4, c->color);
		db_bind_int(st, 5, c->chosen);
	} else if (c->op == CAL_CURSOR) {
		db_bind_text(st, 3, c->cursor);
	}
	return db_step_done(db, st);
}

int db_link_cals_choose(struct db *db, int64_t link_id, const char *href, int chosen)
{
	struct db_stmt *st = db_stmt(db, SQL_CHOOSE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link_id);
	db_bind_text(st, 2, href);
	db_bind_int(st, 3, chosen ? 1 : 0);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) > 0;
}

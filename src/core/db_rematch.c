/* rematch and rematch_notices: the queue of items to fetch again now that a contact has one of
 * their addresses, and the per-contact count of what came (see db_rematch.h, migration 20). */
#include <stdlib.h>
#include <string.h>

#include "core/db_rematch.h"
#include "core/log.h"

#define COLS "r.link_id, r.contact_id, r.queued_at, r.provider_id, r.kind, r.tries, l.address"
static const char SQL_TAKE[] =
    "SELECT " COLS " FROM rematch r JOIN links l ON l.id = r.link_id WHERE r.link_id = ?1"
    " ORDER BY r.queued_at, r.provider_id LIMIT ?2";
static const char SQL_ALL[] =
    "SELECT " COLS " FROM rematch r JOIN links l ON l.id = r.link_id"
    " ORDER BY r.queued_at, r.link_id, r.provider_id LIMIT ?1";
static const char SQL_COUNT[] = "SELECT count(*) FROM rematch WHERE link_id = ?1";
static const char SQL_DONE[] = "DELETE FROM rematch WHERE link_id = ?1 AND provider_id = ?2";
static const char SQL_TRIED[] =
    "UPDATE rematch SET tries = tries + 1 WHERE link_id = ?1 AND provider_id = ?2";
static const char SQL_GIVE_UP[] =
    "DELETE FROM rematch WHERE link_id = ?1 AND provider_id = ?2 AND tries >= ?3";
static const char SQL_CREDIT[] =
    "INSERT INTO rematch_notices (contact_id, n, added_at) SELECT ?1, ?2, ?3"
    " WHERE EXISTS (SELECT 1 FROM contacts WHERE id = ?1)"
    " ON CONFLICT (contact_id) DO UPDATE SET n = rematch_notices.n + excluded.n, added_at = excluded.added_at";
static const char SQL_NOTICE[] =
    "SELECT n, added_at FROM rematch_notices WHERE contact_id = ?1 AND added_at >= ?2";

void rematch_list_free(struct rematch_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].provider_id);
		free(l->v[i].link_address);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int read_rows(struct db *db, struct db_stmt *st, struct rematch_list *out)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 16;
			struct rematch_item *nv = realloc(out->v, ncap * sizeof *nv);
			if (!nv)
				break;
			out->v = nv;
			out->cap = ncap;
		}
		struct rematch_item *it = &out->v[out->n];
		const char *kind = (const char *)db_col_text(st, 4);
		*it = (struct rematch_item){ .link_id = db_col_int64(st, 0),
		    .contact_id = db_col_int64(st, 1), .queued_at = db_col_int64(st, 2),
		    .provider_id = db_col_strdup(st, 3),
		    .kind = kind && strcmp(kind, "event") == 0 ? SKIP_EVENT : SKIP_MAIL,
		    .tries = db_col_int(st, 5), .link_address = db_col_strdup(st, 6) };
		if (!it->provider_id || !it->link_address) {
			free(it->provider_id);
			free(it->link_address);
			break;
		}
		out->n++;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		log_warnx("db: rematch: %s", rc == DB_ROW ? "out of memory" : db_errmsg(db));
		return -1;
	}
	return 0;
}

int db_rematch_take(struct db *db, int64_t link, int max, struct rematch_list *out)
{
	struct db_stmt *st = db_stmt(db, SQL_TAKE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_int(st, 2, max);
	return read_rows(db, st, out);
}

int db_rematch_all(struct db *db, int max, struct rematch_list *out)
{
	struct db_stmt *st = db_stmt(db, SQL_ALL);
	if (!st)
		return -1;
	db_bind_int(st, 1, max);
	return read_rows(db, st, out);
}

int db_rematch_count(struct db *db, int64_t link)
{
	struct db_stmt *st = db_stmt(db, SQL_COUNT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	int n = db_step(st) == DB_ROW ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

/* Run sql with (link, provider_id[, max]); 0 or -1. */
static int by_item(struct db *db, const char *sql, int64_t link, const char *provider_id,
    int max)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st || !provider_id)
		return -1;
	db_bind_int64(st, 1, link);
	if (DB_BOUND(db_bind_text(st, 2, provider_id))) {
		db_reset(st);
		return -1;
	}
	if (max)
		db_bind_int(st, 3, max);
	return db_step_done(db, st);
}

int db_rematch_done(struct db *db, int64_t link, const char *provider_id)
{
	return by_item(db, SQL_DONE, link, provider_id, 0);
}

int db_rematch_failed(struct db *db, int64_t link, const char *provider_id, int max)
{
	if (by_item(db, SQL_TRIED, link, provider_id, 0) != 0 ||
	    by_item(db, SQL_GIVE_UP, link, provider_id, max) != 0)
		return -1;
	return db_changes(db) > 0;
}

int db_rematch_credit(struct db *db, int64_t contact, int n, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_CREDIT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, contact);
	db_bind_int(st, 2, n);
	db_bind_int64(st, 3, now);
	return db_step_done(db, st);
}

int db_rematch_notice(struct db *db, int64_t contact, int64_t since, int64_t *n, int64_t *at)
{
	struct db_stmt *st = db_stmt(db, SQL_NOTICE);
	*n = *at = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, contact);
	db_bind_int64(st, 2, since);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*n = db_col_int64(st, 0);
		*at = db_col_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}

/* Link leases shared by several sync daemons: holders, renewal, fair-share claims, give-back,
 * take-over of a holder whose process is gone, and the lease check of a page commit. A lease
 * (link_leases) names its holder and lasts while the holder's record (lease_holders) does:
 * renewing is one write of that record, however many links it holds. */
#include <stdlib.h>
#include <string.h>

#include "core/db_leases.h"
#include "core/log.h"

/* The renewal of every lease the holder has: its record is good until ?5. */
static const char SQL_BEAT[] =
    "INSERT INTO lease_holders (holder, host, pid, seen_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (holder) DO UPDATE SET seen_at = excluded.seen_at,"
    " expires_at = excluded.expires_at";
/* Only active links whose address is proved (db_link_proof.h) are leased: an unproved one is
 * nobody's to sync. A lease of a link no longer active counts for nobody. */
static const char SQL_DROP_INACTIVE[] =
    "DELETE FROM link_leases WHERE holder = ?1 AND link_id NOT IN"
    " (SELECT id FROM links WHERE status = 'active' AND proved_at IS NOT NULL)";
static const char SQL_FORGET_HOLDERS[] = "DELETE FROM lease_holders WHERE seen_at <= ?1";
static const char SQL_LIVE[] = "SELECT count(*) FROM lease_holders WHERE expires_at > ?1";
static const char SQL_LINKS[] =
    "SELECT count(*) FROM links WHERE status = 'active' AND proved_at IS NOT NULL";
static const char SQL_HELD_COUNT[] = "SELECT count(*) FROM link_leases WHERE holder = ?1";
/* Outbox items claimed by a holder that stopped being alive come back at once. */
static const char SQL_FREE_OUTBOX[] =
    "UPDATE outbox SET lease_until = 0 WHERE state = 'pending' AND lease_until > ?1"
    " AND lease_holder IS NOT NULL AND lease_holder NOT IN"
    " (SELECT holder FROM lease_holders WHERE expires_at > ?1)";
/* A lease is free when it names no holder with a record good at ?3 (none, or one gone
 * stale): every lease of a holder that stopped is free at the same moment. expires_at keeps the
 * claim's first term only; nothing reads it. */
static const char SQL_CLAIM[] =
    "INSERT INTO link_leases (link_id, holder, expires_at)"
    " SELECT l.id, ?1, ?2 FROM links l LEFT JOIN link_leases k ON k.link_id = l.id"
    " LEFT JOIN lease_holders h ON h.holder = k.holder"
    " WHERE l.status = 'active' AND l.proved_at IS NOT NULL"
    " AND (k.link_id IS NULL OR h.holder IS NULL OR h.expires_at <= ?3)"
    " ORDER BY l.id LIMIT ?4"
    " ON CONFLICT (link_id) DO UPDATE SET holder = excluded.holder,"
    " expires_at = excluded.expires_at";
static const char SQL_ANY_FREE[] =
    "SELECT 1 FROM links l LEFT JOIN link_leases k ON k.link_id = l.id"
    " LEFT JOIN lease_holders h ON h.holder = k.holder"
    " WHERE l.status = 'active' AND l.proved_at IS NOT NULL"
    " AND (k.link_id IS NULL OR h.holder IS NULL OR h.expires_at <= ?1) LIMIT 1";
static const char SQL_ON_HOST[] =
    "SELECT holder, pid FROM lease_holders WHERE host = ?1 AND holder != ?2 ORDER BY holder"
    " LIMIT ?3";
static const char SQL_DROP_LEASES[] = "DELETE FROM link_leases WHERE holder = ?1";
static const char SQL_DROP_HOLDER[] = "DELETE FROM lease_holders WHERE holder = ?1";
static const char SQL_DROP_OUTBOX[] =
    "UPDATE outbox SET lease_until = 0 WHERE lease_holder = ?1 AND state = 'pending'";
/* Held: the lease names the holder and the holder's record is good at now. */
static const char SQL_HELD[] =
    "SELECT k.link_id FROM link_leases k JOIN lease_holders h ON h.holder = k.holder"
    " WHERE k.holder = ?1 AND h.expires_at > ?2 ORDER BY k.link_id LIMIT ?3";
static const char SQL_HELD_ONE[] =
    "SELECT 1 FROM link_leases k JOIN lease_holders h ON h.holder = k.holder"
    " WHERE k.link_id = ?1 AND k.holder = ?2 AND h.expires_at > ?3";
static const char SQL_GIVE_BACK[] = "DELETE FROM link_leases WHERE link_id = ?1 AND holder = ?2";
static const char SQL_DUE[] =
    "SELECT l.id FROM link_leases k JOIN lease_holders h ON h.holder = k.holder"
    " JOIN links l ON l.id = k.link_id"
    " WHERE k.holder = ?1 AND h.expires_at > ?2 AND l.status = 'active'"
    " AND l.proved_at IS NOT NULL"
    " AND l.next_due_at <= ?2 AND l.rate_limited_until <= ?2"
    " ORDER BY l.next_due_at, l.id LIMIT ?3";

/* As db_sync_take_wakes, for the links the holder holds only: a wake-up waits for the link's
 * holder, which acts on it (a running pass runs again) instead of another daemon moving the
 * link's due time under a pass that then moves it back. */
static const char SQL_TAKE_WAKES[] =
    "UPDATE links SET wake = 0, next_due_at = CASE WHEN next_due_at < ?1 THEN next_due_at"
    " ELSE ?1 END WHERE wake = 1 AND rate_limited_until <= ?1 AND id IN"
    " (SELECT k.link_id FROM link_leases k JOIN lease_holders h ON h.holder = k.holder"
    "  WHERE k.holder = ?2 AND h.expires_at > ?1) RETURNING id";

/* The single integer of a one-row query with holder (may be NULL) as ?1 and a as ?2. */
static int64_t one_int(struct db *db, const char *sql, const char *holder, int64_t a)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	if (holder)
		db_bind_text(st, 1, holder);
	else if (db_param_count(st) >= 1)
		db_bind_int64(st, 1, a);
	int rc = db_step(st);
	int64_t v = rc == DB_ROW ? db_col_int64(st, 0) : -1;
	db_reset(st);
	if (rc != DB_ROW)
		log_warnx("db: leases: %s", db_errmsg(db));
	return v;
}

static int run_text(struct db *db, const char *sql, const char *holder)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st || DB_BOUND(db_bind_text(st, 1, holder)) != 0)
		return -1;
	return db_step_done(db, st);
}

static int run_int2(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	if (db_param_count(st) >= 2)
		db_bind_int64(st, 2, b);
	return db_step_done(db, st);
}

static int beat(struct db *db, const char *holder, const char *host, int pid, int64_t now,
    int lease_s)
{
	struct db_stmt *st = db_stmt(db, SQL_BEAT);
	if (!st || DB_BOUND(db_bind_text(st, 1, holder)) != 0 ||
	    DB_BOUND(db_bind_text(st, 2, host)) != 0)
		return -1;
	db_bind_int(st, 3, pid);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, now + lease_s);
	return db_step_done(db, st);
}

static int claim(struct db *db, const char *holder, int64_t now, int lease_s, int n)
{
	struct db_stmt *st = db_stmt(db, SQL_CLAIM);
	if (!st || DB_BOUND(db_bind_text(st, 1, holder)) != 0)
		return -1;
	db_bind_int64(st, 2, now + lease_s);
	db_bind_int64(st, 3, now);
	db_bind_int(st, 4, n);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db);
}

int db_leases_tick(struct db *db, const char *holder, const char *host, int pid, int64_t now,
    int lease_s, struct lease_tick *out)
{
	struct lease_tick t = { 0 };
	int64_t v;
	if (db_begin(db) != 0)
		return -1;
	if (beat(db, holder, host, pid, now, lease_s) != 0 ||
	    run_text(db, SQL_DROP_INACTIVE, holder) != 0 ||
	    run_int2(db, SQL_FORGET_HOLDERS, now - 10 * (int64_t)lease_s, 0) != 0 ||
	    run_int2(db, SQL_FREE_OUTBOX, now, 0) != 0)
		goto fail;
	if ((v = one_int(db, SQL_LIVE, NULL, now)) < 0)
		goto fail;
	t.live = v > 0 ? (int)v : 1;
	if ((v = one_int(db, SQL_LINKS, NULL, 0)) < 0)
		goto fail;
	t.links = (int)v;
	t.share = (t.links + t.live - 1) / t.live;
	if ((v = one_int(db, SQL_HELD_COUNT, holder, 0)) < 0)
		goto fail;
	t.held = (int)v;
	if (t.held < t.share) {
		if ((t.claimed = claim(db, holder, now, lease_s, t.share - t.held)) < 0)
			goto fail;
		t.held += t.claimed;
	}
	t.over = t.held > t.share ? t.held - t.share : 0;
	if (db_commit(db) != 0)
		goto fail;
	if (out)
		*out = t;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int db_leases_any_free(struct db *db, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_ANY_FREE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	if (rc == DB_DONE)
		return 0;
	log_warnx("db: leases: %s", db_errmsg(db));
	return -1;
}

int db_leases_on_host(struct db *db, const char *host, const char *self, char **holders,
    int *pids, int max)
{
	struct db_stmt *st = db_stmt(db, SQL_ON_HOST);
	int n = 0, rc;
	if (!st || DB_BOUND(db_bind_text(st, 1, host)) != 0 ||
	    DB_BOUND(db_bind_text(st, 2, self)) != 0)
		return -1;
	db_bind_int(st, 3, max);
	while ((rc = db_step(st)) == DB_ROW && n < max) {
		if (!(holders[n] = db_col_strdup(st, 0)))
			break;
		pids[n++] = db_col_int(st, 1);
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		log_warnx("db: lease holders: %s", db_errmsg(db));
		while (n > 0)
			free(holders[--n]);
		return -1;
	}
	return n;
}

int db_leases_drop_holder(struct db *db, const char *holder)
{
	if (db_begin(db) != 0)
		return -1;
	if (run_text(db, SQL_DROP_LEASES, holder) != 0)
		goto fail;
	int n = db_changes(db);
	if (run_text(db, SQL_DROP_HOLDER, holder) != 0 || run_text(db, SQL_DROP_OUTBOX, holder) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	return n;
fail:
	db_rollback(db);
	return -1;
}

int db_leases_release_all(struct db *db, const char *holder)
{
	return db_leases_drop_holder(db, holder) < 0 ? -1 : 0;
}

static int held_list(struct db *db, const char *sql, const char *holder, int64_t now,
    int64_t *ids, size_t max, size_t *n)
{
	struct db_stmt *st = db_stmt(db, sql);
	*n = 0;
	if (!st || DB_BOUND(db_bind_text(st, 1, holder)) != 0)
		return -1;
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, (int64_t)max);
	return db_step_ids(db, st, ids, max, n);
}

int db_leases_held(struct db *db, const char *holder, int64_t now, int64_t *ids, size_t max,
    size_t *n)
{
	return held_list(db, SQL_HELD, holder, now, ids, max, n);
}

int db_leases_due(struct db *db, const char *holder, int64_t now, int64_t *ids, size_t max,
    size_t *n)
{
	return held_list(db, SQL_DUE, holder, now, ids, max, n);
}

int db_lease_held(struct db *db, int64_t link, const char *holder, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_HELD_ONE);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	if (DB_BOUND(db_bind_text(st, 2, holder)) != 0)
		return -1;
	db_bind_int64(st, 3, now);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	if (rc == DB_DONE)
		return 0;
	log_warnx("db: leases: %s", db_errmsg(db));
	return -1;
}

int db_leases_take_wakes(struct db *db, const char *holder, int64_t now, int64_t *ids,
    size_t max, size_t *n)
{
	struct db_stmt *st = db_stmt(db, SQL_TAKE_WAKES);
	*n = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	if (DB_BOUND(db_bind_text(st, 2, holder)) != 0)
		return -1;
	return db_step_ids(db, st, ids, max, n);   /* every row, so every wake-up is taken */
}

int db_lease_give_back(struct db *db, int64_t link, const char *holder)
{
	struct db_stmt *st = db_stmt(db, SQL_GIVE_BACK);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	if (DB_BOUND(db_bind_text(st, 2, holder)) != 0)
		return -1;
	return db_step_done(db, st);
}

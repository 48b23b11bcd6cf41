/* The storage seam's common part: choosing the engine, the per-connection statement cache, the
 * migrations and the helpers every db_*.c file uses. The engines are db_sqlite.c and db_pg.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/db_engine.h"
#include "core/log.h"
#include "core/schema.h"

static int db_migrate(struct db *db, char *err, size_t errlen);

int64_t db_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int db_target_is_pg(const char *target)
{
	return target && (strncasecmp(target, "postgresql:", 11) == 0 ||
	    strncasecmp(target, "postgres:", 9) == 0);
}

struct db *db_open(const char *target, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof *db);
	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->ops = db_target_is_pg(target) ? &db_pg_ops : &db_sqlite_ops;
	if (db->ops->open(db, target, err, errlen) != 0)
		goto fail;
	if (db_migrate(db, err, errlen) != 0)
		goto fail;
	return db;
fail:
	db_close(db);
	return NULL;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_cache; i++)
		db->ops->finalize(db->cache[i].st);
	free(db->cache);
	if (db->conn)
		db->ops->close(db);
	free(db);
}

const char *db_engine(const struct db *db)
{
	return db->ops->name;
}

static struct db_stmt *cached(struct db *db, const char *key, const char *sql)
{
	for (size_t i = 0; i < db->n_cache; i++) {
		if (db->cache[i].sql == key) {
			struct db_stmt *st = db->cache[i].st;
			db->ops->clear(st);
			return st;
		}
	}
	if (db->n_cache == db->cap_cache) {
		size_t ncap = db->cap_cache ? db->cap_cache * 2 : 64;
		struct db_stmt_slot *n = realloc(db->cache, ncap * sizeof *n);
		if (!n)
			return NULL;
		db->cache = n;
		db->cap_cache = ncap;
	}
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return NULL;
	db->cache[db->n_cache].sql = key;
	db->cache[db->n_cache].st = st;
	db->n_cache++;
	return st;
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *st = db->ops->prepare(db, sql);
	if (!st) {
		log_warnx("db: prepare failed: %s: %.80s", db_errmsg(db), sql);
		return NULL;
	}
	st->db = db;
	st->sql = sql;
	return st;
}

void db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

struct db_stmt *db_stmt(struct db *db, const char *sql)
{
	return cached(db, sql, sql);
}

struct db_stmt *db_stmt2(struct db *db, const char *sqlite_sql, const char *pg_sql)
{
	const char *sql = db->ops == &db_pg_ops ? pg_sql : sqlite_sql;
	return cached(db, sql, sql);
}

int db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	return st->db->ops->bind_int64(st, i, v);
}

int db_bind_int(struct db_stmt *st, int i, int v)
{
	return st->db->ops->bind_int64(st, i, v);
}

int db_bind_text(struct db_stmt *st, int i, const char *s)
{
	return s ? st->db->ops->bind_text(st, i, s, strlen(s)) : st->db->ops->bind_null(st, i);
}

int db_bind_textn(struct db_stmt *st, int i, const char *s, size_t n)
{
	return s ? st->db->ops->bind_text(st, i, s, n) : st->db->ops->bind_null(st, i);
}

int db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	return st->db->ops->bind_blob(st, i, p ? p : "", n);
}

int db_bind_null(struct db_stmt *st, int i)
{
	return st->db->ops->bind_null(st, i);
}

int db_param_count(struct db_stmt *st)
{
	return st->db->ops->param_count(st);
}

int db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

void db_reset(struct db_stmt *st)
{
	st->db->ops->reset(st);
}

int64_t db_col_int64(struct db_stmt *st, int i)
{
	return st->db->ops->col_int64(st, i);
}

int db_col_int(struct db_stmt *st, int i)
{
	return (int)st->db->ops->col_int64(st, i);
}

double db_col_double(struct db_stmt *st, int i)
{
	return st->db->ops->col_double(st, i);
}

const char *db_col_text(struct db_stmt *st, int i)
{
	return st->db->ops->col_text(st, i);
}

const void *db_col_blob(struct db_stmt *st, int i)
{
	return st->db->ops->col_blob(st, i);
}

int db_col_bytes(struct db_stmt *st, int i)
{
	return st->db->ops->col_bytes(st, i);
}

int db_col_is_null(struct db_stmt *st, int i)
{
	return st->db->ops->col_is_null(st, i);
}

const char *db_stmt_sql(struct db_stmt *st)
{
	return st->sql;
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

const char *db_errmsg(struct db *db)
{
	return db->conn ? db->ops->errmsg(db) : "not connected";
}

void db_busy_deadline(struct db *db, int64_t budget_ms)
{
	db->deadline_ms = budget_ms > 0 ? db_mono_ms() + budget_ms : 0;
	db->busy_failed = 0;
	if (db->ops->busy_deadline)
		db->ops->busy_deadline(db);
}

unsigned db_busy_failed(const struct db *db)
{
	return db->busy_failed;
}

int db_disk_full(const struct db *db)
{
	return db->full;
}

void db_log_failure(struct db *db, int full, const char *msg, const char *sql)
{
	char key[96];
	if (full) {
		db->full = 1;
		log_warnx_limited("db: disk full", "db: disk full: the database cannot grow; writes"
		    " fail until space is freed");
		return;
	}
	snprintf(key, sizeof key, "db: %s: %.40s", msg, sql ? sql : "");
	log_warnx_limited(key, "db: %s: %.80s", msg, sql ? sql : "");
}

int db_exec(struct db *db, const char *sql)
{
	if (db->ops->exec(db, sql) != 0) {
		db_log_failure(db, db->last_full, db_errmsg(db), sql);
		return -1;
	}
	if (strcmp(sql, "COMMIT") == 0)
		db->full = 0;
	return 0;
}

int db_begin(struct db *db)
{
	return db_exec(db, db->ops->begin_sql);
}

int db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}

void db_rollback(struct db *db)
{
	if (db->ops->in_transaction(db))
		db->ops->exec(db, "ROLLBACK");
}

int db_read_begin(struct db *db)
{
	struct db_stmt *st = db_stmt(db, db->ops->read_begin_sql);
	return st ? db_step_done(db, st) : -1;
}

static const char SQL_READ_END[] = "COMMIT";

void db_read_end(struct db *db)
{
	struct db_stmt *st = db_stmt(db, SQL_READ_END);
	if (!st || db_step_done(db, st) != 0)
		db_rollback(db);
}

int db_bound(int rc, const char *what)
{
	if (rc == DB_OK)
		return 0;
	log_warnx("db: %s: cannot bind", what);
	return -1;
}

char *db_col_strdup(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s ? strdup(s) : NULL;
}

int db_step_done(struct db *db, struct db_stmt *st)
{
	int rc = db_step(st);
	if (rc != DB_DONE && rc != DB_ROW)
		db_log_failure(db, db->last_full, db_errmsg(db), st->sql);
	db_reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : -1;
}

int db_step_id(struct db *db, struct db_stmt *st, int64_t *id)
{
	/* Stepped to its end: SQLite may report a failure of the write (a full disk) only when
	 * the statement finishes, after the row. */
	int rc = db_step(st), made = rc == DB_ROW;
	if (made)
		*id = db_col_int64(st, 0);
	while (rc == DB_ROW)
		rc = db_step(st);
	if (rc != DB_DONE || !made)
		db_log_failure(db, rc == DB_DONE ? 0 : db->last_full,
		    rc == DB_DONE ? "no row made" : db_errmsg(db), st->sql);
	db_reset(st);
	return rc == DB_DONE && made ? 0 : -1;
}

int db_step_ids(struct db *db, struct db_stmt *st, int64_t *ids, size_t max, size_t *n)
{
	int rc;
	*n = 0;
	while ((rc = db_step(st)) == DB_ROW)
		if (*n < max)
			ids[(*n)++] = db_col_int64(st, 0);
	if (rc != DB_DONE)
		db_log_failure(db, db->last_full, db_errmsg(db), st->sql);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int db_schema_version(struct db *db)
{
	return db->ops->schema_version(db);
}

int db_schema_latest(void)
{
	return (int)schema_n_migrations;
}

/* The migration's text for this engine; NULL when it has none. */
static const char *migration_text(const struct db *db, size_t v)
{
	return db->ops == &db_pg_ops ? schema_migrations[v].pg : schema_migrations[v].sql;
}

/* Apply each migration newer than the stored version in its own transaction. The version is
 * read first without a write lock, so a program opening an up-to-date database never waits for
 * a writer (the sync daemon storing a big page). Several programs may start at once: when a
 * migration is due, the write transaction serializes them and the version is re-read. */
static int db_migrate(struct db *db, char *err, size_t errlen)
{
	int v0 = db_schema_version(db);
	if (v0 >= 0 && (size_t)v0 >= schema_n_migrations)
		return 0;
	for (;;) {
		if (db_begin(db) != 0)
			goto fail;
		int v = db_schema_version(db);
		if (v < 0)
			goto fail;
		if ((size_t)v >= schema_n_migrations) {
			db_commit(db);
			return 0;
		}
		const char *sql = migration_text(db, (size_t)v);
		if (!sql) {
			snprintf(err, errlen, "migration %d (%s) is not written for %s", v + 1,
			    schema_migrations[v].name, db->ops->name);
			db_rollback(db);
			return -1;
		}
		if ((*sql && db_exec(db, sql) != 0) || db->ops->set_schema_version(db, v + 1) != 0 ||
		    db_commit(db) != 0)
			goto fail;
		log_debug("db: applied migration %d (%s)", v + 1, schema_migrations[v].name);
	}
fail:
	snprintf(err, errlen, "migration failed: %s", db_errmsg(db));
	db_rollback(db);
	return -1;
}

int db_ping(struct db *db)
{
	static const char SQL_PING[] = "SELECT 1";
	struct db_stmt *st = db_stmt(db, SQL_PING);
	int ok = st && db_step(st) == DB_ROW && db_col_int(st, 0) == 1;
	if (st)
		db_reset(st);
	return ok ? 0 : -1;
}

int db_change_state(struct db *db, int64_t *others, int64_t *own)
{
	return db->ops->change_state(db, others, own);
}

int db_in_transaction(struct db *db)
{
	return db->ops->in_transaction(db);
}

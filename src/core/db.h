/* The SQLite connection: open with WAL, foreign keys and a busy timeout, migrate, and cache
 * prepared statements per connection. One struct db per thread; never shared between threads. */
#ifndef CORE_DB_H
#define CORE_DB_H

#include <stdint.h>
#include <sqlite3.h>

struct db {
	sqlite3 *h;
	struct db_stmt_slot *cache;   /* owned: statements prepared once, keyed by their SQL text */
	size_t n_cache, cap_cache;
	int64_t deadline_ms;          /* lock waits end here (monotonic ms); 0: DB_BUSY_WAIT_MS each */
	int64_t wait_start_ms;        /* when the current lock wait began */
	unsigned busy_failed;         /* lock waits that ran out since db_busy_deadline */
	int full;                     /* a write met a full disk (SQLITE_FULL); 0 after a commit */
};

/* Open (creating if needed) and migrate to the newest schema. Returns NULL with err set. */
struct db *db_open(const char *path, char *err, size_t errlen);
void db_close(struct db *db);

/* The statement for sql, prepared on first use and reset + unbound for reuse. sql must be a
 * string with static storage (a literal or a static const array): its address is the key.
 * Returns NULL (and logs) if preparing fails. The statement stays owned by the cache. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/* A statement that meets a locked database sleeps and retries: by default for up to 5 s per
 * wait; after db_busy_deadline(db, budget) until budget ms from now, however many waits (0:
 * back to the default). Also resets busy_failed, which counts the waits that ran out. */
void db_busy_deadline(struct db *db, int64_t budget_ms);

/* Transactions (BEGIN IMMEDIATE so writers queue on the busy timeout). Return 0 or -1. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* A read snapshot: the statements between begin and end see one state of the database and
 * share one read lock (cheaper than a lock per statement). Writing inside one is not allowed.
 * db_read_begin returns 0 or -1; db_read_end always ends it. */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);

/* Run sql that returns no rows (DDL, pragmas, one-off statements). Returns 0 or -1. */
int db_exec(struct db *db, const char *sql);

/* 0 when the database answers a trivial query, else -1. */
int db_ping(struct db *db);
/* The database's state as this connection sees it: a number that changes with every commit of
 * another connection, and one that changes with every write of this one. Two equal pairs mean
 * nothing changed between them. Returns 0 or -1. */
int db_change_state(struct db *db, int64_t *others, int64_t *own);
/* 1 inside a transaction, 0 outside (the engine may end one itself, on a full disk). */
int db_in_transaction(struct db *db);

/* Current schema version, and the newest one this build knows. */
int db_schema_version(struct db *db);
int db_schema_latest(void);

/* Bind helpers that keep NULL for NULL strings; return the sqlite3 result code. */
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* DB_BOUND(bind call): 0 when the value was bound, else -1 (logged): a value not bound would be
 * NULL, and a statement run with it would match or store something else. */
int db_bound(int rc, const char *what);
#define DB_BOUND(call) db_bound((call), #call)
/* Copy column i as a malloc'd string ("" for NULL when empty_for_null, else NULL). */
char *db_col_strdup(sqlite3_stmt *st, int i);

/* Run one step of a write statement and check it finished (SQLITE_DONE). Returns 0 or -1. */
int db_step_done(struct db *db, sqlite3_stmt *st);
/* Run st to its end (an UPDATE ... RETURNING makes all its changes) and keep the first column
 * of up to max rows in ids; *n gets their count. Returns 0 or -1 (logged). */
int db_step_ids(struct db *db, sqlite3_stmt *st, int64_t *ids, size_t max, size_t *n);

#endif

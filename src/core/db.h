/* The storage seam: one connection to the database, whichever engine holds it (SQLite, the
 * embedded default, or PostgreSQL), and its statements. Every db_*.c file of the storage code
 * reaches the engine only through these functions; nothing outside the storage code includes an
 * engine's header. One struct db per thread; never shared between threads. */
#ifndef CORE_DB_H
#define CORE_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

/* Results of db_step and of the bind functions. */
enum { DB_OK = 0, DB_ERROR = 1, DB_ROW = 100, DB_DONE = 101 };

/* Open (creating if needed) and migrate to the newest schema. target is a file path (SQLite)
 * or a postgresql:// / postgres:// URL (PostgreSQL). Returns NULL with err set. */
struct db *db_open(const char *target, char *err, size_t errlen);
void db_close(struct db *db);
/* "sqlite" or "postgresql". */
const char *db_engine(const struct db *db);
/* 1 when target names a PostgreSQL database. */
int db_target_is_pg(const char *target);

/* The statement for sql, prepared on first use and reset + unbound for reuse. sql must be a
 * string with static storage (a literal or a static const array): its address is the key.
 * Parameters are written ?, ?N or $N; on PostgreSQL they become $N. Returns NULL (and logs) if
 * preparing fails. The statement stays owned by the cache. */
struct db_stmt *db_stmt(struct db *db, const char *sql);
/* The same statement written for each engine, where one text does not fit both. */
struct db_stmt *db_stmt2(struct db *db, const char *sqlite_sql, const char *pg_sql);

/* A statement outside the cache, for SQL built at run time or run once (tools, tests); the
 * caller ends it with db_finalize. Returns NULL (and logs) if preparing fails. */
struct db_stmt *db_prepare(struct db *db, const char *sql);
void db_finalize(struct db_stmt *st);

/* Binds, 1-based. Return DB_OK or DB_ERROR. db_bind_text keeps NULL for a NULL string. */
int db_bind_int64(struct db_stmt *st, int i, int64_t v);
int db_bind_int(struct db_stmt *st, int i, int v);
int db_bind_text(struct db_stmt *st, int i, const char *s);
int db_bind_textn(struct db_stmt *st, int i, const char *s, size_t n);
int db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
int db_bind_null(struct db_stmt *st, int i);
/* How many parameters the statement takes. */
int db_param_count(struct db_stmt *st);

/* DB_ROW with a row to read, DB_DONE at the end, DB_ERROR (db_errmsg tells). */
int db_step(struct db_stmt *st);
/* Back to before the first step (bindings kept); ends the statement's hold on the database. */
void db_reset(struct db_stmt *st);

/* Columns of the current row, 0-based. Text is NULL for NULL; valid until the next step or
 * reset. Integers of a NULL are 0; a boolean reads as 0 or 1. */
int64_t db_col_int64(struct db_stmt *st, int i);
int db_col_int(struct db_stmt *st, int i);
double db_col_double(struct db_stmt *st, int i);
const char *db_col_text(struct db_stmt *st, int i);
const void *db_col_blob(struct db_stmt *st, int i);
int db_col_bytes(struct db_stmt *st, int i);
int db_col_is_null(struct db_stmt *st, int i);
/* The SQL text of the statement, for logs. */
const char *db_stmt_sql(struct db_stmt *st);

/* Rows changed by the last finished write statement of this connection. */
int64_t db_changes(struct db *db);
/* The last error of this connection, for logs. */
const char *db_errmsg(struct db *db);

/* A statement that meets a locked database waits and retries: by default for up to 5 s per
 * wait; after db_busy_deadline(db, budget) until budget ms from now, however many waits (0:
 * back to the default). Also resets the count db_busy_failed returns. */
void db_busy_deadline(struct db *db, int64_t budget_ms);
/* Lock waits that ran out since db_busy_deadline. */
unsigned db_busy_failed(const struct db *db);
/* 1 once a write met a full disk, until the next commit. */
int db_disk_full(const struct db *db);

/* Transactions: writers queue for one another (BEGIN IMMEDIATE on SQLite, a transaction-level
 * advisory lock on PostgreSQL). Return 0 or -1. */
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

/* DB_BOUND(bind call): 0 when the value was bound, else -1 (logged): a value not bound would be
 * NULL, and a statement run with it would match or store something else. */
int db_bound(int rc, const char *what);
#define DB_BOUND(call) db_bound((call), #call)
/* Copy column i as a malloc'd string (NULL for NULL). */
char *db_col_strdup(struct db_stmt *st, int i);

/* Run one step of a write statement and check it finished (DB_DONE or DB_ROW). Returns 0 or -1. */
int db_step_done(struct db *db, struct db_stmt *st);
/* Run an INSERT ... RETURNING id and keep the id. Returns 0 or -1 (logged). */
int db_step_id(struct db *db, struct db_stmt *st, int64_t *id);
/* Run st to its end (an UPDATE ... RETURNING makes all its changes) and keep the first column
 * of up to max rows in ids; *n gets their count. Returns 0 or -1 (logged). */
int db_step_ids(struct db *db, struct db_stmt *st, int64_t *ids, size_t max, size_t *n);

#endif

/* Inside the storage seam: what each engine (db_sqlite.c, db_pg.c) provides to db.c, and the
 * parts of a connection and a statement that db.c keeps for both. Nothing outside
 * src/core/db*.c includes this. */
#ifndef CORE_DB_ENGINE_H
#define CORE_DB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

struct db_stmt_slot {
	const char *sql;
	struct db_stmt *st;
};

struct db_ops;

struct db {
	const struct db_ops *ops;
	void *conn;                   /* the engine's connection */
	struct db_stmt_slot *cache;   /* owned: statements prepared once, keyed by their SQL text */
	size_t n_cache, cap_cache;
	int64_t deadline_ms;          /* lock waits end here (monotonic ms); 0: DB_BUSY_WAIT_MS each */
	int64_t wait_start_ms;        /* when the current lock wait began */
	unsigned busy_failed;         /* lock waits that ran out since db_busy_deadline */
	int full;                     /* a write met a full disk; 0 after a commit */
	int last_full;                /* set by the engine at each failure: it was a full disk */
	unsigned n_prepared;          /* statements prepared so far (PostgreSQL names them by it) */
};

/* Every engine's statement starts with this. */
struct db_stmt {
	struct db *db;
	const char *sql;              /* the text as written (the cache key) */
};

struct db_ops {
	const char *name;
	/* Connect and set the connection up; db->conn set. Returns 0, or -1 with err set. */
	int (*open)(struct db *db, const char *target, char *err, size_t errlen);
	void (*close)(struct db *db);
	struct db_stmt *(*prepare)(struct db *db, const char *sql);
	void (*finalize)(struct db_stmt *st);
	void (*clear)(struct db_stmt *st);   /* reset and unbind, for reuse from the cache */
	int (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	int (*bind_text)(struct db_stmt *st, int i, const char *s, size_t n);
	int (*bind_blob)(struct db_stmt *st, int i, const void *p, size_t n);
	int (*bind_null)(struct db_stmt *st, int i);
	int (*param_count)(struct db_stmt *st);
	int (*step)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);
	int64_t (*col_int64)(struct db_stmt *st, int i);
	double (*col_double)(struct db_stmt *st, int i);
	const char *(*col_text)(struct db_stmt *st, int i);
	const void *(*col_blob)(struct db_stmt *st, int i);
	int (*col_bytes)(struct db_stmt *st, int i);
	int (*col_is_null)(struct db_stmt *st, int i);
	int (*exec)(struct db *db, const char *sql);
	int64_t (*changes)(struct db *db);
	const char *(*errmsg)(struct db *db);
	int (*in_transaction)(struct db *db);
	int (*change_state)(struct db *db, int64_t *others, int64_t *own);
	/* The schema version stored in the database (-1 on error), and storing it. */
	int (*schema_version)(struct db *db);
	int (*set_schema_version)(struct db *db, int v);
	const char *begin_sql;        /* a write transaction that waits for the other writers */
	const char *read_begin_sql;   /* a read snapshot */
	void (*busy_deadline)(struct db *db);   /* after db->deadline_ms changed; may be NULL */
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* Monotonic milliseconds. */
int64_t db_mono_ms(void);
/* Log a failed statement once per kind. full: the failure was a full disk (sets db->full).
 * The engines' step does not log (a caller may expect a failure); db_step_done, db_step_ids
 * and db_exec do, with full = db->last_full. */
void db_log_failure(struct db *db, int full, const char *msg, const char *sql);

#endif

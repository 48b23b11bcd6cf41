/* The PostgreSQL engine of the storage seam (libpq): statements prepared once per connection with
 * SQLite's placeholders turned into $N, results fetched whole, writers queued by an advisory
 * lock, lock waits bounded by lock_timeout. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "core/db_engine.h"
#include "core/db_pg_sql.h"
#include "core/log.h"

#define PG_LOCK_WAIT_MS 5000     /* one lock wait when no deadline is set, as on SQLite */
#define PG_RESET_GAP_MS 1000     /* after a reconnection failed, wait this long to try again */
/* The advisory lock every write transaction takes first (0x63726d01: "crm" and 1), so writers
 * queue for one another as with SQLite's BEGIN IMMEDIATE, which the storage code was written
 * for. */
#define PG_WRITER_LOCK "1668443393"

/* Type oids (catalog/pg_type_d.h is a server header; these never change). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

struct pg_conn {
	PGconn *c;
	unsigned epoch;          /* bumped by each reconnection: what was prepared before is gone */
	int64_t own;             /* rows written (and schema changes) by this connection */
	int64_t others;          /* commits of other connections that changed rows, as told */
	int64_t changes;         /* rows of the last write */
	int lock_timeout;        /* what lock_timeout is set to (ms); -1: not known */
	int in_txn;              /* inside a transaction when the current command began */
	int dropped;             /* the connection's loss was logged */
	int lost_txn;            /* the connection dropped inside a transaction: refuse until ROLLBACK */
	int64_t reset_at;        /* the last reconnection that failed (monotonic ms); 0: none */
	char outer[64];          /* the savepoint that opened the transaction (pg_savepoint) */
	char err[512];           /* the last error */
};

struct pg_blob {
	unsigned char *p;        /* owned: a bytea value decoded, NUL-terminated; NULL: not yet */
	size_t n;
};

struct pg_stmt {
	struct db_stmt base;
	char *text;              /* owned: the SQL with $N placeholders */
	int multi;               /* several commands (no parameters): run with PQexec */
	int nparams;
	char **values;           /* owned, each one malloc'd; NULL is SQL NULL */
	int *lengths, *formats;
	Oid *types;              /* what each bound value is; 0: unknown (a NULL) */
	Oid *prep_types;         /* the types the server-side statement was prepared with */
	char name[16];
	unsigned prep_epoch;     /* the connection's epoch when prepared; 0: not prepared */
	PGresult *res;           /* owned: the whole result of the current execution */
	int row, nrows;
	struct pg_blob *blobs;   /* owned: per column of res, decoded for the current row */
};

#define PC(db) ((struct pg_conn *)(db)->conn)
#define PS(s) ((struct pg_stmt *)(s))

/* Results and errors. */

/* After a failure: a connection that dropped is said once; the next command reconnects. */
static void pg_note_drop(struct db *db)
{
	struct pg_conn *pc = PC(db);
	if (PQstatus(pc->c) != CONNECTION_BAD || pc->dropped)
		return;
	pc->dropped = 1;
	pc->lost_txn = pc->in_txn;
	log_warnx("db: the connection to PostgreSQL was lost%s: %s",
	    pc->in_txn ? " inside a transaction" : "", pc->err);
}

static void pg_note_error(struct db *db, const PGresult *r)
{
	struct pg_conn *pc = PC(db);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg || !*msg)
		msg = PQerrorMessage(pc->c);
	if (strncmp(msg, "FATAL:  ", 8) == 0 || strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	snprintf(pc->err, sizeof pc->err, "%s%s%s%s", msg, state ? " (SQLSTATE " : "",
	    state ? state : "", state ? ")" : "");
	pc->err[strcspn(pc->err, "\n")] = '\0';
	db->last_full = state && strcmp(state, "53100") == 0;
	if (state && strcmp(state, "55P03") == 0)
		db->busy_failed++;
	pg_note_drop(db);
}

/* After a command that succeeded: count what it wrote, for changes and change_state. */
/* The notifications that arrived (LISTEN crm_change, see pg_change_state): those of other
 * connections are counted; each connection takes them after every command so none piles up. */
static void pg_take_notices(struct pg_conn *pc)
{
	PGnotify *n;
	int self = PQbackendPID(pc->c);
	while ((n = PQnotifies(pc->c))) {
		if (n->be_pid != self)
			pc->others++;
		PQfreemem(n);
	}
}

static void pg_note_done(struct pg_conn *pc, const PGresult *r)
{
	pg_take_notices(pc);
	static const char *const rows[] = { "INSERT ", "UPDATE ", "DELETE ", "MERGE ", "COPY " };
	static const char *const ddl[] = { "CREATE ", "ALTER ", "DROP ", "TRUNCATE " };
	const char *tag = PQcmdStatus((PGresult *)r);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (strncmp(tag, rows[i], strlen(rows[i])) == 0) {
			pc->changes = strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
			pc->own += pc->changes;
			return;
		}
	for (size_t i = 0; i < sizeof ddl / sizeof ddl[0]; i++)
		if (strncmp(tag, ddl[i], strlen(ddl[i])) == 0)
			pc->own++;
	/* A rollback (to a savepoint too) undoes a SET made inside it. */
	if (strcmp(tag, "ROLLBACK") == 0)
		pc->lock_timeout = -1;
}

/* 0 when r, the result of sql, is a success (noted), else -1 with the error noted. A COMMIT
 * of a transaction that met an error "succeeds" as a ROLLBACK: that is a failure here, as the
 * caller's writes are gone. */
static int pg_check(struct db *db, const char *sql, const PGresult *r)
{
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK && strcmp(PQcmdStatus((PGresult *)r), "ROLLBACK") == 0 &&
	    strcasecmp(sql, "COMMIT") == 0) {
		snprintf(PC(db)->err, sizeof PC(db)->err, "COMMIT after an error: rolled back");
		db->last_full = 0;
		pg_note_done(PC(db), r);
		return -1;
	}
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) {
		pg_note_done(PC(db), r);
		return 0;
	}
	pg_note_error(db, r);
	return -1;
}

/* Before each command. */

/* Notices (a ROLLBACK with no transaction, IF NOT EXISTS skipping) would go to stderr. */
static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* What each connection needs beyond its parameters, again after a reconnection. */
static int pg_setup(PGconn *c)
{
	PQsetNoticeProcessor(c, pg_notice, NULL);
	PGresult *r = PQexec(c, "SET TIME ZONE 'UTC'; LISTEN crm_change");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

static int pg_reconnect(struct db *db)
{
	struct pg_conn *pc = PC(db);
	int64_t now = db_mono_ms();
	if (pc->reset_at && now - pc->reset_at < PG_RESET_GAP_MS) {
		snprintf(pc->err, sizeof pc->err, "not connected to PostgreSQL");
		return -1;
	}
	PQreset(pc->c);
	if (PQstatus(pc->c) != CONNECTION_OK || pg_setup(pc->c) != 0) {
		pc->reset_at = now;
		snprintf(pc->err, sizeof pc->err, "cannot reconnect to PostgreSQL: %s",
		    PQerrorMessage(pc->c));
		pc->err[strcspn(pc->err, "\n")] = '\0';
		log_warnx_limited("db: pg reconnect", "db: %s", pc->err);
		return -1;
	}
	pc->reset_at = 0;
	pc->dropped = 0;
	pc->epoch++;
	pc->lock_timeout = -1;
	log_info("db: reconnected to PostgreSQL");
	return 0;
}

/* lock_timeout plays the busy handler's part: lock waits end at db->deadline_ms, or after
 * PG_LOCK_WAIT_MS each. Setting it costs a round trip, so with a deadline it is set again only
 * when the time left has fallen a tenth (at least 100 ms) below it. */
static void pg_lock_timeout(struct db *db)
{
	struct pg_conn *pc = PC(db);
	int want = PG_LOCK_WAIT_MS;
	if (db->deadline_ms) {
		int64_t left = db->deadline_ms - db_mono_ms();
		want = left < 1 ? 1 : left > INT_MAX ? INT_MAX : (int)left;   /* 0 would mean never */
		int slack = want / 10 > 100 ? want / 10 : 100;
		if (pc->lock_timeout >= want && pc->lock_timeout - want <= slack)
			return;
	} else if (pc->lock_timeout == want) {
		return;
	}
	if (PQtransactionStatus(pc->c) == PQTRANS_INERROR)
		return;   /* the command will be refused anyway */
	char sql[48];
	snprintf(sql, sizeof sql, "SET lock_timeout = %d", want);
	PGresult *r = PQexec(pc->c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		pc->lock_timeout = want;
	PQclear(r);
}

/* 1 when sql is "verb [SAVEPOINT] name" (name copied), else 0. */
static int savepoint_cmd(const char *sql, const char *verb, char *name, size_t n)
{
	size_t vl = strlen(verb), i = 0;
	if (strncasecmp(sql, verb, vl) != 0 || !isspace((unsigned char)sql[vl]))
		return 0;
	sql += vl + strspn(sql + vl, " \t\n");
	if (strncasecmp(sql, "SAVEPOINT", 9) == 0 && isspace((unsigned char)sql[9]))
		sql += 9 + strspn(sql + 9, " \t\n");
	for (; i + 1 < n && (isalnum((unsigned char)sql[i]) || sql[i] == '_'); i++)
		name[i] = sql[i];
	name[i] = '\0';
	return i > 0 && sql[i + strspn(sql + i, " \t\n;")] == '\0';
}

/* SQLite's SAVEPOINT outside a transaction begins one, which that savepoint's RELEASE commits;
 * the storage code wraps single items so. PostgreSQL refuses a SAVEPOINT there: the engine
 * begins the transaction before it (here) and commits after the RELEASE (pg_savepoint_done). */
static int pg_savepoint(struct db *db, const char *sql)
{
	struct pg_conn *pc = PC(db);
	char name[sizeof pc->outer];
	if (PQtransactionStatus(pc->c) != PQTRANS_IDLE ||
	    !savepoint_cmd(sql, "SAVEPOINT", name, sizeof name))
		return 0;
	PGresult *r = PQexec(pc->c, "BEGIN");
	int rc = pg_check(db, "BEGIN", r);
	PQclear(r);
	if (rc == 0)
		snprintf(pc->outer, sizeof pc->outer, "%s", name);
	return rc;
}

static int pg_savepoint_done(struct db *db, const char *sql)
{
	struct pg_conn *pc = PC(db);
	char name[sizeof pc->outer];
	if (!pc->outer[0] || !savepoint_cmd(sql, "RELEASE", name, sizeof name) ||
	    strcmp(name, pc->outer) != 0)
		return 0;
	pc->outer[0] = '\0';
	PGresult *r = PQexec(pc->c, "COMMIT");
	int rc = pg_check(db, "COMMIT", r);
	PQclear(r);
	return rc;
}

/* Make the connection ready for sql: reconnect a dropped one, refuse anything but ROLLBACK
 * (or the RELEASE that would have committed) after a drop inside a transaction (what came
 * before it is lost, and running the rest outside a transaction would store half of it),
 * bring lock_timeout to the deadline, begin the transaction a savepoint opens. */
static int pg_ready(struct db *db, const char *sql)
{
	struct pg_conn *pc = PC(db);
	char name[sizeof pc->outer];
	if (pc->lost_txn) {
		if (strcasecmp(sql, "ROLLBACK") != 0) {
			if (pc->outer[0] && savepoint_cmd(sql, "RELEASE", name, sizeof name) &&
			    strcmp(name, pc->outer) == 0)
				pc->lost_txn = 0;
			snprintf(pc->err, sizeof pc->err, "the connection to PostgreSQL was lost inside"
			    " a transaction; it must be rolled back");
			db->last_full = 0;
			return -1;
		}
		pc->lost_txn = 0;
	}
	if (PQstatus(pc->c) == CONNECTION_BAD && pg_reconnect(db) != 0) {
		db->last_full = 0;
		return -1;
	}
	pg_lock_timeout(db);
	pc->in_txn = PQtransactionStatus(pc->c) != PQTRANS_IDLE;
	if (!pc->in_txn)
		pc->outer[0] = '\0';
	return pg_savepoint(db, sql);
}

/* Run sql (no parameters, maybe several commands) and return the last result, or NULL with
 * the error noted. A failure that leaves behind a transaction the text opened is rolled back:
 * PostgreSQL would refuse every later command, where SQLite's transaction just goes on (this
 * is what a begin_sql meeting a lock timeout needs). */
static PGresult *pg_run_text(struct db *db, const char *sql)
{
	struct pg_conn *pc = PC(db);
	if (pg_ready(db, sql) != 0)
		return NULL;
	PGresult *last = NULL, *r;
	int failed = !PQsendQuery(pc->c, sql);
	while (!failed && (r = PQgetResult(pc->c))) {
		PQclear(last);
		last = r;
		failed = pg_check(db, sql, r) != 0;
	}
	if (failed) {
		if (!last)
			pg_note_error(db, NULL);
		while ((r = PQgetResult(pc->c)))
			PQclear(r);
		PQclear(last);
		pg_note_drop(db);   /* the server's last word comes before the end of the stream */
		if (!pc->in_txn && PQtransactionStatus(pc->c) == PQTRANS_INERROR)
			PQclear(PQexec(pc->c, "ROLLBACK"));
		return NULL;
	}
	if (pg_savepoint_done(db, sql) != 0) {
		PQclear(last);
		return NULL;
	}
	return last ? last : PQmakeEmptyPGresult(pc->c, PGRES_EMPTY_QUERY);
}

/* Statements. */

static void pg_reset(struct db_stmt *s)
{
	struct pg_stmt *st = PS(s);
	if (st->blobs)
		for (int i = 0; i < PQnfields(st->res); i++)
			free(st->blobs[i].p);
	free(st->blobs);
	st->blobs = NULL;
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->nrows = 0;
}

static void pg_clear(struct db_stmt *s)
{
	struct pg_stmt *st = PS(s);
	pg_reset(s);
	for (int i = 0; i < st->nparams; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
		st->types[i] = 0;
	}
}

static void pg_finalize(struct db_stmt *s)
{
	struct pg_stmt *st = PS(s);
	pg_clear(s);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->prep_types);
	free(st->text);
	free(st);
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql)
{
	struct pg_stmt *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->base.db = db;
	st->base.sql = sql;
	st->row = -1;
	unsigned char *used = NULL;
	if (db_pg_rewrite(sql, &st->text, &st->nparams, &used, &st->multi) != 0) {
		snprintf(PC(db)->err, sizeof PC(db)->err, "parameter number out of range");
		goto fail;
	}
	if (st->multi && st->nparams) {
		snprintf(PC(db)->err, sizeof PC(db)->err, "several commands with parameters");
		goto fail;
	}
	/* The server-side statement is made at the first step, when the values' types are known:
	 * prepared without them, ? + 1 would be an int4 and COALESCE(?, x) could fail. */
	size_t n = st->nparams ? (size_t)st->nparams : 1;
	st->values = calloc(n, sizeof *st->values);
	st->lengths = calloc(n, sizeof *st->lengths);
	st->formats = calloc(n, sizeof *st->formats);
	st->types = calloc(n, sizeof *st->types);
	st->prep_types = calloc(n, sizeof *st->prep_types);
	if (!st->values || !st->lengths || !st->formats || !st->types || !st->prep_types) {
		snprintf(PC(db)->err, sizeof PC(db)->err, "out of memory");
		goto fail;
	}
	/* A number the text skips (?5 with no ?4) is a parameter nobody reads: SQLite takes it,
	 * PostgreSQL wants its type. */
	for (int i = 0; i < st->nparams; i++)
		if (!used[i])
			st->prep_types[i] = OID_TEXT;
	free(used);
	return &st->base;
fail:
	free(used);
	st->nparams = 0;   /* the arrays may be missing */
	pg_finalize(&st->base);
	return NULL;
}

/* Keep a copy of the value for parameter i (1-based). */
static int pg_bind(struct db_stmt *s, int i, Oid type, const void *p, size_t n, int binary)
{
	struct pg_stmt *st = PS(s);
	if (i < 1 || i > st->nparams || n > INT_MAX)
		return DB_ERROR;
	char *v = NULL;
	if (p) {
		if (!(v = malloc(n + 1)))
			return DB_ERROR;
		memcpy(v, p, n);
		v[n] = '\0';
	}
	i--;
	free(st->values[i]);
	st->values[i] = v;
	st->lengths[i] = (int)n;
	st->formats[i] = binary;
	st->types[i] = type;
	return DB_OK;
}

static int pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
	return pg_bind(st, i, OID_INT8, buf, (size_t)n, 0);
}

static int pg_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
	return pg_bind(st, i, OID_TEXT, s, n, 0);
}

static int pg_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	return pg_bind(st, i, OID_BYTEA, p, n, 1);
}

static int pg_bind_null(struct db_stmt *st, int i)
{
	return pg_bind(st, i, 0, NULL, 0, 0);
}

static int pg_param_count(struct db_stmt *st)
{
	return PS(st)->nparams;
}

static int sqlstate_in(const PGresult *r, const char *const *states)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	for (; s && *states; states++)
		if (strcmp(s, *states) == 0)
			return 1;
	return 0;
}

/* The parameter number at the error position of r in text, or 0. */
static int param_at(const char *text, const PGresult *r)
{
	const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	long p = pos ? strtol(pos, NULL, 10) : 0;
	if (p < 1 || (size_t)p >= strlen(text) || text[p - 1] != '$')
		return 0;
	return (int)strtol(text + p, NULL, 10);
}

static PGresult *reparse(PGconn *c, struct pg_stmt *st, const Oid *t, int guard, PGresult *r)
{
	PQclear(r);
	if (guard)
		PQclear(PQexec(c, "ROLLBACK TO SAVEPOINT crm_prepare"));
	return PQprepare(c, st->name, st->text, st->nparams, t);
}

/* PostgreSQL must know each parameter's type. A NULL brings none; most take one from where
 * they stand (b = ?), but not ?1 IS NULL OR b = ?1, where the first use decides: such are
 * prepared as text, and if that does not fit either (a = ?1 with an integer a), as int8, the
 * two types the storage code binds. An integer where an int4 or a boolean is wanted (CASE
 * WHEN ?, substr(x, 1, ?)) is left for the server to type, and its value reads as either.
 * prep_types keeps the bound types, so the same values later need no new prepare. A failed
 * prepare spoils a transaction, so inside one the tries run under a savepoint. */
static PGresult *pg_parse(PGconn *c, struct pg_stmt *st)
{
	static const char *const untyped[] = { "42P08", "42P18", NULL };
	static const char *const mistyped[] = { "42883", "42804", "42725", NULL };
	int n = st->nparams, guess = 0;
	Oid *t = malloc((n ? (size_t)n : 1) * sizeof *t);
	if (!t)
		return NULL;
	memcpy(t, st->prep_types, (size_t)n * sizeof *t);
	for (int i = 0; i < n; i++)
		guess |= !t[i] || t[i] == OID_INT8;
	int guard = guess && PQtransactionStatus(c) == PQTRANS_INTRANS;
	if (guard)
		PQclear(PQexec(c, "SAVEPOINT crm_prepare"));
	PGresult *r = PQprepare(c, st->name, st->text, n, t);
	if (sqlstate_in(r, untyped)) {
		for (int i = 0; i < n; i++)
			t[i] = st->prep_types[i] ? t[i] : OID_TEXT;
		r = reparse(c, st, t, guard, r);
		for (int i = 0; sqlstate_in(r, mistyped) && i < n; i++)
			t[i] = st->prep_types[i] ? t[i] : OID_INT8;
		if (sqlstate_in(r, mistyped))
			r = reparse(c, st, t, guard, r);
	}
	/* Each try frees the integer the error points at (all of them when it points at none). */
	for (int tries = 0; tries < n && sqlstate_in(r, mistyped); tries++) {
		int k = param_at(st->text, r), freed = 0;
		for (int pass = 0; pass < 2 && !freed; pass++, k = 0)
			for (int i = 0; i < n; i++)
				if (t[i] == OID_INT8 && (!k || k == i + 1)) {
					t[i] = 0;
					freed = 1;
				}
		if (!freed)
			break;
		r = reparse(c, st, t, guard, r);
	}
	free(t);
	if (guard && PQresultStatus(r) != PGRES_COMMAND_OK)
		PQclear(PQexec(c, "ROLLBACK TO SAVEPOINT crm_prepare"));   /* the transaction goes on */
	if (guard)
		PQclear(PQexec(c, "RELEASE SAVEPOINT crm_prepare"));
	return r;
}

/* Prepare the server-side statement when it is not there yet (first use, a reconnection) or a
 * value now bound has another type than it was prepared for. A NULL takes whatever type was
 * known before, so the types settle after a few uses. */
static int pg_prepare_now(struct pg_stmt *st)
{
	struct db *db = st->base.db;
	struct pg_conn *pc = PC(db);
	int same = st->prep_epoch == pc->epoch;
	for (int i = 0; same && i < st->nparams; i++)
		same = !st->types[i] || st->types[i] == st->prep_types[i];
	if (same)
		return 0;
	if (st->prep_epoch == pc->epoch) {
		char sql[32];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
		PQclear(PQexec(pc->c, sql));
	}
	for (int i = 0; i < st->nparams; i++)
		if (st->types[i])
			st->prep_types[i] = st->types[i];
	snprintf(st->name, sizeof st->name, "s%u", db->n_prepared++);
	st->prep_epoch = 0;
	PGresult *r = pg_parse(pc->c, st);
	int rc = pg_check(db, "", r);
	PQclear(r);
	if (rc == 0)
		st->prep_epoch = pc->epoch;
	return rc;
}

static int pg_step(struct db_stmt *s)
{
	struct pg_stmt *st = PS(s);
	struct db *db = s->db;
	if (!st->res) {
		PGresult *r;
		if (st->multi) {
			if (!(r = pg_run_text(db, st->text)))
				return DB_ERROR;
		} else {
			if (pg_ready(db, st->text) != 0 || pg_prepare_now(st) != 0)
				return DB_ERROR;
			r = PQexecPrepared(PC(db)->c, st->name, st->nparams,
			    (const char *const *)st->values, st->lengths, st->formats, 0);
			if (pg_check(db, st->text, r) != 0 || pg_savepoint_done(db, st->text) != 0) {
				PQclear(r);
				return DB_ERROR;
			}
		}
		st->res = r;
		st->nrows = PQntuples(r);
		st->row = -1;
		if (PQnfields(r) > 0 && !(st->blobs = calloc((size_t)PQnfields(r), sizeof *st->blobs))) {
			snprintf(PC(db)->err, sizeof PC(db)->err, "out of memory");
			pg_reset(s);
			return DB_ERROR;
		}
	}
	if (st->blobs)
		for (int i = 0; i < PQnfields(st->res); i++) {
			free(st->blobs[i].p);
			st->blobs[i].p = NULL;
		}
	if (st->row + 1 < st->nrows) {
		st->row++;
		return DB_ROW;
	}
	st->row = st->nrows;
	return DB_DONE;
}

/* Columns: results come in text form. */

static const char *pg_value(struct pg_stmt *st, int i)
{
	if (!st->res || st->row < 0 || st->row >= st->nrows || i < 0 || i >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

static int64_t pg_col_int64(struct db_stmt *s, int i)
{
	const char *v = pg_value(PS(s), i);
	if (!v)
		return 0;
	if (PQftype(PS(s)->res, i) == OID_BOOL)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static double pg_col_double(struct db_stmt *s, int i)
{
	const char *v = pg_value(PS(s), i);
	if (!v)
		return 0;
	if (PQftype(PS(s)->res, i) == OID_BOOL)
		return *v == 't';
	return strtod(v, NULL);
}

/* A bytea value decoded from its text form; kept until the next step or reset. The copy has
 * one more byte, a NUL, so that a blob can be read as text as on SQLite. */
static struct pg_blob *pg_bytea(struct pg_stmt *st, int i)
{
	const char *v = pg_value(st, i);
	if (!v || PQftype(st->res, i) != OID_BYTEA)
		return NULL;
	struct pg_blob *b = &st->blobs[i];
	if (!b->p) {
		size_t n;
		unsigned char *raw = PQunescapeBytea((const unsigned char *)v, &n);
		if (raw && (b->p = malloc(n + 1))) {
			memcpy(b->p, raw, n);
			b->p[n] = '\0';
			b->n = n;
		}
		PQfreemem(raw);
	}
	return b->p ? b : NULL;
}

static const char *pg_col_text(struct db_stmt *s, int i)
{
	struct pg_blob *b = pg_bytea(PS(s), i);
	return b ? (const char *)b->p : pg_value(PS(s), i);
}

static const void *pg_col_blob(struct db_stmt *s, int i)
{
	return pg_col_text(s, i);
}

static int pg_col_bytes(struct db_stmt *s, int i)
{
	struct pg_blob *b = pg_bytea(PS(s), i);
	if (b)
		return (int)b->n;
	return pg_value(PS(s), i) ? PQgetlength(PS(s)->res, PS(s)->row, i) : 0;
}

static int pg_col_is_null(struct db_stmt *s, int i)
{
	return !pg_value(PS(s), i);
}

/* The connection. */

static int pg_open(struct db *db, const char *target, char *err, size_t errlen)
{
	struct pg_conn *pc = calloc(1, sizeof *pc);
	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The target's own settings win over the connect timeout but not over the encoding. */
	static const char *const keys[] = { "connect_timeout", "fallback_application_name",
	    "dbname", "client_encoding", NULL };
	const char *const vals[] = { "10", "crm", target, "UTF8", NULL };
	pc->c = PQconnectdbParams(keys, vals, 1);
	/* The target is not repeated in err: a URL may hold a password. libpq's message names
	 * the server. */
	if (!pc->c || PQstatus(pc->c) != CONNECTION_OK || pg_setup(pc->c) != 0) {
		snprintf(err, errlen, "PostgreSQL: %s", pc->c ? PQerrorMessage(pc->c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(pc->c);
		free(pc);
		return -1;
	}
	pc->epoch = 1;
	pc->lock_timeout = -1;
	db->conn = pc;
	return 0;
}

static void pg_close(struct db *db)
{
	PQfinish(PC(db)->c);
	free(db->conn);
	db->conn = NULL;
}

static int pg_exec(struct db *db, const char *sql)
{
	PGresult *r = pg_run_text(db, sql);
	PQclear(r);
	return r ? 0 : -1;
}

static int64_t pg_changes(struct db *db)
{
	return PC(db)->changes;
}

static const char *pg_errmsg(struct db *db)
{
	return PC(db)->err[0] ? PC(db)->err : PQerrorMessage(PC(db)->c);
}

static int pg_in_transaction(struct db *db)
{
	PGTransactionStatusType s = PQtransactionStatus(PC(db)->c);
	return PC(db)->lost_txn || s == PQTRANS_INTRANS || s == PQTRANS_INERROR ||
	    s == PQTRANS_ACTIVE;
}

/* The first value of a one-row query, or -1 with the error noted (-2: no row). */
static int64_t pg_query_int(struct db *db, const char *sql)
{
	PGresult *r = pg_run_text(db, sql);
	if (!r)
		return -1;
	int64_t v = -2;
	if (PQntuples(r) > 0 && PQnfields(r) > 0)
		v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* others: the commits of other connections that changed rows. Every table has a statement
 * trigger that sends NOTIFY crm_change (migration 26), which PostgreSQL delivers once per
 * transaction at its commit to every connection listening (each one does, from pg_setup); a
 * connection's own are not counted. The commit signals this connection's server process before
 * it returns, but the notification may still be on its way: one trivial query makes the server
 * send what is pending before it answers, so a commit that returned before the question is
 * always seen (a page saved through one web process, read through another). Inside a
 * transaction the server holds them back until it ends, which the snapshot's reads could not
 * see anyway. own: what this connection wrote, counted by pg_note_done. */
static int pg_change_state(struct db *db, int64_t *others, int64_t *own)
{
	struct pg_conn *pc = PC(db);
	if (!pc->c || PQstatus(pc->c) != CONNECTION_OK)
		return -1;
	if (PQtransactionStatus(pc->c) == PQTRANS_IDLE) {
		if (pg_query_int(db, "SELECT 1") != 1)
			return -1;
	} else if (!PQconsumeInput(pc->c)) {
		return -1;
	}
	pg_take_notices(pc);
	/* a reconnection may have missed some: count it as a change */
	*others = pc->others + pc->epoch;
	*own = pc->own;
	return 0;
}

/* The version lives in a one-row table, made by the first migration's transaction. It is
 * looked up first so that reading it never fails (which would spoil a transaction). */
static int pg_schema_version(struct db *db)
{
	int64_t there = pg_query_int(db, "SELECT (to_regclass('schema_version') IS NOT NULL)::int");
	if (there <= 0)
		return there == 0 ? 0 : -1;
	int64_t v = pg_query_int(db, "SELECT v FROM schema_version");
	return v == -2 ? 0 : v < 0 || v > INT_MAX ? -1 : (int)v;
}

static int pg_set_schema_version(struct db *db, int v)
{
	char sql[192];
	snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS schema_version (v integer NOT NULL);"
	    " DELETE FROM schema_version; INSERT INTO schema_version (v) VALUES (%d)", v);
	return pg_exec(db, sql);
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.clear = pg_clear,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.param_count = pg_param_count,
	.step = pg_step,
	.reset = pg_reset,
	.col_int64 = pg_col_int64,
	.col_double = pg_col_double,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_bytes = pg_col_bytes,
	.col_is_null = pg_col_is_null,
	.exec = pg_exec,
	.changes = pg_changes,
	.errmsg = pg_errmsg,
	.in_transaction = pg_in_transaction,
	.change_state = pg_change_state,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.begin_sql = "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITER_LOCK ")",
	.read_begin_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	/* NULL: lock_timeout follows db->deadline_ms at the next command (pg_lock_timeout). */
	.busy_deadline = NULL,
};

/* The SQLite engine of the storage seam: WAL, foreign keys, a busy handler with deadlines, the
 * SQL functions the migrations and the search use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/db_engine.h"
#include "core/timeutil.h"

#define DB_BUSY_WAIT_MS 5000   /* one lock wait, when no deadline is set */
#define DB_BUSY_NAP_MS 50      /* the longest sleep between two tries */

struct lite_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
};

#define H(db) ((sqlite3 *)(db)->conn)
#define ST(s) (((struct lite_stmt *)(s))->st)

/* SQLite's busy handler: sleep 1, 2, 4 ... 50 ms between tries until the deadline (or one
 * DB_BUSY_WAIT_MS wait), then give up and count it in busy_failed. */
static int lite_busy(void *arg, int count)
{
	struct db *db = arg;
	int64_t now = db_mono_ms();
	if (count == 0)
		db->wait_start_ms = now;
	int64_t until = db->deadline_ms ? db->deadline_ms : db->wait_start_ms + DB_BUSY_WAIT_MS;
	if (now >= until) {
		db->busy_failed++;
		return 0;
	}
	int64_t nap = count < 6 ? (int64_t)1 << count : DB_BUSY_NAP_MS;
	if (nap > until - now)
		nap = until - now;
	struct timespec ts = { nap / 1000, (long)(nap % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	return 1;
}

/* SQL crm_all_day_date(t, zone, ...): 00:00 UTC of the date of an all-day item stored at t.
 * Already a UTC midnight: t. Else the date of which t is the local midnight in the first of the
 * zones that has one there (the row's zone, its users'); else the nearest UTC midnight. Used by
 * the migration that turns all-day rows stored at a local midnight into dates. */
static void sql_all_day_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int64_t t = sqlite3_value_int64(argv[0]);
	struct local_time lt;
	if (t % 86400 == 0) {
		sqlite3_result_int64(ctx, t);
		return;
	}
	for (int i = 1; i < argc; i++) {
		const char *tz = (const char *)sqlite3_value_text(argv[i]);
		if (tz && tz_from_utc(tz, t, &lt) == 0 && lt.hour == 0 && lt.min == 0) {
			sqlite3_result_int64(ctx, ymd_to_utc((struct ymd){ lt.y, lt.m, lt.d }));
			return;
		}
	}
	int64_t days = (t + 43200) / 86400 - ((t + 43200) % 86400 < 0);
	sqlite3_result_int64(ctx, days * 86400);
}

/* PostgreSQL's names for what SQLite spells otherwise, so one SQL text serves both engines:
 * strpos(s, sub) is instr; greatest()/least() skip NULLs as PostgreSQL's do (SQLite's scalar
 * max()/min() return NULL if any argument is); string_agg(x, sep) is group_concat. */
static void sql_strpos(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	const char *sub = (const char *)sqlite3_value_text(argv[1]);
	if (!s || !sub) {
		sqlite3_result_null(ctx);
		return;
	}
	const char *at = strstr(s, sub);
	int64_t chars = 0;
	if (at) {
		/* characters, not bytes, like PostgreSQL: count the UTF-8 lead bytes before at */
		for (const char *p = s; p <= at; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
	}
	sqlite3_result_int64(ctx, chars);
}

/* lastval(): PostgreSQL's id of the last row a sequence numbered in this session; SQLite's last
 * rowid (tools and tests write INSERT ... ; ... lastval() on both). */
static void sql_lastval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int64(ctx, sqlite3_last_insert_rowid(sqlite3_context_db_handle(ctx)));
}

static void sql_extreme(sqlite3_context *ctx, int argc, sqlite3_value **argv, int want)
{
	int best = -1;
	for (int i = 0; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			continue;
		if (best < 0)
			best = i;
		else {
			int64_t a = sqlite3_value_int64(argv[i]), b = sqlite3_value_int64(argv[best]);
			if ((want > 0 && a > b) || (want < 0 && a < b))
				best = i;
		}
	}
	if (best < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_value(ctx, argv[best]);
}

static void sql_greatest(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sql_extreme(ctx, argc, argv, 1);
}

static void sql_least(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sql_extreme(ctx, argc, argv, -1);
}

struct agg {
	char *buf;
	size_t len, cap;
	int any, failed;
};

static void sql_string_agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct agg *a = sqlite3_aggregate_context(ctx, sizeof *a);
	const char *v = (const char *)sqlite3_value_text(argv[0]);
	const char *sep = (const char *)sqlite3_value_text(argv[1]);
	if (!a || !v || a->failed)
		return;
	size_t lv = strlen(v), ls = a->any && sep ? strlen(sep) : 0;
	if (a->len + ls + lv + 1 > a->cap) {
		size_t ncap = (a->len + ls + lv + 1) * 2;
		char *n = realloc(a->buf, ncap);
		if (!n) {
			a->failed = 1;
			return;
		}
		a->buf = n;
		a->cap = ncap;
	}
	memcpy(a->buf + a->len, sep ? sep : "", ls);
	memcpy(a->buf + a->len + ls, v, lv + 1);
	a->len += ls + lv;
	a->any = 1;
}

static void sql_string_agg_final(sqlite3_context *ctx)
{
	struct agg *a = sqlite3_aggregate_context(ctx, 0);
	if (!a || !a->any)
		sqlite3_result_null(ctx);
	else if (a->failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, a->buf, (int)a->len, SQLITE_TRANSIENT);
	if (a)
		free(a->buf);
}

static int add_functions(sqlite3 *h)
{
	int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	return sqlite3_create_function(h, "crm_all_day_date", -1, det, NULL, sql_all_day_date,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(h, "strpos", 2, det, NULL, sql_strpos, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(h, "lastval", 0, SQLITE_UTF8, NULL, sql_lastval, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_create_function(h, "greatest", -1, det, NULL, sql_greatest, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_create_function(h, "least", -1, det, NULL, sql_least, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(h, "string_agg", 2, SQLITE_UTF8, NULL, NULL,
	    sql_string_agg_step, sql_string_agg_final) != SQLITE_OK ? -1 : 0;
}

/* SQL crm_rank(fts_table): how well the current row matches, higher is better. It is BM25
 * (k1 1.2, b 0.75, per column, summed) without the inverse document frequency: FTS5's own bm25()
 * counts every row holding each word to weigh it, which costs in proportion to the history (20 ms
 * for a word in most of a million mails) while the rows ranked are only the newest 1,000 matches;
 * every word is required anyway, so what orders them is how often and in how short a field the
 * words occur. */
static void crm_rank(const Fts5ExtensionApi *api, Fts5Context *fc, sqlite3_context *ctx,
    int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	enum { MAX_COLS = 16 };
	int ncol = api->xColumnCount(fc), nphrase = api->xPhraseCount(fc), ninst = 0;
	sqlite3_int64 rows = 0;
	if (ncol > MAX_COLS)
		ncol = MAX_COLS;
	if (api->xRowCount(fc, &rows) != SQLITE_OK || api->xInstCount(fc, &ninst) != SQLITE_OK) {
		sqlite3_result_error(ctx, "crm_rank: cannot read the row", -1);
		return;
	}
	double score = 0;
	for (int ph = 0; ph < nphrase; ph++) {
		int tf[MAX_COLS] = { 0 };
		for (int i = 0; i < ninst; i++) {
			int iph, icol, off;
			if (api->xInst(fc, i, &iph, &icol, &off) == SQLITE_OK && iph == ph && icol < ncol)
				tf[icol]++;
		}
		for (int col = 0; col < ncol; col++) {
			sqlite3_int64 total = 0;
			int len = 0;
			if (!tf[col] || api->xColumnTotalSize(fc, col, &total) != SQLITE_OK ||
			    api->xColumnSize(fc, col, &len) != SQLITE_OK)
				continue;
			double avg = rows > 0 && total > 0 ? (double)total / (double)rows : 1.0;
			double norm = 1.2 * (0.25 + 0.75 * (double)len / avg);
			score += tf[col] * 2.2 / (tf[col] + norm);
		}
	}
	sqlite3_result_double(ctx, score);
}

static int search_register(sqlite3 *h)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return -1;
	return api->xCreateFunction(api, "crm_rank", NULL, crm_rank, NULL) == SQLITE_OK ? 0 : -1;
}

static int lite_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(H(db), sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	if (rc == SQLITE_OK)
		return 0;
	db->last_full = (sqlite3_extended_errcode(H(db)) & 0xff) == SQLITE_FULL;
	return -1;
}

/* SQLite's memory statistics take a global mutex on every allocation, which the web app's
 * threads rendering pages at once queue on; nothing here reads them. sqlite3_config must come
 * before SQLite initializes, so before main. */
__attribute__((constructor)) static void lite_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int lite_open(struct db *db, const char *path, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, h ? sqlite3_errmsg(h) : "cannot open");
		sqlite3_close(h);
		return -1;
	}
	db->conn = h;
	sqlite3_busy_handler(h, lite_busy, db);
	if (add_functions(h) != 0 || search_register(h) != 0) {
		snprintf(err, errlen, "%s: cannot register the SQL functions", path);
		return -1;
	}
	/* temp_store=MEMORY: the statement journal of each stored item's savepoint (and sorts'
	 * scratch space) stays in memory instead of a temp file; the database file, the WAL and
	 * their durability are unchanged. Measured side by side: imports 28-50% faster. */
	if (lite_exec(db, "PRAGMA journal_mode=WAL") || lite_exec(db, "PRAGMA foreign_keys=ON") ||
	    lite_exec(db, "PRAGMA synchronous=NORMAL") || lite_exec(db, "PRAGMA temp_store=MEMORY")) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(h));
		return -1;
	}
	return 0;
}

static void lite_close(struct db *db)
{
	sqlite3_close(H(db));
	db->conn = NULL;
}

static struct db_stmt *lite_prepare(struct db *db, const char *sql)
{
	struct lite_stmt *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL) != SQLITE_OK) {
		free(s);
		return NULL;
	}
	return &s->base;
}

static void lite_finalize(struct db_stmt *st)
{
	sqlite3_finalize(ST(st));
	free(st);
}

static void lite_clear(struct db_stmt *st)
{
	sqlite3_reset(ST(st));
	sqlite3_clear_bindings(ST(st));
}

static int bound(int rc)
{
	return rc == SQLITE_OK ? DB_OK : DB_ERROR;
}

static int lite_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	return bound(sqlite3_bind_int64(ST(st), i, v));
}

static int lite_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
	return bound(sqlite3_bind_text64(ST(st), i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int lite_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	return bound(sqlite3_bind_blob64(ST(st), i, p, n, SQLITE_TRANSIENT));
}

static int lite_bind_null(struct db_stmt *st, int i)
{
	return bound(sqlite3_bind_null(ST(st), i));
}

static int lite_param_count(struct db_stmt *st)
{
	return sqlite3_bind_parameter_count(ST(st));
}

static int lite_step(struct db_stmt *st)
{
	int rc = sqlite3_step(ST(st));
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	st->db->last_full = (sqlite3_extended_errcode(H(st->db)) & 0xff) == SQLITE_FULL;
	return DB_ERROR;
}

static void lite_reset(struct db_stmt *st)
{
	sqlite3_reset(ST(st));
}

static int64_t lite_col_int64(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(ST(st), i);
}

static double lite_col_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(ST(st), i);
}

static const char *lite_col_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(ST(st), i);
}

static const void *lite_col_blob(struct db_stmt *st, int i)
{
	return sqlite3_column_blob(ST(st), i);
}

static int lite_col_bytes(struct db_stmt *st, int i)
{
	return sqlite3_column_bytes(ST(st), i);
}

static int lite_col_is_null(struct db_stmt *st, int i)
{
	return sqlite3_column_type(ST(st), i) == SQLITE_NULL;
}

static int64_t lite_changes(struct db *db)
{
	return sqlite3_changes64(H(db));
}

static const char *lite_errmsg(struct db *db)
{
	return sqlite3_errmsg(H(db));
}

static int lite_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(H(db));
}

/* data_version changes with every commit of another connection; total_changes with every
 * write of this one. */
static int lite_change_state(struct db *db, int64_t *others, int64_t *own)
{
	static const char SQL_DATA_VERSION[] = "PRAGMA data_version";
	struct db_stmt *st = db_stmt(db, SQL_DATA_VERSION);
	if (!st || lite_step(st) != DB_ROW) {
		if (st)
			lite_reset(st);
		return -1;
	}
	*others = lite_col_int64(st, 0);
	lite_reset(st);
	*own = sqlite3_total_changes64(H(db));
	return 0;
}

static int lite_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(H(db), "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int lite_set_schema_version(struct db *db, int v)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v);
	return lite_exec(db, pragma);
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.clear = lite_clear,
	.bind_int64 = lite_bind_int64,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_null = lite_bind_null,
	.param_count = lite_param_count,
	.step = lite_step,
	.reset = lite_reset,
	.col_int64 = lite_col_int64,
	.col_double = lite_col_double,
	.col_text = lite_col_text,
	.col_blob = lite_col_blob,
	.col_bytes = lite_col_bytes,
	.col_is_null = lite_col_is_null,
	.exec = lite_exec,
	.changes = lite_changes,
	.errmsg = lite_errmsg,
	.in_transaction = lite_in_transaction,
	.change_state = lite_change_state,
	.schema_version = lite_schema_version,
	.set_schema_version = lite_set_schema_version,
	.begin_sql = "BEGIN IMMEDIATE",
	.read_begin_sql = "BEGIN DEFERRED",
	.busy_deadline = NULL,
};

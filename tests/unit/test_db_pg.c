/* The PostgreSQL engine through the storage API: placeholders, values, statements read at once,
 * transactions, writers queueing, change states, a dropped connection. Runs a private server
 * on a free loopback port, or makes a database of its own on the server of CRM_TEST_PG_URL. */
#include <arpa/inet.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/db_engine.h"
#include "t.h"

static char url[512];
static char dir[64];       /* the private server's folder; empty with CRM_TEST_PG_URL */
static char bin[256];
static char as_pg[32];     /* "runuser -u postgres -- " when root: initdb refuses root */
static char server_opts[256];

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int server_ctl(const char *what)
{
	return sh("%s%s/pg_ctl -w -D %s/data -l %s/log -m fast -o \"%s\" %s >/dev/null 2>&1", as_pg,
	    bin, dir, dir, server_opts, what);
}

static void server_stop(void)
{
	if (!dir[0])
		return;
	server_ctl("stop");
	sh("rm -rf %s", dir);
	dir[0] = '\0';
}

/* base with its database replaced by name (a dbname parameter wins over the URL's path). */
static void url_with_db(char *out, size_t n, const char *base, const char *name)
{
	snprintf(out, n, "%s%sdbname=%s", base, strchr(base, '?') ? "&" : "?", name);
}

static struct db *connect_db(void);
/* What migration 26 gives every table, here without the migrations: a commit is told. */
#define TOLD_FN "CREATE OR REPLACE FUNCTION crm_told() RETURNS trigger LANGUAGE plpgsql AS $$" \
	"BEGIN PERFORM pg_notify('crm_change', ''); RETURN NULL; END$$;"
static void close_dbs(void);
static char scratch_base[512], scratch_name[64];   /* the database made on CRM_TEST_PG_URL */

/* On a server of CRM_TEST_PG_URL (maybe a base URL naming no database) the cases run in a
 * database of their own, dropped at the end. */
static int scratch_db_make(const char *base)
{
	char sql[128];
	snprintf(scratch_base, sizeof scratch_base, "%s", base);
	snprintf(scratch_name, sizeof scratch_name, "crm_test_db_pg_%d", (int)getpid());
	url_with_db(url, sizeof url, base, "postgres");
	struct db *admin = connect_db();
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", scratch_name);
	int rc = admin ? db_exec(admin, sql) : -1;
	close_dbs();
	url_with_db(url, sizeof url, base, scratch_name);
	return rc;
}

static void scratch_db_drop(void)
{
	char sql[128];
	if (!scratch_name[0])
		return;
	url_with_db(url, sizeof url, scratch_base, "postgres");
	struct db *admin = connect_db();
	snprintf(sql, sizeof sql, "DROP DATABASE %s", scratch_name);
	if (admin)
		db_exec(admin, sql);
	close_dbs();
}

/* initdb and pg_ctl from the newest /usr/lib/postgresql/N/bin; fsync off, no autovacuum and
 * minimal WAL so that nothing but the test's own commands moves the WAL. */
static int server_start(void)
{
	const char *env = getenv("CRM_TEST_PG_URL");
	if (env && *env)
		return scratch_db_make(env);
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0)
		return -1;
	snprintf(bin, sizeof bin, "%.*s", (int)(strlen(g.gl_pathv[g.gl_pathc - 1]) - 7),
	    g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	snprintf(dir, sizeof dir, "/tmp/test_db_pg.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw || chown(dir, pw->pw_uid, pw->pw_gid) != 0)
			return -1;
		snprintf(as_pg, sizeof as_pg, "runuser -u postgres -- ");
	}
	if (sh("%s%s/initdb -D %s/data -A trust -U crm >%s/initdb.log 2>&1", as_pg, bin, dir,
	    dir) != 0)
		return -1;
	for (int tries = 0; tries < 3; tries++) {
		int port = free_port();
		snprintf(server_opts, sizeof server_opts, "-k %s -h 127.0.0.1 -p %d -c fsync=off"
		    " -c autovacuum=off -c wal_level=minimal -c max_wal_senders=0", dir, port);
		if (server_ctl("start") == 0) {
			snprintf(url, sizeof url, "postgresql://crm@127.0.0.1:%d/postgres"
			    "?sslmode=disable&gssencmode=disable", port);
			return 0;
		}
	}
	return -1;
}

/* Every connection the cases open, closed at the end whether they passed or not. */
static struct db *open_dbs[64];
static int n_open;

/* A connection without db_open's migrations: the cases work on tables of their own
 * (test_open_migrates_a_new_database covers db_open). */
static struct db *connect_db(void)
{
	char err[256];
	struct db *db = calloc(1, sizeof *db);
	db->ops = &db_pg_ops;
	if (db_pg_ops.open(db, url, err, sizeof err) != 0) {
		fprintf(stderr, "  %s\n", err);
		free(db);
		return NULL;
	}
	if (n_open < (int)(sizeof open_dbs / sizeof open_dbs[0]))
		open_dbs[n_open++] = db;
	return db;
}

static void close_dbs(void)
{
	while (n_open > 0)
		db_close(open_dbs[--n_open]);
}

/* Column 0 of the one row of sql (a literal, no parameters); -999 when it fails. */
static int64_t one_int(struct db *db, const char *sql)
{
	struct db_stmt *st = db_stmt(db, sql);
	int64_t v = st && db_step(st) == DB_ROW ? db_col_int64(st, 0) : -999;
	if (st)
		db_reset(st);
	return v;
}

static void test_placeholders_are_numbered_as_on_sqlite(void)
{
	struct db *db = connect_db();
	CHECK(db);
	/* ? after ?5 is ?6; ?1 again; ? inside a literal, a quoted name and a comment stays. */
	struct db_stmt *st = db_stmt(db, "SELECT ?, ?5, ?, '?' || ?1 || 'it''s ?', \"q?\".x"
	    " FROM (SELECT 7 AS x) AS \"q?\" -- ?\n");
	CHECK(st);
	CHECK_INT(db_param_count(st), 6);
	CHECK_INT(db_bind_text(st, 1, "a"), DB_OK);
	CHECK_INT(db_bind_text(st, 5, "e"), DB_OK);
	CHECK_INT(db_bind_text(st, 6, "f"), DB_OK);
	CHECK_INT(db_bind_text(st, 7, "out of range"), DB_ERROR);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_STR(db_col_text(st, 0), "a");
	CHECK_STR(db_col_text(st, 1), "e");
	CHECK_STR(db_col_text(st, 2), "f");
	CHECK_STR(db_col_text(st, 3), "?ait's ?");
	CHECK_INT(db_col_int(st, 4), 7);
	CHECK_INT(db_step(st), DB_DONE);

	st = db_stmt(db, "SELECT ?2 || ?1 || ?1, $3");
	CHECK(st);
	CHECK_INT(db_param_count(st), 3);
	db_bind_text(st, 1, "x");
	db_bind_text(st, 2, "y");
	db_bind_int(st, 3, 3);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_STR(db_col_text(st, 0), "yxx");
	CHECK_INT(db_col_int(st, 1), 3);
}

static void test_int64_values_round_trip(void)
{
	static const int64_t vals[] = { INT64_MAX, INT64_MIN, -1, 0, ((int64_t)1 << 53) + 1 };
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_int; CREATE TABLE t_int (i int, v int8)"), 0);
	for (int i = 0; i < 5; i++) {
		struct db_stmt *st = db_stmt(db, "INSERT INTO t_int (i, v) VALUES (?, ?)");
		db_bind_int(st, 1, i);
		db_bind_int64(st, 2, vals[i]);
		CHECK_INT(db_step_done(db, st), 0);
	}
	struct db_stmt *st = db_stmt(db, "SELECT v FROM t_int ORDER BY i");
	for (int i = 0; i < 5; i++) {
		CHECK_INT(db_step(st), DB_ROW);
		CHECK(db_col_int64(st, 0) == vals[i]);
	}
	CHECK_INT(db_step(st), DB_DONE);
	/* Bound as int8, so ? + 1 is not computed in int4. */
	st = db_stmt(db, "SELECT ? + 1");
	db_bind_int64(st, 1, 5000000000);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK(db_col_int64(st, 0) == 5000000001);
	CHECK(db_col_double(st, 0) == 5000000001.0);
}

static void test_nulls_read_as_null(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_null;"
	    " CREATE TABLE t_null (a int8, b text, c bytea)"), 0);
	struct db_stmt *st = db_stmt(db, "INSERT INTO t_null VALUES (?, ?, ?)");
	db_bind_null(st, 1);
	db_bind_text(st, 2, NULL);
	db_bind_null(st, 3);
	CHECK_INT(db_step_done(db, st), 0);
	st = db_stmt(db, "SELECT a, b, c FROM t_null");
	CHECK_INT(db_step(st), DB_ROW);
	for (int i = 0; i < 3; i++) {
		CHECK(db_col_is_null(st, i));
		CHECK(db_col_text(st, i) == NULL);
		CHECK_INT(db_col_int64(st, i), 0);
		CHECK_INT(db_col_bytes(st, i), 0);
	}
	db_reset(st);
	/* A NULL's type comes from where it stands; then the same statement takes a text. */
	static const char SQL_MATCH[] = "SELECT count(*) FROM t_null WHERE ?1 IS NULL OR b = ?1";
	st = db_stmt(db, SQL_MATCH);
	db_bind_null(st, 1);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 1);
	st = db_stmt(db, SQL_MATCH);
	db_bind_text(st, 1, "x");
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 0);
	/* The same first met inside a transaction, with an integer: the transaction goes on. */
	CHECK_INT(db_begin(db), 0);
	st = db_stmt(db, "SELECT count(*) FROM t_null WHERE ?1 IS NULL OR a = ?1");
	db_bind_null(st, 1);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 1);
	st = db_stmt(db, "SELECT * FROM t_null WHERE nosuchcolumn = ?");
	db_bind_null(st, 1);
	CHECK_INT(db_step(st), DB_ERROR);
	CHECK_INT(db_exec(db, "INSERT INTO t_null (a) VALUES (5)"), 0);
	CHECK_INT(db_commit(db), 0);
	CHECK_INT(one_int(db, "SELECT count(*) FROM t_null"), 2);
	/* An integer where a boolean or an int4 is wanted, inside a transaction too. */
	CHECK_INT(db_begin(db), 0);
	st = db_stmt(db, "SELECT CASE WHEN ?2 THEN 'yes' ELSE 'no' END, substr('abcdef', 1, ?1),"
	    " 5000000000 + ?3");
	db_bind_int(st, 1, 3);
	db_bind_int(st, 2, 1);
	db_bind_int64(st, 3, 1);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_STR(db_col_text(st, 0), "yes");
	CHECK_STR(db_col_text(st, 1), "abc");
	CHECK(db_col_int64(st, 2) == 5000000001);
	unsigned prepared = db->n_prepared;
	st = db_stmt(db, "SELECT CASE WHEN ?2 THEN 'yes' ELSE 'no' END, substr('abcdef', 1, ?1),"
	    " 5000000000 + ?3");
	db_bind_int(st, 1, 2);
	db_bind_int(st, 2, 0);
	db_bind_int64(st, 3, 2);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_STR(db_col_text(st, 0), "no");
	CHECK_STR(db_col_text(st, 1), "ab");
	CHECK_INT(db->n_prepared, prepared);   /* not prepared again for the same types */
	CHECK_INT(db_commit(db), 0);
	/* A text is sent as text: ? IS NULL alone is not left without a type. */
	st = db_stmt(db, "SELECT ? IS NULL, COALESCE(?2, 'dflt')");
	db_bind_text(st, 1, "a");
	db_bind_null(st, 2);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 0);
	CHECK_STR(db_col_text(st, 1), "dflt");
}

static void test_blobs_keep_zero_bytes(void)
{
	static const unsigned char blob[] = { 'a', 0, 'b', 0, 0xff };
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_blob; CREATE TABLE t_blob (a bytea, b bytea)"), 0);
	struct db_stmt *st = db_stmt(db, "INSERT INTO t_blob VALUES (?, ?)");
	db_bind_blob(st, 1, blob, sizeof blob);
	db_bind_blob(st, 2, NULL, 0);
	CHECK_INT(db_step_done(db, st), 0);
	st = db_stmt(db, "SELECT a, b, length(a) FROM t_blob");
	CHECK_INT(db_step(st), DB_ROW);
	const void *a = db_col_blob(st, 0), *b = db_col_blob(st, 1);
	CHECK(a && b);
	CHECK_INT(db_col_bytes(st, 0), sizeof blob);
	CHECK_INT(db_col_bytes(st, 1), 0);
	CHECK(memcmp(a, blob, sizeof blob) == 0);   /* still valid after reading column 1 */
	CHECK_INT(db_col_int(st, 2), sizeof blob);
	CHECK(!db_col_is_null(st, 1));
}

static void test_booleans_read_as_0_or_1(void)
{
	struct db *db = connect_db();
	CHECK(db);
	struct db_stmt *st = db_stmt(db, "SELECT true, false, 2 > ?, NULL::boolean");
	db_bind_int(st, 1, 1);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 1);
	CHECK_INT(db_col_int(st, 1), 0);
	CHECK_INT(db_col_int64(st, 2), 1);
	CHECK(db_col_double(st, 2) == 1.0);
	CHECK(db_col_is_null(st, 3));
	CHECK_INT(db_col_int(st, 3), 0);
}

static void test_a_select_is_read_while_updates_run(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_multi;"
	    " CREATE TABLE t_multi (id int8 PRIMARY KEY, n int8 NOT NULL DEFAULT 0);"
	    " INSERT INTO t_multi (id) SELECT generate_series(1, 5)"), 0);
	struct db_stmt *sel = db_stmt(db, "SELECT id FROM t_multi ORDER BY id");
	int rows = 0;
	while (db_step(sel) == DB_ROW) {
		int64_t id = db_col_int64(sel, 0);
		struct db_stmt *up = db_stmt(db, "UPDATE t_multi SET n = n + ?2 WHERE id = ?1");
		db_bind_int64(up, 1, id);
		db_bind_int64(up, 2, id * 10);
		CHECK_INT(db_step_done(db, up), 0);
		CHECK_INT(one_int(db, "SELECT count(*) FROM t_multi WHERE n > 0"), id);
		CHECK_INT(db_col_int64(sel, 0), id);
		rows++;
	}
	CHECK_INT(rows, 5);
	CHECK_INT(one_int(db, "SELECT sum(n) FROM t_multi"), 150);
}

static void test_changes_counts_the_rows_of_the_last_write(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_ch; CREATE TABLE t_ch (id int8);"
	    " INSERT INTO t_ch SELECT generate_series(1, 3)"), 0);
	CHECK_INT(db_changes(db), 3);
	struct db_stmt *st = db_stmt(db, "UPDATE t_ch SET id = id + 10 WHERE id >= ?");
	db_bind_int(st, 1, 2);
	CHECK_INT(db_step_done(db, st), 0);
	CHECK_INT(db_changes(db), 2);
	CHECK_INT(one_int(db, "SELECT count(*) FROM t_ch"), 3);
	CHECK_INT(db_changes(db), 2);   /* a read leaves it */
	st = db_stmt(db, "INSERT INTO t_ch (id) VALUES (99) RETURNING id");
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 99);
	CHECK_INT(db_changes(db), 1);
	CHECK_INT(db_exec(db, "DELETE FROM t_ch WHERE id < 0"), 0);
	CHECK_INT(db_changes(db), 0);
}

static void test_rollback_undoes_and_commit_keeps(void)
{
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_exec(a, "DROP TABLE IF EXISTS t_tx; CREATE TABLE t_tx (id int8)"), 0);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(db_begin(a), 0);
	CHECK_INT(db_in_transaction(a), 1);
	CHECK_INT(db_exec(a, "INSERT INTO t_tx VALUES (1)"), 0);
	CHECK_INT(one_int(b, "SELECT count(*) FROM t_tx"), 0);
	db_rollback(a);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(one_int(a, "SELECT count(*) FROM t_tx"), 0);
	CHECK_INT(db_begin(a), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_tx VALUES (2)"), 0);
	CHECK_INT(db_commit(a), 0);
	CHECK_INT(one_int(b, "SELECT count(*) FROM t_tx"), 1);
}

static void test_an_error_in_a_transaction_is_rolled_back_then_work_goes_on(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_err; CREATE TABLE t_err (id int8 PRIMARY KEY)"), 0);
	static const char SQL_ADD[] = "INSERT INTO t_err (id) VALUES (?)";
	CHECK_INT(db_begin(db), 0);
	struct db_stmt *st = db_stmt(db, SQL_ADD);
	db_bind_int(st, 1, 1);
	CHECK_INT(db_step_done(db, st), 0);
	st = db_stmt(db, SQL_ADD);
	db_bind_int(st, 1, 1);
	CHECK_INT(db_step(st), DB_ERROR);
	CHECK(strstr(db_errmsg(db), "23505"));
	st = db_stmt(db, SQL_ADD);
	db_bind_int(st, 1, 2);
	CHECK_INT(db_step(st), DB_ERROR);   /* refused until the rollback */
	CHECK_INT(db_in_transaction(db), 1);
	db_rollback(db);
	CHECK_INT(db_in_transaction(db), 0);
	st = db_stmt(db, SQL_ADD);
	db_bind_int(st, 1, 2);
	CHECK_INT(db_step_done(db, st), 0);

	/* A commit after an error does not pretend to have stored anything. */
	CHECK_INT(db_begin(db), 0);
	CHECK_INT(db_exec(db, "INSERT INTO t_err VALUES (7)"), 0);
	CHECK_INT(db_exec(db, "INSERT INTO t_err VALUES (7)"), -1);
	CHECK_INT(db_commit(db), -1);
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_INT(one_int(db, "SELECT count(*) FROM t_err WHERE id = 7"), 0);

	/* A savepoint around one item keeps the rest of the transaction. */
	CHECK_INT(db_begin(db), 0);
	CHECK_INT(db_exec(db, "SAVEPOINT item"), 0);
	st = db_stmt(db, SQL_ADD);
	db_bind_int(st, 1, 2);
	CHECK_INT(db_step(st), DB_ERROR);
	CHECK_INT(db_exec(db, "ROLLBACK TO item"), 0);
	st = db_stmt(db, SQL_ADD);
	db_bind_int(st, 1, 3);
	CHECK_INT(db_step_done(db, st), 0);
	CHECK_INT(db_commit(db), 0);
	CHECK_INT(one_int(db, "SELECT sum(id) FROM t_err"), 5);
}

/* As on SQLite: a savepoint outside a transaction opens one, and its release commits it. */
static void test_a_savepoint_outside_a_transaction_is_one(void)
{
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_exec(a, "DROP TABLE IF EXISTS t_sp; CREATE TABLE t_sp (id int8)"), 0);
	CHECK_INT(db_exec(a, "SAVEPOINT one"), 0);
	CHECK_INT(db_in_transaction(a), 1);
	CHECK_INT(db_exec(a, "INSERT INTO t_sp VALUES (1)"), 0);
	CHECK_INT(db_exec(a, "SAVEPOINT inner_one"), 0);
	CHECK_INT(db_exec(a, "RELEASE inner_one"), 0);
	CHECK_INT(db_in_transaction(a), 1);
	CHECK_INT(one_int(b, "SELECT count(*) FROM t_sp"), 0);
	CHECK_INT(db_exec(a, "RELEASE SAVEPOINT one"), 0);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(one_int(b, "SELECT count(*) FROM t_sp"), 1);
	/* Rolled back to, then released: nothing stored, nothing left open. */
	CHECK_INT(db_exec(a, "SAVEPOINT two"), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_sp VALUES (2)"), 0);
	CHECK_INT(db_exec(a, "ROLLBACK TO two"), 0);
	CHECK_INT(db_exec(a, "RELEASE two"), 0);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(one_int(b, "SELECT count(*) FROM t_sp"), 1);
	/* Inside a transaction a release commits nothing. */
	CHECK_INT(db_begin(a), 0);
	CHECK_INT(db_exec(a, "SAVEPOINT three"), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_sp VALUES (3)"), 0);
	CHECK_INT(db_exec(a, "RELEASE three"), 0);
	CHECK_INT(db_in_transaction(a), 1);
	db_rollback(a);
	CHECK_INT(one_int(b, "SELECT count(*) FROM t_sp"), 1);
}

static void test_writers_queue_until_the_deadline(void)
{
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_begin(a), 0);
	db_busy_deadline(b, 300);
	int64_t t0 = db_mono_ms();
	CHECK_INT(db_begin(b), -1);
	int64_t waited = db_mono_ms() - t0;
	CHECK(waited >= 250 && waited < 3000);
	CHECK_INT(db_busy_failed(b), 1);
	CHECK_INT(db_in_transaction(b), 0);   /* not left in a failed transaction */
	CHECK_INT(one_int(b, "SELECT 1"), 1);
	/* The deadline is one budget for every wait: the next one has nothing left. */
	t0 = db_mono_ms();
	CHECK_INT(db_begin(b), -1);
	CHECK(db_mono_ms() - t0 < 150);
	CHECK_INT(db_busy_failed(b), 2);
	CHECK_INT(db_commit(a), 0);
	db_busy_deadline(b, 0);
	CHECK_INT(db_busy_failed(b), 0);
	CHECK_INT(db_begin(b), 0);
	CHECK_INT(db_commit(b), 0);
}

/* The server's own disk-full error, raised by hand: db_disk_full says so until a commit. */
static void test_a_full_disk_is_told_from_other_errors(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'other'; END $$"), -1);
	CHECK_INT(db_disk_full(db), 0);
	CHECK_INT(db_begin(db), 0);
	CHECK_INT(db_exec(db, "SAVEPOINT item"), 0);
	CHECK_INT(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full';"
	    " END $$"), -1);
	CHECK_INT(db_disk_full(db), 1);
	CHECK(strstr(db_errmsg(db), "53100"));
	CHECK_INT(db_exec(db, "ROLLBACK TO item"), 0);
	CHECK_INT(db_commit(db), 0);
	CHECK_INT(db_disk_full(db), 0);
}

static void test_step_ids_runs_the_statement_to_its_end(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_ids;"
	    " CREATE TABLE t_ids (id int8, n int8 NOT NULL DEFAULT 0);"
	    " INSERT INTO t_ids (id) SELECT generate_series(1, 5)"), 0);
	struct db_stmt *st = db_stmt(db, "UPDATE t_ids SET n = ? RETURNING id");
	db_bind_int(st, 1, 1);
	int64_t ids[2];
	size_t n;
	CHECK_INT(db_step_ids(db, st, ids, 2, &n), 0);
	CHECK_INT(n, 2);
	CHECK(ids[0] >= 1 && ids[0] <= 5 && ids[1] >= 1 && ids[1] <= 5 && ids[0] != ids[1]);
	CHECK_INT(one_int(db, "SELECT count(*) FROM t_ids WHERE n = 1"), 5);
}

static void test_the_statement_cache_reuses_and_rebinds(void)
{
	static const char SQL_NEXT[] = "SELECT ?1 + 1";
	static const char SQL_NEXT_COPY[] = "SELECT ?1 + 1";
	struct db *db = connect_db();
	CHECK(db);
	struct db_stmt *st = db_stmt(db, SQL_NEXT);
	db_bind_int(st, 1, 1);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 2);
	unsigned prepared = db->n_prepared;
	CHECK(db_stmt(db, SQL_NEXT) == st);
	db_bind_int(st, 1, 41);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_col_int(st, 0), 42);
	CHECK_INT(db->n_prepared, prepared);   /* executed again, not prepared again */
	struct db_stmt *other = db_stmt(db, SQL_NEXT_COPY);
	CHECK(other && other != st);
}

static void test_change_state_moves_with_another_connections_commit(void)
{
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_exec(a, TOLD_FN "DROP TABLE IF EXISTS t_cs; CREATE TABLE t_cs (id int8);"
	    " CREATE TRIGGER t_cs_told AFTER INSERT OR UPDATE OR DELETE ON t_cs"
	    " FOR EACH STATEMENT EXECUTE FUNCTION crm_told()"), 0);
	int64_t o1, w1, o2, w2;
	CHECK_INT(db_change_state(a, &o1, &w1), 0);
	CHECK_INT(one_int(a, "SELECT count(*) FROM t_cs"), 0);
	CHECK_INT(db_change_state(a, &o2, &w2), 0);
	/* Another server may have other databases moving its WAL: only a private one is quiet. */
	if (dir[0])
		CHECK(o2 == o1);
	CHECK(w2 == w1);
	CHECK_INT(db_exec(b, "INSERT INTO t_cs VALUES (1)"), 0);
	CHECK_INT(db_change_state(a, &o2, &w2), 0);
	CHECK(o2 != o1);
	CHECK(w2 == w1);
	CHECK_INT(db_exec(a, "INSERT INTO t_cs VALUES (2)"), 0);
	CHECK_INT(db_change_state(a, &o1, &w1), 0);
	CHECK(w1 != w2);
}

static void test_a_read_snapshot_sees_one_state(void)
{
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_exec(a, TOLD_FN "DROP TABLE IF EXISTS t_snap; CREATE TABLE t_snap (id int8);"
	    " CREATE TRIGGER t_snap_told AFTER INSERT OR UPDATE OR DELETE ON t_snap"
	    " FOR EACH STATEMENT EXECUTE FUNCTION crm_told()"), 0);
	int64_t o1, w1, o2, w2;
	CHECK_INT(db_read_begin(a), 0);
	CHECK_INT(one_int(a, "SELECT count(*) FROM t_snap"), 0);
	CHECK_INT(db_change_state(a, &o1, &w1), 0);   /* the page cache asks inside one */
	CHECK_INT(db_exec(b, "INSERT INTO t_snap VALUES (1)"), 0);
	CHECK_INT(one_int(a, "SELECT count(*) FROM t_snap"), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_snap VALUES (2)"), -1);   /* read only */
	db_read_end(a);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(one_int(a, "SELECT count(*) FROM t_snap"), 1);
	/* the commit made during the snapshot is told once it ends */
	CHECK_INT(db_change_state(a, &o2, &w2), 0);
	CHECK(o2 != o1);
}

static void test_the_schema_version_is_stored(void)
{
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_exec(a, "DROP TABLE IF EXISTS schema_version"), 0);
	CHECK_INT(db_schema_version(a), 0);
	CHECK_INT(db_begin(a), 0);
	CHECK_INT(db_pg_ops.set_schema_version(a, 7), 0);
	CHECK_INT(db_pg_ops.set_schema_version(a, 8), 0);
	CHECK_INT(db_commit(a), 0);
	CHECK_INT(db_schema_version(b), 8);
	CHECK_INT(db_exec(a, "DROP TABLE schema_version"), 0);
}

static void test_a_dropped_connection_fails_then_reconnects(void)
{
	static const char SQL_PID[] = "SELECT pg_backend_pid()";
	static const char SQL_KILL[] = "SELECT pg_terminate_backend(?::int, 5000)";
	struct db *a = connect_db(), *b = connect_db();
	CHECK(a && b);
	CHECK_INT(db_exec(a, "DROP TABLE IF EXISTS t_drop; CREATE TABLE t_drop (id int8)"), 0);
	struct db_stmt *kill = db_stmt(b, SQL_KILL);
	db_bind_int64(kill, 1, one_int(a, SQL_PID));
	CHECK_INT(db_step(kill), DB_ROW);
	CHECK_INT(one_int(a, SQL_PID), -999);
	CHECK(*db_errmsg(a));
	int64_t pid = one_int(a, SQL_PID);   /* reconnected; the statement prepared again */
	CHECK(pid > 0);

	/* Lost inside a transaction: nothing runs until the rollback. */
	CHECK_INT(db_begin(a), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_drop VALUES (1)"), 0);
	kill = db_stmt(b, SQL_KILL);
	db_bind_int64(kill, 1, pid);
	CHECK_INT(db_step(kill), DB_ROW);
	CHECK_INT(db_exec(a, "INSERT INTO t_drop VALUES (2)"), -1);
	CHECK_INT(db_exec(a, "INSERT INTO t_drop VALUES (3)"), -1);
	CHECK(strstr(db_errmsg(a), "rolled back"));
	CHECK_INT(db_in_transaction(a), 1);
	db_rollback(a);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_drop VALUES (4)"), 0);
	CHECK_INT(one_int(a, "SELECT sum(id) FROM t_drop"), 4);

	/* Lost inside a savepoint's transaction: its release fails and ends it. */
	pid = one_int(a, SQL_PID);
	CHECK_INT(db_exec(a, "SAVEPOINT item"), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t_drop VALUES (5)"), 0);
	kill = db_stmt(b, SQL_KILL);
	db_bind_int64(kill, 1, pid);
	CHECK_INT(db_step(kill), DB_ROW);
	CHECK_INT(db_exec(a, "INSERT INTO t_drop VALUES (6)"), -1);
	CHECK_INT(db_exec(a, "ROLLBACK TO item"), -1);
	CHECK_INT(db_exec(a, "RELEASE item"), -1);
	CHECK_INT(db_in_transaction(a), 0);
	CHECK_INT(one_int(a, "SELECT sum(id) FROM t_drop"), 4);
}

/* Only with a private server, which the test can stop and start. */
static void test_a_server_that_is_down_fails_commands_until_it_is_back(void)
{
	if (!dir[0])
		return;
	static const char SQL_ONE[] = "SELECT 1";
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(one_int(db, SQL_ONE), 1);
	CHECK_INT(server_ctl("stop"), 0);
	CHECK_INT(one_int(db, SQL_ONE), -999);   /* the loss */
	CHECK_INT(one_int(db, SQL_ONE), -999);   /* the reconnection fails */
	CHECK(strstr(db_errmsg(db), "reconnect"));
	CHECK_INT(one_int(db, SQL_ONE), -999);   /* not tried again at once */
	CHECK_INT(server_ctl("start"), 0);
	usleep(1100 * 1000);
	CHECK_INT(one_int(db, SQL_ONE), 1);
}

static void test_exec_runs_several_commands_as_one(void)
{
	struct db *db = connect_db();
	CHECK(db);
	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS t_ex; CREATE TABLE t_ex (id int8 PRIMARY KEY);"
	    " INSERT INTO t_ex VALUES (1); INSERT INTO t_ex VALUES (2)"), 0);
	CHECK_INT(db_exec(db, "INSERT INTO t_ex VALUES (3); INSERT INTO t_ex VALUES (1)"), -1);
	CHECK(strstr(db_errmsg(db), "23505"));
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_INT(one_int(db, "SELECT count(*) FROM t_ex"), 2);
	CHECK_INT(db_exec(db, "SELEC 1"), -1);
	CHECK(strstr(db_errmsg(db), "syntax error"));
}

/* db_open on a new database (made here, so a shared server's is not touched) applies every
 * migration; opened again, it finds the schema up to date. */
static void test_open_migrates_a_new_database(void)
{
	struct db *admin = connect_db();
	CHECK(admin);
	char sql[96], target[640];
	snprintf(sql, sizeof sql, "CREATE DATABASE crm_test_open_%d", (int)getpid());
	CHECK_INT(db_exec(admin, sql), 0);
	snprintf(sql, sizeof sql, "crm_test_open_%d", (int)getpid());
	url_with_db(target, sizeof target, url, sql);
	char err[256] = "";
	struct db *db = db_open(target, err, sizeof err);
	if (!db)
		fprintf(stderr, "  %s\n", err);
	int version = db ? db_schema_version(db) : -1;
	db_close(db);
	struct db *again = db_open(target, err, sizeof err);
	int engine_ok = again && strcmp(db_engine(again), "postgresql") == 0;
	db_close(again);
	snprintf(sql, sizeof sql, "DROP DATABASE crm_test_open_%d", (int)getpid());
	CHECK_INT(db_exec(admin, sql), 0);
	CHECK_INT(version, db_schema_latest());
	CHECK(engine_ok);
	CHECK_INT(one_int(admin, "SELECT (to_regclass('users') IS NULL)::int"), 1);   /* not here */
}

int main(void)
{
	static const struct t_case cases[] = {
		T(test_placeholders_are_numbered_as_on_sqlite),
		T(test_int64_values_round_trip),
		T(test_nulls_read_as_null),
		T(test_blobs_keep_zero_bytes),
		T(test_booleans_read_as_0_or_1),
		T(test_a_select_is_read_while_updates_run),
		T(test_changes_counts_the_rows_of_the_last_write),
		T(test_rollback_undoes_and_commit_keeps),
		T(test_an_error_in_a_transaction_is_rolled_back_then_work_goes_on),
		T(test_a_savepoint_outside_a_transaction_is_one),
		T(test_writers_queue_until_the_deadline),
		T(test_a_full_disk_is_told_from_other_errors),
		T(test_step_ids_runs_the_statement_to_its_end),
		T(test_the_statement_cache_reuses_and_rebinds),
		T(test_change_state_moves_with_another_connections_commit),
		T(test_a_read_snapshot_sees_one_state),
		T(test_the_schema_version_is_stored),
		T(test_a_dropped_connection_fails_then_reconnects),
		T(test_a_server_that_is_down_fails_commands_until_it_is_back),
		T(test_exec_runs_several_commands_as_one),
		T(test_open_migrates_a_new_database),
	};
	if (server_start() != 0) {
		printf("not ok - a PostgreSQL server to test against (see %s)\n", dir[0] ? dir : "no initdb");
		return 1;
	}
	int rc = t_run(cases, sizeof cases / sizeof cases[0]);
	close_dbs();
	scratch_db_drop();
	server_stop();
	return rc;
}

/* Every statement the import path and the calendar, activities and message pages run finds its
 * rows through an index: EXPLAIN QUERY PLAN shows no full scan of a table that grows with the
 * company's history, so their cost stays flat however much is stored. */
#include <ctype.h>
#include <strings.h>

#include <sqlite3.h>

#include "t.h"
#include "core/db_engine.h"   /* SQLite-specific checks reach the connection itself */
#include "sync_fixture.h"
#include "core/db_calendar.h"
#include "core/db_link_flow.h"
#include "core/db_rematch.h"
#include "core/db_search.h"
#include "core/db_skipped.h"
#include "core/db_sessions.h"
#include "core/db_unmatched.h"
#include "core/db_web.h"

/* Tables whose size follows the history (mail, meetings, sessions) or the customer base. */
static const char *const big_tables[] = {
	"messages", "message_users", "message_contacts", "message_refs", "threads",
	"appointments", "appointment_users", "appointment_attendees", "appointment_contacts",
	"unmatched_messages", "unmatched_discards", "outbox", "sessions", "contacts",
	"contact_emails", "accounts", "skipped_items", "skipped_addresses", "rematch",
	"rematch_notices",
};

static int is_big(const char *table)
{
	for (size_t i = 0; i < sizeof big_tables / sizeof big_tables[0]; i++)
		if (strcasecmp(table, big_tables[i]) == 0)
			return 1;
	return 0;
}

static int is_word(const char *w, const char *kw)
{
	return strcasecmp(w, kw) == 0;
}

static int is_keyword(const char *w)
{
	static const char *const kws[] = { "WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "ORDER",
		"GROUP", "LIMIT", "USING", "UNION", "SET", "VALUES", "AS", "NATURAL", "WINDOW", NULL };
	for (int i = 0; kws[i]; i++)
		if (is_word(w, kws[i]))
			return 1;
	return 0;
}

/* The table an EQP name stands for: the name itself, or the table it aliases in sql
 * ("FROM messages m", "JOIN users AS o"). */
static void table_of(const char *sql, const char *name, char *out, size_t size)
{
	char tok[3][64] = { "", "", "" };
	snprintf(out, size, "%s", name);
	for (const char *p = sql; *p;) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			p++;
			continue;
		}
		size_t n = 0;
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		memmove(tok[0], tok[1], sizeof tok[0]);
		memmove(tok[1], tok[2], sizeof tok[0]);
		snprintf(tok[2], sizeof tok[2], "%.*s", (int)(n < 63 ? n : 63), p);
		p += n;
		/* tok[0] FROM|JOIN, tok[1] table, tok[2] alias */
		if ((is_word(tok[0], "FROM") || is_word(tok[0], "JOIN")) && !is_keyword(tok[2]) &&
		    strcasecmp(tok[2], name) == 0) {
			snprintf(out, size, "%s", tok[1]);
			return;
		}
		if (is_word(tok[1], "AS") && strcasecmp(tok[2], name) == 0 && tok[0][0]) {
			snprintf(out, size, "%s", tok[0]);
			return;
		}
	}
}

/* The full scans of big tables in sql's plan, written to why; returns how many. */
static int big_scans(struct db *db, const char *sql, char *why, size_t size)
{
	char *eqp = NULL;
	struct db_stmt *st;
	int found = 0;
	if (asprintf(&eqp, "EXPLAIN QUERY PLAN %s", sql) < 0)
		return 1;
	if (!(st = db_prepare(db, eqp))) {
		snprintf(why, size, "cannot explain: %s", db_errmsg(db));
		free(eqp);
		return 1;
	}
	while (db_step(st) == DB_ROW) {
		const char *detail = (const char *)db_col_text(st, 3);
		char name[64], table[64];
		if (!detail || strncmp(detail, "SCAN ", 5) != 0)
			continue;
		snprintf(name, sizeof name, "%s", detail + 5);
		name[strcspn(name, " ")] = '\0';
		table_of(sql, name, table, sizeof table);
		if (is_big(table)) {
			found++;
			snprintf(why, size, "%s  <-  %.300s", detail, sql);
		}
	}
	db_finalize(st);
	free(eqp);
	return found;
}

static int skip_sql(const char *sql)
{
	static const char *const prefixes[] = { "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK",
		"SAVEPOINT", "RELEASE", "EXPLAIN", NULL };
	for (int i = 0; prefixes[i]; i++)
		if (strncasecmp(sql, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Check every statement prepared on db so far; returns how many scan a big table. */
static int check_all(struct db *db, int *n_checked)
{
	int bad = 0;
	*n_checked = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(db->conn, NULL); st; st = sqlite3_next_stmt(db->conn, st)) {
		const char *sql = sqlite3_sql(st);
		char why[512] = "";
		if (!sql || skip_sql(sql))
			continue;
		(*n_checked)++;
		if (big_scans(db, sql, why, sizeof why)) {
			fprintf(stderr, "  full scan: %s\n", why);
			bad++;
		}
	}
	return bad;
}

/* A page of mail (new threads, a reply, a reply before its parent, a mail seen by a second
 * user, a CRM-folder mail matching no one) and of events, through the store. */
static int run_import(struct fx *f)
{
	struct msg_list l = { 0 };
	struct event_list e = { 0 };
	fx_msg(&l, "INBOX/1/1", "root@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1690000000);
	fx_msg(&l, "INBOX/1/2", "r2@x", "ana@example.net", "alice@crm.example", "r1@x",
	    "root@x r1@x", 1690090000);
	fx_msg(&l, "Sent/1/1", "r1@x", "alice@crm.example", "john.smith@example.net", "root@x",
	    "root@x", 1690086400);
	struct sync_msg *crm = fx_msg(&l, "CRM/1/1", "stray@x", "nobody@else.example",
	    "alice@crm.example", NULL, NULL, 1690000500);
	crm->folder = FOLDER_CRM;
	fx_msg(&l, "INBOX/1/3", "stranger@x", "eve@else.example", "alice@crm.example", NULL, NULL,
	    1690000600);   /* no contact: recorded as not imported */
	f->sa.skipped_max = 100;
	if (store_commit(&f->sa, STREAM_MAIL, &l, NULL, "c1") != 0)
		return -1;
	fx_msg(&l, "INBOX/9/1", "root@x", "john.smith@example.net", "bob@crm.example", NULL, NULL,
	    1690000000);
	if (store_commit(&f->sb, STREAM_MAIL, &l, NULL, "c1") != 0)
		return -1;
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e1", "alice@crm.example",
	    "john.smith@example.net", 1690200000, "Visit");
	fx_event(&e, "/a/cal/2.ics", "uid-2", "20230801T090000Z", "e2", NULL, "linda@diner.example",
	    1690880400, "Series visit");
	if (store_commit(&f->sa, STREAM_EVENTS, NULL, &e, "t1") != 0)
		return -1;
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e1b", "alice@crm.example",
	    "john.smith@example.net", 1690203600, "Visit moved");
	if (store_commit(&f->sa, STREAM_EVENTS, NULL, &e, "t2") != 0)
		return -1;
	/* a contact for the stranger queues its mail again; the engine's re-match takes it */
	struct rematch_list rm = { 0 };
	int64_t eve = 0;
	int bad = db_contacts_add_email(f->db, f->acct_a, "Eve", "eve@else.example", &eve, NULL) ||
	    db_rematch_take(f->db, f->alice_link, 200, &rm) || rm.n != 1 ||
	    db_skipped_has(f->db, f->alice_link, "INBOX/1/3") != 1 ||
	    db_rematch_failed(f->db, f->alice_link, "INBOX/1/3", REMATCH_MAX_TRIES) < 0 ||
	    db_rematch_done(f->db, f->alice_link, "INBOX/1/3") ||
	    db_rematch_credit(f->db, eve, 1, 1690000000) ||
	    db_rematch_count(f->db, f->alice_link) != 0;
	rematch_list_free(&rm);
	return bad ? -1 : 0;
}

/* What the calendar month, account calendar, day, activities and message pages read, and a
 * password change (which ends the user's sessions). */
static int run_pages(struct fx *f)
{
	struct cal_items items = { 0 };
	struct web_rows rows = { 0 };
	struct web_row row = { 0 };
	struct thread_msgs msgs = { 0 };
	struct user u = { 0 };
	struct account a = { 0 };
	char token[SESSION_TOKEN_MAX], csrf[SESSION_TOKEN_MAX];
	int64_t uid = 0, thread = 0, first = fx_int(f, "SELECT min(id) FROM messages", 0);
	int rc = -1;
	if (db_sessions_create(f->db, f->alice, 8, token, csrf) != 0 ||
	    db_sessions_get(f->db, token, &uid, csrf) != 0 || db_users_get(f->db, f->alice, &u) != 0 ||
	    db_users_set_password(f->db, u.email, "a new password") != 0 ||
	    db_link_health_flag(f->db, f->alice, 900, 1690000000) < 0 ||
	    db_unmatched_count(f->db, f->alice) < 0 || db_web_users(f->db, &rows) != 0 ||
	    db_calendar_visible(f->db, f->bob, f->alice) < 0)
		goto out;
	for (int scope = CAL_USER; scope <= CAL_CONTACT; scope++) {
		int64_t id = scope == CAL_USER ? f->alice : scope == CAL_ACCOUNT ? f->acct_a : f->john;
		struct cal_span july = { 1688169600, 1690848000, 1688169600, 1690848000 };
		if (db_calendar_items(f->db, (enum cal_scope)scope, id, f->alice, &july, &items) != 0)
			goto out;
	}
	/* the search page: one query per kind, through the FTS5 indexes */
	for (int k = 0; k < SEARCH_NKINDS; k++) {
		struct web_rows found = { 0 };
		int bad = db_search(f->db, (enum search_kind)k, "\"quote\"*", f->alice, 20, &found);
		web_rows_free(&found);
		if (bad)
			goto out;
	}
	/* Sync settings' "Not imported" list, searched */
	struct skipped_list skipped = { 0 };
	int64_t total;
	int bad = db_skipped_list(f->db, f->alice, "else", 50, 0, &skipped, &total);
	skipped_list_free(&skipped);
	if (bad || total != 1)
		goto out;
	web_rows_free(&rows);
	int64_t earlier, at;
	if (db_rematch_notice(f->db, f->john, 0, &earlier, &at) != 0)
		goto out;
	if (db_accounts_get_by_number(f->db, "1001", &a) != 0 ||
	    db_web_account_contacts(f->db, f->acct_a, &rows) != 0 ||
	    db_web_contact_get(f->db, f->john, &row) != 0 ||
	    db_web_msg_thread_of(f->db, first, &thread) != 0 ||
	    db_msg_visible(f->db, first, f->alice) < 0 ||
	    db_web_thread_held(f->db, thread, f->alice) < 0 ||
	    db_web_thread_messages(f->db, thread, f->alice, &msgs) != 0 ||
	    db_web_thread_set_regarding(f->db, thread, "Quote 17") != 0)
		goto out;
	rc = 0;
out:
	cal_items_free(&items);
	web_rows_free(&rows);
	web_row_free(&row);
	thread_msgs_free(&msgs);
	user_free(&u);
	account_free(&a);
	return rc;
}

static void test_import_path_uses_indexes_only(void)
{
	T_SQLITE_ONLY("SQLite's query plans (EXPLAIN QUERY PLAN)");
	struct fx f;
	int n = 0;
	CHECK(fx_open(&f) == 0);
	CHECK(run_import(&f) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 3);
	CHECK_INT(check_all(f.db, &n), 0);
	fprintf(stderr, "  %d statements of the import path checked\n", n);
	CHECK(n >= 20);
	fx_close(&f);
}

static void test_page_paths_use_indexes_only(void)
{
	T_SQLITE_ONLY("SQLite's query plans (EXPLAIN QUERY PLAN)");
	struct fx f;
	int n = 0;
	CHECK(fx_open(&f) == 0);
	CHECK(run_import(&f) == 0);
	/* Only the pages' own statements: a fresh connection on the same database. */
	char path[256], err[256];
	snprintf(path, sizeof path, "%s", sqlite3_db_filename(f.db->conn, "main"));
	struct db *imported = f.db;
	CHECK((f.db = db_open(path, err, sizeof err)) != NULL);
	CHECK(run_pages(&f) == 0);
	int bad = check_all(f.db, &n);
	db_close(imported);
	CHECK_INT(bad, 0);
	fprintf(stderr, "  %d statements of the page paths checked\n", n);
	CHECK(n >= 15);
	fx_close(&f);
}

/* The checker itself sees a scan, through an alias too. */
static void test_a_full_scan_is_caught(void)
{
	T_SQLITE_ONLY("SQLite's query plans (EXPLAIN QUERY PLAN)");
	struct fx f;
	char why[512];
	CHECK(fx_open(&f) == 0);
	CHECK_INT(big_scans(f.db, "SELECT id FROM messages WHERE subject = 'x'", why, sizeof why), 1);
	CHECK_INT(big_scans(f.db, "SELECT m.id FROM threads t JOIN messages m ON m.body_text = t.subject"
	    " WHERE t.id = 1", why, sizeof why), 1);
	CHECK_INT(big_scans(f.db, "SELECT id FROM messages WHERE message_id = 'x'", why, sizeof why), 0);
	CHECK_INT(big_scans(f.db, "SELECT id FROM users", why, sizeof why), 0);
	fx_close(&f);
}

/* The re-match trigger's lookup (migration 20) finds a new address's records by index. */
static void test_rematch_trigger_uses_indexes_only(void)
{
	T_SQLITE_ONLY("SQLite's query plans (EXPLAIN QUERY PLAN)");
	struct fx f;
	char why[512];
	CHECK(fx_open(&f) == 0);
	CHECK_INT(big_scans(f.db, "SELECT s.link_id, s.provider_id, s.kind FROM skipped_addresses a"
	    " JOIN skipped_items s ON s.id = a.item_id WHERE a.address = 'x@y.example'"
	    " AND s.reason = 'no_contact'", why, sizeof why), 0);
	CHECK_INT(big_scans(f.db, "SELECT link_id FROM rematch WHERE contact_id = 5", why,
	    sizeof why), 0);
	CHECK_INT(big_scans(f.db, "DELETE FROM skipped_addresses WHERE item_id = 5", why,
	    sizeof why), 0);
	fx_close(&f);
}

T_MAIN(T(test_a_full_scan_is_caught), T(test_rematch_trigger_uses_indexes_only), T(test_import_path_uses_indexes_only),
    T(test_page_paths_use_indexes_only))

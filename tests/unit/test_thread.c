/* Threads: a reply joins its thread, the thread keeps the date it started, and a reply that
 * arrives before its parent still ends up in one thread with it. */
#include <sqlite3.h>

#include "t.h"
#include "core/db_engine.h"   /* SQLite-specific checks reach the connection itself */
#include "sync_fixture.h"
#include "core/db_sync.h"
#include "core/schema.h"
#include "sync/match.h"

static void test_references_are_cleaned_and_never_self(void)
{
	struct msg_list l = { 0 };
	struct strset s = { 0 };
	struct sync_msg *m = fx_msg(&l, "p", "me@x", "a@b.c", "d@e.f", " <parent@x> ",
	    "<root@x> parent@x me@x", 0);
	CHECK(msg_refs(&s, m) == 0);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.v[0], "root@x");
	CHECK_STR(s.v[1], "parent@x");
	char *j = strset_join(&s);
	CHECK_STR(j, "root@x parent@x");
	free(j);
	strset_free(&s);
	msg_list_free(&l);
}

static void test_address_lists_read_as_shown(void)
{
	struct addr v[2] = { { (char *)"John Smith", (char *)"john@x.example" },
		{ NULL, (char *)"ana@x.example" } };
	char *s = addr_list_format(v, 2);
	CHECK_STR(s, "John Smith <john@x.example>, ana@x.example");
	free(s);
	s = addr_list_format(NULL, 0);
	CHECK_STR(s, "");
	free(s);
}

static void test_reply_joins_thread_and_thread_keeps_start_date(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "root@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1690000000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_msg(&l, "Sent/1/1", "reply@x", "alice@crm.example", "john.smith@example.net", "root@x",
	    "root@x", 1690086400);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(DISTINCT thread_id) FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT started_at FROM threads", 0), 1690000000);
	CHECK_INT(fx_int(&f, "SELECT last_at FROM threads", 0), 1690086400);
	CHECK_STR(fx_text(&f, "SELECT direction FROM message_users mu JOIN messages m"
	    " ON m.id = mu.message_id WHERE m.message_id = 'reply@x'", 0), "sent");
	CHECK_STR(fx_text(&f, "SELECT direction FROM message_users mu JOIN messages m"
	    " ON m.id = mu.message_id WHERE m.message_id = 'root@x'", 0), "received");
	fx_close(&f);
}

static void test_reply_before_its_parent_still_threads(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	/* Two replies that only share the (not yet stored) root, then the root itself. */
	fx_msg(&l, "INBOX/1/5", "r2@x", "john.smith@example.net", "alice@crm.example", "r1@x",
	    "root@x r1@x", 1690090000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_msg(&l, "INBOX/1/6", "r1@x", "ana@example.net", "alice@crm.example", "root@x", "root@x",
	    1690080000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c2") == 0);
	fx_msg(&l, "INBOX/1/7", "root@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1690000000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c3") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 3);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT started_at FROM threads", 0), 1690000000);
	fx_close(&f);
}

static void test_unrelated_mail_starts_its_own_thread(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "a@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 10);
	fx_msg(&l, "INBOX/1/2", "b@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 20);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 2);
	fx_close(&f);
}

static void test_reply_naming_parent_only_in_in_reply_to_joins(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "child@x", "john.smith@example.net", "alice@crm.example", "root@x",
	    NULL, 20);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_msg(&l, "INBOX/1/2", "root@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    10);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT started_at FROM threads", 0), 10);
	fx_close(&f);
}

/* An id that is part of another id is not that id. */
static void test_ids_match_whole_not_in_part(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "ba@x", "john.smith@example.net", "alice@crm.example", NULL,
	    "old@x", 10);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_msg(&l, "INBOX/1/2", "r@x", "john.smith@example.net", "alice@crm.example", "a@x",
	    "ol a@x", 20);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 2);
	fx_close(&f);
}

/* Three threads that a late mail ties together become one, dated from the oldest. */
static void test_mail_naming_two_threads_merges_them(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "a@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 30);
	fx_msg(&l, "INBOX/1/2", "b@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 10);
	fx_msg(&l, "INBOX/1/3", "c@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 20);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 3);
	fx_msg(&l, "INBOX/1/4", "d@x", "john.smith@example.net", "alice@crm.example", "c@x",
	    "a@x b@x c@x", 40);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT started_at FROM threads", 0), 10);
	CHECK_INT(fx_int(&f, "SELECT last_at FROM threads", 0), 40);
	CHECK_INT(fx_int(&f, "SELECT count(DISTINCT thread_id) FROM messages", 0), 1);
	fx_close(&f);
}

/* A database from before message_refs: the migration fills it from the stored rows, so a reply
 * to a mail stored back then still joins its thread. */
static void test_migration_backfills_thread_lookup(void)
{
	T_SQLITE_ONLY("an old SQLite file made by hand, then migrated");
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/crm.db", t_tmpdir());
	sqlite3 *h;
	CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	for (int i = 0; i < 3; i++)
		CHECK(sqlite3_exec(h, schema_migrations[i].sql, NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version=3;"
	    "INSERT INTO threads (id, subject, started_at, last_at) VALUES (7, 's', 10, 20);"
	    "INSERT INTO messages (thread_id, message_id, in_reply_to, refs, sent_at, created_at)"
	    " VALUES (7, 'root@x', NULL, '', 10, 10), (7, 'mid@x', 'root@x', 'root@x', 15, 15),"
	    " (7, 'tip@x', 'gone@x', 'root@x  mid@x', 20, 20)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	struct db *db = db_open(path, err, sizeof err);
	CHECK(db != NULL);
	struct fx f = { .db = db };
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_refs", 0), 7);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_refs WHERE ref_id = 'root@x'", 0), 3);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_refs WHERE ref_id = 'gone@x'", 0), 1);
	int64_t out[4];
	size_t n = 0;
	char *ids[] = { (char *)"gone@x" };
	CHECK(db_sync_threads_related(db, "new@x", ids, 1, out, 4, &n) == 0);
	CHECK_INT(n, 1);
	CHECK_INT(out[0], 7);
	db_close(db);
}

T_MAIN(T(test_references_are_cleaned_and_never_self), T(test_address_lists_read_as_shown),
    T(test_reply_joins_thread_and_thread_keeps_start_date),
    T(test_reply_before_its_parent_still_threads), T(test_unrelated_mail_starts_its_own_thread),
    T(test_reply_naming_parent_only_in_in_reply_to_joins), T(test_ids_match_whole_not_in_part),
    T(test_mail_naming_two_threads_merges_them), T(test_migration_backfills_thread_lookup))

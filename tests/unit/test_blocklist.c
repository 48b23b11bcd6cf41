/* Blocklists: the one matcher (addresses, domains and their subdomains, any case, never a mere
 * suffix), the typed patterns, and in the store: blocked mail and meetings are left out as
 * blocked, a block hides the copies it leaves with only blocked contacts, for its user or for
 * everyone, and its removal shows again only what it hid. */
#include <sqlite3.h>

#include "t.h"
#include "core/db_engine.h"   /* SQLite-specific checks reach the connection itself */
#include "sync_fixture.h"
#include "core/blocklist.h"
#include "core/db_blocklist.h"
#include "core/db_skipped.h"
#include "core/db_search.h"
#include "core/db_web.h"
#include "core/import.h"
#include "core/schema.h"

static void test_matcher_takes_addresses_domains_and_subdomains_only(void)
{
	struct blocklist bl = { 0 };
	CHECK(blocklist_add(&bl, BLOCK_ADDRESS, "spouse@home.example") != NULL);
	CHECK(blocklist_add(&bl, BLOCK_DOMAIN, "example.com") != NULL);
	static const struct { const char *addr; int blocked; } cases[] = {
		{ "spouse@home.example", 1 },
		{ "  Spouse@HOME.Example ", 1 },
		{ "other@home.example", 0 },
		{ "spouse@home.example.org", 0 },
		{ "xspouse@home.example", 0 },
		{ "ann@example.com", 1 },
		{ "Ann@EXAMPLE.COM", 1 },
		{ "ann@mail.example.com", 1 },
		{ "ann@a.b.example.com", 1 },
		{ "ann@evilexample.com", 0 },
		{ "ann@example.com.evil.net", 0 },
		{ "ann@example.co", 0 },
		{ "example.com@elsewhere.net", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct block *b = blocklist_match(&bl, cases[i].addr);
		if ((b != NULL) != cases[i].blocked) {
			fprintf(stderr, "  %s: %s\n", cases[i].addr, b ? "blocked" : "not blocked");
			t_fail(__FILE__, __LINE__, "matcher");
		}
	}
	CHECK(blocklist_match(NULL, "ann@example.com") == NULL);
	CHECK(blocklist_match(&bl, NULL) == NULL);
	blocklist_free(&bl);
	CHECK(blocklist_match(&bl, "ann@example.com") == NULL);
}

static void test_patterns_are_normalized_and_checked(void)
{
	static const struct { const char *in, *out; int kind; } good[] = {
		{ "Ann@Example.COM", "ann@example.com", BLOCK_ADDRESS },
		{ "  example.com ", "example.com", BLOCK_DOMAIN },
		{ "@Example.com", "example.com", BLOCK_DOMAIN },
		{ "*.example.com", "example.com", BLOCK_DOMAIN },
		{ "mail.example.co.uk", "mail.example.co.uk", BLOCK_DOMAIN },
	};
	static const char *const bad[] = { "", "com", "example..com", ".example.com",
	    "example.com.", "exa mple.com", "ann@", "@", "ann@com", "a@b@c.com", "-x.com",
	    "x-.com", "exa_mple.com", "<ann@example.com>" };
	char out[320];
	enum block_kind k;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK(blocklist_pattern(good[i].in, out, sizeof out, &k) == 0);
		CHECK_STR(out, good[i].out);
		CHECK_INT(k, good[i].kind);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (blocklist_pattern(bad[i], out, sizeof out, &k) == 0) {
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
			t_fail(__FILE__, __LINE__, "pattern");
		}
	CHECK(blocklist_pattern("ann@example.com", out, 5, &k) == -1);
}

static const char *reason_of(struct fx *f, const char *pid)
{
	struct db_stmt *st;
	static char buf[32];
	buf[0] = '\0';
	if (!(st = db_prepare(f->db, "SELECT reason FROM skipped_items WHERE provider_id = ?")))
		return buf;
	db_bind_text(st, 1, pid);
	if (db_step(st) == DB_ROW)
		snprintf(buf, sizeof buf, "%s", (const char *)db_col_text(st, 0));
	db_finalize(st);
	return buf;
}

static void test_store_leaves_out_blocked_mail_and_meetings_wherever_they_stand(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	struct event_list e = { 0 };
	long n, m;
	CHECK(fx_open(&f) == 0);
	CHECK(db_blocklist_add(f.db, 0, f.alice, BLOCK_ADDRESS, "john.smith@example.net", f.alice,
	    100, &n) == 1);
	CHECK(db_blocklist_add(f.db, 1, 0, BLOCK_DOMAIN, "diner.example", 0, 100, &n) == 1);
	fx_msg(&l, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1000);
	fx_msg(&l, "INBOX/1/2", "m2@x", "alice@crm.example", "JOHN.SMITH@example.net", NULL, NULL,
	    1000);
	struct sync_msg *cc = fx_msg(&l, "INBOX/1/3", "m3@x", "stranger@else.example",
	    "alice@crm.example", NULL, NULL, 1000);
	cc->cc = calloc(1, sizeof *cc->cc);
	fx_addr(&cc->cc[0], "linda@diner.example");
	cc->n_cc = 1;
	fx_msg(&l, "INBOX/1/4", "m4@x", "ana@example.net", "john.smith@example.net", NULL, NULL,
	    1000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_STR(reason_of(&f, "INBOX/1/1"), "blocked");
	CHECK_STR(reason_of(&f, "INBOX/1/2"), "blocked");
	CHECK_STR(reason_of(&f, "INBOX/1/3"), "blocked");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages WHERE message_id IN ('m1@x', 'm2@x',"
	    " 'm3@x')", 0), 0);
	/* with another contact it comes, linked to that contact only */
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts mc JOIN messages m ON"
	    " m.id = mc.message_id WHERE m.message_id = 'm4@x'", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT mc.contact_id FROM message_contacts mc JOIN messages m ON"
	    " m.id = mc.message_id WHERE m.message_id = 'm4@x'", 0), f.ana);
	/* bob's list is his own: john's mail comes to him; the company's domain is blocked */
	fx_msg(&l, "INBOX/2/1", "m1@x", "john.smith@example.net", "bob@crm.example", NULL, NULL,
	    1000);
	fx_msg(&l, "INBOX/2/2", "m5@x", "linda@diner.example", "bob@crm.example", NULL, NULL, 1000);
	CHECK(store_commit(&f.sb, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages WHERE message_id = 'm1@x'", 0), 1);
	CHECK_STR(reason_of(&f, "INBOX/2/2"), "blocked");
	/* meetings: a blocked attendee or organizer */
	fx_event(&e, "/cal/1.ics", "ev1@x", NULL, "e1", "alice@crm.example",
	    "john.smith@example.net", 5000, "Visit");
	fx_event(&e, "/cal/2.ics", "ev2@x", NULL, "e1", "linda@mail.diner.example",
	    "alice@crm.example", 5000, "Lunch");
	fx_event(&e, "/cal/3.ics", "ev3@x", NULL, "e1", "alice@crm.example", "ana@example.net",
	    5000, "Review");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_STR(reason_of(&f, "/cal/1.ics"), "blocked");
	CHECK_STR(reason_of(&f, "/cal/2.ics"), "blocked");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	/* a blocked record is never queued for re-match when its address becomes a contact's */
	const char *emails[] = { "someone@diner.example", "stranger@else.example" };
	int64_t id;
	CHECK(db_contacts_upsert(f.db, f.acct_b, "Some One", "", emails, 2, &id) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch", 0), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses a JOIN skipped_items s ON"
	    " s.id = a.item_id WHERE s.provider_id = 'INBOX/1/3'", 0), 3);
	/* removing alice's block queues what it kept out to be fetched again, her links woken */
	CHECK(db_exec(f.db, "UPDATE links SET wake = 0") == 0);
	int64_t id_john = db_blocklist_id(f.db, 0, f.alice, "john.smith@example.net");
	CHECK(db_blocklist_remove(f.db, 0, f.alice, id_john, f.alice, 200, &n, &m) == 1);
	CHECK_INT(n, 0);
	CHECK_INT(m, 3);   /* the two mails and the visit; not the diner's, nor bob's */
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch WHERE link_id = ? AND contact_id ="
	    " (SELECT contact_id FROM contact_emails WHERE email = 'john.smith@example.net')",
	    f.alice_link), 3);
	CHECK_INT(fx_int(&f, "SELECT wake FROM links WHERE id = ?", f.alice_link), 1);
	CHECK_INT(fx_int(&f, "SELECT wake FROM links WHERE id = ?", f.bob_link), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM audit_log WHERE detail LIKE '%: 0 items shown"
	    " again, 3 left out to fetch again'", 0), 1);
	fx_close(&f);
}

static long long hidden_of(struct fx *f, const char *mid, int64_t user)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT mu.hidden FROM message_users mu JOIN messages m ON"
	    " m.id = mu.message_id WHERE m.message_id = '%s' AND mu.user_id = ?", mid);
	return fx_int(f, sql, user);
}

static void test_a_block_hides_what_only_it_covers_and_its_removal_shows_only_that(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	struct event_list e = { 0 };
	long n, q;
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "a1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1000);
	fx_msg(&l, "INBOX/1/2", "a2@x", "john.smith@example.net", "ana@example.net", NULL, NULL,
	    1000);
	fx_msg(&l, "INBOX/1/3", "a3@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_msg(&l, "INBOX/2/1", "a1@x", "john.smith@example.net", "bob@crm.example", NULL, NULL,
	    1000);
	CHECK(store_commit(&f.sb, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_event(&e, "/cal/1.ics", "ev1@x", NULL, "e1", "alice@crm.example",
	    "john.smith@example.net", 5000, "Visit");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE hidden = 0", 0), 1);
	/* alice deleted a3 herself */
	CHECK(db_exec(f.db, "UPDATE message_users SET hidden = 1 WHERE message_id ="
	    " (SELECT id FROM messages WHERE message_id = 'a3@x')") == 0);
	CHECK(db_blocklist_add(f.db, 0, f.alice, BLOCK_DOMAIN, "example.net", f.alice, 200, &n) == 1);
	CHECK_INT(n, 3);   /* a1 and a2 (both contacts blocked), the visit */
	CHECK_INT(hidden_of(&f, "a1@x", f.alice), 2);
	CHECK_INT(hidden_of(&f, "a2@x", f.alice), 2);
	CHECK_INT(hidden_of(&f, "a3@x", f.alice), 1);
	CHECK_INT(hidden_of(&f, "a1@x", f.bob), 0);
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointment_users", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM audit_log WHERE action = 'block_add' AND"
	    " actor_user_id = ? AND at = 200 AND detail = 'domain example.net on"
	    " alice@crm.example''s blocklist: 3 items hidden'", f.alice), 1);
	CHECK(db_blocklist_add(f.db, 0, f.alice, BLOCK_DOMAIN, "example.net", f.alice, 200, &n) == 0);
	/* a company block of john's address too: removing alice's leaves a1 hidden by it */
	CHECK(db_blocklist_add(f.db, 1, 0, BLOCK_ADDRESS, "john.smith@example.net", 0, 300, &n) == 1);
	CHECK_INT(n, 1);   /* bob's copy of a1 */
	CHECK_INT(hidden_of(&f, "a1@x", f.bob), 2);
	int64_t id = db_blocklist_id(f.db, 0, f.alice, "example.net");
	CHECK(id > 0);
	CHECK(db_blocklist_remove(f.db, 1, 0, id, 0, 400, &n, &n) == 0);   /* not the company's */
	CHECK(db_blocklist_remove(f.db, 0, f.bob, id, f.bob, 400, &n, &n) == 0);   /* nor bob's */
	CHECK(db_blocklist_remove(f.db, 0, f.alice, id, f.alice, 400, &n, &q) == 1);
	CHECK_INT(n, 1);   /* a2: ana is no longer blocked */
	CHECK_INT(hidden_of(&f, "a1@x", f.alice), 2);
	CHECK_INT(hidden_of(&f, "a2@x", f.alice), 0);
	CHECK_INT(hidden_of(&f, "a3@x", f.alice), 1);
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointment_users", 0), 2);
	id = db_blocklist_id(f.db, 1, 0, "john.smith@example.net");
	CHECK(db_blocklist_remove(f.db, 1, 0, id, 0, 500, &n, &q) == 1);
	CHECK_INT(n, 3);
	CHECK_INT(hidden_of(&f, "a1@x", f.alice), 0);
	CHECK_INT(hidden_of(&f, "a1@x", f.bob), 0);
	CHECK_INT(hidden_of(&f, "a3@x", f.alice), 1);   /* deleted by alice: stays so */
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointment_users", 0), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM audit_log WHERE action = 'block_remove' AND"
	    " actor_user_id IS NULL AND detail LIKE '%company''s blocklist: 3 items shown again'", 0),
	    1);
	fx_close(&f);
}

/* A user deleting their copy of a meeting whose other copies a block hides does not hide the
 * meeting for good: removing the block brings the others' copies back. */
static void test_deleting_the_last_shown_copy_keeps_block_hidden_ones(void)
{
	struct fx f;
	struct event_list e = { 0 };
	long n, q;
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/cal/1.ics", "ev1@x", NULL, "e1", "alice@crm.example",
	    "john.smith@example.net", 5000, "Visit");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	long long appt = fx_int(&f, "SELECT id FROM appointments", 0);
	char sql[200];
	snprintf(sql, sizeof sql, "INSERT INTO appointment_users (appointment_id, user_id) VALUES"
	    " (%lld, %lld)", appt, (long long)f.bob);
	CHECK(db_exec(f.db, sql) == 0);
	CHECK(db_blocklist_add(f.db, 0, f.bob, BLOCK_ADDRESS, "john.smith@example.net", f.bob, 1,
	    &n) == 1);
	CHECK_INT(n, 1);
	CHECK(db_web_appt_hide(f.db, appt, f.alice) == 0);
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointments", 0), 0);
	CHECK(db_blocklist_remove(f.db, 0, f.bob, db_blocklist_id(f.db, 0, f.bob,
	    "john.smith@example.net"), f.bob, 2, &n, &q) == 1);
	CHECK_INT(n, 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE hidden = 0", 0), 1);
	CHECK(db_web_appt_hide(f.db, appt, f.bob) == 0);
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointments", 0), 1);
	fx_close(&f);
}

static void no_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_null(ctx);
}

/* Migration 23 makes skipped_items again for the reason 'blocked': a database at migration 20
 * keeps its records (same ids), their addresses, the triggers that follow them (the re-match
 * ones and the health view's), and the re-match trigger still takes only records without a
 * contact. */
static void test_migration_keeps_records_and_their_address_triggers(void)
{
	T_SQLITE_ONLY("an old SQLite file made by hand, then migrated");
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/crm-m20.db", t_tmpdir());
	sqlite3 *h;
	CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	/* what db_open registers for the earlier migrations (no rows need the all-day one here) */
	CHECK(sqlite3_create_function(h, "crm_all_day_date", -1, SQLITE_UTF8, NULL, no_date, NULL,
	    NULL) == SQLITE_OK);
	for (int i = 0; i < 20; i++)
		CHECK(sqlite3_exec(h, schema_migrations[i].sql, NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version=20;"
	    "INSERT INTO company (id, name) VALUES (1, 'Co');"
	    "INSERT INTO users (id, name, email, password_hash, created_at) VALUES"
	    " (1, 'Al', 'al@crm.example', 'x', 0);"
	    "INSERT INTO links (id, user_id, provider, address, linked_at) VALUES"
	    " (3, 1, 'imap', 'al@crm.example', 0);"
	    "INSERT INTO skipped_items (id, link_id, provider_id, kind, addresses, reason, recorded_at)"
	    " VALUES (7, 3, 'INBOX/1/1', 'mail', ' zoe@new.example al@crm.example ', 'no_contact', 5),"
	    " (8, 3, 'INBOX/1/2', 'mail', ' max@new.example ', 'colleagues', 5);",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	struct db *db = db_open(path, err, sizeof err);
	CHECK(db != NULL);
	struct fx f = { .db = db };
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE id IN (7, 8)", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses WHERE item_id = 7", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN"
	    " ('skipped_addresses_in', 'skipped_addresses_up', 'skipped_addresses_out',"
	    " 'contact_emails_rematch')", 0), 4);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'skipped_items_by_%'",
	    0), 3);
	CHECK(db_exec(db, "INSERT INTO skipped_items (link_id, provider_id, kind, addresses, reason,"
	    " recorded_at) VALUES (3, 'INBOX/1/3', 'mail', ' zoe@new.example ', 'blocked', 6)") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses WHERE address = 'zoe@new.example'",
	    0), 2);
	/* the health view's triggers on skipped_items (migration 21) are made again with it */
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN"
	    " ('skipped_items_count', 'skipped_items_newest')", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT coalesce(sum(n), 0) FROM link_events WHERE link_id = 3 AND"
	    " kind = 'skipped'", 0), 1);
	CHECK(db_exec(db, "UPDATE skipped_items SET addresses = ' ann@new.example ' WHERE id = 8") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses WHERE item_id = 8 AND"
	    " address = 'ann@new.example'", 0), 1);
	CHECK(db_exec(db, "DELETE FROM skipped_items WHERE id = 8") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses WHERE item_id = 8", 0), 0);
	CHECK(db_exec(db, "INSERT INTO skipped_items (link_id, provider_id, kind, reason, recorded_at)"
	    " VALUES (3, 'x', 'mail', 'other', 6)") != 0);
	CHECK(db_exec(db, "INSERT INTO accounts (id, number, name) VALUES (1, '1', 'A');"
	    "INSERT INTO contacts (id, account_id, name) VALUES (1, 1, 'Zoe');"
	    "INSERT INTO contact_emails (contact_id, email) VALUES (1, 'zoe@new.example')") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch WHERE provider_id = 'INBOX/1/1'", 0), 1);
	db_close(db);
}

T_MAIN(T(test_matcher_takes_addresses_domains_and_subdomains_only),
    T(test_patterns_are_normalized_and_checked),
    T(test_store_leaves_out_blocked_mail_and_meetings_wherever_they_stand),
    T(test_a_block_hides_what_only_it_covers_and_its_removal_shows_only_that),
    T(test_deleting_the_last_shown_copy_keeps_block_hidden_ones),
    T(test_migration_keeps_records_and_their_address_triggers))

/* Items not imported: one record per (link, provider id) however often seen, bounded per link
 * and by age, listed to their user only, newest first and searchable, and found by `why`. */
#include "t.h"
#include "sync_fixture.h"
#include "core/db_skipped.h"

static struct skipped_item item(const char *pid, const char *mid, const char *from,
    const char *addrs, const char *subject, int64_t at, enum skip_reason r)
{
	return (struct skipped_item){ .kind = SKIP_MAIL, .reason = r, .provider_id = (char *)pid,
	    .item_id = (char *)mid, .item_at = at, .from_email = (char *)from,
	    .addresses = (char *)addrs, .subject = (char *)subject };
}

static void test_reseen_item_updates_its_record(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	struct skipped_item it = item("INBOX/1/7", "m7@x", "bob@else.example",
	    " bob@else.example alice@crm.example ", "Quote", 1000, SKIP_NO_CONTACT);
	CHECK(db_skipped_record(f.db, f.alice_link, &it, 2000) == 0);
	it.reason = SKIP_UNPARSABLE;
	it.detail = (char *)"no header";
	CHECK(db_skipped_record(f.db, f.alice_link, &it, 3000) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items", 0), 1);
	CHECK_STR(fx_text(&f, "SELECT reason || ' ' || detail || ' ' || recorded_at FROM skipped_items",
	    0), "unparsable no header 3000");
	/* the same provider id on another link is another record */
	CHECK(db_skipped_record(f.db, f.bob_link, &it, 3000) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items", 0), 2);
	CHECK(db_skipped_forget(f.db, f.alice_link, "INBOX/1/7") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE link_id = ?", f.alice_link), 0);
	fx_close(&f);
}

static void test_records_are_bounded_per_link_and_by_age(void)
{
	struct fx f;
	char pid[32];
	CHECK(fx_open(&f) == 0);
	for (int i = 0; i < 10; i++) {
		snprintf(pid, sizeof pid, "INBOX/1/%d", i);
		struct skipped_item it = item(pid, NULL, NULL, NULL, "x", i, SKIP_NO_CONTACT);
		CHECK(db_skipped_record(f.db, f.alice_link, &it, 1000 + i) == 0);
		CHECK(db_skipped_record(f.db, f.bob_link, &it, 1000 + i) == 0);
	}
	CHECK_INT(db_skipped_bound(f.db, f.alice_link, 3), 7);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE link_id = ?", f.alice_link), 3);
	CHECK_INT(fx_int(&f, "SELECT min(recorded_at) FROM skipped_items WHERE link_id = ?",
	    f.alice_link), 1007);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE link_id = ?", f.bob_link), 10);
	/* a day and 4 s after the 4th record: days = 1 drops the first four of bob's, max 5 one more */
	CHECK_INT(db_skipped_prune(f.db, 1003 + 86400 + 1, 1, 5), 5);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE link_id = ?", f.bob_link), 5);
	CHECK_INT(fx_int(&f, "SELECT min(recorded_at) FROM skipped_items WHERE link_id = ?",
	    f.bob_link), 1005);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE link_id = ?", f.alice_link), 3);
	CHECK_INT(db_skipped_prune(f.db, 1003 + 86400 + 1, 1, 5), 0);
	fx_close(&f);
}

static void test_list_is_the_users_own_newest_first_and_searchable(void)
{
	struct fx f;
	struct skipped_list l = { 0 };
	int64_t total = -1;
	CHECK(fx_open(&f) == 0);
	struct skipped_item a = item("INBOX/1/1", "a@x", "bob@else.example",
	    " bob@else.example alice@crm.example ", "Pump quote", 100, SKIP_NO_CONTACT);
	struct skipped_item b = item("INBOX/1/2", "b@x", "bob@crm.example",
	    " bob@crm.example alice@crm.example ", "Lunch 100%_off", 300, SKIP_COLLEAGUES);
	struct skipped_item c = item("INBOX/1/3", "c@x", "eve@else.example",
	    " eve@else.example alice@crm.example ", "Old news", 200, SKIP_OLDER);
	struct skipped_item d = item("INBOX/9/1", "d@x", "bob@else.example",
	    " bob@else.example bob@crm.example ", "Bob's own", 400, SKIP_NO_CONTACT);
	CHECK(db_skipped_record(f.db, f.alice_link, &a, 1) == 0);
	CHECK(db_skipped_record(f.db, f.alice_link, &b, 1) == 0);
	CHECK(db_skipped_record(f.db, f.alice_link, &c, 1) == 0);
	CHECK(db_skipped_record(f.db, f.bob_link, &d, 1) == 0);

	CHECK(db_skipped_list(f.db, f.alice, NULL, 10, 0, &l, &total) == 0);
	CHECK_INT(total, 3);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.v[0].subject, "Lunch 100%_off");
	CHECK_STR(l.v[1].subject, "Old news");
	CHECK_STR(l.v[2].subject, "Pump quote");
	CHECK_INT(l.v[0].reason, SKIP_COLLEAGUES);
	CHECK_STR(l.v[0].link_address, "alice@crm.example");
	skipped_list_free(&l);

	CHECK(db_skipped_list(f.db, f.alice, "else.example", 10, 0, &l, &total) == 0);
	CHECK_INT(total, 2);
	CHECK_STR(l.v[0].subject, "Old news");
	skipped_list_free(&l);
	CHECK(db_skipped_list(f.db, f.alice, "PUMP", 10, 0, &l, &total) == 0);
	CHECK_INT(total, 1);
	skipped_list_free(&l);
	/* % and _ are plain characters in a search */
	CHECK(db_skipped_list(f.db, f.alice, "%_", 10, 0, &l, &total) == 0);
	CHECK_INT(total, 1);
	CHECK_STR(l.v[0].subject, "Lunch 100%_off");
	skipped_list_free(&l);
	CHECK(db_skipped_list(f.db, f.alice, "o%s", 10, 0, &l, &total) == 0);
	CHECK_INT(total, 0);
	skipped_list_free(&l);
	/* paged: the second of three */
	CHECK(db_skipped_list(f.db, f.alice, "", 1, 1, &l, &total) == 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(total, 3);
	CHECK_STR(l.v[0].subject, "Old news");
	skipped_list_free(&l);
	/* bob sees only his own */
	CHECK(db_skipped_list(f.db, f.bob, "", 10, 0, &l, &total) == 0);
	CHECK_INT(total, 1);
	CHECK_STR(l.v[0].subject, "Bob's own");
	skipped_list_free(&l);
	fx_close(&f);
}

static void test_why_finds_by_address_message_id_and_provider_id(void)
{
	struct fx f;
	struct skipped_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct skipped_item a = item("INBOX/1/1", "a1@x", "bob@else.example",
	    " bob@else.example alice@crm.example ", "Pump quote", 100, SKIP_NO_CONTACT);
	struct skipped_item d = item("INBOX/9/1", "d1@x", "rob@else.example",
	    " rob@else.example bob@crm.example ", "Bob's own", 400, SKIP_NO_CONTACT);
	CHECK(db_skipped_record(f.db, f.alice_link, &a, 1) == 0);
	CHECK(db_skipped_record(f.db, f.bob_link, &d, 1) == 0);
	CHECK(db_skipped_why(f.db, "Bob@Else.example", 10, &l) == 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0].provider_id, "INBOX/1/1");
	CHECK_STR(l.v[0].user_email, "alice@crm.example");
	skipped_list_free(&l);
	/* an address matches whole, never a part of another */
	CHECK(db_skipped_why(f.db, "ob@else.example", 10, &l) == 0);
	CHECK_INT(l.n, 0);
	CHECK(db_skipped_why(f.db, "<d1@x>", 10, &l) == 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0].subject, "Bob's own");
	skipped_list_free(&l);
	CHECK(db_skipped_why(f.db, "INBOX/9/1", 10, &l) == 0);
	CHECK_INT(l.n, 1);
	skipped_list_free(&l);
	CHECK(db_skipped_why(f.db, "nothing@here", 10, &l) == 0);
	CHECK_INT(l.n, 0);
	fx_close(&f);
}

static void test_imported_lookup_names_where_it_went(void)
{
	struct fx f;
	struct msg_list m = { 0 };
	char **lines = NULL;
	size_t n = 0;
	CHECK(fx_open(&f) == 0);
	fx_msg(&m, "INBOX/1/5", "got@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    1690000000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &m, NULL, "c1") == 0);
	CHECK(db_skipped_imported(f.db, "<got@x>", &lines, &n) == 0);
	CHECK_INT(n, 1);
	CHECK(strstr(lines[0], "mail ") == lines[0]);
	CHECK(strstr(lines[0], "\"Service increase\" for alice@crm.example") != NULL);
	CHECK(strstr(lines[0], "INBOX/1/5") != NULL);
	free(lines[0]);
	free(lines);
	lines = NULL;
	n = 0;
	CHECK(db_skipped_imported(f.db, "INBOX/1/5", &lines, &n) == 0);
	CHECK_INT(n, 1);
	free(lines[0]);
	free(lines);
	lines = NULL;
	n = 0;
	CHECK(db_skipped_imported(f.db, "other@x", &lines, &n) == 0);
	CHECK_INT(n, 0);
	fx_close(&f);
}

static const char *reason_of(struct fx *f, const char *pid)
{
	static char buf[64];
	struct db_stmt *st;
	buf[0] = '\0';
	if (!(st = db_prepare(f->db, "SELECT reason FROM skipped_items WHERE provider_id = ?")))
		return buf;
	db_bind_text(st, 1, pid);
	if (db_step(st) == DB_ROW)
		snprintf(buf, sizeof buf, "%s", (const char *)db_col_text(st, 0));
	db_finalize(st);
	return buf;
}

static void test_store_records_why_mail_is_left_out(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "stranger@x", "Eve@Else.example", "alice@crm.example", NULL, NULL,
	    1690000000);
	fx_msg(&l, "INBOX/1/2", "colleague@x", "bob@crm.example", "alice@crm.example", NULL, NULL,
	    1690000100);
	fx_msg(&l, "INBOX/1/3", "contact@x", "john.smith@example.net", "alice@crm.example", NULL,
	    NULL, 1690000200);
	fx_msg(&l, "Sent/1/9", "contact@x", "john.smith@example.net", "alice@crm.example", NULL,
	    NULL, 1690000200);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_STR(reason_of(&f, "INBOX/1/1"), "no_contact");
	CHECK_STR(reason_of(&f, "INBOX/1/2"), "colleagues");
	CHECK_STR(reason_of(&f, "INBOX/1/3"), "");
	CHECK_STR(reason_of(&f, "Sent/1/9"), "duplicate");
	CHECK_STR(fx_text(&f, "SELECT item_id || '|' || item_at || '|' || from_email || '|' ||"
	    " addresses || '|' || subject || '|' || kind FROM skipped_items"
	    " WHERE provider_id = 'INBOX/1/1'", 0),
	    "stranger@x|1690000000|Eve@Else.example| eve@else.example alice@crm.example |"
	    "Service increase|mail");
	/* seen again: still one record each */
	fx_msg(&l, "INBOX/1/1", "stranger@x", "eve@else.example", "alice@crm.example", NULL, NULL,
	    1690000000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items", 0), 3);
	/* the stranger becomes a contact and the mail is seen again: imported, record gone */
	const char *eve[] = { "eve@else.example" };
	int64_t cid;
	CHECK(db_contacts_upsert(f.db, f.acct_b, "Eve Else", "", eve, 1, &cid) == 0);
	fx_msg(&l, "INBOX/1/1", "stranger@x", "eve@else.example", "alice@crm.example", NULL, NULL,
	    1690000000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c3") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 2);
	CHECK_STR(reason_of(&f, "INBOX/1/1"), "");
	fx_close(&f);
}

static void test_store_records_events_without_contacts(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/alice/cal/a.ics", "uid-a", NULL, "e1", "alice@crm.example",
	    "eve@else.example", 1700000000, "Dentist");
	fx_event(&e, "/alice/cal/b.ics", "uid-b", NULL, "e1", "alice@crm.example",
	    "bob@crm.example", 1700003600, "Team lunch");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 0);
	CHECK_STR(reason_of(&f, "/alice/cal/a.ics"), "no_contact");
	CHECK_STR(reason_of(&f, "/alice/cal/b.ics"), "colleagues");
	CHECK_STR(fx_text(&f, "SELECT kind || '|' || item_id || '|' || subject || '|' || from_email"
	    " FROM skipped_items WHERE provider_id = '/alice/cal/a.ics'", 0),
	    "event|uid-a|Dentist|alice@crm.example");
	fx_close(&f);
}

static void test_driver_notes_are_recorded_with_the_page(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	struct step_out o = { 0 };
	CHECK(fx_open(&f) == 0);
	prov_skip_broken(&o, SKIP_MAIL, "INBOX/1/4", 1690000000, "no mail headers found");
	CHECK_INT(o.skipped, 1);
	CHECK_INT(o.skips.n, 1);
	fx_msg(&l, "INBOX/1/5", "ok@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 5);
	f.sa.notes = &o.skips;
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK(f.sa.notes == NULL);
	CHECK_STR(fx_text(&f, "SELECT reason || ': ' || detail FROM skipped_items"
	    " WHERE provider_id = 'INBOX/1/4'", 0), "unparsable: no mail headers found");
	step_out_clear(&o);
	fx_close(&f);
}

static void test_store_keeps_at_most_skipped_max_per_link(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	char pid[32], mid[32];
	CHECK(fx_open(&f) == 0);
	f.sa.skipped_max = 4;
	for (int page = 0; page < 3; page++) {
		for (int i = 0; i < 3; i++) {
			snprintf(pid, sizeof pid, "INBOX/1/%d", page * 10 + i);
			snprintf(mid, sizeof mid, "m%d@x", page * 10 + i);
			fx_msg(&l, pid, mid, "eve@else.example", "alice@crm.example", NULL, NULL, 5);
		}
		f.sa.now = 1700000000 + page;
		CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c") == 0);
	}
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items", 0), 4);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_items WHERE recorded_at = 1700000002", 0), 3);
	fx_close(&f);
}

static void test_recording_failure_never_fails_the_import(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	/* on PostgreSQL the triggers' functions on other tables name it too */
	CHECK(db_exec(f.db, strcmp(db_engine(f.db), "postgresql") == 0 ?
	    "DROP TABLE skipped_items CASCADE" : "DROP TABLE skipped_items") == 0);
	fx_msg(&l, "INBOX/1/1", "stranger@x", "eve@else.example", "alice@crm.example", NULL, NULL, 5);
	fx_msg(&l, "INBOX/1/2", "contact@x", "john.smith@example.net", "alice@crm.example", NULL,
	    NULL, 6);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages WHERE message_id = 'contact@x'", 0), 1);
	CHECK_INT(f.sa.c.errors, 0);
	fx_close(&f);
}

static void test_reasons_have_codes_and_words(void)
{
	for (int r = 0; r < SKIP_NREASONS; r++) {
		CHECK_INT(skip_reason_parse(skip_reason_code((enum skip_reason)r)), r);
		CHECK(strlen(skip_reason_words((enum skip_reason)r)) > 5);
	}
	CHECK_INT(skip_reason_parse("bogus"), -1);
	CHECK_STR(skip_reason_words(SKIP_NO_CONTACT), "No contact in the CRM for any address");
	CHECK_STR(skip_reason_words(SKIP_OLDER), "Older than the sync start date");
}

T_MAIN(T(test_reseen_item_updates_its_record), T(test_records_are_bounded_per_link_and_by_age),
    T(test_list_is_the_users_own_newest_first_and_searchable),
    T(test_why_finds_by_address_message_id_and_provider_id),
    T(test_imported_lookup_names_where_it_went), T(test_store_records_why_mail_is_left_out),
    T(test_store_records_events_without_contacts), T(test_driver_notes_are_recorded_with_the_page),
    T(test_store_keeps_at_most_skipped_max_per_link),
    T(test_recording_failure_never_fails_the_import), T(test_reasons_have_codes_and_words))

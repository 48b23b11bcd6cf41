/* Storing what the CRM itself sent out, when a pull meets it again: a pushed appointment stays
 * one appointment (even under a UID the provider chose) and takes the provider's changes, a sent
 * mail gets the mailbox's id, and the CRM folder's Unmatched list never brings back what the
 * user assigned or discarded. */
#include "t.h"
#include "sync_fixture.h"
#include "core/db_unmatched.h"

static int exec(struct fx *f, const char *sql)
{
	int rc = db_exec(f->db, sql);
	if (rc != 0)
		fprintf(stderr, "sql: %s\n", db_errmsg(f->db));
	return rc;
}

/* A CRM appointment of alice's, pushed through her link as provider id pid (etag "e1"), with a
 * CRM note, and John invited. */
static int64_t crm_appointment(struct fx *f, const char *pid)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	    "INSERT INTO appointments (source, ical_uid, type, assigned_user_id, start_at,"
	    " duration_min, title, note, created_at, updated_at) VALUES ('crm', 'crm-1@crm.example',"
	    " 'Site Visit', %lld, 1700000000, 30, 'Pump install', 'bring the long hose', 1, 1);"
	    "INSERT INTO appointment_users (appointment_id, user_id, link_id, provider_id, etag)"
	    " VALUES (lastval(), %lld, %lld, '%s', 'e1');"
	    "INSERT INTO appointment_contacts SELECT id, %lld FROM appointments;",
	    (long long)f->alice, (long long)f->alice, (long long)f->alice_link, pid,
	    (long long)f->john);
	if (exec(f, sql) != 0)
		return -1;
	return fx_int(f, "SELECT id FROM appointments WHERE source = 'crm'", 0);
}

static void test_pushed_appointment_with_the_providers_uid_stays_one(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t id = crm_appointment(&f, "AAMkAD-evt-1");
	CHECK(id > 0);
	/* The provider lists it under its own UID, with the etag the push got back. */
	fx_event(&e, "AAMkAD-evt-1", "040000008200E00074C5B7101A82E008", NULL, "e1",
	    "alice@crm.example", "john.smith@example.net", 1700000000, "Pump install");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "d1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users", 0), 1);
	CHECK_INT(f.sa.c.new_items, 0);
	fx_close(&f);
}

static void test_providers_change_to_a_pushed_appointment_wins_in_place(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t id = crm_appointment(&f, "AAMkAD-evt-1");
	CHECK(exec(&f, "UPDATE appointments SET completion_note = 'done', complete = 1,"
	    " regarding = 'WO-17'") == 0);
	struct sync_event *ev = fx_event(&e, "AAMkAD-evt-1", "provider-uid-1", NULL, "e2",
	    "alice@crm.example", "ana@example.net", 1700007200, "Pump install (moved)");
	ev->duration_min = 60;
	free(ev->location);
	ev->location = strdup("1234 Washington Ave");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "d2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT id FROM appointments", 0), id);
	CHECK_INT(fx_int(&f, "SELECT start_at FROM appointments", 0), 1700007200);
	CHECK_INT(fx_int(&f, "SELECT duration_min FROM appointments", 0), 60);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || location FROM appointments", 0),
	    "Pump install (moved)|1234 Washington Ave");
	CHECK_STR(fx_text(&f, "SELECT string_agg(email, ',') FROM appointment_attendees"
	    " WHERE role = 'attendee'", 0), "ana@example.net");
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM appointment_contacts", 0), f.ana);
	/* What the CRM user owns stays. */
	CHECK_STR(fx_text(&f, "SELECT source || '|' || type || '|' || ical_uid || '|' || note || '|' ||"
	    " completion_note || '|' || complete || '|' || regarding || '|' || hidden FROM appointments",
	    0), "crm|Site Visit|crm-1@crm.example|bring the long hose|done|1|WO-17|0");
	CHECK_STR(fx_text(&f, "SELECT etag FROM appointment_users", 0), "e2");
	/* Cancelled at the provider: shown cancelled, still the same appointment. */
	fx_event(&e, "AAMkAD-evt-1", "provider-uid-1", NULL, "e3", "alice@crm.example",
	    "ana@example.net", 1700007200, "Pump install (moved)")->cancelled = 1;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "d3") == 0);
	CHECK_INT(fx_int(&f, "SELECT cancelled FROM appointments WHERE id = ?", id), 1);
	fx_close(&f);
}

static void test_a_waiting_crm_edit_is_not_overwritten_by_a_pull(void)
{
	struct fx f;
	struct event_list e = { 0 };
	char sql[512];
	CHECK(fx_open(&f) == 0);
	int64_t id = crm_appointment(&f, "/alice/cal/crm-1.ics");
	CHECK(exec(&f, "UPDATE appointments SET title = 'Pump install, edited in the CRM'") == 0);
	snprintf(sql, sizeof sql, "INSERT INTO outbox (user_id, link_id, kind, appointment_id,"
	    " idempotency_key, created_at, updated_at) VALUES (%lld, %lld, 'event_update', %lld,"
	    " 'k1', 1, 1)", (long long)f.alice, (long long)f.alice_link, (long long)id);
	CHECK(exec(&f, sql) == 0);
	fx_event(&e, "/alice/cal/crm-1.ics", "crm-1@crm.example", NULL, "e2", "alice@crm.example",
	    "john.smith@example.net", 1700000000, "Pump install");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t2") == 0);
	CHECK_STR(fx_text(&f, "SELECT title FROM appointments", 0), "Pump install, edited in the CRM");
	CHECK_STR(fx_text(&f, "SELECT etag FROM appointment_users", 0), "e1");
	/* Once the push is done, the provider's next version comes in. */
	CHECK(exec(&f, "UPDATE outbox SET state = 'done'") == 0);
	fx_event(&e, "/alice/cal/crm-1.ics", "crm-1@crm.example", NULL, "e3", "alice@crm.example",
	    "john.smith@example.net", 1700000000, "Pump install, renamed at the provider");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t3") == 0);
	CHECK_STR(fx_text(&f, "SELECT title FROM appointments", 0),
	    "Pump install, renamed at the provider");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	fx_close(&f);
}

static void test_sent_mail_gets_the_mailbox_id_and_stays_one_message(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	char sql[1024];
	CHECK(fx_open(&f) == 0);
	/* The web app's copy of a mail it sent: no provider id yet. */
	snprintf(sql, sizeof sql,
	    "INSERT INTO threads (subject, started_at, last_at) VALUES ('Your quote', 5, 5);"
	    "INSERT INTO messages (thread_id, message_id, subject, from_email, sent_at, created_at)"
	    " VALUES (lastval(), 'quote-1@crm.example', 'Your quote', 'alice@crm.example',"
	    " 5, 5);"
	    "INSERT INTO message_users (message_id, user_id, link_id, provider_id, direction)"
	    " VALUES (lastval(), %lld, %lld, NULL, 'sent');",
	    (long long)f.alice, (long long)f.alice_link);
	CHECK(exec(&f, sql) == 0);
	for (int round = 0; round < 2; round++) {
		struct sync_msg *m = fx_msg(&l, "Sent/7/42", "quote-1@crm.example", "alice@crm.example",
		    "john.smith@example.net", NULL, NULL, 5);
		m->folder = FOLDER_SENT;
		CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	}
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_users", 0), 1);
	CHECK_STR(fx_text(&f, "SELECT provider_id || '|' || link_id || '|' || direction"
	    " FROM message_users", 0), "Sent/7/42|1|sent");
	fx_close(&f);
}

static int64_t only_unmatched(struct fx *f)
{
	return fx_int(f, "SELECT id FROM unmatched_messages", 0);
}

static void crm_folder_msg(struct msg_list *l, const char *pid)
{
	fx_msg(l, pid, "hello-7@stranger.example", "someone@stranger.example", "alice@crm.example",
	    NULL, NULL, 5)->folder = FOLDER_CRM;
}

static void test_discarded_crm_folder_mail_does_not_come_back(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	crm_folder_msg(&l, "CRM/3/1");
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM unmatched_messages", 0), 1);
	CHECK_INT(db_unmatched_discard(f.db, only_unmatched(&f), f.alice), 0);
	/* Seen again (the move to Processed failed, or the user dragged it back in). */
	crm_folder_msg(&l, "CRM/3/1");
	crm_folder_msg(&l, "CRM/3/2");
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM unmatched_messages", 0), 0);
	fx_close(&f);
}

static void test_assigned_crm_folder_mail_is_not_unmatched_again(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	int64_t msg = 0;
	CHECK(fx_open(&f) == 0);
	crm_folder_msg(&l, "CRM/3/1");
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	CHECK_INT(db_unmatched_assign(f.db, only_unmatched(&f), f.alice, f.linda, &msg), 0);
	crm_folder_msg(&l, "CRM/3/1");
	crm_folder_msg(&l, "CRM/3/5");
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM unmatched_messages", 0), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM message_contacts", 0), f.linda);
	fx_close(&f);
}

static void test_crm_folder_mail_is_listed_once_even_under_a_new_id(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	crm_folder_msg(&l, "CRM/3/1");
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	crm_folder_msg(&l, "CRM/3/9");
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM unmatched_messages", 0), 1);
	fx_close(&f);
}

T_MAIN(T(test_pushed_appointment_with_the_providers_uid_stays_one),
    T(test_providers_change_to_a_pushed_appointment_wins_in_place),
    T(test_a_waiting_crm_edit_is_not_overwritten_by_a_pull),
    T(test_sent_mail_gets_the_mailbox_id_and_stays_one_message),
    T(test_discarded_crm_folder_mail_does_not_come_back),
    T(test_assigned_crm_folder_mail_is_not_unmatched_again),
    T(test_crm_folder_mail_is_listed_once_even_under_a_new_id))

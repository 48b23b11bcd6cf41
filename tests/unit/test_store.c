/* Storing pages: idempotent, one mail = one message and one meeting = one appointment across
 * users, changes update in place, series cleanup, deletions, and what the CRM user owns kept. */
#include "t.h"
#include "sync_fixture.h"
#include "core/db_sync.h"
#include "core/db_web_mail.h"

static void test_same_page_twice_stores_no_duplicates(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	for (int round = 0; round < 2; round++) {
		fx_msg(&l, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL,
		    NULL, 1690000000);
		fx_msg(&l, "INBOX/1/2", "m2@x", "ana@example.net", "alice@crm.example", "m1@x", "m1@x",
		    1690000100);
		CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
		fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e1", NULL, "john.smith@example.net",
		    1700000000, "Visit");
		CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	}
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_users", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT items_imported FROM links WHERE id = ?", f.alice_link), 3);
	CHECK_INT(f.sa.c.skipped, 3);
	fx_close(&f);
}

static void test_same_mail_in_two_mailboxes_is_one_message(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 5);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	fx_msg(&l, "INBOX/9/3", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 5);
	CHECK(store_commit(&f.sb, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_users", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_users WHERE user_id = ?", f.bob), 1);
	fx_close(&f);
}

static void test_same_meeting_in_two_calendars_is_one_appointment(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/alice/cal/m.ics", "meet-1", NULL, "a1", "bob@crm.example",
	    "john.smith@example.net", 1700000000, "Rates review");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_INT(fx_int(&f, "SELECT assigned_user_id FROM appointments", 0), f.bob);
	fx_event(&e, "/bob/cal/m.ics", "meet-1", NULL, "b1", "bob@crm.example",
	    "john.smith@example.net", 1700000000, "Rates review");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users", 0), 2);
	CHECK_STR(fx_text(&f, "SELECT type || '/' || source FROM appointments", 0), "Imported/imported");
	fx_close(&f);
}

static void test_moved_appointment_updates_in_place(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e1", NULL, "john.smith@example.net", 1700000000,
	    "Visit");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	long long id = fx_int(&f, "SELECT id FROM appointments", 0);
	CHECK(db_exec(f.db, "UPDATE appointments SET note = 'gate code 42', complete = 1,"
	    " regarding = 'WO-7', completion_note = 'done'") == DB_OK);
	struct sync_event *m = fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e2", NULL,
	    "ana@example.net", 1700003600, "Visit (moved)");
	free(m->location);
	m->location = strdup("Back gate");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT id FROM appointments", 0), id);
	CHECK_INT(fx_int(&f, "SELECT start_at FROM appointments", 0), 1700003600);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || location FROM appointments", 0),
	    "Visit (moved)|Back gate");
	CHECK_STR(fx_text(&f, "SELECT note || '|' || completion_note || '|' || complete || '|' ||"
	    " regarding FROM appointments", 0), "gate code 42|done|1|WO-7");
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM appointment_contacts", 0), f.ana);
	CHECK_STR(fx_text(&f, "SELECT string_agg(email, ',') FROM appointment_attendees", 0),
	    "ana@example.net");
	CHECK_STR(fx_text(&f, "SELECT etag FROM appointment_users", 0), "e2");
	fx_close(&f);
}

static void test_deleted_appointment_disappears_when_no_one_has_it(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "a1", NULL, "john.smith@example.net", 1700000000,
	    "Visit");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	fx_event(&e, "/b/cal/1.ics", "uid-1", NULL, "b1", NULL, "john.smith@example.net", 1700000000,
	    "Visit");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &e, "t1") == 0);
	struct sync_event *d = event_list_add(&e);
	d->provider_id = strdup("/a/cal/1.ics");
	d->deleted = 1;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users", 0), 1);
	d = event_list_add(&e);
	d->provider_id = strdup("/b/cal/1.ics");
	d->deleted = 1;
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &e, "t2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 0);
	fx_close(&f);
}

static void test_series_drops_occurrences_no_longer_listed(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	const char *rids[] = { "20240101T150000Z", "20240108T150000Z", "20240115T150000Z" };
	for (int i = 0; i < 3; i++)
		fx_event(&e, "/a/cal/s.ics", "series-1", rids[i], "s1", NULL, "john.smith@example.net",
		    1704121200 + i * 604800, "Weekly")->series_complete = 1;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 3);
	/* The second occurrence gets an EXDATE: the series comes again without it. */
	for (int i = 0; i < 3; i += 2)
		fx_event(&e, "/a/cal/s.ics", "series-1", rids[i], "s2", NULL, "john.smith@example.net",
		    1704121200 + i * 604800, "Weekly")->series_complete = 1;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments WHERE recurrence_id = '20240108T150000Z'",
	    0), 0);
	fx_close(&f);
}

static void test_hidden_appointment_is_never_revived(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e1", NULL, "john.smith@example.net", 1700000000,
	    "Visit");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK(db_exec(f.db, "UPDATE appointments SET hidden = 1") == DB_OK);
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e2", NULL, "john.smith@example.net", 1700007200,
	    "Visit again");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointments", 0), 1);
	/* Deleted at the provider and then created again under the same UID: still hidden. */
	struct sync_event *d = event_list_add(&e);
	d->provider_id = strdup("/a/cal/1.ics");
	d->deleted = 1;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t3") == 0);
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e3", NULL, "john.smith@example.net", 1700007200,
	    "Visit again");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t4") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT hidden FROM appointments", 0), 1);
	fx_close(&f);
}

static void test_cancelled_event_is_kept_cancelled(void)
{
	struct fx f;
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&e, "/a/cal/1.ics", "uid-1", NULL, "e1", NULL, "john.smith@example.net", 1700000000,
	    "Visit")->cancelled = 1;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t1") == 0);
	CHECK_INT(fx_int(&f, "SELECT cancelled FROM appointments", 0), 1);
	fx_close(&f);
}

static void test_a_bad_item_is_skipped_and_the_page_lands(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	struct event_list e = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_msg *bad = fx_msg(&l, "INBOX/1/1", "x", "john.smith@example.net", "a@b.c", NULL,
	    NULL, 1);
	free(bad->message_id);
	bad->message_id = NULL;
	fx_msg(&l, "INBOX/1/2", "ok@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 2);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c9") == 0);
	struct sync_event *ev = fx_event(&e, "/a/cal/1.ics", "u", NULL, "e", NULL,
	    "john.smith@example.net", 1, "x");
	free(ev->uid);
	ev->uid = NULL;
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &e, "t9") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_INT(f.sa.c.errors, 2);
	CHECK_STR(fx_text(&f, "SELECT string_agg(cursor, ',') FROM sync_cursors", 0), "c9,t9");
	fx_close(&f);
}

static void fx_addrs_drop(struct sync_msg *m)
{
	for (size_t i = 0; i < m->n_to; i++) {
		free(m->to[i].name);
		free(m->to[i].email);
	}
	free(m->to);
}

/* A mail to 1,200 people whose only contact is the last one listed. */
static void test_contact_listed_last_of_1200_addresses_still_matches(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_msg *m = fx_msg(&l, "INBOX/1/1", "big@x", "news@list.example",
	    "alice@crm.example", NULL, NULL, 1690000000);
	fx_addrs_drop(m);
	m->n_to = 1200;
	m->to = calloc(m->n_to, sizeof *m->to);
	for (size_t i = 0; i + 1 < m->n_to; i++) {
		char a[64];
		snprintf(a, sizeof a, "reader%zu@list.example", i);
		fx_addr(&m->to[i], a);
	}
	fx_addr(&m->to[m->n_to - 1], "linda@diner.example");
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM message_contacts", 0), f.linda);
	/* The list shown is bounded: the first 100 and a count of the rest. */
	CHECK_INT(fx_int(&f, "SELECT length(to_list) < 4000 FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT to_list LIKE 'reader0@list.example, %reader99@list.example"
	    " and 1100 more' FROM messages", 0), 1);
	fx_close(&f);
}

/* A mail naming more contacts than any fixed table would hold links every one of them. */
static void test_mail_to_many_contacts_links_them_all(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_msg *m = fx_msg(&l, "INBOX/1/1", "many@x", "alice@crm.example",
	    "john.smith@example.net", NULL, NULL, 1690000000);
	fx_addrs_drop(m);
	m->n_to = 150;
	m->to = calloc(m->n_to, sizeof *m->to);
	for (size_t i = 0; i < m->n_to; i++) {
		char a[64], name[32];
		const char *e[] = { a };
		int64_t id;
		snprintf(a, sizeof a, "person%zu@client.example", i);
		snprintf(name, sizeof name, "Person %zu", i);
		CHECK(db_contacts_upsert(f.db, f.acct_b, name, "", e, 1, &id) == 0);
		fx_addr(&m->to[i], a);
	}
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts", 0), 150);
	CHECK_INT(fx_int(&f, "SELECT to_list NOT LIKE '% more' FROM messages", 0), 0);
	fx_close(&f);
}

/* A contact's messages: a page's rows wait in message_contacts (keyed by message, so a page
 * writes them together) and are found there until the store moves a batch into
 * contact_messages sorted by contact; a contact added to an older message, and a contact
 * deleted, reach contact_messages at once. */
#define CONTACT_MSGS "SELECT count(*) FROM (SELECT message_id FROM contact_messages" \
	" WHERE contact_id = ?1 UNION ALL SELECT message_id FROM message_contacts WHERE" \
	" message_id > (SELECT upto FROM contact_messages_mark) AND contact_id = ?1) cm"
static void test_contact_messages_are_written_in_batches(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "c1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 10);
	fx_msg(&l, "INBOX/1/2", "c2@x", "john.smith@example.net", "alice@crm.example", NULL, NULL, 20);
	fx_msg(&l, "INBOX/1/3", "c3@x", "linda@diner.example", "alice@crm.example", NULL, NULL, 30);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM contact_messages", 0), 0);
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.john), 2);
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.linda), 1);
	CHECK_INT(db_sync_contact_index_merge(f.db, 2048), 0);
	CHECK_INT(db_sync_contact_index_merge(f.db, 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM contact_messages", 0), 3);
	CHECK_INT(fx_int(&f, "SELECT upto FROM contact_messages_mark", 0),
	    fx_int(&f, "SELECT max(id) FROM messages", 0));
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.john), 2);
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.linda), 1);
	/* ana joins an older message: found at once, counted once */
	CHECK(db_sync_msg_contact_add(f.db, fx_int(&f, "SELECT id FROM messages WHERE"
	    " message_id = 'c1@x'", 0), f.ana) == 0);
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.ana), 1);
	CHECK_INT(db_sync_contact_index_merge(f.db, 0), 0);
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.ana), 1);
	/* a deleted contact takes its rows along */
	CHECK(db_exec(f.db, "DELETE FROM contacts WHERE name = 'John Smith'") == 0);
	CHECK_INT(fx_int(&f, CONTACT_MSGS, f.john), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts WHERE contact_id = ?", f.john), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts", 0), 2);
	fx_close(&f);
}

/* A meeting with 150 attendees whose only contact is the last one listed. */
static void test_contact_listed_after_150_attendees_still_matches(void)
{
	struct fx f;
	struct event_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_event *e = fx_event(&l, "/a/cal/big.ics", "uid-big", NULL, "e1",
	    "host@events.example", NULL, 1700000000, "Town hall");
	e->n_attendees = 150;
	e->attendees = calloc(e->n_attendees, sizeof *e->attendees);
	for (size_t i = 0; i + 1 < e->n_attendees; i++) {
		char a[64];
		snprintf(a, sizeof a, "guest%zu@events.example", i);
		fx_addr(&e->attendees[i].who, a);
	}
	fx_addr(&e->attendees[e->n_attendees - 1].who, "linda@diner.example");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "tok") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_contacts", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM appointment_contacts", 0), f.linda);
	CHECK_INT(fx_int(&f, "SELECT account_id FROM appointments", 0), f.acct_b);
	fx_close(&f);
}

/* A meeting naming 150 contacts links every one of them; its account is the first one's. */
static void test_meeting_with_150_contacts_links_them_all(void)
{
	struct fx f;
	struct event_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_event *e = fx_event(&l, "/a/cal/many.ics", "uid-many", NULL, "e1",
	    "linda@diner.example", NULL, 1700000000, "Conference");
	e->n_attendees = 150;
	e->attendees = calloc(e->n_attendees, sizeof *e->attendees);
	for (size_t i = 0; i < e->n_attendees; i++) {
		char a[64], name[32];
		const char *em[] = { a };
		int64_t id;
		snprintf(a, sizeof a, "person%zu@client.example", i);
		snprintf(name, sizeof name, "Person %zu", i);
		CHECK(db_contacts_upsert(f.db, f.acct_a, name, "", em, 1, &id) == 0);
		fx_addr(&e->attendees[i].who, a);
	}
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "tok") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_contacts", 0), 151);
	CHECK_INT(fx_int(&f, "SELECT account_id FROM appointments", 0), f.acct_b);
	fx_close(&f);
}

/* A mail written in the CRM to 150 people whose only contact is the last one, then to 150
 * contacts. */
static void test_sent_mail_to_150_links_the_last_contact_and_all_of_them(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	static char addrs[150][64];
	const char *rcpt[150];
	for (size_t i = 0; i < 150; i++) {
		snprintf(addrs[i], sizeof addrs[i], i == 149 ? "linda@diner.example" :
		    "reader%zu@list.example", i);
		rcpt[i] = addrs[i];
	}
	struct sent_mail sm = {
		.user_id = f.alice, .link_id = f.alice_link, .sent_at = 1700000000,
		.message_id = "sent-150@crm.example", .subject = "News", .from_name = "Alice",
		.from_email = "alice@crm.example", .to_list = "", .cc_list = "", .body = "Hi",
		.rcpt = rcpt, .n_rcpt = 150,
	};
	int64_t id = 0;
	CHECK(db_begin(f.db) == 0);
	CHECK(db_web_mail_store_sent(f.db, &sm, &id) == 0);
	CHECK(db_commit(f.db) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM message_contacts WHERE message_id = ?1", id),
	    f.linda);
	/* and when every one of the 150 is a contact, every one is linked */
	for (size_t i = 0; i < 150; i++) {
		char name[32];
		const char *em[] = { addrs[i] };
		int64_t cid;
		snprintf(name, sizeof name, "Reader %zu", i);
		CHECK(i == 149 || db_contacts_upsert(f.db, f.acct_a, name, "", em, 1, &cid) == 0);
	}
	sm.message_id = "sent-150b@crm.example";
	CHECK(db_begin(f.db) == 0);
	CHECK(db_web_mail_store_sent(f.db, &sm, &id) == 0);
	CHECK(db_commit(f.db) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts WHERE message_id = ?1", id), 150);
	fx_close(&f);
}

T_MAIN(T(test_same_page_twice_stores_no_duplicates),
    T(test_contact_messages_are_written_in_batches),
    T(test_contact_listed_after_150_attendees_still_matches),
    T(test_meeting_with_150_contacts_links_them_all),
    T(test_sent_mail_to_150_links_the_last_contact_and_all_of_them),
    T(test_contact_listed_last_of_1200_addresses_still_matches),
    T(test_mail_to_many_contacts_links_them_all),
    T(test_same_mail_in_two_mailboxes_is_one_message),
    T(test_same_meeting_in_two_calendars_is_one_appointment),
    T(test_moved_appointment_updates_in_place),
    T(test_deleted_appointment_disappears_when_no_one_has_it),
    T(test_series_drops_occurrences_no_longer_listed),
    T(test_hidden_appointment_is_never_revived),
    T(test_cancelled_event_is_kept_cancelled),
    T(test_a_bad_item_is_skipped_and_the_page_lands))

/* Matching mail and appointments to contacts: only items with a contact are stored, addresses
 * compare case-insensitively after trimming, and an item with several contacts links to each. */
#include "t.h"
#include "sync_fixture.h"
#include "sync/match.h"

static void test_addresses_are_trimmed_lowercased_and_distinct(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "  John.Smith@Example.NET ", "john.smith@example.net" },
		{ "ANA@example.net", "ana@example.net" },
		{ "\tlinda@diner.example\n", "linda@diner.example" },
	};
	struct strset s = { 0 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT(addrset_add(&s, cases[i].in), 0);
		CHECK_STR(s.v[i], cases[i].out);
	}
	addrset_add(&s, "JOHN.SMITH@example.net");
	addrset_add(&s, "not an address");
	addrset_add(&s, "");
	addrset_add(&s, NULL);
	CHECK_INT(s.n, 3);
	strset_free(&s);
}

static void test_mail_from_a_contact_in_any_case_is_stored(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "m1@x", "  JOHN.Smith@Example.net ", "alice@crm.example", NULL, NULL,
	    1690000000);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT contact_id FROM message_contacts", 0), f.john);
	CHECK_INT(f.sa.c.new_items, 1);
	fx_close(&f);
}

static void test_mail_matching_no_contact_is_not_stored(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_msg(&l, "INBOX/1/1", "spam@x", "news@shop.example", "alice@crm.example", NULL, NULL, 1);
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM threads", 0), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM unmatched_messages", 0), 0);
	CHECK_INT(f.sa.c.skipped, 1);
	CHECK_STR(fx_text(&f, "SELECT cursor FROM sync_cursors", 0), "c1");
	fx_close(&f);
}

static void test_mail_to_several_contacts_links_to_each(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_msg *m = fx_msg(&l, "Sent/1/1", "m2@x", "alice@crm.example", "ana@example.net",
	    NULL, NULL, 1690000000);
	m->cc = calloc(2, sizeof *m->cc);
	fx_addr(&m->cc[0], "Linda@Diner.example");
	fx_addr(&m->cc[1], "someone@else.example");
	m->n_cc = 2;
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts WHERE contact_id = ?", f.linda), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM message_contacts WHERE contact_id = ?", f.ana), 1);
	fx_close(&f);
}

static void test_crm_folder_mail_without_contact_waits_unmatched(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_msg *m = fx_msg(&l, "CRM/1/1", "m3@x", "new.customer@else.example",
	    "alice@crm.example", NULL, NULL, 1690000000);
	m->folder = FOLDER_CRM;
	CHECK(store_commit(&f.sa, STREAM_FOLDER, &l, NULL, "crm") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM unmatched_messages", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 0);
	fx_close(&f);
}

static void test_appointment_matches_contacts_by_attendee_and_organizer(void)
{
	struct fx f;
	struct event_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	fx_event(&l, "/a/cal/1.ics", "uid-1", NULL, "e1", "LINDA@diner.example ",
	    " john.smith@EXAMPLE.net", 1700000000, "Walk-through");
	fx_event(&l, "/a/cal/2.ics", "uid-2", NULL, "e1", "alice@crm.example", "friend@else.example",
	    1700000000, "Lunch");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "tok") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointments", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_contacts", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT account_id FROM appointments", 0), f.acct_b);
	fx_close(&f);
}

T_MAIN(T(test_addresses_are_trimmed_lowercased_and_distinct),
    T(test_mail_from_a_contact_in_any_case_is_stored),
    T(test_mail_matching_no_contact_is_not_stored),
    T(test_mail_to_several_contacts_links_to_each),
    T(test_crm_folder_mail_without_contact_waits_unmatched),
    T(test_appointment_matches_contacts_by_attendee_and_organizer))

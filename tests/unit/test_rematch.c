/* Re-matching: a contact that gets an address queues the items not imported for want of a
 * contact that name it (not blocked by colleague-only or other reasons), once, wakes their link,
 * and the queue gives them back per link until each is done or given up. */
#include "t.h"
#include "sync_fixture.h"
#include "core/db_rematch.h"
#include "core/db_skipped.h"
#include "core/import.h"

static void record(struct fx *f, int64_t link, const char *pid, enum skip_kind kind,
    const char *addrs, enum skip_reason r)
{
	struct skipped_item it = { .kind = kind, .reason = r, .provider_id = (char *)pid,
	    .addresses = (char *)addrs, .subject = (char *)"s", .item_at = 100 };
	CHECK(db_skipped_record(f->db, link, &it, 1000) == 0);
}

static int64_t add_contact(struct fx *f, const char *name, const char *email)
{
	int64_t id = 0;
	const char *emails[] = { email };
	if (db_contacts_upsert(f->db, f->acct_a, name, "", emails, 1, &id) != 0)
		t_fail(__FILE__, __LINE__, "contact not saved");
	return id;
}

static void test_new_address_queues_its_no_contact_items_and_wakes_the_link(void)
{
	struct fx f;
	struct rematch_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	record(&f, f.alice_link, "INBOX/1/1", SKIP_MAIL, " zoe@new.example alice@crm.example ",
	    SKIP_NO_CONTACT);
	record(&f, f.alice_link, "/cal/e1.ics", SKIP_EVENT, " zoe@new.example ", SKIP_NO_CONTACT);
	record(&f, f.alice_link, "INBOX/1/2", SKIP_MAIL, " zoe@new.example ", SKIP_UNPARSABLE);
	record(&f, f.alice_link, "INBOX/1/3", SKIP_MAIL, " max@new.example ", SKIP_NO_CONTACT);
	record(&f, f.bob_link, "INBOX/7/1", SKIP_MAIL, " zoe@new.example bob@crm.example ",
	    SKIP_COLLEAGUES);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses WHERE address = 'zoe@new.example'",
	    0), 4);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch", 0), 0);
	CHECK(db_exec(f.db, "UPDATE links SET wake = 0") == 0);   /* a new link starts woken */
	int64_t zoe = add_contact(&f, "Zoe New", "zoe@new.example");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT wake FROM links WHERE id = ?", f.alice_link), 1);
	CHECK_INT(fx_int(&f, "SELECT wake FROM links WHERE id = ?", f.bob_link), 0);
	CHECK(db_rematch_take(f.db, f.alice_link, 10, &l) == 0);
	CHECK_INT((long long)l.n, 2);
	int mail = l.v[0].kind == SKIP_MAIL ? 0 : 1;
	CHECK_STR(l.v[mail].provider_id, "INBOX/1/1");
	CHECK_STR(l.v[1 - mail].provider_id, "/cal/e1.ics");
	CHECK_INT(l.v[1 - mail].kind, SKIP_EVENT);
	CHECK_INT(l.v[0].contact_id, zoe);
	rematch_list_free(&l);
	CHECK(db_rematch_take(f.db, f.bob_link, 10, &l) == 0);
	CHECK_INT((long long)l.n, 0);
	/* the contact saved again (same address) queues nothing twice */
	add_contact(&f, "Zoe New", "zoe@new.example");
	CHECK_INT(db_rematch_count(f.db, f.alice_link), 2);
	fx_close(&f);
}

static void test_record_addresses_follow_updates_and_deletes(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	record(&f, f.alice_link, "INBOX/1/1", SKIP_MAIL, " a@x.example b@x.example ", SKIP_NO_CONTACT);
	record(&f, f.alice_link, "INBOX/1/1", SKIP_MAIL, " c@x.example ", SKIP_NO_CONTACT);
	CHECK_STR(fx_text(&f, "SELECT string_agg(address, ',') FROM skipped_addresses", 0), "c@x.example");
	CHECK(db_skipped_forget(f.db, f.alice_link, "INBOX/1/1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM skipped_addresses", 0), 0);
	/* an imported item has no record: a new contact queues nothing */
	add_contact(&f, "C", "c@x.example");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch", 0), 0);
	fx_close(&f);
}

static void test_queue_items_are_done_or_given_up(void)
{
	struct fx f;
	int64_t n = -1, at = -1;
	CHECK(fx_open(&f) == 0);
	record(&f, f.alice_link, "m1", SKIP_MAIL, " q@x.example ", SKIP_NO_CONTACT);
	record(&f, f.alice_link, "m2", SKIP_MAIL, " q@x.example ", SKIP_NO_CONTACT);
	int64_t q = add_contact(&f, "Q", "q@x.example");
	CHECK_INT(db_rematch_count(f.db, f.alice_link), 2);
	CHECK(db_rematch_done(f.db, f.alice_link, "m1") == 0);
	CHECK_INT(db_rematch_count(f.db, f.alice_link), 1);
	for (int i = 1; i < REMATCH_MAX_TRIES; i++)
		CHECK_INT(db_rematch_failed(f.db, f.alice_link, "m2", REMATCH_MAX_TRIES), 0);
	CHECK_INT(db_rematch_failed(f.db, f.alice_link, "m2", REMATCH_MAX_TRIES), 1);
	CHECK_INT(db_rematch_count(f.db, f.alice_link), 0);
	/* the contact's notice adds up and is read from a time on */
	CHECK(db_rematch_credit(f.db, q, 1, 5000) == 0);
	CHECK(db_rematch_credit(f.db, q, 2, 6000) == 0);
	CHECK(db_rematch_notice(f.db, q, 5500, &n, &at) == 0);
	CHECK_INT(n, 3);
	CHECK_INT(at, 6000);
	CHECK(db_rematch_notice(f.db, q, 7000, &n, &at) == 0);
	CHECK_INT(n, 0);
	CHECK(db_rematch_credit(f.db, 999999, 1, 5000) == 0);   /* no such contact: nothing */
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch_notices", 0), 1);
	fx_close(&f);
}

static void test_contacts_import_queues_like_any_new_address(void)
{
	struct fx f;
	char path[256];
	struct import_result res;
	CHECK(fx_open(&f) == 0);
	record(&f, f.alice_link, "INBOX/1/5", SKIP_MAIL, " imp@new.example ", SKIP_NO_CONTACT);
	snprintf(path, sizeof path, "%s/contacts.csv", t_tmpdir());
	FILE *csv = fopen(path, "w");
	CHECK(csv != NULL);
	fputs("account_number,name,email,phone\n1001,Imp New,IMP@new.example;other@new.example,\n",
	    csv);
	fclose(csv);
	CHECK(import_contacts(f.db, path, stderr, &res) == 0);
	CHECK_INT(res.inserted, 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch WHERE provider_id = 'INBOX/1/5'", 0), 1);
	/* the same file again rewrites the addresses: the item is queued once */
	CHECK(import_contacts(f.db, path, stderr, &res) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM rematch", 0), 1);
	fx_close(&f);
}

T_MAIN(T(test_new_address_queues_its_no_contact_items_and_wakes_the_link),
    T(test_record_addresses_follow_updates_and_deletes), T(test_queue_items_are_done_or_given_up),
    T(test_contacts_import_queues_like_any_new_address))

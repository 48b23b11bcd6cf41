/* What the health view reads: outcome counts per minute and their windows, an item left out
 * counted once, the newest item's date, the push state a daemon clears, the re-link notice
 * claimed once per breakage. */
#include "t.h"
#include "sync_fixture.h"
#include "core/db_health.h"
#include "core/db_skipped.h"
#include "core/db_sync.h"

static void exec(struct fx *f, const char *sql)
{
	db_exec(f->db, sql);
}

static void test_counts_add_up_per_minute_and_are_pruned(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	CHECK(db_sync_link_event(f.db, f.alice_link, 125, "error", 1) == 0);
	CHECK(db_sync_link_event(f.db, f.alice_link, 179, "error", 2) == 0);
	CHECK(db_sync_link_event(f.db, f.alice_link, 180, "error", 1) == 0);
	CHECK(db_sync_link_event(f.db, f.alice_link, 180, "imported", 0) == 0);   /* nothing */
	CHECK_INT(fx_int(&f, "SELECT n FROM link_events WHERE at = 120 AND kind = 'error'", 0), 3);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM link_events", 0), 2);
	CHECK_INT(db_sync_link_events_prune(f.db, 180), 1);
	CHECK_INT(fx_int(&f, "SELECT sum(n) FROM link_events", 0), 1);
	fx_close(&f);
}

static void test_an_item_left_out_counts_once_and_dates_the_link(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	struct skipped_item it = { .kind = SKIP_MAIL, .reason = SKIP_NO_CONTACT,
	    .provider_id = (char *)"INBOX/1/7", .item_at = 1600000000, .subject = (char *)"Quote" };
	CHECK(db_skipped_record(f.db, f.alice_link, &it, 1700000000) == 0);
	CHECK(db_skipped_record(f.db, f.alice_link, &it, 1700000030) == 0);   /* seen again */
	CHECK_INT(fx_int(&f, "SELECT sum(n) FROM link_events WHERE kind = 'skipped'", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT newest_item_at FROM links WHERE id = ?", f.alice_link),
	    1600000000);
	it.provider_id = (char *)"INBOX/1/8";
	it.item_at = 1500000000;   /* an older one does not move it back */
	CHECK(db_skipped_record(f.db, f.alice_link, &it, 1700000040) == 0);
	CHECK_INT(fx_int(&f, "SELECT newest_item_at FROM links WHERE id = ?", f.alice_link),
	    1600000000);
	CHECK_INT(fx_int(&f, "SELECT sum(n) FROM link_events WHERE kind = 'skipped'", 0), 2);
	fx_close(&f);
}

static void test_health_counts_the_last_hour_and_today(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	int64_t now = 1700050000, day = now - now % 86400;
	db_sync_link_event(f.db, f.alice_link, now - 30, "error", 2);
	db_sync_link_event(f.db, f.alice_link, now - 3500, "rate_limited", 1);
	db_sync_link_event(f.db, f.alice_link, now - 3700, "error", 5);       /* over an hour ago */
	db_sync_link_event(f.db, f.alice_link, day + 60, "imported", 4);
	db_sync_link_event(f.db, f.alice_link, day - 60, "imported", 9);      /* yesterday */
	db_sync_link_event(f.db, f.alice_link, day + 120, "skipped", 3);
	db_sync_link_event(f.db, f.bob_link, now, "error", 7);
	struct health_list l;
	CHECK(db_health_links(f.db, now, day, 900, &l) == 0);
	const struct link_health *a = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].id == f.alice_link)
			a = &l.v[i];
	int good = a && a->errors_hour == 2 && a->rate_limited_hour == 1 &&
	    a->imported_today == 4 && a->skipped_today == 3 && a->newest_item_at == 0 &&
	    strcmp(a->push_state, "") == 0;
	health_list_free(&l);
	CHECK(good);
	fx_close(&f);
}

static void test_a_daemon_clears_only_the_push_state_it_wrote(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	CHECK(db_sync_link_push_state(f.db, f.alice_link, "idle", 100, 0) == 0);
	CHECK(db_sync_link_push_state(f.db, f.alice_link, "idle", 200, 0) == 0);  /* another daemon */
	CHECK(db_sync_link_push_state(f.db, f.alice_link, NULL, 300, 100) == 0);
	CHECK_STR(fx_text(&f, "SELECT push_state FROM links WHERE id = ?", f.alice_link), "idle");
	CHECK(db_sync_link_push_state(f.db, f.alice_link, NULL, 300, 200) == 0);
	CHECK_INT(fx_int(&f, "SELECT push_state IS NULL FROM links WHERE id = ?", f.alice_link), 1);
	fx_close(&f);
}

static void test_relink_notice_is_claimed_once_per_breakage(void)
{
	struct fx f;
	struct relink_notice n;
	CHECK(fx_open(&f) == 0);
	CHECK_INT(db_sync_relink_claim(f.db, 1000, &n), 0);
	CHECK(db_sync_link_failed(f.db, f.alice_link, 1000, 2000, "refused", 1) == 0);
	CHECK_INT(db_sync_relink_claim(f.db, 1001, &n), 1);
	int good = n.link_id == f.alice_link && strcmp(n.to, "alice@crm.example") == 0 &&
	    strcmp(n.address, "alice@crm.example") == 0 && strcmp(n.provider, "imap") == 0;
	relink_notice_free(&n);
	CHECK(good);
	CHECK_INT(db_sync_relink_claim(f.db, 1002, &n), 0);
	/* re-linked but failing again: no second notice */
	exec(&f, "UPDATE links SET status = 'active'");
	CHECK(db_sync_link_failed(f.db, f.alice_link, 1003, 2000, "refused", 1) == 0);
	CHECK_INT(db_sync_relink_claim(f.db, 1004, &n), 0);
	/* a good pass, then broken again: one more */
	exec(&f, "UPDATE links SET status = 'active'");
	CHECK(db_sync_link_ok(f.db, f.alice_link, 1005, 0) == 0);
	CHECK(db_sync_link_failed(f.db, f.alice_link, 1006, 2000, "refused", 1) == 0);
	CHECK_INT(db_sync_relink_claim(f.db, 1007, &n), 1);
	relink_notice_free(&n);
	fx_close(&f);
}

T_MAIN(T(test_counts_add_up_per_minute_and_are_pruned),
    T(test_an_item_left_out_counts_once_and_dates_the_link),
    T(test_health_counts_the_last_hour_and_today),
    T(test_a_daemon_clears_only_the_push_state_it_wrote),
    T(test_relink_notice_is_claimed_once_per_breakage))

/* The outbox: enqueue coalescing, claim order and leases, back-off, provider ids written back,
 * failures kept visible with their reason, retry, re-link, and the push items built. */
#include <time.h>

#include <sqlite3.h>

#include "t.h"
#include "core/db_engine.h"   /* SQLite-specific checks reach the connection itself */
#include "sync_fixture.h"
#include "core/appointments.h"
#include "core/db_outbox.h"
#include "core/db_sync.h"
#include "providers/mime.h"
#include "sync/outbox.h"

static int64_t appt(struct fx *f, int64_t user, const char *title)
{
	int64_t contacts[] = { f->john }, id = 0;
	struct appt_new a = { .assigned_user_id = user, .type = "Site Visit", .start_at = 1900000000,
	    .duration_min = 45, .time_zone = "America/Chicago", .location = "1234 Washington Ave",
	    .title = title, .note = "gate code 42", .contact_ids = contacts, .n_contacts = 1 };
	return db_appointments_create_crm(f->db, &a, &id) == 0 ? id : -1;
}

static long long count(struct fx *f, const char *where)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE %s", where);
	struct db_stmt *st;
	long long v = -1;
	if (!(st = db_prepare(f->db, sql)))
		return -1;
	if (db_step(st) == DB_ROW)
		v = db_col_int64(st, 0);
	db_finalize(st);
	return v;
}

/* Claim at now, check the row, and finish with status (res may be NULL). */
static int64_t claim_finish(struct fx *f, int64_t now, int status, const struct push_result *res)
{
	struct outbox_job job;
	if (outbox_claim_due(f->db, now, &job) != 1)
		return 0;
	int64_t id = job.row.id;
	if (outbox_finish(f->db, &job, status, res, 0, now) != 0)
		id = -1;
	outbox_job_free(&job);
	return id;
}

static void test_edit_before_push_folds_into_the_create(void)
{
	struct fx f;
	int64_t a, b;
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit");
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, &a) == 0);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, &b) == 0);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, &b) == 0);
	CHECK_INT(a, b);
	CHECK_INT(count(&f, "true"), 1);
	CHECK_STR(fx_text(&f, "SELECT kind FROM outbox", 0), "event_create");
	CHECK_INT(fx_int(&f, "SELECT length(idempotency_key) FROM outbox", 0), 32);
	CHECK_INT(fx_int(&f, "SELECT wake FROM links WHERE id = ?", f.alice_link), 1);
	fx_close(&f);
}

static void test_delete_of_a_never_pushed_appointment_cancels_both(void)
{
	struct fx f;
	int64_t id = -1;
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit");
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_DELETE, &id) == 0);
	CHECK_INT(id, 0);
	CHECK_INT(count(&f, "true"), 0);
	fx_close(&f);
}

static void test_delete_after_an_attempted_create_still_goes_out(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit"), now = time(NULL);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK(claim_finish(&f, now, PROV_TEMP, NULL) > 0);   /* it may have reached the calendar */
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, NULL) == 0);
	CHECK_INT(count(&f, "kind = 'event_update'"), 1);    /* not folded into a tried create */
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_DELETE, NULL) == 0);
	CHECK_INT(count(&f, "kind = 'event_create'"), 1);
	CHECK_INT(count(&f, "kind = 'event_update'"), 0);
	CHECK_INT(count(&f, "kind = 'event_delete'"), 1);
	fx_close(&f);
}

static void test_claim_takes_the_oldest_and_one_item_per_user_at_a_time(void)
{
	struct fx f;
	struct outbox_job j1, j2, j3;
	int64_t a1, a2, b1;
	CHECK(fx_open(&f) == 0);
	int64_t now = time(NULL);
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "One"), PUSH_EVENT_CREATE, &a1) == 0);
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "Two"), PUSH_EVENT_CREATE, &a2) == 0);
	CHECK(db_outbox_event(f.db, f.bob, appt(&f, f.bob, "Three"), PUSH_EVENT_CREATE, &b1) == 0);
	CHECK_INT(outbox_claim_due(f.db, now, &j1), 1);
	CHECK_INT(j1.row.id, a1);
	CHECK_INT(j1.row.link_id, f.alice_link);
	CHECK_INT(j1.row.attempts, 1);
	CHECK_INT(outbox_claim_due(f.db, now, &j2), 1);    /* alice is busy: bob's goes */
	CHECK_INT(j2.row.id, b1);
	CHECK_INT(outbox_claim_due(f.db, now, &j3), 0);
	CHECK(outbox_finish(f.db, &j1, STEP_DONE, NULL, 0, now) == 0);
	CHECK_INT(outbox_claim_due(f.db, now, &j3), 1);
	CHECK_INT(j3.row.id, a2);
	/* A lease left by a daemon that died comes back after it runs out. */
	struct outbox_job j4;
	CHECK_INT(outbox_claim_due(f.db, now + OUTBOX_LEASE_S + 1, &j4), 1);
	CHECK(j4.row.id == b1 || j4.row.id == a2);
	CHECK_INT(j4.row.attempts, 2);
	outbox_job_free(&j1);
	outbox_job_free(&j2);
	outbox_job_free(&j3);
	outbox_job_free(&j4);
	fx_close(&f);
}

static void test_an_edit_waits_behind_its_failing_create(void)
{
	struct fx f;
	struct outbox_job j;
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit"), other = appt(&f, f.alice, "Other"), now = time(NULL);
	int64_t c, u, o;
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, &c) == 0);
	CHECK(claim_finish(&f, now, PROV_TEMP, NULL) == c);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, &u) == 0);
	CHECK(db_outbox_event(f.db, f.alice, other, PUSH_EVENT_CREATE, &o) == 0);
	CHECK(u != c);
	CHECK_INT(outbox_claim_due(f.db, now, &j), 1);     /* the update waits, the other goes */
	CHECK_INT(j.row.id, o);
	CHECK(outbox_finish(f.db, &j, STEP_DONE, NULL, 0, now) == 0);
	outbox_job_free(&j);
	CHECK_INT(outbox_claim_due(f.db, now, &j), 0);
	CHECK_INT(outbox_claim_due(f.db, now + 3600, &j), 1);
	CHECK_INT(j.row.id, c);
	outbox_job_free(&j);
	fx_close(&f);
}

static void test_temporary_failures_back_off_up_to_a_cap_and_never_drop(void)
{
	struct fx f;
	struct push_result res = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t now = time(NULL), id;
	const long want[] = { 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600 };
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "V"), PUSH_EVENT_CREATE, &id) == 0);
	snprintf(res.error, sizeof res.error, "HTTP 503 from the calendar");
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		CHECK_INT(claim_finish(&f, now, PROV_TEMP, &res), id);
		long long next = fx_int(&f, "SELECT next_attempt_at FROM outbox WHERE id = ?", id);
		CHECK_INT(next - now, want[i]);
		CHECK_STR(fx_text(&f, "SELECT state FROM outbox WHERE id = ?", id), "pending");
		CHECK_INT(claim_finish(&f, now + want[i] - 1, PROV_TEMP, &res), 0);   /* not yet due */
		now += want[i];
	}
	CHECK_STR(fx_text(&f, "SELECT last_error FROM outbox WHERE id = ?", id),
	    "HTTP 503 from the calendar");
	/* Rate limits wait at least what the provider asked. */
	struct outbox_job j;
	CHECK_INT(outbox_claim_due(f.db, now, &j), 1);
	CHECK(outbox_finish(f.db, &j, PROV_RATE, NULL, 7200, now) == 0);
	CHECK_INT(fx_int(&f, "SELECT next_attempt_at FROM outbox WHERE id = ?", id) - now, 7200);
	outbox_job_free(&j);
	fx_close(&f);
}

static void test_pushed_appointment_keeps_its_provider_id_so_the_next_pull_matches(void)
{
	struct fx f;
	struct push_result res = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit"), now = time(NULL);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, NULL) == 0);
	res.provider_id = strdup("/alice/cal/x.ics");
	res.etag = strdup("\"e1\"");
	CHECK(claim_finish(&f, now, STEP_DONE, &res) > 0);
	CHECK_STR(fx_text(&f, "SELECT provider_id || ' ' || etag || ' ' || link_id FROM"
	    " appointment_users WHERE appointment_id = ?", ap), "/alice/cal/x.ics \"e1\" 1");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE appointment_id = ?", ap), 1);
	struct outbox_state s;
	CHECK_INT(db_outbox_state_for_appointment(f.db, ap, &s), 0);
	CHECK_STR(s.state, "done");
	CHECK(s.last_error == NULL);
	outbox_state_free(&s);
	/* An edit pushes with what the pull will compare against. */
	struct outbox_job j;
	struct push_item it;
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, NULL) == 0);
	CHECK_INT(outbox_claim_due(f.db, now, &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_OK);
	CHECK_INT(it.kind, PUSH_EVENT_UPDATE);
	CHECK_STR(it.provider_id, "/alice/cal/x.ics");
	CHECK_STR(it.etag, "\"e1\"");
	outbox_job_free(&j);
	push_result_clear(&res);
	fx_close(&f);
}

static void test_failed_push_stays_visible_with_its_reason_and_can_be_retried(void)
{
	struct fx f;
	struct push_result res = { 0 };
	struct outbox_state s;
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit"), now = time(NULL), id;
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, &id) == 0);
	snprintf(res.error, sizeof res.error, "HTTP 400: calendar refused the event");
	CHECK_INT(claim_finish(&f, now, PROV_PERM, &res), id);
	CHECK_INT(db_outbox_state_for_appointment(f.db, ap, &s), 0);
	CHECK_STR(s.state, "failed");
	CHECK_STR(s.last_error, "HTTP 400: calendar refused the event");
	CHECK_INT(s.id, id);
	outbox_state_free(&s);
	CHECK_INT(claim_finish(&f, now + 86400, STEP_DONE, NULL), 0);   /* stays failed */
	db_exec(f.db, "UPDATE links SET wake = 0");
	CHECK_INT(db_outbox_retry(f.db, id), 0);
	CHECK_INT(fx_int(&f, "SELECT wake FROM links WHERE id = ?", f.alice_link), 1);
	CHECK_INT(claim_finish(&f, now, STEP_DONE, NULL), id);
	CHECK_INT(db_outbox_state_for_appointment(f.db, ap, &s), 0);
	CHECK_STR(s.state, "done");
	outbox_state_free(&s);
	CHECK_INT(db_outbox_retry(f.db, id), 1);                         /* done is done */
	CHECK_INT(db_outbox_state_for_appointment(f.db, 999, &s), 1);
	fx_close(&f);
}

static void test_provider_side_change_wins_and_says_so(void)
{
	struct fx f;
	struct push_result res = { .conflict = 1 };
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Visit"), now = time(NULL);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, NULL) == 0);
	CHECK(claim_finish(&f, now, STEP_DONE, &res) > 0);
	CHECK_STR(fx_text(&f, "SELECT state || ': ' || last_error FROM outbox", 0),
	    "done: changed at the provider; kept the provider's version");
	fx_close(&f);
}

static void test_refused_login_keeps_the_item_and_asks_for_relink(void)
{
	struct fx f;
	CHECK(fx_open(&f) == 0);
	int64_t now = time(NULL), id;
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "V"), PUSH_EVENT_CREATE, &id) == 0);
	CHECK_INT(claim_finish(&f, now, PROV_AUTH, NULL), id);
	CHECK_STR(fx_text(&f, "SELECT status FROM links WHERE id = ?", f.alice_link), "relink");
	CHECK_STR(fx_text(&f, "SELECT state FROM outbox WHERE id = ?", id), "pending");
	CHECK_INT(claim_finish(&f, now + 86400, STEP_DONE, NULL), 0);
	db_exec(f.db, "UPDATE links SET status = 'active'");
	CHECK_INT(claim_finish(&f, now, STEP_DONE, NULL), id);
	fx_close(&f);
}

static void test_push_item_carries_the_appointment_and_its_contacts(void)
{
	struct fx f;
	struct outbox_job j;
	struct push_item it;
	CHECK(fx_open(&f) == 0);
	int64_t ap = appt(&f, f.alice, "Irrigation check");
	CHECK(db_sync_cursor_set(f.db, f.alice_link, "events", "{\"cal\":\"http://x/alice/cal/\"}",
	    1) == 0);
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(outbox_claim_due(f.db, time(NULL), &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_OK);
	CHECK_STR(it.idempotency_key, j.row.idempotency_key);
	CHECK(it.event != NULL);
	CHECK(strncmp(it.event->uid, "crm-", 4) == 0);
	CHECK_STR(it.event->title, "Irrigation check");
	CHECK_STR(it.event->location, "1234 Washington Ave");
	CHECK_STR(it.event->tzid, "America/Chicago");
	CHECK_INT(it.event->start, 1900000000);
	CHECK_INT(it.event->duration_min, 45);
	CHECK_STR(it.event->organizer.email, "alice@crm.example");
	CHECK_INT(it.event->n_attendees, 1);
	CHECK_STR(it.event->attendees[0].who.email, "john.smith@example.net");
	CHECK(it.event->description == NULL || strstr(it.event->description, "gate") == NULL);
	CHECK_STR(it.cursor, "{\"cal\":\"http://x/alice/cal/\"}");
	CHECK(it.provider_id == NULL && it.progress == NULL);
	CHECK(outbox_finish(f.db, &j, STEP_DONE, NULL, 0, time(NULL)) == 0);
	outbox_job_free(&j);
	/* The appointment row is gone: the item fails with a reason instead of crashing. */
	CHECK(db_outbox_event(f.db, f.alice, ap, PUSH_EVENT_UPDATE, NULL) == 0);
	db_exec(f.db, "DELETE FROM appointments");
	CHECK_INT(outbox_claim_due(f.db, time(NULL), &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_PERM);
	CHECK(outbox_finish(f.db, &j, PROV_PERM, NULL, 0, time(NULL)) == 0);
	CHECK_STR(fx_text(&f, "SELECT last_error FROM outbox WHERE state = 'failed'", 0),
	    "the appointment no longer exists");
	outbox_job_free(&j);
	fx_close(&f);
}

static void test_mail_send_remembers_progress_across_retries(void)
{
	struct fx f;
	struct outbox_job j;
	struct push_item it;
	size_t len;
	struct addr to = { .email = (char *)"john.smith@example.net" };
	struct mime_out m = { .from_email = "alice@crm.example", .to = &to, .n_to = 1,
	    .subject = "Your quote", .message_id = "q1@crm.example", .body = "Hello John" };
	CHECK(fx_open(&f) == 0);
	char *raw = mime_build(&m, &len);
	CHECK(raw != NULL);
	int64_t id;
	CHECK(db_outbox_mail(f.db, f.alice, 0, raw, len, &id) == 0);
	free(raw);
	int64_t now = time(NULL);
	CHECK_INT(outbox_claim_due(f.db, now, &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_OK);
	CHECK_INT(it.kind, PUSH_MAIL_SEND);
	CHECK(it.raw_len == len && it.mail && it.progress == NULL);
	CHECK_STR(it.mail->message_id, "q1@crm.example");
	CHECK_INT(it.save_progress(it.progress_ctx, "sent"), 0);
	CHECK(outbox_finish(f.db, &j, PROV_TEMP, NULL, 0, now) == 0);   /* crash before Sent */
	outbox_job_free(&j);
	CHECK_INT(outbox_claim_due(f.db, now + 60, &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_OK);
	CHECK_STR(it.progress, "sent");
	CHECK(it.raw_len == len);
	outbox_job_free(&j);
	fx_close(&f);
}

static void test_folder_work_is_queued_for_the_folder_driver(void)
{
	struct fx f;
	struct outbox_job j;
	struct push_item it;
	CHECK(fx_open(&f) == 0);
	CHECK(db_outbox_folder(f.db, f.alice, PUSH_FOLDER_SETUP, NULL, NULL) == 0);
	CHECK(db_outbox_folder(f.db, f.alice, PUSH_FOLDER_MOVE, NULL, NULL) == -1);
	CHECK(db_outbox_folder(f.db, f.bob, PUSH_FOLDER_MOVE, "CRM/7/3", NULL) == 0);
	CHECK_INT(outbox_claim_due(f.db, time(NULL), &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_OK);
	CHECK_INT(it.kind, PUSH_FOLDER_SETUP);
	CHECK_INT(outbox_stream_of(it.kind), STREAM_FOLDER);
	outbox_job_free(&j);
	CHECK_INT(outbox_claim_due(f.db, time(NULL), &j), 1);
	CHECK_INT(outbox_job_item(f.db, &j, &it), PROV_OK);
	CHECK_STR(it.provider_id, "CRM/7/3");
	outbox_job_free(&j);
	fx_close(&f);
}

static void test_user_without_a_link_keeps_the_item_waiting(void)
{
	struct fx f;
	struct outbox_job j;
	CHECK(fx_open(&f) == 0);
	db_exec(f.db, "UPDATE links SET status = 'unlinked'");
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "V"), PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(outbox_claim_due(f.db, time(NULL), &j), 0);
	CHECK_INT(count(&f, "state = 'pending'"), 1);
	fx_close(&f);
}

/* A push answered with Retry-After holds the link's other items and its passes too. */
static void test_retry_after_holds_every_push_of_the_link(void)
{
	struct fx f;
	struct outbox_job j;
	int64_t now = time(NULL), a, b;
	CHECK(fx_open(&f) == 0);
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "A"), PUSH_EVENT_CREATE, &a) == 0);
	CHECK(db_outbox_event(f.db, f.alice, appt(&f, f.alice, "B"), PUSH_EVENT_CREATE, &b) == 0);
	CHECK_INT(outbox_claim_due(f.db, now, &j), 1);
	CHECK_INT(j.row.id, a);
	CHECK(outbox_finish(f.db, &j, PROV_RATE, NULL, 120, now) == 0);
	outbox_job_free(&j);
	/* held for the whole Retry-After: one more second than the whole-second clock shows */
	CHECK_INT(fx_int(&f, "SELECT rate_limited_until FROM links WHERE id = ?", f.alice_link),
	    now + 121);
	CHECK_INT(outbox_claim_due(f.db, now + 120, &j), 0);   /* b is due but the link waits */
	CHECK_INT(outbox_claim_due(f.db, now + 121, &j), 1);
	CHECK_INT(j.row.id, a);
	outbox_job_free(&j);
	fx_close(&f);
}

/* VM steps of the outbox claim's candidate query in one claim at now. */
static long claim_steps(struct fx *f, int64_t now)
{
	struct outbox_job j;
	sqlite3_stmt *st = NULL;
	if (outbox_claim_due(f->db, now, &j) < 0)
		return -1;
	outbox_job_free(&j);
	while ((st = sqlite3_next_stmt((sqlite3 *)f->db->conn, st)))
		if (strstr(sqlite3_sql(st), "o.idempotency_key, o.attempts"))
			return sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	return -1;
}

/* Items of a user without a link wait for the link and cost the claim nothing meanwhile. */
static void test_items_of_users_without_a_link_are_not_scanned(void)
{
	struct fx f;
	int64_t carol, id;
	T_SQLITE_ONLY("counts SQLite's VM steps of the claim");
	CHECK(fx_open(&f) == 0);
	CHECK(db_users_add(f.db, "Carol", "carol@crm.example", "pw-carol-1", "user", "UTC",
	    &carol) == 0);
	int64_t now = time(NULL);
	for (int i = 0; i < 10; i++)
		CHECK(db_outbox_event(f.db, carol, appt(&f, carol, "V"), PUSH_EVENT_CREATE, NULL) == 0);
	long few = claim_steps(&f, now);
	for (int i = 0; i < 490; i++)
		CHECK(db_outbox_event(f.db, carol, appt(&f, carol, "V"), PUSH_EVENT_CREATE, NULL) == 0);
	long many = claim_steps(&f, now);
	CHECK(few > 0 && many > 0);
	CHECK(many < few + 50);       /* not one visit per waiting item */
	CHECK_INT(count(&f, "state = 'pending' AND lease_until = 0"), 500);
	CHECK(db_links_add(f.db, carol, "imap", "carol@crm.example", "{}", NULL, 0, &id) == 0);
	struct outbox_job j;
	CHECK_INT(outbox_claim_due(f.db, now, &j), 1);   /* linked: her items go */
	CHECK_INT(j.row.user_id, carol);
	CHECK_INT(j.row.link_id, id);
	outbox_job_free(&j);
	fx_close(&f);
}

T_MAIN(T(test_edit_before_push_folds_into_the_create),
    T(test_delete_of_a_never_pushed_appointment_cancels_both),
    T(test_delete_after_an_attempted_create_still_goes_out),
    T(test_claim_takes_the_oldest_and_one_item_per_user_at_a_time),
    T(test_an_edit_waits_behind_its_failing_create),
    T(test_temporary_failures_back_off_up_to_a_cap_and_never_drop),
    T(test_pushed_appointment_keeps_its_provider_id_so_the_next_pull_matches),
    T(test_failed_push_stays_visible_with_its_reason_and_can_be_retried),
    T(test_provider_side_change_wins_and_says_so),
    T(test_refused_login_keeps_the_item_and_asks_for_relink),
    T(test_push_item_carries_the_appointment_and_its_contacts),
    T(test_mail_send_remembers_progress_across_retries),
    T(test_folder_work_is_queued_for_the_folder_driver),
    T(test_user_without_a_link_keeps_the_item_waiting),
    T(test_retry_after_holds_every_push_of_the_link),
    T(test_items_of_users_without_a_link_are_not_scanned))

/* Pushes out through the outbox against real servers: CRM appointments into a CalDAV calendar,
 * mail through SMTP into Dovecot's Sent, CRM folder work. Run by tests/integration/test_push_open
 * (which starts Radicale or Xandikos, Dovecot and tests/fakes/smtp_sink.py); each job is driven
 * like the engine does: claim -> item -> push_begin -> step (HTTP by libcurl easy) -> finish.
 * Env: PUSH_TEST_CALENDAR, PUSH_TEST_DAV_USER, PUSH_TEST_DAV_PASS (CalDAV cases);
 * PUSH_TEST_IMAP_PORT, PUSH_TEST_SMTP_PORT, PUSH_TEST_SMTP_DIR (mail and folder cases; user
 * alice / secret). Cases whose servers are not named print "# skip". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "t.h"
#include "step_sink.h"
#include "live_allow.h"
#include "sync_fixture.h"
#include "core/appointments.h"
#include "core/db_outbox.h"
#include "core/db_sync.h"
#include "providers/caldav.h"
#include "providers/imap.h"
#include "providers/mime.h"
#include "providers/smtp.h"
#include "sync/outbox.h"

static struct fx F;
static struct prov_link PL;
static char *settings, *secret;
static const char *cal_url;
static int64_t clock_s;         /* the outbox's "now": moved on to make retries due */
static char cursor[1024];       /* the events cursor naming the calendar */



#include "live_http.h"

/* method url [body] as the calendar's owner; the answer's body in *b; returns the status. */
static long dav(const char *method, const char *url, const char *body, const char *h1,
    const char *h2, struct buf *b)
{
	char *hdrs[3] = { (char *)h1, (char *)h2, NULL };
	char up[256];
	snprintf(up, sizeof up, "%s:%s", getenv("PUSH_TEST_DAV_USER"), getenv("PUSH_TEST_DAV_PASS"));
	struct http_req req = { .method = method, .url = (char *)url, .headers = hdrs,
	    .body = (char *)body, .body_len = body ? strlen(body) : 0, .userpwd = up };
	struct http_resp resp;
	static struct hdrs h;   /* resp.etag points into it */
	perform(&req, &resp, b, &h);
	return resp.status;
}

/* ---- One outbox job, driven like the engine does ----------------------------------------- */

static int no_commit(void *ctx, enum stream s, struct msg_list *m, struct event_list *e,
    const char *c)
{
	(void)ctx; (void)s; (void)m; (void)e; (void)c;
	return -1;
}

/* Run the next due job. lose_put: the first PUT reaches the server but its answer is lost.
 * Returns the step result (STEP_DONE or a prov_status), or 100 when nothing was due. */
static int run_job(int lose_put)
{
	struct outbox_job job;
	struct push_item it;
	struct push_result res = { 0 };
	struct pass *pass = NULL;
	struct test_sink sink = { NULL, no_commit, NULL, &it, 0, NULL, NULL };
	struct buf b = { 0 };
	struct http_resp resp, *rp = NULL;
	long retry_after = 0;
	static struct hdrs hd;   /* resp.etag points into it */

	if (outbox_claim_due(F.db, clock_s, &job) != 1)
		return 100;
	const struct provider *drv = outbox_stream_of(job.row.kind) == STREAM_EVENTS ?
	    &caldav_provider : &imap_provider;
	int rc = outbox_job_item(F.db, &job, &it);
	if (rc == PROV_OK)
		rc = drv->push_begin(&PL, &it, &res, &pass);
	for (int steps = 0; rc == PROV_OK && steps < 20; steps++) {
		struct http_req req = { 0 };
		rc = test_step(drv->push_step, pass, rp, &req, &sink, &retry_after);
		if (rc == STEP_MORE) {
			perform(&req, &resp, &b, &hd);
			if (lose_put && strcmp(req.method, "PUT") == 0) {
				lose_put = 0;
				memset(&resp, 0, sizeof resp);
				resp.error = "connection reset before the answer";
			}
			rp = &resp;
			rc = PROV_OK;
		}
		http_req_clear(&req);
	}
	outbox_finish(F.db, &job, rc, &res, retry_after, clock_s);
	if (pass)
		drv->end(pass);
	push_result_clear(&res);
	outbox_job_free(&job);
	free(b.p);
	return rc;
}

static int64_t new_appt(const char *title)
{
	int64_t contacts[] = { F.john }, id = 0;
	struct appt_new a = { .assigned_user_id = F.alice, .type = "Site Visit",
	    .start_at = 1900000000, .duration_min = 30, .time_zone = "America/Chicago",
	    .location = "1234 Washington Ave", .title = title, .contact_ids = contacts,
	    .n_contacts = 1 };
	return db_appointments_create_crm(F.db, &a, &id) == 0 ? id : -1;
}

static const char *col(const char *sql, int64_t arg)
{
	return fx_text(&F, sql, arg);
}

/* The event's resource: its status, body in *b. */
static long get_event(int64_t appt, struct buf *b)
{
	char url[1024];
	const char *uid = col("SELECT ical_uid FROM appointments WHERE id = ?", appt);
	char *u = caldav_event_url(&PL, cursor, uid);
	snprintf(url, sizeof url, "%s", u ? u : "");
	free(u);
	return dav("GET", url, NULL, NULL, NULL, b);
}

/* How many resources of the calendar mention this appointment's UID. */
static int resources_of(int64_t appt)
{
	struct buf b = { 0 };
	const char *uid = col("SELECT ical_uid FROM appointments WHERE id = ?", appt);
	char needle[256];
	snprintf(needle, sizeof needle, "%s", uid);
	char *pct = strchr(needle, '@');
	if (pct)
		*pct = 0;   /* hrefs may escape the '@' */
	dav("PROPFIND", cal_url, "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><prop><getetag/>"
	    "</prop></propfind>", "Depth: 1", "Content-Type: application/xml", &b);
	int n = 0;
	for (const char *s = b.p; s && (s = strstr(s, needle)); s += strlen(needle))
		n++;
	free(b.p);
	return n;
}

#define NEED(var) do { if (!getenv(var)) { printf("# skip %s: no %s\n", __func__, var); \
	return; } } while (0)

/* ---- Appointments out ------------------------------------------------------------------- */

static void test_crm_appointment_appears_in_the_calendar_with_contacts_invited(void)
{
	struct buf b = { 0 };
	NEED("PUSH_TEST_CALENDAR");
	int64_t a = new_appt("Irrigation check");
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_STR(col("SELECT state FROM outbox WHERE appointment_id = ?", a), "done");
	CHECK_INT(get_event(a, &b), 200);
	CHECK(strstr(b.p, "SUMMARY:Irrigation check") != NULL);
	CHECK(strcasestr(b.p, "john.smith@example.net") != NULL);
	const char *pid = col("SELECT provider_id FROM appointment_users WHERE appointment_id = ?", a);
	CHECK(pid && strstr(pid, ".ics") && pid[0] == '/');
	CHECK(col("SELECT etag FROM appointment_users WHERE appointment_id = ?", a) != NULL);
	free(b.p);
}

static void test_crm_edit_updates_the_same_event(void)
{
	struct buf b = { 0 };
	char sql[200];
	NEED("PUSH_TEST_CALENDAR");
	int64_t a = new_appt("Quote walk-through");
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	char *etag1 = strdup(col("SELECT etag FROM appointment_users WHERE appointment_id = ?", a));
	snprintf(sql, sizeof sql, "UPDATE appointments SET title = 'Quote walk-through (moved)',"
	    " start_at = start_at + 3600, updated_at = updated_at + 60 WHERE id = %lld", (long long)a);
	CHECK(db_exec(F.db, sql) == DB_OK);
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_UPDATE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_STR(col("SELECT state || coalesce(last_error, '') FROM outbox WHERE appointment_id = ?"
	    " ORDER BY id DESC", a), "done");
	CHECK_INT(get_event(a, &b), 200);
	CHECK(strstr(b.p, "SUMMARY:Quote walk-through (moved)") != NULL);
	CHECK(strstr(b.p, "SEQUENCE:60") != NULL);
	const char *etag2 = col("SELECT etag FROM appointment_users WHERE appointment_id = ?", a);
	CHECK(etag2 && strcmp(etag1, etag2) != 0);
	CHECK_INT(resources_of(a), 1);
	free(etag1);
	free(b.p);
}

static void test_retry_after_a_lost_answer_makes_exactly_one_event(void)
{
	NEED("PUSH_TEST_CALENDAR");
	int64_t a = new_appt("Backflow test");
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(run_job(1), PROV_TEMP);             /* the PUT landed, its answer did not */
	CHECK_STR(col("SELECT state FROM outbox WHERE appointment_id = ?", a), "pending");
	CHECK_INT(run_job(0), 100);                   /* backing off */
	clock_s += OUTBOX_BACKOFF_BASE_S;
	CHECK_INT(run_job(0), STEP_DONE);             /* same key, same UID.ics: 412, then done */
	CHECK_STR(col("SELECT state FROM outbox WHERE appointment_id = ?", a), "done");
	CHECK_INT(resources_of(a), 1);
	CHECK(col("SELECT etag FROM appointment_users WHERE appointment_id = ?", a) != NULL);
}

static void test_change_made_at_the_provider_wins_over_a_stale_crm_edit(void)
{
	struct buf b = { 0 };
	NEED("PUSH_TEST_CALENDAR");
	int64_t a = new_appt("Mulch delivery");
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_INT(get_event(a, &b), 200);
	/* The user edits the event in their calendar app. */
	char *changed = strdup(b.p), *at = strstr(changed, "SUMMARY:Mulch delivery");
	CHECK(at != NULL);
	memcpy(at, "SUMMARY:Mulch Delivery", 22);
	char url[1024];
	char *u = caldav_event_url(&PL, cursor, col("SELECT ical_uid FROM appointments WHERE id = ?", a));
	snprintf(url, sizeof url, "%s", u);
	free(u);
	long st = dav("PUT", url, changed, "Content-Type: text/calendar", NULL, &b);
	CHECK(st >= 200 && st < 300);
	free(changed);
	/* Meanwhile the CRM edits it with the etag it knew. */
	CHECK(db_exec(F.db, "UPDATE appointments SET title = 'Mulch (CRM edit)',"
	    " updated_at = updated_at + 1 WHERE title = 'Mulch delivery'") == 0);
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_UPDATE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_STR(col("SELECT state || ': ' || last_error FROM outbox WHERE appointment_id = ?"
	    " ORDER BY id DESC", a), "done: changed at the provider; kept the provider's version");
	CHECK_INT(get_event(a, &b), 200);
	CHECK(strstr(b.p, "SUMMARY:Mulch Delivery") != NULL);
	free(b.p);
}

static void test_crm_delete_removes_the_event_and_a_repeat_is_harmless(void)
{
	struct buf b = { 0 };
	NEED("PUSH_TEST_CALENDAR");
	int64_t a = new_appt("Cancelled visit");
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_CREATE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_INT(get_event(a, &b), 200);
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_DELETE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_INT(get_event(a, &b), 404);
	CHECK(db_outbox_event(F.db, F.alice, a, PUSH_EVENT_DELETE, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_STR(col("SELECT state || ': ' || last_error FROM outbox WHERE appointment_id = ?"
	    " ORDER BY id DESC", a), "done: already deleted at the provider");
	CHECK_INT(resources_of(a), 0);
	free(b.p);
}

/* ---- Mail out ---------------------------------------------------------------------------- */

static int sink_count(void)
{
	DIR *d = opendir(getenv("PUSH_TEST_SMTP_DIR"));
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strncmp(e->d_name, "msg-", 4) == 0;
	if (d)
		closedir(d);
	return n;
}

/* How many messages in Sent carry this Message-ID. */
static int in_sent(const char *mid)
{
	struct imap_login lg = { .host = "127.0.0.1", .port = atoi(getenv("PUSH_TEST_IMAP_PORT")),
	    .user = "alice", .password = "secret", .timeout_s = 10 };
	struct imap_conn *c = NULL;
	struct msg_list l = { 0 };
	char err[256], *sent = NULL;
	int more = 0, n = -1;
	if (imap_open(&lg, &c, err, sizeof err) != PROV_OK || imap_find_sent(c, &sent) != PROV_OK ||
	    !sent || imap_fetch_all(c, sent, FOLDER_SENT, 200, &l, &more) != PROV_OK)
		goto out;
	n = 0;
	for (size_t i = 0; i < l.n; i++)
		n += strcmp(l.v[i].message_id, mid) == 0;
out:
	msg_list_free(&l);
	free(sent);
	imap_close(c);
	return n;
}

static int64_t queue_mail(const char *mid, const char *subject)
{
	struct addr to = { .name = (char *)"John Smith", .email = (char *)"john.smith@example.net" };
	struct addr cc = { .email = (char *)"ana@example.net" };
	struct mime_out m = { .from_name = "Alice", .from_email = "alice@crm.example", .to = &to,
	    .n_to = 1, .cc = &cc, .n_cc = 1, .subject = subject, .message_id = mid,
	    .body = "Hello John,\n.\nthe quote is attached in spirit.\n" };
	size_t len;
	int64_t id = -1;
	char *raw = mime_build(&m, &len);
	if (!raw || db_outbox_mail(F.db, F.alice, 0, raw, len, &id) != 0)
		id = -1;
	free(raw);
	return id;
}

static void test_mail_goes_out_through_smtp_and_shows_in_sent_once(void)
{
	NEED("PUSH_TEST_IMAP_PORT");
	int before = sink_count();
	int64_t id = queue_mail("quote-1@crm.example", "Your quote");
	CHECK(id > 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_STR(col("SELECT state FROM outbox WHERE id = ?", id), "done");
	CHECK_INT(sink_count(), before + 1);
	CHECK_INT(in_sent("quote-1@crm.example"), 1);
}

static void test_failed_send_is_retried_and_goes_out_once(void)
{
	NEED("PUSH_TEST_IMAP_PORT");
	char path[512];
	snprintf(path, sizeof path, "%s/fail-next", getenv("PUSH_TEST_SMTP_DIR"));
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("1", f);
	fclose(f);
	int before = sink_count();
	int64_t id = queue_mail("quote-2@crm.example", "Your quote, again");
	CHECK_INT(run_job(0), PROV_TEMP);
	CHECK_STR(col("SELECT state FROM outbox WHERE id = ?", id), "pending");
	const char *why = col("SELECT last_error FROM outbox WHERE id = ?", id);
	CHECK(why && strstr(why, "451"));
	CHECK_INT(in_sent("quote-2@crm.example"), 0);
	clock_s += OUTBOX_BACKOFF_BASE_S;
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_INT(sink_count(), before + 1);
	CHECK_INT(in_sent("quote-2@crm.example"), 1);
}

/* The daemon dies after SMTP took the message (progress "sent" recorded) but before the copy to
 * Sent: when the lease runs out the retry only appends. */
static void test_crash_between_send_and_sent_copy_sends_once(void)
{
	NEED("PUSH_TEST_IMAP_PORT");
	struct outbox_job job;
	struct push_item it;
	struct smtp_conf conf;
	void *json[2];
	char err[256];
	const char *rcpts[8];
	int before = sink_count();
	int64_t id = queue_mail("quote-3@crm.example", "Quote, crash test");
	CHECK_INT(outbox_claim_due(F.db, clock_s, &job), 1);
	CHECK_INT(outbox_job_item(F.db, &job, &it), PROV_OK);
	CHECK_INT(smtp_conf_of_link(&PL, &conf, json, err, sizeof err), PROV_OK);
	size_t n = smtp_envelope(it.mail, rcpts, 8);
	CHECK_INT(n, 2);
	CHECK_INT(smtp_send(&conf, PL.address, rcpts, n, it.raw, it.raw_len, err, sizeof err), PROV_OK);
	json_decref(json[0]);
	json_decref(json[1]);
	CHECK_INT(it.save_progress(it.progress_ctx, "sent"), 0);
	outbox_job_free(&job);                        /* crash: no finish */
	CHECK_INT(run_job(0), 100);                   /* leased */
	clock_s += OUTBOX_LEASE_S + 1;
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_STR(col("SELECT state FROM outbox WHERE id = ?", id), "done");
	CHECK_INT(sink_count(), before + 1);
	CHECK_INT(in_sent("quote-3@crm.example"), 1);
	/* And a re-run of a finished step changes nothing. */
	CHECK_INT(db_outbox_retry(F.db, id), 1);
}

/* ---- CRM folder -------------------------------------------------------------------------- */

static void test_crm_folders_are_made_and_a_message_moves_to_processed(void)
{
	NEED("PUSH_TEST_IMAP_PORT");
	struct imap_login lg = { .host = "127.0.0.1", .port = atoi(getenv("PUSH_TEST_IMAP_PORT")),
	    .user = "alice", .password = "secret", .timeout_s = 10 };
	struct imap_conn *c = NULL;
	struct msg_list l = { 0 };
	char err[256];
	int more;
	CHECK(db_outbox_folder(F.db, F.alice, PUSH_FOLDER_SETUP, NULL, NULL) == 0);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_INT(imap_open(&lg, &c, err, sizeof err), PROV_OK);
	const char *raw = "From: John Smith <john.smith@example.net>\r\nTo: alice@crm.example\r\n"
	    "Subject: Gate code\r\nMessage-ID: <gate-1@example.net>\r\n"
	    "Date: Mon, 31 Jul 2023 11:30:00 -0500\r\n\r\nIt is 42.\r\n";
	CHECK_INT(imap_append(c, "CRM", raw, strlen(raw), 0), PROV_OK);
	CHECK_INT(imap_fetch_all(c, "CRM", FOLDER_CRM, 50, &l, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK(db_outbox_folder(F.db, F.alice, PUSH_FOLDER_MOVE, l.v[0].provider_id, NULL) == 0);
	msg_list_free(&l);
	CHECK_INT(run_job(0), STEP_DONE);
	CHECK_INT(imap_fetch_all(c, "CRM", FOLDER_CRM, 50, &l, &more), PROV_OK);
	CHECK_INT(l.n, 0);
	CHECK_INT(imap_fetch_all(c, "Processed", FOLDER_CRM, 50, &l, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0].message_id, "gate-1@example.net");
	msg_list_free(&l);
	imap_close(c);
}

static int setup(void)
{
	if (fx_open(&F) != 0)
		return -1;
	clock_s = time(NULL);
	cal_url = getenv("PUSH_TEST_CALENDAR");
	json_t *set = json_pack("{s:s, s:s?, s:s, s:s?, s:s, s:s?}", "imap_host", "127.0.0.1",
	    "imap_port", getenv("PUSH_TEST_IMAP_PORT"), "smtp_host", "127.0.0.1",
	    "smtp_port", getenv("PUSH_TEST_SMTP_PORT"), "smtp_tls", "starttls",
	    "username", getenv("PUSH_TEST_DAV_USER") ? getenv("PUSH_TEST_DAV_USER") : "alice");
	json_object_set_new(set, "imap_tls", json_false());
	json_t *sec = json_pack("{s:s}", "password", getenv("PUSH_TEST_DAV_PASS") ?
	    getenv("PUSH_TEST_DAV_PASS") : "secret");
	settings = json_dumps(set, JSON_COMPACT);
	secret = json_dumps(sec, JSON_COMPACT);
	json_decref(set);
	json_decref(sec);
	PL = (struct prov_link){ .id = F.alice_link, .address = "alice@crm.example",
	    .settings = settings, .secret = secret };
	/* The calendar URL comes to the push through the events cursor, as after a first sync. */
	if (cal_url) {
		json_t *cur = json_pack("{s:s, s:s}", "cal", cal_url, "token", "t0");
		char *s = json_dumps(cur, JSON_COMPACT);
		snprintf(cursor, sizeof cursor, "%s", s);
		db_sync_cursor_set(F.db, F.alice_link, "events", s, clock_s);
		free(s);
		json_decref(cur);
	}
	return 0;
}

int main(void)
{
	if (live_allow(getenv("PUSH_TEST_CALENDAR") ? getenv("PUSH_TEST_CALENDAR") : "",
	    getenv("PUSH_TEST_IMAP_PORT") ? getenv("PUSH_TEST_IMAP_PORT") : "",
	    getenv("PUSH_TEST_SMTP_PORT") ? getenv("PUSH_TEST_SMTP_PORT") : "", NULL) != 0)
		return 1;
	static const struct t_case cases[] = {
		T(test_crm_appointment_appears_in_the_calendar_with_contacts_invited),
		T(test_crm_edit_updates_the_same_event),
		T(test_retry_after_a_lost_answer_makes_exactly_one_event),
		T(test_change_made_at_the_provider_wins_over_a_stale_crm_edit),
		T(test_crm_delete_removes_the_event_and_a_repeat_is_harmless),
		T(test_mail_goes_out_through_smtp_and_shows_in_sent_once),
		T(test_failed_send_is_retried_and_goes_out_once),
		T(test_crash_between_send_and_sent_copy_sends_once),
		T(test_crm_folders_are_made_and_a_message_moves_to_processed),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (setup() != 0) {
		puts("not ok - setup");
		return 1;
	}
	int rc = t_run(cases, sizeof cases / sizeof cases[0]);
	fx_close(&F);
	free(settings);
	free(secret);
	curl_global_cleanup();
	return rc;
}

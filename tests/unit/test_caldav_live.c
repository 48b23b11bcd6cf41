/* Live CalDAV driver: runs caldav_provider's step machine with libcurl easy handles against the
 * server in CALDAV_TEST_URL (started by tests/integration/test_caldav) and prints one JSON line.
 * Without CALDAV_TEST_URL it prints "ok - skipped" (the unit-test runner calls it bare).
 *   sync                          one pass; cursor read from and written to CALDAV_TEST_CURSOR
 *   put UID START DUR TZID TITLE [ETAG] [ATTENDEE]   push one event (TZID "-" for UTC)
 *   delete PROVIDER_ID [ETAG]     delete one event
 * Env: CALDAV_TEST_USER, CALDAV_TEST_PASS, CALDAV_TEST_SINCE (epoch), CALDAV_TEST_CALENDAR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "live_allow.h"
#include "providers/caldav.h"

#include "live_http.h"
#include "step_sink.h"

struct collect {
	json_t *events;
	int commits;
	const char *cursor_file;
	char *cal_cursor;   /* the page's calendar cursor, written instead of the link's */
};

/* The file keeps the one calendar's own cursor (the driver takes it over from the link's
 * cursor as it does a cursor from before links had several calendars). */
static void sink_cals(void *ctx, const struct link_cal_list *cals)
{
	struct collect *col = ctx;
	for (size_t i = 0; i < cals->n; i++)
		if (cals->v[i].op == CAL_CURSOR && cals->v[i].cursor) {
			free(col->cal_cursor);
			col->cal_cursor = strdup(cals->v[i].cursor);
		}
}

static int sink_commit(void *ctx, enum stream s, struct msg_list *msgs, struct event_list *ev,
    const char *cursor)
{
	struct collect *col = ctx;
	(void)s;
	(void)msgs;
	for (size_t i = 0; i < ev->n; i++) {
		struct sync_event *e = &ev->v[i];
		json_t *atts = json_array();
		for (size_t k = 0; k < e->n_attendees; k++)
			json_array_append_new(atts, json_string(e->attendees[k].who.email));
		json_array_append_new(col->events, json_pack("{s:s?, s:s?, s:s?, s:s?, s:I, s:i, s:i, s:i, s:i, s:s?, s:s?, s:o}",
		    "provider_id", e->provider_id, "uid", e->uid, "recurrence_id", e->recurrence_id,
		    "etag", e->etag, "start", (json_int_t)e->start, "duration", e->duration_min,
		    "all_day", e->all_day, "deleted", e->deleted, "cancelled", e->cancelled,
		    "tzid", e->tzid, "title", e->title, "attendees", atts));
	}
	event_list_free(ev);
	col->commits++;
	const char *keep = col->cal_cursor ? col->cal_cursor : cursor;
	if (!keep)
		return 0;
	FILE *f = fopen(col->cursor_file, "w");
	if (!f)
		return -1;
	fputs(keep, f);
	fclose(f);
	free(col->cal_cursor);
	col->cal_cursor = NULL;
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *s = calloc(1, 1 << 20);
	size_t n = fread(s, 1, (1 << 20) - 1, f);
	fclose(f);
	if (!n) {
		free(s);
		return NULL;
	}
	return s;
}

static int run_sync(const struct prov_link *l)
{
	struct collect col = { json_array(), 0, getenv("CALDAV_TEST_CURSOR"), NULL };
	struct test_sink sink = { .ctx = &col, .commit = sink_commit, .cals = sink_cals };
	char *cursor = col.cursor_file ? read_file(col.cursor_file) : NULL;
	struct pass *p = NULL;
	struct http_req req = { 0 };
	struct http_resp resp;
	struct buf b = { 0 };
	struct hdrs h;
	long retry = 0;
	int steps = 0, rc;

	if (!col.cursor_file)
		return 2;
	rc = caldav_provider.begin(l, STREAM_EVENTS, cursor, &p);
	if (rc == PROV_OK) {
		rc = test_step(caldav_provider.step, p, NULL, &req, &sink, &retry);
		while (rc == STEP_MORE && steps++ < 200) {
			perform(&req, &resp, &b, &h);
			http_req_clear(&req);
			rc = test_step(caldav_provider.step, p, &resp, &req, &sink, &retry);
		}
		http_req_clear(&req);
		caldav_provider.end(p);
	}
	json_t *out = json_pack("{s:i, s:i, s:I, s:o}", "status", rc, "commits", col.commits,
	    "retry_after", (json_int_t)retry, "events", col.events);
	char *s = json_dumps(out, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(out);
	free(cursor);
	free(b.p);
	return 0;
}

static int run_push(const struct prov_link *l, int argc, char **argv)
{
	struct http_req req = { 0 };
	struct http_resp resp;
	struct buf b = { 0 };
	struct hdrs h;
	long retry = 0;
	int is_delete = strcmp(argv[1], "delete") == 0, rc;
	char *cursor = getenv("CALDAV_TEST_CURSOR") ? read_file(getenv("CALDAV_TEST_CURSOR")) : NULL;

	if (is_delete) {
		rc = caldav_delete_req(l, cursor, argv[2], argc > 3 && *argv[3] ? argv[3] : NULL, &req);
	} else {
		if (argc < 7)
			return 2;
		struct attendee att = { { NULL, argc > 8 ? argv[8] : NULL }, NULL };
		struct sync_event e = { 0 };
		e.uid = argv[2];
		e.start = atoll(argv[3]);
		e.duration_min = atoi(argv[4]);
		e.tzid = strcmp(argv[5], "-") ? argv[5] : NULL;
		e.title = argv[6];
		e.organizer.email = "office@crm.example";
		e.attendees = att.who.email ? &att : NULL;
		e.n_attendees = att.who.email ? 1 : 0;
		rc = caldav_put_req(l, cursor, &e, 1, argc > 7 && *argv[7] ? argv[7] : NULL, &req);
	}
	long http = 0;
	const char *etag = NULL;
	if (rc == PROV_OK) {
		perform(&req, &resp, &b, &h);
		http = resp.status;
		etag = resp.etag;
		rc = caldav_push_result(&resp, is_delete, &retry);
	}
	json_t *out = json_pack("{s:i, s:I, s:s?}", "status", rc, "http", (json_int_t)http, "etag", etag);
	char *s = json_dumps(out, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(out);
	http_req_clear(&req);
	free(b.p);
	free(cursor);
	return 0;
}

/* A link whose settings name no CalDAV URL is refused at begin, its settings freed once. */
static void test_begin_without_url_is_permanent(void)
{
	struct prov_link l = { .id = 7, .address = "a@example.com", .settings = "{\"username\":\"a\"}",
		.secret = "{\"password\":\"p\"}" };
	struct pass *p = NULL;
	int rc = caldav_provider.begin(&l, STREAM_EVENTS, NULL, &p);
	printf("%s - begin_without_url_is_permanent\n", rc == PROV_PERM && !p ? "ok" : "not ok");
}

int main(int argc, char **argv)
{
	const char *url = getenv("CALDAV_TEST_URL");
	if (!url || !*url) {
		test_begin_without_url_is_permanent();
		puts("ok - skipped (CALDAV_TEST_URL not set)");
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (live_allow(url, getenv("CALDAV_TEST_CALENDAR"), NULL) != 0)
		return 1;
	json_t *set = json_pack("{s:s, s:s?, s:s?}", "caldav_url", url, "username",
	    getenv("CALDAV_TEST_USER"), "calendar_url", getenv("CALDAV_TEST_CALENDAR"));
	json_t *sec = json_pack("{s:s?}", "password", getenv("CALDAV_TEST_PASS"));
	char *settings = json_dumps(set, JSON_COMPACT), *secret = json_dumps(sec, JSON_COMPACT);
	const char *since = getenv("CALDAV_TEST_SINCE");
	const char *linked = getenv("CALDAV_TEST_LINKED"), *now = getenv("CALDAV_TEST_NOW");
	struct prov_link l = { 1, "alice@example.com", settings, secret, since ? atoll(since) : 0, NULL,
		now ? atoll(now) : 0, linked ? atoll(linked) : since ? atoll(since) : 0,
		getenv("CALDAV_TEST_OWNER_TZ"), NULL, 0 };
	int rc = 2;

	if (argc < 2 || strcmp(argv[1], "sync") == 0)
		rc = run_sync(&l);
	else if ((strcmp(argv[1], "put") == 0 || strcmp(argv[1], "delete") == 0) && argc >= 3)
		rc = run_push(&l, argc, argv);
	free(settings);
	free(secret);
	json_decref(set);
	json_decref(sec);
	curl_global_cleanup();
	return rc;
}

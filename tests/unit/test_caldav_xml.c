/* Unit tests of the WebDAV XML helpers and of the CalDAV step machine on canned answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/caldav.h"
#include "providers/davxml.h"
#include "t.h"
#include "step_sink.h"

#define MS_HEAD "<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\" " \
	"xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
#define MS_TAIL "</d:multistatus>"
#define OK_STAT "<d:status>HTTP/1.1 200 OK</d:status>"

static const char *EVENT_ICS =
	"BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nPRODID:x&#13;\nBEGIN:VEVENT&#13;\nUID:e1@x&#13;\n"
	"DTSTAMP:20250101T000000Z&#13;\nDTSTART:20300101T100000Z&#13;\nDTEND:20300101T110000Z&#13;\n"
	"SUMMARY:Fish &amp; chips&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n";

static void test_sync_report_lists_changes_deletions_and_token(void)
{
	const char *xml = MS_HEAD
		"<d:response><d:href>/alice/cal/a%40b.ics</d:href><d:propstat><d:prop>"
		"<d:getetag>\"e1\"</d:getetag></d:prop>" OK_STAT "</d:propstat></d:response>"
		"<d:response><d:href>/alice/cal/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status>"
		"</d:response><d:sync-token>tok-2</d:sync-token>" MS_TAIL;
	struct dav_ms ms = { 0 };
	char err[64];
	CHECK_INT(dav_parse_multistatus(xml, strlen(xml), &ms, err, sizeof err), 0);
	CHECK_INT(ms.n, 2);
	CHECK_STR(ms.v[0].href, "/alice/cal/a%40b.ics");
	CHECK_STR(ms.v[0].etag, "\"e1\"");
	CHECK_INT(ms.v[0].status, 0);
	CHECK_INT(ms.v[1].status, 404);
	CHECK_STR(ms.sync_token, "tok-2");
	dav_ms_free(&ms);
}

static void test_calendar_listing_reads_types_components_and_token(void)
{
	const char *xml = MS_HEAD
		"<d:response><d:href>/alice/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/>"
		"</d:resourcetype></d:prop>" OK_STAT "</d:propstat></d:response>"
		"<d:response><d:href>/alice/tasks/</d:href><d:propstat><d:prop><d:resourcetype>"
		"<d:collection/><C:calendar/></d:resourcetype><C:supported-calendar-component-set>"
		"<C:comp name=\"VTODO\"/></C:supported-calendar-component-set></d:prop>" OK_STAT
		"</d:propstat></d:response>"
		"<d:response><d:href>/alice/cal/</d:href><d:propstat><d:prop><d:resourcetype>"
		"<d:collection/><C:calendar/></d:resourcetype><C:supported-calendar-component-set>"
		"<C:comp name=\"VEVENT\"/></C:supported-calendar-component-set><d:sync-token>t1"
		"</d:sync-token><d:displayname>Work</d:displayname></d:prop>" OK_STAT "</d:propstat>"
		"<d:propstat><d:prop><d:getctag/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status>"
		"</d:propstat></d:response>" MS_TAIL;
	struct dav_ms ms = { 0 };
	char err[64];
	CHECK_INT(dav_parse_multistatus(xml, strlen(xml), &ms, err, sizeof err), 0);
	CHECK_INT(ms.n, 3);
	CHECK_INT(ms.v[0].is_calendar, 0);
	CHECK_INT(ms.v[1].is_calendar, 1);
	CHECK_INT(ms.v[1].has_vevent, 0);
	CHECK_INT(ms.v[2].has_vevent, 1);
	CHECK_STR(ms.v[2].sync_token, "t1");
	CHECK_STR(ms.v[2].displayname, "Work");
	dav_ms_free(&ms);
}

static void test_calendar_data_entities_are_decoded(void)
{
	char *xml = NULL;
	CHECK(asprintf(&xml, MS_HEAD "<d:response><d:href>/c/e1.ics</d:href><d:propstat><d:prop>"
	    "<C:calendar-data>%s</C:calendar-data></d:prop>" OK_STAT "</d:propstat></d:response>"
	    MS_TAIL, EVENT_ICS) > 0);
	struct dav_ms ms = { 0 };
	char err[64];
	CHECK_INT(dav_parse_multistatus(xml, strlen(xml), &ms, err, sizeof err), 0);
	free(xml);
	CHECK(strstr(ms.v[0].calendar_data, "\r\nVERSION:2.0\r\n") != NULL);
	CHECK(strstr(ms.v[0].calendar_data, "Fish & chips") != NULL);
	dav_ms_free(&ms);
}

static void test_bad_xml_is_refused(void)
{
	static const char *bad[] = { "", "<html>nope</html>", "<d:multistatus xmlns:d=\"DAV:\">",
		"garbage <<<", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
		"<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>&e;</d:href></d:response></d:multistatus>" };
	char err[64];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dav_ms ms = { 0 };
		int rc = dav_parse_multistatus(bad[i], strlen(bad[i]), &ms, err, sizeof err);
		if (rc == 0) {   /* the entity case may parse, but must not read the file */
			CHECK_INT(i, 4);
			CHECK(ms.n == 0 || !ms.v[0].href || !strstr(ms.v[0].href, "root:"));
		}
		dav_ms_free(&ms);
	}
}

static void test_urls_resolve_and_paths_decode(void)
{
	static const struct { const char *base, *href, *want; } cases[] = {
		{ "http://h:1/dav/", "/alice/", "http://h:1/alice/" },
		{ "http://h:1/dav/x", "cal/", "http://h:1/dav/cal/" },
		{ "http://h:1/", "https://o/p/", "https://o/p/" },
		{ "http://h:1", "/p/", "http://h:1/p/" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *u = dav_resolve(cases[i].base, cases[i].href);
		CHECK_STR(u, cases[i].want);
		free(u);
	}
	char *p = dav_path("http://h:1/alice/cal/a%40b%20c.ics");
	CHECK_STR(p, "/alice/cal/a@b c.ics");
	free(p);
	char *e = dav_escape_segment("crm-1@x y/z");
	CHECK_STR(e, "crm-1%40x%20y%2Fz");
	free(e);
}

static void test_request_bodies_escape_tokens_and_hrefs(void)
{
	char *b = dav_body_sync("a<b&c");
	CHECK(strstr(b, "<D:sync-token>a&lt;b&amp;c</D:sync-token>") != NULL);
	free(b);
	char *hrefs[] = { "/c/a&b.ics", "/c/d.ics" };
	b = dav_body_multiget(hrefs, 2);
	CHECK(strstr(b, "<D:href>/c/a&amp;b.ics</D:href><D:href>/c/d.ics</D:href>") != NULL);
	free(b);
}

/* ---- The step machine on canned answers -------------------------------------------------- */

struct canned {
	const char *method, *url_suffix;   /* what the request must be */
	long status;
	const char *body;
	long retry_after;
	const char *location;
};

struct run {
	int rc, commits, events, deleted;
	char cursors[4][128];
	char first_title[64];
	long retry_after;
	int mismatch;
	int skipped;        /* broken resources reported through the sink */
	char cal_cursor[128];   /* the calendar's own cursor noted with the page being taken */
};

static int sink_commit(void *ctx, enum stream s, struct msg_list *m, struct event_list *ev,
    const char *cursor)
{
	struct run *r = ctx;
	(void)s;
	(void)m;
	for (size_t i = 0; i < ev->n; i++) {
		r->events++;
		r->deleted += ev->v[i].deleted;
		if (!r->first_title[0] && ev->v[i].title)
			snprintf(r->first_title, sizeof r->first_title, "%s", ev->v[i].title);
	}
	event_list_free(ev);
	/* a calendar's page: its own cursor; else the link's, or none */
	if (r->commits < 4)
		snprintf(r->cursors[r->commits], sizeof r->cursors[0], "%s", r->cal_cursor[0] ?
		    r->cal_cursor : cursor ? cursor : "(none)");
	r->cal_cursor[0] = '\0';
	r->commits++;
	return 0;
}

static void sink_cals(void *ctx, const struct link_cal_list *cals)
{
	struct run *r = ctx;
	for (size_t i = 0; i < cals->n; i++)
		if (cals->v[i].op == CAL_CURSOR && cals->v[i].cursor)
			snprintf(r->cal_cursor, sizeof r->cal_cursor, "%s", cals->v[i].cursor);
}

static void sink_skipped(void *ctx)
{
	((struct run *)ctx)->skipped++;
}

static struct run drive(const char *settings, const char *cursor, const struct canned *c, size_t n)
{
	struct prov_link l = { 7, "a@x", settings, "{\"password\":\"pw\"}", 0, NULL, 0, 0, NULL, NULL, 0 };
	struct run r = { 0 };
	struct test_sink sink = { .ctx = &r, .commit = sink_commit, .skipped = sink_skipped,
		.cals = sink_cals };
	struct pass *p = NULL;
	struct http_req req = { 0 };

	r.rc = caldav_provider.begin(&l, STREAM_EVENTS, cursor, &p);
	if (r.rc != PROV_OK)
		return r;
	r.rc = test_step(caldav_provider.step, p, NULL, &req, &sink, &r.retry_after);
	for (size_t i = 0; r.rc == STEP_MORE; i++) {
		if (i >= n) {
			r.mismatch = 1000 + (int)i;
			break;
		}
		size_t ul = strlen(req.url), sl = strlen(c[i].url_suffix);
		if (strcmp(req.method, c[i].method) != 0 || ul < sl || strcmp(req.url + ul - sl, c[i].url_suffix) != 0 ||
		    !req.userpwd || strcmp(req.userpwd, "alice:pw") != 0) {
			fprintf(stderr, "  request %zu: %s %s\n", i, req.method, req.url);
			r.mismatch = 1 + (int)i;
			break;
		}
		struct http_resp resp = { c[i].status, c[i].body, strlen(c[i].body), NULL, c[i].location,
			c[i].retry_after, c[i].status ? NULL : "connection refused" };
		http_req_clear(&req);
		r.rc = test_step(caldav_provider.step, p, &resp, &req, &sink, &r.retry_after);
	}
	http_req_clear(&req);
	caldav_provider.end(p);
	return r;
}

#define BASE "{\"caldav_url\":\"http://h:1/\",\"username\":\"alice\"}"
#define CUR "{\"cal\":\"http://h:1/alice/cal/\",\"token\":\"t1\"}"
/* Every pass lists the principal's calendars first: here the one calendar /alice/cal/. */
#define DISCOVERY \
	{ "PROPFIND", "http://h:1/", 207, MS_HEAD "<d:response><d:href>/</d:href><d:propstat><d:prop>" \
	  "<C:calendar-home-set><d:href>/alice/</d:href></C:calendar-home-set></d:prop>" OK_STAT \
	  "</d:propstat></d:response>" MS_TAIL, 0, NULL }, \
	{ "PROPFIND", "http://h:1/alice/", 207, MS_HEAD "<d:response><d:href>/alice/cal/</d:href>" \
	  "<d:propstat><d:prop><d:resourcetype><d:collection/><C:calendar/></d:resourcetype>" \
	  "<d:sync-token>t9</d:sync-token></d:prop>" OK_STAT "</d:propstat></d:response>" MS_TAIL, \
	  0, NULL }

static void test_first_link_discovers_calendar_and_imports_nothing(void)
{
	const struct canned c[] = {
		{ "PROPFIND", "http://h:1/", 301, "", 0, "/dav/" },
		{ "PROPFIND", "http://h:1/dav/", 207, MS_HEAD "<d:response><d:href>/dav/</d:href><d:propstat>"
		  "<d:prop><d:current-user-principal><d:href>/alice/</d:href></d:current-user-principal>"
		  "</d:prop>" OK_STAT "</d:propstat></d:response>" MS_TAIL, 0, NULL },
		{ "PROPFIND", "http://h:1/alice/", 207, MS_HEAD "<d:response><d:href>/alice/</d:href>"
		  "<d:propstat><d:prop><C:calendar-home-set><d:href>/alice/</d:href></C:calendar-home-set>"
		  "</d:prop>" OK_STAT "</d:propstat></d:response>" MS_TAIL, 0, NULL },
		{ "PROPFIND", "http://h:1/alice/", 207, MS_HEAD "<d:response><d:href>/alice/cal/</d:href>"
		  "<d:propstat><d:prop><d:resourcetype><d:collection/><C:calendar/></d:resourcetype>"
		  "<d:sync-token>t1</d:sync-token></d:prop>" OK_STAT "</d:propstat></d:response>" MS_TAIL, 0, NULL },
	};
	struct run r = drive(BASE, NULL, c, 4);
	CHECK_INT(r.mismatch, 0);
	CHECK_INT(r.rc, STEP_DONE);
	CHECK_INT(r.commits, 1);
	CHECK_INT(r.events, 0);
	CHECK_STR(r.cursors[0], CUR);
}

static void test_changes_come_in_pages_and_the_cursor_moves_last(void)
{
	/* 150 changed hrefs and one deletion: two multigets, the first page keeps the old cursor. */
	char *sync = NULL, *get = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&sync, &len);
	fputs(MS_HEAD, f);
	for (int i = 0; i < 150; i++)
		fprintf(f, "<d:response><d:href>/alice/cal/e%d.ics</d:href><d:propstat><d:prop><d:getetag>"
		    "\"%d\"</d:getetag></d:prop>" OK_STAT "</d:propstat></d:response>", i, i);
	fputs("<d:response><d:href>/alice/cal/old.ics</d:href><d:status>HTTP/1.1 404 Not Found"
	    "</d:status></d:response><d:sync-token>t2</d:sync-token>" MS_TAIL, f);
	fclose(f);
	CHECK(asprintf(&get, MS_HEAD "<d:response><d:href>/alice/cal/e1.ics</d:href><d:propstat><d:prop>"
	    "<d:getetag>\"1\"</d:getetag><C:calendar-data>%s</C:calendar-data></d:prop>" OK_STAT
	    "</d:propstat></d:response><d:response><d:href>/alice/cal/bad.ics</d:href><d:propstat>"
	    "<d:prop><C:calendar-data>garbage</C:calendar-data></d:prop>" OK_STAT "</d:propstat>"
	    "</d:response>" MS_TAIL, EVENT_ICS) > 0);
	const struct canned c[] = {
		DISCOVERY,
		{ "REPORT", "/alice/cal/", 207, sync, 0, NULL },
		{ "REPORT", "/alice/cal/", 207, get, 0, NULL },
		{ "REPORT", "/alice/cal/", 207, get, 0, NULL },
	};
	struct run r = drive(BASE, CUR, c, 5);
	free(sync);
	free(get);
	CHECK_INT(r.mismatch, 0);
	CHECK_INT(r.rc, STEP_DONE);
	/* the calendars noted, the cursor from before several calendars taken over as the
	 * calendar's own; a first page leaving it where it was; the last with its new one */
	CHECK_INT(r.commits, 3);
	CHECK_STR(r.cursors[0], CUR);
	CHECK_STR(r.cursors[1], "(none)");
	CHECK_STR(r.cursors[2], "{\"cal\":\"http://h:1/alice/cal/\",\"token\":\"t2\"}");
	CHECK_INT(r.events, 3);    /* e1 twice (canned) and the deletion; bad.ics skipped */
	CHECK_INT(r.skipped, 2);   /* in each page it came in, each reported to the engine */
	CHECK_INT(r.deleted, 1);
	CHECK_STR(r.first_title, "Fish & chips");
}

static void test_refused_token_asks_for_resync(void)
{
	const struct canned c403[] = { DISCOVERY, { "REPORT", "/alice/cal/", 403,
		"<?xml version=\"1.0\"?><error xmlns=\"DAV:\"><valid-sync-token/></error>", 0, NULL } };
	CHECK_INT(drive(BASE, CUR, c403, 3).rc, PROV_CURSOR);
	const struct canned c409[] = { DISCOVERY, { "REPORT", "/alice/cal/", 409, "", 0, NULL } };
	CHECK_INT(drive(BASE, CUR, c409, 3).rc, PROV_CURSOR);
	const struct canned c500[] = { DISCOVERY, { "REPORT", "/alice/cal/", 500, "", 0, NULL },
		{ "PROPFIND", "/alice/cal/", 207, MS_HEAD MS_TAIL, 0, NULL },
		{ "REPORT", "/alice/cal/", 500, "", 0, NULL } };
	CHECK_INT(drive(BASE, CUR, c500, 5).rc, PROV_CURSOR);
	CHECK_INT(drive(BASE, "{not json", c500, 0).rc, PROV_CURSOR);
}

static void test_errors_are_classed(void)
{
	static const struct { long status, retry; int want; long want_retry; } cases[] = {
		{ 401, 0, PROV_AUTH, 0 },
		{ 429, 30, PROV_RATE, 30 },
		{ 503, 0, PROV_RATE, 60 },
		{ 502, 0, PROV_TEMP, 0 },
		{ 0, 0, PROV_TEMP, 0 },
		{ 404, 0, PROV_PERM, 0 },
		{ 207, 0, PROV_TEMP, 0 },   /* a 207 whose body is not XML */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct canned c[] = { { "PROPFIND", "http://h:1/", cases[i].status, "<<not xml",
			cases[i].retry, NULL } };
		struct run r = drive(BASE, NULL, c, 1);
		CHECK_INT(r.rc, cases[i].want);
		CHECK_INT(r.retry_after, cases[i].want_retry);
	}
}

static void test_push_requests_carry_conditions(void)
{
	struct prov_link l = { 7, "a@x", BASE, "{\"password\":\"pw\"}", 0, NULL, 0, 0, NULL, NULL, 0 };
	struct sync_event e = { 0 };
	struct http_req req;
	e.uid = "crm-1@x";
	e.start = 1900000000;
	e.duration_min = 30;
	e.title = "Visit";
	CHECK_INT(caldav_put_req(&l, CUR, &e, 2, NULL, &req), PROV_OK);
	CHECK_STR(req.method, "PUT");
	CHECK_STR(req.url, "http://h:1/alice/cal/crm-1%40x.ics");
	CHECK_STR(req.headers[1], "If-None-Match: *");
	CHECK_STR(req.userpwd, "alice:pw");
	CHECK(strstr(req.body, "SEQUENCE:2") != NULL);
	http_req_clear(&req);
	CHECK_INT(caldav_put_req(&l, CUR, &e, 3, "\"e9\"", &req), PROV_OK);
	CHECK_STR(req.headers[1], "If-Match: \"e9\"");
	http_req_clear(&req);
	char *pid = caldav_event_provider_id(&l, CUR, e.uid);
	CHECK_STR(pid, "/alice/cal/crm-1@x.ics");
	CHECK_INT(caldav_delete_req(&l, CUR, pid, "\"e9\"", &req), PROV_OK);
	free(pid);
	CHECK_STR(req.method, "DELETE");
	CHECK_STR(req.url, "http://h:1/alice/cal/crm-1%40x.ics");
	CHECK_STR(req.headers[0], "If-Match: \"e9\"");
	http_req_clear(&req);
	CHECK_INT(caldav_put_req(&l, NULL, &e, 0, NULL, &req), PROV_PERM);   /* no calendar known */
	struct http_resp gone = { 404, "", 0, NULL, NULL, 0, NULL };
	struct http_resp conflict = { 412, "", 0, NULL, NULL, 0, NULL };
	long ra = 0;
	CHECK_INT(caldav_push_result(&gone, 1, &ra), PROV_OK);
	CHECK_INT(caldav_push_result(&gone, 0, &ra), PROV_PERM);
	CHECK_INT(caldav_push_result(&conflict, 0, &ra), PROV_PERM);
}

T_MAIN(T(test_sync_report_lists_changes_deletions_and_token),
    T(test_calendar_listing_reads_types_components_and_token),
    T(test_calendar_data_entities_are_decoded),
    T(test_bad_xml_is_refused),
    T(test_urls_resolve_and_paths_decode),
    T(test_request_bodies_escape_tokens_and_hrefs),
    T(test_first_link_discovers_calendar_and_imports_nothing),
    T(test_changes_come_in_pages_and_the_cursor_moves_last),
    T(test_refused_token_asks_for_resync),
    T(test_errors_are_classed),
    T(test_push_requests_carry_conditions))

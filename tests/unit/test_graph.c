/* Microsoft Graph calendarView delta items into sync events, and time zone names, case by case. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/graph.h"
#include "ev_cases.h"
#include "t.h"

static const struct ev_case ev_cases[] = {
	{ "single instance in UTC with its zone",
	  "{\"id\":\"AAE1\",\"type\":\"singleInstance\",\"iCalUId\":\"0400U1\",\"uid\":\"0400U1\",\"subject\":\"Pump install\","
	  "\"originalStartTimeZone\":\"Central Standard Time\",\"isAllDay\":false,"
	  "\"start\":{\"dateTime\":\"2024-05-01T10:00:00.0000000\",\"timeZone\":\"UTC\"},"
	  "\"end\":{\"dateTime\":\"2024-05-01T10:45:00.0000000\",\"timeZone\":\"UTC\"}}",
	  0, "AAE1", "0400U1", NULL, "America/Chicago", "Pump install", 1714557600, 45, 0, 0, 0 },
	{ "single instance with only iCalUId",
	  "{\"id\":\"AAE2\",\"iCalUId\":\"0400U2\",\"start\":{\"dateTime\":\"2024-05-01T10:00:00.0000000\"},"
	  "\"end\":{\"dateTime\":\"2024-05-01T11:00:00.0000000\"}}",
	  0, "AAE2", "0400U2", NULL, NULL, "", 1714557600, 60, 0, 0, 0 },
	{ "occurrence keeps its own id and the series uid",
	  "{\"id\":\"AAM_20240501T100000Z\",\"type\":\"occurrence\",\"seriesMasterId\":\"AAM\",\"uid\":\"0400M\","
	  "\"iCalUId\":\"0400M-20240501T100000Z\",\"originalStart\":\"2024-05-01T10:00:00Z\","
	  "\"originalStartTimeZone\":\"Europe/Berlin\",\"start\":{\"dateTime\":\"2024-05-01T10:00:00.0000000\"},"
	  "\"end\":{\"dateTime\":\"2024-05-01T10:30:00.0000000\"}}",
	  0, "AAM_20240501T100000Z", "0400M", "20240501T100000Z", "Europe/Berlin", "", 1714557600, 30, 0, 0, 0 },
	{ "occurrence without the series uid leaves it to be looked up",
	  "{\"id\":\"AAM_x\",\"type\":\"exception\",\"seriesMasterId\":\"AAM\",\"iCalUId\":\"per-occurrence\","
	  "\"originalStart\":\"2024-05-08T10:00:00Z\",\"start\":{\"dateTime\":\"2024-05-08T12:00:00.0000000\"},"
	  "\"end\":{\"dateTime\":\"2024-05-08T12:30:00.0000000\"}}",
	  0, "AAM_x", NULL, "20240508T100000Z", NULL, "", 1715169600, 30, 0, 0, 0 },
	{ "all-day event",
	  "{\"id\":\"AAE3\",\"uid\":\"u3\",\"isAllDay\":true,\"start\":{\"dateTime\":\"2024-05-01T00:00:00.0000000\"},"
	  "\"end\":{\"dateTime\":\"2024-05-02T00:00:00.0000000\"}}",
	  0, "AAE3", "u3", NULL, NULL, "", 1714521600, 1440, 1, 0, 0 },
	{ "cancelled meeting stays as cancelled",
	  "{\"id\":\"AAE4\",\"uid\":\"u4\",\"isCancelled\":true,\"start\":{\"dateTime\":\"2024-05-01T10:00:00\"},"
	  "\"end\":{\"dateTime\":\"2024-05-01T10:30:00\"}}",
	  0, "AAE4", "u4", NULL, NULL, "", 1714557600, 30, 0, 0, 1 },
	{ "removed event is a deletion",
	  "{\"id\":\"AAE5\",\"@removed\":{\"reason\":\"deleted\"}}", 0, "AAE5", NULL, NULL, NULL, NULL, 0, 0, 0, 1, 0 },
	{ "removed occurrence is the deletion of that occurrence's own id",
	  "{\"id\":\"AAM_20240515T100000Z\",\"@removed\":{\"reason\":\"deleted\"}}",
	  0, "AAM_20240515T100000Z", NULL, NULL, NULL, NULL, 0, 0, 0, 1, 0 },
	{ "removed opaque occurrence id is a deletion of that id",
	  "{\"id\":\"AAMkAGEvT3f9a0c\",\"@removed\":{\"reason\":\"deleted\"}}",
	  0, "AAMkAGEvT3f9a0c", NULL, NULL, NULL, NULL, 0, 0, 0, 1, 0 },
	{ "series master is skipped", "{\"id\":\"AAM\",\"type\":\"seriesMaster\"}", 1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "no start", "{\"id\":\"AAE6\",\"subject\":\"x\"}", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "occurrence without original start", "{\"id\":\"a\",\"seriesMasterId\":\"m\",\"start\":{\"dateTime\":\"2024-05-01T10:00:00\"}}",
	  -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
};

/* The mapping with no owner's zone: floating times read as UTC. */
static int parse_utc(const json_t *item, struct sync_event *e)
{
	return graph_event_parse(item, NULL, e);
}

static void test_calendar_view_items_map_to_sync_events(void)
{
	CHECK_INT(ev_cases_run(ev_cases, sizeof ev_cases / sizeof ev_cases[0], parse_utc), 0);
}

static void test_attendees_with_responses_are_read(void)
{
	json_t *j = json_loads("{\"id\":\"e\",\"uid\":\"u\",\"start\":{\"dateTime\":\"2024-05-01T10:00:00\"},"
	    "\"organizer\":{\"emailAddress\":{\"name\":\"Ann\",\"address\":\"Ann@Example.com\"}},"
	    "\"location\":{\"displayName\":\"Yard 4\"},\"body\":{\"contentType\":\"text\",\"content\":\"Bring keys\"},"
	    "\"attendees\":[{\"status\":{\"response\":\"accepted\"},\"emailAddress\":{\"address\":\"bob@c.example\"}},"
	    "{\"status\":{\"response\":\"tentativelyAccepted\"},\"emailAddress\":{\"address\":\"c@c.example\"}},"
	    "{\"status\":{\"response\":\"none\"},\"emailAddress\":{\"name\":\"nobody\"}}]}", 0, NULL);
	struct sync_event e;
	CHECK_INT(graph_event_parse(j, NULL, &e), 0);
	json_decref(j);
	CHECK_STR(e.organizer.email, "ann@example.com");
	CHECK_INT(e.n_attendees, 2);
	CHECK_STR(e.attendees[0].partstat, "ACCEPTED");
	CHECK_STR(e.attendees[1].partstat, "TENTATIVE");
	CHECK_STR(e.location, "Yard 4");
	CHECK_STR(e.description, "Bring keys");
	event_free(&e);
}

static void test_windows_zone_names_become_iana(void)
{
	CHECK_STR(graph_tz_iana("Pacific Standard Time"), "America/Los_Angeles");
	CHECK_STR(graph_tz_iana("eastern standard time"), "America/New_York");
	CHECK_STR(graph_tz_iana("America/Chicago"), "America/Chicago");
	CHECK_STR(graph_tz_iana("UTC"), "UTC");
	CHECK_STR(graph_tz_iana("Tonga Standard Time"), "Pacific/Tongatapu");
	CHECK_STR(graph_tz_iana("Bangladesh Standard Time"), "Asia/Dhaka");
	CHECK(graph_tz_iana("Martian Standard Time") == NULL);
	CHECK(graph_tz_iana("") == NULL);
	CHECK(graph_tz_iana(NULL) == NULL);
}


static struct sync_event sample_event(int all_day)
{
	static struct attendee att[2] = { { { "Bob", "bob@customer.example" }, NULL }, { { NULL, NULL }, NULL } };
	struct sync_event e = { 0 };
	e.uid = "crm-1@crm.example";
	e.title = "Pump install";
	e.location = "1234 Washington Ave";
	e.tzid = "America/Chicago";
	e.start = all_day ? 1714521600 : 1714557600;
	e.duration_min = all_day ? 2880 : 45;
	e.all_day = all_day;
	e.attendees = att;
	e.n_attendees = 2;
	return e;
}

static void test_crm_appointment_becomes_a_graph_event(void)
{
	struct sync_event e = sample_event(0);
	char *b = graph_event_body(&e, "tx-1");
	json_t *j = json_loads(b, 0, NULL);
	free(b);
	CHECK_STR(json_string_value(json_object_get(j, "transactionId")), "tx-1");
	CHECK_STR(json_string_value(json_object_get(j, "subject")), "Pump install");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "start"), "dateTime")), "2024-05-01T10:00:00");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "start"), "timeZone")), "UTC");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "end"), "dateTime")), "2024-05-01T10:45:00");
	CHECK(json_is_false(json_object_get(j, "isAllDay")));
	CHECK_INT(json_array_size(json_object_get(j, "attendees")), 1);
	json_decref(j);
	e = sample_event(1);
	b = graph_event_body(&e, NULL);
	j = json_loads(b, 0, NULL);
	free(b);
	CHECK(json_object_get(j, "transactionId") == NULL && json_is_true(json_object_get(j, "isAllDay")));
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "end"), "dateTime")), "2024-05-03T00:00:00");
	json_decref(j);
}

/* The start of a Graph event whose start is {"dateTime": dt, "timeZone": tz} (tz may be NULL),
 * parsed for owner; -1 when unreadable. */
static int64_t graph_start(const char *dt, const char *tz, const char *owner)
{
	char js[512];
	snprintf(js, sizeof js, "{\"id\":\"e\",\"uid\":\"u\",\"subject\":\"s\",\"start\":{\"dateTime\":"
	    "\"%s\"%s%s%s},\"end\":{\"dateTime\":\"2030-01-01T00:00:00\",\"timeZone\":\"UTC\"}}", dt,
	    tz ? ",\"timeZone\":\"" : "", tz ? tz : "", tz ? "\"" : "");
	json_t *j = json_loads(js, 0, NULL);
	struct sync_event e;
	int rc = j ? graph_event_parse(j, owner, &e) : -1;
	json_decref(j);
	int64_t t = rc == 0 ? e.start : -1;
	if (rc == 0)
		event_free(&e);
	return t;
}

static void test_times_are_read_in_their_windows_zone(void)
{
	/* 10:00 on 2025-01-15 in each zone */
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", "UTC", "America/Chicago"), 1736935200);
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", "Pacific Standard Time", NULL),
	    1736935200 + 8 * 3600);
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", "Tonga Standard Time", NULL),
	    1736935200 - 13 * 3600);
	CHECK_INT(graph_start("2025-01-15T10:00:00", "Europe/Berlin", "America/Chicago"),
	    1736935200 - 3600);
}

static void test_floating_and_unknown_zone_times_are_in_the_owners_zone(void)
{
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", NULL, "America/Chicago"),
	    1736956800);   /* 10:00 CST */
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", "Customized Time Zone",
	    "America/Chicago"), 1736956800);
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", "tzone://Microsoft/Custom",
	    "Asia/Kolkata"), 1736935200 - 5 * 3600 - 1800);
	/* with no owner's zone: UTC */
	CHECK_INT(graph_start("2025-01-15T10:00:00.0000000", "Customized Time Zone", NULL),
	    1736935200);
	/* an offset in the value wins over any zone */
	CHECK_INT(graph_start("2025-01-15T10:00:00Z", "Pacific Standard Time", "Asia/Kolkata"),
	    1736935200);
}

static void test_all_day_is_its_date_in_every_zone(void)
{
	static const char *const zones[] = { "Hawaiian Standard Time", "UTC", "Tonga Standard Time" };
	for (int i = 0; i < 3; i++) {
		char js[512];
		snprintf(js, sizeof js, "{\"id\":\"e\",\"uid\":\"u\",\"isAllDay\":true,\"start\":{"
		    "\"dateTime\":\"2025-07-31T00:00:00.0000000\",\"timeZone\":\"%s\"},\"end\":{"
		    "\"dateTime\":\"2025-08-01T00:00:00.0000000\",\"timeZone\":\"%s\"}}", zones[i], zones[i]);
		json_t *j = json_loads(js, 0, NULL);
		struct sync_event e;
		CHECK_INT(graph_event_parse(j, "Asia/Kolkata", &e), 0);
		json_decref(j);
		CHECK_INT(e.start, 1753920000);
		CHECK_INT(e.duration_min, 1440);
		CHECK_INT(e.all_day, 1);
		event_free(&e);
	}
}

/* sendMail carries the MIME base64 in a request of about 4 MB: a larger message is refused with
 * its reason, a smaller one goes as text/plain. */
static void test_send_over_3_mb_is_refused_with_a_reason(void)
{
	struct provider_cfg cfg = { .api_base = "http://graph.test/v1.0" };
	struct prov_link l = { .id = 1, .address = "me@x.test", .cfg = &cfg };
	size_t n = GRAPH_SEND_RAW_MAX + 1;
	char *raw = malloc(n + 1);
	CHECK(raw != NULL);
	memset(raw, 'a', n);
	raw[n] = '\0';
	struct push_item it = { .kind = PUSH_MAIL_SEND, .raw = raw, .raw_len = n };
	struct http_req req;
	char err[300] = "";
	CHECK_INT(graph_push_req(&l, &it, &req, err, sizeof err), PROV_PERM);
	CHECK(strstr(err, "at most 3072 KB") != NULL);
	it.raw_len = 1000;
	CHECK_INT(graph_push_req(&l, &it, &req, err, sizeof err), STEP_MORE);
	CHECK_STR(req.url, "http://graph.test/v1.0/me/sendMail");
	http_req_clear(&req);
	free(raw);
}

T_MAIN(T(test_crm_appointment_becomes_a_graph_event), T(test_send_over_3_mb_is_refused_with_a_reason), T(test_calendar_view_items_map_to_sync_events), T(test_attendees_with_responses_are_read),
    T(test_windows_zone_names_become_iana), T(test_times_are_read_in_their_windows_zone),
    T(test_floating_and_unknown_zone_times_are_in_the_owners_zone),
    T(test_all_day_is_its_date_in_every_zone))

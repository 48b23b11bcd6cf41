/* Google Calendar events and Gmail labels into the internal shapes, case by case. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/google.h"
#include "ev_cases.h"
#include "t.h"

static const struct ev_case ev_cases[] = {
	{ "timed event with offset and zone",
	  "{\"id\":\"e1\",\"iCalUID\":\"u1@google.com\",\"status\":\"confirmed\",\"summary\":\"Pump install\","
	  "\"start\":{\"dateTime\":\"2024-05-01T05:00:00-05:00\",\"timeZone\":\"America/Chicago\"},"
	  "\"end\":{\"dateTime\":\"2024-05-01T05:30:00-05:00\",\"timeZone\":\"America/Chicago\"},\"updated\":\"2024-04-01T00:00:00.000Z\"}",
	  0, "e1", "u1@google.com", NULL, "America/Chicago", "Pump install", 1714557600, 30, 0, 0, 0 },
	{ "all-day event",
	  "{\"id\":\"e2\",\"iCalUID\":\"u2\",\"start\":{\"date\":\"2024-05-01\"},\"end\":{\"date\":\"2024-05-03\"}}",
	  0, "e2", "u2", NULL, NULL, "", 1714521600, 2880, 1, 0, 0 },
	{ "instance of a series keeps the series id",
	  "{\"id\":\"m_20240501T100000Z\",\"recurringEventId\":\"m\",\"iCalUID\":\"um\",\"summary\":\"Weekly\","
	  "\"originalStartTime\":{\"dateTime\":\"2024-05-01T10:00:00Z\"},"
	  "\"start\":{\"dateTime\":\"2024-05-01T11:00:00Z\"},\"end\":{\"dateTime\":\"2024-05-01T12:00:00Z\"}}",
	  0, "m", "um", "20240501T100000Z", NULL, "Weekly", 1714561200, 60, 0, 0, 0 },
	{ "all-day instance gets a date recurrence id",
	  "{\"id\":\"m_20240501\",\"recurringEventId\":\"m\",\"iCalUID\":\"um\",\"originalStartTime\":{\"date\":\"2024-05-01\"},"
	  "\"start\":{\"date\":\"2024-05-01\"},\"end\":{\"date\":\"2024-05-02\"}}",
	  0, "m", "um", "20240501", NULL, "", 1714521600, 1440, 1, 0, 0 },
	{ "cancelled single event is a deletion",
	  "{\"id\":\"e3\",\"status\":\"cancelled\"}", 0, "e3", NULL, NULL, NULL, NULL, 0, 0, 0, 1, 0 },
	{ "cancelled instance is a cancelled occurrence",
	  "{\"id\":\"m_20240508T100000Z\",\"status\":\"cancelled\",\"recurringEventId\":\"m\","
	  "\"originalStartTime\":{\"dateTime\":\"2024-05-08T05:00:00-05:00\",\"timeZone\":\"America/Chicago\"}}",
	  0, "m", NULL, "20240508T100000Z", NULL, NULL, 0, 0, 0, 0, 1 },
	{ "no id", "{\"summary\":\"x\",\"start\":{\"date\":\"2024-05-01\"}}", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "unreadable start", "{\"id\":\"e4\",\"start\":{\"dateTime\":\"tomorrow\"}}", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "instance without original start", "{\"id\":\"x\",\"recurringEventId\":\"m\",\"start\":{\"date\":\"2024-05-01\"}}",
	  -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
};

/* The mapping with no owner's zone: floating times read as UTC. */
static int parse_utc(const json_t *item, struct sync_event *e)
{
	return google_event_parse(item, NULL, e);
}

static void test_calendar_events_map_to_sync_events(void)
{
	CHECK_INT(ev_cases_run(ev_cases, sizeof ev_cases / sizeof ev_cases[0], parse_utc), 0);
}

static void test_attendees_and_organizer_are_read(void)
{
	json_t *j = json_loads("{\"id\":\"e\",\"iCalUID\":\"u\",\"start\":{\"dateTime\":\"2024-05-01T10:00:00Z\"},"
	    "\"organizer\":{\"email\":\"Ann@Example.com\",\"displayName\":\"Ann\"},\"attendees\":["
	    "{\"email\":\" Bob@Customer.example \",\"responseStatus\":\"accepted\"},"
	    "{\"email\":\"c@x.example\",\"responseStatus\":\"tentative\"},{\"displayName\":\"no email\"},"
	    "{\"email\":\"d@x.example\",\"responseStatus\":\"needsAction\"}],\"location\":\"Yard\"}", 0, NULL);
	struct sync_event e;
	CHECK_INT(google_event_parse(j, NULL, &e), 0);
	json_decref(j);
	CHECK_STR(e.organizer.email, "ann@example.com");
	CHECK_INT(e.n_attendees, 3);
	CHECK_STR(e.attendees[0].who.email, "bob@customer.example");
	CHECK_STR(e.attendees[0].partstat, "ACCEPTED");
	CHECK_STR(e.attendees[1].partstat, "TENTATIVE");
	CHECK_STR(e.attendees[2].partstat, "NEEDS-ACTION");
	CHECK_STR(e.location, "Yard");
	event_free(&e);
}

static void test_gmail_labels_pick_the_folder(void)
{
	static const struct {
		const char *labels;
		int want;
	} cases[] = {
		{ "[\"INBOX\",\"UNREAD\"]", FOLDER_INBOX }, { "[\"SENT\"]", FOLDER_SENT },
		{ "[\"INBOX\",\"SENT\"]", FOLDER_SENT }, { "[\"DRAFT\"]", -1 }, { "[\"SPAM\",\"INBOX\"]", -1 },
		{ "[\"TRASH\"]", -1 }, { "[\"Label_3\"]", -1 }, { "[]", -1 }, { "null", -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = json_loads(cases[i].labels, JSON_DECODE_ANY, NULL);
		CHECK_INT(google_msg_folder(j), cases[i].want);
		json_decref(j);
	}
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

static void test_crm_appointment_becomes_an_insert_with_our_id(void)
{
	struct sync_event e = sample_event(0);
	char *b = google_event_body(&e, "crm0a1b2c3", 3);
	json_t *j = json_loads(b, 0, NULL);
	free(b);
	CHECK_STR(json_string_value(json_object_get(j, "id")), "crm0a1b2c3");
	CHECK_STR(json_string_value(json_object_get(j, "iCalUID")), "crm-1@crm.example");
	CHECK_STR(json_string_value(json_object_get(j, "summary")), "Pump install");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "start"), "dateTime")), "2024-05-01T10:00:00Z");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "start"), "timeZone")), "America/Chicago");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "end"), "dateTime")), "2024-05-01T10:45:00Z");
	CHECK_INT(json_array_size(json_object_get(j, "attendees")), 1);
	CHECK_INT(json_integer_value(json_object_get(j, "sequence")), 3);
	json_decref(j);
	e = sample_event(1);
	b = google_event_body(&e, NULL, 0);
	j = json_loads(b, 0, NULL);
	free(b);
	CHECK(json_object_get(j, "id") == NULL && json_object_get(j, "iCalUID") == NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "start"), "date")), "2024-05-01");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "end"), "date")), "2024-05-03");
	json_decref(j);
}

static void test_times_without_offset_are_in_their_zone_or_the_owners(void)
{
	static const struct { const char *start, *owner; int64_t want; } cases[] = {
		{ "{\"dateTime\":\"2025-01-15T10:00:00-06:00\",\"timeZone\":\"Asia/Tokyo\"}", NULL,
		  1736956800 },   /* the offset wins */
		{ "{\"dateTime\":\"2025-01-15T10:00:00\",\"timeZone\":\"America/Chicago\"}", "UTC",
		  1736956800 },
		{ "{\"dateTime\":\"2025-01-15T10:00:00\"}", "America/Chicago", 1736956800 },
		{ "{\"dateTime\":\"2025-01-15T10:00:00\",\"timeZone\":\"Nowhere/Zone\"}",
		  "America/Chicago", 1736956800 },
		{ "{\"dateTime\":\"2025-01-15T10:00:00\"}", NULL, 1736935200 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char js[400];
		snprintf(js, sizeof js, "{\"id\":\"e\",\"iCalUID\":\"u\",\"start\":%s}", cases[i].start);
		json_t *j = json_loads(js, 0, NULL);
		struct sync_event e;
		CHECK_INT(google_event_parse(j, cases[i].owner, &e), 0);
		json_decref(j);
		CHECK_INT(e.start, cases[i].want);
		event_free(&e);
	}
}

T_MAIN(T(test_crm_appointment_becomes_an_insert_with_our_id), T(test_calendar_events_map_to_sync_events), T(test_attendees_and_organizer_are_read),
    T(test_gmail_labels_pick_the_folder), T(test_times_without_offset_are_in_their_zone_or_the_owners))

/* Nylas v3 events into sync events, case by case. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/nylas.h"
#include "ev_cases.h"
#include "t.h"

static const struct ev_case ev_cases[] = {
	{ "timespan event",
	  "{\"id\":\"n1\",\"ical_uid\":\"u1\",\"title\":\"Pump install\",\"status\":\"confirmed\",\"updated_at\":1714000000,"
	  "\"when\":{\"object\":\"timespan\",\"start_time\":1714557600,\"end_time\":1714559400,\"start_timezone\":\"America/Chicago\"}}",
	  0, "n1", "u1", NULL, "America/Chicago", "Pump install", 1714557600, 30, 0, 0, 0 },
	{ "one-day event",
	  "{\"id\":\"n2\",\"ical_uid\":\"u2\",\"when\":{\"object\":\"date\",\"date\":\"2024-05-01\"}}",
	  0, "n2", "u2", NULL, NULL, "", 1714521600, 1440, 1, 0, 0 },
	{ "date span with an inclusive end",
	  "{\"id\":\"n3\",\"ical_uid\":\"u3\",\"when\":{\"object\":\"datespan\",\"start_date\":\"2024-05-01\",\"end_date\":\"2024-05-03\"}}",
	  0, "n3", "u3", NULL, NULL, "", 1714521600, 4320, 1, 0, 0 },
	{ "occurrence keeps the series id",
	  "{\"id\":\"m_20240501T100000Z\",\"master_event_id\":\"m\",\"ical_uid\":\"um\",\"original_start_time\":1714557600,"
	  "\"when\":{\"object\":\"timespan\",\"start_time\":1714561200,\"end_time\":1714564800}}",
	  0, "m", "um", "20240501T100000Z", NULL, "", 1714561200, 60, 0, 0, 0 },
	{ "cancelled occurrence",
	  "{\"id\":\"m_x\",\"master_event_id\":\"m\",\"ical_uid\":\"um\",\"status\":\"cancelled\",\"original_start_time\":1715162400,"
	  "\"when\":{\"object\":\"timespan\",\"start_time\":1715162400,\"end_time\":1715164200}}",
	  0, "m", "um", "20240508T100000Z", NULL, "", 1715162400, 30, 0, 0, 1 },
	{ "cancelled single event is a deletion",
	  "{\"id\":\"n4\",\"ical_uid\":\"u4\",\"status\":\"cancelled\"}", 0, "n4", "u4", NULL, NULL, NULL, 0, 0, 0, 1, 0 },
	{ "no id", "{\"when\":{\"date\":\"2024-05-01\"}}", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "unreadable when", "{\"id\":\"n5\",\"when\":{\"object\":\"datespan\",\"start_date\":\"May 1\"}}",
	  -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "occurrence without original start", "{\"id\":\"x\",\"master_event_id\":\"m\",\"when\":{\"date\":\"2024-05-01\"}}",
	  -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
};

static void test_events_map_to_sync_events(void)
{
	CHECK_INT(ev_cases_run(ev_cases, sizeof ev_cases / sizeof ev_cases[0], nylas_event_parse), 0);
}

static void test_participants_with_answers_are_read(void)
{
	json_t *j = json_loads("{\"id\":\"e\",\"ical_uid\":\"u\",\"when\":{\"start_time\":1714557600,\"end_time\":1714559400},"
	    "\"organizer\":{\"email\":\"Ann@Example.com\",\"name\":\"Ann\"},\"participants\":["
	    "{\"email\":\"bob@c.example\",\"status\":\"yes\"},{\"email\":\"c@c.example\",\"status\":\"maybe\"},"
	    "{\"email\":\"d@c.example\",\"status\":\"no\"},{\"email\":\"e@c.example\",\"status\":\"noreply\"},{\"name\":\"x\"}]}",
	    0, NULL);
	struct sync_event e;
	CHECK_INT(nylas_event_parse(j, &e), 0);
	json_decref(j);
	CHECK_STR(e.organizer.email, "ann@example.com");
	CHECK_INT(e.n_attendees, 4);
	CHECK_STR(e.attendees[0].partstat, "ACCEPTED");
	CHECK_STR(e.attendees[1].partstat, "TENTATIVE");
	CHECK_STR(e.attendees[2].partstat, "DECLINED");
	CHECK_STR(e.attendees[3].partstat, "NEEDS-ACTION");
	event_free(&e);
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

static void test_crm_appointment_becomes_a_nylas_event(void)
{
	struct sync_event e = sample_event(0);
	char *b = nylas_event_body(&e);
	json_t *j = json_loads(b, 0, NULL);
	free(b);
	json_t *w = json_object_get(j, "when");
	CHECK_INT(json_integer_value(json_object_get(w, "start_time")), 1714557600);
	CHECK_INT(json_integer_value(json_object_get(w, "end_time")), 1714557600 + 45 * 60);
	CHECK_STR(json_string_value(json_object_get(w, "start_timezone")), "America/Chicago");
	CHECK_INT(json_array_size(json_object_get(j, "participants")), 1);
	json_decref(j);
	e = sample_event(1);
	b = nylas_event_body(&e);
	j = json_loads(b, 0, NULL);
	free(b);
	w = json_object_get(j, "when");
	CHECK_STR(json_string_value(json_object_get(w, "start_date")), "2024-05-01");
	CHECK_STR(json_string_value(json_object_get(w, "end_date")), "2024-05-02");
	e.duration_min = 1440;
	b = nylas_event_body(&e);
	json_decref(j);
	j = json_loads(b, 0, NULL);
	free(b);
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "when"), "date")), "2024-05-01");
	json_decref(j);
}

/* A send with files: base64 in the JSON body while it is small, multipart/form-data with the
 * JSON in "message" and the bytes as they are (NULs included) once it is not. */
static void test_send_with_files_picks_json_or_multipart(void)
{
	struct provider_cfg cfg = { .api_base = "http://nylas.test" };
	struct prov_link l = { .id = 1, .address = "me@x.test", .settings = "{\"grant_id\":\"g1\"}",
	    .cfg = &cfg };
	struct addr to = { "Ana", "ana@c.test" };
	static unsigned char small[] = { 'a', 0, 'b', '\r', '\n' };
	struct sync_attach a = { .name = "q \"1\".pdf", .media_type = "application/pdf",
	    .data = small, .size = sizeof small };
	struct sync_msg m = { .subject = "Quote", .body_text = "Hi", .to = &to, .n_to = 1,
	    .attachments = &a, .n_attachments = 1 };
	struct push_item it = { .kind = PUSH_MAIL_SEND, .mail = &m };
	struct http_req req;
	char err[200] = "";
	CHECK_INT(nylas_push_req(&l, &it, &req, err, sizeof err), STEP_MORE);
	CHECK_STR(req.url, "http://nylas.test/v3/grants/g1/messages/send");
	json_t *j = json_loads(req.body, 0, NULL);
	json_t *f = json_array_get(json_object_get(j, "attachments"), 0);
	CHECK(f != NULL);
	CHECK_STR(json_string_value(json_object_get(f, "filename")), "q \"1\".pdf");
	CHECK_STR(json_string_value(json_object_get(f, "content_type")), "application/pdf");
	CHECK_STR(json_string_value(json_object_get(f, "content")), "YQBiDQo=");
	CHECK_INT(json_integer_value(json_object_get(f, "size")), sizeof small);
	json_decref(j);
	http_req_clear(&req);

	size_t big = 3200 * 1000;
	unsigned char *data = calloc(1, big);
	CHECK(data != NULL);
	data[0] = 'Z';
	a.data = data;
	a.size = big;
	CHECK_INT(nylas_push_req(&l, &it, &req, err, sizeof err), STEP_MORE);
	const char *ct = NULL;
	for (char **h = req.headers; h && *h; h++)
		if (strncmp(*h, "Content-Type: ", 14) == 0)
			ct = *h + 14;
	CHECK(ct && strncmp(ct, "multipart/form-data; boundary=", 30) == 0);
	CHECK(req.body_len > big && req.body_len < big + 2000);
	CHECK(memmem(req.body, req.body_len, "name=\"message\"", 14) != NULL);
	CHECK(memmem(req.body, req.body_len, "filename=\"q %221%22.pdf\"", 22) != NULL);
	CHECK(memmem(req.body, req.body_len, "\"attachments\"", 13) == NULL);
	const char *start = memmem(req.body, req.body_len, "Content-Type: application/pdf\r\n\r\nZ", 34);
	CHECK(start != NULL);
	start += 33;
	CHECK(memcmp(start, data, big) == 0);
	CHECK(memcmp(start + big, "\r\n--", 4) == 0);
	http_req_clear(&req);

	/* a file the daemon could not read is refused, never sent without it */
	a.data = NULL;
	CHECK_INT(nylas_push_req(&l, &it, &req, err, sizeof err), PROV_PERM);
	CHECK(strstr(err, "could not be read") != NULL);
	free(data);
}

T_MAIN(T(test_crm_appointment_becomes_a_nylas_event), T(test_send_with_files_picks_json_or_multipart), T(test_events_map_to_sync_events), T(test_participants_with_answers_are_read))

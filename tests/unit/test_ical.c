/* Unit tests of iCalendar parsing (corpus in tests/unit/corpus/ics) and building. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/ical.h"
#include "t.h"

#define Y2025 1735689600LL   /* 2025-01-01T00:00:00Z */
#define Y2026 1767225600LL

static char *slurp(const char *name, size_t *len)
{
	const char *root = getenv("CRM_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/unit/corpus/ics/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

/* Parse a corpus file in a window; returns ical_parse's result. */
static int parse_file(const char *name, int64_t ws, int64_t we, struct event_list *out, char *err)
{
	size_t len = 0;
	char *ics = slurp(name, &len);
	if (!ics)
		return -2;
	int rc = ical_parse(ics, len, ws, we, NULL, out, err, 256);
	free(ics);
	return rc;
}

static void test_simple_event_keeps_people_and_text(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("simple.ics", Y2025, Y2026, &l, err), 1);
	struct sync_event *e = &l.v[0];
	CHECK_STR(e->uid, "simple-1@example.com");
	CHECK_INT(e->start, 1741618800);
	CHECK_INT(e->duration_min, 60);
	CHECK_INT(e->all_day, 0);
	CHECK(e->tzid == NULL);
	CHECK(e->recurrence_id == NULL);
	CHECK_INT(e->series_complete, 0);
	CHECK_STR(e->title, "Site visit, roof inspection");
	CHECK_STR(e->location, "1234 Washington Ave, Houston");
	CHECK_STR(e->description, "Bring the ladder.\nCall first.");
	CHECK_STR(e->organizer.email, "ann@example.com");
	CHECK_STR(e->organizer.name, "Ann Office");
	CHECK_INT(e->n_attendees, 2);
	CHECK_STR(e->attendees[0].who.email, "bob@example.com");
	CHECK_STR(e->attendees[0].who.name, "Bob Builder");
	CHECK_STR(e->attendees[0].partstat, "ACCEPTED");
	CHECK_STR(e->attendees[1].who.email, "carol@example.org");
	CHECK(e->attendees[1].who.name == NULL);
	CHECK_STR(e->attendees[1].partstat, "NEEDS-ACTION");
	CHECK_INT(e->updated, 1740910500);
	CHECK_INT(e->cancelled, 0);
	event_list_free(&l);
}

static void test_all_day_event_starts_at_midnight_utc(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("allday.ics", Y2025, Y2026, &l, err), 1);
	CHECK_INT(l.v[0].start, 1751587200);
	CHECK_INT(l.v[0].all_day, 1);
	CHECK_INT(l.v[0].duration_min, 2880);
	event_list_free(&l);
}

static void test_chicago_time_converts_to_utc_across_dst(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("tz_chicago.ics", Y2025, Y2026, &l, err), 2);
	CHECK_INT(l.v[0].start, 1752588000);   /* 09:00 CDT */
	CHECK_INT(l.v[0].duration_min, 90);
	CHECK_STR(l.v[0].tzid, "America/Chicago");
	CHECK_INT(l.v[1].start, 1736953200);   /* 09:00 CST */
	CHECK_INT(l.v[1].duration_min, 30);
	event_list_free(&l);
}

static void test_outlook_windows_zone_names_resolve(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("outlook_windows_tz.ics", Y2025, Y2026, &l, err), 1);
	CHECK_INT(l.v[0].start, 1736956800);   /* 10:00 CST */
	CHECK_STR(l.v[0].tzid, "America/Chicago");
	CHECK_STR(l.v[0].title, "Quarterly review");
	CHECK_STR(l.v[0].organizer.name, "Dana Manager");
	CHECK_STR(l.v[0].attendees[0].who.email, "eve@example.com");
	event_list_free(&l);
	CHECK_INT(parse_file("outlook_no_vtimezone.ics", Y2025, Y2026, &l, err), 1);
	CHECK_INT(l.v[0].start, 1736953200);   /* 10:00 EST */
	CHECK_STR(l.v[0].tzid, "America/New_York");
	CHECK_INT(l.v[0].duration_min, 15);
	event_list_free(&l);
}

static const struct {
	int64_t start;
	const char *recid;
	int cancelled, dur;
	const char *title;
} weekly[] = {
	{ 1741017600, "20250303T160000Z", 0, 30, "Crew standup" },
	{ 1741618800, "20250310T150000Z", 0, 30, "Crew standup" },
	/* 03-17 is an EXDATE */
	{ 1742929200, "20250324T150000Z", 0, 60, "Crew standup (moved)" },
	{ 1743433200, "20250331T150000Z", 1, 30, "Crew standup" },
	{ 1744038000, "20250407T150000Z", 0, 30, "Crew standup" },
};

static void test_weekly_series_expands_with_exdate_moved_and_cancelled(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("weekly_series.ics", Y2025, Y2026, &l, err), 5);
	for (size_t i = 0; i < 5; i++) {
		CHECK_STR(l.v[i].uid, "weekly-1@example.com");
		CHECK_INT(l.v[i].start, weekly[i].start);
		CHECK_STR(l.v[i].recurrence_id, weekly[i].recid);
		CHECK_INT(l.v[i].cancelled, weekly[i].cancelled);
		CHECK_INT(l.v[i].duration_min, weekly[i].dur);
		CHECK_STR(l.v[i].title, weekly[i].title);
		CHECK_INT(l.v[i].series_complete, 1);
		CHECK_STR(l.v[i].tzid, "America/Chicago");
	}
	event_list_free(&l);
}

static void test_series_window_keeps_occurrence_moved_into_it(void)
{
	struct event_list l = { 0 };
	char err[256];
	/* From 2025-03-25 00:00Z: the 03-24 slot is outside, its moved copy inside. */
	CHECK_INT(parse_file("weekly_series.ics", 1742860800, Y2026, &l, err), 3);
	int moved = 0;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].recurrence_id, "20250324T150000Z") == 0 && l.v[i].start == 1742929200)
			moved = 1;
	CHECK(moved);
	event_list_free(&l);
	CHECK_INT(parse_file("weekly_series.ics", Y2026, Y2026 + 86400 * 30, &l, err), 0);
	event_list_free(&l);
}

static void test_all_day_series_with_rdate_and_exdate(void)
{
	struct event_list l = { 0 };
	char err[256];
	static const char *ids[] = { "20250301", "20250415", "20250501", "20250601" };
	CHECK_INT(parse_file("allday_series.ics", Y2025, Y2026, &l, err), 4);
	for (size_t i = 0; i < 4; i++) {
		CHECK_STR(l.v[i].recurrence_id, ids[i]);
		CHECK_INT(l.v[i].all_day, 1);
		CHECK_INT(l.v[i].duration_min, 1440);
	}
	CHECK_INT(l.v[1].start, 1744675200);
	event_list_free(&l);
}

static void test_exdate_list_skips_each_date(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("exdate_list.ics", Y2025, Y2026, &l, err), 3);
	CHECK_STR(l.v[0].recurrence_id, "20250310T150000Z");
	CHECK_STR(l.v[1].recurrence_id, "20250312T150000Z");
	CHECK_STR(l.v[2].recurrence_id, "20250314T150000Z");
	event_list_free(&l);
}

static void test_cancelled_event_is_marked(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("cancelled_event.ics", Y2025, Y2026, &l, err), 1);
	CHECK_INT(l.v[0].cancelled, 1);
	CHECK_INT(l.v[0].start, 1741791600);
	event_list_free(&l);
}

static void test_missing_dtend_gives_default_duration(void)
{
	struct event_list l = { 0 };
	char err[256];
	CHECK_INT(parse_file("no_dtend.ics", Y2025, Y2026, &l, err), 3);
	CHECK_INT(l.v[0].duration_min, 0);
	CHECK_INT(l.v[1].duration_min, 45);
	CHECK_INT(l.v[2].duration_min, 1440);
	CHECK_INT(l.v[2].all_day, 1);
	event_list_free(&l);
}

static void test_huge_series_is_capped(void)
{
	struct event_list l = { 0 };
	char err[256];
	size_t daily = 0, minutely = 0, old = 0;
	CHECK_INT(parse_file("huge_count.ics", Y2025, Y2026, &l, err), 365 + ICAL_MAX_OCCURRENCES);
	for (size_t i = 0; i < l.n; i++) {
		daily += strcmp(l.v[i].uid, "daily-forever@example.com") == 0;
		minutely += strcmp(l.v[i].uid, "minutely@example.com") == 0;
		old += strcmp(l.v[i].uid, "secondly-old@example.com") == 0;
	}
	CHECK_INT(daily, 365);
	CHECK_INT(minutely, ICAL_MAX_OCCURRENCES);
	CHECK_INT(old, 0);
	event_list_free(&l);
}

static void test_malformed_input_is_refused_with_a_reason(void)
{
	static const char *bad[] = { "garbage.ics", "no_dtstart.ics", "bad_dtstart.ics" };
	struct event_list l = { 0 };
	char err[256];
	CHECK(event_list_add(&l) != NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		CHECK_INT(parse_file(bad[i], Y2025, Y2026, &l, err), -1);
		CHECK(err[0] != 0);
		CHECK_INT(l.n, 1);
	}
	static const char *inline_bad[] = { "", "BEGIN:VCALENDAR\r\n", "BEGIN:VEVENT\r\nEND:VEVENT\r\n",
		"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20250101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" };
	for (size_t i = 0; i < sizeof inline_bad / sizeof inline_bad[0]; i++)
		CHECK_INT(ical_parse(inline_bad[i], strlen(inline_bad[i]), Y2025, Y2026, NULL, &l, err, sizeof err), -1);
	CHECK_INT(ical_parse("BEGIN:VCALENDAR\0x", 17, Y2025, Y2026, NULL, &l, err, sizeof err), -1);
	CHECK_INT(l.n, 1);
	event_list_free(&l);
}

/* Truncated and bit-flipped copies of the corpus parse or fail, never crash (run under ASan). */
static void test_mangled_ics_never_crashes(void)
{
	static const char *files[] = { "simple.ics", "tz_chicago.ics", "outlook_windows_tz.ics",
		"weekly_series.ics", "allday_series.ics", "no_dtend.ics", "exdate_list.ics" };
	unsigned seed = 12345;
	char err[256];
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len = 0;
		char *ics = slurp(files[f], &len);
		CHECK(ics != NULL);
		for (size_t cut = 0; cut < len; cut += 11) {
			struct event_list l = { 0 };
			ical_parse(ics, cut, Y2025, Y2026, NULL, &l, err, sizeof err);
			event_list_free(&l);
		}
		for (int round = 0; round < 100; round++) {
			char *m = malloc(len + 1);
			memcpy(m, ics, len + 1);
			for (int k = 0; k < 4; k++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = (seed >> 8) % len;
				seed = seed * 1103515245u + 12345u;
				m[at] = "\n\r:;=,\"\\ZT0129-^x"[(seed >> 8) % 18];
			}
			struct event_list l = { 0 };
			ical_parse(m, len, Y2025, Y2026, NULL, &l, err, sizeof err);
			event_list_free(&l);
			free(m);
		}
		free(ics);
	}
}

static void test_built_appointment_round_trips(void)
{
	struct attendee att[2] = { { { "Bob; \"B\"", "bob@example.com" }, NULL },
		{ { NULL, "carol@example.org" }, "ACCEPTED" } };
	struct sync_event e = { 0 };
	e.uid = "crm-42@crm.example";
	e.start = 1752588000;
	e.duration_min = 45;
	e.tzid = "America/Chicago";
	e.title = "Estimate, roof; gutters";
	e.location = "1234 Washington Ave";
	e.description = "Line one\nLine two";
	e.organizer.email = "ann@example.com";
	e.organizer.name = "Ann Office";
	e.attendees = att;
	e.n_attendees = 2;
	char *ics = ical_build_seq(&e, "-//CRM//Sync//EN", 3);
	CHECK(ics != NULL);
	CHECK(strstr(ics, "BEGIN:VTIMEZONE") != NULL);
	CHECK(strstr(ics, "DTSTART;TZID=America/Chicago:20250715T090000") != NULL);
	CHECK(strstr(ics, "RSVP=TRUE") != NULL);
	CHECK(strstr(ics, "SEQUENCE:3") != NULL);
	CHECK(strstr(ics, "DTSTAMP:") != NULL);
	struct event_list l = { 0 };
	char err[256];
	int rc = ical_parse(ics, strlen(ics), Y2025, Y2026, NULL, &l, err, sizeof err);
	free(ics);
	CHECK_INT(rc, 1);
	struct sync_event *p = &l.v[0];
	CHECK_STR(p->uid, e.uid);
	CHECK_INT(p->start, e.start);
	CHECK_INT(p->duration_min, 45);
	CHECK_STR(p->tzid, "America/Chicago");
	CHECK_STR(p->title, e.title);
	CHECK_STR(p->location, e.location);
	CHECK_STR(p->description, e.description);
	CHECK_STR(p->organizer.email, "ann@example.com");
	CHECK_INT(p->n_attendees, 2);
	CHECK_STR(p->attendees[0].who.name, "Bob; \"B\"");
	CHECK_STR(p->attendees[0].partstat, "NEEDS-ACTION");
	CHECK_STR(p->attendees[1].partstat, "ACCEPTED");
	event_list_free(&l);
}

static void test_built_all_day_and_cancelled_round_trip(void)
{
	struct sync_event e = { 0 };
	e.uid = "crm-43@crm.example";
	e.start = 1751587200;
	e.all_day = 1;
	e.duration_min = 1440;
	e.cancelled = 1;
	e.title = "Closed";
	char *ics = ical_build(&e, NULL);
	CHECK(ics != NULL);
	CHECK(strstr(ics, "DTSTART;VALUE=DATE:20250704") != NULL);
	struct event_list l = { 0 };
	char err[256];
	int rc = ical_parse(ics, strlen(ics), Y2025, Y2026, NULL, &l, err, sizeof err);
	free(ics);
	CHECK_INT(rc, 1);
	CHECK_INT(l.v[0].start, e.start);
	CHECK_INT(l.v[0].all_day, 1);
	CHECK_INT(l.v[0].duration_min, 1440);
	CHECK_INT(l.v[0].cancelled, 1);
	event_list_free(&l);
	e.all_day = 0;
	e.tzid = NULL;
	ics = ical_build(&e, NULL);
	CHECK(ics != NULL);
	CHECK(strstr(ics, "DTSTART:20250704T000000Z") != NULL);
	free(ics);
}

static void test_build_refuses_missing_uid_or_unknown_zone(void)
{
	struct sync_event e = { 0 };
	e.start = 1752588000;
	CHECK(ical_build(&e, NULL) == NULL);
	e.uid = "x";
	e.tzid = "Mars/Olympus_Mons";
	CHECK(ical_build(&e, NULL) == NULL);
	e.tzid = "Central Standard Time";
	char *ics = ical_build(&e, NULL);
	CHECK(ics != NULL);
	CHECK(strstr(ics, "TZID=America/Chicago") != NULL);
	free(ics);
}


/* One VEVENT (UID u, the DTSTART line given, 30 minutes, optional RRULE) parsed for an owner. */
static int parse_one(const char *dtstart, const char *extra, const char *owner,
    struct event_list *out)
{
	char ics[1024], err[256];
	snprintf(ics, sizeof ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
	    "BEGIN:VEVENT\r\nUID:u@t\r\nDTSTAMP:20250101T000000Z\r\n%s\r\nDURATION:PT30M\r\n%s"
	    "SUMMARY:Site visit\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", dtstart, extra ? extra : "");
	return ical_parse(ics, strlen(ics), Y2025, Y2026, owner, out, err, sizeof err);
}

static void test_floating_time_is_in_the_owners_zone(void)
{
	struct event_list l = { 0 };
	CHECK_INT(parse_one("DTSTART:20250115T100000", NULL, "America/Chicago", &l), 1);
	CHECK_INT(l.v[0].start, 1736956800);   /* 10:00 CST = 16:00Z, not 10:00Z */
	CHECK_STR(l.v[0].tzid, "America/Chicago");
	CHECK_INT(l.v[0].duration_min, 30);
	event_list_free(&l);
	CHECK_INT(parse_one("DTSTART:20250115T100000", NULL, "Asia/Kolkata", &l), 1);
	CHECK_INT(l.v[0].start, 1736935200 - 5 * 3600 - 1800);   /* 10:00 IST = 04:30Z */
	event_list_free(&l);
	/* without an owner's zone (or with one this machine does not know): UTC */
	CHECK_INT(parse_one("DTSTART:20250115T100000", NULL, NULL, &l), 1);
	CHECK_INT(l.v[0].start, 1736935200);
	event_list_free(&l);
	CHECK_INT(parse_one("DTSTART:20250115T100000", NULL, "Not/AZone", &l), 1);
	CHECK_INT(l.v[0].start, 1736935200);
	event_list_free(&l);
	/* a UTC time stays UTC whoever owns it */
	CHECK_INT(parse_one("DTSTART:20250115T100000Z", NULL, "America/Chicago", &l), 1);
	CHECK_INT(l.v[0].start, 1736935200);
	event_list_free(&l);
}

static void test_floating_series_follows_the_owners_dst(void)
{
	struct event_list l = { 0 };
	CHECK_INT(parse_one("DTSTART:20250303T100000", "RRULE:FREQ=WEEKLY;COUNT=2\r\n",
	    "America/Chicago", &l), 2);
	CHECK_INT(l.v[0].start, 1741017600);   /* 03-03 10:00 CST = 16:00Z */
	CHECK_INT(l.v[1].start, 1741618800);   /* 03-10 10:00 CDT = 15:00Z */
	event_list_free(&l);
}

static void test_unknown_tzid_is_in_the_owners_zone(void)
{
	struct event_list l = { 0 };
	CHECK_INT(parse_one("DTSTART;TZID=Customized Time Zone:20250115T100000", NULL,
	    "America/Chicago", &l), 1);
	CHECK_INT(l.v[0].start, 1736956800);
	CHECK_STR(l.v[0].tzid, "America/Chicago");
	event_list_free(&l);
	CHECK_INT(parse_one("DTSTART;TZID=Mars/Olympus_Mons:20250115T100000", NULL,
	    "Pacific/Honolulu", &l), 1);
	CHECK_INT(l.v[0].start, 1736935200 + 10 * 3600);   /* 10:00 HST = 20:00Z */
	event_list_free(&l);
}

static void test_every_cldr_windows_name_resolves_without_vtimezone(void)
{
	struct event_list l = { 0 };
	/* names beyond the few a hand-written table held */
	CHECK_INT(parse_one("DTSTART;TZID=Tonga Standard Time:20250115T100000", NULL,
	    "America/Chicago", &l), 1);
	CHECK_INT(l.v[0].start, 1736935200 - 13 * 3600);   /* 10:00 +13 = 21:00Z the day before */
	CHECK_STR(l.v[0].tzid, "Pacific/Tongatapu");
	event_list_free(&l);
	CHECK_INT(parse_one("DTSTART;TZID=Dateline Standard Time:20250115T100000", NULL,
	    "America/Chicago", &l), 1);
	CHECK_INT(l.v[0].start, 1736935200 + 12 * 3600);   /* 10:00 UTC-12 = 22:00Z */
	CHECK_STR(l.v[0].tzid, "Etc/GMT+12");
	event_list_free(&l);
}

static void test_all_day_is_its_date_for_every_owner(void)
{
	static const char *const owners[] = { "Pacific/Honolulu", "UTC", "Pacific/Tongatapu", NULL };
	for (int i = 0; i < 4; i++) {
		struct event_list l = { 0 };
		CHECK_INT(parse_one("DTSTART;VALUE=DATE:20250731", "DTEND;VALUE=DATE:20250802\r\n",
		    owners[i], &l), 1);
		CHECK_INT(l.v[0].start, 1753920000);   /* 2025-07-31T00:00:00Z */
		CHECK_INT(l.v[0].all_day, 1);
		CHECK_INT(l.v[0].duration_min, 2 * 1440);   /* DTEND is exclusive */
		CHECK(l.v[0].tzid == NULL);
		event_list_free(&l);
	}
}

T_MAIN(T(test_simple_event_keeps_people_and_text),
    T(test_all_day_event_starts_at_midnight_utc),
    T(test_chicago_time_converts_to_utc_across_dst),
    T(test_outlook_windows_zone_names_resolve),
    T(test_weekly_series_expands_with_exdate_moved_and_cancelled),
    T(test_series_window_keeps_occurrence_moved_into_it),
    T(test_all_day_series_with_rdate_and_exdate),
    T(test_exdate_list_skips_each_date),
    T(test_cancelled_event_is_marked),
    T(test_missing_dtend_gives_default_duration),
    T(test_huge_series_is_capped),
    T(test_malformed_input_is_refused_with_a_reason),
    T(test_mangled_ics_never_crashes),
    T(test_built_appointment_round_trips),
    T(test_built_all_day_and_cancelled_round_trip),
    T(test_build_refuses_missing_uid_or_unknown_zone),
    T(test_floating_time_is_in_the_owners_zone),
    T(test_floating_series_follows_the_owners_dst),
    T(test_unknown_tzid_is_in_the_owners_zone),
    T(test_every_cldr_windows_name_resolves_without_vtimezone),
    T(test_all_day_is_its_date_for_every_owner))

/* Meeting identity across users and providers: Exchange's Global Object IDs decoded, a pushed
 * meeting seen in a colleague's calendar joining the one appointment, and only the organizer's
 * copy changing what everyone sees (attendees their own status, outsiders nothing). */
#include <time.h>

#include "t.h"
#include "sync_fixture.h"
#include "core/appointments.h"
#include "core/db_outbox.h"
#include "core/db_sync.h"
#include "core/uid.h"
#include "sync/outbox.h"

/* Real-form Global Object IDs as Exchange writes them in iCalUId / UID. */
/* A meeting from another calendar: the "vCal-Uid" marker wraps its UID. */
#define GOID_VCAL \
	"040000008200E00074C5B7101A82E0080000000000000000000000000000000000000000330000007643616C2D" \
	"556964010000007B38313431324433432D324132342D344539442D423230452D3131463742424539323739397D00"
/* The same form around a Google UID, and the same again naming one occurrence (YH YL M D set). */
#define GOOGLE_UID "7kukuqrfedlm2f9t0vr42q2vc5@google.com"
#define GOID_GOOGLE \
	"040000008200E00074C5B7101A82E0080000000000000000000000000000000000000000320000007643616C2D" \
	"55696401000000376B756B7571726665646C6D326639743076723432713276633540676F6F676C652E636F6D00"
#define GOID_GOOGLE_OCC \
	"040000008200E00074C5B7101A82E00807E70B1400000000000000000000000000000000320000007643616C2D" \
	"55696401000000376B756B7571726665646C6D326639743076723432713276633540676F6F676C652E636F6D00"
/* Outlook-made meetings (no marker): an Office 365 one, and an occurrence of an Exchange 2007
 * series, whose series id has the date bytes cleared. */
#define GOID_O365 \
	"040000008200E00074C5B7101A82E00800000000A0F138B6F746D001000000000000000010000000ACC38089128C" \
	"584981E88B127B298984"
#define GOID_OCC \
	"040000008200E00074C5B7101A82E00807D40910E040C9C12685C4010000000000000000100000000BF0ED4B6E4E" \
	"E94E9E39E3867B378EF3"
#define GOID_OCC_SERIES \
	"040000008200E00074C5B7101A82E00800000000E040C9C12685C4010000000000000000100000000BF0ED4B6E4E" \
	"E94E9E39E3867B378EF3"

static const char CAROL[] = "carol@crm.example";

/* A third user, Carol, with her own link; her store into *s. */
static int carol(struct fx *f, struct store *s, int64_t *user)
{
	int64_t link;
	if (db_users_add(f->db, "Carol", CAROL, "pw-carol-1", "user", "UTC", user) ||
	    db_links_add(f->db, *user, "nylas", CAROL, "{}", NULL, 0, &link))
		return -1;
	*s = (struct store){ .db = f->db, .link_id = link, .user_id = *user, .address = CAROL,
	    .now = 1700000000 };
	return 0;
}

static void attendee(struct sync_event *e, const char *email, const char *partstat)
{
	struct attendee *a = realloc(e->attendees, (e->n_attendees + 1) * sizeof *a);
	if (!a)
		abort();
	e->attendees = a;
	fx_addr(&a[e->n_attendees].who, email);
	a[e->n_attendees].partstat = strdup(partstat);
	e->n_attendees++;
}

static long long appt_count(struct fx *f)
{
	return fx_int(f, "SELECT count(*) FROM appointments", 0);
}

static void test_exchange_wrapped_uid_joins_meeting(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ GOID_VCAL, "{81412D3C-2A24-4E9D-B20E-11F7BBE92799}" },
		{ GOID_GOOGLE, GOOGLE_UID },
		{ GOID_GOOGLE_OCC, GOOGLE_UID },
		{ GOID_O365, GOID_O365 },
		{ GOID_OCC, GOID_OCC_SERIES },
		{ "040000008200e00074c5b7101a82e00800000000a0f138b6f746d001000000000000000010000000acc38089"
		  "128c584981e88b127b298984", GOID_O365 },
		{ GOOGLE_UID, GOOGLE_UID },
		{ "crm-abc@crm.invalid", "crm-abc@crm.invalid" },
		{ "040000008200E00074C5B7101A82E008", "040000008200E00074C5B7101A82E008" },
		/* a size larger than the bytes there: not taken apart */
		{ "040000008200E00074C5B7101A82E0080000000000000000000000000000000000000000FF0000007643616C2D"
		  "55696401000000", "040000008200E00074C5B7101A82E0080000000000000000000000000000000000000000"
		  "FF0000007643616C2D55696401000000" },
		/* not hex */
		{ "040000008200E00074C5B7101A82E008000000000000000000000000000000000000000032000000ZZ",
		  "040000008200E00074C5B7101A82E008000000000000000000000000000000000000000032000000ZZ" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = uid_canonical(cases[i].in);
		int same = got && strcmp(got, cases[i].want) == 0;
		if (!same)
			fprintf(stderr, "  case %zu: %s\n", i, got ? got : "(null)");
		free(got);
		CHECK(same);
	}

	/* A Google user's meeting, organized by a contact, inviting Alice and Bob; Bob's Exchange
	 * calendar shows it under the wrapped form. One appointment, both copies. */
	struct fx f;
	struct event_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	struct sync_event *e = fx_event(&l, "google-ev-1", GOOGLE_UID, NULL, "g1",
	    "john.smith@example.net", "alice@crm.example", 1700000000, "Rates review");
	attendee(e, "bob@crm.example", "NEEDS-ACTION");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "t1") == 0);
	e = fx_event(&l, "AAMkAGbob1", GOID_GOOGLE, NULL, "W/\"1\"", "john.smith@example.net",
	    "alice@crm.example", 1700000000, "Rates review");
	attendee(e, "bob@crm.example", "ACCEPTED");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "t1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users", 0), 2);
	CHECK_STR(fx_text(&f, "SELECT ical_uid FROM appointments", 0), GOOGLE_UID);
	CHECK_STR(fx_text(&f, "SELECT provider_id FROM appointment_users WHERE user_id = ?", f.bob),
	    "AAMkAGbob1");
	/* The other way round: the Exchange copy first, the Google one joins it. */
	e = fx_event(&l, "AAMkAGbob2", GOID_VCAL, NULL, "W/\"1\"", "john.smith@example.net",
	    "bob@crm.example", 1700090000, "Pump install");
	attendee(e, "alice@crm.example", "NEEDS-ACTION");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "t2") == 0);
	e = fx_event(&l, "google-ev-2", "{81412D3C-2A24-4E9D-B20E-11F7BBE92799}", NULL, "g2",
	    "john.smith@example.net", "bob@crm.example", 1700090000, "Pump install");
	attendee(e, "alice@crm.example", "NEEDS-ACTION");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "t2") == 0);
	CHECK_INT(appt_count(&f), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users u JOIN appointments a"
	    " ON a.id = u.appointment_id WHERE a.title = 'Pump install'", 0), 2);
	fx_close(&f);
}

/* Alice's CRM appointment with John, pushed to her Graph calendar, which names it by its own
 * Global Object ID; the push's result is recorded as the outbox does. */
static int64_t pushed(struct fx *f, const char *uid)
{
	int64_t contacts[] = { f->john }, id = 0;
	struct appt_new a = { .assigned_user_id = f->alice, .type = "Site Visit",
	    .start_at = 1900000000, .duration_min = 45, .time_zone = "America/Chicago",
	    .location = "1234 Washington Ave", .title = "Pump install", .note = "gate code 42",
	    .contact_ids = contacts, .n_contacts = 1 };
	struct outbox_job job;
	struct push_result res = { 0 };
	if (db_appointments_create_crm(f->db, &a, &id) != 0 ||
	    db_outbox_event(f->db, f->alice, id, PUSH_EVENT_CREATE, NULL) != 0 ||
	    outbox_claim_due(f->db, time(NULL), &job) != 1)
		return -1;
	res.provider_id = strdup("AAMkAGalice1");
	res.etag = strdup("W/\"1\"");
	res.uid = uid ? strdup(uid) : NULL;
	int rc = outbox_finish(f->db, &job, STEP_DONE, &res, 0, time(NULL));
	outbox_job_free(&job);
	push_result_clear(&res);
	return rc == 0 ? id : -1;
}

/* The meeting as a calendar shows it: organized by Alice's mailbox, John and Bob invited. */
static struct sync_event *as_seen(struct event_list *l, const char *pid, const char *uid,
    const char *etag, const char *title, int64_t start)
{
	struct sync_event *e = fx_event(l, pid, uid, NULL, etag, "alice@crm.example",
	    "john.smith@example.net", start, title);
	attendee(e, "bob@crm.example", "NEEDS-ACTION");
	e->duration_min = 45;
	return e;
}

static void test_pushed_meeting_seen_by_colleague_is_one_item(void)
{
	struct fx f;
	struct event_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t id = pushed(&f, GOID_O365);
	CHECK(id > 0);
	/* Alice's pull brings it back (Bob invited in Outlook meanwhile); Bob's calendar shows it
	 * under his own id and the same iCalUId. */
	as_seen(&l, "AAMkAGalice1", GOID_O365, "W/\"2\"", "Pump install", 1900000000);
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "d1") == 0);
	as_seen(&l, "AAMkAGbob9", GOID_O365, "W/\"7\"", "Pump install", 1900000000);
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "d1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE appointment_id = ?", id), 2);
	CHECK_STR(fx_text(&f, "SELECT provider_id FROM appointment_users WHERE user_id = ?", f.bob),
	    "AAMkAGbob9");
	CHECK_STR(fx_text(&f, "SELECT source || '|' || note FROM appointments WHERE id = ?", id),
	    "crm|gate code 42");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_aliases WHERE appointment_id = ?", id),
	    2);
	fx_close(&f);

	/* Bob's calendar is read before Alice's: the push's UID alone joins it, and Bob's copy,
	 * not invited yet in what the CRM knows, waits until Alice's copy lists him. */
	CHECK(fx_open(&f) == 0);
	id = pushed(&f, GOID_O365);
	CHECK(id > 0);
	as_seen(&l, "AAMkAGbob9", GOID_O365, "W/\"7\"", "Pump install", 1900000000);
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "d1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE user_id = ?", f.bob), 0);
	as_seen(&l, "AAMkAGalice1", GOID_O365, "W/\"2\"", "Pump install", 1900000000);
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "d1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE appointment_id = ?", id), 2);
	CHECK_STR(fx_text(&f, "SELECT provider_id FROM appointment_users WHERE user_id = ?", f.bob),
	    "AAMkAGbob9");
	/* Alice invites Carol, a third colleague on Nylas, whose calendar shows it under the same
	 * UID: her copy joins too. */
	struct store sc;
	int64_t carol_id;
	CHECK(carol(&f, &sc, &carol_id) == 0);
	attendee(as_seen(&l, "AAMkAGalice1", GOID_O365, "W/\"3\"", "Pump install", 1900000000),
	    CAROL, "NEEDS-ACTION");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "d2") == 0);
	attendee(as_seen(&l, "nylas-ev-3", GOID_O365, "c1", "Pump install", 1900000000), CAROL,
	    "ACCEPTED");
	CHECK(store_commit(&sc, STREAM_EVENTS, NULL, &l, "n1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE appointment_id = ?", id), 3);
	CHECK_STR(fx_text(&f, "SELECT partstat FROM appointment_attendees WHERE email ="
	    " 'carol@crm.example'", 0), "ACCEPTED");
	fx_close(&f);
}

/* Alice's meeting with John as her calendar shows it, Bob invited; stored through her link. */
static int64_t alices_meeting(struct fx *f, struct event_list *l)
{
	as_seen(l, "/alice/cal/m.ics", "meet-7@crm.example", "a1", "Rates review", 1700000000);
	if (store_commit(&f->sa, STREAM_EVENTS, NULL, l, "t1") != 0)
		return -1;
	return fx_int(f, "SELECT id FROM appointments WHERE ical_uid = 'meet-7@crm.example'", 0);
}

static void test_outsider_uid_cannot_rewrite_meeting(void)
{
	struct fx f;
	struct event_list l = { 0 };
	struct store sc;
	int64_t carol_id;
	CHECK(fx_open(&f) == 0);
	CHECK(carol(&f, &sc, &carol_id) == 0);
	int64_t id = alices_meeting(&f, &l);
	CHECK(id > 0);
	/* A stranger invites Carol with the meeting's UID, another title and time. */
	struct sync_event *e = fx_event(&l, "nylas-x1", "meet-7@crm.example", NULL, "x1",
	    "stranger@elsewhere.example", "john.smith@example.net", 1700500000, "Meeting cancelled,"
	    " call me");
	attendee(e, CAROL, "NEEDS-ACTION");
	CHECK(store_commit(&sc, STREAM_EVENTS, NULL, &l, "n1") == 0);
	/* The same into Bob's calendar (he is invited), once naming the stranger as organizer and
	 * once passing itself off as Alice. */
	e = fx_event(&l, "/bob/cal/x.ics", "meet-7@crm.example", NULL, "x2",
	    "stranger@elsewhere.example", "john.smith@example.net", 1700500000, "Moved, see link");
	attendee(e, "bob@crm.example", "NEEDS-ACTION");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "b1") == 0);
	e = fx_event(&l, "/bob/cal/x.ics", "meet-7@crm.example", NULL, "x3", "alice@crm.example",
	    "john.smith@example.net", 1700600000, "Moved again");
	attendee(e, "bob@crm.example", "NEEDS-ACTION");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "b2") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || start_at || '|' || organizer_email FROM"
	    " appointments WHERE id = ?", id), "Rates review|1700000000|alice@crm.example");
	CHECK_STR(fx_text(&f, "SELECT string_agg(email, ' ') FROM (SELECT email FROM"
	    " appointment_attendees WHERE appointment_id = ? ORDER BY email) q", id),
	    "alice@crm.example bob@crm.example john.smith@example.net");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE user_id = ?", carol_id), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_contacts WHERE appointment_id = ?", id),
	    1);
	/* The stranger's mail to Carol, deleted from her calendar, can never join later. */
	struct sync_event *d = event_list_add(&l);
	d->provider_id = strdup("nylas-x1");
	d->deleted = 1;
	CHECK(store_commit(&sc, STREAM_EVENTS, NULL, &l, "n2") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_aliases WHERE user_id = ?", carol_id),
	    0);
	/* The organizer's own copy still changes it. */
	as_seen(&l, "/alice/cal/m.ics", "meet-7@crm.example", "a2", "Rates review (moved)",
	    1700003600);
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "t2") == 0);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || start_at FROM appointments WHERE id = ?", id),
	    "Rates review (moved)|1700003600");
	fx_close(&f);

	/* A meeting organized outside the CRM (by John): the stranger's copy to Carol changes
	 * nothing either, while an invited colleague's copy carries John's update. */
	CHECK(fx_open(&f) == 0);
	CHECK(carol(&f, &sc, &carol_id) == 0);
	e = fx_event(&l, "/alice/cal/j.ics", "john-1@example.net", NULL, "a1",
	    "john.smith@example.net", "alice@crm.example", 1700000000, "Site walk");
	attendee(e, "bob@crm.example", "NEEDS-ACTION");
	CHECK(store_commit(&f.sa, STREAM_EVENTS, NULL, &l, "t1") == 0);
	e = fx_event(&l, "nylas-x2", "john-1@example.net", NULL, "x1", "stranger@elsewhere.example",
	    CAROL, 1700900000, "Site walk cancelled");
	CHECK(store_commit(&sc, STREAM_EVENTS, NULL, &l, "n1") == 0);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || start_at FROM appointments", 0),
	    "Site walk|1700000000");
	e = fx_event(&l, "/bob/cal/j.ics", "john-1@example.net", NULL, "b1", "john.smith@example.net",
	    "alice@crm.example", 1700007200, "Site walk (later)");
	attendee(e, "bob@crm.example", "ACCEPTED");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "b1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || start_at FROM appointments", 0),
	    "Site walk (later)|1700007200");
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE user_id = ?", carol_id), 0);
	fx_close(&f);
}

static void test_attendee_copy_updates_only_own_status(void)
{
	struct fx f;
	struct event_list l = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t id = alices_meeting(&f, &l);
	CHECK(id > 0);
	/* Bob accepts; his calendar also shows a title he edited, another time and John as having
	 * declined: only Bob's own answer reaches the shared meeting. */
	struct sync_event *e = fx_event(&l, "/bob/cal/m.ics", "meet-7@crm.example", NULL, "b1",
	    "alice@crm.example", "john.smith@example.net", 1700007200, "Rates review (my notes)");
	free(e->attendees[0].partstat);
	e->attendees[0].partstat = strdup("DECLINED");
	attendee(e, "bob@crm.example", "ACCEPTED");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "b1") == 0);
	CHECK_INT(appt_count(&f), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM appointment_users WHERE appointment_id = ?", id), 2);
	CHECK_STR(fx_text(&f, "SELECT title || '|' || start_at || '|' || duration_min FROM"
	    " appointments WHERE id = ?", id), "Rates review|1700000000|45");
	CHECK_STR(fx_text(&f, "SELECT partstat FROM appointment_attendees WHERE email ="
	    " 'bob@crm.example'", 0), "ACCEPTED");
	CHECK_STR(fx_text(&f, "SELECT partstat FROM appointment_attendees WHERE email ="
	    " 'john.smith@example.net'", 0), "NEEDS-ACTION");
	CHECK_STR(fx_text(&f, "SELECT etag FROM appointment_users WHERE user_id = ?", f.bob), "b1");
	/* Bob declines later: his status follows, the meeting stays. */
	e = fx_event(&l, "/bob/cal/m.ics", "meet-7@crm.example", NULL, "b2", "alice@crm.example",
	    "john.smith@example.net", 1700007200, "Rates review (my notes)");
	attendee(e, "bob@crm.example", "DECLINED");
	CHECK(store_commit(&f.sb, STREAM_EVENTS, NULL, &l, "b2") == 0);
	CHECK_STR(fx_text(&f, "SELECT partstat FROM appointment_attendees WHERE email ="
	    " 'bob@crm.example'", 0), "DECLINED");
	CHECK_STR(fx_text(&f, "SELECT title FROM appointments WHERE id = ?", id), "Rates review");
	fx_close(&f);
}

T_MAIN(T(test_exchange_wrapped_uid_joins_meeting),
    T(test_pushed_meeting_seen_by_colleague_is_one_item),
    T(test_outsider_uid_cannot_rewrite_meeting),
    T(test_attendee_copy_updates_only_own_status))

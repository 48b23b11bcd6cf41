/* Who sees which copy: the one rule of core/visibility.h, by a table of cases (owner, Public,
 * Private, Private shared, admin, hidden) against a real SQLite database, for messages,
 * appointments and calendars, and a thread judged message by message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/db_calendar.h"
#include "core/db_web.h"
#include "t.h"
#include "tmpdir.h"
#include "test_db_target.h"

enum { OWEN = 1, PAT = 2, PRIYA = 3, VIC = 4, ADA = 5 };

static struct db *db_with_users(void)
{
	char path[160], file[160], err[200];
	static int n;
	snprintf(file, sizeof file, "%s/vis-%d.db", t_tmpdir(), n++);
	struct db *db = test_db_target(path, sizeof path, file) ? db_open(path, err, sizeof err) : NULL;
	if (!db)
		return NULL;
	/* Owen and Vic private, Pat public, Priya private and shared with Vic, Ada an admin. */
	static const char seed[] =
	    "INSERT INTO users (id, name, email, password_hash, role, calendar_privacy, created_at)"
	    " VALUES (1, 'Owen', 'o@x.example', 'x', 'user', 'private', 0),"
	    " (2, 'Pat', 'p@x.example', 'x', 'user', 'public', 0),"
	    " (3, 'Priya', 'r@x.example', 'x', 'user', 'private', 0),"
	    " (4, 'Vic', 'v@x.example', 'x', 'user', 'private', 0),"
	    " (5, 'Ada', 'a@x.example', 'x', 'admin', 'public', 0);"
	    "INSERT INTO calendar_shares (owner_id, viewer_id) VALUES (3, 4);"
	    "INSERT INTO accounts (id, number, name) VALUES (1, '100', 'Acme');"
	    "INSERT INTO contacts (id, account_id, name) VALUES (1, 1, 'Carl');";
	if (db_exec(db, seed) != 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* One message and one appointment, each with one copy owned by owner; returns 0 or -1. */
static int add_copy(struct db *db, int64_t id, int owner, int hidden)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	    "INSERT INTO threads (id, subject, started_at, last_at) VALUES (%lld, 's', 0, 0);"
	    "INSERT INTO messages (id, thread_id, message_id, subject, sent_at, created_at)"
	    " VALUES (%lld, %lld, 'm%lld@x', 'Subject %lld', %lld, 0);"
	    "INSERT INTO message_users (message_id, user_id, direction, hidden)"
	    " VALUES (%lld, %d, 'received', %d);"
	    "INSERT INTO appointments (id, source, ical_uid, start_at, title, created_at, updated_at)"
	    " VALUES (%lld, 'imported', 'u%lld', %lld, 'Meeting', 0, 0);"
	    "INSERT INTO appointment_users (appointment_id, user_id, hidden) VALUES (%lld, %d, %d);",
	    (long long)id, (long long)id, (long long)id, (long long)id, (long long)id,
	    (long long)id * 100, (long long)id, owner, hidden, (long long)id, (long long)id,
	    (long long)id * 100, (long long)id, owner, hidden);
	return db_exec(db, sql);
}

static const struct vis_case {
	const char *what;
	int owner, viewer, hidden, want;
} vis_cases[] = {
	{ "owner sees their own copy on a private calendar", VIC, VIC, 0, 1 },
	{ "a Public colleague's copy is seen", PAT, VIC, 0, 1 },
	{ "a Private colleague's copy is not seen", OWEN, VIC, 0, 0 },
	{ "a Private colleague's copy shared with the viewer is seen", PRIYA, VIC, 0, 1 },
	{ "a Private copy shared with someone else is not seen", PRIYA, PAT, 0, 0 },
	{ "an admin sees a Public colleague's copy", PAT, ADA, 0, 1 },
	{ "an admin does not see a Private colleague's copy", OWEN, ADA, 0, 0 },
	{ "an admin's own Public copy is seen by a user", ADA, VIC, 0, 1 },
	{ "a hidden copy is seen by no one", PAT, VIC, 1, 0 },
	{ "a hidden copy is not seen by its owner", VIC, VIC, 1, 0 },
};

static void test_visibility_table(void)
{
	struct db *db = db_with_users();
	CHECK(db != NULL);
	for (size_t i = 0; i < sizeof vis_cases / sizeof vis_cases[0]; i++) {
		const struct vis_case *k = &vis_cases[i];
		int64_t id = (int64_t)i + 1;
		if (add_copy(db, id, k->owner, k->hidden) != 0) {
			db_close(db);
			CHECK(!"seed");
		}
		int msg = db_msg_visible(db, id, k->viewer), appt = db_appt_visible(db, id, k->viewer);
		if (msg != k->want || appt != k->want)
			fprintf(stderr, "  case \"%s\": message %d, appointment %d, want %d\n", k->what,
			    msg, appt, k->want);
		if (!k->hidden) {
			int cal = db_calendar_visible(db, k->owner, k->viewer);
			if (cal != k->want)
				fprintf(stderr, "  case \"%s\": calendar %d, want %d\n", k->what, cal,
				    k->want);
			CHECK_INT(cal, k->want);
		}
		CHECK_INT(msg, k->want);
		CHECK_INT(appt, k->want);
	}
	CHECK_INT(db_msg_visible(db, 999, VIC), 0);
	db_close(db);
}

/* Owen (Private) gets the first mail of a thread, Pat (Public) the reply: Vic sees the reply
 * alone, everywhere, and the thread sits on the reply's day with the reply's subject. */
static void test_thread_shows_only_what_the_viewer_may_see(void)
{
	struct db *db = db_with_users();
	CHECK(db != NULL);
	static const char seed[] =
	    "INSERT INTO threads (id, subject, started_at, last_at) VALUES (1, 'Secret', 1000, 90000);"
	    "INSERT INTO messages (id, thread_id, message_id, subject, sent_at, body_text, created_at)"
	    " VALUES (1, 1, 'a@x', 'Secret', 1000, 'private body', 0),"
	    " (2, 1, 'b@x', 'Re: Secret', 90000, 'public body', 0);"
	    "INSERT INTO message_users (message_id, user_id, direction) VALUES (1, 1, 'received'),"
	    " (2, 2, 'received');"
	    "INSERT INTO message_contacts (message_id, contact_id) VALUES (1, 1), (2, 1);";
	int ok = db_exec(db, seed) == 0;
	struct thread_msgs msgs = { 0 };
	struct cal_items items = { 0 }, owen = { 0 }, acct = { 0 }, mine = { 0 };
	struct cal_span span = { 0, 200000, 0, 200000 };
	ok = ok && db_web_thread_messages(db, 1, VIC, &msgs) == 0 &&
	    db_calendar_items(db, CAL_CONTACT, 1, VIC, &span, &items) == 0 &&
	    db_calendar_items(db, CAL_ACCOUNT, 1, VIC, &span, &acct) == 0 &&
	    db_calendar_items(db, CAL_USER, OWEN, VIC, &span, &owen) == 0 &&
	    db_calendar_items(db, CAL_USER, OWEN, OWEN, &span, &mine) == 0;
	int n_msgs = (int)msgs.n, first = msgs.n ? (int)msgs.v[0].id : 0;
	int n_mail = 0, n_owen = 0;
	int64_t at = 0, id = 0, acct_id = 0;
	char subject[40] = "";
	for (size_t i = 0; i < items.n; i++)
		if (items.v[i].kind == CAL_EMAIL) {
			n_mail++;
			at = items.v[i].start_at;
			id = items.v[i].id;
			snprintf(subject, sizeof subject, "%s", items.v[i].title);
		}
	for (size_t i = 0; i < acct.n; i++)
		if (acct.v[i].kind == CAL_EMAIL)
			acct_id = acct.v[i].id;
	for (size_t i = 0; i < owen.n; i++)
		n_owen += owen.v[i].kind == CAL_EMAIL;
	int64_t own_first = mine.n ? mine.v[0].id : 0;
	thread_msgs_free(&msgs);
	cal_items_free(&items);
	cal_items_free(&acct);
	cal_items_free(&owen);
	cal_items_free(&mine);
	int vis1 = db_msg_visible(db, 1, VIC), vis2 = db_msg_visible(db, 2, VIC);
	db_close(db);
	CHECK(ok);
	CHECK_INT(n_msgs, 1);
	CHECK_INT(first, 2);
	CHECK_INT(vis1, 0);
	CHECK_INT(vis2, 1);
	CHECK_INT(n_mail, 1);
	CHECK_INT(at, 90000);
	CHECK_INT(id, 2);
	CHECK_STR(subject, "Re: Secret");
	CHECK_INT(acct_id, 2);
	CHECK_INT(n_owen, 0);       /* Owen's calendar is closed to Vic */
	CHECK_INT(own_first, 1);    /* Owen sees his own thread on its first day */
}

T_MAIN(T(test_visibility_table), T(test_thread_shows_only_what_the_viewer_may_see))

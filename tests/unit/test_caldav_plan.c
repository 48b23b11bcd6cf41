/* caldav_plan(): which of a principal's calendars a pass syncs, what it notes for link_calendars
 * and which calendars' items it drops, as a table of cases. */
#include "t.h"

#include "providers/caldav_cals.h"

#define A "http://h/alice/a/"
#define B "http://h/alice/b/"
#define C "http://h/alice/c/"

struct known { const char *href; int chosen; const char *cursor; };

struct plan_case {
	const char *name;
	struct known known[3];
	const char *found[3];
	int use_cursors;
	const char *old_default, *legacy_url, *legacy_cursor;
	const char *want_sync;       /* the calendars synced, each "url[=cursor]" then ';' */
	const char *want_notes;      /* "S url;" seen, "G url;" gone */
	const char *want_drops;      /* paths dropped, each then ';' */
	const char *want_default;
};

static const struct plan_case cases[] = {
	{ "first pass: every calendar new, chosen, none with a cursor",
	  { { 0 } }, { A, B }, 0, NULL, NULL, NULL,
	  A ";" B ";", "S " A ";S " B ";", "", A },
	{ "known calendars sync from their cursors; a new one joins without",
	  { { A, 1, "ca" }, { B, 1, "cb" } }, { A, B, C }, 1, A, NULL, NULL,
	  A "=ca;" B "=cb;" C ";", "S " A ";S " B ";S " C ";", "", A },
	{ "a resync starts every calendar afresh",
	  { { A, 1, "ca" } }, { A }, 0, A, NULL, NULL, A ";", "S " A ";", "", A },
	{ "an unchosen calendar is not synced and its items go; pushes move to a chosen one",
	  { { A, 0, NULL }, { B, 1, "cb" } }, { A, B }, 1, A, NULL, NULL,
	  B "=cb;", "S " A ";S " B ";", "/alice/a/;", B },
	{ "a calendar gone from the server is noted and its items go",
	  { { A, 1, "ca" }, { B, 1, "cb" } }, { B }, 1, B, NULL, NULL,
	  B "=cb;", "S " B ";G " A ";", "/alice/a/;", B },
	{ "the calendar pushes went to stays the default while chosen",
	  { { A, 1, "ca" }, { B, 1, "cb" } }, { A, B }, 1, B, NULL, NULL,
	  A "=ca;" B "=cb;", "S " A ";S " B ";", "", B },
	{ "a cursor from before several calendars goes to its calendar",
	  { { 0 } }, { A, B }, 1, B, B, "old",
	  A ";" B "=old;", "S " A ";S " B ";", "", B },
	{ "nothing chosen: nothing synced, no default",
	  { { A, 0, NULL } }, { A }, 1, A, NULL, NULL, "", "S " A ";", "/alice/a/;", NULL },
};

static void run_case(const struct plan_case *k)
{
	struct link_cal known[3] = { { 0 } };
	size_t nk = 0;
	struct dav_cal_list found = { 0 };
	struct link_cal_list notes = { 0 };
	struct event_list drops = { 0 };
	struct cal_plan plan;
	char got_sync[512] = "", got_notes[512] = "", got_drops[256] = "";

	for (; nk < 3 && k->known[nk].href; nk++)
		known[nk] = (struct link_cal){ .href = (char *)k->known[nk].href,
		    .chosen = k->known[nk].chosen, .cursor = (char *)k->known[nk].cursor };
	for (size_t i = 0; i < 3 && k->found[i]; i++) {
		struct dav_cal *f = dav_cal_list_add(&found);
		CHECK(f && (f->url = strdup(k->found[i])));
	}
	CHECK_INT(caldav_plan(known, nk, &found, k->use_cursors, k->old_default, k->legacy_url,
	    k->legacy_cursor, &notes, &drops, &plan), 0);
	for (size_t i = 0; i < plan.n; i++)
		snprintf(got_sync + strlen(got_sync), sizeof got_sync - strlen(got_sync), "%s%s%s;",
		    plan.v[i].url, plan.v[i].cursor ? "=" : "", plan.v[i].cursor ? plan.v[i].cursor : "");
	for (size_t i = 0; i < notes.n; i++)
		snprintf(got_notes + strlen(got_notes), sizeof got_notes - strlen(got_notes), "%s %s;",
		    notes.v[i].op == CAL_SEEN ? "S" : notes.v[i].op == CAL_GONE ? "G" : "C",
		    notes.v[i].href);
	for (size_t i = 0; i < drops.n; i++) {
		CHECK(drops.v[i].deleted && drops.v[i].prefix);
		snprintf(got_drops + strlen(got_drops), sizeof got_drops - strlen(got_drops), "%s;",
		    drops.v[i].provider_id);
	}
	for (size_t i = 0; i < notes.n; i++)
		if (notes.v[i].op == CAL_SEEN)
			CHECK_INT(notes.v[i].chosen, 1);   /* a new calendar is chosen; known keep theirs */
	int ok = strcmp(got_sync, k->want_sync) == 0 && strcmp(got_notes, k->want_notes) == 0 &&
	    strcmp(got_drops, k->want_drops) == 0 &&
	    ((!k->want_default && !plan.default_url) || (k->want_default && plan.default_url &&
	    strcmp(k->want_default, plan.default_url) == 0));
	if (!ok)
		fprintf(stderr, "  %s:\n    sync %s\n    notes %s\n    drops %s\n    default %s\n",
		    k->name, got_sync, got_notes, got_drops, plan.default_url ? plan.default_url : "-");
	cal_plan_free(&plan);
	link_cal_list_free(&notes);
	event_list_free(&drops);
	dav_cal_list_free(&found);
	CHECK(ok);
}

static void test_plan_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run_case(&cases[i]);
		if (t_failed_now)
			return;
	}
}

T_MAIN(T(test_plan_cases))
